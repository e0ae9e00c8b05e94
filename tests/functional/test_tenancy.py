"""Alliances as tenants (SPEC §10): a staff user of another alliance sees and changes nothing.

The walk goes over `app.url_map`, so a route added later without scoping fails here: an item
route must answer 404 (or 403 by role), a list must not name the other alliance's rows, and no
write may change a single row of the database.
"""
from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from accounts.access import PUBLIC
from infra.db import db
from tests.builders import COOKERS, LOCKS, bearer, login, make_standard, make_user
from tests.functional.routes import DUMMY, make_world, world_args

FIRM = "甲乙丙锁业有限公司"
TITLE = "甲乙丙插芯门锁标准"
SIGN_IN = {"accounts.login", "accounts.logout", "accounts.set_language"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def tenants(app):
    """The lock alliance's world (the victim), and the pressure-cooker alliance with its own staff user."""
    from certificates import services as certs
    from certificates.models import Certificate
    from infra import clock
    from trademark.models import Licence

    world = make_world(firm_name=FIRM, standard_title=TITLE)
    certificate = db.session.get(Certificate, world["certificate_id"])
    report = certs.report_fake(certificate.token, "某商场", "疑似假冒", _png(), clock.utcnow())
    world["report_id"] = report.id
    certs.verify_and_log(certificate.token, clock.today(), clock.utcnow(), certs.Client("203.0.113.0/24", "chrome"))
    make_standard(COOKERS)
    make_user("intruder", "staff", alliances=("SDDYLG",))
    make_user("ally", "staff", alliances=("ZSSJ",))
    licence = db.session.get(Licence, world["licence_id"])
    world["secrets"] = [FIRM, TITLE, world["uscc"], world["standard_code"], world["mark_code"], licence.number,
                        certificate.serial, "中山市锁具产业联盟"]
    return world


def _bodies(world: dict) -> dict:
    """A request body per write operation that names the other alliance's rows, so the write reaches the
    scoping check instead of failing on a missing field."""
    lock_yaml = LOCKS.read_text(encoding="utf-8").replace('version: "2012"', 'version: "2099"', 1)
    day = (date.today() - timedelta(days=1)).isoformat()
    sampling = {"date": day, "place": "market", "lot_no": "L9", "lot_size": 500, "seal_no": "S9", "samplers": "甲"}
    return {
        # API
        "parties_api.create_alliance": {"json": {"code": world["alliance_code"], "name": "改名"}},
        "parties_api.create_firm": {"json": {"name": "重名企业", "uscc": world["uscc"]}},
        "parties_api.add_model": {"json": {"model": "NEW-1", "category": "插芯门锁"}},
        "parties_api.admit_member": {"json": {"uscc": world["uscc"]}},
        "parties_api.expel_member": {"json": {"reason": "试图清退"}},
        "compliance_api.import_standard": {"data": lock_yaml.encode(), "content_type": "application/x-yaml"},
        "inspections_api.create_station": {"json": {"code": "NEW-LAB", "name": "新站", "scope": [world["standard_code"]]}},
        "inspections_api.create_inspection": {"json": {
            "type": "surveillance", "firm_uscc": world["uscc"], "product_model": "L-100",
            "standard_code": world["standard_code"], "station_code": "ZS-LAB", "sampling": sampling}},
        "inspections_api.put_results": {"json": {"results": [{"clause": "5.2", "value": "5000"}]}},
        "inspections_api.revise": {"json": {"reason": "改"}},
        "inspections_api.return_to_draft": {"json": {"reason": "退"}},
        "trademark_api.create_mark": {"json": {"code": "NEW-MARK", "alliance": world["alliance_code"], "name": "新标志",
                                               "type": "collective"}},
        "trademark_api.apply_for_licence": {"json": {"firm_uscc": world["uscc"], "mark_code": world["mark_code"],
                                                     "product_models": ["L-100"], "commitment_signed": True}},
        "trademark_api.grant_licence": {"json": {}},
        "trademark_api.act_on_licence": {"json": {"action": "suspend", "reason": "他联盟试图暂停"}},
        "trademark_api.record_payment": {"json": {"year": date.today().year, "amount": "100.00"}},
        # pages
        "parties.alliances": {"data": {"code": world["alliance_code"], "name": "改名"}},
        "parties.edit_alliance": {"data": {"name": "改名", "secretariat": "改"}},
        "parties.firms": {"data": {"name": "重名企业", "uscc": world["uscc"]}},
        "parties.firm": {"data": {"action": "edit", "firm-name": "改名企业", "firm-address": "改"}},
        "compliance.upload": {"data": {"text": lock_yaml}},
        "compliance.publish": {"data": {"transition_end": ""}},
        "inspections.stations": {"data": {"code": "NEW-LAB", "name": "新站", "scope": world["standard_code"]}},
        "inspections.new": {"data": {"type": "surveillance", "other_uscc": world["uscc"], "other_model": "L-100",
                                     "standard_code": world["standard_code"], "station_code": "ZS-LAB",
                                     "sampled_on": day, "place": "market", "lot_size": "500"}},
        "trademark.marks": {"data": {"code": "NEW-MARK", "alliance": world["alliance_code"], "name": "新标志",
                                     "type": "collective", "validity_years": "3"}},
        "trademark.mark": {"data": {"name": "改名", "type": "collective", "validity_years": "3"}},
        "trademark.licences": {"data": {"firm": world["uscc"], "mark": world["mark_code"], "models": "L-100",
                                        "commitment_signed": "y"}},
        "trademark.licence_action": {"data": {"act-action": "suspend", "act-reason": "他联盟试图暂停"}},
        "trademark.payment": {"data": {"pay-year": str(date.today().year), "pay-amount": "100.00"}},
    }


def snapshot() -> dict:
    """Every row of every table: a write that changes anything at all shows here."""
    db.session.expire_all()
    return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)).all())
            for table in db.metadata.sorted_tables}


