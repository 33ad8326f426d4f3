"""Request/response schemas: they validate input and generate /api/openapi.json."""

from __future__ import annotations

import math

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import make_schema_key, resolve_schema_instance
from marshmallow import Schema as MarshmallowSchema
from marshmallow import ValidationError
from werkzeug.routing import IntegerConverter

from knowledge_base.editing import KINDS, MAX_BODY
from knowledge_base.models import DOMAINS, GAP_KINDS, GAP_STATUSES, STATUSES, TERM_STATUSES

# Database ids and versions are INTEGER columns (32-bit on PostgreSQL): no integer beyond this reaches the DB.
INT32_MAX = 2**31 - 1
# Exactly what str.strip() removes (str.isspace()), spelled out so that the schema's regex means the same in
# every engine (Python's and ECMA's \s differ on a few characters such as U+001C and U+FEFF).
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
NOT_BLANK = f"^[{WHITESPACE}]*[^{WHITESPACE}]"


def _up_to(limit: int) -> str:
    """A regex for the decimal numbers 0..limit (ASCII digits, up to as many digits as limit has)."""
    digits = str(limit)
    parts = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, d in enumerate(digits):
        rest = len(digits) - i - 1
        low = 1 if i == 0 and len(digits) > 1 else 0  # the shorter numbers are the first part
        if int(d) > low:
            parts.append(f"{digits[:i]}[{low}-{int(d) - 1}][0-9]{{{rest}}}")
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class Int32Converter(IntegerConverter):
    """`<int:id>` in a URL: 0..2^31-1. A larger number matches no route (404) instead of overflowing the
    database's INTEGER column (a 500 on SQLite beyond 2^63, on PostgreSQL beyond 2^31)."""

    regex = _up_to(INT32_MAX)  # in the regex, not only in to_python: else another method's rule answers 405

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(map, *args, **kwargs)


class StrictBoolean(Boolean):
    """JSON true/false only: marshmallow's Boolean also takes 0, 1, "yes", "on", which the schema does not allow."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class FormBoolean(Boolean):
    """A boolean in a form field: the strings "true" and "false" (a form carries no JSON types)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise self.make_error("invalid", input=value)


def IdField(minimum: int = 1, **kwargs) -> Integer:
    """A database id or version in a JSON body: a true integer within the INTEGER column's range."""
    return Integer(strict=True, validate=Range(minimum, INT32_MAX), **kwargs)


def IdQuery(minimum: int = 0, **kwargs) -> Integer:
    """A database id in a query string (text, so not strict), within the INTEGER column's range."""
    return Integer(validate=Range(minimum, INT32_MAX), **kwargs)


def bounded_numbers(value, _key: str = "") -> None:
    """Every number inside a free-form JSON value is finite and every integer fits an INTEGER column; an id
    (a key ending in `_id`) is a positive integer."""
    if isinstance(value, dict):
        for key, item in value.items():
            bounded_numbers(item, str(key))
    elif isinstance(value, list):
        for item in value:
            bounded_numbers(item, _key)
    elif (
        _key.endswith("_id")
        and value is not None
        and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT32_MAX)
    ):
        raise ValidationError(f"{_key} 须为 1 到 {INT32_MAX} 之间的整数")
    elif isinstance(value, int) and not isinstance(value, bool) and not -INT32_MAX <= value <= INT32_MAX:
        raise ValidationError(f"整数须在 ±{INT32_MAX} 之间")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("数值须为有限数")


def text_field(max_length: int, description: str) -> String:
    """User text: 1..max_length characters, not only whitespace (the view strips it)."""
    return String(
        required=True,
        validate=[
            Length(min=1, error="请输入内容"),
            Length(max=max_length, error="内容过长，请控制在{max}字以内"),
            Regexp(NOT_BLANK, error="请输入内容"),
        ],
        metadata={"description": description},
    )


def sender_field() -> String:
    return String(
        required=True,
        validate=[Length(1, 64), Regexp(r"^[A-Za-z0-9_.\-]+$", error="sender 只能包含字母、数字、下划线、点和短横线")],
        metadata={"description": "Stable random id of the web visitor (stored in the browser)."},
    )


class ChatIn(Schema):
    sender = sender_field()
    text = text_field(2000, "What the user typed (1..2000 characters, not only whitespace).")


