"""Set-based reads: every page and list API runs as many SQL statements at 1 000 rows as at 10."""
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from infra.db import db
from inspections.models import Inspection
from tests.builders import bearer, login, make_certified_licence, make_user
from tests.builders.bulk import bulk_certificates, bulk_decisions, bulk_fake_reports, bulk_licences, bulk_scans, bulk_users
from tests.conftest import running_app


@contextmanager
def counted():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def measure(client, path, **kw) -> tuple[int, int, str]:
    """The statements one request ran, with its status and the start of its body."""
    # Each request starts with nothing loaded, as in a worker, where every request has a new
    # session. Here one session outlives requests, and objects an earlier request loaded stay in it
    # until the garbage collector breaks their cycles: a page would then refresh a stale object
    # instead of loading it with its relations, and count one query more or less by chance.
    db.session.expunge_all()
    with counted() as statements:
        response = client.get(path, **kw)
    return len(statements), response.status_code, response.get_data()[:1000].decode(errors="replace")


def queries(client, path, **kw) -> int:
    """The statements one request that must succeed ran."""
    statements, status, body = measure(client, path, **kw)
    assert status == 200, body
    return statements


def build_world() -> SimpleNamespace:
    """A certified licence whose firm has a portal user; staff, an admin; the rest comes in bulk."""
    licence, certificate = make_certified_licence(99999)
    make_user("secretary", "staff")
    make_user("root", "admin")
    make_user("firm-user", "firm", firm_uscc=licence.firm.uscc)
    inspection = db.session.execute(db.select(Inspection).where(Inspection.firm_id == licence.firm_id)).scalars().first()
    return SimpleNamespace(firm=licence.firm, firm_id=licence.firm_id, uscc=licence.firm.uscc, licence_id=licence.id,
                           certificate_id=certificate.id, inspection_id=inspection.id,
                           version_id=licence.version_id, mark_id=licence.mark_id)


@pytest.fixture
def world(app):
    return build_world()


def grow(world, count: int) -> None:
    """Add `count` of every kind of row a page lists: licences with their history, certificates,
    the portal firm's reports and licences (each under a mark of its own, as a group firm's), one
    licence's decisions, one certificate's scans and fake reports, users."""
    firm = db.session.get(type(world.firm), world.firm_id)
    bulk_licences(count, extra_inspections_for=firm)
    bulk_licences(count, firm=firm)
    bulk_users(count)
    bulk_certificates()
    bulk_decisions(world.licence_id, count)
    bulk_scans(world.certificate_id, count)
    bulk_fake_reports(count, world.certificate_id)


STAFF_PAGES = [
    "/", "/licences", "/licences?status=active", "/licences?q=批量&sort=-applied", "/licences?format=csv",
    "/firms", "/firms?q=批量&sort=uscc", "/firms?format=xlsx", "/firms/{firm_id}",
    "/inspections", "/inspections?status=verified&sort=sampled", "/inspections/{inspection_id}",
    "/inspections/new", "/queues", "/marks", "/marks?q=ZSSJ&sort=-name", "/marks/{mark_id}", "/alliances",
    "/alliances?q=Z&sort=-name", "/stations", "/stations?q=ZS&sort=-name", "/standards/", "/standards/?q=Q&sort=-title",
    "/standards/versions/{version_id}",
    "/licences/{licence_id}", "/licences/{licence_id}?page=3", "/licences/{licence_id}/certificates",
    "/certificates", "/certificates?q=BULK&sort=-scans", "/certificates/{certificate_id}/scans",
    "/certificates/{certificate_id}/scans?page=2", "/fake-reports", "/fake-reports?all=1&q=批量",
]
ADMIN_PAGES = ["/admin/users", "/admin/users?q=bulk&role=firm&sort=-created&page=2", "/admin/users/secretary"]
PORTAL_PAGES = ["/portal", "/portal?page=2&per_page=5&sort=expires", "/portal?q=BULK", "/portal/deadlines",
                "/portal/deadlines?page=2&per_page=5", "/portal/licences/{licence_id}", "/portal/licences/{licence_id}?page=2",
                "/inspections"]
