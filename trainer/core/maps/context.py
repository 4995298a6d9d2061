"""What every map criterion reads, worked out once per grading.

The truth's shapes (the area polygon, the footprints in a spatial index) are made once per
`MapTruth` and kept in a small cache: a class grades the same area many times. The drawn
building marks are matched to true buildings here, so coverage, numbering and the route all
agree on which mark is which building.

A mark matches a building when its point (a Point mark itself; the centre of a drawn
polygon, or a point inside it when the centre falls outside) lies in the footprint or
within MATCH_DISTANCE of it. Lots are at least 10 m apart wall to wall, so the nearest
footprint within 5 m is never ambiguous. Each building takes one mark: the nearest (then the
first drawn); a further mark on it is a duplicate. A mark nearest to a building of another
area claims that building.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from trainer.core.maps.model import Drawing, DrawnFeature, Shape
from trainer.core.maps.truth import MapTruth, RegisterRow
from trainer.core.world.geometry import Point

MATCH_DISTANCE = 5.0  # m between a mark's point and a footprint
Objects = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class TruthShapes:
    """Shapely geometry of a MapTruth (built once, then cached)."""

    area: Shape  # the area polygon (repaired if a hand-made truth was invalid)
    ring: Shape  # its outline
    footprints: Objects  # true buildings, in truth.buildings order
    centroids: npt.NDArray[np.float64]  # (n, 2)
    candidates: Shape  # STRtree over footprints + neighbours' footprints
    places: Objects  # truth.places as geometry


@functools.lru_cache(maxsize=64)
def shapes_of(truth: MapTruth) -> TruthShapes:
    """The truth's geometry, cached per truth (MapTruth is frozen and hashable)."""
    area = shapely.Polygon(truth.boundary) if len(truth.boundary) >= 3 else shapely.Polygon()
    if not area.is_valid:
        area = polygonal(shapely.make_valid(area))
    footprints = _polygons([b.footprint for b in truth.buildings])
    others = _polygons([b.footprint for b in truth.neighbours])
    centroids = np.array([b.centroid for b in truth.buildings], dtype=np.float64).reshape(-1, 2)
    places = np.array([shapely.LineString(p.geometry) if p.line else shapely.Polygon(p.geometry)
                       for p in truth.places], dtype=object)
    tree = shapely.STRtree(np.concatenate([footprints, others]))
    return TruthShapes(area, area.exterior if area.geom_type == "Polygon" else area.boundary,
                       footprints, centroids, tree, places)


def _polygons(rings: Sequence[Sequence[Point]]) -> Objects:
    return np.array([shapely.Polygon(ring) for ring in rings], dtype=object)


# A drawn shape that crosses itself is repaired (read as the land it encloses) only up to this
# many vertices: the cost of a repair grows with the square or the cube of the vertices (a
# random 1,000-vertex ring takes seconds even with the "structure" method, 5,000 minutes),
# and a hand-drawn area has tens.
REPAIR_LIMIT = 400
MAX_MARK_REPAIRS = 20  # self-crossing building marks repaired in one drawing; the rest are points


def repair(geometry: Shape) -> Shape:
    """The polygonal part of a self-crossing shape, or an empty polygon when it has more than
    REPAIR_LIMIT vertices (the caller reports it as unreadable)."""
    if shapely.get_num_coordinates(geometry) > REPAIR_LIMIT:
        return shapely.Polygon()
    # "structure" keeps the land the rings enclose and is far cheaper than the default
    # "linework" on rings that cross themselves many times (0.08 s against 15 s at 300)
    return polygonal(shapely.make_valid(geometry, method="structure"))


