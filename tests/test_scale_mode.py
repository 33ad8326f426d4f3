"""Scale mode's pieces without the whole topology (issue 20): the bots' endpoints from the environment, the app's
routing of senders to bot replicas with fail-over, the per-sender turn lock in Redis shared by app replicas, and
replicas starting together on a new database (the KB cache's instance id, the migrations under an advisory lock)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import pytest
import redis

from channels.conversation import RasaClient, RedisSenderLock, TurnGate, bot_order
from channels.errors import Busy
from devtools.scale import DEPLOY_APPS, NGINX, nginx_conf, nginx_site
from hotline import procs
from hotline.errors import BotUnavailable
from hotline.settings import load_settings
from tests.fakes import FakeRasa

REDIS_URL = "redis://127.0.0.1:6379/14"  # this file's own Redis db; keys carry a per-test prefix too


# --- configuration by mode --------------------------------------------------------------------------------------
def test_the_embedded_default_keeps_bot_endpoints_yml(tmp_path):
    settings = load_settings({"HOTLINE_VAR_DIR": str(tmp_path)})
    assert procs.bot_endpoints(settings) == procs.ROOT / "bot" / "endpoints.yml"
    assert not (tmp_path / "endpoints.scale.yml").exists()
    assert settings.bot_urls == (settings.rasa_url,)


def test_scale_mode_writes_postgresql_tracker_and_redis_lock_store_from_the_environment(tmp_path):
    settings = load_settings(
        {
            "HOTLINE_VAR_DIR": str(tmp_path),
            "HOTLINE_TRACKER_STORE_URL": "postgresql://rasa:p%40ss@db.internal:6432/tracker",
            "HOTLINE_REDIS_URL": "redis://:secret@cache.internal:6380/3",
            "HOTLINE_RASA_URLS": "http://10.0.0.1:5005/, http://10.0.0.2:5005",
            "HOTLINE_BOT_ACTION_URL": "http://127.0.0.1:5054/webhook",
        }
    )
    path = procs.bot_endpoints(settings)
    assert path.parent == tmp_path and path.stat().st_mode & 0o077 == 0  # it carries passwords
    endpoints = json.loads(path.read_text())  # JSON is YAML: Rasa reads it as its endpoints file
    assert endpoints["tracker_store"] == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 6432,
        "db": "tracker",
        "username": "rasa",
        "password": "p@ss",
    }
    assert endpoints["lock_store"] == {
        "type": "redis",
        "url": "cache.internal",
        "port": 6380,
        "db": 3,
        "key_prefix": "hotline",
        "use_ssl": False,
        "password": "secret",
    }
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:5054/webhook", "token": settings.action_token}
    env = procs.bot_env(settings)
    assert env["HOTLINE_ACTION_URL"] == "http://127.0.0.1:5054/webhook"
    assert int(env["TICKET_LOCK_LIFETIME"]) >= 15
    assert settings.bot_urls == ("http://10.0.0.1:5005", "http://10.0.0.2:5005")
    command = procs.bot_command(settings, port=5007)
    assert command[command.index("--endpoints") + 1] == str(path)
    assert command[command.index("--port") + 1] == "5007"


def test_a_tracker_store_url_that_is_not_postgresql_is_refused(tmp_path):
    settings = load_settings({"HOTLINE_VAR_DIR": str(tmp_path), "HOTLINE_TRACKER_STORE_URL": "mysql://h/db"})
    with pytest.raises(ValueError, match="postgresql"):
        procs.bot_endpoints(settings)


# --- deploy/ --------------------------------------------------------------------------------------------------------
def test_the_deployed_nginx_site_is_the_rendered_one_and_nginx_accepts_it(tmp_path):
    site = (procs.ROOT / "deploy" / "nginx" / "hotline.conf").read_text()
    assert site == nginx_site(DEPLOY_APPS), "run `python -m devtools.scale nginx-site > deploy/nginx/hotline.conf`"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "nginx-tmp" / sub).mkdir(parents=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(site.replace("listen 80;", "listen 127.0.0.1:1;"), tmp_path))
    out = subprocess.run(
        [NGINX, "-t", "-q", "-e", str(tmp_path / "err.log"), "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    # a drained replica: both its lines down, the others untouched
    drained = nginx_site(DEPLOY_APPS, down=frozenset({8002, 5052}))
    assert drained.count(" down;") == 2 and "127.0.0.1:8002 max_fails=1 fail_timeout=5s down;  # app@8002" in drained


# --- routing ------------------------------------------------------------------------------------------------------
def test_each_sender_has_a_stable_replica_and_senders_spread_over_all():
    urls = [f"http://bot{i}:5005" for i in range(3)]
    senders = [f"web:{i}" for i in range(3000)]
    first = Counter(bot_order(urls, s)[0] for s in senders)
    assert set(first) == set(urls) and min(first.values()) > 800  # roughly a third each
    assert all(bot_order(list(reversed(urls)), s) == bot_order(urls, s) for s in senders[:100])  # order-free
    # removing a replica moves only its own senders; its senders spread over both others
    moved = [s for s in senders if bot_order(urls[:2], s)[0] != bot_order(urls, s)[0]]
    assert all(bot_order(urls, s)[0] == urls[2] for s in moved)
    assert set(Counter(bot_order(urls, s)[1] for s in senders if bot_order(urls, s)[0] == urls[2])) == set(urls[:2])


class DroppingBot:
    """A bot killed mid-turn: it takes the request and closes the connection without an answer."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.taken = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            self.taken += 1
            conn.close()

    def close(self):
        self.sock.close()


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there once closed


