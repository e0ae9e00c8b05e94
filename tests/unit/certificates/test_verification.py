"""The status a scanned certificate shows (SPEC §5), decided by the pure trademark.verification."""
import itertools
from datetime import date, timedelta

import pytest

from trademark.rules import LicenceStatus
from certificates.verification import WORDS, WORDS_EN, VerificationStatus, live_status, verification_status

TODAY = date(2025, 5, 20)
EXPIRES = date(2027, 1, 9)  # the certificate's last valid day
V = VerificationStatus


def status(*, signature_ok=True, key_status="active", certificate_found=True,
           certificate_superseded=False, licence_status="active", expires_on=EXPIRES,
           today=TODAY):
    return verification_status(signature_ok=signature_ok, key_status=key_status,
                               certificate_found=certificate_found,
                               certificate_superseded=certificate_superseded,
                               licence_status=licence_status, expires_on=expires_on, today=today)


# -- the token --------------------------------------------------------------------------------

@pytest.mark.parametrize("key_status", ["active", "retired", "compromised", None])
@pytest.mark.parametrize("licence_status", ["active", "revoked"])
def test_a_token_whose_signature_fails_is_not_genuine_whatever_it_claims(key_status,
                                                                          licence_status):
    assert status(signature_ok=False, key_status=key_status,
                  licence_status=licence_status) == V.NOT_GENUINE


def test_a_token_of_a_compromised_key_needs_re_issue():
    assert status(key_status="compromised") == V.REISSUE_REQUIRED


@pytest.mark.parametrize(("found", "licence_status", "superseded"), [
    (False, None, False), (True, "revoked", False), (True, "expired", True),
    (True, "refused", False),
])
def test_a_compromised_key_is_decided_before_anything_its_token_claims(found, licence_status,
                                                                      superseded):
    assert status(key_status="compromised", certificate_found=found,
                  licence_status=licence_status, certificate_superseded=superseded,
                  expires_on=None) == V.REISSUE_REQUIRED


@pytest.mark.parametrize("licence_status", list(LicenceStatus))
@pytest.mark.parametrize("superseded", [False, True])
@pytest.mark.parametrize("today", [TODAY, EXPIRES + timedelta(days=1)])
def test_a_retired_key_verifies_what_it_signed_like_the_active_key(licence_status, superseded,
                                                                    today):
    facts = dict(licence_status=licence_status, certificate_superseded=superseded, today=today)
    assert status(key_status="retired", **facts) == status(key_status="active", **facts)


@pytest.mark.parametrize("key_status", [None, "lost", ""])
def test_a_good_signature_from_a_key_of_unknown_status_is_not_genuine(key_status):
    assert status(key_status=key_status) == V.NOT_GENUINE


def test_a_genuine_token_without_its_certificate_is_not_genuine():
    assert status(certificate_found=False, licence_status=None, expires_on=None) == V.NOT_GENUINE


# -- the licence ------------------------------------------------------------------------------

def test_an_active_licence_within_its_validity_is_valid():
    assert status() == V.VALID


def test_an_active_licence_is_valid_through_the_certificates_last_day():
    assert status(today=EXPIRES) == V.VALID


@pytest.mark.parametrize("licence_status", ["active", "suspended"])
def test_a_licence_in_use_past_the_certificates_last_day_shows_expired(licence_status):
    # The sweep has not recorded the expiry (X9) yet: the date decides.
    assert status(licence_status=licence_status,
                  today=EXPIRES + timedelta(days=1)) == V.EXPIRED


def test_a_suspended_licence_shows_suspended():
    assert status(licence_status="suspended") == V.SUSPENDED


def test_a_revoked_licence_shows_revoked():
    assert status(licence_status="revoked") == V.REVOKED
    assert status(licence_status="revoked", today=EXPIRES + timedelta(days=1)) == V.REVOKED


def test_a_surrendered_licence_shows_revoked():
    assert status(licence_status="surrendered") == V.REVOKED


def test_an_expired_licence_shows_expired_even_before_the_certificates_last_day():
    assert status(licence_status="expired") == V.EXPIRED


