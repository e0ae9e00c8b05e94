"""Judge a sample against an alliance standard (SPEC §3).

Pure Python: frozen dataclasses in, a Verdict out, every outcome with its reason in Chinese.
Numbers are ``Decimal`` throughout; a float is refused wherever a number enters.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import MAX_EMAX, MIN_EMIN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum
from typing import Any

from infra.words import N_, Listing, Sentence

from .sampling import SEVERITY_NAMES, SamplingError, SamplingPlan, Severity, sampling_plan


# --- vocabularies ---------------------------------------------------------------------------


class Category(StrEnum):
    A = "A"  # critical (致命)
    B = "B"  # major (严重)
    C = "C"  # minor (轻微)


class ClauseKind(StrEnum):
    numeric = "numeric"
    boolean = "boolean"
    attribute = "attribute"


class Comparator(StrEnum):
    ge = ">="
    gt = ">"
    le = "<="
    lt = "<"
    eq = "=="
    between = "between"


class Comparison(StrEnum):
    rounded = "rounded"  # 修约值比较法 (GB/T 8170-2008 4.3.3), the default
    full = "full"  # 全数值比较法 (GB/T 8170-2008 4.3.2)


class InspectionType(StrEnum):
    type = "type"  # 型式检验
    surveillance = "surveillance"  # 监督抽查
    factory = "factory"  # 出厂检验
    retest = "retest"  # 复检: judged with the clauses of the inspection it retests
    market = "market"  # 市场抽样: judged with the surveillance clauses


class ClauseOutcome(StrEnum):
    passed = "pass"
    failed = "fail"
    missing = "missing"


class VerdictOutcome(StrEnum):
    passed = "pass"
    failed = "fail"
    incomplete = "incomplete"


# Types a standard file may list for a clause (SPEC §7); retest and market borrow from these.
CLAUSE_INSPECTION_TYPES = (InspectionType.type, InspectionType.surveillance, InspectionType.factory)


# --- input numbers --------------------------------------------------------------------------


class InputError(ValueError):
    """A value a person entered cannot be used; ``message`` says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_SCIENTIFIC = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")

# A Chinese IME types digits, signs and the point full width ("１２．５"); the minus sign U+2212
# comes from pasted documents. Only these are mapped: NFKC would also turn "10²" into 102,
# "3000²" into 30002 and "①" into 1, reading a typo as a different number (SPEC §3).
_FULL_WIDTH = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)} | {"\uff0b": "+", "\uff0d": "-", "\uff0e": ".", "\u2212": "-"}
)

EXCERPT_CHARS = 60


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Return ``text`` cut to ``limit`` characters, ending in “…” when cut, for quoting in a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_decimal(text: str) -> Decimal:
    """Parse a number typed by a person into an exact Decimal, or raise InputError."""
    if not isinstance(text, str):
        raise InputError(f"数值应为文本，收到 {type(text).__name__}")
    cleaned = text.strip().translate(_FULL_WIDTH)
    shown = excerpt(text.strip())
    if not cleaned:
        raise InputError("请输入数值")
    if any(c in cleaned for c in ",，、"):
        raise InputError("请使用小数点“.”而不是逗号")
    if _PLAIN_DECIMAL.fullmatch(cleaned):
        return Decimal(cleaned)
    if _SCIENTIFIC.fullmatch(cleaned):
        raise InputError(f"“{shown}”：请直接写出小数，不要用科学计数法")
    # A superscript, circled or CJK numeral is a typo, not a digit: say which character it is.
    odd = next((c for c in cleaned if not c.isascii() and unicodedata.numeric(c, None) is not None), None)
    if odd is not None:
        raise InputError(f"“{shown}”不是数字：“{odd}”不是 0-9，请只用数字 0-9、小数点和正负号")
    # NaN and Infinity end here too: the pattern above admits only finite plain decimals.
    raise InputError(f"“{shown}”不是有效的数值")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a finite Decimal; floats are refused, strings parsed strictly."""
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got a boolean {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(f"“{value}”不是有效的数值")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        return parse_decimal(value)
    # SPEC §3: numbers are Decimal, never float (0.1 as a float is not 0.1).
    raise TypeError(f"expected Decimal, int or str, got {type(value).__name__} {value!r}")


def check_plausible(spec: ClauseSpec, value: Decimal | bool) -> None:
    """Raise InputError for a value that cannot be a real measurement of this clause.

    Judged from the clause alone, never from its unit's name (SPEC §3). With a declared
    ``minimum`` a value below it is impossible, and nothing else is. Without one, a negative value
    is refused only when no negative value could pass the clause (a stray minus sign on ≥ 3000 N);
    a clause that negatives can pass (−0.5～0.5 mm, ≤ −60 kPa, ≤ 0.1 mm) takes them.
    """
    if spec.kind is ClauseKind.boolean:
        if not isinstance(value, bool):
            raise InputError(f"条款 {spec.number} 应填写“是”或“否”")
        return
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise InputError(f"条款 {spec.number} 应填写数值")
    if spec.kind is ClauseKind.attribute:
        if value < 0 or value != value.to_integral_value():
            raise InputError(f"条款 {spec.number} 的不合格品数应为非负整数")
        return
    shown = excerpt(_with_unit(fmt_decimal(value), spec.unit))
    if spec.minimum is not None:
        if value < spec.minimum:
            raise InputError(
                f"条款 {spec.number}（{spec.title}）的实测值不可能低于 "
                f"{_with_unit(fmt_decimal(spec.minimum), spec.unit)}（标准规定的下限）：{shown}"
            )
        return
    if value < 0 and not _a_negative_can_pass(spec):
        raise InputError(
            f"条款 {spec.number}（{spec.title}）要求 {requirement_text(spec)}，实测值不可能为负值：{shown}"
            "（请检查负号）"
        )


def _upper_bound(spec: ClauseSpec) -> tuple[Decimal, bool] | None:
    """Return the clause's upper limit and whether it is inclusive, or None when it has none."""
    if spec.comparator is Comparator.between:
        return spec.high, spec.high_inclusive
    if spec.comparator in (Comparator.le, Comparator.eq):
        return spec.limit, True
    if spec.comparator is Comparator.lt:
        return spec.limit, False
    return None


