"""The statistics package's own table: the 评分办法 (scoring scheme) of the unit scores, per region."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime


class ScoreScheme(Base):
    """Weights of the unit score's components for the units of a region ("" = everywhere): the most specific
    region that is a prefix of a unit's region applies."""

    __tablename__ = "stats_score_scheme"

    region: Mapped[str] = mapped_column(String(60), primary_key=True)
    weights: Mapped[dict] = mapped_column(JSON, default=dict)
    lowest: Mapped[int] = mapped_column(Integer, default=3)  # how many of the lowest units the bulletin names
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
