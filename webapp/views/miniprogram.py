"""The mini-program's API (/api/mp/*): login, chat with the /api/chat contract, the user's own work orders,
complaints with photos and subscribe-message consent. Thin: channels.wechat and work_orders do the work."""

from __future__ import annotations

import logging

from apiflask import APIBlueprint, HTTPTokenAuth, Schema, abort
from apiflask.fields import Boolean, Dict, File, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import request

from channels.wechat.miniprogram import MAX_PHOTOS
from channels.wechat.users import region_of
from hotline.channels import sender_id
from hotline.errors import BotUnavailable
from work_orders.lifecycle import DOMAINS, RATINGS

from ..errors import error_docs, error_response
from ..schemas import BusyOut, ChatOut, FormBoolean, IdQuery, text_field
from .common import busy_response, services

log = logging.getLogger(__name__)
bp = APIBlueprint("miniprogram", __name__, tag="微信小程序 Mini-program")


class MpUpdatesQuery(Schema):
    after = IdQuery(load_default=0)


mp_auth = HTTPTokenAuth(
    scheme="Bearer", security_scheme_name="MiniProgramAuth", description="小程序登录 POST /api/mp/login 获得的令牌"
)


@mp_auth.verify_token
def _verify(token: str):
    return services().wechat.sessions.openid(token)


def _openid() -> str:
    return mp_auth.current_user


class MpLoginIn(Schema):
    code = String(required=True, validate=Length(1, 128), metadata={"description": "wx.login() 返回的 code"})


class MpLoginOut(Schema):
    token = String(required=True, metadata={"description": "调用其他接口时放在 Authorization: Bearer 中"})
    expires_at = String(required=True)
    expires_in = Integer(required=True, metadata={"description": "秒"})


class Place(Schema):
    label = String(load_default="", validate=Length(0, 200), metadata={"description": "地点名称（wx.chooseLocation）"})
    latitude = Float(validate=Range(-90, 90))
    longitude = Float(validate=Range(-180, 180))


class MpChatIn(Schema):
    text = text_field(2000, "用户输入（1..2000字，不能只有空白）")
    location = Nested(Place, load_default=None, allow_none=True)


class MpOrder(Schema):
    number = String(required=True)
    order_type_label, title, state, state_label, unit_name = String(), String(), String(), String(), String()
    received_at = String(allow_none=True)
    due_at = String(allow_none=True)
    reply, rating = String(), String()
    can_rate = Boolean()
    next_step = String(metadata={"description": "期限与下一步（何时转交承办单位、最迟何时答复）"})


class MpOrders(Schema):
    orders = List(Nested(MpOrder), required=True)


class MpRateIn(Schema):
    rating = String(required=True, validate=OneOf(list(RATINGS)), metadata={"description": "/".join(RATINGS)})
    comment = String(load_default="", validate=Length(0, 1000))


class ComplaintIn(Schema):
    order_type = String(load_default="complaint", validate=OneOf(["complaint", "suggestion"]))
    domain = String(load_default="其他", validate=OneOf(list(DOMAINS)))
    target = String(
        load_default="", validate=Length(0, 200), metadata={"description": "投诉对象：车牌、企业、线路、站点"}
    )
    facts = String(required=True, validate=Length(1, 5000), metadata={"description": "事情经过"})
    demand = String(load_default="", validate=Length(0, 2000))
    location = String(load_default="", validate=Length(0, 200))
    occurred_at = String(load_default="", validate=Length(0, 60))
    caller_name = String(load_default="", validate=Length(0, 60))
    caller_phone = String(load_default="", validate=Length(0, 30))
    anonymous = FormBoolean(load_default=False)
    safety = FormBoolean(load_default=False, metadata={"description": "涉及安全隐患（安全生产）"})
    photos = List(
        File(), load_default=list, metadata={"description": f"照片（JPG/PNG/WEBP，每张≤10MB，最多{MAX_PHOTOS}张）"}
    )


class PhotoIn(Schema):
    file = File(required=True)


class SubscriptionsIn(Schema):
    results = Dict(
        keys=String(validate=Length(1, 64)),
        values=String(validate=OneOf(["accept", "reject", "ban", "filter"])),
        required=True,
        validate=Length(1, 10),
        metadata={"description": "wx.requestSubscribeMessage 的结果：{模板ID: accept|reject|ban|filter}"},
    )


