"""The trainee's field work on a tablet, portrait (768x1024) and landscape (1024x768), in
Chinese and English, measured rather than compared with pictures: the doorstep actions, the
links to the forms and the map editor's controls are finger-sized (40 px at least), the
register and the death form show whole options, an error under a register field is red,
below its field and leaves the value typed in view, and no short text (a day, its minutes,
an address, "not applicable") is broken inside a word. On every trainee page: a checkbox's
target (its label) is 44 px each way, a link is 44 px tall, no label, link, heading or cell
breaks inside a word or a Chinese phrase, and the header takes two rows in portrait (the brand
and the tools, then the pages) and one in landscape, with nothing beyond the screen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ARTIFACTS,
    BROKEN_WORDS,
    CUT_OFF,
    SHORT_LINKS,
    SMALL_CHECKS,
    LiveServer,
    logged_in_page,
)
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.scenario import loader
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

pytestmark = pytest.mark.browser
PASSWORD = "Trainee-tablet-2020"
SIZES = {"portrait": (768, 1024), "landscape": (1024, 768)}
LOCALES = {"zh_CN": "zh-CN", "en": "en-US"}
STEPS = ("greet", "show_id", "explain_purpose", "explain_legal_basis", "promise_confidentiality")
TAP = 40  # px: the least height of a control a finger taps (and 24, WCAG's least, its width)
TARGET = 44  # px: a checkbox's or radio's target either way, and a link's height on touch
_made: dict[str, int] = {}


def _version(db: Any, scenario: str) -> Any:
    path = project_root() / "scenarios" / f"{scenario}.yaml"
    return (scenario_services.publish(db, loader.load(path), actor=None)
            or scenario_services.get_version(db, scenario))


def attempts(live_server: LiveServer) -> dict[str, int]:
    """A trainee of their own with a submitted attempt at the cooperative family (its debrief),
    a second one under way (the Wangs met, a few steps taken) and one at the village map."""
    if _made:
        return _made
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="tablettrainer",
                                       full_name="平板培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username="tablettrainee",
                                       full_name="平板学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name="平板班", trainer=trainer)
        cohort.trainees = [trainee]
        family = services.assign(db, actor=trainer, cohort=cohort, mode=Mode.PRACTICE,
                                 version=_version(db, "cooperative-family"), due_on=None)
        village = services.assign(db, actor=trainer, cohort=cohort, mode=Mode.PRACTICE,
                                  version=_version(db, "village-map"), due_on=None)
        for name in ("done", "open"):
            attempt = services.start_attempt(db, trainee, family)
            services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
            for action in STEPS:
                services.take_step(db, attempt, "wang", action, None)
            if name == "done":
                services.submit(db, attempt)
            _made[name] = attempt.id
        _made["map"] = services.start_attempt(db, trainee, village).id
        db.commit()
    return _made


@pytest.fixture(params=[(locale, size) for locale in LOCALES for size in SIZES],
                ids=lambda param: f"{param[0]}-{param[1]}")
def tablet(request: Any, browser: Any, live_server: LiveServer
           ) -> Iterator[tuple[Any, str, dict[str, int]]]:
    """The trainee, logged in on a touch tablet of the parameter's language and orientation:
    the page, the name its screenshots take and the attempts' ids."""
    locale, size = request.param
    width, height = SIZES[size]
    made = attempts(live_server)
    with logged_in_page(browser, live_server, "tablettrainee", PASSWORD,
                        viewport={"width": width, "height": height}, locale=LOCALES[locale],
                        has_touch=True) as page:
        yield page, f"{locale}-{size}", made


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _fits_the_screen(page: Any) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, "the page is wider than the screen"


# The visible elements of a selector too small for a finger: "text: w x h".
TOO_SMALL = """([selector, least]) => [...document.querySelectorAll(selector)]
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([, box]) => box.width > 0 && (box.height < least || box.width < 24))
  .map(([el, box]) => `${el.innerText.trim() || el.title}: ${box.width}x${box.height}`)"""

# The elements of a selector whose text is laid out on more than one line.
BROKEN = """selector => [...document.querySelectorAll(selector)].filter(el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top));
  return new Set(tops).size > 1;
}).map(el => el.innerText)"""



