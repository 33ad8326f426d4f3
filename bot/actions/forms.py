"""Complaint and suggestion intake (Rasa forms) and the status look-up.

Each form has one required slot (``complaint_done`` …) and keeps its whole state in the ``intake`` slot; the
validation action hands the user's message to ``work_orders.intake`` and asks the next question through
``action_ask_<slot>``. A question asked in the middle of a form or at the read-back (the dialogue-act test,
whatever NLU called it) is answered here from the KB, with its citation, and the form asks its question again;
another hotline's matter and a request for a human are left to the rules. The half-filled intake stays in the
slot (slots carry over sessions), so a user who comes back within ``draft_ttl`` continues where they stopped.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from hotline.acts import asks_to_amend, gesture, lost_order_number, tells_theft
from hotline.channels import require_sender
from hotline.clock import utcnow
from hotline.errors import HotlineError, NotFound
from hotline.privacy import mask_pii
from work_orders import intake, messages

from .common import NO_NUMBER_REPLY, buttons_of, last_turn, send_meta, was_offered
from .knowledge import answer_in_form, region_of
from .offers import typed_choice

# mid-form, these go to their rules (then the form resumes, or the draft is kept for a human)
INTERRUPTING_INTENTS = ("refer_elsewhere",)
KINDS = {
    "complaint": {
        "form": "complaint_form",
        "slot": "complaint_done",
        "fields": intake.COMPLAINT_FIELDS,
        "word": "投诉",
        "opening": "好的，我来帮您登记投诉。",
        "offered_as": "/complain",
    },
    "suggestion": {
        "form": "suggestion_form",
        "slot": "suggestion_done",
        "fields": intake.SUGGESTION_FIELDS,
        "word": "建议",
        "opening": "感谢您提出意见建议！",
        "offered_as": "/suggest",
    },
}
BUTTONS = {
    "occurred_at": [("不清楚", "不清楚")],
    "location": [("不清楚", "不清楚")],
    "demand": [("希望加强管理", "希望加强管理"), ("不清楚", "不清楚")],
    "caller_phone": [("不留电话", "不留电话")],
    "identity": [("匿名", "匿名")],
    "confirm": [("确认提交", "确认"), ("修改电话", "修改电话"), ("取消", "取消")],
}
RATING_BUTTONS = [
    {"title": "满意", "payload": '/rate{"rating":"satisfied"}'},
    {"title": "基本满意", "payload": '/rate{"rating":"basically_satisfied"}'},
    {"title": "不满意", "payload": '/rate{"rating":"dissatisfied"}'},
]


def _latest(tracker: Tracker) -> tuple[str, str, float, dict]:
    msg = tracker.latest_message or {}
    intent = msg.get("intent") or {}
    return (
        msg.get("text") or "",
        intent.get("name") or "",
        float(intent.get("confidence") or 0),
        msg.get("metadata") or {},
    )


class ValidateIntake(Action):
    """validate_complaint_form / validate_suggestion_form."""

    def __init__(self, kind: str, draft_ttl: timedelta, kb=None) -> None:
        self.kind = kind
        self.cfg = KINDS[kind]
        self.draft_ttl = draft_ttl
        self.kb = kb  # answers a question asked mid-form

    def name(self) -> str:
        return f"validate_{self.cfg['form']}"

    def _fresh_draft(self, state: dict) -> bool:
        if state.get("kind") != self.kind or state.get("outcome") or not state.get("values"):
            return False
        try:
            saved = datetime.fromisoformat(state["updated_at"])
        except (KeyError, TypeError, ValueError):
            return False
        return utcnow() - saved < self.draft_ttl

    def _told_before(self, tracker: Tracker, text: str) -> str | None:
        """What the user told just before a bare "是" / "那我投诉吧" opened the form — a grievance, or a question the bot
        answered with the offer of this form — without its "怎么办"; None when the opening message tells something
        itself, or nothing was told before. After the offer, a bare time or place goes on with what was told and is
        kept with it."""
        offered = was_offered(tracker, self.cfg["offered_as"])
        told = intake.without_asking(last_turn(tracker)[1])
        if offered and told and intake.only_when_or_where(text):
            # "服务区 偷油" (the complaint offered), then "昨晚": the matter told, and when (or where) it was
            return f"{told}，{text.strip()}"
        if intake.tells_something(text, self.cfg["fields"]):
            return None
        # a complaint: a grievance told, or the offer made (after a theft's referral the complaint is about the place's
        # security, which the theft alone does not tell: asked anew); a suggestion: what was said, once not asked
        meant = (offered and not tells_theft(told)) or (
            intake.tells_more(told) if "target" in self.cfg["fields"] else not intake.is_question(told)
        )
        if not told or not meant:
            return None
        return told if intake.tells_something(told, self.cfg["fields"]) else None

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text, intent, confidence, metadata = _latest(tracker)
        text = typed_choice(tracker) or text  # "2" for the second button shown ("不清楚", "确认")
        state = tracker.get_slot("intake") or {}
        opening = tracker.get_slot("requested_slot") is None
        greeting = None
        if opening:
            restored = self._fresh_draft(state)
            state = {
                "kind": self.kind,
                "id": state.get("id") if restored else uuid.uuid4().hex[:12],
                "values": state.get("values", {}) if restored else {},
                "tries": {},
                "ask": None,
            }
            greeting = (
                f"已为您恢复上次未提交的{self.cfg['word']}内容，我们接着填写。" if restored else self.cfg["opening"]
            )
            told = None if restored else self._told_before(tracker, text)
            if told:  # "出租车绕路多收钱怎么办" … "那我投诉吧": the complaint is what was just told
                bare = intake.only_a_time(text)
                if bare and not intake.find_time(told) and "occurred_at" in self.cfg["fields"]:
                    state["values"]["occurred_at"] = bare  # "晚上", "十点左右": no time inside a story
                text = told
                greeting = f"{greeting}已记下您刚才说的情况：{told}。"
        elif not intake.refusal(text) and (
            (intent in INTERRUPTING_INTENTS and confidence >= 0.6 and intake.is_question(text))
            or (intent == "handoff" and confidence >= 0.6)
        ):
            return []  # the rules refer to another hotline (then the form asks again) or hand over to a human
        asked = None if opening else state.get("ask")
        step = intake.answer(state["values"], asked, text, state.get("tries"), self.cfg["fields"], metadata)
        if greeting and not (step.rejected or step.cancelled):  # a refused matter is not "登记投诉" first
            dispatcher.utter_message(text=greeting)
        for line in step.say:
            dispatcher.utter_message(text=line)
        if step.question:  # answered, then action_ask_* asks the pending question (or the read-back) again
            answer_in_form(self.kb, dispatcher, step.question, region_of(tracker), self.kind)
        state.update(values=step.values, tries=step.tries, ask=step.ask, updated_at=utcnow().isoformat())
        if step.cancelled or step.rejected or step.done:
            if step.reply:
                state["reply"] = step.reply
            state["outcome"] = "confirmed" if step.done else ("rejected" if step.rejected else "cancelled")
            return [SlotSet("intake", state), SlotSet(self.cfg["slot"], state["outcome"])]
        return [SlotSet("intake", state), SlotSet(self.cfg["slot"], None)]


class AskIntake(Action):
    """action_ask_complaint_done / action_ask_suggestion_done: the question for what is still missing."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.cfg = KINDS[kind]

    def name(self) -> str:
        return f"action_ask_{self.cfg['slot']}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        state = tracker.get_slot("intake") or {}
        ask = state.get("ask") or intake.next_field(state.get("values") or {}, self.cfg["fields"]) or "confirm"
        if ask == "confirm":
            dispatcher.utter_message(
                text=intake.summary(state.get("values") or {}, self.cfg["fields"], self.cfg["word"]),
                buttons=buttons_of(BUTTONS["confirm"]),
            )
        else:
            values = state.get("values") or {}
            question = intake.question(ask, values, self.kind)
            offered = ask == "location" and values.get("location_offer")  # a remembered place offered, not assumed
            choices = [("是", "是"), ("不是", "不是"), ("不清楚", "不清楚")] if offered else BUTTONS.get(ask, [])
            dispatcher.utter_message(text=question, buttons=buttons_of(choices))
            # the question pending, for a channel to ask again after a message the bot never sees (a WeChat
            # location shared while "什么时候？" waits)
            send_meta(dispatcher, asking={"field": ask, "prompt": question})
        return []


