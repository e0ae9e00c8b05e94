"""JSON API for marks and licences (SPEC §6)."""
from flask import Blueprint, jsonify

from accounts.access import STAFF, allow, current_actor
from accounts.models import Role
from infra import clock
from infra.api import error_responses, json_errors, json_response
from infra.errors import AppError
from infra.pagination import MAX_PER_PAGE
from infra.schemas import NO_NUL, body, openapi_schemas, path_parameter, request_body
from trademark import services
from trademark.models import LICENCE_LABELS, Licence
from trademark.schemas import ApplyForLicence, CreateMark, LicenceAction, RecordPayment

bp = json_errors(Blueprint("trademark_api", __name__, url_prefix="/api/v1"))  # every AppError is answered as the JSON error body


def mark_json(mark) -> dict:
    return {"id": mark.id, "code": mark.code, "alliance": mark.alliance.code, "name": mark.name, "type": mark.type,
            "registration_no": mark.registration_no, "standard": mark.standard.code if mark.standard else None,
            "fee_per_year": mark.fee_per_year, "validity_years": mark.validity_years,
            "rules": services.ruleset_of(mark).to_dict(),
            "rule_sentences": [{"rule": d.rule, "enabled": d.enabled, "sentence": d.sentence}
                               for d in services.describe_rules(mark)]}


@bp.post("/marks")
@allow(*STAFF)
def create_mark():
    data = body(CreateMark)
    row = services.create_mark(code=data.code, alliance_code=data.alliance, name=data.name, type=data.type,
                               registration_no=data.registration_no, standard_code=data.standard,
                               fee_per_year=data.fee_per_year, validity_years=data.validity_years,
                               rules_overrides=data.rules, actor=current_actor())
    return jsonify(mark_json(row)), 201


@bp.get("/marks/<code>")
@allow(*STAFF)
def get_mark(code):
    row = services.mark_for(code, current_actor())
    if row is None:
        raise AppError(404, f"标志不存在：{code} / unknown mark")
    return jsonify(mark_json(row))


def _visible_licence(licence_id: int) -> Licence:
    """Return a licence the caller may see (its alliance's, or its firm's); else 404."""
    return services.get_licence(licence_id, current_actor())


def licence_json(licence) -> dict:
    certificate = services.certificate_of(licence)
    return {
        "id": licence.id, "number": licence.number, "status": licence.status, "firm_uscc": licence.firm.uscc,
        "firm": licence.firm.name, "mark_code": licence.mark.code, "product_models": [m.model for m in licence.models],
        "commitment_signed": licence.commitment_signed,
        "applied_on": licence.applied_on.isoformat(),
        "granted_on": licence.granted_on.isoformat() if licence.granted_on else None,
        "expires_on": licence.expires_on.isoformat() if licence.expires_on else None,
        "decisions": [{"from": d.from_status, "to": d.to_status, "kind": d.kind, "rule": d.rule, "reason": d.reason,
                       "evidence": list(d.evidence or []), "deadline": d.deadline.isoformat() if d.deadline else None,
                       "actor": d.actor_name, "effective_on": d.effective_on.isoformat(),
                       "at": d.at.isoformat(timespec="seconds") + "Z"}
                      for d in services.licence_decisions(licence)],
        "certificate_no": certificate.serial if certificate else None,
        # The same URL the certificate's QR carries (scheme and host upper-cased for alphanumeric mode).
        "verify_url": certificate.verify_url if certificate else None,
    }


@bp.post("/licences")
@allow(*STAFF, Role.FIRM)
def apply_for_licence():
    data = body(ApplyForLicence)
    row = services.apply_for_licence(uscc=data.firm_uscc, mark_code=data.mark_code, product_models=data.product_models,
                                     commitment_signed=data.commitment_signed, today=clock.today(),
                                     actor=current_actor())
    return jsonify({"id": row.id, "status": row.status}), 201


@bp.get("/licences/<int:licence_id>")
@allow(*STAFF, Role.FIRM)
def get_licence(licence_id):
    return jsonify(licence_json(_visible_licence(licence_id)))


@bp.post("/licences/<int:licence_id>/grant")
@allow(*STAFF)
def grant_licence(licence_id):
    row = services.grant_licence(licence_id, clock.today(), current_actor())
    return jsonify(licence_json(row))


@bp.post("/licences/<int:licence_id>/actions")
@allow(*STAFF)
def act_on_licence(licence_id):
    services.get_licence(licence_id, current_actor())  # an unknown licence is a 404 before a bad body's 422
    data = body(LicenceAction)
    row = services.act_on_licence(licence_id, data.action, data.reason, clock.today(), current_actor())
    return jsonify(licence_json(row))


@bp.post("/licences/<int:licence_id>/payments")
@allow(*STAFF)
def record_payment(licence_id):
    services.get_licence(licence_id, current_actor())
    data = body(RecordPayment)
    row = services.record_payment(licence_id, data.year, data.amount, clock.today(), current_actor())
    return jsonify({"id": row.id, "licence_id": row.licence_id, "year": row.year, "amount": row.amount,
                    "paid_on": row.paid_on.isoformat(), "licence_status": row.licence.status}), 201


def OPENAPI_SCHEMAS() -> dict:  # noqa: N802 (the name every API module gives its schemas)
    """Built per document: a payment's latest year is next year by today's clock."""
    return openapi_schemas(CreateMark, ApplyForLicence, LicenceAction, RecordPayment)

