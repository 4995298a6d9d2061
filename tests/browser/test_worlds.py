"""A trainer generates a world and looks through its grids, areas and households."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in, log_out, switch_language
from trainer.worlds.demo import CITY_DEMO_WORLD, DEMO_WORLD

pytestmark = pytest.mark.browser


def test_trainer_generates_and_browses_a_world(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainer", PASSWORDS["trainer"])
    with page.expect_navigation():
        page.locator("[data-nav=worlds]").click()
    expect(page.locator("main h1")).to_have_text("Worlds")
    with page.expect_navigation():
        page.get_by_role("button", name="New world").click()

    page.locator("#name").fill("Browser world")
    page.locator("#grids").fill("2")
    page.locator("#seed").fill("4242")
    page.locator("details summary").click()
    expect(page.locator("#rates-vacant_units")).to_have_value("10.000")
    bp.screenshot("world-new-form")
    with page.expect_navigation():
        page.get_by_role("button", name="Generate the world").click()

    expect(page.locator(".flash-success")).to_have_text(
        "The world has been made; its figures are being counted.")
    expect(page.locator("main h1")).to_have_text("Browser world")
    expect(page.locator("main")).to_contain_text("4242")
    expect(page.locator("main")).to_contain_text("Figures beside the 2020 census")
    bp.screenshot("world-overview")

    with page.expect_navigation():
        page.locator("main table a[href*='/grids/0']").first.click()
    expect(page.locator(".map-frame svg")).to_be_visible()
    areas = page.locator("a[href*='/areas/']")
    assert areas.count() >= 3
    # blocks of flats of more than one stairwell (单元) are drawn with lines between them
    assert page.locator(".map-frame svg polyline.stairwell").count() >= 1
    bp.screenshot("world-grid-map")

    with page.expect_navigation():
        areas.first.click()
    expect(page.locator("main h1")).to_contain_text("普查小区")
    expect(page.locator(".map-frame svg polygon[data-area='001'][fill-opacity]")).to_have_count(1)
    households = page.locator("table.truth a[href*='/households/']")
    assert households.count() >= 20
    # each flat's door: its stairwell and room number (2单元502室)
    expect(page.locator("table.truth")).to_contain_text(re.compile(r"stairwell \d+, flat \d{3,4}"))
    bp.screenshot("world-area-households")

    # the grid's last area lies at the far end of the grid: its page's map shows it, in view
    page.go_back()
    last_code = (areas.last.get_attribute("href") or "").rsplit("/", 1)[-1]
    with page.expect_navigation():
        areas.last.click()
    highlighted = page.locator(f".map-frame svg polygon[data-area='{last_code}'][fill-opacity]")
    expect(highlighted).to_have_count(1)
    frame, shape = page.locator(".map-frame").bounding_box(), highlighted.bounding_box()
    assert frame and shape
    assert frame["y"] <= shape["y"] and shape["y"] + shape["height"] <= frame["y"] + frame[
        "height"] + 1, (frame, shape)  # wholly in the frame, not scrolled out of sight
    assert shape["width"] >= 0.4 * frame["width"], (frame, shape)  # not a speck in the grid
    bp.screenshot("world-area-focused")
    households = page.locator("table.truth a[href*='/households/']")

    with page.expect_navigation():
        households.first.click()
    expect(page.locator("main h1")).to_contain_text("Household")
    id_cell = page.locator("table.truth tbody tr").first.locator("td").nth(2)
    expect(id_cell).to_have_text(re.compile(r"^(\d{17}[\dX]|0{18}|[A-Z]\d+)$"))
    bp.screenshot("world-household-truth")
    # on a tablet held upright the persons table is wider than its frame: it scrolls, and a
    # shadow at its right edge says so (touch screens show no scrollbar)
    page.set_viewport_size({"width": 768, "height": 1024})
    wrap = page.locator(".table-wrap").filter(has=page.locator("table.truth")).first
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
    assert wrap.evaluate("w => getComputedStyle(w).backgroundImage").count("radial-gradient") == 2
    bp.screenshot("world-household-truth-768")
    log_out(bp)
    bp.assert_no_errors()


def test_world_form_shows_errors_on_the_field(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainer", PASSWORDS["trainer"])
    page.goto("/worlds/new")
    page.locator("#name").fill("Broken world")
    page.locator("#region").fill("999999")
    bp.expect_status("/worlds/new", 400)
    with page.expect_navigation():
        page.get_by_role("button", name="Generate the world").click()
    expect(page.locator("#region-error")).to_have_text(
        "999999 is not a county-level or prefecture region code.")
    expect(page.locator("#name")).to_have_value("Broken world")  # what was typed is kept
    bp.screenshot("world-form-error")
    bp.assert_no_errors()


def test_a_world_of_all_yueyang_lists_its_nine_counties(browser_page: BrowserPage) -> None:
    """The demo world of all of Yueyang: the city named, its nine counties with their town
    and country grids, each grid with its county; in Chinese too."""
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainer", PASSWORDS["trainer"])
    page.goto("/worlds")
    with page.expect_navigation():
        page.get_by_role("link", name=CITY_DEMO_WORLD).click()
    expect(page.locator("main .facts")).to_contain_text("湖南省岳阳市 (430600)")
    counties = page.locator("[data-test=counties] tbody tr")
    expect(counties).to_have_count(9)
    expect(counties.first).to_contain_text("岳阳楼区")
    expect(page.locator("#grids-heading")).to_be_visible()
    grid_counties = page.locator("section[aria-labelledby=grids-heading] tbody tr td:nth-child(3)")
    assert len(set(grid_counties.all_inner_texts())) >= 5  # the grids lie in several counties
    bp.screenshot("world-city-counties")
    with page.expect_navigation():
        page.locator("[data-test=county-link]", has_text="平江县").click()
    expect(page.locator("#grids-heading")).to_have_text("Grids of 平江县")
    expect(page.locator("[data-test=county-filter]")).to_contain_text("Grids in 平江县")
    assert set(grid_counties.all_inner_texts()) == {"平江县"}
    bp.screenshot("world-city-one-county")
    switch_language(bp, "zh_CN")
    expect(page.locator("#counties-heading")).to_have_text("县市区")
    expect(page.locator("#grids-heading")).to_have_text("平江县的网格")
    bp.screenshot("world-city-counties-zh")
    switch_language(bp, "en")
    log_out(bp)
    bp.assert_no_errors()


def test_trainer_opens_the_overview_map_and_a_grid_from_it(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainer", PASSWORDS["trainer"])
    page.goto("/worlds")
    with page.expect_navigation():
        page.get_by_role("link", name=DEMO_WORLD).click()
    with page.expect_navigation():
        page.locator("[data-test=overview-link]").click()
    expect(page.locator("main h1")).to_have_text("Overview map")
    svg = page.locator("svg[data-test=overview-map]")
    expect(svg).to_be_visible()
    expect(svg.locator("g.tile")).to_have_count(6)  # the demo world's six grids
    expect(svg.locator("a.area-link").first).to_have_attribute("href", re.compile("/areas/001$"))
    box = svg.locator("g.tile").first.bounding_box()
    assert box is not None and box["width"] >= 60 and box["height"] >= 60  # no speck on a tablet
    bp.screenshot("world-overview-map")

    tile = svg.locator("g.tile[data-grid='1']")
    label = tile.locator("a.grid-link").get_attribute("aria-label") or ""
    grid_name = label.split(" (")[0]
    with page.expect_navigation():
        tile.locator("a.grid-link").click()
    expect(page).to_have_url(re.compile(r"/worlds/\d+/grids/1$"))
    expect(page.locator("main h1")).to_contain_text(grid_name)
    expect(page.locator(".map-frame svg")).to_be_visible()

    page.go_back()
    with page.expect_navigation():
        svg.locator("g.tile[data-grid='0'] a.area-link[data-area='002']").click()
    expect(page).to_have_url(re.compile(r"/worlds/\d+/grids/0/areas/002$"))
    expect(page.locator("main h1")).to_contain_text("第二普查小区")

    page.go_back()
    switch_language(bp, "zh_CN")
    expect(page.locator("main h1")).to_have_text("总览图")
    expect(svg.locator("text", has_text="城镇网格")).to_have_count(1)
    bp.screenshot("world-overview-map-zh")
    switch_language(bp, "en")
    log_out(bp)
    bp.assert_no_errors()


def test_a_world_is_counted_in_the_background_and_its_page_follows(
        browser_page: BrowserPage, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The count's job is held, then reported and run from here: the page shows the
    progress as the job reports it (polled) and reloads by itself when the count ends."""
    from trainer import tasks
    from trainer.extensions import DB_KEY
    from trainer.worlds import services

    held: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks, "count_world", lambda world_id, run: held.append((world_id, run)))
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainer", PASSWORDS["trainer"])
    switch_language(bp, "zh_CN")
    page.goto("/worlds/new")
    page.locator("#name").fill("后台统计的世界")
    page.locator("#grids").fill("12")
    page.locator("#seed").fill("77")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    expect(page.locator(".flash-success")).to_have_text("模拟世界已建立，正在统计其各项指标。")
    count = page.locator("[data-test=world-count]")
    expect(count).to_contain_text("正在统计本世界")
    expect(count.locator("[data-test=count-progress]")).to_have_text("已统计 0 / 12 个网格")
    world_id = int(page.url.rstrip("/").split("/")[-1])
    assert held == [(world_id, 1)]
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        services.claim_count(db, world_id, 1)  # what the job does as it goes
        services.touch_count(db, world_id, 1, 5)
        db.commit()
    expect(count.locator("[data-test=count-progress]")).to_have_text("已统计 5 / 12 个网格",
                                                                       timeout=6000)
    expect(count.locator("progress")).to_have_attribute("value", "5")
    bp.screenshot("world-counting-zh")
    page.goto("/worlds")
    expect(page.locator("[data-test=counting]")).to_have_text("统计中：5 / 12 个网格")
    page.go_back()

    with app.app_context():
        tasks.count_world_job(world_id, 1)  # the job runs: the page reloads by itself
    expect(page.locator("[data-test=world-count]")).to_have_count(0, timeout=6000)
    expect(page.locator("main")).to_contain_text("与 2020 年普查数据对照")
    expect(page.locator("main table tbody tr.ok").first).to_be_visible()
    bp.screenshot("world-counted-zh")
    bp.assert_no_errors()
