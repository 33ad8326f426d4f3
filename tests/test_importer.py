"""Bulk import from CSV, XLSX and DOCX files as editors have them; bad files import nothing."""

import csv
import io

import pytest
from docx import Document
from openpyxl import Workbook

from hotline.db import Database
from knowledge_base.importer import MAX_BYTES, ImportRejected, import_file
from knowledge_base.service import KnowledgeBase

HEADER = ["标题", "正文", "业务领域", "适用地区", "生效时间", "失效时间", "来源", "标签", "紧急"]
ROWS = [
    [
        "S227临时交通管制",
        "S227省道辉县段夜间禁止货车通行。",
        "公路",
        "河南省新乡市",
        "2026-11-01",
        "2099-12-31",
        "新乡市交通运输局",
        "交通管制，货车",
        "是",
    ],
    ["渡口停航通知", "新乡港渡口12月1日停航。", "水路", "河南省新乡市", "", "", "", "", ""],
]


@pytest.fixture
def kb(tmp_path, embedder):
    db = Database(f"sqlite:///{tmp_path / 'kb.db'}")
    db.migrate()
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss", min_score=0.0)
    kb.open_index()
    return kb


def csv_bytes(rows, encoding="utf-8-sig"):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def docx_bytes():
    doc = Document()
    doc.add_heading("S227临时交通管制", level=1)
    doc.add_paragraph("适用地区：河南省新乡市")
    doc.add_paragraph("业务领域：公路")
    doc.add_paragraph("S227省道辉县段夜间禁止货车通行。")
    doc.add_paragraph("客车不受影响。")
    doc.add_heading("渡口停航通知", level=2)
    doc.add_paragraph("新乡港渡口12月1日停航。")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name, data",
    [
        ("policies.csv", csv_bytes([HEADER, *ROWS])),
        ("policies-gbk.csv", csv_bytes([HEADER, *ROWS], "gb18030")),
        ("policies.xlsx", xlsx_bytes([HEADER, *ROWS])),
    ],
)
def test_table_files(kb, name, data):
    report = import_file(kb, name, data, author="pub")
    assert (report.rows, report.created) == (2, 2)
    hit = kb.search("S227晚上货车能走吗", k=1)[0]
    assert hit.title == "S227临时交通管制" and hit.region == "河南省新乡市" and hit.urgent
    again = import_file(kb, name, data, author="pub")  # re-importing the same file changes nothing
    assert (again.created, again.unchanged) == (0, 2)


def test_docx_headings_start_articles(kb):
    report = import_file(kb, "policies.docx", docx_bytes(), author="pub")
    assert report.created == 2
    hit = kb.search("S227晚上货车能走吗", k=1)[0]
    assert hit.region == "河南省新乡市" and "客车不受影响" in hit.text


@pytest.mark.parametrize(
    "name, data, row, field",
    [
        ("bad.csv", csv_bytes([HEADER + ["备注"], ROWS[0] + ["x"]]), 1, "columns"),
        ("bad.csv", csv_bytes([HEADER, ROWS[0], ["", "正文", "公路", "", "", "", "", "", ""]]), 3, "title"),
        ("bad.xlsx", xlsx_bytes([HEADER, ROWS[0], ["标题", "正文", "航空", "", "", "", "", "", ""]]), 3, "domain"),
        ("bad.xlsx", xlsx_bytes([HEADER, [*ROWS[0][:4], "十二月一日", *ROWS[0][5:]]]), 2, "effective_from"),
        ("dup.csv", csv_bytes([HEADER, ROWS[0], ROWS[0]]), 3, "title"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", 0, "file"),
    ],
)
def test_bad_files_import_nothing(kb, name, data, row, field):
    with pytest.raises(ImportRejected) as exc:
        import_file(kb, name, data, author="pub")
    errors = exc.value.details["errors"]
    assert any(e["row"] == row and field in e["errors"] for e in errors), errors
    assert kb.article_count() == 0


def test_oversized_and_unknown_types(kb):
    with pytest.raises(ImportRejected, match="文件过大"):
        import_file(kb, "big.csv", b"x" * (MAX_BYTES + 1), author="pub")
    with pytest.raises(ImportRejected, match="不支持的文件类型"):
        import_file(kb, "policies.pdf", b"%PDF-1.4", author="pub")
    assert kb.article_count() == 0


def test_similar_questions_column(kb):
    rows = [HEADER + ["相似问法"], ROWS[0] + ["晚上大车能不能走辉县那段省道｜S227夜里限行吗"], ROWS[1] + [""]]
    report = import_file(kb, "questions.csv", csv_bytes(rows), author="pub")
    assert report.created == 2
    hit = kb.search("晚上大车能不能走辉县那段省道", k=1)[0]
    assert hit.title == "S227临时交通管制" and hit.question == "晚上大车能不能走辉县那段省道"
    assert hit.text.startswith("S227省道辉县段")
    with pytest.raises(ImportRejected) as exc:  # a bad cell is reported by row, nothing is imported
        import_file(kb, "bad.csv", csv_bytes([HEADER + ["相似问法"], ROWS[1] + ["长" * 101]]), author="pub")
    assert exc.value.details["errors"][0]["row"] == 2 and "questions" in exc.value.details["errors"][0]["errors"]


def test_a_file_without_the_questions_column_keeps_them(kb):
    with_questions = [HEADER + ["相似问法"], ROWS[0] + ["晚上大车能不能走辉县那段省道"], ROWS[1] + [""]]
    import_file(kb, "a.csv", csv_bytes(with_questions), author="pub")
    again = import_file(kb, "b.csv", csv_bytes([HEADER, *ROWS]), author="pub")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)  # no new versions either
    assert kb.search("晚上大车能不能走辉县那段省道", k=1)[0].question == "晚上大车能不能走辉县那段省道"
