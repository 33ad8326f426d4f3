"""Handoff to a human: the operator console page and its API (queue, take over, talk, close).
Thin: parse, check the role, call the handoff package. The user's side lives in the chat blueprint."""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length

from handoff.service import MAX_TEXT

from ..auth import auth
from ..errors import error_docs
from ..schemas import IdQuery, text_field
from .common import services
from .console import render_page

bp = APIBlueprint("handoff", __name__, tag="转人工 Handoff")
OPERATORS = ["admin", "operator"]
CONFLICTS = error_docs(404, 409, notes={409: "会话状态不允许：已被他人接入、尚未接入或已结束", 404: "会话不存在"})


class HandoffOut(Schema):
    id = Integer(required=True)
    channel = String(metadata={"description": "web / wechat / miniprogram"})
    channel_label = String()
    user_tag = String(metadata={"description": "用户的匿名标签（不显示渠道用户ID）"})
    sender = String(metadata={"description": "渠道:用户ID（仅详情）"})
    reason, reason_label = String(), String()
    urgent = Boolean(metadata={"description": "紧急：安全隐患或“层层加码”“一刀切”劝返举报，排在其他会话之前"})
    state = String(metadata={"description": "queued（排队中）/ taken（人工服务中）/ closed（已结束）"})
    state_label = String()
    operator = String(metadata={"description": "接入的座席用户名"})
    position = Integer(allow_none=True)
    created_at = String()
    taken_at, closed_at = String(allow_none=True), String(allow_none=True)
    closed_by, close_note = String(), String()
    waiting_seconds = Integer(metadata={"description": "排队等待秒数（接入后为实际等待时长）"})
    masked = Boolean(metadata={"description": "排队中的会话隐去手机号和身份证号"})
    transcript = List(Dict(), metadata={"description": "转人工前与智能助手的对话 [{who, text, at}]"})
    messages = List(Dict(), metadata={"description": "转人工后的消息 [{id, who, author, text, at, label}]"})


class HandoffQueueOut(Schema):
    items = List(Nested(HandoffOut), required=True)
    service = Dict(metadata={"description": "{open, hours, opens_at}：是否在人工服务时间、服务时间、下次上线时间"})


class HandoffMessageIn(Schema):
    text = text_field(MAX_TEXT, f"回复内容（1..{MAX_TEXT}字，不能只有空白）")


class HandoffMessageOut(Schema):
    id = Integer(required=True)
    handoff_id = Integer()
    who, author, label, text, at = String(), String(), String(), String(), String()


class HandoffMessagesQuery(Schema):
    after = IdQuery(load_default=0)


class HandoffMessagesOut(Schema):
    messages = List(Nested(HandoffMessageOut), required=True)
    state = String(required=True)


class HandoffCloseIn(Schema):
    note = String(load_default="", validate=Length(0, 1000), metadata={"description": "内部备注，不发给用户"})


def _svc():
    return services().handoffs


@bp.get("/console/handoff")
@bp.doc(hide=True)
def console():
    return render_page("handoff.html", "handoff")


@bp.get("/api/handoffs")
@bp.auth_required(auth, roles=OPERATORS)
@bp.output(HandoffQueueOut)
@bp.doc(
    summary="转人工队列 Open handoffs",
    description="排队中和人工服务中的会话，最早的在前；记录中的手机号、身份证号已隐去。"
    "非服务时间仍在排队的会话会被结束，并告知用户人工客服的上线时间。",
)
def queue():
    return {"items": _svc().queue(), "service": _svc().service_status()}


@bp.get("/api/handoffs/<int:handoff_id>")
@bp.auth_required(auth, roles=OPERATORS)
@bp.output(HandoffOut)
@bp.doc(
    summary="会话详情（接入后座席可见完整记录） One handoff",
    description="排队中的会话，以及非座席（管理员）查看时，手机号和身份证号已隐去。",
    responses=error_docs(404, notes={404: "会话不存在"}),
)
def get_handoff(handoff_id):
    return _svc().get(handoff_id, viewer=auth.current_user)


@bp.post("/api/handoffs/<int:handoff_id>/take")
@bp.auth_required(auth, roles=OPERATORS)
@bp.output(HandoffOut)
@bp.doc(summary="接入会话 Take over", responses=CONFLICTS)
def take(handoff_id):
    return _svc().take(handoff_id, auth.current_user.username, viewer=auth.current_user)


@bp.get("/api/handoffs/<int:handoff_id>/messages")
@bp.auth_required(auth, roles=OPERATORS)
@bp.input(HandoffMessagesQuery, location="query", arg_name="query")
@bp.output(HandoffMessagesOut)
@bp.doc(summary="会话的新消息（轮询） New messages", responses=error_docs(404, notes={404: "会话不存在"}))
def messages(handoff_id, query):
    state = _svc().state(handoff_id)  # read first: a close after this still has its messages below
    return {"messages": _svc().messages(handoff_id, query["after"], viewer=auth.current_user), "state": state}


@bp.post("/api/handoffs/<int:handoff_id>/messages")
@bp.auth_required(auth, roles=OPERATORS)
@bp.input(HandoffMessageIn, arg_name="body")
@bp.output(HandoffMessageOut, status_code=201)
@bp.doc(
    summary="回复用户（经用户原渠道送达） Reply to the user",
    description="网页用户由聊天页轮询收到；微信公众号和小程序用户经发件箱 ho_outbox 由渠道送达。",
    responses=CONFLICTS,
)
def reply(handoff_id, body):
    return _svc().operator_message(handoff_id, auth.current_user.username, body["text"]), 201


@bp.post("/api/handoffs/<int:handoff_id>/close")
@bp.auth_required(auth, roles=OPERATORS)
@bp.input(HandoffCloseIn, arg_name="body")
@bp.output(HandoffOut)
@bp.doc(
    summary="结束会话（智能助手继续服务） Close",
    description="接入的座席可结束自己的会话，排队中的会话任何座席可结束，管理员可结束任何会话。",
    responses=CONFLICTS,
)
def close(handoff_id, body):
    user = auth.current_user
    return _svc().close(handoff_id, user.username, body["note"], force=user.has("admin"), viewer=user)
