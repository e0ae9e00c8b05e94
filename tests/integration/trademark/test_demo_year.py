"""seed-demo builds the world of SPEC §8, twice without harm, and a scripted year moves licences by the rules."""
from datetime import date, timedelta

import pytest

from infra.db import db
from inspections import services as inspections
from parties import services as parties
from trademark import demo, services
from trademark.models import Decision, Licence, Mark

TODAY = date(2025, 3, 1)


def licence_of(index: int, mark: str) -> Licence:
    firm = parties.find_firm(demo.FIRMS[index][1])
    return db.session.execute(db.select(Licence).join(Mark).where(Licence.firm_id == firm.id, Mark.code == mark)
                              .order_by(Licence.id.desc())).scalars().first()


@pytest.fixture
def seeded(app):
    demo.seed(TODAY)
    return app


def test_the_demo_world_holds_firms_in_every_state_and_seeding_twice_does_no_harm(seeded):
    states = {i: licence_of(i, m).status for i, m in
              ((0, "ZSSJ"), (1, "ZSSJ"), (2, "ZSSJ"), (3, "ZSSJ-ZM"), (4, "SDDYLG"), (5, "SDDYLG"))}
    assert states == {0: "active", 1: "suspended", 2: "revoked", 3: "active", 4: "active", 5: "applied"}
    assert [d.rule for d in services.licence_decisions(licence_of(2, "ZSSJ"))][-3:] == ["X2", "X2", "X3"]
    counts = (db.session.query(Licence).count(), db.session.query(Decision).count(), db.session.query(Mark).count())
    demo.seed(TODAY)
    assert (db.session.query(Licence).count(), db.session.query(Decision).count(),
            db.session.query(Mark).count()) == counts


def _people(station="ZS-LAB"):
    return demo._people(station)


def test_a_scripted_year_on_the_demo_data_moves_licences_exactly_as_the_rules_say(seeded):
    tech, reviewer = _people()
    jg = licence_of(0, "ZSSJ")
    jd = licence_of(1, "ZSSJ")
    uscc = demo.FIRMS[0][1]

    # 坚固: a B-class failure warns (X2); a retest opened in time but verified late; the sweep suspends; the pass reinstates.
    day = TODAY + timedelta(days=10)
    failed = demo._inspect(0, "JG-8802", day, values=demo.LOCK_B_FAIL)
    assert jg.status == "active" and services.licence_decisions(jg)[-1].kind == "warn"
    retest = inspections.create_inspection(type="retest", firm_uscc=uscc, product_model="JG-8802", standard_code=None,
                                           station_code="ZS-LAB", retest_of=failed.id, actor=tech,
                                           today=day + timedelta(days=25),
                                           sampling=inspections.Sampling(sampled_on=day + timedelta(days=25),
                                                                         lot_size=500))
    inspections.save_results(retest.id, inspections.entries_for(retest, demo.LOCK_PASS), tech)
    inspections.submit(retest.id, tech)
    services.sweep(day + timedelta(days=30))
    assert jg.status == "active"
    services.sweep(day + timedelta(days=31))
    assert jg.status == "suspended"
    inspections.verify_inspection(retest.id, reviewer, day + timedelta(days=35))
    assert jg.status == "active"
    assert [(d.kind, d.rule) for d in services.licence_decisions(jg)][-3:] == [
        ("warn", "X2"), ("suspend", "X2"), ("reinstate", "X2")]

    # 金盾: suspended by X1 forty days before TODAY; no new surveillance in the 90 days → revoked the day after.
    deadline = services.licence_decisions(jd)[-1].deadline
    assert deadline == TODAY - timedelta(days=40) + timedelta(days=90)
    services.sweep(deadline)
    assert jd.status == "suspended"
    services.sweep(deadline + timedelta(days=1))
    assert jd.status == "revoked"
    assert [(d.kind, d.rule) for d in services.licence_decisions(jd)][-3:] == [
        ("grant", "manual"), ("suspend", "X1"), ("revoke", "X1")]

    # Every step of both timelines explains itself.
    for licence in (jg, jd):
        assert all(d.reason and d.actor_name for d in services.licence_decisions(licence))


def test_the_demo_staff_serve_their_own_alliance_only_and_admin_serves_none_by_name(seeded):
    from accounts.access import alliance_ids
    from accounts.models import User

    def user(name):
        return db.session.execute(db.select(User).where(User.username == name)).scalar_one()

    assert [a.code for a in user("staff").alliances] == ["ZSSJ"]
    assert [a.code for a in user("staff.sd").alliances] == ["SDDYLG"]
    assert alliance_ids(user("admin")) is None
    cooker_licence = licence_of(4, "SDDYLG")
    with pytest.raises(services.AppError) as refused:
        services.get_licence(cooker_licence.id, user("staff"))
    assert refused.value.status == 404
    assert services.get_licence(cooker_licence.id, user("staff.sd")) is cooker_licence
