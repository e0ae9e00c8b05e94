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


def test_the_openapi_schema_of_a_column_carries_its_length_and_integer_range():
    from infra.api import column_schema

    assert column_schema(Firm.address) == {"type": "string", "maxLength": 300}
    assert column_schema(Inspection.lot_size) == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
