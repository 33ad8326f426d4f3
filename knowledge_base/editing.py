"""What knowledge editors do: create, edit, publish, retire — every change a new version with a
readable diff, guarded by optimistic concurrency (a stale edit is refused, nothing is overwritten)."""

from __future__ import annotations

import difflib
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update

from hotline.clock import CHINA, china_time, local_date, utcnow
from hotline.errors import NotFound

from .chunking import chunk_article
from .errors import ArticleInvalid, StateError, VersionConflict
from .models import DOMAINS, REGION_NATIONWIDE, Article, ArticleVersion
from .seeds import ArticleDraft
from .service import KnowledgeBase, apply_draft, pieces, snapshot

KINDS = ("policy", "news", "regulation", "faq")
# What an editor (or the 12345 link, or a gap attached to an article) may change; a write carries them all.
EDITABLE_FIELDS = (
    "title",
    "body",
    "domain",
    "region",
    "kind",
    "source",
    "tags",
    "effective_from",
    "expires_at",
    "urgent",
    "questions",
)
MAX_BODY = 20000
MAX_QUESTIONS, MAX_QUESTION_LEN = 50, 100


def parse_questions(value) -> list[str]:
    """Similar questions from a list or from text with one question per line; blanks and repeats dropped."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, (list, tuple)) or not all(isinstance(q, str) for q in value):
        raise ValueError("相似问法须为文本列表（或每行一个问题的文本）")
    out = list(dict.fromkeys(q.strip() for q in value if q.strip()))
    if any("|" in q or "｜" in q for q in out):  # the separator of questions in one table cell
        raise ValueError("相似问法中不能含“|”")
    if len(out) > MAX_QUESTIONS:
        raise ValueError(f"相似问法最多{MAX_QUESTIONS}条")
    long = [q for q in out if len(q) > MAX_QUESTION_LEN]
    if long:
        raise ValueError(f"每条相似问法不超过{MAX_QUESTION_LEN}字：{long[0][:20]}…")
    return out


def parse_datetime(value, field: str) -> datetime | None:
    """ISO dates/datetimes ("2026-12-01", "2026-12-01T08:00:00+08:00"); naive values are Beijing time."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("/", "-"))
        except ValueError:
            raise ArticleInvalid(
                f"{field} 日期格式无法识别：{value}（示例：2026-12-01 或 2026-12-01T08:00）",
                details={field: ["日期格式无法识别"]},
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHINA)
    return parsed.astimezone(UTC)


def validate(data: dict) -> dict:
    """Check and normalise an article's editable fields; raises ArticleInvalid listing every problem."""
    errors: dict[str, list[str]] = {}

    def need_text(name: str, label: str, maximum: int, required: bool = True) -> str:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                errors.setdefault(name, []).append(f"{label}不能为空")
            return ""
        if not isinstance(value, str):
            errors.setdefault(name, []).append(f"{label}必须是文本")
            return ""
        if len(value) > maximum:
            errors.setdefault(name, []).append(f"{label}不能超过{maximum}字")
        return value.strip()

    out = {
        "title": need_text("title", "标题", 300),
        "body": need_text("body", "正文", MAX_BODY),
        "source": need_text("source", "来源", 100, required=False) or "12328热线知识库",
        "region": need_text("region", "适用地区", 50, required=False) or REGION_NATIONWIDE,
        "domain": data.get("domain") or "综合",
        "kind": data.get("kind") or "policy",
        "urgent": bool(data.get("urgent", False)),
    }
    if out["domain"] not in DOMAINS:
        errors.setdefault("domain", []).append(f"业务领域须为：{'、'.join(DOMAINS)}")
    if out["kind"] not in KINDS:
        errors.setdefault("kind", []).append(f"类型须为：{'、'.join(KINDS)}")
    tags = data.get("tags") or []
    if isinstance(tags, str):
        tags = [t for t in (x.strip() for x in tags.replace("，", ",").split(",")) if t]
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 30 for t in tags) or len(tags) > 20:
        errors.setdefault("tags", []).append("标签须为最多20个、每个不超过30字的文本")
        tags = []
    out["tags"] = tags
    # None = not given: an edit or a 12345 update without the field keeps the article's questions
    out["questions"] = None
    if data.get("questions") is not None:
        try:
            out["questions"] = parse_questions(data["questions"])
        except ValueError as exc:
            errors.setdefault("questions", []).append(str(exc))
    for name, label in (("effective_from", "生效时间"), ("expires_at", "失效时间")):
        try:
            out[name] = parse_datetime(data.get(name), name)
        except ArticleInvalid:
            errors.setdefault(name, []).append(f"{label}格式无法识别（示例：2026-12-01 或 2026-12-01T08:00）")
            out[name] = None
    if out.get("effective_from") and out.get("expires_at") and out["expires_at"] <= out["effective_from"]:
        errors.setdefault("expires_at", []).append("失效时间必须晚于生效时间")
    if errors:
        raise ArticleInvalid("文章内容有误：" + "；".join(m for ms in errors.values() for m in ms), details=errors)
    return out


