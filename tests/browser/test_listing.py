"""The listing walk (摸底) in Chromium: two buildings walked, their rows filled in place and
autosaved, a self-reporting code generated, on a tablet (1024x768, mouse and keyboard) and on
a phone (390x844, touch). Screenshots of each stage."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in
from tests.features.test_listing import PICKED, STREET
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.scenario import loader
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

pytestmark = pytest.mark.browser
PASSWORD = "Listing-walk-2020"
PHONE = {"width": 390, "height": 844}


def own_exercise(live_server: LiveServer, who: str, text: str = STREET) -> int:
    """A trainer, a trainee and a cohort of their own, with the two-building street (or
    another scenario)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username=f"{who}trainer",
                                       full_name="摸底培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainee = accounts.create_user(db, actor=None, username=f"{who}trainee",
                                       full_name="摸底学员", role=Role.TRAINEE,
                                       password=PASSWORD)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name=f"摸底班 {who}",
                                        trainer=trainer)
        cohort.trainees = [trainee]
        scenario = loader.parse(text)
        version = scenario_services.publish(db, scenario, actor=None)
        version = version or scenario_services.get_version(db, scenario.id)
        assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                     mode=Mode.PRACTICE, due_on=None)
        db.commit()
        return assignment.id


@pytest.fixture
def phone_page(browser: Any, live_server: LiveServer) -> Iterator[BrowserPage]:
    """A phone-sized touch page in its own context."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True,
                                  locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    bp = BrowserPage(page=page, base_url=live_server.url)
    page.on("console", bp.record_console)
    page.on("pageerror", lambda error: bp.errors.append(f"pageerror: {error}"))
    try:
        yield bp
    finally:
        page.close()
        context.close()


def fill_unit(page: Any, unit: str, **values: str) -> None:
    for name, value in values.items():
        field = page.locator(f"[data-test={name}-{unit}]")
        if name in ("status", "kind", "mode"):
            field.select_option(value)
        else:
            field.fill(value)


def walk(bp: BrowserPage, assignment_id: int, name: str, *, tap: bool) -> None:
    """Start the exercise, walk building 1 and building 2, and check what was saved."""
    page = bp.page
    with page.expect_navigation():
        page.locator(f'[data-test="start-{assignment_id}"]').click()
    with page.expect_navigation():
        page.locator("[data-test=listing]").click()
    expect(page.locator("[data-test=listing-map] svg")).to_be_visible()
    expect(page.locator("[data-test=chip-1]")).to_have_attribute("data-state", "none")
    bp.screenshot(f"listing-{name}-map")

    # building 1: by the map (a tap or a click on the drawn building)
    with page.expect_navigation():
        target = page.locator("[data-test=building-1]")
        target.tap() if tap else target.click()
    expect(page.locator("[data-test=building-heading]")).to_contain_text("Building 1")
    box = page.locator("[data-test=chip-1]").bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    expect(page.locator("[data-test=building-wu]")).to_have_value("1")  # where the walk is
    expect(page.locator("[data-test=unit-empty]")).to_have_value("102")
    fill_unit(page, "wu", status="occupied", number="1", head="吴刚", kind="family",
              present="2", away="0", mode="visit", phone="139 1234 5678")
    page.locator("[data-test=letter-wu]").check()
    fill_unit(page, "empty", status="vacant")
    expect(page.locator("[data-test=save-status]")).to_contain_text("Saved at")
    bp.screenshot(f"listing-{name}-building-1")
    page.reload()
    expect(page.locator("[data-test=head-wu]")).to_have_value("吴刚")  # autosaved
    expect(page.locator("[data-test=letter-wu]")).to_be_checked()
    expect(page.locator("[data-test=chip-1]")).to_have_attribute("data-state", "all")

    # building 2: from the keyboard (focus its entry in the list, Enter)
    page.locator("[data-test=chip-2]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("[data-test=building-heading]")).to_contain_text("Building 2")
    fill_unit(page, "dorm", status="occupied", number="2", head="王磊", kind="collective",
              present="2", away="0", mode="visit")
    page.locator("[data-test=letter-dorm]").check()
    fill_unit(page, "xu", status="occupied", number="3", head="许可", kind="family",
              present="1", away="0", mode="self")
    page.locator("[data-test=letter-xu]").check()
    with page.expect_navigation():
        button = page.locator("[data-test=issue-code-xu]")
        button.tap() if tap else button.click()
    expect(page.locator("[data-test=code-xu]")).to_have_text(re.compile(r"^[A-Z2-9]{10}$"))
    code = page.locator("[data-test=code-xu]").inner_text()
    expect(page.locator(".flash-success")).to_contain_text(code)
    expect(page.locator("[data-test=chip-2]")).to_have_attribute("data-state", "all")
    expect(page.locator("[data-test=building-2]")).to_have_attribute("data-state", "all")
    bp.screenshot(f"listing-{name}-building-2")

    # the whole register shows the same rows and the code
    with page.expect_navigation():
        page.locator("[data-test=to-register]").click()
    expect(page.locator("[data-test=code-xu]")).to_have_text(code)
    expect(page.locator("[data-test=row-dorm] select[name$=kind]")).to_have_value("collective")
    bp.screenshot(f"listing-{name}-register")
    bp.assert_no_errors()


def test_a_tablet_walks_two_buildings(browser_page: BrowserPage,
                                      live_server: LiveServer) -> None:
    assignment_id = own_exercise(live_server, "lwtab")
    log_in(browser_page, "lwtabtrainee", PASSWORD)
    walk(browser_page, assignment_id, "tablet", tap=False)


def test_a_phone_walks_two_buildings(phone_page: BrowserPage,
                                     live_server: LiveServer) -> None:
    assignment_id = own_exercise(live_server, "lwphone")
    log_in(phone_page, "lwphonetrainee", PASSWORD)
    walk(phone_page, assignment_id, "phone", tap=True)


def test_units_from_a_world_are_walked_on_its_area(browser_page: BrowserPage,
                                                   live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    assignment_id = own_exercise(live_server, "lwworld", PICKED)
    log_in(bp, "lwworldtrainee", PASSWORD)
    with page.expect_navigation():
        page.locator(f'[data-test="start-{assignment_id}"]').click()
    with page.expect_navigation():
        page.locator("[data-test=listing]").click()
    expect(page.locator(".walk-outline")).to_have_count(1)
    chip = page.locator("[data-test^=chip-]")
    expect(chip).to_have_count(1)  # one building holds the assignment's unit
    number = chip.get_attribute("data-test").removeprefix("chip-")
    drawn = page.locator(f"[data-test=building-{number}]")
    drawn.scroll_into_view_if_needed()
    box = drawn.bounding_box()
    assert box is not None and min(box["width"], box["height"]) >= 44
    with page.expect_navigation():
        drawn.click()
    expect(page.locator("[data-test=row-picked]")).to_be_visible()
    bp.screenshot("listing-world")
    bp.assert_no_errors()
