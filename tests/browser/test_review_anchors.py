"""An examiner finds the attempt in the queue by its automatic score, comments on a turn of
the visit and on a feature of the drawn map from the "Comment here" links, sees each comment
at its place, releases the score, then follows the cohort dashboard's time-spent chart to
the trainee's progress."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer, begun_exam
from tests.browser.test_login_roles import log_in
from tests.features.test_review_anchors import BEST, DRAWING
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork

pytestmark = pytest.mark.browser
PASSWORD = "Anchor-review-2020"


def submitted_exam(live_server: LiveServer) -> tuple[int, int, float]:
    """A cohort of its own (trainer, examiner, one trainee) with a submitted exam that has a
    drawn map and a quick tally: (cohort id, attempt id, its automatic total)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        attempt = begun_exam(db, "anchor", "锚点", PASSWORD)
        for action in BEST:
            fieldwork.take_step(db, attempt, "wang", action, None)
        attempt.map_drawing = DRAWING
        attempt.tally = {"households": 1, "present": 3, "away": 0, "total": 3, "births": 0,
                         "deaths": 0}
        fieldwork.submit(db, attempt)
        db.commit()
        return attempt.assignment.cohort_id, attempt.id, float(attempt.score["total"])


def test_examiner_comments_on_a_turn_and_a_map_feature(browser_page: BrowserPage,
                                                       live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    cohort_id, attempt_id, total = submitted_exam(live_server)
    assert 1 <= total <= 99  # a score the filters can fall on either side of
    log_in(bp, "anchorexaminer", PASSWORD)
    page.goto("/review")  # the queue by automatic score
    rows = page.locator("[data-test=review-queue] tbody tr")
    page.locator("[data-test=filter-min-score]").fill(str(int(total) + 1))
    with page.expect_navigation():
        page.locator("form.filters button").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("No attempt matches these filters.")
    page.locator("[data-test=filter-min-score]").fill(str(int(total) - 1))
    page.locator("[data-test=filter-max-score]").fill(str(int(total) + 1))
    with page.expect_navigation():
        page.locator("form.filters button").click()
    expect(page.locator(f"[data-test=pick-{attempt_id}]")).to_have_count(1)
    bp.screenshot("review-queue-score-filter")
    page.goto(f"/review/attempts/{attempt_id}")

    turn = page.locator("[data-test=event]").nth(1)  # turn #2: the first thing said
    with page.expect_navigation():
        turn.locator("[data-test=comment-here]").click()
    form = page.locator("[data-test=comment-form]")
    expect(form.locator("input[name=anchor]")).to_have_value("event:2")
    form.locator("textarea").fill("Greet the family before anything else.")
    with page.expect_navigation():
        form.locator("button").click()
    turn = page.locator("[data-test=event]").nth(1)
    expect(turn.locator("[data-test=anchored-comment]")).to_contain_text("Greet the family")
    turn.scroll_into_view_if_needed()
    bp.screenshot("review-anchored-turn")

    page.locator("#attempt-map summary").click()
    with page.expect_navigation():
        page.locator("#attempt-map [data-test=comment-here]").nth(1).click()
    expect(form.locator("input[name=anchor]")).to_have_value("map:1")
    form.locator("textarea").fill("Number the buildings clockwise from the north-west.")
    with page.expect_navigation():
        form.locator("button").click()
    map_section = page.locator("[data-test=attempt-map]")
    expect(map_section.locator("[data-test=anchored-comment]")).to_contain_text("clockwise")
    expect(map_section.locator("img")).to_be_visible()
    assert map_section.locator("img").evaluate("img => img.naturalWidth") > 0
    # no form was filled: households 1, present 3 and total 3 differ from what they add up to
    expect(page.locator("[data-test=tally] td.differs")).to_have_count(3)
    map_section.scroll_into_view_if_needed()
    bp.screenshot("review-attempt-map")

    anchor_link = page.locator("[data-test=review-record] [data-test=anchor-link]").first
    expect(anchor_link).to_have_text("#2")  # the turn as the transcript numbers it
    anchor_link.click()
    expect(page).to_have_url(f"{live_server.url}/review/attempts/{attempt_id}#event-2")
    with page.expect_navigation():
        page.locator("[data-test=release]").click()
    expect(page.locator("[data-test=review-status]")).to_have_text("Released")

    page.goto(f"/cohorts/{cohort_id}/dashboard")
    expect(page.locator("[data-test=time-chart]")).to_have_count(1)
    expect(page.locator("[data-test=time-chart] rect.bar")).to_have_count(10)
    bp.screenshot("dashboard-time-spent")
    with page.expect_navigation():
        page.locator("[data-test=trainee-progress-link]").first.click()
    expect(page.locator("h1")).to_contain_text("锚点学员")
    expect(page.locator("[data-test=progress-history] tbody tr")).to_have_count(1)
    expect(page.locator("[data-test=progress-chart] circle")).to_have_count(1)
    bp.screenshot("review-trainee-progress")
    bp.assert_no_errors()
