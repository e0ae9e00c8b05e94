"""JSON API of the standards catalogue and the sampling tables."""
from flask import Blueprint, jsonify, request

from accounts.access import STAFF, allow, current_actor
from infra.api import error_responses, json_errors
from infra.errors import INT_MAX, AppError, whole_number
from infra.schemas import NO_NUL, path_parameter
from compliance import services
from compliance.engine import requirement_text
from compliance.sampling import LEVELS, Severity, SamplingError, aql_values, sampling_plan

bp = json_errors(Blueprint("compliance_api", __name__, url_prefix="/api/v1"))  # every AppError is answered as the JSON error body


def clause_json(clause) -> dict:
    return {
        "number": clause.number, "title": clause.title, "category": clause.category, "kind": clause.kind,
        "unit": clause.unit, "comparator": clause.comparator, "limit": clause.limit, "low": clause.low,
        "high": clause.high, "low_inclusive": clause.low_inclusive, "high_inclusive": clause.high_inclusive,
        "digits": clause.digits, "comparison": clause.comparison, "units": clause.units,
        "inspections": clause.inspections, "method": clause.method, "expected": clause.expected,
        "aql": clause.aql, "level": clause.level,
        "requirement": requirement_text(services.clause_spec(clause)),
    }


def version_json(version) -> dict:
    return {
        "id": version.id, "code": version.standard.code, "title": version.title, "label": version.label,
        "alliance": version.standard.alliance.code, "status": version.status,
        "effective": version.effective.isoformat(),
        "transition_end": version.transition_end.isoformat() if version.transition_end else None,
        "verdict_rule": version.verdict_rule,
        "clauses": [clause_json(c) for c in version.clauses],
    }


@bp.post("/standards")
@allow(*STAFF)
def import_standard():
    if request.is_json:
        source = request.get_json(silent=True)
        if not isinstance(source, dict):
            raise AppError(400, "请求体不是合法的 JSON 对象 / malformed JSON")
    else:
        try:
            source = request.get_data(as_text=False).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AppError(400, "请求体不是 UTF-8 文本 / body is not UTF-8") from None
        if not source.strip():
            raise AppError(400, "请求体为空，需要 YAML 文本或 JSON / empty body")
    version = services.import_standard(source, actor=current_actor())
    return jsonify(version_json(version)), 201


@bp.get("/standards/<path:code>/versions/<label>")
@allow()
def get_version(code, label):
    return jsonify(version_json(services.version_for(code, label, current_actor())))


@bp.get("/sampling-plan")
@allow()
def get_sampling_plan():
    args = request.args
    lot = whole_number("lot_size", args.get("lot_size", ""), low=1)  # ASCII digits: "²" is a digit to str.isdigit
    if not args.get("aql"):
        raise AppError(422, "缺少 aql / aql is required", details={"aql": "required"})
    try:
        plan = sampling_plan(lot, args.get("level", "II"), args["aql"], args.get("severity", "normal"))
    except SamplingError as err:
        raise AppError(422, str(err), details={getattr(err, "field", "query"): str(err)}) from None
    return jsonify(plan.to_dict())


# A standard file's rules (clause numbers unique, low ≤ high, limits on the rounding grid …) are more
# than JSON Schema can say: compliance/standard_file.py holds them, the document names them as the
# format `standard-file`. The same file as a JSON object is accepted too (SPEC §6).
_STANDARD_BODY = {"content": {"text/plain": {"schema": {
    "type": "string", "format": "standard-file", "pattern": NO_NUL,
    "description": "the YAML text of a standard file (SPEC §7); the same as a JSON object is accepted too"}}}}

OPENAPI_PATHS = {
    "/standards": {"post": {
        "summary": "Import a standard version (YAML of SPEC §7, or the same as JSON)",
        "description": "Every problem of a refused file is listed in details.problems (422); an unknown "
                       "alliance is a 404, an existing version a 409.",
        "requestBody": {"required": True, **_STANDARD_BODY},
        "responses": {"201": {"description": "the imported version", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/StandardVersion"}}}},
            **error_responses(400, 401, 403, 404, 409, 413, 422)},
    }},
    "/standards/{code}/versions/{label}": {"get": {
        "summary": "A standard version with its clauses",
        "parameters": [path_parameter("code"), path_parameter("label")],
        "responses": {"200": {"description": "the version", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/StandardVersion"}}}},
            **error_responses(401, 403, 404)},
    }},
    "/sampling-plan": {"get": {
        "summary": "GB/T 2828.1 single sampling plan",
        "parameters": [
            # The tables' own lists: what the GB/T 2828.1 tables hold is exactly what is accepted.
            {"name": "lot_size", "in": "query", "required": True,
             "schema": {"type": "integer", "minimum": 2, "maximum": INT_MAX}},
            {"name": "level", "in": "query", "schema": {"type": "string", "default": "II", "enum": list(LEVELS)}},
            {"name": "aql", "in": "query", "required": True, "schema": {"type": "string", "enum": list(aql_values())}},
            {"name": "severity", "in": "query", "schema": {"type": "string", "default": "normal", "enum": [
                str(s) for s in Severity if s is not Severity.discontinued]}},
        ],
        "responses": {"200": {"description": "the plan", "content": {"application/json": {"schema": {
            "type": "object", "required": ["code_letter", "sample_size", "ac", "re"],
            "properties": {"code_letter": {"type": "string"}, "sample_size": {"type": "integer"},
                           "ac": {"type": "integer"}, "re": {"type": "integer"}}}}}},
            **error_responses(401, 403, 422)},
    }},
}

OPENAPI_SCHEMAS = {
    "StandardVersion": {"type": "object", "required": ["code", "label", "status", "clauses"], "properties": {
        "code": {"type": "string"}, "label": {"type": "string"}, "status": {"type": "string"},
        "clauses": {"type": "array", "items": {"type": "object"}}}},
}
