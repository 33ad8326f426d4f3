"""Scale mode as a whole (issue 20): 2 apps + 2 bots + two workers behind nginx, on PostgreSQL (app data and the
bots' tracker store, a database of this test's own, empty when the replicas start together) and Redis (the bots' lock
store and the apps' turn locks, under a key prefix of this test's own). Concurrent conversations each file a complaint
through nginx while one bot, one app and one worker are SIGKILLed mid-run: every conversation completes (a turn that
failed is sent again, as the web page does), no answered turn is missing from the tracker, and no complaint becomes
two orders. Meanwhile the two workers run every job at once: each 12345 outbox message reaches the 12345 simulator
(its own process) once, each WeChat notice reaches the WeChat API stand-in once, and the SLA sweep writes each
overdue notice once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from channels.tracker_store import TrackerPurge, tracker_url
from devtools.scale import NGINX, scale_stack
from hotline.db import Database
from sync.orders import OrderExchange
from tests.conftest import PG_URL
from tests.wechat_fake import FakeWeChat
from work_orders.service import WorkOrders

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.integration

CONVERSATIONS = 24
REDIS_URL = "redis://127.0.0.1:6379/12"  # the bots' lock store and the apps' turn locks, under a prefix of its own
DEADLINE = 150  # seconds for every conversation to finish, kills included
APPID, SECRET, TEMPLATE = "wx12328scale00001", "scale-secret", "TPL-SCALE"  # the official account's, for notices
WECHAT_CALLERS = 12  # orders of WeChat followers filed before the run and again after the kills: one notice each
SWEEP_KINDS = ("reminder", "overdue", "overdue_report", "dispatch_overdue", "callback_overdue")


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
def sim12345(tmp_path: Path):
    """The 12345 simulator as a process of its own: it records every outbox message posted to it."""
    log = open(tmp_path / "sim12345.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim12345", "--port", "0", "--articles", "0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "sim12345 listening on http://127.0.0.1:PORT (…)"
    assert "listening on" in line, line
    yield line.split("listening on ", 1)[1].split()[0]
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture
def wechat():
    """WeChat's API as documented (tests/wechat_fake.py): it records every template message sent."""
    server = FakeWeChat({APPID: SECRET})
    server.known_templates.add(TEMPLATE)
    yield server
    server.close()


@pytest.fixture
def scale(scale_db, sim12345, wechat, tmp_path: Path):
    assert Path(NGINX).exists(), "nginx missing: `make nginx` installs it (make test does)"
    client = redis.Redis.from_url(REDIS_URL)
    prefix = "t" + uuid.uuid4().hex[:10]  # this test's keys only (another run may share the db)
    app_url, tracker_url = scale_db
    # no migration first: the replicas start together on the empty database and run the chain once (hotline/db.py)
    stack = scale_stack(
        tmp_path / "var",
        app_url,
        tracker_url,
        REDIS_URL,
        worker_interval=1,  # the SLA sweep every second, in each worker
        HOTLINE_RASA_TIMEOUT="30",
        HOTLINE_SERVICE_HOURS="off",
        HOTLINE_REDIS_PREFIX=prefix,
        # the 12345 link: every order change of ours goes to the simulator's outbox endpoint (no KB sync)
        HOTLINE_SYNC_URL=sim12345,
        HOTLINE_SYNC_TOKEN="sim-token",
        HOTLINE_SYNC_INTERVAL="0",
        HOTLINE_SYNC_OUTBOX_INTERVAL="1",
        HOTLINE_SYNC_PUSH_OWN_ORDERS="1",
        # work-order notices to WeChat followers: template messages through the stand-in
        HOTLINE_WECHAT_APPID=APPID,
        HOTLINE_WECHAT_SECRET=SECRET,
        HOTLINE_WECHAT_API_BASE=wechat.url,
        HOTLINE_WECHAT_TEMPLATE_ID=TEMPLATE,
        HOTLINE_WECHAT_NOTIFY_INTERVAL="1",
    )
    try:
        stack.start_worker(1, name="worker2")  # a second job runner beside the first: every job must act once
        stack.wait_worker("worker")
        stack.wait_worker("worker2")
    except BaseException:
        stack.stop()
        raise
    yield stack
    stack.stop()
    for key in client.scan_iter(prefix + ":*"):
        client.delete(key)


class Jobs:
    """What the test does to the database beside the citizens: orders of WeChat followers (filed as another
    replica would, their outbox rows included) and deadlines set back so that the sweep finds them overdue."""

    def __init__(self, url: str):
        self.db = Database(url)
        self.work_orders = WorkOrders(self.db)
        OrderExchange(self.work_orders, None, push_own=True).install()
        self.followers: list[str] = []  # order numbers

    def file_for_followers(self, batch: str) -> None:
        for i in range(WECHAT_CALLERS):
            order, _ = self.work_orders.create(
                {
                    "order_type": "complaint",
                    "channel": "wechat",
                    "caller_user": f"wechat:o-scale-{batch}-{i}",
                    "facts": f"新乡东站出租车拒载（{batch}-{i}）",
                    "region": "河南省新乡市",
                },
                idempotency_key=f"scale-{batch}-{i}",
            )
            self.followers.append(order["number"])

    def overdue(self) -> None:
        """Every order's dispatch deadline an hour ago: the next sweep reports each one (第二十七条)."""
        with self.db.engine.begin() as conn:
            conn.execute(text("update wo_order set dispatch_due = now() - interval '1 hour'"))

    def close(self) -> None:
        self.db.engine.dispose()


