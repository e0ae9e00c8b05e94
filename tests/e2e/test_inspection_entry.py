"""A station's daily work in the browser: keyboard-only entry of a full lock sample, then four eyes."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.builders import (PASSWORD, make_alliance, make_firm, make_inspection, make_product_model, make_standard,
                            make_station, make_user)
from tests.e2e.pages import log_in, pdf_text, shot

pytestmark = pytest.mark.e2e

# Every required clause of Q/ZSSJ 001-2012 for a type inspection, a value per sample unit as the
# technician types it, and the clause outcome the page must show. One B and one C clause fail,
# so the verdict passes only by the rule's alternative A=0, B≤1, C≤1.
SAMPLE = [
    ("5.1", ["1"], "合格"),                      # boolean, typed as 1 (是)
    ("5.2", ["6500"], "合格"),
    ("5.3", ["0.020"], "合格"),
    ("5.4", ["21.0", "20.4", "19.95"], "合格"),  # GB/T 8170: 19.95 → 20.0 (five, odd digit before it: up)
    ("5.5", ["3200"], "合格"),
    ("5.6", ["6500"], "合格"),
    ("5.7", ["1"], "合格"),
    ("5.8", ["6.0"], "合格"),
    ("5.9", ["14.94"], "不合格"),                # B: 14.9 min < 15 min
    ("5.10", ["12.0", "11.5", "12.2"], "合格"),
    ("5.11", ["1100"], "合格"),
    ("5.12", ["1"], "合格"),
    ("5.13", ["600"], "合格"),
    ("5.14", ["0.15", "0.12", "0.18"], "合格"),
    ("5.15", ["120000"], "合格"),
    ("5.16", ["1.20", "1.62", "1.10"], "不合格"),  # C: one unit above 1.5 N·m fails the clause
    ("5.17", ["48"], "合格"),
    ("7.1", ["2"], "合格"),                      # attribute: 2 nonconforming of n=50 ≤ Ac=3
]


def wait_until_saved(page: Page, field) -> None:
    """Wait for the server's answer to the field's save (checked every frame, not on expect's back-off)."""
    page.wait_for_function("el => el.classList.contains('saved')", arg=field.element_handle(), polling="raf")


def tab_to(page: Page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused control is the one called `name` (keyboard only, no clicks)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => (document.activeElement.innerText || document.activeElement.value || '').trim()")
        if focused == name:
            return
    raise AssertionError(f"{name!r} cannot be reached with the Tab key")


def log_in_by_keyboard(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    expect(page.get_by_label("用户名")).to_be_focused()  # autofocus: the technician starts typing at once
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page.locator("header .who")).to_contain_text("退出")


@pytest.fixture
def station_world(live):
    make_alliance()
    make_standard()
    make_station()
    firm = make_firm(1, name="中山市坚固锁业有限公司")
    make_product_model(firm, "JG-8801", "插芯门锁")
    technician = make_user("tech1", "technician", station="ZS-LAB")
    make_user("rev1", "reviewer", station="ZS-LAB")
    inspection = make_inspection(technician, firm, type="type", lot_size=500, model="JG-8801")
    live.settle()
    return inspection.id, inspection.number


def test_a_technician_enters_a_full_lock_sample_by_keyboard_and_a_reviewer_verifies_it(
        live, new_page, station_world):
    inspection_id, number = station_world
    assert re.fullmatch(r"ZS-LAB-\d{4}-0001", number), number  # the station's first report this year
    tech = new_page()
    log_in_by_keyboard(tech, "tech1", PASSWORD)
    tech.goto(f"/inspections/{inspection_id}/entry")

    inputs = tech.locator("#entry input.value")
    expected_order = [(clause, unit) for clause, values, _ in SAMPLE for unit in range(1, len(values) + 1)]
    assert [(i.get_attribute("data-clause"), int(i.get_attribute("data-unit"))) for i in inputs.all()] == \
        expected_order, "one row per clause and per unit, in the standard's order"
    expect(tech.locator('#entry input[data-clause="7.1"]').locator("xpath=ancestor::tr")).to_contain_text("Ac=3")
    expect(tech.locator("#verdict-outcome")).to_have_text("结果不完整")
    expect(inputs.first).to_be_focused()  # the page puts the cursor in the first empty field

    typed = 0
    for clause, values, outcome in SAMPLE:
        for unit, value in enumerate(values, start=1):
            field = tech.locator(f'#entry input[data-clause="{clause}"][data-unit="{unit}"]')
            expect(field).to_be_focused()
            if clause == "5.3":
                # A comma for a decimal point is caught while typing, beside the field, before any save.
                tech.keyboard.type("0,020")
                message = field.locator("xpath=ancestor::tr").locator("td.message")
                expect(message).to_contain_text("小数点")
                expect(field).to_have_attribute("aria-invalid", "true")
                tech.keyboard.press("Control+A")
            if clause == "7.1":
                # An impossible value is judged by the server and explained beside the field.
                tech.keyboard.type("60")
                tech.keyboard.press("Enter")
                message = field.locator("xpath=ancestor::tr").locator("td.message")
                expect(message).to_contain_text("超过样本量")
                expect(field).to_have_attribute("aria-invalid", "true")
                tech.keyboard.press("Shift+Tab")
                expect(field).to_be_focused()
                tech.keyboard.press("Control+A")
            tech.keyboard.type(value)
            expect(field).not_to_have_attribute("aria-invalid", "true")
            # Alternate Enter and Tab: both move on, and leaving the field saves it. Enter on the last
            # field leads to "done".
            last = (clause, unit) == expected_order[-1]
            tech.keyboard.press("Enter" if typed % 2 == 0 or last else "Tab")
            typed += 1
            wait_until_saved(tech, field)
        cell = tech.locator(f'[data-outcome-for="{clause}"]')
        expect(cell).to_have_text(outcome)

    expect(tech.locator("#done")).to_be_focused()
    expect(tech.locator("#verdict-outcome")).to_have_text("合格")
    expect(tech.locator("#failed-A")).to_have_text("0")
    expect(tech.locator("#failed-B")).to_have_text("1")
    expect(tech.locator("#failed-C")).to_have_text("1")
    expect(tech.locator("#conflict")).to_be_hidden()
    shot(tech, "entry-keyboard-full-sample")

    # The draft is kept on reload, judged the same way.
    tech.reload()
    expect(tech.locator('#entry input[data-clause="5.16"][data-unit="2"]')).to_have_value("1.62")
    expect(tech.locator('[data-outcome-for="5.9"]')).to_have_text("不合格")
    expect(tech.locator("#verdict-outcome")).to_have_text("合格")

    # Done → the inspection page → submit, still by keyboard.
    tab_to(tech, "完成录入，去提交")
    tech.keyboard.press("Enter")
    expect(tech).to_have_url(re.compile(rf"/inspections/{inspection_id}$"))
    tab_to(tech, "提交审核")
    tech.keyboard.press("Enter")
    expect(tech.locator("p.flash").first).to_contain_text("已提交")
    expect(tech.locator("h1")).to_contain_text("已提交待审核")
    # Four eyes: the technician gets no verify button.
    expect(tech.get_by_role("button", name="审核通过")).to_have_count(0)

    reviewer = new_page()
    log_in(reviewer, "rev1")
    reviewer.goto("/inspections")
    reviewer.get_by_role("link", name=number).first.click()
    expect(reviewer.locator("table.results")).to_contain_text("14.94")
    reviewer.get_by_role("button", name="审核通过").click()
    expect(reviewer.locator("p.flash").first).to_contain_text("已审核")
    expect(reviewer.locator("h1")).to_contain_text("已审核")
    expect(reviewer.locator("#verdict-outcome")).to_have_text("合格")
    shot(reviewer, "inspection-verified")

    report_link = reviewer.get_by_role("link", name="检验报告 PDF")
    response = reviewer.context.request.get(report_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    body = response.body()
    assert body.startswith(b"%PDF-")
    text = pdf_text(body)
    assert number in text
    assert "检验报告" in text and "14.94" in text and "1.62" in text
    assert "tech1" in text and "rev1" in text, "the report names the technician and the reviewer"
    for clause, _values, _outcome in SAMPLE:
        assert clause in text

