"""Taking a complaint or a suggestion in a conversation: what a message already says, what is still missing,
how to ask for it, validation with friendly re-asks, corrections, the read-back and the order it becomes.

Pure functions over a dict of collected values; the Rasa form actions are a thin shell around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from hotline.clock import china_time, utcnow
from hotline.privacy import mask_pii
from hotline.text import normalize

from . import when
from .lifecycle import REJECT_REASONS
from .urgency import is_urgent

# ---- recognisers -----------------------------------------------------------------------------------------
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# ordinary plates (豫G12345, 豫G·T1234) and new-energy plates (豫AD12345 / 豫A12345D: 6 characters after the letter)
PLATE_RE = re.compile(rf"[{PROVINCES}]\s*[A-HJ-NP-Z]\s*[·•．.\-]?\s*[A-HJ-NP-Z0-9]{{5,6}}(?![A-Z0-9])")
PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)[\s\-]?(\d{4})[\s\-]?(\d{4})(?!\d)")
LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})-?(\d{7,8})(?!\d)")
ORDER_RE = re.compile(r"(?<!\d)(20\d{6})[-－—\s]?(\d{5})(?!\d)")
ROUTE_RE = re.compile(r"(?:[A-Z]?\d{1,4}|[一二三四五六七八九十]{1,3})\s*路(?:公交车|公交|车)?")
PLATFORMS = (
    "货拉拉",
    "滴滴",
    "满帮",
    "运满满",
    "货车帮",
    "快狗打车",
    "曹操出行",
    "T3出行",
    "高德打车",
    "花小猪",
    "美团打车",
    "首汽约车",
    "嘀嗒",
    "哈啰",
    "如祺",
    "享道",
    "携程",
    "12306",
)
PLACE_STRONG = (
    r"服务区|收费站|汽车站|客运站|客运中心|火车站|高铁站|东站|西站|南站|北站|公交站|地铁站|码头|渡口|港口|"
    r"机场|立交|隧道|大桥|高速出口|高速入口|路口|路段|广场|候客区|停车场"
)
PLACE_RE = re.compile(rf"([\u4e00-\u9fa5A-Za-z0-9]{{1,14}}?(?:{PLACE_STRONG}))")
PLACE_WEAK_RE = re.compile(
    r"(?:在|于|到|从)([\u4e00-\u9fa5A-Za-z0-9]{2,14}?(?:路|街|大道|区|县|市|镇|村|站|港|桥|高速|"
    r"国道|省道|小区|医院|学校|商场))"
)
TIME_RE = when.TIME_RE
DEMAND_RE = re.compile(
    r"((?:要求|希望|请求|诉求是?|请你们|请求你们|麻烦你们|请相关部门|请|建议)[^。！!？?，,；;]{2,80})"
)

YES = ("确认", "确定", "是的", "对的", "没问题", "提交", "好的", "可以", "对", "是", "嗯", "好", "ok", "OK", "yes")
NO = ("取消", "不投诉了", "不用了", "算了", "不提交", "不要了", "放弃", "不了", "不用", "不要", "否")
STOP = ("取消", "算了", "放弃", "不投诉了", "不反映了", "不提了", "取消投诉", "取消登记", "不建议了")
# said mid-form, these end it: the caller does not want an order (the draft is dropped)
EXIT_EXACT = STOP + ("不用了", "不用", "不要了", "算了吧", "算了算了", "不弄了", "不登记了", "不用登记")
EXIT_PHRASES = (
    "不投诉了",
    "不反映了",
    "不提了",
    "不建议了",
    "取消投诉",
    "取消登记",
    "不是要投诉",
    "不是投诉",
    "不想投诉",
    "不要投诉",
    "没想投诉",
    "不用投诉",
    "不是要反映",
    "不是要建议",
    "就问问",
    "只是问问",
    "随便问问",
    "问一下而已",
    "只是想问",
    "不弄了",
    "不搞了",
    "不登记了",
    "算了算了",
)
JUST_ASKING = ("不是要", "不是投诉", "不想投诉", "不要投诉", "没想投诉", "问问", "只是想问", "问一下")
SKIP = ("不清楚", "不知道", "不记得", "记不清", "忘了", "跳过", "没有", "无", "不确定", "不方便", "略")
ANONYMOUS = ("匿名", "不实名", "不留名", "保密")
REAL_NAME = ("实名",)
FIELD_WORDS = {
    "caller_phone": ("电话", "手机", "号码", "联系方式"),
    "location": ("地点", "地址", "位置", "哪里", "地方"),
    "occurred_at": ("时间", "日期", "几点", "什么时候"),
    "target": ("对象", "车牌", "公司", "线路", "船"),
    "demand": ("诉求", "要求", "希望"),
    "identity": ("姓名", "名字", "实名", "匿名"),
    "facts": ("经过", "内容", "情况", "事情"),
}
EDIT_WORDS = ("改", "修改", "更正", "错了", "不对", "写错", "说错", "换成", "应该是")

# 第十九条 (三)(四)(五)(六): matters other procedures, petitions, secrets and public order
NON_ACCEPTANCE = (
    (
        "other_procedure",
        (
            "起诉",
            "诉讼",
            "法院",
            "仲裁",
            "判决",
            "立案",
            "纪委",
            "纪检",
            "监察委",
            "行政复议",
            "复议",
            "信息公开",
            "政府信息公开",
        ),
    ),
    ("petition", ("信访", "上访")),
    ("secret_or_privacy", ("国家秘密", "商业秘密", "查他的隐私", "个人隐私", "查询他人", "开房记录", "家庭住址")),
)
SAFETY = (
    "安全隐患",
    "隐患",
    "超员",
    "超载",
    "疲劳驾驶",
    "酒驾",
    "醉驾",
    "危化品",
    "危险品",
    "刹车失灵",
    "刹车不灵",
    "漏油",
    "冒烟",
    "起火",
    "塌方",
    "塌陷",
    "裂缝",
    "坑洞",
    "护栏损坏",
    "井盖",
    "逆行",
    "无牌",
    "超速",
    "开车玩手机",
    "边开车边",
    "救生衣",
    "非法营运的船",
    "三无船",
)
DOMAIN_WORDS = (
    ("海事", ("海事", "船舶碰撞", "海上", "航道")),
    ("水路", ("船", "渡口", "轮渡", "码头", "港口", "客轮", "渡船", "航运")),
    ("城市客运", ("出租车", "的士", "网约车", "公交", "地铁", "轨道交通", "滴滴", "曹操出行", "T3", "花小猪", "出租")),
    ("公路", ("高速", "收费站", "服务区", "国道", "省道", "路政", "公路", "桥", "隧道", "路面", "ETC")),
    (
        "道路运输",
        (
            "货车",
            "货运",
            "客车",
            "大巴",
            "长途",
            "班车",
            "驾校",
            "维修",
            "危化品",
            "货拉拉",
            "满帮",
            "运满满",
            "物流",
            "车站",
            "汽车站",
            "客运站",
            "治超",
            "超限",
        ),
    ),
)

COMPLAINT_FIELDS = ("target", "facts", "occurred_at", "location", "demand", "caller_phone", "identity")
SUGGESTION_FIELDS = ("facts", "caller_phone")
OPTIONAL = ("occurred_at", "location", "demand")
MAX_TRIES = 3
NOT_GIVEN = "未说明"
NO_PHONE = "不留电话"

QUESTIONS = {
    "target": "请问您要投诉的对象是？例如车牌号（豫A12345）、出租车或客运公司、公交线路、车站、船舶或平台（如货拉拉）。",
    "facts": "请简单描述一下事情经过。",
    "occurred_at": "事情大概发生在什么时候？（如“昨天晚上8点”；记不清可回复“不清楚”）",
    "location": "在什么地方？可以直接发送位置，或回复地点（如“新乡东站出租车候客区”；不清楚可回复“不清楚”）。",
    "demand": "您希望怎么处理？（如“要求退还多收的车费”“希望加强管理”）",
    "caller_phone": "请留下联系电话（手机号），承办单位会与您联系办理结果；不方便可回复“不留电话”。",
    "identity": "是否实名反映？回复“实名+您的姓名”（如“实名 张三”），或回复“匿名”。我们会依法为您保密。",
    "suggestion": "请说说您的意见建议，我们会转给相关单位研究办理。",
}
LABELS = {
    "target": "投诉对象",
    "facts": "事情经过",
    "occurred_at": "发生时间",
    "location": "发生地点",
    "demand": "您的诉求",
    "caller_phone": "联系电话",
    "identity": "反映方式",
}
REASKS = {
    "caller_phone": "手机号格式好像不对，应为11位数字（如13812345678），请再发一次；不方便可回复“不留电话”。",
    "target": "没有识别出投诉对象，请告诉我车牌号、公司名称、线路或站点名称。",
    "facts": "请再具体说说发生了什么（至少一句话）。",
    "identity": "请回复“实名+姓名”或“匿名”。",
}


def normalize_digits(text: str) -> str:
    """Traditional -> Simplified and full-width -> half-width (粵Ｂ１２３４５ -> 粤B12345), then the few
    dashes and colons NFKC leaves alone."""
    return normalize(text).translate(
        str.maketrans(
            "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＳＴＵＶＷＸＹＺ－：",
            "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ-:",
        )
    )


# ---- spoken and written numbers ----------------------------------------------------------------------------
# Chinese digits read one by one (a phone or a plate is read digit by digit: 一五八 is 158, not 一百五十八);
# 幺 is how 1 is said on the phone, 两 a spoken 2, 〇/零 0.
CN_DIGITS = str.maketrans("零〇○一二三四五六七八九幺两", "00012345678912")
CN_DIGIT_RUN_RE = re.compile(r"[零〇○一二三四五六七八九幺两0-9][零〇○一二三四五六七八九幺两0-9\s,，、.。·\-－—]*")
# what drivers put between groups of a number: spaces, commas, full stops, dashes
GROUP_SEP_RE = re.compile(r"^[\s,，、.。·\-－—]*$")


def spoken_digits(text: str) -> str:
    """Full-width to half-width, and runs of at least three Chinese digits (一五八三七三零五六七八, 幺三八…) to
    Arabic digits, one by one. Shorter runs (一下, 两点) are words, not numbers, and stay as they are."""
    text = normalize_digits(text)

    def convert(match: re.Match) -> str:
        run = match.group(0)
        if sum(ch in "零〇○一二三四五六七八九幺两" for ch in run) < 3:
            return run
        return run.translate(CN_DIGITS)

    return CN_DIGIT_RUN_RE.sub(convert, text)


def find_plate(text: str, skip: tuple = ()) -> str | None:
    """The first plate in the text (read as drivers say it: 豫Ｇ８８Ｋ７６, 豫G 幺二三四五), leaving out ``skip``."""
    for match in PLATE_RE.finditer(spoken_digits(text).upper()):
        plate = re.sub(r"[\s·•．.\-]", "", match.group(0))
        if plate not in skip:
            return plate
    return None


def find_phone(text: str) -> str | None:
    """A mobile number as written or said: 13812345678, 138 1234 5678, 158，3730，5678。, 一五八三七三零五六七八,
    幺三八…. Groups of digits separated only by spaces, commas or full stops are joined when together they make
    exactly one mobile number (so "8点，13812345678" is not read as 813812345678)."""
    text = spoken_digits(text)
    match = PHONE_RE.search(text)
    if match:
        return "".join(match.groups())
    groups = list(re.finditer(r"\d+", text))
    for i, first in enumerate(groups):
        digits, end = first.group(0), first.end()
        for nxt in groups[i + 1 :]:
            if len(digits) >= 11 or not GROUP_SEP_RE.match(text[end : nxt.start()]):
                break
            digits, end = digits + nxt.group(0), nxt.end()
            if len(digits) == 11 and re.fullmatch(r"1[3-9]\d{9}", digits):
                return digits
    return None


def find_order_number(text: str) -> str | None:
    match = ORDER_RE.search(normalize_digits(text))
    return f"{match.group(1)}-{match.group(2)}" if match else None


def find_time(text: str) -> str | None:
    return when.find(normalize_digits(text))


def find_place(text: str) -> str | None:
    cleaned = normalize_digits(text)
    for pattern in (PLATE_RE, TIME_RE, ROUTE_RE, PHONE_RE):  # "8点在新乡东站" is a time and a place
        cleaned = pattern.sub("，", cleaned)
    match = PLACE_RE.search(cleaned) or PLACE_WEAK_RE.search(cleaned)
    if not match:
        return None
    place = re.sub(r"^(?:我要|投诉|举报|反映|我们|我|在|于|到|从|的|一辆|那辆|这辆)+", "", match.group(1))
    return place if len(place) >= 2 else None


VEHICLES = (
    "出租车",
    "计程车",
    "的士",
    "网约车",
    "公交车",
    "大巴",
    "长途客车",
    "客车",
    "货车",
    "班车",
    "校车",
    "渡船",
    "客轮",
    "轮渡",
)


OWN_VEHICLE_RE = re.compile(
    rf"(?:我的|我开的|我家的?|本人的?|自己的?|我)(?:货车|车辆|车子|大车|小车|车)(?:的?车牌(?:号)?)?(?:是|为|号是?)?[:：\s]*"
    rf"({PLATE_RE.pattern})"
)


def own_plate(text: str) -> str | None:
    """The caller's own vehicle ("我的车是豫G88K76", "我开的车是…"): a fact, never the object complained about."""
    match = OWN_VEHICLE_RE.search(spoken_digits(text).upper())
    return re.sub(r"[\s·•．.\-]", "", match.group(1)) if match else None


