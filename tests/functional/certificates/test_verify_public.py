"""GET /V/<TOKEN> and /api/v1/verify/<TOKEN>: signature first, then the live status (SPEC §5)."""
from __future__ import annotations

import base64
import re
from datetime import date, timedelta

import pytest

from infra.db import db
from tests.builders import make_certified_licence, staff_user
from certificates import services as certs
from trademark import services
from certificates.models import Certificate, Scan
from certificates.tokens import Claims, generate_key, sign_token

TODAY = date.today()


@pytest.fixture
def certified(app):
    # Granted on TODAY, the day the tests act on: a run that crosses midnight keeps one day.
    return make_certified_licence(1, TODAY)


def page(client, token):
    response = client.get(f"/V/{token}")
    assert response.status_code in (200, 404), response.status_code
    return response.get_data(as_text=True)


def status_word(html: str) -> str:
    return re.search(r'<div class="st [a-z_]+" role="status">.*?<b>([^<]+)</b>', html, re.S).group(1)


def api(client, token) -> dict:
    response = client.get(f"/api/v1/verify/{token}")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def test_a_genuine_current_certificate_shows_valid_with_every_fact(client, certified):
    licence, certificate = certified
    html = page(client, certificate.token)
    assert status_word(html) == "有效"
    for fact in (licence.firm.name, licence.firm.uscc, licence.mark.name, "L-100", "Q/ZSSJ 001", "2012",
                 str(certificate.issued_on), str(certificate.expires_on), "授权", "举报疑似假冒", "官方核验网址",
                 "LOCALHOST".lower(), "已被核验 1 次"):
        assert fact in html, fact
    body = api(client, certificate.token)
    assert body["status"] == "valid"
    assert body["firm"] == {"name": licence.firm.name, "uscc": licence.firm.uscc}
    assert body["scope"] == ["L-100"]
    assert body["standard"] == {"code": "Q/ZSSJ 001", "version": "2012"}
    assert body["scans"]["count"] == 2 and body["scans"]["first_at"]
    assert body["decisions"][0]["what"] == "授权"
    assert body["surveillance"] is None  # only a type inspection so far


def test_the_latest_surveillance_date_and_verdict_are_shown(client, certified):
    from tests.builders import lock_inspection

    licence, certificate = certified
    lock_inspection(licence.firm, TODAY, type="surveillance", sampled_on=TODAY - timedelta(days=2))
    body = api(client, certificate.token)
    assert body["surveillance"] == {"date": (TODAY - timedelta(days=2)).isoformat(), "verdict": "pass"}
    assert "抽检合格" in page(client, certificate.token)


def test_a_lower_case_token_is_the_same_token(client, certified):
    _licence, certificate = certified
    assert status_word(page(client, certificate.token.lower())) == "有效"
    assert api(client, certificate.token.lower())["certificate_no"] == certificate.serial
    assert status_word(page(client.application.test_client(), certificate.token)) == "有效"
    db.session.refresh(certificate)
    assert certificate.scan_count == 3


def _flip_one(token: str) -> str:
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


def _renumbered(token: str) -> str:
    raw = bytearray(base64.b32decode(token + "=" * (-len(token) % 8)))
    raw[6] = ord("X") if raw[6] != ord("X") else ord("Y")  # first byte of the certificate number
    return base64.b32encode(bytes(raw)).decode().rstrip("=")


def _other_version(token: str) -> str:
    raw = bytearray(base64.b32decode(token + "=" * (-len(token) % 8)))
    raw[0] = 2
    return base64.b32encode(bytes(raw)).decode().rstrip("=")


def _unknown_key(certificate) -> str:
    kid, key = generate_key()
    return sign_token(Claims(1, kid, certificate.serial, certificate.licence.firm.uscc, certificate.issued_on,
                             certificate.expires_on), key)


@pytest.mark.parametrize("tamper", ["one_character", "renumbered", "unknown_key", "truncated", "wrong_version",
                                    "garbage", "not_base32", "too_long", "chinese", "empty_ish", "padding"])
def test_altered_or_foreign_tokens_are_not_genuine_and_never_an_error(client, certified, tamper):
    _licence, certificate = certified
    token = certificate.token
    forged = {
        "one_character": lambda: _flip_one(token),
        "renumbered": lambda: _renumbered(token),
        "unknown_key": lambda: _unknown_key(certificate),
        "truncated": lambda: token[:-7],
        "wrong_version": lambda: _other_version(token),
        "garbage": lambda: "HELLOWORLD",
        "not_base32": lambda: "1890!!~~",
        "too_long": lambda: "A" * 5000,
        "chinese": lambda: "证书",
        "empty_ish": lambda: "%20",
        "padding": lambda: token + "====",
    }[tamper]()
    html = page(client, forged)
    assert status_word(html) == "非本系统签发"
    assert certificate.licence.firm.name not in html
    assert api(client, forged) == {"status": "not_genuine", "status_label": "非本系统签发",
                                   "official_domain": "localhost"}


