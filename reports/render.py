"""A report version as a file: DOCX (python-docx), PDF (reportlab) with charts (matplotlib, Agg), and XLSX with
the underlying data (openpyxl through hotline.tabular).

Chinese text must be real glyphs, in the charts and the PDF alike: both embed WenQuanYi Zen Hei, the font the
project's setup installs (``make browser``: Debian's fonts-wqy-zenhei). ``HOTLINE_CJK_FONT`` names another font
file; without one, rendering fails with :class:`FontMissing` rather than drawing empty boxes.
"""

from __future__ import annotations

import io
import os
import threading
from functools import cache
from pathlib import Path

from hotline.tabular import xlsx_bytes
from stats.exports import metrics_tables

from .content import SECTIONS, change, pct
from .errors import FontMissing, ReportError

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
PDF_FONT = "HotlineCJK"
FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_lock = threading.Lock()  # matplotlib's font cache and reportlab's registry are process-wide


def font_path() -> Path:
    """The CJK font file; FontMissing when there is none."""
    configured = os.environ.get("HOTLINE_CJK_FONT", "").strip()
    for candidate in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing(
        "未找到中文字体（文泉驿正黑 fonts-wqy-zenhei），无法生成含中文的图表和PDF；"
        "请运行 make browser 安装字体，或用 HOTLINE_CJK_FONT 指定字体文件",
        details={"looked_in": [configured] if configured else list(FONT_CANDIDATES)},
    )


@cache
def _matplotlib_font(path: str):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path)


@cache
def _pdf_font(path: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(PDF_FONT, path, subfontIndex=0))
    return PDF_FONT


# --- charts ----------------------------------------------------------------------------------------------------
def _bar_chart(title: str, labels: list[str], series: list[tuple[str, list[float]]], horizontal=False, percent=False):
    from matplotlib.figure import Figure

    font = _matplotlib_font(str(font_path()))
    fig = Figure(figsize=(7.0, 3.4), dpi=110)
    ax = fig.subplots()
    n = max(len(series), 1)
    width = 0.8 / n
    positions = list(range(len(labels)))
    for i, (name, values) in enumerate(series):
        offs = [p + (i - (n - 1) / 2) * width for p in positions]
        if horizontal:
            ax.barh(offs, values, height=width, label=name)
        else:
            ax.bar(offs, values, width=width, label=name)
    if horizontal:
        ax.set_yticks(positions)
        ax.set_yticklabels(labels, fontproperties=font)
        ax.invert_yaxis()
    else:
        ax.set_xticks(positions)
        ax.set_xticklabels(labels, fontproperties=font, rotation=20 if len(labels) > 5 else 0)
    if percent:
        (ax.set_xlim if horizontal else ax.set_ylim)(0, 100)
    else:  # counts: whole numbers on the value axis
        from matplotlib.ticker import MaxNLocator

        (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, fontproperties=font)
    if len(series) > 1:
        ax.legend(prop=font)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def charts(data: dict) -> list[tuple[str, bytes]]:
    """(caption, PNG) of the report's charts: volume by type and by domain against the previous period and a year
    ago, the rates, the high-frequency matters, the unit scores."""
    m = data["metrics"]
    out = []
    with _lock:
        types = m["by_type"]
        out.append(
            (
                "图1 按诉求类型受理量（本期、上期、去年同期）",
                _bar_chart(
                    "按诉求类型受理量",
                    [t["label"] for t in types],
                    [
                        ("本期", [t["count"] for t in types]),
                        ("上期", [t["previous"] for t in types]),
                        ("去年同期", [t["last_year"] for t in types]),
                    ],
                ),
            )
        )
        domains = [d for d in m["by_domain"] if d["count"] or d["previous"]][:8]
        if domains:
            out.append(
                (
                    "图2 按业务领域受理量",
                    _bar_chart(
                        "按业务领域受理量",
                        [d["label"] for d in domains],
                        [("本期", [d["count"] for d in domains]), ("上期", [d["previous"] for d in domains])],
                    ),
                )
            )
        rates = [(f["label"], f["rate"]) for f in m["rates"].values() if f["rate"] is not None]
        if rates:
            out.append(
                (
                    f"图{len(out) + 1} 主要办理指标（%）",
                    _bar_chart(
                        "主要办理指标（%）",
                        [label for label, _ in rates],
                        [("本期", [r * 100 for _, r in rates])],
                        horizontal=True,
                        percent=True,
                    ),
                )
            )
        topics = data["topics"]["items"]
        if topics:
            out.append(
                (
                    f"图{len(out) + 1} 高频事项（件）",
                    _bar_chart(
                        "高频事项",
                        [t["label"][:14] for t in topics],
                        [("本期", [t["count"] for t in topics]), ("上期", [t["previous"] for t in topics])],
                        horizontal=True,
                    ),
                )
            )
    return out


