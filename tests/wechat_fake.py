"""A local fake of WeChat's HTTP API as documented, for the WeChat tests (the client under test is the real one).

FakeWeChat answers like api.weixin.qq.com: /cgi-bin/token issues tokens (each appid/secret pair checked),
every call checks its access_token (40001 unknown, 42001 expired), custom messages refuse users outside
the 48-hour window (45015) and texts over 2048 bytes (45002), -1 / 45009 / HTTP 5xx can be injected,
/sns/jscode2session exchanges one-time codes (40029 unknown, 40163 used), subscribe messages need the
user's consent (43101), /cgi-bin/menu/create checks a menu by WeChat's rules (40016-40027) and keeps it. The scriptable fake Rasa is tests.fakes.FakeRasa.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fakes import FakeServer


class FakeWeChat(FakeServer):
    def __init__(self, apps: dict[str, str]):
        self.apps = dict(apps)  # appid -> secret
        self.tokens: dict[str, dict] = {}  # token -> {"appid", "expired", "revoked"}
        self.token_requests = 0
        self.custom: list[dict] = []  # customer-service messages accepted
        self.templates: list[dict] = []  # template messages accepted
        self.subscribe: list[dict] = []  # subscribe messages accepted
        self.known_templates: set[str] = set()
        self.window_closed: set[str] = set()  # openids who have not written for 48 hours
        self.refused: set[str] = set()  # openids without subscribe consent
        self.codes: dict[str, str] = {}  # js_code -> openid
        self.used_codes: set[str] = set()
        self.rate_limit = 0  # the next N calls answer 45009
        self.busy = 0  # the next N calls answer -1 (系统繁忙)
        self.http_errors = 0  # the next N calls answer HTTP 502
        self.calls: list[str] = []
        self.menu: dict | None = None  # the custom menu last created
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body, status=200):
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if method == "POST" else {}
                status, answer = fake.answer(method, url.path, query, body)
                self._send(answer, status)

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

        super().__init__(Handler)

    # --- scripting -------------------------------------------------------------------------------------
    def expire_tokens(self):
        """WeChat's 7200 s passed (42001 on the next call)."""
        with self.lock:
            for info in self.tokens.values():
                info["expired"] = True

    def revoke_tokens(self):
        """Someone fetched a newer token elsewhere (40001 on the next call)."""
        with self.lock:
            for info in self.tokens.values():
                info["revoked"] = True

    # --- WeChat's behaviour ----------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.calls.append(path)
            if self.http_errors:
                self.http_errors -= 1
                return 502, {"error": "bad gateway"}
            if self.busy:
                self.busy -= 1
                return 200, {"errcode": -1, "errmsg": "system error"}
            if path == "/cgi-bin/token":
                return 200, self._token(query)
            if path == "/sns/jscode2session":
                return 200, self._code2session(query)
            error = self._check_token(query.get("access_token"))
            if error:
                return 200, error
            if self.rate_limit:
                self.rate_limit -= 1
                return 200, {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
            if path == "/cgi-bin/message/custom/send" and method == "POST":
                return 200, self._custom(body)
            if path == "/cgi-bin/message/template/send" and method == "POST":
                return 200, self._template(body)
            if path == "/cgi-bin/message/subscribe/send" and method == "POST":
                return 200, self._subscribe(body)
            if path == "/cgi-bin/menu/create" and method == "POST":
                return 200, self._menu(body)
            return 404, {"errcode": 404, "errmsg": f"no such api {path}"}

    def _token(self, query: dict) -> dict:
        self.token_requests += 1
        if query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") not in self.apps:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if self.apps[query["appid"]] != query.get("secret"):
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        token = f"TOKEN-{query['appid']}-{self.token_requests}-{time.monotonic_ns()}"
        self.tokens[token] = {"appid": query["appid"], "expired": False, "revoked": False}
        return {"access_token": token, "expires_in": 7200}

    def _check_token(self, token: str | None) -> dict | None:
        info = self.tokens.get(token or "")
        if info is None or info["revoked"]:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if info["expired"]:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def _custom(self, body: dict) -> dict:
        if body.get("touser") in self.window_closed:
            return {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}
        content = (body.get("text") or {}).get("content", "")
        if len(content.encode()) > 2048:
            return {"errcode": 45002, "errmsg": "content size out of limit"}
        self.custom.append(body)
        return {"errcode": 0, "errmsg": "ok"}

    def _template(self, body: dict) -> dict:
        if body.get("template_id") not in self.known_templates:
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        self.templates.append(body)
        return {"errcode": 0, "errmsg": "ok", "msgid": len(self.templates)}

    def _subscribe(self, body: dict) -> dict:
        if body.get("touser") in self.refused:
            return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
        if body.get("template_id") not in self.known_templates:
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        self.subscribe.append(body)
        return {"errcode": 0, "errmsg": "ok"}

    def _menu(self, body: dict) -> dict:
        buttons = body.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return {"errcode": 40016, "errmsg": "invalid button size"}
        for button in buttons:
            if len(str(button.get("name", "")).encode()) > 16:
                return {"errcode": 40018, "errmsg": "invalid button name size"}
            subs = button.get("sub_button")
            if subs is not None and not 1 <= len(subs) <= 5:
                return {"errcode": 40023, "errmsg": "invalid sub button size"}
            for item in subs or [button]:
                if item.get("type") == "click" and not item.get("key"):
                    return {"errcode": 40019, "errmsg": "invalid button key size"}
                if item.get("type") == "view" and not item.get("url"):
                    return {"errcode": 40055, "errmsg": "invalid button url domain"}
                if item.get("type") == "miniprogram" and item.get("appid") not in self.apps:
                    return {"errcode": 40013, "errmsg": "invalid appid"}
                if item.get("type") not in ("click", "view", "miniprogram"):
                    return {"errcode": 40017, "errmsg": "invalid button type"}
        self.menu = body
        return {"errcode": 0, "errmsg": "ok"}

    def _code2session(self, query: dict) -> dict:
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if self.apps.get(query.get("appid")) != query.get("secret"):
            return {"errcode": 40013, "errmsg": "invalid appid"}
        code = query.get("js_code", "")
        if code in self.used_codes:
            return {"errcode": 40163, "errmsg": "code been used"}
        if code not in self.codes:
            return {"errcode": 40029, "errmsg": "invalid code"}
        self.used_codes.add(code)
        return {
            "openid": self.codes[code],
            "session_key": "SECRET-SESSION-KEY-tiihtNczf5v6AKRyjwEUhQ==",
            "unionid": f"union-{self.codes[code]}",
        }

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.custom if m.get("touser") == openid]
