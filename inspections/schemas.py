"""The JSON bodies of the stations' and inspections' API, their bounds read from the columns (infra/schemas.py)."""
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema, model_validator

from compliance.models import Standard
from infra.errors import AppError
from infra.schemas import PAST_DATE_SCHEMA, REASON_LENGTH, Body, Text, Whole, column_length
from inspections.models import Inspection, Result, Station
from inspections.services import CREATABLE_TYPES, MAX_LOT_SIZE, PLACES
from parties.models import ProductModel
from parties.schemas import Uscc


class CreateStation(Body):
    code: Text(Station.code)
    name: Text(Station.name)
    accreditation: Text(Station.accreditation, optional=True) | None = None
    scope: Annotated[list[Text(Standard.code)], Field(max_length=200, description="standard codes")] = []


class SamplingRecord(Body):
    """The sampling record (抽样单); a date after today (the alliance's) is refused."""

    date: Annotated[date, WithJsonSchema(PAST_DATE_SCHEMA)]
    place: Literal[PLACES] = "factory"  # type: ignore[valid-type]
    lot_no: Text(Inspection.lot_no, optional=True) | None = None
    lot_size: Whole(Inspection.lot_size, minimum=2, maximum=MAX_LOT_SIZE, description="required (SPEC §6)")
    seal_no: Text(Inspection.seal_no, optional=True) | None = None
    samplers: Text(Inspection.samplers, optional=True) | None = None


class CreateInspection(Body):
    """Open an inspection: of a type against a standard, or a retest (`retest_of`) of a verified one."""

    model_config = {**Body.model_config, "json_schema_extra": {"anyOf": [
        {"required": ["type", "standard_code"],
         "properties": {"type": {"enum": list(CREATABLE_TYPES)}, "standard_code": {"type": "string"}}},
        {"required": ["retest_of"], "properties": {"retest_of": {"type": "integer"}}}]}}

    type: Literal[(*CREATABLE_TYPES, "retest")] | None = None  # type: ignore[valid-type]
    firm_uscc: Uscc
    product_model: Text(ProductModel.model)
    standard_code: Text(Standard.code) | None = None
    standard_version: Text(max_length=32) | None = None
    station_code: Text(Station.code)
    retest_of: Whole(Inspection.id, minimum=1) | None = None
    sampling: SamplingRecord

    @model_validator(mode="after")
    def _type_or_retest(self):
        if self.retest_of is None:
            for name in ("type", "standard_code"):
                if getattr(self, name) is None:
                    raise AppError(422, f"缺少字段 {name} / missing field {name}", details={name: "required"})
        return self


# Plain decimals; the entry check also takes full-width digits, which the document leaves out.
DECIMAL = r"^[+-]?[0-9]{1,15}(\.[0-9]{1,15})?$"


class ResultEntry(Body):
    clause: Text(Result.clause_number)
    unit: Whole(minimum=1) | None = None
    # The entry check of the clause (services.save_results) judges the text and lists every problem by
    # clause and unit (SPEC §3: "21,5" is told to use a point), so the model only takes it as text.
    value: Annotated[str, WithJsonSchema({"type": "string", "pattern": DECIMAL, "maxLength": column_length(Result.value)})] \
        | bool | None = Field(None, description="a decimal as a string, a boolean (boolean clauses), or null to clear")
    nonconforming: Whole(minimum=0) | None = None


class SaveResults(Body):
    lock_version: Whole(Inspection.lock_version, description="the version the client loaded; a stale one gets 409") | None = None
    results: Annotated[list[ResultEntry], Field(max_length=10_000)]


class Reason(Body):
    """Why an inspection is returned or revised: required, as the four-eyes trail needs it."""

    reason: Text(Inspection.revision_reason, max_length=REASON_LENGTH)
