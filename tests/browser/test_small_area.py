"""A trainee completes a small enumeration area end to end in Chromium (issue 5): the listing
walk, a cooperative family, a refusal converted, a nobody-home revisit in the evening, a
self-reporting household reviewed by phone and corrected, every R601 form, the quick tally,
复查 with nothing left, and the submission with a passing score. A screenshot of each stage
is kept in test-artifacts/browser/small-area-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_fieldwork import fill
from tests.browser.test_login_roles import log_in
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.census import tally
from trainer.core.census.r601 import record_of
from trainer.core.census.register import truth_rows
from trainer.core.scenario import loader
from trainer.core.scenario.households import build
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

pytestmark = pytest.mark.browser
PASSWORD = "Small-area-2020"
SCENARIO = project_root() / "scenarios" / "small-area.yaml"
LISTING_COLUMNS = ("building", "unit", "status", "number", "head", "kind", "present", "away",
                   "mode", "phone", "remarks")
HOUSEHOLD_ITEMS = ("H1", "H2a", "H2b", "H3m", "H3f", "H4m", "H4f", "H5", "H6", "H7")


def own_exercise(live_server: LiveServer) -> int:
    """A trainer, a trainee and a cohort of their own, with the small-area exercise."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="satrainer",
                                       full_name="小区培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="satrainee",
                                       full_name="小区学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="小区班", trainer=trainer)
        cohort.trainees = [trainee]
        scenario = loader.load(SCENARIO)
        # the demo's library sync may have published it already
        version = (scenario_services.publish(db, scenario, actor=None)
                   or scenario_services.get_version(db, scenario.id))
        assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                     mode=Mode.PRACTICE, due_on=None)
        db.commit()
        return assignment.id


