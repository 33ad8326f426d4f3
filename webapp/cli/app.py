"""Run the product: `init`, `run` (bot and app together), `serve` (the app), `bot` (one bot) and `worker` (the jobs
alone)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from datetime import UTC

import click

from hotline import procs
from hotline.settings import load_settings
from webapp.services import build_services


def _init(settings, echo=click.echo) -> None:
    """Migrate, ingest the seeds into an empty KB, make sure the index reflects the DB."""
    from knowledge_base.seeds import load_seed_drafts

    svc = build_services(settings)
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


@click.command()
def init() -> None:
    """Create/upgrade the DB, ingest the seeds if the KB is empty, load or rebuild the index."""
    _init(load_settings())


@click.command()
@click.option("--threads", type=int, default=None, help="主监听线程数；默认 HOTLINE_THREADS")
def serve(threads: int | None) -> None:
    """Serve the app (waitress) on HOTLINE_HOST:HOTLINE_PORT and the Rasa action endpoint on its own listener
    (HOTLINE_ACTION_HOST:HOTLINE_ACTION_PORT, with threads of its own)."""
    import threading

    from waitress.server import create_server

    from knowledge_base.regions import gazetteer
    from webapp import create_action_app, create_app
    from webapp.jobs import app_scheduler

    settings = load_settings()
    app = create_app(settings)
    services = app.extensions["hotline"]
    kb = services.kb
    kb.open_index()
    kb.embedder.encode_one("预热")  # load the model before the first user waits
    gazetteer()  # and the place names a question may carry (knowledge_base.regions)
    kb.start_follower(interval=settings.kb_poll_interval)  # edits on any replica become searchable here
    # the embedded default runs every job here; with HOTLINE_SWEEP_INTERVAL=0 only the 12345 link's (if set)
    scheduler = app_scheduler(services)
    if scheduler is not None:
        scheduler.start()
    threads = threads or settings.app_threads
    # Waiting conversation turns hold main-listener threads; the gate in RasaClient keeps RESERVED_THREADS free.
    main = create_server(
        app,
        host=settings.app_host,
        port=settings.app_port,
        threads=threads,
        ident="hotline",
        connection_limit=max(100, 2 * threads),
    )
    actions = create_server(
        create_action_app(services),
        host=settings.action_host,
        port=settings.action_port,
        threads=settings.action_threads,
        ident="hotline-actions",
    )
    threading.Thread(target=actions.run, name="action-listener", daemon=True).start()
    logging.getLogger(__name__).info(
        "serving on %s:%s (%d threads), Rasa actions on %s:%s (%d threads)",
        settings.app_host,
        settings.app_port,
        threads,
        settings.action_host,
        settings.action_port,
        settings.action_threads,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly: the index is saved below
    try:
        main.run()
    finally:
        actions.close()
        main.close()
        kb.stop_follower()
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@click.command()
@click.option("--interval", type=float, default=None, help="秒；默认 HOTLINE_SWEEP_INTERVAL 或 60")
@click.option("--once", is_flag=True, help="只运行一次 SLA 巡检后退出")
def worker(interval, once) -> None:
    """Scale mode: run the scheduled jobs (SLA sweep, retention purge) in their own process."""
    from datetime import datetime

    from webapp.jobs import worker_scheduler
    from work_orders import sweep

    services = build_services(load_settings())  # the embedding model loads only if the 12345 KB sync runs
    if once:
        click.echo(sweep.sweep(services.db, datetime.now(UTC)))
        return
    scheduler = worker_scheduler(services, interval)
    logging.getLogger(__name__).info(
        "worker started: %s", ", ".join(job.id for job in scheduler.get_jobs())
    )  # devtools/scale.py waits for this line
    scheduler.start()


@click.command()
@click.option("--port", type=int, default=None, help="端口；默认取 HOTLINE_RASA_URL 的端口")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
def bot(port, host) -> None:
    """One bot (Rasa) in the foreground, for process managers (deploy/systemd/bot@.service): the embedded
    default's endpoints, or in scale mode (HOTLINE_TRACKER_STORE_URL) PostgreSQL tracker store + Redis lock store."""
    settings = load_settings()
    if not procs.MODEL_PATH.exists():
        sys.exit("没有找到 Rasa 模型 var/models/hotline.tar.gz，请先运行 `make model`。")
    cmd = procs.bot_command(settings, port=port, host=host)
    os.chdir(procs.ROOT)
    os.execve(cmd[0], cmd, procs.bot_env(settings))


@click.command()
def run() -> None:
    """Start bot and app on the embedded default; Ctrl-C stops both."""
    if not os.environ.get("HOTLINE_WECHAT_APPID"):  # try the official account with devtools/wechat_sim.py
        os.environ.setdefault("HOTLINE_WECHAT_SIMULATOR", "1")
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


COMMANDS = (init, run, serve, worker, bot)
