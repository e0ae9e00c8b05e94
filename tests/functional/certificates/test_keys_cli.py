"""`keys generate | list | retire | compromise`, the published keys and offline `verify-token`."""
from __future__ import annotations

import json


from tests.conftest import make_app
from tests.builders import make_certified_licence
from certificates import services as certs


def test_key_commands_manage_the_signing_keys(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["keys", "generate"])
    assert first.exit_code == 0, first.output
    kid1 = first.output.split()[1]
    kid2 = runner.invoke(args=["keys", "generate"]).output.split()[1]
    listing = runner.invoke(args=["keys", "list"]).output
    assert f"{kid1}  retired" in listing and f"{kid2}  active" in listing
    assert runner.invoke(args=["keys", "retire", kid2]).exit_code == 0
    assert runner.invoke(args=["keys", "compromise", kid1]).exit_code == 0
    assert "unknown key" in runner.invoke(args=["keys", "retire", "deadbeef"]).output
    statuses = {k["kid"]: k["status"] for k in app.test_client().get(
        "/.well-known/alliancemark-keys.json").get_json()["keys"]}
    assert statuses == {kid1: "compromised", kid2: "retired"}


def test_the_published_keys_hold_no_private_material(app, client):
    make_certified_licence(1)
    body = client.get("/.well-known/alliancemark-keys.json").get_data(as_text=True)
    assert "PRIVATE" not in body and "BEGIN" not in body
    assert set(json.loads(body)["keys"][0]) == {"kid", "alg", "public_key", "status"}


def test_verify_token_checks_offline_with_public_keys_only(app, client, tmp_path, database_url):
    _licence, certificate = make_certified_licence(1)
    token, serial, uscc = certificate.token, certificate.serial, certificate.licence.firm.uscc
    keys_file = tmp_path / "keys.json"
    keys_file.write_bytes(client.get("/.well-known/alliancemark-keys.json").data)
    # No database at all: any query would fail.
    offline = make_app("sqlite:////nonexistent/dir/none.db", tmp_path / "elsewhere")
    runner = offline.test_cli_runner()
    with offline.app_context():
        ok = runner.invoke(args=["verify-token", token.lower(), "--keys", str(keys_file)])
        assert ok.exit_code == 0, ok.output
        assert f'"certificate_no": "{serial}"' in ok.output and uscc in ok.output
        forged = token[:-1] + ("A" if token[-1] != "A" else "B")
        bad = runner.invoke(args=["verify-token", forged, "--keys", str(keys_file)])
        assert bad.exit_code == 1 and "not genuine" in bad.output
        no_keys = runner.invoke(args=["verify-token", token])  # its own key dir is empty
        assert no_keys.exit_code == 1


def test_verify_token_reports_a_compromised_key(app, tmp_path):
    _licence, certificate = make_certified_licence(1)
    runner = app.test_cli_runner()
    runner.invoke(args=["keys", "compromise", certificate.kid])
    result = runner.invoke(args=["verify-token", certificate.token])
    assert result.exit_code == 2 and "re-issue required" in result.output


def test_compromise_with_reissue_signs_new_certificates_with_a_new_key(app, client):
    licence, old = make_certified_licence(1)
    result = app.test_cli_runner().invoke(args=["keys", "compromise", old.kid, "--reissue"])
    assert "re-issued 1 certificates" in result.output, result.output
    new = certs.current_certificate(licence)
    assert new.kid != old.kid
    assert client.get(f"/api/v1/verify/{new.token}").get_json()["status"] == "valid"
    assert client.get(f"/api/v1/verify/{old.token}").get_json()["status"] == "reissue_required"


def test_a_retired_key_still_verifies_what_it_signed(app, client):
    _licence, certificate = make_certified_licence(1)
    runner = app.test_cli_runner()
    runner.invoke(args=["keys", "generate"])
    assert client.get(f"/api/v1/verify/{certificate.token}").get_json()["status"] == "valid"
    _other, newer = make_certified_licence(2)
    assert newer.kid != certificate.kid


def test_an_environment_key_signs_and_is_published(app, client, monkeypatch):
    import base64

    from certificates.tokens import ENV_SIGNING_KEY, generate_key, kid_for
    from cryptography.hazmat.primitives import serialization

    kid, key = generate_key()
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    monkeypatch.setenv(ENV_SIGNING_KEY, base64.b64encode(seed).decode())
    _licence, certificate = make_certified_licence(1)
    assert certificate.kid == kid == kid_for(key.public_key())
    assert not list((__import__("pathlib").Path(app.config["KEYS_DIR"])).glob("*.pem"))
    assert client.get(f"/api/v1/verify/{certificate.token}").get_json()["status"] == "valid"
