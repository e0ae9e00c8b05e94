"""The hot path of public verification: a per-process cache the database invalidates, and buffered scans.

Every scan of every product lands on `/V/<token>`, and almost all of them read a status that has
not changed since the last scan. So each process keeps what it last read per (token, day), and
throws it all away as soon as the database says anything a verification could show has changed:
every write to a licence, certificate, decision, firm, mark, product model, inspection or
standard moves one counter (`status_epoch`) in the same transaction, and a process re-reads that
counter at most every `VERIFY_EPOCH_CHECK_SECONDS` (default 1 s; 0 checks it on every scan). A
suspension therefore shows on every phone within that time, the same second rather than "the
same day".

Scans are logged to a per-process buffer that a background thread writes every
`SCAN_FLUSH_SECONDS` (default 1 s) in one transaction; a process killed outright loses at most
that second of scan records. `SCAN_FLUSH_SECONDS = 0` writes each scan in the request itself.
Each flush reads back the certificates' counts, which include every process's scans, and puts
them into the cached entries, so a cached entry never has to be re-read just to count.
"""
from __future__ import annotations

import atexit
import copy
import logging
import os
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from certificates.models import Certificate, Scan, StatusEpoch
from compliance.models import Standard, StandardVersion
from inspections.models import Inspection
from parties.models import Alliance, Firm, ProductModel
from trademark.models import Decision, Licence, Mark

log = logging.getLogger(__name__)

MAX_ENTRIES = 20_000
MAX_AGE_SECONDS = 600.0  # re-read anyway now and then, in case a write bypassed the ORM (and the epoch)
# A process learns other processes' scans of a certificate when it flushes its own; one that has
# not scanned it for a while re-reads just the count (one row by primary key) at this age.
COUNTS_MAX_AGE_SECONDS = 30.0


def _watched_classes():
    return (Licence, Certificate, Decision, Firm, Mark, Alliance, ProductModel, Inspection, Standard,
            StandardVersion)


# --- the epoch ------------------------------------------------------------------------------------


def _bump_epoch(session, flush_context, instances) -> None:
    watched = _watched_classes()
    if not any(isinstance(obj, watched) for group in (session.new, session.dirty, session.deleted)
               for obj in group):
        return

    connection = session.connection()
    moved = connection.execute(update(StatusEpoch).where(StatusEpoch.id == 1)
                               .values(value=StatusEpoch.value + 1)).rowcount
    if not moved:
        upsert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(upsert(StatusEpoch).values(id=1, value=1).on_conflict_do_update(
            index_elements=[StatusEpoch.id], set_={"value": StatusEpoch.value + 1}))


def install() -> None:
    """Move the epoch on every flush that writes something a verification shows (idempotent)."""
    if not event.contains(FlaskSession, "before_flush", _bump_epoch):
        event.listen(FlaskSession, "before_flush", _bump_epoch)
    global _flush_at_exit
    if not _flush_at_exit:
        atexit.register(_flush_all)  # the last second of buffered scans is written at shutdown
        _flush_at_exit = True


def read_epoch(engine: Engine) -> int:

    with engine.connect() as conn:
        return conn.execute(select(StatusEpoch.value).where(StatusEpoch.id == 1)).scalar() or 0


# --- the cache -----------------------------------------------------------------------------------


@dataclass
class _Entry:
    verification: object  # certificates.Verification; its scan facts are moved on by every flush
    expires_at: float  # monotonic time after which it is read again even if nothing moved the epoch
    counted_at: float  # monotonic time its scan facts were last read from the database
    pending: int = 0  # scans served from this entry that no flush has written yet
    pending_first_at: datetime | None = None
    memo: dict = field(default_factory=dict)  # renderings of the verification (page, JSON) without its scans


class VerificationCache:
    """What one process last read per (token, day) of one database."""

    def __init__(self):
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._epoch: int | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def _check_epoch(self, engine: Engine, every: float) -> None:
        now = time.monotonic()
        if now - self._checked_at < every:
            return
        epoch = read_epoch(engine)
        with self._lock:
            self._checked_at = now
            if epoch != self._epoch:
                self._entries.clear()
                self._epoch = epoch

    def get(self, key: tuple, engine: Engine, every: float, load: Callable[[], object]) -> _Entry:
        """Return the entry for `key`, loading it when absent, too old or invalidated."""
        self._check_epoch(engine, every)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now < entry.expires_at:
                self._entries.move_to_end(key)
                return entry
        # Spread the re-reads out, so that entries filled together do not all expire in one second.
        entry = _Entry(load(), now + MAX_AGE_SECONDS * random.uniform(0.5, 1.0), now)
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        return entry

    def served(self, entry: _Entry, now: datetime, engine: Engine):
        """Return a copy of the entry's verification with this (not yet written) scan counted."""
        cid = entry.verification.certificate_id
        if cid is not None and time.monotonic() - entry.counted_at > COUNTS_MAX_AGE_SECONDS:
            self._recount(entry, cid, engine)
        with self._lock:
            entry.pending += 1
            if entry.pending_first_at is None:
                entry.pending_first_at = now
            base, pending, first = entry.verification, entry.pending, entry.pending_first_at
        v = copy.copy(base)  # half the cost of dataclasses.replace, on every scan
        v.scan_count, v.first_scan_at = (base.scan_count or 0) + pending, base.first_scan_at or first
        return v

    def _recount(self, entry: _Entry, cid: int, engine: Engine) -> None:

        with engine.connect() as conn:
            row = conn.execute(select(Certificate.scan_count, Certificate.first_scan_at)
                               .where(Certificate.id == cid)).first()
        with self._lock:
            entry.counted_at = time.monotonic()
            if row is not None:
                # What this process has served but not yet written stays pending on top.
                entry.verification = replace(entry.verification, scan_count=row.scan_count,
                                             first_scan_at=row.first_scan_at)

    def written(self, totals: dict[int, tuple[int, int, datetime | None]]) -> None:
        """Take in what a flush wrote: per certificate, (scans written, count now, first scan).

        The count the database returns includes every process's scans, so a certificate scanned
        here shows the scans of the other processes within a flush interval too.
        """
        with self._lock:
            for entry in self._entries.values():
                got = totals.get(entry.verification.certificate_id)
                if got is not None:
                    written, count, first = got
                    entry.verification = replace(entry.verification, scan_count=count, first_scan_at=first)
                    entry.counted_at = time.monotonic()
                    # Scans written that were served before this entry was filled were never pending here.
                    entry.pending = max(0, entry.pending - written)
                    if entry.pending == 0:
                        entry.pending_first_at = None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._epoch = None
            self._checked_at = float("-inf")