def find_target(text: str) -> str | None:
    mine = own_plate(text)
    plate = find_plate(text, skip=(mine,) if mine else ())
    kinds = [w for w in VEHICLES if w in text]
    if plate:
        return f"{plate}{kinds[0] if kinds else ''}"
    for platform in PLATFORMS:
        if platform.lower() in text.lower():
            return platform
    route = ROUTE_RE.search(normalize_digits(text))
    if route:
        return route.group(0).strip()
    company = re.search(
        r"([\u4e00-\u9fa5A-Za-z0-9]{2,20}?(?:公司|集团|驾校|维修厂|客运站|汽车站|客运中心|服务区|"
        r"收费站|码头|渡口))",
        text,
    )
    if company:
        return re.sub(r"^(?:.*?(?:投诉|举报|反映|在|的))", "", company.group(1)) or company.group(1)
    return kinds[0] if kinds else None


def find_demand(text: str) -> str | None:
    match = DEMAND_RE.search(text)
    return match.group(1).strip() if match else None


def non_acceptance(text: str) -> tuple[str, str] | None:
    """第十九条: a matter that must go through another procedure is not accepted; say why, politely."""
    for code, words in NON_ACCEPTANCE:
        if any(w in text for w in words):
            return code, (
                f"非常理解您的心情。根据《12328交通运输服务监督热线管理办法》第十九条，"
                f"{REJECT_REASONS[code]}的事项，12328热线不予受理，"
                f"建议您通过相应的法定途径办理。如还有其他交通运输方面的问题，欢迎继续咨询。"
            )
    return None


