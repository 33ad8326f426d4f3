"""Consultations (信息咨询): answer from the knowledge base, with the citation — or ask which entry was meant, or
say honestly that the KB has no answer (knowledge_base.decision: answer, clarify, refuse).

A clarification is one message, "您想问的是哪一个？", with a button per plausible entry whose payload names it,
``/consult{"article_id": 12}``, and a last button "都不是" (``article_id`` 0). A message carrying ``article_id``
answers that article directly (no search); "都不是" gets the refusal with its offers. On WeChat the buttons are
numbered choices and a digit sends the payload (channels/wechat/text.py).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from hotline.acts import (
    META_KEY,
    OFFER_TITLES,
    REFUSAL_TITLES,
    asks_how_to,
    asks_if_ours,
    asks_what_to_do,
    lost_order_number,
    names_police_business,
    police_topic,
)
from hotline.channels import parse_sender
from hotline.errors import HotlineError
from hotline.privacy import mask_pii
from hotline.text import asks_nothing, normalize
from knowledge_base.answer import KB_DOWN, NO_MATCH, Answer, compose_answer
from knowledge_base.calibration import SMALL_KB_MARGIN
from knowledge_base.decision import ANSWER, CLARIFY
from work_orders import intake, messages

from .common import NO_NUMBER_REPLY, buttons_of, int_entity, send_meta, was_offered

log = logging.getLogger(__name__)

# a question asked with a request's words (hotline/acts.py): after the answer, offer the act; without one, do it
OFFERS = {
    "complain": ("需要现在帮您登记投诉吗？", [(OFFER_TITLES["complain"], "/complain"), ("不用了", "/deny")]),
    "suggest": ("需要现在帮您登记意见建议吗？", [(OFFER_TITLES["suggest"], "/suggest"), ("不用了", "/deny")]),
    "ticket_status": (
        "需要现在帮您查询工单进度吗？",
        [(OFFER_TITLES["ticket_status"], "/ticket_status"), ("不用了", "/deny")],
    ),
    "handoff": ("需要为您转接人工客服吗？", [(OFFER_TITLES["handoff"], "/handoff"), ("不用了", "/deny")]),
}
# a question asked with a request's words that the KB cannot answer: the refusal offers that act first (a button,
# never a form the user did not ask for: "投诉举报的工单省里会复核吗" must not be met with "请发送工单编号")
REFUSAL_OFFERS = {
    "complain": (REFUSAL_TITLES["complain"], "/complain", "如果您想就此投诉，可以点“登记投诉”。"),
    "suggest": (REFUSAL_TITLES["suggest"], "/suggest", "如果您想就此提出意见建议，可以点“提出建议”。"),
    "ticket_status": (
        REFUSAL_TITLES["ticket_status"],
        "/ticket_status",
        "如果您想查询自己工单的进度，可以点“查询工单”。",
    ),
}


CLARIFY_PROMPT = "您想问的是哪一个？"
# a grievance asked what to do about (hotline.acts.asks_what_to_do), where the KB has no sure answer of its own
WHAT_TO_DO_REPLY = (
    "遇到这种情况可以向12328投诉。{field}方面的问题属于12328热线的受理范围，登记后转交当地交通运输主管部门或相关单位"
    "办理，并按规定时限答复您。"
)
# asked whether 12328 handles a field of its own (hotline.acts.asks_if_ours); a KB answer this sure still wins
OURS_REPLY = (
    "{field}方面的问题属于12328热线的受理范围。根据《12328交通运输服务监督热线管理办法》第二条，12328热线受理公路、水路、"
    "道路运输、城市客运、海事、救助打捞、海上搜救等业务领域的信息咨询、投诉举报、意见建议，由当地交通运输主管部门或"
    "相关单位办理。"
)
SURE = 0.95
# a question NLU took for a complaint ("出租车司机绕路多收钱怎么办", "貨車司機在服務區被收停車費 合理嗎") for which a small
# KB has only entries alike at the threshold (clauses on how a centre works): no guess, and the complaint offered
UNSURE_THEN_COMPLAIN = (
    "这个问题知识库里暂时没有明确的答案，为免误导，我不作猜测性答复。如果您认为自己的权益受到了侵害，"
    "在这里就可以直接投诉：告诉我投诉对象、事情经过、发生的时间地点和您的诉求，我帮您登记成投诉举报工单，"
    "转交承办单位办理并答复您。"
)
# asked how to complain or suggest, unless the KB is sure of an answer of its own: the bot itself is the way
HOW_TO = {
    "complain": (
        "在这里就可以直接投诉：告诉我投诉对象（车牌号、公司、线路或站点）、事情经过、发生的时间地点和您的诉求，"
        "我帮您登记成投诉举报工单，转交承办单位办理并答复您；也可以拨打12328电话投诉。"
    ),
    "suggest": (
        "在这里就可以直接提意见建议：说说您的建议，我帮您登记成意见建议工单，转交相关单位研究办理并答复您；"
        "也可以拨打12328电话反映。"
    ),
}
# a refused question on the traffic police's business (hotline.acts.police_topic): where it is done
POLICE_HINT = (
    "驾驶证记分、交通违法处理和驾驶证、行驶证业务由公安交管部门办理，可以通过“交管12123”App或当地车管所查询办理。"
)
ANSWER_REJECTED = "明白了，刚才的答复不是您要找的。"  # "不是这个" right after a direct answer
# a message with nothing in it to search for ("？", "😭😭"): asked what it is about, not refused
NOTHING_ASKED = "请问您想咨询什么，或者要反映什么问题？可以直接打字或发语音告诉我。"
IN_FORM_GUESS_NOTE = "如果不是您想问的，登记完成后可以换个说法再问我。"
CONFIRM_PROMPT = "您想问的是这一条吗？"  # one strong entry the bot is not sure enough of to answer directly
NONE_OF_THESE = 0  # the article_id of the "都不是" button
NONE_OF_THESE_TITLE = "都不是"
MAX_CHOICE_TITLE = 30  # characters of a choice's button (WeChat shows it as "回复1：…")
CLAUSE_END = re.compile(r"\s*(第[一二三四五六七八九十百零〇两\d]+条)$")
TITLE_BREAK = re.compile(r"[\s，,：:；;｜|—]+")


def _leads(decision, margin: float = SMALL_KB_MARGIN) -> bool:
    """Whether a direct answer's entry leads the runner-up by ``margin``: "怎么投诉" scored five of 管理办法's clauses
    1.096–1.102 (投诉 in each), and the first, 第二十一条 (who is responsible), was answered as if the KB were sure of it."""
    scores = [float(h.score) for h in (decision.candidates or decision.hits)[:2]]
    return len(scores) < 2 or scores[0] - scores[1] >= margin


def ranked(kb) -> bool:
    """Whether the KB decides on the fitted ranker's probabilities (knowledge_base.decision.Policy.ranked): a large KB,
    whose choices must mean the question; a small one (or a KB without a policy) offers entries on their scores."""
    policy = getattr(kb, "policy", None)
    return bool(policy is not None and policy.ranked)


def choice_payload(article_id: int) -> str:
    return "/consult" + json.dumps({"article_id": article_id})


def choice_title(title: str, limit: int = MAX_CHOICE_TITLE) -> str:
    """A button's title for an entry: its title, shortened to ``limit`` characters where it is longer. A clause
    keeps its number ("国务院办公厅关于…的实施意见… 第二十三条": siblings differ there); a headline is cut at a
    break (space, comma, colon) when that leaves enough of it, else cut with "…"."""
    title = " ".join((title or "").split())
    if len(title) <= limit:
        return title
    clause = CLAUSE_END.search(title)
    if clause and len(clause.group(1)) + 4 <= limit:
        number = clause.group(1)
        return title[: clause.start()][: limit - len(number) - 2].rstrip() + "… " + number
    head = title[: limit - 1]
    breaks = [m.start() for m in TITLE_BREAK.finditer(head) if m.start() >= limit // 2]
    return head[: breaks[-1]] if breaks else head.rstrip() + "…"


def choice_titles(hits) -> list[str]:
    """The buttons' titles for the entries offered. Clauses of one law differ only in their numbers
    ("12328交通运输服务监督热线管理办法 第二十六条" three times over tells the user nothing): each is then its number and
    the start of its matched passage ("第二十六条：各级交通运输主管部门应当落实主体责任")."""
    titles = [" ".join((h.title or "").split()) for h in hits]
    clauses = [CLAUSE_END.search(t) for t in titles]
    laws = {t[: c.start()] for t, c in zip(titles, clauses) if c}
    if len(hits) < 2 or not all(clauses) or len(laws) != 1:
        out = [choice_title(t) for t in titles]
    else:
        out = []
        for h, clause in zip(hits, clauses):
            number = clause.group(1)
            passage = " ".join((h.text or "").split())
            passage = passage[len(number) :].lstrip(" ：:") if passage.startswith(number) else passage
            passage = re.split(r"[。；;！!？?]", passage, maxsplit=1)[0]  # its first sentence, at most
            out.append(choice_title(f"{number}：{passage}") if passage else number)
    # an entry found by one of its similar questions (相似问法) is offered as that question: "您想问的是哪一个？" is
    # answered best by questions ("对处理结果不满意能在回访时说吗", not "第二十九条：12328热线服务中心应当在投诉举报类…")
    asked = [choice_title(q) if (q := " ".join((getattr(h, "question", None) or "").split())) else None for h in hits]
    labels = [a or o for a, o in zip(asked, out)]
    return labels if len(set(labels)) == len(labels) else out


def chosen_article(tracker: Tracker) -> int | None:
    """The ``article_id`` entity of a pressed choice (``/consult{"article_id": 12}``), if the message has one."""
    value = int_entity(tracker, "article_id")
    return value if value is not None and value >= 0 else None


def asked_as(tracker: Tracker) -> str | None:
    """The intent NLU saw in a message the channel took as a question (``hotline_asked_as``), if any."""
    meta = (tracker.latest_message or {}).get("metadata") or {}
    original = meta.get(META_KEY)
    return original.get("name") if isinstance(original, dict) else None


def direct_answer(kb, decision) -> Answer | None:
    """The reply for a decision to answer: the top entry quoted and cited, the runners-up that reach the answer
    threshold named as related provisions; None when the decision is to clarify or refuse."""
    if decision.kind != ANSWER:
        return None
    related = [h for h in decision.candidates[1:3] if h.score >= kb.min_score]
    return compose_answer(decision.hits + related)


def region_of(tracker: Tracker) -> str | None:
    """Where the user is, if the channel knows (e.g. a WeChat location); region-scoped policies need it (a place the
    question names wins: the search resolves it, knowledge_base.regions)."""
    region = tracker.get_slot("region") if "region" in (tracker.slots or {}) else None
    return region or ((tracker.latest_message or {}).get("metadata") or {}).get("region")


# "这种情况能投诉吗" asked in the complaint form registering it
CAN_BE_FILED = (
    "可以投诉。您反映的情况我正在为您登记，回答完下面几个问题就能提交，承办单位会在规定时限内办理并答复您；"
    "如果只是想了解一下、暂不登记，回复“取消”即可。"
)


def answer_in_form(
    kb, dispatcher: CollectingDispatcher, question: str, region: str | None, order_type: str = "complaint"
) -> bool:
    """A question asked while a form is open: the KB's answer with its citation (where the KB would offer choices,
    the likeliest one, said to be a guess), or an honest "not found"; the form then asks its question again. How
    long the order being registered takes is the form's own answer unless the KB is sure of one. True when the KB
    answered."""
    if order_type == "complaint" and intake.asks_if_it_can_be_filed(question):
        # "就是问问 这种情况能投诉吗": this form is registering it (the KB quoted 第十九条's grounds for refusal)
        dispatcher.utter_message(text=CAN_BE_FILED)
        return True
    if kb is None:
        dispatcher.utter_message(text="这个问题我稍后再为您解答，我们先把登记完成。")
        return False
    try:
        decision = kb.decide(question, region=region)  # the same decision as outside a form
        answer = direct_answer(kb, decision)
    except Exception:  # the form must go on
        log.exception("knowledge-base search failed for %r", mask_pii(question))
        dispatcher.utter_message(text=KB_DOWN)
        return False
    if answer is None and intake.asks_about_time_limit(question):
        # "投诉出租车司机拒载的话要几天能处理": the seed KB's likeliest entry was 第十五条 (which centre accepts a matter)
        dispatcher.utter_message(text=messages.time_limits(order_type))
        return False
    if answer is None and decision.kind == CLARIFY:
        # choices cannot be offered inside a form (a pressed button would be taken for the form's answer): the
        # likeliest entry is quoted, said to be a guess, and the user told how to ask again
        likely = compose_answer(decision.hits[:1])
        answer = Answer(f"您问的可能是这一条——{likely.text}\n{IN_FORM_GUESS_NOTE}", likely.sources, likely.matched)
    if answer is not None:
        dispatcher.utter_message(text=answer.text)
        send_meta(dispatcher, sources=answer.sources, kb_matched=True)
        return True
    dispatcher.utter_message(text="这个问题知识库里暂时没有答案，登记完成后可以再问我，或拨打12328电话咨询。")
    return False


def offer_buttons(act: str) -> list[dict]:
    """The buttons that offer an act the bot can do (OFFERS: "是，登记投诉" / "不用了")."""
    return buttons_of(OFFERS[act][1])


def _offer(dispatcher: CollectingDispatcher, act: str | None) -> None:
    """ "需要现在帮您登记投诉吗？" with its buttons, for an act the bot can do (OFFERS), else nothing."""
    if act in OFFERS:
        dispatcher.utter_message(text=OFFERS[act][0], buttons=offer_buttons(act))


def goes_on_with_the_offer(tracker: Tracker, text: str) -> bool:
    """A bare time or place ("昨晚", "京港澳高速漯河服务区") just after the bot offered to register a complaint: the
    caller goes on with the matter (the form opens with what was told before and this)."""
    return was_offered(tracker, "/complain") and bool(intake.only_when_or_where(text))


def off_the_police_topic(question: str, decision) -> bool:
    """A question on the traffic police's business ("驾驶证扣分了怎么处理") whose entries found name none of it (the
    seed KB offered 第二十八条 and 第二十六条, on replies and coordination): refused, with where it is done."""
    return police_topic(question) and not any(names_police_business(f"{h.title} {h.text}") for h in decision.hits)


class ActionGreet(Action):
    """The greeting (with its suggested questions), unless the message goes on with a complaint just offered: NLU
    hears a bare time as a greeting ("昨天下午" greet 0.50, "昨天 下午三点" 0.95 after "需要现在帮您登记投诉吗？")."""

    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        if goes_on_with_the_offer(tracker, tracker.latest_message.get("text") or ""):
            return [FollowupAction("complaint_form")]
        dispatcher.utter_message(response="utter_greet")
        return []


class ActionAnswerFromKB(Action):
    def __init__(self, kb, gaps=None) -> None:
        self.kb = kb
        self.gaps = gaps  # knowledge_base.gaps.KnowledgeGaps: what the KB could not answer, for editors

    def name(self) -> str:
        return "action_answer_from_kb"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        region = region_of(tracker)
        chosen = chosen_article(tracker)
        if chosen is not None:
            return self.answer_chosen(dispatcher, tracker, chosen, region)
        question = (tracker.latest_message or {}).get("text") or ""
        if question.startswith("/"):  # a payload without a usable choice is no question to search for
            question = ""
        return self.answer_question(dispatcher, tracker, question, region)

    def answer_question(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, question: str, region: str | None
    ) -> list:
        """The reply to a question (the message's text, or a suggested question the user chose by its number)."""
        if asks_nothing(question):  # "？", "😭😭", "我想问下", an empty payload: nothing asked yet (no gap, no miss)
            dispatcher.utter_message(text=NOTHING_ASKED)
            return []
        refused = intake.refusal(question)  # 第十九条: the caller's lawsuit, petition… is refused, with where to go
        if refused:
            dispatcher.utter_message(text=refused[1])
            return []
        if goes_on_with_the_offer(tracker, question):
            # "服务区 偷油" (referred to 110, the complaint offered), then "昨晚": the driver goes on with the matter;
            # the form opens with what was told before and this (no KB search for a bare time)
            return [FollowupAction("complaint_form")]
        if intake.reads_as_complaint(question) and intake.COMPLAINT_OPENING_RE.match(question.strip()):
            return [FollowupAction("complaint_form")]  # "投诉某某公司…": a complaint NLU was unsure of
        try:
            decision = self.kb.decide(question, region=region)
        except Exception:  # the user must still get a sensible reply
            log.exception("knowledge-base search failed for %r", mask_pii(question))
            dispatcher.utter_message(text=KB_DOWN)
            return []
        if lost_order_number(question) and not (decision.kind == ANSWER and (decision.confidence or 0) >= SURE):
            # "工单号忘了还能查吗", "我的投诉单号是多少 怎么查": where the number is and who can look it up without it
            # (the seed KB offered three clauses on time limits)
            dispatcher.utter_message(text=NO_NUMBER_REPLY)
            return []
        act = asks_how_to(normalize(question))
        if act in HOW_TO and self._the_way_is_here(decision):
            # "網約車司機繞遠路多收錢 怎麼投訴": the way is this conversation; the seed KB quoted 第二十五条 (how a
            # centre forwards complaints) for it
            return self._reply_and_offer(dispatcher, HOW_TO[act], act)
        if intake.asks_about_anonymity(question) and not (decision.kind == ANSWER and decision.confidence >= SURE):
            # "可以匿名投诉吗": the form's own answer; the seed KB offered 第十九条, 第二十五条 and 第二十八条 for it
            return self._reply_and_offer(dispatcher, intake.ANONYMITY_REPLY, "complain")
        field = asks_if_ours(question)
        if field and not (decision.kind == ANSWER and (decision.confidence or 0) >= SURE):
            # "网约车平台抽成太高 这个归你们管吗": yes (第二条), and the complaint offered; the KB's entries on the
            # matter would answer another question (the seed's 第二十二条 / 第十九条 for it, or a news report)
            return self._reply_and_offer(dispatcher, OURS_REPLY.format(field=field), "complain")
        field = asks_what_to_do(question)
        if field and self._the_way_is_here(decision):
            # "出租车不打表怎么办": a complaint is the way; the seed KB offered "出租车公交车的事12328管不管" and
            # "出租车司机反映的事是市里的12328受理吗" (a large KB's answer or choices stand)
            return self._reply_and_offer(dispatcher, WHAT_TO_DO_REPLY.format(field=field), "complain")
        if decision.kind == CLARIFY and asked_as(tracker) == "complain" and not ranked(self.kb):
            # on a small KB the close entries are clauses on how a centre works: the first was answered (第二十五条
            # for "貨車司機在服務區被收停車費 合理嗎"), its choices would be no better
            self._gap(tracker, question, decision.hits[0], "refuse")
            return self._reply_and_offer(dispatcher, UNSURE_THEN_COMPLAIN, "complain")
        if decision.kind in (ANSWER, CLARIFY) and not off_the_police_topic(question, decision):
            return self.respond(dispatcher, tracker, question, decision)
        if asked_as(tracker) is None and intake.reads_as_complaint(question):
            # a grievance the KB cannot answer ("汽修厂给我换了假配件还收高价")
            return [FollowupAction("complaint_form")]
        self._gap(tracker, question, decision.candidates[0] if decision.candidates else None, "refuse")
        act = asked_as(tracker) or asks_how_to(normalize(question))  # "計程車拒載怎麼投訴" too, whatever NLU said
        return self._refuse(dispatcher, tracker, question, act=act)

    def _the_way_is_here(self, decision) -> bool:
        """Whether a question asking how to complain or suggest is answered with the way (this conversation) rather
        than the KB's decision: when the KB refuses it, and on a small KB (its entries alike at the threshold are
        clauses on how a centre works) unless it is sure of one; a large KB's answer, or its choices (with the act's
        button), stand."""
        if decision.kind not in (ANSWER, CLARIFY):
            return True
        return not ranked(self.kb) and not (
            decision.kind == ANSWER and (decision.confidence or 0) >= SURE and _leads(decision)
        )

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, question: str, decision) -> list:
        """The reply to a decision to answer or to clarify, made here or by another action (a referral)."""
        answer = direct_answer(self.kb, decision)
        if answer is not None:
            return self._answer(dispatcher, tracker, answer, question)
        return self._clarify(dispatcher, tracker, question, decision)

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, answer: Answer, question: str = "") -> list:
        dispatcher.utter_message(text=answer.text)
        send_meta(dispatcher, sources=answer.sources, kb_matched=True)
        _offer(dispatcher, asked_as(tracker) or asks_how_to(normalize(question)))
        return [SlotSet("misses", 0)]

    @staticmethod
    def _reply_and_offer(dispatcher: CollectingDispatcher, text: str, act: str) -> list:
        """The bot's own reply (no KB entry behind it, so no sources), then the offer of the act."""
        dispatcher.utter_message(text=text)
        send_meta(dispatcher, sources=[], kb_matched=False)
        _offer(dispatcher, act)
        return [SlotSet("misses", 0)]

    def _clarify(self, dispatcher: CollectingDispatcher, tracker: Tracker, question: str, decision) -> list:
        """Two or three plausible entries: the user says which; one: the user confirms it (the question is kept
        for "都不是")."""
        buttons = [
            {"title": title, "payload": choice_payload(h.article_id)}
            for h, title in zip(decision.hits, choice_titles(decision.hits))
        ]
        act = REFUSAL_OFFERS.get(asked_as(tracker) or asks_how_to(normalize(question)) or "")
        if act:  # "出租车拒载怎么投诉" on a large KB: besides the entries, the bot itself takes the complaint
            buttons.append({"title": act[0], "payload": act[1]})
        buttons.append({"title": NONE_OF_THESE_TITLE, "payload": choice_payload(NONE_OF_THESE)})
        prompt = CLARIFY_PROMPT if len(decision.hits) > 1 else CONFIRM_PROMPT
        dispatcher.utter_message(text=prompt, buttons=buttons)
        send_meta(dispatcher, sources=[], kb_matched=False)
        self._gap(tracker, question, decision.hits[0], "clarify")
        return [SlotSet("last_question", question[:500])]

    def answer_rejected(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, question: str, lead: str = ""
    ) -> list:
        """None of what was offered or answered fits ("都不是", "不是这个"): a knowledge gap for the editors, and the
        honest refusal with its offers (after ``lead``)."""
        if question and self.gaps is not None:
            try:
                self.gaps.none_fit(question, channel=self._channel(tracker))
            except Exception:  # counting a gap must never cost the user the reply
                log.exception("could not record a knowledge gap")
        return self._refuse(dispatcher, tracker, question, lead=lead)

    def answer_chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker, article_id: int, region) -> list:
        """A pressed choice: that article, cited; "都不是": the refusal with its offers."""
        question = tracker.get_slot("last_question") or ""
        if article_id == NONE_OF_THESE:
            return self.answer_rejected(dispatcher, tracker, question)
        try:
            hit = self.kb.chosen(article_id, region=region)
        except HotlineError as exc:  # retired or expired since: said plainly
            dispatcher.utter_message(
                text=exc.message,
                buttons=[
                    {"title": messages.leave_question_button(), "payload": "/leave_question"},
                    {"title": "转人工客服", "payload": "/handoff"},
                ]
                if question
                else [],
            )
            send_meta(dispatcher, sources=[], kb_matched=False)
            return []
        except Exception:
            log.exception("knowledge-base lookup of article %s failed", article_id)
            dispatcher.utter_message(text=KB_DOWN)
            return []
        return self._answer(dispatcher, tracker, compose_answer([hit]))

    def _refuse(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, question: str, act: str | None = None, lead: str = ""
    ) -> list:
        """The honest refusal (拒答), with a consultation order or a human on offer — and, for a question asked
        with a request's words, that request first. ``lead`` goes before it ("刚才的答复不是您要找的")."""
        misses = int(tracker.get_slot("misses") or 0) + 1
        text = lead + NO_MATCH
        buttons = [
            {"title": messages.leave_question_button(), "payload": "/leave_question"},
            {"title": "转人工客服", "payload": "/handoff"},
        ]
        if police_topic(question):  # "我的驾照被扣了12分": where that is done, beside the offers
            text += "\n" + POLICE_HINT
        offer = REFUSAL_OFFERS.get(act or "")
        if offer:
            text += "\n" + offer[2]
            buttons.insert(0, {"title": offer[0], "payload": offer[1]})
        if misses >= 2:  # repeated failure: offer a human before the user gives up
            text += "\n多次没能帮到您，很抱歉。可以转人工客服，或把问题登记下来由工作人员答复。"
        dispatcher.utter_message(text=text, buttons=buttons)
        send_meta(dispatcher, sources=[], kb_matched=False)
        return [SlotSet("misses", misses), SlotSet("last_question", question[:500])]

    @staticmethod
    def _channel(tracker: Tracker) -> str | None:
        sender = parse_sender(tracker.sender_id)
        return sender[0] if sender else None

    def _gap(self, tracker: Tracker, question: str, best, kind: str) -> None:
        if self.gaps is None:
            return
        try:
            self.gaps.record(question, channel=self._channel(tracker), best=best, kind=kind)
        except Exception:  # counting a gap must never cost the user the reply
            log.exception("could not record a knowledge gap")
