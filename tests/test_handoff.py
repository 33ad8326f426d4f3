"""Handoff to a human operator: the service on SQLite and PostgreSQL, service hours on the China working-day
calendar with a frozen clock, and the HTTP flow between the web chat and the operator console."""

import threading
from datetime import UTC, date, datetime, time

import pytest

from handoff import Handoffs
from handoff.errors import HandoffConflict, HandoffError
from handoff.service import CANCELLED_NOTE, QUEUED_NOTE, TAKEN_NOTE
from hotline.clock import CHINA
from hotline.db import Database
from hotline.errors import NotFound
from hotline.settings import ServiceHours, parse_service_hours
from tests.conftest import make_settings
from work_orders.service import WorkOrders

FRIDAY_10 = datetime(2026, 11, 20, 10, 0, tzinfo=CHINA)  # a plain working Friday
TRANSCRIPT = [
    {"who": "user", "text": "我要投诉，电话13812345678", "at": 1763604000.5},
    {"who": "bot", "text": "请问您要投诉哪辆车？", "at": "2026-11-20T01:59:00+00:00"},
    {"who": "system", "text": "ignored"},
    {"who": "user", "text": "   "},
    "junk",
    {"who": "user", "text": "转人工"},
]


def make(db_url) -> tuple[Handoffs, WorkOrders]:
    db = Database(db_url)
    db.migrate()
    work_orders = WorkOrders(db)
    return Handoffs(db, work_orders.calendar), work_orders


@pytest.fixture
def service(db_url):
    return make(db_url)[0]


@pytest.fixture
def sqlite_service(tmp_path):
    return make(f"sqlite:///{tmp_path / 'h.db'}")


# ------------------------------------------------------------------------------------------------ service


def test_request_queues_in_order_and_keeps_one_open_handoff_per_user(service):
    first = service.request("web:abc123", "user_request", TRANSCRIPT, now=FRIDAY_10)
    assert first["status"] == "queued" and first["position"] == 1 and "人工客服" in first["message"]
    second = service.request("wechat:o-openid", "repeated_failure", [], now=FRIDAY_10)
    assert second["status"] == "queued" and second["position"] == 2
    again = service.request("web:abc123", "user_request", [], now=FRIDAY_10)
    assert again["status"] == "already" and again["position"] == 1 and "排队第1位" in again["message"]
    assert service.active("web:abc123", now=FRIDAY_10)["state"] == "queued"
    assert service.active("web:nobody", now=FRIDAY_10) is None

    detail = service.get(first["handoff_id"], now=FRIDAY_10)
    assert [(t["who"], t["text"]) for t in detail["transcript"]] == [
        ("user", "我要投诉，电话138****5678"),
        ("bot", "请问您要投诉哪辆车？"),
        ("user", "转人工"),
    ]
    assert detail["transcript"][0]["at"].startswith("2025-11-20T02:00:00")  # Rasa's epoch seconds → ISO
    assert detail["sender"] == "web:abc123" and detail["masked"] is True

    queue = service.queue(now=FRIDAY_10)
    assert [(h["channel_label"], h["position"], h["reason_label"]) for h in queue] == [
        ("网站", 1, "用户要求转人工"),
        ("微信公众号", 2, "多次未能解答"),
    ]
    assert "sender" not in queue[0] and queue[0]["user_tag"].startswith("访客")

    with pytest.raises(HandoffError):
        service.request("no-channel", "user_request", [], now=FRIDAY_10)


def test_an_urgent_report_is_queued_before_the_others_and_told_its_real_place(service):
    for i in range(8):
        assert (
            service.request(f"web:calm{i:04d}", "user_request", [{"who": "user", "text": "转人工"}], now=FRIDAY_10)[
                "position"
            ]
            == i + 1
        )
    urgent = [{"who": "user", "text": "我在卫辉检查站被劝返了 急"}, {"who": "bot", "text": "…"}]
    first = service.request(
        "web:turnedback1", "user_request", urgent + [{"who": "user", "text": "转人工"}], now=FRIDAY_10
    )
    assert first["status"] == "queued" and first["urgent"] is True
    assert first["position"] == 1 and "优先" in first["message"] and "排队第1位" in first["message"]
    hazard = [{"who": "user", "text": "大巴车严重超员 还在高速上跑"}]
    second = service.request("wechat:o-hazard", "user_request", hazard, now=FRIDAY_10)
    assert second["position"] == 2 and second["urgent"] is True
    # the bot's words do not make a conversation urgent
    calm = service.request("web:calm9999", "user_request", [{"who": "bot", "text": "层层加码"}], now=FRIDAY_10)
    assert calm["position"] == 11 and calm["urgent"] is False

    queue = service.queue(now=FRIDAY_10)
    assert [h["position"] for h in queue] == list(range(1, 12))
    assert [h["urgent"] for h in queue[:3]] == [True, True, False]
    assert queue[0]["id"] == first["handoff_id"] and queue[1]["id"] == second["handoff_id"]
    assert service.active("web:calm0000", now=FRIDAY_10)["position"] == 3
    assert service.active("wechat:o-hazard", now=FRIDAY_10)["position"] == 2


