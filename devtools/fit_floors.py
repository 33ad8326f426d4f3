"""Choose the semantic floors: the large-KB policy's (knowledge_base.decision.Policy.floor_question / floor_body)
and, with ``--small-kb``, the seed KB's floor for a direct answer (Policy.answer_floor, under the score rule).

    PYTHONPATH=. .venv/bin/python -m devtools.fit_floors [--small-kb]

A hit's score adds a keyword bonus to its cosine, and on a KB of thousands of entries common words ("汽车", "规定",
"多少钱") lift entries that mean something else to a score that looks strong: questions the KB cannot answer were
offered choices. The floors ask for semantic evidence as well — the best cosine of the entry's chunks — one for an
entry that has a question (its title as 标准问, or 相似问法) and one for an entry with only body text (a regulation
clause), because a paraphrase of a question reaches a higher cosine than a question put to legal prose.

Data: the development split of the gov-mixed benchmark only (benchmarks/data/gov-mixed/questions_dev.yaml and its
KB, imported and cached by benchmarks/faq.py), searched exactly as the bot searches (KnowledgeBase.search) and
decided with the KB's own calibrated policy, each pair of floors put in. The held-out split is never read here:
`make bench-faq` reports both splits with the floors in place.

Prints a grid, best first by answered-or-offered plus unanswerable refused (both targets of issue 16), among the
pairs with no wrong direct answer, each also with a score that lifts the floors (Policy.keyword_sure, 0 = none); the
one chosen goes into knowledge_base/calibration.py's LARGE_KB_POLICY by hand (see there why keyword_sure stays 0).
Then, by the same criterion, the probability at which a top entry with a question is offered to confirm whatever
its score and cosine (Policy.confirm_question).

``--small-kb``: the same criterion (then fewest wrong: the seed's tuning set has a wrong answer at every floor) on
the seed KB and its tuning questions (tests/data/kb_questions.yaml), never its held-out set; the floor chosen is
calibration.SMALL_KB_ANSWER_FLOOR.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from benchmarks.faq import DATA, load_questions, open_kb
from knowledge_base.decision import ANSWER, CLARIFY, Policy, decide

DATASET = DATA / "gov-mixed"
ANSWER_FLOORS = (0.0,) + tuple(round(0.70 + 0.01 * i, 2) for i in range(12))
KEYWORD_SURE = (0.0, 0.82, 0.84, 0.85, 0.86, 0.88, 0.90)  # 0: the floor whatever the score
QUESTION_FLOORS = (0.0, 0.74, 0.76, 0.77, 0.78, 0.79, 0.80, 0.82)
BODY_FLOORS = (0.0, 0.70, 0.72, 0.73, 0.74, 0.75, 0.76, 0.78)
RANKED_KEYWORD_SURE = (0.0, 0.95, 1.0, 1.05, 1.1)  # 0: the floors whatever the score
CONFIRM_QUESTION = (0.0, 0.80, 0.85, 0.90, 0.95, 0.99)  # 0: no confirmation on the ranker's probability alone


def searches(kb, key_of: dict[int, str]) -> list[tuple[int | None, list]]:
    """Per development question: its right article id (None: unanswerable) and the hits the bot would decide on."""
    article_of = {key: art for art, key in key_of.items()}
    answerable, unanswerable = load_questions(DATASET, "dev")
    items = [(x["q"], article_of.get(str(x["id"]))) for x in answerable] + [(q, None) for q in unanswerable]
    out = []
    for n, (question, right) in enumerate(items, 1):
        out.append((right, kb.search(question, k=5, min_score=0.0)))
        if n % 25 == 0:
            print(f"  searched {n}/{len(items)} questions", flush=True)
    return out


def outcomes(data: list[tuple[int | frozenset | None, list]], policy: Policy) -> dict[str, float]:
    """Shares of the answerable questions answered right / wrong / answered or offered, and of the unanswerable ones
    refused; a question's right entry is an article id, or a frozenset of ids where several answer it."""
    tally = dict.fromkeys(("right", "wrong", "offered", "unanswerable", "refused"), 0)
    answerable = 0
    for right, hits in data:
        d = decide(hits, policy)
        chosen = [h.article_id for h in d.hits]
        if right is None:
            tally["unanswerable"] += 1
            tally["refused"] += d.kind not in (ANSWER, CLARIFY)
            continue
        answerable += 1
        rights = right if isinstance(right, frozenset) else {right}  # a seed question may have several
        if d.kind == ANSWER:
            tally["right" if chosen[0] in rights else "wrong"] += 1
        elif d.kind == CLARIFY and rights & set(chosen):
            tally["offered"] += 1
    answerable = max(answerable, 1)
    return {
        "right": tally["right"] / answerable,
        "wrong": tally["wrong"] / answerable,
        "answered_or_offered": (tally["right"] + tally["offered"]) / answerable,
        "unanswerable_refused": tally["refused"] / max(tally["unanswerable"], 1),
    }


def grid(data: list[tuple[int | None, list]], base: Policy) -> list[tuple[dict, Policy]]:
    rows = []
    for fq, fb, ks in itertools.product(QUESTION_FLOORS, BODY_FLOORS, RANKED_KEYWORD_SURE):
        policy = replace(base, floor_question=fq, floor_body=fb, keyword_sure=ks)
        rows.append((outcomes(data, policy), policy))
    ok = [r for r in rows if r[0]["wrong"] == 0.0]
    ok.sort(key=lambda r: (-(r[0]["answered_or_offered"] + r[0]["unanswerable_refused"]), -r[0]["answered_or_offered"]))
    return ok


