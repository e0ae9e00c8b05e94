"""Every list has a total, pages, a search and an order; none stops silently, and a file holds the whole list."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest

from infra.db import db
from tests.builders import bearer, login, make_certified_licence, make_user
from tests.builders.bulk import bulk_certificates, bulk_decisions, bulk_fake_reports, bulk_licences, bulk_scans


@pytest.fixture
def world(app):
    licence, certificate = make_certified_licence(99999)
    make_user("secretary", "staff")
    return licence, certificate


def rows_of(html: str, table: str = "") -> list[str]:
    body = html.split(f'<table{table}>' if table else "<tbody>")[-1].split("</tbody>")[0]
    return re.findall(r"<tr>.*?</tr>", body, re.S)


def test_the_public_registry_pages_through_every_match_with_its_total_and_order(world, client):
    bulk_licences(129)  # 9 in 10 granted: 116 public, the 13 mere applications are not
    bulk_certificates()
    first = client.get("/registry?q=批量").get_data(as_text=True)
    assert "共 116 条" in first and 'rel="next"' in first and len(rows_of(first)) == 50
    last = client.get("/registry?q=批量&page=3").get_data(as_text=True)
    assert "第 101–116 条" in last and 'rel="next"' not in last and len(rows_of(last)) == 16
    names = re.findall(r'data-label="企业">([^<]+)<', first)
    assert names == sorted(names)
    newest = client.get("/registry?q=批量&sort=-expires").get_data(as_text=True)
    assert 'value="-expires" selected' in newest
    # Whole or in part: a certificate number's tail, a USCC's middle; applications never.
    assert "共 1 条" in client.get("/registry?q=BULK-00000050").get_data(as_text=True)
    assert "共 1 条" in client.get("/registry?q=2000000099999").get_data(as_text=True)
    assert "申请中" not in client.get("/registry?q=批量&per_page=200").get_data(as_text=True)


def test_the_public_registry_refuses_nothing_it_cannot_read_and_lists_nothing_without_a_search(world, client):
    assert client.get("/registry?q=批量&page=abc&per_page=-4&sort=drop").status_code == 200
    assert "共" not in client.get("/registry").get_data(as_text=True)


def test_the_certificate_list_pages_searches_and_sorts(world, client):
    login(client, "secretary")
    bulk_licences(80)
    bulk_certificates()
    first = client.get("/certificates").get_data(as_text=True)
    assert "共 73 条" in first and 'rel="next"' in first  # 72 granted bulk licences and the certified one
    assert "共 1 条" in client.get("/certificates?q=BULK-00000005").get_data(as_text=True)
    most = client.get("/certificates?sort=-scans").get_data(as_text=True)
    counts = [int(n) for n in re.findall(r"</code></td><td>(\d+)</td>", most)]
    assert counts == sorted(counts, reverse=True) and counts[0] == 6


def test_the_scans_of_a_certificate_page_with_their_total(world, client):
    _, certificate = world
    login(client, "secretary")
    bulk_scans(certificate.id, 120)
    first = client.get(f"/certificates/{certificate.id}/scans").get_data(as_text=True)
    assert "共 120 条" in first and f"/certificates/{certificate.id}/scans?page=2" in first
    assert "第 101–120 条" in client.get(f"/certificates/{certificate.id}/scans?page=3").get_data(as_text=True)
    assert "共 40 条" in client.get(f"/certificates/{certificate.id}/scans?q=WeChat").get_data(as_text=True)


def test_the_fake_reports_page_with_their_total_and_search(world, client):
    _, certificate = world
    login(client, "secretary")
    bulk_fake_reports(75, certificate.id)
    page = client.get("/fake-reports").get_data(as_text=True)
    assert "共 75 条" in page and 'rel="next"' in page and len(rows_of(page)) == 50
    assert "共 1 条" in client.get("/fake-reports?q=批量市场10号").get_data(as_text=True)


def test_the_decision_trail_of_a_licence_pages_with_its_total(world, client):
    licence, _ = world
    login(client, "secretary")
    bulk_decisions(licence.id, 100)
    total = 100 + 2  # apply and grant
    page = client.get(f"/licences/{licence.id}").get_data(as_text=True)
    assert f"共 {total} 条" in page and f"/licences/{licence.id}?page=2" in page
    last = client.get(f"/licences/{licence.id}?page=3").get_data(as_text=True)
    assert "第 101–102 条" in last
    assert "共 1 条" in client.get(f"/licences/{licence.id}?q=批量警告 42").get_data(as_text=True)


def test_a_list_file_holds_the_whole_filtered_list_not_one_page(world, client):
    login(client, "secretary")
    bulk_licences(130)
    text = client.get("/licences?format=csv").get_data(as_text=True).lstrip("\ufeff")
    licences = list(csv.reader(io.StringIO(text)))[1:]
    assert len(licences) == 131 and all(row[5] for row in licences)  # every row with its models
    text = client.get("/firms?format=csv&q=批量").get_data(as_text=True).lstrip("\ufeff")
    firms = list(csv.reader(io.StringIO(text)))[1:]
    assert len(firms) == 130 and all("ZSSJ：" in row[4] and row[5].startswith("L-") for row in firms)


def test_the_alliance_page_counts_its_members_instead_of_naming_each(world, client):
    login(client, "secretary")
    bulk_licences(60)
    page = client.get("/alliances").get_data(as_text=True)
    assert "会员 61" in page and "批量企业" not in page
    db.session.rollback()


def test_the_licence_list_api_answers_a_page_with_its_total_and_names_a_bad_status(world, client):
    from tests.builders import bearer

    licence, _ = world
    make_user("firm-user", "firm", firm_uscc=licence.firm.uscc)
    bulk_licences(120)
    staff = bearer("secretary")
    body = client.get("/api/v1/licences?per_page=50&page=3", headers=staff).get_json()
    assert body["total"] == 121 and body["pages"] == 3 and len(body["licences"]) == 21
    active = client.get("/api/v1/licences?status=active&q=批量&per_page=200", headers=staff).get_json()
    assert active["total"] == 84 and {r["status"] for r in active["licences"]} == {"active"}
    wrong = client.get("/api/v1/licences?status=bogus", headers=staff)
    assert wrong.status_code == 422 and wrong.get_json()["error"]["details"]["status"]
    own = client.get("/api/v1/licences", headers=bearer("firm-user")).get_json()
    assert own["total"] == 1 and own["licences"][0]["id"] == licence.id


def test_the_decision_trail_api_pages_and_keeps_other_firms_out(world, client):
    from tests.builders import bearer

    licence, _ = world
    bulk_licences(1)
    other = db.session.execute(db.select(type(licence)).where(type(licence).id != licence.id)).scalars().first()
    make_user("firm-user", "firm", firm_uscc=licence.firm.uscc)
    bulk_decisions(licence.id, 60)
    body = client.get(f"/api/v1/licences/{licence.id}/decisions?page=2&sort=-effective",
                      headers=bearer("secretary")).get_json()
    days = [d["effective_on"] for d in body["decisions"]]
    assert body["total"] == 62 and len(days) == 12 and days == sorted(days, reverse=True)
    assert client.get(f"/api/v1/licences/{other.id}/decisions", headers=bearer("firm-user")).status_code == 404


def test_past_the_counting_limit_a_list_says_more_than_still_pages_on_and_counts_exactly_on_request(
        world, client, monkeypatch):
    # The count stops at COUNT_LIMIT (so a page costs the same at 100 000 rows as at 10 000); nothing is cut.
    from infra import pagination

    monkeypatch.setattr(pagination, "COUNT_LIMIT", 30)
    login(client, "secretary")
    bulk_licences(79)  # and the certified one: 80 licences
    first = client.get("/licences").get_data(as_text=True)
    assert "超过 30 条" in first and "共 80 条" not in first and 'rel="next"' in first
    assert "第 1–50 条，第 1 页" in first and "精确计数" in first and "count=all" in first
    second = client.get("/licences?page=2").get_data(as_text=True)
    assert "第 51–80 条，第 2 页" in second and 'rel="next"' not in second and len(rows_of(second)) == 30
    exact = client.get("/licences?count=all").get_data(as_text=True)
    assert "共 80 条" in exact and "第 1–50 条，第 1/2 页" in exact and "精确计数" not in exact
    assert "count=all" in exact  # the next page keeps counting exactly
    # The API counts exactly whatever the limit: its clients compute pages from the total.
    api = client.get("/api/v1/licences", headers=bearer("secretary")).get_json()
    assert api["total"] == 80 and api["pages"] == 2 and "total_exact" not in api
    # The work queues and the home page's cards too: 40 licences granted 290 days ago are due for surveillance.
    bulk_licences(40, today=date.today() - timedelta(days=290))
    desk = client.get("/queues").get_data(as_text=True)
    assert re.search(r"监督抽查到期与逾期（超过 30 条）", desk)
    assert "<b>30+</b>" in client.get("/").get_data(as_text=True)
    due = client.get("/queues?queue=surveillance&count=all").get_data(as_text=True)
    assert int(re.search(r"监督抽查到期与逾期（共 (\d+) 条）", due)[1]) > 30


def test_the_public_registry_pages_past_the_counting_limit(world, client, monkeypatch):
    from infra import pagination

    monkeypatch.setattr(pagination, "COUNT_LIMIT", 20)
    bulk_licences(60)
    bulk_certificates()
    first = client.get("/registry?q=批量")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "超过 20 条" in html and 'rel="next"' in html
    assert "第 51–" in client.get("/registry?q=批量&page=2").get_data(as_text=True)


@pytest.mark.parametrize("path, found, sort", [
    ("/marks", "ZSSJ-MARK", "-name"), ("/alliances", "ZSSJ", "-name"), ("/stations", "ZS-LAB", "-code"),
    ("/standards/", "Q/ZSSJ 001", "-title")])
def test_the_small_staff_lists_page_search_and_sort_with_their_total(world, client, path, found, sort):
    login(client, "secretary")
    everything = client.get(path).get_data(as_text=True)
    assert "共 " in everything and found in everything
    assert "共 0 条" in client.get(path + "?q=no-such-thing").get_data(as_text=True)
    one = client.get(f"{path}?q={found}&sort={sort}").get_data(as_text=True)
    assert found in one and "共 0 条" not in one
    for hostile in ("?page=abc&sort=drop&per_page=-1", "?page=99999999&q=%25"):
        assert client.get(path + hostile).status_code == 200
