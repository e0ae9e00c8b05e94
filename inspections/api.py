"""JSON API for stations and inspections (SPEC §6)."""
from __future__ import annotations


from flask import Blueprint, jsonify, request

from accounts.access import STAFF, allow, current_actor
from accounts.models import Role
from infra import clock
from infra.api import error_responses, json_errors, json_response
from infra.downloads import download
from infra.errors import AppError, whole_number
from infra.pagination import ListArgs
from infra.schemas import NO_NUL, body, openapi_schemas, path_parameter, request_body
from inspections import services
from inspections.models import Inspection, InspectionStatus
from inspections.schemas import CreateInspection, CreateStation, Reason, SamplingRecord, SaveResults
from inspections.services import Entry, Sampling

bp = json_errors(Blueprint("inspections_api", __name__, url_prefix="/api/v1"))  # every AppError is answered as the JSON error body


def station_json(station) -> dict:
    return {"id": station.id, "code": station.code, "name": station.name, "accreditation": station.accreditation,
            "scope": [s.code for s in station.scope]}


@bp.post("/stations")
@allow(*STAFF)
def create_station():
    data = body(CreateStation)
    row = services.create_station(data.code, data.name, data.accreditation, data.scope, current_actor())
    return jsonify(station_json(row)), 201


# --- inspections -------------------------------------------------------------------------------


def _api_error(err: AppError) -> AppError:
    return AppError(err.status, err.message, details=err.details)


def _user(user) -> dict | None:
    return None if user is None else {"username": user.username, "name": user.name}


def inspection_json(row: Inspection, *, full: bool = True) -> dict:
    """Return an inspection as the API shows it, with the verdict judged by the engine."""
    body = {
        # `number` is the inspection's (kept by its revisions); `report_no` adds the revision as the report prints it.
        "id": row.id, "number": row.number, "report_no": row.report_no, "status": row.status, "type": row.type,
        "firm": {"uscc": row.firm.uscc, "name": row.firm.name},
        "product_model": row.product_model.model,
        "standard": {"code": row.version.standard.code, "version": row.version.label},
        "station": row.station.code,
        "retest_of": row.retest_of_id, "supersedes": row.supersedes_id, "revision": row.revision,
        "revision_reason": row.revision_reason, "lock_version": row.lock_version,
        "sampling": {"date": row.sampled_on.isoformat(), "place": row.place, "lot_no": row.lot_no,
                     "lot_size": row.lot_size, "sample_size": row.sample_size, "seal_no": row.seal_no,
                     "samplers": row.samplers},
        "submitted_by": _user(row.submitted_by),
        "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
        "verified_by": _user(row.verified_by),
        "verified_on": row.verified_on.isoformat() if row.verified_on else None,
    }
    if full:
        case = services.inspection_case(row, clock.today())  # specs built once, judged once
        body["sample_plan"] = case.plan
        body["verdict"] = case.verdict.to_dict()
        body["results"] = [{"clause": r.clause_number, "unit": r.unit, "value": r.value,
                            "nonconforming": r.nonconforming, "entered_by": r.entered_by.username if r.entered_by else None,
                            "entered_at": r.entered_at.isoformat()} for r in row.results]
        body["revisions"] = [{"id": r.id, "revision": r.revision, "status": r.status} for r in services.revisions(row)]
        allowed, reason = case.retest_allowed, case.retest_reason
        body["retest"] = {"allowed": allowed, "reason": reason}
    else:
        body["outcome"] = row.outcome
    return body


def parse_sampling(record: SamplingRecord) -> Sampling:
    return Sampling(sampled_on=record.date, place=record.place, lot_no=record.lot_no, lot_size=record.lot_size,
                    seal_no=record.seal_no, samplers=record.samplers)


@bp.get("/inspections")
@allow()
def list_inspections():
    page = services.list_inspections(current_actor(), request.args.get("status"), ListArgs.from_request(request.args, exact=True))
    return jsonify({"inspections": [inspection_json(r, full=False) for r in page.items], **page.to_dict()})


@bp.post("/inspections")
@allow(Role.TECHNICIAN, *STAFF)
def create_inspection():
    data = body(CreateInspection)
    row = services.create_inspection(
        type=data.type or "retest", firm_uscc=data.firm_uscc, product_model=data.product_model,
        standard_code=data.standard_code, standard_version=data.standard_version, station_code=data.station_code,
        retest_of=data.retest_of, sampling=parse_sampling(data.sampling), actor=current_actor(), today=clock.today())
    return jsonify({"id": row.id, "status": row.status, "sample_plan": services.sample_plan(row),
                    "lock_version": row.lock_version}), 201


