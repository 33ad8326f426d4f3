"""State the app replicas must share for WeChat: which messages were already taken (WeChat retries a message
three times when we are slow) and the access token (each new one invalidates the last).

With ``HOTLINE_REDIS_URL`` both live in Redis. Without it (the embedded default) message ids go to the
``wx_seen`` table, which every replica of one database shares, and the token stays in the process.
Both classes are wechatpy session storages, so wechatpy's client keeps its token in them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from wechatpy.session import SessionStorage

from hotline.clock import utcnow
from hotline.db import Database

from .models import WeChatSeen

SEEN_TTL = 24 * 3600  # WeChat retries within 15 s; a day is plenty and keeps the table small


class LocalState(SessionStorage):
    """Seen ids in the database, token and locks in this process."""

    def __init__(self, db: Database):
        self.db = db
        self._values: dict[str, tuple[object, float | None]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._claims = 0

    def claim(self, key: str, ttl: int = SEEN_TTL) -> bool:
        """True for the first caller with this key, False for every later one (on any replica)."""
        now = utcnow()
        try:
            with self.db.session() as s:
                s.add(WeChatSeen(key=key[:200], seen_at=now))
        except IntegrityError:
            return False
        self._claims += 1
        if self._claims % 500 == 1:
            with self.db.session() as s:
                s.execute(delete(WeChatSeen).where(WeChatSeen.seen_at < now - timedelta(seconds=ttl)))
        return True

    def get(self, key, default=None):
        with self._guard:
            value, expires = self._values.get(key, (None, None))
            if value is None or (expires is not None and expires <= time.monotonic()):
                self._values.pop(key, None)
                return default
            return value

    def set(self, key, value, ttl=None):
        if value is None:
            return
        with self._guard:
            self._values[key] = (value, time.monotonic() + ttl if ttl else None)

    def delete(self, key):
        with self._guard:
            self._values.pop(key, None)

    @contextmanager
    def lock(self, name: str, timeout: float = 10.0) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        if not lock.acquire(timeout=timeout):
            raise TimeoutError(f"lock {name} busy")
        try:
            yield
        finally:
            lock.release()


class RedisState(SessionStorage):
    """Everything in Redis, under one prefix: SET NX for claims, a Redis lock for token refreshes."""

    def __init__(self, redis, prefix: str = "hotline:wechat:"):
        self.redis = redis
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = "hotline:wechat:") -> RedisState:
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5), prefix)

    def claim(self, key: str, ttl: int = SEEN_TTL) -> bool:
        return bool(self.redis.set(f"{self.prefix}seen:{key}", "1", nx=True, ex=ttl))

    def get(self, key, default=None):
        value = self.redis.get(self.prefix + key)
        return default if value is None else json.loads(value)

    def set(self, key, value, ttl=None):
        if value is None:
            return
        self.redis.set(self.prefix + key, json.dumps(value), ex=int(ttl) if ttl else None)

    def delete(self, key):
        self.redis.delete(self.prefix + key)

    @contextmanager
    def lock(self, name: str, timeout: float = 10.0) -> Iterator[None]:
        lock = self.redis.lock(f"{self.prefix}lock:{name}", timeout=timeout, blocking_timeout=timeout)
        if not lock.acquire():
            raise TimeoutError(f"lock {name} busy")
        try:
            yield
        finally:
            try:
                lock.release()
            except Exception:  # expired meanwhile: someone else may hold it now, nothing to release
                pass


def make_state(db: Database, redis_url: str = "") -> LocalState | RedisState:
    return RedisState.from_url(redis_url) if redis_url else LocalState(db)
