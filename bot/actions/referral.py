"""Matters 12328 does not handle (第三条): tell the user which hotline does.

An emergency is referred at once, and so is a question about whom to call ("快递丢了找谁", "打哪个电话"). A question
about a sector with a hotline of its own (railway 12306, civil aviation 12326, post 12305: "火车托运的东西丢了怎么赔")
gets that hotline and, after it, the knowledge base's answer when the KB has one (a centre's KB follows the local
12345 hotline's and may hold the rule asked about), or on a large KB the entries it offers. Any other question NLU
sent away ("低收入户有哪些补助", "看到流浪的人怎么送救助站") is first put to the knowledge base, and only when the KB
would refuse does the general list of numbers stand."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from hotline.acts import (
    AIR_WORDS,
    OTHER_HOTLINE_MATTERS,
    POLICE_WORDS,
    POST_WORDS,
    RAIL_WORDS,
    THEFT_WORDS,
    is_question,
)
from hotline.privacy import mask_pii
from hotline.text import normalize
from knowledge_base.decision import ANSWER, CLARIFY
from work_orders.intake import refusal

from .knowledge import ActionAnswerFromKB, offer_buttons, ranked, region_of

log = logging.getLogger(__name__)

THEFT_REFERRAL = (
    "财物被盗、被抢请立即拨打110报警，并保存好现场、监控录像和相关票据。"
    "如需反映服务区、停车场、车站等场所安全管理方面的问题，可以回复“投诉”为您登记。"
)
# (keywords, reply) - first match wins, so emergencies come first; the first EMERGENCIES of them (distress, accidents,
# breakdowns) are referred at once; the others are matters with a place of their own (the police: a theft, the traffic
# police's fines; railway, aviation, post), whose questions also get the KB's answer where it has one.
EMERGENCIES = 3
REFERRALS: list[tuple[tuple[str, ...], str]] = [
    (
        ("落水", "翻船", "船翻", "沉船", "遇险", "海上求救", "水上求救", "溺水"),
        "水上遇险请立即拨打12395水上遇险求救电话，同时可拨打110报警。",
    ),
    (
        ("车祸", "撞车", "追尾", "事故", "受伤", "流血", "着火", "起火", "抢劫", "打架", "急救"),
        "如有人员受伤请立即拨打120急救电话；交通事故请拨打122报警，其他紧急情况请拨打110。"
        "请先开启危险报警闪光灯，人员撤到护栏外安全地带。",
    ),
    (
        ("拖车", "抛锚", "车坏", "爆胎", "没油", "故障", "救援"),
        "高速公路上车辆故障需要救援，请拨打高速公路救援电话（多数省份为12122），紧急情况拨打122。"
        "请先开启危险报警闪光灯，在车后150米外放置警告标志，人员撤到护栏外。",
    ),
    (THEFT_WORDS, THEFT_REFERRAL),
    (
        POLICE_WORDS,
        "交警（公安机关交通管理部门）的执法、罚款、记分和车驾管业务不属于12328热线的受理范围：对交通违法处理有异议，"
        "可以通过“交管12123”App或向作出处理的交警部门提出，也可以依法申请行政复议或提起行政诉讼；"
        "反映交警执法作风问题，可拨打12345或向当地公安机关反映。",
    ),
    (
        RAIL_WORDS,
        "铁路客货运输的咨询和投诉请拨打12306铁路客户服务中心，或使用铁路12306客户端。",
    ),
    (
        AIR_WORDS,
        "民航服务的咨询和投诉请拨打12326民航服务质量监督电话，或登录民航局消费者事务中心网站。",
    ),
    (
        POST_WORDS,
        "快递和邮政服务的问题请拨打12305邮政业用户申诉电话，或登录国家邮政局申诉网站。",
    ),
    (
        OTHER_HOTLINE_MATTERS,
        "物业、供暖、水电气、社保医保、户籍、城管等事项不属于12328热线的受理范围，请拨打12345政务服务便民热线。",
    ),
]
DEFAULT_REFERRAL = (
    "这类事项不属于12328热线的受理范围：铁路请拨打12306，民航请拨打12326，邮政快递请拨打12305，"
    "交通事故和紧急情况请拨打122/110/120，水上遇险请拨打12395，其他政务事项请拨打12345。"
)


# a question about whom to turn to ("找谁", "打哪个电话", "归谁管", "打12328管用不"): the referral is its answer
# (matched on the normalised text: Traditional is already Simplified there)
_ASKS_WHO = re.compile(r"找谁|哪个电话|什么电话|哪个部门|打哪|打几号|归谁|谁管|管用|管不管|号码|归[^，。,]{0,8}管")

SECTOR, EMERGENCY, GENERAL = "sector", "emergency", "general"


def referral_for(text: str) -> str:
    return _referral(text)[0]


def _referral(text: str) -> tuple[str, str]:
    """The referral for a message and its kind: EMERGENCY, SECTOR (a hotline of its own) or GENERAL (the list)."""
    plain = normalize(text)
    for n, (keywords, reply) in enumerate(REFERRALS):
        if any(word in plain for word in keywords):
            return reply, EMERGENCY if n < EMERGENCIES else SECTOR
    return DEFAULT_REFERRAL, GENERAL


class ActionReferElsewhere(Action):
    def __init__(self, kb=None, gaps=None) -> None:
        self.kb = kb
        self.answer = ActionAnswerFromKB(kb, gaps)

    def name(self) -> str:
        return "action_refer_elsewhere"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text = (tracker.latest_message or {}).get("text") or ""
        refused = refusal(text)  # 第十九条 (诉讼、仲裁、信访…): the refusal names where to go instead
        if refused:
            dispatcher.utter_message(text=refused[1])
            return []
        reply, kind = _referral(text)
        consult = kind == GENERAL or (kind == SECTOR and not _ASKS_WHO.search(normalize(text)))
        decision = self._kb_decision(text, region_of(tracker)) if consult else None
        if kind == SECTOR and decision is not None and decision.kind != ANSWER and not ranked(self.kb):
            # after another hotline's number, a small KB's choices (scored on shared words: 管理办法's clauses for a
            # railway question) are noise; a large, ranked KB offers only entries that reach the semantic floors, and
            # may hold the sector's rule ("国内航班行李赔偿限额谁来定": the right regulation among three)
            decision = None
        if kind != GENERAL or decision is None:
            # a theft's referral offers the complaint on the place's security as a button too (a driver taps it, or
            # goes on with when or where: bot/actions/knowledge.py takes that for the complaint)
            dispatcher.utter_message(text=reply, buttons=offer_buttons("complain") if reply == THEFT_REFERRAL else [])
        if decision is not None:  # the KB's answer (or its choices) in this same action: the turn's rule ends with it
            return self.answer.respond(dispatcher, tracker, text, decision)
        return []

    def _kb_decision(self, text: str, region: str | None):
        """The KB's decision for this question when it would answer it or offer entries for it; None when it would
        refuse (or the message is no question)."""
        if self.kb is None or not is_question(text):
            return None
        try:
            decision = self.kb.decide(text, region=region)
        except Exception:  # the referral is a sensible reply on its own
            log.exception("knowledge-base search failed for %r", mask_pii(text))
            return None
        return decision if decision.kind in (ANSWER, CLARIFY) else None
