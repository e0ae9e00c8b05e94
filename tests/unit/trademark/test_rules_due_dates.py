"""What the queues sort by, derived by the pure rules: X4's base day and the first unpaid fee's due day."""
from datetime import date
from decimal import Decimal

from trademark.rules import RuleSet, first_unpaid_fee_due, surveillance_base, surveillance_due

from tests.builders.rules import (
    GRANTED, against_other_standard, day, make_application, make_inspection, make_licence, make_payment, make_standard,
)


def test_the_surveillance_base_is_the_grant_until_a_surveillance_counts():
    assert surveillance_base(make_licence(), [], date.max) == GRANTED
    assert surveillance_base(make_application(), [], date.max) is None


def test_the_surveillance_base_is_the_last_surveillance_or_market_sample_of_the_scope_against_the_standard():
    standard = make_standard()
    counted = [make_inspection(1, sampled_on=day(100)), make_inspection(2, type="market", sampled_on=day(200))]
    ignored = [make_inspection(3, type="type", sampled_on=day(300)),
               make_inspection(4, product_model="L-999", sampled_on=day(310)),  # not in the licence's scope
               make_inspection(5, type="retest", retest_of=1, sampled_on=day(320)),
               against_other_standard(make_inspection(6, sampled_on=day(330)))]
    assert surveillance_base(make_licence(), counted + ignored, date.max, standard) == day(200)
    # A failed surveillance counts as done for X4 (its failure is X1/X2's business).
    failed = make_inspection(7, outcome="fail", failed_b=1, sampled_on=day(250))
    assert surveillance_base(make_licence(), counted + [failed], date.max, standard) == day(250)


def test_the_surveillance_base_ignores_a_sample_taken_before_the_grant():
    before = make_inspection(1, sampled_on=day(-30), verified_on=day(-20))
    assert surveillance_base(make_licence(), [before], date.max) == GRANTED


def test_the_base_day_plus_the_months_is_the_rules_own_due_day():
    licence, last = make_licence(), make_inspection(1, sampled_on=day(100))
    months = RuleSet.from_overrides({})["X4"]["months"]
    assert surveillance_due(GRANTED, last, months, 30)[0] == surveillance_due(
        surveillance_base(licence, [last], date.max), None, months, 30)[0]


def test_the_first_unpaid_fee_is_due_on_the_grant_day_then_on_the_first_of_january():
    licence = make_licence(fee_per_year=Decimal("1000.00"))
    assert first_unpaid_fee_due(licence, []) == GRANTED
    paid = [make_payment(GRANTED.year, "1000.00")]
    assert first_unpaid_fee_due(licence, paid) == date(GRANTED.year + 1, 1, 1)
    paid.append(make_payment(GRANTED.year + 1, "600.00"))  # a part is not the fee
    assert first_unpaid_fee_due(licence, paid) == date(GRANTED.year + 1, 1, 1)
    paid.append(make_payment(GRANTED.year + 1, "400.00"))
    assert first_unpaid_fee_due(licence, paid) == date(GRANTED.year + 2, 1, 1)


def test_a_free_mark_or_an_application_owes_no_fee():
    assert first_unpaid_fee_due(make_licence(fee_per_year=None), []) is None
    assert first_unpaid_fee_due(make_licence(fee_per_year=Decimal("0")), []) is None
    assert first_unpaid_fee_due(make_application(fee_per_year=Decimal("1000.00")), []) is None
