"""File exchange with 12345, both directions, in the formats 12345 centers export: JSON lines, CSV (UTF-8 or
GBK), XLSX.

In: a file of KB items is a feed like the HTTP one (``FileConnector``): the same checks, conflict policy and
sync log; its cursor is kept per file content, so re-importing a file, or resuming one cut short, applies
nothing twice. A file that cannot be read as a whole is refused before anything is applied. Files without a
version column may carry 更新时间 (updated_at): its timestamp then serves as the version.
Out: ``export_articles`` writes our articles (and tombstones of retired ones) in the protocol's item shape.
Work orders transferred by file go through the same intake as the HTTP endpoint (``read_transfers``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from hotline.clock import aware
from knowledge_base.editing import parse_datetime
from knowledge_base.errors import ArticleInvalid
from knowledge_base.importer import read_table
from knowledge_base.models import Article, ChangeLog

from . import ledger
from .connectors import Connector
from .errors import PageRejected
from .models import SyncState
from .protocol import Page, check_duplicate_ids, item_hash

MAX_FILE_BYTES = 50 * 1024 * 1024
TRUE_WORDS = {"1", "true", "yes", "y", "是", "紧急", "已删除", "删除"}
KB_COLUMNS = {
    "编号": "id",
    "id": "id",
    "版本": "version",
    "version": "version",
    "归属": "owner",
    "owner": "owner",
    "删除": "deleted",
    "已删除": "deleted",
    "deleted": "deleted",
    "标题": "title",
    "title": "title",
    "正文": "body",
    "内容": "body",
    "body": "body",
    "类型": "kind",
    "kind": "kind",
    "业务领域": "domain",
    "domain": "domain",
    "适用地区": "region",
    "地区": "region",
    "region": "region",
    "标签": "tags",
    "tags": "tags",
    "来源": "source",
    "source": "source",
    "生效时间": "effective_from",
    "effective_from": "effective_from",
    "失效时间": "expires_at",
    "expires_at": "expires_at",
    "紧急": "urgent",
    "urgent": "urgent",
    "更新时间": "updated_at",
    "updated_at": "updated_at",
    "相似问法": "questions",
    "questions": "questions",
}
ORDER_COLUMNS = {
    "编号": "id",
    "工单编号": "id",
    "id": "id",
    "类型": "type",
    "诉求类型": "type",
    "type": "type",
    "业务领域": "domain",
    "domain": "domain",
    "标题": "title",
    "title": "title",
    "内容": "content",
    "诉求内容": "content",
    "content": "content",
    "对象": "target",
    "投诉对象": "target",
    "target": "target",
    "诉求": "demand",
    "demand": "demand",
    "地区": "region",
    "region": "region",
    "地点": "location",
    "location": "location",
    "发生时间": "occurred_at",
    "occurred_at": "occurred_at",
    "姓名": "caller_name",
    "来电人": "caller_name",
    "caller_name": "caller_name",
    "电话": "caller_phone",
    "联系电话": "caller_phone",
    "caller_phone": "caller_phone",
    "匿名": "anonymous",
    "anonymous": "anonymous",
}
EXPORT_COLUMNS = [
    "id",
    "version",
    "owner",
    "deleted",
    "title",
    "body",
    "kind",
    "domain",
    "region",
    "tags",
    "source",
    "effective_from",
    "expires_at",
    "urgent",
    "updated_at",
    "questions",
]
QUESTION_SEPARATORS = re.compile(r"[|｜\n]")


# --------------------------------------------------------------------------- reading


def _table_rows(header: list, records: list[list], columns: dict) -> list[dict]:
    names = [str(h or "").strip() for h in header]
    unknown = [n for n in names if n and n not in columns and n.lower() not in columns]
    if unknown:
        raise PageRejected(f"文件第 1 行有无法识别的列：{'、'.join(unknown)}")
    fields = [columns.get(n, columns.get(n.lower())) if n else None for n in names]
    rows = []
    for record in records:
        row = {f: v for f, v in zip(fields, record) if f and v not in (None, "")}
        if row:
            rows.append(row)
    return rows


def read_rows(path: Path, columns: dict) -> list[dict]:
    """Rows of a JSONL / JSON / CSV / XLSX file as dicts of field names; raises PageRejected."""
    path = Path(path)
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise PageRejected(f"文件过大（{len(data) // 1024 // 1024} MB），上限 {MAX_FILE_BYTES // 1024 // 1024} MB")
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            rows = []
            for number, line in enumerate(data.decode("utf-8-sig").splitlines(), start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise PageRejected(f"第 {number} 行不是有效的 JSON：{exc.msg}") from None
            return rows
        if suffix == ".json":
            doc = json.loads(data.decode("utf-8-sig"))
            rows = doc.get("items", doc.get("orders")) if isinstance(doc, dict) else doc
            if not isinstance(rows, list):
                raise PageRejected('JSON 文件须为数组，或 {"items": [...]}')
            return rows
        if suffix in (".csv", ".xlsx"):
            table = read_table(suffix, data)
            return _table_rows(table[0], table[1:], columns) if table else []
    except PageRejected:
        raise
    except Exception as exc:  # a malformed file of any kind: say so, apply nothing
        raise PageRejected(f"文件无法解析：{exc}") from None
    raise PageRejected(f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 JSONL、JSON、CSV 或 XLSX")


def _truthy(value) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in TRUE_WORDS


def normalize_item(row: dict) -> dict:
    """A KB row of a table file in the protocol's item shape (types as JSON would have them)."""
    if not isinstance(row, dict):
        return row
    item = dict(row)
    for key in ("id", "title", "body", "domain", "region", "source", "kind", "owner"):
        if key in item and item[key] is not None and not isinstance(item[key], str):
            item[key] = str(item[key]).strip() if not isinstance(item[key], float) else str(int(item[key]))
    if isinstance(item.get("tags"), str):
        item["tags"] = [
            t.strip()
            for t in item["tags"].replace("，", ",").replace("、", ",").replace("；", ",").replace(";", ",").split(",")
            if t.strip()
        ]
    if isinstance(item.get("questions"), str):  # one cell: questions separated by | or line breaks
        item["questions"] = [q.strip() for q in QUESTION_SEPARATORS.split(item["questions"]) if q.strip()]
    for key in ("deleted", "urgent"):
        if key in item and not isinstance(item[key], bool):
            item[key] = _truthy(item[key])
    for key in ("effective_from", "expires_at", "updated_at"):
        if isinstance(item.get(key), datetime):
            item[key] = item[key].isoformat()
    version = item.get("version")
    if isinstance(version, float) and version.is_integer():
        item["version"] = int(version)
    elif isinstance(version, str) and version.strip().isdigit():
        item["version"] = int(version.strip())
    elif version in (None, "") and item.get("updated_at"):
        try:  # no version column: the update time orders the versions
            item["version"] = int(parse_datetime(item["updated_at"], "updated_at").timestamp())
        except ArticleInvalid:
            pass
    return item


