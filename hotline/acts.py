"""Dialogue acts before intents: tell a question from a request to act (standard library only).

A question *about* complaints, suggestions, work orders or the hotline ("投诉举报的工单省里会复核吗") is a
consultation, although NLU, trained on the words, calls it ``complain`` or ``ticket_status``. The hotline channel
(``bot/channel.py``) uses :func:`reframe` on every parse: such a message becomes ``consult`` and the original
intent travels in the message metadata as ``hotline_asked_as``, so the KB action can answer and then offer the act.

Imported by the bot process (Python 3.10, Rasa 3.6) and tested in the app env: no third-party imports here.
"""

from __future__ import annotations

import re
from typing import Any

# intents whose messages may really be questions about the thing they name
REFRAMED_INTENTS = frozenset(
    {
        "complain",
        "suggest",
        "ticket_status",
        "handoff",
        "leave_question",  # "投訴了大概幾天會給我答覆" asks, it registers nothing
        "rate",  # "对处理结果不满意怎么办" asks what can be done, it rates nothing
        "goodbye",
        "greet",
        "out_of_scope",
        "nlu_fallback",
    }
)
# a bare topic ("行照補發" taken for 行 = affirm) is also no yes/no nor a rating
TOPIC_REFRAMED_INTENTS = REFRAMED_INTENTS | {"affirm", "deny", "rate"}
META_KEY = "hotline_asked_as"
# the local 12345 hotline's matters, not transport (第三条): asked whose matter they are, the bot refers to 12345
# (both scripts: this module runs in the bot's environment too, without the OpenCC of hotline.text)
OTHER_HOTLINE_MATTERS = (
    "物业",
    "物業",
    "供暖",
    "暖气",
    "暖氣",
    "水费",
    "水費",
    "电费",
    "電費",
    "燃气费",
    "燃氣費",
    "社保",
    "医保",
    "醫保",
    "户口",
    "戶口",
    "户籍",
    "戶籍",
    "城管",
    "公积金",
    "公積金",
)
_ASKS_WHOSE = re.compile(r"[归歸][^，。,]{0,8}管|找[谁誰]|[谁誰]管|管不管|管[吗嗎]|哪[个個]部[门門]")

_TRAILING = re.compile(r"[\s。！!.~～…,，、:：;；\"'“”‘’）)】\]]+$")
_ENDS = ("？", "?", "吗", "嗎", "呢", "么", "麼", "嘛")
# "货车司机休息室在哪", "ETC在哪办": where, asked at the end without 里/儿
_WHERE_END = re.compile(r"(?:在|去|到)哪(?:办|辦|买|買|充|坐|找)?$")
_INTERROGATIVES = re.compile(
    r"怎么|怎麼|怎样|怎樣|如何|多久|多长时间|多長時間|多少|哪些|哪个|哪個|哪里|哪裡|哪儿|哪兒|哪家|哪位|哪支|哪一|哪天|"
    r"什么|什麼|为什么|為什麼|为啥|為啥|能不能|可不可以|可以不可以|是不是|是否|有没有|有沒有|会不会|會不會|"
    r"要不要|用不用|行不行|对不对|對不對|几天|幾天|几个|幾個|几点|幾點|几号|幾號|几时|幾時|咋|啥|谁|誰|吗|嗎"
)
# "萬大線會經過那裡", "去動物園要在那裡轉車": 那裡 written for 哪裡 (common in Taiwan), after a modal verb
_THERE_AS_WHERE = re.compile(
    r"(會|会|要|能|可以|該|该|應該|应该)[^，。,！!]{0,6}那(裡|里|邊|边|兒|儿)"
    r"((轉|转|換|换|下|上|搭|坐|買|买|辦|办|繳|缴|搭乘|乘坐).{0,3})?$"
)
# "能帮我打官司不" / "明天能走不": an A-not-A question with the negation at the end
_A_NOT_A_END = re.compile(r"(能|可以|行|会|會|是|有|要|用|需要).{0,14}(不|没有|沒有)$")

# "交强险管不管" / "押金退不退": a verb, its negation and the verb again (not said to the hotline itself: "你们管不管"
# is a complaint's last word)
_A_NOT_A = re.compile(r"^(?!.*你)(?:.*?)(?![不没沒])([\u4e00-\u9fa5])(?:不|没|沒)\1")

