"""What the console says about an order beyond its fields: titles that summarise, the classification the order
already implies, the actions the service would refuse (with why) and what a waiting order waits for."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from work_orders.guidance import awaiting, blocked_actions, classification_hint, summary_title

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def order(**fields):
    base = {
        "state": "received",
        "domain": "其他",
        "region": "",
        "location": "",
        "title": "",
        "target": "",
        "facts": "",
        "callback_required": False,
        "extension_used": False,
        "extension_days": 0,
        "due_at": None,
        "return_due": None,
        "dispatch_due": None,
        "callback_due": None,
    }
    return SimpleNamespace(**{**base, **fields})


@pytest.mark.parametrize(
    "target, facts, title",
    [
        ("浙A·T1234出租车", "5月3日晚在杭州东站出租车候客区，司机以路程太近为由拒载。", "浙A·T1234出租车：拒载"),
        ("新乡12路公交", "我要投诉 12路公交在人民公园站不停车，等了半小时", "新乡12路公交：甩站"),
        ("", "建议增加公交夜班线路，方便夜间出行", "增加公交夜班线路"),
        ("", "我电话13812345678，那个大巴司机骂人", "服务态度差"),
    ],
)
def test_titles_say_object_and_matter(target, facts, title):
    assert summary_title(target, facts) == title


def test_a_title_never_shows_a_phone_number():
    assert "13812345678" not in summary_title("", "13812345678联系我，车站门口一直有黑车")


def test_classification_is_prefilled_from_the_place_the_order_names():
    hint = classification_hint(
        order(region="河南省", location="新乡市卫辉市汲水镇", target="豫G12345出租车", facts="绕路")
    )
    assert hint == {
        "domain": "城市客运",
        "region": "河南省新乡市卫辉市",
        "region_source": "工单中提到的“新乡市、卫辉市”",
    }
    # the shared location's region when the words name no place; the order's own domain when it has one
    hint = classification_hint(order(region="河南省郑州市", domain="道路运输", facts="货车被乱罚款"))
    assert hint == {"domain": "道路运输", "region": "河南省郑州市", "region_source": "工单登记的地区"}
    # a place elsewhere than the shared region does not override it
    assert classification_hint(order(region="河南省郑州市", facts="杭州东站拒载"))["region"] == "河南省郑州市"


def test_the_actions_the_service_would_refuse_say_why():
    assert blocked_actions(order(state="replied", callback_required=True), NOW) == {
        "archive": "须先完成回访（第二十九条）才能归档"
    }
    assert blocked_actions(order(state="replied", callback_required=False), NOW) == {}
    assert blocked_actions(order(state="in_progress", extension_used=True), NOW) == {
        "request_extension": "延期只能申请一次（第二十四条）"
    }
    late = order(state="in_progress", due_at=NOW - timedelta(hours=1))
    assert "已届满" in blocked_actions(late, NOW)["request_extension"]
    closed = order(state="dispatched", return_due=NOW - timedelta(hours=1))
    assert "已过" in blocked_actions(closed, NOW)["return"]
    assert blocked_actions(order(state="dispatched", return_due=NOW + timedelta(hours=1)), NOW) == {}


def test_a_waiting_order_says_what_it_waits_for():
    assert (
        awaiting(order(state="extension_requested", extension_days=3))
        == "等待督办人员审批延期申请（申请延期3个工作日）"
    )
    assert awaiting(order(state="in_progress", due_at=NOW)) == "等待承办单位办结回复（办理期限 11月30日 11:00）"
    assert awaiting(order(state="replied", callback_required=True)).startswith("等待话务座席回访来电人")
    assert awaiting(order(state="dispatched")) == "等待承办单位签收"
    assert awaiting(order(state="archived")) == ""
