"""The map editor's snapping, zoom and pan (issue 6: "snap to vertices, zoom and pan"): a route
corner clicked a few pixels off a building's corner lands on that corner, and the map zooms
with its control and pans by dragging, the drawing kept where it was on the ground."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_attempt_map_export import attempt_of_my_own
from tests.browser.test_login_roles import log_in
from tests.browser.test_maps import on_screen, saved, wait_saved

pytestmark = pytest.mark.browser
PASSWORD = "Map-snap-2020"


def middle(page: Any) -> list[float]:
    """The map's centre on the ground (x east, y north)."""
    return list(page.evaluate("(() => { const c = MapEditor.map.getCenter();"
                              " return [c.lng, c.lat]; })()"))


def zoom(page: Any) -> float:
    return float(page.evaluate("MapEditor.map.getZoom()"))


def test_corners_snap_and_the_map_zooms_and_pans(browser_page: BrowserPage,
                                                 live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    attempt_id = attempt_of_my_own(live_server, "snap", PASSWORD)
    log_in(bp, "snaptrainee", PASSWORD)
    page.goto(f"/training/attempts/{attempt_id}/map")
    expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
    field_url = page.locator("#map-editor").get_attribute("data-field-url")
    field = page.request.get(field_url).json()

    # Route corners clicked 6 px off two building corners snap onto them.
    page.locator(".map-toolbar").evaluate("element => element.scrollIntoView()")
    box = page.locator("#map-editor").bounding_box()
    assert box is not None
    corners = []
    for ring in field["buildings"]:
        x, y = ring[0]
        left, top = on_screen(page, x, y)
        if box["x"] + 20 < left < box["x"] + box["width"] - 20 and \
                box["y"] + 20 < top < min(box["y"] + box["height"], 740):
            corners.append((x, y))
        if len(corners) == 2:
            break
    assert len(corners) == 2, "two building corners in view"
    page.locator("[data-tool=route]").click()
    for x, y in [*corners, corners[-1]]:
        left, top = on_screen(page, x, y)
        page.mouse.click(left + 6, top - 5)
    wait_saved(page)
    [route] = [f for f in saved(page)["drawing"]["features"]
               if f["properties"]["kind"] == "route"]
    points = route["geometry"]["coordinates"]
    assert [tuple(round(v, 1) for v in point) for point in points[:2]] == [
        tuple(round(v, 1) for v in corner) for corner in corners]

    # Pan by dragging the empty map, then zoom in with the control.
    centre = middle(page)
    page.locator(".map-toolbar").evaluate("element => element.scrollIntoView()")
    box = page.locator("#map-editor").bounding_box()
    assert box is not None
    start = (box["x"] + box["width"] * 0.8, box["y"] + 40)  # on the screen, off the shapes
    page.mouse.move(*start)
    page.mouse.down()
    for step in range(1, 21):  # a hand's drag: small moves
        page.mouse.move(start[0] - 3 * step, start[1] - 2 * step)
    page.mouse.up()
    moved = middle(page)
    assert moved[0] > centre[0] and moved[1] < centre[1]  # dragged left and up: east and south
    before = zoom(page)
    page.locator(".leaflet-control-zoom-in").click()
    expect(page.locator(".leaflet-control-zoom-in")).to_be_enabled()
    page.wait_for_timeout(400)  # the zoom animation ends (not asserted on)
    assert zoom(page) > before
    assert len(saved(page)["drawing"]["features"]) == 1  # moving the view changed nothing
    bp.screenshot("map-snapped-route-zoomed-panned")
    bp.assert_no_errors()