def is_safety(text: str) -> bool:
    return any(w in text for w in SAFETY)


def classify_domain(text: str) -> str:
    for domain, words in DOMAIN_WORDS:
        if any(w in text for w in words):
            return domain
    return "其他"


def is_question(text: str) -> bool:
    """A consultation asked in the middle of a form (then the form resumes)."""
    t = text.strip()
    return t.endswith(("？", "?", "吗", "呢")) or bool(
        re.search(
            r"(怎么|如何|多久|多长时间|能不能|可不可以|是否|"
            r"哪里可以|什么时候能|要多少|几个工作日|咋(?:算|办|弄|收|计|处理|投诉))",
            t,
        )
    )


def exit_reply(text: str) -> str | None:
    """The goodbye for a message that ends the form (算了 / 不投诉了 / 我不是要投诉 我就问问), else None."""
    t = normalize(text or "")
    short = re.sub(r"[。！!，,.~～\s]", "", t)
    if not (_is_exact(t, EXIT_EXACT) or _has(t, EXIT_PHRASES) or (len(short) <= 8 and short.startswith("算了"))):
        return None
    if _has(t, JUST_ASKING):
        return "好的，不登记，已取消这次填写。您想了解什么，直接问我就行。"
    return "好的，已取消本次登记，内容不会保存。如需帮助随时找我。"


