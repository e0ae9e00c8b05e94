"""AllianceMark (联盟标志授权系统): the application factory."""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from flask import Flask, has_request_context, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from infra.clock import DEFAULT_TIMEZONE, check_zone

DEV_SECRET = "dev-only-not-secret"


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, extensions, events, blueprints, error handlers, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    configure(app, config or {})
    register_proxies(app)
    register_log_masking(app)
    register_extensions(app)
    register_audit(app)
    register_verify_cache(app)
    register_events(app)
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
        # 11 MB lets a 10 MB phone photo and its form through (SPEC §5); the JSON API keeps 4 MB.
        MAX_CONTENT_LENGTH=int(os.environ.get("MAX_CONTENT_LENGTH", 11 * 1024 * 1024)),
        API_MAX_CONTENT_LENGTH=4 * 1024 * 1024,
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
        TIMEZONE=DEFAULT_TIMEZONE,
        TRUSTED_PROXIES=0,
    )
    # SPEC §12: every setting can come from the environment, ALLIANCEMARK_<NAME> setting <NAME>
    # (values parsed as JSON where they are JSON: numbers, booleans, lists).
    app.config.from_prefixed_env("ALLIANCEMARK")
    app.config.update(overrides)
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # Writers queue on SQLite's one write lock (infra.db): wait for it rather than fail at once.
        from infra.db import SQLITE_BUSY_TIMEOUT_SECONDS

        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, **options.get("connect_args", {})}
    elif str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        # No JIT compilation: it pays off for long analytic queries, and here it only added its
        # compile time (about 13 ms) to the few page queries whose estimated cost passes jit_above_cost.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"options": "-c jit=off", **options.get("connect_args", {})}
    check_zone(app.config["TIMEZONE"])
    app.config["TRUSTED_PROXIES"] = trusted_proxies(app.config["TRUSTED_PROXIES"])
    # Cookies travel only over HTTPS when the site is served over HTTPS (the public base URL says so).
    https = app.config["PUBLIC_BASE_URL"].lower().startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in overrides:
            app.config[key] = https
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    secret = app.config["SECRET_KEY"] or ""
    if app.config["ENV_NAME"] == "production" and (secret == DEV_SECRET or len(secret) < 16):
        raise RuntimeError("SECRET_KEY must be set to a real secret (16+ characters) in production")


def trusted_proxies(value) -> int:
    """Read ALLIANCEMARK_TRUSTED_PROXIES: how many reverse proxies stand in front (0 to 5)."""
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise RuntimeError(f"ALLIANCEMARK_TRUSTED_PROXIES must be a whole number, not {value!r}") from None
    if not 0 <= count <= 5:
        raise RuntimeError("ALLIANCEMARK_TRUSTED_PROXIES must be between 0 and 5")
    return count


def register_proxies(app: Flask) -> None:
    """Behind N trusted proxies, take the client's address and scheme from X-Forwarded-For/-Proto (SPEC §12)."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


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

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # a command or a job: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    wanted = request.args.get("lang") or session.get("lang")
    if wanted in languages:
        return wanted
    # SPEC §5: the pages follow Accept-Language, Chinese unless the browser prefers English.
    return request.accept_languages.best_match(list(languages), default=current_app.config["BABEL_DEFAULT_LOCALE"])


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from accounts import services as accounts
    from infra.db import db, install_column_limits
    from infra.extensions import babel, csrf, limiter, login_manager, migrate

    db.init_app(app)
    install_column_limits()  # SPEC §12: over-long text or out-of-range numbers are a 422, never a 500
    # Batch mode lets later migrations alter tables on SQLite too.
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("请先登录。")

    @login_manager.user_loader
    def load_user(user_id: str):
        # SPEC §10: a session lives on the server; a logged-out or disabled user's cookie opens nothing.
        return accounts.user_for_session(user_id, session.get(accounts.SESSION_KEY))


def register_audit(app: Flask) -> None:
    """Record every ORM write in the hash-chained audit trail (infra.audit), naming who made it."""
    from accounts.access import current_actor_name
    from infra import audit

    audit.install(actor_name=current_actor_name)


def register_verify_cache(app: Flask) -> None:
    """Let writes invalidate the public verification cache (certificates.cache)."""
    from certificates import cache

    cache.install()


def register_events(app: Flask) -> None:
    """Subscribe each area's handlers to what the other areas announce (infra.events)."""
    from certificates import services as certificates
    from infra import events
    from inspections.events import InspectionVerified
    from parties.events import FirmExpelled, MembershipChanged
    from trademark import services as trademark
    from trademark.events import LicenceGranted

    events.install(app, {
        InspectionVerified: [trademark.on_inspection_verified],   # X1–X3, X8 for the firm's licences
        LicenceGranted: [certificates.on_licence_granted],        # the first certificate
        MembershipChanged: [trademark.on_membership_changed],     # the decision trail
        FirmExpelled: [trademark.on_firm_expelled],               # X10
    })
    # Read side: the licence pages name the current certificate as the certificates area describes it.
    app.extensions[trademark.CERTIFICATE_OF] = certificates.summary_of
    # The audit checkpoints are signed with the certificate keys; infra may not import certificates.
    from infra import audit

    app.extensions[audit.SIGNER] = (certificates.sign_audit_checkpoint, certificates.verify_audit_checkpoint)


def register_blueprints(app: Flask) -> None:
    from accounts import views as accounts_views
    from certificates import api as certificates_api
    from certificates import services as certificates_services
    from certificates import views as certificates_views
    from compliance import api as compliance_api
    from compliance import views as compliance_views
    from infra import api
    from infra.extensions import csrf
    from inspections import api as inspections_api
    from inspections import views as inspections_views
    from parties import api as parties_api
    from parties import views as parties_views
    from trademark import api as trademark_api
    from trademark import views as trademark_views

    for module in (accounts_views, parties_views, compliance_views, inspections_views, trademark_views,
                   certificates_views):
        app.register_blueprint(module.bp)
    api_modules = (parties_api, compliance_api, inspections_api, trademark_api, certificates_api)
    for module in api_modules:
        # The API authenticates with bearer tokens only (accounts.access), so CSRF does not apply.
        csrf.exempt(module.bp)
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    api.register_openapi(app, api_modules)
    # The public 413 page names the photo limit the fake-report form states (SPEC §5).
    app.config.setdefault("PUBLIC_UPLOAD_MAX_BYTES", certificates_services.PHOTO_MAX_BYTES)


def register_error_handlers(app: Flask) -> None:
    from infra import api

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
    from accounts.access import current_actor
    from infra import clock
    from infra.i18n import PunctuationExtension, one_language, say

    @app.context_processor
    def _template_globals():
        return {"actor": current_actor(), "lang": select_locale()}

    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions
    # Times shown to people: the alliance's local time, to the minute (SPEC §2).
    app.jinja_env.filters["localtime"] = clock.format_time
    app.jinja_env.filters["one_language"] = one_language
    app.jinja_env.filters["say"] = say
    app.jinja_env.add_extension(PunctuationExtension)


def register_cli(app: Flask) -> None:
    from accounts import cli as accounts_cli
    from certificates import cli as certificates_cli
    from compliance import cli as compliance_cli
    from infra import cli as infra_cli
    from inspections import cli as inspections_cli
    from trademark import cli as trademark_cli

    for module in (infra_cli, accounts_cli, compliance_cli, inspections_cli, trademark_cli, certificates_cli):
        module.register(app)
