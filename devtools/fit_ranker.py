"""Fit the large-KB ranker (knowledge_base/ranker.json) and report the answer policy it supports.

    PYTHONPATH=. .venv/bin/python -m devtools.fit_ranker [--write]

Data: the development split of the gov-mixed benchmark only (benchmarks/data/gov-mixed/questions_dev.yaml and its
KB, imported and cached by benchmarks/faq.py): for each answerable question whose right entry is among the
candidates the bot would consider, the candidates' FEATURES and which one is right. The held-out split is never
read here: `make bench-faq` reports both splits with the weights in place.

Prints the weights, the development split's hit@1 under the hybrid score and under the ranker (both on the fitted
data and in 5-fold cross-validation), and a grid of answer policies (knowledge_base.decision.Policy) on the
development split, best first: the one chosen goes into knowledge_base/calibration.py's LARGE_KB_POLICY by hand.
With --write the weights and their provenance are written to knowledge_base/ranker.json.
"""

from __future__ import annotations

import argparse
import itertools
from datetime import date
from types import SimpleNamespace

import numpy as np

from benchmarks.faq import DATA, load_questions, open_kb
from devtools.fit_floors import outcomes
from knowledge_base.decision import Policy
from knowledge_base.ranker import WEIGHTS_FILE, Ranker, fit, probabilities

DATASET = DATA / "gov-mixed"
L2 = 1e-4
FOLDS = 5


def collect(kb, key_of: dict[int, str]):
    """Per development question: (right article id or None, candidate ids, features)."""
    article_of = {key: art for art, key in key_of.items()}
    answerable, unanswerable = load_questions(DATASET, "dev")
    items = [(x["q"], article_of.get(str(x["id"]))) for x in answerable] + [(q, None) for q in unanswerable]
    out = []
    for n, (question, right) in enumerate(items, 1):
        ids, features = kb.ranking_features(question)
        out.append((right, ids, features))
        if n % 25 == 0:
            print(f"  features of {n}/{len(items)} questions", flush=True)
    return out


def trainable(data) -> list[tuple[np.ndarray, int]]:
    return [(x, ids.index(right)) for right, ids, x in data if right is not None and right in ids]


def hit1(data, weights: np.ndarray | None) -> float:
    answerable = [(r, ids, x) for r, ids, x in data if r is not None]
    right = 0
    for r, ids, x in answerable:
        if ids:
            order = np.argsort(-(x @ weights)) if weights is not None else np.arange(len(ids))
            right += ids[int(order[0])] == r
    return right / len(answerable)


def cross_validated_hit1(data, folds: int = FOLDS, seed: int = 12328) -> float:
    answerable = [d for d in data if d[0] is not None]
    order = np.random.default_rng(seed).permutation(len(answerable))
    right = 0
    for fold in np.array_split(order, folds):
        held = set(fold.tolist())
        weights = fit(trainable([d for i, d in enumerate(answerable) if i not in held]), L2)
        right += hit1([answerable[i] for i in fold], weights) * len(fold)
    return right / len(answerable)


def hits_of(ids: list[int], x: np.ndarray, weights: np.ndarray) -> list:
    """The search's hits as the decision sees them: ranked, each with its score and probability."""
    u = x @ weights
    p = probabilities(u)
    return [SimpleNamespace(article_id=ids[i], score=float(x[i, 0]), confidence=float(p[i])) for i in np.argsort(-u)]


def policy_grid(data, weights: np.ndarray) -> list[tuple[dict, Policy]]:
    searches = [(r, hits_of(ids, x, weights)[:5]) for r, ids, x in data]
    rows = []
    for answer, certainty, choice in itertools.product(
        (0.70, 0.74, 0.78, 0.82, 0.86), (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9), (0.75, 0.8, 0.85, 0.9)
    ):
        policy = Policy(answer=answer, margin=0.0, choice=choice, clarify_total=0.0, certainty=certainty)
        result = outcomes(searches, policy)
        rows.append((result, policy))
    # a wrong direct answer for at most 2 % and at least 60 % of unanswerable questions refused; then the most
    # questions answered or offered
    ok = [r for r in rows if r[0]["wrong"] <= 0.02 and r[0]["unanswerable_refused"] >= 0.6]
    ok.sort(key=lambda r: (-r[0]["answered_or_offered"], -r[0]["right"]))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write knowledge_base/ranker.json")
    args = parser.parse_args()
    kb, key_of = open_kb(DATASET)
    print(f"Collecting features of the development questions ({len(kb.cache.articles)} articles) …", flush=True)
    data = collect(kb, key_of)
    groups = trainable(data)
    weights = fit(groups, L2)
    base, fitted, cv = hit1(data, None), hit1(data, weights), cross_validated_hit1(data)
    print(f"fitted on {len(groups)} questions: weights {np.round(weights, 3).tolist()}")
    print(f"dev hit@1: hybrid score {base:.3f}, ranker {fitted:.3f} (5-fold cross-validated {cv:.3f})")
    print("answer policies on the dev split (wrong ≤ 2 %, unanswerable refused ≥ 60 %), best first:")
    for result, policy in policy_grid(data, weights)[:8]:
        print(f"  {policy.as_dict()} -> { ({k: round(v, 3) for k, v in result.items()}) }")
    if args.write:
        ranker = Ranker(
            tuple(float(w) for w in weights),
            {
                "fitted_on": "benchmarks/data/gov-mixed questions_dev.yaml (development split only)",
                "questions": len(groups),
                "l2": L2,
                "date": date.today().isoformat(),
                "dev_hit_at_1": {"hybrid_score": round(base, 3), "ranker": round(fitted, 3), "cv": round(cv, 3)},
                "by": "devtools/fit_ranker.py",
            },
        )
        WEIGHTS_FILE.write_text(ranker.to_json() + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE}")


if __name__ == "__main__":
    main()
