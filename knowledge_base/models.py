"""KB tables. The DB is the source of truth; the FAISS index is a cache of Chunk.embedding."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Article(Base):
    __tablename__ = "kb_article"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable key of where the article came from, e.g. "seed:002_ed69979e2436f800:第二十三条";
    # re-ingesting the same source updates instead of duplicating.
    origin_key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # "regulation" (one 条) | "news"
    doc_title: Mapped[str] = mapped_column(String(200))  # the document a citation names
    clause_no: Mapped[str | None] = mapped_column(String(20))  # e.g. 第二十三条
    clause_index: Mapped[int | None] = mapped_column(Integer)
    chapter: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))
    published_on: Mapped[date | None] = mapped_column(Date)
    published_label: Mapped[str | None] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    chunks: Mapped[list["Chunk"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="Chunk.position"
    )

    @property
    def citation(self) -> str:
        if self.clause_no:
            return f"《{self.doc_title}》{self.clause_no}"
        when = f"，{self.published_label}" if self.published_label else ""
        return f"《{self.doc_title}》（{self.source}{when}）"


class Chunk(Base):
    __tablename__ = "kb_chunk"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # also the FAISS id
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # float32 little-endian, normalised; lets the index be rebuilt without re-embedding
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)

    article: Mapped[Article] = relationship(back_populates="chunks")
