"""Statistics over 1,000,000 orders in PostgreSQL (part of `make bench`; alone: `make bench-stats` or
`python -m benchmarks.stats`).

Issue 17's target: "metrics … over 1,000,000 orders in PostgreSQL in ≤ 10 s; dashboard queries p95 ≤ 500 ms".

The orders are the work-order benchmark's (benchmarks/work_orders.py: two years of a simulated province, loaded
once into the schema ``bench_wo`` and reused). The generator predates the statistics columns, so this section
gives the loaded rows what the lifecycle would have written (acceptance and callback moments, some returns and
reply flags) once, idempotently, before measuring. Every figure is computed as of the data's NOW.
"""

from __future__ import annotations

import json
import time
from datetime import date

from sqlalchemy import create_engine, text

from benchmarks.run import table
from benchmarks.work_orders import NOW, PG_URL, _libpq, _ms, _timed, _verdict, prepare, schema_url
from hotline.db import Database

METRICS_TARGET_MS = 10_000.0
DASHBOARD_TARGET_MS = 500.0
RUNS = 3  # timed runs of each metrics computation (after one warm-up)
DASHBOARD_RUNS = 20  # timed runs of each dashboard query (p95 of these)
CITY = "河南省新乡市"

FILL_SQL = [
    # 签收: within the 24 h return window for most orders, some late (the id decides, so reruns agree)
    """update wo_order set accepted_at = dispatched_at + (interval '1 hour') * (1 + id % 37)
       where accepted_at is null and dispatched_at is not null and unit_id is not null
         and state not in ('dispatched', 'returned')""",
    # 回访: from one to seven days after completion
    """update wo_order set callback_at = completed_at + (interval '1 day') * (1 + id % 7)
       where callback_at is null and callback_result <> '' and completed_at is not null""",
    # 答复质量 spot checks on one completed order in ten, one in six of those found poor
    """update wo_order set reply_flag = case when id % 60 = 0 then 'poor' else 'ok' end
       where reply_flag = '' and id % 10 = 0 and completed_at is not null and unit_id is not null""",
]
RETURNS_SQL = """insert into wo_return (order_id, unit_id, at)
    select id, unit_id, dispatched_at - interval '2 hours' from wo_order
    where id % 40 = 0 and unit_id is not null and dispatched_at is not null"""


def fill(url: str) -> str:
    """What the lifecycle would have recorded for the generated orders (once; a rerun finds nothing to do)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        if conn.execute("select exists (select 1 from wo_return)").fetchone()[0]:
            return "reused"
        for statement in FILL_SQL:
            conn.execute(statement)
        conn.execute(RETURNS_SQL)
        conn.execute("vacuum (analyze) wo_order")
        conn.execute("vacuum (analyze) wo_return")
    return f"filled in {time.perf_counter() - started:.0f} s"


def million_orders(what: str, base: str = PG_URL) -> Database | None:
    """The benchmark schema's 1,000,000 orders with their statistics columns (loaded and filled on first use), or
    None — said — when PostgreSQL is not reachable. Shared by the statistics and the reports benchmarks."""
    from sqlalchemy.exc import OperationalError

    try:
        with create_engine(base).connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        print(f"{what} benchmark skipped: PostgreSQL not reachable at {base} ({exc.__class__.__name__})")
        return None
    url = schema_url(base)
    how = prepare(url, base)
    filled = fill(url)
    print(f"1,000,000 orders ({how}); statistics columns {filled}", flush=True)
    return Database(url)


def bench_stats(results: dict, base: str = PG_URL) -> None:
    from stats import metrics, monitoring, scores
    from stats.periods import month

    db = million_orders("statistics", base)
    if db is None:
        return
    out: dict = {"now": NOW.isoformat()}

    october = month("2026-10")
    jobs = {
        "metrics, October 2026, whole province": lambda s: metrics.compute(s, october.start, october.end, now=NOW),
        f"metrics, October 2026, {CITY}": lambda s: metrics.compute(s, october.start, october.end, CITY, now=NOW),
        "metrics, 2025 (a year), whole province": lambda s: metrics.compute(
            s, date(2025, 1, 1), date(2025, 12, 31), now=NOW
        ),
        "unit scores, October 2026, whole province": lambda s: scores.unit_scores(s, october, now=NOW),
    }
    rows = []
    for label, job in jobs.items():
        samples, result = _timed(lambda job=job: _in_session(db, job), RUNS)
        worst = _ms(samples, 100)
        size = result["total"]["count"] if "total" in result else len(result["units"])
        rows.append(
            [
                label,
                f"{_ms(samples, 50):.0f}",
                f"{worst:.0f}",
                f"{size:,}",
                "≤ 10 s",
                _verdict(worst, METRICS_TARGET_MS),
            ]
        )
        out[label] = {"p50_ms": _ms(samples, 50), "max_ms": worst, "size": size}
    print(
        table("Statistics over 1,000,000 orders (ms)", ["what", "p50", "max", "orders / units", "target", ""], rows),
        flush=True,
    )

    dash = {
        "dashboard, whole province": lambda s: monitoring.dashboard(s, now=NOW),
        f"dashboard, {CITY}": lambda s: monitoring.dashboard(s, CITY, now=NOW),
        "weekly bulletin, whole province": lambda s: monitoring.weekly_bulletin(s, now=NOW),
        f"weekly bulletin, {CITY}": lambda s: monitoring.weekly_bulletin(s, CITY, now=NOW),
    }
    rows = []
    for label, job in dash.items():
        samples, _ = _timed(lambda job=job: _in_session(db, job), DASHBOARD_RUNS)
        p95 = _ms(samples, 95)
        rows.append(
            [
                label,
                f"{_ms(samples, 50):.0f}",
                f"{p95:.0f}",
                str(len(samples)),
                "p95 ≤ 500 ms",
                _verdict(p95, DASHBOARD_TARGET_MS),
            ]
        )
        out[label] = {"p50_ms": _ms(samples, 50), "p95_ms": p95}
    print(
        table("Dashboard queries over 1,000,000 orders (ms)", ["what", "p50", "p95", "n", "target", ""], rows),
        flush=True,
    )
    results["stats"] = out
    db.engine.dispose()


def _in_session(db: Database, job):
    with db.session() as s:
        return job(s)


def main() -> None:
    from hotline.settings import ROOT

    results: dict = {}
    bench_stats(results)
    if results:
        out = ROOT / "var" / "bench"
        out.mkdir(parents=True, exist_ok=True)
        (out / "stats.json").write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
        print(f"\nsaved {out / 'stats.json'}")


if __name__ == "__main__":
    main()
