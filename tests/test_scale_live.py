"""Scale mode as a whole (issue 20): 2 apps + 2 bots + the worker behind nginx, on PostgreSQL (app data and the
bots' tracker store, a database of this test's own) and Redis (the bots' lock store and the apps' turn locks, under a
key prefix of this test's own). Concurrent conversations each file a complaint through nginx while one bot and one app
are SIGKILLed mid-run: every conversation completes (a turn that failed is sent again, as the web page does), no
answered turn is missing from the tracker, and no complaint becomes two orders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devtools.scale import NGINX, scale_stack
from hotline.db import Database
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.integration

CONVERSATIONS = 24
REDIS_URL = "redis://127.0.0.1:6379/12"  # the bots' lock store and the apps' turn locks, under a prefix of its own
DEADLINE = 150  # seconds for every conversation to finish, kills included


@pytest.fixture
def scale_db():
    """A PostgreSQL database of this test's own (app tables and Rasa's `events`), dropped afterwards."""
    name = "hotline_scale_" + uuid.uuid4().hex[:8]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = make_url(PG_URL).set(database=name)
    app_url = url.render_as_string(hide_password=False)
    tracker_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        yield app_url, tracker_url
    finally:
        with admin.connect() as conn:
            conn.execute(text("select pg_terminate_backend(pid) from pg_stat_activity where datname = :d"), {"d": name})
            conn.execute(text(f'drop database if exists "{name}"'))
        admin.dispose()


@pytest.fixture
def scale(scale_db, tmp_path: Path):
    assert Path(NGINX).exists(), "nginx missing: `make nginx` installs it (make test does)"
    client = redis.Redis.from_url(REDIS_URL)
    prefix = "t" + uuid.uuid4().hex[:10]  # this test's keys only (another run may share the db)
    app_url, tracker_url = scale_db
    db = Database(app_url)
    db.migrate()  # once, before the replicas start together
    db.engine.dispose()
    stack = scale_stack(
        tmp_path / "var",
        app_url,
        tracker_url,
        REDIS_URL,
        HOTLINE_RASA_TIMEOUT="30",
        HOTLINE_SERVICE_HOURS="off",
        HOTLINE_REDIS_PREFIX=prefix,
    )
    yield stack
    stack.stop()
    for key in client.scan_iter(prefix + ":*"):
        client.delete(key)


def test_conversations_survive_a_bot_and_an_app_killed_mid_run(scale):
    # the citizens run in a process of their own (devtools/scale_load.py): it says `turn` for each answered turn
    load = subprocess.Popen(
        [sys.executable, "-m", "devtools.scale_load", scale.base, str(CONVERSATIONS), str(DEADLINE)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert load.stdout is not None
    turns, result = 0, None
    for line in load.stdout:
        if line.strip() != "turn":
            result = json.loads(line)
            break
        turns += 1
        if turns == CONVERSATIONS:  # mid-run: a third of the turns answered, conversations in every state
            scale.kill("bot0")
            scale.kill("app0")
    load.wait(30)
    assert result is not None, f"the load process ended without its results (exit {load.returncode})"
    callers = result["conversations"]
    print(
        f"{CONVERSATIONS} conversations in {result['seconds']} s, {sum(len(c['answered']) for c in callers)} turns "
        f"answered, {sum(c['retries'] for c in callers)} sent again"
    )
    assert turns > CONVERSATIONS  # the kills happened mid-run
    assert not [c["error"] for c in callers if c["error"]], [c["error"] for c in callers if c["error"]]
    assert all(c["order"] for c in callers)

    engine = create_engine(scale.env["HOTLINE_DATABASE_URL"])
    with engine.connect() as conn:
        numbers = {n for (n,) in conn.execute(text("select number from wo_order where caller_user like 'web:sc-%'"))}
        orders = dict(
            conn.execute(
                text("select caller_user, count(*) from wo_order where caller_user like 'web:sc-%' group by 1")
            ).all()
        )
        # Rasa's tracker store (the bots' PostgreSQL tables): every turn the caller saw answered is there
        user_events: dict[str, list] = {}
        for sender, data in conn.execute(
            text("select sender_id, data from events where type_name = 'user' order by id")
        ).all():
            user_events.setdefault(sender, []).append(json.loads(data).get("text"))
    engine.dispose()
    assert orders == {f"web:{c['sender']}": 1 for c in callers}  # each complaint one order, none twice
    assert numbers == {c["order"]["number"] for c in callers}
    for c in callers:
        seen = iter(user_events.get(f"web:{c['sender']}", []))
        assert all(m in seen for m in c["answered"]), (c["answered"], user_events.get(f"web:{c['sender']}"))
    # the survivors carried the rest: the other bot and app still answer, the worker still runs
    assert scale.procs["bot1"].poll() is None and scale.procs["app1"].poll() is None
    assert scale.procs["worker"].poll() is None
    assert requests.get(scale.base + "/api/health", timeout=5).json()["bot"] is True
