"""An examiner reviews the demo exam, changes a criterion's score with a reason and releases
it; the trainee is notified and sees the released score with the reason."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in, log_out

pytestmark = pytest.mark.browser


def test_examiner_overrides_and_releases(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(bp, "examiner", PASSWORDS["examiner"])
    page.locator("[data-nav=review]").click()
    queue = page.locator("[data-test=review-queue] tbody tr")
    expect(queue).to_have_count(1)
    expect(queue.first).to_contain_text("Awaiting review")
    bp.screenshot("review-queue")
    with page.expect_navigation():
        queue.first.locator("a").click()
    expect(page.locator("[data-test=review-status]")).to_have_text("Awaiting review")
    expect(page.locator("[data-test=event]").first).to_be_visible()  # the replayed visit
    form = page.locator("[data-test=override-form]")
    form.locator("input[name=criterion][value=outcome]").check()
    form.locator("input[name=score]").fill("80")
    form.locator("textarea").fill("He verified the card with the grid worker: a fair close.")
    with page.expect_navigation():
        form.locator("button").click()
    expect(page.locator("tr.overridden")).to_have_count(1)
    expect(page.locator("[data-test=review-record]")).to_contain_text("Score changed")
    bp.screenshot("review-attempt")
    with page.expect_navigation():
        page.locator("[data-test=release]").click()
    expect(page.locator("[data-test=review-status]")).to_have_text("Released")
    total = re.search(r"Scores: ([\d.]+)", page.locator("#scores-heading").inner_text())
    assert total is not None
    log_out(bp)

    log_in(bp, "trainee2", PASSWORDS["trainee2"])
    expect(page.locator("[data-test=unread]")).to_have_text("1")
    with page.expect_navigation():
        page.locator("[data-nav=notifications]").click()
    notice = page.locator("[data-test=notice]").first
    expect(notice).to_contain_text("has been released")
    bp.screenshot("review-notification")
    with page.expect_navigation():
        notice.locator("a").click()
    expect(page.locator("[data-test=debrief] h2")).to_contain_text(f"Score: {total.group(1)}")
    expect(page.locator("[data-test=review-comments]")).to_contain_text("fair close")
    bp.screenshot("review-released-debrief")
    # on an upright tablet the score column keeps to its number and its "changed" tag, and
    # leaves the room to the criterion and the findings (it took 209 px)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.reload()
    widths = page.evaluate(COLUMNS, "[data-test=debrief] table")
    bp.screenshot("review-released-debrief-768")
    assert widths["score"] <= 130 and widths["findings"] >= 250, widths
    bp.assert_no_errors()


# The widths of a score table's columns, by the words of their heads.
COLUMNS = """selector => {
  const cells = [...document.querySelector(selector).querySelectorAll('thead th')];
  const names = ['criterion', 'weight', 'score', 'findings'];
  return Object.fromEntries(cells.map((th, i) => [names[i] || i,
                                                  th.getBoundingClientRect().width]));
}"""
