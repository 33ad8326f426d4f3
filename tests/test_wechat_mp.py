"""The official account endpoint /wechat/mp through the Flask test client, with a scripted fake Rasa and a
fake of WeChat's HTTP API: modes, signatures, bad input, exactly-once processing, the reply budget,
customer-service fallbacks, buttons, voice, location, photos and events — on SQLite and PostgreSQL."""

import itertools
import logging
import threading
import time
from datetime import datetime

import pytest
from wechatpy.crypto import WeChatCrypto

from channels.conversation import BUSY_REPLY
from channels.wechat import protocol
from channels.wechat.official import BUSY_RETRYING, LONG_NOTE, UNSUPPORTED, VOICE_UNHEARD
from devtools.wechat_sim import _message
from hotline.clock import CHINA
from tests.conftest import make_settings
from tests.fakes import FakeRasa
from tests.test_wechat_protocol import BILLION_LAUGHS, XXE
from tests.wechat_fake import FakeWeChat
from webapp import create_app

APPID, SECRET, OPENID = "wx12328testapp001", "test-secret", "oUser-Test_1"
REDIS_URL = "redis://127.0.0.1:6379/15"
_times = itertools.count(int(time.time()) - 100)


class Bot:
    """What the fake Rasa says: enough of the real bot's behaviour for the channel."""

    def __init__(self):
        self.services = None
        self.orders = 0

    def __call__(self, sender, text, meta):
        if text == "评价":
            return [
                {
                    "text": "请评价本次服务：",
                    "buttons": [
                        {"title": "满意", "payload": '/rate{"rating":"satisfied"}'},
                        {"title": "不满意", "payload": '/rate{"rating":"dissatisfied"}'},
                    ],
                }
            ], None
        if text == "我要投诉":
            return [
                {
                    "text": "在什么地方？可以直接发送位置，或回复地点。",
                    "buttons": [{"title": "不清楚", "payload": "不清楚"}],
                }
            ], None
        if text in ("出租车拒载", "又拒载了"):  # the form asks when (the real AskIntake's meta: the question pending)
            field, prompt = (
                ("occurred_at", "事情大概发生在什么时候？") if text == "出租车拒载" else ("location", "是在郑州站吗？")
            )
            return [
                {"text": prompt, "buttons": [{"title": "不清楚", "payload": "不清楚"}]},
                {"custom": {"hotline_meta": {"asking": {"field": field, "prompt": prompt}}}},
            ], None
        if text == "确认":
            order, _ = self.services.work_orders.create(
                {
                    "order_type": "complaint",
                    "channel": "wechat",
                    "facts": "出租车拒载",
                    "caller_user": sender,
                    "location": meta.get("location_label", ""),
                },
                actor="chat",
                idempotency_key=f"{sender}:form-1",
            )
            self.orders += 1
            return [{"text": f"已为您登记工单，编号 {order['number']}。"}], {"number": order["number"]}
        if text == "长":
            return [
                {"text": "\n".join(["根据《管理办法》第二十三条，承办单位应当在规定期限内办结并答复来电人。" * 6] * 8)}
            ], None
        return [{"text": f"答复：{text}"}], None


@pytest.fixture
def bot():
    return Bot()


@pytest.fixture
def rasa(bot):
    server = FakeRasa(bot)
    yield server
    server.close()


@pytest.fixture
def wechat():
    server = FakeWeChat({APPID: SECRET})
    yield server
    server.close()


class Harness:
    def __init__(self, app, mode):
        self.app = app
        self.client = app.test_client()
        self.services = app.extensions["hotline"]
        self.official = self.services.wechat.official
        wx = self.services.settings.wechat
        self.token, self.mode = wx.token, mode
        self.crypto = WeChatCrypto(wx.token, wx.aes_key, wx.appid)

    def post(self, xml, query=None, body=None):
        q, b = protocol.wechat_request(xml, self.token, self.crypto, self.mode)
        return self.client.post("/wechat/mp", query_string=query or q, data=body if body is not None else b)

    def reply(self, resp):
        assert resp.status_code == 200, resp.data
        out = protocol.read_reply(resp.data, self.crypto, self.token)
        return None if out is None else out["Content"]

    def send(self, msg_type, openid=OPENID, **fields):
        return self.reply(self.post(_message(openid, "gh_12328", msg_type, **fields)))

    def say(self, content, openid=OPENID):
        return self.send("text", openid, Content=content)

    def event(self, event, openid=OPENID, **fields):
        return self.send("event", openid, Event=event, CreateTime=next(_times), **fields)

    def user(self, openid=OPENID):
        return self.services.wechat.official.users.get(f"wechat:{openid}")


