"""Starting and stopping the two processes (bot = Rasa in its own env, app = Flask)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from .settings import ROOT, Settings

BOT_PYTHON_ENV = ROOT / ".venv-bot"
MODEL_PATH = ROOT / "var" / "models" / "hotline.tar.gz"


def action_url(settings: Settings) -> str:
    """Where the bot calls our custom actions: the app's action listener (its own port and threads)."""
    host = settings.action_host if settings.action_host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{settings.action_port}/webhook"


def bot_env(settings: Settings) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "HOTLINE_ACTION_URL": action_url(settings),
            "HOTLINE_ACTION_TOKEN": settings.action_token,
            "HOTLINE_TRACKER_DB": str(settings.var_dir / "tracker.db"),
            "PYTHONPATH": str(ROOT),  # bot/channel.py, the channel the app talks to
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    return env


def bot_command(settings: Settings, model: Path = MODEL_PATH) -> list[str]:
    port = settings.rasa_url.rsplit(":", 1)[-1].split("/")[0]
    return [
        str(BOT_PYTHON_ENV / "bin" / "rasa"),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(ROOT / "bot" / "endpoints.yml"),
        "--credentials",
        str(ROOT / "bot" / "credentials.yml"),
        "--enable-api",
        # (one argument: a token that starts with "-" would be read as an option — token_urlsafe makes one in 64)
        f"--auth-token={settings.rasa_token}",
        "--interface",
        "127.0.0.1",
        "--port",
        port,
    ]


def app_env(settings: Settings) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "HOTLINE_VAR_DIR": str(settings.var_dir),
            "HOTLINE_DATABASE_URL": settings.database_url,
            "HOTLINE_INDEX_PATH": str(settings.index_path),
            "HOTLINE_RASA_URL": settings.rasa_url,
            "HOTLINE_RASA_TOKEN": settings.rasa_token,
            "HOTLINE_ACTION_TOKEN": settings.action_token,
            "HOTLINE_HOST": settings.app_host,
            "HOTLINE_PORT": str(settings.app_port),
            "HOTLINE_ACTION_HOST": settings.action_host,
            "HOTLINE_ACTION_PORT": str(settings.action_port),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def app_command() -> list[str]:
    return [sys.executable, "-m", "webapp.cli", "serve"]


def start(cmd: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")
    # Own process group, so a Ctrl-C in the terminal reaches us first and we stop children in order.
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None, ok=lambda r: r.ok) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            if ok(requests.get(url, timeout=2)):
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False
