"""The official account's server endpoint (服务器配置 URL): WeChat's GET verification and its POSTed messages.
Thin: everything WeChat-specific is in channels.wechat; answers are text or XML, never an HTML error page."""

from __future__ import annotations

import logging
import time

from apiflask import APIBlueprint
from flask import Response, request

from channels.wechat.errors import AccountNotConfigured
from channels.wechat.protocol import MAX_BODY, Rejected

from .common import services

log = logging.getLogger(__name__)
bp = APIBlueprint("wechat", __name__, tag="微信公众号 WeChat official account")


def TEXT(description: str) -> dict:
    """A plain-text answer in the spec: WeChat's server reads text, never JSON."""
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def _official():
    return services().wechat.official


def _refuse(exc: Rejected) -> Response:
    log.warning("WeChat request refused from %s: %s", request.remote_addr, exc.message)
    return Response(exc.code, status=exc.status, mimetype="text/plain")


def _not_configured(exc: AccountNotConfigured) -> Response:
    return Response(exc.message, status=exc.status, mimetype="text/plain")


@bp.get("/wechat/mp")
@bp.doc(
    summary="微信服务器地址校验 URL verification",
    description="微信以 signature/timestamp/nonce/echostr 调用；签名正确且时间戳在允许范围内时原样返回 echostr。",
    responses={
        200: TEXT("echostr"),
        400: TEXT("请求格式有误（错误码）"),
        403: TEXT("签名或时间戳不对（错误码）"),
        503: TEXT("公众号未配置（HOTLINE_WECHAT_APPID）"),
    },
)
def verify():
    try:
        return Response(_official().verify(request.args), mimetype="text/plain")
    except Rejected as exc:
        return _refuse(exc)
    except AccountNotConfigured as exc:
        return _not_configured(exc)


@bp.post("/wechat/mp")
@bp.doc(
    summary="接收微信消息与事件 Messages and events from WeChat",
    description="明文、兼容、安全（AES）模式；先校验签名与时间戳，再解密、解析。4 秒内答复被动回复，否则回复 "
    "success 并以客服消息发送。同一 MsgId 只处理一次。",
    responses={
        200: {
            "description": "被动回复（XML）或 success",
            "content": {
                "application/xml": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        },
        400: TEXT("消息格式有误（错误码）"),
        403: TEXT("签名、时间戳或加密方式不对（错误码）"),
        413: TEXT("payload_too_large"),
        503: TEXT("公众号未配置（HOTLINE_WECHAT_APPID）"),
    },
)
def receive():
    started = time.monotonic()
    if (request.content_length or 0) > MAX_BODY:
        return Response("payload_too_large", status=413, mimetype="text/plain")
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return Response("payload_too_large", status=413, mimetype="text/plain")
    try:
        answer = _official().receive(request.args, body, started)
    except Rejected as exc:
        return _refuse(exc)
    except AccountNotConfigured as exc:
        return _not_configured(exc)
    return Response(answer, mimetype="text/plain" if answer == "success" else "application/xml")