class ActionSubmitIntake(Action):
    """After a form: a confirmed intake becomes a work order; a cancelled one is dropped."""

    def __init__(self, work_orders) -> None:
        self.work_orders = work_orders

    def name(self) -> str:
        return "action_submit_intake"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        state = tracker.get_slot("intake") or {}
        reset = [SlotSet("intake", None), SlotSet("complaint_done", None), SlotSet("suggestion_done", None)]
        outcome = state.get("outcome")
        if outcome == "cancelled":
            dispatcher.utter_message(
                text=state.get("reply") or "好的，已取消本次登记，内容不会保存。如需帮助随时找我。"
            )
            return reset
        if outcome != "confirmed":
            return reset  # not accepted (第十九条): the reason was already given
        kind = state["kind"]
        region = ((tracker.latest_message or {}).get("metadata") or {}).get("region") or ""
        try:
            channel, _ = require_sender(tracker.sender_id)  # never guessed: an unknown channel is an error
            data = intake.to_order(state["values"], kind, tracker.sender_id, channel, region)
            order, _created = self.work_orders.create(
                data, actor="chat", idempotency_key=f"{tracker.sender_id}:{state['id']}"
            )
        except HotlineError as exc:
            dispatcher.utter_message(text=f"登记没有成功：{exc.message}。请修改后再试，或拨打12328电话登记。")
            return []
        due = messages.answer_due(order, self.work_orders.calendar())
        dispatcher.utter_message(text=messages.intake_registered(order, due, data["safety"]))
        send_meta(dispatcher, work_order=messages.work_order_meta(order, due))
        return reset + [SlotSet("last_order", {"number": order["number"]})]


