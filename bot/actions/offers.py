"""A typed yes or no to the bot's last offer: what pressing the offer's button would have done.

The bot puts yes/no offers as buttons: "需要现在帮您登记投诉吗？" [是，登记投诉 | 不用了] after an answer to a question
asked with a request's words, "您想问的是这一条吗？" [the entry | 都不是] for a lone strong entry. Drivers on the road
type "是", "好的", "嗯" or "👍" instead (and the official account has no buttons, only numbered lines). NLU reads
those as ``affirm`` / ``deny``; this action finds the offer in the bot's last turn and carries out its yes (the one
button that is not a no) or its no (the button whose payload is ``/deny`` or the "都不是" choice). A yes to a choice
among several entries is asked again with the same buttons; with no offer pending, the reply is the old one
("好的。还有什么可以帮您？…"). A number typed alone ("2", intent ``choose`` from hotline.acts.reframe) takes that
button of the bot's last turn, whatever the buttons were: an entry, an offer, a suggested question.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from hotline.channels import META_KEY
from work_orders import messages

from .common import int_entity, last_offer, last_turn, send_meta
from .knowledge import ANSWER_REJECTED, NONE_OF_THESE, REFUSAL_OFFERS, ActionAnswerFromKB, region_of

NO_PAYLOADS = ("/deny",)
# the act a refusal offers for a question asked with a request's words (its text ends "…可以点“登记投诉”")
REFUSAL_ACTS = {payload for _, payload, _ in REFUSAL_OFFERS.values()}
# the forms a yes starts, as the rules map the button's intent (training_data/rules.yml): a form is activated by
# Rasa itself, so it follows this action; the other acts (consultation order, handoff) are run here, in-process
STARTS = {"/complain": "complaint_form", "/suggest": "suggestion_form", "/ticket_status": "status_form"}
NOTHING_PENDING = "utter_affirm_nothing_pending"
DECLINED = "好的，不需要就不登记了。还有什么可以帮您？"
CHOOSE_AGAIN = "请点选其中一项（微信里回复它的序号）："
NO_SUCH_CHOICE = "没有这一项。请点选下面的一项，或直接说出您的问题。"
NOTHING_TO_CHOOSE = "请直接说出您的问题或要反映的情况，例如“出租车拒载怎么投诉”。"


def answered_question(tracker: Tracker) -> str | None:
    """The user's question when the bot's last turn answered it from the KB (with a source), else None."""
    messages, question = last_turn(tracker)
    for event in messages:
        meta = ((event.get("data") or {}).get("custom") or {}).get(META_KEY) or {}
        if meta.get("kb_matched") and meta.get("sources"):
            return question or None
    return None


def just_filed(tracker: Tracker) -> dict | None:
    """The work order the bot's last turn registered (its ``work_order`` meta), else None."""
    for event in last_turn(tracker)[0]:
        meta = ((event.get("data") or {}).get("custom") or {}).get(META_KEY) or {}
        if meta.get("work_order"):
            return meta["work_order"]
    return None


def typed_choice(tracker: Tracker) -> str | None:
    """The payload of the button whose number the user typed alone ("2", intent ``choose``), when the bot's last
    turn showed that many buttons; else None."""
    if ((tracker.latest_message or {}).get("intent") or {}).get("name") != "choose":
        return None
    buttons, number = last_offer(tracker), int_entity(tracker, "choice")
    return buttons[number - 1]["payload"] if number is not None and 1 <= number <= len(buttons) else None


def _values_of(payload: str, intent: str) -> dict:
    """The values of a payload of this intent (``/rate{"rating":"satisfied"}`` -> {"rating": "satisfied"}), else {}."""
    if not payload.startswith(intent + "{"):
        return {}
    try:
        values = json.loads(payload.removeprefix(intent))
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}


