"""A trainee does an assigned exercise on a tablet, leaves, comes back, and submits it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in, log_out
from tests.browser.test_scenarios import BEST_PLAY, press

pytestmark = pytest.mark.browser


def test_trainee_does_an_exercise_resumes_and_submits(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainee", PASSWORDS["trainee"])
    expect(page.locator("main h1")).to_have_text("My training")
    exercises = page.locator("[data-test^=exercise-]")
    expect(exercises).to_have_count(3)
    bp.screenshot("fieldwork-my-training")
    with page.expect_navigation():
        exercises.first.locator("button").click()
    expect(page.locator("main h1")).to_have_text("A cooperative family")
    page.locator("#day-wang").select_option("2020-11-02")
    page.locator("#time-wang").select_option("19:00")
    press(bp, "knock")
    for action in BEST_PLAY[:4]:
        press(bp, action)
    attempt_url = page.url.split("#")[0]
    expect(page.locator("button[data-action=threaten_penalty]")).to_be_visible()
    expect(page.locator(".conduct-wrong")).to_have_count(0)  # no hints for trainees
    bp.screenshot("fieldwork-attempt-in-progress")

    log_out(bp)  # leave, as if the tablet's browser were closed
    log_in(bp, "trainee", PASSWORDS["trainee"])
    with page.expect_navigation():
        page.locator("[data-test^=exercise-]").first.locator("button").click()
    assert page.url.split("#")[0] == attempt_url
    expect(page.locator("[data-test=event]")).to_have_count(5)
    for action in BEST_PLAY[4:]:
        press(bp, action)
    with page.expect_navigation():
        page.locator("[data-test=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    expect(page.locator("[data-test=debrief]")).to_contain_text("Score: 100.0")
    bp.screenshot("fieldwork-attempt-debrief")
    page.goto("/training")
    expect(page.locator("[data-test^=exercise-]").first).to_contain_text("score 100.0")
    bp.assert_no_errors()
