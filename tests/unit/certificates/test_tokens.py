import base64
import json
import stat
from datetime import date, datetime, timezone

import pytest

from certificates.tokens import (
    ENV_SIGNING_KEY,
    Claims,
    KeyStatus,
    KeyStore,
    KeyStoreError,
    TokenError,
    TokenInvalid,
    generate_key,
    is_qr_alphanumeric,
    kid_for,
    load_public_file,
    private_key_from_pem,
    private_key_to_pem,
    public_key_from_b64,
    public_key_to_b64,
    sign_token,
    signing_key_from_env,
    verify_token,
    verify_url,
)

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)


def make_claims(kid, **overrides):
    fields = dict(
        version=1,
        kid=kid,
        certificate_no="ZSSJ-2026-000123",
        uscc="91442000MA4UL3XK1X",
        issued_on=date(2026, 1, 5),
        expires_on=date(2029, 1, 4),
    )
    fields.update(overrides)
    return Claims(**fields)


@pytest.fixture(scope="module")
def signer():
    kid, key = generate_key()
    return kid, key, {kid: key.public_key()}


def flip(token, index):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    ch = token[index]
    return token[:index] + alphabet[(alphabet.index(ch) + 1) % 32] + token[index + 1 :]


def test_a_signed_token_verifies_to_the_same_claims(signer):
    kid, key, keys = signer
    claims = make_claims(kid)
    token = sign_token(claims, key)
    assert verify_token(token, keys) == claims


def test_the_token_is_unpadded_upper_case_base32(signer):
    kid, key, _ = signer
    token = sign_token(make_claims(kid), key)
    assert "=" not in token
    assert token == token.upper()
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    # 44 bytes of payload for a 16-character number, 64 of signature
    assert len(base64.b32decode(token + "=" * (-len(token) % 8))) == 44 + 64


def test_a_lower_case_token_with_whitespace_verifies(signer):
    kid, key, keys = signer
    token = sign_token(make_claims(kid), key)
    assert verify_token(f"  {token.lower()}\n", keys).certificate_no == "ZSSJ-2026-000123"


@pytest.mark.parametrize("index", [0, 3, 10, 40, 90, 150, -2, -1])
def test_one_changed_character_is_refused(signer, index):
    kid, key, keys = signer
    token = sign_token(make_claims(kid), key)
    with pytest.raises(TokenInvalid):
        verify_token(flip(token, index), keys)


def test_a_changed_certificate_number_under_the_old_signature_is_refused(signer):
    kid, key, keys = signer
    raw = base64.b32decode(sign_token(make_claims(kid), key) + "===")
    forged = raw.replace(b"ZSSJ-2026-000123", b"ZSSJ-2026-000124")
    assert forged != raw
    token = base64.b32encode(forged).decode().rstrip("=")
    with pytest.raises(TokenInvalid) as excinfo:
        verify_token(token, keys)
    assert excinfo.value.reason is TokenError.SIGNATURE


def test_a_token_of_an_unknown_key_is_refused(signer):
    kid, key, _ = signer
    other_kid, other_key = generate_key()
    token = sign_token(make_claims(kid), key)
    with pytest.raises(TokenInvalid) as excinfo:
        verify_token(token, {other_kid: other_key.public_key()})
    assert excinfo.value.reason is TokenError.UNKNOWN_KEY


def test_a_key_that_claims_another_kid_does_not_verify(signer):
    kid, key, _ = signer
    _, other_key = generate_key()
    token = sign_token(make_claims(kid), key)
    with pytest.raises(TokenInvalid) as excinfo:
        verify_token(token, {kid: other_key.public_key()})
    assert excinfo.value.reason is TokenError.SIGNATURE


def test_an_unknown_version_is_refused(signer):
    kid, key, keys = signer
    raw = bytearray(base64.b32decode(sign_token(make_claims(kid), key) + "==="))
    raw[0] = 2
    with pytest.raises(TokenInvalid) as excinfo:
        verify_token(base64.b32encode(bytes(raw)).decode().rstrip("="), keys)
    assert excinfo.value.reason is TokenError.VERSION


@pytest.mark.parametrize("cut", [1, 8, 64, 100])
def test_a_truncated_token_is_refused(signer, cut):
    kid, key, keys = signer
    token = sign_token(make_claims(kid), key)
    with pytest.raises(TokenInvalid):
        verify_token(token[:-cut], keys)


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "hello world", "!!!!", "A" * 173, "0189", "ÄÖÜ" * 60, "V/" + "A" * 170, "A" * 5000],
)
def test_garbage_is_refused_without_any_other_error(signer, garbage):
    _, _, keys = signer
    with pytest.raises(TokenInvalid):
        verify_token(garbage, keys)


def test_a_token_with_a_set_padding_bit_is_refused(signer):
    kid, key, keys = signer
    token = sign_token(make_claims(kid), key)
    # 108 bytes use 864 of the last character's bits: the 865th is padding, must stay zero
    assert len(token) * 5 - 108 * 8 == 1
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    tail = alphabet[alphabet.index(token[-1]) ^ 1]
    with pytest.raises(TokenInvalid) as excinfo:
        verify_token(token[:-1] + tail, keys)
    assert excinfo.value.reason is TokenError.MALFORMED


def test_the_verify_url_fits_qr_alphanumeric_mode(signer):
    kid, key, _ = signer
    url = verify_url("HTTPS://MARK.EXAMPLE.ORG/", sign_token(make_claims(kid), key))
    assert url.startswith("HTTPS://MARK.EXAMPLE.ORG/V/")
    assert is_qr_alphanumeric(url)


