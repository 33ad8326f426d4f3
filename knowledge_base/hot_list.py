"""The hot policies (热点政策) a driver of a region can read now: urgent, published articles inside their validity
window whose region covers the driver's (nationwide ones, the province's, the city's), newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from hotline.clock import aware, china_time, utcnow
from hotline.db import Database

from .models import REGION_NATIONWIDE, Article
from .regions import applies
from .service import is_live

SUMMARY_CHARS = 120


def _date_label(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = china_time(moment)
    return f"{local.year}年{local.month}月{local.day}日"


def validity_label(article: Article, now: datetime) -> str:
    """The validity window in plain words (China time): 长期有效, 2026年11月1日起, 至2026年12月31日, …"""
    start, end = aware(article.effective_from), aware(article.expires_at)
    if end is None:
        return f"{_date_label(start)}起长期有效" if start and start > now else "长期有效"
    if start is None or start <= now:
        return f"有效期至{_date_label(end)}"
    return f"{_date_label(start)}至{_date_label(end)}"


def hot_policies(db: Database, region: str = "", now: datetime | None = None, limit: int = 50) -> list[dict]:
    """Urgent articles valid now for a driver in ``region`` ('' = region unknown: every urgent article)."""
    now = now or utcnow()
    regions = (region,) if region else ()
    with db.session() as s:
        rows = s.scalars(select(Article).where(Article.urgent.is_(True), Article.status == "published")).all()
        live = [a for a in rows if is_live(a, now) and applies(a.region, regions)]
        live.sort(
            key=lambda a: (
                a.published_on.isoformat() if a.published_on else "",
                aware(a.effective_from or a.created_at).isoformat(),
                a.id,
            ),
            reverse=True,
        )
        out = []
        for a in live[:limit]:
            body = " ".join(a.body.split())
            out.append(
                {
                    "id": a.id,
                    "title": a.title,
                    "region": a.region or REGION_NATIONWIDE,
                    "source": a.source,
                    "citation": a.citation,
                    "published": a.published_label or (a.published_on.isoformat() if a.published_on else ""),
                    "validity": validity_label(a, now),
                    "effective_from": aware(a.effective_from).isoformat() if a.effective_from else None,
                    "expires_at": aware(a.expires_at).isoformat() if a.expires_at else None,
                    "summary": body[:SUMMARY_CHARS] + ("…" if len(body) > SUMMARY_CHARS else ""),
                    "body": a.body,
                }
            )
        return out
