"""The per-process search cache (FAISS + BM25) and how it follows the DB.

Only chunks of published articles are in the cache. The position is the id of the last
``kb_change_log`` row applied; catching up re-reads the changed articles and swaps their
chunks (upsert = remove + add by id), so an edit on any replica is searchable everywhere
within one poll interval, without rebuilding anything.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from hotline.db import Database

from .index import IndexDamaged, VectorIndex
from .keyword import LiveKeywordIndex
from .models import CHUNK_QUESTION, Article, ChangeLog, Chunk

log = logging.getLogger(__name__)

# Chunk texts kept in memory for answers (the most asked passages are read again and again)
TEXT_CACHE_SIZE = 5000


@dataclass(frozen=True)
class ArticleMeta:
    """What search needs to know of a published article, kept in memory so a query touches the DB
    only for the texts of its final hits."""

    id: int
    title: str
    source: str
    citation: str
    status: str
    region: str
    domain: str
    tags: tuple
    urgent: bool
    effective_from: object
    expires_at: object
    # whether its editors wrote how callers ask for it (相似问法): such an entry is answered, on a small KB, only
    # when the question means one of them (knowledge_base.decision.Policy.answer_floor)
    paraphrased: bool = False


def _metas(session, article_ids=None) -> dict[int, ArticleMeta]:
    query = select(Article).where(Article.status == "published")
    if article_ids is not None:
        query = query.where(Article.id.in_(list(article_ids)))
    return {
        a.id: ArticleMeta(
            a.id,
            a.title,
            a.source,
            a.citation,
            a.status,
            a.region,
            a.domain,
            tuple(a.tags or ()),
            bool(a.urgent),
            a.effective_from,
            a.expires_at,
            bool(a.questions),
        )
        for a in session.scalars(query.options(defer(Article.body)))
    }


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def keyword_text(title: str, kind: str, text: str, chunk_kind: str | None = None) -> str:
    # News chunks do not repeat their headline; policies and clauses carry their own words, and a similar
    # question is matched on its own words.
    return f"{title}\n{text}" if kind != "regulation" and chunk_kind != CHUNK_QUESTION else text


def db_instance_id(db: Database) -> str:
    """A random id stored in the DB at first use: an index file built from another DB is never trusted."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    try:
        with db.session() as s:
            value = s.execute(text("select value from kb_meta where key = 'instance'")).scalar()
            if value is None:
                value = uuid.uuid4().hex
                s.execute(text("insert into kb_meta (key, value) values ('instance', :v)"), {"v": value})
    except IntegrityError:  # another replica starting on the same new DB stored its id first: that one is it
        with db.session() as s:
            value = s.execute(text("select value from kb_meta where key = 'instance'")).scalar()
    return value


