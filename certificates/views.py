"""Public verification, the registry and the published keys; staff pages for certificates (SPEC §5)."""
from __future__ import annotations

import functools
from pathlib import Path
from datetime import timedelta

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale, gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from limits import parse_many
from markupsafe import Markup, escape

from accounts.access import STAFF, allow, current_actor, public
from certificates import services as certs
from certificates.forms import ReissueForm
from infra import audit
from infra.api import error_page, page_errors
from infra import clock
from infra.downloads import download
from infra.errors import AppError, whole_number
from infra.pagination import ListArgs
from infra.extensions import csrf, limiter
from trademark import services
from trademark.models import LICENCE_LABELS

bp = page_errors(Blueprint("certificates", __name__))  # every AppError a view leaves is shown on the error page


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
    return certs.verify_and_log(token, clock.today(), clock.utcnow(), _client())


# --- public ----------------------------------------------------------------------------------


@bp.get("/V/", strict_slashes=False)
@bp.get("/v/", strict_slashes=False)
@public
def verify_empty():
    return verify("")


@bp.get("/V/<path:token>")
@bp.get("/v/<path:token>")
@public
def verify(token):
    # SPEC §5: a trailing slash, a slash inside (AB%2FCD), spaces or no token at all: not genuine, never a 404.
    if not verify_rate_allowed("verify-page"):
        return error_page(429, gettext("核验过于频繁，请稍等一分钟后再扫码。"))
    v, memo = _verification(token)
    key = ("page", str(get_locale() or "zh"))
    page = memo.get(key)
    if page is None:
        # Rendered once per cached status and language; only the scan facts differ from one scan to the next.
        page = memo[key] = render_template("certificates/verify.html", v=v, domain=certs.official_domain(),
                                              words=certs.STATUS_WORDS, verdicts=certs.VERDICT_WORDS,
                                              rule_words=certs.RULE_WORDS,
                                              scans=Markup(certs.SCANS_MARK))
    response = Response(page.replace(certs.SCANS_MARK, str(escape(certs.scans_text(v)))),
                        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the status is live
    return response


@bp.get("/favicon.ico")
@public
def favicon():
    # Browsers ask for it on every public page: answer with the small icon, cached for a day.
    # 1 kB, read whole: no file handle left open behind a response nobody reads.
    data = (Path(current_app.static_folder) / "favicon.ico").read_bytes()
    response = Response(data, mimetype="image/vnd.microsoft.icon")
    response.cache_control.public, response.cache_control.max_age = True, 86400
    return response


@bp.post("/V/<path:token>/report")
@bp.post("/v/<path:token>/report")
@public
@report_limit
def verify_report(token):
    photo = request.files.get("photo")
    data = None
    if photo is not None:
        with photo.stream:  # a large upload is a temporary file: close it now, not at GC
            data = photo.read(certs.PHOTO_MAX_BYTES + 1) if photo.filename else None
    try:
        certs.report_fake(token, request.form.get("where_bought", ""), request.form.get("note"), data, clock.utcnow())
    except AppError as err:
        return render_template("certificates/verify_reported.html", error=err.message, token=token,
                               domain=certs.official_domain()), err.status
    # Post/redirect/get: reloading the thank-you page must not file the report twice.
    return redirect(url_for("certificates.verify_reported", token=token), code=303)


@bp.get("/V/<path:token>/reported")
@public
def verify_reported(token):
    return render_template("certificates/verify_reported.html", error=None, token=token, domain=certs.official_domain())


# An anonymous report form: there is no session to ride on, and the limit keeps it from flooding.
csrf.exempt(verify_report)


@bp.get("/registry")
@public
@registry_limit
def registry():
    args = ListArgs.from_request(request.args, "firm")
    page = certs.search_registry(args)
    return render_template("certificates/registry.html", q=args.q, page=page, rows=page.items, labels=LICENCE_LABELS,
                           sorts=REGISTRY_SORT_LABELS)


# The registry's order is a select (its table has no header row on a phone to click).
REGISTRY_SORT_LABELS = {"firm": _l("按企业名称"), "number": _l("按许可编号"), "status": _l("按状态"),
                        "-expires": _l("有效期最晚在前"), "expires": _l("有效期最早在前")}


@bp.get("/.well-known/alliancemark-keys.json")
@public
def keys_json():
    response = jsonify(certs.key_store().export_public())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/alliancemark-audit.json")
@public
def audit_json():
    """The latest signed checkpoint of the audit chain head: {seq, head, at, kid, signature}."""
    latest = audit.latest_checkpoint()
    if latest is None:
        return jsonify({"error": {"code": "not_found", "message": "尚无审计检查点 / no audit checkpoint yet",
                                  "details": None}}), 404
    response = jsonify({k: latest[k] for k in ("seq", "head", "at", "kid", "signature")})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


# --- certificates: print, re-issue (staff; firms their own) ----------------------------------


def _own_licence_or_404(licence_id: int):
    """The licence, if the caller may see it: staff their alliances', a firm user its own (else 404)."""
    return services.get_licence(licence_id, current_actor())


def _pdf_response(licence_id: int) -> Response:
    """The certificate PDF: only an active licence prints one; staff may ask for an archive copy."""
    licence = _own_licence_or_404(licence_id)
    archive = request.args.get("archive") == "1"
    status_word = str(LICENCE_LABELS[licence.status]) if licence.status in LICENCE_LABELS else licence.status
    if archive and current_actor().role not in STAFF:
        raise AppError(403, "存档副本只供协会工作人员 / archive copies are for staff only")
    if licence.status != "active" and not archive:
        # SPEC §5: a certificate is printed only for an active licence; a copy would be taken as valid.
        raise AppError(409, f"许可当前状态为“{status_word}”，不能打印授权证书 / the licence is {licence.status}: "
                            "no certificate can be printed", field="status",
                       details={"status": licence.status, "archive": "staff may ask for ?archive=1"})
    certificate = certs.printable(licence.id)
    pdf = certs.certificate_pdf(certificate, archive_status=status_word if archive else None)
    name = f"certificate-{certificate.serial}" + ("-archive" if archive else "") + ".pdf"
    return download(pdf, name, "application/pdf", inline=True)


@bp.get("/licences/<int:licence_id>/certificate.pdf")
@allow(*STAFF, "firm")
def certificate_pdf(licence_id):
    return _pdf_response(licence_id)


@bp.get("/licences/<int:licence_id>/certificates")
@allow(*STAFF)
def licence_certificates(licence_id):
    licence = services.get_licence(licence_id, current_actor())
    return render_template("certificates/certificates_licence.html", licence=licence, form=ReissueForm(),
                           labels=LICENCE_LABELS,
                           rows=certs.licence_certificates(licence.id), verify_url=certs.verify_url_for)


@bp.post("/licences/<int:licence_id>/certificate/reissue")
@allow(*STAFF)
def certificate_reissue(licence_id):
    services.get_licence(licence_id, current_actor())  # another alliance's: 404, not a flash
    try:
        services.get_licence(licence_id, current_actor())
    except AppError:
        abort(404)
    form = ReissueForm()
    if not form.validate_on_submit():
        # Server-side: a re-issue voids every QR already printed, so it needs the reason and the tick.
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("certificates.licence_certificates", licence_id=licence_id))
    try:
        certificate = certs.reissue(licence_id, clock.today(), form.reason.data, current_actor())
    except AppError as err:
        flash(err.message, "error")
    else:
        flash(_("已换发证书 %(serial)s，原证书已作废并指向新证书。", serial=certificate.serial))
    return redirect(url_for("certificates.licence_certificates", licence_id=licence_id))


