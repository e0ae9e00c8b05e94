"""One validation layer (infra/schemas.py): what a body model refuses, what it lets through, how unknown things answer."""
from __future__ import annotations

import pytest

from tests.builders import bearer, make_alliance, make_firm, make_uscc, make_user

API = "/api/v1"


@pytest.fixture
def admin(app):
    make_user("boss", "admin")
    make_alliance()
    return bearer("boss")


def test_an_unknown_field_is_refused_naming_it(client, admin):
    response = client.post(f"{API}/firms", json={"name": "甲企业", "uscc": make_uscc(1), "adress": "中山"}, headers=admin)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"adress": "unknown field"}
    assert "adress" in response.get_json()["error"]["message"]


def test_a_malformed_uscc_is_refused_by_the_body_with_the_gb_32100_reason(client, admin):
    wrong = make_uscc(1)[:17] + ("0" if make_uscc(1)[17] != "0" else "1")
    response = client.post(f"{API}/firms", json={"name": "甲企业", "uscc": wrong}, headers=admin)
    assert response.status_code == 422
    assert "校验位" in response.get_json()["error"]["details"]["uscc"]


def test_a_lower_case_uscc_is_taken_upper_cased(client, admin):
    response = client.post(f"{API}/firms", json={"name": "甲企业", "uscc": make_uscc(2).lower()}, headers=admin)
    assert response.status_code == 201 and response.get_json()["uscc"] == make_uscc(2)


def test_an_integer_written_as_2_0_is_the_integer_2(client, admin):
    response = client.post(f"{API}/marks", headers=admin, json={
        "code": "ZS", "alliance": "ZSSJ", "name": "中山锁具", "type": "collective", "validity_years": 2.0,
        "rules": {"X3": {"count": 2.0}}})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["validity_years"] == 2 and response.get_json()["rules"]["X3"]["count"] == 2


@pytest.mark.parametrize("body, field", [
    ({"firm_uscc": make_uscc(9), "mark_code": "ZS", "product_models": ["A"]}, "firm_uscc"),
    ({"firm_uscc": make_uscc(1), "mark_code": "NOPE", "product_models": ["A"]}, "mark_code"),
    ({"firm_uscc": make_uscc(1), "mark_code": "ZS", "product_models": ["NO-SUCH-MODEL"]}, "product_models"),
])
def test_a_licence_for_something_unknown_is_a_404_naming_it(client, admin, body, field):
    make_firm(1)
    client.post(f"{API}/marks", headers=admin, json={"code": "ZS", "alliance": "ZSSJ", "name": "中山锁具",
                                                    "type": "collective"})
    response = client.post(f"{API}/licences", json=body, headers=admin)
    assert response.status_code == 404 and field in response.get_json()["error"]["details"]


def test_an_empty_list_of_product_models_is_refused_by_the_body(client, admin):
    response = client.post(f"{API}/licences", json={"firm_uscc": make_uscc(1), "mark_code": "ZS", "product_models": []},
                           headers=admin)
    assert response.status_code == 422 and "product_models" in response.get_json()["error"]["details"]


def test_an_inspection_needs_a_standard_unless_it_is_a_retest(client, admin):
    response = client.post(f"{API}/inspections", headers=admin, json={
        "type": "type", "firm_uscc": make_uscc(1), "product_model": "A", "station_code": "S",
        "sampling": {"date": "2024-01-01", "lot_size": 10}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"standard_code": "required"}


def test_a_return_or_revision_without_a_reason_is_refused_by_the_body(client, admin):
    from tests.builders import make_lock_world

    make_lock_world()  # its reviewer lab-review
    for action in ("return", "revise"):
        response = client.post(f"{API}/inspections/1/{action}", json={"reason": " "}, headers=bearer("lab-review"))
        assert response.status_code == 422 and "reason" in response.get_json()["error"]["details"], action


def test_a_standard_of_an_unknown_alliance_is_a_404(client, admin):
    text = """code: Q/XX 001
title: 测试
alliance: NOPE
version: "1"
effective: 2020-01-01
verdict_rule: {pass_if_any: [{A: 0, B: 0, C: 0}]}
clauses:
  - {number: "5.1", title: 外观, category: A, kind: boolean, expected: true}
"""
    response = client.post(f"{API}/standards", data=text.encode(), headers=admin, content_type="text/plain")
    assert response.status_code == 404
    assert response.get_json()["error"]["details"]["problems"][0]["field"] == "alliance"
