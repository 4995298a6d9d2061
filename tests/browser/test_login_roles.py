"""Log-in, role navigation, language switch, user creation and refusals in a real browser."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import BrowserPage
from trainer.accounts.demo import DEMO_USERS

pytestmark = pytest.mark.browser

PASSWORDS = {username: password for username, _name, _role, password in DEMO_USERS}

# The data-nav links of base.html each role sees; every other role's links must be absent.
NAV_BY_ROLE = {
    "trainee": {"my-training"},
    "trainer": {"cohorts"},
    "examiner": {"review"},
    "admin": {"users", "cohorts", "audit"},
}
ALL_NAV = set().union(*NAV_BY_ROLE.values())

LOG_OUT = {"en": "Log out", "zh_CN": "退出"}
OTHER_LOCALE = {"en": "zh_CN", "zh_CN": "en"}


def log_in(bp: BrowserPage, username: str, password: str) -> None:
    """Fill the log-in form and send it."""
    page = bp.page
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def log_out(bp: BrowserPage) -> None:
    """Press the header's log-out button and check we are back at the log-in form."""
    page = bp.page
    with page.expect_navigation():
        page.locator("[data-nav=logout]").click()
    assert_on_login_page(bp)


def assert_on_login_page(bp: BrowserPage) -> None:
    page = bp.page
    assert re.search(r"/login(\?|$)", page.url), page.url
    assert page.locator("#username").is_visible()
    assert page.locator("#password").is_visible()
    assert page.locator("[data-nav=logout]").count() == 0


def switch_language(bp: BrowserPage, locale: str) -> None:
    """Pick a language in the header menu; app.js sends the form on change."""
    page = bp.page
    with page.expect_response(lambda r: r.url.endswith("/language")) as posted:
        with page.expect_navigation():
            page.locator("select#lang-select").select_option(locale)
    assert posted.value.status == 302, posted.value.status
    expected_lang = "zh-CN" if locale == "zh_CN" else "en"
    assert page.locator("html").get_attribute("lang") == expected_lang
    assert page.locator("select#lang-select").input_value() == locale


@pytest.mark.parametrize("role", ["admin", "trainer", "examiner", "trainee"])
def test_role_logs_in_sees_own_navigation_switches_language_and_logs_out(
    browser_page: BrowserPage, role: str
) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, role, PASSWORDS[role])

    assert "/login" not in page.url
    for nav in NAV_BY_ROLE[role]:
        assert page.locator(f"[data-nav={nav}]").is_visible(), f"{role} should see {nav}"
    for nav in ALL_NAV - NAV_BY_ROLE[role]:
        assert page.locator(f"[data-nav={nav}]").count() == 0, f"{role} must not see {nav}"
    logout_button = page.locator("[data-nav=logout]")
    assert logout_button.inner_text().strip() == LOG_OUT["en"]
    bp.screenshot(f"{role}-home-en")

    # Switch to the other language: the page reloads in it, same navigation.
    current = page.locator("select#lang-select").input_value()
    assert current == "en"
    other = OTHER_LOCALE[current]
    english_heading = page.locator("main h1").first.inner_text()
    switch_language(bp, other)
    assert logout_button.inner_text().strip() == LOG_OUT[other]
    assert page.locator("main h1").first.inner_text() != english_heading
    for nav in NAV_BY_ROLE[role]:
        assert page.locator(f"[data-nav={nav}]").is_visible()
    bp.screenshot(f"{role}-home-{other}")

    # The choice is saved on the account; switch back so other tests see English again.
    switch_language(bp, current)
    assert logout_button.inner_text().strip() == LOG_OUT[current]

    log_out(bp)
    bp.assert_no_errors()


def test_wrong_password_shows_error_and_stays_on_login(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    bp.expect_status("/login", 401)
    log_in(bp, "trainee", "not-the-password")

    assert_on_login_page(bp)
    error = page.locator(".flash-error")
    assert error.is_visible()
    lang = page.locator("html").get_attribute("lang")
    expected = "用户名或密码不正确。" if lang == "zh-CN" else "The user name or password is not correct."
    assert error.inner_text().strip() == expected
    assert lang == "en"  # the context's locale is en-US
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
    assert page.url.endswith("/admin/users/new")
    page.locator("#username").fill("newtrainee1")
    page.locator("#full_name").fill("陈静 New Trainee Chen")
    page.locator("#role").select_option("trainee")
    assert page.locator("#password").input_value() == ""
    bp.screenshot("admin-new-user-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    secret = page.locator("[data-testid=temporary-password]")
    assert secret.is_visible()
    temporary = secret.inner_text().strip()
    assert len(temporary) >= 10
    assert "newtrainee1" in page.locator("main").inner_text()
    bp.screenshot("admin-user-created")
    log_out(bp)

    # The new trainee logs in with the temporary password and must replace it first.
    log_in(bp, "newtrainee1", temporary)
    assert page.url.endswith("/account/password")
    for nav in ALL_NAV:
        assert page.locator(f"[data-nav={nav}]").count() == 0
    page.goto("/training")  # every other page sends them back until the password is changed
    assert page.url.endswith("/account/password")
    bp.screenshot("newtrainee-change-password")

    new_password = "a-new-password-2020"
    page.locator("#current_password").fill(temporary)
    page.locator("#new_password").fill(new_password)
    page.locator("#confirm").fill(new_password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    assert page.url.endswith("/training")
    assert page.locator("main h1").inner_text().strip() == "My training"
    assert page.locator("[data-nav=my-training]").is_visible()
    assert page.locator(".flash-success").inner_text().strip() == "Your password has been changed."
    bp.screenshot("newtrainee-my-training")
    log_out(bp)

    # The new password works; the temporary one no longer does.
    bp.expect_status("/login", 401)
    log_in(bp, "newtrainee1", temporary)
    assert_on_login_page(bp)
    log_in(bp, "newtrainee1", new_password)
    assert page.url.endswith("/training")
    bp.assert_no_errors()


def test_trainee_is_refused_the_admin_pages(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainee", PASSWORDS["trainee"])

    bp.expect_status("/admin/users", 403)
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    assert page.locator("main h1").inner_text().startswith("Not allowed")
    assert page.locator(".error-page[data-status='403']").is_visible()
    assert page.locator("[data-nav=users]").count() == 0
    bp.screenshot("trainee-403")
    bp.assert_no_errors()
