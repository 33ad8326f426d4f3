"""The list of concentrated problems for special remediation (第三十三条): a supervisor turns a high-frequency
matter into an item and tracks it through 列入清单 → 督办 → 销号, with the orders linked — the city's
"收集—交办—督办—销号" loop. States and moves are data (``TRANSITIONS``); every change writes an audit row.
Supervisors work the items of their own region; admins all of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline.clock import utcnow
from hotline.db import Database
from hotline.errors import NotFound
from hotline.privacy import mask_pii
from work_orders.models import WorkOrder

from .errors import InvalidProblemTransition, StaleProblem, SupervisionError, SupervisionForbidden
from .models import Problem, ProblemEvent, ProblemOrder
from .scope import covers, region_filter, viewer_region

STATES = {"listed": "列入清单", "supervising": "督办中", "closed": "已销号"}
ROLES = ("supervisor",)  # admins may do everything (Principal.has)
MAX_ORDERS = 500


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    needs_note: bool


TRANSITIONS = {
    m.action: m
    for m in (
        Move("supervise", "督办", ("listed",), "supervising", True),
        Move("close", "销号", ("supervising",), "closed", True),
        Move("reopen", "重新督办", ("closed",), "supervising", True),
    )
}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _check_role(viewer) -> None:
    if not viewer.has(*ROLES):
        raise SupervisionForbidden("只有督办人员可以管理问题清单")


def _load(s: Session, problem_id: int, viewer) -> Problem:
    problem = s.get(Problem, problem_id)
    if problem is None or not covers(viewer, problem.region):
        raise NotFound(f"问题清单事项 {problem_id} 不存在")
    return problem


class ProblemList:
    def __init__(self, db: Database):
        self.db = db

    # --- reading ------------------------------------------------------------------------------------------
    def _dict(self, s: Session, problem: Problem, full: bool = False) -> dict:
        orders = s.execute(
            select(WorkOrder.number, WorkOrder.title, WorkOrder.state, WorkOrder.region)
            .join(ProblemOrder, ProblemOrder.order_id == WorkOrder.id)
            .where(ProblemOrder.problem_id == problem.id)
            .order_by(WorkOrder.id)
        ).all()
        out = {
            "id": problem.id,
            "title": problem.title,
            "region": problem.region,
            "state": problem.state,
            "state_label": STATES[problem.state],
            "keywords": list(problem.keywords or []),
            "description": problem.description,
            "created_by": problem.created_by,
            "created_at": _iso(problem.created_at),
            "updated_at": _iso(problem.updated_at),
            "closed_at": _iso(problem.closed_at),
            "version": problem.version,
            "order_count": len(orders),
            "actions": [a for a, m in TRANSITIONS.items() if problem.state in m.sources],
        }
        if full:
            out["orders"] = [{"number": n, "title": mask_pii(t), "state": st, "region": r} for n, t, st, r in orders]
            events = s.scalars(
                select(ProblemEvent).where(ProblemEvent.problem_id == problem.id).order_by(ProblemEvent.id)
            )
            out["events"] = [
                {
                    "at": _iso(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "from_state": e.from_state,
                    "to_state": e.to_state,
                    "note": e.note,
                }
                for e in events
            ]
        return out

    def list(self, viewer, state: str = "", region: str = "", page: int = 1, per_page: int = 50) -> dict:
        _check_role(viewer)
        scope = viewer_region(viewer, region)
        if state and state not in STATES:
            raise SupervisionError("状态无效", code="invalid_field", details={"state": list(STATES)})
        with self.db.session() as s:
            query = select(Problem).where(region_filter(Problem.region, scope))
            if state:
                query = query.where(Problem.state == state)
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = s.scalars(query.order_by(Problem.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
            return {"total": total, "page": page, "items": [self._dict(s, p) for p in rows], "states": STATES}

    def get(self, problem_id: int, viewer) -> dict:
        _check_role(viewer)
        with self.db.session() as s:
            return self._dict(s, _load(s, problem_id, viewer), full=True)

    # --- writing ------------------------------------------------------------------------------------------
    def _orders(self, s: Session, numbers: list[str], viewer, region: str) -> list[WorkOrder]:
        numbers = list(dict.fromkeys(n for n in numbers if n))
        if len(numbers) > MAX_ORDERS:
            raise SupervisionError(f"一次最多关联{MAX_ORDERS}件工单", code="invalid_field")
        found = s.scalars(select(WorkOrder).where(WorkOrder.number.in_(numbers))).all() if numbers else []
        missing = sorted(set(numbers) - {o.number for o in found})
        outside = sorted(
            o.number for o in found if not (o.region or "").startswith(region) or not covers(viewer, o.region)
        )
        if missing or outside:
            raise SupervisionError(
                "工单不存在或不在该事项的地区内",
                code="invalid_orders",
                details={"missing": missing, "outside_region": outside},
            )
        return found

    def create(
        self,
        viewer,
        title: str,
        region: str = "",
        keywords: list[str] | None = None,
        description: str = "",
        orders: list[str] | None = None,
        now: datetime | None = None,
    ) -> dict:
        """列入清单: a new item of the viewer's region (or a region inside it) with its orders linked."""
        _check_role(viewer)
        now = now or utcnow()
        title = (title or "").strip()
        if not title or len(title) > 200:
            raise SupervisionError("请填写事项名称（200字以内）", code="invalid_field", details={"title": "必填"})
        region = viewer_region(viewer, region)
        with self.db.session() as s:
            linked = self._orders(s, orders or [], viewer, region)
            problem = Problem(
                title=title,
                region=region,
                state="listed",
                keywords=[str(k)[:40] for k in (keywords or [])][:10],
                description=(description or "").strip()[:5000],
                created_by=viewer.username,
                created_at=now,
                updated_at=now,
            )
            s.add(problem)
            s.flush()
            for order in linked:
                s.add(ProblemOrder(problem_id=problem.id, order_id=order.id))
            s.add(
                ProblemEvent(
                    problem_id=problem.id,
                    at=now,
                    actor=viewer.username,
                    action="list",
                    to_state="listed",
                    note=f"列入问题清单，关联工单{len(linked)}件",
                    data={"orders": [o.number for o in linked]},
                )
            )
            s.flush()
            return self._dict(s, problem, full=True)

    def act(self, problem_id: int, action: str, viewer, note: str = "", version: int | None = None, now=None) -> dict:
        """督办 / 销号 / 重新督办, each with a note (what was asked of whom; how it was resolved)."""
        _check_role(viewer)
        now = now or utcnow()
        move = TRANSITIONS.get(action)
        if move is None:
            raise SupervisionError(f"未知操作：{action}", code="unknown_action")
        note = (note or "").strip()
        if move.needs_note and not note:
            raise SupervisionError(f"请填写{move.label}说明", code="missing_field", details={"note": "必填"})
        try:
            with self.db.session() as s:
                problem = _load(s, problem_id, viewer)
                if version is not None and version != problem.version:
                    raise StaleProblem("该事项已被他人修改，请刷新后重试", details={"current_version": problem.version})
                if problem.state not in move.sources:
                    raise InvalidProblemTransition(
                        f"事项当前状态为“{STATES[problem.state]}”，不能执行“{move.label}”",
                        details={"state": problem.state, "action": action},
                    )
                before = problem.state
                problem.state = move.target
                problem.updated_at = now
                problem.closed_at = now if move.target == "closed" else None
                s.add(
                    ProblemEvent(
                        problem_id=problem.id,
                        at=now,
                        actor=viewer.username,
                        action=action,
                        from_state=before,
                        to_state=move.target,
                        note=note[:2000],
                    )
                )
                s.flush()
                return self._dict(s, problem, full=True)
        except StaleDataError:
            raise StaleProblem("该事项已被他人同时修改，请刷新后重试") from None

    def link(self, problem_id: int, viewer, add: list[str], remove: list[str], now=None) -> dict:
        """Link more orders (or unlink some); a closed item takes no new orders."""
        _check_role(viewer)
        now = now or utcnow()
        with self.db.session() as s:
            problem = _load(s, problem_id, viewer)
            if add and problem.state == "closed":
                raise InvalidProblemTransition("已销号的事项不能再关联工单，请先重新督办")
            have = set(s.scalars(select(ProblemOrder.order_id).where(ProblemOrder.problem_id == problem.id)))
            added = [o for o in self._orders(s, add, viewer, problem.region) if o.id not in have]
            for order in added:
                s.add(ProblemOrder(problem_id=problem.id, order_id=order.id))
            dropped = self._orders(s, remove, viewer, problem.region) if remove else []
            for order in dropped:
                link = s.get(ProblemOrder, (problem.id, order.id))
                if link is not None:
                    s.delete(link)
            if added or dropped:
                problem.updated_at = now
                s.add(
                    ProblemEvent(
                        problem_id=problem.id,
                        at=now,
                        actor=viewer.username,
                        action="link",
                        from_state=problem.state,
                        to_state=problem.state,
                        note=f"关联工单{len(added)}件，取消关联{len(dropped)}件",
                        data={"added": [o.number for o in added], "removed": [o.number for o in dropped]},
                    )
                )
            s.flush()
            return self._dict(s, problem, full=True)