@pytest.mark.parametrize("licence_status", ["applied", "refused", "lost", None])
def test_a_certificate_of_a_licence_never_in_use_is_not_genuine(licence_status):
    assert status(licence_status=licence_status) == V.NOT_GENUINE


def test_a_licence_in_use_needs_the_certificates_expiry_date():
    with pytest.raises(ValueError):
        status(expires_on=None)


# -- a superseded certificate -----------------------------------------------------------------

@pytest.mark.parametrize("licence_status", ["active", "suspended"])
def test_a_superseded_certificate_of_a_licence_in_use_needs_re_issue(licence_status):
    assert status(licence_status=licence_status,
                  certificate_superseded=True) == V.REISSUE_REQUIRED


@pytest.mark.parametrize(("licence_status", "shown"), [
    ("revoked", V.REVOKED), ("surrendered", V.REVOKED), ("expired", V.EXPIRED),
    ("refused", V.NOT_GENUINE), ("applied", V.NOT_GENUINE),
])
def test_a_superseded_certificate_of_a_finished_licence_shows_the_licence(licence_status, shown):
    assert status(licence_status=licence_status, certificate_superseded=True) == shown


def test_a_superseded_certificate_past_its_last_day_shows_expired():
    assert status(certificate_superseded=True, today=EXPIRES + timedelta(days=1)) == V.EXPIRED


# -- the live status alone (the page's "since" and "reason" follow it) ------------------------

def test_the_live_status_ignores_supersession():
    assert live_status("suspended", EXPIRES, TODAY) == V.SUSPENDED
    assert live_status("surrendered", None, TODAY) == V.REVOKED


# -- the same answers as certificates.lookup --------------------------------------------------

def lookup_as_it_was(signature_ok, key_status, found, superseded, licence_status, expires_on,
                     today):
    """certificates.lookup and _live_status before this module, transcribed."""
    if not signature_ok:
        return "not_genuine"  # check_token gave no claims
    if key_status == "compromised":
        return "reissue_required"
    if not found:
        return "not_genuine"
    if licence_status == "active":
        live = "expired" if expires_on < today else "valid"
    elif licence_status == "suspended":
        live = "expired" if expires_on < today else "suspended"
    elif licence_status in ("revoked", "surrendered"):
        live = "revoked"
    elif licence_status == "expired":
        live = "expired"
    else:
        return "not_genuine"
    if superseded and live in ("valid", "suspended"):
        return "reissue_required"
    return live


def test_every_combination_gives_the_answer_the_lookup_gave():
    days = [EXPIRES - timedelta(days=1), EXPIRES, EXPIRES + timedelta(days=1)]
    combinations = itertools.product([True, False], ["active", "retired", "compromised"],
                                     [True, False], [True, False],
                                     [*LicenceStatus, "lost"], days)
    count = 0
    for signature_ok, key, found, superseded, licence_status, today in combinations:
        got = status(signature_ok=signature_ok, key_status=key, certificate_found=found,
                     certificate_superseded=superseded, licence_status=licence_status,
                     today=today)
        want = lookup_as_it_was(signature_ok, key, found, superseded, licence_status, EXPIRES,
                                today)
        assert got == want, (signature_ok, key, found, superseded, licence_status, today)
        count += 1
    assert count == 2 * 3 * 2 * 2 * 8 * 3


# -- words ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("shown", "zh", "en"), [
    (V.VALID, "有效", "valid"),
    (V.SUSPENDED, "暂停", "suspended"),
    (V.REVOKED, "已撤销", "revoked"),
    (V.EXPIRED, "已过期", "expired"),
    (V.NOT_GENUINE, "非本系统签发", "not genuine"),
    (V.REISSUE_REQUIRED, "需重新签发", "re-issue required"),
])
def test_each_status_has_the_words_of_the_spec(shown, zh, en):
    assert (shown.word, shown.word_en) == (zh, en)


def test_the_statuses_are_those_of_the_verify_api():
    assert [str(s) for s in V] == ["valid", "suspended", "revoked", "expired", "not_genuine",
                                   "reissue_required"]
    assert set(WORDS) == set(WORDS_EN) == set(V)
