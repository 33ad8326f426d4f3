"""`make bench`, the 12345 link: KB sync from the simulator (a separate process, as 12345 would be).

1. Initial sync of 20,000 articles: throughput next to the bare model's batch-encode throughput on the same
   texts (target ≥ 85 %).
2. A second sync with 1 % of the articles changed: only those are embedded again.
3. A change published on 12345 → answerable by the app's search, with the app running the scheduled sync
   (target: within the sync interval + 2 s).

Run alone: `python -m benchmarks.sync [--articles N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import requests

from devtools.stack import app_ports_env, free_port
from hotline import procs
from hotline.db import Database
from hotline.settings import ROOT, load_settings
from hotline.text import normalize
from knowledge_base.embedder import Embedder
from knowledge_base.service import KnowledgeBase
from sync.connectors import HttpConnector
from sync.kb import KbSync, SyncOptions

INTERVAL = 5.0  # the sync interval the app runs with in part 3


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    from benchmarks.run import table

    return table(title, header, rows)


def _sim_call(base: str, path: str, payload: dict | None = None) -> dict:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(
        base + path, data=data, method="POST" if data else "GET", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def start_simulator(articles: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = procs.start(
        [sys.executable, "-m", "sim12345", "--port", str(port), "--articles", str(articles)],
        {**os.environ, "PYTHONPATH": str(ROOT)},
        log,
    )
    base = f"http://127.0.0.1:{port}"
    if not procs.wait_http(base + "/_sim/state", 120, proc):
        raise RuntimeError(log.read_text()[-2000:])
    return proc, base


class TimedEmbedder:
    """The model with a stopwatch: how long the sync's own encode calls take, measured in the same run (so other
    load on the machine, which changes the model's speed from minute to minute, affects both sides alike)."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts, progress=False):
        start = time.perf_counter()
        out = self.inner.encode(texts)
        self.seconds += time.perf_counter() - start
        self.texts += len(texts)
        return out

    def encode_one(self, text):
        return self.encode([text])[0]


def bare_rate(embedder: Embedder, texts: list[str]) -> float:
    start = time.perf_counter()
    embedder.encode(texts)
    return len(texts) / (time.perf_counter() - start)


