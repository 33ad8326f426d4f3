"""The KB exchange protocol (sync/protocol.openapi.yaml): what a change-feed page and an article item must
look like, checked before anything touches the database.

A page that cannot be trusted as a whole is rejected (PageRejected / StalePage / FeedBackwards) and nothing
of it is applied. A well-formed page may still carry bad articles: each is rejected on its own with its
reason (the rest of the page applies), so one broken article of 12345 cannot stop the feed.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from bs4 import BeautifulSoup

from knowledge_base.editing import EDITABLE_FIELDS, KINDS, MAX_BODY, parse_datetime, validate
from knowledge_base.errors import ArticleInvalid
from knowledge_base.models import DOMAINS

from .errors import FeedBackwards, PageRejected, StalePage

OWNERS = ("12345", "12328")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")
OUR_ID_RE = re.compile(r"^12328-(\d{1,12})$")
MAX_RAW_BODY = 4 * MAX_BODY  # HTML may shrink a lot when stripped; beyond this it is refused unread
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
DROP_TAGS = ("script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "form", "head")
EDITABLE = EDITABLE_FIELDS  # what an article carries across the link


@dataclass
class Page:
    since: int
    next_cursor: int
    has_more: bool
    items: list[dict]
    feed_id: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Item:
    """One validated change of the feed: an article version or a tombstone."""

    id: str
    seq: int
    version: int
    owner: str
    deleted: bool
    fields: dict = field(default_factory=dict)  # validated editable fields (knowledge_base.editing.validate)
    updated_at: datetime | None = None
    sanitized: list[str] = field(default_factory=list)  # fields HTML was stripped from

    @property
    def local_id(self) -> int | None:
        """Our article id when the item is one of ours (12328-<id>)."""
        match = OUR_ID_RE.match(self.id)
        return int(match.group(1)) if match else None


class ItemRejected(Exception):
    def __init__(self, remote_id: str, reason: str, details: dict | None = None):
        super().__init__(reason)
        self.remote_id = remote_id
        self.reason = reason
        self.details = details or {}


# --------------------------------------------------------------------------- text


def clean_text(value: str, multiline: bool = True) -> tuple[str, bool]:
    """Plain text of a field: HTML (and any script in it) stripped, entities decoded, control characters
    removed; one line unless ``multiline``. Returns (text, whether markup was removed). Bodies are rendered
    escaped anyway; this keeps markup out of answers and embeddings."""
    had_markup = bool(TAG_RE.search(value))
    if had_markup:
        soup = BeautifulSoup(value, "html.parser")
        for tag in soup(DROP_TAGS):
            tag.decompose()
        for br in soup.find_all("br"):
            br.replace_with("\n")
        value = soup.get_text("\n" if multiline else "")
    elif "&" in value:
        value = html.unescape(value)
    value = CONTROL_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\u3000]+", " ", ln).strip() for ln in value.split("\n")]
    text = ("\n" if multiline else "").join(ln for ln in lines if ln)
    return text, had_markup


def item_hash(title: str, body: str) -> str:
    return "sha256:" + hashlib.sha256(f"{title}\x1f{body}".encode()).hexdigest()


# --------------------------------------------------------------------------- items


def parse_item(raw: dict, seq: int) -> Item:
    """Check one article item of a page; raises ItemRejected with a readable reason."""
    rid = raw.get("id")
    if not isinstance(rid, str) or not ID_RE.match(rid):
        raise ItemRejected(str(rid)[:100] if rid is not None else "", "编号缺失或格式不正确（id）")
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ItemRejected(rid, "版本号缺失或不是正整数（version）")
    owner = raw.get("owner", "12345")
    if owner not in OWNERS:
        raise ItemRejected(rid, f"归属系统须为 12345 或 12328（owner={owner!r}）")
    if (owner == "12328") != bool(OUR_ID_RE.match(rid)):
        raise ItemRejected(rid, "归属与编号不符：12328 的文章编号为 12328-<数字>")
    deleted = raw.get("deleted", False)
    if not isinstance(deleted, bool):
        raise ItemRejected(rid, "deleted 须为 true/false")
    updated_at = None
    if raw.get("updated_at") not in (None, ""):
        try:
            updated_at = parse_datetime(raw["updated_at"], "updated_at")
        except ArticleInvalid:
            raise ItemRejected(rid, "更新时间格式无法识别（updated_at）") from None
    item = Item(id=rid, seq=seq, version=version, owner=owner, deleted=deleted, updated_at=updated_at)
    if deleted:
        return item
    data = {}
    for name in ("title", "body", "source", "region"):
        value = raw.get(name)
        if isinstance(value, str):
            if len(value) > MAX_RAW_BODY:
                raise ItemRejected(rid, f"{name} 过长（{len(value)} 字符），正文上限 {MAX_BODY} 字")
            value, stripped = clean_text(value, multiline=name == "body")
            if stripped:
                item.sanitized.append(name)
        data[name] = value
    domain = raw.get("domain") or "综合"
    data["domain"] = domain if domain in DOMAINS else "综合"  # 12345's own categories map to 综合
    kind = raw.get("kind") or "policy"
    data["kind"] = kind if kind in KINDS and kind != "regulation" else "policy"
    for name in ("tags", "effective_from", "expires_at", "urgent"):
        data[name] = raw.get(name)
    questions = raw.get("questions")  # similar questions (相似问法); absent = 12345 does not keep them
    if isinstance(questions, list):
        cleaned = [clean_text(q, multiline=False) if isinstance(q, str) else (q, False) for q in questions]
        if any(stripped for _, stripped in cleaned):
            item.sanitized.append("questions")
        questions = [q for q, _ in cleaned]
    data["questions"] = questions
    if data["urgent"] is not None and not isinstance(data["urgent"], bool):
        raise ItemRejected(rid, "urgent 须为 true/false")
    try:
        item.fields = validate(data)
    except ArticleInvalid as exc:
        raise ItemRejected(rid, exc.message, exc.details) from None
    declared = raw.get("content_hash")
    if declared is not None and declared != item_hash(raw.get("title") or "", raw.get("body") or ""):
        raise ItemRejected(rid, "内容校验值不符（content_hash），文章可能在传输中损坏")
    return item


# --------------------------------------------------------------------------- pages


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PageRejected(f"页面格式错误：{name} 须为非负整数", details={"field": name})
    return value


def parse_page(data: bytes, cursor: int, limit: int, etag: str | None = None) -> Page:
    """Decode and check one page of GET /kb/changes asked with ``cursor``; see the module docstring."""
    if etag:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if etag.strip('"').removeprefix("W/").strip('"') != digest:
            raise PageRejected("页面校验值（ETag）与内容不符：内容在传输中被截断或篡改")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PageRejected(f"页面不是有效的 JSON：{exc}") from None
    if not isinstance(doc, dict):
        raise PageRejected("页面格式错误：须为 JSON 对象")
    missing = [k for k in ("since", "next_cursor", "has_more", "items") if k not in doc]
    if missing:
        raise PageRejected(f"页面缺少字段：{'、'.join(missing)}", details={"missing": missing})
    since, next_cursor = _int(doc["since"], "since"), _int(doc["next_cursor"], "next_cursor")
    has_more, items = doc["has_more"], doc["items"]
    if not isinstance(has_more, bool) or not isinstance(items, list):
        raise PageRejected("页面格式错误：has_more 须为布尔值，items 须为数组")
    if since != cursor:
        kind = "重复（已收到过的页面被再次发送）" if since < cursor else "乱序（发来的是其他位置的页面）"
        raise StalePage(f"页面{kind}：请求游标 {cursor}，返回页面自 {since} 起", details={"since": since})
    if next_cursor < since:
        raise FeedBackwards(
            f"12345 变更流倒退：游标从 {since} 退回到 {next_cursor}",
            details={"since": since, "next_cursor": next_cursor},
        )
    if len(items) > limit:
        raise PageRejected(f"页面条数 {len(items)} 超过请求的上限 {limit}")
    page = Page(
        since=since, next_cursor=next_cursor, has_more=has_more, items=[], feed_id=str(doc.get("feed_id") or "")[:100]
    )
    seqs = []
    for raw in items:
        if not isinstance(raw, dict):
            raise PageRejected("页面格式错误：items 的每一项须为对象")
        seqs.append(_int(raw.get("seq"), "seq"))
    if len(set(seqs)) != len(seqs):
        raise PageRejected("页面中出现重复的序号（seq）")
    if seqs and max(seqs) > next_cursor:
        raise PageRejected(f"页面自相矛盾：next_cursor={next_cursor} 小于页内最大序号 {max(seqs)}")
    if seqs != sorted(seqs):
        page.warnings.append("页内条目顺序错乱，已按序号重排")
    ordered = sorted(zip(seqs, items), key=lambda p: p[0])
    old = [s for s, _ in ordered if s <= since]
    if old:
        page.warnings.append(f"{len(old)} 条已应用过的变更被重复发送，已忽略")
    page.items = [raw for s, raw in ordered if s > since]
    check_duplicate_ids(page.items)
    return page


def check_duplicate_ids(items: list[dict]) -> None:
    """The same article twice in one page is fine only as successive versions in feed order."""
    last: dict[str, tuple[int, str]] = {}
    for raw in items:
        rid, version = raw.get("id"), raw.get("version")
        if not isinstance(rid, str) or not isinstance(version, int):
            continue  # the item itself will be rejected
        body = json.dumps({k: raw.get(k) for k in EDITABLE + ("deleted",)}, sort_keys=True, ensure_ascii=False)
        if rid in last:
            prev_version, prev_body = last[rid]
            if version < prev_version or (version == prev_version and body != prev_body):
                raise PageRejected(
                    f"页面中文章 {rid} 出现多次且版本矛盾（第{prev_version}版与第{version}版）", details={"id": rid}
                )
        last[rid] = (version, body)