def _body_text(response) -> str:
    if response.mimetype in ("application/pdf",) or not response.mimetype.startswith(("text/", "application/json",
                                                                                     "application/x-yaml")):
        return response.get_data().decode("latin-1")
    return response.get_data(as_text=True)


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text or json.dumps(s)[1:-1] in text]


def _routes(app, world):
    """(endpoint, method, url, uses_real_rows) for every non-public route, and a few list queries."""
    real = {rule.endpoint + rule.rule: all(v not in DUMMY.values() for v in world_args(world, rule).values())
            for rule in app.url_map.iter_rules()}
    seen = set()
    for rule in app.url_map.iter_rules():
        access = getattr(app.view_functions.get(rule.endpoint), "access", None)
        if rule.endpoint in SIGN_IN or access == PUBLIC or rule.endpoint == "static":
            continue
        url = rule.build(world_args(world, rule), append_unknown=False)[1]
        for method in sorted(rule.methods & set(METHODS)):
            if (method, url) not in seen:
                seen.add((method, url))
                yield rule.endpoint, method, url, bool(rule.arguments), real[rule.endpoint + rule.rule]


def _list_queries(world: dict) -> list[tuple[str, str]]:
    """Lists asked for the other alliance's rows by name: (url, the words searched for)."""
    serial = world["secrets"][6]
    return [(f"/firms?q={world['uscc']}", world["uscc"]), (f"/firms?q={FIRM}", FIRM),
            (f"/certificates?q={serial}", serial), ("/certificates?hours=720&networks=1", ""),
            ("/licences?status=active", ""), ("/inspections?status=verified", ""), ("/fake-reports?all=1", ""),
            ("/api/v1/inspections?status=verified", "")]


def _open(app, web, headers, method, url, body=None):
    body = body or {}
    if url.startswith("/api/"):
        return app.test_client().open(url, method=method, headers=headers, **body)
    return web.open(url, method=method, **body)


