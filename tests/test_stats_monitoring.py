"""The daily dashboard and the weekly bulletin (周通报) against tests/stats_world.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from stats import monitoring
from tests import stats_world as w
from work_orders.service import WorkOrders


@pytest.fixture
def world(db):
    wo = WorkOrders(db, callback_sample_rate=0.0)
    built = w.build(wo)
    wo.create(
        {"order_type": "consultation", "channel": "web", "region": w.XINXIANG, "facts": "今天"},
        now=w.NOW - timedelta(hours=1),
    )
    return db, built


def test_the_dashboard(world):
    db, _ = world
    with db.session() as s:
        board = monitoring.dashboard(s, "河南省", now=w.NOW)
    today = board["today"]
    assert (today["date"], today["received"], today["completed"]) == ("2026-11-30", 1, 0)
    assert {x["key"]: x["count"] for x in today["by_type"]} == {"consultation": 1, "suggestion": 0, "complaint": 0}
    assert [(x["key"], x["count"]) for x in today["by_channel"]] == [("web", 1)]
    # E open past its extended due date at the taxi office; G, H, I and J never dispatched and past their dispatch
    # deadline, today's order waiting within its own
    assert board["open"] == {"overdue": 1, "due_soon": 0, "dispatch_overdue": 4, "waiting_dispatch": 5}
    assert [(u["name"], u["overdue"], u["due_soon"]) for u in board["units"]] == [("新乡市出租汽车管理处", 1, 0)]
    trend = board["trend"]
    assert (trend["start"], trend["end"], len(trend["days"])) == ("2026-11-01", "2026-11-30", 30)
    received = dict(zip(trend["days"], trend["received"], strict=True))
    completed = dict(zip(trend["days"], trend["completed"], strict=True))
    assert {d: n for d, n in received.items() if n} == {"2026-11-02": 6, "2026-11-03": 1, "2026-11-30": 1}
    # C answered and F rejected on the 2nd, A and D replied on the 3rd, B on the 20th
    assert {d: n for d, n in completed.items() if n} == {"2026-11-02": 2, "2026-11-03": 2, "2026-11-20": 1}
    assert {x["key"]: x["count"] for x in board["mix"]["order_type"]} == {
        "complaint": 4,
        "consultation": 3,
        "suggestion": 1,
    }
    with db.session() as s:
        elsewhere = monitoring.dashboard(s, "山东省", now=w.NOW)
    assert elsewhere["today"]["received"] == 0 and elsewhere["units"] == [] and sum(elsewhere["trend"]["received"]) == 0


def test_the_weekly_bulletin_names_the_late_units(world):
    db, _ = world
    with db.session() as s:
        week = monitoring.weekly_bulletin(s, w.XINXIANG, week=date(2026, 11, 18), now=w.NOW)
        assert week["week"] == {"start": "2026-11-16", "end": "2026-11-22", "days": 7}
        # A (due 16 Nov, replied 3 Nov) and B (due 18 Nov, replied 20 Nov) at the taxi office
        assert (week["due"], week["late"], week["late_rate"]) == (2, 1, 0.5)
        assert [(u["name"], u["due"], u["late"], u["still_open"]) for u in week["units"]] == [
            ("新乡市出租汽车管理处", 2, 1, 0)
        ]
        assert "新乡市出租汽车管理处1件" in week["summary"] and "11月16日至11月22日" in week["summary"]
        earlier = monitoring.weekly_bulletin(s, w.XINXIANG, week=date(2026, 11, 13), now=w.NOW)
        assert [(u["name"], u["late"], u["still_open"]) for u in earlier["units"]] == [("新乡市出租汽车管理处", 1, 1)]
        first = monitoring.weekly_bulletin(s, w.XINXIANG, week=date(2026, 11, 2), now=w.NOW)
        assert (first["due"], first["late"], first["units"]) == (1, 0, [])  # D, on time
        assert "均按期办结回复" in first["summary"]
        last_full_week = monitoring.weekly_bulletin(s, w.XINXIANG, now=w.NOW)
        assert last_full_week["week"]["start"] == "2026-11-23"