# a confident new request while the look-up waits for an order number ends the look-up and is served at once
STATUS_EXITS = {"complain": "complaint_form", "suggest": "suggestion_form", "handoff": "action_handoff"}
# no number to give: "不记得了", "忘了", "找不到", "没有编号" (or a phone number instead, which finds no one's orders:
# anyone could type anyone's phone)
NO_NUMBER_RE = re.compile(r"^(?:我|俺)?(?:不记得|不知道|忘了|忘记|记不住|记不清|找不到|没有|没记|没存|不清楚)")

# no last four digits to give for an order looked up from another chat ("不知道", "没留电话", "匿名的"); whether the
# order has a phone is not said (anyone may hold its number)
NO_LAST4_RE = re.compile(r"不记得|不知道|忘了|忘记|记不住|记不清|不清楚|没留|没有留|不留|没电话|没有电话|没手机|匿名")
NO_LAST4_REPLY = (
    "无法核实的话，为保护登记人的信息，这里不能显示该工单。请在登记时使用的同一个微信或网页对话里发送“查询工单”查看；"
    "也可以拨打12328电话，话务员核实身份后为您查询。"
)


class ValidateStatus(Action):
    """validate_status_form: order number (and the phone's last 4 digits unless the channel identifies the
    caller) → state, unit, deadline and the reply."""

    def __init__(self, work_orders, knowledge=None) -> None:
        self.work_orders = work_orders
        self.amendment = Amendment(work_orders, knowledge)
        self.knowledge = knowledge  # action_answer_from_kb: a question asked instead of the number is answered here

    def name(self) -> str:
        return "validate_status_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text, intent, confidence, _meta = _latest(tracker)
        opening = tracker.get_slot("requested_slot") is None
        state = {"kind": "status", "tries": 0} if opening else dict(tracker.get_slot("intake") or {})
        if opening and asks_to_amend(text):  # "我刚才投诉的电话留错了": the order just submitted is corrected
            return self.amendment.start(dispatcher, tracker, text)
        if state.get("kind") == "amend":
            return self.amendment.next(dispatcher, tracker, state, text)
        number = intake.find_order_number(text)
        entity = next(tracker.get_latest_entity_values("order_number"), None)
        number = number or (entity and intake.find_order_number(entity))
        if not opening and not number and intent in STATUS_EXITS and confidence >= 0.6:
            # "我要投诉" instead of a number: the look-up ends (requested_slot None stops the form) and the request
            # is served next, not answered with "请发送要查询的工单编号" again
            return [SlotSet("intake", None), SlotSet("requested_slot", None), FollowupAction(STATUS_EXITS[intent])]
        if not opening and not number and intake.is_question(text) and not re.search(r"\d{4}", text):
            # "投诉一般多少天办完" instead of a number: the look-up ends and the question is answered, not met with
            # "请发送要查询的工单编号" again
            return answered_instead(self.knowledge, dispatcher, tracker)
        if not opening and not number and state.get("ask") == "number":
            plain = re.sub(r"[\W_]", "", intake.normalize(text))
            if NO_NUMBER_RE.match(plain) or intake.only_a_phone(text):
                # "不记得了", "13812345678": where the number is, and who can look it up without it; never asked again
                dispatcher.utter_message(text=NO_NUMBER_REPLY)
                return [SlotSet("intake", None), SlotSet("status_done", "gave_up")]
        if number:
            state["number"] = number
        elif state.get("ask") == "last4":
            digits = "".join(ch for ch in intake.normalize_digits(intake.spoken_digits(text)) if ch.isdigit())
            state["last4"] = digits[-4:] if len(digits) >= 4 else ""
            if not state["last4"]:
                # "不知道", "没留电话" (it was asked again, and again): no digits to check, so where else to look
                plain = re.sub(r"[\W_]", "", intake.normalize(text))
                state["tries"] = state.get("tries", 0) + 1
                if NO_LAST4_RE.search(plain) or state["tries"] >= 3:
                    dispatcher.utter_message(text=NO_LAST4_REPLY)
                    return [SlotSet("intake", None), SlotSet("status_done", "gave_up")]
                dispatcher.utter_message(text="没有识别出4位数字。")
                return [SlotSet("intake", state), SlotSet("status_done", None)]
        if not state.get("number"):
            if opening:
                mine = self.work_orders.for_caller(tracker.sender_id, limit=5)
                if mine:
                    dispatcher.utter_message(text="\n".join(["您最近的工单："] + [_status_line(o) for o in mine]))
                    return self._done(state, mine[0])
                if lost_order_number(text):  # "我忘了工单号了": where it is, not "请发送要查询的工单编号"
                    dispatcher.utter_message(text=NO_NUMBER_REPLY)
                    return [SlotSet("intake", None), SlotSet("status_done", "gave_up")]
            state["tries"] = state.get("tries", 0) + (0 if opening else 1)
            if state["tries"] >= 3:
                dispatcher.utter_message(
                    text="没有识别出工单编号。工单编号形如 20261122-00012，可在登记成功的回复里找到；"
                    "也可拨打12328电话查询。"
                )
                return [SlotSet("intake", None), SlotSet("status_done", "gave_up")]
            state["ask"] = "number"
            return [SlotSet("intake", state), SlotSet("status_done", None)]
        try:
            order = self.work_orders.lookup(state["number"], state.get("last4", ""), caller_user=tracker.sender_id)
        except NotFound:
            dispatcher.utter_message(text=f"没有找到工单 {state['number']}，请核对编号。")
            state.pop("number")
            state["ask"] = "number"
            state["tries"] = state.get("tries", 0) + 1
            if state["tries"] >= 3:
                return [SlotSet("intake", None), SlotSet("status_done", "gave_up")]
            return [SlotSet("intake", state), SlotSet("status_done", None)]
        except HotlineError as exc:
            if exc.code == "verification_required" or exc.code == "lookup_mismatch":
                if exc.code == "lookup_mismatch":
                    dispatcher.utter_message(text="手机号后四位不匹配。")
                    state["tries"] = state.get("tries", 0) + 1
                if state.get("tries", 0) >= 3:
                    dispatcher.utter_message(text="多次验证未通过，请拨打12328电话查询。")
                    return [SlotSet("intake", None), SlotSet("status_done", "gave_up")]
                state["ask"] = "last4"
                return [SlotSet("intake", state), SlotSet("status_done", None)]
            dispatcher.utter_message(text=exc.message)
            return [SlotSet("intake", None), SlotSet("status_done", "gave_up")]
        dispatcher.utter_message(
            text=_status_line(order, full=True), buttons=RATING_BUTTONS if order["can_rate"] else []
        )
        return self._done(state, order)

    @staticmethod
    def _done(state: dict, order: dict) -> list:
        return [
            SlotSet("intake", None),
            SlotSet("status_done", "shown"),
            SlotSet("last_order", {"number": order["number"], "last4": state.get("last4", "")}),
        ]


