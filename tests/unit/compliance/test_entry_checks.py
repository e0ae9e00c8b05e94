"""Entry checks come from the clause, never from a unit's name; only real digits are digits (SPEC §3)."""

from decimal import Decimal

import pytest

from compliance.engine import (
    ClauseOutcome,
    ClauseSpec,
    InputError,
    Measurement,
    check_plausible,
    judge_clause,
    parse_decimal,
    to_decimal,
)

PASS, FAIL = ClauseOutcome.passed, ClauseOutcome.failed


def make_clause(**overrides) -> ClauseSpec:
    fields = dict(
        number="5.5", title="方舌轴向静载荷", category="A", kind="numeric",
        unit="N", comparator=">=", limit="3000", digits=0,
    )
    fields.update(overrides)
    return ClauseSpec(**fields)


def judged(spec: ClauseSpec, value: str) -> ClauseOutcome:
    return judge_clause(spec, (Measurement(1, parse_decimal(value)),)).outcome


def refuses(spec: ClauseSpec, value: str) -> bool:
    try:
        check_plausible(spec, Decimal(value))
    except InputError:
        return True
    return False


# --- negatives the clause allows ------------------------------------------------------------

FLATNESS = dict(number="6.1", title="平面度偏差", unit="mm", comparator="between", limit=None,
                low="-0.5", high="0.5", digits=1)
VACUUM = dict(number="6.2", title="真空度", unit="kPa", comparator="<=", limit="-60", digits=0)
GAP = dict(number="6.3", title="台肩轴向间隙偏差", unit="mm", comparator="<=", limit="0.1", digits=2)


def test_minus_0_3_on_a_clause_between_minus_0_5_and_0_5_mm_is_accepted_and_passes():
    spec = make_clause(**FLATNESS)
    check_plausible(spec, Decimal("-0.3"))
    assert judged(spec, "-0.3") is PASS


def test_a_vacuum_clause_below_minus_sixty_kpa_accepts_negative_values():
    spec = make_clause(**VACUUM)
    check_plausible(spec, Decimal("-65"))
    assert judged(spec, "-65") is PASS
    assert judged(spec, "-59") is FAIL


def test_minus_0_04_mm_on_a_clause_at_most_0_1_mm_is_accepted_and_passes():
    spec = make_clause(**GAP)
    check_plausible(spec, Decimal("-0.04"))
    assert judged(spec, "-0.04") is PASS


def test_a_negative_that_fails_a_clause_negatives_can_pass_is_still_accepted_and_judged():
    # −0.7 mm is out of −0.5～0.5 mm: a real measurement of a bad part, so judged, not refused.
    spec = make_clause(**FLATNESS)
    assert judged(spec, "-0.7") is FAIL


# --- negatives no value of that sign could pass ---------------------------------------------


def test_a_negative_value_on_a_clause_of_at_least_6000_is_refused_as_a_stray_minus_sign():
    spec = make_clause(number="5.2", title="钥匙不同牙花数", unit="种", limit="6000")
    with pytest.raises(InputError) as caught:
        check_plausible(spec, Decimal("-6500"))
    assert "5.2" in caught.value.message and "负值" in caught.value.message


def test_a_negative_value_on_a_clause_with_a_positive_lower_limit_is_refused_while_judging():
    with pytest.raises(InputError, match="不可能为负值"):
        judge_clause(make_clause(), (Measurement(1, Decimal("-1")),))


def test_a_negative_that_rounds_to_zero_is_accepted_where_zero_passes():
    # ≥ 0 with one decimal: −0.04 rounds to −0.0, which the limit compares as 0, and passes.
    spec = make_clause(limit="0", digits=1)
    check_plausible(spec, Decimal("-0.04"))
    assert judged(spec, "-0.04") is PASS


def test_a_negative_is_refused_on_at_least_zero_when_compared_unrounded():
    # ≥ 0 by 全数值比较: every negative value fails, so a negative is a typo.
    assert refuses(make_clause(limit="0", digits=1, comparison="full"), "-0.04")
    assert refuses(make_clause(limit="0", digits=None), "-0.04")


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        (dict(comparator=">", limit="-1", digits=None), False),  # −0.5 > −1
        (dict(comparator=">", limit="0", digits=None), True),
        (dict(comparator="==", limit="-2", digits=0), False),
        (dict(comparator="==", limit="2", digits=0), True),
        (dict(comparator="==", limit="0", digits=0), False),  # −0.2 rounds to −0 == 0
        (dict(comparator="<", limit="-60", digits=None), False),
        (dict(comparator="between", limit=None, low="-0.5", high="-0.5", digits=None), False),
        (dict(comparator="between", limit=None, low="-0.5", high="0", high_inclusive=False, low_inclusive=False,
              digits=None), False),
        (dict(comparator="between", limit=None, low="0", high="5", digits=None), True),
        (dict(comparator="between", limit=None, low="0", high="5", digits=1), False),
        (dict(comparator="between", limit=None, low="0", high="5", low_inclusive=False, digits=1), True),
        (dict(comparator=">=", limit="-0.5", interval="0.5", digits=None), False),
        (dict(comparator=">=", limit="0.5", interval="0.5", digits=None), True),
    ],
)
def test_a_negative_is_refused_exactly_when_no_negative_value_could_pass(overrides, refused):
    spec = make_clause(**overrides)
    assert refuses(spec, "-0.3") is refused
    if not refused:
        # Some negative value passes: check it is true by finding one.
        candidates = ("-0.001", "-0.2", "-0.3", "-0.5", "-2", "-65")
        assert any(judged(spec, v) is PASS for v in candidates)


