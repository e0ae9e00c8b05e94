"""Public verification, registry and key routes; certificate printing; the key commands (SPEC §5).

The routes live on the area's existing blueprints: `trademark` (web) and `trademark_api` (JSON).
"""
from __future__ import annotations

import functools
import json
import sys
from datetime import date, timedelta

import click
from limits import parse_many
from flask import Flask, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from accounts.access import STAFF, allow, current_actor, public
from accounts.models import utcnow
from api import ApiError, error_responses
from extensions import csrf, limiter
from trademark import certificates as certs
from trademark import services
from trademark.api import bp as api_bp
from trademark.models import LICENCE_LABELS
from trademark.views import bp


def _limit(key: str, default: str):
    """A Flask-Limiter limit read from config at request time (e.g. VERIFY_RATE_LIMIT)."""
    return limiter.limit(lambda: current_app.config.get(key, default))


VERIFY_LIMIT_DEFAULT = "60/minute;600/hour"


@functools.lru_cache(maxsize=16)
def _parsed_limits(text: str) -> tuple:
    return tuple(parse_many(text))


def verify_rate_allowed(scope: str) -> bool:
    """Count this scan against VERIFY_RATE_LIMIT for the client's address; False once it is spent.

    The verify routes take every scan of every product. Flask-Limiter's decorator spends more per
    request on its bookkeeping than the verification itself, so these two routes hit the same
    limiter's strategy and storage (memory, or Redis by REDIS_URL) directly.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    text = current_app.config.get("VERIFY_RATE_LIMIT", VERIFY_LIMIT_DEFAULT)
    client = request.remote_addr or "127.0.0.1"
    return all(limiter.limiter.hit(item, scope, client) for item in _parsed_limits(text))


TOO_MANY = "核验过于频繁，请稍后再试 / too many verifications, try again later"
registry_limit = _limit("REGISTRY_RATE_LIMIT", "30/minute")
report_limit = _limit("REPORT_RATE_LIMIT", "5/hour")


def _client() -> certs.Client:
    return certs.Client(certs.ip_prefix(request.remote_addr), certs.agent_family(request.user_agent.string))


def _verification(token: str) -> tuple[certs.Verification, dict]:
    return certs.verify_and_log(token, date.today(), utcnow(), _client())


# --- public ----------------------------------------------------------------------------------


@bp.get("/V/<token>")
@bp.get("/v/<token>")
@public
def verify(token):
    if not verify_rate_allowed("verify-page"):
        return Response(TOO_MANY, status=429, mimetype="text/plain")
    v, memo = _verification(token)
    page = memo.get("page")
    if page is None:
        # Rendered once per cached status; only the scan facts differ from one scan to the next.
        page = memo["page"] = render_template("trademark/verify.html", v=v, domain=certs.official_domain(),
                                              words=certs.STATUS_WORDS, verdicts=certs.VERDICT_WORDS,
                                              scans=Markup(certs.SCANS_MARK))
    response = Response(page.replace(certs.SCANS_MARK, str(escape(certs.scans_text(v)))),
                        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the status is live
    return response


@bp.post("/V/<token>/report")
@public
@report_limit
def verify_report(token):
    photo = request.files.get("photo")
    data = None
    if photo is not None:
        with photo.stream:  # a large upload is a temporary file: close it now, not at GC
            data = photo.read(certs.PHOTO_MAX_BYTES + 1) if photo.filename else None
    try:
        certs.report_fake(token, request.form.get("where_bought", ""), request.form.get("note"), data, utcnow())
    except certs.CertificateError as err:
        return render_template("trademark/verify_reported.html", error=err.message, token=token,
                               domain=certs.official_domain()), err.status
    return render_template("trademark/verify_reported.html", error=None, token=token, domain=certs.official_domain())


# An anonymous report form: there is no session to ride on, and the limit keeps it from flooding.
csrf.exempt(verify_report)


@bp.get("/registry")
@public
@registry_limit
def registry():
    q = (request.args.get("q") or "").strip()[:100]
    rows = certs.search_registry(q)
    return render_template("trademark/registry.html", q=q, rows=rows, labels=LICENCE_LABELS)


@bp.get("/.well-known/alliancemark-keys.json")
@public
def keys_json():
    response = jsonify(certs.key_store().export_public())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@api_bp.get("/verify/<token>")
@public
def verify_api(token):
    if not verify_rate_allowed("verify-api"):
        raise ApiError(429, TOO_MANY)
    v, memo = _verification(token)
    memoised = memo.get("json")
    if memoised is None:
        # Serialised once per cached status, without the scan facts, which are spliced in per scan.
        body = v.as_json(certs.official_domain())
        with_scans = body.pop("scans", None) is not None
        memoised = memo["json"] = (json.dumps(body, ensure_ascii=False, separators=(",", ":")), with_scans)
    text, with_scans = memoised
    if with_scans:
        text = f'{text[:-1]},"scans":{json.dumps(certs.scans_json(v), separators=(",", ":"))}}}'
    response = Response(text, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


# --- certificates: print, re-issue (staff; firms their own) ----------------------------------


def _own_licence_or_403(licence_id: int, api: bool):
    try:
        licence = services.get_licence(licence_id)
    except services.FieldError as err:
        if api:
            raise ApiError(404, err.message) from None
        abort(404)
    actor = current_actor()
    if actor.role == "firm" and actor.firm_id != licence.firm_id:
        if api:
            raise ApiError(403, "企业用户只能查看本企业的证书 / not your licence")
        abort(403)
    return licence


def _pdf_response(licence_id: int, api: bool) -> Response:
    licence = _own_licence_or_403(licence_id, api)
    try:
        certificate = certs.printable(licence.id, date.today())
    except certs.CertificateError as err:
        if api:
            raise ApiError(err.status, err.message) from None
        abort(err.status)
    response = Response(certs.certificate_pdf(certificate), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{certificate.serial}.pdf"'
    return response


@api_bp.get("/licences/<int:licence_id>/certificate.pdf")
@allow(*STAFF, "firm")
def certificate_pdf_api(licence_id):
    return _pdf_response(licence_id, api=True)


@bp.get("/licences/<int:licence_id>/certificate.pdf")
@allow(*STAFF, "firm")
def certificate_pdf(licence_id):
    return _pdf_response(licence_id, api=False)


@bp.get("/licences/<int:licence_id>/certificates")
@allow(*STAFF)
def licence_certificates(licence_id):
    try:
        licence = services.get_licence(licence_id)
    except services.FieldError:
        abort(404)
    return render_template("trademark/certificates_licence.html", licence=licence,
                           rows=certs.licence_certificates(licence.id), verify_url=certs.verify_url_for)


@bp.post("/licences/<int:licence_id>/certificate/reissue")
@allow(*STAFF)
def certificate_reissue(licence_id):
    try:
        certificate = certs.reissue(licence_id, date.today())
    except services.FieldError:
        abort(404)
    except certs.CertificateError as err:
        flash(err.message, "error")
    else:
        flash(f"已换发证书 {certificate.serial}，原证书已作废并指向新证书。")
    return redirect(url_for("trademark.licence_certificates", licence_id=licence_id))


@bp.get("/certificates")
@allow(*STAFF)
def certificates():
    q = (request.args.get("q") or "").strip()
    hours = max(1, min(request.args.get("hours", 24, type=int) or 24, 24 * 30))
    networks = max(2, request.args.get("networks", 5, type=int) or 5)
    suspects = certs.suspected_clones(utcnow(), timedelta(hours=hours), networks)
    return render_template("trademark/certificates.html", q=q, rows=certs.find_certificates(q), suspects=suspects,
                           hours=hours, networks=networks)


@bp.get("/certificates/<int:certificate_id>/scans")
@allow(*STAFF)
def certificate_scans(certificate_id):
    from extensions import db
    from trademark.models import Certificate

    certificate = db.session.get(Certificate, certificate_id) or abort(404)
    return render_template("trademark/certificate_scans.html", certificate=certificate,
                           scans=certs.recent_scans(certificate.id), verify_url=certs.verify_url_for)


@bp.get("/fake-reports")
@allow(*STAFF)
def fake_reports():
    handled = request.args.get("all") == "1"
    return render_template("trademark/certificate_reports.html", reports=certs.fake_reports(handled), all=handled)


@bp.get("/fake-reports/<int:report_id>/photo")
@allow(*STAFF)
def fake_report_photo(report_id):
    from extensions import db
    from trademark.models import FakeReport

    report = db.session.get(FakeReport, report_id)
    if report is None or not report.photo:
        abort(404)
    response = Response(report.photo, mimetype=report.photo_type or "application/octet-stream")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.post("/fake-reports/<int:report_id>/handle")
@allow(*STAFF)
def fake_report_handle(report_id):
    try:
        certs.handle_report(report_id, current_actor(), utcnow())
    except certs.CertificateError as err:
        abort(err.status)
    flash("已标记为已处理。")
    return redirect(url_for("trademark.fake_reports"))


# --- OpenAPI ---------------------------------------------------------------------------------

_S = {"type": "string"}
_TOKEN = {"name": "token", "in": "path", "required": True, "schema": _S,
          "description": "the certificate token (base32, case-insensitive)"}
OPENAPI_SCHEMAS = {"Verification": {"type": "object", "required": ["status", "status_label", "official_domain"],
                                    "properties": {
    "status": {"type": "string", "enum": [str(s) for s in certs.VerifyStatus]},
    "status_label": _S, "official_domain": _S, "certificate_no": _S,
    "firm": {"type": "object", "properties": {"name": _S, "uscc": _S}},
    "mark": {"type": "object", "properties": {"code": _S, "name": _S}},
    "alliance": _S, "scope": {"type": "array", "items": _S},
    "standard": {"type": "object", "properties": {"code": _S, "version": _S}},
    "validity": {"type": "object", "properties": {"issued_on": _S, "expires_on": _S}},
    "licence_status": _S, "since": {"type": "string", "nullable": True}, "reason": {"type": "string", "nullable": True},
    "superseded_by": {"type": "object", "nullable": True,
                      "properties": {"certificate_no": _S, "verify_url": _S}},
    "surveillance": {"type": "object", "nullable": True, "properties": {"date": _S, "verdict": _S}},
    "decisions": {"type": "array", "items": {"type": "object", "properties": {"date": _S, "what": _S, "reason": _S}}},
    "scans": {"type": "object", "properties": {"count": {"type": "integer"},
                                               "first_at": {"type": "string", "nullable": True}}},
}}}
OPENAPI_PATHS = {
    "/verify/{token}": {"get": {
        "summary": "Verify a certificate token (public; every call is logged as a scan)",
        "security": [], "parameters": [_TOKEN],
        "responses": {"200": {"description": "the live status; `not_genuine` for any malformed or forged token",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}}},
                      **error_responses(429)}}},
    "/licences/{id}/certificate.pdf": {"get": {
        "summary": "The licence's current certificate as PDF (staff; a firm its own)",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "A4 PDF", "content": {"application/pdf": {}}},
                      **error_responses(401, 403, 404)}}},
}


# --- CLI -------------------------------------------------------------------------------------


@click.group("keys")
def keys_group():
    """Certificate signing keys: generate, list, retire KID, compromise KID."""


@keys_group.command("generate")
def keys_generate():
    """Create a new signing key; it becomes the active one and the previous one retires."""
    kid = certs.key_store().generate(utcnow())
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
    from trademark.tokens import KeyStoreError

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
        done = certs.reissue_for_key(kid, date.today())
        click.echo(f"re-issued {len(done)} certificates")


@click.command("verify-token")
@click.argument("token")
@click.option("--keys", "keys_file", type=click.Path(exists=True, dir_okay=False),
              help="Published keys JSON (as served at /.well-known/alliancemark-keys.json).")
def verify_token_command(token, keys_file):
    """Check a token offline with public keys only (no database); print its signed claims.

    Exit status: 0 genuine, 1 not genuine, 2 genuine but its key is compromised (re-issue required).
    """
    from trademark.tokens import KeyStatus, KeyStoreError, TokenInvalid, load_public_file, verify_token

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


def register_cli(app: Flask) -> None:
    """Add `keys` and `verify-token`."""
    app.cli.add_command(keys_group)
    app.cli.add_command(verify_token_command)
