"""Custom actions run as rasa_sdk runs them: Tracker.from_dict + CollectingDispatcher, and through the
app's /webhook endpoint with a Rasa 3.6 action-call payload."""

import json
import zlib

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.knowledge import ActionAnswerFromKB
from bot.actions.referral import DEFAULT_REFERRAL, ActionReferElsewhere, referral_for
from knowledge_base.answer import KB_DOWN, NO_MATCH
from webapp import create_action_app


def tracker(text, intent="consult", metadata=None):
    message = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []}
    if metadata is not None:
        message["metadata"] = metadata
    return Tracker.from_dict(
        {
            "sender_id": "web:t1",
            "slots": {},
            "latest_message": message,
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def test_answer_quotes_and_cites(seeded_kb):
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("投诉以后多久能有结果？"), {})
    assert events == [{"event": "slot", "timestamp": None, "name": "misses", "value": 0}]  # a hit resets the count
    text, meta = dispatcher.messages
    assert text["text"].startswith("根据《12328交通运输服务监督热线管理办法》第二十三条：")
    sources = meta["custom"]["hotline_meta"]["sources"]
    assert sources[0]["title"] == "12328交通运输服务监督热线管理办法 第二十三条"


def test_answer_says_plainly_when_nothing_matches(seeded_kb):
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("我想订一张机票"), {})
    assert dispatcher.messages[0]["text"] == NO_MATCH
    # offers a consultation order or a human, and remembers the question for the order
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/leave_question", "/handoff"]
    assert dispatcher.messages[0]["buttons"][0]["title"] == "登记咨询工单（3个工作日内答复）"  # 第二十三条
    slots = {e["name"]: e["value"] for e in events}
    assert slots == {"misses": 1, "last_question": "我想订一张机票"}
    assert dispatcher.messages[1]["custom"]["hotline_meta"] == {"sources": [], "kb_matched": False}


@pytest.mark.parametrize(
    "original, question, payload",
    [
        ("complain", "需要现在帮您登记投诉吗？", "/complain"),
        ("suggest", "需要现在帮您登记意见建议吗？", "/suggest"),
        ("ticket_status", "需要现在帮您查询工单进度吗？", "/ticket_status"),
        ("handoff", "需要为您转接人工客服吗？", "/handoff"),
    ],
)
def test_answer_then_offers_the_act_the_question_was_about(seeded_kb, original, question, payload):
    dispatcher = CollectingDispatcher()
    asked = {"hotline_asked_as": {"name": original, "confidence": 0.93}}
    events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("投诉以后多久能有结果？", metadata=asked), {})
    assert events == [{"event": "slot", "timestamp": None, "name": "misses", "value": 0}]
    answer, meta, offer = dispatcher.messages
    assert answer["text"].startswith("根据《12328交通运输服务监督热线管理办法》第二十三条：")
    assert meta["custom"]["hotline_meta"]["kb_matched"] is True  # the sources stay with the answer
    assert offer["text"] == question
    assert [b["payload"] for b in offer["buttons"]] == [payload, "/deny"]


def test_answer_offers_nothing_for_small_talk_taken_as_a_question(seeded_kb):
    dispatcher = CollectingDispatcher()
    asked = {"hotline_asked_as": {"name": "goodbye", "confidence": 0.8}}
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("投诉以后多久能有结果？", metadata=asked), {})
    assert len(dispatcher.messages) == 2


@pytest.mark.parametrize(
    "original, action",
    [
        ("complain", "complaint_form"),
        ("suggest", "suggestion_form"),
        ("ticket_status", "status_form"),
        ("handoff", "action_handoff"),
    ],
)
def test_unanswered_question_asked_as_a_request_does_the_request(seeded_kb, original, action):
    dispatcher = CollectingDispatcher()
    asked = {"hotline_asked_as": {"name": original, "confidence": 0.9}}
    events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("我想订一张机票", metadata=asked), {})
    assert events == [{"event": "followup", "timestamp": None, "name": action}]
    assert dispatcher.messages == []


@pytest.mark.parametrize("original", ["goodbye", "out_of_scope", "nlu_fallback"])
def test_unanswered_question_asked_as_small_talk_gets_the_no_answer_reply(seeded_kb, original):
    dispatcher = CollectingDispatcher()
    asked = {"hotline_asked_as": {"name": original, "confidence": 0.9}}
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("我想订一张机票", metadata=asked), {})
    assert dispatcher.messages[0]["text"] == NO_MATCH
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/leave_question", "/handoff"]


