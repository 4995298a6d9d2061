"""Two examiners mark an exam blind in the browser, a third settles their disagreement, the
score is released, and the agreement page shows the pair's figures."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in, log_out
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.review import services as review
from trainer.scenarios import services as scenarios

pytestmark = pytest.mark.browser
PASSWORD = "Blind-marking-2020"
DONE = ("greet", "show_id", "explain_purpose", "explain_legal_basis",
        "promise_confidentiality", "ask_item:roster", "read_back")


def double_marked_exam(live_server: LiveServer) -> tuple[int, int, list[str]]:
    """A double-marked cohort with three examiners and a submitted exam: the cohort's and the
    attempt's ids and the examiners' user names."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        # a trainer of its own: the demo trainer's cohorts stay as the other tests know them
        trainer = accounts.create_user(db, actor=None, username="blindtrainer",
                                       full_name="双评培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        names = ["marker1", "marker2", "marker3"]
        markers = [accounts.create_user(db, actor=None, username=name, full_name=f"考官{n}",
                                        role=Role.EXAMINER, password=PASSWORD)[0]
                   for n, name in enumerate(names, start=1)]
        trainee = accounts.create_user(db, actor=None, username="blindtrainee",
                                       full_name="盲评学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="双评班", trainer=trainer,
                                        examiners=markers)
        cohort.trainees = [trainee]
        review.set_marking(db, cohort, trainer, double=True, threshold=10)
        exam = fieldwork.assign(db, actor=trainer, cohort=cohort, mode=Mode.EXAM, due_on=None,
                                version=scenarios.get_version(db, "cooperative-family"))
        attempt = fieldwork.start_attempt(db, trainee, exam)
        fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
        for action in DONE:
            fieldwork.take_step(db, attempt, "wang", action, None)
        fieldwork.submit(db, attempt)
        db.commit()
        return cohort.id, attempt.id, names


def give_mark(bp: BrowserPage, url: str, value: int) -> None:
    page = bp.page
    page.goto(url)
    form = page.locator("[data-test=mark-form]")
    for field in form.locator("input[type=number]").all():
        field.fill(str(value))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_examiners_mark_blind_and_a_third_settles(browser_page: BrowserPage,
                                                 live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    cohort_id, attempt_id, (first, second, third) = double_marked_exam(live_server)
    url = f"/review/attempts/{attempt_id}"

    log_in(bp, first, PASSWORD)
    give_mark(bp, url, 40)
    expect(page.locator(".flash-success")).to_contain_text("a second examiner marks it")
    expect(page.locator("[data-test=my-mark]")).to_be_visible()
    log_out(bp)

    log_in(bp, second, PASSWORD)
    page.goto(url)
    expect(page.locator("[data-test=marking]")).to_contain_text("1 of 2")
    expect(page.locator("[data-test=marks]")).to_have_count(0)  # blind: not the first's mark
    expect(page.locator("[data-test=review-record]")).not_to_contain_text("Independent mark")
    bp.screenshot("double-marking-blind")
    give_mark(bp, url, 90)
    expect(page.locator(".flash-success")).to_contain_text("third examiner")
    log_out(bp)

    log_in(bp, third, PASSWORD)
    give_mark(bp, url, 70)
    expect(page.locator(".flash-success")).to_contain_text("marking is complete")
    expect(page.locator("[data-test=marks] tbody tr")).to_have_count(3)
    with page.expect_navigation():
        page.locator("[data-test=release]").click()
    expect(page.locator("[data-test=review-status]")).to_contain_text("Released")
    bp.screenshot("double-marking-released")

    page.goto(f"/cohorts/{cohort_id}/agreement")
    rows = page.locator("[data-test=agreement] tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 3  # three pairs of examiners, a row per pair and criterion
    bp.screenshot("double-marking-agreement")
    bp.assert_no_errors()
