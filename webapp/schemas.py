"""Request/response schemas: they validate input and generate /api/openapi.json."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp

from knowledge_base.models import GAP_STATUSES, STATUSES
from marshmallow import ValidationError, validates


def sender_field() -> String:
    return String(required=True, validate=[Length(1, 64), Regexp(r"^[A-Za-z0-9_.\-]+$",
                  error="sender 只能包含字母、数字、下划线、点和短横线")],
                  metadata={"description": "Stable random id of the web visitor (stored in the browser)."})


class ChatIn(Schema):
    sender = sender_field()
    text = String(required=True, metadata={"description": "What the user typed (1..2000 characters)."})

    @validates("text")
    def _text(self, value: str, **_):
        if not value.strip():
            raise ValidationError("请输入内容")
        if len(value) > 2000:
            raise ValidationError("内容过长，请控制在2000字以内")


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
    deadline = String()


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
    handoff = Nested(HandoffState, allow_none=True,
                     metadata={"description": "进行中的转人工会话；此时消息转给人工客服，页面轮询 /api/chat/updates"})


class UpdatesQuery(Schema):
    sender = sender_field()
    after = Integer(load_default=0, validate=Range(0), metadata={"description": "上次收到的最后一条消息 id"})


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
    region = String(validate=Length(1, 50), metadata={"description": "用户所在地区：只返回全国或该地区适用的文章"})
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
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}},
    }},
}


class HealthOut(Schema):
    status = String(required=True)
    bot = Boolean(required=True)
    articles = Integer(required=True)


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
    title = String(required=True, metadata={"description": "标题"})
    body = String(required=True, metadata={"description": "正文（纯文本，显示时转义）"})
    domain = String(load_default="综合", metadata={"description": "业务领域：综合/公路/水路/道路运输/城市客运/海事/救助打捞/海上搜救"})
    region = String(load_default="全国", metadata={"description": "适用地区：全国 / 省 / 省+市，如 河南省新乡市"})
    kind = String(load_default="policy")
    source = String(allow_none=True)
    tags = List(String(), load_default=list)
    questions = List(String(), load_default=None, allow_none=True,
                     metadata={"description": "相似问法：用户常见的问法，每条不超过100字，最多50条；不传则保留原有的"})
    effective_from = String(allow_none=True, metadata={"description": "生效时间 ISO 8601（无时区按北京时间）"})
    expires_at = String(allow_none=True, metadata={"description": "失效时间 ISO 8601"})
    urgent = Boolean(load_default=False, metadata={"description": "热点/紧急政策"})


class ArticleCreateIn(ArticleIn):
    publish = Boolean(load_default=False, metadata={"description": "立即发布（需发布权限）"})


class ArticleUpdateIn(ArticleIn):
    version = Integer(required=True, metadata={"description": "编辑所基于的版本号（乐观并发控制）"})
    note = String(allow_none=True, validate=Length(0, 500))


class StatusChangeIn(Schema):
    version = Integer(required=True)
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
    provenance = Dict(allow_none=True, metadata={"description": "与 12345 同步的来源：owner（归属系统 12345/12328）、"
                      "origin_id（在 12345 的编号）、origin_version（12345 的版本）、synced_at（最近同步时间）、"
                      "pending（本地修改尚未推送）；从未同步为 null"})


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
    version = Integer(required=True, validate=Range(1))
    against = Integer(validate=Range(0))


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
    answers = Boolean(required=True, metadata={"description": "分数达到答复阈值"})


class HitTestOut(Schema):
    threshold = Float(required=True)
    hits = List(Nested(HitTestHit), required=True)


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
    article_id = Integer(allow_none=True)
    resolved_by = String(allow_none=True)
    resolved_at = String(allow_none=True)


class GapListOut(Schema):
    total = Integer(required=True)
    page = Integer(required=True)
    counts = Dict(required=True)
    items = List(Nested(GapOut), required=True)


class GapAttachIn(Schema):
    article_id = Integer(required=True, metadata={"description": "把问句加为这篇文章的相似问法"})
    version = Integer(required=True, metadata={"description": "文章当前版本号（乐观并发控制）"})
