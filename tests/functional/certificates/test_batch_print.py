"""Batch printing (issue 15): ticked licences or the filtered list give one PDF, a certificate a page.

Only active licences of the staff user's alliances print, with their current certificate; the
others are listed as skipped. Printing reads only: no row of the database changes.
"""
from __future__ import annotations

from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import func, select

from certificates import services as certs
from infra.audit import AuditEntry
from infra.db import db
from tests.builders import COOKERS, login, make_active_licence, make_lock_world, make_mark, make_standard, make_user
from trademark import services

GRANTED = date.today() - timedelta(days=30)


@pytest.fixture
def licences(app):
    """Three licences of the lock mark: two active (the second re-issued once), one suspended."""
    make_lock_world()
    make_mark()
    rows = [make_active_licence(n, GRANTED) for n in (1, 2, 3)]
    certs.reissue(rows[1].id, date.today(), "证书遗失")
    services.act_on_licence(rows[2].id, "suspend", "整改", date.today(), None)
    make_standard(COOKERS)  # a second alliance, with staff of its own
    make_user("ally", "staff", alliances=("ZSSJ",))
    make_user("intruder", "staff", alliances=("SDDYLG",))
    return rows


def signed_in(client, username):
    login(client, username)
    return client


def pages_qr(pdf: bytes) -> list[list[str]]:
    """The QR codes each page of the PDF decodes to, page by page."""
    document = pdfium.PdfDocument(pdf)
    return [[c.text for c in zxingcpp.read_barcodes(page.render(scale=200 / 72).to_pil())
             if c.format == zxingcpp.BarcodeFormat.QRCode] for page in document]


def current_url(licence) -> str:
    return certs.verify_url_for(certs.current_certificate(licence).token)


def audit_rows() -> int:
    return db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def test_ticked_licences_print_one_pdf_a_current_certificate_a_page_and_the_suspended_one_is_skipped(
        client, licences):
    first, reissued, suspended = licences
    signed_in(client, "ally")
    query = [("licence", reissued.id), ("licence", first.id), ("licence", suspended.id)]
    before = audit_rows()

    page = client.get("/certificates/batch", query_string=query)
    pdf = client.get("/certificates/batch.pdf", query_string=query)

    assert page.status_code == 200 and pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    html = page.get_data(as_text=True)
    assert "PDF 共 2 页" in html and "未打印（1）" in html and suspended.firm.name in html and "已暂停" in html
    # One page each, in the order ticked; the re-issued licence prints its new certificate, not the old one.
    assert pages_qr(pdf.data) == [[current_url(reissued)], [current_url(first)]]
    assert certs.current_certificate(reissued).serial.endswith("-R1")
    assert audit_rows() == before  # printing wrote nothing


def test_the_whole_filtered_list_prints_its_active_licences_and_counts_the_others(client, licences):
    first, reissued, suspended = licences
    signed_in(client, "ally")

    page = client.get("/certificates/batch", query_string={"all": 1}).get_data(as_text=True)
    pdf = client.get("/certificates/batch.pdf", query_string={"all": 1})

    assert pages_qr(pdf.data) == [[current_url(first)], [current_url(reissued)]]
    assert "另有以下许可不是有效状态" in page and "已暂停 1" in page
    filtered = client.get("/certificates/batch.pdf", query_string={"all": 1, "q": first.firm.name})
    assert pages_qr(filtered.data) == [[current_url(first)]]


def test_a_list_longer_than_the_bound_prints_in_parts_that_say_so(client, licences, monkeypatch):
    first, reissued, _ = licences
    monkeypatch.setattr(certs, "BATCH_LIMIT", 1)
    signed_in(client, "ally")

    page = client.get("/certificates/batch", query_string={"all": 1}).get_data(as_text=True)
    second = client.get("/certificates/batch.pdf", query_string={"all": 1, "part": 2})
    beyond = client.get("/certificates/batch.pdf", query_string={"all": 1, "part": 3})

    assert "分 2 批打印" in page and "当前为第 1 批" in page
    assert pages_qr(second.data) == [[current_url(reissued)]]
    assert second.headers["Content-Disposition"] == 'inline; filename="certificates-1-part2.pdf"'
    assert beyond.status_code == 422 and "共 2 批" in beyond.get_data(as_text=True)


