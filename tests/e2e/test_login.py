"""Signing in, and the language switch, in a real browser."""
import re

import pytest
from playwright.sync_api import expect

from tests.builders import make_user
from tests.e2e.pages import log_in, shot

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u3400-\u9fff]")


def test_a_wrong_password_shows_a_clear_error_beside_the_form(live, new_page):
    make_user("staff1", "staff")
    live.settle()
    page = new_page()

    page.goto("/login")
    page.get_by_label("用户名").fill("staff1")
    page.get_by_label("密码").fill("not-the-password-9")
    page.get_by_role("button", name="登录").click()

    error = page.get_by_role("alert")
    expect(error).to_contain_text("用户名或密码错误")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("header .who")).not_to_contain_text("退出")
    # The username is kept, the password is not echoed back.
    expect(page.get_by_label("用户名")).to_have_value("staff1")
    expect(page.get_by_label("密码")).to_have_value("")
    shot(page, "login-wrong-password")

    log_in(page, "staff1")
    expect(page.get_by_role("alert")).to_have_count(0)


def test_the_english_switch_changes_the_language_of_the_nav(live, new_page):
    make_user("staff1", "staff")
    live.settle()
    page = new_page()
    log_in(page, "staff1")
    nav = page.locator("header nav")
    expect(nav).to_contain_text("标准")

    page.get_by_role("link", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="中文")).to_be_visible()
    shot(page, "nav-english")
    nav_text = nav.inner_text() + " " + page.locator("header .who").inner_text()
    assert not CJK.search(nav_text.replace("中文", "")), f"the nav is still Chinese: {nav_text!r}"

    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(nav).to_contain_text("标准")
