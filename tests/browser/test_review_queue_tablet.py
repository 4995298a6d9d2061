"""The review queue on a tablet, portrait (768 px) and landscape (1024 px), in English and
Chinese: the Status column stays on the screen (the queue fits its frame, nothing to scroll to),
no filter's select cuts off the text of any of its options, and a status or flag in Chinese is
never broken between two characters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

# The Status header's box, the queue's frame's visible box and how far the frame can scroll.
STATUS_HEADER = """() => {
  const table = document.querySelector('[data-test=review-queue]');
  const th = [...table.querySelectorAll('thead th')].at(-1);
  const frame = table.closest('.table-wrap');
  const box = th.getBoundingClientRect(), view = frame.getBoundingClientRect();
  return {left: box.left, right: box.right, frameRight: view.right,
          hidden: frame.scrollWidth - frame.clientWidth, window: window.innerWidth};
}"""

# For each filter's select, the options whose text is wider than the room the select gives it
# (its inner width less the padding, where pico draws the arrow). A select's scrollWidth says
# nothing here: it equals clientWidth however much of its text is cut off.
CLIPPED_OPTIONS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const clipped = [];
  for (const select of document.querySelectorAll('form.filters select')) {
    const style = getComputedStyle(select);
    ctx.font = style.font;
    const room = select.clientWidth - parseFloat(style.paddingLeft)
                 - parseFloat(style.paddingRight);
    for (const option of select.options) {
      const width = ctx.measureText(option.text).width;
      if (width > room) clipped.push(`${select.name}: "${option.text}" ${width} > ${room}`);
    }
  }
  return clipped;
}"""

# Flags and Status cells (the last two) whose text breaks onto a new line between two Chinese
# characters.
BROKEN_PHRASES = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll(
      '[data-test=review-queue] tbody td:nth-last-child(-n+2)')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 1; i < node.data.length; i++) {
        if (!/[\\u3400-\\u9fff]{2}/.test(node.data.slice(i - 1, i + 1))) continue;
        const tops = [i - 1, i].map(at => {
          const range = document.createRange();
          range.setStart(node, at); range.setEnd(node, at + 1);
          return Math.round(range.getBoundingClientRect().top);
        });
        if (tops[1] > tops[0] + 2) broken.push(node.data.trim());
      }
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("width", [768, 1024])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_queue_status_and_filters_fit_a_tablet(examiner_page: Callable[..., Any],
                                               locale: str, width: int) -> None:
    page = examiner_page({"width": width, "height": 1024}, locale)
    page.goto("/review?status=all")
    assert page.locator("[data-test=review-queue] tbody tr").count() >= 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"queue-tablet-{width}-{locale}.png"), full_page=True)
    status = page.evaluate(STATUS_HEADER)
    assert status["hidden"] <= 0, f"the queue scrolls sideways in its frame: {status}"
    assert status["left"] >= 0, status
    assert status["right"] <= min(status["frameRight"], status["window"]), status
    assert page.evaluate(CLIPPED_OPTIONS) == []
    assert page.evaluate(BROKEN_PHRASES) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
