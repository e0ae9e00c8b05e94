"""The licence and mark endpoints of /api/v1 (SPEC §6)."""
from datetime import date, timedelta

import pytest

from tests.builders import bearer, lock_inspection, make_lock_world, make_mark, make_member_firm, make_user
from trademark import services

TODAY = date.today()


@pytest.fixture
def staff(app):
    make_lock_world()
    make_user("secretary", "staff")
    return bearer("secretary")


def test_creating_a_mark_with_rule_overrides_returns_every_rule_and_its_sentence(client, staff):
    response = client.post("/api/v1/marks", headers=staff, json={
        "code": "ZSSJ", "alliance": "ZSSJ", "name": "中山锁具", "type": "collective",
        "rules": {"X1": {"deadline_days": 60}, "X3": {"count": 2, "months": 12}, "E3": {"enabled": False}}})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["rules"]["X1"] == {"enabled": True, "deadline_days": 60}
    assert body["rules"]["E3"]["enabled"] is False
    x1 = next(r for r in body["rule_sentences"] if r["rule"] == "X1")
    assert "整改期60天" in x1["sentence"]
    assert body["fee_per_year"] is None and body["standard"] == "Q/ZSSJ 001"


@pytest.mark.parametrize("rules, rule, field", [
    ({"X11": {}}, "X11", None),
    ({"X1": {"days": 60}}, "X1", "days"),
    ({"X3": {"count": "2"}}, "X3", "count"),
    ({"E3": {"enabled": "no"}}, "E3", "enabled"),
])
def test_a_bad_rule_override_is_refused_with_422_naming_the_rule_and_field(client, staff, rules, rule, field):
    response = client.post("/api/v1/marks", headers=staff, json={
        "code": "ZSSJ", "alliance": "ZSSJ", "name": "中山锁具", "type": "collective", "rules": rules})
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert details["rule"] == rule and details["field"] == field


def test_a_fee_given_as_a_float_is_refused(client, staff):
    response = client.post("/api/v1/marks", headers=staff, json={
        "code": "SD", "alliance": "ZSSJ", "name": "顺德", "type": "collective", "fee_per_year": 5000.5})
    assert response.status_code == 422 and "fee_per_year" in response.json["error"]["details"]


def test_apply_grant_and_read_a_licence_through_the_api(client, staff):
    make_mark("ZSSJ", "collective")
    firm = make_member_firm(1, TODAY - timedelta(days=400))
    response = client.post("/api/v1/licences", headers=staff, json={
        "firm_uscc": firm.uscc, "mark_code": "ZSSJ", "product_models": ["L-100"], "commitment_signed": True})
    assert response.status_code == 201
    assert response.json["status"] == "applied"
    licence_id = response.json["id"]

    refused = client.post(f"/api/v1/licences/{licence_id}/grant", headers=staff)
    assert refused.status_code == 409
    assert refused.json["error"]["details"] == [
        {"rule": "E2", "reason": refused.json["error"]["details"][0]["reason"]}]
    assert "型式检验" in refused.json["error"]["details"][0]["reason"]

    lock_inspection(firm, TODAY, type="type", sampled_on=TODAY - timedelta(days=10))
    granted = client.post(f"/api/v1/licences/{licence_id}/grant", headers=staff)
    assert granted.status_code == 200, granted.json
    body = client.get(f"/api/v1/licences/{licence_id}", headers=staff).json
    assert body["status"] == "active"
    assert [(d["from"], d["to"], d["rule"]) for d in body["decisions"]] == [
        (None, "applied", "manual"), ("applied", "active", "manual")]
    assert all(d["reason"] and d["at"] for d in body["decisions"])
    # The certificate issued on grant (the LicenceGranted event).
    if body["certificate_no"] is not None:
        assert body["verify_url"].startswith("HTTP://LOCALHOST/V/")
    else:
        assert body["verify_url"] is None


def test_manual_actions_need_a_reason_and_payments_travel_as_strings(client, staff):
    make_mark("SD", "collective", fee="5000")
    firm = make_member_firm(1, TODAY - timedelta(days=400))
    lock_inspection(firm, TODAY, type="type", sampled_on=TODAY - timedelta(days=10))
    licence = services.apply_for_licence(uscc=firm.uscc, mark_code="SD", product_models=["L-100"],
                                         commitment_signed=True, today=TODAY)
    assert client.post(f"/api/v1/licences/{licence.id}/payments", headers=staff,
                       json={"year": TODAY.year, "amount": 5000.0}).status_code == 422
    paid = client.post(f"/api/v1/licences/{licence.id}/payments", headers=staff,
                       json={"year": TODAY.year, "amount": "5000"})
    assert paid.status_code == 201 and paid.json["amount"] == "5000.00"
    assert client.post(f"/api/v1/licences/{licence.id}/grant", headers=staff).status_code == 200
    no_reason = client.post(f"/api/v1/licences/{licence.id}/actions", headers=staff,
                            json={"action": "suspend", "reason": " "})
    assert no_reason.status_code == 422
    unknown = client.post(f"/api/v1/licences/{licence.id}/actions", headers=staff,
                          json={"action": "explode", "reason": "x"})
    assert unknown.status_code == 422
    done = client.post(f"/api/v1/licences/{licence.id}/actions", headers=staff,
                       json={"action": "suspend", "reason": "商标使用不规范"})
    assert done.status_code == 200 and done.json["status"] == "suspended"
    assert done.json["decisions"][-1]["reason"] == "商标使用不规范"
    assert done.json["decisions"][-1]["actor"] == "secretary"


def test_a_firm_user_applies_only_for_itself_and_sees_only_its_own_licences(client, staff):
    make_mark("ZSSJ", "collective")
    mine = make_member_firm(1, TODAY)
    other = make_member_firm(2, TODAY)
    make_user("firm-one", "firm", firm_uscc=mine.uscc)
    headers = bearer("firm-one")
    body = {"mark_code": "ZSSJ", "product_models": ["L-100"], "commitment_signed": True}
    assert client.post("/api/v1/licences", headers=headers, json={**body, "firm_uscc": other.uscc}).status_code == 403
    own = client.post("/api/v1/licences", headers=headers, json={**body, "firm_uscc": mine.uscc})
    assert own.status_code == 201
    theirs = services.apply_for_licence(uscc=other.uscc, mark_code="ZSSJ", product_models=["L-100"],
                                        commitment_signed=True, today=TODAY)
    assert client.get(f"/api/v1/licences/{own.json['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/licences/{theirs.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/licences/{own.json['id']}/grant", headers=headers).status_code == 403


def test_the_openapi_document_lists_the_licence_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/marks", "/licences", "/licences/{id}", "/licences/{id}/grant", "/licences/{id}/actions",
                 "/licences/{id}/payments"):
        assert path in paths


def test_the_licence_api_gives_the_same_verify_url_as_the_certificate_qr(app, client):
    from tests.builders import make_certified_licence, staff_user
    from certificates.services import verify_url_for

    app.config["PUBLIC_BASE_URL"] = "https://mark.example.org"
    licence, certificate = make_certified_licence()
    staff_user()
    body = client.get(f"/api/v1/licences/{licence.id}", headers=bearer("staff-cert")).json
    assert body["verify_url"] == verify_url_for(certificate.token)
    assert body["verify_url"].startswith("HTTPS://MARK.EXAMPLE.ORG/V/")
