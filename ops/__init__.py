"""Outsourced customer-service operations manager: the application factory."""

import fcntl
import sqlite3
from pathlib import Path

from flask import Flask, current_app, redirect, render_template, request, session, url_for
from flask_babel import LazyString
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ops.api import PUBLIC_BLUEPRINTS as API_BLUEPRINTS
from ops.audit.services import summary_text as audit_summary_text
from ops.config import Config, finalise
from ops.extensions import babel, bootstrap, csrf, db, login_manager, migrate
from ops.sqlitelock import BUSY_TIMEOUT_MS, begin_immediate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    finalise(app.config, app.instance_path)
    if app.config.get("PROXIES"):
        # Behind N reverse proxies, trust their X-Forwarded-For/-Proto (never by default: a client
        # could forge its address and escape the per-address login throttle).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXIES"], x_proto=app.config["PROXIES"])
    from ops.urls import DatabaseIntConverter

    app.url_map.converters["int"] = DatabaseIntConverter  # ids beyond 64 bits: 404, not OverflowError

    register_extensions(app)
    register_queue(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    if app.config.get("AUTO_MIGRATE"):
        apply_migrations(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Transactions are begun by us, not by the driver: reads run outside a transaction (no stale
        # snapshot that would make a later write fail with "database is locked"); the first write of a
        # unit of work takes the write lock with BEGIN IMMEDIATE (ops.sqlitelock: polled, up to the busy
        # timeout), and ops.transactions.write_transaction takes it before its reads.
        dbapi_connection.isolation_level = None


_SQLITE_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_begin_before_write(conn, cursor, statement, parameters, context, executemany):
    if conn.dialect.name != "sqlite":
        return
    dbapi_connection = conn.connection.dbapi_connection
    if not dbapi_connection.in_transaction and statement.lstrip()[:9].upper().startswith(_SQLITE_WRITES):
        begin_immediate(dbapi_connection)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    from ops.dbtypes import compare_migration_type, render_migration_type

    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=compare_migration_type,
        render_item=render_migration_type,
    )
    csrf.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations")
    )
    from flask_babel import gettext

    from ops import i18n

    i18n.set_translator(gettext)  # pure modules' lazy messages (ops.i18n._l) speak the request's language
    from ops.notify.dispatching import install_dispatch
    from ops.notify.mail import configure_mail

    configure_mail(app)
    install_dispatch(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page itself explains
    login_manager.session_protection = "basic"

    from ops.auth.models import User
    from ops.extensions import db as _db

    @login_manager.user_loader
    def load_user(session_id: str):
        try:
            user_id, version = (int(part) for part in session_id.split(":"))
        except ValueError:
            return None
        user = _db.session.get(User, user_id)
        if user is None or not user.is_active_user or user.session_version != version:
            return None
        return user


def register_queue(app: Flask) -> None:
    """Point the task queue at its storage and register every task (docs/queue.md)."""
    from ops.tasks.queue import configure
    from ops.tasks.runtime import import_task_modules

    configure(app)
    import_task_modules()


def register_blueprints(app: Flask) -> None:
    # The portal's pages live beside their domains; importing them adds their routes to the portal.
    import ops.portal.amendments  # noqa: F401
    import ops.portal.billing  # noqa: F401
    import ops.portal.contracts  # noqa: F401
    import ops.portal.onboarding  # noqa: F401
    import ops.portal.training  # noqa: F401
    from ops.audit.views import bp as audit_bp
    from ops.auth.token_views import bp as tokens_bp
    from ops.auth.views import admin_bp as users_bp
    from ops.auth.views import bp as auth_bp
    from ops.bank.views import bp as bank_bp
    from ops.billing.extras_views import bp as dated_extras_bp
    from ops.billing.public_views import bp as verify_bp
    from ops.billing.views import bp as billing_bp
    from ops.clients.views import bp as clients_bp
    from ops.contracts.admin_views import bp as contract_admin_bp
    from ops.contracts.amendment_views import bp as amendments_bp
    from ops.contracts.views import bp as contracts_bp
    from ops.fapiao.views import bp as fapiao_bp
    from ops.main.views import bp as main_bp
    from ops.notify.admin_views import bp as outbox_bp
    from ops.notify.views import bp as notifications_bp
    from ops.onboarding.admin_views import bp as onboarding_admin_bp
    from ops.onboarding.views import bp as onboarding_bp
    from ops.portal.views import bp as portal_bp
    from ops.quotes.views import bp as quotes_bp
    from ops.ratecards.views import bp as ratecards_bp
    from ops.tasks.views import bp as jobs_bp
    from ops.training.views import bp as training_bp
    from ops.usage.api import bp as api_bp
    from ops.usage.views import bp as usage_bp
    from ops.webhooks.views import bp as webhooks_bp

    for blueprint in (
        auth_bp,
        users_bp,
        audit_bp,
        main_bp,
        clients_bp,
        quotes_bp,
        ratecards_bp,
        contracts_bp,
        contract_admin_bp,
        amendments_bp,
        training_bp,
        onboarding_bp,
        onboarding_admin_bp,
        usage_bp,
        billing_bp,
        bank_bp,
        verify_bp,
        dated_extras_bp,
        fapiao_bp,
        api_bp,
        portal_bp,
        tokens_bp,
        notifications_bp,
        outbox_bp,
        jobs_bp,
        webhooks_bp,
    ):
        app.register_blueprint(blueprint)
    from ops.api import init_api

    init_api(app, api_bp)  # the REST API's resource blueprints, document, docs page and rate limits
    import ops.models  # noqa: F401  (every model registered on the metadata, for migrations)


PUBLIC_ENDPOINTS = {"auth.login", "static", "bootstrap.static", "main.set_language", "main.healthz"}
# Blueprints that authenticate on their own (API tokens) instead of the login session.
SELF_AUTHENTICATED_BLUEPRINTS = {"api"} | API_BLUEPRINTS


def is_public(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return True
    if endpoint.split(".", 1)[0] in SELF_AUTHENTICATED_BLUEPRINTS:
        return True
    view = app.view_functions.get(endpoint)
    return bool(getattr(view, "is_public", False))


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def require_login():
        if is_public(app, request.endpoint):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.must_change_password and request.endpoint not in {
            "auth.change_password",
            "auth.logout",
        }:
            return redirect(url_for("auth.change_password"))
        return None

    @app.teardown_request
    def forget_request_user(_exc):
        # The logged-in user is cached on ``g``; forget it with the request, so that an
        # application context shared by several requests (CLI, tests) never mixes users.
        from flask import g

        g.pop("_login_user", None)
        g.pop("_flask_babel", None)  # the locale Flask-Babel picked for this request, likewise

    @app.after_request
    def security_headers(response):
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        if app.config.get("HSTS"):
            response.headers["Strict-Transport-Security"] = app.config["HSTS"]
        if current_user.is_authenticated and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


def select_locale():
    from flask import current_app, has_request_context

    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


API_ERROR_DETAILS = {
    403: "没有权限。",
    404: "没有这个地址或对象。",
    405: "该地址不支持这个请求方法。",
    413: "请求体过大，请分批提交（每批最多 5000 行）。",
    500: "服务器内部错误，未保存任何数据；请稍后重试。",
}


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


def register_errorhandlers(app: Flask) -> None:
    from werkzeug.exceptions import HTTPException

    from ops.api.problems import http_problem, problem

    def render_error(code: int, template: str, exc=None, **context):
        if _is_api_request():  # the API answers every status as application/problem+json
            allow = exc.get_headers() if code == 405 and exc is not None else None
            return problem(
                code, API_ERROR_DETAILS.get(code, ""), headers=[h for h in allow or [] if h[0] == "Allow"]
            )
        return render_template(f"errors/{template}.html", code=code, **context), code

    @app.errorhandler(HTTPException)
    def other_http_error(e):
        # Statuses without a page of their own (400, 401, 429 …): problem+json on the API, as-is elsewhere.
        return http_problem(e) if _is_api_request() else e

    app.register_error_handler(403, lambda e: render_error(403, "403"))
    app.register_error_handler(404, lambda e: render_error(404, "404"))
    app.register_error_handler(405, lambda e: render_error(405, "405", e))
    app.register_error_handler(413, lambda e: render_error(413, "413"))
    app.register_error_handler(CSRFError, lambda e: render_error(400, "csrf"))

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return render_error(500, "500")


def register_template_helpers(app: Flask) -> None:
    from ops import money
    from ops.auth.roles import ROLE_LABELS
    from ops.forms import LanguageForm
    from ops.nav import navigation
    from ops.timeutil import local

    app.jinja_env.filters["fen"] = money.format_fen
    app.jinja_env.filters["bp"] = money.format_bp
    app.jinja_env.filters["multiplier"] = money.format_multiplier
    app.jinja_env.filters["upper"] = money.to_chinese_upper
    from ops.billing.pdf import format_quantity

    app.jinja_env.filters["qty"] = format_quantity
    from ops.web import label

    app.jinja_env.globals["label"] = label  # {{ label("shift", a.shift) }}: one way to show any code
    from flask_babel import gettext

    # gettext as a plain function, for Python helpers a template calls: wording.due_text(..., gettext=translate)
    app.jinja_env.globals["translate"] = gettext

    @app.template_filter("dt")
    def format_datetime(value):
        value = local(value)
        return value.strftime("%Y-%m-%d %H:%M") if value else ""

    @app.context_processor
    def layout_context():
        return {
            "nav_items": navigation(),
            "role_labels": ROLE_LABELS,
            "language_form": LanguageForm(formdata=None),  # never reads the request (a 413 must still render)
            "current_lang": select_locale(),
            "languages": app.config["LANGUAGES"],
            # The vendor's own name from its /admin/vendor profile, read only when a page shows it.
            "vendor_name": LazyString(_vendor_display_name),
            "audit_summary": audit_summary_text,  # a history entry's summary in the reader's language
        }


def _vendor_display_name() -> str:
    """The vendor's name as its profile says (``vendor_identity``: ``OPS_VENDOR_NAME`` until a profile is
    saved), or the configured name when the database cannot answer (the error page of a failed
    transaction)."""
    import sqlalchemy as sa

    from ops.contracts.services.vendor import vendor_identity

    try:
        return vendor_identity().name
    except sa.exc.SQLAlchemyError:
        return current_app.config["VENDOR_NAME"]


def register_cli(app: Flask) -> None:
    from ops.cli import ops_cli

    app.cli.add_command(ops_cli)
    from ops.quotes.cli import quotes_cli

    app.cli.add_command(quotes_cli)
    from ops.contracts.cli import contracts_cli

    app.cli.add_command(contracts_cli)
    from ops.billing.cli import billing_cli

    app.cli.add_command(billing_cli)
    from ops.usage.cli import usage_cli

    app.cli.add_command(usage_cli)
    from ops.auth.token_cli import tokens_cli

    app.cli.add_command(tokens_cli)


def apply_migrations(app: Flask) -> None:
    """Bring the database to the newest migration at start-up (serialised across workers)."""
    from flask_migrate import upgrade

    lock_path = Path(app.instance_path) / "migrate.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock, app.app_context():
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            upgrade(directory=str(ROOT / "migrations"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
