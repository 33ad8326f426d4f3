"""Supervision errors: each carries a stable ``code`` and HTTP ``status`` (webapp/errors.py makes them JSON)."""

from __future__ import annotations

from hotline.errors import HotlineError, VersionConflict


class SupervisionError(HotlineError):
    code = "supervision_error"
    status = 422

    def __init__(
        self, message: str, *, code: str | None = None, details: dict | None = None, status: int | None = None
    ):
        super().__init__(message, code=code, details=details)
        if status:
            self.status = status


class SupervisionForbidden(SupervisionError):
    """The viewer's role or region does not cover this item."""

    code = "forbidden"
    status = 403


class InvalidProblemTransition(SupervisionError):
    code = "invalid_transition"
    status = 409


class StaleProblem(VersionConflict, SupervisionError):
    """The problem changed since the caller read it (the shared ``version_conflict``)."""
