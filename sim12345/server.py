"""The simulated 12345 system: an in-memory KB with a change feed, the receiving end of 12328's pushes and
work-order messages, a sender of transferred orders, and failure injection. Standard library only.

Protocol endpoints (sync/protocol.openapi.yaml, bearer token):
  GET  /api/v1/kb/changes?cursor=N&limit=M   POST /api/v1/kb/push    GET /api/v1/kb/articles/{id}
  POST /api/v1/orders/{id}/messages          POST /api/v1/records
Control endpoints for tests and demos (no token; bind to 127.0.0.1):
  GET  /_sim/state        POST /_sim/edit {"count"|"ids"}    POST /_sim/delete {"count"|"ids"}
  POST /_sim/add {"count"}  POST /_sim/raw {"items": [...]}  (appended to the feed as they are: bad input)
  POST /_sim/faults {"faults": [{"mode", "path", "times", "seconds"}], "fail_rate"}   DELETE /_sim/faults
  POST /_sim/transfer {"count", "url", "secret"}    GET /_sim/messages   GET /_sim/pushed
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from urllib.request import Request, urlopen

from . import data

log = logging.getLogger("sim12345")
FEED_MODES = (
    "timeout",
    "error500",
    "duplicate",
    "overlap",
    "reorder",
    "shuffle",
    "backwards",
    "truncate",
    "garbage",
    "bad_etag",
    "lie_empty",
    "dupid",
    "reset_feed",
    "noack",
)
RANDOM_MODES = ("timeout", "error500", "duplicate", "reorder", "shuffle", "truncate", "overlap")


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def content_hash(title: str, body: str) -> str:
    return "sha256:" + hashlib.sha256(f"{title}\x1f{body}".encode()).hexdigest()


@dataclass
class Fault:
    mode: str
    path: str = "/api/v1/kb/changes"
    times: int = 1
    seconds: float = 30.0


class Store:
    """The 12345 side's state. Every change of an article appends one entry (seq = position + 1) to the feed."""

    def __init__(self, count: int = 3000, seed: int = 12345):
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.seed = seed
        self.feed_id = f"sim-{uuid.uuid4().hex[:12]}"
        self.articles: dict[str, dict] = {}
        self.feed: list[dict] = []
        self.faults: list[Fault] = []
        self.fail_rate = 0.0
        self.last_page: dict[str, tuple[bytes, dict]] = {}
        self.messages: dict[str, dict] = {}  # message_id -> message received from 12328 (deduplicated)
        self.message_posts = 0
        self.posts_by_id: dict[str, int] = {}  # message_id -> times it was posted (a re-send after a lost ack: 2)
        self.pushed: list[dict] = []
        self.requests = 0
        self.next_order = 1
        self.add(count)

    # --- the KB -------------------------------------------------------------------------------------
    def _append(self, art: dict) -> None:
        entry = dict(art, seq=len(self.feed) + 1, updated_at=now_iso())
        if not entry.get("deleted"):
            entry["content_hash"] = content_hash(entry["title"], entry["body"])
        self.articles[art["id"]] = entry
        self.feed.append(entry)

    def add(self, count: int) -> list[str]:
        with self.lock:
            start = sum(1 for a in self.articles if a.startswith("ZSK"))
            rng = random.Random(self.seed + start)
            new = [data.article(start + i, rng) for i in range(count)]
            for art in new:
                self._append(dict(art, version=1))
            return [a["id"] for a in new]

    def _pick(self, ids, count) -> list[str]:
        live = [i for i, a in self.articles.items() if not a.get("deleted") and a.get("owner") == "12345"]
        return list(ids) if ids else self.rng.sample(live, min(count, len(live)))

    def edit(self, ids=None, count: int = 1, fields: dict | None = None) -> list[str]:
        with self.lock:
            picked = self._pick(ids, count)
            stamp = datetime.now().strftime("%m月%d日%H:%M:%S")
            for rid in picked:
                cur = self.articles[rid]
                base = {k: v for k, v in cur.items() if k not in ("seq", "updated_at", "content_hash")}
                new = dict(base, **fields) if fields else data.edited(base, self.rng, stamp)
                self._append(dict(new, version=cur["version"] + 1))
            return picked

    def delete(self, ids=None, count: int = 1) -> list[str]:
        with self.lock:
            picked = self._pick(ids, count)
            for rid in picked:
                cur = self.articles[rid]
                self._append({"id": rid, "owner": cur["owner"], "version": cur["version"] + 1, "deleted": True})
            return picked

    def raw(self, items: list) -> None:
        """Bad input on purpose: appended to the feed exactly as given (seq added if the item is an object)."""
        with self.lock:
            for item in items:
                entry = dict(item, seq=len(self.feed) + 1) if isinstance(item, dict) else item
                self.feed.append(entry)

    def changes(self, cursor: int, limit: int) -> dict:
        with self.lock:
            items = self.feed[cursor : cursor + limit]
            next_cursor = cursor + len(items)
            return {
                "feed_id": self.feed_id,
                "since": cursor,
                "next_cursor": next_cursor,
                "has_more": next_cursor < len(self.feed),
                "remaining": len(self.feed) - next_cursor,
                "items": [dict(i) if isinstance(i, dict) else i for i in items],
            }

    def push(self, items: list[dict]) -> list[dict]:
        """12328's changes: applied when based on our current version (or new); only the owner deletes."""
        results = []
        with self.lock:
            for item in items:
                rid = item.get("id")
                cur = self.articles.get(rid)
                self.pushed.append(item)
                if cur is not None and item.get("base_version") != cur["version"]:
                    results.append(
                        {
                            "id": rid,
                            "status": "conflict",
                            "version": cur["version"],
                            "message": "base_version is not the current version",
                        }
                    )
                    continue
                if item.get("deleted") and cur is not None and cur.get("owner") != "12328":
                    results.append(
                        {
                            "id": rid,
                            "status": "rejected",
                            "version": cur["version"],
                            "message": "只有文章的归属方可以删除",
                        }
                    )
                    continue
                if cur is None and item.get("deleted"):
                    results.append({"id": rid, "status": "unchanged", "version": 1})
                    continue
                fields = {
                    k: item.get(k)
                    for k in (
                        "title",
                        "body",
                        "kind",
                        "domain",
                        "region",
                        "tags",
                        "source",
                        "effective_from",
                        "expires_at",
                        "urgent",
                        "questions",
                    )
                }
                if "questions" not in item and cur is not None:  # absent: keep the questions 12345 has
                    fields["questions"] = cur.get("questions")
                if (
                    cur is not None
                    and not item.get("deleted")
                    and all(cur.get(k) == v for k, v in fields.items())
                    and not cur.get("deleted")
                ):
                    results.append({"id": rid, "status": "unchanged", "version": cur["version"]})
                    continue
                owner = cur["owner"] if cur is not None else item.get("owner", "12328")
                entry = {
                    "id": rid,
                    "owner": owner,
                    "version": (cur["version"] + 1) if cur else 1,
                    "deleted": bool(item.get("deleted")),
                }
                if not entry["deleted"]:
                    entry.update(fields)
                self._append(entry)
                results.append({"id": rid, "status": "applied", "version": entry["version"]})
        return results

    # --- faults -------------------------------------------------------------------------------------
    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
            if self.fail_rate and path.startswith("/api/v1/") and self.rng.random() < self.fail_rate:
                mode = self.rng.choice(
                    RANDOM_MODES if path.startswith("/api/v1/kb/changes") else ("timeout", "error500")
                )
                return Fault(mode, path, 1, 3.0)
        return None

    def state(self) -> dict:
        with self.lock:
            live = sum(1 for a in self.articles.values() if not a.get("deleted"))
            return {
                "feed_id": self.feed_id,
                "feed_length": len(self.feed),
                "articles": len(self.articles),
                "live": live,
                "messages": len(self.messages),
                "message_posts": self.message_posts,
                "pushed": len(self.pushed),
                "faults": [f.__dict__ for f in self.faults],
                "requests": self.requests,
            }


