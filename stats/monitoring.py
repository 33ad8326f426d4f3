"""Daily monitoring (日监测) and the weekly bulletin of late units (周通报), seed 003's "日监测、周通报、月调度".

:func:`dashboard` is what the console's statistics page shows: today's intake, the open orders due soon and
overdue by unit, the last 30 days' trend and mix. :func:`weekly_bulletin` names the units whose orders fell due in
a week and were not replied in time. Both are a handful of GROUP BY queries, scoped by a region prefix.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from hotline.clock import local_date, utcnow
from work_orders.lifecycle import HANDLING_STATES, TYPES
from work_orders.models import HandlingUnit, WorkOrder
from work_orders.queues import DUE_SOON

from .metrics import breakdown, in_scope, ratio, received_in
from .periods import Period, week_of

WO = WorkOrder
TREND_DAYS = 30
TOP_UNITS = 15


def local_day(session: Session, column):
    """The China-time calendar day of a stored UTC moment, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")


def _day_key(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _per_day(session: Session, column, period: Period, where: list) -> dict[str, int]:
    start, end = period.bounds()
    day = local_day(session, column)
    rows = session.execute(select(day, func.count()).where(column >= start, column < end, *where).group_by(day)).all()
    return {_day_key(d): int(n) for d, n in rows}


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def units_due(session: Session, where: list, now: datetime, limit: int = TOP_UNITS) -> list[dict]:
    """Open orders at the units: overdue and due within 48 h, the units with most overdue first."""
    handling = WO.state.in_(HANDLING_STATES)
    overdue = WO.due_at < now
    soon = and_(WO.due_at >= now, WO.due_at < now + DUE_SOON)
    rows = session.execute(
        select(HandlingUnit.id, HandlingUnit.name, HandlingUnit.region, _count(overdue), _count(soon), func.count())
        .join(HandlingUnit, HandlingUnit.id == WO.unit_id)
        .where(handling, *where)
        .group_by(HandlingUnit.id, HandlingUnit.name, HandlingUnit.region)
    ).all()
    items = [
        {"unit_id": i, "name": name, "region": region, "overdue": int(o), "due_soon": int(s), "open": int(n)}
        for i, name, region, o, s, n in rows
    ]
    items.sort(key=lambda u: (-u["overdue"], -u["due_soon"], u["name"]))
    return [u for u in items if u["overdue"] or u["due_soon"]][:limit]


def dashboard(
    session: Session, region_prefix: str = "", domain: str | None = None, now: datetime | None = None
) -> dict:
    now = now or utcnow()
    where = in_scope(region_prefix, domain)
    today = Period(local_date(now), local_date(now))
    trend = Period(today.start - timedelta(days=TREND_DAYS - 1), today.end)
    # the 30 days' intake in one pass: per day, type, domain and channel (today's intake is its last day)
    day = local_day(session, WO.received_at)
    intake = [
        {"day": _day_key(d), "order_type": t, "domain": dom, "channel": c, "count": int(n)}
        for d, t, dom, c, n in session.execute(
            select(day, WO.order_type, WO.domain, WO.channel, func.count())
            .where(*received_in(trend), *where)
            .group_by(day, WO.order_type, WO.domain, WO.channel)
        ).all()
    ]
    todays = [row for row in intake if row["day"] == today.start.isoformat()]
    by_type: dict[str, int] = {}
    for row in todays:
        by_type[row["order_type"]] = by_type.get(row["order_type"], 0) + row["count"]
    start, end = today.bounds()
    completed_today = session.scalar(
        select(func.count()).where(WO.completed_at >= start, WO.completed_at < end, *where)
    )
    # open orders now: waiting for dispatch past their deadline, at the units overdue or due soon
    open_now = session.execute(
        select(
            _count(and_(WO.state.in_(HANDLING_STATES), WO.due_at < now)),
            _count(and_(WO.state.in_(HANDLING_STATES), WO.due_at >= now, WO.due_at < now + DUE_SOON)),
            _count(and_(WO.state.in_(("received", "classified", "escalated", "returned")), WO.dispatch_due < now)),
            _count(WO.state.in_(("received", "classified", "escalated", "returned"))),
        ).where(WO.state.in_((*HANDLING_STATES, "received", "classified", "escalated", "returned")), *where)
    ).one()
    received: dict[str, int] = {}
    for row in intake:
        received[row["day"]] = received.get(row["day"], 0) + row["count"]
    completed = _per_day(session, WO.completed_at, trend, where)
    days = [(trend.start + timedelta(days=i)).isoformat() for i in range(trend.days)]
    mix_rows = intake
    return {
        "now": now.isoformat(),
        "scope": {"region": region_prefix, "domain": domain or ""},
        "today": {
            "date": today.start.isoformat(),
            "received": sum(by_type.values()),
            "by_type": [{"key": k, "label": TYPES.get(k, k), "count": by_type.get(k, 0)} for k in TYPES],
            "by_channel": [
                {"key": x["key"], "label": x["label"], "count": x["count"]}
                for x in breakdown("channel", todays, [], [])
            ],
            "completed": int(completed_today or 0),
        },
        "open": {
            "overdue": int(open_now[0]),
            "due_soon": int(open_now[1]),
            "dispatch_overdue": int(open_now[2]),
            "waiting_dispatch": int(open_now[3]),
        },
        "units": units_due(session, where, now),
        "trend": {
            "start": trend.start.isoformat(),
            "end": trend.end.isoformat(),
            "days": days,
            "received": [received.get(d, 0) for d in days],
            "completed": [completed.get(d, 0) for d in days],
        },
        "mix": {
            dim: [{"key": x["key"], "label": x["label"], "count": x["count"]} for x in breakdown(dim, mix_rows, [], [])]
            for dim in ("order_type", "domain", "channel")
        },
    }


def weekly_bulletin(
    session: Session, region_prefix: str = "", week: date | None = None, now: datetime | None = None
) -> dict:
    """周通报: the units whose orders fell due in a Monday-to-Sunday week (the last full week by default) and were
    replied late or not at all, most late first, with the week's totals and a summary sentence."""
    now = now or utcnow()
    period = week_of(week) if week else week_of(local_date(now) - timedelta(days=7))
    start, end = period.bounds()
    where = in_scope(region_prefix)
    late = or_(WO.completed_at > WO.due_at, and_(WO.completed_at.is_(None), WO.due_at < now))
    still_open = and_(WO.completed_at.is_(None), WO.due_at < now)
    rows = session.execute(
        select(HandlingUnit.id, HandlingUnit.name, HandlingUnit.region, func.count(), _count(late), _count(still_open))
        .join(HandlingUnit, HandlingUnit.id == WO.unit_id)
        .where(WO.due_at >= start, WO.due_at < end, WO.reject_reason == "", *where)
        .group_by(HandlingUnit.id, HandlingUnit.name, HandlingUnit.region)
    ).all()
    units = [
        {
            "unit_id": i,
            "name": name,
            "region": region,
            "due": int(due),
            "late": int(n_late),
            "still_open": int(n_open),
            "late_rate": ratio(int(n_late), int(due)),
        }
        for i, name, region, due, n_late, n_open in rows
    ]
    late_units = sorted((u for u in units if u["late"]), key=lambda u: (-u["late"], -(u["late_rate"] or 0), u["name"]))
    due_total, late_total = sum(u["due"] for u in units), sum(u["late"] for u in units)
    span = f"{period.start.month}月{period.start.day}日至{period.end.month}月{period.end.day}日"
    if late_units:
        named = "、".join(f"{u['name']}{u['late']}件" for u in late_units[:10])
        summary = (
            f"{span}，到期工单{due_total}件，超期{late_total}件，涉及{len(late_units)}个承办单位：{named}。"
            f"请相关单位加快办理，超期未办结的工单按第二十七条报送督办。"
        )
    else:
        summary = f"{span}，到期工单{due_total}件，均按期办结回复。"
    return {
        "week": period.as_dict(),
        "scope": {"region": region_prefix},
        "due": due_total,
        "late": late_total,
        "late_rate": ratio(late_total, due_total),
        "units": late_units,
        "summary": summary,
        "generated_at": now.isoformat(),
    }
