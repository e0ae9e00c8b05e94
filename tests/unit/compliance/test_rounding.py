"""GB/T 8170-2008 rounding (四舍六入五成双) and the two comparison methods."""

from decimal import Decimal

import pytest

from compliance.engine import (
    ClauseSpec,
    ClauseOutcome,
    Measurement,
    fmt_decimal,
    gbt8170_round,
    gbt8170_round_interval,
    is_rounding_interval,
    judge_clause,
    rounding_text,
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


# --- any finite Decimal rounds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        ("1E+30", 2, "1000000000000000000000000000000.00"),
        ("-1E+30", 0, "-1000000000000000000000000000000"),
        ("123456789012345678901234567890123456789.5", 0, "123456789012345678901234567890123456790"),
        ("1E-40", 3, "0.000"),
        ("1E-999999999", 2, "0.00"),
        ("5E+1000000", -2, None),
    ],
)
def test_a_very_large_or_very_small_value_rounds_without_raising(value, digits, expected):
    rounded = gbt8170_round(Decimal(value), digits)
    if expected is not None:
        assert fmt_decimal(rounded) == expected
    else:
        assert rounded == Decimal(value)


def test_a_value_with_a_huge_exponent_is_its_own_rounded_value():
    value = Decimal("1E+999999999")
    assert gbt8170_round(value, 2) == value
    assert gbt8170_round_interval(value, Decimal("0.5")) == value


def test_rounding_refuses_nan_and_infinity():
    for value in (Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError):
            gbt8170_round(value, 1)
        with pytest.raises(ValueError):
            gbt8170_round_interval(value, Decimal("0.5"))


# --- rounding interval (GB/T 8170 0.5-unit and 0.2-unit rounding) ------------------------------


@pytest.mark.parametrize(
    ("value", "interval", "expected"),
    [
        ("60.38", "0.5", "60.5"),
        ("60.25", "0.5", "60.0"),  # 60.25 / 0.5 = 120.5 → 120 (even) → 60.0
        ("60.75", "0.5", "61.0"),  # 121.5 → 122
        ("60.28", "0.5", "60.5"),  # 120.56 → 121
        ("-60.25", "0.5", "-60.0"),
        ("830", "20", "840"),  # 830 / 20 = 41.5 → 42 → 840 (0.2 hundreds)
        ("850", "20", "840"),  # 42.5 → 42
        ("870", "20", "880"),  # 43.5 → 44
        ("2.31", "0.2", "2.4"),  # 11.55 → 12
        ("2.3", "0.2", "2.4"),  # 11.5 → 12
        ("2.5", "0.2", "2.4"),  # 12.5 → 12
        ("1.5", "1", "2"),
        ("1234", "5", "1235"),
        ("1E+30", "0.5", "1000000000000000000000000000000.0"),
    ],
)
def test_a_value_rounds_to_a_multiple_of_the_interval_half_to_even(value, interval, expected):
    assert fmt_decimal(gbt8170_round_interval(Decimal(value), Decimal(interval))) == expected


@pytest.mark.parametrize("interval", ["0.3", "0", "-0.5", "25", "0.25"])
def test_an_interval_that_is_not_1_2_or_5_times_a_power_of_ten_is_refused(interval):
    assert not is_rounding_interval(Decimal(interval))
    with pytest.raises(ValueError):
        gbt8170_round_interval(Decimal("1"), Decimal(interval))
    with pytest.raises(ValueError):
        make_clause(digits=None, interval=interval)


@pytest.mark.parametrize("interval", ["0.5", "0.2", "0.1", "1", "20", "500", "0.50", "0.000002"])
def test_one_two_and_five_times_a_power_of_ten_are_intervals(interval):
    assert is_rounding_interval(Decimal(interval))


def test_rounding_interval_refuses_floats():
    with pytest.raises(TypeError):
        gbt8170_round_interval(60.38, Decimal("0.5"))


def test_a_clause_gives_digits_or_interval_not_both():
    with pytest.raises(ValueError):
        make_clause(digits=1, interval="0.5")


def test_an_interval_clause_judges_the_rounded_value_and_says_how_it_rounded():
    spec = make_clause(number="5.1", title="工作压力", unit="kPa", comparator="<=", limit="60.0",
                       digits=None, interval="0.5")
    verdict = judge_clause(spec, (Measurement(1, Decimal("60.25")),))
    assert verdict.outcome is ClauseOutcome.passed
    assert verdict.rounded == ("60.0",)
    assert verdict.reason == "实测 60.25 kPa（按 0.5 修约间隔修约为 60.0），要求 ≤ 60.0 kPa：合格"
    assert judge_clause(spec, (Measurement(1, Decimal("60.26")),)).outcome is ClauseOutcome.failed
    assert rounding_text(spec) == "按 0.5 修约间隔修约"


def test_an_interval_clause_compared_in_full_does_not_round():
    spec = make_clause(comparator="<=", limit="60", digits=None, interval="0.5", comparison="full")
    verdict = judge_clause(spec, (Measurement(1, Decimal("60.25")),))
    assert verdict.outcome is ClauseOutcome.failed
    assert "全数值比较" in verdict.reason


@pytest.mark.parametrize(
    ("overrides", "text"),
    [(dict(digits=1), "修约至 1 位小数"), (dict(digits=0), "修约至个位"), (dict(digits=-2), "修约至百位"),
     (dict(digits=None, interval="20"), "按 20 修约间隔修约"), (dict(digits=None), None)],
)
def test_rounding_text_says_how_a_clause_rounds(overrides, text):
    assert rounding_text(make_clause(**overrides)) == text


def test_a_huge_interval_rounds_without_expanding_it():
    assert gbt8170_round_interval(Decimal("3E+999999999"), Decimal("5E+999999999")) == Decimal("5E+999999999")
    assert gbt8170_round_interval(Decimal("2"), Decimal("5E+999999999")) == 0
