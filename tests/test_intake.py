"""Complaint / suggestion intake: recognisers, the form's steps, and the Rasa actions run as rasa_sdk runs them."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import ActionSubmitIntake, AskIntake, ValidateIntake, ValidateStatus
from bot.actions.work_orders import ActionLeaveQuestion, ActionRate, rating_from
from hotline.clock import CHINA
from hotline.db import Database
from work_orders import intake
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
        ("没有车牌", None),
    ],
)
def test_plates(text, plate):
    assert intake.find_plate(text) == plate


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
    # a consultation question in the middle: left to the rules (no events = the form is rejected this turn)
    assert run(validate, tracker("投诉要多久才有结果？", slots, "consult", "complaint_done"))[1] == {}
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
        f"最迟将于10月12日（周一）前答复您。查询进度请发送“查询工单 {number}”。"
    )
    meta = msgs[1]["custom"]["hotline_meta"]["work_order"]
    assert meta["type"] == "consultation" and meta["deadline"] == "2026-10-12T23:59:59+08:00"
    assert meta["deadline_text"].startswith("10月12日（周一）前答复（转办后3个工作日内")


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
    step = intake.answer({"target": "收费站"}, "caller_phone", text)
    assert step.cancelled and step.reply and "手机号" not in "".join(step.say)


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


@pytest.mark.parametrize("field", ["facts", "occurred_at", "location", "demand"])
def test_a_question_is_not_stored_as_an_answer(field):
    step = intake.answer({"target": "收费站"}, field, "網約車司機繞路怎麼投訴")
    assert step.ask == field and field not in step.values and step.say


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
    ],
)
def test_times_are_resolved_to_china_time(words, resolved):
    from work_orders import when

    assert when.resolve(when.find(words), NOW.replace(tzinfo=None)) == resolved


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
