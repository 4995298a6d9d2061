"""The registration route (入户登记路线): it passes every building of the area (a building left
off the map is still on the enumerator's way), starts and ends sensibly, and does not
back-track.

Score: 0.6 × the share of buildings passed (within 12 m), 0.1 each for a start and an end near
the boundary or the first / last building, and 0.2 for length: a route up to 1.3 times the
reference (`tour.py`) scores full, 3 times scores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from trainer.core.i18n import N_
from trainer.core.maps.complexity import of_features
from trainer.core.maps.context import Context
from trainer.core.maps.model import DrawnFeature, MapFinding, Severity, Shape, finding
from trainer.core.maps.registry import CriterionResult, clamp, map_criterion
from trainer.core.maps.tour import good_path_length, path_length
from trainer.core.world.geometry import Point

VISIT_DISTANCE = 12.0  # m from a building that counts as passing it
END_DISTANCE = 25.0  # m from the boundary or the first/last building
RATIO_FREE, RATIO_ZERO = 1.3, 3.0  # route length / reference length
RETRACED_NOTE = 30.0  # m of retraced street worth a note


@dataclass(frozen=True, slots=True)
class _Target:
    """A building the route must pass: its shape, centre and how findings name it."""

    shape: Shape
    point: Point
    feature: int | None  # the drawn mark
    number: int | None  # the number written on it (the true one when nothing is marked)
    building: int | None  # the true 建筑物编号, when known


@map_criterion("route", N_("The route visits every building without back-tracking"), 0.15)
def route(context: Context) -> CriterionResult:
    """Visits every building of the area, starts and ends sensibly, and is short."""
    routes = context.drawing.of_kind("route")
    if not routes:
        return CriterionResult(0.0, (finding("route_missing", Severity.ERROR,
                                             N_("The map has no registration route.")),))
    complex_ = of_features("route", routes)  # before any overlay: see complexity.py
    if complex_ is not None:
        return CriterionResult(0.0, (complex_.finding(),))
    findings: list[MapFinding] = []
    line = _joined(routes, findings)
    targets = _targets(context)
    shapes = np.array([target.shape for target in targets], dtype=object)
    visited = [bool(seen) for seen in shapely.distance(line, shapes) <= VISIT_DISTANCE]
    for target, seen in zip(targets, visited, strict=True):
        if not seen:
            findings.append(finding(
                "building_not_on_route", Severity.ERROR,
                N_("The route does not pass building %(number)s."), feature=target.feature,
                building=target.building, at=target.point,
                number=target.number if target.number is not None else "?"))
    start_ok = _end_ok(context, line, 0, targets, findings)
    end_ok = _end_ok(context, line, -1, targets, findings)
    ratio, efficiency = _efficiency(line, targets, findings)
    _retraced(line, findings)
    share = sum(visited) / len(visited) if visited else 1.0
    score = 0.6 * share + 0.1 * start_ok + 0.1 * end_ok + 0.2 * efficiency
    return CriterionResult(score, tuple(findings), {
        "visited": round(share, 4), "length_m": round(float(line.length), 1),
        "ratio": round(ratio, 3)})


def _joined(routes: Sequence[DrawnFeature], findings: list[MapFinding]) -> Shape:
    """One line from the route's pieces, joined end to start in drawing order."""
    lines = [part for feature in routes for part in shapely.get_parts(feature.geometry)]
    if len(lines) > 1:
        findings.append(finding("route_in_pieces", Severity.WARNING,
                                N_("The route is drawn in %(count)s pieces; they were joined "
                                   "in drawing order."), feature=routes[0].index,
                                count=len(lines)))
    coordinates = np.concatenate([shapely.get_coordinates(part) for part in lines])
    return shapely.LineString(coordinates)


def _targets(context: Context) -> list[_Target]:
    """What the route must pass: every building of the area (the enumerator visits them all,
    marked or not); a marked one is named by its mark, so the finding points at it."""
    truth = context.truth
    footprints = context.shapes.footprints
    marks = context.matched
    return [_Target(footprints[index], building.centroid,
                    marks[index].feature.index if index in marks else None,
                    marks[index].number if index in marks else building.number,
                    building.number)
            for index, building in enumerate(truth.buildings)]


def _end_ok(context: Context, line: Shape, end: int, targets: Sequence[_Target],
            findings: list[MapFinding]) -> bool:
    """The route's start (end=0) or end (-1) lies near the boundary or near the first
    (last) building by number."""
    x, y = line.coords[end]
    point = shapely.Point(x, y)
    near = [context.shapes.ring] if not context.shapes.area.is_empty else []
    numbered = [target for target in targets if target.number is not None]
    if numbered:
        pick = min if end == 0 else max
        near.append(pick(numbered, key=lambda target: target.number or 0).shape)
    if any(point.distance(shape) <= END_DISTANCE for shape in near):
        return True
    if end == 0:
        findings.append(finding("route_start_far", Severity.WARNING,
                                N_("The route should start at the boundary or at building "
                                   "1."), at=(float(x), float(y))))
    else:
        findings.append(finding("route_end_far", Severity.WARNING,
                                N_("The route should end at the boundary or at the last "
                                   "building."), at=(float(x), float(y))))
    return False


def _efficiency(line: Shape, targets: Sequence[_Target],
                findings: list[MapFinding]) -> tuple[float, float]:
    """(route length / reference length, its score).

    The reference is the longer of a good route through the same buildings and the walk
    through them in the area's listing order (the serpentine the world numbers by, which
    may detour round an empty lot), plus END_DISTANCE at each end to reach the boundary.
    """
    points = np.array([t.point for t in targets], dtype=np.float64).reshape(-1, 2)
    listed = sorted((t.building, t.point) for t in targets if t.building is not None)
    listing = np.array([point for _number, point in listed], dtype=np.float64).reshape(-1, 2)
    reference = max(good_path_length(points),
                    path_length(listing, list(range(len(listing))))) + 2 * END_DISTANCE
    length = float(line.length)
    ratio = length / reference
    if ratio > RATIO_FREE:
        findings.append(finding(
            "route_long", Severity.WARNING,
            N_("The route is %(length)s m long, %(ratio)s times a good route through the "
               "same buildings (%(good)s m): it back-tracks."), length=round(length),
            ratio=round(ratio, 1), good=round(reference)))
    return ratio, clamp((RATIO_ZERO - ratio) / (RATIO_ZERO - RATIO_FREE))


def _retraced(line: Shape, findings: list[MapFinding]) -> None:
    """A note on the length of street walked twice (the route minus its own union)."""
    retraced = float(line.length) - float(shapely.union_all([line]).length)
    if retraced > RETRACED_NOTE:
        findings.append(finding("route_retraced", Severity.INFO,
                                N_("The route walks %(length)s m of street twice."),
                                length=round(retraced)))
