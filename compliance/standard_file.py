"""Read and write the standard file format of SPEC §7 (YAML, or the same data as JSON).

An invalid file is rejected whole: parse_standard() collects every problem, each named by
clause number and field, before it raises.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import yaml

from .engine import (
    CLAUSE_INSPECTION_TYPES,
    Category,
    CategoryCounts,
    ClauseKind,
    ClauseSpec,
    Comparator,
    Comparison,
    InputError,
    RetestPolicy,
    VerdictRule,
    excerpt,
    fmt_decimal,
    is_multiple,
    is_rounding_interval,
    parse_decimal,
    to_decimal,
)
from .sampling import SamplingError, normalize_aql, normalize_level


class StandardStatus(StrEnum):
    draft = "draft"
    published = "published"


@dataclass(frozen=True)
class StandardDoc:
    """One version of an alliance standard as a file describes it."""

    code: str
    title: str
    alliance: str
    version: str
    effective: date
    transition_end: date | None
    status: StandardStatus
    verdict_rule: VerdictRule
    clauses: tuple[ClauseSpec, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a standard file: where (“条款 5.3” or “文件”), which field, what."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where} {self.field}：{self.message}" if self.field else f"{self.where}：{self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "field": self.field, "message": self.message}


class StandardFileError(ValueError):
    """The file cannot be imported; ``problems`` lists every reason at once (the first MAX_PROBLEMS)."""

    def __init__(self, problems: list[Problem]):
        problems = list(problems)
        if len(problems) > MAX_PROBLEMS:
            # A file with 10 000 wrong keys must not make a 10 000-line error response.
            hidden = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [Problem(FILE, "", f"另有 {hidden} 处问题未列出")]
        self.problems = problems
        super().__init__("标准文件有 {} 处问题：\n{}".format(len(self.problems), "\n".join(map(str, self.problems))))


FILE = "文件"
# Bounds on what a file may make the parser do (an import is a request a client controls).
MAX_SOURCE_BYTES = 1_000_000
MAX_DEPTH = 20  # a real file nests 4 levels: file → clauses → clause → inspections
MAX_NODES = 20_000  # the 18-clause locks standard has 453; parsing 20 000 takes about a second
MAX_PROBLEMS = 50
TOP_KEYS = ("code", "title", "alliance", "version", "effective", "transition_end", "status", "verdict_rule", "clauses")
RULE_KEYS = ("pass_if_any", "retest")
RETEST_KEYS = ("categories", "sample_factor", "deadline_days")
CLAUSE_KEYS = tuple(ClauseSpec.__dataclass_fields__)
# Fields that only one kind of clause uses; anything else on the clause is a mistake.
NUMERIC_ONLY = (
    "comparator", "limit", "low", "high", "low_inclusive", "high_inclusive", "digits", "interval", "comparison", "minimum",
)
KIND_FIELDS = {
    ClauseKind.numeric: NUMERIC_ONLY,
    ClauseKind.boolean: ("expected",),
    ClauseKind.attribute: ("aql", "level"),
}
CLAUSE_NUMBER = re.compile(r"[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*")
DIGITS_RANGE = range(-6, 11)
INTERVAL_POWERS = range(-10, 7)  # the steps digits allows: 10^-10 to 10^6
_PLAIN_INTEGER = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


class _ShortRepr(reprlib.Repr):
    """reprlib's bounded repr, which also survives an int too long for repr() (sys.int_info)."""

    def repr_int(self, x: int, level: int) -> str:
        return "（位数过多的整数）" if abs(x) >= 10**self.maxother else super().repr_int(x, level)


_REPR = _ShortRepr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, 40, 40


def _number_text(value: int) -> str | None:
    """Return an int as the file wrote it, or None when it has more digits than Python will print."""
    if isinstance(value, _SourceInt):
        return value.source
    try:
        return str(value)
    except ValueError:
        return None


def _shown(value: Any) -> str:
    """Quote a value from the file in a message: at most a short excerpt, however big it is."""
    if isinstance(value, str):
        return excerpt(value)
    if isinstance(value, (_SourceInt, _SourceFloat)):
        return excerpt(value.source)
    if isinstance(value, int) and not isinstance(value, bool):
        return _REPR.repr_int(value, 0)
    # reprlib stops after a few items and levels, so a huge list costs as little as a short one.
    return excerpt(_REPR.repr(value))