class FileConnector(Connector):
    """A file of 12345 KB items read as a feed; the cursor is the row number within this file's content."""

    def __init__(self, path: Path):
        self.path = Path(path)
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        self.name = f"file:{digest[:32]}"
        self.feed_id = self.name
        self._items: list | None = None

    def items(self) -> list:
        if self._items is None:
            self._items = [normalize_item(r) for r in read_rows(self.path, KB_COLUMNS)]
        return self._items

    def changes(self, cursor: int, limit: int) -> Page:
        rows = self.items()
        page = []
        for number, row in enumerate(rows[cursor : cursor + limit], start=cursor + 1):
            page.append(dict(row, seq=number) if isinstance(row, dict) else {"seq": number, "id": None})
        check_duplicate_ids(page)
        next_cursor = cursor + len(page)
        return Page(
            since=cursor, next_cursor=next_cursor, has_more=next_cursor < len(rows), items=page, feed_id=self.feed_id
        )


def read_transfers(path: Path) -> list:
    rows = read_rows(path, ORDER_COLUMNS)
    for row in rows:
        if isinstance(row, dict):
            for key, value in list(row.items()):
                if key == "anonymous":
                    row[key] = _truthy(value)
                elif value is not None and not isinstance(value, str):
                    row[key] = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return rows


# --------------------------------------------------------------------------- writing


def _iso(value) -> str | None:
    value = aware(value)
    return value.isoformat() if value is not None else None


def export_item(a: Article) -> dict:
    item = {
        "id": a.origin_id if a.origin_system == "12328" and a.origin_id else f"12328-{a.id}",
        "version": a.version,
        "owner": "12328",
        "deleted": a.status == "retired",
        "updated_at": _iso(a.updated_at),
    }
    if not item["deleted"]:
        item.update(
            title=a.title,
            body=a.body,
            kind=a.kind,
            domain=a.domain,
            region=a.region,
            tags=list(a.tags or []),
            source=a.source,
            effective_from=_iso(a.effective_from),
            expires_at=_iso(a.expires_at),
            urgent=bool(a.urgent),
            questions=list(a.questions or []),
            content_hash=item_hash(a.title, a.body),
        )
    return item


def export_articles(db, path: Path, incremental: bool = False) -> int:
    """Write our articles (published ones, and retired ones as tombstones) to a JSONL / CSV / XLSX file.
    ``incremental``: only those changed since the last incremental export (its change-log position is kept)."""
    path = Path(path)
    feed = "export:file"
    since = ledger.state(db, feed).cursor if incremental else 0
    with db.session() as s:
        head = s.scalar(select(ChangeLog.id).order_by(ChangeLog.id.desc()).limit(1)) or 0
        query = (
            select(Article)
            .where(
                Article.origin_system.is_(None) | (Article.origin_system == "12328"),
                Article.status.in_(("published", "retired")),
            )
            .order_by(Article.id)
        )
        if since:
            query = query.where(Article.id.in_(select(ChangeLog.article_id).where(ChangeLog.id > since)))
        items = [export_item(a) for a in s.scalars(query)]
    _write(path, items)
    if incremental:
        with db.session() as s:
            s.get(SyncState, feed).cursor = head
    return len(items)


def _write(path: Path, items: list[dict]) -> None:
    suffix = path.suffix.lower()
    tmp = path.with_name(path.name + ".tmp")
    if suffix in (".jsonl", ".ndjson"):
        tmp.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    elif suffix in (".csv", ".xlsx"):
        rows = [
            ["|".join(i.get(c) or []) if c == "questions" else _cell(i.get(c)) for c in EXPORT_COLUMNS] for i in items
        ]
        if suffix == ".csv":
            buf = io.StringIO()
            csv.writer(buf).writerows([EXPORT_COLUMNS, *rows])
            tmp.write_text(buf.getvalue(), encoding="utf-8-sig")
        else:
            from openpyxl import Workbook

            book = Workbook()
            book.active.append(EXPORT_COLUMNS)
            for r in rows:
                book.active.append(r)
            book.save(tmp)
    else:
        raise ValueError(f"不支持的导出格式 {suffix}：请用 .jsonl、.csv 或 .xlsx")
    tmp.replace(path)  # readers never see half a file


def _cell(value):
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else value