def test_take_talk_and_close(service):
    handoff_id = service.request("web:abc123", "user_request", TRANSCRIPT, now=FRIDAY_10)["handoff_id"]
    service.user_message("web:abc123", "有人吗？我的手机13812345678", now=FRIDAY_10)
    assert service.queue(now=FRIDAY_10)[0]["messages"][0]["text"] == "有人吗？我的手机138****5678"
    with pytest.raises(HandoffConflict) as exc:
        service.operator_message(handoff_id, "op1", "您好", now=FRIDAY_10)
    assert exc.value.code == "not_taken" and exc.value.status == 409

    taken = service.take(handoff_id, "op1", now=FRIDAY_10)
    assert taken["state"] == "taken" and taken["operator"] == "op1" and taken["masked"] is False
    assert taken["transcript"][0]["text"] == "我要投诉，电话13812345678"  # full once taken
    assert taken["messages"][0]["text"] == "有人吗？我的手机13812345678"
    assert service.active("web:abc123", now=FRIDAY_10)["state"] == "taken"
    with pytest.raises(HandoffConflict) as exc:
        service.take(handoff_id, "op2", now=FRIDAY_10)
    assert exc.value.code == "already_taken" and "op1" in exc.value.message
    with pytest.raises(HandoffConflict) as exc:
        service.operator_message(handoff_id, "op2", "我来", now=FRIDAY_10)
    assert exc.value.code == "not_yours"
    with pytest.raises(HandoffConflict):
        service.close(handoff_id, "op2", now=FRIDAY_10)

    sent = service.operator_message(handoff_id, "op1", "  您好，请问有什么可以帮您？ ", now=FRIDAY_10)
    assert sent["who"] == "operator" and sent["label"] == "人工客服" and sent["text"] == "您好，请问有什么可以帮您？"
    service.user_message("web:abc123", "出租车拒载", now=FRIDAY_10)

    inbox = service.messages("web:abc123")  # what the user gets: system notes and operator replies only
    assert [(m["who"], m["text"]) for m in inbox] == [
        ("system", TAKEN_NOTE),
        ("operator", "您好，请问有什么可以帮您？"),
    ]
    assert service.messages("web:abc123", after_id=inbox[0]["id"]) == inbox[1:]
    everything = service.messages(handoff_id)
    assert [m["who"] for m in everything] == ["user", "system", "operator", "user"]
    assert service.messages(handoff_id, after_id=everything[-2]["id"])[0]["text"] == "出租车拒载"

    closed = service.close(handoff_id, "op1", "已登记投诉", now=FRIDAY_10)
    assert closed["state"] == "closed" and closed["close_note"] == "已登记投诉"
    assert service.active("web:abc123", now=FRIDAY_10) is None
    assert "已结束" in service.messages("web:abc123")[-1]["text"]
    assert "已登记投诉" not in service.messages("web:abc123")[-1]["text"]  # the note is internal
    for call in (
        lambda: service.operator_message(handoff_id, "op1", "还在吗", now=FRIDAY_10),
        lambda: service.close(handoff_id, "op1", now=FRIDAY_10),
        lambda: service.take(handoff_id, "op1", now=FRIDAY_10),
        lambda: service.user_message("web:abc123", "喂", now=FRIDAY_10),
    ):
        with pytest.raises(HandoffConflict) as exc:
            call()
        assert exc.value.code == "handoff_closed"
    assert service.queue(now=FRIDAY_10) == []
    # the user can ask again later: a new handoff
    assert service.request("web:abc123", "user_request", [], now=FRIDAY_10)["handoff_id"] != handoff_id


