"""Metrics over work orders and conversations for a period, a region and a 业务领域 (第三十一条, issue 17).

The stable entry point is :func:`compute`; the report builders (DOCX/PDF/XLSX) and the API call it::

    compute(session, date(2026, 10, 1), date(2026, 10, 31), region_prefix="河南省新乡市", domain=None, now=None)

It returns a plain dict (JSON-ready, keys below) and never changes the database. Everything is a SQL aggregate
(GROUP BY / SUM(CASE …)) over the orders *received* in the period (the period's cohort), so the cost grows with
the groups, not the rows. Deadlines are the stored columns the working-day calendar computed when the order moved
(work_orders.deadlines), so "on time" here is exactly what the SLA sweep enforces.

Keys of the result:

- ``period``, ``previous`` (环比: the period of the same length before; a whole month → the month before),
  ``last_year`` (同比): ``{"start", "end", "days"}``; ``working_days`` of the period (the work-order calendar).
- ``scope``: ``{"region", "domain"}`` as applied (``region`` is a prefix: 河南省 covers 河南省新乡市…).
- ``total``: a :func:`compared` figure: ``{"count", "previous", "last_year", "mom", "yoy"}`` (``mom``/``yoy`` are
  relative changes, 0.25 = +25 %, None where the earlier figure is 0).
- ``by_type``, ``by_domain``, ``by_channel``, ``by_region``: lists of compared figures with ``key`` and ``label``,
  largest first.
- ``cube``: this period's counts by order type × domain × channel × region (``{"order_type", "domain",
  "channel", "region", "count"}``).
- ``rates``: ``{name: {"label", "numerator", "denominator", "rate"}}`` for the names of :data:`RATES` (``rate``
  None without a denominator); ``ratings``: counts of 满意 / 基本满意 / 不满意; ``counts``: received, dispatched,
  completed, rejected, open, repeat_complaints.
- ``assistant``: the assistant's own figures (web chat answers with a citation, knowledge gaps refused /
  clarified, handoffs to operators) — see :func:`assistant_figures` for what each counts.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from channels.history import ChatTurn
from handoff.models import Handoff
from hotline import channels
from hotline.clock import utcnow
from knowledge_base.models import KnowledgeGap
from work_orders.calendar import WorkCalendar
from work_orders.deadlines import CALLBACK_DAYS, DISPATCH_HOURS
from work_orders.lifecycle import OPEN_STATES, TYPES
from work_orders.models import CalendarOverride, OrderReturn, WorkOrder

from .periods import Period

WO = WorkOrder  # short for the many column references below

# name → (Chinese label, definition shown in the README and the page)
RATES = {
    "dispatch_on_time": (
        "按时转办率",
        f"{DISPATCH_HOURS}小时内（非工作日顺延）转办或报请上级的工单 ÷ 已转办及转办期限已过的工单",
    ),
    "completed_on_time": ("按期办结率", "在办理期限（含延期）内办结回复 ÷ 已办结及期限已过的转办工单"),
    "instant_answer": ("即时答复率", "座席即时答复（未转办）的信息咨询 ÷ 受理的信息咨询（不含不予受理）"),
    "callback_on_time": ("按期回访率", f"办结后{CALLBACK_DAYS}个工作日内完成回访 ÷ 须回访且已回访或回访期限已过的工单"),
    "satisfaction": ("满意率", "满意与基本满意 ÷ 有评价的工单"),
    "overdue": ("超期率", "超过办理期限办结或至今未办结 ÷ 有办理期限的转办工单"),
    "returned": ("退回率", "被承办单位退回过的工单 ÷ 转办过的工单"),
    "extended": ("延期率", "批准延期的工单 ÷ 转办过的工单"),
    "repeat_complaints": ("重复投诉率", "同一来电人就同一投诉对象在本期再次投诉的件数 ÷ 投诉举报件数"),
}
GOOD_RATINGS = ("satisfied", "basically_satisfied")


def in_scope(region_prefix: str = "", domain: str | None = None) -> list:
    """The WHERE clauses of a region prefix and a domain."""
    clauses = []
    if region_prefix:
        clauses.append(WO.region.startswith(region_prefix, autoescape=True))
    if domain:
        clauses.append(WO.domain == domain)
    return clauses


def received_in(period: Period) -> list:
    start, end = period.bounds()
    return [WO.received_at >= start, WO.received_at < end]


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def change(current: int, earlier: int) -> float | None:
    return round((current - earlier) / earlier, 4) if earlier else None


def compared(count: int, previous: int, last_year: int) -> dict:
    return {
        "count": count,
        "previous": previous,
        "last_year": last_year,
        "mom": change(count, previous),
        "yoy": change(count, last_year),
    }


# --- counts ----------------------------------------------------------------------------------------------------
def cube(session: Session, period: Period, where: list) -> list[dict]:
    """Counts by order type × domain × channel × region of the orders received in the period."""
    rows = session.execute(
        select(WO.order_type, WO.domain, WO.channel, WO.region, func.count())
        .where(*received_in(period), *where)
        .group_by(WO.order_type, WO.domain, WO.channel, WO.region)
    ).all()
    return [
        {"order_type": t, "domain": d, "channel": c, "region": r, "count": n}
        for t, d, c, r, n in sorted(rows, key=lambda row: -row[4])
    ]


def _totals(rows: list[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row[key]] = out.get(row[key], 0) + row["count"]
    return out


def _label(dimension: str, key: str) -> str:
    if dimension == "order_type":
        return TYPES.get(key, key)
    if dimension == "channel":
        return channels.label(key) if channels.get(key) else key
    return key or "未填地区"


def breakdown(dimension: str, now: list[dict], previous: list[dict], last_year: list[dict]) -> list[dict]:
    cur, prev, ly = _totals(now, dimension), _totals(previous, dimension), _totals(last_year, dimension)
    keys = sorted(set(cur) | set(prev) | set(ly), key=lambda k: (-cur.get(k, 0), -prev.get(k, 0), k))
    return [
        {"key": k, "label": _label(dimension, k), **compared(cur.get(k, 0), prev.get(k, 0), ly.get(k, 0))} for k in keys
    ]


# --- rates -----------------------------------------------------------------------------------------------------
def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def returned_orders():
    """The orders some unit returned, once each: joined to the orders (a hash join), not looked up row by row."""
    return select(OrderReturn.order_id.label("order_id")).distinct().subquery("returned")


def rate_conditions(now: datetime, returned_orders=None) -> dict[str, tuple]:
    """(numerator, denominator) conditions per rate over one order row; ``returned_orders`` is the subquery of
    :func:`returned_orders` when the query joins it (else a correlated EXISTS)."""
    dispatched = WO.dispatched_at.isnot(None)
    waiting_dispatch = and_(WO.state.in_(("received", "classified", "escalated", "returned")), WO.dispatch_due < now)
    due_known = and_(dispatched, WO.due_at.isnot(None), WO.reject_reason == "")
    late = or_(WO.completed_at > WO.due_at, and_(WO.completed_at.is_(None), WO.due_at < now))
    consultation = and_(WO.order_type == "consultation", WO.reject_reason == "")
    if returned_orders is not None:
        returned = returned_orders.c.order_id.isnot(None)
    else:
        returned = exists().where(OrderReturn.order_id == WO.id)
    callback_due_or_done = and_(
        WO.callback_required.is_(True),
        WO.completed_at.isnot(None),
        or_(WO.callback_at.isnot(None), WO.callback_due < now),
    )
    return {
        "dispatch_on_time": (and_(dispatched, WO.dispatched_at <= WO.dispatch_due), or_(dispatched, waiting_dispatch)),
        "completed_on_time": (
            and_(due_known, WO.completed_at <= WO.due_at),
            and_(due_known, or_(WO.completed_at.isnot(None), WO.due_at < now)),
        ),
        "instant_answer": (
            and_(consultation, WO.completed_at.isnot(None), WO.dispatched_at.is_(None)),
            consultation,
        ),
        "callback_on_time": (and_(callback_due_or_done, WO.callback_at <= WO.callback_due), callback_due_or_done),
        "satisfaction": (WO.rating.in_(GOOD_RATINGS), WO.rating != ""),
        "overdue": (and_(due_known, late), due_known),
        "returned": (and_(dispatched, returned), dispatched),
        "extended": (and_(dispatched, WO.extension_used.is_(True)), dispatched),
    }


def rates(session: Session, period: Period, where: list, now: datetime) -> tuple[dict, dict, dict]:
    returned = returned_orders()
    conditions = rate_conditions(now, returned)
    columns = []
    for numerator, denominator in conditions.values():
        columns += [_count(numerator), _count(denominator)]
    extra = {
        "received": func.count(),
        "dispatched": _count(WO.dispatched_at.isnot(None)),
        "completed": _count(and_(WO.completed_at.isnot(None), WO.reject_reason == "")),
        "rejected": _count(WO.reject_reason != ""),
        "open": _count(WO.state.in_(OPEN_STATES)),
        "complaints": _count(WO.order_type == "complaint"),
        **{r: _count(WO.rating == r) for r in ("satisfied", "basically_satisfied", "dissatisfied")},
    }
    query = select(*columns, *extra.values()).select_from(WO).outerjoin(returned, returned.c.order_id == WO.id)
    row = session.execute(query.where(*received_in(period), *where)).one()
    values = [int(v or 0) for v in row]
    out = {}
    for i, name in enumerate(conditions):
        numerator, denominator = values[2 * i], values[2 * i + 1]
        out[name] = {"label": RATES[name][0], "numerator": numerator, "denominator": denominator}
        out[name]["rate"] = ratio(numerator, denominator)
    counts = dict(zip(extra, values[2 * len(conditions) :], strict=True))
    ratings = {r: counts.pop(r) for r in ("satisfied", "basically_satisfied", "dissatisfied")}
    return out, counts, ratings


def repeat_complaints(session: Session, period: Period, where: list) -> int:
    """Complaints of the period from a caller (phone, else channel identity) about a target the same caller
    already complained about in the period: Σ (n − 1) over (caller, target) groups."""
    caller = func.coalesce(func.nullif(WO.caller_phone, ""), WO.caller_user)
    target = func.lower(func.trim(WO.target))
    groups = (
        select(func.count().label("n"))
        .where(
            *received_in(period),
            *where,
            WO.order_type == "complaint",
            caller != "",
            func.trim(WO.target) != "",
        )
        .group_by(caller, target)
        .subquery()
    )
    return int(session.scalar(select(func.coalesce(func.sum(groups.c.n - 1), 0))) or 0)


# --- the assistant ---------------------------------------------------------------------------------------------
def assistant_figures(session: Session, period: Period) -> dict:
    """The assistant's own figures for the period (conversations carry no region: these are the whole service's).

    - ``questions``, ``answered``: web-chat user turns, and the bot's replies that quote the knowledge base
      (a reply with a citation); the WeChat channels keep no transcript and are not in these two;
    - ``refused``, ``clarified``: askings of knowledge gaps last seen in the period — refused outright, or answered
      with choices (知识缺口; every channel); ``gaps_new``: gaps first seen in the period, ``gaps_open``: still open;
    - ``handoffs``: conversations handed to an operator in the period, ``handoffs_taken`` those an operator took,
      ``handoffs_by_reason``.
    """
    start, end = period.bounds()
    turns = session.execute(
        select(
            _count(ChatTurn.role == "user"),
            _count(and_(ChatTurn.role == "bot", cast(ChatTurn.sources, String) != "[]")),
        ).where(ChatTurn.created_at >= start, ChatTurn.created_at < end)
    ).one()
    gap_seen = and_(KnowledgeGap.last_seen >= start, KnowledgeGap.last_seen < end)
    gaps = session.execute(
        select(
            func.coalesce(func.sum(case((gap_seen, KnowledgeGap.count - KnowledgeGap.clarified), else_=0)), 0),
            func.coalesce(func.sum(case((gap_seen, KnowledgeGap.clarified), else_=0)), 0),
            _count(and_(KnowledgeGap.first_seen >= start, KnowledgeGap.first_seen < end)),
            _count(KnowledgeGap.status == "open"),
        )
    ).one()
    handoffs = session.execute(
        select(Handoff.reason, func.count(), _count(Handoff.taken_at.isnot(None)))
        .where(Handoff.created_at >= start, Handoff.created_at < end)
        .group_by(Handoff.reason)
    ).all()
    return {
        "questions": int(turns[0]),
        "answered": int(turns[1]),
        "refused": int(gaps[0]),
        "clarified": int(gaps[1]),
        "gaps_new": int(gaps[2]),
        "gaps_open": int(gaps[3]),
        "handoffs": sum(int(n) for _, n, _ in handoffs),
        "handoffs_taken": sum(int(t) for _, _, t in handoffs),
        "handoffs_by_reason": {reason: int(n) for reason, n, _ in handoffs},
    }


def working_days(session: Session, period: Period) -> int:
    overrides = {d: w for d, w in session.execute(select(CalendarOverride.day, CalendarOverride.workday)).all()}
    return sum(1 for _ in WorkCalendar(overrides).working_days(period.start, period.end))


# --- the entry point -------------------------------------------------------------------------------------------
def compute(
    session: Session,
    period_start: date,
    period_end: date,
    region_prefix: str = "",
    domain: str | None = None,
    now: datetime | None = None,
) -> dict:
    """Every metric of the period (see the module docstring for the keys). ``now`` decides what is overdue."""
    now = now or utcnow()
    period = Period(period_start, period_end)
    previous, last_year = period.previous(), period.last_year()
    where = in_scope(region_prefix, domain)
    current = cube(session, period, where)
    before, year_ago = cube(session, previous, where), cube(session, last_year, where)
    rate_table, counts, ratings = rates(session, period, where, now)
    counts["repeat_complaints"] = repeat_complaints(session, period, where)
    rate_table["repeat_complaints"] = {
        "label": RATES["repeat_complaints"][0],
        "numerator": counts["repeat_complaints"],
        "denominator": counts["complaints"],
        "rate": ratio(counts["repeat_complaints"], counts["complaints"]),
    }
    total = lambda rows: sum(r["count"] for r in rows)  # noqa: E731
    return {
        "period": period.as_dict(),
        "previous": previous.as_dict(),
        "last_year": last_year.as_dict(),
        "working_days": working_days(session, period),
        "scope": {"region": region_prefix, "domain": domain or ""},
        "total": compared(total(current), total(before), total(year_ago)),
        "by_type": breakdown("order_type", current, before, year_ago),
        "by_domain": breakdown("domain", current, before, year_ago),
        "by_channel": breakdown("channel", current, before, year_ago),
        "by_region": breakdown("region", current, before, year_ago),
        "cube": current,
        "rates": rate_table,
        "ratings": ratings,
        "counts": counts,
        "assistant": assistant_figures(session, period),
        "computed_at": now.isoformat(),
    }


def definitions() -> dict[str, dict[str, str]]:
    """The rates' labels and definitions (for the page and the exports)."""
    return {name: {"label": label, "definition": text} for name, (label, text) in RATES.items()}
