"""A typed yes or no to the bot's last offer: what pressing the offer's button would have done.

The bot puts yes/no offers as buttons: "需要现在帮您登记投诉吗？" [是，登记投诉 | 不用了] after an answer to a question
asked with a request's words, "您想问的是这一条吗？" [the entry | 都不是] for a lone strong entry. Drivers on the road
type "是", "好的", "嗯" or "👍" instead (and the official account has no buttons, only numbered lines). NLU reads
those as ``affirm`` / ``deny``; this action finds the offer in the bot's last turn and carries out its yes (the one
button that is not a no) or its no (the button whose payload is ``/deny`` or the "都不是" choice). A yes to a choice
among several entries is asked again with the same buttons; with no offer pending, the reply is the old one
("好的。还有什么可以帮您？…").
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from .knowledge import NONE_OF_THESE, ActionAnswerFromKB, region_of

NO_PAYLOADS = ("/deny",)
# what a yes starts, as the rules map the button's intent (training_data/rules.yml)
STARTS = {
    "/complain": "complaint_form",
    "/suggest": "suggestion_form",
    "/ticket_status": "status_form",
    "/leave_question": "action_leave_question",
    "/handoff": "action_handoff",
}
NOTHING_PENDING = "utter_affirm_nothing_pending"
DECLINED = "好的，不需要就不登记了。还有什么可以帮您？"
CHOOSE_AGAIN = "请点选其中一项（微信里回复它的序号）："


def last_offer(tracker: Tracker) -> list[dict]:
    """The buttons of the bot's last turn (between the previous user message and this one), or []."""
    events = list(tracker.events or [])
    seen_user = False
    buttons: list[dict] = []
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                break
            seen_user = True  # the message being answered now
            continue
        if seen_user and kind == "bot":
            found = (event.get("data") or {}).get("buttons") or []
            if found:  # the turn's last message with buttons
                buttons = found
                break
    return [b for b in buttons if isinstance(b, dict) and b.get("payload")]


def _article_of(payload: str) -> int | None:
    """The article of a choice's payload (``/consult{"article_id": 12}``), else None."""
    if not payload.startswith("/consult{"):
        return None
    try:
        return int(json.loads(payload.removeprefix("/consult")).get("article_id"))
    except (ValueError, TypeError, AttributeError):
        return None


def is_no(payload: str) -> bool:
    return payload in NO_PAYLOADS or _article_of(payload) == NONE_OF_THESE


class ActionYesNo(Action):
    def __init__(self, knowledge: ActionAnswerFromKB) -> None:
        self.knowledge = knowledge  # a chosen entry is answered as a pressed choice would be

    def name(self) -> str:
        return "action_yes_no"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        buttons = last_offer(tracker)
        noes = [b for b in buttons if is_no(b["payload"])]
        yeses = [b for b in buttons if not is_no(b["payload"])]
        if not noes:  # no yes/no offer pending (a greeting's suggestions, a refusal's two offers)
            dispatcher.utter_message(response=NOTHING_PENDING)
            return []
        if intent == "deny":
            return self._take(dispatcher, tracker, noes[0]["payload"])
        if len(yeses) == 1:
            return self._take(dispatcher, tracker, yeses[0]["payload"])
        dispatcher.utter_message(text=CHOOSE_AGAIN, buttons=buttons)  # "是" to "您想问的是哪一个？"
        return []

    def _take(self, dispatcher: CollectingDispatcher, tracker: Tracker, payload: str) -> list:
        article = _article_of(payload)
        if article is not None:  # an entry confirmed, or "都不是"
            return self.knowledge._chosen(dispatcher, tracker, article, region_of(tracker))
        if payload in NO_PAYLOADS:
            dispatcher.utter_message(text=DECLINED)
            return []
        action = STARTS.get(payload.split("{", 1)[0])
        if action is None:
            dispatcher.utter_message(response=NOTHING_PENDING)
            return []
        return [FollowupAction(action)]
