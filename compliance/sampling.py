"""GB/T 2828.1 (= ISO 2859-1) single sampling by attributes, and its switching rules.

Pure Python: the tables come from ``gbt2828_1_tables.json`` next to this file, read on first use.
Reduced inspection is not offered: the JSON carries only the normal and tightened tables (see
reference/README.md), so the switching rules below move between normal and tightened only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from infra.words import N_

TABLES_PATH = Path(__file__).with_name("gbt2828_1_tables.json")

LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")


class Severity(StrEnum):
    normal = "normal"
    tightened = "tightened"
    # GB/T 2828.1 9.3.4: not a table, a state in which no lot may be accepted.
    discontinued = "discontinued"


SEVERITY_NAMES = {
    Severity.normal: N_("正常检验"),
    Severity.tightened: N_("加严检验"),
    Severity.discontinued: N_("暂停检验"),
}


class SamplingError(ValueError):
    """A sampling parameter is out of the tables; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SamplingPlan:
    """The single sampling plan to use for one lot.

    ``code_letter`` is the letter of the plan actually used: where the table shows an arrow the
    plan (and so its sample size and letter) is the one the arrow leads to, which can differ
    from ``lot_code_letter``, the letter GB/T 2828.1 Table 1 gives for the lot size and level.
    """

    code_letter: str
    sample_size: int
    ac: int
    re: int
    severity: str
    hundred_percent: bool
    lot_code_letter: str | None = None

    def accepts(self, nonconforming: int) -> bool:
        """Return True when the count of nonconforming items is within Ac."""
        return nonconforming <= self.ac

    def to_dict(self) -> dict[str, Any]:
        return {
            "code_letter": self.code_letter,
            "sample_size": self.sample_size,
            "ac": self.ac,
            "re": self.re,
            "severity": str(self.severity),
            "hundred_percent": self.hundred_percent,
            "lot_code_letter": self.lot_code_letter,
        }


@cache
def _tables() -> dict[str, Any]:
    with TABLES_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


@cache
def _lot_ranges() -> tuple[tuple[int, int | None, dict[str, str]], ...]:
    """Parse the lot-size keys ("2-8", "500001+") into (low, high or None, letters)."""
    ranges = []
    for key, letters in _tables()["code_letters"].items():
        if key.endswith("+"):
            ranges.append((int(key[:-1]), None, letters))
        else:
            low, high = key.split("-")
            ranges.append((int(low), int(high), letters))
    return tuple(ranges)


@cache
def _letter_for_size() -> dict[int, str]:
    letters = {n: letter for letter, n in _tables()["sample_size"].items()}
    # The tightened table adds letter S (n = 3150) below R; it has no row of its own.
    letters.setdefault(3150, "S")
    return letters


@cache
def aql_values() -> tuple[str, ...]:
    """Return the AQL column headings of the tables, as printed ("0.010" … "1000")."""
    return tuple(_tables()["normal"]["A"].keys())


def normalize_aql(aql: str | Decimal | int) -> str:
    """Return the table heading for an AQL given as "1.5", "1.50", Decimal("1.5") or 10."""
    if isinstance(aql, bool) or isinstance(aql, float):
        raise SamplingError("aql", f"AQL 请以字符串或 Decimal 给出（aql: must be a string or Decimal, got {aql!r}）")
    try:
        wanted = Decimal(str(aql).strip())
    except InvalidOperation:
        wanted = None
    if wanted is not None and wanted.is_finite():
        for heading in aql_values():
            if Decimal(heading) == wanted:
                return heading
    raise SamplingError(
        "aql",
        f"未知的接收质量限 AQL “{aql}”，可选 {', '.join(aql_values())}"
        f"（aql: unknown AQL value {aql!r}）",
    )


def normalize_level(level: str) -> str:
    """Return the inspection level as the tables spell it ("ii" → "II", "s3" → "S-3")."""
    text = str(level).strip().upper().replace("_", "-")
    if len(text) == 2 and text[0] == "S" and text[1].isdigit():
        text = f"S-{text[1]}"
    if text not in LEVELS:
        raise SamplingError(
            "level",
            f"未知的检验水平 “{level}”，可选 {', '.join(LEVELS)}（level: unknown inspection level {level!r}）",
        )
    return text


def _normalize_severity(severity: str) -> Severity:
    try:
        value = Severity(str(severity).strip().lower())
    except ValueError:
        value = None
    if value is Severity.discontinued:
        raise SamplingError(
            "severity",
            "检验已暂停（GB/T 2828.1 9.3.4），供方改进前不得抽样验收"
            "（severity: inspection is discontinued）",
        )
    if value is None:
        raise SamplingError(
            "severity",
            f"未知的检验严格度 “{severity}”，可选 normal、tightened（severity: unknown severity {severity!r}）",
        )
    return value


