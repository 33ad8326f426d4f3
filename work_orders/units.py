"""The directory of handling units (承办单位): the units orders are dispatched to, and routing, the units
that fit an order.

``UnitDirectory`` is one part of the ``WorkOrders`` façade (service.py): it uses ``self.db``.
"""

from __future__ import annotations

from sqlalchemy import select

from hotline.db import Database
from hotline.errors import NotFound

from .errors import WorkOrderError
from .lifecycle import DOMAINS
from .models import HandlingUnit
from .orders import load_order


class UnitDirectory:
    """Handling units and routing, for ``WorkOrders`` (see the module docstring)."""

    db: Database

    def units(self) -> list[dict]:
        with self.db.session() as s:
            return [unit_dict(u) for u in s.scalars(select(HandlingUnit).order_by(HandlingUnit.id))]

    def add_unit(
        self,
        name: str,
        region: str = "",
        domains: list[str] | None = None,
        duties: str = "",
        is_authority: bool = False,
        contact: str = "",
    ) -> dict:
        name = (name or "").strip()
        if not name:
            raise WorkOrderError("请填写承办单位名称", code="invalid_field", details={"name": "必填"})
        bad = [d for d in domains or [] if d not in DOMAINS]
        if bad:
            raise WorkOrderError(f"未知业务领域：{'、'.join(bad)}", code="invalid_field")
        with self.db.session() as s:
            if s.scalar(select(HandlingUnit.id).where(HandlingUnit.name == name)):
                raise WorkOrderError(f"承办单位“{name}”已存在", code="duplicate_unit")
            unit = HandlingUnit(
                name=name,
                region=region.strip(),
                domains=list(domains or []),
                duties=duties,
                is_authority=is_authority,
                contact=contact,
            )
            s.add(unit)
            s.flush()
            return unit_dict(unit)

    def update_unit(self, unit_id: int, **changes) -> dict:
        """Change a unit's name, region, domains, duties, contact, 本级主管部门 flag, or retire it (``active``
        false: no longer offered for dispatch; its orders stay with it)."""
        bad = [d for d in changes.get("domains") or [] if d not in DOMAINS]
        if bad:
            raise WorkOrderError(f"未知业务领域：{'、'.join(bad)}", code="invalid_field")
        with self.db.session() as s:
            unit = s.get(HandlingUnit, unit_id)
            if unit is None:
                raise NotFound("承办单位不存在")
            if "name" in changes:
                name = (changes["name"] or "").strip()
                if not name:
                    raise WorkOrderError("请填写承办单位名称", code="invalid_field", details={"name": "必填"})
                taken = s.scalar(select(HandlingUnit.id).where(HandlingUnit.name == name, HandlingUnit.id != unit_id))
                if taken:
                    raise WorkOrderError(f"承办单位“{name}”已存在", code="duplicate_unit")
                unit.name = name
            for key in ("region", "duties", "contact"):
                if key in changes:
                    setattr(unit, key, (changes[key] or "").strip())
            if "domains" in changes:
                unit.domains = list(changes["domains"] or [])
            for key in ("is_authority", "active"):
                if key in changes:
                    setattr(unit, key, bool(changes[key]))
            s.flush()
            return unit_dict(unit)

    def route(self, number: str) -> list[dict]:
        """Units that fit an order: same domain, the most specific region first; the authority for safety."""
        with self.db.session() as s:
            order = load_order(s, number)
            units = s.scalars(select(HandlingUnit).where(HandlingUnit.active.is_(True))).all()

            def score(u: HandlingUnit) -> tuple:
                region_fit = bool(u.region) and order.region.startswith(u.region)
                return (
                    order.safety and u.is_authority,
                    order.domain in (u.domains or []),
                    region_fit,
                    len(u.region) if region_fit else 0,
                )

            ranked = sorted(
                (u for u in units if score(u)[1] or (order.safety and u.is_authority)), key=score, reverse=True
            )
            return [unit_dict(u) for u in ranked]


def unit_dict(u: HandlingUnit) -> dict:
    return {
        "id": u.id,
        "name": u.name,
        "region": u.region,
        "domains": list(u.domains or []),
        "duties": u.duties,
        "is_authority": u.is_authority,
        "contact": u.contact,
        "active": u.active,
    }
