"""The OpenAPI document is true: schemathesis drives every documented operation of a private instance (temporary
var dir, fake Rasa, a staff user with every role, a mini-program session) and checks that the app answers no 5xx,
only documented status codes and content types, and bodies that match the documented schemas."""

from __future__ import annotations

import hashlib
import shutil
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.checks import missing_required_header, unsupported_method

from channels.wechat.models import MiniProgramSession
from hotline.clock import utcnow
from hotline.tabular import XLSX_TYPE
from sim12345.server import Simulator
from tests.conftest import make_settings
from tests.fakes import cited_rasa, serve
from tests.wechat_fake import FakeWeChat
from webapp import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    missing_required_header,
    unsupported_method,
]
MAX_EXAMPLES = 20  # per operation: the whole run stays well under 3 minutes on 2 cores
STAFF_PASSWORD = "all-roles-pass-1"
MP_TOKEN = "conformance-mini-program-token"
SEEN: dict[str, set[int]] = {}  # operation -> status codes answered


@pytest.fixture(scope="module")
def instance(seeded_dir, tmp_path_factory, embedder):
    """A private app: a copy of the seeded var dir (writes are allowed), a fake Rasa, tokens for both schemes."""
    var = tmp_path_factory.mktemp("conformance")
    shutil.copytree(seeded_dir, var, dirs_exist_ok=True)
    rasa = cited_rasa()
    wechat = FakeWeChat({"wx-mp-conformance": "mp-secret"})
    twelve345 = serve(Simulator(articles=2, seed=13))
    app = create_app(
        make_settings(
            var,
            HOTLINE_RASA_URL=rasa.url,
            HOTLINE_RASA_TIMEOUT="1",
            HOTLINE_WECHAT_API_BASE=wechat.url,
            HOTLINE_WECHAT_APPID="wx-oa-conformance",
            HOTLINE_MINIPROGRAM_APPID="wx-mp-conformance",
            HOTLINE_MINIPROGRAM_SECRET="mp-secret",
            HOTLINE_SYNC_URL=twelve345.url,
            HOTLINE_SYNC_TOKEN=twelve345.token,
            HOTLINE_SYNC_SECRET="conformance-secret",
        )
    )
    svc = app.extensions["hotline"]
    svc.kb.embedder = embedder
    unit = svc.work_orders.add_unit("新乡市交通运输综合行政执法支队", region="河南省新乡市", domains=["道路运输"])
    svc.accounts.create_user(
        "staff_all",
        STAFF_PASSWORD,
        ["admin", "editor", "publisher", "operator", "unit", "supervisor"],
        unit_id=unit["id"],
    )
    with svc.db.session() as s:
        s.add(
            MiniProgramSession(
                token_hash=hashlib.sha256(MP_TOKEN.encode()).hexdigest(),
                openid="o-conformance",
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
    with app.test_client() as client:
        resp = client.post("/api/auth/login", json={"username": "staff_all", "password": STAFF_PASSWORD})
        assert resp.status_code == 200, resp.get_json()
        staff_token = resp.get_json()["token"]
    yield app, staff_token
    rasa.close()
    wechat.close()
    twelve345.stop()


@pytest.fixture(scope="module")
def api_schema(instance):
    app, staff_token = instance
    config = schemathesis.Config.from_dict(
        {
            # schemathesis applies the tokens by the operation's security scheme, and leaves them out on purpose
            # where it checks that a missing token is refused
            "auth": {"openapi": {"BearerAuth": {"bearer": staff_token}, "MiniProgramAuth": {"bearer": MP_TOKEN}}},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        }
    )
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)


@pytest.fixture(autouse=True)
def _node_id(request):
    """schemathesis 4.32's lazy schema renames the test node through `_nodeid`, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_openapi_is_true(case):
    if case.path in ("/api/auth/logout", "/api/auth/refresh", "/api/mp/logout"):
        return  # would end the session every other operation uses (each is covered by its own tests)
    response = case.call_and_validate(checks=CHECKS)
    SEEN.setdefault(case.operation.label, set()).add(response.status_code)


def test_the_run_reached_the_operations():
    """The tokens were used: most operations answered a success at least once, not only 401/404/422."""
    succeeded = sorted(label for label, codes in SEEN.items() if any(200 <= c < 300 for c in codes))
    print(f"{len(succeeded)} of {len(SEEN)} operations answered 2xx")
    assert len(SEEN) >= 60
    assert len(succeeded) >= 35, SEEN
    assert "GET /api/kb/articles" in succeeded and "GET /api/mp/orders" in succeeded


# ---------------------------------------------------------------- what the probe found, one by one


def _client(instance):
    app, staff_token = instance
    client = app.test_client()
    return client, {"Authorization": f"Bearer {staff_token}"}


def test_a_405_says_allow(instance):
    client, staff = _client(instance)
    for path in ("/api/health", "/api/kb/articles/1", "/api/chat"):
        resp = client.open(path, method="TRACE", headers=staff)
        assert resp.status_code == 405 and resp.headers.get("Allow"), path
        assert resp.get_json()["error"]["code"] == "method_not_allowed"


def test_booleans_are_json_booleans(instance):
    client, staff = _client(instance)
    for value in (0, 1, "true", "1", None):
        resp = client.put("/api/calendar/overrides", json={"day": "2026-12-05", "workday": value}, headers=staff)
        assert resp.status_code == 422 and "workday" in resp.get_json()["error"]["details"]["json"], value
        resp = client.post("/api/kb/articles", json={"title": "标题", "body": "正文", "urgent": value}, headers=staff)
        assert resp.status_code == 422 and "urgent" in resp.get_json()["error"]["details"]["json"], value
    assert (
        client.put("/api/calendar/overrides", json={"day": "2026-12-05", "workday": True}, headers=staff).status_code
        == 200
    )


def test_blank_chat_text_is_refused_by_the_schema_itself(instance):
    """The schema's pattern and the app agree on every kind of blank (Python's and ECMA's \\s differ)."""
    import jsonschema_rs

    app, _ = instance
    spec = app.spec
    text = spec["components"]["schemas"]["ChatIn"]["properties"]["text"]
    assert text["minLength"] == 1 and "pattern" in text
    validator = jsonschema_rs.validator_for(text)
    client = app.test_client()
    for value in ["", " ", "\u3000\t\n", "\x1c\x1f", "\x85", "\u2028", "你好", " 你好 ", "\ufeff", "\u200b"]:
        resp = client.post("/api/chat", json={"sender": "blank-test", "text": value})
        assert validator.is_valid(value) == (resp.status_code == 200), (value, resp.status_code)


def test_csv_export_is_documented_as_csv(instance):
    client, staff = _client(instance)
    app, _ = instance
    resp = client.get("/api/orders/export?queue=all", headers=staff)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    content = app.spec["paths"]["/api/orders/export"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["text/csv", XLSX_TYPE]
    resp = client.get("/api/orders/export?queue=all&format=xlsx", headers=staff)
    assert resp.status_code == 200 and resp.mimetype == XLSX_TYPE and resp.data[:2] == b"PK"


def test_busy_and_throttled_answers_document_retry_after(instance):
    app, _ = instance
    paths = app.spec["paths"]
    for path in ("/api/chat", "/api/mp/chat"):
        assert "Retry-After" in paths[path]["post"]["responses"]["503"]["headers"]
    for path in ("/api/auth/login", "/api/orders/lookup"):
        assert "Retry-After" in paths[path]["post"]["responses"]["429"]["headers"]
