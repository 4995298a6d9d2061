"""An examiner selects every attempt of the queue page with the keyboard and releases them at
once; the attempt that still waits for a second mark is skipped, and the flash says why."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.review import services as review
from trainer.scenarios import services as scenarios

pytestmark = pytest.mark.browser
PASSWORD = "Bulk-release-2020"


def queue_of_four(live_server: LiveServer) -> list[int]:
    """An examiner of their own with four submitted exams: three in a cohort marked once,
    one in a double-marked cohort with only the first mark in. The attempts' ids."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        def user(name: str, full: str, role: Role) -> object:
            return accounts.create_user(db, actor=None, username=name, full_name=full,
                                        role=role, password=PASSWORD)[0]

        trainer = user("bulktrainer", "批量培训师", Role.TRAINER)
        examiner = user("bulkexaminer", "批量考官", Role.EXAMINER)
        colleague = user("bulkcolleague", "第二考官", Role.EXAMINER)
        version = scenarios.get_version(db, "cooperative-family")
        ids = []
        for name, count, double in (("批量班", 3, False), ("双评批量班", 1, True)):
            cohort = accounts.create_cohort(db, actor=trainer, name=name, trainer=trainer,
                                            examiners=[examiner, colleague])
            trainees = [user(f"bulk{len(ids) + n}", f"学员{len(ids) + n}", Role.TRAINEE)
                        for n in range(count)]
            cohort.trainees = trainees
            if double:
                review.set_marking(db, cohort, trainer, double=True, threshold=10)
            exam = fieldwork.assign(db, actor=trainer, cohort=cohort, mode=Mode.EXAM,
                                    due_on=None, version=version)
            for trainee in trainees:
                attempt = fieldwork.submit(db, fieldwork.start_attempt(db, trainee, exam))
                ids.append(attempt.id)
                if double:
                    state = review.review_of(db, attempt)
                    assert state is not None and attempt.score is not None
                    review.submit_mark(db, state, colleague,
                                       dict.fromkeys(review.markable(attempt.score), 60.0))
        db.commit()
        return ids


def test_examiner_releases_a_page_at_once(browser_page: BrowserPage,
                                          live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    ids = queue_of_four(live_server)
    log_in(bp, "bulkexaminer", PASSWORD)
    page.goto("/review")
    expect(page.locator("[data-test=review-queue] tbody tr")).to_have_count(4)
    select_all = page.locator("[data-test=select-all]")
    expect(select_all).to_be_visible()  # shown by the script; a page without it ticks by hand
    select_all.focus()
    page.keyboard.press("Space")
    for attempt_id in ids:
        expect(page.locator(f"[data-test=pick-{attempt_id}]")).to_be_checked()
    expect(page.locator("[data-test=selected-count]")).to_have_text("4 selected")
    page.locator(f"[data-test=pick-{ids[0]}]").focus()
    page.keyboard.press("Space")  # one untick makes "select all" partial
    expect(page.locator("[data-test=selected-count]")).to_have_text("3 selected")
    assert page.locator("[data-test=select-all]").evaluate("box => box.indeterminate")
    page.keyboard.press("Space")
    expect(page.locator("[data-test=select-all]")).to_be_checked()
    action = page.locator("[data-test=bulk-action]")
    expect(action).to_have_value("")  # nothing chosen for the examiner
    action.select_option("release")
    expect(action).to_have_value("release")
    bp.screenshot("review-bulk-selected")
    page.locator("[data-test=bulk-apply]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flash-info")).to_have_text("Released 3, skipped 1.")
    expect(page.locator(".flash-error")).to_contain_text(
        "needs 2 independent marks before its score is released (1 so far)")
    rows = page.locator("[data-test=review-queue] tbody tr")
    expect(rows).to_have_count(1)  # the open queue keeps only the skipped one
    expect(rows.first).to_contain_text("学员3")
    bp.screenshot("review-bulk-result")
    bp.assert_no_errors()