class SearchCache:
    def __init__(self, db: Database, dim: int, index_path: Path):
        self.db = db
        self.dim = dim
        self.index_path = Path(index_path)
        self.vectors = VectorIndex(dim)
        self.keyword = LiveKeywordIndex([], [])
        self.article_chunks: dict[int, list[int]] = {}
        self.chunk_article: dict[int, int] = {}
        self.questions: set[int] = set()  # ids of similar-question chunks (the others are body passages)
        self.articles: dict[int, ArticleMeta] = {}
        self.position = 0
        self.instance = ""
        self._lock = threading.RLock()
        self.dirty = False
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._texts_lock = threading.Lock()
        self._texts_generation = 0  # bumped when texts are forgotten: a read begun before must not store

    # ------------------------------------------------------------------ building

    def _published_chunks(self, session, article_ids=None):
        query = (
            select(
                Chunk.id,
                Chunk.article_id,
                Chunk.text,
                Chunk.embedding,
                Article.title,
                Article.kind,
                Chunk.kind.label("chunk_kind"),
            )
            .join(Article)
            .where(Article.status == "published")
            .order_by(Chunk.id)
        )
        if article_ids is not None:
            query = query.where(Chunk.article_id.in_(list(article_ids)))
        return session.execute(query)

    def rebuild(self) -> None:
        """Everything from the DB's stored vectors (the caller embeds missing ones first)."""
        with self.db.session() as s:
            position = s.scalar(select(func.coalesce(func.max(ChangeLog.id), 0)))
            ids, texts, vecs, by_article, questions = [], [], [], {}, set()
            for row in self._published_chunks(s).yield_per(5000):
                ids.append(row.id)
                if row.chunk_kind == CHUNK_QUESTION:
                    questions.add(row.id)
                texts.append(keyword_text(row.title, row.kind, row.text, row.chunk_kind))
                vecs.append(from_blob(row.embedding))
                by_article.setdefault(row.article_id, []).append(row.id)
            metas = _metas(s)
        vectors = VectorIndex(self.dim)
        for start in range(0, len(ids), 10000):
            vectors.upsert(np.array(ids[start : start + 10000]), np.vstack(vecs[start : start + 10000]))
        vectors.optimize()
        with self._lock:
            self.vectors, self.article_chunks, self.position = vectors, by_article, position
            self.chunk_article = {c: a for a, chunk_ids in by_article.items() for c in chunk_ids}
            self.questions = questions
            self.articles = metas
            self.keyword = LiveKeywordIndex(ids, texts)
            self._forget_texts()
            self.instance = db_instance_id(self.db)
            self.dirty = True
        self.save()
        self.catch_up()  # changes committed while we were reading

    def load(self) -> bool:
        """Load the persisted cache if it belongs to this DB; then catch up. False if it must be rebuilt."""
        try:
            vectors, state = VectorIndex.load(self.index_path)
        except FileNotFoundError:
            log.info("no FAISS index at %s", self.index_path)
            return False
        except IndexDamaged as exc:
            log.warning("FAISS index %s is damaged (%s)", self.index_path, exc)
            return False
        instance = db_instance_id(self.db)
        with self.db.session() as s:
            head = s.scalar(select(func.coalesce(func.max(ChangeLog.id), 0)))
        if state.get("instance") != instance or state.get("position", -1) > head or vectors.dim != self.dim:
            log.warning("FAISS index %s does not belong to this database; rebuilding", self.index_path)
            return False
        keyword = self._load_keyword(int(state["position"]))
        by_article: dict[int, list[int]] = {}
        ids, texts, questions = [], [], set()
        with self.db.session() as s:
            columns = (Chunk.id, Chunk.article_id, Chunk.kind.label("chunk_kind"))
            if keyword is None:
                columns += (Chunk.text, Article.title, Article.kind)
            for row in s.execute(select(*columns).join(Article).where(Article.status == "published")):
                by_article.setdefault(row.article_id, []).append(row.id)
                if row.chunk_kind == CHUNK_QUESTION:
                    questions.add(row.id)
                if keyword is None:
                    ids.append(row.id)
                    texts.append(keyword_text(row.title, row.kind, row.text, row.chunk_kind))
            metas = _metas(s)
        with self._lock:
            self.articles = metas
            self.vectors, self.position, self.instance = vectors, int(state["position"]), instance
            # Without a saved BM25 of the same position it is built from the DB as it is now;
            # re-applying the changes after the saved position to it is idempotent.
            self.keyword = keyword or LiveKeywordIndex(ids, texts)
            present = set(vectors.ids().tolist())
            listed = {c for chunk_ids in by_article.values() for c in chunk_ids}
            gone = present - listed  # chunks deleted or unpublished since the file was written
            vectors.remove(gone)
            self.keyword.apply(sorted(gone), {})
            self.article_chunks = {a: [c for c in chunk_ids if c in present] for a, chunk_ids in by_article.items()}
            self.chunk_article = {c: a for a, chunk_ids in self.article_chunks.items() for c in chunk_ids}
            self.questions = questions & present
            self._forget_texts()
        self.catch_up()
        return True

    @property
    def keyword_path(self) -> Path:
        return self.index_path.with_suffix(".bm25")

    def _load_keyword(self, position: int) -> LiveKeywordIndex | None:
        folder = self.keyword_path
        try:
            if int((folder / "position").read_text()) != position:
                return None
            return LiveKeywordIndex.load(folder)
        except (OSError, ValueError, KeyError) as exc:
            log.info("no usable saved BM25 index at %s (%s); building it from the DB", folder, exc)
            return None

    def save(self) -> None:
        """Persist FAISS and BM25 at the same change-log position (each written aside, then renamed)."""
        with self._lock:
            self.vectors.optimize()  # a KB that grew past the exact-search size switches to IVF
            state = {"position": self.position, "instance": self.instance}
            self.vectors.save(self.index_path, state)
            tmp = self.keyword_path.with_suffix(".bm25.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            self.keyword.save(tmp)
            (tmp / "position").write_text(str(self.position))
            old = self.keyword_path.with_suffix(".bm25.old")
            shutil.rmtree(old, ignore_errors=True)
            if self.keyword_path.exists():
                os.replace(self.keyword_path, old)
            os.replace(tmp, self.keyword_path)
            shutil.rmtree(old, ignore_errors=True)
            self.dirty = False

    # ------------------------------------------------------------------ chunk texts

    def texts(self, chunk_ids: list[int]) -> dict[int, str]:
        """The texts of these chunks: from memory, or in one query for those not read recently."""
        out: dict[int, str] = {}
        with self._texts_lock:
            generation = self._texts_generation
            for chunk_id in chunk_ids:
                text = self._texts.get(chunk_id)
                if text is not None:
                    self._texts.move_to_end(chunk_id)
                    out[chunk_id] = text
        missing = [c for c in chunk_ids if c not in out]
        if missing:
            with self.db.engine.connect() as conn:
                fetched = dict(conn.execute(select(Chunk.id, Chunk.text).where(Chunk.id.in_(missing))).all())
            out.update(fetched)
            with self._texts_lock:
                if generation != self._texts_generation:
                    return out
                self._texts.update(fetched)
                while len(self._texts) > TEXT_CACHE_SIZE:
                    self._texts.popitem(last=False)
        return out

    def _forget_texts(self, chunk_ids=None) -> None:
        """Drop remembered texts of changed chunks (a DB may give a deleted chunk's id to a new one)."""
        with self._texts_lock:
            self._texts_generation += 1
            if chunk_ids is None:
                self._texts.clear()
            for chunk_id in chunk_ids or ():
                self._texts.pop(chunk_id, None)

    # ------------------------------------------------------------------ following the change log

    def catch_up(self, embed_missing=None) -> int:
        """Apply change-log rows after our position; returns how many articles were refreshed."""
        with self._lock:
            with self.db.session() as s:
                rows = s.execute(
                    select(ChangeLog.id, ChangeLog.article_id)
                    .where(ChangeLog.id > self.position)
                    .order_by(ChangeLog.id)
                ).all()
                if not rows:
                    return 0
                articles = {r.article_id for r in rows}
                fresh = list(self._published_chunks(s, articles))
                metas = _metas(s, articles)
            if embed_missing is not None and any(r.embedding is None for r in fresh):
                embed_missing()
                with self.db.session() as s:
                    fresh = list(self._published_chunks(s, articles))
            fresh = [r for r in fresh if r.embedding is not None]
            removed = [c for a in articles for c in self.article_chunks.pop(a, [])]
            for chunk_id in removed:
                self.chunk_article.pop(chunk_id, None)
            for article_id in articles:
                self.articles.pop(article_id, None)
            self.articles.update(metas)
            by_id = {r.id: r for r in fresh}
            self._forget_texts([*removed, *by_id])
            # ids the DB no longer has for these articles, and ids about to be re-added
            self.vectors.remove(set(removed) | set(by_id))
            if fresh:
                self.vectors.upsert(np.array(list(by_id)), np.vstack([from_blob(r.embedding) for r in fresh]))
            # new lists and a new set, each swapped in whole: a search running now keeps a consistent view
            lists: dict[int, list[int]] = {}
            for r in fresh:
                lists.setdefault(r.article_id, []).append(r.id)
                self.chunk_article[r.id] = r.article_id
            self.article_chunks.update(lists)
            self.questions = (self.questions - set(removed)) | {r.id for r in fresh if r.chunk_kind == CHUNK_QUESTION}
            self.keyword.apply(removed, {r.id: keyword_text(r.title, r.kind, r.text, r.chunk_kind) for r in fresh})
            self.position = rows[-1].id
            self.dirty = True
            return len(articles)
