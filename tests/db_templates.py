"""Migrate once per test session, copy for every test database.

The Alembic chain takes about a second per database, and almost every test starts from an empty one (its own
SQLite file or PostgreSQL schema). ``TemplateMigrations.migrate`` stands in for ``hotline.db.migrate`` in the
tests (conftest.py patches it): a database without any table gets a copy of one migrated by the real chain
once per session, anything else (the upgrade tests of tests/test_migrations.py and tests/test_throttle.py,
which stop the chain half-way first) goes through the real chain.

- SQLite: the template file is copied into the new database with SQLite's backup API (page by page, through
  the test's own connection, so it is safe whatever else has the file open).
- PostgreSQL: every statement the real chain sent to the driver on a template schema is recorded once and
  replayed, in one transaction, into the new schema (the tests' URLs set ``search_path``, and the chain names
  no schema), so the copy is what the chain made, data migrations included.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from hotline.db import ROOT, make_engine


class TemplateMigrations:
    def __init__(self, real_migrate, workdir: Path, pg_url: str):
        self.real_migrate = real_migrate
        self.workdir = workdir
        self.pg_url = pg_url
        self.lock = threading.Lock()
        self.sqlite_template: Path | None = None
        self.pg_script: list[tuple[str, object, bool]] | None = None
        self.copies = 0
        self._head: str | None = None

    def migrate(self, engine: Engine) -> None:
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql") or engine.url.database in (None, "", ":memory:"):
            return self.real_migrate(engine)
        tables = self._tables(engine)
        if not tables:
            if dialect == "sqlite":
                self._copy_sqlite(engine)
            else:
                self._replay_postgresql(engine)
        elif not self._at_head(engine, tables):
            self.real_migrate(engine)
        # else: already at the newest revision, where the chain would do nothing

    # --- both ---------------------------------------------------------------------------------------------
    @staticmethod
    def _tables(engine: Engine) -> set[str]:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                return set(conn.execute(text("select name from sqlite_master")).scalars())
            return set(
                conn.execute(
                    text(
                        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                        " where n.nspname = current_schema()"
                    )
                ).scalars()
            )

    def head(self) -> str:
        if self._head is None:
            from alembic.config import Config
            from alembic.script import ScriptDirectory

            cfg = Config()
            cfg.set_main_option("script_location", str(ROOT / "migrations"))
            self._head = ScriptDirectory.from_config(cfg).get_current_head()
        return self._head

    def _at_head(self, engine: Engine, tables: set[str]) -> bool:
        if "alembic_version" not in tables:
            return False
        with engine.connect() as conn:
            versions = list(conn.execute(text("select version_num from alembic_version")).scalars())
        return versions == [self.head()]

    # --- SQLite -------------------------------------------------------------------------------------------
    def _copy_sqlite(self, engine: Engine) -> None:
        with self.lock:
            if self.sqlite_template is None:
                path = self.workdir / "template.db"
                template = make_engine(f"sqlite:///{path}")
                self.real_migrate(template)
                template.dispose()
                self.sqlite_template = path
        source = sqlite3.connect(self.sqlite_template)
        raw = engine.raw_connection()
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
            source.close()
        self.copies += 1

    # --- PostgreSQL ---------------------------------------------------------------------------------------
    def _record_postgresql(self) -> list[tuple[str, object, bool]]:
        schema = f"tmpl_{uuid.uuid4().hex[:10]}"
        admin = make_engine(self.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'create schema "{schema}"'))
        template = make_engine(f"{self.pg_url}?options=-csearch_path%3D{schema}")
        try:
            with template.connect():  # the dialect's first-connect queries are not part of the chain
                pass
            script: list[tuple[str, object, bool]] = []

            def record(conn, cursor, statement, parameters, context, executemany):
                script.append((statement, parameters, executemany))

            event.listen(template, "before_cursor_execute", record)
            self.real_migrate(template)
            event.remove(template, "before_cursor_execute", record)
        finally:
            template.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'drop schema "{schema}" cascade'))
            admin.dispose()
        return script

    def _replay_postgresql(self, engine: Engine) -> None:
        with self.lock:
            if self.pg_script is None:
                self.pg_script = self._record_postgresql()
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters, many in self.pg_script:
                if many:
                    cursor.executemany(statement, parameters)
                elif parameters:
                    cursor.execute(statement, parameters)
                else:
                    cursor.execute(statement)
            cursor.close()
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()
        self.copies += 1


def upgrade_to(engine: Engine, revision: str) -> None:
    """Run the real Alembic chain up to ``revision`` (for tests of an upgrade over data that an older schema held)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
