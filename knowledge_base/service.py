"""KB service: write articles (chunk, embed only what changed, version, log the change), keep the
per-process search cache in step with the DB, and search with hybrid scoring and metadata filters."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from tqdm import tqdm

from hotline.clock import aware, utcnow
from hotline.db import Database
from hotline.text import has_words, normalize, question_core

from .cache import ArticleMeta, SearchCache, keyword_text
from .calibration import LARGE_KB_POLICY, SAMPLE, SMALL_KB, Calibration, calibrate, legacy_policy
from .decision import Decision, Policy, decide
from .embedder import Embedder
from .errors import ArticleUnavailable
from .keyword import PRETOKENIZED, Terms, bigrams, in_kb_words
from .models import (
    CHUNK_BODY,
    CHUNK_QUESTION,
    REGION_NATIONWIDE,
    Article,
    ArticleVersion,
    ChangeLog,
    Chunk,
    KbCalibration,
)
from .ranker import FEATURES, Ranker, default_ranker, probabilities, title_overlap
from .regions import applies as region_fits
from .regions import search_regions
from .seeds import ArticleDraft
from .vocabulary import active_terms, vocabulary_version

log = logging.getLogger(__name__)

# How much a perfect keyword match adds to the cosine similarity (0..1) of a chunk.
KEYWORD_WEIGHT = 0.3
# An article's score: weighted mean of its three best chunk scores (missing ones count as the best).
EVIDENCE_WEIGHTS = (1.0, 0.5, 0.2)
# How many articles, by their best chunk, are scored on all their chunks.
CANDIDATES = 10
# An article of another region than the one searched (the place the question names, else the user's) answers only
# when it reaches the answer threshold (KnowledgeBase.min_score), and ranks as if it scored this much less: below
# nationwide and same-region articles of similar strength. Weaker ones stay hidden (hit testing lists them). In a
# large KB the fitted ranker weighs the region instead (knowledge_base.ranker: region_fits, region_named).
REGION_MARGIN = 0.05
# a hit's region verdict
REGION_APPLIES, REGION_OTHER, REGION_HIDDEN = "applies", "other", "hidden"
SNAPSHOT_FIELDS = (
    "title",
    "kind",
    "doc_title",
    "clause_no",
    "chapter",
    "source",
    "body",
    "domain",
    "region",
    "effective_from",
    "expires_at",
    "origin",
    "status",
    "tags",
    "urgent",
    "published_label",
    "questions",
)


@dataclass(frozen=True)
class Hit:
    article_id: int
    chunk_id: int
    title: str
    source: str
    citation: str
    score: float
    text: str
    dense: float = 0.0
    keyword: float = 0.0
    coverage: float = 0.0
    region: str = REGION_NATIONWIDE
    urgent: bool = False
    question: str | None = None  # the similar question (相似问法) that matched, when one did
    # REGION_APPLIES (nationwide, the region searched, or no region known) | REGION_OTHER (another region's,
    # matched strongly: answered naming its region) | REGION_HIDDEN (another region's, weak: only with hidden=True)
    region_verdict: str = REGION_APPLIES
    # the ranker's probability that this is the right entry among the candidates (a large KB); 1.0 for an entry
    # the user chose; None for a small KB's hit (its score decides)
    confidence: float | None = None
    # the best cosine of any of the article's chunks (its title or similar questions, or a body passage): the
    # semantic evidence alone, which a keyword match cannot inflate (knowledge_base.decision's floors); None when
    # not known (keyword mode, a chosen entry)
    cosine: float | None = None
    # whether the article has a question to be matched against (its title as 标准问, or 相似问法): a paraphrase of
    # a question reaches a higher cosine than a question to a regulation clause's prose, so the floors differ
    has_questions: bool = False
    # its article has similar questions (相似问法) written by its editors (ArticleMeta.paraphrased)
    paraphrased: bool = False

    @property
    def snippet(self) -> str:
        return self.text if len(self.text) <= 160 else self.text[:160] + "…"


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    article_ids: list[int] = field(default_factory=list)


def content_hash(draft: ArticleDraft) -> str:
    parts = [draft.title, draft.body, *draft.chunks] + [str(getattr(draft, f, "")) for f in SNAPSHOT_FIELDS]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def text_hash(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def snapshot(article: Article) -> dict:
    out = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(article, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def is_live(article, now: datetime) -> bool:
    """Published and inside its validity window (an Article or the cache's ArticleMeta)."""
    if article.status != "published":
        return False
    start, end = aware(article.effective_from), aware(article.expires_at)
    return (start is None or start <= now) and (end is None or end > now)


class KnowledgeBase:
    def __init__(self, db: Database, embedder: Embedder, index_path: Path, min_score: float = 0.0):
        self.db = db
        self.embedder = embedder
        self.index_path = Path(index_path)
        self.min_score = min_score
        self._cache: SearchCache | None = None
        self._open_lock = threading.Lock()
        self._follower: threading.Thread | None = None
        self._stop = threading.Event()
        # what the DB says beside the articles, followed like the change log (load_db_state): the active vocabulary
        # (kb_term) as keyword search uses it and the version it was read at; the newest answer calibration
        self.terms: Terms = ()
        self._terms_version: str | None = None
        self._terms_checked = float("-inf")
        self.calibration: Calibration | None = None
        self._calibration_id: int | None = None

    # ------------------------------------------------------------------ the search cache

    @property
    def cache(self) -> SearchCache:
        if self._cache is None:
            self.open_index()
        assert self._cache is not None
        return self._cache

    @property
    def index(self):
        return self.cache.vectors

    def open_index(self, progress: bool = False) -> str:
        """Load the persisted index (then catch up from the change log) or rebuild it from the DB."""
        with self._open_lock:
            self.load_db_state(force=True)
            cache = SearchCache(self.db, self.embedder.dim, self.index_path)
            if cache.load():
                self._cache = cache
                return "loaded"
            self.embed_missing(progress)
            cache.rebuild()
            self._cache = cache
            return "rebuilt"

    def rebuild_index(self, progress: bool = False) -> None:
        with self._open_lock:
            self.embed_missing(progress)
            cache = SearchCache(self.db, self.embedder.dim, self.index_path)
            cache.rebuild()
            self._cache = cache

    def refresh(self) -> int:
        """Catch the cache up with the change log (every replica calls this on a short interval)."""
        self.load_db_state()
        return self.cache.catch_up(embed_missing=self.embed_missing)

    def load_db_state(self, force: bool = False, every: float = 2.0) -> None:
        """The DB's active vocabulary (re-read when its version in kb_meta, bumped by every change, moved) and its
        newest answer calibration: at once when opening or after a change made here (``force``), else at most every
        ``every`` seconds (on the follower's poll, never on a question's path)."""
        now = time.monotonic()
        if not force and now - self._terms_checked < every:
            return
        self._terms_checked = now
        with self.db.session() as s:
            version = vocabulary_version(s)
            if version != self._terms_version:
                self.terms = active_terms(s)
                self._terms_version = version
            newest = s.scalar(select(func.max(KbCalibration.id)))
            if newest is not None and newest != self._calibration_id:
                row = s.get(KbCalibration, newest)
                self.calibration = Calibration.from_json(row.report)
                self._calibration_id = newest

    def refresh_if_open(self) -> None:
        """After a write in this process: make it searchable here at once (other replicas poll)."""
        if self._cache is not None:
            self.refresh()

    def start_follower(self, interval: float = 0.5, save_every: float = 60.0) -> None:
        """Follow the DB change log in a daemon thread; persist the index now and then."""
        if self._follower is not None:
            return
        self._stop.clear()

        def loop():
            last_save = 0.0
            import time

            while not self._stop.wait(interval):
                try:
                    self.refresh()
                    if self.cache.dirty and time.monotonic() - last_save > save_every:
                        self.cache.save()
                        last_save = time.monotonic()
                except Exception:  # a DB hiccup must not kill the follower
                    log.exception("KB change-log follower failed; retrying")

        self._follower = threading.Thread(target=loop, name="kb-follower", daemon=True)
        self._follower.start()

    def stop_follower(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=5)
            self._follower = None
        if self._cache is not None and self._cache.dirty:
            self._cache.save()

    def embed_missing(self, progress: bool = False) -> int:
        with self.db.session() as s:
            missing = s.execute(select(Chunk.id, Chunk.text).where(Chunk.embedding.is_(None))).all()
        if not missing:
            return 0
        vectors = self.encode([normalize(t) for _, t in missing], progress)
        with self.db.session() as s:
            for (chunk_id, _), vec in zip(missing, vectors):
                chunk = s.get(Chunk, chunk_id)
                if chunk is not None:
                    chunk.embedding = to_blob(vec)
        return len(missing)

    def encode(self, texts: list[str], progress: bool = False, batch: int = 256) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype="float32")
        # Sort by length across the whole input (as sentence-transformers does within one call) so that
        # batches carry little padding; the progress bar still advances batch by batch.
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.embedder.dim), dtype="float32")
        bar = tqdm(total=len(texts), desc="向量化 embedding", unit="段", disable=not progress)
        for start in range(0, len(texts), batch):
            idx = order[start : start + batch]
            out[idx] = self.embedder.encode([texts[i] for i in idx])
            bar.update(len(idx))
        bar.close()
        return out

    # ------------------------------------------------------------------ writing

    def article_count(self, status: str | None = None) -> int:
        with self.db.session() as s:
            query = select(func.count(Article.id))
            if status:
                query = query.where(Article.status == status)
            return int(s.scalar(query))

    def prepare_chunks(
        self,
        session: Session,
        chunk_texts: list[str],
        embed_texts: list[str],
        progress: bool = False,
        known_vectors: dict[str, bytes] | None = None,
        kinds: list[str] | None = None,
    ) -> tuple[list[Chunk], int]:
        """New Chunk rows for these texts; vectors of texts the KB already has (or that the caller
        embedded beforehand, ``known_vectors`` by text hash) are reused, so only changed text is embedded."""
        hashes, known, todo = self._vectors_to_make(session, embed_texts, known_vectors)
        if todo:
            known.update(self._embed(todo, progress))
        kinds = kinds or [CHUNK_BODY] * len(chunk_texts)
        chunks = [
            Chunk(position=i, text=t, text_hash=h, embedding=known[h], kind=kind)
            for i, (t, h, kind) in enumerate(zip(chunk_texts, hashes, kinds))
        ]
        return chunks, len(todo)

    @staticmethod
    def _vectors_to_make(
        session: Session, embed_texts: list[str], known_vectors: dict[str, bytes] | None
    ) -> tuple[list[str], dict[str, bytes], list[tuple[str, str]]]:
        """Each text's hash; the vectors already known by hash (the caller's and the KB's); the (hash, text) pairs
        still to embed."""
        hashes = [text_hash(t) for t in embed_texts]
        known = dict(known_vectors or {})
        for start in range(0, len(hashes), 500):
            part = hashes[start : start + 500]
            for h, blob in session.execute(
                select(Chunk.text_hash, Chunk.embedding).where(Chunk.text_hash.in_(part), Chunk.embedding.is_not(None))
            ):
                known[h] = blob
        return hashes, known, sorted({h: t for h, t in zip(hashes, embed_texts) if h not in known}.items())

    def _embed(self, todo: list[tuple[str, str]], progress: bool) -> dict[str, bytes]:
        vectors = self.encode([normalize(t) for _, t in todo], progress)
        return {h: to_blob(v) for (h, _), v in zip(todo, vectors)}

    @staticmethod
    def log_change(session: Session, article: Article, action: str, author: str, note: str | None = None) -> None:
        if article.id is None:
            session.flush()
        session.add(
            ArticleVersion(
                article_id=article.id,
                version=article.version,
                action=action,
                author=author,
                note=note,
                snapshot=snapshot(article),
            )
        )
        session.add(ChangeLog(article_id=article.id, version=article.version))

    def upsert_articles(
        self,
        drafts: Iterable[ArticleDraft],
        progress: bool = False,
        author: str = "system",
        action: str = "seed",
        session: Session | None = None,
        known_vectors: dict[str, bytes] | None = None,
        note: str | None = None,
    ) -> IngestReport:
        """Create or update articles by origin_key in one transaction; unchanged ones are skipped. ``note`` is
        the editor's 修改说明, kept on every version written.

        With ``session`` the writes join the caller's transaction (the caller commits and refreshes)."""
        if session is not None:
            return self._upsert(session, list(drafts), progress, author, action, known_vectors, note)
        with self.db.session() as s:
            report = self._upsert(s, list(drafts), progress, author, action, known_vectors, note)
        if report.created or report.updated:
            self.refresh_if_open()
        return report

    def _upsert(
        self,
        s: Session,
        drafts: list[ArticleDraft],
        progress: bool,
        author: str,
        action: str,
        known_vectors: dict[str, bytes] | None,
        note: str | None = None,
    ) -> IngestReport:
        report = IngestReport()
        existing = {
            a.origin_key: a
            for a in s.scalars(select(Article).where(Article.origin_key.in_([d.origin_key for d in drafts])))
        }
        changed = []
        for draft in drafts:
            old = existing.get(draft.origin_key)
            kept = list(old.questions or []) if old is not None else []
            if draft.questions is None:  # e.g. an import file without a 相似问法 column
                draft.questions = kept
            elif action == "seed" and kept:  # re-ingesting the seeds adds theirs, editors' own stay
                draft.questions = list(dict.fromkeys([*draft.questions, *kept]))
            if old is not None and old.content_hash == content_hash(draft):
                report.unchanged += 1
            else:
                changed.append(draft)
        parts = [pieces(d) for d in changed]
        # The model embeds in a thread of its own (its long batched operations release the GIL) while this one
        # writes the articles, their versions and log rows, which need no vectors; the chunks follow with theirs.
        hashes, known, todo = self._vectors_to_make(s, [p.embed for ps in parts for p in ps], known_vectors)
        report.chunks_embedded = len(todo)
        embedding = ThreadPoolExecutor(1, thread_name_prefix="kb-embed") if todo else None
        vectors = embedding.submit(self._embed, todo, progress) if embedding is not None else None
        try:
            written = self._write_articles(s, changed, parts, existing, report, author, action, note)
            if self._cache is not None and vectors is not None:
                # the BM25 tokens of the catch-up that will index these chunks, worked out while the model
                # still embeds (only when this process's cache is open: otherwise its first build tokenises
                # everything anyway). In this thread, after the writes: a third thread beside the model and the
                # writes was measured to slow the import by 3-5 % on two cores (the GIL and memory bandwidth)
                PRETOKENIZED.warm(
                    [keyword_text(d.title, d.kind, p.text, p.kind) for d, ps in zip(changed, parts) for p in ps]
                )
            if vectors is not None:
                known.update(vectors.result())
        finally:
            if embedding is not None:
                embedding.shutdown(wait=True)
        report.article_ids.extend(a.id for a in written)
        rows, at = [], 0
        for article, draft_parts in zip(written, parts):
            for position, piece in enumerate(draft_parts):
                rows.append(
                    {
                        "article_id": article.id,
                        "position": position,
                        "text": piece.text,
                        "text_hash": hashes[at],
                        "kind": piece.kind,
                        "embedding": known[hashes[at]],
                    }
                )
                at += 1
        if rows:  # executemany, not the ORM's unit of work: a third of an import's time besides the model's
            s.execute(insert(Chunk), rows)
        return report

    @staticmethod
    def _write_articles(
        s: Session,
        changed: list[ArticleDraft],
        parts: list[list[Piece]],
        existing: dict[str, Article],
        report: IngestReport,
        author: str,
        action: str,
        note: str | None,
    ) -> list[Article]:
        """The changed articles written (their replaced chunks removed), with a version and a log row each."""
        touched: list[Article] = []
        for draft in changed:
            article = existing.get(draft.origin_key)
            if article is None:
                article = Article(origin_key=draft.origin_key, version=1)
                s.add(article)
                report.created += 1
            else:
                article.chunks.clear()
                article.version += 1
                report.updated += 1
            apply_draft(article, draft)
            article.updated_by = author
            touched.append(article)
        s.flush()  # the articles (and the removal of replaced chunks); then their versions and log rows
        now = utcnow()
        if touched:  # executemany: an import of thousands of articles is one round trip per table
            s.execute(
                insert(ArticleVersion),
                [
                    {
                        "article_id": a.id,
                        "version": a.version,
                        "action": action if a.version == 1 else "update",
                        "author": author,
                        "note": note,
                        "snapshot": snapshot(a),
                        "created_at": now,
                    }
                    for a in touched
                ],
            )
            s.execute(
                insert(ChangeLog), [{"article_id": a.id, "version": a.version, "created_at": now} for a in touched]
            )
        return touched

    # ------------------------------------------------------------------ search

    def search(
        self,
        query: str,
        k: int = 5,
        min_score: float | None = None,
        region: str | None = None,
        mode: str = "hybrid",
        now: datetime | None = None,
        domain: str | None = None,
        tag: str | None = None,
        hidden: bool = False,
    ) -> list[Hit]:
        """Best-matching live articles for a question, best first, one hit per article.

        mode: "hybrid" (default), "dense" or "keyword" (for evaluation). Drafts, retired, expired and
        not-yet-effective articles never answer. Region: a place the question names wins over ``region`` (the
        user's, from a shared location; knowledge_base.regions). Articles of that region and nationwide ones
        apply (all do when no region is known; the reply then names an article's region); another region's
        article is kept only when it matches strongly (REGION_MARGIN), with region_verdict REGION_OTHER;
        ``hidden`` also returns the weak ones (REGION_HIDDEN), for hit testing.

        In steps: the chunks the indexes return (_matches); the articles among them that may answer
        (_candidates); every chunk of those scored and pooled per article (_score), the best k articles kept
        (CandidateScores.best); for an article found by a similar question, the body passage to quote
        (_passages). The greeting and thanks around a question ("您好，请问…谢谢") are left out of the search."""
        text = question_core(normalize(query))
        if not has_words(text):  # "？", "😭😭": nothing asked, nothing to find (any vector is near something)
            return []
        floor = self.min_score if min_score is None else min_score
        return self._search(text, k, floor, region, mode, now or utcnow(), domain, tag, hidden=hidden)

    def _search(
        self,
        text: str,
        k: int,
        floor: float,
        region: str | None,
        mode: str,
        now: datetime,
        domain: str | None = None,
        tag: str | None = None,
        vector: np.ndarray | None = None,
        exclude: frozenset[int] = frozenset(),
        hidden: bool = False,
    ) -> list[Hit]:
        """search() on normalised text; ``vector`` (the query's embedding, if known) and ``exclude`` (chunk ids
        that do not exist for this query) serve the calibration, which asks the KB a similar question with that
        question's whole article taken out (knowledge_base.calibration)."""
        cache = self.cache
        matches = self._matches(cache, text, mode, depth=max(k * 4, 40), vector=vector, exclude=exclude)
        regions = search_regions(text, region).regions
        candidates, fits = self._candidates(cache, matches, mode, max(2 * k, CANDIDATES), now, regions, domain, tag)
        scored = self._score(cache, matches, candidates, mode, exclude)
        chosen = scored.best(matches, floor, len(candidates))
        if mode == "hybrid" and len(cache.articles) >= SMALL_KB:  # a large KB: the fitted ranker orders
            chosen = self._ranked(default_ranker(), text, cache, matches, candidates, fits, regions, scored, chosen)
        best, verdicts = self._region_verdicts(chosen, fits, k, hidden)
        if not best:
            return []
        questions = cache.questions
        passages = self._passages(best, scored, questions)
        texts = cache.texts([b.chunk_id for b in best] + list(passages.values()))
        hits = []
        for b in best:
            a = candidates[b.candidate]
            n = b.candidate
            start, length = scored.starts[n], scored.lengths[n]
            cosine = (
                float(scored.cosine[start : start + length].max()) if scored.cosine is not None and length else None
            )
            passage_id = passages.get(b.chunk_id, b.chunk_id)
            if b.chunk_id in questions and b.chunk_id not in passages or passage_id not in texts:
                continue  # a question without a body, or a chunk deleted since
            e = b.evidence
            hits.append(
                Hit(
                    article_id=a.id,
                    chunk_id=passage_id,
                    title=a.title,
                    source=a.source,
                    citation=a.citation,
                    score=round(b.score, 4),
                    text=texts[passage_id],
                    dense=round(e.dense, 4),
                    keyword=round(e.keyword, 4),
                    coverage=round(e.coverage, 4),
                    region=a.region,
                    urgent=a.urgent,
                    question=_matched_question(texts.get(b.chunk_id) if b.chunk_id in passages else None, a.title),
                    region_verdict=verdicts[b.candidate],
                    confidence=None if b.probability is None else round(b.probability, 4),
                    cosine=None if cosine is None else round(cosine, 4),
                    has_questions=any(c in questions for c in scored.chunk_ids[n]),
                    paraphrased=a.paraphrased,
                )
            )
        return hits

    def ranking_features(self, query: str, region: str | None = None) -> tuple[list[int], np.ndarray]:
        """The candidates of a question as the bot searches it (k=5, no floor) and their ranker FEATURES (rows),
        in the hybrid score's order: what devtools/fit_ranker.py fits the ranker on."""
        cache, text, now = self.cache, question_core(normalize(query)), utcnow()
        if not has_words(text):
            return [], np.zeros((0, len(FEATURES)))
        matches = self._matches(cache, text, "hybrid", depth=40)
        regions = search_regions(text, region).regions
        candidates, fits = self._candidates(cache, matches, "hybrid", CANDIDATES, now, regions, None, None)
        scored = self._score(cache, matches, candidates, "hybrid")
        chosen = scored.best(matches, 0.0, len(candidates))
        return [candidates[c.candidate].id for c in chosen], self._features(
            text, cache, matches, candidates, fits, bool(regions), scored, chosen
        )

    def decide(self, query: str, region: str | None = None, k: int = 5, now: datetime | None = None) -> Decision:
        """Answer, clarify or refuse (knowledge_base.decision): the search's best hits and what to do with them."""
        hits = self.search(query, k=k, min_score=0.0, region=region, now=now)
        return decide(hits, self.policy)

    def chosen(self, article_id: int, region: str | None = None, now: datetime | None = None) -> Hit:
        """The article a user chose among the offered ones ("您想问的是哪一个？"), as a hit quoting its first body
        passage: no search, the user said which. Raises ArticleUnavailable (with a message for the user) when it
        may not answer them now: unknown, retired or outside its validity window. Another region's article (offered
        because it matched strongly) answers with region_verdict REGION_OTHER: the reply names its region."""
        cache = self.cache
        article = cache.articles.get(article_id)
        if article is None or not is_live(article, now or utcnow()):
            raise ArticleUnavailable(
                "抱歉，您选择的条目已下线或已失效，无法作答。请换个说法再问，或拨打12328电话咨询。"
            )
        # another region's: only a strong match was offered (search); it answers naming its region
        verdict = REGION_APPLIES if region_fits(article.region, (region,) if region else ()) else REGION_OTHER
        questions = cache.questions
        body = [c for c in cache.article_chunks.get(article_id, ()) if c not in questions]
        texts = cache.texts(body[:1])
        if not body or body[0] not in texts:
            raise ArticleUnavailable("抱歉，您选择的条目暂时无法显示。请换个说法再问，或拨打12328电话咨询。")
        return Hit(
            article_id=article.id,
            chunk_id=body[0],
            title=article.title,
            source=article.source,
            citation=article.citation,
            score=1.0,  # chosen by the user, not scored
            text=texts[body[0]],
            region=article.region,
            urgent=article.urgent,
            confidence=1.0,
            region_verdict=verdict,
        )

    @property
    def policy(self) -> Policy:
        """How sure the KB must be to answer (knowledge_base.calibration): a small KB answers at the fixed threshold;
        a large one a strong leader that the ranker finds likely, as its newest calibration says (until it has one,
        the large-KB default)."""
        if len(self.cache.articles) < SMALL_KB:
            return legacy_policy(self.min_score)
        calibration = self.calibration
        # (a calibration made before the ranker, on the margin rule, does not apply to ranked hits)
        if calibration is not None and calibration.articles >= SMALL_KB and calibration.policy.certainty > 0:
            # the calibration raises only the certainty; every other threshold is the shipped policy's at once (an
            # upgrade's, before the background job recalibrates on it: KnowledgeBase.calibration_due)
            return replace(LARGE_KB_POLICY, certainty=calibration.policy.certainty)
        return LARGE_KB_POLICY

    # ------------------------------------------------------------------ calibration

    def absent_searches(self, limit: int = SAMPLE, seed: int = 12328, progress: bool = False):
        """Self-asked questions the KB cannot answer: a sample of its similar questions and titles, each searched
        with its whole article taken out (the question's own stored vector: nothing is embedded). Yields the hits."""
        cache = self.cache
        now = utcnow()
        rng = np.random.default_rng(seed)
        picks = []
        for chunk_id in sorted(cache.questions):
            article_id = cache.chunk_article.get(chunk_id)
            article = cache.articles.get(article_id) if article_id is not None else None
            if article is not None and is_live(article, now):
                picks.append((article_id, chunk_id))
        if len(picks) > limit:
            picks = [picks[i] for i in sorted(rng.choice(len(picks), limit, replace=False))]
        texts = cache.texts([c for _, c in picks])
        for article_id, chunk_id in tqdm(picks, desc="答复阈值校准 calibration", unit="问", disable=not progress):
            vector, text = cache.vectors.vector(chunk_id), texts.get(chunk_id)
            if vector is None or not text:
                continue
            exclude = frozenset(cache.article_chunks.get(article_id, ()))
            yield self._search(normalize(text), 5, 0.0, None, "hybrid", now, vector=vector, exclude=exclude)

    def recalibrate(self, progress: bool = False) -> Calibration:
        """Calibrate the answer policy to the KB as it is now and store it: used here at once, on every other replica
        from its next poll (load_db_state)."""
        articles = len(self.cache.articles)
        result = calibrate(
            articles,
            self.min_score,
            lambda: self.absent_searches(progress=progress),
            base=LARGE_KB_POLICY,
            ranker=default_ranker().fingerprint,
        )
        with self.db.session() as s:
            s.add(KbCalibration(fitted_at=utcnow(), articles=articles, report=result.to_json()))
        self.load_db_state(force=True)
        return result

    def calibration_due(self, growth: float = 0.1) -> bool:
        """Whether the KB is large and its size changed by ``growth`` since its newest calibration, or that was made
        under another ranker or from another base policy than the ones shipped now (an upgrade), or it has none."""
        articles = len(self.cache.articles)
        if articles < SMALL_KB:
            return False
        with self.db.session() as s:
            last = s.scalars(select(KbCalibration).order_by(KbCalibration.id.desc()).limit(1)).first()
        if last is None or abs(articles - last.articles) >= growth * max(last.articles, 1):
            return True
        stored = Calibration.from_json(last.report)
        # (the calibration raises only the certainty: every other threshold is the shipped base policy's)
        same_base = replace(stored.policy, certainty=LARGE_KB_POLICY.certainty) == LARGE_KB_POLICY
        return stored.ranker != default_ranker().fingerprint or not same_base

    def _matches(
        self,
        cache: SearchCache,
        text: str,
        mode: str,
        depth: int,
        vector: np.ndarray | None = None,
        exclude: frozenset[int] = frozenset(),
    ) -> Matches:
        """The chunks the vector and keyword indexes return for the query (``depth`` from each), with their
        evidence. A chunk only the keyword index found gets its cosine too (hybrid mode)."""
        evidence: dict[int, Evidence] = {}
        # 小黄 -> 出租车 where the KB says 出租车 (regional.yml and the editors' vocabulary)
        text = in_kb_words(text, cache.keyword.frequency, self.terms)
        if mode in ("hybrid", "dense"):
            if vector is None:
                vector = self.embedder.encode_one(text)
            found = cache.vectors.search(vector, depth + len(exclude))
            evidence = {chunk_id: Evidence(cosine) for chunk_id, cosine in found if chunk_id not in exclude}
        else:
            vector = None
        # (BM25 in a thread beside the embedding was measured no faster, even with only its GIL-free kernel
        # there: the model is bound by memory bandwidth, and BM25 competes for it)
        keyword = cache.keyword.search(text, depth + len(exclude), self.terms) if mode in ("hybrid", "keyword") else []
        keyword = [m for m in keyword if m[0] not in exclude]
        top_bm25 = keyword[0][1] if keyword else 1.0
        only_keyword = []
        for chunk_id, bm25, coverage in keyword:
            e = evidence.get(chunk_id)
            if e is None:
                e = evidence[chunk_id] = Evidence()
                only_keyword.append(chunk_id)
            e.keyword, e.coverage = bm25 / top_bm25, coverage
        if vector is not None and only_keyword:  # their cosine, in one batched lookup
            for chunk_id, cosine in zip(only_keyword, cache.vectors.similarities(vector, only_keyword)):
                evidence[chunk_id].dense = float(cosine)
        return Matches(vector, evidence, bool(keyword), text)

    @staticmethod
    def _candidates(
        cache: SearchCache,
        matches: Matches,
        mode: str,
        limit: int,
        now: datetime,
        regions: tuple[str, ...],
        domain: str | None,
        tag: str | None,
    ) -> tuple[list[ArticleMeta], list[bool]]:
        """Up to ``limit`` articles, by their best matched chunk, that may answer this user, and besides them up
        to ``limit`` of other regions (which answer only if strong); for each, whether its region fits."""
        best: dict[int, float] = {}
        for chunk_id, e in matches.evidence.items():
            article_id = cache.chunk_article.get(chunk_id)
            if article_id is not None:
                best[article_id] = max(best.get(article_id, float("-inf")), e.fused(mode))
        candidates, fits, others = [], [], 0
        for article_id in sorted(best, key=lambda a: -best[a]):
            article = cache.articles.get(article_id)
            if article is None or not is_live(article, now):
                continue
            if (domain and article.domain != domain) or (tag and tag not in article.tags):
                continue
            fit = region_fits(article.region, regions)
            if not fit and others >= limit:
                continue
            others += not fit
            candidates.append(article)
            fits.append(fit)
            if len(candidates) - others >= limit:
                break
        return candidates, fits

    @staticmethod
    def _features(
        text: str,
        cache: SearchCache,
        matches: Matches,
        candidates: list[ArticleMeta],
        fits: list[bool],
        region_known: bool,
        scored: CandidateScores,
        chosen: list[ScoredArticle],
    ) -> np.ndarray:
        """The ranker's FEATURES of each chosen candidate (rows, in ``chosen``'s order); ``fits``: whether each
        candidate's region fits the regions searched, ``region_known``: whether any region was searched."""
        # each candidate's matched chunks, from the few the indexes returned (not by testing every chunk of
        # every candidate: a long article has hundreds)
        found: dict[int, list[Evidence]] = {}
        for chunk_id, e in matches.evidence.items():
            article_id = cache.chunk_article.get(chunk_id)
            if article_id is not None:
                found.setdefault(article_id, []).append(e)
        query_bigrams = set(bigrams(matches.text or text))
        rows = np.zeros((len(chosen), len(FEATURES)))
        for row, c in enumerate(chosen):
            n = c.candidate
            start, length = scored.starts[n], scored.lengths[n]
            cosine = scored.cosine[start : start + length] if scored.cosine is not None else np.zeros(length)
            mine = found.get(candidates[n].id, ())
            nationwide = candidates[n].region in ("", None, REGION_NATIONWIDE)
            rows[row] = (
                c.score,
                float(cosine.max()) if length else 0.0,
                max((e.keyword_match for e in mine), default=0.0),
                max((e.coverage for e in mine), default=0.0),
                title_overlap(query_bigrams, candidates[n].title),
                float(fits[n]),
                float(fits[n] and region_known and not nationwide),
            )
        return rows

    def _ranked(
        self,
        ranker: Ranker,
        text: str,
        cache: SearchCache,
        matches: Matches,
        candidates: list[ArticleMeta],
        fits: list[bool],
        regions: tuple[str, ...],
        scored: CandidateScores,
        chosen: list[ScoredArticle],
    ) -> list[ScoredArticle]:
        """``chosen`` ordered by the ranker, each with its utility and its probability of being the right one
        (the candidates' regions are among the ranker's features)."""
        if not chosen:
            return chosen
        features = self._features(text, cache, matches, candidates, fits, bool(regions), scored, chosen)
        utilities = ranker.utilities(features)
        p = probabilities(utilities)
        ranked = [c._replace(utility=float(u), probability=float(x)) for c, u, x in zip(chosen, utilities, p)]
        ranked.sort(key=lambda c: -c.utility)
        return ranked

    def _region_verdicts(
        self, chosen: list[ScoredArticle], fits: list[bool], k: int, hidden: bool
    ) -> tuple[list[ScoredArticle], dict[int, str]]:
        """The k best, another region's article ranked REGION_MARGIN lower and kept only if it reaches the
        answer threshold (or, with ``hidden``, listed after the others); each candidate's region verdict. Ranked
        candidates (a large KB) keep the ranker's order, the region already counted there."""
        verdicts = {}
        for c in chosen:
            if fits[c.candidate]:
                verdicts[c.candidate] = REGION_APPLIES
            else:
                verdicts[c.candidate] = REGION_OTHER if c.score >= self.min_score else REGION_HIDDEN
        shown = [c for c in chosen if verdicts[c.candidate] != REGION_HIDDEN]
        if chosen and chosen[0].utility is None:
            shown.sort(key=lambda c: -(c.score - (0 if fits[c.candidate] else REGION_MARGIN)))
        kept = shown[:k]
        if hidden:
            kept += [c for c in chosen if verdicts[c.candidate] == REGION_HIDDEN][:k]
        return kept, verdicts

    @staticmethod
    def _score(
        cache: SearchCache,
        matches: Matches,
        candidates: list[ArticleMeta],
        mode: str,
        exclude: frozenset[int] = frozenset(),
    ) -> CandidateScores:
        """Every chunk of every candidate scored (vectorised, all chunks laid end to end), and each
        candidate's pooled score.

        An article's score pools the evidence of its best chunks (body passages and similar questions):
        one lucky match counts less than several that agree. The weighted mean keeps the scale of a
        single chunk, so a one-chunk article (a fresh hot policy) is not at a disadvantage."""
        # (copies: a catch-up in another thread may be replacing these lists)
        lists = [[c for c in cache.article_chunks.get(a.id, ()) if c not in exclude] for a in candidates]
        evidence, vector = matches.evidence, matches.vector
        ids = np.fromiter((c for chunk_ids in lists for c in chunk_ids), dtype="int64")
        # every chunk of a candidate gets its exact cosine, in one batched read of the stored vectors
        cosine = cache.vectors.similarities(vector, ids) if vector is not None else None
        keyword_part = np.zeros(len(ids), dtype="float32")
        # without a query vector, only the chunks the keyword index returned count
        counted = np.ones(len(ids), dtype=bool) if vector is not None else np.isin(ids, list(evidence))
        if mode != "dense" and matches.any_keyword:
            matched = [(chunk_id, e.keyword_match) for chunk_id, e in evidence.items() if e.keyword]
            kw_ids = np.fromiter((m[0] for m in matched), dtype="int64", count=len(matched))
            kw_values = np.fromiter((m[1] for m in matched), dtype="float32", count=len(matched))
            order = np.argsort(kw_ids)
            kw_ids, kw_values = kw_ids[order], kw_values[order]
            at = np.minimum(np.searchsorted(kw_ids, ids), len(kw_ids) - 1)
            keyword_part = np.where(kw_ids[at] == ids, kw_values[at], np.float32(0))
        if cosine is None:
            scores = keyword_part
        elif mode == "dense":
            scores = cosine
        else:
            scores = cosine + KEYWORD_WEIGHT * keyword_part
        scores = np.where(counted, scores, -np.inf)
        lengths = np.fromiter(map(len, lists), dtype="int64", count=len(lists))
        pooled, best_at = pool_scores(scores, lengths)
        return CandidateScores(lists, np.cumsum(lengths) - lengths, lengths, cosine, scores, pooled, best_at)

    @staticmethod
    def _passages(best: list[ScoredArticle], scored: CandidateScores, questions: set[int]) -> dict[int, int]:
        """A similar question leads to its article's body: for each best chunk that is a question, the body
        passage that scored best for this query (on a tie, as in keyword mode, the first one)."""
        passages = {}
        for b in best:
            if b.chunk_id in questions:
                n = b.candidate
                start, length = scored.starts[n], scored.lengths[n]
                chunk_ids, mine = scored.chunk_ids[n], scored.scores[start : start + length]
                body = [(float(x), -i, c) for i, (c, x) in enumerate(zip(chunk_ids, mine)) if c not in questions]
                if body:
                    passages[b.chunk_id] = max(body)[2]
        return passages


