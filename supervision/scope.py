"""Region scope: a supervisor sees the matters of their own region (a prefix: 河南省 covers 河南省新乡市), admins
and supervisors without a region see every region and may narrow it."""

from __future__ import annotations

from sqlalchemy import true

from .errors import SupervisionForbidden


def viewer_region(viewer, asked: str = "") -> str:
    """The region a query covers: the one asked for when it lies inside the viewer's, else the viewer's own."""
    own = (getattr(viewer, "region", "") or "").strip()
    asked = (asked or "").strip()
    if not asked:
        return own
    if own and not asked.startswith(own):
        raise SupervisionForbidden(f"只能查看本人负责地区（{own}）的事项")
    return asked


def covers(viewer, region: str) -> bool:
    own = (getattr(viewer, "region", "") or "").strip()
    return not own or (region or "").startswith(own)


def region_filter(column, region: str):
    if not region:
        return true()
    escaped = region.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")