class Button(Schema):
    title = String(required=True)
    payload = String(required=True)


class Reply(Schema):
    text = String(required=True)
    buttons = List(Nested(Button), required=True)
    image = String()


class Intent(Schema):
    name = String(allow_none=True)
    confidence = Float()


class Source(Schema):
    article_id = Integer(required=True)
    title = String(required=True)
    score = Float(required=True)
    citation = String()


class WorkOrder(Schema):
    number = String(required=True)
    type = String()
    state = String()
    deadline = String(metadata={"description": "最迟答复时间，ISO 8601，北京时间（如 2026-10-21T23:59:59+08:00）"})
    deadline_text = String(
        metadata={
            "description": "同一期限的文字说明，如“10月21日（周三）前答复（转办后N个工作日内，管理办法第二十三条）”"
        }
    )


class HandoffState(Schema):
    """The user's open handoff to a human operator (人工客服), if any."""

    id = Integer(required=True)
    state = String(required=True, metadata={"description": "queued（排队中）/ taken（人工服务中）"})
    position = Integer(allow_none=True, metadata={"description": "排队位置（排队中时）"})


class ChatOut(Schema):
    replies = List(Nested(Reply), required=True)
    intent = Nested(Intent, required=True)
    sources = List(Nested(Source), required=True)
    work_order = Nested(WorkOrder, allow_none=True)
    handoff = Nested(
        HandoffState,
        allow_none=True,
        metadata={"description": "进行中的转人工会话；此时消息转给人工客服，页面轮询 /api/chat/updates"},
    )


class UpdatesQuery(Schema):
    sender = sender_field()
    after = IdQuery(load_default=0, metadata={"description": "上次收到的最后一条消息 id"})


class OperatorMessage(Schema):
    id = Integer(required=True)
    who = String(required=True, metadata={"description": "operator（人工客服）/ system（系统消息）"})
    label = String(required=True, metadata={"description": "显示名：人工客服 / 系统消息"})
    text = String(required=True)
    at = String(required=True)


class UpdatesOut(Schema):
    messages = List(Nested(OperatorMessage), required=True)
    handoff = Nested(HandoffState, allow_none=True)


class SearchQuery(Schema):
    q = String(required=True, validate=Length(1, 500), metadata={"description": "The question."})
    k = Integer(load_default=5, validate=Range(1, 20))
    region = String(
        validate=Length(1, 50),
        metadata={
            "description": "用户所在地区（问句中提到的地点优先）：返回全国或该地区适用的文章；"
            "其他地区的文章只在匹配度达到答复阈值时返回，排序靠后，region_applies 为 false"
        },
    )
    domain = String(validate=Length(1, 20), metadata={"description": "业务领域过滤"})
    tag = String(validate=Length(1, 30), metadata={"description": "标签过滤"})


class SearchHit(Schema):
    article_id = Integer(required=True)
    title = String(required=True)
    source = String(required=True)
    citation = String()
    score = Float(required=True)
    snippet = String(required=True)
    region = String()
    region_applies = Boolean(
        metadata={
            "description": "文章地区是否适用（否：其他地区的文章，匹配度达到答复阈值才返回，答复时须注明适用地区）"
        }
    )


class SearchOut(Schema):
    hits = List(Nested(SearchHit), required=True)


class ErrorDetail(Schema):
    code = String(required=True)
    message = String(required=True)
    details = Dict()


class ErrorOut(Schema):
    error = Nested(ErrorDetail, required=True)


class BusyOut(ErrorOut):
    replies = List(Nested(Reply), required=True)


# The shape of every error body, for the generated spec (APIFlask's own error schemas replaced).
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}},
        }
    },
}


class HealthOut(Schema):
    status = String(required=True)
    bot = Boolean(required=True)
    articles = Integer(required=True)
    wechat = String(
        required=True,
        validate=OneOf(["configured", "simulator", "not_configured"]),
        metadata={
            "description": "公众号：configured 已配置 / simulator 本地模拟器的 AppID（仅供试用）/ "
            "not_configured 未配置（/wechat/mp 答复 503）"
        },
    )


# ------------------------------------------------------------------ staff: login, editor API


