"""The ranker of a large KB (issue 16, item 2): which candidate answers, and how likely it is the right one.

The hybrid score (cosine + KEYWORD_WEIGHT x keyword match, pooled over an article's best chunks) was set by hand;
on a KB of thousands of entries it lets a keyword bonus overturn clearly stronger semantic evidence, and its value
says nothing about the runners-up. Here the evidence of each candidate article is laid out as FEATURES and combined
by weights fitted on data (:func:`fit`): a conditional logit, the candidates of one question competing in a
softmax, trained to put the right entry first. Its softmax is also the candidate's probability of being the right
one among them, which the decision uses (knowledge_base.decision: a direct answer needs a likely leader).

The shipped weights (ranker.json beside this module) are fitted by ``devtools/fit_ranker.py`` on the development
split of the gov-mixed benchmark (benchmarks/data/gov-mixed): its provenance is in the file. Small curated KBs
(fewer than calibration.SMALL_KB articles) keep the hybrid score's order, as calibrated by issue 6.

Pure domain code: numpy and scipy only; no Flask, no Rasa.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from hotline.text import normalize

from .keyword import bigrams

# What each candidate article brings; the order is the order of the weights.
FEATURES = (
    "score",  # its hybrid score (pooled over its best chunks)
    # its best cosine, question (the title 标准问, similar questions 相似问法) or body passage alike: the development
    # data (mostly law clauses, whose titles say nothing) cannot tell how a FAQ's title compares with its body, and
    # a held-out FAQ corpus showed its titles to be the better evidence; one feature for both keeps the fit from
    # learning the one corpus's quirk
    "cosine",
    "keyword",  # best keyword match of its chunks (BM25 share x coverage)
    "coverage",  # best share of the query's keywords one of its chunks holds
    "title_overlap",  # share of the query's character bigrams found in its title
    # where it applies (knowledge_base.regions), against the regions searched (the places the question names, else
    # the user's shared location): 1 when it may answer this user (nationwide, the region searched, or no region
    # known), else 0 (another region's article, which answers only when strong: KnowledgeBase._region_verdicts)
    "region_fits",
    "region_named",  # 1 for a regional article of the region searched ("杭州出租绕路" -> 杭州市's regulation)
)
WEIGHTS_FILE = Path(__file__).with_name("ranker.json")


@dataclass(frozen=True)
class Ranker:
    weights: tuple[float, ...]
    provenance: dict = field(default_factory=dict, compare=False)

    def utilities(self, features: np.ndarray) -> np.ndarray:
        """One value per candidate (rows of ``features``): higher ranks first."""
        return features @ np.asarray(self.weights, dtype="float64")

    @property
    def fingerprint(self) -> str:
        """Names these features and weights: a calibration made under other ones (an upgrade shipped a refitted
        ranker) no longer describes the KB's probabilities (KnowledgeBase.calibration_due)."""
        text = json.dumps([list(FEATURES), [round(w, 6) for w in self.weights]])
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_json(self) -> str:
        return json.dumps(
            {"features": list(FEATURES), "weights": [round(w, 6) for w in self.weights], **self.provenance},
            ensure_ascii=False,
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Ranker:
        data = json.loads(text)
        if list(data.get("features", ())) != list(FEATURES):
            raise ValueError(f"ranker weights are for features {data.get('features')}, expected {list(FEATURES)}")
        provenance = {k: v for k, v in data.items() if k not in ("features", "weights")}
        return cls(tuple(float(w) for w in data["weights"]), provenance)


@lru_cache(maxsize=1)
def default_ranker() -> Ranker:
    return Ranker.from_json(WEIGHTS_FILE.read_text(encoding="utf-8"))


def probabilities(utilities: np.ndarray) -> np.ndarray:
    """Softmax: each candidate's probability of being the right one among these candidates."""
    if len(utilities) == 0:
        return np.zeros(0)
    z = np.exp(utilities - utilities.max())
    return z / z.sum()


def title_overlap(query_bigrams: set[str], title: str) -> float:
    """The share of the query's character bigrams (of its normalised text) found in the title."""
    if not query_bigrams:
        return 0.0
    return len(query_bigrams & _title_bigrams(title)) / len(query_bigrams)


@lru_cache(maxsize=50_000)
def _title_bigrams(title: str) -> frozenset[str]:
    return frozenset(bigrams(normalize(title)))


def fit(questions: Sequence[tuple[np.ndarray, int]], l2: float = 1e-4) -> np.ndarray:
    """Weights of a conditional logit: ``questions`` holds, per question, its candidates' features (rows) and the
    position of the right candidate among them. Minimises the mean negative log-likelihood of the right one plus
    ``l2`` x |w|², started from the hybrid score alone. The weights are kept ≥ 0: more evidence for an entry never
    ranks it lower (a development set dominated by one kind of entry — law clauses whose titles say nothing —
    would otherwise teach that a matching title counts against an entry)."""
    from scipy.optimize import minimize

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, right in questions:
            p = probabilities(x @ w)
            total -= float(np.log(p[right] + 1e-12))
            grad -= x[right] - p @ x
        n = max(len(questions), 1)
        return total / n + l2 * float(w @ w), grad / n + 2 * l2 * w

    width = questions[0][0].shape[1] if questions else len(FEATURES)  # (a subset of FEATURES, to compare fits)
    start = np.zeros(width)
    start[0] = 10.0
    return minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * width).x
