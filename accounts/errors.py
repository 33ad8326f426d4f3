"""Errors of staff accounts: a failed sign-in and an account that cannot be created or changed as asked.

Too many failed sign-ins are refused with the kernel's :class:`hotline.errors.Throttled` (the throttle also guards
callers' order look-ups)."""

from __future__ import annotations

from hotline.errors import HotlineError


class AuthError(HotlineError):
    code = "unauthorized"
    status = 401


class AccountError(HotlineError):
    code = "invalid_account"
    status = 422
