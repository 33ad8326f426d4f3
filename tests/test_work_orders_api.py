"""Work-order API over HTTP: authentication, roles, idempotency, attachments, callers' look-up and rating."""

import io

import pytest

ORDER = {
    "order_type": "complaint",
    "channel": "phone",
    "domain": "城市客运",
    "region": "河南省新乡市",
    "title": "公交车甩站",
    "target": "新乡12路公交",
    "facts": "12路公交在人民公园站不停车",
    "caller_phone": "13812345678",
    "caller_name": "刘女士",
}


@pytest.fixture
def app_env():
    return {"HOTLINE_SWEEP_INTERVAL": "0"}


@pytest.fixture
def app(app):
    svc = app.extensions["hotline"]
    unit = svc.work_orders.add_unit("新乡市公交集团", "河南省新乡市", ["城市客运"])
    svc.accounts.create_user("op", "operator-pass-1", ["operator"], "李座席")
    svc.accounts.create_user("bus", "unit-pass-1", ["unit"], "公交集团", unit_id=unit["id"])
    svc.accounts.create_user("sup", "super-pass-1", ["supervisor"], "王督办", region="河南省")
    svc.accounts.create_user("ed", "editor-pass-1", ["editor"])
    app.config["UNIT_ID"] = unit["id"]
    return app


def test_staff_endpoints_need_a_token_and_the_right_role(client, login):
    assert client.get("/api/orders").status_code == 401
    assert client.post("/api/orders", json=ORDER).status_code == 401
    editor = login(client, "ed", "editor-pass-1")
    resp = client.get("/api/orders", headers=editor)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    unit = login(client, "bus", "unit-pass-1")
    assert client.post("/api/orders", json=ORDER, headers=unit).status_code == 403


