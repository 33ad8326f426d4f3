"""One place where errors become JSON: {"error": {"code", "message", "details"}}."""
from __future__ import annotations

import logging
from http import HTTPStatus

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from werkzeug.exceptions import HTTPException

from hotline.db import is_unavailable
from hotline.errors import HotlineError

log = logging.getLogger(__name__)

MESSAGES = {
    400: "请求格式有误",
    401: "未授权",
    403: "无权访问",
    404: "资源不存在",
    405: "请求方法不允许",
    413: "请求内容过大",
    415: "请求须为 JSON 格式",
    422: "请求参数有误",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "服务暂时不可用",
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
         429: "rate_limited", 500: "internal_error", 503: "service_unavailable"}


DB_BUSY = "系统繁忙，请稍后再试。"


def error_body(status: int, message: str | None = None, code: str | None = None, details=None) -> dict:
    return {"error": {"code": code or CODES.get(status, "error"), "message": message or MESSAGES.get(status, "错误"),
                      "details": details or {}}}


def error_response(description: str, schema) -> dict:
    """An OpenAPI response entry for @bp.doc(responses=...)."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def register_error_handlers(app: APIFlask) -> None:
    @app.error_processor
    def _apiflask_error(error: HTTPError):
        details = error.detail if isinstance(error.detail, dict) else {}
        message = error.message
        if error.status_code in (400, 422) or message == HTTPStatus(error.status_code).phrase:
            message = MESSAGES.get(error.status_code, message)  # Chinese unless the view said something
        return error_body(error.status_code, message, details=details, code=(error.extra_data or {}).get("code")), \
            error.status_code, error.headers

    @app.errorhandler(HotlineError)
    def _domain_error(exc: HotlineError):
        return error_body(exc.status, exc.message, exc.code, exc.details), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        return error_body(status), status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if is_unavailable(exc):  # the database dropped the connection or is saturated: try again shortly
            log.warning("database unavailable: %s", exc)
            return error_body(503, DB_BUSY, "db_unavailable"), 503, {"Retry-After": "2"}
        log.exception("unhandled error")
        return error_body(500), 500
