"""A trainee meets a foreign household and fills the form for Hong Kong, Macao and Taiwan
residents and foreigners in Chromium; the debrief points back at the field gone wrong."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in
from tests.browser.test_scenarios import press
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.census import hmt
from trainer.core.scenario import loader
from trainer.core.scenario.households import build
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenarios

pytestmark = pytest.mark.browser
PASSWORD = "Foreign-form-2020"
FOREIGN = project_root() / "scenarios" / "foreign-resident.yaml"
FIRST_VISIT = ("greet", "show_id", "use_interpreter", "book_appointment", "thank_and_close")


def foreign_exercise(live_server: LiveServer) -> None:
    """A trainee of their own, in a cohort of their own, with the foreign-resident scenario
    as practice (the demo users' data stay as the other tests know them)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="hmttrainer",
                                       full_name="外籍表培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="hmttrainee",
                                       full_name="外籍表学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="外籍表班", trainer=trainer)
        cohort.trainees = [trainee]
        version = (scenarios.publish(db, loader.load(FOREIGN), actor=None)
                   or scenarios.get_version(db, "foreign-resident"))
        fieldwork.assign(db, actor=trainer, cohort=cohort, version=version,
                         mode=Mode.PRACTICE, due_on=None)
        db.commit()


def truth() -> dict:
    scenario = loader.load(FOREIGN)
    household = build(scenario, scenario.seed or 0)["kim"].household
    assert household is not None
    return hmt.record_of(household)


def fill(page, field_id: str, value) -> None:
    """Type or pick one answer on the form."""
    locator = page.locator(f"#{field_id}")
    text = "" if value is None else str(value)
    if locator.evaluate("e => e.tagName") == "SELECT":
        locator.select_option(text)
    else:
        locator.fill(text)


def test_trainee_fills_the_foreigners_form_and_the_debrief_points_at_the_field(
        browser_page: BrowserPage, live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    foreign_exercise(live_server)
    record = truth()
    kim, wife = record["persons"]
    log_in(bp, "hmttrainee", PASSWORD)
    with page.expect_navigation():
        page.locator("[data-test^=exercise-]").first.locator("button").click()
    expect(page.locator("[data-test=hmt-form-kim]")).to_have_count(0)  # not met yet
    page.locator("#day-kim").select_option("2020-11-09")
    page.locator("#time-kim").select_option("19:00")
    press(bp, "knock")
    for action in FIRST_VISIT:
        press(bp, action)
    link = page.locator("[data-test=hmt-form-kim]")
    expect(link.locator("xpath=..")).to_contain_text("not started")
    with page.expect_navigation():
        link.click()
    expect(page.locator("main h1")).to_contain_text("Hong Kong, Macao and Taiwan residents")
    expect(page.locator("[data-test=form-status]")).to_have_text("draft")
    bp.screenshot("hmt-form-empty")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024  # no side scroll

    for item in hmt.HOUSEHOLD_ITEMS:
        fill(page, item, record[item])
    for item, value in kim.items():
        fill(page, f"persons-0-{item}", value)
    expect(page.locator("[data-test=save-status]")).to_contain_text("Saved at")  # autosave
    with page.expect_navigation():
        page.locator("[data-test=add-person]").click()
    expect(page.locator("fieldset.person")).to_have_count(2)
    expect(page.locator("#persons-0-R6")).to_have_value("韩国")  # the autosave kept it
    for item, value in {**wife, "R8": 6}.items():  # a mistake: 5 years or more
        fill(page, f"persons-1-{item}", value)
    page.locator("#persons-1-R9").select_option("")  # left blank: an error to correct
    page.locator("#complete").check()
    with page.expect_navigation():
        page.locator("[data-test=save-form]").click()
    expect(page.locator(".flash-error")).to_contain_text("correct the errors first (1)")
    expect(page.locator("#persons-1-R9-error")).to_contain_text(
        "R9 Employment (aged 15 and over) is required.")
    bp.screenshot("hmt-form-error")
    fill(page, "persons-1-R9", wife["R9"])
    page.locator("#complete").check()
    with page.expect_navigation():
        page.locator("[data-test=save-form]").click()
    expect(page.locator("[data-test=form-status]")).to_have_text("complete")
    bp.screenshot("hmt-form-complete")

    with page.expect_navigation():
        page.locator("nav.crumbs a").nth(1).click()
    expect(page.locator("[data-test=hmt-form-kim]").locator("xpath=..")).to_contain_text(
        "complete")
    with page.expect_navigation():
        page.locator("[data-test=submit]").click()
    row = page.locator("[data-test=debrief-hmt_form]")
    expect(row).to_contain_text("R8 Length of stay of 朴智恩 is wrong (should be 4 1-2 years)")
    bp.screenshot("hmt-form-debrief")
    with page.expect_navigation():
        row.locator("[data-test=finding-where]").click()
    assert page.url.endswith("/hmt/kim#persons-1-R8")
    expect(page.locator("[data-test=graded]")).to_contain_text("should be 4 1-2 years")
    expect(page.locator("[data-test=save-form]")).to_have_count(0)  # read-only now
    bp.screenshot("hmt-form-graded")
    bp.assert_no_errors()
