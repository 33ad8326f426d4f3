"""Taking a complaint or a suggestion in a conversation: what a message already says, what is still missing,
how to ask for it, validation with friendly re-asks, corrections, the read-back and the order it becomes.

Pure functions over a dict of collected values; the Rasa form actions are a thin shell around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from hotline.acts import asks_how_to, gesture, is_grievance, is_question, lost_order_number, phatic
from hotline.clock import china_time, utcnow
from hotline.text import normalize

from . import when
from .guidance import summary_title
from .lifecycle import REJECT_REASONS
from .urgency import is_urgent

# ---- recognisers -----------------------------------------------------------------------------------------
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# ordinary plates (豫G12345, 豫G·T1234), new-energy plates (豫AD12345 / 豫A12345D: 6 characters after the letter) and
# plates of 4 characters and a suffix: a semi-trailer's (豫A1234挂, the plate a tractor-trailer's driver is asked for), a
# driving school's (学), a cross-border vehicle's (粤Z1234港 / 澳) and the police's (警); in Traditional too (掛, 學)
PLATE_SUFFIXES = "挂掛学學警港澳"
PLATE_RE = re.compile(
    rf"[{PROVINCES}]\s*[A-HJ-NP-Z]\s*[·•．.\-]?\s*"
    rf"(?:[A-HJ-NP-Z0-9]{{5,6}}(?![A-Z0-9])|[A-HJ-NP-Z0-9]{{4}}\s*[{PLATE_SUFFIXES}](?![A-Z0-9]))"
)
SIMPLIFIED_SUFFIX = str.maketrans("掛學", "挂学")
PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)[\s\-]?(\d{4})[\s\-]?(\d{4})(?!\d)")
# a mainland landline: area code 010, 02x or 0[3-9]xx ("0912345678" is a Taiwan mobile, not "091-2345678")
LANDLINE_RE = re.compile(r"(?<!\d)(010|02\d|0[3-9]\d{2})[-\s]?(\d{7,8})(?!\d)")
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
# the companies behind the fuel stations of service areas ("中石化" for a service area's 加油站: which one)
FUEL_BRANDS = ("中国石化", "中国石油", "中石化", "中石油", "中海油", "延长石油", "壳牌")
FUEL_BRAND_RE = re.compile(rf"(?:{'|'.join(FUEL_BRANDS)})(?:的?加油站)?")
PLACE_STRONG = (
    r"服务区|收费站|汽车站|客运站|客运中心|客运总站|汽车总站|公交总站|客运枢纽|交通枢纽|火车站|高铁站|东站|西站|南站|北站|公交站|地铁站|码头|渡口|港口|"
    r"机场|立交|隧道|大桥|高速出口|高速入口|路口|路段|路站|站台|广场|候客区|停车场|"
    # a stretch of a highway or a national road: "连霍高速郑州段", "107国道新乡段"
    r"(?:高速|国道|省道)[\u4e00-\u9fa5]{1,6}?段"
)
PLACE_RE = re.compile(rf"([\u4e00-\u9fa5A-Za-z0-9]{{1,14}}?(?:{PLACE_STRONG}))")
PLACE_WEAK_RE = re.compile(
    r"(?:在|于|到|从)([\u4e00-\u9fa5A-Za-z0-9]{2,14}?(?:路|街|大道|区|县|市|镇|村|站|港|桥|高速|"
    r"国道|省道|小区|医院|学校|商场))"
)
TIME_RE = when.TIME_RE
DEMAND_RE = re.compile(
    # a space ends it as a comma does: "要求退钱 电话13812340003 匿名" asks for the money back, not for the phone
    r"((?:要求|希望|请求|诉求是?|请你们|请求你们|麻烦你们|请相关部门|请(?!问)|建议)\s?[^。！!？?，,；;\s]{2,80})"
)

YES = ("确认", "确定", "是的", "对的", "没问题", "提交", "好的", "可以", "对", "是", "嗯", "好", "ok", "OK", "yes")
NO = ("取消", "不投诉了", "不用了", "算了", "不提交", "不要了", "放弃", "不了", "不用", "不要", "否")
STOP = ("取消", "算了", "放弃", "不投诉了", "不反映了", "不提了", "取消投诉", "取消登记", "不建议了")
# said mid-form, these end it: the caller does not want an order (the draft is dropped)
EXIT_EXACT = STOP + (
    "不用了",
    "不用",
    "不要了",
    "算了吧",
    "算了算了",
    "不弄了",
    "不弄",
    "不想弄了",
    "不搞了",
    "不登记了",
    "不用登记",
    "不用登记了",
    "不登了",
    "不办了",
    "不用办了",
    "不填了",
    "取消吧",
    "不投了",
    "退出",
    "退出登记",
    "返回",
    "返回菜单",
    "返回主菜单",
    "回到菜单",
)
# said before or after the exit, they change nothing ("那算了", "不用了谢谢", "好吧不弄了")
EXIT_FRAME_RE = re.compile(
    r"^(?:那就|那我|那|我就|我|还是|要不|嗯|哦|好吧|好的|行吧|唉)+|(?:谢谢你?|谢了|多谢|哈|啊|呀|吧)+$"
)
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
    "不用登记",
    "不想登记",
    "不想弄了",
    "不想反映了",
    "不要投诉了",
)
JUST_ASKING = ("不是要", "不是投诉", "不想投诉", "不要投诉", "没想投诉", "问问", "只是想问", "问一下")
SKIP = ("不清楚", "不知道", "不记得", "记不清", "忘了", "跳过", "没有", "无", "不确定", "不方便", "略")
ANONYMOUS = ("匿名", "不实名", "不留名", "保密", "不想留名", "不想实名", "不愿留名", "不愿意留名", "不想透露姓名")
REAL_NAME = ("实名",)
# words that name a field of the form (the earliest named one is the field a correction is about)
FIELD_WORDS = {
    "caller_phone": ("电话", "手机", "号码", "联系方式"),
    "location": ("地点", "地址", "位置", "地方"),
    "occurred_at": ("时间", "日期", "几点", "时候"),
    "target": ("投诉对象", "对象", "车牌", "车号", "公司", "线路"),
    "demand": ("诉求", "要求", "希望"),
    "identity": ("姓名", "名字", "实名", "匿名"),
    "facts": ("经过", "内容", "情况", "事情"),
}
# a correction's cue ("地点说错了", "电话改成…", "不是新乡东站"), "没错"/"是不是" excepted
CORRECTION_RE = re.compile(r"改|更正|换成|换为|应该是|应是|应为|(?<![没不])错|不对|(?<!是)不是|补充|追加")
# mid-form, where any answer may mention a field ("收费员说我车牌不对"), only these say the caller changes an earlier
# answer: a change verb, or an earlier answer said wrong ("刚才那个时间说错了")
CHANGE_RE = re.compile(r"改成|改为|改一下|改下|更正|换成|换为|应该是")
# "修改 地点" sent for the place itself (the caller meant the form's earlier answer): the field is asked again, not
# answered with those words
REDO_RE = re.compile(r"^(?:我?(?:要|想)?(?:修改|更改|更正|改一下|改下|重新填写?|重新说|重填))")
EARLIER_RE = re.compile(r"刚才|刚刚|之前|前面|上面|先前|那个")
# a wish to change an earlier answer that says neither which nor to what ("更正一下", "刚才说错了", "我要改"): which one
# is asked (the words were stored as the answer, and "刚才说错了" as the time)
WISH_TO_CORRECT_RE = re.compile(
    r"^(?:等一下|等等)?(?:我|俺)?(?:刚才|刚刚|前面|上面|之前|有)?(?:的)?(?:要|想|得)?"
    r"(?:修改|更改|更正|改一下|改下|改改|改|重新填写?|重填|重新来|重来|说错了|写错了|填错了|打错了|搞错了|弄错了|错了|"
    r"有错|有误|填的不对|说的不对|写的不对)(?:一下|一点)?(?:了)?$"
)
# the whole form again, from its first question ("重新开始", "从头来"): every answer dropped
RESTART_RE = re.compile(
    r"^(?:我|俺)?(?:要|想)?(?:重新开始|从头开始|从头来|从头再来|重头开始|重新来过|全部重来|都重来|重来一遍|重新登记|全部重新填写?|"
    r"都重新填写?)(?:吧|一遍|一下)?$"
)
# go on with the question pending ("继续", after a question answered mid-form)
GO_ON = ("继续", "继续吧", "接着来", "接着说", "继续登记", "继续填", "继续填写", "好的继续", "好继续", "接着填", "往下")
# a moment asked for ("等一下", "我想想"): the question waits
HOLD_ON = ("等一下", "等等", "稍等", "稍等一下", "等会", "等会儿", "等一会", "等一会儿", "我看看", "我想想", "让我想想")


def _only_a_region(plain: str) -> bool:
    """Whether the text is nothing but the name of a province, city or county ("郑州", "金水区", "河南郑州")."""
    from knowledge_base.regions import named_regions  # the place gazetteer (GB/T 2260), loaded on first use

    if not re.fullmatch(r"[\u4e00-\u9fa5]{2,12}", plain):
        return False
    _, words = named_regions(plain)
    rest = plain
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "", 1)
    return bool(words) and re.fullmatch(r"(?:市|区|县|市区|市里|城区)?", rest) is not None


# what a correction says it is not ("不是新乡东站"): dropped before reading the new value
NOT_THIS_RE = re.compile(r"(?<!是)(?:而)?不是[^，,。；;\s是]*")
# where the new value starts: after the cue that follows the field's word
VALUE_CUE_RE = re.compile(r"(?:改成|改为|换成|换为|更正为|更改为|应该是|应是|应为|改|是|为|：|:)\s*")
MISTAKE_RE = re.compile(r"^(?:说错了|写错了|填错了|记错了|弄错了|搞错了|打错了|错了|不对|有误|一下)[\s，,。了]*")
PLACE_END_RE = re.compile(r"(?:站|路|街|大道|区|县|市|镇|村|口|港|桥|场|园|厂|店|所|院|服务区|收费站|码头)$")
# a yes at the read-back said in more words ("好的 确认", "没问题，提交吧")
CONFIRM_WORDS = ("确认", "提交", "没问题", "没错", "都对", "无误", "就这样", "行了", "可以了")
# a correction that adds to the story or the demand rather than replacing it
SUPPLEMENT_RE = re.compile(r"补充|追加|再加|加上|另外还|还有一点|还有就是")
# a short "don't know" is an answer even with a question word in it ("记不清几点了")
FORGOT_RE = re.compile(
    r"(?:我|俺)?(?:也|真|实在|确实|是)?(?:不太|不大)?(?:记不清|记不得|不记得|不知道|不清楚|忘了|忘记了|记不住|想不起来|没注意)"
    r"(?:了|啦|呀|啊|哦)?"
)


def _forgot(text: str) -> bool:
    """ "不记得了", "我也记不清了": the caller does not know (an optional question is skipped)."""
    return bool(FORGOT_RE.fullmatch(re.sub(r"[\s，,。.！!~～]", "", text)))


DONT_KNOW = ("不清楚", "不知道", "不记得", "记不清", "忘了", "不确定")

# 第十九条 (三)(四)(五): matters for other procedures, petitions, secrets and privacy. Each word names the matter;
# REFERRALS says where the caller goes instead (the refusal always gives a way forward).
NON_ACCEPTANCE = (
    (
        "other_procedure",
        (
            "起诉",
            "诉讼",
            "打官司",
            "告到法院",
            "法院",
            "仲裁",
            "判决",  # not "立案" alone: "交通局一直不立案" is a complaint about the 交通局
            "合同纠纷",
            "民事纠纷",
            "经济纠纷",
            "劳动纠纷",
            "司法程序",
            "司法途径",
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
# a bus stop or a street named after a court is a place, not a lawsuit ("法院站", "法院街")
NOT_A_MATTER_RE = re.compile(r"法院(?:站|路|街|东|西|南|北|门口|附近|对面|旁边)")
# (words, where to go instead): first match wins
REFERRALS = (
    (("纪委", "纪检", "监察委"), "反映公职人员违纪违法问题，请向纪检监察机关反映（可拨打12388举报电话）。"),
    (
        ("行政复议", "复议"),
        "对交通运输部门的行政处罚或决定不服的，可以依法向复议机关申请行政复议，或向人民法院提起行政诉讼。",
    ),
    (("信息公开",), "申请政府信息公开，请向制作或保存该信息的行政机关提出（可在其政府网站“依申请公开”栏目办理）。"),
    (("信访", "上访"), "已进入信访渠道的事项，请向受理的信访部门了解办理进展。"),
    (
        ("劳动纠纷", "劳动仲裁"),
        "劳动争议请向当地劳动人事争议仲裁委员会申请仲裁，需要法律帮助可拨打12348公共法律服务热线。",
    ),
    (("仲裁",), "仲裁请向合同约定的仲裁委员会申请；需要法律帮助可拨打12348公共法律服务热线。"),
    (
        ("起诉", "诉讼", "打官司", "法院", "判决", "纠纷", "司法"),
        "合同、运费、赔偿等民事纠纷可以协商或申请人民调解解决，也可以依法向人民法院起诉；已在法院审理的请向受理法院"
        "了解进展。需要法律帮助可拨打12348公共法律服务热线。",
    ),
    ((), "涉及国家秘密、商业秘密或他人个人信息的事项，请通过公安机关等法定途径依法办理。"),
)
# the caller's own matter ("我跟物流公司有合同纠纷"), not a question about the rules ("投诉以后还能起诉吗")
OWN_MATTER_RE = re.compile(r"我|俺|咱|本人|自己")
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
    (
        "城市客运",
        # and as Taiwan and Hong Kong name them, after normalize's conversion (計程車 → 计程车, 公車 → 公车, 捷運)
        (
            "出租车",
            "的士",
            "网约车",
            "公交",
            "地铁",
            "轨道交通",
            "滴滴",
            "曹操出行",
            "T3",
            "花小猪",
            "出租",
            "计程车",
            "小黄",
            "公车",
            "捷运",
            "港铁",
            "小巴",
        ),
    ),
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
# "实名" said without the name: the identity question becomes this one ("是否实名反映？" asked again repeated what the
# caller had just answered)
NAME_WANTED = "请告诉我您的姓名（如“实名 张三”）。"
NAME_QUESTION = "好的，实名反映。请告诉我您的姓名（如“张三”）；不想留名可回复“匿名”。"


def question(ask: str, values: dict, kind: str = "complaint") -> str:
    """The form's question for ``ask`` as the form stands: the remembered place offered ("是在…吗？"), the name once
    "实名" was said without it."""
    if ask == "location":
        return location_question(values)
    if ask == "identity" and values.get("name_asked"):
        return NAME_QUESTION
    return QUESTIONS["suggestion" if (kind == "suggestion" and ask == "facts") else ask]


LABELS = {
    "target": "投诉对象",
    "facts": "事情经过",
    "occurred_at": "发生时间",
    "location": "发生地点",
    "demand": "您的诉求",
    "caller_phone": "联系电话",
    "identity": "反映方式",
}
PHONE_NOT_SENT = "请直接发送您的手机号（11位数字，如13812345678）；不方便可回复“不留电话”。"
SUGGESTION_REASK = "请具体说说您的意见建议（至少一句话）。"
REASKS = {
    "caller_phone": "手机号格式好像不对，应为11位数字（如13812345678），请再发一次；不方便可回复“不留电话”。",
    "target": "没有识别出投诉对象，请告诉我车牌号、公司名称、线路或站点名称。",
    "facts": "请再具体说说发生了什么（至少一句话）。",
    "identity": "请回复“实名+姓名”或“匿名”。",
    "location": "请告诉我事情发生的地点（如“新乡东站出租车候客区”）；不清楚可回复“不清楚”。",
    "demand": "请说说您希望怎么处理（如“要求退还多收的车费”）；没有具体要求可回复“不清楚”。",
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
        plate = re.sub(r"[\s·•．.\-]", "", match.group(0)).translate(SIMPLIFIED_SUFFIX)
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
    cleaned = WHERE_ECHO_RE.sub("", normalize_digits(text))
    for pattern in (PLATE_RE, TIME_RE, ROUTE_RE, PHONE_RE):  # "8点在新乡东站" is a time and a place
        cleaned = pattern.sub("，", cleaned)
    # the first that names one: "高速收费站收费员…骂人 G30连霍高速郑州西收费站" names the kind, then which one
    for match in (*PLACE_RE.finditer(cleaned), *PLACE_WEAK_RE.finditer(cleaned)):
        place = _place_named(match.group(1))
        if place:
            return place
    return None


def _place_named(said: str) -> str | None:
    """A place matched in a message, without the words before it that are not the place; None for a facility named
    by its kind only ("服务区") or for less than two characters."""
    place = re.sub(
        r"^(?:那个|这个|那家|这家|那么|那就|那|还是|就|我要|我想|要|想|投诉|举报|反映|我们|我|俺|在|于|到|从|的|一辆|那辆|这辆|"
        r"晚上|夜里|夜间|半夜|早上|上午|中午|下午|傍晚|白天)+",
        "",
        said,
    )
    place = re.sub(r"^(?:那个|这个|就是|就在)+", "", place)
    place = VEHICLE_AT_RE.sub("", place)  # "货车在服务区（加油被多收钱）": where the vehicle was
    place = place.rsplit("被", 1)[-1]  # "高速上被超限站（罚了）": the one who did it, not a place before it
    # "停车场" alone (of "晚上停车场没有保安"), "高速公路收费站": which one is still to be asked
    return place if len(place) >= 2 and not only_a_kind(place) else None


BUS_STATIONS = ("客运站", "汽车站", "客运中心", "客运总站", "汽车总站", "客运枢纽")
ROAD_KIND_RE = re.compile(r"(?:高速公路|高速|公路|国道|省道)+")


def _name_the_facility(values: dict) -> None:
    """A facility complained about by its kind ("收费站"), once the place names which one ("郑州东收费站"): that one;
    so does a road by its kind ("高速") once the place is a facility on it ("连霍高速荥阳收费站")."""
    target, place = values.get("target") or "", values.get("location") or ""
    if not place or only_a_kind(place):
        return
    kind = only_a_kind(target)
    if kind and (place.endswith(kind) or (kind in ("客运站", "汽车站") and place.endswith(BUS_STATIONS))):
        values["target"] = place  # ("客运站" and "郑州汽车客运总站": that one)
    elif kind in ("加油站", "停车场") and re.search(r"(?:服务区|收费站|客运站|汽车站)$", place):
        values["target"] = place + kind  # "加油站" at "沪陕高速南阳服务区": that service area's
    elif ROAD_KIND_RE.fullmatch(target) and any(place.endswith(f) for f in FACILITIES):
        values["target"] = place


def only_a_kind(name: str) -> str | None:
    """The facility a name only names the kind of ("收费站", "高速公路收费站", "高速服务区"), else None."""
    kind = re.sub(r"^(?:高速公路|高速|国道|省道|公路|城市|市区)+", "", name or "")
    return kind if kind in FACILITIES else None


VEHICLES = (
    "城际公交",
    "城际大巴",
    "长途大巴",
    "长途汽车",
    "长途车",
    "出租车",
    "计程车",
    "的士",
    "网约车",
    # road rescue ("高速救援拖车要了我3000"): towing and recovery charge the driver
    "救援拖车",
    "清障车",
    "救援车",
    "拖车",
    "高速救援",
    "道路救援",
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
    "黑车",
    "摩的",
    "地铁",
    "轻轨",
    "公交",  # after 公交车 and 城际公交: "坐的公交司机…"
)
# a facility complained about by its kind alone ("超限站罚款不给票据", "加油站油价太贵"): which one is its place
FACILITIES = ("超限检测站", "超限站", "治超站", "加油站", "停车场", "检查站", "收费站", "客运站", "汽车站", "服务区")
# a firm named by its kind alone ("驾校收了钱不给安排考试", "汽修厂换了假配件"): whom, which one asked with the rest
FIRM_KINDS = ("驾校", "汽修厂", "修理厂", "维修厂", "4S店", "物流园")
# transport's own enforcement and administration, complained about by name ("路政执法人员乱罚款")
AGENCIES = ("路政", "运管", "运政", "交通执法", "综合执法", "治超", "港航", "海事")
# a kind of vehicle or facility alone names no one in particular (surges and duplicates do not group on it)
GENERIC_TARGETS = frozenset(VEHICLES + FACILITIES)
# where a vehicle was, before the place ("货车在服务区", "我的车停在郑州东站"): no part of the place's name
# ("我开的半挂车在服务区": drivers' own trucks, which are no kind complained about, too)
VEHICLE_AT_RE = re.compile(
    rf"^(?:我的|俺的|我们的|我们)?(?:开的|驾驶的|跑的)?"
    rf"(?:{'|'.join(VEHICLES)}|半挂车|半掛車|挂车|掛車|大货车|重卡|车辆|大车|小车|面包车|车子|车)(?:停|开|走)?(?:在|到)"
)


# the caller's own vehicle, as drivers say it: 我的车是…, 我开的是…, 俺的车牌…, 我车牌号是…, 本人车辆…, 自家的货车…,
# 我驾驶的…, 我开着…; and "我是豫G…的司机/车主". Never a vehicle the caller rode in (坐的/打的) or one that did something
# to them (被…撞了).
_OWNER = r"(?:我们|我|俺们|俺|咱们|咱|本人|自己|自家)"
_OWN_NOUN = r"(?:大货车|货车|挂车|半挂车?|车辆|车子|大车|小车|面包车|客车|大巴|出租车|网约车|车)"
OWN_VEHICLE_RE = re.compile(
    rf"{_OWNER}(?:的|家的?|公司的)?(?:(?:开|驾驶|驾|跑|拉货)(?:的|着)?)?(?:这辆|那辆|这台|那台)?{_OWN_NOUN}?"
    rf"(?:的?(?:车牌|号牌|牌照|车号)(?:号码?)?)?(?:是|为|号是|叫)?[:：\s,，]*"
    rf"({PLATE_RE.pattern})"
    rf"|{_OWNER}(?:就)?是[:：\s]*({PLATE_RE.pattern})[\s,，]*(?:这辆车的|那辆车的|车的|的)?(?:司机|车主|驾驶员|师傅)"
)


def own_plate(text: str) -> str | None:
    """The caller's own vehicle ("我的车是豫G88K76", "我开的车是…"): a fact, never the object complained about."""
    for match in OWN_VEHICLE_RE.finditer(spoken_digits(normalize(text or "")).upper()):
        plate = match.group(1) or match.group(2)
        said = match.group(0)[: match.group(0).index(plate)]
        if match.group(2) or re.search(r"[车牌开驾跑是]", said):  # "我 豫A12345…" alone says nothing of whose
            return re.sub(r"[\s·•．.\-]", "", plate)
    return None


