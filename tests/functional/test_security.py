"""Security hardening: cookies, headers, login throttling, passwords, upload limits, logs, escaping, CSRF."""
from __future__ import annotations

import io
import logging
import re

import pytest

from accounts import services as accounts
from accounts.models import User
from app import DEV_SECRET, create_app
from infra.db import db
from tests.builders import PASSWORD, bearer, login, make_firm, make_user
from tests.conftest import make_app
from tests.functional.routes import make_world, walk

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


# --- cookies ---------------------------------------------------------------------------------------

def test_the_session_cookie_is_http_only_and_same_site_lax(app, client):
    make_user("clerk", "staff")
    cookie = session_cookie(login(client, "clerk"))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain http in this test


def test_the_session_cookie_is_secure_when_the_site_is_https(app, database_url, tmp_path):
    make_user("clerk", "staff")
    https = make_app(database_url, tmp_path, PUBLIC_BASE_URL="https://MARK.EXAMPLE.CN")
    assert https.config["SESSION_COOKIE_SECURE"] and https.config["REMEMBER_COOKIE_SECURE"]
    with https.app_context():
        cookie = session_cookie(login(https.test_client(), "clerk"))
        db.session.remove()
        db.engine.dispose()
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- headers on every response --------------------------------------------------------------------

def assert_security_headers(response, where):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    script = directives.get("script-src", directives.get("default-src", []))
    assert script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (where, csp)
    assert directives.get("frame-ancestors") in (["'none'"], ["'self'"]), (where, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin",
                                                       "no-referrer"), where


@pytest.fixture
def world(app):
    return make_world()


def test_every_response_carries_the_security_headers(app, world):
    make_user("boss", "admin")
    anonymous, admin = app.test_client(), app.test_client()
    login(admin, "boss")
    headers = bearer("boss")
    checked = 0
    for endpoint, method, url in walk(app, world, methods=("GET", "POST")):
        if endpoint == "accounts.logout":
            continue
        for client, extra in ((anonymous, {}), (admin, headers if url.startswith("/api/") else {})):
            with client.open(url, method=method, headers=extra) as response:
                assert_security_headers(response, (endpoint, method, url, response.status_code))
            checked += 1
    for url in ("/no/such/page", "/api/v1/no/such/thing", "/static/app.css"):
        with anonymous.get(url) as response:
            assert_security_headers(response, url)
    assert checked > 50


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_no_page_relies_on_inline_scripts_the_policy_would_block(app, world):
    make_user("boss", "admin")
    admin = app.test_client()
    login(admin, "boss")
    pages = 0
    for endpoint, method, url in walk(app, world):
        if url.startswith("/api/"):
            continue
        for client in (admin, app.test_client()):
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            html = response.get_data(as_text=True)
            assert not INLINE_SCRIPT.search(html), (endpoint, url, INLINE_SCRIPT.search(html).group(0))
            assert not INLINE_HANDLER.search(html), (endpoint, url, INLINE_HANDLER.search(html).group(0))
            assert "javascript:" not in html.lower(), (endpoint, url)
            pages += 1
    assert pages > 10


# --- login throttling and lockout ---------------------------------------------------------------

def test_login_attempts_are_rate_limited_per_client(app, database_url, tmp_path):
    make_user("clerk", "staff")
    limited = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True)
    with limited.app_context():
        client = limited.test_client()
        statuses = [client.post("/login", data={"username": f"guess{n}", "password": "x1-wrong"}).status_code
                    for n in range(25)]
        db.session.remove()
        db.engine.dispose()
    assert statuses[:20] == [200] * 20
    assert statuses[20:] == [429] * 5


# --- passwords --------------------------------------------------------------------------------------

@pytest.mark.parametrize("weak", ["", "short1", "abcdefghij", "1234567890", "!!!!!!!!!!"])
def test_weak_passwords_are_refused(app, weak):
    with pytest.raises(accounts.AppError, match="密码"):
        accounts.create_user("clerk", "staff", weak)
    assert db.session.execute(db.select(User)).scalars().all() == []


def test_the_cli_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "clerk", "--role", "staff", "--password", "abc"])
    assert result.exit_code != 0
    assert "密码" in result.output


def test_passwords_are_stored_hashed(app):
    user = make_user("clerk", "staff")
    assert PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


# --- upload limits ------------------------------------------------------------------------------

def test_an_oversized_api_body_gets_413_json(app, client):
    make_user("clerk", "staff")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = client.post("/api/v1/standards", data=b"x" * (64 * 1024 + 1), headers=bearer("clerk"),
                           content_type="application/x-yaml")
    assert response.status_code == 413
    assert response.is_json
    assert response.get_json()["error"]["code"] == "too_large"
    assert response.get_json()["error"]["details"]["max_bytes"] == 64 * 1024