class _Collector:
    """Gather problems while reading values, returning None for any value that is wrong."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, field: str, message: str) -> None:
        self.problems.append(Problem(where, field, message))

    def unknown_keys(self, where: str, data: Mapping, allowed: tuple[str, ...], prefix: str = "") -> None:
        for key in data:
            if key not in allowed:
                self.add(where, f"{prefix}{_shown(key)}", f"未知字段，可用字段：{', '.join(allowed)}")

    def text(self, where: str, data: Mapping, key: str, *, required: bool) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(where, key, "缺少此字段")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.add(where, key, f"应为文本，收到 {_shown(value)}")
            return None
        text = value.strip() if isinstance(value, str) else _number_text(value)
        if text is None:
            self.add(where, key, "位数过多")
            return None
        if not text and required:
            self.add(where, key, "不能为空")
            return None
        return text or None

    def choice(self, where: str, data: Mapping, key: str, enum: type[StrEnum], *, required: bool, default=None):
        value = data.get(key)
        if value is None:
            if required:
                self.add(where, key, f"缺少此字段，可选 {' | '.join(enum)}")
            return default
        try:
            return enum(str(value))
        except ValueError:
            self.add(where, key, f"“{_shown(value)}”无效，可选 {' | '.join(enum)}")
            return default

    def decimal(self, where: str, data: Mapping, key: str) -> Decimal | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            self.add(where, key, f"应为数值，收到 {_shown(value)}")
            return None
        try:
            if isinstance(value, (_SourceInt, _SourceFloat)):
                # The text the author wrote: 0.00001 stays 0.00001 (str() of the float is 1e-05),
                # 1.0e+3 is refused as scientific notation, 1:30 is not read as 90.
                return parse_decimal(value.source)
            if isinstance(value, float):
                # Already-parsed data (JSON) has only the float: its shortest repr is the decimal
                # its writer typed, written out plainly so 1e-05 reads as 0.00001.
                return parse_decimal(fmt_decimal(Decimal(repr(value))))
            if isinstance(value, int):
                return Decimal(value)
            if isinstance(value, Decimal):
                return to_decimal(value)
            return parse_decimal(value)
        except InputError as exc:
            self.add(where, key, exc.message)
            return None

    def integer(self, where: str, data: Mapping, key: str, *, default=None, minimum=None, allowed=None):
        value = data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, key, f"应为整数，收到 {_shown(value)}")
            return default
        if isinstance(value, _SourceInt) and not _PLAIN_INTEGER.fullmatch(value.source):
            # YAML 1.1 reads 010 as 8, 0x10 as 16 and 1:30 as 90: only plain decimal integers.
            self.add(where, key, f"请直接写出十进制整数，收到 {_shown(value)}")
            return default
        value = int(value)
        if minimum is not None and value < minimum:
            self.add(where, key, f"不能小于 {minimum}，收到 {_shown(value)}")
            return default
        if allowed is not None and value not in allowed:
            self.add(where, key, f"应在 {allowed.start}～{allowed.stop - 1} 之间，收到 {_shown(value)}")
            return default
        return value

    def boolean(self, where: str, data: Mapping, key: str, *, default=None):
        value = data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(where, key, f"应为 true 或 false，收到 {_shown(value)}")
            return default
        return value

    def day(self, where: str, data: Mapping, key: str, *, required: bool) -> date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(where, key, "缺少此字段（日期，格式 YYYY-MM-DD）")
            return None
        if isinstance(value, datetime):
            self.add(where, key, f"应为日期（YYYY-MM-DD），不含时间，收到 {_shown(str(value))}")
            return None
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            self.add(where, key, f"应为日期（YYYY-MM-DD），收到 {_shown(value)}")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.add(where, key, f"“{_shown(value)}”不是有效日期（格式 YYYY-MM-DD）")
            return None


class _Refused(yaml.MarkedYAMLError):
    """The file uses something the loader will not read: an alias, too deep a nesting, too many values."""


class _StandardLoader(yaml.SafeLoader):
    """A SafeLoader with bounds: no anchors, aliases or tags, at most MAX_DEPTH levels and MAX_NODES values.

    Aliases are refused outright: a 481-byte file of nested aliases ("billion laughs") names
    10^9 values, and a standard file has no use for them. Nor for explicit tags, with which
    PyYAML's constructors raise ValueError, KeyError or AttributeError (!!float abc, !!bool
    maybe). Nesting and size are capped while composing, so neither a deep file nor a big one
    costs more than the caps allow.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if event.anchor is not None:
            raise _Refused(problem="标准文件不能使用 YAML 锚点或别名（& 和 *）", problem_mark=event.start_mark)
        if getattr(event, "tag", None) is not None:
            raise _Refused(problem=f"标准文件不能使用 YAML 标签（{excerpt(event.tag, 30)}）", problem_mark=event.start_mark)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(problem=f"文件中的值超过 {MAX_NODES} 个", problem_mark=event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise _Refused(problem=f"嵌套超过 {MAX_DEPTH} 层", problem_mark=event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _SourceInt(int):
    """An integer scalar of the file that remembers its text: YAML 1.1 reads 010 as 8 and 1:30 as 90."""

    source: str


class _SourceFloat(float):
    """A float scalar of the file that remembers its text: 0.00001, which str() of the float gives as 1e-05."""

    source: str


def _construct_int(loader: _StandardLoader, node: yaml.ScalarNode) -> _SourceInt:
    try:
        value = _SourceInt(loader.construct_yaml_int(node))
    except ValueError:
        # More digits than int() will read (sys.int_info): no field of a standard is that long.
        raise _Refused(problem=f"整数“{excerpt(node.value)}”位数过多", problem_mark=node.start_mark) from None
    value.source = node.value
    return value


def _construct_float(loader: _StandardLoader, node: yaml.ScalarNode) -> _SourceFloat:
    value = _SourceFloat(loader.construct_yaml_float(node))
    value.source = node.value
    return value


def _construct_timestamp(loader: _StandardLoader, node: yaml.ScalarNode) -> date | datetime | str:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        # 2012-13-01 looks like a date but is none: keep the text, so the field reports it.
        return node.value


_StandardLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StandardLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_StandardLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _load_yaml(text: str) -> Any:
    loader = _StandardLoader(text)  # the reader checks for unprintable characters here already
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _mark(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"（第 {mark.line + 1} 行第 {mark.column + 1} 列）" if mark else ""


def _too_big(data: Any) -> str | None:
    """Say why already-parsed data exceeds MAX_DEPTH or MAX_NODES, walking it without recursion."""
    stack, nodes = [(data, 1)], 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return f"文件中的值超过 {MAX_NODES} 个"
        if depth > MAX_DEPTH:
            return f"嵌套超过 {MAX_DEPTH} 层"
        if isinstance(value, Mapping):
            stack.extend((child, depth + 1) for pair in value.items() for child in pair)
        elif isinstance(value, (list, tuple)):
            stack.extend((child, depth + 1) for child in value)
    return None


def _load(source: str | bytes | Mapping, problems: _Collector) -> Mapping | None:
    if isinstance(source, (str, bytes)):
        # A character is at least one byte: a long text is refused before it is encoded to measure.
        if len(source) > MAX_SOURCE_BYTES or (
            isinstance(source, str) and len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES
        ):
            problems.add(FILE, "", f"文件过大：上限为 {MAX_SOURCE_BYTES} 字节")
            return None
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            problems.add(FILE, "", "文件不是 UTF-8 编码")
            return None
    if isinstance(source, str):
        try:
            data = _load_yaml(source)
        except _Refused as exc:
            problems.add(FILE, "", f"{exc.problem}{_mark(exc)}")
            return None
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            problems.add(FILE, "", f"YAML 语法错误{_mark(exc)}：{excerpt(problem, 200)}")
            return None
    else:
        data = source
    if not isinstance(data, Mapping):
        problems.add(FILE, "", "文件内容应为字段映射（code、title、clauses 等）")
        return None
    reason = _too_big(data)
    if reason is not None:
        problems.add(FILE, "", reason)
        return None
    return data


def parse_standard(source: str | bytes | Mapping[str, Any]) -> StandardDoc:
    """Parse a standard file (YAML text, or already-parsed data) and return it, or raise StandardFileError."""
    p = _Collector()
    data = _load(source, p)
    if data is None:
        raise StandardFileError(p.problems)

    p.unknown_keys(FILE, data, TOP_KEYS)
    code = p.text(FILE, data, "code", required=True)
    title = p.text(FILE, data, "title", required=True)
    alliance = p.text(FILE, data, "alliance", required=True)
    version = p.text(FILE, data, "version", required=True)
    effective = p.day(FILE, data, "effective", required=True)
    transition_end = p.day(FILE, data, "transition_end", required=False)
    if effective and transition_end and transition_end < effective:
        p.add(FILE, "transition_end", f"过渡期截止日 {transition_end} 早于实施日期 {effective}")
    # SPEC §7: an imported version is published at once unless the file says draft.
    status = p.choice(FILE, data, "status", StandardStatus, required=False, default=StandardStatus.published)
    rule = _parse_rule(data.get("verdict_rule"), p)
    clauses = _parse_clauses(data.get("clauses"), p)

    if p.problems:
        raise StandardFileError(p.problems)
    return StandardDoc(code, title, alliance, version, effective, transition_end, status, rule, clauses)


def _parse_rule(raw: Any, p: _Collector) -> VerdictRule | None:
    where = "判定规则"
    if raw is None:
        p.add(FILE, "verdict_rule", "缺少判定规则")
        return None
    if not isinstance(raw, Mapping):
        p.add(FILE, "verdict_rule", "应为映射（pass_if_any、retest）")
        return None
    p.unknown_keys(where, raw, RULE_KEYS, "verdict_rule.")
    alternatives = []
    raw_alternatives = raw.get("pass_if_any")
    complete = isinstance(raw_alternatives, list) and bool(raw_alternatives)
    if not complete:
        p.add(where, "verdict_rule.pass_if_any", "应列出至少一组各类不合格项数上限，例如 {A: 0, B: 1, C: 1}")
    else:
        for i, alternative in enumerate(raw_alternatives, start=1):
            field = f"verdict_rule.pass_if_any[{i}]"
            if not isinstance(alternative, Mapping):
                p.add(where, field, f"应为映射，例如 {{A: 0, B: 1, C: 1}}，收到 {_shown(alternative)}")
                complete = False
                continue
            counts, ok = {}, True
            for key, value in alternative.items():
                if not isinstance(key, str) or key not in set(Category):
                    p.add(where, f"{field}.{_shown(key)}", "未知类别，可选 A | B | C")
                    ok = False
                elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    p.add(where, f"{field}.{key}", f"应为非负整数，收到 {_shown(value)}")
                    ok = False
                elif isinstance(value, _SourceInt) and not _PLAIN_INTEGER.fullmatch(value.source):
                    p.add(where, f"{field}.{key}", f"请直接写出十进制整数，收到 {_shown(value)}")
                    ok = False
                else:
                    counts[key] = int(value)
            if ok:
                alternatives.append(CategoryCounts.of(counts))
            complete = complete and ok

    retest = None
    raw_retest = raw.get("retest")
    if raw_retest is not None:
        if not isinstance(raw_retest, Mapping):
            p.add(where, "verdict_rule.retest", "应为映射（categories、sample_factor、deadline_days）")
        else:
            retest = _parse_retest(raw_retest, where, p)
    if not complete:
        return None
    return VerdictRule(tuple(alternatives), retest)


def _parse_retest(raw: Mapping, where: str, p: _Collector) -> RetestPolicy | None:
    p.unknown_keys(where, raw, RETEST_KEYS, "verdict_rule.retest.")
    categories = raw.get("categories")
    parsed: list[Category] = []
    if not isinstance(categories, list) or not categories:
        p.add(where, "verdict_rule.retest.categories", "应列出允许复检的类别，例如 [B, C]")
    else:
        for c in categories:
            try:
                parsed.append(Category(c if isinstance(c, str) else None))
            except ValueError:
                p.add(where, "verdict_rule.retest.categories", f"未知类别“{_shown(c)}”，可选 A | B | C")
    factor = p.integer(where, raw, "sample_factor", minimum=1, default=None)
    days = p.integer(where, raw, "deadline_days", minimum=1, default=None)
    for key, value in (("sample_factor", factor), ("deadline_days", days)):
        if raw.get(key) is None:
            p.add(where, f"verdict_rule.retest.{key}", "缺少此字段")
    if not parsed or factor is None or days is None:
        return None
    return RetestPolicy(tuple(dict.fromkeys(parsed)), factor, days)


def _parse_clauses(raw: Any, p: _Collector) -> tuple[ClauseSpec, ...]:
    if not isinstance(raw, list) or not raw:
        p.add(FILE, "clauses", "应列出至少一个条款")
        return ()
    clauses = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw, start=1):
        where = f"第 {index} 个条款"
        if not isinstance(item, Mapping):
            p.add(where, "", f"应为字段映射，收到 {_shown(item)}")
            continue
        number = item.get("number")
        if isinstance(number, float):
            # YAML reads 5.10 as the float 5.1: the clause number is lost, so insist on quotes.
            p.add(where, "number", f"条款号请加引号，例如 \"{_shown(number)}\"（不加引号时 5.10 会被读成 5.1）")
            number = None
        elif number is not None and not isinstance(number, bool) and isinstance(number, (str, int)):
            number = number.strip() if isinstance(number, str) else (_number_text(number) or "")
            where = f"条款 {excerpt(number, 20)}"
            if not CLAUSE_NUMBER.fullmatch(number):
                p.add(where, "number", f"“{_shown(number)}”不是有效的条款号（例如 5.3.2）")
            elif number in seen:
                p.add(where, "number", f"条款号重复（第 {seen[number]} 个条款已使用）")
            else:
                seen[number] = index
        else:
            p.add(where, "number", "缺少条款号" if number is None else f"条款号应为文本，收到 {_shown(number)}")
            number = None
        clause = _parse_clause(item, number, where, p)
        if clause is not None:
            clauses.append(clause)
    return tuple(clauses)


def _parse_clause(item: Mapping, number: str | None, where: str, p: _Collector) -> ClauseSpec | None:
    before = len(p.problems)
    p.unknown_keys(where, item, CLAUSE_KEYS)
    title = p.text(where, item, "title", required=True)
    category = p.choice(where, item, "category", Category, required=True)
    kind = p.choice(where, item, "kind", ClauseKind, required=True)
    unit = p.text(where, item, "unit", required=False)
    method = p.text(where, item, "method", required=False)
    units = p.integer(where, item, "units", minimum=1, default=1)
    inspections = _parse_inspections(item, where, p)

    if kind is not None:
        for key in NUMERIC_ONLY + ("expected", "aql", "level"):
            if key not in KIND_FIELDS[kind] and item.get(key) is not None:
                p.add(where, key, f"{_KIND_NAMES[kind]}条款不使用此字段")

    fields: dict[str, Any] = {}
    if kind is ClauseKind.numeric:
        fields = _parse_numeric(item, where, p)
    elif kind is ClauseKind.boolean:
        expected = p.boolean(where, item, "expected")
        if item.get("expected") is None:
            p.add(where, "expected", "是非型条款须给出 expected（true 或 false）")
        fields = {"expected": expected}
    elif kind is ClauseKind.attribute:
        fields = _parse_attribute(item, where, p)
        if item.get("units") is not None:
            p.add(where, "units", "计数检验条款的样本量由 GB/T 2828.1 确定，不使用 units")

    if len(p.problems) > before or number is None:
        return None
    return ClauseSpec(
        number=number,
        title=title,
        category=category,
        kind=kind,
        unit=unit,
        units=units,
        inspections=inspections,
        method=method,
        **fields,
    )


_KIND_NAMES = {ClauseKind.numeric: "数值型", ClauseKind.boolean: "是非型", ClauseKind.attribute: "计数检验"}


def _parse_inspections(item: Mapping, where: str, p: _Collector) -> tuple:
    raw = item.get("inspections")
    if raw is None:
        # SPEC §7: without `inspections` the clause belongs to every inspection type.
        return CLAUSE_INSPECTION_TYPES
    allowed = " | ".join(CLAUSE_INSPECTION_TYPES)
    if not isinstance(raw, list) or not raw:
        p.add(where, "inspections", f"应列出检验类型，例如 [type, surveillance]，可选 {allowed}")
        return ()
    found = []
    for value in raw:
        if isinstance(value, str) and value in CLAUSE_INSPECTION_TYPES:
            if value in found:
                p.add(where, "inspections", f"检验类型“{value}”重复")
            found.append(value)
        else:
            # retest and market take their clauses from another type (SPEC §2), so a file
            # never lists them.
            p.add(where, "inspections", f"未知的检验类型“{_shown(value)}”，可选 {allowed}")
    return tuple(dict.fromkeys(found))


def _number(value: Decimal) -> str:
    return excerpt(fmt_decimal(value))


def _parse_numeric(item: Mapping, where: str, p: _Collector) -> dict[str, Any]:
    comparator = p.choice(where, item, "comparator", Comparator, required=True)
    limit = p.decimal(where, item, "limit")
    low = p.decimal(where, item, "low")
    high = p.decimal(where, item, "high")
    low_inclusive = p.boolean(where, item, "low_inclusive", default=True)
    high_inclusive = p.boolean(where, item, "high_inclusive", default=True)
    digits = p.integer(where, item, "digits", allowed=DIGITS_RANGE)
    interval = _parse_interval(item, where, p)
    comparison = p.choice(where, item, "comparison", Comparison, required=False, default=Comparison.rounded)
    minimum = p.decimal(where, item, "minimum")

    if comparator is Comparator.between:
        for key in ("low", "high"):
            if item.get(key) is None:
                p.add(where, key, "between 须给出 low 和 high")
        if item.get("limit") is not None:
            p.add(where, "limit", "between 使用 low 和 high，不使用 limit")
        if low is not None and high is not None:
            if low > high:
                p.add(where, "low", f"下限 {_number(low)} 大于上限 {_number(high)}")
            elif low == high and not (low_inclusive and high_inclusive):
                p.add(where, "low", f"下限与上限都是 {_number(low)}，且不含端点：没有值能合格")
    elif comparator is not None:
        if item.get("limit") is None:
            p.add(where, "limit", f"比较符 {comparator} 须给出 limit")
        for key in ("low", "high", "low_inclusive", "high_inclusive"):
            if item.get(key) is not None:
                p.add(where, key, f"比较符 {comparator} 不使用此字段（between 才用）")

    limits = {"low": low, "high": high} if comparator is Comparator.between else {"limit": limit}
    if comparison is Comparison.rounded:
        _check_limits_on_the_rounding_grid(item, limits, digits, interval, where, p)
    if minimum is not None:
        upper = high if comparator is Comparator.between else limit
        if comparator in (Comparator.between, Comparator.le, Comparator.lt, Comparator.eq) and upper is not None:
            if upper < minimum:
                p.add(where, "minimum", f"下限 {_number(minimum)} 高于要求的上限 {_number(upper)}：没有值能合格")
    return {
        "comparator": comparator,
        "limit": limit,
        "low": low,
        "high": high,
        "low_inclusive": low_inclusive,
        "high_inclusive": high_inclusive,
        "digits": digits,
        "interval": interval,
        "comparison": comparison,
        "minimum": minimum,
    }


def _parse_interval(item: Mapping, where: str, p: _Collector) -> Decimal | None:
    interval = p.decimal(where, item, "interval")
    if interval is None:
        return None
    if item.get("digits") is not None:
        p.add(where, "interval", "digits 与 interval 只能给出一个：digits 修约到小数位，interval 修约到间隔的整数倍")
        return None
    if not is_rounding_interval(interval):
        p.add(where, "interval", f"修约间隔应为 1、2 或 5 乘以 10 的整数次幂（如 0.5、0.2、20），收到 {_number(interval)}")
        return None
    if interval.adjusted() not in INTERVAL_POWERS:
        p.add(where, "interval", f"修约间隔应在 1×10^{INTERVAL_POWERS.start}～5×10^{INTERVAL_POWERS.stop - 1} 之间，"
                                 f"收到 {_number(interval)}")
        return None
    return interval


def _check_limits_on_the_rounding_grid(
    item: Mapping, limits: dict[str, Decimal | None], digits: int | None, interval: Decimal | None, where: str,
    p: _Collector,
) -> None:
    """Refuse a limit the rounded value can never equal (SPEC §3): 0.55 with digits 1, 0.3 with interval 0.5.

    A value exactly at such a limit would fail or pass by the rounding, not by the limit. Only
    for `comparison: rounded`; with `comparison: full` any limit is fine.
    """
    if interval is not None:
        step, rule = interval, f"修约间隔 {_number(interval)}（interval）"
    elif digits is not None and item.get("interval") is None:
        step, rule = Decimal(1).scaleb(-digits), f"修约单位 {_number(Decimal(1).scaleb(-digits))}（digits: {digits}）"
    else:
        return
    for key, value in limits.items():
        if value is not None and not is_multiple(value, step):
            p.add(where, key, f"{_number(value)} 不是{rule}的整数倍：修约后的值不可能恰好等于它；"
                              "请改写限值，或使用 comparison: full")


def _parse_attribute(item: Mapping, where: str, p: _Collector) -> dict[str, Any]:
    fields: dict[str, Any] = {"aql": None, "level": None}
    for key, normalize in (("aql", normalize_aql), ("level", normalize_level)):
        value = item.get(key)
        if value is None:
            p.add(where, key, "计数检验条款须给出 aql 和 level（GB/T 2828.1）")
            continue
        too_long = (isinstance(value, str) and len(value) > 20) or (isinstance(value, int) and abs(value) >= 10**20)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or too_long:
            # The tables' headings are short; anything else would only be quoted back in full.
            p.add(where, key, f"无效的值：{_shown(value)}")
            continue
        try:
            # A float AQL from unquoted YAML (4.0) is read through its text, like the limits.
            if isinstance(value, (_SourceInt, _SourceFloat)):
                value = value.source
            fields[key] = normalize(str(value) if isinstance(value, float) else value)
        except SamplingError as exc:
            p.add(where, key, exc.message)
    return fields


# --- writing --------------------------------------------------------------------------------


def _clause_data(clause: ClauseSpec) -> dict[str, Any]:
    """Return the clause as file data, leaving out what equals the format's default."""
    data: dict[str, Any] = {
        "number": clause.number,
        "title": clause.title,
        "category": clause.category.value,
        "kind": clause.kind.value,
    }
    if clause.unit is not None:
        data["unit"] = clause.unit
    if clause.kind is ClauseKind.numeric:
        data["comparator"] = clause.comparator.value
        # Decimals are written as quoted strings so no reader turns them into floats.
        for key in ("limit", "low", "high"):
            value = getattr(clause, key)
            if value is not None:
                data[key] = fmt_decimal(value)
        for key in ("low_inclusive", "high_inclusive"):
            if not getattr(clause, key):
                data[key] = False
        if clause.digits is not None:
            data["digits"] = clause.digits
        if clause.interval is not None:
            data["interval"] = fmt_decimal(clause.interval)
        if clause.comparison is not Comparison.rounded:
            data["comparison"] = clause.comparison.value
        if clause.minimum is not None:
            data["minimum"] = fmt_decimal(clause.minimum)
    elif clause.kind is ClauseKind.boolean:
        data["expected"] = clause.expected
    else:
        data["aql"] = clause.aql
        data["level"] = clause.level
    if clause.units != 1:
        data["units"] = clause.units
    data["inspections"] = [t.value for t in clause.inspections]
    if clause.method is not None:
        data["method"] = clause.method
    return data


def standard_data(doc: StandardDoc) -> dict[str, Any]:
    """Return the standard as plain data in the file format (JSON-safe except for the dates)."""
    rule: dict[str, Any] = {"pass_if_any": [a.to_dict() for a in doc.verdict_rule.pass_if_any]}
    if doc.verdict_rule.retest is not None:
        policy = doc.verdict_rule.retest
        rule["retest"] = {
            "categories": [c.value for c in policy.categories],
            "sample_factor": policy.sample_factor,
            "deadline_days": policy.deadline_days,
        }
    return {
        "code": doc.code,
        "title": doc.title,
        "alliance": doc.alliance,
        "version": doc.version,
        "effective": doc.effective,
        "transition_end": doc.transition_end,
        "status": doc.status.value,
        "verdict_rule": rule,
        "clauses": [_clause_data(c) for c in doc.clauses],
    }


def dump_standard(doc: StandardDoc) -> str:
    """Return the standard as YAML text that parse_standard() reads back to an equal StandardDoc."""
    return yaml.safe_dump(standard_data(doc), allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
