"""Dialogue acts before intents (hotline/acts.py): a question about complaints or the hotline is a question."""

import pytest

from hotline.acts import (
    META_KEY,
    asks_how_to,
    asks_if_ours,
    asks_own_status,
    asks_what_to_do,
    choice_number,
    declines_order,
    gesture,
    gives_phone,
    is_question,
    lost_order_number,
    reframe,
    titled_act,
)

QUESTIONS = [
    "提个建议要等多久才有回音",
    "这个办法由哪个部门负责解释",
    "投诉举报的工单省里会复核吗",
    "12328知识库和12345知识库有关系吗",
    "晚上打12328有人工吗",
    "办理超期了怎么办",
    "涉及安全生产的问题怎么处理",
    "投诉以后多久能有结果？",
    "哪些情况不予受理",
    "办理期限可以延长吗",
    "怎么投诉出租车",
    "匿名举报会被受理吗",
    "工单编号在哪里看",
    "对处理结果不满意能不能再投诉",
    "建议被采纳了会通知我吗",
    "评价不满意以后会怎样",
    "人工客服几点上班",
    "12328是做什么的",
    "投诉需要提供什么材料",
    "为什么不予受理",
    "如果我要投诉的话需要准备什么",
    "你们能帮我打官司不",
    "醉驾撞了人交强险管不管",
    "网约车押金退不退",
    "举报有奖励吗",
    "办结以后还能查到工单吗",
    "公車刷卡好像被多扣錢了怎麼辦",
    "公車轉公車有沒有比較便宜",
    "愛心卡不見了要先打哪支電話掛失",
    "投訴以後多久會有結果？",
    "這個辦法由哪個部門負責解釋",
    "晚上打12328有人工嗎",
    "申訴要幾天",
    "工单是否会公开",
    "网约车平台归谁管",
    "超时未办结有没有处罚",
]