def _a_negative_can_pass(spec: ClauseSpec) -> bool:
    """Say whether some negative measured value would meet the clause."""
    step = _rounding_step(spec)
    if step is None:
        # Compared unrounded: a negative value is compared as is. The multiples of a step finer
        # than every limit include a point of any range the limits bound, so they stand for all
        # negative values; the largest of them is −step.
        bounds = [b for b in (spec.limit, spec.low, spec.high) if b is not None]
        step = Decimal(1).scaleb(min([b.as_tuple().exponent for b in bounds] + [0]) - 1)
        best = -step
    else:
        # Rounded: a negative value becomes a multiple of the step, and a small one (−step/10)
        # becomes −0, which the limit compares as 0.
        best = Decimal(0)
    upper = _upper_bound(spec)
    if upper is not None:
        limit, inclusive = upper
        highest = _floor_multiple(limit, step)
        if highest == limit and not inclusive:
            highest -= step
        best = min(best, highest)
    # The pass range is one interval and best is the largest candidate under its top: if best
    # fails the lower limit, every smaller candidate fails it too.
    return meets(spec, best)


# --- rounding -------------------------------------------------------------------------------

# Rounding a value that has nothing to discard only appends zeros ("20" → "20.00"). A huge
# exponent (1E+999999999) would append a billion, so such a value is returned as it is: it is
# already its own rounded value.
_MAX_PADDED_ZEROS = 4096


def _span(value: Decimal) -> int:
    """Return how many digits ``value`` takes written out plainly."""
    return max(value.adjusted(), 0) + 1 - min(value.as_tuple().exponent, 0)


def _exact_context(*values: Decimal):
    """Return a decimal context in which products and exact quotients of ``values`` stay exact."""
    return localcontext(prec=max(28, sum(_span(v) for v in values) + 10), Emax=MAX_EMAX, Emin=MIN_EMIN)


def _floor_multiple(value: Decimal, step: Decimal) -> Decimal:
    """Return the largest multiple of ``step`` not above ``value``."""
    with _exact_context(value, step):
        return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """Say whether ``value`` is an exact integer multiple of ``step`` (a limit on the rounding grid)."""
    if value.is_zero():
        return True
    with _exact_context(value, step):
        quotient = value / step
        return quotient == quotient.to_integral_value()


def _significant(value: Decimal) -> tuple[tuple[int, ...], int]:
    """Return the coefficient digits without trailing zeros, and the exponent that goes with them."""
    digits, exponent = value.as_tuple().digits, value.as_tuple().exponent
    while len(digits) > 1 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    return digits, exponent


def is_rounding_interval(value: Decimal) -> bool:
    """Say whether ``value`` is a GB/T 8170 rounding interval: 1, 2 or 5 times a power of ten."""
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        return False
    return _significant(value)[0] in ((1,), (2,), (5,))


