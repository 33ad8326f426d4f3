"""Bulk import from the files editors have: JSON, CSV, XLSX, DOCX.

All or nothing: every row is checked first and the per-row report lists each problem; only a file
without errors is written, in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .editing import to_draft, validate
from .errors import ArticleInvalid, ImportRejected
from .service import KnowledgeBase

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
# column name in the file (Chinese or English) -> field
COLUMNS = {
    "编号": "id",
    "id": "id",
    "标题": "title",
    "title": "title",
    "正文": "body",
    "内容": "body",
    "body": "body",
    "业务领域": "domain",
    "domain": "domain",
    "适用地区": "region",
    "地区": "region",
    "region": "region",
    "生效时间": "effective_from",
    "effective_from": "effective_from",
    "失效时间": "expires_at",
    "expires_at": "expires_at",
    "来源": "source",
    "source": "source",
    "标签": "tags",
    "tags": "tags",
    "紧急": "urgent",
    "urgent": "urgent",
    "类型": "kind",
    "kind": "kind",
    "相似问法": "questions",
    "相似问题": "questions",
    "questions": "questions",
}
TRUE_WORDS = {"1", "true", "yes", "是", "y", "紧急"}


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "filename": self.filename,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "imported": not self.errors,
        }


def _rows_from_table(header: list, records: list[list], report: ImportReport) -> list[tuple[int, dict]]:
    names = [str(h or "").strip() for h in header]
    unknown = [n for n in names if n and n.lower() not in COLUMNS and n not in COLUMNS]
    if unknown:
        report.errors.append(
            {
                "row": 1,
                "errors": {
                    "columns": [
                        f"无法识别的列：{'、'.join(unknown)}；"
                        f"可用列：标题、正文、业务领域、适用地区、生效时间、失效时间、来源、标签、紧急、编号、相似问法"
                    ]
                },
            }
        )
        return []
    fields = [COLUMNS.get(n, COLUMNS.get(n.lower())) if n else None for n in names]
    rows = []
    for number, record in enumerate(records, start=2):
        values = {f: v for f, v in zip(fields, record) if f and v not in (None, "")}
        if values:
            rows.append((number, values))
    return rows


def _read_json(data: bytes, report: ImportReport) -> list[tuple[int, dict]]:
    doc = json.loads(data.decode("utf-8-sig"))
    items = doc.get("articles") if isinstance(doc, dict) else doc
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise ValueError('JSON 须为文章对象的数组，或 {"articles": [...]}')
    rows = []
    for number, item in enumerate(items, start=1):
        unknown = [k for k in item if k not in COLUMNS and k.lower() not in COLUMNS]
        if unknown:
            report.errors.append({"row": number, "errors": {"columns": [f"无法识别的字段：{'、'.join(unknown)}"]}})
            continue
        rows.append((number, {COLUMNS.get(k, COLUMNS.get(k.lower())): v for k, v in item.items()}))
    return rows


def read_table(suffix: str, data: bytes) -> list[list]:
    """The cells of a CSV (UTF-8 or GBK, as editors' spreadsheets save it) or of an XLSX file's first sheet,
    header row first. Also reads the 12345 exchange files (sync/files.py). Raises ValueError."""
    if suffix == ".csv":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return list(csv.reader(io.StringIO(data.decode(encoding))))
            except UnicodeDecodeError:
                continue
        raise ValueError("CSV 编码无法识别（请用 UTF-8 或 GBK）")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _read_table(suffix: str):
    def read(data: bytes, report: ImportReport) -> list[tuple[int, dict]]:
        table = read_table(suffix, data)
        return _rows_from_table(table[0], table[1:], report) if table else []

    return read


META_LINE = re.compile(r"^(业务领域|适用地区|地区|生效时间|失效时间|来源|标签|紧急|相似问法)[:：]\s*(.*)$")


def _read_docx(data: bytes, report: ImportReport) -> list[tuple[int, dict]]:
    """Each heading starts an article; lines like "适用地区：河南省" right under it are its metadata."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    rows: list[tuple[int, dict]] = []
    current: dict | None = None
    for number, para in enumerate(doc.paragraphs, start=1):
        text = para.text.strip()
        if not text:
            continue
        if para.style is not None and para.style.name.lower().startswith(("heading", "title", "标题")):
            current = {"title": text, "body": []}
            rows.append((number, current))
            continue
        if current is None:
            continue
        meta = META_LINE.match(text)
        if meta and not current["body"]:
            current[COLUMNS[meta.group(1)]] = meta.group(2)
        else:
            current["body"].append(text)
    for _, row in rows:
        row["body"] = "\n".join(row["body"])
    if not rows:
        raise ValueError("Word 文件中没有找到标题：请用“标题 1/2”样式标出每篇文章的标题")
    return rows


READERS = {".json": _read_json, ".csv": _read_table(".csv"), ".xlsx": _read_table(".xlsx"), ".docx": _read_docx}


def read_rows(filename: str, data: bytes, report: ImportReport) -> list[tuple[int, dict]]:
    suffix = Path(filename).suffix.lower()
    if suffix not in READERS:
        raise ImportRejected(
            f"不支持的文件类型 {suffix or '（无扩展名）'}：请上传 JSON、CSV、XLSX 或 DOCX", details=report.as_dict()
        )
    if len(data) > MAX_BYTES:
        raise ImportRejected(
            f"文件过大（{len(data) // 1024 // 1024} MB），上限 {MAX_BYTES // 1024 // 1024} MB", details=report.as_dict()
        )
    try:
        rows = READERS[suffix](data, report)
    except ImportRejected:
        raise
    except Exception as exc:  # a malformed file of any kind: say so, import nothing
        report.errors.append({"row": 0, "errors": {"file": [f"文件无法解析：{exc}"]}})
        return []
    if len(rows) > MAX_ROWS:
        report.errors.append({"row": 0, "errors": {"file": [f"行数过多（{len(rows)}），单次最多 {MAX_ROWS} 篇"]}})
    return rows


def import_file(
    kb: KnowledgeBase, filename: str, data: bytes, author: str, publish: bool = True, progress: bool = False
) -> ImportReport:
    report = ImportReport(filename=Path(filename).name)
    rows = read_rows(filename, data, report)
    report.rows = len(rows)
    drafts, seen = [], {}
    for number, row in rows:
        if isinstance(row.get("tags"), str):
            row["tags"] = [t.strip() for t in re.split(r"[,，;；、]", row["tags"]) if t.strip()]
        if isinstance(row.get("questions"), str):  # one cell: questions on lines or separated by | or ；
            row["questions"] = [q.strip() for q in re.split(r"[\n|｜；;]", row["questions"]) if q.strip()]
        if "urgent" in row and not isinstance(row["urgent"], bool):
            row["urgent"] = str(row["urgent"]).strip().lower() in TRUE_WORDS
        for key in ("title", "body", "region", "source", "domain", "kind"):
            if row.get(key) is not None and not isinstance(row[key], str):
                row[key] = str(row[key])
        try:
            fields = validate(row)
        except ArticleInvalid as exc:
            report.errors.append({"row": number, "errors": exc.details})
            continue
        key = (
            str(row.get("id") or "").strip()
            or hashlib.sha256(f"{fields['title']}\x1f{fields['region']}".encode()).hexdigest()[:24]
        )
        if key in seen:
            report.errors.append({"row": number, "errors": {"title": [f"与第 {seen[key]} 行重复"]}})
            continue
        seen[key] = number
        drafts.append(to_draft(fields, f"import:{key}", "local", "published" if publish else "draft"))
    if report.errors:
        raise ImportRejected(f"导入失败：{len(report.errors)} 处错误，未导入任何内容", details=report.as_dict())
    if not drafts:
        raise ImportRejected("文件中没有可导入的文章", details=report.as_dict())
    result = kb.upsert_articles(drafts, progress=progress, author=author, action="import")
    report.created, report.updated, report.unchanged = result.created, result.updated, result.unchanged
    return report
