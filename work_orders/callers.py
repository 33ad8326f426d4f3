"""The callers' side of work orders: an order looked up and rated by its caller (the order number and the
last four digits of the phone, or the same channel user), and a channel user's own orders.

``CallerAccess`` is one part of the ``WorkOrders`` façade (service.py): it uses ``self.db`` and
``self.throttle`` (hotline.throttle, whose clock is the default ``now`` of ``lookup`` and ``rate``). What a
caller sees is ``present.public_status``: no staff notes, no contact data.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import china_time, utcnow
from hotline.db import Database
from hotline.errors import NotFound
from hotline.privacy import mask_pii
from hotline.throttle import Policy, Rule, Throttle

from .errors import WorkOrderError
from .lifecycle import RATINGS
from .models import HandlingUnit, Notice, WorkOrder, WorkOrderEvent
from .present import public_status

# an order answered, replied to, refused or closed takes no more amendments from its caller
CLOSED_TO_AMEND = frozenset({"answered", "rejected", "replied", "callback_done", "archived"})
MAX_FACTS = 4000

# the callers' look-up and rating (order number + last four digits of the phone; numbers are sequential):
# throttled per client address, per (order, address) and, only for addresses that failed on that order, per
# order, so a stranger cannot lock a caller out of their own order (see hotline.throttle)
LOOKUP_POLICY = Policy(
    "lookup",
    client=Rule(free=10, base=timedelta(seconds=2), cap=timedelta(minutes=30)),  # scanning many orders
    pair=Rule(free=3, base=timedelta(seconds=2), cap=timedelta(minutes=15)),
    target=Rule(free=5, base=timedelta(seconds=1), cap=timedelta(minutes=15)),  # 4 digits: tighter than logins
)


class CallerAccess:
    """Look-up, rating and the caller's own orders, for ``WorkOrders`` (see the module docstring)."""

    db: Database
    throttle: Throttle

    def _caller_order(
        self, s: Session, number: str, last4: str, caller_user: str | None, now: datetime, client: str | None = None
    ):
        """The order if the caller proves it is theirs: the same channel user, or the phone's last four digits.
        Guesses are throttled (LOOKUP_POLICY) per ``client`` address; without an address (the bot) the
        order-wide delay always applies. An unknown number counts against the client like a wrong guess."""
        number = (number or "").strip()
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        if order is not None and caller_user and order.caller_user == caller_user:
            return order  # the channel already identifies the caller (same WeChat openid)
        if not last4:  # nothing tried yet: ask for the digits, count no failure
            if order is None:
                raise NotFound("未找到该工单，请核对工单编号")
            raise WorkOrderError("请提供登记时所留联系电话的后四位", code="verification_required")
        fallback = caller_user or ""
        self.throttle.check(LOOKUP_POLICY, number, client, now, fallback=fallback)
        if (
            order is None
            or not order.caller_phone
            or not re.fullmatch(r"\d{4}", last4)
            or not order.caller_phone.endswith(last4)
        ):
            self.throttle.fail(LOOKUP_POLICY, number, client, now, fallback=fallback)
            if order is None:
                raise NotFound("未找到该工单，请核对工单编号")
            raise WorkOrderError("工单编号与联系电话后四位不匹配", code="lookup_mismatch")
        self.throttle.succeed(LOOKUP_POLICY, number, client, fallback=fallback)
        return order

    def lookup(
        self,
        number: str,
        last4: str = "",
        caller_user: str | None = None,
        now: datetime | None = None,
        client: str | None = None,
    ) -> dict:
        now = now or self.throttle.clock()
        with self.db.session() as s:
            order = self._caller_order(s, number, last4, caller_user, now, client)
            unit = s.get(HandlingUnit, order.unit_id) if order.unit_id else None
            return public_status(order, unit)

    def caller_timeline(self, number: str, caller_user: str) -> list[dict]:
        """The caller's own order's history in plain words: the notices the caller was sent (登记, 转办, 延期,
        办结...), oldest first, with China time. Another caller's order has none."""
        with self.db.session() as s:
            rows = s.execute(
                select(Notice.created_at, Notice.message)
                .join(WorkOrder, WorkOrder.id == Notice.order_id)
                .where(
                    WorkOrder.number == number,
                    WorkOrder.caller_user == caller_user,
                    Notice.recipient.like("caller:%"),
                )
                .order_by(Notice.created_at, Notice.id)
            ).all()
            return [{"at": china_time(at).isoformat(), "text": message} for at, message in rows]

    def for_caller(self, caller_user: str, limit: int = 20) -> list[dict]:
        with self.db.session() as s:
            orders = s.scalars(
                select(WorkOrder).where(WorkOrder.caller_user == caller_user).order_by(WorkOrder.id.desc()).limit(limit)
            ).all()
            units = {
                u.id: u
                for u in s.scalars(
                    select(HandlingUnit).where(HandlingUnit.id.in_({o.unit_id for o in orders if o.unit_id}))
                )
            }
            return [public_status(o, units.get(o.unit_id)) for o in orders]

    def amend(self, number: str, caller_user: str, text: str, now: datetime | None = None) -> dict:
        """The caller corrects or adds to their own order after submitting it ("电话留错了，是13900000000", "补充一下：
        司机还骂人了"), from the same channel identity: a phone number in ``text`` replaces the order's contact
        phone, anything else is appended to the facts as the caller's supplement. Both are logged as an ``amend``
        event (phone numbers masked), so the operator and the handling unit see what changed and when. An order
        already answered, replied to, refused or archived takes no amendment (the caller reports anew)."""
        from . import intake  # the form's own readers of a phone and of filler words

        now = now or utcnow()
        text = (text or "").strip()
        if not text:
            raise WorkOrderError("补充内容不能为空", code="invalid_field")
        with self.db.session() as s:
            order = s.scalar(select(WorkOrder).where(WorkOrder.number == (number or "").strip()))
            if order is None or not caller_user or order.caller_user != caller_user:
                raise NotFound("未找到您登记的这张工单")
            if order.state in CLOSED_TO_AMEND:
                raise WorkOrderError(
                    "这张工单已办结或已处理完毕，不能再补充；如有新情况，可以重新反映", code="order_closed"
                )
            phone = intake.find_phone(text)
            if phone:
                note = f"来电人更正联系电话：{mask_pii(order.caller_phone) or '未留'} → {mask_pii(phone)}"
                order.caller_phone = phone
            else:
                stamp = china_time(now).strftime("%m-%d %H:%M")
                order.facts = f"{order.facts or ''}\n【来电人补充 {stamp}】{text}".strip()[:MAX_FACTS]
                note = f"来电人补充：{mask_pii(text)}"
            s.add(_caller_event(order, "amend", note[:500], now))
            return {"number": order.number, "phone_changed": bool(phone), "phone": phone or ""}

    def rate(
        self,
        number: str,
        rating: str,
        comment: str = "",
        last4: str = "",
        caller_user: str | None = None,
        now: datetime | None = None,
        client: str | None = None,
    ) -> dict:
        """好差评 (第八条): the caller rates the reply once it has been given."""
        now = now or self.throttle.clock()
        if rating not in RATINGS:
            raise WorkOrderError(
                "评价须为：满意、基本满意或不满意", code="invalid_field", details={"rating": list(RATINGS)}
            )
        with self.db.session() as s:
            order = self._caller_order(s, number, last4, caller_user, now, client)
            if order.completed_at is None or order.state == "rejected":
                raise WorkOrderError("工单办结回复后才能评价", code="not_replied")
            if order.rating:
                raise WorkOrderError("该工单已评价，感谢您的反馈", code="already_rated")
            order.rating, order.rating_comment = rating, (comment or "").strip()[:1000]
            s.add(_caller_event(order, "rate", f"{RATINGS[rating]} {order.rating_comment}".strip(), now))
            unit = s.get(HandlingUnit, order.unit_id) if order.unit_id else None
            return public_status(order, unit)


def _caller_event(order: WorkOrder, action: str, note: str, now: datetime) -> WorkOrderEvent:
    """The caller's own step in the order's history (a rating, an amendment): the state does not change."""
    return WorkOrderEvent(
        order_id=order.id,
        at=now,
        actor="caller",
        action=action,
        from_state=order.state,
        to_state=order.state,
        note=note,
    )
