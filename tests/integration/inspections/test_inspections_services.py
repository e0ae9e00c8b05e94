"""Inspection use cases on a real database: four eyes, immutability, locking, CSV, retest, switching, report."""
import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from infra.errors import AppError
from inspections import services
from inspections.models import Inspection, InspectionStatus
from inspections.services import Entry, Sampling
from infra.db import db
from inspections.events import InspectionVerified
from tests.builders import subscribed
from tests.builders import (LOCK_PASS, lock_entries, make_alliance, make_firm, make_inspection, make_standard,
                            make_station, make_station_people)

LOCK_CLAUSES = ["5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7", "5.8", "5.9", "5.10", "5.11", "5.12", "5.13",
                "5.14", "5.15", "5.16", "5.17", "7.1"]
B_FAILURES = {"5.11": "900", "5.13": "400"}  # two B-class failures: fails every alternative of the rule
A_FAILURE = {"5.5": "2000"}
DAY = date(2024, 3, 1)


@pytest.fixture
def people(app):
    make_alliance()
    make_standard()
    make_station()
    return make_station_people()


def filled(tech, overrides=None, **kw):
    row = make_inspection(tech, **kw)
    services.save_results(row.id, lock_entries(row, overrides), tech)
    return row


def verified(people, overrides=None, today=DAY, **kw):
    tech, _, rev, _ = people
    row = filled(tech, overrides, **kw)
    services.submit(row.id, tech)
    return services.verify_inspection(row.id, rev, today)


def test_the_submitter_and_another_technician_are_refused_and_a_reviewer_verifies(people):
    tech, tech2, rev, _ = people
    row = filled(tech)
    services.submit(row.id, tech)
    for refused in (tech, tech2):
        with pytest.raises(AppError) as err:
            services.verify_inspection(row.id, refused, DAY)
        assert err.value.status == 403
    done = services.verify_inspection(row.id, rev, DAY)
    assert done.status == InspectionStatus.VERIFIED and done.outcome == "pass" and done.verified_by == rev


def test_a_reviewer_cannot_verify_results_they_entered(people, app):
    tech, _, rev, _ = people
    row = filled(tech)
    services.submit(row.id, tech)
    row.results[0].entered_by = rev  # as if the reviewer had typed one value
    from infra.db import db

    db.session.commit()
    with pytest.raises(AppError) as err:
        services.verify_inspection(row.id, rev, DAY)
    assert err.value.status == 403 and "四眼" in err.value.message


def test_an_incomplete_inspection_cannot_be_submitted_and_says_what_is_missing(people):
    tech = people[0]
    row = make_inspection(tech)
    services.save_results(row.id, lock_entries(row)[:-1], tech)
    with pytest.raises(AppError) as err:
        services.submit(row.id, tech)
    assert err.value.status == 409 and err.value.details["missing"] == ["7.1"]


def test_the_type_inspection_requires_all_18_lock_clauses_and_factory_fewer(people):
    tech = people[0]
    assert [s.number for s in services.required_specs(make_inspection(tech))] == LOCK_CLAUSES
    factory = make_inspection(tech, type="factory")
    assert [s.number for s in services.required_specs(factory)] == ["5.4", "5.10", "5.14", "5.16", "7.1"]


def test_verified_results_never_change_and_a_revision_supersedes_them_with_a_reason(people):
    tech, _, rev, rev2 = people
    old = verified(people)
    with pytest.raises(AppError) as err:
        services.save_results(old.id, [Entry("5.2", 1, "7000")], tech)
    assert err.value.status == 409
    assert next(r.value for r in old.results if r.clause_number == "5.2") == "6500"

    with pytest.raises(AppError):
        services.revise(old.id, rev, " ")
    new = services.revise(old.id, rev, "5.2 抄录错误，原始记录为 7000")
    assert new.supersedes == old and new.revision == 2 and new.status == InspectionStatus.DRAFT
    assert old.status == InspectionStatus.VERIFIED  # stands until the revision is verified
    services.save_results(new.id, [Entry("5.2", 1, "7000")], tech)
    services.submit(new.id, tech)
    services.verify_inspection(new.id, rev2, DAY)
    assert old.status == InspectionStatus.SUPERSEDED
    assert next(r.value for r in old.results if r.clause_number == "5.2") == "6500"
    assert [r.id for r in services.revisions(old)] == [old.id, new.id]
    text = report_text(new, tech)
    assert "替代报告" in text and old.number in text and "抄录错误" in text


