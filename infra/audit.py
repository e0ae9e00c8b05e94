"""The audit trail: an append-only, keyed hash chain of every write, with signed checkpoints.

Rows are captured from the ORM session's flushes (before_flush/after_flush), so services do not
have to remember to write them. Each entry's hash is HMAC-SHA256(key, prev_hash + canonical JSON
of the entry), with a key kept outside the database (`ALLIANCEMARK_AUDIT_KEY`, else
`KEYS_DIR/audit-hmac.key`, 0600), so someone with only database access cannot recompute the chain.
Checkpoints of the chain head are signed (Ed25519, by the signer the app factory installs) and
appended to `KEYS_DIR/audit-checkpoints.jsonl`, outside the database, so a deleted tail shows.
`verify_chain()` walks the chain, compares it with the checkpoints and compares every row of the
audited tables with its last audited state; it names the first row changed, deleted or inserted
behind the application's back.

Writes made with bulk SQL (session.execute(update(...))) bypass the ORM and are not captured;
the columns the application writes that way are listed in BULK_WRITTEN and not compared.
"""
from __future__ import annotations

import base64
import enum
import functools
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import String, Text, event, func, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from infra.clock import utcnow
from infra.db import WRITER_LOCK_KEY, db, take_writer_lock

GENESIS = "0" * 64
TABLE = "audit_log"
# Every writer takes this lock before it reads the chain head (PostgreSQL): infra.db owns it.
ADVISORY_LOCK_KEY = WRITER_LOCK_KEY
MASK = "***"
SECRET_COLUMNS = ("password", "token_hash", "key_hash", "secret", "private_key")


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


@functools.lru_cache(maxsize=None)  # asked for every value written; the column names are few
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
    attrs = state.attrs  # built anew on each access: once per row, not once per column
    for attr in state.mapper.column_attrs:
        history = attrs[attr.key].load_history()
        values[attr.key] = history.deleted[0] if history.deleted else (
            history.unchanged[0] if history.unchanged else (history.added[0] if history.added else None))
    return values


def _row_key(state) -> str:
    identity = state.identity or inspect(state.obj()).mapper.primary_key_from_instance(state.obj())
    return ",".join("" if part is None else str(part) for part in identity)


# --- the key and the checkpoints (kept outside the database) -------------------------------------

ENV_KEY = "ALLIANCEMARK_AUDIT_KEY"
KEY_FILE = "audit-hmac.key"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"
SIGNER = "alliancemark.audit_signer"  # app.extensions: sign(bytes) -> (kid, signature); verify(kid, bytes, sig) -> bool

_keys: dict[str, bytes] = {}


def _keys_dir() -> Path:
    from flask import current_app

    return Path(current_app.config["KEYS_DIR"])


def audit_key() -> bytes:
    """Return the chain's HMAC key: the environment's, else the key file's (created 0600 on first use)."""
    if os.environ.get(ENV_KEY):
        return os.environ[ENV_KEY].encode("utf-8")
    path = _keys_dir() / KEY_FILE
    cached = _keys.get(str(path))
    if cached is not None:
        return cached
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read theirs
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    key = path.read_text().strip().encode("utf-8")
    _keys[str(path)] = key
    return key


def entry_hash(prev_hash: str, entry: dict, key: bytes | None = None) -> str:
    """Return HMAC-SHA256 of the previous hash and the entry: only the key's holder can compute it."""
    key = audit_key() if key is None else key
    return hmac.new(key, (prev_hash + canonical(entry)).encode("utf-8"), hashlib.sha256).hexdigest()


def _checkpoint_path() -> Path:
    return _keys_dir() / CHECKPOINT_FILE


def _signed_part(checkpoint: dict) -> bytes:
    return canonical({"seq": checkpoint["seq"], "head": checkpoint["head"], "at": checkpoint["at"]}).encode("utf-8")


def _signer():
    from flask import current_app

    signer = current_app.extensions.get(SIGNER)
    if signer is None:
        raise RuntimeError("no audit checkpoint signer installed (app.extensions[infra.audit.SIGNER])")
    return signer


def write_checkpoint() -> dict:
    """Sign the committed chain head now and append it to the checkpoint file; return it."""
    table = AuditEntry.__table__
    with db.engine.connect() as connection:
        head = connection.execute(select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)).first()
    seq, digest = (head.seq, head.hash) if head else (0, GENESIS)
    checkpoint = {"seq": seq, "head": digest, "at": utcnow().isoformat(timespec="seconds") + "Z"}
    sign, _verify = _signer()
    kid, signature = sign(_signed_part(checkpoint))
    checkpoint.update(kid=kid, signature=base64.urlsafe_b64encode(signature).decode("ascii").rstrip("="))
    path = _checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(canonical(checkpoint) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return checkpoint


def checkpoints() -> list[dict]:
    """Return the checkpoints written so far, oldest first."""
    path = _checkpoint_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def latest_checkpoint() -> dict | None:
    found = checkpoints()
    return found[-1] if found else None


def checkpoint_is_signed(checkpoint: dict) -> bool:
    """Check a checkpoint's Ed25519 signature with the installed verifier."""
    _sign, verify = _signer()
    try:
        signature = base64.urlsafe_b64decode(checkpoint["signature"] + "=" * (-len(checkpoint["signature"]) % 4))
        return bool(verify(checkpoint["kid"], _signed_part(checkpoint), signature))
    except (KeyError, ValueError, TypeError):
        return False


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
    if session.new or session.dirty or session.deleted:
        # Before the flush's own UPDATEs take row locks: writers lock in one order (infra.db).
        take_writer_lock(session.connection())
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
    secret = audit_key()
    rows = []
    for action, state, before, after in changes:
        seq += 1
        key = _row_key(state)
        content = entry_dict(seq=seq, at=at, actor=actor, action=action, table_name=state.mapper.local_table.name,
                             row_key=key, before=before, after=after)
        digest = entry_hash(prev, content, secret)
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
    where: str = ""  # a row of a business table, or a sequence number, when there is no audit row id

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} entries, business rows match their last audited state"
        place = f"row id={self.broken_id}" if self.broken_id is not None else self.where
        return f"audit chain broken at {place}: {self.problem}"


