"""How complex a drawing's graded shapes may be: limits that keep grading under a second.

Decision (security review F1): the overlays that grade a map (the route's self-union, the
boundary's union, gap and overreach, a division's pairwise intersections) cost time and memory
that grow with the square of the number of *crossings* between the drawn lines, and a shape
can have as many crossings as the square of its vertices: a route of 1,000 random points took
2.4 s and 270 MB, one of 19,000 points exhausted 20 GB; two valid "comb" boundaries of 400
vertices crossing each other 2,500 times took seconds. Hand drawing never comes near: the
editor (`static/maps/editor.js`, Leaflet-Geoman) makes one vertex per click, the perfect maps
of the generated worlds have routes of at most ~90 points, boundaries and areas of ~10, and a
careful trainee's lines cross a handful of times.

So each graded group of shapes (all route pieces together; all boundary features together;
all of a division's areas together) is held to two limits:

- at most `MAX_VERTICES[kind]` vertices (the group's total: 2,000, twenty times a careful
  hand's route), which also bounds the cost of counting crossings (all pairs of 2,000 edges:
  ~0.15 s; 5,000 would take ~0.9 s);
- at most `MAX_CROSSINGS` proper crossings between its edges (two edges whose interiors
  cross at one point; edges that merely touch or run along each other, as neighbouring areas
  do, do not count). This is what bounds the overlays: measured on this machine a group at
  the limit grades in well under a second (combs of 1,000 crossings: ~0.5 s for a division,
  less for a boundary; a random route of 500 points: ~0.4 s).

Both are enforced twice: when a drawing is saved (`complexity_problems` gives the refusal,
the maps service raises InvalidInput, a 400 naming the limit, and the last good save stays)
and before the overlays in grading (a drawing stored before the limits existed grades the
criterion 0 with a "too complex to grade" finding, in about the time it takes to count).
Counting tests the edges pairwise with numpy, a chunk at a time, and stops as soon as the
count passes the limit: at most n² / 2 cheap orientation tests for n ≤ MAX_VERTICES edges,
never an overlay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from trainer.core.i18n import N_
from trainer.core.maps.model import DrawnFeature, MapFinding, Severity, Shape, finding

MAX_VERTICES = {"route": 2_000, "boundary": 2_000, "area": 2_000}
MAX_CROSSINGS = 1_000  # proper crossings between the edges of one group
CHUNK = 200  # edges queried at once while counting crossings


@dataclass(frozen=True, slots=True)
class TooComplex:
    """Why a group of shapes is too complex to grade: its kind, what was counted (vertices
    or crossings), the count (or a lower bound of it) and the limit."""

    kind: str
    measure: str  # "vertices" or "crossings"
    count: int
    limit: int

    @property
    def message(self) -> str:
        """The message id (N_): what is too complex, the count and the limit."""
        return MESSAGES[self.kind, self.measure]

    def finding(self) -> MapFinding:
        """The grading finding: the criterion scores 0 and says why."""
        return finding("too_complex", Severity.ERROR, self.message, kind=self.kind,
                       count=self.count, limit=self.limit)


MESSAGES = {
    ("route", "vertices"): N_("The route has %(count)s points, more than the %(limit)s a "
                              "route may have: it is too complex to grade. Draw it with "
                              "fewer points."),
    ("route", "crossings"): N_("The route crosses itself more than %(limit)s times: it is too "
                               "complex to grade. Draw it without so many crossings."),
    ("boundary", "vertices"): N_("The boundary has %(count)s points, more than the %(limit)s "
                                 "a boundary may have: it is too complex to grade. Draw it "
                                 "with fewer points."),
    ("boundary", "crossings"): N_("The boundary crosses itself more than %(limit)s times: it "
                                  "is too complex to grade. Draw it without so many "
                                  "crossings."),
    ("area", "vertices"): N_("The areas have %(count)s points in all, more than the %(limit)s "
                             "a division may have: it is too complex to grade. Draw them "
                             "with fewer points."),
    ("area", "crossings"): N_("The areas' outlines cross each other more than %(limit)s "
                              "times: they are too complex to grade. Draw them without so "
                              "many crossings."),
}


def too_complex(kind: str, shapes: Sequence[Shape | None]) -> TooComplex | None:
    """Whether the group of `kind` shapes is past a limit (None when it may be graded)."""
    present = [shape for shape in shapes if shape is not None and not shape.is_empty]
    if not present:
        return None
    limit = MAX_VERTICES[kind]
    vertices = int(sum(shapely.get_num_coordinates(shape) for shape in present))
    if vertices > limit:
        return TooComplex(kind, "vertices", vertices, limit)
    crossings = count_crossings(present, MAX_CROSSINGS)
    if crossings > MAX_CROSSINGS:
        return TooComplex(kind, "crossings", crossings, MAX_CROSSINGS)
    return None


def of_features(kind: str, features: Sequence[DrawnFeature]) -> TooComplex | None:
    """`too_complex` of the drawn features of one kind."""
    return too_complex(kind, [feature.geometry for feature in features])


def count_crossings(shapes: Sequence[Shape], cap: int) -> int:
    """Proper crossings between the edges of the shapes (rings and lines), counted up to just
    past `cap` (a result above `cap` is a lower bound): a chunk of edges at a time against
    all the others, with numpy orientation tests (two edges cross when each one's ends lie
    strictly on either side of the other)."""
    edges = _edges(shapes)  # (n, 2, 2)
    n = len(edges)
    count = 0
    a, b = edges[:, 0], edges[:, 1]
    for start in range(0, n - 1, CHUNK):
        p, q = a[start:start + CHUNK, None], b[start:start + CHUNK, None]  # (c, 1, 2)
        r, s = a[None, start + 1:], b[None, start + 1:]  # (1, m, 2)
        with np.errstate(all="ignore"):
            crossing = ((_side(p, q, r) * _side(p, q, s) < 0)
                        & (_side(r, s, p) * _side(r, s, q) < 0))
        rows = np.arange(crossing.shape[0])[:, None]
        columns = np.arange(crossing.shape[1])[None, :]
        count += int(np.count_nonzero(crossing & (columns >= rows)))  # each pair once
        if count > cap:
            break
    return count


def _side(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The sign of the turn p -> q -> r (+1 left, -1 right, 0 in line)."""
    turn: np.ndarray = np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                               - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))
    return turn


def _edges(shapes: Sequence[Shape]) -> np.ndarray:
    """Every edge of the shapes' rings and lines, as an (n, 2, 2) array of end points."""
    pieces = []
    for shape in shapes:
        if shape.geom_type in ("Polygon", "MultiPolygon"):
            shape = shapely.boundary(shape)
        for part in shapely.get_parts(shape):
            coords = shapely.get_coordinates(part)
            if len(coords) >= 2:
                pieces.append(np.stack([coords[:-1], coords[1:]], axis=1))
    if not pieces:
        return np.zeros((0, 2, 2))
    pairs = np.concatenate(pieces)
    return pairs[np.any(pairs[:, 0] != pairs[:, 1], axis=1)]  # no zero-length edges
