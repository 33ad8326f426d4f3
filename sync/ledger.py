"""Feed state and the sync log: leases (one run per feed at a time, even across replicas), runs, events."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from hotline.clock import utcnow
from hotline.db import Database

from .models import SyncEvent, SyncRun, SyncState

log = logging.getLogger(__name__)
HOST = socket.gethostname()[:60]


def new_owner() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder_dead(owner: str) -> bool:
    """A lease held by a process of this machine that no longer exists (killed mid-run) is void."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    return host == HOST and pid.isdigit() and not _pid_alive(int(pid))


def ensure_state(db: Database, name: str) -> None:
    with db.session() as s:
        if s.get(SyncState, name) is not None:
            return
    try:
        with db.session() as s:
            s.add(SyncState(name=name, cursor=0, updated_at=utcnow()))
    except IntegrityError:
        pass  # created by a concurrent run


def acquire(db: Database, name: str, owner: str, ttl: float) -> bool:
    """Take the feed's lease if it is free, expired, or held by a dead process on this machine."""
    ensure_state(db, name)
    now = utcnow()
    with db.session() as s:
        got = s.execute(
            update(SyncState)
            .where(SyncState.name == name, or_(SyncState.lease_until.is_(None), SyncState.lease_until < now))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=ttl))
        ).rowcount
        if got:
            return True
        holder = s.scalar(select(SyncState.lease_owner).where(SyncState.name == name)) or ""
        if holder and _holder_dead(holder):
            log.warning("sync lease of %s held by dead process %s; taking over", name, holder)
            return bool(
                s.execute(
                    update(SyncState)
                    .where(SyncState.name == name, SyncState.lease_owner == holder)
                    .values(lease_owner=owner, lease_until=now + timedelta(seconds=ttl))
                ).rowcount
            )
    return False


def renew(db: Database, name: str, owner: str, ttl: float) -> bool:
    with db.session() as s:
        return bool(
            s.execute(
                update(SyncState)
                .where(SyncState.name == name, SyncState.lease_owner == owner)
                .values(lease_until=utcnow() + timedelta(seconds=ttl))
            ).rowcount
        )


def release(db: Database, name: str, owner: str, ok: bool = False) -> None:
    values = {"lease_owner": "", "lease_until": None}
    if ok:
        values["last_ok_at"] = utcnow()
    with db.session() as s:
        s.execute(update(SyncState).where(SyncState.name == name, SyncState.lease_owner == owner).values(**values))


def state(db: Database, name: str) -> SyncState:
    ensure_state(db, name)
    with db.session() as s:
        return s.get(SyncState, name)


def start_run(db: Database, feed: str, owner: str, trigger: str, cursor: int) -> int:
    """A new run in the log; runs of this feed left 'running' by a killed process become 'interrupted'
    (we hold the lease, so none of them is still going)."""
    now = utcnow()
    with db.session() as s:
        s.execute(
            update(SyncRun)
            .where(SyncRun.feed == feed, SyncRun.status == "running")
            .values(
                status="interrupted",
                finished_at=now,
                message="进程在同步过程中中断；未提交的页面已回滚，本次从最后提交的游标继续",
            )
        )
        run = SyncRun(
            feed=feed,
            owner=owner,
            trigger=trigger,
            status="running",
            started_at=now,
            cursor_from=cursor,
            cursor_to=cursor,
        )
        s.add(run)
        s.flush()
        return run.id


def finish_run(db: Database, run_id: int, status: str, message: str = "") -> dict:
    with db.session() as s:
        run = s.get(SyncRun, run_id)
        if run.status == "running":
            run.status = status
        run.finished_at = utcnow()
        if message:
            run.message = message[:2000]
        s.flush()
        return run_dict(run)


def event(
    db: Database,
    run_id: int | None,
    level: str,
    kind: str,
    message: str,
    remote_id: str = "",
    article_id: int | None = None,
    details: dict | None = None,
    session=None,
) -> None:
    """One line of the sync log; in the caller's transaction when given, else committed at once (errors
    must survive the rollback of the page they are about)."""
    row = SyncEvent(
        run_id=run_id,
        at=utcnow(),
        level=level,
        kind=kind,
        message=message[:4000],
        remote_id=(remote_id or "")[:100],
        article_id=article_id,
        details=_jsonable(details or {}),
    )
    getattr(log, "error" if level == "error" else "warning" if level == "warning" else "info")(
        "sync %s %s: %s", kind, remote_id, message
    )
    if session is not None:
        session.add(row)
        _count(session, run_id, level)
        return
    with db.session() as s:
        s.add(row)
        _count(s, run_id, level)


def _count(session, run_id, level) -> None:
    if run_id is None or level == "info":
        return
    column = SyncRun.errors if level == "error" else SyncRun.warnings
    session.execute(update(SyncRun).where(SyncRun.id == run_id).values({column: column + 1}))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def run_dict(run: SyncRun) -> dict:
    out = {
        c: getattr(run, c)
        for c in (
            "id",
            "feed",
            "trigger",
            "status",
            "cursor_from",
            "cursor_to",
            "pages",
            "received",
            "created",
            "updated",
            "retired",
            "unchanged",
            "rejected",
            "conflicts",
            "pushed",
            "chunks_embedded",
            "warnings",
            "errors",
            "message",
        )
    }
    out["started_at"] = run.started_at.isoformat() if run.started_at else None
    out["finished_at"] = run.finished_at.isoformat() if run.finished_at else None
    return out


def event_dict(e: SyncEvent) -> dict:
    return {
        "id": e.id,
        "run_id": e.run_id,
        "at": e.at.isoformat(),
        "level": e.level,
        "kind": e.kind,
        "remote_id": e.remote_id,
        "article_id": e.article_id,
        "message": e.message,
        "details": e.details,
    }
