"""A standard file is input a client controls: parsing it is bounded, and so is every error it gives."""

import time

import pytest

from compliance.standard_file import MAX_DEPTH, MAX_NODES, MAX_PROBLEMS, MAX_SOURCE_BYTES, StandardFileError, parse_standard
from tests.unit.compliance.test_standard_file import make_clause, make_file, yaml_text

# Nine levels of nine aliases: 9^9 (387 420 489) "lol" in 481 bytes, if expanded.
BOMB_LINES = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'] + [
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")
]
BOMB = "# billion laughs: nine levels of nine aliases, 9^9 lol if expanded\n" + "\n".join(BOMB_LINES) + "\n"


def refusal(source) -> StandardFileError:
    with pytest.raises(StandardFileError) as caught:
        parse_standard(source)
    return caught.value


def error_bytes(error: StandardFileError) -> int:
    return len(str(error).encode("utf-8"))


def nested_list(depth: int) -> list:
    """Build a list nested ``depth`` deep without recursion."""
    inner: list = []
    for _ in range(depth):
        inner = [inner]
    return inner


def test_the_bomb_is_481_bytes():
    assert len(BOMB.encode("utf-8")) == 481


def test_a_481_byte_alias_bomb_is_refused_in_milliseconds_with_a_small_error():
    started = time.perf_counter()
    error = refusal(BOMB)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5
    assert error_bytes(error) < 2048
    assert len(error.problems) == 1
    assert "别名" in error.problems[0].message and "第 2 行" in error.problems[0].message


def test_an_alias_bomb_is_refused_as_bytes_too():
    assert "别名" in refusal(BOMB.encode("utf-8")).problems[0].message


def test_a_single_anchor_and_merge_key_are_refused_too():
    text = yaml_text(make_file()).replace("clauses:\n", "defaults: &d {unit: N}\nclauses:\n", 1)
    assert "锚点" in refusal(text).problems[0].message
    merged = "base: &b {a: 1}\nother:\n  <<: *b\n"
    assert "别名" in refusal(merged).problems[0].message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 3000 + "]" * 3000,
        "code: " + "[" * 3000 + "]" * 3000 + "\n",
        "title: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        "".join(" " * i + "-\n" for i in range(1000)),
    ],
    ids=["brackets", "brackets-as-a-value", "mappings", "block-sequences"],
)
def test_3000_nested_brackets_are_refused_cleanly(text):
    assert len(text.encode("utf-8")) < MAX_SOURCE_BYTES
    error = refusal(text)
    assert len(error.problems) == 1
    assert f"嵌套超过 {MAX_DEPTH} 层" in error.problems[0].message
    assert error_bytes(error) < 2048


def test_nesting_up_to_the_cap_is_still_read_as_yaml():
    # 1 file mapping + the value's levels: a wrong but bounded value gets the usual problem.
    text = yaml_text(make_file()).replace("title: 弹子插芯门锁", "title: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2), 1)
    assert {p.field for p in refusal(text).problems} == {"title"}


def test_deeply_nested_json_data_is_refused_without_a_recursion_error():
    error = refusal(make_file(title=nested_list(100_000)))
    assert [p.message for p in error.problems] == [f"嵌套超过 {MAX_DEPTH} 层"]


def test_data_that_contains_itself_is_refused():
    data = make_file()
    data["clauses"][0]["method"] = data
    assert "嵌套" in refusal(data).problems[0].message


def test_data_with_shared_references_is_refused_before_it_is_walked_in_full():
    level: list = ["lol"] * 9
    for _ in range(8):
        level = [level] * 9
    started = time.perf_counter()
    error = refusal(make_file(title=level))
    assert time.perf_counter() - started < 0.5
    assert "值超过" in error.problems[0].message


@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])
def test_a_source_over_one_megabyte_is_refused_before_it_is_parsed(as_bytes):
    text = yaml_text(make_file()) + "# " + "x" * MAX_SOURCE_BYTES + "\n"
    started = time.perf_counter()
    error = refusal(text.encode("utf-8") if as_bytes else text)
    assert time.perf_counter() - started < 0.5
    assert "文件过大" in error.problems[0].message