def test_a_stale_draft_save_is_refused_with_a_conflict_and_does_not_overwrite(people):
    tech, tech2, _, _ = people
    row = make_inspection(tech)
    loaded = row.lock_version
    services.save_results(row.id, [Entry("5.2", 1, "6500")], tech, lock_version=loaded)
    with pytest.raises(AppError) as err:
        services.save_results(row.id, [Entry("5.2", 1, "5000")], tech2, lock_version=loaded)
    assert err.value.status == 409 and "他人修改" in err.value.message
    fresh = services.get_inspection(row.id, tech)
    assert [r.value for r in fresh.results] == ["6500"]
    services.save_results(row.id, [Entry("5.2", 1, "5000")], tech2, lock_version=fresh.lock_version)


def test_csv_import_lists_every_bad_row_and_imports_nothing(people):
    tech = people[0]
    row = make_inspection(tech)
    template = services.csv_template(row)
    for number in LOCK_CLAUSES:
        assert f"\r\n{number}," in template
    bad = ("clause,unit,value\n5.1,1,1\n5.2,1,6500\n5.3,1,\"0,02\"\n9.9,1,5\n5.4,7,21\n5.5,1,-3\n5.6,1,6500\n"
           "5.6,1,6600\n7.1,1,abc\n")
    with pytest.raises(AppError) as err:
        services.import_csv(row.id, bad, tech)
    problems = err.value.details["problems"]
    assert [(p["line"], p["field"]) for p in problems] == [
        (4, "value"), (5, "clause"), (6, "unit"), (7, "value"), (9, "unit"), (10, "nonconforming")]
    assert services.get_inspection(row.id, tech).results == []


def test_csv_import_of_the_filled_template_stores_every_result(people):
    tech = people[0]
    row = make_inspection(tech)
    lines = ["clause,unit,value"] + [
        f"{e.clause},{e.unit or 1},{e.nonconforming if e.nonconforming is not None else ('1' if e.value is True else e.value)}"
        for e in lock_entries(row)]
    verdict, count = services.import_csv(row.id, "\ufeff" + "\n".join(lines), tech)
    assert count == 26 and verdict.outcome.value == "pass"


def test_a_retest_opens_on_a_doubled_sample_before_the_deadline_only(people):
    tech = people[0]
    failed = verified(people, B_FAILURES)
    assert failed.outcome == "fail"
    late = failed.verified_on + timedelta(days=31)
    allowed, reason = services.retest_status(failed, late)
    assert not allowed and "期限已过" in reason
    with pytest.raises(AppError) as err:
        services.open_retest(failed.id, tech, late, Sampling(sampled_on=late, lot_size=500))
    assert err.value.status == 409

    on_time = failed.verified_on + timedelta(days=30)
    retest = services.open_retest(failed.id, tech, on_time, Sampling(sampled_on=on_time, lot_size=500))
    assert retest.type == "retest" and retest.retest_of == failed and retest.version == failed.version
    units = {s.number: s.units for s in services.required_specs(retest)}
    assert units["5.4"] == 6 and units["5.2"] == 2
    with pytest.raises(AppError):
        services.open_retest(failed.id, tech, on_time, Sampling(sampled_on=on_time, lot_size=500))
    services.save_results(retest.id, lock_entries(retest), tech)
    assert services.judge(retest).outcome.value == "pass"


def test_an_a_class_failure_may_not_be_retested(people):
    failed = verified(people, A_FAILURE)
    allowed, reason = services.retest_status(failed, failed.verified_on)
    assert not allowed and "A 类" in reason