def gbt8170_round(value: Decimal, digits: int) -> Decimal:
    """Round to ``digits`` decimal places by GB/T 8170-2008 (四舍六入五成双).

    A discarded part of exactly 5 rounds to the even digit; more than 5 rounds up. This is
    ROUND_HALF_EVEN on the exact decimal. ``digits`` 0 rounds to units, −1 to tens, and so on.
    Any finite Decimal rounds, however large or small.
    """
    if isinstance(value, float):
        raise TypeError("gbt8170_round takes a Decimal, not a float")
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"gbt8170_round takes a finite Decimal, got {value!r}")
    exponent = value.as_tuple().exponent
    if exponent >= -digits and exponent + digits > _MAX_PADDED_ZEROS:
        return value
    # The result has the value's integer digits plus ``digits`` decimals (and one for a carry).
    precision = max(28, max(value.adjusted(), -digits) + digits + 3)
    with localcontext(prec=precision, Emax=MAX_EMAX, Emin=MIN_EMIN):
        return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)


def gbt8170_round_interval(value: Decimal, interval: Decimal) -> Decimal:
    """Round to a multiple of ``interval`` (1, 2 or 5 × 10^n) by GB/T 8170-2008.

    The value divided by the interval is rounded half to even, then multiplied back: to 0.5,
    60.38 gives 60.5 and 60.25 gives 60.0 (120.5 → 120); to 20, 830 gives 840 (41.5 → 42). The
    result keeps the interval's decimal places (60.0, not 60).
    """
    if isinstance(value, float) or isinstance(interval, float):
        raise TypeError("gbt8170_round_interval takes Decimals, not floats")
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"gbt8170_round_interval takes a finite Decimal, got {value!r}")
    if not is_rounding_interval(interval):
        raise ValueError(f"a rounding interval is 1, 2 or 5 times a power of ten, got {interval!r}")
    places = min(_significant(interval)[1], 0)
    # value / interval is c/m × 10^(e−n) for m = 1, 2 or 5: one digit more than the value's
    # coefficient holds it exactly, whatever the exponents; so does the product back.
    with localcontext(prec=len(value.as_tuple().digits) + 3, Emax=MAX_EMAX, Emin=MIN_EMIN):
        multiple = (value / interval).to_integral_value(rounding=ROUND_HALF_EVEN)
    with localcontext(prec=len(multiple.as_tuple().digits) + 3, Emax=MAX_EMAX, Emin=MIN_EMIN):
        rounded = multiple * interval
    padding = rounded.as_tuple().exponent - places
    if padding > _MAX_PADDED_ZEROS:
        return rounded
    with localcontext(prec=len(rounded.as_tuple().digits) + padding + 3, Emax=MAX_EMAX, Emin=MIN_EMIN):
        return rounded.quantize(Decimal(1).scaleb(places))


def _rounding_step(spec: ClauseSpec) -> Decimal | None:
    """Return the step of the values the limit is compared with, or None when compared unrounded."""
    if spec.comparison is not Comparison.rounded:
        return None
    if spec.interval is not None:
        return spec.interval
    if spec.digits is not None:
        return Decimal(1).scaleb(-spec.digits)
    return None


def fmt_decimal(value: Decimal) -> str:
    """Return a Decimal as a plain number ("3000", not "3.0E+3"), keeping significant zeros."""
    return format(value, "f")


def _rounding_phrase(digits: int) -> str:
    if digits > 0:
        return Sentence(N_("修约至 %(digits)s 位小数"), digits=digits)
    if digits == 0:
        return Sentence(N_("修约至个位"))
    names = {1: N_("修约至十位"), 2: N_("修约至百位"), 3: N_("修约至千位"), 4: N_("修约至万位")}
    if -digits in names:
        return Sentence(names[-digits])
    return Sentence(N_("修约至10^%(power)s 位"), power=-digits)


def rounding_text(spec: ClauseSpec) -> str | None:
    """Say how the clause rounds before comparing: "修约至 1 位小数", "按 0.5 修约间隔修约", or None."""
    if spec.interval is not None:
        return Sentence(N_("按 %(interval)s 修约间隔修约"), interval=fmt_decimal(spec.interval))
    if spec.digits is not None:
        return _rounding_phrase(spec.digits)
    return None


# --- the standard ---------------------------------------------------------------------------


def _enum_tuple(enum: type[StrEnum], values: Sequence[str]) -> tuple:
    return tuple(enum(v) for v in values)