# an explicit request to act, even when a question follows ("我要投诉出租车拒载，多久有结果？")
_REQUEST = re.compile(
    r"(我|俺|咱)?(要|想|想要|需要|准备|來|来)(投[诉訴]|[举舉]报|[举舉]報|反映|提.{0,2}[建意][议議见見]|[建][议議]一下)"
    r"|投[诉訴]一下|[举舉][报報]一下|反映一下"
    r"|帮我(登记|登記|投[诉訴]|[举舉][报報]|反映|查|转|轉|记录|記錄)"
    r"|替我(登记|登記|投[诉訴]|查)"
    r"|(查|查询|查詢|查一下|查下|看一下|看看)(我的|一下我的)?(工单|工單|投[诉訴]|建[议議])"
    r"|(工单|工單)(号|號|编号|編號)?[:：\s]*[A-Za-z]{0,4}\d{6,}"
    r"|我的(工单|工單|投[诉訴]|建[议議]|[举舉][报報]).{0,10}(进度|進度|到哪|怎么样了|怎麼樣了|有结果|有結果|处理了|處理了|回复了|回覆了|办得)"
    r"|我(之前|上次|前几天|前幾天|昨天|上周|上週)?(提交|登记|登記)?的?(投[诉訴]|建[议議]|[举舉][报報]).{0,10}"
    r"(进度|進度|到哪|怎么样了|怎麼樣了|有结果了|有結果了|处理了吗|處理了嗎|回复了吗|回覆了嗎)"
    r"|转人工|轉人工|找人工|接人工|转接人工|轉接人工|我要人工|要人工服务|要人工服務|人工服务$|人工客服$"
    # a person asked for: "能不能转个真人", "换个人工跟我说", bare "有人工客服吗"
    r"|(转|轉|换|換|找|接|叫)(一)?(个|個)?(真人|人工|接线员|接線員|坐席)"
    r"|^(请问|請問)?(有没有|有沒有|有)(人工|真人)(客服|服务|服務)?(吗|嗎|不|没|沒|么|麼)?[啊呀]?$"
    r"|^(人工|真人)(客服)?(在吗|在嗎|在不在|呢)$|(我要|我想|想|要)(跟|和|找)(真人|人工)"
    # an order number of the current format, or "my" earlier report asked after ("我上次反映的事有结果了吗")
    r"|(?<!\d)\d{8}-\d{5}(?!\d)|(?<!\d)\d{13}(?!\d)"
    r"|我(之前|上次|上回|前几天|前幾天|前两天|前兩天|昨天|上周|上週|上个月|上個月|刚才|剛才)?"
    r"(反映|投[诉訴]|[举舉][报報]|提|留言|留|登记|登記|打电话|打電話)(过|過)?的"
    r".{0,20}(有人|处理|處理|结果|結果|回复|回覆|回音|消息|下文|进度|進度|到哪|怎么样|怎麼樣|办好|辦好|办完|辦完)"
    r"|我(那个|那個|的那个|的那個)(单子|單子|工单|工單|投[诉訴]|建[议議]|[举舉][报報]|留言|事)"
    r".{0,12}(怎么|怎麼|还没|還沒|有人|处理|處理|结果|結果|回复|回覆|进度|進度|到哪|消息)"
    # an order asked after without "my": "那个单子有消息没", "上次的投诉处理了吗"
    r"|(上次|之前|前几天|前幾天|上周|上週|昨天|那次)的?(投[诉訴]|反映|[举舉][报報]|建[议議]|留言|工单|工單|单子|單子|事)"
    r".{0,12}(有人|处理|處理|结果|結果|回复|回覆|消息|进度|進度|到哪|怎么样|怎麼樣|办好|辦好|办完|辦完)"
    r"|(那个|那個|这个|這個)(单子|單子|工单|工單).{0,8}(消息|结果|結果|怎么样|怎麼樣|处理|處理|到哪|进度|進度)"
    r"|(到底|究竟)(啥时候|什么时候|什麼時候|几时|幾時)"
    r"|^(?!.*(多久|多长|多長|几天|幾天|一般|是否|会不会|會不會)).*(有|有没有|有沒有)(消息|进展|進展|下文|动静|動靜)了?"
    r"(吗|嗎|没|沒|没有|沒有)?$"
    # a suggestion: "希望公交开到村里", "能不能在学校门口设个站", "公交能不能多开几班" (not "能不能多带一个小孩")
    r"|^(我)?(想)?(希望|建议|建議)(?!.*(多久|怎么|怎麼|如何|哪|什么|什麼|采纳|採納|回复|回覆|回音|通知|答复|答覆|结果|結果))"
    r"|(能不能|能否|可不可以|可否|可以)(在|把|给|給|让|讓|往)[^？?]{1,12}"
    r"(增加|增设|增設|设|設|建|装|裝|开|開|加|改|延长|延長|挪|移)"
    r"|(能不能|能否|可不可以|可否|是否可以|是不是可以|可以不可以)"
    r"(增加|增设|增設|加开|加開|多开|多開|多设|多設|多建|多装|多裝|延长|延長|开通|開通|提高|降低|减少|減少|"
    r"调整|調整|恢复|恢復|装个|裝個|装上|裝上|设个|設個|建个|建個)"
)
# a proposal made ("建议加车", "希望多开几班", "建議延長末班車"): with no misconduct told, a suggestion (意见建议)
_PROPOSES = re.compile(
    r"(建议|建議|希望|最好|盼望)[^，,。！!？?\s]{0,8}?"
    r"(多|加|增|开通|開通|延长|延長|设|設|建|装|裝|改|调整|調整|恢复|恢復|提高|降低|缩短|縮短|优化|優化|完善|规划|規劃)"
)
# "如果我要投诉…" / "我想投诉的话…": the request is hypothetical, the message asks about it
_HYPOTHETICAL = re.compile(r"如果|要是|假如|假设|假設|的话|的話|万一|萬一")
# a complaint phrased as a question ("你们怎么不管管"): a complaint, not a question
_RHETORICAL = re.compile(
    r"凭什么|憑什麼|还有没有王法|還有沒有王法|有没有人管|有沒有人管|到底管不管|谁来管|誰來管|没人管吗|沒人管嗎"
    r"|(怎么|怎麼|为什么|為什麼|为啥|為啥)(都|也|就|一直)?(不|没人|沒人|没有人|沒有人)"
    r"(管|处理|處理|回复|回覆|理|解决|解決|来|來|负责|負責|接|给个说法|給個說法)"
    r"|(怎么|怎麼)(还|還)(不|没|沒|在|是|要)"
    r"|(怎么|怎麼)(能|可以)这样|(怎么|怎麼)(能|可以)這樣|(怎么|怎麼)回事啊?[!！]"
    r"|(到底|究竟|还|還)管不管|管一管|管管吧|有没有天理|有沒有天理|像话吗|像話嗎|讲不讲理|講不講理"
    r"|有人管(吗|嗎|没|沒|不)"
)
# a grievance with a yes/no tail ("司机绕路多收钱你们管吗") is a complaint; asking how, where, whether it is allowed
# or what the rule is ("出租车不打表合法吗", "被多扣钱了怎么办") stays a question
_GRIEVANCE = re.compile(
    r"多收|乱收|亂收|多扣|乱扣|亂扣|宰客|被宰|挨宰|被坑|绕路|繞路|绕远|繞遠|拒载|拒載|甩客|骂人|罵人|打人|态度恶劣|態度惡劣|"
    r"态度差|態度差|态度很差|態度很差|刁难|刁難|漫天要价|漫天要價|乱要价|亂要價|敲诈|敲詐|坑人|黑车|黑車|不找零|"
    r"不给发票|不給發票|不打表|不停站|过站不停|過站不停|闯红灯|闖紅燈|假配件|以次充好|收高价|收高價|坐地起价|坐地起價|"
    r"把我(扔|丢|丟|甩|赶|趕)|赶下车|趕下車|不让上车|不讓上車|骗|騙|超载|超載|超员|超員|爱答不理|愛答不理|推搡|"
    r"摔坏|摔壞|弄丢|弄丟|加价|加價|玩手机|玩手機|抽烟|抽菸|酒驾|酒駕|超速|乱罚|亂罰|"
    # a charge or deduction gone wrong ("货车ETC扣费错了")
    r"(?:扣费|扣費|收费|收費|计费|計費|扣款)(?:不对|不對|有误|有誤|错了|錯了|异常|異常)|扣错|扣錯|重复扣|重複扣|"
    # what is owed and withheld: "不给免费" (a green-lane truck), "不给开发票", "没给票"
    r"不[给給](?:免|开|開|退|票|收据|收據)|[没沒][给給](?:票|发票|發票|收据|收據)|不开票|不開票|"
    # a price taken ("拖车要了我3000", "收费太贵了"): the towing, the parking, the fare
    r"天价|天價|(?:收费|收費|要价|要價|价格|價格|价钱|價錢)太(?:贵|貴|高)|"
    r"(?:要|收|讹|訛|宰|扣)了我\s*[\d一二两兩三四五六七八九十百千万萬几幾]"
)
# acute danger (an injury, a fire, distress on the water): referred at once, whatever grievance comes with it
_ACUTE = re.compile(r"受伤|受傷|流血|着火|著火|起火|急救|救命|落水|溺水|翻船|船翻|沉船|遇险|遇險|抢劫|搶劫")
# "为什么公交车老是不停站", "出租车司机凭啥拒载": a grievance asked "why" is a complaint
_WHY_GRIEVANCE = re.compile(r"为什么|為什麼|为啥|為啥|凭啥|憑啥|凭什么|憑什麼|老是|总是|總是|天天|每次|一直")
# an explicit complaint NLU took for a consultation ("投诉公交公司", "举报黑车")
_COMPLAINT_REQUEST = re.compile(
    r"^(我)?(要|想|想要|必须|必須|坚决|堅決)?(投[诉訴]|[举舉][报報]|反映)(?!.{0,3}(电话|電話|热线|熱線|渠道|方式|流程|途径|途徑))"
)
_ASKS_INFO = re.compile(
    r"怎么|怎麼|如何|哪|多久|多长|多長|多少|什么|什麼|几|幾|咋|啥|谁|誰|是否|合法|违法|違法|违规|違規|算不算|正常|"
    r"可以|能不能|允许|允許|规定|規定|标准|標準|处罚|處罰|罚|罰|投[诉訴]|[举舉][报報]|反映|申[诉訴]|会不会|會不會|合理|合规|合規|"
    r"归[^，。,]{0,8}管|歸[^，。,]{0,8}管"  # "小区物业乱收停车费 归12328管吗" asks whose matter it is
)
_YES_NO_TAIL = re.compile(r"(吗|嗎|不|没|沒|没有|沒有|么|麼|管不管)[啊呀]?[？?]*$")
# small talk NLU is sure of ("今天天气怎么样" → out_of_scope) stays small talk unless it touches the hotline's field
SMALL_TALK_INTENTS = frozenset({"greet", "goodbye", "out_of_scope", "nlu_fallback"})
_FIELD = re.compile(
    r"12328|12345|热线|熱線|投[诉訴]|[举舉][报報]|建[议議]|工[单單]|[办辦]理|受理|超期|期限|[办辦]结|[办辦]結|人工|客服|"
    r"交通|[运運][输輸]|公交|公[车車]|巴士|客[车運]|出租|[计計]程[车車]|[网網]约|[网網]約|[车車]|路|站|[线線]|票|卡|"
    r"[驾駕]|船|港|[码碼]头|[码碼]頭|高速|收[费費]|司[机機]|物流|[货貨]|[办辦]法|条例|條例|部[门門]|[处處][罚罰]|[罚罰]款|"
    r"[挂掛]失|[电電]话|[电電]話|知[识識]|政策|规定|規定|材料|申[请請]|[证證]"
    # city and government services (citizens' FAQ: 敬老卡, parking, licences, 良民證, 户口, 社保 ...)
    r"|捷[运運]|地[铁鐵]|悠遊|敬老|[爱愛]心|老年|停[车車]|拖吊|[驾駕]照|行照|良民|牌照|燃料|[户戶]口|[户戶]籍|"
    r"身份|身分|社保|[医醫]保|公[积積]金|[税稅]|[补補][办辦]|[预預][约約]|充值|[储儲]值|[单單][车車]|自行|腳踏|"
    r"[护護]照|[签簽][证證]|[执執]照|[缴繳]|垃圾|路[灯燈]|市民|[补補]助|[优優]惠|[办辦]"
)

