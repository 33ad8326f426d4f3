"""Scheduled jobs of supervision, added by ``webapp.jobs.schedule_jobs`` with the other lifecycle jobs: the surge
detection every few minutes (safe on several replicas at once: a DB lease gives each turn to one of them) and the
nightly purge of cached text vectors not used for a long while."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from hotline.db import Database

from . import surges
from .vectors import VectorCache

log = logging.getLogger(__name__)


def _purge_vectors(db: Database) -> None:
    try:
        VectorCache(db).purge()
    except Exception:
        log.exception("text vector purge failed")


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
    scheduler.add_job(
        _purge_vectors, "cron", hour=3, minute=50, args=[db], id="text_vector_purge", max_instances=1, coalesce=True
    )
