"""Custom actions run as rasa_sdk runs them: Tracker.from_dict + CollectingDispatcher, and through the
app's /webhook endpoint with a Rasa 3.6 action-call payload."""

import json
import re
import zlib
from types import SimpleNamespace

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import NO_NUMBER_REPLY
from bot.actions.knowledge import (
    NOTHING_ASKED,
    ActionAnswerFromKB,
    answer_in_form,
    choice_payload,
    choice_title,
    choice_titles,
)
from bot.actions.referral import DEFAULT_REFERRAL, ActionReferElsewhere, referral_for
from knowledge_base.answer import KB_DOWN, NO_MATCH
from knowledge_base.calibration import LARGE_KB_POLICY, legacy_policy
from knowledge_base.decision import ANSWER, CLARIFY, REFUSE, Decision, Policy
from knowledge_base.errors import ArticleUnavailable
from knowledge_base.service import Hit, KnowledgeBase
from webapp import create_action_app
from work_orders import intake

PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$")


def tracker(text, intent="consult", metadata=None, slots=None):
    message = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []}
    payload = PAYLOAD.match(text)
    if payload:  # a button's payload, parsed as Rasa's RegexMessageHandler parses it
        message["intent"] = {"name": payload.group(1), "confidence": 1.0}
        entities = json.loads(payload.group(2) or "{}")
        message["entities"] = [{"entity": k, "value": v} for k, v in entities.items()]
    if metadata is not None:
        message["metadata"] = metadata
    return Tracker.from_dict(
        {
            "sender_id": "web:t1",
            "slots": slots or {},
            "latest_message": message,
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def test_answer_quotes_and_cites(seeded_kb):
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("投诉以后多久能有结果？"), {})
    assert events == [{"event": "slot", "timestamp": None, "name": "misses", "value": 0}]  # a hit resets the count
    text, meta = dispatcher.messages
    assert text["text"].startswith("根据《12328交通运输服务监督热线管理办法》第二十三条：")
    sources = meta["custom"]["hotline_meta"]["sources"]
    assert sources[0]["title"] == "12328交通运输服务监督热线管理办法 第二十三条"


def test_answer_says_plainly_when_nothing_matches(seeded_kb):
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("我想订一张机票"), {})
    assert dispatcher.messages[0]["text"] == NO_MATCH
    # offers a consultation order or a human, and remembers the question for the order
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/leave_question", "/handoff"]
    assert dispatcher.messages[0]["buttons"][0]["title"] == "登记咨询工单（3个工作日内答复）"  # 第二十三条
    slots = {e["name"]: e["value"] for e in events}
    assert slots == {"misses": 1, "last_question": "我想订一张机票"}
    assert dispatcher.messages[1]["custom"]["hotline_meta"] == {"sources": [], "kb_matched": False}


@pytest.mark.parametrize(
    "original, question, payload",
    [
        ("complain", "需要现在帮您登记投诉吗？", "/complain"),
        ("suggest", "需要现在帮您登记意见建议吗？", "/suggest"),
        ("ticket_status", "需要现在帮您查询工单进度吗？", "/ticket_status"),
        ("handoff", "需要为您转接人工客服吗？", "/handoff"),
    ],
)
def test_answer_then_offers_the_act_the_question_was_about(seeded_kb, original, question, payload):
    dispatcher = CollectingDispatcher()
    asked = {"hotline_asked_as": {"name": original, "confidence": 0.93}}
    events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("投诉以后多久能有结果？", metadata=asked), {})
    assert events == [{"event": "slot", "timestamp": None, "name": "misses", "value": 0}]
    answer, meta, offer = dispatcher.messages
    assert answer["text"].startswith("根据《12328交通运输服务监督热线管理办法》第二十三条：")
    assert meta["custom"]["hotline_meta"]["kb_matched"] is True  # the sources stay with the answer
    assert offer["text"] == question
    assert [b["payload"] for b in offer["buttons"]] == [payload, "/deny"]


def test_a_question_asking_how_to_complain_is_offered_the_complaint_whatever_nlu_said(seeded_kb):
    """ "計程車拒載怎麼投訴" reads as a consultation to NLU (no hotline_asked_as): its answer still offers to register
    the complaint; "投诉以后多久能有结果" asks no how-to and is offered nothing."""
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("計程車拒載怎麼投訴"), {})
    assert dispatcher.messages[-1]["text"] == "需要现在帮您登记投诉吗？"
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("投诉以后多久能有结果？"), {})
    assert len(dispatcher.messages) == 2


def test_a_refused_question_asking_how_to_complain_is_told_the_way_is_here():
    """ "網約車亂收費去哪裡檢舉" the KB cannot answer: the bot itself takes the complaint (it was refused, with a button
    to register it among the refusal's offers)."""
    kb = FakeKB(Decision(REFUSE, [], [], 0.0, "没有候选条目"))
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(kb).run(dispatcher, tracker("網約車亂收費去哪裡檢舉"), {})
    way, _meta, offer = dispatcher.messages
    assert way["text"].startswith("在这里就可以直接投诉") and "12328电话" in way["text"]
    assert offer["text"] == "需要现在帮您登记投诉吗？" and [b["payload"] for b in offer["buttons"]] == [
        "/complain",
        "/deny",
    ]


