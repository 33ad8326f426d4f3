"""Hot policies pushed to drivers (热点政策推送): the preview, the confirmed push and the delivery reports.
Publishers and admins only; channels.wechat.push does the work."""

from __future__ import annotations

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Integer, List, Nested, String

from ..auth import PUBLISHERS, auth
from ..errors import error_docs
from ..schemas import IdField
from .common import services

bp = APIBlueprint("push", __name__, tag="热点政策推送 Hot-policy push")


class PushPreviewOut(Schema):
    article_id = Integer(required=True)
    version = Integer(required=True, metadata={"description": "确认推送时须带回的文章版本号"})
    title, region = String(required=True), String(required=True)
    validity = String(required=True, metadata={"description": "有效期（北京时间日期）"})
    total = Integer(required=True, metadata={"description": "将收到推送的人数"})
    miniprogram = Integer(required=True, metadata={"description": "小程序订阅用户（订阅消息）"})
    custom = Integer(required=True, metadata={"description": "仍在客服消息窗口内（近期互动过）的公众号关注者"})
    template = Integer(required=True, metadata={"description": "其余公众号关注者（模板消息）"})
    unreachable = Integer(required=True, metadata={"description": "在该地区但无法送达的关注者（未配置模板消息）"})
    notes = List(String(), required=True)
    campaign_id = Integer(allow_none=True, metadata={"description": "该版本已推送时的推送编号"})


class PushIn(Schema):
    version = IdField(required=True, metadata={"description": "预览时的文章版本号；文章已修改则返回409"})


class PushCounts(Schema):
    recipients, pending, sent, skipped, failed = Integer(), Integer(), Integer(), Integer(), Integer()
    via_subscribe, via_custom, via_template = Integer(), Integer(), Integer()


class PushFailure(Schema):
    recipient = String(required=True, metadata={"description": "openid（已脱敏）"})
    channel, status, error = String(), String(), String()
    attempts = Integer()
    updated_at = String(allow_none=True)


class PushCampaignOut(Schema):
    id, article_id, article_version = Integer(required=True), Integer(required=True), Integer(required=True)
    title, region, created_by = String(), String(), String()
    created_at = String(allow_none=True)
    preview = Nested(PushCounts, metadata={"description": "确认时预览的人数"})
    counts = Nested(PushCounts, required=True)
    failures = List(Nested(PushFailure))


class PushCampaignListOut(Schema):
    items = List(Nested(PushCampaignOut), required=True)


@bp.get("/api/kb/articles/<int:article_id>/push")
@bp.auth_required(auth, roles=PUBLISHERS)
@bp.output(PushPreviewOut)
@bp.doc(
    summary="推送预览：将送达多少人 Preview a hot-policy push",
    responses=error_docs(404, 409, notes={409: "不是有效的已发布热点政策"}),
)
def preview(article_id):
    return services().wechat.pushes.preview(article_id)


@bp.post("/api/kb/articles/<int:article_id>/push")
@bp.auth_required(auth, roles=PUBLISHERS)
@bp.input(PushIn, arg_name="body")
@bp.output(PushCampaignOut, status_code=201)
@bp.doc(
    summary="确认推送热点政策 Queue a hot-policy push",
    description="按预览时的版本号确认；每位接收人只发送一次，同一版本只能推送一次。",
    responses=error_docs(404, 409, notes={409: "文章已修改、不是有效的热点政策，或该版本已推送"}),
)
def push(article_id, body):
    current = services().editor.get(article_id)
    if current["version"] != body["version"]:
        abort(409, "文章在预览后已被修改，请重新预览后再确认推送", extra_data={"code": "version_conflict"})
    return services().wechat.pushes.queue(article_id, auth.current_user.username), 201


@bp.get("/api/push/campaigns")
@bp.auth_required(auth, roles=PUBLISHERS)
@bp.output(PushCampaignListOut)
@bp.doc(summary="推送记录 Hot-policy pushes")
def campaigns():
    return {"items": services().wechat.pushes.campaigns()}


@bp.get("/api/push/campaigns/<int:campaign_id>")
@bp.auth_required(auth, roles=PUBLISHERS)
@bp.output(PushCampaignOut)
@bp.doc(summary="送达报告 Delivery report of a push", responses=error_docs(404))
def campaign(campaign_id):
    return services().wechat.pushes.report(campaign_id)
