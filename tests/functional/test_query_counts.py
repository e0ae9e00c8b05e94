"""Set-based reads: every list page and list API runs as many SQL statements at 1 000 rows as at 10."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from infra.db import db
from tests.builders import bearer, login, make_firm, make_lock_world, make_mark, make_product_model, make_user
from tests.builders.bulk import bulk_licences


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


def queries(client, path, **kw) -> int:
    db.session.expire_all()
    with counted() as statements:
        response = client.get(path, **kw)
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return len(statements)


STAFF_PAGES = [
    "/licences", "/licences?status=active", "/licences?q=批量&sort=-applied", "/firms", "/firms?q=批量&sort=uscc",
    "/inspections", "/inspections?status=verified&sort=sampled", "/queues",
]


@pytest.fixture
def world(app):
    make_lock_world()
    make_mark(fee="1000.00")
    make_user("secretary", "staff")
    own = make_firm(99999, name="门户企业有限公司")
    make_product_model(own, "P-1")
    make_user("firm-user", "firm", firm_uscc=own.uscc)
    return own


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_staff_list_page_runs_the_same_queries_for_ten_and_for_a_thousand_licences(world, client, path):
    login(client, "secretary")
    bulk_licences(10)
    queries(client, path)  # warm-up: first-request work is not the page's
    at_10 = queries(client, path)
    bulk_licences(990)
    assert queries(client, path) == at_10


def test_the_firm_portal_runs_the_same_queries_for_ten_and_for_a_thousand_of_its_reports_and_others_licences(
        world, client):
    login(client, "firm-user")
    bulk_licences(10, extra_inspections_for=world)
    queries(client, "/portal")
    at_10 = queries(client, "/portal")
    bulk_licences(990, extra_inspections_for=world)
    assert queries(client, "/portal") == at_10


def test_the_inspection_list_api_answers_a_page_with_its_total_in_the_same_queries_at_any_size(world, client):
    headers = bearer("secretary")
    bulk_licences(10)
    queries(client, "/api/v1/inspections", headers=headers)
    at_10 = queries(client, "/api/v1/inspections?per_page=50", headers=headers)
    bulk_licences(990)
    assert queries(client, "/api/v1/inspections?per_page=50", headers=headers) == at_10
    body = client.get("/api/v1/inspections?per_page=50&page=2", headers=headers).get_json()
    assert body["total"] == 1000 + 900 and body["page"] == 2 and len(body["inspections"]) == 50


def test_the_licence_list_shows_its_total_and_pages_through_every_licence(world, client):
    login(client, "secretary")
    bulk_licences(120)
    first = client.get("/licences").get_data(as_text=True)
    assert "共 120 条" in first and 'rel="next"' in first
    last = client.get("/licences?page=3").get_data(as_text=True)
    assert "第 101–120 条" in last and 'rel="next"' not in last
