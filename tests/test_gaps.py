"""Knowledge gaps (未命中问题): unanswered consultations are counted per wording with personal data masked; an
editor closes one by adding it to an article as a similar question, which answers the next caller at once."""

import threading
from datetime import UTC

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.knowledge import ActionAnswerFromKB
from knowledge_base.decision import Policy
from knowledge_base.editing import Editor, VersionConflict
from knowledge_base.gaps import GapStateError, KnowledgeGaps
from knowledge_base.service import Hit, KnowledgeBase
from tests.test_actions import tracker
from tests.test_editing import PERMIT

ASKED = "拉货的大车想开进城里头要办个啥"


@pytest.fixture
def kb(db, embedder, tmp_path):
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss", min_score=0.8)
    kb.open_index()
    return kb


@pytest.fixture
def app(app):
    """An editor and a publisher."""
    svc = app.extensions["hotline"]
    svc.accounts.create_user("editor1", "editor-pass-1", ["editor"])
    svc.accounts.create_user("pub1", "publisher-pass-1", ["publisher"])
    return app


def test_misses_are_counted_per_wording_with_personal_data_masked(kb):
    gaps = KnowledgeGaps(kb.db)
    first = gaps.record("明天郑州下雨吗？", channel="web")
    assert gaps.record("明天郑州下雨吗", channel="wechat") == first  # trailing punctuation does not split it
    assert gaps.record("明天鄭州下雨嗎", channel="web") == first  # nor Traditional characters
    gaps.record("我电话13812345678 身份证410102199003071234 咋查违章", channel="mp")
    listing = gaps.list()
    assert [(g["text"], g["count"]) for g in listing["items"]] == [
        ("明天郑州下雨吗", 3),
        ("我电话138****5678 身份证410102********1234 咋查违章", 1),
    ]
    assert listing["counts"] == {"open": 2, "resolved": 0, "dismissed": 0}
    assert gaps.record(" ？") is None  # nothing to learn from


def test_concurrent_first_misses_make_one_gap(kb):
    gaps = KnowledgeGaps(kb.db)
    barrier = threading.Barrier(4)

    def ask():
        barrier.wait()
        gaps.record("高速上能不能停车睡觉", channel="wechat")

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [(g["text"], g["count"]) for g in gaps.list()["items"]] == [("高速上能不能停车睡觉", 4)]


def test_attaching_a_gap_answers_the_next_caller(kb):
    editor, gaps = Editor(kb), KnowledgeGaps(kb.db)
    art = editor.create(PERMIT, "li", publish=True)
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(kb, gaps).run(dispatcher, tracker(ASKED), {})
    assert dispatcher.messages[1]["custom"]["hotline_meta"]["kb_matched"] is False
    gap = gaps.list()["items"][0]
    assert gap["text"] == ASKED and gap["channel"] == "web"
    assert gap["best_article_id"] == art["id"] and gap["best_score"] < 0.8  # the near miss, for the editor

    with pytest.raises(VersionConflict):  # attaching is an edit: a stale version changes nothing
        gaps.attach(gap["id"], editor, art["id"], art["version"] - 1, "li")
    assert gaps.list()["items"][0]["status"] == "open"
    closed = gaps.attach(gap["id"], editor, art["id"], art["version"], "li")
    assert closed["status"] == "resolved" and closed["article_id"] == art["id"] and closed["resolved_by"] == "li"
    assert editor.get(art["id"])["questions"] == [ASKED]
    assert editor.versions(art["id"])[-1]["note"] == f"未命中问题 #{gap['id']} 加为相似问法"
    with pytest.raises(GapStateError):
        gaps.dismiss(gap["id"], "li")

    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(kb, gaps).run(dispatcher, tracker(ASKED), {})
    assert "城市货车通行" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[1]["custom"]["hotline_meta"]["kb_matched"] is True
    assert gaps.list("resolved")["items"][0]["count"] == 1  # answered now: not counted again


