"""A trainee draws the small-area map inside a field-work attempt on a tablet (issues 6 and 7):
opens the attempt, walks the area listing each house in the register, goes from the walk to
the map, draws the boundary and marks the three buildings (numbered in tapping order), writes
the title block, reloads and finds the drawing, submits the attempt, and reads the map
criteria's findings with the overlay in the debrief. Screenshots in
test-artifacts/browser/attempt-map-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in
from tests.browser.test_maps import saved, tap, wait_saved
from tests.browser.test_small_area import list_unit, nav
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.census.register import truth_rows
from trainer.core.grading.maps import map_truth
from trainer.core.scenario import loader
from trainer.core.scenario.households import build
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

pytestmark = pytest.mark.browser
PASSWORD = "Village-map-2020"
SCENARIO = loader.load(project_root() / "scenarios" / "village-map.yaml")


def own_attempt(live_server: LiveServer) -> int:
    """A trainer, a trainee and a cohort of their own with the map exercise, and the
    trainee's attempt at it."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="maptrainer",
                                       full_name="小区图培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="maptrainee",
                                       full_name="小区图学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="小区图班", trainer=trainer)
        cohort.trainees = [trainee]
        version = (scenario_services.publish(db, SCENARIO, actor=None)
                   or scenario_services.get_version(db, SCENARIO.id))
        assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                     mode=Mode.PRACTICE, due_on=None)
        attempt = services.start_attempt(db, trainee, assignment)
        db.commit()
        return attempt.id


def test_a_trainee_draws_the_map_in_an_attempt_and_reads_its_grading(
        browser_page: BrowserPage, live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    attempt_id = own_attempt(live_server)
    truth = map_truth(SCENARIO, SCENARIO.seed)
    assert truth is not None
    truths = build(SCENARIO, SCENARIO.seed)
    rows = truth_rows([(u, truths[u]) for u in SCENARIO.assignment.units], {})
    log_in(bp, "maptrainee", PASSWORD)
    page.goto(f"/training/attempts/{attempt_id}")
    expect(page.locator("[data-test=map]")).to_be_visible()

    # The walk: each house listed in the register, then on to the map.
    nav(bp, "[data-test=listing]")
    for unit in SCENARIO.assignment.units:
        row: dict[str, Any] = rows[unit]
        nav(bp, f"[data-test=building-{row['building']}]")
        list_unit(page, unit, row)
        nav(bp, "[data-test=save-building]")
    bp.screenshot("attempt-map-walk")
    nav(bp, "[data-test=to-map]")
    expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
    # The exports and the way back show in the side panel without scrolling inside it.
    assert page.evaluate("""() => {
        const panel = document.querySelector('.map-panel').getBoundingClientRect();
        return ['export-svg', 'export-png', 'back-to-attempt'].every(name => {
            const box = document.querySelector(`[data-test=${name}]`).getBoundingClientRect();
            return box.height > 0 && box.top >= panel.top && box.bottom <= panel.bottom;
        });
    }""")
    expect(page.locator("[data-test=boundary-text]")).to_contain_text("north from")
    expect(page.locator("[data-test=save-status]")).to_contain_text("Nothing saved yet")

    # The boundary by its corners (the first again closes it), the buildings in number order.
    page.locator("[data-tool=boundary]").click()
    for x, y in [*truth.boundary, truth.boundary[0]]:
        tap(page, x, y)
    wait_saved(page)
    page.locator("[data-tool=building]").click()
    for building in truth.buildings:
        tap(page, *building.centroid)
    page.locator("[data-tool=building]").click()
    expect(page.locator(".map-mark-building")).to_have_count(3)
    page.locator("#title").fill(truth.title)
    page.locator("#code").fill(truth.code)
    page.locator("#building_total").fill("3")
    page.locator("#household_total").fill("3")
    page.locator("#drafter").fill("小区图学员")
    page.locator("#drafter").blur()
    wait_saved(page)
    bp.screenshot("attempt-map-editor")
    drawing = saved(page)["drawing"]
    numbers = sorted(f["properties"]["number"] for f in drawing["features"]
                     if f["properties"]["kind"] == "building")
    assert numbers == [1, 2, 3]

    # Reload: the drawing and the title block are back.
    page.reload()
    expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
    expect(page.locator("[data-test=save-status]")).to_contain_text("Your saved map")
    expect(page.locator(".map-mark-building")).to_have_count(3)
    expect(page.locator("#household_total")).to_have_value("3")
    assert saved(page)["drawing"]["features"] == drawing["features"]

    # Submit the attempt; the debrief shows the map criteria, their findings and the overlay.
    nav(bp, "[data-test=back-to-attempt]")
    nav(bp, "[data-test=submit]")
    expect(page.locator("[data-test=debrief]")).to_be_visible()
    expect(page.locator("[data-test=debrief-map_numbering]")).to_be_visible()
    route = page.locator("[data-test=debrief-map_route]")
    expect(route).to_contain_text("no registration route")
    expect(page.locator("[data-test=debrief-map_elements]")).to_contain_text("north arrow")
    overlay = page.locator("[data-test=map-overlay] svg")
    expect(overlay).to_be_visible()
    expect(overlay.locator(".drawn-building")).to_have_count(3)
    expect(overlay.locator(".truth-building")).to_have_count(3)
    overlay.scroll_into_view_if_needed()
    bp.screenshot("attempt-map-debrief")
    page.goto(f"/training/attempts/{attempt_id}/map")
    expect(page.locator("[data-test=map-read-only]")).to_be_visible()
    expect(page.locator("#map-editor")).to_have_count(0)

    # In Chinese the map findings read in Chinese (the message ids are translated).
    with page.expect_navigation():
        page.locator("#lang-select").select_option("zh_CN")
    page.goto(f"/training/attempts/{attempt_id}")
    expect(page.locator("[data-test=debrief-map_route]")).to_contain_text("登记路线")
    bp.screenshot("attempt-map-debrief-zh")
    bp.assert_no_errors()