def _article_of(payload: str) -> int | None:
    """The article of a choice's payload (``/consult{"article_id": 12}``), else None."""
    try:
        return int(_values_of(payload, "/consult")["article_id"])
    except (KeyError, ValueError, TypeError):
        return None


def is_no(payload: str) -> bool:
    return payload in NO_PAYLOADS or _article_of(payload) == NONE_OF_THESE


class ActionYesNo(Action):
    def __init__(self, knowledge: ActionAnswerFromKB, acts: dict[str, Action] | None = None, rater=None) -> None:
        self.knowledge = knowledge  # a chosen entry is answered as a pressed choice would be
        # payload -> the action its button runs, run here ("/leave_question", "/handoff"): a follow-up action
        # would leave Rasa's rules with no next step after it
        self.acts = acts or {}
        self.rater = rater  # ActionRate: a rating button's number typed ("1" for 满意) rates the order

    def name(self) -> str:
        return "action_yes_no"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        buttons = last_offer(tracker)
        if intent == "choose":  # "2": the second button shown
            payload = typed_choice(tracker)
            if payload is not None:
                return self._take(dispatcher, tracker, payload, buttons, domain)
            if buttons:
                dispatcher.utter_message(text=NO_SUCH_CHOICE, buttons=buttons)
            else:
                dispatcher.utter_message(text=NOTHING_TO_CHOOSE)
            return []
        noes = [b for b in buttons if is_no(b["payload"])]
        yeses = [b for b in buttons if not is_no(b["payload"])]
        if not noes:  # no yes/no offer pending (a greeting's suggestions, a refusal's two offers)
            question = answered_question(tracker) if intent == "deny" else None
            if question:  # "不是这个" right after an answer: as "都不是" would be (a knowledge gap, the offers)
                return self.knowledge.answer_rejected(dispatcher, tracker, question, lead=ANSWER_REJECTED)
            acts = [b for b in buttons if b["payload"] in REFUSAL_ACTS] if intent == "affirm" else []
            if len(acts) == 1:  # "是" to a refusal's "如果您想就此投诉，可以点“登记投诉”": that act
                return self._take(dispatcher, tracker, acts[0]["payload"], buttons, domain)
            filed = just_filed(tracker) if intent == "affirm" else None
            if filed:  # "确认" again (a double tap, or a page that sent it again after a lost answer): the order
                dispatcher.utter_message(text=messages.already_registered(filed))
                send_meta(dispatcher, work_order=filed)
                return []
            dispatcher.utter_message(response=NOTHING_PENDING)
            return []
        if intent == "deny":
            return self._take(dispatcher, tracker, noes[0]["payload"], buttons, domain)
        if len(yeses) == 1:
            return self._take(dispatcher, tracker, yeses[0]["payload"], buttons, domain)
        dispatcher.utter_message(text=CHOOSE_AGAIN, buttons=buttons)  # "是" to "您想问的是哪一个？"
        return []

    def _take(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        payload: str,
        buttons: list | None = None,
        domain: dict | None = None,
    ) -> list:
        if not payload.startswith("/"):  # a suggested question (the greeting's): answered as if typed
            return self.knowledge.answer_question(dispatcher, tracker, payload, region_of(tracker))
        article = _article_of(payload)
        if article is not None:  # an entry confirmed, or "都不是"
            return self.knowledge.answer_chosen(dispatcher, tracker, article, region_of(tracker))
        if payload in NO_PAYLOADS:
            dispatcher.utter_message(text=DECLINED)
            return []
        if payload in self.acts:
            return self.acts[payload].run(dispatcher, tracker, domain or {})
        rating = _values_of(payload, "/rate").get("rating")
        if rating and self.rater is not None:
            return self.rater.rate(dispatcher, tracker, rating, "")
        action = STARTS.get(payload)
        if action is None:  # a payload this action cannot carry out: its button can
            dispatcher.utter_message(text=CHOOSE_AGAIN, buttons=buttons or [])
            return []
        return [FollowupAction(action)]