def test_a_staff_user_of_another_alliance_finds_nothing_by_url_list_or_api(app, tenants):
    web = app.test_client()
    login(web, "intruder")
    headers = bearer("intruder")
    walked, offenders = 0, []
    for endpoint, method, url, has_args, _real in _routes(app, tenants):
        if method != "GET":
            continue
        walked += 1
        response = _open(app, web, headers, method, url)
        status = response.status_code
        if has_args:
            # An item of the other alliance: "not yours" is "does not exist" (or the role's 403).
            if status not in (403, 404):
                offenders.append((endpoint, url, status))
        elif status >= 400 and status not in (403, 422):  # 422: a list's required query is missing
            offenders.append((endpoint, url, status))
        elif leaked := _leaks(_body_text(response), tenants["secrets"]):
            offenders.append((endpoint, url, status, leaked))
    for url, asked in _list_queries(tenants):
        response = _open(app, web, headers, "GET", url)
        walked += 1
        # The page shows the search words back; everything else of the other alliance must be absent.
        others = [s for s in tenants["secrets"] if s not in asked]
        if response.status_code != 200 or (leaked := _leaks(_body_text(response), others)):
            offenders.append(("list", url, response.status_code, leaked))
    assert walked >= 40
    assert offenders == [], offenders


def test_a_staff_user_of_another_alliance_changes_nothing_by_any_write(app, tenants):
    web = app.test_client()
    login(web, "intruder")
    headers = bearer("intruder")
    bodies = _bodies(tenants)
    before = snapshot()
    walked, offenders = 0, []
    for endpoint, method, url, _has_args, _real in _routes(app, tenants):
        if method == "GET":
            continue
        walked += 1
        response = _open(app, web, headers, method, url, bodies.get(endpoint))
        if response.status_code not in (200, 403, 404, 409, 422) or response.status_code == 200 and url.startswith("/api/"):
            offenders.append((endpoint, method, url, response.status_code))
        after = snapshot()
        changed = [name for name in before if before[name] != after[name]]
        if changed:
            offenders.append((endpoint, method, url, response.status_code, changed))
            before = after
    assert walked >= 30
    assert offenders == [], offenders


def test_the_walk_is_real_a_staff_user_of_the_alliance_itself_reaches_every_row(app, tenants):
    """The control for the two walks above: the same URLs and bodies reach real rows for the alliance's
    own staff, so the 404s there come from the scoping and not from dummy arguments."""
    web = app.test_client()
    login(web, "ally")
    headers = bearer("ally")
    seen, missed, dummies = set(), [], []
    for endpoint, method, url, has_args, real in _routes(app, tenants):
        access = app.view_functions[endpoint].access
        if not has_args or not isinstance(access, frozenset) or "staff" not in access:
            continue
        if not real:  # a new route's argument the world has no row for: give make_world one
            dummies.append((endpoint, method, url))
        if method != "GET":
            continue
        response = _open(app, web, headers, method, url)
        if response.status_code >= 400:
            missed.append((endpoint, url, response.status_code))
        seen.update(_leaks(_body_text(response), tenants["secrets"]))
    for url, _asked in _list_queries(tenants):
        seen.update(_leaks(_body_text(_open(app, web, headers, "GET", url)), tenants["secrets"]))
    assert dummies == []
    assert missed == [], missed
    assert seen == set(tenants["secrets"])


def test_a_staff_user_of_another_alliance_cannot_move_the_licence_by_a_manual_action(app, tenants):
    from trademark.models import Licence

    response = app.test_client().post(f"/api/v1/licences/{tenants['licence_id']}/actions", headers=bearer("intruder"),
                                      json={"action": "revoke", "reason": "他联盟试图撤销"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    db.session.expire_all()
    assert db.session.get(Licence, tenants["licence_id"]).status == "active"


def test_an_item_of_another_alliance_answers_exactly_like_one_that_does_not_exist(app, tenants):
    headers = bearer("intruder")
    client = app.test_client()
    mine = client.get(f"/api/v1/licences/{tenants['licence_id']}", headers=headers)
    none = client.get("/api/v1/licences/999999", headers=headers)
    assert mine.status_code == none.status_code == 404
    assert mine.get_json()["error"]["code"] == none.get_json()["error"]["code"]
    assert client.get(f"/api/v1/firms/{tenants['uscc']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/marks/{tenants['mark_code']}", headers=headers).status_code == 404


def test_admin_is_global_and_sees_every_alliance(app, tenants):
    make_user("root", "admin")
    web = app.test_client()
    login(web, "root")
    page = web.get("/licences").get_data(as_text=True)
    assert FIRM in page
    assert web.get(f"/licences/{tenants['licence_id']}").status_code == 200