def build(tmp_path, rasa, wechat=None, db_url=None, mode="safe", **env):
    base = {
        "HOTLINE_RASA_URL": rasa.url,
        "HOTLINE_RASA_TIMEOUT": "3",
        "HOTLINE_WECHAT_MODE": mode,
        "HOTLINE_WECHAT_APPID": APPID,
    }
    if wechat is not None:
        base.update(HOTLINE_WECHAT_API_BASE=wechat.url, HOTLINE_WECHAT_SECRET=SECRET)
    if db_url:
        base["HOTLINE_DATABASE_URL"] = db_url
    base.update(env)
    app = create_app(make_settings(tmp_path, **base))
    app.testing = True
    official = app.extensions["hotline"].wechat.official
    official.retry_delays = (0.2, 0.2)
    official.api.backoff = (0.01, 0.01, 0.01)
    return Harness(app, mode)


@pytest.fixture
def wx(tmp_path, rasa, wechat, bot, db_url):
    harness = build(tmp_path, rasa, wechat, db_url)
    bot.services = harness.services
    yield harness
    harness.official.drain()


# --- URL verification and what is refused -------------------------------------------------------------
def test_url_verification(wx):
    query = {**protocol.signed_query(wx.token), "echostr": "6543210987"}
    resp = wx.client.get("/wechat/mp", query_string=query)
    assert (resp.status_code, resp.data, resp.mimetype) == (200, b"6543210987", "text/plain")
    assert wx.client.get("/wechat/mp", query_string={**query, "signature": "0" * 40}).status_code == 403
    stale = {**protocol.signed_query(wx.token, timestamp=int(time.time()) - 3600), "echostr": "1"}
    assert wx.client.get("/wechat/mp", query_string=stale).status_code == 403


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_a_text_message_is_answered_passively_in_every_mode(tmp_path, rasa, wechat, bot, mode):
    harness = build(tmp_path, rasa, wechat, mode=mode)
    bot.services = harness.services
    resp = harness.post(_message(OPENID, "gh_12328", "text", Content="投诉以后多久能有结果？"))
    assert (b"<Encrypt>" in resp.data) == (mode != "plain")
    assert harness.reply(resp) == "答复：投诉以后多久能有结果？"
    assert rasa.received == [
        {"sender": f"wechat:{OPENID}", "message": "投诉以后多久能有结果？", "metadata": {"channel": "wechat"}}
    ]


def test_forged_replayed_or_downgraded_requests_are_refused_before_parsing(wx, rasa):
    xml = _message(OPENID, "gh_12328", "text", Content="hi")
    query, body = protocol.wechat_request(xml, wx.token, wx.crypto, "safe")
    assert wx.post(xml, {**query, "signature": "f" * 40}, body).status_code == 403
    assert wx.post(xml, {**query, "msg_signature": "f" * 40}, body).status_code == 403
    old_query, old_body = protocol.wechat_request(xml, wx.token, wx.crypto, "safe", timestamp=int(time.time()) - 301)
    assert wx.post(xml, old_query, old_body).status_code == 403
    plain_query, plain_body = protocol.wechat_request(xml, wx.token, None, "plain")
    assert wx.post(xml, plain_query, plain_body).status_code == 403  # safe mode takes only ciphertext
    forged = WeChatCrypto(wx.token, "B" * 43, APPID)  # right token, wrong key: decrypts to garbage
    bad_query, bad_body = protocol.wechat_request(xml, wx.token, forged, "safe")
    assert wx.post(xml, bad_query, bad_body).status_code == 400
    assert rasa.received == []


