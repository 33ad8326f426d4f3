"""Work-order API for operators, handling units and supervisors, the callers' status look-up and rating,
and the operator console page. Thin: parse, check the role, call the work_orders service."""

from __future__ import annotations

from datetime import datetime

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, Date, Dict, File, Integer, List, String
from apiflask.validators import Length, OneOf, Range
from flask import request, send_file

from hotline import channels
from hotline.clock import utcnow
from hotline.tabular import CSV_TYPE, XLSX_TYPE
from work_orders import deadlines, queues
from work_orders import export as order_export
from work_orders.attachments import MAX_SIZE
from work_orders.errors import AttachmentRejected, AttachmentTooLarge
from work_orders.lifecycle import CALLBACK_RESULTS, DOMAINS, EXTENSION_REASONS, REJECT_REASONS, TRANSITIONS, TYPES

from ..auth import auth, client_address, retry_after
from ..errors import error_docs
from ..schemas import IdField, StrictBoolean, bounded_numbers
from .common import services
from .console import render_page

bp = APIBlueprint("work_orders", __name__, tag="工单 Work orders")
STAFF = ["admin", "operator", "unit", "supervisor"]


class OrderIn(Schema):
    order_type = String(required=True, validate=OneOf(list(TYPES)), metadata={"description": "/".join(TYPES)})
    channel = String(load_default="phone", validate=OneOf(channels.codes()))
    domain = String(load_default="其他", validate=OneOf(list(DOMAINS)))
    region = String(load_default="")
    title = String(load_default="")
    target = String(load_default="", metadata={"description": "投诉对象：车牌、企业、线路、站点、船舶、平台"})
    facts = String(load_default="")
    demand = String(load_default="")
    location = String(load_default="")
    occurred_at = String(load_default="")
    caller_name = String(load_default="")
    caller_phone = String(load_default="")
    anonymous = StrictBoolean(load_default=False)
    safety = StrictBoolean(load_default=False)
    urgent = StrictBoolean(load_default=False)


class OrderOut(Schema):
    """An order as staff see it; contact data masked unless the role needs it."""

    number = String(required=True, metadata={"description": "工单编号，如 20260930-00012"})
    version = Integer(metadata={"description": "乐观锁版本号"})
    state, state_label = String(), String()
    order_type, order_type_label = String(), String()
    domain, channel, channel_label, region = String(), String(), String(), String()
    title, target, facts, demand, location, occurred_at = String(), String(), String(), String(), String(), String()
    safety, urgent, overdue, anonymous = Boolean(), Boolean(), Boolean(), Boolean()
    unit_id = Integer(allow_none=True)
    unit_name, caller_name, caller_phone, external_id = String(), String(), String(), String()
    reply, reject_reason, reject_reason_label = String(), String(), String()
    extension_days = Integer()
    extension_reason = String()
    extension_used, callback_required = Boolean(), Boolean()
    callback_result, rating, rating_comment = String(), String(), String()
    received_at, dispatch_due, dispatched_at, return_due, due_at, completed_at, callback_due = (
        String(allow_none=True),
        String(allow_none=True),
        String(allow_none=True),
        String(allow_none=True),
        String(allow_none=True),
        String(allow_none=True),
        String(allow_none=True),
    )
    accepted_at, callback_at = String(allow_none=True), String(allow_none=True)
    reply_flag = String(metadata={"description": "答复质量抽查：ok 合格 / poor 不合格 / 空 未抽查"})
    province_copied_at, province_review_due, province_reviewed_at, archived_at = (
        String(allow_none=True),
        String(allow_none=True),
        String(allow_none=True),
        String(allow_none=True),
    )
    actions = List(String(), metadata={"description": "当前状态下允许的操作"})
    blocked = Dict(
        keys=String(),
        values=String(),
        metadata={"description": "当前状态下服务会拒绝的操作及原因，如 archive：须先完成回访"},
    )
    awaiting = String(metadata={"description": "工单在等待什么（等待谁、期限）"})
    suggested = Dict(metadata={"description": "按工单内容预填的分类：{domain, region, region_source}"})
    events = List(Dict(), metadata={"description": "处理记录（审计）"})
    attachments = List(Dict())


class QueueQuery(Schema):
    queue = String(load_default="new", validate=OneOf(list(queues.QUEUES)))
    page = Integer(load_default=1, validate=Range(1, 10000))
    q = String(load_default="")


