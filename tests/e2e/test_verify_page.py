"""The consumer's view: a phone (360 px, inside WeChat) opens the certificate's QR link."""
from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.builders import make_user
from tests.e2e.pages import MOBILE_UA, shot
from tests.e2e.world import granted_licence, lock_station, member_with_passed_type_inspection

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 740}, "user_agent": MOBILE_UA, "is_mobile": True,
         "has_touch": True, "device_scale_factor": 2}
FIRM = "中山市坚固锁业有限公司"
PAGE_BUDGET = 30 * 1024  # issue 5: under 30 KB, so it loads at once on a weak connection


def forge(token: str) -> str:
    """Change one character in the middle of a genuine token, as a counterfeiter copying a label might."""
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


@pytest.fixture
def token_for(live):
    """Seed a granted licence and return a function giving the token of the case asked for."""
    from certificates import services as certs
    from trademark import services

    today = date.today()
    lock_station()
    staff = make_user("staff1", "staff")
    firm = member_with_passed_type_inspection(1, FIRM, "JG-8801", today)
    licence = granted_licence(firm, "JG-8801", today)
    token = certs.current_certificate(licence).token

    def case(name: str) -> str:
        if name == "suspended":
            services.act_on_licence(licence.id, "suspend", "监督抽查A类不合格，责令整改", today, staff)
        live.settle()
        return forge(token) if name == "forged" else token

    return case


@pytest.mark.parametrize(("case", "word"), [("valid", "有效"), ("suspended", "暂停"), ("forged", "非本系统签发")])
def test_the_verify_page_shows_its_status_at_once_on_a_360px_phone(live, new_page, token_for, case, word):
    token = token_for(case)
    page = new_page(**PHONE)
    requested, received = [], []
    page.on("request", lambda r: requested.append(r.url))
    page.on("response", lambda r: received.append(r))

    response = page.goto(f"/V/{token}")

    assert response.status == 200, "a forged token gets the 'not genuine' page, never an error page"
    status = biggest_text(page, word)
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box["y"] + box["height"] <= 740, "the status word is seen without scrolling"
    assert float(status.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 24, "the status word is big"
    scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_width <= 360, f"horizontal scrollbar: the page is {scroll_width}px wide"
    if case == "forged":
        expect(page.locator("body")).not_to_contain_text(FIRM)
    else:
        expect(page.locator("body")).to_contain_text(FIRM)
        expect(page.locator("body")).to_contain_text("JG-8801")
        expect(page.locator("body")).to_contain_text("Q/ZSSJ 001")
    if case == "suspended":
        expect(page.locator("body")).to_contain_text("责令整改")
    # No external assets, and small enough for a weak phone connection.
    assert all(url.startswith(live.url) or url.startswith("data:") for url in requested), requested
    weight = sum(len(r.body()) for r in received if r.status == 200)
    assert weight <= PAGE_BUDGET, f"the page weighs {weight} bytes"
    shot(page, f"verify-360-{case}")


def biggest_text(page, word: str):
    """Return the element reading exactly `word` in the largest type (the status, not the history table)."""
    candidates = page.get_by_text(word, exact=True)
    expect(candidates.first).to_be_attached()
    sizes = [c.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") for c in candidates.all()]
    return candidates.nth(sizes.index(max(sizes)))
