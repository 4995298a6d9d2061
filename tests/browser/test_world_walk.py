"""A trainer's walk through the world pages (issue 3) in a real browser, in Chinese and
English: the world form refuses every bad value typed into it with a localised error on the
field and in a list above the form, keeps what was typed and makes no world; on a touch
tablet (768x1024 and 1024x768) every link of a world page is a finger's target, the hard
cases open from a target as tall, no cell breaks inside a name or a Chinese phrase and nothing
is wider than the screen; on a 1366x768 screen a grid's whole map is in its frame; on a tablet
held upright the overview map, wider than its frame, shows a shadow where it scrolls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import (
    ARTIFACTS,
    BROKEN_WORDS,
    SHORT_LINKS,
    LiveServer,
    logged_in_page,
)
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.extensions import DB_KEY
from trainer.worlds import services
from trainer.worlds.models import World

pytestmark = pytest.mark.browser
PASSWORD = "World-walk-2020"
LOCALES = {"zh_CN": "zh-CN", "en": "en-US"}
SIZES = {"portrait": (768, 1024), "landscape": (1024, 768)}
TARGET = 44  # px: a link's height on a touch screen, and the hard cases' summary's
_made: dict[str, int] = {}

# What a trainer types (field id: text) and the error it must meet (field id, en, zh).
BAD_INPUT = [
    ({"seed": "abc"}, ("seed", "The seed must be a whole number from 0 to 9223372036854775807.",
                       "随机种子必须是 0 到 9223372036854775807 之间的整数。")),
    ({"urban_share": "lots"}, ("urban_share", "Enter the urban share as a number from 0 to 100 "
                               "per cent.", "请输入城镇人口比例：0 到 100 之间的数（百分比）。")),
    ({"rates-deaths": "0,5"}, ("rates-deaths", "Enter this share as a number from 0 to 100 per "
                               "cent.", "请输入该比例：0 到 100 之间的数（百分比）。")),
    ({"rates-vacant_units": "-5"}, ("rates-vacant_units",
                                    "Enter this share as a number from 0 to 90 per cent.",
                                    "请输入该比例：0 到 90 之间的数（百分比）。")),
    ({"rates-births": "1e400"}, ("rates-births", "Enter this share as a number from 0 to 3 per "
                                 "cent.", "请输入该比例：0 到 3 之间的数（百分比）。")),
    ({"grids": "0"}, ("grids", "Enter the number of grids, a whole number from 1 to 8000.",
                      "请输入网格数：1 到 8000 之间的整数。")),
    ({"grids": "9" * 30}, ("grids", "Enter the number of grids, a whole number from 1 to 8000.",
                           "请输入网格数：1 到 8000 之间的整数。")),
    ({"region": "43060"}, ("region", "The region code has 6 digits, e.g. 430602.",
                           "区划代码为 6 位数字，例如 430602。")),
    ({"region": "999999"}, ("region", "999999 is not a county-level or prefecture region code.",
                            "999999 不是县级或地级区划代码。")),
    ({"rates-hukou_other_village": "40", "rates-hukou_other_township": "50",
      "rates-hukou_other_province": "30"},
     ("rates-hukou_other_township", "The hukou-place rates add up to 137.3 %, above 100 %.",
      "户口登记地各项比例合计 137.3%，超过 100%。")),
    ({"area_min_units": "90", "area_target_units": "95", "area_max_units": "100"},
     ("area_min_units", "A grid of 301 housing units cannot be split into areas of 90-100 "
      "units.", "有 301 个住房单元的网格无法划分为每区 90-100 个单元的普查小区。")),
    ({"households_min": "600", "households_max": "500"},
     ("households_min", "Households per grid: the minimum must be at least 1 and not above "
      "the maximum (at most 5000).",
      "每个网格的户数：最小值至少为 1，且不大于最大值（最多 5000）。")),
    ({"name": ""}, ("name", "Give the world a name.", "请为模拟世界填写名称。")),
    ({"name": "长" * 10_000}, ("name", "The name is at most 120 characters long.",
                               "名称最多 120 个字符。")),
]


def made(live_server: LiveServer) -> dict[str, int]:
    """A trainer of their own (no language saved) and a small world of 岳阳楼区, counted."""
    if _made:
        return _made
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="worldwalker",
                                       full_name="走查培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        world = services.create_world(db, actor=trainer, name="走查的世界 walk",
                                      spec_data={"region": "430602", "grids": 2,
                                                 "households_min": 300,
                                                 "households_max": 320},
                                      seed=3003)
        db.commit()
        _made["world"] = world.id
        grid = services.grid(world, 0)  # a household with a death of the year, for its table
        _made["died"] = next(i for i in range(len(grid.plans)) if grid.household(i).deaths)
    return _made


def world_count(live_server: LiveServer) -> int:
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        return db.scalar(select(func.count(World.id))) or 0


def trainer_page(browser: Any, live_server: LiveServer, locale: str, size: tuple[int, int],
                 **options: Any) -> Any:
    """The walk's trainer logged in, on a page of that language and size."""
    made(live_server)
    return logged_in_page(browser, live_server, "worldwalker", PASSWORD, locale=LOCALES[locale],
                          viewport={"width": size[0], "height": size[1]}, **options)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"world-walk-{name}.png"), full_page=True)


