"""Errors per domain: every package keeps its errors in its own ``errors.py``, all under hotline.errors' roots,
with one ``version_conflict`` and one ``NotConfigured``."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from hotline import errors as kernel
from hotline.errors import HotlineError, NotConfigured, VersionConflict

ROOT = Path(__file__).resolve().parent.parent
# the product's packages (devtools/ and sim12345/ are harnesses; bot/channel.py needs Rasa's env)
PACKAGES = (
    "hotline",
    "knowledge_base",
    "accounts",
    "channels",
    "handoff",
    "stats",
    "sync",
    "work_orders",
    "webapp",
    "bot.actions",
)

# Modules allowed to define errors outside an errors.py while they are being moved (none left). Strict on purpose:
# once a module here defines no error any more, test_no_stale_exceptions fails until its entry is deleted.
PENDING: dict[str, str] = {}


def _modules():
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            if not info.name.endswith("__main__"):
                yield importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.fixture(scope="module")
def product_errors() -> list[type[HotlineError]]:
    modules = list(_modules())
    assert len(modules) > 40  # the walk really imported the packages
    found = {
        cls for cls in _subclasses(HotlineError) if cls.__module__.split(".")[0] in {p.split(".")[0] for p in PACKAGES}
    }
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


def _home(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_error_is_defined_in_its_packages_errors_module(product_errors):
    misplaced = [
        _home(cls)
        for cls in product_errors
        if cls.__module__.rpartition(".")[2] != "errors" and cls.__module__ not in PENDING
    ]
    assert not misplaced, f"define these in their package's errors.py: {misplaced}"
    # and the domains' roots are found where they should be
    homes = {_home(cls) for cls in product_errors}
    assert {
        "knowledge_base.errors.ArticleInvalid",
        "knowledge_base.errors.ImportRejected",
        "knowledge_base.errors.GapStateError",
        "accounts.errors.AuthError",
        "accounts.errors.AccountError",
        "channels.wechat.errors.WeChatApiError",
        "channels.wechat.errors.LoginFailed",
        "channels.wechat.errors.Rejected",
        "sync.errors.ProposalClosed",
        "sync.errors.TransferInvalid",
        "hotline.errors.Throttled",
        "hotline.errors.UnknownChannel",
        "channels.errors.Busy",
        "work_orders.errors.WorkOrderError",
        "work_orders.errors.StaleOrder",
        "handoff.errors.HandoffError",
    } <= homes


def test_no_stale_exceptions(product_errors):
    still = {cls.__module__ for cls in product_errors}
    stale = sorted(set(PENDING) - still)
    assert not stale, f"{stale} define no error any more: delete them from PENDING"


def test_the_knowledge_base_errors_that_are_not_api_errors_live_there_too():
    from knowledge_base import embedder, index
    from knowledge_base.errors import EmbeddingModelMissing, IndexDamaged

    assert index.IndexDamaged is IndexDamaged and embedder.EmbeddingModelMissing is EmbeddingModelMissing
    with pytest.raises(EmbeddingModelMissing):
        embedder.Embedder("")


def test_one_version_conflict(product_errors):
    conflicts = [cls for cls in product_errors if cls.code == "version_conflict"]
    assert all(issubclass(cls, VersionConflict) for cls in conflicts if cls.__module__ not in PENDING), conflicts
    # an edit of an article answers with the kernel's class itself
    from knowledge_base import editing

    assert editing.VersionConflict is VersionConflict
    # nobody spells the code anywhere else (e.g. HotlineError(..., code="version_conflict"))
    assert _spelled("version_conflict") <= {"hotline/errors.py"} | {m.replace(".", "/") + ".py" for m in PENDING}


def test_one_not_configured(product_errors):
    named = [cls for cls in product_errors if cls.__name__ == "NotConfigured" or "not_configured" in cls.code]
    assert {_home(cls) for cls in named} >= {"channels.wechat.errors.NotConfigured", "sync.errors.NotConfigured"}
    for cls in named:
        assert issubclass(cls, NotConfigured), _home(cls)
        assert (cls.code, cls.status) == ("not_configured", 503), _home(cls)
    assert _spelled("not_configured") == {"hotline/errors.py"}


def test_a_domain_not_configured_is_still_caught_as_its_domains_error():
    from channels.wechat.errors import NotConfigured as WeChatNotConfigured
    from channels.wechat.errors import WeChatApiError
    from sync.errors import NotConfigured as SyncNotConfigured
    from sync.errors import SyncError

    err = WeChatNotConfigured("未配置微信 AppID/AppSecret，无法调用微信接口")
    assert isinstance(err, WeChatApiError) and not err.transient and err.errcode is None
    assert isinstance(SyncNotConfigured("未配置 12345 接口地址（HOTLINE_SYNC_URL）"), SyncError)
    assert kernel.NotConfigured.status == 503


def _spelled(code: str) -> set[str]:
    """The product files that give an error this code (``code = "…"`` in a class, ``code="…"`` when raised)."""
    pattern = re.compile(rf"""\bcode\s*=\s*["']{code}["']""")
    return {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package.replace(".", "/")).rglob("*.py")
        if pattern.search(path.read_text("utf-8"))
    }