def test_how_to_complain_on_the_seed_kb_is_told_the_way_not_a_clause(seeded_kb):
    """ "網約車司機繞遠路多收錢 怎麼投訴" on the seed KB was answered with 第二十五条 (how a centre forwards complaints)."""
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("網約車司機繞遠路多收錢 怎麼投訴"), {})
    assert dispatcher.messages[0]["text"].startswith("在这里就可以直接投诉")
    assert dispatcher.messages[-1]["text"] == "需要现在帮您登记投诉吗？"


def test_how_to_complain_alone_on_the_seed_kb_is_told_the_way(seeded_kb):
    """ "怎么投诉" scored five of 管理办法's clauses 1.096–1.102 (投诉 in each) and was answered with 第二十一条 (who is
    responsible) as if the KB were sure of it: a score that high with no lead is not sure of one entry."""
    for question in ("怎么投诉", "如何举报"):
        dispatcher = CollectingDispatcher()
        ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker(question), {})
        assert dispatcher.messages[0]["text"].startswith("在这里就可以直接投诉"), question
    # a sure answer that leads its runner-up still stands
    sure = [hit(1, "投诉办理期限", score=1.1), hit(2, "出租车拒载处罚标准", score=0.9)]
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(FakeKB(Decision(ANSWER, sure[:1], sure, 1.1), sure)).run(dispatcher, tracker("怎么投诉"), {})
    assert not dispatcher.messages[0]["text"].startswith("在这里就可以直接投诉")


def test_a_choice_for_a_question_asking_how_to_complain_offers_the_complaint_too():
    """On a large KB the ranker's choices for "出租车拒载怎么投诉" were only entries and "都不是": the bot itself, which
    takes the complaint, was not among them."""
    hits = [hit(1, "出租汽车服务质量投诉"), hit(2, "出租车拒载处罚标准")]
    kb = FakeKB(Decision(CLARIFY, hits, hits, 0.85, "2条相近"), hits)
    kb.policy = Policy(answer=0.82, margin=0.0, choice=0.80, clarify_total=0.0, certainty=0.80)
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(kb).run(dispatcher, tracker("出租车拒载怎么投诉"), {})
    ask = dispatcher.messages[0]
    assert ask["text"] == "您想问的是哪一个？"
    assert [b["title"] for b in ask["buttons"]][-2:] == ["登记投诉", "都不是"]
    assert ask["buttons"][-2]["payload"] == "/complain" and len(ask["buttons"]) == 4
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(kb).run(dispatcher, tracker("出租车拒载罚多少钱"), {})  # no how-to: the entries alone
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]][-1] == "都不是"
    assert "/complain" not in [b["payload"] for b in dispatcher.messages[0]["buttons"]]


def test_asked_whether_a_field_is_12328s_the_bot_says_so_and_offers_the_complaint(seeded_kb):
    """ "网约车平台抽成太高 这个归你们管吗" was refused; "网约车归你们管吗" was offered 第二十二条, 第二条 and 第十九条."""
    for question in ("网约车平台抽成太高 这个归你们管吗", "网约车归你们管吗"):
        dispatcher = CollectingDispatcher()
        events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker(question), {})
        reply, meta, offer = dispatcher.messages
        assert (
            reply["text"].startswith("出租汽车和网约车方面的问题属于12328热线的受理范围") and "第二条" in reply["text"]
        )
        assert offer["text"] == "需要现在帮您登记投诉吗？" and offer["buttons"][0]["payload"] == "/complain"
        assert events == [{"event": "slot", "timestamp": None, "name": "misses", "value": 0}]


def test_how_long_it_takes_asked_mid_form_gets_the_forms_own_answer(seeded_kb):
    """ "投诉出租车司机拒载的话要几天能处理" mid-form got 第十五条 (which centre accepts a matter) as "您问的可能是这一条";
    the form says its own time limits (a question the KB is sure of keeps its cited answer)."""
    for kind, days in (("complaint", "10个工作日"), ("suggestion", "5个工作日")):
        dispatcher = CollectingDispatcher()
        assert not answer_in_form(seeded_kb, dispatcher, "投诉出租车司机拒载的话要几天能处理", None, kind)
        assert len(dispatcher.messages) == 1 and days in dispatcher.messages[0]["text"], kind
        assert "24小时" in dispatcher.messages[0]["text"] and "第二十三条" in dispatcher.messages[0]["text"]
    dispatcher = CollectingDispatcher()
    assert answer_in_form(seeded_kb, dispatcher, "投诉以后多久能有结果", None)
    assert dispatcher.messages[0]["text"].startswith("根据《12328交通运输服务监督热线管理办法》第二十三条")


def test_a_lost_order_number_asked_as_a_question_is_told_where_it_is(seeded_kb):
    """ "我的投诉单号是多少 怎么查" was offered three clauses on time limits: where the number is, and who can look it
    up without it."""
    for said in ("我的投诉单号是多少 怎么查", "工单号忘了还能查吗", "編號丟了怎麼查"):
        dispatcher = CollectingDispatcher()
        assert ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker(said), {}) == []
        assert [m["text"] for m in dispatcher.messages] == [NO_NUMBER_REPLY], said