NOT_QUESTIONS = [
    # requests to act, even with a question attached
    "我要投诉",
    "我想投诉出租车拒载",
    "我要投诉出租车拒载，多久有结果？",
    "我要举报黑车",
    "我想提个建议",
    "我要反映一个问题",
    "投诉一下公交司机",
    "帮我登记一下",
    "查一下我的工单",
    "查询工单 202405170001",
    "我的工单到哪一步了",
    "转人工",
    "可以转人工吗",
    "找人工客服",
    "我要投訴計程車拒載",
    "幫我登記一下",
    # complaints, rhetorical ones included
    "汽修厂给我换了假配件还收高价",
    "出租车司机绕路多收了我二十块钱",
    "你们怎么不管管",
    "凭什么多收我钱",
    "公交车怎么还不来，都等了一个小时",
    "你們怎麼都不處理",
    "高速收费站多收我过路费了 咋办",  # a grievance done to the caller + "what now": the complaint
    "出租车司机绕路多收我钱了怎么办",
    # answers to the form's questions, greetings, buttons
    "昨天晚上八点",
    "13812345678",
    "匿名",
    "确认",
    "确认提交",
    "豫G88K76",
    "在人民路公交站",
    "好的谢谢",
    "再见",
    "你好",
    "在吗",
    "/complain",
    "",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions(text):
    assert is_question(text) is True


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_not_questions(text):
    assert is_question(text) is False


def _parse(name, confidence=0.93):
    ranking = [{"name": name, "confidence": confidence}, {"name": "consult", "confidence": 0.05}]
    return {"text": "x", "intent": {"name": name, "confidence": confidence}, "intent_ranking": ranking}


def test_reframe_question_about_a_complaint():
    parse = _parse("complain")
    new, asked_as = reframe(parse, "投诉举报的工单省里会复核吗")
    assert new["intent"] == {"name": "consult", "confidence": 0.93}
    assert new["intent_ranking"] == parse["intent_ranking"]
    assert asked_as == {"name": "complain", "confidence": 0.93}
    assert parse["intent"]["name"] == "complain"  # the input is not modified
    assert META_KEY == "hotline_asked_as"


@pytest.mark.parametrize(
    "name, text",
    [
        ("complain", "我要投诉出租车拒载，多久有结果？"),  # a request stays a request
        ("complain", "你们怎么不管管"),
        ("ticket_status", "查询工单 202405170001"),
        ("consult", "投诉以后多久能有结果？"),  # already a consultation
        ("affirm", "可以吗"),  # not an intent we reframe
        ("greet", "在吗"),
        ("handoff", "转人工"),
        ("out_of_scope", "今天天气怎么样"),  # small talk outside the hotline's field stays small talk
        ("goodbye", "你吃饭了吗"),
    ],
)
def test_reframe_leaves_acts_alone(name, text):
    parse = _parse(name)
    assert reframe(parse, text) == (parse, None)


@pytest.mark.parametrize("name", ["suggest", "ticket_status", "handoff", "goodbye", "out_of_scope", "nlu_fallback"])
def test_reframe_other_intents(name):
    new, asked_as = reframe(_parse(name, 0.7), "12328知识库和12345知识库有关系吗")
    assert new["intent"]["name"] == "consult"
    assert asked_as == {"name": name, "confidence": 0.7}


@pytest.mark.parametrize(
    "name, text",
    [
        ("goodbye", "12328知识库和12345知识库有关系吗"),
        ("out_of_scope", "办理超期了怎么办"),
        ("goodbye", "愛心卡不見了要先打哪支電話掛失"),
        ("handoff", "晚上打12328有人工吗"),
        ("ticket_status", "涉及安全生产的问题怎么处理"),
    ],
)
def test_reframe_the_issue_examples(name, text):
    assert reframe(_parse(name), text)[0]["intent"]["name"] == "consult"


# ---- issue 15: citizens' first messages -------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "萬大線會經過那裡",  # 那裡 for 哪裡, after a modal verb
        "去動物園要在那裡轉車",
        "出租车不打表合法吗",  # a grievance word, but asks whether it is allowed
        "被多扣钱了怎么办",
        "工單可以取消嗎",
        "能不能在网上办",
        "坐公交能不能多带一个小孩",  # not a suggestion
        "投诉了多久有消息",
    ],
)
def test_more_questions(text):
    assert is_question(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "您好请问是12328热线吗",  # a greeting checking the number
        "喂，这里是交通热线吧",
        "能帮我转个人工吗",
        "有没有真人啊",
        "我想跟真人说",
        "那个单子有消息没",  # an order asked after
        "上次的投诉处理了吗",
        "我提的意见有人处理没",
        "延期了到底啥时候给结果",
        "工单20261121-00123怎么还没处理",
        "希望公交开到我们村",  # suggestions put as questions
        "能不能在学校门口设个站",
        "公交能不能多开几班",
        "司机绕路多收钱你们管吗",  # grievances with a yes/no tail
        "出租车拒载有人管吗",
        "就在那里",  # form answers
        "出租车",
        "退还多收的停车费",
    ],
)
def test_more_not_questions(text):
    assert is_question(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "复康巴士预约",
        "停車費",
        "良民證",
        "敬老卡",
        "行照補發",
        "驾驶证补办",
        "违停罚款",
        "大车审验",
        "收费站间距",
        "駕照有效期",
        "货车限行",
        "公交卡押金",
    ],
)
@pytest.mark.parametrize("name", ["complain", "suggest", "ticket_status", "affirm", "out_of_scope", "goodbye"])
def test_a_bare_topic_is_a_consultation_with_no_act_to_offer(name, text):
    new, asked_as = reframe(_parse(name), text)
    assert new["intent"]["name"] == "consult" and asked_as is None


