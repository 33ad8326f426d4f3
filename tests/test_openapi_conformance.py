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
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from channels.wechat.models import MiniProgramSession
from channels.wechat.users import utcnow
from tests.conftest import make_settings
from sim12345.server import Simulator
from tests.test_api import FakeRasa
from tests.wechat_fake import FakeWeChat
from webapp import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 12  # per operation and phase: ~70 operations stay well under 3 minutes on 2 cores
STAFF_PASSWORD = "all-roles-pass-1"
MP_TOKEN = "conformance-mini-program-token"


@pytest.fixture(scope="module")
def instance(seeded_dir, tmp_path_factory, embedder):
    """A private app: a copy of the seeded var dir (writes are allowed), a fake Rasa, tokens for both schemes."""
    var = tmp_path_factory.mktemp("conformance")
    shutil.copytree(seeded_dir, var, dirs_exist_ok=True)
    rasa = FakeRasa()
    wechat = FakeWeChat({"wx-mp-conformance": "mp-secret"})
    twelve345 = Simulator(articles=2, seed=13).start()
    app = create_app(make_settings(var, HOTLINE_RASA_URL=rasa.url, HOTLINE_RASA_TIMEOUT="1",
                                   HOTLINE_WECHAT_API_BASE=wechat.url, HOTLINE_MINIPROGRAM_APPID="wx-mp-conformance",
                                   HOTLINE_MINIPROGRAM_SECRET="mp-secret", HOTLINE_SYNC_URL=twelve345.url,
                                   HOTLINE_SYNC_TOKEN=twelve345.token, HOTLINE_SYNC_SECRET="conformance-secret"))
    svc = app.extensions["hotline"]
    svc.kb.embedder = embedder
    unit = svc.work_orders.add_unit("新乡市交通运输综合行政执法支队", region="河南省新乡市", domains=["道路运输"])
    svc.accounts.create_user("staff_all", STAFF_PASSWORD, ["admin", "editor", "publisher", "operator", "unit",
                                                           "supervisor"], unit_id=unit["id"])
    with svc.db.session() as s:
        s.add(MiniProgramSession(token_hash=hashlib.sha256(MP_TOKEN.encode()).hexdigest(), openid="o-conformance",
                                 created_at=utcnow(), expires_at=utcnow() + timedelta(days=1)))
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
    app, _ = instance
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
    return schema


@pytest.fixture(autouse=True)
def _node_id(request):
    """schemathesis 4.32's lazy schema renames the test node through `_nodeid`, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


def _token_for(case, staff_token: str) -> str | None:
    for requirement in case.operation.definition.raw.get("security", []):
        if "MiniProgramAuth" in requirement:
            return MP_TOKEN
        if "BearerAuth" in requirement:
            return staff_token
    return None


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_openapi_is_true(case, instance):
    app, staff_token = instance
    token = _token_for(case, staff_token)
    if token and not (case.headers or {}).get("Authorization"):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if case.path == "/api/auth/logout" or case.path == "/api/mp/logout":
        case.headers = {**(case.headers or {}), "Authorization": "Bearer not-a-session-of-this-test"}
    case.call_and_validate(checks=CHECKS)