class LoginIn(Schema):
    username = String(required=True, validate=Length(1, 80))
    password = String(required=True, validate=Length(1, 200))


class UserOut(Schema):
    username = String(required=True)
    display_name = String(required=True)
    roles = List(String(), required=True)


class LoginOut(Schema):
    token = String(required=True)
    expires_at = String(required=True)
    user = Nested(UserOut, required=True)


class ArticleIn(Schema):
    title = text_field(300, "标题（1..300字）")
    body = text_field(MAX_BODY, f"正文（纯文本，显示时转义；1..{MAX_BODY}字）")
    # enum documented, checked by the editor (one invalid_article error listing every field, as the console shows)
    domain = String(
        load_default="综合", metadata={"description": "业务领域：" + "/".join(DOMAINS), "enum": list(DOMAINS)}
    )
    region = String(
        load_default="全国",
        allow_none=True,
        validate=Length(0, 50),
        metadata={"description": "适用地区：全国 / 省 / 省+市，如 河南省新乡市"},
    )
    kind = String(load_default="policy", metadata={"enum": list(KINDS)})
    source = String(allow_none=True, validate=Length(0, 100))
    tags = List(String(validate=Length(1, 30)), load_default=list, validate=Length(0, 20))
    questions = List(
        String(),
        load_default=None,
        allow_none=True,
        metadata={"description": "相似问法：用户常见的问法，每条不超过100字，最多50条；不传则保留原有的"},
    )
    effective_from = String(allow_none=True, metadata={"description": "生效时间 ISO 8601（无时区按北京时间）"})
    expires_at = String(allow_none=True, metadata={"description": "失效时间 ISO 8601"})
    urgent = StrictBoolean(load_default=False, metadata={"description": "热点/紧急政策"})


class ArticleCreateIn(ArticleIn):
    publish = StrictBoolean(load_default=False, metadata={"description": "立即发布（需发布权限）"})
    note = String(allow_none=True, validate=Length(0, 500), metadata={"description": "修改说明，记在第1版"})


class ArticleUpdateIn(ArticleIn):
    version = IdField(required=True, metadata={"description": "编辑所基于的版本号（乐观并发控制）"})
    note = String(allow_none=True, validate=Length(0, 500))


class StatusChangeIn(Schema):
    version = IdField(required=True)
    note = String(allow_none=True, validate=Length(0, 500))


class ArticleOut(Schema):
    id = Integer(required=True)
    version = Integer(required=True)
    title = String(required=True)
    body = String(required=True)
    kind = String()
    status = String(required=True)
    domain = String()
    region = String()
    source = String()
    tags = List(String())
    questions = List(String(), metadata={"description": "相似问法"})
    effective_from = String(allow_none=True)
    expires_at = String(allow_none=True)
    urgent = Boolean()
    origin = String()
    origin_key = String()
    citation = String()
    clause_no = String(allow_none=True)
    updated_by = String(allow_none=True)
    updated_at = String(allow_none=True)
    provenance = Dict(
        allow_none=True,
        metadata={
            "description": "与 12345 同步的来源：owner（归属系统 12345/12328）、"
            "origin_id（在 12345 的编号）、origin_version（12345 的版本）、synced_at（最近同步时间）、"
            "pending（本地修改尚未推送）；从未同步为 null"
        },
    )


class ArticleListQuery(Schema):
    status = String(validate=OneOf(STATUSES))
    q = String(validate=Length(0, 100))
    page = Integer(load_default=1, validate=Range(1, 10000))


class ArticleListOut(Schema):
    total = Integer(required=True)
    page = Integer(required=True)
    items = List(Nested(ArticleOut), required=True)


class VersionOut(Schema):
    version = Integer(required=True)
    action = String(required=True)
    author = String(required=True)
    note = String(allow_none=True)
    created_at = String(required=True)


class VersionListOut(Schema):
    versions = List(Nested(VersionOut), required=True)


class DiffQuery(Schema):
    version = IdQuery(1, required=True)
    against = IdQuery(0)


class DiffOut(Schema):
    article_id = Integer(required=True)
    to = Integer(required=True, data_key="to")
    from_ = Integer(required=True, data_key="from")
    diff = List(String(), required=True)


