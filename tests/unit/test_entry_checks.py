"""Entry checks come from the clause, never from a unit's name; only real digits are digits (SPEC §3)."""

from decimal import Decimal

import pytest

from compliance.engine import InputError, Measurement, parse_decimal, to_decimal


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