@pytest.fixture
def bots():
    servers = [FakeRasa(), FakeRasa()]
    yield servers
    for server in servers:
        server.close()


def test_turns_of_one_sender_stay_on_its_replica(bots):
    client = RasaClient([b.url for b in bots], "", timeout=2)
    for i in range(20):
        for n in range(3):
            client.send(f"web:s{i}", f"第{n}句")
    by_sender = {}
    for k, bot in enumerate(bots):
        for msg in bot.received:
            by_sender.setdefault(msg["sender"], set()).add(k)
    assert len(by_sender) == 20 and all(len(v) == 1 for v in by_sender.values())
    assert all(bot.received for bot in bots)  # both replicas carry conversations


def test_a_dead_or_dropping_replica_fails_over_to_the_next(bots):
    dropping = DroppingBot()
    try:
        urls = [dead_url(), dropping.url, bots[0].url]
        client = RasaClient(urls, "", timeout=2)
        for i in range(30):
            result = client.send(f"web:f{i}", "我要投诉")
            assert result.replies[0]["text"] == "收到：我要投诉"
        assert len(bots[0].received) == 30  # every turn answered once, by the live replica
        # the first turns find the dead replicas; for DOWN_SECONDS after, turns go to the live one first
        assert client.failovers == 2 and dropping.taken == 1
        assert client.is_ready()
    finally:
        dropping.close()


def test_every_replica_down_is_bot_unavailable():
    client = RasaClient([dead_url(), dead_url()], "", timeout=1)
    with pytest.raises(BotUnavailable):
        client.send("web:x", "你好")
    assert not client.is_ready()


# --- one turn per sender across app replicas ---------------------------------------------------------------------
@pytest.fixture
def redis_lock():
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # Redis is part of the machine and of CI
    prefix = f"test:{uuid.uuid4().hex}:"
    locks = []

    def make(ttl=5.0):
        lock = RedisSenderLock(redis.Redis.from_url(REDIS_URL), ttl, prefix=prefix)
        locks.append(lock)
        return lock

    yield make
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)


def test_two_app_replicas_never_run_one_senders_turns_at_once(bots, redis_lock):
    """Two RasaClients (two app replicas) share the Redis lock: the same sender's turns never overlap in the
    bots (whichever replica each reaches), while different senders do run side by side."""
    active: Counter = Counter()
    most: Counter = Counter()
    overall = []
    guard = threading.Lock()

    def slow(sender, text, meta):
        with guard:
            active[sender] += 1
            most[sender] = max(most[sender], active[sender])
            overall.append(sum(active.values()))
        time.sleep(0.15)
        with guard:
            active[sender] -= 1
        return [{"text": text}], None

    for bot in bots:
        bot.script = slow
    apps = [
        RasaClient([bots[0].url], "", timeout=5, gate=TurnGate(8, 8, 5), sender_lock=redis_lock()),
        RasaClient([bots[1].url], "", timeout=5, gate=TurnGate(8, 8, 5), sender_lock=redis_lock()),
    ]
    threads = [
        threading.Thread(target=apps[n % 2].send, args=(f"web:c{s}", f"第{n}句")) for s in range(3) for n in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(b.received) for b in bots) == 12
    assert set(most.values()) == {1}  # never two turns of one sender at once, though apps reached different bots
    assert max(overall) > 1  # while senders ran side by side


