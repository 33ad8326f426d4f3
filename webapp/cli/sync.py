"""The 12345 link (sync/): `sync-kb`, `sync-export`, `sync-orders-import`, `sync-outbox`, `sync-log`."""

from __future__ import annotations

import sys

import click

from hotline.settings import load_settings
from webapp.services import build_services


def _sync_service():
    return build_services(load_settings()).sync


def _print_run(run: dict) -> None:
    click.echo(f"[{run['status']}] {run['message']}")
    if run["status"] not in ("ok", "partial"):
        sys.exit(1)


@click.command("sync-kb")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="从 12345 导出的文件同步（JSONL / JSON / CSV / XLSX）而不是接口",
)
@click.option("--reset", is_flag=True, help="游标归零，从头读取 12345 的变更流（已有的版本不会重复写入）")
@click.option("--no-push", is_flag=True, help="只拉取，不推送本地的修改")
def sync_kb(path, reset, no_push):
    """Sync the KB with 12345 now (pull its changes, push ours), with a progress bar."""
    from sync.errors import Busy
    from sync.kb import KbSync, SyncOptions, reset_cursor
    from sync.service import KB_FEED

    service = _sync_service()
    try:
        if path:
            from sync.files import FileConnector

            run = KbSync(service.kb, FileConnector(path), SyncOptions(progress=True, retries=0)).run("cli")
        else:
            if not service.configured:
                sys.exit("未配置 12345 接口：请设置 HOTLINE_SYNC_URL（以及 HOTLINE_SYNC_TOKEN）")
            if reset:
                reset_cursor(service.db, KB_FEED)
            run = service.sync_kb(trigger="cli", progress=True, push=not no_push)
    except Busy as exc:
        sys.exit(exc.message)
    _print_run(run)


@click.command("sync-export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--incremental", is_flag=True, help="只导出上次增量导出以来有变化的文章")
def sync_export(path, incremental):
    """Export our articles for 12345 as JSONL / CSV / XLSX (retired ones as tombstones)."""
    from sync.files import export_articles

    db = build_services(load_settings()).db
    click.echo(f"已导出 {export_articles(db, path, incremental)} 篇到 {path}")


@click.command("sync-orders-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def sync_orders_import(path):
    """Take in work orders 12345 transferred as a file (JSONL / JSON / CSV / XLSX)."""
    from sync.errors import SyncError
    from sync.files import read_transfers

    service = _sync_service()
    try:
        rows = read_transfers(path)
    except SyncError as exc:
        sys.exit(exc.message)
    results = []
    for start in range(0, len(rows), 200):
        results += service.exchange.receive(rows[start : start + 200])
    for r in results:
        extra = r.get("message") or r.get("note") or ""
        click.echo(f"{r.get('id') or '（无编号）'}\t{r['status']}\t{r.get('number', '')}\t{extra}")
    click.echo(
        f"共 {len(results)} 件："
        + "，".join(
            f"{k} {sum(1 for r in results if r['status'] == k)}"
            for k in ("accepted", "returned", "duplicate", "invalid", "conflict")
        )
    )


@click.command("sync-outbox")
def sync_outbox():
    """Deliver the pending work-order messages to 12345 now."""
    click.echo(_sync_service().exchange.push_outbox())


@click.command("sync-log")
@click.option("--limit", default=10, show_default=True)
def sync_log(limit):
    """The sync log: the latest runs and the newest warnings/errors."""
    service = _sync_service()
    for run in service.runs(limit=limit):
        click.echo(
            f"#{run['id']} {run['started_at'][:19]} {run['feed']} {run['trigger']} [{run['status']}] {run['message']}"
        )
    for e in service.recent_events(limit=limit):
        click.echo(f"  {e['at'][:19]} {e['level']} {e['kind']} {e['remote_id']} {e['message']}")


COMMANDS = (sync_kb, sync_export, sync_orders_import, sync_outbox, sync_log)
