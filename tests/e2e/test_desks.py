"""Each desk's main path in a real browser, at an office screen and at a phone size."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from infra import clock
from tests.builders import make_firm, make_inspection, make_product_model, make_user
from tests.e2e.pages import ARTIFACTS, log_in, shot
from tests.e2e.test_inspection_entry import SAMPLE, wait_until_saved
from tests.e2e.world import lock_station

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}


def focused_field_is_clear_of_the_panel(page: Page) -> bool:
    """True when the focused field lies wholly inside the window and above the sticky verdict panel."""
    return page.evaluate("""() => {
        const field = document.activeElement.getBoundingClientRect();
        const panel = document.querySelector('.verdict').getBoundingClientRect();
        return field.top >= 0 && field.bottom <= Math.min(panel.top, window.innerHeight);
    }""")


@pytest.fixture
def draft(live):
    lock_station()
    from accounts.models import User
    from infra.db import db

    technician = db.session.execute(db.select(User).where(User.username == "tech1")).scalar_one()
    firm = make_firm(1, name="中山市坚固锁业有限公司")
    make_product_model(firm, "JG-8801", "插芯门锁")
    inspection = make_inspection(technician, firm, type="type", lot_size=500, model="JG-8801")
    live.settle()
    return inspection.id


@pytest.mark.parametrize("size", [(1366, 768), (1024, 768), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_focused_field_stays_in_view_above_the_verdict_panel_while_a_lock_sample_is_typed(
        live, new_page, draft, size):
    width, height = size
    tech = new_page(viewport={"width": width, "height": height})
    log_in(tech, "tech1")
    tech.goto(f"/inspections/{draft}/entry")
    covered = []
    for clause, values, _outcome in SAMPLE:
        for unit, value in enumerate(values, start=1):
            field = tech.locator(f'#entry input[data-clause="{clause}"][data-unit="{unit}"]')
            expect(field).to_be_focused()
            tech.wait_for_timeout(30)  # let the focus handler's second check (next frame) run
            if not focused_field_is_clear_of_the_panel(tech):
                covered.append((clause, unit, tech.evaluate("""() => [document.activeElement.getBoundingClientRect().top,
                    document.activeElement.getBoundingClientRect().bottom,
                    document.querySelector('.verdict').getBoundingClientRect().top, window.innerHeight, window.scrollY]""")))
            tech.keyboard.type(value)
            tech.keyboard.press("Enter")
            wait_until_saved(tech, field)
            if unit == 1 and clause == "5.9":
                # The window as the technician sees it (a full-page shot would resize the window and scroll).
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                tech.screenshot(path=str(ARTIFACTS / f"desk-technician-entry-mid-{width}x{height}.png"))
    assert covered == [], f"fields hidden behind the verdict panel at {width}×{height}"
    expect(tech.locator("#verdict-outcome")).to_have_text("合格")
    shot(tech, f"desk-technician-entry-{width}x{height}")


def test_the_sampling_form_is_filled_by_keyboard_and_refuses_a_future_date_beside_the_field(live, new_page, draft):
    tech = new_page(viewport={"width": 1366, "height": 768})
    log_in(tech, "tech1")
    tech.goto("/inspections/new")
    expect(tech.get_by_label("检验类型")).to_be_focused()  # autofocus on the first field
    expect(tech.get_by_label("抽样日期")).to_have_value(clock.today().isoformat())
    tech.get_by_label("批号").focus()
    tech.keyboard.type("L2612")
    tech.keyboard.press("Enter")  # Enter moves on; it does not submit
    expect(tech.get_by_label("批量")).to_be_focused()
    expect(tech).to_have_url(re.compile(r"/inspections/new$"))
    tech.get_by_label("抽样日期").fill("2999-01-01")
    tech.get_by_label("批量").fill("")
    tech.get_by_role("button", name="开立检验").click()
    error = tech.locator(".field.has-error").first
    expect(error).to_contain_text("抽样日期不能晚于今天")
    expect(tech.get_by_label("抽样日期")).to_be_focused()  # the first field with an error
    expect(tech.locator(".field.has-error")).to_have_count(2)  # every problem at once: the date and the lot size
    shot(tech, "desk-technician-sampling-error-1366x768")
    tech.get_by_label("抽样日期").fill(clock.today().isoformat())
    tech.get_by_role("button", name="开立检验").click()
    expect(tech.locator(".field.has-error")).to_contain_text("批量")
    expect(tech.get_by_label("批量")).to_be_focused()

    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(phone, "tech1")
    phone.goto("/inspections/new")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "desk-technician-sampling-phone")


def test_a_wrongly_opened_draft_is_voided_with_its_reason_and_stays_listed_as_void(live, new_page, draft):
    tech = new_page(viewport={"width": 1366, "height": 768})
    log_in(tech, "tech1")
    tech.goto(f"/inspections/{draft}")
    tech.get_by_label("作废理由").fill("型号选错，应为 JG-8802")
    tech.get_by_role("button", name="作废").click()
    expect(tech.locator("h1")).to_contain_text("作废")
    expect(tech.locator("main")).to_contain_text("型号选错，应为 JG-8802")
    expect(tech.get_by_role("link", name="录入结果")).to_have_count(0)
    tech.goto("/inspections")
    expect(tech.locator("table")).to_contain_text("作废")
    shot(tech, "desk-technician-voided-1366x768")


def test_a_reviewer_sees_the_queue_returns_for_a_sampling_error_and_the_technician_corrects_it(
        live, new_page, draft):
    from inspections import services
    from tests.builders import lock_entries
    from accounts.models import User
    from infra.db import db

    tech_user = db.session.execute(db.select(User).where(User.username == "tech1")).scalar_one()
    row = services.get_inspection(draft, tech_user)
    services.save_results(draft, lock_entries(row), tech_user)
    services.submit(draft, tech_user)
    make_user("rev2", "reviewer", station="ZS-LAB")
    live.settle()

    reviewer = new_page(viewport={"width": 1366, "height": 768})
    log_in(reviewer, "rev1")
    expect(reviewer.locator("#nav-review-count")).to_have_text("1")
    reviewer.goto("/inspections")
    expect(reviewer.locator("#awaiting-review")).to_contain_text("1")
    reviewer.goto(f"/inspections/{draft}")
    expect(reviewer.get_by_role("button", name="审核通过")).to_be_visible()
    reviewer.get_by_label("退回理由").fill("批量应为 800，抽样单填错")
    reviewer.get_by_label("抽样单有误").check()
    reviewer.get_by_role("button", name="退回检测员").click()
    expect(reviewer.locator("main")).to_contain_text("批量应为 800，抽样单填错")
    shot(reviewer, "desk-reviewer-returned-1366x768")

    tech = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(tech, "tech1")
    tech.goto(f"/inspections/{draft}")
    expect(tech.locator("main")).to_contain_text("批量应为 800，抽样单填错")
    tech.locator("p.flash").get_by_role("link", name="更正抽样单").click()
    expect(tech.get_by_label("抽样日期")).to_be_focused()
    tech.get_by_label("批量").fill("800")
    tech.get_by_role("button", name="保存抽样单").click()
    expect(tech.locator("main")).to_contain_text("批量 800")
    assert tech.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], "the page fits the phone"
    shot(tech, "desk-technician-corrected-phone")


# --- the consumer and the registry ------------------------------------------------------------------

def _contrast(rgb_fg: str, rgb_bg: str) -> float:
    def lum(css):
        r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(rgb_fg), lum(rgb_bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture
def certified(live):
    from datetime import date

    from certificates import services as certs
    from tests.e2e.world import granted_licence, member_with_passed_type_inspection
    from trademark import services

    today = date.today()
    lock_station()
    staff = make_user("staff1", "staff")
    suspended_firm = member_with_passed_type_inspection(1, "中山市坚固锁业有限公司", "JG-8801", today)
    revoked_firm = member_with_passed_type_inspection(2, "中山市永安锁具制造有限公司", "YA-200", today)
    suspended = granted_licence(suspended_firm, "JG-8801", today)
    revoked = granted_licence(revoked_firm, "YA-200", today)
    services.act_on_licence(suspended.id, "suspend", "X4：监督抽查逾期 #7（2026-05-15）", today, staff)
    services.act_on_licence(revoked.id, "revoke", "多次抽检不合格", today, staff)
    live.settle()
    return certs.current_certificate(suspended), certs.current_certificate(revoked)


def test_a_colour_blind_consumer_tells_the_statuses_apart_by_icon_and_reads_the_page_in_english(
        live, new_page, certified):
    suspended, revoked = certified
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    shapes = {}
    for certificate, word in ((suspended, "暂停"), (revoked, "已撤销")):
        phone.goto(f"/V/{certificate.token}")
        band = phone.locator(".st")
        expect(band.locator("b")).to_have_text(word)
        shapes[word] = band.locator("svg.icon").inner_html()
        for selector in (".st b", ".st p"):
            fg, bg = phone.evaluate("""s => [getComputedStyle(document.querySelector(s)).color,
                                              getComputedStyle(document.querySelector('.st')).backgroundColor]""", selector)
            assert _contrast(fg, bg) >= 4.5, (word, selector, fg, bg)
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        shot(phone, f"desk-consumer-{certificate.licence.status}-phone")
    assert shapes["暂停"] != shapes["已撤销"], "each status has its own shape, not only its own colour"
    phone.goto(f"/V/{suspended.token}")
    reason = phone.locator("section.note")
    expect(reason).to_contain_text("监督抽查逾期")
    expect(reason).not_to_contain_text("#7")
    expect(reason).not_to_contain_text("X4")
    phone.get_by_role("link", name="English").click()
    expect(phone.locator(".st b")).to_have_text("Suspended")
    expect(phone.locator("main")).to_contain_text("Report a suspected fake")
    shot(phone, "desk-consumer-suspended-phone-en")
    assert phone.request.get("/favicon.ico").status == 200


def test_the_registry_on_a_phone_lists_suspended_and_revoked_licences_without_overflow(live, new_page, certified):
    suspended, revoked = certified
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto("/registry")
    phone.get_by_role("searchbox").fill("中")  # one character is enough
    phone.get_by_role("button", name="查询").click()
    rows = phone.locator("table.registry tbody tr")
    expect(rows).to_have_count(2)
    expect(phone.locator("table.registry")).to_contain_text("已撤销")
    expect(phone.locator("table.registry")).to_contain_text("已暂停")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    name_height = phone.locator("table.registry td").first.evaluate("el => el.getBoundingClientRect().height")
    assert name_height < 60, "a firm's name wraps as words, not one character a line"
    shot(phone, "desk-registry-phone")
    phone.goto(f"/registry?q={suspended.serial[-6:]}")
    expect(rows).to_have_count(1)
    desk = new_page(viewport={"width": 1366, "height": 768})
    desk.goto("/registry?q=中山")
    shot(desk, "desk-registry-1366x768")
