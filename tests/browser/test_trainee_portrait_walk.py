"""The trainee's walk on a touch tablet held upright (768x1024), in Chinese: My training, the
listing walk, the R601 form, a door nobody opens and the small-area map, each measured for
what was broken or confusing there: a Start button beyond the frame, a unit's internal key
and cut-off options in the listing, half-width punctuation on the form, a mood shown for an
empty flat, Leaflet's English zoom titles and the building's number a screen below the map."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, CUT_OFF, LiveServer, logged_in_page
from tests.browser.test_trainee_tablet import _version
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode

pytestmark = pytest.mark.browser
PASSWORD = "Trainee-portrait-2020"
PORTRAIT = {"width": 768, "height": 1024}
_made: dict[str, int] = {}


def attempts(live_server: LiveServer) -> dict[str, int]:
    """A trainee of their own with three exercises: the cooperative family begun (knocked, the
    roster asked), the family nobody is home for (knocked on a weekday morning) and the
    village map begun."""
    if _made:
        return _made
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="portraittrainer",
                                       full_name="竖屏培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="portraittrainee",
                                       full_name="竖屏学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="竖屏班", trainer=trainer)
        cohort.trainees = [trainee]
        made = {}
        for scenario in ("cooperative-family", "nobody-home-revisit", "village-map"):
            assignment = services.assign(db, actor=trainer, cohort=cohort, mode=Mode.PRACTICE,
                                         version=_version(db, scenario), due_on=None)
            made[scenario] = services.start_attempt(db, trainee, assignment).id
            if scenario == "cooperative-family":
                attempt = services.start_attempt(db, trainee, assignment)
                services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
                for action in ("greet", "show_id", "explain_purpose", "explain_legal_basis",
                               "promise_confidentiality", "ask_item:roster"):
                    services.take_step(db, attempt, "wang", action, None)
            if scenario == "nobody-home-revisit":  # both at work on a Friday morning
                attempt = services.start_attempt(db, trainee, assignment)
                services.take_step(db, attempt, "liu", "knock", datetime(2020, 11, 6, 10, 0))
        db.commit()
        _made.update(made)
    return _made


@pytest.fixture
def portrait(browser: Any, live_server: LiveServer) -> Iterator[tuple[Any, dict[str, int]]]:
    """The trainee on a touch tablet held upright, speaking Chinese."""
    made = attempts(live_server)
    with logged_in_page(browser, live_server, "portraittrainee", PASSWORD, viewport=PORTRAIT,
                        locale="zh-CN", has_touch=True) as page:
        yield page, made


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portrait-{name}.png"), full_page=True)


def _fits(page: Any) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner


def test_every_start_button_is_in_view(portrait: tuple[Any, dict[str, int]]) -> None:
    page, _made = portrait
    page.goto("/training")
    buttons = page.locator("[data-test^=start-]")
    expect(buttons).to_have_count(3)
    _shot(page, "my-training")
    _fits(page)
    frame = page.locator("table.exercise-cards").locator("xpath=..").bounding_box()
    assert frame is not None
    for button in buttons.all():  # beyond the table's frame (scrolled out of it) they were
        box = button.bounding_box()
        assert box is not None and box["x"] + box["width"] <= frame["x"] + frame["width"]
    # each figure says what it is, as the hidden table head did
    expect(page.locator("table.exercise-cards td[data-label]").first).to_have_attribute(
        "data-label", "方式：")
    with page.expect_navigation():
        buttons.first.tap()
    expect(page.locator("main h1")).to_have_text("配合的家庭")


def test_the_listing_shows_addresses_not_keys_and_whole_fields(
        portrait: tuple[Any, dict[str, int]]) -> None:
    page, made = portrait
    page.goto(f"/training/attempts/{made['cooperative-family']}/listing?building=3")
    unit = page.locator("[data-test=row-wang]")
    expect(unit).to_be_visible()
    _shot(page, "listing")
    _fits(page)
    expect(unit.locator("legend")).not_to_contain_text("wang")  # the scenario's key
    assert page.evaluate(CUT_OFF, ".listing-fields select") == []
    frame = unit.bounding_box()
    letter = page.locator("[data-test=letter-wang]").locator("xpath=..").bounding_box()
    assert frame is not None and letter is not None
    assert letter["x"] + letter["width"] <= frame["x"] + frame["width"]
    page.locator("[data-test=letter-wang]").tap()
    expect(page.locator("[data-test=letter-wang]")).to_be_checked()


def test_the_form_speaks_with_full_width_punctuation(
        portrait: tuple[Any, dict[str, int]]) -> None:
    page, made = portrait
    page.goto(f"/training/attempts/{made['cooperative-family']}/forms/wang")
    expect(page.locator("[data-test=person-0] legend")).to_have_text("第 1 人（户主在前）")
    answer = page.locator(".answers li").first
    expect(answer).to_contain_text("家里有哪些人：王建国")
    _shot(page, "r601")
    _fits(page)


def test_a_door_nobody_opens_shows_no_mood(portrait: tuple[Any, dict[str, int]]) -> None:
    page, made = portrait
    page.goto(f"/training/attempts/{made['nobody-home-revisit']}")
    expect(page.locator("[data-test=event]").first).to_contain_text("没有人开门")
    card = page.locator("[data-test=household-liu]")
    expect(card.locator("button[data-action=leave_notice]")).to_be_visible()
    _shot(page, "nobody-home")
    expect(card.locator(".state")).to_have_count(0)  # "信任度 0" read as a bad start


def test_the_map_tools_speak_chinese_and_the_number_is_below_the_map(
        portrait: tuple[Any, dict[str, int]]) -> None:
    page, made = portrait
    page.goto(f"/training/attempts/{made['village-map']}/map")
    editor = page.locator("#map-editor")
    zoom_in = page.locator(".leaflet-control-zoom-in")
    expect(zoom_in).to_be_visible()
    # the page's words for Leaflet's zoom buttons (its own were English in a Chinese page)
    words = editor.get_attribute("data-msg-zoom-in")
    assert words and zoom_in.get_attribute("title") == words
    assert page.locator(".leaflet-control-zoom-out").get_attribute(
        "title") == editor.get_attribute("data-msg-zoom-out")
    page.locator("[data-tool=building]").tap()
    box = editor.bounding_box()
    assert box is not None
    page.touchscreen.tap(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    panel = page.locator("#mark-panel")
    expect(panel).to_be_visible()
    _shot(page, "map-building")
    _fits(page)
    number, actions = panel.bounding_box(), page.locator("[data-test=map-actions]").bounding_box()
    assert number is not None and actions is not None
    # right below the map and its status, before the print links and the area's details
    assert number["y"] < actions["y"]
    assert number["y"] < box["y"] + box["height"] + 120
    expect(page.locator("#mark-number")).to_have_value("1")


def test_the_place_of_another_county_is_asked_where_the_code_asks_for_it(
        portrait: tuple[Any, dict[str, int]]) -> None:
    """D7 = 5 and D8 = 4 are followed by the province, city and county written out: the
    field shows while its item has that code, and stays while it holds text (nothing typed
    disappears)."""
    page, made = portrait
    page.goto(f"/training/attempts/{made['cooperative-family']}/forms/wang")
    d7, d8 = page.locator("[data-test=place-0-D7]"), page.locator("[data-test=place-0-D8]")
    expect(d7).to_be_hidden()
    expect(d8).to_be_hidden()
    page.locator("#persons-0-D8").select_option("4")
    expect(d8).to_be_visible()
    expect(d8.locator("label")).to_have_text("D8 户口登记地省、市、县（选 4 时填）")
    expect(d7).to_be_hidden()
    d8.locator("input").fill("湖北省荆州市洪湖市")
    _shot(page, "r601-place")
    _fits(page)
    page.locator("#persons-0-D8").select_option("1")
    expect(d8).to_be_visible()  # it holds text: kept in sight, for the check to speak of
    d8.locator("input").fill("")
    page.locator("#persons-0-D7").select_option("5")
    expect(d8).to_be_hidden()
    expect(d7).to_be_visible()
