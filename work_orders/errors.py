"""The work-order errors: each carries a stable ``code`` and HTTP ``status`` (webapp/errors.py turns them into
JSON). Raise these, never a bare HotlineError, so callers can catch one family."""

from __future__ import annotations

from hotline.errors import HotlineError, VersionConflict


class WorkOrderError(HotlineError):
    code = "work_order_error"
    status = 422


class InvalidTransition(WorkOrderError):
    """The action is not allowed from the order's current state (the lifecycle table)."""

    code = "invalid_transition"
    status = 409


class StaleOrder(VersionConflict, WorkOrderError):
    """The order changed since the caller read it: nothing was changed (the shared ``version_conflict``)."""


class Forbidden(WorkOrderError):
    """The viewer's role or data scope does not cover this order or action."""

    code = "forbidden"
    status = 403


class AttachmentRejected(HotlineError):
    """The uploaded bytes are not one of the allowed file types."""

    code = "unsupported_attachment"
    status = 415


class AttachmentTooLarge(HotlineError):
    code = "attachment_too_large"
    status = 413
