"""JSON API of certificates and public verification (SPEC §5, §6)."""
from __future__ import annotations

import json

from flask import Blueprint, Response

from accounts.access import STAFF, allow, public
from certificates import services as certs
from certificates.views import TOO_MANY, _pdf_response, _verification, verify_rate_allowed
from infra.api import error_responses, json_errors
from infra.errors import AppError

bp = json_errors(Blueprint("certificates_api", __name__, url_prefix="/api/v1"))  # every AppError is answered as the JSON error body


@bp.get("/verify/<token>")
@public
def verify_api(token):
    if not verify_rate_allowed("verify-api"):
        raise AppError(429, TOO_MANY)
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


@bp.get("/licences/<int:licence_id>/certificate.pdf")
@allow(*STAFF, "firm")
def certificate_pdf_api(licence_id):
    return _pdf_response(licence_id)


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
                      **error_responses(401, 403, 404, 409)}}},  # 409: a revoked or expired licence has none to print
}