# a place or firm that can be complained about, after at least two characters of its name ("宏达汽修厂")
TARGET_PLACE_RE = re.compile(
    r"([\u4e00-\u9fa5A-Za-z0-9]{2,20}?(?:公司|集团|驾校|汽修厂|修理厂|维修厂|4S店|检测站|检查站|客运站|汽车站|客运中心|"
    r"客运总站|汽车总站|客运枢纽|"
    r"服务区|收费站|码头|渡口|物流园))"
)
# what comes before the name in a sentence: "…行驶到卫辉收费站", "在新乡汽车站", "我的车在…"
TARGET_LEAD_RE = re.compile(r"^.*(?:投诉|举报|反映|在|到|去|从|经过|被|让|给|跟|和|对)|^.*?(?:我|俺|咱|他|她)[们]?的")


def find_target(text: str) -> str | None:
    """The object of a complaint: a plate (never the caller's own), a platform, a bus route, a firm or a station."""
    mine = own_plate(text)
    plate = find_plate(text, skip=(mine,) if mine else ())
    # a kind of vehicle, unless it is the caller's own ("我的货车ETC扣了两次费": the truck is not complained about)
    kinds = [w for w in VEHICLES if w in text and not re.search(rf"{_OWNER}(?:的|家的?)?{w}", text)]
    others = FACILITIES + AGENCIES + FIRM_KINDS
    done_by = text.split("被", 1)[1] if "被" in text else ""
    by = next((f for f in others if f in done_by[:12]), None)
    if plate and by and find_plate(done_by[: done_by.index(by)]) is None:
        # "我在高速上被收费站多收钱了 … 豫A66778 货车": a station did it; the plate is the caller's own truck
        return by
    if plate:
        return f"{plate}{kinds[0] if kinds else ''}"
    for platform in PLATFORMS:
        if platform.lower() in text.lower():
            return platform
    brand = FUEL_BRAND_RE.search(text)
    if brand and not TARGET_PLACE_RE.search(text):  # (a service area named is the place that says which station)
        return brand.group(0).replace("的", "")
    route = ROUTE_RE.search(normalize_digits(text))
    if route:
        return route.group(0).strip()
    # the caller's own vehicle phrase is no part of a name ("我驾驶豫G88K76行驶到卫辉收费站")
    rest = OWN_VEHICLE_RE.sub("，", spoken_digits(text)) if mine else text
    company = TARGET_PLACE_RE.search(rest)
    if company and kinds and re.search(rf"{re.escape(company.group(1))}(?:的|里的|门口的|外的)?{kinds[0]}", rest):
        return kinds[0]  # "郑州汽车站的大巴超载": the bus, at the station (the place)
    if company:
        named = TARGET_LEAD_RE.sub("", company.group(1)) or company.group(1)
        return re.sub(r"^(?:那个|这个|那家|这家|那|这)(?=.{2})", "", named)
    if kinds and by and kinds[0] not in done_by:  # "货车在高速上被超限站罚了": the truck is the caller's, not whom
        return by
    if kinds:
        return kinds[0]
    return next((f for f in others if f in text), None)


def find_demand(text: str) -> str | None:
    match = DEMAND_RE.search(text)
    return match.group(1).strip() if match else None


def non_acceptance(text: str) -> tuple[str, str] | None:
    """第十九条: a matter that must go through another procedure is not accepted; say why, politely, and where to go
    instead. (reason code, reply) or None."""
    t = NOT_A_MATTER_RE.sub("", normalize(text or ""))
    for code, words in NON_ACCEPTANCE:
        if any(w in t for w in words):
            referral = next(r for ws, r in REFERRALS if not ws or any(w in t for w in ws))
            return code, (
                f"非常理解您的心情。根据《12328交通运输服务监督热线管理办法》第十九条，"
                f"{REJECT_REASONS[code]}的事项，12328热线不予受理，这次不为您登记工单。{referral}"
                f"如还有其他交通运输方面的问题，欢迎继续咨询。"
            )
    return None


def refusal(text: str) -> tuple[str, str] | None:
    """第十九条 for the caller's own matter, said at any point ("我跟物流公司有合同纠纷 你们能帮我打官司不", "其实我已经
    起诉了"). A question about the rules that names no matter of the caller's ("投诉以后还能起诉吗") is left to the
    knowledge base."""
    t = normalize(text or "")
    if is_question(t) and not OWN_MATTER_RE.search(t):
        return None
    return non_acceptance(t)


# a complaint said as a statement, whatever NLU made of it: "投诉新乡市第一运输公司的班车司机…" (投诉/举报 + an object)
COMPLAINT_OPENING_RE = re.compile(r"^(?:我要|我想|我|想|要)?(?:投诉|举报)(?:一下)?[:：，,\s]*")
# something done to the caller ("汽修厂给我换了假配件还收高价", "我被出租车司机骂了")
GRIEVANCE_TO_ME_RE = re.compile(
    r"给我|我被|被.{1,8}(?:骗|坑|宰|打|骂|罚|扣|赶|甩)|收我|骗我|坑我|宰我|打我|骂我|扣我|罚我|把我|不给我|不让我|对我"
)
GRIEVANCE_RE = re.compile(
    r"假|多收|乱收|高价|天价|宰客|被宰|挨宰|骗|坑|不退|拒载|绕路|打人|骂|态度|甩客|乱扣|多扣|乱罚|刁难|不给|拖欠|不让|赶下车|不打表|一口价|加价|"
    r"(?:扣费|收费|计费|扣款|扣钱)(?:不对|有误|错了|异常)|重复扣|扣了两次|扣错|(?:扣|罚)了我"
)


