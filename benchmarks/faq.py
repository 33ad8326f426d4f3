"""FAQ benchmark at realistic scale (issue 16, item 1): a public Q&A corpus imported with the product's own importer,
and citizen questions written for it, answerable and not.

A data set is a folder benchmarks/data/<name>/ with
  SOURCE.md              where the corpus comes from, its licence, how it was converted
  kb.json                the corpus in KB import format (`POST /api/kb/import`): a list of
                         {"id", "title" (the standard question), "body" (the answer), optional "domain", "region",
                         "questions"}; the benchmark imports it without similar questions unless the file has them
  questions_dev.yaml     {"answerable": [{"q": ..., "id": <the one right entry>}], "unanswerable": [...]}: tune on it
  questions_holdout.yaml the same form; written before any tuning and never tuned on

The built KB is cached under var/faq_bench/<name>-<hash>/ (the hash covers kb.json, the embedding model and the
code that chunks and embeds), so that a second run does not embed thousands of entries again.

What is measured, per split (dev and holdout side by side), split by script and query length:
  hit@1, hit@3, MRR@10 for hybrid, dense and keyword search;
  what the bot would do: answered right, answered wrong, clarified (the right entry among the offered choices),
  refused although answerable, and for unanswerable questions the share refused. The decision is a function
  (hits, min_score) -> Decision; today's is the bot's threshold (bot/actions/knowledge.py: the best hit answers
  when its score >= KB min_score, else a refusal), so "clarified" is 0 until a decision that clarifies exists.
  In the printed tables "wrong" also counts choices offered without the right entry among them.

Alone: `python -m benchmarks.run faq` (or `make bench-faq`); results in var/faq_bench.json.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import opencc
import yaml

from hotline.settings import ROOT

DATA = ROOT / "benchmarks" / "data"
CACHE = ROOT / "var" / "faq_bench"
RESULTS = ROOT / "var" / "faq_bench.json"
SPLITS = ("dev", "holdout")
MODES = ("hybrid", "dense", "keyword")
LENGTHS = (("≤6", 0, 6), ("7–15", 7, 15), (">15", 16, 10**9))
# the code whose output the cached KB holds: a change to any of these rebuilds it
BUILD_CODE = ("knowledge_base/importer.py", "knowledge_base/editing.py", "knowledge_base/chunking.py")
# minimum size of a real data set (the brief of issue 16, item 1)
MIN_ANSWERABLE = 150
MIN_UNANSWERABLE = 40


# ---------------------------------------------------------------------------------------------- the data set


def datasets(root: Path = DATA) -> list[Path]:
    """The FAQ data sets present: folders with a kb.json."""
    return sorted(p.parent for p in root.glob("*/kb.json"))


def load_kb(folder: Path) -> list[dict]:
    return json.loads((folder / "kb.json").read_text(encoding="utf-8"))


def load_questions(folder: Path, split: str) -> tuple[list[dict], list[str]]:
    doc = yaml.safe_load((folder / f"questions_{split}.yaml").read_text(encoding="utf-8")) or {}
    return list(doc.get("answerable") or []), list(doc.get("unanswerable") or [])


def validate(folder: Path, min_answerable: int = MIN_ANSWERABLE, min_unanswerable: int = MIN_UNANSWERABLE) -> list[str]:
    """What is wrong with a data set (empty: well formed)."""
    problems: list[str] = []
    source = folder / "SOURCE.md"
    if not source.exists():
        problems.append("SOURCE.md missing")
    elif not any(w in source.read_text(encoding="utf-8").lower() for w in ("licence", "license", "授权", "授權")):
        problems.append("SOURCE.md names no licence")
    try:
        entries = load_kb(folder)
    except (OSError, ValueError) as exc:
        return [*problems, f"kb.json unreadable: {exc}"]
    ids: set[str] = set()
    for n, e in enumerate(entries):
        key = str(e.get("id") or "").strip()
        if not key or not str(e.get("title") or "").strip() or not str(e.get("body") or "").strip():
            problems.append(f"kb.json entry {n}: id, title and body are required")
        if key in ids:
            problems.append(f"kb.json: duplicate id {key}")
        ids.add(key)
    seen: dict[str, str] = {}
    answerable = unanswerable = 0
    for split in SPLITS:
        if not (folder / f"questions_{split}.yaml").exists():
            problems.append(f"questions_{split}.yaml missing")
            continue
        items, unans = load_questions(folder, split)
        answerable += len(items)
        unanswerable += len(unans)
        for item in items:
            q = str(item.get("q") or "").strip()
            if not q:
                problems.append(f"{split}: a question without text")
            if str(item.get("id")) not in ids:
                problems.append(f"{split}: {q!r} names unknown entry {item.get('id')!r}")
        for q in [str(i.get("q") or "").strip() for i in items] + [str(u).strip() for u in unans]:
            if q in seen and seen[q] != split:
                problems.append(f"{q!r} is in both {seen[q]} and {split}")
            elif q in seen:
                problems.append(f"{split}: {q!r} twice")
            seen[q] = split
    if answerable < min_answerable:
        problems.append(f"{answerable} answerable questions, at least {min_answerable} wanted")
    if unanswerable < min_unanswerable:
        problems.append(f"{unanswerable} unanswerable questions, at least {min_unanswerable} wanted")
    return problems


@lru_cache(maxsize=2)
def _opencc(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def script_of(text: str) -> str:
    """Which script a question is written in: traditional, simplified, or either (no character that differs)."""
    if _opencc("t2s").convert(text) != text:
        return "traditional"
    if _opencc("s2t").convert(text) != text:
        return "simplified"
    return "either"


def length_bucket(text: str) -> str:
    n = len("".join(text.split()))
    return next(name for name, lo, hi in LENGTHS if lo <= n <= hi)


# ---------------------------------------------------------------------------------------------- the decision


@dataclass(frozen=True)
class Decision:
    action: str  # "answer" | "clarify" | "refuse"
    choices: tuple[int, ...] = ()  # article ids: the one answered, or the ones offered


Decide = Callable[[list, float], Decision]


def product_decision(kb) -> Decide:
    """The bot's decision (knowledge_base.decision with the KB's calibrated policy): answer, clarify or refuse."""
    from knowledge_base.decision import decide

    def choose(hits: list, _min_score: float) -> Decision:
        d = decide(hits, kb.policy)
        return Decision(d.kind, tuple(h.article_id for h in d.hits))

    return choose


def threshold_decision(hits: list, min_score: float) -> Decision:
    """Today's bot (bot/actions/knowledge.py): the best hit answers when its score reaches the KB threshold."""
    if hits and hits[0].score >= min_score:
        return Decision("answer", (hits[0].article_id,))
    return Decision("refuse")