def code_letter(lot_size: int, level: str) -> str:
    """Return the sample size code letter of GB/T 2828.1 Table 1 for a lot size and level."""
    if isinstance(lot_size, bool) or not isinstance(lot_size, int):
        raise SamplingError("lot_size", f"批量必须是整数（lot_size: must be an integer, got {lot_size!r}）")
    if lot_size < 2:
        raise SamplingError("lot_size", f"批量至少为 2，收到 {lot_size}（lot_size: must be at least 2）")
    level = normalize_level(level)
    for low, high, letters in _lot_ranges():
        if lot_size >= low and (high is None or lot_size <= high):
            return letters[level]
    raise AssertionError(f"lot size {lot_size} not covered by the tables")  # the last range is open


def sampling_plan(
    lot_size: int, level: str, aql: str | Decimal, severity: str = "normal"
) -> SamplingPlan:
    """Return the single sampling plan for a lot (arrows followed, 100 % when n ≥ lot)."""
    lot_letter = code_letter(lot_size, level)
    heading = normalize_aql(aql)
    table = _normalize_severity(severity)
    cell = _tables()[table.value][lot_letter][heading]
    n = cell["n"]
    plan = SamplingPlan(
        code_letter=_letter_for_size()[n],
        sample_size=n,
        ac=cell["ac"],
        re=cell["re"],
        severity=table.value,
        hundred_percent=False,
        lot_code_letter=lot_letter,
    )
    # GB/T 2828.1 10.1: when the sample size equals or exceeds the lot size, inspect every item;
    # the acceptance numbers of the plan still apply.
    if n >= lot_size:
        plan = replace(plan, sample_size=lot_size, hundred_percent=True)
    return plan


# --- switching rules (GB/T 2828.1 9.3) -------------------------------------------------------

# 9.3.1: normal → tightened when 2 lots in 5 or fewer consecutive lots are not accepted.
NORMAL_WINDOW = 5
NORMAL_REJECTIONS_TO_TIGHTEN = 2
# 9.3.2: tightened → normal when 5 consecutive lots are accepted.
TIGHTENED_ACCEPTANCES_TO_RELAX = 5
# 9.3.4: discontinue when the cumulative count of lots not accepted while on tightened
# inspection reaches 5. SPEC §3 "discontinue after 5 rejected while tightened" is read the same
# way: the count is cumulative (not consecutive) and restarts each time tightened begins.
TIGHTENED_REJECTIONS_TO_DISCONTINUE = 5


@dataclass(frozen=True)
class SwitchingState:
    """Where one firm/product model/category stands in the switching scheme.

    ``recent`` holds the outcomes (True = accepted) of the lots judged since the last switch,
    newest last, trimmed to the window that can still trigger one.
    """

    severity: str = Severity.normal
    recent: tuple[bool, ...] = ()
    rejected_while_tightened: int = 0


def advance(state: SwitchingState, accepted: bool) -> SwitchingState:
    """Return the state after one more lot was accepted or not on original inspection."""
    severity = Severity(state.severity)
    if severity is Severity.discontinued:
        # 9.3.4: stays discontinued until the supplier has improved; see resume().
        return state
    if severity is Severity.normal:
        recent = (state.recent + (accepted,))[-NORMAL_WINDOW:]
        if recent.count(False) >= NORMAL_REJECTIONS_TO_TIGHTEN:
            return SwitchingState(Severity.tightened, (), 0)
        return SwitchingState(Severity.normal, recent, 0)
    # tightened
    if accepted:
        recent = (state.recent + (True,))[-TIGHTENED_ACCEPTANCES_TO_RELAX:]
        if len(recent) == TIGHTENED_ACCEPTANCES_TO_RELAX:
            return SwitchingState(Severity.normal, (), 0)
        return SwitchingState(Severity.tightened, recent, state.rejected_while_tightened)
    rejected = state.rejected_while_tightened + 1
    if rejected >= TIGHTENED_REJECTIONS_TO_DISCONTINUE:
        return SwitchingState(Severity.discontinued, (), rejected)
    # A rejection breaks the run of consecutive acceptances needed to return to normal.
    return SwitchingState(Severity.tightened, (), rejected)


def resume(state: SwitchingState) -> SwitchingState:
    """Return the state after the responsible authority lets a discontinued supplier resume.

    GB/T 2828.1 9.4: inspection resumes, on tightened inspection, once the supplier has acted.
    """
    if Severity(state.severity) is not Severity.discontinued:
        return state
    return SwitchingState(Severity.tightened, (), 0)


def next_severity(current: str, history: Iterable[bool]) -> str:
    """Return the severity reached from ``current`` after the lot outcomes in ``history``."""
    state = SwitchingState(Severity(current))
    for accepted in history:
        state = advance(state, accepted)
    return Severity(state.severity).value
