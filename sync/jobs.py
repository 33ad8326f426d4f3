"""Scheduled jobs of the 12345 link (APScheduler, like work_orders/jobs.py): the KB sync every
HOTLINE_SYNC_INTERVAL seconds and the outbox every HOTLINE_SYNC_OUTBOX_INTERVAL seconds, added by
``webapp.jobs.schedule_jobs`` in ``app`` on the embedded default or in ``worker``. Each takes a lease first, so
several replicas never run one twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from .errors import Busy
from .service import SyncService

log = logging.getLogger(__name__)


def _sync_kb(service: SyncService) -> None:
    try:
        service.sync_kb(trigger="schedule")
    except Busy:
        pass  # another replica (or the console) is syncing; the next run catches up
    except Exception:  # logged in the sync log as well; the cursor is safe
        log.exception("scheduled KB sync failed")


def _push_outbox(service: SyncService) -> None:
    try:
        service.exchange.push_outbox()
    except Exception:
        log.exception("outbox delivery failed; retried at the next run")


def add_jobs(scheduler, service: SyncService, interval: float, outbox_interval: float) -> bool:
    """Add the jobs to a scheduler; False (nothing added) when the link is not configured."""
    if not service.configured:
        return False
    now = datetime.now(UTC)
    if interval > 0:
        scheduler.add_job(
            _sync_kb,
            "interval",
            seconds=interval,
            args=[service],
            id="sync_kb",
            max_instances=1,
            coalesce=True,
            next_run_time=now,
        )
    if outbox_interval > 0:
        scheduler.add_job(
            _push_outbox,
            "interval",
            seconds=outbox_interval,
            args=[service],
            id="sync_outbox",
            max_instances=1,
            coalesce=True,
            next_run_time=now,
        )
    return True
