"""Work-order notices to callers on WeChat (customer-service message inside the 48-hour window, template
message outside it, subscribe messages in the mini-program) and operators' handoff messages, against the
fake WeChat API, on SQLite and PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from channels.wechat import build_wechat
from channels.wechat.models import WeChatDelivery
from handoff import Handoffs
from hotline.db import Database
from hotline.settings import load_settings
from tests.wechat_fake import FakeWeChat
from work_orders.models import Notice
from work_orders.service import WorkOrders

APPID, SECRET, MP_APPID, MP_SECRET = "wx12328notify0001", "oa-secret", "wx12328mini000001", "mp-secret"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in China: operators on duty


@pytest.fixture
def wechat():
    server = FakeWeChat({APPID: SECRET, MP_APPID: MP_SECRET})
    server.known_templates.update({"TPL-ORDER", "SUB-ORDER"})
    yield server
    server.close()


class World:
    def __init__(self, db_url, tmp_path, wechat, **env):
        self.db = Database(db_url)
        self.db.migrate()
        self.wechat = wechat
        base = {
            "HOTLINE_VAR_DIR": str(tmp_path),
            "HOTLINE_DATABASE_URL": db_url,
            "HOTLINE_WECHAT_API_BASE": wechat.url,
            "HOTLINE_WECHAT_APPID": APPID,
            "HOTLINE_WECHAT_SECRET": SECRET,
            "HOTLINE_WECHAT_TEMPLATE_ID": "TPL-ORDER",
            "HOTLINE_MINIPROGRAM_APPID": MP_APPID,
            "HOTLINE_MINIPROGRAM_SECRET": MP_SECRET,
            "HOTLINE_MINIPROGRAM_TEMPLATE_ID": "SUB-ORDER",
        }
        base.update(env)
        self.settings = load_settings(base)
        self.work_orders = WorkOrders(self.db)
        self.handoffs = Handoffs(self.db, self.work_orders.calendar)
        self.handoffs.clock = lambda: NOW
        self.channels = self.replica()
        self.notifier = self.channels.notifier

    def replica(self):
        channels = build_wechat(self.settings, self.db, None, self.work_orders, self.handoffs)
        channels.api.backoff = channels.mp_api.backoff = (0.01,)
        return channels

    def order(self, caller_user: str, facts: str = "出租车拒载") -> str:
        order, _ = self.work_orders.create(
            {
                "order_type": "complaint",
                "channel": caller_user.split(":")[0],
                "facts": facts,
                "caller_user": caller_user,
            },
            now=NOW,
        )
        return order["number"]

    def follower(self, openid: str, last_message_at=NOW - timedelta(hours=1), subscribed=True):
        self.channels.official.users.update(f"wechat:{openid}", last_message_at=last_message_at, subscribed=subscribed)

    def delivery(self):
        with self.db.session() as s:
            return [(d.status, d.via) for d in s.scalars(select(WeChatDelivery).order_by(WeChatDelivery.notice_id))]

    def unsent(self):
        with self.db.session() as s:
            return s.scalars(
                select(Notice.kind).where(Notice.sent_at.is_(None), Notice.recipient.like("caller:%"))
            ).all()


@pytest.fixture
def world(db_url, tmp_path, wechat):
    return World(db_url, tmp_path, wechat)


def test_inside_the_window_a_customer_service_message(world, wechat):
    world.follower("oInside")
    number = world.order("wechat:oInside")
    assert world.notifier.run(now=NOW) == {"sent": 1, "handoff": 0}
    assert wechat.texts_to("oInside") == [f"您的投诉举报已登记，工单编号{number}。"]
    assert world.delivery() == [("sent", "custom")] and world.unsent() == []
    assert world.notifier.run(now=NOW) == {"handoff": 0}  # never twice


def test_outside_the_window_a_template_message(world, wechat):
    world.follower("oAway", last_message_at=NOW - timedelta(hours=49))
    number = world.order("wechat:oAway")
    world.notifier.run(now=NOW)
    assert wechat.custom == []
    sent = wechat.templates[0]
    assert (sent["touser"], sent["template_id"]) == ("oAway", "TPL-ORDER")
    assert sent["data"]["keyword1"]["value"] == number and sent["data"]["keyword2"]["value"] == "已受理"
    assert world.delivery() == [("sent", "template")]


def test_wechat_says_the_window_closed_45015_then_the_template(world, wechat):
    world.follower("oStale")
    wechat.window_closed.add("oStale")
    world.order("wechat:oStale")
    world.notifier.run(now=NOW)
    assert wechat.custom == [] and len(wechat.templates) == 1
    assert world.delivery() == [("sent", "template")]


def test_outside_the_window_without_a_template_it_is_recorded_undeliverable(db_url, tmp_path, wechat):
    world = World(db_url, tmp_path, wechat, HOTLINE_WECHAT_TEMPLATE_ID="")
    world.follower("oAway", last_message_at=NOW - timedelta(days=3))
    world.order("wechat:oAway")
    assert world.notifier.run(now=NOW)["undeliverable"] == 1
    assert world.delivery() == [("undeliverable", "")] and world.unsent() == ["received"]
    assert "undeliverable" not in world.notifier.run(now=NOW + timedelta(hours=1))


def test_unfollowed_users_are_not_messaged(world, wechat):
    world.follower("oGone", subscribed=False)
    world.order("wechat:oGone")
    world.notifier.run(now=NOW)
    assert wechat.custom == wechat.templates == [] and world.delivery() == [("undeliverable", "")]


def test_rate_limit_45009_is_retried_later(world, wechat):
    world.follower("oBusy")
    world.order("wechat:oBusy")
    wechat.rate_limit = 100
    assert world.notifier.run(now=NOW)["retry"] == 1
    wechat.rate_limit = 0
    assert "sent" not in world.notifier.run(now=NOW + timedelta(seconds=30))  # not yet due
    assert world.notifier.run(now=NOW + timedelta(minutes=3))["sent"] == 1
    assert len(wechat.texts_to("oBusy")) == 1 and world.delivery() == [("sent", "custom")]


def test_two_workers_deliver_each_notice_once(world, wechat):
    numbers = []
    for i in range(8):
        world.follower(f"oMany{i}")
        numbers.append(world.order(f"wechat:oMany{i}", facts=f"第{i}件事"))
    workers = [world.notifier, world.replica().notifier]
    threads = [threading.Thread(target=w.run, kwargs={"now": NOW}) for w in workers for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m["touser"] for m in wechat.custom) == sorted(f"oMany{i}" for i in range(8))
    assert world.unsent() == []


def test_state_changes_reach_the_caller(world, wechat):
    """Dispatched, replied: each change the caller is told about arrives on WeChat, in order."""
    from work_orders.service import System

    world.follower("oFlow")
    number = world.order("wechat:oFlow")
    unit = world.work_orders.add_unit(
        "新乡市交通运输局", region="河南省新乡市", domains=["城市客运"], is_authority=True
    )
    for action, params in (
        ("classify", {"domain": "城市客运"}),
        ("dispatch", {"unit_id": unit["id"]}),
        ("accept", {}),
        ("reply", {"reply": "已责令出租车公司退还多收车费。"}),
    ):
        world.work_orders.act(number, action, System(), params, now=NOW)
    assert world.notifier.run(now=NOW)["sent"] == 3
    received, dispatched, replied = wechat.texts_to("oFlow")
    assert "已登记" in received and "已转新乡市交通运输局办理" in dispatched
    assert replied == f"您的工单{number}已办结：已责令出租车公司退还多收车费。"


def test_miniprogram_users_get_one_subscribe_message_per_consent(world, wechat):
    world.channels.subscriptions.record("oMini", {"SUB-ORDER": "accept"})
    number = world.order("miniprogram:oMini")
    assert world.notifier.run(now=NOW)["sent"] == 1
    sent = wechat.subscribe[0]
    assert sent["touser"] == "oMini" and sent["data"]["character_string1"]["value"] == number
    assert sent["page"] == f"pages/orders/detail?number={number}"
    assert world.channels.subscriptions.list("oMini") == [{"template_id": "SUB-ORDER", "remaining": 0}]
    world.order("miniprogram:oMini", facts="又一件事")
    assert world.notifier.run(now=NOW)["undeliverable"] == 1  # consent used up


def test_nothing_is_touched_while_wechat_is_not_configured(db_url, tmp_path, wechat):
    world = World(db_url, tmp_path, wechat, HOTLINE_WECHAT_SECRET="", HOTLINE_MINIPROGRAM_SECRET="")
    world.follower("oLater")
    world.order("wechat:oLater")
    assert world.notifier.run(now=NOW) == {}
    assert world.delivery() == [] and world.unsent() == ["received"]


def test_operator_messages_of_a_handoff_reach_the_wechat_user(world, wechat):
    world.follower("oHuman")
    handoff = world.handoffs.request("wechat:oHuman", "user_request", [])
    world.handoffs.take(handoff["handoff_id"], "op1")
    world.handoffs.operator_message(handoff["handoff_id"], "op1", "您好，我是人工客服小王。")
    counts = world.notifier.run(now=NOW)
    assert counts["handoff"] >= 1
    assert "您好，我是人工客服小王。" in wechat.texts_to("oHuman")
    assert world.notifier.run(now=NOW)["handoff"] == 0
