"""The mini-program (小程序) backend: login through code2session into our own session token, the user's
subscriptions to work-order updates (订阅消息), and complaints with photos.

WeChat's session_key never leaves code2session: we keep neither it nor our token in clear (only the token's
SHA-256), and a session expires after ``HOTLINE_MINIPROGRAM_SESSION_HOURS``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from hotline.channels import sender_id
from hotline.clock import utcnow
from hotline.db import Database
from hotline.errors import NotFound
from work_orders.attachments import PHOTOS, AttachmentStore, FileType
from work_orders.errors import AttachmentRejected, AttachmentTooLarge, WorkOrderError
from work_orders.service import System, WorkOrders

from .api import WeChatApi
from .errors import LoginFailed, MiniProgramUnavailable, PhoneCodeInvalid, Refused, WeChatApiError
from .models import MiniProgramSession, MiniProgramSubscription

log = logging.getLogger(__name__)

MAX_PHOTOS = 9
MAX_SUBSCRIPTIONS = 50  # accepted one-time subscriptions kept per template
INVALID_CODE = (40029, 40163, 40226)  # invalid / used / high-risk code


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, db: Database, api: WeChatApi, hours: float):
        self.db = db
        self.api = api
        self.lifetime = timedelta(hours=hours)

    def login(self, code: str, now: datetime | None = None) -> dict:
        now = now or utcnow()
        session = self._redeem(
            self.api.code_to_session,
            code,
            LoginFailed("登录凭证无效或已使用，请重新登录"),
            "微信登录服务暂时不可用，请稍后再试",
        )
        openid = session.get("openid") or ""
        if not openid:
            raise MiniProgramUnavailable("微信登录服务返回异常，请稍后再试")
        token = secrets.token_urlsafe(32)
        expires = now + self.lifetime
        with self.db.session() as s:
            s.execute(delete(MiniProgramSession).where(MiniProgramSession.expires_at < now))
            s.add(
                MiniProgramSession(
                    token_hash=_hash(token),
                    openid=openid,
                    unionid=session.get("unionid") or "",
                    created_at=now,
                    expires_at=expires,
                )
            )
        return {"token": token, "expires_at": expires.isoformat(), "expires_in": int(self.lifetime.total_seconds())}

    def _redeem(self, call, code: str, invalid: Exception, unavailable: str) -> dict:
        """A one-time code from the mini-program exchanged with WeChat: ``invalid`` raised when WeChat says the code
        is bad or used, MiniProgramUnavailable(``unavailable``) when WeChat cannot be reached or fails."""
        if not self.api.configured:
            raise MiniProgramUnavailable("未配置小程序 AppID/AppSecret")
        try:
            return call(code)
        except WeChatApiError as exc:
            if exc.errcode in INVALID_CODE:
                raise invalid from exc
            log.warning("%s failed: %s", getattr(call, "__name__", "WeChat call"), exc.message)
            raise MiniProgramUnavailable(unavailable) from exc

    def openid(self, token: str, now: datetime | None = None) -> str | None:
        now = now or utcnow()
        with self.db.session() as s:
            row = s.get(MiniProgramSession, _hash(token or ""))
            if row is None:
                return None
            expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
            return row.openid if expires > now else None

    def phone_number(self, code: str) -> str:
        """The number the user chose with WeChat's phone-number button (the code works once, for 5 minutes)."""
        answer = self._redeem(
            self.api.phone_number,
            code,
            PhoneCodeInvalid("手机号授权已失效，请再点一次或直接填写"),
            "暂时无法获取手机号，请直接填写",
        )
        info = answer.get("phone_info") or {}
        number = info.get("purePhoneNumber") or info.get("phoneNumber") or ""
        if not number:
            raise MiniProgramUnavailable("暂时无法获取手机号，请直接填写")
        return number

    def logout(self, token: str) -> None:
        with self.db.session() as s:
            s.execute(delete(MiniProgramSession).where(MiniProgramSession.token_hash == _hash(token)))


