"""Reports API (第三十二条): list, generate, view, edit the narrative, send, download (DOCX, PDF, XLSX), the
console notices; and the page /console/reports. Thin: parse, call the reports service (which scopes the region
to the viewer: a supervisor works their own region's reports)."""

from __future__ import annotations

from datetime import date

from apiflask import APIBlueprint, Schema
from apiflask.fields import Date, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp

from reports import content, render
from reports.errors import ReportError
from reports.schedule import month_bounds
from reports.service import STATES
from work_orders.lifecycle import DOMAINS

from ..auth import auth
from ..errors import error_docs
from ..schemas import IdField, IdQuery
from .common import services
from .console import render_page

bp = APIBlueprint("reports", __name__, tag="报告 Reports")
ROLES = ["admin", "supervisor"]
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
NO_CONTROL = Regexp(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$")


class ReportQuery(Schema):
    kind = String(load_default="", validate=OneOf(["", *content.KINDS]))
    state = String(load_default="", validate=OneOf(["", *STATES]))
    page = Integer(load_default=1, validate=Range(1, 10000))


class ReportGenerateIn(Schema):
    kind = String(
        required=True, validate=OneOf(list(content.KINDS)), metadata={"description": "monthly / annual / special"}
    )
    period = String(
        load_default="",
        validate=Regexp(r"^$|^(20\d\d|2100)(-(0[1-9]|1[0-2]))?$"),
        metadata={"description": "月报 YYYY-MM，年报 YYYY"},
    )
    start = Date(validate=Range(EARLIEST, LATEST), metadata={"description": "专报开始日期（含）"})
    end = Date(validate=Range(EARLIEST, LATEST), metadata={"description": "专报结束日期（含）"})
    region = String(
        load_default="", validate=[Length(0, 60), NO_CONTROL], metadata={"description": "地区，默认本人辖区"}
    )
    domain = String(load_default="", validate=OneOf(["", *DOMAINS]), metadata={"description": "业务领域（专报）"})
    title = String(load_default="", validate=[Length(0, 200), NO_CONTROL])


class ReportNarrativeIn(Schema):
    version = IdField(required=True, metadata={"description": "修改所基于的版本号（过期返回409）"})
    overview = String(validate=Length(0, 20000), metadata={"description": "概述"})
    problems = String(validate=Length(0, 20000), metadata={"description": "主要问题"})
    suggestions = String(validate=Length(0, 20000), metadata={"description": "工作建议"})
    note = String(load_default="", validate=Length(0, 200), metadata={"description": "修改说明"})


class ReportVersionQuery(Schema):
    version = IdQuery(minimum=1, metadata={"description": "版本号，默认当前版本"})


class ReportDownloadQuery(ReportVersionQuery):
    format = String(load_default="pdf", validate=OneOf(list(render.FORMATS)))


class ReportSummaryOut(Schema):
    id = Integer()
    kind, kind_label, title, region, region_label, domain = String(), String(), String(), String(), String(), String()
    period = Dict()
    due_date = String(
        allow_none=True, metadata={"description": "报送期限（月报为次月第五个工作日，年报为次年第十个工作日）"}
    )
    state, state_label = String(), String()
    version = Integer()
    created_by, created_at, updated_at, sent_at, sent_by = String(), String(), String(), String(), String()
    recipients = List(Dict())


class ReportListOut(Schema):
    total = Integer()
    page = Integer()
    items = List(Nested(ReportSummaryOut))
    kinds = Dict()
    states = Dict()


class ReportVersionOut(Schema):
    number = Integer()
    author, note, created_at = String(), String(), String()
    narrative = Dict(allow_none=True)
    data = Dict(metadata={"description": "数据快照：指标、高频事项、问题清单、承办单位评分"})


class ReportOut(ReportSummaryOut):
    current = Nested(ReportVersionOut)
    versions = List(Nested(ReportVersionOut))
    sections = Dict()


class ReportNoticeListOut(Schema):
    items = List(Dict())


def _reports():
    return services().reports


# --- page ------------------------------------------------------------------------------------------------------
@bp.get("/console/reports")
@bp.doc(hide=True)
def console():
    return render_page("reports.html", "reports")


# --- API -------------------------------------------------------------------------------------------------------
@bp.get("/api/reports")
@bp.auth_required(auth, roles=ROLES)
@bp.input(ReportQuery, location="query", arg_name="query")
@bp.output(ReportListOut)
@bp.doc(summary="报告列表 Reports", description="督办人员只看本辖区（含下级地区）的报告及报送本级的报告。")
def list_reports(query):
    return _reports().list(auth.current_user, query["kind"], query["state"], query["page"])


@bp.post("/api/reports")
@bp.auth_required(auth, roles=ROLES)
@bp.input(ReportGenerateIn, arg_name="body")
@bp.output(ReportOut, status_code=201)
@bp.doc(
    summary="生成报告 Generate a report",
    description="月报（period=YYYY-MM）、年报（period=YYYY）或专报（start、end，可选业务领域）。"
    "已有的月报、年报草稿重新计算数据，生成新版本；已发送的不能重新生成。",
    responses=error_docs(403, 409, 422, notes={409: "该报告已发送"}),
)
def generate_report(body):
    kind, period = body["kind"], body["period"]
    if kind == "special":
        if not body.get("start") or not body.get("end"):
            _invalid("专报须给出开始和结束日期", {"start": "必填", "end": "必填"})
        start, end = body["start"], body["end"]
    elif kind == "monthly":
        if len(period) != 7:
            _invalid("月报须给出月份 YYYY-MM", {"period": "格式应为 YYYY-MM"})
        start, end = month_bounds(int(period[:4]), int(period[5:]))
    else:
        if len(period) != 4:
            _invalid("年报须给出年份 YYYY", {"period": "格式应为 YYYY"})
        start, end = date(int(period), 1, 1), date(int(period), 12, 31)
    return _reports().generate(auth.current_user, kind, start, end, body["region"], body["domain"], body["title"]), 201


def _invalid(message: str, details: dict):
    raise ReportError(message, code="validation_error", details=details)


@bp.get("/api/reports/notices")
@bp.auth_required(auth, roles=ROLES)
@bp.output(ReportNoticeListOut)
@bp.doc(summary="报告通知 Report notices", description="本辖区的报告草稿待审、收到本级或下级报送的报告。")
def report_notices():
    return _reports().notices(auth.current_user)


@bp.get("/api/reports/<int:report_id>")
@bp.auth_required(auth, roles=ROLES)
@bp.input(ReportVersionQuery, location="query", arg_name="query")
@bp.output(ReportOut)
@bp.doc(summary="报告及其版本 A report", responses=error_docs(404))
def get_report(report_id, query):
    return _reports().get(report_id, auth.current_user, query.get("version"))


@bp.put("/api/reports/<int:report_id>/narrative")
@bp.auth_required(auth, roles=ROLES)
@bp.input(ReportNarrativeIn, arg_name="body")
@bp.output(ReportOut)
@bp.doc(
    summary="修改概述、主要问题、工作建议 Edit the narrative",
    description="每次修改生成新版本；数据快照沿用所修改的版本。",
    responses=error_docs(403, 404, 409, notes={409: "版本已过期或报告已发送"}),
)
def edit_narrative(report_id, body):
    narrative = {k: body[k] for k in content.SECTIONS if k in body}
    return _reports().edit(report_id, auth.current_user, narrative, body["version"], body["note"])


@bp.post("/api/reports/<int:report_id>/send")
@bp.auth_required(auth, roles=ROLES)
@bp.output(ReportOut)
@bp.doc(
    summary="发送报告（本级、上一级） Send a report",
    description="草稿 → 已发送，向本级和上一级发出控制台通知。",
    responses=error_docs(403, 404, 409, notes={409: "报告已发送"}),
)
def send_report(report_id):
    return _reports().send(report_id, auth.current_user)


@bp.get("/api/reports/<int:report_id>/download")
@bp.auth_required(auth, roles=ROLES)
@bp.input(ReportDownloadQuery, location="query", arg_name="query")
@bp.doc(
    summary="下载报告（DOCX、PDF、XLSX） Download a report",
    responses={
        200: {
            "description": "DOCX 或 PDF（含图表），XLSX（数据）",
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in render.FORMATS.values()},
        },
        **error_docs(404, 503, notes={503: "未安装中文字体"}),
    },
)
def download_report(report_id, query):
    fmt = query["format"]
    body, name = _reports().download(report_id, auth.current_user, fmt, query.get("version"))
    return (
        body,
        200,
        {"Content-Type": render.FORMATS[fmt], "Content-Disposition": f"attachment; filename={name}.{fmt}"},
    )
