"""A truck driver files a complaint on the official account, end to end: the simulator signs and encrypts as
WeChat does, the real app and the real bot (Rasa 3.6) answer, the work order is stored."""

import uuid

import pytest

from devtools.wechat_sim import Simulator
from hotline.db import Database
from work_orders.service import System, WorkOrders

pytestmark = pytest.mark.integration


def test_complaint_by_wechat_end_to_end(live):
    wx = live.settings.wechat
    openid = "oLive" + uuid.uuid4().hex[:10]
    sim = Simulator(live.base + "/wechat/mp", wx.token, wx.aes_key, wx.appid, wx.mode, openid, timeout=60)
    assert sim.verify()
    transcript = []

    def say(result):
        status, text = result
        transcript.append(text)
        assert status == 200 and text, transcript
        return text

    assert "欢迎关注12328" in say(sim.event("subscribe"))
    assert "第二十三条" in say(sim.text("投诉以后多久能有结果？"))
    say(sim.image("LIVE-MEDIA-1"))
    reply = say(sim.text("我要投诉豫G·T1234出租车，昨天晚上8点拒载还骂人，电话13812345678，要求处理司机"))
    if "发送位置" in reply:  # the form asks where: the driver sends the location
        reply = say(sim.location("河南省新乡市红旗区新乡东站", 35.27, 113.92))
    if "实名" in reply:
        reply = say(sim.text("匿名"))
    assert "请核对您的投诉内容" in reply, transcript
    choice = next(line.split("：")[0][2:] for line in reply.splitlines() if line.endswith("：确认提交"))
    reply = say(sim.text(choice))  # "回复1：确认提交" → "1"
    assert "已为您登记" in reply and "已将您发送的1张照片" in reply, transcript

    orders = WorkOrders(Database(live.settings.database_url))
    mine = orders.for_caller(f"wechat:{openid}")
    assert len(mine) == 1 and mine[0]["state"] == "received"
    order = orders.get(mine[0]["number"], System())
    assert order["channel"] == "wechat" and "新乡东站" in order["location"]  # from the location message
    assert [a["kind"] for a in order["attachments"]] == ["photo"]