def test_an_oversized_web_upload_gets_a_clear_page(app, client):
    make_user("clerk", "staff")
    login(client, "clerk")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = client.post("/standards/import", data={"file": (io.BytesIO(b"x" * (80 * 1024)), "big.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "太大" in page and "64 KB" in page
    assert_security_headers(response, "413 page")


# --- logs ---------------------------------------------------------------------------------------

def test_a_failed_login_is_logged_without_the_password(app, client, caplog):
    make_user("clerk", "staff")
    caplog.set_level(logging.DEBUG)
    client.post("/login", data={"username": "clerk", "password": "Sup3r-secret-guess"})
    assert "login refused for user 'clerk'" in caplog.text
    assert "Sup3r-secret-guess" not in caplog.text


def test_an_api_call_never_logs_the_bearer_token(app, client, caplog, monkeypatch):
    from compliance import services as catalogue

    make_user("clerk", "staff")
    headers = bearer("clerk")
    token = headers["Authorization"].split()[1]
    caplog.set_level(logging.DEBUG)

    def careless(source, **_kw):
        # A library error that quotes the request headers, as some do.
        from flask import request

        raise RuntimeError(f"could not import; request headers were {dict(request.headers)!r}")

    monkeypatch.setattr(catalogue, "import_standard", careless)
    response = client.post("/api/v1/standards", data="code: x", headers=headers, content_type="text/plain")
    assert response.status_code == 500 and response.is_json
    assert "unhandled error on POST /api/v1/standards" in caplog.text
    assert "could not import" in caplog.text
    assert token not in caplog.text
    assert "Authorization" in caplog.text  # masked, not dropped: the log still says what was there


@pytest.mark.parametrize("line, secret", [
    ("GET /x HTTP/1.1 Authorization: Bearer abcDEF123-_.token", "abcDEF123-_.token"),
    ("headers=[('Authorization', 'Bearer s3cr3t-tok3n')]", "s3cr3t-tok3n"),
    ("POST /login username=clerk&password=hunter2-Secret&next=/", "hunter2-Secret"),
    ('payload {"username": "clerk", "password": "p4ss word!"}', "p4ss word!"),
    ("INSERT INTO users VALUES ('clerk', 'scrypt:32768:8:1$abcdefgh$0123456789abcdef')", "0123456789abcdef"),
    ("Cookie: session=eyJfZnJlc2giOmZhbHNlfQ.ZZZ.sig; lang=zh", "eyJfZnJlc2giOmZhbHNlfQ"),
])
def test_any_logger_masks_secrets_in_what_it_records(app, caplog, line, secret):
    for name in ("gunicorn.access", "werkzeug", "sqlalchemy.engine.Engine", "app"):
        caplog.set_level(logging.INFO, logger=name)
        logging.getLogger(name).info("%s", line)
    assert caplog.records and len(caplog.records) == 4
    assert secret not in caplog.text
    assert "***" in caplog.text


def test_sql_echo_does_not_leak_password_hashes(app, caplog):
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    user = make_user("clerk", "staff")
    digest = user.password_hash.split("$")[-1]
    assert "INSERT INTO users" in caplog.text
    assert digest not in caplog.text


# --- escaping -----------------------------------------------------------------------------------

def test_a_script_in_a_firm_name_or_standard_title_is_escaped_on_every_page(app):
    world = make_world(firm_name=XSS, standard_title=XSS)
    make_firm(5, name=XSS + "二号")
    clients = {}
    for role in ("admin", "staff"):
        make_user(f"u-{role}", role)
        clients[role] = app.test_client()
        login(clients[role], f"u-{role}")
    make_user("u-firm", "firm", firm_uscc=world["uscc"])
    clients["firm"] = app.test_client()
    login(clients["firm"], "u-firm")
    clients["anonymous"] = app.test_client()

    shown = set()
    for endpoint, method, url in walk(app, world):
        if url.startswith("/api/"):
            continue
        for who, client in clients.items():
            for query in ("", f"?q={XSS}"):
                response = client.get(url + query)
                if response.mimetype != "text/html":
                    continue
                html = response.get_data(as_text=True)
                assert XSS not in html, (who, endpoint, url + query)
                assert "<script>alert" not in html, (who, endpoint, url + query)
                if ESCAPED in html:
                    shown.add(endpoint)

    # The test proves something only if the name and title really appear, escaped, on the pages.
    assert {"parties.firms", "parties.firm", "compliance.standards", "compliance.version"} <= shown, shown
    assert len(shown) >= 6, shown


# --- CSRF ---------------------------------------------------------------------------------------

def test_a_web_form_without_its_csrf_token_is_refused(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user("clerk", "staff")

    refused = client.post("/login", data={"username": "clerk", "password": PASSWORD})
    assert refused.status_code == 400
    assert "session" not in "".join(refused.headers.getlist("Set-Cookie")) or "clerk" not in refused.get_data(True)

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    accepted = client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302

    forged = client.post("/alliances", data={"code": "EVIL", "name": "伪造联盟", "csrf_token": "forged"})
    assert forged.status_code == 400
    from parties.models import Alliance

    assert db.session.execute(db.select(Alliance).where(Alliance.code == "EVIL")).scalar_one_or_none() is None


def test_the_api_needs_no_csrf_token_because_it_takes_no_cookies(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user("clerk", "staff")
    # A signed-in browser session is not enough for the API: a cross-site form post cannot use it.
    with client.session_transaction() as session:
        session["_user_id"] = str(db.session.execute(db.select(User)).scalar_one().id)
        session["_fresh"] = True
    response = client.post("/api/v1/alliances", json={"code": "EVIL", "name": "伪造联盟"})
    assert response.status_code == 401 and response.is_json


# --- production configuration -------------------------------------------------------------------

@pytest.mark.parametrize("secret", [None, "", DEV_SECRET, "short"])
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path, secret):
    monkeypatch.setenv("ALLIANCEMARK_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("ALLIANCEMARK_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    monkeypatch.setenv("SECRET_KEY", "x7Gq2-real-production-secret-kJ9")
    assert create_app().config["ENV_NAME"] == "production"
