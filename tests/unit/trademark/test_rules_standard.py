"""Only inspections against the mark's standard count for its licences (SPEC §4: E2, X1–X4, X8)."""
from datetime import date, timedelta

import pytest

from trademark.rules import RuleSet, check_entry, entry_evidence, last_surveillance

from tests.builders.rules import (
    OTHER_CODE, STANDARD_CODE, V2012, V2020, against_other_standard, day, kinds, make_application,
    make_inspection, make_licence, make_member, make_standard, make_type_test, run, settle,
)

A_FAIL = dict(outcome="fail", failed_a=1, failed_b=0)
B_FAIL = dict(outcome="fail", failed_a=0, failed_b=1)
X4_DUE = date(2025, 2, 9)  # grant + 12 months + 30 days
TWO_VERSIONS = make_standard(V2012, V2020)
OLD_PASS = make_inspection(3, sampled_on=date(2025, 3, 1), verified_on=date(2025, 3, 10))


def entry(licence, inspections, standard=None, today=date(2024, 1, 10)):
    return [u.rule for u in check_entry(licence, make_member(), inspections, (),
                                        standard or make_standard(), RuleSet.default(), today)]


# -- the standard of an inspection --------------------------------------------------------------

def test_an_inspection_is_against_the_standard_that_lists_its_version():
    standard = make_standard()
    assert standard.covers(make_inspection())
    assert standard.covers(make_inspection(standard_code=STANDARD_CODE))


def test_an_inspection_of_a_version_the_standard_does_not_have_is_against_another_standard():
    standard = make_standard()
    assert not standard.covers(against_other_standard(make_inspection()))
    assert not standard.covers(against_other_standard(make_inspection(), code=None))


def test_a_different_standard_code_wins_over_a_matching_version_id():
    assert not make_standard().covers(make_inspection(standard_code=OTHER_CODE))


def test_the_standard_code_of_an_inspection_defaults_to_not_given():
    assert make_inspection().standard_code is None


# -- each rule ignores the other standard -------------------------------------------------------

def test_a_critical_failure_against_another_standard_does_not_suspend():
    failure = against_other_standard(make_inspection(1, **A_FAIL))
    assert run(make_licence(), day(110), inspections=[failure]) == []


def test_a_failure_against_another_standard_gives_no_warning():
    failure = against_other_standard(make_inspection(1, **B_FAIL))
    assert run(make_licence(), day(110), inspections=[failure]) == []


def test_failures_against_another_standard_do_not_add_up_to_a_revocation():
    own = make_inspection(1, **A_FAIL)
    other = against_other_standard(make_inspection(2, **A_FAIL), code=None)
    assert kinds(run(make_licence(), day(110), inspections=[own, other])) == [("suspend", "X1")]


def test_a_surveillance_against_another_standard_does_not_hold_off_x4():
    other = against_other_standard(make_inspection(5, sampled_on=date(2025, 1, 1),
                                                   verified_on=date(2025, 1, 5)))
    actions = run(make_licence(), X4_DUE + timedelta(days=1), inspections=[other])
    assert kinds(actions) == [("suspend", "X4")]
    assert actions[0].evidence == ()


def test_the_last_surveillance_leaves_out_another_standard_when_given_the_mark_standard():
    own = make_inspection(5, sampled_on=date(2024, 6, 1), verified_on=date(2024, 6, 10))
    other = against_other_standard(make_inspection(6, sampled_on=date(2024, 9, 1),
                                                   verified_on=date(2024, 9, 10)))
    today = date(2024, 12, 1)
    assert last_surveillance(make_licence(), [own, other], today, make_standard()) == own
    assert last_surveillance(make_licence(), [own, other], today) == other  # no standard: all


def test_a_later_pass_against_another_standard_does_not_hide_an_old_version_from_x8():
    other = against_other_standard(make_inspection(4, sampled_on=date(2025, 5, 1),
                                                   verified_on=date(2025, 5, 10)))
    actions = run(make_licence(), date(2025, 7, 1), inspections=[OLD_PASS, other],
                  standard=TWO_VERSIONS)
    assert kinds(actions) == [("suspend", "X8")]
    assert actions[0].evidence == (OLD_PASS.id,)


def test_a_passed_type_test_against_another_standard_does_not_admit():
    other = against_other_standard(make_type_test(1))
    assert entry(make_application(), [other]) == ["E2"]
    assert entry_evidence(make_application(), [other], make_standard(), RuleSet.default(),
                          date(2024, 1, 10)) == ()


def test_an_entry_rests_only_on_type_tests_against_the_mark_standard():
    own = make_type_test(1)
    other = against_other_standard(make_type_test(1, sampled_on=date(2023, 12, 15),
                                                  verified_on=date(2023, 12, 30)))
    assert entry(make_application(), [own, other]) == []
    assert entry_evidence(make_application(), [own, other], make_standard(), RuleSet.default(),
                          date(2024, 1, 10)) == (own.id,)


# -- adding inspections against another standard changes nothing -------------------------------

def _suspended_by_x1():
    failure = make_inspection(1, **A_FAIL)
    _, licence = settle(make_licence(), day(110), inspections=[failure])
    return licence, failure


def test_a_pass_against_another_standard_does_not_clear_a_critical_failure():
    licence, failure = _suspended_by_x1()
    other = against_other_standard(make_inspection(2, sampled_on=day(120), verified_on=day(130)))
    assert run(licence, day(130), inspections=[failure, other]) == []
    assert kinds(run(licence, day(201), inspections=[failure, other])) == [("revoke", "X1")]


SCENARIOS = {
    "x1 suspends": (make_licence(), day(110), [make_inspection(1, **A_FAIL)], None),
    "x2 warns": (make_licence(), day(110), [make_inspection(1, **B_FAIL)], None),
    "x3 revokes": (make_licence(), day(110),
                   [make_inspection(1, **A_FAIL), make_inspection(2, **A_FAIL)], None),
    "x4 overdue": (make_licence(), X4_DUE + timedelta(days=1), [], None),
    "x8 stale": (make_licence(), date(2025, 7, 1), [OLD_PASS], TWO_VERSIONS),
    "x1 deadline missed": (_suspended_by_x1()[0], day(201), [_suspended_by_x1()[1]], None),
    "quiet": (make_licence(), day(200), [make_inspection(1)], None),
}


def _foreign(today):
    """Inspections of the same firm and model against another standard, of every kind and verdict."""
    base = dict(sampled_on=today - timedelta(days=20), verified_on=today)
    return [against_other_standard(make_inspection(50 + n, type=kind, **base, **verdict), code=code)
            for n, (kind, verdict, code) in enumerate([
                ("surveillance", A_FAIL, OTHER_CODE), ("market", B_FAIL, None),
                ("surveillance", {}, OTHER_CODE), ("type", A_FAIL, None), ("type", {}, OTHER_CODE)])]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_inspections_against_another_standard_change_nothing(scenario):
    licence, today, inspections, standard = SCENARIOS[scenario]
    plain = run(licence, today, inspections=inspections, standard=standard)
    mixed = run(licence, today, inspections=[*inspections, *_foreign(today)], standard=standard)
    assert mixed == plain


def test_the_scenarios_above_are_not_all_quiet():
    busy = [name for name, (licence, today, inspections, standard) in SCENARIOS.items()
            if run(licence, today, inspections=inspections, standard=standard)]
    assert busy == [name for name in SCENARIOS if name != "quiet"]
