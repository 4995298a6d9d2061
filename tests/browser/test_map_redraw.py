"""Practice tries and regrading in a real browser, in a cohort of the test's own (the demo
cohort stays as the other tests know it): a trainee marks a building with its type, submits a
half-finished map, starts a new try from it, submits a full map, sees both tries and opens
the first again; an examiner sees the newest try, regrades it and opens the first; the
trainer regrades the whole task."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in, log_out
from tests.browser.test_maps import on_screen, saved, wait_saved
from trainer.accounts import services as accounts
from trainer.accounts.models import Role, User
from trainer.core.maps import true_drawing
from trainer.extensions import DB_KEY
from trainer.maps import services
from trainer.maps.models import MapTask
from trainer.worlds.demo import DEMO_WORLD
from trainer.worlds.models import World

pytestmark = pytest.mark.browser
PASSWORD = "Redraw-practice-2020"


def own_task(live_server: LiveServer) -> tuple[int, int, dict]:
    """A trainer, an examiner, a trainee and their cohort with the map of the demo world's
    first area; the trainee has saved a map with the last building left out. (cohort id,
    task id, the full map the trainee will save on the second try)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        def user(name: str, full_name: str, role: Role) -> User:
            return accounts.create_user(db, actor=None, username=name, full_name=full_name,
                                        role=role, password=PASSWORD)[0]

        trainer = user("redrawtrainer", "重画培训师", Role.TRAINER)
        examiner = user("redrawexaminer", "重画考官", Role.EXAMINER)
        trainee = user("redrawtrainee", "重画学员", Role.TRAINEE)
        cohort = accounts.create_cohort(db, actor=trainer, name="重画练习班", trainer=trainer)
        cohort.trainees = [trainee]
        cohort.examiners = [examiner]
        world = db.scalar(select(World).where(World.name == DEMO_WORLD))
        task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0)
        full = true_drawing(services.truth_of(task))
        partial = {**full, "features": [
            f for f in full["features"]
            if not (f["properties"]["kind"] == "building"
                    and f["properties"]["number"] == len(services.truth_of(task).buildings))]}
        services.save_drawing(db, trainee, task, partial)
        db.commit()
        return cohort.id, task.id, full


