"""Scheduled jobs of the 12345 link (APScheduler, like work_orders/jobs.py): the KB sync every
HOTLINE_SYNC_INTERVAL seconds and the outbox every HOTLINE_SYNC_OUTBOX_INTERVAL seconds, in ``app`` on the
embedded default or in ``worker``. Each takes a lease first, so several replicas never run one twice."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler

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
    now = datetime.now(timezone.utc)
    if interval > 0:
        scheduler.add_job(_sync_kb, "interval", seconds=interval, args=[service], id="sync_kb", max_instances=1,
                          coalesce=True, next_run_time=now)
    if outbox_interval > 0:
        scheduler.add_job(_push_outbox, "interval", seconds=outbox_interval, args=[service], id="sync_outbox",
                          max_instances=1, coalesce=True, next_run_time=now)
    return True


def start_in_app(scheduler, service: SyncService, settings):
    """The embedded default: run the jobs in the app's scheduler (started here if the app has none)."""
    if not service.configured or (settings.sync_interval <= 0 and settings.sync_outbox_interval <= 0):
        return scheduler
    if scheduler is None:
        scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
        add_jobs(scheduler, service, settings.sync_interval, settings.sync_outbox_interval)
        scheduler.start()
        return scheduler
    add_jobs(scheduler, service, settings.sync_interval, settings.sync_outbox_interval)
    return scheduler
