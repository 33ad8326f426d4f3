"""The console's live pulse (part of `make bench`; alone: `python -m benchmarks.console`).

Every open console page polls ``GET /api/console/pulse`` every 5 s with ``If-None-Match``: the server counts
the viewer's queues (8 COUNTs), the urgent new orders (1 aggregate) and, for operators, the handoff queue (1
aggregate), hashes the answer and sends 304 without a body when nothing changed. This measures that request end
to end through the app (Flask test client, no network) over 20,000 orders on SQLite and on PostgreSQL, both the
full answer and the 304, and what a room of staff polling costs the app: pulses per second × time per pulse.

Polling rather than server-sent events: the app runs under waitress, whose worker threads (96) would each be held
by one open event stream, so 50 open consoles would take half of them away from the chat; a 304 costs the same
queries as a full answer but no body, and nothing is held between polls.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from benchmarks.run import table
from hotline.clock import utcnow

ORDERS = 20_000
RUNS = 200
POLL_SECONDS = 5
STAFF = 50  # consoles open at once in a provincial center
STATES = [
    ("received", 0.02),
    ("classified", 0.01),
    ("dispatched", 0.03),
    ("in_progress", 0.08),
    ("extension_requested", 0.005),
    ("replied", 0.03),
    ("callback_done", 0.05),
    ("archived", 0.775),
]


def _orders(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    now = utcnow()
    names, weights = zip(*STATES, strict=True)
    rows = []
    for i in range(n):
        state = rng.choices(names, weights)[0]
        received = now - timedelta(hours=rng.uniform(1, 24 * 300))
        rows.append(
            {
                "number": f"20260101-{i:05d}",
                "order_type": rng.choice(["complaint", "consultation", "suggestion"]),
                "domain": "城市客运",
                "channel": "wechat",
                "region": rng.choice(["河南省新乡市", "河南省郑州市", "浙江省杭州市"]),
                "state": state,
                "version": 1,
                "title": f"出租车拒载{i}",
                "urgent": rng.random() < 0.02,
                "safety": False,
                "callback_required": state == "replied",
                "unit_id": 1 if state in ("dispatched", "in_progress", "extension_requested") else None,
                "received_at": received,
                "dispatch_due": received + timedelta(days=1),
                "due_at": received + timedelta(days=14) if state != "received" else None,
            }
        )
    return rows


def _ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, q))


def measure(url: str, var: Path, ttl: float) -> dict:
    from hotline.settings import load_settings
    from webapp import create_app
    from work_orders.models import WorkOrder

    env = {"HOTLINE_VAR_DIR": str(var), "HOTLINE_DATABASE_URL": url, "HOTLINE_SWEEP_INTERVAL": "0"}
    app = create_app(load_settings({**env, "HOTLINE_RASA_URL": "http://127.0.0.1:9"}))
    app.config["CONSOLE_PULSE_TTL"] = ttl
    svc = app.extensions["hotline"]
    if not svc.work_orders.units():  # the second run on this database finds the data of the first
        svc.work_orders.add_unit("新乡市公交集团", "河南省新乡市", ["城市客运"])
        svc.accounts.create_user("op", "operator-pass-1", ["operator"])
        with svc.db.session() as s:
            s.execute(insert(WorkOrder), _orders(ORDERS))
    client = app.test_client()
    token = client.post("/api/auth/login", json={"username": "op", "password": "operator-pass-1"}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    first = client.get("/api/console/pulse", headers=auth)
    etag, size = first.headers["ETag"], len(first.get_data())

    def timed(headers: dict, status: int) -> list[float]:
        samples = []
        for _ in range(RUNS):
            start = time.perf_counter()
            resp = client.get("/api/console/pulse", headers=headers)
            samples.append(time.perf_counter() - start)
            assert resp.status_code == status, resp.status_code
        return samples

    full = timed(auth, 200)
    same = timed({**auth, "If-None-Match": etag}, 304)
    svc.db.engine.dispose()
    return {"full": full, "not_modified": same, "bytes": size}


def bench_console(results: dict) -> None:
    from benchmarks.work_orders import PG_URL

    rows, out = [], {}
    with tempfile.TemporaryDirectory(prefix="hotline-bench-console-") as tmp:
        backends = {"SQLite": f"sqlite:///{tmp}/console.db"}
        schema = f"bench_console_{int(time.time())}"
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f'create schema "{schema}"'))
        backends["PostgreSQL"] = f"{PG_URL}?options=-csearch_path%3D{schema}"
        try:
            for name, url in backends.items():
                for ttl in (0.0, 2.0):
                    m = measure(url, Path(tmp) / f"{name}-{ttl}", ttl)
                    cache = "每次计数" if not ttl else f"同一范围{ttl:.0f}秒内共用"
                    busy = STAFF / POLL_SECONDS * _ms(m["not_modified"], 50) / 1000
                    for kind in ("full", "not_modified"):
                        samples = m[kind]
                        rows.append(
                            [
                                name,
                                cache,
                                "200 计数有变" if kind == "full" else "304 未变",
                                f"{_ms(samples, 50):.1f}",
                                f"{_ms(samples, 95):.1f}",
                                str(m["bytes"]) if kind == "full" else "0",
                                f"{busy:.0%}" if kind == "not_modified" else "",
                            ]
                        )
                    out[f"{name}/ttl={ttl:g}"] = {
                        "full_p50_ms": _ms(m["full"], 50),
                        "full_p95_ms": _ms(m["full"], 95),
                        "not_modified_p50_ms": _ms(m["not_modified"], 50),
                        "not_modified_p95_ms": _ms(m["not_modified"], 95),
                        "body_bytes": m["bytes"],
                        f"busy_share_{STAFF}_staff": busy,
                    }
        finally:
            with engine.begin() as conn:
                conn.execute(text(f'drop schema "{schema}" cascade'))
            engine.dispose()
    print(
        table(
            f"Console pulse over {ORDERS:,} orders, operator, {RUNS} requests (ms)",
            ["database", "counting", "answer", "p50", "p95", "body bytes", f"{STAFF} staff / {POLL_SECONDS} s: busy"],
            rows,
        ),
        flush=True,
    )
    results["console_pulse"] = out


if __name__ == "__main__":
    bench_console({})
