"""Gapless numbers per scope and year (inspection reports per station, licences per mark).

A number is taken from a counter row locked in the creating transaction: the row is bumped with
`UPDATE … RETURNING`, which holds its lock until the use case commits, so a second creator waits
and takes the next number, and a rollback gives the number back. Numbers are never reused: a row
that got one keeps it (a voided draft keeps its number).
"""
from __future__ import annotations

from sqlalchemy import String, UniqueConstraint, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


def next_number(kind: str, scope_id: int, year: int) -> int:
    """Take the next number of the sequence in the running use case (1 for the first of a year)."""
    begin_write()  # the writers' lock first, then the counter row: the order every writer keeps (infra.db)
    connection = db.session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = NumberCounter.__table__
    db.session.execute(insert(table).values(kind=kind, scope_id=scope_id, year=year, last=0)
                       .on_conflict_do_nothing(index_elements=["kind", "scope_id", "year"]))
    return db.session.execute(
        update(table).where(table.c.kind == kind, table.c.scope_id == scope_id, table.c.year == year)
        .values(last=table.c.last + 1).returning(table.c.last)).scalar_one()