def test_the_visit_is_done_with_a_finger(tablet: tuple[Any, str, dict[str, int]]) -> None:
    page, name, made = tablet
    page.goto(f"/training/attempts/{made['open']}")
    expect(page.locator("button[data-action]").first).to_be_visible()
    _shot(page, f"tablet-visit-{name}")
    _fits_the_screen(page)
    assert page.locator(".offers button").count() > 10
    assert page.evaluate(TOO_SMALL, [".offers button", TAP]) == []
    assert page.locator(".forms-card li a").count() >= 5
    assert page.evaluate(TOO_SMALL, [".forms-card li a", TAP]) == []
    # a day and its minutes, in the side column of a landscape tablet: one line each
    assert page.evaluate(BROKEN, ".calendar td:first-child, .calendar small") == []
    # the header's language select and log-out button (on every page) are finger-sized too
    assert page.locator(".nav-tools select, .nav-tools button:visible").count() >= 2
    assert page.evaluate(TOO_SMALL, [".nav-tools select, .nav-tools button", TAP]) == []


def test_the_debrief_breaks_no_word(tablet: tuple[Any, str, dict[str, int]]) -> None:
    page, name, made = tablet
    page.goto(f"/training/attempts/{made['done']}")
    not_applicable = page.locator("[data-test=debrief] td small")
    expect(not_applicable.first).to_be_visible()
    _shot(page, f"tablet-debrief-{name}")
    _fits_the_screen(page)
    assert page.evaluate(BROKEN, "[data-test=debrief] td small") == []


def test_the_register_and_the_death_form_show_whole_options(
        tablet: tuple[Any, str, dict[str, int]]) -> None:
    page, name, made = tablet
    page.goto(f"/training/attempts/{made['open']}/register")
    expect(page.locator("[data-test=row-wang]")).to_be_visible()
    _shot(page, f"tablet-register-{name}")
    _fits_the_screen(page)  # the table scrolls inside its frame
    assert page.evaluate(CUT_OFF, "table.register select") == []
    assert page.evaluate(BROKEN, "table.register td:first-child small") == []  # the address
    assert page.evaluate(TOO_SMALL, ["table.register select", TAP]) == []

    page.goto(f"/training/attempts/{made['open']}/deaths?add=1")
    expect(page.locator("[data-test=death-0]")).to_be_visible()
    _fits_the_screen(page)
    assert page.evaluate(CUT_OFF, "table.register select") == []


def test_a_register_error_is_red_below_its_field_and_keeps_the_value_in_view(
        tablet: tuple[Any, str, dict[str, int]]) -> None:
    page, name, made = tablet
    page.goto(f"/training/attempts/{made['open']}/register")
    number = page.locator("#rows-0-number")
    number.fill("1000")
    with page.expect_navigation():
        page.locator("[data-test=save-register]").click()
    error = page.locator("[data-test=row-wang] .field-error")
    expect(error).to_have_text("数值大小必须介于 0 到 999 之间。" if name.startswith("zh")
                               else "Number must be between 0 and 999.")
    _shot(page, f"tablet-register-error-{name}")
    expect(number).to_have_value("1000")
    assert error.evaluate("e => getComputedStyle(e).color") == "rgb(180, 35, 24)"
    field, below = number.bounding_box(), error.bounding_box()
    assert field is not None and below is not None and below["y"] >= field["y"] + field["height"]
    assert page.evaluate(CUT_OFF, "#rows-0-number") == []


def test_the_map_editor_is_finger_sized(tablet: tuple[Any, str, dict[str, int]]) -> None:
    page, name, made = tablet
    page.goto(f"/training/attempts/{made['map']}/map")
    zoom = page.locator(".leaflet-control-zoom a")
    expect(zoom.first).to_be_visible()
    _shot(page, f"tablet-map-{name}")
    _fits_the_screen(page)
    assert page.evaluate(TOO_SMALL, [".leaflet-control-zoom a", TAP]) == []
    assert page.evaluate(TOO_SMALL, [".map-toolbar button", TAP]) == []
    assert page.evaluate(TOO_SMALL, [".map-panel button, .map-panel select, "
                                     ".map-panel a[role=button]", TAP]) == []
    # the panel's selects show their options whole, the building's type (shown when a building
    # is selected) as well as what a label names ("Landmark (school, market, clinic, bridge)"
    # was cut off in English at 1024 px)
    page.evaluate("document.getElementById('mark-panel').hidden = false")
    selects = page.locator("#mark-type, #label-kind")
    expect(selects).to_have_count(2)
    assert all(box is not None and box["width"] > 100
               for box in (select.bounding_box() for select in selects.all()))
    assert page.evaluate(CUT_OFF, "#mark-type, #label-kind") == []
    expect(page.locator("#label-kind-hint")).to_have_text(
        "标志物：学校、市场、卫生站、桥等" if name.startswith("zh")
        else "Landmarks: a school, market, clinic, bridge…")


