"""Editor workflow on the domain layer, on SQLite and PostgreSQL: versions, conflicts, publishing,
metadata filters and the change log that every replica's index follows."""

from datetime import UTC, datetime, timedelta

import pytest

from hotline.errors import NotFound
from knowledge_base.editing import ArticleInvalid, Editor, StateError, VersionConflict
from knowledge_base.errors import ArticleUnavailable
from knowledge_base.service import KnowledgeBase

CLOSURE = {
    "title": "G4京港澳高速新乡段临时封闭通知",
    "body": "因桥梁检修，G4京港澳高速新乡段将于12月1日至12月3日全天封闭，货车请绕行G107国道。",
    "domain": "公路",
    "region": "河南省",
    "tags": ["封路", "货车"],
    "urgent": True,
}
QUESTION = "京港澳高速新乡段封路了吗货车怎么走"


@pytest.fixture
def editor(db, embedder, tmp_path):
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss", min_score=0.0)
    kb.open_index()
    return Editor(kb)


def titles(kb, q=QUESTION, **kw):
    return [h.title for h in kb.search(q, k=3, **kw)]


def test_draft_publish_edit_retire(editor):
    kb = editor.kb
    art = editor.create(CLOSURE, author="zhang")
    assert art["status"] == "draft" and art["version"] == 1
    assert CLOSURE["title"] not in titles(kb)  # drafts never answer
    art = editor.publish(art["id"], 1, author="li")
    assert art["status"] == "published" and art["version"] == 2
    assert titles(kb)[0] == CLOSURE["title"]

    edited = editor.update(art["id"], {**CLOSURE, "body": CLOSURE["body"].replace("G107国道", "S227省道")}, 2, "li")
    assert edited["version"] == 3
    assert "S227" in kb.search(QUESTION, k=1)[0].text

    with pytest.raises(VersionConflict) as exc:  # a stale edit is refused and changes nothing
        editor.update(art["id"], {**CLOSURE, "body": "旧稿覆盖"}, 2, "zhang")
    assert exc.value.status == 409 and exc.value.details["current_version"] == 3
    assert "S227" in editor.get(art["id"])["body"]

    versions = editor.versions(art["id"])
    assert [(v["version"], v["action"], v["author"]) for v in versions] == [
        (1, "create", "zhang"),
        (2, "publish", "li"),
        (3, "edit", "li"),
    ]
    diff = editor.diff(art["id"], 3)["diff"]
    assert any(line.startswith("-") and "G107" in line for line in diff)
    assert any(line.startswith("+") and "S227" in line for line in diff)

    editor.retire(art["id"], 3, author="li")
    assert CLOSURE["title"] not in titles(kb)
    with pytest.raises(StateError):
        editor.retire(art["id"], 4, author="li")
    with pytest.raises(NotFound):
        editor.publish(999999, 1, author="li")


def test_validation_lists_every_problem(editor):
    with pytest.raises(ArticleInvalid) as exc:
        editor.create(
            {"title": " ", "body": "x" * 30000, "domain": "航空", "effective_from": "明天", "tags": "a," + "b" * 40},
            author="zhang",
        )
    assert set(exc.value.details) == {"title", "body", "domain", "effective_from", "tags"}
    with pytest.raises(ArticleInvalid) as exc:
        editor.create({**CLOSURE, "effective_from": "2026-12-03", "expires_at": "2026-12-01"}, author="zhang")
    assert "expires_at" in exc.value.details
    assert editor.list()["total"] == 0  # nothing half-written


def test_the_publication_date_is_china_s_date_whatever_the_server_s_time_zone(editor):
    import time_machine

    # 00:30 on New Year's Day in China, still 31 December in UTC (the servers' usual zone)
    with time_machine.travel(datetime(2025, 12, 31, 16, 30, tzinfo=UTC)):
        art = editor.create(CLOSURE, "li", publish=True)
    assert art["published_label"] == "2026-01-01"
    assert editor.kb.search(QUESTION, k=1)[0].citation.endswith("，2026-01-01）")


