"""Command line: `python -m webapp.cli run | serve | init | ingest | reindex`."""
from __future__ import annotations

import logging
import signal
import sys
import time

import click

from hotline import procs
from hotline.settings import load_settings


def _services(settings):
    from webapp.services import build_services

    return build_services(settings)


def _init(settings, echo=click.echo) -> None:
    """Migrate, ingest the seeds into an empty KB, make sure the index reflects the DB."""
    from knowledge_base.seeds import load_seed_drafts

    svc = _services(settings)
    if svc.kb.article_count() == 0:
        echo("知识库为空，正在导入种子文档 (ingesting seed documents)…")
        report = svc.kb.upsert_articles(load_seed_drafts(), progress=True)
        echo(f"  新增 {report.created} 篇，向量化 {report.chunks_embedded} 段")
    state = svc.kb.open_index(progress=True)
    echo(f"向量索引 {state}：{len(svc.kb.index)} 段 (FAISS index {state})")
    if not svc.accounts.has_users():
        import secrets

        password = secrets.token_urlsafe(12)
        svc.accounts.create_user("admin", password, ["admin"], "管理员")
        path = settings.var_dir / "admin_password.txt"
        path.write_text(password + "\n")
        path.chmod(0o600)
        echo(f"已创建管理员账号 admin，初始密码见 {path} (admin account created; password in that file)")


@click.group()
def cli() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@cli.command()
def init() -> None:
    """Create/upgrade the DB, ingest the seeds if the KB is empty, load or rebuild the index."""
    _init(load_settings())


@cli.command()
def ingest() -> None:
    """(Re-)ingest the seed documents; unchanged articles are skipped."""
    from knowledge_base.seeds import load_seed_drafts

    svc = _services(load_settings())
    report = svc.kb.upsert_articles(load_seed_drafts(), progress=True)
    click.echo(f"created={report.created} updated={report.updated} unchanged={report.unchanged} "
               f"chunks_embedded={report.chunks_embedded}")


@cli.command()
def reindex() -> None:
    """Rebuild the FAISS index from the DB (stored vectors; only missing ones are embedded)."""
    svc = _services(load_settings())
    svc.kb.rebuild_index(progress=True)
    click.echo(f"index rebuilt: {len(svc.kb.index)} chunks")