PUBLIC_PAGES = ["/registry?q=批量", "/registry?q=9144&sort=-expires&per_page=5&page=2", "/registry"]
LIST_APIS = ["/api/v1/inspections", "/api/v1/inspections?per_page=50&page=2", "/api/v1/licences/{licence_id}",
             "/api/v1/licences", "/api/v1/licences?status=active&q=批量&sort=-expires&per_page=5&page=2",
             "/api/v1/licences/{licence_id}/decisions", "/api/v1/licences/{licence_id}/decisions?sort=-effective&page=3",
             "/api/v1/firms/{uscc}", "/api/v1/marks/ZSSJ-MARK"]


# Who asks for each kind of page: a logged-in user's name, a bearer token's, or no one.
AS_WHOM = {"staff": ("secretary", None), "admin": ("root", None), "portal": ("firm-user", None),
           "public": (None, None), "api": (None, "secretary")}
PAGES = {"staff": STAFF_PAGES, "admin": ADMIN_PAGES, "portal": PORTAL_PAGES, "public": PUBLIC_PAGES, "api": LIST_APIS}


@pytest.fixture(scope="module")
def counts(database_url, _schema, tmp_path_factory):
    """Every page's statements at 10 rows and at 1 000, from one world grown once (growing one per
    page cost the suite minutes); what each page ran is asserted in its own test below."""
    with running_app(database_url, tmp_path_factory.mktemp("query-counts")) as app:
        world = build_world()
        askers = {}
        for kind, (user, token) in AS_WHOM.items():
            client = app.test_client()
            if user:
                login(client, user)
            askers[kind] = (client, bearer(token) if token else {})
        asks = [(kind, path, path.format(**vars(world))) for kind, paths in PAGES.items() for path in paths]
        grow(world, 10)
        at_10 = {}
        for kind, path, url in asks:
            client, headers = askers[kind]
            measure(client, url, headers=headers)  # warm-up: first-request work is not the page's
            at_10[kind, path] = measure(client, url, headers=headers)
        grow(world, 990)
        at_1000 = {}
        for kind, path, url in asks:
            client, headers = askers[kind]
            at_1000[kind, path] = measure(client, url, headers=headers)
    return at_10, at_1000


def same_queries_at_ten_and_a_thousand(counts, kind, path) -> None:
    (at_10, status_10, body_10), (at_1000, status_1000, body_1000) = (measured[kind, path] for measured in counts)
    assert status_10 == 200, body_10
    assert status_1000 == 200, body_1000
    assert at_1000 == at_10


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_staff_page_runs_the_same_queries_for_ten_and_for_a_thousand_rows(counts, path):
    same_queries_at_ten_and_a_thousand(counts, "staff", path)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_admin_page_runs_the_same_queries_for_ten_and_for_a_thousand_rows(counts, path):
    same_queries_at_ten_and_a_thousand(counts, "admin", path)


@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_a_portal_page_runs_the_same_queries_for_ten_and_for_a_thousand_of_its_rows_and_others(counts, path):
    same_queries_at_ten_and_a_thousand(counts, "portal", path)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_public_registry_runs_the_same_queries_for_ten_and_for_a_thousand_licences(counts, path):
    same_queries_at_ten_and_a_thousand(counts, "public", path)


@pytest.mark.parametrize("path", LIST_APIS)
def test_an_api_answer_runs_the_same_queries_for_ten_and_for_a_thousand_rows(counts, path):
    same_queries_at_ten_and_a_thousand(counts, "api", path)


def test_the_inspection_list_api_answers_a_page_with_its_total(world, client):
    headers = bearer("secretary")
    grow(world, 1000)
    body = client.get("/api/v1/inspections?per_page=50&page=2", headers=headers).get_json()
    # Each bulk firm has a type test, the nine in ten granted a surveillance too; the portal firm has
    # its own type test and 1000 more, and the type test and failed surveillance its 1000 licences share.
    assert body["total"] == 1000 + 900 + 1 + 1000 + 2 and body["page"] == 2 and len(body["inspections"]) == 50


def test_the_licence_list_shows_its_total_and_pages_through_every_licence(world, client):
    login(client, "secretary")
    bulk_licences(119)
    first = client.get("/licences").get_data(as_text=True)
    assert "共 120 条" in first and 'rel="next"' in first
    last = client.get("/licences?page=3").get_data(as_text=True)
    assert "第 101–120 条" in last and 'rel="next"' not in last