@dataclass(slots=True)
class Evidence:
    """How one chunk matches the query: its cosine similarity; its BM25 score as a share of the best chunk's
    (0..1); and the share of the query's keywords it contains (0..1)."""

    dense: float = 0.0
    keyword: float = 0.0
    coverage: float = 0.0

    @property
    def keyword_match(self) -> float:
        return self.keyword * self.coverage

    def fused(self, mode: str) -> float:
        """The chunk's score in a search mode: in hybrid, the cosine plus the weighted keyword match."""
        if mode == "dense":
            return self.dense
        if mode == "keyword":
            return self.keyword * self.coverage
        return self.dense + KEYWORD_WEIGHT * self.keyword * self.coverage


@dataclass(frozen=True, slots=True)
class Matches:
    """What the indexes returned for a query."""

    vector: np.ndarray | None  # the query's embedding; None in keyword mode
    evidence: dict[int, Evidence]  # by chunk id: each chunk either index returned
    any_keyword: bool  # whether the keyword index returned any chunk
    text: str = ""  # the query as searched: in the KB's own words (keyword.in_kb_words)


class ScoredArticle(NamedTuple):
    """A candidate that made the answer list."""

    chunk_id: int  # the article's best chunk
    score: float  # the article's pooled score
    evidence: Evidence  # of its best chunk (with the exact cosine)
    candidate: int  # its position in the candidates (and in CandidateScores)
    utility: float | None = None  # the ranker's value (a large KB), higher first
    probability: float | None = None  # the ranker's probability that it is the right one among the candidates