# "高速收费站多收我过路费了 咋办": a grievance done to the caller plus "what now" asks for the complaint
_GRIEVANCE_WHAT_NOW = re.compile(
    r"(多收|乱收|亂收|多扣|乱扣|亂扣|骗|騙|打了|骂|罵|拒载|拒載|绕路|繞路|甩客|宰客|刁难|刁難|扣了|不[给給]|[没沒][给給])"
    r"[^？?]{0,12}"
    r"(怎么办|怎麼辦|咋办|咋辦)$"
)

# greetings and "are you there?": not questions for the KB
_PHATIC = re.compile(
    r"^(?:(你好|您好|哈喽|哈囉|喂|在吗|在嗎|在不在|有人吗|有人嗎|有人在吗|有人在嗎|你好吗|你好嗎|你是谁|你是誰|你是机器人吗|"
    r"你是機器人嗎|是机器人吗|是機器人嗎)[啊呀吗嗎呢？?！!。，,\s]*)+$"
)


def phatic(text: str) -> bool:
    """A greeting or "are you there / who are you" and nothing else ("喂 在吗", "你是机器人吗", "有人嗎")."""
    return bool(_PHATIC.match(re.sub(r"\s+", "", text or "")))


# "您好请问是12328热线吗", "喂，这里是交通热线吧": a greeting that checks the number, not a question for the KB
_GREETING = re.compile(r"^(你好|您好|哈喽|哈囉|嗨|喂+|早上好|上午好|中午好|下午好|晚上好|师傅|師傅|客服)+")
_HOTLINE_CHECK = re.compile(
    r"^(请问|請問)?(这里|這裡|这儿|這兒|这|這|你们|你們|您这|您這)?(是|是不是)?"
    r"(12328|交通(运输|運輸)?(服务|服務)?(监督|監督)?(热线|熱線)|(热线|熱線)|客服)(热线|熱線)?"
    r"(吧|吗|嗎|么|麼|不|呀|啊)?$"
)

# a bare topic, "复康巴士预约", "停車費", "良民證", "大车审验": a consultation when NLU takes it for an act or small talk. It must
# end with what one asks about (a card, a licence, a fee, a timetable, a procedure): a vehicle or a person
# ("出租车", "公交司机"), the answer to a complaint form's questions, is no topic.
_TOPIC_HEAD = re.compile(
    r"(卡|证|證|照|税|稅|费|費|价|價|罚款|罰款|罚单|罰單|时刻|時刻|时刻表|時刻表|时间|時間|路线|路線|线路|線路|班次|"
    r"预约|預約|申请|申請|办理|辦理|补办|補辦|补发|補發|换证|換證|换照|換照|换发|換發|挂失|掛失|查询|查詢|缴费|繳費|"
    r"缴纳|繳納|充值|储值|儲值|退卡|年审|年審|政策|规定|規定|标准|標準|流程|手续|手續|材料|资格|資格|资质|資質|"
    r"优惠|優惠|补助|補助|电话|電話|地址|方式|须知|須知|证明|證明|登记|登記|上牌|"
    # a rule or a limit asked about ("大车审验", "收费站间距", "驾驶证有效期", "公交卡押金")
    r"审验|審驗|检验|檢驗|年检|年檢|间距|間距|限速|限行|限号|限號|限高|限重|期限|时限|時限|有效期|条件|條件|范围|範圍|"
    r"押金|改签|改簽|退票|办法|辦法|规则|規則|程序)$"
)
_NOT_TOPIC = re.compile(
    r"我|你|乱|亂|多收|多扣|骂|罵|打人|不给|不給|不让|不讓|不退|拒|坏|壞|丢|丟|没|沒|被|投[诉訴]|[举舉][报報]|建[议議]|"
    r"确认|確認|提交|取消|修改|匿名|满意|滿意|扣|重复|重複|贵|貴|太|坑|黑|假|不|强制|強制|强行|強行|擅自|私自|高额|高額|"
    r"退[还還回钱錢费費款]|[赔賠]|要求|希望|道歉|[处處][罚罰]|[给給]个|\d"
)


