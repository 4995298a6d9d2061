"""An attempt begun under an earlier version of the household generator says so: the trainee's
attempt page (in English and in Chinese) and, once the exam is submitted, the examiner's review
page show the truth-changed notice; the same attempt with the fingerprint of the households
drawn today shows none. Screenshots in test-artifacts/browser/truth-changed-*.png.

The attempt is the test's own (a cohort with its own trainer, examiner and trainee), so the
demo data other browser tests count on is untouched; its fingerprint is set back to today's
at the end all the same."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserPage, LiveServer, begun_exam
from tests.browser.test_login_roles import log_in, log_out, switch_language
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork import truth
from trainer.fieldwork.models import Attempt

pytestmark = pytest.mark.browser
PASSWORD = "Truth-drift-2020"
EARLIER = "0" * 64  # the fingerprint of households an earlier generator drew otherwise
NOTICE = "[data-test=truth-changed]"
TRAINEE_EN = "The application has been updated since you began this exercise"
TRAINEE_ZH = "你开始本练习后应用已更新"
REVIEW_HEADING = "This attempt's households are drawn otherwise now"


def started_exam(live_server: LiveServer) -> tuple[int, str]:
    """A cohort of its own (trainer, examiner, one trainee) whose trainee has begun the exam on
    the cooperative family and knocked: (the attempt's id, the fingerprint it began with)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        attempt = begun_exam(db, "drift", "更新", PASSWORD)
        fieldwork.take_step(db, attempt, "wang", "greet", None)
        db.commit()
        assert attempt.truth_fingerprint is not None
        assert not truth.changed(attempt)
        return attempt.id, attempt.truth_fingerprint


def set_fingerprint(live_server: LiveServer, attempt_id: int, value: str) -> None:
    """Store `value` as the attempt's truth fingerprint."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        attempt = db.get(Attempt, attempt_id)
        assert attempt is not None
        attempt.truth_fingerprint = value
        db.commit()


def assert_placed_near_the_top(page: Page, below: str, above: str) -> None:
    """The notice sits under `below` and over `above`, as wide as the page's main column."""
    notice = page.locator(NOTICE).bounding_box()
    first = page.locator(below).first.bounding_box()
    then = page.locator(above).first.bounding_box()
    main = page.locator("main").bounding_box()
    assert notice and first and then and main
    assert first["y"] + first["height"] <= notice["y"], "the notice overlaps what is above it"
    assert notice["y"] + notice["height"] <= then["y"], "the notice overlaps what follows it"
    assert notice["x"] >= main["x"] - 1
    assert notice["x"] + notice["width"] <= main["x"] + main["width"] + 1
    assert notice["y"] < 768, "the notice is below the first screen"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, f"the page is {width}px wide on a 1024px screen"


def test_an_attempt_drawn_otherwise_now_says_so_to_trainee_and_examiner(
        browser_page: BrowserPage, live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    attempt_id, today = started_exam(live_server)
    try:
        log_in(bp, "drifttrainee", PASSWORD)
        page.goto(f"/training/attempts/{attempt_id}")
        expect(page.locator("main h1")).to_contain_text("A cooperative family")
        expect(page.locator(NOTICE)).to_have_count(0)  # drawn as when it began

        set_fingerprint(live_server, attempt_id, EARLIER)
        page.reload()
        notice = page.locator(NOTICE)
        expect(notice).to_be_visible()
        expect(notice).to_have_attribute("role", "status")
        expect(notice).to_contain_text(TRAINEE_EN)
        expect(notice).to_contain_text("Tell your trainer")
        assert_placed_near_the_top(page, "main .toolbar", ".play-grid")
        bp.screenshot("truth-changed-trainee")

        switch_language(bp, "zh_CN")
        page.goto(f"/training/attempts/{attempt_id}")
        expect(notice).to_be_visible()
        assert notice.inner_text().strip().startswith(TRAINEE_ZH)
        assert_placed_near_the_top(page, "main .toolbar", ".play-grid")
        bp.screenshot("truth-changed-trainee-zh")
        switch_language(bp, "en")

        page.goto(f"/training/attempts/{attempt_id}")
        with page.expect_navigation():
            page.locator("[data-test=submit]").click()
        expect(page.locator(".flash-success")).to_contain_text("submitted")
        expect(notice).to_contain_text(TRAINEE_EN)  # the submitted attempt still says so
        log_out(bp)

        log_in(bp, "driftexaminer", PASSWORD)
        page.goto(f"/review/attempts/{attempt_id}")
        expect(page.locator("[data-test=review-status]")).to_have_text("Awaiting review")
        expect(notice).to_be_visible()
        expect(notice.locator("strong")).to_have_text(REVIEW_HEADING)
        expect(notice).to_contain_text("Weigh the automatic scores with care.")
        assert_placed_near_the_top(page, "main .toolbar", ".review-scores")
        bp.screenshot("truth-changed-review")

        set_fingerprint(live_server, attempt_id, today)  # drawn as when it began: no notice
        page.reload()
        expect(page.locator("[data-test=review-status]")).to_have_text("Awaiting review")
        expect(page.locator(NOTICE)).to_have_count(0)
        log_out(bp)
        log_in(bp, "drifttrainee", PASSWORD)
        page.goto(f"/training/attempts/{attempt_id}")
        expect(page.locator("main h1")).to_contain_text("A cooperative family")
        expect(page.locator(NOTICE)).to_have_count(0)
        bp.assert_no_errors()
    finally:
        set_fingerprint(live_server, attempt_id, today)
