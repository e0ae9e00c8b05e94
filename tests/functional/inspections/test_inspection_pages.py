"""The station's pages: open an inspection, enter results by keyboard (JSON saves), submit, verify."""
import pytest

from inspections import services
from tests.builders import (lock_entries, login, make_alliance, make_firm,
                            make_inspection, make_product_model, make_station, make_standard, make_station_people)


@pytest.fixture
def people(app):
    from datetime import date

    from parties import services as parties

    make_alliance()
    make_standard()
    make_station()
    firm = make_firm(1)
    make_product_model(firm)
    # A member of the lock alliance: the lock station is offered its products (SPEC §10).
    parties.admit_member("ZSSJ", firm.uscc, date(2023, 1, 1))
    return make_station_people()


def test_a_technician_opens_an_inspection_and_lands_on_the_keyboard_entry_page(app, people):
    web = app.test_client()
    login(web, "tech1")
    form = web.get("/inspections/new")
    assert form.status_code == 200 and "Q/ZSSJ 001" in form.get_data(as_text=True)
    from tests.builders import make_uscc

    response = web.post("/inspections/new", data={
        "type": "type", "product": f"{make_uscc(1)}::ZS-100", "standard_code": "Q/ZSSJ 001", "station_code": "ZS-LAB",
        "sampled_on": "2024-03-01", "place": "factory", "lot_no": "L1", "lot_size": "500", "seal_no": "F1",
        "samplers": "张三"})
    assert response.status_code == 302 and "/entry" in response.headers["Location"], response.get_data(as_text=True)
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count('class="value"') == 26  # 18 clauses, four of them on 3 units
    assert 'src="/static/inspections.js"' in page and "<script>" not in page
    assert "n=50，Ac=3，Re=4" in page and "≥ 6000 种" in page


def test_each_saved_value_is_judged_by_the_server_and_a_bad_one_is_explained(app, people):
    tech = people[0]
    row = make_inspection(tech)
    web = app.test_client()
    login(web, "tech1")
    url = f"/inspections/{row.id}/entry"
    ok = web.post(url, json={"lock_version": 1, "results": [{"clause": "5.5", "unit": 1, "value": "2999.5"}]})
    assert ok.status_code == 200
    clause = next(c for c in ok.json["verdict"]["clauses"] if c["number"] == "5.5")
    assert clause["outcome"] == "pass"  # 2999.5 rounds half-even to 3000 (GB/T 8170)
    assert ok.json["verdict"]["outcome"] == "incomplete" and ok.json["lock_version"] == 2
    bad = web.post(url, json={"lock_version": 2, "results": [{"clause": "5.4", "unit": 1, "value": "-2"}]})
    assert bad.status_code == 422 and "不可能为负值" in bad.json["error"]["details"]["problems"][0]["message"]
    stale = web.post(url, json={"lock_version": 1, "results": [{"clause": "5.2", "unit": 1, "value": "7000"}]})
    assert stale.status_code == 409 and "刷新" in stale.json["error"]["message"]


def test_the_draft_is_kept_on_reload(app, people):
    tech = people[0]
    row = make_inspection(tech)
    services.save_results(row.id, lock_entries(row)[:3], tech)
    web = app.test_client()
    login(web, "tech1")
    page = web.get(f"/inspections/{row.id}/entry").get_data(as_text=True)
    assert 'name="r-5.2-1" value="6500"' in page and 'name="r-5.1-1" value="1"' in page


def test_submit_then_verify_on_the_pages_with_four_eyes(app, people):
    tech = people[0]
    row = make_inspection(tech)
    services.save_results(row.id, lock_entries(row), tech)
    web = app.test_client()
    login(web, "tech1")
    web.post(f"/inspections/{row.id}/submit")
    page = web.get(f"/inspections/{row.id}").get_data(as_text=True)
    assert "四眼原则" in page and "审核通过" not in page
    assert web.post(f"/inspections/{row.id}/verify").status_code == 403

    reviewer = app.test_client()
    login(reviewer, "rev1")
    done = reviewer.post(f"/inspections/{row.id}/verify", follow_redirects=True).get_data(as_text=True)
    assert "已审核" in done and "检验报告 PDF" in done
    pdf = reviewer.get(f"/inspections/{row.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_a_technician_of_another_station_gets_not_found(app, people):
    row = make_inspection(people[0])
    make_station("FS-LAB")
    make_station_people("FS-LAB", prefix="fs-")
    web = app.test_client()
    login(web, "fs-tech1")
    assert web.get(f"/inspections/{row.id}").status_code == 404
    assert web.get(f"/inspections/{row.id}/report.pdf").status_code == 404
    from tests.builders import bearer

    assert app.test_client().get(f"/api/v1/inspections/{row.id}", headers=bearer("fs-tech1")).status_code == 404


def test_the_new_inspection_page_takes_the_type_and_product_from_the_work_queue_link(app, client):
    from tests.builders import make_firm, make_product_model, make_standard, make_station, make_user, login

    make_standard()
    make_station()
    firm = make_firm(5)
    make_product_model(firm, "ZS-500")
    make_user("staff-q", "staff")
    login(client, "staff-q")
    page = client.get(f"/inspections/new?type=surveillance&product={firm.uscc}::ZS-500").get_data(as_text=True)
    assert f'value="{firm.uscc}::ZS-500" selected' in page or f'selected value="{firm.uscc}::ZS-500"' in page
    assert 'value="surveillance" selected' in page or 'selected value="surveillance"' in page