def truth() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The true R601 records and register rows of the area (the scenario's seed is fixed)."""
    scenario = loader.load(SCENARIO)
    truths = build(scenario, scenario.seed)
    records = {}
    for unit in scenario.assignment.units:
        household = truths[unit].household
        assert household is not None
        records[unit] = record_of(household)
    rows = truth_rows([(u, truths[u]) for u in scenario.assignment.units],
                      {"zhang": "self_reporting"})
    return records, rows


def nav(bp: BrowserPage, selector: str) -> None:
    """Click something that loads a new page and wait for it."""
    with bp.page.expect_navigation():
        bp.page.locator(selector).first.click()


def act(bp: BrowserPage, unit: str, action: str) -> None:
    """Press an action button on a household's card."""
    nav(bp, f"[data-test=household-{unit}] button[data-action='{action}']")


def at(bp: BrowserPage, unit: str, action: str, day: str, time: str) -> None:
    """Knock or phone at a household on a simulated day and time."""
    prefix = "phone-" if action == "phone_check" else ""
    bp.page.locator(f"#{prefix}day-{unit}").select_option(day)
    bp.page.locator(f"#{prefix}time-{unit}").select_option(time)
    act(bp, unit, action)


def list_unit(page: Any, unit: str, row: dict[str, Any]) -> None:
    """Fill one unit's row of the register on the listing walk."""
    for name in LISTING_COLUMNS:
        field = page.locator(f"[data-test={name}-{unit}]")
        value = "" if row[name] is None else str(row[name])
        if name in ("status", "kind", "mode"):
            field.select_option(value)
        else:
            field.fill(value)
    page.locator(f"[data-test=letter-{unit}]").set_checked(bool(row["letter"]))
    page.locator(f"[data-test=long_form-{unit}]").set_checked(bool(row["long_form"]))


def fill_form(bp: BrowserPage, record: dict[str, Any], *, add_persons: bool = True) -> None:
    """Fill an R601 page with a record, mark it complete and save it."""
    page = bp.page
    if add_persons:
        for _ in record["persons"][page.locator("fieldset.person").count():]:
            with page.expect_navigation():
                page.get_by_role("button", name="Add a person").click()
    expect(page.locator("fieldset.person")).to_have_count(len(record["persons"]))
    for item in HOUSEHOLD_ITEMS:
        fill(page, item, record[item])
    for index, person in enumerate(record["persons"]):
        for item, value in person.items():
            fill(page, f"persons-{index}-{item}", value)
    page.locator("#complete").check()
    page.locator("#confirmed").check()
    with page.expect_navigation():
        page.locator("[data-test=save-form]").click()
    expect(page.locator("[data-test=form-status]")).to_have_text("complete")


def test_trainee_completes_a_small_area(browser_page: BrowserPage,
                                        live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    records, rows = truth()
    assignment_id = own_exercise(live_server)
    log_in(bp, "satrainee", PASSWORD)
    nav(bp, f'[data-test="start-{assignment_id}"]')
    expect(page.locator("main h1")).to_have_text("A small area: from listing to submission")
    attempt_url = page.url.split("#")[0]
    assert re.search(r"/training/attempts/\d+$", attempt_url)
    bp.screenshot("small-area-start")

    # the listing walk: building 1 (wang, chen), then building 2 (liu, zhang self-reporting)
    nav(bp, "[data-test=listing]")
    nav(bp, "[data-test=building-1]")
    expect(page.locator("[data-test=building-heading]")).to_contain_text("Building 1")
    for unit in ("wang", "chen"):
        list_unit(page, unit, rows[unit])
    nav(bp, "[data-test=save-building]")
    expect(page.locator("[data-test=chip-1]")).to_have_attribute("data-state", "all")
    bp.screenshot("small-area-listing-building-1")
    nav(bp, "[data-test=chip-2]")
    expect(page.locator("[data-test=building-heading]")).to_contain_text("Building 2")
    for unit in ("liu", "zhang"):
        list_unit(page, unit, rows[unit])
    nav(bp, "[data-test=issue-code-zhang]")  # saves the building and makes the code
    expect(page.locator("[data-test=code-zhang]")).to_have_text(re.compile(r"^[A-Z2-9]{10}$"))
    expect(page.locator("[data-test=chip-2]")).to_have_attribute("data-state", "all")
    bp.screenshot("small-area-listing-building-2")

    # visits: nobody at the Lius' on a weekday morning; Mr Chen refuses, then is converted
    page.goto(attempt_url)
    at(bp, "liu", "knock", "2020-11-02", "10:00")
    act(bp, "liu", "ask_neighbour")
    act(bp, "liu", "leave_notice")
    expect(page.locator("[data-test=household-liu]")).to_contain_text("Nobody home")
    bp.screenshot("small-area-nobody-home")

    at(bp, "chen", "knock", "2020-11-02", "11:00")
    act(bp, "chen", "show_id")
    # the refusal: his concern is answered (a trainee sees no node ids, only what is offered)
    expect(page.locator("[data-test=node]")).to_have_count(0)
    expect(page.locator("[data-test=household-chen] button[data-action='ask_item:roster']")
           ).to_have_count(0)
    for action in ("explain_purpose", "explain_legal_basis", "promise_confidentiality",
                   "answer_concern:fear_consequences"):
        act(bp, "chen", action)
    expect(page.locator("[data-test=household-chen] button[data-action='ask_item:roster']")
           ).to_be_visible()  # converted: the interview's items are offered
    for action in ("ask_item:roster", "probe:members_away", "read_back"):
        act(bp, "chen", action)
    expect(page.locator("[data-test=household-chen]")).to_contain_text("Completed")
    bp.screenshot("small-area-refusal-converted")

    # the cooperative family in the evening, then the Zhangs choose self-reporting
    at(bp, "wang", "knock", "2020-11-02", "19:00")
    for action in ("show_id", "explain_purpose", "explain_legal_basis",
                   "promise_confidentiality", "ask_item:roster", "probe:births", "read_back"):
        act(bp, "wang", action)
    expect(page.locator("[data-test=household-wang]")).to_contain_text("Completed")
    at(bp, "zhang", "knock", "2020-11-02", "20:00")
    for action in ("show_id", "explain_purpose", "explain_legal_basis",
                   "promise_confidentiality", "answer_concern:privacy", "offer_self_report"):
        act(bp, "zhang", action)
    expect(page.locator("[data-test=self-report-zhang]")).to_contain_text("awaited until 24:00")
    bp.screenshot("small-area-self-reporting")

    # the Lius' revisit in the evening of the next day; the Zhangs' self-report has come
    at(bp, "liu", "knock", "2020-11-03", "19:00")
    for action in ("show_id", "explain_purpose", "explain_legal_basis",
                   "promise_confidentiality", "answer_concern:no_time", "ask_item:roster",
                   "probe:others_living_here", "read_back"):
        act(bp, "liu", action)
    expect(page.locator("[data-test=household-liu]")).to_contain_text("Completed")
    expect(page.locator("[data-test=self-report-zhang]")).to_contain_text(
        "Self-report received on 2020-11-03")
    bp.screenshot("small-area-revisit")
    at(bp, "zhang", "phone_check", "2020-11-03", "20:00")
    expect(page.locator("[data-test=self-report-zhang]")).to_contain_text("checked by phone")
    bp.screenshot("small-area-phone-check")

    # the self-report reviewed: her education one level low, corrected on its R601 page
    nav(bp, "[data-test=form-zhang]")
    expect(page.locator("[data-test=self-report-banner]")).to_contain_text(
        "received on 2020-11-03")
    expect(page.locator("[data-test=self-report-call]")).to_contain_text("D11")
    truth_d11 = str(records["zhang"]["persons"][1]["D11"])
    expect(page.locator("#persons-1-D11")).to_have_value("7")  # as she filled it in
    assert truth_d11 != "7"
    bp.screenshot("small-area-self-report-review")
    fill_form(bp, records["zhang"], add_persons=False)
    expect(page.locator("#persons-1-D11")).to_have_value(truth_d11)
    bp.screenshot("small-area-self-report-corrected")

    # the other three forms from the answers given in the visits
    for unit in ("wang", "chen", "liu"):
        page.goto(attempt_url)
        nav(bp, f"[data-test=form-{unit}]")
        expect(page.locator("main h1")).to_contain_text("R601")
        fill_form(bp, records[unit])
        bp.screenshot(f"small-area-form-{unit}")

    # the quick tally, then 复查 with nothing left to correct
    page.goto(attempt_url)
    nav(bp, "[data-test=tally]")
    for name, value in tally.from_forms(records.values()).items():
        page.locator(f"#{name}").fill(str(value))
    nav(bp, "[data-test=save-tally]")
    expect(page.locator(".field-error")).to_have_count(0)
    bp.screenshot("small-area-tally")
    nav(bp, "[data-test=recheck]")
    expect(page.locator("[data-test=recheck-empty]")).to_contain_text("No inconsistencies found.")
    bp.screenshot("small-area-recheck")

    # submit: the debrief shows a passing score
    page.goto(attempt_url)
    nav(bp, "[data-test=submit]")
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    heading = page.locator("[data-test=debrief] h2")
    expect(heading).to_contain_text("passed")
    expect(heading).not_to_contain_text("not passed")
    score = re.search(r"Score: (\d+\.\d)", heading.inner_text())
    assert score is not None and float(score.group(1)) >= 70
    bp.screenshot("small-area-debrief")
    bp.assert_no_errors()