class ExportQuery(QueueQuery):
    format = String(load_default="csv", validate=OneOf(["csv", "xlsx"]), metadata={"description": "csv 或 xlsx"})


class QueueOut(Schema):
    queue = String()
    label = String()
    total = Integer()
    page = Integer()
    items = List(Dict())


class ActionIn(Schema):
    version = IdField(metadata={"description": "乐观锁：工单当前版本号，过期返回409"})
    params = Dict(
        load_default=dict,
        validate=bounded_numbers,
        metadata={"description": "操作参数，如 unit_id、reason、reply、days"},
    )


class LookupIn(Schema):
    number = String(required=True, validate=Length(1, 20))
    last4 = String(required=True, validate=Length(4, 4), metadata={"description": "联系电话后四位"})


class RateIn(LookupIn):
    rating = String(required=True, validate=OneOf(["satisfied", "basically_satisfied", "dissatisfied"]))
    comment = String(load_default="", validate=Length(0, 1000))


class UnitIn(Schema):
    name = String(required=True, validate=Length(1, 120))
    region = String(load_default="")
    domains = List(String(validate=OneOf(list(DOMAINS))), load_default=list)
    duties = String(load_default="")
    is_authority = StrictBoolean(load_default=False)
    contact = String(load_default="")


class UnitUpdateIn(Schema):
    name = String(validate=Length(1, 120))
    region = String(validate=Length(0, 60))
    domains = List(String(validate=OneOf(list(DOMAINS))))
    duties = String(validate=Length(0, 2000))
    is_authority = StrictBoolean(metadata={"description": "本级交通运输主管部门（安全生产事项立即转办至此）"})
    contact = String(validate=Length(0, 120))
    active = StrictBoolean(metadata={"description": "false：停用，不再出现在转办选项中"})


class OverrideIn(Schema):
    day = Date(required=True)
    workday = StrictBoolean(required=True)
    note = String(load_default="", validate=Length(0, 200))


class AttachmentIn(Schema):
    file = File(required=True)


class ReviewIn(Schema):
    note = String(load_default="", validate=Length(0, 1000))


def _svc():
    return services().work_orders


@bp.get("/console/orders")
@bp.doc(hide=True)
def console():
    return render_page("orders.html", "orders")


@bp.post("/api/orders")
@bp.auth_required(auth, roles=["admin", "operator"])
@bp.input(OrderIn, arg_name="body")
@bp.output(OrderOut, status_code=201)
@bp.doc(
    summary="登记工单（电话座席等） Register an order",
    description="请求头 Idempotency-Key 相同则返回第一次登记的工单（200），不会重复登记。",
    responses={
        200: {
            "description": "同一 Idempotency-Key 的重试：返回已登记的工单",
            "content": {"application/json": {"schema": OrderOut}},
        },
        **error_docs(422, notes={422: "内容有误或 Idempotency-Key 过长"}),
    },
)
def create_order(body):
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 100:
        abort(422, "Idempotency-Key 过长")
    order, created = _svc().create(body, actor=auth.current_user.username, idempotency_key=key)
    return order, 201 if created else 200


@bp.get("/api/orders")
@bp.auth_required(auth, roles=STAFF)
@bp.input(QueueQuery, location="query", arg_name="query")
@bp.output(QueueOut)
@bp.doc(summary="工单队列 Queue of orders")
def list_orders(query):
    return queues.queue(services().db, auth.current_user, query["queue"], utcnow(), query["page"], q=query["q"])


@bp.get("/api/orders/overview")
@bp.auth_required(auth, roles=STAFF)
@bp.doc(summary="各队列数量与日历提醒 Queue counts and calendar warnings")
def overview():
    return {
        "counts": queues.counts(services().db, auth.current_user, utcnow()),
        "labels": queues.QUEUES,
        "calendar_warnings": _svc().calendar_warnings(),
        "actions": {a: t.label for a, t in TRANSITIONS.items()},
        "action_roles": {a: list(t.roles) for a, t in TRANSITIONS.items()},
        "options": {
            "types": TYPES,
            "domains": list(DOMAINS),
            "channels": channels.labels(),
            "reject_reasons": REJECT_REASONS,
            "extension_reasons": EXTENSION_REASONS,
            "callback_results": CALLBACK_RESULTS,
            # the 管理办法's limits, so that the page never repeats them (第二十二条, 第二十四条)
            "return_hours": deadlines.RETURN_HOURS,
            "max_extension_days": deadlines.MAX_EXTENSION_DAYS,
        },
    }


