"""A trainee reads the debrief of a finished attempt: the costliest criteria first, each finding
linking to its evidence (the transcript turn, the form field with the right answer beside it,
the register row)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in

pytestmark = pytest.mark.browser


def test_debrief_findings_open_their_evidence(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainee2", PASSWORDS["trainee2"])
    # The demo's graded attempt, the one that left 王浩 out: other browser tests of this
    # session may have added attempts of trainee2's before it (the live server's database is
    # the session's), so it is found by its debrief, not by its place in the list.
    scores = page.locator("[data-test^=exercise-]").get_by_role(
        "link", name=re.compile(r"score \d"))
    hrefs = [link.get_attribute("href") or "" for link in scores.all()]
    for href in hrefs:
        page.goto(href if href.startswith("http") else bp.base_url + href)
        if "王浩 left out" in (page.locator("[data-test=debrief-coverage]").all_inner_texts()
                              or [""])[0]:
            break
    expect(page.locator("[data-test=debrief]")).to_contain_text("Score:")
    costs = []  # weight x points lost, row by row: the costliest first
    for row in page.locator("tr[data-test^=debrief-]").all():
        weight, score = row.locator("td").nth(1).inner_text(), row.locator("td").nth(2).inner_text()
        costs.append(float(weight) * (100 - float(score)) if score.isdigit() else 0.0)
    assert costs == sorted(costs, reverse=True) and costs[0] > 0
    expect(page.locator("[data-test=debrief-coverage]")).to_contain_text("王浩 left out")
    bp.screenshot("debrief-ranked")

    # a form field: the form opens at the field, the right answer beside it
    field_link = page.locator("[data-test=debrief-form_accuracy] [data-test=finding-where]")
    expect(field_link.first).to_have_attribute("href", re.compile(r"/forms/wang#H2b$"))
    with page.expect_navigation():
        field_link.first.click()
    expect(page.locator("main h1")).to_contain_text("R601")
    graded = page.locator(".graded:has(#H2b) [data-test=graded]")
    expect(graded).to_contain_text("H2b is wrong (should be 1)")
    expect(page.locator("#H2b")).to_be_in_viewport()
    bp.screenshot("debrief-form-field")
    page.go_back()

    # a register row: the register opens at the unit's row
    register_link = page.locator("[data-test=debrief-consistency] [data-test=finding-where]")
    with page.expect_navigation():
        register_link.first.click()
    expect(page.locator("#register-wang")).to_be_in_viewport()
    bp.screenshot("debrief-register-row")
    bp.assert_no_errors()
