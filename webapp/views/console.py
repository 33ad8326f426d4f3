"""The staff console shell: the menu by role, the page renderer every /console page uses, who is signed in
(``/api/auth/me``), the token refresh, and the live pulse the shell polls (``/api/console/pulse``)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Nested, String
from flask import current_app, render_template, request

from hotline.clock import utcnow
from work_orders import queues
from work_orders.lifecycle import DOMAINS

from ..auth import auth
from ..errors import error_docs
from ..schemas import LoginOut, UserOut
from .common import services

bp = APIBlueprint("console", __name__, tag="工作台 Console")


@dataclass(frozen=True)
class Page:
    page: str
    path: str
    label: str
    roles: tuple[str, ...]  # who sees it in the menu
    page_roles: tuple[str, ...] = ()  # who may open it, when more than the menu shows (default: the same)

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.page_roles or self.roles


# The menu, in the order of the day's work. An editor sees 知识库; an operator 工单 and 人工客服; a supervisor
# also 统计, 督办 and 报告; an admin everything, with 账号与单位. 督办 is for supervisors (and admins) only: the
# supervision API's topics, problem list and alerts refuse operators (their part, duplicate groups, is on 工单).
NAV = (
    Page("orders", "/console/orders", "工单", ("admin", "operator", "unit", "supervisor")),
    Page("handoff", "/console/handoff", "人工客服", ("admin", "operator")),
    Page("kb", "/console", "知识库", ("admin", "editor", "publisher")),
    Page("stats", "/console/stats", "统计", ("admin", "supervisor"), ("admin", "supervisor", "operator")),
    Page("supervision", "/console/supervision", "督办", ("admin", "supervisor")),
    Page("reports", "/console/reports", "报告", ("admin", "supervisor")),
    Page(
        "sync",
        "/console/sync",
        "12345 对接",
        ("admin", "publisher", "editor"),
        ("admin", "publisher", "editor", "operator"),
    ),
    Page("admin", "/console/admin", "账号与单位", ("admin",)),
)
PAGES = {p.page: p for p in NAV}
ROLE_LABELS = {
    "admin": "管理员",
    "operator": "话务座席",
    "unit": "承办单位",
    "supervisor": "督办人员",
    "editor": "知识库编辑",
    "publisher": "知识库发布",
}
ORDER_STAFF = ("admin", "operator", "unit", "supervisor")
OPERATORS = ("admin", "operator")


def render_page(template: str, page: str, **context):
    """A console page: the shell (base.html) with this page's menu entry marked and the roles that may open it."""
    item = PAGES[page]
    return render_template(template, current_page=item.page, page_roles=list(item.allowed), **context)


@bp.app_context_processor
def _nav():
    return {"console_nav": NAV}


@bp.get("/console/admin")
@bp.doc(hide=True)
def admin_page():
    """Handling units and staff accounts, for admins."""
    return render_page("admin.html", "admin", domains=list(DOMAINS), roles=ROLE_LABELS)


class MeOut(Schema):
    user = Nested(UserOut, required=True)
    expires_at = String(allow_none=True, metadata={"description": "令牌到期时间（ISO 8601）"})


class PulseOut(Schema):
    at = String(required=True)
    orders = Dict(
        allow_none=True,
        metadata={
            "description": "{counts: 各队列数量, attention: 本角色首要队列数量, urgent: 待分类转办的紧急/安全生产工单数, "
            "newest_urgent: 其中最新的编号}（工单工作人员）"
        },
    )
    handoffs = Dict(
        allow_none=True,
        metadata={
            "description": "{queued, urgent, taken, newest}：排队数、其中紧急数、服务中数、最新排队会话编号（座席）"
        },
    )
    alerts = Dict(
        allow_none=True,
        metadata={"description": "{open: 本人负责地区待确认的聚集性投诉预警数, newest: 其中最新的编号}（督办人员）"},
    )


class PulseCache:
    """The pulse of one data scope, computed at most once per ``ttl`` seconds however many consoles poll it:
    every operator sees the same counts, a unit's staff share theirs, a supervisor's region is one scope."""

    def __init__(self, ttl: float = 2.0):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._items: dict[tuple, tuple[float, dict]] = {}

    def get(self, key: tuple, compute) -> dict:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        value = compute()
        with self._lock:
            if len(self._items) > 1000:  # scopes are few; never let odd keys pile up
                self._items.clear()
            self._items[key] = (now + self.ttl, value)
        return value


PULSE_TTL = 2.0  # seconds; app.config["CONSOLE_PULSE_TTL"] overrides it


def _pulses() -> PulseCache:
    """This app's cache (each app, e.g. each test's, has its own)."""
    cache = current_app.extensions.get("console_pulses")
    if cache is None:
        cache = current_app.extensions["console_pulses"] = PulseCache(
            current_app.config.get("CONSOLE_PULSE_TTL", PULSE_TTL)
        )
    return cache


def _scope_key(user) -> tuple:
    """What the pulse depends on: admins and operators see every order with the same badge (one scope); else
    the roles that decide the scope and the badge, the unit and the region."""
    if "admin" in user.roles or "operator" in user.roles:
        return ("everything",)
    roles = tuple(sorted(r for r in user.roles if r in ORDER_STAFF))
    return roles, user.unit_id if "unit" in roles else None, user.region if "supervisor" in roles else ""


def _bearer() -> str:
    return request.headers.get("Authorization", "")[7:]


def _me(user) -> dict:
    return {"username": user.username, "display_name": user.display_name, "roles": list(user.roles)}


@bp.get("/api/auth/me")
@bp.auth_required(auth)
@bp.output(MeOut)
@bp.doc(summary="当前登录的工作人员 Who is signed in")
def me():
    expires = services().accounts.expires_at(_bearer())
    return {"user": _me(auth.current_user), "expires_at": expires.isoformat() if expires else None}


@bp.post("/api/auth/refresh")
@bp.auth_required(auth)
@bp.output(LoginOut)
@bp.doc(
    summary="换发令牌 Refresh the token",
    description="用仍有效的令牌换一个新的（有效期重新计算），旧令牌随即失效。",
    responses=error_docs(401),
)
def refresh():
    token, expires, user = services().accounts.refresh(_bearer())
    return {"token": token, "expires_at": expires.isoformat(), "user": _me(user)}


@bp.get("/api/console/pulse")
@bp.auth_required(auth)
@bp.output(PulseOut)
@bp.doc(
    summary="工作台实时计数 Live counts for the console",
    description="工作台每5秒轮询一次。带 If-None-Match 时，计数未变则答 304（无正文）。",
    responses={304: "计数未变 Not modified"},
)
def pulse():
    user = auth.current_user
    now = utcnow()
    body: dict = {"orders": None, "handoffs": None, "alerts": None}
    if user.has(*ORDER_STAFF):
        body["orders"] = _pulses().get(("orders", *_scope_key(user)), lambda: queues.pulse(services().db, user, now))
    if user.has(*OPERATORS):
        body["handoffs"] = _pulses().get(("handoffs",), services().handoffs.pulse)
    supervision = services().supervision
    if user.has("supervisor") and supervision is not None:
        region = user.region or ""
        body["alerts"] = _pulses().get(("alerts", region), lambda: supervision.alerts.pulse(region))
    etag = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
    if etag in request.if_none_match:
        return "", 304, {"ETag": f'"{etag}"', "Cache-Control": "no-cache"}
    return {**body, "at": now.isoformat()}, 200, {"ETag": f'"{etag}"', "Cache-Control": "no-cache"}