def _has(text: str, words) -> bool:
    t = text.strip().lower()
    return any(w.lower() in t for w in words)


def _is_exact(text: str, words) -> bool:
    t = re.sub(r"[。！!，,.~～\s]", "", text.strip().lower())
    return t in {w.lower() for w in words}


# ---- the form --------------------------------------------------------------------------------------------
@dataclass
class Step:
    values: dict
    say: list[str] = field(default_factory=list)
    ask: str | None = None  # the next field; None: all collected
    done: bool = False  # the read-back was confirmed
    cancelled: bool = False
    reply: str | None = None  # what to say when the form ends without an order
    rejected: str | None = None  # 第十九条 reason code
    tries: dict = field(default_factory=dict)
    offer: str | None = None  # a remembered location offered for confirmation


def prefill(text: str, metadata: dict | None = None) -> dict:
    """What the first message already says, so that we do not ask again."""
    values: dict = {}
    metadata = metadata or {}
    original, text = text.strip(), normalize(text)
    target = find_target(text)
    if target:
        values["target"] = target
    phone = find_phone(text)
    if phone:
        values["caller_phone"] = phone
    when = find_time(text)
    if when:
        values["occurred_at"] = when
    place = find_place(text)  # a remembered location (metadata) is offered by answer(), never filled here
    if place:
        values["location"] = place
    demand = find_demand(text)
    if demand:
        values["demand"] = demand
    core = re.sub(r"^(?:我要|我想|想)?(?:投诉|举报|反映|投诉一下|举报一下)[:：，,\s]*", "", text.strip())
    if len(core) >= 8:  # more than "我要投诉": the message itself tells what happened
        values["facts"] = original  # the caller's own words, as typed
    if _has(text, ANONYMOUS):
        values["identity"] = "匿名"
    mine = own_plate(text)
    if mine:
        values["own_vehicle"] = mine
    return values


