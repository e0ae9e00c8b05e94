"""A column a migration added and filled (0007: inspection numbers) does not read as tampering."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from infra import audit
from infra.db import db
from inspections import services
from tests.builders import make_alliance, make_inspection, make_standard, make_station, make_station_people


def tamper(sql: str, **params) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


@pytest.fixture
def written_before_the_migration(app, monkeypatch):
    """An inspection whose audited insert does not name `number`, as rows written before 0007."""
    make_alliance()
    make_standard()
    make_station()
    tech = make_station_people()[0]
    real = audit._row

    def without_number(state, values):
        row = real(state, values)
        if state.mapper.local_table.name == "inspections":
            row.pop("number", None)
        return row

    monkeypatch.setattr(audit, "_row", without_number)
    row = make_inspection(tech)
    monkeypatch.setattr(audit, "_row", real)
    tamper("UPDATE inspections SET number = 'ZS-LAB-2024-0001' WHERE id = :id", id=row.id)  # the back-fill
    return tech, row.id


def test_the_number_a_migration_filled_in_is_not_named_as_changed_outside_the_application(
        written_before_the_migration):
    assert audit.verify_chain().ok, str(audit.verify_chain())


def test_once_the_row_is_written_again_its_number_is_guarded_like_any_column(written_before_the_migration):
    tech, inspection_id = written_before_the_migration
    services.void_inspection(inspection_id, tech, "开错了")  # an audited write: its state names the number now
    assert audit.verify_chain().ok

    tamper("UPDATE inspections SET number = 'ZS-LAB-2024-0099' WHERE id = :id", id=inspection_id)

    report = audit.verify_chain()
    assert not report.ok and report.where == f"inspections row {inspection_id}" and "number" in report.problem


def test_another_column_changed_in_sql_on_such_a_row_is_still_named(written_before_the_migration):
    _tech, inspection_id = written_before_the_migration
    tamper("UPDATE inspections SET lot_no = 'FORGED' WHERE id = :id", id=inspection_id)

    report = audit.verify_chain()
    assert not report.ok and "lot_no" in report.problem