def _clean(text: str) -> str:
    return _TRAILING.sub("", (text or "").strip())


def is_request(text: str) -> bool:
    """An explicit request to act (file, look up, reach a person), unless it is hypothetical."""
    t = _clean(text)
    if not _REQUEST.search(t):
        return False
    return not (_HYPOTHETICAL.search(t) and not re.search(r"[转轉找接]人工|帮我|替我|\d{6,}", t))


def is_rhetorical(text: str) -> bool:
    """A complaint in the form of a question ("你们怎么不管管", "凭什么多收我钱", "司机绕路多收钱你们管吗")."""
    t = (text or "").strip()
    if _RHETORICAL.search(t):
        return True
    if not _GRIEVANCE.search(t):
        return False
    if _WHY_GRIEVANCE.search(t) and not _INFO_NOT_WHY.search(t):
        return True
    return bool(_YES_NO_TAIL.search(t) and not _ASKS_INFO.search(t))


# what makes "为什么…多收钱" a question after all: asking the rule, the way or the place
_INFO_NOT_WHY = re.compile(
    r"怎么办|怎麼辦|怎么投|怎麼投|如何|哪|多久|多少|合法|违法|違法|违规|違規|规定|規定|标准|標準|处罚|處罰|允许|允許"
)


def is_grievance(text: str) -> bool:
    """A grievance told or an explicit complaint, not a question ("拖车公司漫天要价", "投诉公交公司")."""
    t = _clean(text)
    if not t or is_question(t) or is_topic(t):
        return False
    if _COMPLAINT_REQUEST.search(t) and not _HYPOTHETICAL.search(t):
        return True
    return is_rhetorical(t) or bool(_GRIEVANCE.search(t) and not _ASKS_INFO.search(t))


def is_topic(text: str) -> bool:
    """A bare topic asked about ("复康巴士预约", "停車費", "敬老卡"): 3 to 10 characters ending in a card, a licence,
    a fee, a timetable or a procedure, with no grievance, person or act in it."""
    t = _clean(text)
    t = re.sub(r"[呢吧啊呀？?]+$", "", t)
    if not (3 <= len(t) <= 10 and _TOPIC_HEAD.search(t)) or _NOT_TOPIC.search(t) or _GRIEVANCE.search(t):
        return False
    return not is_request(t)


def _is_hotline_check(text: str) -> bool:
    t = re.sub(r"[\s，,。！!？?~～、]", "", text or "")
    rest = _GREETING.sub("", t)
    return rest != t and bool(_HOTLINE_CHECK.match(rest)) or bool(_HOTLINE_CHECK.match(t) and len(t) <= 12)


def is_question(text: str) -> bool:
    """True for a question (Simplified or Traditional Chinese), false for requests, complaints and form answers."""
    raw = (text or "").strip()
    if not raw or raw.startswith("/"):  # a button payload is an act
        return False
    if _PHATIC.match(raw) or _is_hotline_check(raw) or is_request(raw) or is_rhetorical(raw):
        return False
    t = _clean(raw)
    if "我" in t and _GRIEVANCE_WHAT_NOW.search(t):
        return False
    if raw.rstrip().endswith(("？", "?")):
        return True
    t = re.sub(r"[啊呀啦哈哦喔]+$", "", t)
    if t.endswith(_ENDS) or _WHERE_END.search(t):
        return True
    return bool(_INTERROGATIVES.search(t) or _A_NOT_A_END.search(t) or _A_NOT_A.search(t) or _THERE_AS_WHERE.search(t))


# a whole message of thumbs, OK signs or check marks is a yes; of thumbs down, crosses or 🙅 a no (NLU, trained on
# words, is not sure of them: "👍" to "需要现在帮您登记投诉吗？" must register the complaint)
_YES_GESTURES = re.compile(r"^(?:👍|👌|✅|✔|☑|🙆|⭕|🆗|\U0001F44D[\U0001F3FB-\U0001F3FF]|[\s!！.。~～\uFE0F])+$")
_NO_GESTURES = re.compile(r"^(?:👎|❌|✖|🙅|⛔|\U0001F44E[\U0001F3FB-\U0001F3FF]|[\s!！.。~～\uFE0F])+$")


# a whole message of one yes or no word, either script, as drivers answer a yes/no question: NLU, which reads
# characters, took "好啊" for a greeting (你好啊), "no" for a yes and "免了" for nothing
_YES_WORDS = frozenset(
    "好 好的 好啊 好呀 好吧 好滴 好嘞 好咧 好喔 好哦 行 行啊 行的 可以 可以的 可以啊 嗯 嗯嗯 嗯呢 是 是的 是啊 是滴 "
    "对 对的 对啊 對 對的 對啊 没错 沒錯 要 要的 需要 中 中啊 妥 确认 確認 同意 ok okay yes".split()
)
_NO_WORDS = frozenset(
    "不 不用 不用了 不用啦 不要 不要了 不需要 不必 不了 算了 免了 没有 沒有 不是 不是的 别 別 不行 不想 不对 不對 "
    "错了 錯了 no nope".split()
)
_YES_NO_TRIM = re.compile(r"[\s!！.。~～,，\uFE0F]+")


def gesture(text: str) -> str | None:
    """ "affirm" for "👍", "👌👌", "✅", "好啊", "OK"; "deny" for "👎", "❌", "🙅", "不用了", "no"; else None."""
    text = (text or "").strip()
    if not text or not re.search(r"[^\s!！.。~～\uFE0F]", text):
        return None
    if _YES_GESTURES.match(text):
        return "affirm"
    if _NO_GESTURES.match(text):
        return "deny"
    word = _YES_NO_TRIM.sub("", text).lower()
    if word in _YES_WORDS:
        return "affirm"
    if word in _NO_WORDS:
        return "deny"
    return None


# the buttons of the bot's offers (bot/actions/knowledge.py builds them from these titles): after an answer, the
# offer's yes ("需要现在帮您登记投诉吗？" [是，登记投诉 | 不用了]); after a refusal, the act asked with it. Typed rather
# than pressed (the official account shows buttons as numbered lines, and drivers copy the line), a title is its
# button's act: NLU read "是，登记投诉" as a consultation order (登记), which asked "请先告诉我您想咨询的问题"
OFFER_TITLES = {
    "complain": "是，登记投诉",
    "suggest": "是，提出建议",
    "ticket_status": "查询工单",
    "handoff": "转人工客服",
}
REFUSAL_TITLES = {"complain": "登记投诉", "suggest": "提出建议", "ticket_status": "查询工单"}
_TRADITIONAL_TITLES = {
    "是，登記投訴": "complain",
    "登記投訴": "complain",
    "是，提出建議": "suggest",
    "提出建議": "suggest",
    "查詢工單": "ticket_status",
    "轉人工客服": "handoff",
}
_TITLE_INTENTS = {
    _YES_NO_TRIM.sub("", title): intent for titles in (OFFER_TITLES, REFUSAL_TITLES) for intent, title in titles.items()
} | {_YES_NO_TRIM.sub("", title): intent for title, intent in _TRADITIONAL_TITLES.items()}


