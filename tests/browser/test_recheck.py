"""A trainee opens 复查 from the attempt page, sees their own inconsistencies grouped and
counted, follows a line to the tally figure, corrects it, and the list shrinks."""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.census import r601, tally
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenarios

pytestmark = pytest.mark.browser
PASSWORD = "Recheck-my-work-2020"


def attempt_with_mistakes(live_server: LiveServer) -> tuple[int, dict[str, int]]:
    """A trainee of their own with a complete form for `wang`, a register row whose head
    differs from the form's, and a tally one household too many: the attempt's id and the
    right tally."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="rechecktrainer",
                                       full_name="复查培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="rechecktrainee",
                                       full_name="复查学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="复查班", trainer=trainer)
        cohort.trainees = [trainee]
        practice = fieldwork.assign(db, actor=trainer, cohort=cohort, mode=Mode.PRACTICE,
                                    due_on=None,
                                    version=scenarios.get_version(db, "cooperative-family"))
        attempt = fieldwork.start_attempt(db, trainee, practice)
        truth = fieldwork.replay_attempt(attempt).households["wang"].truth
        assert truth.household is not None
        record = copy.deepcopy(r601.record_of(truth.household))
        fieldwork.save_form(db, attempt, "wang", record, complete=True, confirmed=True)
        fieldwork.save_register(db, attempt, {"wang": {
            "building": truth.building, "unit": truth.unit, "number": 1, "head": "李四",
            "kind": "family", "status": "occupied", "present": record["H2a"],
            "away": record["H2b"], "mode": "visit"}})
        right = tally.from_forms([record])
        fieldwork.save_tally(db, attempt, {**right, "households": 3})
        db.commit()
        return attempt.id, right


def test_trainee_finds_and_corrects_an_inconsistency(browser_page: BrowserPage,
                                                     live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    attempt_id, right = attempt_with_mistakes(live_server)
    log_in(bp, "rechecktrainee", PASSWORD)
    page.goto(f"/training/attempts/{attempt_id}")
    with page.expect_navigation():
        page.locator("[data-test=recheck]").click()
    expect(page.locator("h1")).to_contain_text("复查")
    expect(page.locator("[data-test=recheck-count]")).to_contain_text("2")
    expect(page.locator("[data-test=group-register] [data-test=finding]")).to_have_count(1)
    expect(page.locator("[data-test=group-register]")).to_contain_text("李四")
    tally_group = page.locator("[data-test=group-tally]")
    expect(tally_group.locator("[data-test=finding]")).to_have_count(1)
    expect(tally_group).to_contain_text("The tally says 3; the forms add up to 1.")
    bp.screenshot("recheck-findings")

    with page.expect_navigation():
        tally_group.locator("[data-test=fix]").click()
    assert page.url.endswith(f"/training/attempts/{attempt_id}/tally#households")
    expect(page.locator("#households")).to_have_value("3")
    page.locator("#households").fill(str(right["households"]))
    with page.expect_navigation():
        page.locator("[data-test=save-tally]").click()
    with page.expect_navigation():
        page.locator("[data-test=recheck]").click()
    expect(page.locator("[data-test=recheck-count]")).to_contain_text("1")
    expect(page.locator("[data-test=group-tally]")).to_have_count(0)
    expect(page.locator("[data-test=group-register] [data-test=fix]")).to_have_attribute(
        "href", f"/training/attempts/{attempt_id}/register#register-wang")
    bp.screenshot("recheck-after-correction")
    bp.assert_no_errors()
