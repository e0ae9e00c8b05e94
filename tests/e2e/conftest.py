"""End-to-end fixtures: the app in a real HTTP server, driven by Debian's chromium through Playwright.

One browser per session (starting chromium is the slow part); a fresh browser context per user,
so cookies never leak between the technician, the reviewer and the consumer. Each test gets its
own app on the test database with real CSRF-protected forms, seeds it through the services, and
empties every table afterwards with the same function as the `app` fixture.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from infra.db import db
from tests.conftest import _empty_all_tables, make_app
from tests.e2e.pages import shot

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Live:
    """The app served over HTTP on loopback, with the app context for seeding through services."""

    app: object
    url: str

    def settle(self) -> None:
        """End the seeding transaction, so the server's threads see every row and SQLite holds no lock."""
        db.session.commit()
        db.session.expire_all()


@pytest.fixture
def live(database_url, _schema, tmp_path) -> Iterator[Live]:
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # The verification URL printed in QR codes must lead back to this server.
    app.config["PUBLIC_BASE_URL"] = url.upper()
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    with app.app_context():
        try:
            yield Live(app, url)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
            db.session.rollback()
            _empty_all_tables()
            db.session.remove()
            # Close the pooled connections of this app's engine now: on PostgreSQL, leaving them to the
            # garbage collector raises ResourceWarning (an error under `filterwarnings = error`).
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def new_page(browser, live, request):
    """Open a page in a fresh browser context (its own cookies); screenshot each page when the test fails.

    Uncaught script errors and Content-Security-Policy violations fail the test that met them.
    """
    opened, script_errors = [], []

    def open_page(**context_options):
        context = browser.new_context(base_url=live.url, locale="zh-CN", **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: script_errors.append(f"{page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text else None)
        opened.append((context, page))
        return page

    yield open_page
    report = getattr(request.node, "rep_call", None)
    for index, (context, page) in enumerate(opened):
        if report is not None and report.failed:
            shot(page, f"{request.node.name}-failed-{index}")
        context.close()
    if report is not None and report.passed:
        assert script_errors == [], "script errors or CSP violations in the browser"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
