"""The console shell's API: who is signed in, the token refresh, the live pulse (ETag, 304, per role), the
admins' staff accounts and unit editing, and the pages with their menu by role."""

import re
import uuid

import pytest

from hotline.clock import utcnow
from supervision.models import SurgeAlert
from tests.test_work_orders_api import ORDER


@pytest.fixture
def app_env():
    return {"HOTLINE_SWEEP_INTERVAL": "0"}


@pytest.fixture
def app(app):
    svc = app.extensions["hotline"]
    unit = svc.work_orders.add_unit("新乡市公交集团", "河南省新乡市", ["城市客运"])
    svc.accounts.create_user("root", "admin-pass-1", ["admin"], "系统管理员")
    svc.accounts.create_user("op", "operator-pass-1", ["operator"], "李座席")
    svc.accounts.create_user("bus", "unit-pass-1", ["unit"], "公交集团", unit_id=unit["id"])
    svc.accounts.create_user("sup", "super-pass-1", ["supervisor"], "王督办", region="河南省")
    svc.accounts.create_user("ed", "editor-pass-1", ["editor"], "王编辑")
    app.config["UNIT_ID"] = unit["id"]
    app.config["CONSOLE_PULSE_TTL"] = 0  # every pulse counts afresh (the cache has its own test)
    return app


def test_me_says_who_is_signed_in_and_refresh_swaps_the_token(client, login):
    assert client.get("/api/auth/me").status_code == 401
    op = login(client, "op", "operator-pass-1")
    me = client.get("/api/auth/me", headers=op).get_json()
    assert me["user"] == {"username": "op", "display_name": "李座席", "roles": ["operator"]}
    assert me["expires_at"]
    fresh = client.post("/api/auth/refresh", headers=op)
    assert fresh.status_code == 200
    body = fresh.get_json()
    assert body["token"] and body["expires_at"] >= me["expires_at"] and body["user"]["username"] == "op"
    assert client.get("/api/auth/me", headers=op).status_code == 401  # the old token ended
    assert client.get("/api/auth/me", headers={"Authorization": "Bearer " + body["token"]}).status_code == 200


