"""Judging a whole sample: clauses, the verdict rule, attribute plans, retests, entered values."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from compliance.engine import (
    AttributeCount,
    ClauseOutcome,
    ClauseSpec,
    InputError,
    Measurement,
    VerdictOutcome,
    RetestPolicy,
    VerdictRule,
    check_plausible,
    judge_clause,
    judge_sample,
    parse_decimal,
    required_clauses,
    retest_allowed,
    retest_deadline,
)
from compliance.standard_file import parse_standard

REFERENCE = Path("/work/shared/reference/standards")

# The locks alliance rule (SPEC §7): no A failure, and at most B=1,C=1 or B=0,C=2.
LOCKS_RULE = VerdictRule(
    pass_if_any=({"A": 0, "B": 0, "C": 0}, {"A": 0, "B": 1, "C": 1}, {"A": 0, "B": 0, "C": 2}),
    retest=RetestPolicy(categories=("B", "C"), sample_factor=2, deadline_days=30),
)


def make_clause(**overrides) -> ClauseSpec:
    fields = dict(
        number="5.5", title="方舌轴向静载荷", category="A", kind="numeric",
        unit="N", comparator=">=", limit="3000", digits=0,
    )
    fields.update(overrides)
    return ClauseSpec(**fields)


def make_standard() -> tuple[ClauseSpec, ...]:
    """Two clauses per category, numbered "A1", "B2", …, each ≥ 3000 N on one unit."""
    return tuple(make_clause(number=f"{c}{i}", title=f"{c} 类条款 {i}", category=c) for c in "ABC" for i in (1, 2))


def values(**by_clause: str) -> dict:
    """Results for make_standard(): every clause passes (3012 N) unless given here."""
    results = {f"{c}{i}": "3012" for c in "ABC" for i in (1, 2)}
    results.update(by_clause)
    return {n: (Measurement(1, Decimal(v)),) for n, v in results.items()}


def judge(results, clauses=None, rule=LOCKS_RULE, inspection_type="surveillance", lot_size=None, **kw):
    return judge_sample(clauses or make_standard(), rule, results, inspection_type, lot_size, **kw)


# --- verdict rule alternatives ---------------------------------------------------------------


def test_a_sample_with_no_failures_passes():
    verdict = judge(values())
    assert verdict.outcome is VerdictOutcome.passed
    assert verdict.failed == {"A": 0, "B": 0, "C": 0}


def test_one_b_and_one_c_failure_pass_under_the_second_alternative():
    verdict = judge(values(B1="2999", C1="2999"))
    assert verdict.outcome is VerdictOutcome.passed
    assert verdict.failed == {"A": 0, "B": 1, "C": 1}
    assert "A=0，B≤1，C≤1" in verdict.reason


def test_two_b_failures_fail_every_alternative():
    verdict = judge(values(B1="2999", B2="2999"))
    assert verdict.outcome is VerdictOutcome.failed
    assert verdict.failed == {"A": 0, "B": 2, "C": 0}
    assert "B 类 2 项（B1、B2）" in verdict.reason


def test_two_c_failures_pass_under_the_third_alternative():
    assert judge(values(C1="2999", C2="2999")).outcome is VerdictOutcome.passed


def test_a_single_critical_failure_fails_the_sample():
    verdict = judge(values(A2="2999"))
    assert verdict.outcome is VerdictOutcome.failed
    assert verdict.failed["A"] == 1


# --- several units, missing results -----------------------------------------------------------


def test_a_clause_fails_when_any_of_its_units_fails_and_says_which():
    spec = make_clause(number="5.4", unit="mm", limit="20", digits=1, units=3)
    result = tuple(Measurement(u, Decimal(v)) for u, v in ((1, "20.5"), (2, "19.94"), (3, "21.0")))
    verdict = judge_clause(spec, result)
    assert verdict.outcome is ClauseOutcome.failed
    assert verdict.values == ("20.5", "19.94", "21.0")
    assert verdict.rounded == ("20.5", "19.9", "21.0")
    assert "第 2 件实测 19.94 mm（修约至 1 位小数为 19.9）" in verdict.reason
    assert "第 1、3 件合格" in verdict.reason


def test_a_clause_passes_when_all_its_units_pass():
    spec = make_clause(number="5.4", unit="mm", limit="20", digits=1, units=3)
    result = tuple(Measurement(u, Decimal("20.5")) for u in (1, 2, 3))
    verdict = judge_clause(spec, result)
    assert verdict.outcome is ClauseOutcome.passed
    assert "3 件均符合要求" in verdict.reason


def test_a_missing_unit_makes_the_clause_missing_and_the_sample_incomplete():
    clauses = make_standard() + (make_clause(number="5.4", units=3),)
    results = values() | {"5.4": (Measurement(1, Decimal("3001")), Measurement(3, Decimal("3001")))}
    verdict = judge(results, clauses)
    assert verdict.outcome is VerdictOutcome.incomplete
    clause = verdict.clauses[-1]
    assert clause.outcome is ClauseOutcome.missing
    assert clause.values == ("3001", "", "3001")
    assert "缺少第 2 件" in clause.reason
    assert verdict.missing == ("5.4",)


def test_a_clause_without_any_result_makes_the_sample_incomplete_even_when_another_fails():
    results = values(A1="1")
    del results["C2"]
    verdict = judge(results)
    assert verdict.outcome is VerdictOutcome.incomplete
    assert verdict.failed["A"] == 1
    assert "C2" in verdict.reason


def test_a_result_for_a_clause_the_standard_lacks_is_refused():
    with pytest.raises(InputError, match="9.9"):
        judge(values() | {"9.9": (Measurement(1, Decimal("1")),)})


def test_a_unit_beyond_the_clause_units_is_refused():
    with pytest.raises(InputError, match="第 2 件"):
        judge_clause(make_clause(), (Measurement(2, Decimal("3001")),))


# --- which clauses an inspection judges --------------------------------------------------------


def test_only_clauses_of_the_inspection_type_are_required():
    clauses = (make_clause(number="1", inspections=("type",)), make_clause(number="2"))
    results = {"2": (Measurement(1, Decimal("3001")),)}
    verdict = judge(results, clauses, inspection_type="surveillance")
    assert verdict.outcome is VerdictOutcome.passed
    assert [c.number for c in verdict.clauses] == ["2"]
    assert judge(results, clauses, inspection_type="type").outcome is VerdictOutcome.incomplete


def test_a_market_inspection_uses_the_surveillance_clauses():
    clauses = (make_clause(number="1", inspections=("type",)), make_clause(number="2", inspections=("surveillance",)))
    assert [c.number for c in required_clauses(clauses, "market")] == ["2"]


def test_a_retest_uses_the_clauses_of_the_inspection_it_retests():
    clauses = (make_clause(number="1", inspections=("type",)), make_clause(number="2", inspections=("surveillance",)))
    assert [c.number for c in required_clauses(clauses, "retest", "type")] == ["1"]
    with pytest.raises(ValueError):
        required_clauses(clauses, "retest")


# --- boolean and attribute clauses -----------------------------------------------------------


def test_a_boolean_clause_passes_when_the_value_equals_expected():
    spec = make_clause(kind="boolean", comparator=None, limit=None, digits=None, unit=None, expected=True)
    assert judge_clause(spec, (Measurement(1, True),)).outcome is ClauseOutcome.passed
    failed = judge_clause(spec, (Measurement(1, False),))
    assert failed.outcome is ClauseOutcome.failed
    assert failed.reason == "检验结果“否”，要求应为“是”：不合格"


def make_attribute(**overrides) -> ClauseSpec:
    fields = dict(number="7.1", title="外观与标志", category="C", kind="attribute",
                  comparator=None, limit=None, digits=None, unit=None, aql="1.5", level="II")
    return make_clause(**(fields | overrides))


@pytest.mark.parametrize(("nonconforming", "outcome"), [(3, ClauseOutcome.passed), (4, ClauseOutcome.failed)])
def test_an_attribute_clause_passes_up_to_the_acceptance_number(nonconforming, outcome):
    verdict = judge_sample(
        (make_attribute(),), LOCKS_RULE, {"7.1": AttributeCount(nonconforming)}, "surveillance", 1000
    ).clauses[0]
    assert verdict.outcome is outcome
    assert (verdict.plan.code_letter, verdict.plan.sample_size, verdict.plan.ac) == ("J", 80, 3)
    assert "Ac=3，Re=4" in verdict.reason


def test_an_attribute_clause_uses_the_tightened_plan_of_its_category():
    verdict = judge_sample(
        (make_attribute(),), LOCKS_RULE, {"7.1": AttributeCount(3)}, "surveillance", 1000, {"C": "tightened"}
    )
    assert verdict.clauses[0].plan.ac == 2
    assert verdict.clauses[0].outcome is ClauseOutcome.failed
    assert "加严检验" in verdict.clauses[0].reason


def test_an_attribute_clause_without_a_lot_size_is_missing_with_an_explanation():
    verdict = judge_sample((make_attribute(),), LOCKS_RULE, {"7.1": AttributeCount(0)}, "surveillance", None)
    assert verdict.outcome is VerdictOutcome.incomplete
    assert verdict.clauses[0].outcome is ClauseOutcome.missing
    assert "缺少批量" in verdict.clauses[0].reason


def test_an_attribute_clause_with_an_impossible_lot_size_explains_why():
    verdict = judge_sample((make_attribute(),), LOCKS_RULE, {"7.1": AttributeCount(0)}, "surveillance", 1)
    assert verdict.clauses[0].outcome is ClauseOutcome.missing
    assert "批量至少为 2" in verdict.clauses[0].reason


def test_more_nonconforming_items_than_the_sample_is_refused():
    with pytest.raises(InputError, match="超过样本量"):
        judge_sample((make_attribute(),), LOCKS_RULE, {"7.1": AttributeCount(81)}, "surveillance", 1000)


# --- the verdict as data ---------------------------------------------------------------------


def test_the_verdict_becomes_json_in_the_shape_of_the_api():
    data = judge(values(B1="2999.5", C1="2998")).to_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert json.loads(text) == data
    assert data["outcome"] == "pass"
    assert data["failed"] == {"A": 0, "B": 0, "C": 1}
    first = data["clauses"][0]
    assert {"number", "category", "outcome", "values", "rounded", "requirement", "reason"} <= set(first)
    assert first["values"] == ["3012"] and first["requirement"] == "≥ 3000 N"


def test_a_complete_locks_surveillance_sample_passes():
    doc = parse_standard((REFERENCE / "zssj-locks.yaml").read_text(encoding="utf-8"))
    good = {"5.2": "6500", "5.3": "0.012", "5.4": "21.3", "5.5": "3200", "5.6": "6400", "5.8": "6.2",
            "5.10": "11.6", "5.11": "1100", "5.13": "620", "5.14": "0.12", "5.16": "0.85", "5.17": "48"}
    results = {}
    for spec in required_clauses(doc.clauses, "surveillance"):
        if spec.kind == "boolean":
            results[spec.number] = (Measurement(1, True),)
        elif spec.kind == "attribute":
            results[spec.number] = AttributeCount(1)
        else:
            results[spec.number] = tuple(Measurement(u, Decimal(good[spec.number])) for u in range(1, spec.units + 1))
    verdict = judge_sample(doc.clauses, doc.verdict_rule, results, "surveillance", 1000)
    assert verdict.outcome is VerdictOutcome.passed, verdict.reason
    assert len(verdict.clauses) == 16  # 5.9 and 5.15 are type-test only


# --- retest ---------------------------------------------------------------------------------


def test_a_retest_is_allowed_for_b_and_c_failures():
    allowed, reason = retest_allowed(LOCKS_RULE, judge(values(B1="1", B2="1")))
    assert allowed is True
    assert "2 倍" in reason and "30 日" in reason


def test_a_retest_is_refused_after_a_critical_failure():
    allowed, reason = retest_allowed(LOCKS_RULE, judge(values(A1="1", B1="1")))
    assert allowed is False
    assert "A 类" in reason


def test_a_retest_is_refused_for_a_passed_or_incomplete_sample_or_without_a_policy():
    assert retest_allowed(LOCKS_RULE, judge(values()))[0] is False
    assert retest_allowed(LOCKS_RULE, judge({}))[0] is False
    no_policy = VerdictRule(LOCKS_RULE.pass_if_any)
    assert retest_allowed(no_policy, judge(values(B1="1", B2="1"), rule=no_policy)) == (False, "本标准未规定复检")


def test_the_retest_deadline_counts_the_policy_days():
    assert retest_deadline(LOCKS_RULE.retest, date(2024, 1, 31)) == date(2024, 3, 1)


# --- entering values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("12.5", "12.5"), ("-3", "-3"), (" 7 ", "7"), ("+0.50", "0.50"), ("１２．５", "12.5"), (".5", "0.5")],
)
def test_a_typed_number_is_read_exactly(text, value):
    assert parse_decimal(text) == Decimal(value)
    assert str(parse_decimal(text)).lstrip("+") == str(Decimal(value))


def test_a_decimal_comma_is_refused_with_a_hint():
    with pytest.raises(InputError) as caught:
        parse_decimal("12,5")
    assert caught.value.message == "请使用小数点“.”而不是逗号"


@pytest.mark.parametrize("text", ["abc", "NaN", "nan", "Infinity", "-inf", "1e3", "1E-2", "", "  ", "1.2.3", "--1"])
def test_text_that_is_not_a_plain_number_is_refused(text):
    with pytest.raises(InputError):
        parse_decimal(text)


def test_an_exponent_gets_its_own_message():
    with pytest.raises(InputError, match="科学计数法"):
        parse_decimal("1e3")


def test_a_float_measurement_is_refused():
    with pytest.raises(TypeError):
        Measurement(1, 12.5)


@pytest.mark.parametrize(("unit", "value"), [("N", "-1"), ("mm", "-0.1"), ("kPa", "-5")])
def test_a_negative_value_is_refused_where_the_clause_needs_at_least_3000(unit, value):
    with pytest.raises(InputError):
        check_plausible(make_clause(unit=unit), Decimal(value))


@pytest.mark.parametrize(
    ("overrides", "value"),
    [
        (dict(unit="%", comparator="between", limit=None, low="-10", high="5", digits=1), "-5.2"),
        (dict(unit="K", comparator="<=", limit="60", digits=0), "-0.3"),
        (dict(unit="N"), "0"),
        (dict(unit="次", limit="100000"), "100000"),
    ],
)
def test_a_possible_value_is_accepted(overrides, value):
    check_plausible(make_clause(**overrides), Decimal(value))


def test_a_negative_force_is_refused_while_judging():
    with pytest.raises(InputError, match="不可能为负值"):
        judge_clause(make_clause(), (Measurement(1, Decimal("-1")),))


def test_a_boolean_clause_refuses_a_number():
    spec = make_clause(kind="boolean", comparator=None, limit=None, expected=True)
    with pytest.raises(InputError):
        judge_clause(spec, (Measurement(1, Decimal("1")),))


def test_a_verdict_rule_and_its_retest_policy_describe_themselves_in_the_verdicts_words():
    from compliance.engine import RetestPolicy, VerdictRule

    rule = VerdictRule(pass_if_any=({"A": 0, "B": 0, "C": 0}, {"A": 0, "B": 1, "C": 1}),
                       retest=RetestPolicy(categories=("B", "C"), sample_factor=2, deadline_days=30))
    assert rule.describe() == "“A=0，B=0，C=0”或“A=0，B≤1，C≤1”时判为合格"
    assert rule.retest.describe() == "B、C 类不合格可复检，样本加倍（×2），30 天内"
