"""A trainee fills a sampled household's long form on its R601 page, a row of the area's
death form and a whole-household death's 999 form (H4 only) in Chromium; all are saved as
they change and still there after a reload."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_fieldwork import fill
from tests.browser.test_login_roles import log_in
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.census import long_form
from trainer.core.scenario import loader
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

pytestmark = pytest.mark.browser
PASSWORD = "Extra-forms-2020"


def attempts_of_my_own(live_server: LiveServer) -> dict[str, int]:
    """A trainee of their own with an attempt at each scenario (the demo users stay as they
    are); at the sampled household the interview has begun (the roster was asked)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="extratrainer",
                                       full_name="长表培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="extratrainee",
                                       full_name="长表学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="长表班", trainer=trainer)
        cohort.trainees = [trainee]
        ids = {}
        for name in ("hukou-elsewhere", "whole-household-death"):
            scenario = loader.load(project_root() / "scenarios" / f"{name}.yaml")
            version = (scenario_services.publish(db, scenario, actor=None)
                       or scenario_services.get_version(db, name))
            assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                         mode=Mode.PRACTICE, due_on=None)
            ids[name] = services.start_attempt(db, trainee, assignment).id
            if name == "hukou-elsewhere":
                attempt = services.get_attempt(db, trainee, ids[name])
                services.take_step(db, attempt, "liu", "knock", datetime(2020, 11, 6, 19))
                for action in ("show_id", "ask_item:roster", "ask_item:D3", "ask_item:housing"):
                    services.take_step(db, attempt, "liu", action, None)
        db.commit()
        return ids


def truth_of_liu() -> dict:
    scenario = loader.load(project_root() / "scenarios" / "hukou-elsewhere.yaml")
    from trainer.core.scenario.households import build

    household = build(scenario, scenario.seed)["liu"].household
    assert household is not None
    return long_form.items_of(household)


def assert_table_fits(page) -> None:
    """The death form's table needs no sideways scroll in its frame at this width."""
    wrap = page.locator("[data-test=deaths-form] .table-wrap")
    width, frame = wrap.evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert width <= frame, (width, frame)


def test_trainee_fills_the_long_form_and_a_death_row(browser_page: BrowserPage,
                                                     live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    ids = attempts_of_my_own(live_server)
    log_in(bp, "extratrainee", PASSWORD)

    page.goto(f"/training/attempts/{ids['hukou-elsewhere']}")
    with page.expect_navigation():
        page.locator("[data-test=form-liu]").click()
    section = page.locator("[data-test=long-form]")
    expect(section).to_be_visible()
    expect(page.locator("[data-test=long-form-answers]")).to_contain_text("Monthly rent")
    items = truth_of_liu()
    for item, value in items.items():
        fill(page, item, value)
    expect(page.locator("[data-test=save-status]")).to_contain_text("Saved at")
    bp.screenshot("extra-forms-long-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024  # no side scroll
    page.reload()
    expect(page.locator("#H17")).to_have_value("2")
    expect(page.locator("#H18")).to_have_value(str(items["H18"]))

    page.goto(f"/training/attempts/{ids['whole-household-death']}")
    with page.expect_navigation():
        page.locator("[data-test=deaths]").click()
    expect(page.locator("main h1")).to_contain_text("Death form")
    with page.expect_navigation():
        page.locator("[data-test=add-death]").click()
    row = {"number": 999, "name": "刘德明", "sex": 1, "birth": "1938-03", "died": "2020-06",
           "age": 82, "ethnicity": "汉族"}
    for item, value in row.items():
        fill(page, f"rows-0-{item}", value)
    expect(page.locator("[data-test=save-status]")).to_contain_text("Saved at")
    page.reload()  # saved as it changed: the row is there, with its missing education shown
    expect(page.locator("#rows-0-name")).to_have_value("刘德明")
    expect(page.locator("[data-test=death-0-errors]")).to_contain_text(
        "Education (aged 6 and over at death) is required")
    expect(page.locator("#rows-0-education")).to_have_attribute("aria-invalid", "true")
    bp.screenshot("extra-forms-death-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    assert_table_fits(page)  # every column in view, the remove box too, with an error shown
    page.locator("#rows-0-education").select_option("3")
    page.locator("#complete").check()
    with page.expect_navigation():
        page.locator("[data-test=save-deaths]").click()
    expect(page.locator("[data-test=deaths-status]")).to_have_text("complete")
    bp.screenshot("extra-forms-death-form-complete")

    # the register calls the flat a whole-household death: its 999 form asks H4 only
    page.goto(f"/training/attempts/{ids['whole-household-death']}/register")
    for item, value in (("building", 6), ("unit", 201), ("status", "all_died"),
                        ("number", 999)):
        fill(page, f"rows-0-{item}", value)
    expect(page.locator("[data-test=save-status]")).to_contain_text("Saved at")
    page.goto(f"/training/attempts/{ids['whole-household-death']}")
    with page.expect_navigation():
        page.locator("[data-test=form-liu]").click()
    expect(page.locator("main h1")).to_contain_text("household number 999")
    expect(page.locator("[data-test=all-died-note]")).to_be_visible()
    assert page.locator("#H1").count() == 0 and page.locator("[data-test=person-0]").count() == 0
    fill(page, "H4m", 1)
    fill(page, "H4f", 0)
    page.locator("#complete").check()
    with page.expect_navigation():
        page.locator("[data-test=save-form]").click()
    expect(page.locator("[data-test=form-status]")).to_have_text("complete")
    bp.screenshot("extra-forms-999-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    bp.assert_no_errors()
