"""The conversation turn every channel shares (channels/turn.py), the official account's numbered choices and the
look-up that a new request ends (issue 15, items 1 and 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import ValidateStatus
from channels.conversation import RasaClient, TurnGate
from channels.errors import Busy
from channels.turn import NO_HANDOFF_NOTE, Conversation, is_handoff_cancel
from handoff.service import CANCELLED_NOTE
from hotline.clock import utcnow
from hotline.errors import BotUnavailable
from tests.conftest import make_settings
from tests.fakes import FakeRasa
from tests.test_wechat_mp import APPID, OPENID, SECRET, Bot, build
from tests.wechat_fake import FakeWeChat
from webapp import create_app

SENDER = "web:turn-1"


class FakeHandoffs:
    """What the turn needs of handoff.Handoffs: one user's open handoff, or none."""

    def __init__(self, open_for=()):
        self.open = set(open_for)
        self.to_operator: list[tuple[str, str]] = []
        self.cancelled: list[str] = []

    def active(self, sender):
        return {"id": 1, "state": "queued"} if sender in self.open else None

    def divert(self, sender, text):
        if sender not in self.open:
            return None
        self.to_operator.append((sender, text))
        return {"replies": [], "handoff": self.active(sender)}

    def cancel(self, sender):
        self.cancelled.append(sender)
        if sender in self.open:
            self.open.discard(sender)
            return True
        return False


@pytest.fixture
def rasa():
    server = FakeRasa()
    yield server
    server.close()


def test_the_bot_answers_with_the_channel_metadata(rasa):
    turn = Conversation(RasaClient(rasa.url, "", timeout=2), FakeHandoffs())
    result = turn.handle(SENDER, "投诉以后多久能有结果", {"channel": "wechat", "region": "河南省郑州市"})
    assert result.texts == ["收到：投诉以后多久能有结果"] and not result.diverted
    assert result.as_dict() == {
        "replies": [{"text": "收到：投诉以后多久能有结果", "buttons": []}],
        "intent": {"name": "consult", "confidence": 0.9},
        "sources": [],
        "work_order": None,
        "handoff": None,
    }
    assert rasa.received[0]["metadata"] == {"channel": "wechat", "region": "河南省郑州市"}


def test_during_a_handoff_the_message_goes_to_the_operator_not_the_bot(rasa):
    handoffs = FakeHandoffs([SENDER])
    result = Conversation(RasaClient(rasa.url, "", timeout=2), handoffs).handle(SENDER, "我的车被扣了")
    assert result.diverted and result.intent == {"name": "handoff", "confidence": 1.0}
    assert result.handoff == {"id": 1, "state": "queued"} and handoffs.to_operator == [(SENDER, "我的车被扣了")]
    assert rasa.received == []


@pytest.mark.parametrize("words", ["取消人工", "取消转人工", "不要人工了", "取消人工。"])
def test_cancel_without_a_handoff_says_so_and_never_reaches_the_bot(rasa, words):
    handoffs = FakeHandoffs()
    result = Conversation(RasaClient(rasa.url, "", timeout=2), handoffs).handle(SENDER, words)
    assert result.texts == [NO_HANDOFF_NOTE] and result.handoff is None and rasa.received == []
    assert NO_HANDOFF_NOTE.startswith("您当前没有排队中的人工服务")


def test_cancel_with_a_queued_handoff_ends_it(rasa):
    handoffs = FakeHandoffs([SENDER])
    result = Conversation(RasaClient(rasa.url, "", timeout=2), handoffs).handle(SENDER, "不要人工了")
    assert result.texts == [CANCELLED_NOTE] and handoffs.open == set() and rasa.received == []
    assert not is_handoff_cancel("我要人工") and not is_handoff_cancel("取消人工的话还能投诉吗")


def test_a_full_gate_is_busy_with_retry_after_and_an_outage_is_unavailable(rasa):
    client = RasaClient(rasa.url, "", timeout=2, gate=TurnGate(active=1, queue=0, wait=0.1))
    turn = Conversation(client, FakeHandoffs())
    with client.gate.admit():  # another turn holds the only place
        with pytest.raises(Busy) as busy:
            turn.handle(SENDER, "你好")
    assert busy.value.retry_after >= 1 and rasa.received == []
    rasa.fail = True
    with pytest.raises(BotUnavailable) as down:
        turn.handle(SENDER, "你好")
    assert not isinstance(down.value, Busy)