@pytest.mark.parametrize(
    "text",
    [
        "出租车",
        "公交司机",
        "要求退费",
        "退还车费",
        "赔偿修车费",
        "豫G88K76",
        "匿名",
        "不满意",
        "司机审验不合格还上路",
        "我被限行了",
        "确认提交",
        "昨天晚上八点",
    ],
)
def test_form_answers_are_no_topics(text):
    """What a complaint form's questions get for answers (a target, a demand, a plate, a time) is never a topic."""
    for name in ("complain", "affirm", "deny", "rate"):
        assert reframe(_parse(name), text) == (_parse(name), None)


def test_yes_or_no_that_asks_about_the_field_is_a_question():
    assert reframe(_parse("deny"), "工單可以取消嗎")[0]["intent"]["name"] == "consult"
    assert reframe(_parse("affirm"), "可以吗") == (_parse("affirm"), None)
    assert reframe(_parse("deny"), "不用了")[0]["intent"]["name"] == "deny"


def test_thumbs_and_check_marks_are_a_yes_or_a_no():
    """Drivers answer "需要现在帮您登记投诉吗？" with a thumb: NLU, trained on words, falls back on it."""
    fallback = {"intent": {"name": "nlu_fallback", "confidence": 0.3}, "intent_ranking": []}
    for text in ("👍", "👍👍", "👍🏽", "👌", "✅", "👍！", " 🙆 "):
        parse, asked = reframe(fallback, text)
        assert parse["intent"] == {"name": "affirm", "confidence": 1.0} and asked is None, text
    for text in ("👎", "❌", "🙅"):
        assert reframe(fallback, text)[0]["intent"]["name"] == "deny", text
    # anything else said with them is left to NLU and the other rules
    for text in ("👍好的我要投诉", "😭😭", "！", "", "出租车拒载👎"):
        assert gesture(text) is None, text


def test_a_yes_or_no_word_alone_is_a_yes_or_a_no():
    """NLU took "好啊" for a greeting (你好啊) and "no" for a yes: one yes or no word is one, in either script."""
    greet = {"intent": {"name": "greet", "confidence": 0.56}, "intent_ranking": []}
    for text in ("好啊", "好的！", "OK", "嗯嗯", "對的", "沒錯", "中", "好滴~"):
        assert reframe(greet, text)[0]["intent"] == {"name": "affirm", "confidence": 1.0}, text
    for text in ("no", "NO", "免了", "不用了，", "不對", "算了"):
        assert reframe(greet, text)[0]["intent"] == {"name": "deny", "confidence": 1.0}, text
    # a yes or no word inside a message, or asked, is left to NLU and the other rules
    for text in ("好啊我要投诉", "不是我说的那个司机", "可以吗", "是不是要收费", "不要绕路", "你好", "no zuo no die"):
        assert gesture(text) is None, text


def test_asking_how_ones_own_order_stands_is_the_look_up():
    """ "我的投诉处理完了吗" (NLU: the look-up, made a question by the question rule) was answered with 第二十三条's time
    limits before the look-up was offered; a question about orders in general stays a question."""
    consult = {"intent": {"name": "consult", "confidence": 0.99}, "entities": [], "intent_ranking": []}
    look_up = {"intent": {"name": "ticket_status", "confidence": 0.98}, "entities": [], "intent_ranking": []}
    for text in (
        "我的投诉处理完了吗",
        "我反映的问题解决了没有",
        "我的投訴有結果了嗎",
        "我上周投诉的那个出租车处理了没",
    ):
        assert asks_own_status(text), text
        assert reframe(consult, text)[0]["intent"] == {"name": "ticket_status", "confidence": 1.0}, text
        # NLU's look-up is kept, not made a question about the look-up (which answered the time limits first)
        assert reframe(look_up, text) == ({**look_up, "intent": {"name": "ticket_status", "confidence": 1.0}}, None)
    for text in (
        "我的投诉多久能处理完",
        "投诉处理完了会通知我吗",
        "我投诉的司机会被处理吗",
        "如果我投诉了没人管怎么办",
    ):
        assert not asks_own_status(text), text
        assert reframe(consult, text)[0]["intent"]["name"] != "ticket_status", text


