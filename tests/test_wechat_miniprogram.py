"""The mini-program API: code2session login (through the fake WeChat API) into our own token, chat with the
/api/chat contract, my work orders, complaints with photos and an Idempotency-Key, subscribe consent."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from channels.wechat.models import MiniProgramSession
from tests.fakes import FakeRasa
from tests.wechat_fake import FakeWeChat
from work_orders.models import Attachment, WorkOrder
from work_orders.service import System

MP_APPID, MP_SECRET = "wx12328mini000002", "mini-secret"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.fixture
def wechat():
    server = FakeWeChat({MP_APPID: MP_SECRET})
    server.codes.update({"code-alice": "oAlice", "code-alice-2": "oAlice", "code-bob": "oBob"})
    yield server
    server.close()


@pytest.fixture
def rasa():
    server = FakeRasa()
    yield server
    server.close()


@pytest.fixture
def mp(make_app, db_url, wechat, rasa):
    return make_app(
        HOTLINE_DATABASE_URL=db_url,
        HOTLINE_RASA_URL=rasa.url,
        HOTLINE_WECHAT_API_BASE=wechat.url,
        HOTLINE_MINIPROGRAM_APPID=MP_APPID,
        HOTLINE_MINIPROGRAM_SECRET=MP_SECRET,
        HOTLINE_MINIPROGRAM_TEMPLATE_ID="SUB-ORDER",
    )


def mp_login(client, code):
    resp = client.post("/api/mp/login", json={"code": code})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def test_login_gives_our_own_token_and_never_the_session_key(mp, wechat):
    client = mp.test_client()
    resp = client.post("/api/mp/login", json={"code": "code-alice"})
    assert resp.status_code == 200
    assert set(resp.json) == {"token", "expires_at", "expires_in"} and resp.json["expires_in"] == 72 * 3600
    assert "SECRET-SESSION-KEY" not in resp.get_data(as_text=True)
    db = mp.extensions["hotline"].db
    with db.session() as s:
        row = s.scalars(select(MiniProgramSession)).one()
        assert row.openid == "oAlice" and row.token_hash != resp.json["token"] and len(row.token_hash) == 64
    columns = {c["name"] for c in inspect(db.engine).get_columns("mp_session")}
    assert not any("session_key" in c for c in columns)
    again = client.post("/api/mp/login", json={"code": "code-alice"})  # a code works once (40163)
    assert again.status_code == 401 and again.json["error"]["code"] == "login_failed"
    assert client.post("/api/mp/login", json={"code": "forged"}).status_code == 401  # 40029
    assert client.post("/api/mp/login", json={}).status_code == 422


def test_requests_without_a_valid_unexpired_token_are_refused(mp):
    client = mp.test_client()
    assert client.get("/api/mp/orders").status_code == 401
    assert client.get("/api/mp/orders", headers={"Authorization": "Bearer nope"}).status_code == 401
    headers = mp_login(client, "code-alice")
    assert client.get("/api/mp/orders", headers=headers).status_code == 200
    sessions = mp.extensions["hotline"].wechat.sessions
    token = headers["Authorization"].split()[1]
    later = datetime.now(UTC) + timedelta(hours=73)
    assert sessions.openid(token) == "oAlice" and sessions.openid(token, now=later) is None
    assert client.post("/api/mp/logout", headers=headers).status_code == 204
    assert client.get("/api/mp/orders", headers=headers).status_code == 401


def test_chat_has_the_web_contract_and_the_miniprogram_sender(mp, rasa):
    client = mp.test_client()
    headers = mp_login(client, "code-alice")
    resp = client.post(
        "/api/mp/chat",
        headers=headers,
        json={"text": "高速免费吗", "location": {"label": "河南省新乡市红旗区", "latitude": 35.3, "longitude": 113.9}},
    )
    assert resp.status_code == 200
    assert resp.json["replies"] == [{"text": "收到：高速免费吗", "buttons": []}]
    assert set(resp.json) >= {"replies", "intent", "sources", "work_order"}
    assert rasa.received == [
        {
            "sender": "miniprogram:oAlice",
            "message": "高速免费吗",
            "metadata": {
                "channel": "miniprogram",
                "location_label": "河南省新乡市红旗区",
                "region": "河南省新乡市",
                "location": {"latitude": 35.3, "longitude": 113.9},
            },
        }
    ]
    assert client.post("/api/mp/chat", headers=headers, json={"text": "   "}).status_code == 422
    rasa.fail = True
    busy = client.post("/api/mp/chat", headers=headers, json={"text": "在吗"})
    assert busy.status_code == 503 and "系统繁忙" in busy.json["replies"][0]["text"]


def test_chat_work_order_deadline_is_the_same_contract(mp, rasa):
    order = {
        "number": "20260930-00002",
        "type": "suggestion",
        "state": "received",
        "deadline": "2026-10-14T23:59:59+08:00",
        "deadline_text": "10月14日（周三）前答复（转办后5个工作日内，管理办法第二十三条）",
    }
    rasa.script = lambda sender, text, meta: ([{"text": "已为您登记意见建议工单"}], order)
    client = mp.test_client()
    resp = client.post("/api/mp/chat", headers=mp_login(client, "code-alice"), json={"text": "确认"})
    assert resp.status_code == 200 and resp.json["work_order"] == order


def complaint(client, headers, key="key-0001-abcdef", photos=(), **fields):
    data = {"facts": "豫A12345出租车不打表，多收30元", "target": "豫A12345", "caller_phone": "13812345678", **fields}
    if photos:
        data["photos"] = [(io.BytesIO(p), f"photo{i}.jpg") for i, p in enumerate(photos)]
    return client.post(
        "/api/mp/complaints", headers={**headers, "Idempotency-Key": key}, data=data, content_type="multipart/form-data"
    )


def test_a_complaint_with_photos_is_filed_once(mp):
    client = mp.test_client()
    headers = mp_login(client, "code-alice")
    first = complaint(client, headers, photos=[JPEG, PNG])
    assert first.status_code == 201, first.json
    number = first.json["number"]
    assert first.json["state"] == "received" and first.json["order_type_label"] == "投诉举报"
    retry = complaint(client, headers, photos=[JPEG, PNG])  # a weak network: the same request again
    assert retry.status_code == 200 and retry.json["number"] == number
    services = mp.extensions["hotline"]
    with services.db.session() as s:
        order = s.scalars(select(WorkOrder)).one()
        assert (order.channel, order.caller_user) == ("miniprogram", "miniprogram:oAlice")
        types = s.scalars(select(Attachment.content_type).where(Attachment.order_id == order.id)).all()
    assert sorted(types) == ["image/jpeg", "image/png"]
    other = complaint(client, mp_login(client, "code-bob"))  # Bob's same key is Bob's own order
    assert other.status_code == 201 and other.json["number"] != number


@pytest.mark.parametrize(
    "photo, code",
    [
        (b"GIF89a" + b"\x00" * 100, "unsupported_photo"),
        (b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024), "photo_too_large"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_filed(mp, photo, code):
    client = mp.test_client()
    resp = complaint(client, mp_login(client, "code-alice"), photos=[photo])
    assert resp.status_code == 422 and resp.json["error"]["code"] == code
    assert mp.extensions["hotline"].work_orders.for_caller("miniprogram:oAlice") == []


def test_a_complaint_needs_an_idempotency_key_and_facts(mp):
    client = mp.test_client()
    headers = mp_login(client, "code-alice")
    assert complaint(client, headers, key="").status_code == 422
    assert complaint(client, headers, facts="").status_code == 422


def test_my_orders_detail_photos_and_rating_only_for_the_owner(mp):
    client = mp.test_client()
    alice, bob = mp_login(client, "code-alice"), mp_login(client, "code-bob")
    number = complaint(client, alice).json["number"]
    assert [o["number"] for o in client.get("/api/mp/orders", headers=alice).json["orders"]] == [number]
    assert client.get("/api/mp/orders", headers=bob).json["orders"] == []
    assert client.get(f"/api/mp/orders/{number}", headers=alice).json["state_label"] == "已受理"
    assert client.get(f"/api/mp/orders/{number}", headers=bob).status_code == 404
    photo = client.post(
        f"/api/mp/orders/{number}/photos",
        headers=bob,
        data={"file": (io.BytesIO(JPEG), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert photo.status_code == 404
    photo = client.post(
        f"/api/mp/orders/{number}/photos",
        headers=alice,
        data={"file": (io.BytesIO(JPEG), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201
    early = client.post(f"/api/mp/orders/{number}/rate", headers=alice, json={"rating": "satisfied"})
    assert early.status_code == 422 and early.json["error"]["code"] == "not_replied"
    work_orders = mp.extensions["hotline"].work_orders
    unit = work_orders.add_unit("郑州市出租汽车管理处", region="河南省郑州市", domains=["城市客运"])
    for action, params in (
        ("classify", {}),
        ("dispatch", {"unit_id": unit["id"]}),
        ("accept", {}),
        ("reply", {"reply": "已退还多收车费。"}),
    ):
        work_orders.act(number, action, System(), params)
    assert client.post(f"/api/mp/orders/{number}/rate", headers=bob, json={"rating": "dissatisfied"}).status_code == 404
    rated = client.post(f"/api/mp/orders/{number}/rate", headers=alice, json={"rating": "satisfied", "comment": "快"})
    assert (
        rated.status_code == 200 and rated.json["rating"] == "satisfied" and rated.json["reply"] == "已退还多收车费。"
    )


def test_subscribe_consent_is_recorded(mp):
    client = mp.test_client()
    headers = mp_login(client, "code-alice")
    resp = client.post("/api/mp/subscriptions", headers=headers, json={"results": {"SUB-ORDER": "accept"}})
    assert resp.json == {
        "subscriptions": [{"template_id": "SUB-ORDER", "remaining": 1}],
        "template_id": "SUB-ORDER",
        "policy_template_id": "",  # no hot-policy subscribe message configured here
    }
    client.post("/api/mp/subscriptions", headers=headers, json={"results": {"SUB-ORDER": "accept", "OTHER": "reject"}})
    listed = client.get("/api/mp/subscriptions", headers=headers).json["subscriptions"]
    assert listed == [{"template_id": "OTHER", "remaining": 0}, {"template_id": "SUB-ORDER", "remaining": 2}]
    assert (
        client.post("/api/mp/subscriptions", headers=headers, json={"results": {"SUB-ORDER": "maybe"}}).status_code
        == 422
    )


def test_the_api_is_in_the_openapi_document(mp):
    paths = mp.test_client().get("/api/openapi.json").json["paths"]
    assert {"/api/mp/login", "/api/mp/chat", "/api/mp/complaints", "/api/mp/orders/{number}/rate", "/wechat/mp"} <= set(
        paths
    )


def test_operator_replies_reach_the_miniprogram_user_by_polling(mp):
    from hotline.clock import CHINA

    client = mp.test_client()
    headers = mp_login(client, "code-alice")
    handoffs = mp.extensions["hotline"].handoffs
    handoffs.clock = lambda: datetime(2026, 11, 23, 10, 0, tzinfo=CHINA)  # a working Monday: operators on duty
    queued = handoffs.request("miniprogram:oAlice", reason="user_request", transcript=[])
    assert queued["status"] == "queued"
    assert client.get("/api/mp/updates", headers=headers).json["handoff"]["state"] == "queued"
    handoffs.take(queued["handoff_id"], "op1")
    handoffs.operator_message(queued["handoff_id"], "op1", "您好，我是人工客服<b>小李</b>")
    body = client.get("/api/mp/updates", headers=headers).json
    assert [m["text"] for m in body["messages"] if m["who"] == "operator"] == ["您好，我是人工客服<b>小李</b>"]
    last = body["messages"][-1]["id"]
    assert client.get(f"/api/mp/updates?after={last}", headers=headers).json["messages"] == []
    other = mp_login(client, "code-bob")  # another user sees nothing of it
    assert client.get("/api/mp/updates", headers=other).json["messages"] == []
    assert client.get("/api/mp/updates").status_code == 401
