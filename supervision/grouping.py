"""Grouping texts by meaning: the features and the clustering behind high-frequency matters and topic surges.

A text's features are its sentence embedding (the product's embedder, m3e-small by default) with the mean of a
fixed background of ordinary hotline sentences (background.txt) taken away, joined with a TF-IDF vector of its
jieba words and character bigrams (knowledge_base.keyword.tokenize). m3e's vectors all point roughly one way
(any two hotline sentences score a cosine of 0.7 or more), so the raw cosine separates topics badly; removing a
fixed mean spreads them without depending on the batch (a batch mean would make two near-identical complaints
opposite). The words sharpen topics that share a place or object (拒载 vs 绕路 of the same taxis).

Clustering: average linkage on cosine distance, cut at ``THRESHOLD`` (chosen on tests/data/topics_dev.yml:
purity 0.885, inverse purity 0.859; the set kept apart, topics_unseen.yml: 0.938 / 0.850). Above
``DIRECT_LIMIT`` texts the pairwise matrix would not fit comfortably: a fixed random sample of that size is
clustered, and every other text joins the sampled cluster it is closest to on average.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from hotline.text import normalize
from knowledge_base.keyword import tokenize, words

BACKGROUND_PATH = Path(__file__).with_name("background.txt")
THRESHOLD = 0.80  # average cosine distance at which the linkage is cut
EMBEDDING_WEIGHT = 0.7  # share of the embedding in the joined features (the words have the rest)
DIRECT_LIMIT = 2500  # texts clustered directly; more go through k-means micro-clusters first
MAX_TERMS = 3000  # TF-IDF vocabulary kept (the most frequent terms that occur at least twice)
BATCH = 256  # texts embedded per call (one progress step)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def background_mean(embedder) -> np.ndarray:
    """The mean vector of the background sentences, computed once per embedder."""
    cached = getattr(embedder, "_supervision_background", None)
    if cached is None:
        lines = [normalize(line) for line in BACKGROUND_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
        cached = embedder.encode(lines).mean(axis=0).astype("float32")
        try:
            embedder._supervision_background = cached
        except AttributeError:  # an embedder that takes no attributes: computed again next time
            pass
    return cached


def _encode(texts: list[str], embedder, progress: Progress, cache=None) -> np.ndarray:
    """The raw embeddings, from the cache (supervision.vectors.VectorCache) where it has them."""
    known: dict[str, np.ndarray] = {}
    keys: list[str] = []
    if cache is not None:
        from .vectors import model_id, text_key

        model = model_id(embedder)
        keys = [text_key(model, t) for t in texts]
        known = cache.lookup(keys)
    missing = [i for i in range(len(texts)) if not keys or keys[i] not in known]
    new: dict[int, np.ndarray] = {}
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        for i, vector in zip(batch, embedder.encode([texts[i] for i in batch]), strict=True):
            new[i] = vector
        progress("embed", len(texts) - len(missing) + min(start + BATCH, len(missing)), len(texts))
    if cache is not None and new:
        cache.store({keys[i]: v for i, v in new.items()})
    if not texts:
        return np.zeros((0, 1), dtype="float32")
    progress("embed", len(texts), len(texts))
    return np.vstack([new[i] if i in new else known[keys[i]] for i in range(len(texts))]).astype("float32")


def embed(texts: list[str], embedder, progress: Progress = _quiet, cache=None) -> np.ndarray:
    """Normalised texts' embeddings with the background mean removed, L2-normalised again."""
    mean = background_mean(embedder)
    if not texts:
        return np.zeros((0, mean.shape[0]), dtype="float32")
    vectors = _encode(texts, embedder, progress, cache) - mean
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def tfidf(texts: list[str]) -> np.ndarray:
    """Row-normalised TF-IDF of tokenize()'s terms that occur in at least two texts."""
    tokens = [tokenize(t) for t in texts]
    df = Counter(w for ts in tokens for w in set(ts))
    kept = [w for w, n in df.most_common() if n >= 2][:MAX_TERMS]
    column = {w: j for j, w in enumerate(kept)}
    matrix = np.zeros((len(texts), len(kept)), dtype="float32")
    for i, ts in enumerate(tokens):
        for w, n in Counter(ts).items():
            j = column.get(w)
            if j is not None:
                matrix[i, j] = (1 + math.log(n)) * math.log(len(texts) / df[w])
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def features(texts: list[str], embedder, progress: Progress = _quiet, cache=None) -> np.ndarray:
    texts = [normalize(t) for t in texts]
    dense = embed(texts, embedder, progress, cache)
    sparse = tfidf(texts)
    return np.hstack([dense * math.sqrt(EMBEDDING_WEIGHT), sparse * math.sqrt(1 - EMBEDDING_WEIGHT)]).astype("float32")


