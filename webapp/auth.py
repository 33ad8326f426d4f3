"""Bearer-token authentication for staff endpoints; roles come from the account. Also the caller's network
address (for throttling) and the Retry-After header of a throttled answer."""

from __future__ import annotations

import ipaddress
from functools import wraps

from apiflask import HTTPTokenAuth
from flask import after_this_request, request

from hotline.throttle import Throttled

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


def client_address() -> str:
    """The caller's address: the peer, or, behind HOTLINE_TRUSTED_PROXIES proxies, the address the outermost
    of them saw (the n-th entry of X-Forwarded-For from the right; entries further left are the caller's own
    and could be forged). An IPv6 client counts by its /64, which one subscriber usually holds whole."""
    address = request.remote_addr or ""
    proxies = services().settings.trusted_proxies
    if proxies:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def retry_after(view):
    """A view whose service may raise Throttled answers 429 with a Retry-After header."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Throttled as exc:
            seconds = str(exc.retry_after)

            @after_this_request
            def _header(response):
                response.headers["Retry-After"] = seconds
                return response

            raise

    return wrapper
