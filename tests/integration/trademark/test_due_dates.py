"""The days the queues sort by, stored on the licence, always equal what the pure rules derive from
its facts: after every kind of write that changes them, and repaired by the sweep when they drift."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from infra.db import db
from inspections import services as inspections
from parties import services as parties
from tests.builders import (
    LICENCE_LOCK_B_FAIL, lock_inspection, make_active_licence, make_lock_world, make_mark, make_member_firm,
    staff_user,
)
from trademark import rules, services
from trademark.models import Licence

GRANTED = date(2024, 1, 10)
FEE = "1000.00"


@pytest.fixture
def world(app):
    make_lock_world()
    make_mark(fee=FEE)
    return app


@pytest.fixture
def staff(world):
    return staff_user()


def stored(licence_id: int) -> tuple:
    """The stored days as committed (read past the session)."""
    db.session.expire_all()
    return tuple(db.session.execute(select(Licence.surveillance_base, Licence.fee_due_on)
                                    .where(Licence.id == licence_id)).one())


def derived(licence_id: int) -> tuple:
    """What the pure rules derive from the licence's facts, loaded afresh."""
    licence = db.session.get(Licence, licence_id)
    if licence.status not in services.LIVE:
        return None, None
    f = services.facts_for(licence)
    return (rules.surveillance_base(f.licence, f.inspections, date.max, f.standard),
            rules.first_unpaid_fee_due(f.licence, f.payments))


def kept(licence_id: int) -> tuple:
    days = stored(licence_id)
    assert days == derived(licence_id)
    return days


def test_an_application_has_no_due_days_and_the_grant_stores_them(world):
    firm = make_member_firm(1, GRANTED - timedelta(days=400))
    lock_inspection(firm, GRANTED - timedelta(days=5), type="type", sampled_on=GRANTED - timedelta(days=20))
    licence = services.apply_for_licence(uscc=firm.uscc, mark_code="ZSSJ-MARK", product_models=["L-100"],
                                         commitment_signed=True, today=GRANTED - timedelta(days=3))
    assert kept(licence.id) == (None, None)
    services.record_payment(licence.id, GRANTED.year, FEE, GRANTED)
    assert kept(licence.id) == (None, None)  # still an application
    services.grant_licence(licence.id, GRANTED)
    # The type test sampled before the grant does not count for X4: the grant does.
    assert kept(licence.id) == (GRANTED, date(2025, 1, 1))
    licence = db.session.get(Licence, licence.id)
    due = services.surveillance_due(licence, GRANTED)
    assert due[0] == rules.add_months(stored(licence.id)[0], 12)  # what the queue adds the months to


def test_verified_surveillance_moves_the_base_day_and_an_inspection_out_of_scope_does_not(world):
    licence = make_active_licence(1, GRANTED, fee=FEE)
    parties.add_product_model(licence.firm.uscc, "L-200", "插芯门锁")
    lock_inspection(licence.firm, date(2024, 5, 1), sampled_on=date(2024, 4, 20))
    assert kept(licence.id)[0] == date(2024, 4, 20)
    lock_inspection(licence.firm, date(2024, 9, 1), type="market", model="L-200", sampled_on=date(2024, 8, 20))
    assert kept(licence.id)[0] == date(2024, 4, 20)  # L-200 is not in the licence's scope
    lock_inspection(licence.firm, date(2024, 10, 1), values=LICENCE_LOCK_B_FAIL, sampled_on=date(2024, 9, 25))
    assert db.session.get(Licence, licence.id).status == "active"  # an X2 warning
    assert kept(licence.id)[0] == date(2024, 9, 25)  # a failed surveillance was still done


def test_a_verified_revision_with_another_sampling_day_replaces_the_base_day(world):
    tech, reviewer = make_lock_world()
    licence = make_active_licence(1, GRANTED, fee=FEE)
    first = lock_inspection(licence.firm, date(2024, 6, 1), sampled_on=date(2024, 5, 20))
    assert kept(licence.id)[0] == date(2024, 5, 20)
    draft = inspections.revise(first.id, tech, "抽样日期登记错误")
    inspections.update_sampling(draft.id, tech, inspections.Sampling(
        sampled_on=date(2024, 5, 10), lot_no="L1", lot_size=first.lot_size, seal_no="F1", samplers="张三"),
        date(2024, 6, 3))
    assert kept(licence.id)[0] == date(2024, 5, 20)  # a draft changes nothing
    inspections.submit(draft.id, tech)
    inspections.verify_inspection(draft.id, reviewer, date(2024, 6, 3))
    assert kept(licence.id)[0] == date(2024, 5, 10)


def test_payments_move_the_fee_due_day_to_the_first_year_not_fully_paid(world):
    licence = make_active_licence(1, GRANTED, fee=FEE)
    assert kept(licence.id)[1] == date(2025, 1, 1)
    services.record_payment(licence.id, 2025, "400.00", date(2024, 12, 1))
    assert kept(licence.id)[1] == date(2025, 1, 1)
    services.record_payment(licence.id, 2025, "600.00", date(2024, 12, 2))
    assert kept(licence.id)[1] == date(2026, 1, 1)