def reads_as_complaint(text: str) -> bool:
    """A statement that asks for a complaint although NLU may call it a consultation: "投诉" plus what is complained
    about, or a grievance done to the caller. Never a question (the dialogue-act test decides)."""
    t = normalize(text or "").strip()
    if not t or is_question(t):
        return False
    opening = COMPLAINT_OPENING_RE.match(t)
    if opening and len(t) - opening.end() >= 4 and find_target(t[opening.end() :]):
        return True
    return bool(GRIEVANCE_TO_ME_RE.search(t) and GRIEVANCE_RE.search(t))


def is_safety(text: str) -> bool:
    return any(w in text for w in SAFETY)


def classify_domain(text: str) -> str:
    text = normalize(text or "")  # 計程車, 公車: Traditional as Simplified
    for domain, words in DOMAIN_WORDS:
        if any(w in text for w in words):
            return domain
    return "其他"


def exit_reply(text: str) -> str | None:
    """The goodbye for a message that ends the form (算了 / 不投诉了 / 我不是要投诉 我就问问), else None."""
    t = normalize(text or "")
    short = re.sub(r"[。！!，,.~～\s]", "", t).replace("啦", "了")
    core = EXIT_FRAME_RE.sub("", short)
    said = _is_exact(t, EXIT_EXACT) or _is_exact(core, EXIT_EXACT) or _has(t, EXIT_PHRASES)
    if not (said or (len(short) <= 8 and core.startswith("算了"))):
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
    question: str | None = None  # a question asked mid-form: answer it (KB), then ask ``ask`` again


# a message that only asks to complain, politely or not ("能帮我投诉一下吗", "麻烦帮我举报一下")
COMPLAINT_FRAME_RE = re.compile(
    r"(?:请问)?(?:能|能不能|可以|可不可以|麻烦|请)?(?:帮我|帮忙|帮帮我|给我)?(?:我)?(?:要|想|想要)?"
    r"(?:投诉|举报|反映)(?:一下|个事|件事|个问题)?(?:吗|吧|啊|呀|可以吗|行吗|好吗)?"
    r"|(?:我)?有(?:个|件|一件|一个|点)?(?:事|事情|问题|情况)(?:要|想)?(?:反映|投诉|举报)(?:一下)?(?:吧|啊)?"
)
# "怎么办" alone in the middle of a complaint: what happens next is the registration itself
WHAT_NOW = r"怎么办|咋办|怎么弄|咋弄|怎么处理"
WHAT_NOW_RE = re.compile(rf"(?:那|那我|我)?(?:该)?(?:{WHAT_NOW}|然后呢|现在呢)(?:啊|呀|呢)?")
WHAT_NOW_REPLY = "我先帮您把这件事登记下来，登记后会转交承办单位办理，并按规定时限答复您。"
# a message that only says the caller has a suggestion, and for whom
SUGGESTION_FRAME_RE = re.compile(
    r"(?:我|本人)?(?:想|要|想要)?(?:给|向|对|跟)?[\u4e00-\u9fa5A-Za-z0-9]{0,12}?"
    r"(?:提|反映|说)(?:个|一个|一些|点|几条|一条)?(?:意见|建议|意见建议)(?:吧|啊|呀|可以吗|行吗)?"
)


# what a question about a grievance ends with ("…多收钱怎么办", "…能投诉吗"): not part of the story
ASKING_TAIL_RE = re.compile(
    rf"[，,。\s]*(?:那|那我|我)?(?:该|应该|要|能|可以)?(?:{WHAT_NOW}|找谁|找谁管|归谁管|谁管|有人管吗|"
    r"投诉吗|举报吗|怎么投诉|怎么举报|去哪投诉|去哪里投诉|在哪投诉|在哪里投诉|向谁投诉|找谁投诉)"
    r"(?:啊|呀|呢|吗|嘛)?[？?！!。.~～]*$"
)


def without_asking(text: str) -> str:
    """The grievance of a question about it, its greeting and its asking left out: "师傅 出租车绕路多收钱怎么办？" ->
    "出租车绕路多收钱"."""
    from hotline.text import question_core

    core = question_core(normalize(text or ""))
    return ASKING_TAIL_RE.sub("", core).strip()


def tells_something(text: str, fields=COMPLAINT_FIELDS) -> bool:
    """Whether a message opening the form says what it is about (whom or what happened), not only that the user
    wants to complain or suggest ("是", "那我投诉吧", "我要投诉")."""
    if not text or text.strip().startswith("/"):  # a button's payload ("/complain") tells nothing
        return False
    found = {k: v for k, v in prefill(text).items() if k in fields}
    return bool(found.get("target") or found.get("facts"))


# "我要投诉", "举报一下：" before whom or what: no part of the story
COMPLAINT_WORD_RE = re.compile(r"^(?:我要|我想|想)?(?:投诉|举报|反映|投诉一下|举报一下)[:：，,\s]*")


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
    core = COMPLAINT_WORD_RE.sub("", text.strip())
    # more than "我要投诉": the message itself tells what happened, at length or as the misconduct of whom it names
    # ("出租车拒载", "网约车绕路了": what drivers type)
    told = len(core) >= 4 and not is_question(core) and not core.endswith(ASKING_END)
    if len(core) >= 8 or (
        told
        and (
            (target and (is_grievance(core) or _tells_misconduct(core, target)))
            or is_grievance(core)  # "被多收钱了", "拖车要了我两千": the story, whoever it was
        )
    ):
        values["facts"] = original  # the caller's own words, as typed
    frame = re.sub(r"[\s，,。.！!~～？?]", "", text)
    greeted = re.sub(
        r"^(?:喂|你好|您好|在吗|在不在|在么|师傅|师傅好|同志|麻烦问一下)+", "", frame
    )  # "在吗 我要反映个事"
    if any(f.fullmatch(x) for f in (SUGGESTION_FRAME_RE, COMPLAINT_FRAME_RE) for x in (frame, greeted)):
        values.pop("facts", None)  # "我想给公交公司提个意见": whom it is for, not yet the suggestion
    if _has(text, ANONYMOUS):
        values["identity"] = "匿名"
    elif re.search(r"实名[\s,，:：]*[\u4e00-\u9fa5]{2,4}", text):  # "…电话13812340022 实名 赵刚"
        named = _identity(re.search(r"实名.*$", text).group(0))[0]
        if named:
            values["identity"] = named
    mine = own_plate(text)
    if mine:
        values["own_vehicle"] = mine
    return values


def _tells_misconduct(core: str, target: str) -> bool:
    """Whether an opening says what whom it names did ("公交车不按站停"), not only whom ("出租车公司的事")."""
    rest = core.replace(target, "", 1)
    place = find_place(rest)
    if place:  # "郑州东站出租车": whom, and where; nothing done
        rest = rest.replace(place, "", 1)
    rest = re.sub(r"[\W\d_]|司机|师傅|公司|的(?:事情?|问题|情况)|^(?:在|是)", "", rest)
    return len(rest) >= 3


# after submitting: what the caller says was wrong ("电话留错了"), and the words that only say so
AMEND_FIELDS = (
    ("联系电话", ("电话", "手机", "号码")),
    ("地点", ("地点", "地址", "位置")),
    ("时间", ("时间",)),
    ("车牌", ("车牌",)),
)
AMEND_FRAME_RE = re.compile(
    r"^(?:对了|哦|噢|那个|不好意思|抱歉)?[\s，,]*(?:我)?(?:刚才|刚刚|之前|上面|前面)?(?:的|我)?"
    r"(?:投诉|举报|反映|建议|工单|登记)?(?:的|里|里面|中)?"
    r"(?:联系电话|电话(?:号码?)?|手机(?:号码?)?|号码|地点|地址|位置|时间|车牌号?)?"
    r"(?:留|填|写|说|记|打)?(?:错了|错|不对|有误|漏了|忘了说?)?[了的]?"
    r"(?:我)?(?:要|想)?(?:补充|更正|修改|改)?(?:一下|一点|几句|说明)?"
    r"[\s，,。:：]*(?:应该是|应为|应是|正确的?是|是|改成|改为|换成)?[\s，,:：]*"
)


def amend_field(text: str) -> str | None:
    """The field a correction names ("电话留错了" → 联系电话), else None."""
    t = normalize(text or "")
    return next((label for label, words in AMEND_FIELDS if any(w in t for w in words)), None)


def amend_content(text: str) -> str:
    """What a correction or supplement says beyond saying there is one: "地点说错了 应该是郑州东站" → "郑州东站",
    "补充一下：司机还骂人了" → "司机还骂人了", "我刚才投诉的电话留错了" → "" (still to be asked). A phone number
    anywhere is the content."""
    t = normalize(text or "").strip()
    phone = find_phone(t)
    if phone:
        return phone
    rest = AMEND_FRAME_RE.sub("", t, count=1).strip(" ，,。.!！")
    return rest if len(re.sub(r"[\W_]", "", rest)) >= 2 else ""


def next_field(values: dict, fields=COMPLAINT_FIELDS) -> str | None:
    return next((f for f in fields if not values.get(f)), None)


# words that say when, even where find_time cannot resolve them ("大概是上个月底", "记得是过年前后"); a bare number
# is a time only as a date or a clock ("2026-11-29", "8.30"), never "多收了30块"
TIME_HINT = re.compile(r"[天日号點点时時早晚午凌晨刚剛周週星期月年前后後钟鐘分秒宵夜]")
NUMERIC_TIME = re.compile(r"[\d\s:：.\-/]*\d[\d\s:：.\-/]*")


def only_a_phone(text: str) -> str | None:
    """The phone number when the message is nothing else (a driver sends it whatever was asked)."""
    phone = find_phone(text)
    rest = re.sub(r"[\d\W_]|[零〇一二三四五六七八九幺两]|电话|電話|手机|手機|号码|號碼|联系|聯繫|我的|是", "", text)
    return phone if phone and not rest else None


# what is said around a time given alone: "就今天上午十点多", "大概昨天晚上", "前天下午的时候"
TIME_FILLER_RE = re.compile(
    r"^(?:就是|就|是|大概是?|大约是?|差不多是?|应该是)|(?:多|左右|前后|的时候|那会儿?|那时候|(?:一直|都|老是|总是|经常)(?:这样|是这样)|了)$"
)


# a part of the day or a clock time alone, as an answer ("上午", "半夜", "十点左右"): no time of a story, where
# ``find_time`` wants a day before them ("多收了一点" is no time)
BARE_TIME_RE = re.compile(rf"{when.PART}\s*(?:{when.CLOCK})?|{when.CLOCK}")


def only_a_time(text: str) -> str | None:
    """The time when the message is nothing else ("昨天下午", "今天早上8点", "就今天上午十点多", "晚上", "十点左右"),
    else None."""
    found = find_time(text)
    if not found:
        bare = BARE_TIME_RE.search(normalize_digits(text))
        found = bare.group(0).strip() if bare else None
    if not found:
        return None
    rest = re.sub(r"[\W_]", "", normalize_digits(text).replace(found, "", 1))
    while rest and TIME_FILLER_RE.search(rest):
        rest = TIME_FILLER_RE.sub("", rest, count=1)
    return found if not rest else None


def only_a_plate(text: str) -> str | None:
    """The plate when the message is nothing else ("豫A12345", "車牌豫A·T5678"), else None."""
    found = find_plate(text)
    plain = re.sub(r"[\W_]", "", normalize_digits(text)).upper()
    rest = re.sub(r"车牌|车牌号|号|是", "", plain.replace(found, "", 1)) if found else "x"
    return found if not rest else None


def tells_more(text: str) -> bool:
    """Whether an answer to "when" or "where" also tells more of what happened ("多收了30块", "在火车站被司机骂了")."""
    return is_grievance(text) or reads_as_complaint(text) or bool(GRIEVANCE_RE.search(text) and not is_question(text))


# not seen or not remembered, as drivers say it
NOT_KNOWN = r"(?:不记得|不知道|不清楚|没看清|没看到|没记住|记不清|记不住|忘了|没注意)"
UNKNOWN_PLATE_RE = re.compile(
    rf"^(?:我)?{NOT_KNOWN}(?:看)?(?:车牌|牌照|车号)|^(?:车牌|牌照|车号|车牌号)(?:号|号码)?(?:我)?{NOT_KNOWN}"
)
UNKNOWN_TARGET_RE = re.compile(rf"^(?:我)?{NOT_KNOWN}")
# words that end the form anywhere else but answer the phone question ("留个电话吗？" "不用了")
NO_PHONE_EXITS = ("不用了", "不用", "不需要", "不需要了", "不必了", "不用留了")
# "不留电话", "不方便留", "电话不给了"; "不用回复", "不需要回访": no call back, so no phone
NO_PHONE_WORDS = (
    "不留",
    "不方便",
    "不想留",
    "不给",
    "不用留",
    "不要留",
    "不需要留",
    "不必留",
    "不用回",
    "不需要回",
    "不必回",
    "不用联系",
    "不需要联系",
)
NO_PHONE_RE = re.compile(
    r"^(?:我)?(?:不留|不给|不方便留|不想留|不用留|不要留|不需要留|不必留)(?:电话|手机|号码|手机号)?(?:了)?$|^电话不留$"
    r"|^(?:不用|不需要|不必)(?:回复|答复|回访|回电话?|联系我?|打电话)(?:了|我)?$"
)
ANONYMOUS_RE = re.compile(
    r"^(?:我想|我要|想|要|我|就|还是)?(?:匿名|不实名|不留名|不想留名|不想实名)(?:反映|投诉|举报|吧|就行|就好)?$"
)
DEMAND_FIRST_RE = re.compile(r"^(?:要求|希望|请求|诉求是?)")
# a demand in a word or two, as drivers say it: "退钱", "让他道歉", "赔偿损失", "严肃处理"
BARE_DEMAND_RE = re.compile(
    r"(?:让他|让司机|叫他|给我)?(?:退(?:[^，,。\s]{1,8}?)?(?:钱|款|费|还|票|学费|车费|押金|运费)|道歉|赔钱|赔偿(?:损失)?|严肃处理|严惩|"
    r"处理(?:司机|一下)?|处罚(?:司机)?|查处|整改|取缔|打击|严查|查一查|管一管|管管|给个说法|要个说法|"
    r"开(?:罚单|票|发票|收据)|给(?:个|我)?(?:票|发票|收据))[吧啊了就行]*"
)


