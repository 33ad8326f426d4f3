"""The one clock and the one time zone: everything is stored in UTC and shown in China time.

Services that need a frozen clock keep taking one (``now=`` parameters, a ``clock`` attribute); this module
is only their default and the shared conversions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC. None stays None."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def china_time(moment: datetime) -> datetime:
    """The same moment on a Chinese clock (a naive value is a stored one, i.e. UTC)."""
    return aware(moment).astimezone(CHINA)


def local_date(moment: datetime) -> date:
    """The date in China at that moment: the day deadlines count from and order numbers carry."""
    return china_time(moment).date()