class Subscription(Schema):
    template_id = String(required=True)
    remaining = Integer(required=True, metadata={"description": "还可发送的消息条数"})


class SubscriptionsOut(Schema):
    subscriptions = List(Nested(Subscription), required=True)
    template_id = String(metadata={"description": "工单进度通知的订阅消息模板ID（传给 wx.requestSubscribeMessage）"})
    policy_template_id = String(
        metadata={"description": "热点政策通知的订阅消息模板ID（用户允许后，其所在地区的热点政策推送一次）"}
    )


class MpRegionIn(Schema):
    region = String(required=True, validate=Length(2, 60), metadata={"description": "选择的省或市，如“河南省新乡市”"})


class MpRegionOut(Schema):
    region = String(required=True, metadata={"description": "空表示未知"})
    source = String(required=True, metadata={"description": "location 最近分享的位置 | chosen 用户选择"})
    updated_at = String(allow_none=True)


@bp.post("/api/mp/login")
@bp.input(MpLoginIn, arg_name="body")
@bp.output(MpLoginOut)
@bp.doc(
    summary="小程序登录 Log in with wx.login()'s code",
    responses=error_docs(401, 503, notes={401: "code 无效", 503: "未配置小程序或微信服务不可用"}),
)
def login(body):
    return services().wechat.sessions.login(body["code"])


@bp.post("/api/mp/logout")
@bp.auth_required(mp_auth)
@bp.doc(summary="退出登录 Log out", responses={204: "已退出 Logged out"})
def logout():
    services().wechat.sessions.logout(request.headers.get("Authorization", "").partition(" ")[2])
    return "", 204


