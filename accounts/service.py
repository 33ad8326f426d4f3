"""Users, password checks (scrypt) and bearer tokens (only their SHA-256 is stored).

Failed logins are throttled (hotline.throttle), never locked: per client address and per (username, address)
with doubling delays, and account-wide only for addresses that have themselves failed on that username, so
nobody can lock the admin out by failing on purpose. The throttle is keyed on the username as typed, so an
unknown username is throttled, answered and timed exactly like a known one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from hotline.clock import aware, utcnow
from hotline.db import Database
from hotline.errors import NotFound
from hotline.throttle import Policy, Rule, Throttle, Throttled

from .errors import AccountError, AuthError
from .models import ApiToken, User

ROLES = ("admin", "editor", "publisher", "operator", "unit", "supervisor")
TOKEN_TTL = timedelta(hours=12)
LOGIN_POLICY = Policy(
    "login",
    # one address: an office behind one NAT may mistype a few times; then 2 s, 4 s, ... up to 15 minutes
    client=Rule(free=10, base=timedelta(seconds=2), cap=timedelta(minutes=15)),
    # one address on one username
    pair=Rule(free=5, base=timedelta(seconds=2), cap=timedelta(minutes=15)),
    # one username over all addresses: a gentle delay, and only for addresses that failed on it themselves
    target=Rule(free=10, base=timedelta(seconds=1), cap=timedelta(minutes=5)),
)


LockedOut = Throttled  # the old name: a 429 with retry_after (seconds)


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    unit_id: int | None = None
    region: str = ""

    def has(self, *roles: str) -> bool:
        return "admin" in self.roles or any(r in self.roles for r in roles)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


# a well-formed hash (16-byte salt, 64-byte digest) that no password matches: unknown users cost the same scrypt
_DUMMY_HASH = "scrypt$" + "A" * 22 + "==$" + "A" * 86 + "=="


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=2**14, r=8, p=1)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _principal(user: User) -> Principal:
    return Principal(
        user.id, user.username, user.display_name, tuple(user.roles or ()), user.unit_id, user.region or ""
    )


def user_dict(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": list(user.roles or []),
        "unit_id": user.unit_id,
        "region": user.region or "",
        "active": bool(user.active),
        "created_at": aware(user.created_at).isoformat() if user.created_at else None,
    }


class Accounts:
    def __init__(self, db: Database, throttle: Throttle | None = None):
        self.db = db
        self.throttle = throttle or Throttle(db)

    def create_user(
        self,
        username: str,
        password: str,
        roles: list[str],
        display_name: str | None = None,
        unit_id: int | None = None,
        region: str = "",
    ) -> Principal:
        bad = [r for r in roles if r not in ROLES]
        if bad:
            raise AccountError(f"未知角色：{', '.join(bad)}（可用：{', '.join(ROLES)}）")
        if "unit" in roles and unit_id is None:
            raise AccountError("承办单位账号须指定所属承办单位")
        if len(password) < 8:
            raise AccountError("密码至少8位")
        with self.db.session() as s:
            if s.scalar(select(User).where(User.username == username)):
                raise AccountError(f"用户名 {username} 已存在")
            user = User(
                username=username,
                display_name=display_name or username,
                password_hash=hash_password(password),
                roles=list(roles),
                unit_id=unit_id,
                region=region or "",
            )
            s.add(user)
            s.flush()
            return _principal(user)

    def set_password(self, username: str, password: str) -> None:
        """A new password (an admin's reset for someone who forgot theirs): every token of the old one ends."""
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise AccountError(f"用户 {username} 不存在")
            user.password_hash = hash_password(password)
            s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))

    def has_users(self) -> bool:
        with self.db.session() as s:
            return s.scalar(select(User.id).limit(1)) is not None

    def login(
        self, username: str, password: str, client: str | None = None, now: datetime | None = None
    ) -> tuple[str, datetime, Principal]:
        """A token for the right password. ``client`` is the caller's network address; without one the
        username-wide delay always applies (a clean address is what lets the real user in during an attack)."""
        now = now or self.throttle.clock()
        # before anything about the user is read: known and unknown usernames wait alike
        self.throttle.check(LOGIN_POLICY, username, client, now)
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.username == username, User.active.is_(True)))
            # the same scrypt work either way: no user enumeration by timing
            ok = check_password(password, user.password_hash if user is not None else _DUMMY_HASH)
            if user is None or not ok:
                s.rollback()
                self.throttle.fail(LOGIN_POLICY, username, client, now)
                raise AuthError("用户名或密码错误")
            token = secrets.token_urlsafe(32)
            expires = now + TOKEN_TTL
            s.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at < now))
            s.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), expires_at=expires))
            principal = _principal(user)
        self.throttle.succeed(LOGIN_POLICY, username, client)
        return token, expires, principal

    def verify(self, token: str, now: datetime | None = None) -> Principal | None:
        if not token:
            return None
        now = now or utcnow()
        with self.db.session() as s:
            row = s.execute(select(ApiToken, User).join(User).where(ApiToken.token_hash == _token_hash(token))).first()
            if row is None:
                return None
            api_token, user = row
            expires = aware(api_token.expires_at)
            if expires <= now or not user.active:
                return None
            return _principal(user)

    def refresh(self, token: str, now: datetime | None = None) -> tuple[str, datetime, Principal]:
        """A new token for a valid one, which ends: a console open all day stays signed in without asking for
        the password again, and a stolen old token is worth nothing after the swap."""
        now = now or utcnow()
        principal = self.verify(token, now)
        if principal is None:
            raise AuthError("登录已过期，请重新登录")
        fresh = secrets.token_urlsafe(32)
        expires = now + TOKEN_TTL
        with self.db.session() as s:
            s.execute(delete(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
            s.add(ApiToken(user_id=principal.id, token_hash=_token_hash(fresh), expires_at=expires))
        return fresh, expires, principal

    def expires_at(self, token: str) -> datetime | None:
        with self.db.session() as s:
            value = s.scalar(select(ApiToken.expires_at).where(ApiToken.token_hash == _token_hash(token)))
            return aware(value) if value is not None else None

    # ---- the admins' page of staff accounts ----------------------------------------------------------------
    def users(self) -> list[dict]:
        with self.db.session() as s:
            return [user_dict(u) for u in s.scalars(select(User).order_by(User.id))]

    def update_user(self, user_id: int, actor: Principal, **changes) -> dict:
        """Change roles, unit, region, display name or whether the account may sign in. Disabling an account or
        taking its roles away ends its tokens; an admin cannot disable or demote their own account (the last
        admin would lock everybody out)."""
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound("账号不存在")
            roles = changes.get("roles", user.roles or [])
            bad = [r for r in roles if r not in ROLES]
            if bad:
                raise AccountError(f"未知角色：{', '.join(bad)}")
            if not roles:
                raise AccountError("请至少选择一个角色")
            unit_id = changes.get("unit_id", user.unit_id)
            if "unit" in roles and unit_id is None:
                raise AccountError("承办单位账号须指定所属承办单位")
            if user.id == actor.id and (changes.get("active") is False or "admin" not in roles):
                raise AccountError("不能停用自己的账号或取消自己的管理员角色")
            lost = set(user.roles or []) - set(roles)
            if "display_name" in changes:
                user.display_name = (changes["display_name"] or "").strip() or user.username
            if "region" in changes:
                user.region = (changes["region"] or "").strip()
            user.roles, user.unit_id = list(roles), unit_id
            if "active" in changes:
                user.active = bool(changes["active"])
            if lost or not user.active:
                s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
            return user_dict(user)

    def reset_password(self, user_id: int, actor: Principal) -> tuple[dict, str]:
        """A new random password, shown once to the admin who hands it over; the account's sessions end."""
        if user_id == actor.id:
            raise AccountError("请用 user-passwd 命令修改自己的密码")
        password = secrets.token_urlsafe(9)
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound("账号不存在")
            user.password_hash = hash_password(password)
            s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
            return user_dict(user), password

    def logout(self, token: str) -> None:
        with self.db.session() as s:
            s.execute(delete(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
