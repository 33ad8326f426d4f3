"""`make bench-scale-mode`: chat throughput and latency of scale mode through nginx (PostgreSQL tracker store,
Redis lock stores), with 1 app + 1 bot and with 2 apps + 2 bots, and of the embedded default (one app, one bot,
SQLite, no proxy), under the same load: CONVERSATIONS citizens at
once, each filing a complaint (3 turns), started ROUNDS times in a row (devtools/scale_load.py). Results in
var/bench/scale_mode.json.

On a 2-core machine two bots share the same two cores as one bot: the ratio shows what the routing, the locks and
the proxy cost and that nothing serialises across replicas, not how throughput grows with cores (README, capacity
plan)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devtools.scale import scale_stack
from devtools.stack import live_stack
from hotline.db import Database
from hotline.settings import ROOT

PG_ADMIN = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = "redis://127.0.0.1:6379/11"
CONVERSATIONS = 32
ROUNDS = 3


def _load(base: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "devtools.scale_load", base, str(CONVERSATIONS), "300"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rounds(base: str) -> tuple[int, float, list, int, int]:
    _load(base)  # warm-up round
    turns, seconds, latencies, errors, retries = 0, 0.0, [], 0, 0
    for _ in range(ROUNDS):
        result = _load(base)
        seconds += result["seconds"]
        for c in result["conversations"]:
            turns += len(c["answered"])
            latencies += c["latencies"]
            errors += bool(c["error"])
            retries += c["retries"]
    return turns, seconds, latencies, errors, retries


def _row(name: str, turns: int, seconds: float, latencies: list, errors: int, retries: int) -> dict:
    latencies.sort()
    return {
        "setup": name,
        "turns": turns,
        "turns_per_s": round(turns / seconds, 2),
        "p50_ms": round(1000 * statistics.median(latencies)),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))]),
        "failed_conversations": errors,
        "turns_sent_again": retries,
    }


def measure_embedded() -> dict:
    """The embedded default at the same load: one app, one bot, SQLite, in-memory lock store, no proxy."""
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "seed"
        empty.mkdir()
        stack = live_stack(empty, Path(tmp), HOTLINE_RASA_TIMEOUT="30", HOTLINE_SERVICE_HOURS="off")
        try:
            return _row("embedded default (1 app + 1 bot, SQLite)", *_rounds(stack.base))
        finally:
            stack.stop()


def measure(replicas: int) -> dict:
    import redis

    name = "hotline_bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = make_url(PG_ADMIN).set(database=name)
    app_url = url.render_as_string(hide_password=False)
    prefix = "bench" + uuid.uuid4().hex[:8]  # this run's Redis keys only
    db = Database(app_url)
    db.migrate()
    db.engine.dispose()
    stack = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stack = scale_stack(
                Path(tmp) / "var",
                app_url,
                url.set(drivername="postgresql").render_as_string(hide_password=False),
                REDIS_URL,
                apps=replicas,
                bots=replicas,
                worker=False,
                HOTLINE_RASA_TIMEOUT="30",
                HOTLINE_SERVICE_HOURS="off",
                HOTLINE_REDIS_PREFIX=prefix,
            )
            turns, seconds, latencies, errors, retries = _rounds(stack.base)
            stack.stop()
            stack = None
            # what a turn leaves in PostgreSQL: Rasa's tracker events (the capacity plan's storage figure)
            engine = create_engine(app_url)
            with engine.connect() as conn:
                rows, size = conn.execute(text("select count(*), pg_total_relation_size('events') from events")).one()
            engine.dispose()
    finally:
        if stack is not None:
            stack.stop()
        with admin.connect() as conn:
            conn.execute(text("select pg_terminate_backend(pid) from pg_stat_activity where datname = :d"), {"d": name})
            conn.execute(text(f'drop database if exists "{name}"'))
        admin.dispose()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(prefix + ":*"):
            client.delete(key)
    return {
        **_row(
            f"scale mode, {replicas} app + {replicas} bot through nginx", turns, seconds, latencies, errors, retries
        ),
        # every round's turns plus the warm-up round's (a third as many again)
        "tracker_rows_per_turn": round(rows / (turns * (ROUNDS + 1) / ROUNDS), 1),
        "tracker_bytes_per_turn": round(size / (turns * (ROUNDS + 1) / ROUNDS)),
    }


def main() -> None:
    started = time.monotonic()
    rows = [measure_embedded(), measure(1), measure(2)]
    print(f"\nscale mode through nginx, {CONVERSATIONS} concurrent complaints × {ROUNDS} rounds (this 2-core machine)")
    print("| setup | turns/s | p50 ms | p95 ms | failed conversations | turns sent again | tracker per turn |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        tracker = (
            f"{r['tracker_rows_per_turn']} rows, {r['tracker_bytes_per_turn']} B"
            if "tracker_rows_per_turn" in r
            else "–"
        )
        print(
            f"| {r['setup']} | {r['turns_per_s']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['failed_conversations']} | {r['turns_sent_again']} | {tracker} |"
        )
    print(
        f"scale 1+1 / embedded: {rows[1]['turns_per_s'] / rows[0]['turns_per_s']:.2f}; "
        f"scale 2+2 / 1+1: {rows[2]['turns_per_s'] / rows[1]['turns_per_s']:.2f} ({time.monotonic() - started:.0f} s)"
    )
    out = ROOT / "var" / "bench" / "scale_mode.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