@dataclass(frozen=True)
class ClauseSpec:
    """One clause of a standard version, as SPEC §7 describes it.

    Strings given for enum fields and ints/strings for limits are converted on construction, so
    ``ClauseSpec(..., category="A", limit="0.03")`` works; floats are refused.
    """

    number: str
    title: str
    category: Category
    kind: ClauseKind
    unit: str | None = None
    comparator: Comparator | None = None
    limit: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    digits: int | None = None
    # SPEC §3: instead of digits, round to a multiple of 1, 2 or 5 × 10^n ("0.5", "20").
    interval: Decimal | None = None
    comparison: Comparison = Comparison.rounded
    # A physical lower bound: a value below it cannot be a measurement (entry checks only).
    minimum: Decimal | None = None
    units: int = 1
    # SPEC §7: a clause whose file omits `inspections` belongs to every inspection type.
    inspections: tuple[InspectionType, ...] = CLAUSE_INSPECTION_TYPES
    method: str | None = None
    expected: bool | None = None
    aql: str | None = None
    level: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "category", Category(self.category))
        set_(self, "kind", ClauseKind(self.kind))
        set_(self, "comparison", Comparison(self.comparison))
        if self.comparator is not None:
            set_(self, "comparator", Comparator(self.comparator))
        for name in ("limit", "low", "high", "interval", "minimum"):
            if getattr(self, name) is not None:
                set_(self, name, to_decimal(getattr(self, name)))
        if self.interval is not None:
            if self.digits is not None:
                raise ValueError(f"clause {self.number}: give digits or interval, not both")
            if not is_rounding_interval(self.interval):
                raise ValueError(f"clause {self.number}: interval {self.interval} is not 1, 2 or 5 × 10^n")
        set_(self, "inspections", _enum_tuple(InspectionType, self.inspections))
        if self.aql is not None:
            set_(self, "aql", str(self.aql))

    def applies_to(self, inspection_type: InspectionType) -> bool:
        return inspection_type in self.inspections


def _with_unit(number: str, unit: str | None) -> str:
    return f"{number} {unit}" if unit else number


def requirement_text(spec: ClauseSpec) -> str:
    """Render the requirement as a standard prints it: "≥ 3000 N", "40～140 kPa", "AQL 2.5, 检验水平 II"."""
    if spec.kind is ClauseKind.boolean:
        return Sentence(N_("应为“%(answer)s”"), answer=_yes_no(bool(spec.expected)))
    if spec.kind is ClauseKind.attribute:
        return Sentence(N_("AQL %(aql)s, 检验水平 %(level)s"), aql=spec.aql, level=spec.level)
    if spec.comparator is Comparator.between:
        low, high = fmt_decimal(spec.low), fmt_decimal(spec.high)
        if spec.low_inclusive and spec.high_inclusive:
            return _with_unit(f"{low}～{high}", spec.unit)
        left = "≤" if spec.low_inclusive else "<"
        right = "≤" if spec.high_inclusive else "<"
        return _with_unit(f"{low} {left} x {right} {high}", spec.unit)
    symbol = {
        Comparator.ge: "≥",
        Comparator.gt: ">",
        Comparator.le: "≤",
        Comparator.lt: "<",
        Comparator.eq: "=",
    }[spec.comparator]
    return f"{symbol} {_with_unit(fmt_decimal(spec.limit), spec.unit)}"


# --- the verdict rule -----------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryCounts(Mapping):
    """A count per category (A, B, C always present): a rule alternative or a failure tally."""

    A: int = 0
    B: int = 0
    C: int = 0

    # Compare as a mapping, so that verdict.failed == {"A": 0, "B": 1, "C": 0} holds.
    __eq__ = Mapping.__eq__

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> CategoryCounts:
        """Build from a mapping such as {"A": 0, "B": 1}; absent categories count 0."""
        unknown = set(map(str, counts)) - set(Category)
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)}")
        values = {str(k): v for k, v in counts.items()}
        for name, v in values.items():
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"count for {name} must be a non-negative integer, got {v!r}")
        return cls(**values)

    def __getitem__(self, key: str) -> int:
        return getattr(self, Category(key).value)

    def __iter__(self) -> Iterator[Category]:
        return iter(Category)

    def __len__(self) -> int:
        return len(Category)

    def to_dict(self) -> dict[str, int]:
        return {c.value: self[c] for c in Category}


def _alternative_text(alternative: CategoryCounts) -> Listing:
    return Listing((f"{c}={n}" if n == 0 else f"{c}≤{n}" for c, n in alternative.items()), "，")


@dataclass(frozen=True)
class RetestPolicy:
    """Which failed categories may be retested, on how many times the sample, within how long."""

    categories: tuple[Category, ...]
    sample_factor: int = 2
    deadline_days: int = 30

    def __post_init__(self) -> None:
        object.__setattr__(self, "categories", _enum_tuple(Category, self.categories))

    def describe(self) -> str:
        """Say the policy as a standard would: which failures, what sample, how long."""
        return Sentence(N_("%(categories)s 类不合格可复检，样本加倍（×%(factor)s），%(days)s 天内"),
                        categories=Listing(str(c) for c in self.categories), factor=self.sample_factor,
                        days=self.deadline_days)


