"""Flask application factory: one blueprint per feature, services built once and shared."""
from __future__ import annotations

import logging

from apiflask import APIFlask

from hotline.settings import Settings, load_settings

from .errors import register_error_handlers
from .schemas import ERROR_SCHEMA, Int32Converter
from .services import Services, build_services

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, services: Services | None = None) -> APIFlask:
    settings = settings or load_settings()
    app = APIFlask(
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

    from .views import actions, chat, handoff, kb, kb_admin, miniprogram, staff_auth, wechat, work_orders

    app.register_blueprint(chat.bp)
    app.register_blueprint(kb.bp)
    app.register_blueprint(actions.bp)
    app.register_blueprint(staff_auth.bp)
    app.register_blueprint(kb_admin.bp)
    app.register_blueprint(work_orders.bp)
    app.register_blueprint(handoff.bp)
    app.register_blueprint(wechat.bp)
    app.register_blueprint(miniprogram.bp)
    from .views import sync as sync_views  # the 12345 link

    app.register_blueprint(sync_views.bp)
    return app
