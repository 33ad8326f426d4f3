"""Hot policies pushed to the drivers they concern (issue 19): an urgent policy for 河南省新乡市 reaches the fake
WeChat API once per eligible recipient and nobody else — mini-program users who accepted the hot-policy
subscribe message and are in the region, official-account followers in the region (customer-service message
inside the 48-hour window, template outside it); the preview counts what is sent; retries never send twice;
failures are retried and recorded. On SQLite and PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from channels.wechat import build_wechat
from channels.wechat.models import PushDelivery
from channels.wechat.protocol import Message
from channels.wechat.push import PushRefused, RegionInvalid, covers, hot_policies
from hotline.db import Database
from hotline.settings import load_settings
from knowledge_base.models import Article
from tests.wechat_fake import FakeWeChat
from work_orders.service import WorkOrders

APPID, SECRET, MP_APPID, MP_SECRET = "wx12328push000001", "oa-secret", "wx12328mini000002", "mp-secret"
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
XINXIANG = "河南省新乡市"


@pytest.fixture
def wechat():
    server = FakeWeChat({APPID: SECRET, MP_APPID: MP_SECRET})
    server.known_templates.update({"TPL-ORDER", "SUB-ORDER", "TPL-POLICY", "SUB-POLICY"})
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
            "HOTLINE_WECHAT_POLICY_TEMPLATE_ID": "TPL-POLICY",
            "HOTLINE_MINIPROGRAM_APPID": MP_APPID,
            "HOTLINE_MINIPROGRAM_SECRET": MP_SECRET,
            "HOTLINE_MINIPROGRAM_TEMPLATE_ID": "SUB-ORDER",
            "HOTLINE_MINIPROGRAM_POLICY_TEMPLATE_ID": "SUB-POLICY",
        }
        base.update(env)
        self.settings = load_settings(base)
        self.work_orders = WorkOrders(self.db)
        self.sleeps: list[float] = []
        self.channels = self.replica()
        self.pushes = self.channels.pushes

    def replica(self):
        channels = build_wechat(self.settings, self.db, None, self.work_orders)
        channels.api.backoff = channels.mp_api.backoff = (0.01,)
        channels.pushes.sleep = self.sleeps.append
        return channels

    def article(self, region=XINXIANG, urgent=True, status="published", **fields) -> int:
        with self.db.session() as s:
            article = Article(
                origin_key=f"local:{region}:{len(fields)}:{urgent}:{status}:{fields.get('title', '')}",
                title=fields.pop("title", "S227省道辉县段夜间禁止货车通行"),
                kind="policy",
                doc_title="S227省道临时交通管制",
                source="新乡市交通运输局",
                body="12月5日起S227省道辉县段夜间22时至次日6时禁止货车通行，请绕行G107。",
                content_hash="x",
                region=region,
                status=status,
                urgent=urgent,
                **fields,
            )
            s.add(article)
            s.flush()
            return article.id

    def mp_user(self, openid, region="", source="location", consent=("SUB-POLICY",)):
        if region:
            self.channels.mp_regions.set(openid, region, source, now=NOW)
        if consent:
            self.channels.subscriptions.record(openid, dict.fromkeys(consent, "accept"), now=NOW)

    def follower(self, openid, region="", last_message_at=NOW - timedelta(hours=1), subscribed=True):
        self.channels.official.users.update(
            f"wechat:{openid}", region=region, last_message_at=last_message_at, subscribed=subscribed
        )

    def deliveries(self):
        with self.db.session() as s:
            return sorted(
                (d.recipient, d.status, d.via) for d in s.scalars(select(PushDelivery).order_by(PushDelivery.id))
            )

    def remaining(self, openid, template="SUB-POLICY"):
        return {s["template_id"]: s["remaining"] for s in self.channels.subscriptions.list(openid)}.get(template, 0)


@pytest.fixture
def world(db_url, tmp_path, wechat):
    return World(db_url, tmp_path, wechat)


def populate(world):
    """Everybody who must receive the Xinxiang policy, and everybody who must not."""
    world.mp_user("mpLocated", XINXIANG)  # region from a shared location
    world.mp_user("mpChosen", "河南省新乡市卫辉市", source="chosen")  # a county of the city
    world.mp_user("mpBoth", XINXIANG, consent=("SUB-POLICY", "SUB-ORDER"))
    world.mp_user("mpZhengzhou", "河南省郑州市")  # another city
    world.mp_user("mpProvince", "河南省")  # only the province known: not known to be in Xinxiang
    world.mp_user("mpOrdersOnly", XINXIANG, consent=("SUB-ORDER",))  # never consented to hot policies
    world.mp_user("mpNoRegion", "")  # consented, region unknown
    world.mp_user("mpUsedUp", XINXIANG)
    assert world.channels.subscriptions.use("mpUsedUp", "SUB-POLICY")  # its one consent went to an earlier push
    world.channels.subscriptions.record("mpRefused", {"SUB-POLICY": "reject"}, now=NOW)
    world.channels.mp_regions.set("mpRefused", XINXIANG, "location", now=NOW)
    world.follower("oNear", XINXIANG)  # wrote an hour ago: customer-service message
    world.follower("oFar", "河南省新乡市辉县市", last_message_at=NOW - timedelta(hours=49))  # template
    world.follower("oEdge", XINXIANG, last_message_at=NOW - timedelta(hours=47, minutes=55))  # window closing
    world.follower("oGone", XINXIANG, subscribed=False)
    world.follower("oZhengzhou", "河南省郑州市")
    world.follower("oNowhere", "")


def test_an_urgent_policy_reaches_each_eligible_recipient_once_and_nobody_else(world, wechat):
    populate(world)
    article = world.article()
    preview = world.pushes.preview(article, now=NOW)
    assert (preview["miniprogram"], preview["custom"], preview["template"], preview["unreachable"]) == (3, 1, 2, 0)
    assert preview["total"] == 6 and preview["notes"] == [] and preview["campaign_id"] is None

    campaign = world.pushes.queue(article, "pub1", now=NOW)
    assert campaign["counts"]["recipients"] == 6 and campaign["counts"]["pending"] == 6
    assert world.pushes.run(now=NOW) == {"sent": 6}

    assert sorted(m["touser"] for m in wechat.subscribe) == ["mpBoth", "mpChosen", "mpLocated"]
    assert {m["template_id"] for m in wechat.subscribe} == {"SUB-POLICY"}
    assert wechat.subscribe[0]["page"].startswith("pages/policies/index?id=")
    assert [m["touser"] for m in wechat.custom] == ["oNear"]
    assert wechat.custom[0]["text"]["content"].startswith(
        "【热点政策】S227省道辉县段夜间禁止货车通行\n适用地区：河南省新乡市"
    )
    assert sorted(m["touser"] for m in wechat.templates) == ["oEdge", "oFar"]
    assert {m["template_id"] for m in wechat.templates} == {"TPL-POLICY"}
    sent = len(wechat.subscribe) + len(wechat.custom) + len(wechat.templates)
    assert sent == preview["total"]  # the preview counted exactly what was sent

    # consents: the hot-policy one is used up, the work-order one untouched
    assert world.remaining("mpLocated") == 0 and world.remaining("mpBoth", "SUB-ORDER") == 1

    report = world.pushes.report(campaign["id"])
    assert report["counts"] == {
        "recipients": 6,
        "pending": 0,
        "sent": 6,
        "skipped": 0,
        "failed": 0,
        "via_subscribe": 3,
        "via_custom": 1,
        "via_template": 2,
    }
    assert report["preview"]["total"] == 6 and report["failures"] == []

    calls = len(wechat.calls)
    assert world.pushes.run(now=NOW + timedelta(hours=1)) == {}  # a second run sends nothing more
    assert len(wechat.calls) == calls
    with pytest.raises(PushRefused):  # nor does a second confirmation of the same version
        world.pushes.queue(article, "pub1", now=NOW)
    assert world.pushes.preview(article, now=NOW)["campaign_id"] == campaign["id"]


def test_two_workers_at_once_send_each_delivery_once(world, wechat):
    for i in range(12):
        world.mp_user(f"mpUser{i:02d}", XINXIANG)
        world.follower(f"oUser{i:02d}", XINXIANG)
    world.pushes.queue(world.article(), "pub1", now=NOW)
    workers = [world.replica().pushes for _ in range(2)]
    threads = [threading.Thread(target=w.run, kwargs={"now": NOW}) for w in workers for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m["touser"] for m in wechat.subscribe) == [f"mpUser{i:02d}" for i in range(12)]
    assert sorted(m["touser"] for m in wechat.custom) == [f"oUser{i:02d}" for i in range(12)]
    assert {status for _, status, _ in world.deliveries()} == {"sent"}


def test_only_urgent_published_valid_articles_can_be_pushed(world):
    for article in (
        world.article(urgent=False, title="a"),
        world.article(status="draft", title="b"),
        world.article(expires_at=NOW - timedelta(hours=1), title="c"),
        world.article(effective_from=NOW + timedelta(days=1), title="d"),
    ):
        with pytest.raises(PushRefused):
            world.pushes.preview(article, now=NOW)
        with pytest.raises(PushRefused):
            world.pushes.queue(article, "pub1", now=NOW)


def test_transient_failures_are_retried_with_backoff_and_recorded(world, wechat):
    world.follower("oNear", XINXIANG)
    world.mp_user("mpLocated", XINXIANG)
    campaign = world.pushes.queue(world.article(), "pub1", now=NOW)
    wechat.http_errors = 4  # both tries of both recipients: WeChat answers 502
    assert world.pushes.run(now=NOW) == {"retry": 2}
    assert wechat.custom == [] and wechat.subscribe == []
    assert world.remaining("mpLocated") == 1  # WeChat did not send it: the consent is given back
    report = world.pushes.report(campaign["id"])
    assert report["counts"]["pending"] == 2
    assert [(f["status"], f["attempts"]) for f in report["failures"]] == [("retry", 1), ("retry", 1)]
    assert all("502" in f["error"] for f in report["failures"])
    assert world.pushes.run(now=NOW + timedelta(minutes=1)) == {}  # not due yet (2 minutes)
    assert world.pushes.run(now=NOW + timedelta(minutes=3)) == {"sent": 2}
    assert [m["touser"] for m in wechat.custom] == ["oNear"] and [m["touser"] for m in wechat.subscribe] == [
        "mpLocated"
    ]
    assert world.pushes.report(campaign["id"])["failures"] == []
    assert world.pushes.run(now=NOW + timedelta(hours=2)) == {}


def test_permanent_failures_and_unreachable_users_are_recorded(db_url, tmp_path, wechat):
    world = World(db_url, tmp_path, wechat, HOTLINE_WECHAT_POLICY_TEMPLATE_ID="TPL-UNKNOWN")
    world.follower("oFar", XINXIANG, last_message_at=NOW - timedelta(hours=60))
    world.mp_user("mpLocated", XINXIANG)
    article = world.article()
    campaign = world.pushes.queue(article, "pub1", now=NOW)
    wechat.refused.add("mpLocated")  # the user withdrew consent in WeChat's settings (43101)
    assert world.pushes.run(now=NOW) == {"failed": 1, "skipped": 1}
    failures = {f["channel"]: f for f in world.pushes.report(campaign["id"])["failures"]}
    assert failures["official"]["status"] == "failed" and "40037" in failures["official"]["error"]
    assert failures["miniprogram"]["status"] == "skipped" and "43101" in failures["miniprogram"]["error"]
    assert "oFar" not in failures["official"]["recipient"]  # openids masked in the report
    assert world.pushes.run(now=NOW + timedelta(hours=2)) == {}  # not retried: WeChat said no


def test_without_a_policy_template_followers_outside_the_window_are_counted_unreachable(db_url, tmp_path, wechat):
    world = World(db_url, tmp_path, wechat, HOTLINE_WECHAT_POLICY_TEMPLATE_ID="")
    world.follower("oNear", XINXIANG)
    world.follower("oFar", XINXIANG, last_message_at=NOW - timedelta(hours=60))
    article = world.article()
    preview = world.pushes.preview(article, now=NOW)
    assert (preview["total"], preview["custom"], preview["unreachable"]) == (1, 1, 1)
    assert any("HOTLINE_WECHAT_POLICY_TEMPLATE_ID" in note for note in preview["notes"])
    campaign = world.pushes.queue(article, "pub1", now=NOW)
    assert world.pushes.run(now=NOW) == {"sent": 1}
    assert [m["touser"] for m in wechat.custom] == ["oNear"] and wechat.templates == []
    assert world.pushes.report(campaign["id"])["counts"]["skipped"] == 1


def test_quota_reached_stops_the_pass_and_sends_are_paced(db_url, tmp_path, wechat):
    world = World(db_url, tmp_path, wechat, HOTLINE_WECHAT_PUSH_PER_MINUTE="120")
    for i in range(4):
        world.follower(f"oUser{i}", XINXIANG)
    world.pushes.queue(world.article(), "pub1", now=NOW)
    wechat.rate_limit = 2  # 45009 on the first call and its retry
    assert world.pushes.run(now=NOW) == {"quota": 1}  # the pass stops: the rest waits
    assert wechat.custom == []
    assert world.pushes.run(now=NOW + timedelta(seconds=30)) == {"sent": 3}
    assert world.sleeps == [0.5, 0.5]  # 120 a minute: one every half second
    assert world.pushes.run(now=NOW + timedelta(minutes=3)) == {"sent": 1}
    assert sorted(m["touser"] for m in wechat.custom) == [f"oUser{i}" for i in range(4)]


def test_a_pass_sends_at_most_a_minute_of_messages(db_url, tmp_path, wechat):
    world = World(db_url, tmp_path, wechat, HOTLINE_WECHAT_PUSH_PER_MINUTE="2")
    for i in range(5):
        world.follower(f"oUser{i}", XINXIANG)
    world.pushes.queue(world.article(), "pub1", now=NOW)
    assert world.pushes.run(now=NOW) == {"sent": 2}
    assert world.pushes.run(now=NOW + timedelta(minutes=1)) == {"sent": 2}
    assert world.pushes.run(now=NOW + timedelta(minutes=2)) == {"sent": 1}
    assert len(wechat.custom) == 5


def test_a_policy_retired_before_delivery_is_not_sent(world, wechat):
    world.follower("oNear", XINXIANG)
    article = world.article()
    campaign = world.pushes.queue(article, "pub1", now=NOW)
    with world.db.session() as s:
        s.get(Article, article).status = "retired"
    assert world.pushes.run(now=NOW) == {"skipped": 1}
    assert wechat.custom == []
    assert "下线" in world.pushes.report(campaign["id"])["failures"][0]["error"]


def test_a_nationwide_policy_reaches_every_consenting_user(world, wechat):
    populate(world)
    preview = world.pushes.preview(world.article(region="全国"), now=NOW)
    # every consent left (not mpOrdersOnly, mpUsedUp, mpRefused) and every follower still following
    assert (preview["miniprogram"], preview["custom"] + preview["template"]) == (6, 5)


def test_regions_covered():
    assert covers(XINXIANG, "河南省新乡市卫辉市") and covers(XINXIANG, XINXIANG) and covers("全国", "")
    assert not covers(XINXIANG, "河南省") and not covers(XINXIANG, "河南省郑州市") and not covers(XINXIANG, "")
    assert covers("河南省", XINXIANG)


def test_a_chosen_region_must_be_a_known_place(world):
    with pytest.raises(RegionInvalid):
        world.channels.mp_regions.set("mpX", "火星省", "chosen")
    assert world.channels.mp_regions.set("mpX", "河南省新乡市", "chosen")["source"] == "chosen"
    assert world.channels.mp_regions.set("mpX", "河南省郑州市", "location")["region"] == "河南省郑州市"


def test_the_official_account_answers_the_hot_policy_button_with_the_regions_policies(world):
    world.article(title="新乡S227管制")
    world.article(region="河南省郑州市", title="郑州限行")
    world.article(region="全国", title="全国ETC通知")
    world.article(urgent=False, title="新乡普通文章")
    world.follower("oNear", XINXIANG)
    titles = [p["title"] for p in hot_policies(world.db, XINXIANG)]
    assert sorted(titles) == ["全国ETC通知", "新乡S227管制"]
    answer = world.channels.official._hot_policies("wechat:oNear")
    assert answer.startswith("河南省新乡市的热点政策（2条）") and "郑州限行" not in answer
    world.follower("oNowhere")
    assert "发送您的位置" in world.channels.official._hot_policies("wechat:oNowhere")
    # the menu button (click HOT_POLICIES) and the words typed give the same answer, without the bot
    click = Message("event", "oNear", "gh_12328", 1764468000, event="click", key="HOT_POLICIES")
    typed = Message("text", "oNear", "gh_12328", 1764468001, id=9001, content="热点政策。")
    official = world.channels.official
    assert official.handle(click, deadline=1e12) == answer == official.handle(typed, deadline=1e12)
