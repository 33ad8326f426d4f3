"""Whose figures a viewer may see: a supervisor only their own region (or a part of it); operators and admins
any region."""

from __future__ import annotations

from .errors import OutOfScope


def region_for(viewer, requested: str = "") -> str:
    """The region prefix to compute for: the requested one within the viewer's own; a supervisor's own region if
    none is requested."""
    requested = (requested or "").strip()
    roles = viewer.roles
    if "admin" in roles or "operator" in roles or "system" in roles:
        return requested
    own = getattr(viewer, "region", "") or ""
    if not requested:
        return own
    if own and not requested.startswith(own):
        raise OutOfScope(f"只能查看本辖区（{own}）的统计", details={"region": own})
    return requested