@dataclass(frozen=True)
class VerdictRule:
    """Alternatives of maximum failed clauses per category; the sample passes if any holds."""

    pass_if_any: tuple[CategoryCounts, ...]
    retest: RetestPolicy | None = None

    def __post_init__(self) -> None:
        alternatives = tuple(
            a if isinstance(a, CategoryCounts) else CategoryCounts.of(a) for a in self.pass_if_any
        )
        object.__setattr__(self, "pass_if_any", alternatives)

    def describe(self) -> str:
        """Say the rule in the words the verdicts use: “A=0，B≤1，C≤1”或“…” 时合格."""
        return Sentence(N_("“%(alternatives)s”时判为合格"),
                        alternatives=Listing((_alternative_text(a) for a in self.pass_if_any), "”或“"))

    def holding_alternative(self, failed: Mapping[str, int]) -> CategoryCounts | None:
        """Return the first alternative the failure counts satisfy, or None."""
        for alternative in self.pass_if_any:
            if all(failed[c] <= alternative[c] for c in Category):
                return alternative
        return None


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One unit's result for a numeric (Decimal) or boolean clause; ``unit`` counts from 1."""

    unit: int
    value: Decimal | bool

    def __post_init__(self) -> None:
        if not isinstance(self.value, bool):
            object.__setattr__(self, "value", to_decimal(self.value))


@dataclass(frozen=True)
class AttributeCount:
    """The number of nonconforming items found in an attribute clause's sample."""

    nonconforming: int


ClauseResult = Sequence[Measurement] | Measurement | AttributeCount


@dataclass(frozen=True)
class ClauseVerdict:
    """How one clause was judged, with the words to explain it."""

    number: str
    title: str
    category: Category
    outcome: ClauseOutcome
    values: tuple[str, ...]
    rounded: tuple[str, ...]
    requirement: str
    reason: str
    unit: str | None = None
    plan: SamplingPlan | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "category": self.category.value,
            "outcome": self.outcome.value,
            "values": list(self.values),
            "rounded": list(self.rounded),
            "requirement": self.requirement,
            "reason": self.reason,
            "unit": self.unit,
            "plan": self.plan.to_dict() if self.plan else None,
        }


@dataclass(frozen=True)
class Verdict:
    """The judgement of one sample: pass, fail or incomplete, per-category failures, reasons."""

    outcome: VerdictOutcome
    failed: CategoryCounts
    clauses: tuple[ClauseVerdict, ...]
    reason: str

    @property
    def missing(self) -> tuple[str, ...]:
        """Return the numbers of required clauses that still lack a result."""
        return tuple(c.number for c in self.clauses if c.outcome is ClauseOutcome.missing)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data in the shape of SPEC §6 (Decimals as strings)."""
        return {
            "outcome": self.outcome.value,
            "failed": self.failed.to_dict(),
            "clauses": [c.to_dict() for c in self.clauses],
            "reason": self.reason,
        }


# --- judging one clause ---------------------------------------------------------------------

_COMPARE = {
    Comparator.ge: operator.ge,
    Comparator.gt: operator.gt,
    Comparator.le: operator.le,
    Comparator.lt: operator.lt,
    Comparator.eq: operator.eq,
}


def meets(spec: ClauseSpec, value: Decimal) -> bool:
    """Return True when ``value`` (already rounded if need be) satisfies the clause's limit."""
    if spec.comparator is None:
        raise ValueError(f"clause {spec.number} is numeric but has no comparator")
    if spec.comparator is Comparator.between:
        above_low = value >= spec.low if spec.low_inclusive else value > spec.low
        below_high = value <= spec.high if spec.high_inclusive else value < spec.high
        return above_low and below_high
    return _COMPARE[spec.comparator](value, spec.limit)


def compared_value(spec: ClauseSpec, value: Decimal) -> Decimal:
    """Return the value the limit is compared with: rounded first unless `comparison: full`."""
    if spec.comparison is Comparison.rounded:
        if spec.interval is not None:
            return gbt8170_round_interval(value, spec.interval)
        if spec.digits is not None:
            return gbt8170_round(value, spec.digits)
    return value


def _yes_no(value: bool) -> str:
    return Sentence(N_("是")) if value else Sentence(N_("否"))


def _verdict_word(ok: bool) -> str:
    return Sentence(N_("合格")) if ok else Sentence(N_("不合格"))


