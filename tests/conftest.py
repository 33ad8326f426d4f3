"""Shared fixtures: one real embedding model per test session, temporary databases (migrated once per session,
copied per test: tests/db_templates.py) and var dirs, the app, its client and a staff login, the fake Rasa and
the 12345 simulator."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import hotline.db
from hotline.db import Database
from hotline.settings import load_settings
from knowledge_base.embedder import Embedder
from knowledge_base.seeds import load_seed_drafts
from knowledge_base.service import KnowledgeBase
from sim12345.server import Simulator
from tests.db_templates import TemplateMigrations
from tests.fakes import HashEmbedder, cited_rasa, serve

PG_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# ``HOTLINE_TEST_FROZEN_NOW=2026-10-02T12:45+08:00`` runs this pytest process as if started at that moment (the
# clock still ticks from there): tests/test_clock_independence.py runs the time-sensitive files so under several
# clocks. Processes started by tests (the real app and bot) keep the real clock.
FROZEN_NOW = os.environ.get("HOTLINE_TEST_FROZEN_NOW", "")


def pytest_configure(config):
    if FROZEN_NOW:
        import time_machine

        moment = datetime.fromisoformat(FROZEN_NOW)
        if moment.tzinfo is None:
            raise pytest.UsageError("HOTLINE_TEST_FROZEN_NOW needs a UTC offset, e.g. 2026-10-02T12:45+08:00")
        config._hotline_travel = time_machine.travel(moment, tick=True)
        config._hotline_travel.start()


def pytest_unconfigure(config):
    travel = getattr(config, "_hotline_travel", None)
    if travel is not None:
        travel.stop()


# `make test` runs pytest on both cores (pytest-xdist, `-n 2`) with the scheduling below: the files that talk to the
# real bot and app processes go to one worker, so one `live` stack serves them all; every other file stays whole on
# one worker, so its module fixtures are built once and its tests run in their order.
LIVE_FILES = {
    "tests/test_browser.py",
    "tests/test_browser_complaint.py",
    "tests/test_browser_console.py",
    "tests/test_browser_csp.py",
    "tests/test_browser_orders.py",
    "tests/test_browser_reports.py",
    "tests/test_browser_stats.py",
    "tests/test_browser_shell.py",
    "tests/test_browser_supervision.py",
    "tests/test_capacity.py",
    "tests/test_conversation_suite.py",
    "tests/test_conversations.py",
    "tests/test_integration.py",
    "tests/test_wechat_live.py",
}


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class LiveTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "live" if path in LIVE_FILES else path

    return LiveTogether(config, log)


def pytest_collection_modifyitems(config, items):
    strays = sorted(
        {item.nodeid.split("::", 1)[0] for item in items if "live" in getattr(item, "fixturenames", ())} - LIVE_FILES
    )
    if strays:
        raise pytest.UsageError(f"add {strays} to LIVE_FILES in tests/conftest.py (they use the live stack)")


def pytest_report_header(config):
    if FROZEN_NOW:
        return f"clock: now {datetime.now().astimezone().isoformat()} (HOTLINE_TEST_FROZEN_NOW), ticking"


@pytest.fixture(scope="session", autouse=True)
def migrate_from_templates(tmp_path_factory):
    """Every empty test database gets a copy of the schema the Alembic chain made once this session; the
    upgrade tests still run the chain (tests/db_templates.py)."""
    templates = TemplateMigrations(hotline.db.migrate, tmp_path_factory.mktemp("templates"), PG_URL)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hotline.db, "migrate", templates.migrate)
        yield templates


def make_settings(tmp: Path, **env):
    base = {"HOTLINE_VAR_DIR": str(tmp), "HOTLINE_RASA_URL": "http://127.0.0.1:9", "HOTLINE_RASA_TIMEOUT": "3"}
    base.update(env)
    return load_settings(base)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    settings = load_settings({"HOTLINE_VAR_DIR": "/tmp"})
    return Embedder(settings.embedding_model)


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory, embedder) -> Path:
    """A var dir whose SQLite KB holds the seed documents (built once per session)."""
    tmp = tmp_path_factory.mktemp("seeded")
    settings = make_settings(tmp)
    db = Database(settings.database_url)
    db.migrate()
    KnowledgeBase(db, embedder, settings.index_path).upsert_articles(load_seed_drafts())
    return tmp


@pytest.fixture(scope="session")
def seeded_kb(seeded_dir, embedder) -> KnowledgeBase:
    settings = make_settings(seeded_dir)
    return KnowledgeBase(Database(settings.database_url), embedder, settings.index_path, settings.kb_min_score)


def _pg_available() -> bool:
    try:
        with create_engine(PG_URL).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL schema for one test; the local server is part of this project's machine."""
    if not _pg_available() and os.environ.get("CI"):
        pytest.fail("PostgreSQL at 127.0.0.1:5432 is required in CI")
    if not _pg_available():
        pytest.skip("PostgreSQL not reachable")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f'drop schema "{schema}" cascade'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def db(db_url):
    """A migrated database on SQLite and on PostgreSQL; its connections are closed after the test."""
    database = Database(db_url)
    database.migrate()
    yield database
    database.engine.dispose()


@pytest.fixture(scope="session")
def live(seeded_dir, tmp_path_factory):
    """Real bot (Rasa 3.6, its own env) and app processes, shared by integration and browser tests."""
    from devtools.stack import live_stack

    # Operators are on duty all day on working days, so whether they are is the calendar's alone: a test that
    # asks for a person sets the days around now as working days or not (tests/test_integration.py, duty).
    stack = live_stack(seeded_dir, tmp_path_factory.mktemp("live"), HOTLINE_SERVICE_HOURS="00:00-24:00")
    yield stack
    stack.stop()


# --- the app ------------------------------------------------------------------------------------------------
@pytest.fixture
def app_env() -> dict:
    """Settings of the ``app`` fixture beyond make_settings' (a test file overrides this fixture)."""
    return {}


@pytest.fixture
def make_app(tmp_path, embedder):
    """Builds apps on a temporary var dir (``var``, default tmp_path) with the session's embedding model;
    their database engines are closed after the test."""
    from webapp import create_app

    apps = []

    def make(var: Path | None = None, **env):
        app = create_app(make_settings(var or tmp_path, **env))
        app.extensions["hotline"].kb.embedder = embedder
        app.testing = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["hotline"].db.engine.dispose()


@pytest.fixture
def app(make_app, app_env):
    return make_app(**app_env)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login():
    """``login(client, username, password)`` signs a staff user in and returns the Authorization header."""

    def sign_in(client, username: str, password: str) -> dict:
        resp = client.post("/api/auth/login", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.get_json()
        return {"Authorization": "Bearer " + resp.get_json()["token"]}

    return sign_in


@pytest.fixture
def fake_rasa():
    """The bot's channel answering every message with a cited knowledge-base answer (tests.fakes.FakeRasa:
    set ``script``, ``delay`` or ``fail`` to change that)."""
    fake = cited_rasa()
    yield fake
    fake.close()


# --- the 12345 link -------------------------------------------------------------------------------------------
@pytest.fixture
def sim():
    """The 12345 simulator with 60 articles."""
    server = serve(Simulator(articles=60, seed=2026))
    yield server
    server.stop()


@pytest.fixture
def hkb(db, tmp_path):
    """A knowledge base on the test's database with the hashing embedder."""
    return KnowledgeBase(db, HashEmbedder(), tmp_path / "kb.faiss")