# --- 取消人工 outside a handoff, on the web chat and on WeChat (real Handoffs) ---------------------------------
def test_web_chat_cancel_outside_a_handoff_does_not_queue(tmp_path, rasa):
    app = create_app(make_settings(tmp_path, HOTLINE_RASA_URL=rasa.url, HOTLINE_RASA_TIMEOUT="2"))
    resp = app.test_client().post("/api/chat", json={"sender": "c1", "text": "取消人工"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["replies"][0]["text"] == NO_HANDOFF_NOTE and body["handoff"] is None
    assert app.extensions["hotline"].handoffs.active("web:c1") is None and rasa.received == []
    app.extensions["hotline"].db.engine.dispose()


@pytest.fixture
def wx(tmp_path):
    bot = Bot()
    rasa, wechat = FakeRasa(bot), FakeWeChat({APPID: SECRET})
    harness = build(tmp_path, rasa, wechat)
    bot.services = harness.services
    harness.rasa = rasa
    yield harness
    harness.official.drain()
    rasa.close()
    wechat.close()
    harness.services.db.engine.dispose()


def test_wechat_cancel_outside_a_handoff_does_not_queue(wx):
    assert wx.say("取消人工") == NO_HANDOFF_NOTE
    assert wx.services.handoffs.active(f"wechat:{OPENID}") is None and wx.rasa.received == []


# --- numbered choices on the official account ------------------------------------------------------------------
def test_a_digit_means_the_latest_list_even_after_an_answer_without_one(wx):
    wx.event("subscribe")
    assert "回复2：不满意" in wx.say("评价")
    wx.say("投诉以后多久能有结果")  # an answer without a numbered list: the rating list stays the latest
    wx.say("2")
    assert wx.rasa.texts()[-1] == '/rate{"rating":"dissatisfied"}'


def test_a_digit_outside_the_latest_list_or_without_one_means_the_main_menu(wx):
    wx.say("3")  # no list was ever shown
    assert wx.rasa.texts()[-1] == "查一下我的工单"
    wx.say("评价")
    wx.say("4")  # the rating list has two items: 4 is the menu's 转人工, not "4" for the bot
    assert wx.rasa.texts()[-1] == "转人工"


def test_a_list_expires_after_thirty_minutes(wx):
    sender = f"wechat:{OPENID}"
    wx.say("评价")
    wx.official.users.update(sender, choices=wx.user().choices, choices_at=utcnow() - timedelta(minutes=31))
    wx.say("1")
    assert wx.rasa.texts()[-1] == "我要投诉"  # the menu's 1, not 满意 of a list shown 31 minutes ago
    wx.say("评价")
    wx.official.users.update(sender, choices=wx.user().choices, choices_at=utcnow() - timedelta(minutes=29))
    wx.say("1")
    assert wx.rasa.texts()[-1] == '/rate{"rating":"satisfied"}'


# --- a new request ends a pending look-up (bot/actions/forms.py ValidateStatus) --------------------------------
def _status_turn(text, intent, confidence=0.95):
    tracker = Tracker.from_dict(
        {
            "sender_id": "wechat:u1",
            "slots": {"requested_slot": "status_done", "intake": {"kind": "status", "tries": 0, "ask": "number"}},
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": confidence},
                "entities": [],
                "metadata": {},
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "status_form"},
            "latest_action_name": "action_listen",
        }
    )
    dispatcher = CollectingDispatcher()
    events = ValidateStatus(work_orders=None).run(dispatcher, tracker, {})
    return dispatcher.messages, events


@pytest.mark.parametrize(
    "text,intent,action",
    [
        ("我要投诉", "complain", "complaint_form"),
        ("我有个建议", "suggest", "suggestion_form"),
        ("转人工", "handoff", "action_handoff"),
    ],
)
def test_a_confident_new_request_ends_the_look_up_and_is_served(text, intent, action):
    msgs, events = _status_turn(text, intent)
    assert msgs == []
    assert {"event": "followup", "name": action, "timestamp": None} in events
    assert {"event": "slot", "name": "requested_slot", "value": None, "timestamp": None} in events


def test_an_unsure_or_unrelated_message_still_asks_for_the_number():
    for text, intent, confidence in (("我要投诉", "complain", 0.4), ("嗯", "affirm", 0.9)):
        _, events = _status_turn(text, intent, confidence)
        slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
        assert slots["status_done"] is None and slots["intake"]["ask"] == "number"
