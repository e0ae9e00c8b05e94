"""The glue between pydantic and the API: bounds from the columns, one 422 naming the field, the document's patterns."""
from __future__ import annotations

import re
import sys

import pytest
from pydantic import ValidationError

from infra.errors import AppError
from infra.schemas import FILLED, NO_NUL, Body, Text, Whole, column_length, column_range, field_name, validation_error
from inspections.models import Inspection
from parties.models import Firm


class Sample(Body):
    name: Text(Firm.name)
    address: Text(Firm.address, optional=True) | None = None
    lot_size: Whole(Inspection.lot_size, minimum=2)


def refused(json: str) -> AppError:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate_json(json)
    return validation_error(caught.value)


def test_the_bounds_are_the_columns():
    assert column_length(Firm.name) == Firm.__table__.columns["name"].type.length == 200
    assert column_range(Inspection.lot_size) == (0, 2**31 - 1)
    schema = Sample.model_json_schema()["properties"]
    assert schema["name"]["maxLength"] == 200
    assert schema["address"]["anyOf"][0]["maxLength"] == 300
    assert (schema["lot_size"]["minimum"], schema["lot_size"]["maximum"]) == (2, 2**31 - 1)


def test_a_text_column_without_a_length_needs_one_given():
    from parties.models import Membership

    with pytest.raises(TypeError):
        Text(Membership.reason)


@pytest.mark.parametrize("json, field, reason, words", [
    ('{"lot_size": 5}', "name", "required", "缺少字段 name / missing field name"),
    ('{"name": " \\t\\u3000", "lot_size": 5}', "name", "required", "字段 name 不能为空"),
    ('{"name": "' + "企" * 201 + '", "lot_size": 5}', "name", "at most 200 characters", "不能超过 200 个字符"),
    ('{"name": 12, "lot_size": 5}', "name", "string expected", "类型错误"),
    ('{"name": "甲", "lot_size": true}', "lot_size", "int expected", "类型错误"),
    ('{"name": "甲", "lot_size": 1}', "lot_size", None, "超出范围：≥ 2"),
    ('{"name": "甲", "lot_size": ' + "9" * 40 + "}", "lot_size", None, "超出范围"),
    ('{"name": "甲", "lot_size": 1.5}', "lot_size", None, "类型错误"),
    ('{"name": "甲", "lot_size": 5, "extra": 1}', "extra", "unknown field", "未知字段 extra"),
])
def test_a_refusal_is_one_422_naming_the_first_field(json, field, reason, words):
    err = refused(json)
    assert err.status == 422 and err.field == field and field in err.details
    assert words in err.message and " / " in err.message  # Chinese / English, as every API message
    if reason:
        assert err.details[field] == reason


def test_an_integral_float_is_an_integer_as_json_schema_says():
    assert Sample.model_validate_json('{"name": "甲", "lot_size": 5.0}').lot_size == 5


def test_nested_fields_are_named_with_dots_and_indexes():
    assert field_name(("sampling", "date")) == "sampling.date"
    assert field_name(("results", 0, "clause")) == "results[0].clause"
    assert field_name(()) == "body"


def test_the_blank_pattern_trims_exactly_what_str_strip_trims():
    # The service strips with str.strip(); the document's pattern must call blank the same characters.
    assert "\\s" not in FILLED  # spelled out: ECMA-262, Rust and Hypothesis each read \s differently
    filled, no_nul = re.compile(FILLED), re.compile(NO_NUL)
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        if ch == "\x00":
            assert not filled.match(ch) and not no_nul.match(ch)
        else:
            assert bool(filled.match(ch)) == bool(ch.strip()), hex(code)
            assert no_nul.match(ch), hex(code)