def cache_for(app) -> VerificationCache:
    """Return the app's cache (kept in `app.extensions`, so each app and its database have their own)."""
    cache = app.extensions.get("alliancemark.verify_cache")
    if cache is None:
        cache = app.extensions.setdefault("alliancemark.verify_cache", VerificationCache())
    return cache


# --- buffered scans -------------------------------------------------------------------------------


class ScanBuffer:
    """Scans of one process, written by a background thread every `interval` seconds."""

    def __init__(self, engine: Engine, interval: float,
                 on_written: Callable[[dict[int, tuple[int, int, datetime | None]]], None] | None = None):
        self.engine = engine
        self.interval = interval
        self.on_written = on_written  # told, per certificate, (scans written, count now, first scan)
        self._rows: list[dict] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="scan-log", daemon=True)
        self._thread.start()

    def add(self, row: dict) -> None:
        with self._lock:
            self._rows.append(row)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.flush()
            except Exception:  # keep logging scans; the next flush retries what failed
                log.exception("writing buffered scans failed")

    def flush(self) -> int:
        """Write the pending scans and their counts in one transaction; return how many."""

        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return 0
        counts: dict[int, tuple[int, datetime]] = {}
        for row in rows:
            cid = row["certificate_id"]
            if cid is not None:
                n, first = counts.get(cid, (0, row["at"]))
                counts[cid] = (n + 1, min(first, row["at"]))
        ordered = sorted(counts.items())  # a fixed order: concurrent flushes lock rows alike
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    now_counted = _write_postgresql(conn, rows, ordered)
                else:
                    conn.execute(insert(Scan), rows)
                    now_counted = [conn.execute(update(Certificate).where(Certificate.id == cid).values(
                        scan_count=Certificate.scan_count + n,
                        first_scan_at=func.coalesce(Certificate.first_scan_at, first))
                        .returning(Certificate.id, Certificate.scan_count, Certificate.first_scan_at)).first()
                        for cid, (n, first) in ordered]
                    now_counted = [row for row in now_counted if row is not None]  # a certificate gone since
        except Exception:
            with self._lock:
                self._rows[:0] = rows
            raise
        if self.on_written is not None:
            self.on_written({cid: (counts[cid][0], count, first) for cid, count, first in now_counted})
        return len(rows)


_SCAN_COLUMNS = ("certificate_id", "at", "ip_prefix", "agent_family", "outcome")


def _write_postgresql(conn, rows: list[dict], ordered: list[tuple[int, tuple[int, datetime]]]) -> list[tuple]:
    """COPY the scans in and add their counts with one constant UPDATE over arrays.

    A second of scans is a thousand rows per process under load; built as SQLAlchemy statements
    (a VALUES clause compiled anew each time) that cost about 0.1 ms of Python per scan, more than
    serving the scan did. COPY and `unnest` keep both the client and the server cheap. Return
    (certificate id, count, first scan) as they stand after the update.
    """

    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute("SET LOCAL synchronous_commit TO off")
        with cursor.copy(f"COPY {Scan.__tablename__} ({', '.join(_SCAN_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row[name] for name in _SCAN_COLUMNS))
        if not ordered:
            return []
        cursor.execute(
            f"UPDATE {Certificate.__tablename__} AS c SET scan_count = c.scan_count + b.n,"
            " first_scan_at = COALESCE(c.first_scan_at, b.first)"
            " FROM unnest(%s::integer[], %s::integer[], %s::timestamp[]) AS b(id, n, first)"
            " WHERE c.id = b.id RETURNING c.id, c.scan_count, c.first_scan_at",
            ([cid for cid, _ in ordered], [n for _, (n, _) in ordered], [first for _, (_, first) in ordered]))
        return cursor.fetchall()
    finally:
        cursor.close()


_buffers: list[ScanBuffer] = []  # every buffer started in this process, flushed at exit
_buffers_lock = threading.Lock()


def buffer_for(app, engine: Engine, interval: float) -> ScanBuffer:
    """Return the app's scan buffer in this process (a forked worker starts its own thread)."""
    buffer = app.extensions.get("alliancemark.scan_buffer")
    if buffer is None or buffer._pid != os.getpid():
        with _buffers_lock:
            buffer = app.extensions.get("alliancemark.scan_buffer")
            if buffer is None or buffer._pid != os.getpid():
                buffer = app.extensions["alliancemark.scan_buffer"] = ScanBuffer(
                    engine, interval, on_written=cache_for(app).written)
                _buffers.append(buffer)
    return buffer


_flush_at_exit = False


def _flush_all() -> None:
    for buffer in list(_buffers):
        if buffer._pid == os.getpid():
            try:
                buffer.flush()
            except Exception:
                log.exception("writing buffered scans at exit failed")
