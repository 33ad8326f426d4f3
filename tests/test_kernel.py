"""The shared kernel: one clock (hotline.clock), one text normalisation (hotline.text) and one registry of
channels and sender ids (hotline.channels) that every package reads, so a channel named there is known
everywhere and a sender id of an unknown channel is refused instead of being filed under another channel."""

from datetime import UTC, date, datetime

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot.actions.forms import ActionSubmitIntake
from bot.actions.knowledge import ActionAnswerFromKB
from bot.actions.work_orders import ActionLeaveQuestion
from handoff import Handoffs
from handoff.errors import HandoffError
from hotline import channels
from hotline.channels import Channel
from hotline.clock import CHINA, aware, china_time, local_date
from hotline.db import Database
from hotline.text import half_width, normalize, strip_trailing_punctuation
from knowledge_base.decision import Policy, decide
from work_orders.models import Notice
from work_orders.service import System, WorkOrders

FRIDAY_10 = datetime(2026, 11, 20, 10, 0, tzinfo=CHINA)  # a working day inside service hours
SMS = Channel("sms", "短信", conversational=True)


class Recorder:
    """Stands in for WorkOrders in the actions: keeps what would be filed."""

    def __init__(self, real: WorkOrders | None = None):
        self.real, self.created = real, []

    def create(self, data, actor="system", idempotency_key=None, now=None):
        self.created.append(data)
        return self.real.create(data, actor=actor, idempotency_key=idempotency_key, now=FRIDAY_10)

    def calendar(self, session=None):
        return self.real.calendar(session)