def transfer(store: Store, count: int, url: str, secret: str, timeout: float = 10.0) -> list[dict]:
    """Send ``count`` generated orders to 12328's transfer endpoint, signed like the real 12345 would."""
    with store.lock:
        start = store.next_order
        store.next_order += count
    orders = data.orders(count, store.seed, start)
    body = json.dumps({"orders": orders}, ensure_ascii=False).encode("utf-8")
    ts = str(int(time.time()))
    sig = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    req = Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Hotline-Timestamp": ts,
            "X-Hotline-Signature": sig,
        },
    )
    with urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())["results"]


class Handler(BaseHTTPRequestHandler):
    server_version = "sim12345/1"
    protocol_version = "HTTP/1.1"

    @property
    def store(self) -> Store:
        return self.server.store  # type: ignore[attr-defined]

    def log_message(self, fmt, *args):
        log.debug("%s " + fmt, self.address_string(), *args)

    # --- plumbing -----------------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        payload=None,
        raw: bytes | None = None,
        ctype="application/json; charset=utf-8",
        headers: dict | None = None,
    ) -> None:
        body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json_body(self):
        return json.loads(self._raw.decode("utf-8")) if self._raw else {}

    def _authorized(self) -> bool:
        token = self.server.token  # type: ignore[attr-defined]
        if not token or self.headers.get("Authorization") == f"Bearer {token}":
            return True
        self._send(401, {"error": "invalid token"})
        return False

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_DELETE(self):
        self._route("DELETE")

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        path = url.path
        length = int(self.headers.get("Content-Length") or 0)
        self._raw = self.rfile.read(length) if length else b""  # read it all, or keep-alive breaks
        try:
            if path.startswith("/_sim/"):
                return self._control(method, path)
            self.store.requests += 1
            if not self._authorized():
                return
            fault = self.store.take_fault(path)
            if fault is not None and self._generic_fault(fault, path):
                return
            if method == "GET" and path == "/api/v1/kb/changes":
                return self._changes(parse_qs(url.query), fault)
            if method == "GET" and path.startswith("/api/v1/kb/articles/"):
                art = self.store.articles.get(path.rsplit("/", 1)[-1])
                if art is None:
                    return self._send(404, {"error": "not found"})
                return self._send(200, art, headers={"ETag": f'"v{art["version"]}"'})
            if method == "POST" and path == "/api/v1/kb/push":
                items = self._json_body().get("items") or []
                return self._send(200, {"results": self.store.push(items)})
            if method == "POST" and (
                path.startswith("/api/v1/orders/") and path.endswith("/messages") or path == "/api/v1/records"
            ):
                return self._message(path, fault)
            self._send(404, {"error": "no such endpoint"})
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": f"bad request: {exc}"})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _generic_fault(self, fault: Fault, path: str) -> bool:
        """Faults any endpoint may suffer; True when the request has been answered (or dropped)."""
        if fault.mode == "timeout":
            time.sleep(fault.seconds)
            return False  # answer late: the client has usually given up by now
        if fault.mode == "error500":
            self._send(500, {"error": "injected failure"})
            return True
        if fault.mode == "garbage":
            self._send(200, raw=b"<html><body>502 Bad Gateway</body></html>", ctype="text/html")
            return True
        return False

    def _changes(self, query: dict, fault: Fault | None) -> None:
        cursor = int(query.get("cursor", ["0"])[0])
        limit = max(1, min(int(query.get("limit", ["200"])[0]), 1000))
        mode = fault.mode if fault else ""
        if mode == "duplicate" and "changes" in self.store.last_page:  # the previous answer again, verbatim
            body, headers = self.store.last_page["changes"]
            return self._send(200, raw=body, headers=headers)
        if mode == "reset_feed":
            self.store.feed_id = f"sim-{uuid.uuid4().hex[:12]}"
        page = self.store.changes(cursor + limit if mode == "reorder" else cursor, limit)
        items = page["items"]
        if mode == "overlap" and cursor > 0:
            again = self.store.changes(max(0, cursor - 3), 3)["items"]
            page["items"] = items = [i for i in again if isinstance(i, dict) and i.get("seq", 0) <= cursor] + items[
                : max(0, limit - 3)
            ]
            page["next_cursor"] = max([cursor] + [i["seq"] for i in items if isinstance(i, dict)])
            page["has_more"] = page["next_cursor"] < len(self.store.feed)
        elif mode == "shuffle":
            self.store.rng.shuffle(items)
        elif mode == "backwards":
            page.update(items=[], next_cursor=max(0, cursor - 5), has_more=True)
        elif mode == "lie_empty":
            page.update(items=[], next_cursor=cursor, has_more=True)
        elif mode == "dupid" and len(items) >= 2:
            clone = dict(items[0], seq=items[1]["seq"], body=items[0].get("body", "") + "（另一份内容）")
            clone.pop("content_hash", None)
            items[1] = clone
        body = json.dumps(page, ensure_ascii=False).encode("utf-8")
        etag = '"sha256:' + hashlib.sha256(body).hexdigest() + '"'
        headers = {"ETag": etag}
        if mode != "reorder":
            self.store.last_page["changes"] = (body, headers)
        if mode == "truncate":
            body = body[: len(body) // 2]
        elif mode == "bad_etag":
            headers = {"ETag": '"sha256:' + "0" * 64 + '"'}
        self._send(200, raw=body, headers=headers)

    def _message(self, path: str, fault: Fault | None) -> None:
        msg = self._json_body()
        self.store.message_posts += 1
        if not isinstance(msg, dict) or not msg.get("message_id"):
            return self._send(422, {"error": "message_id required"})
        if fault is not None and fault.mode == "noack":
            return self._send(200, {"received": True})
        with self.store.lock:
            self.store.posts_by_id[msg["message_id"]] = self.store.posts_by_id.get(msg["message_id"], 0) + 1
            first = msg["message_id"] not in self.store.messages
            if first:
                self.store.messages[msg["message_id"]] = dict(msg, path=path, received_at=now_iso())
        self._send(200, {"ack": True, "duplicate": not first})

    # --- control ------------------------------------------------------------------------------------
    def _control(self, method: str, path: str) -> None:
        store = self.store
        body = self._json_body() if method == "POST" else {}
        if path == "/_sim/state":
            return self._send(200, store.state())
        if path == "/_sim/faults":
            with store.lock:
                if method == "DELETE":
                    store.faults.clear()
                    store.fail_rate = 0.0
                else:
                    for f in body.get("faults", []):
                        if f.get("mode") not in FEED_MODES:
                            return self._send(422, {"error": f"unknown mode {f.get('mode')}", "modes": FEED_MODES})
                        store.faults.append(Fault(**f))
                    store.fail_rate = float(body.get("fail_rate", store.fail_rate))
            return self._send(200, store.state())
        if path == "/_sim/edit":
            return self._send(200, {"ids": store.edit(body.get("ids"), int(body.get("count", 1)), body.get("fields"))})
        if path == "/_sim/delete":
            return self._send(200, {"ids": store.delete(body.get("ids"), int(body.get("count", 1)))})
        if path == "/_sim/add":
            return self._send(200, {"ids": store.add(int(body.get("count", 1)))})
        if path == "/_sim/raw":
            store.raw(body.get("items", []))
            return self._send(200, store.state())
        if path == "/_sim/transfer":
            results = transfer(store, int(body.get("count", 1)), body["url"], body.get("secret", ""))
            return self._send(200, {"results": results})
        if path == "/_sim/messages":
            with store.lock:
                return self._send(
                    200,
                    {
                        "messages": list(store.messages.values()),
                        "posts": store.message_posts,
                        "posts_by_id": dict(store.posts_by_id),
                    },
                )
        if path == "/_sim/pushed":
            with store.lock:
                return self._send(200, {"pushed": list(store.pushed)})
        if path.startswith("/_sim/article/"):
            art = store.articles.get(path.rsplit("/", 1)[-1])
            return self._send(200 if art else 404, art or {"error": "not found"})
        self._send(404, {"error": "no such control endpoint"})


class Simulator(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, articles: int = 3000, seed: int = 12345, token: str = "sim-token"
    ):
        super().__init__((host, port), Handler)
        self.store = Store(articles, seed)
        self.token = token

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Simulator:
        threading.Thread(target=self.serve_forever, name="sim12345", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
