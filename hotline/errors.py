"""One exception hierarchy: every domain error carries a stable code and a readable message."""

from __future__ import annotations

import math


class HotlineError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class NotFound(HotlineError):
    code = "not_found"
    status = 404


class BotUnavailable(HotlineError):
    """Rasa did not answer (down, slow or broken)."""

    code = "bot_unavailable"
    status = 503


class VersionConflict(HotlineError):
    """A write based on a version that is no longer current (optimistic concurrency): nothing was changed."""

    code = "version_conflict"
    status = 409


class NotConfigured(HotlineError):
    """A link to an outside system (12345, WeChat, …) is used but its settings are missing."""

    code = "not_configured"
    status = 503


class Throttled(HotlineError):
    """Too many failed guesses of a secret (hotline.throttle): wait ``retry_after`` seconds."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        wait = f"{retry_after}秒" if retry_after < 120 else f"{math.ceil(retry_after / 60)}分钟"
        super().__init__(f"尝试次数过多，请{wait}后再试", details={"retry_after": retry_after})


class UnknownChannel(HotlineError):
    """A channel or sender id that hotline.channels does not know."""

    code = "unknown_channel"
    status = 422