class HitTestQuery(Schema):
    q = String(required=True, validate=Length(1, 500))
    region = String(validate=Length(0, 50))
    k = Integer(load_default=10, validate=Range(1, 50))


class HitTestHit(SearchHit):
    dense = Float(required=True, metadata={"description": "向量相似度 cosine"})
    keyword = Float(required=True, metadata={"description": "BM25 相对分 (0..1)"})
    coverage = Float(required=True, metadata={"description": "问句词语覆盖率 (0..1)"})
    region = String()
    urgent = Boolean()
    question = String(allow_none=True, metadata={"description": "命中的相似问法（若由相似问法命中）"})
    why = String(required=True)
    answers = Boolean(required=True, metadata={"description": "分数达到答复阈值（且未按地区排除）"})
    region_verdict = String(
        required=True,
        metadata={
            "description": "地区判定：applies 适用（全国、与检索地区相符或地区未知）；other 其他地区但匹配度达到答复阈值"
            "（照常答复并注明适用地区，排序靠后）；hidden 其他地区且匹配度不足（按地区排除，不会答复）"
        },
    )
    region_reason = String(required=True, metadata={"description": "地区对本条的影响（中文说明；全国适用的为空）"})
    confidence = Float(allow_none=True, metadata={"description": "排序模型给出的置信度（无模型时为空）"})
    cosine = Float(
        allow_none=True, metadata={"description": "语义相似度：本条各段（标准问、相似问法、正文）与问句的最高余弦"}
    )
    meaning_floor = Float(
        required=True,
        metadata={
            "description": "本条作答或供选择所需的语义相似度门槛（大型知识库：有问句的条目与仅有正文的条目不同；小型知识库：有相似问法的条目直接答复所需；0=不设）"
        },
    )


class HitTestDecision(Schema):
    kind = String(required=True, metadata={"description": "answer 直接答复 / clarify 请用户选择 / refuse 拒答"})
    label = String(required=True, metadata={"description": "kind 的中文：直接答复、请用户选择、拒答"})
    article_ids = List(Integer(), required=True, metadata={"description": "直接答复的文章，或请用户选择的各条"})
    confidence = Float(required=True, metadata={"description": "第一名是正确条目的置信度"})
    reason = String(required=True, metadata={"description": "为什么这样决定"})


class HitTestOut(Schema):
    threshold = Float(required=True)
    region = String(required=True, metadata={"description": "检索所用地区及其来源：问句中提到的地点优先于用户所在地区"})
    regions = List(String(), required=True, metadata={"description": "检索所用地区（空表示未知，全部适用）"})
    hits = List(Nested(HitTestHit), required=True)
    decision = Nested(
        HitTestDecision, required=True, metadata={"description": "机器人对这句话的处理：答复、澄清或拒答"}
    )


class ImportOut(Schema):
    filename = String(required=True)
    rows = Integer(required=True)
    created = Integer(required=True)
    updated = Integer(required=True)
    unchanged = Integer(required=True)
    imported = Boolean(required=True)
    errors = List(Dict(), required=True)


class GapListQuery(Schema):
    status = String(load_default="open", validate=OneOf(GAP_STATUSES))
    kind = String(
        validate=OneOf(GAP_KINDS), metadata={"description": "只看最近一次为 refuse 拒答 / clarify 请用户选择的问题"}
    )
    page = Integer(load_default=1, validate=Range(1, 10000))


class GapOut(Schema):
    id = Integer(required=True)
    text = String(required=True, metadata={"description": "问句（已规范化，手机号、身份证号已遮盖）"})
    count = Integer(required=True, metadata={"description": "被问到的次数"})
    channel = String(allow_none=True)
    first_seen = String(required=True)
    last_seen = String(required=True)
    best_article_id = Integer(allow_none=True, metadata={"description": "低于阈值的最佳候选文章"})
    best_title = String(allow_none=True)
    best_score = Float(allow_none=True)
    status = String(required=True, metadata={"description": "open 待处理 / resolved 已加为相似问法 / dismissed 已忽略"})
    kind = String(required=True, metadata={"description": "最近一次的处理：refuse 拒答 / clarify 请用户选择（澄清）"})
    clarified = Integer(required=True, metadata={"description": "其中请用户选择（澄清）的次数"})
    refused = Integer(required=True, metadata={"description": "其中拒答的次数"})
    article_id = Integer(allow_none=True)
    resolved_by = String(allow_none=True)
    resolved_at = String(allow_none=True)


