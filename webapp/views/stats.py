"""Statistics and supervision API (issue 17): metrics with 同比/环比, the daily dashboard, the weekly bulletin, unit
scores and their 评分办法, reply-quality flags, metric exports; the monitoring page and the public bulletin page.
Thin: parse, scope the region to the viewer (stats.scope), call the stats package."""

from __future__ import annotations

from datetime import date, timedelta

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Date, Dict, Float, Integer, List, String
from apiflask.validators import Length, OneOf, Range, Regexp
from flask import render_template

from hotline.clock import local_date, utcnow
from hotline.tabular import CSV_TYPE, XLSX_TYPE
from stats import exports, metrics, monitoring, scores
from stats.periods import Period, month
from stats.scope import region_for
from work_orders.lifecycle import DOMAINS

from ..auth import auth
from ..errors import error_docs
from .common import services
from .console import render_page

bp = APIBlueprint("stats", __name__, tag="统计与监督 Statistics")
VIEWERS = ["admin", "supervisor", "operator"]
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
REGION = String(
    load_default="",
    validate=[Length(0, 60), Regexp(r"^[^\x00-\x1f]*$")],
    metadata={"description": "地区前缀，如 河南省新乡市；督办人员只能查看本辖区"},
)


def _day(**kwargs):
    return Date(validate=Range(EARLIEST, LATEST), **kwargs)


class MetricsQuery(Schema):
    start = _day(metadata={"description": "开始日期（含），默认本月1日"})
    end = _day(metadata={"description": "结束日期（含），默认今天"})
    region = REGION
    domain = String(load_default="", validate=OneOf(["", *DOMAINS]), metadata={"description": "业务领域"})


class ExportMetricsQuery(MetricsQuery):
    format = String(load_default="xlsx", validate=OneOf(["csv", "xlsx"]))


class DashboardQuery(Schema):
    region = REGION
    domain = String(load_default="", validate=OneOf(["", *DOMAINS]))


class WeeklyQuery(Schema):
    region = REGION
    week = _day(metadata={"description": "该周（周一至周日）中的任一天，默认上一个整周"})


class ScoresQuery(Schema):
    month = String(validate=Regexp(r"^(20\d\d|2100)-(0[1-9]|1[0-2])$"), metadata={"description": "YYYY-MM，默认上个月"})
    region = REGION


class ExportScoresQuery(ScoresQuery):
    format = String(load_default="xlsx", validate=OneOf(["csv", "xlsx"]))


class SchemeQuery(Schema):
    region = REGION


class SchemeIn(Schema):
    region = REGION
    weights = Dict(
        keys=String(validate=OneOf(list(scores.COMPONENTS))),
        values=Float(validate=Range(0, 100), allow_nan=False),
        required=True,
        metadata={
            "description": "各评分项权重（0–100）：" + "、".join(f"{k} {v[0]}" for k, v in scores.COMPONENTS.items())
        },
    )
    lowest = Integer(load_default=3, strict=True, validate=Range(1, 20), metadata={"description": "通报末位单位数"})


class ReplyFlagIn(Schema):
    flag = String(required=True, validate=OneOf(list(scores.REPLY_FLAGS)), metadata={"description": "ok / poor / 空"})


class MetricsOut(Schema):
    period, previous, last_year, scope, total = Dict(), Dict(), Dict(), Dict(), Dict()
    working_days = Integer()
    by_type, by_domain, by_channel, by_region, cube = (
        List(Dict()),
        List(Dict()),
        List(Dict()),
        List(Dict()),
        List(Dict()),
    )
    rates, ratings, counts, assistant = Dict(), Dict(), Dict(), Dict()
    definitions = Dict()
    computed_at = String()


class DashboardOut(Schema):
    now = String()
    scope, today, open, trend, mix = Dict(), Dict(), Dict(), Dict(), Dict()
    units = List(Dict())


class WeeklyOut(Schema):
    week, scope = Dict(), Dict()
    due, late = Integer(), Integer()
    late_rate = Float(allow_none=True)
    units = List(Dict())
    summary, generated_at = String(), String()