def test_a_passed_inspection_is_not_retested(people):
    allowed, _ = services.retest_status(verified(people), DAY)
    assert not allowed


def report_text(row, actor):
    pdf, _ = services.report_pdf(row.id, actor, DAY)
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_report_holds_the_verdict_and_every_clause_number(people):
    tech, _, rev, _ = people
    row = verified(people, B_FAILURES)
    text = report_text(row, rev)
    assert "检验报告" in text and "不合格" in text and row.number in text
    for number in LOCK_CLAUSES:
        assert number in text
    assert rev.name in text and tech.name in text


def test_a_technician_of_another_station_cannot_see_the_inspection(people):
    make_station("FS-LAB")
    outsider = make_station_people("FS-LAB", prefix="fs-")[0]
    row = make_inspection(people[0])
    with pytest.raises(AppError) as err:
        services.get_inspection(row.id, outsider)
    assert err.value.status == 404
    assert services.list_inspections(outsider).items == []
    with pytest.raises(AppError) as err:
        make_inspection(outsider)
    assert err.value.status in (403, 422)


def test_two_rejected_lots_tighten_the_next_plan_for_that_category(people):
    tech = people[0]
    for day in (1, 2):
        row = verified(people, {"7.1": 4}, sampled_on=date(2024, 3, day))
        assert next(c for c in services.judge(row).clauses if c.number == "7.1").outcome.value == "fail"
    nxt = make_inspection(tech, sampled_on=date(2024, 3, 3))
    assert nxt.severity == {"A": "normal", "B": "normal", "C": "tightened"}
    plan = next(c for c in services.sample_plan(nxt)["clauses"] if c["number"] == "7.1")
    assert (plan["severity"], plan["sample_size"], plan["ac"], plan["re"]) == ("tightened", 50, 2, 3)


def test_the_verified_event_is_handled_inside_the_same_transaction(people):
    tech, _, rev, _ = people
    seen = []
    row = filled(tech)
    services.submit(row.id, tech)

    def hook(event):
        seen.append((db.session.get(Inspection, event.inspection_id).status, event.today))
        raise RuntimeError("licence rules failed")

    with subscribed(InspectionVerified, hook):
        with pytest.raises(RuntimeError):
            services.verify_inspection(row.id, rev, DAY)
    db.session.rollback()
    assert seen == [(InspectionStatus.VERIFIED, DAY)]
    assert db.session.get(Inspection, row.id).status == InspectionStatus.SUBMITTED


def test_run_inspection_seeds_a_verified_inspection_in_one_call(people):
    tech, _, rev, _ = people
    firm = make_firm(2)
    from tests.builders import make_product_model

    make_product_model(firm, "ZS-200")
    row = services.run_inspection(firm_uscc=firm.uscc, product_model="ZS-200", standard_code="Q/ZSSJ 001",
                                  station_code="ZS-LAB", values=LOCK_PASS, technician=tech, reviewer=rev, today=DAY)
    assert row.status == InspectionStatus.VERIFIED and row.outcome == "pass"


# --- the sampling record, void drafts, returns (issue 15) -------------------------------------------


def _sampling(**overrides):
    return Sampling(**{"sampled_on": DAY, "place": "factory", "lot_no": "L1", "lot_size": 500, **overrides})


def _open(tech, sampling, today=DAY):
    from tests.builders import make_product_model, make_uscc

    make_product_model(make_firm(1))
    return services.create_inspection(type="type", firm_uscc=make_uscc(1), product_model="ZS-100",
                                      standard_code="Q/ZSSJ 001", station_code="ZS-LAB", sampling=sampling,
                                      actor=tech, today=today)


def test_a_sampling_date_after_today_is_refused_naming_the_date(people):
    tech = people[0]
    with pytest.raises(AppError) as err:
        _open(tech, _sampling(sampled_on=DAY + timedelta(days=1)))
    assert err.value.status == 422 and err.value.field == "sampling.date" and "晚于今天" in err.value.message