@bp.get("/inspections/<int:inspection_id>")
@allow()
def get_inspection(inspection_id):
    return jsonify(inspection_json(services.get_inspection(inspection_id, current_actor())))


def parse_entries(data: SaveResults) -> list[Entry]:
    return [Entry(clause=item.clause, unit=item.unit, value=item.value, nonconforming=item.nonconforming)
            for item in data.results]


def _lock_version(given: int | None = None) -> int | None:
    if given is not None:
        return given
    value = request.headers.get("If-Match")
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip('"W/ ')
    return whole_number("lock_version", value)


@bp.put("/inspections/<int:inspection_id>/results")
@allow(Role.TECHNICIAN)
def put_results(inspection_id):
    data = body(SaveResults)
    verdict = services.save_results(inspection_id, parse_entries(data), current_actor(),
                                    lock_version=_lock_version(data.lock_version))
    row = services.get_inspection(inspection_id, current_actor())
    return jsonify({"id": row.id, "status": row.status, "lock_version": row.lock_version, "verdict": verdict.to_dict()})


@bp.post("/inspections/<int:inspection_id>/results.csv")
@allow(Role.TECHNICIAN)
def import_results(inspection_id):
    try:
        text = request.get_data().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AppError(400, "CSV 须为 UTF-8 编码 / the CSV must be UTF-8") from None
    verdict, count = services.import_csv(inspection_id, text, current_actor(), lock_version=_lock_version())
    return jsonify({"id": inspection_id, "imported": count, "verdict": verdict.to_dict()})


@bp.get("/inspections/<int:inspection_id>/results-template.csv")
@allow()
def results_template(inspection_id):
    row = services.get_inspection(inspection_id, current_actor())
    return download(services.csv_template(row), f"results-{row.file_stem}.csv", "text/csv")


def _reason() -> str:
    return body(Reason).reason


@bp.post("/inspections/<int:inspection_id>/submit")
@allow(Role.TECHNICIAN)
def submit(inspection_id):
    verdict = services.submit(inspection_id, current_actor())
    return jsonify({"id": inspection_id, "status": "submitted", "verdict": verdict.to_dict()})


@bp.post("/inspections/<int:inspection_id>/verify")
@allow(Role.REVIEWER)
def verify(inspection_id):
    row = services.verify_inspection(inspection_id, current_actor(), clock.today())
    return jsonify(inspection_json(row))


@bp.post("/inspections/<int:inspection_id>/return")
@allow(Role.REVIEWER)
def return_to_draft(inspection_id):
    row = services.return_to_draft(inspection_id, current_actor(), _reason())
    return jsonify({"id": row.id, "status": row.status})


@bp.post("/inspections/<int:inspection_id>/revise")
@allow(Role.TECHNICIAN, Role.REVIEWER)
def revise(inspection_id):
    row = services.revise(inspection_id, current_actor(), _reason())
    return jsonify({"id": row.id, "status": row.status, "revision": row.revision, "supersedes": row.supersedes_id,
                    "number": row.number, "report_no": row.report_no}), 201


@bp.get("/inspections/<int:inspection_id>/report.pdf")
@allow()
def report(inspection_id):
    pdf, name = services.report_pdf(inspection_id, current_actor(), clock.today())
    return download(pdf, name, "application/pdf", inline=True)


# --- OpenAPI -----------------------------------------------------------------------------------

_OBJ = {"type": "object"}
_ID = [path_parameter("inspection_id", {"type": "integer", "minimum": 1})]


VERDICT_SCHEMA = {"type": "object", "required": ["outcome", "failed", "clauses"], "properties": {
    "outcome": {"type": "string", "enum": ["pass", "fail", "incomplete"]},
    "failed": {"type": "object", "properties": {c: {"type": "integer"} for c in "ABC"}},
    "reason": {"type": "string"},
    "clauses": {"type": "array", "items": {"type": "object", "properties": {
        "number": {"type": "string"}, "category": {"type": "string", "enum": ["A", "B", "C"]},
        "outcome": {"type": "string", "enum": ["pass", "fail", "missing"]},
        "values": {"type": "array", "items": {"type": "string"}},
        "rounded": {"type": "array", "items": {"type": "string"}},
        "requirement": {"type": "string"}, "reason": {"type": "string"}}}}}}