# declining to have anything registered, as people say it after the bot offered to ("不用登记 我就是问一下", "不要立案
# 只是问问", "別登記"): NLU took "登记" for the registration itself (leave_question) and a consultation order was made
_DECLINES = re.compile(
    r"(?:不用|不要|不需要|不必|别|別|无需|無需|用不着|用不著|不想|先不)(?:帮我|幫我|给我|給我|帮|幫)?"
    r"(?:登记|登記|立案|建单|建單|记录|記錄|留言|下单|下單|投诉|投訴|举报|舉報|报|報)(?:了|啦|吧|啊)?"
)
_JUST_ASKING = re.compile(
    r"(?:我|俺)?(?:就是|只是|就|只|光)?(?:想)?(?:问|問|咨询|諮詢|了解)(?:一下|下|问|問|个事|個事|情况|情況)?"
    r"(?:而已|罢了|罷了|的|啊|哈)?|谢谢|謝謝|好的|好|了|啊|哈|吧"
)


def declines_order(text: str) -> bool:
    """Whether the message only declines to have an order registered ("不用登记 我就是问一下"), with nothing else asked or
    told."""
    t = re.sub(r"[\W_]", "", _clean(text))
    if not _DECLINES.search(t):
        return False
    return not _JUST_ASKING.sub("", _DECLINES.sub("", t))


def titled_act(text: str) -> str | None:
    """The act of the offer button whose title this message is ("是，登记投诉", "是登记投诉" -> "complain"), else None."""
    return _TITLE_INTENTS.get(_YES_NO_TRIM.sub("", (text or "").strip()))


# a question asking how to complain or to suggest, on normalised (Simplified) text: "计程车拒载怎么投诉", "去哪里举报"
_ASKS_HOW_TO = {
    "complain": re.compile(
        r"(?:怎么|怎样|如何|哪里|在哪|去哪|找谁|向谁|找哪|哪个部门|哪个电话)[^，。,！!？?]{0,6}(?:投诉|举报|检举)"
        r"|(?:投诉|举报|检举)[^，。,！!？?]{0,3}(?:怎么|如何|流程|电话|渠道|方式|途径)"
        r"|(?:投诉|举报|检举)[^，。,！!？?]{0,6}(?:需要|要|准备|带)[^，。,！!？?]{0,3}(?:材料|证据|资料|手续|证明)"
    ),
    "suggest": re.compile(
        r"(?:怎么|怎样|如何|哪里|在哪|去哪|向谁)[^，。,！!？?]{0,6}(?:提建议|提意见|提出建议|提出意见)"
    ),
}


# complained about, not complaining: "我是出租车司机 被乘客投诉了 怎么申诉" asks how to answer a complaint
_COMPLAINED_AGAINST = re.compile(r"被[^，。,！!？?\s]{0,6}(?:投诉|投訴|举报|舉報|检举|檢舉)")


def asks_how_to(text: str) -> str | None:
    """The act a question asks how to do ("complain", "suggest"), else None: after its answer the bot offers to
    do it, whatever intent NLU gave the question (a Traditional "計程車拒載怎麼投訴" reads as a consultation)."""
    for act, pattern in _ASKS_HOW_TO.items():
        if act == "complain" and _COMPLAINED_AGAINST.search(text or ""):
            continue
        if pattern.search(text or ""):
            return act
    return None


# intents only reframe sets, never NLU (no training examples; the NLU quality tests leave them out)
CHANNEL_INTENTS = frozenset({"choose"})
# "1", "２", "2.", "第3个": the number of one of the buttons the bot just showed (WeChat users number their choices)
_CHOICE = re.compile(
    r"^\s*(?:第\s*)?([1-9１-９])\s*(?:个|個|项|項|条|條)?\s*[.。、!！]?\s*$"
    r"|^\s*(?:选)?第\s*([一二三四五六七八九])\s*(?:个|個|项|項|条|條)?\s*[.。、!！]?\s*$"  # "第一个", "第二条"
)
_CHINESE_DIGITS = str.maketrans("１２３４５６７８９一二三四五六七八九", "123456789123456789")


# a message that is nothing but the caller's phone ("13812345678", "我的电话是138 1234 5678 请回电"; "0912345678" is
# no mainland mobile): NLU took it for a goodbye or a complaint; it leaves a number for a reply (action_leave_question)
_PHONE_WORDS = re.compile(
    r"^(?:(?:我的|我|俺的|本人)?(?:联系|聯繫|聯絡|联络)?(?:手机号码|手機號碼|电话号码|電話號碼|手机号|手機號|手机|手機|电话|電話|号码|號碼|方式)"
    r"(?:是|为|為|:|：)?|(?:请|請)?(?:留个|留個|打|回|回拨|回撥|联系我|聯繫我|打给我|打給我)(?:这个|這個)?(?:电话|電話|号|號)?"
    r"(?:是|:|：)?)?"
)
_PHONE_TAIL = re.compile(
    r"[，,\s]*(?:请|請|麻烦|麻煩)?(?:回电话|回電話|回电|回電|联系我|聯繫我|聯絡我|打给我|打給我|回复我|回覆我)$"
)
_MOBILE_ONLY = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")


def gives_phone(text: str) -> bool:
    """A message that is nothing but a mainland mobile number, maybe after "我的电话是" (spaces and dashes inside it)."""
    t = _clean(text)
    t = _PHONE_TAIL.sub("", _PHONE_WORDS.sub("", t))
    return bool(_MOBILE_ONLY.match(re.sub(r"[\s\-－—]", "", t)))


def choice_number(text: str) -> int | None:
    """1..9 for a message that is nothing but the number of a choice ("2", "第2个", "第二个"), else None."""
    found = _CHOICE.match(text or "")
    return int((found.group(1) or found.group(2)).translate(_CHINESE_DIGITS)) if found else None


# sectors with a hotline of their own (第三条: railway 12306, civil aviation 12326, post 12305), both scripts; the
# referral (bot/actions/referral.py) names the hotline
RAIL_WORDS = (
    "铁路",
    "鐵路",
    "火车",
    "火車",
    "高铁",
    "高鐵",
    "动车",
    "動車",
    "列车",
    "列車",
    "12306",
    "车次",
    "車次",
    "站台票",
)
AIR_WORDS = (
    "航班",
    "飞机",
    "飛機",
    "机场",
    "機場",
    "民航",
    "机票",
    "機票",
    "航空",
    "行李托运",
    "行李託運",
    "登机",
    "登機",
)
POST_WORDS = ("快递", "快遞", "邮政", "郵政", "包裹", "邮件", "郵件", "邮局", "郵局", "寄件", "物流单号", "快件")
# what makes a message about one of those sectors ours after all: a road vehicle or a service ("火车站出租车拒载",
# "机场大巴绕路")
_OURS = re.compile(
    r"出租|的士|计程|計程|网约|網約|公交|公車|大巴|客车|客車|巴士|黑车|黑車|货车|貨車|司机|司機|地铁|地鐵|轮渡|輪渡"
)