SUSPECTS_SHOWN = 200


@bp.get("/certificates")
@allow(*STAFF)
def certificates():
    args = ListArgs.from_request(request.args)
    hours = max(1, min(request.args.get("hours", 24, type=int) or 24, 24 * 30))
    networks = max(2, whole_number("networks", request.args.get("networks", "5"), high=1000))
    actor = current_actor()
    now, window = clock.utcnow(), timedelta(hours=hours)
    suspects = certs.suspected_clones(now, window, networks, limit=SUSPECTS_SHOWN, actor=actor)
    suspects_total = (len(suspects) if len(suspects) < SUSPECTS_SHOWN
                      else certs.count_suspected_clones(now, window, networks, actor=actor))
    page = certs.list_certificates(args, actor)
    return render_template("certificates/certificates.html", q=args.q, page=page, rows=page.items,
                           suspects=suspects, suspects_total=suspects_total, hours=hours, networks=networks)


@bp.get("/certificates/<int:certificate_id>/scans")
@allow(*STAFF)
def certificate_scans(certificate_id):
    certificate = certs.get_certificate(certificate_id, current_actor())
    args = ListArgs.from_request(request.args)
    page = certs.list_scans(certificate.id, args)
    return render_template("certificates/certificate_scans.html", certificate=certificate, page=page,
                           scans=page.items, q=args.q, verify_url=certs.verify_url_for)


