"""Tables of supervision: the problem list with its linked orders and audit trail, surge alerts, duplicate groups
and the lease that lets one replica at a time run the surge job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, UTCDateTime

TS = UTCDateTime()


class Problem(Base):
    """An item of the list of concentrated problems for special remediation (第三十三条)."""

    __tablename__ = "sv_problem"
    __table_args__ = (Index("ix_sv_problem_region_state", "region", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(60), default="")
    state: Mapped[str] = mapped_column(String(20), default="listed")  # problems.STATES
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(TS)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class ProblemOrder(Base):
    __tablename__ = "sv_problem_order"

    problem_id: Mapped[int] = mapped_column(ForeignKey("sv_problem.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("wo_order.id", ondelete="CASCADE"), primary_key=True, index=True)


class ProblemEvent(Base):
    """The problem list's audit trail: who moved an item, when, from which state to which, why."""

    __tablename__ = "sv_problem_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("sv_problem.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class SurgeAlert(Base):
    """Many complaints about one place, target or topic in a short window (第三十四条 即报即查)."""

    __tablename__ = "sv_alert"
    __table_args__ = (Index("ix_sv_alert_region_status", "region", "status"), Index("ix_sv_alert_key", "key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # sha256 of kind, region and subject: one open alert per key
    kind: Mapped[str] = mapped_column(String(10))  # place | target | topic
    subject: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(60), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
    order_ids: Mapped[list] = mapped_column(JSON, default=list)
    window_start: Mapped[datetime] = mapped_column(TS)
    window_end: Mapped[datetime] = mapped_column(TS)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | acknowledged
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    acknowledged_by: Mapped[str] = mapped_column(String(80), default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(TS)
    note: Mapped[str] = mapped_column(Text, default="")


class DuplicateGroup(Base):
    """Complaints about the same matter from several callers, handled together (each caller keeps its order)."""

    __tablename__ = "sv_dup_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(60), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class DuplicateMember(Base):
    __tablename__ = "sv_dup_member"

    order_id: Mapped[int] = mapped_column(ForeignKey("wo_order.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("sv_dup_group.id", ondelete="CASCADE"), index=True)
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class JobLease(Base):
    """One row per job: the replica whose conditional UPDATE moves ``next_run`` runs it, the others skip."""

    __tablename__ = "sv_job_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_run: Mapped[datetime] = mapped_column(TS)
    owner: Mapped[str] = mapped_column(String(80), default="")


class TextVector(Base):
    """The embedding of a text grouped before (key: sha256 of the model and the normalised text), so that a
    month grouped again — a report, the next month's comparison — embeds only what is new. Derived data: rows not
    used for a while are purged (vectors.KEEP)."""

    __tablename__ = "sv_text_vector"
    __table_args__ = (Index("ix_sv_text_vector_used_at", "used_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    used_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
