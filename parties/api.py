"""JSON API for alliances, firms, memberships and product models (SPEC §6)."""
from flask import Blueprint, jsonify

from accounts.access import STAFF, allow, current_actor
from infra import clock
from infra.api import column_schema, error_responses, field, json_body, json_errors, json_request, json_response, object_schema
from parties import services
from parties.models import Alliance, Firm, ProductModel

bp = json_errors(Blueprint("parties_api", __name__, url_prefix="/api/v1"))  # every AppError is answered as the JSON error body


def firm_json(firm) -> dict:
    return {"id": firm.id, "name": firm.name, "uscc": firm.uscc, "address": firm.address, "contact": firm.contact,
            "models": [{"model": m.model, "category": m.category} for m in firm.models],
            "memberships": [{"alliance": m.alliance.code, "status": m.status}
                            for m in services.visible_memberships(firm, current_actor())]}


@bp.post("/alliances")
@allow(*STAFF)
def create_alliance():
    data = json_body()
    row = services.create_alliance(field(data, "code"), field(data, "name"),
                                   field(data, "secretariat", required=False), current_actor())
    return jsonify({"id": row.id, "code": row.code, "name": row.name, "secretariat": row.secretariat}), 201


@bp.post("/firms")
@allow(*STAFF)
def create_firm():
    data = json_body()
    row = services.create_firm(field(data, "name"), field(data, "uscc"), field(data, "address", required=False),
                               field(data, "contact", required=False))
    return jsonify(firm_json(row)), 201


@bp.get("/firms/<uscc>")
@allow(*STAFF)
def get_firm(uscc):
    return jsonify(firm_json(services.firm_for(uscc, current_actor())))


@bp.post("/firms/<uscc>/models")
@allow(*STAFF)
def add_model(uscc):
    data = json_body()
    row = services.add_product_model(uscc, field(data, "model"), field(data, "category"), current_actor())
    return jsonify({"id": row.id, "uscc": row.firm.uscc, "model": row.model, "category": row.category}), 201


@bp.post("/alliances/<code>/members")
@allow(*STAFF)
def admit_member(code):
    data = json_body()
    row = services.admit_member(code, field(data, "uscc"), clock.today(), current_actor())
    return jsonify({"alliance": row.alliance.code, "uscc": row.firm.uscc, "status": row.status,
                    "joined_on": row.joined_on.isoformat()}), 201


@bp.post("/alliances/<code>/members/<uscc>/expel")
@allow(*STAFF)
def expel_member(code, uscc):
    data = json_body()
    row = services.expel_member(code, uscc, field(data, "reason"), clock.today(), current_actor())
    return jsonify({"alliance": row.alliance.code, "uscc": row.firm.uscc, "status": row.status,
                    "expelled_on": row.expelled_on.isoformat(), "reason": row.reason})


def _body(required: list[str], props: dict) -> dict:
    return json_request(object_schema(required, props))


_S = {"type": "string"}
OPENAPI_PATHS = {
    "/alliances": {"post": {"summary": "Create an alliance", "requestBody": _body(
        ["code", "name"], {"code": column_schema(Alliance.code), "name": column_schema(Alliance.name),
                           "secretariat": column_schema(Alliance.secretariat)}),
        "responses": {"201": json_response("the alliance"), **error_responses(400, 401, 403, 409, 422)}}},
    "/firms": {"post": {"summary": "Create a firm (USCC checked per GB 32100-2015)", "requestBody": _body(
        ["name", "uscc"], {"name": column_schema(Firm.name), "uscc": column_schema(Firm.uscc),
                           "address": column_schema(Firm.address), "contact": column_schema(Firm.contact)}),
        "responses": {"201": json_response("the firm"), **error_responses(400, 401, 403, 409, 422)}}},
    "/firms/{uscc}": {"get": {"summary": "A firm", "parameters": [
        {"name": "uscc", "in": "path", "required": True, "schema": _S}],
        "responses": {"200": json_response("the firm"), **error_responses(401, 403, 404)}}},
    "/firms/{uscc}/models": {"post": {"summary": "Add a product model", "parameters": [
        {"name": "uscc", "in": "path", "required": True, "schema": _S}],
        "requestBody": _body(["model", "category"], {"model": column_schema(ProductModel.model),
                                                     "category": column_schema(ProductModel.category)}),
        "responses": {"201": json_response("the model"), **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/alliances/{code}/members": {"post": {"summary": "Admit a member", "parameters": [
        {"name": "code", "in": "path", "required": True, "schema": _S}],
        "requestBody": _body(["uscc"], {"uscc": _S}),
        "responses": {"201": json_response("the membership"), **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/alliances/{code}/members/{uscc}/expel": {"post": {"summary": "Expel a member (清退)", "parameters": [
        {"name": "code", "in": "path", "required": True, "schema": _S},
        {"name": "uscc", "in": "path", "required": True, "schema": _S}],
        "requestBody": _body(["reason"], {"reason": _S}),
        "responses": {"200": json_response("the membership"), **error_responses(400, 401, 403, 404, 409, 422)}}},
}