def _measurements_by_unit(spec: ClauseSpec, result: ClauseResult | None) -> dict[int, Measurement]:
    if result is None:
        return {}
    if isinstance(result, AttributeCount):
        raise InputError(f"条款 {spec.number} 不是计数检验条款，应按件填写结果")
    if isinstance(result, Measurement):
        result = (result,)
    by_unit: dict[int, Measurement] = {}
    for m in result:
        if not 1 <= m.unit <= spec.units:
            raise InputError(f"条款 {spec.number} 应测 {spec.units} 件，没有第 {m.unit} 件")
        if m.unit in by_unit:
            raise InputError(f"条款 {spec.number} 第 {m.unit} 件的结果重复")
        check_plausible(spec, m.value)
        by_unit[m.unit] = m
    return by_unit


def _unit_list(units: Sequence[int]) -> Listing:
    return Listing(str(u) for u in units)


def _describe_value(spec: ClauseSpec, value: Decimal) -> str:
    shown = _with_unit(fmt_decimal(value), spec.unit)
    phrase = rounding_text(spec)
    if phrase is None:
        return shown
    if spec.comparison is Comparison.full:
        return Sentence(N_("%(shown)s（全数值比较，不修约）"), shown=shown)
    return Sentence(N_("%(shown)s（%(rounding)s为 %(rounded)s）"), shown=shown, rounding=phrase,
                    rounded=fmt_decimal(compared_value(spec, value)))


def _judge_units(spec: ClauseSpec, result: ClauseResult | None) -> ClauseVerdict:
    """Judge a numeric or boolean clause unit by unit; any failing unit fails the clause."""
    requirement = requirement_text(spec)
    by_unit = _measurements_by_unit(spec, result)
    all_units = range(1, spec.units + 1)
    numeric = spec.kind is ClauseKind.numeric

    def shown(m: Measurement) -> str:
        return fmt_decimal(m.value) if numeric else _yes_no(m.value)

    # Values align with units (values[i] is unit i + 1); an empty string marks a missing unit.
    values = tuple(shown(by_unit[u]) if u in by_unit else "" for u in all_units)
    rounded: tuple[str, ...] = ()
    if numeric:
        rounded = tuple(
            fmt_decimal(compared_value(spec, by_unit[u].value)) if u in by_unit else "" for u in all_units
        )

    def verdict(outcome: ClauseOutcome, reason: str) -> ClauseVerdict:
        return ClauseVerdict(
            spec.number, spec.title, spec.category, outcome, values, rounded, requirement, reason, spec.unit
        )

    missing = [u for u in all_units if u not in by_unit]
    if missing:
        if len(missing) == spec.units:
            return verdict(ClauseOutcome.missing, Sentence(N_("尚无检验结果")))
        return verdict(ClauseOutcome.missing, Sentence(N_("缺少第 %(missing)s 件的结果（应测 %(units)s 件）"),
                                                       missing=_unit_list(missing), units=spec.units))

    def ok(m: Measurement) -> bool:
        if numeric:
            return meets(spec, compared_value(spec, m.value))
        return m.value == spec.expected

    def describe(m: Measurement) -> str:
        if numeric:
            return Sentence(N_("实测 %(value)s"), value=_describe_value(spec, m.value))
        return Sentence(N_("检验结果“%(answer)s”"), answer=_yes_no(m.value))

    failing = [u for u in all_units if not ok(by_unit[u])]
    passed = not failing
    outcome = ClauseOutcome.passed if passed else ClauseOutcome.failed
    requirement_phrase = (Sentence(N_("要求 %(requirement)s"), requirement=requirement) if numeric else
                          Sentence(N_("要求%(requirement)s"), requirement=requirement))
    if spec.units == 1:
        return verdict(outcome, Sentence(N_("%(result)s，%(requirement)s：%(verdict)s"), result=describe(by_unit[1]),
                                         requirement=requirement_phrase, verdict=_verdict_word(passed)))
    if passed:
        if numeric and spec.unit:
            listed = Sentence(N_("实测 %(values)s %(unit)s"), values=Listing(values), unit=spec.unit)
        elif numeric:
            listed = Sentence(N_("实测 %(values)s"), values=Listing(values))
        else:
            listed = Sentence(N_("均为“%(answer)s”"), answer=values[0])
        return verdict(outcome, Sentence(N_("%(units)s 件均符合要求（%(listed)s），%(requirement)s：合格"),
                                         units=spec.units, listed=listed, requirement=requirement_phrase))
    details = Listing((Sentence(N_("第 %(unit)s 件%(result)s"), unit=u, result=describe(by_unit[u])) for u in failing),
                      "，")
    good = [u for u in all_units if u not in failing]
    if good:
        return verdict(outcome, Sentence(N_("共 %(units)s 件，%(details)s，%(requirement)s；第 %(good)s 件合格：不合格"),
                                         units=spec.units, details=details, requirement=requirement_phrase,
                                         good=_unit_list(good)))
    return verdict(outcome, Sentence(N_("共 %(units)s 件，%(details)s，%(requirement)s：不合格"),
                                     units=spec.units, details=details, requirement=requirement_phrase))


