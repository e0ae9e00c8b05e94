"""Builders of usage-rule facts for the trademark.rules unit tests."""
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from trademark.rules import (
    EventFact, InspectionFact, LicenceFact, MembershipFact, PaymentFact, RuleSet, StandardFact,
    VersionFact, apply_actions, evaluate, expiry_date,
)

GRANTED = date(2024, 1, 10)
V2012 = VersionFact(id=1, label="2012", effective=date(2012, 7, 1))
V2020 = VersionFact(id=2, label="2020", effective=date(2024, 12, 1),
                    transition_end=date(2025, 6, 30))


STANDARD_CODE = "Q/ZSSJ 001"
# Another alliance standard the same firm is tested against (e.g. it also makes pressure cookers).
OTHER_CODE = "Q/SDYLG 002"
OTHER_VERSION = VersionFact(id=11, label="2019", effective=date(2019, 3, 1))


def day(n: int, start: date = GRANTED) -> date:
    """Return the date n days after start (the grant day by default)."""
    return start + timedelta(days=n)


def make_standard(*versions: VersionFact) -> StandardFact:
    return StandardFact(code=STANDARD_CODE, versions=versions or (V2012,))


def against_other_standard(inspection: InspectionFact, id: int | None = None,
                           code: str | None = OTHER_CODE) -> InspectionFact:
    """Return the same inspection made against another standard (``code=None``: code not given)."""
    return replace(inspection, id=inspection.id + 100 if id is None else id, standard_code=code,
                   standard_version_id=OTHER_VERSION.id, standard_version_label=OTHER_VERSION.label)


def make_licence(**overrides) -> LicenceFact:
    values = dict(id=7, status="active", mark_type="collective", scope_models=("L-100",),
                  granted_on=GRANTED, expires_on=expiry_date(GRANTED, 3),
                  commitment_signed=True, fee_per_year=None, decisions=())
    values.update(overrides)
    return LicenceFact(**values)


def make_application(**overrides) -> LicenceFact:
    values = dict(status="applied", granted_on=None, expires_on=None)
    values.update(overrides)
    return make_licence(**values)


def make_inspection(id: int = 1, **overrides) -> InspectionFact:
    values = dict(type="surveillance", product_model="L-100", standard_version_id=V2012.id,
                  standard_version_label=V2012.label, sampled_on=day(100),
                  verified_on=day(110), outcome="pass", failed_a=0, failed_b=0, failed_c=0,
                  retest_of=None)
    values.update(overrides)
    if values["outcome"] == "fail" and not (values["failed_a"] or values["failed_b"]
                                            or values["failed_c"]):
        values["failed_b"] = 1
    return InspectionFact(id=id, **values)


def make_type_test(id: int = 1, **overrides) -> InspectionFact:
    values = dict(type="type", sampled_on=date(2023, 12, 1), verified_on=date(2023, 12, 20))
    values.update(overrides)
    return make_inspection(id, **values)


def make_member(**overrides) -> MembershipFact:
    values = dict(status="member", expelled_on=None)
    values.update(overrides)
    return MembershipFact(**values)


def make_payment(year: int, amount: str = "5000", paid_on: date | None = None) -> PaymentFact:
    return PaymentFact(year=year, amount=Decimal(amount), paid_on=paid_on or date(year, 1, 5))


def make_event(kind: str, on: date, id: int = 1) -> EventFact:
    return EventFact(id=id, kind=kind, on=on)


def run(licence, today, *, membership="member", inspections=(), payments=(), events=(),
        standard=None, rules=None):
    """Evaluate a licence with sensible defaults for every fact not under test."""
    if membership == "member":
        membership = make_member()
    return evaluate(licence, membership, inspections, payments, events,
                    standard or make_standard(), rules or RuleSet.default(), today)


def settle(licence, today, **facts):
    """Evaluate, store the actions, and check that evaluating again changes nothing."""
    actions = run(licence, today, **facts)
    after = apply_actions(licence, actions, today)
    assert run(after, today, **facts) == []
    return actions, after


def kinds(actions) -> list[tuple[str, str]]:
    return [(a.kind, a.rule) for a in actions]
