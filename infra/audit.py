"""The audit trail: an append-only, hash-chained record of every write.

Rows are captured from the ORM session's flushes (before_flush/after_flush), so services do not
have to remember to write them. Each entry's hash is sha256(prev_hash + canonical JSON of the
entry); `verify_chain()` walks the chain and names the first row changed, deleted or inserted
behind the application's back.

Writes made with bulk SQL (session.execute(update(...))) bypass the ORM and are not captured.
"""
from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import String, Text, event, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from infra.clock import utcnow
from infra.db import db

GENESIS = "0" * 64
TABLE = "audit_log"
# Any 64-bit constant; every writer takes this lock before it reads the chain head (PostgreSQL).
ADVISORY_LOCK_KEY = 0x414D_4155_4449_54  # "AMAUDIT"
MASK = "***"
SECRET_COLUMNS = ("password", "token_hash", "secret", "private_key")


class AuditEntry(db.Model):
    """One write: who, what (table and row), when, and the row before and after, as JSON."""

    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(8))  # insert | update | delete
    table_name: Mapped[str] = mapped_column(String(64), index=True)
    row_key: Mapped[str] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def data(self, field: str):
        raw = getattr(self, field)
        return None if raw is None else json.loads(raw)


# --- what goes into an entry ---------------------------------------------------------------------

def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _json_value(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        # Keep the trail small: a fingerprint of binary columns (images, PDFs) is enough to prove change.
        raw = bytes(value)
        return {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}
    if isinstance(value, float):
        return repr(value)
    return value


def _is_secret(column_name: str) -> bool:
    name = column_name.lower()
    return any(word in name for word in SECRET_COLUMNS)


def _row(state, values: dict) -> dict:
    out = {}
    for attr in state.mapper.column_attrs:
        if attr.key not in values:
            continue
        column = attr.columns[0]
        value = values[attr.key]
        # Never copy password or token hashes into the trail: record only that they are set.
        out[column.name] = (MASK if value is not None else None) if _is_secret(column.name) else _json_value(value)
    return out


def _loaded(state) -> dict:
    obj = state.obj()
    return {attr.key: getattr(obj, attr.key) for attr in state.mapper.column_attrs}


def _before(state) -> dict:
    values = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].load_history()
        values[attr.key] = history.deleted[0] if history.deleted else (
            history.unchanged[0] if history.unchanged else (history.added[0] if history.added else None))
    return values


def _row_key(state) -> str:
    identity = state.identity or inspect(state.obj()).mapper.primary_key_from_instance(state.obj())
    return ",".join("" if part is None else str(part) for part in identity)


def entry_hash(prev_hash: str, entry: dict) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode("utf-8")).hexdigest()


def entry_dict(*, seq, at, actor, action, table_name, row_key, before, after) -> dict:
    """Return the content an entry's hash covers."""
    stamp = at.isoformat(timespec="microseconds") if isinstance(at, datetime) else str(at)
    return {"seq": seq, "at": stamp, "actor": actor, "action": action, "table": table_name,
            "row": row_key, "before": before, "after": after}


# --- who -----------------------------------------------------------------------------------------

_actor_name: Callable[[], str] | None = None


def current_actor_name() -> str:
    """Return who is writing, as the app told `install` to ask (else `system`)."""
    if _actor_name is None:
        return "system"
    try:
        return _actor_name()
    except Exception:  # an actor we cannot resolve must not block the write
        return "anonymous"


# --- capture -------------------------------------------------------------------------------------

def _audited(state) -> bool:
    return state.mapper.local_table is not None and getattr(state.mapper.local_table, "name", None) != TABLE


def _before_flush(session: Session, flush_context, instances) -> None:
    pending = session.info.setdefault("audit_pending", [])
    for obj in session.dirty:
        state = inspect(obj)
        if not _audited(state) or not session.is_modified(obj, include_collections=False):
            continue
        before = _before(state)
        pending.append(("update", state, before))
    for obj in session.deleted:
        state = inspect(obj)
        if _audited(state):
            pending.append(("delete", state, _loaded(state)))
    session.info["audit_new"] = [inspect(o) for o in session.new if _audited(inspect(o))]


def _after_flush(session: Session, flush_context) -> None:
    pending = session.info.pop("audit_pending", [])
    new = session.info.pop("audit_new", [])
    changes = []
    for state in new:
        changes.append(("insert", state, None, _row(state, state.dict)))
    for action, state, before_values in pending:
        before = _row(state, before_values)
        if action == "delete":
            changes.append(("delete", state, before, None))
            continue
        after = _row(state, {**before_values, **{k: v for k, v in state.dict.items()}})
        if after != before:
            changes.append(("update", state, before, after))
    if changes:
        _append(session, changes)


def _append(session: Session, changes) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Serialise writers on the chain head; the lock is released at commit or rollback.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    table = AuditEntry.__table__
    head = connection.execute(select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)).first()
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    actor = current_actor_name()
    at = utcnow()
    rows = []
    for action, state, before, after in changes:
        seq += 1
        key = _row_key(state)
        content = entry_dict(seq=seq, at=at, actor=actor, action=action, table_name=state.mapper.local_table.name,
                             row_key=key, before=before, after=after)
        digest = entry_hash(prev, content)
        rows.append({"seq": seq, "at": at, "actor": actor, "action": action,
                     "table_name": content["table"], "row_key": key,
                     "before": None if before is None else canonical(before),
                     "after": None if after is None else canonical(after),
                     "prev_hash": prev, "hash": digest})
        prev = digest
    connection.execute(table.insert(), rows)


def _after_rollback(session: Session) -> None:
    session.info.pop("audit_pending", None)
    session.info.pop("audit_new", None)


def _after_soft_rollback(session: Session, _transaction) -> None:
    _after_rollback(session)


def install(actor_name: Callable[[], str]) -> None:
    """Listen to every Flask-SQLAlchemy session's flushes (idempotent: apps share the class)."""
    global _actor_name
    _actor_name = actor_name
    for name, fn in (("before_flush", _before_flush), ("after_flush", _after_flush),
                     ("after_soft_rollback", _after_soft_rollback)):
        if not event.contains(FlaskSession, name, fn):
            event.listen(FlaskSession, name, fn)


# --- verification --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} entries"
        return f"audit chain broken at row id={self.broken_id}: {self.problem}"


def verify_chain() -> ChainReport:
    """Walk the chain in order; report the first row whose content, order or link is wrong."""
    table = AuditEntry.__table__
    prev_hash, prev_seq, checked = GENESIS, 0, 0
    with db.engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.seq, table.c.id))
        for row in rows:
            if row.seq != prev_seq + 1:
                what = "missing entries before it (deleted)" if row.seq > prev_seq + 1 else "duplicate or reordered seq"
                return ChainReport(False, checked, row.id, f"seq {row.seq} follows {prev_seq}: {what}")
            if row.prev_hash != prev_hash:
                return ChainReport(False, checked, row.id,
                                   "prev_hash does not match the previous entry (a row before it was deleted, "
                                   "changed or inserted)")
            try:
                content = entry_dict(seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                                     table_name=row.table_name, row_key=row.row_key,
                                     before=None if row.before is None else json.loads(row.before),
                                     after=None if row.after is None else json.loads(row.after))
            except (TypeError, ValueError):
                return ChainReport(False, checked, row.id, "content is not valid JSON (changed)")
            if entry_hash(prev_hash, content) != row.hash:
                return ChainReport(False, checked, row.id, "hash does not match its content (changed)")
            prev_hash, prev_seq, checked = row.hash, row.seq, checked + 1
    return ChainReport(True, checked)

