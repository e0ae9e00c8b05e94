"""JSON API for alliances, firms, memberships and product models (SPEC §6)."""
from flask import Blueprint, jsonify

from accounts.access import STAFF, allow, current_actor
from infra import clock
from infra.api import error_responses, json_errors, json_response
from infra.schemas import body, openapi_schemas, path_parameter, request_body
from parties import services
from parties.schemas import AddProductModel, AdmitMember, CreateAlliance, CreateFirm, ExpelMember

bp = json_errors(Blueprint("parties_api", __name__, url_prefix="/api/v1"))  # every AppError is answered as the JSON error body


def firm_json(firm) -> dict:
    return {"id": firm.id, "name": firm.name, "uscc": firm.uscc, "address": firm.address, "contact": firm.contact,
            "models": [{"model": m.model, "category": m.category} for m in firm.models],
            "memberships": [{"alliance": m.alliance.code, "status": m.status}
                            for m in services.visible_memberships(firm, current_actor())]}


@bp.post("/alliances")
@allow(*STAFF)
def create_alliance():
    data = body(CreateAlliance)
    row = services.create_alliance(data.code, data.name, data.secretariat, current_actor())
    return jsonify({"id": row.id, "code": row.code, "name": row.name, "secretariat": row.secretariat}), 201


@bp.post("/firms")
@allow(*STAFF)
def create_firm():
    data = body(CreateFirm)
    row = services.create_firm(data.name, data.uscc, data.address, data.contact)
    return jsonify(firm_json(row)), 201


@bp.get("/firms/<uscc>")
@allow(*STAFF)
def get_firm(uscc):
    return jsonify(firm_json(services.firm_for(uscc, current_actor())))


@bp.post("/firms/<uscc>/models")
@allow(*STAFF)
def add_model(uscc):
    data = body(AddProductModel)
    row = services.add_product_model(uscc, data.model, data.category, current_actor())
    return jsonify({"id": row.id, "uscc": row.firm.uscc, "model": row.model, "category": row.category}), 201


@bp.post("/alliances/<code>/members")
@allow(*STAFF)
def admit_member(code):
    data = body(AdmitMember)
    row = services.admit_member(code, data.uscc, clock.today(), current_actor())
    return jsonify({"alliance": row.alliance.code, "uscc": row.firm.uscc, "status": row.status,
                    "joined_on": row.joined_on.isoformat()}), 201


@bp.post("/alliances/<code>/members/<uscc>/expel")
@allow(*STAFF)
def expel_member(code, uscc):
    data = body(ExpelMember)
    row = services.expel_member(code, uscc, data.reason, clock.today(), current_actor())
    return jsonify({"alliance": row.alliance.code, "uscc": row.firm.uscc, "status": row.status,
                    "expelled_on": row.expelled_on.isoformat(), "reason": row.reason})


OPENAPI_SCHEMAS = openapi_schemas(CreateAlliance, CreateFirm, AddProductModel, AdmitMember, ExpelMember)
_USCC, _CODE = path_parameter("uscc"), path_parameter("code")
OPENAPI_PATHS = {
    "/alliances": {"post": {"summary": "Create an alliance", "requestBody": request_body(CreateAlliance),
                            "responses": {"201": json_response("the alliance"), **error_responses(400, 401, 403, 409, 422)}}},
    "/firms": {"post": {"summary": "Create a firm (USCC checked per GB 32100-2015)", "requestBody": request_body(CreateFirm),
                        "responses": {"201": json_response("the firm"), **error_responses(400, 401, 403, 409, 422)}}},
    "/firms/{uscc}": {"get": {"summary": "A firm", "parameters": [_USCC],
                              "responses": {"200": json_response("the firm"), **error_responses(401, 403, 404)}}},
    "/firms/{uscc}/models": {"post": {"summary": "Add a product model", "parameters": [_USCC],
                                      "requestBody": request_body(AddProductModel),
                                      "responses": {"201": json_response("the model"),
                                                    **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/alliances/{code}/members": {"post": {"summary": "Admit a member", "parameters": [_CODE],
                                           "requestBody": request_body(AdmitMember),
                                           "responses": {"201": json_response("the membership"),
                                                         **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/alliances/{code}/members/{uscc}/expel": {"post": {"summary": "Expel a member (清退)", "parameters": [_CODE, _USCC],
                                                        "requestBody": request_body(ExpelMember),
                                                        "responses": {"200": json_response("the membership"),
                                                                      **error_responses(400, 401, 403, 404, 409, 422)}}},
}
