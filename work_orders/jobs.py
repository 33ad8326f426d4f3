"""Scheduled jobs of the work-order lifecycle (APScheduler), added by ``webapp.jobs.schedule_jobs``: inside
``app`` on the embedded default, in the ``worker`` process in scale mode. Both jobs are safe to run twice and on
several replicas at once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from hotline.db import Database

from . import sweep

log = logging.getLogger(__name__)


def _run_sweep(db: Database) -> None:
    try:
        sweep.sweep(db, datetime.now(UTC))
    except Exception:  # a failed run is retried by the next one; the deadlines are stored, nothing is lost
        log.exception("SLA sweep failed")


def _run_purge(db: Database, attachments_dir: Path) -> None:
    try:
        sweep.purge(db, datetime.now(UTC), attachments_dir)
    except Exception:
        log.exception("retention purge failed")


def add_jobs(scheduler, db: Database, interval: float, attachments_dir: Path) -> None:
    """The SLA sweep every `interval` seconds (first run at once) and the nightly retention purge."""
    scheduler.add_job(
        _run_sweep,
        "interval",
        seconds=interval,
        args=[db],
        id="sla_sweep",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        _run_purge,
        "cron",
        hour=3,
        minute=30,
        args=[db, attachments_dir],
        id="retention_purge",
        max_instances=1,
        coalesce=True,
    )