def test_bad_messages_and_unknown_handoffs(service):
    handoff_id = service.request("web:abc123", "user_request", [], now=FRIDAY_10)["handoff_id"]
    service.take(handoff_id, "op1", now=FRIDAY_10)
    for text in ("", "   ", "长" * 2001):
        with pytest.raises(HandoffError) as exc:
            service.operator_message(handoff_id, "op1", text, now=FRIDAY_10)
        assert exc.value.status == 422
    service.operator_message(handoff_id, "op1", "长" * 2000, now=FRIDAY_10)
    with pytest.raises(NotFound):
        service.take(99999, "op1")
    with pytest.raises(NotFound):
        service.messages(99999)


def test_cancel_by_the_user_and_admin_close(service):
    service.request("web:abc123", "user_request", [], now=FRIDAY_10)
    assert service.cancel("web:abc123", now=FRIDAY_10) is True
    assert service.cancel("web:abc123", now=FRIDAY_10) is False
    assert service.active("web:abc123", now=FRIDAY_10) is None
    handoff_id = service.request("web:abc123", "user_request", [], now=FRIDAY_10)["handoff_id"]
    service.take(handoff_id, "op1", now=FRIDAY_10)
    assert service.close(handoff_id, "admin", now=FRIDAY_10, force=True)["closed_by"] == "admin"


def test_other_channels_get_their_messages_through_the_outbox(service):
    web = service.request("web:abc123", "user_request", [], now=FRIDAY_10)["handoff_id"]
    wechat = service.request("wechat:o-openid", "user_request", [], now=FRIDAY_10)["handoff_id"]
    for handoff_id in (web, wechat):
        service.take(handoff_id, "op1", now=FRIDAY_10)
        service.operator_message(handoff_id, "op1", "您好", now=FRIDAY_10)
    service.close(wechat, "op1", now=FRIDAY_10)
    pending = service.pending_outbox("wechat")
    assert [(o["recipient"], o["text"]) for o in pending] == [
        ("wechat:o-openid", TAKEN_NOTE),
        ("wechat:o-openid", "您好"),
        ("wechat:o-openid", pending[2]["text"]),
    ]
    assert service.pending_outbox("web") == []  # the web page polls instead
    assert service.mark_sent(pending[0]["id"]) is True
    assert service.mark_sent(pending[0]["id"]) is False  # another replica already delivered it
    assert len(service.pending_outbox()) == 2


def test_divert_is_what_every_channel_calls_before_rasa(service):
    assert service.divert("wechat:o-openid", "你好", now=FRIDAY_10) is None  # no handoff: the bot answers
    service.request("wechat:o-openid", "user_request", [], now=FRIDAY_10)
    first = service.divert("wechat:o-openid", "货车被扣了", now=FRIDAY_10)
    assert first["replies"] == [QUEUED_NOTE] and first["handoff"]["state"] == "queued"
    assert service.divert("wechat:o-openid", "在吗", now=FRIDAY_10)["replies"] == []
    assert [m["text"] for m in service.queue(now=FRIDAY_10)[0]["messages"]] == ["货车被扣了", "在吗"]
    assert service.divert("wechat:o-openid", "取消人工。", now=FRIDAY_10) == {
        "replies": [CANCELLED_NOTE],
        "handoff": None,
    }
    assert service.divert("wechat:o-openid", "你好", now=FRIDAY_10) is None
    assert service.pending_outbox() == []  # the user left: nothing to deliver