def test_a_lost_order_number_starts_the_look_up():
    """ "不知道单号" was a goodbye and "我忘了工单号了" asked for the number: the caller does not have their number,
    which the look-up lists or says where to find. Asked as a question ("我的投诉单号是多少 怎么查") it stays a
    question, which the KB action answers with the same (tests/test_actions.py)."""
    for name in ("consult", "goodbye", "nlu_fallback", "ticket_status"):
        parse = {"intent": {"name": name, "confidence": 0.9}, "entities": [], "intent_ranking": []}
        for text in ("我忘了工单号了", "不知道单号", "工單編號找不到了", "单号删了"):
            assert lost_order_number(text), text
            assert reframe(parse, text)[0]["intent"] == {"name": "ticket_status", "confidence": 1.0}, (name, text)
    consult = {"intent": {"name": "consult", "confidence": 0.9}, "entities": [], "intent_ranking": []}
    for text in ("我的投诉单号是多少 怎么查", "编号丢了怎么查"):
        assert lost_order_number(text) and reframe(consult, text)[0]["intent"]["name"] == "consult", text
    for text in ("我要投诉 车牌号忘了", "我的投诉处理完了吗", "车牌号是多少", "12328号码是多少"):
        assert not lost_order_number(text), text


def test_declining_to_register_is_a_no():
    """After a refusal ("…登记咨询工单"), "不用登记 我就是问一下" was leave_question for NLU (登记) and registered a
    consultation order nobody wanted; declining with nothing else said is a no, in either script."""
    leave = {"intent": {"name": "leave_question", "confidence": 0.74}, "entities": [], "intent_ranking": []}
    for text in ("不用登记 我就是问一下", "不要立案，只是问问", "別登記", "不用登记了谢谢", "先不投诉了", "不需要留言"):
        assert declines_order(text), text
        assert reframe(leave, text)[0]["intent"] == {"name": "deny", "confidence": 1.0}, text
    # a decline with a question, or registration asked for, stays with NLU and the other rules
    for text in ("不用登记 出租车起步价多少", "登记", "我要登记", "我不想投诉 我想问问出租车起步价", "不用登记电话"):
        assert not declines_order(text), text


def test_an_offer_buttons_title_typed_is_that_buttons_act():
    """WeChat shows the buttons as numbered lines and drivers copy one: NLU read "是，登记投诉" as a consultation order
    (登记), whose form then asked what the question was."""
    leave = {"intent": {"name": "leave_question", "confidence": 0.71}, "entities": [], "intent_ranking": []}
    for text, act in (
        ("是，登记投诉", "complain"),
        ("是 登记投诉", "complain"),
        ("是，登記投訴", "complain"),
        ("登记投诉", "complain"),
        ("是，提出建议", "suggest"),
        ("查詢工單", "ticket_status"),
        ("转人工客服", "handoff"),
    ):
        assert reframe(leave, text) == ({**leave, "intent": {"name": act, "confidence": 1.0}}, None), text
    # more than the title is a message of its own, for NLU and the other rules
    for text in ("我要登记投诉出租车", "登记投诉要多久", "是，登记投诉吧 出租车绕路"):
        assert titled_act(text) is None, text


def test_a_number_alone_chooses_a_button():
    parse = {"intent": {"name": "goodbye", "confidence": 0.6}, "entities": [], "intent_ranking": []}
    for text, number in (("1", 1), ("２", 2), ("3.", 3), ("第2个", 2), (" 4、", 4)):
        new, asked = reframe(parse, text)
        assert new["intent"]["name"] == "choose" and asked is None, text
        assert new["entities"][0]["entity"] == "choice" and new["entities"][0]["value"] == number
    for text in ("10", "0", "12路", "13812345678", "1个人", "一", "第十个", "第一名的"):
        assert choice_number(text) is None, text
    for text, number in (("第一个", 1), ("第二条", 2), ("选第三个", 3), ("第一", 1)):  # in words, as people say it
        assert choice_number(text) == number, text


