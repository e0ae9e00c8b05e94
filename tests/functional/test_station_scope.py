"""A station tests only its scope, and another alliance's test moves no licence (SPEC §4, §10; issue 11).

The scenario of the issue, end to end through the API: the lock station samples a pressure-cooker
firm's product on the market (by its USCC), tests it against the lock standard with an A-class
failure, and a lock reviewer verifies it. The pressure-cooker licence stays active and its public
page says what it said before.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import pytest

from infra.db import db
from inspections import services as inspections
from parties import services as parties
from tests.builders import (COOKERS, LICENCE_LOCK_A_FAIL, bearer, login, make_firm, make_lock_world, make_mark,
                            make_standard, make_station, make_user)
from trademark import services as licences
from trademark.demo import COOKER_PASS
from inspections.models import Inspection
from trademark.models import Decision, Licence

TODAY = date.today()


@pytest.fixture
def cooker(app):
    """An active licence of the pressure-cooker mark, granted after a passed type test at the cooker station."""
    from certificates import services as certs

    make_standard(COOKERS)
    make_station("SD-LAB", scope=("Q/SDDYLG 001",))
    tech = make_user("sd-tech", "technician", station="SD-LAB")
    reviewer = make_user("sd-review", "reviewer", station="SD-LAB")
    firm = make_firm(7, name="佛山市测试电器有限公司")
    parties.add_product_model(firm.uscc, "MC-YL50", "电压力锅")
    parties.admit_member("SDDYLG", firm.uscc, TODAY - timedelta(days=400))
    make_mark(code="SDDYLG", alliance="SDDYLG")
    inspections.run_inspection(firm_uscc=firm.uscc, product_model="MC-YL50", standard_code="Q/SDDYLG 001",
                               station_code="SD-LAB", values=COOKER_PASS, technician=tech, reviewer=reviewer,
                               today=TODAY - timedelta(days=10), type="type", sampled_on=TODAY - timedelta(days=20))
    licence = licences.apply_for_licence(uscc=firm.uscc, mark_code="SDDYLG", product_models=["MC-YL50"],
                                         commitment_signed=True, today=TODAY - timedelta(days=5))
    licence = licences.grant_licence(licence.id, TODAY - timedelta(days=5))
    make_lock_world()  # the lock alliance, its standard, station ZS-LAB with lab-tech and lab-review
    return {"firm": firm, "licence_id": licence.id, "token": certs.current_certificate(licence).token}


def _public_facts(client, token: str) -> dict:
    body = client.get(f"/api/v1/verify/{token}").get_json()
    body.pop("scans", None)  # each look is a scan: the count moves, the facts must not
    return body


def _api_results(row, values) -> list[dict]:
    return [{k: v for k, v in asdict(entry).items() if v is not None} for entry in inspections.entries_for(row, values)]


def test_the_lock_station_cannot_move_the_pressure_cooker_licence(app, cooker):
    client = app.test_client()
    before = _public_facts(client, cooker["token"])
    page_before = client.get(f"/V/{cooker['token']}").get_data(as_text=True)
    decisions = db.session.query(Decision).filter_by(licence_id=cooker["licence_id"]).count()
    tech, reviewer = bearer("lab-tech"), bearer("lab-review")

    # Market sampling of a firm outside the lock alliance: opened by its USCC, against the lock standard.
    created = client.post("/api/v1/inspections", headers=tech, json={
        "type": "market", "firm_uscc": cooker["firm"].uscc, "product_model": "MC-YL50",
        "standard_code": "Q/ZSSJ 001", "station_code": "ZS-LAB",
        "sampling": {"date": (TODAY - timedelta(days=1)).isoformat(), "place": "market", "lot_no": "M1",
                     "lot_size": 500, "seal_no": "S1", "samplers": "张三"}})
    assert created.status_code == 201, created.get_json()
    row = db.session.get(Inspection, created.get_json()["id"])
    saved = client.put(f"/api/v1/inspections/{row.id}/results", headers=tech,
                       json={"results": _api_results(row, LICENCE_LOCK_A_FAIL)})
    assert saved.status_code == 200, saved.get_json()
    assert client.post(f"/api/v1/inspections/{row.id}/submit", headers=tech).status_code == 200
    verified = client.post(f"/api/v1/inspections/{row.id}/verify", headers=reviewer)
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["verdict"]["failed"]["A"] >= 1  # a real A-class failure, verified

    db.session.expire_all()
    assert db.session.get(Licence, cooker["licence_id"]).status == "active"
    assert db.session.query(Decision).filter_by(licence_id=cooker["licence_id"]).count() == decisions
    assert _public_facts(client, cooker["token"]) == before
    page_after = client.get(f"/V/{cooker['token']}").get_data(as_text=True)
    assert "有效" in page_after and "暂停" not in page_after
    assert page_after.count("Q/ZSSJ") == page_before.count("Q/ZSSJ") == 0


def test_a_station_may_not_open_an_inspection_against_a_standard_outside_its_scope(app, cooker):
    client = app.test_client()
    response = client.post("/api/v1/inspections", headers=bearer("lab-tech"), json={
        "type": "surveillance", "firm_uscc": cooker["firm"].uscc, "product_model": "MC-YL50",
        "standard_code": "Q/SDDYLG 001", "station_code": "ZS-LAB",
        "sampling": {"date": (TODAY - timedelta(days=1)).isoformat(), "place": "market", "lot_size": 500}})
    assert response.status_code == 422
    assert "检测范围" in response.get_json()["error"]["message"]
    assert "standard_code" in response.get_json()["error"]["details"]


def test_the_lock_technician_is_offered_only_the_lock_alliance_firms_products(app, cooker):
    from tests.builders import make_member_firm

    make_member_firm(8, TODAY - timedelta(days=100), models=("L-800",))
    web = app.test_client()
    login(web, "lab-tech")
    page = web.get("/inspections/new").get_data(as_text=True)
    assert "L-800" in page  # a member of the lock alliance
    assert "MC-YL50" not in page and cooker["firm"].name not in page  # the cooker firm: by USCC only
    assert "Q/SDDYLG 001" not in page  # not in the station's scope


def test_a_technician_opens_a_market_sample_of_any_firm_by_its_uscc_on_the_page(app, cooker):
    web = app.test_client()
    login(web, "lab-tech")
    response = web.post("/inspections/new", data={
        "type": "market", "product": "", "other_uscc": cooker["firm"].uscc, "other_model": "MC-YL50",
        "standard_code": "Q/ZSSJ 001", "station_code": "ZS-LAB", "sampled_on": (TODAY - timedelta(days=1)).isoformat(),
        "place": "market", "lot_size": "500"})
    assert response.status_code == 302 and "/entry" in response.headers["Location"], response.get_data(as_text=True)


def test_station_people_see_only_their_own_stations_inspections(app, cooker):
    client = app.test_client()
    assert client.get("/api/v1/inspections", headers=bearer("lab-tech")).get_json()["inspections"] == []
    sd_rows = client.get("/api/v1/inspections", headers=bearer("sd-tech")).get_json()["inspections"]
    assert len(sd_rows) == 1  # the cooker type test belongs to SD-LAB
    assert client.get(f"/api/v1/inspections/{sd_rows[0]['id']}", headers=bearer("lab-tech")).status_code == 404