# a message asking how an order is going ("查询工单 20261201-00001", "20261201-00001进度"), or nothing but its number
STATUS_ASKED_RE = re.compile(r"查|进度|状态|怎么样了|办得|^#$|^工单(?:号|编号)?$")


# "匿名" for the phone: the identity; the phone is then asked again, and why (it was only "好的，匿名反映。" and the same
# question again, as if "匿名" had not been heard)
ANONYMOUS_AT_PHONE = "好的，匿名反映，不登记您的姓名。联系电话只用于告知办理结果，依法保密，不会告诉被投诉方。"
# "实名" without a name, said for another question
REAL_NAME_ONLY_RE = re.compile(r"(?:我要|我想|要|就)?实名(?:反映|投诉|举报|吧|就行)?")
# no particular demand, in a driver's words ("没什么要求", "没啥诉求"): it was taken for a question ("什么")
NO_DEMAND_RE = re.compile(
    r"(?:我|俺)?(?:也)?(?:没|没有|无|不)(?:什么|啥|其他|别的|特别的?|具体的?)?(?:要求|诉求|想法|需求)(?:了|的|啊|呀)?"
)


def _out_of_turn(values: dict, text: str, asked: str, fields) -> str | None:
    """An answer to a question not yet asked, sent while another is ("匿名" or "不留电话" for where, "希望整改" for
    when): the field it answers is filled and the line to say returned; None when the message is no such answer."""
    core = re.sub(r"[\W_]", "", text)
    if asked == "caller_phone" and "identity" not in fields and ANONYMOUS_RE.match(core):
        values["caller_phone"] = NO_PHONE  # a suggestion is anonymous without a phone
        return "好的，不留电话。"
    if asked != "identity" and "identity" in fields and not values.get("identity") and ANONYMOUS_RE.match(core):
        values["identity"] = "匿名"
        if asked == "caller_phone":  # the phone is asked again next: say why an anonymous report is asked for one
            return ANONYMOUS_AT_PHONE
        return "好的，匿名反映。"
    if (
        asked != "identity"
        and "identity" in fields
        and not values.get("identity")
        and (core.startswith("实名") or REAL_NAME_ONLY_RE.fullmatch(core))
    ):
        name, _ = _identity(text)  # "实名 王强" for where: the identity, not the place
        if name:
            values["identity"] = name
            return f"好的，实名反映（{name.removeprefix('实名:')}）。"
        if REAL_NAME_ONLY_RE.fullmatch(core):  # "实名" for the demand (it was stored as the demand)
            values["name_asked"] = True  # the identity question asks for the name (question())
            return "好的，实名反映，稍后请告诉我您的姓名。"
    if asked != "caller_phone" and "caller_phone" in fields and not values.get("caller_phone"):
        if NO_PHONE_RE.match(core):
            values["caller_phone"] = NO_PHONE
            return "好的，不留电话。"
    if asked in ("target", "facts", "occurred_at", "location") and "demand" in fields and not values.get("demand"):
        demand = find_demand(text)
        short = len(core) <= 12  # "要求退多收的": the demand, though it names what went wrong
        if demand and DEMAND_FIRST_RE.match(core) and demand == text.strip() and (short or not tells_more(text)):
            values["demand"] = demand
            return f"已记下您的诉求：{demand}。"
        if BARE_DEMAND_RE.fullmatch(core):  # "退钱", "道歉" for where or when: what the caller wants
            values["demand"] = core
            return f"已记下您的诉求：{core}。"
    return None


# a suggestion put as a question ("客运站候车厅能不能装几个充电的插座"): what the suggestion form asked for
PROPOSAL_RE = re.compile(
    r"能不能|可不可以|能否|可否|是否可以|是不是可以|为什么不|为啥不|应该|最好|多(?:设|建|装|开|加)"
)


def _is_proposal(text: str, asked: str, fields) -> bool:
    return asked == "facts" and "target" not in fields and bool(PROPOSAL_RE.search(text))


def _said_again(tries: dict, asked: str, text: str) -> bool:
    """The same message sent again for the same question, after it was taken for a question and answered: the user
    means it as the story or the demand (the form must never loop on it; a place or a time is never a question)."""
    return asked in ("facts", "demand") and tries.get(f"asked:{asked}") == text


WHOSE_TAIL_RE = re.compile(r"(?:的人|的车|的司机|的工作人员|的执法人员|的)$")
FIRM_RE = re.compile(r"(?:公司|集团|驾校|汽修厂|修理厂|维修厂|4S店|物流园)$")


def _only_a_target(text: str, named: bool = False) -> str | None:
    """The target when the message is nothing else ("10路公交", "新乡市公交公司", "滴滴"), else None. ``named``: only
    a route, a platform or a firm, which no time or place can be ("12路" for when; "郑州汽车站" for where is the
    place)."""
    text = WHOSE_TAIL_RE.sub("", re.sub(r"[\W_]", "", text))  # "滴滴的", "路政的人": 滴滴, 路政
    agency = next((a for a in AGENCIES if text in (a, f"{a}局", f"{a}大队", f"{a}部门")), None)
    if agency:
        return text
    found = find_target(text)
    if not found or text != re.sub(r"[\W_]", "", found):
        return None
    if named and not (
        ROUTE_RE.fullmatch(normalize_digits(found)) or found in PLATFORMS + FUEL_BRANDS or FIRM_RE.search(found)
    ):
        return None
    return found


ROUTE_VEHICLES = (
    "公交车",
    "公交",
    "城际公交",
    "大巴",
    "城际大巴",
    "班车",
    "客车",
    "长途客车",
    "长途大巴",
    "长途汽车",
    "长途车",
)


def _may_narrow(known: str | None, whom: str) -> bool:
    """Whether a route or platform sent for another question names whom: no target yet, or a kind it fits ("12路"
    after "公交车"; never after "出租车")."""
    if not known or known == NOT_GIVEN:
        return True
    if ROUTE_RE.fullmatch(normalize_digits(whom)):
        return known in ROUTE_VEHICLES
    if FIRM_RE.search(whom):  # "某某清障公司" after "拖车公司" (a kind of firm): that one
        # ... and "金鹏驾校" after "驾校" (a kind of firm named by its kind)
        return known in GENERIC_TARGETS or (len(known) <= 4 and known.endswith(("公司", *FIRM_KINDS)))
    if whom in FUEL_BRANDS:  # "中石化" after "加油站" (of "服务区加油的油有问题"): whose station
        return known.endswith("加油站") or known in FACILITIES or _names_a_facility(known)
    if whom.startswith(AGENCIES):  # "路政的人" after "服务区" (where it happened): the agency is whom
        return known in FACILITIES or _names_a_facility(known)
    return known in VEHICLES  # "滴滴" after "网约车"


def _names_a_facility(known: str) -> bool:
    """Whether whom is a named facility ("连霍高速开封服务区"): a place, which an agency there may replace."""
    return known.endswith(FACILITIES) and find_place(known) == known


def _narrowed(known: str | None, whom: str) -> str:
    """The target once the caller names which one: "公交车" and "12路" make "12路公交车", "网约车" and "滴滴"
    "滴滴网约车"."""
    if whom in PLATFORMS and known in VEHICLES:
        return f"{whom}{known}"
    if whom in FUEL_BRANDS and known and known != NOT_GIVEN:  # "京港澳高速漯河服务区加油站" and "中石化"
        station = known if known.endswith("加油站") else f"{known}加油站"
        return f"{station.removesuffix('加油站')}{whom}加油站" if station != "加油站" else f"{whom}加油站"
    if known in ROUTE_VEHICLES and ROUTE_RE.fullmatch(normalize_digits(whom)) and not re.search("公交|车", whom):
        return f"{whom}{known}"
    return whom


def _a_story(text: str) -> bool:
    """A sentence with nothing of a time in it, sent for "when": more of what happened ("司机不等人关门就走")."""
    return len(re.findall(r"[\u4e00-\u9fa5]", text)) >= 6 and not TIME_HINT.search(text) and not is_question(text)


def _add_to_facts(values: dict, text: str) -> None:
    told = values.get("facts")
    values["facts"] = (f"{told}；{text.strip()}" if told and text.strip() not in told else told or text.strip())[:2000]


# where at a place: "火车站门口", "汽车站对面"
NEAR_RE = re.compile(r"(?:[东西南北]?(?:出口|入口|广场|门口?)|附近|旁边|对面|周边|一带|里面?|外面?)")


# what is said around a place given alone: "在…", "就在…那里", "地点是…", "…上"
PLACE_LEAD_RE = re.compile(r"^(?:我们|我|俺|车)?(?:现在)?(?:地点|位置|地方)?(?:就是在|就在|是在|就是|在|是|于)")
# the question said back before the answer ("在哪 我在京港澳高速漯河服务区", "哪里？郑州东站"): not part of the place
WHERE_ECHO_RE = re.compile(
    r"^在?(?:哪里|哪儿|哪|什么地方|啥地方)(?:呢|啊|吗)?(?:[\s，,。？?！!：:]+|(?=我|俺|在))(?:我们|我|俺|车)?(?=\S{2})"
)
PLACE_TAIL_RE = re.compile(r"(?:那里|那儿|那边|这里|这儿|这边|上)$")
# a road or street by its name alone ("金水路", "人民路上"); never a kind of road ("马路", "公路") or a bus line
ROAD_NAME_RE = re.compile(r"[\u4e00-\u9fa5]{2,5}(?:路|街|大街|大道)")
# an expressway or a national road by its name or number ("京港澳高速", "G4京港澳高速新乡段", "G107国道", "连霍高速公路")
HIGHWAY_NAME_RE = re.compile(
    r"(?:[GS]\d{1,4})?(?:(?![上下这那的条走在去到了个过])[\u4e00-\u9fa5]){2,4}(?:高速公路|高速|国道|省道)"
    r"(?:[\u4e00-\u9fa5]{2,4}段)?|[GS]\d{1,4}(?:国道|省道|高速)?(?:[\u4e00-\u9fa5]{2,4}段)?"
)
NOT_ROAD_NAMES = ("大路", "小路", "一路", "半路", "走路", "山路", "上路", "水路", "大街", "上街", "逛街")
SELF_CORRECTED_RE = re.compile(
    r"^[\u4e00-\u9fa5]{1,12}?(?:不对|不是|错了|说错了)(?:应该)?[是在]?([\u4e00-\u9fa5]{2,})$"
)
# and the way a driver went ("绕远路", "走错路")
KIND_OF_ROAD = (
    "马路",
    "公路",
    "道路",
    "铁路",
    "线路",
    "高速路",
    "环路",
    "远路",
    "错路",
    "近路",
    "弯路",
    "冤枉路",
    "回头路",
    "绕路",
    "带路",
    "让路",
    "问路",
    "堵路",
    "拦路",
    "挡路",
    "占路",
    "修路",
)


# a ride from one place to another ("从郑州东站到新郑机场", "东站到机场")
RIDE_RE = re.compile(r"(?:从|由)?([\u4e00-\u9fa5\w]{2,16}?)(?:到|至|去往|开往)([\u4e00-\u9fa5\w]{2,16})")


# a facility's kind said as where it was ("在服务区", "就在收费站那"): which one is still to be asked
_AT_A_KIND_RE = re.compile(r"(?:就是|就)?(?:在|是)?(?:那个|那)?(.{2,8}?)(?:那里|那儿|那边|这里|这儿|里面|里|上|那)?")


def only_when_or_where(text: str) -> str | None:
    """A bare time or place ("昨晚", "京港澳高速漯河服务区"), or a facility's kind said as where ("在服务区"), else None:
    what goes on with a matter just told when the bot has offered to register it."""
    found = only_a_time(text) or only_a_place(text)
    if found:
        return found
    at = _AT_A_KIND_RE.fullmatch(re.sub(r"[\W_]", "", normalize_digits(text)))
    return at.group(1) if at and only_a_kind(at.group(1)) else None


def only_a_place(text: str) -> str | None:
    """The place when the message is nothing else ("郑州东站", "人民路公交站", "火车站门口", "在连霍高速开封服务区",
    "金水路", "郑州"), else None."""
    plain = re.sub(r"[\W_]", "", WHERE_ECHO_RE.sub("", normalize_digits(text)))
    corrected = SELF_CORRECTED_RE.match(plain)  # "台北 不对 是郑州": what it is, as said last
    if corrected:
        return only_a_place(corrected.group(1))
    bare = PLACE_TAIL_RE.sub("", PLACE_LEAD_RE.sub("", plain))
    if bare != plain and len(bare) >= 2:
        return only_a_place(bare)
    if (
        ROAD_NAME_RE.fullmatch(plain)
        and plain not in NOT_ROAD_NAMES
        and not plain.endswith(KIND_OF_ROAD)
        and not tells_more(plain)
    ):
        return plain
    if _only_a_region(plain):
        return plain
    if HIGHWAY_NAME_RE.fullmatch(plain) and not tells_more(plain):
        return plain
    ride = RIDE_RE.fullmatch(plain)  # "从郑州东站到新郑机场": a ride's from and to, one of them a place
    if ride and not tells_more(plain) and any(only_a_place(end) for end in ride.groups()):
        return plain
    found = find_place(text)
    if found:
        rest = plain.replace(re.sub(r"[\W_]", "", found), "", 1)
        if rest and plain.endswith(found) and HIGHWAY_NAME_RE.fullmatch(rest):
            return plain  # "连霍高速 中牟收费站": the expressway and the facility on it
        return found if not rest else plain if plain.startswith(found) and NEAR_RE.fullmatch(rest) else None
    bare = re.match(rf"(?:{PLACE_STRONG})", plain)  # "火车站门口": a place by its kind, and where at it
    if bare and NEAR_RE.fullmatch(plain[bare.end() :]):
        return plain
    # a station by its name alone ("郑州站", "新乡东站" is PLACE_STRONG already); never "网站"
    return plain if re.fullmatch(r"[\u4e00-\u9fa5]{2,6}站", plain) and not plain.endswith("网站") else None


