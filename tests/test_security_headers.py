"""Security headers on every response; the pages' inline scripts and styles carry the request's CSP nonce, and
the templates use nothing a nonce cannot allow (inline event handlers, style attributes, javascript: URLs)."""

import re
from pathlib import Path

import pytest

from tests.conftest import make_settings
from webapp import create_app

PAGES = [
    "/",
    "/console",
    "/console/orders",
    "/console/handoff",
    "/console/sync",
    "/console/supervision",
    "/console/stats",
    "/bulletin",
    "/console/admin",
    "/console/reports",
]
TEMPLATES = sorted((Path(__file__).parent.parent / "webapp" / "templates").glob("*.html"))
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("sec"), HOTLINE_SWEEP_INTERVAL="0"))
    return app.test_client()


def common(resp):
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    policy = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_headers_and_each_inline_script_and_style_the_nonce(client, path):
    resp = client.get(path)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    policy = common(resp)
    nonces = [s for s in policy["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1 and "'unsafe-inline'" not in policy["script-src"]
    assert policy["style-src"] == ["'self'", nonces[0]] and policy["object-src"] == ["'none'"]
    nonce = nonces[0][7:-1]
    html = resp.get_data(as_text=True)
    tags = re.findall(r"<(script|style)\b([^>]*)>", html)
    assert tags and all(f'nonce="{nonce}"' in attrs for _tag, attrs in tags), tags
    assert not INLINE_HANDLER.search(html) and ' style="' not in html and "javascript:" not in html
    again = client.get(path).headers["Content-Security-Policy"]
    assert nonce not in again  # a new nonce for every request


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_use_no_inline_handlers_or_style_attributes(template):
    """Every template, also the ones a page test might miss: handlers are added with addEventListener."""
    text = template.read_text()
    assert not INLINE_HANDLER.search(text), INLINE_HANDLER.search(text).group(0)
    assert not re.search(r"""\sstyle\s*=\s*["']""", text)
    assert not re.search(r"""setAttribute\(\s*["'](style|on[a-z]+)["']""", text)
    assert text.count("<script") == text.count('<script nonce="{{ csp_nonce() }}"')
    assert text.count("<style") == text.count('<style nonce="{{ csp_nonce() }}"')


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/health"),
        ("GET", "/api/openapi.json"),
        ("GET", "/api/orders"),
        ("GET", "/api/push/campaigns"),
        ("POST", "/api/chat"),
        ("GET", "/no-such-page"),
        ("GET", "/wechat/mp"),
    ],
)
def test_api_and_error_responses_have_the_headers_and_a_closed_policy(client, method, path):
    resp = client.open(path, method=method, json={} if method == "POST" else None)
    policy = common(resp)
    if resp.mimetype != "text/html":
        assert policy["default-src"] == ["'none'"]


def test_the_api_docs_have_their_own_policy_for_swagger_ui(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    policy = common(resp)
    html = resp.get_data(as_text=True)
    scripts = re.findall(r'<script src="(https://[^/"]+)', html)
    styles = re.findall(r'<link rel="stylesheet"[^>]*href="(https://[^/"]+)', html)
    assert scripts and styles
    assert all(host in policy["script-src"] for host in scripts)
    assert all(host in policy["style-src"] for host in styles)
