"""SQLAlchemy engine/session factory and Alembic migrations (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, TypeDecorator, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC on every database. SQLite keeps no offset at all, so a value written
    as 23:59 China time would otherwise come back as 23:59 of an unknown zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_unavailable(exc: BaseException) -> bool:
    """The database went away under a request (connection terminated, server restarting) or every pooled
    connection is busy: a transient condition to answer with 503 (or to retry once), never a 500."""
    if isinstance(exc, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = str(exc.orig or "").lower()
        return isinstance(exc, sa_exc.OperationalError) and any(
            s in orig
            for s in (
                "terminating connection",
                "server closed the connection",
                "connection refused",
                "could not connect",
                "the database system is",
                "connection is closed",
                "consuming input failed",
                # psycopg 3's own words for a socket the server closed (psycopg/waiting.py, pq/pq_ctypes.py)
                "connection socket closed",
                "the connection is lost",
                "no connection to the server",
                "sending query failed",
                "sending query and params failed",
                "flushing failed",
                "could not receive data from server",
                "could not send data to server",
                "ssl syscall error",
                "ssl connection has been closed unexpectedly",
            )
        )
    return False


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers and one writer coexist
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


# pg_advisory_lock key of the Alembic chain ("12328MIG" in ASCII): replicas starting together run it one at a time
MIGRATION_LOCK = 0x3132333238_4D4947


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision.

    On PostgreSQL the chain runs under a session advisory lock held by a connection of its own (the DBAPI's, so
    nothing of it is part of the chain's statements): replicas starting together on one database run it one at a
    time; the first upgrades, the others wait, then find the schema at head and do nothing. A process killed
    while holding it loses its connection, and with it the lock. SQLite is unchanged (one process owns the file)."""
    if engine.dialect.name != "postgresql":
        return _upgrade(engine)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        raw.commit()  # the lock is the session's: it outlives this transaction, which must not stay open
        try:
            _upgrade(engine)
        finally:
            cursor.execute("select pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
            raw.commit()
            cursor.close()
    except BaseException:
        raw.invalidate()  # never give the pool a connection that may still hold the lock
        raise
    finally:
        raw.close()


def _upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            # SQLite's ALTER TABLE is done by copying the table and dropping the old one; with foreign
            # keys on, that drop would cascade to dependent rows (kb_chunk). The pragma only takes
            # effect outside a transaction.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        migrate(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
