"""A slow upload neither ties up nor kills a worker (issue 13 §5), tried with real gunicorn and nginx.

A phone on a weak connection may take a minute to send its photo. Two deployments are tried:
- behind nginx with the shipped `docs/nginx/alliancemark-proxy.conf`: nginx takes the whole body
  first, so even a single *sync* worker (which serves one request at a time) answers everyone else
  while the slow client is still sending, and then handles the upload in one go;
- without a proxy, with the Procfile's threaded workers: the slow upload holds one thread past
  gunicorn's `--timeout` and is still answered, while the other threads serve everyone else.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

from parties.models import Firm
from infra.db import db
from tests.builders import bearer, make_uscc, make_user
from tests.integration.infra.test_proxy import NGINX, NGINX_CONF, ROOT, SNIPPET, get, stop
from tests.integration.infra.test_reliability import free_port, wait_for

pytestmark = pytest.mark.skipif(NGINX is None and not os.environ.get("CI"),
                                reason="Debian's nginx is not installed (.ci/run installs it)")

TRICKLE_SECONDS = 6.0  # longer than the workers' --timeout below
TIMEOUT = "3"


def gunicorn(app, database_url, tmp_path, *worker_args: str) -> tuple[subprocess.Popen, int, object]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "slow-client-secret-0123456789",
           "ALLIANCEMARK_ENV": "development", "ALLIANCEMARK_KEYS_DIR": app.config["KEYS_DIR"],
           "ALLIANCEMARK_UPLOAD_DIR": str(tmp_path / "uploads"), "ALLIANCEMARK_SCAN_FLUSH_SECONDS": "0",
           "ALLIANCEMARK_TRUSTED_PROXIES": "1", "REDIS_URL": "memory://"}
    log = open(tmp_path / "gunicorn.log", "wb")
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                            "--timeout", TIMEOUT, *worker_args, "app:create_app()"], cwd=ROOT, env=env,
                           stdout=log, stderr=subprocess.STDOUT)
    return web, port, log


def nginx(tmp_path, upstream: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=tmp_path, port=port, upstream=upstream, snippet=SNIPPET,
                                      user="user root;" if os.geteuid() == 0 else ""))
    return subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT), port


def healthy(port: int) -> bool:
    try:
        return get(port, "/healthz", "127.0.0.1")[0] == 200
    except OSError:
        return False


def slow_post(port: int, path: str, body: bytes, headers: dict, seconds: float, answer: dict) -> None:
    """Send `body` a few bytes at a time over `seconds`, then read the status line into `answer`."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", f"Content-Length: {len(body)}",
                *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        pieces = 12
        step = max(1, len(body) // pieces)
        for start in range(0, len(body), step):
            sock.sendall(body[start:start + step])
            time.sleep(seconds / pieces)
        reply = b""
        while b"\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        answer["status"] = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else None
        answer["finished"] = time.monotonic()
    except OSError as err:
        answer["error"] = repr(err)
    finally:
        sock.close()


def upload_while_others_ask(front: int, n: int) -> tuple[dict, list[float], float]:
    """Create firm `n` through a slow body; meanwhile time /healthz. Returns the answer, the latencies, the start."""
    body = json.dumps({"name": f"慢速上传企业{n}", "uscc": make_uscc(n), "address": "中山市" + "街" * 200}).encode()
    headers = {**bearer("slow-staff"), "Content-Type": "application/json"}
    answer: dict = {}
    started = time.monotonic()
    sender = threading.Thread(target=slow_post, args=(front, "/api/v1/firms", body, headers, TRICKLE_SECONDS, answer))
    sender.start()
    latencies = []
    time.sleep(0.5)
    while sender.is_alive() and len(latencies) < 8:
        t0 = time.monotonic()
        assert get(front, "/healthz", "127.0.0.1")[0] == 200
        latencies.append(time.monotonic() - t0)
        time.sleep(0.4)
    sender.join(timeout=60)
    return answer, latencies, started


@pytest.fixture
def staff(app):
    make_user("slow-staff", "staff")
    db.session.commit()


def test_behind_nginx_one_sync_worker_answers_everyone_while_a_phone_is_still_sending(app, database_url, tmp_path,
                                                                                    staff):
    web, upstream, log = gunicorn(app, database_url, tmp_path, "--worker-class", "sync")
    proxy, front = nginx(tmp_path, upstream)
    try:
        wait_for(lambda: healthy(front) or web.poll() is not None or proxy.poll() is not None, 30, "nginx and gunicorn")
        answer, latencies, started = upload_while_others_ask(front, 901)
        assert answer.get("status") == 201, (answer, (tmp_path / "gunicorn.log").read_text()[-2000:])
        assert answer["finished"] - started >= TRICKLE_SECONDS * 0.8  # the body really was slow
        # A sync worker reading the slow body itself could not have answered these until it finished.
        assert len(latencies) >= 5 and max(latencies) < 1.5, latencies
        assert web.poll() is None and "WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_text()
        db.session.expire_all()
        assert db.session.execute(db.select(Firm).where(Firm.uscc == make_uscc(901))).scalar_one().address.startswith(
            "中山市")
    finally:
        stop(proxy)
        stop(web)
        log.close()


def test_without_a_proxy_the_procfiles_threaded_worker_outlives_a_slow_upload_and_serves_the_others(
        app, database_url, tmp_path, staff):
    procfile = (ROOT / "Procfile").read_text()
    threads = re.search(r"--threads \$\{GUNICORN_THREADS:-(\d+)\}", procfile)
    assert "--worker-class gthread" in procfile and threads and int(threads.group(1)) > 1, procfile
    web, port, log = gunicorn(app, database_url, tmp_path, "--worker-class", "gthread", "--threads", threads.group(1))
    try:
        wait_for(lambda: healthy(port) or web.poll() is not None, 30, "gunicorn")
        answer, latencies, started = upload_while_others_ask(port, 902)
        assert answer.get("status") == 201, (answer, (tmp_path / "gunicorn.log").read_text()[-2000:])
        assert answer["finished"] - started >= TRICKLE_SECONDS * 0.8 > float(TIMEOUT)  # past --timeout
        assert len(latencies) >= 5 and max(latencies) < 1.5, latencies
        assert web.poll() is None and "WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_text()
    finally:
        stop(web)
        log.close()
