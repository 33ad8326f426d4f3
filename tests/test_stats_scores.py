"""Unit scores, the 评分办法 and the public bulletin against tests/stats_world.py (November 2026)."""

from __future__ import annotations

import json

import pytest

from accounts.service import Principal
from stats import scores
from stats.errors import OutOfScope, StatsError
from stats.periods import month
from tests import stats_world as w
from work_orders.models import WorkOrderEvent
from work_orders.service import WorkOrders

NOVEMBER = month("2026-11")
ADMIN = Principal(9, "root", "管理员", ("admin",))
XX_SUPERVISOR = Principal(5, "sup-x", "新乡督办", ("supervisor",), None, w.XINXIANG)
BJ_SUPERVISOR = Principal(6, "sup-bj", "北京督办", ("supervisor",), None, "北京市")


@pytest.fixture
def world(db):
    built = w.build(WorkOrders(db, callback_sample_rate=0.0))
    return db, built


def by_name(result):
    return {u["name"]: u for u in result["units"]}


def test_monthly_scores_and_ranking_are_the_hand_computed_ones(world):
    db, _ = world
    with db.session() as s:
        result = scores.unit_scores(s, NOVEMBER, w.XINXIANG, now=w.NOW)
    units = by_name(result)
    taxi, bus = units["新乡市出租汽车管理处"], units["新乡市公交集团"]
    assert "郑州市交通运输局" not in units
    # taxi: A, B, E dispatched to it in November
    c = taxi["components"]
    assert (c["acceptance"]["numerator"], c["acceptance"]["denominator"]) == (2, 3)  # B accepted late
    assert (c["completion"]["numerator"], c["completion"]["denominator"]) == (1, 3)  # B late, E open past due
    assert (c["satisfaction"]["numerator"], c["satisfaction"]["denominator"]) == (1, 2)
    assert (c["returns"]["rate"], c["returns"]["value"]) == (0.0, 1.0)
    assert (c["overdue"]["rate"], c["overdue"]["value"]) == (0.6667, 0.3333)
    assert c["reply_quality"]["value"] is None  # no reply reviewed: left out, weights renormalised
    # (15·2/3 + 30·1/3 + 20·1/2 + 10·1 + 10·1/3) / 85 × 100
    assert taxi["score"] == 51.0
    # bus: D on time in every respect, and E returned (1 return against 1 order kept)
    assert (bus["orders"], bus["returned"], bus["components"]["returns"]["value"]) == (1, 1, 0.5)
    assert bus["score"] == 92.3  # (15 + 30 + 10·0.5 + 10) / 65 × 100
    assert (bus["rank"], taxi["rank"]) == (1, 2)
    assert result["lowest"] == ["新乡市出租汽车管理处"]  # at most all but the best are named
    assert result["regions"] == [
        {"region": w.XINXIANG, "ranking": [bus["unit_id"], taxi["unit_id"]], "lowest": ["新乡市出租汽车管理处"]}
    ]
    assert result["scheme"]["default"] is True


def test_a_region_scheme_changes_the_scores_and_is_scoped(world):
    db, _ = world
    with db.session() as s:
        saved = scores.set_scheme(s, w.XINXIANG, {"completion": 1}, 1, XX_SUPERVISOR)
        assert saved["weights"]["completion"] == 1 and saved["weights"]["acceptance"] == 0
    with db.session() as s:
        units = by_name(scores.unit_scores(s, NOVEMBER, "河南省", now=w.NOW))
        assert units["新乡市出租汽车管理处"]["score"] == 33.3 and units["新乡市公交集团"]["score"] == 100.0
        assert units["新乡市出租汽车管理处"]["scheme_region"] == w.XINXIANG
    with db.session() as s, pytest.raises(OutOfScope):
        scores.set_scheme(s, w.XINXIANG, {"completion": 1}, 1, BJ_SUPERVISOR)
    for weights, lowest in (
        ({"completion": -1}, 3),
        ({"nonsense": 5}, 3),
        ({"completion": 0}, 3),
        ({"completion": 1}, 0),
    ):
        with db.session() as s, pytest.raises(StatsError):
            scores.set_scheme(s, "", weights, lowest, ADMIN)


def test_a_poor_reply_lowers_the_units_score(world):
    db, built = world
    with db.session() as s:
        out = scores.flag_reply(s, built["numbers"]["A"], XX_SUPERVISOR, "poor", now=w.NOW)
        assert out["reply_flag_label"] == "不合格"
    with db.session() as s:
        taxi = by_name(scores.unit_scores(s, NOVEMBER, w.XINXIANG, now=w.NOW))["新乡市出租汽车管理处"]
        assert taxi["components"]["reply_quality"]["value"] == 0.0
        assert taxi["score"] == 43.3  # (43.3325 + 15·0) / 100 × 100
        assert s.query(WorkOrderEvent).filter_by(action="reply_flag").count() == 1
    with db.session() as s, pytest.raises(OutOfScope):
        scores.flag_reply(s, built["numbers"]["A"], BJ_SUPERVISOR, "ok")
    with db.session() as s, pytest.raises(StatsError):
        scores.flag_reply(s, built["numbers"]["C"], XX_SUPERVISOR, "ok")  # answered at once, no unit's reply


def test_the_public_bulletin_has_names_scores_and_rates_only(world):
    db, _ = world
    with db.session() as s:
        bulletin = scores.public_bulletin(s, NOVEMBER, "河南省", now=w.NOW)
    assert [(u["rank"], u["name"], u["score"]) for u in bulletin["units"]] == [
        (1, "新乡市公交集团", 92.3),
        (2, "新乡市出租汽车管理处", 51.0),
    ]
    assert set(bulletin["units"][0]) == {"rank", "name", "region", "score", "rates"}
    text = json.dumps(bulletin, ensure_ascii=False)
    for private in (w.CALLER, w.PLATE, "反映的问题", "的经过", "已处理", "unit_id", "taxi-staff"):
        assert private not in text
