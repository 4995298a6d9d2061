"""A finding of a failed criterion opens the rubric's clip at the second that shows it."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.extensions import DB_KEY
from trainer.scenarios import services as scenarios
from trainer.scenarios.models import ScenarioVersion

pytestmark = pytest.mark.browser
PASSWORD = "Moment-trainer-2020"
STEPS = ("ask_item:D3", "show_id", "answer_concern:distrust", "answer_concern:privacy",
         "ask_item:roster", "probe:members_away", "read_back")


def finished_play(live_server: LiveServer) -> int:
    """A trainer of their own who asked before showing the card; the play's id."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="momenttrainer",
                                       full_name="片段培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        version = db.scalars(select(ScenarioVersion).where(
            ScenarioVersion.scenario_id == "suspicious-credentials")
            .order_by(ScenarioVersion.version.desc())).first()
        assert version is not None
        play = scenarios.start_play(db, trainer, version)
        scenarios.play_step(db, play, "he", "knock", datetime(2020, 11, 9, 19, 0))
        for action in STEPS:
            scenarios.play_step(db, play, "he", action, None)
        db.commit()
        return play.id


def test_a_finding_opens_the_clip_at_its_second(browser_page: BrowserPage,
                                                live_server: LiveServer) -> None:
    play_id = finished_play(live_server)
    bp, page = browser_page, browser_page.page
    log_in(bp, "momenttrainer", PASSWORD)
    page.goto(f"/scenarios/plays/{play_id}")
    link = page.locator("[data-test=debrief-credentials_first] [data-test=finding-moment]")
    expect(link).to_have_count(1)
    expect(link).to_contain_text("0:02")
    link.scroll_into_view_if_needed()
    bp.screenshot("debrief-moment-link")
    with page.expect_navigation():
        link.click()
    expect(page.locator("main h1")).to_have_text("Introducing yourself at the door")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    page.wait_for_function(
        "() => Math.abs(document.getElementById('player').currentTime - 2) < 0.2")
    assert page.evaluate("() => document.getElementById('player').paused")
    bp.screenshot("debrief-moment-player")
    bp.assert_no_errors()
