"""A trainer finds a scenario in the catalogue, reads its script and graph, and plays it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in
from trainer.config import project_root

pytestmark = pytest.mark.browser
LIBRARY = project_root() / "scenarios"

BEST_PLAY = ("greet", "show_id", "explain_purpose", "explain_legal_basis",
             "promise_confidentiality", "ask_item:roster", "probe:members_away", "read_back")


def press(bp: BrowserPage, action: str) -> None:
    """Press an action button and wait for the page that answers it."""
    with bp.page.expect_navigation():
        bp.page.locator(f"button[data-action='{action}']").first.click()


def test_trainer_reads_and_plays_a_scenario(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainer", PASSWORDS["trainer"])
    with page.expect_navigation():
        page.locator("[data-nav=scenarios]").click()
    expect(page.locator("main h1")).to_have_text("Scenarios")
    # every library scenario is listed once (scenarios written in the browser come beside them)
    for path in LIBRARY.glob("*.yaml"):
        expect(page.locator(f'main table tbody a[href="/scenarios/{path.stem}"]')).to_have_count(1)
    bp.screenshot("scenarios-catalogue")

    page.locator("#tag").select_option("baseline")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    expect(page.locator("main table tbody tr")).to_have_count(1)
    with page.expect_navigation():
        page.locator("main table a[href='/scenarios/cooperative-family']").click()
    expect(page.locator("main h1")).to_have_text("A cooperative family")
    expect(page.locator("svg[data-test=graph] rect")).to_have_count(6)
    expect(page.locator("#node-main-door")).to_contain_text("Who is it?")
    bp.screenshot("scenario-script-graph")

    with page.expect_navigation():
        page.locator("[data-test=play]").click()
    expect(page.locator("main h1")).to_contain_text("Play")
    page.locator("#day-wang").select_option("2020-11-02")
    page.locator("#time-wang").select_option("19:00")
    press(bp, "knock")
    expect(page.locator("[data-test=node]")).to_have_text("door")
    for action in BEST_PLAY:
        press(bp, action)
    debrief = page.locator("[data-test=debrief]")
    expect(debrief).to_contain_text("Score: 100.0")
    expect(debrief).to_contain_text("passed")
    expect(page.locator("[data-test=event]").last).to_contain_text("Completed")
    bp.screenshot("scenario-play-debrief")

    page.locator("#lang-select").select_option("zh_CN")
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("[data-test=debrief]")).to_contain_text("100.0")
    expect(page.locator("[data-test=event]").last).to_contain_text("完成登记")
    bp.screenshot("scenario-play-debrief-zh")
    page.locator("#lang-select").select_option("en")  # the choice is kept on the account
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    bp.assert_no_errors()


def test_playtest_from_any_node_and_a_refused_step(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainer", PASSWORDS["trainer"])
    page.goto("/scenarios/cooperative-family")
    with page.expect_navigation():
        page.locator("[data-test=play]").click()
    page.locator("#day-wang").select_option("2020-11-02")
    page.locator("#time-wang").select_option("10:00")  # they work: nobody is home
    press(bp, "knock")
    expect(page.locator("[data-test=event]").last).to_contain_text("Nobody opens.")
    expect(page.locator("[data-test=node]")).to_have_text("nobody")
    press(bp, "leave_notice")
    page.locator("#day-wang").select_option("2020-11-02")
    page.locator("#time-wang").select_option("09:00")
    bp.expect_status(urlsplit(page.url).path + "/steps", 400)  # the refused knock below
    with page.expect_navigation():
        page.locator("button[data-action='knock']").click()
    expect(page.locator(".flash-error")).to_contain_text("Simulated time cannot go backwards")
    page.locator("#day-wang").select_option("2020-11-03")
    page.locator("#time-wang").select_option("19:30")
    press(bp, "knock")
    page.locator("details.jump summary").click()
    page.locator("#jump-wang").select_option("goto:interview")
    with page.expect_navigation():
        page.get_by_role("button", name="Jump").click()
    expect(page.locator("[data-test=node]")).to_have_text("interview")
    bp.screenshot("scenario-playtest-jump")
    bp.assert_no_errors()
