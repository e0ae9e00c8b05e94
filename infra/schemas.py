"""Request bodies of the JSON API: pydantic models whose bounds come from the SQLAlchemy columns.

One source of truth: a text field's longest length and an integer's range are read from the model
column it is stored in (`Text(Firm.address)`, `Whole(Inspection.lot_size, minimum=2)`). Each area
keeps its body models in its `schemas.py`; the same model parses the request (`body(CreateFirm)`)
and gives the OpenAPI document its schema (`openapi_schemas(CreateFirm, …)`), and the WTForms forms
take their `Length(max=…)` from `column_length(Firm.name)`. A form, the API, its document and the
database cannot disagree.

Why pydantic, used directly: it is the most used validation library for Python, kept by a large
team, and emits JSON Schema (2020-12, what OpenAPI 3.1 uses) from the very model that validates.
The frameworks built on it (FastAPI, flask-openapi3, spectree) would take over the routing and the
error bodies; we keep Flask's blueprints, `@allow` access rules and the error body of SPEC §6, so a
small glue here is all that is needed: `body()` reads and parses, a `ValidationError` becomes one
`AppError(422)` naming the first field at fault.

Rules JSON Schema cannot say have a named `format` in the document, so a client or a fuzzer knows
what is meant: `uscc` (GB 32100 check character, parties/schemas.py), `past-date` (not after today
in the alliance's time zone), `standard-file` (SPEC §7, compliance/standard_file.py). Business-state
refusals (an unknown reference, a duplicate, a wrong state) are the services' 404 and 409.
"""
from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from flask import request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from infra.errors import AppError

# --- the columns --------------------------------------------------------------------------------

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def _column(attribute):
    return attribute.property.columns[0]


def column_length(attribute) -> int:
    """The longest text the column holds (a `String(n)` column's n)."""
    length = getattr(_column(attribute).type, "length", None)
    if not length:
        raise TypeError(f"{attribute} has no length")
    return length


def column_range(attribute) -> tuple[int, int]:
    """The range of whole numbers the column holds: 0 to the largest 32-bit (or 64-bit) integer."""
    from sqlalchemy import BigInteger

    return 0, INT64_MAX if isinstance(_column(attribute).type, BigInteger) else INT32_MAX


# --- constrained types --------------------------------------------------------------------------

# PostgreSQL text cannot hold NUL (the request guard refuses it); a required text must not be blank
# once trimmed. The characters str.strip() trims are spelled out: `\s` means other sets in ECMA-262,
# in Rust's regex and in Hypothesis' generator (none of them has U+001C–U+001F).
STRIPPED = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NO_NUL = r"^[^\x00]*$"
FILLED = rf"^[^\x00]*[^\x00{STRIPPED}][^\x00]*$"
# A reason is stored in an unbounded TEXT column; what people write is bounded here, once.
REASON_LENGTH = 2000
CODE = r"^[A-Za-z0-9_-]*[A-Za-z0-9][A-Za-z0-9_-]*$"  # alliance and mark codes: letters, digits, - and _


def Text(attribute=None, *, max_length: int | None = None, optional: bool = False, pattern: str | None = None,
         description: str | None = None, **extra) -> Any:
    """A text stored in `attribute`: at most its column's length, no NUL, not blank unless `optional`."""
    if max_length is None and attribute is not None:
        max_length = column_length(attribute)  # a TEXT column (no length) needs `max_length`
    return Annotated[str, Field(max_length=max_length, pattern=pattern or (NO_NUL if optional else FILLED),
                                description=description, **extra)]


def integral(value):
    """JSON Schema counts 2.0 as an integer: take it as 2 (1.5 and true stay refused)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def integral_values(value):
    """`integral` through nested objects and lists (e.g. the usage-rule overrides)."""
    if isinstance(value, dict):
        return {key: integral_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_values(item) for item in value]
    return integral(value)


def Whole(attribute=None, *, minimum: int | None = None, maximum: int | None = None, description: str | None = None,
          **extra) -> Any:
    """A whole number within its column's range (narrowed by `minimum`/`maximum`); JSON booleans are not numbers."""
    low, high = column_range(attribute) if attribute is not None else (0, INT32_MAX)
    return Annotated[int, Field(ge=low if minimum is None else minimum, le=high if maximum is None else maximum,
                                description=description, **extra), BeforeValidator(integral)]


# Yuan as decimal strings (no binary floats), below 100 million, at most 2 decimals.
AMOUNT = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"
POSITIVE_AMOUNT = r"^([1-9][0-9]{0,7}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9]))$"


def Money(description: str | None = None, *, positive: bool = False) -> Any:
    """An amount of yuan as a decimal string: below 100 million with at most 2 decimals (more than 0 if `positive`)."""
    return Annotated[str, Field(pattern=POSITIVE_AMOUNT if positive else AMOUNT, description=description)]


# A date that must not be after today in the alliance's time zone (the service checks it against its clock).
PAST_DATE_SCHEMA = {"type": "string", "format": "past-date",
                    "description": "YYYY-MM-DD, not after today in the alliance's time zone"}


