"""Dividing a grid in a real browser: a trainer of its own sets the division of the demo
world's city grid for a cohort of its own (the demo cohort stays as the other tests know it);
the trainee sees every building's housing units, draws two areas along the world's own
division, sees their counts live, submits and reads the graded result with its overlay, which
the trainer sees too."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in, log_out
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec
from trainer.extensions import DB_KEY
from trainer.maps.demo import DIVISION_GRID
from trainer.worlds.demo import DEMO_WORLD
from trainer.worlds.models import World

pytestmark = pytest.mark.browser
PASSWORD = "Grid-division-2020"


def own_cohort(live_server: LiveServer) -> int:
    """A trainer, a trainee and a cohort of their own; the cohort's id."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="divtrainer",
                                       full_name="划分培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="divtrainee",
                                       full_name="划分学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="网格划分班", trainer=trainer)
        cohort.trainees = [trainee]
        assert db.scalar(select(World).where(World.name == DEMO_WORLD)) is not None
        db.commit()
        return cohort.id


def demo_grid() -> Any:
    """The demo world's grid of the division (what the trainee walks)."""
    return make_grid(WorldSpec.from_dict({"region": "430602", "grids": 6}), 2020, DIVISION_GRID)


def on_screen(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where a point of the map (metres, x east, y north) is on the screen."""
    page.locator(".map-toolbar").evaluate("element => element.scrollIntoView()")
    point = page.evaluate("([x, y]) => { const p = DivisionEditor.map.latLngToContainerPoint("
                          "[y, x]); return [p.x, p.y]; }", [x, y])
    box = page.locator("#division-editor").bounding_box()
    left, top = box["x"] + point[0], box["y"] + point[1]
    assert 0 <= top <= page.viewport_size["height"], "the point is off the screen"
    return left, top


def draw_area(page: Any, outline: list[tuple[float, float]]) -> None:
    """The New area tool: every corner, then the first again to close the polygon."""
    page.locator("[data-tool=area]").click()
    for x, y in [*outline, outline[0]]:
        page.mouse.click(*on_screen(page, x, y))
    expect(page.locator("[data-tool=area]")).to_have_attribute("aria-pressed", "false")


def test_a_trainee_divides_a_grid_and_reads_the_result(browser_page: BrowserPage,
                                                       live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    cohort_id = own_cohort(live_server)
    grid = demo_grid()
    total = sum(len(building.units) for building in grid.buildings)

    # The trainer sets the division through the map-task form.
    log_in(bp, "divtrainer", PASSWORD)
    page.goto(f"/cohorts/{cohort_id}/maps")
    page.locator("#kind").select_option("division")
    page.locator("#world").select_option(label=f"{DEMO_WORLD} (6 grids)")
    page.locator("#grid").fill(str(DIVISION_GRID + 1))
    page.locator("#area").fill("")
    page.locator("#target_units").fill("80")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("[data-test=task-kind]")).to_have_text(
        "Divide the grid into areas of about 80 housing units")
    log_out(bp)

    # The trainee opens it: the whole grid, every building with its housing units.
    log_in(bp, "divtrainee", PASSWORD)
    page.goto("/training/maps")
    expect(page.locator("[data-test=division-tag]")).to_be_visible()
    with page.expect_navigation():
        page.locator("[data-test^=open-map-]").first.click()
    expect(page.locator("#division-editor[data-ready='1']")).to_have_count(1)
    expect(page.locator("[data-test=division-brief]")).to_contain_text(f"holds {total} housing")
    expect(page.locator(".unit-count")).to_have_count(len(grid.buildings))
    expect(page.locator("[data-test=free-units]")).to_have_text(str(total))
    bp.screenshot("maps-division-field")

    # Two areas along the world's own division; their counts show as they are drawn.
    first, second = grid.areas[0], grid.areas[1]
    draw_area(page, first.outline)
    expect(page.locator("[data-test=area-row-1] td").last).to_have_text(str(first.unit_count))
    draw_area(page, second.outline)
    expect(page.locator("[data-test=area-row-2] td").last).to_have_text(str(second.unit_count))
    expect(page.locator("[data-test=free-units]")).to_have_text(
        str(total - first.unit_count - second.unit_count))
    expect(page.locator(".area-label")).to_have_count(2)
    expect(page.locator(".area-label").first).to_contain_text(f"{first.unit_count} units")
    expect(page.locator("[data-test=save-status]")).to_contain_text("Saved at", timeout=10_000)
    url = page.locator("#division-editor").get_attribute("data-drawing-url")
    features = page.request.get(url).json()["drawing"]["features"]
    assert sorted(f["properties"]["number"] for f in features) == [1, 2]
    assert {f["properties"]["kind"] for f in features} == {"area"}
    bp.screenshot("maps-division-editor")

    # Reload: the areas and their counts are back.
    page.reload()
    expect(page.locator("#division-editor[data-ready='1']")).to_have_count(1)
    expect(page.locator("[data-test=area-row-2] td").last).to_have_text(str(second.unit_count))

    # Print exports: the SVG from the server, the PNG painted from it in the browser.
    svg = page.request.get(page.locator("[data-test=export-svg]").first.get_attribute("href"))
    assert svg.ok and svg.text().count('class="drawn-area"') == 2
    assert f"Area 1 · {first.unit_count} units" in svg.text()
    with page.expect_download() as download:
        page.locator("[data-test=export-png]").first.click()
    assert download.value.suggested_filename.endswith(".png")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    download.value.save_as(ARTIFACTS / "maps-division-export.png")
    assert (ARTIFACTS / "maps-division-export.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Submit: graded, with the four criteria, the areas' sizes and the overlay.
    with page.expect_navigation():
        page.locator("[data-test=submit-map]").click()
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    expect(page.locator("[data-test=map-result] h2")).to_contain_text("Result")
    assert page.locator("[data-test^=criterion-]").count() == 4
    expect(page.locator("[data-test=criterion-coverage]")).to_contain_text("is in no area")
    expect(page.locator("[data-test=area-sizes] tbody tr")).to_have_count(2)
    page.wait_for_function("document.querySelector('[data-test=overlay]').naturalWidth > 0")
    bp.screenshot("maps-division-result")

    # The trainer sees it among the cohort's results.
    log_out(bp)
    log_in(bp, "divtrainer", PASSWORD)
    page.goto(f"/cohorts/{cohort_id}/maps")
    with page.expect_navigation():
        page.locator("[data-test^=map-task-] a").first.click()
    expect(page.locator("main h1")).to_contain_text("Division of")
    with page.expect_navigation():
        page.locator("[data-test=result-divtrainee]").click()
    expect(page.locator("main h1")).to_contain_text("划分学员")
    page.wait_for_function("document.querySelector('[data-test=overlay]').naturalWidth > 0")
    bp.screenshot("maps-division-trainer-result")
    bp.assert_no_errors()
