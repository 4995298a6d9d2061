"""Exports of a world's grids: GeoJSON (local metres), CSV of the truth, and SVG maps.

Coordinates are metres in the grid's own plane (x east, y north, origin at the south-west
corner); GeoJSON readers that expect degrees should treat them as a local projection.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html import escape
from typing import Any, TextIO

from trainer.core.world.geometry import Point
from trainer.core.world.grid import Area, Grid

PERSON_COLUMNS = (
    "grid", "area", "building", "unit", "stairwell", "door", "household", "household_kind",
    "dwelling", "person", "name", "relation", "id_number", "sex", "birth", "ethnicity",
    "residence", "hukou", "hukou_place", "time_away", "reason_away", "education", "literate",
    "present", "form",
)


def _ring(points: list[Point]) -> list[list[float]]:
    closed = [*points, points[0]] if points else []
    return [[round(x, 2), round(y, 2)] for x, y in closed]


def grid_geojson(grid: Grid) -> dict[str, Any]:
    """A FeatureCollection: the grid's areas, buildings, roads, water and landmarks."""
    features: list[dict[str, Any]] = []
    for area in grid.areas:
        features.append({"type": "Feature", "geometry": {"type": "Polygon",
                                                          "coordinates": [_ring(area.outline)]},
                         "properties": {"layer": "area", "code": area.code, "name": area.name,
                                        "units": area.unit_count,
                                        "enumerators": area.enumerators}})
    for building in grid.buildings:
        features.append({"type": "Feature", "geometry": {
            "type": "Polygon", "coordinates": [_ring(building.footprint)]},
            "properties": {"layer": "building", "area": grid.areas[building.area].code,
                           "number": building.number, "kind": building.kind,
                           "floors": building.floors, "stairwells": building.stairwells,
                           "units": len(building.units)}})
    for feature in grid.features:
        line = feature.kind in ("road", "lane", "river")
        geometry = ({"type": "LineString", "coordinates": [[x, y] for x, y in feature.geometry]}
                    if line else {"type": "Polygon", "coordinates": [_ring(feature.geometry)]})
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"layer": feature.kind, "name": feature.name}})
    return {"type": "FeatureCollection", "name": grid.name,
            "properties": {"grid": grid.index, "village": grid.village.code,
                           "village_name": grid.village.name, "urban": grid.urban},
            "features": features}


def person_rows(grid: Grid) -> Iterator[dict[str, Any]]:
    """One dict per person of the grid, with every truth field."""
    for area in grid.areas:
        for number, household in grid.area_households(area):
            plan = grid.plans[household.index]
            unit = grid.units[plan.unit] if plan.unit is not None else None
            building = grid.buildings[unit.building] if unit is not None else None
            for person in household.persons:
                yield {
                    "grid": grid.index, "area": area.code,
                    "building": building.number if building else "",
                    "unit": unit.number if unit else "",
                    "stairwell": unit.stairwell if unit and unit.door else "",
                    "door": unit.door if unit and unit.door else "",
                    "household": f"{number:03d}",
                    "household_kind": int(household.kind), "dwelling": int(household.dwelling),
                    "person": person.key, "name": person.name, "relation": int(person.relation),
                    "id_number": person.id_number, "sex": int(person.sex),
                    "birth": person.birth.isoformat(), "ethnicity": person.ethnicity,
                    "residence": int(person.residence), "hukou": int(person.hukou),
                    "hukou_place": person.hukou_place or "",
                    "time_away": int(person.time_away) if person.time_away else "",
                    "reason_away": int(person.reason_away) if person.reason_away else "",
                    "education": int(person.education) if person.education else "",
                    "literate": int(person.literate) if person.literate else "",
                    "present": int(person.present), "form": int(person.form),
                }


def persons_csv(grids: Iterable[Grid]) -> str:
    """The truth of every person of the grids as CSV text (UTF-8, header first)."""
    buffer = io.StringIO()
    write_persons_csv(grids, buffer)
    return buffer.getvalue()


