"""A queue as a file (CSV or XLSX) with every field of its orders, masked exactly as the viewer sees them
(present.order_dict: contact data only for the operators and the handling unit, nothing of an anonymous caller
outside the operators), timestamps in China time to the minute (2026-11-30 11:45)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select

from hotline import channels
from hotline.db import Database
from hotline.tabular import csv_text, moment, xlsx_bytes

from .lifecycle import CALLBACK_RESULTS, RATINGS
from .models import HandlingUnit, WorkOrder
from .present import order_dict
from .queues import QUEUES, order_by, queue_where

MAX_ROWS = 50000
REPLY_FLAGS = {"": "", "ok": "合格", "poor": "不合格"}

# (label, how to read it from (order row, the viewer's masked dict))
COLUMNS = (
    ("工单编号", lambda o, d: d["number"]),
    ("类型", lambda o, d: d["order_type_label"]),
    ("业务领域", lambda o, d: d["domain"]),
    ("来源渠道", lambda o, d: channels.label(o.channel) if channels.get(o.channel) else o.channel),
    ("地区", lambda o, d: d["region"]),
    ("状态", lambda o, d: d["state_label"]),
    ("标题", lambda o, d: d["title"]),
    ("投诉对象", lambda o, d: d["target"]),
    ("反映内容", lambda o, d: d["facts"]),
    ("诉求", lambda o, d: d["demand"]),
    ("发生地点", lambda o, d: d["location"]),
    ("发生时间", lambda o, d: d["occurred_at"]),
    ("来电人", lambda o, d: d["caller_name"]),
    ("联系电话", lambda o, d: d["caller_phone"]),
    ("匿名", lambda o, d: d["anonymous"]),
    ("涉及安全生产", lambda o, d: d["safety"]),
    ("紧急", lambda o, d: d["urgent"]),
    ("12345工单号", lambda o, d: d["external_id"]),
    ("承办单位", lambda o, d: d["unit_name"]),
    ("受理时间", lambda o, d: moment(o.received_at)),
    ("转办期限", lambda o, d: moment(o.dispatch_due)),
    ("转办时间", lambda o, d: moment(o.dispatched_at)),
    ("签收时间", lambda o, d: moment(o.accepted_at)),
    ("办理期限", lambda o, d: moment(o.due_at)),
    ("办结时间", lambda o, d: moment(o.completed_at)),
    ("答复内容", lambda o, d: d["reply"]),
    ("不予受理理由", lambda o, d: d["reject_reason_label"]),
    ("延期天数", lambda o, d: d["extension_days"] if d["extension_used"] else 0),
    ("延期理由", lambda o, d: d["extension_reason"] if d["extension_used"] else ""),
    ("是否延期", lambda o, d: d["extension_used"]),
    ("须回访", lambda o, d: d["callback_required"]),
    ("回访期限", lambda o, d: moment(o.callback_due)),
    ("回访时间", lambda o, d: moment(o.callback_at)),
    ("回访结果", lambda o, d: CALLBACK_RESULTS.get(o.callback_result, o.callback_result)),
    ("评价", lambda o, d: RATINGS.get(o.rating, o.rating)),
    ("评价意见", lambda o, d: d["rating_comment"]),
    ("答复质量", lambda o, d: REPLY_FLAGS.get(o.reply_flag, o.reply_flag)),
    ("是否超期", lambda o, d: d["overdue"]),
    ("归档时间", lambda o, d: moment(o.archived_at)),
)
HEADER = [label for label, _ in COLUMNS]


def rows(db: Database, viewer, name: str, now: datetime, q: str = "", limit: int = MAX_ROWS) -> Iterator[list]:
    """The queue's orders (in the queue's order, at most ``limit``), one list of cells per order. An unknown
    queue raises here, before any row is read."""
    where = queue_where(viewer, name, now, q)
    return _rows(db, viewer, select(WorkOrder).where(*where).order_by(*order_by(name)).limit(limit))


def _rows(db: Database, viewer, query) -> Iterator[list]:
    with db.session() as s:
        units = {u.id: u for u in s.scalars(select(HandlingUnit))}
        for order in s.scalars(query.execution_options(yield_per=1000)):
            shown = order_dict(order, viewer, unit=units.get(order.unit_id), full=True)
            yield [read(order, shown) for _, read in COLUMNS]


def export(db: Database, viewer, name: str, now: datetime, fmt: str = "csv", q: str = "") -> bytes:
    """The file's bytes: ``fmt`` "csv" (UTF-8 with BOM) or "xlsx"."""
    table = rows(db, viewer, name, now, q)
    if fmt == "xlsx":
        return xlsx_bytes([(QUEUES[name], HEADER, table)])
    return csv_text(HEADER, table).encode("utf-8")
