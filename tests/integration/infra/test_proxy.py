"""Behind a real nginx, the app sees each client, not the proxy (SPEC §12, ALLIANCEMARK_TRUSTED_PROXIES).

The suite starts Debian's nginx on a loopback port in front of one gunicorn worker, like
PostgreSQL it is a real part. Clients are simulated by binding their sockets to different loopback
addresses (127.0.N.1: one /24 each, so each counts as its own network).
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import distinct, func, select

from certificates import services as certs
from certificates.models import Scan
from infra.clock import utcnow
from infra.db import db
from tests.builders import PASSWORD, make_certified_licence, make_user
from tests.integration.infra.test_reliability import free_port, wait_for

ROOT = Path(__file__).resolve().parents[3]
SNIPPET = ROOT / "docs" / "nginx" / "alliancemark-proxy.conf"  # the file the README tells production to include
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = pytest.mark.skipif(NGINX is None and not os.environ.get("CI"),
                                reason="Debian's nginx is not installed (.ci/run installs it)")

NGINX_CONF = """
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      include {snippet};
    }}
  }}
}}
"""


def get(port: int, path: str, source: str, headers=None, method="GET", body=None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture
def behind_nginx(app, database_url, tmp_path):
    """gunicorn (one worker, so the in-memory rate limits are one store) behind nginx; yields nginx's port."""
    assert NGINX, "nginx is required here: apt-get install nginx"
    upstream, port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "proxy-test-secret-0123456789",
           "ALLIANCEMARK_ENV": "development", "ALLIANCEMARK_KEYS_DIR": app.config["KEYS_DIR"],
           "ALLIANCEMARK_UPLOAD_DIR": str(tmp_path / "uploads"), "PUBLIC_BASE_URL": "HTTP://LOCALHOST",
           "ALLIANCEMARK_TRUSTED_PROXIES": "1", "ALLIANCEMARK_VERIFY_RATE_LIMIT": "5/minute",
           "ALLIANCEMARK_LOGIN_CLIENT_RATE_LIMIT": "5/minute", "ALLIANCEMARK_SCAN_FLUSH_SECONDS": "0",
           "ALLIANCEMARK_VERIFY_EPOCH_CHECK_SECONDS": "0", "REDIS_URL": "memory://"}
    log = open(tmp_path / "gunicorn.log", "wb")
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{upstream}", "--workers", "1",
                            "--threads", "4", "app:create_app()"], cwd=ROOT, env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=tmp_path, port=port, upstream=upstream, snippet=SNIPPET,
                                      user="user root;" if os.geteuid() == 0 else ""))
    proxy = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        def up():
            try:
                return get(port, "/healthz", "127.0.0.1")[0] == 200
            except OSError:
                return False

        wait_for(lambda: up() or web.poll() is not None or proxy.poll() is not None, 30, "nginx and gunicorn")
        assert web.poll() is None, (tmp_path / "gunicorn.log").read_text()
        assert proxy.poll() is None, (tmp_path / "error.log").read_text()
        yield port
    finally:
        stop(proxy)
        stop(web)
        log.close()


def test_one_phone_spending_its_limit_leaves_the_others_untouched(app, behind_nginx):
    _licence, certificate = make_certified_licence(1)
    path = f"/V/{certificate.token}"
    hammering = [get(behind_nginx, path, "127.0.1.1")[0] for _ in range(7)]
    assert hammering[:5] == [200] * 5 and hammering[5:] == [429, 429]
    # Claiming to be someone else does not help: nginx appends the real address, and the app
    # trusts exactly one proxy, so it reads the last one.
    spoofed = get(behind_nginx, path, "127.0.1.1", headers={"X-Forwarded-For": "198.51.100.23"})[0]
    assert spoofed == 429
    for n in range(2, 5):
        assert get(behind_nginx, path, f"127.0.{n}.1")[0] == 200


def test_scans_from_many_networks_raise_the_clone_flag(app, behind_nginx):
    _licence, certificate = make_certified_licence(1)
    for n in range(10, 16):
        assert get(behind_nginx, f"/V/{certificate.token}", f"127.0.{n}.1")[0] == 200
    db.session.expire_all()
    prefixes = db.session.execute(select(func.count(distinct(Scan.ip_prefix)))
                                  .where(Scan.certificate_id == certificate.id)).scalar_one()
    assert prefixes == 6  # each client's own /24, not the proxy's
    flagged = {s.certificate_id for s in certs.suspected_clones(utcnow())}
    assert certificate.id in flagged


def sign_in(port: int, source: str, username: str, password: str) -> int:
    """Sign in as a browser would: fetch the form (cookie and CSRF token), then post it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", "/login")
        page = connection.getresponse()
        html = page.read().decode()
        cookie = page.getheader("Set-Cookie", "").split(";")[0]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        body = urlencode({"csrf_token": token, "username": username, "password": password})
        connection.request("POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def test_bad_logins_from_one_place_do_not_block_the_real_staff_login(app, behind_nginx):
    make_user("clerk", "staff")
    statuses = [sign_in(behind_nginx, "127.0.20.1", f"someone{n}", f"wrong-guess-{n}") for n in range(6)]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429
    assert sign_in(behind_nginx, "127.0.20.1", "clerk", PASSWORD) == 429  # that place is slowed down
    assert sign_in(behind_nginx, "127.0.21.1", "clerk", PASSWORD) == 302  # the real staff elsewhere are not


def test_without_trusted_proxies_the_forwarded_headers_are_ignored(app, client):
    seen = []

    @app.get("/_probe")
    def _probe():  # a route of this test only
        from flask import request

        seen.append((request.remote_addr, request.scheme))
        return "ok"

    _probe.access = "public"
    client.get("/_probe", headers={"X-Forwarded-For": "198.51.100.23", "X-Forwarded-Proto": "https"},
               environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert seen == [("10.0.0.9", "http")]
