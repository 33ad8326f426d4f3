"""The periodic SLA sweep (第二十七条) and the retention purge (第三十条).

Each step is one ``UPDATE ... WHERE <flag> IS NULL AND <deadline> < now RETURNING id``: the row lock and the
re-checked condition make a second sweeper (another replica, or a re-run) find nothing left to mark, so every
reminder and overdue report is written exactly once. Deadlines are compared with ``<`` against stored columns,
so a sweep that did not run for a while catches up on everything it missed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, delete, insert, select, update

from hotline.db import Database

from . import messages
from .attachments import AttachmentStore
from .lifecycle import HANDLING_STATES, STATES
from .models import Attachment, Notice, WorkOrder, WorkOrderEvent

log = logging.getLogger(__name__)

REMIND_BEFORE = timedelta(hours=24)
ORDER_RETENTION_YEARS = 5  # 第三十条: 工单电子数据或文字材料存档期限不少于五年
RECORDING_RETENTION_YEARS = 1  # 第三十条: 录音资料存档期限不少于一年


def _years_before(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _mark(s, flag, condition, now: datetime) -> list[tuple]:
    stmt = (
        update(WorkOrder)
        .where(flag.is_(None), condition)
        .values({flag: now, WorkOrder.updated_at: now})
        .returning(WorkOrder.id, WorkOrder.number, WorkOrder.unit_id, WorkOrder.region, WorkOrder.state)
    )
    return s.execute(stmt.execution_options(synchronize_session=False)).all()


def sweep(db: Database, now: datetime) -> dict:
    stats = {}
    notices: list[dict] = []
    events: list[dict] = []
    with db.session() as s:
        rows = _mark(
            s,
            WorkOrder.reminded_at,
            and_(WorkOrder.state.in_(HANDLING_STATES), WorkOrder.due_at >= now, WorkOrder.due_at < now + REMIND_BEFORE),
            now,
        )
        for oid, number, unit_id, _region, _state in rows:
            notices.append(
                dict(
                    order_id=oid,
                    recipient=f"unit:{unit_id}",
                    kind="reminder",
                    created_at=now,
                    message=messages.due_soon(number, REMIND_BEFORE),
                )
            )
        stats["reminded"] = len(rows)

        rows = _mark(s, WorkOrder.overdue_at, and_(WorkOrder.state.in_(HANDLING_STATES), WorkOrder.due_at < now), now)
        for oid, number, unit_id, region, state in rows:
            notices.append(
                dict(
                    order_id=oid,
                    recipient=f"unit:{unit_id}",
                    kind="overdue",
                    created_at=now,
                    message=f"工单{number}办理期限已届满仍未办结回复，请立即办理（第二十七条）",
                )
            )
            notices.append(
                dict(
                    order_id=oid,
                    recipient=f"supervisor:{region}",
                    kind="overdue_report",
                    created_at=now,
                    message=f"工单{number}超期未办结，报请交通运输主管部门协调处理",
                )
            )
            events.append(
                dict(
                    order_id=oid,
                    at=now,
                    actor="system",
                    action="overdue",
                    from_state=state,
                    to_state=state,
                    note="办理超期，已提醒承办单位并报主管部门",
                )
            )
        stats["overdue"] = len(rows)

        rows = _mark(
            s,
            WorkOrder.dispatch_overdue_at,
            and_(
                WorkOrder.state.in_(("received", "classified", "escalated", "returned")), WorkOrder.dispatch_due < now
            ),
            now,
        )
        for oid, number, _unit, region, state in rows:
            notices.append(
                dict(
                    order_id=oid,
                    recipient=f"supervisor:{region}",
                    kind="dispatch_overdue",
                    created_at=now,
                    message=messages.dispatch_overdue(number, STATES[state]),
                )
            )
            events.append(
                dict(
                    order_id=oid,
                    at=now,
                    actor="system",
                    action="dispatch_overdue",
                    from_state=state,
                    to_state=state,
                    note=messages.dispatch_overdue_note(),
                )
            )
        stats["dispatch_overdue"] = len(rows)

        rows = _mark(
            s,
            WorkOrder.callback_overdue_at,
            and_(
                WorkOrder.state.in_(("answered", "replied")),
                WorkOrder.callback_required.is_(True),
                WorkOrder.callback_due < now,
            ),
            now,
        )
        for oid, number, _unit, _region, state in rows:
            notices.append(
                dict(
                    order_id=oid,
                    recipient="center",
                    kind="callback_overdue",
                    created_at=now,
                    message=messages.callback_overdue(number),
                )
            )
        stats["callback_overdue"] = len(rows)
        # one multi-row INSERT each: a backlog of thousands stays one round trip
        if notices:
            s.execute(insert(Notice), notices)
        if events:
            s.execute(insert(WorkOrderEvent), [dict(e, data={}) for e in events])
    if any(stats.values()):
        log.info("SLA sweep: %s", stats)
    return stats


def purge(
    db: Database,
    now: datetime,
    attachments_dir: Path | None = None,
    order_years: int = ORDER_RETENTION_YEARS,
    recording_years: int = RECORDING_RETENTION_YEARS,
) -> dict:
    """Delete what is past retention and nothing younger: archived orders older than ``order_years`` after
    archiving, and call recordings older than ``recording_years``. Shorter periods than the law's are refused."""
    if order_years < ORDER_RETENTION_YEARS or recording_years < RECORDING_RETENTION_YEARS:
        raise ValueError("retention may not be shorter than 第三十条 requires (orders 5 years, recordings 1 year)")
    order_cutoff = _years_before(now, order_years)
    recording_cutoff = _years_before(now, recording_years)
    with db.session() as s:
        recordings = s.scalars(
            select(Attachment).where(
                Attachment.kind == "recording", Attachment.purged_at.is_(None), Attachment.created_at < recording_cutoff
            )
        ).all()
        for att in recordings:
            _unlink(attachments_dir, att.ref)
            att.purged_at = now
        old_ids = s.scalars(
            select(WorkOrder.id).where(WorkOrder.state == "archived", WorkOrder.archived_at < order_cutoff)
        ).all()
        for att in s.scalars(select(Attachment).where(Attachment.order_id.in_(old_ids))) if old_ids else ():
            _unlink(attachments_dir, att.ref)
        for table in (Attachment, Notice, WorkOrderEvent):
            if old_ids:
                s.execute(delete(table).where(table.order_id.in_(old_ids)))
        if old_ids:
            s.execute(delete(WorkOrder).where(WorkOrder.id.in_(old_ids)))
    stats = {"orders_deleted": len(old_ids), "recordings_deleted": len(recordings)}
    log.info("retention purge: %s", stats)
    return stats


def _unlink(base: Path | None, ref: str) -> None:
    if base is not None:
        AttachmentStore(base).delete(ref)
