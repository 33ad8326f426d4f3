"""Retrieval quality and KB scale benchmarks (part of `make bench`)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml
from sqlalchemy import insert

from hotline.db import Database
from hotline.settings import ROOT, load_settings
from hotline.text import normalize
from knowledge_base.embedder import Embedder
from knowledge_base.models import CHUNK_BODY, Article, ChangeLog, Chunk
from knowledge_base.seeds import ArticleDraft, load_seed_drafts
from knowledge_base.service import KnowledgeBase, pieces, to_blob

QUESTIONS = ROOT / "tests" / "data" / "kb_questions.yaml"
# written independently of the set above and of the thesaurus, never used for tuning
HOLDOUT = ROOT / "tests" / "data" / "kb_questions_holdout.yaml"
STS = ROOT / "benchmarks" / "data" / "sts-b-zh" / "STS-B.test.data"  # Apache-2.0, see its README.md


def load_questions(path: Path = QUESTIONS) -> tuple[list[dict], list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["questions"], data.get("unanswerable") or []


def quality(kb: KnowledgeBase, path: Path = QUESTIONS) -> tuple[list[list[str]], dict]:
    """hit@1, hit@3, MRR@10 per retrieval mode, plus how the answer threshold splits the two sets."""
    questions, unanswerable = load_questions(path)
    with kb.db.session() as s:
        key_of = dict(s.query(Article.id, Article.origin_key).all())
    rows, results = [], {}
    for mode in ("dense", "keyword", "hybrid"):
        h1 = h3 = rr = 0.0
        for item in questions:
            ranked = [key_of[h.article_id] for h in kb.search(item["q"], k=10, min_score=0.0, mode=mode)]
            rank = next((i for i, key in enumerate(ranked) if key in item["answers"]), None)
            h1 += rank == 0
            h3 += rank is not None and rank < 3
            rr += 1.0 / (rank + 1) if rank is not None else 0.0
        n = len(questions)
        results[mode] = {"hit@1": h1 / n, "hit@3": h3 / n, "mrr": rr / n}
        rows.append([mode, f"{h1 / n:.3f}", f"{h3 / n:.3f}", f"{rr / n:.3f}", str(n)])
    answered = sum(bool(kb.search(q["q"], k=1)) for q in questions) / len(questions)
    rejected = sum(not kb.search(q, k=1) for q in unanswerable) / len(unanswerable) if unanswerable else float("nan")
    results["threshold"] = {"min_score": kb.min_score, "answered": answered, "rejected_unanswerable": rejected}
    return rows, results


def sts_spearman(embedder: Embedder) -> float:
    from scipy.stats import spearmanr

    pairs = [line.split("\t") for line in STS.read_text(encoding="utf-8").splitlines() if line.count("\t") == 2]
    a = embedder.encode([p[0] for p in pairs])
    b = embedder.encode([p[1] for p in pairs])
    cos = (a * b).sum(axis=1)
    return float(spearmanr(cos, [float(p[2]) for p in pairs]).statistic)


def synthetic_kb(db: Database, dim: int, n_chunks: int, seed: int = 12328) -> None:
    """n_chunks chunks in 200-chunk articles: sentences of the seed documents recombined (a realistic
    vocabulary for BM25) with random unit vectors (embedding 100k texts would take an hour here)."""
    sentences = [s for d in load_seed_drafts() for s in normalize(d.body).replace("\n", "").split("。") if len(s) > 8]
    rng = random.Random(seed)
    vec_rng = np.random.default_rng(seed)
    per_article = 200
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        for a in range(n_chunks // per_article):
            art_id = 1_000_000 + a
            conn.execute(
                insert(Article),
                [
                    {
                        "id": art_id,
                        "origin_key": f"synthetic:{a}",
                        "title": f"合成文章{a}",
                        "kind": "policy",
                        "doc_title": f"合成文章{a}",
                        "source": "bench",
                        "body": "",
                        "content_hash": "",
                        "status": "published",
                        "domain": "综合",
                        "region": "全国",
                        "origin": "local",
                        "tags": [],
                        "urgent": False,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            vecs = vec_rng.standard_normal((per_article, dim)).astype("float32")
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            conn.execute(
                insert(Chunk),
                [
                    {
                        "id": art_id * 1000 + i,
                        "article_id": art_id,
                        "position": i,
                        "text": "。".join(rng.sample(sentences, 3)) + "。",
                        "text_hash": None,
                        "embedding": to_blob(vecs[i]),
                    }
                    for i in range(per_article)
                ],
            )
            conn.execute(insert(ChangeLog), [{"article_id": art_id, "version": 1, "created_at": now}])


def bare_encode(embedder: Embedder, text: str) -> np.ndarray:
    """The bare model's encode of one query, as anyone timing the model calls it (the library's own
    SentenceTransformer.encode): the base the search's targets are stated against. The product embeds a query by
    Embedder.encode_one, the same vector without the library's per-call set-up."""
    return embedder.model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024 / 1024


