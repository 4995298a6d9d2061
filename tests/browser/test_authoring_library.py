"""A trainer duplicates a library scenario, exports the copy and imports it back under another
id, shares it with a colleague who then edits it, and compares two versions (issue 10)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_authoring import open_tab
from tests.browser.test_login_roles import log_in, log_out
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.scenario import loader
from trainer.extensions import DB_KEY
from trainer.scenarios.models import ScenarioDraft

pytestmark = pytest.mark.browser
PASSWORD = "Library-scenario-2020"


def two_trainers(live_server: LiveServer) -> None:
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        for name in ("copytrainer", "colleague"):
            accounts.create_user(db, actor=None, username=name, full_name=f"培训师 {name}",
                                 role=Role.TRAINER, password=PASSWORD)
        db.commit()


def test_duplicate_export_import_share_compare(browser_page: BrowserPage,
                                               live_server: LiveServer, tmp_path):
    two_trainers(live_server)
    page = browser_page.page
    log_in(browser_page, "copytrainer", PASSWORD)
    page.goto("/scenarios/nobody-home-revisit")
    # a trainer may not edit the library's scenario: no Edit button, but Duplicate
    expect(page.locator('[data-test="edit"]')).to_have_count(0)
    page.locator("details.duplicate summary").click()
    page.fill("#scenario_id", "my-revisits")
    # the copy's titles are offered as the original's marked as a copy, and can be changed
    expect(page.locator("#title_zh")).to_have_value(re.compile(r"（副本）$"))
    page.fill("#title_en", "My revisits")
    browser_page.screenshot("authoring-duplicate")
    page.locator('[data-test="duplicate"]').click()
    expect(page).to_have_url(re.compile(r"/scenarios/my-revisits/edit$"))
    expect(page.locator('[data-test="no-problems"]')).to_be_visible()

    # export the draft, change its id, import it as another scenario
    open_tab(page, "publish")
    with page.expect_download() as download:
        page.get_by_text("Export the draft (YAML)").click()
    exported = tmp_path / "exported.yaml"
    download.value.save_as(exported)
    text = exported.read_text(encoding="utf-8")
    assert loader.parse(text).id == "my-revisits"
    renamed = tmp_path / "imported.yaml"
    renamed.write_text(text.replace("id: my-revisits", "id: my-revisits-two", 1),
                       encoding="utf-8")
    page.goto("/scenarios/new")
    page.set_input_files("#file", str(renamed))
    page.locator('[data-test="import"]').click()
    expect(page).to_have_url(re.compile(r"/scenarios/my-revisits-two/edit$"))
    expect(page.locator('[data-test="no-problems"]')).to_be_visible()

    # share the copy with a colleague
    page.goto("/scenarios/my-revisits/edit")
    open_tab(page, "publish")
    page.fill("#username", "colleague")
    page.get_by_role("button", name="Share").click()
    expect(page.locator("#sharing + ul")).to_contain_text("colleague")
    browser_page.screenshot("authoring-shared")
    log_out(browser_page)

    log_in(browser_page, "colleague", PASSWORD)
    page.goto("/scenarios")
    page.locator('[data-test="draft-my-revisits"]').click()
    expect(page).to_have_url(re.compile(r"/scenarios/my-revisits/edit$"))
    expect(page.locator('[data-test="draft-my-revisits-two"]')).to_have_count(0)
    log_out(browser_page)

    # the demo trainer's own scenario: version 1 against the draft since
    log_in(browser_page, "trainer", "demo-trainer-2020")
    page.goto("/scenarios/evening-tenants/diff?a=1&b=draft")
    expect(page.locator('[data-test="diff-summary"]')).to_contain_text("1 lines added, 1 removed")
    expect(page.locator("tr.diff-added")).to_contain_text("minutes: 12")
    browser_page.screenshot("authoring-diff")
    with live_server.app.app_context(), live_server.app.extensions[DB_KEY]() as db:
        assert db.get(ScenarioDraft, "my-revisits-two").source.startswith(text.split("\n")[0])
    browser_page.assert_no_errors()
