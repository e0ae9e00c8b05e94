"""Exit rules through the real database: event rules on verification, time rules through `flask sweep`."""
from datetime import date, timedelta

import pytest

from infra.db import db
from infra.errors import AppError
from tests.builders import (
    LICENCE_LOCK_A_FAIL, LICENCE_LOCK_B_FAIL, lock_inspection, make_active_licence, make_lock_world, make_mark,
)
from trademark import rules, services
from trademark.models import Decision, Licence

GRANTED = date(2024, 1, 10)


@pytest.fixture
def world(app):
    make_lock_world()
    make_mark()
    return app


def sweep(app, day: date):
    result = app.test_cli_runner().invoke(args=["sweep", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def timeline(licence) -> list[tuple[str, str, str]]:
    return [(d.kind, d.rule, d.to_status) for d in services.licence_decisions(licence)]


def last(licence) -> Decision:
    return services.licence_decisions(licence)[-1]


def test_x1_a_critical_surveillance_failure_suspends_at_once_and_revokes_the_day_after_the_deadline(world):
    licence = make_active_licence(1, GRANTED)
    failed = lock_inspection(licence.firm, date(2024, 4, 20), values=LICENCE_LOCK_A_FAIL, sampled_on=date(2024, 4, 10))
    assert licence.status == "suspended"
    assert last(licence).rule == "X1" and last(licence).evidence == [failed.id]
    deadline = date(2024, 4, 20) + timedelta(days=90)
    assert last(licence).deadline == deadline
    sweep(world, deadline)
    assert db.session.get(Licence, licence.id).status == "suspended"
    sweep(world, deadline + timedelta(days=1))
    licence = db.session.get(Licence, licence.id)
    assert licence.status == "revoked" and last(licence).rule == "X1"


def test_x1_a_passed_surveillance_sampled_after_the_suspension_reinstates(world):
    licence = make_active_licence(1, GRANTED)
    lock_inspection(licence.firm, date(2024, 4, 20), values=LICENCE_LOCK_A_FAIL, sampled_on=date(2024, 4, 10))
    lock_inspection(licence.firm, date(2024, 6, 1), sampled_on=date(2024, 5, 20))
    assert licence.status == "active"
    assert timeline(licence)[-1] == ("reinstate", "X1", "active")
    sweep(world, date(2024, 12, 1))
    assert db.session.get(Licence, licence.id).status == "active"


def test_x2_a_failure_without_a_class_warns_and_suspends_after_the_retest_deadline(world):
    licence = make_active_licence(1, GRANTED)
    lock_inspection(licence.firm, date(2024, 4, 20), values=LICENCE_LOCK_B_FAIL, sampled_on=date(2024, 4, 10))
    assert licence.status == "active"
    warning = last(licence)
    assert (warning.kind, warning.rule, warning.from_status, warning.to_status) == ("warn", "X2", "active", "active")
    deadline = warning.deadline
    assert deadline == date(2024, 5, 20)
    sweep(world, deadline)
    assert db.session.get(Licence, licence.id).status == "active"
    sweep(world, deadline + timedelta(days=1))
    licence = db.session.get(Licence, licence.id)
    assert licence.status == "suspended" and last(licence).rule == "X2"


def test_x2_a_passed_retest_before_the_deadline_settles_the_warning(world):
    licence = make_active_licence(1, GRANTED)
    failed = lock_inspection(licence.firm, date(2024, 4, 20), values=LICENCE_LOCK_B_FAIL, sampled_on=date(2024, 4, 10))
    lock_inspection(licence.firm, date(2024, 5, 10), retest_of=failed.id, sampled_on=date(2024, 5, 1))
    sweep(world, date(2024, 6, 30))
    licence = db.session.get(Licence, licence.id)
    assert licence.status == "active"
    assert [k for k, _, _ in timeline(licence)] == ["apply", "grant", "warn"]


def test_x4_missing_surveillance_suspends_after_the_grace_period_and_a_passed_one_reinstates(world):
    licence = make_active_licence(1, GRANTED)
    due = rules.add_months(GRANTED, 12) + timedelta(days=30)
    sweep(world, due)
    assert db.session.get(Licence, licence.id).status == "active"
    sweep(world, due + timedelta(days=1))
    licence = db.session.get(Licence, licence.id)
    assert licence.status == "suspended" and last(licence).rule == "X4"
    lock_inspection(licence.firm, due + timedelta(days=20), sampled_on=due + timedelta(days=10))
    assert licence.status == "active" and last(licence).kind == "reinstate"


def test_x6_an_unpaid_fee_suspends_after_the_grace_period_and_payment_reinstates(world):
    make_mark("SD-PAID", fee="5000")
    licence = make_active_licence(1, GRANTED, mark_code="SD-PAID", fee="5000")
    # keep X4 quiet: a passed surveillance in 2024
    lock_inspection(licence.firm, date(2024, 11, 1), sampled_on=date(2024, 10, 20))
    sweep(world, date(2025, 1, 31))
    assert db.session.get(Licence, licence.id).status == "active"
    sweep(world, date(2025, 2, 1))
    licence = db.session.get(Licence, licence.id)
    assert licence.status == "suspended" and last(licence).rule == "X6"
    services.record_payment(licence.id, 2025, "4000", date(2025, 2, 3))
    assert licence.status == "suspended"  # part payment clears nothing
    services.record_payment(licence.id, 2025, "1000.00", date(2025, 2, 4))
    assert licence.status == "active" and last(licence).kind == "reinstate" and last(licence).actor_name == "system"


def test_x9_a_licence_expires_the_day_after_its_validity_ends(world):
    make_mark("SHORT", validity_years=1, rules={"X4": {"enabled": False}})
    licence = make_active_licence(1, GRANTED, mark_code="SHORT")
    assert licence.expires_on == date(2025, 1, 9)
    sweep(world, date(2025, 1, 9))
    assert db.session.get(Licence, licence.id).status == "active"
    sweep(world, date(2025, 1, 10))
    licence = db.session.get(Licence, licence.id)
    assert licence.status == "expired" and last(licence).rule == "X9" and licence.ended_on == date(2025, 1, 10)


def test_x7_a_licence_suspended_too_long_is_revoked(world):
    licence = make_active_licence(1, GRANTED)
    services.act_on_licence(licence.id, "suspend", "包装违规，待整改", date(2024, 3, 1), None)
    sweep(world, date(2024, 9, 1))
    assert db.session.get(Licence, licence.id).status == "suspended"
    sweep(world, date(2024, 9, 2))
    licence = db.session.get(Licence, licence.id)
    assert licence.status == "revoked" and last(licence).rule == "X7"


def test_x3_two_failed_verdicts_within_a_year_revoke(world):
    licence = make_active_licence(1, GRANTED)
    lock_inspection(licence.firm, date(2024, 4, 20), values=LICENCE_LOCK_A_FAIL, sampled_on=date(2024, 4, 10))
    lock_inspection(licence.firm, date(2024, 6, 1), values=LICENCE_LOCK_A_FAIL, sampled_on=date(2024, 5, 20))
    assert licence.status == "revoked" and last(licence).rule == "X3"


def test_a_second_sweep_on_the_same_day_makes_no_decision(world):
    make_active_licence(1, GRANTED)
    day = rules.add_months(GRANTED, 12) + timedelta(days=31)
    first = sweep(world, day)
    count = db.session.query(Decision).count()
    second = sweep(world, day)
    assert "1 decisions" in first and "0 decisions" in second
    assert db.session.query(Decision).count() == count


def test_a_licence_is_reinstated_only_once_every_cause_is_cleared(world):
    make_mark("SD-PAID", fee="5000")
    licence = make_active_licence(1, GRANTED, mark_code="SD-PAID", fee="5000")
    day = rules.add_months(GRANTED, 12) + timedelta(days=31)  # 2025-02-10: X4 and X6 both due
    sweep(world, day)
    licence = db.session.get(Licence, licence.id)
    assert licence.status == "suspended"
    assert {d.rule for d in services.licence_decisions(licence) if d.kind == "suspend"} == {"X4", "X6"}
    services.record_payment(licence.id, 2025, "5000", day + timedelta(days=1))
    assert licence.status == "suspended"
    lock_inspection(licence.firm, day + timedelta(days=10), sampled_on=day + timedelta(days=5))
    assert licence.status == "active" and last(licence).kind == "reinstate"


def test_revocation_is_final(world):
    licence = make_active_licence(1, GRANTED)
    services.act_on_licence(licence.id, "revoke", "冒用他人型号", date(2024, 3, 1), None)
    for action in ("reinstate", "suspend", "warn"):
        with pytest.raises(AppError) as err:
            services.act_on_licence(licence.id, action, "试图恢复", date(2024, 3, 2), None)
        assert err.value.status == 409
    lock_inspection(licence.firm, date(2024, 5, 1), sampled_on=date(2024, 4, 20))
    sweep(world, date(2024, 6, 1))
    assert db.session.get(Licence, licence.id).status == "revoked"
    # The firm must apply again: a new application is possible.
    again = services.apply_for_licence(uscc=licence.firm.uscc, mark_code="ZSSJ-MARK", product_models=["L-100"],
                                       commitment_signed=True, today=date(2024, 6, 2))
    assert again.status == "applied" and again.id != licence.id


def test_refused_sampling_revokes_under_x5(world):
    licence = make_active_licence(1, GRANTED)
    services.act_on_licence(licence.id, "refused_sampling", "2024-03-01 抽样人员到厂，企业拒绝抽样", date(2024, 3, 1), None)
    assert licence.status == "revoked" and last(licence).rule == "X5"


def test_every_decision_has_a_reason_and_an_actor(world):
    licence = make_active_licence(1, GRANTED)
    lock_inspection(licence.firm, date(2024, 4, 20), values=LICENCE_LOCK_B_FAIL, sampled_on=date(2024, 4, 10))
    sweep(world, date(2024, 5, 21))
    services.act_on_licence(licence.id, "reinstate", "企业已提交整改报告", date(2024, 5, 22), None)
    rows = db.session.query(Decision).all()
    assert len(rows) >= 6
    assert all(d.reason.strip() and d.actor_name.strip() and d.rule for d in rows)
    with pytest.raises(AppError):
        services.act_on_licence(licence.id, "warn", "   ", date(2024, 5, 23), None)


def test_a_mark_with_out_of_bounds_stored_rules_is_named_and_skipped_while_every_other_mark_is_judged(world):
    # Parameters stored before SPEC §4 bounded them (or written behind the app's back) must not stop
    # the daily sweep for every alliance: that mark is left alone and named, the rest is judged.
    make_mark("ZSSJ-OTHER")
    judged = make_active_licence(1, GRANTED)
    left = make_active_licence(2, GRANTED, mark_code="ZSSJ-OTHER")
    broken = services.find_mark("ZSSJ-OTHER")
    broken.rules = {"X4": {"months": 100000}}
    db.session.commit()
    day = rules.add_months(GRANTED, 12) + timedelta(days=31)  # X4 is due for the first mark's licence
    result = world.test_cli_runner().invoke(args=["sweep", "--today", day.isoformat()])
    assert result.exit_code == 1
    assert "mark ZSSJ-OTHER not judged (1 licences left as they are): rules.X4.months" in result.stderr
    assert "1 decisions" in result.stdout
    db.session.expire_all()
    assert db.session.get(Licence, judged.id).status == "suspended"
    assert db.session.get(Licence, left.id).status == "active"
    assert services.licence_decisions(db.session.get(Licence, left.id))[-1].kind == "grant"
