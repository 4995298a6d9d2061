"""A trainee does an assigned exercise on a tablet, leaves, comes back, and submits it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in, log_out
from tests.browser.test_scenarios import BEST_PLAY, press
from trainer.fieldwork import demo

pytestmark = pytest.mark.browser


def test_trainee_does_an_exercise_resumes_and_submits(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    log_in(bp, "trainee", PASSWORDS["trainee"])
    expect(page.locator("main h1")).to_have_text("My training")
    exercises = page.locator("[data-test^=exercise-]")
    expect(exercises).to_have_count(len(demo.EXERCISES))  # a self-report waits for review
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
    debrief = page.locator("[data-test=debrief] h2")
    expect(debrief).to_contain_text("not passed")  # no form: nobody counted, a critical miss
    total = re.search(r"Score: (\d+\.\d)", debrief.inner_text())
    assert total is not None and float(total.group(1)) < 100
    assert dialogs and "1 census forms are not complete" in dialogs[0]
    bp.screenshot("fieldwork-attempt-debrief")
    page.goto("/training")
    expect(page.locator("[data-test^=exercise-]").first).to_contain_text(
        f"score {total.group(1)}")
    bp.assert_no_errors()


def baseline_truth() -> dict:
    """The true R601 record of the baseline household (the scenario's seed is fixed)."""
    from trainer.config import project_root
    from trainer.core.census.r601 import record_of
    from trainer.core.scenario import loader
    from trainer.core.scenario.households import build

    scenario = loader.load(project_root() / "scenarios" / "cooperative-family.yaml")
    household = build(scenario, scenario.seed)["wang"].household
    assert household is not None
    return record_of(household)


def baseline_register() -> dict:
    """The true register row of the baseline's one unit."""
    from trainer.config import project_root
    from trainer.core.census.register import truth_rows
    from trainer.core.scenario import loader
    from trainer.core.scenario.households import build

    scenario = loader.load(project_root() / "scenarios" / "cooperative-family.yaml")
    truths = build(scenario, scenario.seed)
    return truth_rows([(u, truths[u]) for u in scenario.assignment.units], {})["wang"]


def fill(page, field_id: str, value) -> None:
    """Type or pick one answer on the form."""
    locator = page.locator(f"#{field_id}")
    text = "" if value is None else str(value)
    if locator.evaluate("e => e.tagName") == "SELECT":
        locator.select_option(text)
    elif locator.get_attribute("type") == "hidden":  # made by the server (a self-report code)
        return
    elif locator.get_attribute("type") == "checkbox":
        locator.set_checked(bool(value))
    elif text or locator.is_visible():  # a place not asked (D7 ≠ 5, D8 ≠ 4) is not shown
        locator.fill(text)


def test_trainee_fills_the_census_form_and_scores_full_marks(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    truth = baseline_truth()
    log_in(bp, "trainee2", PASSWORDS["trainee2"])
    with page.expect_navigation():
        page.locator("[data-test^=exercise-]").first.locator("button").click()
    page.locator("#day-wang").select_option("2020-11-02")
    page.locator("#time-wang").select_option("19:00")
    press(bp, "knock")
    for action in BEST_PLAY:
        press(bp, action)
    with page.expect_navigation():
        page.locator("[data-test=form-wang]").click()
    expect(page.locator("main h1")).to_contain_text("R601")
    for _ in truth["persons"][1:]:
        with page.expect_navigation():
            page.get_by_role("button", name="Add a person").click()
    expect(page.locator("fieldset.person")).to_have_count(len(truth["persons"]))
    for item in ("H1", "H2a", "H2b", "H3m", "H3f", "H4m", "H4f", "H5", "H6", "H7"):
        fill(page, item, truth[item])
    for index, person in enumerate(truth["persons"]):
        for item, value in person.items():
            fill(page, f"persons-{index}-{item}", value)
    page.locator("#complete").check()
    page.locator("#confirmed").check()
    bp.screenshot("fieldwork-census-form")
    expect(page.locator("[data-test=save-status]")).to_contain_text("Saved at")  # autosave
    with page.expect_navigation():
        page.locator("[data-test=save-form]").click()
    expect(page.locator("[data-test=form-status]")).to_have_text("complete")
    with page.expect_navigation():
        page.locator("nav.crumbs a").nth(1).click()
    with page.expect_navigation():  # the register too: every unit listed, counted once
        page.locator("[data-test=register]").click()
    for column, value in baseline_register().items():
        fill(page, f"rows-0-{column}", value)
    with page.expect_navigation():
        page.locator("[data-test=save-register]").click()
    with page.expect_navigation():
        page.locator("nav.crumbs a").nth(1).click()
    with page.expect_navigation():
        page.locator("[data-test=submit]").click()
    expect(page.locator("[data-test=debrief]")).to_contain_text("Score: 100.0")
    bp.screenshot("fieldwork-form-graded")
    bp.assert_no_errors()


def test_trainee_compiles_the_register(browser_page: BrowserPage) -> None:
    from trainer.config import project_root
    from trainer.core.census.register import truth_rows
    from trainer.core.scenario import loader
    from trainer.core.scenario.households import build

    bp, page = browser_page, browser_page.page
    scenario = loader.load(project_root() / "scenarios" / "nobody-home-revisit.yaml")
    truths = build(scenario, scenario.seed)
    rows = truth_rows([(u, truths[u]) for u in scenario.assignment.units], {})
    log_in(bp, "trainee2", PASSWORDS["trainee2"])
    with page.expect_navigation():
        page.locator("[data-test^=exercise-]").nth(1).locator("button").click()
    with page.expect_navigation():
        page.locator("[data-test=register]").click()
    expect(page.locator("main h1")).to_contain_text("Register of household heads")
    for index, row in enumerate(rows.values()):
        for column, value in row.items():
            fill(page, f"rows-{index}-{column}", value)
    bp.screenshot("fieldwork-register")
    with page.expect_navigation():
        page.locator("[data-test=save-register]").click()
    expect(page.locator(".flash-success")).to_contain_text("The register is saved.")
    expect(page.locator(".field-error")).to_have_count(0)
    bp.assert_no_errors()
