"""Membership of an alliance: its statuses and the re-entry cool-off (pure; the usage rules read it too)."""
from __future__ import annotations

import calendar
from datetime import date
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class MembershipStatus(StrEnum):
    APPLICANT = "applicant"
    MEMBER = "member"
    SUSPENDED = "suspended"
    EXPELLED = "expelled"
    WITHDRAWN = "withdrawn"



def N_(text: str) -> str:
    """Mark a label for translation and return it unchanged (the shells translate it)."""
    return text


MEMBERSHIP_LABELS: Mapping[str, str] = MappingProxyType({
    MembershipStatus.APPLICANT: N_("申请中"),
    MembershipStatus.MEMBER: N_("会员"),
    MembershipStatus.SUSPENDED: N_("已暂停"),
    MembershipStatus.EXPELLED: N_("已清退"),
    MembershipStatus.WITHDRAWN: N_("已退出"),
})


# E3 (SPEC §4): an expelled firm may not re-enter for this many months unless a mark says otherwise.
COOL_OFF_MONTHS = 24


def add_months(day: date, months: int) -> date:
    """Add calendar months, keeping the day or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def readmission_from(expelled_on: date, months: int = COOL_OFF_MONTHS) -> date:
    """E3: the first day a firm expelled on `expelled_on` may come back."""
    return add_months(expelled_on, months)
