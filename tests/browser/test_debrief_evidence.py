"""A trainee opens a debrief finding's turn of the transcript: the page scrolls to that turn and
outlines it (the last turn of the visit too), and every finding has a link to its evidence."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in

pytestmark = pytest.mark.browser


def test_a_finding_opens_its_turn_of_the_transcript_highlighted(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainee2", PASSWORDS["trainee2"])
    with page.expect_navigation():
        page.locator("[data-test^=exercise-]").first.get_by_role(
            "link", name=re.compile(r"score \d")).first.click()
    debrief = page.locator("[data-test=debrief]")
    expect(debrief).to_contain_text("Score:")
    findings = debrief.locator("tr[data-test^=debrief-] li:not(.feedback)")
    assert findings.count() > 0
    for index in range(findings.count()):  # each finding opens something
        assert findings.nth(index).locator("a").count() > 0, findings.nth(index).inner_text()

    # the household's outcome points at the last turn of its visit: the transcript's last one
    link = page.locator("[data-test=debrief-outcome] [data-test=finding-event]").last
    seq = (link.get_attribute("href") or "").removeprefix("#event-")
    link.click()
    turn = page.locator(".event:target")
    expect(turn).to_have_attribute("id", f"event-{seq}")
    expect(turn).to_be_in_viewport()
    assert turn.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    assert page.locator(".events > li").last.get_attribute("id") == f"event-{seq}"
    bp.screenshot("debrief-transcript-turn")
    bp.assert_no_errors()
