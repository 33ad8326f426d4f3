"""The 12345 link: the endpoint 12345 transfers work orders to (HMAC-signed), and the console's sync API
(status, log, on-demand sync, proposals kept from conflicts, the outbox). Thin: the work is in sync/."""

from __future__ import annotations

import json
import logging
import threading

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Integer, String
from apiflask.validators import OneOf, Range
from flask import request

from sync import review
from sync.errors import Busy
from sync.service import SyncService, verify_signature

from ..auth import auth
from ..errors import error_docs
from .common import services
from .console import render_page

log = logging.getLogger(__name__)
bp = APIBlueprint("sync", __name__, tag="12345 对接 Sync with 12345")
READERS = ["admin", "publisher", "editor", "operator"]
RUNNERS = ["admin", "publisher"]
MAX_TRANSFER_BYTES = 2 * 1024 * 1024


def sync_service() -> SyncService:
    return services().sync


class RunsQuery(Schema):
    feed = String(load_default=None)
    limit = Integer(load_default=20, validate=Range(1, 200))


class RunIn(Schema):
    what = String(
        load_default="kb",
        validate=OneOf(["kb", "outbox"]),
        metadata={"description": "kb：同步知识库（后台运行）；outbox：立即推送待发的工单消息"},
    )


class ProposalQuery(Schema):
    status = String(load_default="open", validate=OneOf(["open", "accepted", "dismissed", "all"]))
    page = Integer(load_default=1, validate=Range(1, 10000))


class OutboxQuery(Schema):
    state = String(load_default="pending", validate=OneOf(["pending", "stuck", "acked", "all"]))


@bp.get("/console/sync")
@bp.doc(hide=True)
def console():
    """The console page: status, the sync log, the sync-now button, proposals to review."""
    return render_page("sync.html", "sync")


@bp.post("/api/sync/12345/orders")
@bp.doc(
    summary="12345 转办工单（HMAC 签名） Work orders transferred by 12345",
    description='Body: {"orders": [TransferOrder, …]} (≤ 200). Headers: X-Hotline-Timestamp (Unix seconds), '
    "X-Hotline-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + '.' + body)). One result per "
    "order: accepted | returned (第十九条, with reason) | duplicate | invalid | conflict. "
    "See sync/protocol.openapi.yaml.",
    responses={
        200: "每件工单的处理结果",
        **error_docs(
            400,
            401,
            413,
            422,
            notes={400: "不是 UTF-8 编码的 JSON", 401: "签名缺失、错误或过期", 422: "orders 不是数组"},
        ),
    },
)
def transfer_in():
    body = request.get_data(cache=False)
    if len(body) > MAX_TRANSFER_BYTES:
        abort(413, "请求过大")
    verify_signature(
        sync_service().secret,
        request.headers.get("X-Hotline-Timestamp"),
        request.headers.get("X-Hotline-Signature"),
        body,
    )
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        abort(400, "请求须为 UTF-8 编码的 JSON")
    orders = doc if isinstance(doc, list) else doc.get("orders") if isinstance(doc, dict) and "orders" in doc else [doc]
    if not isinstance(orders, list):
        abort(422, "orders 须为数组")
    return {"results": sync_service().exchange.receive(orders)}


@bp.get("/api/sync/status")
@bp.auth_required(auth, roles=READERS)
@bp.doc(summary="对接状态 Sync status: feeds, last run, outbox, open proposals")
def status():
    return sync_service().status()


@bp.get("/api/sync/runs")
@bp.auth_required(auth, roles=READERS)
@bp.input(RunsQuery, location="query", arg_name="query")
@bp.doc(summary="同步日志 Sync log (runs)")
def runs(query):
    return {"runs": sync_service().runs(query.get("feed"), query["limit"])}


@bp.get("/api/sync/runs/<int:run_id>")
@bp.auth_required(auth, roles=READERS)
@bp.doc(
    summary="一次同步的明细 One run with its events (rejected items, conflicts, retries, errors)",
    responses={200: "同步记录与事件", **error_docs(404)},
)
def run_detail(run_id):
    detail = sync_service().run_detail(run_id)
    if detail is None:
        abort(404, f"同步记录 {run_id} 不存在")
    return detail


@bp.get("/api/sync/events")
@bp.auth_required(auth, roles=READERS)
@bp.doc(summary="最近的同步事件 Recent sync events (incl. outbox retries)")
def recent_events():
    return {"events": sync_service().recent_events(request.args.get("level") or None)}


@bp.post("/api/sync/run")
@bp.auth_required(auth, roles=RUNNERS)
@bp.input(RunIn, arg_name="body")
@bp.doc(
    summary="立即同步（控制台按钮） Sync now",
    responses={
        200: "待发的工单消息已推送（what=outbox） Outbox pushed",
        202: "已开始（知识库同步在后台运行，见同步日志）",
        **error_docs(409, 502, 503, notes={409: "正在同步", 502: "12345 接口出错或不可达", 503: "未配置 12345 接口"}),
    },
)
def run_now(body):
    svc = sync_service()
    if not svc.configured:
        abort(503, "未配置 12345 接口地址（HOTLINE_SYNC_URL）")
    if body["what"] == "outbox":
        return svc.exchange.push_outbox()
    if svc.running():
        abort(409, "知识库正在同步，请稍后查看同步日志")
    user = auth.current_user.username

    def work():
        try:
            svc.sync_kb(trigger=f"console:{user}")
        except Busy:
            pass
        except Exception:  # logged in the sync log by the engine; this is the thread's last resort
            log.exception("on-demand KB sync failed")

    threading.Thread(target=work, name="sync-kb-console", daemon=True).start()
    return {"started": True}, 202


@bp.get("/api/sync/proposals")
@bp.auth_required(auth, roles=READERS)
@bp.input(ProposalQuery, location="query", arg_name="query")
@bp.doc(summary="冲突中保留的提议版本 Proposed versions kept from conflicts")
def proposals(query):
    status = None if query["status"] == "all" else query["status"]
    return review.list_proposals(services().db, status, query["page"])


@bp.post("/api/sync/proposals/<int:proposal_id>/accept")
@bp.auth_required(auth, roles=RUNNERS)
@bp.doc(
    summary="采纳提议版本（成为文章的新版本，并在下次同步时推送） Accept a proposal",
    responses={200: "文章的新版本", **error_docs(404, 409, notes={409: "已处理或版本冲突"})},
)
def accept(proposal_id):
    return review.accept(services().editor, proposal_id, auth.current_user.username)


@bp.post("/api/sync/proposals/<int:proposal_id>/dismiss")
@bp.auth_required(auth, roles=RUNNERS)
@bp.doc(
    summary="不采纳提议版本 Dismiss a proposal",
    responses={200: "已不采纳", **error_docs(404, 409, notes={409: "已处理"})},
)
def dismiss(proposal_id):
    review.dismiss(services().db, proposal_id, auth.current_user.username)
    return {"dismissed": proposal_id}


@bp.get("/api/sync/outbox")
@bp.auth_required(auth, roles=READERS)
@bp.input(OutboxQuery, location="query", arg_name="query")
@bp.doc(summary="发往 12345 的工单消息 Outbox of work-order messages to 12345")
def outbox(query):
    return {"messages": sync_service().exchange.outbox(query["state"])}
