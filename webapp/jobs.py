"""Every scheduled job, in one list (`schedule_jobs`), for whichever process runs them (no Flask here).

On the embedded default `serve` runs them in a background scheduler inside the app; in scale mode
(HOTLINE_APP_JOBS=0 for the apps, deploy/) the one `worker` process runs the same list in a blocking scheduler and
the apps run none. HOTLINE_SWEEP_INTERVAL=0 alone leaves the app the 12345 jobs (they take a lease).

Run twice at once (two workers, or apps with jobs beside a worker), every job still acts once:
- sla_sweep: each step is a conditional ``UPDATE … WHERE flag IS NULL … RETURNING`` (work_orders/sweep.py);
- retention_purge, gap_purge, chat_history_purge, text_vector_purge, tracker_purge: deletes by age (a second run
  finds nothing);
- wechat_notices, wechat_pushes: each notice is claimed by a conditional update of its row before it is sent;
- surge_detect: a DB lease (sv_job_lease) moved forward by one conditional update; the others skip;
- report_schedule: drafts keyed by period and region (unique), drafted once;
- handoff_expire: each close is a conditional update, its note written by the one that closed it;
- sync_kb, sync_outbox: a lease in sync_state (sync/ledger.py), renewed while running, void when its holder died;
- kb_calibration: not coordinated: two runners would each store the same calibration (harmless, wasted seconds);
  scale mode keeps it to the worker. A new job gets one line in
`schedule_jobs`; a domain with several jobs keeps them in its own `jobs.py` (`add_jobs(scheduler, …)`).
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from channels.tracker_store import TrackerPurge, tracker_url
from channels.wechat import jobs as wechat_jobs
from knowledge_base.gaps import KnowledgeGaps
from reports import schedule as report_schedule
from supervision import jobs as supervision_jobs
from sync import jobs as sync_jobs
from work_orders import jobs as work_order_jobs

from .services import Services

log = logging.getLogger(__name__)
TIMEZONE = "Asia/Shanghai"  # the cron jobs' 03:30 / 03:40 are China time
HANDOFF_EXPIRE_SECONDS = 60
KB_CALIBRATION_SECONDS = 300  # how often a KB's size is checked against its calibration's


def _purge_gaps(gaps: KnowledgeGaps) -> None:
    try:
        gaps.purge()
    except Exception:
        log.exception("knowledge-gap purge failed")


def _calibrate_kb(kb) -> None:
    """After imports and syncs that changed a large KB's size by a tenth: recalibrate how sure it must be to
    answer (knowledge_base.calibration; a few seconds, in the background)."""
    try:
        kb.refresh()  # the worker follows no change log: read the KB as it is now (a no-op where a follower runs)
        if kb.calibration_due():
            result = kb.recalibrate()
            log.info("KB recalibrated: %s", "; ".join(result.notes))
    except Exception:
        log.exception("KB calibration failed")


def _purge_chat_history(history) -> None:
    try:
        history.purge()
    except Exception:
        log.exception("chat history purge failed")


def _purge_tracker(purge: TrackerPurge) -> None:
    try:
        purge.purge()
    except Exception:  # the next night catches up: it deletes by age
        log.exception("tracker store purge failed")


def schedule_jobs(scheduler, services: Services, sweep_interval: float) -> list[str]:
    """Add every job to `scheduler` (not started) and return their ids.

    `sweep_interval` > 0 adds the lifecycle jobs: the SLA sweep every that many seconds, the nightly retention,
    knowledge-gap, chat-history and tracker-store purges, the KB's calibration check, WeChat notice delivery and the handoff expiry; 0 leaves them to a worker. The 12345
    KB sync and outbox are added whenever the link is configured (HOTLINE_SYNC_URL) and their interval is > 0.
    """
    settings = services.settings
    if sweep_interval > 0:
        work_order_jobs.add_jobs(scheduler, services.db, sweep_interval, settings.var_dir / "attachments")
        scheduler.add_job(
            _purge_gaps, "cron", hour=3, minute=40, args=[services.gaps], id="gap_purge", max_instances=1, coalesce=True
        )
        if services.chat_history is not None:  # web conversations older than 30 days
            scheduler.add_job(
                _purge_chat_history,
                "cron",
                hour=3,
                minute=45,
                args=[services.chat_history],
                id="chat_history_purge",
                max_instances=1,
                coalesce=True,
            )
        # the bot's tracker store (Rasa's `events`): conversations silent for as long as the chat history is kept
        scheduler.add_job(
            _purge_tracker,
            "cron",
            hour=3,
            minute=50,
            args=[TrackerPurge(tracker_url(settings))],
            id="tracker_purge",
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_job(
            _calibrate_kb,
            "interval",
            seconds=KB_CALIBRATION_SECONDS,
            args=[services.kb],
            id="kb_calibration",
            max_instances=1,
            coalesce=True,
        )
        wechat_jobs.add_jobs(
            scheduler, services.wechat.notifier, settings.wechat.notify_interval, services.wechat.pushes
        )
        if services.supervision is not None:  # surge alerts (第三十四条); a DB lease keeps it to one replica a turn
            supervision_jobs.add_jobs(scheduler, services.db, services.kb.embedder)
        if services.reports is not None:  # monthly and annual drafts before their due dates (第三十二条), once
            report_schedule.add_jobs(scheduler, services.db, services.reports)
        # conversations still waiting for an operator when service hours end: tell the user when we are back
        scheduler.add_job(
            services.handoffs.expire,
            "interval",
            seconds=HANDOFF_EXPIRE_SECONDS,
            id="handoff_expire",
            max_instances=1,
            coalesce=True,
        )
    sync_jobs.add_jobs(scheduler, services.sync, settings.sync_interval, settings.sync_outbox_interval)
    return [job.id for job in scheduler.get_jobs()]


def app_scheduler(services: Services) -> BackgroundScheduler | None:
    """The jobs `serve` runs in the app (not started yet), or None when it runs none (scale mode:
    HOTLINE_APP_JOBS=0)."""
    if not services.settings.app_jobs:
        return None
    scheduler = BackgroundScheduler(timezone=TIMEZONE)
    return scheduler if schedule_jobs(scheduler, services, services.settings.sweep_interval) else None


def worker_scheduler(services: Services, interval: float | None = None) -> BlockingScheduler:
    """The jobs of the `worker` process (not started yet): the whole list, the sweep every `interval` seconds
    (default HOTLINE_SWEEP_INTERVAL, or 60 when the app has it at 0)."""
    scheduler = BlockingScheduler(timezone=TIMEZONE)
    schedule_jobs(scheduler, services, interval or services.settings.sweep_interval or 60)
    return scheduler
