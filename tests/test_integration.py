"""A conversation over /api/chat with real bot and app processes (Rasa 3.6 calling our rasa_sdk executor)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from bot.actions.knowledge import choice_payload
from hotline import procs
from hotline.clock import local_date
from hotline.db import Database
from knowledge_base.answer import NO_MATCH
from work_orders.service import WorkOrders

pytestmark = pytest.mark.integration


def say(live, text, sender=None):
    resp = requests.post(
        live.base + "/api/chat", json={"sender": sender or uuid.uuid4().hex[:12], "text": text}, timeout=30
    )
    return resp.status_code, resp.json()


def test_conversation(live):
    sender = "it-" + uuid.uuid4().hex[:8]
    status, body = say(live, "你好", sender)
    assert status == 200 and body["intent"]["name"] == "greet"
    assert "12328" in body["replies"][0]["text"] and body["replies"][0]["buttons"]

    status, body = say(live, "投诉以后多久能有结果？", sender)
    assert status == 200 and body["intent"]["name"] == "consult"
    text = body["replies"][0]["text"]
    assert text.startswith("根据《12328交通运输服务监督热线管理办法》第二十三条：")
    assert "10个工作日内回复办理意见" in text
    assert body["sources"][0]["title"] == "12328交通运输服务监督热线管理办法 第二十三条"
    assert body["work_order"] is None

    status, body = say(live, "再见", sender)
    assert status == 200 and body["intent"]["name"] == "goodbye"


def test_a_pressed_choice_reaches_the_bot_and_is_answered(live):
    """Issue 16 item 3 through the real bot: a choice's payload (/consult{"article_id": N}) keeps its entity (declared
    in the domain), the consultation rule runs, and the action answers that article by id; "都不是" (article 0)
    refuses honestly with the consultation-order and human offers."""
    hits = requests.get(live.base + "/api/kb/search", params={"q": "12328评分结果会公开吗"}, timeout=30).json()["hits"]
    article = next(h["article_id"] for h in hits if h["title"].endswith("第三十七条"))
    sender = "it-" + uuid.uuid4().hex[:8]
    status, body = say(live, choice_payload(article), sender)
    assert status == 200 and body["intent"]["name"] == "consult"
    assert body["replies"][0]["text"].startswith("根据《12328交通运输服务监督热线管理办法》第三十七条：")
    assert body["sources"][0]["article_id"] == article

    status, body = say(live, '/consult{"article_id": 0}', sender)
    assert status == 200 and body["replies"][0]["text"].startswith(NO_MATCH)
    assert [b["payload"] for b in body["replies"][0]["buttons"]] == ["/leave_question", "/handoff"]


@pytest.mark.parametrize(
    "text, intent, expect",
    [
        ("我要投诉出租车司机绕路", "complain", "投诉"),
        ("我要投訴計程車司機繞路多收錢", "complain", "投诉"),
        ("建议延长公交末班车时间", "suggest", "建议"),
        ("高铁票怎么退", "refer_elsewhere", "12306"),
        ("快递丢了找谁", "refer_elsewhere", "12305"),
        ("今天天气怎么样", "out_of_scope", "12345"),
    ],
)
def test_intents_and_replies(live, text, intent, expect):
    status, body = say(live, text)
    assert status == 200
    assert body["intent"]["name"] == intent
    assert 0.0 < body["intent"]["confidence"] <= 1.0
    assert expect in body["replies"][0]["text"]


@pytest.fixture
def duty(live):
    """Put operators on or off duty whatever the real hour and day: the live app's service hours are 00:00-24:00
    on working days (tests/conftest.py), and this marks yesterday, today and tomorrow (China) as working days or
    not with the console's calendar overrides; they are removed afterwards."""
    work_orders = WorkOrders(Database(live.settings.database_url))
    today = local_date(datetime.now(UTC))
    days = [today + timedelta(days=n) for n in (-1, 0, 1)]

    def set_duty(on: bool) -> None:
        for day in days:
            work_orders.set_override(day, on, "集成测试：人工值班" if on else "集成测试：无人值班", "test")

    yield set_duty
    for day in days:
        work_orders.delete_override(day)


def test_handoff_reply_follows_service_hours(live, duty):
    duty(False)
    status, body = say(live, "转人工")
    assert status == 200 and body["intent"]["name"] == "handoff"
    reply = body["replies"][0]
    assert reply["text"].startswith("现在不在人工客服服务时间（工作日00:00-24:00），人工客服将于")
    assert "登记工单" in reply["text"] and "12328" in reply["text"]
    assert [b["title"] for b in reply["buttons"]] == ["登记工单", "我要投诉"] and body["handoff"] is None

    duty(True)
    sender = "it-" + uuid.uuid4().hex[:8]
    status, body = say(live, "转人工", sender)
    assert status == 200 and body["intent"]["name"] == "handoff"
    assert body["replies"][0]["text"].startswith("已为您转接人工客服，当前排队第") and not body["replies"][0]["buttons"]
    assert body["handoff"]["state"] == "queued"
    status, body = say(live, "取消人工", sender)  # leave the queue to the other tests empty
    assert status == 200 and body["replies"][0]["text"].startswith("已退出人工服务")


def test_rasa_sdk_contract_is_used(live):
    """The consult answer could only come from the app's executor: Rasa called /webhook with its token."""
    log = (live.var / "app.log").read_text()
    assert "Registered function for 'action_answer_from_kb'" in log
    bot_log = (live.var / "bot.log").read_text()
    assert "Failed to run custom action" not in bot_log


def test_bot_down_then_back(live):
    procs.stop(live.bot)
    status, body = say(live, "你好")
    assert status == 503
    assert body["error"]["code"] == "bot_unavailable" and "系统繁忙" in body["replies"][0]["text"]
    health = requests.get(live.base + "/api/health", timeout=10).json()
    assert health["bot"] is False and health["status"] == "degraded"
    live.start_bot()
    status, body = say(live, "你好")
    assert status == 200 and body["intent"]["name"] == "greet"