def _pages(made: dict[str, int]) -> dict[str, str]:
    """The trainee's pages of a visit, of its forms and of the map: name → address."""
    visit = f"/training/attempts/{made['open']}"
    return {"training": "/training", "maps": "/training/maps", "visit": visit,
            "debrief": f"/training/attempts/{made['done']}", "register": f"{visit}/register",
            "deaths": f"{visit}/deaths?add=1", "tally": f"{visit}/tally",
            "check": f"{visit}/check", "listing": f"{visit}/listing",
            "form": f"{visit}/forms/wang", "map": f"/training/attempts/{made['map']}/map"}


def test_every_checkbox_is_a_finger_sized_target(
        tablet: tuple[Any, str, dict[str, int]]) -> None:
    page, name, made = tablet
    pages = _pages(made)
    page.goto(pages["listing"])
    page.locator(".walk-chip").first.click()
    expect(page.locator("[data-test=listing-form]")).to_be_visible()
    pages["listing"] = page.url
    for key in ("register", "deaths", "form", "listing"):
        page.goto(pages[key])
        boxes = page.locator("main input[type=checkbox]:visible")
        expect(boxes.first).to_be_visible()
        assert page.evaluate(SMALL_CHECKS, TARGET) == [], key
        box = boxes.first.bounding_box()
        assert box is not None and box["width"] >= 22, key  # the box itself is seen well
    # a register cell's checkbox is ticked by a tap beside its box, on its label
    page.goto(pages["register"])
    long_form = page.locator("#rows-0-long_form")
    long_form.scroll_into_view_if_needed()  # the table scrolls inside its frame
    _shot(page, f"tablet-register-checks-{name}")
    target = long_form.locator("xpath=..").bounding_box()
    box = long_form.bounding_box()
    assert target is not None and box is not None
    checked = long_form.is_checked()
    page.touchscreen.tap(target["x"] + 3, target["y"] + 3)  # outside the box
    assert box["x"] > target["x"] + 3 and box["y"] > target["y"] + 3
    assert long_form.is_checked() != checked
    page.touchscreen.tap(target["x"] + 3, target["y"] + 3)  # back as it was (one save)
    assert long_form.is_checked() == checked


def test_every_link_is_finger_sized_on_touch(tablet: tuple[Any, str, dict[str, int]]) -> None:
    page, name, made = tablet
    for key, path in _pages(made).items():
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        if key == "debrief":
            _shot(page, f"tablet-debrief-links-{name}")
        assert page.evaluate(SHORT_LINKS, TARGET) == [], key
        _fits_the_screen(page)


def test_no_label_breaks_inside_a_word(tablet: tuple[Any, str, dict[str, int]]) -> None:
    page, _name, made = tablet
    for key, path in _pages(made).items():
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        assert page.evaluate(BROKEN_WORDS) == [], key


# The header's three lists (brand, pages, tools): their boxes, and how far any item of the
# header reaches to the right.
HEADER = """() => {
  const nav = document.querySelector('.site-header nav');
  const box = el => { const r = el.getBoundingClientRect();
                      return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  return {brand: box(nav.querySelector('.brand').closest('ul')),
          links: box(nav.querySelector('.nav-links')), tools: box(nav.querySelector('.nav-tools')),
          right: Math.max(...[...nav.querySelectorAll('li')].map(li => box(li).right)),
          clipped: nav.scrollWidth > nav.clientWidth};
}"""


def test_the_header_fits_in_rows_of_its_own(tablet: tuple[Any, str, dict[str, int]]) -> None:
    page, name, made = tablet
    page.goto(_pages(made)["visit"])
    header = page.evaluate(HEADER)
    page.locator(".site-header").screenshot(path=str(ARTIFACTS / f"tablet-header-{name}.png"))
    width = page.evaluate("window.innerWidth")
    assert header["right"] <= width and not header["clipped"]
    _fits_the_screen(page)
    # its links (the brand, the pages, notifications, the trainee's name) are finger-sized,
    # as its language select and log-out button are
    assert page.locator(".site-header a[href]").count() >= 4
    assert page.evaluate(TOO_SMALL, [".site-header a[href]", 44]) == []
    brand, links, tools = header["brand"], header["links"], header["tools"]
    assert tools["top"] == brand["top"] and tools["right"] <= width  # the tools beside the brand
    if name.endswith("portrait"):
        # the pages on a row of their own, below the brand and the tools, from the left
        assert links["top"] >= max(brand["bottom"], tools["bottom"]) - 1
        assert links["left"] <= brand["left"] + 16
    else:
        assert links["top"] == brand["top"]  # one row on a landscape tablet