def test_more_ticked_licences_than_the_bound_are_refused_with_the_bound_named(client, licences):
    signed_in(client, "ally")
    query = [("licence", n) for n in range(1, certs.BATCH_LIMIT + 2)]

    response = client.get("/certificates/batch.pdf", query_string=query)

    assert response.status_code == 422
    assert f"一次最多打印 {certs.BATCH_LIMIT} 张证书，已选择 {certs.BATCH_LIMIT + 1} 个许可" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [[], [("licence", "abc")], [("licence", "0")], {"all": 1, "part": "x"},
                                   {"all": 1, "status": "nonsense"}])
def test_a_bad_selection_is_a_clear_422_naming_the_field(client, licences, query):
    signed_in(client, "ally")
    for url in ("/certificates/batch", "/certificates/batch.pdf"):
        response = client.get(url, query_string=query)
        assert response.status_code == 422, (url, query)


def test_another_alliances_licence_is_skipped_without_a_word_about_it(client, licences):
    first, reissued, _ = licences
    signed_in(client, "intruder")

    page = client.get("/certificates/batch", query_string=[("licence", first.id), ("licence", reissued.id)])
    pdf = client.get("/certificates/batch.pdf", query_string=[("licence", first.id)])
    everything = client.get("/certificates/batch", query_string={"all": 1}).get_data(as_text=True)

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "不属于您服务的联盟" in html and "没有可打印的证书" in html
    for secret in (first.firm.name, first.number, reissued.firm.name, reissued.number):
        assert secret not in html and secret not in everything
    assert pdf.status_code == 409
    assert "已暂停" not in everything  # not even the count of the other alliance's licences


def test_an_unknown_id_beside_a_printable_licence_is_listed_as_skipped(client, licences):
    first = licences[0]
    signed_in(client, "ally")

    pdf = client.get("/certificates/batch.pdf", query_string=[("licence", 999999), ("licence", first.id)])
    page = client.get("/certificates/batch", query_string=[("licence", 999999), ("licence", first.id)])

    assert pages_qr(pdf.data) == [[current_url(first)]]
    assert "999999" in page.get_data(as_text=True)


def test_the_licences_list_offers_a_tick_for_active_licences_and_both_print_buttons(client, licences):
    first, reissued, suspended = licences
    signed_in(client, "ally")

    html = client.get("/licences").get_data(as_text=True)

    assert f'name="licence" value="{first.id}"' in html and f'name="licence" value="{reissued.id}"' in html
    assert f'name="licence" value="{suspended.id}"' not in html
    assert "打印所选证书" in html and "/certificates/batch?all=1" in html


def test_a_firm_user_cannot_batch_print(client, licences):
    make_user("firm-user", "firm", firm_uscc=licences[0].firm.uscc)
    signed_in(client, "firm-user")

    assert client.get("/certificates/batch.pdf", query_string={"licence": licences[0].id}).status_code == 403


def test_the_batch_page_and_pdf_run_the_same_queries_for_two_certificates_and_for_four(client, licences):
    from tests.functional.test_query_counts import queries

    signed_in(client, "ally")
    queries(client, "/certificates/batch?all=1")  # warm-up: first-request work is not the batch's
    at_two = [queries(client, url) for url in ("/certificates/batch?all=1", "/certificates/batch.pdf?all=1")]
    make_active_licence(4, GRANTED)
    make_active_licence(5, GRANTED)

    assert [queries(client, url) for url in ("/certificates/batch?all=1", "/certificates/batch.pdf?all=1")] == at_two
