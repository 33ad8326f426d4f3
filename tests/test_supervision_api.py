"""Supervision over HTTP: roles (supervisors and admins for topics, the problem list and alerts; operators and
supervisors link duplicates; every staff role acts on a group within its own scope) and region scoping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.clock import china_time, utcnow
from supervision import surges

CHECKPOINT = [
    "卫辉检查站不让我们大货车过，直接劝返",
    "今天早上在卫辉检查站被劝返了",
    "107国道卫辉检查站劝返货车，也不说原因",
    "我是跑冷链的，到卫辉检查站就被拦下来劝返",
    "卫辉检查站的工作人员不让货车通行，劝我们原路返回",
]


@pytest.fixture
def app_env():
    return {"HOTLINE_SWEEP_INTERVAL": "0"}


@pytest.fixture
def world(app, client, login):
    svc = app.extensions["hotline"]
    unit = svc.work_orders.add_unit("卫辉市交通运输局", "河南省新乡市卫辉市", ["公路"], is_authority=True)
    svc.accounts.create_user("op", "operator-pass-1", ["operator"], "李座席")
    svc.accounts.create_user("unit", "unit-pass-1", ["unit"], "卫辉市交通运输局", unit_id=unit["id"])
    svc.accounts.create_user("sup", "super-pass-1", ["supervisor"], "王督办", region="河南省")
    svc.accounts.create_user("sup-bj", "super-pass-2", ["supervisor"], "赵督办", region="北京市")
    svc.accounts.create_user("root", "admin-pass-1", ["admin"], "管理员")
    numbers = []
    for i, text in enumerate(CHECKPOINT):
        order, _ = svc.work_orders.create(
            {
                "order_type": "complaint",
                "channel": "phone",
                "domain": "公路",
                "region": "河南省新乡市卫辉市",
                "title": text[:20],
                "facts": text,
                "caller_phone": f"1390000{i:04d}",
            }
        )
        numbers.append(order["number"])
    tokens = {
        name: login(client, name, password)
        for name, password in (
            ("op", "operator-pass-1"),
            ("unit", "unit-pass-1"),
            ("sup", "super-pass-1"),
            ("sup-bj", "super-pass-2"),
            ("root", "admin-pass-1"),
        )
    }
    return {"svc": svc, "numbers": numbers, "tokens": tokens, "unit_id": unit["id"]}


def test_topics_are_for_supervisors_of_the_region(client, world):
    t = world["tokens"]
    assert client.get("/api/supervision/topics").status_code == 401
    assert client.get("/api/supervision/topics", headers=t["op"]).status_code == 403
    today = china_time(utcnow()).date()
    query = f"start={today - timedelta(days=1)}&end={today}"
    resp = client.get(f"/api/supervision/topics?{query}", headers=t["sup"])
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["region"] == "河南省" and body["total"] == 5
    assert body["topics"][0]["count"] == 5 and sorted(body["topics"][0]["orders"]) == sorted(world["numbers"])
    assert client.get(f"/api/supervision/topics?{query}", headers=t["sup-bj"]).get_json()["total"] == 0
    resp = client.get(f"/api/supervision/topics?{query}&region=河南省", headers=t["sup-bj"])
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    bad = client.get(f"/api/supervision/topics?start={today}&end={today - timedelta(days=2)}", headers=t["sup"])
    assert bad.status_code == 422


def test_the_problem_list_over_http(client, world):
    t, numbers = world["tokens"], world["numbers"]
    body = {"title": "卫辉检查站劝返货车", "keywords": ["卫辉", "劝返"], "orders": numbers}
    assert client.post("/api/supervision/problems", json=body, headers=t["op"]).status_code == 403
    assert client.post("/api/supervision/problems", json=body, headers=t["sup-bj"]).status_code == 422  # not theirs
    resp = client.post("/api/supervision/problems", json=body, headers=t["sup"])
    assert resp.status_code == 201, resp.get_json()
    item = resp.get_json()
    assert item["region"] == "河南省" and item["order_count"] == 5 and item["state"] == "listed"
    pid = item["id"]
    assert client.get(f"/api/supervision/problems/{pid}", headers=t["sup-bj"]).status_code == 404
    assert client.get("/api/supervision/problems", headers=t["sup-bj"]).get_json()["total"] == 0
    resp = client.post(
        f"/api/supervision/problems/{pid}/actions/close", json={"note": "已整改"}, headers=t["sup"]
    )  # not yet supervised
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "invalid_transition"
    resp = client.post(
        f"/api/supervision/problems/{pid}/actions/supervise",
        json={"note": "交卫辉市交通运输局整改", "version": item["version"]},
        headers=t["sup"],
    )
    assert resp.status_code == 200 and resp.get_json()["state_label"] == "督办中"
    stale = client.post(
        f"/api/supervision/problems/{pid}/actions/close",
        json={"note": "已整改", "version": item["version"]},
        headers=t["root"],
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "version_conflict"
    resp = client.post(
        f"/api/supervision/problems/{pid}/orders", json={"remove": numbers[:1]}, headers=t["sup"]
    ).get_json()
    assert resp["order_count"] == 4
    resp = client.post(f"/api/supervision/problems/{pid}/actions/close", json={"note": "已整改"}, headers=t["root"])
    assert resp.status_code == 200
    events = resp.get_json()["events"]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("list", "sup"),
        ("supervise", "sup"),
        ("link", "sup"),
        ("close", "root"),
    ]
    listed = client.get("/api/supervision/problems?state=closed", headers=t["sup"]).get_json()
    assert [i["id"] for i in listed["items"]] == [pid]


def test_alerts_over_http(app, client, world):
    t = world["tokens"]
    surges.detect(world["svc"].db, utcnow() + timedelta(minutes=1))
    assert client.get("/api/supervision/alerts", headers=t["op"]).status_code == 403
    assert client.get("/api/supervision/alerts", headers=t["sup-bj"]).get_json()["items"] == []
    items = client.get("/api/supervision/alerts?status=open", headers=t["sup"]).get_json()["items"]
    assert [(a["kind"], a["subject"], a["count"]) for a in items] == [("place", "卫辉检查站", 5)]
    aid = items[0]["id"]
    assert client.get(f"/api/supervision/alerts/{aid}", headers=t["sup-bj"]).status_code == 404
    detail = client.get(f"/api/supervision/alerts/{aid}", headers=t["sup"]).get_json()
    assert sorted(o["number"] for o in detail["orders"]) == sorted(world["numbers"])
    resp = client.post(f"/api/supervision/alerts/{aid}/acknowledge", json={"note": "已核查"}, headers=t["sup"])
    assert resp.status_code == 200 and resp.get_json()["status"] == "acknowledged"
    again = client.post(f"/api/supervision/alerts/{aid}/acknowledge", json={}, headers=t["sup"])
    assert again.status_code == 422


def test_duplicate_groups_over_http(client, world):
    t, numbers = world["tokens"], world["numbers"]
    resp = client.get(f"/api/orders/{numbers[0]}/duplicates", headers=t["op"])
    assert resp.status_code == 200 and set(numbers[1:]) <= {c["number"] for c in resp.get_json()["items"]}
    assert client.get(f"/api/orders/{numbers[0]}/duplicates", headers=t["unit"]).status_code == 403
    assert client.post("/api/duplicate-groups", json={"numbers": numbers}, headers=t["unit"]).status_code == 403
    resp = client.post(
        "/api/duplicate-groups", json={"numbers": numbers[:3], "subject": "卫辉检查站劝返"}, headers=t["op"]
    )
    assert resp.status_code == 201, resp.get_json()
    gid = resp.get_json()["id"]
    done = client.post(f"/api/duplicate-groups/{gid}/actions/classify", json={"params": {}}, headers=t["op"]).get_json()
    assert (done["done"], done["skipped"]) == (3, 0)
    done = client.post(
        f"/api/duplicate-groups/{gid}/actions/dispatch",
        json={"params": {"unit_id": world["unit_id"]}},
        headers=t["op"],
    ).get_json()
    assert done["done"] == 3 and {r["state"] for r in done["results"]} == {"dispatched"}
    resp = client.post(
        f"/api/duplicate-groups/{gid}/actions/callback", json={"params": {"result": "satisfied"}}, headers=t["op"]
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "not_for_groups"
    # a unit may take the group's actions on its own orders, but not an operator's
    resp = client.post(f"/api/duplicate-groups/{gid}/actions/accept", json={"params": {}}, headers=t["unit"])
    assert resp.get_json()["done"] == 3
    refused = client.post(
        f"/api/duplicate-groups/{gid}/actions/classify", json={"params": {}}, headers=t["unit"]
    ).get_json()
    assert refused["done"] == 0 and all(r["code"] in ("forbidden", "invalid_transition") for r in refused["results"])
    group = client.get(f"/api/duplicate-groups/{gid}", headers=t["unit"]).get_json()
    assert {m["state"] for m in group["members"]} == {"in_progress"}
    resp = client.delete(f"/api/orders/{numbers[0]}/duplicate-group", headers=t["op"])
    assert resp.status_code == 200 and len(resp.get_json()["members"]) == 2


def test_no_caller_numbers_in_any_supervision_view(client, world):
    """A phone number written into the title, target, facts or location stays masked in topics, problems, alerts
    and duplicate groups (管理办法 第七条): supervisors see none, as in the order views."""
    svc, t = world["svc"], world["tokens"]
    raw = "13946015678"
    numbers = []
    for i in range(5):
        order, _ = svc.work_orders.create(
            {
                "order_type": "complaint",
                "channel": "phone",
                "region": "河南省新乡市",
                "title": f"司机电话{raw}拒载",
                "target": f"车主{raw}",
                "facts": f"新乡东站出租车拒载，司机留的号码是{raw}",
                "location": f"{raw}附近的站台",
                "caller_phone": f"1370000{i:04d}",
            }
        )
        numbers.append(order["number"])
    surges.detect(svc.db, utcnow() + timedelta(minutes=1))
    today = china_time(utcnow()).date()
    seen = [client.get(f"/api/supervision/topics?start={today}&end={today}", headers=t["sup"]).get_json()]
    problem = client.post(
        "/api/supervision/problems", json={"title": "拒载", "orders": numbers}, headers=t["sup"]
    ).get_json()
    seen.append(client.get(f"/api/supervision/problems/{problem['id']}", headers=t["sup"]).get_json())
    for alert in client.get("/api/supervision/alerts", headers=t["sup"]).get_json()["items"]:
        seen.append(client.get(f"/api/supervision/alerts/{alert['id']}", headers=t["sup"]).get_json())
    seen.append(client.get(f"/api/orders/{numbers[0]}/duplicates", headers=t["sup"]).get_json())
    group = client.post("/api/duplicate-groups", json={"numbers": numbers}, headers=t["sup"]).get_json()
    seen.append(client.get(f"/api/duplicate-groups/{group['id']}", headers=t["sup"]).get_json())
    text = str(seen)
    assert len(seen) >= 6 and raw not in text and "4601" not in text and "139****5678" in text
