"""Map grading speed: a full true map of an ~80-unit area, graded many times.

    python -m benchmarks.maps               # 500 gradings
    python -m benchmarks.maps --repeats 2000

The last line printed is one JSON object:
- grade_ms_median, grade_ms_p99: `grade_map` from decoded GeoJSON (reading included), the
  truth's shapes already cached, as when a class hands in maps of the same area
  (target: median ≤ 10 ms);
- parsed_ms_median: the same from an already read `Drawing`;
- cold_ms_median: the first grading of each of several other areas (truth shapes built);
- truth_ms_median: `truth_from_area` for those areas;
- buildings, units: the size of the timed area.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from trainer.core.maps import grade_map, parse_drawing, true_drawing, truth_from_area
from trainer.core.maps.truth import MapTruth
from trainer.core.world.grid import Area, Grid, make_grid
from trainer.core.world.spec import WorldSpec

SEED = 7


def country_areas(count: int) -> list[tuple[Grid, Area]]:
    """Village areas (one-unit houses: the most buildings per area), near 80 units first."""
    spec = WorldSpec()
    found: list[tuple[Grid, Area]] = []
    index = 0
    while len(found) < count:
        grid = make_grid(spec, SEED, index)
        if not grid.urban:
            found += [(grid, area) for area in grid.areas]
        index += 1
    return sorted(found[:count], key=lambda pair: abs(pair[1].unit_count - 80))


def timed_ms(fn: Callable[[], object], repeats: int) -> list[float]:
    """Each call's time in milliseconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cold(pairs: list[tuple[Grid, Area]]) -> tuple[list[float], list[float]]:
    """(first grading, truth building) times for each area, in milliseconds."""
    grading, truths = [], []
    for grid, area in pairs:
        started = time.perf_counter()
        truth = truth_from_area(grid, area)
        truths.append((time.perf_counter() - started) * 1000)
        drawing = true_drawing(truth)
        grading += timed_ms(lambda truth=truth, drawing=drawing: grade_map(drawing, truth), 1)
    return grading, truths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=500)
    args = parser.parse_args()
    pairs = country_areas(13)
    grid, area = pairs[0]
    truth: MapTruth = truth_from_area(grid, area)
    drawing = true_drawing(truth)
    parsed = parse_drawing(drawing)
    result = grade_map(drawing, truth)
    assert abs(result.total - 1.0) < 1e-9, result.scores  # the true map: full marks
    timed_ms(lambda: grade_map(drawing, truth), 20)  # warm up
    grades = timed_ms(lambda: grade_map(drawing, truth), args.repeats)
    parsed_times = timed_ms(lambda: grade_map(parsed, truth), args.repeats)
    cold_grades, truth_times = cold(pairs[1:])
    print(f"area {area.code} of grid {grid.index}: {len(truth.buildings)} buildings, "
          f"{area.unit_count} units; median {statistics.median(grades):.2f} ms per grading")
    print(json.dumps({
        "grade_ms_median": round(statistics.median(grades), 2),
        "grade_ms_p99": round(percentile(grades, 0.99), 2),
        "parsed_ms_median": round(statistics.median(parsed_times), 2),
        "cold_ms_median": round(statistics.median(cold_grades), 2),
        "truth_ms_median": round(statistics.median(truth_times), 2),
        "buildings": len(truth.buildings),
        "units": area.unit_count,
        "repeats": args.repeats,
    }))


if __name__ == "__main__":
    main()