def test_validity_window_and_region(editor):
    kb = editor.kb
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    art = editor.create({**CLOSURE, "effective_from": "2026-12-01", "expires_at": "2026-12-04"}, "li", publish=True)
    assert titles(kb, now=now)[0] == CLOSURE["title"]
    assert CLOSURE["title"] not in titles(kb, now=now + timedelta(days=5))  # expired: never used
    assert CLOSURE["title"] not in titles(kb, now=now - timedelta(days=5))  # not yet in force
    assert titles(kb, now=now, region="河南省新乡市")[0] == CLOSURE["title"]
    # the question names 新乡: that place counts, not the user's 济南 (tests/test_regions.py)
    assert titles(kb, now=now, region="山东省济南市")[0] == CLOSURE["title"]
    # without a place in the question, for a user in 济南 it is another region's article: with this KB's
    # threshold 0 every match is strong, so it is kept, marked as such (weaker ones would be hidden)
    other = kb.search("京港澳高速封路了吗货车怎么走", k=3, now=now, region="山东省济南市")[0]
    assert other.title == CLOSURE["title"] and other.region_verdict == "other"
    assert kb.search("京港澳高速封路了吗货车怎么走", k=3, now=now, region="河南省新乡市")[0].region_verdict == "applies"
    hit = kb.search(QUESTION, k=1, now=now)[0]
    assert hit.region == "河南省" and hit.urgent
    assert art["urgent"] is True


def test_a_chosen_article_answers_only_while_live(editor):
    """A choice the user pressed ("您想问的是哪一个？") is looked up by id, with the rules search applies."""
    kb = editor.kb
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    art = editor.create(
        {**CLOSURE, "effective_from": "2026-12-01", "expires_at": "2026-12-04", "questions": ["京港澳封路了吗"]},
        "li",
        publish=True,
    )
    hit = kb.chosen(art["id"], region="河南省新乡市", now=now)
    assert hit.article_id == art["id"] and hit.title == CLOSURE["title"] and hit.urgent
    assert hit.text == CLOSURE["body"]  # its body, never a similar question
    assert kb.chosen(art["id"], now=now).region == "河南省"  # region unknown: it answers (the reply names it)
    assert hit.region_verdict == "applies"
    # another region's (offered only when it matched strongly): it answers, the reply naming its region
    assert kb.chosen(art["id"], region="山东省济南市", now=now).region_verdict == "other"
    with pytest.raises(ArticleUnavailable, match="已下线或已失效"):
        kb.chosen(art["id"], now=now + timedelta(days=5))  # expired
    with pytest.raises(ArticleUnavailable, match="已下线或已失效"):
        kb.chosen(999999, now=now)
    editor.retire(art["id"], art["version"], "li")
    with pytest.raises(ArticleUnavailable, match="已下线或已失效"):
        kb.chosen(art["id"], now=now)


def test_second_replica_follows_the_change_log(editor, embedder, tmp_path):
    """Another app process has its own index file; it catches up incrementally, without a rebuild."""
    other = KnowledgeBase(editor.db, embedder, tmp_path / "replica.faiss", min_score=0.0)
    other.open_index()
    before = len(other.index)
    art = editor.create(CLOSURE, "li", publish=True)
    assert CLOSURE["title"] not in titles(other)
    assert other.refresh() == 1
    assert titles(other)[0] == CLOSURE["title"]
    assert len(other.index) == before + 2  # its body and its title (indexed as a question)
    editor.retire(art["id"], art["version"], "li")
    other.refresh()
    assert CLOSURE["title"] not in titles(other) and len(other.index) == before
    # the replica's persisted index remembers its position: a restart only applies what is new
    other.cache.save()
    editor.create({**CLOSURE, "title": "S227临时交通管制"}, "li", publish=True)
    restarted = KnowledgeBase(editor.db, embedder, tmp_path / "replica.faiss", min_score=0.0)
    assert restarted.open_index() == "loaded"
    assert titles(restarted, "S227临时交通管制")[0] == "S227临时交通管制"