def confirm_grid(data: list, base: Policy) -> list[tuple[dict, Policy]]:
    """The probability at which a top entry with a question is offered to confirm whatever its score and cosine
    (Policy.confirm_question), the floors as they are: best first by answered-or-offered + unanswerable refused, no
    wrong direct answer; among equals the lowest (a confirmation costs the user a tap, a refusal the answer)."""
    rows = [(outcomes(data, p), p) for p in (replace(base, confirm_question=c) for c in CONFIRM_QUESTION)]
    ok = [r for r in rows if r[0]["wrong"] == 0.0]
    ok.sort(key=lambda r: (-(r[0]["answered_or_offered"] + r[0]["unanswerable_refused"]), r[1].confirm_question))
    return ok


def answer_floor_grid(data: list, base: Policy) -> list[tuple[dict, Policy]]:
    """The score rule's answer floor and the score that answers without it (keyword_sure): best first by
    answered-or-offered + unanswerable refused, then fewest wrong."""
    policies = [
        replace(base, answer_floor=f, keyword_sure=k) for f, k in itertools.product(ANSWER_FLOORS, KEYWORD_SURE)
    ]
    rows = [(outcomes(data, p), p) for p in policies]
    rows.sort(key=lambda r: (-(r[0]["answered_or_offered"] + r[0]["unanswerable_refused"]), r[0]["wrong"]))
    return rows


def seed_searches() -> tuple[list, Policy]:
    """The seed KB's tuning questions, searched as the bot searches, and its policy (without the answer floor)."""
    from benchmarks.retrieval import QUESTIONS
    from benchmarks.retrieval import load_questions as load_seed_questions
    from hotline.db import Database
    from hotline.settings import load_settings
    from knowledge_base.embedder import Embedder
    from knowledge_base.models import Article
    from knowledge_base.seeds import load_seed_drafts
    from knowledge_base.service import KnowledgeBase

    settings = load_settings({"HOTLINE_VAR_DIR": str(Path(tempfile.mkdtemp(prefix="fit-floors-")))})
    db = Database(settings.database_url)
    db.migrate()
    kb = KnowledgeBase(db, Embedder(settings.embedding_model), settings.index_path, settings.kb_min_score)
    kb.upsert_articles(load_seed_drafts())
    with db.session() as s:
        article_of = {key: art for art, key in s.query(Article.id, Article.origin_key).all()}
    answerable, unanswerable = load_seed_questions(QUESTIONS)
    data = [
        (frozenset(article_of[k] for k in x["answers"] if k in article_of), kb.search(x["q"], k=5, min_score=0.0))
        for x in answerable
    ]
    data += [(None, kb.search(q, k=5, min_score=0.0)) for q in unanswerable]
    return data, replace(kb.policy, answer_floor=0.0, keyword_sure=0.0)


def main_small_kb() -> None:
    print("Searching the seed KB's tuning questions (tests/data/kb_questions.yaml) …", flush=True)
    data, base = seed_searches()
    print("answer floor on the seed KB, best first by answered-or-offered + unanswerable refused, then fewest wrong:")
    print(
        f"  {'answer_floor':>12} {'keyword_sure':>12} {'right':>6} {'wrong':>6} {'answered/offered':>16} {'unans. refused':>14}"
    )
    for result, policy in answer_floor_grid(data, base)[:15]:
        print(
            f"  {policy.answer_floor:>12.2f} {policy.keyword_sure:>12.2f} {result['right']:>6.1%} {result['wrong']:>6.1%}"
            f" {result['answered_or_offered']:>16.1%} {result['unanswerable_refused']:>14.1%}"
        )


def main() -> None:
    if "--small-kb" in sys.argv[1:]:
        main_small_kb()
        return
    kb, key_of = open_kb(DATASET)
    base = kb.policy
    print(f"Searching the development questions ({len(kb.cache.articles)} articles), policy {base.as_dict()} …")
    data = searches(kb, key_of)
    print("floors on the dev split (no wrong direct answer), best first by answered-or-offered + unanswerable refused:")
    print(
        f"  {'floor_question':>14} {'floor_body':>10} {'keyword_sure':>12} {'right':>6} {'answered/offered':>16}"
        f" {'unans. refused':>14}"
    )
    for result, policy in grid(data, base)[:20]:
        print(
            f"  {policy.floor_question:>14.2f} {policy.floor_body:>10.2f} {policy.keyword_sure:>12.2f} {result['right']:>6.1%}"
            f" {result['answered_or_offered']:>16.1%} {result['unanswerable_refused']:>14.1%}"
        )
    print("confirmation on the ranker's probability alone (Policy.confirm_question), the floors as they are:")
    print(f"  {'confirm_question':>16} {'right':>6} {'answered/offered':>16} {'unans. refused':>14}")
    for result, policy in confirm_grid(data, base):
        print(
            f"  {policy.confirm_question:>16.2f} {result['right']:>6.1%} {result['answered_or_offered']:>16.1%}"
            f" {result['unanswerable_refused']:>14.1%}"
        )
    none = outcomes(data, replace(base, floor_question=0.0, floor_body=0.0))
    print(
        f"  without floors: answered/offered {none['answered_or_offered']:.1%}, "
        f"unanswerable refused {none['unanswerable_refused']:.1%}"
    )


if __name__ == "__main__":
    main()
