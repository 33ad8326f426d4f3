"""KB service on the real packaged model, over SQLite and PostgreSQL."""

import shutil

import pytest
from sqlalchemy import func, select

from hotline.db import Database
from hotline.text import normalize
from knowledge_base.answer import NO_MATCH, compose_answer
from knowledge_base.models import Chunk
from knowledge_base.seeds import ArticleDraft
from knowledge_base.service import KnowledgeBase


def draft(key, title, body):
    return ArticleDraft(
        origin_key=key, title=title, kind="news", doc_title=title, body=body, source="测试", chunks=[body]
    )


def test_normalize_traditional_and_fullwidth():
    assert normalize("我要投訴計程車　ＡＢＣ１２３") == "我要投诉计程车 ABC123"


@pytest.mark.parametrize(
    "question, clause",
    [
        ("投诉以后多久能有结果？", "第二十三条"),
        ("投訴以後多久能有結果？", "第二十三条"),
        ("哪些情况不受理", "第十九条"),
        ("办理期限可以延长吗", "第二十四条"),
        ("办结后会回访吗", "第二十九条"),
        ("录音资料保存多久", "第三十条"),
        ("月度统计分析报告什么时候报送", "第三十二条"),
    ],
)
def test_questions_find_their_clause(seeded_kb, question, clause):
    hits = seeded_kb.search(question, k=3)
    assert hits and hits[0].citation == f"《12328交通运输服务监督热线管理办法》{clause}"


def test_unrelated_question_finds_nothing_above_threshold(seeded_kb):
    assert seeded_kb.search("我想订一张机票", k=3) == []
    assert seeded_kb.search("今天天气怎么样", k=3) == []
    assert compose_answer([]).text == NO_MATCH


def test_answer_quotes_passage_with_citation(seeded_kb):
    answer = compose_answer(seeded_kb.search("投诉以后多久能有结果？", k=3))
    assert answer.text.startswith(
        "根据《12328交通运输服务监督热线管理办法》第二十三条：\n12328热线转办业务实行限时办结制"
    )
    assert "10个工作日内回复办理意见" in answer.text
    assert answer.sources[0]["title"] == "12328交通运输服务监督热线管理办法 第二十三条"


def chunk_count(db):
    with db.session() as s:
        return s.scalar(select(func.count(Chunk.id)))


def test_restart_loads_index_without_reembedding(seeded_dir, embedder, tmp_path, monkeypatch):
    work = tmp_path / "var"
    shutil.copytree(seeded_dir, work)
    db = Database(f"sqlite:///{work / 'hotline.db'}")
    kb = KnowledgeBase(db, embedder, work / "kb.faiss")
    calls = []
    monkeypatch.setattr(embedder, "encode", lambda texts, progress=False: calls.append(texts))
    assert kb.open_index() == "loaded"
    assert len(kb.index) == chunk_count(db) > 40
    # A damaged file is rebuilt from the vectors stored in the DB, still without the model.
    (work / "kb.faiss").write_bytes(b"\x00" * 100)
    kb2 = KnowledgeBase(db, embedder, work / "kb.faiss")
    assert kb2.open_index() == "rebuilt"
    assert len(kb2.index) == chunk_count(db)
    (work / "kb.faiss").unlink()
    assert KnowledgeBase(db, embedder, work / "kb.faiss").open_index() == "rebuilt"
    # an index file from another database is not trusted
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    other.migrate()
    assert KnowledgeBase(other, embedder, work / "kb.faiss").open_index() == "rebuilt"
    assert calls == []


def test_ingest_is_idempotent_and_updates_changed_articles(db_url, embedder, tmp_path):
    db = Database(db_url)
    db.migrate()
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss")
    a = draft("t:a", "网约车资质", "网约车驾驶员须取得网络预约出租汽车驾驶员证。")
    b = draft("t:b", "货车通行", "货车在限行时段需办理城市通行证。")
    report = kb.upsert_articles([a, b])
    # each article: its body and its title, which is indexed as a question (its 标准问)
    assert (report.created, report.chunks_embedded) == (2, 4)
    assert kb.upsert_articles([a, b]).unchanged == 2
    assert kb.search("网约车司机要什么证", k=1, min_score=0)[0].title == "网约车资质"
    b2 = draft("t:b", "货车通行", "自12月1日起，货车夜间22点至次日6点可通行主城区。")
    report = kb.upsert_articles([a, b2])
    assert (report.updated, report.unchanged, report.chunks_embedded) == (1, 1, 1)
    assert len(kb.index) == 4 and kb.article_count() == 2
    hit = kb.search("货车晚上几点可以进城", k=1, min_score=0)[0]
    assert "22点" in hit.text
    # a new process sees the same index
    assert KnowledgeBase(db, embedder, tmp_path / "kb.faiss").open_index() == "loaded"