def test_questions_asking_how_to_complain_or_suggest():
    for text, act in (
        ("计程车拒载怎么投诉", "complain"),
        ("出租车拒载去哪里举报", "complain"),
        ("投诉电话是多少", "complain"),
        ("怎么提建议", "suggest"),
        ("投诉出租车需要什么材料", "complain"),
        ("举报黑车要准备哪些证据", "complain"),
        ("投诉多久有结果", None),
        ("高速收费标准是多少", None),
        # complained about: how to answer a complaint, not how to make one (the bot offered to register one)
        ("我是出租车司机 被乘客投诉了 怎么申诉", None),
        ("被人举报了怎么办", None),
        ("我被乘客恶意投诉了 去哪里投诉这个乘客", None),
    ):
        assert asks_how_to(text) == act, text


def test_a_question_about_dissatisfaction_is_a_question_and_a_rating_stays_a_rating():
    """ "对处理结果不满意怎么办" was taken for a rating ("没有找到您可以评价的已办结工单")."""
    rate = {"intent": {"name": "rate", "confidence": 0.99}, "intent_ranking": []}
    for text in ("对处理结果不满意怎么办", "不满意能重新办吗"):
        assert reframe(rate, text)[0]["intent"]["name"] == "consult", text
    for text in ("不满意", "很满意 谢谢", "处理得太慢了 不满意"):
        assert reframe(rate, text)[0]["intent"]["name"] == "rate", text


def test_a_question_from_the_one_complained_about_offers_no_complaint():
    complain = {"intent": {"name": "complain", "confidence": 0.8}, "intent_ranking": []}
    parse, asked = reframe(complain, "我是出租车司机 被乘客投诉了 怎么申诉")
    assert parse["intent"]["name"] == "consult" and asked is None
    parse, asked = reframe(complain, "出租车拒载怎么投诉")
    assert parse["intent"]["name"] == "consult" and asked["name"] == "complain"


def test_a_misconduct_told_is_a_complaint_and_asked_about_is_a_question():
    consult = {"intent": {"name": "consult", "confidence": 0.7}, "intent_ranking": []}
    for text in ("货拉拉司机加价", "公交司机开车玩手机", "出租车司机车上抽烟", "大巴超速"):
        assert reframe(consult, text)[0]["intent"]["name"] == "complain", text
    for text in ("网约车高峰加价合理吗", "出租车拒载合理吗", "网约车加价怎么收费"):
        assert reframe(consult, text)[0]["intent"]["name"] != "ticket_status", text


def test_asking_what_a_complaint_takes_or_whose_matter_it_is_is_a_question():
    """NLU took "投訴了大概幾天會給我答覆" for leaving a question (给我答复) and the bot asked which question;
    "小区物业乱收停车费 归12328管吗" opened a complaint form although it asks whose matter it is."""
    parse, asked = reframe({"intent": {"name": "leave_question", "confidence": 0.8}}, "投訴了大概幾天會給我答覆")
    assert parse["intent"]["name"] == "consult" and asked["name"] == "leave_question"
    assert is_question("小区物业乱收停车费 归12328管吗")
    assert not is_question("司机绕路多收钱你们管吗")  # rhetorical: a complaint


def test_asking_whose_matter_a_12345_matter_is_is_referred():
    complain = {"intent": {"name": "complain", "confidence": 0.9}}
    for text in ("小区物业乱收停车费 归12328管吗", "小區物業亂收停車費 歸12328管嗎", "暖气不热找谁"):
        assert reframe(complain, text)[0]["intent"]["name"] == "refer_elsewhere", text
    for text in ("出租车拒载归谁管", "物业门口的公交站牌坏了"):  # transport; or no question
        assert reframe(complain, text)[0]["intent"]["name"] != "refer_elsewhere", text