def test_asked_mid_complaint_whether_it_can_be_filed_the_answer_is_yes(seeded_kb):
    """ "就是问问 这种情况能投诉吗" in the complaint form registering it got 第十九条 (the grounds for refusal) as
    "您问的可能是这一条"; the form says yes, and how to stop if the caller only wanted to know."""
    for said in ("就是问问 这种情况能投诉吗", "可以举报他吗？", "這種情況能投訴嗎", "这个你们管吗"):
        dispatcher = CollectingDispatcher()
        assert answer_in_form(seeded_kb, dispatcher, said, None)
        text = dispatcher.messages[0]["text"]
        assert len(dispatcher.messages) == 1 and text.startswith("可以投诉") and "取消" in text, said
    # a suggestion's form, and a question that only contains the words, still go to the KB
    dispatcher = CollectingDispatcher()
    answer_in_form(seeded_kb, dispatcher, "这种情况能投诉吗", None, "suggestion")
    assert not dispatcher.messages[0]["text"].startswith("可以投诉")
    for said in ("能投诉到交通运输部吗", "可以投诉吗 需要什么材料"):
        assert not intake.asks_if_it_can_be_filed(said), said


def test_asked_what_to_do_about_a_grievance_the_bot_tells_the_complaint(seeded_kb, monkeypatch):
    """ "出租车不打表怎么办" was offered "出租车公交车的事12328管不管" and "出租车司机反映的事是市里的12328受理吗" on the seed
    KB: the way is a complaint, offered; a large KB's choices stand (its entries may answer it)."""
    for question in ("出租车不打表怎么办", "網約車繞路多收錢該怎麼辦"):
        dispatcher = CollectingDispatcher()
        ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker(question), {})
        reply, *_, offer = dispatcher.messages
        assert reply["text"].startswith("遇到这种情况可以向12328投诉。出租汽车和网约车方面的问题"), question
        assert offer["text"] == "需要现在帮您登记投诉吗？" and offer["buttons"][0]["payload"] == "/complain"
    policy = Policy(answer=0.99, margin=0.0, choice=0.5, clarify_total=0.0, certainty=0.99)  # a large KB's kind
    monkeypatch.setattr(KnowledgeBase, "policy", property(lambda self: policy))
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("出租车不打表怎么办"), {})
    assert dispatcher.messages[0]["text"] == "您想问的是哪一个？"


def test_answer_offers_nothing_for_small_talk_taken_as_a_question(seeded_kb):
    dispatcher = CollectingDispatcher()
    asked = {"hotline_asked_as": {"name": "goodbye", "confidence": 0.8}}
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("投诉以后多久能有结果？", metadata=asked), {})
    assert len(dispatcher.messages) == 2


@pytest.mark.parametrize(
    "original, payloads",
    [
        ("complain", ["/complain", "/leave_question", "/handoff"]),
        ("suggest", ["/suggest", "/leave_question", "/handoff"]),
        ("ticket_status", ["/ticket_status", "/leave_question", "/handoff"]),
        ("handoff", ["/leave_question", "/handoff"]),
    ],
)
def test_unanswered_question_asked_as_a_request_is_refused_with_the_request_on_offer(seeded_kb, original, payloads):
    """A question the KB cannot answer never starts a form the user did not ask for: the act is a button."""
    dispatcher = CollectingDispatcher()
    asked = {"hotline_asked_as": {"name": original, "confidence": 0.9}}
    events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("我想订一张机票", metadata=asked), {})
    assert not [e for e in events if e.get("event") == "followup"]
    assert dispatcher.messages[0]["text"].startswith(NO_MATCH)
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == payloads


@pytest.mark.parametrize("original", ["goodbye", "out_of_scope", "nlu_fallback"])
def test_unanswered_question_asked_as_small_talk_gets_the_no_answer_reply(seeded_kb, original):
    dispatcher = CollectingDispatcher()
    asked = {"hotline_asked_as": {"name": original, "confidence": 0.9}}
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("我想订一张机票", metadata=asked), {})
    assert dispatcher.messages[0]["text"] == NO_MATCH
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/leave_question", "/handoff"]


def test_kb_failure_still_answers():
    class BrokenKB:
        def decide(self, *a, **k):
            raise RuntimeError("index gone")

    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(BrokenKB()).run(dispatcher, tracker("投诉以后多久能有结果？"), {})
    assert dispatcher.messages == [{**dispatcher.messages[0], "text": KB_DOWN}]


# ------------------------------------------------------------------ answer, clarify or refuse (issue 16 item 3)


def hit(article_id, title, text="正文。", score=0.9, region="全国"):
    return Hit(article_id, article_id * 10, title, "交通运输部", f"《{title}》", score, text, region=region)


ART36 = hit(36, "12328交通运输服务监督热线管理办法 第三十六条", "第三十六条 各级交通运输主管部门应当制定评分办法。")
ART37 = hit(37, "12328交通运输服务监督热线管理办法 第三十七条", "第三十七条 应当定期通报评分结果。")
NEWS = hit(5, "开行交通便民直通车 架起运输服务连心桥 12328交通运输服务监督电话全面开通试运行", "全国已开通。")


class FakeKB:
    """A KB whose decision the test sets; ``chosen`` knows the given hits (others are unavailable)."""

    min_score = 0.8

    def __init__(self, decision=None, hits=()):
        self.decision = decision
        self.hits = {h.article_id: h for h in hits}
        self.decided, self.looked_up = [], []

    def decide(self, question, region=None):
        self.decided.append(question)
        return self.decision

    def chosen(self, article_id, region=None):
        self.looked_up.append((article_id, region))
        if article_id not in self.hits:
            raise ArticleUnavailable("抱歉，您选择的条目已下线或已失效，无法作答。")
        return self.hits[article_id]


