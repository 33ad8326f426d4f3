"""Duplicate complaints (第三十四条): complaints about the same matter from several callers are linked in a group and
handled together, while each caller keeps their own order, reply and callback.

``candidates`` proposes the orders of the same region received within ``DAYS`` of an order that name the same
target or place or say nearly the same (cosine of the grouping features); staff link them (``link``). An action on
a group (``act``) is the work-order service's own action taken on every member in turn — the lifecycle table,
roles and region scope of work_orders apply to each, and each caller gets their own notice — and the result says
per order what was done or why not. A callback is never taken for a group: every caller is called back on their own
(第二十九条).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select

from hotline.clock import aware, utcnow
from hotline.db import Database
from hotline.errors import HotlineError, NotFound
from hotline.privacy import mask_pii
from hotline.text import normalize
from work_orders import intake
from work_orders.lifecycle import OPEN_STATES, STATES, TRANSITIONS
from work_orders.models import WorkOrder
from work_orders.orders import can_view
from work_orders.service import System

from . import grouping
from .errors import SupervisionError, SupervisionForbidden
from .models import DuplicateGroup, DuplicateMember
from .surges import caller_key, common_region, same_subject, subject_of
from .topics import order_text
from .vectors import VectorCache

DAYS = 3
SIMILARITY = 0.75  # cosine of the grouping features above which two complaints say the same
MAX_MEMBERS = 200
ROLES = ("operator", "supervisor")  # who links orders (admins too)
NOT_FOR_GROUPS = {"callback": "回访须逐一联系来电人（第二十九条），不能批量办理"}
CLOSED = ("rejected", "archived")


def _member_dict(order: WorkOrder) -> dict:
    return {
        "number": order.number,
        "title": mask_pii(order.title),
        "state": order.state,
        "state_label": STATES.get(order.state, order.state),
        "region": order.region,
        "received_at": aware(order.received_at).isoformat(),
    }


class Duplicates:
    def __init__(self, db: Database, work_orders, embedder=None):
        self.db = db
        self.work_orders = work_orders
        self.embedder = embedder

    def _check(self, viewer) -> None:
        if not viewer.has(*ROLES):
            raise SupervisionForbidden("当前角色无权合并重复投诉")

    def _order(self, s, number: str, viewer) -> WorkOrder:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        if order is None:
            raise NotFound(f"工单 {number} 不存在")
        if not can_view(order, viewer):
            raise SupervisionForbidden("无权查看或处理该工单")
        return order

    # --- proposals ----------------------------------------------------------------------------------------
    def candidates(self, number: str, viewer, limit: int = 20) -> dict:
        """Orders that may be the same matter as this one, best first, with why."""
        self._check(viewer)
        with self.db.session() as s:
            order = self._order(s, number, viewer)
            at = aware(order.received_at)
            region = order.region or ""
            query = select(WorkOrder).where(
                WorkOrder.id != order.id,
                WorkOrder.order_type == order.order_type,
                WorkOrder.received_at >= at - timedelta(days=DAYS),
                WorkOrder.received_at <= at + timedelta(days=DAYS),
                WorkOrder.state.not_in(CLOSED),
            )
            others = [o for o in s.scalars(query.limit(2000)) if can_view(o, viewer)]
            others = [o for o in others if not region or not o.region or common_region([region, o.region])]
            grouped = dict(s.execute(select(DuplicateMember.order_id, DuplicateMember.group_id)).all())
            scored = self._score(order, others)
            items = [
                {**_member_dict(o), "score": round(score, 3), "reasons": reasons, "group_id": grouped.get(o.id)}
                for o, score, reasons in scored[:limit]
            ]
            return {"number": order.number, "group_id": grouped.get(order.id), "items": items}

    def _score(self, order: WorkOrder, others: list[WorkOrder]) -> list[tuple[WorkOrder, float, list[str]]]:
        if not others:
            return []
        texts = [order_text(o) for o in [order, *others]]
        similarity = np.zeros(len(others))
        if self.embedder is not None:
            vectors = grouping.embed([normalize(t) for t in texts], self.embedder, cache=VectorCache(self.db))
            similarity = vectors[1:] @ vectors[0]

        def facts(o: WorkOrder, text: str) -> tuple[str, str]:
            return (
                subject_of("target", o.target or intake.find_target(text) or ""),
                subject_of("place", o.location or intake.find_place(text) or ""),
            )

        target, place = facts(order, texts[0])
        out = []
        for o, text, sim in zip(others, texts[1:], similarity.tolist(), strict=True):
            o_target, o_place = facts(o, text)
            reasons = []
            if same_subject(target, o_target):
                reasons.append(f"同一投诉对象：{mask_pii(target)}")
            if same_subject(place, o_place):
                reasons.append(f"同一地点：{mask_pii(place)}")
            if sim >= SIMILARITY:
                reasons.append(f"内容相近（{sim:.2f}）")
            if reasons:
                out.append((o, len(reasons) + max(sim, 0.0), reasons))
        out.sort(key=lambda r: -r[1])
        return out

    # --- groups -------------------------------------------------------------------------------------------
    def _group_dict(self, s, group: DuplicateGroup) -> dict:
        members = s.scalars(
            select(WorkOrder)
            .join(DuplicateMember, DuplicateMember.order_id == WorkOrder.id)
            .where(DuplicateMember.group_id == group.id)
            .order_by(WorkOrder.id)
        ).all()
        return {
            "id": group.id,
            "region": group.region,
            "subject": mask_pii(group.subject),
            "created_by": group.created_by,
            "created_at": aware(group.created_at).isoformat(),
            "members": [_member_dict(o) for o in members],
        }

    def get(self, group_id: int, viewer) -> dict:
        """A group, for any staff member who may see each of its orders."""
        with self.db.session() as s:
            group = s.get(DuplicateGroup, group_id)
            if group is None:
                raise NotFound(f"重复投诉组 {group_id} 不存在")
            out = self._group_dict(s, group)
            if not all(can_view(o, viewer) for o in self._members(s, group.id)):
                raise NotFound(f"重复投诉组 {group_id} 不存在")
            return out

    def _members(self, s, group_id: int) -> list[WorkOrder]:
        return s.scalars(
            select(WorkOrder)
            .join(DuplicateMember, DuplicateMember.order_id == WorkOrder.id)
            .where(DuplicateMember.group_id == group_id)
            .order_by(WorkOrder.id)
        ).all()

    def link(self, numbers: list[str], viewer, subject: str = "", now: datetime | None = None) -> dict:
        """Put these orders (two or more, or one more to an existing group) in one group; groups they are
        already in are merged into the oldest."""
        self._check(viewer)
        now = now or utcnow()
        numbers = list(dict.fromkeys(n for n in numbers if n))
        if not 1 <= len(numbers) <= MAX_MEMBERS:
            raise SupervisionError(f"请选择1至{MAX_MEMBERS}件工单", code="invalid_field")
        with self.db.session() as s:
            orders = [self._order(s, n, viewer) for n in numbers]
            types = {o.order_type for o in orders}
            if len(types) > 1:
                raise SupervisionError("只能合并同一类型的工单", code="mixed_types")
            regions = [o.region for o in orders if o.region]
            if len(set(regions)) > 1 and not common_region(regions):
                raise SupervisionError("不同地区的工单不能合并为重复投诉", code="mixed_regions")
            existing = {
                m.order_id: m.group_id
                for m in s.scalars(select(DuplicateMember).where(DuplicateMember.order_id.in_([o.id for o in orders])))
            }
            groups = sorted(set(existing.values()))
            if not groups and len(orders) < 2:
                raise SupervisionError("至少选择两件工单才能合并", code="invalid_field")
            if groups:
                group = s.get(DuplicateGroup, groups[0])
                for other in groups[1:]:
                    for member in s.scalars(select(DuplicateMember).where(DuplicateMember.group_id == other)):
                        member.group_id = group.id
                    s.flush()
                    s.delete(s.get(DuplicateGroup, other))
            else:
                group = DuplicateGroup(
                    region=common_region([o.region or "" for o in orders]),
                    subject=(subject or orders[0].target or orders[0].title or "")[:200],
                    created_by=viewer.username,
                    created_at=now,
                )
                s.add(group)
                s.flush()
            for order in orders:
                if order.id not in existing:
                    s.add(DuplicateMember(order_id=order.id, group_id=group.id, added_by=viewer.username, added_at=now))
            s.flush()
            members = self._members(s, group.id)
            group.region = common_region([o.region or "" for o in members])
            return self._group_dict(s, group)

    def unlink(self, number: str, viewer) -> dict:
        """Take an order out of its group (a group left with one order is dissolved)."""
        self._check(viewer)
        with self.db.session() as s:
            order = self._order(s, number, viewer)
            member = s.get(DuplicateMember, order.id)
            if member is None:
                raise NotFound(f"工单 {number} 不在任何重复投诉组中")
            group_id = member.group_id
            s.delete(member)
            s.flush()
            rest = s.scalars(select(DuplicateMember).where(DuplicateMember.group_id == group_id)).all()
            if len(rest) <= 1:
                for m in rest:
                    s.delete(m)
                s.flush()
                s.delete(s.get(DuplicateGroup, group_id))
                return {"id": group_id, "dissolved": True, "members": []}
            return {**self._group_dict(s, s.get(DuplicateGroup, group_id)), "dissolved": False}

    # --- linking the obvious ones -------------------------------------------------------------------------
    def auto_link(self, now: datetime | None = None) -> list[dict]:
        """Link the open complaints of the last ``DAYS`` that are plainly one matter: the same specific target
        (a plate, a route, a platform, a firm: not a mere kind of vehicle), the same place, nearly the same words
        (cosine ≥ ``SIMILARITY``) and different callers. Staff link the rest from the proposals (``candidates``).
        Returns the groups made or grown. Needs the embedder (None: nothing is linked)."""
        if self.embedder is None:
            return []
        now = now or utcnow()
        with self.db.session() as s:
            orders = s.scalars(
                select(WorkOrder)
                .where(
                    WorkOrder.order_type == "complaint",
                    WorkOrder.received_at >= now - timedelta(days=DAYS),
                    WorkOrder.received_at <= now,
                    WorkOrder.state.in_(OPEN_STATES),
                )
                .order_by(WorkOrder.id)
                .limit(2000)
            ).all()
        buckets: dict[tuple[str, str], list[int]] = {}
        texts = [normalize(order_text(o)) for o in orders]
        facts = []
        for i, (order, text) in enumerate(zip(orders, texts, strict=True)):
            target = subject_of("target", normalize(order.target or "") or intake.find_target(text) or "")
            place = subject_of("place", normalize(order.location or "") or intake.find_place(text) or "")
            facts.append(place)
            if len(target) >= 2 and target not in intake.GENERIC_TARGETS and place:
                buckets.setdefault((order.region or "", target), []).append(i)
        candidates = [idx for idx in buckets.values() if len(idx) >= 2]
        if not candidates:
            return []
        vectors = grouping.embed(texts, self.embedder, cache=VectorCache(self.db))
        parent = list(range(len(orders)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for idx in candidates:
            for a_pos, a in enumerate(idx):
                for b in idx[a_pos + 1 :]:
                    same_caller = caller_key(orders[a]) == caller_key(orders[b])
                    if not same_caller and same_subject(facts[a], facts[b]) and vectors[a] @ vectors[b] >= SIMILARITY:
                        parent[root(b)] = root(a)
        components: dict[int, list[str]] = {}
        for i in {i for idx in candidates for i in idx}:
            components.setdefault(root(i), []).append(orders[i].number)
        system = System("system")
        linked = []
        for numbers in components.values():
            if len(numbers) < 2:
                continue
            with self.db.session() as s:
                ids = [o.id for o in orders if o.number in numbers]
                grouped = set(s.scalars(select(DuplicateMember.order_id).where(DuplicateMember.order_id.in_(ids))))
                groups = set(s.scalars(select(DuplicateMember.group_id).where(DuplicateMember.order_id.in_(ids))))
            if len(grouped) == len(ids) and len(groups) == 1:
                continue  # linked already
            linked.append(self.link(sorted(numbers), system, now=now))
        return linked

    # --- handling together --------------------------------------------------------------------------------
    def act(self, group_id: int, action: str, viewer, params: dict | None = None, now=None) -> dict:
        """Take one lifecycle action on every member (each through the work-order service, each caller notified
        on their own); members whose state or scope does not allow it are left as they are, with the reason."""
        if action in NOT_FOR_GROUPS:
            raise SupervisionError(NOT_FOR_GROUPS[action], code="not_for_groups")
        if action not in TRANSITIONS:
            raise SupervisionError(f"未知操作：{action}", code="unknown_action")
        with self.db.session() as s:
            group = s.get(DuplicateGroup, group_id)
            if group is None:
                raise NotFound(f"重复投诉组 {group_id} 不存在")
            # the members this viewer may handle; the others are not named to them at all
            numbers = [o.number for o in self._members(s, group.id) if can_view(o, viewer)]
        if not numbers:
            raise NotFound(f"重复投诉组 {group_id} 不存在")
        results = []
        for number in numbers:
            try:
                order = self.work_orders.act(number, action, viewer, dict(params or {}), now=now)
                results.append({"number": number, "ok": True, "state": order["state"], "message": ""})
            except HotlineError as exc:
                results.append({"number": number, "ok": False, "state": "", "message": exc.message, "code": exc.code})
        return {
            "id": group_id,
            "action": action,
            "done": sum(r["ok"] for r in results),
            "skipped": sum(not r["ok"] for r in results),
            "results": results,
        }