def to_draft(fields: dict, origin_key: str, origin: str, status: str) -> ArticleDraft:
    return ArticleDraft(
        origin_key=origin_key,
        title=fields["title"],
        kind=fields["kind"],
        doc_title=fields["title"],
        body=fields["body"],
        source=fields["source"],
        domain=fields["domain"],
        region=fields["region"],
        effective_from=fields["effective_from"],
        expires_at=fields["expires_at"],
        origin=origin,
        status=status,
        tags=fields["tags"],
        urgent=fields["urgent"],
        questions=None if fields.get("questions") is None else list(fields["questions"]),  # None: keep
        published_label=local_date(utcnow()).isoformat(),  # China's date, not the server's
        chunks=chunk_article(fields["kind"], fields["body"]),
    )


def article_dict(article: Article) -> dict:
    data = snapshot(article)
    data.update(
        {
            "id": article.id,
            "version": article.version,
            "origin_key": article.origin_key,
            "citation": article.citation,
            "updated_by": article.updated_by,
            "updated_at": article.updated_at.isoformat() if article.updated_at else None,
            "provenance": provenance(article),
        }
    )
    return data


def provenance(article: Article) -> dict | None:
    """Where the article stands with 12345 (sync/): None if it was never synced."""
    if article.origin_system is None:
        return None
    return {
        "owner": article.origin_system,
        "origin_id": article.origin_id,
        "origin_version": article.origin_version,
        "synced_at": article.synced_at.isoformat() if article.synced_at else None,
        "pending": article.synced_version != article.version,
    }


