"""A world's pages speak the interface language: the maps' tooltips name a building's kind in
words (never the generator's "highrise", "work_shed") and say what their numbers count (a
building's or an area's housing units, not a bare "12"), and the truth tables' columns of
form items (D1-D12, H2a, H2b) say what each code means."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from trainer.accounts.models import Role
from trainer.core.scenario import vocabulary
from trainer.core.world.spec import WorldSpec
from trainer.worlds import services
from trainer.worlds.models import World

SVG = "{http://www.w3.org/2000/svg}"
KINDS = ("multistorey", "highrise", "house", "dormitory", "work_shed", "care_home")
CHINESE = {"multistorey": "多层住宅楼", "highrise": "高层住宅楼", "house": "农村住房",
           "dormitory": "集体宿舍", "work_shed": "工棚", "care_home": "养老机构"}
ENGLISH = {"multistorey": "Multistorey block", "highrise": "High-rise block",
           "house": "Village house", "dormitory": "Dormitory", "work_shed": "Work shed",
           "care_home": "Care home"}
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
# Anything in the generator's spelling: a lower-case word, or words joined by "_".
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)*\b")
ZH_UNITS = re.compile(r"\d+ 个住房单元")  # what a building's tooltip counts


@pytest.fixture
def world(db):
    """A world of an urban and a rural grid (its row only: the pages draw it from spec and
    seed), so that its maps hold every kind of building."""
    spec = WorldSpec.from_dict({"grids": 2, "urban_share": 0.5, "households_min": 300,
                                "households_max": 320}).to_dict()
    row = World(name="Labels", seed=5, spec=spec, region=spec["region"], grids=spec["grids"],
                summary={})
    db.add(row)
    db.flush()
    return row


def map_titles(page: str) -> dict[str, list[str]]:
    """The map's tooltips by what they stand on: buildings (grey or violet polygons that
    carry the area's code), areas (polygons of the area outline's stroke), the rest."""
    start, end = page.index("<svg"), page.index("</svg>") + len("</svg>")
    svg = ET.fromstring(page[start:end])  # noqa: S314 (our own page)
    titles: dict[str, list[str]] = {"building": [], "area": [], "other": []}
    for element in svg.iter():
        title = element.find(f"{SVG}title")
        if title is None or element is svg:
            continue
        if element.tag == f"{SVG}polygon" and element.get("data-area"):
            kind = "area" if element.get("fill") == "none" or element.get("fill-opacity") \
                else "building"
        else:
            kind = "other"
        titles[kind].append(title.text or "")
    return titles


def pages(client, world):
    """Every grid's page and every area's page of the world: (url, grid)."""
    for index in range(world.grids):
        grid = services.grid(world, index)
        yield f"/worlds/{world.id}/grids/{index}", grid
        for area in grid.areas:
            yield f"/worlds/{world.id}/grids/{index}/areas/{area.code}", grid


def test_map_tooltips_name_buildings_in_chinese_on_chinese_pages(client, login_as, world):
    login_as(Role.TRAINER)
    seen: set[str] = set()
    for url, grid in pages(client, world):
        titles = map_titles(client.get(url, headers=ZH).get_data(as_text=True))
        assert titles["building"], url
        for text in [*titles["building"], *titles["area"], *titles["other"]]:
            assert not CODE.search(text), (url, text)
        for text in titles["building"]:
            kind, _sep, units = text.partition(" · ")
            assert kind in CHINESE.values() and ZH_UNITS.fullmatch(units), (url, text)
            seen.add(kind)
        for text in titles["area"]:
            assert re.fullmatch(r"\S+ \(\d+ 个住房单元\)", text), (url, text)
        if url.endswith(f"/grids/{grid.index}"):  # the grid's map: all of its buildings
            assert titles["building"] == [
                f"{CHINESE[building.kind]} · {len(building.units)} 个住房单元"
                for building in grid.buildings]
            assert titles["area"] == [f"{area.name} ({area.unit_count} 个住房单元)"
                                      for area in grid.areas]
    # The two grids hold every kind but one of the collective kinds at least
    assert {CHINESE[kind] for kind in ("multistorey", "highrise", "house")} <= seen
    assert seen & {CHINESE[kind] for kind in ("dormitory", "work_shed", "care_home")}


def test_map_tooltips_name_buildings_in_english_on_english_pages(client, login_as, world):
    login_as(Role.TRAINER)
    singles: set[bool] = set()
    for index in range(world.grids):
        grid = services.grid(world, index)
        page = client.get(f"/worlds/{world.id}/grids/{index}", headers=EN).get_data(
            as_text=True)
        titles = map_titles(page)
        shown = [text.partition(" · ")[0] for text in titles["building"]]
        assert shown == [ENGLISH[building.kind] for building in grid.buildings]
        assert not set(shown) & set(KINDS)
        assert titles["building"] == [
            f"{ENGLISH[building.kind]} · {english_units(len(building.units))}"
            for building in grid.buildings]
        assert titles["area"] == [f"{area.name} ({english_units(area.unit_count)})"
                                  for area in grid.areas]
        singles.update(len(building.units) == 1 for building in grid.buildings)
    assert singles == {True, False}  # "1 housing unit" and "12 housing units" both shown


def english_units(count):
    return "1 housing unit" if count == 1 else f"{count} housing units"


def test_the_truth_tables_columns_say_what_their_item_codes_mean(client, login_as, world):
    login_as(Role.TRAINER)
    grid = services.grid(world, 0)
    area = grid.areas[0]
    household = next(h for _n, h in grid.area_households(area) if h.persons)
    area_url = f"/worlds/{world.id}/grids/0/areas/{area.code}"
    household_url = f"/worlds/{world.id}/grids/0/households/{household.index}"
    for headers, side in ((ZH, 0), (EN, 1)):
        page = client.get(household_url, headers=headers).get_data(as_text=True)
        head = page[page.index("<thead>"):page.index("</thead>")]
        cells = re.findall(r"<th scope=\"col\">(.*?)</th>", head)
        assert len(cells) == 12
        for number, cell in enumerate(cells, start=1):
            code = f"D{number}"
            name = vocabulary.ITEM_LABELS[code][side].removeprefix(f"{code} ")
            assert cell.replace("<wbr>", "") == f"{code}<br><small>{name}</small>", cell
        for item in ("H1", "H2", "H3", "H4", "H5", "H6", "H7"):  # the household's items
            assert f"<dt>{vocabulary.ITEM_LABELS[item][side]}</dt>" in page, item
        page = client.get(area_url, headers=headers).get_data(as_text=True)
        head = page[page.index("<thead>"):page.index("</thead>")]
        cells = re.findall(r"<th scope=\"col\">(.*?)</th>", head)
        assert cells[7:9] == {
            0: ['<abbr title="H2a 10月31日晚居住在本户的人数">H2a</abbr><br>'
                '<small>现住人数</small>',
                '<abbr title="H2b 户口在本户、10月31日晚未住本户的人数">H2b</abbr><br>'
                '<small>外出人数</small>'],
            1: ['<abbr title="H2a Lived here on 10-31">H2a</abbr><br><small>Living here</small>',
                '<abbr title="H2b Hukou here, away on 10-31">H2b</abbr><br>'
                '<small>Members away</small>']}[side]
    # A long Chinese name breaks between its words only (headers keep a phrase whole)
    page = client.get(household_url, headers=ZH).get_data(as_text=True)
    assert "D10<br><small>离开<wbr>户口登记地<wbr>原因</small>" in page
    assert "D1<br><small>姓名</small>" in page


def test_a_long_form_households_housing_items_in_words(client, login_as, world):
    """The 10 % sample's housing items (H8-H18) are named and their codes labelled."""
    from trainer.core.census import long_form

    login_as(Role.TRAINER)
    grid_index, household = next((index, h) for index in range(world.grids)
                                 for h in services.grid(world, index).households()
                                 if h.long_form and h.long_form_items)
    url = f"/worlds/{world.id}/grids/{grid_index}/households/{household.index}"
    page = client.get(url, headers=ZH).get_data(as_text=True)
    for item, value in household.long_form_items.items():
        name = long_form.NAMES[item][0]
        assert f'<abbr title="{name}">{item}</abbr> = ' in page
        if item in long_form.LABELS and value in long_form.LABELS[item]:
            assert f"{item}</abbr> = {value} {long_form.LABELS[item][value][0]}<" in page
