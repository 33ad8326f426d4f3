"""The outgoing WeChat API client (real wechatpy client) against a local fake of WeChat's HTTP API, and the
state replicas share: access token and message claims, in Redis (127.0.0.1:6379) and in the database."""

import threading
import uuid

import pytest
import redis

from channels.wechat.api import NotConfigured, RateLimited, WeChatApi, WeChatApiError, WindowClosed
from channels.wechat.replica_store import LocalState, RedisState
from hotline.db import Database
from tests.wechat_fake import FakeWeChat

SECRET = "fake-secret"
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def appid():
    return f"wx{uuid.uuid4().hex[:16]}"


@pytest.fixture
def fake(appid):
    server = FakeWeChat({appid: SECRET})
    yield server
    server.close()


@pytest.fixture
def redis_state():
    """A Redis-backed state under a prefix of its own, removed afterwards. Redis is part of CI: no skip."""
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    yield lambda: RedisState(redis.Redis.from_url(REDIS_URL), prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def local_state(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'wx.db'}")
    db.migrate()
    return LocalState(db)


def make_api(appid, fake, state, sleeps=None):
    return WeChatApi(
        appid, SECRET, fake.url, state, timeout=5, sleep=(sleeps.append if sleeps is not None else lambda s: None)
    )


def test_token_is_fetched_once_and_reused(appid, fake, local_state):
    api = make_api(appid, fake, local_state)
    api.send_text("o1", "第一条")
    api.send_text("o1", "第二条")
    assert fake.token_requests == 1
    assert fake.texts_to("o1") == ["第一条", "第二条"]


@pytest.mark.parametrize("how", ["expire_tokens", "revoke_tokens"])  # 42001 / 40001
def test_rejected_token_is_refreshed_once_and_the_call_repeated(appid, fake, local_state, how):
    api = make_api(appid, fake, local_state)
    api.send_text("o1", "一")
    getattr(fake, how)()
    api.send_text("o1", "二")
    assert fake.token_requests == 2
    assert fake.texts_to("o1") == ["一", "二"]


def test_a_token_that_cannot_be_renewed_fails_without_looping(appid, fake, local_state):
    api = make_api(appid, fake, local_state)
    api.send_text("o1", "一")
    fake.revoke_tokens()
    fake.apps[appid] = "rotated-in-the-console"
    with pytest.raises(WeChatApiError) as err:
        api.send_text("o1", "二")
    assert err.value.errcode == 40001
    assert fake.token_requests == 2


def test_rate_limit_45009_is_retried_with_backoff(appid, fake, local_state):
    sleeps = []
    api = make_api(appid, fake, local_state, sleeps)
    fake.rate_limit = 2
    api.send_text("o1", "稍后送达")
    assert sleeps == [0.5, 1.0]
    assert fake.texts_to("o1") == ["稍后送达"]
    fake.rate_limit = 10
    with pytest.raises(RateLimited) as err:
        api.send_text("o1", "送不出去")
    assert err.value.transient and err.value.errcode == 45009
    assert sleeps[2:] == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("fault", ["busy", "http_errors"])  # errcode -1 / HTTP 502
def test_transient_errors_are_retried(appid, fake, local_state, fault):
    sleeps = []
    api = make_api(appid, fake, local_state, sleeps)
    api.send_text("o1", "预热")
    setattr(fake, fault, 2)
    api.send_text("o1", "重试后送达")
    assert len(sleeps) == 2
    assert fake.texts_to("o1")[-1] == "重试后送达"


def test_window_closed_45015_is_not_retried(appid, fake, local_state):
    sleeps = []
    api = make_api(appid, fake, local_state, sleeps)
    fake.window_closed.add("o-away")
    with pytest.raises(WindowClosed) as err:
        api.send_text("o-away", "超过48小时")
    assert err.value.errcode == 45015 and not err.value.transient
    assert sleeps == []


def test_unreachable_wechat_is_transient(appid, local_state):
    sleeps = []
    api = WeChatApi(appid, SECRET, "http://127.0.0.1:9", local_state, timeout=1, sleep=sleeps.append)
    with pytest.raises(WeChatApiError) as err:
        api.send_text("o1", "x")
    assert err.value.transient and len(sleeps) == 3


def test_without_credentials_nothing_is_called(fake, local_state):
    api = WeChatApi("", "", fake.url, local_state)
    with pytest.raises(NotConfigured):
        api.send_text("o1", "x")
    assert fake.calls == []


def test_template_and_subscribe_messages(appid, fake, local_state):
    fake.known_templates.add("TPL-1")
    api = make_api(appid, fake, local_state)
    api.send_template("o1", "TPL-1", {"first": {"value": "工单已转办"}})
    api.send_subscribe("o2", "TPL-1", {"thing3": {"value": "已办结"}}, page="pages/orders/detail?number=1")
    assert fake.templates[0]["touser"] == "o1" and fake.subscribe[0]["page"].endswith("number=1")
    fake.refused.add("o3")
    with pytest.raises(WeChatApiError) as err:
        api.send_subscribe("o3", "TPL-1", {})
    assert err.value.errcode == 43101


def _storm(apis, text, threads_per_api=4):
    errors = []

    def send(api):
        try:
            api.send_text("o1", text)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(api,)) for api in apis for _ in range(threads_per_api)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_replicas_share_one_token_through_redis_and_refresh_it_once(appid, fake, redis_state):
    replica_a, replica_b = make_api(appid, fake, redis_state()), make_api(appid, fake, redis_state())
    replica_a.send_text("o1", "A")
    replica_b.send_text("o1", "B")
    assert fake.token_requests == 1  # B found A's token in Redis
    fake.expire_tokens()
    _storm([replica_a, replica_b], "expired")
    assert fake.token_requests == 2  # eight calls saw 42001; one replica refreshed, all used its token
    assert fake.texts_to("o1").count("expired") == 8


def test_threads_of_one_process_refresh_once(appid, fake, local_state):
    api = make_api(appid, fake, local_state)
    api.send_text("o1", "warm")
    fake.expire_tokens()
    _storm([api], "expired", threads_per_api=8)
    assert fake.token_requests == 2


def test_redis_claims_are_exclusive(redis_state):
    replicas = [redis_state(), redis_state()]
    wins = []
    threads = [
        threading.Thread(target=lambda r=r: wins.append(r.claim("msg:6054768590064713728")))
        for r in replicas
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    assert replicas[0].claim("msg:other")


def test_database_claims_are_exclusive_across_replicas(db_url):
    db = Database(db_url)
    db.migrate()
    replicas = [LocalState(db), LocalState(Database(db_url))]
    wins = []
    threads = [
        threading.Thread(target=lambda r=r: wins.append(r.claim("ev:oUser:1409735668")))
        for r in replicas
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_local_token_store_expires(local_state):
    local_state.set("k", "v", ttl=0.05)
    assert local_state.get("k") == "v"
    threading.Event().wait(0.1)
    assert local_state.get("k") is None
