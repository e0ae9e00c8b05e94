"""GB/T 8170-2008 rounding (四舍六入五成双) and the two comparison methods."""

from decimal import Decimal

import pytest

from compliance.engine import (
    ClauseSpec,
    ClauseOutcome,
    Measurement,
    fmt_decimal,
    gbt8170_round,
    judge_clause,
)


def make_clause(**overrides) -> ClauseSpec:
    fields = dict(
        number="5.5", title="方舌轴向静载荷", category="A", kind="numeric",
        unit="N", comparator=">=", limit="3000", digits=0,
    )
    fields.update(overrides)
    return ClauseSpec(**fields)


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        ("0.0345", 3, "0.034"),  # discarded part exactly 5, previous digit even: keep
        ("0.0355", 3, "0.036"),  # discarded part exactly 5, previous digit odd: round up to even
        ("0.03451", 3, "0.035"),  # discarded part more than 5: round up
        ("-2.05", 1, "-2.0"),  # negative values round on their magnitude
        ("-2.15", 1, "-2.2"),
        ("2.5", 0, "2"),
        ("3.5", 0, "4"),
        ("2.51", 0, "3"),
        ("12.44", 1, "12.4"),
        ("12.46", 1, "12.5"),
    ],
)
def test_values_round_by_gbt8170(value, digits, expected):
    assert str(gbt8170_round(Decimal(value), digits)) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [("1250", -2, "1200"), ("1350", -2, "1400"), ("1245", -1, "1240"), ("1255", -1, "1260"), ("2500", -3, "2000")],
)
def test_negative_digits_round_to_tens_hundreds_and_thousands(value, digits, expected):
    rounded = gbt8170_round(Decimal(value), digits)
    assert rounded == Decimal(expected)
    assert fmt_decimal(rounded) == expected


def test_rounding_keeps_the_requested_number_of_decimal_places():
    assert str(gbt8170_round(Decimal("20"), 2)) == "20.00"


def test_a_long_measured_value_rounds_without_losing_precision():
    value = Decimal("1234567890123456789012345678.95")
    assert gbt8170_round(value, 1) == Decimal("1234567890123456789012345679.0")


def test_rounding_refuses_a_float():
    with pytest.raises(TypeError):
        gbt8170_round(0.0345, 3)


def test_a_value_judged_differently_by_the_two_comparison_methods():
    # 2999.5 N rounds (half to even) to 3000 N, which meets ≥ 3000 N; unrounded it falls short.
    value = (Measurement(1, Decimal("2999.5")),)
    rounded = judge_clause(make_clause(comparison="rounded"), value)
    full = judge_clause(make_clause(comparison="full"), value)
    assert rounded.outcome is ClauseOutcome.passed
    assert rounded.rounded == ("3000",)
    assert full.outcome is ClauseOutcome.failed
    assert full.rounded == ("2999.5",)
    assert "全数值比较" in full.reason


def test_the_rounded_comparison_explains_the_rounding():
    verdict = judge_clause(make_clause(), (Measurement(1, Decimal("2998")),))
    assert verdict.reason == "实测 2998 N（修约至个位为 2998），要求 ≥ 3000 N：不合格"


def test_a_clause_without_digits_compares_the_value_as_measured():
    verdict = judge_clause(make_clause(digits=None), (Measurement(1, Decimal("2999.9")),))
    assert verdict.outcome is ClauseOutcome.failed
    assert verdict.reason == "实测 2999.9 N，要求 ≥ 3000 N：不合格"
