"""The FAQ benchmark through the chat, as a citizen types it (issue 16's last target).

    PYTHONPATH=. .venv/bin/python -m benchmarks.faq_chat      (or make bench-faq-chat)

The gov-mixed KB (imported and cached by benchmarks/faq.py) is put behind the real bot and app (devtools.stack):
each question goes to ``POST /api/chat`` as the first message of a new conversation, and the reply is read as the
user sees it — answered (with its sources: right or wrong entry), the entries offered as buttons (the right one
among them or not), refused, or something else (a form started, small talk: the question never reached the KB).
Dev and holdout side by side; nothing here is tuned on.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import requests

from benchmarks.faq import DATA, cache_dir, load_questions, open_kb
from benchmarks.run import table

DATASET = DATA / "gov-mixed"
OUTCOMES = ("right", "wrong", "offered", "offered_miss", "refused", "other")
OUT_OF_SCOPE = "不在12328热线的服务范围"  # utter_out_of_scope (bot/domain.yml)
LABELS = {
    "right": "answered right",
    "wrong": "answered wrong",
    "offered": "right entry offered",
    "offered_miss": "offered, without it",
    "refused": "refused",
    "other": "did not reach the KB",
}


def read_reply(result: dict) -> tuple[str, list[int]]:
    """What one chat reply did with a question: (kind, article ids answered or offered)."""
    offered = []
    for reply in result.get("replies") or []:
        for button in reply.get("buttons") or []:
            payload = button.get("payload") or ""
            if payload.startswith("/consult{"):
                article = json.loads(payload.removeprefix("/consult")).get("article_id")
                if article:
                    offered.append(int(article))
    if offered:
        return "offered", offered
    sources = [s["article_id"] for s in result.get("sources") or [] if s.get("article_id")]
    if sources:
        return "answered", sources[:1]
    texts = " ".join(r.get("text") or "" for r in result.get("replies") or [])
    if "没有找到" in texts or "暂未找到" in texts or "/leave_question" in json.dumps(result, ensure_ascii=False):
        return "refused", []
    if OUT_OF_SCOPE in texts:  # declined as none of the hotline's business: no answer given, none guessed
        return "refused", []
    return "other", []


def outcome(kind: str, ids: list[int], right: int | None) -> str:
    if kind == "answered":
        return "right" if right is not None and ids[0] == right else "wrong"
    if kind == "offered":
        return "offered" if right is not None and right in ids else "offered_miss"
    return kind


def run(base: str, folder: Path, split: str, article_of: dict[str, int], show: bool = False) -> dict:
    answerable, unanswerable = load_questions(folder, split)
    http = requests.Session()

    def ask(text: str) -> dict:
        r = http.post(base + "/api/chat", json={"sender": f"faq-{uuid.uuid4().hex[:10]}", "text": text}, timeout=60)
        r.raise_for_status()
        return r.json()

    tally, refused, referred = Counter(), 0, 0
    for item in answerable:
        result = ask(item["q"])
        kind, ids = read_reply(result)
        tally[outcome(kind, ids, article_of.get(str(item["id"])))] += 1
        if show and kind == "other":  # (--show: the development split's questions that never reached the KB)
            replies = " / ".join((r.get("text") or "")[:40] for r in result.get("replies") or [])
            print(f"  did not reach the KB: {item['q']} -> {result.get('intent')}: {replies}", flush=True)
    for q in unanswerable:
        result = ask(q)
        kind, _ids = read_reply(result)
        refused += kind == "refused"
        # not the KB's refusal, but no answer either: the competent hotline (12306, 12305 …) named instead
        referred += kind == "other" and (result.get("intent") or {}).get("name") == "refer_elsewhere"
        if show and kind != "refused":  # (--show: the development split's unanswerable questions not refused)
            replies = " / ".join((r.get("text") or "")[:40] for r in result.get("replies") or [])
            print(f"  unanswerable, {kind}: {q} -> {result.get('intent')}: {replies}", flush=True)
    n = max(len(answerable), 1)
    return {
        "n": len(answerable),
        **{k: tally[k] / n for k in OUTCOMES},
        "answered_or_offered": (tally["right"] + tally["offered"]) / n,
        "unanswerable": len(unanswerable),
        "unanswerable_refused": refused / max(len(unanswerable), 1),
        "unanswerable_referred": referred / max(len(unanswerable), 1),
    }


def bench_faq_chat(results: dict, show: bool = False) -> None:
    from devtools.stack import live_stack

    kb, key_of = open_kb(DATASET)
    if kb.calibration is None:
        kb.recalibrate(progress=True)
    article_of = {key: art for art, key in key_of.items()}
    where = cache_dir(DATASET)
    with tempfile.TemporaryDirectory(prefix="hotline-faq-chat-") as tmp:
        print("Starting bot and app over the gov-mixed KB …", flush=True)
        stack = live_stack(where, Path(tmp))
        try:
            out = {
                split: run(stack.base, DATASET, split, article_of, show=show and split == "dev")
                for split in ("dev", "holdout")
            }
        finally:
            stack.stop()
    rows = [[LABELS[k]] + [f"{out[s][k]:.1%}" for s in out] for k in OUTCOMES]
    rows.append(["right entry answered or offered"] + [f"{out[s]['answered_or_offered']:.1%}" for s in out])
    rows.append(["unanswerable refused"] + [f"{out[s]['unanswerable_refused']:.1%}" for s in out])
    rows.append(
        ["unanswerable referred to another hotline only"] + [f"{out[s]['unanswerable_referred']:.1%}" for s in out]
    )
    title = f"FAQ benchmark gov-mixed through /api/chat (answerable n = {out['dev']['n']}, {out['holdout']['n']})"
    print(table(title, ["outcome", "dev", "holdout"], rows), flush=True)
    results["faq_chat"] = out


if __name__ == "__main__":
    import sys

    bench_faq_chat({}, show="--show" in sys.argv[1:])