def _status_line(order: dict, full: bool = False) -> str:
    due = (order.get("due_at") or "")[:10]
    line = f"工单 {order['number']}（{order['order_type_label']}）：{order['state_label']}"
    if order.get("unit_name"):
        line += f"，承办单位：{order['unit_name']}"
    if due and order["state"] in ("dispatched", "in_progress", "extension_requested"):
        line += f"，办理期限：{due}"
    if order.get("next_step"):  # the deadline and what happens next
        line += f"。{order['next_step']}"
    if full and order.get("reply"):
        line += f"。\n答复：{order['reply']}"
    if full and order.get("can_rate"):
        line += "\n请对办理结果进行评价："
    return line


class AskStatus(Action):
    def name(self) -> str:
        return "action_ask_status_done"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        state = tracker.get_slot("intake") or {}
        if state.get("kind") == "amend":
            dispatcher.utter_message(text=AMEND_ASK.get(state.get("field"), AMEND_ASK[None]))
        elif state.get("ask") == "last4":
            dispatcher.utter_message(text="为保护您的信息，请回复登记时所留联系电话的后四位。")
        else:
            dispatcher.utter_message(text="请发送要查询的工单编号（如 20261122-00012）；不记得编号可回复“不记得”。")
        return []


NO_ORDER_TO_AMEND = "没有找到您在这里登记的工单。如需更正或补充已登记的工单，请发送“查询工单 工单编号”核对，或拨打12328电话由话务员办理。"
AMEND_ASK = {
    "联系电话": "好的，请发送正确的联系电话（手机号）。",
    None: "好的，请发送要更正或补充的内容。",
}


