"""What a perfect map of one area shows, taken from the world, and the perfect drawing itself.

`MapTruth` is plain data (tuples of points and names), so a test can write one by hand and
grading never touches the world's objects. `truth_from_area(grid, area)` fills it from the
generator: the area's outline, its buildings with their 建筑物编号 and footprints, the
buildings of neighbouring areas close by (to name what a trainee wrongly claims), the
places around it, the title, the code and the totals. `true_drawing(truth)` writes the GeoJSON
a flawless trainee would save; it scores full marks, so it anchors the property tests and
serves the demo and the browser tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from trainer.core.world.codes import ALL_DIED_HOUSEHOLD_NUMBER
from trainer.core.world.geometry import Point, polygon_area
from trainer.core.world.grid import Area, Building, Grid

LINE_KINDS = ("road", "lane", "river")  # drawn as lines; the rest are rings
LANDMARK_KINDS = ("school", "market", "clinic", "pond", "bridge")
NEIGHBOUR_DISTANCE = 60.0  # m: other areas' buildings this close are kept, to name claims
NEARBY_DISTANCE = 100.0  # m: places this close may be labelled without a note
LANDMARK_DISTANCE = 5.0  # m: a landmark this close (inside or just across) must be named
ON_BOUNDARY = 1.0  # m of shared line that makes a road a boundary road
GRID_EDGE = "网格边界"  # what boundary_text says where nothing bounds a side
NEIGHBOUR_SUFFIX = "普查小区界"  # ... and where another enumeration area does (no place name)


@dataclass(frozen=True, slots=True)
class TrueBuilding:
    """A building as the map should show it: its 建筑物编号 and footprint (x east, y north)."""

    number: int
    footprint: tuple[Point, ...]
    units: int = 1
    kind: str = "house"
    area: str = ""  # the code of the area it belongs to
    type: str = ""  # its BUILDING_TYPES entry; "" when the truth does not say (not graded)

    @property
    def centroid(self) -> Point:
        """The footprint's centre of area (the vertex mean for a degenerate ring)."""
        ring = self.footprint
        area = polygon_area(ring)
        if abs(area) < 1e-9:
            return (sum(x for x, _y in ring) / len(ring), sum(y for _x, y in ring) / len(ring))
        cx = cy = 0.0
        for index, (x0, y0) in enumerate(ring):
            x1, y1 = ring[(index + 1) % len(ring)]
            cross = x0 * y1 - x1 * y0
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        return cx / (6 * area), cy / (6 * area)


@dataclass(frozen=True, slots=True)
class Place:
    """A named road, lane, river, bridge or landmark near the area.

    `role` says what the map must do with it: "boundary" (it bounds a side of the area, so
    its name must be written), "landmark" (a landmark inside or just outside, to be named)
    or "other" (nearby; naming it is fine but not required).
    """

    kind: str  # the world's kind: road, lane, river, bridge, school, market, clinic, ...
    name: str
    geometry: tuple[Point, ...]  # a line for LINE_KINDS, else a ring
    role: str = "other"

    @property
    def line(self) -> bool:
        return self.kind in LINE_KINDS


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One row of a 户主姓名底册 as map grading reads it: 建筑物编号, 住房单元编号 and 户编号
    (None for a vacant unit, 999 for a whole-household death)."""

    building: int
    unit: int | None = None
    household: int | None = None


@dataclass(frozen=True, slots=True)
class MapTruth:
    """Everything a map of one 普查小区 is graded against."""

    boundary: tuple[Point, ...]  # the area's outline, either orientation, not closed
    buildings: tuple[TrueBuilding, ...]  # in number order, 1..n
    places: tuple[Place, ...] = ()
    title: str = ""  # the full name, as the title should read
    title_parts: tuple[tuple[str, ...], ...] = ()  # each part must appear (any spelling)
    code: str = ""  # 普查区 code (12 digits) + 普查小区 code (3 digits)
    unit_total: int = 0  # 住房单元
    household_total: int = 0  # households with a 户编号 other than 999
    neighbours: tuple[TrueBuilding, ...] = ()  # other areas' buildings close to this one

    @property
    def building_total(self) -> int:
        return len(self.buildings)

    @property
    def boundary_names(self) -> tuple[str, ...]:
        """The names that must be written along the boundary (roads, rivers, walls)."""
        return _distinct(place.name for place in self.places if place.role == "boundary")

    @property
    def landmark_names(self) -> tuple[str, ...]:
        """The landmarks inside or just outside the area, which must be named."""
        return _distinct(place.name for place in self.places if place.role == "landmark")


def _distinct(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


# From the world ------------------------------------------------------------------------


def truth_from_area(grid: Grid, area: Area) -> MapTruth:
    """The truth of `area`'s map, from the generated grid it belongs to."""
    outline = shapely.Polygon(area.outline)
    buildings = tuple(sorted((_true_building(grid.buildings[index], area.code)
                              for index in area.buildings), key=lambda b: b.number))
    register = register_of_area(grid, area)
    village = grid.village
    area_names = (area.name, f"第{area.index + 1}普查小区", f"第{area.code}普查小区")
    parts = ((grid.county.name,), (village.township_name,), (village.name,), area_names)
    return MapTruth(
        boundary=tuple(area.outline),
        buildings=buildings,
        places=_places(grid, area, outline),
        title=f"{grid.county.name}{village.township_name}{village.name} {area.name}",
        title_parts=parts,
        code=village.code + area.code,
        unit_total=area.unit_count,
        household_total=len({row.household for row in register
                             if row.household not in (None, ALL_DIED_HOUSEHOLD_NUMBER)}),
        neighbours=_neighbours(grid, area, outline),
    )