class ScoresOut(Schema):
    period, scope, scheme, components = Dict(), Dict(), Dict(), Dict()
    units, regions = List(Dict()), List(Dict())
    lowest = List(String())


class SchemeOut(Schema):
    region = String()
    weights = Dict()
    lowest = Integer()
    updated_by = String()
    default = Boolean(metadata={"description": "true：未设置，使用内置默认权重"})


class PublicScoresOut(Schema):
    period = Dict()
    region = String()
    components = Dict()
    units = List(Dict(), metadata={"description": "排名、单位名称、地区、得分、各项比率（不含任何个人信息和工单内容）"})
    lowest = List(String())


class ReplyFlagOut(Schema):
    number, reply_flag, reply_flag_label = String(), String(), String()


def _period(query) -> Period:
    today = local_date(utcnow())
    end = query.get("end") or today
    start = query.get("start") or end.replace(day=1)
    return Period(start, end)


def _last_month() -> str:
    first = local_date(utcnow()).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _compute(query) -> dict:
    period = _period(query)
    region = region_for(auth.current_user, query["region"])
    with services().db.session() as s:
        result = metrics.compute(s, period.start, period.end, region, query["domain"] or None)
    return {**result, "definitions": metrics.definitions()}


def _file(body: bytes, fmt: str, name: str):
    return (
        body,
        200,
        {
            "Content-Type": XLSX_TYPE if fmt == "xlsx" else CSV_TYPE,
            "Content-Disposition": f"attachment; filename={name}.{fmt}",
        },
    )