def _judge_attribute(spec: ClauseSpec, result: ClauseResult | None, plan: SamplingPlan | None) -> ClauseVerdict:
    """Judge an attribute clause by GB/T 2828.1: pass when nonconforming ≤ Ac."""
    requirement = requirement_text(spec)

    def verdict(outcome: ClauseOutcome, reason: str, values: tuple[str, ...] = ()) -> ClauseVerdict:
        return ClauseVerdict(
            spec.number, spec.title, spec.category, outcome, values, (), requirement, reason, spec.unit, plan
        )

    if result is not None and not isinstance(result, AttributeCount):
        raise InputError(f"条款 {spec.number} 为计数检验条款，应填写不合格品数")
    count = None if result is None else result.nonconforming
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise InputError(f"条款 {spec.number} 的不合格品数应为非负整数")
    values = () if count is None else (str(count),)
    if plan is None:
        return verdict(ClauseOutcome.missing, Sentence(N_("缺少批量，无法按 GB/T 2828.1 确定抽样方案")), values)
    if count is None:
        return verdict(ClauseOutcome.missing, Sentence(N_("尚无检验结果（应抽 %(n)s 件）"), n=plan.sample_size))
    if count > plan.sample_size:
        raise InputError(f"条款 {spec.number} 的不合格品数 {count} 超过样本量 {plan.sample_size}")
    passed = plan.accepts(count)
    if plan.hundred_percent:
        how = Sentence(N_("全数检验 %(n)s 件（样本量不小于批量）"), n=plan.sample_size)
    else:
        how = Sentence(N_("样本量 %(n)s（样本量字码 %(letter)s）"), n=plan.sample_size, letter=plan.code_letter)
    reason = Sentence(
        N_("%(how)s，%(severity)s，%(requirement)s：Ac=%(ac)s，Re=%(re)s；不合格品数 %(count)s %(sign)s %(bound)s：%(verdict)s"),
        how=how, severity=Sentence(SEVERITY_NAMES[Severity(plan.severity)]), requirement=requirement, ac=plan.ac,
        re=plan.re, count=count, sign="≤" if passed else "≥", bound=plan.ac if passed else plan.re,
        verdict=_verdict_word(passed))
    outcome = ClauseOutcome.passed if passed else ClauseOutcome.failed
    return verdict(outcome, reason, values)


def judge_clause(spec: ClauseSpec, result: ClauseResult | None, plan: SamplingPlan | None = None) -> ClauseVerdict:
    """Judge one clause's result; ``plan`` is the GB/T 2828.1 plan an attribute clause needs."""
    if spec.kind is ClauseKind.attribute:
        return _judge_attribute(spec, result, plan)
    return _judge_units(spec, result)


# --- judging a sample -----------------------------------------------------------------------


def clause_selection_type(inspection_type: str, retest_of_type: str | None = None) -> InspectionType:
    """Return the inspection type whose clauses apply: a retest uses its original's, market uses surveillance."""
    kind = InspectionType(inspection_type)
    if kind is InspectionType.market:
        return InspectionType.surveillance
    if kind is InspectionType.retest:
        if retest_of_type is None:
            raise ValueError("a retest is judged with its original inspection's clauses: give retest_of_type")
        return clause_selection_type(retest_of_type)
    return kind


def required_clauses(
    clauses: Sequence[ClauseSpec], inspection_type: str, retest_of_type: str | None = None
) -> tuple[ClauseSpec, ...]:
    """Return the clauses an inspection of this type must test, in the standard's order."""
    selection = clause_selection_type(inspection_type, retest_of_type)
    return tuple(c for c in clauses if c.applies_to(selection))


def _plan_for(spec: ClauseSpec, lot_size: int | None, severity: str) -> tuple[SamplingPlan | None, str | None]:
    if lot_size is None:
        return None, None
    try:
        return sampling_plan(lot_size, spec.level, spec.aql, severity), None
    except SamplingError as exc:
        return None, exc.message