def _true_building(building: Building, code: str) -> TrueBuilding:
    return TrueBuilding(building.number, tuple(building.footprint), len(building.units),
                        building.kind, code, building_type(building))


COLLECTIVE_KINDS = ("dormitory", "work_shed", "care_home")  # world kinds of 集体住所


def building_sign(building: Building) -> str:
    """What an enumerator walking the area sees or is told of a building (the field view
    shows it): "dormitory", "work_shed" or "care_home"; "shop_home" for a shop that people
    live in, "shop" for a shop nobody lives in; else ""."""
    if building.kind in COLLECTIVE_KINDS:
        return building.kind
    shops = [unit for unit in building.units if unit.shop]
    if any(unit.households for unit in shops):
        return "shop_home"
    return "shop" if shops else ""


def building_type(building: Building) -> str:
    """The world building's type on the map (`model.BUILDING_TYPES`): collective quarters
    for dormitories, work sheds and care homes, "shop" where people live in a shop, else
    residential (the world has no public building among its buildings: schools, clinics and
    markets are landmarks)."""
    sign = building_sign(building)
    if sign in COLLECTIVE_KINDS:
        return "collective"
    return "shop" if sign == "shop_home" else "residential"


def _neighbours(grid: Grid, area: Area, outline: Any) -> tuple[TrueBuilding, ...]:
    """Buildings of other areas within NEIGHBOUR_DISTANCE of the area's outline."""
    own = set(area.buildings)
    others = [building for building in grid.buildings if building.index not in own]
    if not others:
        return ()
    footprints = shapely.polygons([building.footprint for building in others])
    near = shapely.distance(outline, footprints) <= NEIGHBOUR_DISTANCE
    return tuple(_true_building(building, grid.areas[building.area].code)
                 for building, close in zip(others, near.tolist(), strict=True) if close)


def _places(grid: Grid, area: Area, outline: Any) -> tuple[Place, ...]:
    """The grid's named features near the area, each with its role on this area's map."""
    ring = outline.exterior
    sides = _side_names(area)
    shapes = [shapely.LineString(f.geometry) if f.kind in LINE_KINDS
              else shapely.Polygon(f.geometry) for f in grid.features]
    distances = shapely.distance(outline, np.array(shapes, dtype=object)).tolist()
    # A side named in the boundary text is the nearest feature of that name.
    nearest: dict[str, int] = {}
    for index, feature in enumerate(grid.features):
        if feature.name in sides and (feature.name not in nearest
                                      or distances[index] < distances[nearest[feature.name]]):
            nearest[feature.name] = index
    places = []
    for index, (feature, shape) in enumerate(zip(grid.features, shapes, strict=True)):
        along = feature.kind in LINE_KINDS and shape.intersection(ring).length > ON_BOUNDARY
        if along or nearest.get(feature.name) == index:
            role = "boundary"
        elif feature.kind in LANDMARK_KINDS and distances[index] <= LANDMARK_DISTANCE:
            role = "landmark"
        elif distances[index] <= NEARBY_DISTANCE:
            role = "other"
        else:
            continue
        places.append(Place(feature.kind, feature.name, tuple(feature.geometry), role))
    return tuple(places)


