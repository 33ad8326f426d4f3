"""Delivery of the work-order outbox (``wo_notice``) to callers on WeChat, and of operators' handoff messages.

``caller:wechat:<openid>``: a customer-service message while the user's 48-hour window is open, else (or on
45015) the template message ``HOTLINE_WECHAT_TEMPLATE_ID``; without one the notice is recorded as
undeliverable. ``caller:miniprogram:<openid>``: a subscribe message (订阅消息), one per accepted
subscription. Each notice is claimed by inserting its ``wx_delivery`` row, so two workers never send it
twice; transient failures (rate limit 45009, WeChat unreachable) are retried later with a growing delay.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from hotline.channels import caller_prefix, parse_recipient, sender_id, user_of
from hotline.clock import china_time, utcnow
from hotline.db import Database
from hotline.privacy import mask_pii
from hotline.settings import WeChatSettings
from work_orders.models import Notice, WorkOrder

from .api import WeChatApi
from .errors import NotConfigured, Refused, WeChatApiError, WindowClosed
from .miniprogram import Subscriptions
from .models import WeChatDelivery
from .users import Users

log = logging.getLogger(__name__)

KIND_LABELS = {
    "received": "已受理",
    "dispatched": "已转办",
    "extended": "已延期",
    "replied": "已办结",
    "answered": "已答复",
    "rejected": "不予受理",
    "overdue": "办理超期",
    "callback": "回访",
}
MAX_ATTEMPTS = 6
STALE_CLAIM = timedelta(minutes=10)  # a worker that died while sending: the notice becomes free again


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(60, 2**attempts))


class Notifier:
    def __init__(
        self,
        db: Database,
        settings: WeChatSettings,
        api: WeChatApi,
        mp_api: WeChatApi,
        users: Users,
        subscriptions: Subscriptions,
        handoffs=None,
    ):
        self.db = db
        self.settings = settings
        self.api = api
        self.mp_api = mp_api
        self.users = users
        self.subscriptions = subscriptions
        self.handoffs = handoffs

    def run(self, now: datetime | None = None, limit: int = 100) -> dict:
        """One pass over the outbox; safe to run on several workers at once."""
        now = now or utcnow()
        counts: dict[str, int] = {}
        for notice_id, recipient, kind, message, number in self._candidates(now, limit):
            if not self._claim(notice_id, now):
                continue
            outcome = self._deliver(notice_id, recipient, kind, message, number, now)
            counts[outcome] = counts.get(outcome, 0) + 1
        if self.handoffs is not None and self.api.configured:
            counts["handoff"] = self._handoff_outbox()
        return counts

    def _channels(self) -> list:
        prefixes = []
        if self.api.configured:
            prefixes.append(Notice.recipient.like(caller_prefix("wechat") + "%"))
        if self.mp_api.configured and self.settings.mp_template_id:
            prefixes.append(Notice.recipient.like(caller_prefix("miniprogram") + "%"))
        return prefixes

    def _candidates(self, now: datetime, limit: int) -> list[tuple]:
        channels = self._channels()
        if not channels:  # nothing configured: the notices wait for a configured WeChat
            return []
        free = or_(
            WeChatDelivery.notice_id.is_(None),
            and_(WeChatDelivery.status == "retry", WeChatDelivery.next_attempt_at <= now),
            and_(WeChatDelivery.status == "sending", WeChatDelivery.updated_at < now - STALE_CLAIM),
        )
        query = (
            select(Notice.id, Notice.recipient, Notice.kind, Notice.message, WorkOrder.number)
            .join(WorkOrder, WorkOrder.id == Notice.order_id)
            .outerjoin(WeChatDelivery, WeChatDelivery.notice_id == Notice.id)
            .where(Notice.sent_at.is_(None), or_(*channels), free)
            .order_by(Notice.id)
            .limit(limit)
        )
        with self.db.session() as s:
            return [tuple(row) for row in s.execute(query).all()]

    def _claim(self, notice_id: int, now: datetime) -> bool:
        try:
            with self.db.session() as s:
                row = s.get(WeChatDelivery, notice_id)
                if row is None:
                    s.add(WeChatDelivery(notice_id=notice_id, status="sending", attempts=0, updated_at=now))
                    return True
        except IntegrityError:
            return False
        with self.db.session() as s:  # a retry or a stale claim: only one worker's UPDATE matches
            return bool(
                s.execute(
                    update(WeChatDelivery)
                    .where(
                        WeChatDelivery.notice_id == notice_id,
                        or_(
                            and_(WeChatDelivery.status == "retry", WeChatDelivery.next_attempt_at <= now),
                            and_(WeChatDelivery.status == "sending", WeChatDelivery.updated_at < now - STALE_CLAIM),
                        ),
                    )
                    .values(status="sending", updated_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
            )

    def _deliver(self, notice_id: int, recipient: str, kind: str, message: str, number: str, now: datetime) -> str:
        channel, openid = parse_recipient(recipient) or ("", "")
        try:
            if channel == "wechat":
                via = self._to_follower(sender_id("wechat", openid), openid, kind, message, number, now)
            else:
                via = self._to_miniprogram(openid, kind, message, number, now)
        except (Refused, NotConfigured) as exc:
            return self._finish(notice_id, "undeliverable", "", exc.message, now)
        except WeChatApiError as exc:
            if exc.transient:
                return self._later(notice_id, exc.message, now)
            return self._finish(notice_id, "failed", "", exc.message, now)
        if via is None:
            return self._finish(notice_id, "undeliverable", "", "用户不在48小时互动窗口内，且未配置模板消息", now)
        return self._finish(notice_id, "sent", via, "", now)

    def _to_follower(self, sender: str, openid: str, kind: str, message: str, number: str, now: datetime) -> str | None:
        user = self.users.get(sender)
        if not user.subscribed:
            raise Refused("用户已取消关注公众号")
        if user.in_window(now):
            try:
                self.api.send_text(openid, message)
                return "custom"
            except WindowClosed:
                pass  # our clock or record disagrees with WeChat's: fall back to the template
        if not self.settings.template_id:
            return None
        local = china_time(now).strftime("%Y-%m-%d %H:%M")
        data = {
            "first": {"value": message[:200]},
            "keyword1": {"value": number},
            "keyword2": {"value": KIND_LABELS.get(kind, "状态更新")},
            "keyword3": {"value": local},
            "remark": {"value": "回复“查询工单”可查看办理进度。"},
        }
        self.api.send_template(openid, self.settings.template_id, data)
        return "template"

    def _to_miniprogram(self, openid: str, kind: str, message: str, number: str, now: datetime) -> str | None:
        template = self.settings.mp_template_id
        local = china_time(now).strftime("%Y-%m-%d %H:%M")
        data = {
            "character_string1": {"value": number},
            "phrase2": {"value": KIND_LABELS.get(kind, "状态更新")[:5]},
            "thing3": {"value": message[:20]},
            "time4": {"value": local},
        }
        self.subscriptions.send(self.mp_api, openid, template, data, f"pages/orders/detail?number={number}")
        return "subscribe"

    def _finish(self, notice_id: int, status: str, via: str, error: str, now: datetime) -> str:
        with self.db.session() as s:
            s.execute(
                update(WeChatDelivery)
                .where(WeChatDelivery.notice_id == notice_id)
                .values(
                    status=status, via=via, last_error=error[:500], updated_at=now, attempts=WeChatDelivery.attempts + 1
                )
                .execution_options(synchronize_session=False)
            )
            if status == "sent":
                s.execute(
                    update(Notice)
                    .where(Notice.id == notice_id, Notice.sent_at.is_(None))
                    .values(sent_at=now)
                    .execution_options(synchronize_session=False)
                )
        if status != "sent":
            log.warning("notice %s %s: %s", notice_id, status, error)
        return status

    def _later(self, notice_id: int, error: str, now: datetime) -> str:
        with self.db.session() as s:
            row = s.get(WeChatDelivery, notice_id)
            attempts = (row.attempts or 0) + 1
            if attempts >= MAX_ATTEMPTS:
                row.status, row.last_error = "failed", error[:500]
            else:
                row.status, row.last_error = "retry", error[:500]
                row.next_attempt_at = now + _retry_delay(attempts)
            row.attempts, row.updated_at = attempts, now
            status = row.status
        log.warning("notice %s: %s (%s)", notice_id, error, status)
        return status

    def _handoff_outbox(self) -> int:
        """What operators wrote to WeChat users (the handoff package's outbox), as customer-service messages."""
        sent = 0
        for item in self.handoffs.pending_outbox("wechat"):
            if not self.handoffs.mark_sent(item["id"]):  # claimed by another worker
                continue
            openid = user_of(item["recipient"])
            try:
                self.api.send_text(openid, item["text"])
                sent += 1
            except WeChatApiError as exc:
                log.warning(
                    "operator message to %s not delivered (%s): %s",
                    item["recipient"],
                    exc.code,
                    mask_pii(item["text"][:60]),
                )
        return sent
