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
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable

from sqlalchemy import DateTime, Integer, column, event, func, insert, select, update, values
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

MAX_ENTRIES = 20_000
MAX_AGE_SECONDS = 30.0  # re-read anyway now and then, for the scan counts of other processes


def _watched_classes():
    from compliance.models import Standard, StandardVersion
    from inspections.models import Inspection
    from trademark.models import Alliance, Certificate, Decision, Firm, Licence, Mark, ProductModel

    return (Licence, Certificate, Decision, Firm, Mark, Alliance, ProductModel, Inspection, Standard,
            StandardVersion)


# --- the epoch ------------------------------------------------------------------------------------


def _bump_epoch(session, flush_context, instances) -> None:
    watched = _watched_classes()
    if not any(isinstance(obj, watched) for group in (session.new, session.dirty, session.deleted)
               for obj in group):
        return
    from trademark.models import StatusEpoch

    connection = session.connection()
    moved = connection.execute(update(StatusEpoch).where(StatusEpoch.id == 1)
                               .values(value=StatusEpoch.value + 1)).rowcount
    if not moved:
        if connection.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        connection.execute(upsert(StatusEpoch).values(id=1, value=1).on_conflict_do_update(
            index_elements=[StatusEpoch.id], set_={"value": StatusEpoch.value + 1}))


def install() -> None:
    """Move the epoch on every flush that writes something a verification shows (idempotent)."""
    from flask_sqlalchemy.session import Session as FlaskSession

    if not event.contains(FlaskSession, "before_flush", _bump_epoch):
        event.listen(FlaskSession, "before_flush", _bump_epoch)


def read_epoch(engine: Engine) -> int:
    from trademark.models import StatusEpoch

    with engine.connect() as conn:
        return conn.execute(select(StatusEpoch.value).where(StatusEpoch.id == 1)).scalar() or 0


# --- the cache -----------------------------------------------------------------------------------


@dataclass
class _Entry:
    verification: object  # certificates.Verification, scan facts as read from the database
    filled_at: float
    local_scans: int = 0  # scans this process served from this entry since it was filled
    local_first_at: datetime | None = None
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
        """Return the entry for `key`, loading it when absent, stale or invalidated."""
        self._check_epoch(engine, every)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry.filled_at < MAX_AGE_SECONDS:
                self._entries.move_to_end(key)
                return entry
        entry = _Entry(load(), now)
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        return entry

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


_served_lock = threading.Lock()


def served(entry: _Entry, now: datetime, counted_in_db: bool):
    """Return a copy of the entry's verification with this scan counted."""
    v = replace(entry.verification)
    if counted_in_db:
        return v
    with _served_lock:
        entry.local_scans += 1
        if entry.local_first_at is None:
            entry.local_first_at = now
    v.scan_count = (v.scan_count or 0) + entry.local_scans
    v.first_scan_at = v.first_scan_at or entry.local_first_at
    return v


# --- buffered scans -------------------------------------------------------------------------------


class ScanBuffer:
    """Scans of one process, written by a background thread every `interval` seconds."""

    def __init__(self, engine: Engine, interval: float):
        self.engine = engine
        self.interval = interval
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
        from trademark.models import Certificate, Scan

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
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO off")
                conn.execute(insert(Scan), rows)
                ordered = sorted(counts.items())  # a fixed order: concurrent flushes cannot deadlock
                if conn.dialect.name == "postgresql" and ordered:
                    # One UPDATE … FROM (VALUES …) for every certificate of this second.
                    batch = values(column("id", Integer), column("n", Integer), column("first", DateTime),
                                   name="batch").data([(cid, n, first) for cid, (n, first) in ordered])
                    conn.execute(update(Certificate).where(Certificate.id == batch.c.id).values(
                        scan_count=Certificate.scan_count + batch.c.n,
                        first_scan_at=func.coalesce(Certificate.first_scan_at, batch.c.first)))
                else:
                    for cid, (n, first) in ordered:
                        conn.execute(update(Certificate).where(Certificate.id == cid).values(
                            scan_count=Certificate.scan_count + n,
                            first_scan_at=func.coalesce(Certificate.first_scan_at, first)))
        except Exception:
            with self._lock:
                self._rows[:0] = rows
            raise
        return len(rows)


_buffers: list[ScanBuffer] = []  # every buffer started in this process, flushed at exit
_buffers_lock = threading.Lock()


def buffer_for(app, engine: Engine, interval: float) -> ScanBuffer:
    """Return the app's scan buffer in this process (a forked worker starts its own thread)."""
    buffer = app.extensions.get("alliancemark.scan_buffer")
    if buffer is None or buffer._pid != os.getpid():
        with _buffers_lock:
            buffer = app.extensions.get("alliancemark.scan_buffer")
            if buffer is None or buffer._pid != os.getpid():
                buffer = app.extensions["alliancemark.scan_buffer"] = ScanBuffer(engine, interval)
                _buffers.append(buffer)
    return buffer


@atexit.register
def _flush_all() -> None:
    for buffer in list(_buffers):
        if buffer._pid == os.getpid():
            try:
                buffer.flush()
            except Exception:
                log.exception("writing buffered scans at exit failed")
