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
    {"complain", "suggest", "ticket_status", "handoff", "goodbye", "greet", "out_of_scope", "nlu_fallback"}
)
META_KEY = "hotline_asked_as"

_TRAILING = re.compile(r"[\s。！!.~～…,，、:：;；\"'“”‘’）)】\]]+$")
_ENDS = ("？", "?", "吗", "嗎", "呢", "么", "麼", "嘛")
_INTERROGATIVES = re.compile(
    r"怎么|怎麼|怎样|怎樣|如何|多久|多长时间|多長時間|多少|哪些|哪个|哪個|哪里|哪裡|哪儿|哪兒|哪家|哪位|哪支|哪一|哪天|"
    r"什么|什麼|为什么|為什麼|为啥|為啥|能不能|可不可以|可以不可以|是不是|是否|有没有|有沒有|会不会|會不會|"
    r"要不要|用不用|行不行|对不对|對不對|几天|幾天|几个|幾個|几点|幾點|几号|幾號|几时|幾時|咋|啥|谁|誰|吗|嗎"
)
# "能帮我打官司不" / "明天能走不": an A-not-A question with the negation at the end
_A_NOT_A_END = re.compile(r"(能|可以|行|会|會|是|有|要|用|需要).{0,14}(不|没有|沒有)$")

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
)
# small talk NLU is sure of ("今天天气怎么样" → out_of_scope) stays small talk unless it touches the hotline's field
SMALL_TALK_INTENTS = frozenset({"greet", "goodbye", "out_of_scope", "nlu_fallback"})
_FIELD = re.compile(
    r"12328|12345|热线|熱線|投[诉訴]|[举舉][报報]|建[议議]|工[单單]|[办辦]理|受理|超期|期限|[办辦]结|[办辦]結|人工|客服|"
    r"交通|[运運][输輸]|公交|公[车車]|巴士|客[车運]|出租|[计計]程[车車]|[网網]约|[网網]約|[车車]|路|站|[线線]|票|卡|"
    r"[驾駕]|船|港|[码碼]头|[码碼]頭|高速|收[费費]|司[机機]|物流|[货貨]|[办辦]法|条例|條例|部[门門]|[处處][罚罰]|[罚罰]款|"
    r"[挂掛]失|[电電]话|[电電]話|知[识識]|政策|规定|規定|材料|申[请請]|[证證]"
)

# "高速收费站多收我过路费了 咋办": a grievance done to the caller plus "what now" asks for the complaint
_GRIEVANCE_WHAT_NOW = re.compile(
    r"(多收|乱收|亂收|多扣|乱扣|亂扣|骗|騙|打了|骂|罵|拒载|拒載|绕路|繞路|甩客|宰客|刁难|刁難|扣了)[^？?]{0,12}"
    r"(怎么办|怎麼辦|咋办|咋辦)$"
)

# greetings and "are you there?": not questions for the KB
_PHATIC = re.compile(
    r"^(你好|您好|哈喽|哈囉|喂|在吗|在嗎|在不在|有人吗|有人嗎|有人在吗|有人在嗎|你好吗|你好嗎|你是谁|你是誰|你是机器人吗|"
    r"你是機器人嗎|是机器人吗|是機器人嗎)[啊呀吗嗎呢？?！!。\s]*$"
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
    """A complaint in the form of a question ("你们怎么不管管", "凭什么多收我钱")."""
    return bool(_RHETORICAL.search(text or ""))


def is_question(text: str) -> bool:
    """True for a question (Simplified or Traditional Chinese), false for requests, complaints and form answers."""
    raw = (text or "").strip()
    if not raw or raw.startswith("/"):  # a button payload is an act
        return False
    if _PHATIC.match(raw) or is_request(raw) or is_rhetorical(raw):
        return False
    t = _clean(raw)
    if "我" in t and _GRIEVANCE_WHAT_NOW.search(t):
        return False
    if raw.rstrip().endswith(("？", "?")):
        return True
    t = re.sub(r"[啊呀啦哈哦喔]+$", "", t)
    if t.endswith(_ENDS):
        return True
    return bool(_INTERROGATIVES.search(t) or _A_NOT_A_END.search(t))


def reframe(parse: dict[str, Any], text: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A parse whose intent names an act but whose message is a question becomes ``consult``.

    Returns the (possibly new) parse and the original intent (``{"name", "confidence"}``) when it was rewritten,
    else ``None``. The confidence and the ``intent_ranking`` are kept.
    """
    intent = (parse or {}).get("intent") or {}
    name = intent.get("name")
    if name not in REFRAMED_INTENTS or not is_question(text):
        return parse, None
    if name in SMALL_TALK_INTENTS and not (_FIELD.search(text) and len(_clean(text)) >= 5):
        return parse, None  # "今天天气怎么样", "你好呢": small talk stays small talk
    asked_as = {"name": name, "confidence": intent.get("confidence")}
    return {**parse, "intent": {**intent, "name": "consult"}}, asked_as
