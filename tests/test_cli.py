"""The command line and the composition root: every command is listed, every service comes from
`build_services`, and `serve` and `worker` schedule their jobs with the one function `webapp.jobs.schedule_jobs`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.settings import load_settings
from tests.conftest import make_settings
from webapp import create_app, jobs
from webapp.cli import cli
from webapp.services import build_services

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    "bot",
    "calibrate",
    "import",
    "ingest",
    "init",
    "reindex",
    "report",
    "report-due",
    "run",
    "serve",
    "surge-check",
    "sync-export",
    "sync-kb",
    "sync-log",
    "sync-orders-import",
    "sync-outbox",
    "topics",
    "unit-add",
    "user-add",
    "user-passwd",
    "vocab-learn",
    "wechat-menu",
    "worker",
]
LIFECYCLE = [
    "sla_sweep",
    "retention_purge",
    "gap_purge",
    "chat_history_purge",
    "tracker_purge",
    "kb_calibration",
    "wechat_notices",
    "wechat_pushes",
    "surge_detect",
    "text_vector_purge",
    "report_schedule",
    "handoff_expire",
]
SYNC = ["sync_kb", "sync_outbox"]


def test_help_lists_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "webapp.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: python -m webapp.cli")
    listed = [line.split()[0] for line in out.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == COMMANDS
    assert sorted(cli.commands) == COMMANDS


def _services(tmp_path, **env):
    return build_services(make_settings(tmp_path, **env))


@pytest.fixture
def spy(monkeypatch):
    """Record every call of the one scheduling function."""
    calls = []
    real = jobs.schedule_jobs

    def schedule_jobs(scheduler, services, sweep_interval):
        calls.append(sweep_interval)
        return real(scheduler, services, sweep_interval)

    monkeypatch.setattr(jobs, "schedule_jobs", schedule_jobs)
    return calls


def _ids(scheduler):
    return [job.id for job in scheduler.get_jobs()]


def test_serve_and_worker_schedule_the_same_jobs(tmp_path, spy):
    svc = _services(
        tmp_path,
        HOTLINE_SYNC_URL="http://127.0.0.1:9/12345",
        HOTLINE_SWEEP_INTERVAL="45",
        HOTLINE_SYNC_INTERVAL="600",
        HOTLINE_SYNC_OUTBOX_INTERVAL="20",
        HOTLINE_WECHAT_NOTIFY_INTERVAL="30",
    )
    app, worker = jobs.app_scheduler(svc), jobs.worker_scheduler(svc)
    assert spy == [45, 45]  # both went through schedule_jobs
    assert _ids(app) == _ids(worker) == LIFECYCLE + SYNC
    assert type(app).__name__ == "BackgroundScheduler" and type(worker).__name__ == "BlockingScheduler"
    assert not app.running and not worker.running
    now = datetime.now(UTC)
    for scheduler in (app, worker):
        by_id = {job.id: job for job in scheduler.get_jobs()}
        assert all(job.max_instances == 1 and job.coalesce for job in by_id.values())
        intervals = {
            i: by_id[i].trigger.interval.total_seconds()
            for i in (
                "sla_sweep",
                "kb_calibration",
                "wechat_notices",
                "wechat_pushes",
                "handoff_expire",
                "sync_kb",
                "sync_outbox",
            )
        }
        assert intervals == {
            "sla_sweep": 45,
            "kb_calibration": 300,
            "wechat_notices": 30,
            "wechat_pushes": 30,
            "handoff_expire": 60,
            "sync_kb": 600,
            "sync_outbox": 20,
        }
        assert [
            (str(by_id[i].trigger.fields[5]), str(by_id[i].trigger.fields[6]))
            for i in ("retention_purge", "gap_purge", "chat_history_purge", "tracker_purge")
        ] == [("3", "30"), ("3", "40"), ("3", "45"), ("3", "50")]
        for i in ("sla_sweep", "sync_kb", "sync_outbox"):  # the first run is at once, not one interval later
            assert abs((by_id[i].next_run_time - now).total_seconds()) < 30


def test_scale_mode_leaves_the_lifecycle_jobs_to_the_worker(tmp_path, spy):
    svc = _services(tmp_path, HOTLINE_SYNC_URL="http://127.0.0.1:9/12345", HOTLINE_SWEEP_INTERVAL="0")
    assert _ids(jobs.app_scheduler(svc)) == SYNC  # the 12345 jobs still run in the app
    worker = jobs.worker_scheduler(svc)
    assert _ids(worker) == LIFECYCLE + SYNC
    assert worker.get_job("sla_sweep").trigger.interval.total_seconds() == 60
    assert jobs.worker_scheduler(svc, 5).get_job("sla_sweep").trigger.interval.total_seconds() == 5
    assert spy == [0, 60, 5]


def test_apps_in_scale_mode_run_no_jobs_the_worker_runs_them_all(tmp_path):
    svc = _services(tmp_path, HOTLINE_SYNC_URL="http://127.0.0.1:9/12345", HOTLINE_APP_JOBS="0")
    assert jobs.app_scheduler(svc) is None
    assert _ids(jobs.worker_scheduler(svc)) == LIFECYCLE + SYNC


def test_without_the_12345_link_no_sync_jobs(tmp_path):
    svc = _services(tmp_path, HOTLINE_SWEEP_INTERVAL="0", HOTLINE_WECHAT_NOTIFY_INTERVAL="0")
    assert jobs.app_scheduler(svc) is None  # nothing to run in the app: no scheduler thread at all
    assert _ids(jobs.worker_scheduler(svc)) == [
        "sla_sweep",
        "retention_purge",
        "gap_purge",
        "chat_history_purge",
        "tracker_purge",
        "kb_calibration",
        "surge_detect",
        "text_vector_purge",
        "report_schedule",
        "handoff_expire",
    ]


def test_the_sync_service_is_built_with_the_others(tmp_path):
    """Registering the 12345 blueprint builds nothing: the app uses the services it was given."""
    svc = _services(tmp_path, HOTLINE_SYNC_URL="http://127.0.0.1:9/12345")
    assert svc.sync.kb is svc.kb and svc.sync.exchange.work_orders is svc.work_orders
    assert svc.sync.exchange.on_event in svc.work_orders.listeners  # outbox rows from the first order change on
    app = create_app(svc.settings, services=svc)
    assert app.extensions["hotline"] is svc and "sync" not in app.extensions
    with app.app_context():
        from webapp.views.sync import sync_service

        assert sync_service() is svc.sync


def test_commands_use_the_services(tmp_path):
    env = {"HOTLINE_VAR_DIR": str(tmp_path), "HOTLINE_RASA_URL": "http://127.0.0.1:9"}
    runner = CliRunner()
    out = runner.invoke(
        cli, ["user-add", "ed", "--role", "editor", "--name", "编辑"], input="editor-pass-12\neditor-pass-12\n", env=env
    )
    assert out.exit_code == 0, out.output
    assert "created ed roles=editor" in out.output
    out = runner.invoke(cli, ["unit-add", "新乡市交通运输局", "--region", "河南省新乡市", "--domain", "公路"], env=env)
    assert out.exit_code == 0 and "已添加承办单位 新乡市交通运输局 (id=" in out.output, out.output
    out = runner.invoke(cli, ["unit-add", "新乡市交通运输局", "--region", "河南省新乡市", "--domain", "公路"], env=env)
    assert out.exit_code == 1 and "已存在" in out.output  # the domain's error, in Chinese
    out = runner.invoke(cli, ["worker", "--once"], env=env)
    assert out.exit_code == 0 and out.output.startswith("{"), out.output  # the sweep's counts
    out = runner.invoke(cli, ["sync-log"], env=env)
    assert out.exit_code == 0 and out.output == "", out.output
    out = runner.invoke(cli, ["sync-kb"], env=env)
    assert out.exit_code == 1 and "未配置 12345 接口" in out.output
    out = runner.invoke(cli, ["vocab-learn"], env=env)
    assert out.exit_code == 0 and "已读取 0 篇文章；建议 0 条" in out.output, out.output
    out = runner.invoke(cli, ["report", "--period", "2026-10", "--out", str(tmp_path / "rp")], env=env)
    assert out.exit_code == 0, out.output
    assert "… 统计2026年10月全辖区的工单指标" in out.output and "第1版（草稿）" in out.output
    assert "报送期限：2026-11-06" in out.output  # 5th working day of November 2026
    assert sorted(p.name for p in (tmp_path / "rp").iterdir()) == [
        "report-1-v1.docx",
        "report-1-v1.pdf",
        "report-1-v1.xlsx",
    ]
    out = runner.invoke(cli, ["report", "--kind", "annual", "--period", "26"], env=env)
    assert out.exit_code == 1 and "年" in out.output
    out = runner.invoke(cli, ["report-due"], env=env)
    assert out.exit_code == 0 and "份报告草稿" in out.output, out.output
    svc = build_services(make_settings(tmp_path))
    assert svc.accounts.login("ed", "editor-pass-12", "127.0.0.1")[2].roles == ("editor",)
    accounts = build_services(load_settings(env)).accounts
    token, _, _ = accounts.login("ed", "editor-pass-12")
    out = runner.invoke(cli, ["user-passwd", "ed"], input="editor-pass-34\neditor-pass-34\n", env=env)
    assert out.exit_code == 0 and "已为 ed 设置新密码" in out.output, out.output
    assert accounts.verify(token) is None  # signed out everywhere
    assert accounts.login("ed", "editor-pass-34")[2].username == "ed"
    out = runner.invoke(cli, ["user-passwd", "nobody"], input="x-pass-123456\nx-pass-123456\n", env=env)
    assert out.exit_code == 1 and "不存在" in out.output
    assert [u["name"] for u in svc.work_orders.units()] == ["新乡市交通运输局"]


def test_a_worker_starts_without_the_embedding_model(tmp_path):
    """Only the KB needs the model, and only when it embeds: the worker's jobs run without it."""
    from dataclasses import replace

    from knowledge_base.embedder import EmbeddingModelMissing

    svc = build_services(replace(make_settings(tmp_path), embedding_model=""))
    assert _ids(jobs.worker_scheduler(svc))[:2] == ["sla_sweep", "retention_purge"]
    assert svc.kb.article_count() == 0
    with pytest.raises(EmbeddingModelMissing):
        svc.kb.embedder.encode_one("预热")
