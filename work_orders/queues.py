"""The console's queues, each one indexed query scoped to what the viewer may see."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import and_, false, func, or_, select, true

from hotline.db import Database

from .errors import WorkOrderError
from .lifecycle import HANDLING_STATES
from .models import HandlingUnit, WorkOrder
from .orders import PHONE_RE
from .present import order_dict

QUEUES = {
    "new": "待分类转办",
    "due_soon": "即将到期",
    "overdue": "已超期",
    "returned": "被退回",
    "callback": "待回访",
    "extension": "延期待审批",
    "unit": "本单位在办",
    "all": "全部",
}
DUE_SOON = timedelta(hours=48)
NUMBER_RE = re.compile(r"^\d{8}-\d{5}$")


def _queue_filter(name: str, now: datetime):
    if name == "new":
        return WorkOrder.state.in_(("received", "classified", "escalated"))
    if name == "due_soon":
        return and_(WorkOrder.state.in_(HANDLING_STATES), WorkOrder.due_at >= now, WorkOrder.due_at < now + DUE_SOON)
    if name == "overdue":
        return or_(
            and_(WorkOrder.state.in_(HANDLING_STATES), WorkOrder.due_at < now),
            and_(
                WorkOrder.state.in_(("received", "classified", "escalated", "returned")), WorkOrder.dispatch_due < now
            ),
        )
    if name == "returned":
        return WorkOrder.state == "returned"
    if name == "callback":
        return and_(WorkOrder.state.in_(("answered", "replied")), WorkOrder.callback_required.is_(True))
    if name == "extension":
        return WorkOrder.state == "extension_requested"
    if name == "unit":
        return WorkOrder.state.in_(HANDLING_STATES)
    return None


def _scope(viewer):
    roles = viewer.roles
    if "admin" in roles or "operator" in roles:
        return None
    clauses = []
    if "supervisor" in roles:
        clauses.append(
            WorkOrder.region.startswith(viewer.region, autoescape=True) if viewer.region else WorkOrder.id.isnot(None)
        )
    if "unit" in roles and viewer.unit_id is not None:
        clauses.append(WorkOrder.unit_id == viewer.unit_id)
    return or_(*clauses) if clauses else false()


def contact_clause(viewer):
    """The orders whose contact data the viewer sees, in SQL (present.sees_contact, row by row)."""
    roles = viewer.roles
    if "operator" in roles or "system" in roles:
        return true()
    if "unit" in roles and viewer.unit_id is not None:
        return and_(WorkOrder.unit_id == viewer.unit_id, WorkOrder.anonymous.is_(False))
    return false()


def _search(viewer, q: str):
    """``q`` in what the viewer sees: the raw title and target (and the caller's number, given in full) where
    the viewer sees contact data, the masked ones elsewhere. LIKE wildcards in ``q`` are plain characters."""
    if NUMBER_RE.match(q):  # an order number: one unique-index lookup, not a scan of every title
        return WorkOrder.number == q
    raw = [WorkOrder.title.contains(q, autoescape=True), WorkOrder.target.contains(q, autoescape=True)]
    phone = re.sub(r"[\s-]", "", q)
    if PHONE_RE.match(phone):
        raw.append(func.replace(WorkOrder.caller_phone, "-", "") == phone)
    return or_(and_(contact_clause(viewer), or_(*raw)), WorkOrder.search_masked.contains(q, autoescape=True))


def _order_by(name: str):
    if name in ("due_soon", "overdue", "unit", "extension"):
        return (WorkOrder.due_at.asc(), WorkOrder.id)
    if name == "callback":
        return (WorkOrder.callback_due.asc(), WorkOrder.id)
    if name in ("new", "returned"):
        return (WorkOrder.urgent.desc(), WorkOrder.dispatch_due.asc(), WorkOrder.id)
    return (WorkOrder.id.desc(),)


def queue_where(viewer, name: str, now: datetime, q: str = "") -> list:
    """The WHERE clauses of a queue as the viewer sees it (its filter, the viewer's scope, the search)."""
    if name not in QUEUES:
        raise WorkOrderError(f"未知队列：{name}", code="unknown_queue", details={"queues": list(QUEUES)})
    where = [c for c in (_queue_filter(name, now), _scope(viewer)) if c is not None]
    q = (q or "").strip()
    if q:
        where.append(_search(viewer, q))
    return where


def order_by(name: str):
    return _order_by(name)


def queue(
    db: Database, viewer, name: str, now: datetime, page: int = 1, per_page: int = 50, q: str = "", full: bool = False
) -> dict:
    where = queue_where(viewer, name, now, q)
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(WorkOrder).where(*where))
        rows = s.scalars(
            select(WorkOrder)
            .where(*where)
            .order_by(*_order_by(name))
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        ).all()
        unit_ids = {o.unit_id for o in rows if o.unit_id}
        units = (
            {u.id: u for u in s.scalars(select(HandlingUnit).where(HandlingUnit.id.in_(unit_ids)))} if unit_ids else {}
        )
        return {
            "queue": name,
            "label": QUEUES[name],
            "total": total,
            "page": page,
            "items": [order_dict(o, viewer, unit=units.get(o.unit_id), full=full) for o in rows],
        }


def counts(db: Database, viewer, now: datetime) -> dict:
    out = {}
    with db.session() as s:
        for name in QUEUES:
            where = [c for c in (_queue_filter(name, now), _scope(viewer)) if c is not None]
            out[name] = s.scalar(select(func.count()).select_from(WorkOrder).where(*where))
    return out


NEW_STATES = ("received", "classified", "escalated")
# the queue each role works first: its count is the console's badge
BADGE_QUEUE = (("operator", "new"), ("unit", "unit"), ("supervisor", "extension"))


def pulse(db: Database, viewer, now: datetime) -> dict:
    """What the console's live pulse shows of the orders: every queue's count (the same indexed COUNTs as the
    queue tabs; one aggregate with FILTER would scan every row), the count of the viewer's own first queue
    (``attention``), and the urgent or safety orders waiting to be classified and dispatched (their number and
    the newest id, so that the page rings once for a new one)."""
    queue_counts = counts(db, viewer, now)
    roles = ("operator",) if "admin" in viewer.roles else viewer.roles
    first = next((name for role, name in BADGE_QUEUE if role in roles), "all")
    where = [WorkOrder.state.in_(NEW_STATES), or_(WorkOrder.urgent.is_(True), WorkOrder.safety.is_(True))]
    scope = _scope(viewer)
    if scope is not None:
        where.append(scope)
    with db.session() as s:
        urgent, newest = s.execute(select(func.count(), func.max(WorkOrder.id)).where(*where)).one()
    return {"counts": queue_counts, "attention": queue_counts[first], "urgent": urgent, "newest_urgent": newest or 0}