def names_other_sector(text: str) -> bool:
    """A message about railway, civil aviation or post ("我想订一张去三亚的机票") and nothing of ours in it."""
    t = text or ""
    return any(w in t for w in RAIL_WORDS + AIR_WORDS + POST_WORDS) and not _OURS.search(t)


# transport's own fields (第二条), as callers name them, both scripts: asked whether 12328 handles one ("网约车归你们
# 管吗", "驾校的事能投诉吗"), the bot says it does and offers the complaint
OUR_FIELDS = (
    (("网约车", "網約車", "出租车", "出租車", "计程车", "計程車", "的士", "巡游车"), "出租汽车和网约车"),
    (("公交", "公車", "地铁", "地鐵", "轨道交通", "軌道交通", "轻轨", "輕軌"), "城市公共交通"),
    (("客运", "客運", "大巴", "客车", "客車", "班车", "班車", "包车", "包車", "长途车", "長途車"), "道路客运"),
    (("货运", "貨運", "货车", "貨車", "货拉拉", "貨拉拉", "运满满", "運滿滿", "物流", "危化品", "危險品"), "道路货运"),
    (("驾校", "駕校", "驾培", "駕培", "学车", "學車"), "驾驶员培训"),
    (("汽修", "维修厂", "維修廠", "修理厂", "修理廠", "4S店"), "机动车维修"),
    (("高速", "公路", "收费站", "收費站", "服务区", "服務區", "超限", "路政", "ETC"), "公路"),
    (("港口", "码头", "碼頭", "轮渡", "輪渡", "渡口", "客船", "航道", "海事"), "水路和海事"),
)
_ASKS_IF_OURS = re.compile(
    r"[归歸][^，。,]{0,8}管|[谁誰]管|管不管|管[吗嗎麼么]|你[们們]管|你[们們](?:能|可以|会|會)管[^，。,]{0,8}[吗嗎]|能不能投[诉訴]|能投[诉訴][吗嗎]|可以投[诉訴][吗嗎]|"
    r"可以[举舉][报報][吗嗎]|[属屬]于[^，。,]{0,6}范[围圍]|受理[吗嗎]|哪[个個]部[门門]"
)


# the number to call for a breakdown or rescue ("高速公路救援电话是多少", "拖车打什么电话"): the referral (12122) answers
_ASKS_RESCUE_NUMBER = re.compile(
    r"(?:救援|拖车|拖車|抛锚|拋錨|爆胎|故障)[^，。,？?]{0,6}(?:电话|電話|号码|號碼|热线|熱線)"
    r"|(?:救援|拖车|拖車|抛锚|拋錨|爆胎|车坏|車壞)[^，。,？?]{0,8}(?:打|拨|撥)(?:什么|什麼|哪个|哪個|几|幾)"
)
_WHOM_TO_TURN_TO = re.compile(r"找[谁誰]|找哪")


# what to do about a grievance ("出租车不打表怎么办", "網約車多收錢該怎麼處理"): the way is a complaint
_WHAT_TO_DO = re.compile(r"怎么办|怎麼辦|咋办|咋辦|怎么处理|怎麼處理|如何处理|如何處理|该怎么做|該怎麼做|怎么弄|怎麼弄")


def asks_what_to_do(text: str) -> str | None:
    """The field of 12328's of a grievance asked what to do about ("出租车不打表怎么办" → 出租汽车和网约车), else None:
    not for 12345's matters, another sector's, or the police's."""
    t = text or ""
    if not (is_question(t) and _WHAT_TO_DO.search(t) and _GRIEVANCE.search(t)):
        return None
    if any(w in t for w in OTHER_HOTLINE_MATTERS) or names_other_sector(t) or tells_police_matter(t):
        return None
    return next((field for words, field in OUR_FIELDS if any(w in t for w in words)), None)


def asks_if_ours(text: str) -> str | None:
    """The field a question asks 12328's responsibility for ("网约车平台抽成太高 这个归你们管吗" → 出租汽车和网约车),
    else None: not for 12345's matters, another sector's, or the police's (those are referred)."""
    t = text or ""
    # "货车ETC扣费错了找谁": whom to turn to with a grievance (a lost card "找谁" is a question for the KB)
    asks = _ASKS_IF_OURS.search(t) or (_WHOM_TO_TURN_TO.search(t) and _GRIEVANCE.search(t))
    if not (is_question(t) and asks) or any(w in t for w in OTHER_HOTLINE_MATTERS):
        return None
    if names_other_sector(t) or tells_police_matter(t):
        return None
    return next((field for words, field in OUR_FIELDS if any(w in t for w in words)), None)


# a theft or robbery told ("货车在服务区被偷油了", "车上的货被盗了"): a crime for the police (110), not a work order;
# the referral says so and how to complain of a place's security instead. "投诉服务区保安…油被偷了" stays a complaint.
THEFT_WORDS = (
    "被偷",
    "被盜",
    "被盗",
    "偷油",
    "偷了",
    "偷走",
    "盗窃",
    "盜竊",
    "失窃",
    "失竊",
    "小偷",
    "扒手",
    "被扒",
    "被抢",
    "被搶",
)
_NAMES_COMPLAINT = re.compile(r"投[诉訴]|[举舉][报報]")
# how a place guards against theft, complained about: "服务区停车场晚上没灯车被偷油"
_GUARDING = re.compile(r"没灯|沒燈|没有灯|沒有燈|太暗|保安|没人管|沒人管|不管|管理|監控|监控|摄像|攝像|巡逻|巡邏")


def tells_theft(text: str) -> bool:
    """A theft or robbery told, not a complaint about someone's handling of one or a place's guarding."""
    t = text or ""
    return any(w in t for w in THEFT_WORDS) and not _NAMES_COMPLAINT.search(t) and not _GUARDING.search(t)


# the traffic police's matters (公安交管: fines, points, licences) are not transport's (第三条): "被交警罚了200 不服"
# is referred (12123, review, 复议); transport enforcement named beside it (路政, 运政, 超限) keeps it ours
POLICE_WORDS = ("交警", "交通警察", "交管", "12123")
_TRANSPORT_ENFORCEMENT = re.compile(
    r"路政|运政|運政|交通执法|交通執法|综合执法|綜合執法|超限|治超|运管|運管|交通局|运输局|運輸局"
)


# the traffic police's own business asked about (points, violations, licences: 车驾管), which a centre's KB may hold
# (synced with 12345) and is then answered from it; when the KB has nothing, the refusal says where it is done
_POLICE_TOPIC = re.compile(
    r"扣分|[记記]分|扣[满滿]|[违違]章|[违違]停|交通[违違]法|[驾駕][照驶駛][证證]?|行[驶駛][证證]|[车車]管所"
)


