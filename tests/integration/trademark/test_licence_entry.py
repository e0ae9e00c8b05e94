"""Entry rules at grant, the certification/collective difference and the expulsion cascade (X10, E3)."""
from datetime import date, timedelta

import pytest

from infra.db import db
from infra.errors import AppError
from trademark.events import LicenceGranted
from trademark.models import Licence
from tests.builders import subscribed
from tests.builders import lock_inspection, make_active_licence, make_lock_world, make_mark, make_member_firm, make_user
from parties import services as parties
from trademark import services

TODAY = date(2024, 1, 10)


@pytest.fixture
def world(app):
    make_lock_world()
    make_mark("ZSSJ-MARK", "collective")
    make_mark("ZSSJ-CERT", "certification")
    return app


def application(firm, mark_code, commitment=True):
    return services.apply_for_licence(uscc=firm.uscc, mark_code=mark_code, product_models=["L-100"],
                                      commitment_signed=commitment, today=TODAY)


def test_a_certification_mark_is_granted_to_a_non_member_that_meets_the_conditions_while_a_collective_mark_refuses(world):
    firm = make_member_firm(1, TODAY, alliance=None)
    lock_inspection(firm, TODAY - timedelta(days=5), type="type", sampled_on=TODAY - timedelta(days=20))
    cert = services.grant_licence(application(firm, "ZSSJ-CERT").id, TODAY)
    assert cert.status == "active" and cert.number
    refused = application(firm, "ZSSJ-MARK")
    with pytest.raises(services.EntryRefused) as err:
        services.grant_licence(refused.id, TODAY)
    assert [u.rule for u in err.value.unmet] == ["E1"]
    assert db.session.get(type(refused), refused.id).status == "applied"


def test_grant_lists_every_unmet_entry_rule_with_its_reason(world):
    make_mark("PAID", "collective", fee="5000")
    firm = make_member_firm(1, TODAY, alliance=None)
    with pytest.raises(services.EntryRefused) as err:
        services.grant_licence(application(firm, "PAID", commitment=False).id, TODAY)
    assert [u.rule for u in err.value.unmet] == ["E1", "E2", "E4", "E5"]
    assert all(u.reason for u in err.value.unmet)
    assert err.value.details == [{"rule": u.rule, "reason": u.reason} for u in err.value.unmet]


def test_a_grant_announces_itself_inside_its_transaction(world):
    seen = []

    def handler(event):
        seen.append((db.session.get(Licence, event.licence_id).status, event.today))

    with subscribed(LicenceGranted, handler):
        make_active_licence(1, TODAY)
    assert seen == [("active", TODAY)]


def test_expelling_a_firm_revokes_its_collective_licences_and_blocks_reentry_but_not_the_certification_mark(world):
    staff = make_user("secretary", "staff")
    licence = make_active_licence(1, TODAY)
    cert = services.grant_licence(application(licence.firm, "ZSSJ-CERT").id, TODAY)
    expelled_on = date(2024, 6, 1)
    parties.expel_member("ZSSJ", licence.firm.uscc, "多次抽查不合格且拒不整改", expelled_on, staff)
    assert licence.status == "revoked"
    decision = services.licence_decisions(licence)[-1]
    assert (decision.rule, decision.actor_name, decision.effective_on) == ("X10", "secretary", expelled_on)
    assert "多次抽查不合格" in decision.reason
    # SPEC §4: a certification mark does not depend on membership (X10 and E3 are collective only).
    assert cert.status == "active"
    assert [d.rule for d in services.licence_decisions(cert)][-1] != "X10"
    # E3: no new collective licence within 24 months of the expulsion.
    again = services.apply_for_licence(uscc=licence.firm.uscc, mark_code="ZSSJ-MARK", product_models=["L-100"],
                                       commitment_signed=True, today=date(2025, 1, 1))
    with pytest.raises(services.EntryRefused) as err:
        services.grant_licence(again.id, date(2025, 1, 1))
    assert "E3" in [u.rule for u in err.value.unmet]


def test_expulsion_refuses_a_pending_application(world):
    firm = make_member_firm(1, TODAY)
    pending = application(firm, "ZSSJ-MARK")
    parties.expel_member("ZSSJ", firm.uscc, "提供虚假材料", date(2024, 2, 1))
    assert pending.status == "refused"
    assert services.licence_decisions(pending)[-1].rule == "X10"


def test_a_firm_may_hold_only_one_open_licence_per_mark(world):
    firm = make_member_firm(1, TODAY)
    application(firm, "ZSSJ-MARK")
    with pytest.raises(AppError) as err:
        application(firm, "ZSSJ-MARK")
    assert err.value.status == 409


def test_the_grant_decision_names_the_type_inspection_it_rests_on(world):
    firm = make_member_firm(7, TODAY - timedelta(days=400))
    older = lock_inspection(firm, TODAY - timedelta(days=60), type="type", sampled_on=TODAY - timedelta(days=70))
    latest = lock_inspection(firm, TODAY - timedelta(days=5), type="type", sampled_on=TODAY - timedelta(days=20))
    licence = services.grant_licence(application(firm, "ZSSJ-MARK").id, TODAY)
    grant = [d for d in services.licence_decisions(licence) if d.kind == "grant"][0]
    assert grant.evidence == [latest.id] and older.id not in grant.evidence