def bench_initial_and_incremental(tmp: Path, base: str, articles: int, results: dict) -> Path:
    var = tmp / "sync"
    settings = load_settings({"HOTLINE_VAR_DIR": str(var)})
    db = Database(settings.database_url)
    db.migrate()
    embedder = Embedder(settings.embedding_model)
    embedder.encode_one("预热")
    timed = TimedEmbedder(embedder)
    kb = KnowledgeBase(db, timed, settings.index_path)
    # the texts the sync will embed (title + body of each one-chunk article), for the bare-model reference
    state = _sim_call(base, "/_sim/state")
    sample_ids = random.Random(1).sample(range(1, articles + 1), min(1000, articles))
    sample = []
    for n in sample_ids[:1000]:
        art = _sim_call(base, f"/_sim/article/ZSK{n:07d}")
        sample.append(normalize(f"{art['title']}\n{art['body']}"))
    half = len(sample) // 2
    before = bare_rate(embedder, sample[:half])
    connector = HttpConnector(base, "sim-token", timeout=30)
    start = time.perf_counter()
    run = KbSync(kb, connector, SyncOptions(page_size=500, progress=True)).run("bench")
    elapsed = time.perf_counter() - start
    after = bare_rate(embedder, sample[half:])
    bare = (before + after) / 2
    rate = run["chunks_embedded"] / elapsed
    in_run = timed.texts / timed.seconds  # the model alone on exactly the sync's encode calls
    model_s = timed.seconds
    assert run["status"] == "ok" and run["created"] == state["feed_length"], run

    changed = max(1, articles // 100)
    _sim_call(base, "/_sim/edit", {"count": changed})
    start = time.perf_counter()
    second = KbSync(kb, connector, SyncOptions(page_size=500)).run("bench")
    second_s = time.perf_counter() - start
    rows = [
        [
            "bare model, same encode calls, in the run",
            f"{in_run:.1f} chunks/s",
            f"{model_s:.0f} s of {elapsed:.0f} s in the model",
        ],
        [
            f"bare model, {len(sample):,} of the texts, before+after",
            f"{bare:.1f} chunks/s",
            "other load on the machine shifts this",
        ],
        [
            f"initial sync, {run['created']:,} articles ({run['pages']} pages)",
            f"{rate:.1f} chunks/s in {elapsed:.0f} s",
            f"{rate / in_run:.0%} of bare in the run (target ≥ 85%); {rate / bare:.0%} of before+after",
        ],
        [
            f"second sync, {changed} changed (1%)",
            f"{second_s:.1f} s, {second['chunks_embedded']} chunks embedded",
            "only the changed ones" if second["chunks_embedded"] == changed else "MORE THAN THE CHANGED ONES",
        ],
    ]
    print(_table("KB sync from the 12345 simulator", ["what", "measured", "note"], rows), flush=True)
    results["sync"] = {
        "articles": run["created"],
        "bare_rate": bare,
        "bare_rate_in_run": in_run,
        "sync_rate": rate,
        "share": rate / in_run,
        "share_vs_before_after": rate / bare,
        "initial_s": elapsed,
        "changed": changed,
        "second_s": second_s,
        "second_embedded": second["chunks_embedded"],
    }
    return var


def bench_answerable(var: Path, base: str, results: dict, runs: int = 6) -> None:
    """The app runs the scheduled sync every INTERVAL s; 12345 publishes; we poll the app's search."""
    settings = load_settings({"HOTLINE_VAR_DIR": str(var), **app_ports_env()})
    env = procs.app_env(settings)
    env.update(
        {
            "HOTLINE_SYNC_URL": base,
            "HOTLINE_SYNC_TOKEN": "sim-token",
            "HOTLINE_SYNC_INTERVAL": str(INTERVAL),
            "HOTLINE_SYNC_OUTBOX_INTERVAL": "0",
            "HOTLINE_SWEEP_INTERVAL": "0",
        }
    )
    app = procs.start(procs.app_command(), env, var / "app.log")
    app_base = f"http://127.0.0.1:{settings.app_port}"
    samples = []
    try:
        if not procs.wait_http(app_base + "/api/health", 300, app):
            raise RuntimeError((var / "app.log").read_text()[-2000:])
        time.sleep(INTERVAL + 1)  # let the first scheduled run (nothing new) pass
        for i in range(runs):
            time.sleep(random.Random(i).uniform(0, INTERVAL))  # publish at any point of the schedule
            title = f"G{i + 201}国道第{i + 1}号桥梁检修临时封闭通告"
            _sim_call(
                base,
                "/_sim/edit",
                {
                    "ids": [f"ZSK{i + 11:07d}"],
                    "fields": {"title": title, "body": f"因桥梁检修，G{i + 201}国道K{i + 30}处全天封闭，货车请绕行。"},
                },
            )
            start = time.perf_counter()
            while time.perf_counter() - start < 60:
                hits = requests.get(app_base + "/api/kb/search", params={"q": title, "k": 3}, timeout=10).json()
                if any(h["title"] == title for h in hits["hits"]):
                    break
                time.sleep(0.05)
            samples.append(time.perf_counter() - start)
    finally:
        procs.stop(app)
    arr = np.asarray(samples)
    target = INTERVAL + 2
    print(
        _table(
            f"A change on 12345 → answerable in the app (sync interval {INTERVAL:g} s)",
            ["what", "p50 s", "max s", "n", "target"],
            [
                [
                    "12345 publishes → the app's search finds it",
                    f"{np.percentile(arr, 50):.2f}",
                    f"{arr.max():.2f}",
                    str(len(samples)),
                    f"≤ {target:g} s",
                ]
            ],
        ),
        flush=True,
    )
    results["sync_answerable_s"] = {
        "p50": float(np.percentile(arr, 50)),
        "max": float(arr.max()),
        "interval": INTERVAL,
        "target": target,
    }


def bench_sync(tmp: Path, results: dict, articles: int = 20_000) -> None:
    sim, base = start_simulator(articles, tmp / "sim12345.log")
    try:
        var = bench_initial_and_incremental(tmp, base, articles, results)
        bench_answerable(var, base, results)
    finally:
        procs.stop(sim)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=20_000)
    args = parser.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="hotline-bench-sync-") as tmpdir:
        bench_sync(Path(tmpdir), results, args.articles)
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
