"""The work queues, cut in SQL, list exactly what the rules core finds due."""
from datetime import date, timedelta

from infra.db import db
from tests.builders import make_lock_world, make_mark
from tests.builders.bulk import bulk_licences
from trademark import rules, services
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
    queues = services.work_queues(today, queue="surveillance")  # one page of 50 holds them all
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


def test_the_fee_queue_holds_every_live_licence_that_owes_a_fee_due_by_the_horizon_and_no_other(app, monkeypatch):
    make_lock_world()
    make_mark(fee="1000.00")
    today = date.today()
    bulk_licences(30, today=today - timedelta(days=400))  # last year's fee paid, this year's not
    bulk_licences(30, today=today)
    monkeypatch.setattr(services, "QUEUE_ROWS", 7)
    queues = services.work_queues(today)
    live = db.session.execute(db.select(Licence).where(Licence.status.in_(list(services.LIVE)))).scalars().all()
    owing = {lic.id for lic in live if services._fees_of(lic, today, 60)}
    assert owing, "the builder's history must leave some fee owed"
    assert queues.fees.total == len(owing)
    shown = [f.due_on for f in queues.fees.items]
    assert {f.licence.id for f in queues.fees.items} <= owing and len({f.licence.id for f in queues.fees.items}) == 7
    assert shown == sorted(shown) and shown[0] == min(f.due_on for lic in live for f in services._fees_of(lic, today, 60))


def test_the_retest_queue_holds_the_pending_warnings_of_live_licences_and_counts_them_all(app, monkeypatch):
    make_lock_world()
    make_mark()
    today = date.today()
    bulk_licences(60, today=today)  # every fifth granted licence has a failed surveillance and its X2 warning
    monkeypatch.setattr(services, "QUEUE_ROWS", 4)
    live = db.session.execute(db.select(Licence).where(Licence.status.in_(list(services.LIVE)))).scalars().all()
    facts = services.facts_for_many(live)
    pending = [(lic.id, w.inspection_id) for lic in live for w in rules.pending_warnings(facts[lic.id].licence, today)]
    assert len(pending) > 4
    queues = services.work_queues(today)
    assert queues.retests.total == len(pending)
    assert len(queues.retests.items) == 4
    assert {(d.licence.id, d.evidence[0]) for d in queues.retests.items} <= set(pending)


def test_the_home_pages_counts_are_the_queues_totals(app):
    make_lock_world()
    make_mark(fee="1000.00")
    today = date.today()
    bulk_licences(30, today=today - timedelta(days=290))
    bulk_licences(30, today=today)
    q = services.work_queues(today)
    counts = services.queue_counts(today)
    assert counts == {name: (getattr(q, name).total, getattr(q, name).more)
                      for name in ("applications", "suspensions", "surveillance", "retests", "fees")}
    assert all(c.n for c in counts.values())


def test_one_queue_pages_through_every_licence_due_once_soonest_first(app, monkeypatch):
    # Nothing is cut: the desk shows each queue's first rows, and `queue=` pages through all of one.
    make_lock_world()
    make_mark()
    today = date.today()
    bulk_licences(40, today=today - timedelta(days=290))
    monkeypatch.setattr(services, "QUEUE_ROWS", 3)
    monkeypatch.setattr(services, "QUEUE_PAGE_ROWS", 4)
    expected = due_by_the_rules(today, today + timedelta(days=60))
    assert len(expected) > 8
    desk = services.work_queues(today)
    assert len(desk.surveillance.items) == 3 and desk.surveillance.total == len(expected)
    seen, dues, page = [], [], 1
    while True:
        one = services.work_queues(today, queue="surveillance", page=page)
        assert one.surveillance.total == len(expected) and one.surveillance.page == page
        assert one.applications.items == [] and one.fees.items == []  # only the queue asked for
        if not one.surveillance.items:
            break
        assert len(one.surveillance.items) <= 4
        seen += [r.licence.id for r in one.surveillance.items]
        dues += [r.due for r in one.surveillance.items]
        page += 1
    assert page - 1 == one.surveillance.pages
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert dues == sorted(dues)


def test_the_queue_page_links_to_each_queue_and_refuses_an_unknown_one(app, monkeypatch):
    from tests.builders import login, make_user

    make_lock_world()
    make_mark()
    today = date.today()
    bulk_licences(40, today=today - timedelta(days=290))
    monkeypatch.setattr(services, "QUEUE_ROWS", 3)
    make_user("queue-staff", "staff")
    db.session.commit()
    client = app.test_client()
    login(client, "queue-staff")
    desk = client.get("/queues").get_data(as_text=True)
    assert "/queues?queue=surveillance" in desk
    one = client.get("/queues?queue=surveillance&page=2")
    assert one.status_code == 200
    text = one.get_data(as_text=True)
    assert 'rel="prev"' in text and "使用费到期与逾期" not in text
    assert client.get("/queues?queue=everything").status_code == 404
