"""The one clock: every date a rule sees and every time a person reads comes from here (SPEC §2).

Timestamps are stored in UTC (naive, as the columns hold them); `today()` is the date in the
alliance's time zone (`ALLIANCEMARK_TIMEZONE`, default Asia/Shanghai), so on a UTC server work done
between 00:00 and 08:00 Beijing time is dated that Beijing day, not the day before.
"""
from __future__ import annotations

import os
from datetime import date, datetime, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuntimeError(f"ALLIANCEMARK_TIMEZONE: unknown time zone {name!r}") from None


def check_zone(name: str) -> str:
    """Refuse an unknown time-zone name at start-up rather than at the first request."""
    _zone(name)
    return name


def zone() -> tzinfo:
    """Return the alliance's time zone: the app's TIMEZONE setting, else the environment."""
    from flask import current_app, has_app_context

    if has_app_context():
        return _zone(current_app.config.get("TIMEZONE") or DEFAULT_TIMEZONE)
    return _zone(os.environ.get("ALLIANCEMARK_TIMEZONE") or DEFAULT_TIMEZONE)


def utcnow() -> datetime:
    """Return now in UTC as a naive datetime, as the timestamp columns store it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def now() -> datetime:
    """Return now in the alliance's time zone (aware)."""
    return datetime.now(timezone.utc).astimezone(zone())


def today() -> date:
    """Return the date in the alliance's time zone: the `today` every rule takes."""
    return now().date()


def local(moment: datetime | None) -> datetime | None:
    """Turn a stored UTC timestamp (naive or aware) into the alliance's local time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone())


def local_date(moment: datetime | None) -> date | None:
    """Return the alliance-local date of a stored UTC timestamp."""
    shown = local(moment)
    return None if shown is None else shown.date()


def format_time(moment: datetime | None, seconds: bool = False) -> str:
    """Show a stored timestamp to a person: local time, to the minute (no microseconds, no UTC)."""
    shown = local(moment)
    if shown is None:
        return ""
    return shown.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