@cli.command("user-add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["admin", "editor", "publisher", "operator", "unit", "supervisor"]))
@click.option("--unit-id", type=int, default=None, help="承办单位账号所属单位ID")
@click.option("--region", default="", help="督办人员所辖地区，如 河南省")
@click.option("--name", "display_name", default=None, help="显示名")
@click.password_option()
def user_add(username, roles, unit_id, region, display_name, password):
    """Create a staff account (editor, publisher, …)."""
    from accounts.service import Accounts
    from hotline.db import Database

    db = Database(load_settings().database_url)
    db.migrate()
    user = Accounts(db).create_user(username, password, list(roles), display_name, unit_id=unit_id, region=region)
    click.echo(f"created {user.username} roles={','.join(user.roles)}")


@cli.command("unit-add")
@click.argument("name")
@click.option("--region", default="", help="所辖地区，如 河南省新乡市")
@click.option("--domain", "domains", multiple=True, help="业务领域（可多次）：公路、水路、道路运输、城市客运…")
@click.option("--duties", default="", help="职责说明")
@click.option("--authority", is_flag=True, help="本级交通运输主管部门（接收安全生产类工单）")
def unit_add(name, region, domains, duties, authority):
    """Add a handling unit (承办单位) to the directory used for dispatching."""
    from hotline.db import Database
    from work_orders.service import WorkOrders

    db = Database(load_settings().database_url)
    db.migrate()
    from hotline.errors import HotlineError

    try:
        unit = WorkOrders(db).add_unit(name, region, list(domains), duties, authority)
    except HotlineError as exc:
        sys.exit(exc.message)
    click.echo(f"已添加承办单位 {unit['name']} (id={unit['id']})")


@cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--draft", is_flag=True, help="导入为草稿（默认直接发布）")
@click.option("--author", default="import", show_default=True)
def import_cmd(path, draft, author):
    """Bulk-import articles from JSON / CSV / XLSX / DOCX (all or nothing)."""
    from pathlib import Path

    from knowledge_base.importer import ImportRejected, import_file

    svc = _services(load_settings())
    try:
        report = import_file(svc.kb, path, Path(path).read_bytes(), author=author, publish=not draft, progress=True)
    except ImportRejected as exc:
        click.echo(exc.message, err=True)
        for err in exc.details.get("errors", []):
            for field, messages in err["errors"].items():
                click.echo(f"  第 {err['row']} 行 {field}: {'；'.join(messages)}", err=True)
        sys.exit(1)
    click.echo(f"导入完成：{report.rows} 行，新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}")


@cli.command()
@click.option("--threads", type=int, default=None, help="主监听线程数；默认 HOTLINE_THREADS")
def serve(threads: int | None) -> None:
    """Serve the app (waitress) on HOTLINE_HOST:HOTLINE_PORT and the Rasa action endpoint on its own listener
    (HOTLINE_ACTION_HOST:HOTLINE_ACTION_PORT, with threads of its own)."""
    import threading

    from waitress.server import create_server

    from webapp import create_action_app, create_app

    settings = load_settings()
    app = create_app(settings)
    services = app.extensions["hotline"]
    kb = services.kb
    kb.open_index()
    kb.embedder.encode_one("预热")  # load the model before the first user waits
    kb.start_follower(interval=settings.kb_poll_interval)  # edits on any replica become searchable here
    scheduler = None
    if settings.sweep_interval > 0:  # embedded default: the SLA sweep runs here, not in a worker
        from work_orders.jobs import schedule

        scheduler = schedule(services.db, settings.sweep_interval, settings.var_dir / "attachments")
        from channels.wechat.jobs import add_jobs

        add_jobs(scheduler, services.wechat.notifier, settings.wechat.notify_interval)
        # conversations still waiting for an operator when service hours end: tell the user when we are back
        scheduler.add_job(services.handoffs.expire, "interval", seconds=60, id="handoff_expire",
                          max_instances=1, coalesce=True)
        scheduler.start()
    from sync.jobs import start_in_app  # the 12345 link (when HOTLINE_SYNC_URL is set): KB sync and outbox

    scheduler = start_in_app(scheduler, app.extensions["sync"], settings)
    threads = threads or settings.app_threads
    # Waiting conversation turns hold main-listener threads; the gate in RasaClient keeps RESERVED_THREADS free.
    main = create_server(app, host=settings.app_host, port=settings.app_port, threads=threads, ident="hotline",
                         connection_limit=max(100, 2 * threads))
    actions = create_server(create_action_app(services), host=settings.action_host, port=settings.action_port,
                            threads=settings.action_threads, ident="hotline-actions")
    threading.Thread(target=actions.run, name="action-listener", daemon=True).start()
    logging.getLogger(__name__).info("serving on %s:%s (%d threads), Rasa actions on %s:%s (%d threads)",
                                     settings.app_host, settings.app_port, threads, settings.action_host,
                                     settings.action_port, settings.action_threads)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly: the index is saved below
    try:
        main.run()
    finally:
        actions.close()
        main.close()
        kb.stop_follower()
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@cli.command()
@click.option("--interval", type=float, default=None, help="秒；默认 HOTLINE_SWEEP_INTERVAL 或 60")
@click.option("--once", is_flag=True, help="只运行一次 SLA 巡检后退出")
def worker(interval, once) -> None:
    """Scale mode: run the scheduled jobs (SLA sweep, retention purge) in their own process."""
    from datetime import datetime, timezone

    from hotline.db import Database
    from work_orders import sweep
    from work_orders.jobs import schedule

    settings = load_settings()
    db = Database(settings.database_url)
    db.migrate()
    if once:
        click.echo(sweep.sweep(db, datetime.now(timezone.utc)))
        return
    scheduler = schedule(db, interval or settings.sweep_interval or 60, settings.var_dir / "attachments", blocking=True)
    from channels.handoff import Handoffs
    from channels.wechat import build_wechat
    from channels.wechat.jobs import add_jobs
    from work_orders.service import WorkOrders

    work_orders = WorkOrders(db, settings.callback_sample_rate)
    handoffs = Handoffs(db, work_orders.calendar, settings.service_hours)
    notifier = build_wechat(settings, db, None, work_orders, handoffs).notifier
    add_jobs(scheduler, notifier, settings.wechat.notify_interval)
    scheduler.add_job(handoffs.expire, "interval", seconds=60, id="handoff_expire", max_instances=1, coalesce=True)
    if settings.sync_url:  # the 12345 link: KB sync (the embedding model is loaded here) and the outbox
        from sync.jobs import add_jobs as add_sync_jobs

        sync_service = _sync_service(settings)
        add_sync_jobs(scheduler, sync_service, settings.sync_interval, settings.sync_outbox_interval)
    scheduler.start()


@cli.command()
def run() -> None:
    """Start bot and app on the embedded default; Ctrl-C stops both."""
    settings = load_settings()
    if not procs.MODEL_PATH.exists():
        sys.exit("没有找到 Rasa 模型 var/models/hotline.tar.gz，请用 `make run` 启动（会自动训练）。")
    _init(settings)
    logs = settings.var_dir / "log"
    click.echo("正在启动 bot (Rasa) 和 app … 日志在 " + str(logs))
    bot = procs.start(procs.bot_command(settings), procs.bot_env(settings), logs / "bot.log")
    app = procs.start(procs.app_command(), procs.app_env(settings), logs / "app.log")
    stopping = False

    def _stop(*_):
        nonlocal stopping
        if stopping:
            return
        stopping = True
        click.echo("\n正在停止 (stopping bot and app)…")
        procs.stop(app)
        procs.stop(bot)
        click.echo("已停止。")
        sys.exit(0)

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    base = f"http://{settings.app_host}:{settings.app_port}"
    app_ok = procs.wait_http(base + "/api/health", 120, app)
    bot_ok = procs.wait_http(f"{settings.rasa_url}/status?token={settings.rasa_token}", 180, bot)
    if not (app_ok and bot_ok):
        click.echo(f"启动失败：app={'ok' if app_ok else 'failed'} bot={'ok' if bot_ok else 'failed'}，请查看 {logs}")
        _stop()
    click.echo(f"\n✅ 12328 智能助手已启动。网页在线咨询：{base}/\n   API 文档：{base}/api/docs   按 Ctrl-C 停止。")
    while True:
        for name, proc in (("bot", bot), ("app", app)):
            if proc.poll() is not None:
                click.echo(f"{name} 进程意外退出（exit {proc.returncode}），详见 {logs / (name + '.log')}")
                _stop()
        time.sleep(1)


# --------------------------------------------------------------------------- the 12345 link (sync/)


def _sync_service(settings):
    from sync.service import build

    svc = _services(settings)
    return build(settings, svc.kb, svc.work_orders)


def _print_run(run: dict) -> None:
    click.echo(f"[{run['status']}] {run['message']}")
    if run["status"] not in ("ok", "partial"):
        sys.exit(1)


@cli.command("sync-kb")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="从 12345 导出的文件同步（JSONL / JSON / CSV / XLSX）而不是接口")
@click.option("--reset", is_flag=True, help="游标归零，从头读取 12345 的变更流（已有的版本不会重复写入）")
@click.option("--no-push", is_flag=True, help="只拉取，不推送本地的修改")
def sync_kb(path, reset, no_push):
    """Sync the KB with 12345 now (pull its changes, push ours), with a progress bar."""
    from sync.errors import Busy
    from sync.kb import KbSync, SyncOptions, reset_cursor
    from sync.service import KB_FEED

    settings = load_settings()
    service = _sync_service(settings)
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