def save_as_trainee(live_server: LiveServer, task_id: int, drawing: dict) -> None:
    """The trainee's second try, drawn in full (what the first browser test does by hand)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainee = db.scalar(select(User).where(User.username == "redrawtrainee"))
        services.save_drawing(db, trainee, db.get(MapTask, task_id), drawing)
        db.commit()


def test_redraw_after_grading_and_regrade(browser_page: BrowserPage,
                                          live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    cohort_id, task_id, full = own_task(live_server)
    last = max(f["properties"]["number"] for f in full["features"]
               if f["properties"]["kind"] == "building")
    last_mark = next(f for f in full["features"] if f["properties"]["kind"] == "building"
                     and f["properties"]["number"] == last)
    ring = last_mark["geometry"]["coordinates"][0][:-1]
    centre = (sum(x for x, _y in ring) / len(ring), sum(y for _x, y in ring) / len(ring))

    # First try: the trainee marks the missing building, as a public building (it is not),
    # and submits.
    log_in(bp, "redrawtrainee", PASSWORD)
    page.goto(f"/training/maps/{task_id}")
    expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
    marks = page.locator(".map-mark-building")
    before = marks.count()
    page.locator("[data-tool=building]").click()
    page.mouse.click(*on_screen(page, *centre))
    expect(page.locator("#mark-panel")).to_be_visible()
    expect(marks).to_have_count(before + 1)
    page.locator("#mark-type").select_option("public")
    expect(page.locator(".map-mark-building.map-type-public")).to_have_count(1)
    page.locator("[data-tool=building]").click()
    wait_saved(page)
    typed = [f for f in saved(page)["drawing"]["features"]
             if f["properties"].get("building_type") == "public"]
    assert len(typed) == 1 and typed[0]["properties"]["number"] == last
    bp.screenshot("maps-redraw-typed-mark")
    with page.expect_navigation():
        page.locator("[data-test=submit-map]").click()
    expect(page.locator("[data-test=map-result] h2")).to_contain_text("Result")
    expect(page.locator("[data-test=grader]")).to_contain_text(services.GRADER)
    expect(page.locator("[data-test=try-1]")).to_be_visible()
    expect(page.locator("[data-test=criterion-coverage]")).to_contain_text(
        f"Building {last} is marked as a public building")
    first_score = page.locator("[data-test=try-1] [data-test=try-score]").inner_text()
    bp.screenshot("maps-redraw-first-result")

    # A new try from the last drawing: the editor opens with the map as it was submitted.
    page.locator("input[name=start][value=last]").check()
    with page.expect_navigation():
        page.locator("[data-test=redraw]").click()
    expect(page.locator(".flash-success")).to_contain_text("new try")
    expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
    expect(page.locator(".map-mark-building")).to_have_count(before + 1)
    expect(page.locator("[data-test=try-1]")).to_contain_text(first_score)
    bp.screenshot("maps-redraw-editor")

    # The second try, complete, is submitted: both tries are listed, the newest first.
    save_as_trainee(live_server, task_id, full)
    page.reload()
    expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
    with page.expect_navigation():
        page.locator("[data-test=submit-map]").click()
    expect(page.locator("[data-test=map-result] h2")).to_contain_text("100.0 of 100")
    expect(page.locator("[data-test=tries] tbody tr")).to_have_count(2)
    expect(page.locator("[data-test=tries] tbody tr").first).to_contain_text("Try 2")
    bp.screenshot("maps-redraw-second-result")
    # The trainee opens the first try again from the list, and comes back.
    with page.expect_navigation():
        page.locator("[data-test=open-try-1]").click()
    expect(page.locator("[data-test=shown-try]")).to_have_text("Try 1")
    expect(page.locator("[data-test=map-result] h2")).to_contain_text(first_score)
    page.wait_for_function("document.querySelector('[data-test=overlay]').naturalWidth > 0")
    bp.screenshot("maps-redraw-trainee-first-try")
    with page.expect_navigation():
        page.locator("[data-test=current-map]").click()
    expect(page.locator("[data-test=map-result] h2")).to_contain_text("100.0 of 100")
    log_out(bp)

    # The examiner sees the newest try, regrades it, and opens the first.
    log_in(bp, "redrawexaminer", PASSWORD)
    page.goto(f"/cohorts/{cohort_id}/maps/{task_id}")
    expect(page.locator("[data-test=trainee-redrawtrainee] [data-test=score]")).to_have_text(
        "100.0")
    with page.expect_navigation():
        page.locator("[data-test=result-redrawtrainee]").click()
    expect(page.locator("[data-test=map-result] h2")).to_contain_text("100.0 of 100")
    with page.expect_navigation():
        page.locator("[data-test=regrade]").click()
    expect(page.locator(".flash-success")).to_contain_text("graded again")
    expect(page.locator("[data-test=grader]")).to_contain_text(services.GRADER)
    page.wait_for_function("document.querySelector('[data-test=overlay]').naturalWidth > 0")
    bp.screenshot("maps-regrade")
    with page.expect_navigation():
        page.locator("[data-test=open-try-1]").click()
    expect(page.locator("[data-test=map-result] h2")).to_contain_text(first_score)
    expect(page.locator("[data-test=shown-try]")).to_have_text("Try 1")
    page.wait_for_function("document.querySelector('[data-test=overlay]').naturalWidth > 0")
    bp.screenshot("maps-regrade-first-try")
    log_out(bp)

    # The trainer regrades every map of the task.
    log_in(bp, "redrawtrainer", PASSWORD)
    page.goto(f"/cohorts/{cohort_id}/maps/{task_id}")
    with page.expect_navigation():
        page.locator("[data-test=regrade-all]").click()
    expect(page.locator(".flash-success")).to_contain_text("2 maps have been graded again")
    bp.screenshot("maps-regrade-all")
    bp.assert_no_errors()
