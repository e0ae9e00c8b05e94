"""`flask backup FILE` and `flask restore FILE` round-trip every table, types included."""
from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from infra.audit import verify_chain
from infra.db import db
from tests.builders import bearer, make_active_licence, make_firm, make_lock_world, make_mark, make_user

IMAGE = bytes(range(256)) + b"\x89PNG\r\n\x1a\n\x00\xff"


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, as the database returns it."""
    out = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(row) for row in connection.execute(select(table).order_by(*order))]
    return out


@pytest.fixture
def world(app):
    """A believable database: standards, a station, inspections, a licence, decisions, tokens and bytes."""
    from trademark.models import Mark

    make_lock_world()
    make_mark()
    make_active_licence(1, date(2024, 6, 1))
    make_firm(7, name="只有名称的企业")
    make_user("clerk", "staff")
    bearer("clerk")
    mark = db.session.execute(select(Mark)).scalars().first()
    mark.image = IMAGE
    db.session.commit()
    return snapshot()


def empty_database() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_backup_then_restore_gives_back_every_row_of_every_table(app, world, tmp_path):
    path = tmp_path / "alliancemark.zip"
    result = cli(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    empty_database()
    assert all(rows == [] for rows in snapshot().values())

    result = cli(app, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert snapshot() == world
    assert sum(len(rows) for rows in world.values()) > 50


def test_restored_values_keep_their_types(app, world, tmp_path):
    from compliance.models import StandardVersion
    from trademark.models import Decision, Mark

    path = tmp_path / "b.zip"
    cli(app, "backup", str(path))
    empty_database()
    cli(app, "restore", str(path))
    db.session.expire_all()

    mark = db.session.execute(select(Mark)).scalars().first()
    assert mark.image == IMAGE
    version = db.session.execute(select(StandardVersion)).scalars().first()
    assert isinstance(version.effective, date) and isinstance(version.imported_at, datetime)
    assert isinstance(version.verdict_rule, dict) and version.verdict_rule["pass_if_any"]
    decision = db.session.execute(select(Decision)).scalars().first()
    assert isinstance(decision.evidence, list)


def test_the_audit_chain_still_verifies_after_a_restore(app, world, tmp_path):
    path = tmp_path / "b.zip"
    cli(app, "backup", str(path))
    empty_database()
    cli(app, "restore", str(path))
    report = verify_chain()
    assert report.ok and report.checked > 0, str(report)


def test_new_rows_after_a_restore_get_fresh_ids(app, world, tmp_path):
    """On PostgreSQL the sequences are reset past the restored ids, so the next insert does not collide."""
    from parties.models import Firm

    path = tmp_path / "b.zip"
    cli(app, "backup", str(path))
    highest = db.session.execute(select(func.max(Firm.id))).scalar_one()
    empty_database()
    cli(app, "restore", str(path))
    firm = make_firm(50)
    assert firm.id > highest
    assert verify_chain().ok


def test_restore_refuses_a_database_that_is_not_empty(app, world, tmp_path):
    path = tmp_path / "b.zip"
    cli(app, "backup", str(path))
    make_firm(60)

    result = cli(app, "restore", str(path))
    assert result.exit_code != 0
    assert "--force" in result.output
    assert len(snapshot()["firms"]) == len(world["firms"]) + 1


def test_restore_with_force_replaces_what_is_there(app, world, tmp_path):
    path = tmp_path / "b.zip"
    cli(app, "backup", str(path))
    make_firm(60)

    result = cli(app, "restore", "--force", str(path))
    assert result.exit_code == 0, result.output
    assert snapshot() == world


def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    result = cli(app, "restore", str(path))
    assert result.exit_code != 0
    assert "manifest" in result.output


def test_a_failed_restore_leaves_the_database_empty(app, world, tmp_path):
    """The restore is one transaction: a broken line halfway rolls back every table."""
    path = tmp_path / "b.zip"
    broken = tmp_path / "broken.zip"
    cli(app, "backup", str(path))
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "tables/clauses.jsonl":
                data += b"{not json\n"
            target.writestr(item, data)
    empty_database()

    result = cli(app, "restore", str(broken))
    assert result.exit_code != 0
    assert all(rows == [] for rows in snapshot().values())


def test_decimal_columns_would_travel_as_strings():
    from sqlalchemy import Column, Numeric

    from infra.backup import decode, encode

    column = Column("amount", Numeric(12, 2))
    assert encode(column, Decimal("1200.50")) == "1200.50"
    assert decode(column, "1200.50") == Decimal("1200.50")