def _until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return check()


def test_conversations_survive_a_bot_and_an_app_killed_mid_run_and_every_job_acts_once(scale, sim12345, wechat):
    jobs = Jobs(scale.env["HOTLINE_DATABASE_URL"])
    jobs.file_for_followers("a")  # delivered while both workers run: they race for each notice and the outbox
    jobs.overdue()
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
            jobs.overdue()  # the orders filed so far: swept by both workers, one of them killed now
            scale.kill("bot0")
            scale.kill("app0")
            scale.kill("worker")  # its outbox lease is void at once (its process is gone), the other takes over
            jobs.file_for_followers("b")  # delivered by the survivor alone
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
    # the survivors carried the rest: the other bot and app still answer, the other worker still runs
    assert scale.procs["bot1"].poll() is None and scale.procs["app1"].poll() is None
    assert scale.procs["worker2"].poll() is None
    assert requests.get(scale.base + "/api/health", timeout=5).json()["bot"] is True

    # --- every job acted once, across two runners and the kill ---------------------------------------------------
    jobs.overdue()  # the orders filed after the kill too
    engine = create_engine(scale.env["HOTLINE_DATABASE_URL"])

    def outbox() -> list[str]:  # the 12345 message ids of every order change, once all of them are acknowledged
        with engine.connect() as conn:
            rows = conn.execute(text("select payload, acked_at from sync_outbox")).all()
        return [p["message_id"] for p, acked in rows] if rows and all(a for _, a in rows) else []

    def swept() -> dict:
        with engine.connect() as conn:
            waiting = conn.scalar(
                text(
                    "select count(*) from wo_order where dispatch_overdue_at is null"
                    " and state in ('received', 'classified', 'escalated', 'returned')"
                )
            )
            rows = conn.execute(
                text(
                    "select o.number, n.kind from wo_notice n join wo_order o on o.id = n.order_id where n.kind = any(:k)"
                ),
                {"k": list(SWEEP_KINDS)},
            ).all()
        return Counter(rows) if waiting == 0 else {}

    def sent() -> Counter:  # template messages the stand-in accepted, by order number and kind
        return Counter((m["data"]["keyword1"]["value"], m["data"]["keyword2"]["value"]) for m in wechat.templates)

    assert _until(lambda: outbox() and swept() and sum(sent().values()) >= 2 * WECHAT_CALLERS, 30), (
        outbox(),
        swept(),
        sent(),
    )
    time.sleep(3)  # three more runs of every job in the survivor: nothing more may go out
    messages = outbox()
    posts = requests.get(sim12345 + "/_sim/messages", timeout=5).json()["posts_by_id"]
    notices = swept()
    with engine.connect() as conn:
        eligible = set(
            conn.execute(
                text("select number from wo_order where state in ('received', 'classified', 'escalated', 'returned')")
            ).scalars()
        )
    engine.dispose()
    jobs.close()
    print(
        f"{len(messages)} outbox messages, {sum(posts.values())} posts to 12345; {sum(notices.values())} sweep "
        f"notices; {sum(sent().values())} WeChat notices"
    )
    for name in ("worker", "worker2"):  # who did what (each run that acted logs its counts)
        log = (scale.var / "log" / f"{name}.log").read_text(errors="replace")
        print(name, [line.split(": ", 1)[1] for line in log.splitlines() if "SLA sweep:" in line or "'sent'" in line])
    assert len(messages) >= 2 * WECHAT_CALLERS + CONVERSATIONS  # one record per order filed, at least
    assert {m: posts.get(m, 0) for m in messages} == {m: 1 for m in messages}  # each message posted once
    assert set(posts) == set(messages)  # and nothing else
    assert {n for n, _ in notices} == eligible and set(notices.values()) == {1}  # each overdue order reported once
    assert sent() == {(n, "已受理"): 1 for n in jobs.followers}  # each follower told once that the order was filed

    # --- the nightly tracker purge on the bots' own `events` table ------------------------------------------------
    purge = TrackerPurge(tracker_url(scale.settings))
    try:
        purge.clock = lambda: datetime.now(UTC) + timedelta(days=29)  # still within the chat history's 30 days
        assert purge.purge() == 0
        purge.clock = lambda: datetime.now(UTC) + timedelta(days=31)  # every conversation silent for 30 days
        assert purge.purge() > 12 * CONVERSATIONS
        engine = create_engine(scale.env["HOTLINE_DATABASE_URL"])
        with engine.connect() as conn:
            assert conn.scalar(text("select count(*) from events")) == 0
        engine.dispose()
    finally:
        purge.close()
