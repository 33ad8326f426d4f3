"""What a report says: the data snapshot of its period (figures from ``stats``, high-frequency matters from
``supervision``, the problem list's state, unit scores) and the narrative sections written from the figures in
Chinese (概述, 主要问题, 工作建议), which an analyst edits before sending.

The snapshot is plain JSON (stored in each version): a report renders the same whenever it is downloaded, even
after the orders change. Texts that come from callers (a topic's examples) are masked (phone and ID numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.clock import CHINA, china_time, utcnow
from hotline.privacy import mask_pii
from stats import metrics, scores
from stats.periods import Period
from supervision.models import Problem, ProblemOrder
from supervision.problems import STATES as PROBLEM_STATES
from supervision.scope import region_filter
from work_orders.deadlines import DISPATCH_HOURS

KINDS = {"monthly": "月报", "annual": "年报", "special": "专报"}
SECTIONS = {"overview": "概述", "problems": "主要问题", "suggestions": "工作建议"}
TOP_TOPICS = 10
OPEN_PROBLEMS_SHOWN = 20
# below these a rate is named as a problem and answered with a suggestion
THRESHOLDS = {"completed_on_time": 0.9, "dispatch_on_time": 0.95, "satisfaction": 0.85, "callback_on_time": 0.9}
SCHEMA = 1  # the snapshot's layout; bump when the keys change

TopicsFn = Callable[[datetime, datetime, str], dict]


def region_label(region: str) -> str:
    return region or "全辖区"


def period_label(kind: str, start: date, end: date) -> str:
    if kind == "monthly":
        return f"{start.year}年{start.month}月"
    if kind == "annual":
        return f"{start.year}年"
    if start.year == end.year:
        return f"{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日"
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


def default_title(kind: str, start: date, end: date, region: str, subject: str = "") -> str:
    base = f"{region_label(region)}12328交通运输服务监督热线{period_label(kind, start, end)}"
    if kind == "special":
        return f"{base}{subject}专报" if subject else f"{base}专报"
    return base + KINDS[kind]


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def change(value: float | None) -> str:
    if value is None:
        return "无可比数据"
    if value == 0:
        return "持平"
    return f"{'增长' if value > 0 else '下降'}{abs(value) * 100:.1f}%"


def china_text(moment: str | datetime | None) -> str:
    """An ISO moment as China time to the minute."""
    if not moment:
        return ""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    return china_time(value).strftime("%Y-%m-%d %H:%M")


# --- the data snapshot -----------------------------------------------------------------------------------------
def _problems(session: Session, region: str, start: date, end: date) -> dict:
    lo = datetime.combine(start, time(), CHINA)
    hi = datetime.combine(end + timedelta(days=1), time(), CHINA)
    in_region = region_filter(Problem.region, region)
    by_state = dict(session.execute(select(Problem.state, func.count()).where(in_region).group_by(Problem.state)).all())
    linked = (
        select(ProblemOrder.problem_id, func.count().label("n")).group_by(ProblemOrder.problem_id).subquery("linked")
    )
    open_rows = session.execute(
        select(Problem, func.coalesce(linked.c.n, 0))
        .outerjoin(linked, linked.c.problem_id == Problem.id)
        .where(in_region, Problem.state.in_(["listed", "supervising"]))
        .order_by(Problem.created_at)
        .limit(OPEN_PROBLEMS_SHOWN)
    ).all()
    new = session.scalar(select(func.count()).where(in_region, Problem.created_at >= lo, Problem.created_at < hi))
    closed = session.scalar(
        select(func.count()).where(
            in_region, Problem.closed_at >= lo, Problem.closed_at < hi, Problem.state == "closed"
        )
    )
    return {
        "by_state": [{"state": k, "label": v, "count": int(by_state.get(k, 0))} for k, v in PROBLEM_STATES.items()],
        "new_in_period": int(new or 0),
        "closed_in_period": int(closed or 0),
        "open": [
            {
                "id": p.id,
                "title": mask_pii(p.title),
                "region": p.region,
                "state": p.state,
                "state_label": PROBLEM_STATES.get(p.state, p.state),
                "orders": int(n),
                "created_at": china_text(p.created_at),
            }
            for p, n in open_rows
        ],
    }


def _scores(session: Session, period: Period, region: str, now: datetime) -> dict:
    result = scores.unit_scores(session, period, region, now)
    return {
        "scheme": {"weights": result["scheme"]["weights"], "lowest": result["scheme"]["lowest"]},
        "components": {k: v["label"] for k, v in result["components"].items()},
        "units": scores.scored_units(result, "orders"),
        "lowest": result["lowest"],
    }


def _topics(topics_fn: TopicsFn | None, start: date, end: date, region: str) -> dict:
    if topics_fn is None:
        return {"available": False, "reason": "未配置语义归类（向量模型），本期未列高频事项", "items": []}
    lo = datetime.combine(start, time(), CHINA)
    hi = datetime.combine(end + timedelta(days=1), time(), CHINA)
    try:
        found = topics_fn(lo, hi, region)
    except Exception as exc:  # the figures still make a report: the section says why it is empty
        reason = getattr(exc, "message", "") or "高频事项归类失败"
        return {"available": False, "reason": reason, "items": []}
    items = []
    for t in found.get("topics", [])[:TOP_TOPICS]:
        items.append(
            {
                "label": t["label"],
                "keywords": t.get("keywords", []),
                "count": t["count"],
                "previous": t.get("previous", 0),
                "growth": t.get("growth"),
                "examples": [mask_pii(e) for e in t.get("examples", [])][:3],
                "places": [p.get("name", p.get("value", "")) for p in t.get("places", [])][:3],
                "targets": [mask_pii(x.get("name", x.get("value", ""))) for x in t.get("targets", [])][:3],
            }
        )
    return {"available": True, "reason": "", "total": found.get("total", 0), "items": items}


def build_data(
    session: Session,
    kind: str,
    start: date,
    end: date,
    region: str = "",
    domain: str = "",
    now: datetime | None = None,
    topics_fn: TopicsFn | None = None,
) -> dict:
    """The snapshot a version stores: every figure the report shows, JSON-ready."""
    now = now or utcnow()
    period = Period(start, end)
    figures = metrics.compute(session, start, end, region, domain or None, now=now)
    return {
        "schema": SCHEMA,
        "kind": kind,
        "kind_label": KINDS[kind],
        "region": region,
        "region_label": region_label(region),
        "domain": domain,
        "period_label": period_label(kind, start, end),
        "generated_at": china_text(now),
        "metrics": figures,
        "definitions": metrics.definitions(),
        "topics": _topics(topics_fn, start, end, region),
        "problems": _problems(session, region, start, end),
        "scores": _scores(session, period, region, now),
    }


# --- the narrative ---------------------------------------------------------------------------------------------
def _share(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def overview(data: dict) -> str:
    m = data["metrics"]
    total = m["total"]
    scope = data["region_label"] + (f"{data['domain']}领域" if data["domain"] else "")
    parts = [
        f"{data['period_label']}，{scope}12328热线共受理群众诉求{total['count']}件，"
        f"环比{change(total['mom'])}（上期{total['previous']}件），同比{change(total['yoy'])}（去年同期{total['last_year']}件）。"
    ]
    types = [
        f"{t['label']}{t['count']}件（占{_share(t['count'], total['count'])}）" for t in m["by_type"] if t["count"]
    ]
    if types:
        parts.append("其中" + "，".join(types) + "。")
    domains = [d for d in m["by_domain"] if d["count"]][:3]
    if domains:
        parts.append("按业务领域，" + "、".join(f"{d['label']}{d['count']}件" for d in domains) + "居前。")
    channels = [c for c in m["by_channel"] if c["count"]][:3]
    if channels:
        parts.append("受理渠道以" + "、".join(f"{c['label']}（{c['count']}件）" for c in channels) + "为主。")
    r = m["rates"]
    parts.append(
        f"按时转办率{pct(r['dispatch_on_time']['rate'])}，按期办结率{pct(r['completed_on_time']['rate'])}，"
        f"即时答复率{pct(r['instant_answer']['rate'])}，按期回访率{pct(r['callback_on_time']['rate'])}，"
        f"满意率{pct(r['satisfaction']['rate'])}。"
    )
    a = m.get("assistant") or {}
    if a.get("questions") or a.get("refused") or a.get("handoffs"):
        parts.append(
            f"智能助手本期接待网页提问{a.get('questions', 0)}次，引用知识库答复{a.get('answered', 0)}次，"
            f"未能答复{a.get('refused', 0)}次，转人工{a.get('handoffs', 0)}次。"
        )
    return "".join(parts)


def problems_text(data: dict) -> str:
    m, lines = data["metrics"], []
    topics = data["topics"]
    if topics["items"]:
        top = topics["items"][:3]
        named = "；".join(
            f"“{t['label']}”{t['count']}件"
            + (f"（环比{change(t['growth'])}）" if t.get("growth") is not None else "（新出现）")
            for t in top
        )
        lines.append(f"一是高频事项集中：{named}。")
    r = m["rates"]
    weak = [
        f"{r[name]['label']}{pct(r[name]['rate'])}（低于{threshold * 100:.0f}%）"
        for name, threshold in THRESHOLDS.items()
        if r[name]["rate"] is not None and r[name]["rate"] < threshold
    ]
    if weak:
        lines.append(f"{_ordinal(len(lines))}是办理质效有待提升：" + "，".join(weak) + "。")
    overdue, repeat = r["overdue"], r["repeat_complaints"]
    if overdue["numerator"]:
        lines.append(
            f"{_ordinal(len(lines))}是超期办理{overdue['numerator']}件，超期率{pct(overdue['rate'])}；"
            f"重复投诉{repeat['numerator']}件。"
        )
    lowest = data["scores"]["lowest"]
    if lowest:
        lines.append(f"{_ordinal(len(lines))}是承办单位考核得分末位：" + "、".join(lowest) + "。")
    p = data["problems"]
    open_count = sum(s["count"] for s in p["by_state"] if s["state"] != "closed")
    if open_count:
        lines.append(
            f"{_ordinal(len(lines))}是问题清单尚有{open_count}项未销号（本期新列入{p['new_in_period']}项，"
            f"销号{p['closed_in_period']}项）。"
        )
    return "\n".join(lines) if lines else "本期未发现突出问题。"


def suggestions_text(data: dict) -> str:
    m, lines = data["metrics"], []
    r = m["rates"]
    topics = data["topics"]["items"]
    growing = [t for t in topics if t.get("growth") is None or t["growth"] >= 0.5][:2]
    if growing:
        lines.append(
            "对"
            + "、".join(f"“{t['label']}”" for t in growing)
            + "等增长较快的高频事项开展专项分析，必要时列入问题清单集中整治。"
        )
    if r["completed_on_time"]["rate"] is not None and r["completed_on_time"]["rate"] < THRESHOLDS["completed_on_time"]:
        lines.append("督促承办单位严格落实办理时限，对超期工单逐件督办，按期办结率纳入考核。")
    if r["dispatch_on_time"]["rate"] is not None and r["dispatch_on_time"]["rate"] < THRESHOLDS["dispatch_on_time"]:
        lines.append(f"优化分类转办流程，确保工单在{DISPATCH_HOURS}小时内转办。")
    if r["satisfaction"]["rate"] is not None and r["satisfaction"]["rate"] < THRESHOLDS["satisfaction"]:
        lines.append("加强答复质量抽查，对不满意工单开展回访复核。")
    if r["repeat_complaints"]["numerator"]:
        lines.append("对重复投诉事项核查首次办理情况，推动从个案办理向类案治理转变。")
    lowest = data["scores"]["lowest"]
    if lowest:
        lines.append("对" + "、".join(lowest) + "等得分末位单位进行通报并约谈督导。")
    lines.append("持续完善知识库，提高智能助手和座席即时答复能力。")
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def _ordinal(n: int) -> str:
    return "一二三四五六七八九十"[min(n, 9)]


def narrative(data: dict) -> dict:
    """The three sections written from the figures (the analyst edits them)."""
    return {"overview": overview(data), "problems": problems_text(data), "suggestions": suggestions_text(data)}
