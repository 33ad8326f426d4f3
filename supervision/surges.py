"""Surges (第三十四条, 即报即查): many complaints about the same place, target or topic within a short window —
劝返 at one checkpoint, one bus route, one platform — raise an alert to the supervisors of that region with the
linked orders.

``detect`` looks at the complaints received in the last ``window``: each is keyed by its place (the order's
location, else the place its text names), its target (投诉对象, else the plate, platform, route or firm the text
names) and, when an embedder is given, its topic (supervision.grouping). A key reached by ``min_callers`` different
callers is a surge. The alert goes to the region the orders share (their common division), one open alert per
kind, region and subject: a wave that goes on updates its alert (more orders, later end) instead of raising a new
one; a new wave after the window raises a new alert. A notice to ``supervisor:<region>`` is written with it.

``run`` is what the scheduler calls: a DB lease (sv_job_lease) lets one replica at a time run it; the others
find the lease taken and skip (the same conditional-UPDATE idea as the SLA sweep). With the model at hand the same
run also links the plain duplicate complaints (supervision.duplicates.Duplicates.auto_link).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from hotline.clock import aware, utcnow
from hotline.db import Database
from hotline.errors import NotFound
from hotline.privacy import mask_pii
from hotline.text import normalize
from work_orders import intake
from work_orders.lifecycle import STATES
from work_orders.models import Notice, WorkOrder

from . import grouping
from .errors import SupervisionError, SupervisionForbidden
from .models import JobLease, SurgeAlert
from .scope import covers, region_filter, viewer_region
from .topics import order_text
from .vectors import VectorCache

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=6)
MIN_CALLERS = 5
INTERVAL_SECONDS = 300  # how often the job runs
TOPIC_THRESHOLD = 0.7  # stricter than the monthly 0.8 (dev set at 0.7: purity 0.97): a surge is one matter
KINDS = {"place": "地点", "target": "对象", "topic": "事项"}
DIVISION_END = "省市区县州盟旗"
MAX_ORDERS = 2000  # complaints of one window looked at


def common_region(regions: list[str]) -> str:
    """The most specific division all these regions lie in (河南省新乡市 + 河南省新乡市卫辉市 -> 河南省新乡市)."""
    regions = [r for r in regions if r]
    if not regions:
        return ""
    prefix = os.path.commonprefix(regions)
    while prefix and prefix[-1] not in DIVISION_END:
        prefix = prefix[:-1]
    return prefix


def subject_of(kind: str, value: str) -> str:
    """A place or target as it is compared: without spaces, a plate in capitals."""
    value = re.sub(r"\s+", "", value or "")
    return value.upper() if kind == "target" and intake.PLATE_RE.fullmatch(value.upper()) else value


def same_subject(a: str, b: str) -> bool:
    """Two names of one place or target: equal, or one ends in the other (107国道卫辉检查站, 卫辉检查站)."""
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return short == long or (len(short) >= 4 and long.endswith(short))


def caller_key(order: WorkOrder) -> str:
    """Who complained: the same phone or channel identity is one caller however many orders they made."""
    return order.caller_phone or order.caller_user or f"order:{order.id}"


def _merge_suffixes(groups: dict[str, tuple[str, list]]) -> dict[str, tuple[str, list]]:
    """One subject under several names: "107国道卫辉检查站" joins "卫辉检查站" (a name ending in a shorter one)."""
    names = sorted(groups, key=len)
    for name in reversed(names):
        shorter = next((o for o in names if len(o) >= 4 and o != name and name.endswith(o) and o in groups), None)
        if shorter and name in groups:
            kind, members = groups.pop(name)
            short_kind, short_members = groups[shorter]
            groups[shorter] = ("place" if "place" in (kind, short_kind) else short_kind, short_members + members)
    return groups


def _keys(orders: list[WorkOrder], embedder, cache=None) -> dict[tuple[str, str], list[WorkOrder]]:
    """The orders under each place, target and topic they name (an order counts once per subject)."""
    named: dict[str, tuple[str, list[WorkOrder]]] = {}
    texts = [normalize(order_text(o)) for o in orders]
    for order, text in zip(orders, texts, strict=True):
        place = subject_of("place", normalize(order.location or "") or intake.find_place(text) or "")
        target = subject_of("target", normalize(order.target or "") or intake.find_target(text) or "")
        for kind, subject in (("place", place), ("target", target)):
            if len(subject) < 2 or subject in intake.GENERIC_TARGETS:  # "出租车", "收费站" alone: a kind, not a target
                continue
            known_kind, members = named.get(subject, (kind, []))
            if order not in members:
                members.append(order)
            named[subject] = ("place" if "place" in (kind, known_kind) else known_kind, members)
    groups: dict[tuple[str, str], list[WorkOrder]] = defaultdict(list)
    for subject, (kind, members) in _merge_suffixes(named).items():
        groups[kind, subject] = list(dict.fromkeys(members))
    if embedder is not None and len(orders) >= MIN_CALLERS:
        try:
            labels = grouping.cluster(grouping.features(texts, embedder, cache=cache), TOPIC_THRESHOLD)
        except Exception:  # no model in this process (a worker without one): places and targets still count
            log.warning("surge detection: topics skipped, the embedding model is not available", exc_info=True)
            return groups
        members_of: dict[int, list[int]] = defaultdict(list)
        for i, label in enumerate(labels.tolist()):
            members_of[label].append(i)
        df = grouping.document_frequency(texts)
        for idx in members_of.values():
            if len(idx) >= MIN_CALLERS:
                label = "、".join(grouping.keywords([texts[i] for i in idx], df, len(texts))) or texts[idx[0]][:20]
                groups["topic", label].extend(orders[i] for i in idx)
    return groups


def _key(kind: str, region: str, subject: str) -> str:
    return hashlib.sha256(f"{kind}\n{region}\n{subject}".encode()).hexdigest()


def detect(
    db: Database,
    now: datetime | None = None,
    embedder=None,
    window: timedelta = WINDOW,
    min_callers: int = MIN_CALLERS,
) -> list[dict]:
    """Raise or update the alerts of the complaints of the last ``window``; returns the alerts raised or grown."""
    now = now or utcnow()
    start = now - window
    changed = []
    with db.session() as s:
        orders = s.scalars(
            select(WorkOrder)
            .where(WorkOrder.order_type == "complaint", WorkOrder.received_at >= start, WorkOrder.received_at <= now)
            .order_by(WorkOrder.received_at.desc())
            .limit(MAX_ORDERS)
        ).all()
        keyed = _keys(orders, embedder, VectorCache(db) if embedder is not None else None)
        for (kind, subject), members in keyed.items():
            if len({caller_key(o) for o in members}) < min_callers:
                continue
            region = common_region([o.region or "" for o in members])
            ids = sorted({o.id for o in members})
            alert = _upsert(s, kind, region, subject, ids, start, now, window)
            if alert is not None:
                changed.append(alert)
    if changed:
        log.info("surge alerts: %s", [(a["kind"], a["subject"], a["count"]) for a in changed])
    return changed


def _upsert(s, kind, region, subject, ids, start, now, window) -> dict | None:
    key = _key(kind, region, subject)
    alert = s.scalars(select(SurgeAlert).where(SurgeAlert.key == key).order_by(SurgeAlert.id.desc()).limit(1)).first()
    if alert is not None and aware(alert.window_end) >= now - window:  # the same wave, still going on
        merged = sorted(set(alert.order_ids or []) | set(ids))
        if len(merged) == len(alert.order_ids or []):
            return None
        alert.order_ids = merged
        alert.count = len(merged)
        alert.window_end = now
        alert.updated_at = now
        s.flush()
        return alert_dict(alert)
    alert = SurgeAlert(
        key=key,
        kind=kind,
        subject=subject[:200],
        region=region,
        count=len(ids),
        order_ids=ids,
        window_start=start,
        window_end=now,
        status="open",
        created_at=now,
        updated_at=now,
    )
    s.add(alert)
    s.flush()
    s.add(
        Notice(
            order_id=ids[0],
            recipient=f"supervisor:{region}",
            kind="surge",
            created_at=now,
            message=f"{region or '全辖区'}{KINDS[kind]}“{subject}”{int(window.total_seconds() // 3600)}小时内"
            f"收到{len(ids)}件投诉，请即报即查（第三十四条）",
        )
    )
    return alert_dict(alert)


def alert_dict(alert: SurgeAlert, orders: list[dict] | None = None) -> dict:
    out = {
        "id": alert.id,
        "kind": alert.kind,
        "kind_label": KINDS.get(alert.kind, alert.kind),
        "subject": mask_pii(alert.subject),
        "region": alert.region,
        "count": alert.count,
        "window_start": aware(alert.window_start).isoformat(),
        "window_end": aware(alert.window_end).isoformat(),
        "status": alert.status,
        "created_at": aware(alert.created_at).isoformat(),
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": aware(alert.acknowledged_at).isoformat() if alert.acknowledged_at else None,
        "note": alert.note,
    }
    if orders is not None:
        out["orders"] = orders
    return out


class SurgeAlerts:
    """Alerts as supervisors of a region see and acknowledge them."""

    def __init__(self, db: Database, embedder=None):
        self.db = db
        self.embedder = embedder

    def _check(self, viewer) -> None:
        if not viewer.has("supervisor"):
            raise SupervisionForbidden("只有督办人员可以查看聚集性投诉预警")

    def list(self, viewer, status: str = "", region: str = "", page: int = 1, per_page: int = 50) -> dict:
        self._check(viewer)
        scope = viewer_region(viewer, region)
        if status and status not in ("open", "acknowledged"):
            raise SupervisionError("状态须为 open 或 acknowledged", code="invalid_field")
        with self.db.session() as s:
            query = select(SurgeAlert).where(region_filter(SurgeAlert.region, scope))
            if status:
                query = query.where(SurgeAlert.status == status)
            rows = s.scalars(query.order_by(SurgeAlert.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
            return {"page": page, "items": [alert_dict(a) for a in rows]}

    def pulse(self, region: str = "") -> dict:
        """The open alerts of a region (a supervisor's own; "" for all) for the console's live badge: how many and
        the newest id (one indexed count on ``region, status``)."""
        with self.db.session() as s:
            count, newest = s.execute(
                select(func.count(SurgeAlert.id), func.max(SurgeAlert.id)).where(
                    SurgeAlert.status == "open", region_filter(SurgeAlert.region, region)
                )
            ).one()
            return {"open": int(count or 0), "newest": int(newest or 0)}

    def _load(self, s, alert_id: int, viewer) -> SurgeAlert:
        alert = s.get(SurgeAlert, alert_id)
        if alert is None or not covers(viewer, alert.region):
            raise NotFound(f"预警 {alert_id} 不存在")
        return alert

    def _orders(self, s, alert: SurgeAlert) -> list[dict]:
        rows = s.scalars(select(WorkOrder).where(WorkOrder.id.in_(alert.order_ids or [])).order_by(WorkOrder.id))
        return [
            {
                "number": o.number,
                "title": mask_pii(o.title),
                "state": o.state,
                "state_label": STATES.get(o.state, o.state),
                "region": o.region,
                "location": mask_pii(o.location),
                "received_at": aware(o.received_at).isoformat(),
            }
            for o in rows
        ]

    def get(self, alert_id: int, viewer) -> dict:
        self._check(viewer)
        with self.db.session() as s:
            alert = self._load(s, alert_id, viewer)
            return alert_dict(alert, self._orders(s, alert))

    def acknowledge(self, alert_id: int, viewer, note: str = "", now: datetime | None = None) -> dict:
        self._check(viewer)
        now = now or utcnow()
        with self.db.session() as s:
            alert = self._load(s, alert_id, viewer)
            if alert.status == "acknowledged":
                raise SupervisionError("该预警已确认", code="already_acknowledged")
            alert.status = "acknowledged"
            alert.acknowledged_by = viewer.username
            alert.acknowledged_at = now
            alert.note = (note or "").strip()[:2000]
            alert.updated_at = now
            s.flush()
            return alert_dict(alert, self._orders(s, alert))


# --- the scheduled job --------------------------------------------------------------------------------------
def take_turn(db: Database, name: str, now: datetime, interval: float, owner: str) -> bool:
    """True for the one replica whose conditional UPDATE moves the job's next run forward; the rest skip."""
    try:
        with db.session() as s:
            if s.get(JobLease, name) is None:
                s.add(JobLease(name=name, next_run=now, owner=""))
    except IntegrityError:  # another replica made the row at the same moment
        pass
    with db.session() as s:
        result = s.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.next_run <= now)
            .values(next_run=now + timedelta(seconds=interval * 0.8), owner=owner)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def run(db: Database, embedder=None, interval: float = INTERVAL_SECONDS, now: datetime | None = None) -> list | None:
    """One run of the surge job, if this replica's turn (None when another took it)."""
    now = now or utcnow()
    if not take_turn(db, "surge_detect", now, interval, f"{socket.gethostname()}:{os.getpid()}"):
        return None
    try:
        raised = detect(db, now, embedder)
    except Exception:  # the next run looks at the same window again: nothing is lost
        log.exception("surge detection failed")
        return []
    if embedder is not None:
        from .duplicates import Duplicates

        try:
            linked = Duplicates(db, None, embedder).auto_link(now)
            if linked:
                log.info("duplicate complaints linked: %s", [g["id"] for g in linked])
        except Exception:
            log.exception("linking duplicate complaints failed")
    return raised
