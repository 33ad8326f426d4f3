"""The work-order lifecycle as data: states, and for each action the states it may start from, where it leads
and who may take it. The service enforces this table; nothing else moves an order.

第十四条: 统一受理、即时答复、分类转办、动态跟踪、办结归档、抽查回访.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidTransition, WorkOrderError

TYPES = {"consultation": "信息咨询", "suggestion": "意见建议", "complaint": "投诉举报"}
# 第二条
DOMAINS = ("公路", "水路", "道路运输", "城市客运", "海事", "救助打捞", "海上搜救", "其他")
# 第二十一条: matters of the ministry's own maritime / salvage services go to the province center
PROVINCE_DOMAINS = ("海事", "救助打捞", "海上搜救")

STATES = {
    "received": "已受理",
    "classified": "已分类待转办",
    "rejected": "不予受理",
    "answered": "即时答复",
    "escalated": "已报请上级",
    "dispatched": "已转办",
    "returned": "已退回",
    "in_progress": "办理中",
    "extension_requested": "延期申请中",
    "replied": "已办结回复",
    "callback_done": "已回访",
    "archived": "已归档",
}

# 第十九条: the six grounds for not accepting a matter
REJECT_REASONS = {
    "out_of_scope": "不涉及交通运输主管部门及其内设机构、直属单位、派出机构职责范围",
    "no_object_facts_reason": "投诉举报没有明确的对象、事实和理由",
    "other_procedure": "须通过诉讼、仲裁、纪检监察、行政复议、政府信息公开等程序解决",
    "petition": "已进入信访渠道",
    "secret_or_privacy": "涉及国家秘密、商业秘密、个人隐私",
    "public_order": "违反社会公序良俗",
}
# 第二十四条
EXTENSION_REASONS = {
    "complex": "情形复杂，涉及多方主体",
    "evidence": "调查取证困难",
    "other": "其他需要延长办理期限的情形",
}
RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
CALLBACK_RESULTS = {**RATINGS, "unreachable": "无法联系"}

OPEN_STATES = ("received", "classified", "escalated", "dispatched", "returned", "in_progress", "extension_requested")
HANDLING_STATES = ("dispatched", "in_progress", "extension_requested")
COMPLETED_STATES = ("answered", "replied", "callback_done", "archived")


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("classify", "审核分类", ("received", "classified"), "classified", ("operator",)),
        Transition("answer", "即时答复", ("received", "classified"), "answered", ("operator",)),
        Transition("reject", "不予受理", ("received", "classified"), "rejected", ("operator",)),
        Transition("escalate", "报请上级协调", ("received", "classified", "returned"), "escalated", ("operator",)),
        Transition("dispatch", "转办", ("classified", "returned", "escalated"), "dispatched", ("operator",)),
        Transition("return", "退回", ("dispatched",), "returned", ("unit",)),
        Transition("accept", "签收办理", ("dispatched",), "in_progress", ("unit",)),
        Transition("request_extension", "申请延期", ("in_progress",), "extension_requested", ("unit",)),
        Transition("approve_extension", "批准延期", ("extension_requested",), "in_progress", ("supervisor",)),
        Transition("deny_extension", "驳回延期", ("extension_requested",), "in_progress", ("supervisor",)),
        Transition("reply", "办结回复", ("in_progress",), "replied", ("unit",)),
        Transition("callback", "回访", ("answered", "replied"), "callback_done", ("operator",)),
        Transition("archive", "归档", ("answered", "replied", "callback_done", "rejected"), "archived", ("operator",)),
    )
}


def check_transition(action: str, state: str) -> Transition:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkOrderError(f"未知操作：{action}", code="unknown_action")
    if state not in transition.sources:
        allowed = "、".join(STATES[s] for s in transition.sources)
        raise InvalidTransition(
            f"工单当前状态为“{STATES[state]}”，不能执行“{transition.label}”（仅限：{allowed}）",
            details={"state": state, "action": action},
        )
    return transition


def actions_from(state: str) -> list[str]:
    return [a for a, t in TRANSITIONS.items() if state in t.sources]