def police_topic(text: str) -> bool:
    """Whether a question is about the traffic police's business (记分, 违章, 驾驶证), not transport's enforcement."""
    return bool(_POLICE_TOPIC.search(text or "")) and not _TRANSPORT_ENFORCEMENT.search(text or "")


def names_police_business(text: str) -> bool:
    """Whether a text (a KB entry's) names the traffic police's business at all (记分, 违章, 驾驶…)."""
    return bool(_POLICE_TOPIC.search(text or ""))


def tells_police_matter(text: str) -> bool:
    return any(w in (text or "") for w in POLICE_WORDS) and not _TRANSPORT_ENFORCEMENT.search(text or "")


# a correction of, or an addition to, an order already submitted: "我刚才投诉的电话留错了", "地点说错了 应该是郑州东站",
# "补充一下：司机还骂人了" (the status form takes it; inside an open form the form's own correction serves it)
_AMEND = re.compile(
    r"(?:[刚剛]才|[刚剛][刚剛]|之前|上面|前面|那[个個]|我)(?:的|我)?(?:投[诉訴]|[举舉][报報]|反映|建[议議]|工[单單]|登[记記])"
    r"[^，。,]{0,10}?(?:[错錯]|不[对對]|漏|忘|[补補]充|更正|改)"
    r"|(?:[电電][话話]|手[机機][号號]?|[号號]码|[号號]碼|地点|地點|地址|[时時][间間]|[车車]牌)[号號]?"
    r"(?:留|填|[写寫]|[说說]|[记記]|打)[错錯]"
    r"|^(?:我)?(?:要|想)?[补補]充(?:一下|一点|一點|几句|幾句|[说說]明)?(?:[:：，,\s]|$)"
)


def asks_to_amend(text: str) -> bool:
    """A correction of or an addition to an order already submitted, not a question about how to make one."""
    t = (text or "").strip()
    return bool(_AMEND.search(t)) and not _HOW_TO.search(t)


# the state of the caller's own order asked ("我的投诉处理完了吗", "我反映的问题有结果了没有"): NLU took it for a
# consultation, and the KB answered the time limits (第二十三条) before offering the look-up
_OWN_ORDER = re.compile(r"(?:我|俺)[^，。,？?]{0,8}?(?:投[诉訴]|[举舉][报報]|反映|建[议議]|工[单單]|提的|留的)")
_STATE_ASKED = re.compile(
    r"(?:[处處]理|[办辦]|解[决決]|回[复覆]|答[复覆]|受理|[转轉][办辦])(?:完|好|得|结|結)?了?(?:[吗嗎]|[没沒]有?)"
    r"|有(?:[结結]果|回音|回[复覆]|答[复覆]|下文|人管|[进進]展)了?(?:[吗嗎]|[没沒]有?)"
    r"|(?:怎么|怎麼|咋)?[样樣]了|到哪(?:一步|了)|[进進]度(?:如何|怎么样|怎麼樣|呢)?"
)
# how long, what if, what will happen ("我投诉的司机会被处理吗"): questions about orders in general, for the KB
_DURATION = re.compile(
    r"多久|几天|幾天|多[长長][时時][间間]|什[么麼][时時]候|期限|[时時]限|如果|要是|[会會]|能不能|可以"
)


def asks_own_status(text: str) -> bool:
    """Whether the message asks how the caller's own order stands (the look-up), not how long orders take."""
    t = (text or "").strip()
    return bool(_OWN_ORDER.search(t) and _STATE_ASKED.search(t)) and not _DURATION.search(t)


# "我忘了工单号了", "我的投诉单号是多少 怎么查", "編號找不到了": the caller's order number is what is missing
_NUMBER = r"(?:工[单單]|投[诉訴]|[举舉][报報])?(?:[单單]号|[单單]號|[编編]号|[编編]號)"
_LOST_NUMBER = re.compile(
    r"(?:忘|不[记記]得|[记記]不(?:清|住)|不知道|找不到|[没沒][记記]|[丢丟]了|[删刪]了)[^，。,？?]{0,4}?"
    + _NUMBER
    + r"|"
    + _NUMBER
    + r"(?:是多少|是啥|是什[么麼]|在哪|多少|忘|找不到|[丢丟]|[删刪]|不[记記]得|[记記]不)"
)


def lost_order_number(text: str) -> bool:
    """Whether the caller says they do not have their order's number (the look-up then says where it is)."""
    return bool(_LOST_NUMBER.search((text or "").strip()))


# "你是机器人吗", "是真人在回复吗", "你們是AI嗎"
_ASKS_IF_BOT = re.compile(
    r"机器人|機器人|真人|是人工|(?<![A-Za-z])AI(?![A-Za-z])|人工智能|自动回复|自動回覆", re.IGNORECASE
)
_WANTS_ONE = re.compile(r"[转轉找要接换換叫]")

_ASKS_TO_COMPLAIN = re.compile(
    r"[帮幫]我(?:投[诉訴]|[举舉][报報])|^(?:我)?(?:要|想)(?:投[诉訴]|[举舉][报報])(?:一下)?(?:[吧啊]|可以[吗嗎]|行[吗嗎])?[？?]?$"
    # after an answer that offered it: "那我投诉吧", "那就投诉", "行 那我还是举报吧"
    r"|^(?:(?:好的?|行吧?|嗯|那行|可以)[,，\s]*)?那(?:我|就|我就|我还是|还是)?(?:要|想)?(?:投[诉訴]|[举舉][报報])"
    r"(?:一下|他|他们)?[吧啊]?[。.!！]?$|^我(?:就|还是)?(?:投[诉訴]|[举舉][报報])[吧啊][。.!！]?$"
)
# "那我投诉服务区管理不到位" (NLU: suggest): a complaint asked for by its verb, whatever follows
_COMPLAINS_OF = re.compile(
    r"^(?:(?:好的?|行吧?|嗯|那行|可以)[,，\s]*)?那?(?:我|俺)?(?:就|还是)?(?:要|想)?(?:投[诉訴]|[举舉][报報])"
    r"(?!.{0,3}(?:电话|電話|渠道|方式|流程|途径|途徑|有用|管用))"
)
_WANTS_TO_REPORT = re.compile(
    r"(?:要|想|想要)(?:反映|投[诉訴]|[举舉][报報])(?:个|一个|個|一個|件|一件|点|點)?(?:事|事情|问题|問題|情况|情況)?"
    r"|有(?:个|件|点|個|點)?(?:事|事情|问题|問題|情况|情況)(?:要|想)?(?:反映|投[诉訴]|[举舉][报報])"
)
_HOW_TO = re.compile(r"怎么|怎麼|如何|哪里|哪裡|流程|多久|几天|幾天|需要什么|需要什麼")


