"""A trainee draws the demo area's map on a tablet: the boundary with Geoman by clicks (an
edit undone), two buildings marked and numbered, route, label, north arrow, legend and the
title block; reloads and finds it intact; undoes and redoes; exports SVG and PNG; submits and
sees the graded overlay, which the trainer sees too. A trainer sets a task in Chinese; a
touch-only tablet draws in Chinese."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, VIEWPORT, BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in, log_out
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

pytestmark = pytest.mark.browser


def demo_area() -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The demo world's first area (grid 1, area 1): its outline and its buildings' centres,
    in number order (what a perfect trainee would find on the ground)."""
    grid = make_grid(WorldSpec.from_dict({"region": "430602", "grids": 6}), 2020, 0)
    area = grid.areas[0]
    buildings = sorted((grid.buildings[index] for index in area.buildings),
                       key=lambda building: building.number)
    centres = []
    for building in buildings:
        ring = building.footprint
        centres.append((sum(x for x, _y in ring) / len(ring), sum(y for _x, y in ring) / len(ring)))
    return list(area.outline), centres


def to_screen(page: Any, x: float, y: float) -> tuple[float, float]:
    """Page pixels of a point of the map (metres, x east, y north)."""
    point = page.evaluate("([x, y]) => { const p = MapEditor.map.latLngToContainerPoint([y, x]);"
                          " return [p.x, p.y]; }", [x, y])
    box = page.locator("#map-editor").bounding_box()
    return box["x"] + point[0], box["y"] + point[1]