def answered_instead(knowledge, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
    """A question asked where the status form waits for an answer: the form ends and ``knowledge``
    (action_answer_from_kb) answers it in the form's own turn. (Run as a follow-up action after the form, it left the
    rules nothing to go on from, and the fallback added "抱歉，我没能理解您的意思" to the answer.)"""
    answered = knowledge.run(dispatcher, tracker, {}) if knowledge is not None else []
    return [SlotSet("intake", None), SlotSet("status_done", "gave_up"), *answered]


class Amendment:
    """The status form's second errand: a correction of, or an addition to, the caller's order just submitted
    ("我刚才投诉的电话留错了" → the new phone; "补充一下：司机还骂人了"; ``hotline.acts.asks_to_amend``, which sends it to
    the form as ``ticket_status``). The order is this conversation's last one, else the channel user's latest;
    ``WorkOrders.amend`` applies it and logs it for the operator and the handling unit. (No intent of its own: an
    intent without NLU examples would change what DIET learns for every other one.)"""

    def __init__(self, work_orders, knowledge=None) -> None:
        self.work_orders = work_orders
        self.knowledge = knowledge

    def start(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> list:
        number = (tracker.get_slot("last_order") or {}).get("number")
        if not number and self.work_orders is not None:
            mine = self.work_orders.for_caller(tracker.sender_id, limit=1)
            number = mine[0]["number"] if mine else None
        if not number:
            dispatcher.utter_message(text=NO_ORDER_TO_AMEND)
            return self._done()
        state = {"kind": "amend", "number": number, "field": intake.amend_field(text)}
        return self._apply(dispatcher, tracker, state, intake.amend_content(text))

    def next(self, dispatcher: CollectingDispatcher, tracker: Tracker, state: dict, text: str) -> list:
        plain = intake.normalize(text)
        if intake.exit_reply(plain) or gesture(plain) == "deny":
            dispatcher.utter_message(text="好的，工单内容保持不变。")
            return self._done()
        if intake.is_question(text) and not intake.find_phone(text):
            return answered_instead(self.knowledge, dispatcher, tracker)
        return self._apply(dispatcher, tracker, state, intake.amend_content(text) or text.strip())

    def _apply(self, dispatcher: CollectingDispatcher, tracker: Tracker, state: dict, content: str) -> list:
        if not content:  # "电话留错了": what is right is asked for (AskStatus)
            state["ask"] = "content"
            return [SlotSet("intake", state), SlotSet("status_done", None)]
        field = state.get("field")
        said = content if intake.find_phone(content) or not field else f"更正{field}：{content}"
        try:
            done = self.work_orders.amend(state["number"], tracker.sender_id, said)
        except HotlineError as exc:
            dispatcher.utter_message(text=f"{exc.message}。")
            return self._done()
        if done["phone_changed"]:
            reply = f"已将工单 {done['number']} 的联系电话更正为 {mask_pii(done['phone'])}，承办单位会按新号码联系您。"
        else:
            reply = f"已把您补充的内容加入工单 {done['number']}，承办单位办理时会看到。"
        dispatcher.utter_message(text=reply)
        return self._done()

    @staticmethod
    def _done() -> list:
        return [SlotSet("intake", None), SlotSet("status_done", "amended")]


class ActionStatusFinished(Action):
    """Runs after status_form has shown an order: clears `status_done` so that the next look-up asks again."""

    def name(self) -> str:
        return "action_status_finished"

    def run(self, dispatcher, tracker, domain) -> list:
        return [SlotSet("status_done", None)]