def test_restart_reuses_saved_bm25(seeded_dir, embedder, tmp_path, monkeypatch):
    work = tmp_path / "var"
    shutil.copytree(seeded_dir, work)
    db = Database(f"sqlite:///{work / 'hotline.db'}")
    KnowledgeBase(db, embedder, work / "fresh.faiss").open_index()  # rebuild writes FAISS + BM25
    import knowledge_base.keyword as keyword

    calls = []
    real = keyword.tokenize
    monkeypatch.setattr(keyword, "tokenize", lambda text: calls.append(text) or real(text))
    kb = KnowledgeBase(db, embedder, work / "fresh.faiss")
    assert kb.open_index() == "loaded"
    assert calls == []  # no document was tokenised again
    assert kb.search("投诉以后多久能有结果？", k=1)[0].title.endswith("第二十三条")


def test_reingesting_the_seeds_keeps_editors_questions(db_url, embedder, tmp_path):
    from hotline.db import Database
    from knowledge_base.editing import Editor
    from knowledge_base.seeds import load_seed_drafts

    db = Database(db_url)
    db.migrate()
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss")
    drafts = [d for d in load_seed_drafts() if d.origin_key.endswith(":第二十三条")]
    kb.upsert_articles(drafts)
    editor = Editor(kb)
    art = editor.list(query="第二十三条")["items"][0]
    fields = {k: art[k] for k in ("title", "body", "domain", "region", "kind", "source", "tags", "urgent")}
    editor.update(art["id"], {**fields, "questions": ["投诉多少天给回话"]}, art["version"], "li")
    report = kb.upsert_articles([d for d in load_seed_drafts() if d.origin_key.endswith(":第二十三条")])
    questions = editor.get(art["id"])["questions"]
    assert report.updated == 1 and "投诉多少天给回话" in questions and len(questions) == len(drafts[0].questions) + 1


def test_latin_letters_match_in_any_case(db_url, embedder, tmp_path):
    """ "obike", "OBIKE" and "oBike" are one word to the keyword index (issue 16: brand names typed as they come)."""
    db = Database(db_url)
    db.migrate()
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss")
    kb.upsert_articles(
        [
            draft("t:obike", "oBike押金退还", "oBike共享单车押金可在原支付渠道申请退还。"),
            draft("t:etc", "高速通行卡", "高速公路通行卡丢失须按最远路程补缴通行费。"),
        ]
    )
    for query in ("obike", "OBIKE", "Obike"):  # no Chinese bigram to fall back on
        hits = kb.search(query, k=2, min_score=0, mode="keyword")
        assert hits and hits[0].title == "oBike押金退还", query


def test_hits_carry_their_semantic_evidence(db_url, embedder, tmp_path):
    """Each hit has the best cosine of its article's chunks (title as 标准问 or body; the decision's floors read it,
    knowledge_base.decision) and says whether the article has a question to match: a regulation clause's title
    ('…条例 第九条') is none."""
    db = Database(db_url)
    db.migrate()
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss")
    clause = "出租汽车驾驶员不得拒载、议价、中途甩客或者故意绕道行驶。"
    kb.upsert_articles(
        [
            draft("t:faq", "出租车拒载怎么投诉", "可拨打12328交通运输服务监督电话投诉出租车拒载。"),
            ArticleDraft(
                origin_key="t:law",
                title="《出租汽车管理条例》第九条",
                kind="regulation",
                doc_title="出租汽车管理条例",
                body=clause,
                source="测试",
                chunks=[clause],
            ),
        ]
    )
    hits = {h.title: h for h in kb.search("出租车拒载怎么投诉", k=2, min_score=0)}
    faq, law = hits["出租车拒载怎么投诉"], hits["《出租汽车管理条例》第九条"]
    assert faq.has_questions and not law.has_questions
    # the question is the FAQ's title word for word: its cosine is the title's (1.0), above its body passage's
    assert faq.cosine == pytest.approx(1.0, abs=1e-3) and faq.cosine >= faq.dense
    assert 0 < law.cosine < faq.cosine and law.cosine == pytest.approx(law.dense, abs=1e-3)
    # keyword mode has no cosine to give
    assert all(h.cosine is None for h in kb.search("出租车拒载", k=2, min_score=0, mode="keyword"))
