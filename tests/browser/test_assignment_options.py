"""A trainer assigns a timed exam with one world for everyone, a trainee starts it after the
warning and sees the time left, and the trainer follows both trainees on the progress page
(issue 10)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in, log_out
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.extensions import DB_KEY
from trainer.fieldwork.models import Assignment, Attempt

pytestmark = pytest.mark.browser
PASSWORD = "Timed-exam-2020"


def cohort_of_two(live_server: LiveServer) -> int:
    """A trainer of their own with a cohort of two trainees (the demo users stay as they are)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="examtrainer",
                                       full_name="考试培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainees = [accounts.create_user(db, actor=None, username=name, full_name=full,
                                         role=Role.TRAINEE, password=PASSWORD)[0]
                    for name, full in (("examtrainee1", "考生一"), ("examtrainee2", "考生二"))]
        cohort = accounts.create_cohort(db, actor=trainer, name="限时考试班", trainer=trainer)
        cohort.trainees = trainees
        db.commit()
        return cohort.id


def test_timed_exam_with_one_world(browser_page: BrowserPage, live_server: LiveServer):
    cohort_id = cohort_of_two(live_server)
    page = browser_page.page
    log_in(browser_page, "examtrainer", PASSWORD)
    page.goto(f"/cohorts/{cohort_id}/exercises")
    option = page.locator("select[name=version] option", has_text="A cooperative family")
    page.select_option("select[name=version]", value=option.first.get_attribute("value"))
    page.select_option("select[name=mode]", value="exam")
    page.fill("input[name=time_limit_minutes]", "45")
    page.select_option("select[name=world]", value="shared")
    page.get_by_role("button", name="Assign").click()
    row = page.locator("tbody tr", has_text="A cooperative family")
    expect(row).to_contain_text("45 min")
    # a time limit on practice is refused with the reason, nothing is assigned
    page.select_option("select[name=version]", value=option.first.get_attribute("value"))
    page.select_option("select[name=mode]", value="practice")
    page.fill("input[name=time_limit_minutes]", "20")
    browser_page.expect_status(f"/cohorts/{cohort_id}/exercises", 400)
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("main")).to_contain_text("A time limit is for exams only")
    expect(page.locator("tbody tr", has_text="A cooperative family")).to_have_count(1)
    log_out(browser_page)

    log_in(browser_page, "examtrainee1", PASSWORD)
    page.goto("/training")
    with live_server.app.app_context(), live_server.app.extensions[DB_KEY]() as db:
        assignment = db.query(Assignment).filter_by(cohort_id=cohort_id).one()
        assignment_id, shared_seed = assignment.id, assignment.seed
    expect(page.locator(f'[data-test="time-limit-{assignment_id}"]')).to_contain_text("45")
    page.once("dialog", lambda dialog: dialog.accept())  # the timed exam's warning
    page.locator(f'[data-test="start-{assignment_id}"]').click()
    expect(page).to_have_url(re.compile(r"/training/attempts/\d+$"))
    timer = page.locator('[data-test="time-left"]')
    expect(timer).to_be_visible()
    expect(timer).to_contain_text("Time left")
    browser_page.screenshot("exam-time-left")
    log_out(browser_page)

    log_in(browser_page, "examtrainer", PASSWORD)
    page.goto(f"/cohorts/{cohort_id}/exercises")
    page.locator(f'[data-test="progress-{assignment_id}"]').click()
    expect(page.locator('[data-test="progress-summary"]')).to_contain_text(
        "2 trainees: 1 not started, 1 in progress, 0 submitted")
    expect(page.locator('[data-test="progress-row-examtrainee1"]')).to_have_attribute(
        "data-state", "in_progress")
    browser_page.screenshot("exam-progress")
    with live_server.app.app_context(), live_server.app.extensions[DB_KEY]() as db:
        [attempt] = db.query(Attempt).filter_by(assignment_id=assignment_id).all()
        assert shared_seed is not None and attempt.seed == shared_seed
    browser_page.assert_no_errors()
