"""The small-area map drawn in a field-work attempt prints (issue 6: "exported as SVG and PNG for
printing"): from the editor, right after an edit (the export waits for the save), and from the
read-only map once the attempt is submitted. Files in test-artifacts/browser/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, BrowserPage, LiveServer
from tests.browser.test_attempt_map import SCENARIO
from tests.browser.test_login_roles import log_in
from tests.browser.test_maps import tap, wait_saved
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.grading.maps import map_truth
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

pytestmark = pytest.mark.browser
PASSWORD = "Map-export-2020"
PNG = b"\x89PNG\r\n\x1a\n"


def attempt_of_my_own(live_server: LiveServer, who: str, password: str) -> int:
    """A trainee `{who}trainee` of a cohort of their own (trainer `{who}trainer`), started on
    the map exercise (the attempt's id); `who` keeps the names apart from other tests'."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username=f"{who}trainer",
                                       full_name=f"{who} 培训师", role=Role.TRAINER,
                                       password=password)[0]
        trainee = accounts.create_user(db, actor=None, username=f"{who}trainee",
                                       full_name=f"{who} 学员", role=Role.TRAINEE,
                                       password=password)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name=f"{who} 小区图班",
                                        trainer=trainer)
        cohort.trainees = [trainee]
        version = (scenario_services.publish(db, SCENARIO, actor=None)
                   or scenario_services.get_version(db, SCENARIO.id))
        assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                     mode=Mode.PRACTICE, due_on=None)
        attempt = services.start_attempt(db, trainee, assignment)
        db.commit()
        return attempt.id


def test_the_attempt_s_map_exports_as_svg_and_png(browser_page: BrowserPage,
                                                   live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    page.on("dialog", lambda dialog: dialog.accept())
    attempt_id = attempt_of_my_own(live_server, "export", PASSWORD)
    truth = map_truth(SCENARIO, SCENARIO.seed)
    assert truth is not None
    log_in(bp, "exporttrainee", PASSWORD)
    page.goto(f"/training/attempts/{attempt_id}/map")
    expect(page.locator("#map-editor[data-ready='1']")).to_have_count(1)
    page.locator("[data-tool=boundary]").click()
    for x, y in [*truth.boundary, truth.boundary[0]]:
        tap(page, x, y)
    wait_saved(page)
    page.locator("#title").fill("导出测试小区")

    # The SVG, asked for right after an edit, already has it (the export waits for the save).
    with page.expect_download() as svg_download:
        page.locator("[data-test=export-svg]").click()
    svg_path = ARTIFACTS / "attempt-map-export.svg"
    svg_download.value.save_as(svg_path)
    svg = svg_path.read_text(encoding="utf-8")
    assert svg.startswith("<svg")
    assert "导出测试小区" in svg and 'stroke="#b91c1c"' in svg  # the title and the boundary
    with page.expect_download() as png_download:
        page.locator("[data-test=export-png]").click()
    png_path = ARTIFACTS / "attempt-map-export.png"
    png_download.value.save_as(png_path)
    assert png_path.read_bytes()[:8] == PNG
    bp.screenshot("attempt-map-export-editor")

    # Submitted: the map is read-only and still prints.
    page.goto(f"/training/attempts/{attempt_id}")
    with page.expect_navigation():
        page.locator("[data-test=submit]").click()
    page.goto(f"/training/attempts/{attempt_id}/map")
    expect(page.locator("[data-test=map-read-only]")).to_be_visible()
    with page.expect_download() as after:
        page.locator("[data-test=export-svg]").click()
    assert "导出测试小区" in after.value.path().read_text(encoding="utf-8")
    with page.expect_download() as png_after:
        page.locator("[data-test=export-png]").click()
    assert png_after.value.path().read_bytes()[:8] == PNG
    bp.screenshot("attempt-map-export-submitted")
    bp.assert_no_errors()
