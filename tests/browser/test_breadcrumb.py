"""The examiner's breadcrumbs in Chinese (an attempt's review, a trainee's progress): the nav
is named in Chinese for a screen reader, and still looks as Pico draws a breadcrumb, items on
one line with ">" between them, though Pico styles only the English `aria-label=breadcrumb`.
The page's own trail is compared, style by style, with a copy of it labelled as Pico wants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, VIEWPORT

pytestmark = pytest.mark.browser

# The computed look of a trail's items, their links and their separators (::after).
LOOK = """nav => [...nav.querySelectorAll('li')].map(li => {
  const own = getComputedStyle(li), after = getComputedStyle(li, '::after');
  const link = li.querySelector('a');
  return {
    display: own.display, marginInlineStart: own.marginInlineStart, padding: own.padding,
    after: [after.content, after.display, after.position, after.width, after.margin,
            after.color, after.textAlign],
    link: link ? [getComputedStyle(link).margin, getComputedStyle(link).padding] : null,
    top: Math.round(li.getBoundingClientRect().top),
  };
})"""

# The same trail labelled as Pico's stylesheet selects breadcrumbs, without the class.
PICO_COPY = """nav => {
  const copy = nav.cloneNode(true);
  copy.removeAttribute('class');
  copy.setAttribute('aria-label', 'breadcrumb');
  copy.id = 'pico-breadcrumb';
  nav.after(copy);
}"""


def _check_trail(page: Any, name: str) -> None:
    nav = page.locator("main nav.breadcrumb")
    assert nav.count() == 1, name
    label = nav.get_attribute("aria-label")
    assert label == "导航路径", (name, label)  # the catalogue's word for the worlds' trails too
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"breadcrumb-{name}.png"))
    ours = nav.evaluate(LOOK)
    assert nav.evaluate("nav => getComputedStyle(nav).display") == "flex", name
    assert len(ours) == 2 and len({item["top"] for item in ours}) == 1, (name, ours)
    assert ours[0]["after"][0] == '">"' and ours[-1]["after"][0] == "none", (name, ours)
    nav.evaluate(PICO_COPY)
    pico = page.locator("#pico-breadcrumb").evaluate(LOOK)
    top = pico[0]["top"]
    assert [dict(item, top=0) for item in ours] == [dict(item, top=0) for item in pico], name
    assert {item["top"] for item in pico} == {top}, name


def test_chinese_breadcrumbs_are_named_in_chinese_and_keep_picos_look(
        examiner_page: Callable[..., Any]) -> None:
    page = examiner_page(VIEWPORT, "zh-CN")
    page.goto("/review?status=all")
    with page.expect_navigation():
        page.locator("[data-test=review-queue] tbody tr a[href*='/review/attempts/']").first.click()
    _check_trail(page, "attempt")
    page.goto("/review")
    with page.expect_navigation():
        page.locator("main p a[href*='/dashboard']").first.click()
    with page.expect_navigation():
        page.locator("[data-test=trainee-progress-link]").first.click()
    _check_trail(page, "progress")
