"""Consultations (信息咨询): answer from the knowledge base, with the citation."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from hotline.acts import META_KEY
from hotline.channels import parse_sender
from hotline.privacy import mask_pii
from knowledge_base.answer import KB_DOWN, Answer, compose_answer
from work_orders import intake, messages

from .common import send_meta

log = logging.getLogger(__name__)

# a question asked with a request's words (hotline/acts.py): after the answer, offer the act; without one, do it
OFFERS = {
    "complain": ("需要现在帮您登记投诉吗？", [("是，登记投诉", "/complain"), ("不用了", "/deny")]),
    "suggest": ("需要现在帮您登记意见建议吗？", [("是，提出建议", "/suggest"), ("不用了", "/deny")]),
    "ticket_status": ("需要现在帮您查询工单进度吗？", [("查询工单", "/ticket_status"), ("不用了", "/deny")]),
    "handoff": ("需要为您转接人工客服吗？", [("转人工客服", "/handoff"), ("不用了", "/deny")]),
}
FALLBACKS = {
    "complain": "complaint_form",
    "suggest": "suggestion_form",
    "ticket_status": "status_form",
    "handoff": "action_handoff",
}


def asked_as(tracker: Tracker) -> str | None:
    """The intent NLU saw in a message the channel took as a question (``hotline_asked_as``), if any."""
    meta = (tracker.latest_message or {}).get("metadata") or {}
    original = meta.get(META_KEY)
    return original.get("name") if isinstance(original, dict) else None


def search_answer(kb, question: str, region: str | None) -> tuple[Answer, list]:
    """One search: the hits above the threshold answer; the best one below it helps the editor. Raises what the KB
    raises."""
    hits = kb.search(question, k=3, region=region, min_score=0.0)
    return compose_answer([h for h in hits if h.score >= kb.min_score], user_region=region), hits


def region_of(tracker: Tracker) -> str | None:
    """Where the user is, if the channel knows (e.g. a WeChat location); region-scoped policies need it."""
    region = tracker.get_slot("region") if "region" in (tracker.slots or {}) else None
    return region or ((tracker.latest_message or {}).get("metadata") or {}).get("region")


def answer_in_form(kb, dispatcher: CollectingDispatcher, question: str, region: str | None) -> bool:
    """A question asked while a form is open: the KB's answer with its citation, or an honest "not found"; the form
    then asks its question again. True when the KB answered."""
    if kb is None:
        dispatcher.utter_message(text="这个问题我稍后再为您解答，我们先把登记完成。")
        return False
    try:
        answer, _hits = search_answer(kb, question, region)
    except Exception:  # the form must go on
        log.exception("knowledge-base search failed for %r", mask_pii(question))
        dispatcher.utter_message(text=KB_DOWN)
        return False
    if answer.matched:
        dispatcher.utter_message(text=answer.text)
        send_meta(dispatcher, sources=answer.sources, kb_matched=True)
        return True
    dispatcher.utter_message(text="这个问题知识库里暂时没有答案，登记完成后可以再问我，或拨打12328电话咨询。")
    return False


class ActionAnswerFromKB(Action):
    def __init__(self, kb, gaps=None) -> None:
        self.kb = kb
        self.gaps = gaps  # knowledge_base.gaps.KnowledgeGaps: what the KB could not answer, for editors

    def name(self) -> str:
        return "action_answer_from_kb"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        question = (tracker.latest_message or {}).get("text") or ""
        refused = intake.refusal(question)  # 第十九条: the caller's lawsuit, petition… is refused, with where to go
        if refused:
            dispatcher.utter_message(text=refused[1])
            return []
        if intake.reads_as_complaint(question) and intake.COMPLAINT_OPENING_RE.match(question.strip()):
            return [FollowupAction("complaint_form")]  # "投诉某某公司…": a complaint NLU was unsure of
        region = region_of(tracker)
        try:
            answer, hits = search_answer(self.kb, question, region)
        except Exception:  # the user must still get a sensible reply
            log.exception("knowledge-base search failed for %r", mask_pii(question))
            dispatcher.utter_message(text=KB_DOWN)
            return []
        if answer.matched:
            dispatcher.utter_message(text=answer.text)
            send_meta(dispatcher, sources=answer.sources, kb_matched=True)
            offer = OFFERS.get(asked_as(tracker) or "")
            if offer:
                dispatcher.utter_message(text=offer[0], buttons=[{"title": t, "payload": p} for t, p in offer[1]])
            return [SlotSet("misses", 0)]
        fallback = FALLBACKS.get(asked_as(tracker) or "")
        if fallback is None and intake.reads_as_complaint(question):
            fallback = "complaint_form"  # a grievance the KB cannot answer ("汽修厂给我换了假配件还收高价")
        if fallback:  # no answer to a question asked as a request: do what the request would have done
            return [FollowupAction(fallback)]
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