@bp.get("/fake-reports")
@allow(*STAFF)
def fake_reports():
    handled = request.args.get("all") == "1"
    args = ListArgs.from_request(request.args)
    page = certs.list_fake_reports(args, handled, actor=current_actor())
    return render_template("certificates/certificate_reports.html", page=page, reports=page.items, all=handled,
                           q=args.q)


@bp.get("/fake-reports/<int:report_id>/photo")
@allow(*STAFF)
def fake_report_photo(report_id):
    report = certs.get_fake_report(report_id, current_actor())
    if not report.photo:
        abort(404)
    response = Response(report.photo, mimetype=report.photo_type or "application/octet-stream")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.post("/fake-reports/<int:report_id>/handle")
@allow(*STAFF)
def fake_report_handle(report_id):
    try:
        certs.handle_report(report_id, current_actor(), clock.utcnow())
    except AppError as err:
        abort(err.status)
    flash(_("已标记为已处理。"))
    return redirect(url_for("certificates.fake_reports"))




# --- batch printing (staff): a GET that only renders ------------------------------------------


@bp.app_context_processor
def _batch_limit():
    return {"batch_limit": certs.BATCH_LIMIT}  # the licences list says the bound beside its print buttons


def _batch_from_request() -> certs.Batch:
    """The batch the query string asks for: `licence=…` ticked on the list, or `all=1` with its filter."""
    actor = current_actor()
    if request.args.get("all") == "1":
        status = request.args.get("status") or None
        if status is not None and status not in LICENCE_LABELS:
            raise AppError(422, _("未知的许可状态：%(status)s", status=status), field="status")
        part = whole_number("part", request.args.get("part", "1"), low=1)
        return certs.batch_of_list(actor, status, (request.args.get("q") or "").strip(), part)
    chosen = request.args.getlist("licence")
    if len(chosen) > certs.BATCH_LIMIT:  # before reading each one: the message names the limit
        raise AppError(422, _("一次最多打印 %(limit)s 张证书，已选择 %(count)s 个许可：请分批打印。",
                              limit=certs.BATCH_LIMIT, count=len(chosen)), field="licence")
    return certs.batch_of([whole_number("licence", value, low=1) for value in chosen], actor)


@bp.get("/certificates/batch")
@allow(*STAFF)
def batch_print():
    """Say what the batch prints and what it skips, with the link to its one PDF."""
    batch = _batch_from_request()
    args = request.args.to_dict(flat=False)
    parts = [url_for("certificates.batch_print", **{**args, "part": n}) for n in range(1, batch.parts + 1)]
    return render_template("certificates/batch.html", batch=batch, labels=LICENCE_LABELS, limit=certs.BATCH_LIMIT,
                           pdf_url=url_for("certificates.batch_pdf", **args), parts=parts,
                           back_url=url_for("trademark.licences", status=request.args.get("status") or None,
                                            q=request.args.get("q") or None))


@bp.get("/certificates/batch.pdf")
@allow(*STAFF)
def batch_pdf():
    """One PDF with the batch's certificates, one a page (nothing is written)."""
    batch = _batch_from_request()
    pdf = certs.batch_pdf(batch)
    suffix = f"-part{batch.part}" if batch.parts > 1 else ""
    return download(pdf, f"certificates-{len(batch.certificates)}{suffix}.pdf", "application/pdf", inline=True)
