"""Each service call is one transaction, and committed data outlives a killed worker."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from compliance import services as catalogue
from compliance.models import Clause, Standard, StandardVersion
from infra.db import db
from tests.builders import subscribed
from trademark.events import LicenceGranted
from tests.builders import (LOCKS, bearer, make_active_licence, make_alliance, make_lock_world, make_mark,
                            make_member_firm,
                            make_user, make_uscc, lock_inspection)

ROOT = Path(__file__).resolve().parents[3]


class Injected(RuntimeError):
    """The failure a test injects halfway through a service call."""


def committed_counts(*models) -> dict[str, int]:
    """Count rows on a separate connection: what another request would see, not this session's pending work."""
    with db.engine.connect() as connection:
        return {m.__tablename__: connection.execute(select(func.count()).select_from(m)).scalar_one() for m in models}


def fail_on_call(n: int, real):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise Injected(f"injected failure on call {n}")
        return real(*args, **kwargs)

    return wrapper


def test_a_failure_while_creating_clauses_leaves_no_standard_behind(app, monkeypatch):
    make_alliance()
    monkeypatch.setattr(catalogue, "Clause", fail_on_call(5, Clause))

    with pytest.raises(Injected):
        catalogue.import_standard(LOCKS.read_text(encoding="utf-8"))

    assert committed_counts(Standard, StandardVersion, Clause) == {"standards": 0, "standard_versions": 0, "clauses": 0}


def test_a_failure_after_the_rows_are_flushed_leaves_nothing_committed(app, monkeypatch):
    make_alliance()

    def publish_then_fail(version):
        assert len(version.clauses) > 5 and version.id is not None  # the rows are in the database, uncommitted
        raise Injected("after flush")

    monkeypatch.setattr(catalogue, "_publish", publish_then_fail)
    with pytest.raises(Injected):
        catalogue.import_standard(LOCKS.read_text(encoding="utf-8"))

    assert committed_counts(Standard, StandardVersion, Clause) == {"standards": 0, "standard_versions": 0, "clauses": 0}
    db.session.rollback()
    assert committed_counts(Standard, StandardVersion, Clause) == {"standards": 0, "standard_versions": 0, "clauses": 0}


def test_a_failure_midway_through_an_api_request_answers_json_and_writes_nothing(app, client, monkeypatch):
    from infra.audit import AuditEntry

    make_alliance()
    make_user("clerk", "staff")
    headers = bearer("clerk")
    before = committed_counts(AuditEntry)["audit_log"]
    monkeypatch.setattr(catalogue, "Clause", fail_on_call(7, Clause))

    response = client.post("/api/v1/standards", data=LOCKS.read_bytes(), headers=headers,
                           content_type="application/x-yaml")

    assert response.status_code == 500 and response.is_json
    assert response.get_json()["error"]["code"] == "internal"
    assert committed_counts(Standard, StandardVersion, Clause) == {"standards": 0, "standard_versions": 0, "clauses": 0}
    # The session was rolled back, so the next request in the same app context commits nothing stale.
    monkeypatch.undo()
    assert client.post("/api/v1/alliances", json={"code": "SDDYLG", "name": "顺德电压力锅产业联盟"},
                       headers=headers).status_code == 201
    assert committed_counts(Standard)["standards"] == 0
    assert committed_counts(AuditEntry)["audit_log"] == before + 1


def test_a_failure_while_granting_a_licence_leaves_it_applied_without_a_decision(app, monkeypatch):
    from trademark import services
    from trademark.models import Decision, Licence, LicenceStatus

    make_lock_world()
    make_mark()
    granted = date(2024, 6, 1)
    firm = make_member_firm(1, date(2023, 1, 1), ("L-100",))
    lock_inspection(firm, date(2024, 5, 20), type="type", sampled_on=date(2024, 5, 10))
    licence = services.apply_for_licence(uscc=firm.uscc, mark_code="ZSSJ-MARK", product_models=["L-100"],
                                         commitment_signed=True, today=date(2024, 5, 25))
    decisions = committed_counts(Decision)["decisions"]

    def failing_hook(event):
        db.session.flush()  # the status and the decision reach the database, uncommitted
        raise Injected("certificate printer on fire")

    with subscribed(LicenceGranted, failing_hook):
        with pytest.raises(Injected):
            services.grant_licence(licence.id, granted)

    assert committed_counts(Decision)["decisions"] == decisions
    with db.engine.connect() as connection:
        status = connection.execute(select(Licence.status).where(Licence.id == licence.id)).scalar_one()
    assert status == LicenceStatus.APPLIED


