"""Knowledge gaps (未命中问题): consultations the KB could not answer, counted, for editors to close.

Every question the bot could not answer directly is recorded once per wording (normalised, personal data masked)
with how often it was asked and the best article below the threshold: questions it refused (拒答: "no good
match") and questions it answered with choices (澄清: "您想问的是哪一个？", knowledge_base.decision) — a choice
means the KB could not tell its entries apart, which an editor fixes the same way. ``kind`` is the latest outcome
and ``clarified`` how many of the askings got choices; a user who rejects every choice ("都不是") turns that
clarification into a refusal (:meth:`KnowledgeGaps.none_fit`). An editor closes a gap by
adding the question to an article as a similar question (a new version of that article, live at once like
any edit) or dismisses it (not for the KB: weather, stock prices …). A resolved gap that is asked again
opens again (the fix did not take); a dismissed one stays dismissed and is still counted. Gaps not asked for a
year are deleted.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from hotline.clock import utcnow
from hotline.db import Database
from hotline.errors import NotFound
from hotline.privacy import mask_pii
from hotline.text import normalize

from .editing import EDITABLE_FIELDS, Editor
from .errors import GapStateError
from .models import GAP_KINDS, GAP_STATUSES, KnowledgeGap

MAX_GAP_TEXT = 100  # a similar question's limit; longer messages are cut there
RETENTION = timedelta(days=365)
# Numbers a caller may type with spaces or hyphens (138 1234 5678, 0373-1234567, a 15-digit ID): beyond what
# mask_pii knows, any run of 7 or more digits keeps only its first 3 and last 2
DIGIT_RUN_RE = re.compile(r"(?<![\d*])\d(?:[\s-]?\d){6,}(?![\d*])")


def _mask_digits(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def _mask_spaced_digits(match: re.Match) -> str:
    return _mask_digits(match) if re.search(r"\D", match.group(0)) else match.group(0)


def gap_text(question: str) -> str:
    # a number typed in groups becomes one run of digits in the gap's text (138******78): the same wording
    # typed with other spaces is the same gap; mask_pii then masks the bare numbers in its usual shape
    text = DIGIT_RUN_RE.sub(_mask_digits, mask_pii(DIGIT_RUN_RE.sub(_mask_spaced_digits, normalize(question))))
    return re.sub(r"[\s。？?！!，,、~～…]+$", "", text)[:MAX_GAP_TEXT]


def gap_dict(gap: KnowledgeGap) -> dict:
    return {
        "id": gap.id,
        "text": gap.text,
        "count": gap.count,
        "channel": gap.channel,
        "first_seen": gap.first_seen.isoformat(),
        "last_seen": gap.last_seen.isoformat(),
        "best_article_id": gap.best_article_id,
        "best_title": gap.best_title,
        "best_score": round(gap.best_score, 4) if gap.best_score is not None else None,
        "status": gap.status,
        "kind": gap.kind,
        "clarified": gap.clarified,
        "refused": gap.count - gap.clarified,
        "article_id": gap.article_id,
        "resolved_by": gap.resolved_by,
        "resolved_at": gap.resolved_at.isoformat() if gap.resolved_at else None,
    }


class KnowledgeGaps:
    def __init__(self, db: Database):
        self.db = db

    def record(self, question: str, channel: str | None = None, best=None, kind: str = "refuse") -> int | None:
        """Count one question not answered directly (``best``: the best hit, or None; ``kind``: "refuse" or
        "clarify", what the bot did with it)."""
        if kind not in GAP_KINDS:
            raise ValueError(f"unknown gap kind {kind!r}")
        text = gap_text(question)
        if len(text) < 2:
            return None
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        now = utcnow()
        clarified = 1 if kind == "clarify" else 0
        best_values = {
            "best_article_id": getattr(best, "article_id", None),
            "best_title": getattr(best, "title", None),
            "best_score": getattr(best, "score", None),
        }
        for _ in range(2):  # two replicas inserting the same new wording: the loser updates
            with self.db.session() as s:
                done = s.execute(
                    update(KnowledgeGap)
                    .where(KnowledgeGap.key == key)
                    .values(
                        count=KnowledgeGap.count + 1,
                        clarified=KnowledgeGap.clarified + clarified,
                        kind=kind,
                        last_seen=now,
                        channel=channel,
                        **best_values,
                    )
                )
                if done.rowcount:
                    # asked again after it was closed by adding the question somewhere: open again
                    s.execute(
                        update(KnowledgeGap)
                        .where(KnowledgeGap.key == key, KnowledgeGap.status == "resolved")
                        .values(status="open", resolved_by=None, resolved_at=None)
                    )
                    return s.scalar(select(KnowledgeGap.id).where(KnowledgeGap.key == key))
            try:
                with self.db.session() as s:
                    gap = KnowledgeGap(
                        key=key,
                        text=text,
                        count=1,
                        channel=channel,
                        first_seen=now,
                        last_seen=now,
                        status="open",
                        kind=kind,
                        clarified=clarified,
                        **best_values,
                    )
                    s.add(gap)
                    s.flush()
                    return gap.id
            except IntegrityError:
                continue
        return None

    def none_fit(self, question: str, channel: str | None = None) -> int | None:
        """The user rejected every choice offered for this question ("都不是"): one of its clarifications becomes
        a refusal (the asking was counted when the choices were offered; with no clarification left, nothing changes).
        A wording not recorded then (gaps purged, or recording failed) is counted as a refusal now."""
        text = gap_text(question)
        if len(text) < 2:
            return None
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self.db.session() as s:
            s.execute(
                update(KnowledgeGap)
                .where(KnowledgeGap.key == key, KnowledgeGap.clarified > 0)
                .values(clarified=KnowledgeGap.clarified - 1, kind="refuse")
            )
            gap_id = s.scalar(select(KnowledgeGap.id).where(KnowledgeGap.key == key))
        return gap_id if gap_id is not None else self.record(question, channel=channel)

    def list(self, status: str | None = "open", page: int = 1, per_page: int = 20, kind: str | None = None) -> dict:
        """Gaps by how often they were asked; ``kind`` keeps those whose latest outcome was a refusal or choices."""
        with self.db.session() as s:
            query = select(KnowledgeGap)
            if status:
                query = query.where(KnowledgeGap.status == status)
            if kind:
                query = query.where(KnowledgeGap.kind == kind)
            total = s.scalar(select(func.count()).select_from(query.subquery()))
            rows = s.scalars(
                query.order_by(KnowledgeGap.count.desc(), KnowledgeGap.last_seen.desc(), KnowledgeGap.id)
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
            counts = dict(s.execute(select(KnowledgeGap.status, func.count()).group_by(KnowledgeGap.status)).all())
            return {
                "total": total,
                "page": page,
                "items": [gap_dict(g) for g in rows],
                "counts": {name: counts.get(name, 0) for name in GAP_STATUSES},
            }

    def _get(self, s, gap_id: int) -> KnowledgeGap:
        gap = s.get(KnowledgeGap, gap_id)
        if gap is None:
            raise NotFound(f"未命中问题 {gap_id} 不存在")
        return gap

    def attach(self, gap_id: int, editor: Editor, article_id: int, expected_version: int, author: str) -> dict:
        """Add the gap's wording to an article's similar questions (a new version; 409 if the article moved
        on) and close the gap."""
        with self.db.session() as s:
            gap = self._get(s, gap_id)
            if gap.status != "open":
                raise GapStateError("该问题已处理，请刷新列表")
            text = gap.text
        article = editor.get(article_id)
        questions = list(article.get("questions") or [])
        if text in questions:  # it was added before and still did not answer: another article is needed
            raise GapStateError(
                f"“{text}”已是《{article['title']}》的相似问法，但仍未达到答复阈值："
                "请换一篇更贴切的文章，或新建文章回答它"
            )
        fields = {k: article.get(k) for k in EDITABLE_FIELDS if k != "questions"}
        editor.update(
            article_id,
            {**fields, "questions": questions + [text]},
            expected_version,
            author,
            note=f"未命中问题 #{gap_id} 加为相似问法",
        )
        return self._close(gap_id, "resolved", author, article_id)

    def purge(self, now: datetime | None = None) -> int:
        """Delete gaps nobody has asked for a year (they hold callers' words)."""
        with self.db.session() as s:
            return s.execute(
                delete(KnowledgeGap).where(KnowledgeGap.last_seen < (now or utcnow()) - RETENTION)
            ).rowcount

    def dismiss(self, gap_id: int, author: str) -> dict:
        return self._close(gap_id, "dismissed", author, None)

    def _close(self, gap_id: int, status: str, author: str, article_id: int | None) -> dict:
        with self.db.session() as s:
            gap = self._get(s, gap_id)
            if gap.status != "open":
                raise GapStateError("该问题已处理，请刷新列表")
            gap.status, gap.resolved_by, gap.resolved_at, gap.article_id = status, author, utcnow(), article_id
            s.flush()
            return gap_dict(gap)
