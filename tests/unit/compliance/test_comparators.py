"""Each comparator at, just inside and just outside its limit, and how limits are printed."""

from decimal import Decimal

import pytest

from compliance.engine import ClauseOutcome, ClauseSpec, Measurement, judge_clause, requirement_text

PASS, FAIL = ClauseOutcome.passed, ClauseOutcome.failed


def make_clause(**overrides) -> ClauseSpec:
    fields = dict(
        number="5.4", title="方舌伸出长度", category="A", kind="numeric",
        unit="mm", comparator=">=", limit="20", digits=1,
    )
    fields.update(overrides)
    return ClauseSpec(**fields)


def outcome(spec: ClauseSpec, value: str) -> ClauseOutcome:
    return judge_clause(spec, (Measurement(1, Decimal(value)),)).outcome


@pytest.mark.parametrize(
    ("comparator", "at", "inside", "outside"),
    [
        (">=", PASS, "20.1", "19.9"),
        (">", FAIL, "20.1", "19.9"),
        ("<=", PASS, "19.9", "20.1"),
        ("<", FAIL, "19.9", "20.1"),
    ],
)
def test_every_comparator_at_just_inside_and_just_outside_its_limit(comparator, at, inside, outside):
    spec = make_clause(comparator=comparator)
    assert outcome(spec, "20.0") is at
    assert outcome(spec, inside) is PASS
    assert outcome(spec, outside) is FAIL


def test_equals_passes_only_at_the_limit():
    spec = make_clause(comparator="==", limit="1", digits=0, unit=None)
    assert outcome(spec, "1") is PASS
    assert outcome(spec, "0") is FAIL
    assert outcome(spec, "2") is FAIL


def test_the_rounded_value_decides_at_the_limit():
    # 19.95 rounds (half to even) to 20.0 and meets ≥ 20; 19.94 rounds to 19.9 and does not.
    spec = make_clause()
    assert outcome(spec, "19.95") is PASS
    assert outcome(spec, "19.94") is FAIL


def test_between_includes_both_ends_by_default():
    spec = make_clause(comparator="between", limit=None, low="40", high="140", digits=0, unit="kPa")
    assert [outcome(spec, v) for v in ("39", "40", "41", "139", "140", "141")] == [
        FAIL, PASS, PASS, PASS, PASS, FAIL,
    ]


def test_between_excludes_an_end_when_told():
    low_open = make_clause(comparator="between", low="40", high="140", low_inclusive=False, digits=0)
    high_open = make_clause(comparator="between", low="40", high="140", high_inclusive=False, digits=0)
    assert [outcome(low_open, v) for v in ("40", "41", "140")] == [FAIL, PASS, PASS]
    assert [outcome(high_open, v) for v in ("40", "139", "140")] == [PASS, PASS, FAIL]


def test_between_accepts_a_negative_low_end():
    spec = make_clause(comparator="between", low="-10", high="5", digits=1, unit="%")
    assert [outcome(spec, v) for v in ("-10.04", "-10.06", "5.0", "5.1")] == [PASS, FAIL, PASS, FAIL]


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        (dict(comparator=">=", limit="3000", unit="N"), "≥ 3000 N"),
        (dict(comparator="<=", limit="0.03", unit="%"), "≤ 0.03 %"),
        (dict(comparator=">", limit="5", unit="min"), "> 5 min"),
        (dict(comparator="<", limit="1.5", unit="N·m"), "< 1.5 N·m"),
        (dict(comparator="==", limit="1", unit=None), "= 1"),
        (dict(comparator="between", low="40", high="140", unit="kPa"), "40～140 kPa"),
        (dict(comparator="between", low="40", high="140", low_inclusive=False, unit="kPa"), "40 < x ≤ 140 kPa"),
        (dict(comparator="between", low="40", high="140", high_inclusive=False, unit="kPa"), "40 ≤ x < 140 kPa"),
        (dict(kind="boolean", comparator=None, limit=None, digits=None, expected=True), "应为“是”"),
        (dict(kind="boolean", comparator=None, limit=None, digits=None, expected=False), "应为“否”"),
        (dict(kind="attribute", comparator=None, limit=None, digits=None, aql="2.5", level="II"), "AQL 2.5, 检验水平 II"),
    ],
)
def test_the_requirement_is_printed_the_way_a_standard_prints_it(overrides, text):
    assert requirement_text(make_clause(**overrides)) == text


def test_a_limit_given_as_text_stays_an_exact_decimal():
    assert make_clause(limit="0.03").limit == Decimal("0.03")


def test_a_float_limit_is_refused():
    with pytest.raises(TypeError):
        make_clause(limit=0.03)