class FakeGaps:
    def __init__(self):
        self.calls = []

    def record(self, question, channel=None, best=None, kind="refuse"):
        self.calls.append(("record", question, kind, getattr(best, "article_id", None)))

    def none_fit(self, question, channel=None):
        self.calls.append(("none_fit", question))


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_confident_decision_is_answered_with_its_citation():
    kb = FakeKB(Decision(ANSWER, [ART36], [ART36, ART37, NEWS], 0.93, "置信度0.93"))
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKB(kb).run(dispatcher, tracker("12328评分办法有吗"), {})
    answer, meta = dispatcher.messages
    assert answer["text"].startswith("根据《12328交通运输服务监督热线管理办法 第三十六条》：\n各级交通运输主管部门")
    assert "相关规定：《12328交通运输服务监督热线管理办法 第三十七条》" in answer["text"]  # 0.9 ≥ the threshold
    assert [s["article_id"] for s in meta["custom"]["hotline_meta"]["sources"]] == [36, 37, 5]
    assert slots_of(events) == {"misses": 0}


def test_plausible_entries_are_offered_as_choices_with_none_of_these_last():
    kb = FakeKB(Decision(CLARIFY, [ART36, ART37, NEWS], [ART36, ART37, NEWS], 0.5, "3条相近"))
    gaps = FakeGaps()
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKB(kb, gaps).run(dispatcher, tracker("12328评分"), {})
    ask, meta = dispatcher.messages
    assert ask["text"] == "您想问的是哪一个？"  # one message: no answer is guessed
    assert [b["payload"] for b in ask["buttons"]] == [
        '/consult{"article_id": 36}',
        '/consult{"article_id": 37}',
        '/consult{"article_id": 5}',
        '/consult{"article_id": 0}',
    ]
    titles = [b["title"] for b in ask["buttons"]]
    assert titles[-1] == "都不是"
    assert titles[:2] == [ART36.title, ART37.title]  # short enough as they are
    assert titles[2] == "开行交通便民直通车 架起运输服务连心桥"  # a headline cut at a break
    assert meta["custom"]["hotline_meta"] == {"sources": [], "kb_matched": False}
    # the question is kept for "都不是" (a consultation order needs it); not a miss
    assert slots_of(events) == {"last_question": "12328评分"}
    assert gaps.calls == [("record", "12328评分", "clarify", 36)]


def test_a_lone_entry_the_bot_is_not_sure_of_is_put_to_the_user_to_confirm():
    kb = FakeKB(Decision(CLARIFY, [ART36], [ART36, ART37], 0.85, "请用户确认"))
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKB(kb, FakeGaps()).run(dispatcher, tracker("12328评分"), {})
    ask, _meta = dispatcher.messages
    assert ask["text"] == "您想问的是这一条吗？"
    assert [b["payload"] for b in ask["buttons"]] == ['/consult{"article_id": 36}', '/consult{"article_id": 0}']
    assert slots_of(events) == {"last_question": "12328评分"}


def test_inside_a_form_the_likeliest_of_several_entries_is_quoted_as_a_guess():
    """Buttons cannot be offered inside a form (a pressed one would be taken for the form's answer)."""
    dispatcher = CollectingDispatcher()
    kb = FakeKB(Decision(CLARIFY, [ART36, ART37], [ART36, ART37], 0.5, "2条相近"))
    assert answer_in_form(kb, dispatcher, "评分怎么算", None) is True
    reply = dispatcher.messages[0]
    assert reply["text"].startswith("您问的可能是这一条——根据《12328交通运输服务监督热线管理办法 第三十六条》：")
    assert reply["text"].endswith("如果不是您想问的，登记完成后可以换个说法再问我。") and not reply.get("buttons")
    assert "第三十七条" not in reply["text"]  # one guess, not a list
    dispatcher = CollectingDispatcher()
    assert answer_in_form(FakeKB(Decision(REFUSE, [], [ART36], 0.1)), dispatcher, "评分怎么算", None) is False
    assert "暂时没有答案" in dispatcher.messages[0]["text"]


def test_a_pressed_choice_answers_that_article_without_a_search():
    kb = FakeKB(hits=[ART36, ART37])
    dispatcher = CollectingDispatcher()
    turn = tracker('/consult{"article_id": 37}', metadata={"region": "河南省"}, slots={"last_question": "12328评分"})
    events = ActionAnswerFromKB(kb).run(dispatcher, turn, {})
    assert kb.decided == [] and kb.looked_up == [(37, "河南省")]
    answer, meta = dispatcher.messages
    assert answer["text"] == "根据《12328交通运输服务监督热线管理办法 第三十七条》：\n应当定期通报评分结果。"
    assert meta["custom"]["hotline_meta"]["kb_matched"] is True
    assert meta["custom"]["hotline_meta"]["sources"][0]["article_id"] == 37
    assert slots_of(events) == {"misses": 0}