class Body(BaseModel):
    """A JSON request body: exactly the fields listed, of exactly their JSON types."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")


M = TypeVar("M", bound=BaseModel)


# --- reading a request --------------------------------------------------------------------------


def json_object(*, optional: bool = False) -> dict | None:
    """The request's JSON object, or a 400 (empty, malformed) / 422 (not an object)."""
    if not request.data:
        if optional:
            return None
        raise AppError(400, "请求体为空，需要 JSON 对象 / request body must be a JSON object")
    try:
        data = request.get_json(force=True, silent=False)
    except Exception:
        raise AppError(400, "请求体不是合法的 JSON / malformed JSON") from None
    if not isinstance(data, dict):
        raise AppError(422, "请求体必须是 JSON 对象 / body must be a JSON object")
    return data


def body(model: type[M], *, optional: bool = False) -> M:
    """Parse the request's JSON body as `model`, or raise the AppError naming the first field at fault."""
    data = json_object(optional=optional)
    if data is None:
        return model()
    try:
        return model.model_validate_json(request.get_data(cache=True))
    except ValidationError as err:
        if any(problem["type"] == "json_invalid" for problem in err.errors()):
            # Read by Python's json but not by pydantic's parser (nesting past its limit, another encoding).
            raise AppError(400, "请求体不是合法的 JSON / malformed JSON") from None
        raise validation_error(err) from None


def field_name(loc: tuple) -> str:
    """("sampling", "date") → "sampling.date"; ("results", 0, "clause") → "results[0].clause"."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def validation_error(err: ValidationError) -> AppError:
    """One 422 naming the first field at fault, in Chinese and English; details maps every field to its reason."""
    problems = err.errors(include_url=False)
    details: dict[str, str] = {}
    for problem in problems:
        details.setdefault(field_name(problem["loc"]), _reason(problem))
    first = problems[0]
    name = field_name(first["loc"])
    return AppError(422, _message(name, first), field=name, details=details)


def _blank(problem: dict) -> bool:
    value = problem.get("input")
    return problem["type"] == "string_pattern_mismatch" and isinstance(value, str) and not value.strip()


def _reason(problem: dict) -> str:
    kind, ctx = problem["type"], problem.get("ctx") or {}
    if kind == "missing" or _blank(problem):
        return "required"
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "value_error":
        return str(ctx.get("error", problem["msg"]))
    if kind.endswith("_type"):
        return kind[: -len("_type")].replace("_", " ") + " expected"
    return problem["msg"]


def _message(name: str, problem: dict) -> str:
    kind, ctx = problem["type"], problem.get("ctx") or {}
    if kind == "missing":
        return f"缺少字段 {name} / missing field {name}"
    if _blank(problem):
        return f"字段 {name} 不能为空 / field {name} is empty"
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return f"字段 {name} 不能超过 {limit} 个字符 / field {name} is longer than {limit} characters"
    if kind == "extra_forbidden":
        return f"未知字段 {name} / unknown field {name}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"字段 {name} 超出范围：{_bounds(ctx)} / field {name} is out of range: {_bounds(ctx)}"
    if kind in ("literal_error", "enum"):
        return f"字段 {name} 取值无效，应为 {ctx.get('expected')} / field {name} must be {ctx.get('expected')}"
    if kind.startswith("date"):
        return f"字段 {name} 不是有效日期 YYYY-MM-DD / {name} is not a valid date"
    if kind == "string_pattern_mismatch":
        return f"字段 {name} 格式不符 / field {name} has the wrong format"
    if kind == "value_error":
        return str(ctx.get("error", problem["msg"]))
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"字段 {name} 类型错误 / field {name} has the wrong type"
    return f"字段 {name} 无效：{problem['msg']} / field {name} is invalid: {problem['msg']}"


def _bounds(ctx: dict) -> str:
    parts = [f"≥ {ctx['ge']}" if "ge" in ctx else "", f"≤ {ctx['le']}" if "le" in ctx else "",
             f"> {ctx['gt']}" if "gt" in ctx else "", f"< {ctx['lt']}" if "lt" in ctx else ""]
    return " ".join(p for p in parts if p)


# --- the OpenAPI document -----------------------------------------------------------------------

REF = "#/components/schemas/{model}"


def schema_ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def openapi_schemas(*models: type[BaseModel]) -> dict:
    """The components/schemas entries of these models (and of the models they contain)."""
    schemas: dict = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return json.loads(json.dumps(schemas))  # plain JSON values only (no tuples, no enums)


def request_body(model: type[BaseModel], *, required: bool = True) -> dict:
    """The OpenAPI requestBody of a JSON body parsed with `body(model)`."""
    return {"required": required, "content": {"application/json": {"schema": schema_ref(model)}}}


# A text in a URL: anything but NUL (the request guard refuses it); what does not exist is a 404.
URL_TEXT = {"type": "string", "minLength": 1, "pattern": NO_NUL}


def path_parameter(name: str, schema: dict | None = None, description: str | None = None) -> dict:
    parameter = {"name": name, "in": "path", "required": True, "schema": schema or URL_TEXT}
    if description:
        parameter["description"] = description
    return parameter
