"""The examiner's pages in words at 768 px (a tablet in portrait), in Chinese and English: a
census answer's code shown by its label with the code small beside it, and a dialogue node on
the dashboard by the respondent's words with its id small beside them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, LiveServer, begun_exam
from trainer.accounts import services as accounts
from trainer.core.census import r601
from trainer.core.world.codes import LABELS
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork

pytestmark = pytest.mark.browser


def exam_with_a_wrong_residence(live_server: LiveServer, locale: str) -> tuple[int, int, int]:
    """A submitted exam, in a cohort of its own the demo examiner reviews, whose form gives
    the head's residence (D7) another code than the truth: (attempt, cohort, the code)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        attempt = begun_exam(db, f"words-{locale.lower()}-", f"代码 {locale} ", "Words-review-2020",
                             examiner=accounts.user_by_username(db, "examiner"))
        for action in ("greet", "show_id", "explain_purpose", "ask_item:roster"):
            fieldwork.take_step(db, attempt, "wang", action, None)
        visit = fieldwork.replay_attempt(attempt)
        record = copy.deepcopy(r601.record_of(visit.households["wang"].truth.household))
        code = 3 if record["persons"][0]["D7"] != 3 else 4
        record["persons"][0]["D7"] = code
        fieldwork.save_form(db, attempt, "wang", record, complete=False, confirmed=False)
        fieldwork.submit(db, attempt)
        db.commit()
        return attempt.id, attempt.assignment.cohort_id, code


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_codes_and_nodes_read_as_words_on_a_portrait_tablet(
        examiner_page: Callable[..., Any], live_server: LiveServer, locale: str) -> None:
    attempt, cohort, code = exam_with_a_wrong_residence(live_server, locale)
    words = LABELS["D7"][code][0 if locale.startswith("zh") else 1]
    page = examiner_page({"width": 768, "height": 1024}, locale)
    page.goto(f"/review/attempts/{attempt}")
    diffs = page.locator("[data-test=form-diffs]")
    row = diffs.locator("tr", has=page.locator("[data-where='persons[0]/D7']"))
    given = row.locator("td.given")
    assert given.inner_text().startswith(words)
    assert given.locator(".answer-code").inner_text() == str(code)
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    row.scroll_into_view_if_needed()
    diffs.screenshot(path=str(ARTIFACTS / f"review-codes-768-{locale}.png"))

    page.goto(f"/cohorts/{cohort}/dashboard")
    nodes = page.locator("[data-test=nodes]")
    door = nodes.locator("[data-test=node]", has_text="main/door").first
    said = "谁呀？" if locale.startswith("zh") else "Who is it?"
    assert said in door.inner_text()
    assert door.locator(".raw-id").inner_text() == "main/door"
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    nodes.scroll_into_view_if_needed()
    nodes.screenshot(path=str(ARTIFACTS / f"review-nodes-768-{locale}.png"))
