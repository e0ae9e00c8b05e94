"""`audit verify` against someone with database access: a keyed chain, signed checkpoints, row states (issue 12)."""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from infra import audit, clock
from infra.audit import AuditEntry, GENESIS, canonical, entry_dict
from infra.db import db
from tests.builders import make_certified_licence, make_firm


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def tamper(sql: str, **params) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


@pytest.fixture
def world(app):
    licence, _certificate = make_certified_licence(1, clock.today() - timedelta(days=30))
    licence_id = licence.id
    result = run(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    return licence_id


def test_a_licence_status_changed_in_sql_is_named_by_verify(app, world):
    tamper("UPDATE licences SET status = 'suspended' WHERE id = :id", id=world)

    result = run(app, "audit", "verify")

    assert result.exit_code == 1
    assert f"licences row {world}" in result.output and "status" in result.output


def test_a_row_deleted_in_sql_is_named_by_verify(app, world):
    tamper("DELETE FROM payments")  # nothing there: the trail is still intact
    assert run(app, "audit", "verify").exit_code == 0
    firm = make_firm(7)
    tamper("DELETE FROM firms WHERE id = :id", id=firm.id)

    result = run(app, "audit", "verify")

    assert result.exit_code == 1
    assert f"firms row {firm.id}" in result.output and "deleted" in result.output


def test_a_deleted_tail_is_found_by_the_signed_checkpoint(app, world):
    assert run(app, "audit", "checkpoint").exit_code == 0
    with db.engine.connect() as connection:
        last = connection.execute(select(AuditEntry.seq).order_by(AuditEntry.seq.desc())).scalars().first()
    tamper("DELETE FROM audit_log WHERE seq > :seq", seq=last - 5)

    result = run(app, "audit", "verify")

    assert result.exit_code == 1
    assert f"seq={last - 4}" in result.output and "deleted" in result.output


def test_a_chain_recomputed_without_the_key_is_named_at_its_first_row(app, world):
    with db.engine.connect() as connection:
        rows = connection.execute(select(AuditEntry).order_by(AuditEntry.seq)).all()
    prev = GENESIS
    for row in rows:  # the attacker rewrites one row, then redoes the whole chain as plain SHA-256
        after = row.after
        content = entry_dict(seq=row.seq, at=row.at, actor="intruder" if row.seq == 3 else row.actor,
                             action=row.action, table_name=row.table_name, row_key=row.row_key,
                             before=None if row.before is None else json.loads(row.before),
                             after=None if after is None else json.loads(after))
        digest = hashlib.sha256((prev + canonical(content)).encode()).hexdigest()
        tamper("UPDATE audit_log SET actor = :actor, prev_hash = :prev, hash = :hash WHERE id = :id",
               actor=content["actor"], prev=prev, hash=digest, id=row.id)
        prev = digest

    result = run(app, "audit", "verify")

    assert result.exit_code == 1
    assert f"row id={rows[0].id}" in result.output and "changed" in result.output


def test_the_published_checkpoint_is_signed_by_a_published_key(app, client, world):
    from certificates.tokens import public_key_from_b64

    assert client.get("/.well-known/alliancemark-audit.json").status_code == 404
    assert run(app, "audit", "checkpoint").exit_code == 0

    published = client.get("/.well-known/alliancemark-audit.json").get_json()
    keys = client.get("/.well-known/alliancemark-keys.json").get_json()["keys"]

    assert set(published) == {"seq", "head", "at", "kid", "signature"}
    with db.engine.connect() as connection:
        head = connection.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())).first()
    assert (published["seq"], published["head"]) == (head.seq, head.hash)
    [key] = [k for k in keys if k["kid"] == published["kid"]]
    public = public_key_from_b64(key["public_key"])
    signature = base64.urlsafe_b64decode(published["signature"] + "=" * (-len(published["signature"]) % 4))
    public.verify(signature, canonical({"seq": published["seq"], "head": published["head"],
                                        "at": published["at"]}).encode())


def test_a_forged_checkpoint_line_is_refused(app, world):
    assert run(app, "audit", "checkpoint").exit_code == 0
    path = audit._checkpoint_path()
    forged = json.loads(path.read_text().splitlines()[-1])
    forged["seq"] += 1000
    path.write_text(path.read_text() + canonical(forged) + "\n")

    result = run(app, "audit", "verify")

    assert result.exit_code == 1 and "bad signature" in result.output


def test_every_sweep_writes_a_checkpoint_of_the_head_it_left(app, world):
    before = len(audit.checkpoints())
    result = run(app, "sweep")
    assert result.exit_code == 0, result.output

    [checkpoint] = audit.checkpoints()[before:]
    with db.engine.connect() as connection:
        head = connection.execute(select(AuditEntry.hash).order_by(AuditEntry.seq.desc())).scalars().first()
    assert checkpoint["head"] == head


def test_the_hmac_key_file_is_private_to_its_owner(app, world):
    import os
    import stat

    path = audit._keys_dir() / audit.KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
