"""Handoff to a human operator (人工客服): queue, take over, talk, close.

The Rasa action ``action_handoff`` calls :meth:`Handoffs.request` when the user asks for a person (the bot
offers one after it failed to answer twice). Inside service hours (working days of the China calendar,
``HOTLINE_SERVICE_HOURS`` China time) the conversation is queued with its transcript for the operator console;
outside them the user is told when operators are back and offered a work order instead. Every channel first
offers the user's message to :meth:`Handoffs.divert` (the web chat directly, WeChat and the mini-program through
``channels.wechat.routing.to_operator``): while a handoff is open it goes to the operator instead of Rasa
(“取消人工” leaves); once the handoff is closed the bot answers again.

Delivery of what operators write, on the user's own channel:

- channels whose client polls (``polls`` in hotline.channels: ``web:``, ``miniprogram:``) — the chat page polls
  ``GET /api/chat/updates``, the mini-program ``GET /api/mp/updates`` (:meth:`Handoffs.messages` with the
  sender); the random sender id kept in the browser, or the mini-program's login, entitles them to read them.
- every other channel (``wechat:``, the official account) — each message to the user is also written to the
  ``ho_outbox`` table. The channel module delivers :meth:`Handoffs.pending_outbox` (WeChat's customer-service
  message API, allowed within 48 h of the user's last message) and calls :meth:`Handoffs.mark_sent`, which
  only one replica wins.

A queued handoff that no operator took before service hours end is closed at the next look
(:meth:`Handoffs.expire`, also called by the queue and the user's next message), and the user is told when
operators are back. No Flask and no Rasa here; ``now`` freezes the clock in tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, time

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import channels
from hotline.clock import CHINA, aware, china_time, utcnow
from hotline.db import Database
from hotline.errors import NotFound
from hotline.privacy import mask_pii
from hotline.settings import ServiceHours
from hotline.text import strip_trailing_punctuation
from work_orders.calendar import WorkCalendar
from work_orders.urgency import transcript_urgent

from .errors import HandoffConflict, HandoffError
from .models import Handoff, HandoffMessage, HandoffOutbox

MAX_TEXT = 2000
MAX_TRANSCRIPT = 50
OPEN = ("queued", "taken")
STATES = {"queued": "排队中", "taken": "人工服务中", "closed": "已结束"}
REASONS = {"user_request": "用户要求转人工", "repeated_failure": "多次未能解答"}
CANCEL_WORDS = ("取消人工", "结束人工", "退出人工", "不用人工", "取消转人工", "返回智能助手", "结束人工服务")
WEEKDAYS = "一二三四五六日"

TAKEN_NOTE = "人工客服已接入，正在为您服务。"
CLOSED_NOTE = "本次人工服务已结束，感谢您的耐心。如有其他问题，可以继续向智能助手提问。"
CANCELLED_NOTE = "已退出人工服务，您可以继续向智能助手提问。"
QUEUED_NOTE = "您的消息已转给人工客服，客服接入后会在这里回复您，请稍候。"


def _iso(value: datetime | None) -> str | None:
    return aware(value).astimezone(UTC).isoformat() if value is not None else None


def is_cancel(text: str) -> bool:
    """The user wants the bot back (“取消人工”): channels close the handoff instead of forwarding this."""
    return strip_trailing_punctuation(text) in CANCEL_WORDS


def split_sender(sender: str) -> tuple[str, str]:
    parsed = channels.parse_sender(sender)
    if parsed is None:
        raise HandoffError("会话标识须为“渠道:用户ID”，如 web:abc123", code="invalid_sender")
    return parsed


def _polls(code: str) -> bool:
    channel = channels.get(code)
    return channel is not None and channel.polls


def clean_text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise HandoffError("请输入内容", code="empty_message")
    if len(text) > MAX_TEXT:
        raise HandoffError(f"内容过长，请控制在{MAX_TEXT}字以内", code="message_too_long")
    return text.strip()


def clean_transcript(transcript) -> list[dict]:
    """Keep what the console shows: who (user/bot), text (≤ 2000 characters), when (ISO; Rasa gives epochs)."""
    out = []
    for entry in transcript if isinstance(transcript, list) else []:
        if not isinstance(entry, dict) or entry.get("who") not in ("user", "bot"):
            continue
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        out.append({"who": entry["who"], "text": text[:MAX_TEXT], "at": _moment(entry.get("at"))})
    return out[-MAX_TRANSCRIPT:]


def _moment(at) -> str:
    if isinstance(at, str):
        return at[:40]
    if isinstance(at, (int, float)) and not isinstance(at, bool):
        try:
            return datetime.fromtimestamp(at, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return ""
    return ""


def user_tag(sender: str) -> str:
    """A short stable label for the console: the sender id itself (a web visitor's secret) is not shown."""
    return "访客" + hashlib.sha256(sender.encode()).hexdigest()[:6].upper()


def format_opening(moment: datetime) -> str:
    local = china_time(moment)
    return f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）{local:%H:%M}"


class Handoffs:
    def __init__(
        self,
        db: Database,
        calendar_factory: Callable[[], WorkCalendar],
        service_hours: ServiceHours | tuple[time, time] = ServiceHours(),
    ):
        self.db = db
        self.calendar_factory = calendar_factory
        self.service_hours = service_hours if isinstance(service_hours, ServiceHours) else ServiceHours(*service_hours)
        self.clock: Callable[[], datetime] = utcnow  # tests freeze it

    # --- service hours --------------------------------------------------------------------------------
    @property
    def hours_label(self) -> str:
        return self.service_hours.label

    def is_open(self, now: datetime | None = None) -> bool:
        local = china_time(now or self.clock())
        return self.service_hours.covers(local.time()) and self.calendar_factory().is_workday(local.date())

    def opens_at(self, now: datetime | None = None) -> datetime | None:
        """When operators are next on duty (China time): today's start if it is still ahead on a working
        day, else the start of the next working day (holidays and 调休 from the work calendar); None when
        service hours are off."""
        if self.service_hours.off:
            return None
        local = china_time(now or self.clock())
        calendar = self.calendar_factory()
        start = self.service_hours.start
        day = local.date()
        if not (calendar.is_workday(day) and local.time() < start):
            day = calendar.add_working_days(day, 1)
        return datetime.combine(day, start, CHINA)

    def service_status(self, now: datetime | None = None) -> dict:
        now = now or self.clock()
        is_open = self.is_open(now)
        opens = None if is_open else self.opens_at(now)
        return {"open": is_open, "hours": self.hours_label, "opens_at": opens and opens.isoformat()}

    def closed_message(self, opens: datetime | None) -> str:
        when = (
            "目前暂不提供在线人工客服。"
            if opens is None
            else f"现在不在人工客服服务时间（{self.hours_label}），人工客服将于{format_opening(opens)}上线。"
        )
        return when + "您可以先留言登记工单，我们会在工作时间处理并回复您；紧急事项请直接拨打12328电话。"

    # --- the user's side ------------------------------------------------------------------------------
    def request(self, sender: str, reason: str, transcript: list[dict], now: datetime | None = None) -> dict:
        """Queue the conversation for an operator, or say when operators are back (outside service hours)."""
        now = now or self.clock()
        channel, _ = split_sender(sender)
        current = self.active(sender, now=now)
        if current is not None:
            return self._already(current)
        if not self.is_open(now):
            opens = self.opens_at(now)
            return {"status": "closed", "message": self.closed_message(opens), "opens_at": opens and opens.isoformat()}
        try:
            with self.db.session() as s:
                handoff = Handoff(
                    sender=sender,
                    channel=channel,
                    open_sender=sender,
                    state="queued",
                    reason=(reason or "user_request")[:40],
                    transcript=clean_transcript(transcript),
                    urgent=transcript_urgent(transcript),
                    created_at=now,
                )
                s.add(handoff)
                s.flush()
                position = self._position(s, handoff.id)
                handoff_id = handoff.id
                urgent = handoff.urgent
        except IntegrityError:  # a concurrent request of the same user won
            current = self.active(sender, now=now)
            if current is None:
                raise
            return self._already(current)
        return {
            "status": "queued",
            "handoff_id": handoff_id,
            "position": position,
            "urgent": urgent,
            "message": ("您反映的情况较为紧急，已优先为您转接人工客服，" if urgent else "已为您转接人工客服，")
            + f"当前排队第{position}位，请稍候。客服接入后会在这里回复您，"
            "您可以先简要描述您的问题；输入“取消人工”可返回智能助手。",
        }

    def _already(self, current: dict) -> dict:
        if current["state"] == "queued":
            message = f"您已在排队等待人工客服，当前排队第{current['position']}位，请稍候。"
        else:
            message = "人工客服正在为您服务，请直接输入您的问题。"
        return {
            "status": "already",
            "handoff_id": current["id"],
            "state": current["state"],
            "position": current["position"],
            "message": message,
        }

    def active(self, sender: str, now: datetime | None = None) -> dict | None:
        """The open (queued or taken) handoff of this sender, as the user's channel needs it; else None."""
        with self.db.session() as s:
            handoff = s.scalar(select(Handoff).where(Handoff.open_sender == sender))
            if handoff is None:
                return None
            if handoff.state == "taken" or self.is_open(now):
                return {
                    "id": handoff.id,
                    "state": handoff.state,
                    "state_label": STATES[handoff.state],
                    "channel": handoff.channel,
                    "position": self._position(s, handoff.id) if handoff.state == "queued" else None,
                    "user_messages": s.scalar(
                        select(func.count(HandoffMessage.id)).where(
                            HandoffMessage.handoff_id == handoff.id, HandoffMessage.who == "user"
                        )
                    ),
                    "created_at": _iso(handoff.created_at),
                }
        self.expire(now)  # still queued when service hours ended: nobody will take it today
        return None

    def divert(self, sender: str, text: str, now: datetime | None = None) -> dict | None:
        """What every channel calls before Rasa. None: no open handoff, the bot answers. Otherwise the message
        went to the operator (or “取消人工” ended the handoff) and the channel replies with
        ``{"replies": [Chinese texts, often none], "handoff": the open handoff or None}``."""
        current = self.active(sender, now=now)
        if current is None:
            return None
        if is_cancel(text):
            self.cancel(sender, now=now)
            return {"replies": [CANCELLED_NOTE], "handoff": None}
        try:
            self.user_message(sender, text, now=now)
        except HandoffConflict:  # closed a moment ago: the bot answers
            return None
        first = current["state"] == "queued" and not current["user_messages"]
        return {"replies": [QUEUED_NOTE] if first else [], "handoff": current}

    def user_message(self, sender: str, text: str, now: datetime | None = None) -> None:
        """Store what the user wrote while a handoff is open (the operator sees it; Rasa does not)."""
        now = now or self.clock()
        text = clean_text(text)
        with self.db.session() as s:
            handoff = s.scalar(select(Handoff).where(Handoff.open_sender == sender).with_for_update())
            if handoff is None:
                raise HandoffConflict("当前没有进行中的人工服务", code="handoff_closed")
            s.add(HandoffMessage(handoff_id=handoff.id, sender=sender, who="user", text=text, at=now))

    def cancel(self, sender: str, now: datetime | None = None) -> bool:
        """The user leaves the handoff (“取消人工”); False if none was open."""
        now = now or self.clock()
        with self.db.session() as s:
            handoff = s.scalar(select(Handoff).where(Handoff.open_sender == sender).with_for_update())
            if handoff is None:
                return False
            # no note in the user's inbox: the channel answers the cancel message itself (CANCELLED_NOTE)
            self._close(s, handoff, "user", "用户取消", None, now)
        return True

    # --- the operators' side --------------------------------------------------------------------------
    def queue(self, now: datetime | None = None) -> list[dict]:
        """Open handoffs, urgent ones first, then oldest first, with phone and ID numbers masked (the full transcript comes with
        :meth:`get` once the conversation is taken)."""
        now = now or self.clock()
        self.expire(now)
        with self.db.session() as s:
            rows = s.scalars(
                select(Handoff).where(Handoff.state.in_(OPEN)).order_by(Handoff.urgent.desc(), Handoff.id)
            ).all()
            messages = self._messages_by_handoff(s, [h.id for h in rows])
            queued = [h.id for h in rows if h.state == "queued"]
            return [
                self._dict(
                    h,
                    messages.get(h.id, []),
                    now,
                    masked=True,
                    position=queued.index(h.id) + 1 if h.id in queued else None,
                )
                for h in rows
            ]

    def pulse(self) -> dict:
        """The console's live view of the queue in one aggregate query: how many wait (how many of them urgent),
        how many are being served, and the newest id (a new request rings once)."""
        queued = Handoff.state == "queued"
        with self.db.session() as s:
            row = s.execute(
                select(
                    func.count().filter(queued),
                    func.count().filter(and_(queued, Handoff.urgent.is_(True))),
                    func.count().filter(Handoff.state == "taken"),
                    func.max(Handoff.id).filter(queued),
                ).where(Handoff.state.in_(OPEN))
            ).one()
        return {"queued": row[0], "urgent": row[1], "taken": row[2], "newest": row[3] or 0}

    def get(self, handoff_id: int, now: datetime | None = None, viewer=None) -> dict:
        """One handoff with its transcript and messages; masked while it is still waiting in the queue, and
        for a ``viewer`` (accounts.Principal) who is not an operator."""
        now = now or self.clock()
        with self.db.session() as s:
            handoff = self._load(s, handoff_id)
            messages = self._messages_by_handoff(s, [handoff.id]).get(handoff.id, [])
            position = self._position(s, handoff.id) if handoff.state == "queued" else None
            return self._dict(
                handoff, messages, now, masked=_masked(handoff, viewer), position=position, with_sender=True
            )

    def state(self, handoff_id: int) -> str:
        with self.db.session() as s:
            return self._load(s, handoff_id).state

    def take(self, handoff_id: int, operator: str, now: datetime | None = None, viewer=None) -> dict:
        now = now or self.clock()
        with self.db.session() as s:
            taken = s.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.state == "queued")
                .values(state="taken", operator=operator, taken_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            handoff = self._load(s, handoff_id)
            if not taken:
                if handoff.state == "taken":
                    raise HandoffConflict(f"该会话已由{handoff.operator}接入", code="already_taken")
                raise HandoffConflict("该会话已结束", code="handoff_closed")
            self._to_user(s, handoff, "system", "", TAKEN_NOTE, now)
        return self.get(handoff_id, now, viewer)

    def operator_message(self, handoff_id: int, operator: str, text: str, now: datetime | None = None) -> dict:
        now = now or self.clock()
        text = clean_text(text)
        with self.db.session() as s:
            handoff = self._load(s, handoff_id, lock=True)
            if handoff.state == "closed":
                raise HandoffConflict("该会话已结束，消息未发送", code="handoff_closed")
            if handoff.state == "queued":
                raise HandoffConflict("请先接入该会话再回复", code="not_taken")
            if handoff.operator != operator:
                raise HandoffConflict(f"该会话由{handoff.operator}接待", code="not_yours")
            return _message_dict(self._to_user(s, handoff, "operator", operator, text, now))

    def close(
        self,
        handoff_id: int,
        operator: str,
        note: str = "",
        now: datetime | None = None,
        force: bool = False,
        viewer=None,
    ) -> dict:
        """End the handoff; the bot answers the user again. Only the operator who took it may close a taken
        handoff unless ``force`` (admins); any operator may close one still queued."""
        now = now or self.clock()
        with self.db.session() as s:
            handoff = self._load(s, handoff_id, lock=True)
            if handoff.state == "closed":
                raise HandoffConflict("该会话已结束", code="handoff_closed")
            if handoff.state == "taken" and handoff.operator != operator and not force:
                raise HandoffConflict(f"该会话由{handoff.operator}接待，只能由其结束", code="not_yours")
            self._close(s, handoff, operator, (note or "").strip()[:1000], CLOSED_NOTE, now)
        return self.get(handoff_id, now, viewer)

    def messages(self, ref: int | str, after_id: int = 0, limit: int = 200, viewer=None) -> list[dict]:
        """Messages with an id above ``after_id``, oldest first. ``ref`` is a handoff id (the operator's
        view: the whole conversation, masked like :meth:`get`) or a sender (the user's inbox: what operators
        and the system wrote to that user, across handoffs)."""
        query = select(HandoffMessage).where(HandoffMessage.id > after_id)
        if isinstance(ref, int):
            query = query.where(HandoffMessage.handoff_id == ref)
        else:
            query = query.where(HandoffMessage.sender == ref, HandoffMessage.who.in_(("operator", "system")))
        with self.db.session() as s:
            show = _unchanged
            if isinstance(ref, int) and _masked(self._load(s, ref), viewer):
                show = mask_pii
            rows = s.scalars(query.order_by(HandoffMessage.id).limit(limit)).all()
            return [{**_message_dict(m), "text": show(m.text)} for m in rows]

    def expire(self, now: datetime | None = None) -> int:
        """Close the handoffs still queued outside service hours and tell their users when operators are
        back. Safe to run twice or on several replicas (each close is a conditional update)."""
        now = now or self.clock()
        if self.is_open(now):
            return 0
        opens = self.opens_at(now)
        back = "" if opens is None else f"人工客服将于{format_opening(opens)}上线；"
        note = (
            f"非常抱歉，人工客服的服务时间已结束，未能为您接入。{back}"
            "您可以先留言登记工单，我们会在工作时间处理并回复您。"
        )
        closed = 0
        with self.db.session() as s:
            for handoff in s.scalars(select(Handoff).where(Handoff.state == "queued")).all():
                closed += self._close(s, handoff, "system", "服务时间结束，未接入", note, now)
        return closed

    # --- delivery to channels that cannot poll --------------------------------------------------------
    def pending_outbox(self, channel: str | None = None, limit: int = 50) -> list[dict]:
        query = select(HandoffOutbox).where(HandoffOutbox.sent_at.is_(None))
        if channel:
            query = query.where(HandoffOutbox.channel == channel)
        with self.db.session() as s:
            return [
                {
                    "id": o.id,
                    "channel": o.channel,
                    "recipient": o.recipient,
                    "text": o.text,
                    "created_at": _iso(o.created_at),
                }
                for o in s.scalars(query.order_by(HandoffOutbox.id).limit(limit)).all()
            ]

    def mark_sent(self, outbox_id: int, now: datetime | None = None) -> bool:
        """Record a delivery; False if another worker already did (deliver only when this returns True,
        or call it first as a claim)."""
        with self.db.session() as s:
            return bool(
                s.execute(
                    update(HandoffOutbox)
                    .where(HandoffOutbox.id == outbox_id, HandoffOutbox.sent_at.is_(None))
                    .values(sent_at=now or self.clock())
                    .execution_options(synchronize_session=False)
                ).rowcount
            )

    # --- internals ------------------------------------------------------------------------------------
    def _load(self, s: Session, handoff_id: int, lock: bool = False) -> Handoff:
        query = select(Handoff).where(Handoff.id == handoff_id)
        handoff = s.scalar(query.with_for_update() if lock else query)
        if handoff is None:
            raise NotFound("未找到该转人工会话")
        return handoff

    @staticmethod
    def _position(s: Session, handoff_id: int) -> int:
        """The place in the queue: urgent handoffs first, then by arrival (the order of :meth:`queue`)."""
        urgent = bool(s.scalar(select(Handoff.urgent).where(Handoff.id == handoff_id)))
        ahead = (
            or_(Handoff.urgent.is_(True), Handoff.id <= handoff_id)
            if not urgent
            else and_(Handoff.urgent.is_(True), Handoff.id <= handoff_id)
        )
        return s.scalar(select(func.count(Handoff.id)).where(Handoff.state == "queued", ahead))

    def _close(self, s: Session, handoff: Handoff, by: str, note: str, tell_user: str | None, now: datetime) -> int:
        closed = s.execute(
            update(Handoff)
            .where(Handoff.id == handoff.id, Handoff.state.in_(OPEN))
            .values(state="closed", open_sender=None, closed_at=now, closed_by=by, close_note=note)
            .execution_options(synchronize_session=False)
        ).rowcount
        if closed and tell_user:
            self._to_user(s, handoff, "system", "", tell_user, now)
        return closed

    @staticmethod
    def _to_user(s: Session, handoff: Handoff, who: str, author: str, text: str, now: datetime) -> HandoffMessage:
        message = HandoffMessage(
            handoff_id=handoff.id, sender=handoff.sender, who=who, author=author, text=text, at=now
        )
        s.add(message)
        s.flush()
        if not _polls(handoff.channel):  # e.g. the official account: delivered through the outbox
            s.add(
                HandoffOutbox(
                    message_id=message.id, channel=handoff.channel, recipient=handoff.sender, text=text, created_at=now
                )
            )
        return message

    @staticmethod
    def _messages_by_handoff(s: Session, ids: list[int]) -> dict[int, list[HandoffMessage]]:
        out: dict[int, list[HandoffMessage]] = {}
        if ids:
            rows = s.scalars(
                select(HandoffMessage).where(HandoffMessage.handoff_id.in_(ids)).order_by(HandoffMessage.id)
            ).all()
            for m in rows:
                out.setdefault(m.handoff_id, []).append(m)
        return out

    def _dict(
        self,
        h: Handoff,
        messages: list[HandoffMessage],
        now: datetime,
        masked: bool,
        position: int | None = None,
        with_sender: bool = False,
    ) -> dict:
        show = mask_pii if masked else _unchanged
        until = aware(h.taken_at) or aware(h.closed_at) or now
        out = {
            "id": h.id,
            "channel": h.channel,
            "channel_label": channels.label(h.channel, h.channel),
            "user_tag": user_tag(h.sender),
            "reason": h.reason,
            "reason_label": REASONS.get(h.reason, h.reason),
            "urgent": bool(h.urgent),
            "state": h.state,
            "state_label": STATES.get(h.state, h.state),
            "operator": h.operator,
            "position": position,
            "created_at": _iso(h.created_at),
            "taken_at": _iso(h.taken_at),
            "closed_at": _iso(h.closed_at),
            "closed_by": h.closed_by,
            "waiting_seconds": max(0, int((until - aware(h.created_at)).total_seconds())),
            "masked": masked,
            "transcript": [{**entry, "text": show(entry.get("text", ""))} for entry in h.transcript or []],
            "messages": [{**_message_dict(m), "text": show(m.text)} for m in messages],
        }
        if with_sender:
            out["sender"] = h.sender
            out["close_note"] = show(h.close_note or "")
        return out


def _unchanged(text: str) -> str:
    return text


def _masked(handoff: Handoff, viewer) -> bool:
    """Phone and ID numbers are hidden while the conversation waits in the queue (nobody serves it yet) and
    from staff who are not operators (an admin): only the operators talking to the user need them."""
    return handoff.state == "queued" or (viewer is not None and "operator" not in viewer.roles)


def _message_dict(m: HandoffMessage) -> dict:
    return {
        "id": m.id,
        "handoff_id": m.handoff_id,
        "who": m.who,
        "author": m.author,
        "text": m.text,
        "at": _iso(m.at),
        "label": {"operator": "人工客服", "system": "系统消息", "user": "用户"}[m.who],
    }
