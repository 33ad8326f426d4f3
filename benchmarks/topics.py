"""High-frequency matters: how long grouping a period takes (part of `make bench`; alone:
`python -m benchmarks.topics [N]`).

N complaint and consultation texts (default 3,000; the labelled sets of tests/data varied with places, times and
vehicles) are grouped as `GET /api/supervision/topics` does: features the first time (every text embedded), features
again (the vectors come from the DB cache, sv_text_vector) and the clustering (direct up to 2,500 texts, sampled
above). The purity against the sets' labels is printed alongside, so a faster setting that groups worse shows.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.run import table
from hotline.db import Database
from hotline.settings import load_settings
from knowledge_base.embedder import Embedder
from supervision import grouping
from supervision.vectors import VectorCache

ROOT = Path(__file__).resolve().parent.parent
PLACES = ["", "在新乡", "在郑州东站", "昨天在卫辉", "今天早上在许昌", "在107国道上", "在开封"]
ENDINGS = ["", "，请尽快处理", "，希望有关部门管一管", "，谢谢", "！", "，急"]


def texts(n: int, seed: int = 2026) -> tuple[list[str], list[str]]:
    pool = []
    for name in ("dev", "unseen"):
        data = yaml.safe_load((ROOT / "tests" / "data" / f"topics_{name}.yml").read_text(encoding="utf-8"))
        pool += [(t, topic["label"]) for topic in data["topics"] for t in topic["texts"]]
    rng = random.Random(seed)
    out, labels = [], []
    for i in range(n):
        text, label = pool[i % len(pool)] if i < len(pool) else rng.choice(pool)
        out.append(f"{rng.choice(PLACES)}{text}{rng.choice(ENDINGS)}" if i >= len(pool) else text)
        labels.append(label)
    return out, labels


def bench_topics(results: dict, n: int = 3000) -> None:
    settings = load_settings({"HOTLINE_VAR_DIR": "/tmp"})
    embedder = Embedder(settings.embedding_model)
    embedder.encode(["预热"])
    grouping.background_mean(embedder)
    corpus, labels = texts(n)
    with tempfile.TemporaryDirectory(prefix="hotline-bench-topics-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'topics.db'}")
        db.migrate()
        cache = VectorCache(db)
        start = time.perf_counter()
        grouping.features(corpus, embedder, cache=cache)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        features = grouping.features(corpus, embedder, cache=cache)
        warm = time.perf_counter() - start
        start = time.perf_counter()
        predicted = grouping.cluster(features).tolist()
        clustered = time.perf_counter() - start
        db.engine.dispose()
    purity, inverse = grouping.purity(predicted, labels)
    rows = [
        ["features, first time (embedding)", f"{cold:.1f}", f"{n / cold:.0f}"],
        ["features again (cached vectors)", f"{warm:.1f}", f"{n / warm:.0f}"],
        [f"clustering ({'direct' if n <= grouping.DIRECT_LIMIT else 'sampled'})", f"{clustered:.1f}", ""],
    ]
    print(table(f"High-frequency matters: {n} texts", ["step", "s", "texts/s"], rows), flush=True)
    print(f"groups {len(set(predicted))}, purity {purity:.3f}, inverse purity {inverse:.3f}", flush=True)
    results["topics"] = {
        "texts": n,
        "cold_s": round(cold, 2),
        "cached_s": round(warm, 2),
        "cluster_s": round(clustered, 2),
        "purity": round(purity, 3),
        "inverse_purity": round(inverse, 3),
    }


if __name__ == "__main__":
    found: dict = {}
    bench_topics(found, int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
    print(json.dumps(found, ensure_ascii=False))
