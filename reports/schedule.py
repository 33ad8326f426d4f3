"""When the regular reports are due (第三十二条) and the daily job that drafts them.

A monthly report is due before the 5th working day of the next month, an annual report before the 10th working
day of the next year, counted on the work-order calendar (State Council holidays, 调休, the operators' overrides;
a year the calendar package does not know counts Monday to Friday plus the overrides). The job runs every day (00:30 China time, and once after a start); for
each scope (the whole service and every supervisor's region) it drafts the report of the month (and, in the new
year, of the year) just ended if there is none yet — the report's unique ``slot`` makes that once across replicas —
and tells the region's analysts in the console.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import date, datetime, timedelta

from sqlalchemy import select

from accounts.models import User
from hotline.clock import local_date, utcnow
from hotline.db import Database
from supervision.surges import take_turn
from work_orders.calendar import WorkCalendar
from work_orders.models import CalendarOverride

log = logging.getLogger(__name__)

DUE_WORKING_DAY = {"monthly": 5, "annual": 10}
LEASE_SECONDS = 3600  # one replica a turn (supervision's job lease); the report's slot makes the draft once anyway
LATE_DRAFT_DAYS = 31  # a regular report still missing this long after its due date is not drafted any more


def calendar(session) -> WorkCalendar:
    return WorkCalendar({d: w for d, w in session.execute(select(CalendarOverride.day, CalendarOverride.workday))})


def nth_working_day(cal: WorkCalendar, first: date, n: int) -> date:
    """The n-th working day counting from ``first`` itself (first included when it is a working day)."""
    return cal.add_working_days(first - timedelta(days=1), n)


def due_date(kind: str, period_end: date, cal: WorkCalendar) -> date | None:
    """The working day a regular report is due on (第三十二条); None for a special report."""
    if kind not in DUE_WORKING_DAY:
        return None
    following = period_end + timedelta(days=1)
    first = following.replace(day=1) if kind == "monthly" else date(following.year, 1, 1)
    return nth_working_day(cal, first, DUE_WORKING_DAY[kind])


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def due_periods(today: date) -> list[tuple[str, date, date]]:
    """The regular reports that should exist on ``today`` (China date): last month's, and last year's in the new
    year's first months."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    out = [("monthly", *month_bounds(last_month_end.year, last_month_end.month))]
    if today.month <= 2:
        out.append(("annual", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)))
    return out


def scopes(session) -> list[str]:
    """The whole service ("") and every active supervisor's region."""
    regions = {""}
    for user in session.scalars(select(User)):
        if getattr(user, "active", True) and "supervisor" in (user.roles or []) and user.region:
            regions.add(user.region)
    return sorted(regions)


def run(db: Database, reports, now: datetime | None = None, progress=None, owner: str = "") -> list[dict] | None:
    """One turn of the daily job: drafts what is missing. None when another replica holds this turn."""
    now = now or utcnow()
    owner = owner or f"{socket.gethostname()}:{os.getpid()}"
    if not take_turn(db, "report_schedule", now, LEASE_SECONDS, owner):
        return None
    return draft_due(db, reports, now, progress)


def draft_due(db: Database, reports, now: datetime, progress=None) -> list[dict]:
    today = local_date(now)
    with db.session() as s:
        cal = calendar(s)
        regions = scopes(s)
    made = []
    for kind, start, end in due_periods(today):
        due = due_date(kind, end, cal)
        if due is not None and today > due + timedelta(days=LATE_DRAFT_DAYS):
            continue
        for region in regions:
            try:
                report = reports.draft_regular(kind, start, end, region, now=now, progress=progress)
            except Exception:  # one scope failing leaves the others; the next turn tries again
                log.exception("drafting the %s report %s–%s for %r failed", kind, start, end, region)
                continue
            if report is not None:
                made.append(report)
    return made


def add_jobs(scheduler, db: Database, reports) -> None:
    scheduler.add_job(
        run,
        "cron",
        hour=0,
        minute=30,  # China time (the scheduler's zone): every day just after midnight
        args=[db, reports],
        id="report_schedule",
        max_instances=1,
        coalesce=True,
        next_run_time=utcnow() + timedelta(seconds=60),  # and once soon after a start, to catch up a missed day
    )