FILE_RESPONSE = {
    200: {
        "description": "XLSX 或 CSV（UTF-8，带BOM）",
        "content": {
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    },
    **error_docs(403, 422),
}


# --- pages -----------------------------------------------------------------------------------------------------
@bp.get("/console/stats")
@bp.doc(hide=True)
def console():
    return render_page("stats.html", "stats")


@bp.get("/bulletin")
@bp.doc(hide=True)
def bulletin_page():
    return render_template("bulletin.html")


# --- metrics ---------------------------------------------------------------------------------------------------
@bp.get("/api/stats/metrics")
@bp.auth_required(auth, roles=VIEWERS)
@bp.input(MetricsQuery, location="query", arg_name="query")
@bp.output(MetricsOut)
@bp.doc(
    summary="统计指标（同比、环比） Metrics of a period",
    description="按诉求类型、业务领域、渠道、地区的受理量及同比、环比；按时转办率、按期办结率、即时答复率、按期回访率、"
    "满意率、超期率、退回率、延期率、重复投诉率；智能助手的答复、澄清、未答、转人工。督办人员只看本辖区。",
    responses=error_docs(403, 422),
)
def get_metrics(query):
    return _compute(query)


@bp.get("/api/stats/metrics/export")
@bp.auth_required(auth, roles=VIEWERS)
@bp.input(ExportMetricsQuery, location="query", arg_name="query")
@bp.doc(summary="导出统计指标（XLSX/CSV） Export the metrics", responses=FILE_RESPONSE)
def export_metrics(query):
    result = _compute(query)
    fmt = query["format"]
    name = f"stats-{result['period']['start']}-{result['period']['end']}"
    return _file(exports.as_file(exports.metrics_tables(result), fmt), fmt, name)


@bp.get("/api/stats/dashboard")
@bp.auth_required(auth, roles=VIEWERS)
@bp.input(DashboardQuery, location="query", arg_name="query")
@bp.output(DashboardOut)
@bp.doc(
    summary="日监测 Daily monitoring",
    description="今日受理、即将到期与超期（按承办单位）、近30日趋势、按类型/领域/渠道构成。",
    responses=error_docs(403, 422),
)
def get_dashboard(query):
    region = region_for(auth.current_user, query["region"])
    with services().db.session() as s:
        return monitoring.dashboard(s, region, query["domain"] or None)


@bp.get("/api/stats/weekly-bulletin")
@bp.auth_required(auth, roles=VIEWERS)
@bp.input(WeeklyQuery, location="query", arg_name="query")
@bp.output(WeeklyOut)
@bp.doc(summary="周通报：超期承办单位 Weekly bulletin of late units", responses=error_docs(403, 422))
def get_weekly(query):
    region = region_for(auth.current_user, query["region"])
    with services().db.session() as s:
        return monitoring.weekly_bulletin(s, region, query.get("week"))


# --- scores ----------------------------------------------------------------------------------------------------
@bp.get("/api/stats/scores")
@bp.auth_required(auth, roles=VIEWERS)
@bp.input(ScoresQuery, location="query", arg_name="query")
@bp.output(ScoresOut)
@bp.doc(
    summary="承办单位月度评分与排名 Unit scores of a month",
    description="按评分办法计算各承办单位得分，按地区排名并列出末位单位。",
    responses=error_docs(403, 422),
)
def get_scores(query):
    region = region_for(auth.current_user, query["region"])
    with services().db.session() as s:
        return scores.unit_scores(s, month(query.get("month") or _last_month()), region)


@bp.get("/api/stats/scores/export")
@bp.auth_required(auth, roles=VIEWERS)
@bp.input(ExportScoresQuery, location="query", arg_name="query")
@bp.doc(summary="导出承办单位评分（XLSX/CSV） Export the unit scores", responses=FILE_RESPONSE)
def export_scores(query):
    region = region_for(auth.current_user, query["region"])
    label = query.get("month") or _last_month()
    with services().db.session() as s:
        result = scores.unit_scores(s, month(label), region)
    fmt = query["format"]
    return _file(exports.as_file([exports.scores_table(result)], fmt), fmt, f"scores-{label}")


@bp.get("/api/stats/score-scheme")
@bp.auth_required(auth, roles=VIEWERS)
@bp.input(SchemeQuery, location="query", arg_name="query")
@bp.output(SchemeOut)
@bp.doc(summary="评分办法 The scoring scheme of a region", responses=error_docs(403, 422))
def get_scheme(query):
    region = region_for(auth.current_user, query["region"])
    with services().db.session() as s:
        return scores.scheme(s, region)


@bp.put("/api/stats/score-scheme")
@bp.auth_required(auth, roles=["admin", "supervisor"])
@bp.input(SchemeIn, arg_name="body")
@bp.output(SchemeOut)
@bp.doc(
    summary="设置评分办法 Set the scoring scheme of a region",
    description="管理员可设置任一地区（空为全部地区的默认）；督办人员只能设置本辖区。",
    responses=error_docs(403, 422),
)
def put_scheme(body):
    viewer = auth.current_user
    region = body["region"] if "admin" in viewer.roles else region_for(viewer, body["region"])
    with services().db.session() as s:
        return scores.set_scheme(s, region, body["weights"], body["lowest"], viewer)


@bp.put("/api/orders/<number>/reply-flag")
@bp.auth_required(auth, roles=["admin", "supervisor"])
@bp.input(ReplyFlagIn, arg_name="body")
@bp.output(ReplyFlagOut)
@bp.doc(
    summary="答复质量抽查 Flag a unit's reply",
    description="督办人员评定承办单位答复是否合格（计入评分办法的答复质量项）。",
    responses=error_docs(403, 404, 422),
)
def put_reply_flag(number, body):
    with services().db.session() as s:
        return scores.flag_reply(s, number, auth.current_user, body["flag"])


# --- public ----------------------------------------------------------------------------------------------------
@bp.get("/api/public/scores")
@bp.input(ScoresQuery, location="query", arg_name="query")
@bp.output(PublicScoresOut)
@bp.doc(
    summary="承办单位评分公示（公开） Public bulletin of unit scores",
    description="向社会公示：单位名称、得分、排名和各项比率，不含任何个人信息和工单内容。",
    responses=error_docs(422),
)
def public_scores(query):
    with services().db.session() as s:
        return scores.public_bulletin(s, month(query.get("month") or _last_month()), query["region"].strip())
