"""The work-order lifecycle of the 管理办法 (第十四条 to 第三十条) on SQLite and PostgreSQL, frozen clock."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from accounts.service import Principal
from hotline.clock import CHINA
from hotline.db import Database
from hotline.errors import NotFound
from hotline.throttle import Throttled
from work_orders import queues, sweep
from work_orders.errors import Forbidden, InvalidTransition, StaleOrder, WorkOrderError
from work_orders.models import Attachment, Notice, WorkOrder, WorkOrderEvent
from work_orders.service import WorkOrders

T0 = datetime(2026, 9, 30, 15, 0, tzinfo=CHINA)  # the afternoon before National Day
COMPLAINT = {
    "order_type": "complaint",
    "channel": "wechat",
    "domain": "城市客运",
    "region": "河南省新乡市",
    "title": "出租车拒载",
    "target": "豫G·T1234 出租车",
    "facts": "9月29日晚在新乡东站，出租车豫G·T1234拒载，司机电话13912345678",
    "demand": "要求处理司机",
    "caller_name": "张三",
    "caller_phone": "13812345678",
    "caller_user": "wechat:o-abc",
}
OPERATOR = Principal(1, "op1", "李座席", ("operator",))
SUPERVISOR = Principal(3, "sup1", "王督办", ("supervisor",), None, "河南省")
OTHER_SUPERVISOR = Principal(4, "sup2", "赵督办", ("supervisor",), None, "山东省")


@pytest.fixture
def env(db):
    wo = WorkOrders(db, callback_sample_rate=0.0)
    taxi = wo.add_unit("新乡市出租汽车管理处", "河南省新乡市", ["城市客运"], "出租车、网约车监管")
    bus = wo.add_unit("新乡市公交集团", "河南省新乡市", ["城市客运"], "公交线路")
    authority = wo.add_unit("新乡市交通运输局", "河南省新乡市", ["公路", "道路运输", "城市客运"], is_authority=True)
    units = {"taxi": taxi, "bus": bus, "authority": authority}
    staff = {
        name: Principal(10 + i, f"{name}-staff", name, ("unit",), u["id"]) for i, (name, u) in enumerate(units.items())
    }
    return wo, db, units, staff


def new(wo, now=T0, **over):
    order, created = wo.create({**COMPLAINT, **over}, now=now)
    assert created
    return order["number"]


def dispatched(wo, units, now=T0, **over):
    number = new(wo, now, **over)
    wo.act(number, "classify", OPERATOR, now=now)
    wo.act(number, "dispatch", OPERATOR, {"unit_id": units["taxi"]["id"]}, now=now)
    return number


def events(db, number):
    with db.session() as s:
        oid = s.scalar(select(WorkOrder.id).where(WorkOrder.number == number))
        return s.execute(
            select(WorkOrderEvent.action, WorkOrderEvent.from_state, WorkOrderEvent.to_state, WorkOrderEvent.actor)
            .where(WorkOrderEvent.order_id == oid)
            .order_by(WorkOrderEvent.id)
        ).all()


def notices(db, kind=None):
    with db.session() as s:
        q = select(Notice.recipient, Notice.kind, Notice.message)
        return s.execute(q.where(Notice.kind == kind) if kind else q).all()


def test_complaint_from_receipt_to_archive(env):
    wo, db, units, staff = env
    unit = staff["taxi"]
    order, _ = wo.create(COMPLAINT, now=T0)
    number = order["number"]
    assert number == "20260930-00001"  # date + sequence
    assert order["dispatch_due"] == "2026-10-08T15:00:00+08:00"

    wo.act(number, "classify", OPERATOR, {"domain": "城市客运"}, now=T0)
    order = wo.act(number, "dispatch", OPERATOR, {"unit_id": units["taxi"]["id"]}, now=T0 + timedelta(hours=1))
    assert order["state"] == "dispatched" and order["unit_name"] == "新乡市出租汽车管理处"
    assert order["due_at"].startswith("2026-10-20T23:59")  # 10 working days (第二十三条)
    assert order["return_due"] == "2026-10-08T16:00:00+08:00"  # 24 h for a return (第二十二条)
    assert order["province_copied_at"]  # 第二十五条
    assert [n for n in notices(db) if n.kind == "complaint_copy"]

    wo.act(number, "accept", unit, now=T0 + timedelta(days=8))
    wo.act(
        number,
        "request_extension",
        unit,
        {"days": 5, "reason": "evidence", "explanation": "需调取车载录像"},
        now=T0 + timedelta(days=9),
    )
    order = wo.act(number, "approve_extension", SUPERVISOR, now=T0 + timedelta(days=9))
    assert order["due_at"].startswith("2026-10-27T23:59") and order["extension_used"]
    caller_msgs = [n.message for n in notices(db, "extended")]
    assert "需调取车载录像" in caller_msgs[0] and "2026年10月27日" in caller_msgs[0]  # the caller is told why

    done = datetime(2026, 10, 23, 10, tzinfo=CHINA)
    order = wo.act(number, "reply", unit, {"reply": "经查属实，已对驾驶员罚款200元并约谈企业。"}, now=done)
    assert order["state"] == "replied" and order["callback_required"]
    assert order["callback_due"].startswith("2026-10-30T23:59")
    assert order["province_review_due"].startswith("2026-10-30T23:59")
    with pytest.raises(WorkOrderError, match="须先完成回访"):
        wo.act(number, "archive", OPERATOR, now=done)
    wo.act(number, "callback", OPERATOR, {"result": "satisfied", "note": "来电人表示满意"}, now=done)
    order = wo.act(number, "archive", OPERATOR, now=done)
    assert order["state"] == "archived" and order["rating"] == "satisfied"

    trail = events(db, number)
    assert [e.action for e in trail] == [
        "create",
        "classify",
        "dispatch",
        "accept",
        "request_extension",
        "approve_extension",
        "reply",
        "callback",
        "archive",
    ]
    assert trail[2].from_state == "classified" and trail[2].to_state == "dispatched" and trail[2].actor == "op1"
    assert trail[5].actor == "sup1"


def test_forbidden_move_changes_nothing(env):
    wo, db, units, staff = env
    number = new(wo)
    before = wo.get(number, OPERATOR)
    with pytest.raises(InvalidTransition, match="不能执行“转办”"):
        wo.act(number, "dispatch", OPERATOR, {"unit_id": units["taxi"]["id"]}, now=T0)
    with pytest.raises(InvalidTransition):
        wo.act(number, "archive", OPERATOR, now=T0)
    after = wo.get(number, OPERATOR)
    assert (after["state"], after["version"], len(after["events"])) == ("received", before["version"], 1)
    with pytest.raises(WorkOrderError, match="未知操作"):
        wo.act(number, "delete", OPERATOR, now=T0)


def test_roles_and_scopes(env):
    wo, db, units, staff = env
    number = dispatched(wo, units)
    with pytest.raises(Forbidden):
        wo.act(number, "accept", OPERATOR, now=T0)  # only the unit signs for its order
    with pytest.raises(Forbidden):
        wo.get(number, staff["bus"])  # another unit sees nothing
    with pytest.raises(Forbidden):
        wo.get(number, OTHER_SUPERVISOR)  # a supervisor of another province neither
    wo.act(number, "accept", staff["taxi"], now=T0)
    wo.act(number, "request_extension", staff["taxi"], {"days": 3, "reason": "complex", "explanation": "多方"}, now=T0)
    with pytest.raises(Forbidden):
        wo.act(number, "approve_extension", staff["taxi"], now=T0)  # a unit cannot approve its own extension
    with pytest.raises(NotFound):
        wo.get("20260930-99999", OPERATOR)


def test_province_review_is_scoped_to_the_supervisors_region(env):
    wo, db, units, staff = env
    number = dispatched(wo, units)  # a 河南 complaint, copied to the province
    wo.act(number, "accept", staff["taxi"], now=T0)
    wo.act(number, "reply", staff["taxi"], {"reply": "已约谈驾驶员"}, now=T0)
    beijing = Principal(5, "sup-bj", "钱督办", ("supervisor",), None, "北京市")
    for outsider in (beijing, OTHER_SUPERVISOR, staff["taxi"]):
        with pytest.raises(Forbidden):
            wo.province_review(number, outsider, "复核通过", now=T0)
    assert wo.get(number, OPERATOR)["province_reviewed_at"] is None  # nothing was written
    assert [e.action for e in events(db, number)][-1] == "reply"
    reviewed = wo.province_review(number, SUPERVISOR, "复核通过", now=T0)  # the 河南 supervisor still can
    assert reviewed["province_reviewed_at"] and events(db, number)[-1].actor == "sup1"
    with pytest.raises(WorkOrderError, match="已复核"):
        wo.province_review(number, Principal(6, "sup-cn", "全国督办", ("supervisor",), None, ""), "", now=T0)
    with pytest.raises(NotFound):
        wo.province_review("20260930-99999", beijing, "", now=T0)


def test_contact_data_masked_unless_the_role_needs_it(env):
    wo, db, units, staff = env
    number = dispatched(wo, units)
    assert wo.get(number, OPERATOR)["caller_phone"] == "13812345678"
    unit_view = wo.get(number, staff["taxi"])
    assert unit_view["caller_phone"] == "13812345678"  # the unit contacts the caller (第二十二条)
    sup_view = wo.get(number, SUPERVISOR)
    assert sup_view["caller_phone"] == "138****5678" and sup_view["caller_name"] == "张*"
    assert "139****5678" in sup_view["facts"] and "13912345678" not in sup_view["facts"]
    anonymous = dispatched(wo, units, anonymous=True)
    for viewer in (staff["taxi"], SUPERVISOR):  # an anonymous caller: no phone at all, not even masked (第七条)
        view = wo.get(anonymous, viewer)
        assert (view["caller_phone"], view["caller_name"]) == ("", "匿名")
        assert "13912345678" not in str(view) and "5678" not in view["caller_phone"]
    assert wo.get(anonymous, OPERATOR)["caller_phone"] == "13812345678"  # operators call back
    status = wo.lookup(number, "5678", now=T0)
    assert "13912345678" not in str(status) and "13812345678" not in str(status)


def test_return_within_24_hours_then_redispatch(env):
    wo, db, units, staff = env
    number = dispatched(wo, units)
    order = wo.act(
        number, "return", staff["taxi"], {"reason": "公交线路问题，非我处职责"}, now=T0 + timedelta(hours=20)
    )
    assert order["state"] == "returned" and order["unit_id"] is None
    assert wo.get(number, OPERATOR)["dispatch_due"]  # a new 24 h for re-dispatch
    with pytest.raises(Forbidden):
        wo.get(number, staff["taxi"])  # the returning unit no longer sees it
    later = datetime(2026, 10, 8, 9, tzinfo=CHINA)
    order = wo.act(number, "dispatch", OPERATOR, {"unit_id": units["bus"]["id"]}, now=later)
    assert order["unit_name"] == "新乡市公交集团" and order["due_at"].startswith("2026-10-21T23:59")
    # the 24-hour window of the second unit closes at 9:00 the next working day
    with pytest.raises(WorkOrderError, match="24小时内"):
        wo.act(number, "return", staff["bus"], {"reason": "不是我们的"}, now=later + timedelta(hours=25))
    with pytest.raises(WorkOrderError, match="请填写退回理由"):
        wo.act(number, "return", staff["bus"], {"reason": " "}, now=later)


def test_not_accepted_for_one_of_the_six_reasons(env):
    wo, db, units, staff = env
    number = new(wo, facts="要求起诉对方公司，法院已立案")
    with pytest.raises(WorkOrderError, match="第十九条"):
        wo.act(number, "reject", OPERATOR, {"reason": "i-dont-like-it"}, now=T0)
    order = wo.act(number, "reject", OPERATOR, {"reason": "other_procedure", "note": "已进入诉讼程序"}, now=T0)
    assert order["state"] == "rejected"
    assert "第十九条" in order["reply"] and "诉讼" in order["reply"]
    assert any("第十九条" in n.message for n in notices(db, "rejected"))  # the caller is told why
    assert wo.act(number, "archive", OPERATOR, now=T0)["state"] == "archived"


def test_safety_matter_goes_to_the_authority_at_once(env):
    wo, db, units, staff = env
    number = new(
        wo,
        order_type="complaint",
        domain="道路运输",
        safety=True,
        title="危化品车辆超载",
        facts="一辆危化品槽罐车在S227超载行驶",
    )
    order = wo.get(number, OPERATOR)
    assert order["urgent"] and order["dispatch_due"] == "2026-09-30T16:00:00+08:00"
    assert notices(db, "safety")
    wo.act(number, "classify", OPERATOR, now=T0)
    assert wo.route(number)[0]["name"] == "新乡市交通运输局"
    with pytest.raises(WorkOrderError, match="第二十一条"):
        wo.act(number, "dispatch", OPERATOR, {"unit_id": units["taxi"]["id"]}, now=T0)
    wo.act(number, "dispatch", OPERATOR, {"unit_id": units["authority"]["id"]}, now=T0)


def test_escalation_to_the_upper_center(env):
    wo, db, units, staff = env
    number = new(wo, facts="郑州至新乡城际班车在两地均有违规停靠")
    with pytest.raises(WorkOrderError, match="原因"):
        wo.act(number, "escalate", OPERATOR, {}, now=T0)
    order = wo.act(number, "escalate", OPERATOR, {"note": "涉及郑州、新乡两个行政区域"}, now=T0)
    assert order["state"] == "escalated"
    assert [n for n in notices(db, "escalated") if n.recipient == "province"]
    assert wo.act(number, "dispatch", OPERATOR, {"unit_id": units["taxi"]["id"]}, now=T0)["state"] == "dispatched"


def test_extension_rules(env):
    wo, db, units, staff = env
    unit = staff["taxi"]
    number = dispatched(wo, units)
    wo.act(number, "accept", unit, now=T0)
    with pytest.raises(WorkOrderError, match="1至10个工作日"):
        wo.act(number, "request_extension", unit, {"days": 11, "reason": "complex", "explanation": "x"}, now=T0)
    with pytest.raises(WorkOrderError, match="告知来电人"):
        wo.act(number, "request_extension", unit, {"days": 3, "reason": "complex"}, now=T0)
    wo.act(number, "request_extension", unit, {"days": 3, "reason": "complex", "explanation": "多方"}, now=T0)
    wo.act(number, "deny_extension", SUPERVISOR, {"note": "理由不充分"}, now=T0)
    wo.act(number, "request_extension", unit, {"days": 3, "reason": "complex", "explanation": "多方"}, now=T0)
    wo.act(number, "approve_extension", SUPERVISOR, now=T0)
    with pytest.raises(WorkOrderError, match="只能申请一次"):
        wo.act(number, "request_extension", unit, {"days": 2, "reason": "other", "explanation": "再延"}, now=T0)
    late = dispatched(wo, units)
    wo.act(late, "accept", unit, now=T0)
    with pytest.raises(WorkOrderError, match="已届满"):
        wo.act(
            late,
            "request_extension",
            unit,
            {"days": 2, "reason": "other", "explanation": "x"},
            now=datetime(2026, 10, 21, 9, tzinfo=CHINA),
        )


def test_consultation_answered_at_once_and_sampled_callbacks(env):
    wo, db, units, staff = env
    number = new(wo, order_type="consultation", title="货车通行证怎么办", facts="货车进城通行证在哪里办理")
    order = wo.act(number, "answer", OPERATOR, {"reply": "可在“新乡交通”公众号在线办理。"}, now=T0)
    assert order["state"] == "answered" and not order["callback_required"]  # sample rate 0 here
    assert wo.act(number, "archive", OPERATOR, now=T0)["state"] == "archived"
    sampled = WorkOrders(db, callback_sample_rate=1.0)
    number = new(sampled, order_type="suggestion", title="建议增加夜班公交")
    order = sampled.act(number, "answer", OPERATOR, {"reply": "已转公交集团研究"}, now=T0)
    assert order["callback_required"]


def test_idempotent_creation(env):
    wo, db, units, staff = env
    first, created = wo.create(COMPLAINT, idempotency_key="wechat-msg-1", now=T0)
    again, created_again = wo.create(COMPLAINT, idempotency_key="wechat-msg-1", now=T0 + timedelta(seconds=5))
    assert created and not created_again and again["number"] == first["number"]
    with pytest.raises(WorkOrderError) as exc:
        wo.create({**COMPLAINT, "facts": "别的事"}, idempotency_key="wechat-msg-1", now=T0)
    assert exc.value.code == "idempotency_conflict"
    assert wo.count() == 1


def test_concurrent_duplicate_submissions_make_one_order(env):
    wo, db, units, staff = env
    results, barrier = [], threading.Barrier(4)

    def submit():
        barrier.wait()
        results.append(wo.create(COMPLAINT, idempotency_key="double-click", now=T0))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len({r[0]["number"] for r in results}) == 1 and sum(r[1] for r in results) == 1
    assert wo.count() == 1


def test_invalid_orders_are_refused_with_field_messages(env):
    wo, db, units, staff = env
    with pytest.raises(WorkOrderError) as exc:
        wo.create(
            {
                **COMPLAINT,
                "order_type": "praise",
                "caller_phone": "12345",
                "title": "",
                "facts": "",
                "target": "长" * 300,
            },
            now=T0,
        )
    details = exc.value.details
    assert set(details) >= {"order_type", "caller_phone", "facts", "target"}
    assert "格式不正确" in details["caller_phone"]
    assert wo.count() == 0


def test_stale_version_and_lost_update(env):
    wo, db, units, staff = env
    number = new(wo)
    version = wo.get(number, OPERATOR)["version"]
    wo.act(number, "classify", OPERATOR, {"domain": "公路"}, version=version, now=T0)
    with pytest.raises(StaleOrder):
        wo.act(number, "classify", OPERATOR, {"domain": "水路"}, version=version, now=T0)

    # two operators press "dispatch" at the same moment: exactly one wins, nothing is overwritten. Both have
    # loaded the order (SQLAlchemy's load event on the mapper, for these two threads only) before either writes.
    barrier = threading.Barrier(2)
    pressing = set()

    def both_have_read(order, context):
        if threading.get_ident() in pressing and order.number == number:
            pressing.discard(threading.get_ident())
            try:
                barrier.wait(timeout=5)
            except threading.BrokenBarrierError:
                pass

    outcomes = []

    def press(unit):
        pressing.add(threading.get_ident())
        try:
            outcomes.append(wo.act(number, "dispatch", OPERATOR, {"unit_id": units[unit]["id"]}, now=T0)["unit_name"])
        except (StaleOrder, InvalidTransition) as exc:
            outcomes.append(type(exc).__name__)

    event.listen(WorkOrder, "load", both_have_read)
    try:
        threads = [threading.Thread(target=press, args=(u,)) for u in ("taxi", "bus")]
        [t.start() for t in threads]
        [t.join() for t in threads]
    finally:
        event.remove(WorkOrder, "load", both_have_read)
    assert not barrier.broken  # they really met
    winners = [o for o in outcomes if o.startswith("新乡")]
    assert len(winners) == 1, outcomes
    assert wo.get(number, OPERATOR)["unit_name"] == winners[0]
    assert [e.action for e in events(db, number)].count("dispatch") == 1


def test_sweep_reminds_marks_overdue_once_and_catches_up(env):
    wo, db, units, staff = env
    number = dispatched(wo, units)
    waiting = new(wo, title="未转办的工单")
    due_eve = datetime(2026, 10, 20, 9, tzinfo=CHINA)
    first = sweep.sweep(db, due_eve)
    assert first["reminded"] == 1 and first["dispatch_overdue"] == 1 and first["overdue"] == 0
    assert sweep.sweep(db, due_eve)["reminded"] == 0
    # the sweep did not run for days: the next run still finds every breach
    late = datetime(2026, 10, 26, 9, tzinfo=CHINA)
    stats = sweep.sweep(db, late)
    assert stats["overdue"] == 1 and stats["dispatch_overdue"] == 0
    assert sweep.sweep(db, late) == {"reminded": 0, "overdue": 0, "dispatch_overdue": 0, "callback_overdue": 0}
    reports = notices(db, "overdue_report")
    assert len(reports) == 1 and reports[0].recipient == "supervisor:河南省新乡市" and number in reports[0].message
    assert wo.get(number, OPERATOR)["overdue"] and wo.get(waiting, OPERATOR)["overdue"]
    overdue = queues.queue(db, OPERATOR, "overdue", late)
    assert {o["number"] for o in overdue["items"]} == {number, waiting}


def test_sweeps_on_two_replicas_at_once_report_once(env):
    wo, db, units, staff = env
    numbers = [dispatched(wo, units) for _ in range(5)]
    late = datetime(2026, 11, 30, 9, tzinfo=CHINA)
    other = Database(db.url)  # a second replica: its own engine and connections
    barrier, results = threading.Barrier(2), []

    def run(database):
        barrier.wait()
        results.append(sweep.sweep(database, late)["overdue"])

    threads = [threading.Thread(target=run, args=(d,)) for d in (db, other)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    # both replicas ran, and between them marked each of the five orders overdue exactly once
    assert len(results) == 2 and sum(results) == len(numbers)
    assert len(notices(db, "overdue_report")) == len(numbers)


def test_queues_are_scoped_to_the_viewer(env):
    wo, db, units, staff = env
    mine = dispatched(wo, units)
    new(wo, region="山东省济南市", title="济南的投诉")
    fresh = new(wo)
    now = T0 + timedelta(hours=2)
    assert {o["number"] for o in queues.queue(db, staff["taxi"], "unit", now)["items"]} == {mine}
    assert queues.queue(db, staff["bus"], "unit", now)["total"] == 0
    assert queues.queue(db, OPERATOR, "new", now)["total"] == 2
    assert queues.queue(db, SUPERVISOR, "all", now)["total"] == 2  # 河南 only
    assert fresh in {o["number"] for o in queues.queue(db, SUPERVISOR, "new", now)["items"]}
    counts = queues.counts(db, OPERATOR, now)
    assert counts["all"] == 3 and counts["unit"] == 1
    with pytest.raises(WorkOrderError):
        queues.queue(db, OPERATOR, "everything", now)


def test_search_finds_only_what_the_viewer_sees_and_wildcards_are_plain(env):
    wo, db, units, staff = env
    now = T0 + timedelta(hours=2)
    mine = dispatched(wo, units, title="司机电话13912345678拒载", target="豫G·D9876_夜班")
    secret = dispatched(wo, units, title="匿名投诉 13712340000", anonymous=True)
    new(wo, title="100%满意", caller_phone="0373-3011234")

    def found(viewer, q):
        return {o["number"] for o in queues.queue(db, viewer, "all", now, q=q)["items"]}

    # the probe: a supervisor recovered the masked digits of 139****5678 one query at a time
    for q in ("1391", "13912", "139123", "9123456", "1234567", "3712", "1371234"):
        assert found(SUPERVISOR, q) == set()
    assert found(SUPERVISOR, "139****5678") == {mine}  # what the supervisor sees can be found
    assert found(SUPERVISOR, "D9876_夜") == {mine}
    assert found(SUPERVISOR, "13912345678") == set()  # a full number is no key for them either
    # who sees the number may search by it; the unit not on the anonymous order it handles
    assert found(OPERATOR, "1391") == {mine} and found(OPERATOR, "13712340000") == {secret}
    assert found(OPERATOR, "138 1234 5678") == {mine, secret}  # the caller's number, given in full
    assert len(found(OPERATOR, "0373 3011234")) == 1
    assert found(OPERATOR, "03733011234") == found(OPERATOR, "0373-3011234")
    assert found(staff["taxi"], "1391") == {mine} and found(staff["taxi"], "13812345678") == {mine}
    assert found(staff["taxi"], "1371") == set() and found(staff["taxi"], "137****0000") == {secret}
    # LIKE wildcards are plain characters
    assert len(found(OPERATOR, "%")) == 1 and found(OPERATOR, "_") == {mine}
    assert found(OPERATOR, "1_9") == set() and found(SUPERVISOR, "%满意") != set()
    assert found(SUPERVISOR, "139_") == set() and found(SUPERVISOR, "139%5678") == set()
    # a supervisor's region is a prefix, not a pattern
    wildcard = Principal(7, "sup-pct", "某督办", ("supervisor",), None, "%")
    assert queues.queue(db, wildcard, "all", now)["total"] == 0


def test_caller_lookup_rating_and_throttling(env):
    wo, db, units, staff = env
    number = dispatched(wo, units)
    status = wo.lookup(number, "5678", now=T0)
    assert status["state_label"] == "已转办" and status["unit_name"] == "新乡市出租汽车管理处"
    assert wo.lookup(number, caller_user="wechat:o-abc", now=T0)["number"] == number  # same openid
    with pytest.raises(WorkOrderError, match="办结回复后"):
        wo.rate(number, "satisfied", last4="5678", now=T0)
    for _ in range(3):
        with pytest.raises(WorkOrderError, match="不匹配"):
            wo.lookup(number, "0000", client="203.0.113.7", now=T0)
    with pytest.raises(Throttled, match="尝试次数过多，请2秒后再试"):  # this client waits, growing
        wo.lookup(number, "5678", client="203.0.113.7", now=T0)
    assert wo.lookup(number, "5678", client="198.51.100.1", now=T0)["number"] == number  # nobody else does
    assert wo.lookup(number, "5678", client="203.0.113.7", now=T0 + timedelta(seconds=2))["number"] == number
    with pytest.raises(NotFound):
        wo.lookup("20990101-00001", "5678", now=T0)

    wo.act(number, "accept", staff["taxi"], now=T0)
    wo.act(number, "reply", staff["taxi"], {"reply": "已处理"}, now=T0)
    later = T0 + timedelta(minutes=20)
    rated = wo.rate(number, "basically_satisfied", "处理还算及时", last4="5678", now=later)
    assert rated["rating"] == "basically_satisfied" and not rated["can_rate"]
    with pytest.raises(WorkOrderError, match="已评价"):
        wo.rate(number, "dissatisfied", last4="5678", now=later)
    assert [o["number"] for o in wo.for_caller("wechat:o-abc")] == [number]


def test_retention_purge_never_deletes_anything_younger(env, tmp_path):
    wo, db, units, staff = env
    now = datetime(2031, 12, 1, tzinfo=UTC)
    old, young, open_order = new(wo), new(wo), new(wo)
    for number, archived in ((old, now - timedelta(days=5 * 365 + 10)), (young, now - timedelta(days=5 * 365 - 10))):
        wo.act(number, "reject", OPERATOR, {"reason": "petition"}, now=archived)
        wo.act(number, "archive", OPERATOR, now=archived)
    (tmp_path / "rec-old").write_bytes(b"x")
    (tmp_path / "rec-new").write_bytes(b"y")
    wo.add_attachment(open_order, OPERATOR, "recording", "file:rec-old", now=now - timedelta(days=400))
    wo.add_attachment(open_order, OPERATOR, "recording", "file:rec-new", now=now - timedelta(days=300))
    wo.add_attachment(open_order, OPERATOR, "photo", "file:photo", now=now - timedelta(days=400))
    with pytest.raises(ValueError):
        sweep.purge(db, now, tmp_path, order_years=3)
    stats = sweep.purge(db, now, tmp_path)
    assert stats == {"orders_deleted": 1, "recordings_deleted": 1}
    with pytest.raises(NotFound):
        wo.get(old, OPERATOR)
    assert wo.get(young, OPERATOR)["state"] == "archived" and wo.get(open_order, OPERATOR)
    assert not (tmp_path / "rec-old").exists() and (tmp_path / "rec-new").exists()
    with db.session() as s:
        assert s.scalar(select(func.count(Attachment.id)).where(Attachment.purged_at.is_(None))) == 2
    assert sweep.purge(db, now, tmp_path) == {"orders_deleted": 0, "recordings_deleted": 0}


def test_calendar_overrides_feed_deadlines(env):
    wo, db, units, staff = env
    wo.set_override(date(2026, 10, 8), False, "台风停工", "op1")
    number = new(wo)
    assert wo.get(number, OPERATOR)["dispatch_due"] == "2026-10-09T15:00:00+08:00"
    assert wo.overrides()[0]["note"] == "台风停工"
    wo.delete_override(date(2026, 10, 8))
    assert wo.overrides() == []
    wo.create({**COMPLAINT, "title": "年底的投诉"}, now=datetime(2026, 12, 31, 10, tzinfo=CHINA))
    assert any("2027年" in w for w in wo.calendar_warnings())


def test_a_dissatisfied_caller_rates_their_own_replied_order_without_looking_it_up(env):
    """ "我的投诉处理结果我不满意" from the WeChat user who registered it, with no order looked up in this conversation:
    it was told to look the order up first; their order awaiting a rating is rated."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.work_orders import NOTHING_TO_RATE, ActionRate

    wo, db, units, staff = env

    def said(text, sender):
        message = {"text": text, "intent": {"name": "rate", "confidence": 0.9}, "entities": []}
        trk = Tracker.from_dict({"sender_id": sender, "slots": {}, "latest_message": message, "events": []})
        dispatcher = CollectingDispatcher()
        ActionRate(wo).run(dispatcher, trk, {})
        return [m["text"] for m in dispatcher.messages]

    number = dispatched(wo, units)
    assert said("我的投诉处理结果我不满意", "wechat:o-abc") == [NOTHING_TO_RATE]  # not replied yet
    wo.act(number, "accept", staff["taxi"], now=T0)
    wo.act(number, "reply", staff["taxi"], {"reply": "已处理"}, now=T0)
    assert said("我的投诉处理结果我不满意", "wechat:someone-else") == [NOTHING_TO_RATE]
    assert said("我的投诉处理结果我不满意", "wechat:o-abc")[-1].startswith("感谢您的评价！我们会督促承办单位改进")
    assert wo.lookup(number, "5678")["rating"] == "dissatisfied"
