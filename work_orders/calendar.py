"""China's working-day calendar: State Council holidays and adjusted working weekends (调休).

The holidays come from the maintained ``chinesecalendar`` package. The State Council publishes each year's
arrangement in the preceding November/December, so the package can lag behind: for a year it does not know
we fall back to plain Monday-Friday, remember the year in ``unknown_years`` and log a warning that the
console shows as well. Operators add overrides (a date that is or is not a working day) which win over both;
``WorkingDays`` (a part of the ``WorkOrders`` façade, service.py) keeps them in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import CHINA
from hotline.db import Database
from hotline.errors import NotFound

from .models import CalendarOverride

log = logging.getLogger(__name__)


class WorkCalendar:
    def __init__(self, overrides: Mapping[date, bool] | None = None):
        self.overrides: dict[date, bool] = dict(overrides or {})
        self.unknown_years: set[int] = set()

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self.unknown_years:
                self.unknown_years.add(day.year)
                log.warning(
                    "working-day calendar has no State Council holiday data for %s: "
                    "using Monday-Friday; add overrides for that year's holidays",
                    day.year,
                )
            return day.weekday() < 5

    def warnings(self) -> list[str]:
        """Chinese messages for the console about years computed without official holiday data."""
        return [
            f"{year}年的法定节假日和调休安排尚未收录（chinesecalendar），该年期限暂按周一至周五计算；"
            f"请在“工作日调整”中补录，或升级日历数据。"
            for year in sorted(self.unknown_years)
        ]

    def working_days(self, start: date, end: date) -> Iterable[date]:
        day = start
        while day <= end:
            if self.is_workday(day):
                yield day
            day += timedelta(days=1)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (the start day itself is not counted, as in 之日起N个工作日)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        count = 0
        while count < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return day

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """``start`` + ``hours`` where only time on working days counts (24小时内，非工作日顺延).

        Received on Friday 10:00, 24 hours end on Monday 10:00; received on Saturday, the clock starts on
        Monday 00:00 and ends on Tuesday 00:00 (local time).
        """
        local = start.astimezone(CHINA)
        remaining = timedelta(hours=hours)
        while True:
            day = local.date()
            next_midnight = datetime.combine(day + timedelta(days=1), time(), CHINA)
            if self.is_workday(day):
                left_today = next_midnight - local
                if remaining <= left_today:
                    return (local + remaining).astimezone(start.tzinfo)
                remaining -= left_today
            local = next_midnight


def end_of_day(day: date) -> datetime:
    """A deadline "within N working days" ends at the last moment of that day, China time."""
    return datetime.combine(day + timedelta(days=1), time(), CHINA) - timedelta(microseconds=1)


class WorkingDays:
    """The calendar the deadlines count on, with the operators' overrides from the database. It uses
    ``self.db`` and ``self.unknown_years`` (shared by every calendar it builds)."""

    db: Database
    unknown_years: set[int]

    def calendar(self, session: Session | None = None) -> WorkCalendar:
        def load(s: Session) -> WorkCalendar:
            rows = s.execute(select(CalendarOverride.day, CalendarOverride.workday)).all()
            return WorkCalendar({day: workday for day, workday in rows})

        cal = load(session) if session is not None else None
        if cal is None:
            with self.db.session() as s:
                cal = load(s)
        cal.unknown_years = self.unknown_years  # shared, so the console sees every fallback year
        return cal

    def calendar_warnings(self) -> list[str]:
        return self.calendar().warnings()

    def set_override(self, day, workday: bool, note: str, author: str) -> None:
        with self.db.session() as s:
            row = s.get(CalendarOverride, day) or CalendarOverride(day=day)
            row.workday, row.note, row.author = workday, note[:200], author
            s.add(row)

    def overrides(self) -> list[dict]:
        with self.db.session() as s:
            return [
                {"day": o.day.isoformat(), "workday": o.workday, "note": o.note, "author": o.author}
                for o in s.scalars(select(CalendarOverride).order_by(CalendarOverride.day))
            ]

    def delete_override(self, day) -> None:
        with self.db.session() as s:
            row = s.get(CalendarOverride, day)
            if row is None:
                raise NotFound("没有该日期的调整")
            s.delete(row)
