"""Errors of the statistics package (codes and statuses for webapp/errors.py)."""

from __future__ import annotations

from hotline.errors import HotlineError


class StatsError(HotlineError):
    """A statistics request that cannot be answered as asked (a period back to front, too long, a bad weight)."""

    code = "invalid_stats_query"
    status = 422


class OutOfScope(StatsError):
    """A supervisor asked for a region outside their own."""

    code = "forbidden"
    status = 403
