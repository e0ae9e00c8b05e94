"""GB/T 2828.1 single sampling plans and the switching rules."""

import json
from decimal import Decimal

import pytest

from compliance.sampling import (
    TABLES_PATH,
    SamplingError,
    Severity,
    SwitchingState,
    advance,
    code_letter,
    next_severity,
    resume,
    sampling_plan,
)


def plan_tuple(plan):
    return plan.code_letter, plan.sample_size, plan.ac, plan.re


def test_lot_1000_level_ii_aql_1_5_normal_is_j_80_accept_3_reject_4():
    plan = sampling_plan(1000, "II", "1.5", "normal")
    assert plan_tuple(plan) == ("J", 80, 3, 4)
    assert plan.lot_code_letter == "J"
    assert plan.hundred_percent is False


@pytest.mark.parametrize("aql", ["1.5", "1.50", " 1.5 ", Decimal("1.5"), Decimal("1.500")])
def test_an_aql_written_several_ways_gives_the_same_plan(aql):
    assert plan_tuple(sampling_plan(1000, "II", aql)) == ("J", 80, 3, 4)


def test_an_arrow_leads_to_the_next_plan_and_its_sample_size():
    # Row J (n = 80) shows an arrow at AQL 0.40: the plan below it is K, n = 125, Ac 1, Re 2.
    tables = json.loads(TABLES_PATH.read_text(encoding="utf-8"))
    assert tables["normal"]["J"]["0.40"]["n"] != tables["sample_size"]["J"]
    plan = sampling_plan(1000, "II", "0.40")
    assert plan_tuple(plan) == ("K", 125, 1, 2)
    assert plan.lot_code_letter == "J"


def test_a_special_inspection_level_uses_its_own_code_letter():
    assert code_letter(1000, "S-3") == "E"
    assert plan_tuple(sampling_plan(1000, "S-3", "4.0")) == ("E", 13, 1, 2)


def test_the_tightened_table_accepts_fewer_nonconforming_items():
    plan = sampling_plan(1000, "II", "1.5", "tightened")
    assert plan_tuple(plan) == ("J", 80, 2, 3)
    assert plan.severity == "tightened"


def test_the_tightened_table_has_the_extra_letter_s():
    assert plan_tuple(sampling_plan(200000, "III", "0.025", "tightened")) == ("S", 3150, 1, 2)


def test_a_sample_as_large_as_the_lot_means_inspecting_every_item():
    # Lot 10, level II → B; AQL 0.10 points down to n = 125, more than the lot: inspect all 10.
    plan = sampling_plan(10, "II", "0.10")
    assert plan.hundred_percent is True
    assert plan.sample_size == 10
    assert (plan.ac, plan.re) == (0, 1)


def test_a_sample_smaller_than_the_lot_is_not_hundred_percent():
    assert sampling_plan(9, "II", "2.5").hundred_percent is False


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((1000, "II", "3.3"), "aql"),
        ((1000, "IV", "1.5"), "level"),
        ((1000, "II", "1.5", "reduced"), "severity"),
        ((1000, "II", "1.5", "discontinued"), "severity"),
        ((1, "II", "1.5"), "lot_size"),
        ((0, "II", "1.5"), "lot_size"),
    ],
)
def test_a_parameter_outside_the_tables_is_named_in_the_error(args, field):
    with pytest.raises(SamplingError) as caught:
        sampling_plan(*args)
    assert caught.value.field == field
    assert f"{field}:" in str(caught.value)  # English part names the field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(caught.value))  # and a Chinese part


def test_a_float_aql_is_refused():
    with pytest.raises(SamplingError):
        sampling_plan(1000, "II", 1.5)


def test_a_lowercase_level_is_understood():
    assert plan_tuple(sampling_plan(1000, "ii", "1.5")) == ("J", 80, 3, 4)
    assert code_letter(1000, "s3") == "E"


# --- switching rules (GB/T 2828.1 9.3) -------------------------------------------------------


def run(state: SwitchingState, outcomes: str) -> SwitchingState:
    """Advance through a string of lot outcomes: "a" accepted, "r" rejected."""
    for ch in outcomes:
        state = advance(state, ch == "a")
    return state


def test_one_rejected_lot_keeps_normal_inspection():
    assert run(SwitchingState(), "aaraa").severity == Severity.normal


def test_two_rejections_within_five_lots_switch_normal_to_tightened():
    state = run(SwitchingState(), "araar")
    assert state.severity == Severity.tightened
    assert state.recent == ()


def test_two_rejections_six_lots_apart_keep_normal_inspection():
    assert run(SwitchingState(), "raaaar").severity == Severity.normal


def test_five_consecutive_acceptances_return_tightened_to_normal():
    tightened = SwitchingState(Severity.tightened)
    assert run(tightened, "aaaa").severity == Severity.tightened
    assert run(tightened, "aaaaa").severity == Severity.normal


def test_a_rejection_restarts_the_count_of_acceptances_on_tightened():
    assert run(SwitchingState(Severity.tightened), "aaaaraaaa").severity == Severity.tightened


def test_five_rejections_while_tightened_discontinue_inspection():
    state = run(SwitchingState(Severity.tightened), "rararara")
    assert state.severity == Severity.tightened
    assert state.rejected_while_tightened == 4
    assert run(state, "r").severity == Severity.discontinued


def test_discontinued_inspection_stays_discontinued_until_resumed_on_tightened():
    stopped = run(SwitchingState(Severity.tightened), "rrrrr")
    assert run(stopped, "aaaaa") == stopped
    resumed = resume(stopped)
    assert resumed == SwitchingState(Severity.tightened, (), 0)


def test_next_severity_follows_a_history_of_lots():
    assert next_severity("normal", [True, False, True, False]) == "tightened"
    assert next_severity("tightened", [True] * 5) == "normal"
    assert next_severity("normal", [True] * 10) == "normal"
