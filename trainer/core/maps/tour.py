"""A good visiting route through a set of buildings, to measure a drawn route against.

The yardstick is a short open path through the buildings' centres with free ends: nearest
neighbour from the south-west-most building, then 2-opt until no exchange of two edges
shortens it. An open path with free ends is a closed tour through one extra "anywhere" node
at distance 0 from every building, so the classic 2-opt move works unchanged. Each pass
scores every exchange at once with numpy and applies the best, so the result is
deterministic (ties go to the first exchange) and ~80 buildings take about a millisecond.
Not optimal, but within a few per cent of it on street-lattice layouts, which is all a
yardstick for "little back-tracking" needs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float64]  # shape (n, 2)
MAX_PASSES = 2_000  # a safety bound; lattice layouts settle in well under n passes


def good_path_length(points: Points) -> float:
    """Length of a short open path through every point (order free, ends free)."""
    if len(points) < 2:
        return 0.0
    ordered = points[np.lexsort((points[:, 1], points[:, 0]))]  # independent of input order
    return path_length(ordered, good_path(ordered))


def path_length(points: Points, order: list[int]) -> float:
    """Length of the open path visiting `points` in `order`."""
    if len(order) < 2:
        return 0.0
    steps = np.diff(points[order], axis=0)
    return float(np.hypot(steps[:, 0], steps[:, 1]).sum())


def good_path(points: Points) -> list[int]:
    """A short open path through every point, as indices: nearest neighbour + 2-opt."""
    count = len(points)
    if count < 3:
        return list(range(count))
    gaps = points[:, None, :] - points[None, :, :]
    distance = np.zeros((count + 1, count + 1))
    distance[:count, :count] = np.hypot(gaps[..., 0], gaps[..., 1])  # node `count`: anywhere
    start = int(np.argmin(points[:, 0] + points[:, 1]))
    tour = np.array([count, *_nearest_neighbour(distance[:count, :count], start)])
    _two_opt(tour, distance)
    return [int(node) for node in tour[1:]]


def _nearest_neighbour(distance: npt.NDArray[np.float64], start: int) -> list[int]:
    count = len(distance)
    seen = np.zeros(count, dtype=bool)
    order = [start]
    seen[start] = True
    for _ in range(count - 1):
        row = np.where(seen, np.inf, distance[order[-1]])
        order.append(int(np.argmin(row)))
        seen[order[-1]] = True
    return order


def _two_opt(tour: npt.NDArray[np.int_], distance: npt.NDArray[np.float64]) -> None:
    """Improve the closed tour in place (position 0, the free node, stays first): reverse
    tour[i..j] while that shortens it, the best reversal first."""
    size = len(tour)
    first, last = np.triu_indices(size, k=1)
    keep = first >= 1
    first, last = first[keep], last[keep]
    after = (last + 1) % size
    for _ in range(MAX_PASSES):
        a, b, c, d = tour[first - 1], tour[first], tour[last], tour[after]
        gain = distance[a, c] + distance[b, d] - distance[a, b] - distance[c, d]
        best = int(np.argmin(gain))
        if gain[best] >= -1e-9:
            return
        i, j = int(first[best]), int(last[best])
        tour[i:j + 1] = tour[i:j + 1][::-1].copy()
