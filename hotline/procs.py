"""Starting and stopping the two processes (bot = Rasa in its own env, app = Flask)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from .settings import ROOT, Settings

BOT_PYTHON_ENV = ROOT / ".venv-bot"
MODEL_PATH = ROOT / "var" / "models" / "hotline.tar.gz"


def action_url(settings: Settings) -> str:
    """Where the bot calls our custom actions: the app's action listener (its own port and threads)."""
    host = settings.action_host if settings.action_host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{settings.action_port}/webhook"


# Scale mode: how long a bot's ticket in the Redis lock store lives when its bot dies holding it (Rasa's default is
# 60 s, during which the conversation's next turn would wait on another replica); longer than a turn may take.
TICKET_LOCK_LIFETIME = 20


def scale_endpoints(settings: Settings) -> dict:
    """The bots' endpoints in scale mode: Rasa's SQL tracker store on PostgreSQL and its Redis lock store, from
    HOTLINE_TRACKER_STORE_URL (postgresql://user:password@host:port/db) and HOTLINE_LOCK_STORE_URL
    (redis://[:password@]host:port/db, default HOTLINE_REDIS_URL). Same model, same action endpoint."""
    pg = urlsplit(settings.tracker_store_url)
    if pg.scheme not in ("postgresql", "postgres", "postgresql+psycopg2") or not pg.path.strip("/"):
        raise ValueError("HOTLINE_TRACKER_STORE_URL must look like postgresql://user:password@host:5432/db")
    tracker = {
        "type": "SQL",
        "dialect": "postgresql",
        "url": pg.hostname or "127.0.0.1",
        "port": pg.port or 5432,
        "db": pg.path.strip("/"),
        "username": unquote(pg.username or "postgres"),
    }
    if pg.password:
        tracker["password"] = unquote(pg.password)
    endpoints = {
        # the values themselves: Rasa substitutes ${VARS} only in plain YAML scalars, not in JSON's quoted ones
        "action_endpoint": {"url": settings.bot_action_url or action_url(settings), "token": settings.action_token},
        "tracker_store": tracker,
    }
    lock_url = settings.lock_store_url or settings.redis_url
    if lock_url:
        rd = urlsplit(lock_url)
        if rd.scheme not in ("redis", "rediss"):
            raise ValueError("HOTLINE_LOCK_STORE_URL must look like redis://host:6379/0")
        lock = {
            "type": "redis",
            "url": rd.hostname or "127.0.0.1",
            "port": rd.port or 6379,
            "db": int(rd.path.strip("/") or 0),
            "key_prefix": settings.redis_prefix,
            "use_ssl": rd.scheme == "rediss",
        }
        if rd.password:
            lock["password"] = unquote(rd.password)
        endpoints["lock_store"] = lock
    return endpoints


def bot_endpoints(settings: Settings) -> Path:
    """bot/endpoints.yml on the embedded default; in scale mode (HOTLINE_TRACKER_STORE_URL set) a file written
    under var/ from the environment (JSON is YAML; mode 0600, it may carry passwords)."""
    if not settings.tracker_store_url:
        return ROOT / "bot" / "endpoints.yml"
    if not settings.redis_prefix.isalnum():
        raise ValueError("HOTLINE_REDIS_PREFIX must be letters and digits (Rasa ignores any other key prefix)")
    path = settings.var_dir / "endpoints.scale.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(scale_endpoints(settings), indent=2, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def bot_env(settings: Settings) -> dict:
    env = dict(os.environ)
    if settings.tracker_store_url:
        env.setdefault("TICKET_LOCK_LIFETIME", str(TICKET_LOCK_LIFETIME))
    env.update(
        {
            "HOTLINE_ACTION_URL": settings.bot_action_url or action_url(settings),
            "HOTLINE_ACTION_TOKEN": settings.action_token,
            "HOTLINE_TRACKER_DB": str(settings.var_dir / "tracker.db"),
            "PYTHONPATH": str(ROOT),  # bot/channel.py, the channel the app talks to
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    return env


def bot_command(
    settings: Settings, model: Path = MODEL_PATH, port: int | None = None, host: str = "127.0.0.1"
) -> list[str]:
    """`rasa run` for one bot; `port` defaults to HOTLINE_RASA_URL's (scale mode gives each replica its own)."""
    port = str(port or settings.rasa_url.rsplit(":", 1)[-1].split("/")[0])
    return [
        str(BOT_PYTHON_ENV / "bin" / "rasa"),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(bot_endpoints(settings)),
        "--credentials",
        str(ROOT / "bot" / "credentials.yml"),
        "--enable-api",
        # (one argument: a token that starts with "-" would be read as an option — token_urlsafe makes one in 64)
        f"--auth-token={settings.rasa_token}",
        "--interface",
        host,
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
