"""Generated, realistic content of a city 12345 hotline: knowledge-base articles and transferred work orders.

Deterministic for a seed, so tests and benchmarks see the same data every time.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

CITIES = [
    ("河南省", "郑州市", ["金水区", "二七区", "中原区", "管城回族区"]),
    ("河南省", "洛阳市", ["西工区", "涧西区", "洛龙区"]),
    ("河南省", "新乡市", ["红旗区", "卫滨区", "牧野区"]),
    ("河南省", "焦作市", ["解放区", "山阳区"]),
    ("江苏省", "南京市", ["玄武区", "秦淮区", "鼓楼区"]),
    ("江苏省", "苏州市", ["姑苏区", "吴中区", "工业园区"]),
    ("浙江省", "杭州市", ["上城区", "西湖区", "滨江区"]),
    ("浙江省", "宁波市", ["海曙区", "鄞州区"]),
    ("广东省", "广州市", ["越秀区", "天河区", "白云区"]),
    ("广东省", "深圳市", ["福田区", "南山区", "宝安区"]),
    ("四川省", "成都市", ["锦江区", "武侯区", "成华区"]),
    ("湖北省", "武汉市", ["江岸区", "武昌区", "洪山区"]),
    ("湖南省", "长沙市", ["芙蓉区", "岳麓区", "雨花区"]),
    ("山东省", "济南市", ["历下区", "市中区", "槐荫区"]),
    ("山东省", "青岛市", ["市南区", "黄岛区", "崂山区"]),
    ("陕西省", "西安市", ["雁塔区", "未央区", "碑林区"]),
    ("安徽省", "合肥市", ["蜀山区", "包河区", "庐阳区"]),
    ("福建省", "厦门市", ["思明区", "湖里区"]),
    ("河北省", "石家庄市", ["长安区", "桥西区"]),
    ("山西省", "太原市", ["小店区", "迎泽区"]),
    ("江西省", "南昌市", ["东湖区", "红谷滩区"]),
    ("辽宁省", "沈阳市", ["和平区", "沈河区"]),
    ("吉林省", "长春市", ["朝阳区", "南关区"]),
    ("云南省", "昆明市", ["五华区", "盘龙区"]),
    ("贵州省", "贵阳市", ["南明区", "观山湖区"]),
    ("广西壮族自治区", "南宁市", ["青秀区", "兴宁区"]),
]
ROADS = [
    "G4京港澳高速",
    "G30连霍高速",
    "G107国道",
    "G310国道",
    "S227省道",
    "S312省道",
    "G1512甬金高速",
    "G15沈海高速",
    "G60沪昆高速",
    "G55二广高速",
    "S88郑焦高速",
    "G207国道",
]
STATIONS = [
    "火车站",
    "汽车客运总站",
    "市民中心",
    "人民医院",
    "体育中心",
    "大学城",
    "高铁东站",
    "会展中心",
    "老城区",
    "经济开发区",
    "植物园",
    "科技园",
]
COMPANIES = ["顺达", "通程", "安驰", "恒运", "众诚", "鑫运", "远航", "畅行"]
FEES = ["3", "5", "8", "10", "12", "15", "20", "30"]
MONTHS = list(range(1, 13))
STREETS = [
    "人民路",
    "建设路",
    "解放路",
    "中山路",
    "文化路",
    "花园路",
    "长江路",
    "黄河路",
    "新华路",
    "胜利路",
    "和平路",
    "友谊路",
    "工业路",
    "迎宾大道",
    "滨河路",
    "朝阳路",
    "光明路",
    "东风路",
    "青年路",
    "学府路",
]
UNITS = ["交通运输局", "城市管理局", "公交集团", "道路运输服务中心", "交通运输综合行政执法支队", "港航事业发展中心"]
# a closing paragraph of where and when to get help, as 12345 articles usually end
SERVICE_NOTES = [
    "办理地点：{district}{street}{no}号{unit}服务大厅{m}号窗口，工作日9:00—12:00、13:30—17:30。",
    "咨询电话：0{area}-{tel}（工作日），或拨打12345转{n}号键。",
    "本条目由{city}{unit}提供，最近一次核实时间为{date}。",
    "线上办理：登录“{city}政务服务网”或“{prov}政务服务”APP，搜索“{topic}”即可，全程网办、不见面审批。",
    "材料不齐全的，工作人员将一次性告知需补正的全部内容；办理进度可通过{city}政务服务短信{n}{m}{n}查询。",
]


def _date(rng: random.Random, year: int = 2026) -> str:
    return f"{year}年{rng.choice(MONTHS)}月{rng.randint(1, 28)}日"


# (domain, kind, tags, title template, body templates). Placeholders: {city} {district} {prov} {road} {n} {m}
# {station} {station2} {company} {fee} {date} {date2} {hour} {km}
TOPICS = [
    (
        "城市客运",
        "policy",
        ["公交", "线路调整"],
        "关于{city}公交{n}路线路优化调整的公告",
        [
            "为方便{district}居民出行，自{date}起，{city}公交{n}路调整走向，增设{station}、{station2}两个站点，"
            "首班车时间调整为{hour}:30，末班车时间为21:{m}0。",
            "调整后全程约{blen}公里，票价维持{fee}元不变，可使用公交卡、交通联合卡及手机扫码乘车。",
            "市民如有疑问，可拨打12345政务服务便民热线或公交集团服务电话咨询。",
        ],
    ),
    (
        "城市客运",
        "faq",
        ["老年卡", "公交卡"],
        "{city}老年人免费乘车卡如何办理？",
        [
            "年满65周岁的{city}户籍老年人，可持本人身份证到各区公交卡服务网点办理老年人免费乘车卡，{district}网点位于{station}附近。",
            "年满60周岁未满65周岁的老年人可办理优惠卡，乘坐公交享受{fee}折优惠。办理时需现场采集照片，一般{n}个工作日内制卡完成。",
            "外地户籍老年人持{city}居住证满一年，也可申请办理。",
        ],
    ),
    (
        "城市客运",
        "faq",
        ["出租车", "计价"],
        "{city}出租汽车收费标准是多少？",
        [
            "{city}巡游出租汽车起步价{fee}元（含{n}公里），超过起步里程后每公里{m}.{n}元，单程载客超过{blen}公里的部分加收空驶费。",
            "夜间（23:00至次日5:00）每公里加价20%。乘客有权索要出租汽车发票，司机拒绝打票、不打表或绕路的，可记下车牌号拨打12345或12328投诉。",
        ],
    ),
    (
        "城市客运",
        "faq",
        ["网约车", "资质"],
        "{city}网约车驾驶员证怎么办理？",
        [
            "申请{city}网络预约出租汽车驾驶员证，应取得相应准驾车型机动车驾驶证并具有3年以上驾驶经历，无交通肇事犯罪、危险驾驶犯罪记录，"
            "无吸毒记录，最近连续3个记分周期内没有记满12分记录。",
            "申请人可通过交通运输部门政务服务平台报名参加全国公共科目和{city}区域科目考试，考试合格后{n}个工作日内发证。",
        ],
    ),
    (
        "城市客运",
        "policy",
        ["地铁", "运营时间"],
        "{city}地铁{n}号线{date}起延长运营时间",
        [
            "为满足市民夜间出行需求，{city}地铁{n}号线自{date}起每周五、周六延长运营时间，末班车由{station}站22:{m}0开出，"
            "延长至23:{m}0。",
            "其他线路运营时间不变。具体列车时刻以车站公告为准，乘客可通过官方APP查询实时到站信息。",
        ],
    ),
    (
        "城市客运",
        "faq",
        ["共享单车", "停放"],
        "{city}共享单车乱停放怎么反映？",
        [
            "市民发现共享单车在盲道、消防通道或地铁出入口乱停放的，可通过12345热线或{city}城市管理服务平台反映，"
            "运营企业须在{n}小时内清理。",
            "骑行人应在{district}划定的非机动车停放区内停车，违规停放的将被记录信用分。",
        ],
    ),
    (
        "道路运输",
        "faq",
        ["道路运输证", "年审"],
        "{prov}道路运输证年审需要什么材料？",
        [
            "{prov}营运车辆道路运输证实行年度审验，车辆所有人可通过“{prov}交通运输政务服务”平台网上办理，无需到窗口。",
            "需提供车辆综合性能检测报告（二级维护记录）、车辆技术等级评定结论及卫星定位装置在线情况。"
            "{date}起，总质量4.5吨及以下普通货运车辆不再配发道路运输证。",
        ],
    ),
    (
        "道路运输",
        "faq",
        ["从业资格证", "货车司机"],
        "货车司机从业资格证到期了怎么换证？",
        [
            "道路运输从业人员从业资格证有效期为6年，持证人应在有效期届满30日前申请换证。",
            "{prov}已实现从业资格证换证“跨省通办”，驾驶员可通过“运政通”APP或{city}道路运输服务中心窗口办理，"
            "材料齐全的当场办结。继续教育可在网上完成，累计不少于{n}学时。",
        ],
    ),
    (
        "道路运输",
        "policy",
        ["危险货物", "通行"],
        "{city}危险货物运输车辆限行规定",
        [
            "为加强城区道路交通安全管理，{city}在{district}等城区道路每日7:00至20:00禁止危险货物运输车辆通行，"
            "确需通行的须提前{n}个工作日向公安交管部门申请通行证。",
            "危险货物运输车辆应按规定安装卫星定位装置并保持在线，驾驶员和押运员须持证上岗。",
        ],
    ),
    (
        "道路运输",
        "faq",
        ["客运站", "退票"],
        "{city}汽车客运站购票后怎么退票？",
        [
            "在{city}{station}等客运站购买的汽车票，班车开车前2小时以上退票收取票价10%的退票费，2小时以内收取20%，"
            "开车后不予退票。",
            "网上购票的可在原购票渠道办理退票，退款{n}个工作日内原路返回。因客运站原因停班的全额退款。",
        ],
    ),
    (
        "道路运输",
        "faq",
        ["驾校", "退费"],
        "在{city}学车中途退学，学费能退吗？",
        [
            "根据{prov}机动车驾驶员培训合同示范文本，学员中途退学的，驾校应按未完成的培训学时比例退还培训费用。",
            "已开具发票的按发票金额计算。学员与驾校协商不成的，可向{city}交通运输局或拨打12328反映。",
        ],
    ),
    (
        "公路",
        "policy",
        ["施工", "交通管制"],
        "{road}{district}段{date}起半幅封闭施工",
        [
            "因路面大修工程需要，{road}{city}{district}段K{km}+{m}00至K{km}+{n}00自{date}至{date2}实行半幅封闭施工，"
            "双向车辆借对向车道通行，限速40公里/小时。",
            "请过往车辆提前规划路线，货车可经{road}绕行。施工期间如遇恶劣天气将顺延，具体以现场交通标志为准。",
        ],
    ),
    (
        "公路",
        "faq",
        ["绿色通道", "鲜活农产品"],
        "运输鲜活农产品走高速免费吗？",
        [
            "整车合法装载运输《鲜活农产品品种目录》内产品的车辆，通行高速公路免收车辆通行费。",
            "车辆须办理ETC并在{prov}“绿通”预约系统提前预约，出口查验合格后免费放行。混装其他货物超过车辆核定载质量或车厢容积20%的，"
            "不享受免费政策。",
        ],
    ),
    (
        "公路",
        "faq",
        ["ETC", "通行费"],
        "ETC扣费异常怎么处理？",
        [
            "ETC用户发现通行费扣费异常的，可通过发行方客服电话、“{prov}高速ETC”公众号或{city}ETC服务网点申请复核。",
            "经核实属多扣费的，{n}个工作日内退还。也可拨打12328交通运输服务监督热线反映。",
        ],
    ),
    (
        "公路",
        "policy",
        ["节假日", "免费通行"],
        "{date}小型客车高速公路免费通行时间",
        [
            "按照国务院有关规定，重大节假日期间7座以下（含7座）小型客车免收高速公路车辆通行费。",
            "免费时段以车辆驶离出口收费车道的时间为准。{prov}高速公路{n}个收费站将增开收费车道，请大家错峰出行。",
        ],
    ),
    (
        "公路",
        "faq",
        ["超限", "治超"],
        "货车超限超载会受到什么处罚？",
        [
            "货车违法超限运输的，由公路管理机构责令改正，按超限程度处以罚款，最高可处{n}万元。",
            "{prov}对严重违法失信超限超载的货车、驾驶人和运输企业实施联合惩戒。货车司机可在{city}超限检测站免费复检。",
        ],
    ),
    (
        "水路",
        "policy",
        ["轮渡", "停航"],
        "{city}轮渡{date}因大风停航的通知",
        [
            "受冷空气影响，{date}{city}沿江（海）将出现6至7级大风，为确保航行安全，{station}至{station2}轮渡航线自{hour}:00起停航。",
            "恢复时间另行通知。已购票旅客可全额退票，请关注{city}港航部门发布的最新信息。",
        ],
    ),
    (
        "水路",
        "faq",
        ["客船", "船票"],
        "{city}客运码头船票如何购买？",
        [
            "{city}客运码头船票可通过官方小程序、码头售票窗口购买，需实名登记，{n}周岁以下儿童免票但须登记身份信息。",
            "开航前{m}0分钟停止检票，请旅客提前到达。遇恶劣天气停航的，可办理免费退票或改签。",
        ],
    ),
    (
        "综合",
        "faq",
        ["12345", "办理时限"],
        "拨打12345反映的问题多久能办结？",
        [
            "{city}12345政务服务便民热线对市民诉求实行分类办理：咨询类问题即时答复，不能即时答复的{n}个工作日内答复；"
            "求助类{m}个工作日内办结；投诉举报类15个工作日内办结。",
            "情况复杂的经批准可延期，承办单位应告知市民延期理由。",
        ],
    ),
    (
        "综合",
        "faq",
        ["12345", "12328", "转办"],
        "交通运输方面的问题打12345还是12328？",
        [
            "交通运输服务方面的咨询、投诉举报和意见建议，可拨打12328交通运输服务监督热线，也可拨打{city}12345热线。",
            "12345受理的交通运输类诉求，将按规定转交12328热线或交通运输主管部门办理，办理结果同步反馈，群众无需重复反映。",
        ],
    ),
    (
        "综合",
        "policy",
        ["停车", "收费"],
        "{city}{district}道路停车收费标准调整公告",
        [
            "经{city}发展改革委批准，自{date}起{district}城市道路临时停车泊位实行分时段收费：白天首小时{fee}元，之后每小时{n}元；"
            "夜间每次{m}元。",
            "新能源汽车首小时免费。缴费可使用“{city}停车”APP，逾期未缴的将被记入信用记录。",
        ],
    ),
]

ORDER_TEMPLATES = [
    (
        "complaint",
        "城市客运",
        "出租车拒载",
        "{date}晚上{hour}点左右，我在{city}{station}打车，车牌号{plate}的出租车司机问了目的地后拒载，"
        "说不顺路。希望有关部门核实处理。",
        "{plate}出租车",
    ),
    (
        "complaint",
        "城市客运",
        "网约车绕路多收费",
        "{date}我乘坐{company}网约车从{station}到{station2}，平时{fee}元左右，"
        "这次司机故意绕路收了{fee2}元，和平台客服联系没有结果。要求退还多收的费用。",
        "{company}网约车平台",
    ),
    (
        "complaint",
        "城市客运",
        "公交车不按站停靠",
        "{city}公交{n}路车在{station}站经常不停车，{date}早上{hour}点多我在站台招手也没停，"
        "导致上班迟到。请公交公司加强管理。",
        "{city}公交{n}路",
    ),
    (
        "complaint",
        "道路运输",
        "客运站退票收费不合理",
        "我在{city}汽车客运总站买的票，开车前3个小时退票被收了50%的手续费，客运站说是规定。我认为收费过高，请核实。",
        "{city}汽车客运总站",
    ),
    (
        "complaint",
        "公路",
        "高速服务区加油站乱收费",
        "{date}我开货车经过{road}服务区，加油站加柴油价格比标价高出每升{n}毛，还不给开发票。车牌{plate}的就是我的车。",
        "{road}服务区加油站",
    ),
    (
        "complaint",
        "道路运输",
        "驾校拒不退费",
        "我在{city}{company}驾校报名学车，交了{fee2}元，科目一还没考就因工作调动要退学，"
        "驾校说一分都不退。请求按规定退费。",
        "{company}驾校",
    ),
    (
        "suggestion",
        "城市客运",
        "建议增开夜班公交",
        "{city}{district}到{station}晚上9点以后就没有公交了，很多上夜班的人回家不方便，建议增开夜班公交线路。",
        "",
    ),
    (
        "suggestion",
        "公路",
        "建议增设限速标志",
        "{road}{city}段K{km}附近是急弯，经常出事故，建议增设限速标志和减速带。",
        "",
    ),
    (
        "consultation",
        "道路运输",
        "货车道路运输证年审",
        "我的货车是4.5吨以下的，道路运输证还需要年审吗？在{city}哪里办理？",
        "",
    ),
    ("consultation", "公路", "绿通车免费政策", "运输西瓜走{road}能免费吗？需要什么手续？", ""),
    # not 12328's matters (第三条): returned to 12345 with the reason (第十九条)
    (
        "complaint",
        "铁路",
        "高铁晚点退票",
        "{date}我乘坐的高铁晚点两个多小时，要求铁路部门赔偿，12306一直没有答复。",
        "铁路客运",
    ),
    (
        "complaint",
        "民航",
        "航班延误未安排住宿",
        "{date}从{city}起飞的航班延误到第二天，航空公司没有安排住宿。",
        "航空公司",
    ),
    ("complaint", "邮政", "快递丢件", "在{company}快递寄的包裹丢了，快递公司只愿意赔运费的3倍。", "{company}快递"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "国强",
]
PROVINCE_ABBR = {
    "河南省": "豫",
    "江苏省": "苏",
    "浙江省": "浙",
    "广东省": "粤",
    "四川省": "川",
    "湖北省": "鄂",
    "湖南省": "湘",
    "山东省": "鲁",
    "陕西省": "陕",
    "安徽省": "皖",
    "福建省": "闽",
    "河北省": "冀",
    "山西省": "晋",
    "江西省": "赣",
    "辽宁省": "辽",
    "吉林省": "吉",
    "云南省": "云",
    "贵州省": "贵",
    "广西壮族自治区": "桂",
}


def _fill(rng: random.Random, city) -> dict:
    prov, name, districts = city
    a, b = rng.sample(STATIONS, 2)
    return {
        "prov": prov,
        "city": name,
        "district": rng.choice(districts),
        "road": rng.choice(ROADS),
        "n": rng.randint(1, 9),
        "m": rng.randint(1, 5),
        "km": rng.randint(3, 380),
        "blen": rng.randint(8, 35),
        "station": a,
        "station2": b,
        "company": rng.choice(COMPANIES),
        "fee": rng.choice(FEES),
        "fee2": rng.choice(["68", "95", "120", "3800"]),
        "date": _date(rng),
        "date2": _date(rng, 2027),
        "hour": rng.choice(["6", "7", "8", "9"]),
        "street": rng.choice(STREETS),
        "no": rng.randint(1, 399),
        "unit": rng.choice(UNITS),
        "area": rng.randint(10, 999),
        "tel": rng.randint(2000000, 89999999),
        "plate": PROVINCE_ABBR.get(prov, "豫") + rng.choice("ABCDEFG") + f"{rng.randint(10000, 99999)}",
    }


def article(seq_no: int, rng: random.Random) -> dict:
    """One article of the 12345 KB (without seq and version: the store adds them)."""
    domain, kind, tags, title_t, body_t = TOPICS[seq_no % len(TOPICS)]
    city = CITIES[(seq_no // len(TOPICS)) % len(CITIES)]
    values = _fill(rng, city)
    title = title_t.format(**values)
    values["topic"] = tags[0]
    notes = rng.sample(SERVICE_NOTES, 2)
    body = "\n".join([p.format(**values) for p in body_t] + [n.format(**values) for n in notes])
    region = values["prov"] + values["city"] if "{prov}" not in title_t else values["prov"]
    return {
        "id": f"ZSK{seq_no + 1:07d}",
        "owner": "12345",
        "deleted": False,
        "title": title,
        "body": body,
        "kind": kind,
        "domain": domain,
        "region": region,
        "tags": list(tags),
        "source": f"{values['city']}12345政务服务便民热线",
        "effective_from": None,
        "expires_at": None,
        "urgent": False,
    }


def articles(count: int, seed: int = 12345) -> list[dict]:
    rng = random.Random(seed)
    return [article(i, rng) for i in range(count)]


def edited(art: dict, rng: random.Random, stamp: str) -> dict:
    """A realistic revision: a sentence added or a figure changed."""
    new = dict(art)
    new["body"] = (
        art["body"]
        + f"\n（{stamp}更新）"
        + rng.choice(
            [
                "咨询电话调整为12345转{n}号键。",
                "办理地点迁至市民中心{n}楼{m}号窗口。",
                "本政策执行期延长至2027年底。",
                "网上办理入口已整合至“一网通办”平台。",
                "节假日期间服务时间为9:00至17:00。",
            ]
        ).format(n=rng.randint(1, 9), m=rng.randint(1, 30))
    )
    return new


def orders(count: int, seed: int = 12345, start: int = 1) -> list[dict]:
    """Work orders 12345 transfers to 12328 (TransferOrder in sync/protocol.openapi.yaml)."""
    rng = random.Random(seed * 7 + start)
    now = datetime.now(UTC)
    out = []
    for i in range(start, start + count):
        order_type, domain, title, facts_t, target_t = ORDER_TEMPLATES[rng.randrange(len(ORDER_TEMPLATES))]
        city = rng.choice(CITIES)
        values = _fill(rng, city)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        out.append(
            {
                "id": f"12345-{now:%Y%m%d}-{i:06d}",
                "type": order_type,
                "domain": domain,
                "title": title,
                "content": facts_t.format(**values),
                "target": target_t.format(**values),
                "region": values["prov"] + values["city"],
                "location": f"{values['city']}{values['district']}",
                "caller_name": name,
                "caller_phone": f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                "anonymous": rng.random() < 0.1,
                "received_at": (now - timedelta(minutes=rng.randint(5, 600))).isoformat(),
            }
        )
    return out