@bp.post("/api/mp/chat")
@bp.auth_required(mp_auth)
@bp.input(MpChatIn, arg_name="body")
@bp.output(ChatOut)
@bp.doc(
    summary="与智能助手对话（同 /api/chat） Chat",
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
    sender, text = sender_id("miniprogram", _openid()), body["text"].strip()
    if not text:
        abort(422, "请输入内容")
    meta = {"channel": "miniprogram"}
    place = body.get("location") or {}
    if place.get("label"):
        meta.update(location_label=place["label"], region=region_of(place["label"]))
        if meta["region"]:  # where hot policies of the region reach the user
            services().wechat.mp_regions.set(_openid(), meta["region"], "location")
    if place.get("latitude") is not None and place.get("longitude") is not None:
        meta["location"] = {"latitude": place["latitude"], "longitude": place["longitude"]}
    try:
        return services().conversation.handle(sender, text, meta).as_dict()
    except BotUnavailable as exc:
        return busy_response(exc)


@bp.get("/api/mp/updates")
@bp.auth_required(mp_auth)
@bp.input(MpUpdatesQuery, location="query", arg_name="query")
@bp.doc(
    summary="人工客服的新消息 New operator messages (poll while a handoff is open)",
    description="转人工期间小程序轮询：返回该用户 id 大于 after 的人工客服/系统消息，以及进行中的转人工会话（null 表示已结束）。",
)
def updates(query):
    sender = sender_id("miniprogram", _openid())
    handoffs = services().handoffs
    current = handoffs.active(sender)
    return {"messages": handoffs.messages(sender, query["after"], limit=100), "handoff": current}


@bp.get("/api/mp/orders")
@bp.auth_required(mp_auth)
@bp.output(MpOrders)
@bp.doc(summary="我的工单 My work orders")
def my_orders():
    return {"orders": services().work_orders.for_caller(sender_id("miniprogram", _openid()), limit=50)}


@bp.get("/api/mp/orders/<number>")
@bp.auth_required(mp_auth)
@bp.output(MpOrder)
@bp.doc(summary="工单进度 One of my work orders", responses=error_docs(404, notes={404: "不是本人的工单或不存在"}))
def my_order(number):
    return services().wechat.complaints.own(_openid(), number)


@bp.post("/api/mp/orders/<number>/rate")
@bp.auth_required(mp_auth)
@bp.input(MpRateIn, arg_name="body")
@bp.output(MpOrder)
@bp.doc(
    summary="好差评 Rate my replied order",
    responses=error_docs(
        404, 409, 422, notes={404: "不是本人的工单或不存在", 409: "尚未办结或已评价", 422: "尚未办结或已评价"}
    ),
)
def rate(number, body):
    services().wechat.complaints.own(_openid(), number)
    return services().work_orders.rate(
        number, body["rating"], body["comment"], caller_user=sender_id("miniprogram", _openid())
    )


@bp.post("/api/mp/complaints")
@bp.auth_required(mp_auth)
@bp.input(ComplaintIn, location="form_and_files", arg_name="body")
@bp.output(MpOrder, status_code=201)
@bp.doc(
    summary="提交投诉或建议（可附照片） File a complaint with photos",
    description="multipart/form-data。须带 Idempotency-Key 请求头：网络重试时同一个键只会登记一张工单（返回 200 和"
    "第一次的工单）。",
    responses={
        200: {
            "description": "同一 Idempotency-Key 的重试：返回已登记的工单",
            "content": {"application/json": {"schema": MpOrder}},
        },
        **error_docs(413, 422, notes={422: "内容或照片有误，或缺少 Idempotency-Key"}),
    },
)
def complaint(body):
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not 8 <= len(key) <= 64:
        abort(
            422, "请在 Idempotency-Key 请求头中提供8到64个字符的唯一键", extra_data={"code": "idempotency_key_required"}
        )
    photos = [(upload.read(), upload.filename or "") for upload in body.pop("photos")]
    order, created = services().wechat.complaints.submit(_openid(), body, photos, key)
    return order, 201 if created else 200


@bp.post("/api/mp/orders/<number>/photos")
@bp.auth_required(mp_auth)
@bp.input(PhotoIn, location="files", arg_name="body")
@bp.output(MpOrder, status_code=201)
@bp.doc(
    summary="为我的工单补充照片（wx.uploadFile，每次一张） Add a photo",
    responses=error_docs(
        404, 409, 422, notes={404: "不是本人的工单或不存在", 409: "工单已办结或照片已满", 422: "照片格式或大小不符"}
    ),
)
def add_photo(number, body):
    upload = body["file"]
    return services().wechat.complaints.add_photo(_openid(), number, upload.read(), upload.filename or ""), 201


@bp.get("/api/mp/subscriptions")
@bp.auth_required(mp_auth)
@bp.output(SubscriptionsOut)
@bp.doc(summary="我的订阅消息授权 My subscriptions")
def subscriptions():
    return {
        "subscriptions": services().wechat.subscriptions.list(_openid()),
        "template_id": services().settings.wechat.mp_template_id,
        "policy_template_id": services().settings.wechat.mp_policy_template_id,
    }


@bp.post("/api/mp/subscriptions")
@bp.auth_required(mp_auth)
@bp.input(SubscriptionsIn, arg_name="body")
@bp.output(SubscriptionsOut)
@bp.doc(
    summary="记录订阅消息授权 Record wx.requestSubscribeMessage results",
    description="每次用户“允许”一个模板，可以向其发送一条该模板的工单进度通知。",
)
def subscribe(body):
    return {
        "subscriptions": services().wechat.subscriptions.record(_openid(), body["results"]),
        "template_id": services().settings.wechat.mp_template_id,
        "policy_template_id": services().settings.wechat.mp_policy_template_id,
    }


@bp.get("/api/mp/region")
@bp.auth_required(mp_auth)
@bp.output(MpRegionOut)
@bp.doc(summary="我的地区（热点政策推送依据） My region")
def my_region():
    return services().wechat.mp_regions.get(_openid())


@bp.put("/api/mp/region")
@bp.auth_required(mp_auth)
@bp.input(MpRegionIn, arg_name="body")
@bp.output(MpRegionOut)
@bp.doc(
    summary="选择我的地区 Choose my region",
    description="热点政策按地区推送：用户选择的省市，或对话中最近分享的位置，以较新者为准。",
    responses=error_docs(422, notes={422: "无法识别的地区"}),
)
def choose_region(body):
    return services().wechat.mp_regions.set(_openid(), body["region"].strip(), "chosen")
