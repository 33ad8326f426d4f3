"""Web chat: the page at / and the JSON chat API that every channel's contract follows."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response, render_template

from hotline.channels import sender_id
from hotline.errors import BotUnavailable

from ..errors import error_response
from ..schemas import BusyOut, ChatIn, ChatOut, HealthOut, UpdatesOut, UpdatesQuery
from .common import busy_response, services

bp = APIBlueprint("chat", __name__, tag="对话 Chat")


@bp.get("/")
@bp.doc(hide=True)
def page():
    return render_template("chat.html")


# The pages' icon: a road sign's blue square with "12328" (an SVG, so one file serves every size).
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="12" fill="#1d5fa8"/>'
    '<text x="32" y="40" font-family="sans-serif" font-size="17" font-weight="700" fill="#fff" '
    'text-anchor="middle">12328</text></svg>'
)


@bp.get("/favicon.ico")
@bp.get("/favicon.svg")
@bp.doc(hide=True)
def favicon():
    return Response(FAVICON, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@bp.post("/api/chat")
@bp.input(ChatIn, arg_name="body")
@bp.output(ChatOut)
@bp.doc(
    summary="发送一条消息 Send a message",
    responses={
        503: error_response(
            "对话服务繁忙 Bot busy or unavailable; `replies` carries a Chinese busy message, "
            "Retry-After the seconds to wait",
            BusyOut,
            retry_after=True,
        )
    },
)
def chat(body):
    sender, text = sender_id("web", body["sender"]), body["text"].strip()
    try:
        result = services().conversation.handle(sender, text)
    except BotUnavailable as exc:
        return busy_response(exc)
    out = result.as_dict()
    if not result.diverted and services().chat_history is not None:  # the page restores it after a reload
        services().chat_history.record(sender, text, out)
    return out


@bp.get("/api/chat/updates")
@bp.input(UpdatesQuery, location="query", arg_name="query")
@bp.output(UpdatesOut)
@bp.doc(
    summary="人工客服的新消息 New operator messages for the web visitor",
    description="网页聊天在转人工期间轮询：返回该访客 id 大于 after 的人工客服/系统消息，以及进行中的转人工会话"
    "（handoff 为 null 表示已结束，由智能助手继续答复）。只返回该 sender 自己的消息。",
)
def updates(query):
    sender = sender_id("web", query["sender"])
    handoffs = services().handoffs
    current = handoffs.active(sender)  # read first: a handoff closed after this still has its last messages below
    return {"messages": handoffs.messages(sender, query["after"], limit=100), "handoff": current}


@bp.get("/api/health")
@bp.output(HealthOut)
@bp.doc(summary="健康检查 Health")
def health():
    svc = services()
    bot_ready = svc.rasa.is_ready()
    return {
        "status": "ok" if bot_ready else "degraded",
        "bot": bot_ready,
        "articles": svc.kb.article_count(),
        "wechat": svc.settings.wechat.status,
    }
