"""Request/response schemas: they validate input and generate /api/openapi.json."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, Range, Regexp
from marshmallow import ValidationError, validates


class ChatIn(Schema):
    sender = String(required=True, validate=[Length(1, 64), Regexp(r"^[A-Za-z0-9_.\-]+$",
                    error="sender 只能包含字母、数字、下划线、点和短横线")],
                    metadata={"description": "Stable id of the web visitor (stored in the browser)."})
    text = String(required=True, metadata={"description": "What the user typed (1..2000 characters)."})

    @validates("text")
    def _text(self, value: str, **_):
        if not value.strip():
            raise ValidationError("请输入内容")
        if len(value) > 2000:
            raise ValidationError("内容过长，请控制在2000字以内")


class Button(Schema):
    title = String(required=True)
    payload = String(required=True)


class Reply(Schema):
    text = String(required=True)
    buttons = List(Nested(Button), required=True)
    image = String()


class Intent(Schema):
    name = String(allow_none=True)
    confidence = Float()


class Source(Schema):
    article_id = Integer(required=True)
    title = String(required=True)
    score = Float(required=True)
    citation = String()


class WorkOrder(Schema):
    number = String(required=True)
    type = String()
    state = String()
    deadline = String()


class ChatOut(Schema):
    replies = List(Nested(Reply), required=True)
    intent = Nested(Intent, required=True)
    sources = List(Nested(Source), required=True)
    work_order = Nested(WorkOrder, allow_none=True)


class SearchQuery(Schema):
    q = String(required=True, validate=Length(1, 500), metadata={"description": "The question."})
    k = Integer(load_default=5, validate=Range(1, 20))


class SearchHit(Schema):
    article_id = Integer(required=True)
    title = String(required=True)
    source = String(required=True)
    citation = String()
    score = Float(required=True)
    snippet = String(required=True)


class SearchOut(Schema):
    hits = List(Nested(SearchHit), required=True)


class ErrorDetail(Schema):
    code = String(required=True)
    message = String(required=True)
    details = Dict()


class ErrorOut(Schema):
    error = Nested(ErrorDetail, required=True)


class BusyOut(ErrorOut):
    replies = List(Nested(Reply), required=True)


# The shape of every error body, for the generated spec (APIFlask's own error schemas replaced).
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}},
    }},
}


class HealthOut(Schema):
    status = String(required=True)
    bot = Boolean(required=True)
    articles = Integer(required=True)