NAME_RE = re.compile(
    r"(?:我叫|我是|本人|姓名[是为叫:：\s]*|名字[是叫为:：\s]*|实名[吧的了啊呀好\s,，:：]*(?:我叫|我是|叫)?)\s*"
    r"([\u4e00-\u9fa5]{2,4})"
)
NOT_NAMES = (
    "反映",
    "投诉",
    "举报",
    "登记",
    "提交",
    "可以",
    "就行",
    "实名",
    "匿名",
    "司机",
    "车主",
    "算了",
    "好的",
    "是的",
    "对的",
    "不",
    "嗯",
    "行",
    "随便",
    "都",
    "确认",
)


def _identity(t: str) -> tuple[str | None, str | None]:
    """实名 with a name ("实名 张三", "我还是实名吧 我叫李红", "改一下名字，我叫王五") or 匿名 ("改成匿名"; "不要匿名" is not)."""
    if _has(t, ANONYMOUS) and not re.search(r"不(?:要|用|想)?匿名|别匿名", t):
        return "匿名", None
    for match in NAME_RE.finditer(t):
        name = re.sub(r"[吧啊呀的了哈呢吗嘛]+$", "", match.group(1))
        if len(name) >= 2 and not name.startswith(NOT_NAMES):
            return f"实名:{name}", None
    bare = re.fullmatch(r"([\u4e00-\u9fa5]{2,4})", t.strip())
    if bare and not bare.group(1).startswith(NOT_NAMES) and not _has(t, REAL_NAME) and not gesture(t):
        return f"实名:{bare.group(1)}", None
    if _has(t, REAL_NAME):
        return None, NAME_WANTED  # "实名" without the name: the name is asked (NAME_QUESTION)
    return None, REASKS["identity"]


# a matter that goes on, as an answer to "when": "一直都有", "经常", "天天这样"
ONGOING_RE = re.compile(r"一直|经常|每天|天天|常年|长期|好几次|多次|总是|老是|屡次|时常|常常")


def _interpret(name: str, text: str, values: dict) -> tuple[str | None, str | None]:
    """(value, re-ask message) for an answer to the question about ``name``."""
    t = normalize(text)
    if name in OPTIONAL and (_is_exact(t, SKIP) or _forgot(t)):
        return NOT_GIVEN, None  # ("不记得了", "我也记不清了": not "这好像不是时间")
    if name == "location" and values.get("location_offer"):
        offered = values["location_offer"]
        if _is_exact(t, YES) or _is_exact(t, ("是在那", "是那里", "对就是那", "就是那里")):
            return offered, None
        rest = re.sub(r"^(?:不是|不对|不在|错了|没有)[^，,。\s是在]*[，,。\s]*(?:是在|是|在)?", "", t).strip()
        if _is_exact(t, NO + ("不是", "不对", "不在那")) or not rest:
            return None, "好的，那事情发生在什么地方？请回复地点（不清楚可回复“不清楚”）。"
        t = rest
    if name == "demand" and (gesture(t) == "deny" or NO_DEMAND_RE.fullmatch(re.sub(r"[\W_]", "", t))):
        return NOT_GIVEN, None  # "没有", "不用", "没什么要求" to "您希望怎么处理？": no particular demand
    if name == "demand" and find_phone(t) and find_demand(t):
        return find_demand(t), None  # "要求退钱 电话138…": the phone is kept apart (answer())
    if name in ("target", "location", "demand", "facts") and gesture(t):
        return None, REASKS[name]  # "好", "是的": a yes or no, not an answer to "who", "where" or "what"
    if name == "occurred_at" and ONGOING_RE.search(t) and len(t) <= 12 and not tells_more(t):
        return t, None  # "一直都有", "经常这样": no one moment, but an answer
    if name == "occurred_at" and when.NOW_RE.match(t) and len(t) <= 12 and not tells_more(t):
        return t, None  # "就现在", "正在发生": now (resolved to the moment it was said)
    if (
        name == "occurred_at"
        and not find_time(t)
        and (len(t) > 12 or not (TIME_HINT.search(t) or NUMERIC_TIME.fullmatch(t)) or tells_more(t))
    ):
        return (
            None,
            "这好像不是时间。",
        )  # the time question follows  # a time is a time: "新乡东站" is no answer to "什么时候"
    if name == "caller_phone":
        if _has(t, NO_PHONE_WORDS) or gesture(t) == "deny":  # "没有", "不用"
            return NO_PHONE, None
        phone = find_phone(t) or (
            LANDLINE_RE.search(normalize_digits(t)) and "-".join(LANDLINE_RE.search(normalize_digits(t)).groups())
        )
        if phone:
            return phone, None
        # "确认", "好的": no number tried, so none is "in the wrong format"
        return None, REASKS["caller_phone"] if re.search(r"\d", spoken_digits(t)) else PHONE_NOT_SENT
    if name == "identity":
        return _identity(t)
    if name == "target":
        if UNKNOWN_TARGET_RE.match(t) and not find_plate(t):
            # "不知道车牌", "没看清": no name for whom yet; what the caller saw of it is asked instead
            return None, "没关系。能描述一下是什么车或哪家单位吗？（如“白色面包车”“火车站门口拉客的黑车”）"
        found = find_target(t)
        if found:
            return found, None
        if own_plate(t):
            values["own_vehicle"] = own_plate(t)
            return None, "这是您自己的车吧？请告诉我您要投诉的对象：车牌号、公司名称、线路或站点名称。"
        return (t[:100], None) if len(t) >= 2 and not _is_exact(t, SKIP) else (None, REASKS["target"])
    if name == "facts":  # a sentence, or the misconduct in a word once the target is known ("不打表", "拒载")
        words = len(re.sub(r"\W", "", t))
        told = words >= 4 or (words >= 2 and tells_more(t))
        return (t[:2000], None) if told else (None, REASKS["facts"])
    if name == "location":  # a direct answer is the place as the user put it (the rest of a story goes to facts)
        t = WHERE_ECHO_RE.sub("", t)
        said = t if len(t) <= 30 and not tells_more(t) else (find_place(t) or t)
        said = re.sub(r"^(?:发生)?(?:地点|地址|位置)(?:是|在|[：:])\s*(?=\S{2})", "", said)  # "地点是人民路站"
        bare = re.sub(r"(?:上|那里|那儿|这里|这儿)$", "", re.sub(r"^(?:就在|就是在|是在|就是|在)", "", said))
        return (bare if len(bare) >= 2 else said)[:200], None  # "就在科学大道上" → 科学大道
    if name == "occurred_at":
        said = find_time(t)
        if said and when.VAGUE_RE.match(said) and len(re.sub(r"[\W_]", "", t)) <= 12:
            said = t.strip()  # "大概是上个月底": as the caller put it
        return (said or t)[:60], None
    return t[:500], None


# What a message sent while the form waits for one field may be instead of its answer. Each handler below takes
# the step and the message and returns None (not its kind of message), ASKED_AGAIN (handled: the step says what was
# kept and asks ``step.ask``) or STORED (handled: go on to the next question as after an answer). ``answer`` tries
# them in the order of ELSEWHERE; a message none of them takes is the answer to the question asked.
ASKED_AGAIN, STORED = "asked_again", "stored"


@dataclass(frozen=True)
class _Message:
    text: str  # as typed (facts keep the caller's words)
    t: str  # normalised
    asked: str
    fields: tuple


# a part of a place already named ("郑州东站", then "东广场", "北出站口", "候车室")
PLACE_PART_RE = re.compile(
    r"(?:[东西南北]|东南|东北|西南|西北)?(?:广场|站前广场|出站口|进站口|出口|入口|候车室|候车厅|售票厅|售票处|停车场|"
    r"门口|大门|[东西南北]门|落客区|候客区|上客区|到达层|出发层|[0-9一二三四五六七八九十]+号口)"
)


def _keep_finer(values: dict, name: str, found: str) -> None:
    """A time or place told out of turn fills its field when none was told, or when it is the finer form of the one
    told ("昨天" then "昨天下午四点"); another one never overwrites an answer."""
    known = values.get(name)
    if not known or known == NOT_GIVEN or known in found:
        values[name] = found
    elif name == "location" and PLACE_PART_RE.fullmatch(found) and not known.endswith(found):
        values[name] = f"{known}{found}"  # "郑州东站", then "东广场": 郑州东站东广场
    elif name == "occurred_at" and BARE_TIME_RE.fullmatch(found) and not BARE_TIME_RE.search(known):
        values[name] = f"{known}{found}"  # "昨天", then "晚上": 昨天晚上


def _a_status_look_up(step: Step, m: _Message) -> str | None:
    """ "查询工单 20261201-00001" mid-form: the look-up needs its own steps (the phone's last four digits); the form is
    kept and asked again, and the user told how to look it up after."""
    number = find_order_number(m.t)
    if lost_order_number(m.t) and not number:  # "我忘了工单号了" (it was stored as the place)
        step.say.append("我们先把这次登记填完；完成或取消后，发送“查询工单”即可列出您在这里登记的工单。")
        step.ask = m.asked
        return ASKED_AGAIN
    if not (number and STATUS_ASKED_RE.search(re.sub(r"[\d\-\s]", "", m.t) or "#")):
        return None
    step.say.append(f"我们先把这次登记填完；完成或取消后，发送“查询工单 {number}”即可查询办理进度。")
    step.ask = m.asked
    return ASKED_AGAIN


def _an_answer_out_of_turn(step: Step, m: _Message) -> str | None:
    """ "匿名", "不留电话", "希望整改" before their question: their own field (see ``_out_of_turn``)."""
    said = _out_of_turn(step.values, m.t, m.asked, m.fields)
    if not said:
        return None
    step.say.append(said)  # the pending question follows
    step.ask = m.asked if not step.values.get(m.asked) else next_field(step.values, m.fields) or "confirm"
    return ASKED_AGAIN


def _a_form_command(step: Step, m: _Message) -> str | None:
    """ "更正一下", "刚才说错了" (which answer, and to what, not said), "等一下" or "继续": never an answer; which one to
    change is asked, or the question waits, and it is asked again. "重新开始" drops every answer and asks the first
    question again."""
    plain = re.sub(r"[\W_]", "", m.t)
    if m.asked == "location" and step.values.get("location_offer"):
        return None  # "不对" to "是在…吗？" is its answer
    if RESTART_RE.fullmatch(plain):
        _start_over(step, m.fields)
        return ASKED_AGAIN
    if plain in GO_ON:
        step.say.append("好的，我们继续。")
    elif WISH_TO_CORRECT_RE.fullmatch(plain):
        step.say.append(
            "好的，请告诉我要修改哪一项和改成什么，例如“时间改成昨天晚上8点”“地点改成新乡东站”；没有要改的请直接回答下面的问题。"
        )
    elif plain in HOLD_ON:
        step.say.append("好的，不着急，您想好了直接回复就行。")
    else:
        return None
    step.ask = m.asked
    return ASKED_AGAIN


def _start_over(step: Step, fields) -> None:
    """ "重新开始": every answer dropped, the first question asked again."""
    step.values.clear()
    step.tries.clear()
    step.say.append("好的，我们从头开始登记。")
    step.ask = next_field({}, fields) or "confirm"


def _a_correction(step: Step, m: _Message) -> str | None:
    """An earlier answer changed ("刚才那个时间说错了…"): the pending question is asked again."""
    return STORED if _correct(step, m.t, m.fields, asked=m.asked) else None


def _a_phone_for_another(step: Step, m: _Message) -> str | None:
    """A phone sent while something else was asked fills the phone, never the field asked."""
    phone = only_a_phone(m.t) if m.asked != "caller_phone" and "caller_phone" in m.fields else None
    if not phone:
        return None
    step.values["caller_phone"] = phone
    step.say.append(f"已记下联系电话 {phone}。")  # the pending question follows (the form asks it)
    step.ask = m.asked
    return ASKED_AGAIN


def _demand_and_phone_for_another(step: Step, m: _Message) -> str | None:
    """ "我要求他们退钱 我的电话是一三九…" (a driver's voice message) for where: the demand and the phone (and "匿名"
    with them), each in its field and said back; the question asked again (the whole message was stored as the
    place). Only when the message holds nothing else: a place, a time or whom told with them is left to the rest."""
    if m.asked not in ("target", "occurred_at", "location") or not {"demand", "caller_phone"} <= set(m.fields):
        return None
    text = spoken_digits(m.t)
    phone, demand = find_phone(text), find_demand(text)
    if not (phone and demand):
        return None
    said = re.sub(r"(?:我的|联系)?(?:电话|手机)(?:号码?)?(?:是|为)?|匿名|不实名|\d", " ", text.replace(demand, " ", 1))
    place = only_a_place(said) if m.asked == "location" and re.sub(r"[\W_]", "", said) else None
    if re.sub(r"[\W_]|我们|我|俺", "", said) and not place:
        return None
    values = step.values
    if not values.get("demand") or values["demand"] == NOT_GIVEN:
        values["demand"] = demand
        step.say.append(f"已记下您的诉求：{demand}。")
    values["caller_phone"] = phone
    step.say.append(f"已记下联系电话 {phone}。")
    if "identity" in m.fields and not values.get("identity") and re.search("匿名|不实名", text):
        values["identity"] = "匿名"
        step.say.append("好的，匿名反映。")
    if place:  # "在漯河服务区 要求退钱 电话…": the answer, with the rest
        values["location"] = place
        return STORED
    step.ask = m.asked
    return ASKED_AGAIN


