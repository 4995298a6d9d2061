"""The examiner's forms on a review at 768 px (a tablet in portrait), in Chinese and English:
the override's criteria are radio rows whose whole names wrap within the form (a select cut
them off), and "Change" beside a score, reached by the keyboard, opens the form with that
criterion chosen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, LiveServer, begun_exam
from trainer.accounts import services as accounts
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork

pytestmark = pytest.mark.browser

# The radio rows of the override's criteria whose name is cut off or runs out of the form.
CLIPPED = """() => {
  const form = document.querySelector('[data-test=override-form]');
  const box = form.getBoundingClientRect();
  return [...form.querySelectorAll('[data-test=override-criterion]')]
    .filter(row => row.offsetParent !== null)  // folded away in <details>: not shown
    .filter(row => row.scrollWidth > row.clientWidth + 1
                   || row.getBoundingClientRect().right > box.right + 1)
    .map(row => row.textContent.trim());
}"""


def submitted_exam(live_server: LiveServer, locale: str) -> int:
    """A submitted exam of a trainee of its own in a cohort the demo examiner reviews (the
    demo's reviews are released or marked by other tests): its attempt's id."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        attempt = begun_exam(db, f"tablet-{locale.lower()}-", f"平板考试 {locale} ",
                             "Tablet-review-2020",
                             examiner=accounts.user_by_username(db, "examiner"))
        for action in ("greet", "show_id", "explain_purpose"):
            fieldwork.take_step(db, attempt, "wang", action, None)
        fieldwork.submit(db, attempt)
        db.commit()
        return attempt.id


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_override_criteria_read_whole_and_change_opens_the_form_on_a_portrait_tablet(
        examiner_page: Callable[..., Any], live_server: LiveServer, locale: str) -> None:
    attempt = submitted_exam(live_server, locale)
    page = examiner_page({"width": 768, "height": 1024}, locale)
    page.goto(f"/review/attempts/{attempt}")
    form = page.locator("[data-test=override-form]")
    assert form.locator("select[name=criterion]").count() == 0
    rows = form.locator("[data-test=override-criterion]")
    assert rows.count() > 5 and page.evaluate(CLIPPED) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    form.scroll_into_view_if_needed()
    form.screenshot(path=str(ARTIFACTS / f"review-override-list-768-{locale}.png"))
    # "Change" beside the score of the criterion that cost the most, by the keyboard
    change = page.locator("[data-test=review-scores] [data-test=override-here]").first
    row = page.locator("[data-test=review-scores] tbody tr").first
    name = (row.get_attribute("data-test") or "").removeprefix("criterion-")
    change.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"?criterion={name}#override-form")
    chosen = form.locator("input[type=radio]:checked")
    assert chosen.count() == 1 and chosen.get_attribute("value") == name
    assert form.locator("[data-test=other-criteria]").get_attribute("open") is None
    assert page.evaluate(CLIPPED) == []
    page.screenshot(path=str(ARTIFACTS / f"review-override-chosen-768-{locale}.png"))
    # another criterion from the folded list, by the keyboard too
    form.locator("[data-test=other-criteria] summary").focus()
    page.keyboard.press("Enter")
    other = form.locator("[data-test=other-criteria] input[type=radio]").first
    other_name = other.get_attribute("value")
    other.focus()
    page.keyboard.press("Space")
    assert form.locator("input[type=radio]:checked").get_attribute("value") == other_name
    form.locator("[data-test=other-criteria] summary").click()  # folded again
    form.locator(f"input[value={name}]").check()
    form.locator("input[name=score]").fill("40")
    form.locator("textarea[name=reason]").fill("复核录音后修改。")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    changed = page.locator(f"[data-test=criterion-{name}] [data-test=counted]")
    assert "40" in changed.inner_text() and changed.locator(".tag").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"review-override-done-768-{locale}.png"),
                    full_page=False)
    record = page.locator("[data-test=review-record]")
    record.scroll_into_view_if_needed()
    record.screenshot(path=str(ARTIFACTS / f"review-record-768-{locale}.png"))
    colon = "：" if locale.startswith("zh") else ": "
    assert colon in record.locator("li").last.inner_text()
    # tags (关键项, 考官已修改) stay on one line: a tag's box is one line of its text high
    broken = page.evaluate("""() => [...document.querySelectorAll('.tag')].filter(tag => {
      const lines = tag.getClientRects().length;
      return lines > 1 || tag.getBoundingClientRect().height >
             1.6 * parseFloat(getComputedStyle(tag).lineHeight || '16');
    }).map(tag => tag.textContent)""")
    assert page.locator(".tag").count() > 0 and broken == []