def judge_sample(
    clauses: Sequence[ClauseSpec],
    rule: VerdictRule,
    results: Mapping[str, ClauseResult],
    inspection_type: str,
    lot_size: int | None,
    severity: Mapping[str, str] | str = "normal",
    *,
    retest_of_type: str | None = None,
) -> Verdict:
    """Judge a sample: each required clause, then the verdict rule (SPEC §3)."""
    known = {c.number for c in clauses}
    unknown = [n for n in results if n not in known]
    if unknown:
        raise InputError(f"标准中没有条款 {'、'.join(unknown)}")

    verdicts = []
    for spec in required_clauses(clauses, inspection_type, retest_of_type):
        result = results.get(spec.number)
        if spec.kind is ClauseKind.attribute:
            # SPEC §3: switching is tracked per category, so severity may differ by category.
            level = severity if isinstance(severity, str) else severity.get(spec.category, "normal")
            plan, problem = _plan_for(spec, lot_size, level)
            clause_verdict = judge_clause(spec, result, plan)
            if problem is not None:
                clause_verdict = replace(clause_verdict, reason=Sentence(N_("无法确定抽样方案：%(problem)s"),
                                                                         problem=problem))
        else:
            clause_verdict = judge_clause(spec, result)
        verdicts.append(clause_verdict)

    failed = CategoryCounts(
        **{
            c.value: sum(1 for v in verdicts if v.category is c and v.outcome is ClauseOutcome.failed)
            for c in Category
        }
    )
    outcome = _sample_outcome(rule, failed, verdicts)
    return Verdict(outcome, failed, tuple(verdicts), _sample_reason(rule, failed, verdicts))


def _sample_outcome(rule: VerdictRule, failed: CategoryCounts, verdicts: Sequence[ClauseVerdict]) -> VerdictOutcome:
    # SPEC §3: a required clause without a result makes the verdict incomplete.
    if any(v.outcome is ClauseOutcome.missing for v in verdicts):
        return VerdictOutcome.incomplete
    if rule.holding_alternative(failed) is not None:
        return VerdictOutcome.passed
    return VerdictOutcome.failed


def _failure_summary(failed: CategoryCounts, verdicts: Sequence[ClauseVerdict]) -> str:
    parts = []
    for c in Category:
        numbers = [v.number for v in verdicts if v.category is c and v.outcome is ClauseOutcome.failed]
        if numbers:
            parts.append(Sentence(N_("%(category)s 类 %(n)s 项（%(numbers)s）"), category=str(c), n=failed[c],
                                  numbers=Listing(numbers)))
        else:
            parts.append(Sentence(N_("%(category)s 类 %(n)s 项"), category=str(c), n=failed[c]))
    return Sentence(N_("不合格条款数：%(parts)s"), parts=Listing(parts, "，"))


def _sample_reason(rule: VerdictRule, failed: CategoryCounts, verdicts: Sequence[ClauseVerdict]) -> str:
    summary = _failure_summary(failed, verdicts)
    missing = [v.number for v in verdicts if v.outcome is ClauseOutcome.missing]
    if missing:
        return Sentence(N_("必检条款 %(missing)s 尚无完整结果，无法判定（%(summary)s）"), missing=Listing(missing),
                        summary=summary)
    alternative = rule.holding_alternative(failed)
    if alternative is not None:
        return Sentence(N_("%(summary)s；符合判定规则“%(rule)s”：合格"), summary=summary,
                        rule=_alternative_text(alternative))
    rules = Listing((_alternative_text(a) for a in rule.pass_if_any), "”或“")
    return Sentence(N_("%(summary)s；不符合判定规则“%(rules)s”中的任何一条：不合格"), summary=summary, rules=rules)


# --- retest ---------------------------------------------------------------------------------


def retest_allowed(rule: VerdictRule, verdict: Verdict) -> tuple[bool, str]:
    """Say whether the standard's retest policy allows a retest of this verdict, and why."""
    if verdict.outcome is not VerdictOutcome.failed:
        return False, "检验结论不是不合格，无需复检"
    policy = rule.retest
    if policy is None:
        return False, "本标准未规定复检"
    failed_categories = [c for c in Category if verdict.failed[c] > 0]
    refused = [c for c in failed_categories if c not in policy.categories]
    if refused:
        names = "、".join(f"{c} 类" for c in refused)
        return False, f"{names}条款不合格，本标准不允许复检"
    names = "、".join(f"{c} 类" for c in failed_categories)
    return True, (
        f"{names}条款不合格，本标准允许复检：按 {policy.sample_factor} 倍样本抽样，"
        f"于 {policy.deadline_days} 日内完成"
    )


def retest_deadline(policy: RetestPolicy, failed_on: date) -> date:
    """Return the last day a retest may be opened for a verdict reached on ``failed_on``."""
    return failed_on + timedelta(days=policy.deadline_days)