def write_persons_csv(grids: Iterable[Grid], out: TextIO) -> None:
    """`persons_csv` written to `out` a grid at a time (a city's grids never all in memory)."""
    writer = csv.DictWriter(out, fieldnames=PERSON_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for grid in grids:
        writer.writerows(person_rows(grid))


def write_world_geojson(grids: Iterable[Grid], name: str, out: TextIO) -> None:
    """Every grid's layers as one GeoJSON FeatureCollection (each feature's properties name
    its grid), written to `out` a grid at a time."""
    out.write(json.dumps({"type": "FeatureCollection", "name": name},
                         ensure_ascii=False)[:-1] + ', "features": [')
    first = True
    for grid in grids:
        for feature in grid_geojson(grid)["features"]:
            feature["properties"]["grid"] = grid.index
            out.write(("" if first else ",\n") + json.dumps(feature, ensure_ascii=False))
            first = False
    out.write("]}\n")


def fingerprint(grid: Grid) -> str:
    """A digest of everything the grid holds (its layers and every person's truth): equal
    digests of a world's first grid, taken on two days, say the generator drew it alike."""
    digest = hashlib.sha256(json.dumps(grid_geojson(grid), sort_keys=True,
                                       ensure_ascii=False).encode())
    digest.update(persons_csv([grid]).encode())
    return digest.hexdigest()


# SVG ---------------------------------------------------------------------------------

STYLE = {
    "area": 'fill="none" stroke="#c2410c" stroke-width="3"',
    "road": 'stroke="#9ca3af" stroke-width="6" fill="none"',
    "lane": 'stroke="#d1d5db" stroke-width="3" fill="none"',
    "river": 'stroke="#60a5fa" stroke-width="14" fill="none"',
    "pond": 'fill="#bfdbfe" stroke="#60a5fa"',
    "field": 'fill="#ecfccb" stroke="#bef264"',
    "bridge": 'fill="#a8a29e"',
    "landmark": 'fill="#fde68a" stroke="#d97706"',
    "building": 'fill="#e5e7eb" stroke="#374151"',
    "collective": 'fill="#ddd6fe" stroke="#5b21b6"',
}


FOCUS_PADDING = 30.0  # metres shown around an area the map is focused on
HALO = 'stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
LABEL_INSET = 3.0  # the least room between a name and the map's left or right edge
LANDMARK_FONT, ROAD_FONT = 9.0, 10.0
ASCENT = 1.3  # a line's height above its baseline, in ems (generous: a CJK font's box)


def grid_svg(grid: Grid, *, highlight: Area | None = None, show_areas: bool = True,
             show_numbers: bool = True, focus: Area | None = None,
             label: Callable[[str], str] = str, units: Callable[[int], str] = str) -> str:
    """An SVG map of the grid: roads, water, landmarks, buildings, and area boundaries.

    `label` turns a building's kind (multistorey, highrise, house, dormitory, work_shed,
    care_home) into the words its tooltip shows, and `units` a number of housing units
    (住房单元, shops included) into the words a building's or an area's tooltip counts them
    in: the core knows no interface language, so a page passes ones that translate; left
    out, the tooltip shows the kind as stored and the bare number.

    The view is the grid with a margin around it, and above it the room its features take
    (a rural grid's river and bridge; an urban grid has none, and no empty strip).

    With `focus`, the map shows that area and FOCUS_PADDING metres around it (the area's
    page: the whole grid in its frame put the area out of sight or made it small), and
    leaves out the buildings wholly outside the view. Labels are haloed in white, so that a
    road's name over a building number, or a bridge's over its river, stays legible; a
    landmark's name is written over the buildings (a name longer than its lot ran under its
    neighbour's walls), under their numbers; a landmark's or a road's name is kept within
    the view's left and right edges (a long one near an edge ends at it), and written only
    where its line is in view (an area map's frame cuts through the landmarks and roads
    around the area)."""
    width, height = grid.size
    margin = 40.0
    # the highest thing drawn: the grid's top road, or a rural grid's river and bridge
    reach = max([height, *(y for feature in grid.features for _x, y in feature.geometry)])
    top = reach + margin

    def points(ring: list[Point]) -> str:
        return " ".join(f"{x + margin:.1f},{top - y:.1f}" for x, y in ring)

    view = (0.0, 0.0, width + 2 * margin, top + margin)  # left, top, width, height
    if focus is not None:
        xs = [x for x, _y in focus.outline]
        ys = [y for _x, y in focus.outline]
        left = max(0.0, min(xs) + margin - FOCUS_PADDING)
        upper = max(0.0, top - max(ys) - FOCUS_PADDING)
        view = (left, upper, min(view[2], max(xs) + margin + FOCUS_PADDING) - left,
                min(view[3], top - min(ys) + FOCUS_PADDING) - upper)
    low, high = view[0] + LABEL_INSET, view[0] + view[2] - LABEL_INSET

    def seen(ring: list[Point]) -> bool:
        xs = [x + margin for x, _y in ring]
        ys = [top - y for _x, y in ring]
        return (max(xs) >= view[0] and min(xs) <= view[0] + view[2]
                and max(ys) >= view[1] and min(ys) <= view[1] + view[3])

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view[0]:.0f} {view[1]:.0f} '
             f'{view[2]:.0f} {view[3]:.0f}" role="img" aria-label="{escape(grid.name)}" '
             f'class="world-map" font-family="sans-serif">',
             f'<title>{escape(grid.name)}</title>']
    for feature in grid.features:
        if feature.kind in ("road", "lane", "river"):
            parts.append(f'<polyline points="{points(feature.geometry)}" '
                         f'{STYLE[feature.kind]}><title>{escape(feature.name)}</title>'
                         '</polyline>')
    names: list[str] = []  # the landmarks' names, written over the buildings
    for feature in grid.features:
        if feature.kind not in ("road", "lane", "river"):
            style = STYLE.get(feature.kind, STYLE["landmark"])
            parts.append(f'<polygon points="{points(feature.geometry)}" {style}>'
                         f'<title>{escape(feature.name)}</title></polygon>')
            # named at its top left corner, if that is in view (an area map's frame cuts
            # through the lots around the area: a name moved down into view would run into
            # the numbers of the buildings beside it)
            y = top - max(p[1] for p in feature.geometry) + 10  # clear of a number below
            bottom = min(top - min(p[1] for p in feature.geometry), view[1] + view[3])
            if (feature.kind != "field" and seen(feature.geometry)
                    and view[1] + ASCENT * LANDMARK_FONT <= y <= bottom - 2):
                x, anchor = _fit(min(p[0] for p in feature.geometry) + margin + 2,
                                 text_width(feature.name, LANDMARK_FONT), low, high)
                names.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{LANDMARK_FONT:g}" '
                             f'text-anchor="{anchor}" {HALO}>{escape(feature.name)}</text>')
    numbers: list[str] = []  # the buildings' numbers, written over the landmarks' names
    for building in grid.buildings:
        if focus is not None and not seen(building.footprint):
            continue
        collective = building.kind in ("dormitory", "work_shed", "care_home")
        parts.append(f'<polygon points="{points(building.footprint)}" '
                     f'{STYLE["collective" if collective else "building"]} '
                     f'data-area="{grid.areas[building.area].code}">'
                     f'<title>{escape(label(building.kind))} · '
                     f'{escape(units(len(building.units)))}</title></polygon>')
        parts.extend(_stairwell_lines(building.footprint, building.stairwells, points))
        if show_numbers:
            xs = [p[0] for p in building.footprint]
            ys = [p[1] for p in building.footprint]
            cx, cy = sum(xs) / len(xs) + margin, top - sum(ys) / len(ys) + 4
            numbers.append(f'<text x="{cx:.1f}" y="{cy:.1f}" font-size="11" '
                           f'text-anchor="middle" {HALO}>{building.number}</text>')
    parts.extend(names)
    parts.extend(numbers)
    if show_areas:
        for area in grid.areas:
            style = STYLE["area"]
            if highlight is not None and area.index == highlight.index:
                style = 'fill="#fb923c" fill-opacity="0.15" stroke="#c2410c" stroke-width="5"'
            parts.append(f'<polygon points="{points(area.outline)}" {style} '
                         f'data-area="{area.code}"><title>{escape(area.name)} '
                         f'({escape(units(area.unit_count))})</title></polygon>')
    for feature in grid.features:
        if feature.kind in ("road", "river"):
            (x0, y0), (x1, _y1) = feature.geometry[0], feature.geometry[-1]
            baseline = top - y0 - 4
            if not view[1] + ASCENT * ROAD_FONT <= baseline <= view[1] + view[3]:
                continue  # a road out of view (or at its top edge) whose name would peek in
            # the middle of the stretch in view (of the whole road, on the grid's map)
            start = max(min(x0, x1) + margin, view[0])
            end = min(max(x0, x1) + margin, view[0] + view[2])
            x, anchor = _fit((start + end) / 2, text_width(feature.name, ROAD_FONT), low, high)
            parts.append(f'<text x="{x:.1f}" y="{baseline:.1f}" text-anchor="{anchor}" '
                         f'font-size="{ROAD_FONT:g}" fill="#374151" {HALO}>'
                         f'{escape(feature.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _fit(x: float, width: float, low: float, high: float) -> tuple[float, str]:
    """Where a name `width` wide that would start at `x` is written so that it stays between
    `low` and `high` (the map's edges, inset), and its text-anchor: from `x` where it fits,
    else ending at `high`; a name wider than the room starts at `low`."""
    x = max(x, low)
    if x + width <= high:
        return x, "start"
    if high - width >= low:
        return high, "end"
    return low, "start"


def _stairwell_lines(footprint: list[Point], stairwells: int,
                     points: Callable[[list[Point]], str]) -> list[str]:
    """Dashed lines across a block of flats between its stairwells (单元), as a 小区图 draws
    them: the block split along its length into `stairwells` equal parts."""
    if stairwells < 2:
        return []
    xs, ys = [p[0] for p in footprint], [p[1] for p in footprint]
    left, right, bottom, top = min(xs), max(xs), min(ys), max(ys)
    step = (right - left) / stairwells
    return [f'<polyline points="{points([(left + k * step, bottom), (left + k * step, top)])}" '
            'stroke="#6b7280" stroke-dasharray="3 2" fill="none" class="stairwell"/>'
            for k in range(1, stairwells)]


# Overview map of a world -------------------------------------------------------------
#
# Grids are independent layouts in their own local metres, so the overview does not place
# them geographically: it lays them out as tiles, one block per 村/居委会 (its grids side by
# side, in order), the blocks of one 乡镇/街道 under its heading and flowed into rows. Each
# tile is the grid north-up, cut into its enumeration areas. All tiles of one kind (urban or
# rural) on a map share one scale, so they compare with each other; urban and rural grids
# differ too much in size (about 300 × 200 m against 420 × 1,000 m) to share one, so the
# legend draws a scale bar for each kind. Only the geometry is made here; the page's
# template draws it with its words in the page's language.

OVERVIEW_WIDTH = 960.0
OVERVIEW_MARGIN = 16.0
OVERVIEW_LEGEND_HEIGHT = 64.0
TOWNSHIP_HEADING = 30.0  # the township's name above its villages
VILLAGE_PADDING = 8.0
VILLAGE_CAPTION = 20.0  # the village's name above its tiles
TILE_CAPTION = 18.0  # the grid's name below its tile
TILE_GAP = 10.0
VILLAGE_GAP = 12.0
TILE_BOX = {True: (140.0, 100.0), False: (90.0, 220.0)}  # urban, rural: width, height at most
# ... unless that would make a tile narrower than this: grids of thousands of households are
# tall, and their tiles then grow taller than the box rather than shrink into specks whose
# area numbers overlap (every grid of a kind has the same width: a fixed number of lots).
TILE_MIN_WIDTH = {True: 100.0, False: 72.0}
SCALE_BAR_STEPS = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000)
SCALE_BAR_MAX = 80.0  # pixels


