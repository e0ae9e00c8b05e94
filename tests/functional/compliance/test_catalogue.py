"""The standards catalogue through the API, the pages and the CLI."""
from urllib.parse import quote

from compliance.models import Clause, Standard, StandardVersion
from infra.db import db
from tests.builders import COOKERS, LOCKS, bearer, login, make_alliance, make_standard, make_user

THREE_PROBLEMS = """
code: Q/ZSSJ 009
title: 测试标准
alliance: ZSSJ
version: "2026"
effective: 2026-01-01
verdict_rule:
  pass_if_any:
    - {A: 0, B: 0, C: 0}
clauses:
  - {number: "5.1", title: 甲, category: D, kind: numeric, unit: N, comparator: ">=", limit: 10, digits: 0}
  - {number: "5.2", title: 乙, category: A, kind: numeric, unit: N, comparator: "=>", limit: 10, digits: 0}
  - {number: "5.3", title: 丙, category: B, kind: attribute, level: II}
"""


def staff_headers():
    make_user("staff1", "staff")
    return bearer("staff1")


def test_a_standard_is_imported_through_the_api_and_read_back_with_its_clauses(app, client):
    make_alliance()
    headers = staff_headers()
    response = client.post("/api/v1/standards", data=LOCKS.read_bytes(), headers={**headers, "Content-Type": "application/x-yaml"})
    assert response.status_code == 201, response.json
    code = quote("Q/ZSSJ 001", safe="")
    got = client.get(f"/api/v1/standards/{code}/versions/2012", headers=headers)
    assert got.status_code == 200
    body = got.json
    assert body["status"] == "published"
    assert len(body["clauses"]) == 18
    clause = next(c for c in body["clauses"] if c["number"] == "5.5")
    assert clause["limit"] == "3000" and clause["requirement"] == "≥ 3000 N"


def test_a_file_with_three_problems_is_refused_naming_all_three_and_nothing_is_stored(app, client):
    make_alliance()
    response = client.post("/api/v1/standards", data=THREE_PROBLEMS.encode(), headers=staff_headers())
    assert response.status_code == 422
    problems = response.json["error"]["details"]["problems"]
    places = {(p["where"], p["field"]) for p in problems}
    assert any("5.1" in w and f == "category" for w, f in places), problems
    assert any("5.2" in w and f == "comparator" for w, f in places), problems
    assert any("5.3" in w and f == "aql" for w, f in places), problems
    assert db.session.execute(db.select(db.func.count()).select_from(Standard)).scalar() == 0
    assert db.session.execute(db.select(db.func.count()).select_from(Clause)).scalar() == 0


def test_the_same_version_cannot_be_imported_twice(app, client):
    make_standard()
    response = client.post("/api/v1/standards", data=LOCKS.read_bytes(), headers=staff_headers())
    assert response.status_code == 409


def test_the_export_imports_back_identically(app, client):
    from compliance import services
    from compliance.standard_file import parse_standard

    version = make_standard(COOKERS)
    exported = services.export_yaml(version)
    assert parse_standard(exported) == parse_standard(COOKERS.read_text(encoding="utf-8"))


def test_a_new_version_supersedes_the_old_one_with_a_transition_end(app):
    from compliance import services

    old = make_standard()
    text = LOCKS.read_text(encoding="utf-8").replace('version: "2012"', 'version: "2026"').replace(
        "effective: 2012-07-01", "effective: 2026-01-01").replace("transition_end: null", "status: draft\ntransition_end: null")
    draft = services.import_standard(text)
    assert draft.status == "draft" and old.status == "published"
    import datetime

    services.publish(draft.id, datetime.date(2026, 6, 30))
    assert db.session.get(StandardVersion, old.id).status == "superseded"
    assert draft.status == "published" and draft.transition_end == datetime.date(2026, 6, 30)
    assert draft.standard.current_version.label == "2026"


def test_staff_see_the_standard_and_its_limits_as_a_standard_prints_them(app, client):
    version = make_standard(COOKERS)
    make_user("staff1", "staff")
    login(client, "staff1")
    page = client.get(f"/standards/versions/{version.id}").get_data(as_text=True)
    assert "电压力锅" in page and "40～140 kPa" in page and "≤ 0.75 mA" in page
    listing = client.get("/standards/").get_data(as_text=True)
    assert "Q/SDDYLG 001" in listing


def test_the_upload_form_lists_every_problem(app, client):
    make_alliance()
    make_user("staff1", "staff")
    login(client, "staff1")
    page = client.post("/standards/import", data={"text": THREE_PROBLEMS}).get_data(as_text=True)
    assert "category" in page and "comparator" in page and "aql" in page


def test_the_sampling_plan_endpoint_gives_the_table_values(app, client):
    make_user("tech", "staff")
    response = client.get("/api/v1/sampling-plan?lot_size=1000&level=II&aql=1.5&severity=normal", headers=bearer("tech"))
    assert response.status_code == 200
    assert {k: response.json[k] for k in ("code_letter", "sample_size", "ac", "re")} == \
        {"code_letter": "J", "sample_size": 80, "ac": 3, "re": 4}


def test_a_bad_sampling_query_names_the_field(app, client):
    make_user("tech", "staff")
    response = client.get("/api/v1/sampling-plan?lot_size=abc&aql=1.5", headers=bearer("tech"))
    assert response.status_code == 422 and "lot_size" in response.json["error"]["message"]


def test_import_standard_command_refuses_a_bad_file_and_accepts_a_good_one(app, tmp_path):
    make_alliance()
    bad = tmp_path / "bad.yaml"
    bad.write_text(THREE_PROBLEMS, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-standard", str(bad)])
    assert result.exit_code != 0 and "5.2" in result.output
    result = runner.invoke(args=["import-standard", str(LOCKS)])
    assert result.exit_code == 0, result.output
    assert "Q/ZSSJ 001" in result.output