# well-formed XML that is no message (no sender to answer) gets "success": see test_wechat_malformed.py
@pytest.mark.parametrize(
    "body, status",
    [
        (BILLION_LAUGHS, 400),
        (XXE, 400),
        (b"<xml><a></xml>", 400),
        (b"<xml><MsgType>text</MsgType></xml>", 200),
        (b"", 400),
        (b"<xml>" + b"x" * 70000 + b"</xml>", 413),
    ],
)
def test_hostile_and_malformed_bodies_get_a_clean_refusal(tmp_path, rasa, body, status):
    harness = build(tmp_path, rasa, mode="plain")
    resp = harness.client.post("/wechat/mp", query_string=protocol.signed_query(harness.token), data=body)
    assert resp.status_code == status
    assert resp.mimetype == "text/plain" and b"<html" not in resp.data.lower()
    assert rasa.received == []


def test_unknown_and_unsupported_types_get_a_polite_reply(wx, rasa):
    assert wx.send("video", MediaId="v1", ThumbMediaId="t1") == UNSUPPORTED
    assert wx.send("hologram", Payload="x") == UNSUPPORTED
    assert wx.event("SOME_NEW_EVENT") is None  # events need no answer
    assert rasa.received == []


# --- exactly once -------------------------------------------------------------------------------------
def test_wechat_retries_of_a_message_are_processed_once(wx, rasa):
    xml = _message(OPENID, "gh_12328", "text", Content="我要问个事")
    answers = [wx.reply(wx.post(xml)) for _ in range(4)]  # WeChat's retries: new signature, same MsgId
    assert answers == ["答复：我要问个事", None, None, None]
    assert rasa.texts() == ["我要问个事"]


