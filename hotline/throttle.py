"""Throttling of guessable secrets (staff passwords, a caller's last four phone digits) with growing delays.

An attempt is about a *target* (a username, an order number) and comes from a *client* (its network address).
Failures are counted three ways, each with its own :class:`Rule`:

- per client: one address guessing across many targets (scanning sequential order numbers, spraying
  passwords over usernames) is slowed down after ``free`` failures, with delays doubling up to ``cap``;
- per (target, client): one address guessing one target is slowed down the same way, sooner;
- per target, over all clients: only clients that have themselves failed on this target recently wait for it.
  A client with no recent failure on the target ("clean") is never held back by it, so a stranger who fails
  on purpose cannot lock the real user out: the admin, or a caller checking their own order, gets in at once
  from any other address. A distributed guesser gets one try per fresh address (and the per-client rule
  limits each address over all targets), and then the target-wide delay.

Attempts refused while waiting are not counted: the password is not even checked, so there is nothing to learn
and no need to make the wait longer. Callers without a known address (a chat turn run by the bot, where only a
conversation id is known, and ids cost nothing to change) are never clean: the target-wide delay always
applies to them.

The counters live in the ``throttle`` table, so every app replica on one database shares them. A counter is
forgotten ``rule.forget`` after its last failure; expired rows are ignored when read and deleted now and then.
Delays are computed from (failures, last failure) when read, so one upsert per key records a failure. Two
attempts racing through the check at the same instant can both be evaluated; each then counts, and the next
delay doubles for each, so a burst pays for itself.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, case, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .db import Base, Database, UTCDateTime
from .errors import Throttled

TS = UTCDateTime()


class ThrottleRow(Base):
    __tablename__ = "throttle"

    # "<scope>:<c|p|t>:<sha256 of the client/target>": no raw usernames or addresses are stored
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS, index=True)


@dataclass(frozen=True)
class Rule:
    free: int  # failures allowed before the first delay
    base: timedelta  # the first delay; each further failure doubles it
    cap: timedelta  # the longest delay
    forget: timedelta = timedelta(hours=24)  # a counter with no failure for this long starts again from 0

    def delay(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        return min(self.cap, self.base * 2 ** min(failures - self.free, 40))


@dataclass(frozen=True)
class Policy:
    """How one kind of attempt is throttled (see the module docstring)."""

    scope: str  # "login", "lookup"
    client: Rule
    pair: Rule
    target: Rule


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]


class Throttle:
    PURGE_EVERY = timedelta(minutes=10)

    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.clock = clock  # tests replace it to move time without sleeping
        self._next_purge: datetime | None = None

    @staticmethod
    def _keys(policy: Policy, target: str, client: str) -> tuple[str, str, str]:
        s = policy.scope
        return f"{s}:c:{_digest(client)}", f"{s}:p:{_digest(target, client)}", f"{s}:t:{_digest(target)}"

    @staticmethod
    def _client(client: str | None, fallback: str) -> tuple[str, bool]:
        """(client id, whether it may count as clean): only a real address can be clean."""
        return (f"addr:{client}", True) if client else (f"anon:{fallback}", False)

    def _rows(self, keys: tuple[str, ...], now: datetime) -> dict[str, tuple[int, datetime]]:
        with self.db.session() as s:
            rows = s.scalars(select(ThrottleRow).where(ThrottleRow.key.in_(keys), ThrottleRow.expires_at > now))
            return {r.key: (r.failures, r.last_failure) for r in rows}

    def check(
        self, policy: Policy, target: str, client: str | None, now: datetime | None = None, fallback: str = ""
    ) -> None:
        """Raise :class:`Throttled` when this client must wait before trying this target again."""
        now = now or self.clock()
        client_id, may_be_clean = self._client(client, fallback)
        ck, pk, tk = self._keys(policy, target, client_id)
        rows = self._rows((ck, pk, tk), now)
        until = now
        for key, rule in ((ck, policy.client), (pk, policy.pair)):
            if key in rows:
                failures, last = rows[key]
                until = max(until, last + rule.delay(failures))
        clean = may_be_clean and pk not in rows
        if tk in rows and not clean:
            failures, last = rows[tk]
            until = max(until, last + policy.target.delay(failures))
        if until > now:
            raise Throttled(max(1, math.ceil((until - now).total_seconds())))

    def fail(
        self, policy: Policy, target: str, client: str | None, now: datetime | None = None, fallback: str = ""
    ) -> None:
        """Count one failure against the client, the pair and the target (one upsert each, atomically)."""
        now = now or self.clock()
        client_id, _ = self._client(client, fallback)
        keys = self._keys(policy, target, client_id)
        with self.db.session() as s:
            dialect = s.get_bind().dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            for key, rule in zip(keys, (policy.client, policy.pair, policy.target)):
                stmt = insert(ThrottleRow).values(key=key, failures=1, last_failure=now, expires_at=now + rule.forget)
                s.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["key"],
                        set_={
                            "failures": case((ThrottleRow.expires_at <= now, 1), else_=ThrottleRow.failures + 1),
                            "last_failure": now,
                            "expires_at": now + rule.forget,
                        },
                    )
                )
        if self._next_purge is None or now >= self._next_purge:
            self._next_purge = now + self.PURGE_EVERY
            with self.db.session() as s:  # its own transaction: never holds row locks across the upserts above
                s.execute(delete(ThrottleRow).where(ThrottleRow.expires_at <= now))

    def succeed(self, policy: Policy, target: str, client: str | None, fallback: str = "") -> None:
        """The right secret: this client's failures on this target are forgiven (not its failures elsewhere,
        nor the target's, which other clients may have caused)."""
        client_id, _ = self._client(client, fallback)
        _, pk, _ = self._keys(policy, target, client_id)
        with self.db.session() as s:
            s.execute(delete(ThrottleRow).where(ThrottleRow.key == pk))

    def failures(
        self, policy: Policy, target: str, client: str | None, now: datetime | None = None, fallback: str = ""
    ) -> dict[str, int]:
        """Current counts {"client", "pair", "target"} (for tests and operators)."""
        now = now or self.clock()
        client_id, _ = self._client(client, fallback)
        keys = self._keys(policy, target, client_id)
        rows = self._rows(keys, now)
        return {name: rows.get(key, (0, None))[0] for name, key in zip(("client", "pair", "target"), keys)}
