"""Security headers on every response, and the per-request CSP nonce the page templates put on their inline
<script> and <style> elements (``nonce="{{ csp_nonce() }}"``). Pages get no 'unsafe-inline' for scripts or
styles; inline event handlers and style attributes are not used in the templates (CSP would block them).

The Swagger UI page (/api/docs) is APIFlask's template: its scripts and styles come from the jsDelivr CDN with
an inline start-up script we cannot mark with a nonce, so it gets a policy of its own, limited to that CDN.
"""

from __future__ import annotations

import secrets

from flask import Flask, g, request

PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    f"style-src 'self' 'unsafe-inline' {DOCS_CDN}; img-src 'self' data: https:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# JSON, text, files: nothing in them may run or be framed
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def csp_nonce() -> str:
    """This request's nonce (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def init_security_headers(app: Flask) -> None:
    docs = getattr(app, "docs_path", None) or "/docs"
    docs_paths = {docs, docs.rstrip("/") + "/oauth2-redirect"}

    @app.context_processor
    def _nonce():
        return {"csp_nonce": csp_nonce}

    @app.after_request
    def _headers(resp):
        for name, value in COMMON.items():
            resp.headers.setdefault(name, value)
        if "Content-Security-Policy" not in resp.headers:
            if request.path in docs_paths:
                policy = DOCS_POLICY
            elif resp.mimetype == "text/html":
                policy = PAGE_POLICY.format(nonce=csp_nonce())
            else:
                policy = API_POLICY
            resp.headers["Content-Security-Policy"] = policy
        return resp
