"""JSON API for stations (inspections build on this)."""
from flask import Blueprint, jsonify

from accounts.access import STAFF, allow
from api import ApiError, error_responses, field, json_body
from inspections import services
from trademark.services import FieldError

bp = Blueprint("inspections_api", __name__, url_prefix="/api/v1")


def station_json(station) -> dict:
    return {"id": station.id, "code": station.code, "name": station.name, "accreditation": station.accreditation,
            "scope": [s.code for s in station.scope]}


@bp.post("/stations")
@allow(*STAFF)
def create_station():
    data = json_body()
    scope = field(data, "scope", list, required=False, default=[])
    if not all(isinstance(s, str) for s in scope):
        raise ApiError(422, "scope 必须是标准号列表 / scope must be a list of standard codes", {"scope": "list of strings"})
    try:
        row = services.create_station(field(data, "code"), field(data, "name"),
                                      field(data, "accreditation", required=False), scope)
    except FieldError as err:
        raise ApiError(err.status, err.message, {err.field: err.message}) from None
    return jsonify(station_json(row)), 201


OPENAPI_PATHS = {
    "/stations": {"post": {
        "summary": "Create a test station",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["code", "name"], "properties": {
                "code": {"type": "string"}, "name": {"type": "string"}, "accreditation": {"type": "string"},
                "scope": {"type": "array", "items": {"type": "string"}}}}}}},
        "responses": {"201": {"description": "the station", "content": {"application/json": {"schema": {"type": "object"}}}},
                      **error_responses(400, 401, 403, 409, 422)},
    }},
}
