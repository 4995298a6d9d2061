"""A trainer writes a scenario in the browser from the template, sees a validation error and
fixes it, edits a node in its form, playtests from a middle node, publishes, assigns it to a
cohort, and a trainee of that cohort sees it (issue 10)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in, log_out
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.scenario import loader
from trainer.extensions import DB_KEY
from trainer.scenarios.models import ScenarioDraft

pytestmark = pytest.mark.browser
PASSWORD = "Author-scenario-2020"


def author_and_cohort(live_server: LiveServer) -> int:
    """A trainer of their own with a cohort and one trainee (the demo users stay as the other
    browser tests know them); the cohort's id."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="authortrainer",
                                       full_name="编写培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="authortrainee",
                                       full_name="编写学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="编写班", trainer=trainer)
        cohort.trainees = [trainee]
        db.commit()
        return cohort.id


def by_test(page, name: str):
    """The element with data-test=`name` (the attribute every template here uses)."""
    return page.locator(f'[data-test="{name}"]')


def open_tab(page, key: str) -> None:
    """Open one of the editor's panels. The tabs work once the deferred editor script has
    run: wait for DOMContentLoaded first (a click before it did nothing on a busy machine),
    then for the panel."""
    page.wait_for_load_state("domcontentloaded")
    page.locator(f"[data-tab={key}]").click()
    expect(page.locator(f"#panel-{key}")).to_be_visible()


def editor_text(page) -> str:
    return page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")


def set_editor_text(page, text: str) -> None:
    page.evaluate("t => document.querySelector('.CodeMirror').CodeMirror.setValue(t)", text)


