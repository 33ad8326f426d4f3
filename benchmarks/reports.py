"""A monthly report over 1,000,000 orders in PostgreSQL (part of `make bench`; alone: `make bench-reports` or
`python -m benchmarks.reports`).

Issue 17's target: "metrics and a monthly report over 1,000,000 orders in PostgreSQL in ≤ 10 s". The orders are
the work-order benchmark's (benchmarks/work_orders.py, schema ``bench_wo``, loaded once and reused) with the
statistics columns filled as in benchmarks/stats.py. One run is what the scheduled job and the API do: compute the
month's figures (metrics with 同比/环比, unit scores, the problem list), write the narrative, store a version —
then render it as DOCX, PDF (both with four charts) and XLSX. The high-frequency matters are left out here (the
report is built with no grouping model): their cost is the grouping's, measured by benchmarks/topics.py.
"""

from __future__ import annotations

import json
import time
from datetime import date

from benchmarks.run import table
from benchmarks.stats import million_orders
from benchmarks.work_orders import NOW, PG_URL, _ms, _timed, _verdict

TARGET_MS = 10_000.0
RUNS = 3
CITY = "河南省新乡市"


def bench_reports(results: dict, base: str = PG_URL) -> None:
    from reports.service import SYSTEM, Reports

    db = million_orders("reports", base)
    if db is None:
        return
    reports = Reports(db)  # no grouping model: see the module docstring
    out: dict = {"now": NOW.isoformat()}
    rows = []
    for label, region in (("October 2026, whole province", ""), (f"October 2026, {CITY}", CITY)):
        parts: dict[str, list[float]] = {"generate": [], "docx": [], "pdf": [], "xlsx": []}

        def one(region=region, parts=parts):
            started = time.perf_counter()
            r = reports.generate(SYSTEM, "monthly", date(2026, 10, 1), date(2026, 10, 31), region, now=NOW)
            parts["generate"].append(time.perf_counter() - started)
            for fmt in ("docx", "pdf", "xlsx"):
                t = time.perf_counter()
                reports.download(r["id"], SYSTEM, fmt)
                parts[fmt].append(time.perf_counter() - t)
            return r

        samples, report = _timed(one, RUNS)
        for samples_of in parts.values():
            del samples_of[0]  # the warm-up run
        worst = _ms(samples, 100)
        orders = report["current"]["data"]["metrics"]["total"]["count"]
        rows.append(
            [
                label,
                f"{_ms(parts['generate'], 50):.0f}",
                f"{_ms(parts['docx'], 50):.0f}",
                f"{_ms(parts['pdf'], 50):.0f}",
                f"{_ms(parts['xlsx'], 50):.0f}",
                f"{_ms(samples, 50):.0f}",
                f"{worst:.0f}",
                f"{orders:,}",
                "≤ 10 s",
                _verdict(worst, TARGET_MS),
            ]
        )
        out[label] = {
            "total_p50_ms": _ms(samples, 50),
            "total_max_ms": worst,
            **{f"{k}_p50_ms": _ms(v, 50) for k, v in parts.items()},
            "orders_in_month": orders,
        }
    print(
        table(
            "Monthly report over 1,000,000 orders (ms; figures + narrative + stored version, then each file)",
            ["what", "generate", "docx", "pdf", "xlsx", "total p50", "total max", "orders", "target", ""],
            rows,
        ),
        flush=True,
    )
    results["reports"] = out
    db.engine.dispose()


def main() -> None:
    from hotline.settings import ROOT

    results: dict = {}
    bench_reports(results)
    if results:
        out = ROOT / "var" / "bench"
        out.mkdir(parents=True, exist_ok=True)
        (out / "reports.json").write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
        print(f"\nsaved {out / 'reports.json'}")


if __name__ == "__main__":
    main()
