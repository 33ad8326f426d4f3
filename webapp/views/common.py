from __future__ import annotations

from flask import Response, current_app, jsonify, make_response

from channels.conversation import BUSY_REPLY
from hotline.errors import BotUnavailable

from ..errors import error_body
from ..services import Services


def services() -> Services:
    return current_app.extensions["hotline"]


def busy_response(exc: BotUnavailable) -> Response:
    """503 for a turn the bot could not take: the Chinese busy reply in `replies`, and `Retry-After` when this
    process refused it for lack of capacity (the client may simply send it again after that many seconds)."""
    payload = error_body(503, exc.message, exc.code)
    payload["replies"] = [{"text": BUSY_REPLY, "buttons": []}]
    resp = make_response(jsonify(payload), 503)
    resp.headers["Retry-After"] = str(getattr(exc, "retry_after", 5))
    return resp
