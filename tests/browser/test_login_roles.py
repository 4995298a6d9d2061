"""Log-in, role navigation, language switch, user creation and refusals in a real browser.

Runs against the live server of conftest.py with the demo users; the browser's locale is
en-US, so every page starts in English. Assertions use Playwright's `expect`, which waits for
the page to settle instead of racing a navigation.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from trainer.accounts.demo import DEMO_USERS

pytestmark = pytest.mark.browser

PASSWORDS = {username: password for username, _name, _role, password in DEMO_USERS}

# The data-nav links of base.html each role sees; every other role's links must be absent.
NAV_BY_ROLE = {
    "trainee": {"my-training"},
    "trainer": {"cohorts", "scenarios"},
    "examiner": {"review"},
    "admin": {"users", "cohorts", "audit", "scenarios"},
}
ALL_NAV = set().union(*NAV_BY_ROLE.values())

LOG_OUT = {"en": "Log out", "zh_CN": "退出"}
HTML_LANG = {"en": "en", "zh_CN": "zh-CN"}
OTHER_LOCALE = {"en": "zh_CN", "zh_CN": "en"}
LOGIN_URL = re.compile(r"/login(\?.*)?$")


def log_in(bp: BrowserPage, username: str, password: str) -> None:
    """Open the log-in page, fill the form and send it."""
    page = bp.page
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def log_out(bp: BrowserPage) -> None:
    """Press the header's log-out button and check we are back at the log-in form."""
    with bp.page.expect_navigation():
        bp.page.locator("[data-nav=logout]").click()
    assert_on_login_page(bp)


def assert_on_login_page(bp: BrowserPage) -> None:
    page = bp.page
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("#username")).to_be_visible()
    expect(page.locator("#password")).to_be_visible()
    expect(page.locator("[data-nav=logout]")).to_have_count(0)


def assert_navigation(bp: BrowserPage, role: str) -> None:
    """The role's own links are shown and no other role's link is on the page."""
    for nav in sorted(NAV_BY_ROLE[role]):
        expect(bp.page.locator(f"[data-nav={nav}]"), f"{role} sees {nav}").to_be_visible()
    for nav in sorted(ALL_NAV - NAV_BY_ROLE[role]):
        expect(bp.page.locator(f"[data-nav={nav}]"), f"{role} has no {nav}").to_have_count(0)


def switch_language(bp: BrowserPage, locale: str) -> None:
    """Pick a language in the header menu; app.js sends the form as soon as it changes."""
    page = bp.page
    with (
        page.expect_response(lambda r: r.url.endswith("/language")) as posted,
        page.expect_navigation(),
    ):
        page.locator("select#lang-select").select_option(locale)
    assert posted.value.status == 302, f"POST /language answered {posted.value.status}"
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])
    expect(page.locator("select#lang-select")).to_have_value(locale)


@pytest.mark.parametrize("role", ["admin", "trainer", "examiner", "trainee"])
def test_role_logs_in_sees_own_navigation_switches_language_and_logs_out(
    browser_page: BrowserPage, role: str
) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, role, PASSWORDS[role])

    expect(page).not_to_have_url(LOGIN_URL)
    assert_navigation(bp, role)
    logout_button = page.locator("[data-nav=logout]")
    expect(logout_button).to_have_text(LOG_OUT["en"])
    expect(page.locator("select#lang-select")).to_have_value("en")
    english_heading = page.locator("main h1").first.inner_text()
    bp.screenshot(f"{role}-home-en")

    # The other language: the same page comes back translated, with the same navigation.
    other = OTHER_LOCALE["en"]
    switch_language(bp, other)
    expect(logout_button).to_have_text(LOG_OUT[other])
    expect(page.locator("main h1").first).not_to_have_text(english_heading)
    assert_navigation(bp, role)
    bp.screenshot(f"{role}-home-{other}")

    # The choice is saved on the account: switch back so that later log-ins start in English.
    switch_language(bp, "en")
    expect(logout_button).to_have_text(LOG_OUT["en"])

    log_out(bp)
    bp.assert_no_errors()


def test_wrong_password_shows_error_and_stays_on_login(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    bp.expect_status("/login", 401)
    log_in(bp, "trainee", "not-the-password")

    assert_on_login_page(bp)
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the context is en-US
    expect(page.locator(".flash-error")).to_have_text("The user name or password is not correct.")
    expect(page.locator("#username")).to_have_value("trainee")
    expect(page.locator("#password")).to_have_value("")  # never echoed back
    bp.screenshot("login-wrong-password")
    bp.assert_no_errors()


def test_admin_creates_user_who_must_change_temporary_password(
    browser_page: BrowserPage,
) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "admin", PASSWORDS["admin"])

    page.goto("/admin/users")
    with page.expect_navigation():
        page.get_by_role("button", name="New user").click()
    expect(page).to_have_url(re.compile(r"/admin/users/new$"))
    page.locator("#username").fill("newtrainee1")
    page.locator("#full_name").fill("陈静 New Trainee Chen")
    page.locator("#role").select_option("trainee")
    expect(page.locator("#password")).to_have_value("")
    bp.screenshot("admin-new-user-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    secret = page.locator("[data-testid=temporary-password]")
    expect(secret).to_be_visible()
    temporary = secret.inner_text().strip()
    assert len(temporary) >= 10, temporary
    expect(page.locator("main")).to_contain_text("newtrainee1")
    bp.screenshot("admin-user-created")
    log_out(bp)

    # The new trainee logs in with the temporary password and must replace it first.
    log_in(bp, "newtrainee1", temporary)
    expect(page).to_have_url(re.compile(r"/account/password$"))
    for nav in sorted(ALL_NAV):
        expect(page.locator(f"[data-nav={nav}]")).to_have_count(0)
    page.goto("/training")  # every other page leads back here until the password is changed
    expect(page).to_have_url(re.compile(r"/account/password$"))
    bp.screenshot("newtrainee-change-password")

    new_password = "a-new-password-2020"
    page.locator("#current_password").fill(temporary)
    page.locator("#new_password").fill(new_password)
    page.locator("#confirm").fill(new_password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/training$"))
    expect(page.locator("main h1")).to_have_text("My training")
    expect(page.locator(".flash-success")).to_have_text("Your password has been changed.")
    assert_navigation(bp, "trainee")
    bp.screenshot("newtrainee-my-training")
    log_out(bp)

    # The new password works; the temporary one no longer does.
    bp.expect_status("/login", 401)
    log_in(bp, "newtrainee1", temporary)
    assert_on_login_page(bp)
    expect(page.locator(".flash-error")).to_be_visible()
    log_in(bp, "newtrainee1", new_password)
    expect(page).to_have_url(re.compile(r"/training$"))
    bp.assert_no_errors()


def test_trainee_is_refused_the_admin_pages(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainee", PASSWORDS["trainee"])

    bp.expect_status("/admin/users", 403)
    response = page.goto("/admin/users")
    assert response is not None
    assert response.status == 403
    expect(page.locator(".error-page[data-status='403']")).to_be_visible()
    expect(page.locator("main h1")).to_contain_text("Not allowed")
    expect(page.locator("[data-nav=users]")).to_have_count(0)
    assert_navigation(bp, "trainee")
    bp.screenshot("trainee-403")
    bp.assert_no_errors()
