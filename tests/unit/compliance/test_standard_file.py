"""Reading and writing the standard file format of SPEC §7."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from compliance.engine import CLAUSE_INSPECTION_TYPES, Category, Comparison, RetestPolicy, compared_value
from compliance.standard_file import (
    Problem,
    StandardFileError,
    StandardStatus,
    dump_standard,
    parse_standard,
)

REFERENCE = Path("/work/shared/reference/standards")
REFERENCE_FILES = sorted(REFERENCE.glob("*.yaml"))


def make_clause(**overrides) -> dict:
    clause = {"number": "5.5", "title": "方舌轴向静载荷", "category": "A", "kind": "numeric",
              "unit": "N", "comparator": ">=", "limit": "3000", "digits": 0}
    clause.update(overrides)
    return {k: v for k, v in clause.items() if v is not None}


def make_file(*clauses: dict, **overrides) -> dict:
    data = {
        "code": "Q/ZSSJ 001", "title": "弹子插芯门锁", "alliance": "ZSSJ", "version": "2012",
        "effective": "2012-07-01", "transition_end": None,
        "verdict_rule": {"pass_if_any": [{"A": 0, "B": 0, "C": 0}, {"A": 0, "B": 1, "C": 1}],
                         "retest": {"categories": ["B", "C"], "sample_factor": 2, "deadline_days": 30}},
        "clauses": list(clauses) or [make_clause()],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def yaml_text(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def problems_of(source) -> list[Problem]:
    with pytest.raises(StandardFileError) as caught:
        parse_standard(source)
    return caught.value.problems


def fields_of(source) -> set[tuple[str, str]]:
    return {(p.where, p.field) for p in problems_of(source)}


# --- the reference standards -----------------------------------------------------------------


@pytest.mark.parametrize("path", REFERENCE_FILES, ids=lambda p: p.stem)
def test_both_reference_standards_parse_cleanly(path):
    doc = parse_standard(path.read_text(encoding="utf-8"))
    assert doc.status is StandardStatus.published
    assert doc.clauses and doc.verdict_rule.pass_if_any


def test_the_locks_standard_reads_as_written():
    doc = parse_standard((REFERENCE / "zssj-locks.yaml").read_text(encoding="utf-8"))
    assert (doc.code, doc.alliance, doc.version, doc.effective) == ("Q/ZSSJ 001", "ZSSJ", "2012", date(2012, 7, 1))
    assert len(doc.clauses) == 18
    clauses = {c.number: c for c in doc.clauses}
    assert clauses["5.3"].limit == Decimal("0.03")
    assert clauses["5.10"].title == "斜舌伸出长度"  # not confused with 5.1
    assert clauses["5.4"].units == 3
    assert clauses["7.1"].aql == "2.5" and clauses["7.1"].level == "II"
    assert doc.verdict_rule.retest == RetestPolicy((Category.B, Category.C), 2, 30)
    assert doc.verdict_rule.pass_if_any[2] == {"A": 0, "B": 0, "C": 2}


@pytest.mark.parametrize("path", REFERENCE_FILES, ids=lambda p: p.stem)
def test_dump_then_parse_gives_back_an_equal_standard(path):
    doc = parse_standard(path.read_text(encoding="utf-8"))
    text = dump_standard(doc)
    assert parse_standard(text) == doc
    assert [c.number for c in parse_standard(text).clauses] == [c.number for c in doc.clauses]


def test_dump_writes_decimals_as_quoted_strings():
    doc = parse_standard(make_file(make_clause(limit=0.03, digits=3)))
    clause = yaml.safe_load(dump_standard(doc))["clauses"][0]
    assert clause["limit"] == "0.03"


def test_a_round_trip_keeps_exclusive_ends_full_comparison_and_draft_status():
    between = make_clause(number="5.1", comparator="between", limit=None, low="40", high="140",
                          low_inclusive=False, comparison="full", units=2, inspections=["factory"])
    flag = make_clause(number="5.2", kind="boolean", comparator=None, limit=None, digits=None, expected=False)
    doc = parse_standard(make_file(between, flag, status="draft", transition_end="2013-01-01"))
    assert parse_standard(dump_standard(doc)) == doc
    assert doc.clauses[0].low_inclusive is False and doc.clauses[0].comparison is Comparison.full


# --- defaults and conversions --------------------------------------------------------------


def test_a_clause_without_inspections_belongs_to_every_type():
    assert parse_standard(make_file()).clauses[0].inspections == CLAUSE_INSPECTION_TYPES


def test_a_float_from_yaml_keeps_the_decimal_the_author_wrote():
    text = yaml_text(make_file(make_clause(limit="0.03", digits=3))).replace("'0.03'", "0.03")
    assert "limit: 0.03\n" in text
    assert parse_standard(text).clauses[0].limit == Decimal("0.03")


def test_an_aql_is_stored_as_the_table_heading():
    clause = make_clause(kind="attribute", unit=None, comparator=None, limit=None, digits=None, aql=4.0, level="ii")
    spec = parse_standard(make_file(clause)).clauses[0]
    assert (spec.aql, spec.level) == ("4.0", "II")


def test_json_data_is_accepted_like_yaml():
    assert parse_standard(make_file()).code == "Q/ZSSJ 001"


# --- problems --------------------------------------------------------------------------------


def test_a_file_with_three_problems_names_all_three():
    text = yaml_text(
        make_file(
            make_clause(number="5.2", category="D"),
            make_clause(number="5.3", comparator="between", limit=None, low="140", high="40"),
            code=...,
        )
    )
    problems = problems_of(text)
    assert {(p.where, p.field) for p in problems} == {("文件", "code"), ("条款 5.2", "category"), ("条款 5.3", "low")}
    message = str(StandardFileError(problems))
    assert "条款 5.2" in message and "条款 5.3" in message and "code" in message


@pytest.mark.parametrize(
    ("clause", "field"),
    [
        (make_clause(kind="numbers"), "kind"),
        (make_clause(comparator="=>"), "comparator"),
        (make_clause(comparator="between", limit=None, low="40"), "high"),
        (make_clause(comparator="between", limit="40", low="40", high="50"), "limit"),
        (make_clause(limit=None), "limit"),
        (make_clause(limit="3,000"), "limit"),
        (make_clause(digits="two"), "digits"),
        (make_clause(digits=1.5), "digits"),
        (make_clause(units=0), "units"),
        (make_clause(comparison="approximate"), "comparison"),
        (make_clause(inspections=["type", "annual"]), "inspections"),
        (make_clause(inspections=["retest"]), "inspections"),
        (make_clause(colour="red"), "colour"),
        (make_clause(expected=True), "expected"),
        (make_clause(kind="boolean", comparator=None, limit=None, digits=None), "expected"),
        (make_clause(kind="boolean", comparator=None, limit=None, digits=None, expected="yes"), "expected"),
        (make_clause(kind="attribute", comparator=None, limit=None, digits=None, level="II"), "aql"),
        (make_clause(kind="attribute", comparator=None, limit=None, digits=None, aql="3.3", level="II"), "aql"),
        (make_clause(kind="attribute", comparator=None, limit=None, digits=None, aql="2.5", level="IV"), "level"),
        (make_clause(title=None), "title"),
    ],
)
def test_a_wrong_clause_field_is_named(clause, field):
    assert fields_of(make_file(clause)) == {("条款 5.5", field)}


def test_an_unquoted_clause_number_is_refused_because_yaml_turns_5_10_into_5_1():
    text = yaml_text(make_file(make_clause(number="5.10"))).replace("'5.10'", "5.10")
    assert "number: 5.10\n" in text
    problems = problems_of(text)
    assert [(p.where, p.field) for p in problems] == [("第 1 个条款", "number")]
    assert "引号" in problems[0].message


def test_duplicate_clause_numbers_are_refused():
    assert fields_of(make_file(make_clause(), make_clause())) == {("条款 5.5", "number")}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (dict(effective="2012-13-01"), "effective"),
        (dict(effective=...), "effective"),
        (dict(transition_end="2011-01-01"), "transition_end"),
        (dict(status="final"), "status"),
        (dict(owner="me"), "owner"),
        (dict(clauses=[]), "clauses"),
        (dict(verdict_rule=...), "verdict_rule"),
    ],
)
def test_a_wrong_file_field_is_named(overrides, field):
    assert fields_of(make_file(**overrides)) == {("文件", field)}


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"pass_if_any": []}, "verdict_rule.pass_if_any"),
        ({"pass_if_any": [{"A": 0, "D": 1}]}, "verdict_rule.pass_if_any[1].D"),
        ({"pass_if_any": [{"A": -1}]}, "verdict_rule.pass_if_any[1].A"),
        ({"pass_if_any": [{"A": 0}], "retest": {"categories": ["X"], "sample_factor": 2, "deadline_days": 30}},
         "verdict_rule.retest.categories"),
        ({"pass_if_any": [{"A": 0}], "retest": {"categories": ["B"], "sample_factor": 0, "deadline_days": 30}},
         "sample_factor"),
        ({"pass_if_any": [{"A": 0}], "retest": {"categories": ["B"], "sample_factor": 2}},
         "verdict_rule.retest.deadline_days"),
    ],
)
def test_a_wrong_verdict_rule_is_named(rule, field):
    assert fields_of(make_file(verdict_rule=rule)) == {("判定规则", field)}


def test_a_yaml_syntax_error_is_reported_with_its_line():
    problems = problems_of("code: Q/ZSSJ 001\nclauses: [\n  - {number: \"5.1\"\n")
    assert len(problems) == 1
    assert problems[0].where == "文件" and "YAML" in problems[0].message and "行" in problems[0].message


def test_a_file_that_is_not_a_mapping_is_refused():
    assert problems_of("- just\n- a list\n")[0].where == "文件"


# --- numbers as the author wrote them --------------------------------------------------------


def unquoted(field: str, text: str, **clause) -> str:
    """Return a file whose first clause has ``field: text`` written without quotes."""
    marker = "__unquoted__"
    source = yaml_text(make_file(make_clause(**{field: marker}, **clause)))
    assert f"{field}: {marker}\n" in source
    return source.replace(marker, text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.00001", "0.00001"), ("0.03", "0.03"), ("0.030", "0.030"), ("3000", "3000"), ("-0.5", "-0.5"),
     ("010", "10"), ("+2.5", "2.5"), ("100000000000000000000.5", "100000000000000000000.5")],
)
def test_a_plain_decimal_written_without_quotes_is_read_exactly_as_written(text, value):
    limit = parse_standard(unquoted("limit", text, digits=None)).clauses[0].limit
    assert str(limit) == value


def test_a_limit_of_0_00001_is_not_refused_as_scientific_notation():
    # str(0.00001) is "1e-05": reading the float's text would refuse what the author wrote plainly.
    assert parse_standard(unquoted("limit", "0.00001", digits=None)).clauses[0].limit == Decimal("0.00001")


@pytest.mark.parametrize("text", ["1.0e+3", "1e3", "'1e3'", "2.5E-2"])
def test_scientific_notation_is_refused_with_the_plain_decimal_hint(text):
    problems = problems_of(unquoted("limit", text, digits=None))
    assert [(p.where, p.field) for p in problems] == [("条款 5.5", "limit")]
    assert "请直接写出小数，不要用科学计数法" in problems[0].message


@pytest.mark.parametrize("text", ["1:30", "0x1F", "0o17", "1_000", ".inf", "-.inf", ".nan", "10²", "①"])
def test_a_limit_yaml_would_read_as_some_other_number_is_refused(text):
    assert fields_of(unquoted("limit", text, digits=None)) == {("条款 5.5", "limit")}


@pytest.mark.parametrize(("value", "expected"), [(0.00001, "0.00001"), (0.1, "0.1"), (1e20, "100000000000000000000"),
                                                 (Decimal("0.25"), "0.25"), (7, "7")])
def test_numbers_in_already_parsed_data_are_read_as_their_plain_decimal(value, expected):
    assert str(parse_standard(make_file(make_clause(limit=value, digits=None))).clauses[0].limit) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"), [1], {"a": 1}])
def test_nan_infinity_and_containers_are_refused_as_limits(value):
    assert fields_of(make_file(make_clause(limit=value, digits=None))) == {("条款 5.5", "limit")}


@pytest.mark.parametrize(("field", "text"), [("digits", "010"), ("digits", "0x1"), ("units", "1:30"), ("units", "02")])
def test_an_integer_field_written_as_octal_hex_or_sexagesimal_is_refused(field, text):
    problems = problems_of(unquoted(field, text))
    assert [(p.where, p.field) for p in problems] == [("条款 5.5", field)]
    assert "十进制整数" in problems[0].message


def test_a_verdict_rule_count_written_as_octal_is_refused():
    text = yaml_text(make_file())
    assert text.count("    B: 1\n") == 1
    text = text.replace("    B: 1\n", "    B: 01\n")
    assert fields_of(text) == {("判定规则", "verdict_rule.pass_if_any[2].B")}


def test_integers_read_from_yaml_are_plain_ints_in_the_parsed_standard():
    doc = parse_standard(unquoted("units", "3"))
    assert type(doc.clauses[0].units) is int and type(doc.clauses[0].digits) is int
    assert all(type(n) is int for alternative in doc.verdict_rule.pass_if_any for n in alternative.values())
    assert parse_standard(dump_standard(doc)) == doc


def test_an_unquoted_version_keeps_its_leading_zero():
    text = yaml_text(make_file()).replace("version: '2012'", "version: 0012", 1)
    assert parse_standard(text).version == "0012"


# --- rounding interval and physical minimum ---------------------------------------------------


def test_an_interval_is_read_as_an_exact_decimal_and_rounds_the_value():
    clause = make_clause(unit="kPa", limit="60.5", digits=None, interval="0.5", comparator="<=")
    spec = parse_standard(make_file(clause)).clauses[0]
    assert spec.interval == Decimal("0.5") and spec.digits is None
    assert compared_value(spec, Decimal("60.38")) == Decimal("60.5")


@pytest.mark.parametrize("interval", ["0.5", "0.2", "20", "1", "0.05", 0.5, 20])
def test_one_two_or_five_times_a_power_of_ten_is_a_valid_interval(interval):
    clause = make_clause(limit="3000", digits=None, interval=interval)
    assert parse_standard(make_file(clause)).clauses[0].interval == Decimal(str(interval))


@pytest.mark.parametrize("interval", ["0.3", "0", "-0.5", "25", "0.25", "abc", "1e1", "0.00000000001", "50000000"])
def test_an_interval_that_is_not_1_2_or_5_times_a_power_of_ten_is_refused_naming_the_clause_and_field(interval):
    problems = problems_of(make_file(make_clause(limit="3000", digits=None, interval=interval)))
    assert [(p.where, p.field) for p in problems] == [("条款 5.5", "interval")]


def test_digits_and_interval_together_are_refused():
    problems = problems_of(make_file(make_clause(digits=0, interval="0.5")))
    assert [(p.where, p.field) for p in problems] == [("条款 5.5", "interval")]
    assert "digits" in problems[0].message and "interval" in problems[0].message


def test_a_minimum_is_read_as_a_plain_decimal():
    text = unquoted("minimum", "0", comparator="<=", limit="0.1", digits=2, unit="mm")
    assert parse_standard(text).clauses[0].minimum == Decimal("0")


def test_a_minimum_above_the_upper_limit_is_refused():
    problems = problems_of(make_file(make_clause(comparator="<=", limit="-60", unit="kPa", minimum="0")))
    assert [(p.where, p.field) for p in problems] == [("条款 5.5", "minimum")]


@pytest.mark.parametrize(("field", "value"), [("interval", "0.5"), ("minimum", "0")])
def test_interval_and_minimum_are_refused_on_a_boolean_clause(field, value):
    clause = make_clause(kind="boolean", comparator=None, limit=None, digits=None, expected=True, **{field: value})
    assert fields_of(make_file(clause)) == {("条款 5.5", field)}


def test_a_round_trip_keeps_interval_and_minimum():
    clauses = (
        make_clause(number="5.1", unit="kPa", comparator="<=", limit="60.5", digits=None, interval="0.5"),
        make_clause(number="5.2", unit="kPa", comparator=">=", limit="840", digits=None, interval="20", minimum="0"),
        make_clause(number="5.3", unit="mm", comparator="between", limit=None, low="-0.5", high="0.5", digits=1,
                    minimum="-10"),
    )
    doc = parse_standard(make_file(*clauses))
    text = dump_standard(doc)
    assert parse_standard(text) == doc
    written = yaml.safe_load(text)["clauses"]
    assert (written[0]["interval"], written[1]["interval"], written[1]["minimum"]) == ("0.5", "20", "0")
    assert "interval" not in written[2] and "minimum" not in written[0]


# --- limits finer than the rounding ----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (dict(limit="0.55", digits=1), "limit"),
        (dict(limit="3000.5", digits=0), "limit"),
        (dict(limit="850", digits=-2), "limit"),
        (dict(comparator="between", limit=None, low="0.05", high="0.5", digits=1), "low"),
        (dict(comparator="between", limit=None, low="0.5", high="0.55", digits=1), "high"),
        (dict(limit="60.3", digits=None, interval="0.5"), "limit"),
        (dict(limit="830", digits=None, interval="20"), "limit"),
        (dict(comparator="between", limit=None, low="40", high="141", digits=None, interval="2"), "high"),
    ],
)
def test_a_limit_finer_than_the_rounding_is_refused_at_import(overrides, field):
    problems = problems_of(make_file(make_clause(**overrides)))
    assert [(p.where, p.field) for p in problems] == [("条款 5.5", field)]
    assert "comparison: full" in problems[0].message


@pytest.mark.parametrize(
    "overrides",
    [
        dict(limit="0.5", digits=1),
        dict(limit="0.50", digits=1),  # 0.50 is 0.5: on the grid
        dict(limit="0.5", digits=2),
        dict(limit="800", digits=-2),
        dict(limit="60.5", digits=None, interval="0.5"),
        dict(limit="840", digits=None, interval="20"),
        dict(limit="0.55", digits=None),
        dict(comparator="between", limit=None, low="-0.5", high="0.5", digits=1),
    ],
)
def test_a_limit_on_the_rounding_grid_is_accepted(overrides):
    parse_standard(make_file(make_clause(**overrides)))


@pytest.mark.parametrize(
    "overrides",
    [dict(limit="0.55", digits=1), dict(limit="60.3", digits=None, interval="0.5"),
     dict(comparator="between", limit=None, low="0.05", high="0.55", digits=1)],
)
def test_any_limit_is_fine_with_comparison_full(overrides):
    parse_standard(make_file(make_clause(comparison="full", **overrides)))


def test_a_limit_exactly_at_the_rounding_would_otherwise_fail_its_own_value():
    # Why the import refuses 0.55 with digits 1: a measured 0.55 rounds to 0.6 and fails ≤ 0.55.
    from compliance.engine import ClauseSpec, Measurement, judge_clause

    spec = ClauseSpec(number="5.5", title="t", category="A", kind="numeric", comparator="<=", limit="0.55", digits=1)
    assert judge_clause(spec, (Measurement(1, Decimal("0.55")),)).outcome == "fail"