def test_a_theft_is_for_the_police():
    """ "货车在服务区被偷油了" opened a complaint form that asked whom to complain about: a theft is the police's (110);
    a complaint about how a place guards against it stays a complaint."""
    complain = {"intent": {"name": "complain", "confidence": 0.9}}
    for text in ("货车在服务区被偷油了", "服务区有人偷油", "車上的貨被盜了", "停车场里手机被偷了怎么办"):
        assert reframe(complain, text)[0]["intent"]["name"] == "refer_elsewhere", text
    for text in (
        "投诉服务区保安不管事 油被偷了",
        "出租车司机偷偷绕路",
        "司机偷懒不打扫车厢",
        "服务区停车场晚上没灯车被偷油",
    ):
        assert reframe(complain, text)[0]["intent"]["name"] == "complain", text


def test_the_traffic_polices_matters_are_referred():
    """ "我是货车司机 被交警罚了200 不服" opened a complaint form: fines, points and licences are the traffic police's
    (公安交管), not transport's; transport enforcement named beside them keeps the complaint ours."""
    complain = {"intent": {"name": "complain", "confidence": 0.9}}
    for text in ("我是货车司机 被交警罚了200 不服", "高速交警乱罚款", "交管12123扣分有误"):
        assert reframe(complain, text)[0]["intent"]["name"] == "refer_elsewhere", text
    for text in ("路政和交警联合检查乱罚款", "超限站罚款不给票据", "交通局执法人员态度差"):
        assert reframe(complain, text)[0]["intent"]["name"] == "complain", text


def test_asking_if_a_bot_answers_is_met_with_the_greeting():
    """ "你们是机器人吗" was out of scope ("这个问题不在12328热线的服务范围内"); asking for a person stays a handoff."""
    scope = {"intent": {"name": "out_of_scope", "confidence": 0.7}}
    for text in ("你们是机器人吗", "是真人在回复吗", "你是AI嗎"):
        assert reframe(scope, text)[0]["intent"]["name"] == "greet", text
    handoff = {"intent": {"name": "handoff", "confidence": 0.9}}
    for text in ("能转真人吗", "我要真人客服", "找人工"):
        assert reframe(handoff, text)[0]["intent"]["name"] == "handoff", text


def test_another_sectors_matter_taken_for_a_complaint_is_referred():
    """ "我想订一张去三亚的机票" opened a complaint form (NLU: complain 0.58); a road service at a station or an
    airport stays ours."""
    complain = {"intent": {"name": "complain", "confidence": 0.58}}
    for text in ("我想订一张去三亚的机票", "航班延误了 航空公司态度差", "快遞三天了還沒到"):
        assert reframe(complain, text)[0]["intent"]["name"] == "refer_elsewhere", text
    for text in ("火车站出租车拒载", "机场大巴司机绕路", "高铁站门口黑车拉客"):
        assert reframe(complain, text)[0]["intent"]["name"] == "complain", text


def test_asking_whether_a_transport_field_is_12328s():
    """ "网约车平台抽成太高 这个归你们管吗" was refused (the seed KB has no entry on 网约车); 12345's matters, another
    sector's and the police's are not claimed."""
    assert asks_if_ours("网约车平台抽成太高 这个归你们管吗") == "出租汽车和网约车"
    assert asks_if_ours("駕校的事能投訴嗎") == "驾驶员培训"
    assert asks_if_ours("货拉拉平台的投诉交通局管不管") == "道路货运"
    for text in ("小区物业乱收停车费 归12328管吗", "航班延误归你们管吗", "交警乱罚款你们管吗", "网约车司机绕路多收钱"):
        assert asks_if_ours(text) is None, text


def test_a_polite_request_to_complain_is_a_complaint():
    """NLU took "能帮我投诉一下吗" for a look-up: the bot asked for an order number."""
    status = {"intent": {"name": "ticket_status", "confidence": 0.8}}
    for text in ("能帮我投诉一下吗", "可以帮我举报吗", "我想投诉可以吗"):
        assert reframe(status, text)[0]["intent"]["name"] == "complain", text
    for text in ("可以帮我查一下工单吗", "投诉以后怎么查进度"):
        assert reframe(status, text)[0]["intent"]["name"] != "complain", text


