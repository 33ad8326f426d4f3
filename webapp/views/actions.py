"""The Rasa action endpoint, served by rasa_sdk's ActionExecutor inside the app."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import zlib

from apiflask import APIBlueprint
from flask import jsonify, request
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

from ..errors import error_body, error_response
from ..schemas import ERROR_SCHEMA
from .common import services

# rasa_sdk's own error body, which Rasa reads
RASA_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "action_name": {"type": "string"}},
}

log = logging.getLogger(__name__)
bp = APIBlueprint("actions", __name__, tag="Rasa 动作 Actions")


@bp.post("/webhook")
@bp.doc(
    summary="Rasa 自定义动作 Rasa action endpoint (called by the bot, token required)",
    description="Body: Rasa's action call {next_action, sender_id, tracker, domain, version}; query: token.",
    responses={
        200: "动作的事件与回复 Events and responses (rasa_sdk's format)",
        400: {
            "description": "不是合法的动作调用 Not a valid action call",
            "content": {"application/json": {"schema": {"anyOf": [ERROR_SCHEMA, RASA_ERROR]}}},
        },
        401: error_response("令牌错误 Wrong token", ERROR_SCHEMA),
        404: error_response("未知动作 Unknown action", RASA_ERROR),
        449: error_response("需要领域 Domain missing: Rasa resends with the domain", RASA_ERROR),
    },
)
def webhook():
    svc = services()
    token = request.args.get("token", "")
    if not hmac.compare_digest(token.encode(), svc.settings.action_token.encode()):
        return jsonify(error_body(401)), 401
    try:
        raw = request.get_data()
        if request.headers.get("Content-Encoding") == "deflate":
            raw = zlib.decompress(raw)
        call = json.loads(raw)
    except (ValueError, zlib.error):
        return jsonify(error_body(400, "action call is not valid JSON")), 400
    if not isinstance(call, dict):
        return jsonify(error_body(400, "action call must be a JSON object")), 400
    try:
        result = asyncio.run(svc.executor.run(call))
    except ActionNotFoundException as exc:
        return jsonify({"error": exc.message, "action_name": exc.action_name}), 404
    except ActionMissingDomainException as exc:  # Rasa resends with the domain on 449
        return jsonify({"error": exc.message, "action_name": exc.action_name}), 449
    except ActionExecutionRejection as exc:
        return jsonify({"error": exc.message, "action_name": exc.action_name}), 400
    return jsonify(result.model_dump() if result else None)
