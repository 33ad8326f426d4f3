"""A small province with known orders for the statistics tests (tests/test_stats_*.py): every figure the tests
expect is worked out by hand in the comments below, from the 管理办法's deadlines on the working-day calendar.

The period under test is 2 to 15 November 2026 (two Monday-to-Sunday weeks, ten working days), looked at on
30 November 2026 at noon (NOW). The previous period (环比) is 19 October to 1 November, the same days last year
(同比) 2 to 15 November 2025.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from accounts.service import Principal
from channels.history import ChatTurn
from handoff.models import Handoff
from hotline.clock import CHINA
from knowledge_base.models import KnowledgeGap
from work_orders.service import WorkOrders

START, END = date(2026, 11, 2), date(2026, 11, 15)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=CHINA)
T = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA)  # Monday 9:00
XINXIANG, ZHENGZHOU = "河南省新乡市", "河南省郑州市"
CALLER = "13800000001"
PLATE = "豫G·T1234"

OPERATOR = Principal(1, "op1", "李座席", ("operator",))
SUPERVISOR = Principal(3, "sup1", "王督办", ("supervisor",), None, "河南省")


def at(day: int, hour: int = 9, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA)


def build(wo: WorkOrders) -> dict:
    """Registers the orders through the service (so every column is what the lifecycle writes) and returns the
    units, their staff and the order numbers by letter."""
    units = {
        "taxi": wo.add_unit("新乡市出租汽车管理处", XINXIANG, ["城市客运", "道路运输"]),
        "bus": wo.add_unit("新乡市公交集团", XINXIANG, ["城市客运", "公路", "道路运输"]),
        "zz": wo.add_unit("郑州市交通运输局", ZHENGZHOU, ["城市客运"], is_authority=True),
    }
    staff = {k: Principal(10 + i, f"{k}-staff", k, ("unit",), u["id"]) for i, (k, u) in enumerate(units.items())}
    sup = Principal(5, "sup-x", "督办", ("supervisor",), None, XINXIANG)
    n: dict[str, str] = {}

    def new(letter, now, **data):
        base = {"order_type": "complaint", "channel": "wechat", "domain": "城市客运", "region": XINXIANG}
        base.update(title=f"{letter} 反映的问题", facts=f"{letter} 的经过")
        order, _ = wo.create({**base, **data}, now=now)
        n[letter] = order["number"]
        return order["number"]

    def act(number, action, who, now, **params):
        return wo.act(number, action, who, params, now=now)

    # A: complaint; dispatched after 2 h (on time), accepted after 1 h (on time), replied the next day (on time),
    #    called back two days later: satisfied (on time).
    a = new("A", T, caller_phone=CALLER, target=PLATE)
    act(a, "classify", OPERATOR, T + timedelta(minutes=30))
    act(a, "dispatch", OPERATOR, T + timedelta(hours=2), unit_id=units["taxi"]["id"])
    act(a, "accept", staff["taxi"], T + timedelta(hours=3))
    act(a, "reply", staff["taxi"], at(3, 10), reply="已处理")
    act(a, "callback", OPERATOR, at(5, 10), result="satisfied")
    # B: the same caller about the same plate (a repeat complaint). Received Mon 10:00, due to be dispatched Tue 10:00
    #    but dispatched Wed 9:00 (late); accepted Thu 10:00 after the return window closed Thu 9:00 (late); due
    #    18 Nov (10 working days from 4 Nov) but replied 20 Nov (late, overdue); the callback was due 27 Nov
    #    (5 working days) and made 30 Nov (late): dissatisfied.
    b = new("B", T + timedelta(hours=1), channel="phone", caller_phone=CALLER, target=PLATE)
    act(b, "classify", OPERATOR, T + timedelta(hours=2))
    act(b, "dispatch", OPERATOR, at(4, 9), unit_id=units["taxi"]["id"])
    act(b, "accept", staff["taxi"], at(5, 10))
    act(b, "reply", staff["taxi"], at(20, 10), reply="已处理")
    act(b, "callback", OPERATOR, at(30, 10), result="dissatisfied")
    # C: a consultation answered at once by the operator (即时答复).
    c = new("C", T, order_type="consultation", channel="web", domain="公路")
    act(c, "answer", OPERATOR, T + timedelta(minutes=10), reply="可以通行")
    # D: a consultation dispatched (on time) and answered by the unit the next day (on time).
    d = new("D", T, order_type="consultation", channel="phone", domain="公路")
    act(d, "classify", OPERATOR, T + timedelta(minutes=20))
    act(d, "dispatch", OPERATOR, T + timedelta(hours=1), unit_id=units["bus"]["id"])
    act(d, "accept", staff["bus"], T + timedelta(hours=2))
    act(d, "reply", staff["bus"], at(3, 9), reply="已答复")
    # E: a suggestion dispatched to the bus company Tue 9:00, returned by it at 10:00 (within 24 h), dispatched to
    #    the taxi office at 11:00 (on time: the return reset the dispatch deadline to Wed 10:00), accepted, extended
    #    by 3 working days (due 10 Nov → 13 Nov) and still open on 30 Nov: overdue.
    e = new("E", at(3, 8), order_type="suggestion", channel="12345", domain="道路运输")
    act(e, "classify", OPERATOR, at(3, 8, 30))
    act(e, "dispatch", OPERATOR, at(3, 9), unit_id=units["bus"]["id"])
    act(e, "return", staff["bus"], at(3, 10), reason="不属于本单位职责")
    act(e, "dispatch", OPERATOR, at(3, 11), unit_id=units["taxi"]["id"])
    act(e, "accept", staff["taxi"], at(3, 12))
    act(e, "request_extension", staff["taxi"], at(5), days=3, reason="complex", explanation="涉及多方")
    act(e, "approve_extension", sup, at(5, 15))
    # F: an anonymous complaint not accepted (第十九条).
    f = new("F", T + timedelta(minutes=30), channel="web", domain="其他", anonymous=True)
    act(f, "reject", OPERATOR, T + timedelta(hours=1), reason="out_of_scope")
    # G: Zhengzhou, the same caller and plate, never dispatched (its dispatch deadline passed long ago).
    new("G", T, region=ZHENGZHOU, caller_phone=CALLER, target=PLATE)
    # H: the previous period; I and J: the same days a year ago.
    new("H", at(26, 10, month=10))
    new("I", at(5, 10, year=2025), channel="phone")
    new("J", at(6, 10, year=2025), order_type="consultation", channel="phone", domain="公路")
    return {"units": units, "staff": staff, "numbers": n}


def add_conversations(db) -> None:
    """Web-chat turns, knowledge gaps and handoffs: three questions, two cited answers, one reply without a
    source; a gap asked five times in the period (twice answered with choices) and one last asked before it; two
    handoffs in the period (one taken) and one before it."""
    inside, before = at(4, 10), at(20, 10, month=10)
    with db.session() as s:
        for role, sources in (("user", []), ("user", []), ("user", []), ("bot", [{"article_id": 1}]), ("bot", [])):
            s.add(ChatTurn(sender="web:a", role=role, text="问", buttons=[], sources=sources, created_at=inside))
        s.add(ChatTurn(sender="web:a", role="bot", text="答", buttons=[], sources=[{"x": 1}], created_at=inside))
        s.add(ChatTurn(sender="web:b", role="bot", text="答", buttons=[], sources=[{"x": 1}], created_at=before))
        s.add(KnowledgeGap(key="k1", text="货车通行证怎么办", count=5, clarified=2, first_seen=at(3), last_seen=inside))
        s.add(KnowledgeGap(key="k2", text="旧问题", count=9, clarified=0, first_seen=before, last_seen=before))
        s.add(Handoff(sender="web:a", channel="web", reason="user_request", created_at=inside, taken_at=inside))
        s.add(Handoff(sender="web:b", channel="web", reason="repeated_failure", created_at=inside))
        s.add(Handoff(sender="web:c", channel="web", reason="user_request", created_at=before))