def test_taking_up_the_offer_to_complain_is_a_complaint():
    """After an answer that offered it, "那我投诉吧" — which the model read as a look-up, a goodbye or nothing (and the
    bot answered with 第二十四条) — asks to register the complaint; "去哪投诉", "那投诉有用吗" still ask."""
    for name in ("ticket_status", "goodbye", "nlu_fallback"):
        parse = {"intent": {"name": name, "confidence": 0.45}}
        for text in ("那我投诉吧", "那就投诉吧", "我投诉吧", "行 那我投诉", "那我还是举报吧", "那我投訴吧"):
            assert reframe(parse, text)[0]["intent"]["name"] == "complain", (name, text)
    consult = {"intent": {"name": "consult", "confidence": 0.7}}
    for text in ("去哪投诉", "那我怎么投诉", "那投诉有用吗"):
        assert reframe(consult, text)[0]["intent"]["name"] != "complain", text


def test_where_asked_at_the_end_is_a_question():
    """ "货车司机休息室在哪" opened a complaint (NLU: complain) — a question about where, without 里 or 儿."""
    complain = {"intent": {"name": "complain", "confidence": 0.9}}
    for text in ("货车司机休息室在哪", "ETC在哪办", "12328的服务大厅去哪"):
        assert is_question(text) and reframe(complain, text)[0]["intent"]["name"] == "consult", text
    assert not is_question("司机把我扔在哪我都不知道")


def test_asking_if_we_can_handle_a_field_is_asking_if_it_is_ours():
    assert asks_if_ours("你们能管出租车吗") == "出租汽车和网约车"
    assert asks_if_ours("你们可以管网约车吗") == "出租汽车和网约车"


def test_a_greeting_with_a_matter_to_report_opens_the_complaint():
    """ "在吗 我要反映个事" got the greeting (NLU heard 在吗); the matter is asked for instead. A greeting alone stays."""
    greet = {"intent": {"name": "greet", "confidence": 0.9}}
    for text in ("在吗 我要反映个事", "你好 我有个事要反映", "在不在 想投訴一下"):
        assert reframe(greet, text)[0]["intent"]["name"] == "complain", text
    for text in ("你好", "在吗", "师傅好"):
        assert reframe(greet, text)[0]["intent"]["name"] == "greet", text


def test_a_price_taken_for_a_tow_is_a_complaint_not_a_call_for_rescue():
    """ "高速上救援拖车收费太贵了 要了我3000" got the 12122 rescue number (NLU: refer_elsewhere 0.99), and the "对" after it
    "还有什么可以帮您"; a breakdown told, another sector's or 12345's matter and acute danger are still referred."""
    refer = {"intent": {"name": "refer_elsewhere", "confidence": 0.99}}
    for text in ("高速上救援拖车收费太贵了 要了我3000", "车坏在高速上了 拖车要了我两千块", "追尾了 拖车公司漫天要价"):
        assert reframe(refer, text)[0]["intent"]["name"] == "complain", text
    for text in (
        "车坏了 在高速上 需要拖车",
        "拖车要多少钱",
        "撞车了 有人受伤 对方司机骂人",
        "快递员态度差",
        "物业乱收费",
    ):
        assert reframe(refer, text)[0]["intent"]["name"] == "refer_elsewhere", text


def test_a_phone_number_alone_is_left_for_a_reply():
    """ "13812345678" after the refusal got the goodbye (NLU: goodbye 0.89), "我的电话是…" opened a complaint; a phone
    inside a request or a correction is not "only a phone"."""
    for name in ("goodbye", "complain", "nlu_fallback"):
        parse = {"intent": {"name": name, "confidence": 0.89}}
        for text in ("13812345678", "我的电话是138 1234 5678", "手機號：13812345678。", "我的手机是13812345678 请回电"):
            assert reframe(parse, text)[0]["intent"] == {"name": "leave_question", "confidence": 1.0}, (name, text)
    for text in ("我要投诉 13812345678", "电话留错了 是13812345678", "20261201-00001", "0371-12345678"):
        assert not gives_phone(text), text