# --- tables shared by DOCX and PDF -----------------------------------------------------------------------------
def _tables(data: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    m = data["metrics"]
    t = m["total"]
    volume = [["合计", str(t["count"]), str(t["previous"]), str(t["last_year"]), change(t["mom"]), change(t["yoy"])]]
    volume += [
        [x["label"], str(x["count"]), str(x["previous"]), str(x["last_year"]), change(x["mom"]), change(x["yoy"])]
        for x in m["by_type"]
    ]
    head = ["分类", "本期", "上期", "去年同期", "环比", "同比"]
    out = [("受理量（按诉求类型）", head, volume)]
    for key, title in (("by_domain", "按业务领域"), ("by_channel", "按渠道"), ("by_region", "按地区")):
        rows = [
            [x["label"], str(x["count"]), str(x["previous"]), str(x["last_year"]), change(x["mom"]), change(x["yoy"])]
            for x in m[key][:15]
            if x["count"] or x["previous"] or x["last_year"]
        ]
        if rows:
            out.append((f"受理量（{title}）", head, rows))
    out.append(
        (
            "办理指标",
            ["指标", "比率", "分子", "分母"],
            [[f["label"], pct(f["rate"]), str(f["numerator"]), str(f["denominator"])] for f in m["rates"].values()],
        )
    )
    topics = data["topics"]["items"]
    if topics:
        out.append(
            (
                "高频事项（前10）",
                ["序号", "事项", "本期", "上期", "环比", "典型诉求"],
                [
                    [
                        str(i),
                        t["label"],
                        str(t["count"]),
                        str(t["previous"]),
                        change(t["growth"]) if t["growth"] is not None else "新出现",
                        (t["examples"] or [""])[0][:60],
                    ]
                    for i, t in enumerate(topics, 1)
                ],
            )
        )
    p = data["problems"]
    out.append(
        (
            "问题清单",
            ["事项", "状态", "关联工单", "列入时间"],
            [[x["title"], x["state_label"], str(x["orders"]), x["created_at"]] for x in p["open"]]
            or [["（无未销号事项）", "", "", ""]],
        )
    )
    sc = data["scores"]
    if sc["units"]:
        out.append(
            (
                "承办单位评分",
                ["排名", "承办单位", "地区", "转办件数", "得分"],
                [
                    [str(u["rank"]), u["name"], u["region"], str(u["orders"]), f"{u['score']:.1f}"]
                    for u in sc["units"][:30]
                ],
            )
        )
    return out


def _problem_summary(data: dict) -> str:
    p = data["problems"]
    states = "，".join(f"{s['label']}{s['count']}项" for s in p["by_state"])
    return f"问题清单：{states}；本期新列入{p['new_in_period']}项，销号{p['closed_in_period']}项。"


def _meta_lines(meta: dict, data: dict) -> list[str]:
    lines = [
        f"统计期间：{meta['period']['start']} 至 {meta['period']['end']}（中国标准时间）",
        f"地区：{data['region_label']}" + (f"；业务领域：{data['domain']}" if data["domain"] else ""),
        f"状态：{meta['state_label']}；版本：第{meta['version']}版；数据生成于 {data['generated_at']}",
    ]
    if meta.get("due_date"):
        lines.append(f"报送期限：{meta['due_date']}（第三十二条）")
    return lines


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# --- DOCX ------------------------------------------------------------------------------------------------------
def docx_bytes(meta: dict, data: dict, narrative: dict) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Inches, Pt

    shots = charts(data)
    doc = Document()
    for style_name in ("Normal", "Title", "Heading 1", "Heading 2", "Caption"):
        style = doc.styles[style_name]
        style.font.name = "WenQuanYi Zen Hei"
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), "WenQuanYi Zen Hei")
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(meta["title"], level=0)
    for line in _meta_lines(meta, data):
        doc.add_paragraph(line)
    for number, (key, label) in enumerate(SECTIONS.items(), 1):
        doc.add_heading(f"{'一二三'[number - 1]}、{label}", level=1)
        for para in _paragraphs(narrative.get(key, "")):
            doc.add_paragraph(para)
    doc.add_heading("四、图表", level=1)
    for caption, png in shots:
        doc.add_picture(io.BytesIO(png), width=Inches(6.0))
        doc.add_paragraph(caption, style="Caption")
    doc.add_heading("五、数据", level=1)
    if not data["topics"]["available"]:
        doc.add_paragraph(f"高频事项：{data['topics']['reason']}")
    doc.add_paragraph(_problem_summary(data))
    if data["scores"]["lowest"]:
        doc.add_paragraph("得分末位单位：" + "、".join(data["scores"]["lowest"]))
    for title, header, rows in _tables(data):
        doc.add_heading(title, level=2)
        table = doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = text
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- PDF -------------------------------------------------------------------------------------------------------
def pdf_bytes(meta: dict, data: dict, narrative: dict) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    with _lock:
        font = _pdf_font(str(font_path()))
    shots = charts(data)
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11)
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=24, alignment=1, spaceAfter=10)
    h1 = ParagraphStyle("h1", parent=body, fontSize=13.5, leading=20, spaceBefore=10, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11.5, leading=17, spaceBefore=8, spaceAfter=3)
    story = [Paragraph(escape(meta["title"]), title)]
    story += [Paragraph(escape(line), small) for line in _meta_lines(meta, data)]
    for number, (key, label) in enumerate(SECTIONS.items(), 1):
        story.append(Paragraph(f"{'一二三'[number - 1]}、{label}", h1))
        story += [Paragraph(escape(p), body) for p in _paragraphs(narrative.get(key, ""))]
    story.append(Paragraph("四、图表", h1))
    for caption, png in shots:
        story.append(Image(io.BytesIO(png), width=16 * cm, height=16 * cm * 3.4 / 7.0))
        story.append(Paragraph(escape(caption), small))
    story.append(Paragraph("五、数据", h1))
    if not data["topics"]["available"]:
        story.append(Paragraph(escape(f"高频事项：{data['topics']['reason']}"), body))
    story.append(Paragraph(escape(_problem_summary(data)), body))
    if data["scores"]["lowest"]:
        story.append(Paragraph(escape("得分末位单位：" + "、".join(data["scores"]["lowest"])), body))
    for caption, header, rows in _tables(data):
        story.append(Paragraph(escape(caption), h2))
        cells = [[Paragraph(escape(c), small) for c in row] for row in [header, *rows]]
        table = Table(cells, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        story.append(Spacer(1, 6))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=meta["title"], author="12328热线", leftMargin=2 * cm, rightMargin=2 * cm
    )
    doc.build(story)
    return out.getvalue()


