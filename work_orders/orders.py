"""The order lifecycle: registering an order, reading it, and every action of the lifecycle table
(``states.TRANSITIONS``) with its deadlines, notices to the caller and events; the province review; the
attachment records of an order (the files themselves are in attachments.AttachmentStore).

``OrderLifecycle`` is one part of the ``WorkOrders`` façade (service.py): it uses ``self.db``,
``self.listeners``, ``self.callback_sample_rate`` and ``self.calendar()`` (calendar.WorkingDays). No Flask and
no Rasa here; ``now`` freezes the clock in tests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline import channels
from hotline.clock import aware, local_date, utcnow
from hotline.db import Database
from hotline.errors import NotFound

from . import deadlines, messages
from .calendar import WorkCalendar
from .errors import Forbidden, StaleOrder, WorkOrderError
from .guidance import summary_title
from .lifecycle import (
    CALLBACK_RESULTS,
    DOMAINS,
    EXTENSION_REASONS,
    RATINGS,
    REJECT_REASONS,
    STATES,
    TYPES,
    check_transition,
)
from .models import Attachment, HandlingUnit, Notice, OrderReturn, OrderSequence, WorkOrder, WorkOrderEvent
from .present import guide, order_dict, timeline

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0(?:10|2\d|[3-9]\d{2})-?\d{7,8})$")
LIMITS = {
    "title": 200,
    "target": 200,
    "facts": 5000,
    "demand": 2000,
    "location": 200,
    "occurred_at": 60,
    "caller_name": 60,
    "region": 60,
    "caller_user": 120,
    "external_id": 64,
}
ATTACHMENT_KINDS = {"photo": "照片", "voice": "语音", "recording": "录音", "file": "文件"}


def _clean(data: dict) -> dict:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    order_type = data.get("order_type")
    if order_type not in TYPES:
        errors["order_type"] = f"工单类型须为：{'、'.join(f'{k}（{v}）' for k, v in TYPES.items())}"
    channel = data.get("channel")
    if channels.get(channel) is None:
        errors["channel"] = f"来源渠道须为：{'、'.join(channels.codes())}"
    domain = data.get("domain") or "其他"
    if domain not in DOMAINS:
        errors["domain"] = f"业务领域须为：{'、'.join(DOMAINS)}"
    for field, limit in LIMITS.items():
        value = data.get(field) or ""
        if not isinstance(value, str):
            errors[field] = "须为文本"
            continue
        value = value.strip()
        if len(value) > limit:
            errors[field] = f"不能超过{limit}字"
        out[field] = value
    if not out.get("facts") and not out.get("title"):
        errors["facts"] = "请填写反映的具体内容"
    phone = re.sub(r"\s", "", data.get("caller_phone") or "")
    if phone and not PHONE_RE.match(phone):
        errors["caller_phone"] = "联系电话格式不正确（手机号11位，或区号-座机号）"
    if errors:
        raise WorkOrderError("工单信息有误：" + "；".join(errors.values()), code="invalid_order", details=errors)
    out.update(
        order_type=order_type,
        channel=channel,
        domain=domain,
        caller_phone=phone,
        anonymous=bool(data.get("anonymous")),
        safety=bool(data.get("safety")),
        urgent=bool(data.get("urgent") or data.get("safety")),
    )
    if not out["title"]:
        out["title"] = summary_title(out.get("target", ""), out["facts"], out["facts"][:40])
    return out


def load_order(s: Session, number: str) -> WorkOrder:
    order = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
    if order is None:
        raise NotFound(f"工单 {number} 不存在")
    return order


def can_view(order: WorkOrder, viewer) -> bool:
    roles = viewer.roles
    if "system" in roles or "admin" in roles or "operator" in roles:
        return True
    if "supervisor" in roles and (not viewer.region or (order.region or "").startswith(viewer.region)):
        return True
    return "unit" in roles and viewer.unit_id is not None and order.unit_id == viewer.unit_id


def _fmt(moment: datetime | None) -> str:
    return messages.moment_text(aware(moment))


class OrderLifecycle:
    """Creation, reading and the lifecycle actions of ``WorkOrders`` (see the module docstring)."""

    db: Database
    listeners: list
    callback_sample_rate: float
    calendar: Callable[..., WorkCalendar]  # (session=None), from calendar.WorkingDays

    # --- creation -------------------------------------------------------------------------------------
    def create(
        self, data: dict, actor: str = "system", idempotency_key: str | None = None, now: datetime | None = None
    ) -> tuple[dict, bool]:
        """Register an order; returns (order, created). The same idempotency key returns the first order."""
        now = now or utcnow()
        clean = _clean(data)
        payload_hash = hashlib.sha256(json.dumps(clean, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        if idempotency_key:
            existing = self._by_key(idempotency_key, payload_hash)
            if existing is not None:
                return existing, False
        try:
            with self.db.session() as s:
                cal = self.calendar(s)
                order = WorkOrder(
                    **clean,
                    number=self._next_number(s, now),
                    idempotency_key=idempotency_key,
                    payload_hash=payload_hash,
                    state="received",
                    received_at=now,
                    dispatch_due=deadlines.dispatch_due(now, cal, clean["safety"]),
                    updated_at=now,
                )
                s.add(order)
                s.flush()
                event = WorkOrderEvent(
                    order_id=order.id,
                    at=now,
                    actor=actor,
                    action="create",
                    to_state="received",
                    note=f"{channels.label(order.channel)}受理{TYPES[order.order_type]}",
                )
                s.add(event)
                if order.safety:
                    s.add(
                        Notice(
                            order_id=order.id,
                            recipient="center",
                            kind="safety",
                            created_at=now,
                            message=f"工单{order.number}涉及安全生产，须立即转办本级交通运输主管部门",
                        )
                    )
                self._notify_caller(s, order, "received", now)
                self._emit(s, order, event)
                return order_dict(order, None, full=True), True
        except IntegrityError:
            if idempotency_key:  # a concurrent duplicate won the race: hand back its order
                existing = self._by_key(idempotency_key, payload_hash)
                if existing is not None:
                    return existing, False
            raise

    def _by_key(self, key: str, payload_hash: str) -> dict | None:
        with self.db.session() as s:
            order = s.scalar(select(WorkOrder).where(WorkOrder.idempotency_key == key))
            if order is None:
                return None
            if order.payload_hash != payload_hash:
                raise WorkOrderError(
                    "该幂等键已用于另一份不同内容的工单", code="idempotency_conflict", details={"number": order.number}
                )
            return order_dict(order, None, full=True)

    def _next_number(self, s: Session, now: datetime) -> str:
        day = local_date(now).strftime("%Y%m%d")
        dialect = s.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(OrderSequence).values(day=day, last=1)
        stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={"last": OrderSequence.last + 1})
        seq = s.scalar(stmt.returning(OrderSequence.last))
        return f"{day}-{seq:05d}"

    # --- reading --------------------------------------------------------------------------------------
    def _check_scope(self, order: WorkOrder, viewer) -> None:
        if not can_view(order, viewer):
            raise Forbidden("无权查看或处理该工单")

    def get(self, number: str, viewer) -> dict:
        with self.db.session() as s:
            order = load_order(s, number)
            self._check_scope(order, viewer)
            unit = s.get(HandlingUnit, order.unit_id) if order.unit_id else None
            events = s.scalars(
                select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id).order_by(WorkOrderEvent.id)
            ).all()
            atts = s.scalars(select(Attachment).where(Attachment.order_id == order.id)).all()
            return {
                **order_dict(order, viewer, unit=unit, full=True),
                **guide(order),
                **timeline(order, viewer, events, atts),
            }

    def count(self) -> int:
        with self.db.session() as s:
            return s.scalar(select(func.count(WorkOrder.id))) or 0

    # --- the lifecycle --------------------------------------------------------------------------------
    def act(
        self,
        number: str,
        action: str,
        viewer,
        params: dict | None = None,
        version: int | None = None,
        now: datetime | None = None,
    ) -> dict:
        """Take one action of the lifecycle table on an order. Forbidden moves change nothing."""
        params = params or {}
        now = now or utcnow()
        try:
            with self.db.session() as s:
                order = load_order(s, number)
                self._check_scope(order, viewer)
                if version is not None and version != order.version:
                    raise StaleOrder("工单已被他人修改，请刷新后重试", details={"current_version": order.version})
                transition = check_transition(action, order.state)
                if not any(viewer.has(r) for r in transition.roles):
                    raise Forbidden(f"当前角色无权执行“{transition.label}”")
                before = order.state
                note = getattr(self, f"_do_{action}")(s, order, params, now)
                order.state = transition.target
                order.updated_at = now
                event = WorkOrderEvent(
                    order_id=order.id,
                    at=now,
                    actor=viewer.username,
                    action=action,
                    from_state=before,
                    to_state=order.state,
                    note=note or "",
                    data={k: v for k, v in params.items() if k != "version"},
                )
                s.add(event)
                self._emit(s, order, event)
                unit = s.get(HandlingUnit, order.unit_id) if order.unit_id else None
                return order_dict(order, viewer, unit=unit, full=True)
        except StaleDataError:
            raise StaleOrder("工单已被他人同时修改，请刷新后重试") from None

    def _emit(self, s: Session, order: WorkOrder, event: WorkOrderEvent) -> None:
        s.flush()
        for listener in self.listeners:
            listener(s, order, event)

    def _text(self, params: dict, key: str, label: str, limit: int = 5000) -> str:
        value = (params.get(key) or "").strip() if isinstance(params.get(key) or "", str) else ""
        if not value:
            raise WorkOrderError(f"请填写{label}", code="missing_field", details={key: f"请填写{label}"})
        if len(value) > limit:
            raise WorkOrderError(f"{label}不能超过{limit}字", code="invalid_field", details={key: "过长"})
        return value

    def _do_classify(self, s, order, params, now):
        cal = self.calendar(s)
        changes = []
        if "order_type" in params:
            if params["order_type"] not in TYPES:
                raise WorkOrderError("工单类型无效", code="invalid_field", details={"order_type": "无效"})
            order.order_type = params["order_type"]
            changes.append(TYPES[order.order_type])
        if "domain" in params:
            if params["domain"] not in DOMAINS:
                raise WorkOrderError("业务领域无效", code="invalid_field", details={"domain": "无效"})
            order.domain = params["domain"]
            changes.append(order.domain)
        if "region" in params:
            order.region = str(params["region"])[:60]
        if "safety" in params and bool(params["safety"]) != order.safety:
            order.safety = bool(params["safety"])
            order.urgent = order.urgent or order.safety
            order.dispatch_due = deadlines.dispatch_due(aware(order.received_at), cal, order.safety)
            if order.safety:
                changes.append("涉及安全生产，立即转办")
        return "；".join(changes) or params.get("note", "")

    def _do_answer(self, s, order, params, now):
        order.reply = self._text(params, "reply", "答复内容")
        self._complete(s, order, now)
        self._notify_caller(s, order, "answered", now)
        return "即时答复"

    def _do_reject(self, s, order, params, now):
        reason = params.get("reason")
        if reason not in REJECT_REASONS:
            raise WorkOrderError(
                "请选择第十九条规定的不予受理理由", code="missing_field", details={"reason": list(REJECT_REASONS)}
            )
        order.reject_reason = reason
        order.completed_at = now
        explanation = (params.get("note") or "").strip()
        order.reply = (
            f"根据《12328交通运输服务监督热线管理办法》第十九条，您反映的事项{REJECT_REASONS[reason]}，"
            f"不予受理。" + (explanation and f"说明：{explanation}")
        )
        self._notify_caller(s, order, "rejected", now)
        return REJECT_REASONS[reason]

    def _do_escalate(self, s, order, params, now):
        note = self._text(params, "note", "报请上级的原因（如涉及两个以上行政区域、本级无法转办）", 1000)
        order.dispatch_due = deadlines.dispatch_due(now, self.calendar(s), order.safety)
        order.dispatch_overdue_at = None
        s.add(
            Notice(
                order_id=order.id,
                recipient="province",
                kind="escalated",
                created_at=now,
                message=f"工单{order.number}报请上级协调转办：{note}",
            )
        )
        return note

    def _do_dispatch(self, s, order, params, now):
        unit = s.get(HandlingUnit, params.get("unit_id") or 0)
        if unit is None or not unit.active:
            raise WorkOrderError("请选择有效的承办单位", code="invalid_field", details={"unit_id": "无效"})
        if order.safety and not unit.is_authority:
            raise WorkOrderError(
                "涉及安全生产的工单须转办本级交通运输主管部门（第二十一条）", code="safety_requires_authority"
            )
        cal = self.calendar(s)
        order.unit_id = unit.id
        order.dispatched_at = now
        order.return_due = deadlines.return_due(now, cal)
        order.due_at = deadlines.handling_due(now, order.order_type, cal)
        order.reminded_at = order.overdue_at = None
        s.add(
            Notice(
                order_id=order.id,
                recipient=f"unit:{unit.id}",
                kind="dispatched",
                created_at=now,
                message=f"新转办工单{order.number}（{TYPES[order.order_type]}），请于{_fmt(order.due_at)}前办结回复",
            )
        )
        if order.order_type == "complaint" and order.province_copied_at is None:  # 第二十五条
            order.province_copied_at = now
            s.add(
                Notice(
                    order_id=order.id,
                    recipient="province",
                    kind="complaint_copy",
                    created_at=now,
                    message=f"投诉举报工单{order.number}已转{unit.name}，同步流转省级中心",
                )
            )
        self._notify_caller(s, order, "dispatched", now, unit.name)
        return f"转办至{unit.name}"

    def _do_return(self, s, order, params, now):
        if now > aware(order.return_due):
            raise WorkOrderError(messages.return_window_closed(aware(order.return_due)), code="return_window_closed")
        reason = self._text(params, "reason", "退回理由", 1000)
        unit_id = order.unit_id
        s.add(OrderReturn(order_id=order.id, unit_id=unit_id, at=now))
        order.unit_id = None
        order.due_at = order.return_due = None
        order.dispatch_due = deadlines.dispatch_due(now, self.calendar(s), order.safety)
        order.dispatch_overdue_at = None
        s.add(
            Notice(
                order_id=order.id,
                recipient="center",
                kind="returned",
                created_at=now,
                message=f"工单{order.number}被退回：{reason}",
            )
        )
        return f"单位{unit_id}退回：{reason}"

    def _do_accept(self, s, order, params, now):
        order.accepted_at = now
        return "承办单位签收"

    def _do_request_extension(self, s, order, params, now):
        if order.extension_used:
            raise WorkOrderError("延期只能申请一次（第二十四条）", code="extension_used")
        if now > aware(order.due_at):
            raise WorkOrderError("办理期限已届满，不能再申请延期；请尽快办结", code="already_overdue")
        try:
            days = int(params.get("days"))
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= deadlines.MAX_EXTENSION_DAYS:
            raise WorkOrderError(
                messages.extension_days_invalid(),
                code="invalid_field",
                details={"days": messages.extension_days_range()},
            )
        reason = params.get("reason")
        if reason not in EXTENSION_REASONS:
            raise WorkOrderError(
                "请选择第二十四条规定的延期情形", code="invalid_field", details={"reason": list(EXTENSION_REASONS)}
            )
        explanation = self._text(params, "explanation", "告知来电人的延期理由", 1000)
        order.extension_days = days
        order.extension_reason = f"{EXTENSION_REASONS[reason]}：{explanation}"
        s.add(
            Notice(
                order_id=order.id,
                recipient=f"supervisor:{order.region}",
                kind="extension_requested",
                created_at=now,
                message=f"工单{order.number}申请延期{days}个工作日：{order.extension_reason}",
            )
        )
        return f"申请延期{days}个工作日：{order.extension_reason}"

    def _do_approve_extension(self, s, order, params, now):
        order.due_at = deadlines.extended_due(aware(order.due_at), order.extension_days, self.calendar(s))
        order.extension_used = True
        order.reminded_at = None
        self._notify_caller(s, order, "extended", now)
        return f"批准延期{order.extension_days}个工作日，新期限{_fmt(order.due_at)}"

    def _do_deny_extension(self, s, order, params, now):
        note = (params.get("note") or "").strip()
        order.extension_days = 0
        return "驳回延期申请" + (f"：{note}" if note else "")

    def _do_reply(self, s, order, params, now):
        order.reply = self._text(params, "reply", "办理结果（办理过程、处理依据）")
        self._complete(s, order, now)
        self._notify_caller(s, order, "replied", now)
        return "办结回复"

    def _complete(self, s, order, now):
        cal = self.calendar(s)
        order.completed_at = now
        order.callback_due = deadlines.callback_due(now, cal)
        order.callback_required = order.order_type == "complaint" or self._sampled(order.number)
        if order.order_type == "complaint" and order.province_copied_at is not None:
            order.province_review_due = deadlines.province_review_due(now, cal)

    def _sampled(self, number: str) -> bool:
        """第二十九条 抽查回访: a stable sample of non-complaint orders (same answer on every replica)."""
        bucket = int(hashlib.sha256(number.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        return bucket < self.callback_sample_rate

    def _do_callback(self, s, order, params, now):
        result = params.get("result")
        if result not in CALLBACK_RESULTS:
            raise WorkOrderError("请选择回访结果", code="invalid_field", details={"result": list(CALLBACK_RESULTS)})
        order.callback_result = result
        order.callback_at = order.callback_at or now
        if result in RATINGS and not order.rating:
            order.rating = result
            order.rating_comment = (params.get("note") or "").strip()[:1000]
        return f"回访：{CALLBACK_RESULTS[result]}" + (f"；{params['note']}" if params.get("note") else "")

    def _do_archive(self, s, order, params, now):
        if order.state in ("answered", "replied") and order.callback_required:
            raise WorkOrderError("该工单须先完成回访（第二十九条）才能归档", code="callback_required")
        order.archived_at = now
        return "程序性确认后归档"

    def province_review(self, number: str, viewer, note: str, now: datetime | None = None) -> dict:
        """第二十五条: the province center reviews a completed complaint within 5 working days."""
        now = now or utcnow()
        if not viewer.has("supervisor"):
            raise Forbidden("只有督办人员可以复核")
        with self.db.session() as s:
            order = load_order(s, number)
            self._check_scope(order, viewer)  # a supervisor reviews only the orders of its region
            if order.order_type != "complaint" or order.completed_at is None:
                raise WorkOrderError("只有已办结的投诉举报工单需要复核", code="not_reviewable")
            if order.province_reviewed_at is not None:
                raise WorkOrderError("该工单已复核", code="already_reviewed")
            order.province_reviewed_at = now
            s.add(
                WorkOrderEvent(
                    order_id=order.id,
                    at=now,
                    actor=viewer.username,
                    action="province_review",
                    from_state=order.state,
                    to_state=order.state,
                    note=note[:1000],
                )
            )
            return order_dict(order, viewer, full=True)

    # --- notices to the caller ----------------------------------------------------------------------
    def _notify_caller(self, s: Session, order: WorkOrder, kind: str, now: datetime, unit_name: str = "") -> None:
        if not order.caller_user:
            return
        status = STATES.get({"extended": "in_progress"}.get(kind, kind), "")
        text = {
            "received": f"您的{TYPES[order.order_type]}已登记，工单编号{order.number}。",
            "dispatched": f"您的工单{order.number}已转{unit_name}办理，将于{_fmt(order.due_at)}前答复。",
            "extended": f"您的工单{order.number}因{order.extension_reason}，办理期限延长至{_fmt(order.due_at)}。",
            "replied": f"您的工单{order.number}已办结：{order.reply[:200]}",
            "answered": f"您的工单{order.number}已答复：{order.reply[:200]}",
            "rejected": f"您的工单{order.number}：{order.reply[:200]}",
        }.get(kind, f"您的工单{order.number}状态：{status}")
        s.add(
            Notice(
                order_id=order.id,
                recipient=channels.caller_recipient(order.caller_user),
                kind=kind,
                message=text,
                created_at=now,
            )
        )

    # --- attachments ----------------------------------------------------------------------------------
    def add_attachment(
        self,
        number: str,
        viewer,
        kind: str,
        ref: str,
        name: str = "",
        content_type: str = "",
        size: int = 0,
        now: datetime | None = None,
    ) -> dict:
        if kind not in ATTACHMENT_KINDS:
            raise WorkOrderError("附件类型须为 photo/voice/recording/file", code="invalid_field")
        now = now or utcnow()
        with self.db.session() as s:
            order = load_order(s, number)
            self._check_scope(order, viewer)
            att = Attachment(
                order_id=order.id,
                kind=kind,
                ref=ref,
                name=name[:200],
                content_type=content_type[:80],
                size=size,
                created_at=now,
            )
            s.add(att)
            s.add(
                WorkOrderEvent(
                    order_id=order.id,
                    at=now,
                    actor=viewer.username,
                    action="attach",
                    from_state=order.state,
                    to_state=order.state,
                    note=f"上传{ATTACHMENT_KINDS[kind]} {name}"[:200],
                )
            )
            s.flush()
            return {"id": att.id, "kind": kind, "name": att.name, "size": size}

    def attachment(self, number: str, attachment_id: int, viewer) -> Attachment:
        with self.db.session() as s:
            order = load_order(s, number)
            self._check_scope(order, viewer)
            att = s.get(Attachment, attachment_id)
            if att is None or att.order_id != order.id or att.purged_at is not None:
                raise NotFound("附件不存在")
            return att
