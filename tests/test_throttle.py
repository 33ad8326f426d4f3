"""Guessing is throttled per client address with growing delays, and nobody can lock anyone else out:
staff logins and the callers' order look-up and rating, over HTTP, on SQLite and PostgreSQL, across replicas."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hotline.throttle import Policy, Rule, Throttle, Throttled, ThrottleRow

ORDER = {
    "order_type": "complaint",
    "channel": "phone",
    "domain": "城市客运",
    "region": "河南省新乡市",
    "title": "公交车甩站",
    "facts": "12路公交在人民公园站不停车",
    "caller_phone": "13812345678",
}
A, B, C = "203.0.113.7", "198.51.100.20", "192.0.2.33"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _app(make_app, var, db_url, clock, **env):
    app = make_app(var, HOTLINE_SWEEP_INTERVAL="0", HOTLINE_DATABASE_URL=db_url, **env)
    svc = app.extensions["hotline"]
    svc.accounts.throttle.clock = clock
    svc.work_orders.throttle.clock = clock
    return app


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(make_app, tmp_path, db_url, clock):
    app = _app(make_app, tmp_path, db_url, clock)
    app.extensions["hotline"].accounts.create_user("admin", "admin-pass-1", ["admin"], "管理员")
    return app


def try_login(client, ip, username="admin", password="guess-000", **headers):
    return client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers,
    )


def test_an_attacker_cannot_lock_the_admin_out_and_waits_longer_and_longer(app, clock):
    client = app.test_client()
    answers = [try_login(client, A) for _ in range(50)]
    assert [r.status_code for r in answers[:5]] == [401] * 5
    assert {r.status_code for r in answers[5:]} == {429}
    first_wait = int(answers[-1].headers["Retry-After"])
    assert first_wait >= 1 and answers[-1].get_json()["error"]["code"] == "too_many_attempts"
    assert answers[-1].get_json()["error"]["details"]["retry_after"] == first_wait

    # the real admin, from another address, gets in at once; from the attacker's address even the right
    # password waits (it is not even checked)
    ok = try_login(client, B, password="admin-pass-1")
    assert ok.status_code == 200 and ok.get_json()["user"]["username"] == "admin"
    assert try_login(client, A, password="admin-pass-1").status_code == 429

    # each further failure after the wait doubles it
    waits = [first_wait]
    for _ in range(4):
        clock.advance(waits[-1])
        assert try_login(client, A).status_code == 401
        blocked = try_login(client, A)
        assert blocked.status_code == 429
        waits.append(int(blocked.headers["Retry-After"]))
    assert waits == [waits[0] * 2**i for i in range(5)]
    assert try_login(client, B, password="admin-pass-1").status_code == 200  # still no lock-out


def test_unknown_and_known_usernames_are_answered_alike(app, clock):
    client = app.test_client()

    def run(username, ip):
        out, timings = [], []
        for _ in range(8):
            started = time.perf_counter()
            resp = try_login(client, ip, username=username)
            timings.append(time.perf_counter() - started)
            out.append((resp.status_code, resp.get_json(), resp.headers.get("Retry-After")))
        return out, statistics.median(timings[:5])  # the first five reach the password check

    known, known_time = run("admin", A)
    unknown, unknown_time = run("nobody", B)
    assert known == unknown
    assert [status for status, _, _ in known] == [401] * 5 + [429] * 3
    # both run scrypt (a dummy hash for unknown users): same order of time, not 0 against 40 ms
    assert 0.5 < unknown_time / known_time < 2, (known_time, unknown_time)


def test_the_account_wide_delay_holds_back_failing_addresses_only(app, clock):
    client = app.test_client()
    # a distributed guess: 12 addresses, one wrong password each (far under the per-address limits)
    for i in range(12):
        assert try_login(client, f"10.0.0.{i}").status_code == 401
    # an address that has already failed on admin now waits for the account-wide delay ...
    held = try_login(client, "10.0.0.3", password="admin-pass-1")
    assert held.status_code == 429 and 1 <= int(held.headers["Retry-After"]) <= 300
    # ... a clean one is still heard: a wrong password is a plain 401, the right one logs in
    assert try_login(client, "10.0.1.1").status_code == 401
    assert try_login(client, C, password="admin-pass-1").status_code == 200
    # every failure on the account (13 now) doubles the delay; after it, the failing address is heard again
    held = try_login(client, "10.0.0.3", password="admin-pass-1")
    assert held.status_code == 429 and int(held.headers["Retry-After"]) == 8  # 1 s × 2^(13 - 10)
    clock.advance(8)
    assert try_login(client, "10.0.0.3", password="admin-pass-1").status_code == 200


def test_the_throttle_is_shared_by_replicas_of_one_database(app, make_app, tmp_path, clock):
    other = _app(make_app, tmp_path / "replica", app.config["SETTINGS"].database_url, clock)
    first, second = app.test_client(), other.test_client()
    for _ in range(5):
        assert try_login(first, A).status_code == 401
    assert try_login(second, A).status_code == 429  # the other replica knows
    assert try_login(second, B, password="admin-pass-1").status_code == 200


def test_forwarded_for_counts_only_behind_a_trusted_proxy(app, make_app, tmp_path, clock):
    client = app.test_client()
    # not behind a proxy: a forged X-Forwarded-For changes nothing
    for i in range(6):
        resp = try_login(client, A, **{"X-Forwarded-For": f"10.9.9.{i}"})
    assert resp.status_code == 429
    proxied = _app(
        make_app, tmp_path / "proxied", app.config["SETTINGS"].database_url, clock, HOTLINE_TRUSTED_PROXIES="1"
    ).test_client()
    # behind one proxy: the address the proxy saw (the last entry) counts, not the peer (the proxy itself)
    assert try_login(proxied, A, password="admin-pass-1", **{"X-Forwarded-For": "6.6.6.6, " + B}).status_code == 200
    for _ in range(5):
        try_login(proxied, "127.0.0.1", **{"X-Forwarded-For": C})
    assert try_login(proxied, "127.0.0.1", password="admin-pass-1", **{"X-Forwarded-For": C}).status_code == 429
    assert try_login(proxied, "127.0.0.1", password="admin-pass-1", **{"X-Forwarded-For": "1.2.3.4"}).status_code == 200


def test_old_counters_expire_and_are_purged(app, clock):
    client = app.test_client()
    for _ in range(6):
        try_login(client, A)
    assert try_login(client, A).status_code == 429
    db = app.extensions["hotline"].db
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ThrottleRow)) == 3
    clock.advance(24 * 3600 + 1)
    assert try_login(client, B, username="someone").status_code == 401  # writes 3 new rows, purges the 3 old ones
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ThrottleRow)) == 3
    assert try_login(client, A).status_code == 401  # forgotten: A is heard again, and counts from 1
    with db.session() as s:
        assert sorted(r.failures for r in s.scalars(select(ThrottleRow))) == [1, 1, 1, 1, 1, 1]


# --- the callers' look-up and rating ----------------------------------------------------------------------
@pytest.fixture
def order(app):
    order, _ = app.extensions["hotline"].work_orders.create(ORDER)
    return order["number"]


def lookup(client, ip, number, last4="0000", path="/api/orders/lookup", **extra):
    return client.post(path, json={"number": number, "last4": last4, **extra}, environ_base={"REMOTE_ADDR": ip})


def test_a_stranger_cannot_lock_a_caller_out_of_their_order(app, clock, order):
    client = app.test_client()
    answers = [lookup(client, A, order) for _ in range(50)]
    assert [r.status_code for r in answers[:3]] == [422] * 3
    assert {r.status_code for r in answers[3:]} == {429}
    wait = int(answers[-1].headers["Retry-After"])
    assert wait >= 1
    # the caller, from their own phone's address, sees the order at once
    mine = lookup(client, B, order, "5678")
    assert mine.status_code == 200 and mine.get_json()["number"] == order
    # rating uses the same check: the stranger waits, the caller passes it (and is told it is too early)
    assert lookup(client, A, order, "5678", path="/api/orders/rate", rating="satisfied").status_code == 429
    early = lookup(client, B, order, "5678", path="/api/orders/rate", rating="satisfied")
    assert early.status_code == 422 and early.get_json()["error"]["code"] == "not_replied"
    # the stranger's delay grows
    clock.advance(wait)
    assert lookup(client, A, order).status_code == 422
    assert int(lookup(client, A, order).headers["Retry-After"]) == 2 * wait


def test_scanning_order_numbers_is_throttled_per_address(app, clock, order):
    client = app.test_client()
    day = order.split("-")[0]
    statuses = [lookup(client, A, f"{day}-{n:05d}").status_code for n in range(2, 14)]
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429, 429]
    # the address waits for every order, existing or not; everyone else is unaffected
    assert lookup(client, A, order, "5678").status_code == 429
    assert lookup(client, B, order, "5678").status_code == 200
    assert lookup(client, B, f"{day}-00099").status_code == 404


def test_lookup_without_an_address_always_meets_the_order_wide_delay(app, clock, order):
    """The bot passes no address (a conversation id costs nothing to change), so it is never 'clean'."""
    wo = app.extensions["hotline"].work_orders
    for i in range(5):
        with pytest.raises(Exception, match="不匹配"):
            wo.lookup(order, "0000", caller_user=f"web:rotating-{i}")
    with pytest.raises(Throttled):
        wo.lookup(order, "5678", caller_user="web:fresh")
    assert wo.lookup(order, "5678", client=C)["number"] == order  # a clean address is still heard


def test_rule_delays_double_up_to_the_cap():
    rule = Rule(free=3, base=timedelta(seconds=2), cap=timedelta(seconds=30))
    assert [rule.delay(n).total_seconds() for n in range(2, 9)] == [0, 2, 4, 8, 16, 30, 30]
    assert rule.delay(10**6) == timedelta(seconds=30)


def test_two_scopes_do_not_share_counters(db_url):
    from hotline.db import Database

    db = Database(db_url)
    db.migrate()
    throttle = Throttle(db)
    rule = Rule(free=1, base=timedelta(seconds=5), cap=timedelta(seconds=5))
    one, two = Policy("one", rule, rule, rule), Policy("two", rule, rule, rule)
    throttle.fail(one, "t", A)
    with pytest.raises(Throttled):
        throttle.check(one, "t", A)
    throttle.check(two, "t", A)


def test_upgrading_keeps_accounts_and_drops_the_lockout_columns(db_url):
    from sqlalchemy import inspect, text

    from accounts.service import Accounts, hash_password
    from hotline.db import Database
    from tests.db_templates import upgrade_to

    db = Database(db_url)
    upgrade_to(db.engine, "0011_kb_gaps")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "insert into account_user (id, username, display_name, password_hash, roles, region, active,"
                " failed_logins, locked_until, created_at) values (1, 'admin', '管理员', :h, '[\"admin\"]', '', :t, 4,"
                " :until, CURRENT_TIMESTAMP)"
            ),
            {"h": hash_password("admin-pass-1"), "t": True, "until": datetime(2099, 1, 1, tzinfo=UTC)},
        )
    db.migrate()
    columns = {c["name"] for c in inspect(db.engine).get_columns("account_user")}
    assert "locked_until" not in columns and "failed_logins" not in columns
    token, _, user = Accounts(db).login("admin", "admin-pass-1", client=A)  # the old lock is gone
    assert token and user.roles == ("admin",)


def test_concurrent_failures_are_all_counted(db_url):
    """Replicas (here threads with their own connections) failing at once lose no count."""
    from concurrent.futures import ThreadPoolExecutor

    from hotline.db import Database

    db = Database(db_url)
    db.migrate()
    throttles = [Throttle(Database(db_url)) for _ in range(2)]
    rule = Rule(free=100, base=timedelta(seconds=1), cap=timedelta(seconds=1))
    policy = Policy("race", rule, rule, rule)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: throttles[i % 2].fail(policy, "admin", A), range(40)))
    assert throttles[0].failures(policy, "admin", A) == {"client": 40, "pair": 40, "target": 40}
