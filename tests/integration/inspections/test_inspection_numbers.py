"""Inspection and licence numbers: gapless per station (mark) and year, kept by revisions, unique under load."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from infra import clock
from infra.db import db, transaction
from infra.errors import AppError
from inspections import services
from inspections.models import Inspection
from inspections.services import Sampling
from tests.builders import (bearer, lock_entries, make_active_licence, make_alliance, make_firm, make_inspection,
                            make_lock_world, make_mark, make_member_firm, make_product_model, make_standard,
                            make_station, make_station_people)
from tests.integration.trademark.test_concurrency import at_once
from trademark import services as trademark

DAY = date(2024, 3, 1)


@pytest.fixture
def people(app):
    make_alliance()
    make_standard()
    make_station()
    make_station("ZS-LAB2")
    return make_station_people(), make_station_people("ZS-LAB2", prefix="b-")


def committed_numbers() -> list[tuple[str, int]]:
    with db.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(
            select(Inspection.number, Inspection.revision).order_by(Inspection.id)).all()]


def test_each_station_numbers_its_inspections_from_one_each_year_without_the_others_making_gaps(people):
    (tech, *_), (other, *_) = people
    opened = [make_inspection(tech), make_inspection(other, station="ZS-LAB2"), make_inspection(tech),
              make_inspection(other, station="ZS-LAB2"), make_inspection(tech, sampled_on=date(2025, 1, 2))]

    assert [row.number for row in opened] == ["ZS-LAB-2024-0001", "ZS-LAB2-2024-0001", "ZS-LAB-2024-0002",
                                              "ZS-LAB2-2024-0002", "ZS-LAB-2025-0001"]


def test_a_refused_draft_takes_no_number_and_a_voided_one_keeps_its_own(people):
    (tech, *_), _ = people
    first = make_inspection(tech)
    with pytest.raises(AppError):
        make_inspection(tech, lot_size=None)  # refused before a number is taken
    with pytest.raises(RuntimeError), transaction():
        make_inspection(tech)
        raise RuntimeError("the use case fails after its number was taken: the rollback gives the number back")
    services.void_inspection(first.id, tech, "抽错了样品")
    second = make_inspection(tech)

    assert (first.number, second.number) == ("ZS-LAB-2024-0001", "ZS-LAB-2024-0002")
    assert committed_numbers() == [("ZS-LAB-2024-0001", 1), ("ZS-LAB-2024-0002", 1)]


def test_the_year_is_the_creation_day_in_the_alliances_time_zone(app, people, monkeypatch):
    (tech, *_), _ = people
    firm = make_firm(1)
    make_product_model(firm)
    # 2024-12-31 20:00 UTC is already 2025-01-01 in Shanghai: the number is of 2025.
    monkeypatch.setattr(clock, "now", lambda: clock.local(datetime(2024, 12, 31, 20, 0)))
    row = services.create_inspection(
        type="type", firm_uscc=firm.uscc, product_model="ZS-100", standard_code="Q/ZSSJ 001", station_code="ZS-LAB",
        sampling=Sampling(sampled_on=date(2024, 12, 31), place="factory", lot_size=500), actor=tech,
        today=clock.today())

    assert row.number == "ZS-LAB-2025-0001"


def test_a_revision_keeps_the_number_and_reads_its_revision_on_the_page_and_the_report(people, app):
    (tech, _, rev, _), _ = people
    row = make_inspection(tech)
    services.save_results(row.id, lock_entries(row), tech)
    services.submit(row.id, tech)
    services.verify_inspection(row.id, rev, DAY)
    newer = services.revise(row.id, tech, "抄录错误")
    services.submit(newer.id, tech)
    services.verify_inspection(newer.id, rev, DAY)

    assert (newer.number, newer.revision) == (row.number, 2) == ("ZS-LAB-2024-0001", 2)
    assert newer.report_no == "ZS-LAB-2024-0001 第2版" and row.report_no == "ZS-LAB-2024-0001"
    pdf, name = services.report_pdf(newer.id, rev, DAY)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert name == "report-ZS-LAB-2024-0001-rev2.pdf"
    assert "报告编号：ZS-LAB-2024-0001 第2版" in text and "-R2" not in text
    assert newer.shown_number == "ZS-LAB-2024-0001 第2版" and row.shown_number == "ZS-LAB-2024-0001"


def test_eight_technicians_opening_inspections_at_once_get_eight_consecutive_numbers(app, people):
    (tech, tech2, *_), _ = people
    firm = make_firm(1)
    make_product_model(firm)
    headers = [bearer(tech.username), bearer(tech2.username)]
    today = clock.today()
    body = {"type": "type", "firm_uscc": firm.uscc, "product_model": "ZS-100", "standard_code": "Q/ZSSJ 001",
            "station_code": "ZS-LAB", "sampling": {"date": today.isoformat(), "place": "factory", "lot_size": 500}}
    turn = iter(range(100))

    answers = at_once(app, lambda client: client.post("/api/v1/inspections", json=body,
                                                      headers=headers[next(turn) % 2]))

    assert answers == {201: 8}
    numbers = sorted(number for number, _ in committed_numbers())
    assert numbers == [f"ZS-LAB-{today.year}-{n:04d}" for n in range(1, 9)]


def test_licence_numbers_are_gapless_per_mark_and_year_whatever_else_takes_ids(app):
    make_lock_world()
    make_mark()
    make_mark("ZSSJ-CERT", type="certification")
    granted = clock.today() - timedelta(days=30)
    first = make_active_licence(1, granted)
    other = make_active_licence(2, granted, mark_code="ZSSJ-CERT")
    firm = make_member_firm(3, granted - timedelta(days=400))
    refused = trademark.apply_for_licence(uscc=firm.uscc, mark_code="ZSSJ-MARK", product_models=["L-100"],
                                          commitment_signed=True, today=granted)  # no type test: never granted
    second = make_active_licence(4, granted)

    year = granted.year
    assert refused.number is None
    assert [first.number, second.number, other.number] == [
        f"ZSSJ-MARK-{year}-00001", f"ZSSJ-MARK-{year}-00002", f"ZSSJ-CERT-{year}-00001"]


def test_a_licence_page_names_its_decisions_evidence_by_inspection_number(app, client):
    from tests.builders import login, make_user

    make_lock_world()
    make_mark()
    granted = clock.today() - timedelta(days=30)
    licence = make_active_licence(1, granted)
    make_user("secretary", "staff")
    login(client, "secretary")
    evidence = db.session.execute(select(Inspection)).scalars().one()  # the type inspection the grant rests on

    html = client.get(f"/licences/{licence.id}").get_data(as_text=True)

    assert f">{evidence.number}</a>" in html and f">#{evidence.id}</a>" not in html


def test_the_inspections_list_finds_an_inspection_by_its_number_whole_or_in_part(people):
    from infra.pagination import ListArgs

    (tech, *_), _ = people
    first, second = make_inspection(tech), make_inspection(tech)

    def found(q):
        return [row.id for row in services.list_inspections(tech, None, ListArgs(q=q)).items]

    assert found("zs-lab-2024-0002") == [second.id]
    assert found("2024-000") == [second.id, first.id]