# --- a gunicorn worker killed mid-request --------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def request(port: int, method: str, path: str, body=None, headers=None, timeout=10):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=payload,
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def healthy(port: int) -> bool:
    try:
        return request(port, "GET", "/healthz", timeout=2)[0] == 200
    except OSError:
        return False


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """One sync worker on a loopback port, on the test database; yields (port, master pid)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "gunicorn-test-secret-0123456789",
           "ALLIANCEMARK_ENV": "development", "ALLIANCEMARK_KEYS_DIR": str(tmp_path / "keys"),
           "ALLIANCEMARK_UPLOAD_DIR": str(tmp_path / "uploads"), "PUBLIC_BASE_URL": "http://127.0.0.1"}
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "sync",
         "--timeout", "60", "--graceful-timeout", "5", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: healthy(port) or process.poll() is not None, 30, "gunicorn to start")
        assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def test_committed_data_survives_a_worker_killed_mid_request(app, gunicorn):
    from parties.models import Firm

    port, master = gunicorn
    make_user("clerk", "staff")
    headers = bearer("clerk")
    db.session.remove()  # hold no SQLite lock while gunicorn writes

    kept = {"name": "坚固锁业有限公司", "uscc": make_uscc(11), "address": "中山市小榄镇"}
    status, body = request(port, "POST", "/api/v1/firms", kept, headers)
    assert status == 201, body

    # A slow client: headers and half the body, so the worker sits inside the view reading the rest.
    half = json.dumps({"name": "半途企业有限公司", "uscc": make_uscc(12), "address": "中山市"}).encode()
    [worker] = children(master)
    slow = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        slow.sendall(
            b"POST /api/v1/firms HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Authorization: {headers['Authorization']}\r\nContent-Length: {len(half)}\r\n\r\n".encode()
            + half[: len(half) // 2])
        time.sleep(1.0)
        assert children(master) == [worker], "the worker must still be busy with the slow request"
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: [p for p in children(master) if p != worker], 30, "the master to start a new worker")
    finally:
        slow.close()

    wait_for(lambda: healthy(port), 30, "the new worker to answer")
    status, body = request(port, "GET", f"/api/v1/firms/{kept['uscc']}", headers=headers)
    assert status == 200, body
    assert json.loads(body)["name"] == kept["name"]
    with db.engine.connect() as connection:
        usccs = set(connection.execute(select(Firm.uscc)).scalars())
    assert kept["uscc"] in usccs
    assert make_uscc(12) not in usccs
    # And it takes writes again.
    status, body = request(port, "POST", "/api/v1/firms",
                           {"name": "重启后企业有限公司", "uscc": make_uscc(13), "address": "中山市"}, headers)
    assert status == 201, body


# --- a sweep killed with SIGKILL mid-run ----------------------------------------------------------

HELD_SWEEP = """
import os, sys, time
from app import create_app
from infra import clock
from trademark import services

app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"], "KEYS_DIR": os.environ["KEYS_DIR"]})
real = services.evaluate_licence
calls = {"n": 0}

def held(licence, today, actor=None, **options):
    stored = real(licence, today, actor, **options)
    calls["n"] += 1
    if calls["n"] == 2:  # two licences judged, nothing committed: wait to be killed
        print("HELD", flush=True)
        time.sleep(120)
    return stored

services.evaluate_licence = held
with app.app_context():
    services.sweep(clock.today())
"""


def test_a_sweep_killed_mid_run_commits_nothing_partial_and_a_rerun_stores_one_decision_per_licence(app, database_url,
                                                                                                    tmp_path):
    from datetime import timedelta

    from infra import clock
    from trademark import services
    from trademark.models import Decision

    make_lock_world()
    make_mark(validity_years=1)
    granted = clock.today() - timedelta(days=400)
    ids = [make_active_licence(n, granted).id for n in range(1, 5)]
    db.session.remove()  # hold no SQLite lock while the sweep writes

    def expiries() -> dict[int, int]:
        with db.engine.connect() as connection:
            rows = connection.execute(select(Decision.licence_id).where(Decision.kind == "expire")).scalars().all()
        return {i: rows.count(i) for i in ids}

    env = {**os.environ, "DATABASE_URL": database_url, "KEYS_DIR": str(tmp_path / "keys")}
    process = subprocess.Popen([sys.executable, "-c", HELD_SWEEP], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        line = process.stdout.readline()
        assert line.strip() == b"HELD", line + process.stdout.read()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()

    # Nothing of the killed run is committed (a batched sweep may keep whole batches, never one twice).
    assert all(count <= 1 for count in expiries().values())
    services.sweep(clock.today())
    assert expiries() == {i: 1 for i in ids}
