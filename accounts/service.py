"""Users, password checks (scrypt) and bearer tokens (only their SHA-256 is stored)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select

from hotline.db import Database
from hotline.errors import HotlineError

from .models import ApiToken, User

ROLES = ("admin", "editor", "publisher", "operator", "unit", "supervisor")
TOKEN_TTL = timedelta(hours=12)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class AuthError(HotlineError):
    code = "unauthorized"
    status = 401


class LockedOut(HotlineError):
    code = "too_many_attempts"
    status = 429


class AccountError(HotlineError):
    code = "invalid_account"
    status = 422


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


_DUMMY_HASH = "scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=2**14, r=8, p=1)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.display_name, tuple(user.roles or ()), user.unit_id,
                     user.region or "")


class Accounts:
    def __init__(self, db: Database):
        self.db = db

    def create_user(self, username: str, password: str, roles: list[str], display_name: str | None = None,
                    unit_id: int | None = None, region: str = "") -> Principal:
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
            user = User(username=username, display_name=display_name or username,
                        password_hash=hash_password(password), roles=list(roles), unit_id=unit_id,
                        region=region or "")
            s.add(user)
            s.flush()
            return _principal(user)

    def set_password(self, username: str, password: str) -> None:
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise AccountError(f"用户 {username} 不存在")
            user.password_hash = hash_password(password)

    def has_users(self) -> bool:
        with self.db.session() as s:
            return s.scalar(select(User.id).limit(1)) is not None

    def login(self, username: str, password: str, now: datetime | None = None) -> tuple[str, datetime, Principal]:
        now = now or datetime.now(timezone.utc)
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.username == username, User.active.is_(True)))
            if user is None:
                check_password(password, _DUMMY_HASH)  # same work either way: no user enumeration by timing
                raise AuthError("用户名或密码错误")
            locked = _aware(user.locked_until)
            if locked is not None and locked > now:
                raise LockedOut(f"登录失败次数过多，请于 {LOCKOUT.seconds // 60} 分钟后再试")
            if not check_password(password, user.password_hash):
                user.failed_logins = (user.failed_logins or 0) + 1
                if user.failed_logins >= MAX_FAILED_LOGINS:
                    user.failed_logins, user.locked_until = 0, now + LOCKOUT
                s.commit()
                raise AuthError("用户名或密码错误")
            user.failed_logins, user.locked_until = 0, None
            token = secrets.token_urlsafe(32)
            expires = now + TOKEN_TTL
            s.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at < now))
            s.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), expires_at=expires))
            return token, expires, _principal(user)

    def verify(self, token: str, now: datetime | None = None) -> Principal | None:
        if not token:
            return None
        now = now or datetime.now(timezone.utc)
        with self.db.session() as s:
            row = s.execute(select(ApiToken, User).join(User).where(ApiToken.token_hash == _token_hash(token))).first()
            if row is None:
                return None
            api_token, user = row
            expires = api_token.expires_at if api_token.expires_at.tzinfo else \
                api_token.expires_at.replace(tzinfo=timezone.utc)
            if expires <= now or not user.active:
                return None
            return _principal(user)

    def logout(self, token: str) -> None:
        with self.db.session() as s:
            s.execute(delete(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
