"""What the bot and the staff notices say about deadlines: worded once (work_orders/messages.py), numbers from
work_orders/deadlines.py, dates from the working-day calendar (National Day 2026 as the hard case)."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hotline.clock import CHINA
from hotline.db import Database
from work_orders import deadlines, messages
from work_orders.calendar import WorkCalendar
from work_orders.service import System, WorkOrders

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 9, 30, 15, 0, tzinfo=CHINA)  # the afternoon before National Day


def cn(*args) -> datetime:
    return datetime(*args, tzinfo=CHINA)


@pytest.fixture
def cal():
    return WorkCalendar()


@pytest.fixture
def orders(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'wo.db'}")
    db.migrate()
    return WorkOrders(db, callback_sample_rate=0)


def registered(orders, order_type, **over):
    order, _ = orders.create(
        {"order_type": order_type, "channel": "web", "facts": "出租车拒载", "caller_user": "web:m1", **over}, now=T0
    )
    return order


def test_complaint_registered_before_national_day_gets_the_right_date(orders, cal):
    order = registered(orders, "complaint")
    # README: received 2026-09-30 15:00 -> dispatch due 2026-10-08 15:00 (24 working hours, 第十七条) ...
    assert order["dispatch_due"] == "2026-10-08T15:00:00+08:00"
    due = messages.answer_due(order, cal)
    # ... and 10 working days from 8 October: 9, 10 (the adjusted Saturday), 12-16, 19, 20, 21 October
    assert due == deadlines.handling_due(cn(2026, 10, 8, 15), "complaint", cal)
    assert messages.iso_text(due) == "2026-10-21T23:59:59+08:00"
    assert messages.day_text(due) == "10月21日（周三）"
    text = messages.intake_registered(order, due, safety=False)
    assert text.startswith(
        f"已为您登记投诉举报工单，编号 {order['number']}。我们将在24小时内（节假日顺延）转交承办单位，"
    )
    assert "承办单位在接到后10个工作日内回复办理意见（管理办法第二十三条）" in text
    assert "最迟将于10月21日（周三）前答复您" in text
    assert text.endswith(f"查询进度请发送“查询工单 {order['number']}”。")
    assert messages.work_order_meta(order, due) == {
        "number": order["number"],
        "type": "complaint",
        "state": "received",
        "deadline": "2026-10-21T23:59:59+08:00",
        "deadline_text": "10月21日（周三）前答复（转办后10个工作日内，管理办法第二十三条）",
    }


@pytest.mark.parametrize(
    "order_type, day",
    [
        ("consultation", "10月12日（周一）"),  # 3 working days from 8 October: 9, 10 (worked in lieu), 12
        ("suggestion", "10月14日（周三）"),
    ],
)
def test_other_types_before_national_day(orders, cal, order_type, day):
    due = messages.answer_due(registered(orders, order_type), cal)
    assert messages.day_text(due) == day


def test_safety_matter_is_dispatched_at_once_so_the_answer_comes_sooner(orders, cal):
    order = registered(orders, "complaint", safety=True)
    due = messages.answer_due(order, cal)
    assert messages.iso_text(due) == "2026-10-20T23:59:59+08:00"  # counted from 30 September (第二十一条)
    text = messages.intake_registered(order, due, safety=True)
    assert "涉及安全隐患，已标记为紧急，将立即转交" in text and "24小时" not in text
    assert "最迟将于10月20日（周二）前答复您" in text


def test_a_dispatched_order_quotes_its_stored_deadline(orders, cal):
    order = registered(orders, "consultation")
    unit = orders.add_unit("新乡市出租汽车管理处", "河南省新乡市", ["城市客运"])
    orders.act(order["number"], "classify", System(), now=T0)
    dispatched = orders.act(order["number"], "dispatch", System(), {"unit_id": unit["id"]}, now=T0)
    # dispatched at once: 3 working days from 30 September (8, 9, 10 October), not from the dispatch deadline
    assert messages.iso_text(messages.answer_due(dispatched, cal)) == "2026-10-10T23:59:59+08:00"


def test_numbers_follow_the_deadlines_module(monkeypatch):
    monkeypatch.setitem(deadlines.HANDLING_DAYS, "consultation", 2)
    monkeypatch.setattr(deadlines, "DISPATCH_HOURS", 12)
    monkeypatch.setattr(deadlines, "MAX_EXTENSION_DAYS", 7)
    monkeypatch.setattr(deadlines, "CALLBACK_DAYS", 4)
    monkeypatch.setattr(deadlines, "RETURN_HOURS", 8)
    assert messages.leave_question_button() == "登记咨询工单（2个工作日内答复）"
    assert messages.dispatch_promise(False) == "我们将在12小时内（节假日顺延）转交承办单位"
    assert messages.extension_days_invalid() == "延期天数须为1至7个工作日"
    assert messages.extension_days_range() == "1-7"
    assert messages.callback_overdue("X1") == "工单X1办结已超过4个工作日仍未回访（第二十九条）"
    assert messages.dispatch_overdue("X1", "已受理") == "工单X1超过12小时未转办（已受理）"
    assert messages.return_window_closed(cn(2026, 10, 8, 16)).startswith(
        "退回须在转办后8小时内（非工作日顺延）提出，已于2026年10月08日16:00截止；"
    )


def test_todays_wording_is_kept():
    assert messages.leave_question_button() == "登记咨询工单（3个工作日内答复）"
    assert messages.extension_days_invalid() == "延期天数须为1至10个工作日"
    assert messages.callback_overdue("X1") == "工单X1办结已超过5个工作日仍未回访（第二十九条）"
    assert messages.dispatch_overdue_note() == "超过24小时未转办"
    assert messages.due_soon("X1", timedelta(hours=24)) == "工单X1将在24小时内到期，请及时办结回复"
    assert messages.moment_text(datetime(2026, 10, 8, 7, 0)) == "2026年10月08日15:00"  # naive = UTC (SQLite)


# --- the rule holds: no other module spells out a time limit ------------------------------------------------
RULE = re.compile(r"\d+\s*个?工作日|\d+\s*小时内")
# not rules of the 管理办法: the 12345 simulator's own texts, WeChat's 48-hour customer-service window
EXEMPT = {"work_orders/messages.py", "sim12345/data.py", "channels/wechat/api.py"}
PACKAGES = (
    "accounts",
    "bot",
    "channels",
    "hotline",
    "knowledge_base",
    "sync",
    "webapp",
    "work_orders",
    "sim12345",
    "stats",
    "supervision",
    "reports",
)


def _string_literals(path: Path):
    """Every string constant of a module (f-string parts included), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_reply_copies_a_time_limit():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in EXEMPT:
                continue
            found += [f"{rel}:{line}: {text[:60]}" for line, text in _string_literals(path) if RULE.search(text)]
    domain = (ROOT / "bot" / "domain.yml").read_text(encoding="utf-8")
    found += [f"bot/domain.yml: {m.group(0)}" for m in RULE.finditer(domain)]
    assert found == [], "word these in work_orders/messages.py with the numbers of work_orders/deadlines.py"


def test_the_guard_would_see_a_copy(tmp_path):
    copy = tmp_path / "copy.py"
    copy.write_text('"""Docstrings may say 3个工作日."""\nX = f"将在3个工作日内答复{1}"\n', encoding="utf-8")
    assert [text for _, text in _string_literals(copy) if RULE.search(text)] == ["将在3个工作日内答复"]
