"""The read-only firm portal shows the firm's own licences, decisions, reports and deadlines only."""
from datetime import date, timedelta

from tests.builders import LICENCE_LOCK_B_FAIL, lock_inspection, login, make_active_licence, make_lock_world, make_mark, make_user

TODAY = date.today()


def test_the_firm_portal_shows_nothing_of_another_firm(app, client):
    make_lock_world()
    make_mark()
    mine = make_active_licence(1, TODAY - timedelta(days=30))
    theirs = make_active_licence(2, TODAY - timedelta(days=30))
    failed = lock_inspection(theirs.firm, TODAY, values=LICENCE_LOCK_B_FAIL, sampled_on=TODAY - timedelta(days=3))
    make_user("firm-one", "firm", firm_uscc=mine.firm.uscc)
    login(client, "firm-one")
    page = client.get("/portal").get_data(as_text=True)
    assert mine.firm.name in page and mine.number in page
    assert theirs.firm.name not in page and theirs.number not in page and failed.number not in page
    assert client.get(f"/portal/licences/{theirs.id}").status_code == 404
    own = client.get(f"/portal/licences/{mine.id}").get_data(as_text=True)
    assert "授权" in own and "监督抽查到期" in own


def test_a_firm_applies_through_the_portal_for_itself(app, client):
    make_lock_world()
    make_mark()
    mine = make_active_licence(1, TODAY - timedelta(days=30))
    make_mark("ZSSJ-CERT", "certification")
    make_user("firm-one", "firm", firm_uscc=mine.firm.uscc)
    login(client, "firm-one")
    response = client.post("/portal/apply", data={"apply-mark": "ZSSJ-CERT", "apply-models": ["L-100"],
                                                 "apply-commitment_signed": "y", "apply-firm": "whatever"})
    assert response.status_code == 302 and "/portal/licences/" in response.headers["Location"]
