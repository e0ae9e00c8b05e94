"""The column is the one source of truth for a text's length: every form and the OpenAPI document follow it."""
from __future__ import annotations

import pytest
from wtforms.validators import Length

from inspections.forms import InspectionForm, StationForm
from inspections.models import Inspection, Station
from parties.forms import AllianceForm, FirmForm, ProductModelForm
from parties.models import Alliance, Firm, ProductModel
from trademark.forms import MarkForm
from trademark.models import Mark

PAIRS = [(AllianceForm, Alliance), (FirmForm, Firm), (ProductModelForm, ProductModel), (StationForm, Station),
         (InspectionForm, Inspection), (MarkForm, Mark)]


def form_limits(form_class) -> dict[str, int]:
    limits = {}
    for name in dir(form_class):
        unbound = getattr(form_class, name)
        for validator in getattr(unbound, "kwargs", {}).get("validators", ()) if hasattr(unbound, "kwargs") else ():
            if isinstance(validator, Length) and validator.max not in (None, -1):
                limits[name] = validator.max
    return limits


@pytest.mark.parametrize("form_class, model", PAIRS, ids=[f.__name__ for f, _m in PAIRS])
def test_every_form_text_stops_at_the_length_of_its_column(form_class, model):
    checked = 0
    for name, maximum in form_limits(form_class).items():
        column = model.__table__.columns.get(name)
        if column is None or getattr(column.type, "length", None) is None:
            continue
        checked += 1
        assert maximum == column.type.length, (form_class.__name__, name, maximum, column.type.length)
    assert checked, form_class.__name__  # the pair shares fields, or it is not worth listing


def test_the_openapi_schema_of_a_column_carries_its_length_and_integer_range(client):
    from infra.schemas import column_length, column_range
    from inspections.services import MAX_LOT_SIZE

    assert column_length(Firm.address) == 300 and column_range(Inspection.lot_size) == (0, 2**31 - 1)
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    address = schemas["CreateFirm"]["properties"]["address"]["anyOf"][0]
    assert address["type"] == "string" and address["maxLength"] == column_length(Firm.address)
    assert schemas["CreateStation"]["properties"]["code"]["maxLength"] == column_length(Station.code)
    lot_size = schemas["SamplingRecord"]["properties"]["lot_size"]
    assert (lot_size["type"], lot_size["minimum"], lot_size["maximum"]) == ("integer", 2, MAX_LOT_SIZE)
    assert schemas["CreateMark"]["properties"]["registration_no"]["anyOf"][0]["maxLength"] == 64


BODIES = ["CreateAlliance", "CreateFirm", "AddProductModel", "CreateStation", "SamplingRecord", "CreateMark"]


@pytest.mark.parametrize("name", BODIES)
def test_every_text_of_an_api_body_has_a_maximum_length_and_every_integer_a_range(client, name):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"][name]
    assert schema["additionalProperties"] is False
    for field, spec in schema["properties"].items():
        for variant in spec.get("anyOf", [spec]):
            if variant.get("type") == "string" and "enum" not in variant and "format" not in variant:
                assert "maxLength" in variant or "pattern" in variant and "{" in variant["pattern"], (name, field)
            if variant.get("type") == "integer":
                assert "minimum" in variant and "maximum" in variant, (name, field)