def test_concurrent_requests_and_takes_leave_one_winner(service):
    results, errors = [], []

    def ask():
        results.append(service.request("wechat:o-same", "user_request", [], now=FRIDAY_10)["status"])

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already"] * 5 + ["queued"]
    handoff_id = service.active("wechat:o-same", now=FRIDAY_10)["id"]

    def take(name):
        try:
            service.take(handoff_id, name, now=FRIDAY_10)
            results.append(name)
        except HandoffConflict as exc:
            errors.append(exc.code)

    results.clear()
    threads = [threading.Thread(target=take, args=(f"op{i}",)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1 and errors == ["already_taken"] * 4
    assert service.get(handoff_id)["operator"] == results[0]


# ------------------------------------------------------------------------------------------ service hours


@pytest.mark.parametrize(
    "now, opens, label",
    [
        (
            datetime(2026, 11, 20, 18, 0, tzinfo=CHINA),
            datetime(2026, 11, 23, 8, 30, tzinfo=CHINA),
            "11月23日（周一）08:30",
        ),
        (
            datetime(2026, 9, 30, 20, 0, tzinfo=CHINA),
            datetime(2026, 10, 8, 8, 30, tzinfo=CHINA),
            "10月8日（周四）08:30",
        ),
        (
            datetime(2026, 10, 3, 11, 0, tzinfo=CHINA),
            datetime(2026, 10, 8, 8, 30, tzinfo=CHINA),
            "10月8日（周四）08:30",
        ),
        # 调休: Saturday 10 October 2026 is a working day
        (
            datetime(2026, 10, 9, 17, 30, tzinfo=CHINA),
            datetime(2026, 10, 10, 8, 30, tzinfo=CHINA),
            "10月10日（周六）08:30",
        ),
        (
            datetime(2026, 11, 23, 7, 0, tzinfo=CHINA),
            datetime(2026, 11, 23, 8, 30, tzinfo=CHINA),
            "11月23日（周一）08:30",
        ),
    ],
)
def test_outside_service_hours_the_user_is_told_when_and_offered_a_work_order(sqlite_service, now, opens, label):
    handoffs, _ = sqlite_service
    result = handoffs.request("web:abc123", "user_request", TRANSCRIPT, now=now)
    assert result["status"] == "closed"
    assert datetime.fromisoformat(result["opens_at"]) == opens
    assert label in result["message"] and "工单" in result["message"] and "08:30-17:30" in result["message"]
    assert handoffs.active("web:abc123", now=now) is None and handoffs.queue(now=now) == []


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 20, 8, 30, tzinfo=CHINA),
        datetime(2026, 11, 20, 17, 29, tzinfo=CHINA),
        datetime(2026, 9, 20, 10, 0, tzinfo=CHINA),  # Sunday worked in lieu of National Day (调休)
        datetime(2026, 11, 20, 1, 0, tzinfo=UTC),  # 09:00 China time
    ],
)
def test_inside_service_hours_the_conversation_is_queued(sqlite_service, now):
    handoffs, _ = sqlite_service
    assert handoffs.request("web:abc123", "user_request", [], now=now)["status"] == "queued"


def test_operators_calendar_overrides_and_custom_hours_count(sqlite_service, tmp_path):
    handoffs, work_orders = sqlite_service
    work_orders.set_override(date(2026, 11, 20), False, "临时停止人工服务", "admin")
    result = handoffs.request("web:abc123", "user_request", [], now=FRIDAY_10)
    assert result["status"] == "closed" and result["opens_at"].startswith("2026-11-23T08:30")
    late = Handoffs(handoffs.db, work_orders.calendar, (time(9, 0), time(21, 0)))
    assert (
        late.request("web:abc123", "user_request", [], now=datetime(2026, 11, 23, 20, 0, tzinfo=CHINA))["status"]
        == "queued"
    )
    assert parse_service_hours("09:00-21:00") == ServiceHours(time(9, 0), time(21, 0))
    assert make_settings(tmp_path).service_hours == ServiceHours(time(8, 30), time(17, 30))
    assert make_settings(tmp_path, HOTLINE_SERVICE_HOURS="09:00-21:00").service_hours == ServiceHours(time(9), time(21))
    assert parse_service_hours("00:00-24:00") == ServiceHours(time(0, 0), None)
    assert parse_service_hours(" OFF ") == ServiceHours(off=True)
    for bad in ("17:30-08:30", "8.30 to 17.30", "", "24:00-08:00", "08:00-25:00", "never"):
        with pytest.raises(ValueError):
            parse_service_hours(bad)


