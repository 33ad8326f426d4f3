"""Work-order exchange with 12345, on SQLite and PostgreSQL: the signed transfer endpoint, orders entering the
lifecycle with their 12345 id, returns with the 第十九条 reason, and the outbox retried until acknowledged."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.db import Database
from sim12345 import data as simdata
from sync.connectors import HttpConnector, sign
from sync.models import OutboxMessage, SyncEvent
from sync.orders import OrderExchange
from tests.fakes import HashEmbedder, control, faults, serve
from work_orders.models import WorkOrder
from work_orders.service import System, WorkOrders

SECRET = "test-secret-12345"


def signed(body: dict, secret: str = SECRET, ts: int | None = None) -> tuple[bytes, dict]:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    stamp = str(ts if ts is not None else int(time.time()))
    return raw, {
        "Content-Type": "application/json",
        "X-Hotline-Timestamp": stamp,
        "X-Hotline-Signature": sign(secret, stamp, raw),
    }


def transfer(num: int, **over) -> dict:
    base = {
        "id": f"12345-TEST-{num:04d}",
        "type": "complaint",
        "domain": "城市客运",
        "title": "出租车拒载",
        "content": "昨晚在火车站打车，豫A12345的出租车拒载。",
        "target": "豫A12345出租车",
        "region": "河南省郑州市",
        "caller_name": "张伟",
        "caller_phone": "13812345678",
    }
    return {**base, **over}


@pytest.fixture
def app_env(db_url, sim):
    return {
        "HOTLINE_DATABASE_URL": db_url,
        "HOTLINE_SWEEP_INTERVAL": "0",
        "HOTLINE_SYNC_URL": sim.url,
        "HOTLINE_SYNC_TOKEN": "sim-token",
        "HOTLINE_SYNC_SECRET": SECRET,
    }


@pytest.fixture
def app(app):
    svc = app.extensions["hotline"]
    svc.kb.embedder = HashEmbedder()  # the console's KB sync below needs no real model
    svc.accounts.create_user("op", "operator-pass-1", ["operator"])
    svc.accounts.create_user("pub", "publisher-pass-1", ["publisher"])
    return app


def test_transfers_must_be_signed(app):
    client = app.test_client()
    raw, headers = signed({"orders": [transfer(1)]})
    assert (
        client.post("/api/sync/12345/orders", data=raw, headers={"Content-Type": "application/json"}).status_code == 401
    )
    assert (
        client.post(
            "/api/sync/12345/orders", data=raw, headers={**headers, "X-Hotline-Signature": "sha256=00"}
        ).status_code
        == 401
    )
    bad = signed({"orders": [transfer(1)]}, secret="wrong")[1]
    assert client.post("/api/sync/12345/orders", data=raw, headers=bad).status_code == 401
    old_raw, old = signed({"orders": [transfer(1)]}, ts=int(time.time()) - 3600)
    resp = client.post("/api/sync/12345/orders", data=old_raw, headers=old)
    assert resp.status_code == 401 and "防重放" in resp.get_json()["error"]["message"]
    tampered = raw.replace("拒载".encode(), "绕路".encode())
    assert client.post("/api/sync/12345/orders", data=tampered, headers=headers).status_code == 401
    resp = client.post("/api/sync/12345/orders", data=raw, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["results"][0]["status"] == "accepted"


@pytest.mark.parametrize(
    "header, value",
    [
        ("X-Hotline-Signature", "sha256=签名"),  # non-ASCII: compare_digest on str raised TypeError
        ("X-Hotline-Signature", "sha256=\u00e9" + "0" * 63),  # Latin-1, as a WSGI header arrives
        ("X-Hotline-Signature", ""),
        ("X-Hotline-Timestamp", "١٧٠٠٠٠٠٠٠٠"),  # Arabic-Indic digits: int() takes them
        ("X-Hotline-Timestamp", "1_700_000_000"),
        ("X-Hotline-Timestamp", " 1700000000 "),
        ("X-Hotline-Timestamp", "9" * 400),
    ],
)
def test_malformed_signature_headers_are_401_json(app, header, value):
    client = app.test_client()
    raw, headers = signed({"orders": [transfer(7)]})
    headers = {**headers, header: value}
    environ = {f"HTTP_{header.upper().replace('-', '_')}": value.encode("utf-8").decode("latin-1")}
    resp = client.post(
        "/api/sync/12345/orders",
        data=raw,
        headers={k: v for k, v in headers.items() if k != header},
        environ_overrides=environ,
    )
    assert resp.status_code == 401, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "unauthorized"


def test_transfers_enter_the_lifecycle_and_returns_carry_the_reason(app, sim, login):
    client = app.test_client()
    orders = [
        transfer(1),
        transfer(2, domain="铁路", title="高铁晚点", content="高铁晚点两小时要求赔偿"),
        transfer(3, content=""),
        transfer(4, type="投诉", caller_phone="12"),
    ]
    raw, headers = signed({"orders": orders})
    results = client.post("/api/sync/12345/orders", data=raw, headers=headers).get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "returned", "invalid", "invalid"]
    assert results[1]["reason_code"] == "out_of_scope" and "12306" in results[1]["note"]
    assert "content" in results[2]["errors"] and "联系电话" in results[3]["message"]

    raw, headers = signed({"orders": [transfer(1)]})  # 12345 retries: same order, not a second one
    again = client.post("/api/sync/12345/orders", data=raw, headers=headers).get_json()["results"][0]
    assert again["status"] == "duplicate" and again["number"] == results[0]["number"]
    raw, headers = signed({"orders": [transfer(1, content="另一件事")]})
    assert (
        client.post("/api/sync/12345/orders", data=raw, headers=headers).get_json()["results"][0]["status"]
        == "conflict"
    )

    svc = app.extensions["hotline"]
    with svc.db.session() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.external_id == "12345-TEST-0001"))
        assert (order.channel, order.state, order.caller_phone) == ("12345", "received", "13812345678")
        returned = s.scalar(select(WorkOrder).where(WorkOrder.external_id == "12345-TEST-0002"))
        assert (returned.state, returned.reject_reason) == ("rejected", "out_of_scope")

    op = login(client, "op", "operator-pass-1")
    number = results[0]["number"]
    resp = client.post(
        f"/api/orders/{number}/actions/reject",
        headers=op,
        json={"params": {"reason": "petition", "note": "已进入信访程序"}},
    )
    assert resp.status_code == 200
    with svc.db.session() as s:
        messages = {m.external_id: m for m in s.scalars(select(OutboxMessage))}
    assert messages["12345-TEST-0002"].kind == "return"
    ret = messages["12345-TEST-0001"]
    assert ret.kind == "return" and ret.payload["reason_code"] == "petition"
    assert ret.payload["reason"] == "已进入信访渠道" and "第十九条" in ret.payload["basis"]

    resp = client.post("/api/sync/run", json={"what": "outbox"}, headers=login(client, "pub", "publisher-pass-1"))
    assert resp.status_code == 200 and resp.get_json()["delivered"] == 2
    received = {m["order_id"]: m for m in control(sim, "/_sim/messages")["messages"]}
    assert received["12345-TEST-0001"]["reason_code"] == "petition"
    assert received["12345-TEST-0002"]["reason"].startswith("不涉及交通运输主管部门")


def test_outbox_is_retried_with_backoff_until_acknowledged(db_url, sim):
    db = Database(db_url)
    db.migrate()
    orders = WorkOrders(db)
    exchange = OrderExchange(orders, HttpConnector(sim.url, "sim-token", timeout=1.0)).install()
    number = exchange.receive([transfer(7)])[0]["number"]
    op = System("op")
    unit = orders.add_unit("郑州市出租汽车管理处", "河南省郑州市", ["城市客运"])
    orders.act(number, "classify", op)
    orders.act(number, "dispatch", op, {"unit_id": unit["id"]})
    orders.act(number, "accept", op)
    orders.act(number, "reply", op, {"reply": "经查属实，已对驾驶员处罚并约谈企业。"})
    orders.act(number, "callback", op, {"result": "satisfied"})
    faults(
        sim,
        {"mode": "error500", "path": "/api/v1/orders/", "times": 2},
        {"mode": "noack", "path": "/api/v1/orders/", "times": 1},
    )

    t0 = utcnow()
    assert exchange.push_outbox(now=t0) == {"delivered": 0, "failed": 1, "pending": 5}
    assert exchange.push_outbox(now=t0 + timedelta(seconds=1))["failed"] == 0  # not due yet: nothing sent
    assert exchange.push_outbox(now=t0 + timedelta(seconds=6))["failed"] == 1  # 2nd failure: waits 10 s
    with db.session() as s:
        first = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        assert first.attempts == 2 and first.next_attempt_at - (t0 + timedelta(seconds=6)) == timedelta(seconds=10)
    assert exchange.push_outbox(now=t0 + timedelta(seconds=17))["failed"] == 1  # answered without an ack
    result = exchange.push_outbox(now=t0 + timedelta(seconds=60))
    assert result == {"delivered": 5, "failed": 0, "pending": 0}

    received = control(sim, "/_sim/messages")["messages"]
    assert [m["kind"] for m in received] == ["status", "status", "status", "reply", "callback"]
    assert [m["action"] for m in received] == ["classify", "dispatch", "accept", "reply", "callback"]
    assert received[1]["unit"] == "郑州市出租汽车管理处" and received[4]["callback_result"] == "satisfied"
    assert all(m["order_id"] == "12345-TEST-0007" for m in received)
    with db.session() as s:
        kinds = [e.kind for e in s.scalars(select(SyncEvent).order_by(SyncEvent.id))]
    assert kinds.count("outbox_retry") == 1 and kinds.count("outbox_delivered") == 1

    # acknowledged but our record of it was lost (crash): delivered again, 12345 keeps it once
    with db.session() as s:
        for row in s.scalars(select(OutboxMessage)):
            row.acked_at = None
    assert exchange.push_outbox(now=t0 + timedelta(seconds=120))["delivered"] == 5
    state = control(sim, "/_sim/state")
    assert state["messages"] == 5 and state["message_posts"] >= 10


def test_dead_remote_keeps_messages(db_url):
    db = Database(db_url)
    db.migrate()
    orders = WorkOrders(db)
    exchange = OrderExchange(orders, HttpConnector("http://127.0.0.1:9", "x", timeout=0.5)).install()
    number = exchange.receive([transfer(8)])[0]["number"]
    orders.act(number, "reject", System("op"), {"reason": "public_order"})
    assert exchange.push_outbox() == {"delivered": 0, "failed": 1, "pending": 1}
    pending = exchange.outbox("pending")
    assert pending[0]["kind"] == "return" and "无法连接" in pending[0]["last_error"]


def test_own_orders_go_to_12345_as_masked_records(db_url, sim):
    db = Database(db_url)
    db.migrate()
    orders = WorkOrders(db)
    exchange = OrderExchange(orders, HttpConnector(sim.url, "sim-token"), push_own=True).install()
    orders.create(
        {
            "order_type": "complaint",
            "channel": "web",
            "domain": "公路",
            "title": "服务区乱收费",
            "facts": "我的电话13912345678，服务区加油站多收钱",
            "caller_name": "王强",
            "caller_phone": "13912345678",
        }
    )
    assert exchange.push_outbox()["delivered"] == 1
    record = control(sim, "/_sim/messages")["messages"][0]
    assert record["path"] == "/api/v1/records" and record["kind"] == "record"
    assert record["record"]["caller_phone"] == "139****5678" and record["record"]["caller_name"] == "王*"
    assert "13912345678" not in json.dumps(record, ensure_ascii=False)


def test_console_api_shows_the_log_and_needs_a_role(app, login):
    client = app.test_client()
    assert client.get("/api/sync/status").status_code == 401
    pub = login(client, "pub", "publisher-pass-1")
    status = client.get("/api/sync/status", headers=pub).get_json()
    assert status["configured"] is True and status["outbox_pending"] == 0
    assert (
        client.post("/api/sync/run", json={"what": "kb"}, headers=login(client, "op", "operator-pass-1")).status_code
        == 403
    )
    assert client.post("/api/sync/run", json={"what": "kb"}, headers=pub).status_code == 202
    svc = app.extensions["hotline"].sync
    for _ in range(600):  # the console's sync runs in the background
        runs = client.get("/api/sync/runs", headers=pub).get_json()["runs"]
        if runs and runs[0]["status"] != "running":
            break
        time.sleep(0.05)
    assert runs[0]["status"] == "ok" and runs[0]["trigger"] == "console:pub" and runs[0]["created"] == 60
    detail = client.get(f"/api/sync/runs/{runs[0]['id']}", headers=pub).get_json()
    assert detail["received"] == 60 and detail["events"] == []
    assert client.get("/api/sync/proposals", headers=pub).get_json()["total"] == 0
    page = client.get("/console/sync")
    assert page.status_code == 200 and "立即同步知识库" in page.get_data(as_text=True)
    assert svc.running() is False


def test_simulator_sends_signed_transfers(app, sim):
    """The simulator's own transfer sender, against the real endpoint served by a thread."""
    from werkzeug.serving import make_server

    server = serve(make_server("127.0.0.1", 0, app, threaded=True))
    try:
        url = f"http://127.0.0.1:{server.server_port}/api/sync/12345/orders"
        results = control(sim, "/_sim/transfer", {"count": 13, "url": url, "secret": SECRET})["results"]
    finally:
        server.shutdown()
    assert {r["status"] for r in results} <= {"accepted", "returned"}
    assert any(r["status"] == "returned" for r in results) and any(r["status"] == "accepted" for r in results)
    assert len(simdata.orders(3)) == 3