def test_a_file_with_too_many_values_is_refused():
    error = refusal("values: [" + "0," * (MAX_NODES + 1) + "]\n")
    assert "值超过" in error.problems[0].message


def test_a_long_value_is_quoted_only_in_part():
    error = refusal(make_file(code=["x" * 100_000], title={"y" * 100_000: 1}))
    assert {p.field for p in error.problems} == {"code", "title"}
    assert all(len(p.message) < 120 for p in error.problems)
    assert error_bytes(error) < 2048


def test_a_long_unknown_key_and_a_long_clause_number_are_quoted_only_in_part():
    error = refusal(make_file(make_clause(number="5" * 100_000, **{"k" * 100_000: 1})))
    assert error_bytes(error) < 2048
    assert all(len(p.where) < 40 and len(p.field) < 80 for p in error.problems)


def test_three_thousand_problems_are_listed_only_in_part():
    data = make_file() | {f"unknown_{i}": 1 for i in range(3000)}
    error = refusal(data)
    assert len(error.problems) == MAX_PROBLEMS + 1
    assert error.problems[-1].message == f"另有 {3000 - MAX_PROBLEMS} 处问题未列出"
    assert error_bytes(error) < 10_000


def test_an_integer_too_long_for_python_is_refused_not_crashed_on():
    text = yaml_text(make_file()).replace("version: '2012'", "version: " + "9" * 5000, 1)
    assert "version: 999" in text
    assert "位数过多" in refusal(text).problems[0].message


def test_a_huge_integer_in_data_gets_a_short_problem():
    # str() of an int over 4300 digits raises in Python 3.11: every message must avoid it.
    error = refusal(make_file(make_clause(digits=10**5000), version=10**5000))
    assert {(p.where, p.field) for p in error.problems} == {("文件", "version"), ("条款 5.5", "digits")}
    assert error_bytes(error) < 2048


def test_an_impossible_date_written_as_a_yaml_date_is_named_not_crashed_on():
    text = yaml_text(make_file()).replace("effective: '2012-07-01'", "effective: 2012-13-01", 1)
    assert "effective: 2012-13-01" in text
    assert [(p.where, p.field) for p in refusal(text).problems] == [("文件", "effective")]


def test_a_yaml_syntax_error_is_quoted_only_in_part():
    text = "code: 'x" + "y" * 100_000 + "\n\tbad: [\n"
    error = refusal(text)
    assert error_bytes(error) < 2048


@pytest.mark.parametrize(
    "text",
    ["code: !!python/object/apply:os.system ['true']\n", "code: !!float abc\n", "code: !!bool maybe\n",
     "code: !!timestamp x\n", "code: !!int abc\n", "code: !!str 5\n", "code: ! x\n", "clauses: !!set {a: null}\n"],
)
def test_an_explicit_tag_is_refused_before_any_constructor_can_raise(text):
    error = refusal(text)
    assert len(error.problems) == 1
    assert "YAML 标签" in error.problems[0].message


@pytest.mark.parametrize("text", [BOMB, "[" * 3000, "a: b: c", "--- 1\n--- 2\n", "\x00", "? [a, b]\n: 1\n"])
def test_every_unreadable_file_gives_one_short_standard_file_error(text):
    error = refusal(text)
    assert len(error.problems) == 1 and error.problems[0].where == "文件"
    assert error_bytes(error) < 2048


@pytest.mark.parametrize("key", ["aql", "level"])
@pytest.mark.parametrize("value", ["2" * 100_000, 10**5000, ["2.5"] * 1000], ids=["long-text", "huge-int", "list"])
def test_a_wrong_aql_or_level_is_quoted_only_in_part(key, value):
    clause = make_clause(kind="attribute", unit=None, comparator=None, limit=None, digits=None, aql="2.5", level="II")
    error = refusal(make_file(clause | {key: value}))
    assert [(p.where, p.field) for p in error.problems] == [("条款 5.5", key)]
    assert error_bytes(error) < 2048
