"""The inspection flow through the JSON API, as a station's systems and curl use it."""
import pytest

from tests.builders import (LOCK_PASS, bearer, make_alliance, make_firm, make_product_model, make_standard,
                            make_station, make_station_people)


@pytest.fixture
def world(app):
    make_alliance()
    make_standard()
    make_station()
    firm = make_firm(1)
    make_product_model(firm)
    make_station_people()
    return firm


def create_body(firm, **overrides):
    body = {"type": "type", "firm_uscc": firm.uscc, "product_model": "ZS-100", "standard_code": "Q/ZSSJ 001",
            "station_code": "ZS-LAB", "sampling": {"date": "2024-03-01", "place": "factory", "lot_no": "L1",
                                                   "lot_size": 500, "seal_no": "F1", "samplers": "张三"}}
    body.update(overrides)
    return body


def all_results(values=LOCK_PASS):
    units = {"5.4": 3, "5.10": 3, "5.14": 3, "5.16": 3}
    out = []
    for clause, value in values.items():
        if clause == "7.1":
            out.append({"clause": clause, "nonconforming": value})
        else:
            out += [{"clause": clause, "unit": u, "value": value} for u in range(1, units.get(clause, 1) + 1)]
    return out


def test_the_full_flow_through_the_api_ends_in_a_verified_pass(client, world):
    tech, rev = bearer("tech1"), bearer("rev1")
    created = client.post("/api/v1/inspections", json=create_body(world), headers=tech)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["status"] == "draft"
    plan = {c["number"]: c for c in body["sample_plan"]["clauses"]}
    assert len(plan) == 18
    assert (plan["7.1"]["sample_size"], plan["7.1"]["ac"], plan["7.1"]["re"]) == (50, 3, 4)
    iid = body["id"]

    saved = client.put(f"/api/v1/inspections/{iid}/results", json={"results": all_results()}, headers=tech)
    assert saved.status_code == 200, saved.json
    assert saved.json["verdict"]["outcome"] == "pass"

    assert client.post(f"/api/v1/inspections/{iid}/submit", headers=tech).status_code == 200
    verified = client.post(f"/api/v1/inspections/{iid}/verify", headers=rev)
    assert verified.status_code == 200, verified.json

    shown = client.get(f"/api/v1/inspections/{iid}", headers=tech).json
    assert shown["status"] == "verified"
    assert shown["verdict"]["outcome"] == "pass"
    assert shown["verdict"]["failed"] == {"A": 0, "B": 0, "C": 0}
    clause = next(c for c in shown["verdict"]["clauses"] if c["number"] == "5.3")
    assert clause["values"] == ["0.020"] and clause["outcome"] == "pass" and clause["requirement"]
    pdf = client.get(f"/api/v1/inspections/{iid}/report.pdf", headers=rev)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_bad_value_names_the_clause_and_unit_and_saves_nothing(client, world):
    tech = bearer("tech1")
    iid = client.post("/api/v1/inspections", json=create_body(world), headers=tech).json["id"]
    response = client.put(f"/api/v1/inspections/{iid}/results", headers=tech, json={"results": [
        {"clause": "5.2", "value": "6500"}, {"clause": "5.4", "unit": 2, "value": "21,5"},
        {"clause": "5.5", "value": "-3"}, {"clause": "5.4", "unit": 4, "value": "21"}]})
    assert response.status_code == 422
    problems = response.json["error"]["details"]["problems"]
    assert [(p["clause"], p["unit"], p["field"]) for p in problems] == [
        ("5.4", 2, "value"), ("5.5", None, "value"), ("5.4", 4, "unit")]
    assert "逗号" in problems[0]["message"]
    assert client.get(f"/api/v1/inspections/{iid}", headers=tech).json["results"] == []


def test_a_standard_outside_the_station_scope_is_refused(client, world):
    from tests.builders import COOKERS

    make_standard(COOKERS)
    response = client.post("/api/v1/inspections", headers=bearer("tech1"),
                           json=create_body(world, standard_code="Q/SDDYLG 001"))
    assert response.status_code == 422
    assert "standard_code" in response.json["error"]["details"]


def test_missing_sampling_date_is_named(client, world):
    body = create_body(world)
    del body["sampling"]["date"]
    response = client.post("/api/v1/inspections", json=body, headers=bearer("tech1"))
    assert response.status_code == 422 and "sampling.date" in response.json["error"]["details"]


def test_an_incomplete_inspection_cannot_be_submitted(client, world):
    tech = bearer("tech1")
    iid = client.post("/api/v1/inspections", json=create_body(world), headers=tech).json["id"]
    client.put(f"/api/v1/inspections/{iid}/results", json={"results": all_results()[:5]}, headers=tech)
    response = client.post(f"/api/v1/inspections/{iid}/submit", headers=tech)
    assert response.status_code == 409
    assert "7.1" in response.json["error"]["details"]["missing"]


def test_the_verifier_must_not_be_the_submitter(client, world):
    tech = bearer("tech1")
    iid = client.post("/api/v1/inspections", json=create_body(world), headers=tech).json["id"]
    client.put(f"/api/v1/inspections/{iid}/results", json={"results": all_results()}, headers=tech)
    client.post(f"/api/v1/inspections/{iid}/submit", headers=tech)
    assert client.post(f"/api/v1/inspections/{iid}/verify", headers=tech).status_code == 403
    assert client.post(f"/api/v1/inspections/{iid}/verify", headers=bearer("tech2")).status_code == 403
    assert client.post(f"/api/v1/inspections/{iid}/verify", headers=bearer("rev1")).status_code == 200


def test_the_openapi_document_lists_the_inspection_endpoints(client, app):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/inspections", "/inspections/{inspection_id}", "/inspections/{inspection_id}/results",
                 "/inspections/{inspection_id}/submit", "/inspections/{inspection_id}/verify",
                 "/inspections/{inspection_id}/report.pdf"):
        assert path in paths


@pytest.mark.parametrize("patch", [
    {"type": 5}, {"firm_uscc": []}, {"sampling": "x"}, {"sampling": {"date": 5}}, {"sampling": {"date": "2024-13-01"}},
    {"sampling": {"date": "2024-03-01", "lot_size": 10**12}}, {"sampling": {"date": "2024-03-01", "lot_no": "L" * 300}},
    {"sampling": {"date": "2024-03-01", "place": 5}}, {"standard_version": []}, {"retest_of": 10**12},
    {"retest_of": "1"}])
def test_wrong_fields_when_opening_get_a_422_naming_them(client, world, patch):
    response = client.post("/api/v1/inspections", json=create_body(world, **patch), headers=bearer("tech1"))
    assert response.status_code == 422, response.json
    assert response.json["error"]["details"]


@pytest.mark.parametrize("item", [
    {"clause": "5.2", "value": "1" * 60}, {"clause": "5.2", "value": {}}, {"clause": "5.2", "value": 1.5},
    {"clause": "7.1", "nonconforming": []}, {"clause": "7.1", "nonconforming": 10**15}, {"clause": "5.1", "value": "maybe"}])
def test_wrong_result_values_get_a_422(client, world, item):
    tech = bearer("tech1")
    iid = client.post("/api/v1/inspections", json=create_body(world), headers=tech).json["id"]
    response = client.put(f"/api/v1/inspections/{iid}/results", json={"results": [item]}, headers=tech)
    assert response.status_code == 422, response.json
