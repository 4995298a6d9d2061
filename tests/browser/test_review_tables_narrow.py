"""The examiner's tables on a portrait tablet (768x1024, English): a table wider than its box
is always inside a `.table-wrap` (it scrolls sideways there, and the frame carries the cue
that it does), and no page is wider than the screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 768, "height": 1024}

# Every table (the ones in closed <details> opened first) wider than its box and not inside a
# scrolling .table-wrap: what the screen would cut off with nothing to say so.
CUT_OFF = """() => {
  for (const details of document.querySelectorAll('main details')) details.open = true;
  return [...document.querySelectorAll('main table')]
    .filter(table => table.getClientRects().length)
    .filter(table => {
      const wrap = table.closest('.table-wrap');
      if (wrap) return getComputedStyle(wrap).overflowX !== 'auto';
      return table.scrollWidth > table.parentElement.clientWidth + 1;
    })
    .map(table => table.dataset.test || table.closest('[data-test]')?.dataset.test
                  || table.parentElement.tagName);
}"""


def _check(page: Any, name: str) -> None:
    cut = page.evaluate(CUT_OFF)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"narrow-{name}.png"), full_page=True)
    assert cut == [], f"{name}: tables cut off with no cue that they scroll: {cut}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PORTRAIT["width"], name


def test_review_tables_scroll_in_their_frame_on_a_portrait_tablet(
        examiner_page: Callable[..., Any]) -> None:
    page = examiner_page(PORTRAIT, "en-US")
    page.goto("/review?status=all")
    _check(page, "queue")
    attempt = page.locator("[data-test=review-queue] tbody tr a[href*='/review/attempts/']")
    with page.expect_navigation():
        attempt.last.click()
    _check(page, "attempt")
    page.goto("/review")
    with page.expect_navigation():
        page.locator("main p a[href*='/dashboard']").first.click()
    dashboard = page.url
    _check(page, "dashboard")
    # the heatmap's cells keep their colours inside the scrolling frame (its cells are made
    # transparent for the frame's edge shadows, below any class that colours a cell)
    colours = page.locator("td[class^='heat-']:not(.heat-none)").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c).backgroundColor)")
    assert colours and "rgba(0, 0, 0, 0)" not in colours, colours
    with page.expect_navigation():
        page.locator("[data-test=agreement-link]").click()
    _check(page, "agreement")
    page.goto(dashboard)
    with page.expect_navigation():
        page.locator("[data-test=trainee-progress-link]").first.click()
    _check(page, "progress")