def test_a_gap_asked_again_after_it_was_closed_opens_again(kb):
    gaps = KnowledgeGaps(kb.db)
    art = Editor(kb).create(PERMIT, "li", publish=True)
    gap_id = gaps.record("明天郑州下雨吗")
    gaps.attach(gap_id, Editor(kb), art["id"], art["version"], "li")
    gaps.record("明天郑州下雨吗")
    assert gaps.list()["items"][0]["status"] == "open"
    gaps.dismiss(gap_id, "li")
    gaps.record("明天郑州下雨吗")  # dismissed stays dismissed, still counted
    assert gaps.list("dismissed")["items"][0]["count"] == 3


def test_clarifications_are_counted_beside_refusals(kb):
    """A question answered with choices is a gap too (the KB could not tell its entries apart); 都不是 turns that
    clarification into a refusal without counting the asking twice."""
    gaps = KnowledgeGaps(kb.db)
    best = Hit(7, 70, "货车通行证网上办理", "测试", "《货车通行证网上办理》", 0.7, "正文")
    gap_id = gaps.record("货车进城证咋办", channel="web", best=best, kind="clarify")
    assert gaps.record("货车进城证咋办？", channel="wechat", kind="clarify") == gap_id
    gaps.record("明天郑州下雨吗", channel="web")
    by_text = {g["text"]: g for g in gaps.list()["items"]}
    assert {k: by_text["货车进城证咋办"][k] for k in ("count", "kind", "clarified", "refused")} == {
        "count": 2,
        "kind": "clarify",
        "clarified": 2,
        "refused": 0,
    }
    assert {k: by_text["明天郑州下雨吗"][k] for k in ("kind", "clarified", "refused")} == {
        "kind": "refuse",
        "clarified": 0,
        "refused": 1,
    }
    assert [g["text"] for g in gaps.list(kind="clarify")["items"]] == ["货车进城证咋办"]

    assert gaps.none_fit("货车进城证咋办") == gap_id  # none of the choices was it
    gap = gaps.list(kind="refuse")["items"][0]
    assert (gap["text"], gap["count"], gap["clarified"], gap["refused"]) == ("货车进城证咋办", 2, 1, 1)
    gaps.none_fit("货车进城证咋办")
    gaps.none_fit("货车进城证咋办")  # no clarification left to turn: nothing changes
    gap = gaps.list(kind="refuse")["items"][0]
    assert (gap["count"], gap["clarified"], gap["refused"]) == (2, 0, 2)
    # a wording never recorded (purged since) is counted as a refusal
    other = gaps.none_fit("高速上能停车睡觉吗", channel="mp")
    assert other is not None and gaps.list(kind="refuse")["total"] == 3
    with pytest.raises(ValueError):
        gaps.record("货车进城证咋办", kind="answer")


def test_a_clarification_in_the_chat_is_a_gap_and_none_of_these_makes_it_a_refusal(kb, monkeypatch):
    editor, gaps = Editor(kb), KnowledgeGaps(kb.db)
    editor.create(PERMIT, "li", publish=True)
    editor.create(
        {**PERMIT, "title": "货车通行证线下办理", "body": PERMIT["body"].replace("网上", "窗口")}, "li", publish=True
    )
    policy = Policy(answer=0.8, margin=0.05, choice=0.3, clarify_total=0.6)  # one that clarifies, on the score
    monkeypatch.setattr(KnowledgeBase, "policy", property(lambda self: policy))
    action = ActionAnswerFromKB(kb, gaps)
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker(ASKED), {})
    assert dispatcher.messages[0]["text"] == "您想问的是哪一个？"
    gap = gaps.list()["items"][0]
    assert (gap["text"], gap["kind"], gap["clarified"], gap["channel"]) == (ASKED, "clarify", 1, "web")
    assert gap["best_title"] in ("货车通行证网上办理", "货车通行证线下办理")

    question = {e["name"]: e["value"] for e in events}["last_question"]
    action.run(CollectingDispatcher(), tracker('/consult{"article_id": 0}', slots={"last_question": question}), {})
    gap = gaps.list()["items"][0]
    assert (gap["count"], gap["kind"], gap["clarified"], gap["refused"]) == (1, "refuse", 0, 1)


