"""The JSON bodies of the parties' API, their bounds read from the columns (infra/schemas.py)."""

from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from infra.schemas import CODE, REASON_LENGTH, Body, Text
from parties.models import Alliance, Firm, Membership, ProductModel
from parties.uscc import UsccError, normalize_uscc


def _uscc(value: str) -> str:
    try:
        return normalize_uscc(value)
    except UsccError as err:
        raise ValueError(f"统一社会信用代码：{err}") from None


USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"

# GB 32100-2015: 18 characters of 0-9 and A-Y without I, O, S, V, Z; the last is a check character,
# which JSON Schema cannot say: the document names it as the format `uscc`.
Uscc = Annotated[str, AfterValidator(_uscc), WithJsonSchema(
    {"type": "string", "format": "uscc", "pattern": USCC_PATTERN, "minLength": 18, "maxLength": 18,
     "description": "统一社会信用代码 (GB 32100-2015, with its check character)"})]


class CreateAlliance(Body):
    code: Text(Alliance.code, pattern=CODE, description="letters, digits, - and _; stored upper-cased")
    name: Text(Alliance.name)
    secretariat: Text(Alliance.secretariat, optional=True) | None = None


class CreateFirm(Body):
    name: Text(Firm.name)
    uscc: Uscc
    address: Text(Firm.address, optional=True) | None = None
    contact: Text(Firm.contact, optional=True) | None = None


class AddProductModel(Body):
    model: Text(ProductModel.model)
    category: Text(ProductModel.category)


class AdmitMember(Body):
    uscc: Uscc


class ExpelMember(Body):
    reason: Text(Membership.reason, max_length=REASON_LENGTH)
