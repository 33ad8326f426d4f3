"""Scheduled jobs of supervision, added by ``webapp.jobs.schedule_jobs`` with the other lifecycle jobs: the surge
detection every few minutes. Safe on several replicas at once: a DB lease gives each interval to one of them."""

from __future__ import annotations

from datetime import UTC, datetime

from hotline.db import Database

from . import surges


def add_jobs(scheduler, db: Database, embedder=None, interval: float = surges.INTERVAL_SECONDS) -> None:
    scheduler.add_job(
        surges.run,
        "interval",
        seconds=interval,
        args=[db, embedder, interval],
        id="surge_detect",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
