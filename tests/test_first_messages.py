"""Citizens' first messages (issue 15): what the bot acts on, measured over the real NLU model.

tests/data/first_messages/{dev,holdout}.yml hold first messages of a chat as citizens and drivers type them:
questions about city services (buses, MRT, taxis, 敬老卡/愛心卡, parking, licences, 良民證 ...) in both scripts,
bare noun phrases ("复康巴士预约", "停車費"), questions that use a grievance's or a request's words, grievances
told without 投诉 words, requests to act and small talk. Each message is parsed by the NLU model the bot uses
(trained from training_data/nlu.yml with config.yml, FallbackClassifier included; the model is the one
tests/test_nlu_quality.py trains and caches) and then goes through the dialogue acts (hotline.acts.reframe), as
bot/channel.py does. What the bot then does with it:

- reaches the KB: ``consult`` or ``nlu_fallback`` (action_answer_from_kb, which answers or refuses honestly);
- starts a form: ``complain``, ``suggest``, ``ticket_status``;
- dismissed: ``greet``, ``goodbye``, ``out_of_scope``, ``affirm``, ``deny`` (small talk, thanks, "不在服务范围内");
- other: ``refer_elsewhere``, ``handoff``, ``rate``, ``leave_question``.

Floors per split on the questions (expect ``consult``): share reaching the KB, starting a form, dismissed; on all
messages: intent accuracy after reframe and complaint recall. The dev split's failures are printed (tune on it);
the holdout split prints its numbers only and must never be tuned on.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from hotline.acts import reframe
from hotline.procs import BOT_PYTHON_ENV
from hotline.settings import ROOT
from tests import test_nlu_quality as nlu_quality

DATA = ROOT / "tests" / "data" / "first_messages"
SPLITS = ("dev", "holdout")
PARSES = ROOT / "var" / "nlu_parses"  # parse cache and the table (first_messages.txt)

KB, FORM, DISMISSED, OTHER = "kb", "form", "dismissed", "other"
OUTCOME = {
    "consult": KB,
    "nlu_fallback": KB,
    "complain": FORM,
    "suggest": FORM,
    "ticket_status": FORM,
    "greet": DISMISSED,
    "goodbye": DISMISSED,
    "out_of_scope": DISMISSED,
    "affirm": DISMISSED,
    "deny": DISMISSED,
}

# floors per split, a little below what was measured (holdout: KB 97.3 %, forms 2.7 %, dismissed 0 %, accuracy
# 0.983, complaint recall 1.000). Issue 15's targets on the team's unseen sets: <= 2 % of questions start a form,
# <= 3 % are dismissed, intent accuracy >= 0.97, complaint recall >= 0.98.
FLOORS = {
    "kb_min": 0.96,
    "form_max": 0.03,
    "dismissed_max": 0.01,
    "accuracy_min": 0.97,
    "complain_recall_min": 0.98,
}

nlu_model = nlu_quality.nlu_model  # the cached NLU-only model of tests/test_nlu_quality.py


def load_split(split: str) -> list[tuple[str, str, str]]:
    """(group, expected intent, text) for every message of a split."""
    data = yaml.safe_load((DATA / f"{split}.yml").read_text(encoding="utf-8"))
    assert data["split"] == split
    return [(g["name"], g["expect"], str(text)) for g in data["groups"] for text in g["messages"]]


def acted(parse: dict, text: str) -> str:
    """The intent the bot acts on: the reframed parse's, with the fallback going to the KB like a consultation."""
    parse, _ = reframe(parse, text)
    name = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    return "consult" if name == "nlu_fallback" else name


def outcome(intent: str) -> str:
    return OUTCOME.get(intent, OTHER)


def test_sets_are_large_varied_and_never_training_examples():
    train, _ = nlu_quality.load_nlu(nlu_quality.TRAIN)
    seen = {nlu_quality.canonical(x) for items in train.values() for x in items}
    intents = nlu_quality.domain_intents()
    total = 0
    canon = {}
    for split in SPLITS:
        rows = load_split(split)
        total += len(rows)
        texts = [t for _, _, t in rows]
        assert {e for _, e, _ in rows} <= intents
        copies = [t for t in texts if nlu_quality.canonical(t) in seen]
        assert not copies, f"{split}: training examples: {copies}"
        canon[split] = {nlu_quality.canonical(t) for t in texts}
        assert len(canon[split]) == len(texts), f"{split}: duplicates"
        questions = [t for _, e, t in rows if e == "consult"]
        assert len(questions) >= 0.6 * len(rows)
        assert sum(map(nlu_quality.is_traditional, questions)) >= 0.3 * len(questions), "both scripts"
        assert sum(len(t) <= 6 for t in questions) >= 15, "short noun phrases"
        assert sum(e == "complain" for _, e, _ in rows) >= 20
    assert total >= 200
    assert not canon["dev"] & canon["holdout"]


