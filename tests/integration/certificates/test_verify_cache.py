"""The public verification cache: invalidated by the database, and scans buffered per process."""
from datetime import date, datetime

from infra.db import db
from tests.builders import make_certified_licence, staff_user
from certificates import cache as verify_cache
from trademark import services
from certificates.models import Certificate, Scan, StatusEpoch


def epoch() -> int:
    return db.session.execute(db.select(StatusEpoch.value).where(StatusEpoch.id == 1)).scalar() or 0


def test_a_licence_decision_moves_the_epoch_and_an_unrelated_write_does_not(app):
    licence, _certificate = make_certified_licence()
    before = epoch()
    services.act_on_licence(licence.id, "suspend", "整改期内暂停", date.today(), staff_user())
    moved = epoch()
    assert moved > before
    staff_user("someone-else")  # a user is nothing a verification shows
    assert epoch() == moved


def test_a_cached_status_is_dropped_as_soon_as_the_epoch_is_checked(app):
    licence, certificate = make_certified_licence()
    app.config["VERIFY_EPOCH_CHECK_SECONDS"] = 3600  # only the first scan checks the epoch
    client = app.test_client()
    assert "有效" in client.get(f"/V/{certificate.token}").get_data(as_text=True)
    services.act_on_licence(licence.id, "suspend", "整改期内暂停", date.today(), staff_user())
    # Within the check interval the process still serves what it read: the staleness is bounded by it.
    assert "有效" in client.get(f"/V/{certificate.token}").get_data(as_text=True)
    app.config["VERIFY_EPOCH_CHECK_SECONDS"] = 0
    page = client.get(f"/V/{certificate.token}").get_data(as_text=True)
    assert "暂停" in page and "整改期内暂停" in page


def test_buffered_scans_are_counted_on_the_page_at_once_and_written_on_flush(app):
    _licence, certificate = make_certified_licence()
    app.config["SCAN_FLUSH_SECONDS"] = 3600  # the background thread will not flush during the test
    client = app.test_client()
    for _ in range(3):
        body = client.get(f"/api/v1/verify/{certificate.token}").json
    assert body["status"] == "valid" and body["scans"]["count"] == 3
    assert db.session.execute(db.select(db.func.count()).select_from(Scan)).scalar() == 0
    written = verify_cache.buffer_for(app, db.engine, 3600).flush()
    assert written == 3
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).scan_count == 3
    assert db.session.execute(db.select(db.func.count()).select_from(Scan)).scalar() == 3


def test_a_failed_flush_keeps_the_scans_for_the_next_one(app, monkeypatch):
    _licence, certificate = make_certified_licence()
    buffer = verify_cache.buffer_for(app, db.engine, 3600)
    buffer.flush()
    buffer.add({"certificate_id": certificate.id, "at": datetime(2026, 1, 1), "ip_prefix": "10.0.0.0/24",
                "agent_family": "wechat", "outcome": "valid"})
    real_begin = buffer.engine.begin
    monkeypatch.setattr(buffer.engine, "begin", lambda: (_ for _ in ()).throw(RuntimeError("database away")))
    try:
        buffer.flush()
    except RuntimeError:
        pass
    monkeypatch.setattr(buffer.engine, "begin", real_begin)
    assert buffer.flush() == 1


def _scan_count(client, token) -> int:
    return client.get(f"/api/v1/verify/{token}").json["scans"]["count"]


def test_a_flush_brings_in_the_scans_other_processes_wrote(app):
    _licence, certificate = make_certified_licence()
    app.config.update(SCAN_FLUSH_SECONDS=3600, VERIFY_EPOCH_CHECK_SECONDS=3600)
    client = app.test_client()
    assert [_scan_count(client, certificate.token) for _ in range(2)] == [1, 2]
    # Another worker flushes 5 scans of the same certificate: plain SQL, nothing this process sees.
    with db.engine.begin() as conn:
        conn.execute(db.update(Certificate).where(Certificate.id == certificate.id)
                     .values(scan_count=Certificate.scan_count + 5))
    assert _scan_count(client, certificate.token) == 3  # served from the cache: ours only, for now
    assert verify_cache.buffer_for(app, db.engine, 3600).flush() == 3
    # The flush read back the total, so the next scan counts everyone's: 3 ours + 5 theirs + this one.
    assert _scan_count(client, certificate.token) == 9


def test_scans_buffered_before_the_cache_was_dropped_are_not_counted_twice(app):
    licence, certificate = make_certified_licence()
    app.config.update(SCAN_FLUSH_SECONDS=3600, VERIFY_EPOCH_CHECK_SECONDS=0)
    client = app.test_client()
    for _ in range(3):
        _scan_count(client, certificate.token)
    # A write a verification shows drops every cached entry; the 3 scans are still in the buffer.
    services.act_on_licence(licence.id, "suspend", "整改期内暂停", date.today(), staff_user())
    assert _scan_count(client, certificate.token) == 1  # the database knows none yet, the new entry one
    assert verify_cache.buffer_for(app, db.engine, 3600).flush() == 4
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).scan_count == 4
    assert _scan_count(client, certificate.token) == 5


def test_a_process_that_has_not_flushed_for_a_while_re_reads_the_count(app, monkeypatch):
    _licence, certificate = make_certified_licence()
    app.config.update(SCAN_FLUSH_SECONDS=3600, VERIFY_EPOCH_CHECK_SECONDS=3600)
    client = app.test_client()
    assert _scan_count(client, certificate.token) == 1
    with db.engine.begin() as conn:  # another worker's flush of 5 scans
        conn.execute(db.update(Certificate).where(Certificate.id == certificate.id)
                     .values(scan_count=Certificate.scan_count + 5))
    assert _scan_count(client, certificate.token) == 2  # fresh enough: ours only
    monkeypatch.setattr(verify_cache, "COUNTS_MAX_AGE_SECONDS", 0.0)
    # Too old now: the count is read again, with this process's 2 unwritten scans and this one on top.
    assert _scan_count(client, certificate.token) == 8