def reframe(parse: dict[str, Any], text: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A parse whose intent names an act but whose message is a question becomes ``consult``.

    Returns the (possibly new) parse and the original intent (``{"name", "confidence"}``) when a question was
    rewritten (the KB action may offer the act after its answer), else ``None``. A bare topic ("复康巴士预约",
    "停車費") NLU took for an act, a yes/no, a rating or small talk is also made ``consult``, but with ``None``:
    there is no act to offer. The other way round, a grievance told or an explicit complaint NLU took for a
    consultation ("拖车公司漫天要价", "投诉公交公司") becomes ``complain``, also with ``None``. The confidence and the
    ``intent_ranking`` are kept. A message of nothing but thumbs up or down ("👍", "👎") is ``affirm`` or ``deny``
    with confidence 1 (:func:`gesture`); one of nothing but a number ("2") is ``choose`` with the entity ``choice``
    (:func:`choice_number`).
    """
    intent = (parse or {}).get("intent") or {}
    name = intent.get("name")
    said = gesture(text)
    if said is not None:  # "👍": a yes, however sure NLU was
        return {**parse, "intent": {**intent, "name": said, "confidence": 1.0}}, None
    number = choice_number(text)
    if number is not None:  # "2": the second of the buttons just shown (bot/actions/offers.py), never "goodbye"
        entity = {"entity": "choice", "value": number, "start": 0, "end": len(text), "extractor": "hotline"}
        return {**parse, "intent": {"name": "choose", "confidence": 1.0}, "entities": [entity]}, None
    if declines_order(text):  # "不用登记 我就是问一下": a no to the offer, not the registration (登记) itself
        return {**parse, "intent": {**intent, "name": "deny", "confidence": 1.0}}, None
    act = titled_act(text)
    if act is not None:  # "是，登记投诉" typed from the numbered lines: what its button does
        return {**parse, "intent": {**intent, "name": act, "confidence": 1.0}}, None
    if gives_phone(text):  # "13812345678" (NLU: goodbye), "我的电话是…" (NLU: complain): a number left for a reply
        return {**parse, "intent": {**intent, "name": "leave_question", "confidence": 1.0}}, None
    if _ASKS_IF_BOT.search(text) and len(_clean(text)) <= 12 and is_question(text) and not _WANTS_ONE.search(text):
        # "你是机器人吗" (not "能转真人吗"): the greeting says who answers
        return {**parse, "intent": {**intent, "name": "greet", "confidence": 1.0}}, None
    if asks_to_amend(text):  # "我刚才投诉的电话留错了": the caller's own order, corrected in the status form
        return {**parse, "intent": {**intent, "name": "ticket_status", "confidence": 1.0}}, None
    if name not in ("complain", "suggest", "handoff") and lost_order_number(text) and not is_question(text):
        # "我忘了工单号了", "不知道单号" (NLU: goodbye): the look-up, which lists the caller's orders here or says
        # where the number is (asked as a question, "工单号忘了还能查吗", the KB action says where it is)
        return {**parse, "intent": {**intent, "name": "ticket_status", "confidence": 1.0}}, None
    if name in ("consult", "nlu_fallback", "ticket_status") and asks_own_status(text):
        # "我的投诉处理完了吗": the look-up (NLU said consult, or the look-up and then the question rule below made it
        # a consultation that answered 第二十三条's time limits first)
        return {**parse, "intent": {**intent, "name": "ticket_status", "confidence": 1.0}}, None
    if _ASKS_RESCUE_NUMBER.search(text) and not is_grievance(text):  # "高速公路救援电话是多少": 12122, referred
        return {**parse, "intent": {**intent, "name": "refer_elsewhere"}}, None
    if tells_theft(text) or tells_police_matter(text):  # "服务区有人偷油", "被交警罚了": the police's, referred
        return {**parse, "intent": {**intent, "name": "refer_elsewhere"}}, None
    if name == "complain" and names_other_sector(text):
        # "我想订一张去三亚的机票" taken for a complaint, "航班延误了 航空公司态度差": another sector's, referred
        return {**parse, "intent": {**intent, "name": "refer_elsewhere"}}, None
    if name in SMALL_TALK_INTENTS and _WANTS_TO_REPORT.search(text) and not is_question(text):
        # "在吗 我要反映个事": a matter to report (NLU heard the greeting); the form asks what it is
        return {**parse, "intent": {**intent, "name": "complain"}}, None
    if name != "complain" and _ASKS_TO_COMPLAIN.search(text) and not _HOW_TO.search(text):
        # "能帮我投诉一下吗": a request to complain, put politely (NLU took it for a look-up)
        return {**parse, "intent": {**intent, "name": "complain"}}, None
    if name == "suggest" and _COMPLAINS_OF.search(_clean(text)) and not is_question(text):
        return {**parse, "intent": {**intent, "name": "complain"}}, None
    if name == "complain" and _PROPOSES.search(_clean(text)) and not is_grievance(text):
        # "公交车太少了 等半个小时都不来 建议加车": a shortcoming and a proposal, no one's misconduct: a suggestion
        return {**parse, "intent": {**intent, "name": "suggest"}}, None
    if name in TOPIC_REFRAMED_INTENTS and is_topic(text):  # "复康巴士预约" taken for a complaint: no act to offer
        return {**parse, "intent": {**intent, "name": "consult"}}, None
    if name in ("consult", "nlu_fallback") and is_grievance(text):  # "汽修厂给我换了假配件还收高价": a complaint
        return {**parse, "intent": {**intent, "name": "complain"}}, None
    if (
        name == "refer_elsewhere"
        and is_grievance(text)
        and not (_ACUTE.search(text) or names_other_sector(text) or any(w in text for w in OTHER_HOTLINE_MATTERS))
    ):
        # "高速上救援拖车收费太贵了 要了我3000": the towing's price is 12328's complaint, not a call for 12122
        return {**parse, "intent": {**intent, "name": "complain"}}, None
    if is_question(text) and _ASKS_WHOSE.search(text) and any(w in text for w in OTHER_HOTLINE_MATTERS):
        # "小区物业乱收停车费 归12328管吗": 12345's matter, asked whose it is; the referral is the answer
        return {**parse, "intent": {**intent, "name": "refer_elsewhere"}}, None
    if name not in REFRAMED_INTENTS | {"affirm", "deny"} or not is_question(text):
        return parse, None
    if name in SMALL_TALK_INTENTS | {"affirm", "deny"} and not (_FIELD.search(text) and len(_clean(text)) >= 5):
        return parse, None  # "今天天气怎么样", "你好呢": small talk stays small talk
    if name == "complain" and _COMPLAINED_AGAINST.search(text):
        # "我是出租车司机 被乘客投诉了 怎么申诉": a question from the one complained about; no complaint to offer
        return {**parse, "intent": {**intent, "name": "consult"}}, None
    asked_as = {"name": name, "confidence": intent.get("confidence")}
    return {**parse, "intent": {**intent, "name": "consult"}}, asked_as