@dataclass(frozen=True)
class OverviewArea:
    """An enumeration area on its tile: the outline as SVG points and where its number goes."""

    code: str
    name: str
    units: int
    households: int
    points: str
    label: Point


@dataclass(frozen=True)
class OverviewTile:
    """A grid's tile: its map's box (x, y, width, height) and its areas."""

    index: int
    name: str
    position: int  # within its village, from 0
    urban: bool
    x: float
    y: float
    width: float
    height: float
    metres: tuple[float, float]  # the grid's own width and height
    areas: tuple[OverviewArea, ...]

    @property
    def caption(self) -> Point:
        """Where the grid's name is written: centred below its map."""
        return self.x + self.width / 2, self.y + self.height + TILE_CAPTION - 5


@dataclass(frozen=True)
class OverviewVillage:
    """A 村/居委会's block: its frame and its grids' tiles."""

    code: str
    name: str
    urban: bool
    x: float
    y: float
    width: float
    height: float
    tiles: tuple[OverviewTile, ...]


@dataclass(frozen=True)
class OverviewTownship:
    """A 乡镇/街道: its heading's baseline and its villages."""

    code: str
    name: str
    urban: bool
    y: float
    villages: tuple[OverviewVillage, ...]


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar for the tiles of one kind: `metres` drawn `length` pixels long."""

    urban: bool
    metres: int
    length: float


@dataclass(frozen=True)
class OverviewMap:
    """Everything the overview draws, in SVG units (`width` × `height`)."""

    width: float
    height: float
    townships: tuple[OverviewTownship, ...]
    scale_bars: tuple[ScaleBar, ...]

    @property
    def tiles(self) -> list[OverviewTile]:
        return [tile for township in self.townships for village in township.villages
                for tile in village.tiles]


def text_width(text: str, size: float) -> float:
    """A generous estimate of a line's width: CJK characters are square, others narrower."""
    return sum(size if ord(char) > 0x2E7F else 0.62 * size for char in text)


