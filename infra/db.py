"""The database: the SQLAlchemy handle and the one transaction helper every use case runs in."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

_DEPTH = "alliancemark.uow_depth"

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def transaction() -> Iterator[None]:
    """Run a use case in one transaction: the outermost block commits once, nested blocks join it."""
    info = db.session.info
    depth = info.get(_DEPTH, 0)
    info[_DEPTH] = depth + 1
    try:
        if depth == 0:
            _begin_immediate()
        yield
        if depth == 0:
            db.session.commit()
    except BaseException:
        if depth == 0:
            db.session.rollback()
        raise
    finally:
        info[_DEPTH] = depth


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    """Mark a service function as a use case: it commits once, unless an outer use case is running."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction():
            return function(*args, **kwargs)

    return run


@functools.lru_cache(maxsize=None)  # per mapped class: the columns do not change while the app runs
def _column_limits(mapper) -> tuple[tuple[str, str, int | None, int | None], ...]:
    """(attribute, kind, length, bits) for each String(n) and Integer column of a mapped class."""
    from sqlalchemy import BigInteger, Integer, SmallInteger, String

    limits = []
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        kind = column.type
        if isinstance(kind, String) and kind.length:
            limits.append((attr.key, "text", kind.length, None))
        elif isinstance(kind, Integer):
            bits = 64 if isinstance(kind, BigInteger) else 16 if isinstance(kind, SmallInteger) else 32
            limits.append((attr.key, "int", None, bits))
    return tuple(limits)


def check_column_limits(session, _context=None, _instances=None) -> None:
    """Refuse (422 naming the field) text longer than its column or a number outside it, before the database sees it.

    The columns are the one source of truth (SPEC §12): PostgreSQL would fail with a 500 and SQLite
    would store the text whole, so every write path is checked here, whichever service made it.
    """
    from infra.errors import AppError

    for obj in list(session.new) + list(session.dirty):
        for key, length in over_length(obj):
            raise AppError(422, f"{key} 不能超过 {length} 个字符 / {key} is longer than {length} characters",
                           field=key, details={key: f"at most {length} characters", "max_length": length})
        for key, value in _out_of_range(obj):
            raise AppError(422, f"{key} 超出范围 / {key} is out of range", field=key,
                           details={key: "out of range"})


def over_length(obj) -> list[tuple[str, int]]:
    """(attribute, max length) of each text of this row longer than its column."""
    from sqlalchemy import inspect as sa_inspect

    found = []
    for key, kind, length, _bits in _column_limits(sa_inspect(obj).mapper):
        value = getattr(obj, key, None)
        if kind == "text" and isinstance(value, str) and len(value) > length:
            found.append((key, length))
    return found


def _out_of_range(obj) -> list[tuple[str, int]]:
    from sqlalchemy import inspect as sa_inspect

    found = []
    for key, kind, _length, bits in _column_limits(sa_inspect(obj).mapper):
        value = getattr(obj, key, None)
        if kind == "int" and isinstance(value, int) and not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            found.append((key, value))
    return found


def install_column_limits() -> None:
    """Check every flush against the column limits (once per process)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", check_column_limits):
        event.listen(Session, "before_flush", check_column_limits)

# --- serialization (issue 12) ----------------------------------------------------------------
# PostgreSQL: a state change locks its row (SELECT … FOR UPDATE) and re-checks its rule on the
# locked state. SQLite has no row locks: every use case takes the database's write lock at once
# (BEGIN IMMEDIATE), so two use cases never interleave; the busy timeout makes the second wait.

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def _begin_immediate() -> None:
    """On SQLite, start the session's transaction as an immediate write transaction (once)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# Any 64-bit constant; every writer takes this lock before it locks a row or flushes (PostgreSQL).
# The audit chain needs it (one head at a time); taking it first also gives every writer the same
# lock order (this lock, then rows), so a row lock never waits on a holder of this lock.
WRITER_LOCK_KEY = 0x414D_4155_4449_54  # "AMAUDIT"


def take_writer_lock(connection) -> None:
    """On PostgreSQL, take the writers' lock (re-entrant; released at commit or rollback)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%(key)s)", {"key": WRITER_LOCK_KEY})


def begin_write() -> None:
    """Make the running use case a serialized writer (SQLite: BEGIN IMMEDIATE; PostgreSQL: the writers' lock)."""
    _begin_immediate()
    take_writer_lock(db.session.connection())


def lock_row(model, ident):
    """Load one row for change: locked until the use case ends, and read fresh (not from the identity map)."""
    begin_write()
    return db.session.get(model, ident, with_for_update=True, populate_existing=True)


def lock_rows(query):
    """Run a select of rows to change with FOR UPDATE, reading them fresh."""
    begin_write()
    return db.session.execute(query.with_for_update().execution_options(populate_existing=True)).scalars().all()


def exclusive_job_lock(name: str) -> None:
    """Hold a database-wide lock named `name` until the use case ends: a second holder waits."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Taken before anything else, so a waiting job holds no other lock; its rows are locked
        # (with the writers' lock) one by one as it changes them, so staff may work in between.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(name)s))", {"name": f"alliancemark:{name}"})
    else:
        begin_write()  # SQLite: the write lock is database-wide already


def among(column, values):
    """`column IN values` for a long list of ids: one array parameter on PostgreSQL (`= ANY(:ids)`).

    An IN list binds one parameter per value, so each batch's statement is new text to render, parse
    and plan; an array keeps one statement text for every batch, which the driver prepares once.
    """
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
