"""Verifying an inspection and showing it cost the same few queries whatever the firm's number of licences."""
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from infra.db import db
from inspections import services as inspections
from tests.builders import (LICENCE_LOCK_B_FAIL, LICENCE_LOCK_PASS, login, make_active_licence, make_lock_world,
                            make_mark, make_user)
from trademark import services

TODAY = date.today()


@contextmanager
def counted():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def submitted(n: int, licences: int, values: dict):
    """A firm holding `licences` licences of the lock standard's marks, and its submitted surveillance."""
    make_lock_world()
    make_mark()
    licence = make_active_licence(n, TODAY - timedelta(days=100))
    firm = licence.firm
    for i in range(1, licences):
        make_mark(code=f"EXTRA-{i}")
        extra = services.apply_for_licence(uscc=firm.uscc, mark_code=f"EXTRA-{i}", product_models=["L-100"],
                                           commitment_signed=True, today=TODAY - timedelta(days=50))
        services.grant_licence(extra.id, TODAY - timedelta(days=50))
    tech, _reviewer = make_lock_world()
    row = inspections.create_inspection(
        type="surveillance", firm_uscc=firm.uscc, product_model="L-100", standard_code="Q/ZSSJ 001",
        station_code="ZS-LAB", actor=tech, today=TODAY, sampling=inspections.Sampling(sampled_on=TODAY, lot_size=500))
    inspections.save_results(row.id, inspections.entries_for(row, values), tech)
    inspections.submit(row.id, tech)
    return row.id, firm.id


def verify_statements(inspection_id: int) -> list[str]:
    _tech, reviewer = make_lock_world()
    db.session.expire_all()
    with counted() as statements:
        inspections.verify_inspection(inspection_id, reviewer, TODAY)
    return statements


def reads_and_writes(statements: list[str]) -> list[str]:
    # SQLite cannot return the ids of a many-row INSERT in order, so SQLAlchemy writes one stored decision
    # per statement there (PostgreSQL: one for all); every other statement is counted as it is.
    return [s for s in statements if not s.startswith("INSERT INTO decisions")] + \
        [s for s in statements if s.startswith("INSERT INTO decisions")][:1]


@pytest.mark.parametrize("values", [LICENCE_LOCK_PASS, LICENCE_LOCK_B_FAIL], ids=["pass", "fail"])
def test_verifying_runs_the_same_few_queries_for_a_firm_of_one_licence_and_of_six(app, values):
    (one, _), (six, firm_id) = submitted(1, 1, values), submitted(2, 6, values)
    at_one, at_six = verify_statements(one), verify_statements(six)
    assert len(reads_and_writes(at_six)) == len(reads_and_writes(at_one)) <= 36, "\n".join(at_six)
    warned = [d for lic in services.firm_licences(firm_id) for d in services.licence_decisions(lic) if d.kind == "warn"]
    # A B-class failure warns every licence of the model (X2): six decisions, written in the one flush.
    assert len(warned) == (6 if values is LICENCE_LOCK_B_FAIL else 0)


def test_the_detail_page_runs_the_same_queries_for_a_firm_of_one_licence_and_of_six(app, client):
    (one, _), (six, _) = submitted(1, 1, LICENCE_LOCK_PASS), submitted(2, 6, LICENCE_LOCK_PASS)
    make_user("secretary", "staff")
    login(client, "secretary")
    counts = []
    for inspection_id in (one, six, one, six):  # submitted, then verified
        if len(counts) == 2:
            verify_statements(one), verify_statements(six)
        client.get(f"/inspections/{inspection_id}")  # warm-up
        db.session.expire_all()
        with counted() as statements:
            assert client.get(f"/inspections/{inspection_id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[2] == counts[3] and max(counts) <= 20, counts