def next_field(values: dict, fields=COMPLAINT_FIELDS) -> str | None:
    return next((f for f in fields if not values.get(f)), None)


# words that say when, even where find_time cannot resolve them ("大概是上个月底", "记得是过年前后")
TIME_HINT = re.compile(r"[\d天日号點点时時早晚午凌晨刚剛周週星期月年前后後钟鐘分秒宵夜]")


def only_a_phone(text: str) -> str | None:
    """The phone number when the message is nothing else (a driver sends it whatever was asked)."""
    phone = find_phone(text)
    rest = re.sub(r"[\d\W_]|[零〇一二三四五六七八九幺两]|电话|電話|手机|手機|号码|號碼|联系|聯繫|我的|是", "", text)
    return phone if phone and not rest else None


def _interpret(name: str, text: str, values: dict) -> tuple[str | None, str | None]:
    """(value, re-ask message) for an answer to the question about ``name``."""
    t = normalize(text)
    if name in OPTIONAL and _is_exact(t, SKIP):
        return NOT_GIVEN, None
    if name in ("target", "facts", "occurred_at", "location", "demand") and is_question(t):
        # a question is not an answer: never stored as 事情经过 / 时间 / 地点
        return None, f"您问的问题可以在登记完成后再咨询我。现在需要的是{LABELS[name]}：{QUESTIONS[name]}"
    if name == "location" and values.get("location_offer"):
        offered = values["location_offer"]
        if _is_exact(t, YES) or _is_exact(t, ("是在那", "是那里", "对就是那", "就是那里")):
            return offered, None
        rest = re.sub(r"^(?:不是|不对|不在|错了|没有)[^，,。\s是在]*[，,。\s]*(?:是在|是|在)?", "", t).strip()
        if _is_exact(t, NO + ("不是", "不对", "不在那")) or not rest:
            return None, "好的，那事情发生在什么地方？请回复地点（不清楚可回复“不清楚”）。"
        t = rest
    if name == "occurred_at" and not find_time(t) and (len(t) > 12 or not TIME_HINT.search(t)):
        return None, QUESTIONS["occurred_at"]  # a time is a time: "新乡东站" is no answer to "什么时候"
    if name == "caller_phone":
        if _has(t, ("不留", "不方便", "不想留", "不给")):
            return NO_PHONE, None
        phone = find_phone(t) or (
            LANDLINE_RE.search(normalize_digits(t)) and "-".join(LANDLINE_RE.search(normalize_digits(t)).groups())
        )
        return (phone, None) if phone else (None, REASKS["caller_phone"])
    if name == "identity":
        if _has(t, ANONYMOUS):
            return "匿名", None
        name_match = re.search(r"实名[\s,，:：]*([\u4e00-\u9fa5]{2,4})", t) or re.fullmatch(
            r"(?:我叫|我是|姓名[:：]?)?\s*([\u4e00-\u9fa5]{2,4})", t
        )
        if name_match:
            return f"实名:{name_match.group(1)}", None
        if _has(t, REAL_NAME):
            return None, "请告诉我您的姓名（如“实名 张三”）。"
        return None, REASKS["identity"]
    if name == "target":
        found = find_target(t)
        if found:
            return found, None
        if own_plate(t):
            values["own_vehicle"] = own_plate(t)
            return None, "这是您自己的车吧？请告诉我您要投诉的对象：车牌号、公司名称、线路或站点名称。"
        return (t[:100], None) if len(t) >= 2 and not _is_exact(t, SKIP) else (None, REASKS["target"])
    if name == "facts":
        return (t[:2000], None) if len(re.sub(r"\W", "", t)) >= 4 else (None, REASKS["facts"])
    if name == "location":  # a direct answer is the place as the user put it
        return (t if len(t) <= 30 else (find_place(t) or t))[:200], None
    if name == "occurred_at":
        return (find_time(t) or t)[:60], None
    return t[:500], None


