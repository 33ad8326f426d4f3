"""Ratings of replied orders, consultation orders for unanswered questions, and the handoff to a human."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from hotline.acts import declines_order, gives_phone
from hotline.channels import require_sender
from hotline.errors import HotlineError
from hotline.privacy import mask_pii
from work_orders import intake, messages
from work_orders.lifecycle import RATINGS

from .common import last_offer, send_meta

log = logging.getLogger(__name__)
RATING_WORDS = (
    ("dissatisfied", ("不满意", "差评", "很差", "太差", "不行", "没解决")),
    ("basically_satisfied", ("基本满意", "一般", "还行", "凑合", "马马虎虎")),
    ("satisfied", ("满意", "好评", "很好", "非常好", "挺好", "不错", "谢谢")),
)


def rating_from(text: str, entity: str | None) -> str | None:
    if entity in RATINGS:
        return entity
    for rating, words in RATING_WORDS:  # 不满意 before 满意
        if any(w in text for w in words):
            return rating
    return None


NOTHING_TO_RATE = (
    "没有找到您可以评价的已办结工单。请发送“查询工单+编号”（如 查询工单 20261122-00012）查看办理结果后再评价；"
    "对办理结果不满意可以评“不满意”，我们会督促承办单位改进，必要时重新办理。"
)


class ActionRate(Action):
    def __init__(self, work_orders) -> None:
        self.work_orders = work_orders

    def _awaiting_rating(self, caller_user: str | None) -> dict | None:
        """The caller's newest order that was replied to and not yet rated (None without one, or on any error)."""
        if not caller_user:
            return None
        try:
            orders = self.work_orders.for_caller(caller_user, limit=5)
        except Exception:  # the rating is a courtesy: a failed look-up just asks for the number
            return None
        return next((o for o in orders if o.get("can_rate")), None)

    def name(self) -> str:
        return "action_rate"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text = (tracker.latest_message or {}).get("text") or ""
        rating = rating_from(text, next(tracker.get_latest_entity_values("rating"), None))
        return self.rate(dispatcher, tracker, rating, "" if text.startswith("/") else text[:500])

    def rate(self, dispatcher: CollectingDispatcher, tracker: Tracker, rating: str | None, comment: str) -> list:
        """The rating of the caller's last looked-up order (a button, a word, or a button's number typed)."""
        last = tracker.get_slot("last_order") or {}
        if not last.get("number"):
            # none looked up in this conversation: the caller's own order awaiting a rating, when the channel
            # identifies them (the same WeChat user); else how to find it
            own = self._awaiting_rating(tracker.sender_id)
            if own is None:
                dispatcher.utter_message(text=NOTHING_TO_RATE)
                return []
            last = {"number": own["number"]}
            if rating is None:
                dispatcher.utter_message(text=f"您的工单 {own['number']} 已办结答复：{own.get('reply') or ''}".strip())
        if rating is None:
            dispatcher.utter_message(
                text="请选择您对办理结果的评价：",
                buttons=[{"title": label, "payload": f'/rate{{"rating":"{code}"}}'} for code, label in RATINGS.items()],
            )
            return []
        try:
            self.work_orders.rate(
                last["number"], rating, comment, last4=last.get("last4", ""), caller_user=tracker.sender_id
            )
        except HotlineError as exc:
            dispatcher.utter_message(text=exc.message)
            return []
        reply = "感谢您的评价！" + ("我们会督促承办单位改进，必要时将重新办理。" if rating == "dissatisfied" else "")
        dispatcher.utter_message(text=reply)
        return []


