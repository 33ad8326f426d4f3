"""Errors of the reports package (Chinese messages, stable codes)."""

from __future__ import annotations

from hotline.errors import HotlineError, NotFound, VersionConflict


class ReportError(HotlineError):
    code = "invalid_report"
    status = 422

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, details=None):
        super().__init__(message, code=code, details=details)
        if status:
            self.status = status


class ReportForbidden(ReportError):
    code = "forbidden"
    status = 403


class ReportNotFound(NotFound, ReportError):
    code = "not_found"
    status = 404


class StaleReport(VersionConflict, ReportError):
    """An edit based on a version that is no longer the report's current one."""


class FontMissing(ReportError):
    """The CJK font the charts and the PDF need is not installed."""

    code = "font_missing"
    status = 503