def _type(page: Any, field: str, text: str) -> None:
    """Type into a box as a trainer does (a number box takes only what it can read); a long
    text is pasted."""
    box = page.locator(f"[id='{field}']")
    if field.startswith("rates-") and not box.is_visible():
        page.locator("details > summary").click()  # the hard cases open
    box.fill("")
    if len(text) > 100:
        box.fill(text)
    else:
        box.press_sequentially(text)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_world_form_refuses_bad_input_and_keeps_it(browser: Any, live_server: LiveServer,
                                                       locale: str) -> None:
    made(live_server)
    before = world_count(live_server)
    with trainer_page(browser, live_server, locale, (1366, 768)) as page:
        for typed, (field, english, chinese) in BAD_INPUT:
            page.goto("/worlds/new")
            _type(page, "name", "走查 walk")
            for name, text in typed.items():
                _type(page, name, text)
            with page.expect_navigation() as sent:
                page.locator("form.world-form button[type=submit]").click()
            message = english if locale == "en" else chinese
            assert sent.value.status == 400, typed
            expect(page.locator(f"[id='{field}-error']")).to_have_text(message)
            # the field named and linked above the form, in view as the page opens
            summary = page.locator("[data-test=error-summary]")
            link = summary.locator(f"a[href='#{field}']")
            label = page.locator(f"label[for='{field}']").inner_text().rstrip(" *")
            expect(link).to_have_text(label)
            expect(link.locator("xpath=..")).to_contain_text(message)
            box = summary.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 768, typed
            for name, text in typed.items():  # what was typed is still there
                assert page.locator(f"[id='{name}']").input_value() == text, (name, typed)
            if field == "rates-births":
                _shot(page, f"form-errors-{locale}")
    assert world_count(live_server) == before  # no world made


def _pages(world: int) -> dict[str, str]:
    base = f"/worlds/{world}"
    return {"index": "/worlds", "new": "/worlds/new", "world": base, "overview": f"{base}/map",
            "grid": f"{base}/grids/0", "area": f"{base}/grids/0/areas/001"}


@pytest.fixture(params=[(locale, size) for locale in LOCALES for size in SIZES],
                ids=lambda param: f"{param[0]}-{param[1]}")
def tablet(request: Any, browser: Any, live_server: LiveServer) -> Iterator[tuple[Any, str]]:
    """The walk's trainer on a touch tablet of the parameter's language and orientation."""
    locale, size = request.param
    with trainer_page(browser, live_server, locale, SIZES[size], has_touch=True) as page:
        yield page, f"{locale}-{size}"


def test_world_pages_are_made_for_a_finger(tablet: tuple[Any, str],
                                           live_server: LiveServer) -> None:
    page, name = tablet
    pages = _pages(made(live_server)["world"])
    page.goto(pages["area"])
    pages["household"] = page.locator("table.truth a[href*='/households/']").first.get_attribute(
        "href") or ""
    pages["deaths"] = f"/worlds/{made(live_server)['world']}/grids/0/households/" + str(
        made(live_server)["died"])
    for key, path in pages.items():
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate(SHORT_LINKS, TARGET) == [], key
        narrow = page.evaluate("""() => [...document.querySelectorAll('main a[href]')]
          .filter(a => !a.closest('svg') && /^\\d{3}$/.test(a.innerText.trim()))
          .map(a => a.getBoundingClientRect().width).filter(w => w < 44)""")
        assert narrow == [], key  # a household's number ("001") is as wide as tall
        assert page.evaluate(BROKEN_WORDS) == [], key
        width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width <= inner, key
        if key in ("area", "household", "deaths"):
            _shot(page, f"{key}-{name}")
    page.goto(pages["new"])
    summary = page.locator("details > summary").bounding_box()
    assert summary is not None and summary["height"] >= TARGET


def test_a_grid_map_is_whole_in_its_frame_on_a_desktop(browser: Any,
                                                       live_server: LiveServer) -> None:
    world = made(live_server)["world"]
    with trainer_page(browser, live_server, "en", (1366, 768)) as page:
        page.goto(_pages(world)["grid"])
        frame = page.locator(".map-frame")
        expect(frame.locator("svg")).to_be_visible()
        inside, room = frame.evaluate("f => [f.scrollHeight, f.clientHeight]")
        assert inside <= room + 1, (inside, room)  # nothing of the map to scroll to
        shape, box = frame.locator("svg").bounding_box(), frame.bounding_box()
        assert shape and box and shape["y"] + shape["height"] <= box["y"] + box["height"] + 1
        assert shape["height"] <= 768
        _shot(page, "grid-desktop")


def test_the_overview_map_shows_where_it_scrolls_on_an_upright_tablet(
        browser: Any, live_server: LiveServer) -> None:
    world = made(live_server)["world"]
    with trainer_page(browser, live_server, "zh_CN", SIZES["portrait"], has_touch=True) as page:
        page.goto(_pages(world)["overview"])
        frame = page.locator(".overview-frame")
        expect(frame.locator("svg[data-test=overview-map]")).to_be_visible()
        assert frame.evaluate("f => f.scrollWidth > f.clientWidth")  # the legend's scale bars
        shadows = frame.evaluate("f => getComputedStyle(f).backgroundImage")
        assert shadows.count("radial-gradient") == 2, shadows
