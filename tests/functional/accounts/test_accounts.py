"""Accounts that can be ended, and sign-in that no one can turn against someone else (SPEC §10)."""
from __future__ import annotations

import statistics
import threading
import time
from datetime import timedelta

import pytest

from accounts import services as accounts
from accounts.models import ApiToken
from infra.clock import utcnow
from infra.db import db
from tests.builders import PASSWORD, bearer, login, make_user
from tests.conftest import make_app


@pytest.fixture
def limited(app, database_url, tmp_path):
    """The app with its rate limits on (the test app turns them off), on the same database."""
    app = make_app(database_url, tmp_path / "limited", RATELIMIT_ENABLED=True,
                   LOGIN_CLIENT_RATE_LIMIT="20/minute", LOGIN_ACCOUNT_RATE_LIMIT="5/15minute")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def post_login(client, username, password, address="10.1.1.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_a_logged_out_cookie_no_longer_opens_anything(app):
    make_user("clerk", "staff")
    client = app.test_client()
    login(client, "clerk")
    stolen = client.get_cookie("session").value
    assert client.get("/").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_disabling_a_user_ends_its_sessions_and_tokens_at_once(app):
    make_user("clerk", "staff")
    client = app.test_client()
    login(client, "clerk")
    headers = bearer("clerk")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/marks/NOPE", headers=headers).status_code == 404
    result = app.test_cli_runner().invoke(args=["users", "disable", "clerk"])
    assert result.exit_code == 0, result.output
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/marks/NOPE", headers=headers).status_code == 401
    assert post_login(app.test_client(), "clerk", PASSWORD).status_code == 200  # the form again, no session
    app.test_cli_runner().invoke(args=["users", "enable", "clerk"])
    assert client.get("/api/v1/marks/NOPE", headers=headers).status_code == 401  # revoked stays revoked


def test_tokens_can_be_listed_revoked_and_expire(app):
    make_user("clerk", "staff")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "token", "clerk", "--days", "30"]).output.strip().splitlines()[-1]
    second = runner.invoke(args=["users", "token", "clerk", "--keep-others"]).output.strip().splitlines()[-1]
    client = app.test_client()
    for token in (first, second):
        assert client.get("/api/v1/marks/NOPE", headers={"Authorization": f"Bearer {token}"}).status_code == 404
    listing = runner.invoke(args=["users", "tokens", "clerk"]).output
    assert listing.count("active") == 2 and first not in listing and second not in listing
    newest = accounts.tokens_of("clerk")[0]
    assert runner.invoke(args=["users", "revoke-token", "clerk", str(newest.id)]).exit_code == 0
    assert client.get("/api/v1/marks/NOPE", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    # Expiry: a token past its date answers 401 like a revoked one.
    row = db.session.execute(db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(first))).scalar_one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/marks/NOPE", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert "expired" in runner.invoke(args=["users", "tokens", "clerk"]).output
    # A new token retires the older ones unless asked to keep them.
    third = runner.invoke(args=["users", "token", "clerk"]).output.strip().splitlines()[-1]
    assert [t.state(utcnow()) for t in accounts.tokens_of("clerk")].count("active") == 1
    assert client.get("/api/v1/marks/NOPE", headers={"Authorization": f"Bearer {third}"}).status_code == 404
    assert runner.invoke(args=["users", "revoke-token", "clerk", "--all"]).exit_code == 0
    assert client.get("/api/v1/marks/NOPE", headers={"Authorization": f"Bearer {third}"}).status_code == 401


@pytest.mark.parametrize("password", ["password1", "short-pw1", "Password123", "1234567890", "qwertyuiop",
                                      "aaaaaaaaaaaa", "clerk-clerk-1"])
def test_short_common_or_guessable_passwords_are_refused_naming_the_field(app, password):
    with pytest.raises(accounts.AppError) as err:
        accounts.create_user("clerk", "staff", password)
    assert err.value.field == "password" and err.value.status == 422


def test_an_attacker_guessing_from_one_address_cannot_lock_out_the_real_user(limited):
    make_user("admin1", "admin")
    own_browser = limited.test_client()
    assert post_login(own_browser, "admin1", PASSWORD, "10.9.9.9").status_code == 302  # signed in before
    own_browser.post("/logout")
    attacker = limited.test_client()
    answers = [post_login(attacker, "admin1", f"guess-{n}-xx", "203.0.113.7").status_code for n in range(12)]
    assert answers[:5] == [200] * 5 and set(answers[5:]) == {429}  # unknown browsers slow down
    # The real admin, from the browser that signed in before, gets in at once.
    assert post_login(own_browser, "admin1", PASSWORD, "10.9.9.9").status_code == 302
    # And another office (new browser, new address) is throttled for the account, not locked forever.
    assert post_login(limited.test_client(), "admin1", PASSWORD, "198.51.100.1").status_code == 429


