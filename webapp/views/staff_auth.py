"""Staff login: username + password -> bearer token."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import request

from ..auth import auth, client_address, retry_after
from ..errors import error_docs
from ..schemas import LoginIn, LoginOut
from .common import services

bp = APIBlueprint("staff_auth", __name__, tag="登录 Auth")


@bp.post("/api/auth/login")
@bp.input(LoginIn, arg_name="body")
@bp.output(LoginOut)
@bp.doc(
    summary="工作人员登录 Staff login",
    description="失败次数多时按来源地址和账号逐步加长等待（429，Retry-After），不会锁定账号。",
    responses=error_docs(
        401, 429, notes={401: "用户名或密码错误", 429: "尝试过于频繁，请按 Retry-After 稍后再试"}, retry_after=(429,)
    ),
)
@retry_after
def login(body):
    token, expires, user = services().accounts.login(body["username"], body["password"], client=client_address())
    return {
        "token": token,
        "expires_at": expires.isoformat(),
        "user": {"username": user.username, "display_name": user.display_name, "roles": list(user.roles)},
    }


@bp.post("/api/auth/logout")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="退出登录 Logout")
def logout():
    services().accounts.logout(request.headers.get("Authorization", "")[7:])
    return ""
