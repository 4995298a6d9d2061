"""Table headers at a tablet's 1024 px, in English and Chinese: the review queue, the review of
the demo exam and the cohort dashboard never break a header inside a word (a Chinese phrase
included), keep their short column headers on one line, and never make the page wider than
the screen; the queue's filters sit under their labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, VIEWPORT

pytestmark = pytest.mark.browser

# Headers whose text is split between two lines where no break belongs: between two letters or
# digits with no space between them, or between two Chinese characters.
BROKEN_HEADERS = """() => {
  const word = c => /[A-Za-z0-9\\u3400-\\u9fff]/.test(c);
  const broken = [];
  for (const th of document.querySelectorAll('th')) {
    if (!th.getClientRects().length) continue;
    const chars = [];
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.data.length; i++) {
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        chars.push([node.data[i], rect && rect.width > 0 ? Math.round(rect.top) : null]);
      }
    }
    for (let i = 1; i < chars.length; i++) {
      const [before, top0] = chars[i - 1], [after, top1] = chars[i];
      if (top0 !== null && top1 !== null && top1 > top0 + 2 && word(before) && word(after)) {
        broken.push(th.innerText); break;
      }
    }
  }
  return broken;
}"""

# The short column headers of the data tables taller than one line of text.
SHORT_HEADERS = ", ".join(f"[data-test={table}] thead th" for table in (
    "review-queue", "review-scores", "grades", "items", "nodes", "findings"))
WRAPPED_SHORT_HEADERS = """selector => [...document.querySelectorAll(selector)]
  .filter(th => th.getClientRects().length)
  .filter(th => {
    const range = document.createRange();
    range.selectNodeContents(th);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                          .map(r => Math.round(r.top)));
    return tops.size > 1;
  }).map(th => th.innerText)"""


def _check(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"headers-{name}.png"), full_page=True)
    assert page.evaluate(BROKEN_HEADERS) == [], f"{name}: a header broken inside a word"
    assert page.evaluate(WRAPPED_SHORT_HEADERS, SHORT_HEADERS) == [], f"{name}: a header wraps"
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"], name


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_review_and_dashboard_headers_fit_a_tablet(examiner_page: Callable[..., Any],
                                                  locale: str) -> None:
    page = examiner_page(VIEWPORT, locale)
    page.goto("/review?status=all")
    _check(page, f"queue-{locale}")
    for name in ("status", "flag"):  # each filter's select under its label, not over it
        label = page.locator(f"form.filters label:has(select[name={name}])")
        text_box = label.evaluate("""label => { const range = document.createRange();
            range.selectNodeContents(label.firstChild); return range.getBoundingClientRect(); }""")
        select_box = label.locator("select").bounding_box()
        assert select_box is not None and select_box["y"] >= text_box["bottom"] - 1, name
    attempt = page.locator("[data-test=review-queue] tbody tr a[href*='/review/attempts/']")
    with page.expect_navigation():
        attempt.last.click()
    _check(page, f"attempt-{locale}")
    page.goto("/review")
    with page.expect_navigation():
        page.locator("main p a[href*='/dashboard']").first.click()
    assert page.locator("[data-test=heatmap]").count() == 1
    _check(page, f"dashboard-{locale}")