def answer(
    values: dict,
    asked: str | None,
    text: str,
    tries: dict | None = None,
    fields=COMPLAINT_FIELDS,
    metadata: dict | None = None,
    now: datetime | None = None,
) -> Step:
    """One user message while the form is open: fill what it says, decide what to ask next.

    A location the channel remembers (``metadata["location_label"]``) is offered ("是在…吗？"), never filled
    silently; times are resolved against ``now`` (China time; default: the clock)."""
    values = dict(values)
    metadata = metadata or {}
    tries = dict(tries or {})
    step = Step(values=values, tries=tries)
    t = normalize(text or "")
    goodbye = exit_reply(t)
    if goodbye:
        step.cancelled, step.reply = True, goodbye
        return step
    if asked is None:  # opening message
        values.update(
            {k: v for k, v in prefill(text or "", metadata).items() if k in fields}
        )  # raw: facts keep the caller's words
    elif asked == "confirm":
        step = _confirm(step, t, fields)
        _resolve_time(step.values, now)
        return step
    elif asked in fields and asked != "caller_phone" and "caller_phone" in fields and only_a_phone(t):
        # a phone sent while something else was asked fills the phone, never the field asked
        values["caller_phone"] = only_a_phone(t)
        step.say.append(f"已记下联系电话 {values['caller_phone']}。{QUESTIONS[asked]}")
        step.ask = asked
        return step
    elif asked in fields:
        value, reask = _interpret(asked, t, values)
        if value is None:
            tries[asked] = tries.get(asked, 0) + 1
            if tries[asked] >= MAX_TRIES and asked in ("caller_phone", "identity", "target", "occurred_at"):
                # never trap the user: after three tries move on with what we have
                value = {
                    "caller_phone": NO_PHONE,
                    "identity": "匿名",
                    "target": t[:100] or NOT_GIVEN,
                    "occurred_at": NOT_GIVEN,
                }[asked]
                step.say.append("没关系，这一项先跳过，我们继续。")
            else:
                step.say.append(reask)
                step.ask = asked
                return step
        values[asked] = value
        if asked != "caller_phone" and not values.get("caller_phone") and find_phone(t):
            values["caller_phone"] = find_phone(t)
    if "facts" in fields:
        refused = non_acceptance(" ".join(str(values.get(k) or "") for k in ("facts", "demand")))
        if refused:
            step.rejected = refused[0]
            step.say.append(refused[1])
            return step
    _resolve_time(values, now)
    step.ask = next_field(values, fields) or "confirm"
    if step.ask == "location":
        label = str(metadata.get("location_label") or "").strip()
        if label and label != values.get("location_offer"):
            values["location_offer"] = label
        step.offer = values.get("location_offer")
    return step


