"""Deadlines of the 管理办法 as pure functions of a moment, an order type and a working-day calendar.

The results are stored on the order (columns), so queues and the SLA sweep are plain indexed queries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.clock import local_date

from .calendar import WorkCalendar, end_of_day

# 第二十三条: 信息咨询 3, 意见建议 5, 投诉举报 10 working days from the unit's receipt of the order.
HANDLING_DAYS = {"consultation": 3, "suggestion": 5, "complaint": 10}
DISPATCH_HOURS = 24  # 第十七条 / 第十八条: dispatch or escalate within 24 h, postponed over non-working days
RETURN_HOURS = 24  # 第二十二条: a unit returns an order that is not its duty within 24 h
SAFETY_DISPATCH = timedelta(hours=1)  # 第二十一条: safety-production matters are dispatched immediately
MAX_EXTENSION_DAYS = 10  # 第二十四条
CALLBACK_DAYS = 5  # 第二十九条
PROVINCE_REVIEW_DAYS = 5  # 第二十五条


def dispatch_due(received_at: datetime, cal: WorkCalendar, safety: bool = False) -> datetime:
    if safety:
        return received_at + SAFETY_DISPATCH
    return cal.add_working_hours(received_at, DISPATCH_HOURS)


def return_due(dispatched_at: datetime, cal: WorkCalendar) -> datetime:
    return cal.add_working_hours(dispatched_at, RETURN_HOURS)


def handling_due(dispatched_at: datetime, order_type: str, cal: WorkCalendar) -> datetime:
    return end_of_day(cal.add_working_days(local_date(dispatched_at), HANDLING_DAYS[order_type]))


def extended_due(current_due: datetime, days: int, cal: WorkCalendar) -> datetime:
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValueError(f"extension must be 1..{MAX_EXTENSION_DAYS} working days")
    return end_of_day(cal.add_working_days(local_date(current_due), days))


def callback_due(completed_at: datetime, cal: WorkCalendar) -> datetime:
    return end_of_day(cal.add_working_days(local_date(completed_at), CALLBACK_DAYS))


def province_review_due(completed_at: datetime, cal: WorkCalendar) -> datetime:
    return end_of_day(cal.add_working_days(local_date(completed_at), PROVINCE_REVIEW_DAYS))
