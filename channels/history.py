"""The web visitor's recent conversation, so that a reload of the chat page shows it again with its order numbers.

The web chat view calls :meth:`ChatHistory.record` after each turn (the user's message and every reply) and the page
reads :meth:`ChatHistory.recent` (``GET /api/chat/history``) on load. A pressed button is stored as its title, not
as its raw payload (``/rate{"rating": …}``); each reply keeps the sources it belongs to (the answer, not the form
question asked again after it). Turns older than ``KEEP_DAYS`` are purged by the nightly job. No Flask here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import JSON, Index, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, Database, UTCDateTime

log = logging.getLogger(__name__)
KEEP_DAYS = 30
LIMIT = 50
MAX_TEXT = 4000


class ChatTurn(Base):
    """One message of a web conversation: the user's (role "user") or one reply of the assistant ("bot")."""

    __tablename__ = "chat_turn"
    __table_args__ = (Index("ix_chat_turn_sender_id", "sender", "id"), Index("ix_chat_turn_created_at", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(160))
    role: Mapped[str] = mapped_column(String(10))  # user | bot
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list] = mapped_column(JSON, default=list)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    work_order: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def source_reply(replies: list[dict], sources: list[dict]) -> int | None:
    """Which reply the sources belong to: the one that cites them, else the first (an answer followed by a form's
    question asked again); None without sources or replies."""
    if not sources or not replies:
        return None
    marks = [m for s in sources[:1] for m in (s.get("citation"), s.get("title")) if m]
    marks += [m.split("》")[0] + "》" for m in marks if m.startswith("《") and "》" in m]
    for i, reply in enumerate(replies):
        if any(m in (reply.get("text") or "") for m in marks):
            return i
    return 0


def shown_text(text: str, buttons: list[dict]) -> str:
    """What the user's bubble shows: a pressed button's title instead of its payload."""
    for b in buttons or []:
        if isinstance(b, dict) and b.get("payload") == text and b.get("title"):
            return b["title"]
    return text


class ChatHistory:
    def __init__(self, db: Database):
        self.db = db
        self.clock = utcnow  # tests freeze it

    def record(self, sender: str, text: str, result: dict) -> None:
        """Store one turn (never fails the conversation: a storage error is logged)."""
        try:
            self._record(sender, text, result)
        except Exception:
            log.exception("chat history write failed")

    def _record(self, sender: str, text: str, result: dict) -> None:
        now = self.clock()
        replies = [r for r in result.get("replies") or [] if isinstance(r, dict)]
        sources = result.get("sources") or []
        cited = source_reply(replies, sources)
        with self.db.session() as s:
            # a button may be pressed on any recent bubble: its title, from the latest bot turns
            offered = s.scalars(
                select(ChatTurn.buttons)
                .where(ChatTurn.sender == sender, ChatTurn.role == "bot")
                .order_by(ChatTurn.id.desc())
                .limit(20)
            ).all()
            last = [b for buttons in offered for b in buttons or []]
            s.add(ChatTurn(sender=sender, role="user", text=shown_text(text, last)[:MAX_TEXT], created_at=now))
            for i, reply in enumerate(replies):
                s.add(
                    ChatTurn(
                        sender=sender,
                        role="bot",
                        text=str(reply.get("text") or "")[:MAX_TEXT],
                        buttons=[
                            {"title": b.get("title", ""), "payload": b.get("payload", "")}
                            for b in reply.get("buttons") or []
                            if isinstance(b, dict)
                        ],
                        sources=sources if i == cited else [],
                        work_order=result.get("work_order") if i == len(replies) - 1 else None,
                        created_at=now,
                    )
                )

    def recent(self, sender: str, limit: int = LIMIT) -> list[dict]:
        """The sender's last ``limit`` messages, oldest first (only this sender's)."""
        with self.db.session() as s:
            rows = s.scalars(
                select(ChatTurn).where(ChatTurn.sender == sender).order_by(ChatTurn.id.desc()).limit(limit)
            ).all()
            return [
                {
                    "role": t.role,
                    "text": t.text,
                    "buttons": t.buttons or [],
                    "sources": t.sources or [],
                    "work_order": t.work_order,
                    "at": t.created_at.isoformat() if t.created_at else "",
                }
                for t in reversed(rows)
            ]

    def purge(self, days: int = KEEP_DAYS, now: datetime | None = None) -> int:
        cutoff = (now or self.clock()) - timedelta(days=days)
        with self.db.session() as s:
            return s.execute(delete(ChatTurn).where(ChatTurn.created_at < cutoff)).rowcount
