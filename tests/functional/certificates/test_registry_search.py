"""The public registry: search by firm name, USCC or certificate number; current licences only."""
from __future__ import annotations

from datetime import date

from tests.builders import make_certified_licence, staff_user
from trademark import services


def test_the_registry_finds_current_licences_without_login(app, client):
    licence, certificate = make_certified_licence(1)
    revoked, _ = make_certified_licence(2)
    services.act_on_licence(revoked.id, "revoke", "多次抽检不合格", date.today(), staff_user())
    for q in ("测试企业", licence.firm.uscc, licence.firm.uscc.lower(), certificate.serial):
        html = client.get("/registry", query_string={"q": q}).get_data(as_text=True)
        assert licence.firm.name in html and "有效" in html, q
        assert revoked.firm.name not in html
    assert "没有找到" in client.get("/registry", query_string={"q": "不存在的企业"}).get_data(as_text=True)
    assert client.get("/registry").status_code == 200
    assert "%" not in client.get("/registry", query_string={"q": "%%"}).get_data(as_text=True).split("<tbody>")[-1]
