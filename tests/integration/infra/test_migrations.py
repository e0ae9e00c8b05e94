"""`flask db upgrade` builds, from nothing, exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from infra.db import db
from tests.conftest import make_app


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        yield "sqlite:///" + str(tmp_path / "migrations.db")
        return
    name = f"{make_url(database_url).database}_migrations"  # beside the test database: never another run's
    url = make_url(database_url).set(database=name)
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.render_as_string(hide_password=False)
    admin.dispose()


def test_the_migrations_build_the_schema_of_the_models_from_nothing(empty_database_url, tmp_path):
    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_0007_numbers_existing_inspections_per_station_and_year_and_continues_licence_numbers(empty_database_url,
                                                                                             tmp_path):
    from datetime import date, datetime, timedelta

    from accounts.models import User
    from inspections import services as inspections
    from inspections.models import Inspection
    from tests.builders import (LOCK_PASS, lock_entries, make_active_licence, make_alliance, make_inspection,
                                make_lock_world, make_mark, make_standard, make_station, make_station_people)

    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade()
        make_alliance()
        make_standard()
        make_station()
        make_station("ZS-LAB2")
        tech, _, reviewer, _ = make_station_people()
        other = make_station_people("ZS-LAB2", prefix="b-")[0]
        first = make_inspection(tech)                       # 2024 at ZS-LAB
        make_inspection(other, station="ZS-LAB2")           # 2024 at ZS-LAB2
        voided = make_inspection(tech)
        inspections.void_inspection(voided.id, tech, "开错了")
        inspections.save_results(first.id, lock_entries(first, LOCK_PASS), tech)
        inspections.submit(first.id, tech)
        inspections.verify_inspection(first.id, reviewer, date(2024, 3, 2))
        revision = inspections.revise(first.id, tech, "抄录错误")
        late = make_inspection(tech)
        ids = [first.id, first.id + 1, voided.id, revision.id, late.id]
        # Created at 2025-12-31 17:00 UTC: already 2026-01-01 in Shanghai, so numbered in 2026.
        db.session.execute(text("UPDATE inspections SET created_at = :at WHERE id = :id"),
                           {"at": datetime(2025, 12, 31, 17, 0), "id": late.id})
        db.session.execute(text("UPDATE inspections SET created_at = :at WHERE id <> :id"),
                           {"at": datetime(2024, 3, 1, 2, 0), "id": late.id})
        make_lock_world()
        make_mark()
        granted = date.today() - timedelta(days=10)
        licence = make_active_licence(5, granted)
        db.session.commit()
        tech_id, late_id, licence_id = tech.id, late.id, licence.id
        db.session.remove()

        downgrade(revision="0006_inspection_void")
        upgrade()

        rows = dict(db.session.execute(text("SELECT id, number FROM inspections")).all())
        assert [rows[i] for i in ids] == ["ZS-LAB-2024-0001", "ZS-LAB2-2024-0001", "ZS-LAB-2024-0002",
                                          "ZS-LAB-2024-0001", "ZS-LAB-2026-0001"]
        # The counters go on from there: the next inspection of ZS-LAB in 2024 is the third.
        assert make_inspection(db.session.get(User, tech_id)).number == "ZS-LAB-2024-0003"
        assert db.session.get(Inspection, late_id).number == "ZS-LAB-2026-0001"
        # The licence kept its number (printed and signed on its certificate); the next one follows it.
        kept = db.session.execute(text("SELECT number FROM licences WHERE id = :id"), {"id": licence_id}).scalar_one()
        assert kept == f"ZSSJ-MARK-{granted.year}-00001"
        assert make_active_licence(6, granted).number == f"ZSSJ-MARK-{granted.year}-00002"
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
