"""Entry rules E1–E5 (SPEC §4) and granting."""
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from trademark.rules import (
    RuleError, RuleSet, VersionFact, apply_actions, check_entry, entry_evidence, grant,
)

from tests.builders.rules import (
    V2012, V2020, make_application, make_licence, make_member, make_payment, make_standard,
    make_type_test,
)

TODAY = date(2024, 1, 10)


def unmet(licence, *, membership="member", inspections=None, payments=(), standard=None,
          rules=None, today=TODAY):
    if membership == "member":
        membership = make_member()
    if inspections is None:
        inspections = [make_type_test()]
    found = check_entry(licence, membership, inspections, payments, standard or make_standard(),
                        rules or RuleSet.default(), today)
    return [u.rule for u in found], found


def test_a_member_that_meets_every_condition_has_nothing_unmet():
    assert unmet(make_application()) == ([], [])


def test_a_collective_mark_refuses_a_firm_that_is_not_a_member():
    rules, found = unmet(make_application(), membership=None)
    assert rules == ["E1"]
    assert "集体商标仅限联盟会员使用" in found[0].reason
    with pytest.raises(RuleError, match="E1"):
        grant(make_application(), found, TODAY)


def test_a_certification_mark_grants_a_non_member_that_meets_the_conditions():
    licence = make_application(mark_type="certification")
    rules, found = unmet(licence, membership=None)
    assert rules == []
    action = grant(licence, found, TODAY)
    assert (action.kind, action.to_status) == ("grant", "active")
    granted = apply_actions(licence, [action], TODAY, validity_years=3)
    assert (granted.status, granted.granted_on, granted.expires_on) == (
        "active", TODAY, date(2027, 1, 9))


@pytest.mark.parametrize("status", ["applicant", "suspended", "withdrawn"])
def test_a_collective_mark_asks_for_a_member_in_good_standing(status):
    assert unmet(make_application(), membership=make_member(status=status))[0] == ["E1"]


def test_a_type_test_sampled_exactly_n_months_ago_still_counts():
    test = make_type_test(sampled_on=date(2023, 1, 10), verified_on=date(2023, 1, 20))
    assert unmet(make_application(), inspections=[test])[0] == []


def test_a_type_test_sampled_one_day_more_than_n_months_ago_is_too_old():
    test = make_type_test(sampled_on=date(2023, 1, 9), verified_on=date(2023, 1, 20))
    rules, found = unmet(make_application(), inspections=[test])
    assert rules == ["E2"]
    assert "已超过12个月" in found[0].reason


def test_the_e2_window_follows_the_mark_parameters():
    test = make_type_test(sampled_on=date(2023, 6, 1), verified_on=date(2023, 6, 20))
    assert unmet(make_application(), inspections=[test],
                 rules=RuleSet.from_overrides({"E2": {"months": 6}}))[0] == ["E2"]


# E2 and a new standard version: V2020 takes effect on 2024-12-01, its transition ends 2025-06-30.
TWO_VERSIONS = make_standard(V2012, V2020)
RECENT_ON_2012 = dict(sampled_on=date(2025, 3, 1), verified_on=date(2025, 3, 10))
ON_2020 = dict(standard_version_id=V2020.id, standard_version_label=V2020.label)


def test_after_the_transition_a_type_test_against_the_previous_version_does_not_admit():
    test = make_type_test(**RECENT_ON_2012)
    rules, found = unmet(make_application(), inspections=[test], standard=TWO_VERSIONS,
                         today=date(2025, 7, 1))
    assert rules == ["E2"]
    assert "没有依据现行2020版标准的型式检验" in found[0].reason
    assert "2012" not in found[0].reason


def test_during_the_transition_a_passed_type_test_against_the_previous_version_admits():
    test = make_type_test(**RECENT_ON_2012)
    for today in (date(2025, 3, 10), date(2025, 6, 30)):
        assert unmet(make_application(), inspections=[test], standard=TWO_VERSIONS,
                     today=today) == ([], [])
        assert entry_evidence(make_application(), [test], TWO_VERSIONS, RuleSet.default(),
                              today) == (test.id,)


def test_during_the_transition_the_refusal_names_both_versions():
    failed = make_type_test(outcome="fail", failed_b=1, **RECENT_ON_2012)
    rules, found = unmet(make_application(), inspections=[failed], standard=TWO_VERSIONS,
                         today=date(2025, 4, 1))
    assert rules == ["E2"]
    assert "依据现行2020版（过渡期至2025-06-30，2012版亦可）标准的型式检验不合格" in found[0].reason


def test_a_type_test_against_the_previous_version_still_has_to_be_recent_in_the_transition():
    old = make_type_test(sampled_on=date(2024, 3, 1), verified_on=date(2024, 3, 10))
    rules, found = unmet(make_application(), inspections=[old], standard=TWO_VERSIONS,
                         today=date(2025, 4, 1))
    assert rules == ["E2"]
    assert "已超过12个月" in found[0].reason


def test_a_new_version_without_a_transition_end_replaces_the_previous_at_once():
    abrupt = replace(V2020, transition_end=None)
    test = make_type_test(sampled_on=date(2024, 11, 1), verified_on=date(2024, 11, 10))
    standard = make_standard(V2012, abrupt)
    assert unmet(make_application(), inspections=[test], standard=standard,
                 today=date(2024, 11, 30))[0] == []
    assert unmet(make_application(), inspections=[test], standard=standard,
                 today=date(2024, 12, 1))[0] == ["E2"]


