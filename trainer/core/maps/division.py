"""Dividing a whole grid (网格) into enumeration areas (普查小区) of about 80 housing units.

In 2020 cities managed their land as grids of 300-500 households, while an enumeration area
is what one enumerator can register: about 80 housing units (domain file §2.2). So a grid
had to be divided. The trainee sees the whole grid with every building and its count of
housing units, draws several area polygons and numbers them; the drawing is a GeoJSON
FeatureCollection of features ``{"kind": "area", "number": 1}`` with a Polygon each (read
by `parse.parse_drawing`, so bad input becomes findings, never an exception). Features of
other kinds are ignored; features sharing a number are one area.

A building belongs to the area that holds its centroid. Four criteria, each with a score
from 0 to 1 and findings pointing at a drawn area (its feature index), a building (its index
in the grid) or a point:

- ``balance``: each area's housing units within the bounds (60-120 for a target of 80, the
  world's bounds scaled to the task's target), and the spread of the areas around the
  target no wider than the world's own division of the grid (or `SPREAD_FREE`);
- ``coverage``: every building in exactly one area; no land in two areas, none in no area,
  none outside the grid (strips narrower than `SLIVER` are a hand's imprecision);
- ``contiguity``: each area one closed, valid shape with its own number, numbered from 1;
- ``boundaries``: the share of boundary length along a road, lane, river or the grid's edge
  (as much as the world's own division has, at most `ROAD_SHARE_CAP`), and no building cut
  in two by a boundary.

`division_truth(grid)` takes the truth from the generated world; `true_division(truth)`
writes the world's own division as a drawing, which scores full marks.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException

from trainer.core.i18n import N_
from trainer.core.maps.complexity import of_features
from trainer.core.maps.context import polygonal, repair
from trainer.core.maps.model import Drawing, MapFinding, Severity, Shape, finding
from trainer.core.maps.parse import parse_drawing
from trainer.core.maps.registry import CriterionResult, Graded, clamp, point_xy
from trainer.core.world.geometry import Point
from trainer.core.world.grid import Grid

ROAD_KINDS = ("road", "lane", "river")  # lines a boundary may follow
ROAD_NEAR = 8.0  # m from a road's centre line (or the grid's edge) counts as along it
ROAD_SHARE_DEFAULT = 0.6  # share of boundary along roads for full marks without a reference
ROAD_SHARE_CAP = 0.9  # never asked for more than this share, whatever the reference has
ROAD_PART = 0.5  # of the boundaries score; the rest is for not cutting buildings
CUT_SHARE = 0.02  # a building with between 2 % and 98 % of its footprint in an area is cut
CUT_ZERO = 5  # this many cut buildings lose the whole building part of the score
SLIVER = 3.0  # m: narrower strips of overlap or gap are a hand's imprecision
OUTSIDE_FREE = ROAD_NEAR  # m: an area may reach this far past the grid's edge (the road)
LAND_FREE, LAND_SPAN, LAND_WEIGHT = 0.01, 0.2, 0.5  # overlap, gap and outside land shares
SPREAD_FREE = 0.10  # RMS deviation from the target (share of it) that costs nothing
SPREAD_SPAN, SPREAD_WEIGHT = 0.4, 0.5
PIECE_SHARE = 0.01  # a piece under 1 % of its area is a stray, not a piece
PRECISION = 0.001  # m: drawn areas are snapped to this grid
MAX_STRIPS = 10  # findings of one kind about strips of land, widest first
MAX_AREAS = 100  # areas graded (a grid of 5,000 households needs about 70); the rest dropped
MAX_MEASURED = 30  # overlapping pairs whose strips are measured; the rest count by size
MAX_OFF_ROAD = 5  # off-road stretches reported, longest first
OFF_ROAD_REPORT = 20.0  # m: shorter stretches off the roads are not reported
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


# The truth -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GridBuilding:
    """A building of the grid: its index in the grid (its id in findings), footprint and
    number of housing units (住房单元, shops included)."""

    index: int
    footprint: tuple[Point, ...]
    units: int


@dataclass(frozen=True, slots=True)
class Road:
    """A road, lane or river of the grid: a line a boundary may follow."""

    kind: str
    name: str
    line: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class DivisionTruth:
    """Everything a division of one grid is graded against.

    `reference` is the world's own division (area outlines in area order), used as the
    yardstick for spread and road share and drawn on the debrief; it may be empty.
    """

    name: str
    boundary: tuple[Point, ...]  # the grid's outline
    buildings: tuple[GridBuilding, ...]
    roads: tuple[Road, ...] = ()
    target_units: int = 80
    min_units: int = 60
    max_units: int = 120
    reference: tuple[tuple[Point, ...], ...] = ()

    @property
    def unit_total(self) -> int:
        return sum(building.units for building in self.buildings)


def division_truth(grid: Grid, target_units: int | None = None) -> DivisionTruth:
    """The truth of dividing `grid` into areas of about `target_units` housing units (the
    world's target by default); the bounds are the world's, scaled to the target."""
    spec = grid.spec
    target = target_units or spec.area_target_units
    scale = target / spec.area_target_units
    width, height = grid.size
    reference = (tuple(tuple(area.outline) for area in grid.areas)
                 if spec.partition == "areas" and target == spec.area_target_units else ())
    return DivisionTruth(
        name=f"{grid.county.name}{grid.village.township_name}{grid.name}",
        boundary=((0.0, 0.0), (width, 0.0), (width, height), (0.0, height)),
        buildings=tuple(GridBuilding(b.index, tuple(b.footprint), len(b.units))
                        for b in grid.buildings),
        roads=tuple(Road(f.kind, f.name, tuple(f.geometry)) for f in grid.features
                    if f.kind in ROAD_KINDS),
        target_units=target,
        min_units=max(1, round(spec.area_min_units * scale)),
        max_units=max(1, round(spec.area_max_units * scale)),
        reference=reference)


def true_division(truth: DivisionTruth) -> dict[str, Any]:
    """The world's own division as a drawing (areas numbered from 1): full marks."""
    return {"type": "FeatureCollection", "properties": {}, "features": [
        {"type": "Feature", "properties": {"kind": "area", "number": number},
         "geometry": {"type": "Polygon",
                      "coordinates": [[[x, y] for x, y in (*ring, ring[0])]]}}
        for number, ring in enumerate(truth.reference, start=1)]}


@dataclass(frozen=True, slots=True)
class DivisionShapes:
    """The truth's geometry, made once per truth and cached."""

    grid: Shape  # the grid polygon
    footprints: npt.NDArray[np.object_]
    centroids: Floats  # (n, 2)
    units: npt.NDArray[np.int64]
    tree: Shape  # STRtree over the footprints
    near_roads: Shape  # land within ROAD_NEAR of a road or of the grid's edge
    reference_share: float | None  # the reference's share of boundary along roads
    reference_spread: float | None  # the reference's RMS deviation from the target


@functools.lru_cache(maxsize=32)
def shapes_of(truth: DivisionTruth) -> DivisionShapes:
    """The truth's geometry (cached: DivisionTruth is frozen and hashable)."""
    grid = shapely.Polygon(truth.boundary) if len(truth.boundary) >= 3 else shapely.Polygon()
    if not grid.is_valid:
        grid = polygonal(shapely.make_valid(grid))
    footprints = np.array([shapely.Polygon(b.footprint) for b in truth.buildings],
                          dtype=object)
    centroids = (shapely.get_coordinates(shapely.centroid(footprints)) if len(footprints)
                 else np.zeros((0, 2)))
    units = np.array([b.units for b in truth.buildings], dtype=np.int64)
    lines = [shapely.LineString(road.line) for road in truth.roads if len(road.line) >= 2]
    near = shapely.union_all([line.buffer(ROAD_NEAR) for line in lines]
                             + [grid.boundary.buffer(ROAD_NEAR)])
    shapely.prepare(near)
    share = spread = None
    if truth.reference:
        areas = [_snapped(shapely.Polygon(ring)) for ring in truth.reference]
        share = _road_share(areas, near)[0]
        sizes = []
        for area in areas:
            inside = shapely.contains_xy(area, centroids[:, 0], centroids[:, 1])
            sizes.append(int(units[inside].sum()))
        if all(truth.min_units <= size <= truth.max_units for size in sizes):
            spread = _spread(sizes, truth.target_units)
    return DivisionShapes(grid, footprints, centroids, units, shapely.STRtree(footprints), near,
                          share, spread)


def _snapped(geometry: Shape) -> Shape:
    return polygonal(shapely.set_precision(geometry, PRECISION))


def _road_share(areas: Sequence[Shape], near: Shape) -> tuple[float, float, Shape]:
    """(share of boundary length near a road or the grid's edge, total length, the
    boundary lines off the roads)."""
    if not areas:
        return 0.0, 0.0, shapely.LineString()
    lines = shapely.union_all([area.boundary for area in areas])
    total = float(lines.length)
    if total <= 0:
        return 0.0, 0.0, shapely.LineString()
    off = lines.difference(near)
    return 1 - float(off.length) / total, total, off


def _spread(sizes: Sequence[int], target: int) -> float:
    """RMS deviation of the areas' sizes from the target, as a share of the target."""
    if not sizes or target <= 0:
        return 0.0
    return math.sqrt(sum((size - target) ** 2 for size in sizes) / len(sizes)) / target


# The drawing -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DrawnArea:
    """One area of the drawing: the features with its number joined (an unnumbered
    feature is an area of its own), repaired if it crossed itself."""

    number: int | None
    features: tuple[int, ...]  # indices in the FeatureCollection
    shape: Shape  # polygonal, valid, snapped to PRECISION
    pieces: tuple[Shape, ...]  # its parts, strays left out, largest first
    repaired: bool = False

    @property
    def feature(self) -> int:
        return self.features[0]

    @property
    def label(self) -> str:
        return "?" if self.number is None else str(self.number)

    @property
    def at(self) -> Point:
        return point_xy(self.shape.representative_point())


MAX_REPAIRS = 10  # self-crossing areas repaired in one drawing; the others are unreadable


def read_areas(drawing: Drawing) -> tuple[tuple[DrawnArea, ...], tuple[MapFinding, ...]]:
    """The drawing's areas, numbered first in number order, then the unnumbered in drawing
    order; and a finding for each area that was repaired or is empty."""
    findings: list[MapFinding] = []
    groups: dict[int | None, list[tuple[int, Shape, bool]]] = {}
    loose: list[list[tuple[int, Shape, bool]]] = []
    repairs = 0
    for feature in drawing.of_kind("area"):
        geometry = feature.geometry
        repaired = False
        if geometry is None or geometry.is_empty:
            continue
        if not geometry.is_valid:
            name = "?" if feature.number is None else feature.number
            if repairs >= MAX_REPAIRS:
                geometry = shapely.Polygon()  # read no further: each repair can take long
            else:
                repairs += 1
                geometry = repair(geometry)
            repaired = True
            if geometry.is_empty:
                findings.append(finding(
                    "area_unreadable", Severity.ERROR,
                    N_("Area %(area)s crosses itself too often to be read; draw it again "
                       "with fewer corners."), feature=feature.index, area=name))
                continue
            findings.append(finding(
                "area_repaired", Severity.WARNING,
                N_("Area %(area)s crosses itself; it was read as the land it encloses."),
                feature=feature.index, area=name,
                at=point_xy(geometry.representative_point())))
        entry = (feature.index, geometry, repaired)
        if feature.number is None:
            loose.append([entry])
        else:
            groups.setdefault(feature.number, []).append(entry)
    areas = []
    grouped = [*sorted(groups.items(), key=lambda item: item[0] or 0),
               *((None, entries) for entries in loose)]
    if len(grouped) > MAX_AREAS:
        findings.append(finding("too_many_areas", Severity.WARNING,
                                N_("The map has %(count)s areas; only the first %(limit)s "
                                   "were graded."), count=len(grouped), limit=MAX_AREAS))
        grouped = grouped[:MAX_AREAS]
    for number, entries in grouped:
        shape = _snapped(shapely.union_all([geometry for _i, geometry, _r in entries]))
        indices = tuple(index for index, _g, _r in entries)
        if shape.is_empty or shape.area <= 0:
            findings.append(finding("area_empty", Severity.WARNING,
                                    N_("Area %(area)s encloses no land; it was left out."),
                                    feature=indices[0], area="?" if number is None else number))
            continue
        parts = sorted((part for part in shapely.get_parts(shape)
                        if part.area >= PIECE_SHARE * shape.area), key=lambda p: -p.area)
        areas.append(DrawnArea(number, indices, shape, tuple(parts),
                               any(repaired for _i, _g, repaired in entries)))
    return tuple(areas), tuple(findings)


# Grading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DivisionContext:
    """The drawing's areas, the truth, and which building lies in which area."""

    truth: DivisionTruth
    shapes: DivisionShapes
    areas: tuple[DrawnArea, ...]
    inside: npt.NDArray[np.bool_]  # (areas, buildings): the building's centroid is in it
    reading: tuple[MapFinding, ...]  # what reading the areas found (contiguity reports them)

    @classmethod
    def build(cls, drawing: Drawing, truth: DivisionTruth) -> DivisionContext:
        shapes = shapes_of(truth)
        areas, reading = read_areas(drawing)
        xs, ys = shapes.centroids[:, 0], shapes.centroids[:, 1]
        inside = np.zeros((len(areas), len(truth.buildings)), dtype=bool)
        for row, area in enumerate(areas):
            shapely.prepare(area.shape)
            inside[row] = shapely.contains_xy(area.shape, xs, ys)
        return cls(truth, shapes, areas, inside, reading)

    @property
    def sizes(self) -> list[int]:
        """Each area's housing units (of the buildings whose centre it holds)."""
        return [int(self.shapes.units[row].sum()) for row in self.inside]


DivisionCheck = Callable[[DivisionContext], CriterionResult]


@dataclass(frozen=True, slots=True)
class DivisionCriterion:
    """A registered division criterion: what it checks (an N_ label) and its weight."""

    name: str
    label: str
    weight: float
    check: DivisionCheck


DIVISION_CRITERIA: dict[str, DivisionCriterion] = {}


def division_criterion(name: str, label: str,
                       weight: float) -> Callable[[DivisionCheck], DivisionCheck]:
    """Register a division criterion under `name` (report order = registration order)."""
    def register(fn: DivisionCheck) -> DivisionCheck:
        DIVISION_CRITERIA[name] = DivisionCriterion(name, label, weight, fn)
        return fn
    return register


def _no_areas() -> CriterionResult:
    return CriterionResult(0.0, (finding("no_areas", Severity.ERROR,
                                         N_("No area has been drawn.")),))


@division_criterion("balance", N_("Each area holds about the target number of housing units"),
                    0.3)
def balance(context: DivisionContext) -> CriterionResult:
    """Each area within the bounds; the spread around the target no wider than the
    reference's (or SPREAD_FREE)."""
    truth = context.truth
    if not context.areas:
        return _no_areas()
    low, high, target = truth.min_units, truth.max_units, truth.target_units
    findings: list[MapFinding] = []
    scores = []
    sizes = context.sizes
    for area, units in zip(context.areas, sizes, strict=True):
        if units < low:
            scores.append(0.5 * clamp(units / low))
            findings.append(finding(
                "area_too_small", Severity.ERROR,
                N_("Area %(area)s holds %(units)s housing units, fewer than %(low)s."),
                feature=area.feature, at=area.at, area=area.label, units=units, low=low))
        elif units > high:
            scores.append(0.5 * clamp(1 - (units - high) / high))
            findings.append(finding(
                "area_too_large", Severity.ERROR,
                N_("Area %(area)s holds %(units)s housing units, more than %(high)s."),
                feature=area.feature, at=area.at, area=area.label, units=units, high=high))
        else:
            scores.append(1.0)
    spread = _spread(sizes, target)
    reference = context.shapes.reference_spread
    allowed = max(reference if reference is not None else 0.0, SPREAD_FREE)
    penalty = clamp((spread - allowed) / SPREAD_SPAN)
    if spread > allowed:
        findings.append(finding(
            "areas_uneven", Severity.WARNING,
            N_("The areas are uneven: they differ from the target of %(target)s by "
               "%(spread)s housing units on average; a good division manages %(allowed)s."),
            target=target, spread=round(spread * target), allowed=round(allowed * target)))
    score = sum(scores) / len(scores) * (1 - SPREAD_WEIGHT * penalty)
    return CriterionResult(score, tuple(findings), {
        "areas": len(sizes), "smallest": min(sizes), "largest": max(sizes),
        "spread_units": round(spread * target, 1), "allowed_units": round(allowed * target, 1)})


@division_criterion("coverage", N_("Every building is in exactly one area, and all the land "
                                   "of the grid in one"), 0.3)
def coverage(context: DivisionContext) -> CriterionResult:
    """Every building in exactly one area; no overlaps, gaps or land outside the grid."""
    truth, shapes, areas = context.truth, context.shapes, context.areas
    findings: list[MapFinding] = []
    counts = context.inside.sum(axis=0) if areas else np.zeros(len(truth.buildings), int)
    for column, building in enumerate(truth.buildings):
        at = point_xy(shapely.Point(shapes.centroids[column]))
        if counts[column] == 0:
            findings.append(finding(
                "building_unassigned", Severity.ERROR,
                N_("A building of %(units)s housing units is in no area."),
                building=building.index, at=at, units=building.units))
        elif counts[column] > 1:
            holders = [areas[row].label for row in np.flatnonzero(context.inside[:, column])]
            findings.append(finding(
                "building_in_several", Severity.ERROR,
                N_("A building of %(units)s housing units is in areas %(areas)s at once."),
                building=building.index, at=at, units=building.units,
                areas=", ".join(holders)))
    once = int(np.count_nonzero(counts == 1))
    grid = shapes.grid
    bad_land = 0.0
    if areas:
        union = shapely.union_all([area.shape for area in areas])
        bad_land += _strips(grid.difference(union), SLIVER, "land_unassigned",
                            Severity.WARNING, N_("A strip of land up to %(width)s m wide "
                                                 "(%(size)s m²) is in no area."), findings)
        bad_land += _strips(union.difference(grid), OUTSIDE_FREE, "area_outside_grid",
                            Severity.WARNING, N_("An area reaches up to %(width)s m outside "
                                                 "the grid (%(size)s m²)."), findings)
        bad_land += _overlaps(areas, findings)
    share = bad_land / grid.area if grid.area > 0 else 0.0
    building_score = once / len(truth.buildings) if truth.buildings else 1.0
    if not areas:
        building_score = 0.0
        findings.insert(0, _no_areas().findings[0])
    score = building_score * (1 - LAND_WEIGHT * clamp((share - LAND_FREE) / LAND_SPAN))
    return CriterionResult(score, tuple(findings), {
        "buildings": len(truth.buildings), "in_one_area": once,
        "in_no_area": int(np.count_nonzero(counts == 0)),
        "in_several": int(np.count_nonzero(counts > 1)), "bad_land_share": round(share, 4)})


def _overlaps(areas: Sequence[DrawnArea], findings: list[MapFinding]) -> float:
    """Land drawn into two areas, wider than SLIVER: a finding per pair, the land's size."""
    shapes = np.array([area.shape for area in areas], dtype=object)
    tree = shapely.STRtree(shapes)
    first, second = tree.query(shapes, predicate="intersects")
    size = 0.0
    measured = 0
    for a, b in zip(first.tolist(), second.tolist(), strict=True):
        if a >= b:
            continue
        both = polygonal(areas[a].shape.intersection(areas[b].shape))
        if both.is_empty:
            continue
        if measured >= MAX_MEASURED:  # a hostile pile of areas: count the land, unmeasured
            size += float(both.area)
            continue
        measured += 1
        found: list[MapFinding] = []
        size += _strips(both, SLIVER, "areas_overlap", Severity.ERROR,
                        N_("Areas %(first)s and %(second)s overlap, by up to %(width)s m "
                           "(%(size)s m²)."), found)
        findings.extend(replace(f, feature=areas[b].feature,
                                          params={**f.params, "first": areas[a].label,
                                                  "second": areas[b].label})
                        for f in found)
    return size


def _strips(land: Shape, free: float, code: str, severity: Severity, message: str,
            findings: list[MapFinding]) -> float:
    """The size (m²) of the pieces of `land` wider than `free`, with a finding for each
    (the widest MAX_STRIPS)."""
    parts = sorted((part for part in shapely.get_parts(polygonal(land))
                    if part.geom_type == "Polygon" and part.area >= 1.0),
                   key=lambda part: -part.area)
    size = 0.0
    reported = 0
    for part in parts[:3 * MAX_STRIPS]:
        with np.errstate(all="ignore"):
            circle = shapely.maximum_inscribed_circle(part, tolerance=0.25)
        width = 2 * float(circle.length)
        if not math.isfinite(width) or width <= free:
            continue
        size += float(part.area)
        if reported < MAX_STRIPS:
            reported += 1
            x, y = circle.coords[0]
            findings.append(finding(code, severity, message, at=(float(x), float(y)),
                                    width=round(width, 1), size=round(part.area)))
    return size


@division_criterion("contiguity", N_("Each area is one closed shape with its own number"),
                    0.15)
def contiguity(context: DivisionContext) -> CriterionResult:
    """Each area one valid piece, numbered; the numbers run from 1 without gaps."""
    areas = context.areas
    if not areas:
        return _no_areas()
    findings = list(context.reading)
    scores = []
    for area in areas:
        score = 1.0
        if len(area.pieces) > 1:
            score = 0.0
            findings.append(finding(
                "area_in_pieces", Severity.ERROR,
                N_("Area %(area)s is drawn as %(count)s separate pieces; an area is one "
                   "closed shape."), feature=area.feature,
                at=point_xy(area.pieces[1].representative_point()), area=area.label,
                count=len(area.pieces)))
        elif area.repaired:
            score = 0.5
        if area.number is None:
            score *= 0.5
            findings.append(finding("area_unnumbered", Severity.WARNING,
                                    N_("An area has no number."), feature=area.feature,
                                    at=area.at))
        scores.append(score)
    numbers = sorted(area.number for area in areas if area.number is not None)
    factor = 1.0
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        factor = 0.9
        findings.append(finding(
            "area_numbers_gap", Severity.WARNING,
            N_("The areas are numbered %(numbers)s; number them 1 to %(count)s."),
            numbers=", ".join(str(n) for n in numbers[:30]), count=len(numbers)))
    return CriterionResult(sum(scores) / len(scores) * factor, tuple(findings), {
        "areas": len(areas), "in_one_piece": sum(len(a.pieces) == 1 for a in areas)})


@division_criterion("boundaries", N_("The boundaries follow roads and go round buildings"),
                    0.25)
def boundaries(context: DivisionContext) -> CriterionResult:
    """The share of boundary along roads against the reference's; no building cut."""
    truth, shapes, areas = context.truth, context.shapes, context.areas
    if not areas:
        return _no_areas()
    findings: list[MapFinding] = []
    share, length, off = _road_share([area.shape for area in areas], shapes.near_roads)
    reference = shapes.reference_share
    wanted = min(reference if reference is not None else ROAD_SHARE_DEFAULT, ROAD_SHARE_CAP)
    road_score = clamp(share / wanted) if wanted > 0 else 1.0
    if road_score < 1:
        stretches = sorted((part for part in shapely.get_parts(shapely.line_merge(off))
                            if part.length >= OFF_ROAD_REPORT), key=lambda p: -p.length)
        for part in stretches[:MAX_OFF_ROAD]:
            findings.append(finding(
                "boundary_off_road", Severity.INFO,
                N_("A boundary runs %(length)s m away from any road; boundaries are easiest "
                   "to find on the ground along roads and lanes."),
                at=point_xy(part.interpolate(0.5, normalized=True)),
                length=round(part.length)))
    cut = 0
    for area in areas:
        hits = shapes.tree.query(area.shape.boundary, predicate="intersects")
        for column in sorted(hits.tolist()):
            footprint = shapes.footprints[column]
            if footprint.area <= 0:
                continue
            inside = float(area.shape.intersection(footprint).area) / float(footprint.area)
            if CUT_SHARE < inside < 1 - CUT_SHARE:
                cut += 1
                building = truth.buildings[column]
                findings.append(finding(
                    "building_cut", Severity.ERROR,
                    N_("The boundary of area %(area)s cuts through a building of %(units)s "
                       "housing units (%(share)s %% of it inside); a building belongs to one "
                       "area."), feature=area.feature, building=building.index,
                    at=point_xy(shapely.Point(shapes.centroids[column])), area=area.label,
                    units=building.units, share=round(inside * 100)))
    building_score = 1 - clamp(cut / CUT_ZERO)
    score = ROAD_PART * road_score + (1 - ROAD_PART) * building_score
    return CriterionResult(score, tuple(findings), {
        "road_share": round(share, 4), "wanted_share": round(wanted, 4),
        "boundary_m": round(length, 1), "buildings_cut": cut})


# The result ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DivisionResult(Graded):
    """A graded division: each criterion's result, the weighted total (0-1), what reading
    the GeoJSON found, and each drawn area's number and housing units."""

    criteria: Mapping[str, CriterionResult]
    total: float
    drawing_findings: tuple[MapFinding, ...] = ()
    areas: tuple[tuple[str, int], ...] = field(default=())  # (label, housing units)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, as a submitted drawing stores it (the shape of
        `MapResult.to_dict`, so one result page shows both)."""
        return {"total": round(self.total, 4), "kind": "division",
                "drawing": [f.to_dict() for f in self.drawing_findings],
                "areas": [{"area": label, "units": units} for label, units in self.areas],
                "criteria": {name: {"score": round(result.score, 4),
                                    "weight": DIVISION_CRITERIA[name].weight,
                                    "measures": dict(result.measures),
                                    "findings": [f.to_dict() for f in result.findings]}
                             for name, result in self.criteria.items()}}


def grade_division(drawing: Drawing | object, truth: DivisionTruth) -> DivisionResult:
    """Grade a division of the grid (a `Drawing`, or decoded GeoJSON read with
    `parse_drawing`). Bad drawings never raise: what is wrong becomes findings."""
    if not isinstance(drawing, Drawing):
        drawing = parse_drawing(drawing)
    sizes: tuple[tuple[str, int], ...] = ()
    complex_ = of_features("area", drawing.of_kind("area"))  # before any overlay
    if complex_ is not None:
        results = {name: CriterionResult(0.0, (complex_.finding(),))
                   for name in DIVISION_CRITERIA}
        return DivisionResult(results, 0.0, drawing.findings, sizes)
    try:
        context = DivisionContext.build(drawing, truth)
    except (GEOSException, ValueError, FloatingPointError) as error:
        results = {name: _unreadable(error) for name in DIVISION_CRITERIA}
    else:
        results = {name: _checked(criterion.check, context)
                   for name, criterion in DIVISION_CRITERIA.items()}
        sizes = tuple(zip((area.label for area in context.areas), context.sizes,
                          strict=True))
    weight = sum(criterion.weight for criterion in DIVISION_CRITERIA.values())
    total = sum(DIVISION_CRITERIA[name].weight * result.score
                for name, result in results.items()) / weight
    return DivisionResult(results, total, drawing.findings, sizes)


def _checked(check: DivisionCheck, context: DivisionContext) -> CriterionResult:
    try:
        return check(context)
    except (GEOSException, ValueError, FloatingPointError) as error:
        return _unreadable(error)


def _unreadable(error: Exception) -> CriterionResult:
    return CriterionResult(0.0, (finding(
        "geometry_unreadable", Severity.ERROR,
        N_("This part of the map could not be checked: %(reason)s."),
        reason=str(error)[:120]),))
