"""The handoff errors: each carries a stable ``code`` and HTTP ``status`` (webapp/errors.py turns them into JSON)."""

from __future__ import annotations

from hotline.errors import HotlineError


class HandoffError(HotlineError):
    code = "handoff_error"
    status = 422


class HandoffConflict(HandoffError):
    """The handoff is not in a state that allows this (taken by someone else, closed, not taken yet)."""

    code = "handoff_conflict"
    status = 409
