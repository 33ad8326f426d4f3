"""The metrics and the unit scores as tables, for CSV and XLSX files (hotline.tabular) and for the report
builders: each function returns ``[(title, header, rows), …]``, one table per sheet."""

from __future__ import annotations

from hotline.tabular import csv_text, xlsx_bytes

from .metrics import RATES

Table = tuple[str, list[str], list[list]]
COMPARED = ["本期", "上期", "去年同期", "环比", "同比"]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _change(value: float | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return "持平"
    return f"{'增长' if value > 0 else '下降'}{abs(value) * 100:.1f}%"


def metrics_tables(result: dict) -> list[Table]:
    """compute()'s result as tables: overview with the rates, one per dimension, the cube, the assistant."""
    p, prev, ly = result["period"], result["previous"], result["last_year"]
    scope = result["scope"]
    t = result["total"]
    overview = [
        ["统计区间", f"{p['start']} 至 {p['end']}", "", "", ""],
        ["上期（环比）", f"{prev['start']} 至 {prev['end']}", "", "", ""],
        ["去年同期（同比）", f"{ly['start']} 至 {ly['end']}", "", "", ""],
        ["地区", scope["region"] or "全部", "", "", ""],
        ["业务领域", scope["domain"] or "全部", "", "", ""],
        ["工作日数", result["working_days"], "", "", ""],
        [
            "受理总量",
            t["count"],
            t["previous"],
            t["last_year"],
            f"环比{_change(t['mom']) or '—'}，同比{_change(t['yoy']) or '—'}",
        ],
    ]
    for name, figure in result["rates"].items():
        overview.append(
            [figure["label"], _pct(figure["rate"]), figure["numerator"], figure["denominator"], RATES[name][1]]
        )
    tables: list[Table] = [("概览", ["指标", "数值", "分子/上期", "分母/去年同期", "说明"], overview)]
    for key, title in (
        ("by_type", "按诉求类型"),
        ("by_domain", "按业务领域"),
        ("by_channel", "按渠道"),
        ("by_region", "按地区"),
    ):
        tables.append(
            (
                title,
                ["分类", *COMPARED],
                [
                    [x["label"], x["count"], x["previous"], x["last_year"], _change(x["mom"]), _change(x["yoy"])]
                    for x in result[key]
                ],
            )
        )
    tables.append(
        (
            "分类明细",
            ["诉求类型", "业务领域", "渠道", "地区", "件数"],
            [[c["order_type"], c["domain"], c["channel"], c["region"], c["count"]] for c in result["cube"]],
        )
    )
    a = result["assistant"]
    tables.append(
        (
            "智能助手",
            ["指标", "数值"],
            [
                ["网页咨询提问", a["questions"]],
                ["引用知识库答复", a["answered"]],
                ["未能答复（知识缺口）", a["refused"]],
                ["给出选项澄清", a["clarified"]],
                ["新增知识缺口", a["gaps_new"]],
                ["待处理知识缺口", a["gaps_open"]],
                ["转人工", a["handoffs"]],
                ["人工已接入", a["handoffs_taken"]],
            ],
        )
    )
    return tables


def scores_table(result: dict) -> Table:
    """unit_scores()'s result as one table: rank, unit, region, score and each component's rate."""
    labels = [c["label"] for c in result["components"].values()]
    rows = [
        [u.get("rank", ""), u["name"], u["region"], u["score"] if u["score"] is not None else "无工单", u["orders"]]
        + [_pct(c["rate"]) for c in u["components"].values()]
        for u in result["units"]
    ]
    return ("承办单位评分", ["排名", "承办单位", "地区", "得分", "转办件数", *labels], rows)


def as_file(tables: list[Table], fmt: str) -> bytes:
    """XLSX: a sheet per table; CSV: the tables one after another, each under its title."""
    if fmt == "xlsx":
        return xlsx_bytes(tables)
    parts = []
    for title, header, rows in tables:
        parts.append(csv_text([title], []).lstrip("\ufeff") + csv_text(header, rows).lstrip("\ufeff"))
    return ("\ufeff" + "\r\n".join(parts)).encode("utf-8")