def test_a_choice_that_can_no_longer_answer_is_said_plainly():
    kb = FakeKB(hits=[ART36])
    dispatcher = CollectingDispatcher()
    turn = tracker('/consult{"article_id": 99}', slots={"last_question": "12328评分"})
    assert ActionAnswerFromKB(kb).run(dispatcher, turn, {}) == []
    assert dispatcher.messages[0]["text"] == "抱歉，您选择的条目已下线或已失效，无法作答。"
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/leave_question", "/handoff"]
    assert kb.decided == []


def test_none_of_these_is_the_honest_refusal_with_its_offers():
    kb = FakeKB(hits=[ART36])
    gaps = FakeGaps()
    dispatcher = CollectingDispatcher()
    turn = tracker('/consult{"article_id": 0}', slots={"last_question": "12328评分", "misses": 1})
    events = ActionAnswerFromKB(kb, gaps).run(dispatcher, turn, {})
    assert kb.decided == [] and kb.looked_up == []
    refusal = dispatcher.messages[0]
    assert refusal["text"].startswith(NO_MATCH) and "转人工客服" in refusal["text"]  # the second miss in a row
    assert [b["payload"] for b in refusal["buttons"]] == ["/leave_question", "/handoff"]
    # the order a "留下问题" makes holds the question asked, not the button
    assert slots_of(events) == {"misses": 2, "last_question": "12328评分"}
    assert gaps.calls == [("none_fit", "12328评分")]


def test_a_refusal_offers_an_order_or_a_human_and_counts_the_gap():
    kb = FakeKB(Decision(REFUSE, [], [ART36], 0.41, "最高置信度0.41低于0.80"))
    gaps = FakeGaps()
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKB(kb, gaps).run(dispatcher, tracker("我想订一张机票"), {})
    assert dispatcher.messages[0]["text"] == NO_MATCH
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/leave_question", "/handoff"]
    assert slots_of(events) == {"misses": 1, "last_question": "我想订一张机票"}
    assert gaps.calls == [("record", "我想订一张机票", "refuse", 36)]


def test_a_refused_question_on_the_traffic_polices_business_says_where_it_is_done():
    """ "我的驾照被扣了12分" and "违章咋在网上查" were refused with nothing but the offers: the KB has no entry, and the
    matter is the traffic police's (交管12123, 车管所); transport's own enforcement ("超限超载会扣分吗") is not."""
    for question in ("我的驾照被扣了12分", "违章咋在网上查", "駕照扣滿了怎麼辦"):
        dispatcher = CollectingDispatcher()
        ActionAnswerFromKB(FakeKB(Decision(REFUSE, [], [], 0.0, ""))).run(dispatcher, tracker(question), {})
        text = dispatcher.messages[0]["text"]
        assert text.startswith(NO_MATCH) and "交管12123" in text, question
        assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/leave_question", "/handoff"]
    for question in ("超限超载会扣分吗", "我想订一张机票"):
        dispatcher = CollectingDispatcher()
        ActionAnswerFromKB(FakeKB(Decision(REFUSE, [], [], 0.0, ""))).run(dispatcher, tracker(question), {})
        assert "12123" not in dispatcher.messages[0]["text"], question


def test_entries_off_the_traffic_polices_business_are_not_offered_for_it(seeded_kb):
    """ "驾驶证扣分了怎么处理" was offered 第二十八条 and 第二十六条 (replies, coordination): none names the police's
    business, so it is refused with where it is done; a KB holding such an entry still answers or offers it."""
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("驾驶证扣分了怎么处理"), {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith(NO_MATCH) and "交管12123" in text
    licence = hit(7, "驾驶证记分周期满了怎么办", "驾驶证记分周期届满，记分未满12分的清除记分。")
    decision = Decision(CLARIFY, [licence, ART36], [licence, ART36], 0.7, "2条相近")
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(FakeKB(decision, [licence, ART36])).run(dispatcher, tracker("驾驶证扣分了怎么处理"), {})
    assert dispatcher.messages[0]["text"] == "您想问的是哪一个？"
    assert dispatcher.messages[0]["buttons"][0]["payload"] == '/consult{"article_id": 7}'


def test_a_payload_without_a_usable_choice_is_not_searched():
    kb = FakeKB(Decision(REFUSE, [], [], 0.0, "没有候选条目"))
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(kb).run(dispatcher, tracker('/consult{"article_id": "x"}'), {})
    # nothing asked: the user is asked what about, not refused (no knowledge gap, no miss)
    assert kb.decided == [] and [m["text"] for m in dispatcher.messages] == [NOTHING_ASKED]


@pytest.mark.parametrize(
    "title, short",
    [
        ("投诉办理期限", "投诉办理期限"),
        (  # a clause keeps its number: that is where siblings differ
            "国务院办公厅关于进一步优化地方政务服务便民热线的指导意见实施细则 第二十三条",
            "国务院办公厅关于进一步优化地方政务服务便民热线… 第二十三条",
        ),
        (  # a headline is cut at a break
            "开行交通便民直通车 架起运输服务连心桥 12328交通运输服务监督电话全面开通试运行",
            "开行交通便民直通车 架起运输服务连心桥",
        ),
        ("一二三四五六七八九十" * 4, "一二三四五六七八九十" * 2 + "一二三四五六七八九…"),
    ],
)
def test_choice_titles_are_shortened_sensibly(title, short):
    assert choice_title(title) == short and len(short) <= 30


def test_on_the_seed_kb_a_near_tie_is_offered_and_the_choice_answered(seeded_kb, monkeypatch):
    """A policy that clarifies (as a large KB's does when no entry leads clearly): 第三十六条 (评分办法) and 第三十七条 (评分结果) score
    alike for "12328评分"; the user picks one, and that article answers, found by its id alone."""
    policy = Policy(answer=0.8, margin=0.05, choice=0.8, clarify_total=1.6)  # on the hybrid score
    monkeypatch.setattr(KnowledgeBase, "policy", property(lambda self: policy))
    action = ActionAnswerFromKB(seeded_kb)
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker("12328评分"), {})
    ask = dispatcher.messages[0]
    assert ask["text"] == "您想问的是哪一个？"
    # (each offered by the similar question it was found by, or by its number and what it says)
    number = {choice_payload(a.id): a.title.split()[-1] for a in seeded_kb.cache.articles.values()}
    choices = {number.get(b["payload"]): b["payload"] for b in ask["buttons"]}
    assert {"第三十六条", "第三十七条"} <= set(choices)

    monkeypatch.setattr(seeded_kb, "search", None)  # a choice is answered without searching
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker(choices["第三十七条"]), {})
    assert dispatcher.messages[0]["text"].startswith("根据《12328交通运输服务监督热线管理办法》第三十七条：")
    assert "评分结果" in dispatcher.messages[0]["text"]


