"""Tables of the reports: the report, its versions (each a data snapshot and the narrative as edited) and the
console notices sent to the analysts and the recipients (本级, 上一级)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, UTCDateTime

TS = UTCDateTime()


class Report(Base):
    """One report. ``slot`` is set for the regular reports (``monthly:2026-10:河南省``) and unique, so the scheduled
    job drafts each at most once whatever the number of replicas; special reports have none."""

    __tablename__ = "rp_report"
    __table_args__ = (Index("ix_rp_report_region_period", "region", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # monthly | annual | special
    slot: Mapped[str | None] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(60), default="")
    domain: Mapped[str] = mapped_column(String(40), default="")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="draft")  # draft | sent
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(TS)
    sent_by: Mapped[str] = mapped_column(String(80), default="")
    recipients: Mapped[list] = mapped_column(JSON, default=list)


class ReportVersion(Base):
    """A version: the figures as computed (``data``, JSON) and the narrative sections; every edit adds one."""

    __tablename__ = "rp_report_version"
    __table_args__ = (UniqueConstraint("report_id", "number", name="uq_rp_report_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("rp_report.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    narrative: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(200), default="")
    author: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class ReportNotice(Base):
    """A console notice about a report for the staff of a region: a draft to review (analysts) or a report
    received (本级 / 上一级)."""

    __tablename__ = "rp_notice"
    __table_args__ = (Index("ix_rp_notice_region_created", "region", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("rp_report.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = mapped_column(String(60), default="")
    audience: Mapped[str] = mapped_column(String(20))  # analysts | same_level | upper_level
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
