"""The web chat's conversation survives a reload: GET /api/chat/history (channels.history)."""

from datetime import UTC, datetime, timedelta

import pytest

from channels.history import ChatHistory, source_reply
from hotline.db import Database

SOURCE = {"article_id": 23, "title": "办法 第二十三条", "score": 0.9, "citation": "《办法》第二十三条"}
ORDER = {"number": "20261130-00007", "type": "投诉", "state": "已受理"}


def script(sender, text, meta):
    if text == "我要投诉":
        return [
            {"text": "请问您要投诉的对象是？", "buttons": [{"title": "不投诉了", "payload": "/leave_question"}]}
        ], None
    if text == "投诉多久有结果":  # a question in the middle of the form: answered, then the form asks again
        return [
            {"text": "根据《办法》第二十三条：10个工作日内答复。"},
            {"text": "请问您要投诉的对象是？"},
            {"custom": {"hotline_meta": {"sources": [SOURCE], "kb_matched": True}}},
        ], None
    if text == "/leave_question":
        return [{"text": "已为您登记工单，编号 20261130-00007。"}], ORDER
    return [{"text": f"收到：{text}"}], None


@pytest.fixture
def app_env(fake_rasa):
    fake_rasa.script = script
    return {"HOTLINE_RASA_URL": fake_rasa.url, "HOTLINE_SWEEP_INTERVAL": "0"}


def test_a_reload_gets_the_senders_own_conversation_back(client):
    me, other = "w1history0000001", "w1history0000002"
    for text in ("我要投诉", "投诉多久有结果", "/leave_question"):
        assert client.post("/api/chat", json={"sender": me, "text": text}).status_code == 200
    client.post("/api/chat", json={"sender": other, "text": "别人的消息"})

    resp = client.get("/api/chat/history", query_string={"sender": me})
    assert resp.status_code == 200
    turns = resp.get_json()["turns"]
    assert [(t["role"], t["text"]) for t in turns] == [
        ("user", "我要投诉"),
        ("bot", "请问您要投诉的对象是？"),
        ("user", "投诉多久有结果"),
        ("bot", "根据《办法》第二十三条：10个工作日内答复。"),
        ("bot", "请问您要投诉的对象是？"),
        ("user", "不投诉了"),  # the pressed button's title, not its payload
        ("bot", "已为您登记工单，编号 20261130-00007。"),
    ]
    assert turns[1]["buttons"] == [{"title": "不投诉了", "payload": "/leave_question"}]
    # the sources belong to the answer, not to the form's question asked again after it
    assert [t["sources"] for t in turns[3:5]] == [[SOURCE], []]
    assert turns[-1]["work_order"]["number"] == "20261130-00007"
    assert "别人的消息" not in str(turns)
    assert client.get("/api/chat/history", query_string={"sender": "w1nobody"}).get_json()["turns"] == []
    assert client.get("/api/chat/history", query_string={"sender": "a b"}).status_code in (400, 422)


def test_only_the_latest_turns_and_old_ones_are_purged(db_url):
    db = Database(db_url)
    db.migrate()
    history = ChatHistory(db)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    for day in range(40):
        history.clock = lambda day=day: start + timedelta(days=day)
        history.record("web:w1", f"第{day}天", {"replies": [{"text": "好的"}], "sources": []})
    recent = history.recent("web:w1")
    assert len(recent) == 50 and recent[-2]["text"] == "第39天" and recent[0]["text"] == "第15天"
    assert history.purge(now=start + timedelta(days=40)) == 20  # days 0..9: older than 30 days
    assert history.recent("web:w1", limit=1000)[0]["text"] == "第10天"


def test_sources_go_under_the_reply_that_cites_them():
    replies = [{"text": "请问发生时间？"}, {"text": "根据《办法》第二十三条……"}, {"text": "请问发生时间？"}]
    assert source_reply(replies, [SOURCE]) == 1
    assert source_reply([{"text": "答复"}, {"text": "请问…"}], [SOURCE]) == 0
    assert source_reply(replies, []) is None