INSPECTION_SCHEMA = {"type": "object", "required": ["id", "status", "verdict"], "properties": {
    "id": {"type": "integer"}, "status": {"type": "string"}, "verdict": VERDICT_SCHEMA,
    "number": {"type": "string", "description": "the inspection's number, e.g. ZSSJ-2026-0017; its revisions keep it"},
    "revision": {"type": "integer"},
    "report_no": {"type": "string", "description": "the number as the report prints it, e.g. ZSSJ-2026-0017 第2版"},
    "lock_version": {"type": "integer"}, "sample_plan": _OBJ}}

_REASON = request_body(Reason)
OPENAPI_SCHEMAS = openapi_schemas(CreateStation, CreateInspection, SaveResults, Reason)

OPENAPI_PATHS = {
    "/stations": {"post": {
        "summary": "Create a test station",
        "requestBody": request_body(CreateStation),
        "responses": {"201": json_response("the station"), **error_responses(400, 401, 403, 404, 409, 422)},
    }},
    "/inspections": {
        "get": {"summary": "List the inspections the caller may see",
                "parameters": [{"name": "status", "in": "query", "schema": {
                    "type": "string", "enum": [str(s) for s in InspectionStatus]}}],
                "responses": {"200": json_response("inspections", {"type": "object", "properties": {
                    "inspections": {"type": "array", "items": _OBJ}}}), **error_responses(401)}},
        "post": {"summary": "Open an inspection (a retest with retest_of)", "requestBody": request_body(CreateInspection),
                 "responses": {"201": json_response("the draft", {"type": "object", "required": ["id", "status", "sample_plan"],
                                                          "properties": {"id": {"type": "integer"},
                                                                         "status": {"type": "string"},
                                                                         "sample_plan": _OBJ}}),
                               **error_responses(400, 401, 403, 404, 409, 422)}},
    },
    "/inspections/{inspection_id}": {"get": {
        "summary": "An inspection with its live verdict", "parameters": _ID,
        "responses": {"200": json_response("the inspection", INSPECTION_SCHEMA), **error_responses(401, 403, 404)}}},
    "/inspections/{inspection_id}/results": {"put": {
        "summary": "Save draft results (merged; null clears) and get the verdict preview", "parameters": _ID,
        "requestBody": request_body(SaveResults),
        "responses": {"200": json_response("verdict preview", {"type": "object", "properties": {
            "verdict": VERDICT_SCHEMA, "lock_version": {"type": "integer"}}}),
            **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/inspections/{inspection_id}/results.csv": {"post": {
        "summary": "Import results from CSV (clause,unit,value), all or nothing", "parameters": _ID,
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string", "pattern": NO_NUL}}}},
        "responses": {"200": json_response("imported", {"type": "object", "properties": {
            "imported": {"type": "integer"}, "verdict": VERDICT_SCHEMA}}),
            **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/inspections/{inspection_id}/results-template.csv": {"get": {
        "summary": "CSV template with the clause numbers", "parameters": _ID,
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                      **error_responses(401, 404)}}},
    "/inspections/{inspection_id}/submit": {"post": {
        "summary": "Submit a complete draft (technician)", "parameters": _ID,
        "responses": {"200": json_response("submitted", {"type": "object", "properties": {"status": {"type": "string"},
                                                                                  "verdict": VERDICT_SCHEMA}}),
                      **error_responses(401, 403, 404, 409)}}},
    "/inspections/{inspection_id}/verify": {"post": {
        "summary": "Verify as a reviewer who is not the submitter (four eyes)", "parameters": _ID,
        "responses": {"200": json_response("verified", INSPECTION_SCHEMA), **error_responses(401, 403, 404, 409)}}},
    "/inspections/{inspection_id}/return": {"post": {
        "summary": "Return a submitted inspection to the technician with a reason", "parameters": _ID,
        "requestBody": _REASON,
        "responses": {"200": json_response("returned"), **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/inspections/{inspection_id}/revise": {"post": {
        "summary": "Open a revision of a verified inspection, with a reason", "parameters": _ID,
        "requestBody": _REASON,
        "responses": {"201": json_response("the new draft revision"), **error_responses(400, 401, 403, 404, 409, 422)}}},
    "/inspections/{inspection_id}/report.pdf": {"get": {
        "summary": "Inspection report (检验报告) PDF", "parameters": _ID,
        "responses": {"200": {"description": "PDF", "content": {"application/pdf": {
            "schema": {"type": "string", "format": "binary"}}}}, **error_responses(401, 404)}}},
}
