"""Errors of the 12345 link. Upstream failures become one of these in exactly one place (the connector)."""

from __future__ import annotations

from hotline.errors import HotlineError
from hotline.errors import NotConfigured as _NotConfigured
from work_orders.lifecycle import WorkOrderError


class SyncError(HotlineError):
    code = "sync_error"
    status = 502


class RemoteUnavailable(SyncError):
    """Timeout, refused connection, 5xx: worth retrying later."""

    code = "remote_unavailable"
    retry = True


class RemoteRefused(SyncError):
    """401/403/4xx: retrying the same request will not help."""

    code = "remote_refused"
    retry = False


class PageRejected(SyncError):
    """A page that cannot be trusted as a whole (malformed, truncated, checksum mismatch, lying about its
    contents). Nothing of it is applied; the same cursor is asked again."""

    code = "page_rejected"
    retry = True


class StalePage(PageRejected):
    """An answer to another request: a replayed (duplicated) page or a page of another cursor (reordered)."""

    code = "stale_page"


class FeedBackwards(SyncError):
    """The remote's feed went back behind our committed cursor, or was replaced: stop and tell a person."""

    code = "feed_backwards"
    retry = False


class Busy(SyncError):
    """Another process holds this feed's lease."""

    code = "sync_busy"
    status = 409


class Unauthorized(SyncError):
    code = "unauthorized"
    status = 401


class NotConfigured(_NotConfigured, SyncError):
    """No 12345 address (HOTLINE_SYNC_URL): the kernel's not_configured, 503."""


class ProposalClosed(HotlineError):
    """An editor acts on a sync proposal that is already accepted or dismissed."""

    code = "proposal_closed"
    status = 409


class TransferInvalid(WorkOrderError):
    """A work order 12345 transferred that cannot be taken in as sent (not an object, fields missing or wrong)."""

    code = "invalid_transfer"
    status = 422
