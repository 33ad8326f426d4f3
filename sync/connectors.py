"""Connectors: how the sync engine talks to a 12345 KB. The engine only sees this interface; the HTTP/JSON
protocol and file exchange are two implementations (files.py holds the file one).

Every upstream failure becomes a ``sync.errors`` exception here and nowhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from abc import ABC, abstractmethod

import requests

from .errors import PageRejected, RemoteRefused, RemoteUnavailable
from .protocol import Page, parse_page

MAX_PAGE_BYTES = 64 * 1024 * 1024


class Connector(ABC):
    """A source of KB changes by cursor, and optionally a place to push ours."""

    name: str  # key of its cursor in sync_state, e.g. "kb:12345"
    can_push: bool = False

    @abstractmethod
    def changes(self, cursor: int, limit: int) -> Page:
        """The changes after ``cursor`` (at most ``limit``), checked by protocol.parse_page."""

    def push(self, items: list[dict]) -> list[dict]:
        """Send our changed articles; one result per item: {"id", "status", "version", "message"}.
        Only connectors with ``can_push`` implement it; the engine never calls it on the others."""
        raise NotImplementedError(f"{type(self).__name__} cannot push (can_push is False)")

    def close(self) -> None:
        pass


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The HMAC-SHA256 signature both sides use for requests they send each other."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class HttpConnector(Connector):
    """The 12345 side of sync/protocol.openapi.yaml, over HTTP with a bearer token."""

    can_push = True

    def __init__(self, base_url: str, token: str = "", timeout: float = 10.0, name: str = "kb:12345", secret: str = ""):
        self.base = base_url.rstrip("/")
        self.token = token
        self.secret = secret
        self.timeout = timeout
        self.name = name
        self.http = requests.Session()

    def _headers(self, body: bytes = b"") -> dict:
        headers = {"Accept": "application/json", "User-Agent": "12328-hotline-sync/1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.secret:
            ts = str(int(time.time()))
            headers["X-Hotline-Timestamp"] = ts
            headers["X-Hotline-Signature"] = sign(self.secret, ts, body)
        return headers

    def _request(self, method: str, path: str, payload=None, params=None) -> tuple[bytes, dict]:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload is not None else b""
        headers = self._headers(body)
        if payload is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        url = self.base + path
        try:
            resp = self.http.request(
                method,
                url,
                data=body or None,
                params=params,
                headers=headers,
                timeout=(min(self.timeout, 5.0), self.timeout),
                stream=True,
            )
            try:
                data = self._read(resp)
            finally:
                resp.close()
        except requests.Timeout:
            raise RemoteUnavailable(f"12345 接口超时（{self.timeout:g} 秒）：{method} {path}") from None
        except requests.ConnectionError as exc:
            raise RemoteUnavailable(f"无法连接 12345 接口 {self.base}：{_short(exc)}") from None
        except requests.RequestException as exc:
            raise RemoteUnavailable(f"12345 接口请求失败：{_short(exc)}") from None
        if resp.status_code >= 500 or resp.status_code == 429:
            raise RemoteUnavailable(
                f"12345 接口返回 {resp.status_code}：{method} {path}",
                details={"status": resp.status_code, "body": data[:300].decode("utf-8", "replace")},
            )
        if resp.status_code >= 400:
            raise RemoteRefused(
                f"12345 接口拒绝请求（{resp.status_code}）：{method} {path}",
                details={"status": resp.status_code, "body": data[:300].decode("utf-8", "replace")},
            )
        return data, resp.headers

    @staticmethod
    def _read(resp) -> bytes:
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > MAX_PAGE_BYTES:
            raise PageRejected(
                f"响应过大（{int(declared) // 1024 // 1024} MB），上限 {MAX_PAGE_BYTES // 1024 // 1024} MB"
            )
        chunks, size = [], 0
        for chunk in resp.iter_content(1 << 16):
            size += len(chunk)
            if size > MAX_PAGE_BYTES:
                raise PageRejected(f"响应过大，超过 {MAX_PAGE_BYTES // 1024 // 1024} MB，已中止读取")
            chunks.append(chunk)
        return b"".join(chunks)

    def changes(self, cursor: int, limit: int) -> Page:
        data, headers = self._request("GET", "/api/v1/kb/changes", params={"cursor": cursor, "limit": limit})
        ctype = headers.get("Content-Type", "")
        if "json" not in ctype:
            raise PageRejected(f"12345 返回的不是 JSON（Content-Type: {ctype or '无'}）")
        return parse_page(data, cursor, limit, headers.get("ETag"))

    def push(self, items: list[dict]) -> list[dict]:
        data, _ = self._request("POST", "/api/v1/kb/push", payload={"items": items})
        try:
            results = json.loads(data)["results"]
            assert isinstance(results, list) and all(isinstance(r, dict) for r in results)
        except Exception:
            raise PageRejected("12345 推送接口的应答格式不正确") from None
        by_id = {r.get("id"): r for r in results}
        # an item 12345 did not answer for counts as not delivered: it stays pending and goes again
        return [
            by_id.get(item["id"], {"id": item["id"], "status": "missing", "message": "12345 未答复该条"})
            for item in items
        ]

    # --- work orders --------------------------------------------------------------------------------
    def post_order_message(self, path: str, payload: dict) -> dict:
        """Deliver one outbox message; returns 12345's acknowledgement (raises if there is none)."""
        data, _ = self._request("POST", path, payload=payload)
        try:
            answer = json.loads(data)
        except ValueError:
            raise RemoteUnavailable("12345 的应答不是 JSON，视为未确认") from None
        if not isinstance(answer, dict) or answer.get("ack") is not True:
            raise RemoteUnavailable("12345 未确认收到（ack 不为 true）", details={"answer": str(answer)[:300]})
        return answer

    def close(self) -> None:
        self.http.close()


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "…"