def test_gap_api(app, login):
    client = app.test_client()
    svc = app.extensions["hotline"]
    assert client.get("/api/kb/gaps").status_code == 401
    pub, editor = login(client, "pub1", "publisher-pass-1"), login(client, "editor1", "editor-pass-1")
    art = client.post("/api/kb/articles", json={**PERMIT, "publish": True}, headers=pub).get_json()
    gap_id = svc.gaps.record(ASKED, channel="web")
    other = svc.gaps.record("今天股市涨了没", channel="web")
    clarified = svc.gaps.record("货车进城证咋办", channel="wechat", kind="clarify")
    listing = client.get("/api/kb/gaps", headers=editor).get_json()
    assert {g["id"] for g in listing["items"]} == {gap_id, other, clarified}
    kinds = {g["id"]: (g["kind"], g["refused"], g["clarified"]) for g in listing["items"]}
    assert kinds == {gap_id: ("refuse", 1, 0), other: ("refuse", 1, 0), clarified: ("clarify", 0, 1)}
    only = client.get("/api/kb/gaps", query_string={"kind": "clarify"}, headers=editor).get_json()
    assert [g["id"] for g in only["items"]] == [clarified]
    assert client.get("/api/kb/gaps", query_string={"status": "x"}, headers=editor).status_code == 422
    assert client.get("/api/kb/gaps", query_string={"kind": "answer"}, headers=editor).status_code == 422
    assert client.post(f"/api/kb/gaps/{clarified}/dismiss", headers=editor).status_code == 200
    # an editor may not change a published article, not even through a gap
    resp = client.post(
        f"/api/kb/gaps/{gap_id}/attach", json={"article_id": art["id"], "version": art["version"]}, headers=editor
    )
    assert resp.status_code == 403
    resp = client.post(f"/api/kb/gaps/{gap_id}/attach", json={"article_id": art["id"], "version": 99}, headers=pub)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "version_conflict"
    resp = client.post(
        f"/api/kb/gaps/{gap_id}/attach", json={"article_id": art["id"], "version": art["version"]}, headers=pub
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "resolved"
    hit = client.get("/api/kb/hit-test", query_string={"q": ASKED}, headers=editor).get_json()["hits"][0]
    assert hit["title"] == PERMIT["title"] and hit["question"] == ASKED and "相似问法" in hit["why"]
    assert client.post(f"/api/kb/gaps/{other}/dismiss", headers=editor).get_json()["status"] == "dismissed"
    assert client.post(f"/api/kb/gaps/{other}/dismiss", headers=editor).status_code == 409
    assert client.post("/api/kb/gaps/999999/dismiss", headers=editor).status_code == 404
    assert client.get("/api/kb/gaps", headers=editor).get_json()["counts"] == {"open": 0, "resolved": 1, "dismissed": 2}


def test_numbers_typed_with_spaces_are_masked_too(kb):
    gaps = KnowledgeGaps(kb.db)
    gaps.record("我手机138 1234 5678 座机0373-1234567 帮我查下", channel="web")
    assert gaps.list()["items"][0]["text"] == "我手机138******78 座机037******67 帮我查下"


def test_adding_a_question_that_already_failed_is_refused_and_old_gaps_are_purged(kb):
    from datetime import datetime, timedelta

    editor, gaps = Editor(kb), KnowledgeGaps(kb.db)
    art = editor.create(PERMIT, "li", publish=True)
    gap_id = gaps.record("明天郑州下雨吗")
    art = editor.get(gaps.attach(gap_id, editor, art["id"], art["version"], "li")["article_id"])
    gaps.record("明天郑州下雨吗")  # still not answered: open again
    reopened = gaps.list()["items"][0]
    assert reopened["status"] == "open" and reopened["resolved_by"] is None
    with pytest.raises(GapStateError, match="已是《货车通行证网上办理》的相似问法"):
        gaps.attach(gap_id, editor, art["id"], art["version"], "li")
    assert editor.get(art["id"])["version"] == art["version"]  # nothing changed
    assert gaps.purge(datetime.now(UTC) + timedelta(days=300)) == 0
    assert gaps.purge(datetime.now(UTC) + timedelta(days=366)) == 1
    assert gaps.list()["total"] == 0
