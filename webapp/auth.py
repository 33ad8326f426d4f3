"""Bearer-token authentication for staff endpoints; roles come from the account."""
from __future__ import annotations

from apiflask import HTTPTokenAuth

from .views.common import services

auth = HTTPTokenAuth(scheme="Bearer", description="登录 /api/auth/login 获得的令牌 (token from /api/auth/login)")

EDITORS = ["admin", "editor", "publisher"]
PUBLISHERS = ["admin", "publisher"]


@auth.verify_token
def _verify(token: str):
    return services().accounts.verify(token)


@auth.get_user_roles
def _roles(user):
    return list(user.roles)