def _linkage_labels(matrix: np.ndarray, threshold: float) -> np.ndarray:
    if len(matrix) == 1:
        return np.zeros(1, dtype=int)
    norms = np.linalg.norm(matrix, axis=1)
    safe = matrix.copy()
    safe[norms == 0, 0] = 1.0  # an empty row would make the cosine undefined: it joins nothing at a small cut
    tree = linkage(safe, method="average", metric="cosine")
    return fcluster(tree, threshold, criterion="distance") - 1


def cluster(
    matrix: np.ndarray, threshold: float = THRESHOLD, direct_limit: int = DIRECT_LIMIT, progress: Progress = _quiet
) -> np.ndarray:
    """A cluster number per row (0..k-1)."""
    n = len(matrix)
    if n == 0:
        return np.zeros(0, dtype=int)
    if n <= direct_limit:
        progress("cluster", 0, n)
        labels = _linkage_labels(matrix, threshold)
        progress("cluster", n, n)
        return labels
    # too many for the pairwise matrix: cluster a fixed random sample, then give every other text the cluster
    # whose texts it is closest to on average (for unit rows, the mean cosine to a cluster is the dot product
    # with the cluster's unnormalised mean)
    progress("cluster", 0, n)
    rows = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
    sample = np.sort(np.random.default_rng(1234).choice(n, direct_limit, replace=False))
    sampled = _linkage_labels(rows[sample], threshold)
    means = np.vstack([rows[sample[sampled == c]].mean(axis=0) for c in range(sampled.max() + 1)])
    labels = np.empty(n, dtype=int)
    for start in range(0, n, 4096):
        labels[start : start + 4096] = np.argmax(rows[start : start + 4096] @ means.T, axis=1)
    labels[sample] = sampled
    progress("cluster", n, n)
    return labels


def keywords(texts: list[str], corpus_df: Counter, corpus_size: int, k: int = 3) -> list[str]:
    """The words that set these texts apart from the corpus (TF-IDF over jieba words, two characters or more)."""
    counts = Counter(w for t in texts for w in set(words(normalize(t))) if len(w) >= 2 and not w.isdigit())
    # smoothed idf (+1): a word every text of a one-topic period shares still names that topic
    scored = {w: n * (math.log((1 + corpus_size) / (1 + corpus_df[w])) + 1) for w, n in counts.items() if n >= 2}
    if not scored:
        scored = {w: n for w, n in counts.items()}
    picked: list[str] = []
    for word, score in sorted(scored.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0])):
        if any(word in p for p in picked):  # 出租 after 出租车 (jieba's search mode cuts both)
            continue
        shorter = [p for p in picked if p in word and score >= 0.8 * scored[p]]
        if shorter:  # 检查站 as strong as 检查: the whole word names the topic
            picked = [word if p == shorter[0] else p for p in picked if p not in shorter[1:]]
        elif len(picked) < k:
            picked.append(word)
    return picked[:k]


def document_frequency(texts: list[str]) -> Counter:
    return Counter(w for t in texts for w in set(words(normalize(t))))


def purity(predicted: list, truth: list) -> tuple[float, float]:
    """(purity, inverse purity) of a clustering against labels: the share of texts in their cluster's majority
    label, and the share of texts in their label's majority cluster (singletons score 1.0 on the first)."""
    pairs = Counter(zip(predicted, truth, strict=True))
    by_cluster: dict = {}
    by_label: dict = {}
    for (p, t), n in pairs.items():
        by_cluster[p] = max(by_cluster.get(p, 0), n)
        by_label[t] = max(by_label.get(t, 0), n)
    total = len(truth) or 1
    return sum(by_cluster.values()) / total, sum(by_label.values()) / total
