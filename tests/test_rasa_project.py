"""The Rasa project itself: data validates with Rasa 3.6, and each intent has enough real-world examples."""

import re
import subprocess
from collections import Counter
from pathlib import Path

import yaml

from hotline.procs import BOT_PYTHON_ENV
from hotline.settings import ROOT

INTENTS = {
    "greet",
    "goodbye",
    "consult",
    "complain",
    "suggest",
    "ticket_status",
    "handoff",
    "refer_elsewhere",
    "out_of_scope",
}
TRADITIONAL_ONLY = set("們這裡來說時後會對發與為過還應當點車貨運通證訴報號務區無關機門問題嗎麼請開")


def nlu_examples() -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "training_data" / "nlu.yml").read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for block in data["nlu"]:
        if "intent" in block:
            items = [
                re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", ln[2:].strip())
                for ln in block["examples"].splitlines()
                if ln.strip().startswith("- ")
            ]
            out.setdefault(block["intent"], []).extend(items)
    return out


def test_every_intent_has_30_varied_examples_with_traditional_ones():
    examples = nlu_examples()
    assert INTENTS <= set(examples)
    for intent in INTENTS:
        items = examples[intent]
        assert len(items) >= 30, intent
        assert len(set(items)) == len(items), f"duplicates in {intent}"
        assert any(set(x) & TRADITIONAL_ONLY for x in items), f"{intent} has no Traditional examples"
    counts = Counter(x for items in examples.values() for x in items)
    assert not [x for x, n in counts.items() if n > 1], "an example appears under two intents"


def test_domain_declares_every_intent_and_action_served_by_app():
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    assert INTENTS <= set(domain["intents"])
    from bot.actions import build_executor

    served = set(build_executor(kb=None).actions)
    assert set(domain["actions"]) == served


def test_rasa_data_validate_passes():
    proc = subprocess.run(
        [
            str(BOT_PYTHON_ENV / "bin" / "rasa"),
            "data",
            "validate",
            "--fail-on-warnings",
            "--data",
            "training_data",
            "--domain",
            "bot/domain.yml",
            "--config",
            "config.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "HOME": str(Path.home()),
        },
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
