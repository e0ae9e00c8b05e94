"""The public registry: search by firm name, USCC, licence or certificate number, whole or in part."""
from __future__ import annotations

from datetime import date

from tests.builders import make_certified_licence, staff_user
from trademark import services


def _body(client, q) -> str:
    return client.get("/registry", query_string={"q": q}).get_data(as_text=True).split("<tbody>")[-1]


def test_the_registry_finds_licences_without_login_whole_or_in_part(app, client):
    licence, certificate = make_certified_licence(1)
    for q in ("测试企业", licence.firm.uscc, licence.firm.uscc.lower(), certificate.serial,
              certificate.serial[-5:], licence.firm.uscc[4:12]):
        html = _body(client, q)
        assert licence.firm.name in html and "有效" in html, q
    assert "没有找到" in _body(client, "不存在的企业")
    assert client.get("/registry").status_code == 200
    assert "%" not in _body(client, "%%")


def test_a_revoked_licence_stays_findable_and_is_shown_as_revoked(app, client):
    revoked, _ = make_certified_licence(2)
    services.act_on_licence(revoked.id, "revoke", "多次抽检不合格", date.today(), staff_user())
    html = _body(client, revoked.firm.uscc)
    assert revoked.firm.name in html and "已撤销" in html and "没有找到" not in html


def test_a_one_character_search_is_answered(app, client):
    licence, _ = make_certified_licence(1)
    assert licence.firm.name in _body(client, licence.firm.name[0])
