"""The conversation path every channel shares: one user message in, Rasa's replies out.

Rasa's REST channel gives the bot's messages; the custom JSON message our actions add
(``hotline_meta``) carries sources and work orders; the tracker gives the intent.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
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
    # the form question the turn ended on ({"field", "prompt"}), for a channel to ask again after a message that
    # never reaches the bot (a WeChat location); None when no form question is pending
    asking: dict | None = None

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


def bot_order(urls: Sequence[str], sender: str) -> list[str]:
    """The bot replicas in the order one sender tries them: rendezvous hashing (highest hash of replica + sender
    first). Stable across app replicas and restarts, so a conversation stays on one bot while it is up; when a
    replica is added or removed only the senders whose first choice it is move, and a dead replica's senders
    spread over all the others instead of piling onto one neighbour."""
    return sorted(urls, key=lambda u: hashlib.sha1(f"{u}|{sender}".encode()).digest(), reverse=True)


class RedisSenderLock:
    """One conversation turn at a time per sender across every app replica (scale mode): ``SET NX PX`` with a
    short time-to-live that the holder renews while its turn runs, released only by its owner (compare-and-delete).
    A replica that dies holding it blocks the sender for ``ttl`` seconds at most. Rasa's own Redis lock store
    serialises too, but inside the bot: two turns would both be admitted, hold a slot of the gate each, reach
    Rasa out of order, and a dead bot's ticket holds the conversation for the ticket's whole lifetime."""

    RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
    RENEW = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
    )

    def __init__(self, client, ttl: float = 10.0, prefix: str = "hotline:turn:", poll: float = 0.05):
        self.redis = client
        self.ttl_ms = int(ttl * 1000)
        self.prefix = prefix
        self.poll = poll
        self._release = client.register_script(self.RELEASE)
        self._renew = client.register_script(self.RENEW)

    @classmethod
    def from_url(cls, url: str, ttl: float = 10.0, prefix: str = "hotline") -> RedisSenderLock:
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), ttl, f"{prefix}:turn:")

    def _keep(self, key: str, token: str, done: threading.Event) -> None:
        while not done.wait(self.ttl_ms / 3000):
            try:
                if not self._renew(keys=[key], args=[token, self.ttl_ms]):
                    return
            except Exception:  # Redis unreachable for a moment: try again at the next beat
                log.warning("could not renew the turn lock %s", key, exc_info=True)

    @contextmanager
    def hold(self, sender: str, deadline: float) -> Iterator[None]:
        key, token = self.prefix + sender, uuid.uuid4().hex
        while not self.redis.set(key, token, nx=True, px=self.ttl_ms):
            if time.monotonic() >= deadline:
                raise Busy()  # the sender's previous turn is still in a bot, through another app replica
            time.sleep(self.poll)
        done = threading.Event()
        keeper = threading.Thread(target=self._keep, args=(key, token, done), name="turn-lock", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            try:
                self._release(keys=[key], args=[token])
            except Exception:  # Redis gone: the key expires by itself
                log.warning("could not release the turn lock of %s", sender, exc_info=True)


class RasaClient:
    """The bot, one replica or several (scale mode: ``base_url`` a list, HOTLINE_RASA_URLS).

    Each sender goes to its replica by a stable hash (:func:`bot_order`); when that one refuses or drops the
    connection (down, restarting, killed mid-turn) the turn goes to the sender's next replica, which reads the
    conversation from the shared tracker store. A replica that failed is tried last for ``DOWN_SECONDS``.
    A turn that times out is not sent again (the bot is slow, not gone; a second copy would double its load)."""

    DOWN_SECONDS = 5.0

    def __init__(
        self,
        base_url: str | Sequence[str],
        token: str,
        timeout: float = 15.0,
        gate: TurnGate | None = None,
        sender_lock: RedisSenderLock | None = None,
    ):
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise ValueError("RasaClient needs at least one bot URL")
        self.urls = [u.rstrip("/") for u in urls]
        self.base_url = self.urls[0]
        self.token = token
        self.timeout = timeout
        self.gate = gate or TurnGate()
        self.sender_lock = sender_lock
        self.failovers = 0
        self._down: dict[str, float] = {}
        self._http = requests.Session()
        # one pooled connection per turn that may be in Rasa at once (urllib3 keeps 10 by default)
        adapter = HTTPAdapter(pool_connections=max(2, len(self.urls)), pool_maxsize=self.gate.active)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)
        # Rasa's lock store serialises a conversation; we also serialise per sender here, so that a user's
        # turns reach the bot in the order they were sent and one user cannot hold several slots of the gate.
        # With several app replicas the Redis lock (sender_lock) does the same across them.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, sender: str) -> threading.Lock:
        with self._locks_guard:
            if len(self._locks) > 10000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(sender, threading.Lock())

    def route(self, sender: str) -> list[str]:
        """The replicas this sender's turn tries, in order: its hash order, replicas seen failing moved last."""
        order = bot_order(self.urls, sender) if len(self.urls) > 1 else self.urls
        now = time.monotonic()
        return [u for u in order if self._down.get(u, 0) <= now] + [u for u in order if self._down.get(u, 0) > now]

    def _call(self, method: str, path: str, sender: str | None = None, **kwargs) -> Any:
        urls = self.route(sender) if sender is not None else self.urls
        for i, base in enumerate(urls):
            try:
                resp = self._http.request(method, base + path, timeout=self.timeout, **kwargs)
            except requests.Timeout as exc:
                raise BotUnavailable("对话服务响应超时", code="bot_timeout") from exc
            except requests.ConnectionError as exc:
                # refused, reset or dropped mid-answer: this replica is down (a turn it did not finish was not
                # saved to the tracker; the actions it ran are idempotent), the next one takes the turn
                self._down[base] = time.monotonic() + self.DOWN_SECONDS
                if i + 1 < len(urls):
                    self.failovers += 1
                    log.warning("bot %s unreachable, turn goes to %s", base, urls[i + 1])
                    continue
                raise BotUnavailable("对话服务暂时不可用") from exc
            except requests.RequestException as exc:
                raise BotUnavailable("对话服务暂时不可用") from exc
            if resp.status_code >= 500:
                raise BotUnavailable(f"对话服务出错（HTTP {resp.status_code}）")
            resp.raise_for_status()
            self._down.pop(base, None)
            return resp.json()
        raise BotUnavailable("对话服务暂时不可用")

    def is_ready(self) -> bool:
        """Some replica has its model loaded."""
        for base in self.urls:
            try:
                status = self._http.get(f"{base}/status", params={"token": self.token}, timeout=2)
                if status.ok and status.json().get("model_file"):
                    return True
            except (requests.RequestException, ValueError):
                continue
        return False

    def send(self, sender: str, text: str, metadata: dict | None = None) -> ChatResult:
        """One conversation turn. Raises Busy at once when this process has too many turns waiting on the bot
        (or the sender's previous turn is still in the bot), BotUnavailable when every bot is down or slow."""
        with self.gate.admit() as deadline:
            lock = self._lock(sender)
            if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise Busy()  # the same sender's previous turn is still in the bot
            try:
                with self._across_replicas(sender, deadline), self.gate.slot(deadline):
                    return self._turn(sender, text, metadata)
            finally:
                lock.release()

    @contextmanager
    def _across_replicas(self, sender: str, deadline: float) -> Iterator[None]:
        if self.sender_lock is None:
            yield
        else:
            with self.sender_lock.hold(sender, deadline):
                yield

    def _turn(self, sender: str, text: str, metadata: dict | None) -> ChatResult:
        # bot/channel.py: the bot's replies and the message's NLU result in one call (no tracker read-back)
        answer = self._call(
            "POST",
            "/webhooks/hotline/webhook",
            sender=sender,
            json={"sender": sender, "message": text, "metadata": metadata or {}},
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
            if isinstance(meta.get("asking"), dict):
                result.asking = meta["asking"]
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
