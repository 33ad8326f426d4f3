"""Test doubles shared by the test files: a fast-stopping HTTP server base, the scriptable fake Rasa (the bot's
``hotline`` channel, bot/channel.py) and a deterministic embedder. The fixtures that use them are in conftest.py."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

# serve_forever checks for shutdown() every poll_interval (0.5 s by default): every fake server of a test paid
# that on teardown
POLL_INTERVAL = 0.01


def serve(server):
    """Run an HTTP server (any socketserver) in a daemon thread, quick to shut down; returns it."""
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True).start()
    return server


class FakeServer:
    """A local HTTP server on a free port for a handler class; ``url`` is its base URL."""

    def __init__(self, handler):
        self.server = serve(ThreadingHTTPServer(("127.0.0.1", 0), handler))
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def echo(sender, text, meta):
    """The default script: the bot acknowledges what it was told."""
    return [{"text": f"收到：{text}"}], None


def cited_answer(sender, text, meta):
    """An answer from the knowledge base with its source, as action_answer_from_kb sends it."""
    return [
        {"text": "根据《办法》第二十三条：……", "buttons": [{"title": "继续", "payload": "继续"}]},
        {
            "custom": {
                "hotline_meta": {
                    "sources": [
                        {"article_id": 23, "title": "办法 第二十三条", "score": 0.9, "citation": "《办法》第二十三条"}
                    ],
                    "kb_matched": True,
                }
            }
        },
    ], None


class FakeRasa(FakeServer):
    """The bot's channel (bot/channel.py: Rasa 3.6's REST answer plus the NLU result) at
    POST /webhooks/hotline/webhook, answering through ``script(sender, text, metadata)`` which returns
    (replies, work_order); replies are dicts like Rasa's ({"text", "buttons"} or {"custom"}).

    ``delay`` seconds before answering, ``fail`` answers HTTP 500; ``received`` holds the requests answered
    (after the delay, so a request the client gave up on is there once the delay is over).
    ``intent``/``intent_ranking`` are the NLU result sent along."""

    def __init__(self, script=None, intent=None, intent_ranking=None):
        self.received: list[dict] = []
        self.delay = 0.0
        self.fail = False
        self.script = script or echo
        self.intent = intent or {"name": "consult", "confidence": 0.9}
        self.intent_ranking = intent_ranking
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body):
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/webhooks/hotline/webhook":
                    return self._send(404, {"error": f"no channel at {self.path}"})
                if fake.delay:
                    time.sleep(fake.delay)
                if fake.fail:
                    return self._send(500, {"error": "boom"})
                fake.received.append(body)
                replies, order = fake.script(body["sender"], body["message"], body.get("metadata") or {})
                out = [{"recipient_id": body["sender"], **r} for r in replies]
                if order:
                    out.append({"recipient_id": body["sender"], "custom": {"hotline_meta": {"work_order": order}}})
                answer = {"messages": out, "intent": fake.intent}
                if fake.intent_ranking is not None:
                    answer["intent_ranking"] = fake.intent_ranking
                self._send(200, answer)

            def do_GET(self):
                if self.path.startswith("/status"):
                    return self._send(200, {"model_file": "hotline.tar.gz"})
                self._send(404, {})

        super().__init__(Handler)

    def texts(self) -> list[str]:
        return [m["message"] for m in self.received]


def cited_rasa() -> FakeRasa:
    """A fake Rasa answering every message from the knowledge base, its NLU unsure (nlu_fallback) with
    "consult" the best real intent."""
    return FakeRasa(
        cited_answer,
        intent={"name": "nlu_fallback", "confidence": 0.5},
        intent_ranking=[{"name": "nlu_fallback", "confidence": 0.5}, {"name": "consult", "confidence": 0.41}],
    )


class HashEmbedder:
    """Stands in for the model where vectors only need to be stable per text (and counted)."""

    dim = 16

    def __init__(self):
        self.calls = 0
        self.texts = 0

    def encode(self, texts, progress=False):
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype="float32")
        for i, text in enumerate(texts):
            digest = hashlib.sha256(text.encode("utf-8")).digest()[: self.dim]
            out[i] = np.frombuffer(digest, dtype="uint8").astype("float32") - 127.5
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def encode_one(self, text):
        return self.encode([text])[0]


# --- the 12345 simulator (sim12345) -----------------------------------------------------------------------------
def control(sim, path: str, payload: dict | None = None, method: str | None = None) -> dict:
    """Calls the simulator's control API (/_sim/...)."""
    data = json.dumps(payload or {}).encode() if payload is not None or method == "POST" else None
    req = urllib.request.Request(
        sim.url + path,
        data=data,
        method=method or ("POST" if data else "GET"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def faults(sim, *specs: dict) -> None:
    control(sim, "/_sim/faults", {"faults": list(specs)})


def make_sync(kb, sim, **options):
    from sync.connectors import HttpConnector
    from sync.kb import KbSync, SyncOptions

    opts = {"page_size": 25, "backoff": 0.0, "retries": 3, **options}
    return KbSync(kb, HttpConnector(sim.url, "sim-token", timeout=1.0), SyncOptions(**opts), sleep=lambda s: None)
