"""Portable backups: every table as JSON lines in a zip, restorable on SQLite or PostgreSQL.

The archive holds `manifest.json` (format, tables in dependency order, column types, the Alembic
revision) and one `tables/<name>.jsonl` per table. Values keep their types through the column
types: dates and datetimes as ISO 8601, bytes as base64, decimals as strings, JSON as JSON.
"""
from __future__ import annotations

import base64
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Date, DateTime, Integer, LargeBinary, Numeric, Time, func, inspect, select, text

from infra import clock
from infra.db import db

FORMAT = "alliancemark-backup/1"
BATCH = 500


class BackupError(RuntimeError):
    """A refused backup or restore, with a message saying what to do."""


@dataclass(frozen=True)
class Summary:
    tables: int
    rows: int


def _tables():
    return list(db.metadata.sorted_tables)


def encode(column, value):
    if value is None:
        return None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode(column, value):
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Time):
        return time.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, Numeric) and not isinstance(kind, Integer) and isinstance(value, str):
        return Decimal(value)
    return value


def _revision(connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None


def backup(path: str | Path) -> Summary:
    """Write every table of the database to a zip of JSON lines, in one consistent read."""
    total = 0
    tables = _tables()
    with db.engine.connect() as connection, zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if connection.dialect.name == "postgresql":
            # One snapshot for every table, so the backup is consistent while the app runs.
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        manifest = {"format": FORMAT, "dialect": connection.dialect.name, "revision": _revision(connection),
                    "created_at": clock.now().isoformat(), "tables": []}
        for table in tables:
            columns = list(table.columns)
            order = list(table.primary_key.columns) or columns
            count = 0
            with archive.open(f"tables/{table.name}.jsonl", "w") as out:
                for row in connection.execute(select(table).order_by(*order)):
                    record = {c.name: encode(c, row._mapping[c]) for c in columns}
                    out.write((json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
                    count += 1
            manifest["tables"].append({"name": table.name, "rows": count,
                                       "columns": {c.name: str(c.type) for c in columns}})
            total += count
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return Summary(len(tables), total)


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise BackupError("不是 AllianceMark 备份文件（缺少 manifest.json）/ not an AllianceMark backup") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式不支持：{manifest.get('format')} / unsupported backup format")
    return manifest


def _row_counts(connection) -> dict[str, int]:
    return {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one() for t in _tables()}


def restore(path: str | Path, *, force: bool = False) -> Summary:
    """Load a backup into an empty schema in one transaction; `force` empties the tables first."""
    tables = {t.name: t for t in _tables()}
    total = 0
    with zipfile.ZipFile(path) as archive:
        manifest = _read_manifest(archive)
        unknown = [t["name"] for t in manifest["tables"] if t["name"] not in tables]
        if unknown:
            raise BackupError(f"备份中有本版本没有的表：{', '.join(unknown)}（请先升级程序）/ unknown tables")
        with db.engine.begin() as connection:
            missing = [name for name in tables if not inspect(connection).has_table(name)]
            if missing:
                raise BackupError("数据库没有表结构，请先运行 flask --app app db upgrade / "
                                  f"schema missing: {', '.join(missing[:5])}")
            filled = {name: n for name, n in _row_counts(connection).items() if n}
            if filled and not force:
                raise BackupError("目标数据库不是空的，拒绝覆盖；确认要覆盖请加 --force / "
                                  f"database not empty ({', '.join(sorted(filled))})")
            for table in reversed(_tables()):
                connection.execute(table.delete())
            for entry in manifest["tables"]:
                table = tables[entry["name"]]
                columns = {c.name: c for c in table.columns}
                batch = []
                with archive.open(f"tables/{table.name}.jsonl") as lines:
                    for line in lines:
                        record = json.loads(line)
                        batch.append({name: decode(columns[name], value)
                                      for name, value in record.items() if name in columns})
                        if len(batch) >= BATCH:
                            connection.execute(table.insert(), batch)
                            total += len(batch)
                            batch = []
                if batch:
                    connection.execute(table.insert(), batch)
                    total += len(batch)
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)
    return Summary(len(manifest["tables"]), total)


def _reset_sequences(connection) -> None:
    # Rows came in with their ids, so each serial must continue after the highest one.
    for table in _tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer) or column.autoincrement is False:
                continue
            sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": f'"{table.name}"', "c": column.name}).scalar()
            if sequence:
                connection.execute(text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'),
                    {"s": sequence})