def test_a_suspended_licence_shows_suspended_with_reason_and_since(client, certified):
    licence, certificate = certified
    services.act_on_licence(licence.id, "suspend", "监督抽查A类不合格，责令整改", TODAY, staff_user())
    html = page(client, certificate.token)
    assert status_word(html) == "暂停"
    assert "监督抽查A类不合格，责令整改" in html and f"自 {TODAY} 起" in html
    body = api(client, certificate.token)
    assert (body["status"], body["since"], body["reason"]) == ("suspended", TODAY.isoformat(),
                                                               "监督抽查A类不合格，责令整改")
    assert [d["what"] for d in body["decisions"]] == ["暂停", "授权"]


def test_a_revoked_licence_shows_revoked(client, certified):
    licence, certificate = certified
    services.act_on_licence(licence.id, "revoke", "拒绝监督抽样", TODAY, staff_user())
    assert status_word(page(client, certificate.token)) == "已撤销"
    body = api(client, certificate.token)
    assert (body["status"], body["reason"]) == ("revoked", "拒绝监督抽样")


def test_an_expired_certificate_shows_expired(app, client):
    _licence, certificate = make_certified_licence(1, granted=TODAY - timedelta(days=3 * 366 + 10))
    assert certificate.expires_on < TODAY
    assert status_word(page(client, certificate.token)) == "已过期"
    assert api(client, certificate.token)["status"] == "expired"


def test_a_token_of_a_compromised_key_asks_for_re_issue(client, certified):
    _licence, certificate = certified
    certs.key_store().compromise(certificate.kid)
    html = page(client, certificate.token)
    assert status_word(html) == "需重新签发"
    assert certificate.licence.firm.name not in html  # the key may have signed anything
    assert api(client, certificate.token)["status"] == "reissue_required"


def test_a_superseded_certificate_says_so_and_points_to_the_new_one(client, certified):
    licence, old = certified
    new = certs.reissue(licence.id, TODAY, "原证书遗失")
    assert new.serial == f"{licence.number}-R1" and old.superseded_by_id == new.id
    html = page(client, old.token)
    assert status_word(html) == "需重新签发"
    assert f"已被新证书 <b>{new.serial}</b> 取代" in html
    assert f'href="HTTP://LOCALHOST/V/{new.token}"' in html
    body = api(client, old.token)
    assert body["superseded_by"] == {"certificate_no": new.serial, "verify_url": f"HTTP://LOCALHOST/V/{new.token}"}
    assert status_word(page(client, new.token)) == "有效"


def test_the_page_is_small_self_contained_and_without_scripts(client, certified):
    _licence, certificate = certified
    response = client.get(f"/V/{certificate.token}")
    html = response.get_data(as_text=True)
    assert len(response.data) < 30 * 1024
    assert "<script" not in html and "<link" not in html and " src=" not in html
    assert not re.search(r"(https?:)?//", html.replace("HTTP://LOCALHOST", ""), re.I)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_every_scan_is_logged_with_the_network_prefix_only(client, certified):
    _licence, certificate = certified
    client.get(f"/V/{certificate.token}", environ_base={"REMOTE_ADDR": "203.0.113.77"},
               headers={"User-Agent": "Mozilla/5.0 (iPhone) AppleWebKit Mobile MicroMessenger/8.0.49"})
    client.get(f"/api/v1/verify/{certificate.token}", environ_base={"REMOTE_ADDR": "2001:db8:1234:5678::1"})
    client.get(f"/V/{_flip_one(certificate.token)}", environ_base={"REMOTE_ADDR": "198.51.100.9"})
    scans = db.session.execute(db.select(Scan).order_by(Scan.id)).scalars().all()
    assert [(s.ip_prefix, s.agent_family, s.outcome, s.certificate_id) for s in scans] == [
        ("203.0.113.0/24", "WeChat", "valid", certificate.id),
        ("2001:db8:1234::/48", "other", "valid", certificate.id),
        ("198.51.100.0/24", "other", "not_genuine", None),
    ]
    db.session.refresh(certificate)
    assert certificate.scan_count == 2 and certificate.first_scan_at is not None


def test_a_certificate_unknown_to_the_database_is_not_genuine(client, certified):
    _licence, certificate = certified
    token = certificate.token
    db.session.execute(db.update(Certificate).where(Certificate.id == certificate.id).values(serial="GONE-1"))
    db.session.commit()
    assert api(client, token)["status"] == "not_genuine"
