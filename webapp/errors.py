"""One place where errors become JSON: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from http import HTTPStatus

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from werkzeug.exceptions import HTTPException

from hotline.db import is_unavailable
from hotline.errors import HotlineError

from .schemas import ERROR_SCHEMA, INT32_MAX

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
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


DB_BUSY = "系统繁忙，请稍后再试。"


def error_body(status: int, message: str | None = None, code: str | None = None, details=None) -> dict:
    return {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": message or MESSAGES.get(status, "错误"),
            "details": details or {},
        }
    }


# What each error status means wherever it is documented (views may say something more precise).
DESCRIPTIONS = {
    400: "请求格式有误（不是合法的 JSON） Malformed body",
    401: "未登录或令牌无效 Missing or invalid token",
    403: "无权访问（角色或数据范围） Forbidden",
    404: "资源不存在 Not found",
    409: "状态冲突：版本已过期或当前状态不允许 Conflict",
    413: "请求内容过大 Payload too large",
    415: "请求的 Content-Type 不受支持 Unsupported media type",
    422: "请求参数有误 Invalid input",
    429: "请求过于频繁，请按 Retry-After 稍后再试 Too many requests",
    503: "服务暂时不可用，请稍后再试 Service unavailable",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "建议多少秒后重试 Seconds to wait before retrying",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def error_response(description: str, schema, retry_after: bool = False) -> dict:
    """An OpenAPI response entry for @bp.doc(responses=...), optionally with a Retry-After header."""
    entry = {"description": description, "content": {"application/json": {"schema": schema}}}
    if retry_after:
        entry["headers"] = dict(RETRY_AFTER)
    return entry


def error_docs(*codes: int, notes: dict[int, str] | None = None, retry_after: tuple[int, ...] = ()) -> dict:
    """The `responses` of @bp.doc for the errors a view answers itself, with the shared error schema.
    The errors every operation of a kind can answer (bad JSON, 401/403, 413, 415, 422, 503) are added to the
    spec for all operations by `document_common_errors`."""
    notes = notes or {}
    out: dict = {}
    for code in codes:
        description = notes.get(code, DESCRIPTIONS.get(code, HTTPStatus(code).phrase))
        out[code] = error_response(description, ERROR_SCHEMA, retry_after=code in retry_after)
    return out


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def document_common_errors(spec: dict) -> dict:
    """Spec processor: make /api/openapi.json list the errors the framework itself answers for an operation,
    so that a new endpoint is documented truly without anyone remembering to: a body that is not JSON (400),
    too large (413) or of the wrong Content-Type (415), invalid input (422), a missing or wrong token (401), a
    role that may not (403), the service busy or its database unreachable (503). Integer path parameters get the
    range the `int` converter accepts (a larger id is not found, never an overflow)."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("HTTPError", ERROR_SCHEMA)
    error_ref = {"$ref": "#/components/schemas/HTTPError"}
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            codes = [503]
            body = operation.get("requestBody")
            if body:
                codes += [413, 415, 422]
                body["required"] = any(
                    _resolve(spec, media.get("schema", {})).get("required")
                    for media in body.get("content", {}).values()
                )
                if "application/json" in body.get("content", {}):
                    codes.append(400)
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                codes.append(422)
            security = operation.get("security") or []
            if security:
                codes.append(401)
                if any(scopes for requirement in security for scopes in requirement.values()):
                    codes.append(403)
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    str(code),
                    {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": error_ref}}},
                )
            for param in operation.get("parameters", []):
                if param.get("in") == "path" and param.get("schema", {}).get("type") == "integer":
                    param["schema"].update(minimum=0, maximum=INT32_MAX)
    return spec


def register_error_handlers(app: APIFlask) -> None:
    app.spec_processor(document_common_errors)

    @app.error_processor
    def _apiflask_error(error: HTTPError):
        details = error.detail if isinstance(error.detail, dict) else {}
        message = error.message
        if error.status_code in (400, 422) or message == HTTPStatus(error.status_code).phrase:
            message = MESSAGES.get(error.status_code, message)  # Chinese unless the view said something
        return (
            error_body(error.status_code, message, details=details, code=(error.extra_data or {}).get("code")),
            error.status_code,
            error.headers,
        )

    @app.errorhandler(HotlineError)
    def _domain_error(exc: HotlineError):
        return error_body(exc.status, exc.message, exc.code, exc.details), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        # keep the exception's own headers (a 405 must say Allow), but the body is ours: JSON
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return error_body(status), status, headers

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if is_unavailable(exc):  # the database dropped the connection or is saturated: try again shortly
            log.warning("database unavailable: %s", exc)
            return error_body(503, DB_BUSY, "db_unavailable"), 503, {"Retry-After": "2"}
        log.exception("unhandled error")
        return error_body(500), 500
