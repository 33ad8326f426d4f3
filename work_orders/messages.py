"""What the hotline says about the 管理办法's time limits, worded in one place.

Every reply, notice and error that states a limit ("10个工作日", "24小时") takes the number from
``work_orders.deadlines`` and, where a date is known, quotes the date computed on the working-day calendar,
so a changed rule or a holiday never leaves a reply promising something else. Free of Flask and Rasa: the
bot's actions, the work-order service and the SLA sweep all call these functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.clock import china_time

from . import deadlines
from .calendar import WorkCalendar
from .lifecycle import TYPES

WEEKDAYS = "一二三四五六日"


# --- dates ---------------------------------------------------------------------------------------------
def moment_text(moment: datetime | None) -> str:
    """A deadline to the minute, China time: 2026年10月08日15:00 (staff notices, caller notices)."""
    return china_time(moment).strftime("%Y年%m月%d日%H:%M") if moment else ""


def day_text(moment: datetime) -> str:
    """The day of a deadline that ends at 23:59, China time: 10月21日（周三）."""
    local = china_time(moment)
    return f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）"


def iso_text(moment: datetime) -> str:
    """ISO 8601 in China time to the second: 2026-10-21T23:59:59+08:00."""
    return china_time(moment).isoformat(timespec="seconds")


def answer_due(order: dict, cal: WorkCalendar) -> datetime:
    """The latest moment by which the caller gets an answer to a registered order.

    A dispatched order stores its handling deadline (``due_at``). One that is not dispatched yet has only its
    dispatch deadline; the unit then has the handling days of 第二十三条 from that day on, so the latest answer
    is the handling deadline counted from the dispatch deadline.
    """
    if order.get("due_at"):
        return datetime.fromisoformat(order["due_at"])
    return deadlines.handling_due(datetime.fromisoformat(order["dispatch_due"]), order["order_type"], cal)


# --- rules as phrases ----------------------------------------------------------------------------------
def handling_limit(order_type: str) -> str:
    """第二十三条: 信息咨询 3, 意见建议 5, 投诉举报 10 working days."""
    return f"{deadlines.HANDLING_DAYS[order_type]}个工作日"


def dispatch_promise(safety: bool) -> str:
    if safety:  # 第二十一条
        return "您反映的情况涉及安全隐患，已标记为紧急，将立即转交交通运输主管部门处理"
    return f"我们将在{deadlines.DISPATCH_HOURS}小时内（节假日顺延）转交承办单位"  # 第十七条


def leave_question_button() -> str:
    return f"登记咨询工单（{handling_limit('consultation')}内答复）"


def time_limits(order_type: str) -> str:
    """How long an order being registered takes, said to a caller who asks mid-form ("要几天能处理")."""
    return (
        f"登记后{deadlines.DISPATCH_HOURS}小时内（节假日顺延）转交承办单位，承办单位在接到后{handling_limit(order_type)}"
        "内回复办理意见（管理办法第二十三条）；登记完成时会告诉您最迟的答复日期。"
    )


# --- replies to the caller -----------------------------------------------------------------------------
def deadline_text(order_type: str, due: datetime) -> str:
    """The readable deadline of /api/chat's ``work_order.deadline_text``."""
    return f"{day_text(due)}前答复（转办后{handling_limit(order_type)}内，管理办法第二十三条）"


def intake_registered(order: dict, due: datetime, safety: bool) -> str:
    """A complaint or suggestion confirmed in the chat has become a work order."""
    number = order["number"]
    return (
        f"已为您登记{TYPES[order['order_type']]}工单，编号 {number}。{dispatch_promise(safety)}，"
        f"承办单位在接到后{handling_limit(order['order_type'])}内回复办理意见（管理办法第二十三条），"
        f"最迟将于{day_text(due)}前答复您。查询进度请发送“查询工单 {number}”。"
    )


def already_registered(work_order: dict) -> str:
    """A second "确认" right after the order was registered: the same order, nothing filed twice."""
    number = work_order["number"]
    return (
        f"您的{TYPES[work_order['type']]}已经登记，不会重复登记。工单编号 {number}，{work_order['deadline_text']}。"
        f"查询进度请发送“查询工单 {number}”。"
    )


def consultation_registered(order: dict, due: datetime) -> str:
    """A question the knowledge base could not answer has become a consultation order."""
    number = order["number"]
    return (
        f"已登记咨询工单，编号 {number}，相关单位将在{handling_limit('consultation')}内答复"
        f"（管理办法第二十三条），最迟将于{day_text(due)}前答复您。查询进度请发送“查询工单 {number}”。"
        + ("" if order.get("caller_phone") else "如需工作人员电话答复，请直接发送您的手机号。")
    )


def status_next_step(
    state: str, order_type: str, dispatch_due: datetime | None, due_at: datetime | None, safety: bool = False
) -> str:
    """What happens next to a caller's order, with its deadline (the status look-up); "" once it is answered."""
    if state in ("received", "classified", "escalated", "returned"):
        if safety:
            return dispatch_promise(True)
        when = f"将于{moment_text(dispatch_due)}前" if dispatch_due else f"将在{deadlines.DISPATCH_HOURS}小时内"
        return f"{when}转交承办单位，承办单位接到后{handling_limit(order_type)}内答复您（管理办法第二十三条）"
    if state in ("dispatched", "in_progress") and due_at:
        return f"承办单位正在办理，最迟将于{day_text(due_at)}前答复您"
    if state == "extension_requested" and due_at:
        return f"承办单位已申请延期，原定{day_text(due_at)}前答复，审批后以新的期限为准，届时会告知您"
    return ""


def work_order_meta(order: dict, due: datetime) -> dict:
    """The ``work_order`` of /api/chat (and the mini-program's chat): ``deadline`` is the latest answer as an
    ISO 8601 date-time in China time, ``deadline_text`` the same in words."""
    return {
        "number": order["number"],
        "type": order["order_type"],
        "state": order["state"],
        "deadline": iso_text(due),
        "deadline_text": deadline_text(order["order_type"], due),
    }


# --- staff: errors and notices -------------------------------------------------------------------------
def return_window_closed(return_due: datetime) -> str:
    return (
        f"退回须在转办后{deadlines.RETURN_HOURS}小时内（非工作日顺延）提出，已于{moment_text(return_due)}截止；"
        "请按期办理，或说明情况申请延期"
    )


def extension_days_range() -> str:
    return f"1-{deadlines.MAX_EXTENSION_DAYS}"


def extension_days_invalid() -> str:
    return f"延期天数须为1至{deadlines.MAX_EXTENSION_DAYS}个工作日"  # 第二十四条


def due_soon(number: str, within: timedelta) -> str:
    return f"工单{number}将在{_hours(within)}小时内到期，请及时办结回复"


def dispatch_overdue_note() -> str:
    return f"超过{deadlines.DISPATCH_HOURS}小时未转办"


def dispatch_overdue(number: str, state_label: str) -> str:
    return f"工单{number}{dispatch_overdue_note()}（{state_label}）"


def callback_overdue(number: str) -> str:
    return f"工单{number}办结已超过{deadlines.CALLBACK_DAYS}个工作日仍未回访（第二十九条）"


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return str(int(hours)) if hours == int(hours) else f"{hours:g}"