class ActionLeaveQuestion(Action):
    """The KB had no good answer: register a consultation order (handling days of 第二十三条). A message that is only
    a phone number (hotline.acts.gives_phone) also comes here: just after the refusal it registers the question
    with that number for the reply; after an order of this conversation it becomes that order's contact phone."""

    def __init__(self, work_orders) -> None:
        self.work_orders = work_orders

    def name(self) -> str:
        return "action_leave_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        question = tracker.get_slot("last_question") or ""
        text = (tracker.latest_message or {}).get("text") or ""
        if declines_order(text):  # "不用登记 我就是问一下" however it came here: nothing is registered
            dispatcher.utter_message(text=NOT_REGISTERED)
            return []
        phone = intake.only_a_phone(text) if gives_phone(text) else None
        if phone and not (question and _leave_question_offered(tracker)):
            return self._phone_for_last_order(dispatcher, tracker, phone)
        if not question:
            dispatcher.utter_message(text="请先告诉我您想咨询的问题。")
            return []
        region = ((tracker.latest_message or {}).get("metadata") or {}).get("region") or ""
        said = question + (phone or "")  # the same question left again with a phone is another order, not a conflict
        try:
            channel, _ = require_sender(tracker.sender_id)  # never guessed: an unknown channel is an error
            order, _ = self.work_orders.create(
                {
                    "order_type": "consultation",
                    "channel": channel,
                    "region": region,
                    "title": question[:40],
                    "facts": question,
                    "caller_user": tracker.sender_id,
                    **({"caller_phone": phone} if phone else {}),
                },
                actor="chat",
                idempotency_key=f"{tracker.sender_id}:q:{hashlib.sha256(said.encode()).hexdigest()[:16]}",
            )
        except HotlineError as exc:
            dispatcher.utter_message(text=f"登记没有成功：{exc.message}")
            return []
        due = messages.answer_due(order, self.work_orders.calendar())
        dispatcher.utter_message(text=messages.consultation_registered(order, due))
        send_meta(dispatcher, work_order=messages.work_order_meta(order, due))
        return [
            SlotSet("last_question", None),
            SlotSet("last_order", {"number": order["number"]}),
            SlotSet("misses", 0),
        ]

    def _phone_for_last_order(self, dispatcher: CollectingDispatcher, tracker: Tracker, phone: str) -> list:
        """A bare phone number with no refusal just before: the contact phone of this conversation's last order
        (a consultation registered without one, a correction), else the question of what it is for."""
        number = (tracker.get_slot("last_order") or {}).get("number")
        if not number:
            dispatcher.utter_message(text=PHONE_WITHOUT_MATTER)
            return []
        try:
            done = self.work_orders.amend(number, tracker.sender_id, phone)
        except HotlineError as exc:
            dispatcher.utter_message(text=f"{exc.message}。")
            return []
        dispatcher.utter_message(
            text=f"已把联系电话 {mask_pii(done['phone'])} 记入工单 {done['number']}，承办单位会按这个号码联系您。"
        )
        return []


NOT_REGISTERED = "好的，不登记工单。还有什么可以帮您？可以咨询政策，也可以投诉举报或提出意见建议。"
PHONE_WITHOUT_MATTER = "收到您的手机号。请问您想咨询什么问题，还是要投诉举报或提意见建议？请直接说出来。"


def _leave_question_offered(tracker: Tracker) -> bool:
    """Whether the bot's last turn offered to register the question (the refusal's button)."""
    return any(b.get("payload") == "/leave_question" for b in last_offer(tracker))


class ActionHandoff(Action):
    """Queue the conversation for a human operator (inside service hours) or say when they are back."""

    def __init__(self, handoffs) -> None:
        self.handoffs = handoffs

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        transcript = []
        for event in tracker.events[-60:]:
            if event.get("event") in ("user", "bot") and event.get("text"):
                transcript.append({"who": event["event"], "text": event["text"], "at": event.get("timestamp")})
        if self.handoffs is None:
            dispatcher.utter_message(text="人工服务请拨打12328电话，话务员7×24小时接听。")
            return []
        try:
            result = self.handoffs.request(tracker.sender_id, reason="user_request", transcript=transcript[-30:])
        except Exception:
            log.exception("handoff request failed")
            dispatcher.utter_message(text="暂时无法转接人工客服，请拨打12328电话，话务员7×24小时接听。")
            return []
        buttons = []
        if result.get("status") == "closed":
            buttons = [
                {"title": "登记工单", "payload": "/leave_question"},
                {"title": "我要投诉", "payload": "/complain"},
            ]
        dispatcher.utter_message(text=result["message"], buttons=buttons)
        send_meta(dispatcher, handoff={"status": result.get("status")})
        return [SlotSet("misses", 0)]
