"""Periods of the statistics: China-time calendar days, with the previous period of the same length (环比) and
the same days one year earlier (同比)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hotline.clock import CHINA

from .errors import StatsError

MAX_DAYS = 1100  # three years and a bit: an annual report with its 同比 is the longest anyone asks for


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    """``start`` to ``end``, both days included, in China time."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise StatsError("统计区间的结束日期早于开始日期", details={"end": "早于开始日期"})
        if self.days > MAX_DAYS:
            raise StatsError(f"统计区间不能超过{MAX_DAYS}天", details={"end": "区间过长"})

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[first moment, first moment after) as aware datetimes (compared with stored UTC columns)."""
        return (
            datetime.combine(self.start, time(), CHINA),
            datetime.combine(self.end + timedelta(days=1), time(), CHINA),
        )

    def previous(self) -> Period:
        """环比: the period of the same length just before; a whole month compares with the whole month before."""
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            first = self.start
            for _ in range(months):
                first = (first - timedelta(days=1)).replace(day=1)
            return Period(first, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def last_year(self) -> Period:
        """同比: the same days one year earlier."""
        return Period(_year_earlier(self.start), _year_earlier(self.end))

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


def month(value: str) -> Period:
    """``2026-10`` → 1 to 31 October 2026."""
    try:
        year, mon = (int(part) for part in value.split("-"))
        first = date(year, mon, 1)
    except (ValueError, TypeError):
        raise StatsError("月份格式应为 YYYY-MM", details={"month": "格式应为 YYYY-MM"}) from None
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def week_of(day: date) -> Period:
    """The Monday-to-Sunday week that holds ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6))