def _label_point(area: Area, lot: tuple[float, float]) -> Point:
    """A point well inside the area, in grid metres: the middle of its longest row of lots
    (of equally long rows, the middle one)."""
    rows: dict[int, list[int]] = {}
    for row, col in area.cells:
        rows.setdefault(row, []).append(col)
    longest = max(len(cols) for cols in rows.values())
    candidates = sorted(row for row, cols in rows.items() if len(cols) == longest)
    row = candidates[len(candidates) // 2]
    cols = rows[row]
    return (min(cols) + max(cols) + 1) / 2 * lot[0], (row + 0.5) * lot[1]


def _scale_bar(urban: bool, scale: float) -> ScaleBar:
    metres = max([step for step in SCALE_BAR_STEPS if step * scale <= SCALE_BAR_MAX],
                 default=SCALE_BAR_STEPS[0])
    return ScaleBar(urban, metres, round(metres * scale, 1))


def overview_map(grids: Iterable[Grid]) -> OverviewMap:
    """Lay out the grids (in the order given: by township, village and position) as tiles.

    Consecutive grids of one village make one block, consecutive blocks of one township one
    section; blocks flow left to right and wrap within the map's width.
    """
    grids = list(grids)
    scales: dict[bool, float] = {}
    for grid in grids:
        box_width, box_height = TILE_BOX[grid.urban]
        width, height = grid.size
        fit = max(min(box_width / width, box_height / height),
                  TILE_MIN_WIDTH[grid.urban] / width)
        scales[grid.urban] = min(scales.get(grid.urban, fit), fit)
    right = OVERVIEW_WIDTH - OVERVIEW_MARGIN
    y = OVERVIEW_MARGIN + OVERVIEW_LEGEND_HEIGHT
    townships: list[OverviewTownship] = []
    for (township_code, township_name, urban), in_township in itertools.groupby(
            grids, key=lambda g: (g.village.township_code, g.village.township_name, g.urban)):
        heading = y + TOWNSHIP_HEADING - 10
        y += TOWNSHIP_HEADING
        x, row_height = OVERVIEW_MARGIN, 0.0
        villages: list[OverviewVillage] = []
        for village, in_village in itertools.groupby(in_township, key=lambda g: g.village):
            members = list(in_village)
            scale = scales[urban]
            sizes = [(g.size[0] * scale, g.size[1] * scale) for g in members]
            tiles_width = sum(w for w, _h in sizes) + TILE_GAP * (len(sizes) - 1)
            width = 2 * VILLAGE_PADDING + max(tiles_width, text_width(village.name, 13) + 24)
            height = (2 * VILLAGE_PADDING + VILLAGE_CAPTION + max(h for _w, h in sizes)
                      + TILE_CAPTION)
            if x > OVERVIEW_MARGIN and x + width > right:  # wrap
                x, y, row_height = OVERVIEW_MARGIN, y + row_height + VILLAGE_GAP, 0.0
            tile_x = x + VILLAGE_PADDING + (width - 2 * VILLAGE_PADDING - tiles_width) / 2
            tile_y = y + VILLAGE_PADDING + VILLAGE_CAPTION
            tiles = []
            for grid, (tile_width, tile_height) in zip(members, sizes, strict=True):
                tiles.append(_tile(grid, scale, tile_x, tile_y, tile_width, tile_height))
                tile_x += tile_width + TILE_GAP
            villages.append(OverviewVillage(village.code, village.name, urban, x, y, width,
                                            height, tuple(tiles)))
            x += width + VILLAGE_GAP
            row_height = max(row_height, height)
        y += row_height + VILLAGE_GAP
        townships.append(OverviewTownship(township_code, township_name, urban, heading,
                                          tuple(villages)))
    bars = tuple(_scale_bar(urban, scales[urban]) for urban in (True, False) if urban in scales)
    height = y - VILLAGE_GAP + OVERVIEW_MARGIN  # no gap after the last row
    return OverviewMap(OVERVIEW_WIDTH, round(height, 1), tuple(townships), bars)


def _tile(grid: Grid, scale: float, x: float, y: float, width: float,
          height: float) -> OverviewTile:
    def place(point: Point) -> Point:
        return round(x + point[0] * scale, 1), round(y + height - point[1] * scale, 1)

    areas = []
    for area in grid.areas:
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in map(place, area.outline))
        areas.append(OverviewArea(area.code, area.name, area.unit_count,
                                  len(area.household_numbers), points,
                                  place(_label_point(area, grid.lot_size))))
    return OverviewTile(grid.index, grid.name, grid.position, grid.urban, round(x, 1),
                        round(y, 1), round(width, 1), round(height, 1), grid.size, tuple(areas))
