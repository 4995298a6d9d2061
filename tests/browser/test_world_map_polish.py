"""A grid's and an area's maps as a trainer sees them (issue 3), in Chinese and English, on a
1366x768 screen and a tablet held upright: the map's frame holds no empty strip above an
urban grid, no name (a landmark's, a road's) runs past the map's left or right edge, and a
building's tooltip says what its number counts; the world form's errors name what each field
holds, in the page's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import ARTIFACTS, LiveServer, logged_in_page
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.extensions import DB_KEY
from trainer.worlds import services
from trainer.worlds.demo import DEMO_WORLD
from trainer.worlds.models import World

pytestmark = pytest.mark.browser
PASSWORD = "Map-polish-2020"
LOCALES = {"zh_CN": "zh-CN", "en": "en-US"}
SIZES = {"desktop": (1366, 768), "portrait": (768, 1024)}
GRIDS = (0, 1, 2)  # of the demo world: urban, rural, urban
_made: dict[str, Any] = {}

# The map's view, the box of all it draws (shapes, in the SVG's units) and every text's box,
# as the browser lays them out; with the buildings' tooltips.
MEASURE = """() => {
  const svg = document.querySelector('.map-frame svg');
  const [left, top, width, height] = svg.getAttribute('viewBox').split(' ').map(Number);
  const shapes = [...svg.querySelectorAll('polygon, polyline')].map(s => s.getBBox());
  const drawn = [Math.min(...shapes.map(b => b.x)), Math.min(...shapes.map(b => b.y)),
                 Math.max(...shapes.map(b => b.x + b.width)),
                 Math.max(...shapes.map(b => b.y + b.height))];
  const texts = [...svg.querySelectorAll('text')].map(t => {
    const b = t.getBBox();
    return [t.textContent, b.x, b.y, b.x + b.width, b.y + b.height,
            t.getAttribute('text-anchor') || 'start'];
  });
  const buildings = [...svg.querySelectorAll('polygon[data-area]:not([fill=none])')]
    .filter(p => !p.getAttribute('fill-opacity'))
    .map(p => p.querySelector('title').textContent);
  return {view: [left, top, left + width, top + height], drawn, texts, buildings};
}"""


def made(live_server: LiveServer) -> dict[str, Any]:
    """A trainer of this file's own (no language saved, so the browser's counts) and the
    demo world's id, with the codes of its first grids' areas."""
    if _made:
        return _made
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        accounts.create_user(db, actor=None, username="mappolisher", full_name="地图检查员",
                             role=Role.TRAINER, password=PASSWORD)
        db.commit()
        world = db.scalars(select(World).where(World.name == DEMO_WORLD)).one()
        _made["world"] = world.id
        _made["areas"] = {index: [area.code for area in services.grid(world, index).areas]
                          for index in GRIDS}
    return _made


@pytest.fixture(params=[(locale, size) for locale in LOCALES for size in SIZES],
                ids=lambda param: f"{param[0]}-{param[1]}")
def trainer(request: Any, browser: Any, live_server: LiveServer) -> Iterator[tuple[Any, str, str]]:
    """The trainer on a page of the parameter's language and size."""
    locale, size = request.param
    made(live_server)
    width, height = SIZES[size]
    with logged_in_page(browser, live_server, "mappolisher", PASSWORD, locale=LOCALES[locale],
                        viewport={"width": width, "height": height}) as page:
        yield page, locale, size


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"world-map-polish-{name}.png"), full_page=True)


def test_maps_fit_what_they_draw_and_keep_their_names_inside(
        trainer: tuple[Any, str, str], live_server: LiveServer) -> None:
    page, locale, size = trainer
    world = made(live_server)
    units = (r"\d+ 个住房单元" if locale == "zh_CN" else r"(1 housing unit|\d+ housing units)")
    shot_edge = False
    for index in GRIDS:
        base = f"/worlds/{world['world']}/grids/{index}"
        for path in [base, *(f"{base}/areas/{code}" for code in world["areas"][index])]:
            page.goto(path)
            expect(page.locator(".map-frame svg")).to_be_visible()
            seen = page.evaluate(MEASURE)
            left, top, right, bottom = seen["view"]
            if path == base:  # the whole grid: the same margin on every side, none above
                x0, y0, x1, y1 = seen["drawn"]
                margins = [x0 - left, right - x1, y0 - top, bottom - y1]
                assert max(margins) - min(margins) <= 1, (path, margins)
                if index == 0:
                    _shot(page, f"grid-{locale}-{size}")
            for name, tx0, ty0, tx1, ty1, _anchor in seen["texts"]:
                if ty1 <= top or ty0 >= bottom or tx1 <= left or tx0 >= right:
                    continue  # wholly out of an area map's view (a building's number)
                assert left <= tx0 and tx1 <= right, (path, name, tx0, tx1, left, right)
                assert top <= ty0 and ty1 <= bottom, (path, name, ty0, ty1, top, bottom)
            assert seen["buildings"], path
            for title in seen["buildings"]:
                assert re.fullmatch(rf".+ · {units}", title), (path, title)
            names = [t for t in seen["texts"] if not t[0].isdigit()]
            if not shot_edge and any(anchor == "end" for *_box, anchor in names):
                _shot(page, f"area-edge-{locale}-{size}")  # a name kept in at the right
                shot_edge = True
    assert shot_edge  # the demo world has a long name near the right edge of a map


def test_the_world_forms_errors_say_what_each_field_holds(
        trainer: tuple[Any, str, str], live_server: LiveServer) -> None:
    page, locale, size = trainer
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        before = db.scalar(select(func.count(World.id)))
    page.goto("/worlds/new")
    page.locator("#name").fill("")
    page.locator("#region").fill("43060")
    page.locator("#grids").fill("0")
    with page.expect_navigation() as sent:
        page.locator("form.world-form button[type=submit]").click()
    assert sent.value.status == 400
    expected = {
        "zh_CN": {"name": "请为模拟世界填写名称。", "region": "区划代码为 6 位数字，例如 430602。",
                  "grids": "请输入网格数：1 到 8000 之间的整数。"},
        "en": {"name": "Give the world a name.",
               "region": "The region code has 6 digits, e.g. 430602.",
               "grids": "Enter the number of grids, a whole number from 1 to 8000."},
    }[locale]
    summary = page.locator("[data-test=error-summary]")
    for field, message in expected.items():
        expect(page.locator(f"#{field}-error")).to_have_text(message)
        expect(summary.locator(f"a[href='#{field}']").locator("xpath=..")).to_contain_text(
            message)
    expect(page.locator("#region")).to_have_value("43060")
    width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= inner
    _shot(page, f"form-{locale}-{size}")
    with app.app_context(), app.extensions[DB_KEY]() as db:
        assert db.scalar(select(func.count(World.id))) == before
