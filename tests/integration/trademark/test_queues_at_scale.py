"""The work queues, cut in SQL, list exactly what the rules core finds due."""
from datetime import date, timedelta

from infra.db import db
from tests.builders import make_lock_world, make_mark
from tests.builders.bulk import bulk_licences
from trademark import services
from trademark.models import Licence


def due_by_the_rules(today, horizon):
    live = db.session.execute(db.select(Licence).where(Licence.status.in_(list(services.LIVE)))).scalars().all()
    facts = services.facts_for_many(live)
    out = set()
    for licence in live:
        due = services.surveillance_due(licence, today, facts[licence.id])
        if due and due[0] <= horizon:
            out.add(licence.id)
    return out


def test_the_surveillance_queue_holds_every_licence_the_rules_find_due_and_no_other(app):
    make_lock_world()
    make_mark()
    today = date.today()
    bulk_licences(40, today=today - timedelta(days=290))  # surveillance sampled about eleven months ago
    bulk_licences(40, today=today)
    queues = services.work_queues(today)
    expected = due_by_the_rules(today, today + timedelta(days=60))
    assert expected, "the builder's history must leave some surveillance due"
    assert queues.surveillance.total == len(expected)
    assert {r.licence.id for r in queues.surveillance.items} == expected


def test_the_surveillance_queue_shows_the_soonest_first_and_counts_the_rest(app, monkeypatch):
    make_lock_world()
    make_mark()
    today = date.today()
    bulk_licences(40, today=today - timedelta(days=290))
    monkeypatch.setattr(services, "QUEUE_ROWS", 5)
    queues = services.work_queues(today)
    expected = due_by_the_rules(today, today + timedelta(days=60))
    assert queues.surveillance.total == len(expected) > 5
    shown = [r.due for r in queues.surveillance.items]
    assert len(shown) == 5 and shown == sorted(shown)