@bp.get("/api/orders/export")
@bp.auth_required(auth, roles=STAFF)
@bp.input(ExportQuery, location="query", arg_name="query")
@bp.doc(
    summary="导出队列为CSV或XLSX（全部字段，按角色脱敏） Export a queue as CSV or XLSX",
    description="每份工单的全部字段（办结时间、评价、回访结果、延期等），时间为北京时间（如 2026-11-30 11:45）；"
    "联系方式按角色脱敏，与工单详情一致。最多导出50000条。",
    responses={
        200: {
            "description": "CSV（UTF-8，带BOM）或 XLSX",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def export(query):
    fmt = query["format"]
    body = order_export.export(services().db, auth.current_user, query["queue"], utcnow(), fmt, q=query["q"])
    return (
        body,
        200,
        {
            "Content-Type": XLSX_TYPE if fmt == "xlsx" else CSV_TYPE,
            "Content-Disposition": f"attachment; filename=orders-{query['queue']}.{fmt}",
        },
    )


@bp.get("/api/orders/<number>")
@bp.auth_required(auth, roles=STAFF)
@bp.output(OrderOut)
@bp.doc(summary="工单详情与处理记录 Order with its audit trail", responses=error_docs(404))
def get_order(number):
    return _svc().get(number, auth.current_user)


@bp.post("/api/orders/<number>/actions/<action>")
@bp.auth_required(auth, roles=STAFF)
@bp.input(ActionIn, arg_name="body")
@bp.output(OrderOut)
@bp.doc(
    summary="执行流转操作 Take a lifecycle action",
    description="操作：" + "、".join(f"{a}（{t.label}）" for a, t in TRANSITIONS.items()),
    responses=error_docs(403, 404, 409, 422, notes={403: "角色无权", 409: "状态不允许或版本冲突", 422: "参数有误"}),
)
def act(number, action, body):
    return _svc().act(number, action, auth.current_user, body["params"], body.get("version"))


@bp.post("/api/orders/<number>/province-review")
@bp.auth_required(auth, roles=["admin", "supervisor"])
@bp.input(ReviewIn, arg_name="body")
@bp.output(OrderOut)
@bp.doc(
    summary="省级中心复核投诉工单（第二十五条） Province review",
    responses=error_docs(
        403, 404, 409, 422, notes={403: "不在本人负责的地区", 409: "已复核或状态不允许", 422: "不是需要复核的投诉工单"}
    ),
)
def province_review(number, body):
    return _svc().province_review(number, auth.current_user, body["note"])


@bp.get("/api/orders/<number>/route")
@bp.auth_required(auth, roles=["admin", "operator"])
@bp.doc(summary="推荐承办单位 Suggested handling units", responses={200: "推荐的承办单位", **error_docs(404)})
def route(number):
    return {"units": _svc().route(number)}


@bp.post("/api/orders/<number>/attachments")
@bp.auth_required(auth, roles=STAFF)
@bp.input(AttachmentIn, location="files", arg_name="body")
@bp.doc(
    summary="上传附件（照片、语音、录音，≤10MB） Upload evidence",
    description="按文件内容（而非声明的类型）识别：JPG/PNG/WEBP 图片、AMR/MP3/SILK/WAV 音频、PDF 文件。",
    responses={
        201: "已保存的附件 Stored attachment",
        **error_docs(404, 409, 413, 415, 422, notes={409: "工单状态不允许", 413: "附件过大", 415: "不支持的文件内容"}),
    },
)
def upload(number, body):
    upload = body["file"]
    data = upload.read(MAX_SIZE + 1)
    store = services().attachments
    try:
        store.check(data)  # the bytes decide; the declared Content-Type is ignored
    except (AttachmentTooLarge, AttachmentRejected) as exc:
        abort(exc.status, exc.message)
    services().work_orders.get(number, auth.current_user)  # scope check before anything is written
    stored = store.save(data, upload.filename or "")
    out = _svc().add_attachment(
        number, auth.current_user, stored.type.kind, stored.ref, stored.name, stored.type.mime, stored.size
    )
    return out, 201


@bp.get("/api/orders/<number>/attachments/<int:attachment_id>")
@bp.auth_required(auth, roles=STAFF)
@bp.doc(
    summary="下载附件 Download evidence",
    description="始终作为下载（Content-Disposition: attachment），类型为按内容识别的类型，并带 nosniff。",
    responses={
        200: {
            "description": "附件原文件（Content-Type 为按内容识别的类型）",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_docs(404),
    },
)
def download(number, attachment_id):
    att = _svc().attachment(number, attachment_id, auth.current_user)
    found = services().attachments.open(att.ref)
    if found is None:
        abort(404, "该附件保存在渠道侧（媒体ID），无本地文件" if not att.ref.startswith("file:") else "附件文件不存在")
    path, file_type = found
    # what the bytes are now, not what was recorded: an old upload that is no allowed type is plain bytes
    mimetype = file_type.mime if file_type else "application/octet-stream"
    resp = send_file(path, mimetype=mimetype, as_attachment=True, download_name=att.name or path.name, max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post("/api/orders/lookup")
@bp.input(LookupIn, arg_name="body")
@bp.doc(
    summary="来电人查询工单进度（编号+电话后四位） Status look-up for callers",
    description="核对失败多时按来源地址逐步加长等待（429，Retry-After）；他人的错误尝试不会锁住来电人自己的查询。",
    responses={
        200: "工单进度（已脱敏）",
        **error_docs(
            404,
            422,
            429,
            notes={404: "工单不存在", 422: "不匹配", 429: "尝试过于频繁，请按 Retry-After 稍后再试"},
            retry_after=(429,),
        ),
    },
)
@retry_after
def lookup(body):
    return _svc().lookup(body["number"], body["last4"], client=client_address())


@bp.post("/api/orders/rate")
@bp.input(RateIn, arg_name="body")
@bp.doc(
    summary="好差评：办结后评价 Rate a replied order",
    responses={
        200: "已评价的工单",
        **error_docs(
            404,
            409,
            422,
            429,
            notes={404: "工单不存在", 409: "尚未办结或已评价", 422: "电话后四位不匹配或尚未办结"},
            retry_after=(429,),
        ),
    },
)
@retry_after
def rate(body):
    return _svc().rate(body["number"], body["rating"], body["comment"], last4=body["last4"], client=client_address())


@bp.get("/api/units")
@bp.auth_required(auth, roles=STAFF)
@bp.doc(summary="承办单位名录 Handling units")
def list_units():
    return {"units": _svc().units()}


@bp.post("/api/units")
@bp.auth_required(auth, roles=["admin"])
@bp.input(UnitIn, arg_name="body")
@bp.doc(summary="新增承办单位 Add a handling unit", responses={201: "已新增 Created", **error_docs(409, 422)})
def add_unit(body):
    return _svc().add_unit(**body), 201


@bp.put("/api/units/<int:unit_id>")
@bp.auth_required(auth, roles=["admin"])
@bp.input(UnitUpdateIn, arg_name="body")
@bp.doc(summary="修改或停用承办单位 Change a handling unit", responses={200: "已修改 Updated", **error_docs(404, 422)})
def update_unit(unit_id, body):
    return _svc().update_unit(unit_id, **body)


@bp.get("/api/calendar/overrides")
@bp.auth_required(auth, roles=STAFF)
@bp.doc(summary="工作日调整 Calendar overrides")
def list_overrides():
    return {"overrides": _svc().overrides(), "warnings": _svc().calendar_warnings()}


@bp.put("/api/calendar/overrides")
@bp.auth_required(auth, roles=["admin", "operator"])
@bp.input(OverrideIn, arg_name="body")
@bp.doc(summary="设置某日是否为工作日 Set a working-day override", responses={200: "全部工作日调整", **error_docs(422)})
def set_override(body):
    _svc().set_override(body["day"], body["workday"], body["note"], auth.current_user.username)
    return {"overrides": _svc().overrides()}


@bp.delete("/api/calendar/overrides/<day>")
@bp.auth_required(auth, roles=["admin", "operator"])
@bp.doc(
    summary="删除工作日调整 Remove an override",
    responses={200: "全部工作日调整", **error_docs(404, 422, notes={422: "日期格式须为 YYYY-MM-DD"})},
)
def delete_override(day):
    try:
        parsed = datetime.strptime(day, "%Y-%m-%d").date()
    except ValueError:
        abort(422, "日期格式须为 YYYY-MM-DD")
    _svc().delete_override(parsed)
    return {"overrides": _svc().overrides()}
