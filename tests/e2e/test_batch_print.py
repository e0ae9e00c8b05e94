"""Staff tick licences on the licences list and print their certificates as one PDF (issue 15)."""
from __future__ import annotations

from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp
from playwright.sync_api import expect

from tests.builders import make_user
from tests.e2e.pages import log_in, shot
from tests.e2e.world import granted_licence, lock_station, member_with_passed_type_inspection

# the certificate's text and rules sometimes read as a one-dimensional barcode: look for QR codes only
QR = zxingcpp.BarcodeFormat.QRCode

pytestmark = pytest.mark.e2e


@pytest.fixture
def three_licences(live):
    today = date.today()
    lock_station()
    make_user("staff1", "staff")
    licences = [granted_licence(member_with_passed_type_inspection(n, f"批量锁业{n}有限公司", f"PL-{n}", today),
                                f"PL-{n}", today) for n in (1, 2, 3)]
    live.settle()
    return licences


def test_staff_tick_two_licences_and_get_one_pdf_with_a_certificate_a_page(live, new_page, three_licences):
    first, _, third = three_licences
    page = new_page()
    log_in(page, "staff1")
    page.get_by_role("link", name="许可", exact=True).click()
    page.get_by_label(f"打印 {first.number} 的证书").check()
    page.get_by_label(f"打印 {third.number} 的证书").check()
    page.get_by_role("button", name="打印所选证书").click()

    expect(page.locator("h1")).to_have_text("批量打印证书")
    expect(page.locator("main, body").first).to_contain_text("PDF 共 2 页")
    shot(page, "batch-print")
    link = page.get_by_role("link", name="打开 PDF（2 张证书）")
    response = page.context.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"].startswith("application/pdf")

    document = pdfium.PdfDocument(response.body())
    decoded = [[c.text for c in zxingcpp.read_barcodes(p.render(scale=200 / 72).to_pil(), formats=QR)] for p in document]
    assert len(decoded) == 2 and all(len(codes) == 1 for codes in decoded)
    assert all(codes[0].startswith(live.url.upper() + "/V/") for codes in decoded)
    assert decoded[0] != decoded[1]
