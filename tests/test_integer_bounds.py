"""No integer a caller sends reaches the database unbounded: ids and versions are INTEGER columns (32-bit on
PostgreSQL), and a larger number once overflowed into a 500 (beyond 2^63 on SQLite, beyond 2^31 on PostgreSQL).
Every endpoint with an integer is found from the app's URL map and the OpenAPI document, so a new one is
covered without editing this test; on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from channels.wechat.models import MiniProgramSession
from hotline.clock import utcnow

INT32_MAX = 2**31 - 1  # the INTEGER column of PostgreSQL
HUGE = [INT32_MAX + 1, 2**63, 2**64, 10**30]
MP_TOKEN = "bounds-mini-program-token"


@pytest.fixture
def app_env(db_url):
    return {"HOTLINE_DATABASE_URL": db_url, "HOTLINE_SWEEP_INTERVAL": "0"}


@pytest.fixture
def app(app):
    svc = app.extensions["hotline"]
    unit = svc.work_orders.add_unit("郑州市交通运输局", region="河南省郑州市")
    svc.accounts.create_user(
        "all",
        "all-roles-pass-1",
        ["admin", "editor", "publisher", "operator", "unit", "supervisor"],
        unit_id=unit["id"],
    )
    with svc.db.session() as s:
        s.add(
            MiniProgramSession(
                token_hash=hashlib.sha256(MP_TOKEN.encode()).hexdigest(),
                openid="o-bounds",
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
    return app


@pytest.fixture
def client(client):
    token = client.post("/api/auth/login", json={"username": "all", "password": "all-roles-pass-1"}).get_json()["token"]
    client.staff = {"Authorization": f"Bearer {token}"}
    client.mp = {"Authorization": f"Bearer {MP_TOKEN}"}
    return client


def _headers(client, operation: dict | None) -> dict:
    for requirement in (operation or {}).get("security", []):
        if "MiniProgramAuth" in requirement:
            return client.mp
    return client.staff


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _example(spec: dict, schema: dict):
    """A small value that the schema accepts, so that only the integer under test is wrong."""
    schema = _resolve(spec, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: _example(spec, sub)
            for name, sub in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return "测试内容"[: schema.get("maxLength", 4)] or "x"


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _integer_inputs(spec: dict):
    """(path, method, operation, where, name): every integer a caller can send, from the OpenAPI document."""
    for path, method, operation in _operations(spec):
        for param in operation.get("parameters", []):
            if param["schema"].get("type") == "integer":
                yield path, method, operation, param["in"], param["name"]
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content:
            for name, sub in _resolve(spec, content["schema"]).get("properties", {}).items():
                if _resolve(spec, sub).get("type") == "integer":
                    yield path, method, operation, "body", name


def test_every_integer_input_is_bounded_in_the_spec(app):
    spec = app.spec
    inputs = list(_integer_inputs(spec))
    assert len(inputs) >= 20  # path ids, query cursors and pages, body versions
    unbounded = []
    for path, method, operation, where, name in inputs:
        param = next((p for p in operation.get("parameters", []) if p["name"] == name and p["in"] == where), None)
        schema = (
            param["schema"]
            if param
            else _resolve(
                spec,
                _resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])["properties"][name],
            )
        )
        if schema.get("maximum", float("inf")) > INT32_MAX:
            unbounded.append(f"{method.upper()} {path} {where}:{name}")
    assert unbounded == []


def test_path_ids_beyond_int32_are_not_found(client, app):
    """Every `<int:…>` route of the URL map, every method: a huge id is 404 (no route), the largest one a clean 4xx."""
    rules = [
        r
        for r in app.url_map.iter_rules()
        if any(type(c).__name__ in ("Int32Converter", "IntegerConverter") for c in r._converters.values())
    ]
    assert len(rules) >= 15
    spec_paths = app.spec["paths"]
    for rule in rules:
        openapi_path = re.sub(r"<(?:[^<:]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = spec_paths.get(openapi_path, {}).get(method.lower())
            for value in HUGE + [INT32_MAX]:
                url = rule.rule
                for name, converter in rule._converters.items():
                    url = re.sub(
                        rf"<[^>]*:{name}>|<{name}>",
                        str(value)
                        if type(converter).__name__ in ("Int32Converter", "IntegerConverter")
                        else "20260101-00001",
                        url,
                    )
                resp = client.open(url, method=method, json={}, headers=_headers(client, operation))
                assert resp.status_code < 500, (method, url, resp.status_code, resp.get_data(as_text=True))
                if value > INT32_MAX:
                    assert resp.status_code == 404, (method, url, resp.status_code)
                    assert resp.get_json()["error"]["code"] == "not_found"


def test_query_and_body_integers_beyond_int32_are_422(client, app):
    """Every integer query parameter and JSON body field of the OpenAPI document: a huge value is a 422 that names
    it, the rest of the request being valid; never a 500."""
    spec = app.spec
    checked = 0
    for path, method, operation, where, name in _integer_inputs(spec):
        if where == "path":
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        query = {
            p["name"]: _example(spec, p["schema"])
            for p in operation.get("parameters", [])
            if p["in"] == "query" and p.get("required")
        }
        body = None
        if "requestBody" in operation:
            body = _example(spec, operation["requestBody"]["content"]["application/json"]["schema"])
        for value in HUGE + [-(2**63) - 1]:
            if where == "query":
                query[name] = value
            else:
                body[name] = value
            resp = client.open(
                url, method=method.upper(), query_string=query, json=body, headers=_headers(client, operation)
            )
            assert resp.status_code == 422, (method, path, name, value, resp.status_code, resp.get_data(as_text=True))
            assert name in resp.get_json()["error"]["details"][where if where == "query" else "json"]
            checked += 1
    assert checked >= 5 * 10


def test_the_reported_overflows(client):
    """The probe's own requests: the web chat's poll cursor, a handoff poll, an article version, an action's unit."""
    assert client.get("/api/chat/updates?sender=a&after=9223372036854775808").status_code == 422
    assert client.get("/api/chat/updates?sender=a&after=2147483648").status_code == 422
    assert client.get("/api/chat/updates?sender=a&after=2147483647").status_code == 200
    assert client.get("/api/handoffs/9223372036854775808", headers=client.staff).status_code == 404
    assert client.get("/api/handoffs/2147483647", headers=client.staff).status_code == 404
    created = client.post("/api/kb/articles", json={"title": "测试", "body": "正文"}, headers=client.staff)
    assert created.status_code == 201
    article = created.get_json()
    resp = client.put(
        f"/api/kb/articles/{article['id']}",
        json={"title": "测试", "body": "正文", "version": 2**63},
        headers=client.staff,
    )
    assert resp.status_code == 422 and "version" in resp.get_json()["error"]["details"]["json"]
    order = client.post(
        "/api/orders", json={"order_type": "complaint", "title": "出租车拒载", "facts": "拒载"}, headers=client.staff
    )
    assert order.status_code == 201, order.get_json()
    number = order.get_json()["number"]
    for unit_id in (2**63, 2**31, "1", True, 1.5):
        resp = client.post(
            f"/api/orders/{number}/actions/dispatch", json={"params": {"unit_id": unit_id}}, headers=client.staff
        )
        assert resp.status_code == 422, (unit_id, resp.get_json())
    resp = client.post(
        f"/api/orders/{number}/actions/dispatch", json={"params": {"unit_id": INT32_MAX}}, headers=client.staff
    )
    assert resp.status_code in (409, 422), resp.get_json()  # no such unit: a clean refusal from the domain