def test_create_is_idempotent_and_walks_the_lifecycle(app, client, login):
    op = login(client, "op", "operator-pass-1")
    first = client.post("/api/orders", json=ORDER, headers={**op, "Idempotency-Key": "call-0001"})
    assert first.status_code == 201
    number = first.get_json()["number"]
    again = client.post("/api/orders", json=ORDER, headers={**op, "Idempotency-Key": "call-0001"})
    assert again.status_code == 200 and again.get_json()["number"] == number
    other = client.post(
        "/api/orders", json={**ORDER, "facts": "另一件事"}, headers={**op, "Idempotency-Key": "call-0001"}
    )
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_conflict"

    bad = client.post(
        f"/api/orders/{number}/actions/dispatch", json={"params": {"unit_id": app.config["UNIT_ID"]}}, headers=op
    )
    assert bad.status_code == 409 and "不能执行“转办”" in bad.get_json()["error"]["message"]
    order = client.post(f"/api/orders/{number}/actions/classify", json={"params": {}}, headers=op).get_json()
    stale = client.post(
        f"/api/orders/{number}/actions/dispatch",
        json={"version": order["version"] - 1, "params": {"unit_id": app.config["UNIT_ID"]}},
        headers=op,
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "version_conflict"
    suggested = client.get(f"/api/orders/{number}/route", headers=op).get_json()["units"]
    assert suggested[0]["name"] == "新乡市公交集团"
    resp = client.post(
        f"/api/orders/{number}/actions/dispatch",
        json={"version": order["version"], "params": {"unit_id": suggested[0]["id"]}},
        headers=op,
    )
    assert resp.status_code == 200 and resp.get_json()["state"] == "dispatched"

    unit = login(client, "bus", "unit-pass-1")
    queue = client.get("/api/orders?queue=unit", headers=unit).get_json()
    assert [o["number"] for o in queue["items"]] == [number]
    assert queue["items"][0]["caller_phone"] == "13812345678"
    sup = login(client, "sup", "super-pass-1")
    assert client.get(f"/api/orders/{number}", headers=sup).get_json()["caller_phone"] == "138****5678"
    forbidden = client.post(f"/api/orders/{number}/actions/accept", json={}, headers=op)
    assert forbidden.status_code == 403
    client.post(f"/api/orders/{number}/actions/accept", json={}, headers=unit)
    reply = client.post(f"/api/orders/{number}/actions/reply", json={"params": {"reply": "已约谈驾驶员"}}, headers=unit)
    assert reply.get_json()["state"] == "replied"

    # the caller looks the order up and rates it; no staff data leaks
    status = client.post("/api/orders/lookup", json={"number": number, "last4": "5678"}).get_json()
    assert status["state_label"] == "已办结回复" and status["reply"] == "已约谈驾驶员" and status["can_rate"]
    assert "caller_phone" not in status and "events" not in status
    wrong = client.post("/api/orders/lookup", json={"number": number, "last4": "1234"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["message"] == "工单编号与联系电话后四位不匹配"
    rated = client.post("/api/orders/rate", json={"number": number, "last4": "5678", "rating": "satisfied"})
    assert rated.status_code == 200 and rated.get_json()["rating"] == "satisfied"

    detail = client.get(f"/api/orders/{number}", headers=op).get_json()
    assert [e["action"] for e in detail["events"]] == ["create", "classify", "dispatch", "accept", "reply", "rate"]


def test_bad_input_gets_chinese_json_errors(client, login):
    op = login(client, "op", "operator-pass-1")
    resp = client.post("/api/orders", json={**ORDER, "caller_phone": "110"}, headers=op)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["details"]["caller_phone"].startswith("联系电话格式不正确")
    resp = client.post("/api/orders", json={**ORDER, "order_type": "praise"}, headers=op)
    assert resp.status_code == 422 and resp.get_json()["error"]["message"] == "请求参数有误"
    assert client.get("/api/orders/20260101-00009", headers=op).status_code == 404
    assert client.get("/api/orders?queue=nope", headers=op).status_code == 422
    assert client.post("/api/orders/lookup", json={"number": "x"}).status_code == 422


def test_attachments_size_type_and_scope(app, client, login):
    op = login(client, "op", "operator-pass-1")
    number = client.post("/api/orders", json=ORDER, headers=op).get_json()["number"]
    photo = b"\xff\xd8\xff" + b"0" * 1000
    resp = client.post(
        f"/api/orders/{number}/attachments", headers=op, data={"file": (io.BytesIO(photo), "现场.jpg", "image/jpeg")}
    )
    assert resp.status_code == 201 and resp.get_json()["kind"] == "photo"
    att_id = resp.get_json()["id"]
    big = client.post(
        f"/api/orders/{number}/attachments",
        headers=op,
        data={"file": (io.BytesIO(b"0" * (10 * 1024 * 1024 + 1)), "big.jpg", "image/jpeg")},
    )
    assert big.status_code == 413 and "10MB" in big.get_json()["error"]["message"]
    exe = client.post(
        f"/api/orders/{number}/attachments",
        headers=op,
        data={"file": (io.BytesIO(b"MZ"), "virus.exe", "application/x-msdownload")},
    )
    assert exe.status_code == 415
    got = client.get(f"/api/orders/{number}/attachments/{att_id}", headers=op)
    assert got.status_code == 200 and got.data == photo
    unit = login(client, "bus", "unit-pass-1")  # not dispatched to this unit yet
    assert client.get(f"/api/orders/{number}/attachments/{att_id}", headers=unit).status_code == 403
    detail = client.get(f"/api/orders/{number}", headers=op).get_json()
    assert [a["name"] for a in detail["attachments"]] == ["现场.jpg"]


def test_calendar_overrides_and_overview(client, login):
    op = login(client, "op", "operator-pass-1")
    resp = client.put(
        "/api/calendar/overrides", json={"day": "2027-02-10", "workday": False, "note": "春节"}, headers=op
    )
    assert resp.status_code == 200 and resp.get_json()["overrides"][0]["day"] == "2027-02-10"
    assert client.delete("/api/calendar/overrides/2027-02-11", headers=op).status_code == 404
    assert client.delete("/api/calendar/overrides/garbage", headers=op).status_code == 422
    assert client.delete("/api/calendar/overrides/2027-02-10", headers=op).get_json()["overrides"] == []
    overview = client.get("/api/orders/overview", headers=op).get_json()
    assert overview["labels"]["overdue"] == "已超期" and overview["actions"]["dispatch"] == "转办"
    assert set(overview["counts"]) == set(overview["labels"])
    # the page takes the 管理办法's limits from here instead of repeating them
    assert overview["options"]["return_hours"] == 24 and overview["options"]["max_extension_days"] == 10
    page = client.get("/console/orders").get_data(as_text=True)
    assert "24小时内提出" not in page and "1–10个工作日" not in page


def test_openapi_documents_the_work_order_api(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/orders",
        "/api/orders/{number}/actions/{action}",
        "/api/orders/lookup",
        "/api/orders/rate",
        "/api/units",
        "/api/calendar/overrides",
    ):
        assert path in paths


def test_export_is_masked_for_roles_that_do_not_need_contact_data(client, login):
    op = login(client, "op", "operator-pass-1")
    client.post("/api/orders", json={**ORDER, "title": '=HYPERLINK("http://x")'}, headers=op)
    sup = login(client, "sup", "super-pass-1")
    resp = client.get("/api/orders/export?queue=all", headers=sup)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    text = resp.data.decode("utf-8-sig")
    assert "工单编号,类型" in text and "138****5678" in text and "13812345678" not in text
    assert "'=HYPERLINK" in text  # a formula is exported as text
    assert "13812345678" in client.get("/api/orders/export?queue=all", headers=op).data.decode("utf-8-sig")


def test_province_review_over_http_is_scoped_to_the_region(app, client, login):
    svc = app.extensions["hotline"]
    svc.accounts.create_user("sup-bj", "super-pass-2", ["supervisor"], "钱督办", region="北京市")
    op, unit = login(client, "op", "operator-pass-1"), login(client, "bus", "unit-pass-1")
    number = client.post("/api/orders", json=ORDER, headers=op).get_json()["number"]
    client.post(f"/api/orders/{number}/actions/classify", json={}, headers=op)
    client.post(
        f"/api/orders/{number}/actions/dispatch", json={"params": {"unit_id": app.config["UNIT_ID"]}}, headers=op
    )
    client.post(f"/api/orders/{number}/actions/accept", json={}, headers=unit)
    client.post(f"/api/orders/{number}/actions/reply", json={"params": {"reply": "已约谈驾驶员"}}, headers=unit)
    beijing = login(client, "sup-bj", "super-pass-2")
    resp = client.post(f"/api/orders/{number}/province-review", json={"note": "复核通过"}, headers=beijing)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/orders/{number}", headers=beijing).status_code == 403  # as for every other view
    henan = login(client, "sup", "super-pass-1")
    resp = client.post(f"/api/orders/{number}/province-review", json={"note": "复核通过"}, headers=henan)
    assert resp.status_code == 200 and resp.get_json()["province_reviewed_at"]
