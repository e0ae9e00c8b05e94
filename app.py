"""AllianceMark (联盟标志授权系统): the application factory."""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from flask import Flask, request, session

DEV_SECRET = "dev-only-not-secret"


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    configure(app, config or {})
    register_log_masking(app)
    register_extensions(app)
    register_audit(app)
    register_verify_cache(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "alliancemark.db")
    # psycopg 3 is the driver; plain postgres:// URLs (Heroku style) are accepted too.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def configure(app: Flask, overrides: dict) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    env = os.environ.get("ALLIANCEMARK_ENV", "development")
    app.config.update(
        ENV_NAME=env,
        SECRET_KEY=os.environ.get("SECRET_KEY", DEV_SECRET),
        SQLALCHEMY_DATABASE_URI=database_url(app.instance_path),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        OFFICIAL_DOMAIN=os.environ.get("OFFICIAL_DOMAIN", ""),
        KEYS_DIR=os.environ.get("ALLIANCEMARK_KEYS_DIR", str(Path(app.instance_path) / "keys")),
        UPLOAD_DIR=os.environ.get("ALLIANCEMARK_UPLOAD_DIR", str(Path(app.instance_path) / "uploads")),
        RATELIMIT_STORAGE_URI=os.environ.get("REDIS_URL", "memory://"),
        MAX_CONTENT_LENGTH=int(os.environ.get("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)),
        # Public verification: how stale a status may be at most, and how often scans are written.
        VERIFY_EPOCH_CHECK_SECONDS=float(os.environ.get("VERIFY_EPOCH_CHECK_SECONDS", 1.0)),
        SCAN_FLUSH_SECONDS=float(os.environ.get("SCAN_FLUSH_SECONDS", 1.0)),
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(app.root_path) / "translations"),
        LANGUAGES={"zh": "中文", "en": "English"},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("PUBLIC_BASE_URL", "").lower().startswith("https"),
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(overrides)
    # Cookies travel only over HTTPS when the site is served over HTTPS (the public base URL says so).
    https = app.config["PUBLIC_BASE_URL"].lower().startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in overrides:
            app.config[key] = https
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    secret = app.config["SECRET_KEY"] or ""
    if app.config["ENV_NAME"] == "production" and (secret == DEV_SECRET or len(secret) < 16):
        raise RuntimeError("SECRET_KEY must be set to a real secret (16+ characters) in production")


# Secrets that must never reach a log line, whoever logs it (app, werkzeug, gunicorn, SQLAlchemy echo).
_SECRET_PATTERNS = (
    (re.compile(r"(?i)(\b(?:proxy-)?authorization\b[\"']?\s*[:=,]\s*[\"']?)(?:bearer|basic|token)?\s*[^\s\"',;&)]+"),
     r"\1***"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1***"),
    (re.compile(r"(?i)([\"']?\b(?:password|passwd|new_password|secret(?:_key)?|api_key|access_token|token|csrf_token)"
                r"\b[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s&,;)]+)"), r"\1***"),
    (re.compile(r"\b(?:scrypt|pbkdf2)(?::[\w]+)*\$[^\s'\",)]+"), "***"),  # werkzeug password hashes
    (re.compile(r"(?i)(session=)[^\s;,]+"), r"\1***"),
)


def mask_secrets(message: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        message = pattern.sub(replacement, message)
    return message


def register_log_masking(app: Flask) -> None:
    """Mask tokens, passwords and Authorization headers in every log record, whichever logger made it."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_secrets", False):
        return

    def masked_record(*args, **kwargs):
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not ours
            return record
        cleaned = mask_secrets(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[0] is not None:
            # Exception texts quote what they failed on; format them now so the mask applies to them too.
            record.exc_text = mask_secrets(logging.Formatter().formatException(record.exc_info))
        return record

    masked_record.masks_secrets = True
    logging.setLogRecordFactory(masked_record)


def select_locale() -> str:
    from flask import current_app

    wanted = request.args.get("lang") or session.get("lang")
    if wanted in current_app.config["LANGUAGES"]:
        return wanted
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_extensions(app: Flask) -> None:
    from extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    # Batch mode lets later migrations alter tables on SQLite too.
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"

    from accounts.models import User

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id))


def register_audit(app: Flask) -> None:
    """Record every ORM write in the hash-chained audit trail (accounts.audit)."""
    from accounts import audit

    audit.install()


def register_verify_cache(app: Flask) -> None:
    """Let writes invalidate the public verification cache (trademark.verify_cache)."""
    from trademark import verify_cache

    verify_cache.install()


def register_blueprints(app: Flask) -> None:
    import api
    from accounts import views as accounts_views
    from compliance import api as compliance_api
    from compliance import views as compliance_views
    from inspections import api as inspections_api
    from inspections import views as inspections_views
    from trademark import api as trademark_api
    from trademark import views as trademark_views
    from extensions import csrf

    for module in (accounts_views, compliance_views, inspections_views, trademark_views):
        app.register_blueprint(module.bp)
    for module in (compliance_api, inspections_api, trademark_api):
        # The API authenticates with bearer tokens only (accounts.access), so CSRF does not apply.
        csrf.exempt(module.bp)
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)


def register_error_handlers(app: Flask) -> None:
    import api

    api.register_error_handlers(app)
    api.register_request_guards(app)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def _template_globals():
        from accounts.access import current_actor

        return {"actor": current_actor(), "lang": select_locale()}

    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions


def register_cli(app: Flask) -> None:
    from accounts import cli as accounts_cli
    from compliance import cli as compliance_cli
    from inspections import cli as inspections_cli
    from trademark import cli as trademark_cli

    for module in (accounts_cli, compliance_cli, inspections_cli, trademark_cli):
        module.register(app)