def test_pulse_answers_304_until_a_count_changes(client, login):
    op = login(client, "op", "operator-pass-1")
    first = client.get("/api/console/pulse", headers=op)
    assert first.status_code == 200 and first.headers["ETag"]
    body = first.get_json()
    assert body["orders"]["counts"]["new"] == 0 and body["orders"]["attention"] == 0
    assert body["handoffs"] == {"queued": 0, "urgent": 0, "taken": 0, "newest": 0}
    same = client.get("/api/console/pulse", headers={**op, "If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304 and same.get_data() == b""

    client.post("/api/orders", json={**ORDER, "urgent": True}, headers=op)
    changed = client.get("/api/console/pulse", headers={**op, "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    orders = changed.get_json()["orders"]
    assert orders["counts"]["new"] == 1 and orders["attention"] == 1
    assert orders["urgent"] == 1 and orders["newest_urgent"] > 0


def test_pulse_shows_each_role_its_own_part(client, login):
    client.post("/api/orders", json=ORDER, headers=login(client, "op", "operator-pass-1"))
    editor = client.get("/api/console/pulse", headers=login(client, "ed", "editor-pass-1")).get_json()
    assert editor["orders"] is None and editor["handoffs"] is None
    unit = client.get("/api/console/pulse", headers=login(client, "bus", "unit-pass-1")).get_json()
    assert unit["handoffs"] is None
    assert unit["orders"]["counts"]["all"] == 0  # not dispatched to the unit yet: outside its scope
    sup = client.get("/api/console/pulse", headers=login(client, "sup", "super-pass-1")).get_json()
    assert sup["orders"]["counts"]["all"] == 1 and sup["handoffs"] is None
    assert sup["alerts"] == {"open": 0, "newest": 0}
    assert editor["alerts"] is None and unit["alerts"] is None


def test_pulse_counts_the_open_surge_alerts_of_the_supervisors_region(app, client, login):
    db = app.extensions["hotline"].db
    app.extensions["hotline"].accounts.create_user("sup-bj", "super-pass-2", ["supervisor"], "赵督办", region="北京市")
    now = utcnow()
    with db.session() as s:
        for region, status in (("河南省新乡市", "open"), ("河南省许昌市", "open"), ("河南省新乡市", "acknowledged")):
            s.add(
                SurgeAlert(
                    key=uuid.uuid4().hex,
                    kind="place",
                    subject="卫辉检查站",
                    region=region,
                    count=5,
                    order_ids=[],
                    window_start=now,
                    window_end=now,
                    status=status,
                )
            )
    sup = login(client, "sup", "super-pass-1")
    alerts = client.get("/api/console/pulse", headers=sup).get_json()["alerts"]
    assert alerts["open"] == 2 and alerts["newest"] > 0
    assert client.get("/api/console/pulse", headers=login(client, "sup-bj", "super-pass-2")).get_json()["alerts"] == {
        "open": 0,
        "newest": 0,
    }
    assert client.get("/api/console/pulse", headers=login(client, "op", "operator-pass-1")).get_json()["alerts"] is None
    assert (
        client.get("/api/console/pulse", headers=login(client, "root", "admin-pass-1")).get_json()["alerts"]["open"]
        == 2
    )


def test_only_admins_manage_staff(client, login):
    op = login(client, "op", "operator-pass-1")
    assert client.get("/api/staff", headers=op).status_code == 403
    assert (
        client.post(
            "/api/staff", json={"username": "x", "password": "12345678", "roles": ["editor"]}, headers=op
        ).status_code
        == 403
    )
    assert client.put("/api/units/1", json={"active": False}, headers=op).status_code == 403


def test_admin_adds_changes_disables_and_resets_an_account(app, client, login):
    root = login(client, "root", "admin-pass-1")
    listed = client.get("/api/staff", headers=root).get_json()["items"]
    assert {u["username"] for u in listed} >= {"root", "op", "bus"} and "password_hash" not in listed[0]

    bad = client.post("/api/staff", json={"username": "u2", "password": "unit-pass-2", "roles": ["unit"]}, headers=root)
    assert bad.status_code == 422 and "承办单位" in bad.get_json()["error"]["message"]
    made = client.post(
        "/api/staff",
        json={
            "username": "u2",
            "display_name": "二号承办",
            "password": "unit-pass-2",
            "roles": ["unit"],
            "unit_id": app.config["UNIT_ID"],
        },
        headers=root,
    )
    assert made.status_code == 201
    user = made.get_json()
    assert user["roles"] == ["unit"] and user["unit_id"] == app.config["UNIT_ID"] and user["active"] is True
    u2 = login(client, "u2", "unit-pass-2")

    moved = client.put(
        f"/api/staff/{user['id']}", json={"roles": ["supervisor"], "region": "河南省新乡市"}, headers=root
    )
    assert moved.status_code == 200 and moved.get_json()["region"] == "河南省新乡市"
    assert client.get("/api/auth/me", headers=u2).status_code == 401  # a role taken away ends the sessions
    sup = login(client, "u2", "unit-pass-2")
    assert client.put(f"/api/staff/{user['id']}", json={"active": False}, headers=root).get_json()["active"] is False
    assert client.get("/api/auth/me", headers=sup).status_code == 401
    assert client.post("/api/auth/login", json={"username": "u2", "password": "unit-pass-2"}).status_code == 401

    client.put(f"/api/staff/{user['id']}", json={"active": True}, headers=root)
    reset = client.post(f"/api/staff/{user['id']}/password", headers=root)
    assert reset.status_code == 200
    password = reset.get_json()["password"]
    assert len(password) >= 8
    assert client.post("/api/auth/login", json={"username": "u2", "password": "unit-pass-2"}).status_code == 401
    login(client, "u2", password)
    assert client.put("/api/staff/999999", json={"active": False}, headers=root).status_code == 404


def test_an_admin_cannot_lock_themselves_out(client, login):
    root = login(client, "root", "admin-pass-1")
    me = next(u for u in client.get("/api/staff", headers=root).get_json()["items"] if u["username"] == "root")
    for change in ({"active": False}, {"roles": ["operator"]}):
        resp = client.put(f"/api/staff/{me['id']}", json=change, headers=root)
        assert resp.status_code == 422, change
    assert client.post(f"/api/staff/{me['id']}/password", headers=root).status_code == 422
    assert client.get("/api/auth/me", headers=root).status_code == 200


def test_admin_edits_and_retires_a_unit(app, client, login):
    root = login(client, "root", "admin-pass-1")
    op = login(client, "op", "operator-pass-1")
    number = client.post("/api/orders", json=ORDER, headers=op).get_json()["number"]
    unit_id = app.config["UNIT_ID"]
    assert [u["id"] for u in client.get(f"/api/orders/{number}/route", headers=op).get_json()["units"]] == [unit_id]
    changed = client.put(
        f"/api/units/{unit_id}",
        json={"duties": "市区公交线路", "is_authority": True, "domains": ["城市客运", "道路运输"]},
        headers=root,
    ).get_json()
    assert changed["duties"] == "市区公交线路" and changed["is_authority"] is True
    assert changed["domains"] == ["城市客运", "道路运输"] and changed["name"] == "新乡市公交集团"
    client.put(f"/api/units/{unit_id}", json={"active": False}, headers=root)
    assert client.get(f"/api/orders/{number}/route", headers=op).get_json()["units"] == []
    other = client.post("/api/units", json={"name": "新乡市交通运输局"}, headers=root).get_json()
    dup = client.put(f"/api/units/{other['id']}", json={"name": "新乡市公交集团"}, headers=root)
    assert dup.status_code == 422 and dup.get_json()["error"]["code"] == "duplicate_unit"
    assert client.put("/api/units/999999", json={"active": True}, headers=root).status_code == 404


@pytest.mark.parametrize(
    "path, page",
    [
        ("/console", "kb"),
        ("/console/orders", "orders"),
        ("/console/handoff", "handoff"),
        ("/console/sync", "sync"),
        ("/console/admin", "admin"),
        ("/console/stats", "stats"),
        ("/console/supervision", "supervision"),
        ("/console/reports", "reports"),
    ],
)
def test_every_console_page_is_the_shell_with_the_whole_menu(client, path, page):
    html = client.get(path).get_data(as_text=True)
    assert 'id="login-form"' in html and "/static/console.js" in html
    menu = dict(re.findall(r'<a href="([^"]+)" data-page="[^"]+" data-roles="([^"]+)"', html))
    assert menu["/console"] == "admin,editor,publisher"
    assert menu["/console/orders"] == "admin,operator,unit,supervisor"
    assert menu["/console/handoff"] == "admin,operator"
    assert menu["/console/stats"] == "admin,supervisor"
    assert menu["/console/supervision"] == "admin,supervisor"
    assert menu["/console/admin"] == "admin"
    assert menu["/console/reports"] == "admin,supervisor"
    assert 'src="/static/console.js"' in html and "sessionStorage" not in html  # no login code of its own
    assert re.search(rf'data-page="{page}"[^>]*class="hidden current"', html)
    assert client.get("/static/console.js").status_code == 200


def test_an_order_says_what_it_awaits_what_is_refused_and_how_to_classify_it(client, login):
    op = login(client, "op", "operator-pass-1")
    body = {**ORDER, "region": "河南省", "title": "", "location": "新乡市人民公园站"}
    number = client.post("/api/orders", json=body, headers=op).get_json()["number"]
    order = client.get(f"/api/orders/{number}", headers=op).get_json()
    assert order["title"] == "新乡12路公交：甩站"
    assert order["suggested"]["region"] == "河南省新乡市" and order["suggested"]["domain"] == "城市客运"
    assert order["awaiting"].startswith("等待话务座席审核分类") and order["blocked"] == {}


def test_one_scope_is_counted_once_per_interval_however_many_poll(app, client, login):
    app.config["CONSOLE_PULSE_TTL"] = 60
    app.extensions.pop("console_pulses", None)
    op = login(client, "op", "operator-pass-1")
    before = client.get("/api/console/pulse", headers=op).get_json()["orders"]["counts"]["new"]
    client.post("/api/orders", json=ORDER, headers=op)
    other = login(client, "root", "admin-pass-1")  # an admin sees what operators see: the same scope
    assert client.get("/api/console/pulse", headers=other).get_json()["orders"]["counts"]["new"] == before
    app.extensions.pop("console_pulses")  # the interval over
    assert client.get("/api/console/pulse", headers=op).get_json()["orders"]["counts"]["new"] == before + 1


def test_exports_have_every_field_in_china_time_masked_per_role(app, client, login):
    import csv
    import io

    from openpyxl import load_workbook

    op = login(client, "op", "operator-pass-1")
    number = client.post("/api/orders", json=ORDER, headers=op).get_json()["number"]
    client.post(
        f"/api/orders/{number}/actions/classify", json={"version": 1, "params": {"domain": "城市客运"}}, headers=op
    )
    sup = login(client, "sup", "super-pass-1")
    text = client.get("/api/orders/export?queue=all", headers=sup).data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    row = next(r for r in rows if r["工单编号"] == number)
    for column in ("办结时间", "回访结果", "评价", "延期天数", "是否延期", "反映内容", "转办期限", "归档时间"):
        assert column in row
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row["受理时间"])  # China time to the minute, no ISO
    assert row["联系电话"] == "138****5678" and row["反映内容"] == ORDER["facts"]

    resp = client.get("/api/orders/export?queue=all&format=xlsx", headers=sup)
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    values = [["" if c.value is None else c.value for c in r] for r in sheet.iter_rows()]
    assert values[0] == list(rows[0].keys())
    assert [str(v) for v in values[1]] == list(next(iter(rows)).values())
    assert "13812345678" not in str(values)
    operator_xlsx = load_workbook(io.BytesIO(client.get("/api/orders/export?queue=all&format=xlsx", headers=op).data))
    assert "13812345678" in str([[c.value for c in r] for r in operator_xlsx.active.iter_rows()])
