"""Tables of the handoff to a human operator: the queued conversations, their messages and the outbox that
channels whose client cannot poll (the WeChat official account) deliver from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, UTCDateTime

TS = UTCDateTime()


class Handoff(Base):
    """One request for a human: queued → taken (an operator talks to the user) → closed."""

    __tablename__ = "ho_handoff"
    __table_args__ = (Index("ix_ho_state_id", "state", "id"), Index("ix_ho_sender", "sender"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(160))  # "<channel>:<user id>", as Rasa knows the user
    channel: Mapped[str] = mapped_column(String(20))
    # The sender while the handoff is open, NULL once closed: the unique constraint lets the database itself
    # refuse a second open handoff of one user (two replicas, a double click), on SQLite and PostgreSQL alike.
    open_sender: Mapped[str | None] = mapped_column(String(160), unique=True)
    reason: Mapped[str] = mapped_column(String(40), default="user_request")
    state: Mapped[str] = mapped_column(String(10), default="queued")
    operator: Mapped[str] = mapped_column(String(80), default="")
    transcript: Mapped[list] = mapped_column(JSON, default=list)  # the bot conversation before the handoff
    # a safety hazard or a 层层加码/一刀切/劝返 report (work_orders.urgency): queued before the others
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(TS)
    closed_at: Mapped[datetime | None] = mapped_column(TS)
    closed_by: Mapped[str] = mapped_column(String(80), default="")  # operator username, "user" or "system"
    close_note: Mapped[str] = mapped_column(Text, default="")  # internal, never sent to the user


class HandoffMessage(Base):
    """What was said after the handoff: by the user, an operator, or the system (taken / closed notes)."""

    __tablename__ = "ho_message"
    __table_args__ = (Index("ix_ho_message_sender_id", "sender", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("ho_handoff.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(160))  # the user's conversation, for the user's own poll
    who: Mapped[str] = mapped_column(String(10))  # user | operator | system
    author: Mapped[str] = mapped_column(String(80), default="")
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class HandoffOutbox(Base):
    """Messages to users of channels that cannot poll (WeChat official account, mini-program). The channel
    module delivers them (customer-service message API) and sets ``sent_at``."""

    __tablename__ = "ho_outbox"
    __table_args__ = (Index("ix_ho_outbox_pending", "channel", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("ho_message.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(160))  # the sender, "<channel>:<user id>"
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(TS)