@pytest.mark.parametrize(
    "text, number",
    [
        ("高铁票怎么退", "12306"),
        ("航班延误了找谁", "12326"),
        ("快递丢了怎么办", "12305"),
        ("前面撞车了有人受伤", "120"),
        ("高速上車壞了要拖車", "12122"),
        ("船翻了有人落水", "12395"),
        ("货车在服务区被偷油了", "110"),
        ("車上的貨被盜了", "110"),
        ("被交警罚了200 不服", "12123"),
    ],
)
def test_referrals(text, number):
    assert number in referral_for(text)
    dispatcher = CollectingDispatcher()
    ActionReferElsewhere().run(dispatcher, tracker(text, "refer_elsewhere"), {})
    assert number in dispatcher.messages[0]["text"]


def test_a_question_the_kb_answers_is_answered_instead_of_referred():
    """The KB follows the local 12345 one: where it has an answer for a question NLU sent elsewhere with no hotline
    of its own, the KB answers; where it would refuse, the general referral stands; an emergency or a question about
    whom to call is referred without asking the KB; a sector's question (12306, 12326, 12305) gets its hotline and
    then the KB's answer where the KB has one."""
    answering = FakeKB(Decision(ANSWER, [ART36], [ART36], 0.9))
    dispatcher = CollectingDispatcher()
    events = ActionReferElsewhere(answering).run(dispatcher, tracker("低收入户有哪些补助", "refer_elsewhere"), {})
    # the KB's answer in this same action (a follow-up action would leave the turn to a fallback prediction)
    assert dispatcher.messages[0]["text"].startswith("根据《12328交通运输服务监督热线管理办法 第三十六条》")
    assert DEFAULT_REFERRAL not in [m.get("text") for m in dispatcher.messages]
    assert not any(e.get("event") == "followup" for e in events)
    assert answering.decided == ["低收入户有哪些补助"]  # searched once: the decision is answered as it is

    offering = FakeKB(Decision(CLARIFY, [ART36, ART37], [ART36, ART37], 0.5))
    dispatcher = CollectingDispatcher()
    events = ActionReferElsewhere(offering).run(dispatcher, tracker("看到流浪的人怎么送救助站"), {})
    assert dispatcher.messages[0]["text"] == "您想问的是哪一个？" and slots_of(events) == {
        "last_question": "看到流浪的人怎么送救助站"
    }

    refusing = FakeKB(Decision(REFUSE, [], [ART36], 0.1))
    dispatcher = CollectingDispatcher()
    assert ActionReferElsewhere(refusing).run(dispatcher, tracker("这个归谁管呢", "refer_elsewhere"), {}) == []
    assert dispatcher.messages[0]["text"] == DEFAULT_REFERRAL

    for own_hotline, number in (
        ("船翻了有人落水怎么办", "12395"),
        ("前面撞车了有人受伤怎么办", "120"),
        ("那航班延误呢 打12328管用不", "12326"),
        ("快遞丟件了 打哪個電話", "12305"),
        ("火车托运行李一个月了还没到", "12306"),
    ):
        dispatcher = CollectingDispatcher()
        assert ActionReferElsewhere(answering).run(dispatcher, tracker(own_hotline, "refer_elsewhere"), {}) == []
        assert number in dispatcher.messages[0]["text"]
    assert answering.decided == ["低收入户有哪些补助"]  # emergencies, whom-to-call and statements: never searched

    # a sector's question the KB can answer: its hotline first, then the KB's answer
    for question, number in (("火车托运的东西丢了怎么赔", "12306"), ("航班延誤了機場要通知旅客嗎", "12326")):
        dispatcher = CollectingDispatcher()
        ActionReferElsewhere(answering).run(dispatcher, tracker(question, "refer_elsewhere"), {})
        assert number in dispatcher.messages[0]["text"]
        assert dispatcher.messages[1]["text"].startswith("根据《12328交通运输服务监督热线管理办法 第三十六条》")
    dispatcher = CollectingDispatcher()  # ... and where the KB would refuse, the hotline alone
    assert (
        ActionReferElsewhere(refusing).run(dispatcher, tracker("火车票改签要收手续费吗", "refer_elsewhere"), {}) == []
    )
    assert "12306" in dispatcher.messages[0]["text"] and len(dispatcher.messages) == 1
    # ... and where it would only offer entries it is unsure of (after the hotline's number they are noise)
    dispatcher = CollectingDispatcher()
    ActionReferElsewhere(offering).run(dispatcher, tracker("火车托运的东西丢了怎么赔", "refer_elsewhere"), {})
    assert "12306" in dispatcher.messages[0]["text"] and len(dispatcher.messages) == 1
    # ... unless the KB is a large, ranked one, whose choices must mean the question (semantic floors): offered
    offering.policy = LARGE_KB_POLICY
    dispatcher = CollectingDispatcher()
    events = ActionReferElsewhere(offering).run(
        dispatcher, tracker("国内航班行李赔偿限额谁来定", "refer_elsewhere"), {}
    )
    assert "12326" in dispatcher.messages[0]["text"] and dispatcher.messages[1]["text"] == "您想问的是哪一个？"
    assert slots_of(events) == {"last_question": "国内航班行李赔偿限额谁来定"}
    offering.policy = legacy_policy(0.8)  # the small KB's score rule: not offered
    dispatcher = CollectingDispatcher()
    ActionReferElsewhere(offering).run(dispatcher, tracker("国内航班行李赔偿限额谁来定", "refer_elsewhere"), {})
    assert len(dispatcher.messages) == 1

    statement = FakeKB(Decision(ANSWER, [ART36], [ART36], 0.9))
    ActionReferElsewhere(statement).run(CollectingDispatcher(), tracker("小区物业的事情归你们管"), {})
    assert statement.decided == []  # a statement is no question to search for


