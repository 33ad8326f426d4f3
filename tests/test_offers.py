"""A typed yes or no to the bot's last yes/no offer (bot/actions/offers.py) does what its button does; a message
with nothing in it is asked what it is about (bot/actions/knowledge.py, knowledge_base.service)."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import RATING_BUTTONS
from bot.actions.knowledge import CLARIFY_PROMPT, CONFIRM_PROMPT, NOTHING_ASKED, ActionAnswerFromKB, choice_payload
from bot.actions.offers import (
    CHOOSE_AGAIN,
    DECLINED,
    NO_SUCH_CHOICE,
    NOTHING_PENDING,
    NOTHING_TO_CHOOSE,
    ActionYesNo,
    last_offer,
)
from hotline.text import has_words
from knowledge_base.answer import NO_MATCH

COMPLAINT_OFFER = [{"title": "是，登记投诉", "payload": "/complain"}, {"title": "不用了", "payload": "/deny"}]


def user(text, intent="consult"):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.99}}}


def bot(text, buttons=None):
    return {"event": "bot", "text": text, "data": {"buttons": buttons or []}}


def tracker(text, intent, history, slots=None):
    """The conversation so far (``history``), then the message being answered now."""
    message = {"text": text, "intent": {"name": intent, "confidence": 0.97}, "entities": []}
    events = [*history, {"event": "action", "name": "action_listen"}, user(text, intent)]
    return Tracker.from_dict(
        {
            "sender_id": "web:t1",
            "slots": slots or {},
            "latest_message": message,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


class Act:
    """Stands for the consultation-order and handoff actions, which the yes runs in-process."""

    def __init__(self, name):
        self.name, self.ran = name, 0

    def run(self, dispatcher, tracker, domain):
        self.ran += 1
        dispatcher.utter_message(text=self.name)
        return []


def yes_no(kb):
    return ActionYesNo(ActionAnswerFromKB(kb), {"/leave_question": Act("leave"), "/handoff": Act("handoff")})


def run(kb, text, intent, history, slots=None):
    dispatcher = CollectingDispatcher()
    events = yes_no(kb).run(dispatcher, tracker(text, intent, history, slots), {})
    return events, dispatcher.messages


def test_a_typed_yes_to_the_offer_to_register_a_complaint_starts_the_complaint(seeded_kb):
    history = [user("出租车拒载怎么投诉"), bot("根据…第十五条：…"), bot("需要现在帮您登记投诉吗？", COMPLAINT_OFFER)]
    events, said = run(seeded_kb, "是", "affirm", history)
    assert events == [{"event": "followup", "timestamp": None, "name": "complaint_form"}] and said == []
    events, said = run(seeded_kb, "好的👍", "affirm", history)
    assert events[0]["name"] == "complaint_form"
    # no: nothing registered, said so
    events, said = run(seeded_kb, "不用了", "deny", history)
    assert events == [] and said[0]["text"] == DECLINED


def test_each_offer_starts_what_its_button_starts(seeded_kb):
    for payload, action in [("/suggest", "suggestion_form"), ("/ticket_status", "status_form")]:
        offer = [{"title": "是", "payload": payload}, {"title": "不用了", "payload": "/deny"}]
        events, _ = run(seeded_kb, "嗯", "affirm", [user("…"), bot("需要吗？", offer)])
        assert events[0]["name"] == action
    # a handoff is run at once (a follow-up action would leave Rasa's rules without a next step)
    offer = [{"title": "转人工", "payload": "/handoff"}, {"title": "不用了", "payload": "/deny"}]
    events, said = run(seeded_kb, "好", "affirm", [user("…"), bot("需要为您转接人工客服吗？", offer)])
    assert events == [] and said[0]["text"] == "handoff"


def test_a_typed_yes_to_a_lone_entry_answers_it_and_a_no_refuses(seeded_kb):
    hit = seeded_kb.search("投诉以后多久能有结果？", k=1)[0]
    confirm = [
        {"title": hit.title, "payload": choice_payload(hit.article_id)},
        {"title": "都不是", "payload": choice_payload(0)},
    ]
    history = [user("投诉多久有结果"), bot(CONFIRM_PROMPT, confirm)]
    slots = {"last_question": "投诉多久有结果"}
    _events, said = run(seeded_kb, "对", "affirm", history, slots)
    assert said[0]["text"].startswith("根据《12328交通运输服务监督热线管理办法》")
    assert said[1]["custom"]["hotline_meta"]["sources"][0]["article_id"] == hit.article_id
    events, said = run(seeded_kb, "不是", "deny", history, slots)
    assert said[0]["text"].startswith(NO_MATCH)
    assert {"event": "slot", "timestamp": None, "name": "last_question", "value": "投诉多久有结果"} in events


def test_a_yes_to_several_entries_asks_again_which(seeded_kb):
    choices = [
        {"title": "甲", "payload": choice_payload(1)},
        {"title": "乙", "payload": choice_payload(2)},
        {"title": "都不是", "payload": choice_payload(0)},
    ]
    events, said = run(seeded_kb, "是的", "affirm", [user("…"), bot(CLARIFY_PROMPT, choices)])
    assert events == [] and said[0]["text"] == CHOOSE_AGAIN and said[0]["buttons"] == choices


def test_a_yes_to_a_refusal_that_offers_an_act_does_that_act(seeded_kb):
    """ "ETC扣费扣了两次怎么办" refused with "如果您想就此投诉，可以点“登记投诉”" and three buttons: "是" got
    "好的。还有什么可以帮您？"; it is the act offered. A refusal offering no act has nothing to say yes to."""
    refusal = [
        {"title": "登记投诉", "payload": "/complain"},
        {"title": "登记咨询工单（3个工作日内答复）", "payload": "/leave_question"},
        {"title": "转人工客服", "payload": "/handoff"},
    ]
    history = [user("ETC扣费扣了两次怎么办"), bot(NO_MATCH + "\n如果您想就此投诉，可以点“登记投诉”。", refusal)]
    events, said = run(seeded_kb, "是", "affirm", history)
    assert events == [{"event": "followup", "timestamp": None, "name": "complaint_form"}] and said == []
    events, said = run(seeded_kb, "是", "affirm", [user("充电桩怎么收费"), bot(NO_MATCH, refusal[1:])])
    assert events == [] and said[0]["response"] == NOTHING_PENDING


def test_with_no_offer_pending_a_yes_gets_the_plain_reply(seeded_kb):
    greeting = [{"title": "投诉以后多久能有结果？", "payload": "投诉以后多久能有结果？"}]
    for history in (
        [],  # the conversation's first message
        [user("你好", "greet"), bot("您好！…", greeting)],  # suggestions are no yes/no offer
        # an offer answered by something else since: no longer pending
        [
            user("出租车拒载怎么投诉"),
            bot("需要现在帮您登记投诉吗？", COMPLAINT_OFFER),
            user("谢谢", "goodbye"),
            bot("不客气"),
        ],
    ):
        events, said = run(seeded_kb, "好", "affirm", history)
        assert events == [] and said[0]["response"] == NOTHING_PENDING


def test_last_offer_reads_only_the_bots_last_turn():
    t = tracker("是", "affirm", [user("a"), bot("x", COMPLAINT_OFFER), user("b"), bot("y"), bot("z")])
    assert last_offer(t) == []
    t = tracker("是", "affirm", [user("a"), bot("x", COMPLAINT_OFFER), bot("{}")])
    assert last_offer(t) == COMPLAINT_OFFER
    # the user comes back after the session expired: yesterday's offer is not pending
    t = tracker("是", "affirm", [user("a"), bot("x", COMPLAINT_OFFER), {"event": "session_started"}])
    assert last_offer(t) == []


def test_a_message_with_nothing_in_it_is_asked_about_not_searched(seeded_kb):
    for text in ("？", "。。。", "😭😭", "👍", "？？？", "/consult", "我想问下", "您好 麻烦问一下"):
        dispatcher = CollectingDispatcher()
        events = ActionAnswerFromKB(seeded_kb).run(dispatcher, tracker(text, "nlu_fallback", []), {})
        assert events == [] and [m["text"] for m in dispatcher.messages] == [NOTHING_ASKED], text
        assert text.startswith("/") or not has_words(text) or "问" in text
        assert has_words(text) or seeded_kb.search(text, k=3, min_score=0.0) == []
    # a question with an emoji still is one
    assert seeded_kb.search("投诉以后多久能有结果😭", k=1)[0].title.endswith("第二十三条")


def choose(kb, number, history):
    dispatcher = CollectingDispatcher()
    t = tracker(str(number), "choose", history)
    t.latest_message["entities"] = [{"entity": "choice", "value": number}]
    return yes_no(kb).run(dispatcher, t, {}), dispatcher.messages


def test_a_number_typed_alone_takes_that_button_of_the_last_turn(seeded_kb):
    refusal = [{"title": "登记咨询工单", "payload": "/leave_question"}, {"title": "转人工客服", "payload": "/handoff"}]
    _events, said = choose(seeded_kb, 2, [user("我想订机票"), bot(NO_MATCH, refusal)])
    assert said[0]["text"] == "handoff"
    _events, said = choose(seeded_kb, 1, [user("我想订机票"), bot(NO_MATCH, refusal)])
    assert said[0]["text"] == "leave"
    greeting = [{"title": "投诉以后多久能有结果？", "payload": "投诉以后多久能有结果？"}]
    _events, said = choose(seeded_kb, 1, [user("你好", "greet"), bot("您好！…", greeting)])
    assert said[0]["text"].startswith("根据《12328交通运输服务监督热线管理办法》第二十三条")
    # beyond the list, or no list: said so, never "goodbye"
    _events, said = choose(seeded_kb, 3, [user("我想订机票"), bot(NO_MATCH, refusal)])
    assert said[0]["text"] == NO_SUCH_CHOICE and said[0]["buttons"] == refusal
    _events, said = choose(seeded_kb, 1, [])
    assert said[0]["text"] == NOTHING_TO_CHOOSE


def test_a_rating_buttons_number_rates_the_order(seeded_kb):
    """ "3" under [满意 | 基本满意 | 不满意] rates the order 不满意, as the button would."""

    class Rater:
        rated = []

        def rate(self, dispatcher, tracker, rating, comment):
            self.rated.append((rating, comment))
            return []

    rater = Rater()
    dispatcher = CollectingDispatcher()
    t = tracker("3", "choose", [user("查询工单"), bot("已办结…请评价", RATING_BUTTONS)])
    t.latest_message["entities"] = [{"entity": "choice", "value": 3}]
    ActionYesNo(ActionAnswerFromKB(seeded_kb), {}, rater).run(dispatcher, t, {})
    assert rater.rated == [("dissatisfied", "")]


def test_no_right_after_an_answer_is_a_rejected_answer(seeded_kb):
    """ "不是这个" after a direct answer: a knowledge gap for the editors and the refusal with its offers, as "都不是"
    after choices; after anything else a no is just a no."""

    class Gaps:
        rejected = []

        def none_fit(self, question, channel=None):
            self.rejected.append((question, channel))

    meta = {"event": "bot", "data": {"custom": {"hotline_meta": {"sources": [{"article_id": 7}], "kb_matched": True}}}}
    history = [user("投诉多久有结果"), bot("根据…第二十三条：…"), meta]
    dispatcher, gaps = CollectingDispatcher(), Gaps()
    events = ActionYesNo(ActionAnswerFromKB(seeded_kb, gaps)).run(dispatcher, tracker("不是这个", "deny", history), {})
    assert dispatcher.messages[0]["text"].startswith("明白了，刚才的答复不是您要找的。" + NO_MATCH)
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/leave_question", "/handoff"]
    assert gaps.rejected == [("投诉多久有结果", "web")]
    assert {"event": "slot", "timestamp": None, "name": "last_question", "value": "投诉多久有结果"} in events
    # a refusal (no source) before it: nothing to reject
    refused = {"event": "bot", "data": {"custom": {"hotline_meta": {"sources": [], "kb_matched": False}}}}
    _events, said = run(seeded_kb, "不是", "deny", [user("我想订机票"), bot(NO_MATCH), refused])
    assert said[0]["response"] == NOTHING_PENDING


def test_a_second_confirm_right_after_the_order_was_registered_repeats_the_order_and_files_nothing(seeded_kb):
    """A driver taps 确认 twice, or the page sends it again after an answer lost on the way (a replica restarted):
    the order just registered, with its number and deadline, not "还有什么可以帮您"."""
    order = {"number": "20261201-0007", "type": "complaint", "state": "new", "deadline_text": "12月15日前答复"}
    filed = {"event": "bot", "data": {"custom": {"hotline_meta": {"work_order": order}}}}
    history = [user("确认", "affirm"), bot("已为您登记投诉举报工单，编号 20261201-0007。…"), filed]
    events, said = run(seeded_kb, "确认", "affirm", history)
    assert events == []
    assert (
        "20261201-0007" in said[0]["text"] and "不会重复登记" in said[0]["text"] and "12月15日前答复" in said[0]["text"]
    )
    assert said[1]["custom"] == {"hotline_meta": {"work_order": order}}  # /api/chat's work_order, as the first time
    # a no, or a yes after another turn in between, is not a confirmation of it
    assert run(seeded_kb, "不用", "deny", history)[1][0]["response"] == NOTHING_PENDING
    later = [*history, user("谢谢", "thank"), bot("不客气")]
    assert run(seeded_kb, "确认", "affirm", later)[1][0]["response"] == NOTHING_PENDING
