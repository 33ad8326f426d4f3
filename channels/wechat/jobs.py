"""The WeChat delivery job, added by ``webapp.jobs.schedule_jobs`` (inside ``app`` or in ``worker``)."""

from __future__ import annotations

import logging

from .notify import Notifier

log = logging.getLogger(__name__)


def _deliver(notifier: Notifier) -> None:
    try:
        counts = notifier.run()
        if counts:
            log.info("WeChat notices: %s", counts)
    except Exception:  # the next run retries: notices stay in the outbox until delivered
        log.exception("WeChat notice delivery failed")


def add_jobs(scheduler, notifier: Notifier, interval: float) -> None:
    if interval > 0:
        scheduler.add_job(
            _deliver, "interval", seconds=interval, args=[notifier], id="wechat_notices", max_instances=1, coalesce=True
        )