def test_kb_failure_still_answers():
    class BrokenKB:
        def search(self, *a, **k):
            raise RuntimeError("index gone")

    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(BrokenKB()).run(dispatcher, tracker("投诉以后多久能有结果？"), {})
    assert dispatcher.messages == [{**dispatcher.messages[0], "text": KB_DOWN}]


@pytest.mark.parametrize(
    "text, number",
    [
        ("高铁票怎么退", "12306"),
        ("航班延误了找谁", "12326"),
        ("快递丢了怎么办", "12305"),
        ("前面撞车了有人受伤", "120"),
        ("高速上車壞了要拖車", "12122"),
        ("船翻了有人落水", "12395"),
    ],
)
def test_referrals(text, number):
    assert number in referral_for(text)
    dispatcher = CollectingDispatcher()
    ActionReferElsewhere().run(dispatcher, tracker(text, "refer_elsewhere"), {})
    assert number in dispatcher.messages[0]["text"]


def test_referral_default_lists_all_hotlines():
    assert referral_for("这个不归你们管吧") == DEFAULT_REFERRAL
    assert all(n in DEFAULT_REFERRAL for n in ("12306", "12326", "12305", "122", "12395", "12345"))


# ------------------------------------------------------------------ the /webhook endpoint

RASA_36_CALL = {
    "next_action": "action_answer_from_kb",
    "sender_id": "web:t1",
    "version": "3.6.21",
    "tracker": {
        "sender_id": "web:t1",
        "slots": {},
        "latest_message": {
            "text": "投诉以后多久能有结果？",
            "intent": {"name": "consult", "confidence": 1.0},
            "entities": [],
        },
        "latest_event_time": 1.0,
        "followup_action": None,
        "paused": False,
        "events": [],
        "latest_input_channel": "rest",
        "active_loop": {},
        "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
    },
    "domain": {
        "version": "3.1",
        "intents": ["consult"],
        "entities": [],
        "slots": {},
        "responses": {},
        "actions": ["action_answer_from_kb"],
        "forms": {},
        "e2e_actions": [],
    },
}


@pytest.fixture
def app_client(seeded_dir, make_app):
    """The action listener's app, over the same services as the main app (one KB cache)."""
    main = make_app(seeded_dir)
    app = create_action_app(main.extensions["hotline"])
    return app, app.test_client()


def test_main_listener_does_not_serve_actions(app_client, seeded_dir, make_app):
    """The bot's action calls go to a listener of their own: the main app's threads never serve them."""
    app, _ = app_client
    token = app.config["SETTINGS"].action_token
    main = make_app(seeded_dir).test_client()
    assert main.post(f"/webhook?token={token}", json=RASA_36_CALL).status_code == 404


def test_webhook_requires_token(app_client):
    _, client = app_client
    assert client.post("/webhook", json=RASA_36_CALL).status_code == 401
    assert client.post("/webhook?token=wrong", json=RASA_36_CALL).status_code == 401


def test_webhook_runs_action(app_client):
    app, client = app_client
    token = app.config["SETTINGS"].action_token
    resp = client.post(f"/webhook?token={token}", json=RASA_36_CALL)
    assert resp.status_code == 200
    body = resp.get_json()
    assert [(e["name"], e["value"]) for e in body["events"]] == [("misses", 0)]
    assert "第二十三条" in body["responses"][0]["text"]
    # deflate-compressed bodies are accepted too
    raw = zlib.compress(json.dumps(RASA_36_CALL).encode())
    resp = client.post(
        f"/webhook?token={token}", data=raw, content_type="application/json", headers={"Content-Encoding": "deflate"}
    )
    assert resp.status_code == 200


def test_webhook_errors(app_client, make_app):
    app, client = app_client
    token = app.config["SETTINGS"].action_token
    assert client.post(f"/webhook?token={token}", json={**RASA_36_CALL, "next_action": "nope"}).status_code == 404
    no_domain = {k: v for k, v in RASA_36_CALL.items() if k != "domain"}
    fresh = create_action_app(make_app(app.config["SETTINGS"].var_dir).extensions["hotline"])
    fresh = fresh.test_client()
    assert fresh.post(f"/webhook?token={token}", json=no_domain).status_code == 449
    assert client.post(f"/webhook?token={token}", data="{bad", content_type="application/json").status_code == 400
