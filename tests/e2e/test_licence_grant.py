"""Association staff grant a licence in the browser and print its QR-coded certificate."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.builders import make_firm, make_product_model, make_user
from tests.e2e.pages import log_in, pdf_text, shot
from tests.e2e.world import lock_mark, lock_station, member_with_passed_type_inspection

pytestmark = pytest.mark.e2e

FIRM = "中山市坚固锁业有限公司"
MODEL = "JG-8801"


@pytest.fixture
def applicant(live):
    today = date.today()
    lock_station()
    make_user("staff1", "staff")
    firm = member_with_passed_type_inspection(1, FIRM, MODEL, today)
    lock_mark()
    live.settle()
    return firm


def apply_in_the_ui(page: Page, firm, model: str) -> None:
    page.get_by_role("link", name="许可", exact=True).click()
    expect(page.locator("h1")).to_have_text("使用许可")
    page.get_by_label("先选择企业（统一社会信用代码）").fill(firm.uscc)
    page.get_by_role("button", name="列出该企业的型号").click()
    expect(page.locator("#applicant")).to_have_text(f"{firm.name}（{firm.uscc}）")
    page.get_by_label("申请使用的标志").select_option(value="ZSSJ")
    page.get_by_label("许可范围（产品型号）").select_option(label=f"{firm.name} — {model}")
    page.get_by_label("已提交签署的承诺书").check()
    page.get_by_role("button", name="登记申请").click()
    expect(page.locator("p.flash").first).to_contain_text("已登记许可申请")


def test_staff_grant_a_licence_in_the_browser_and_download_its_certificate(live, new_page, applicant):
    page = new_page()
    log_in(page, "staff1")
    apply_in_the_ui(page, applicant, MODEL)
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("申请中")
    expect(page.locator("ul.problems")).to_have_count(0)  # every entry rule is met

    page.get_by_role("button", name="审查准入条件并授权").click()

    expect(page.locator("p.flash").first).to_contain_text(re.compile(r"已授权，许可编号 ZSSJ-\d{4}-\d{5}"))
    expect(facts).to_contain_text("有效")
    expect(page.locator("table.timeline")).to_contain_text("授权")
    number = re.search(r"ZSSJ-\d{4}-\d{5}", page.locator("p.flash").first.inner_text()).group(0)
    shot(page, "licence-granted")

    link = page.locator('a[href*="certificate.pdf"]')
    expect(link.first).to_be_visible()
    response = page.context.request.get(link.first.get_attribute("href"))
    assert response.status == 200, response.text()[:300]
    assert response.headers["content-type"].startswith("application/pdf")
    pdf = response.body()
    assert pdf.startswith(b"%PDF-")

    url = decode_qr(pdf)
    assert url.startswith(live.url.upper() + "/V/"), url
    assert re.fullmatch(r"[0-9A-Z $%*+\-./:]+", url), "the URL fits QR alphanumeric mode"
    assert number in pdf_text(pdf)

    # The printed QR leads a phone to the live status: valid.
    phone = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    phone.goto(url)
    expect(phone.get_by_text("有效", exact=True).first).to_be_visible()
    expect(phone.locator("body")).to_contain_text(FIRM)

    # Staff suspend it by hand, with a reason; the same QR now says so, live.
    page.get_by_label("操作").select_option(value="suspend")
    page.get_by_label("理由（必填）").fill("市场抽查发现标志使用不规范，责令整改")
    page.get_by_role("button", name="执行").click()
    expect(page.locator("p.flash").first).to_contain_text("已暂停")
    expect(facts).to_contain_text("暂停")
    phone.reload()
    expect(phone.get_by_text("暂停", exact=True).first).to_be_visible()
    expect(phone.locator("body")).to_contain_text("责令整改")
    shot(phone, "certificate-qr-after-suspension")


def test_granting_without_a_type_inspection_lists_the_unmet_entry_rule(live, new_page, applicant):
    other = make_firm(2, name="中山市宏达锁具厂")
    make_product_model(other, "HD-100", "插芯门锁")
    from parties import services as parties

    parties.admit_member("ZSSJ", other.uscc, date.today())
    live.settle()
    page = new_page()
    log_in(page, "staff1")
    apply_in_the_ui(page, other, "HD-100")
    expect(page.locator("ul.problems")).to_contain_text("E2")

    page.get_by_role("button", name="审查准入条件并授权").click()

    error = page.locator("p.flash.error")
    expect(error).to_contain_text("不予授权")
    expect(error).to_contain_text("E2")
    expect(page.locator("dl.facts")).to_contain_text("申请中")
    expect(page.locator('a[href*="certificate.pdf"]')).to_have_count(0)


def decode_qr(pdf: bytes) -> str:
    """Render the certificate's first page and read its QR code, as a phone camera would."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=3).to_pil()
    finally:
        document.close()
    codes = [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(codes) == 1, f"expected one QR code, found {len(codes)}"
    return codes[0].text