OUTCOMES = ("right", "wrong", "clarified", "clarified_miss", "refused")


def outcome(decision: Decision, right: int | None) -> str:
    """What a decision means for a question whose right article is ``right`` (None: unanswerable)."""
    if decision.action == "refuse":
        return "refused"
    if decision.action == "clarify":
        return "clarified" if right is not None and right in decision.choices else "clarified_miss"
    return "right" if right is not None and decision.choices[:1] == (right,) else "wrong"


# ---------------------------------------------------------------------------------------------- measuring


@dataclass
class Tally:
    n: int = 0
    hits1: dict = field(default_factory=lambda: dict.fromkeys(MODES, 0.0))
    hits3: dict = field(default_factory=lambda: dict.fromkeys(MODES, 0.0))
    rr: dict = field(default_factory=lambda: dict.fromkeys(MODES, 0.0))
    outcomes: dict = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    top_scores: dict = field(default_factory=lambda: {"right": [], "wrong": []})

    def add(self, ranks: dict, result: str, top_right: bool | None, top_score: float | None) -> None:
        self.n += 1
        for mode, rank in ranks.items():
            self.hits1[mode] += rank == 0
            self.hits3[mode] += rank is not None and rank < 3
            self.rr[mode] += 1.0 / (rank + 1) if rank is not None else 0.0
        self.outcomes[result] += 1
        if top_score is not None and top_right is not None:
            self.top_scores["right" if top_right else "wrong"].append(top_score)

    def as_dict(self) -> dict:
        n = self.n or 1
        return {
            "n": self.n,
            **{m: {"hit@1": self.hits1[m] / n, "hit@3": self.hits3[m] / n, "mrr": self.rr[m] / n} for m in MODES},
            "outcomes": {k: v / n for k, v in self.outcomes.items()},
            "median_top_score": {k: statistics.median(v) if v else None for k, v in self.top_scores.items()},
        }


