"""Eight requests released at once store exactly one decision each (issue 12; SPEC §2 Decision, §4 sweep).

Each thread has its own test client, so its own app context, session and database connection.
On PostgreSQL the rows are locked (SELECT … FOR UPDATE); on SQLite every use case is an
immediate write transaction, so the same tests check both.
"""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from infra import clock
from infra.db import db
from tests.builders import (bearer, lock_inspection, make_active_licence, make_lock_world, make_mark,
                            make_member_firm, make_user)
from trademark import services
from trademark.models import Decision, Licence, LicenceStatus

N = 8


def at_once(app, call, n: int = N) -> Counter:
    """Run `call(client)` in n threads released together by a barrier; count the answers by status."""
    barrier = threading.Barrier(n)
    answers: list[int] = []
    errors: list[BaseException] = []

    def worker():
        client = app.test_client()
        try:
            with app.app_context():  # its own session and connection, closed when the thread ends
                barrier.wait(timeout=30)
                answers.append(call(client).status_code)
                db.session.remove()
        except BaseException as err:  # a thread's failure must fail the test, not vanish
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return Counter(answers)


def committed_decisions(licence_id: int) -> list[tuple[str | None, str, str]]:
    """The licence's decisions as another connection sees them: (from, to, kind), oldest first."""
    with db.engine.connect() as connection:
        rows = connection.execute(select(Decision.from_status, Decision.to_status, Decision.kind)
                                  .where(Decision.licence_id == licence_id).order_by(Decision.id)).all()
    return [tuple(r) for r in rows]


def assert_consistent(trail):
    """Each decision starts from the status the previous one left: none was taken on stale data."""
    for before, after in zip(trail, trail[1:]):
        assert after[0] == before[1], trail


@pytest.fixture
def admin(app):
    make_user("boss", "admin")
    return bearer("boss")


@pytest.fixture
def licence(app):
    make_lock_world()
    make_mark()
    return make_active_licence(1, clock.today() - timedelta(days=30))


def act(licence_id, headers, action, reason):
    return lambda client: client.post(f"/api/v1/licences/{licence_id}/actions",
                                      json={"action": action, "reason": reason}, headers=headers)


def test_eight_identical_suspensions_store_one_decision_and_answer_seven_conflicts(app, admin, licence):
    answers = at_once(app, act(licence.id, admin, "suspend", "市场抽查发现标志使用不规范"))

    assert answers == {200: 1, 409: N - 1}
    assert committed_decisions(licence.id)[2:] == [("active", "suspended", "suspend")]


def test_eight_revocations_at_once_store_one_revocation(app, admin, licence):
    answers = at_once(app, act(licence.id, admin, "revoke", "企业伪造检验报告"))

    assert answers == {200: 1, 409: N - 1}
    assert committed_decisions(licence.id)[2:] == [("active", "revoked", "revoke")]


def test_eight_reinstatements_at_once_store_one_reinstatement(app, admin, licence):
    client = app.test_client()
    assert act(licence.id, admin, "suspend", "整改")(client).status_code == 200

    answers = at_once(app, act(licence.id, admin, "reinstate", "整改完成"))

    assert answers == {200: 1, 409: N - 1}
    trail = committed_decisions(licence.id)
    assert trail[2:] == [("active", "suspended", "suspend"), ("suspended", "active", "reinstate")]


def test_eight_applications_at_once_for_the_same_firm_and_mark_open_one(app, admin):
    make_lock_world()
    make_mark()
    firm = make_member_firm(1, date(2023, 1, 1))
    body = {"firm_uscc": firm.uscc, "mark_code": "ZSSJ-MARK", "product_models": ["L-100"], "commitment_signed": True}

    answers = at_once(app, lambda client: client.post("/api/v1/licences", json=body, headers=admin))

    assert answers == {201: 1, 409: N - 1}
    with db.engine.connect() as connection:
        rows = connection.execute(select(Licence.status).where(Licence.firm_id == firm.id)).scalars().all()
    assert rows == [LicenceStatus.APPLIED]


def test_eight_grants_at_once_issue_one_certificate_and_answer_conflicts_not_errors(app, admin):
    from certificates.models import Certificate

    make_lock_world()
    make_mark()
    today = clock.today()
    firm = make_member_firm(1, today - timedelta(days=400))
    lock_inspection(firm, today - timedelta(days=5), type="type", sampled_on=today - timedelta(days=20))
    application = services.apply_for_licence(uscc=firm.uscc, mark_code="ZSSJ-MARK", product_models=["L-100"],
                                             commitment_signed=True, today=today - timedelta(days=3))

    url = f"/api/v1/licences/{application.id}/grant"  # read here: the threads must not touch this session

    answers = at_once(app, lambda client: client.post(url, headers=admin))

    assert answers == {200: 1, 409: N - 1}
    assert committed_decisions(application.id) == [(None, "applied", "apply"), ("applied", "active", "grant")]
    with db.engine.connect() as connection:
        certificates = connection.execute(select(Certificate.id).where(Certificate.licence_id == application.id)).all()
    assert len(certificates) == 1


