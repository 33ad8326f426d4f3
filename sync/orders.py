"""Work-order exchange with 12345 (第十二条, 第十六条, 第十九条).

* In: orders 12345 transfers to us enter the lifecycle with channel "12345" and 12345's id (``external_id``);
  a repeated transfer returns the first order. Matters of other hotlines (第三条: railway 12306, civil aviation
  12326, post 12305, traffic police 122) are not accepted: they are rejected at once with the 第十九条 reason
  and returned to 12345. Operators reject others in the console the usual way.
* Out: every change of a transferred order (status, return with the 第十九条 reason, reply, callback result)
  is written to the outbox in the same transaction as the change (a WorkOrders listener), then delivered by
  ``push_outbox`` in order per order, retried with backoff until 12345 acknowledges it. With
  ``push_own_orders`` our own orders go to 12345 too, as records with the caller's contact masked.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select

from hotline.clock import aware, utcnow
from hotline.privacy import mask_pii
from work_orders.errors import WorkOrderError
from work_orders.lifecycle import CALLBACK_RESULTS, DOMAINS, REJECT_REASONS, STATES, TYPES
from work_orders.models import HandlingUnit, WorkOrder, WorkOrderEvent
from work_orders.present import mask_name, mask_phone
from work_orders.service import System, WorkOrders

from . import ledger
from .errors import SyncError, TransferInvalid
from .models import OutboxMessage

log = logging.getLogger(__name__)
OUTBOX_FEED = "outbox:12345"
ACTOR = "12345转办接口"
MAX_TRANSFERS = 200
TYPE_NAMES = {
    **{k: k for k in TYPES},
    "投诉": "complaint",
    "举报": "complaint",
    "投诉举报": "complaint",
    "建议": "suggestion",
    "意见建议": "suggestion",
    "咨询": "consultation",
    "信息咨询": "consultation",
}
# 第三条: what 12328 does not handle, and where the caller should go instead
OTHER_HOTLINES = {
    "铁路": "铁路客运服务由 12306 铁路客户服务中心受理",
    "民航": "民航服务由 12326 民航服务质量监督电话受理",
    "航空": "民航服务由 12326 民航服务质量监督电话受理",
    "邮政": "邮政快递服务由 12305 邮政业用户申诉电话受理",
    "快递": "邮政快递服务由 12305 邮政业用户申诉电话受理",
    "公安交管": "道路交通违法和事故由 122 公安交通管理部门受理",
    "交警": "道路交通违法和事故由 122 公安交通管理部门受理",
}
KINDS = {"reject": "return", "reply": "reply", "answer": "reply", "callback": "callback"}
BASIS = "《12328交通运输服务监督热线管理办法》第十九条"


def _text(raw: dict, key: str, errors: dict, required: bool = False) -> str:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            errors[key] = "必填"
        return ""
    if not isinstance(value, str):
        errors[key] = "须为文本"
        return ""
    return value.strip()


def clean_transfer(raw) -> tuple[str, dict, str]:
    """(12345 id, data for WorkOrders.create, why it is not ours or ""); raises TransferInvalid."""
    if not isinstance(raw, dict):
        raise TransferInvalid("转办工单须为 JSON 对象")
    errors: dict[str, str] = {}
    ext = _text(raw, "id", errors, required=True)
    if ext and len(ext) > 64:
        errors["id"] = "不能超过64字"
    order_type = TYPE_NAMES.get(str(raw.get("type") or "").strip())
    if order_type is None:
        errors["type"] = "须为 complaint/suggestion/consultation（投诉/建议/咨询）"
    content = _text(raw, "content", errors, required=True)
    domain = _text(raw, "domain", errors)
    not_ours = next((why for word, why in OTHER_HOTLINES.items() if word in domain), "")
    data = {
        "order_type": order_type,
        "channel": "12345",
        "external_id": ext,
        "facts": strip_control(content),
        "domain": domain if domain in DOMAINS else "其他",
        "anonymous": raw.get("anonymous") is True,
    }
    for key in ("title", "target", "demand", "region", "location", "occurred_at", "caller_name", "caller_phone"):
        data[key] = strip_control(_text(raw, key, errors))
    if errors:
        raise TransferInvalid(
            "转办工单信息有误：" + "；".join(f"{k} {v}" for k, v in errors.items()),
            details={"id": ext, "errors": errors},
        )
    return ext, data, not_ours


def strip_control(text: str) -> str:
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32)


class OrderExchange:
    def __init__(
        self,
        work_orders: WorkOrders,
        connector=None,
        push_own: bool = False,
        retry_base: float = 5.0,
        retry_cap: float = 900.0,
    ):
        self.work_orders = work_orders
        self.db = work_orders.db
        self.connector = connector
        self.push_own = push_own
        self.retry_base = retry_base
        self.retry_cap = retry_cap

    def install(self) -> OrderExchange:
        """Write outbox rows in the transaction of every order change from now on (replacing the listener of
        an exchange built earlier on the same service: one outbox row per event)."""
        listeners = self.work_orders.listeners
        listeners[:] = [f for f in listeners if not isinstance(getattr(f, "__self__", None), OrderExchange)]
        listeners.append(self.on_event)
        return self

    # ------------------------------------------------------------------ in

    def receive(self, transfers: list, now: datetime | None = None) -> list[dict]:
        """Take in transferred orders; one result per order (accepted | returned | duplicate | invalid |
        conflict). Safe to repeat: 12345's id is the idempotency key."""
        if len(transfers) > MAX_TRANSFERS:
            raise TransferInvalid(f"一次最多转办 {MAX_TRANSFERS} 件")
        return [self._receive_one(raw, now) for raw in transfers]

    def _receive_one(self, raw, now) -> dict:
        rid = str(raw.get("id", ""))[:64] if isinstance(raw, dict) else ""
        try:
            ext, data, not_ours = clean_transfer(raw)
            order, created = self.work_orders.create(data, actor=ACTOR, idempotency_key=f"12345:{ext}", now=now)
        except WorkOrderError as exc:
            status = "conflict" if exc.code == "idempotency_conflict" else "invalid"
            return {
                "id": rid,
                "status": status,
                "message": exc.message,
                "errors": exc.details.get("errors", exc.details),
            }
        result = {"id": ext, "number": order["number"]}
        if not created:
            return {**result, "status": "duplicate", "state": order["state"]}
        if not_ours:
            self.work_orders.act(
                order["number"],
                "reject",
                System(ACTOR),
                {"reason": "out_of_scope", "note": not_ours + "，请告知来电人。"},
                now=now,
            )
            return {
                **result,
                "status": "returned",
                "reason_code": "out_of_scope",
                "reason": REJECT_REASONS["out_of_scope"],
                "basis": BASIS,
                "note": not_ours,
            }
        return {**result, "status": "accepted", "state": "received"}

    # ------------------------------------------------------------------ out: the outbox

    def on_event(self, session, order: WorkOrder, event: WorkOrderEvent) -> None:
        if order.channel == "12345" and order.external_id:
            if event.action == "create":
                return  # the transfer's own answer acknowledges receipt
            kind = KINDS.get(event.action, "status")
            payload = self._message(session, order, event, kind)
        elif self.push_own:
            kind = "record"
            payload = self._message(session, order, event, kind)
            payload["record"] = own_record(order)
        else:
            return
        session.add(
            OutboxMessage(
                order_id=order.id,
                event_id=event.id,
                external_id=order.external_id or "",
                kind=kind,
                payload=payload,
                created_at=event.at,
                next_attempt_at=event.at,
            )
        )

    @staticmethod
    def _message(session, order: WorkOrder, event: WorkOrderEvent, kind: str) -> dict:
        msg = {
            "message_id": f"12328-{event.id}",
            "order_id": order.external_id or None,
            "number": order.number,
            "kind": kind,
            "action": event.action,
            "at": aware(event.at).isoformat(),
            "state": order.state,
            "state_label": STATES.get(order.state, ""),
            "note": event.note or "",
        }
        if kind == "return":
            msg.update(
                reason_code=order.reject_reason,
                reason=REJECT_REASONS.get(order.reject_reason, ""),
                basis=BASIS,
                reply=order.reply,
            )
        elif kind == "reply":
            msg.update(reply=order.reply, completed_at=aware(order.completed_at).isoformat())
        elif kind == "callback":
            msg.update(
                callback_result=order.callback_result, callback_label=CALLBACK_RESULTS.get(order.callback_result, "")
            )
        if order.unit_id:
            unit = session.get(HandlingUnit, order.unit_id)
            msg["unit"] = unit.name if unit else ""
        if order.due_at is not None:
            msg["due_at"] = aware(order.due_at).isoformat()
        return msg

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.retry_base * 2 ** max(attempts - 1, 0), self.retry_cap))

    def push_outbox(self, now: datetime | None = None, limit: int = 200) -> dict:
        """Deliver due messages, oldest first and in order per order; a failure delays that order's later
        messages too. Safe on several replicas (one lease)."""
        if self.connector is None:
            return {"delivered": 0, "failed": 0, "pending": self.pending_count(), "skipped": "未配置 12345 接口"}
        owner = ledger.new_owner()
        if not ledger.acquire(self.db, OUTBOX_FEED, owner, 120):
            return {"delivered": 0, "failed": 0, "pending": self.pending_count(), "skipped": "另一进程正在推送"}
        delivered = failed = 0
        try:
            now = now or utcnow()
            with self.db.session() as s:
                pending = s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.acked_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                ).all()
            blocked: set[int] = set()
            in_a_row = 0
            for msg in pending:
                if msg.order_id in blocked:
                    continue
                if aware(msg.next_attempt_at) > now:
                    blocked.add(msg.order_id)
                    continue
                if self._deliver(msg, now):
                    delivered += 1
                    in_a_row = 0
                else:
                    failed += 1
                    in_a_row += 1
                    blocked.add(msg.order_id)
                    if in_a_row >= 3:  # 12345 is down: stop here rather than wait out a timeout per order
                        break
                ledger.renew(self.db, OUTBOX_FEED, owner, 120)
        finally:
            ledger.release(self.db, OUTBOX_FEED, owner, ok=failed == 0)
        return {"delivered": delivered, "failed": failed, "pending": self.pending_count()}

    def _deliver(self, msg: OutboxMessage, now: datetime) -> bool:
        path = f"/api/v1/orders/{msg.external_id}/messages" if msg.external_id else "/api/v1/records"
        try:
            self.connector.post_order_message(path, msg.payload)
        except SyncError as exc:
            with self.db.session() as s:
                row = s.get(OutboxMessage, msg.id)
                row.attempts += 1
                row.last_attempt_at, row.last_error = now, exc.message[:1000]
                row.next_attempt_at = now + self.backoff(row.attempts)
                if row.attempts == 1 or row.attempts % 10 == 0:
                    ledger.event(
                        self.db,
                        None,
                        "warning",
                        "outbox_retry",
                        f"工单 {msg.payload.get('number')} 的消息（{msg.kind}）未送达 12345：{exc.message}；"
                        f"第 {row.attempts} 次失败，{row.next_attempt_at:%H:%M:%S} 再试",
                        remote_id=msg.external_id,
                        session=s,
                    )
            return False
        with self.db.session() as s:
            row = s.get(OutboxMessage, msg.id)
            row.attempts += 1
            row.last_attempt_at = row.acked_at = now
            if row.attempts > 1:
                ledger.event(
                    self.db,
                    None,
                    "info",
                    "outbox_delivered",
                    f"工单 {msg.payload.get('number')} 的消息（{msg.kind}）在第 {row.attempts} 次尝试后送达",
                    remote_id=msg.external_id,
                    session=s,
                )
        return True

    def pending_count(self) -> int:
        with self.db.session() as s:
            return s.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.acked_at.is_(None))) or 0

    def outbox(self, state: str = "pending", limit: int = 100) -> list[dict]:
        with self.db.session() as s:
            query = select(OutboxMessage)
            if state == "pending":
                query = query.where(OutboxMessage.acked_at.is_(None))
            elif state == "stuck":
                query = query.where(OutboxMessage.acked_at.is_(None), OutboxMessage.attempts >= 5)
            elif state == "acked":
                query = query.where(OutboxMessage.acked_at.is_not(None))
            rows = s.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)).all()
            return [outbox_dict(m) for m in rows]


def own_record(order: WorkOrder) -> dict:
    """One of our orders as a record for 12345: the matter, not the caller's contact (masked)."""
    return {
        "number": order.number,
        "type": order.order_type,
        "type_label": TYPES.get(order.order_type, ""),
        "channel": order.channel,
        "domain": order.domain,
        "region": order.region,
        "title": order.title,
        "content": mask_pii(order.facts or ""),
        "target": order.target,
        "location": order.location,
        "caller_name": "" if order.anonymous else mask_name(order.caller_name),
        "caller_phone": "" if order.anonymous else mask_phone(order.caller_phone),
        "received_at": aware(order.received_at).isoformat(),
        "state": order.state,
        "reply": order.reply,
    }


def outbox_dict(m: OutboxMessage) -> dict:
    return {
        "id": m.id,
        "order_id": m.order_id,
        "number": m.payload.get("number"),
        "external_id": m.external_id,
        "kind": m.kind,
        "attempts": m.attempts,
        "created_at": aware(m.created_at).isoformat(),
        "next_attempt_at": aware(m.next_attempt_at).isoformat() if m.next_attempt_at else None,
        "acked_at": aware(m.acked_at).isoformat() if m.acked_at else None,
        "last_error": m.last_error,
    }