def scale(tmp: Path, embedder: Embedder, questions: list[str], timed, gap: float):
    """Full search latency (single queries ``gap`` s apart, and back to back) and memory on a 100,000-chunk KB;
    bulk indexing throughput vs bare encode."""
    settings = load_settings({"HOTLINE_VAR_DIR": str(tmp / "scale")})
    db = Database(settings.database_url)
    db.migrate()
    kb = KnowledgeBase(db, embedder, settings.index_path, settings.kb_min_score)
    kb.upsert_articles(load_seed_drafts())
    synthetic_kb(db, embedder.dim, 100_000)
    before = rss_mb()
    start = time.perf_counter()
    kb.open_index()
    build_s = time.perf_counter() - start
    mem = rss_mb() - before
    start = time.perf_counter()
    assert KnowledgeBase(db, embedder, settings.index_path, settings.kb_min_score).open_index() == "loaded"
    reload_s = time.perf_counter() - start
    n = 3 * len(questions)
    for q in questions[:10]:
        kb.search(q)
    # Bare encode and full search alternate in blocks, so that a change in the machine's load during the run
    # falls on both sides of the ratio (measured one after the other, one run saw a bare encode of 15.5 ms
    # against 8–10 ms in the others, and a ratio of 0.86×); within a block each loop runs as it would alone.
    latency = []
    rounds = 4
    for pause in (gap, 0.0):
        encode, full = [], []
        for r in range(rounds):
            part = range(r * n // rounds, (r + 1) * n // rounds)
            encode += timed(
                lambda i: bare_encode(embedder, normalize(questions[part[i] % len(questions)])), len(part), pause
            )
            full += timed(lambda i: kb.search(questions[part[i] % len(questions)], k=5), len(part), pause)
        latency.append((encode, full))

    # bulk indexing: the same new texts through the bare model and through an import. The bare model encodes
    # exactly what the import embeds — each article's body passage (headed by its title) and its title as a
    # question (issue 16: titles are indexed as questions) — so the share measures the import's own overhead
    # (chunking, DB, FAISS, BM25); the bodies alone are timed too, to show what the titles cost.
    texts = [f"临时通告{i}：" + "。".join(random.Random(i).sample(questions, 4)) for i in range(1500)]
    drafts = [
        ArticleDraft(
            origin_key=f"bulk:{i}",
            title=f"批量导入{i}",
            kind="policy",
            doc_title=f"批量导入{i}",
            body=t,
            source="bench",
            origin="local",
            chunks=[t],
        )
        for i, t in enumerate(texts)
    ]
    embedded = [p.embed for d in drafts for p in pieces(d)]
    start = time.perf_counter()
    embedder.encode([normalize(p.embed) for d in drafts for p in pieces(d) if p.kind == CHUNK_BODY])
    bodies_rate = len(texts) / (time.perf_counter() - start)

    def bare() -> float:
        start = time.perf_counter()
        embedder.encode([normalize(t) for t in embedded])
        return len(texts) / (time.perf_counter() - start)

    before = bare()
    start = time.perf_counter()
    kb.upsert_articles(drafts, action="import")
    index_rate = len(texts) / (time.perf_counter() - start)
    # the bare model just before and just after the import: a change in the machine's load during the run
    # falls on both sides of the ratio
    bare_rate = (before + bare()) / 2
    return (
        latency[0],
        latency[1],
        {
            "build_s": build_s,
            "reload_s": reload_s,
            "mem_mb": mem,
            "bare_rate": bare_rate,
            "bodies_rate": bodies_rate,
            "texts_per_article": len(embedded) / len(texts),
            "index_rate": index_rate,
            "kind": kb.index.kind,
            "chunks": len(kb.index),
        },
    )
