"""KB service: ingest articles, keep the FAISS cache in step with the DB, search."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from sqlalchemy import func, select
from tqdm import tqdm

from hotline.db import Database

from .embedder import Embedder
from .index import IndexDamaged, VectorIndex
from .keyword import KeywordIndex
from .models import Article, Chunk
from .seeds import ArticleDraft
from .text import normalize

log = logging.getLogger(__name__)

# How much a perfect keyword match adds to the cosine similarity (0..1) of a chunk.
KEYWORD_WEIGHT = 0.3


@dataclass(frozen=True)
class Hit:
    article_id: int
    chunk_id: int
    title: str
    source: str
    citation: str
    score: float
    text: str

    @property
    def snippet(self) -> str:
        return self.text if len(self.text) <= 160 else self.text[:160] + "…"


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0


def content_hash(draft: ArticleDraft) -> str:
    payload = "\x1f".join([draft.title, draft.body, *draft.chunks])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


class KnowledgeBase:
    def __init__(self, db: Database, embedder: Embedder, index_path: Path, min_score: float = 0.0):
        self.db = db
        self.embedder = embedder
        self.index_path = Path(index_path)
        self.min_score = min_score
        self._index: VectorIndex | None = None
        self._keyword: KeywordIndex | None = None

    # ------------------------------------------------------------------ index cache

    def db_state(self) -> dict:
        """A fingerprint of the chunk table that the persisted index must match."""
        with self.db.session() as s:
            count, max_id, id_sum = s.execute(
                select(func.count(Chunk.id), func.coalesce(func.max(Chunk.id), 0), func.coalesce(func.sum(Chunk.id), 0))
            ).one()
        return {"chunks": int(count), "max_id": int(max_id), "id_sum": int(id_sum)}

    @property
    def index(self) -> VectorIndex:
        if self._index is None:
            self.open_index()
        assert self._index is not None
        return self._index

    def open_index(self, progress: bool = False) -> str:
        """Load the persisted index if it reflects the DB; otherwise rebuild it from the DB.

        Returns "loaded" or "rebuilt"."""
        state = self.db_state()
        try:
            index, saved = VectorIndex.load(self.index_path)
            if {k: saved.get(k) for k in state} == state:
                self._index = index
                return "loaded"
            log.warning("FAISS index %s is stale (%s != %s); rebuilding", self.index_path, saved, state)
        except FileNotFoundError:
            log.info("no FAISS index at %s; building it from the DB", self.index_path)
        except IndexDamaged as exc:
            log.warning("FAISS index %s is damaged (%s); rebuilding from the DB", self.index_path, exc)
        self.rebuild_index(progress=progress)
        return "rebuilt"

    def rebuild_index(self, progress: bool = False) -> None:
        """Rebuild from stored vectors; only chunks without a stored vector are embedded."""
        self._embed_missing(progress)
        index = VectorIndex(self.embedder.dim)
        batch_ids: list[int] = []
        batch_vecs: list[np.ndarray] = []
        with self.db.session() as s:
            rows = s.execute(select(Chunk.id, Chunk.embedding).order_by(Chunk.id)).yield_per(2000)
            for chunk_id, blob in rows:
                batch_ids.append(chunk_id)
                batch_vecs.append(_from_blob(blob))
                if len(batch_ids) >= 2000:
                    index.upsert(np.array(batch_ids), np.vstack(batch_vecs))
                    batch_ids, batch_vecs = [], []
        if batch_ids:
            index.upsert(np.array(batch_ids), np.vstack(batch_vecs))
        self._index = index
        self._save()

    def _save(self) -> None:
        assert self._index is not None
        self._index.save(self.index_path, self.db_state())

    def _embed_missing(self, progress: bool) -> int:
        with self.db.session() as s:
            missing = s.execute(select(Chunk.id, Chunk.text).where(Chunk.embedding.is_(None))).all()
        if not missing:
            return 0
        vectors = self._encode([normalize(t) for _, t in missing], progress)
        with self.db.session() as s:
            for (chunk_id, _), vec in zip(missing, vectors):
                s.get(Chunk, chunk_id).embedding = _to_blob(vec)
        return len(missing)

    def _encode(self, texts: list[str], progress: bool, batch: int = 256) -> np.ndarray:
        parts = []
        bar = tqdm(total=len(texts), desc="向量化 embedding", unit="段", disable=not progress)
        for start in range(0, len(texts), batch):
            parts.append(self.embedder.encode(texts[start:start + batch]))
            bar.update(len(texts[start:start + batch]))
        bar.close()
        return np.vstack(parts)

    # ------------------------------------------------------------------ ingest

    def article_count(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count(Article.id))))

    def upsert_articles(self, drafts: Iterable[ArticleDraft], progress: bool = False) -> IngestReport:
        """Create or update articles by origin_key; only changed articles are re-chunked and re-embedded."""
        report = IngestReport()
        changed: list[ArticleDraft] = []
        with self.db.session() as s:
            existing = {a.origin_key: a for a in s.scalars(select(Article))}
            for draft in drafts:
                digest = content_hash(draft)
                old = existing.get(draft.origin_key)
                if old is not None and old.content_hash == digest:
                    report.unchanged += 1
                    continue
                changed.append(draft)
        if not changed:
            return report
        texts = [normalize(f"{d.title}\n{c}") if d.kind == "news" else normalize(c) for d in changed for c in d.chunks]
        vectors = self._encode(texts, progress)
        removed_ids: list[int] = []
        added: list[tuple[Chunk, np.ndarray]] = []
        with self.db.session() as s:
            cursor = 0
            for draft in changed:
                article = s.scalar(select(Article).where(Article.origin_key == draft.origin_key))
                if article is None:
                    article = Article(origin_key=draft.origin_key)
                    s.add(article)
                    report.created += 1
                else:
                    removed_ids.extend(c.id for c in article.chunks)
                    article.chunks.clear()
                    report.updated += 1
                for attr in ("title", "kind", "doc_title", "clause_no", "clause_index", "chapter", "source",
                             "published_on", "published_label", "body"):
                    setattr(article, attr, getattr(draft, attr))
                article.content_hash = content_hash(draft)
                for position, text in enumerate(draft.chunks):
                    vec = vectors[cursor]
                    cursor += 1
                    chunk = Chunk(position=position, text=text, embedding=_to_blob(vec))
                    article.chunks.append(chunk)
                    added.append((chunk, vec))
            s.flush()
            new_ids = np.array([c.id for c, _ in added], dtype="int64")
            new_vecs = np.vstack([v for _, v in added]) if added else np.zeros((0, self.embedder.dim), "float32")
        report.chunks_embedded = len(added)
        self._keyword = None
        index = self.index
        if removed_ids:
            index.remove(removed_ids)
        index.upsert(new_ids, new_vecs)
        self._save()
        return report

    # ------------------------------------------------------------------ search

    @property
    def keyword(self) -> KeywordIndex:
        if self._keyword is None:
            with self.db.session() as s:
                rows = s.execute(
                    select(Chunk.id, Chunk.text, Article.title, Article.kind).join(Article).order_by(Chunk.id)
                ).all()
            self._keyword = KeywordIndex(
                [r.id for r in rows], [f"{r.title}\n{r.text}" if r.kind == "news" else r.text for r in rows]
            )
        return self._keyword

    def _candidates(self, text: str, depth: int) -> dict[int, float]:
        """Hybrid score per chunk: cosine similarity plus a keyword bonus that grows with BM25
        (relative to this query's best keyword hit) and with how many of the query's words the chunk has."""
        vector = self.embedder.encode_one(text)
        dense = dict(self.index.search(vector, depth))
        keyword = self.keyword.search(text, depth)
        scores = dict(dense)
        if keyword:
            top = keyword[0][1]
            for chunk_id, bm25, coverage in keyword:
                if chunk_id not in scores:
                    scores[chunk_id] = self.index.similarity(vector, chunk_id)
                scores[chunk_id] += KEYWORD_WEIGHT * (bm25 / top) * coverage
        return scores

    def search(self, query: str, k: int = 5, min_score: float | None = None) -> list[Hit]:
        """Best-matching articles for a question, best first; one hit per article."""
        text = normalize(query)
        if not text:
            return []
        floor = self.min_score if min_score is None else min_score
        scores = self._candidates(text, max(k * 4, 20))
        best: dict[int, tuple[int, float]] = {}
        with self.db.session() as s:
            chunk_rows = {
                row.id: row
                for row in s.execute(
                    select(Chunk.id, Chunk.article_id, Chunk.text).where(Chunk.id.in_(list(scores)))
                )
            }
            for chunk_id, score in scores.items():
                row = chunk_rows.get(chunk_id)
                if row is None or score < floor:
                    continue
                if row.article_id not in best or best[row.article_id][1] < score:
                    best[row.article_id] = (chunk_id, score)
            ranked = sorted(best.items(), key=lambda item: -item[1][1])[:k]
            articles = {a.id: a for a in s.scalars(select(Article).where(Article.id.in_([a for a, _ in ranked])))}
            return [
                Hit(
                    article_id=article_id,
                    chunk_id=chunk_id,
                    title=articles[article_id].title,
                    source=articles[article_id].source,
                    citation=articles[article_id].citation,
                    score=round(score, 4),
                    text=chunk_rows[chunk_id].text,
                )
                for article_id, (chunk_id, score) in ranked
            ]
