"""pyproject.toml is the one list of the product's packages and dependencies; requirements/app.lock is made from it."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# Python code in the repository that is not the product: not installed, importable from the repository root.
NOT_PRODUCT = {"tests", "benchmarks", "devtools", "sim12345", "migrations"}


def _product_packages() -> set[str]:
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    return {pattern.rstrip("*") for pattern in include}


def _top_level_python_dirs() -> set[str]:
    return {
        p.name
        for p in ROOT.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and p.name not in {"var", "node_modules", "build", "dist"}
        and any(p.rglob("*.py"))
    }


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def test_every_python_directory_is_a_declared_product_package_or_a_known_dev_one():
    assert _top_level_python_dirs() - NOT_PRODUCT == _product_packages()


def test_product_code_does_not_import_the_dev_harnesses():
    offenders = []
    for package in _product_packages():
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom) and not node.level
                    else []
                )
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in NOT_PRODUCT]
    assert offenders == []


def test_the_lock_has_every_pinned_dependency_at_its_pinned_version():
    lock = {}
    for line in (ROOT / "requirements" / "app.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            lock[_name(name)] = version
    project = PYPROJECT["project"]
    declared = project["dependencies"] + [r for group in project["optional-dependencies"].values() for r in group]
    stale = {}
    for requirement in declared:
        pinned = re.search(r"==\s*([^\s;]+)", requirement)
        name = _name(requirement)
        if pinned is None or lock.get(name) != pinned.group(1):
            stale[name] = (pinned and pinned.group(1), lock.get(name))
    assert stale == {}, "run `make lock` after changing pyproject.toml's dependencies"


def test_torch_is_pinned_so_pip_takes_the_cpu_build():
    torch = [r for r in PYPROJECT["project"]["dependencies"] if _name(r) == "torch"]
    assert len(torch) == 1 and re.fullmatch(r"torch==[\d.]+", torch[0].split("#")[0].strip())