def location_question(values: dict) -> str:
    """The question for the place: the remembered location is offered, not assumed."""
    offered = values.get("location_offer")
    if not offered:
        return QUESTIONS["location"]
    return f"在什么地方？是在{offered}吗？（您之前发送过这个位置）是的话回复“是”，不是请直接告诉我地点。"


def _resolve_time(values: dict, now: datetime | None) -> None:
    """Keep the caller's words in ``occurred_at`` and the China-time date(-time) they name beside them."""
    words = values.get("occurred_at")
    if not words or words == NOT_GIVEN:
        values.pop("occurred_time", None)
        return
    if (values.get("occurred_time") or {}).get("words") == words:
        return
    moment = china_time(now or utcnow())
    values["occurred_time"] = {"words": words, "at": when.resolve(find_time(words) or words, moment)}


def occurred_text(values: dict) -> str:
    """发生时间 as stored: "2026-11-30 14:00（今天下午两点）" (the resolved time and the caller's words)."""
    words = values.get("occurred_at")
    if not words or words == NOT_GIVEN:
        return ""
    resolved = (
        (values.get("occurred_time") or {}).get("at")
        if (values.get("occurred_time") or {}).get("words") == words
        else None
    )
    return f"{resolved}（{words}）"[:60] if resolved else str(words)[:60]


