"""Real `bot` and `app` processes on random ports, for integration tests, browser tests and benchmarks."""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from hotline import procs
from hotline.settings import Settings, load_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    """n distinct free ports (free_port() may hand out the same one twice before anything has bound it)."""
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def app_ports_env() -> dict:
    """HOTLINE_PORT and HOTLINE_ACTION_PORT on free ports, for an app process beside others on this machine."""
    app, action = free_ports(2)
    return {"HOTLINE_PORT": str(app), "HOTLINE_ACTION_PORT": str(action)}


@dataclass
class LiveStack:
    settings: Settings
    var: Path
    env: dict = field(default_factory=dict)  # HOTLINE_* settings given to live_stack, for the processes too
    bot = None
    app = None

    @property
    def base(self) -> str:
        return f"http://{self.settings.app_host}:{self.settings.app_port}"

    def start_bot(self) -> None:
        if not procs.MODEL_PATH.exists():
            raise RuntimeError("Rasa model missing: run `make model` (make test does)")
        self.bot = procs.start(
            procs.bot_command(self.settings), {**procs.bot_env(self.settings), **self.env}, self.var / "bot.log"
        )
        url = f"{self.settings.rasa_url}/status?token={self.settings.rasa_token}"
        if not procs.wait_http(url, 240, self.bot):
            raise RuntimeError("bot did not start:\n" + (self.var / "bot.log").read_text()[-3000:])

    def start_app(self) -> None:
        self.app = procs.start(procs.app_command(), {**procs.app_env(self.settings), **self.env}, self.var / "app.log")
        if not procs.wait_http(self.base + "/api/health", 120, self.app):
            raise RuntimeError("app did not start:\n" + (self.var / "app.log").read_text()[-3000:])

    def stop(self) -> None:
        for proc in (self.app, self.bot):
            if proc is not None:
                procs.stop(proc)


def live_stack(seeded_dir: Path, tmp: Path, **env: str) -> LiveStack:
    """Start app and bot over a copy of ``seeded_dir`` (a var dir whose KB is already ingested); ``env`` sets
    further HOTLINE_* settings, e.g. ``HOTLINE_SERVICE_HOURS``."""
    env = {"HOTLINE_WECHAT_SIMULATOR": "1", **env}  # the official account answers the simulator
    var = tmp / "var"
    shutil.copytree(seeded_dir, var)
    app, action, bot = free_ports(3)
    settings = load_settings(
        {
            "HOTLINE_VAR_DIR": str(var),
            "HOTLINE_PORT": str(app),
            "HOTLINE_ACTION_PORT": str(action),
            "HOTLINE_RASA_URL": f"http://127.0.0.1:{bot}",
            "HOTLINE_RASA_TIMEOUT": "20",
            **env,
        }
    )
    stack = LiveStack(settings=settings, var=var, env=env)
    stack.start_app()
    stack.start_bot()
    return stack