@dataclass(frozen=True, slots=True)
class CandidateScores:
    """The chunks of the candidate articles laid end to end: candidate n owns the flat positions
    starts[n] .. starts[n] + lengths[n]."""

    chunk_ids: list[list[int]]  # per candidate, its chunk ids
    starts: np.ndarray  # per candidate
    lengths: np.ndarray  # per candidate
    cosine: np.ndarray | None  # per chunk; None in keyword mode
    scores: np.ndarray  # per chunk: its fused score, -inf if it does not count
    pooled: np.ndarray  # per candidate: its pooled score (-inf without a counted chunk)
    best_at: np.ndarray  # per candidate: where its best chunk is among its own chunks

    def best(self, matches: Matches, floor: float, k: int) -> list[ScoredArticle]:
        """The k best candidates that reach the floor, best first, each with its best chunk's evidence."""
        chosen: list[ScoredArticle] = []
        for n, chunk_ids in enumerate(self.chunk_ids):
            if not np.isfinite(self.pooled[n]) or self.pooled[n] < floor:
                continue
            best_id = chunk_ids[self.best_at[n]]
            e = matches.evidence.get(best_id) or Evidence()
            cosine = float(self.cosine[self.starts[n] + self.best_at[n]]) if self.cosine is not None else 0.0
            chosen.append(ScoredArticle(best_id, float(self.pooled[n]), Evidence(cosine, e.keyword, e.coverage), n))
        chosen.sort(key=lambda c: -c.score)
        return chosen[:k]