def evaluate(kb, key_of: dict[int, str], folder: Path, split: str, decide: Decide = threshold_decision) -> dict:
    """Every question of one split: ranks per mode, the decision at the KB threshold, grouped by script and length."""
    article_of = {key: art for art, key in key_of.items()}
    answerable, unanswerable = load_questions(folder, split)
    groups: dict[str, Tally] = {}

    def tally(*names: str) -> list[Tally]:
        return [groups.setdefault(n, Tally()) for n in names]

    for item in answerable:
        q, right = item["q"], article_of.get(str(item["id"]))
        ranks = {}
        for mode in MODES:
            ranked = [h.article_id for h in kb.search(q, k=10, min_score=0.0, mode=mode)]
            ranks[mode] = ranked.index(right) if right in ranked else None
        hits = kb.search(q, k=5, min_score=0.0)  # as the bot's knowledge action searches (KnowledgeBase.decide)
        result = outcome(decide(hits, kb.min_score), right)
        top = hits[0] if hits else None
        for t in tally("all", f"script:{script_of(q)}", f"length:{length_bucket(q)}"):
            t.add(ranks, result, top.article_id == right if top else None, top.score if top else None)
    refused, scores = 0, []
    for q in unanswerable:
        hits = kb.search(q, k=5, min_score=0.0)
        refused += outcome(decide(hits, kb.min_score), None) == "refused"
        if hits:
            scores.append(hits[0].score)
    out = {name: t.as_dict() for name, t in sorted(groups.items())}
    out["unanswerable"] = {
        "n": len(unanswerable),
        "refused": refused / len(unanswerable) if unanswerable else None,
        "median_top_score": statistics.median(scores) if scores else None,
    }
    return out


# ---------------------------------------------------------------------------------------------- the KB, cached


def build_key(folder: Path, model: str) -> str:
    h = hashlib.sha256((folder / "kb.json").read_bytes())
    h.update(model.encode())
    for path in BUILD_CODE:
        h.update((ROOT / path).read_bytes())
    from knowledge_base import service  # what becomes a chunk (titles are indexed as questions since issue 16)

    h.update(inspect.getsource(service.pieces).encode())
    h.update(inspect.getsource(service.embed_text_for).encode())
    return h.hexdigest()[:16]


def cache_dir(folder: Path, cache: Path = CACHE) -> Path:
    """Where the data set's KB is cached: a var dir (database, index) keyed by the data and the code that builds it."""
    from hotline.settings import load_settings

    model = load_settings({"HOTLINE_VAR_DIR": str(cache)}).embedding_model
    return cache / f"{folder.name}-{build_key(folder, model)}"


def open_kb(folder: Path, cache: Path = CACHE):
    """The data set's corpus as a KB, imported through the product's importer (knowledge_base.importer) on first
    use and cached; returns (kb, {article id: corpus id})."""
    from hotline.db import Database
    from hotline.settings import load_settings
    from knowledge_base.embedder import Embedder
    from knowledge_base.importer import import_file
    from knowledge_base.models import Article
    from knowledge_base.service import KnowledgeBase

    where = cache_dir(folder, cache)
    settings = load_settings({"HOTLINE_VAR_DIR": str(where)})
    db = Database(settings.database_url)
    kb = KnowledgeBase(db, Embedder(settings.embedding_model), settings.index_path, settings.kb_min_score)
    ready = where / "imported"
    db.migrate()  # (a cached KB from before a schema change is brought up to date)
    if not ready.exists():
        print(f"Importing {folder.name}/kb.json into a fresh KB (cached in {where}) …", flush=True)
        report = import_file(kb, "kb.json", (folder / "kb.json").read_bytes(), "faq-bench", progress=True)
        kb.open_index(progress=True)
        ready.write_text(json.dumps(report.as_dict(), ensure_ascii=False))
    kb.open_index()
    with db.session() as s:
        key_of = {a: k.removeprefix("import:") for a, k in s.query(Article.id, Article.origin_key).all()}
    return kb, key_of