def test_an_unknown_user_is_answered_like_a_wrong_password_in_like_time(limited):
    make_user("clerk", "staff")
    pages = {name: post_login(limited.test_client(), name, "wrong-password-9", f"10.2.{n}.1")
             for n, name in enumerate(("clerk", "nobody-here"))}
    assert {(r.status_code, "用户名或密码错误" in r.get_data(as_text=True)) for r in pages.values()} == {(200, True)}

    def cost(name: str) -> float:
        attempt = accounts.LoginAttempt(name, "wrong-password-9", "10.6.6.6", trusted_device=True)
        started = time.perf_counter()
        with pytest.raises(accounts.AppError):
            accounts.authenticate(attempt)
        return time.perf_counter() - started

    known, unknown = [], []
    for _ in range(8):  # interleaved, so a busy machine slows both alike
        known.append(cost("clerk"))
        unknown.append(cost("nobody-here"))
    ratio = statistics.median(unknown) / statistics.median(known)
    # One password hash either way (the old code answered an unknown user about 25 times faster).
    assert 1 / 3 < ratio < 3
    # Throttled, the answer is the same for both as well.
    for name in ("clerk", "nobody-here"):
        answers = {post_login(limited.test_client(), name, "wrong-password-9", f"10.3.{len(name)}.3").status_code
                   for _ in range(8)}
        assert 429 in answers


def test_parallel_guesses_all_count(limited):
    make_user("clerk", "staff")
    barrier = threading.Barrier(12)
    answers = []

    def guess(n):
        with limited.app_context():
            client = limited.test_client()
            barrier.wait()
            answers.append(post_login(client, "clerk", f"guess-{n}-xxxx", f"10.4.{n}.1").status_code)
            db.session.remove()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 12
    # Five failures are allowed for unknown browsers; every later one is throttled, however simultaneous.
    assert post_login(limited.test_client(), "clerk", PASSWORD, "10.5.5.5").status_code == 429


def test_seed_demo_refuses_to_run_in_production(database_url, tmp_path):
    app = make_app(database_url, tmp_path, ENV_NAME="production", SECRET_KEY="a-real-secret-of-some-length")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code != 0 and "production" in result.output


def test_the_admin_creates_disables_and_resets_users_on_the_admin_page(app):
    from tests.builders import make_lock_world

    make_lock_world()
    make_user("root", "admin")
    admin = app.test_client()
    login(admin, "root")
    refused = admin.post("/admin/users", data={"username": "tech1", "role": "technician", "station": "ZS-LAB",
                                              "password": "password1"})
    assert refused.status_code == 200 and "密码" in refused.get_data(as_text=True)
    created = admin.post("/admin/users", data={"username": "tech1", "role": "technician", "station": "ZS-LAB",
                                              "display_name": "李工", "password": "lathe-spindle-42"})
    assert created.status_code == 302
    tech = app.test_client()
    login(tech, "tech1", "lathe-spindle-42")
    assert tech.get("/").status_code == 200
    page = admin.get("/admin/users/tech1").get_data(as_text=True)
    assert "李工" in page and "ZS-LAB" in page
    assert admin.post("/admin/users/tech1", data={"action": "disable"}).status_code == 302
    assert tech.get("/").status_code == 302  # its session ended at once
    admin.post("/admin/users/tech1", data={"action": "enable"})
    assert admin.post("/admin/users/tech1", data={"pw-password": "drill-press-77", "action": "password"}).status_code == 302
    assert post_login(app.test_client(), "tech1", "drill-press-77").status_code == 302
    assert admin.get("/admin/users/nobody").status_code == 404


def test_only_the_admin_reaches_the_user_pages(app):
    make_user("clerk", "staff")
    client = app.test_client()
    login(client, "clerk")
    assert client.get("/admin/users").status_code == 403


def test_the_user_list_shows_its_total_and_pages_searches_and_sorts(app, client):
    from accounts.models import User
    from tests.builders.bulk import bulk_users

    make_user("root", "admin")
    bulk_users(120)  # firm, firm, staff, technician, …
    total = db.session.execute(db.select(db.func.count(User.id))).scalar_one()
    login(client, "root")
    first = client.get("/admin/users").get_data(as_text=True)
    assert f"共 {total} 条" in first and "第 1–50 条" in first and 'rel="next"' in first
    last = client.get("/admin/users?page=3").get_data(as_text=True)
    assert f"第 101–{total} 条" in last and 'rel="next"' not in last
    one = client.get("/admin/users?q=bulk-user-0000050").get_data(as_text=True)
    assert "共 1 条" in one and "bulk-user-0000050" in one
    assert "共 60 条" in client.get("/admin/users?role=firm").get_data(as_text=True)
    assert "共 30 条" in client.get("/admin/users?role=staff&q=bulk").get_data(as_text=True)
    backwards = client.get("/admin/users?sort=-username").get_data(as_text=True)
    assert backwards.split("<tbody>")[1].index(">root<") < backwards.split("<tbody>")[1].index(">bulk-user-")
    for hostile in ("?page=abc&sort=drop&role=nobody", "?page=99999999&q=%25", "?q=' OR 1=1&per_page=0"):
        assert client.get("/admin/users" + hostile).status_code == 200
