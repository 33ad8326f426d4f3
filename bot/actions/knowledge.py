"""Consultations (信息咨询): answer from the knowledge base, with the citation."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from hotline.channels import parse_sender
from hotline.privacy import mask_pii
from knowledge_base.answer import KB_DOWN, compose_answer
from work_orders import messages

from .common import send_meta

log = logging.getLogger(__name__)


class ActionAnswerFromKB(Action):
    def __init__(self, kb, gaps=None) -> None:
        self.kb = kb
        self.gaps = gaps  # knowledge_base.gaps.KnowledgeGaps: what the KB could not answer, for editors

    def name(self) -> str:
        return "action_answer_from_kb"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        question = (tracker.latest_message or {}).get("text") or ""
        # the channel may know where the user is (e.g. a WeChat location); region-scoped policies need it
        region = tracker.get_slot("region") if "region" in (tracker.slots or {}) else None
        region = region or ((tracker.latest_message or {}).get("metadata") or {}).get("region")
        try:
            # one search: the hits above the threshold answer; the best one below it helps the editor
            hits = self.kb.search(question, k=3, region=region, min_score=0.0)
            answer = compose_answer([h for h in hits if h.score >= self.kb.min_score], user_region=region)
        except Exception:  # the user must still get a sensible reply
            log.exception("knowledge-base search failed for %r", mask_pii(question))
            dispatcher.utter_message(text=KB_DOWN)
            return []
        if answer.matched:
            dispatcher.utter_message(text=answer.text)
            send_meta(dispatcher, sources=answer.sources, kb_matched=True)
            return [SlotSet("misses", 0)]
        if self.gaps is not None:
            try:
                sender = parse_sender(tracker.sender_id)
                self.gaps.record(question, channel=sender[0] if sender else None, best=hits[0] if hits else None)
            except Exception:  # counting a gap must never cost the user the reply
                log.exception("could not record a knowledge gap")
        misses = int(tracker.get_slot("misses") or 0) + 1
        text = answer.text
        if misses >= 2:  # repeated failure: offer a human before the user gives up
            text += "\n多次没能帮到您，很抱歉。可以转人工客服，或把问题登记下来由工作人员答复。"
        dispatcher.utter_message(
            text=text,
            buttons=[
                {"title": messages.leave_question_button(), "payload": "/leave_question"},
                {"title": "转人工客服", "payload": "/handoff"},
            ],
        )
        send_meta(dispatcher, sources=answer.sources, kb_matched=False)
        return [SlotSet("misses", misses), SlotSet("last_question", question[:500])]
