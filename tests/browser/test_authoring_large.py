"""A trainer edits a large draft (over drafts.LIVE_BYTES): it autosaves at once without being
checked, the page says so in the trainer's language, "Check the draft now" checks it in full,
and a later save marks the panels as older than the text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_authoring import PASSWORD, by_test, editor_text, open_tab, set_editor_text
from tests.browser.test_login_roles import log_in
from tests.security.test_authoring_bounds import large_draft
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.extensions import DB_KEY
from trainer.scenarios import drafts
from trainer.scenarios.models import ScenarioDraft

pytestmark = pytest.mark.browser
ID = "long-night"
CHECK_WAIT = 30_000  # ms: a full check of the draft, asked for


def test_a_large_draft_is_checked_when_asked(browser_page: BrowserPage, live_server: LiveServer):
    app = live_server.app
    source = large_draft(drafts.LIVE_BYTES * 3, ID)  # about 192 KB
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="largeauthor",
                                       full_name="长稿作者", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        drafts.create(db, trainer, ID, "长夜", "A long night")
        db.get(ScenarioDraft, ID).source = source
        db.commit()
    page = browser_page.page
    log_in(browser_page, "largeauthor", PASSWORD)
    page.goto(f"/scenarios/{ID}/edit")
    expect(by_test(page, "code-editor")).to_be_visible()
    expect(by_test(page, "large-draft")).to_contain_text("over 64 KB or 5000 values")
    expect(by_test(page, "not-checked").first).to_be_visible()
    browser_page.screenshot("authoring-large-unchecked")

    # the check, asked for: the panels are drawn, the note says which revision they show (a
    # check of a large draft takes its seconds: 5.5 s on a loaded CI machine, more than the
    # default wait)
    by_test(page, "check-now").click()
    expect(by_test(page, "no-problems")).to_be_visible(timeout=CHECK_WAIT)
    expect(by_test(page, "checked-revision")).to_have_text("Checked at revision 1.")
    open_tab(page, "graph")
    expect(by_test(page, "graph-main")).to_be_visible()

    # typing: saved at once, the panels stay as checked and the note says they are older
    broken = editor_text(page).replace("goto: n0007", "goto: n9999")
    set_editor_text(page, broken)
    expect(by_test(page, "save-status")).to_contain_text("Saved, revision 2")
    expect(by_test(page, "stale")).to_be_visible()
    expect(by_test(page, "graph-main")).to_be_visible()
    browser_page.screenshot("authoring-large-stale")
    by_test(page, "check-now").click()
    expect(by_test(page, "checked-revision")).to_have_text("Checked at revision 2.",
                                                           timeout=CHECK_WAIT)
    expect(by_test(page, "stale")).to_have_count(0)
    open_tab(page, "problems")
    expect(by_test(page, "problems")).to_contain_text("n9999")
    browser_page.screenshot("authoring-large-checked")

    # typed after the last check, then checked: saved first, so nothing is lost
    set_editor_text(page, editor_text(page) + "# typed just before the check\n")
    by_test(page, "check-now").click()
    expect(by_test(page, "checked-revision")).to_have_text("Checked at revision 3.",
                                                           timeout=CHECK_WAIT)
    with app.app_context(), app.extensions[DB_KEY]() as db:
        saved = db.get(ScenarioDraft, ID)
        assert saved.revision == 3
        assert saved.source == broken + "# typed just before the check\n"

    # in Chinese
    with page.expect_navigation():
        page.locator("#lang-select").select_option("zh_CN")
    page.goto(f"/scenarios/{ID}/edit")
    expect(by_test(page, "large-draft")).to_contain_text("本草稿超过 64 KB 或 5000 个值")
    expect(by_test(page, "check-now")).to_have_text("立即检查草稿")
    browser_page.screenshot("authoring-large-zh")
    browser_page.assert_no_errors()