def polygonal(geometry: Shape) -> Shape:
    """The polygonal part of a geometry (make_valid may add stray lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [part for part in shapely.get_parts(geometry)
             if part.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


@dataclass(frozen=True, slots=True)
class Mark:
    """A drawn building mark and what it was matched to."""

    feature: DrawnFeature
    shape: Shape  # its geometry, repaired if invalid
    point: Point  # where it stands
    building: int | None = None  # index into truth.buildings
    neighbour: int | None = None  # index into truth.neighbours (a claim outside the area)
    duplicate: bool = False  # a second mark on an already marked building

    @property
    def number(self) -> int | None:
        return self.feature.number


@dataclass(frozen=True, slots=True)
class Context:
    """The drawing, the truth and everything derived from both that criteria share."""

    drawing: Drawing
    truth: MapTruth
    shapes: TruthShapes
    register: tuple[RegisterRow, ...] | None
    rule: str
    marks: tuple[Mark, ...]

    @classmethod
    def build(cls, drawing: Drawing, truth: MapTruth, register: Sequence[RegisterRow] | None,
              rule: str) -> Context:
        shapes = shapes_of(truth)
        marks = match_marks(drawing.of_kind("building"), truth, shapes)
        return cls(drawing, truth, shapes, tuple(register) if register is not None else None,
                   rule, marks)

    @property
    def matched(self) -> dict[int, Mark]:
        """True building index -> the mark that matched it."""
        return {mark.building: mark for mark in self.marks
                if mark.building is not None and not mark.duplicate}


def match_marks(features: Sequence[DrawnFeature], truth: MapTruth,
                shapes: TruthShapes) -> tuple[Mark, ...]:
    """Each building mark with the true building (or neighbour) it stands on."""
    if not features:
        return ()
    features = [f for f in features if f.geometry is not None and not f.geometry.is_empty]
    if not features:
        return ()
    geometry = np.array([feature.geometry for feature in features], dtype=object)
    invalid = ~shapely.is_valid(geometry)
    if invalid.any():
        geometry[invalid] = [_repaired(g) if n < MAX_MARK_REPAIRS else _first_point(g)
                             for n, g in enumerate(geometry[invalid])]
    points = shapely.centroid(geometry)
    outside = ~shapely.contains(geometry, points) & (shapely.get_type_id(geometry) != 0)
    if outside.any():
        points[outside] = shapely.point_on_surface(geometry[outside])
    xy = shapely.get_coordinates(points)
    pairs, distances = shapes.candidates.query_nearest(
        shapely.points(xy), max_distance=MATCH_DISTANCE, return_distance=True,
        all_matches=False)
    nearest = {int(mark): (float(distance), int(candidate))
               for mark, candidate, distance in zip(pairs[0], pairs[1], distances, strict=True)}
    own = len(truth.buildings)
    taken: set[int] = set()
    found: dict[int, tuple[int | None, int | None, bool]] = {}
    for mark in sorted(nearest, key=lambda m: (nearest[m][0], m)):
        candidate = nearest[mark][1]
        if candidate >= own:
            found[mark] = (None, candidate - own, False)
        elif candidate in taken:
            found[mark] = (candidate, None, True)
        else:
            taken.add(candidate)
            found[mark] = (candidate, None, False)
    return tuple(Mark(feature, geometry[index], (float(xy[index][0]), float(xy[index][1])),
                      *found.get(index, (None, None, False)))
                 for index, feature in enumerate(features))


def _repaired(geometry: Shape) -> Shape:
    """A valid stand-in for an invalid mark: its polygonal part, or, when it has no area
    (three points in a row), the centre of what it is."""
    if shapely.get_num_coordinates(geometry) > REPAIR_LIMIT:
        return _first_point(geometry)
    fixed = shapely.make_valid(geometry, method="structure")
    area = polygonal(fixed)
    if not area.is_empty:
        return area
    centre = fixed.centroid
    return centre if not centre.is_empty else _first_point(geometry)


def _first_point(geometry: Shape) -> Shape:
    """An invalid mark too costly to repair stands for the first point it was drawn with."""
    return shapely.Point(geometry.exterior.coords[0])
