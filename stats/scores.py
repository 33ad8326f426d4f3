"""Unit scores (管理办法 第三十六条 – 第三十七条): a configurable 评分办法, each handling unit's monthly score, the
ranking per region with the lowest units named, and the public bulletin (向社会公示: unit names, scores and
rates, nothing about callers or what they reported).

A unit's month is the cohort of orders dispatched to it in that month (``dispatched_at``), plus the orders it
returned in the month (``wo_return``: a returned order leaves the unit). Each component is a share where higher
is better (returns and overdue count as 1 − their rate); the score is the weighted mean of the components that
have data, × 100. A unit with no order in the month has no score and is not ranked.
"""

from __future__ import annotations

from datetime import datetime
from numbers import Real

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from hotline.clock import utcnow
from work_orders.deadlines import RETURN_HOURS
from work_orders.models import HandlingUnit, OrderReturn, WorkOrder, WorkOrderEvent
from work_orders.orders import can_view, load_order

from .errors import OutOfScope, StatsError
from .metrics import GOOD_RATINGS, ratio
from .models import ScoreScheme
from .periods import Period

WO = WorkOrder
# name → (label, definition); the order is the bulletin's column order
COMPONENTS = {
    "acceptance": (
        "按期签收率",
        f"转办后{RETURN_HOURS}小时内（非工作日顺延，即退回时限内）签收 ÷ 已签收及签收时限已过的工单",
    ),
    "completion": ("按期办结率", "在办理期限（含延期）内办结回复 ÷ 已办结及期限已过的工单"),
    "reply_quality": ("答复质量合格率", "督办抽查评为合格的答复 ÷ 抽查过的答复"),
    "satisfaction": ("回访满意率", "满意与基本满意 ÷ 有评价的工单"),
    "returns": ("退回率", "退回次数 ÷（转办件数＋退回次数），计分取 1 − 退回率"),
    "overdue": ("超期率", "超期办结或至今未办结 ÷ 有办理期限的工单，计分取 1 − 超期率"),
}
INVERTED = ("returns", "overdue")
DEFAULT_WEIGHTS = {
    "acceptance": 15,
    "completion": 30,
    "reply_quality": 15,
    "satisfaction": 20,
    "returns": 10,
    "overdue": 10,
}
DEFAULT_LOWEST = 3
REPLY_FLAGS = {"ok": "合格", "poor": "不合格", "": "未抽查"}


# --- the scheme ------------------------------------------------------------------------------------------------
def scheme(session: Session, region: str = "") -> dict:
    """The scheme that applies to a region: the most specific stored one whose region is a prefix of it."""
    rows = session.scalars(select(ScoreScheme)).all()
    best = max((r for r in rows if region.startswith(r.region)), key=lambda r: len(r.region), default=None)
    if best is None:
        return {
            "region": "",
            "weights": dict(DEFAULT_WEIGHTS),
            "lowest": DEFAULT_LOWEST,
            "updated_by": "",
            "default": True,
        }
    weights = {k: best.weights.get(k, 0) for k in COMPONENTS}
    return {
        "region": best.region,
        "weights": weights,
        "lowest": best.lowest,
        "updated_by": best.updated_by,
        "default": False,
    }


def set_scheme(session: Session, region: str, weights: dict, lowest: int, viewer, now: datetime | None = None) -> dict:
    """Store the scheme of a region (admin: any; supervisor: their own region or below)."""
    _check_region(viewer, region)
    bad = {k: "未知的评分项" for k in weights if k not in COMPONENTS}
    bad.update(
        {
            k: "权重须为0到100之间的数"
            for k, v in weights.items()
            if k in COMPONENTS and (isinstance(v, bool) or not isinstance(v, Real) or not 0 <= v <= 100)
        }
    )
    if not bad and sum(weights.get(k, 0) for k in COMPONENTS) <= 0:
        bad["weights"] = "权重之和须大于0"
    if not isinstance(lowest, int) or isinstance(lowest, bool) or not 1 <= lowest <= 20:
        bad["lowest"] = "通报的末位单位数须为1到20"
    if bad:
        raise StatsError("评分办法有误：" + "；".join(sorted(set(bad.values()))), details=bad)
    row = session.get(ScoreScheme, region) or ScoreScheme(region=region)
    row.weights = {k: float(weights.get(k, 0)) for k in COMPONENTS}
    row.lowest, row.updated_by, row.updated_at = lowest, viewer.username, now or utcnow()
    session.add(row)
    session.flush()
    return scheme(session, region)


