"""Fixtures: a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL says so)."""
from __future__ import annotations

import functools
import os
from contextlib import contextmanager

import flask_babel
import pytest
from flask import g
from sqlalchemy import text

from app import create_app
from infra.db import db


def _ensure_postgres_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = psycopg.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                            user=parsed.username or "postgres", dbname="postgres", autocommit=True)
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{parsed.database}"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        if url.startswith("postgresql"):
            _ensure_postgres_database(url)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def make_app(database_url: str, tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "KEYS_DIR": str(tmp_path / "keys"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "PUBLIC_BASE_URL": "HTTP://LOCALHOST",
        "SECRET_KEY": "test-secret",
        # The verification cache stays on but checks the database on every scan, and scans are
        # written in the request, so every test sees exactly what it wrote.
        "VERIFY_EPOCH_CHECK_SECONDS": 0,
        "SCAN_FLUSH_SECONDS": 0,
    }
    config.update(overrides)
    app = create_app(config)

    @app.teardown_request
    def _forget_request_state(_exc=None):
        # The `app` fixture holds one app context across requests (so tests can use the session), and
        # extensions keep per-request state on `g`: Flask-Login its user, Flask-Babel the locale.
        g.pop("_login_user", None)
        flask_babel.refresh()

    return app


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    app = make_app(database_url, tmp_path_factory.mktemp("schema"))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield


@functools.cache
def _emptying_postgres(url: str) -> str:
    """One round trip that deletes every row and restarts every id sequence. A test leaves a few
    rows, and TRUNCATE's new table files cost 80–180 ms a test here (minutes a pass); DELETE, 5 ms."""
    sequences = db.session.execute(text(
        "SELECT pg_get_serial_sequence(quote_ident(table_name), column_name) FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_default LIKE 'nextval%'")).scalars()
    deletes = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables)]
    return "; ".join(deletes + [f"SELECT setval('{sequence}', 1, false)" for sequence in sequences])


def _empty_all_tables() -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(_emptying_postgres(str(db.engine.url))))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


@contextmanager
def running_app(database_url: str, tmp_path):
    """An app with its context pushed; on leaving, every table is emptied again."""
    app = make_app(database_url, tmp_path)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.rollback()
            # Scans a test left buffered are written now, as a worker writes them when it stops, while
            # the rows they count still exist (at the interpreter's exit they would find emptied tables).
            buffer = app.extensions.get("alliancemark.scan_buffer")
            if buffer is not None:
                buffer.flush()
            _empty_all_tables()
            db.session.remove()
            # Close the pool's connections now: a garbage-collected psycopg connection warns (an error
            # here).
            db.engine.dispose()


@pytest.fixture
def app(database_url, _schema, tmp_path):
    with running_app(database_url, tmp_path) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()
