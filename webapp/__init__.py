"""Flask application factory: one blueprint per feature, services built once and shared."""

from __future__ import annotations

import logging

from apiflask import APIFlask
from flask import request

from hotline.db import is_unavailable
from hotline.settings import Settings, load_settings

from .errors import register_error_handlers
from .schemas import ERROR_SCHEMA, Int32Converter, OneComponentPerSchema
from .security import init_security_headers
from .services import Services, build_services

log = logging.getLogger(__name__)


class HotlineFlask(OneComponentPerSchema, APIFlask):
    """APIFlask that repeats a read once when the database connection dropped under it (a PostgreSQL restart or
    a terminated backend); the pool's pre-ping gives the repeat a live connection. Writes are not repeated:
    they answer 503 with the busy JSON and the client retries (orders carry an Idempotency-Key)."""

    def dispatch_request(self):
        try:
            return super().dispatch_request()
        except Exception as exc:
            if request.method not in ("GET", "HEAD") or not is_unavailable(exc):
                raise
            log.warning("database connection lost during %s %s; repeating once", request.method, request.path)
            return super().dispatch_request()


def create_app(settings: Settings | None = None, services: Services | None = None) -> APIFlask:
    settings = settings or load_settings()
    app = HotlineFlask(
        __name__,
        title="12328 交通运输服务监督热线智能助手 API",
        version="1.0",
        spec_path="/api/openapi.json",
        docs_path="/api/docs",
    )
    app.config["SETTINGS"] = settings
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # queues, labels and options keep their meaningful order
    app.config["MAX_CONTENT_LENGTH"] = 12 * 1024 * 1024  # bulk import files up to 10 MB
    app.config["VALIDATION_ERROR_STATUS_CODE"] = 422
    app.config["VALIDATION_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["HTTP_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["INFO"] = {"description": "Web chat, knowledge-base search and editing, and the Rasa action endpoint."}
    app.config["SECURITY_SCHEMES"] = {"BearerAuth": {"type": "http", "scheme": "bearer"}}
    app.extensions["hotline"] = services or build_services(settings)

    app.url_map.converters["int"] = Int32Converter  # every <int:…> id fits the database's INTEGER
    register_error_handlers(app)
    init_security_headers(app)

    from .views import (
        chat,
        chat_history,
        console,
        handoff,
        kb,
        kb_admin,
        miniprogram,
        push,
        staff_admin,
        staff_auth,
        wechat,
        work_orders,
    )

    app.register_blueprint(chat.bp)
    app.register_blueprint(chat_history.bp)
    app.register_blueprint(kb.bp)
    app.register_blueprint(staff_auth.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(staff_admin.bp)
    app.register_blueprint(kb_admin.bp)
    app.register_blueprint(work_orders.bp)
    app.register_blueprint(handoff.bp)
    app.register_blueprint(wechat.bp)
    app.register_blueprint(miniprogram.bp)
    app.register_blueprint(push.bp)
    from .views import stats as stats_views  # statistics and supervision (issue 17)
    from .views import sync as sync_views  # the 12345 link

    app.register_blueprint(stats_views.bp)

    app.register_blueprint(sync_views.bp)
    from .views import supervision as supervision_views

    app.register_blueprint(supervision_views.bp)
    from .views import reports as reports_views  # monthly, annual and special reports (第三十二条)

    app.register_blueprint(reports_views.bp)
    return app


def create_action_app(services: Services) -> APIFlask:
    """The Rasa action endpoint alone, for a listener of its own (`serve` starts both).

    It shares the main app's services, so actions search the very KB cache that follows the change log and that
    editors' writes on this process update at once; but it has its own worker threads, so a bot waiting on an
    action never competes with the conversation turns that wait on the bot.
    """
    app = APIFlask(__name__ + ".actions", title="12328 Rasa action endpoint", enable_openapi=False)
    app.config["SETTINGS"] = services.settings
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = 12 * 1024 * 1024  # a long conversation's tracker
    app.config["HTTP_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.extensions["hotline"] = services
    register_error_handlers(app)
    from .views import actions

    app.register_blueprint(actions.bp)
    return app