def test_referral_default_lists_all_hotlines():
    assert referral_for("这个不归你们管吧") == DEFAULT_REFERRAL
    assert all(n in DEFAULT_REFERRAL for n in ("12306", "12326", "12305", "122", "12395", "12345"))


# ------------------------------------------------------------------ the /webhook endpoint

RASA_36_CALL = {
    "next_action": "action_answer_from_kb",
    "sender_id": "web:t1",
    "version": "3.6.21",
    "tracker": {
        "sender_id": "web:t1",
        "slots": {},
        "latest_message": {
            "text": "投诉以后多久能有结果？",
            "intent": {"name": "consult", "confidence": 1.0},
            "entities": [],
        },
        "latest_event_time": 1.0,
        "followup_action": None,
        "paused": False,
        "events": [],
        "latest_input_channel": "rest",
        "active_loop": {},
        "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
    },
    "domain": {
        "version": "3.1",
        "intents": ["consult"],
        "entities": [],
        "slots": {},
        "responses": {},
        "actions": ["action_answer_from_kb"],
        "forms": {},
        "e2e_actions": [],
    },
}


@pytest.fixture
def app_client(seeded_dir, make_app):
    """The action listener's app, over the same services as the main app (one KB cache)."""
    main = make_app(seeded_dir)
    app = create_action_app(main.extensions["hotline"])
    return app, app.test_client()


def test_main_listener_does_not_serve_actions(app_client, seeded_dir, make_app):
    """The bot's action calls go to a listener of their own: the main app's threads never serve them."""
    app, _ = app_client
    token = app.config["SETTINGS"].action_token
    main = make_app(seeded_dir).test_client()
    assert main.post(f"/webhook?token={token}", json=RASA_36_CALL).status_code == 404


def test_webhook_requires_token(app_client):
    _, client = app_client
    assert client.post("/webhook", json=RASA_36_CALL).status_code == 401
    assert client.post("/webhook?token=wrong", json=RASA_36_CALL).status_code == 401


def test_webhook_runs_action(app_client):
    app, client = app_client
    token = app.config["SETTINGS"].action_token
    resp = client.post(f"/webhook?token={token}", json=RASA_36_CALL)
    assert resp.status_code == 200
    body = resp.get_json()
    assert [(e["name"], e["value"]) for e in body["events"]] == [("misses", 0)]
    assert "第二十三条" in body["responses"][0]["text"]
    # deflate-compressed bodies are accepted too
    raw = zlib.compress(json.dumps(RASA_36_CALL).encode())
    resp = client.post(
        f"/webhook?token={token}", data=raw, content_type="application/json", headers={"Content-Encoding": "deflate"}
    )
    assert resp.status_code == 200


def test_webhook_errors(app_client, make_app):
    app, client = app_client
    token = app.config["SETTINGS"].action_token
    assert client.post(f"/webhook?token={token}", json={**RASA_36_CALL, "next_action": "nope"}).status_code == 404
    no_domain = {k: v for k, v in RASA_36_CALL.items() if k != "domain"}
    fresh = create_action_app(make_app(app.config["SETTINGS"].var_dir).extensions["hotline"])
    fresh = fresh.test_client()
    assert fresh.post(f"/webhook?token={token}", json=no_domain).status_code == 449
    assert client.post(f"/webhook?token={token}", data="{bad", content_type="application/json").status_code == 400