class GapListOut(Schema):
    total = Integer(required=True)
    page = Integer(required=True)
    counts = Dict(required=True)
    items = List(Nested(GapOut), required=True)


class GapAttachIn(Schema):
    article_id = IdField(required=True, metadata={"description": "把问句加为这篇文章的相似问法"})
    version = IdField(required=True, metadata={"description": "文章当前版本号（乐观并发控制）"})


class TermListQuery(Schema):
    status = String(
        validate=OneOf(TERM_STATUSES),
        metadata={"description": "active 已启用 / suggested 待审核（学习所得） / rejected 已忽略；不填为全部"},
    )


class TermIn(Schema):
    phrase = String(
        required=True,
        validate=Length(max=100),
        metadata={"description": "群众的说法（如“小黄”），繁体自动转为简体，最长20字"},
    )
    targets = List(
        String(validate=Length(max=100)),
        required=True,
        validate=Length(max=50),
        metadata={"description": "文档里的用词（如“出租车”），1-10个，每个最长20字"},
    )


class TermUpdateIn(Schema):
    phrase = String(validate=Length(max=100))
    targets = List(String(validate=Length(max=100)), validate=Length(max=50))


class TermAcceptIn(Schema):
    targets = List(
        String(validate=Length(max=100)),
        validate=Length(max=50),
        metadata={"description": "采纳时可修改文档用词；不填则用建议的"},
    )


class TermEvidence(Schema):
    article_id = Integer(required=True)
    title = String(required=True)
    question = String(required=True)


class TermOut(Schema):
    id = Integer(required=True)
    phrase = String(required=True)
    targets = List(String(), required=True)
    status = String(required=True, metadata={"description": "active 已启用 / suggested 待审核 / rejected 已忽略"})
    source = String(required=True, metadata={"description": "editor 编辑添加 / learned 从相似问法学习"})
    author = String(allow_none=True)
    hits = Integer(required=True, metadata={"description": "支持这条建议的相似问法数"})
    evidence = List(Nested(TermEvidence), required=True, metadata={"description": "依据：哪些文章的哪些相似问法"})
    created_at = String(required=True)
    updated_at = String(required=True)


class TermListOut(Schema):
    items = List(Nested(TermOut), required=True)
    counts = Dict(required=True)
    base = Integer(required=True, metadata={"description": "随系统发布的基础词表（文件）条数"})
    regional = Integer(required=True, metadata={"description": "随系统发布的地区说法（regional.yml）组数"})


class LearnOut(Schema):
    articles = Integer(required=True, metadata={"description": "读取的已发布文章数"})
    suggested = Integer(required=True, metadata={"description": "本次学到的建议数"})
    created = Integer(required=True)
    updated = Integer(required=True)
    dropped = Integer(required=True, metadata={"description": "不再有依据而删除的旧建议数"})


class OneComponentPerSchema:
    """Mixed into the app: a schema apispec already holds is referred to, never added again.

    APIFlask 3.1 keeps its own list of the response schemas it has named and misses those apispec added while
    resolving a ``Nested`` field. Paths are documented shortest first, so a list (``/api/kb/articles`` nesting
    ``ArticleOut``) comes before its items, which then added ``ArticleOut`` a second time as ``ArticleOut1`` (and
    apispec warned "has already been added to the spec"). apispec's key includes the modifiers (only, exclude,
    partial …), so a schema used with other modifiers still gets a component of its own."""

    def _register_schema_and_get_ref(self, spec, registered_schema_classes, schema_obj):
        plugin = next((p for p in spec.plugins if isinstance(p, MarshmallowPlugin)), None)
        is_schema = isinstance(schema_obj, MarshmallowSchema) or (
            isinstance(schema_obj, type) and issubclass(schema_obj, MarshmallowSchema)
        )
        if plugin is not None and plugin.converter is not None and is_schema:
            name = plugin.converter.refs.get(make_schema_key(resolve_schema_instance(schema_obj)))
            if name:
                return {"$ref": f"#/components/schemas/{name}"}
        return super()._register_schema_and_get_ref(spec, registered_schema_classes, schema_obj)
