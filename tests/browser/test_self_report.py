"""A trainee gives two households self-reporting (自主填报): one submits, and its form is
reviewed after a phone call; the other never does and is visited from the day after the
deadline. Screenshots of each stage."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in
from tests.features.test_self_report import TEXT
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.scenario import loader
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

pytestmark = pytest.mark.browser
PASSWORD = "Self-report-2020"


def own_exercise(live_server: LiveServer) -> int:
    """A trainer, a trainee and a cohort of their own, with the self-reporting exercise."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="srtrainer",
                                       full_name="自主填报培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="srtrainee",
                                       full_name="自主填报学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="自主填报班", trainer=trainer)
        cohort.trainees = [trainee]
        version = scenario_services.publish(db, loader.parse(TEXT), actor=None)
        assert version is not None
        assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                     mode=Mode.PRACTICE, due_on=None)
        db.commit()
        return assignment.id


def act(bp: BrowserPage, unit: str, action: str) -> None:
    with bp.page.expect_navigation():
        bp.page.locator(f"[data-test=household-{unit}] button[data-action='{action}']").click()


def at(bp: BrowserPage, unit: str, action: str, day: str, time: str) -> None:
    """Knock or phone at a household on a simulated day and time."""
    prefix = "phone-" if action == "phone_check" else ""
    bp.page.locator(f"#{prefix}day-{unit}").select_option(day)
    bp.page.locator(f"#{prefix}time-{unit}").select_option(time)
    act(bp, unit, action)


def test_self_reporting_households_are_followed_up(browser_page: BrowserPage,
                                                   live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    assignment_id = own_exercise(live_server)
    log_in(bp, "srtrainee", PASSWORD)
    with page.expect_navigation():
        page.locator(f'[data-test="start-{assignment_id}"]').click()
    for unit, time in (("sub", "19:00"), ("non", "20:00")):
        at(bp, unit, "knock", "2020-11-03", time)
        act(bp, unit, "show_id")
        act(bp, unit, "offer_self_report")
    expect(page.locator("[data-test=self-report-sub]")).to_contain_text("awaited until 24:00")
    expect(page.locator("[data-test=self-report-non]")).to_contain_text("awaited until 24:00")
    bp.screenshot("self-report-awaited")

    at(bp, "sub", "phone_check", "2020-11-04", "19:00")
    expect(page.locator("[data-test=self-report-event]")).to_contain_text(
        "Self-report received on 2020-11-04")
    expect(page.locator("[data-test=self-report-sub]")).to_contain_text("checked by phone")
    with page.expect_navigation():
        page.locator("[data-test=form-sub]").click()
    banner = page.locator("[data-test=self-report-banner]")
    expect(banner).to_contain_text("received on 2020-11-04")
    expect(page.locator("[data-test=self-report-call]")).to_contain_text("H6")
    expect(page.locator("#H6")).to_have_value("99")  # as the household filled it in
    bp.screenshot("self-report-review")
    page.go_back()
    page.reload()

    at(bp, "non", "knock", "2020-11-06", "10:00")
    expect(page.locator("[data-test=self-report-event]").last).to_contain_text(
        "did not come by the deadline")
    for action in ("show_id", "ask_item:roster", "read_back"):
        act(bp, "non", action)
    expect(page.locator("[data-test=household-non]")).to_contain_text("Completed")
    bp.screenshot("self-report-followed-up")
    bp.assert_no_errors()