@pytest.mark.parametrize("shared", ["redis", "database"])
def test_retry_storm_across_two_app_replicas(tmp_path, rasa, wechat, bot, shared):
    """The same message delivered 4 times at once to two app instances (shared DB, and Redis or not):
    one conversation turn, one work order, one reply."""
    env = {"HOTLINE_REDIS_URL": REDIS_URL} if shared == "redis" else {}
    replica_a = build(tmp_path, rasa, wechat, **env)
    replica_b = build(tmp_path, rasa, wechat, **env)
    bot.services = replica_a.services
    xml = _message(OPENID, "gh_12328", "text", Content="确认")
    results = []
    barrier = threading.Barrier(4)

    def deliver(replica):
        query, body = protocol.wechat_request(xml, replica.token, replica.crypto, "safe")
        client = replica.app.test_client()
        barrier.wait()
        results.append(replica.reply(client.post("/wechat/mp", query_string=query, data=body)))

    threads = [threading.Thread(target=deliver, args=(r,)) for r in (replica_a, replica_b, replica_a, replica_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rasa.texts() == ["确认"]
    assert bot.orders == 1 and len(replica_a.services.work_orders.for_caller(f"wechat:{OPENID}")) == 1
    answered = [r for r in results if r]
    assert len(answered) == 1 and answered[0].startswith("已为您登记工单")
    assert results.count(None) == 3
    replica_a.official.drain()
    replica_b.official.drain()
    assert wechat.custom == []  # and no second reply by customer-service message


# --- replies ------------------------------------------------------------------------------------------
def test_buttons_become_numbered_choices_and_a_number_picks_one(wx, rasa):
    assert wx.say("评价") == "请评价本次服务：\n回复1：满意\n回复2：不满意"
    wx.say("２")
    assert rasa.texts()[-1] == '/rate{"rating":"dissatisfied"}'
    assert wx.say("7") == "答复：7"  # not one of the choices: just text


def test_slow_answers_come_as_customer_service_messages(tmp_path, rasa, wechat, bot):
    harness = build(tmp_path, rasa, wechat, HOTLINE_WECHAT_REPLY_BUDGET="0.3")
    bot.services = harness.services
    rasa.delay = 1.0
    started = time.monotonic()
    assert harness.say("慢慢想") is None  # "success" within the budget, so WeChat does not retry
    assert time.monotonic() - started < 0.9
    harness.official.drain()
    assert wechat.texts_to(OPENID) == ["答复：慢慢想"]


def test_long_answers_are_split_into_ordered_customer_service_messages(wx, wechat):
    assert wx.say("长") is None
    wx.official.drain()
    parts = wechat.texts_to(OPENID)
    assert len(parts) > 1 and all(len(p.encode()) <= 2048 for p in parts)
    expected = Bot()("s", "长", {})[0][0]["text"]
    assert "".join(parts).replace("\n", "") == expected.replace("\n", "")


def test_long_answers_without_the_api_are_cut_with_a_note(tmp_path, rasa, bot):
    harness = build(tmp_path, rasa)  # no AppSecret: passive replies only
    bot.services = harness.services
    reply = harness.say("长")
    assert reply.endswith(LONG_NOTE.strip()) and len(reply.encode()) <= 2048


def test_bot_outage_gets_a_polite_reply_and_the_message_is_answered_when_it_is_back(wx, rasa, wechat):
    rasa.fail = True
    assert wx.say("还在吗") == BUSY_RETRYING
    rasa.fail = False
    wx.official.drain()
    assert rasa.texts() == ["还在吗"]
    assert wechat.texts_to(OPENID) == ["答复：还在吗"]


def test_a_lasting_outage_ends_with_a_request_to_resend(wx, rasa, wechat):
    rasa.fail = True
    assert wx.say("在吗在吗") == BUSY_RETRYING
    wx.official.drain()
    assert len(wechat.texts_to(OPENID)) == 1 and "在吗在吗" in wechat.texts_to(OPENID)[0]
    assert "重新发送" in wechat.texts_to(OPENID)[0]


def test_drain_waits_for_a_retry_scheduled_but_not_yet_started(wx):
    # a failing retry schedules the next one from a pool thread: tracked, then started. A drain looking in
    # between must not take the unstarted timer for a finished one (CI once saw the last retry dropped)
    fired = []
    timer = threading.Timer(0.05, lambda: fired.append(1))
    wx.official._track(timer)
    with pytest.raises(TimeoutError):
        wx.official.drain(timeout=0.2)
    timer.start()
    wx.official.drain(timeout=2)
    assert fired == [1]


def test_no_retry_without_the_api_or_after_a_timeout(tmp_path, rasa, wechat, bot):
    alone = build(tmp_path / "a", rasa)  # no AppSecret: a later answer could not reach the user
    rasa.fail = True
    assert alone.say("在吗") == BUSY_REPLY
    alone.official.drain()
    slow = build(tmp_path / "b", rasa, wechat, HOTLINE_RASA_TIMEOUT="0.3")
    rasa.fail, rasa.delay = False, 0.8
    assert slow.say("慢吗") == BUSY_REPLY  # Rasa may still act on it: not sent a second time
    slow.official.drain()
    time.sleep(1.0)
    assert rasa.texts() == ["慢吗"] and wechat.custom == []


def test_undeliverable_messages_are_logged_with_phone_numbers_masked(wx, rasa, wechat, caplog):
    wechat.window_closed.add(OPENID)
    with caplog.at_level(logging.WARNING):
        wx.official.send_texts(f"wechat:{OPENID}", ["请拨打13812345678联系"])
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text


# --- voice, location, photos, events ------------------------------------------------------------------
def test_voice_uses_wechat_recognition_or_asks_to_type(wx, rasa):
    assert (
        wx.send("voice", MediaId="m1", Format="amr", Recognition="投诉以后多久能有结果。")
        == "（语音：投诉以后多久能有结果）\n答复：投诉以后多久能有结果"
    )
    assert wx.send("voice", MediaId="m2", Format="amr", Recognition="") == VOICE_UNHEARD
    assert rasa.texts() == ["投诉以后多久能有结果"]


def test_location_becomes_metadata_and_answers_the_form(wx, rasa):
    reply = wx.send("location", Location_X="35.27", Location_Y="113.92", Scale="15", Label="河南省新乡市红旗区新乡东站")
    assert "河南省新乡市" in reply and rasa.received == []  # nobody asked: acknowledged, remembered
    wx.say("高速免费吗")
    assert rasa.received[-1]["metadata"] == {
        "channel": "wechat",
        "location_label": "河南省新乡市红旗区新乡东站",
        "region": "河南省新乡市",
        "location": {"latitude": 35.27, "longitude": 113.92},
    }
    wx.say("我要投诉")  # the bot asks "where?" ...
    wx.send("location", Location_X="34.75", Location_Y="113.62", Scale="15", Label="河南省郑州市二七区郑州站")
    assert rasa.received[-1]["message"] == "河南省郑州市二七区郑州站"  # ... and the place is the answer
    assert rasa.received[-1]["metadata"]["region"] == "河南省郑州市"


def test_a_location_shared_while_another_form_question_waits_asks_that_question_again(wx, rasa):
    """A driver sent the location while "什么时候？" waited: the acknowledgement alone, no question; the next answer
    ("是", meant for a place) was then taken for the time ("这好像不是时间")."""
    wx.say("出租车拒载")
    reply = wx.send("location", Location_X="34.77", Location_Y="111.19", Scale="15", Label="连霍高速三门峡服务区")
    assert reply.startswith("已收到您的位置：连霍高速三门峡服务区。") and "问到发生地点时会问您" in reply
    assert reply.endswith("事情大概发生在什么时候？\n回复1：不清楚") and rasa.texts()[-1] == "出租车拒载"
    assert wx.say("1") == "答复：不清楚"  # the repeated list's number still means its item
    wx.say("高速免费吗")  # no question pending: the acknowledgement alone
    assert "什么时候" not in wx.send("location", Location_X="34.7", Location_Y="111.1", Scale="15", Label="三门峡站")
    wx.say("又拒载了")  # "是在郑州站吗？" offers a place: a location shared now answers it
    wx.send("location", Location_X="34.75", Location_Y="113.62", Scale="15", Label="河南省郑州市二七区郑州站")
    assert rasa.texts()[-1] == "河南省郑州市二七区郑州站"


def test_photos_wait_for_the_complaint_then_join_the_order(wx, rasa):
    assert "将作为您接下来登记" in wx.send("image", MediaId="MEDIA-1", PicUrl="http://mmbiz/1")
    wx.send("image", MediaId="MEDIA-2", PicUrl="http://mmbiz/2")
    reply = wx.say("确认")
    assert "已将您发送的2张照片作为证据附在工单中" in reply
    number = wx.services.work_orders.for_caller(f"wechat:{OPENID}")[0]["number"]
    assert "补充到您的工单" in wx.send("image", MediaId="MEDIA-3", PicUrl="http://mmbiz/3")
    from sqlalchemy import select

    from work_orders.models import Attachment, WorkOrder

    with wx.services.db.session() as s:
        refs = s.scalars(
            select(Attachment.ref)
            .join(WorkOrder, WorkOrder.id == Attachment.order_id)
            .where(WorkOrder.number == number)
            .order_by(Attachment.id)
        ).all()
    assert refs == ["wechat-media:MEDIA-1", "wechat-media:MEDIA-2", "wechat-media:MEDIA-3"]
    assert wx.user().pending_media == []


def test_events_subscribe_menu_click_view_location_unsubscribe(wx, rasa):
    welcome = wx.event("subscribe")
    assert "欢迎关注12328" in welcome and "回复2：意见建议" in welcome
    wx.say("2")
    assert rasa.texts() == ["我有个建议"]
    wx.event("CLICK", EventKey="COMPLAIN")
    assert rasa.texts()[-1] == "我要投诉"
    assert "回复1：投诉举报" in wx.event("CLICK", EventKey="NO_SUCH_KEY")
    assert wx.event("VIEW", EventKey="https://example.gov.cn") is None
    assert wx.event("LOCATION", Latitude="23.13", Longitude="113.26", Precision="30") is None
    assert (wx.user().latitude, wx.user().longitude) == (23.13, 113.26)
    assert wx.event("unsubscribe") is None
    assert wx.user().subscribed is False
    assert "菜单" in UNSUPPORTED and "回复1：投诉举报" in wx.say("菜单")


def test_messages_during_a_handoff_go_to_the_operator(wx, rasa):
    handoffs = wx.services.handoffs
    handoffs.clock = lambda: datetime(2026, 11, 23, 10, 0, tzinfo=CHINA)  # a Monday morning
    handoffs.request(f"wechat:{OPENID}", "user_request", [])
    assert "人工客服" in wx.say("我的车被扣了")
    assert wx.say("还有一件事") is None
    assert rasa.received == []
    assert wx.say("取消人工").startswith("已退出人工服务")
    wx.say("你好")
    assert rasa.texts() == ["你好"]
