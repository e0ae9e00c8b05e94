"""Exit and surveillance rules X1–X10, reinstatement and idempotency (SPEC §4)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from trademark.rules import (
    ActionKind, DecisionFact, RuleSet, apply_actions, expulsion_action, manual_action,
    open_suspension_causes, pending_warnings,
)

from tests.builders.rules import (
    V2012, V2020, day, kinds, make_application, make_event, make_inspection, make_licence,
    make_member, make_payment, make_standard, run, settle,
)

A_FAIL = dict(outcome="fail", failed_a=1, failed_b=0)
B_FAIL = dict(outcome="fail", failed_a=0, failed_b=1)


# -- X1: critical failure in surveillance -----------------------------------------------------

def x1_failure(id=1, **overrides):
    return make_inspection(id, **{**A_FAIL, **overrides})


def suspended_by_x1():
    failure = x1_failure()
    actions, licence = settle(make_licence(), day(110), inspections=[failure])
    return licence, failure, actions


def test_a_critical_failure_suspends_the_licence_at_once_with_a_deadline():
    licence, failure, actions = suspended_by_x1()
    [action] = actions
    assert (action.kind, action.rule, action.to_status) == ("suspend", "X1", "suspended")
    assert action.evidence == (1,)
    assert action.deadline == day(200)
    assert "A类不合格" in action.reason and "2024-07-28前" in action.reason
    assert licence.status == "suspended"


def test_a_critical_failure_in_a_market_sample_suspends_too():
    actions = run(make_licence(), day(110), inspections=[x1_failure(type="market")])
    assert kinds(actions) == [("suspend", "X1")]


def test_a_failed_type_inspection_after_the_grant_suspends_at_once():
    failure = x1_failure(type="type", sampled_on=day(100), verified_on=day(110))
    actions, licence = settle(make_licence(), day(110), inspections=[failure])
    [action] = actions
    assert (action.kind, action.rule, action.to_status) == ("suspend", "X1", "suspended")
    assert (action.evidence, action.deadline) == ((1,), day(200))
    assert licence.status == "suspended"


def test_a_failed_type_inspection_sampled_on_the_grant_day_suspends():
    failure = x1_failure(type="type", sampled_on=day(0), verified_on=day(10))
    assert kinds(run(make_licence(), day(10), inspections=[failure])) == [("suspend", "X1")]


def test_a_failed_type_inspection_sampled_before_the_grant_does_not_suspend():
    # The admission evidence: sampled the day before the grant, verified only afterwards.
    failure = x1_failure(type="type", sampled_on=day(-1), verified_on=day(10))
    assert run(make_licence(), day(10), inspections=[failure]) == []


def test_a_type_inspection_suspension_is_cleared_by_a_later_passed_surveillance():
    failure = x1_failure(type="type", sampled_on=day(100), verified_on=day(110))
    _, licence = settle(make_licence(), day(110), inspections=[failure])
    passed = make_inspection(2, sampled_on=day(120), verified_on=day(130))
    assert kinds(run(licence, day(130), inspections=[failure, passed])) == [("reinstate", "X1")]
    assert kinds(run(licence, day(201), inspections=[failure])) == [("revoke", "X1")]


def test_a_factory_inspection_with_a_critical_failure_is_not_for_x1():
    failure = x1_failure(type="factory")
    assert run(make_licence(), day(110), inspections=[failure]) == []


def test_an_inspection_not_yet_verified_triggers_nothing():
    assert run(make_licence(), day(109), inspections=[x1_failure()]) == []
    assert run(make_licence(), day(200), inspections=[x1_failure(verified_on=None)]) == []


def test_an_inspection_of_a_model_outside_the_scope_is_not_this_licences_business():
    assert run(make_licence(), day(110), inspections=[x1_failure(product_model="X-9")]) == []


def test_a_passed_surveillance_sampled_after_the_suspension_reinstates():
    licence, failure, _ = suspended_by_x1()
    passed = make_inspection(2, sampled_on=day(120), verified_on=day(130))
    actions, after = settle(licence, day(130), inspections=[failure, passed])
    assert kinds(actions) == [("reinstate", "X1")]
    assert after.status == "active"


def test_a_surveillance_sampled_before_the_suspension_does_not_clear_it():
    licence, failure, _ = suspended_by_x1()
    earlier = make_inspection(2, sampled_on=day(105), verified_on=day(150))
    assert run(licence, day(150), inspections=[failure, earlier]) == []


def test_x1_does_not_revoke_on_the_deadline_day():
    licence, failure, _ = suspended_by_x1()
    assert run(licence, day(200), inspections=[failure]) == []


def test_x1_revokes_the_day_after_the_deadline_without_a_passed_surveillance():
    licence, failure, _ = suspended_by_x1()
    [action] = run(licence, day(201), inspections=[failure])
    assert (action.kind, action.rule, action.to_status) == ("revoke", "X1", "revoked")
    assert "2024-07-28届满" in action.reason


def test_a_pass_verified_on_the_deadline_day_still_saves_the_licence():
    licence, failure, _ = suspended_by_x1()
    passed = make_inspection(2, sampled_on=day(150), verified_on=day(200))
    assert kinds(run(licence, day(201), inspections=[failure, passed])) == [("reinstate", "X1")]


def test_a_pass_verified_after_the_deadline_comes_too_late():
    licence, failure, _ = suspended_by_x1()
    passed = make_inspection(2, sampled_on=day(150), verified_on=day(201))
    assert kinds(run(licence, day(201), inspections=[failure, passed])) == [("revoke", "X1")]


def test_the_x1_deadline_follows_the_mark_parameters():
    rules = RuleSet.from_overrides({"X1": {"deadline_days": 60}})
    [action] = run(make_licence(), day(110), inspections=[x1_failure()], rules=rules)
    assert action.deadline == day(170)


# -- X2: failure without a critical clause ----------------------------------------------------

def x2_failure(id=1, **overrides):
    return make_inspection(id, **{**B_FAIL, **overrides})


def warned_by_x2():
    failure = x2_failure()
    actions, licence = settle(make_licence(), day(110), inspections=[failure])
    return licence, failure, actions


def retest(id, of=1, **overrides):
    values = dict(type="retest", retest_of=of, sampled_on=day(115), verified_on=day(125))
    values.update(overrides)
    return make_inspection(id, **values)


def test_a_failure_without_a_critical_clause_warns_and_keeps_the_status():
    licence, failure, actions = warned_by_x2()
    [action] = actions
    assert (action.kind, action.rule, action.to_status) == ("warn", "X2", "active")
    assert (action.evidence, action.deadline) == ((1,), day(140))
    assert "无A类不合格" in action.reason
    assert licence.status == "active"
    assert [w.inspection_id for w in pending_warnings(licence, day(110))] == [1]


def test_a_missing_retest_does_not_suspend_on_the_deadline_day():
    licence, failure, _ = warned_by_x2()
    assert run(licence, day(140), inspections=[failure]) == []


def test_a_missing_retest_suspends_the_day_after_the_deadline():
    licence, failure, _ = warned_by_x2()
    actions, after = settle(licence, day(141), inspections=[failure])
    assert kinds(actions) == [("suspend", "X2")]
    assert actions[0].evidence == (1,)
    assert "复检期限2024-05-29已过" in actions[0].reason
    assert pending_warnings(after, day(141)) == ()


def test_a_passed_retest_settles_the_warning():
    licence, failure, _ = warned_by_x2()
    passed = retest(2)
    assert run(licence, day(125), inspections=[failure, passed]) == []
    assert run(licence, day(300), inspections=[failure, passed]) == []


def test_a_failed_retest_suspends_before_the_deadline():
    licence, failure, _ = warned_by_x2()
    failed = retest(2, **B_FAIL)
    actions, _ = settle(licence, day(125), inspections=[failure, failed])
    assert kinds(actions) == [("suspend", "X2")]
    assert "复检#2仍不合格" in actions[0].reason


def test_a_later_passed_retest_reinstates_an_x2_suspension():
    licence, failure, _ = warned_by_x2()
    _, licence = settle(licence, day(141), inspections=[failure])
    passed = retest(2, sampled_on=day(145), verified_on=day(150))
    actions, after = settle(licence, day(150), inspections=[failure, passed])
    assert kinds(actions) == [("reinstate", "X2")]
    assert after.status == "active"


def test_a_retest_does_not_earn_a_warning_of_its_own():
    licence, failure, _ = warned_by_x2()
    failed = retest(2, **B_FAIL)
    _, licence = settle(licence, day(125), inspections=[failure, failed])
    assert run(licence, day(126), inspections=[failure, failed]) == []


def test_the_x2_deadline_follows_the_mark_parameters():
    rules = RuleSet.from_overrides({"X2": {"deadline_days": 15}})
    [action] = run(make_licence(), day(110), inspections=[x2_failure()], rules=rules)
    assert action.deadline == day(125)


def test_switching_x2_off_gives_no_warning():
    rules = RuleSet.from_overrides({"X2": {"enabled": False}})
    assert run(make_licence(), day(110), inspections=[x2_failure()], rules=rules) == []


# -- X3: repeated failures --------------------------------------------------------------------

FIRST = dict(sampled_on=date(2024, 4, 20), verified_on=date(2024, 4, 29))


def test_two_failures_exactly_twelve_months_apart_revoke():
    failures = [x1_failure(1, **FIRST),
                x1_failure(2, sampled_on=date(2025, 4, 20), verified_on=date(2025, 4, 29))]
    [action] = run(make_licence(), date(2025, 4, 29), inspections=failures)
    assert (action.kind, action.rule, action.evidence) == ("revoke", "X3", (1, 2))
    assert "12个月内累计2次检验不合格" in action.reason


def test_two_failures_a_day_more_than_twelve_months_apart_do_not_revoke():
    failures = [x1_failure(1, **FIRST),
                x1_failure(2, sampled_on=date(2025, 4, 20), verified_on=date(2025, 4, 30))]
    actions = run(make_licence(), date(2025, 4, 30), inspections=failures)
    assert "revoke" not in [a.kind for a in actions]


def test_a_failure_that_may_still_be_retested_does_not_count_yet():
    first = x1_failure(1, **FIRST)
    second = x2_failure(2, sampled_on=date(2024, 8, 1), verified_on=date(2024, 8, 10))
    actions, licence = settle(make_licence(), date(2024, 8, 10), inspections=[first, second])
    assert ("warn", "X2") in kinds(actions)
    assert "revoke" not in [a.kind for a in actions]
    assert run(licence, date(2024, 9, 9), inspections=[first, second]) == []
    [action] = run(licence, date(2024, 9, 10), inspections=[first, second])
    assert (action.kind, action.rule, action.evidence) == ("revoke", "X3", (1, 2))


def test_a_failure_settled_by_a_passed_retest_never_counts():
    first = x1_failure(1, **FIRST)
    second = x2_failure(2, sampled_on=date(2024, 8, 1), verified_on=date(2024, 8, 10))
    _, licence = settle(make_licence(), date(2024, 8, 10), inspections=[first, second])
    passed = retest(3, of=2, sampled_on=date(2024, 8, 20), verified_on=date(2024, 9, 1))
    inspections = [first, second, passed]
    assert [a.kind for a in run(licence, date(2024, 9, 10), inspections=inspections)] == []


def test_a_failure_replaced_by_a_passed_retest_does_not_count():
    failures = [x2_failure(1, **FIRST), retest(3, of=1, verified_on=date(2024, 5, 10)),
                x2_failure(2, sampled_on=date(2024, 8, 1), verified_on=date(2024, 8, 10))]
    assert kinds(run(make_licence(), date(2024, 8, 10), inspections=failures)) == [
        ("warn", "X2")]


def test_a_failed_retest_and_its_original_count_as_one_failure():
    inspections = [x2_failure(1, **FIRST), retest(2, of=1, **B_FAIL)]
    assert kinds(run(make_licence(), day(125), inspections=inspections)) == [("suspend", "X2")]


def test_a_late_sweep_still_counts_failures_that_fell_within_the_window():
    failures = [x1_failure(1, **FIRST),
                x1_failure(2, sampled_on=date(2024, 6, 1), verified_on=date(2024, 6, 5))]
    assert kinds(run(make_licence(), date(2025, 1, 20), inspections=failures)) == [
        ("revoke", "X3")]


def test_the_x3_count_follows_the_mark_parameters():
    failures = [x1_failure(1, **FIRST),
                x1_failure(2, sampled_on=date(2024, 6, 1), verified_on=date(2024, 6, 5))]
    assert kinds(run(make_licence(), date(2024, 6, 5), inspections=failures)) == [
        ("revoke", "X3")]
    rules = RuleSet.from_overrides({"X3": {"count": 3}})
    actions = run(make_licence(), date(2024, 6, 5), inspections=failures, rules=rules)
    assert kinds(actions) == [("suspend", "X1"), ("suspend", "X1")]


def test_failures_before_the_grant_do_not_count():
    before = x2_failure(1, type="type", sampled_on=date(2023, 11, 1),
                        verified_on=date(2023, 11, 10))
    after = x2_failure(2, **FIRST)
    assert kinds(run(make_licence(), FIRST["verified_on"], inspections=[before, after])) == [
        ("warn", "X2")]


# -- X4: overdue surveillance -----------------------------------------------------------------

X4_DUE = date(2025, 2, 9)  # grant + 12 months + 30 days


def test_no_surveillance_is_tolerated_up_to_the_end_of_the_grace_period():
    assert run(make_licence(), X4_DUE) == []


def test_no_surveillance_since_the_grant_suspends_the_day_after_the_grace_period():
    actions, _ = settle(make_licence(), X4_DUE + timedelta(days=1))
    assert kinds(actions) == [("suspend", "X4")]
    assert actions[0].evidence == ()
    assert "自2024-01-10授权以来" in actions[0].reason


def test_the_x4_clock_starts_at_the_last_surveillance_sampling():
    last = make_inspection(5, sampled_on=date(2024, 6, 1), verified_on=date(2024, 6, 10))
    assert run(make_licence(), date(2025, 7, 1), inspections=[last]) == []
    actions = run(make_licence(), date(2025, 7, 2), inspections=[last])
    assert kinds(actions) == [("suspend", "X4")]
    assert actions[0].evidence == (5,)


def test_a_verified_surveillance_lifts_an_x4_suspension():
    _, licence = settle(make_licence(), X4_DUE + timedelta(days=1))
    done = make_inspection(5, sampled_on=date(2025, 3, 1), verified_on=date(2025, 3, 10))
    assert kinds(run(licence, date(2025, 3, 10), inspections=[done])) == [("reinstate", "X4")]


def test_a_failed_surveillance_lifts_x4_but_brings_its_own_warning():
    _, licence = settle(make_licence(), X4_DUE + timedelta(days=1))
    done = x2_failure(5, sampled_on=date(2025, 3, 1), verified_on=date(2025, 3, 10))
    actions = run(licence, date(2025, 3, 10), inspections=[done])
    assert kinds(actions) == [("reinstate", "X4"), ("warn", "X2")]
    assert actions[1].to_status == "active"


def test_a_manual_reinstatement_is_not_undone_by_the_same_missed_round():
    today = X4_DUE + timedelta(days=1)
    _, licence = settle(make_licence(), today)
    lift = manual_action(licence, "reinstate", "已安排抽样，经秘书处同意先行恢复", today)
    licence = apply_actions(licence, [lift], today)
    assert run(licence, today) == []
    assert run(licence, today + timedelta(days=30)) == []


def test_the_x4_period_follows_the_mark_parameters():
    rules = RuleSet.from_overrides({"X4": {"months": 6, "grace_days": 0}})
    assert run(make_licence(), date(2024, 7, 10), rules=rules) == []
    assert kinds(run(make_licence(), date(2024, 7, 11), rules=rules)) == [("suspend", "X4")]


# -- X5: refused sampling ---------------------------------------------------------------------

def test_refusing_sampling_revokes():
    [action] = run(make_licence(), day(50), events=[make_event("refused_sampling", day(50))])
    assert (action.kind, action.rule) == ("revoke", "X5")
    assert "拒绝抽样" in action.reason


def test_a_recorded_misuse_or_a_future_event_does_not_revoke():
    events = [make_event("misuse", day(40)), make_event("refused_sampling", day(60), id=2)]
    assert run(make_licence(), day(50), events=events) == []


# -- X6: unpaid fee ---------------------------------------------------------------------------

PAID = dict(fee_per_year=Decimal("5000"))
PAID_2024 = make_payment(2024, paid_on=date(2024, 1, 8))
RECENT = make_inspection(9, sampled_on=date(2024, 12, 1), verified_on=date(2024, 12, 10))


def fee_run(licence, today, payments=(PAID_2024,)):
    return run(licence, today, payments=payments, inspections=[RECENT])


def test_an_unpaid_fee_is_tolerated_through_the_grace_period():
    assert fee_run(make_licence(**PAID), date(2025, 1, 31)) == []


def test_an_unpaid_fee_suspends_the_day_after_the_grace_period():
    actions = fee_run(make_licence(**PAID), date(2025, 2, 1))
    assert kinds(actions) == [("suspend", "X6")]
    assert "2025年度使用费逾期30天以上未缴清" in actions[0].reason


def test_paying_the_fee_reinstates_and_stays_settled():
    licence = apply_actions(make_licence(**PAID), fee_run(make_licence(**PAID), date(2025, 2, 1)),
                            date(2025, 2, 1))
    assert fee_run(licence, date(2025, 2, 2)) == []
    payments = (PAID_2024, make_payment(2025, paid_on=date(2025, 2, 15)))
    actions = fee_run(licence, date(2025, 2, 15), payments)
    assert kinds(actions) == [("reinstate", "X6")]
    licence = apply_actions(licence, actions, date(2025, 2, 15))
    assert fee_run(licence, date(2025, 2, 15), payments) == []


def test_next_years_unpaid_fee_suspends_again():
    licence = make_licence(**PAID, decisions=(
        DecisionFact("suspend", "X6", date(2025, 2, 1)),
        DecisionFact("reinstate", "X6", date(2025, 2, 15))))
    payments = (PAID_2024, make_payment(2025, paid_on=date(2025, 2, 15)))
    inspections = [RECENT, make_inspection(10, sampled_on=date(2025, 10, 1),
                                           verified_on=date(2025, 10, 9))]
    actions = run(licence, date(2026, 2, 1), payments=payments, inspections=inspections)
    assert kinds(actions) == [("suspend", "X6")]


def test_the_fee_of_the_grant_year_is_due_on_the_grant_day():
    licence = make_licence(**PAID)
    assert fee_run(licence, date(2024, 2, 9), payments=()) == []
    assert kinds(fee_run(licence, date(2024, 2, 10), payments=())) == [("suspend", "X6")]


def test_a_free_mark_is_never_suspended_for_fees():
    assert fee_run(make_licence(), date(2025, 6, 1), payments=()) == []


# -- X7: long suspension ----------------------------------------------------------------------

def suspended_by_hand(on=date(2024, 2, 29)):
    action = manual_action(make_licence(), "suspend", "企业停产整顿", on)
    return apply_actions(make_licence(), [action], on)


def test_a_suspension_of_exactly_six_months_is_not_yet_revoked():
    assert run(suspended_by_hand(), date(2024, 8, 29)) == []


def test_a_suspension_longer_than_six_months_revokes():
    [action] = run(suspended_by_hand(), date(2024, 8, 30))
    assert (action.kind, action.rule) == ("revoke", "X7")
    assert "自2024-02-29暂停已超过6个月" in action.reason


def test_the_x7_period_follows_the_mark_parameters():
    rules = RuleSet.from_overrides({"X7": {"months": 3}})
    assert kinds(run(suspended_by_hand(), date(2024, 5, 30), rules=rules)) == [("revoke", "X7")]


# -- X8: new standard version -----------------------------------------------------------------

OLD_PASS = make_inspection(3, sampled_on=date(2025, 3, 1), verified_on=date(2025, 3, 10))
TWO_VERSIONS = make_standard(V2012, V2020)


def test_an_old_version_counts_through_the_last_day_of_the_transition():
    assert run(make_licence(), date(2025, 6, 30), inspections=[OLD_PASS],
               standard=TWO_VERSIONS) == []


def test_an_old_version_suspends_the_day_after_the_transition_ends():
    actions, _ = settle(make_licence(), date(2025, 7, 1), inspections=[OLD_PASS],
                        standard=TWO_VERSIONS)
    assert kinds(actions) == [("suspend", "X8")]
    assert actions[0].evidence == (3,)
    assert "2020版过渡期已于2025-06-30结束" in actions[0].reason


def test_a_pass_against_the_new_version_reinstates():
    _, licence = settle(make_licence(), date(2025, 7, 1), inspections=[OLD_PASS],
                        standard=TWO_VERSIONS)
    new = make_inspection(4, standard_version_id=V2020.id, standard_version_label="2020",
                          sampled_on=date(2025, 7, 20), verified_on=date(2025, 8, 1))
    actions = run(licence, date(2025, 8, 1), inspections=[OLD_PASS, new], standard=TWO_VERSIONS)
    assert kinds(actions) == [("reinstate", "X8")]


def test_a_licence_already_on_the_new_version_is_left_alone():
    new = make_inspection(4, standard_version_id=V2020.id, standard_version_label="2020",
                          sampled_on=date(2025, 3, 1), verified_on=date(2025, 3, 10))
    assert run(make_licence(), date(2025, 7, 1), inspections=[OLD_PASS, new],
               standard=TWO_VERSIONS) == []


# -- X9: expiry -------------------------------------------------------------------------------

LATE_SURVEILLANCE = make_inspection(8, sampled_on=date(2026, 6, 1), verified_on=date(2026, 6, 10))


def test_a_licence_is_valid_through_its_last_day():
    assert run(make_licence(), date(2027, 1, 9), inspections=[LATE_SURVEILLANCE]) == []


def test_a_licence_expires_the_day_after_its_last_day():
    [action] = run(make_licence(), date(2027, 1, 10), inspections=[LATE_SURVEILLANCE])
    assert (action.kind, action.rule, action.to_status) == ("expire", "X9", "expired")


def test_an_expired_suspension_is_not_reinstated():
    licence = make_licence(status="suspended", decisions=(
        DecisionFact("suspend", "X4", date(2026, 12, 1)),))
    actions = run(licence, date(2027, 1, 10), inspections=[LATE_SURVEILLANCE])
    assert kinds(actions) == [("expire", "X9")]


# -- X10: expulsion ---------------------------------------------------------------------------

def test_expulsion_from_the_alliance_revokes_a_collective_mark_licence():
    membership = make_member(status="expelled", expelled_on=day(100))
    assert run(make_licence(), day(99), membership=membership) == []
    [action] = run(make_licence(), day(100), membership=membership)
    assert (action.kind, action.rule, action.to_status) == ("revoke", "X10", "revoked")
    assert "企业于2024-04-19被联盟清退" in action.reason


def test_expulsion_from_the_alliance_leaves_a_certification_mark_licence_alone():
    membership = make_member(status="expelled", expelled_on=day(100))
    assert run(make_licence(mark_type="certification"), day(100), membership=membership) == []
    assert run(make_licence(mark_type="certification"), day(300), membership=membership) == []


def test_an_expulsion_without_a_date_still_revokes_a_collective_mark_licence():
    membership = make_member(status="expelled", expelled_on=None)
    [action] = run(make_licence(), day(100), membership=membership)
    assert (action.kind, action.rule, action.reason) == (
        "revoke", "X10", "企业已被联盟清退，撤销其在本联盟集体商标下的许可")


def test_switching_x10_off_keeps_an_expelled_firms_licence():
    membership = make_member(status="expelled", expelled_on=day(100))
    rules = RuleSet.from_overrides({"X10": {"enabled": False}})
    assert run(make_licence(), day(100), membership=membership, rules=rules) == []


# The expulsion cascade the services run when staff expel a firm.

def test_an_expulsion_refuses_a_pending_application_for_a_collective_mark():
    action = expulsion_action(make_application(), day(100), RuleSet.default(), "提供虚假材料")
    assert (action.kind, action.rule, action.to_status) == ("refuse", "X10", "refused")
    assert action.reason == "企业于2024-04-19被联盟清退（提供虚假材料），申请不予许可"


@pytest.mark.parametrize("status", ["active", "suspended"])
def test_an_expulsion_revokes_a_collective_mark_licence_in_use(status):
    action = expulsion_action(make_licence(status=status), day(100), RuleSet.default(), "  ")
    assert (action.kind, action.rule, action.to_status) == ("revoke", "X10", "revoked")
    assert action.reason == "企业于2024-04-19被联盟清退，撤销其在本联盟集体商标下的许可"


@pytest.mark.parametrize("status", ["applied", "active", "suspended"])
def test_an_expulsion_does_nothing_to_a_certification_mark(status):
    licence = make_licence(status=status, mark_type="certification")
    assert expulsion_action(licence, day(100), RuleSet.default()) is None


@pytest.mark.parametrize("status", ["revoked", "expired", "surrendered", "refused"])
def test_an_expulsion_does_nothing_to_a_finished_licence(status):
    assert expulsion_action(make_licence(status=status), day(100), RuleSet.default()) is None


def test_an_expulsion_before_the_grant_is_not_for_x10():
    assert expulsion_action(make_licence(), day(-1), RuleSet.default()) is None
    assert expulsion_action(make_licence(), day(0), RuleSet.default()) is not None


def test_an_expulsion_does_nothing_where_x10_is_switched_off():
    rules = RuleSet.from_overrides({"X10": {"enabled": False}})
    assert expulsion_action(make_licence(), day(100), rules) is None


def test_a_certification_licensee_that_is_no_member_is_not_revoked_for_it():
    assert run(make_licence(mark_type="certification"), day(100), membership=None) == []


# -- reinstatement, finality, priority, idempotency -------------------------------------------

def test_reinstatement_waits_until_every_cause_is_cleared():
    licence = make_licence(fee_per_year=Decimal("5000"))
    actions, licence = settle(licence, day(110), inspections=[x1_failure()])
    assert kinds(actions) == [("suspend", "X1"), ("suspend", "X6")]
    assert [c.rule for c in open_suspension_causes(licence, day(110))] == ["X1", "X6"]
    passed = make_inspection(2, sampled_on=day(120), verified_on=day(130))
    inspections = [x1_failure(), passed]
    assert run(licence, day(130), inspections=inspections) == []
    payments = [make_payment(2024, paid_on=day(140))]
    actions, after = settle(licence, day(140), inspections=inspections, payments=payments)
    assert kinds(actions) == [("reinstate", "X1")]
    assert "X1、X6" in actions[0].reason
    assert after.status == "active"
    assert open_suspension_causes(after, day(140)) == ()


def test_a_manual_suspension_is_lifted_only_by_hand():
    licence, failure, _ = suspended_by_x1()
    hold = manual_action(licence, "suspend", "企业涉嫌伪造检验报告", day(112))
    licence = apply_actions(licence, [hold], day(112))
    passed = make_inspection(2, sampled_on=day(120), verified_on=day(130))
    assert run(licence, day(130), inspections=[failure, passed]) == []
    lift = manual_action(licence, "reinstate", "调查结束，未发现问题", day(131))
    assert apply_actions(licence, [lift], day(131)).status == "active"


def test_a_suspension_without_a_recorded_cause_is_never_lifted_automatically():
    licence = make_licence(status="suspended")
    assert run(licence, day(130)) == []


@pytest.mark.parametrize("status", ["revoked", "expired", "surrendered", "refused", "applied"])
def test_a_licence_not_in_use_gets_no_action_at_all(status):
    membership = make_member(status="expelled", expelled_on=day(10))
    licence = make_licence(status=status)
    assert run(licence, date(2028, 1, 1), membership=membership,
               inspections=[x1_failure(), x2_failure(2)],
               events=[make_event("refused_sampling", day(20))]) == []


def test_revocation_beats_suspension_and_warning_on_the_same_day():
    membership = make_member(status="expelled", expelled_on=day(110))
    actions = run(make_licence(fee_per_year=Decimal("5000")), day(110), membership=membership,
                  inspections=[x1_failure()])
    assert kinds(actions) == [("revoke", "X10")]


def test_only_one_revocation_is_returned_when_several_rules_revoke():
    membership = make_member(status="expelled", expelled_on=day(110))
    actions = run(make_licence(), day(110), membership=membership,
                  inspections=[x1_failure(), x1_failure(2)],
                  events=[make_event("refused_sampling", day(105))])
    assert kinds(actions) == [("revoke", "X3")]  # the first revoking rule in rule order


def test_suspensions_come_before_warnings_which_keep_the_new_status():
    licence = make_licence(fee_per_year=Decimal("5000"))
    actions, after = settle(licence, day(110), inspections=[x2_failure()])
    assert kinds(actions) == [("suspend", "X6"), ("warn", "X2")]
    assert actions[1].to_status == "suspended"
    assert after.status == "suspended"


def test_the_order_of_the_facts_does_not_change_the_actions():
    inspections = [x1_failure(3, product_model="L-200"), x2_failure(1), x1_failure(2)]
    licence = make_licence(fee_per_year=Decimal("5000"), scope_models=("L-100", "L-200"))
    rules = RuleSet.from_overrides({"X3": {"enabled": False}})
    forward = run(licence, day(110), inspections=inspections, rules=rules)
    backward = run(licence, day(110), inspections=list(reversed(inspections)), rules=rules)
    assert forward == backward
    assert [(a.kind, a.rule, a.evidence) for a in forward] == [
        ("suspend", "X1", (2,)), ("suspend", "X1", (3,)), ("suspend", "X6", ()),
        ("warn", "X2", (1,))]


def test_a_daily_sweep_records_each_decision_once():
    failure = x2_failure(1, sampled_on=day(100), verified_on=day(110))
    passed_retest = retest(2, sampled_on=day(150), verified_on=day(160))
    surveillance = make_inspection(3, sampled_on=date(2025, 1, 20),
                                   verified_on=date(2025, 1, 30))
    inspections = [failure, passed_retest, surveillance]
    licence, today = make_licence(), day(100)
    while today <= date(2025, 12, 31):
        actions = run(licence, today, inspections=inspections)
        licence = apply_actions(licence, actions, today)
        assert run(licence, today, inspections=inspections) == []
        today += timedelta(days=1)
    assert [(d.kind, d.rule, d.on) for d in licence.decisions] == [
        (ActionKind.WARN, "X2", day(110)),
        (ActionKind.SUSPEND, "X2", day(141)),
        (ActionKind.REINSTATE, "X2", day(160)),
    ]
    assert licence.status == "active"


def test_an_expulsion_before_the_grant_was_for_the_entry_rules_to_judge():
    membership = make_member(status="expelled", expelled_on=date(2021, 5, 1))
    assert run(make_licence(), day(100), membership=membership) == []
