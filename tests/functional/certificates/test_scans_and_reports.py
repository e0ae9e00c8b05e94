"""Clone flags from scans, reports of suspected fakes, and the rate limits."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from infra.clock import utcnow
from infra.db import db
from tests.builders import login, make_certified_licence, staff_user
from tests.conftest import make_app
from certificates import services as certs
from certificates.models import FakeReport, Scan


def png(size=(20, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _scan(certificate, network: int, minutes_ago: int):
    db.session.add(Scan(certificate_id=certificate.id, at=utcnow() - timedelta(minutes=minutes_ago),
                        ip_prefix=f"10.{network}.0.0/24", agent_family="WeChat", outcome="valid"))


def test_certificates_scanned_from_many_networks_at_once_are_flagged(app, client):
    _l1, copied = make_certified_licence(1)
    _l2, normal = make_certified_licence(2)
    for n in range(6):
        _scan(copied, n, minutes_ago=n * 5)
    for n in range(3):
        _scan(normal, n, minutes_ago=n)
    _scan(normal, 9, minutes_ago=60 * 48)  # outside the window
    db.session.commit()
    assert [s.serial for s in certs.suspected_clones(utcnow(), timedelta(hours=24), 5)] == [copied.serial]
    assert [s.networks for s in certs.suspected_clones(utcnow(), timedelta(hours=1), 3)] == [6, 3]
    staff_user("staff1")
    login(client, "staff1")
    html = client.get("/certificates").get_data(as_text=True)
    flagged = html.split("疑似被复制的证书")[1].split("<h2>")[0]
    assert copied.serial in flagged and normal.serial not in flagged
    scans = client.get(f"/certificates/{copied.id}/scans").get_data(as_text=True)
    assert "10.3.0.0/24" in scans


def test_a_report_of_a_suspected_fake_lands_in_the_staff_queue(app, client):
    _licence, certificate = make_certified_licence(1)
    response = client.post(f"/V/{certificate.token.lower()}/report", data={
        "where_bought": "某电商平台 低价锁具店", "note": "包装粗糙", "photo": (io.BytesIO(png()), "p.png")},
        content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and "已收到" in response.get_data(as_text=True)
    garbage = client.post("/V/NOTATOKEN/report", data={"where_bought": "夜市地摊"})
    assert garbage.status_code == 303
    reports = db.session.execute(db.select(FakeReport).order_by(FakeReport.id)).scalars().all()
    assert [(r.certificate_id, r.photo_type) for r in reports] == [(certificate.id, "image/jpeg"), (None, None)]
    staff_user("staff1")
    login(client, "staff1")
    queue = client.get("/fake-reports").get_data(as_text=True)
    assert "某电商平台 低价锁具店" in queue and "夜市地摊" in queue
    photo = client.get(f"/fake-reports/{reports[0].id}/photo")
    assert photo.mimetype == "image/jpeg" and photo.data.startswith(b"\xff\xd8")  # re-encoded, without EXIF
    assert client.post(f"/fake-reports/{reports[0].id}/handle").status_code == 302
    assert "某电商平台" not in client.get("/fake-reports").get_data(as_text=True)


@pytest.mark.parametrize(("data", "message", "status"), [
    ({"where_bought": ""}, "请填写购买地点", 422),
    ({"where_bought": "店", "photo": (io.BytesIO(b"GIF89a not really"), "x.gif")}, "图片无法识别", 422),
    ({"where_bought": "店", "photo": b"\x89PNG" + b"0" * (10 * 1024 * 1024)}, "10 MB", 413),
])
def test_a_bad_report_is_refused_with_a_reason(app, client, data, message, status):
    if isinstance(data.get("photo"), bytes):
        # Encoded by hand: the test client spools a large body to a file it never closes.
        boundary = "----amtest"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"where_bought\"\r\n\r\n店\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"big.png\"\r\n"
                f"Content-Type: image/png\r\n\r\n").encode() + data["photo"] + f"\r\n--{boundary}--\r\n".encode()
        response = client.post("/V/ANYTHING/report", data=body,
                               content_type=f"multipart/form-data; boundary={boundary}")
    else:
        response = client.post("/V/ANYTHING/report", data=data, content_type="multipart/form-data")
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert db.session.execute(db.select(FakeReport)).first() is None


def test_rate_limits_answer_429(database_url, _schema, tmp_path):
    limited = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3/minute",
                       REPORT_RATE_LIMIT="2/minute", REGISTRY_RATE_LIMIT="2/minute")
    with limited.app_context():
        try:
            client = limited.test_client()
            scans = [client.get("/V/GARBAGE") for _ in range(4)]
            assert [r.status_code for r in scans] == [200, 200, 200, 429]
            # Issue 13: the Chinese phone-sized page, not a tiny plain-text answer.
            assert scans[-1].mimetype == "text/html" and "访问过于频繁" in scans[-1].get_data(as_text=True)
            api = [client.get("/api/v1/verify/GARBAGE") for _ in range(4)]
            assert [r.status_code for r in api] == [200, 200, 200, 429]
            assert api[-1].get_json()["error"]["code"] == "rate_limited"
            reports = [client.post("/V/X/report", data={"where_bought": "店"}) for _ in range(3)]
            assert [r.status_code for r in reports] == [303, 303, 429]
            assert "访问过于频繁" in reports[-1].get_data(as_text=True)  # not an English "Too Many Requests"
            assert [client.get("/registry?q=ab").status_code for _ in range(3)] == [200, 200, 429]
            other = client.get("/V/GARBAGE", environ_base={"REMOTE_ADDR": "192.0.2.1"})
            assert other.status_code == 200  # the limit is per client address
        finally:
            db.session.rollback()
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            db.session.remove()
            db.engine.dispose()  # this app's pool: close its connections now, not at GC
