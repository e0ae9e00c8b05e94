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


def _application_without_commitment(client):
    from infra.db import db
    from trademark.models import Licence

    make_lock_world()
    make_mark()
    mine = make_active_licence(1, TODAY - timedelta(days=30))
    make_mark("ZSSJ-CERT", "certification")
    make_user("firm-one", "firm", firm_uscc=mine.firm.uscc)
    login(client, "firm-one")
    response = client.post("/portal/apply", data={"apply-mark": "ZSSJ-CERT", "apply-models": ["L-100"]})
    licence_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    return db.session.get(Licence, licence_id)


def test_a_firm_records_the_commitment_later_on_its_own_application(app, client):
    from infra.db import db

    application = _application_without_commitment(client)
    assert application.commitment_signed is False
    page = client.get(f"/portal/licences/{application.id}").get_data(as_text=True)
    assert "登记已签署的承诺书" in page
    client.post(f"/portal/licences/{application.id}/commitment")
    db.session.expire_all()
    assert application.commitment_signed is True
    assert "登记已签署的承诺书" not in client.get(f"/portal/licences/{application.id}").get_data(as_text=True)


def test_a_firm_withdraws_its_application_only_with_the_tick_and_may_then_apply_again(app, client):
    from infra.db import db

    application = _application_without_commitment(client)
    client.post(f"/portal/licences/{application.id}/withdraw", data={"wd-reason": "型号改版"})
    db.session.expire_all()
    assert application.status == "applied"
    client.post(f"/portal/licences/{application.id}/withdraw", data={"wd-reason": "型号改版", "wd-confirm": "y"})
    db.session.expire_all()
    assert application.status == "surrendered"  # the rules core ends a withdrawn application as surrendered
    again = client.post("/portal/apply", data={"apply-mark": "ZSSJ-CERT", "apply-models": ["L-100"],
                                              "apply-commitment_signed": "y"})
    assert again.status_code == 302 and "/portal/licences/" in again.headers["Location"]


def test_a_firm_cannot_withdraw_or_sign_for_another_firm(app, client):
    make_lock_world()
    make_mark()
    mine = make_active_licence(1, TODAY - timedelta(days=30))
    theirs = make_active_licence(2, TODAY - timedelta(days=30))
    make_user("firm-one", "firm", firm_uscc=mine.firm.uscc)
    login(client, "firm-one")
    assert client.post(f"/portal/licences/{theirs.id}/withdraw", data={"wd-reason": "x", "wd-confirm": "y"}).status_code == 404
    assert client.post(f"/portal/licences/{theirs.id}/commitment").status_code == 404


def test_the_portal_pages_through_a_group_firms_licences_and_lists_the_soonest_deadlines_of_all_of_them(app, client):
    from infra.db import db
    from tests.builders import make_certified_licence
    from tests.builders.bulk import bulk_licences
    from trademark import services

    first, _certificate = make_certified_licence(1)
    make_user("group", "firm", firm_uscc=first.firm.uscc)
    login(client, "group")
    # One licence (the common case): every one of its deadlines is listed.
    alone = client.get("/portal").get_data(as_text=True).split('id="deadlines"')[1]
    assert all(str(d.what) in alone for d in services.deadlines(first, TODAY)) and "查看全部期限" not in alone
    bulk_licences(60, firm=first.firm)  # 42 active and 6 suspended: 49 live with the first
    # The firm's first licence is on the last page of its newest-first list, and falls due first.
    first.expires_on = TODAY + timedelta(days=3)
    db.session.commit()
    page = client.get("/portal").get_data(as_text=True)
    table, deadlines = page.split('id="deadlines"')
    assert "共 61 条" in table and "第 1–50 条" in table and 'rel="next"' in table
    assert f'href="/portal/licences/{first.id}"' not in table
    assert "全部 49 个有效或暂停的许可" in deadlines and "查看全部期限" in deadlines
    soonest = deadlines.split("<tbody>")[1].split("</tr>")[0]
    assert str(TODAY + timedelta(days=3)) in soonest and f"#{first.id}</a>" in soonest and "许可有效期届满" in soonest
    last = client.get("/portal?page=2").get_data(as_text=True).split('id="deadlines"')[0]
    assert "第 51–61 条" in last and f'href="/portal/licences/{first.id}"' in last and 'rel="next"' not in last
    assert "共 1 条" in client.get(f"/portal?q={first.number}").get_data(as_text=True)
    assert "共 61 条" in client.get("/portal?q=L-100").get_data(as_text=True)  # the model all of them cover
    everything = client.get("/portal/deadlines?per_page=20").get_data(as_text=True)
    assert "共 49 条" in everything and 'rel="next"' in everything
    assert f"#{first.id}</a>" in everything.split("<tbody>")[1].split("</tr>")[0]
    assert f"#{first.id}</a>" not in client.get("/portal/deadlines?per_page=20&page=2").get_data(as_text=True)
    for hostile in ("?page=abc&sort=drop&per_page=-1", "?page=99999999&q=%25", "?sort=-expires&q=' OR 1=1"):
        assert client.get("/portal" + hostile).status_code == 200
        assert client.get("/portal/deadlines" + hostile).status_code == 200