def test_only_changed_text_is_reembedded(editor, monkeypatch):
    kb = editor.kb
    long_body = "\n".join(f"第{i}段：货车通行证在线办理的第{i}项说明。" * 8 for i in range(1, 6))
    art = editor.create({**CLOSURE, "body": long_body}, "li", publish=True)
    encoded = []
    real = kb.embedder.encode
    monkeypatch.setattr(kb.embedder, "encode", lambda texts, progress=False: encoded.extend(texts) or real(texts))
    editor.update(art["id"], {**CLOSURE, "body": long_body.replace("第5项", "第五项")}, art["version"], "li")
    assert len(encoded) == 1 and "第五项" in encoded[0]


def test_search_filters_on_domain_and_tag(editor):
    editor.create(CLOSURE, "li", publish=True)
    editor.create(
        {
            **CLOSURE,
            "title": "新乡港渡口停航通知",
            "domain": "水路",
            "tags": ["停航"],
            "body": "受大风影响，新乡港渡口12月1日停航，货车请走G107国道。",
        },
        "li",
        publish=True,
    )
    kb = editor.kb
    assert {h.title for h in kb.search(QUESTION, k=5, domain="水路")} == {"新乡港渡口停航通知"}
    assert {h.title for h in kb.search(QUESTION, k=5, tag="封路")} == {CLOSURE["title"]}


# ---------------------------------------------------------------- similar questions (相似问法)

PERMIT = {
    "title": "货车通行证网上办理",
    "body": "货运车辆进入城区须提前在“城市货车通行”平台申领电子通行证，审核通过后即时生效，有效期一个月。",
    "domain": "道路运输",
    "region": "全国",
}


def test_similar_questions_lead_to_the_article_body(editor):
    """A caller's wording that shares few words with the body finds the article through a similar question;
    the answer quotes the body, never the question."""
    kb = editor.kb
    asked = "拉货的车想开进市里要办啥手续"
    plain = editor.create(PERMIT, "li", publish=True)
    editor.create(CLOSURE, "li", publish=True)
    without = kb.search(asked, k=1)[0]
    assert without.question is None
    art = editor.update(
        plain["id"],
        {**PERMIT, "questions": ["大货车进城需要办什么证", "拉货的车能不能进市区", "货车进城证在哪里申请"]},
        plain["version"],
        "li",
    )
    assert art["questions"] == ["大货车进城需要办什么证", "拉货的车能不能进市区", "货车进城证在哪里申请"]
    hit = kb.search(asked, k=1)[0]
    assert hit.title == PERMIT["title"] and hit.question in art["questions"]
    assert hit.text.startswith("货运车辆进入城区") and hit.score > without.score
    diff = editor.diff(art["id"], art["version"])["diff"]
    assert "+相似问法：大货车进城需要办什么证" in diff


def test_questions_kept_when_an_edit_omits_them_and_cleared_when_emptied(editor):
    kb = editor.kb
    art = editor.create(
        {**PERMIT, "questions": "大货车进城需要办什么证\n\n大货车进城需要办什么证\n货车进城证在哪里申请"},
        "li",
        publish=True,
    )
    assert art["questions"] == ["大货车进城需要办什么证", "货车进城证在哪里申请"]  # lines, blanks and repeats dropped
    assert len(kb.index) == 4  # one body chunk, two questions and the title (its 标准问)
    art = editor.update(art["id"], {**PERMIT, "body": PERMIT["body"] + "逾期须重新申请。"}, art["version"], "li")
    assert art["questions"] == ["大货车进城需要办什么证", "货车进城证在哪里申请"]
    art = editor.update(art["id"], {**PERMIT, "questions": []}, art["version"], "li")
    assert art["questions"] == [] and len(kb.index) == 2  # the body and the title
    editor.retire(art["id"], art["version"], "li")
    assert len(kb.index) == 0


def test_question_validation(editor):
    with pytest.raises(ArticleInvalid) as exc:
        editor.create({**PERMIT, "questions": [f"问题{i}" for i in range(60)]}, "li")
    assert "questions" in exc.value.details and "最多50条" in exc.value.message
    with pytest.raises(ArticleInvalid) as exc:
        editor.create({**PERMIT, "questions": ["长" * 101]}, "li")
    assert "不超过100字" in exc.value.message
    with pytest.raises(ArticleInvalid):
        editor.create({**PERMIT, "questions": [1, 2]}, "li")
    assert editor.list()["total"] == 0


