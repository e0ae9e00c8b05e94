"""Alliances, firms, memberships and product models."""
from tests.builders import bearer, login, make_alliance, make_uscc, make_user
from parties.uscc import check_character, is_valid_uscc, normalize_uscc, UsccError

import pytest


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B", make_uscc(7)])
def test_valid_unified_social_credit_codes_pass_the_check(code):
    assert is_valid_uscc(code)


def test_a_code_with_a_wrong_last_character_is_refused_saying_what_it_should_be():
    good = "91350100M000100Y43"
    with pytest.raises(UsccError) as err:
        normalize_uscc(good[:17] + "4")
    assert "校验位" in str(err.value) and check_character(good[:17]) in str(err.value)


def test_letters_outside_the_gb32100_alphabet_are_refused():
    with pytest.raises(UsccError):
        normalize_uscc("91350100I000100Y43")


def test_the_api_refuses_a_firm_with_a_wrong_uscc_naming_the_field(app, client):
    make_user("staff1", "staff")
    response = client.post("/api/v1/firms", json={"name": "甲公司", "uscc": "91350100M000100Y44", "address": "x"},
                           headers=bearer("staff1"))
    assert response.status_code == 422
    assert "uscc" in response.json["error"]["details"]
    assert "统一社会信用代码" in response.json["error"]["message"]


def test_alliances_firms_models_and_memberships_through_the_api(app, client):
    make_user("staff1", "staff")
    headers = bearer("staff1")
    assert client.post("/api/v1/alliances", json={"code": "ZSSJ", "name": "中山锁具联盟"}, headers=headers).status_code == 201
    uscc = make_uscc(3)
    assert client.post("/api/v1/firms", json={"name": "乙公司", "uscc": uscc, "address": "中山"}, headers=headers).status_code == 201
    assert client.post(f"/api/v1/firms/{uscc}/models", json={"model": "M-1", "category": "门锁"}, headers=headers).status_code == 201
    admitted = client.post("/api/v1/alliances/ZSSJ/members", json={"uscc": uscc}, headers=headers)
    assert admitted.status_code == 201 and admitted.json["status"] == "member"
    refused = client.post(f"/api/v1/alliances/ZSSJ/members/{uscc}/expel", json={}, headers=headers)
    assert refused.status_code == 422 and "reason" in refused.json["error"]["details"]
    expelled = client.post(f"/api/v1/alliances/ZSSJ/members/{uscc}/expel", json={"reason": "拒绝抽样"}, headers=headers)
    assert expelled.status_code == 200 and expelled.json["status"] == "expelled"
    again = client.post("/api/v1/alliances/ZSSJ/members", json={"uscc": uscc}, headers=headers)
    assert again.status_code == 409  # E3 cool-off
    firm = client.get(f"/api/v1/firms/{uscc}", headers=headers).json
    assert firm["models"] == [{"model": "M-1", "category": "门锁"}]


def test_staff_create_a_firm_on_the_page_and_a_bad_uscc_shows_beside_the_field(app, client):
    make_user("staff1", "staff")
    login(client, "staff1")
    page = client.post("/firms", data={"name": "丙公司", "uscc": "91350100M000100Y44"}).get_data(as_text=True)
    assert "校验位错误" in page
    response = client.post("/firms", data={"name": "丙公司", "uscc": "91350100M000100Y43", "address": "中山"})
    assert response.status_code == 302
    assert "丙公司" in client.get("/firms").get_data(as_text=True)


def test_a_firm_cannot_use_the_staff_api(app, client):
    make_alliance()
    make_user("staff1", "staff")
    client.post("/api/v1/firms", json={"name": "丁公司", "uscc": make_uscc(4)}, headers=bearer("staff1"))
    make_user("firm1", "firm", firm_uscc=make_uscc(4))
    response = client.post("/api/v1/alliances", json={"code": "X", "name": "x"}, headers=bearer("firm1"))
    assert response.status_code == 403 and response.is_json
