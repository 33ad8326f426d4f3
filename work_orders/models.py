"""Tables of the work-order lifecycle: units, orders, their audit trail, attachments, notices, calendar."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, UTCDateTime
from hotline.privacy import mask_pii

TS = UTCDateTime()


class HandlingUnit(Base):
    """承办单位 (第二十条): who answers for which domains in which region."""

    __tablename__ = "wo_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region: Mapped[str] = mapped_column(String(60), default="")
    domains: Mapped[list] = mapped_column(JSON, default=list)
    duties: Mapped[str] = mapped_column(Text, default="")
    # the 本级交通运输主管部门 itself: receives safety-production matters at once (第二十一条)
    is_authority: Mapped[bool] = mapped_column(Boolean, default=False)
    contact: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WorkOrder(Base):
    __tablename__ = "wo_order"
    __table_args__ = (
        Index("ix_wo_state_dispatch_due", "state", "dispatch_due"),
        Index("ix_wo_state_due", "state", "due_at"),
        # the callback queue and sweep filter on callback_required too (400 ms -> 20 ms at 1M orders)
        Index("ix_wo_state_callback_required_due", "state", "callback_required", "callback_due"),
        # supervisors see a region prefix (region LIKE '河南省%'); pattern ops make LIKE use the index under
        # a non-C collation (0.8 s -> 27 ms for the supervisor's counts at 1M orders)
        Index("ix_wo_region_prefix", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
        Index("ix_wo_unit_state", "unit_id", "state"),
        Index("ix_wo_caller_user", "caller_user"),
        # statistics (issue 17): a period's intake, a unit's orders of a month, completions per day
        Index("ix_wo_received_at", "received_at"),
        Index("ix_wo_unit_dispatched", "unit_id", "dispatched_at"),
        Index("ix_wo_completed_at", "completed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    payload_hash: Mapped[str] = mapped_column(String(64), default="")
    order_type: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str] = mapped_column(String(20), default="其他")
    channel: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(60), default="")
    state: Mapped[str] = mapped_column(String(30), default="received")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    caller_name: Mapped[str] = mapped_column(String(60), default="")
    caller_phone: Mapped[str] = mapped_column(String(30), default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    caller_user: Mapped[str] = mapped_column(String(120), default="")  # channel identity, e.g. wechat:<openid>
    external_id: Mapped[str] = mapped_column(String(64), default="")  # the 12345 order id of a transfer

    title: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(200), default="")  # 投诉对象: plate, company, route, ship...
    # title and target with phone and ID numbers masked: what roles that do not see contact data search in
    # (searching the raw text let a supervisor recover masked digits one query at a time); kept by the ORM
    search_masked: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[str] = mapped_column(Text, default="")
    demand: Mapped[str] = mapped_column(Text, default="")  # reason / what the caller asks for
    location: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[str] = mapped_column(String(60), default="")
    safety: Mapped[bool] = mapped_column(Boolean, default=False)  # 安全生产 (第二十一条)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)

    unit_id: Mapped[int | None] = mapped_column(ForeignKey("wo_unit.id"))
    reject_reason: Mapped[str] = mapped_column(String(40), default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    extension_used: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_required: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_result: Mapped[str] = mapped_column(String(30), default="")
    rating: Mapped[str] = mapped_column(String(30), default="")
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    # a supervisor's verdict on the reply (评分办法: reply quality): "" not reviewed, "ok", "poor"
    reply_flag: Mapped[str] = mapped_column(String(10), default="")
    lookup_failures: Mapped[int] = mapped_column(Integer, default=0)
    lookup_locked_until: Mapped[datetime | None] = mapped_column(TS)

    received_at: Mapped[datetime] = mapped_column(TS)
    dispatch_due: Mapped[datetime | None] = mapped_column(TS)
    dispatched_at: Mapped[datetime | None] = mapped_column(TS)
    accepted_at: Mapped[datetime | None] = mapped_column(TS)  # 签收 by the unit (statistics: on-time acceptance)
    return_due: Mapped[datetime | None] = mapped_column(TS)
    due_at: Mapped[datetime | None] = mapped_column(TS)  # handling deadline (with extension)
    completed_at: Mapped[datetime | None] = mapped_column(TS)
    callback_due: Mapped[datetime | None] = mapped_column(TS)
    callback_at: Mapped[datetime | None] = mapped_column(TS)  # when the callback (回访) was made
    province_copied_at: Mapped[datetime | None] = mapped_column(TS)
    province_review_due: Mapped[datetime | None] = mapped_column(TS)
    province_reviewed_at: Mapped[datetime | None] = mapped_column(TS)
    archived_at: Mapped[datetime | None] = mapped_column(TS)
    reminded_at: Mapped[datetime | None] = mapped_column(TS)
    overdue_at: Mapped[datetime | None] = mapped_column(TS)
    dispatch_overdue_at: Mapped[datetime | None] = mapped_column(TS)
    callback_overdue_at: Mapped[datetime | None] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


def search_masked(title: str | None, target: str | None) -> str:
    return mask_pii(title or "") + "\n" + mask_pii(target or "")


@event.listens_for(WorkOrder, "before_insert")
def _mask_on_insert(mapper, connection, order: WorkOrder) -> None:
    order.search_masked = search_masked(order.title, order.target)


@event.listens_for(WorkOrder, "before_update")
def _mask_on_update(mapper, connection, order: WorkOrder) -> None:
    state = inspect(order)
    if state.attrs.title.history.has_changes() or state.attrs.target.history.has_changes():
        order.search_masked = search_masked(order.title, order.target)


class WorkOrderEvent(Base):
    """The audit trail: every change of an order (who, when, from, to, why)."""

    __tablename__ = "wo_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("wo_order.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(30), default="")
    to_state: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class OrderReturn(Base):
    """A unit's return of an order (第二十二条): the order leaves the unit (``unit_id`` is cleared), so who returned
    it is kept here for the unit scores (statistics)."""

    __tablename__ = "wo_return"
    __table_args__ = (Index("ix_wo_return_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("wo_order.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(TS)


class Attachment(Base):
    """Evidence: a photo or voice message (stored file or channel media id) or a call recording."""

    __tablename__ = "wo_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("wo_order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # photo | voice | recording | file
    name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(80), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    ref: Mapped[str] = mapped_column(String(300))  # path under var/attachments or a channel media id
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(TS)


class Notice(Base):
    """Outbox of notices: reminders to units, overdue reports to the supervising department (第二十七条),
    and state changes for the caller. Channels deliver them and set ``sent_at``."""

    __tablename__ = "wo_notice"
    __table_args__ = (Index("ix_wo_notice_pending", "recipient", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("wo_order.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(
        String(120)
    )  # unit:<id> | supervisor:<region> | caller:<identity> | province
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(TS)


class CalendarOverride(Base):
    __tablename__ = "wo_calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    author: Mapped[str] = mapped_column(String(80), default="")


class OrderSequence(Base):
    """Per-day counter behind human-readable order numbers (20260930-00012)."""

    __tablename__ = "wo_sequence"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