class Editor:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.db = kb.db

    # ------------------------------------------------------------------ reads

    def get(self, article_id: int) -> dict:
        with self.db.session() as s:
            article = s.get(Article, article_id)
            if article is None:
                raise NotFound(f"文章 {article_id} 不存在")
            return article_dict(article)

    def list(self, status: str | None = None, query: str | None = None, page: int = 1, per_page: int = 20) -> dict:
        with self.db.session() as s:
            stmt = select(Article)
            if status:
                stmt = stmt.where(Article.status == status)
            if query:
                stmt = stmt.where(Article.title.contains(query, autoescape=True))  # % and _ are plain
            total = s.scalar(select(func.count()).select_from(stmt.subquery()))
            rows = s.scalars(
                stmt.order_by(Article.urgent.desc(), Article.updated_at.desc(), Article.id)
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
            return {"total": total, "page": page, "items": [article_dict(a) for a in rows]}

    def versions(self, article_id: int) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(
                select(ArticleVersion).where(ArticleVersion.article_id == article_id).order_by(ArticleVersion.version)
            )
            out = [
                {
                    "version": v.version,
                    "action": v.action,
                    "author": v.author,
                    "note": v.note,
                    "created_at": v.created_at.isoformat(),
                }
                for v in rows
            ]
        if not out:
            raise NotFound(f"文章 {article_id} 不存在")
        return out

    def diff(self, article_id: int, version: int, against: int | None = None) -> dict:
        with self.db.session() as s:
            snaps = {
                v.version: v.snapshot
                for v in s.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id))
            }
        if version not in snaps:
            raise NotFound(f"文章 {article_id} 没有第 {version} 版")
        against = against if against is not None else max([v for v in snaps if v < version], default=0)
        old, new = snaps.get(against, {}), snaps[version]
        lines = list(difflib.unified_diff(_lines(old), _lines(new), f"第{against}版", f"第{version}版", lineterm=""))
        return {"article_id": article_id, "from": against, "to": version, "diff": lines}

    # ------------------------------------------------------------------ writes

    def create(self, data: dict, author: str, publish: bool = False, note: str | None = None) -> dict:
        fields = validate(data)
        draft = to_draft(fields, f"local:{uuid.uuid4().hex}", "local", "published" if publish else "draft")
        action = "publish" if publish else "create"
        report = self.kb.upsert_articles([draft], author=author, action=action, note=note or None)
        return self.get(report.article_ids[0])

    def update(self, article_id: int, data: dict, expected_version: int, author: str, note: str | None = None) -> dict:
        fields = validate(data)
        with self.db.session() as s:
            article = self._claim(s, article_id, expected_version)
            draft = to_draft(fields, article.origin_key, article.origin, article.status)
            if article.kind == "regulation":  # a clause stays a clause of its document
                draft.kind, draft.doc_title = "regulation", article.doc_title
                draft.clause_no, draft.clause_index, draft.chapter = (
                    article.clause_no,
                    article.clause_index,
                    article.chapter,
                )
            draft.chunks = chunk_article(draft.kind, draft.body, draft.clause_no)
            if fields.get("questions") is None:
                draft.questions = list(article.questions or [])
            draft.published_on, draft.published_label = article.published_on, article.published_label
            parts = pieces(draft)
            chunks, _ = self.kb.prepare_chunks(
                s, [p.text for p in parts], [p.embed for p in parts], kinds=[p.kind for p in parts]
            )
            article.chunks.clear()
            apply_draft(article, draft)
            article.updated_by = author
            for chunk in chunks:
                article.chunks.append(chunk)
            self.kb.log_change(s, article, "edit", author, note)
        self.kb.refresh_if_open()
        return self.get(article_id)

    def publish(self, article_id: int, expected_version: int, author: str, note: str | None = None) -> dict:
        return self._set_status(article_id, expected_version, author, "published", ("draft", "retired"), note)

    def retire(self, article_id: int, expected_version: int, author: str, note: str | None = None) -> dict:
        return self._set_status(article_id, expected_version, author, "retired", ("published", "draft"), note)

    def _set_status(self, article_id, expected_version, author, status, allowed_from, note) -> dict:
        with self.db.session() as s:
            current = s.get(Article, article_id)
            if current is None:
                raise NotFound(f"文章 {article_id} 不存在")
            if current.status not in allowed_from:
                raise StateError(f"文章当前状态为 {current.status}，不能执行此操作")
            article = self._claim(s, article_id, expected_version)
            article.status = status
            article.updated_by = author
            self.kb.log_change(s, article, "publish" if status == "published" else "retire", author, note)
        self.kb.refresh_if_open()
        return self.get(article_id)

    def _claim(self, s, article_id: int, expected_version: int) -> Article:
        """Compare-and-set on the version column: of two concurrent edits of version N only one wins."""
        result = s.execute(
            update(Article)
            .where(Article.id == article_id, Article.version == expected_version)
            .values(version=expected_version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            current = s.get(Article, article_id)
            if current is None:
                raise NotFound(f"文章 {article_id} 不存在")
            raise VersionConflict(
                f"文章已被他人修改（当前第{current.version}版，您编辑的是第{expected_version}版），请刷新后重新编辑",
                details={"current_version": current.version, "updated_by": current.updated_by},
            )
        article = s.get(Article, article_id)
        s.refresh(article)
        return article


# the diff's metadata lines, in the editors' words
DIFF_FIELDS = {
    "title": "标题",
    "status": "状态",
    "domain": "业务领域",
    "region": "适用地区",
    "effective_from": "生效时间",
    "expires_at": "失效时间",
    "tags": "标签",
    "urgent": "热点政策",
    "source": "来源",
}
STATUS_LABELS = {"draft": "草稿", "published": "已发布", "retired": "已下线"}


def _diff_value(key: str, value) -> str:
    """A snapshot value as editors read it: China time, Chinese states, 是/否, tags joined."""
    if value is None or value == "" or value == []:
        return "（无）"
    if key in ("effective_from", "expires_at"):
        try:
            return china_time(datetime.fromisoformat(str(value))).strftime("%Y-%m-%d %H:%M（北京时间）")
        except ValueError:
            return str(value)
    if key == "status":
        return STATUS_LABELS.get(value, str(value))
    if key == "urgent":
        return "是" if value else "否"
    if key == "tags" and isinstance(value, list):
        return "、".join(str(t) for t in value)
    return str(value)


def _lines(snap: dict) -> list[str]:
    if not snap:
        return []
    meta = [f"{label}：{_diff_value(key, snap.get(key))}" for key, label in DIFF_FIELDS.items()]
    questions = [f"相似问法：{q}" for q in snap.get("questions") or []]
    return meta + ["---"] + (snap.get("body") or "").splitlines() + (["---"] + questions if questions else [])
