"""The WeChat delivery jobs (work-order notices, hot-policy pushes), added by ``webapp.jobs.schedule_jobs`` (inside ``app`` or in ``worker``)."""

from __future__ import annotations

import logging

from .notify import Notifier
from .push import Pushes

log = logging.getLogger(__name__)


def _deliver(notifier: Notifier) -> None:
    try:
        counts = notifier.run()
        if counts:
            log.info("WeChat notices: %s", counts)
    except Exception:  # the next run retries: notices stay in the outbox until delivered
        log.exception("WeChat notice delivery failed")


def _push(pushes: Pushes) -> None:
    try:
        counts = pushes.run()
        if counts:
            log.info("hot-policy pushes: %s", counts)
    except Exception:  # the rows stay pending: the next run picks them up
        log.exception("hot-policy push delivery failed")


def add_jobs(scheduler, notifier: Notifier, interval: float, pushes: Pushes | None = None) -> None:
    if interval > 0:
        scheduler.add_job(
            _deliver, "interval", seconds=interval, args=[notifier], id="wechat_notices", max_instances=1, coalesce=True
        )
        if pushes is not None:
            scheduler.add_job(
                _push, "interval", seconds=interval, args=[pushes], id="wechat_pushes", max_instances=1, coalesce=True
            )
