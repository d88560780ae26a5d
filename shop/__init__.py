"""The shop application factory: the one place that knows every part."""
from __future__ import annotations

import hmac
import logging
import sys
from pathlib import Path
from typing import Any, Mapping

import click
from flask import Flask, jsonify
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import text

from . import db as database
from . import security
from .config import load_config

ROOT = Path(__file__).resolve().parent.parent
__version__ = "0.1.0"

csrf = CSRFProtect()
login_manager = LoginManager()
log = logging.getLogger(__name__)

# CLI commands that must work on a database that is not (yet) migrated.
COMMANDS_WITHOUT_MIGRATED_DB = {"init-db", "routes", "shell"}


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(Path(app.instance_path), overrides))
    security.refuse_simulator_in_production(app.config)
    database.init_app(app)
    csrf.init_app(app)
    Htmx(app)
    _init_login(app)
    from .error_pages import init_app as init_error_pages
    from .i18n import init_app as init_i18n
    from .web import init_app as init_web

    from .static_assets import init_app as init_static

    init_i18n(app)
    init_web(app)
    init_error_pages(app)
    init_static(app)
    from .images import init_app as init_images

    init_images(app)
    security.init_app(app)
    _register_blueprints(app)
    _register_rate_limits(app)
    _register_health(app)
    _init_klarna(app)
    from .mail import init_app as init_mail

    init_mail(app)
    from .cli import register as register_cli

    register_cli(app)
    if app.config.get("CHECK_MIGRATED", True) and not _running_command_without_db():
        database.assert_migrated(app)
    return app


def _init_login(app: Flask) -> None:
    from .models import User

    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """The cookie holds "id:generation" (User.get_id): an ended session's generation no longer matches."""
        user_id, _, generation = session_id.partition(":")
        user = database.db().get(User, int(user_id)) if user_id.isdigit() and len(user_id) < 10 else None
        if user is None or not user.active or generation != str(user.session_generation):
            return None
        return user


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .storefront import bp as storefront_bp

    app.register_blueprint(storefront_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")


def _register_rate_limits(app: Flask) -> None:
    """Anonymous writes that cost CPU (a password hash, an order and Klarna calls) are limited."""
    config = app.config
    login_failed = lambda response: response.status_code == 422  # noqa: E731
    security.limit(app, "admin.login", config["LOGIN_RATE_LIMIT"], deduct_when=login_failed)
    security.limit(app, "admin.login", config["LOGIN_RATE_LIMIT"], key=security.login_account,
                   deduct_when=login_failed)
    security.limit(app, "storefront.checkout", config["WRITE_RATE_LIMIT"])
    security.limit(app, "storefront.retry_payment", config["WRITE_RATE_LIMIT"])
    security.limit(app, "storefront.add", config["CART_RATE_LIMIT"])
    for callback in ("storefront.klarna_status_update", "storefront.klarna_notification"):
        security.limit(app, callback, config["CALLBACK_RATE_LIMIT"], key=security.order_token)


SIMULATOR_API_URL = "http://klarna.simulator"  # served in process: no socket, no self-call
SIMULATOR_PREFIX = "/_klarna"


def _init_klarna(app: Flask) -> None:
    """The Klarna gateway, and the offline simulator mounted at /_klarna when enabled."""
    import requests

    from .payments.gateway import KlarnaGateway

    http = requests.Session()
    simulator_url = None
    if app.config["SIMULATOR_ENABLED"]:
        _mount_simulator(app, http)
        simulator_url = SIMULATOR_API_URL
    app.extensions["klarna_gateway"] = KlarnaGateway(
        engine=database.get_engine(app), secret_key=app.config["SECRET_KEY"], http=http,
        simulator_base_url=simulator_url, base_url_override=app.config.get("KLARNA_BASE_URL"),
        timeout=(app.config["KLARNA_TIMEOUT_CONNECT"], app.config["KLARNA_TIMEOUT_READ"]),
    )


def _mount_simulator(app: Flask, http) -> None:
    import requests
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from .admin.simulator_guard import admin_login_guard
    from .simulator import create_app as create_simulator
    from .simulator.callbacks import ThreadedSender
    from .simulator.transport import SimulatorAdapter

    public_url = (app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    callbacks = requests.Session()  # the simulator's callbacks reach this app in process too
    callbacks.mount(public_url + "/", SimulatorAdapter(app))
    sender = app.config.get("SIMULATOR_CALLBACK_SENDER")
    if sender is None:
        sender = ThreadedSender(session=callbacks, delay=1.0)
    simulator = create_simulator({
        "SIMULATOR_ACCOUNTS": {app.config["SIMULATOR_USERNAME"]: app.config["SIMULATOR_SECRET"]},
        "SIMULATOR_PUBLIC_URL": public_url + SIMULATOR_PREFIX,
        "SIMULATOR_STORAGE": app.config["SIMULATOR_STORAGE"],
        "SIMULATOR_CALLBACK_SENDER": sender,
        "SIMULATOR_STAFF_GUARD": admin_login_guard(app, SIMULATOR_PREFIX),
        "SIMULATOR_SECRET_KEY": hmac.new(app.config["SECRET_KEY"].encode(), b"klarna-simulator", "sha256").hexdigest(),
    })
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {SIMULATOR_PREFIX: simulator.wsgi_app})
    http.mount(SIMULATOR_API_URL + "/", SimulatorAdapter(simulator))
    app.extensions["klarna_simulator"] = simulator.extensions["klarna_simulator"]
    app.extensions["klarna_simulator_app"] = simulator


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        try:
            database.db().exec(text("SELECT 1"))
            revision = database.current_revision(app)
            ok = revision == database.head_revision()
        except Exception as error:  # report, never raise: this is the probe's answer
            log.warning("health check failed: %s", error)
            return jsonify(status="error", database="unreachable"), 503
        status = "ok" if ok else "error"
        reports = _health_reports(app) if ok else {}
        return jsonify(status=status, database="ok" if ok else "not migrated", version=__version__, **reports), \
            (200 if ok else 503)


def _health_reports(app: Flask) -> dict[str, Any]:
    """What the shop can still do but not well: reported, the probe stays 200."""
    from .payments.callback_health import callback_health

    try:
        health = callback_health(database.db(), app.config.get("PUBLIC_URL"))
    except Exception as error:  # report, never raise
        log.warning("callback health could not be read: %s", error)
        return {}
    return {"klarna_callbacks": health.as_dict()}


def _running_command_without_db() -> bool:
    """`flask --app wsgi init-db` builds the app before click knows the command: look at argv too."""
    context = click.get_current_context(silent=True)
    while context is not None:
        if context.info_name in COMMANDS_WITHOUT_MIGRATED_DB:
            return True
        context = context.parent
    program = Path(sys.argv[0]).name if sys.argv else ""
    return program.startswith("flask") and any(arg in COMMANDS_WITHOUT_MIGRATED_DB for arg in sys.argv[1:])
