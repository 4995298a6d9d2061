"""The staff's header on a 1024 px landscape tablet, in Chinese and English: trainers,
examiners and admins have more pages than fit beside the brand and the tools, so the header
takes two rows of its own (the brand and the tools, the tools at the right; then every page),
as a trainee's does in portrait. Left to wrap, it put the tools alone at the left of a second
row, below the pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORDS, LiveServer, logged_in_page
from tests.browser.test_trainee_tablet import HEADER

pytestmark = pytest.mark.browser
HOMES = {"trainer": "/scenarios", "examiner": "/review", "admin": "/admin/users"}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("username", sorted(HOMES))
def test_the_staff_header_takes_two_rows_of_its_own(browser: Any, live_server: LiveServer,
                                                    username: str, locale: str) -> None:
    with logged_in_page(browser, live_server, username, DEMO_PASSWORDS[username],
                        viewport={"width": 1024, "height": 768}, locale=locale,
                        has_touch=True) as page:
        page.goto(HOMES[username])
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(".site-header").screenshot(
            path=str(ARTIFACTS / f"staff-header-{username}-{locale}.png"))
        header = page.evaluate(HEADER)
        brand, links, tools = header["brand"], header["links"], header["tools"]
        assert header["right"] <= 1024 and not header["clipped"]
        assert tools["top"] == brand["top"]  # the tools beside the brand, at the right
        assert tools["right"] >= 1024 - 48
        assert links["top"] >= max(brand["bottom"], tools["bottom"]) - 1  # the pages below
        assert links["left"] <= brand["left"] + 16
        # every page on that one row
        tops = page.evaluate("[...document.querySelectorAll('.nav-links > li')]"
                             ".map(li => Math.round(li.getBoundingClientRect().top))")
        assert len(tops) >= 4 and len(set(tops)) == 1, tops
