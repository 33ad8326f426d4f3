"""The conversation suite (issue 15, item 8): multi-turn conversations as citizens and truck drivers hold them,
over the real bot and app processes, on the web chat (/api/chat) and through the WeChat simulator.

Conversations live in tests/data/conversations/{dev,holdout}.yml (holdout: never used for tuning). Each has an
``id``, a ``category``, an optional ``channel`` (web | wechat) and ``turns``; one turn is one of

- ``say: 文字`` — what the user types (on the web also a button payload as the page sends it, e.g. ``/handoff``);
- ``location: 标签`` / ``event: subscribe`` / ``click: COMPLAIN`` — WeChat messages and events;
- ``fill: {field: answer, ...}`` — answer whatever the open form asks, field by field (target, facts,
  occurred_at, location, demand, caller_phone, identity), until the read-back or a question the script has no
  answer for; at most 8 turns (a field asked again gets the same answer again). It fails if the form asks none
  of the scripted fields. The turn's checks apply to the last reply.

and carries checks on the bot's answer: ``expect_any`` (one of these substrings), ``expect_all``, ``expect_none``,
``form: none|complaint|suggestion|status`` (read from the reply: a form question or read-back is showing),
``sources: true`` (web: answered with a citation), ``handoff: true|false`` (web: a handoff is open).
``key_fact: true`` marks a question whose key fact is the ``expect_any``; ``question: true`` (implied by
key_fact) a question whose words must never end up in an order field.

At the end ``order: none``, ``order: {…}`` (exactly one order) or ``orders: [{…}, …]`` (in creation order), each
checked against the stored work order: ``type``, ``domain``, ``anonymous``, ``urgent`` and ``phone``/``name``
exactly; ``target``, ``location``, ``facts``, ``demand``, ``occurred_at`` contain the text; ``<field>_not`` lists
texts the field must not contain.

A split file may also list ``articles`` (top level): KB articles its conversations rely on that the seeds lack, such
as a city's road closure for the region conversations; they are published through the editors' API before the run
and retired after it. Their fields are those of POST /api/kb/articles (title, body, domain, region, source,
questions, …).

Every conversation runs with its own sender; the run prints one table per split and category and writes the
measured numbers to var/conversation_suite.json. FLOORS below hold today's level: the test fails on regression.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml

from accounts.service import Accounts
from devtools.wechat_sim import Simulator
from hotline.db import Database
from hotline.text import normalize
from work_orders.service import System, WorkOrders

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "conversations"
ALL_SPLITS = ("dev", "holdout")
# CONVERSATION_SPLITS=dev runs the dev half only (for tuning: the holdout's failures are then never printed).
SPLITS = tuple(s for s in os.environ.get("CONVERSATION_SPLITS", ",".join(ALL_SPLITS)).split(",") if s in ALL_SPLITS)
REPORT = ROOT / "var" / "conversation_suite.json"

# The measured level less two conversations' worth, so that what may differ between runs (service hours, the
# calendar: a handoff question asked on a holiday) cannot fail it, while a real regression does. Measured on
# 2026-11-30 after session 6's issue-15 and -16 work (forms that keep clean data, dialogue acts for citizens' first
# messages, regions, answer/clarify/refuse): dev 46/47 conversations, 134/135 turns, 14/15 key facts, 0 unwanted
# forms, 0 questions stored in an order; holdout 33/40, 92/99, 9/14, 2, 0 (session 5: dev 31/36, holdout 24/38;
# before issue 15: dev 10/36, holdout 15/38). Issue 15's targets: >= 0.90 of conversations fully right, key facts
# >= 0.95, the ceilings 0; raise the floors whenever a change lifts the measured level.
FLOORS = {
    "dev": {
        "conversations_right": 0.93,
        "turns_right": 0.97,
        "key_facts": 0.8,
        "max_forms_unwanted": 1,
        "max_orders_with_question": 1,
        "max_orders_unwanted": 0,
    },
    "holdout": {
        "conversations_right": 0.77,
        "turns_right": 0.9,
        "key_facts": 0.5,
        "max_forms_unwanted": 3,
        "max_orders_with_question": 1,
        "max_orders_unwanted": 0,
    },
}

# How a reply shows an open form (today's wording of work_orders/intake.py and bot/actions/forms.py; update these
# when the wording changes). "shared" lines are asked by both the complaint and the suggestion form.
FORM_MARKERS = {
    "complaint": (
        "我来帮您登记投诉",
        "您要投诉的对象",
        "请核对您的投诉内容",
        "请简单描述一下事情经过",
        "事情大概发生在什么时候",
        "在什么地方？",
        "您希望怎么处理",
        "是否实名反映",
        "没有识别出投诉对象",
        "恢复上次未提交的投诉",
        "请再具体说说发生了什么",
        "请回复“实名+姓名”",
    ),
    "suggestion": ("感谢您提出意见建议", "请说说您的意见建议", "请核对您的建议内容", "恢复上次未提交的建议"),
    "status": ("请发送要查询的工单编号", "联系电话的后四位"),
    "shared": ("请留下联系电话", "手机号格式好像不对"),
}
# Which field an open form is asking for, from its question (first match wins).
FIELD_QUESTIONS = (
    ("identity", ("是否实名", "请回复“实名+姓名”", "请告诉我您的姓名")),
    ("caller_phone", ("联系电话", "手机号")),
    ("target", ("投诉的对象", "投诉对象")),
    ("facts", ("事情经过", "发生了什么", "意见建议？", "请说说您的意见建议")),
    ("occurred_at", ("什么时候",)),
    ("location", ("什么地方", "是在", "发送位置")),
    ("demand", ("怎么处理",)),
)
READ_BACK = "请核对您的"
TEXT_FIELDS = ("target", "location", "facts", "demand", "occurred_at")


@dataclass
class Reply:
    text: str
    sources: bool = False
    handoff: bool | None = None
    order: str | None = None


@dataclass
class Outcome:
    conv: dict
    split: str
    failures: list[str] = field(default_factory=list)
    turns: int = 0
    turns_right: int = 0
    key_facts: int = 0
    key_facts_right: int = 0
    form_unwanted: bool = False
    order_with_question: bool = False
    order_unwanted: bool = False
    transcript: list[str] = field(default_factory=list)

    @property
    def right(self) -> bool:
        return not self.failures


class WebUser:
    def __init__(self, live):
        self.base = live.base
        self.sender = "suite-" + uuid.uuid4().hex[:10]
        self.caller = f"web:{self.sender}"

    def send(self, turn: dict, text: str | None = None) -> Reply:
        text = text if text is not None else turn.get("say")
        if text is None:
            raise ValueError(f"the web chat only takes text: {turn}")
        resp = requests.post(self.base + "/api/chat", json={"sender": self.sender, "text": str(text)}, timeout=60)
        body = resp.json()
        if resp.status_code != 200:
            return Reply(f"HTTP {resp.status_code}: {body}")
        return Reply(
            "\n".join(r["text"] for r in body["replies"]),
            sources=bool(body.get("sources")),
            handoff=body.get("handoff") is not None,
            order=(body.get("work_order") or {}).get("number"),
        )


class WeChatUser:
    def __init__(self, live):
        wx = live.settings.wechat
        openid = "oSuite" + uuid.uuid4().hex[:10]
        self.sim = Simulator(live.base + "/wechat/mp", wx.token, wx.aes_key, wx.appid, wx.mode, openid, timeout=60)
        self.caller = f"wechat:{openid}"

    def send(self, turn: dict, text: str | None = None) -> Reply:
        if text is not None or "say" in turn:
            status, reply = self.sim.text(str(text if text is not None else turn["say"]))
        elif "location" in turn:
            status, reply = self.sim.location(turn["location"], 35.30, 113.92)
        elif "event" in turn:
            status, reply = self.sim.event(turn["event"])
        elif "click" in turn:
            status, reply = self.sim.event("CLICK", turn["click"])
        else:
            raise ValueError(f"unknown turn {turn}")
        return Reply(reply or "" if status == 200 else f"HTTP {status}: {reply}")


def form_shown(text: str, current: str | None) -> str | None:
    for kind in ("complaint", "suggestion", "status"):
        if any(m in text for m in FORM_MARKERS[kind]):
            return kind
    if any(m in text for m in FORM_MARKERS["shared"]):
        return current or "complaint"
    return None


def asked_field(text: str) -> str | None:
    if READ_BACK in text:
        return None
    last = text.strip().splitlines()[-1] if text.strip() else ""
    for name, words in FIELD_QUESTIONS:  # the question is the reply's last line; else anywhere in it
        if any(w in last for w in words):
            return name
    for name, words in FIELD_QUESTIONS:
        if any(w in text for w in words):
            return name
    return None


def check_reply(turn: dict, reply: Reply, form: str | None, channel: str) -> list[str]:
    bad = []
    text = reply.text
    if turn.get("expect_any") and not any(s in text for s in turn["expect_any"]):
        bad.append(f"none of {turn['expect_any']} in reply {text[:160]!r}")
    for s in turn.get("expect_all") or []:
        if s not in text:
            bad.append(f"{s!r} missing from reply")
    for s in turn.get("expect_none") or []:
        if s in text:
            bad.append(f"{s!r} in reply")
    want = turn.get("form")
    if want is not None and (form or "none") != want:
        bad.append(f"form {form or 'none'}, wanted {want}")
    if channel == "web" and turn.get("sources") and not reply.sources:
        bad.append("no sources")
    if channel == "web" and "handoff" in turn and reply.handoff != turn["handoff"]:
        bad.append(f"handoff {'open' if reply.handoff else 'closed'}, wanted {'open' if turn['handoff'] else 'closed'}")
    return bad


def check_order(want: dict, order: dict) -> list[str]:
    bad = []
    exact = {
        "type": "order_type",
        "domain": "domain",
        "anonymous": "anonymous",
        "urgent": "urgent",
        "phone": "caller_phone",
        "name": "caller_name",
    }
    for key, column in exact.items():
        if key in want and order.get(column) != want[key]:
            bad.append(f"order {column} {order.get(column)!r}, wanted {want[key]!r}")
    for key in TEXT_FIELDS:
        value = normalize(str(order.get(key) or ""))
        if key in want and normalize(str(want[key])) not in value:
            bad.append(f"order {key} {order.get(key)!r} lacks {want[key]!r}")
        for s in want.get(f"{key}_not") or []:
            if normalize(str(s)) in value:
                bad.append(f"order {key} {order.get(key)!r} contains {s!r}")
    return bad


def squash(text: str) -> str:
    return re.sub(r"[\s，。,.！!？?~～]", "", normalize(text))


def run_conversation(live, conv: dict, split: str, orders: WorkOrders) -> Outcome:
    out = Outcome(conv, split)
    channel = conv.get("channel", "web")
    user = WeChatUser(live) if channel == "wechat" else WebUser(live)
    form = None
    last: Reply | None = None
    questions: list[str] = []

    def note(msg: str, turn_no: int, bad: list[str]) -> None:
        out.failures.extend(f"turn {turn_no} ({msg[:24]}): {b}" for b in bad)

    for no, turn in enumerate(conv["turns"], 1):
        out.turns += 1
        if turn.get("key_fact") or turn.get("question"):
            questions.append(turn["say"])
        if "fill" in turn:
            answers = dict(turn["fill"])
            bad, reply = [], None
            for _ in range(8):
                asked = asked_field(last.text) if last is not None else None
                if asked is None:
                    break
                if asked not in answers:  # not scripted: the turn's checks say whether stopping here is right
                    if reply is None:
                        bad.append(f"the form asked for {asked}, none of the scripted {sorted(answers)}")
                    break
                reply = user.send(turn, answers[asked])
                out.transcript += [f"> {answers[asked]}", reply.text]
                form = form_shown(reply.text, form)
                last = reply
            else:
                bad.append("form still asking after 8 answers")
            if reply is None:
                reply = last
            bad += check_reply(turn, reply, form, channel) if reply is not None else ["no reply"]
            msg = "fill"
        else:
            msg = str(turn.get("say") or turn.get("location") or turn.get("event") or turn.get("click"))
            reply = user.send(turn)
            out.transcript += [f"> {msg}", reply.text]
            form = form_shown(reply.text, form)
            last = reply
            bad = check_reply(turn, reply, form, channel)
            if turn.get("form") == "none" and form is not None:
                out.form_unwanted = True
        if turn.get("key_fact"):
            out.key_facts += 1
            fact_ok = not turn.get("expect_any") or any(s in reply.text for s in turn["expect_any"])
            out.key_facts_right += bool(fact_ok and all(s in reply.text for s in turn.get("expect_all") or []))
        if bad:
            note(msg, no, bad)
        else:
            out.turns_right += 1

    mine = sorted(orders.for_caller(user.caller), key=lambda o: o["number"])
    stored = [orders.get(o["number"], System()) for o in mine]
    wanted = conv.get("orders") or ([] if conv.get("order") in (None, "none") else [conv["order"]])
    if conv.get("order") in (None, "none") and not conv.get("orders") and stored:
        out.order_unwanted = True
        out.failures.append(f"order {stored[0]['number']} created, none wanted")
    elif len(stored) != len(wanted):
        out.failures.append(f"{len(stored)} orders, wanted {len(wanted)}")
    for want, order in zip(wanted, stored):
        out.failures += check_order(want, order)
    for order in stored:
        fields = " ".join(squash(str(order.get(k) or "")) for k in TEXT_FIELDS)
        if any(len(squash(q)) >= 4 and squash(q) in fields for q in questions):
            out.order_with_question = True
            out.failures.append(f"order {order['number']}: a question was stored as a field")
    return out


def load_file(split: str) -> dict:
    return yaml.safe_load((DATA / f"{split}.yml").read_text(encoding="utf-8"))


def load(split: str) -> list[dict]:
    return load_file(split)["conversations"]


@contextmanager
def articles_published(live, splits):
    """The splits' own ``articles``, published by a publisher through the editors' API for the run, retired after
    it (so that the other live tests see the seeds alone)."""
    articles = [a for split in splits for a in load_file(split).get("articles") or []]
    if not articles:
        yield
        return
    name, password = "suite-" + uuid.uuid4().hex[:8], uuid.uuid4().hex
    Accounts(Database(live.settings.database_url)).create_user(name, password, ["publisher"])
    login = requests.post(live.base + "/api/auth/login", json={"username": name, "password": password}, timeout=30)
    headers = {"Authorization": "Bearer " + login.json()["token"]}
    created = []
    try:
        for article in articles:
            resp = requests.post(
                live.base + "/api/kb/articles", json={**article, "publish": True}, headers=headers, timeout=60
            )
            assert resp.status_code == 201, resp.text
            created.append(resp.json())
        yield
    finally:
        for art in created:
            requests.post(
                f"{live.base}/api/kb/articles/{art['id']}/retire",
                json={"version": art["version"]},
                headers=headers,
                timeout=60,
            )


def summarise(outcomes: list[Outcome]) -> dict:
    n = len(outcomes)
    turns = sum(o.turns for o in outcomes)
    keys = sum(o.key_facts for o in outcomes)
    return {
        "conversations": n,
        "conversations_right": round(sum(o.right for o in outcomes) / n, 3) if n else 0.0,
        "conversations_right_n": sum(o.right for o in outcomes),
        "turns": turns,
        "turns_right": round(sum(o.turns_right for o in outcomes) / turns, 3) if turns else 0.0,
        "key_facts_n": keys,
        "key_facts": round(sum(o.key_facts_right for o in outcomes) / keys, 3) if keys else 1.0,
        "forms_unwanted": sum(o.form_unwanted for o in outcomes),
        "orders_with_question": sum(o.order_with_question for o in outcomes),
        "orders_unwanted": sum(o.order_unwanted for o in outcomes),
    }


def test_schema_of_the_conversations():
    """Every conversation is well formed, ids are unique, and both splits cover the same categories."""
    seen, categories = set(), {}
    for split in ALL_SPLITS:
        convs = load(split)
        assert len(convs) >= 30, split
        categories[split] = {c["category"] for c in convs}
        for conv in convs:
            assert conv["id"] not in seen and conv["id"].startswith(split), conv["id"]
            seen.add(conv["id"])
            assert conv.get("channel", "web") in ("web", "wechat")
            assert "order" in conv or "orders" in conv, conv["id"]
            for turn in conv["turns"]:
                kinds = {"say", "fill", "location", "event", "click"} & set(turn)
                assert len(kinds) == 1, (conv["id"], turn)
                assert turn.get("form") in (None, "none", "complaint", "suggestion", "status"), conv["id"]
                if turn.get("key_fact"):
                    assert turn.get("expect_any") or turn.get("expect_all"), conv["id"]
    assert categories["dev"] == categories["holdout"]


def test_conversation_suite(live):
    orders = WorkOrders(Database(live.settings.database_url))
    started = time.monotonic()
    with articles_published(live, ALL_SPLITS):  # the same KB whichever splits run
        outcomes = [run_conversation(live, conv, split, orders) for split in SPLITS for conv in load(split)]
    elapsed = time.monotonic() - started

    report: dict = {"seconds": round(elapsed, 1), "splits": {}, "failing": {}}
    lines = [f"\nconversation suite: {len(outcomes)} conversations in {elapsed:.0f} s"]
    header = f"{'split':8} {'category':20} {'convs':>9} {'turns':>9} {'key facts':>9} {'form!':>5} {'q→order':>7} {'order!':>6}"
    for split in SPLITS:
        mine = [o for o in outcomes if o.split == split]
        by_cat = defaultdict(list)
        for o in mine:
            by_cat[o.conv["category"]].append(o)
        report["splits"][split] = {
            "all": summarise(mine),
            "categories": {c: summarise(os) for c, os in sorted(by_cat.items())},
        }
        lines += ["", header]
        for cat, group in [*sorted(by_cat.items()), ("ALL", mine)]:
            s = summarise(group)
            lines.append(
                f"{split:8} {cat:20} {s['conversations_right_n']:>4}/{s['conversations']:<4} "
                f"{round(s['turns_right'] * s['turns']):>4}/{s['turns']:<4} "
                f"{(str(round(s['key_facts'] * s['key_facts_n'])) + '/' + str(s['key_facts_n'])):>9} "
                f"{s['forms_unwanted']:>5} {s['orders_with_question']:>7} {s['orders_unwanted']:>6}"
            )
        report["failing"][split] = {o.conv["id"]: o.failures for o in mine if o.failures}
    lines += ["", "failing conversations (first failing check):"]
    lines += [f"  {o.conv['id']:42} {o.failures[0]}" for o in outcomes if o.failures]
    print("\n".join(lines))
    report["transcripts"] = {o.conv["id"]: o.transcript for o in outcomes if o.failures}
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")

    for split in SPLITS:
        got, floor = report["splits"][split]["all"], FLOORS[split]
        for key in ("conversations_right", "turns_right", "key_facts"):
            assert got[key] >= floor[key], f"{split} {key} {got[key]} below the floor {floor[key]}"
        for key in ("forms_unwanted", "orders_with_question", "orders_unwanted"):
            assert got[key] <= floor[f"max_{key}"], f"{split} {key} {got[key]} above {floor['max_' + key]}"