def test_the_lock_is_kept_while_a_turn_runs_longer_than_its_ttl(redis_lock):
    first, second = redis_lock(ttl=0.3), redis_lock(ttl=0.3)
    with first.hold("web:long", time.monotonic() + 1):
        time.sleep(1.0)  # three lifetimes: renewed all along
        with pytest.raises(Busy):
            with second.hold("web:long", time.monotonic() + 0.2):
                pass
    with second.hold("web:long", time.monotonic() + 0.5):  # released at the end of the turn
        pass


def test_the_lock_of_a_replica_that_died_expires(redis_lock):
    lock = redis_lock(ttl=0.5)
    key = lock.prefix + "web:dead"
    lock.redis.set(key, "a-replica-killed-mid-turn", px=lock.ttl_ms)  # taken, then no one renews it
    with pytest.raises(Busy):
        with lock.hold("web:dead", time.monotonic() + 0.1):
            pass
    with lock.hold("web:dead", time.monotonic() + 2):  # free within the TTL
        # nobody but the holder releases it: a late release by the dead one's token does nothing
        assert lock._release(keys=[key], args=["a-replica-killed-mid-turn"]) == 0
        assert lock.redis.get(key) is not None


# --- replicas starting together ----------------------------------------------------------------------------------
def test_two_replicas_starting_on_a_new_database_agree_on_its_instance_id(pg_url):
    """The KB cache's instance id is stored at first use: a replica that loses the race reads the winner's."""
    from sqlalchemy import event, text

    from hotline.db import Database
    from knowledge_base.cache import db_instance_id

    db = Database(pg_url)
    db.migrate()
    raced = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def other_replica_first(conn, cursor, statement, *args):
        if statement.startswith("insert into kb_meta") and not raced:
            raced.append(True)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as other:
                other.execute(text("insert into kb_meta (key, value) values ('instance', 'the-winner')"))

    try:
        assert db_instance_id(db) == "the-winner" and raced
        assert db_instance_id(db) == "the-winner"
    finally:
        db.engine.dispose()


MIGRATE_AT = """
import logging, sys, time
from hotline.db import Database
logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(name)s %(message)s")
logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)  # "Running upgrade A -> B" per revision
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # every replica starts at the same moment
Database(sys.argv[1]).migrate()
print("done")
"""


def test_replicas_starting_together_on_an_empty_database_run_the_migrations_once():
    """N apps started at once each call migrate(): the advisory lock lets one run the Alembic chain while the others
    wait, then find the schema at head (unlocked, they would race to create the same tables)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from hotline.db import ROOT
    from tests.conftest import PG_URL

    name = "hotline_migrate_" + uuid.uuid4().hex[:8]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        start = time.time() + 3  # after every interpreter has imported SQLAlchemy and Alembic
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE_AT, url, str(start)],
                cwd=procs.ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = [run.communicate(timeout=120)[0] for run in runs]
        assert [run.returncode for run in runs] == [0] * 4, outputs
        upgrades = Counter(
            line.split(" ", 1)[1] for out in outputs for line in out.splitlines() if "Running upgrade" in line
        )
        cfg = Config()
        cfg.set_main_option("script_location", str(ROOT / "migrations"))
        chain = list(ScriptDirectory.from_config(cfg).walk_revisions())
        assert len(upgrades) == len(chain) and set(upgrades.values()) == {1}, upgrades  # each revision once
        assert sum(1 for out in outputs if "Running upgrade" in out) == 1  # all by one replica
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("select version_num from alembic_version")).scalars().all() == [
                ScriptDirectory.from_config(cfg).get_current_head()
            ]
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text("select pg_terminate_backend(pid) from pg_stat_activity where datname = :d"), {"d": name})
            conn.execute(text(f'drop database if exists "{name}"'))
        admin.dispose()
