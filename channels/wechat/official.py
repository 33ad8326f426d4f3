"""The official account (公众号): a verified WeChat message in, the reply out, exactly once.

WeChat waits 5 s for an answer and then retries, three times. So a message is claimed by its MsgId (an event
by FromUserName + CreateTime) before anything else; the copies get "success". The conversation turn runs in
a worker thread: ready within the budget (~4 s), its reply goes back passively in the HTTP answer; later, it
is sent as a customer-service message. When the bot is down the user is told at once and the message is
tried again in the background, so it is not lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta

from wechatpy.crypto import WeChatCrypto

from channels.turn import BUSY_REPLY, Conversation, TurnResult
from hotline.channels import sender_id, user_of
from hotline.clock import utcnow
from hotline.errors import BotUnavailable, HotlineError
from hotline.privacy import mask_pii
from hotline.settings import WeChatSettings
from hotline.text import strip_trailing_punctuation
from work_orders.lifecycle import OPEN_STATES
from work_orders.service import System, WorkOrders

from . import protocol
from . import text as wtext
from .api import WeChatApi
from .errors import AccountNotConfigured, WeChatApiError
from .protocol import Malformed, Message
from .push import hot_policies, hot_policies_text
from .users import Users, region_of

log = logging.getLogger(__name__)

MENU = [
    ("投诉举报", "我要投诉"),
    ("意见建议", "我有个建议"),
    ("查询我的工单", "查一下我的工单"),
    ("转人工客服", "转人工"),
]
MENU_PAYLOADS = [payload for _, payload in MENU]  # what a digit means when no numbered list is fresh
# keys of the custom menu (自定义菜单) buttons of type "click"
CLICK_KEYS = {"COMPLAIN": "我要投诉", "SUGGEST": "我有个建议", "STATUS": "查一下我的工单", "HUMAN": "转人工"}
MENU_WORDS = ("菜单", "帮助", "menu", "help", "?", "？")
HOT_POLICY_KEY = "HOT_POLICIES"  # the menu's 热点政策 button (menu.yaml)
HOT_POLICY_WORDS = ("热点政策", "热点")
WELCOME = (
    "您好，欢迎关注12328交通运输服务监督热线！我是智能助手，7×24小时在线。\n"
    "直接发文字或语音提问（如“投诉以后多久能有结果？”），发送位置可按当地政策答复。"
)
VOICE_UNHEARD = "抱歉，这条语音没能识别出文字。请直接打字，或在安静的地方用普通话重新发送语音。"
UNSUPPORTED = "暂时只能处理文字、语音、图片和位置消息。请用文字描述您的问题，或回复“菜单”查看我能做什么。"
MALFORMED = "抱歉，这条消息的格式无法识别，请重新发送文字、语音、图片或位置消息；紧急事项请直接拨打12328电话。"
SORRY = "抱歉，系统出了点问题，请稍后重新发送；紧急事项请直接拨打12328电话。"
BUSY_RETRYING = "系统繁忙，您的消息已收到，恢复后会尽快回复您；紧急事项请直接拨打12328电话。"
BUSY_GAVE_UP = "抱歉，系统仍然繁忙，您刚才的消息“{text}”没能处理，请稍后重新发送，或直接拨打12328电话。"
LONG_NOTE = "\n（内容较长，未能全部显示；需要完整答复请拨打12328电话。）"
PHOTO_RECENT = timedelta(hours=24)


def menu_text() -> tuple[str, list[str]]:
    return wtext.render([{"text": WELCOME, "buttons": [{"title": t, "payload": p} for t, p in MENU]}])


def dedup_key(msg: Message) -> str:
    if msg.type == "event" or not msg.id:
        return f"ev:{msg.source}:{msg.time}"
    return f"msg:{msg.id}"


class OfficialAccount:
    def __init__(
        self,
        settings: WeChatSettings,
        conversation: Conversation,
        work_orders: WorkOrders,
        users: Users,
        state,
        api: WeChatApi,
        workers: int = 8,
        retry_delays: tuple[float, ...] = (10.0, 30.0, 90.0),
    ):
        self.settings = settings
        self.conversation = conversation
        self.work_orders = work_orders
        self.users = users
        self.state = state
        self.api = api
        self.retry_delays = retry_delays
        self.crypto = WeChatCrypto(settings.token, settings.aes_key, settings.appid) if settings.aes_key else None
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="wechat")
        self._inflight: set = set()
        self._inflight_lock = threading.Lock()

    # --- the HTTP side ---------------------------------------------------------------------------------
    def _configured(self) -> None:
        if not self.settings.appid:
            raise AccountNotConfigured()

    def verify(self, args) -> str:
        self._configured()
        protocol.verify_query(self.settings.token, args, self.settings.replay_window)
        return protocol.echo(args)

    def receive(self, args, body: bytes, started: float | None = None) -> str:
        """The answer to one POST from WeChat: "success" or a (possibly encrypted) passive reply.
        Raises protocol.Rejected before parsing anything that is not WeChat's (AccountNotConfigured without an
        AppID)."""
        started = started or time.monotonic()
        self._configured()
        protocol.verify_query(self.settings.token, args, self.settings.replay_window)
        envelope = protocol.open_envelope(body, args, self.crypto, self.settings.mode)
        msg = protocol.parse(envelope.xml)
        if isinstance(msg, Malformed):
            # signed, but not a message in WeChat's shape: no claim, no turn, a polite word if anyone to tell
            log.warning("malformed WeChat message from %s: %s", msg.source or "?", msg.reason)
            reply = MALFORMED if msg.source and msg.target else None
        else:
            reply = self.handle(msg, started + self.settings.reply_budget)
        if not reply:
            return "success"
        return protocol.text_reply(msg, reply, self.crypto, envelope.encrypted, args["nonce"], str(int(time.time())))

    # --- one message -----------------------------------------------------------------------------------
    def handle(self, msg: Message, deadline: float) -> str | None:
        if not self.state.claim(dedup_key(msg)):
            log.info("WeChat retry of %s ignored (already taken)", dedup_key(msg))
            return None
        sender = sender_id("wechat", msg.source)
        try:
            return self._dispatch(msg, sender, deadline)
        except Exception:  # WeChat must get an answer, the user a sentence
            log.exception("WeChat message %s of %s failed", dedup_key(msg), sender)
            return SORRY

    def _dispatch(self, msg: Message, sender: str, deadline: float) -> str | None:
        now = utcnow()
        if msg.type == "event":
            return self._event(msg, sender, deadline)
        self.users.update(sender, last_message_at=now, subscribed=True)  # opens the 48-hour window
        if msg.type == "text":
            content = msg.content.strip()
            if not content or content.lower() in MENU_WORDS:
                return self._menu(sender)
            if strip_trailing_punctuation(content) in HOT_POLICY_WORDS:
                return self._hot_policies(sender)
            payload = self._choice(sender, content, now) or content
            return self._converse(sender, payload, deadline)
        if msg.type == "voice":
            heard = strip_trailing_punctuation(msg.recognition)
            if not heard:
                return VOICE_UNHEARD
            return self._converse(sender, heard, deadline, prefix=f"（语音：{heard}）\n")
        if msg.type == "location":
            return self._location(msg, sender, deadline)
        if msg.type == "image":
            return self._photo(sender, msg.media_id)
        return UNSUPPORTED

    def _event(self, msg: Message, sender: str, deadline: float) -> str | None:
        event = msg.event
        now = utcnow()
        if event in ("subscribe", "subscribe_scan"):
            self.users.update(sender, subscribed=True, last_message_at=now)
            return self._menu(sender)
        if event == "unsubscribe":
            self.users.update(sender, subscribed=False, choices=[])
            return None
        if event == "location":  # the periodic report of a user who allowed it: remember, say nothing
            self.users.update(sender, latitude=msg.latitude, longitude=msg.longitude, location_at=now)
            return None
        if event == "click":
            self.users.update(sender, last_message_at=now)
            if msg.key == HOT_POLICY_KEY:
                return self._hot_policies(sender)
            payload = CLICK_KEYS.get(msg.key)
            return self._converse(sender, payload, deadline) if payload else self._menu(sender)
        return None  # view, template-send reports and the rest need no answer

    def _hot_policies(self, sender: str) -> str:
        """The hot policies of the region of the user's last shared location (nationwide ones if none)."""
        region = self.users.get(sender).region
        return wtext.split(hot_policies_text(hot_policies(self.users.db, region), region))[0]

    def _choice(self, sender: str, content: str, now) -> str | None:
        """A digit means an item of the latest numbered list shown to the user (while fresh), else of the menu."""
        return wtext.choice(content, self.users.get(sender).fresh_choices(now)) or wtext.choice(content, MENU_PAYLOADS)

    def _menu(self, sender: str) -> str:
        text, choices = menu_text()
        self.users.update(sender, choices=choices)
        return text

    def _location(self, msg: Message, sender: str, deadline: float) -> str | None:
        label = msg.label.strip()[:200]
        lat, lng = msg.location_x, msg.location_y
        state = self.users.get(sender)
        self.users.update(
            sender, location_label=label, region=region_of(label), latitude=lat, longitude=lng, location_at=utcnow()
        )
        if state.wants_location and label:  # the complaint form asked "where?": the place is the answer
            return self._converse(sender, label, deadline)
        region = region_of(label)
        reply = (
            f"已收到您的位置：{label or '（未知地点）'}。"
            + (f"之后的政策咨询会优先按{region}的规定答复，" if region else "")
            + ("问到发生地点时会问您是否就在该地点。" if state.asking else "登记投诉时会问您是否就在该地点。")
        )
        if state.asking:  # a form question waits ("什么时候？"): asked again, or the next answer is taken for it
            reply += "\n\n" + state.asking
        return reply

    def _photo(self, sender: str, media_id: str) -> str:
        if not media_id:
            return UNSUPPORTED
        latest = self.work_orders.for_caller(sender, limit=1)
        if latest and latest[0]["state"] in OPEN_STATES and _recent(latest[0]["received_at"]):
            number = latest[0]["number"]
            self._attach(number, [media_id])
            return f"照片已作为证据补充到您的工单{number}。"
        count = self.users.add_media(sender, media_id)
        return (
            f"照片已收到（共{count}张），将作为您接下来登记的投诉或建议的证据。"
            "请说说发生了什么，例如“我要投诉豫A12345多收费”。"
        )

    def _attach(self, number: str, media_ids: list[str]) -> None:
        for media_id in media_ids:
            self.work_orders.add_attachment(
                number,
                System("wechat"),
                "photo",
                f"wechat-media:{media_id}",
                name=f"微信图片{media_id[-8:]}",
                content_type="image/jpeg",
            )

    # --- the conversation turn -------------------------------------------------------------------------
    def _converse(self, sender: str, text: str, deadline: float, prefix: str = "") -> str | None:
        future = self._submit(self._turn, sender, text)
        try:
            reply = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            log.info("reply to %s not ready within the budget: customer-service message follows", sender)
            # tracked from now on: the turn's own entry is dropped when it finishes, before this callback
            # has queued the message (drain() and shutdown would not wait for it otherwise)
            pending = object()
            self._track(pending)

            def later(f: Future) -> None:
                try:
                    self._send_later(sender, f, prefix)
                finally:
                    self._untrack(pending)

            future.add_done_callback(later)
            return None
        if not reply:
            return None
        return self._passive(sender, prefix + reply)

    def _turn(self, sender: str, text: str) -> str:
        """The shared turn (channels.turn) with this channel's retry policy: a Busy or an outage is tried again
        later and answered by customer-service message; a bot time-out is not."""
        meta = self.users.get(sender).metadata(utcnow())
        try:
            result = self.conversation.handle(sender, text, meta)
        except BotUnavailable as exc:
            if exc.code == "bot_timeout" or not self.retry_delays or not self.api.configured:
                # a timed-out Rasa may still act on the message (a second copy could act twice); without
                # WeChat's API a later answer could not reach the user anyway
                return BUSY_REPLY
            self._retry(sender, text, 0)
            return BUSY_RETRYING
        return self._after_turn(sender, result)

    def _after_turn(self, sender: str, result: TurnResult) -> str:
        body, choices = wtext.render(result.replies)
        if result.diverted:  # the operator has the conversation (their answers come from the outbox)
            return body
        # a reply without a numbered list keeps the latest one: a digit still means its item (for a while)
        asking = result.asking or {}
        self.users.update(
            sender,
            # "where?" asked, or "是在…吗？" offering a place: a location shared now is the answer
            wants_location="发送位置" in body or asking.get("field") == "location",
            # the form question, to ask again after a location shared while another question waits
            asking=wtext.render(result.replies[-1:])[0][:300] if asking and result.replies else "",
            **({"choices": choices} if choices else {}),
        )
        number = (result.work_order or {}).get("number")
        if number:
            media = self.users.take_media(sender)
            if media:
                try:
                    self._attach(number, media)
                    body += f"\n已将您发送的{len(media)}张照片作为证据附在工单中。"
                except HotlineError as exc:
                    log.warning("attaching photos to %s failed: %s", number, exc.message)
        return body

    def _retry(self, sender: str, text: str, attempt: int) -> None:
        def again():
            try:
                result = self.conversation.handle(sender, text, self.users.get(sender).metadata(utcnow()))
            except BotUnavailable:
                if attempt + 1 < len(self.retry_delays):
                    return self._retry(sender, text, attempt + 1)
                return self.send_texts(sender, [BUSY_GAVE_UP.format(text=text[:30])])
            self.send_texts(sender, wtext.split(self._after_turn(sender, result)))

        timer = threading.Timer(self.retry_delays[attempt], lambda: self._submit(again))
        timer.daemon = True
        self._track(timer)
        timer.start()

    def _passive(self, sender: str, reply: str) -> str | None:
        pieces = wtext.split(reply)
        if len(pieces) <= 1:
            return reply
        if self.api.configured:  # all of it as customer-service messages, so the parts arrive in order
            self._submit(self.send_texts, sender, pieces)
            return None
        return wtext.split(reply, wtext.LIMIT - len(LONG_NOTE.encode()))[0] + LONG_NOTE

    def _send_later(self, sender: str, future: Future, prefix: str) -> None:
        try:
            reply = future.result()
        except Exception:
            log.exception("late turn of %s failed", sender)
            reply = SORRY
        if reply:
            self._submit(self.send_texts, sender, wtext.split(prefix + reply))

    def send_texts(self, sender: str, texts: list[str]) -> bool:
        """Customer-service messages, in order; stops at the first that WeChat refuses."""
        openid = user_of(sender)
        for piece in texts:
            try:
                self.api.send_text(openid, piece)
            except WeChatApiError as exc:
                log.warning(
                    "customer-service message to %s not delivered (%s): %s", sender, exc.code, mask_pii(piece[:60])
                )
                return False
        return True

    # --- background work -------------------------------------------------------------------------------
    def _submit(self, fn: Callable, *args) -> Future:
        future = self._pool.submit(fn, *args)
        self._track(future)
        return future

    def _track(self, item) -> None:
        with self._inflight_lock:
            self._inflight.add(item)
        if isinstance(item, Future):
            item.add_done_callback(self._untrack)

    def _untrack(self, item) -> None:
        with self._inflight_lock:
            self._inflight.discard(item)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait for background turns, deliveries and scheduled retries (tests, shutdown)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._inflight_lock:
                # a timer is done once it has fired (its function has queued the turn by then) or was cancelled;
                # not "not alive": a timer tracked by a turn just before it is started is not alive yet
                items = [i for i in self._inflight if not (isinstance(i, threading.Timer) and i.finished.is_set())]
                self._inflight = set(items)
            if not items:
                return
            time.sleep(0.02)
        raise TimeoutError("WeChat background work still running")


def _recent(iso: str | None) -> bool:
    from datetime import datetime

    if not iso:
        return False
    try:
        return utcnow() - datetime.fromisoformat(iso) < PHOTO_RECENT
    except ValueError:
        return False