def _a_time_for_whom_or_where(step: Step, m: _Message) -> str | None:
    """ "今天早上" for whom, "昨天下午四点" for where: the time, kept (the finer one when a coarser one was told:
    "昨天" then "昨天下午四点"); the question asked again (it was stored as whom or as the place)."""
    when_said = only_a_time(m.t) if m.asked in ("target", "location") and "occurred_at" in m.fields else None
    return _kept_and_asked_again(step, m, "occurred_at", when_said) if when_said else None


def _kept_and_asked_again(step: Step, m: _Message, name: str, found: str) -> str:
    """A time or place told for another question: kept (the finer one), said back, and that question asked again."""
    step.say.append(_keep_and_say(step.values, name, found))
    step.ask = m.asked
    return ASKED_AGAIN


LABELS_SHORT = {"occurred_at": "时间", "location": "地点"}


def _keep_and_say(values: dict, name: str, found: str) -> str:
    """``_keep_finer``, and what to say of it: the value kept, or, when another one was told before and is kept
    ("郑州东站", then "新乡东站"), that one and how to change it (never "已记下地点：郑州东站" for "新乡东站")."""
    _keep_finer(values, name, found)
    label, kept = LABELS_SHORT[name], values[name]
    if found in kept:
        return f"已记下{label}：{kept}。"
    return f"{label}已记为“{kept}”；如需改为“{found}”，请回复“{label}改成{found}”。"


def _a_place_for_whom(step: Step, m: _Message) -> str | None:
    """ "在京港澳高速新乡段" for whom (after "高速救援拖车要了我3000"): where it happened, said with 在, kept as the place
    (it was stored as whom); whom asked again."""
    if m.asked != "target" or "location" not in m.fields or not re.match(r"(?:就是|就)?在|于", m.t.strip()):
        return None
    place = only_a_place(m.t)
    return _kept_and_asked_again(step, m, "location", place) if place else None


def _a_time_or_place_for_the_story(step: Step, m: _Message) -> str | None:
    """ "昨天下午" or "郑州东站" for what happened or what is wanted: the time or the place, not the story (kept if
    none was told yet), and the question asked again."""
    if m.asked not in ("facts", "demand"):
        return None
    only = (only_a_time(m.t), only_a_place(m.t))
    if not any(only):
        return None
    for name, found in zip(("occurred_at", "location"), only, strict=True):
        if found and name in m.fields:
            step.say.append(_keep_and_say(step.values, name, found))
    _name_the_facility(step.values)
    step.ask = m.asked
    return ASKED_AGAIN


# a coach's line as callers name it: "郑州到信阳的", "郑州至开封的班车"
LINE_RE = re.compile(
    r"^([\u4e00-\u9fa5]{2,8}?)(?:到|至|开往|去)([\u4e00-\u9fa5]{2,8}?)的?(?:车|大巴|班车|客车|线路?)?$"
)


def _a_line_for_another(step: Step, m: _Message) -> str | None:
    """ "郑州到信阳的" for where (or when, the demand), after "坐的大巴…": which coach, and the question asked again
    (it was stored as the place)."""
    known = step.values.get("target")
    if m.asked not in ("occurred_at", "location", "demand") or known not in ROUTE_VEHICLES + ("大巴", "客车"):
        return None
    line = LINE_RE.match(re.sub(r"[\s，,。.！!]", "", m.t))
    if not line:
        return None
    step.values["target"] = f"{line.group(1)}到{line.group(2)}的{known}"
    step.say.append(f"已记下投诉对象：{step.values['target']}。")
    step.ask = m.asked
    return ASKED_AGAIN


PLATE_WORDS_RE = re.compile(r"车牌号码?|车牌|牌照|车号|号码|是")


# how a vehicle looks, said beside its plate ("白色的现代", "黑色比亚迪", "一辆红色的车")
VEHICLE_LOOKS_RE = re.compile(r"(?:一辆|那辆|这辆)?[白黑红蓝绿黄灰银金紫棕橙粉][色的]{0,2}.{0,8}")


def _a_plate_for_another(step: Step, m: _Message) -> str | None:
    """ "豫A12345" for what happened (or when, where, the demand): the plate of the vehicle complained about, and the
    question asked again."""
    if m.asked not in ("facts", "occurred_at", "location", "demand") or "target" not in m.fields:
        return None
    plate = only_a_plate(m.t)
    line = None
    if not plate and (found := find_plate(m.t)):  # "68路 车牌豫A3E571": which line, and its plate
        rest = PLATE_WORDS_RE.sub("", re.sub(r"[\W_]", "", normalize_digits(m.t)).replace(found, ""))
        line = _only_a_target(rest, named=True) if rest else None
        plate = found if line and _may_narrow(step.values.get("target"), line) else None
        if not line and rest and not tells_more(rest) and _the_same_kind(step.values.get("target"), rest):
            plate = found  # "豫B12345 大巴" after "大巴": that bus's plate ("…出租车司机绕路" is the story, kept)
        looks = VEHICLE_LOOKS_RE.fullmatch(rest) if not line and rest and not plate else None
        if looks and not tells_more(rest):  # "车牌号是豫A12345 白色的现代": its plate, and how it looks (kept)
            plate = found
            _add_to_facts(step.values, f"车辆：{rest}")
    if not plate:
        return None
    target = step.values.get("target")
    if line:
        target = _narrowed(target, line)
    step.values["target"] = plate if not target or target == NOT_GIVEN else f"{target}（{plate}）"
    if target and plate in target:
        step.values["target"] = target
    step.say.append(f"已记下车牌：{plate}。")
    step.ask = m.asked
    return ASKED_AGAIN


def _the_same_kind(known: str | None, said: str) -> bool:
    """Whether the vehicle kind said beside a plate ("大巴", "这辆大巴车") is the one complained about, or none is
    known yet: then the plate is that vehicle's."""
    kind = re.sub(r"^(?:那辆|这辆|那个|这个|一辆|就是|是)+|(?:车)?(?:的)?$", "", said)
    kind = next((v for v in VEHICLES if v.startswith(kind) or kind.startswith(v)), None) if len(kind) >= 2 else None
    if not kind:
        return False
    return not known or known == NOT_GIVEN or kind in known or known in kind


def _whom_for_another(step: Step, m: _Message) -> str | None:
    """ "10路公交" for what happened (or "12路" for when, after "公交车司机开车玩手机"): which one, and the question
    asked again."""
    if m.asked not in ("facts", "occurred_at", "location", "demand") or "target" not in m.fields:
        return None
    said = m.t if m.asked == "facts" else re.sub(r"^\s*(?:就是|是|坐的是|坐的)", "", m.t)  # "是56路"
    whom, known = _only_a_target(said, named=m.asked != "facts"), step.values.get("target")
    if not whom or whom == known or not (m.asked == "facts" or _may_narrow(known, whom)):
        return None
    step.values["target"] = _narrowed(known, whom)
    step.say.append(f"已记下投诉对象：{step.values['target']}。")
    step.ask = m.asked
    return ASKED_AGAIN


def _a_place_or_story_for_when(step: Step, m: _Message) -> str | None:
    """ "郑州绕城高速收费站" or "多收了30块" for when: the place, or more of the story, kept; the time asked again
    (after three tries the form moves on without it)."""
    if m.asked != "occurred_at" or find_time(m.t) or _forgot(m.t):
        return None
    now = when.NOW_RE.match(m.t)
    if now and (tells_more(m.t) or _a_story(m.t)):  # "现在还在车上": now, and more of the story
        step.values[m.asked] = now.group(0)
        _add_to_facts(step.values, m.text)
        step.say.append("已补充到事情经过。")
        return STORED
    place = only_a_place(m.t)
    if not (place or tells_more(m.t) or _a_story(m.t)):
        return None
    values, tries = step.values, step.tries
    if place and "location" in m.fields:
        step.say.append(_keep_and_say(values, "location", place))
        _name_the_facility(values)
    else:
        _add_to_facts(values, m.text)
        step.say.append("已补充到事情经过。")
    tries[m.asked] = tries.get(m.asked, 0) + 1
    if tries[m.asked] < MAX_TRIES:
        step.ask = m.asked
        return ASKED_AGAIN
    values[m.asked] = NOT_GIVEN  # never trap the user: after three tries move on without the time
    step.say.append("没关系，这一项先跳过，我们继续。")
    return STORED


def _a_place_and_more_story(step: Step, m: _Message) -> str | None:
    """ "从郑州东站到新郑机场 收了我280 平时80" for where: the place, and the rest added to the story (it was all
    stored as the place)."""
    if m.asked != "location" or "facts" not in m.fields:
        return None
    parts = [p for p in re.split(r"[\s，,。；;！!]+", m.text.strip()) if p]
    for cut in range(len(parts) - 1, 0, -1):
        place, rest = only_a_place("".join(parts[:cut])), " ".join(parts[cut:])
        if place and tells_more(normalize(rest)):
            step.values["location"] = place
            _add_to_facts(step.values, rest)
            step.say.append(f"已记下地点：{place}，其余的补充到事情经过。")
            return STORED
    return None


def _no_plate_for_the_story(step: Step, m: _Message) -> str | None:
    """ "不记得车牌了", "车牌记不清了" for what happened, when, where or the demand: no plate needed; the question asked
    again (it was stored as its answer)."""
    if m.asked not in ("facts", "occurred_at", "location", "demand") or "target" not in m.fields:
        return None
    if not UNKNOWN_PLATE_RE.search(m.t):
        return None
    step.say.append("没关系，不记得车牌也可以登记。")
    step.ask = m.asked
    return ASKED_AGAIN


# a sum the caller was charged, told as they say it ("要了200", "收了我50块")
SUM_CHARGED_RE = re.compile(r"(?:要了|收了|花了|付了|给了|多收|多要)(?:我)?\s*\d")


# a story going on ("对了 是从火车站去二七广场的时候 他故意走了高架"): more of what happened, not what is wanted
MORE_STORY_RE = re.compile(r"^\s*(?:对了|還有|还有|另外|补充|補充|顺便说)|故意|[他她](?:还|又|就|一直|当时)")


def _more_story_for_the_demand(step: Step, m: _Message) -> str | None:
    """ "他骂人" or "要了200" for what the caller wants: more of what happened, kept; the demand asked again (once: a second
    such answer is taken as the demand)."""
    told = tells_more(m.t) or SUM_CHARGED_RE.search(m.t) or MORE_STORY_RE.search(m.t)  # "他骂人", "要了200"
    if m.asked != "demand" or "facts" not in m.fields or not told or DEMAND_WORDS_RE.search(m.t):
        return None
    key = "story:demand"
    if step.tries.get(key):
        return None
    step.tries[key] = 1
    _add_to_facts(step.values, m.text)
    step.say.append("已补充到事情经过。")
    step.ask = m.asked
    return ASKED_AGAIN


def _a_demand_for_the_phone(step: Step, m: _Message) -> str | None:
    """ "希望取缔", "退钱 开罚单" for the phone of a complaint: what the caller wants — the demand, or more of it
    when one was told — and the phone asked again."""
    if m.asked != "caller_phone" or "demand" not in m.fields or re.search(r"\d", m.t):
        return None
    said = re.sub(r"^(?:还要|还有|另外|并且|而且|也要|再)", "", m.t.strip())  # "还要道歉": more of what is wanted
    core = re.sub(r"[\W_]", "", said)
    demand = find_demand(said)
    wanted = (demand == said and DEMAND_FIRST_RE.match(core)) or all(
        BARE_DEMAND_RE.fullmatch(part) for part in re.split(r"[\s，,、。]+", said) if part
    )
    if not wanted or _has(m.t, NO_PHONE_WORDS):
        return None
    known = step.values.get("demand")
    said = m.text.strip()
    step.values["demand"] = said if not known or known == NOT_GIVEN else f"{known}；{said}"[:500]
    step.say.append(f"已记下您的诉求：{said}。")
    step.ask = m.asked
    return ASKED_AGAIN


def _a_time_or_stretch_for_the_demand(step: Step, m: _Message) -> str | None:
    """ "一直都有" for the demand (when was asked before and told), "新乡段" after "107国道" was the place: when, or
    where on the road — kept (a finer one replaces) — and the demand asked again."""
    if m.asked != "demand":
        return None
    core = re.sub(r"[\W_]", "", m.t)
    if ONGOING_RE.search(core) and len(core) <= 6 and "occurred_at" in m.fields:
        if step.values.get("occurred_at") in (None, NOT_GIVEN):
            step.values["occurred_at"] = core
        step.say.append(f"已记下：{core}。")
        step.ask = m.asked
        return ASKED_AGAIN
    road = step.values.get("location") or ""
    stretch = re.fullmatch(r"[\u4e00-\u9fa5]{2,6}段", core)
    if stretch and "location" in m.fields and ROAD_KIND_RE.search(road) and not road.endswith("段"):
        step.values["location"] = f"{road}{core}"
        step.say.append(f"已记下地点：{step.values['location']}。")
        step.ask = m.asked
        return ASKED_AGAIN
    return None


def _more_suggestion_for_the_phone(step: Step, m: _Message) -> str | None:
    """ "希望多建几个厕所" for the phone of a suggestion: more of the suggestion, kept; the phone asked again (after
    three such messages the form moves on without a phone)."""
    if m.asked != "caller_phone" or "target" in m.fields or find_phone(m.t) or _has(m.t, NO_PHONE_WORDS):
        return None
    if gesture(m.t) or asks_question(m.t, m.asked):
        return None
    # four characters of it, or which one it is about ("12路", "郑州东站", "滴滴"): both belong to the suggestion
    named = _only_a_target(m.t, named=True) or only_a_place(m.t)
    if len(re.findall(r"[\u4e00-\u9fa5]", m.t)) < 4 and not named:
        return None
    _add_to_facts(step.values, m.text)
    step.say.append("已补充到您的建议中。")
    step.tries[m.asked] = step.tries.get(m.asked, 0) + 1
    if step.tries[m.asked] < MAX_TRIES:
        step.ask = m.asked
        return ASKED_AGAIN
    step.values[m.asked] = NO_PHONE
    step.say.append("没关系，这一项先跳过，我们继续。")
    return STORED