def test_qr_alphanumeric_rejects_lower_case_and_other_characters():
    assert is_qr_alphanumeric("0-9 A-Z $%*+-./:")
    assert not is_qr_alphanumeric("https://mark.example.org")
    assert not is_qr_alphanumeric("HTTPS://X.ORG/V/?A=1")


def test_signing_refuses_claims_that_do_not_fit(signer):
    kid, key, _ = signer
    with pytest.raises(ValueError):
        sign_token(make_claims(kid, uscc="123"), key)
    with pytest.raises(ValueError):
        sign_token(make_claims(kid, issued_on=date(1999, 12, 31)), key)
    with pytest.raises(ValueError):
        sign_token(make_claims("00000000"), key)


def test_keys_survive_pem_and_base64_round_trips():
    kid, key = generate_key()
    assert kid_for(private_key_from_pem(private_key_to_pem(key)).public_key()) == kid
    raw = public_key_to_b64(key.public_key())
    assert "=" not in raw and len(raw) == 43
    assert kid_for(public_key_from_b64(raw)) == kid
    assert len(kid) == 8 and int(kid, 16) >= 0


@pytest.mark.parametrize("form", ["pem", "b64"])
def test_a_signing_key_can_come_from_the_environment(form):
    kid, key = generate_key()
    from cryptography.hazmat.primitives import serialization

    if form == "pem":
        value = private_key_to_pem(key).decode()
    else:
        seed = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        value = base64.b64encode(seed).decode()
    env_kid, env_key = signing_key_from_env({ENV_SIGNING_KEY: value})
    assert env_kid == kid
    assert kid_for(env_key.public_key()) == kid
    assert signing_key_from_env({}) is None


def test_a_new_key_becomes_active_and_the_previous_one_retires(tmp_path):
    store = KeyStore(tmp_path / "keys")
    first = store.generate(NOW)
    second = store.generate(NOW.replace(minute=31))
    statuses = {info.kid: info.status for info in store.list()}
    assert statuses == {first: KeyStatus.RETIRED, second: KeyStatus.ACTIVE}
    kid, key = store.active_private_key()
    assert kid == second
    token = sign_token(make_claims(kid), key)
    keys = {k: pub for k, (pub, _) in store.public_keys().items()}
    assert verify_token(token, keys).kid == second


def test_private_key_files_are_readable_by_the_owner_only(tmp_path):
    store = KeyStore(tmp_path / "keys")
    kid = store.generate(NOW)
    mode = stat.S_IMODE((tmp_path / "keys" / f"{kid}.pem").stat().st_mode)
    assert mode == 0o600
    assert "PRIVATE" not in json.dumps(store.export_public())
    assert "PRIVATE" not in (tmp_path / "keys" / "keys.json").read_text()


def test_a_retired_key_still_verifies_but_no_longer_signs(tmp_path):
    store = KeyStore(tmp_path)
    kid = store.generate(NOW)
    _, key = store.active_private_key()
    token = sign_token(make_claims(kid), key)
    store.retire(kid)
    with pytest.raises(KeyStoreError):
        store.active_private_key()
    pub, status = store.public_keys()[kid]
    assert status is KeyStatus.RETIRED
    assert verify_token(token, {kid: pub}).kid == kid


def test_a_compromised_key_is_marked_and_stays_compromised(tmp_path):
    store = KeyStore(tmp_path)
    kid = store.generate(NOW)
    store.compromise(kid)
    assert store.public_keys()[kid][1] is KeyStatus.COMPROMISED
    with pytest.raises(KeyStoreError):
        store.retire(kid)
    with pytest.raises(KeyStoreError):
        store.active_private_key()
    with pytest.raises(KeyStoreError):
        store.compromise("00000000")


def test_the_public_export_reads_back_for_offline_verification(tmp_path):
    store = KeyStore(tmp_path / "keys")
    old = store.generate(NOW)
    new = store.generate(NOW)
    store.compromise(old)
    document = store.export_public()
    assert {entry["kid"] for entry in document["keys"]} == {old, new}
    for entry in document["keys"]:
        assert set(entry) == {"kid", "alg", "public_key", "status"}
        assert entry["alg"] == "Ed25519"
    path = tmp_path / "alliancemark-keys.json"
    path.write_text(json.dumps(document))
    loaded = load_public_file(path)
    assert loaded[old][1] is KeyStatus.COMPROMISED
    assert loaded[new][1] is KeyStatus.ACTIVE
    kid, key = store.active_private_key()
    token = sign_token(make_claims(kid), key)
    assert verify_token(token, {k: pub for k, (pub, _) in loaded.items()}).kid == new


def test_a_published_key_whose_kid_does_not_match_is_rejected(tmp_path):
    kid, key = generate_key()
    path = tmp_path / "keys.json"
    entry = {"kid": "00000000", "alg": "Ed25519", "public_key": public_key_to_b64(key.public_key()),
             "status": "active"}
    path.write_text(json.dumps({"keys": [entry]}))
    with pytest.raises(KeyStoreError):
        load_public_file(path)


def test_an_environment_key_is_adopted_without_writing_it_to_disk(tmp_path):
    store = KeyStore(tmp_path)
    store.generate(NOW)
    kid, key = generate_key()
    env = {ENV_SIGNING_KEY: private_key_to_pem(key).decode()}
    with pytest.raises(KeyStoreError):
        store.active_private_key(env)  # not published yet
    assert store.adopt(key, NOW) == kid
    assert not (tmp_path / f"{kid}.pem").exists()
    assert store.active_private_key(env)[0] == kid
