"""Tables of the 12345 link: where each feed stands (cursor + lease), the sync log (runs and their events),
proposed versions kept from conflicts, and the outbox of work-order messages to 12345."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, UTCDateTime

TS = UTCDateTime()


class SyncState(Base):
    """One row per feed ("kb:12345", "file:<sha256>", "outbox:12345"): the last committed cursor and a lease
    so that the worker, the console button and a second replica never run the same feed at once."""

    __tablename__ = "sync_state"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    feed_id: Mapped[str] = mapped_column(String(100), default="")  # the remote feed the cursor belongs to
    lease_owner: Mapped[str] = mapped_column(String(120), default="")  # host:pid:token
    lease_until: Mapped[datetime | None] = mapped_column(TS)
    last_ok_at: Mapped[datetime | None] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class SyncRun(Base):
    """The sync log: one row per run of a feed, with what came in, what went out, conflicts and errors."""

    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_feed", "feed", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed: Mapped[str] = mapped_column(String(120))
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule | cli | console | test
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|partial|failed|interrupted
    owner: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(TS)
    cursor_from: Mapped[int] = mapped_column(Integer, default=0)
    cursor_to: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    chunks_embedded: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")


class SyncEvent(Base):
    """One line of the sync log: a rejected item, a conflict, a retried page, an error."""

    __tablename__ = "sync_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    level: Mapped[str] = mapped_column(String(10))  # info | warning | error
    kind: Mapped[str] = mapped_column(String(40))
    remote_id: Mapped[str] = mapped_column(String(100), default="")
    article_id: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class SyncProposal(Base):
    """The losing side of a conflict (or a change only the owner may make), kept for an editor to review:
    nothing anyone wrote is ever silently lost."""

    __tablename__ = "sync_proposal"
    __table_args__ = (Index("ix_sync_proposal_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"), index=True)
    origin_id: Mapped[str] = mapped_column(String(100))
    side: Mapped[str] = mapped_column(String(20))  # whose edit this is: "12345" | "12328"
    reason: Mapped[str] = mapped_column(String(30))  # conflict | delete_by_non_owner
    remote_version: Mapped[int | None] = mapped_column(Integer)
    local_version: Mapped[int] = mapped_column(Integer)  # our article's version when the proposal was kept
    fields: Mapped[dict] = mapped_column(JSON)  # title, body, domain, region, tags, … of the losing edit
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | accepted | dismissed
    run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(TS)
    resolved_by: Mapped[str] = mapped_column(String(80), default="")


class OutboxMessage(Base):
    """A message to 12345 about a work order (status change, return with the 第十九条 reason, reply,
    callback result, or one of our own records), written in the same transaction as the change and
    retried with backoff until 12345 acknowledges it."""

    __tablename__ = "sync_outbox"
    __table_args__ = (Index("ix_sync_outbox_pending", "acked_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("wo_order.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(Integer, unique=True)  # wo_event.id: one message per event
    external_id: Mapped[str] = mapped_column(String(64), default="")  # the 12345 order id ("" for our own)
    kind: Mapped[str] = mapped_column(String(20))  # status | return | reply | callback | record
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(TS)
    last_error: Mapped[str] = mapped_column(Text, default="")
    acked_at: Mapped[datetime | None] = mapped_column(TS)
