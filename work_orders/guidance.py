"""What the console tells staff about an order beyond its fields, computed from the order alone (no I/O):

- ``summary_title``: a title that says object + matter (“浙A·T1234出租车：拒载”), not the caller's first message;
- ``classification_hint``: the domain and region the order already implies (the place named in it, or the
  region of the location the caller shared), so that classification is a confirmation, not typing;
- ``blocked_actions``: the actions the lifecycle offers in this state that the service would still refuse, with
  the reason (archive before the callback: “须先完成回访”), so the page never offers what will fail;
- ``awaiting``: whom and what a waiting order waits for.
"""

from __future__ import annotations

import re
from datetime import datetime

from hotline.clock import aware, china_time
from hotline.privacy import mask_pii

# the matter of a complaint, as staff name it, and the words callers use for it
MATTERS = (
    ("拒载", ("拒载", "不拉", "拒绝载客", "不载")),
    ("绕路", ("绕路", "绕道", "故意绕")),
    ("不打表", ("不打表", "不打计价器", "议价")),
    ("多收费", ("多收", "乱收费", "多要", "加价", "宰客", "高价", "收费过高")),
    ("甩站", ("甩站", "不停靠", "不进站", "过站不停", "不停车")),
    ("拒绝刷卡扫码", ("不让刷卡", "拒绝刷卡", "不让扫码", "拒绝扫码", "只收现金")),
    ("服务态度差", ("态度", "辱骂", "骂人", "恶语", "不耐烦")),
    ("危险驾驶", ("玩手机", "打电话", "超速", "闯红灯", "危险驾驶", "疲劳驾驶", "开得太快", "急刹")),
    ("车内吸烟", ("抽烟", "吸烟")),
    ("超员超载", ("超载", "超员", "人太多")),
    ("车辆脏乱", ("脏", "异味", "卫生")),
    ("班次延误", ("延误", "晚点", "误点")),
    ("停运", ("停运", "不发车", "停班")),
    ("退票退款", ("退票", "退款", "退费")),
    ("道路损坏", ("坑", "塌陷", "破损", "积水")),
    ("违规执法", ("乱罚款", "乱罚", "执法", "扣车")),
)
LEAD_IN = re.compile(r"^(?:我要|我想|想)?(?:投诉|举报|反映|建议)(?:一下)?[:：，,\s]*")
CLAUSE_END = re.compile(r"[，,。！!？?；;\n]")


def matter(text: str) -> str:
    """The matter a caller's words name, or their first clause (at most 20 characters)."""
    for label, words in MATTERS:
        if any(w in text for w in words):
            return label
    first = CLAUSE_END.split(LEAD_IN.sub("", (text or "").strip()), maxsplit=1)[0].strip()
    return first[:20]


def summary_title(target: str, facts: str, fallback: str = "意见建议") -> str:
    """Object + matter: “浙A·T1234出租车：拒载”; without an object the matter alone; phone and ID numbers masked."""
    target = mask_pii((target or "").strip())[:60]
    what = mask_pii(matter(facts or ""))
    if target and what and what not in target:
        return f"{target}：{what}"[:200]
    return (target or what or fallback)[:200]


def classification_hint(order) -> dict:
    """The domain and region the order already says: its domain if set, else one from the object and the facts;
    the most specific place it names (title, location, facts), inside the region it came with (the caller's
    shared location) if that is broader; else that region."""
    from knowledge_base.regions import search_regions  # the place gazetteer (GB/T 2260), loaded on first use

    from .intake import classify_domain  # intake titles its orders with summary_title: import it late

    domain = order.domain if order.domain and order.domain != "其他" else ""
    if not domain:
        by_target = classify_domain(order.target or "")
        domain = by_target if by_target != "其他" else classify_domain(" ".join((order.title, order.facts)))
    text = " ".join(t for t in (order.location, order.title, order.target, order.facts) if t)
    choice = search_regions(text, shared=order.region or None)
    region, source = order.region or "", "工单登记的地区" if order.region else ""
    if choice.regions and choice.source == "question":
        named = choice.regions[0] if len(choice.regions) == 1 else ""
        if named and (not region or (named.startswith(region) and named != region)):
            region, source = named, "工单中提到的“" + "、".join(choice.named) + "”"
    return {"domain": domain or "其他", "region": region, "region_source": source}


def blocked_actions(order, now: datetime) -> dict[str, str]:
    """Actions of this state the service would refuse now, each with the reason it gives."""
    blocked = {}
    if order.state in ("answered", "replied") and order.callback_required:
        blocked["archive"] = "须先完成回访（第二十九条）才能归档"
    if order.state == "in_progress":
        if order.extension_used:
            blocked["request_extension"] = "延期只能申请一次（第二十四条）"
        elif order.due_at is not None and now > aware(order.due_at):
            blocked["request_extension"] = "办理期限已届满，不能再申请延期"
    if order.state == "dispatched" and order.return_due is not None and now > aware(order.return_due):
        blocked["return"] = f"退回期限（{_hm(order.return_due)}）已过，只能签收办理"
    return blocked


def awaiting(order) -> str:
    """Whom a waiting order waits for, and until when."""
    state = order.state
    if state == "received":
        return "等待话务座席审核分类" + (f"（转办期限 {_hm(order.dispatch_due)}）" if order.dispatch_due else "")
    if state in ("classified", "returned"):
        return "等待话务座席转办承办单位" + (f"（转办期限 {_hm(order.dispatch_due)}）" if order.dispatch_due else "")
    if state == "escalated":
        return "等待上级协调后转办"
    if state == "dispatched":
        return "等待承办单位签收" + (f"（可退回至 {_hm(order.return_due)}）" if order.return_due else "")
    if state == "in_progress":
        return "等待承办单位办结回复" + (f"（办理期限 {_hm(order.due_at)}）" if order.due_at else "")
    if state == "extension_requested":
        return f"等待督办人员审批延期申请（申请延期{order.extension_days}个工作日）"
    if state in ("answered", "replied"):
        if order.callback_required:
            return "等待话务座席回访来电人" + (f"（回访期限 {_hm(order.callback_due)}）" if order.callback_due else "")
        return "等待话务座席归档"
    if state in ("callback_done", "rejected"):
        return "等待话务座席归档"
    return ""


def _hm(value: datetime | None) -> str:
    return china_time(value).strftime("%m月%d日 %H:%M") if value is not None else ""
