"""The web visitor's recent conversation, restored by the chat page after a reload (channels.history)."""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, List, Nested, String

from channels.history import KEEP_DAYS, LIMIT
from hotline.channels import sender_id

from ..schemas import Button, Source, WorkOrder, sender_field
from .common import services

bp = APIBlueprint("chat_history", __name__, tag="对话 Chat")


class HistoryQuery(Schema):
    sender = sender_field()


class HistoryTurn(Schema):
    role = String(required=True, metadata={"description": "user（访客）/ bot（智能助手）"})
    text = String(required=True, metadata={"description": "访客按下的按钮记为按钮标题，不是按钮的指令"})
    buttons = List(Nested(Button), required=True)
    sources = List(Nested(Source), required=True, metadata={"description": "该条回复所依据的出处"})
    work_order = Nested(WorkOrder, allow_none=True)
    at = String(required=True, metadata={"description": "ISO 8601"})


class HistoryOut(Schema):
    turns = List(Nested(HistoryTurn), required=True)
    meta = Dict(metadata={"description": "{limit, keep_days}"})


@bp.get("/api/chat/history")
@bp.input(HistoryQuery, location="query", arg_name="query")
@bp.output(HistoryOut)
@bp.doc(
    summary="最近的对话 The web visitor's recent conversation",
    description=f"网页聊天页面重新加载后恢复对话：返回该访客（sender）最近 {LIMIT} 条消息（旧的在前），"
    "含工单编号与出处；只返回该 sender 自己的消息，保留30天。",
)
def history(query):
    store = services().chat_history
    sender = sender_id("web", query["sender"])
    return {"turns": store.recent(sender) if store else [], "meta": {"limit": LIMIT, "keep_days": KEEP_DAYS}}
