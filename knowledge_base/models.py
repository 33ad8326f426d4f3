"""KB tables. The DB is the source of truth; the FAISS index is a cache of the chunks of published
articles, caught up from ``kb_change_log``."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.clock import utcnow
from hotline.db import Base, UTCDateTime

# 第二条: the business domains 12328 covers; 综合 = about the hotline itself / several domains.
DOMAINS = ("综合", "公路", "水路", "道路运输", "城市客运", "海事", "救助打捞", "海上搜救")
STATUSES = ("draft", "published", "retired")
REGION_NATIONWIDE = "全国"
CHUNK_BODY, CHUNK_QUESTION = "body", "question"
GAP_STATUSES = ("open", "resolved", "dismissed")
# what the bot did with a gap's question (knowledge_base.decision): refused it, or offered choices (澄清)
GAP_KINDS = ("refuse", "clarify")


class Article(Base):
    __tablename__ = "kb_article"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable key of where the article came from, e.g. "seed:002_ed69979e2436f800:第二十三条";
    # re-ingesting the same source updates instead of duplicating.
    origin_key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # "regulation" (one 条) | "news" | "policy"
    doc_title: Mapped[str] = mapped_column(String(200))  # the document a citation names
    clause_no: Mapped[str | None] = mapped_column(String(20))  # e.g. 第二十三条
    clause_index: Mapped[int | None] = mapped_column(Integer)
    chapter: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))  # who published it (交通运输部, 新浪财经, 某市交通运输局)
    published_on: Mapped[date | None] = mapped_column(Date)
    published_label: Mapped[str | None] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # metadata: domain, region, validity window, origin, status, tags (what search filters and editors set)
    domain: Mapped[str] = mapped_column(String(20), default="综合")
    region: Mapped[str] = mapped_column(String(50), default=REGION_NATIONWIDE)  # 全国 | 河南省 | 河南省焦作市
    effective_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    origin: Mapped[str] = mapped_column(String(20), default="seed")
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # Similar questions (相似问法): how callers ask for what the article answers; each is indexed as a
    # chunk of kind "question" that leads to the article's body.
    questions: Mapped[list] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(default=False)  # hot policy
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency
    # Provenance of the link with the 12345 KB (sync/): which system owns the article and its id there, the
    # version 12345 last had, our own version at that moment (a different version now = edited here since,
    # to be pushed), and when. All None for an article never synced.
    origin_system: Mapped[str | None] = mapped_column(String(20))  # "12345" | "12328"
    origin_id: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)
    origin_version: Mapped[int | None] = mapped_column(Integer)
    synced_version: Mapped[int | None] = mapped_column(Integer)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    chunks: Mapped[list[Chunk]] = relationship(
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
    text_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="body")  # CHUNK_BODY | CHUNK_QUESTION
    # float32 little-endian, normalised; lets the index be rebuilt without re-embedding
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)

    article: Mapped[Article] = relationship(back_populates="chunks")


class ArticleVersion(Base):
    """Every change of an article: a full snapshot, who and when."""

    __tablename__ = "kb_article_version"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # create | edit | publish | retire | import | seed
    author: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(500))
    snapshot: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChangeLog(Base):
    """Append-only feed of article changes; every app replica's FAISS cache follows it by id."""

    __tablename__ = "kb_change_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KnowledgeGap(Base):
    __tablename__ = "kb_gap"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the normalised wording
    text: Mapped[str] = mapped_column(String(200))  # normalised, personal data masked
    count: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str | None] = mapped_column(String(20))  # where it was last asked (web, wechat, mp)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    best_article_id: Mapped[int | None] = mapped_column(Integer)  # best article below the threshold, if any
    best_title: Mapped[str | None] = mapped_column(String(300))
    best_score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    kind: Mapped[str] = mapped_column(String(8), default="refuse")  # the latest outcome (GAP_KINDS)
    clarified: Mapped[int] = mapped_column(Integer, default=0)  # how many of the askings were answered with choices
    article_id: Mapped[int | None] = mapped_column(Integer)  # the article it was added to
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KbCalibration(Base):
    """How sure the KB must be to answer (knowledge_base.calibration), as last calibrated: every replica uses the
    newest."""

    __tablename__ = "kb_calibration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    articles: Mapped[int] = mapped_column(Integer)  # published articles when it was made
    report: Mapped[str] = mapped_column(Text)  # Calibration.to_json()


TERM_STATUSES = ("active", "suggested", "rejected")
TERM_SOURCES = ("file", "editor", "learned")


class KbTerm(Base):
    """A vocabulary term (词表): how people say it (``phrase``) -> the words the documents use (``targets``).

    knowledge_base/thesaurus.yml is the shipped base; active terms here add to it or override a phrase of it.
    Learned terms (knowledge_base.vocabulary) arrive as "suggested" and only an editor makes them active."""

    __tablename__ = "kb_term"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phrase: Mapped[str] = mapped_column(String(40), unique=True)  # normalised (Simplified, case-folded)
    targets: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)  # TERM_STATUSES
    source: Mapped[str] = mapped_column(String(12), default="editor")  # TERM_SOURCES
    author: Mapped[str | None] = mapped_column(String(80))
    hits: Mapped[int] = mapped_column(Integer, default=0)  # similar questions supporting a learned term
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # [{"article_id", "title", "question"}]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
