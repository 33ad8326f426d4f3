"""The conversation path every channel shares: one user message in, Rasa's replies out.

Rasa's REST channel gives the bot's messages; the custom JSON message our actions add
(``hotline_meta``) carries sources and work orders; the tracker gives the intent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from hotline.channels import META_KEY
from hotline.errors import BotUnavailable

from .errors import Busy

log = logging.getLogger(__name__)

BUSY_REPLY = "系统繁忙，请稍后再试；紧急事项请直接拨打12328电话。"


@dataclass
class ChatResult:
    replies: list[dict] = field(default_factory=list)
    intent: dict = field(default_factory=lambda: {"name": None, "confidence": 0.0})
    sources: list[dict] = field(default_factory=list)
    work_order: dict | None = None

    def as_dict(self) -> dict:
        return {"replies": self.replies, "intent": self.intent, "sources": self.sources, "work_order": self.work_order}


class TurnGate:
    """Bounded concurrency with back-pressure for conversation turns.

    At most ``active`` turns are in Rasa at once; up to ``queue`` more may wait, each at most ``wait`` seconds.
    A turn beyond that is refused at once (:class:`Busy`), so waiting turns can never take every worker thread
    of the web server and a burst of users gets a quick "busy" instead of a stall.
    """

    def __init__(self, active: int = 16, queue: int = 72, wait: float = 5.0):
        self.active = active
        self.capacity = active + queue
        self.wait = wait
        self._slots = threading.BoundedSemaphore(active)
        self._guard = threading.Lock()
        self._admitted = 0
        self.refused = 0

    @property
    def admitted(self) -> int:
        return self._admitted

    @contextmanager
    def admit(self) -> Iterator[float]:
        """Admit a turn or raise Busy; yields the monotonic deadline until which it may still wait."""
        with self._guard:
            if self._admitted >= self.capacity:
                self.refused += 1
                raise Busy()
            self._admitted += 1
        try:
            yield time.monotonic() + self.wait
        finally:
            with self._guard:
                self._admitted -= 1

    @contextmanager
    def slot(self, deadline: float) -> Iterator[None]:
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            with self._guard:
                self.refused += 1
            raise Busy()
        try:
            yield
        finally:
            self._slots.release()


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float = 15.0, gate: TurnGate | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.gate = gate or TurnGate()
        self._http = requests.Session()
        # one pooled connection per turn that may be in Rasa at once (urllib3 keeps 10 by default)
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=self.gate.active)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)
        # Rasa's lock store serialises a conversation; we also serialise per sender here, so that a user's
        # turns reach the bot in the order they were sent and one user cannot hold several slots of the gate.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, sender: str) -> threading.Lock:
        with self._locks_guard:
            if len(self._locks) > 10000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(sender, threading.Lock())

    def _call(self, method: str, path: str, **kwargs) -> Any:
        try:
            resp = self._http.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise BotUnavailable("对话服务响应超时", code="bot_timeout") from exc
        except requests.RequestException as exc:
            raise BotUnavailable("对话服务暂时不可用") from exc
        if resp.status_code >= 500:
            raise BotUnavailable(f"对话服务出错（HTTP {resp.status_code}）")
        resp.raise_for_status()
        return resp.json()

    def is_ready(self) -> bool:
        try:
            status = self._http.get(f"{self.base_url}/status", params={"token": self.token}, timeout=2)
            return status.ok and bool(status.json().get("model_file"))
        except (requests.RequestException, ValueError):
            return False

    def send(self, sender: str, text: str, metadata: dict | None = None) -> ChatResult:
        """One conversation turn. Raises Busy at once when this process has too many turns waiting on the bot,
        BotUnavailable when the bot is down or slow."""
        with self.gate.admit() as deadline:
            lock = self._lock(sender)
            if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise Busy()  # the same sender's previous turn is still in the bot
            try:
                with self.gate.slot(deadline):
                    return self._turn(sender, text, metadata)
            finally:
                lock.release()

    def _turn(self, sender: str, text: str, metadata: dict | None) -> ChatResult:
        # bot/channel.py: the bot's replies and the message's NLU result in one call (no tracker read-back)
        answer = self._call(
            "POST", "/webhooks/hotline/webhook", json={"sender": sender, "message": text, "metadata": metadata or {}}
        )
        if not isinstance(answer, dict):
            raise BotUnavailable("对话服务的答复格式有误")
        latest = {"intent": answer.get("intent") or {}, "intent_ranking": answer.get("intent_ranking") or []}
        return parse_rasa_output(answer.get("messages") or [], {"latest_message": latest})


def parse_rasa_output(messages: list[dict], tracker: dict) -> ChatResult:
    result = ChatResult()
    for msg in messages:
        custom = msg.get("custom")
        if isinstance(custom, dict) and META_KEY in custom:
            meta = custom[META_KEY]
            result.sources.extend(meta.get("sources") or [])
            if meta.get("work_order"):
                result.work_order = meta["work_order"]
            continue
        if msg.get("text"):
            result.replies.append(
                {
                    "text": msg["text"],
                    "buttons": [
                        {"title": b.get("title", ""), "payload": b.get("payload", "")} for b in msg.get("buttons") or []
                    ],
                }
            )
        elif msg.get("image"):
            result.replies.append({"text": "", "image": msg["image"], "buttons": []})
    latest = tracker.get("latest_message") or {}
    intent = latest.get("intent") or {}
    if intent.get("name") == "nlu_fallback":
        # Report the best real intent (with its low confidence) rather than Rasa's internal fallback label.
        ranked = [i for i in latest.get("intent_ranking") or [] if i.get("name") != "nlu_fallback"]
        intent = ranked[0] if ranked else {"name": "out_of_scope", "confidence": 0.0}
    result.intent = {"name": intent.get("name"), "confidence": round(float(intent.get("confidence") or 0.0), 4)}
    return result