def test_author_playtest_publish_assign(browser_page: BrowserPage, live_server: LiveServer):
    cohort_id = author_and_cohort(live_server)
    page = browser_page.page
    log_in(browser_page, "authortrainer", PASSWORD)
    page.goto("/scenarios")
    by_test(page, "new-scenario").click()
    page.fill("#scenario_id", "evening-visit")
    page.fill("#title_zh", "晚上的入户")
    page.fill("#title_en", "An evening visit")
    by_test(page, "create").click()
    expect(page).to_have_url(re.compile(r"/scenarios/evening-visit/edit$"))
    expect(by_test(page, "code-editor")).to_be_visible()
    expect(by_test(page, "no-problems")).to_be_visible()

    # a mistake: the error is listed with its line, and marked in the editor's gutter
    good = editor_text(page)
    set_editor_text(page, good.replace("difficulty: 1", "difficulty: easy", 1))
    problem = by_test(page, "problems").locator("li").first
    expect(problem).to_contain_text("difficulty")
    expect(page.locator(".CodeMirror-lint-marker-error").first).to_be_visible()
    browser_page.screenshot("authoring-error")
    problem.locator("a").click()
    set_editor_text(page, good)
    expect(by_test(page, "no-problems")).to_be_visible()
    expect(by_test(page, "save-status")).to_contain_text("Saved")

    # the graph: a node opens in a form; its words change in the text too
    open_tab(page, "graph")
    scenario = loader.parse(good)
    dialogue = next(iter(scenario.dialogues.values()))
    middle = next(n for n in dialogue.nodes if n not in dialogue.entries
                  and not dialogue.nodes[n].end)
    by_test(page, f"node-{middle}").click()
    says_en = page.locator(".node-form [name=says-en]")
    expect(says_en).to_be_visible()
    # the save button stays in view at the foot of the panel, though the form is longer
    page.locator("#panel-node").scroll_into_view_if_needed()
    panel = page.locator("#panel-node").bounding_box()
    form = page.locator(".node-form").bounding_box()
    button = by_test(page, "save-node").bounding_box()
    assert panel and form and button and form["height"] > panel["height"]
    assert panel["y"] <= button["y"] and button["y"] + button["height"] <= panel["y"] + panel[
        "height"] + 1
    expect(by_test(page, "save-node")).to_be_in_viewport()
    says_en.fill("Come in, but be quick: my shift starts soon.")
    # typed in the text a moment before the node is saved: saved first, not overwritten
    set_editor_text(page, editor_text(page) + "# typed just before\n")
    page.locator(".node-form button[type=submit]").click()
    page.wait_for_function("() => document.querySelector('.CodeMirror').CodeMirror"
                           ".getValue().includes('my shift starts soon')")
    assert "# typed just before" in editor_text(page)
    expect(by_test(page, "save-status")).to_contain_text("Saved")
    expect(by_test(page, "node-saved")).to_contain_text("Saved")  # beside the button too
    browser_page.screenshot("authoring-node-form")

    # playtest from the middle node with a chosen trust
    open_tab(page, "playtest")
    # until one is chosen, the playtest starts at the dialogue's start node, and the nodes
    # are listed in the order of the text (they came sorted by name, "done" first)
    expect(by_test(page, "playtest-node")).to_have_value(f"{dialogue.id}/{dialogue.start}")
    listed = by_test(page, "playtest-node").locator("option").evaluate_all(
        "options => options.map(o => o.value)")
    assert listed[:len(dialogue.nodes)] == [f"{dialogue.id}/{node}" for node in dialogue.nodes]
    by_test(page, "playtest-node").select_option(f"{dialogue.id}/{middle}")
    by_test(page, "playtest-state").fill("trust=60")
    by_test(page, "playtest-start").click()
    expect(by_test(page, "playtest-at")).to_have_text(middle)
    expect(by_test(page, "playtest")).to_contain_text("my shift starts soon")
    events = by_test(page, "playtest").locator("[data-test=event]")
    expect(events).to_have_count(2)  # the jump and the state
    by_test(page, "playtest").locator("button.offer").first.click()
    expect(events).to_have_count(3)  # and the action taken
    browser_page.screenshot("authoring-playtest")

    # the texts on a 1024 px tablet: a text's place breaks, so both languages keep their room
    open_tab(page, "texts")
    widths = page.evaluate("() => [...document.querySelector('table[data-test=texts] tbody tr')"
                           ".cells].map(cell => cell.getBoundingClientRect().width)")
    assert widths[1] >= 110 and widths[2] >= 110 and widths[0] <= widths[1] + widths[2], widths
    page.locator("#panel-texts").screenshot(path=str(ARTIFACTS / "authoring-texts-1024.png"))
    places = by_test(page, "texts").locator("td.where a").all_inner_texts()
    assert "dialogues.main.nodes.door.says" in places and not any("<" in p for p in places)

    # publish with a changelog line
    open_tab(page, "publish")
    page.fill("#changelog", "First version, written in the browser")
    by_test(page, "publish").click()
    expect(page).to_have_url(re.compile(r"/scenarios/evening-visit\?version=1$"))
    expect(by_test(page, "changelog")).to_have_text("First version, written in the browser")

    # back in the editor: a new node from the graph panel opens in its form, and the problems
    # list flags it until it is linked
    page.goto("/scenarios/evening-visit/edit")
    open_tab(page, "graph")
    by_test(page, f"add-node-{dialogue.id}").fill("after_shift")
    page.locator(".add-node-form button[type=submit]").click()
    expect(by_test(page, "node-form")).to_contain_text("after_shift")
    open_tab(page, "problems")
    expect(by_test(page, "problems")).to_contain_text("after_shift")

    # assign it to the cohort
    page.goto(f"/cohorts/{cohort_id}/exercises")
    version = page.locator("select[name=version] option", has_text="An evening visit")
    page.select_option("select[name=version]", value=version.get_attribute("value"))
    page.locator("form button[type=submit]", has_text="Assign").click()
    expect(page.locator("main")).to_contain_text("An evening visit")
    log_out(browser_page)

    log_in(browser_page, "authortrainee", PASSWORD)
    page.goto("/training")
    expect(page.locator("main")).to_contain_text("An evening visit")
    browser_page.screenshot("authoring-trainee-sees-it")
    with live_server.app.app_context(), live_server.app.extensions[DB_KEY]() as db:
        assert "my shift starts soon" in db.get(ScenarioDraft, "evening-visit").source
    browser_page.assert_no_errors()
