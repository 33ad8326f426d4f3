"""Web chat: the page at / and the JSON chat API that every channel's contract follows."""
from __future__ import annotations

import logging

from apiflask import APIBlueprint
from flask import jsonify, make_response, render_template

from channels.conversation import BUSY_REPLY
from hotline.errors import BotUnavailable

from ..errors import error_body, error_response
from ..schemas import BusyOut, ChatIn, ChatOut, HealthOut
from .common import services

log = logging.getLogger(__name__)
bp = APIBlueprint("chat", __name__, tag="对话 Chat")


@bp.get("/")
@bp.doc(hide=True)
def page():
    return render_template("chat.html")


@bp.post("/api/chat")
@bp.input(ChatIn, arg_name="body")
@bp.output(ChatOut)
@bp.doc(summary="发送一条消息 Send a message",
        responses={422: "输入有误 Invalid input",
                   503: error_response("对话服务繁忙 Bot unavailable; `replies` carries a Chinese busy message",
                                       BusyOut)})
def chat(body):
    try:
        result = services().rasa.send(f"web:{body['sender']}", body["text"].strip())
    except BotUnavailable as exc:
        log.warning("bot unavailable: %s", exc.message)
        payload = error_body(503, exc.message, exc.code)
        payload["replies"] = [{"text": BUSY_REPLY, "buttons": []}]
        return make_response(jsonify(payload), 503)
    return result.as_dict()


@bp.get("/api/health")
@bp.output(HealthOut)
@bp.doc(summary="健康检查 Health")
def health():
    svc = services()
    bot_ready = svc.rasa.is_ready()
    return {"status": "ok" if bot_ready else "degraded", "bot": bot_ready, "articles": svc.kb.article_count()}
