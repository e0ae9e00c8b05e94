"""The staff and firm desks in both languages, on a 1366×768 screen and on a phone: nothing wider than
the screen, and the English desk without Chinese in its own words (the data stays as it was written)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.builders import make_user
from tests.e2e.pages import log_in, shot
from tests.e2e.test_desks import certified  # noqa: F401  (the fixture: a suspended and a revoked licence)

SIZES = {"1366x768": {"width": 1366, "height": 768}, "phone": {"width": 360, "height": 740}}
HAN = re.compile(r"[\u4e00-\u9fff]")


def wider_than_the_screen(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_staff_and_firm_desks_fit_the_screen_in_both_languages(live, new_page, certified, size, language):  # noqa: F811
    suspended, _revoked = certified
    make_user("firm1", "firm", firm_uscc=suspended.licence.firm.uscc)
    live.settle()
    desks = {"staff1": ["/queues", f"/licences/{suspended.licence.id}", "/licences"],
             "firm1": ["/portal", f"/portal/licences/{suspended.licence.id}"]}
    for username, urls in desks.items():
        page = new_page(viewport=SIZES[size])
        log_in(page, username)
        page.goto(f"/lang/{language}")
        for url in urls:
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-CN")
            shot(page, f"desk-{username}-{url.strip('/').replace('/', '-')}-{language}-{size}")
            assert wider_than_the_screen(page) <= 0, (username, url, language, size)
            if language == "en":
                nav = page.locator("header nav").inner_text() + page.locator("main h1").first.inner_text()
                assert not HAN.search(nav.replace(suspended.licence.firm.name, "")
                                      .replace(suspended.licence.mark.name, "")), (url, nav)