def test_an_inspection_without_a_lot_size_is_refused_since_it_could_never_be_submitted(people):
    tech = people[0]
    with pytest.raises(AppError) as err:
        _open(tech, _sampling(lot_size=None))
    assert err.value.status == 422 and err.value.field == "sampling.lot_size"


def test_a_draft_s_sampling_record_is_corrected_and_the_sample_size_follows_the_lot(people):
    tech = people[0]
    row = make_inspection(tech, lot_size=500)
    assert row.sample_size == 50
    services.update_sampling(row.id, tech, _sampling(lot_size=20, lot_no="L2"), DAY)
    db.session.expire_all()
    row = db.session.get(Inspection, row.id)
    assert (row.lot_size, row.lot_no, row.sample_size) == (20, "L2", 5)


def test_a_submitted_inspection_s_sampling_record_cannot_be_corrected(people):
    tech = people[0]
    row = filled(tech)
    services.submit(row.id, tech)
    with pytest.raises(AppError) as err:
        services.update_sampling(row.id, tech, _sampling(lot_size=800), DAY)
    assert err.value.status == 409


def test_a_voided_draft_is_kept_with_its_reason_and_takes_no_more_results(people):
    tech = people[0]
    row = make_inspection(tech)
    with pytest.raises(AppError):
        services.void_inspection(row.id, tech, "  ")
    services.void_inspection(row.id, tech, "型号选错")
    db.session.expire_all()
    row = db.session.get(Inspection, row.id)
    assert row.status == InspectionStatus.VOID and row.void_reason == "型号选错" and row.voided_by_id == tech.id
    with pytest.raises(AppError):
        services.save_results(row.id, lock_entries(row), tech)
    with pytest.raises(AppError):
        services.submit(row.id, tech)


def test_only_a_draft_can_be_voided(people):
    tech, _, rev, _ = people
    row = verified(people)
    with pytest.raises(AppError) as err:
        services.void_inspection(row.id, rev, "误开")
    assert err.value.status == 409


def test_a_return_for_a_sampling_error_keeps_the_reason_until_the_record_is_corrected(people):
    tech, _, rev, _ = people
    row = filled(tech)
    services.submit(row.id, tech)
    services.return_to_draft(row.id, rev, "批量应为 800", sampling=True)
    db.session.expire_all()
    row = db.session.get(Inspection, row.id)
    assert (row.status, row.return_reason, row.return_sampling, row.returned_by_id) == \
        (InspectionStatus.DRAFT, "批量应为 800", True, rev.id)
    services.update_sampling(row.id, tech, _sampling(lot_size=800), DAY)
    db.session.expire_all()
    assert db.session.get(Inspection, row.id).return_sampling is False


def test_may_verify_gives_the_four_eyes_reason_and_the_service_asks_it(people):
    tech, _, rev, rev2 = people
    row = filled(tech)
    assert services.may_verify(row, rev)[0] is False  # still a draft
    services.submit(row.id, tech)
    assert services.may_verify(row, rev) == (True, "")
    assert services.may_verify(row, tech)[0] is False
    row.results[0].entered_by_id = rev2.id  # a reviewer who entered a value may not verify it
    db.session.flush()
    allowed, reason = services.may_verify(row, rev2)
    assert not allowed and "四眼" in reason
    with pytest.raises(AppError) as err:
        services.verify_inspection(row.id, rev2, DAY)
    assert err.value.status == 403


def test_the_review_queue_counts_what_this_reviewer_may_verify(people):
    tech, _, rev, rev2 = people
    first, second = filled(tech), filled(tech)
    services.submit(first.id, tech)
    services.submit(second.id, tech)
    first.results[0].entered_by_id = rev2.id
    db.session.flush()
    assert services.awaiting_review(rev) == 2
    assert services.awaiting_review(rev2) == 1
    assert services.awaiting_review(tech) == 0
