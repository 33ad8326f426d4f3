"""Retry storm across processes: two real `app` processes (waitress) share the database and Redis; WeChat's
four deliveries of one message arrive at once, two at each → one conversation turn, one work order, one
reply."""

import shutil
import threading

import pytest
import redis
import requests
from wechatpy.crypto import WeChatCrypto

from channels.wechat import protocol
from devtools.stack import free_ports
from devtools.wechat_sim import _message
from hotline import procs
from hotline.db import Database
from hotline.settings import load_settings
from tests.fakes import FakeRasa
from work_orders.service import WorkOrders

pytestmark = pytest.mark.integration
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def replicas(seeded_dir, tmp_path):
    redis.Redis.from_url(REDIS_URL).ping()  # Redis is part of the machine and of CI
    var = tmp_path / "var"
    shutil.copytree(seeded_dir, var)
    orders = WorkOrders(Database(load_settings({"HOTLINE_VAR_DIR": str(var)}).database_url))
    made = []

    def bot(sender, text, meta):
        order, _ = orders.create(
            {"order_type": "complaint", "channel": "wechat", "facts": text, "caller_user": sender},
            actor="chat",
            idempotency_key=f"{sender}:{len(made)}",
        )
        made.append(order["number"])
        return [{"text": f"已为您登记工单，编号 {order['number']}。"}], {"number": order["number"]}

    rasa = FakeRasa(bot)
    apps = []
    ports = free_ports(4)
    for port, action_port in (ports[:2], ports[2:]):
        settings = load_settings(
            {
                "HOTLINE_VAR_DIR": str(var),
                "HOTLINE_PORT": str(port),
                "HOTLINE_ACTION_PORT": str(action_port),
                "HOTLINE_RASA_URL": rasa.url,
                "HOTLINE_WECHAT_SIMULATOR": "1",
            }
        )  # both replicas: the local simulator's AppID
        env = {
            **procs.app_env(settings),
            "HOTLINE_REDIS_URL": REDIS_URL,
            "HOTLINE_SWEEP_INTERVAL": "0",
            "HOTLINE_WECHAT_SIMULATOR": "1",
        }
        log = var / f"app-{settings.app_port}.log"
        apps.append((procs.start(procs.app_command(), env, log), f"http://127.0.0.1:{settings.app_port}", log))
    try:
        for proc, base, log in apps:
            assert procs.wait_http(base + "/api/health", 120, proc), log.read_text()[-3000:]
        yield [base for _, base, _ in apps], settings.wechat, rasa, made
    finally:
        for proc, _, _ in apps:
            procs.stop(proc)
        rasa.close()


def test_four_concurrent_deliveries_to_two_processes_make_one_turn(replicas):
    bases, wx, rasa, made = replicas
    crypto = WeChatCrypto(wx.token, wx.aes_key, wx.appid)
    xml = _message("oStorm-1", "gh_12328", "text", Content="我要投诉豫A12345多收费")
    barrier = threading.Barrier(4)
    replies = []

    def deliver(base):
        query, body = protocol.wechat_request(xml, wx.token, crypto, wx.mode)  # each retry signed anew
        barrier.wait()
        resp = requests.post(base + "/wechat/mp", params=query, data=body, timeout=30)
        assert resp.status_code == 200
        replies.append(protocol.read_reply(resp.content, crypto, wx.token))

    threads = [threading.Thread(target=deliver, args=(base,)) for base in bases * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rasa.texts() == ["我要投诉豫A12345多收费"]
    assert len(made) == 1
    answered = [r for r in replies if r is not None]
    assert len(answered) == 1 and made[0] in answered[0]["Content"]
    assert replies.count(None) == 3
