"""Boundary fit: the drawn area against the true one.

The score is the intersection over union (IoU) of the two areas, from 0.5 (scores 0) to 0.95
(scores 1), times a factor for the widest strip of area left out (gap) or taken in
(overreach): 1 up to a 3 m strip, falling to 0.5 at 30 m. A strip's width is the diameter of
the largest circle that fits inside it, so a boundary drawn 7 m too far east has a 7 m gap on
the west and a 7 m overreach on the east, and a whole missed lot is as wide as the lot. A
boundary that crosses itself is repaired (`make_valid`), several features or pieces are
joined, each with a finding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import shapely

from trainer.core.i18n import N_
from trainer.core.maps.complexity import of_features
from trainer.core.maps.context import REPAIR_LIMIT, Context, polygonal, repair
from trainer.core.maps.model import DrawnFeature, MapFinding, Severity, Shape, finding
from trainer.core.maps.registry import CriterionResult, clamp, map_criterion, point_xy
from trainer.core.world.geometry import Point

# Findings and scoring
IOU_ZERO, IOU_FULL = 0.5, 0.95
WIDTH_FREE, WIDTH_HALF = 3.0, 30.0  # m: strips this wide cost nothing / halve the score
WIDTH_ERROR = 10.0  # m: a wider strip is an error, a narrower one (above WIDTH_FREE) a warning
MIN_PIECE_AREA = 1.0  # m²: slivers of rounding are not strips
PRECISION = 0.001  # m: the grid the drawn area is snapped to
MAX_PIECES = 10  # gap or overreach findings reported, widest first
PIECE_SHARE = 0.01  # a boundary piece under 1 % of the drawn area is a stray, not a piece


@map_criterion("boundary_fit", N_("The boundary follows the area's true boundary"), 0.25)
def boundary_fit(context: Context) -> CriterionResult:
    """The drawn area against the true one: IoU, widest gap and widest overreach."""
    drawn = context.drawing.of_kind("boundary")
    if not drawn:
        return CriterionResult(0.0, (finding("boundary_missing", Severity.ERROR,
                                             N_("The map has no boundary.")),),
                               {"iou": 0.0})
    complex_ = of_features("boundary", drawn)  # before any overlay: see complexity.py
    if complex_ is not None:
        return CriterionResult(0.0, (complex_.finding(),), {"iou": 0.0})
    findings: list[MapFinding] = []
    area = _drawn_area(drawn, findings)
    if area.is_empty:
        findings.append(finding("boundary_missing", Severity.ERROR,
                                N_("The map has no boundary.")))
        return CriterionResult(0.0, tuple(findings), {"iou": 0.0})
    true = context.shapes.area
    overlap = area.intersection(true).area
    union = area.area + true.area - overlap
    iou = overlap / union if union > 0 else 0.0
    distance = float(area.distance(true))
    if overlap <= 0 and math.isfinite(distance):  # (an empty true area has no distance)
        findings.append(finding(
            "boundary_far", Severity.ERROR,
            N_("The drawn boundary does not overlap the area at all; it lies %(distance)s m "
               "away."), at=point_xy(area.representative_point()),
            distance=round(distance, 1)))
    gap = _strips(true.difference(area), "boundary_gap", findings, N_(
        "The drawn boundary leaves out a strip of the area up to %(width)s m wide "
        "(%(area)s m²)."))
    over = _strips(area.difference(true), "boundary_overreach", findings, N_(
        "The drawn boundary takes in land outside the area, up to %(width)s m wide "
        "(%(area)s m²)."))
    findings.extend(_buildings_left_out(context, area))
    widest = max(gap, over)
    factor = 1 - 0.5 * clamp((widest - WIDTH_FREE) / (WIDTH_HALF - WIDTH_FREE))
    score = clamp((iou - IOU_ZERO) / (IOU_FULL - IOU_ZERO)) * factor
    return CriterionResult(score, tuple(findings), {
        "iou": round(iou, 4), "gap_m": round(gap, 1), "overreach_m": round(over, 1),
        "drawn_area_m2": round(area.area, 1), "true_area_m2": round(true.area, 1)})


def _drawn_area(drawn: Sequence[DrawnFeature], findings: list[MapFinding]) -> Shape:
    """The union of the boundary features, each repaired if it crosses itself."""
    pieces = []
    for feature in drawn:
        geometry = feature.geometry
        if geometry is None or geometry.is_empty:
            continue
        if not geometry.is_valid:
            reason = shapely.is_valid_reason(geometry)
            repaired = repair(geometry)
            if repaired.is_empty and shapely.get_num_coordinates(geometry) <= REPAIR_LIMIT:
                repaired = polygonal(geometry.buffer(0))
            geometry = repaired
            findings.append(finding(  # the GEOS reason is kept for logs, not shown
                "boundary_repaired", Severity.WARNING,
                N_("The boundary crosses itself or runs back over itself; it was read as "
                   "the area it encloses."), feature=feature.index,
                at=_problem_point(reason), reason=reason))
        pieces.append(geometry)
    if len(drawn) > 1:
        findings.append(finding("boundary_several", Severity.WARNING,
                                N_("The boundary was drawn as %(count)s separate features; "
                                   "they were joined."), count=len(drawn)))
    # Snapped to a millimetre grid: a hand drawing is no finer, and GEOS then never meets
    # the denormal slivers a drawing can be built to contain.
    area = (polygonal(shapely.set_precision(shapely.union_all(pieces), PRECISION))
            if pieces else shapely.Polygon())
    parts = [part for part in shapely.get_parts(area)
             if part.area >= PIECE_SHARE * area.area]
    if len(parts) > 1:
        second = sorted(parts, key=lambda part: -part.area)[1]
        findings.append(finding(
            "boundary_pieces", Severity.WARNING,
            N_("The boundary encloses %(count)s separate pieces; an area is one closed "
               "shape unless it has an enclave."), at=point_xy(second.representative_point()),
            count=len(parts)))
    return area


def _problem_point(reason: str) -> Point | None:
    """The point GEOS names in its validity reason ("Self-intersection[12 34]")."""
    found = re.search(r"\[([-\d.e+]+) ([-\d.e+]+)", reason)
    if found is None:
        return None
    try:
        return float(found.group(1)), float(found.group(2))
    except ValueError:
        return None


def _strips(difference: Shape, code: str, findings: list[MapFinding], message: str) -> float:
    """The widest strip among the pieces of a difference; a finding for each strip wider
    than WIDTH_FREE (the widest MAX_PIECES)."""
    parts = [part for part in shapely.get_parts(difference)
             if part.geom_type == "Polygon" and part.area >= MIN_PIECE_AREA]
    parts.sort(key=lambda part: -part.area)
    widest = 0.0
    for part in parts[:3 * MAX_PIECES]:
        with np.errstate(all="ignore"):
            circle = shapely.maximum_inscribed_circle(part, tolerance=0.25)
        width = 2 * float(circle.length)
        if not math.isfinite(width):
            continue
        widest = max(widest, width)
        if width > WIDTH_FREE and sum(f.code == code for f in findings) < MAX_PIECES:
            severity = Severity.ERROR if width > WIDTH_ERROR else Severity.WARNING
            x, y = circle.coords[0]
            findings.append(finding(code, severity, message, at=(float(x), float(y)),
                                    width=round(width, 1), area=round(part.area)))
    return widest


def _buildings_left_out(context: Context, area: Shape) -> list[MapFinding]:
    """A note for each true building whose centre the drawn boundary leaves outside."""
    centroids = context.shapes.centroids
    if not len(centroids):
        return []
    inside = shapely.contains_xy(area, centroids[:, 0], centroids[:, 1])
    return [finding("building_outside_boundary", Severity.WARNING,
                    N_("The drawn boundary leaves building %(number)s outside."),
                    building=building.number, at=building.centroid, number=building.number)
            for building, within in zip(context.truth.buildings, inside.tolist(), strict=True)
            if not within]
