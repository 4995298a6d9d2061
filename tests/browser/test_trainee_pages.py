"""The trainee's pages on tablets and a desktop, in Chinese and English: the death form never
widens the page (its table scrolls inside it), the census form R601 shows every option of its
selects and the whole 18-digit ID number, its checkboxes are targets of 44 px each way (their
labels) with a 24 px box, a mouse's as well as a finger's, and breaks no label inside a word or
a Chinese phrase; and an attempt opens with its transcript at the latest turn."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ARTIFACTS,
    BROKEN_WORDS,
    CUT_OFF,
    SMALL_CHECKS,
    LiveServer,
    logged_in_page,
)
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.census.r601 import record_of
from trainer.core.scenario import loader
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

pytestmark = pytest.mark.browser
PASSWORD = "Trainee-pages-2020"
SIZES = {"t768": (768, 1024), "t1024": (1024, 768), "d1366": (1366, 768)}
LOCALES = {"zh_CN": "zh-CN", "en": "en-US"}
# more turns than the transcript's box shows at once
STEPS = ("greet", "show_id", "show_id", "explain_purpose", "explain_purpose",
         "explain_legal_basis", "promise_confidentiality", "ask_item:roster", "ask_item:H1",
         "ask_item:H3", "ask_item:H5", "ask_item:D2", "ask_item:D4", "ask_item:D5")
_made: dict[str, int] = {}


def attempt_of_my_own(live_server: LiveServer) -> int:
    """A trainee of their own (the demo users stay as the other tests know them) with a
    practice attempt at the cooperative family: the Wangs visited, many turns taken, their
    R601 saved with the true ID number of the head."""
    if "attempt" in _made:
        return _made["attempt"]
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="pagestrainer",
                                       full_name="页面培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="pagestrainee",
                                       full_name="页面学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="页面班", trainer=trainer)
        cohort.trainees = [trainee]
        path = project_root() / "scenarios" / "cooperative-family.yaml"
        version = (scenario_services.publish(db, loader.load(path), actor=None)
                   or scenario_services.get_version(db, "cooperative-family"))
        assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                     mode=Mode.PRACTICE, due_on=None)
        attempt = services.start_attempt(db, trainee, assignment)
        services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
        for action in STEPS:
            services.take_step(db, attempt, "wang", action, None)
        truth = record_of(services.replay_attempt(attempt).households["wang"].truth.household)
        head = {"D1": truth["persons"][0]["D1"], "D3": truth["persons"][0]["D3"]}
        services.save_form(db, attempt, "wang", {"persons": [head]}, complete=False,
                           confirmed=False, visit=services.replay_attempt(attempt))
        db.commit()
        _made["attempt"] = attempt.id
    return _made["attempt"]


@pytest.fixture(params=[(locale, size) for locale in LOCALES for size in SIZES],
                ids=lambda param: f"{param[0]}-{param[1]}")
def trainee_page(request: Any, browser: Any, live_server: LiveServer
                 ) -> Iterator[tuple[Any, str, int]]:
    """The trainee, logged in, in a page of the parameter's language and size: the page, the
    name its screenshots take and the attempt's id."""
    locale, size = request.param
    width, height = SIZES[size]
    attempt_id = attempt_of_my_own(live_server)
    with logged_in_page(browser, live_server, "pagestrainee", PASSWORD,
                        viewport={"width": width, "height": height},
                        locale=LOCALES[locale]) as page:
        yield page, f"{locale}-{size}", attempt_id


def _shot(page: Any, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def _page_width(page: Any) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_the_death_form_scrolls_inside_the_page(trainee_page: tuple[Any, str, int]) -> None:
    page, name, attempt_id = trainee_page
    page.goto(f"/training/attempts/{attempt_id}/deaths?add=1")
    expect(page.locator("[data-test=death-0]")).to_be_visible()
    _shot(page, f"trainee-deaths-{name}", full_page=False)
    scroll_width, width = _page_width(page)
    assert scroll_width <= width, "the death form widens the page"
    wrap = page.locator("[data-test=deaths-form] .table-wrap")
    box = wrap.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    # the last column (remove the row) is reached by scrolling the table, not the page
    remove = page.locator("#rows-0-remove")
    remove.scroll_into_view_if_needed()
    shown = remove.bounding_box()
    assert shown is not None and shown["x"] >= 0 and shown["x"] + shown["width"] <= width
    assert page.evaluate("window.scrollX") == 0




def test_the_census_form_shows_whole_options_in_one_language(
        trainee_page: tuple[Any, str, int]) -> None:
    page, name, attempt_id = trainee_page
    page.goto(f"/training/attempts/{attempt_id}/forms/wang")
    head_id = page.locator("#persons-0-D3")
    expect(head_id).to_have_value(re.compile(r"^\d{17}[\dX]$"))
    _shot(page, f"trainee-census-form-{name}")
    assert page.evaluate(CUT_OFF, ".census-form select, .census-form input[type=text]") == []
    options = page.locator("#H1 option").all_inner_texts()
    if name.startswith("zh_CN"):
        assert options[1:] == ["1 家庭户", "2 集体户"]
    else:
        assert options[1:] == ["1 Family household", "2 Collective household"]
    scroll_width, width = _page_width(page)
    assert scroll_width <= width


def test_the_census_form_has_finger_sized_checkboxes_and_whole_words(
        trainee_page: tuple[Any, str, int]) -> None:
    page, name, attempt_id = trainee_page
    page.goto(f"/training/attempts/{attempt_id}/forms/wang")
    confirmed = page.locator("#confirmed")
    expect(confirmed).to_be_visible()
    confirmed.scroll_into_view_if_needed()
    _shot(page, f"trainee-census-form-checks-{name}", full_page=False)
    assert page.locator("main input[type=checkbox]:visible").count() >= 3
    assert page.evaluate(SMALL_CHECKS, 44) == []
    box = confirmed.bounding_box()
    assert box is not None and 22 <= box["width"] <= 28 and 22 <= box["height"] <= 28
    # a click on the label, right of the box, ticks it
    label = page.locator("label[for=confirmed]")
    was = confirmed.is_checked()
    label.click(position={"x": box["width"] + 20, "y": 5})
    assert confirmed.is_checked() != was
    label.click(position={"x": box["width"] + 20, "y": 5})
    assert page.evaluate(BROKEN_WORDS) == []
    scroll_width, width = _page_width(page)
    assert scroll_width <= width


LATEST_SHOWN = """() => {
  const list = document.querySelector('.events');
  const last = list.querySelector('li.event:last-child').getBoundingClientRect();
  const box = list.getBoundingClientRect();
  return {overflows: list.scrollHeight > list.clientHeight,
          atEnd: list.scrollTop + list.clientHeight >= list.scrollHeight - 2,
          lastShown: last.bottom <= box.bottom + 1 && last.top >= box.top - 1
                     && last.bottom <= window.innerHeight,
          pageTop: window.scrollY};
}"""


def test_an_opened_attempt_shows_the_latest_turn(trainee_page: tuple[Any, str, int]) -> None:
    page, name, attempt_id = trainee_page
    page.goto(f"/training/attempts/{attempt_id}")  # as the Continue button and links open it
    expect(page.locator("[data-test=event]")).to_have_count(len(STEPS) + 1)
    state = page.evaluate(LATEST_SHOWN)
    _shot(page, f"trainee-attempt-opened-{name}", full_page=False)
    assert state["overflows"], "too few turns for the test: the transcript does not scroll"
    assert state["atEnd"] and state["lastShown"], state
    assert state["pageTop"] == 0  # the page itself opens at its top, the title in view