def on_screen(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where a point of the map is on the screen, the toolbar and map scrolled to the top."""
    page.locator(".map-toolbar").evaluate("element => element.scrollIntoView()")
    left, top = to_screen(page, x, y)
    assert 0 <= top <= page.viewport_size["height"], "the point is off the screen"
    return left, top


def tap(page: Any, x: float, y: float) -> None:
    """Click a point of the map with the mouse."""
    page.mouse.click(*on_screen(page, x, y))


def saved(page: Any) -> dict:
    url = page.locator("#map-editor").get_attribute("data-drawing-url")
    return page.request.get(url, headers={"Accept": "application/json"}).json()


def wait_saved(page: Any) -> None:
    expect(page.locator("[data-test=save-status]")).to_contain_text("Saved at", timeout=10_000)


def test_trainee_draws_numbers_saves_reloads_and_submits(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    outline, centres = demo_area()
    log_in(bp, "trainee", PASSWORDS["trainee"])
    page.locator("[data-nav=my-maps]").click()
    expect(page.locator("main h1")).to_have_text("My maps")
    with page.expect_navigation():
        page.locator("[data-test^=open-map-]").first.click()
    expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
    expect(page.locator("[data-test=boundary-text]")).to_contain_text("north from")
    expect(page.locator("[data-test=save-status]")).to_contain_text("Nothing saved yet")
    assert page.locator(".leaflet-tooltip.field-name").count() > 5  # roads etc. are named
    bp.screenshot("maps-field-view")

    # The boundary: every corner, then the first again to close the polygon.
    page.locator("[data-tool=boundary]").click()
    for x, y in [*outline, outline[0]]:
        tap(page, x, y)
    wait_saved(page)
    expect(page.locator("[data-tool=boundary]")).to_have_attribute("aria-pressed", "false")

    # Edit: drag a corner (it is saved), then undo the move (saved again).
    page.locator("[data-tool=edit]").click()
    corner = on_screen(page, *outline[1])
    page.mouse.move(*corner)
    page.mouse.down()
    page.mouse.move(corner[0] - 40, corner[1] - 30, steps=8)
    page.mouse.up()
    page.locator("[data-tool=edit]").click()
    page.wait_for_function("!document.querySelector('[data-action=undo]').disabled")
    wait_saved(page)

    def boundary_ring() -> list:
        features = saved(page)["drawing"]["features"]
        return next(f for f in features if f["properties"]["kind"] == "boundary")[
            "geometry"]["coordinates"][0]

    moved = boundary_ring()
    assert [round(c) for c in outline[1]] not in [[round(x), round(y)] for x, y in moved]
    page.locator("[data-action=undo]").click()
    page.wait_for_timeout(800)  # the debounced save
    wait_saved(page)
    assert [round(c) for c in outline[1]] in [[round(x), round(y)] for x, y in boundary_ring()]

    # Two buildings, tapped on their footprints and numbered in the side panel.
    page.locator("[data-tool=building]").click()
    for number, (x, y) in enumerate(centres[:2], start=1):
        tap(page, x, y)
        expect(page.locator("#mark-panel")).to_be_visible()
        page.locator("#mark-number").fill(str(number))
        page.locator("#mark-apply").click()
    expect(page.locator(".map-mark-building")).to_have_count(2)
    page.locator("[data-tool=building]").click()  # leave the tool
    page.locator("#title").fill("岳阳楼区东茅街道月田社区居委会 第一普查小区")
    page.locator("#building_total").fill("4")
    page.locator("#drafter").fill("王芳")
    page.locator("#drafter").blur()
    wait_saved(page)
    bp.screenshot("maps-editor")

    drawing = saved(page)["drawing"]
    kinds = [feature["properties"]["kind"] for feature in drawing["features"]]
    assert sorted(kinds) == ["boundary", "building", "building"]
    numbers = sorted(feature["properties"]["number"] for feature in drawing["features"]
                     if feature["properties"]["kind"] == "building")
    assert numbers == [1, 2]
    assert drawing["properties"]["building_total"] == 4

    # Reload: everything is back, drawn on the map and in the title block.
    page.reload()
    expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
    expect(page.locator("[data-test=save-status]")).to_contain_text("Your saved map")
    expect(page.locator(".map-mark-building")).to_have_count(2)
    expect(page.locator(".map-mark-building").first).to_have_text("1")
    expect(page.locator("#title")).to_have_value("岳阳楼区东茅街道月田社区居委会 第一普查小区")
    assert saved(page)["drawing"]["features"] == drawing["features"]
    boundary = page.locator("path.leaflet-interactive[stroke='#b91c1c']")
    expect(boundary).to_have_count(1)

    # Undo removes the last change (after reload: nothing to undo), a new mark can be undone
    # and redone, and the save follows.
    expect(page.locator("[data-action=undo]")).to_be_disabled()
    page.locator("[data-tool=building]").click()
    tap(page, *centres[2])
    page.locator("[data-tool=building]").click()
    expect(page.locator(".map-mark-building")).to_have_count(3)
    page.locator("[data-action=undo]").click()
    expect(page.locator(".map-mark-building")).to_have_count(2)
    page.locator("[data-action=redo]").click()
    expect(page.locator(".map-mark-building")).to_have_count(3)
    page.locator("[data-action=undo]").click()
    expect(page.locator(".map-mark-building")).to_have_count(2)
    wait_saved(page)
    assert len(saved(page)["drawing"]["features"]) == 3

    # Bad input in the title block: a localised refusal, and the last good save is kept.
    bp.expect_status(page.locator("#map-editor").get_attribute("data-drawing-url"), 400)
    page.locator("#household_total").fill("-5")
    page.locator("#household_total").blur()
    expect(page.locator("[data-test=save-status]")).to_contain_text("Not saved", timeout=10_000)
    expect(page.locator("[data-error-for=household_total]")).to_be_visible()
    assert len(saved(page)["drawing"]["features"]) == 3
    page.locator("#household_total").fill("66")
    page.locator("#household_total").blur()
    wait_saved(page)

    # The route, a road's name, the north arrow and the legend.
    page.locator("[data-tool=route]").click()
    route = [(outline[0][0] + 5, outline[0][1] + 20), *centres[:2]]
    for x, y in [*route, route[-1]]:
        tap(page, x, y)
    road = page.locator("[data-tool=label]")
    page.locator("#label-kind").select_option("road")
    page.locator("#label-text").fill("康王路")
    road.click()
    tap(page, 120, -8)
    expect(page.locator(".map-label-road")).to_have_text("康王路")
    road.click()
    page.locator("[data-tool=north_arrow]").click()
    tap(page, 270, 150)
    page.locator("[data-tool=legend]").click()
    tap(page, 200, 150)
    page.locator("[data-tool=legend]").click()
    wait_saved(page)
    kinds = sorted(f["properties"]["kind"] for f in saved(page)["drawing"]["features"])
    assert kinds == ["boundary", "building", "building", "legend", "north_arrow", "road",
                     "route"]
    bp.screenshot("maps-editor-complete")

    # Print exports: the SVG from the server, the PNG painted in the browser.
    svg = page.request.get(page.locator("[data-test=export-svg]").get_attribute("href"))
    assert svg.ok and "康王路" in svg.text() and svg.headers["content-type"].startswith(
        "image/svg+xml")
    with page.expect_download() as download:
        page.locator("[data-test=export-png]").click()
    assert download.value.suggested_filename.endswith(".png")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    download.value.save_as(ARTIFACTS / "maps-export.png")
    assert (ARTIFACTS / "maps-export.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    with page.expect_navigation():
        page.locator("[data-test=submit-map]").click()
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    expect(page.locator("[data-test=map-result] h2")).to_contain_text("Result")
    overlay = page.locator("[data-test=overlay]")
    expect(overlay).to_be_visible()
    page.wait_for_function("document.querySelector('[data-test=overlay]').naturalWidth > 0")
    assert page.locator("[data-test^=criterion-]").count() == 5
    bp.screenshot("maps-result")

    # The trainer sees the submitted map among the cohort's results, for the debrief.
    log_out(bp)
    log_in(bp, "trainer", PASSWORDS["trainer"])
    page.locator("[data-nav=map-tasks]").click()
    with page.expect_navigation():
        page.locator("[data-test^=cohort-maps-]").first.click()
    with page.expect_navigation():
        page.locator("[data-test^=map-task-] a").last.click()  # the demo task, set first
    expect(page.locator("[data-test=trainee-trainee]")).to_contain_text("submitted")
    with page.expect_navigation():
        page.locator("[data-test=result-trainee]").click()
    expect(page.locator("main h1")).to_contain_text("张伟 Trainee Zhang")
    page.wait_for_function("document.querySelector('[data-test=overlay]').naturalWidth > 0")
    bp.screenshot("maps-trainer-result")
    bp.assert_no_errors()


def test_trainer_sets_a_map_task_in_chinese(browser_page: BrowserPage) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainer", PASSWORDS["trainer"])
    with page.expect_navigation():
        page.locator("#lang-select").select_option("zh_CN")
    page.locator("[data-nav=map-tasks]").click()
    expect(page.locator("main h1")).to_have_text("小区图任务")
    with page.expect_navigation():
        page.locator("[data-test^=cohort-maps-]").first.click()
    rows = page.locator("[data-test^=map-task-]")
    before = rows.count()
    assert before >= 1  # the demo task
    page.locator("#world").select_option(label="岳阳楼区 demo world（6 个网格）")
    page.locator("#grid").fill("1")
    page.locator("#area").fill("2")
    page.locator("#rule").select_option("serpentine_either_end")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_have_text("小区图任务已布置。")
    expect(rows).to_have_count(before + 1)
    expect(rows.first).to_contain_text("蛇形，按摸底顺序从任一端开始")
    bp.expect_status(urlsplit(page.url).path, 409)
    # the same area again
    page.locator("#world").select_option(label="岳阳楼区 demo world（6 个网格）")
    page.locator("#grid").fill("1")
    page.locator("#area").fill("2")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".field-error")).to_contain_text("已经是本培训班的任务")
    bp.screenshot("maps-trainer-tasks")
    page.locator("#lang-select").select_option("en")
    bp.assert_no_errors()


def test_a_tablet_draws_by_touch_in_chinese(browser: Any, live_server: Any) -> None:
    """Taps on a touch screen (no mouse): the boundary and a numbered building, in zh_CN."""
    context = browser.new_context(viewport=VIEWPORT, has_touch=True, is_mobile=True,
                                  locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    bp = BrowserPage(page=page, base_url=live_server.url)
    page.on("console", bp.record_console)
    page.on("pageerror", lambda error: bp.errors.append(f"pageerror: {error}"))
    try:
        outline, centres = demo_area()
        log_in(bp, "trainee2", PASSWORDS["trainee2"])
        page.goto("/training/maps")
        with page.expect_navigation():
            page.locator("[data-test^=open-map-]").first.tap()
        expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
        expect(page.locator("[data-test=boundary-text]")).to_contain_text("北起")
        page.locator("[data-tool=boundary]").tap()
        for x, y in [*outline, outline[0]]:
            page.touchscreen.tap(*on_screen(page, x, y))
            page.wait_for_timeout(300)  # a finger is slower than a script: not a double tap
        expect(page.locator("[data-test=save-status]")).to_contain_text("已于", timeout=10_000)
        bp.screenshot("maps-touch-boundary")
        page.locator("[data-tool=building]").tap()
        page.touchscreen.tap(*on_screen(page, *centres[0]))
        page.locator("#mark-number").fill("1")
        page.locator("#mark-apply").tap()
        page.locator("[data-tool=building]").tap()
        expect(page.locator(".map-mark-building")).to_have_text("1")
        expect(page.locator("[data-test=save-status]")).to_contain_text("已于", timeout=10_000)
        bp.screenshot("maps-editor-touch-zh")
        kinds = sorted(f["properties"]["kind"] for f in saved(page)["drawing"]["features"])
        assert kinds == ["boundary", "building"]
        bp.assert_no_errors()
    finally:
        page.close()
        context.close()