def test_a_status_change_keeps_the_days_while_live_and_clears_them_when_the_licence_ends(world, staff):
    licence = make_active_licence(1, GRANTED, fee=FEE)
    days = kept(licence.id)
    services.act_on_licence(licence.id, "suspend", "现场检查发现问题", date(2024, 3, 1), staff)
    assert kept(licence.id) == days
    services.act_on_licence(licence.id, "reinstate", "问题已整改", date(2024, 3, 10), staff)
    assert kept(licence.id) == days
    services.act_on_licence(licence.id, "revoke", "严重违规", date(2024, 4, 1), staff)
    assert kept(licence.id) == (None, None)


def test_a_licence_ended_by_the_sweep_leaves_the_queues(world):
    licence = make_active_licence(1, GRANTED, fee=FEE)
    services.sweep(rules.expiry_date(GRANTED, 3) + timedelta(days=1))
    assert db.session.get(Licence, licence.id).status not in services.LIVE
    assert kept(licence.id) == (None, None)


def test_changing_the_marks_fee_recomputes_its_live_licences(world, staff):
    licence = make_active_licence(1, GRANTED, fee=FEE)
    mark = services.find_mark("ZSSJ-MARK")
    edit = dict(name=mark.name, type=mark.type, registration_no=None, standard_code="Q/ZSSJ 001",
                validity_years=3, actor=staff)
    services.update_mark(mark.id, fee_per_year=None, **edit)
    assert kept(licence.id)[1] is None
    services.update_mark(mark.id, fee_per_year="500.00", **edit)
    assert kept(licence.id)[1] == date(2025, 1, 1)  # 2024's 1000 covers 500; 2025 is unpaid
    services.update_mark(mark.id, fee_per_year="2000.00", **edit)
    assert kept(licence.id)[1] == GRANTED  # 2024 is now only half paid


def test_the_sweep_repairs_a_wrong_stored_day_and_says_so(world):
    licence = make_active_licence(1, GRANTED, fee=FEE)
    right = kept(licence.id)
    db.session.execute(update(Licence).where(Licence.id == licence.id)
                       .values(surveillance_base=date(2030, 1, 1), fee_due_on=None))
    db.session.commit()
    assert stored(licence.id) != derived(licence.id)
    result = world.test_cli_runner().invoke(args=["sweep", "--today", "2024-02-01"])
    assert result.exit_code == 0, result.output
    assert "stored due dates repaired: 1 licences" in result.output
    assert kept(licence.id) == right
    again = world.test_cli_runner().invoke(args=["sweep", "--today", "2024-02-01"])
    assert "repaired" not in again.output


def test_a_wrong_stored_day_keeps_the_licence_off_the_surveillance_queue_until_the_sweep_repairs_it(world):
    licence = make_active_licence(1, GRANTED, fee=FEE)
    today = date(2024, 12, 20)  # the grant's yearly surveillance falls due within the horizon
    assert [r.licence.id for r in services.work_queues(today).surveillance.items] == [licence.id]
    db.session.execute(update(Licence).where(Licence.id == licence.id).values(surveillance_base=today))
    db.session.commit()
    assert services.work_queues(today).surveillance.total == 0  # the queue reads the stored day
    services.sweep(today)
    assert [r.licence.id for r in services.work_queues(today).surveillance.items] == [licence.id]


def test_the_migration_back_fills_the_days_the_rules_derive(database_url, tmp_path):
    """0007 adds the columns to a database full of licences: every live one gets its days at once."""
    if database_url.startswith("postgresql"):
        pytest.skip("the migrations build their own SQLite database here (infra's test_migrations covers PostgreSQL)")
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_app

    app = make_app("sqlite:///" + str(tmp_path / "backfill.db"), tmp_path)
    with app.app_context():
        upgrade()
        make_lock_world()
        make_mark(fee=FEE)
        paid_up = make_active_licence(1, GRANTED, fee=FEE)
        owing = make_active_licence(2, GRANTED, fee=FEE)
        services.record_payment(paid_up.id, 2025, FEE, date(2024, 12, 1))
        lock_inspection(paid_up.firm, date(2024, 5, 1), sampled_on=date(2024, 4, 20))
        ended = make_active_licence(3, GRANTED, fee=FEE)
        services.act_on_licence(ended.id, "revoke", "严重违规", date(2024, 4, 1), staff_user())
        ids = [paid_up.id, owing.id, ended.id]
        before = [kept(i) for i in ids]
        assert before == [(date(2024, 4, 20), date(2026, 1, 1)), (GRANTED, date(2025, 1, 1)), (None, None)]
        db.session.remove()
        downgrade(revision="0006_inspection_void")
        upgrade()
        assert [kept(i) for i in ids] == before
        db.session.remove()
        db.engine.dispose()