def parse_all(model: Path, texts: list[str]) -> list[dict]:
    """Parses of the texts by the model, cached by model and texts (var/nlu_parses/)."""
    key = hashlib.sha256((model.name + "\0" + "\n".join(texts)).encode()).hexdigest()[:16]
    cache = PARSES / f"{key}.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    PARSES.mkdir(parents=True, exist_ok=True)
    out = PARSES / "parsing.tmp"
    proc = subprocess.run(
        [str(BOT_PYTHON_ENV / "bin" / "python"), str(ROOT / "devtools" / "nlu_parse.py"), str(model), str(out)],
        input=json.dumps(texts, ensure_ascii=False),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env=nlu_quality.rasa_env(),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    parses = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    assert [p["text"] for p in parses] == texts
    for old in PARSES.glob("*.json"):
        old.unlink()
    cache.write_text(json.dumps(parses, ensure_ascii=False), encoding="utf-8")
    return parses


def measure(rows: list[tuple[str, str, str]], parses: list[dict], *, reframed: bool = True) -> dict:
    def intent_of(parse, text):
        if reframed:
            return acted(parse, text)
        name = (parse.get("intent") or {}).get("name") or "nlu_fallback"
        return "consult" if name == "nlu_fallback" else name

    got = [intent_of(p, t) for p, (_, _, t) in zip(parses, rows, strict=True)]
    questions = [outcome(g) for g, (_, e, _) in zip(got, rows, strict=True) if e == "consult"]
    complaints = [g for g, (_, e, _) in zip(got, rows, strict=True) if e == "complain"]
    share = {kind: questions.count(kind) / len(questions) for kind in (KB, FORM, DISMISSED, OTHER)}
    return {
        "n": len(rows),
        "questions": len(questions),
        **share,
        "accuracy": sum(g == e for g, (_, e, _) in zip(got, rows, strict=True)) / len(rows),
        "complain_recall": complaints.count("complain") / len(complaints),
        "errors": [(grp, e, g, t) for g, (grp, e, t) in zip(got, rows, strict=True) if g != e],
    }


def row(name: str, m: dict) -> str:
    return (
        f"{name:18s} {m['n']:4d} {m['questions']:4d}  {m[KB]:6.1%} {m[FORM]:6.1%} {m[DISMISSED]:6.1%} "
        f"{m[OTHER]:6.1%}  {m['accuracy']:.3f}  {m['complain_recall']:.3f}"
    )


@pytest.fixture(scope="module")
def results(nlu_model) -> dict:
    splits = {split: load_split(split) for split in SPLITS}
    texts = [t for split in SPLITS for _, _, t in splits[split]]
    parses = iter(parse_all(nlu_model, texts))
    return {split: (rows, [next(parses) for _ in rows]) for split, rows in splits.items()}


def test_first_messages_reach_the_kb_and_complaints_start_forms(results):
    header = (
        f"{'split':18s} {'n':>4s} {'qs':>4s}  {'KB':>6s} {'form':>6s} {'dism.':>6s} {'other':>6s}  "
        f"{'acc':>5s}  {'c.rec':>5s}   (KB/form/dism./other: shares of the questions)"
    )
    lines, measured = [header], {}
    for split, (rows, parses) in results.items():
        lines.append(row(f"{split} (NLU only)", measure(rows, parses, reframed=False)))
        measured[split] = m = measure(rows, parses)
        lines.append(row(f"{split} (reframed)", m))
    groups = {}
    for split, (rows, parses) in results.items():
        for grp in dict.fromkeys(g for g, _, _ in rows):
            sub = [(r, p) for r, p in zip(rows, parses, strict=True) if r[0] == grp]
            got = [acted(p, r[2]) for r, p in sub]
            ok = sum(g == r[1] for g, (r, _) in zip(got, sub, strict=True))
            groups.setdefault(grp, []).append(f"{split} {ok}/{len(sub)}")
    lines += [f"  {grp:45s} {'  '.join(v)}" for grp, v in groups.items()]
    # tune on dev: its failures are shown; the holdout's never are
    lines += [f"  dev miss [{grp}] expected {e}, got {g}: {t}" for grp, e, g, t in measured["dev"]["errors"]]
    summary = "\n".join(lines)
    print("\n" + summary)
    PARSES.mkdir(parents=True, exist_ok=True)
    (PARSES / "first_messages.txt").write_text(summary + "\n", encoding="utf-8")

    for split, m in measured.items():
        assert m[KB] >= FLOORS["kb_min"], (split, summary)
        assert m[FORM] <= FLOORS["form_max"], (split, summary)
        assert m[DISMISSED] <= FLOORS["dismissed_max"], (split, summary)
        assert m["accuracy"] >= FLOORS["accuracy_min"], (split, summary)
        assert m["complain_recall"] >= FLOORS["complain_recall_min"], (split, summary)