def tracker(sender: str, slots: dict | None = None, intent: str = "leave_question", text: str = "") -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": slots or {},
            "latest_message": {
                "text": text or "/" + intent,
                "intent": {"name": intent, "confidence": 1.0},
                "entities": [],
                "metadata": {},
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def leave_question(work_orders, sender: str) -> list[dict]:
    dispatcher = CollectingDispatcher()
    ActionLeaveQuestion(work_orders).run(dispatcher, tracker(sender, {"last_question": "货车通行证怎么办理"}), {})
    return dispatcher.messages


@pytest.fixture
def services(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'kernel.db'}")
    db.migrate()
    work_orders = WorkOrders(db, callback_sample_rate=0.0)
    handoffs = Handoffs(db, work_orders.calendar)
    handoffs.clock = lambda: FRIDAY_10
    return work_orders, handoffs


# ------------------------------------------------------------------------------------------------ channels


def test_a_channel_added_to_the_registry_is_known_everywhere(services, monkeypatch):
    work_orders, handoffs = services
    monkeypatch.setitem(channels.CHANNELS, "sms", SMS)

    # the bot files the conversation's order under its own channel, with the sender as the caller
    recorder = Recorder(work_orders)
    messages = leave_question(recorder, "sms:13800001111")
    assert recorder.created[0]["channel"] == "sms" and recorder.created[0]["caller_user"] == "sms:13800001111"
    assert "登记没有成功" not in messages[0]["text"]
    # the work-order service accepts and labels it; the caller's notices are addressed to the sender id
    number = work_orders.for_caller("sms:13800001111")[0]["number"]
    order = work_orders.get(number, System())
    assert order["channel"] == "sms" and order["channel_label"] == "短信"
    assert order["events"][0]["note"] == "短信受理信息咨询"
    with work_orders.db.session() as s:
        recipients = s.scalars(select(Notice.recipient)).all()
    assert recipients == ["caller:sms:13800001111"]
    assert channels.parse_recipient(recipients[0]) == ("sms", "13800001111")
    # the handoff console shows its label, and an operator's reply waits in its outbox (it does not poll)
    queued = handoffs.request("sms:13800001111", "user_request", [], now=FRIDAY_10)
    assert queued["status"] == "queued"
    assert handoffs.queue(now=FRIDAY_10)[0]["channel_label"] == "短信"
    handoffs.take(queued["handoff_id"], "op1", now=FRIDAY_10)
    handoffs.operator_message(queued["handoff_id"], "op1", "您好，请讲。", now=FRIDAY_10)
    assert [item["text"] for item in handoffs.pending_outbox("sms")][-1] == "您好，请讲。"


def test_an_unknown_sender_prefix_is_refused_not_filed_as_web(services):
    work_orders, handoffs = services
    assert channels.parse_sender("sms:13800001111") is None
    recorder = Recorder(work_orders)
    messages = leave_question(recorder, "sms:13800001111")
    assert recorder.created == [] and work_orders.for_caller("sms:13800001111") == []
    assert messages[0]["text"].startswith("登记没有成功：无法识别会话的来源渠道")
    assert "13800001111" not in messages[0]["text"]  # a sender id can be a visitor's secret

    dispatcher = CollectingDispatcher()
    confirmed = {
        "intake": {
            "id": "d1",
            "kind": "suggestion",
            "outcome": "confirmed",
            "values": {"facts": "建议增加夜班公交", "identity": "匿名"},
        }
    }
    assert ActionSubmitIntake(recorder).run(dispatcher, tracker("bare-id", confirmed, "affirm"), {}) == []
    assert recorder.created == [] and dispatcher.messages[0]["text"].startswith("登记没有成功")

    with pytest.raises(HandoffError) as refused:
        handoffs.request("sms:13800001111", "user_request", [], now=FRIDAY_10)
    assert refused.value.code == "invalid_sender"
    with pytest.raises(channels.UnknownChannel):
        channels.sender_id("sms", "13800001111")
    with pytest.raises(channels.UnknownChannel):
        channels.sender_id("phone", "13800001111")  # phone calls have no sender ids


def test_gaps_are_counted_under_the_registered_channel_only():
    seen = []

    class NothingFound:
        min_score = 0.5

        def decide(self, question, **_):
            return decide([], Policy())

    class Gaps:
        def record(self, question, channel=None, best=None, kind="refuse"):
            seen.append(channel)

    for sender in ("wechat:o-1", "sms:o-2", "no-channel"):
        ActionAnswerFromKB(NothingFound(), Gaps()).run(
            CollectingDispatcher(), tracker(sender, intent="consult", text="我想订一张机票"), {}
        )
    assert seen == ["wechat", None, None]


def test_sender_ids_and_recipients():
    assert channels.sender_id("wechat", "o-abc") == "wechat:o-abc"
    assert channels.parse_sender("wechat:o-abc") == ("wechat", "o-abc")
    assert channels.parse_sender("web:a:b") == ("web", "a:b")
    for bad in ("", None, "web", "web:", ":abc", "phone:13800001111", "12345:x", "web:" + "x" * 200):
        assert channels.parse_sender(bad) is None, bad
    assert channels.user_of("miniprogram:o-1") == "o-1" and channels.user_of("nonsense") == ""
    assert channels.caller_recipient("wechat:o-1") == "caller:wechat:o-1"
    assert channels.caller_prefix("miniprogram") == "caller:miniprogram:"
    assert channels.parse_recipient("caller:miniprogram:o-1") == ("miniprogram", "o-1")
    assert channels.parse_recipient("unit:3") is None and channels.parse_recipient("center") is None
    # the flags: the web chat and the mini-program poll, the official account is delivered from an outbox
    assert [c for c in channels.codes() if channels.get(c).polls] == ["miniprogram", "web"]
    assert [c for c in channels.codes() if channels.get(c).outbox] == ["wechat"]
    assert channels.labels()["web"] == "网站" and channels.label("nope", "nope") == "nope"


# ------------------------------------------------------------------------------------------------ clock


def test_clock_stored_values_are_utc_and_shown_in_china_time():
    naive = datetime(2025, 12, 31, 16, 30)  # what SQLite hands back for 16:30 UTC
    assert aware(naive) == datetime(2025, 12, 31, 16, 30, tzinfo=UTC) and aware(None) is None
    beijing = datetime(2026, 1, 1, 0, 30, tzinfo=CHINA)
    assert aware(beijing) is beijing
    assert china_time(naive) == beijing and china_time(naive).utcoffset().total_seconds() == 8 * 3600
    assert local_date(naive) == date(2026, 1, 1)  # New Year's Day in China, still 31 December in UTC


# ------------------------------------------------------------------------------------------------ text


def test_text_normalisation():
    assert normalize(" 計程車  拒載\u3000ＡＢＣ１２３ ") == "计程车 拒载 ABC123"
    assert half_width("１２．ＡＢ－") == "12.AB-" and half_width("²①") == "²①"  # only the full-width block
    assert strip_trailing_punctuation(" 取消人工。") == "取消人工"
    assert strip_trailing_punctuation("1、") == "1" and strip_trailing_punctuation("好的！") == "好的"


def test_the_bot_gets_its_token_as_one_argument_even_when_it_looks_like_an_option(tmp_path):
    """secrets.token_urlsafe starts with "-" once in 64: rasa's argument parser must not take it for an option."""
    from hotline import procs
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, HOTLINE_RASA_TOKEN="-Xy_3")
    command = procs.bot_command(settings)
    assert "--auth-token=-Xy_3" in command and "-Xy_3" not in command
