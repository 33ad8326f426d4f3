"""The metrics of issue 17 against the hand-computed figures of tests/stats_world.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from stats import metrics
from stats.errors import StatsError
from stats.periods import Period, month, week_of
from tests import stats_world as w
from work_orders.models import OrderReturn, WorkOrder
from work_orders.service import WorkOrders


@pytest.fixture
def world(db):
    wo = WorkOrders(db, callback_sample_rate=0.0)
    built = w.build(wo)
    w.add_conversations(db)
    return db, built


def compute(db, region="", domain=None):
    with db.session() as s:
        return metrics.compute(s, w.START, w.END, region_prefix=region, domain=domain, now=w.NOW)


def rate(result, name):
    r = result["rates"][name]
    return r["numerator"], r["denominator"], r["rate"]


def test_counts_with_year_on_year_and_period_on_period(world):
    db, _ = world
    r = compute(db, w.XINXIANG)
    assert r["period"] == {"start": "2026-11-02", "end": "2026-11-15", "days": 14}
    assert r["previous"] == {"start": "2026-10-19", "end": "2026-11-01", "days": 14}
    assert r["last_year"] == {"start": "2025-11-02", "end": "2025-11-15", "days": 14}
    assert r["working_days"] == 10
    # A–F this period, H before it, I and J a year ago (G is Zhengzhou's)
    assert r["total"] == {"count": 6, "previous": 1, "last_year": 2, "mom": 5.0, "yoy": 2.0}
    by_type = {x["key"]: x for x in r["by_type"]}
    assert by_type["complaint"] == {
        "key": "complaint",
        "label": "投诉举报",
        "count": 3,
        "previous": 1,
        "last_year": 1,
        "mom": 2.0,
        "yoy": 2.0,
    }
    assert (by_type["consultation"]["count"], by_type["consultation"]["yoy"]) == (2, 1.0)
    assert (by_type["suggestion"]["count"], by_type["suggestion"]["mom"]) == (1, None)  # nothing before: no ratio
    assert {x["key"]: x["count"] for x in r["by_channel"]} == {"phone": 2, "web": 2, "wechat": 1, "12345": 1}
    assert {x["key"]: x["count"] for x in r["by_domain"]} == {"城市客运": 2, "公路": 2, "道路运输": 1, "其他": 1}
    assert sum(c["count"] for c in r["cube"]) == 6
    assert {(c["order_type"], c["domain"], c["channel"]) for c in r["cube"] if c["count"]} >= {
        ("complaint", "城市客运", "wechat"),
        ("consultation", "公路", "web"),
        ("suggestion", "道路运输", "12345"),
    }


def test_rates_are_the_hand_computed_ones(world):
    db, _ = world
    r = compute(db, w.XINXIANG)
    assert rate(r, "dispatch_on_time") == (3, 4, 0.75)  # A, D, E on time; B a day late
    assert rate(r, "completed_on_time") == (2, 4, 0.5)  # A, D; B replied late; E open past its extended due date
    assert rate(r, "instant_answer") == (1, 2, 0.5)  # C answered at once, D dispatched
    assert rate(r, "callback_on_time") == (1, 2, 0.5)  # A's callback in time, B's three days late
    assert rate(r, "satisfaction") == (1, 2, 0.5)
    assert r["ratings"] == {"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 1}
    assert rate(r, "overdue") == (2, 4, 0.5)  # B late, E still open
    assert rate(r, "returned") == (1, 4, 0.25)  # E
    assert rate(r, "extended") == (1, 4, 0.25)  # E
    assert rate(r, "repeat_complaints") == (1, 3, 0.3333)  # B repeats A (F is anonymous)
    assert r["counts"] == {
        "received": 6,
        "dispatched": 4,
        "completed": 4,
        "rejected": 1,
        "open": 1,
        "complaints": 3,
        "repeat_complaints": 1,
    }


def test_the_province_sees_zhengzhou_too_and_a_domain_narrows(world):
    db, _ = world
    r = compute(db, "河南省")
    assert r["total"]["count"] == 7
    assert rate(r, "dispatch_on_time") == (3, 5, 0.6)  # G waits past its dispatch deadline
    assert rate(r, "repeat_complaints") == (2, 4, 0.5)  # B and G repeat A
    assert compute(db, "山东省")["total"] == {"count": 0, "previous": 0, "last_year": 0, "mom": None, "yoy": None}
    road = compute(db, w.XINXIANG, "公路")
    assert (road["total"]["count"], road["total"]["last_year"]) == (2, 1)
    assert rate(road, "instant_answer") == (1, 2, 0.5)
    assert road["scope"] == {"region": w.XINXIANG, "domain": "公路"}


def test_a_region_prefix_is_not_a_pattern(world):
    db, _ = world
    assert compute(db, "河南%")["total"]["count"] == 0


def test_the_assistants_own_figures(world):
    db, _ = world
    a = compute(db)["assistant"]
    assert (a["questions"], a["answered"]) == (3, 2)
    assert (a["refused"], a["clarified"], a["gaps_new"], a["gaps_open"]) == (3, 2, 1, 2)
    assert (a["handoffs"], a["handoffs_taken"]) == (2, 1)
    assert a["handoffs_by_reason"] == {"user_request": 1, "repeated_failure": 1}


def test_the_lifecycle_records_acceptance_callback_and_returns(world):
    db, built = world
    with db.session() as s:
        e = s.query(WorkOrder).filter_by(number=built["numbers"]["E"]).one()
        a = s.query(WorkOrder).filter_by(number=built["numbers"]["A"]).one()
        returns = s.query(OrderReturn).all()
        assert [(r.order_id, r.unit_id) for r in returns] == [(e.id, built["units"]["bus"]["id"])]
        assert e.accepted_at is not None and e.callback_at is None
        assert a.callback_at is not None and a.callback_at > a.completed_at


def test_periods():
    assert month("2026-10").previous() == Period(date(2026, 9, 1), date(2026, 9, 30))
    assert month("2026-03").previous() == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert Period(date(2024, 2, 29), date(2024, 2, 29)).last_year() == Period(date(2023, 2, 28), date(2023, 2, 28))
    assert Period(date(2026, 10, 1), date(2026, 12, 31)).previous() == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert week_of(date(2026, 11, 19)) == Period(date(2026, 11, 16), date(2026, 11, 22))
    with pytest.raises(StatsError):
        Period(date(2026, 11, 2), date(2026, 11, 1))
    with pytest.raises(StatsError):
        month("2026-13")
