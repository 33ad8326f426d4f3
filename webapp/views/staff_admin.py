"""Staff accounts for admins: list, add, change roles/unit/region, disable, reset a password. The CLI
(`user-add`, `user-passwd`) stays for scripts. Thin: the rules are in accounts/."""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length, OneOf

from accounts.service import ROLES

from ..auth import auth
from ..errors import error_docs
from ..schemas import IdField, StrictBoolean
from .common import services

bp = APIBlueprint("staff_admin", __name__, tag="账号管理 Staff accounts")
ADMINS = ["admin"]


class StaffOut(Schema):
    id = Integer(required=True)
    username = String(required=True)
    display_name = String(required=True)
    roles = List(String(), required=True)
    unit_id = IdField(allow_none=True)
    region = String()
    active = Boolean(required=True)
    created_at = String(allow_none=True)


class StaffListOut(Schema):
    items = List(Nested(StaffOut), required=True)


class StaffIn(Schema):
    username = String(required=True, validate=Length(1, 80))
    display_name = String(load_default="", validate=Length(0, 80))
    password = String(required=True, validate=Length(8, 200), metadata={"description": "初始密码（至少8位）"})
    roles = List(String(validate=OneOf(ROLES)), required=True, validate=Length(1, len(ROLES)))
    unit_id = IdField(load_default=None, allow_none=True, metadata={"description": "承办单位账号所属单位"})
    region = String(load_default="", validate=Length(0, 60), metadata={"description": "督办人员负责的地区"})


class StaffUpdateIn(Schema):
    display_name = String(validate=Length(0, 80))
    roles = List(String(validate=OneOf(ROLES)), validate=Length(1, len(ROLES)))
    unit_id = IdField(allow_none=True)
    region = String(validate=Length(0, 60))
    active = StrictBoolean(metadata={"description": "false：停用（不能登录，已登录的会话随即失效）"})


class PasswordResetOut(Schema):
    user = Nested(StaffOut, required=True)
    password = String(required=True, metadata={"description": "新的临时密码，只显示这一次"})


def _accounts():
    return services().accounts


@bp.get("/api/staff")
@bp.auth_required(auth, roles=ADMINS)
@bp.output(StaffListOut)
@bp.doc(summary="工作人员账号 Staff accounts")
def list_staff():
    return {"items": _accounts().users()}


@bp.post("/api/staff")
@bp.auth_required(auth, roles=ADMINS)
@bp.input(StaffIn, arg_name="body")
@bp.output(StaffOut, status_code=201)
@bp.doc(summary="新增工作人员账号 Add a staff account", responses=error_docs(422))
def add_staff(body):
    principal = _accounts().create_user(
        body["username"].strip(),
        body["password"],
        body["roles"],
        body["display_name"].strip() or None,
        unit_id=body["unit_id"],
        region=body["region"].strip(),
    )
    return next(u for u in _accounts().users() if u["id"] == principal.id), 201


@bp.put("/api/staff/<int:user_id>")
@bp.auth_required(auth, roles=ADMINS)
@bp.input(StaffUpdateIn, arg_name="body")
@bp.output(StaffOut)
@bp.doc(
    summary="修改账号：角色、单位、地区、停用 Change a staff account",
    description="停用账号或取消其角色时，该账号已登录的会话随即失效。不能停用自己或取消自己的管理员角色。",
    responses=error_docs(404, 422),
)
def update_staff(user_id, body):
    return _accounts().update_user(user_id, auth.current_user, **body)


@bp.post("/api/staff/<int:user_id>/password")
@bp.auth_required(auth, roles=ADMINS)
@bp.output(PasswordResetOut)
@bp.doc(
    summary="重置密码 Reset a password",
    description="生成新的临时密码（只显示这一次），该账号的所有会话随即失效。修改自己的密码请用 user-passwd 命令。",
    responses=error_docs(404, 422),
)
def reset_password(user_id):
    user, password = _accounts().reset_password(user_id, auth.current_user)
    return {"user": user, "password": password}