def test_a_replica_follows_question_changes(editor, embedder, tmp_path):
    other = KnowledgeBase(editor.db, embedder, tmp_path / "replica.faiss", min_score=0.0)
    other.open_index()
    art = editor.create(PERMIT, "li", publish=True)
    editor.create(CLOSURE, "li", publish=True)
    editor.update(art["id"], {**PERMIT, "questions": ["拉货的车能不能进市区"]}, art["version"], "li")
    other.refresh()
    hit = other.search("拉货的车能不能进市区", k=1)[0]
    assert hit.title == PERMIT["title"] and hit.question == "拉货的车能不能进市区" and hit.dense > 0.99


def test_pooled_evidence_does_not_hold_back_a_one_chunk_hot_policy(editor):
    """An article's score is the weighted mean of its best chunks; with fewer chunks the best one fills in, so
    a fresh one-chunk policy scores exactly its chunk and outranks articles with many weaker questions."""
    kb = editor.kb
    editor.create(
        {**PERMIT, "questions": ["高速公路封闭了货车怎么办", "货车走哪条路", "封路通知在哪看"]}, "li", publish=True
    )
    editor.create(CLOSURE, "li", publish=True)
    hits = kb.search(QUESTION, k=2)
    assert hits[0].title == CLOSURE["title"] and hits[0].score > hits[1].score


def test_a_replica_never_answers_with_a_stale_passage(editor, embedder, tmp_path):
    """Passages are kept in memory after a search; a change of the article replaces them on the next catch-up,
    even when the DB gives the new chunk the old one's id (SQLite reuses the highest rowid)."""
    from sqlalchemy import update

    from knowledge_base.models import ChangeLog, Chunk

    other = KnowledgeBase(editor.db, embedder, tmp_path / "replica.faiss", min_score=0.0)
    other.open_index()
    art = editor.create(CLOSURE, "li", publish=True)
    other.refresh()
    hit = other.search(QUESTION, k=1)[0]
    assert "G107" in hit.text
    with editor.db.session() as s:  # the same chunk id, new text: as a delete + insert that reused the id
        s.execute(update(Chunk).where(Chunk.id == hit.chunk_id).values(text=hit.text.replace("G107国道", "S227省道")))
        s.add(ChangeLog(article_id=art["id"], version=art["version"]))
    other.refresh()
    assert "S227" in other.search(QUESTION, k=1)[0].text


def test_a_question_hit_quotes_the_passage_closest_to_the_query(editor):
    """A long article answers a similar-question hit with its body passage nearest the question, not its last."""
    kb = editor.kb
    permit = (
        "货车进城通行证在“城市货车通行”平台申请：上传行驶证、驾驶证和车辆照片，审核通过后即时生效，"
        "有效期一个月，到期前七天可以续办，逾期须重新申请。"
    ) * 3
    curfew = (
        "夜间22时至次日6时，城区主干道禁止重型货车通行；早晚高峰7时至9时、17时至19时，"
        "中型以上货车不得进入二环以内，违者依法处罚。"
    ) * 3
    art = editor.create(
        {**PERMIT, "title": "城区货车通行管理", "body": permit + "\n" + curfew, "questions": ["大车进城证咋办"]},
        "li",
        publish=True,
    )
    with editor.db.session() as s:
        from knowledge_base.models import Article

        assert len([c for c in s.get(Article, art["id"]).chunks if c.kind == "body"]) == 2
    hit = kb.search("大车进城证咋办", k=1)[0]
    assert hit.question == "大车进城证咋办" and hit.text.startswith("货车进城通行证")
    hit = kb.search("大车进城证咋办", k=1, mode="keyword")[0]  # no cosines: the first passage
    assert hit.text.startswith("货车进城通行证")