def test_only_the_version_just_before_the_current_one_counts_in_its_transition():
    v2025 = VersionFact(id=3, label="2025", effective=date(2025, 9, 1),
                        transition_end=date(2026, 2, 28))
    standard = make_standard(V2012, V2020, v2025)
    on_2012 = make_type_test(1, sampled_on=date(2025, 8, 1), verified_on=date(2025, 8, 10))
    on_2020 = make_type_test(2, sampled_on=date(2025, 8, 1), verified_on=date(2025, 8, 10),
                             **ON_2020)
    today = date(2025, 10, 1)
    assert unmet(make_application(), inspections=[on_2012], standard=standard,
                 today=today)[0] == ["E2"]
    assert unmet(make_application(), inspections=[on_2020], standard=standard,
                 today=today)[0] == []


def test_in_the_transition_the_grant_rests_on_the_current_version_when_it_can():
    on_2012 = make_type_test(1, sampled_on=date(2025, 4, 1), verified_on=date(2025, 4, 10))
    on_2020 = make_type_test(2, sampled_on=date(2025, 3, 1), verified_on=date(2025, 3, 10),
                             **ON_2020)
    assert entry_evidence(make_application(), [on_2012, on_2020], TWO_VERSIONS,
                          RuleSet.default(), date(2025, 5, 1)) == (2,)


def test_the_versions_that_admit_are_the_current_one_and_in_its_transition_the_previous():
    assert TWO_VERSIONS.admitting(date(2024, 11, 30)) == (V2012,)
    assert TWO_VERSIONS.admitting(date(2024, 12, 1)) == (V2020, V2012)
    assert TWO_VERSIONS.admitting(date(2025, 6, 30)) == (V2020, V2012)
    assert TWO_VERSIONS.admitting(date(2025, 7, 1)) == (V2020,)
    assert make_standard(replace(V2012, effective=date(2030, 1, 1))).admitting(
        date(2025, 1, 1)) == ()


def test_an_unverified_or_failed_type_test_does_not_admit():
    unverified = make_type_test(verified_on=None)
    failed = make_type_test(outcome="fail", failed_b=1)
    assert unmet(make_application(), inspections=[unverified])[0] == ["E2"]
    assert unmet(make_application(), inspections=[failed])[0] == ["E2"]


def test_a_passed_retest_replaces_a_failed_type_test():
    failed = make_type_test(1, outcome="fail", failed_b=1)
    retest = make_type_test(2, type="retest", retest_of=1, verified_on=date(2024, 1, 5))
    assert unmet(make_application(), inspections=[failed, retest])[0] == []


def test_every_product_model_in_scope_needs_its_own_type_test():
    licence = make_application(scope_models=("L-100", "L-200"))
    rules, found = unmet(licence)
    assert rules == ["E2"]
    assert "L-200" in found[0].reason


def test_a_firm_expelled_within_m_months_cannot_come_back():
    membership = make_member(status="applicant", expelled_on=date(2022, 1, 11))
    rules, found = unmet(make_application(), membership=membership)
    assert "E3" in rules
    assert "2024-01-11前" in [u for u in found if u.rule == "E3"][0].reason


def test_a_firm_expelled_exactly_m_months_ago_may_apply_again():
    membership = make_member(expelled_on=date(2022, 1, 10))
    assert unmet(make_application(), membership=membership)[0] == []


def test_the_cool_off_applies_to_a_collective_mark_unless_switched_off():
    membership = make_member(expelled_on=date(2023, 6, 1))
    assert unmet(make_application(), membership=membership)[0] == ["E3"]
    off = RuleSet.from_overrides({"E3": {"enabled": False}})
    assert unmet(make_application(), membership=membership, rules=off)[0] == []


def test_a_certification_mark_does_not_refuse_a_recently_expelled_firm():
    licence = make_application(mark_type="certification")
    membership = make_member(status="expelled", expelled_on=date(2023, 6, 1))
    assert unmet(licence, membership=membership) == ([], [])


def test_the_signed_commitment_must_be_on_file():
    assert unmet(make_application(commitment_signed=False))[0] == ["E4"]


def test_a_paid_mark_asks_for_this_years_fee_in_full():
    licence = make_application(fee_per_year=Decimal("5000"))
    assert unmet(licence)[0] == ["E5"]
    assert unmet(licence, payments=[make_payment(2023)])[0] == ["E5"]
    assert unmet(licence, payments=[make_payment(2024, "3000", date(2024, 1, 2))])[0] == ["E5"]
    assert unmet(licence, payments=[make_payment(2024, "3000", date(2024, 1, 2)),
                                    make_payment(2024, "2000", date(2024, 1, 3))])[0] == []


def test_a_payment_dated_after_today_does_not_count_yet():
    licence = make_application(fee_per_year=Decimal("5000"))
    assert unmet(licence, payments=[make_payment(2024, paid_on=date(2024, 1, 11))])[0] == ["E5"]


def test_a_free_mark_asks_for_no_fee():
    assert unmet(make_application(fee_per_year=None))[0] == []


def test_every_unmet_rule_is_reported_at_once_in_rule_order():
    licence = make_application(commitment_signed=False, fee_per_year=Decimal("1"))
    assert unmet(licence, membership=None, inspections=[])[0] == ["E1", "E2", "E4", "E5"]


def test_only_an_application_can_be_granted():
    with pytest.raises(RuleError, match="只有申请中的许可可以授权"):
        grant(make_licence(), [], TODAY)