@cli.command("sync-export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--incremental", is_flag=True, help="只导出上次增量导出以来有变化的文章")
def sync_export(path, incremental):
    """Export our articles for 12345 as JSONL / CSV / XLSX (retired ones as tombstones)."""
    from hotline.db import Database
    from sync.files import export_articles

    db = Database(load_settings().database_url)
    db.migrate()
    click.echo(f"已导出 {export_articles(db, path, incremental)} 篇到 {path}")


@cli.command("sync-orders-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def sync_orders_import(path):
    """Take in work orders 12345 transferred as a file (JSONL / JSON / CSV / XLSX)."""
    from sync.errors import SyncError
    from sync.files import read_transfers

    service = _sync_service(load_settings())
    try:
        rows = read_transfers(path)
    except SyncError as exc:
        sys.exit(exc.message)
    results = []
    for start in range(0, len(rows), 200):
        results += service.exchange.receive(rows[start:start + 200])
    for r in results:
        extra = r.get("message") or r.get("note") or ""
        click.echo(f"{r.get('id') or '（无编号）'}\t{r['status']}\t{r.get('number', '')}\t{extra}")
    click.echo(f"共 {len(results)} 件：" + "，".join(f"{k} {sum(1 for r in results if r['status'] == k)}"
                                              for k in ("accepted", "returned", "duplicate", "invalid", "conflict")))


@cli.command("sync-outbox")
def sync_outbox():
    """Deliver the pending work-order messages to 12345 now."""
    click.echo(_sync_service(load_settings()).exchange.push_outbox())


@cli.command("sync-log")
@click.option("--limit", default=10, show_default=True)
def sync_log(limit):
    """The sync log: the latest runs and the newest warnings/errors."""
    from hotline.db import Database
    from sync.service import SyncService

    db = Database(load_settings().database_url)
    db.migrate()
    service = SyncService(db=db, kb=None, exchange=None, url="", token="", secret="", timeout=0, page_size=0)
    for run in service.runs(limit=limit):
        click.echo(f"#{run['id']} {run['started_at'][:19]} {run['feed']} {run['trigger']} [{run['status']}] "
                   f"{run['message']}")
    for e in service.recent_events(limit=limit):
        click.echo(f"  {e['at'][:19]} {e['level']} {e['kind']} {e['remote_id']} {e['message']}")


if __name__ == "__main__":
    cli()
