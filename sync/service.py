"""The 12345 link as one object built from the settings: used by the app (endpoint, console API), the CLI and
the scheduled jobs. No Flask here."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from hotline.clock import utcnow
from knowledge_base.service import KnowledgeBase
from work_orders.service import WorkOrders

from . import ledger
from .connectors import HttpConnector, sign
from .errors import NotConfigured, Unauthorized
from .kb import KbSync, SyncOptions
from .models import OutboxMessage, SyncEvent, SyncProposal, SyncRun, SyncState
from .orders import OrderExchange

KB_FEED = "kb:12345"
MAX_SKEW = 300  # seconds a signed request may be early or late (replays beyond that are refused)


def verify_signature(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> None:
    """Check 12345's HMAC-SHA256 over "<timestamp>.<body>"; raises Unauthorized."""
    if not secret:
        raise Unauthorized("未配置 12345 转办密钥（HOTLINE_SYNC_SECRET），拒绝接收")
    if not timestamp or not signature:
        raise Unauthorized("缺少签名（X-Hotline-Timestamp / X-Hotline-Signature）")
    # Header values are whatever bytes the caller sent: only ASCII digits make a timestamp (int() would also take
    # "١٧…", "1_7…" or 400 digits that overflow a float), and the signature is compared as bytes.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Unauthorized("时间戳格式不正确")
    skew = abs((now or time.time()) - int(timestamp))
    if skew > MAX_SKEW:
        raise Unauthorized(f"请求时间与本机相差 {int(skew)} 秒，超过 {MAX_SKEW} 秒：拒绝（防重放）")
    if not signature.isascii():
        raise Unauthorized("签名格式不正确")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode("ascii"), signature.encode("ascii")):
        raise Unauthorized("签名不正确")


@dataclass
class SyncService:
    db: object
    kb: KnowledgeBase
    exchange: OrderExchange
    url: str
    token: str
    secret: str
    timeout: float
    page_size: int

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def connector(self) -> HttpConnector:
        return HttpConnector(self.url, self.token, self.timeout, name=KB_FEED)

    def sync_kb(self, trigger: str = "schedule", progress: bool = False, push: bool = True) -> dict:
        if not self.configured:
            raise NotConfigured("未配置 12345 接口地址（HOTLINE_SYNC_URL）")
        connector = self.connector()
        try:
            return KbSync(self.kb, connector, SyncOptions(page_size=self.page_size, progress=progress, push=push)).run(
                trigger
            )
        finally:
            connector.close()

    def running(self, feed: str = KB_FEED) -> bool:
        current = ledger.state(self.db, feed)
        return bool(current.lease_owner) and current.lease_until is not None and current.lease_until > utcnow()

    def status(self) -> dict:
        with self.db.session() as s:
            feeds = [
                {
                    "name": f.name,
                    "cursor": f.cursor,
                    "feed_id": f.feed_id,
                    "running": bool(f.lease_owner) and f.lease_until is not None and f.lease_until > utcnow(),
                    "last_ok_at": f.last_ok_at.isoformat() if f.last_ok_at else None,
                }
                for f in s.scalars(select(SyncState).order_by(SyncState.name))
            ]
            last = s.scalar(select(SyncRun).order_by(SyncRun.id.desc()).limit(1))
            pending = s.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.acked_at.is_(None)))
            stuck = s.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.acked_at.is_(None), OutboxMessage.attempts >= 5
                )
            )
            proposals = s.scalar(select(func.count(SyncProposal.id)).where(SyncProposal.status == "open"))
            return {
                "configured": self.configured,
                "url": self.url,
                "feeds": feeds,
                "last_run": ledger.run_dict(last) if last else None,
                "outbox_pending": pending or 0,
                "outbox_stuck": stuck or 0,
                "open_proposals": proposals or 0,
            }

    def runs(self, feed: str | None = None, limit: int = 20) -> list[dict]:
        with self.db.session() as s:
            query = select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)
            if feed:
                query = query.where(SyncRun.feed == feed)
            return [ledger.run_dict(r) for r in s.scalars(query)]

    def run_detail(self, run_id: int, limit: int = 500) -> dict | None:
        with self.db.session() as s:
            run = s.get(SyncRun, run_id)
            if run is None:
                return None
            events = s.scalars(
                select(SyncEvent).where(SyncEvent.run_id == run_id).order_by(SyncEvent.id).limit(limit)
            ).all()
            return {**ledger.run_dict(run), "events": [ledger.event_dict(e) for e in events]}

    def recent_events(self, level: str | None = None, limit: int = 100) -> list[dict]:
        with self.db.session() as s:
            query = select(SyncEvent).order_by(SyncEvent.id.desc()).limit(limit)
            if level:
                query = query.where(SyncEvent.level == level)
            return [ledger.event_dict(e) for e in s.scalars(query)]


def build(settings, kb: KnowledgeBase, work_orders: WorkOrders) -> SyncService:
    connector = (
        HttpConnector(settings.sync_url, settings.sync_token, settings.sync_timeout, name=KB_FEED)
        if settings.sync_url
        else None
    )
    exchange = OrderExchange(work_orders, connector, push_own=settings.sync_push_own_orders).install()
    return SyncService(
        db=kb.db,
        kb=kb,
        exchange=exchange,
        url=settings.sync_url,
        token=settings.sync_token,
        secret=settings.sync_secret,
        timeout=settings.sync_timeout,
        page_size=settings.sync_page_size,
    )
