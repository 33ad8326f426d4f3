"""Scale mode as a whole (issue 20): 2 apps + 2 bots + the worker behind nginx, on PostgreSQL (app data and the
bots' tracker store, a database of this test's own) and Redis (the bots' lock store and the apps' turn locks, a db
number of this test's own). Concurrent conversations each file a complaint through nginx while one bot and one app
are SIGKILLed mid-run: every conversation completes (a turn that failed is sent again, as the web page does), no
answered turn is missing from the tracker, and no complaint becomes two orders."""

from __future__ import annotations

import json
import threading
import time
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

pytestmark = pytest.mark.integration

CONVERSATIONS = 24
REDIS_URL = "redis://127.0.0.1:6379/12"  # this test's own db: the bots' lock store and the apps' turn locks
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
    client.flushdb()  # db 12 belongs to this test alone
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
    )
    yield stack
    stack.stop()
    client.flushdb()


class Caller:
    """One citizen filing a complaint through nginx, sending a turn again after a failure (502/503/timeouts),
    each next message chosen from the bot's last answer."""

    def __init__(self, base: str, i: int):
        self.base = base
        self.sender = f"sc-{uuid.uuid4().hex[:8]}-{i}"
        self.first = f"我要投诉豫G·T{1000 + i}出租车，昨天晚上8点在新乡东站拒载还骂人，电话1381234{i:04d}，要求处理司机"
        self.answered: list[str] = []  # messages the bot answered, in order
        self.retries = 0
        self.order: dict | None = None
        self.error = ""

    def say(self, message: str, deadline: float) -> dict:
        while time.monotonic() < deadline:
            try:
                resp = requests.post(self.base + "/api/chat", json={"sender": self.sender, "text": message}, timeout=45)
                if resp.status_code == 200:
                    self.answered.append(message)
                    return resp.json()
            except requests.RequestException:
                pass
            self.retries += 1
            time.sleep(1)
        raise TimeoutError(f"{message!r} never answered")

    def run(self, deadline: float, progress: threading.Semaphore) -> None:
        try:
            message = self.first
            for _ in range(6):
                body = self.say(message, deadline)
                progress.release()
                said = "\n".join(r["text"] for r in body["replies"])
                if body["work_order"]:
                    self.order = body["work_order"]
                    return
                if "请核对您的投诉内容" in said:
                    message = "确认"
                elif "实名" in said:
                    message = "匿名"
                else:
                    self.error = f"unexpected answer to {message!r}: {said[:200]}"
                    return
            self.error = "no order after 6 turns"
        except Exception as exc:  # reported below, with the others
            self.error = repr(exc)


def test_conversations_survive_a_bot_and_an_app_killed_mid_run(scale):
    callers = [Caller(scale.base, i) for i in range(CONVERSATIONS)]
    started = time.monotonic()
    progress = threading.Semaphore(0)
    deadline = time.monotonic() + DEADLINE
    threads = [threading.Thread(target=c.run, args=(deadline, progress)) for c in callers]
    for t in threads:
        t.start()
    # mid-run: a third of the turns answered, the conversations in every state of the form
    for _ in range(CONVERSATIONS):
        progress.acquire(timeout=max(0.0, deadline - time.monotonic()))
    scale.kill("bot0")
    scale.kill("app0")
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + 50)
    print(
        f"{CONVERSATIONS} conversations in {time.monotonic() - started:.1f} s, "
        f"{sum(len(c.answered) for c in callers)} turns answered, {sum(c.retries for c in callers)} sent again"
    )
    assert not [c.error for c in callers if c.error], [c.error for c in callers if c.error]
    assert all(c.order for c in callers)

    engine = create_engine(scale.env["HOTLINE_DATABASE_URL"])
    with engine.connect() as conn:
        numbers = {n for (n,) in conn.execute(text("select number from wo_order where caller_user like 'web:sc-%'"))}
        orders = dict(
            conn.execute(
                text("select caller_user, count(*) from wo_order where caller_user like 'web:sc-%' group by 1")
            ).all()
        )
        # Rasa's tracker store (the bots' PostgreSQL tables): every turn the caller saw answered is there
        user_events = {}
        for sender, data in conn.execute(
            text("select sender_id, data from events where type_name = 'user' order by id")
        ).all():
            user_events.setdefault(sender, []).append(json.loads(data).get("text"))
    engine.dispose()
    assert orders == {f"web:{c.sender}": 1 for c in callers}  # each complaint one order, none twice
    assert numbers == {c.order["number"] for c in callers}
    for c in callers:
        seen = user_events.get(f"web:{c.sender}", [])
        it = iter(seen)
        assert all(m in it for m in c.answered), (c.answered, seen)  # in order, none lost
    assert {c.order["number"] for c in callers} == {
        n
        for (n,) in create_engine(scale.env["HOTLINE_DATABASE_URL"])
        .connect()
        .execute(text("select number from wo_order where caller_user like 'web:sc-%'"))
    }
    # the survivors carried the rest: the other bot and app still answer, the worker still runs
    assert scale.procs["bot1"].poll() is None and scale.procs["app1"].poll() is None
    assert scale.procs["worker"].poll() is None
    assert requests.get(scale.base + "/api/health", timeout=5).json()["bot"] is True
