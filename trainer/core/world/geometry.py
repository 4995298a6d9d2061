"""Lattice geometry: lots on a grid of cells, serpentine order and the outline of a run.

A grid's land is a lattice of rectangular lots; roads and rivers run along lattice lines. An
enumeration area is a run of consecutive lots in serpentine (蛇形) order, which is always
4-connected and simply connected, so its outline is one closed rectilinear ring that follows
lot edges and never cuts a building.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

Point = tuple[float, float]
Cell = tuple[int, int]  # (row, col), row 0 at the south


def serpentine(rows: int, cols: int) -> list[Cell]:
    """Cells row by row from the south-west corner, alternating direction, no back-tracking."""
    return list(_serpentine(rows, cols))  # a list of one's own (callers keep and slice it)


@functools.lru_cache(maxsize=64)
def _serpentine(rows: int, cols: int) -> tuple[Cell, ...]:
    """The serpentine order of a lattice, made once per size (a grid reads it twice, and
    grids of a world share a few sizes)."""
    order: list[Cell] = []
    for row in range(rows):
        columns = range(cols) if row % 2 == 0 else range(cols - 1, -1, -1)
        order.extend((row, col) for col in columns)
    return tuple(order)


def cell_box(cell: Cell, width: float, height: float) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a cell of the given size."""
    row, col = cell
    return col * width, row * height, (col + 1) * width, (row + 1) * height


def outline(cells: Iterable[Cell], width: float, height: float) -> list[Point]:
    """The counter-clockwise outer ring of a simply connected set of cells, without
    collinear points; the first point is not repeated at the end."""
    edges: dict[tuple[Cell, Cell], None] = {}  # directed boundary edges, insertion-ordered
    for row, col in cells:
        corners = ((col, row), (col + 1, row), (col + 1, row + 1), (col, row + 1))
        for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
            if (end, start) in edges:
                del edges[(end, start)]
            else:
                edges[(start, end)] = None
    if not edges:
        return []
    # In a simply connected run every boundary corner starts exactly one boundary edge
    # (serpentine runs never touch themselves at a corner only).
    following = dict(edges.keys())  # start corner -> end corner
    if len(following) != len(edges):
        raise ValueError("cells do not form one closed ring")
    start = min(following)
    ring = [start]
    current = following[start]
    while current != start:
        ring.append(current)
        current = following[current]
        if len(ring) > len(following):
            raise ValueError("cells do not form one closed ring")
    ring = _drop_collinear(ring)
    return [(x * width, y * height) for x, y in ring]


def _drop_collinear(ring: Sequence[Cell]) -> list[Cell]:
    kept = []
    count = len(ring)
    for index, point in enumerate(ring):
        before, after = ring[index - 1], ring[(index + 1) % count]
        cross = (point[0] - before[0]) * (after[1] - point[1]) - (point[1] - before[1]) * (
            after[0] - point[0])
        if cross != 0:
            kept.append(point)
    return kept


def polygon_area(ring: Sequence[Point]) -> float:
    """Signed area (positive for counter-clockwise rings)."""
    total = 0.0
    for index, (x0, y0) in enumerate(ring):
        x1, y1 = ring[(index + 1) % len(ring)]
        total += x0 * y1 - x1 * y0
    return total / 2


def inset_box(box: tuple[float, float, float, float], margin_x: float,
              margin_y: float) -> list[Point]:
    """A rectangle inside `box`, as a counter-clockwise ring (a building's footprint)."""
    x0, y0, x1, y1 = box
    return [(x0 + margin_x, y0 + margin_y), (x1 - margin_x, y0 + margin_y),
            (x1 - margin_x, y1 - margin_y), (x0 + margin_x, y1 - margin_y)]
