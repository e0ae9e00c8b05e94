"""The JSON bodies of the marks' and licences' API, their bounds read from the columns (infra/schemas.py)."""

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from infra import clock
from infra.schemas import CODE, REASON_LENGTH, Body, Money, Text, Whole, integral_values
from parties.models import Alliance, ProductModel
from parties.schemas import Uscc
from compliance.models import Standard
from trademark import rules as usage_rules
from trademark.models import Decision, Mark


def rules_schema() -> dict:
    """SPEC §4's rule overrides, read from the rules' own defaults and bounds: `{"X1": {"deadline_days": 60}}`."""
    properties = {}
    for rule, params in usage_rules.DEFAULT_RULES.items():
        fields = {}
        for name in params:
            if name == "enabled":
                fields[name] = {"type": "boolean"}
            else:
                low, high = usage_rules.PARAMETER_BOUNDS[name]
                fields[name] = {"type": "integer", "minimum": low, "maximum": high}
        properties[rule] = {"type": "object", "properties": fields, "additionalProperties": False}
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "description": "overrides of the usage-rule defaults by rule id",
            "example": {"X1": {"deadline_days": 60}, "E3": {"enabled": False}}}


# The overrides are checked by rules.RuleSet (the one place that knows them), which names rule and field.
RuleOverrides = Annotated[dict, BeforeValidator(integral_values), WithJsonSchema(rules_schema())]


class CreateMark(Body):
    code: Text(Mark.code, pattern=CODE, description="letters, digits, - and _; stored upper-cased")
    alliance: Text(Alliance.code)
    name: Text(Mark.name)
    type: Literal[tuple(usage_rules.MarkType)]  # type: ignore[valid-type]
    registration_no: Text(Mark.registration_no, optional=True) | None = None
    standard: Text(Standard.code, optional=True) | None = None
    fee_per_year: Money("yuan per year as a decimal string; omitted, null or 0 = free") | None = None
    validity_years: Whole(minimum=1, maximum=10) = 3
    rules: RuleOverrides = Field(default_factory=dict)


class ApplyForLicence(Body):
    firm_uscc: Uscc
    mark_code: Text(Mark.code)
    product_models: Annotated[list[Text(ProductModel.model)], Field(min_length=1, max_length=200)]
    commitment_signed: bool = False


class LicenceAction(Body):
    action: Literal[tuple(usage_rules.MANUAL_ACTIONS)]  # type: ignore[valid-type]
    reason: Text(Decision.reason, max_length=REASON_LENGTH)


class RecordPayment(Body):
    # The service refuses a year after next year (by the alliance's clock); the document says so per request.
    year: Whole(minimum=2000, maximum=2100, description="2000 to next year",
                json_schema_extra=lambda schema: schema.update(maximum=clock.today().year + 1))
    amount: Money("yuan as a decimal string, more than 0", positive=True)