def test_an_import_tokenises_beside_the_embedding_and_the_catch_up_reuses_it(editor, monkeypatch):
    import threading

    from knowledge_base import keyword
    from knowledge_base.seeds import ArticleDraft

    kb = editor.kb
    left_before = len(keyword.PRETOKENIZED)
    callers, warmed = [], []
    real = keyword.tokenize
    monkeypatch.setattr(keyword, "tokenize", lambda text: callers.append(threading.current_thread().name) or real(text))
    real_warm = keyword.PRETOKENIZED.warm

    def warm(texts):
        # while the model embeds in its own thread
        warmed.append((len(texts), any(t.name.startswith("kb-embed") for t in threading.enumerate())))
        real_warm(texts)

    monkeypatch.setattr(keyword.PRETOKENIZED, "warm", warm)
    body = "G4京港澳高速新乡段货车绕行G107国道"
    drafts = [
        ArticleDraft(
            origin_key=f"notice:{i}",
            title=f"绕行通告{i}",
            kind="policy",
            doc_title=f"绕行通告{i}",
            body=f"{body}第{i}号",
            source="test",
            origin="local",
            chunks=[f"{body}第{i}号"],
            questions=[f"第{i}号通告怎么绕行"],
        )
        for i in range(3)
    ]
    kb.upsert_articles(drafts, action="import")
    # bodies, similar questions and titles, tokenised once, by the importing thread while the model embedded:
    # none left for the catch-up to do
    assert warmed == [(9, True)]
    assert len(callers) == 9 and set(callers) == {threading.current_thread().name}
    assert len(keyword.PRETOKENIZED) == left_before
    assert kb.search("第2号通告怎么绕行", k=1)[0].title == "绕行通告2"
    # a KB whose cache is not open (seeding before the first build) leaves nothing behind
    closed = KnowledgeBase(kb.db, kb.embedder, kb.index_path.with_name("other.faiss"))
    closed.upsert_articles(
        [
            ArticleDraft(
                origin_key="notice:closed",
                title="夜间绕行通告",
                kind="policy",
                doc_title="夜间绕行通告",
                body=body,
                source="test",
                origin="local",
                chunks=[body],
            )
        ],
        action="import",
    )
    assert len(keyword.PRETOKENIZED) == left_before


def test_pretokenized_texts_are_taken_once_and_bounded():
    from knowledge_base.keyword import Pretokenized, tokenize

    cache = Pretokenized(limit=2)
    cache.warm(["货车超载", "客车超员", "网约车投诉"])
    assert len(cache) == 2  # the oldest was dropped
    assert cache.take("网约车投诉") == tokenize("网约车投诉") and len(cache) == 1
    assert cache.take("货车超载") == tokenize("货车超载")  # not kept: tokenised on the spot


def test_title_search_takes_like_wildcards_literally(editor):
    editor.create(CLOSURE, author="zhang")
    editor.create({**CLOSURE, "title": "ETC 100%_通行费打折"}, author="zhang")
    assert [a["title"] for a in editor.list(query="%_")["items"]] == ["ETC 100%_通行费打折"]
    assert editor.list(query="%")["total"] == 1 and editor.list(query="_")["total"] == 1
    assert editor.list(query="G4%新乡")["total"] == 0


def test_the_diff_speaks_chinese_in_china_time_and_the_first_note_is_kept(editor):
    art = editor.create({**CLOSURE, "expires_at": "2026-12-05T10:00:00+00:00"}, author="zhang", note="新乡局来电通知")
    assert editor.versions(art["id"])[0]["note"] == "新乡局来电通知"
    retired = editor.update(art["id"], {**CLOSURE, "expires_at": None, "urgent": False}, 1, "li")
    diff = editor.diff(art["id"], retired["version"])["diff"]
    assert "-失效时间：2026-12-05 18:00（北京时间）" in diff and "+失效时间：（无）" in diff
    assert "-热点政策：是" in diff and "+热点政策：否" in diff
    assert {"+状态：草稿", "+标签：封路、货车", "+标题：" + CLOSURE["title"]} <= set(editor.diff(art["id"], 1)["diff"])
    assert not [line for line in diff if line[1:].startswith(("expires_at", "title", "status"))]