def _check_region(viewer, region: str) -> None:
    if "admin" in viewer.roles:
        return
    own = getattr(viewer, "region", "") or ""
    if own and not region.startswith(own):
        raise OutOfScope(f"只能设置或查看本辖区（{own}）的评分办法和统计", details={"region": own})


# --- the scores ------------------------------------------------------------------------------------------------
def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _conditions(now: datetime) -> dict[str, tuple]:
    due_known = and_(WO.due_at.isnot(None), WO.reject_reason == "")
    late = or_(WO.completed_at > WO.due_at, and_(WO.completed_at.is_(None), WO.due_at < now))
    acceptance_due = or_(WO.accepted_at.isnot(None), and_(WO.state == "dispatched", WO.return_due < now))
    return {
        "acceptance": (WO.accepted_at <= WO.return_due, acceptance_due),
        "completion": (
            and_(due_known, WO.completed_at <= WO.due_at),
            and_(due_known, or_(WO.completed_at.isnot(None), WO.due_at < now)),
        ),
        "reply_quality": (WO.reply_flag == "ok", WO.reply_flag.in_(("ok", "poor"))),
        "satisfaction": (WO.rating.in_(GOOD_RATINGS), WO.rating != ""),
        "overdue": (and_(due_known, late), due_known),
    }


def _unit_rows(session: Session, period: Period, now: datetime) -> dict[int, dict]:
    start, end = period.bounds()
    conditions = _conditions(now)
    columns = [func.count()]
    for numerator, denominator in conditions.values():
        columns += [_count(numerator), _count(denominator)]
    rows = session.execute(
        select(WO.unit_id, *columns)
        .where(WO.unit_id.isnot(None), WO.dispatched_at >= start, WO.dispatched_at < end)
        .group_by(WO.unit_id)
    ).all()
    out: dict[int, dict] = {}
    for unit_id, orders, *values in rows:
        figures = {"orders": int(orders)}
        for i, name in enumerate(conditions):
            figures[name] = (int(values[2 * i]), int(values[2 * i + 1]))
        out[unit_id] = figures
    returns = session.execute(
        select(OrderReturn.unit_id, func.count())
        .where(OrderReturn.unit_id.isnot(None), OrderReturn.at >= start, OrderReturn.at < end)
        .group_by(OrderReturn.unit_id)
    ).all()
    for unit_id, n in returns:
        out.setdefault(unit_id, {"orders": 0, **{name: (0, 0) for name in conditions}})["returned"] = int(n)
    return out


def _components(figures: dict) -> dict[str, dict]:
    out = {}
    returned = figures.get("returned", 0)
    for name, (label, _) in COMPONENTS.items():
        if name == "returns":
            numerator, denominator = returned, figures["orders"] + returned
        else:
            numerator, denominator = figures[name]
        rate = ratio(numerator, denominator)
        value = None if rate is None else (1 - rate if name in INVERTED else rate)
        out[name] = {"label": label, "numerator": numerator, "denominator": denominator, "rate": rate}
        out[name]["value"] = None if value is None else round(value, 4)
    return out


def score_of(components: dict, weights: dict) -> float | None:
    """Weighted mean × 100 of the components that have data (None: no component has)."""
    used = [(weights.get(k, 0), c["value"]) for k, c in components.items() if c["value"] is not None]
    total = sum(w for w, _ in used)
    if not used or total <= 0:
        return None
    return round(100 * sum(w * v for w, v in used) / total, 1)


def bottom(ranked: list[dict], n: int) -> list[str]:
    """The names of the ``n`` lowest of a ranking, lowest first; never the whole ranking (the best is not named)."""
    n = min(n, len(ranked) - 1)
    return [i["name"] for i in reversed(ranked[len(ranked) - n :])] if n > 0 else []


