"""Tables as files: CSV (UTF-8 with BOM, so that Excel opens it) and XLSX (openpyxl, write-only), both safe to
open in a spreadsheet (no cell is taken for a formula), and the China-time format every export uses."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from hotline.clock import china_time

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def moment(value: datetime | None) -> str:
    """A stored moment as staff read it: China time to the minute, e.g. 2026-11-30 11:45."""
    return "" if value is None else china_time(value).strftime("%Y-%m-%d %H:%M")


def cell(value, quote: bool = True) -> str | int | float:
    """One value for a spreadsheet: booleans in words, numbers kept, text that could start a formula quoted (in a
    CSV file; an XLSX cell is typed as text instead)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        return moment(value)
    text = "" if value is None else str(value)
    return "'" + text if quote and text.startswith(FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """One workbook, a sheet per (title, header, rows); every text cell is a string, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        head = []
        for name in header:
            c = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", name))
            c.font = bold
            head.append(c)
        sheet.append(head)
        for row in rows:
            line = []
            for value in row:
                value = cell(value, quote=False)
                if isinstance(value, str):  # control characters have no place in the file format: dropped
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                c = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    c.data_type = "s"  # text, never a formula, whatever it starts with
                line.append(c)
            sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