# --- XLSX ------------------------------------------------------------------------------------------------------
def xlsx_report(meta: dict, data: dict, narrative: dict) -> bytes:
    sheets = [
        (
            "报告",
            ["项目", "内容"],
            [
                ["标题", meta["title"]],
                *[[line.split("：", 1)[0], line.split("：", 1)[-1]] for line in _meta_lines(meta, data)],
            ]
            + [[label, narrative.get(key, "")] for key, label in SECTIONS.items()],
        )
    ]
    sheets += metrics_tables(data["metrics"])
    topics = data["topics"]["items"]
    sheets.append(
        (
            "高频事项",
            ["序号", "事项", "关键词", "本期", "上期", "环比", "地点", "对象", "典型诉求"],
            [
                [
                    i,
                    t["label"],
                    "、".join(t["keywords"]),
                    t["count"],
                    t["previous"],
                    change(t["growth"]) if t["growth"] is not None else "新出现",
                    "、".join(t["places"]),
                    "、".join(t["targets"]),
                    "\n".join(t["examples"]),
                ]
                for i, t in enumerate(topics, 1)
            ]
            or [["", data["topics"]["reason"] or "本期无高频事项", "", "", "", "", "", "", ""]],
        )
    )
    p = data["problems"]
    sheets.append(
        (
            "问题清单",
            ["事项", "地区", "状态", "关联工单", "列入时间"],
            [[x["title"], x["region"], x["state_label"], x["orders"], x["created_at"]] for x in p["open"]],
        )
    )
    sc = data["scores"]
    labels = list(sc["components"].values())
    sheets.append(
        (
            "承办单位评分",
            ["排名", "承办单位", "地区", "转办件数", "得分", *labels],
            [
                [u["rank"], u["name"], u["region"], u["orders"], u["score"]]
                + [pct(u["rates"].get(k)) for k in sc["components"]]
                for u in sc["units"]
            ],
        )
    )
    return xlsx_bytes(sheets)


def render(fmt: str, meta: dict, data: dict, narrative: dict) -> bytes:
    if fmt == "docx":
        return docx_bytes(meta, data, narrative)
    if fmt == "pdf":
        return pdf_bytes(meta, data, narrative)
    if fmt == "xlsx":
        return xlsx_report(meta, data, narrative)
    raise ReportError("文件格式无效", code="invalid_field", details={"format": list(FORMATS)})
