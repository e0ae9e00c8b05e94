"""The inspection detail page and answer compute the case once: clause specifications built once, one judgement."""
from datetime import date

from inspections import services
from tests.builders import bearer, lock_inspection, login, make_lock_world, make_member_firm, make_user


def counting(monkeypatch):
    calls = {"specs": 0, "judge": 0}
    build, judge = services.clause_spec, services.engine.judge_sample

    def spec(clause):
        calls["specs"] += 1
        return build(clause)

    def judged(*args, **kw):
        calls["judge"] += 1
        return judge(*args, **kw)

    monkeypatch.setattr(services, "clause_spec", spec)
    monkeypatch.setattr(services.engine, "judge_sample", judged)
    return calls


def test_the_detail_page_builds_each_clause_specification_once_and_judges_the_sample_once(app, client, monkeypatch):
    make_lock_world()
    firm = make_member_firm(1, date(2023, 1, 1))
    row = lock_inspection(firm, date(2024, 4, 20), sampled_on=date(2024, 4, 10))
    clauses = len(row.version.clauses)
    make_user("secretary", "staff")
    login(client, "secretary")
    calls = counting(monkeypatch)
    assert client.get(f"/inspections/{row.id}").status_code == 200
    assert calls == {"specs": clauses, "judge": 1}


def test_the_inspection_answer_builds_each_clause_specification_once_and_judges_the_sample_once(app, client,
                                                                                                monkeypatch):
    make_lock_world()
    firm = make_member_firm(1, date(2023, 1, 1))
    row = lock_inspection(firm, date(2024, 4, 20), sampled_on=date(2024, 4, 10))
    clauses = len(row.version.clauses)
    make_user("secretary", "staff")
    headers = bearer("secretary")
    calls = counting(monkeypatch)
    assert client.get(f"/api/v1/inspections/{row.id}", headers=headers).status_code == 200
    assert calls == {"specs": clauses, "judge": 1}
