"""File exchange with 12345: KB items in JSON lines, CSV and XLSX in, our articles out, transferred orders in."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from hotline.db import Database
from knowledge_base.editing import Editor
from knowledge_base.models import Article
from sim12345 import data as simdata
from sync.files import KB_COLUMNS, FileConnector, export_articles, normalize_item, read_rows, read_transfers
from sync.kb import KbSync, SyncOptions
from sync.orders import OrderExchange
from work_orders.service import WorkOrders

HEADER = ["编号", "版本", "标题", "正文", "业务领域", "适用地区", "标签", "来源", "更新时间"]


def items(n: int, version: int = 1) -> list[dict]:
    return [dict(a, version=version) for a in simdata.articles(n, seed=99)]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def table(rows: list[dict]) -> list[list]:
    return [HEADER] + [
        [
            r["id"],
            r["version"],
            r["title"],
            r["body"],
            r["domain"],
            r["region"],
            "、".join(r["tags"]),
            r["source"],
            "2026-11-20 09:00",
        ]
        for r in rows
    ]


def sync_file(kb, path):
    return KbSync(kb, FileConnector(path), SyncOptions(page_size=10, retries=0)).run("file")


def count(kb) -> int:
    with kb.db.session() as s:
        return s.scalar(select(func.count(Article.id)))


def test_jsonl_import_is_incremental_and_repeatable(hkb, tmp_path):
    first = write_jsonl(tmp_path / "kb-1.jsonl", items(25))
    run = sync_file(hkb, first)
    assert (run["status"], run["created"], run["pushed"]) == ("ok", 25, 0)
    assert sync_file(hkb, first)["received"] == 0  # the same file again: already applied
    changed = items(25)
    changed[3] = dict(changed[3], version=2, body=changed[3]["body"] + "\n办理时间调整为全天。")
    changed.append({"id": changed[5]["id"], "version": 2, "deleted": True})
    run = sync_file(hkb, write_jsonl(tmp_path / "kb-2.jsonl", changed))
    assert (run["received"], run["updated"], run["retired"], run["unchanged"], run["chunks_embedded"]) == (
        26,
        1,
        1,
        24,
        1,
    )


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_table_files_from_12345(hkb, tmp_path, suffix):
    rows = table(items(12))
    path = tmp_path / f"12345导出.{suffix}"
    if suffix == "csv":
        with open(path, "w", newline="", encoding="gb18030") as f:  # as Excel in China saves it
            csv.writer(f).writerows(rows)
    else:
        book = Workbook()
        for r in rows:
            book.active.append(r)
        book.save(path)
    run = sync_file(hkb, path)
    assert run["status"] == "ok" and run["created"] == 12
    with hkb.db.session() as s:
        a = s.scalar(select(Article).where(Article.origin_id == "ZSK0000001"))
        assert a.tags == items(1)[0]["tags"] and a.origin_version == 1


def test_a_broken_file_applies_nothing(hkb, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(items(1)[0], ensure_ascii=False) + '\n{"id": "X", "title": 半截\n', encoding="utf-8")
    run = sync_file(hkb, path)
    assert run["status"] == "failed" and "第 2 行不是有效的 JSON" in run["message"]
    assert count(hkb) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("编号,标题,不认识的列\nA,B,C\n", encoding="utf-8")
    assert "无法识别的列" in sync_file(hkb, bad)["message"]
    no_version = tmp_path / "noversion.jsonl"
    write_jsonl(no_version, [{"id": "NV1", "title": "无版本", "body": "缺少版本与更新时间"}])
    run = sync_file(hkb, no_version)
    assert run["status"] == "partial" and run["rejected"] == 1 and count(hkb) == 0


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "xlsx"])
def test_export_our_articles(hkb, tmp_path, suffix):
    editor = Editor(hkb)
    live = editor.create(
        {
            "title": "G107国道临时管制",
            "body": "夜间封闭。",
            "domain": "公路",
            "tags": ["交通管制", "货车"],
            "questions": ["晚上大车能走不", "封到哪天、几点"],
        },
        "pub",
        publish=True,
    )
    gone = editor.create({"title": "已撤销的通知", "body": "作废。"}, "pub", publish=True)
    editor.retire(gone["id"], gone["version"], "pub")
    editor.create({"title": "草稿", "body": "不导出。"}, "ed")
    path = tmp_path / f"12328.{suffix}"
    assert export_articles(hkb.db, path) == 2
    rows = [normalize_item(r) for r in read_rows(path, KB_COLUMNS)]
    by_id = {r["id"]: r for r in rows}
    ours = by_id[f"12328-{live['id']}"]
    assert (ours["owner"], ours["title"], ours["tags"], ours["deleted"]) == (
        "12328",
        "G107国道临时管制",
        ["交通管制", "货车"],
        False,
    )
    assert ours["questions"] == ["晚上大车能走不", "封到哪天、几点"]  # "、" inside a question survives a table cell
    assert by_id[f"12328-{gone['id']}"]["deleted"] is True
    assert export_articles(hkb.db, tmp_path / f"inc.{suffix}", incremental=True) == 2
    assert export_articles(hkb.db, tmp_path / f"inc2.{suffix}", incremental=True) == 0


def test_transferred_orders_by_file(db_url, tmp_path):
    db = Database(db_url)
    db.migrate()
    path = tmp_path / "转办工单.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["工单编号", "诉求类型", "业务领域", "标题", "诉求内容", "地区", "来电人", "联系电话"])
        w.writerow(
            ["12345-F-0001", "投诉", "城市客运", "公交甩站", "12路公交不停站", "河南省新乡市", "刘女士", 13812345678]
        )
        w.writerow(["12345-F-0002", "投诉", "快递", "快递丢件", "包裹丢失", "河南省新乡市", "赵先生", ""])
    results = OrderExchange(WorkOrders(db)).install().receive(read_transfers(path))
    assert [r["status"] for r in results] == ["accepted", "returned"]
