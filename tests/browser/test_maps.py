"""A trainee draws the demo area's map on a tablet: the boundary with Geoman by clicks, two
buildings marked and numbered, the title block; reloads and finds it intact; undoes and
redoes; submits and sees the graded overlay."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.test_login_roles import PASSWORDS, log_in
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


def tap(page: Any, x: float, y: float) -> None:
    page.mouse.click(*to_screen(page, x, y))


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

    with page.expect_navigation():
        page.locator("[data-test=submit-map]").click()
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    expect(page.locator("[data-test=map-result] h2")).to_contain_text("Result")
    overlay = page.locator("[data-test=overlay]")
    expect(overlay).to_be_visible()
    page.wait_for_function("document.querySelector('[data-test=overlay]').naturalWidth > 0")
    assert page.locator("[data-test^=criterion-]").count() == 5
    bp.screenshot("maps-result")
    bp.assert_no_errors()