def _side_names(area: Area) -> set[str]:
    """The place names of the area's 四至 (boundary text), walls read as their landmark;
    the grid's edge, a neighbouring area and the generic fields name nothing."""
    text = area.boundary_text().rstrip("。")
    names = set()
    for side in text.split("，"):
        name = side[2:]  # after 北起 / 东至 / 南沿 / 西至
        name = name.removesuffix("围墙")
        if name and name not in (GRID_EDGE, "农田") and not name.endswith(NEIGHBOUR_SUFFIX):
            names.add(name)
    return names


def register_of_area(grid: Grid, area: Area) -> tuple[RegisterRow, ...]:
    """The true register rows of the area: a row per household in a unit, and one per
    vacant unit, in building and unit order."""
    rows = []
    for index in area.buildings:
        building = grid.buildings[index]
        for unit in building.units:
            if not unit.households:
                rows.append(RegisterRow(building.number, unit.number, None))
            for household in unit.households:
                rows.append(RegisterRow(building.number, unit.number,
                                        area.household_numbers.get(household)))
    return tuple(sorted(rows, key=lambda row: (row.building, row.unit or 0)))


def register_rows(rows: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]]
                  ) -> tuple[RegisterRow, ...]:
    """Register rows from the register's stored dicts (`census.register`: keys building,
    unit, number); rows without a usable building number are left out."""
    values = rows.values() if isinstance(rows, Mapping) else rows
    read = []
    for row in values:
        if not isinstance(row, Mapping):
            continue
        building = _positive(row.get("building"))
        if building is None:
            continue
        household = row.get("household", row.get("number"))
        read.append(RegisterRow(building, _positive(row.get("unit")), _positive(household)))
    return tuple(read)


def _positive(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 9:
        value = int(value.strip())
    return value if isinstance(value, int) and value > 0 else None


def register_totals(register: Sequence[RegisterRow]) -> tuple[int, int]:
    """(buildings, households) a register counts: distinct 建筑物编号, and distinct 户编号
    other than 999 (a whole-household death is on the death form, not a household)."""
    buildings = {row.building for row in register}
    households = {row.household for row in register
                  if row.household is not None and row.household != ALL_DIED_HOUSEHOLD_NUMBER}
    return len(buildings), len(households)


# The perfect drawing -----------------------------------------------------------------


def true_drawing(truth: MapTruth, *, drafter: str = "普查员",
                 date: str = "2020-10-25") -> dict[str, Any]:
    """The GeoJSON FeatureCollection of a flawless map of the area (see the package
    docstring for the schema): it scores full marks on every criterion."""
    features: list[dict[str, Any]] = [
        _feature("boundary", _polygon(truth.boundary)),
        *(_feature("building", _polygon(b.footprint), number=b.number,
                   **({"building_type": b.type} if b.type else {}))
          for b in truth.buildings),
        *(_feature(_drawn_kind(p.kind), _line(p.geometry) if p.line else _polygon(p.geometry),
                   label=p.name)
          for p in truth.places if p.role in ("boundary", "landmark")),
    ]
    route = _route(truth)
    if route:
        features.append(_feature("route", _line(route)))
    if truth.boundary:
        xs = [x for x, _y in truth.boundary]
        ys = [y for _x, y in truth.boundary]
        features.append(_feature("north_arrow", _point((max(xs) + 20, max(ys) + 20)),
                                 angle=0))
        features.append(_feature("legend", _point((min(xs), min(ys) - 30))))
    return {"type": "FeatureCollection",
            "properties": {"title": truth.title, "code": truth.code,
                           "building_total": truth.building_total,
                           "household_total": truth.household_total,
                           "drafter": drafter, "date": date},
            "features": features}


def _route(truth: MapTruth) -> list[Point]:
    """From the boundary point nearest building 1 through every building in number order."""
    if not truth.buildings or len(truth.boundary) < 3:
        return []
    centroids = [building.centroid for building in truth.buildings]
    ring = shapely.Polygon(truth.boundary).exterior
    entry = ring.interpolate(ring.project(shapely.Point(centroids[0])))
    return [(float(entry.x), float(entry.y)), *centroids]


def _drawn_kind(kind: str) -> str:
    if kind in ("road", "lane"):
        return "road"
    if kind in ("river", "pond"):
        return "river"
    return "landmark"


def _feature(kind: str, geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {"kind": kind, **properties}}


def _point(point: Point) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [point[0], point[1]]}


def _line(points: Sequence[Point]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [[x, y] for x, y in points]}


def _polygon(ring: Sequence[Point]) -> dict[str, Any]:
    closed = [*ring, ring[0]] if ring else []
    return {"type": "Polygon", "coordinates": [[[x, y] for x, y in closed]]}