# Just before and after both ends of the day, on a working Friday, a Saturday, National Day (a holiday on a
# weekday) and the Sunday worked in lieu of it (调休), across midnight China time (16:00 UTC) and on New Year's
# Day in China while it is still 31 December in UTC.
EDGES = [
    datetime(2026, 11, 20, 8, 29, 59, tzinfo=CHINA),
    datetime(2026, 11, 20, 8, 30, tzinfo=CHINA),
    datetime(2026, 11, 20, 17, 29, 59, tzinfo=CHINA),
    datetime(2026, 11, 20, 17, 30, tzinfo=CHINA),
    datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=CHINA),
    datetime(2026, 11, 20, 16, 0, tzinfo=UTC),
    datetime(2026, 11, 21, 12, 45, tzinfo=CHINA),
    datetime(2026, 10, 2, 12, 45, tzinfo=CHINA),
    datetime(2026, 9, 20, 12, 45, tzinfo=CHINA),
    datetime(2025, 12, 31, 16, 30, tzinfo=UTC),
]


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("08:30-17:30", [False, True, True, False, False, False, False, False, True, False]),
        ("00:00-24:00", [True, True, True, True, True, False, False, False, True, False]),
        ("off", [False] * len(EDGES)),
    ],
)
def test_service_hours_edges_on_the_china_calendar(sqlite_service, spec, expected):
    handoffs, work_orders = sqlite_service
    handoffs = Handoffs(handoffs.db, work_orders.calendar, parse_service_hours(spec))
    assert [handoffs.is_open(moment) for moment in EDGES] == expected
    for moment, is_open in zip(EDGES, expected):
        status = handoffs.service_status(moment)
        assert status["open"] is is_open
        opens = status["opens_at"] and datetime.fromisoformat(status["opens_at"])
        if is_open or spec == "off":
            assert opens is None
        else:  # the next opening is a working day, after the moment, and the hours are open then
            assert opens > moment and handoffs.is_open(opens) and work_orders.calendar().is_workday(opens.date())


def test_with_service_hours_off_every_request_is_offered_a_work_order(sqlite_service):
    handoffs, work_orders = sqlite_service
    off = Handoffs(handoffs.db, work_orders.calendar, parse_service_hours("off"))
    result = off.request("web:abc123", "user_request", TRANSCRIPT, now=FRIDAY_10)
    assert result["status"] == "closed" and result["opens_at"] is None
    assert "暂不提供在线人工客服" in result["message"] and "工单" in result["message"] and "12328" in result["message"]
    assert off.service_status(FRIDAY_10) == {"open": False, "hours": "暂停人工服务", "opens_at": None}
    # a handoff queued before the hours were turned off is closed at the next look, without an opening time
    queued = handoffs.request("wechat:o-early", "user_request", [], now=FRIDAY_10)
    assert queued["status"] == "queued" and off.expire(now=FRIDAY_10) == 1
    note = off.messages("wechat:o-early")[-1]["text"]
    assert "未能为您接入" in note and "上线" not in note and "工单" in note


def test_a_handoff_nobody_took_before_closing_time_ends_and_the_user_is_told(sqlite_service):
    handoffs, _ = sqlite_service
    handoffs.request("wechat:o-late", "user_request", [], now=datetime(2026, 11, 20, 17, 20, tzinfo=CHINA))
    taken = handoffs.request("web:busy", "user_request", [], now=datetime(2026, 11, 20, 17, 21, tzinfo=CHINA))
    handoffs.take(taken["handoff_id"], "op1", now=datetime(2026, 11, 20, 17, 25, tzinfo=CHINA))
    evening = datetime(2026, 11, 20, 17, 45, tzinfo=CHINA)
    assert [h["state"] for h in handoffs.queue(now=evening)] == ["taken"]  # a taken one goes on after hours
    assert handoffs.active("wechat:o-late", now=evening) is None
    note = handoffs.messages("wechat:o-late")[-1]["text"]
    assert "11月23日（周一）08:30" in note and "工单" in note
    assert [o["text"] for o in handoffs.pending_outbox("wechat")] == [note]
    assert handoffs.expire(now=evening) == 0  # safe to run again


# ------------------------------------------------------------------------------------------------- HTTP


@pytest.fixture
def app_env(fake_rasa):
    return {"HOTLINE_RASA_URL": fake_rasa.url, "HOTLINE_SWEEP_INTERVAL": "0"}


@pytest.fixture
def app(app):
    svc = app.extensions["hotline"]
    svc.handoffs.clock = lambda: FRIDAY_10
    svc.accounts.create_user("op1", "operator-pass-1", ["operator"], "李座席")
    svc.accounts.create_user("op2", "operator-pass-2", ["operator"], "王座席")
    svc.accounts.create_user("ed", "editor-pass-1", ["editor"])
    return app


