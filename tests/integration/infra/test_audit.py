"""The audit trail: every write recorded with who and what, hash-chained, tamper-evident."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from infra.audit import AuditEntry, GENESIS, entry_dict, entry_hash, verify_chain
from infra.db import db
from tests.builders import PASSWORD, bearer, login, make_alliance, make_firm, make_standard, make_user


def entries(**where):
    query = select(AuditEntry).order_by(AuditEntry.seq)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return db.session.execute(query).scalars().all()


def run_verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_a_write_outside_a_request_is_recorded_as_the_system_with_its_after_state(app):
    firm = make_firm(1, name="中山市坚固锁业有限公司")

    [entry] = entries(table_name="firms")
    assert entry.action == "insert"
    assert entry.actor == "system"
    assert entry.row_key == str(firm.id)
    assert entry.data("before") is None
    assert entry.data("after")["name"] == "中山市坚固锁业有限公司"
    assert entry.data("after")["uscc"] == firm.uscc


def test_an_update_keeps_the_row_before_and_after(app):
    from parties import services as parties

    firm = make_firm(1, name="旧名称有限公司")
    parties.update_firm(firm.id, "新名称有限公司", "中山市东区", None)

    update = entries(table_name="firms", action="update")[-1]
    assert update.data("before")["name"] == "旧名称有限公司"
    assert update.data("after")["name"] == "新名称有限公司"
    assert update.data("after")["address"] == "中山市东区"


def test_a_delete_keeps_the_row_as_it_was(app):
    firm = make_firm(1)
    db.session.delete(firm)
    db.session.commit()

    [deleted] = entries(table_name="firms", action="delete")
    assert deleted.data("before")["uscc"] == firm.uscc
    assert deleted.data("after") is None


def test_a_write_through_the_api_names_the_user_who_made_it(app, client):
    make_user("clerk", "staff")
    response = client.post("/api/v1/alliances", json={"code": "SDDYLG", "name": "顺德电压力锅产业联盟"},
                           headers=bearer("clerk"))
    assert response.status_code == 201, response.get_json()

    [entry] = entries(table_name="alliances")
    assert entry.actor == "clerk"
    assert entry.data("after")["code"] == "SDDYLG"


def test_a_write_through_the_web_names_the_signed_in_user(app, client):
    make_user("clerk", "staff")
    login(client, "clerk")
    client.post("/alliances", data={"code": "ZSSJ", "name": "中山市锁具产业联盟"})
    [entry] = entries(table_name="alliances")
    assert entry.actor == "clerk"


def test_password_and_token_hashes_never_enter_the_trail(app):
    user = make_user("clerk", "staff")
    bearer("clerk")
    user_row = entries(table_name="users")[0]
    token_row = entries(table_name="api_tokens")[0]

    assert user_row.data("after")["password_hash"] == "***"
    assert token_row.data("after")["token_hash"] == "***"
    raw = " ".join(f"{e.before} {e.after}" for e in entries())
    assert user.password_hash not in raw
    assert "scrypt" not in raw and "pbkdf2" not in raw


def test_a_sign_in_is_audited_without_the_password_or_the_session_key(app, client):
    make_user("clerk", "staff")
    client.post("/login", data={"username": "clerk", "password": PASSWORD})
    opened = entries(table_name="user_sessions", action="insert")[-1]
    assert opened.actor == "anonymous"
    assert opened.data("after")["key_hash"] == "***"
    assert PASSWORD not in opened.after and client.get_cookie("session").value not in opened.after


def test_a_rolled_back_write_leaves_no_entry(app):
    make_alliance()
    count = len(entries())
    from parties.models import Firm

    db.session.add(Firm(name="未提交企业", uscc="91442000000000999X"))
    db.session.flush()
    db.session.rollback()
    assert len(entries()) == count


def test_each_entry_links_to_the_one_before(app):
    make_standard()  # an alliance, a standard, a version and its clauses: many entries
    rows = entries()
    assert len(rows) > 10
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        assert row.seq == seq
        assert row.prev_hash == prev
        content = entry_dict(seq=row.seq, at=row.at, actor=row.actor, action=row.action, table_name=row.table_name,
                             row_key=row.row_key, before=row.data("before"), after=row.data("after"))
        assert row.hash == entry_hash(prev, content)
        prev = row.hash


def test_verify_passes_on_an_intact_chain(app):
    make_standard()
    make_firm(1)
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_verify_passes_on_an_empty_chain(app):
    result = run_verify(app)
    assert result.exit_code == 0, result.output


def _tamper(sql: str, **params) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


def _middle(table="firms"):
    rows = entries()
    return rows[len(rows) // 2]


@pytest.fixture
def chain(app):
    make_alliance()
    for n in range(1, 6):
        make_firm(n)
    assert verify_chain().ok
    return entries()


def test_verify_fails_naming_a_row_changed_behind_the_apps_back(app, chain):
    victim = chain[3]
    after = victim.data("after")
    after["name"] = "篡改后的企业名称"
    _tamper("UPDATE audit_log SET after = :after WHERE id = :id", after=json.dumps(after, ensure_ascii=False),
            id=victim.id)

    result = run_verify(app)
    assert result.exit_code == 1
    assert f"id={victim.id}" in result.output
    assert "changed" in result.output


def test_verify_fails_when_a_changed_row_also_gets_a_recomputed_hash(app, chain):
    victim = chain[2]
    _tamper("UPDATE audit_log SET actor = 'someone-else', hash = :h WHERE id = :id", h="f" * 64, id=victim.id)
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"id={victim.id}" in result.output or f"id={chain[3].id}" in result.output


def test_verify_fails_naming_the_row_after_a_deleted_middle_row(app, chain):
    victim = chain[len(chain) // 2]
    _tamper("DELETE FROM audit_log WHERE id = :id", id=victim.id)

    result = run_verify(app)
    assert result.exit_code == 1
    follower = chain[len(chain) // 2 + 1]
    assert f"id={follower.id}" in result.output
    assert "deleted" in result.output


def test_verify_fails_on_a_row_inserted_behind_the_apps_back(app, chain):
    last = chain[-1]
    _tamper("INSERT INTO audit_log (seq, at, actor, action, table_name, row_key, before, after, prev_hash, hash) "
            "VALUES (:seq, :at, 'intruder', 'insert', 'firms', '99', NULL, '{}', :prev, :hash)",
            seq=last.seq + 1, at=last.at, prev=last.hash, hash="0" * 64)
    result = run_verify(app)
    assert result.exit_code == 1
    assert "intruder" not in result.output  # names the row by id, not by its forged content
    inserted = db.session.execute(select(func.max(AuditEntry.id))).scalar_one()
    assert f"id={inserted}" in result.output


def test_concurrent_writers_still_form_one_chain(app, database_url, tmp_path):
    """Two threads writing at once on their own sessions: the chain stays linear and verifiable."""
    import threading

    from tests.conftest import make_app

    make_alliance()
    errors = []

    # The apps are built here, not in the threads: building two apps at once compiles their URL
    # rules in parallel, which CPython 3.11.7's ast module cannot do ("recursion depth mismatch").
    apps = {start: make_app(database_url, tmp_path) for start in (100, 200)}

    def writer(offset):
        other = apps[offset]
        try:
            with other.app_context():
                for n in range(offset, offset + 5):
                    make_firm(n)
                db.session.remove()
                db.engine.dispose()
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(start,)) for start in (100, 200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if db.engine.dialect.name == "sqlite" and errors:
        pytest.skip(f"SQLite refused a concurrent writer: {errors[0]}")
    assert errors == []
    assert len(entries(table_name="firms")) == 10
    report = verify_chain()
    assert report.ok, str(report)
