"""Supervision's workflows on SQLite and PostgreSQL: the problem list (第三十三条) with its audit trail and region
scope, surge alerts (第三十四条) raised once across replicas, and duplicate groups handled together through the
work-order lifecycle while each caller keeps their own reply and callback."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from accounts.service import Principal
from hotline.clock import CHINA
from hotline.errors import NotFound
from supervision import surges
from supervision.duplicates import Duplicates
from supervision.errors import InvalidProblemTransition, StaleProblem, SupervisionError, SupervisionForbidden
from supervision.models import SurgeAlert
from supervision.problems import ProblemList
from supervision.surges import SurgeAlerts, common_region
from work_orders.models import Notice
from work_orders.service import WorkOrders

ADMIN = Principal(1, "root", "管理员", ("admin",))
HENAN = Principal(2, "sup", "王督办", ("supervisor",), region="河南省")
XINXIANG = Principal(3, "sup-xx", "李督办", ("supervisor",), region="河南省新乡市")
BEIJING = Principal(4, "sup-bj", "赵督办", ("supervisor",), region="北京市")
OPERATOR = Principal(5, "op", "李座席", ("operator",))
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)  # a working day

CHECKPOINT = [
    "卫辉检查站不让我们大货车过，直接劝返",
    "今天早上在卫辉检查站被劝返了，排了三个小时的队",
    "107国道卫辉检查站劝返货车，也不说原因",
    "我是跑冷链的，到卫辉检查站就被拦下来劝返",
    "卫辉检查站的工作人员不让货车通行，劝我们原路返回",
    "衛輝檢查站把我們貨車勸返了，說不讓進城",
]


def complaint(orders, text, now, phone, region="河南省新乡市卫辉市", target="", location="", user=""):
    order, _ = orders.create(
        {
            "order_type": "complaint",
            "channel": "wechat" if user else "phone",
            "domain": "公路",
            "region": region,
            "title": text[:30],
            "facts": text,
            "target": target,
            "location": location,
            "caller_phone": phone,
            "caller_user": user,
        },
        now=now,
    )
    return order["number"]


# --- the problem list ---------------------------------------------------------------------------------------
def test_a_topic_becomes_a_problem_that_is_supervised_and_closed_with_an_audit_trail(db):
    orders = WorkOrders(db)
    numbers = [complaint(orders, t, MONDAY, f"1390000{i:04d}") for i, t in enumerate(CHECKPOINT[:3])]
    elsewhere = complaint(orders, "北京出租车拒载", MONDAY, "13900009999", region="北京市")
    problems = ProblemList(db)

    with pytest.raises(SupervisionForbidden):
        problems.create(OPERATOR, "卫辉检查站劝返货车", orders=numbers)
    with pytest.raises(SupervisionError) as outside:
        problems.create(HENAN, "卫辉检查站劝返货车", orders=[*numbers, elsewhere, "20991231-00001"])
    assert outside.value.details == {"missing": ["20991231-00001"], "outside_region": [elsewhere]}
    with pytest.raises(SupervisionForbidden):  # a region outside the supervisor's own
        problems.create(HENAN, "北京的事", region="北京市")

    item = problems.create(
        HENAN, "卫辉检查站劝返货车", region="河南省新乡市", keywords=["卫辉", "劝返"], orders=numbers[:2], now=MONDAY
    )
    assert (item["state"], item["state_label"], item["region"], item["order_count"]) == (
        "listed",
        "列入清单",
        "河南省新乡市",
        2,
    )
    assert item["actions"] == ["supervise"]
    with pytest.raises(InvalidProblemTransition):
        problems.act(item["id"], "close", HENAN, "还没督办就销号")
    with pytest.raises(SupervisionError):
        problems.act(item["id"], "supervise", HENAN, "")  # a note says what was asked of whom
    later = MONDAY + timedelta(days=1)
    item = problems.act(
        item["id"], "supervise", XINXIANG, "交卫辉市交通运输局限期整改", version=item["version"], now=later
    )
    assert item["state"] == "supervising" and item["closed_at"] is None
    with pytest.raises(StaleProblem):
        problems.act(item["id"], "close", HENAN, "已整改", version=item["version"] - 1)
    item = problems.link(item["id"], HENAN, add=[numbers[2]], remove=[numbers[0]])
    assert sorted(o["number"] for o in item["orders"]) == sorted(numbers[1:])
    item = problems.act(item["id"], "close", HENAN, "检查站已整改，劝返情况消除", now=later + timedelta(days=5))
    assert item["state"] == "closed" and item["closed_at"]
    with pytest.raises(InvalidProblemTransition):
        problems.link(item["id"], HENAN, add=[numbers[0]], remove=[])
    assert [(e["action"], e["from_state"], e["to_state"], e["actor"]) for e in item["events"]] == [
        ("list", "", "listed", "sup"),
        ("supervise", "listed", "supervising", "sup-xx"),
        ("link", "supervising", "supervising", "sup"),
        ("close", "supervising", "closed", "sup"),
    ]
    assert item["events"][3]["note"] == "检查站已整改，劝返情况消除"

    # region scope: another region's supervisor neither lists nor reads it
    assert problems.list(HENAN)["total"] == problems.list(ADMIN)["total"] == 1
    assert problems.list(BEIJING)["total"] == 0
    with pytest.raises(NotFound):
        problems.get(item["id"], BEIJING)
    with pytest.raises(NotFound):
        problems.act(item["id"], "reopen", BEIJING, "重新督办")
    assert problems.act(item["id"], "reopen", ADMIN, "群众反映又出现劝返")["state"] == "supervising"
    assert problems.list(HENAN, state="closed")["total"] == 0


# --- surges -------------------------------------------------------------------------------------------------
def test_many_callers_about_one_checkpoint_raise_one_alert_that_grows(db):
    orders = WorkOrders(db)
    for i, text in enumerate(CHECKPOINT[:4]):
        complaint(orders, text, MONDAY + timedelta(minutes=20 * i), f"1390000{i:04d}")
    now = MONDAY + timedelta(hours=2)
    assert surges.detect(db, now) == []  # four callers: not yet a surge
    complaint(orders, CHECKPOINT[4], now, "13900000004", region="河南省新乡市")
    raised = surges.detect(db, now + timedelta(minutes=1))
    place = [a for a in raised if a["kind"] == "place"]
    assert len(place) == 1 and place[0]["subject"] == "卫辉检查站" and place[0]["count"] == 5
    assert place[0]["region"] == "河南省新乡市"  # the division all five orders lie in
    assert surges.detect(db, now + timedelta(minutes=2)) == []  # nothing new: nothing raised again
    complaint(orders, CHECKPOINT[5], now + timedelta(minutes=3), "13900000005")
    grown = surges.detect(db, now + timedelta(minutes=4))
    assert [(a["id"], a["count"]) for a in grown if a["kind"] == "place"] == [(place[0]["id"], 6)]
    with db.session() as s:
        assert s.scalar(select(SurgeAlert).where(SurgeAlert.kind == "place")).count == 6
        notices = s.scalars(select(Notice).where(Notice.kind == "surge")).all()
        assert [n.recipient for n in notices] == ["supervisor:河南省新乡市"]
        assert "卫辉检查站" in notices[0].message and "第三十四条" in notices[0].message
    # a new wave after the window is a new alert
    later = now + surges.WINDOW * 2
    for i in range(5):
        complaint(orders, CHECKPOINT[i], later, f"1370000{i:04d}")
    again = [a for a in surges.detect(db, later + timedelta(minutes=1)) if a["kind"] == "place"]
    assert len(again) == 1 and again[0]["id"] != place[0]["id"] and again[0]["count"] == 5


def test_one_caller_complaining_five_times_is_no_surge_and_targets_count_too(db):
    orders = WorkOrders(db)
    for i in range(5):
        complaint(orders, CHECKPOINT[i], MONDAY + timedelta(minutes=i), "13900000001")
    assert surges.detect(db, MONDAY + timedelta(hours=1)) == []
    for i in range(5):
        complaint(
            orders,
            f"6路公交车在人民医院站不停车第{i}次",
            MONDAY + timedelta(minutes=i),
            f"1380000{i:04d}",
            region="河南省郑州市",
        )
    for i in range(5):  # a kind of vehicle is no target: five taxi complaints across a city are no surge
        complaint(orders, f"出租车拒载第{i}次", MONDAY + timedelta(minutes=i), f"1370000{i:04d}", region="河南省郑州市")
    raised = surges.detect(db, MONDAY + timedelta(hours=1))
    assert {(a["kind"], a["subject"], a["region"]) for a in raised} >= {("target", "6路公交车", "河南省郑州市")}
    assert not [a for a in raised if a["subject"] == "出租车"]


def test_topic_surges_group_complaints_that_name_no_common_place(db, embedder):
    orders = WorkOrders(db)
    texts = [
        "ETC多扣了我的通行费，从郑州到新乡扣了三百多",
        "我的ETC被重复扣款，怎么退",
        "ETC卡扣款和实际路程对不上，多扣了几十块",
        "ETC扣費不對，同一段路比上次多了一倍",
        "没走高速ETC却有扣费记录",
    ]
    for i, text in enumerate(texts):
        complaint(orders, text, MONDAY + timedelta(minutes=i), f"1380000{i:04d}", region="河南省郑州市")
    assert surges.detect(db, MONDAY + timedelta(hours=1)) == []  # no place or target in common
    raised = surges.detect(db, MONDAY + timedelta(hours=1), embedder)
    topics = [a for a in raised if a["kind"] == "topic"]
    assert len(topics) == 1 and topics[0]["count"] == 5 and "ETC" in topics[0]["subject"]
    assert topics[0]["region"] == "河南省郑州市"


def test_the_surge_job_runs_once_per_turn_across_replicas(db):
    orders = WorkOrders(db)
    for i, text in enumerate(CHECKPOINT[:5]):
        complaint(orders, text, MONDAY, f"1390000{i:04d}")
    now = MONDAY + timedelta(minutes=10)
    first = surges.run(db, None, interval=300, now=now)
    second = surges.run(db, None, interval=300, now=now + timedelta(seconds=1))  # another replica, same turn
    assert first and second is None
    assert surges.run(db, None, interval=300, now=now + timedelta(seconds=300)) == []  # its next turn
    with db.session() as s:
        assert len(s.scalars(select(SurgeAlert)).all()) == len(first)


def test_supervisors_see_and_acknowledge_the_alerts_of_their_region(db):
    orders = WorkOrders(db)
    for i, text in enumerate(CHECKPOINT[:5]):
        complaint(orders, text, MONDAY, f"1390000{i:04d}", location="卫辉检查站")
    surges.detect(db, MONDAY + timedelta(minutes=5))
    alerts = SurgeAlerts(db)
    mine = alerts.list(XINXIANG)["items"]
    assert [a["subject"] for a in mine] == ["卫辉检查站"] and alerts.list(HENAN)["items"] == mine
    assert alerts.list(BEIJING)["items"] == []
    with pytest.raises(NotFound):
        alerts.get(mine[0]["id"], BEIJING)
    with pytest.raises(SupervisionForbidden):
        alerts.list(OPERATOR)
    detail = alerts.get(mine[0]["id"], XINXIANG)
    assert len(detail["orders"]) == 5 and all("****" not in o["title"] for o in detail["orders"])
    done = alerts.acknowledge(mine[0]["id"], XINXIANG, "已派人到检查站核查")
    assert (done["status"], done["acknowledged_by"], done["note"]) == ("acknowledged", "sup-xx", "已派人到检查站核查")
    with pytest.raises(SupervisionError):
        alerts.acknowledge(mine[0]["id"], XINXIANG)
    assert alerts.list(HENAN, status="open")["items"] == []


def test_common_region_stops_at_a_division():
    assert common_region(["河南省新乡市卫辉市", "河南省新乡市"]) == "河南省新乡市"
    assert common_region(["河南省新乡市", "河南省许昌市"]) == "河南省"
    assert common_region(["河南省新乡市", "北京市"]) == ""
    assert common_region(["", "河南省"]) == "河南省"


# --- duplicates ---------------------------------------------------------------------------------------------
def _through_dispatch(orders: WorkOrders, number: str, unit_id: int) -> None:
    orders.act(number, "classify", OPERATOR, {}, now=MONDAY)
    orders.act(number, "dispatch", OPERATOR, {"unit_id": unit_id}, now=MONDAY)


def test_duplicates_are_proposed_linked_and_handled_together_each_caller_keeping_their_reply(db):
    orders = WorkOrders(db, callback_sample_rate=0.0)
    unit = orders.add_unit("新乡市出租汽车管理处", "河南省新乡市", ["城市客运"])
    unit_user = Principal(9, "taxi", "出租车管理处", ("unit",), unit_id=unit["id"])
    texts = [
        "豫G·T8866出租车在新乡东站拒载，嫌路近不拉",
        "新乡东站出租车豫GT8866拒载乘客",
        "豫GT8866这辆出租车在新乡东站不打表还拒载",
    ]
    callers = [f"wechat:o-caller-{i}" for i in range(3)]
    numbers = [
        complaint(orders, t, MONDAY + timedelta(hours=i), f"1390000{i:04d}", "河南省新乡市", user=callers[i])
        for i, t in enumerate(texts)
    ]
    other = complaint(orders, "郑州公交车甩站", MONDAY, "13900000099", "河南省郑州市")
    duplicates = Duplicates(db, orders)

    proposed = duplicates.candidates(numbers[0], OPERATOR)
    assert {c["number"] for c in proposed["items"]} == set(numbers[1:])
    assert all(any("豫GT8866" in r for r in c["reasons"]) for c in proposed["items"])
    with pytest.raises(SupervisionForbidden):
        duplicates.candidates(numbers[0], unit_user)
    with pytest.raises(SupervisionError):
        duplicates.link(numbers[:1], OPERATOR)  # one order is no group

    group = duplicates.link(numbers[:2], OPERATOR)
    group = duplicates.link([numbers[2], numbers[0]], OPERATOR)  # joins the existing group
    assert sorted(m["number"] for m in group["members"]) == sorted(numbers)
    assert group["region"] == "河南省新乡市"

    # the two first are taken through dispatch; the third is left received: an action its state does not allow
    for number in numbers[:2]:
        _through_dispatch(orders, number, unit["id"])
    with pytest.raises(SupervisionError):
        duplicates.act(group["id"], "callback", OPERATOR, {"result": "satisfied"})
    accepted = duplicates.act(group["id"], "accept", unit_user, now=MONDAY)
    # the unit sees only its own orders: the third (not dispatched to it) is not even named
    assert (accepted["done"], accepted["skipped"]) == (2, 0) and len(accepted["results"]) == 2
    _through_dispatch(orders, numbers[2], unit["id"])
    replied = duplicates.act(
        group["id"], "reply", unit_user, {"reply": "已约谈驾驶员并依法处罚，感谢监督"}, now=MONDAY + timedelta(days=1)
    )
    assert (replied["done"], replied["skipped"]) == (2, 1)
    skipped = next(r for r in replied["results"] if not r["ok"])
    assert (
        skipped["number"] == numbers[2] and "签收" not in skipped["message"] and skipped["code"] == "invalid_transition"
    )
    with db.session() as s:
        told = s.scalars(select(Notice).where(Notice.kind == "replied")).all()
    assert sorted(n.recipient for n in told) == sorted(f"caller:{c}" for c in callers[:2])  # each caller their own
    for number in numbers[:2]:
        order = orders.get(number, OPERATOR)
        assert order["state"] == "replied" and order["callback_required"]  # each is called back on their own
        assert [e["action"] for e in order["events"]][-1] == "reply"

    # the operator of another region's order cannot slip it in; unlinking dissolves a group of one
    with pytest.raises(NotFound):
        duplicates.link([numbers[0], "20991231-00001"], OPERATOR)
    beijing = complaint(orders, "北京出租车拒载", MONDAY, "13900000098", "北京市")
    with pytest.raises(SupervisionError) as mixed:
        duplicates.link([numbers[0], beijing], OPERATOR)
    assert mixed.value.code == "mixed_regions"
    assert other not in {c["number"] for c in duplicates.candidates(numbers[0], OPERATOR)["items"]}
    assert duplicates.unlink(numbers[2], OPERATOR)["dissolved"] is False
    assert duplicates.unlink(numbers[1], OPERATOR)["dissolved"] is True
    with pytest.raises(NotFound):
        duplicates.get(group["id"], OPERATOR)


def test_plain_duplicates_are_linked_by_the_job_and_the_rest_left_to_staff(db, embedder):
    orders = WorkOrders(db)
    same = [
        "豫G·T8866出租车在新乡东站拒载，嫌路近不拉",
        "新乡东站出租车豫GT8866拒载乘客，嫌路近",
        "豫GT8866这辆出租车在新乡东站拒载，说路近不拉",
    ]
    numbers = [
        complaint(orders, t, MONDAY + timedelta(hours=i), f"1390000{i:04d}", "河南省新乡市") for i, t in enumerate(same)
    ]
    # the same plate elsewhere and a taxi with no plate at the same station are not linked; the first caller's
    # repeat is not linked to their own first complaint, but is to the other callers' ones
    elsewhere = complaint(orders, "豫GT8866出租车在新乡火车站绕路多收费", MONDAY, "13900000010", "河南省新乡市")
    again = complaint(orders, same[0], MONDAY + timedelta(hours=5), "13900000000", "河南省新乡市")
    no_plate = complaint(orders, "新乡东站出租车拒载，嫌路近不拉", MONDAY, "13900000011", "河南省新乡市")
    duplicates = Duplicates(db, orders, embedder)
    linked = duplicates.auto_link(MONDAY + timedelta(hours=6))
    assert len(linked) == 1 and linked[0]["created_by"] == "system"
    members = {m["number"] for m in linked[0]["members"]}
    assert set(numbers) <= members and not {elsewhere, no_plate} & members
    assert again in members  # the first caller's repeat is the same matter as the other callers' complaints
    assert duplicates.auto_link(MONDAY + timedelta(hours=7)) == []  # nothing new to link
    assert Duplicates(db, orders, None).auto_link(MONDAY) == []  # no model, no guessing


def test_the_surge_job_also_links_duplicates(db, embedder):
    orders = WorkOrders(db)
    for i, text in enumerate(
        ["3路公交车在人民医院站甩站不停车", "3路公交车人民医院站不停车甩客", "人民医院站3路公交车甩站"]
    ):
        complaint(orders, text, MONDAY + timedelta(minutes=i), f"1390000{i:04d}", "河南省郑州市", location="人民医院站")
    assert surges.run(db, embedder, interval=300, now=MONDAY + timedelta(minutes=10)) == []  # three: no surge
    with db.session() as s:
        from supervision.models import DuplicateMember

        assert len(s.scalars(select(DuplicateMember)).all()) == 3