def unit_scores(session: Session, period: Period, region_prefix: str = "", now: datetime | None = None) -> dict:
    """Every active unit of the region (by the unit's own region) with its components, score and ranks.

    ``regions``: per unit region, the units ranked (best first) and the lowest named (the region's scheme says how
    many); ``lowest``: the lowest of the whole scope.
    """
    now = now or utcnow()
    query = select(HandlingUnit).where(HandlingUnit.active.is_(True))
    if region_prefix:
        query = query.where(HandlingUnit.region.startswith(region_prefix, autoescape=True))
    units = session.scalars(query.order_by(HandlingUnit.id)).all()
    figures = _unit_rows(session, period, now)
    schemes: dict[str, dict] = {}
    items = []
    for unit in units:
        applied = schemes.setdefault(unit.region, scheme(session, unit.region))
        f = figures.get(unit.id)
        components = _components(f) if f else _components({"orders": 0, **{k: (0, 0) for k in COMPONENTS}})
        items.append(
            {
                "unit_id": unit.id,
                "name": unit.name,
                "region": unit.region,
                "orders": f["orders"] if f else 0,
                "returned": f.get("returned", 0) if f else 0,
                "components": components,
                "score": score_of(components, applied["weights"]) if f else None,
                "scheme_region": applied["region"],
            }
        )
    ranked = sorted((i for i in items if i["score"] is not None), key=lambda i: (-i["score"], i["name"]))
    for rank, item in enumerate(ranked, 1):
        item["rank"] = rank
    regions = []
    for region in sorted({i["region"] for i in items}):
        members = [i for i in ranked if i["region"] == region]
        for rank, item in enumerate(members, 1):
            item["region_rank"] = rank
        lowest = schemes[region]["lowest"]
        regions.append(
            {
                "region": region,
                "ranking": [i["unit_id"] for i in members],
                "lowest": bottom(members, lowest),
            }
        )
    overall = scheme(session, region_prefix)
    return {
        "period": period.as_dict(),
        "scope": {"region": region_prefix},
        "scheme": overall,
        "components": {k: {"label": label, "definition": text} for k, (label, text) in COMPONENTS.items()},
        "units": sorted(items, key=lambda i: (i.get("rank") or 10**6, i["name"])),
        "regions": regions,
        "lowest": bottom(ranked, overall["lowest"]),
    }


def public_bulletin(session: Session, period: Period, region_prefix: str = "", now: datetime | None = None) -> dict:
    """What is published (向社会公示): per ranked unit its name, region, score, rank and rates; nothing else."""
    scores = unit_scores(session, period, region_prefix, now)
    return {
        "period": scores["period"],
        "region": region_prefix,
        "components": {k: v["label"] for k, v in scores["components"].items()},
        "units": scored_units(scores),
        "lowest": scores["lowest"],
    }


def scored_units(scores: dict, *extra: str) -> list[dict]:
    """The units of ``unit_scores`` that have a score, each as rank, name, region, score, its components' rates and
    the ``extra`` fields asked for (e.g. "orders"), in ranking order."""
    return [
        {
            "rank": u.get("rank"),
            "name": u["name"],
            "region": u["region"],
            **{name: u[name] for name in extra},
            "score": u["score"],
            "rates": {k: c["rate"] for k, c in u["components"].items()},
        }
        for u in scores["units"]
        if u["score"] is not None
    ]


# --- reply quality ---------------------------------------------------------------------------------------------
def flag_reply(session: Session, number: str, viewer, flag: str, now: datetime | None = None) -> dict:
    """A supervisor's verdict on a unit's reply (抽查): "ok", "poor" or "" (not reviewed)."""
    if flag not in REPLY_FLAGS:
        raise StatsError("答复质量须为 ok（合格）或 poor（不合格）", details={"flag": list(REPLY_FLAGS)})
    order = load_order(session, number)
    if not viewer.has("supervisor") or not can_view(order, viewer):
        raise OutOfScope("无权评定该工单的答复质量")
    if order.unit_id is None or order.completed_at is None or order.dispatched_at is None:
        raise StatsError("只有承办单位已办结回复的工单可以评定答复质量", code="not_replied")
    before = order.reply_flag
    order.reply_flag = flag
    session.add(
        WorkOrderEvent(
            order_id=order.id,
            at=now or utcnow(),
            actor=viewer.username,
            action="reply_flag",
            from_state=order.state,
            to_state=order.state,
            note=f"答复质量：{REPLY_FLAGS[before]} → {REPLY_FLAGS[flag]}",
        )
    )
    return {"number": order.number, "reply_flag": flag, "reply_flag_label": REPLY_FLAGS[flag]}