def test_a_repeated_warning_with_the_same_reason_is_one_decision_but_a_new_reason_is_another(app, admin, licence):
    client = app.test_client()
    first = act(licence.id, admin, "warn", "包装标志尺寸不符")(client)
    again = act(licence.id, admin, "warn", "包装标志尺寸不符")(client)
    other = act(licence.id, admin, "warn", "宣传册误用标志")(client)

    assert (first.status_code, again.status_code, other.status_code) == (200, 409, 200)
    assert "不重复记录" in again.get_json()["error"]["message"]
    assert [kind for _, _, kind in committed_decisions(licence.id)[2:]] == ["warn", "warn"]


# --- the sweep beside staff and beside itself ------------------------------------------------------

def expired_licences(app, count: int) -> list[Licence]:
    """Licences granted over three years ago: the sweep of today expires them (X9)."""
    make_lock_world()
    make_mark(validity_years=1)
    granted = clock.today() - timedelta(days=400)
    return [make_active_licence(n, granted) for n in range(1, count + 1)]


def in_thread(app, target):
    errors: list[BaseException] = []

    def run():
        try:
            with app.app_context():
                target()
        except BaseException as err:
            errors.append(err)
        finally:
            with app.app_context():
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_two_sweeps_at_once_store_one_decision_per_licence(app):
    licences = expired_licences(app, 4)
    barrier = threading.Barrier(2)
    today = clock.today()

    def sweep():
        barrier.wait(timeout=30)
        services.sweep(today)

    runs = [in_thread(app, sweep) for _ in range(2)]
    for thread, errors in runs:
        thread.join(timeout=120)
        assert not errors, errors

    for licence in licences:
        trail = committed_decisions(licence.id)
        assert_consistent(trail)
        assert [t for t in trail if t[2] not in ("apply", "grant")] == [("active", "expired", "expire")]


def test_a_sweep_held_mid_run_takes_no_decision_on_a_status_staff_changed_under_it(app, admin, monkeypatch):
    [licence] = expired_licences(app, 1)
    reached, release = threading.Event(), threading.Event()
    real = services.evaluate_licence

    def held(row, today, actor=None, **options):
        reached.set()
        assert release.wait(timeout=60)
        return real(row, today, actor, **options)

    monkeypatch.setattr(services, "evaluate_licence", held)
    sweeper, sweep_errors = in_thread(app, lambda: services.sweep(clock.today()))
    assert reached.wait(timeout=30)  # the sweep has listed the licence as active and waits

    answers: list[int] = []
    revoke = act(licence.id, admin, "revoke", "企业拒不整改")
    staff, staff_errors = in_thread(app, lambda: answers.append(revoke(app.test_client()).status_code))
    staff.join(timeout=2)  # PostgreSQL: the revoke commits now; SQLite: it queues behind the sweep's write lock
    release.set()
    sweeper.join(timeout=60)
    staff.join(timeout=60)
    assert not sweep_errors and not staff_errors, (sweep_errors, staff_errors)

    trail = committed_decisions(licence.id)
    assert_consistent(trail)
    last = [t for t in trail if t[2] not in ("apply", "grant")]
    if db.engine.dialect.name == "postgresql":
        # The revoke went first; the sweep re-read the locked row, found it revoked and left it alone.
        assert (answers, last) == ([200], [("active", "revoked", "revoke")])
    else:
        # SQLite: the sweep held the database's write lock; the revoke then found the licence expired.
        assert (answers, last) == ([409], [("active", "expired", "expire")])


def test_a_staff_action_beside_a_sweep_that_has_already_written_waits_for_it_and_never_deadlocks(app, admin,
                                                                                               monkeypatch):
    first, second = expired_licences(app, 2)
    reached, release = threading.Event(), threading.Event()
    real = services.evaluate_licence

    def held_after_writing(row, today, actor=None, **options):
        stored = real(row, today, actor, **options)  # judged: the sweep holds its batch's locks and the writers' lock
        if not reached.is_set():
            reached.set()
            assert release.wait(timeout=60)
        return stored

    monkeypatch.setattr(services, "evaluate_licence", held_after_writing)
    sweeper, sweep_errors = in_thread(app, lambda: services.sweep(clock.today()))
    assert reached.wait(timeout=30)

    answers: list[int] = []
    revoke = act(second.id, admin, "revoke", "企业拒不整改")
    staff, staff_errors = in_thread(app, lambda: answers.append(revoke(app.test_client()).status_code))
    staff.join(timeout=2)
    assert staff.is_alive(), "the revoke must wait for the sweep that is writing"
    release.set()
    sweeper.join(timeout=60)
    staff.join(timeout=60)
    assert not sweep_errors and not staff_errors, (sweep_errors, staff_errors)

    # The sweep finished (it expired the second licence too); the revoke then found it expired.
    assert answers == [409]
    for licence in (first, second):
        trail = committed_decisions(licence.id)
        assert_consistent(trail)
        assert [t for t in trail if t[2] not in ("apply", "grant")] == [("active", "expired", "expire")]
