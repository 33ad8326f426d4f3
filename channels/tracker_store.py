"""The nightly purge of the bot's tracker store: Rasa's ``events`` table (12 rows a turn, kept forever by Rasa).

Conversations are kept as long as the web chat history (``channels.history.KEEP_DAYS``, 30 days) and then deleted
whole: only a conversation whose *latest* event is older than the cutoff goes, so a live conversation never loses
the first half of its history (a sender who wrote 31 days ago and again yesterday keeps both). The table is Rasa's
SQLTrackerStore's (id, sender_id, type_name, timestamp as float epoch seconds, intent_name, action_name, data);
nothing of Rasa is imported here.

Where it is: in scale mode the PostgreSQL database of ``HOTLINE_TRACKER_STORE_URL``; on the embedded default the
bot's SQLite file ``var/tracker.db`` (``hotline/procs.py`` gives it to the bot as ``HOTLINE_TRACKER_DB``), when it
exists. Deleting by age acts once wherever it runs: a second run at the same time deletes nothing more.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, create_engine, inspect, text
from sqlalchemy.engine import Engine

from hotline.clock import utcnow

from .history import KEEP_DAYS

log = logging.getLogger(__name__)

BATCH = 500  # conversations deleted per transaction (each a few dozen rows): short locks on a busy table

# the conversations over, each re-checked at deletion: a sender who wrote again since the list was made is kept
_EXPIRED = text("select sender_id from events group by sender_id having max(timestamp) < :cutoff")
_DELETE = text(
    "delete from events where sender_id in :senders and not exists "
    "(select 1 from events newer where newer.sender_id = events.sender_id and newer.timestamp >= :cutoff)"
).bindparams(bindparam("senders", expanding=True))


def tracker_url(settings) -> str:
    """The tracker store's SQLAlchemy URL for this app's settings: scale mode's PostgreSQL (with the app's driver,
    psycopg 3) or the embedded default's SQLite file."""
    url = settings.tracker_store_url
    if url:
        scheme, _, rest = url.partition("://")
        if scheme in ("postgresql", "postgres", "postgresql+psycopg2"):
            return f"postgresql+psycopg://{rest}"
        return url
    return f"sqlite:///{Path(settings.var_dir) / 'tracker.db'}"


class TrackerPurge:
    def __init__(self, url: str, days: int = KEEP_DAYS, batch: int = BATCH):
        self.url = url
        self.days = days
        self.batch = batch
        self.clock = utcnow  # tests freeze it
        self._engine: Engine | None = None

    def _reachable(self) -> Engine | None:
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[-1]
            if not Path(path).exists():  # the bot never ran here (or runs elsewhere): nothing to purge
                return None
        if self._engine is None:
            args = {"timeout": 30} if self.url.startswith("sqlite") else {}
            self._engine = create_engine(self.url, connect_args=args, pool_size=1, max_overflow=0)
        if not inspect(self._engine).has_table("events"):
            return None
        return self._engine

    def purge(self, now: datetime | None = None) -> int:
        """Delete the events of every conversation silent for ``days``; the number of rows deleted."""
        engine = self._reachable()
        if engine is None:
            return 0
        cutoff = ((now or self.clock()) - timedelta(days=self.days)).timestamp()
        started = time.monotonic()
        with engine.connect() as conn:
            senders = conn.execute(_EXPIRED, {"cutoff": cutoff}).scalars().all()
        deleted = 0
        for i in range(0, len(senders), self.batch):
            with engine.begin() as conn:
                deleted += conn.execute(_DELETE, {"senders": senders[i : i + self.batch], "cutoff": cutoff}).rowcount
        if senders:
            log.info(
                "tracker store purge: %d events of %d conversations older than %d days (%.1f s)",
                deleted,
                len(senders),
                self.days,
                time.monotonic() - started,
            )
        return deleted

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