def _what_now(step: Step, m: _Message) -> str | None:
    """ "怎么办" alone in a complaint: what happens next is the registration itself."""
    if "target" not in m.fields or not WHAT_NOW_RE.fullmatch(re.sub(r"[\s，,。.！!？?~～]", "", m.t)):
        return None
    step.say.append(WHAT_NOW_REPLY)  # the pending question follows
    step.ask = m.asked
    return ASKED_AGAIN


HOW_TO_HERE = {
    "complain": "您现在就是在登记投诉：回答完下面几个问题，我就为您提交，转交承办单位办理并按时限答复您。",
    "suggest": "您现在就是在提意见建议：回答完下面的问题，我就为您提交，转交相关单位研究办理。",
}


def _how_to_here(step: Step, m: _Message) -> str | None:
    """ "在哪里投诉", "怎么投诉" asked in the complaint form (or how to suggest in the suggestion form): this is the way;
    the question asked again."""
    act = asks_how_to(m.t)
    if act != ("complain" if "target" in m.fields else "suggest"):
        return None
    step.say.append(HOW_TO_HERE[act])
    step.ask = m.asked
    return ASKED_AGAIN


# the act named again inside its own form ("投诉", "我要举报", "提个建议吧"): no answer to the question asked
BARE_ACT_RE = {
    "complain": re.compile(
        r"(?:我|俺)?(?:就|还是)?(?:要|想|想要|必须)?(?:投诉|举报|反映|投诉举报)(?:一下)?(?:他|她|他们|这个|这事)?[吧啊呀了]?"
    ),
    "suggest": re.compile(r"(?:我|俺)?(?:要|想)?(?:提)?(?:个|一个|点|一点)?(?:意见|建议|意见建议)[吧啊呀]?"),
}


def _the_act_named_again(step: Step, m: _Message) -> str | None:
    """ "投诉" sent again at "事情大概发生在什么时候？" was added to the story ("已补充到事情经过"): the act named again
    is told this is it, and the question asked again."""
    act = "complain" if "target" in m.fields else "suggest"
    if not BARE_ACT_RE[act].fullmatch(re.sub(r"[\s，,。.！!？?~～]", "", m.t)):
        return None
    step.say.append(HOW_TO_HERE[act])
    step.ask = m.asked
    return ASKED_AGAIN


def _the_story_for_whom(step: Step, m: _Message) -> str | None:
    """ "高速多扣了我钱" for whom: the story, told first; whom it is about is asked again."""
    if m.asked != "target" or "facts" not in m.fields or step.values.get("facts"):
        return None
    if not tells_more(m.t) or find_target(m.t):
        return None
    step.values["facts"] = m.text.strip()[:2000]
    step.say.append("已记下事情经过。")
    step.ask = m.asked
    return ASKED_AGAIN


# asked whether one must give one's name, or whether the one complained about will learn who complained: the form's
# own answer (its identity question, 管理办法 第七条's duty of confidentiality), not a guess among the KB's clauses
ANONYMITY_RE = re.compile(r"实名|匿名|保密|泄露|泄漏|透露|知道是我|暴露|报复|个人信息|隐私")
ANONYMITY_REPLY = (
    "可以匿名反映：登记到“是否实名反映”时回复“匿名”即可，匿名反映同样受理。选择实名的，12328热线依法为您保密"
    "（管理办法第七条），您的姓名和电话不会透露给被投诉方；电话只用于承办单位联系您、反馈办理结果。"
)


def asks_about_anonymity(text: str) -> bool:
    """ "投诉要实名吗", "我留电话的话 他会知道是我吗", "可以匿名投诉吗": a question about giving one's name or about
    confidentiality."""
    t = normalize(text or "")
    return bool(ANONYMITY_RE.search(t)) and is_question(t)


def _about_anonymity(step: Step, m: _Message) -> str | None:
    """A question about giving one's name or confidentiality, mid-form: the form's own answer, then the question
    asked again (the seed KB's likeliest clause for "投诉要实名吗" was 第二十三条, on time limits)."""
    if "caller_phone" not in m.fields or not asks_about_anonymity(m.t):
        return None
    step.say.append(ANONYMITY_REPLY)
    step.ask = m.asked
    return ASKED_AGAIN


# how long the matter being registered takes: "投诉出租车司机拒载的话要几天能处理", "多久能有结果", "什么时候给答复"
TIME_LIMIT_RE = re.compile(
    r"(?:多久|多长时间|几天|几个工作日|什么时候|啥时候|何时)(?:才|能|会|可以|给)?(?:能|会|可以)?"
    r"(?:处理|办|回复|答复|回电|给答复|有结果|出结果|有回音|有消息|办好|办完|解决)"
    r"|(?:处理|回复|答复|办理|结果)(?:要|需要|得)?(?:多久|多长时间|几天)"
)


def asks_about_time_limit(text: str) -> bool:
    """A question about how long an order takes ("投诉出租车司机拒载的话要几天能处理")."""
    t = normalize(text or "")
    return bool(TIME_LIMIT_RE.search(t)) and is_question(t)


# whether the matter being registered may be filed at all: "这种情况能投诉吗", "可以举报他吗", "这个你们管吗"
CAN_FILE_RE = re.compile(
    r"(?:(?:能|可以|能不能|可不可以|可否|能否|是否可以)(?:投诉|举报|反映)(?:他|她|他们|它|这个|这事|一下)?(?:吗|不|么|呢)?"
    r"|(?:这个|这事|这种事|这种情况)?(?:归)?(?:你们|12328)(?:管|受理)(?:吗|不|么))$"  # (the message ends with it)
)


def asks_if_it_can_be_filed(text: str) -> bool:
    """ "就是问问 这种情况能投诉吗", asked in the form that is registering it: the answer is yes (its form says so)."""
    t = re.sub(r"[\s,，.。!！?？~～]+$", "", normalize(text or ""))
    return bool(CAN_FILE_RE.search(t))


def _a_question(step: Step, m: _Message) -> str | None:
    """A question is not an answer: never stored as 事情经过 / 时间 / 地点; answered (``Step.question``), then the
    question asked again. A suggestion put as a question, or a message sent again after being answered as one, is
    meant as the answer."""
    if not asks_question(m.t, m.asked) or _is_proposal(m.t, m.asked, m.fields) or _said_again(step.tries, m.asked, m.t):
        return None
    if m.asked == "location" and WHERE_ECHO_RE.match(m.t) and only_a_place(m.t):
        return None  # "在哪儿？我在郑州东站": the question said back, then the answer
    step.tries[f"asked:{m.asked}"] = m.t
    step.question, step.ask = m.text.strip(), m.asked
    return ASKED_AGAIN


def _small_talk(step: Step, m: _Message) -> str | None:
    """ "喂 在吗", "你是机器人吗" mid-form: who answers, and the question asked again ("你是机器人吗" was added to what
    happened, "在吗" taken for the demand)."""
    if not phatic(m.t):
        return None
    step.say.append("在的，我是12328热线的智能助手，正在为您登记；需要人工服务可以回复“转人工”。")
    step.ask = m.asked
    return ASKED_AGAIN


ELSEWHERE = (
    _a_status_look_up,
    _small_talk,
    _the_act_named_again,
    _an_answer_out_of_turn,
    _a_form_command,
    _a_correction,
    _a_phone_for_another,
    _demand_and_phone_for_another,
    _a_time_for_whom_or_where,
    _a_place_for_whom,
    _a_time_or_place_for_the_story,
    _a_plate_for_another,
    _a_line_for_another,
    _whom_for_another,
    _no_plate_for_the_story,  # ("我不知道车牌" for when was added to the story)
    _a_place_or_story_for_when,
    _a_place_and_more_story,
    _more_story_for_the_demand,
    _a_time_or_stretch_for_the_demand,
    _a_demand_for_the_phone,
    _more_suggestion_for_the_phone,
    _what_now,
    _how_to_here,
    _the_story_for_whom,
    _about_anonymity,
    _a_question,
)


def _store_answer(step: Step, m: _Message) -> bool:
    """The message as the answer to the question asked: stored (True), or the question asked again (False; after
    three tries the form moves on with what it has)."""
    values, tries, asked, t, fields = step.values, step.tries, m.asked, m.t, m.fields
    value, reask = _interpret(asked, t, values)
    if value is None:
        tries[asked] = tries.get(asked, 0) + 1
        if tries[asked] >= MAX_TRIES and asked in ("caller_phone", "identity", "target", "occurred_at", "facts"):
            # never trap the user: after three tries move on with what we have
            value = {
                "caller_phone": NO_PHONE,
                "identity": "匿名",
                "target": NOT_GIVEN if UNKNOWN_TARGET_RE.match(t) or _is_exact(t, SKIP) else t[:100] or NOT_GIVEN,
                "occurred_at": NOT_GIVEN,
                "facts": NOT_GIVEN,  # the operator asks when calling back
            }[asked]
            step.say.append("没关系，这一项先跳过，我们继续。")
        else:
            if asked == "facts" and "target" not in fields:  # a suggestion, not a story
                reask = SUGGESTION_REASK
            if reask == NAME_WANTED:
                values["name_asked"] = True  # the question itself asks for the name (question())
            else:
                step.say.append(reask)
            step.ask = asked
            return False
    values[asked] = value
    if asked == "identity":
        values.pop("name_asked", None)
    kind = tries.pop("plate_of", None) if asked == "target" else None
    if kind and find_plate(str(value)) == value:  # the plate asked again after "修改车牌": still that vehicle's
        values["target"] = f"{kind}（{value}）"
    if asked == "target" and "location" in fields and not values.get("location") and find_place(value) == value:
        values["location"] = value  # "京港澳高速新乡服务区": who, and where
    elif asked == "target" and "location" in fields and not values.get("location") and (place := find_place(t)):
        rest = re.sub(r"[\W_]|的|在|是|司机|师傅", "", t.replace(place, "", 1).replace(value, "", 1))
        if not rest or tells_more(t) or _tells_misconduct(t, value):  # ("郑州东站出租车拒载": and what it did)
            values["location"] = place  # "郑州东站出租车", "出租车 在郑州东站": whom, and where
    if asked == "target" and "occurred_at" in fields and not values.get("occurred_at") and find_time(t):
        values["occurred_at"] = find_time(t)  # "就是上周 在郑州北收费站": who (and where), and when
    if asked == "target" and "facts" in fields and not values.get("facts") and value != NOT_GIVEN:
        core = COMPLAINT_WORD_RE.sub("", t)  # "投诉出租车": whom, not yet what happened
        # "計程車繞路", "豫A12345出租车拒载": whom, and what ("举报黑车" names whom only)
        if core != value and (tells_more(core) or _tells_misconduct(core, value)):
            values["facts"] = m.text.strip()[:2000]
    if asked != "caller_phone" and not values.get("caller_phone") and find_phone(t):
        values["caller_phone"] = find_phone(t)
    if asked in ("occurred_at", "location") and "facts" in fields and tells_more(t):
        _add_to_facts(values, m.text)  # "昨天晚上从火车站到机场多收了50": the time, and more of the story
    _the_other_of_time_and_place(values, asked, t, fields)
    if asked == "facts":  # "昨天晚上在新乡火车站拒载": the story already says when and where, as a first message would
        told = prefill(m.text)
        for name in ("occurred_at", "location"):
            if name in fields and not values.get(name) and told.get(name):
                values[name] = told[name]
        known, named = values.get("target"), told.get("target") or ""
        if known in GENERIC_TARGETS and known in named and named != known:
            values["target"] = named  # "公交车", then "12路公交车司机不等乘客坐稳就开车": which bus
        ongoing = ONGOING_RE.search(t)
        if ongoing and "occurred_at" in fields and not values.get("occurred_at"):
            values["occurred_at"] = ongoing.group(0)  # "一直都有": when is answered too ("一直")
    return True