_ID = path_parameter("id", {"type": "integer", "minimum": 1})
OPENAPI_PATHS = {
    "/marks": {"post": {"summary": "Create a mark; `rules` overrides the usage-rule defaults by rule id",
                        "requestBody": request_body(CreateMark),
                        "responses": {"201": json_response("the mark with every rule and its sentence"),
                                      **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/marks/{code}": {"get": {"summary": "A mark", "parameters": [path_parameter("code")],
                              "responses": {"200": json_response("the mark"), **error_responses(401, 403, 404)}}},
    "/licences": {"post": {"summary": "Apply for a licence (staff for a firm, or a firm user for itself)",
                           "requestBody": request_body(ApplyForLicence),
                           "responses": {"201": json_response("{id, status: applied}"),
                                         **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/licences/{id}": {"get": {"summary": "A licence with its decisions, certificate number and verify URL",
                               "parameters": [_ID],
                               "responses": {"200": json_response("{status, decisions: [{from, to, rule, reason, at}], "
                                                             "certificate_no, verify_url}"),
                                             **error_responses(401, 403, 404)}}},
    "/licences/{id}/grant": {"post": {"summary": "Grant (entry rules E1–E5), or 409 with details [{rule, reason}]",
                                      "parameters": [_ID],
                                      "responses": {"200": json_response("the licence"),
                                                    **error_responses(401, 403, 404, 409)}}},
    "/licences/{id}/actions": {"post": {"summary": "A staff action with a reason", "parameters": [_ID],
                                        "requestBody": request_body(LicenceAction),
                                        "responses": {"200": json_response("the licence"),
                                                      **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/licences/{id}/payments": {"post": {"summary": "Record a fee payment (amount as a decimal string)",
                                         "parameters": [_ID], "requestBody": request_body(RecordPayment),
                                         "responses": {"201": json_response("the payment"),
                                                       **error_responses(400, 401, 403, 404, 409, 422)}}},
}


# --- lists: one page at a time, with the total (never every row) ---------------------------------

_QUERY_TEXT = {"type": "string", "maxLength": 200, "pattern": NO_NUL}  # NUL is refused at the door (422)
_PAGE_PARAMS = [{"name": name, "in": "query", "schema": schema} for name, schema in (
    ("q", _QUERY_TEXT), ("sort", _QUERY_TEXT), ("page", {"type": "integer", "minimum": 1}),
    ("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}))]
_PAGE_PROPS = {"total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
               "pages": {"type": "integer"}}


def licence_summary_json(licence) -> dict:
    return {"id": licence.id, "number": licence.number, "status": licence.status, "firm_uscc": licence.firm.uscc,
            "firm": licence.firm.name, "mark_code": licence.mark.code,
            "product_models": [m.model for m in licence.models], "applied_on": licence.applied_on.isoformat(),
            "granted_on": licence.granted_on.isoformat() if licence.granted_on else None,
            "expires_on": licence.expires_on.isoformat() if licence.expires_on else None}


@bp.get("/licences")
@allow(*STAFF, Role.FIRM)
def list_licences():
    from flask import request

    from infra.pagination import ListArgs
    from trademark.models import LICENCE_LABELS

    status = (request.args.get("status") or "").strip() or None
    if status is not None and status not in LICENCE_LABELS:
        raise AppError(422, f"未知的许可状态 / unknown status: {status[:20]}", field="status",
                       details={"status": sorted(LICENCE_LABELS)})
    page = services.list_licences(current_actor(), ListArgs.from_request(request.args, exact=True), status)
    return jsonify({"licences": [licence_summary_json(row) for row in page.items], **page.to_dict()})


def decision_json(d) -> dict:
    return {"id": d.id, "from": d.from_status, "to": d.to_status, "kind": d.kind, "rule": d.rule, "reason": d.reason,
            "evidence": list(d.evidence or []), "deadline": d.deadline.isoformat() if d.deadline else None,
            "actor": d.actor_name, "effective_on": d.effective_on.isoformat(),
            "at": d.at.isoformat(timespec="seconds") + "Z"}


@bp.get("/licences/<int:licence_id>/decisions")
@allow(*STAFF, Role.FIRM)
def list_licence_decisions(licence_id):
    from flask import request

    from infra.pagination import ListArgs

    licence = _visible_licence(licence_id)
    page = services.list_licence_decisions(licence, ListArgs.from_request(request.args, "effective", exact=True))
    return jsonify({"decisions": [decision_json(d) for d in page.items], **page.to_dict()})


OPENAPI_PATHS["/licences"]["get"] = {
    "summary": "One page of the licences the caller may see (staff: its alliances'; a firm: its own)",
    "parameters": [{"name": "status", "in": "query", "schema": {"type": "string", "enum": sorted(LICENCE_LABELS)}},
                   *_PAGE_PARAMS],
    "responses": {"200": json_response("{licences: [...], total, page, per_page, pages}", {
        "type": "object", "properties": {"licences": {"type": "array", "items": {"type": "object"}}, **_PAGE_PROPS}}),
        **error_responses(401, 403, 422)}}
OPENAPI_PATHS["/licences/{id}/decisions"] = {"get": {
    "summary": "One page of a licence's decision trail (oldest first; sort=-effective for newest first)",
    "parameters": [_ID, *_PAGE_PARAMS],
    "responses": {"200": json_response("{decisions: [...], total, page, per_page, pages}", {
        "type": "object", "properties": {"decisions": {"type": "array", "items": {"type": "object"}}, **_PAGE_PROPS}}),
        **error_responses(401, 403, 404)}}}