def test_a_strict_lower_limit_of_zero_refuses_negatives_even_when_rounded():
    # > 0 with 0 decimals: a negative rounds to 0 or below, never above 0.
    assert refuses(make_clause(comparator=">", limit="0", digits=0), "-0.3")


# --- a declared physical minimum ------------------------------------------------------------


def test_a_value_below_the_clause_minimum_is_refused():
    spec = make_clause(**GAP, minimum="-0.05")
    with pytest.raises(InputError, match="下限"):
        check_plausible(spec, Decimal("-0.06"))
    check_plausible(spec, Decimal("-0.05"))


def test_a_minimum_of_zero_refuses_a_negative_that_the_limits_alone_would_allow():
    spec = make_clause(**GAP, minimum="0")
    with pytest.raises(InputError):
        check_plausible(spec, Decimal("-0.04"))
    check_plausible(spec, Decimal("0"))


def test_a_declared_minimum_lets_a_real_failing_negative_through_on_a_positive_clause():
    # ≥ 5 °C with the physical minimum −273.15 °C: −3 °C is a real (failing) measurement.
    spec = make_clause(number="8.1", title="最低工作温度", unit="°C", limit="5", digits=0, minimum="-273.15")
    check_plausible(spec, Decimal("-3"))
    assert judged(spec, "-3") is FAIL
    assert refuses(spec, "-300")


def test_a_minimum_is_stored_as_an_exact_decimal():
    assert make_clause(minimum="0").minimum == Decimal("0")
    with pytest.raises(TypeError):
        make_clause(minimum=0.0)


# --- no unit-name logic ---------------------------------------------------------------------


def test_a_mean_of_counts_with_a_fraction_is_accepted():
    spec = make_clause(number="5.15", title="使用寿命（开闭次数）", unit="次", limit="100000", digits=None)
    check_plausible(spec, Decimal("100000.5"))
    assert judged(spec, "100000.5") is PASS


@pytest.mark.parametrize("value", ["-0.3", "-0.04", "0.2", "0.6", "-0.7"])
@pytest.mark.parametrize("clause", [FLATNESS, GAP], ids=["between", "at-most"])
def test_the_same_clause_in_毫米_behaves_exactly_as_in_mm(clause, value):
    in_mm, in_chinese = make_clause(**clause), make_clause(**(clause | {"unit": "毫米"}))
    assert refuses(in_mm, value) is refuses(in_chinese, value)
    assert judged(in_mm, value) is judged(in_chinese, value)


@pytest.mark.parametrize("unit", ["N", "mm", "毫米", "kPa", "次", "%", "K", None])
def test_the_unit_name_never_decides_a_refusal(unit):
    assert refuses(make_clause(unit=unit), "-1")  # ≥ 3000: no negative passes, whatever the unit
    assert not refuses(make_clause(unit=unit, **{k: v for k, v in VACUUM.items() if k != "unit"}), "-65")


# --- only real digits are digits ------------------------------------------------------------


@pytest.mark.parametrize("text", ["10²", "3000²", "①", "１０²", "一二", "٣"])
def test_a_superscript_circled_or_other_numeral_is_refused_as_not_a_number(text):
    with pytest.raises(InputError) as caught:
        parse_decimal(text)
    assert "不是数字" in caught.value.message


@pytest.mark.parametrize(
    ("text", "value"),
    [("１２.５", "12.5"), ("１２．５", "12.5"), ("－０．３", "-0.3"), ("＋３", "3"), ("\u22120.3", "-0.3"),
     ("\u3000６０\u3000", "60")],
)
def test_full_width_digits_signs_and_point_are_read_as_typed(text, value):
    assert parse_decimal(text) == Decimal(value)


def test_a_full_width_comma_gets_the_decimal_comma_hint():
    with pytest.raises(InputError, match="小数点"):
        parse_decimal("１２，５")


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-Infinity", "inf"])
def test_nan_and_infinity_are_refused_when_typed(text):
    with pytest.raises(InputError):
        parse_decimal(text)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_nan_and_infinity_are_refused_as_decimals_before_they_reach_rounding(value):
    with pytest.raises(InputError):
        to_decimal(value)
    with pytest.raises(InputError):
        Measurement(1, value)


def test_scientific_notation_is_refused_with_the_plain_decimal_hint():
    with pytest.raises(InputError) as caught:
        parse_decimal("1.0e+3")
    assert "请直接写出小数，不要用科学计数法" in caught.value.message


def test_a_refused_long_input_is_quoted_only_in_part():
    with pytest.raises(InputError) as caught:
        parse_decimal("1x" * 50_000)
    assert len(caught.value.message) < 200
    assert "…" in caught.value.message