def _the_other_of_time_and_place(values: dict, asked: str, t: str, fields) -> None:
    """ "昨晚十点 郑州东站" for when: the place too (when none or a coarser one was told); "昨天下午在金水路" for where:
    the time too (when none was told), and the place kept without the time."""
    if asked == "occurred_at" and "location" in fields:
        rest = re.sub(r"^[\s，,。]+|[\s，,。]+$", "", TIME_RE.sub(" ", normalize_digits(t)))
        place = only_a_place(rest) if rest and rest != t else None
        if place:
            _keep_finer(values, "location", place)  # ("火车站", then "昨天下午三点在郑州火车站西出口")
    if asked == "location" and "occurred_at" in fields and not values.get("occurred_at"):
        said = find_time(t)
        place = find_place(t) or only_a_place(TIME_RE.sub(" ", normalize_digits(t)))
        if said and place and values.get("location") not in (None, NOT_GIVEN):
            values["occurred_at"], values["location"] = said, place


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

    At any step: "算了 / 不投诉了" ends the form, a matter of 第十九条 ends it with the refusal and where to go
    instead, a correction of an earlier answer is applied, and a question is handed back (``Step.question``: the
    caller answers it, then asks ``Step.ask`` again) instead of being stored as an answer.
    A message that answers another question than the one asked (a phone, a time, a place, a plate, whom, "匿名" …)
    fills that one and the question is asked again (the handlers of ELSEWHERE, in order); any other message is the
    answer (``_store_answer``). A location the channel remembers (``metadata["location_label"]``) is offered
    ("是在…吗？"), never filled silently; times are resolved against ``now`` (China time; default: the clock)."""
    values = dict(values)
    metadata = metadata or {}
    tries = dict(tries or {})
    step = Step(values=values, tries=tries)
    t = normalize(text or "")
    goodbye = exit_reply(t) if not (asked in ("caller_phone", "demand") and _is_exact(t, NO_PHONE_EXITS)) else None
    # ("不用了" to the phone question is no phone: it cancelled a whole suggestion; to "您希望怎么处理？" it is no
    # particular demand: it cancelled a whole complaint, whose read-back still offers 取消)
    if goodbye:
        step.cancelled, step.reply = True, goodbye
        return step
    refused = refusal(t) if "target" in fields else None  # a suggestion about 信息公开 is still a suggestion
    if refused:
        step.rejected = refused[0]
        step.say.append(refused[1])
        return step
    if asked is not None:
        _note_own_vehicle(values, t)
    if asked is None:  # opening message
        values.update(
            {k: v for k, v in prefill(text or "", metadata).items() if k in fields}
        )  # raw: facts keep the caller's words
    elif asked == "confirm":
        step = _confirm(step, t, fields)
        _resolve_time(step.values, now)
        return step
    elif asked in fields:
        message = _Message(text or "", t, asked, tuple(fields))
        outcome = next((o for handle in ELSEWHERE if (o := handle(step, message)) is not None), None)
        if outcome == ASKED_AGAIN or (outcome is None and not _store_answer(step, message)):
            return step
    _resolve_time(values, now)
    _name_the_facility(values)
    step.ask = next_field(values, fields) or "confirm"
    if step.ask == "location":
        label = str(metadata.get("location_label") or "").strip()
        if label and label != values.get("location_offer"):
            values["location_offer"] = label
        step.offer = values.get("location_offer")
    return step


# Where the form waits for free text (what happened, what the caller wants, who, where), the caller's story may
# hold a question word without asking anything: reported speech ("司机问我要不要走高速"), an indefinite pronoun
# ("多少钱都没给我退"), a grievance ("为什么不让我过"), a demand ("能不能让他退钱").
FREE_TEXT_FIELDS = ("facts", "demand", "target", "location")
ASKING_END = ("？", "?", "吗", "嗎", "呢", "嘛", "么", "麼")
ASKING_START_RE = re.compile(r"^(?:请问|想问|问一下|问下|我想问|我想咨询|咨询一下|咨询)")
REPORTED_RE = re.compile(r"问我|问俺|问他|问她|问了|跟我说|对我说|说我|他说|她说|司机说|还说|说要|说是")
INDEFINITE_RE = re.compile(r"(?:什么|多少|哪儿|哪里|哪|谁|怎么)[^，,。？?]{0,5}(?:都|也)")
DEMAND_WORDS_RE = re.compile(r"退|赔|道歉|处理|处罚|罚|查处|管一管|管管|加强|整改|说法|吊销|开除|批评|教育")
PROCESS_ASKED_RE = re.compile(r"多久|多长时间|几天|几个工作日|怎么|如何|什么时候|哪里|流程|程序|规定")


def asks_question(text: str, asked: str | None = None) -> bool:
    """A question (the dialogue-act test, hotline.acts.is_question) the form hands back to be answered, weighed with
    what the form asked (``asked``): a short "don't know" ("记不清几点了") or a phone is an answer, and where free text
    is asked only a clear question is taken for one."""
    t = normalize(text or "")
    short = re.sub(r"[\W_]", "", t)
    if len(short) <= 12 and _has(t, DONT_KNOW):
        return False
    if asked == "demand" and NO_DEMAND_RE.fullmatch(short):  # "没什么要求": an answer, not "什么"
        return False
    if not is_question(t) or only_a_phone(t):
        return False
    if asked == "occurred_at" and only_a_time(t):  # "前几天": a time, not "how many days"
        return False
    if asked not in FREE_TEXT_FIELDS:
        return True
    plain = re.sub(r"[\s。！!.~～…,，、]+$", "", t)
    if plain.endswith(ASKING_END) or ASKING_START_RE.match(plain):
        return not (asked == "demand" and DEMAND_WORDS_RE.search(t) and not PROCESS_ASKED_RE.search(t))
    if asked == "demand" and DEMAND_WORDS_RE.search(t) and not PROCESS_ASKED_RE.search(t):
        return False  # "能不能让他退钱": what the caller wants
    return not (REPORTED_RE.search(t) or INDEFINITE_RE.search(t) or GRIEVANCE_TO_ME_RE.search(t))


def _note_own_vehicle(values: dict, text: str) -> None:
    """The caller's own plate, said at any step, is kept as a fact and never stays the 投诉对象."""
    mine = own_plate(text)
    if not mine:
        return
    values["own_vehicle"] = mine
    if str(values.get("target") or "").startswith(mine):
        values["target"] = None


def _named_field(text: str, fields) -> tuple[str, int] | None:
    """The field the message names first ("电话改成…" → caller_phone) and where its word ends."""
    best = None
    for name in fields:
        for word in FIELD_WORDS.get(name, ()):
            i = text.find(word)
            if i >= 0 and (best is None or i < best[1]):
                best = (name, i, i + len(word))
    return (best[0], best[2]) if best else None


def _denied_field(text: str, values: dict, fields) -> str | None:
    """The field whose present value the message says is wrong ("不是新乡东站，是新乡站" → location)."""
    for said in NOT_THIS_RE.findall(text):
        wrong = re.sub(r"^(?:而)?不是", "", said)
        if len(wrong) < 2:
            continue
        for name in sorted(fields, key=lambda f: f == "facts"):  # the caller's story mentions everything: last
            value = str(values.get(name) or "")
            if value and value not in (NOT_GIVEN, NO_PHONE) and (wrong in value or value in wrong):
                return name
    return None


def _new_value_text(text: str, start: int) -> str:
    """What a correction says the value is: after the field's word and the cue ("时间不对 应该是昨天晚上八点" →
    "昨天晚上八点"), without what it says the value is not ("应该是新乡站 不是新乡东站" → "新乡站")."""
    rest = NOT_THIS_RE.sub(" ", text[start:])
    rest = re.sub(r"^[\s，,。：:]+", "", rest)
    rest = MISTAKE_RE.sub("", rest)
    cue = VALUE_CUE_RE.search(rest)
    if cue and cue.start() <= 8:  # "说错了，是…", "改成…", "号码改一下 …"
        rest = rest[cue.end() :]
    rest = MISTAKE_RE.sub("", re.sub(r"^[\s，,。：:]+", "", rest))
    return re.sub(r"[\s，,。！!~～]+$", "", rest).strip()


def _kind_of(value: str, fields) -> str | None:
    """The field a bare new value belongs to ("改成上周五下午" → occurred_at)."""
    checks = (
        ("caller_phone", lambda v: bool(find_phone(v))),
        ("identity", lambda v: _has(v, ANONYMOUS + REAL_NAME) or bool(re.match(r"(?:我叫|姓名)", v))),
        ("target", lambda v: bool(find_plate(v))),
        ("occurred_at", lambda v: bool(find_time(v))),
        ("location", lambda v: bool(find_place(v) or (len(v) <= 20 and PLACE_END_RE.search(v)))),
    )
    return next((name for name, test in checks if name in fields and value and test(value)), None)


def _verified(name: str, value: str) -> bool:
    """The new value is recognisably of the field's kind (so that a mid-form answer is not taken for a correction)."""
    return {
        "caller_phone": lambda v: bool(find_phone(v)),
        "occurred_at": lambda v: bool(find_time(v)),
        "target": lambda v: bool(find_plate(v) or find_target(v)),
        "location": lambda v: bool(find_place(v) or (len(v) <= 20 and PLACE_END_RE.search(v))),
        "identity": lambda v: _identity(v)[0] is not None,
    }.get(name, lambda v: False)(value)


def _correct(step: Step, text: str, fields, asked: str | None = None) -> bool:
    """Apply a correction of an earlier answer, at the read-back (``asked`` None) or mid-form; False when the message
    is none. A correction whose new value is not said ("修改地点") clears the field, so that it is asked again."""
    values = step.values
    named = _named_field(text, fields)
    cue = CORRECTION_RE.search(text)
    if named:
        name, start = named
    else:
        name, start = _denied_field(text, values, fields), 0
        if name is None and cue:
            name = _kind_of(_new_value_text(text, 0), fields)
        if name is None:
            return False
    if asked is None and not (cue or not is_question(text) or _denied_field(text, values, fields)):
        return False  # "投诉以后多长时间给我答复啊？" names 时间 but asks a question
    new_text = _new_value_text(text, start)
    if asked is not None:  # mid-form: only a clear change of another field's answer is a correction
        redo = name == asked and REDO_RE.match(normalize(text).strip())
        if (name == asked and not redo) or not (cue or redo or named is None):
            return False  # the field asked, named in its answer ("地点是人民路站"), unless asked to be redone
        brief = len(re.sub(r"[\W_]", "", text)) <= 8  # "地点不对", "电话错了"
        said_wrong = redo or CHANGE_RE.search(text) or (cue and (EARLIER_RE.search(text) or brief))
        if not said_wrong and not (new_text and _verified(name, new_text)):
            return False
    if name == "identity":
        value = (new_text and _identity(new_text)[0]) or _identity(text)[0]
    elif name == "caller_phone" and _has(text, NO_PHONE_WORDS):
        value = NO_PHONE  # "不留电话" at the read-back: no phone, not the phone asked again
    elif new_text:
        value, _ = _interpret(name, new_text, {k: v for k, v in values.items() if k != "location_offer"})
        if name == "caller_phone" and value is None:
            value = find_phone(NOT_THIS_RE.sub(" ", text))
        if name == "occurred_at" and value is not None and not find_time(value) and len(new_text) > 12:
            value = None
    else:
        value = None
    label = LABELS.get(name, name)
    if value and value not in (NOT_GIVEN,) or (value == NOT_GIVEN and name in OPTIONAL):
        old = str(values.get(name) or "")
        if name == "target" and find_plate(str(value)) == value:  # "车牌说错了 是豫A66686": still the 出租车
            old_plate = find_plate(old)
            if old_plate:  # "出租车（豫A8K888）": the plate replaced, the kind kept
                value = old.replace(old_plate, value)
            else:
                kind = next((k for k in VEHICLES if old.endswith(k)), "")
                value = f"{value}{kind}"
        if name in ("facts", "demand") and old and SUPPLEMENT_RE.search(text):  # "再补充一下经过：…" adds
            value = f"{old}；{value}"[:2000]
            step.say.append(f"已补充{label}：{new_text}")
        else:
            step.say.append(f"已将{label}改为：{display(name, value)}")
        values[name] = value
    else:
        if asked is not None and not (EARLIER_RE.search(text) or len(re.sub(r"[\W_]", "", text)) <= 10):
            return False
        old = str(values.get(name) or "")
        old_plate = find_plate(old) if name == "target" and "车牌" in text else None
        if old_plate and (kind := re.sub(rf"[（(]?{re.escape(old_plate)}[）)]?", "", old).strip()):
            step.tries["plate_of"] = kind  # "修改车牌" of 出租车（豫A8K888）: the new plate is that taxi's
        values[name] = None
        if asked is not None:
            step.say.append(f"好的，我们重新填写{label}。")
    step.ask = next_field(values, fields) or "confirm"
    return True


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
    """The answer to the read-back: confirm, a correction of any field, a question (answered, then the read-back
    again), or cancel."""
    if _is_exact(text, YES):
        step.done = True
        return step
    plain = not CORRECTION_RE.search(text) and not _named_field(text, fields)
    if plain and _has(text, CONFIRM_WORDS) and not is_question(text):
        step.done = True  # "好的 确认", "没问题，提交吧"
        return step
    if RESTART_RE.fullmatch(re.sub(r"[\W_]", "", text)):
        _start_over(step, fields)
        return step
    if _correct(step, text, fields):
        return step
    if _is_exact(text, ("不对", "修改", "改", "改一下", "要改", "有错", "不对不对", "错了")):
        step.say.append("请告诉我要修改哪一项，例如“修改电话”“地点改成新乡东站”。")
        step.ask = "confirm"
        return step
    if only_a_phone(text) and "caller_phone" in fields:
        step.values["caller_phone"] = only_a_phone(text)
        step.say.append(f"已将联系电话改为：{step.values['caller_phone']}")
        step.ask = "confirm"
        return step
    if asks_question(text):
        step.question, step.ask = text.strip(), "confirm"
        return step
    if _is_exact(text, NO) or _has(text, ("取消", "不提交", "不投诉")):
        step.cancelled = True
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
    if values.get("own_vehicle") and "target" in fields:  # said, understood, and not taken for the object
        lines.append(f"您的车辆：{values['own_vehicle']}（作为事实记录）")
    lines.append("确认无误请回复“确认”；需要更正请回复“修改+项目”（如“修改电话”）；不提交请回复“取消”。")
    return "\n".join(lines)


# the caller's own number told inside the story ("…要求严肃处理 电话13812340000"), with the words that name it
_PHONE_TOLD_RE = re.compile(
    r"[，,。；;\s]*(?:我的|本人)?(?:联系)?(?:电话|手机号?码?|手机|联系方式)?(?:是|：|:)?\s*"
    r"(?<!\d)1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}(?!\d)"
)


def without_callers_phone(facts: str, phone: str) -> str:
    """What happened without the caller's own number in it: it is the order's contact field, kept from the party
    complained about, who may read what happened; another number told (the driver's) stays, as evidence."""

    def drop(match: re.Match) -> str:
        return "" if re.sub(r"\D", "", match.group(0)) == phone else match.group(0)

    return _PHONE_TOLD_RE.sub(drop, facts).strip() if phone else facts


def to_order(values: dict, kind: str, caller_user: str, channel: str, region: str = "") -> dict:
    """The work-order fields of a confirmed intake (for work_orders.service.WorkOrders.create)."""
    facts = without_callers_phone(str(values.get("facts") or ""), str(values.get("caller_phone") or ""))
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
        "title": summary_title(str(values.get("target") or ""), facts),
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
