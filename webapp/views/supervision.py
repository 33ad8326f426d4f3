"""Supervision API: high-frequency matters, the problem list (第三十三条), surge alerts and duplicate groups
(第三十四条), and the supervisors' page. Thin: parse, check the role, call the supervision service."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, Date, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from hotline.clock import CHINA, china_time, utcnow
from supervision import problems
from work_orders.lifecycle import TRANSITIONS, TYPES

from ..auth import auth
from ..errors import error_docs
from ..schemas import IdField, bounded_numbers
from .common import services
from .console import render_page

bp = APIBlueprint("supervision", __name__, tag="督办 Supervision")
SUPERVISORS = ["admin", "supervisor"]
LINKERS = ["admin", "operator", "supervisor"]
STAFF = ["admin", "operator", "unit", "supervisor"]
MAX_DAYS = 366


class TopicQuery(Schema):
    start = Date(load_default=None, metadata={"description": "开始日期（含，北京时间），默认本月1日"})
    end = Date(load_default=None, metadata={"description": "结束日期（含，北京时间），默认今天"})
    types = List(String(validate=OneOf(list(TYPES))), load_default=lambda: ["complaint", "consultation"])
    region = String(load_default="", validate=Length(0, 60))
    limit = Integer(load_default=20, validate=Range(1, 100))


class TopicOut(Schema):
    label = String(metadata={"description": "主题标签（关键词）"})
    keywords = List(String())
    count = Integer(metadata={"description": "本期件数"})
    previous = Integer(metadata={"description": "上期件数（等长的前一期间）"})
    growth = Float(allow_none=True, metadata={"description": "环比增长（上期为0时为空）"})
    kinds = Dict(metadata={"description": "按诉求类型的件数"})
    examples = List(String())
    places = List(Dict())
    targets = List(Dict())
    regions = List(Dict())
    orders = List(String(), metadata={"description": "本期工单编号"})


class TopicListOut(Schema):
    start = String()
    end = String()
    region = String()
    total = Integer()
    previous_total = Integer()
    topics = List(Nested(TopicOut))


class ProblemIn(Schema):
    title = String(required=True, validate=Length(1, 200))
    region = String(load_default="", validate=Length(0, 60))
    keywords = List(String(validate=Length(1, 40)), load_default=list, validate=Length(0, 10))
    description = String(load_default="", validate=Length(0, 5000))
    orders = List(String(validate=Length(1, 20)), load_default=list, validate=Length(0, problems.MAX_ORDERS))


class ProblemQuery(Schema):
    state = String(load_default="", validate=OneOf(["", *problems.STATES]))
    region = String(load_default="", validate=Length(0, 60))
    page = Integer(load_default=1, validate=Range(1, 10000))


class ProblemActionIn(Schema):
    note = String(required=True, validate=Length(1, 2000))
    version = IdField(metadata={"description": "乐观锁：事项当前版本号，过期返回409"})


class ProblemLinkIn(Schema):
    add = List(String(validate=Length(1, 20)), load_default=list, validate=Length(0, problems.MAX_ORDERS))
    remove = List(String(validate=Length(1, 20)), load_default=list, validate=Length(0, problems.MAX_ORDERS))


class ProblemOut(Schema):
    id = Integer()
    title, region, state, state_label, description = String(), String(), String(), String(), String()
    keywords = List(String())
    created_by = String()
    created_at, updated_at = String(), String()
    closed_at = String(allow_none=True)
    version = Integer()
    order_count = Integer()
    actions = List(String())
    orders = List(Dict())
    events = List(Dict(), metadata={"description": "处理记录（审计）"})


class ProblemListOut(Schema):
    total = Integer()
    page = Integer()
    items = List(Nested(ProblemOut))
    states = Dict()


class AlertQuery(Schema):
    status = String(load_default="", validate=OneOf(["", "open", "acknowledged"]))
    region = String(load_default="", validate=Length(0, 60))
    page = Integer(load_default=1, validate=Range(1, 10000))


class AlertOut(Schema):
    id = Integer()
    kind, kind_label, subject, region, status = String(), String(), String(), String(), String()
    count = Integer()
    window_start, window_end, created_at = String(), String(), String()
    acknowledged_by = String()
    acknowledged_at = String(allow_none=True)
    note = String()
    orders = List(Dict())


class AlertListOut(Schema):
    page = Integer()
    items = List(Nested(AlertOut))


class AcknowledgeIn(Schema):
    note = String(load_default="", validate=Length(0, 2000))


class DuplicateCandidatesOut(Schema):
    number = String()
    group_id = Integer(allow_none=True)
    items = List(Dict(), metadata={"description": "可能重复的工单：score、reasons、group_id"})


class GroupIn(Schema):
    numbers = List(String(validate=Length(1, 20)), required=True, validate=Length(1, 200))
    subject = String(load_default="", validate=Length(0, 200))


class GroupOut(Schema):
    id = Integer()
    region, subject, created_by, created_at = String(), String(), String(), String()
    members = List(Dict())
    dissolved = Boolean()


class GroupActionIn(Schema):
    params = Dict(
        load_default=dict,
        validate=bounded_numbers,
        metadata={"description": "操作参数（对每件工单相同），如 unit_id、reply"},
    )


class GroupActionOut(Schema):
    id = Integer()
    action = String()
    done = Integer()
    skipped = Integer()
    results = List(Dict(), metadata={"description": "每件工单的结果：number、ok、state、message"})


def _svc():
    return services().supervision


def _period(query) -> tuple[datetime, datetime]:
    today = china_time(utcnow()).date()
    start_day = query["start"] or today.replace(day=1)
    end_day = query["end"] or today
    if end_day < start_day:
        abort(422, "结束日期不能早于开始日期")
    if (end_day - start_day).days >= MAX_DAYS:
        abort(422, f"统计期间不能超过{MAX_DAYS}天")
    start = datetime.combine(start_day, time(0), tzinfo=CHINA)
    return start, datetime.combine(end_day, time(0), tzinfo=CHINA) + timedelta(days=1)


@bp.get("/console/supervision")
@bp.doc(hide=True)
def console():
    return render_page("supervision.html", "supervision")


@bp.get("/api/supervision/topics")
@bp.auth_required(auth, roles=SUPERVISORS)
@bp.input(TopicQuery, location="query", arg_name="query")
@bp.output(TopicListOut)
@bp.doc(
    summary="高频事项：按语义聚类的投诉与咨询主题 High-frequency matters",
    description="本期与等长的上一期一起聚类，按件数、环比排序；督办人员只看本人负责地区。",
    responses=error_docs(403, 422, notes={403: "所选地区不在本人负责范围内", 422: "期间有误"}),
)
def topics(query):
    start, end = _period(query)
    return _svc().topics.topics(
        auth.current_user, start, end, tuple(query["types"]) or ("complaint",), query["region"], query["limit"]
    )


@bp.get("/api/supervision/problems")
@bp.auth_required(auth, roles=SUPERVISORS)
@bp.input(ProblemQuery, location="query", arg_name="query")
@bp.output(ProblemListOut)
@bp.doc(summary="问题清单（第三十三条） Problem list", responses=error_docs(403))
def list_problems(query):
    return _svc().problems.list(auth.current_user, query["state"], query["region"], query["page"])


@bp.post("/api/supervision/problems")
@bp.auth_required(auth, roles=SUPERVISORS)
@bp.input(ProblemIn, arg_name="body")
@bp.output(ProblemOut, status_code=201)
@bp.doc(
    summary="列入问题清单 Put a matter on the problem list",
    responses=error_docs(403, 422, notes={403: "地区不在本人负责范围内", 422: "工单不存在或不在该地区"}),
)
def create_problem(body):
    return _svc().problems.create(auth.current_user, **body), 201


@bp.get("/api/supervision/problems/<int:problem_id>")
@bp.auth_required(auth, roles=SUPERVISORS)
@bp.output(ProblemOut)
@bp.doc(summary="问题清单事项及其工单、处理记录 A problem-list item", responses=error_docs(404))
def get_problem(problem_id):
    return _svc().problems.get(problem_id, auth.current_user)


@bp.post("/api/supervision/problems/<int:problem_id>/actions/<action>")
@bp.auth_required(auth, roles=SUPERVISORS)
@bp.input(ProblemActionIn, arg_name="body")
@bp.output(ProblemOut)
@bp.doc(
    summary="督办、销号或重新督办 Supervise, close or reopen",
    description="操作：" + "、".join(f"{a}（{m.label}）" for a, m in problems.TRANSITIONS.items()),
    responses=error_docs(404, 409, 422, notes={409: "状态不允许或版本冲突", 422: "未知操作或缺少说明"}),
)
def act_problem(problem_id, action, body):
    return _svc().problems.act(problem_id, action, auth.current_user, body["note"], body.get("version"))


@bp.post("/api/supervision/problems/<int:problem_id>/orders")
@bp.auth_required(auth, roles=SUPERVISORS)
@bp.input(ProblemLinkIn, arg_name="body")
@bp.output(ProblemOut)
@bp.doc(
    summary="关联或取消关联工单 Link orders",
    responses=error_docs(404, 409, 422, notes={409: "已销号", 422: "工单不存在或不在该地区"}),
)
def link_problem_orders(problem_id, body):
    return _svc().problems.link(problem_id, auth.current_user, body["add"], body["remove"])


@bp.get("/api/supervision/alerts")
@bp.auth_required(auth, roles=SUPERVISORS)
@bp.input(AlertQuery, location="query", arg_name="query")
@bp.output(AlertListOut)
@bp.doc(summary="聚集性投诉预警（第三十四条） Surge alerts", responses=error_docs(403))
def list_alerts(query):
    return _svc().alerts.list(auth.current_user, query["status"], query["region"], query["page"])


@bp.get("/api/supervision/alerts/<int:alert_id>")
@bp.auth_required(auth, roles=SUPERVISORS)
@bp.output(AlertOut)
@bp.doc(summary="预警及其关联工单 An alert with its orders", responses=error_docs(404))
def get_alert(alert_id):
    return _svc().alerts.get(alert_id, auth.current_user)


@bp.post("/api/supervision/alerts/<int:alert_id>/acknowledge")
@bp.auth_required(auth, roles=SUPERVISORS)
@bp.input(AcknowledgeIn, arg_name="body")
@bp.output(AlertOut)
@bp.doc(summary="确认预警 Acknowledge an alert", responses=error_docs(404, 422, notes={422: "已确认"}))
def acknowledge_alert(alert_id, body):
    return _svc().alerts.acknowledge(alert_id, auth.current_user, body["note"])


@bp.get("/api/orders/<number>/duplicates")
@bp.auth_required(auth, roles=LINKERS)
@bp.output(DuplicateCandidatesOut)
@bp.doc(summary="可能重复的投诉 Possible duplicates of an order", responses=error_docs(403, 404))
def duplicate_candidates(number):
    return _svc().duplicates.candidates(number, auth.current_user)


@bp.post("/api/duplicate-groups")
@bp.auth_required(auth, roles=LINKERS)
@bp.input(GroupIn, arg_name="body")
@bp.output(GroupOut, status_code=201)
@bp.doc(
    summary="合并重复投诉（各来电人仍各自答复、回访） Link duplicate complaints",
    responses=error_docs(403, 404, 422, notes={422: "少于两件或类型不同"}),
)
def link_duplicates(body):
    return _svc().duplicates.link(body["numbers"], auth.current_user, body["subject"]), 201


@bp.get("/api/duplicate-groups/<int:group_id>")
@bp.auth_required(auth, roles=STAFF)
@bp.output(GroupOut)
@bp.doc(summary="重复投诉组 A duplicate group", responses=error_docs(403, 404))
def get_group(group_id):
    return _svc().duplicates.get(group_id, auth.current_user)


@bp.delete("/api/orders/<number>/duplicate-group")
@bp.auth_required(auth, roles=LINKERS)
@bp.output(GroupOut)
@bp.doc(summary="将工单移出重复投诉组 Unlink an order", responses=error_docs(403, 404))
def unlink_duplicate(number):
    return _svc().duplicates.unlink(number, auth.current_user)


@bp.post("/api/duplicate-groups/<int:group_id>/actions/<action>")
@bp.auth_required(auth, roles=STAFF)
@bp.input(GroupActionIn, arg_name="body")
@bp.output(GroupActionOut)
@bp.doc(
    summary="对重复投诉组统一办理 Take an action on every order of a group",
    description="每件工单各自按流转规则办理、各自通知来电人；回访须逐一进行。操作："
    + "、".join(f"{a}（{t.label}）" for a, t in TRANSITIONS.items() if a != "callback"),
    responses=error_docs(404, 422, notes={422: "未知操作或不能批量办理的操作"}),
)
def act_group(group_id, action, body):
    return _svc().duplicates.act(group_id, action, auth.current_user, body["params"])
