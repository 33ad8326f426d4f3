"""Whole dialogues over /api/chat against real bot and app processes: a complaint becomes a work order,
a question in the middle is answered and the form resumes, a cancelled complaint leaves nothing, the caller
checks the status, Traditional input works, and two copies of the same message make one order."""

import threading
import uuid
from datetime import UTC, datetime

import pytest
import requests

from hotline.db import Database
from work_orders import messages
from work_orders.service import WorkOrders

pytestmark = pytest.mark.integration


class Chat:
    def __init__(self, live):
        self.live = live
        self.sender = "cv-" + uuid.uuid4().hex[:10]

    def say(self, text):
        resp = requests.post(self.live.base + "/api/chat", json={"sender": self.sender, "text": text}, timeout=60)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        body["text"] = "\n".join(r["text"] for r in body["replies"])
        return body


def orders(live):
    return WorkOrders(Database(live.settings.database_url))


def test_complaint_with_an_interruption_becomes_a_work_order(live):
    chat = Chat(live)
    body = chat.say("我要投诉豫G·T1234出租车，昨天晚上8点在新乡东站拒载还骂人，电话13812345678，要求处理司机")
    assert body["intent"]["name"] == "complain"
    assert "实名" in body["text"]  # everything else was in the first message
    body = chat.say("投诉以后多久能有结果？")  # a question in the middle of the form
    assert "第二十三条" in body["text"] and "实名" in body["text"]  # answered, then asked again
    body = chat.say("匿名")
    assert "请核对您的投诉内容" in body["text"] and "豫GT1234出租车" in body["text"]
    assert "新乡东站" in body["text"] and "13812345678" in body["text"]
    body = chat.say("电话改成13912345678")
    assert "已将联系电话改为：13912345678" in body["text"]
    body = chat.say("确认")
    order = body["work_order"]
    assert order and order["type"] == "complaint" and "10个工作日" in order["deadline_text"]
    assert f"编号 {order['number']}" in body["text"] and "10个工作日内回复办理意见" in body["text"]
    due = datetime.fromisoformat(order["deadline"])  # the latest answer, China time, quoted in the reply
    assert order["deadline"].endswith("T23:59:59+08:00") and due > datetime.now(UTC)
    assert f"最迟将于{messages.day_text(due)}前答复您" in body["text"]
    stored = orders(live).lookup(order["number"], "5678", caller_user=f"web:{chat.sender}")
    assert stored["state"] == "received"

    body = chat.say(f"查询工单{order['number']}")  # the same sender needs no phone digits
    assert "已受理" in body["text"] and order["number"] in body["text"]


def test_short_complaint_is_asked_step_by_step_and_can_be_cancelled(live):
    chat = Chat(live)
    body = chat.say("我要投诉")
    assert "投诉的对象" in body["text"]
    body = chat.say("12路公交")
    assert "事情经过" in body["text"]
    before = orders(live).count()
    body = chat.say("算了不投诉了")
    assert "已取消" in body["text"] and body["work_order"] is None
    assert orders(live).count() == before
    body = chat.say("你好")
    assert body["intent"]["name"] == "greet"  # the form is closed


def test_traditional_suggestion(live):
    chat = Chat(live)
    body = chat.say("建議在服務區多建一些貨車停車位，晚上根本沒地方停")
    assert body["intent"]["name"] == "suggest"
    assert "联系电话" in body["text"]
    body = chat.say("不留电话")
    assert "请核对您的建议内容" in body["text"]
    body = chat.say("确认")
    assert body["work_order"]["type"] == "suggestion" and "5个工作日" in body["text"]


def test_two_copies_of_a_confirmation_make_one_order(live):
    chat = Chat(live)
    chat.say("投诉货拉拉司机乱收费，昨天下午3点在新乡东站多收了200块，希望退钱，电话13812345678")
    chat.say("匿名")
    before = orders(live).count()
    results = []

    def confirm():
        results.append(chat.say("确认"))

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert orders(live).count() == before + 1
    # the copy answered second repeats the order the first one registered: its caller may have seen only that answer
    assert len({r["work_order"]["number"] for r in results}) == 1
    assert all(r["work_order"]["number"] in r["text"] for r in results)


def test_a_typed_yes_to_the_bots_offer_does_what_its_button_does(live):
    """ "是" / "👍" / the button's title to "需要现在帮您登记投诉吗？" opens the complaint as the button would, with what was just told
    ("出租车拒载") already kept; "不用了" declines; a message with nothing in it ("？", "😭😭") is asked what it is
    about instead of being answered from the KB."""
    for yes in ("是", "👍", "是，登记投诉"):  # the button's own title, copied from the numbered lines of WeChat
        chat = Chat(live)
        body = chat.say("出租车拒载怎么投诉")
        offer = body["replies"][-1]
        assert offer["text"] == "需要现在帮您登记投诉吗？" and offer["buttons"][0]["payload"] == "/complain"
        body = chat.say(yes)
        assert "我来帮您登记投诉" in body["text"] and "已记下您刚才说的情况：出租车拒载" in body["text"], (yes, body)
        assert "投诉的对象" not in body["text"] and "什么时候" in body["text"]
    chat = Chat(live)
    chat.say("出租车拒载怎么投诉")
    body = chat.say("不用了")
    assert "不登记" in body["text"] and not body["work_order"]
    for nothing in ("？", "😭😭"):
        body = Chat(live).say(nothing)
        assert body["text"].startswith("请问您想咨询什么") and body["sources"] == [], nothing


def test_a_number_typed_alone_takes_that_button(live):
    """ "1" after the greeting asks its first suggested question; "1" after a refusal registers the consultation
    order its first button offers; "1" with nothing shown is never taken for goodbye."""
    chat = Chat(live)
    chat.say("你好")
    body = chat.say("1")
    assert body["intent"]["name"] == "choose" and "第二十三条" in body["text"]
    chat = Chat(live)
    refusal = chat.say("新能源车充电桩怎么收费")["replies"][0]
    assert refusal["buttons"][0]["payload"] == "/leave_question"
    body = chat.say("1")
    assert "已登记咨询工单" in body["text"] and "没能理解" not in body["text"]
    body = Chat(live).say("2")
    assert "感谢您联系" not in body["text"] and "请直接说出您的问题" in body["text"]


def test_traditional_how_to_complain_then_yes_and_no_to_an_answer(live):
    """ "計程車拒載怎麼投訴" is offered the complaint and "是的" opens it with the story told; "不是这个" after an
    answer refuses honestly."""
    chat = Chat(live)
    assert chat.say("計程車拒載怎麼投訴")["replies"][-1]["text"] == "需要现在帮您登记投诉吗？"
    assert "我来帮您登记投诉。已记下您刚才说的情况：计程车拒载。" in chat.say("是的")["text"]
    chat = Chat(live)
    assert chat.say("投诉以后多久能有结果？")["sources"]
    body = chat.say("不是这个")
    assert body["text"].startswith("明白了，刚才的答复不是您要找的。")
    assert [b["payload"] for b in body["replies"][0]["buttons"]] == ["/leave_question", "/handoff"]