def test_what_is_owed_and_withheld_is_a_grievance():
    """ "绿通车查验说我混装 不给免费" was refused as a question the KB had no entry for."""
    consult = {"intent": {"name": "consult", "confidence": 0.9}}
    for text in ("绿通车查验说我混装 不给免费", "收费站不给开发票", "加完油没给票"):
        assert reframe(consult, text)[0]["intent"]["name"] == "complain", text
    assert is_question("收费站不给开发票怎么办")  # how it is done in general: the KB's, with the offer after


def test_a_complaint_asked_for_by_its_verb_is_no_suggestion():
    """ "那我投诉服务区管理不到位" (after the police referral's "可以回复投诉") opened the suggestion form."""
    suggest = {"intent": {"name": "suggest", "confidence": 0.8}}
    for text in ("那我投诉服务区管理不到位", "我要举报这个停车场", "好 那就投诉他们"):
        assert reframe(suggest, text)[0]["intent"]["name"] == "complain", text
    for text in ("我想提个建议", "那投诉有用吗", "投诉电话是多少"):
        assert reframe(suggest, text)[0]["intent"]["name"] != "complain", text


def test_a_proposal_without_misconduct_is_a_suggestion():
    """ "公交车太少了 等半个小时都不来 建议加车" (NLU: complain) opened the complaint form and asked when it happened."""
    complain = {"intent": {"name": "complain", "confidence": 0.9}}
    for text in (
        "公交车太少了 等半个小时都不来 建议加车",
        "服务区厕所太脏了 建议多打扫",
        "希望12路延长末班车时间",
        "公交車太少了 建議加車",
    ):
        assert reframe(complain, text)[0]["intent"]["name"] == "suggest", text
    # someone's misconduct told, or only a grievance: still a complaint
    for text in ("司机态度差 建议加强培训", "出租车绕路多收钱 建议严查", "建议严查黑车", "公交车一直不来"):
        assert reframe(complain, text)[0]["intent"]["name"] == "complain", text


def test_what_to_do_about_a_grievance_names_its_field():
    """ "出租车不打表怎么办": the way is a complaint to 12328; a lost card, another sector's or a statement is not."""
    assert asks_what_to_do("出租车不打表怎么办") == "出租汽车和网约车"
    assert asks_what_to_do("收費站多收費怎麼辦") == "公路"
    for text in ("公交卡丢了怎么办", "高铁票退不了怎么办", "出租车不打表", "出租车不打表怎么投诉"):
        assert asks_what_to_do(text) is None, text


def test_the_rescue_number_asked_for_is_referred():
    """ "高速公路救援电话是多少" was answered with 管理办法 第三条 (rescue lines are managed elsewhere), not 12122."""
    consult = {"intent": {"name": "consult", "confidence": 0.9}}
    for text in ("高速公路救援电话是多少", "车在高速抛锚了打什么电话", "拖車電話"):
        assert reframe(consult, text)[0]["intent"]["name"] == "refer_elsewhere", text
    for text in ("拖车要多少钱", "高速救援乱收费"):
        assert reframe(consult, text)[0]["intent"]["name"] != "refer_elsewhere", text


def test_whom_to_turn_to_with_a_grievance_is_asking_if_it_is_ours():
    """ "请问货车ETC扣费错了找谁" was refused; a lost card "找谁" is still the KB's question."""
    assert asks_if_ours("请问货车ETC扣费错了找谁") == "道路货运"
    assert asks_if_ours("网约车司机多收钱找谁") == "出租汽车和网约车"
    for text in ("公交卡丢了找谁", "快递丢了找谁", "物业乱收费找谁"):
        assert asks_if_ours(text) is None, text