class Subscriptions:
    """One accepted request (wx.requestSubscribeMessage → "accept") allows one message of that template."""

    def __init__(self, db: Database):
        self.db = db

    def record(self, openid: str, results: dict[str, str], now: datetime | None = None) -> list[dict]:
        now = now or utcnow()
        for template_id, result in results.items():
            for _ in range(2):  # upsert, racing a concurrent first record
                try:
                    with self.db.session() as s:
                        row = s.get(MiniProgramSubscription, (openid, template_id))
                        if row is None:
                            row = MiniProgramSubscription(openid=openid, template_id=template_id, remaining=0)
                            s.add(row)
                        row.remaining = (
                            min(MAX_SUBSCRIPTIONS, (row.remaining or 0) + 1) if result == "accept" else 0
                        )  # reject / ban: the user said no
                        row.updated_at = now
                    break
                except IntegrityError:
                    continue
        return self.list(openid)

    def list(self, openid: str) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(
                select(MiniProgramSubscription)
                .where(MiniProgramSubscription.openid == openid)
                .order_by(MiniProgramSubscription.template_id)
            ).all()
            return [{"template_id": r.template_id, "remaining": r.remaining} for r in rows]

    def use(self, openid: str, template_id: str) -> bool:
        with self.db.session() as s:
            return bool(
                s.execute(
                    update(MiniProgramSubscription)
                    .where(
                        MiniProgramSubscription.openid == openid,
                        MiniProgramSubscription.template_id == template_id,
                        MiniProgramSubscription.remaining > 0,
                    )
                    .values(remaining=MiniProgramSubscription.remaining - 1)
                    .execution_options(synchronize_session=False)
                ).rowcount
            )

    def send(
        self,
        api: WeChatApi,
        openid: str,
        template_id: str,
        data: dict,
        page: str,
        refused: str = "用户没有可用的订阅消息授权",
    ) -> None:
        """One subscribe message on one of the user's consents: the consent is used up when WeChat sends it and given
        back when WeChat did not (a transient error); without a consent left, Refused (``refused`` says why)."""
        if not self.use(openid, template_id):
            raise Refused(refused)
        try:
            api.send_subscribe(openid, template_id, data, page=page)
        except WeChatApiError as exc:
            if exc.transient:
                self.give_back(openid, template_id)
            raise

    def give_back(self, openid: str, template_id: str) -> None:
        with self.db.session() as s:
            s.execute(
                update(MiniProgramSubscription)
                .where(MiniProgramSubscription.openid == openid, MiniProgramSubscription.template_id == template_id)
                .values(remaining=MiniProgramSubscription.remaining + 1)
                .execution_options(synchronize_session=False)
            )


class Complaints:
    """Work orders filed from the mini-program's form, with photos in the one attachment store (checked by
    their bytes, like staff uploads)."""

    def __init__(self, work_orders: WorkOrders, store: AttachmentStore):
        self.work_orders = work_orders
        self.store = store

    def submit(
        self, openid: str, fields: dict, photos: list[tuple[bytes, str]], idempotency_key: str
    ) -> tuple[dict, bool]:
        if len(photos) > MAX_PHOTOS:
            raise WorkOrderError(f"最多上传{MAX_PHOTOS}张照片", code="too_many_photos")
        for data, _name in photos:  # all checked before anything is written
            self.check_photo(data)
        sender = sender_id("miniprogram", openid)
        data = {**fields, "channel": "miniprogram", "caller_user": sender}
        # the key is the user's own: two users can never collide, a retry of one user finds its first order
        order, created = self.work_orders.create(
            data, actor="miniprogram", idempotency_key=f"{sender}:{idempotency_key}"[:100]
        )
        if created:
            for data_bytes, name in photos:
                self._store(order["number"], data_bytes, name)
        return self.work_orders.lookup(order["number"], caller_user=sender), created

    def add_photo(self, openid: str, number: str, data: bytes, name: str) -> dict:
        self.check_photo(data)
        self.own(openid, number)
        self._store(number, data, name)
        return self.work_orders.lookup(number, caller_user=sender_id("miniprogram", openid))

    def own(self, openid: str, number: str) -> dict:
        """The order if it is this user's; a stranger's order looks like no order at all."""
        try:
            return self.work_orders.lookup(number, caller_user=sender_id("miniprogram", openid))
        except WorkOrderError as exc:
            if exc.code == "verification_required":
                raise NotFound("未找到该工单，请核对工单编号") from exc
            raise

    def check_photo(self, data: bytes) -> FileType:
        try:
            return self.store.check(data, PHOTOS)
        except AttachmentTooLarge as exc:
            raise WorkOrderError("每张照片不能超过10MB", code="photo_too_large") from exc
        except AttachmentRejected as exc:
            raise WorkOrderError("仅支持 JPG/PNG/WEBP 图片", code="unsupported_photo") from exc

    def _store(self, number: str, data: bytes, name: str) -> None:
        stored = self.store.save(data, name or "照片", PHOTOS)
        self.work_orders.add_attachment(
            number, System("miniprogram"), "photo", stored.ref, stored.name, stored.type.mime, stored.size
        )
