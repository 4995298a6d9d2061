"""Staff pages on a touch tablet (1024x768, Chinese): every visible button, tab, details'
summary and link (but a map's) is at least 44 px tall, and every checkbox 24 px each way, as on
the trainee's pages (an exploratory walk measured the editor's tabs at 32 px, the playtest's
actions and a cohort's Remove buttons at 24, a review's Change links at 16)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORDS, LiveServer, logged_in_page

pytestmark = pytest.mark.browser
FINGER = 44

# The visible controls of the page's main part shorter than `least`, as "tag text: height".
SHORT = """least => [...document.querySelectorAll(
    'main :is(button, [role=button], [role=tab], details > summary, a[href]:not(svg *))')]
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([, box]) => box.width > 0 && box.height < least)
  .map(([el, box]) => `${el.tagName} ${el.innerText.trim().slice(0, 30)}: ${box.height}`)"""
SMALL_BOXES = """() => [
  ...document.querySelectorAll('main input:is([type=checkbox], [type=radio])')]
  .map(el => el.getBoundingClientRect()).filter(box => box.width > 0)
  .filter(box => box.width < 24 || box.height < 24).map(box => `${box.width}x${box.height}`)"""


def _first_link(page: Any, prefix: str) -> str:
    href = page.locator(f'main a[href^="{prefix}"]').first.get_attribute("href")
    assert href, f"no link to {prefix}"
    return href


def _walk(page: Any, username: str, paths: list[str]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(paths):
        page.goto(path)
        page.wait_for_load_state("domcontentloaded")
        page.screenshot(path=str(ARTIFACTS / f"staff-touch-{username}-{index}.png"))
        assert page.evaluate(SHORT, FINGER) == [], path
        assert page.evaluate(SMALL_BOXES) == [], path


@pytest.mark.parametrize("username", ["trainer", "examiner", "admin"])
def test_staff_controls_are_finger_sized(browser: Any, live_server: LiveServer,
                                         username: str) -> None:
    with logged_in_page(browser, live_server, username, DEMO_PASSWORDS[username],
                        viewport={"width": 1024, "height": 768}, locale="zh-CN",
                        has_touch=True) as page:
        if username == "trainer":
            page.goto("/cohorts")
            cohort = _first_link(page, "/cohorts/")
            _walk(page, username, ["/scenarios", "/scenarios/cooperative-family", "/cohorts",
                                   cohort, "/worlds"])
        elif username == "examiner":
            page.goto("/review")
            attempt = _first_link(page, "/review/attempts/")
            _walk(page, username, ["/review", attempt, "/certification"])
        else:
            page.goto("/admin/users")
            user = _first_link(page, "/admin/users/")
            _walk(page, username, ["/admin/users", user, "/cohorts", "/admin/audit",
                                   "/account/api-tokens"])
