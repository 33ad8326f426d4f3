"""A caller corrects or adds to an order already submitted ("我刚才投诉的电话留错了"): hotline.acts sends it to the
status form (the caller's own order), which applies it through WorkOrders.amend (work_orders/callers.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.actions.forms import AskStatus, ValidateStatus
from hotline.acts import asks_to_amend, reframe
from hotline.db import Database
from hotline.errors import NotFound
from tests.test_intake import run, tracker
from work_orders import intake
from work_orders.errors import WorkOrderError
from work_orders.models import WorkOrder, WorkOrderEvent
from work_orders.service import WorkOrders

VALUES = {
    "target": "豫A12345出租车",
    "facts": "司机不打表 一口价80",
    "occurred_at": "昨天晚上",
    "location": "郑州东站",
    "demand": "退还多收的钱",
    "caller_phone": "13812345678",
    "identity": "匿名",
}


@pytest.fixture
def orders(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'wo.db'}")
    db.migrate()
    return WorkOrders(db, callback_sample_rate=0)


def _order(orders, sender="web:amend1"):
    order, _ = orders.create(intake.to_order(VALUES, "complaint", sender, "web"), actor="chat")
    return order["number"]


def _stored(orders, number):
    with orders.db.session() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        events = s.scalars(select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id)).all()
        return order.caller_phone, order.facts, [(e.action, e.note) for e in events]


@pytest.mark.parametrize(
    "text",
    [
        "对了我刚才投诉的电话留错了",
        "電話留錯了",
        "地点说错了 应该是郑州东站北广场",
        "补充一下：司机还骂人了",
        "补充一下 司机还骂人了",  # a space for the colon (it opened a new complaint form)
        "车牌写错了是豫A12346",
    ],
)
def test_a_correction_after_submitting_is_amend(text):
    """ "对了我刚才投诉的电话留错了" got the list of other hotlines, and the phone sent next a goodbye."""
    parse, _ = reframe({"intent": {"name": "refer_elsewhere", "confidence": 0.6}}, text)
    assert parse["intent"]["name"] == "ticket_status", text


@pytest.mark.parametrize("text", ["投诉需要补充材料怎么办", "我投诉的事情一直没人联系我", "司机收钱不对", "我要投诉"])
def test_other_messages_are_no_correction(text):
    assert not asks_to_amend(text), text


def test_the_caller_corrects_the_phone_in_two_turns(orders):
    number = _order(orders)
    validate = ValidateStatus(orders)
    msgs, slots = run(
        validate,
        tracker("对了我刚才投诉的电话留错了", {"last_order": {"number": number}}, "ticket_status", None, "web:amend1"),
    )
    assert slots["status_done"] is None and slots["intake"]["field"] == "联系电话"
    msgs, _ = run(AskStatus(), tracker("", slots, "ticket_status", "status_done", "web:amend1"))
    assert "正确的联系电话" in msgs[0]["text"]
    msgs, slots = run(validate, tracker("13900001111", slots, "inform", "status_done", "web:amend1"))
    assert (
        slots["status_done"] == "amended" and "139****1111" in msgs[0]["text"] and "13900001111" not in msgs[0]["text"]
    )
    phone, facts, events = _stored(orders, number)
    assert phone == "13900001111" and facts == VALUES["facts"]
    assert ("amend", "来电人更正联系电话：138****5678 → 139****1111") in events


def test_a_supplement_in_one_message_is_added_to_the_facts(orders):
    number = _order(orders, "web:amend2")  # no last_order slot: the channel user's latest order
    msgs, slots = run(
        ValidateStatus(orders), tracker("地点说错了 应该是郑州东站北广场", {}, "ticket_status", None, "web:amend2")
    )
    assert slots["status_done"] == "amended" and number in msgs[0]["text"]
    phone, facts, events = _stored(orders, number)
    assert phone == "13812345678" and facts.startswith(VALUES["facts"]) and "更正地点：郑州东站北广场" in facts
    assert events[-1][0] == "amend" and "来电人补充" in events[-1][1]


def test_no_order_of_the_caller_no_amendment(orders):
    number = _order(orders, "web:owner")
    msgs, slots = run(
        ValidateStatus(orders), tracker("电话留错了 13900001111", {}, "ticket_status", None, "web:stranger")
    )
    assert "没有找到您在这里登记的工单" in msgs[0]["text"] and slots["status_done"] == "amended"
    with pytest.raises(NotFound):  # another caller's order, even by its number
        orders.amend(number, "web:stranger", "13900001111")
    assert _stored(orders, number)[0] == "13812345678"


def test_a_closed_order_takes_no_amendment(orders):
    number = _order(orders, "web:amend3")
    with orders.db.session() as s:
        s.scalar(select(WorkOrder).where(WorkOrder.number == number)).state = "archived"
    with pytest.raises(WorkOrderError) as exc:
        orders.amend(number, "web:amend3", "补充一下 司机还骂人了")
    assert exc.value.code == "order_closed"
    msgs, slots = run(
        ValidateStatus(orders), tracker("补充一下：司机还骂人了", {}, "ticket_status", None, "web:amend3")
    )
    assert "重新反映" in msgs[0]["text"] and slots["status_done"] == "amended"


def test_cancelling_leaves_the_order_as_it_was(orders):
    number = _order(orders, "web:amend4")
    validate = ValidateStatus(orders)
    _, slots = run(validate, tracker("刚才的工单时间写错了", {}, "ticket_status", None, "web:amend4"))
    msgs, slots = run(validate, tracker("算了", slots, "deny", "status_done", "web:amend4"))
    assert "保持不变" in msgs[0]["text"] and slots["status_done"] == "amended"
    assert _stored(orders, number)[2] == [("create", _stored(orders, number)[2][0][1])]