def test_clauses_of_one_law_are_offered_by_what_they_say():
    """Three buttons "12328交通运输服务监督热线管理办法 第二十六条" / "… 第三十三条" / "… 第二十八条" told the user nothing:
    each is its number and the start of its passage; entries of different sources keep their titles."""
    law = "12328交通运输服务监督热线管理办法"
    hits = [
        SimpleNamespace(
            title=f"{law} 第二十六条", text="第二十六条 各级交通运输主管部门应当落实主体责任，压实承办单位办理责任"
        ),
        SimpleNamespace(
            title=f"{law} 第二十八条", text="第二十八条 12328热线转办处理工作实行逐件回复制。承办单位应当…"
        ),
    ]
    assert choice_titles(hits) == [
        "第二十六条：各级交通运输主管部门应当落实主体责任",
        "第二十八条：12328热线转办处理工作实行逐件回复制",
    ]
    assert all(len(t) <= 30 for t in choice_titles(hits))
    mixed = [hits[0], SimpleNamespace(title="交通运输部：发挥12328热线作用", text="通知指出…")]
    assert choice_titles(mixed) == [choice_title(f"{law} 第二十六条"), "交通运输部：发挥12328热线作用"]


def test_an_entry_found_by_a_similar_question_is_offered_as_that_question():
    """ "投诉了以后 会不会有人回访问我满不满意啊" was offered "第二十九条：12328热线服务中心应当在投诉举报类工单办结…": the
    similar question that matched says what the clause answers; entries matched on their text keep their titles."""
    law = "12328交通运输服务监督热线管理办法"
    hits = [
        SimpleNamespace(
            title=f"{law} 第二十九条",
            text="第二十九条 12328热线服务中心应当在投诉举报类工单办结后回访",
            question="对处理结果不满意能在回访时说吗",
        ),
        SimpleNamespace(
            title=f"{law} 第二十八条",
            text="第二十八条 12328热线转办处理工作实行逐件回复制。",
            question="回复的时候会问我满不满意吗",
        ),
        SimpleNamespace(
            title=f"{law} 第二十六条", text="第二十六条 各级交通运输主管部门应当落实主体责任", question=None
        ),
    ]
    assert choice_titles(hits) == [
        "对处理结果不满意能在回访时说吗",
        "回复的时候会问我满不满意吗",
        "第二十六条：各级交通运输主管部门应当落实主体责任",
    ]
    # two entries matched by the same wording are told apart by their own titles
    twins = [SimpleNamespace(**{**vars(h), "question": "投诉多久有结果"}) for h in hits[:2]]
    assert choice_titles(twins) == [
        "第二十九条：12328热线服务中心应当在投诉举报类工单办结…",
        "第二十八条：12328热线转办处理工作实行逐件回复制",
    ]


def test_a_question_nlu_took_for_a_complaint_is_not_answered_with_the_first_of_its_choices():
    """ "貨車司機在服務區被收停車費 合理嗎" (NLU: complain; asked as a question) on the seed KB was answered with 第二十五条
    — how a centre forwards complaints — the first of close clauses, as if it asked how to complain: a small KB makes
    no guess and offers the complaint; a large KB's ranked choices stand, with the complaint's button."""
    hits = [ART36, ART37, NEWS]
    kb = FakeKB(Decision(CLARIFY, hits, hits, 0.84, "3条相近"), hits)
    kb.policy = Policy(answer=0.8, margin=0.05, choice=0.8, clarify_total=0.0)  # a small KB's score rule
    asked = {"hotline_asked_as": {"name": "complain", "confidence": 0.9}}
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKB(kb).run(dispatcher, tracker("貨車司機在服務區被收停車費 合理嗎", metadata=asked), {})
    reply, meta, offer = dispatcher.messages
    assert reply["text"].startswith("这个问题知识库里暂时没有明确的答案") and "直接投诉" in reply["text"]
    assert meta["custom"]["hotline_meta"] == {"sources": [], "kb_matched": False}
    assert offer["text"] == "需要现在帮您登记投诉吗？" and events == [
        {"event": "slot", "timestamp": None, "name": "misses", "value": 0}
    ]
    dispatcher = CollectingDispatcher()  # asked as a plain question: the choice
    ActionAnswerFromKB(kb).run(dispatcher, tracker("貨車司機在服務區被收停車費 合理嗎"), {})
    assert dispatcher.messages[0]["text"] == "您想问的是哪一个？"
    kb.policy = Policy(answer=0.82, margin=0.0, choice=0.80, clarify_total=0.0, certainty=0.80)  # a ranked KB
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(kb).run(dispatcher, tracker("貨車司機在服務區被收停車費 合理嗎", metadata=asked), {})
    ask = dispatcher.messages[0]
    assert ask["text"] == "您想问的是哪一个？" and "/complain" in [b["payload"] for b in ask["buttons"]]


def test_asking_whether_one_may_complain_anonymously_is_answered_by_the_form(seeded_kb):
    """ "可以匿名投诉吗" on the seed KB was offered 第十九条, 第二十五条 and 第二十八条 to choose from."""
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker("可以匿名投诉吗"), {})
    reply, _meta, offer = dispatcher.messages
    assert reply["text"].startswith("可以匿名反映") and "保密" in reply["text"]
    assert offer["text"] == "需要现在帮您登记投诉吗？"
