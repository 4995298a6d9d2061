"""`grid_svg`'s frame and names: the view fits what the map draws (an urban grid's map had an
empty strip above it, room for a river only rural grids have), and every landmark's and
road's name stays within the map's left and right edges (a long name near an edge, or a
landmark cut by an area map's frame, ran off the map)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from trainer.core.world.export import grid_svg, text_width
from trainer.core.world.geometry import cell_box, inset_box
from trainer.core.world.grid import Area, Feature, Grid, make_grid
from trainer.core.world.spec import WorldSpec

SVG = "{http://www.w3.org/2000/svg}"
MARGIN = 40.0  # grid_svg's margin around the grid
LONG = "七星湖滨社区卫生服务站"  # 11 characters: wider than two urban lots at 9 px


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own SVG)


def view(root: ET.Element) -> tuple[float, float, float, float]:
    left, top, width, height = map(float, root.get("viewBox", "").split())
    return left, top, width, height


def shape_points(root: ET.Element) -> list[tuple[float, float]]:
    """Every vertex of the map's polygons and lines (roads, water, lots, areas)."""
    return [(float(x), float(y)) for element in root.iter()
            if element.tag in (f"{SVG}polygon", f"{SVG}polyline")
            for x, y in (point.split(",") for point in element.get("points", "").split())]


def extent(text: ET.Element) -> tuple[float, float]:
    """A text's left and right ends by its anchor, with `text_width`'s generous width (a
    CJK character is 1 em wide, as it is set)."""
    x = float(text.get("x", "0"))
    width = text_width(text.text or "", float(text.get("font-size", "0")))
    anchor = text.get("text-anchor", "start")
    if anchor == "end":
        return x - width, x
    if anchor == "middle":
        return x - width / 2, x + width / 2
    return x, x + width


def names(root: ET.Element) -> dict[str, ET.Element]:
    """The texts of the map that are not building numbers, by what they say."""
    return {text.text or "": text for text in root.iter(f"{SVG}text")
            if not (text.text or "").isdigit()}


def grid_of(urban: bool, seed: int = 2020, index: int = 0) -> Grid:
    spec = WorldSpec.from_dict({"region": "430602", "grids": 4,
                                "urban_share": 1.0 if urban else 0.0})
    return make_grid(spec, seed, index)


def landmark(grid: Grid) -> Feature:
    return next(feature for feature in grid.features if feature.kind in ("school", "clinic"))


def lot(grid: Grid, row: int, col: int) -> list[tuple[float, float]]:
    """A landmark's ring on the lot at (row, col), as the generator draws one."""
    return inset_box(cell_box((row, col), *grid.lot_size), 2.0, 2.0)


@pytest.mark.parametrize("urban", [True, False])
@pytest.mark.parametrize("seed", [2020, 7])
def test_the_map_has_the_same_margin_on_every_side_of_what_it_draws(urban, seed):
    """Above an urban grid's top road there was a strip of one lot's height more than the
    margin on the other sides; a rural grid's river and bridge above it are drawn in it."""
    grid = grid_of(urban, seed)
    root = parse(grid_svg(grid))
    left, top, width, height = view(root)
    xs = [x for x, _y in shape_points(root)]
    ys = [y for _x, y in shape_points(root)]
    margins = (min(xs) - left, left + width - max(xs), min(ys) - top, top + height - max(ys))
    assert margins == pytest.approx((MARGIN,) * 4, abs=0.6), (urban, margins)
    if not urban:  # the river is in view, above the grid
        river = next(f for f in grid.features if f.kind == "river")
        assert river.geometry[0][1] > grid.size[1]


def test_a_long_name_at_the_right_edge_ends_inside_the_map():
    grid = grid_of(urban=True)
    school = landmark(grid)
    school.name = LONG
    school.geometry = lot(grid, grid.rows - 1, grid.cols - 1)  # the top right lot
    root = parse(grid_svg(grid))
    left, _top, width, _height = view(root)
    text = names(root)[LONG]
    assert text.get("text-anchor") == "end"
    low, high = extent(text)
    assert left <= low and high <= left + width, (low, high, left, width)
    # ... and a short one there starts at its lot as before
    school.name = "小学"
    text = names(parse(grid_svg(grid)))["小学"]
    assert text.get("text-anchor") == "start"
    assert float(text.get("x", "0")) == pytest.approx(min(x for x, _y in school.geometry)
                                                      + MARGIN + 2)


def _edge_area(grid: Grid, side: str) -> Area:
    """An area with room for a lot beside it on `side` (left: not in the first column)."""
    if side == "left":
        return next(a for a in grid.areas if min(col for _row, col in a.cells) > 0)
    return next(a for a in grid.areas if max(col for _row, col in a.cells) < grid.cols - 1)


@pytest.mark.parametrize("side", ["left", "right"])
def test_on_an_area_map_a_landmark_cut_by_the_frame_keeps_its_name_inside(side):
    """The area's page shows the area and 30 m around it: a landmark on the lot beside it is
    cut by the frame, and its name (written from its left end) ran off the map's left edge,
    or past the right one from a lot just inside it."""
    grid = next(g for seed in range(2020, 2040) for g in [grid_of(True, seed)]
                if len(g.areas) > 1)
    area = _edge_area(grid, side)
    pick = min if side == "left" else max
    row, col = pick(area.cells, key=lambda cell: cell[1])
    clinic = landmark(grid)
    clinic.name = "湖滨卫生服务站"
    clinic.geometry = lot(grid, row, col - 1 if side == "left" else col + 1)
    root = parse(grid_svg(grid, highlight=area, focus=area))
    left, _top, width, _height = view(root)
    text = names(root)[clinic.name]
    low, high = extent(text)
    assert left <= low and high <= left + width, (side, low, high, left, width)
    assert text.get("text-anchor") == ("start" if side == "left" else "end")


@pytest.mark.parametrize("urban", [True, False])
def test_every_name_on_every_map_of_a_grid_is_inside_its_left_and_right_edges(urban):
    for seed in (2020, 7, 31):
        grid = grid_of(urban, seed)
        maps = [grid_svg(grid), *(grid_svg(grid, highlight=a, focus=a) for a in grid.areas)]
        for svg in maps:
            root = parse(svg)
            left, top, width, height = view(root)
            for name, text in names(root).items():
                low, high = extent(text)
                assert left <= low and high <= left + width, (seed, name, low, high, left,
                                                              width)
                # only names whose line is in view, a CJK font's box (1.3 em) above it
                baseline, size = float(text.get("y", "0")), float(text.get("font-size", "0"))
                assert top <= baseline - 1.3 * size and baseline <= top + height, (
                    seed, name, baseline, top)


def test_a_building_and_an_area_count_their_housing_units_in_the_callers_words():
    grid = grid_of(urban=True)
    svg = grid_svg(grid, units=lambda n: f"{n} <units>")
    root = parse(svg)
    titles = [element.find(f"{SVG}title") for element in root.iter(f"{SVG}polygon")
              if element.get("data-area")]
    texts = [title.text for title in titles if title is not None]
    for building in grid.buildings:
        assert f"{building.kind} · {len(building.units)} <units>" in texts
    for area in grid.areas:
        assert f"{area.name} ({area.unit_count} <units>)" in texts
