"""Complaint / suggestion intake: recognisers, the form's steps, and the Rasa actions run as rasa_sdk runs them."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot.actions.forms import ActionSubmitIntake, AskIntake, ValidateIntake, ValidateStatus
from bot.actions.work_orders import ActionLeaveQuestion, ActionRate, rating_from
from hotline.clock import CHINA
from hotline.db import Database
from work_orders import intake
from work_orders.models import WorkOrder
from work_orders.service import WorkOrders

FIRST = "我要投诉豫G·T1234出租车，昨天晚上8点在新乡东站拒载，还骂人，我电话13812345678，要求处理司机"


@pytest.mark.parametrize(
    "text, plate",
    [
        ("豫G·T1234出租车拒载", "豫GT1234"),
        ("豫AD12345网约车绕路", "豫AD12345"),
        ("車牌豫a12345", "豫A12345"),
        ("京Ａ１２３４５", "京A12345"),
        ("沪A12345D新能源车乱停", "沪A12345D"),
        # a semi-trailer's plate (4 characters and 挂), in Traditional too; a cross-border and a driving school's
        ("车牌豫A1234挂 在服务区被偷油", "豫A1234挂"),
        ("掛車車牌豫B 5678 掛", "豫B5678挂"),
        ("粤Z1234港的车", "粤Z1234港"),
        ("鲁A1234学教练车", "鲁A1234学"),
        ("豫A123挂", None),
        ("没有车牌", None),
    ],
)
def test_plates(text, plate):
    assert intake.find_plate(text) == plate


def test_a_trailers_plate_for_the_demand_is_the_plate_not_the_demand():
    """ "豫A1234挂" (a semi-trailer, the plate a tractor-trailer's driver knows) was no plate: told for the demand it
    became the demand, and in the first message part of the place."""
    values = {"target": "货车", "facts": "在服务区被偷油", "occurred_at": "昨晚", "location": "新乡服务区"}
    step = intake.answer(values, "demand", "车牌豫A1234挂", {})
    assert step.values["target"] == "货车（豫A1234挂）" and "demand" not in step.values and step.ask == "demand"
    assert "豫A1234挂" not in (intake.prefill("我的车豫A1234挂在新乡服务区被偷油", {}).get("location") or "")


def test_first_message_is_not_asked_again():
    values = intake.prefill(FIRST)
    assert values["target"] == "豫GT1234出租车" and values["caller_phone"] == "13812345678"
    assert values["occurred_at"] == "昨天晚上8点" and values["location"] == "新乡东站"
    assert values["demand"] == "要求处理司机" and values["facts"] == FIRST
    step = intake.answer({}, None, FIRST)
    assert step.ask == "identity"  # the only thing the message did not say


def test_short_opening_asks_everything_with_friendly_reasks():
    step = intake.answer({}, None, "我要投诉")
    assert step.ask == "target"
    for answer, expected_next in [
        ("12路公交", "facts"),
        ("司机开车玩手机", "occurred_at"),
        ("不清楚", "location"),
        ("人民路公交站", "demand"),
        ("希望加强管理", "caller_phone"),
    ]:
        step = intake.answer(step.values, step.ask, answer, step.tries)
        assert step.ask == expected_next, answer
    step = intake.answer(step.values, "caller_phone", "1381234", step.tries)
    assert step.ask == "caller_phone" and "11位" in step.say[0]
    step = intake.answer(step.values, "caller_phone", "13812345678", step.tries)
    step = intake.answer(step.values, "identity", "实名 王五", step.tries)
    assert step.ask == "confirm"
    summary = intake.summary(step.values)
    assert "发生时间：未说明" in summary and "反映方式：实名（王五）" in summary and "联系电话：13812345678" in summary


def test_a_phone_that_never_validates_does_not_trap_the_user():
    step = intake.answer(
        {"target": "x", "facts": "司机骂人了", "occurred_at": "昨天", "location": "站", "demand": "处理"},
        "caller_phone",
        "abc",
    )
    for _ in range(2):
        step = intake.answer(step.values, "caller_phone", "12", step.tries)
    assert step.ask == "identity" and step.values["caller_phone"] == intake.NO_PHONE
    assert "跳过" in step.say[-1]


def test_corrections_at_the_read_back():
    values = intake.prefill(FIRST) | {"identity": "匿名"}
    step = intake.answer(values, "confirm", "电话改成13912345678")
    assert step.ask == "confirm" and step.values["caller_phone"] == "13912345678"
    step = intake.answer(step.values, "confirm", "修改地点")
    assert step.ask == "location" and step.values["location"] is None
    step = intake.answer(step.values, "location", "新乡东站出租车候客区")
    assert step.ask == "confirm" and step.values["location"] == "新乡东站出租车候客区"
    assert intake.answer(step.values, "confirm", "确认").done
    assert intake.answer(step.values, "confirm", "取消").cancelled
    assert intake.answer(step.values, "facts", "算了不投诉了").cancelled


def test_matters_for_other_procedures_are_not_accepted_politely():
    step = intake.answer({}, None, "我要投诉运输公司拖欠运费，已经在法院起诉了")
    assert step.rejected == "other_procedure" and "第十九条" in step.say[0]
    assert intake.answer({}, None, "这事我已经去信访局上访了还没解决").rejected == "petition"


def test_order_fields_safety_and_domain():
    order = intake.to_order(
        intake.prefill("举报豫A12345货车严重超载，在京港澳高速郑州收费站") | {"identity": "匿名"},
        "complaint",
        "wechat:o1",
        "wechat",
        "河南省郑州市",
    )
    assert order["safety"] and order["domain"] == "道路运输" and order["anonymous"]
    assert order["caller_user"] == "wechat:o1" and order["region"] == "河南省郑州市"


def test_turned_back_and_one_size_fits_all_reports_are_urgent_orders():
    order = intake.to_order(
        intake.prefill("投诉卫辉检查站 我在卫辉检查站被劝返了 急") | {"identity": "匿名"}, "complaint", "web:x", "web"
    )
    assert order["urgent"] and not order["safety"]
    assert intake.to_order(intake.prefill("举报豫A12345货车严重超载"), "complaint", "web:x", "web")["urgent"]
    calm = intake.to_order(intake.prefill("出租车司机态度不好，绕路多收钱"), "complaint", "web:x", "web")
    assert not calm["urgent"]
    suggestion = intake.to_order({"facts": "建议取消层层加码"}, "suggestion", "web:x", "web")
    assert not suggestion["urgent"]


# ---- the Rasa actions -------------------------------------------------------------------------------------


def tracker(text, slots=None, intent="complain", requested=None, sender="web:s1", entities=None):
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {"requested_slot": requested, **(slots or {})},
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 0.95},
                "entities": entities or [],
                "metadata": {},
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "complaint_form"} if requested else {},
            "latest_action_name": "action_listen",
        }
    )


def run(action, trk):
    dispatcher = CollectingDispatcher()
    events = (
        asyncio.run(action.run(dispatcher, trk, {}))
        if asyncio.iscoroutinefunction(action.run)
        else action.run(dispatcher, trk, {})
    )
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def orders(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'wo.db'}")
    db.migrate()
    return WorkOrders(db, callback_sample_rate=0)


def test_complaint_conversation_creates_one_order(orders):
    validate, ask, submit = (
        ValidateIntake("complaint", timedelta(hours=72)),
        AskIntake("complaint"),
        ActionSubmitIntake(orders),
    )
    msgs, slots = run(validate, tracker(FIRST))
    assert slots["complaint_done"] is None and slots["intake"]["ask"] == "identity"
    msgs, _ = run(ask, tracker("", slots, requested="complaint_done"))
    assert "实名" in msgs[0]["text"] and msgs[0]["buttons"][0]["title"] == "匿名"
    # a request for a human in the middle: left to the rules (no events = the form is rejected this turn)
    assert run(validate, tracker("转人工", slots, "handoff", "complaint_done"))[1] == {}
    msgs, slots = run(validate, tracker("匿名", slots, "deny", "complaint_done"))
    assert slots["intake"]["ask"] == "confirm"
    msgs, _ = run(ask, tracker("", slots, requested="complaint_done"))
    assert "请核对您的投诉内容" in msgs[0]["text"] and "豫GT1234出租车" in msgs[0]["text"]
    msgs, slots = run(validate, tracker("确认", slots, "affirm", "complaint_done"))
    assert slots["complaint_done"] == "confirmed"
    msgs, after = run(submit, tracker("确认", slots, "affirm"))
    number = after["last_order"]["number"]
    assert f"编号 {number}" in msgs[0]["text"] and "10个工作日" in msgs[0]["text"]
    meta = msgs[1]["custom"]["hotline_meta"]["work_order"]
    assert meta["number"] == number and meta["type"] == "complaint"
    assert after["intake"] is None
    # the same confirmation delivered twice (a retry) does not make a second order
    run(submit, tracker("确认", slots, "affirm"))
    assert orders.count() == 1
    order = orders.get(
        number, type("V", (), {"roles": ("operator",), "username": "t", "unit_id": None, "region": ""})()
    )
    assert order["caller_phone"] == "13812345678" and order["anonymous"] and order["channel"] == "web"


class OnDay:
    """The work-order service with its clock set to one moment (the actions use the service's clock)."""

    def __init__(self, orders, now):
        self.orders, self.now = orders, now

    def create(self, data, **kw):
        return self.orders.create(data, now=self.now, **kw)

    def __getattr__(self, name):
        return getattr(self.orders, name)


BEFORE_NATIONAL_DAY = datetime(2026, 9, 30, 15, 0, tzinfo=CHINA)


def test_registered_complaint_quotes_the_latest_answer_date(orders):
    state = {
        "kind": "complaint",
        "id": "d1",
        "outcome": "confirmed",
        "values": intake.prefill(FIRST) | {"identity": "匿名"},
    }
    msgs, after = run(
        ActionSubmitIntake(OnDay(orders, BEFORE_NATIONAL_DAY)),
        tracker("确认", {"intake": state, "complaint_done": "confirmed"}, "affirm"),
    )
    text = msgs[0]["text"]
    assert "24小时内（节假日顺延）" in text and "10个工作日内回复办理意见（管理办法第二十三条）" in text
    # dispatch due 8 October 15:00, then 10 working days (10 October is worked in lieu): 21 October
    assert "最迟将于10月21日（周三）前答复您" in text
    meta = msgs[1]["custom"]["hotline_meta"]["work_order"]
    assert meta == {
        "number": after["last_order"]["number"],
        "type": "complaint",
        "state": "received",
        "deadline": "2026-10-21T23:59:59+08:00",
        "deadline_text": "10月21日（周三）前答复（转办后10个工作日内，管理办法第二十三条）",
    }


def test_consultation_order_quotes_the_latest_answer_date(orders):
    msgs, slots = run(
        ActionLeaveQuestion(OnDay(orders, BEFORE_NATIONAL_DAY)),
        tracker("/leave_question", {"last_question": "货车通行证怎么办理"}, "leave_question"),
    )
    number = slots["last_order"]["number"]
    assert msgs[0]["text"] == (
        f"已登记咨询工单，编号 {number}，相关单位将在3个工作日内答复（管理办法第二十三条），"
        f"最迟将于10月12日（周一）前答复您。查询进度请发送“查询工单 {number}”。如需工作人员电话答复，请直接发送您的手机号。"
    )
    meta = msgs[1]["custom"]["hotline_meta"]["work_order"]
    assert meta["type"] == "consultation" and meta["deadline"] == "2026-10-12T23:59:59+08:00"
    assert meta["deadline_text"].startswith("10月12日（周一）前答复（转办后3个工作日内")


def _after_refusal(text: str, slots: dict, sender: str = "web:phone1"):
    """The user's ``text`` just after the bot's refusal (its buttons offer to register the question)."""
    trk = tracker(text, slots, "leave_question", sender=sender)
    trk.events = [
        {"event": "user", "text": "货车通行证怎么办理"},
        {
            "event": "bot",
            "text": "抱歉，知识库里暂时没有与您的问题相符的内容……",
            "data": {"buttons": [{"title": "登记咨询工单", "payload": "/leave_question"}]},
        },
        {"event": "user", "text": text},
    ]
    return trk


def _stored(orders, number: str) -> WorkOrder:
    with orders.db.session() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        s.expunge(order)
        return order


def test_a_phone_sent_after_the_refusal_registers_the_question_with_it(orders):
    """A driver answers the refusal with his number: it got the goodbye ("感谢您联系12328…") and nothing was kept."""
    msgs, slots = run(
        ActionLeaveQuestion(orders), _after_refusal("我的电话是138 1234 5678", {"last_question": "货车通行证怎么办理"})
    )
    number = slots["last_order"]["number"]
    order = _stored(orders, number)
    assert order.order_type == "consultation" and order.facts == "货车通行证怎么办理"
    assert order.caller_phone == "13812345678"
    assert f"编号 {number}" in msgs[0]["text"] and "发送您的手机号" not in msgs[0]["text"]


def test_declining_after_the_refusal_registers_nothing(orders):
    """ "不用登记 我就是问一下" reached the registration (NLU: leave_question, for 登记) and a consultation order was made."""
    msgs, slots = run(
        ActionLeaveQuestion(orders), _after_refusal("不用登记 我就是问一下", {"last_question": "客运站退票怎么收费"})
    )
    assert not slots and msgs[0]["text"].startswith("好的，不登记工单")
    with orders.db.session() as s:
        assert s.scalar(select(WorkOrder).where(WorkOrder.facts == "客运站退票怎么收费")) is None


def test_a_phone_sent_after_an_order_becomes_its_contact_phone(orders):
    _, first = run(
        ActionLeaveQuestion(orders), _after_refusal("/leave_question", {"last_question": "货车通行证怎么办理"})
    )
    number = first["last_order"]["number"]
    msgs, slots = run(
        ActionLeaveQuestion(orders),
        tracker("13900001111", {"last_order": {"number": number}}, "leave_question", sender="web:phone1"),
    )
    assert _stored(orders, number).caller_phone == "13900001111"
    assert msgs[0]["text"] == f"已把联系电话 139****1111 记入工单 {number}，承办单位会按这个号码联系您。"
    assert "last_order" not in slots  # no second order


def test_a_phone_with_nothing_before_asks_what_it_is_for(orders):
    msgs, slots = run(ActionLeaveQuestion(orders), tracker("13900001111", {}, "leave_question", sender="web:phone2"))
    assert "请问您想咨询什么问题" in msgs[0]["text"] and not slots
    # and a question answered since the refusal is not registered because of a later phone
    trk = tracker("13900001111", {"last_question": "货车通行证怎么办理"}, "leave_question", sender="web:phone2")
    msgs, slots = run(ActionLeaveQuestion(orders), trk)
    assert "请问您想咨询什么问题" in msgs[0]["text"] and not slots


def test_draft_is_restored_when_the_user_comes_back(orders):
    validate = ValidateIntake("complaint", timedelta(hours=72))
    _, slots = run(validate, tracker("我要投诉12路公交甩站"))
    msgs, again = run(validate, tracker("我要投诉", {"intake": slots["intake"]}))
    assert "恢复" in msgs[0]["text"] and again["intake"]["values"]["target"] == "12路公交"
    expired = dict(slots["intake"], updated_at="2020-01-01T00:00:00+00:00")
    msgs, fresh = run(validate, tracker("我要投诉", {"intake": expired}))
    assert "恢复" not in msgs[0]["text"] and fresh["intake"]["values"] == {}


def test_a_pending_orders_status_gives_the_deadline_and_what_happens_next(orders):
    from datetime import datetime

    from work_orders.messages import moment_text

    order, _ = orders.create(
        {"order_type": "complaint", "channel": "web", "facts": "出租车拒载", "caller_user": "web:w1status"}
    )
    msgs, slots = run(
        ValidateStatus(orders), tracker(f"查询工单{order['number']}", intent="ticket_status", sender="web:w1status")
    )
    text = msgs[0]["text"]
    assert slots["status_done"] == "shown" and "已受理" in text
    due = moment_text(datetime.fromisoformat(order["dispatch_due"]))
    assert f"将于{due}前转交承办单位" in text and "承办单位接到后10个工作日内答复您" in text


def test_status_by_number_and_last4_then_rating(orders):
    order, _ = orders.create(
        {"order_type": "complaint", "channel": "phone", "facts": "出租车拒载", "caller_phone": "13812345678"}
    )
    number = order["number"]
    status = ValidateStatus(orders)
    msgs, slots = run(status, tracker(f"查询工单{number}", intent="ticket_status"))
    assert slots["intake"]["ask"] == "last4"
    msgs, slots = run(
        status,
        tracker(
            "5678",
            slots,
            "inform",
            "status_done",
        ),
    )
    assert slots["status_done"] == "shown" and "已受理" in msgs[0]["text"]
    assert slots["last_order"] == {"number": number, "last4": "5678"}
    rate = ActionRate(orders)
    msgs, _ = run(rate, tracker("满意", slots, "rate"))
    assert "办结回复后" in msgs[0]["text"]  # not replied yet
    assert rating_from("处理得不满意", None) == "dissatisfied" and rating_from("/rate", "satisfied") == "satisfied"


def test_no_last_four_digits_to_give_ends_the_look_up_with_where_else_to_look(orders):
    """An order looked up from another chat asks for the phone's last four digits: "不知道" and "没留电话" were met with
    the same question again, without end."""
    order, _ = orders.create({"order_type": "complaint", "channel": "web", "facts": "黑车拉客", "caller_user": "web:a"})
    status = ValidateStatus(orders)
    _, slots = run(status, tracker(f"查询工单{order['number']}", intent="ticket_status", sender="web:b"))
    assert slots["intake"]["ask"] == "last4"
    for said in ("不知道", "没留电话", "我是匿名的"):
        msgs, done = run(status, tracker(said, slots, "inform", "status_done", sender="web:b"))
        assert done["status_done"] == "gave_up" and "12328电话" in msgs[0]["text"], said
        assert order["number"] not in msgs[0]["text"] and "黑车" not in msgs[0]["text"]
    msgs, again = run(status, tracker("好的", slots, "inform", "status_done", sender="web:b"))
    assert again["intake"]["ask"] == "last4" and msgs[0]["text"] == "没有识别出4位数字。"
    for _ in range(2):
        msgs, again = run(status, tracker("嗯", again, "inform", "status_done", sender="web:b"))
    assert again["status_done"] == "gave_up"  # never asked a fourth time


def test_a_lost_number_in_the_first_message_is_told_where_it_is(orders):
    """ "我忘了工单号了" opened the look-up with "请发送要查询的工单编号", the very thing the caller said they lack; a
    caller with orders in this chat has them listed instead."""
    status = ValidateStatus(orders)
    msgs, slots = run(status, tracker("我忘了工单号了", intent="ticket_status", sender="web:lost"))
    assert slots["status_done"] == "gave_up" and "登记成功时的回复里" in msgs[0]["text"]
    order, _ = orders.create(
        {"order_type": "complaint", "channel": "web", "facts": "黑车拉客", "caller_user": "web:lost"}
    )
    msgs, slots = run(status, tracker("我忘了工单号了", intent="ticket_status", sender="web:lost"))
    assert slots["status_done"] == "shown" and order["number"] in msgs[0]["text"]


# ---- issue 15 item 3: forms that keep clean data ------------------------------------------------------------------
NOW = datetime(2026, 11, 30, 16, 5, tzinfo=CHINA)  # a Monday


@pytest.mark.parametrize(
    "text, phone",
    [
        ("一五八三七三零五六七八", "15837305678"),
        ("158，3730，5678。", "15837305678"),
        ("幺三八一二三四零零零七", "13812340007"),
        ("１５８ ３７３０ ５６７８", "15837305678"),
        ("一三八〇〇一二两两三三", "13800122233"),
        ("昨天8点，13812345678", "13812345678"),
        ("1381234", None),
    ],
)
def test_phones_as_drivers_say_them(text, phone):
    assert intake.find_phone(text) == phone


def test_spoken_phone_is_accepted_by_the_form_and_plates_read_digit_by_digit():
    step = intake.answer({"target": "x"}, "caller_phone", "一五八三七三零五六七八")
    assert step.values["caller_phone"] == "15837305678" and not step.say
    assert intake.find_plate("投诉豫Ｇ８８Ｋ７６的出租车") == "豫G88K76"
    assert intake.find_plate("豫G幺二三四五") == "豫G12345"
    assert intake.find_phone("两点") is None and intake.find_plate("一下") is None


@pytest.mark.parametrize("text", ["我不是要投诉 我就问问", "算了", "算了算了 不弄了", "不投诉了", "不用了"])
def test_exits_end_the_form_without_an_order(text):
    step = intake.answer({"target": "收费站"}, "occurred_at", text)
    assert step.cancelled and step.reply and "时间" not in "".join(step.say)


@pytest.mark.parametrize("fields", [intake.COMPLAINT_FIELDS, intake.SUGGESTION_FIELDS])
def test_no_need_to_the_phone_question_is_no_phone(fields):
    """ "不用了" to "请留下联系电话" cancelled a whole suggestion: there it is no phone ("算了" still cancels)."""
    step = intake.answer({"facts": "郑州东站出租车候客区增加引导员"}, "caller_phone", "不用了", {}, fields=fields)
    assert not step.cancelled and step.values["caller_phone"] == intake.NO_PHONE
    assert intake.answer({"facts": "x" * 6}, "caller_phone", "算了", {}, fields=fields).cancelled


def test_just_asking_gets_an_invitation_to_ask():
    assert "直接问我" in intake.exit_reply("我不是要投诉 我就问问")
    assert intake.exit_reply("他算了我两百块") is None


def test_own_plate_is_not_the_target():
    text = "我的车是豫G88K76，昨天在卫辉收费站被收费员骂了，要求道歉"
    values = intake.prefill(text)
    assert values["own_vehicle"] == "豫G88K76" and "豫G88K76" not in values["target"]
    assert intake.find_target("我开的车是豫G88K76 被豫A12345货车撞了") == "豫A12345货车"
    step = intake.answer({}, "target", "我开的车是豫G88K76")
    assert step.ask == "target" and "自己的车" in step.say[0]
    order = intake.to_order({"facts": "收费员骂人", "own_vehicle": "豫G88K76"}, "complaint", "web:u", "web")
    assert "豫G88K76" in order["facts"] and "豫G88K76" not in order["target"]


def test_remembered_location_is_offered_not_filled():
    meta = {"location_label": "河南省新乡市红旗区新乡东站"}
    first = "还要投诉一个 豫A88888大货车 今天上午超载 要求查处 电话13812340009 匿名"
    assert "location" not in intake.prefill(first, meta)
    step = intake.answer({}, None, first, metadata=meta, now=NOW)
    assert step.ask == "location" and "location" not in step.values
    assert "是在河南省新乡市红旗区新乡东站吗" in intake.location_question(step.values)
    no = intake.answer(step.values, "location", "不是那儿 是在郑州圃田", metadata=meta, now=NOW)
    assert no.values["location"] == "郑州圃田"
    yes = intake.answer(step.values, "location", "是", metadata=meta, now=NOW)
    assert yes.values["location"] == "河南省新乡市红旗区新乡东站"


@pytest.mark.parametrize("field", ["target", "facts", "occurred_at", "location", "demand", "caller_phone", "identity"])
def test_a_question_is_not_stored_as_an_answer(field):
    """Whatever NLU made of it, a question mid-form is handed back to be answered, and the same field asked again."""
    values = {"target": "收费站"} if field != "target" else {}
    step = intake.answer(values, field, "網約車司機繞路一般怎麼處罰")
    assert step.question == "網約車司機繞路一般怎麼處罰" and step.ask == field
    assert step.values == values and not step.cancelled and not step.rejected


@pytest.mark.parametrize(
    "words, resolved",
    [
        ("今天下午两点", "2026-11-30 14:00"),
        ("昨天晚上八点", "2026-11-29 20:00"),
        ("昨天晚上8点", "2026-11-29 20:00"),
        ("上周五", "2026-11-27"),
        ("前天", "2026-11-28"),
        ("下午3点半", "2026-11-30 15:30"),
        ("11月3号", "2026-11-03"),
        ("今天中午十二点", "2026-11-30 12:00"),
        # a night's small hours, said with its evening, are past midnight (it said 14:00)
        ("昨天夜里两点", "2026-11-30 02:00"),
        ("前天晚上12点", "2026-11-29 00:00"),
        ("昨天晚上十一点", "2026-11-29 23:00"),
        ("昨天晚上5点", "2026-11-29 17:00"),
    ],
)
def test_times_are_resolved_to_china_time(words, resolved):
    from work_orders import when

    assert when.resolve(when.find(words), NOW.replace(tzinfo=None)) == resolved


def test_a_nights_small_hours_said_just_after_midnight_are_not_tonights():
    """ "昨晚两点" sent at 00:30 resolved to 02:00 of the day that had just begun, an hour and a half ahead: the small
    hours said with a night's evening are past midnight only where that is not still to come."""
    from work_orders import when

    just_after_midnight = datetime(2026, 12, 3, 0, 30)
    assert when.resolve("昨晚两点", just_after_midnight) == "2026-12-02 02:00"
    assert when.resolve("昨天夜里一点", just_after_midnight) == "2026-12-02 01:00"
    assert when.resolve("前天晚上12点", just_after_midnight) == "2026-12-02 00:00"  # (past: the shift stands)
    assert when.resolve("昨晚两点", datetime(2026, 12, 3, 9, 0)) == "2026-12-03 02:00"  # said in the morning


def test_a_clock_time_said_without_a_day_is_never_still_to_come():
    """ "十点左右" sent at three in the morning resolved to ten o'clock of the day just begun, seven hours ahead."""
    from work_orders import when

    assert when.resolve("十点左右", datetime(2026, 12, 3, 3, 0)) == "2026-12-02 10:00"
    assert when.resolve("晚上八点", datetime(2026, 12, 3, 15, 0)) == "2026-12-02 20:00"
    assert when.resolve("十点", datetime(2026, 12, 3, 15, 0)) == "2026-12-03 10:00"  # (past today: today's)


@pytest.mark.parametrize("said", ["上午", "晚上", "半夜", "中午", "十点左右", "大概晚上八点", "就是下午", "两点多"])
def test_a_part_of_the_day_or_a_clock_time_alone_is_a_time(said):
    """After "需要现在帮您登记投诉吗？" a driver answered "晚上" or "十点左右": no time (find_time wants a day before
    them), so the KB searched for it (第十六条's 7×24 hours for "半夜") and the matter was lost."""
    assert intake.only_a_time(said)


@pytest.mark.parametrize("said", ["早上好", "下午好", "多收了一点", "晚上 好", "晚上司机绕路"])
def test_a_greeting_or_a_story_with_a_part_of_the_day_is_not_a_time_alone(said):
    assert intake.only_a_time(said) is None


def test_a_part_of_the_day_after_the_day_makes_it_finer():
    """ "昨天" for when, then "晚上" for where: the time is 昨天晚上 (it was "时间已记为“昨天”；如需改为“晚上”…")."""
    values = {"target": "出租车", "facts": "出租车绕路多收钱", "occurred_at": "昨天"}
    step = intake.answer(values, "location", "晚上", now=NOW)
    assert step.values["occurred_at"] == "昨天晚上" and step.ask == "location" and "location" not in step.values


def test_time_and_place_split_and_the_words_kept():
    step = intake.answer({"target": "x", "facts": "绕路"}, "occurred_at", "今天下午两点在郑州火车站", now=NOW)
    assert step.values["occurred_at"] == "今天下午两点"
    assert intake.find_place("今天下午两点在郑州火车站") == "郑州火车站"
    order = intake.to_order(step.values, "complaint", "web:u", "web")
    assert order["occurred_at"] == "2026-11-30 14:00（今天下午两点）"
    assert "今天下午两点（2026-11-30 14:00）" in intake.summary(step.values)


def test_correction_drops_what_it_is_not_and_colloquial_questions_are_questions():
    values = intake.prefill("投诉豫G·T1234出租车，昨天晚上8点在新乡东站拒载，要求处理司机，电话13812345678，匿名")
    step = intake.answer(values, "confirm", "地点不对 应该是新乡站 不是新乡东站", now=NOW)
    assert step.values["location"] == "新乡站"
    assert intake.is_question("大货车过路费咋算的")


def test_a_phone_sent_when_something_else_was_asked_fills_the_phone_not_that_field():
    step = intake.answer({}, None, "高速收费站多收我过路费了 咋办")
    assert step.ask == "occurred_at"
    step = intake.answer(step.values, step.ask, "一五八三七三零五六七八", step.tries)
    assert step.values["caller_phone"] == "15837305678" and not step.values.get("occurred_at")
    assert step.ask == "occurred_at" and "已记下联系电话 15837305678" in " ".join(step.say)
    step = intake.answer(step.values, step.ask, "今天下午两点", step.tries)
    assert step.values["occurred_at"] == "今天下午两点"


def test_a_place_is_no_time_and_the_time_question_does_not_trap():
    step = intake.answer({}, None, "高速收费站多收我过路费了 咋办")
    for _ in range(intake.MAX_TRIES - 1):
        step = intake.answer(step.values, "occurred_at", "新乡东站", step.tries)
        assert step.ask == "occurred_at" and not step.values.get("occurred_at")
    step = intake.answer(step.values, "occurred_at", "新乡东站", step.tries)
    assert step.values["occurred_at"] == intake.NOT_GIVEN and step.ask != "occurred_at"
    assert intake.answer({}, "occurred_at", "大概上个月底", {}).values["occurred_at"] == "大概上个月底"


def test_a_place_or_more_story_sent_for_when_is_kept_and_the_time_asked_again():
    """Drivers answer the question in front of them with what they have: a place for "when" is the place, a money
    sum is more of the story ("多收了30块" was stored as the time), and a time plus a story keeps both."""
    step = intake.answer({}, None, "高速收费站乱收费")
    assert step.ask == "occurred_at" and "location" not in step.values  # which toll station is still to be asked
    step = intake.answer(step.values, step.ask, "郑州绕城高速收费站", step.tries)
    assert step.values["location"] == "郑州绕城高速收费站" and step.ask == "occurred_at"
    assert step.values["target"] == "郑州绕城高速收费站"  # and it names the station complained about
    step = intake.answer(step.values, step.ask, "多收了30块", step.tries)
    assert not step.values.get("occurred_at") and step.values["facts"] == "高速收费站乱收费；多收了30块"
    assert step.ask == "occurred_at" and "已补充到事情经过。" in step.say
    step = intake.answer(step.values, step.ask, "2026-11-29", step.tries)
    assert step.values["occurred_at"] == "2026-11-29" and step.ask == "demand"
    step = intake.answer(step.values, step.ask, "今天上午", step.tries)  # a time for the demand is no demand
    assert not step.values.get("demand") and step.ask == "demand"
    step = intake.answer(step.values, step.ask, "没有", step.tries)  # no particular demand
    assert step.values["demand"] == intake.NOT_GIVEN

    step = intake.answer({"target": "出租车", "facts": "绕路"}, "occurred_at", "昨天晚上从火车站到机场多收了50", {})
    assert step.values["occurred_at"] == "昨天晚上" and step.values["facts"] == "绕路；昨天晚上从火车站到机场多收了50"


def test_a_plate_sent_for_what_happened_names_the_vehicle():
    step = intake.answer({}, None, "我要投诉出租车")
    assert step.ask == "facts"
    step = intake.answer(step.values, step.ask, "豫A12345", step.tries)
    assert step.values["target"] == "出租车（豫A12345）" and not step.values.get("facts") and step.ask == "facts"
    assert "已记下车牌：豫A12345。" in step.say


@pytest.mark.parametrize("field", ["target", "facts", "location", "demand", "identity"])
@pytest.mark.parametrize("text", ["好", "好啊", "是的", "嗯"])
def test_a_yes_is_no_answer_to_who_what_or_where(field, text):
    """ "好" to "在什么地方？" was stored as the place, "没有" to the identity question as the name 没有."""
    values = {"target": "出租车", "facts": "司机绕路多收钱", "occurred_at": "昨天", "caller_phone": "13812345678"}
    values.pop(field, None)
    step = intake.answer(values, field, text, {})
    assert not step.values.get(field) and step.ask == field, step.values
    assert not intake.answer({**values, "location": "郑州东站"}, "identity", "没有", {}).values.get("identity")


def test_the_misconduct_of_whom_is_named_is_what_happened():
    """ "出租车拒载" tells what happened as drivers tell it; "不清楚" three times to the story never traps the user."""
    for text in ("出租车拒载", "网约车绕路了", "計程車拒載"):
        step = intake.answer({}, None, text)
        assert step.values["facts"] == text and step.ask == "occurred_at", text
    for text in ("出租车拒载吗", "我要投诉出租车", "拒载"):
        assert not intake.answer({}, None, text).values.get("facts"), text
    step = intake.answer({}, None, "我要投诉出租车")
    for _ in range(intake.MAX_TRIES):
        step = intake.answer(step.values, "facts", "不清楚", step.tries)
    assert step.values["facts"] == intake.NOT_GIVEN and step.ask == "occurred_at"


def test_a_status_look_up_mid_form_is_no_answer_and_the_form_goes_on():
    values = {"target": "出租车", "facts": "出租车拒载"}
    for text in ("查询工单 20261201-00001", "20261201-00001", "20261201-00001进度怎么样了"):
        step = intake.answer(values, "occurred_at", text, {})
        assert step.values == values and step.ask == "occurred_at", text
        assert "发送“查询工单 20261201-00001”即可查询办理进度" in step.say[0], text
    # a lost number said mid-form ("我忘了工单号了" was stored as the place): the look-up after, the question again
    for asked in ("occurred_at", "location"):
        step = intake.answer(values, asked, "我忘了工单号了", {})
        assert step.values == values and step.ask == asked and "发送“查询工单”即可列出" in step.say[0], asked
    step = intake.answer(values, "occurred_at", "我还要投诉另一个司机骂人", {})  # more of the story, not a time
    assert step.values["facts"] == "出租车拒载；我还要投诉另一个司机骂人" and step.ask == "occurred_at"


def test_answers_to_questions_not_yet_asked_fill_their_field():
    """A driver who knows the form says "匿名", "不留电话" or "希望整改" whenever: each fills its own field (they were
    stored as the place or the demand, and "希望整改" cleared the demand as a correction of it)."""
    step = intake.answer({}, None, "厕所太脏了也没人打扫")
    assert step.ask == "target"
    step = intake.answer(step.values, step.ask, "京港澳高速新乡服务区", step.tries)
    assert step.values["location"] == "京港澳高速新乡服务区" and step.ask == "occurred_at"  # who, and where
    step = intake.answer(step.values, "occurred_at", "希望整改", {})
    assert (
        step.values["demand"] == "希望整改" and step.ask == "occurred_at" and "已记下您的诉求：希望整改。" in step.say
    )
    step = intake.answer(step.values, "occurred_at", "不留电话", step.tries)
    assert step.values["caller_phone"] == intake.NO_PHONE and step.ask == "occurred_at"
    step = intake.answer(step.values, "occurred_at", "我要匿名", step.tries)
    assert step.values["identity"] == "匿名" and step.ask == "occurred_at" and "好的，匿名反映。" in step.say
    step = intake.answer(step.values, "occurred_at", "今天凌晨两点", step.tries)
    assert step.ask == "confirm"


def test_no_phone_said_in_other_words():
    assert intake.answer({"facts": "x" * 8}, "caller_phone", "没有", {}).values["caller_phone"] == intake.NO_PHONE
    # "不用回复" asks for no call back: no phone, whenever it is said (it was stored as the place)
    step = intake.answer({"target": "公交车", "facts": "司机开车玩手机"}, "location", "不用回复", {})
    assert step.values["caller_phone"] == intake.NO_PHONE and "location" not in step.values and step.ask == "location"
    assert intake.answer({"facts": "x" * 8}, "caller_phone", "不需要回访", {}).values["caller_phone"] == intake.NO_PHONE
    fields = intake.SUGGESTION_FIELDS
    step = intake.answer({"facts": "公交站台加遮阳棚"}, "caller_phone", "匿名", {}, fields=fields)
    assert step.values["caller_phone"] == intake.NO_PHONE and step.ask == "confirm"
    step = intake.answer({}, "facts", "好", {}, fields=fields)
    assert step.say == [intake.SUGGESTION_REASK] and step.ask == "facts"  # a suggestion is asked for, not a story


# ---- issue 15 items 3 and 4: corrections of every field, own plate, mid-form questions, refusals, exits ---------
READY = "投诉豫G·T1234出租车，昨天晚上8点在新乡东站拒载，要求处理司机，电话13812345678，匿名"


def read_back():
    step = intake.answer({}, None, READY, now=NOW)
    assert step.ask == "confirm"
    return step.values


@pytest.mark.parametrize(
    "said, field, value",
    [
        ("地点说错了，是新乡站", "location", "新乡站"),
        ("不是新乡东站，是新乡站", "location", "新乡站"),
        ("改成郑州火车站", "location", "郑州火车站"),
        ("时间不对 应该是前天晚上八点", "occurred_at", "前天晚上八点"),
        ("刚才那个时间说错了，是上周五下午", "occurred_at", "上周五下午"),
        ("改成前天下午", "occurred_at", "前天下午"),
        ("电话改成13912345678", "caller_phone", "13912345678"),
        ("手机号写错了 应该是一三九一二三四五六七八", "caller_phone", "13912345678"),
        ("电话不是13812345678 是13912345678", "caller_phone", "13912345678"),
        ("投诉对象应该是顺达物流", "target", "顺达物流"),
        ("车牌说错了 是豫A66686", "target", "豫A66686出租车"),  # still the taxi
        ("诉求改成要求公司处理这个司机", "demand", "要求公司处理这个司机"),
        ("事情经过改成司机拒载还骂人", "facts", "司机拒载还骂人"),
        ("我还是实名吧 我叫李红", "identity", "实名:李红"),
        ("名字写错了 是李宏", "identity", "实名:李宏"),
    ],
)
def test_every_field_is_corrected_at_the_read_back(said, field, value):
    values = read_back() | ({"identity": "实名:李红"} if "名字" in said else {})
    step = intake.answer(values, "confirm", said, now=NOW)
    assert step.values[field] == value and step.ask == "confirm", step
    assert step.say and value.split(":")[-1][:3] in step.say[0]
    others = {k: v for k, v in values.items() if k not in (field, "occurred_time")}
    assert {k: step.values[k] for k in others} == others  # nothing else changed
    assert not step.done and not step.cancelled


def test_anonymous_and_a_time_correction_resolve_again():
    values = read_back() | {"identity": "实名:张三"}
    assert intake.answer(values, "confirm", "改成匿名").values["identity"] == "匿名"
    step = intake.answer(values, "confirm", "时间改成昨天晚上十点", now=NOW)
    assert step.values["occurred_time"] == {"words": "昨天晚上十点", "at": "2026-11-29 22:00"}


def test_suggestion_corrections():
    values = {"facts": "希望12路公交晚上多开几班", "caller_phone": "13598765432"}
    step = intake.answer(values, "confirm", "电话改成13598765400", fields=intake.SUGGESTION_FIELDS)
    assert step.values["caller_phone"] == "13598765400" and step.ask == "confirm"
    step = intake.answer(values, "confirm", "内容改成希望18路也加开夜班车", fields=intake.SUGGESTION_FIELDS)
    assert step.values["facts"] == "希望18路也加开夜班车"
    assert intake.answer(values, "confirm", "好的 确认", fields=intake.SUGGESTION_FIELDS).done


def test_a_correction_without_the_new_value_asks_for_it_and_a_question_at_the_read_back_is_no_correction():
    step = intake.answer(read_back(), "confirm", "修改地点")
    assert step.ask == "location" and step.values["location"] is None
    step = intake.answer(read_back(), "confirm", "投诉以后多长时间给我答复啊？")
    assert step.question and step.ask == "confirm" and step.values["occurred_at"] == "昨天晚上8点"
    step = intake.answer(read_back(), "confirm", "不对")
    assert step.ask == "confirm" and "哪一项" in step.say[0]


def test_corrections_mid_form_keep_the_pending_question():
    values = {"target": "豫A12345出租车", "facts": "绕路", "occurred_at": "前天", "location": "郑州东站"}
    step = intake.answer(values, "demand", "刚才那个时间说错了，应该是昨天晚上八点", now=NOW)
    assert step.values["occurred_at"] == "昨天晚上八点" and step.ask == "demand"
    assert "已将发生时间改为：昨天晚上八点" in step.say[0]
    step = intake.answer(values | {"demand": "退钱"}, "caller_phone", "地点改成郑州火车站")
    assert step.values["location"] == "郑州火车站" and step.ask == "caller_phone"
    step = intake.answer(values, "demand", "刚才地点说错了")
    assert step.values["location"] is None and step.ask == "location"  # asked again, in the form's order


def test_an_answer_that_mentions_a_field_is_no_correction():
    values = {"target": "新乡北收费站"}
    step = intake.answer(values, "facts", "收费员说我车牌不对 要罚款二百")
    assert step.values["facts"] == "收费员说我车牌不对 要罚款二百" and step.values["target"] == "新乡北收费站"
    step = intake.answer(values | {"facts": "多收钱"}, "occurred_at", "记不清几点了")
    assert step.values["occurred_at"] and not step.question


@pytest.mark.parametrize(
    "said",
    [
        "我的车是豫G88K76，在卫辉收费站被收费员骂了",
        "我开的是豫G88K76，在卫辉收费站被收费员骂了",
        "俺的车牌豫G88K76，在卫辉收费站被收费员骂了",
        "我车牌号是豫G88K76，在卫辉收费站被收费员骂了",
        "本人车辆豫G88K76在卫辉收费站被收费员骂了",
        "我是豫G88K76的司机，在卫辉收费站被收费员骂了",
        "我是豫Ｇ８８Ｋ７６司机 在卫辉收费站被收费员骂了",
        "咱家的货车 豫G88K76 在卫辉收费站被收费员骂了",
        "我驾驶豫G88K76行驶到卫辉收费站，被收费员骂了",
        "我開的車是豫G88K76，在衛輝收費站被收費員罵了",
    ],
)
def test_the_callers_own_plate_in_drivers_words(said):
    values = intake.prefill(said)
    assert intake.own_plate(said) == "豫G88K76" and values["own_vehicle"] == "豫G88K76"
    assert values["target"] == "卫辉收费站"


@pytest.mark.parametrize(
    "said, target",
    [
        ("我坐的豫A12345出租车绕路", "豫A12345出租车"),  # a vehicle the caller rode in is the object
        ("我的车被豫A12345货车别了", "豫A12345货车"),
        ("我拉货的车豫G88K76被豫A12345货车撞了", "豫A12345货车"),
        ("我要投诉豫A12345网约车", "豫A12345网约车"),
    ],
)
def test_other_vehicles_stay_the_target(said, target):
    assert intake.find_target(said) == target
    assert intake.own_plate(said) in (None, "豫G88K76")


def test_own_plate_said_later_is_a_fact_not_the_target():
    step = intake.answer({"target": "卫辉收费站"}, "facts", "俺的车牌豫G88K76 过收费站被多收了一百")
    assert step.values["own_vehicle"] == "豫G88K76" and step.values["target"] == "卫辉收费站"
    step = intake.answer({}, "target", "我车牌号是豫G88K76")
    assert step.ask == "target" and "自己的车" in step.say[0] and not step.values.get("target")
    assert "您的车辆：豫G88K76" in intake.summary(step.values | {"target": "卫辉收费站"})


def test_one_question_test_for_forms_and_the_channel():
    from hotline import acts

    assert intake.is_question is acts.is_question


@pytest.mark.parametrize(
    "said", ["我跟物流公司有合同纠纷 你们能帮我打官司不", "其实我已经起诉了", "这事我已经去信访了"]
)
@pytest.mark.parametrize("asked", [None, "target", "facts", "caller_phone", "identity", "confirm"])
def test_matters_for_other_procedures_end_the_form_at_any_step_with_a_referral(said, asked):
    values = {} if asked is None else read_back() if asked == "confirm" else {"target": "顺达物流公司"}
    step = intake.answer(values, asked, said)
    assert step.rejected in ("other_procedure", "petition") and not step.done
    assert "第十九条" in step.say[0] and "不予受理" in step.say[0]
    assert ("人民法院" in step.say[0]) if "petition" != step.rejected else ("信访部门" in step.say[0])


@pytest.mark.parametrize(
    "said, where",
    [
        ("我要申请劳动仲裁 公司不给工资", "劳动人事争议仲裁委员会"),
        ("我想找纪委举报交通局的领导", "12388"),
        ("对罚款不服 我要行政复议", "复议机关"),
        ("我跟货主有运费纠纷，已经在法院立案了", "12348"),
    ],
)
def test_refusals_say_where_to_go(said, where):
    assert where in intake.refusal(said)[1]


def test_questions_about_the_rules_and_suggestions_are_not_refused():
    assert intake.refusal("投诉以后还能起诉吗") is None  # a question for the KB
    assert intake.refusal("坐到法院站下车的公交") is None  # a stop's name
    suggestion = intake.answer({}, None, "建议交通局加强政府信息公开", fields=intake.SUGGESTION_FIELDS)
    assert not suggestion.rejected


@pytest.mark.parametrize(
    "said",
    ["我不是要投诉", "算了", "不投诉了", "不弄了", "那算了", "不用了谢谢", "不用登记了", "算啦", "我不投訴了 謝謝"],
)
@pytest.mark.parametrize("asked", [*intake.COMPLAINT_FIELDS, "confirm"])
def test_exits_at_every_step(said, asked):
    values = read_back() if asked == "confirm" else {"target": "收费站"}
    step = intake.answer(values, asked, said)
    assert step.cancelled and step.reply and not step.say


def test_demand_stops_at_a_space():
    values = intake.prefill("投诉豫A12345出租车 今天下午在郑州东站绕路多收了30块 要求退钱 电话13812340003 匿名")
    assert values["demand"] == "要求退钱"


# ---- the actions: a mid-form question answered from the KB whatever NLU said; a refused matter makes no order ----
def test_a_question_mid_form_is_answered_with_its_citation_then_asked_again(seeded_kb, orders):
    validate, ask = ValidateIntake("complaint", timedelta(hours=72), seeded_kb), AskIntake("complaint")
    _, slots = run(validate, tracker("我要投诉 高速收费站多收我过路费了"))
    pending = slots["intake"]["ask"]
    # NLU took it for a complaint (its words); the dialogue-act test says it is a question
    msgs, after = run(validate, tracker("投诉以后多久能有结果", slots, "complain", "complaint_done"))
    assert msgs[0]["text"].startswith("根据《12328交通运输服务监督热线管理办法》")
    assert msgs[1]["custom"]["hotline_meta"]["sources"]
    assert after["intake"]["ask"] == pending and after["complaint_done"] is None
    assert after["intake"]["values"] == slots["intake"]["values"]
    msgs, _ = run(ask, tracker("", after, requested="complaint_done"))
    assert msgs[0]["text"] == intake.QUESTIONS[pending]


def test_a_question_at_the_read_back_is_answered_then_the_read_back_again(seeded_kb, orders):
    validate, ask = ValidateIntake("complaint", timedelta(hours=72), seeded_kb), AskIntake("complaint")
    _, slots = run(validate, tracker(FIRST + " 匿名"))
    assert slots["intake"]["ask"] == "confirm"
    msgs, after = run(validate, tracker("投诉以后多长时间给我答复啊？", slots, "consult", "complaint_done"))
    assert "第二十三条" in msgs[0]["text"] and after["intake"]["values"] == slots["intake"]["values"]
    msgs, _ = run(ask, tracker("", after, requested="complaint_done"))
    assert "请核对您的投诉内容" in msgs[0]["text"]


def test_a_refused_matter_opens_no_form_and_makes_no_order(orders):
    validate, submit = ValidateIntake("complaint", timedelta(hours=72)), ActionSubmitIntake(orders)
    msgs, slots = run(validate, tracker("我跟货主有运费纠纷，已经在法院立案了，投诉他们"))
    texts = " ".join(m["text"] for m in msgs)
    assert "第十九条" in texts and "我来帮您登记投诉" not in texts
    assert slots["complaint_done"] == "rejected"
    _, slots = run(validate, tracker("我要投诉交通局"))
    msgs, slots = run(validate, tracker("这事我已经去信访了 他们一直拖着", slots, "complain", "complaint_done"))
    assert "信访部门" in msgs[0]["text"] and slots["complaint_done"] == "rejected"
    msgs, after = run(submit, tracker("", slots))
    assert msgs == [] and after["intake"] is None and orders.count() == 0


def test_first_message_refusal_from_the_consultation_and_referral_actions(seeded_kb):
    from bot.actions.knowledge import ActionAnswerFromKB
    from bot.actions.referral import ActionReferElsewhere

    for action in (ActionAnswerFromKB(seeded_kb), ActionReferElsewhere()):
        msgs, _ = run(action, tracker("我跟物流公司有合同纠纷 你们能帮我打官司不", intent="consult"))
        assert len(msgs) == 1 and "第十九条" in msgs[0]["text"] and "人民法院" in msgs[0]["text"]
    msgs, _ = run(ActionAnswerFromKB(seeded_kb), tracker("投诉以后多久能有结果", intent="consult"))
    assert "第十九条" not in msgs[0]["text"]


@pytest.mark.parametrize(
    "said, complaint",
    [
        ("汽修厂给我换了假配件还收高价", True),
        ("4S店保养给我多收了钱", True),
        ("我被出租车司机骂了", True),
        ("投诉新乡市第一运输公司的班车司机开车打电话 昨天在107国道上", True),
        ("举报豫A12345货车超载", True),
        ("投诉以后多久有结果", False),
        ("怎么投诉汽修厂给我换了假配件", False),  # a question: the KB answers it
        ("给我讲讲投诉流程", False),
        ("我想投诉", False),  # NLU's job; nothing to fill yet
    ],
)
def test_complaints_said_as_statements(said, complaint):
    assert intake.reads_as_complaint(said) is complaint


def test_the_consultation_action_starts_the_complaint_nlu_was_unsure_of(seeded_kb):
    from bot.actions.knowledge import ActionAnswerFromKB

    def followup(text, intent):
        trk = tracker(text, intent=intent)
        events = ActionAnswerFromKB(seeded_kb).run(CollectingDispatcher(), trk, {})
        return [e.get("name") for e in events if e.get("event") == "followup"]

    assert followup("汽修厂给我换了假配件还收高价", "consult") == ["complaint_form"]
    assert followup("投诉新乡市第一运输公司的班车司机开车打电话 昨天在107国道上", "nlu_fallback") == ["complaint_form"]
    assert followup("投诉以后多久能有结果", "consult") == []


@pytest.mark.parametrize(
    "asked, said",
    [
        ("facts", "司机问我要不要走高速 然后绕了一大圈"),  # reported speech
        ("facts", "收费员问我是不是超载了 就多收了一百"),
        ("facts", "多少钱都没给我退"),  # an indefinite pronoun
        ("facts", "为什么不让我过 绿码都有"),  # a grievance
        ("demand", "能不能让他退钱"),  # what the caller wants
        ("demand", "退钱就行 能退吗"),
        ("occurred_at", "记不清几点了"),
    ],
)
def test_a_story_with_a_question_word_is_an_answer(asked, said):
    step = intake.answer(
        {"target": "豫A12345出租车", "facts": "绕路"} if asked != "facts" else {"target": "x"}, asked, said
    )
    assert not step.question and step.values.get(asked), step


@pytest.mark.parametrize(
    "asked, said",
    [
        ("facts", "请问投诉要提供什么材料"),
        ("demand", "投诉以后多久能退钱？"),
        ("target", "这种情况能投诉吗"),
        ("location", "能直接发定位吗"),
    ],
)
def test_a_clear_question_where_free_text_is_asked_is_handed_back(asked, said):
    step = intake.answer({"target": "x"} if asked != "target" else {}, asked, said)
    assert step.question == said and step.ask == asked


def test_a_brief_correction_mid_form_asks_the_field_again_and_a_supplement_adds():
    values = {"target": "豫A66666出租车", "facts": "绕路多收钱", "occurred_at": "前天", "location": "郑州站"}
    step = intake.answer(values, "demand", "地点不对")
    assert step.ask == "location" and step.values["location"] is None and "demand" not in step.values
    step = intake.answer(read_back(), "confirm", "我想再补充一下经过：司机还骂人了")
    assert step.values["facts"].startswith(READY) and step.values["facts"].endswith("；司机还骂人了")
    assert intake.answer(read_back(), "confirm", "就这样吧").done


def test_a_complaint_about_an_authority_that_does_not_act_is_accepted():
    step = intake.answer({}, None, "我举报了货车超载 交通局一直不立案 也不处理")
    assert not step.rejected and not step.cancelled and step.ask and not step.say


def test_the_story_told_as_an_answer_fills_when_and_where_as_a_first_message_would():
    step = intake.answer({}, None, "我要投诉")
    step = intake.answer(step.values, step.ask, "豫G12345出租车", step.tries)
    assert step.ask == "facts"
    step = intake.answer(step.values, step.ask, "昨天晚上在新乡火车站拒载还骂人", step.tries, now=NOW)
    assert step.values["occurred_at"].startswith("昨天晚上") and step.values["location"] == "新乡火车站"
    assert step.ask not in ("occurred_at", "location")


def test_the_misconduct_in_a_word_is_enough_for_what_happened():
    """Drivers type little: once the target is known, "不打表" or "拒载" says what happened; "好的" or "嗯" does not."""
    for facts in ("不打表", "拒载", "绕路", "乱收费"):
        step = intake.answer({"target": "出租车"}, "facts", facts)
        assert step.values["facts"] == facts and step.ask == "occurred_at", facts
    for nothing in ("好的", "嗯", "不知道"):
        step = intake.answer({"target": "出租车"}, "facts", nothing)
        assert "facts" not in step.values and step.ask == "facts", nothing


def test_a_time_or_place_sent_for_what_happened_is_kept_as_such_and_the_story_asked_again():
    step = intake.answer({"target": "出租车"}, "facts", "昨天下午")
    assert "facts" not in step.values and step.values["occurred_at"] == "昨天下午" and step.ask == "facts"
    assert step.say == ["已记下时间：昨天下午。"]
    step = intake.answer(step.values, "facts", "司机不打表还绕路", step.tries)
    assert step.values["facts"] == "司机不打表还绕路" and step.ask == "location"  # the time is not asked again
    # a story that starts with its time is a story
    step = intake.answer({"target": "出租车"}, "facts", "昨天下午在郑州东站司机拒载")
    assert step.values["facts"] == "昨天下午在郑州东站司机拒载"
    # so is a place sent for it
    step = intake.answer({"target": "出租车"}, "facts", "郑州东站")
    assert "facts" not in step.values and step.values["location"] == "郑州东站" and step.ask == "facts"
    assert step.say == ["已记下地点：郑州东站。"]


def test_a_number_typed_in_the_form_is_the_button_it_numbers():
    """ "2" while the form shows [希望加强管理 | 不清楚] is "不清楚" (the WeChat habit of numbering, on every channel)."""
    validate = ValidateIntake("complaint", timedelta(hours=72))
    _msgs, slots = run(validate, tracker("我要投诉豫A12345出租车昨天在郑州东站拒载", intent="complain"))
    assert slots["intake"]["ask"] == "demand"
    shown = [
        {"event": "user", "text": "…"},
        {
            "event": "bot",
            "text": "您希望怎么处理？",
            "data": {
                "buttons": [
                    {"title": "希望加强管理", "payload": "希望加强管理"},
                    {"title": "不清楚", "payload": "不清楚"},
                ]
            },
        },
        {"event": "user", "text": "2"},
    ]
    typed = tracker("2", slots, "choose", "complaint_done", entities=[{"entity": "choice", "value": 2}])
    typed.events = shown
    _msgs, slots = run(validate, typed)
    # ("不清楚" is stored as the form stores it when typed: not given)
    assert slots["intake"]["values"]["demand"] == intake.NOT_GIVEN and slots["intake"]["ask"] == "caller_phone"


def test_a_suggestion_put_as_a_question_is_the_suggestion():
    """ "客运站候车厅能不能装几个充电的插座" to "请说说您的意见建议" was answered as a question eight times over."""
    fields = intake.SUGGESTION_FIELDS
    step = intake.answer({}, "facts", "建议提了以后几天有回复？", {}, fields=fields)
    assert step.question == "建议提了以后几天有回复？" and not step.values.get("facts")  # a question, answered
    step = intake.answer(step.values, "facts", "客运站候车厅能不能装几个充电的插座", step.tries, fields=fields)
    assert step.question is None and step.values["facts"] == "客运站候车厅能不能装几个充电的插座"
    # the same question sent again for the story is the story; never for a place
    values = {"target": "出租车"}
    step = intake.answer(values, "facts", "出租车打表是按什么标准收费的？", {})
    assert step.question and not step.values.get("facts")
    step = intake.answer(step.values, "facts", "出租车打表是按什么标准收费的？", step.tries)
    assert step.question is None and step.values["facts"]
    values = {"target": "出租车", "facts": "拒载", "occurred_at": "昨天"}
    step = intake.answer(values, "location", "哪里算是事发地点呢？", {})
    step = intake.answer(step.values, "location", "哪里算是事发地点呢？", step.tries)
    assert step.question and not step.values.get("location")


class AnsweringKB:
    """action_answer_from_kb as the status form sees it: it answers the latest message."""

    def __init__(self):
        self.asked = []

    def run(self, dispatcher, tracker, domain):
        self.asked.append(tracker.latest_message["text"])
        dispatcher.utter_message(text="答复")
        return [{"event": "slot", "timestamp": None, "name": "misses", "value": 0}]


def test_a_question_while_the_look_up_waits_for_a_number_ends_it_and_is_answered(orders):
    """ "查工单", then "投诉一般多少天办完": the caller has no number; the question was met with "请发送要查询的工单编号".
    It is answered in the form's own turn: run as a follow-up action after the form, the answer was followed by the
    fallback's "抱歉，我没能理解您的意思" (no rule went on from it)."""
    knowledge = AnsweringKB()
    status = ValidateStatus(orders, knowledge)
    msgs, slots = run(status, tracker("查工单", intent="ticket_status", sender="web:w2status"))
    assert slots["intake"]["ask"] == "number"
    dispatcher = CollectingDispatcher()
    events = status.run(dispatcher, tracker("投诉一般多少天办完", slots, "consult", "status_done", "web:w2status"), {})
    assert knowledge.asked == ["投诉一般多少天办完"] and dispatcher.messages == [
        {**dispatcher.messages[0], "text": "答复"}
    ]
    assert {"event": "slot", "timestamp": None, "name": "status_done", "value": "gave_up"} in events  # the form ends
    assert not any(e["event"] == "followup" for e in events)
    msgs, slots = run(status, tracker("20261201-00001", slots, "inform", "status_done", "web:w2status"))
    assert "没有找到工单 20261201-00001" in msgs[0]["text"]  # a number is still a number


@pytest.mark.parametrize("said", ["不记得了", "忘了", "没有编号", "13812345678"])
def test_a_caller_without_the_order_number_is_told_where_it_is(orders, said):
    """ "查一下我的工单", then "不记得了" (or a phone number): "请发送要查询的工单编号" came back three times."""
    status = ValidateStatus(orders)
    msgs, slots = run(status, tracker("查一下我的工单", intent="ticket_status", sender="web:w3status"))
    assert slots["intake"]["ask"] == "number"
    msgs, slots = run(status, tracker(said, slots, "inform", "status_done", "web:w3status"))
    assert "12328电话" in msgs[0]["text"] and "登记成功" in msgs[0]["text"]
    assert slots["status_done"] == "gave_up" and slots["intake"] is None


def test_a_demand_in_a_word_a_misconduct_in_a_word_and_a_highway_stretch():
    """ "高速交警" / "乱罚款" / "连霍高速郑州段" / "退钱", as a driver types them: "乱罚款" was asked again as no story,
    the highway stretch stored as the story and "退钱" as the place."""
    step = intake.answer({"target": "高速交警"}, "facts", "乱罚款", {})
    assert step.values["facts"] == "乱罚款" and step.ask == "occurred_at"
    assert intake.find_place("连霍高速郑州段") == "连霍高速郑州段" and intake.find_place("在手段上") is None
    step = intake.answer({**step.values, "occurred_at": "昨天"}, "location", "退钱", {})
    assert step.values["demand"] == "退钱" and not step.values.get("location") and step.ask == "location"
    step = intake.answer(step.values, "location", "连霍高速郑州段", step.tries)
    assert step.values["location"] == "连霍高速郑州段" and step.ask == "caller_phone"


def test_which_bus_and_what_it_did_are_kept_where_they_belong():
    """ "我要反映公交车的问题" / "10路公交" / "司机不等人关门就走": the route was stored as the story and the story, sent
    for "when", answered "这好像不是时间"."""
    step = intake.answer({}, None, "我要反映公交车的问题")
    step = intake.answer(step.values, step.ask, "10路公交", step.tries)
    assert step.values["target"] == "10路公交" and step.ask == "facts" and "已记下投诉对象：10路公交。" in step.say
    step = intake.answer(step.values, step.ask, "司机不等人关门就走", step.tries)
    assert step.values["facts"] == "司机不等人关门就走" and step.ask == "occurred_at"
    step = intake.answer(step.values, step.ask, "车开得特别快乘客都站不稳", step.tries)
    assert step.values["facts"] == "司机不等人关门就走；车开得特别快乘客都站不稳" and step.ask == "occurred_at"
    step = intake.answer(step.values, step.ask, "大概是上个月底", step.tries)
    assert step.values["occurred_at"] == "大概是上个月底"


def test_a_target_the_caller_cannot_name_is_described_or_left_unsaid():
    """ "不知道车牌" was stored as the 投诉对象; a 黑车 is whom the complaint is about."""
    step = intake.answer({"facts": "司机宰客"}, "target", "不知道车牌", {})
    assert not step.values.get("target") and step.ask == "target" and "白色面包车" in step.say[0]
    step = intake.answer(step.values, "target", "白色面包车", step.tries)
    assert step.values["target"] == "白色面包车"
    step = intake.answer({"facts": "司机宰客"}, "target", "不知道", {})
    for _ in range(intake.MAX_TRIES - 1):
        step = intake.answer(step.values, "target", "不知道", step.tries)
    assert step.values["target"] == intake.NOT_GIVEN and step.ask != "target"
    assert intake.answer({}, None, "我被黑车司机宰了").values["target"] == "黑车"


def test_no_phone_said_at_the_read_back_is_no_phone():
    """ "不留電話" at the read-back cleared the phone and asked for it again; "確認" then failed as a phone."""
    values = {"facts": "公交站增加遮雨棚", "caller_phone": "13812345678"}
    step = intake.answer(values, "confirm", "不留電話", {}, fields=intake.SUGGESTION_FIELDS)
    assert step.values["caller_phone"] == intake.NO_PHONE and step.ask == "confirm"
    step = intake.answer(step.values, "confirm", "確認", {}, fields=intake.SUGGESTION_FIELDS)
    assert step.done


def test_a_plate_sent_for_when_names_the_vehicle_and_not_wanting_a_name_is_anonymous():
    step = intake.answer({"target": "出租车", "facts": "不打表"}, "occurred_at", "豫A88888", {})
    assert step.values["target"] == "出租车（豫A88888）" and step.ask == "occurred_at"  # was "这好像不是时间"
    assert intake.answer({}, None, "我要投诉但是不想留名字").values["identity"] == "匿名"


@pytest.mark.parametrize("said", ["现在", "就现在", "正在发生", "此刻", "現在"])
def test_now_is_a_time_for_a_matter_still_going_on(said):
    """ "客车超载" / "什么时候？" / "现在": the moment it was said (it was "这好像不是时间。")."""
    step = intake.answer({"target": "大巴", "facts": "客车超载，站满了人"}, "occurred_at", said, {}, now=NOW)
    assert step.ask == "location" and not step.say
    assert step.values["occurred_time"]["at"] == NOW.strftime("%Y-%m-%d %H:%M")


def test_now_with_more_of_the_story_keeps_both_and_now_is_never_read_from_a_story():
    step = intake.answer({"target": "大巴", "facts": "客车超载"}, "occurred_at", "现在还在车上", {}, now=NOW)
    assert step.values["occurred_at"] == "现在" and step.values["facts"].endswith("现在还在车上")
    assert step.ask == "location"
    # "我现在要投诉昨天那个司机": the event was yesterday, 现在 is when the caller speaks
    assert intake.find_time("我现在要投诉昨天那个司机") == "昨天"


def test_a_plate_with_the_vehicles_kind_sent_for_when_names_that_vehicle():
    step = intake.answer({"target": "大巴", "facts": "客车超载"}, "occurred_at", "豫B12345 大巴", {})
    assert step.values["target"] == "大巴（豫B12345）" and step.ask == "occurred_at"  # was "这好像不是时间"
    assert "已记下车牌：豫B12345。" in step.say
    # another kind than the one complained about is not silently that vehicle's plate
    step = intake.answer({"target": "大巴", "facts": "客车超载"}, "occurred_at", "豫B12345 出租车", {})
    assert step.values["target"] == "大巴"


def test_the_story_told_for_whom_and_a_demand_told_for_the_story():
    step = intake.answer({}, None, "我要投诉")
    step = intake.answer(step.values, step.ask, "高速多扣了我钱", step.tries)  # the story first: kept, whom asked again
    assert step.values == {"facts": "高速多扣了我钱"} and step.ask == "target" and "已记下事情经过。" in step.say
    step = intake.answer(step.values, step.ask, "京港澳高速公司", step.tries)
    assert step.values["target"] == "京港澳高速公司" and step.ask == "occurred_at"
    # "ETC" names no one (its issuers and toll roads are many): whom is asked (and five ETC complaints are a topic,
    # not a surge against one target: tests/test_supervision.py)
    assert intake.answer({}, None, "我要投诉ETC").ask == "target"
    step = intake.answer({"target": "出租车"}, "facts", "退钱", {})  # what is wanted, not what happened
    assert step.values["demand"] == "退钱" and not step.values.get("facts") and step.ask == "facts"
    step = intake.answer({"facts": "x" * 8}, "occurred_at", "不清楚", {"occurred_at": 2})
    assert step.values["occurred_at"] == intake.NOT_GIVEN


def test_saying_there_is_a_suggestion_is_not_the_suggestion():
    """ "我想给公交公司提个意见" was taken as the suggestion itself and the form asked for the phone."""
    fields = intake.SUGGESTION_FIELDS
    assert intake.answer({}, None, "我想给公交公司提个意见", fields=fields).ask == "facts"
    step = intake.answer({}, None, "我想给公交公司提个意见，晚上班次太少", fields=fields)
    assert step.values["facts"] == "我想给公交公司提个意见，晚上班次太少" and step.ask == "caller_phone"


def test_asking_to_complain_is_not_the_story_and_what_now_is_answered():
    for text in ("能帮我投诉一下吗", "麻烦帮我举报一下", "请问可以投诉吗"):
        assert intake.prefill(text) == {}, text  # "能帮我投诉一下吗" was stored as what happened
    step = intake.answer({"target": "货车", "facts": "在服务区被偷油"}, "occurred_at", "那我该怎么办啊？", {})
    assert step.say == [intake.WHAT_NOW_REPLY] and step.ask == "occurred_at" and step.question is None


def test_a_facility_complained_about_is_named_by_its_place():
    """ "超限站罚款不给票据": the 超限站 is whom (a road stretch given for whom was stored as the target); the place
    answered later names which one when it ends in the facility ("郑州东收费站")."""
    step = intake.answer({}, None, "超限站罚款不给票据", now=NOW)
    assert step.values["target"] == "超限站" and step.ask == "occurred_at"
    step = intake.answer(step.values, "occurred_at", "前天", step.tries, now=NOW)
    step = intake.answer(step.values, "location", "107国道新乡段", step.tries, now=NOW)
    assert step.values["target"] == "超限站" and step.values["location"] == "107国道新乡段"
    step = intake.answer({}, None, "收费站多收我过路费", now=NOW)
    step = intake.answer(step.values, "occurred_at", "昨天", step.tries, now=NOW)
    step = intake.answer(step.values, "location", "郑州东收费站", step.tries, now=NOW)
    assert step.values["target"] == "郑州东收费站" and step.ask == "demand"
    assert intake.find_target("服务区加油站油价比外面贵一块多") == "加油站"  # the thing in the service area
    assert "收费站" in intake.GENERIC_TARGETS and "郑州东收费站" not in intake.GENERIC_TARGETS


def test_a_route_or_a_time_sent_for_another_question():
    """ "12路" for when, after "公交车司机开车玩手机", is which bus ("这好像不是时间" before); "今天早上" for whom is the
    time (it was stored as the target); a route never narrows a taxi."""
    step = intake.answer({}, None, "公交车司机开车玩手机", now=NOW)
    step = intake.answer(step.values, step.ask, "12路", step.tries, now=NOW)
    assert (
        step.values["target"] == "12路公交车"
        and step.ask == "occurred_at"
        and step.say == ["已记下投诉对象：12路公交车。"]
    )
    step = intake.answer({"target": "出租车", "facts": "拒载"}, "location", "8路", {}, now=NOW)
    assert step.values["target"] == "出租车"
    step = intake.answer({"facts": "司机不让下车"}, "target", "今天早上", {}, now=NOW)
    assert step.values["occurred_at"] == "今天早上" and "target" not in step.values and step.ask == "target"
    step = intake.answer(step.values, "target", "28路", step.tries, now=NOW)
    step = intake.answer(step.values, step.ask, "人民路站", step.tries, now=NOW)
    assert step.values["target"] == "28路" and step.values["location"] == "人民路站"


def test_a_short_opening_that_tells_the_misconduct_is_the_story():
    """ "公交车不按站停" (seven characters) asked for the story, and the story typed next replaced it."""
    step = intake.answer({}, None, "公交车不按站停", now=NOW)
    assert step.values["facts"] == "公交车不按站停" and step.ask == "occurred_at"
    for said in ("我要投诉出租车公司的事", "投诉公交公司", "出租车司机", "我要举报黑车"):
        assert "facts" not in intake.answer({}, None, said, now=NOW).values, said


def test_a_place_where_at_it_an_ongoing_matter_and_a_demand_in_a_word():
    """ "我要举报黑车" / "火车站门口" / "一直都有" / "取缔": the place was the story, "一直都有" no time (asked three
    times) and "取缔" no demand; "退学费" for where was stored as the place."""
    step = intake.answer({}, None, "我要举报黑车", now=NOW)
    step = intake.answer(step.values, step.ask, "火车站门口", step.tries, now=NOW)
    assert step.values["location"] == "火车站门口" and step.ask == "facts"
    step = intake.answer(step.values, step.ask, "一直都有", step.tries, now=NOW)
    assert step.values["occurred_at"] == "一直" and step.ask == "demand"
    step = intake.answer(step.values, step.ask, "取缔", step.tries, now=NOW)
    assert step.values["demand"] == "取缔" and step.ask == "caller_phone"
    step = intake.answer({"target": "驾校", "facts": "不给安排练车", "occurred_at": "上个月"}, "location", "退学费", {})
    assert step.values["demand"] == "退学费" and "location" not in step.values and step.ask == "location"
    step = intake.answer({"target": "黑车", "facts": "拉客"}, "occurred_at", "经常这样", {}, now=NOW)
    assert step.values["occurred_at"] == "经常这样" and step.ask == "location"
    assert intake.only_a_place("汽车站对面") == "汽车站对面" and intake.only_a_place("服务区") is None


def test_a_time_of_day_or_a_facility_alone_is_no_place():
    """ "晚上停车场没有保安巡逻 油被偷了" filled the place with "晚上停车场" and where was never asked."""
    assert intake.find_place("晚上停车场没有保安巡逻 油被偷了") is None
    assert intake.find_place("在服务区被偷油") is None  # which service area is asked
    assert intake.find_place("在火车站被骂了") == "火车站" and intake.find_place("郑州东收费站") == "郑州东收费站"


def test_a_citizens_letter_and_a_highway_toll_station_by_its_kind():
    """A citizen's letter on an intercity bus asked whom it was about; "高速公路收费站" stayed whom and where after
    "京港澳高速新乡收费站" was given for where; "就在科学大道上" and "那个郑州火车站" kept their filler words."""
    letter = (
        "您好，我于2026年11月28日下午乘坐郑州至开封的城际公交，车辆严重超员，司机还在行驶中接打电话，存在重大安全隐患，"
        "请有关部门严肃查处。我的电话13838383838。"
    )
    step = intake.answer({}, None, letter, now=NOW)
    assert step.values["target"] == "城际公交" and step.values["caller_phone"] == "13838383838"
    assert step.ask == "location"  # everything else was in the letter
    step = intake.answer({}, None, "高速公路收费站工作人员态度恶劣 骂人", now=NOW)
    assert "location" not in step.values
    step = intake.answer(step.values, "occurred_at", "昨天上午", step.tries, now=NOW)
    step = intake.answer(step.values, "location", "京港澳高速新乡收费站", step.tries, now=NOW)
    assert step.values["target"] == step.values["location"] == "京港澳高速新乡收费站"
    step = intake.answer(
        {"target": "豫A12345", "facts": "开车打电话", "occurred_at": "刚刚"}, "location", "就在科学大道上", {}
    )
    assert step.values["location"] == "科学大道"
    assert intake.find_place("我要投诉一个出租车 在那个郑州火车站 司机不打表") == "郑州火车站"


def test_whom_and_what_in_one_answer_and_a_station_by_its_name():
    """ "計程車繞路" (or "豫A12345出租车拒载") for whom kept only whom and asked for the story; "車牌豫A·T5678" was
    stored as the story; "郑州站" for where was no place; "高速" stayed whom after "连霍高速荥阳收费站" was given."""
    step = intake.answer({}, "target", "計程車繞路", {}, now=NOW)
    assert step.values["target"] == "计程车" and step.values["facts"] == "計程車繞路" and step.ask == "occurred_at"
    step = intake.answer(step.values, step.ask, "車牌豫A·T5678", step.tries, now=NOW)
    assert step.values["target"] == "计程车（豫AT5678）" and step.values["facts"] == "計程車繞路"
    step = intake.answer({}, "target", "豫A12345出租车拒载", {}, now=NOW)
    assert step.values["facts"] == "豫A12345出租车拒载" and step.ask == "occurred_at"
    for whom in ("出租车", "新乡公交公司"):  # whom alone: the story is asked
        assert intake.answer({}, "target", whom, {}, now=NOW).ask == "facts", whom
    step = intake.answer({"target": "出租车", "facts": "拒载"}, "facts", "郑州站", {}, now=NOW)
    assert step.values["location"] == "郑州站" and intake.only_a_place("12328网站") is None
    step = intake.answer(
        {"target": "高速", "facts": "ETC坏了没人管", "occurred_at": "前天"}, "location", "连霍高速荥阳收费站", {}
    )
    assert step.values["target"] == "连霍高速荥阳收费站"


def test_a_firm_an_agency_and_the_callers_own_truck():
    """ "某某清障公司" for the demand was stored as the demand (after "拖车公司…"); "路政执法人员乱罚款" named no one and
    took "310国道" as whom; "我的货车ETC扣了两次费" made the caller's own truck whom; a 加油站 in a service area
    is that service area's."""
    step = intake.answer({}, None, "拖车公司把我车拖走要了三千块 太黑了", now=NOW)
    step = intake.answer(step.values, "demand", "某某清障公司", step.tries, now=NOW)
    assert step.values["target"] == "某某清障公司" and "demand" not in step.values and step.ask == "demand"
    step = intake.answer({"target": "出租车", "facts": "拒载"}, "occurred_at", "新乡市出租汽车公司", {}, now=NOW)
    assert step.values["target"] == "新乡市出租汽车公司"
    assert intake.find_target("路政执法人员乱罚款 罚了我500 没给票") == "路政"
    assert intake.find_target("我的货车ETC扣了两次费") is None
    assert intake.find_target("我坐的公交车司机骂人") == "公交车"
    step = intake.answer({}, None, "服务区加油站不给开发票", now=NOW)
    step = intake.answer(step.values, "location", "沪陕高速南阳服务区", step.tries, now=NOW)
    assert step.values["target"] == "沪陕高速南阳服务区加油站"


def test_a_coachs_line_and_a_finer_time_sent_for_where():
    """ "郑州到信阳的" for where was stored as the place, "昨天下午四点" for the demand kept the coarser "昨天", and
    "驻马店服务区" then could not replace the line."""
    step = intake.answer({}, None, "师傅在吗 我想反映个事 昨天坐的大巴半路把我们甩下了", now=NOW)
    assert step.ask == "location" and step.values["occurred_at"] == "昨天"
    step = intake.answer(step.values, step.ask, "郑州到信阳的", step.tries, now=NOW)
    assert step.values["target"] == "郑州到信阳的大巴" and "location" not in step.values and step.ask == "location"
    step = intake.answer(step.values, step.ask, "昨天下午四点", step.tries, now=NOW)
    assert step.values["occurred_at"] == "昨天下午四点" and "location" not in step.values
    step = intake.answer(step.values, step.ask, "驻马店服务区", step.tries, now=NOW)
    assert step.values["location"] == "驻马店服务区" and step.ask == "demand"
    step = intake.answer({"target": "出租车", "facts": "拒载", "occurred_at": "昨天"}, "demand", "昨天晚上八点", {})
    assert step.values["occurred_at"] == "昨天晚上八点" and step.ask == "demand"


def test_a_sum_charged_sent_for_the_demand_is_more_of_the_story():
    """ "要了200" for "您希望怎么处理" was stored as the demand, and "退钱" sent next was met as a wrong phone number."""
    values = {"target": "出租车", "facts": "不打表", "occurred_at": "昨晚", "location": "机场"}
    step = intake.answer(values, "demand", "要了200", {})
    assert step.values["facts"] == "不打表；要了200" and "demand" not in step.values and step.ask == "demand"
    step = intake.answer(step.values, step.ask, "退钱", step.tries)
    assert step.values["demand"] == "退钱" and step.ask == "caller_phone"


@pytest.mark.parametrize("field", ["target", "occurred_at", "location", "demand"])
def test_asking_how_to_complain_mid_complaint_is_told_this_is_the_way(field):
    """ "在哪里投诉" while the complaint is being registered: no KB clause about 承办单位, but this is the way."""
    values = {"target": "出租车", "facts": "出租车不打表"} if field != "target" else {}
    for asked in ("在哪里投诉", "怎麼投訴"):
        step = intake.answer(values, field, asked)
        assert step.question is None and step.ask == field and step.values == values, asked
        assert step.say == [intake.HOW_TO_HERE["complain"]]
    # in the suggestion form, how to suggest
    step = intake.answer({}, "facts", "怎么提建议", fields=intake.SUGGESTION_FIELDS)
    assert step.say == [intake.HOW_TO_HERE["suggest"]] and step.ask == "facts"


@pytest.mark.parametrize(
    "field, said, kept",
    [
        ("occurred_at", "在连霍高速开封服务区", {"location": "连霍高速开封服务区"}),
        ("occurred_at", "郑州", {"location": "郑州"}),
        ("occurred_at", "台北 不對 是鄭州", {"location": "郑州"}),
        ("occurred_at", "金水路", {"location": "金水路"}),
        ("occurred_at", "滴滴的", {"target": "滴滴网约车"}),
        ("location", "车牌记不清了", {}),
        ("demand", "68路 车牌豫A3E571", {"target": "68路公交（豫A3E571）"}),
        ("demand", "路政的人", {"target": "路政"}),
    ],
)
def test_an_answer_to_another_question_fills_its_own_field(field, said, kept):
    """A driver answers what he has in mind, not always what was asked: a place for when, a platform for when, a line
    and its plate for the demand, the agency for the demand (when whom was only the place): each fills its own field
    and the question is asked again."""
    values = {"target": "网约车" if said == "滴滴的" else "公交" if "68路" in said else "服务区", "facts": "司机骂人"}
    if field in ("location", "demand"):
        values["occurred_at"] = "昨天"
    if field == "demand":
        values["location"] = "连霍高速开封服务区" if said == "路政的人" else "郑州"
    step = intake.answer(values, field, said)
    assert step.ask == field and not step.values.get(field), (said, step)
    for name, value in kept.items():
        assert step.values[name] == value, (said, step.values)


def test_a_time_and_a_place_in_one_answer_fill_both():
    step = intake.answer({"target": "出租车", "facts": "不打表"}, "occurred_at", "昨晚十点 郑州东站")
    assert step.values["occurred_at"] == "昨晚十点" and step.values["location"] == "郑州东站" and step.ask == "demand"
    # a finer place than the one told before replaces it
    step = intake.answer(
        {"target": "黑车", "facts": "拉客", "location": "火车站"}, "occurred_at", "昨天下午三点在郑州火车站西出口"
    )
    assert step.values["location"] == "郑州火车站西出口"
    # a road for where, a story for when are not places
    step = intake.answer({"target": "出租车"}, "facts", "司机不打表还绕路")
    assert step.values["facts"] == "司机不打表还绕路" and "location" not in step.values


@pytest.mark.parametrize("said", ["不用留电话", "不要留电话了", "不需要留号码"])
def test_no_phone_in_other_words(said):
    step = intake.answer(
        {"target": "出租车", "facts": "不打表", "occurred_at": "昨天", "location": "郑州东站", "demand": "退钱"},
        "caller_phone",
        said,
    )
    assert step.values["caller_phone"] == intake.NO_PHONE and step.ask == "identity"


def test_more_of_a_suggestion_sent_for_the_phone_is_kept():
    step = intake.answer(
        {"facts": "服务区厕所太少了"}, "caller_phone", "希望多建几个厕所", fields=intake.SUGGESTION_FIELDS
    )
    assert step.values["facts"] == "服务区厕所太少了；希望多建几个厕所" and step.ask == "caller_phone"
    assert "caller_phone" not in step.values
    step = intake.answer(step.values, "caller_phone", "不需要回复", step.tries, fields=intake.SUGGESTION_FIELDS)
    assert step.values["caller_phone"] == intake.NO_PHONE and step.ask == "confirm"


def test_a_short_demand_naming_what_went_wrong_is_the_demand():
    step = intake.answer({"target": "出租车", "facts": "不打表", "occurred_at": "昨天"}, "location", "要求退多收的")
    assert step.values["demand"] == "要求退多收的" and step.ask == "location"
    step = intake.answer({}, "target", "退一次的钱")
    assert step.values == {"demand": "退一次的钱"} and step.ask == "target"


@pytest.mark.parametrize("said", ["上周", "上个星期", "前几天", "大概是上个月底"])
def test_a_time_that_names_no_one_day_is_a_time(said):
    """ "前几天" was taken for a question ("几天"), "上周" for no time at all."""
    step = intake.answer({"target": "出租车", "facts": "不打表"}, "occurred_at", said)
    assert step.values["occurred_at"] == said and step.question is None and step.ask == "location"


def test_whom_said_with_when_and_where_fills_all_three():
    step = intake.answer({"facts": "ETC扣了我两次"}, "target", "就是上周 在郑州北收费站")
    assert step.values["target"] == step.values["location"] == "郑州北收费站" and step.values["occurred_at"] == "上周"
    assert step.ask == "demand"


def _after(before: str, bot_lines: list[tuple[str, list]], text: str, intent: str = "complain") -> Tracker:
    """A tracker whose user said ``before``, the bot answered ``bot_lines`` (text, buttons), and the user now says
    ``text``, which opens the form."""
    events = [{"event": "user", "text": before, "parse_data": {}}]
    events += [{"event": "bot", "text": t, "data": {"buttons": b}} for t, b in bot_lines]
    events += [{"event": "user", "text": text, "parse_data": {}}]
    trk = tracker(text, intent=intent)
    trk.events = events
    return trk


OFFER = [("根据……第十五条：……", []), ("需要现在帮您登记投诉吗？", [{"title": "是，登记投诉", "payload": "/complain"}])]


@pytest.mark.parametrize("accept", ["/complain", "是", "那我投诉吧", "我要投诉"])
def test_a_bare_yes_to_the_offer_registers_what_was_just_told(accept):
    """ "出租车司机绕路多收钱怎么办" — answered, offered — then "是": the form asked whom to complain about, as if
    nothing had been said."""
    validate = ValidateIntake("complaint", timedelta(hours=72))
    msgs, slots = run(validate, _after("出租车司机绕路多收钱怎么办", OFFER, accept))
    values = slots["intake"]["values"]
    assert values["target"] == "出租车" and values["facts"] == "出租车司机绕路多收钱"
    assert slots["intake"]["ask"] == "occurred_at" and "已记下您刚才说的情况：出租车司机绕路多收钱。" in msgs[0]["text"]


def test_only_a_grievance_or_an_offer_is_carried_into_the_form():
    validate = ValidateIntake("complaint", timedelta(hours=72))
    refused = [("抱歉，知识库里暂时没有……", [])]
    # a grievance told, though nothing was offered: carried
    _, slots = run(validate, _after("货车ETC扣费不对 怎么办", refused, "那我投诉吧"))
    assert slots["intake"]["values"]["facts"] == "货车ETC扣费不对"
    # a plain question, nothing offered: not carried ("车牌丢了怎么办" is no complaint about anyone)
    _, slots = run(validate, _after("出租车起步价多少钱", refused, "我要投诉"))
    assert slots["intake"]["values"] == {} and slots["intake"]["ask"] == "target"
    # an opening that tells something itself keeps its own story
    _, slots = run(validate, _after("出租车司机绕路多收钱怎么办", OFFER, "我要投诉12路公交甩站"))
    assert slots["intake"]["values"]["target"] == "12路公交"
    # a suggestion opened after a statement of what is lacking: the statement is the suggestion
    suggest = ValidateIntake("suggestion", timedelta(hours=72))
    _, slots = run(suggest, _after("服务区厕所太少了 怎么办", refused, "我想提个建议", "suggest"))
    assert slots["intake"]["values"]["facts"] == "服务区厕所太少了" and slots["intake"]["ask"] == "caller_phone"


def test_after_the_theft_referral_a_bare_time_goes_on_with_the_matter(seeded_kb):
    """ "服务区 偷油" was referred to 110 with the complaint offered; "昨晚" then got the KB's refusal, and the matter
    was lost: the complaint opens with the matter told and when it was."""
    from bot.actions.knowledge import ActionAnswerFromKB
    from bot.actions.referral import THEFT_REFERRAL, ActionReferElsewhere

    dispatcher = CollectingDispatcher()
    ActionReferElsewhere(seeded_kb).run(dispatcher, tracker("服务区 偷油", intent="refer_elsewhere"), {})
    referral = dispatcher.messages[0]
    assert referral["text"] == THEFT_REFERRAL and referral["buttons"][0]["payload"] == "/complain"
    theft = [(THEFT_REFERRAL, referral["buttons"])]
    for said in ("昨晚", "京港澳高速漯河服务区"):
        events = ActionAnswerFromKB(seeded_kb).run(CollectingDispatcher(), _after("服务区 偷油", theft, said), {})
        assert events == [{"event": "followup", "timestamp": None, "name": "complaint_form"}], said
    validate = ValidateIntake("complaint", timedelta(hours=72))
    msgs, slots = run(validate, _after("服务区 偷油", theft, "昨晚"))
    values = slots["intake"]["values"]
    assert values["occurred_at"] == "昨晚" and "偷油" in values["facts"] and values["target"] == "服务区"
    assert "已记下您刚才说的情况" in msgs[0]["text"]
    # "投诉" after it: the complaint is about the place's security, which the theft alone does not tell (asked anew)
    msgs, slots = run(validate, _after("服务区 偷油", theft, "投诉"))
    assert slots["intake"]["values"] == {} and slots["intake"]["ask"] == "target"
    # without the offer, a bare time is no complaint (the KB's reply, whatever it is)
    refused = [("抱歉，知识库里暂时没有……", [])]
    events = ActionAnswerFromKB(seeded_kb).run(CollectingDispatcher(), _after("服务区 偷油", refused, "昨晚"), {})
    assert {"event": "followup", "timestamp": None, "name": "complaint_form"} not in events


@pytest.mark.parametrize("said", ["昨天下午", "昨天 下午三点", "晚上", "十点左右"])
def test_a_bare_time_heard_as_a_greeting_goes_on_with_the_offered_complaint(seeded_kb, said):
    """ "出租车绕路多收钱怎么办" — answered, the complaint offered — then "昨天下午": NLU said greet (0.50; "昨天 下午三点"
    0.95) and the greeting with its suggested questions answered; the matter was lost."""
    from bot.actions.knowledge import ActionGreet

    offered = _after("出租车司机绕路多收钱怎么办", OFFER, said, intent="greet")
    dispatcher = CollectingDispatcher()
    assert ActionGreet().run(dispatcher, offered, {}) == [
        {"event": "followup", "timestamp": None, "name": "complaint_form"}
    ]
    assert dispatcher.messages == []
    msgs, slots = run(
        ValidateIntake("complaint", timedelta(hours=72)), _after("出租车司机绕路多收钱怎么办", OFFER, said)
    )
    values = slots["intake"]["values"]
    assert values["occurred_at"] == intake.only_a_time(said) and values["facts"].startswith("出租车司机绕路多收钱")
    assert "已记下您刚才说的情况" in msgs[0]["text"]
    # nothing offered, or a real greeting: the greeting
    for trk in (_after("出租车起步价多少钱", [("根据……", [])], said, "greet"), _after("x", OFFER, "早上好", "greet")):
        dispatcher = CollectingDispatcher()
        assert ActionGreet().run(dispatcher, trk, {}) == []
        assert dispatcher.messages[0]["response"] == "utter_greet"


@pytest.mark.parametrize("said", ["在服务区", "就在收费站那", "服务区"])
def test_a_facilitys_kind_said_after_the_offer_goes_on_with_the_matter(seeded_kb, said):
    """ "加油站加油被多收钱了怎么办" — the complaint offered — then "在服务区": the KB offered three entries on the
    hotline itself (人工服务时间, 差评…); the matter goes on, which service area still to be asked."""
    from bot.actions.knowledge import ActionAnswerFromKB, ActionGreet

    offered = _after("加油站加油被多收钱了怎么办", OFFER, said, intent="consult")
    for action in (ActionAnswerFromKB(seeded_kb), ActionGreet()):
        events = action.run(CollectingDispatcher(), offered, {})
        assert events == [{"event": "followup", "timestamp": None, "name": "complaint_form"}], action
    msgs, slots = run(
        ValidateIntake("complaint", timedelta(hours=72)), _after("加油站加油被多收钱了怎么办", OFFER, said)
    )
    assert (
        slots["intake"]["values"]["facts"].startswith("加油站加油被多收钱了")
        and "location" not in slots["intake"]["values"]
    )
    assert intake.only_when_or_where("在出租车上") is None and intake.only_when_or_where("在说什么") is None


def test_a_finer_time_for_the_demand_is_the_time():
    """The opening said "今天"; "就今天上午十点多" sent when the demand was asked became the demand."""
    step = intake.answer({}, None, "喂 那个 我跟你说啊 我今天在那个郑州南收费站 被那个收费员 骂了 态度特别差")
    assert step.values["target"] == "郑州南收费站" and step.ask == "demand"
    step = intake.answer(step.values, "demand", "就今天上午十点多", step.tries)
    assert step.values["occurred_at"] == "今天上午十点多" and "demand" not in step.values and step.ask == "demand"


def test_a_stretch_of_the_road_or_a_matter_that_goes_on_for_the_demand():
    values = {"target": "路政", "facts": "路政查车罚了五百", "occurred_at": "昨天", "location": "107国道"}
    step = intake.answer(values, "demand", "新乡段")
    assert step.values["location"] == "107国道新乡段" and "demand" not in step.values and step.ask == "demand"
    values = {"target": "黑车", "facts": "天天有人拉客", "location": "新乡火车站", "occurred_at": intake.NOT_GIVEN}
    step = intake.answer(values, "demand", "一直都有")
    assert step.values["occurred_at"] == "一直都有" and "demand" not in step.values and step.ask == "demand"


@pytest.mark.parametrize(
    "said, demand", [("希望取缔", "希望取缔"), ("退钱 开罚单", "退钱 开罚单"), ("还要道歉", "退钱；还要道歉")]
)
def test_what_the_caller_wants_sent_for_the_phone_is_the_demand(said, demand):
    values = {"target": "出租车", "facts": "拒载", "occurred_at": "昨天", "location": "郑州东站"}
    if said == "还要道歉":
        values["demand"] = "退钱"
    step = intake.answer(values, "caller_phone", said)
    assert step.values["demand"] == demand and "caller_phone" not in step.values and step.ask == "caller_phone"
    # a phone, or no phone, is still the phone
    assert intake.answer(values, "caller_phone", "不留电话").values["caller_phone"] == intake.NO_PHONE


@pytest.mark.parametrize("opening", ["在吗 我要反映个事", "你好 我有个事要反映", "喂 我要反映个问题"])
def test_a_greeting_and_a_matter_to_report_is_no_story(opening):
    """ "在吗 我要反映个事" became the story ("事情经过：在吗 我要反映个事；拒载")."""
    step = intake.answer({}, None, opening)
    assert step.values == {} and step.ask == "target"


def test_the_act_named_again_is_no_answer():
    """ "投诉" sent again at "事情大概发生在什么时候？" was added to the story ("已补充到事情经过")."""
    step = intake.answer({}, None, "服务区加油站加油给的发票不对")
    assert step.ask == "occurred_at"
    for text in ("投诉", "我要举报", "投訴！"):
        again = intake.answer(step.values, "occurred_at", text, step.tries)
        assert again.ask == "occurred_at" and again.values == step.values, text
        assert again.say == [intake.HOW_TO_HERE["complain"]]
    step = intake.answer({}, None, "我想提个建议", fields=intake.SUGGESTION_FIELDS)
    again = intake.answer(step.values, step.ask, "提个建议", step.tries, fields=intake.SUGGESTION_FIELDS)
    assert again.ask == "facts" and not again.values.get("facts")


def test_rescue_and_towing_are_whom_and_a_place_said_with_zai_is_where():
    """ "高速上救援拖车收费太贵了 要了我3000" asked whom, then took "在京港澳高速新乡段" as whom; "高速救援乱收费" kept
    nothing of the story."""
    step = intake.answer({}, None, "高速上救援拖车收费太贵了 要了我3000")
    assert step.values["target"] == "救援拖车" and step.values["facts"] == "高速上救援拖车收费太贵了 要了我3000"
    assert intake.answer({}, None, "高速救援乱收费").values == {"target": "高速救援", "facts": "高速救援乱收费"}
    step = intake.answer({}, None, "被多收钱了")
    assert step.values == {"facts": "被多收钱了"} and step.ask == "target"
    step = intake.answer(step.values, "target", "在京港澳高速新乡段", step.tries)
    assert step.ask == "target" and step.values["location"] == "京港澳高速新乡段" and "target" not in step.values
    assert intake.answer({}, "target", "郑州东站").values["target"] == "郑州东站"  # a station complained about


def test_a_place_with_more_of_the_story_keeps_both():
    """ "从郑州东站到新郑机场 收了我280 平时80" for where was stored whole as the place, the story left as "网约车乱收费"."""
    values = {"target": "滴滴网约车", "facts": "网约车乱收费", "occurred_at": "昨天"}
    step = intake.answer(values, "location", "从郑州东站到新郑机场 收了我280 平时80")
    assert step.values["location"] == "从郑州东站到新郑机场" and step.ask == "demand"
    assert step.values["facts"] == "网约车乱收费；收了我280 平时80"
    step = intake.answer(values, "location", "金水路 他还骂我")
    assert step.values["location"] == "金水路" and step.values["facts"].endswith("他还骂我")
    # a ride alone is the place; a place alone stays whole
    assert intake.only_a_place("东站到新郑机场") == "东站到新郑机场"
    assert intake.answer(values, "location", "郑州东站北广场").values["location"] == "郑州东站北广场"


def test_a_firm_by_its_kind_is_whom_and_a_refund_is_a_demand():
    """ "驾校收了钱不给安排考试" asked whom; "退我过路费" for when got "这好像不是时间"."""
    step = intake.answer({}, None, "驾校收了钱不给安排考试")
    assert step.values["target"] == "驾校" and step.ask == "occurred_at"
    step = intake.answer(step.values, "occurred_at", "退我过路费", step.tries)
    assert step.values["demand"] == "退我过路费" and step.ask == "occurred_at"


def test_what_leads_into_the_complaint_is_no_part_of_the_place():
    """ "那我投诉服务区管理不到位" (after the police referral) made "那我投诉服务区" the place and then whom."""
    step = intake.answer({}, None, "那我投诉服务区管理不到位")
    assert step.values["target"] == "服务区" and "location" not in step.values
    assert intake.answer({}, None, "在那个郑州东站被出租车司机骂了").values["location"] == "郑州东站"


def test_an_expressway_by_its_name_is_a_place_and_the_one_who_fined_is_whom():
    """ "货车在高速上被超限站罚了2000" made the caller's own truck whom and "高速上被超限站" the place; "在G4京港澳高速"
    sent for the demand became the demand."""
    step = intake.answer({}, None, "货车在高速上被超限站罚了2000 没给任何单据")
    assert step.values["target"] == "超限站" and "location" not in step.values
    for text in ("在G4京港澳高速", "京港澳高速新乡段", "G107国道", "连霍高速公路"):
        assert intake.only_a_place(text) == text.removeprefix("在"), text
    for text in ("上了高速", "走高速", "在高速上"):
        assert intake.only_a_place(text) is None, text
    values = {"target": "超限站", "facts": "罚了2000 没给单据", "occurred_at": "上个月15号"}
    step = intake.answer(values, "demand", "在G4京港澳高速")
    assert step.values["location"] == "G4京港澳高速" and "demand" not in step.values and step.ask == "demand"


def test_a_plate_beside_a_station_that_did_it_is_the_callers_own():
    """ "我在高速上被收费站多收钱了 收了我三百多 豫A66778 货车" made the driver's own truck whom: the station did it
    (a plate after 被 is still whom complained about)."""
    step = intake.answer({}, None, "师傅 我在高速上被收费站多收钱了 收了我三百多 豫A66778 货车")
    assert step.values["target"] == "收费站"
    step = intake.answer(step.values, step.ask, "今天早上", step.tries)
    step = intake.answer(step.values, step.ask, "郑州北收费站", step.tries)
    assert step.values["target"] == step.values["location"] == "郑州北收费站"
    assert intake.prefill("豫A12345被超限站罚了两千不给票", {})["target"] == "超限站"
    assert intake.prefill("我被豫A12345出租车司机骂了", {})["target"] == "豫A12345出租车"
    assert intake.prefill("被豫A12345撞了 在收费站", {})["target"] == "豫A12345"


def test_the_story_naming_which_vehicle_narrows_whom_and_is_kept():
    """Whom "公交车", then "12路公交车司机不等乘客坐稳就开车" for what happened: the order said only 公交车; whom
    "出租车", then "豫A12345出租车司机绕路": the plate was taken and the story dropped (what happened asked again)."""
    for kind, story, whom in (
        ("公交车", "12路公交车司机不等乘客坐稳就开车", "12路公交车"),
        ("出租车", "豫A12345出租车司机绕路", "豫A12345出租车"),
    ):
        step = intake.answer({}, None, kind)
        step = intake.answer(step.values, step.ask, story, step.tries)
        assert step.values == {"target": whom, "facts": story} and step.ask == "occurred_at", story
    # a story that names no vehicle leaves whom as it is; a plate alone is that vehicle's (the story still asked)
    step = intake.answer({"target": "公交车"}, "facts", "司机开车玩手机", {})
    assert step.values["target"] == "公交车"
    step = intake.answer({"target": "大巴"}, "facts", "豫B12345 大巴", {})
    assert step.values == {"target": "大巴（豫B12345）"} and step.ask == "facts"


def test_a_stretch_of_time_is_a_time_not_a_place():
    """ "这个月一直这样" for where was stored as the place; "停运好几个月了" told no time."""
    values = {"target": "公交公司", "facts": "12路公交车不按时发车"}
    step = intake.answer(values, "location", "这个月一直这样")
    assert step.ask == "location" and "location" not in step.values and step.values["occurred_at"] == "这个月"
    step = intake.answer({}, None, "我们村里的客运班车停运好几个月了")
    assert step.values["occurred_at"] == "好几个月" and step.ask != "occurred_at"


def test_a_landline_needs_a_mainland_area_code():
    """ "0912345678" (a Taiwan mobile) was taken for the landline 091-2345678."""
    values = {"target": "x", "facts": "绕路", "occurred_at": "昨天", "location": "站", "demand": "退钱"}
    assert "caller_phone" not in intake.answer(values, "caller_phone", "0912345678").values
    for text, stored in (
        ("0373-3011234", "0373-3011234"),
        ("0371 12345678", "0371-12345678"),
        ("01012345678", "010-12345678"),
    ):
        assert intake.answer(values, "caller_phone", text).values["caller_phone"] == stored, text


def test_a_question_about_giving_ones_name_gets_the_forms_own_answer():
    """ "等一下 我先问一下 投诉要实名吗" mid-form got 第二十三条 (time limits) as "您问的可能是这一条"."""
    values = {"target": "出租车（豫A12345）", "facts": "出租车拒载"}
    for text in ("等一下 我先问一下 投诉要实名吗", "會不會洩露我的個人資料"):
        step = intake.answer(values, "occurred_at", text)
        assert step.say == [intake.ANONYMITY_REPLY] and step.ask == "occurred_at" and step.question is None, text
        assert step.values == values
    # the answer itself is no question: "匿名" fills the identity
    assert intake.answer(values, "identity", "匿名").values["identity"] == "匿名"
    assert not intake.asks_about_anonymity("我要匿名")


def test_the_where_question_said_back_is_no_part_of_the_place():
    """ "在哪 我在京港澳高速漯河服务区" for where was stored as "哪我在京港澳高速漯河服务区"."""
    for text in ("在哪 我在京港澳高速漯河服务区", "哪里？京港澳高速漯河服务区", "在哪里呢，京港澳高速漯河服务区"):
        assert intake.only_a_place(text) == "京港澳高速漯河服务区", text
    assert intake.only_a_place("哪吒路公交站") == "哪吒路公交站"  # a name that begins with 哪 is kept
    values = {"target": "加油站", "facts": "服务区加油站加的油有问题 车开不动了"}
    step = intake.answer(values, "occurred_at", "在哪 我在京港澳高速漯河服务区")
    assert step.values["location"] == "京港澳高速漯河服务区" and step.ask == "occurred_at"
    assert intake.answer(values, "location", "在哪儿？我在郑州东站").values["location"] == "郑州东站"


def test_the_fuel_company_named_says_whose_station():
    """ "中石化" sent for "您希望怎么处理？" (after "服务区加油站加的油有问题") was stored as the demand."""
    values = {
        "target": "京港澳高速漯河服务区加油站",
        "facts": "服务区加油站加的油有问题 车开不动了",
        "location": "京港澳高速漯河服务区",
        "occurred_at": "今天早上",
    }
    step = intake.answer(values, "demand", "中石化")
    assert step.values["target"] == "京港澳高速漯河服务区中石化加油站" and "demand" not in step.values
    assert step.ask == "demand" and step.say == ["已记下投诉对象：京港澳高速漯河服务区中石化加油站。"]
    assert intake.find_target("中石化加油站加的油有问题") == "中石化加油站"
    assert intake.answer({}, None, "中石化加油站加的油有问题 车开不动了").values["target"] == "中石化加油站"


def test_no_need_for_a_demand_keeps_the_complaint():
    """ "不用了" to "您希望怎么处理？" cancelled the whole complaint; it is no particular demand (the read-back still
    offers 取消), while "算了" and "不投诉了" still end the form."""
    values = {"target": "出租车", "facts": "出租车不打表", "occurred_at": "刚才", "location": "郑州东站"}
    for text in ("不用了", "不需要", "不用"):
        step = intake.answer(values, "demand", text)
        assert not step.cancelled and step.values["demand"] == intake.NOT_GIVEN and step.ask == "caller_phone", text
    for text in ("算了", "不投诉了"):
        assert intake.answer(values, "demand", text).cancelled, text


def test_which_line_a_suggestion_is_about_belongs_to_it():
    """ "12路" sent for the phone of "公交车太少了 … 建议加车" got "手机号格式好像不对"."""
    values = {"facts": "公交车太少了 等半个小时都不来 建议加车"}
    for text in ("12路", "郑州东站"):
        step = intake.answer(values, "caller_phone", text, fields=intake.SUGGESTION_FIELDS)
        assert step.values["facts"].endswith(f"；{text}") and step.ask == "caller_phone", text
        assert step.say == ["已补充到您的建议中。"], text
    assert "facts" not in intake.answer({}, "caller_phone", "好", fields=intake.SUGGESTION_FIELDS).values


def test_a_bus_terminal_by_its_name_is_the_place_and_whom():
    """ "郑州汽车客运总站" sent for when (after "客运站不让我退票") was added to the story, and the place was asked for
    until the caller gave up."""
    for text in ("郑州汽车客运总站", "郑州客运总站", "二七客运中心"):
        assert intake.only_a_place(text) == text, text
    step = intake.answer({"target": "客运站", "facts": "客运站不让我退票"}, "occurred_at", "郑州汽车客运总站")
    assert step.values["location"] == step.values["target"] == "郑州汽车客运总站" and step.ask == "occurred_at"
    assert step.values["facts"] == "客运站不让我退票"


def test_a_firm_named_after_its_kind_says_which_one():
    """ "金鹏驾校" sent for when (after "驾校收了钱不给安排考试") got "这好像不是时间"."""
    values = {"target": "驾校", "facts": "驾校收了钱不给安排考试", "location": "郑州"}
    step = intake.answer(values, "occurred_at", "金鹏驾校")
    assert step.values["target"] == "金鹏驾校" and step.say == ["已记下投诉对象：金鹏驾校。"]
    assert step.ask == "occurred_at" and "occurred_at" not in step.values


def test_a_demand_and_a_phone_sent_for_another_question_fill_their_own_fields():
    """A driver's voice message "我要求他们退钱 我的电话是一三九 一二三四 五六七八" sent for where was stored whole as the
    place; "要求退钱 电话138…" for the demand kept the number in the demand."""
    values = {"target": "服务区", "facts": "高速服务区有人收保护费 不交不让停车", "occurred_at": "昨天夜里"}
    step = intake.answer(values, "location", "我要求他们退钱 我的电话是一三九 一二三四 五六七八")
    assert "location" not in step.values and step.ask == "location"
    assert step.values["demand"] == "要求他们退钱" and step.values["caller_phone"] == "13912345678"
    assert step.say == ["已记下您的诉求：要求他们退钱。", "已记下联系电话 13912345678。"]
    untimed = {k: v for k, v in values.items() if k != "occurred_at"}
    step = intake.answer(untimed, "occurred_at", "要求退钱 电话13812340003 匿名")
    assert step.values["identity"] == "匿名" and step.ask == "occurred_at" and "occurred_at" not in step.values
    assert step.values["demand"] == "要求退钱" and step.values["caller_phone"] == "13812340003"
    # the place with them answers the question asked
    step = intake.answer(values, "location", "在漯河服务区 要求退钱 电话13812340003")
    assert step.values["location"] == "漯河服务区" and step.values["demand"] == "要求退钱"
    assert step.ask == "identity"
    step = intake.answer({**values, "location": "漯河服务区"}, "demand", "要求退钱 电话13812340003")
    assert step.values["demand"] == "要求退钱" and step.values["caller_phone"] == "13812340003"


def test_a_long_distance_coach_by_its_everyday_name_is_whom():
    """ "长途车司机一直抽烟" asked whom: 长途车 / 长途汽车 / 长途大巴 are how passengers name a coach."""
    for text, whom in (
        ("长途车司机一直抽烟", "长途车"),
        ("坐长途大巴被多收钱", "长途大巴"),
        ("长途汽车超载", "长途汽车"),
    ):
        values = intake.prefill(text)
        assert values["target"] == whom and intake.next_field(values) != "target", text


def test_a_toll_booth_complaint_told_as_drivers_tell_it():
    """ "收费站多收我钱" then: "不记得了" for when got "这好像不是时间"; "连霍高速 中牟收费站" was added to the story;
    "退多收的20块钱" too; and "实名 王强" sent for where was stored as the place."""
    values = {"target": "收费站", "facts": "收费站多收我钱"}
    for text in ("不记得了", "我也记不清了", "忘记了"):
        step = intake.answer(values, "occurred_at", text)
        assert step.values["occurred_at"] == intake.NOT_GIVEN and step.ask == "location", text
        assert step.values["facts"] == "收费站多收我钱", text
    assert intake.only_a_place("连霍高速 中牟收费站") == "连霍高速中牟收费站"
    step = intake.answer(values, "occurred_at", "连霍高速 中牟收费站")
    assert step.values["location"] == step.values["target"] == "连霍高速中牟收费站" and step.ask == "occurred_at"
    step = intake.answer(values, "occurred_at", "退多收的20块钱")
    assert step.values["demand"] == "退多收的20块钱" and step.values["facts"] == "收费站多收我钱"
    step = intake.answer({**values, "occurred_at": "昨天"}, "location", "实名 王强")
    assert step.values["identity"] == "实名:王强" and "location" not in step.values and step.ask == "location"
    assert step.say == ["好的，实名反映（王强）。"]


def test_how_long_it_takes_is_told_from_other_questions():
    """ "投诉出租车司机拒载的话要几天能处理" (mid-form, the form answers it: bot/actions/knowledge.answer_in_form)."""
    for text in ("投诉出租车司机拒载的话要几天能处理", "多久能有结果", "處理要多久", "什么时候给答复"):
        assert intake.asks_about_time_limit(text), text
    for text in ("出租车几点能到", "昨天下午几点", "投诉要实名吗", "处理司机"):
        assert not intake.asks_about_time_limit(text), text


def test_a_yes_for_the_phone_is_asked_for_the_number_not_told_its_format_is_wrong():
    """ "确认" sent for the phone (the caller thought the form was done) got "手机号格式好像不对"."""
    values = {"target": "出租车", "facts": "出租车不打表", "occurred_at": "昨天晚上", "location": "新乡东站"}
    values |= {"demand": "退钱", "identity": "匿名"}
    for text in ("确认", "好的", "可以"):
        step = intake.answer(values, "caller_phone", text)
        assert step.say[0].startswith("请直接发送您的手机号") and step.ask == "caller_phone", (text, step.say)
        assert "caller_phone" not in step.values
    step = intake.answer(values, "caller_phone", "1381234567")  # a digit short: that is the wrong format
    assert step.say[0].startswith("手机号格式好像不对") and step.ask == "caller_phone"
    assert intake.answer(values, "caller_phone", "幺三八一二三四五六七八").values["caller_phone"] == "13812345678"


def test_asked_to_redo_the_field_being_asked_it_is_asked_again_not_answered_with_those_words():
    """ "修改 地点" sent for the place (the caller meant to change it) was kept as the place, "修改 地点"."""
    values = {"target": "1路公交", "facts": "司机开车打电话", "occurred_at": "今天早上"}
    for text in ("修改 地点", "修改地点", "改一下地点", "重新填写地点"):
        step = intake.answer(dict(values), "location", text)
        assert not step.values.get("location") and step.ask == "location", (text, step.values)
    assert intake.answer(dict(values), "location", "修改地点 人民路站").values["location"] == "人民路站"
    assert intake.answer(dict(values), "location", "地点是人民路站").values["location"] == "人民路站"
    # another field's change is still that field's ("修改时间" at the place: the time asked again)
    step = intake.answer(dict(values), "location", "修改时间")
    assert not step.values.get("occurred_at") and step.ask == "occurred_at"


@pytest.mark.parametrize("text", ["更正一下", "我要更正", "改一下", "说错了", "刚才说错了", "重新填", "有错", "填错了"])
@pytest.mark.parametrize("asked", ["location", "occurred_at", "demand", "caller_phone"])
def test_a_wish_to_correct_that_names_nothing_asks_which(asked, text):
    """ "更正一下" sent for the place was kept as the place, and "刚才说错了" became the time ("刚才")."""
    values = {"target": "出租车", "facts": "司机不打表多收钱", "occurred_at": "昨天晚上", "location": "郑州东站"}
    values.pop(asked, None)
    step = intake.answer(dict(values), asked, text)
    assert step.ask == asked and any("要修改哪一项" in s for s in step.say), (asked, text, step.say)
    assert {k: v for k, v in step.values.items() if k in values or k == asked} == values


def test_asked_to_wait_the_question_waits_and_a_no_to_the_offered_place_is_still_its_answer():
    values = {"target": "出租车", "facts": "司机不打表多收钱", "occurred_at": "昨天晚上"}
    for text in ("等一下", "我想想", "稍等"):
        step = intake.answer(dict(values), "location", text)
        assert step.ask == "location" and not step.values.get("location") and "不着急" in step.say[0]
    offered = {**values, "location_offer": "郑州东站"}
    step = intake.answer(offered, "location", "不对")
    assert not step.values.get("location") and step.ask == "location" and "什么地方" in (step.say or [""])[-1]


def test_where_the_callers_vehicle_was_is_the_place_without_the_vehicle():
    """ "货车在服务区加油被多收钱了" made both the place and the target "货车在服务区" (and a place sent later was not
    taken, one being known): the truck is the caller's; which service area is asked."""
    step = intake.answer({}, None, "货车在服务区加油被多收钱了")
    assert "location" not in step.values and step.values["target"] == "服务区"
    step = intake.answer(step.values, step.ask, "昨天", step.tries)
    assert step.ask == "location"
    step = intake.answer(step.values, step.ask, "连霍高速三门峡服务区", step.tries)
    assert step.values["location"] == step.values["target"] == "连霍高速三门峡服务区"
    assert intake.prefill("货车在三门峡服务区加油被多收钱", {})["location"] == "三门峡服务区"
    assert intake.prefill("大巴在收费站被拦了", {}).get("location") is None
    assert intake.prefill("出租车在火车站拒载", {})["location"] == "火车站"
    # a driver's own semi-trailer ("半挂车", not a kind complained about) is no part of the place either
    assert intake.prefill("豫A12345的半挂车在服务区被人偷了油", {}).get("location") is None
    assert intake.prefill("我的半挂车在三门峡服务区被偷油了", {})["location"] == "三门峡服务区"
    assert intake.prefill("我开的挂车在郑州东服务区被人偷了油", {})["location"] == "郑州东服务区"


def test_whom_named_with_where_fills_both_and_is_not_the_story():
    """ "郑州东站出租车" for whom became the story ("郑州东站出租车；司机拒载") and where was asked again."""
    for said in ("郑州东站出租车", "出租车 在郑州东站", "郑州东站的出租车司机"):
        step = intake.answer({}, None, "我要投诉")
        step = intake.answer(step.values, step.ask, said, step.tries)
        assert step.values == {"target": "出租车", "location": "郑州东站"} and step.ask == "facts", said
    step = intake.answer({}, "target", "郑州东站出租车拒载", {})
    assert step.values["location"] == "郑州东站" and step.values["facts"] == "郑州东站出租车拒载"


def test_a_facility_named_by_its_kind_first_and_then_which_one_is_the_place():
    """A whole complaint in one message: "高速收费站收费员…骂人 G30连霍高速郑州西收费站 …" took only the first match, the
    kind ("高速收费站"), found no place in it and asked where."""
    text = "高速收费站收费员态度恶劣 骂人 G30连霍高速郑州西收费站 昨天晚上9点 要求道歉 电话13512345678 实名 张伟"
    step = intake.answer({}, None, text, now=NOW)
    assert step.values["location"] == "G30连霍高速郑州西收费站" and step.ask == "confirm"
    assert intake.find_place("晚上停车场没有保安巡逻 油被偷了") is None


def test_a_part_of_the_place_already_named_makes_it_finer():
    """ "郑州东站的出租车司机" (whom and where), later "东广场": "已记下地点：郑州东站" and 东广场 was dropped."""
    values = {"target": "出租车", "location": "郑州东站", "facts": "拒载", "occurred_at": "昨天晚上"}
    step = intake.answer(dict(values), "demand", "东广场", {})
    assert step.values["location"] == "郑州东站东广场" and step.say == ["已记下地点：郑州东站东广场。"]
    step = intake.answer(dict(values), "demand", "新乡东站", {})
    assert step.values["location"] == "郑州东站"  # another place never overwrites an answer ...
    assert step.say == ["地点已记为“郑州东站”；如需改为“新乡东站”，请回复“地点改成新乡东站”。"]  # ... nor is said to
    step = intake.answer(step.values, step.ask, "地点改成新乡东站", step.tries)
    assert step.values["location"] == "新乡东站"


def test_no_plate_said_for_when_is_not_added_to_the_story():
    """ "出租车司机态度很差" / "什么时候？" / "我不知道车牌": the story became "出租车司机态度很差；我不知道车牌"."""
    step = intake.answer({"target": "出租车", "facts": "出租车司机态度很差"}, "occurred_at", "我不知道车牌", {})
    assert step.values["facts"] == "出租车司机态度很差" and step.ask == "occurred_at"
    assert step.say == ["没关系，不记得车牌也可以登记。"]


@pytest.mark.parametrize("said", ["重新开始", "从头来", "我要重新登记"])
def test_starting_over_drops_every_answer_and_asks_the_first_question(said):
    """ "重新开始" for what happened was kept as the story, and the next message ("投诉出租车") added to it."""
    step = intake.answer({}, None, "我要投诉")
    step = intake.answer(step.values, step.ask, "12路公交", step.tries)
    step = intake.answer(step.values, step.ask, said, step.tries)
    assert step.values == {} and step.ask == "target" and step.say == ["好的，我们从头开始登记。"]
    done = {"target": "出租车", "facts": "拒载拒载", "occurred_at": "昨天", "location": "郑州站", "demand": "处理"}
    step = intake.answer({**done, "caller_phone": intake.NO_PHONE, "identity": "匿名"}, "confirm", said, {})
    assert step.values == {} and step.ask == "target" and not step.done
    step = intake.answer({}, "facts", said, {}, fields=intake.SUGGESTION_FIELDS)
    assert step.ask == "facts" and step.values == {}


def test_go_on_and_back_mid_form():
    """ "继续" after a question answered mid-form was "这好像不是时间。"; "返回" was asked for the suggestion."""
    step = intake.answer({"target": "12路公交", "facts": "司机不等人就关门"}, "occurred_at", "继续", {})
    assert step.say == ["好的，我们继续。"] and step.ask == "occurred_at" and "occurred_at" not in step.values
    for said in ("返回", "退出"):
        step = intake.answer({}, "facts", said, {}, fields=intake.SUGGESTION_FIELDS)
        assert step.cancelled, said


def test_the_complaint_word_before_whom_is_no_story():
    """ "投诉出租车" for whom (after "重新开始") was stored as the story too, and what happened never asked."""
    for said, whom in (("投诉出租车", "出租车"), ("我要投诉出租车", "出租车"), ("举报黑车", "黑车")):
        step = intake.answer({}, "target", said, {})
        assert step.values == {"target": whom} and step.ask == "facts", said
    step = intake.answer({}, "target", "投诉出租车拒载", {})
    assert step.values["facts"] == "投诉出租车拒载" and step.ask == "occurred_at"


def test_ripped_off_in_a_word_for_whom_is_the_story():
    """ "被宰了" for whom became the 投诉对象 "被宰了"."""
    for said in ("被宰了", "被坑了"):
        step = intake.answer({}, "target", said, {})
        assert step.values == {"facts": said} and step.ask == "target", said
    assert intake.prefill("在服务区吃饭被宰了", {})["facts"] == "在服务区吃饭被宰了"


@pytest.mark.parametrize("said", ["我想匿名", "还是匿名吧", "不想留名", "我想匿名投诉"])
def test_anonymous_in_more_words_for_another_question_is_the_identity(said):
    """ "我想匿名" for the phone was told "请直接发送您的手机号"; only "匿名" itself was taken."""
    values = {"target": "出租车", "facts": "拒载拒载", "occurred_at": "昨天", "location": "郑州站", "demand": "处理"}
    step = intake.answer(values, "caller_phone", said, {})
    assert step.values["identity"] == "匿名" and step.ask == "caller_phone"
    assert step.say == ["好的，匿名反映，不登记您的姓名。联系电话只用于告知办理结果，依法保密，不会告诉被投诉方。"]
    assert "caller_phone" not in step.values  # still asked: "不留电话" is the way not to leave one


def test_a_vehicle_at_a_station_is_whom_and_the_station_where():
    """ "郑州汽车站的大巴超载" made the station the 投诉对象; the bus is, at the station."""
    for said, whom, where in (
        ("郑州汽车站的大巴超载", "大巴", "郑州汽车站"),
        ("新乡汽车站门口的出租车拒载", "出租车", "新乡汽车站"),
    ):
        told = intake.prefill(said, {})
        assert (told["target"], told["location"]) == (whom, where), said
    assert intake.prefill("郑州汽车站售票员态度差", {})["target"] == "郑州汽车站"  # the station's own staff


def test_real_name_without_the_name_asks_for_the_name_only():
    """ "实名" alone was met with "请告诉我您的姓名（如“实名 张三”）。" and then "是否实名反映？…" again."""
    values = {"target": "出租车", "facts": "拒载拒载", "occurred_at": "昨天", "location": "郑州站", "demand": "处理"}
    values["caller_phone"] = "13800138000"
    step = intake.answer(values, "identity", "实名", {})
    assert step.say == [] and step.ask == "identity" and step.values["name_asked"]
    msgs, _ = run(AskIntake("complaint"), tracker("实名", {"intake": {"values": step.values, "ask": "identity"}}))
    assert msgs[0]["text"] == intake.NAME_QUESTION
    step = intake.answer(step.values, step.ask, "王芳", step.tries)
    assert step.values["identity"] == "实名:王芳" and "name_asked" not in step.values and step.ask == "confirm"
    assert "name_asked" not in intake.to_order(step.values, "complaint", "web:x", "web")


@pytest.mark.parametrize("said", ["没什么要求", "没啥要求", "没有要求", "没什么诉求"])
def test_no_particular_demand_in_a_drivers_words(said):
    """ "没什么要求" for "您希望怎么处理？" was answered as a question (管理办法 第十条) and the demand asked again."""
    values = {"target": "出租车", "facts": "他骂人骂人", "occurred_at": "昨晚", "location": intake.NOT_GIVEN}
    assert not intake.asks_question(said, "demand")
    step = intake.answer(values, "demand", said, {})
    assert step.values["demand"] == intake.NOT_GIVEN and step.ask == "caller_phone"


@pytest.mark.parametrize("said", ["实名", "我要实名"])
def test_real_name_said_for_another_question_is_kept_for_the_identity(said):
    """ "实名" for the demand was stored as the demand "实名"."""
    values = {"target": "出租车", "facts": "他骂人骂人", "occurred_at": "昨晚", "location": intake.NOT_GIVEN}
    step = intake.answer(values, "demand", said, {})
    assert "demand" not in step.values and step.ask == "demand" and step.values["name_asked"]
    assert step.say == ["好的，实名反映，稍后请告诉我您的姓名。"]
    assert intake.question("identity", step.values) == intake.NAME_QUESTION


TAXI_TOLD = {"target": "出租车", "facts": "出租车绕路多收钱", "occurred_at": "昨天", "location": "郑州东站"}


@pytest.mark.parametrize(
    "said, target, looks",
    [
        ("车牌号是豫A12345 白色的现代", "出租车（豫A12345）", "白色的现代"),
        ("车牌号是苏A·D12345 白色比亚迪", "出租车（苏AD12345）", "白色比亚迪"),
    ],
)
def test_a_plate_with_the_vehicles_looks_for_the_demand_is_the_plate(said, target, looks):
    """A plate said with the car's colour and make when the demand was asked was stored as the demand (the plate lost
    from whom; the real demand, sent next, lost too)."""
    step = intake.answer(dict(TAXI_TOLD), "demand", said)
    assert step.values["target"] == target and "demand" not in step.values and step.ask == "demand"
    assert step.values["facts"].endswith(f"车辆：{looks}")


def test_more_of_the_story_for_the_demand_is_the_story():
    said = "对了 是从火车站去二七广场的时候 他故意走了高架"
    step = intake.answer(dict(TAXI_TOLD), "demand", said)
    assert "demand" not in step.values and step.ask == "demand" and step.values["facts"].endswith(said)
    step = intake.answer(dict(TAXI_TOLD), "demand", "希望退钱 他还骂人")  # a demand with more story: the demand
    assert step.values["demand"] == "希望退钱 他还骂人"


def test_a_line_said_with_shi_for_the_demand_narrows_whom():
    values = {"target": "公交车", "facts": "公交车不进站", "occurred_at": "昨天", "location": "人民路站"}
    step = intake.answer(values, "demand", "是56路")
    assert step.values["target"] == "56路公交车" and "demand" not in step.values and step.ask == "demand"


@pytest.mark.parametrize("said", ["你是机器人吗", "喂 在吗", "在吗", "有人嗎"])
@pytest.mark.parametrize("asked", ["facts", "demand"])
def test_small_talk_mid_form_is_answered_and_kept_out_of_the_order(said, asked):
    """ "你是机器人吗" mid-form was added to what happened ("已补充到事情经过"), "在吗" taken for the demand."""
    values = dict(TAXI_TOLD) if asked == "demand" else {"target": "出租车"}
    step = intake.answer(dict(values), asked, said)
    assert step.values == values and step.ask == asked and "智能助手" in step.say[0] and step.question is None


@pytest.mark.parametrize(
    "said", ["我要投訴計程車司機拒載", "計程車繞路 車牌京A12345", "建議公車增加夜間班次", "小黃司機態度很差"]
)
def test_traditional_taxi_and_bus_words_are_city_passenger_transport(said):
    """Orders about 計程車 and 公車 were filed under 其他 (their Simplified twins under 城市客运), so they went to no
    city-transport statistics or unit."""
    assert intake.classify_domain(said) == "城市客运"


def test_the_callers_phone_told_in_the_story_is_not_in_what_happened():
    """ "…拒载 要求严肃处理 电话13812340000" in one message: the number was the order's contact and also stayed in
    what happened, which the handling unit — and the party complained about — reads. The driver's number stays."""
    values = {
        "target": "出租车",
        "facts": "出租车司机拒载 要求严肃处理 电话138 1234 0000。司机电话13912345678",
        "occurred_at": "昨天",
        "location": "郑州东站",
        "caller_phone": "13812340000",
        "identity": "匿名",
    }
    order = intake.to_order(values, "complaint", "web:x", "web")
    assert order["caller_phone"] == "13812340000"
    assert "13812340000" not in order["facts"] and "138 1234 0000" not in order["facts"]
    assert order["facts"] == "出租车司机拒载 要求严肃处理。司机电话13912345678"


def test_a_corrected_plate_keeps_the_vehicle_it_belongs_to():
    """ "修改车牌" then "豫A8K889", or "车牌不对 是豫A55555", made whom the bare plate: 出租车 was lost."""
    told = {
        "target": "出租车（豫A8K888）",
        "facts": "绕路",
        "occurred_at": "昨天",
        "location": "郑州东站",
        "demand": "退钱",
        "caller_phone": "13812345678",
        "identity": "匿名",
    }
    step = intake.answer(dict(told), "confirm", "修改车牌")
    assert step.ask == "target" and not step.values.get("target")
    step = intake.answer(step.values, step.ask, "豫A8K889", step.tries)
    assert step.values["target"] == "出租车（豫A8K889）" and step.ask == "confirm"
    for asked in ("confirm", "demand"):
        step = intake.answer(dict(told), asked, "车牌不对 是豫A55555")
        assert step.values["target"] == "出租车（豫A55555）", asked
