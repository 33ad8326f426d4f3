"""Editors review what a conflict kept aside: accept a proposed version (it becomes a normal edit, with its own
version and diff, and goes to 12345 at the next sync) or dismiss it."""

from __future__ import annotations

from sqlalchemy import func, select

from hotline.clock import utcnow
from hotline.errors import NotFound
from knowledge_base.editing import Editor
from knowledge_base.models import Article

from .errors import ProposalClosed
from .models import SyncProposal
from .protocol import EDITABLE  # the fields an article carries across the link; a proposal applies the same


def proposal_dict(p: SyncProposal, article: Article | None = None) -> dict:
    out = {
        "id": p.id,
        "article_id": p.article_id,
        "origin_id": p.origin_id,
        "side": p.side,
        "reason": p.reason,
        "remote_version": p.remote_version,
        "local_version": p.local_version,
        "fields": p.fields,
        "status": p.status,
        "run_id": p.run_id,
        "created_at": p.created_at.isoformat(),
        "resolved_at": p.resolved_at.isoformat() if p.resolved_at else None,
        "resolved_by": p.resolved_by,
    }
    if article is not None:
        out["article"] = {
            "title": article.title,
            "version": article.version,
            "status": article.status,
            "body": article.body,
        }
    return out


def list_proposals(db, status: str | None = "open", page: int = 1, per_page: int = 50) -> dict:
    with db.session() as s:
        query = select(SyncProposal)
        if status:
            query = query.where(SyncProposal.status == status)
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(SyncProposal.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
        articles = {a.id: a for a in s.scalars(select(Article).where(Article.id.in_({p.article_id for p in rows})))}
        return {"total": total, "items": [proposal_dict(p, articles.get(p.article_id)) for p in rows]}


def _open(db, proposal_id: int) -> SyncProposal:
    with db.session() as s:
        p = s.get(SyncProposal, proposal_id)
        if p is None:
            raise NotFound(f"提议版本 {proposal_id} 不存在")
        if p.status != "open":
            raise ProposalClosed(f"提议版本 {proposal_id} 已处理（{p.status}）")
        return p


def _close(db, proposal_id: int, status: str, user: str) -> None:
    with db.session() as s:
        p = s.get(SyncProposal, proposal_id)
        p.status, p.resolved_at, p.resolved_by = status, utcnow(), user


def accept(editor: Editor, proposal_id: int, user: str) -> dict:
    """Make the proposed version the article's current one (a normal edit by ``user``)."""
    p = _open(editor.db, proposal_id)
    current = editor.get(p.article_id)
    note = f"采纳同步冲突中保留的{'12345' if p.side == '12345' else '本地'}修改（提议 {p.id}）"
    if p.fields.get("deleted") or p.fields.get("status") == "retired":
        result = editor.retire(p.article_id, current["version"], user, note)
    else:
        data = {k: p.fields.get(k, current.get(k)) for k in EDITABLE}
        if current.get("kind") == "regulation":
            data["kind"] = "regulation"
        result = editor.update(p.article_id, data, current["version"], user, note)
    _close(editor.db, proposal_id, "accepted", user)
    return result


def dismiss(db, proposal_id: int, user: str) -> None:
    _open(db, proposal_id)
    _close(db, proposal_id, "dismissed", user)