# ---------------------------------------------------------------------------------------------- tables


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def tables(name: str, results: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of the printed tables for one data set."""
    splits = [s for s in SPLITS if s in results]
    out = []
    rows = []
    for mode in MODES:
        row = [mode]
        for s in splits:
            r = results[s]["all"][mode]
            row += [_num(r["hit@1"]), _num(r["hit@3"]), _num(r["mrr"])]
        rows.append(row)
    header = ["mode"] + [f"{s} {m}" for s in splits for m in ("hit@1", "hit@3", "MRR")]
    out.append(
        (
            f"FAQ benchmark {name}: retrieval (n = {', '.join(str(results[s]['all']['n']) for s in splits)})",
            header,
            rows,
        )
    )

    groups = sorted({g for s in splits for g in results[s] if g != "unanswerable"}, key=_group_order)
    header = ["group"] + [
        f"{s} {c}" for s in splits for c in ("n", "hit@1", "right", "wrong", "offered", "offered w/o", "refused")
    ]
    rows = []
    for g in groups:
        row = [g]
        for s in splits:
            r = results[s].get(g)
            if r is None:
                row += ["0", "-", "-", "-", "-", "-", "-"]
                continue
            o = r["outcomes"]
            row += [
                str(r["n"]),
                _num(r["hybrid"]["hit@1"]),
                _pct(o["right"]),
                _pct(o["wrong"]),
                _pct(o["clarified"]),
                _pct(o["clarified_miss"]),
                _pct(o["refused"]),
            ]
        rows.append(row)
    policy = results.get("policy") or {"answer": results.get("min_score"), "margin": 0}
    out.append(
        (
            f"FAQ benchmark {name}: the bot's decision ({_rule(policy)}; else offer close entries; else refuse), "
            "answerable questions — answered right, "
            "answered wrong, right entry offered among choices, choices without it, refused",
            header,
            rows,
        )
    )

    header = ["what"] + list(splits)
    rows = [
        ["unanswerable questions"] + [str(results[s]["unanswerable"]["n"]) for s in splits],
        ["unanswerable refused"] + [_pct(results[s]["unanswerable"]["refused"]) for s in splits],
        ["median top score: right entry first"]
        + [_num(results[s]["all"]["median_top_score"]["right"]) for s in splits],
        ["median top score: wrong entry first"]
        + [_num(results[s]["all"]["median_top_score"]["wrong"]) for s in splits],
        ["median top score: unanswerable"] + [_num(results[s]["unanswerable"]["median_top_score"]) for s in splits],
    ]
    out.append((f"FAQ benchmark {name}: unanswerable questions and score separation", header, rows))
    return out


def _rule(policy: dict) -> str:
    if policy.get("certainty"):
        return (
            f"answer at score ≥ {policy['answer']} when the ranker gives the top entry a probability ≥ "
            f"{policy['certainty']}"
        )
    return f"answer at score ≥ {policy['answer']} with a lead ≥ {policy['margin']}"


def _group_order(g: str) -> tuple:
    order = ["all", "script:simplified", "script:traditional", "script:either"] + [f"length:{n}" for n, *_ in LENGTHS]
    return (order.index(g) if g in order else len(order), g)


def bench_faq(results: dict, decide: Decide | None = None, root: Path = DATA) -> None:
    """Every data set: retrieval per mode, and the bot's decision (by default the product's: calibrated answer,
    clarify or refuse; ``threshold_decision`` for the fixed threshold)."""
    from benchmarks.run import table

    found = datasets(root)
    if not found:
        print(
            f"\nFAQ benchmark: no data set under {root} (a folder with kb.json, questions_dev.yaml, "
            "questions_holdout.yaml, SOURCE.md)",
            flush=True,
        )
        results["faq"] = {}
        return
    out = {}
    for folder in found:
        problems = validate(folder)
        if problems:
            raise SystemExit(f"FAQ data set {folder.name} is malformed:\n  " + "\n  ".join(problems))
        kb, key_of = open_kb(folder)
        started = time.perf_counter()
        calibration = kb.recalibrate(progress=True)  # as the app's job does after an import
        seconds = time.perf_counter() - started
        print(f"calibrated in {seconds:.1f} s: {calibration.policy.as_dict()} — {'；'.join(calibration.notes)}")
        res = {
            "articles": len(key_of),
            "min_score": kb.min_score,
            "policy": calibration.policy.as_dict(),
            "calibration_seconds": round(seconds, 1),
        }
        for split in SPLITS:
            print(f"FAQ benchmark {folder.name}: {split} split …", flush=True)
            res[split] = evaluate(kb, key_of, folder, split, decide or product_decision(kb))
        for title, header, rows in tables(folder.name, res):
            print(table(title, header, rows), flush=True)
        out[folder.name] = res
    results["faq"] = out
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2))
    print(f"saved {RESULTS}", flush=True)


if __name__ == "__main__":
    bench_faq({})
