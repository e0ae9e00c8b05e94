"""Commands for signing keys and offline token checks (SPEC §5)."""
from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app

from certificates import services as certs
from certificates.tokens import KeyStatus, KeyStoreError, TokenInvalid, load_public_file, verify_token
from infra import clock


@click.group("keys")
def keys_group():
    """Certificate signing keys: generate, list, retire KID, compromise KID."""


@keys_group.command("generate")
def keys_generate():
    """Create a new signing key; it becomes the active one and the previous one retires."""
    kid = certs.key_store().generate(clock.utcnow())
    click.echo(f"generated {kid} (active); private key in {current_app.config['KEYS_DIR']}/{kid}.pem, mode 0600")


@keys_group.command("list")
def keys_list():
    """List every key: KID, status, created, where its private half is."""
    rows = certs.key_store().list()
    if not rows:
        click.echo("no keys yet (one is generated when the first certificate is issued)")
    for info in rows:
        where = "file" if info.has_private_key else "no private key here"
        click.echo(f"{info.kid}  {info.status:<11}  {info.created_at}  {where}")


def _set_status(kid: str, action) -> None:
    try:
        action(kid)
    except KeyStoreError as err:
        raise click.ClickException(str(err)) from None


@keys_group.command("retire")
@click.argument("kid")
def keys_retire(kid):
    """Stop signing with KID; what it signed still verifies."""
    _set_status(kid, certs.key_store().retire)
    click.echo(f"{kid} retired")


@keys_group.command("compromise")
@click.argument("kid")
@click.option("--reissue", is_flag=True, help="Re-issue every current certificate it signed with a new key.")
def keys_compromise(kid, reissue):
    """Mark KID compromised: its tokens show 需重新签发 (re-issue required)."""
    _set_status(kid, certs.key_store().compromise)
    click.echo(f"{kid} compromised: its certificates now verify as 需重新签发 / re-issue required")
    if reissue:
        done = certs.reissue_for_key(kid, clock.today())
        click.echo(f"re-issued {len(done)} certificates")


@click.command("verify-token")
@click.argument("token")
@click.option("--keys", "keys_file", type=click.Path(exists=True, dir_okay=False),
              help="Published keys JSON (as served at /.well-known/alliancemark-keys.json).")
def verify_token_command(token, keys_file):
    """Check a token offline with public keys only (no database); print its signed claims.

    Exit status: 0 genuine, 1 not genuine, 2 genuine but its key is compromised (re-issue required).
    """
    try:
        keys = load_public_file(keys_file) if keys_file else certs.key_store().public_keys()
    except KeyStoreError as err:
        raise click.ClickException(str(err)) from None
    try:
        claims = verify_token(certs.normalise_token(token), {kid: key for kid, (key, _s) in keys.items()})
    except TokenInvalid as err:
        click.echo(f"非本系统签发 / not genuine ({err.reason})")
        sys.exit(1)
    status = keys[claims.kid][1]
    click.echo(json.dumps({"version": claims.version, "kid": claims.kid, "key_status": str(status),
                           "certificate_no": claims.certificate_no, "uscc": claims.uscc,
                           "issued_on": claims.issued_on.isoformat(), "expires_on": claims.expires_on.isoformat()},
                          ensure_ascii=False, indent=2))
    if status == KeyStatus.COMPROMISED:
        click.echo("需重新签发 / re-issue required: the signing key is compromised")
        sys.exit(2)
    click.echo("签名有效 / signature valid (the live status is on the verification page)")


def register(app: Flask) -> None:
    """Add `keys` and `verify-token`."""
    app.cli.add_command(keys_group)
    app.cli.add_command(verify_token_command)
