"""Gapless numbers per scope and year (inspection reports per station, licences per mark).

A number is taken from a counter row locked in the creating transaction (SELECT … FOR UPDATE
after the writers' lock; SQLite: the use case's immediate write transaction), so a second creator
waits and takes the next number, and a rollback gives the number back. The counter is an ordinary
audited row. Numbers are never reused: a row that got one keeps it (a voided draft keeps its number).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import begin_write, db


class NumberCounter(db.Model):
    """The last number given in one sequence: (kind, scope, year), e.g. inspections of station 3 in 2026."""

    __tablename__ = "number_counters"
    __table_args__ = (UniqueConstraint("kind", "scope_id", "year", name="uq_number_counters_sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # "inspection" | "licence"
    scope_id: Mapped[int]  # the station's or the mark's id: a renamed code keeps its sequence
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


def next_number(kind: str, scope_id: int, year: int, given: Callable[[], int] = lambda: 0) -> int:
    """Take the next number of the sequence in the running use case (1 for the first of a year).

    `given` says the highest number already given when the sequence has no counter yet (numbers
    given before counters existed, e.g. licence numbers of earlier releases): it goes on from there.
    """
    begin_write()  # the writers' lock first, then the counter row: the order every writer keeps (infra.db)
    counter = db.session.execute(
        select(NumberCounter).where(NumberCounter.kind == kind, NumberCounter.scope_id == scope_id,
                                    NumberCounter.year == year)
        .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if counter is None:
        # Serialized by the writers' lock (PostgreSQL) or the write transaction (SQLite): no second insert.
        counter = NumberCounter(kind=kind, scope_id=scope_id, year=year, last=given())
        db.session.add(counter)
    counter.last += 1
    db.session.flush()
    return counter.last


def highest_suffix(numbers: Iterable[str], prefix: str) -> int:
    """Return the highest n of the numbers spelt `<prefix>n` (0 if none): where a new counter starts."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    return max((int(m.group(1)) for n in numbers if (m := pattern.fullmatch(n))), default=0)