def _confirm(step: Step, text: str, fields) -> Step:
    values = step.values
    if (
        _has(text, EDIT_WORDS)
        or any(_has(text, words) for f, words in FIELD_WORDS.items() if f in fields and f not in ("facts",))
        and not _is_exact(text, YES)
    ):
        target = next((f for f, words in FIELD_WORDS.items() if f in fields and _has(text, words)), None)
        if target is None:
            step.say.append("请告诉我要修改哪一项，例如“修改电话”“地点改成新乡东站”。")
            step.ask = "confirm"
            return step
        tail = re.split(r"(?:改成|改为|换成|应该是|是|为|：|:)", text, maxsplit=1)
        new_text = tail[1].strip() if len(tail) > 1 else ""
        new_text = re.split(r"[，,。\s]*(?:而)?不是", new_text)[0].strip()  # "应该是新乡站 不是新乡东站"
        value, _ = _interpret(target, new_text, values) if new_text else (None, None)
        if value:
            values[target] = value
            step.say.append(f"已将{LABELS.get(target, target)}改为：{display(target, value)}")
            step.ask = "confirm"
        else:
            values[target] = None
            step.ask = target
        return step
    if _is_exact(text, NO) or _has(text, ("取消", "不提交", "不投诉")):
        step.cancelled = True
        return step
    if _is_exact(text, YES) or _has(text, ("确认提交", "确认无误", "没问题", "提交吧")):
        step.done = True
        return step
    step.say.append("请回复“确认”提交，回复“修改+项目”更正（如“修改电话”），或回复“取消”。")
    step.ask = "confirm"
    return step


def display(name: str, value) -> str:
    if value in (None, ""):
        return NOT_GIVEN
    if name == "identity":
        return "匿名" if value == "匿名" else f"实名（{str(value).split(':', 1)[-1]}）"
    return str(value)


def _shown(name: str, values: dict) -> str:
    resolved = (values.get("occurred_time") or {}).get("at")
    if name == "occurred_at" and resolved and values.get("occurred_at") not in (None, NOT_GIVEN):
        return f"{values['occurred_at']}（{resolved}）"
    return display(name, values.get(name))


def summary(values: dict, fields=COMPLAINT_FIELDS, kind: str = "投诉") -> str:
    lines = [f"请核对您的{kind}内容："]
    for name in fields:
        label = "建议内容" if (name == "facts" and kind == "建议") else LABELS[name]
        lines.append(f"{label}：{_shown(name, values)}")
    lines.append("确认无误请回复“确认”；需要更正请回复“修改+项目”（如“修改电话”）；不提交请回复“取消”。")
    return "\n".join(lines)


def to_order(values: dict, kind: str, caller_user: str, channel: str, region: str = "") -> dict:
    """The work-order fields of a confirmed intake (for work_orders.service.WorkOrders.create)."""
    facts = str(values.get("facts") or "")
    mine = values.get("own_vehicle")
    if mine and mine not in facts:  # the caller's own vehicle is a fact, not the object
        facts = f"{facts}（反映人车辆：{mine}）" if facts else f"反映人车辆：{mine}"
    text = " ".join(str(values.get(k) or "") for k in ("target", "facts", "demand"))
    identity = str(values.get("identity") or "")
    phone = values.get("caller_phone") or ""
    order = {
        "order_type": "complaint" if kind == "complaint" else "suggestion",
        "channel": channel,
        # the object complained about decides first (a truck on a motorway is 道路运输, not 公路)
        "domain": classify_domain(str(values.get("target") or ""))
        if classify_domain(str(values.get("target") or "")) != "其他"
        else classify_domain(text),
        "region": region or "",
        "title": mask_pii(facts)[:40] or "意见建议",
        "target": str(values.get("target") or "")[:200],
        "facts": facts,
        "demand": "" if values.get("demand") in (None, NOT_GIVEN) else str(values["demand"]),
        "location": "" if values.get("location") in (None, NOT_GIVEN) else str(values["location"]),
        "occurred_at": occurred_text(values),
        "caller_phone": "" if phone in (NO_PHONE, NOT_GIVEN) else str(phone),
        "caller_name": identity.split(":", 1)[1] if identity.startswith("实名:") else "",
        "anonymous": identity == "匿名",
        "caller_user": caller_user,
        "safety": kind == "complaint" and is_safety(text),
        "urgent": kind == "complaint" and is_urgent(text),  # 层层加码/一刀切/劝返: 即报即查
    }
    return order
