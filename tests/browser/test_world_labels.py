"""A trainer reading the demo world in Chinese: the maps' tooltips name the buildings in
Chinese, and the truth tables' item codes carry their names without widening the tables on
a tablet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in, switch_language
from trainer.worlds.demo import DEMO_WORLD

pytestmark = pytest.mark.browser

BUILDING_WORDS = {"多层住宅楼", "高层住宅楼", "农村住房", "集体宿舍", "工棚", "养老机构"}
# The tooltips of the map's shapes, as the browser shows them on hover.
TITLES = """() => [...document.querySelectorAll('.map-frame svg > :not(title)')]
  .map(shape => shape.querySelector(':scope > title'))
  .filter(Boolean).map(title => [title.parentElement.tagName, title.textContent])"""
# How much wider the tables are with their headers' item names than with the codes alone.
WIDENED = """() => [...document.querySelectorAll('table.truth')].map(table => {
  const wide = table.getBoundingClientRect().width;
  const names = [...table.querySelectorAll('thead small, thead br')];
  names.forEach(el => { el.style.display = 'none'; });
  const bare = table.getBoundingClientRect().width;
  names.forEach(el => { el.style.display = ''; });
  return [wide, bare];
})"""


def test_a_chinese_grid_map_names_its_buildings_in_chinese(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainer", PASSWORDS["trainer"])
    switch_language(bp, "zh_CN")
    try:
        page.goto("/worlds")
        with page.expect_navigation():
            page.get_by_role("link", name=DEMO_WORLD).click()
        world_url = page.url
        seen: set[str] = set()
        for index in range(6):  # the demo world's grids
            page.goto(f"{world_url}/grids/{index}")
            expect(page.locator(".map-frame svg")).to_be_visible()
            titles = page.evaluate(TITLES)
            buildings = [text for tag, text in titles if tag == "polygon"
                         and re.fullmatch(r".+ · \d+ 个住房单元", text)]
            assert buildings, index
            assert not [text for _tag, text in titles if re.search(r"[a-z]{3,}", text)]
            seen |= {text.split(" · ")[0] for text in buildings}
            if index == 0:
                bp.screenshot("world-grid-map-zh")
        assert seen <= BUILDING_WORDS and {"多层住宅楼", "高层住宅楼"} <= seen, seen

        page.goto(f"{world_url}/grids/0/areas/001")
        expect(page.locator("table.truth thead")).to_contain_text("外出人数")
        household = page.locator("table.truth a[href*='/households/']").first
        with page.expect_navigation():
            household.click()
        expect(page.locator("table.truth thead th").nth(1)).to_have_text("D2与户主关系")
        household_url = page.url
        # Long Chinese names break between their words only (th keeps a phrase whole): the
        # names add little to the width of a table that scrolls at 768 px already; English
        # adds the width of its longest words ("ethnicity" over a column of 汉族).
        page.set_viewport_size({"width": 768, "height": 1024})
        for locale, most in (("zh_CN", 1.10), ("en", 1.15)):
            if locale == "en":
                switch_language(bp, "en")
            for url in (f"{world_url}/grids/0/areas/001", household_url):
                page.goto(url)
                for wide, bare in page.evaluate(WIDENED):
                    assert wide <= bare * most, (locale, url, wide, bare)
            bp.screenshot(f"world-household-768-{locale}")
    finally:
        page.set_viewport_size({"width": 1024, "height": 768})
        if page.locator("select#lang-select").input_value() != "en":
            switch_language(bp, "en")
    bp.assert_no_errors()

