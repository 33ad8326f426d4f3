"""`make bench-scale-mode`: chat throughput and latency of scale mode through nginx (PostgreSQL tracker store,
Redis lock stores), with 1 app + 1 bot and with 2 apps + 2 bots, under the same load: CONVERSATIONS citizens at
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


def measure(replicas: int) -> dict:
    import redis

    name = "hotline_bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = make_url(PG_ADMIN).set(database=name)
    app_url = url.render_as_string(hide_password=False)
    redis.Redis.from_url(REDIS_URL).flushdb()
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
            )
            _load(stack.base)  # warm-up round
            turns, seconds, latencies, errors, retries = 0, 0.0, [], 0, 0
            for _ in range(ROUNDS):
                result = _load(stack.base)
                seconds += result["seconds"]
                for c in result["conversations"]:
                    turns += len(c["answered"])
                    latencies += c["latencies"]
                    errors += bool(c["error"])
                    retries += c["retries"]
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
        redis.Redis.from_url(REDIS_URL).flushdb()
    latencies.sort()
    return {
        "replicas": replicas,
        "turns": turns,
        "turns_per_s": round(turns / seconds, 2),
        "p50_ms": round(1000 * statistics.median(latencies)),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))]),
        "failed_conversations": errors,
        "turns_sent_again": retries,
        # every round's turns plus the warm-up round's (a third as many again)
        "tracker_rows_per_turn": round(rows / (turns * (ROUNDS + 1) / ROUNDS), 1),
        "tracker_bytes_per_turn": round(size / (turns * (ROUNDS + 1) / ROUNDS)),
    }


def main() -> None:
    started = time.monotonic()
    rows = [measure(1), measure(2)]
    print(f"\nscale mode through nginx, {CONVERSATIONS} concurrent complaints × {ROUNDS} rounds (this 2-core machine)")
    print("| apps + bots | turns/s | p50 ms | p95 ms | failed conversations | turns sent again | tracker per turn |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['replicas']} + {r['replicas']} | {r['turns_per_s']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['failed_conversations']} | {r['turns_sent_again']} | {r['tracker_rows_per_turn']} rows, "
            f"{r['tracker_bytes_per_turn']} B |"
        )
    print(f"ratio 2/1: {rows[1]['turns_per_s'] / rows[0]['turns_per_s']:.2f} ({time.monotonic() - started:.0f} s)")
    out = ROOT / "var" / "bench" / "scale_mode.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