# Columns the application itself writes with bulk SQL (not through the ORM, so not audited):
# comparing them with the trail would report the application as an intruder.
BULK_WRITTEN: dict[str, set[str] | None] = {
    "scans": None,            # the scan buffer inserts in batches (None: the whole table)
    "status_epoch": None,     # the verification cache's counter
    "certificates": {"scan_count", "first_scan_at"},
    "inspections": {"lock_version"},
    # Derived from the facts for the work queues; migration 0007 back-filled them in SQL and the
    # sweep repairs them, so a change there misorders a queue for a day at most.
    "licences": {"surveillance_base", "fee_due_on"},
}


# Columns a migration added and filled on the rows written before it: on such a row the audited
# state does not name the column, which is then compared from the row's next audited write on.
MIGRATION_FILLED: dict[str, set[str]] = {
    "inspections": {"number"},  # 0008_inspection_numbers numbers the existing inspections
}


def verify_chain() -> ChainReport:
    """Check the keyed chain, the signed checkpoints and the business rows; report the first problem."""
    report = _verify_links()
    if not report.ok:
        return report
    for check in (_verify_checkpoints, _verify_business_rows):
        problem = check()
        if problem is not None:
            return problem
    return report


def _verify_links() -> ChainReport:
    """Walk the chain in order; report the first row whose content, order or link is wrong."""
    key = audit_key()
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
            if entry_hash(prev_hash, content, key) != row.hash:
                return ChainReport(False, checked, row.id, "hash does not match its content (changed)")
            prev_hash, prev_seq, checked = row.hash, row.seq, checked + 1
    return ChainReport(True, checked)



def _verify_checkpoints() -> ChainReport | None:
    """Each signed checkpoint's head must still be in the chain: else its tail was deleted or redone."""
    table = AuditEntry.__table__
    with db.engine.connect() as connection:
        last = connection.execute(select(func.max(table.c.seq))).scalar() or 0
        for checkpoint in checkpoints():
            if not checkpoint_is_signed(checkpoint):
                return ChainReport(False, 0, None, f"checkpoint of {checkpoint.get('at')} has a bad signature",
                                   where=f"checkpoint seq={checkpoint.get('seq')}")
            seq = checkpoint["seq"]
            if seq == 0:
                continue
            if seq > last:
                return ChainReport(False, 0, None, f"entries {last + 1}–{seq} are missing: the chain's tail was "
                                   f"deleted (signed checkpoint of {checkpoint['at']} saw seq {seq})",
                                   where=f"seq={last + 1}")
            row = connection.execute(select(table.c.id, table.c.hash).where(table.c.seq == seq)).first()
            if row.hash != checkpoint["head"]:
                return ChainReport(False, 0, row.id, f"hash differs from the signed checkpoint of {checkpoint['at']} "
                                   "(the chain was recomputed or replaced)")
    return None


def _current_row(table, row) -> dict:
    out = {}
    for column in table.columns:
        value = row._mapping[column]
        out[column.name] = (MASK if value is not None else None) if _is_secret(column.name) else _json_value(value)
    return out


def _verify_business_rows() -> ChainReport | None:
    """Compare every row of the audited tables with its last audited `after` state."""
    audit = AuditEntry.__table__
    with db.engine.connect() as connection:
        last_state: dict[tuple[str, str], tuple[int, str | None]] = {}
        for entry in connection.execute(select(audit.c.id, audit.c.table_name, audit.c.row_key, audit.c.after)
                                        .order_by(audit.c.seq)):
            last_state[(entry.table_name, entry.row_key)] = (entry.id, entry.after)
        # Only mapped classes are captured; association tables (licence_models, …) are not audited.
        mapped = {m.local_table.name for m in db.Model.registry.mappers if m.local_table is not None}
        for table in db.metadata.sorted_tables:
            skipped = BULK_WRITTEN.get(table.name, set())
            if table.name == TABLE or table.name not in mapped or skipped is None:
                continue
            keys = list(table.primary_key.columns)
            seen = set()
            for row in connection.execute(select(table).order_by(*keys)):
                row_key = ",".join(str(row._mapping[c]) for c in keys)
                seen.add(row_key)
                where = f"{table.name} row {row_key}"
                audited = last_state.get((table.name, row_key))
                if audited is None or audited[1] is None:
                    return ChainReport(False, 0, None, "the row has no audited insert (written outside the "
                                       "application)", where=where)
                current = {k: v for k, v in _current_row(table, row).items() if k not in skipped}
                expected = {k: v for k, v in json.loads(audited[1]).items() if k not in skipped}
                filled = MIGRATION_FILLED.get(table.name, set())
                changed = sorted(k for k in current if current.get(k) != expected.get(k)
                                 and not (k in filled and k not in expected))
                if changed:
                    return ChainReport(False, 0, None, f"columns {', '.join(changed)} differ from the last audited "
                                       f"state (audit row id={audited[0]}): changed outside the application",
                                       where=where)
            for (name, row_key), (entry_id, after) in last_state.items():
                if name == table.name and after is not None and row_key not in seen:
                    return ChainReport(False, 0, None, f"the row was deleted outside the application (last audited "
                                       f"at audit row id={entry_id})", where=f"{table.name} row {row_key}")
    return None