def _matched_question(question: str | None, title: str) -> str | None:
    """The similar question that matched, for the reply and hit testing; the title itself is no news there."""
    return None if question is None or normalize(question) == normalize(title) else question


def pool_scores(scores: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Article scores from their chunks' scores, laid end to end (``lengths`` chunks per article; -inf for a
    chunk that does not count): the weighted mean of each article's best EVIDENCE_WEIGHTS chunk scores,
    a missing or uncounted one standing in as the best. Also each article's best chunk (the first on ties).
    An article without a counted chunk scores -inf."""
    weights = np.asarray(EVIDENCE_WEIGHTS)
    n = len(lengths)
    pooled = np.full(n, -np.inf)
    best_at = np.zeros(n, dtype="int64")
    if not n or not len(scores):
        return pooled, best_at
    article = np.repeat(np.arange(n), lengths)
    order = np.lexsort((-scores, article))  # by article, best first; stable, so the first on ties
    starts = np.cumsum(lengths) - lengths
    has = lengths > 0
    first = order[np.minimum(starts, len(order) - 1)]
    best = np.where(has, scores[first], -np.inf)
    best_at[has] = first[has] - starts[has]
    total = np.zeros(n)
    for rank, weight in enumerate(weights):
        at = order[np.minimum(starts + rank, len(order) - 1)]
        value = np.where((rank < lengths) & np.isfinite(scores[at]), scores[at], best)
        total += weight * value
    pooled[np.isfinite(best)] = (total / weights.sum())[np.isfinite(best)]
    return pooled, best_at


def embed_text_for(draft: ArticleDraft, chunk: str) -> str:
    """What is embedded for a chunk: news and policy chunks carry their headline."""
    return chunk if draft.kind == "regulation" else f"{draft.title}\n{chunk}"


@dataclass(frozen=True)
class Piece:
    """One chunk-to-be of a draft: its stored text, the text embedded for it, and its kind."""

    text: str
    embed: str
    kind: str


def pieces(draft: ArticleDraft) -> list[Piece]:
    """The body chunks of a draft, then its similar questions and its title — an entry's title is its standard
    question (标准问) — embedded as they are: question to question. A regulation clause's title ("…办法 第九条")
    is no question and is not repeated."""
    out = [Piece(c, embed_text_for(draft, c), CHUNK_BODY) for c in draft.chunks]
    seen: set[str] = set()
    titles = [draft.title] if draft.kind != "regulation" and draft.title else []
    for question in [*(draft.questions or ()), *titles]:
        key = normalize(question)
        if key and key not in seen:
            seen.add(key)
            out.append(Piece(question, question, CHUNK_QUESTION))
    return out


def apply_draft(article: Article, draft: ArticleDraft) -> None:
    for attr in (
        "title",
        "kind",
        "doc_title",
        "clause_no",
        "clause_index",
        "chapter",
        "source",
        "published_on",
        "published_label",
        "body",
        "domain",
        "region",
        "effective_from",
        "expires_at",
        "origin",
        "status",
        "tags",
        "urgent",
        "questions",
    ):
        setattr(article, attr, getattr(draft, attr))
    article.content_hash = content_hash(draft)