def say(client, text, sender="w1abcdef0123456789"):
    resp = client.post("/api/chat", json={"sender": sender, "text": text})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_web_user_talks_to_an_operator_then_to_the_bot_again(app, client, fake_rasa, login):
    sender = "w1abcdef0123456789"
    assert say(client, "你好")["handoff"] is None
    assert len(fake_rasa.received) == 1
    # what action_handoff does when the user asks for a person
    queued = app.extensions["hotline"].handoffs.request(f"web:{sender}", "user_request", TRANSCRIPT)
    assert queued["status"] == "queued"

    first = say(client, "我的电话13812345678，出租车拒载")
    assert first["intent"]["name"] == "handoff" and first["replies"] == [{"text": QUEUED_NOTE, "buttons": []}]
    assert first["handoff"] == {"id": queued["handoff_id"], "state": "queued", "position": 1}
    assert say(client, "在吗？")["replies"] == []  # told once only
    assert len(fake_rasa.received) == 1  # nothing went to Rasa

    op = login(client, "op1", "operator-pass-1")
    queue = client.get("/api/handoffs", headers=op).get_json()
    assert queue["service"] == {"open": True, "hours": "工作日08:30-17:30", "opens_at": None}
    item = queue["items"][0]
    assert item["state"] == "queued" and item["channel_label"] == "网站" and item["masked"] is True
    assert item["messages"][0]["text"] == "我的电话138****5678，出租车拒载"
    assert "13812345678" not in str(queue)

    handoff_id = item["id"]
    taken = client.post(f"/api/handoffs/{handoff_id}/take", headers=op)
    assert taken.status_code == 200
    assert taken.get_json()["messages"][0]["text"] == "我的电话13812345678，出租车拒载"
    again = client.post(f"/api/handoffs/{handoff_id}/take", headers=login(client, "op2", "operator-pass-2"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_taken"
    assert "op1" in again.get_json()["error"]["message"]

    reply = client.post(f"/api/handoffs/{handoff_id}/messages", json={"text": "您好，我是人工客服，请讲"}, headers=op)
    assert reply.status_code == 201 and reply.get_json()["label"] == "人工客服"

    updates = client.get(f"/api/chat/updates?sender={sender}&after=0").get_json()
    assert [(m["label"], m["text"]) for m in updates["messages"]] == [
        ("系统消息", TAKEN_NOTE),
        ("人工客服", "您好，我是人工客服，请讲"),
    ]
    assert "author" not in updates["messages"][1]  # operators stay anonymous to the user
    assert updates["handoff"]["state"] == "taken"
    last = updates["messages"][-1]["id"]
    assert client.get(f"/api/chat/updates?sender={sender}&after={last}").get_json()["messages"] == []
    other = client.get("/api/chat/updates?sender=someone-else&after=0").get_json()
    assert other == {"messages": [], "handoff": None}

    assert say(client, "车牌是豫G12345")["replies"] == []
    news = client.get(f"/api/handoffs/{handoff_id}/messages?after={last}", headers=op).get_json()
    assert news["state"] == "taken" and [m["text"] for m in news["messages"]] == ["车牌是豫G12345"]

    closed = client.post(f"/api/handoffs/{handoff_id}/close", json={"note": "已登记工单"}, headers=op)
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    final = client.get(f"/api/chat/updates?sender={sender}&after={last}").get_json()
    assert final["handoff"] is None and "已结束" in final["messages"][0]["text"]
    late = client.post(f"/api/handoffs/{handoff_id}/messages", json={"text": "还在吗"}, headers=op)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "handoff_closed"
    assert client.post(f"/api/handoffs/{handoff_id}/close", json={}, headers=op).status_code == 409

    back = say(client, "投诉以后多久能有结果？")
    assert back["handoff"] is None and back["intent"]["name"] == "consult"
    assert fake_rasa.received[-1] == {"sender": f"web:{sender}", "message": "投诉以后多久能有结果？", "metadata": {}}


def test_the_user_may_leave_the_queue(app, client, fake_rasa):
    sender = "w2abcdef0123456789"
    app.extensions["hotline"].handoffs.request(f"web:{sender}", "user_request", [])
    left = say(client, "取消人工", sender)
    assert left["replies"] == [{"text": CANCELLED_NOTE, "buttons": []}] and left["handoff"] is None
    assert fake_rasa.received == []
    assert say(client, "你好", sender)["handoff"] is None and len(fake_rasa.received) == 1


def test_console_api_needs_an_operator_and_valid_input(app, client, login):
    handoff_id = app.extensions["hotline"].handoffs.request("web:w3abc", "user_request", [])["handoff_id"]
    assert client.get("/api/handoffs").status_code == 401
    editor = client.get("/api/handoffs", headers=login(client, "ed", "editor-pass-1"))
    assert editor.status_code == 403 and editor.get_json()["error"]["code"] == "forbidden"
    op = login(client, "op1", "operator-pass-1")
    early = client.post(f"/api/handoffs/{handoff_id}/messages", json={"text": "您好"}, headers=op)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_taken"
    client.post(f"/api/handoffs/{handoff_id}/take", headers=op)
    for text, reason in (("", "请输入内容"), ("  \n ", "请输入内容"), ("长" * 2001, "内容过长"), (5, None)):
        resp = client.post(f"/api/handoffs/{handoff_id}/messages", json={"text": text}, headers=op)
        assert resp.status_code == 422
        err = resp.get_json()["error"]
        assert err["code"] == "validation_error" and err["message"] == "请求参数有误"
        if reason:
            assert reason in err["details"]["json"]["text"][0]
    assert (
        client.post(f"/api/handoffs/{handoff_id}/messages", json={"text": "长" * 2000}, headers=op).status_code == 201
    )
    missing = client.post("/api/handoffs/99999/take", headers=op)
    assert missing.status_code == 404 and missing.get_json()["error"]["message"] == "未找到该转人工会话"
    bad_poll = client.get("/api/chat/updates?sender=<script>&after=0")
    assert bad_poll.status_code == 422
    assert client.get("/api/chat/updates?sender=abc&after=-1").status_code == 422
    page = client.get("/console/handoff")
    assert page.status_code == 200 and "人工客服工作台" in page.get_data(as_text=True)


def test_handoff_api_is_in_the_openapi_spec(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in (
        "/api/handoffs",
        "/api/handoffs/{handoff_id}/take",
        "/api/handoffs/{handoff_id}/messages",
        "/api/handoffs/{handoff_id}/close",
        "/api/chat/updates",
    ):
        assert path in spec["paths"], path
    assert "handoff" in spec["components"]["schemas"]["ChatOut"]["properties"]


def test_phone_numbers_stay_masked_until_an_operator_serves_the_user(app, client, login):
    """The queue said masked: true and showed 138 1234 5678; the message poll gave the raw text of a queued
    conversation; an admin saw the whole of a taken one."""
    svc = app.extensions["hotline"]
    svc.accounts.create_user("root", "admin-pass-1", ["admin"], "管理员")
    sender = "web:w4abcdef0123456789"
    handoff_id = svc.handoffs.request(sender, "user_request", [{"who": "user", "text": "电话 138 1234 5678"}])[
        "handoff_id"
    ]
    svc.handoffs.user_message(sender, "身份证410102199003071234，座机0373-3011234")
    op, admin = login(client, "op1", "operator-pass-1"), login(client, "root", "admin-pass-1")
    for headers in (op, admin):
        for body in (
            client.get("/api/handoffs", headers=headers).get_json(),
            client.get(f"/api/handoffs/{handoff_id}", headers=headers).get_json(),
            client.get(f"/api/handoffs/{handoff_id}/messages?after=0", headers=headers).get_json(),
        ):
            text = str(body)
            assert "1234 5678" not in text and "199003071234" not in text and "3011234" not in text, text
            assert "138 **** 5678" in text or "410102********1234" in text
    client.post(f"/api/handoffs/{handoff_id}/take", headers=op)
    served = client.get(f"/api/handoffs/{handoff_id}/messages?after=0", headers=op).get_json()
    assert "身份证410102199003071234，座机0373-3011234" in [m["text"] for m in served["messages"]]
    assert (
        client.get(f"/api/handoffs/{handoff_id}", headers=op).get_json()["transcript"][0]["text"]
        == "电话 138 1234 5678"
    )
    watched = client.get(f"/api/handoffs/{handoff_id}", headers=admin).get_json()  # the admin is not serving
    assert watched["masked"] is True and watched["transcript"][0]["text"] == "电话 138 **** 5678"
    closed = client.post(
        f"/api/handoffs/{handoff_id}/close", json={"note": "来电人13812345678已登记"}, headers=admin
    ).get_json()
    assert closed["close_note"] == "来电人138****5678已登记" and "0373-3011234" not in str(closed)
    assert client.get(f"/api/handoffs/{handoff_id}", headers=op).get_json()["close_note"] == "来电人13812345678已登记"
