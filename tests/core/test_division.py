"""Dividing a whole grid into enumeration areas: the world's own division scores full marks,
and each way of spoiling it (an area left out, two areas merged, a boundary through a
building, overlaps, gaps, pieces, bad GeoJSON) costs the right criterion with a finding that
points at the feature, never an exception."""

from __future__ import annotations

import copy
import functools
import json
import math

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.core.maps import (
    DIVISION_CRITERIA,
    division_overlay_svg,
    division_truth,
    grade_division,
    load_drawing,
    true_division,
)
from trainer.core.maps.division import DivisionTruth, GridBuilding, Road
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

SPEC = WorldSpec()
seeds = st.integers(min_value=0, max_value=2**32)
grid_indexes = st.integers(min_value=0, max_value=30)
picks = st.integers(min_value=0, max_value=50)
fast = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=32)
def world_grid(seed: int, index: int):
    grid = make_grid(SPEC, seed, index)
    return grid, division_truth(grid)


def area_feature(ring, number, **properties):
    closed = [*ring, ring[0]]
    return {"type": "Feature", "properties": {"kind": "area", "number": number, **properties},
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in closed]]}}


def collection(*features):
    return {"type": "FeatureCollection", "properties": {}, "features": list(features)}


def small_truth() -> DivisionTruth:
    """A 200 x 100 m grid with a road down the middle (x = 100) and along y = 50; four
    buildings of 80 units, one in each quarter; areas of 60-120 around 80."""
    boxes = [(20, 10), (120, 10), (20, 60), (120, 60)]
    buildings = tuple(GridBuilding(index, ((x, y), (x + 40, y), (x + 40, y + 30), (x, y + 30)), 80)
                      for index, (x, y) in enumerate(boxes))
    roads = (Road("lane", "中巷", ((100.0, 0.0), (100.0, 100.0))),
             Road("road", "中路", ((0.0, 50.0), (200.0, 50.0))))
    return DivisionTruth("测试网格", ((0, 0), (200, 0), (200, 100), (0, 100)), buildings, roads,
                         80, 60, 120)


QUARTERS = [[(0, 0), (100, 0), (100, 50), (0, 50)], [(100, 0), (200, 0), (200, 50), (100, 50)],
            [(0, 50), (100, 50), (100, 100), (0, 100)],
            [(100, 50), (200, 50), (200, 100), (100, 100)]]


def quarters():
    return collection(*(area_feature(ring, number)
                        for number, ring in enumerate(QUARTERS, start=1)))


# The world's own division ----------------------------------------------------------------


@fast
@given(seeds, grid_indexes)
def test_the_worlds_own_division_scores_full_marks(seed, index):
    _grid, truth = world_grid(seed, index)
    result = grade_division(true_division(truth), truth)
    assert result.total == pytest.approx(1.0)
    assert all(score == pytest.approx(1.0) for score in result.scores.values())
    assert [f for f in result.findings if f.severity != "info"] == []
    assert sum(units for _label, units in result.areas) == truth.unit_total


@fast
@given(seeds, grid_indexes, picks)
def test_removing_an_area_loses_exactly_its_buildings(seed, index, pick):
    grid, truth = world_grid(seed, index)
    drawing = true_division(truth)
    gone = pick % len(drawing["features"])
    del drawing["features"][gone]
    result = grade_division(drawing, truth)
    lost = set(grid.areas[gone].buildings)
    unassigned = [f for f in result.criteria["coverage"].findings
                  if f.code == "building_unassigned"]
    assert {f.building for f in unassigned} == lost
    assert result.scores["coverage"] < 1.0
    assert "land_unassigned" in result.codes("coverage")  # the land is in no area either
    assert not {"area_too_small", "area_too_large"} & set(result.codes("balance"))


@fast
@given(seeds, grid_indexes, picks)
def test_merging_two_areas_lowers_balance(seed, index, pick):
    _grid, truth = world_grid(seed, index)
    if len(truth.reference) < 2:
        return
    first = pick % (len(truth.reference) - 1)  # consecutive areas are neighbours
    merged = shapely.union_all([shapely.Polygon(truth.reference[first]),
                                shapely.Polygon(truth.reference[first + 1])])
    assert merged.geom_type == "Polygon"
    rings = [*truth.reference[:first], tuple(merged.exterior.coords)[:-1],
             *truth.reference[first + 2:]]
    drawing = collection(*(area_feature(ring, number) for number, ring in enumerate(rings, 1)))
    result = grade_division(drawing, truth)
    assert result.scores["balance"] < 1.0
    assert result.scores["coverage"] == pytest.approx(1.0)
    assert result.scores["contiguity"] == pytest.approx(1.0)


@fast
@given(seeds, grid_indexes, picks)
def test_moving_a_corner_into_a_building_cuts_it(seed, index, pick):
    _grid, truth = world_grid(seed, index)
    drawing = true_division(truth)
    number = pick % len(drawing["features"])
    ring = drawing["features"][number]["geometry"]["coordinates"][0]
    corner = pick % (len(ring) - 1)
    x, y = ring[corner]
    nearest = min(truth.buildings, key=lambda b: shapely.Polygon(b.footprint).distance(
        shapely.Point(x, y)))
    centre = shapely.Polygon(nearest.footprint).centroid
    ring[corner] = [centre.x, centre.y]
    if corner == 0:
        ring[-1] = ring[0]
    result = grade_division(drawing, truth)
    cut = [f for f in result.criteria["boundaries"].findings if f.code == "building_cut"]
    assert nearest.index in {f.building for f in cut}
    assert all(f.feature is not None and f.at is not None for f in cut)
    assert result.scores["boundaries"] < 1.0


@fast
@given(seeds, grid_indexes)
def test_ring_orientation_does_not_matter(seed, index):
    _grid, truth = world_grid(seed, index)
    drawing = true_division(truth)
    for feature in drawing["features"]:
        feature["geometry"]["coordinates"][0].reverse()
    assert grade_division(drawing, truth).total == pytest.approx(1.0)


def test_a_target_other_than_the_worlds_drops_the_reference():
    grid, _truth = world_grid(2020, 0)
    truth = division_truth(grid, 100)
    assert (truth.target_units, truth.min_units, truth.max_units) == (100, 75, 150)
    assert truth.reference == ()
    assert true_division(truth)["features"] == []  # no reference to draw


# Each criterion, on a small hand-made grid --------------------------------------------------


def test_quarters_along_the_roads_score_full_marks():
    result = grade_division(quarters(), small_truth())
    assert result.scores == pytest.approx(dict.fromkeys(DIVISION_CRITERIA, 1.0))
    assert result.areas == (("1", 80), ("2", 80), ("3", 80), ("4", 80))
    assert result.criteria["boundaries"].measures["road_share"] == pytest.approx(1.0)


def test_too_small_and_too_large_areas():
    truth = small_truth()
    west = [(0, 0), (100, 0), (100, 100), (0, 100)]
    east = QUARTERS[1:2] + QUARTERS[3:4]
    drawing = collection(area_feature(west, 1), *(area_feature(r, n) for n, r in
                                                  enumerate(east, 2)))
    result = grade_division(drawing, truth)
    assert "area_too_large" in result.codes("balance")  # 160 units in the west
    assert result.scores["balance"] < 1.0
    big = collection(area_feature([(0, 0), (200, 0), (200, 100), (0, 100)], 1))
    result = grade_division(big, truth)
    [large] = result.criteria["balance"].findings[:1]
    assert large.code == "area_too_large" and large.params["units"] == 320
    assert large.feature == 0 and large.params["area"] == "1"
    assert result.scores["balance"] < 0.5


def test_an_empty_quarter_is_too_small():
    truth = small_truth()
    drawing = quarters()
    drawing["features"][0]["geometry"]["coordinates"][0] = [[0, 0], [100, 0], [100, 5],
                                                           [0, 5], [0, 0]]
    result = grade_division(drawing, truth)
    assert "area_too_small" in result.codes("balance")
    assert "building_unassigned" in result.codes("coverage")


def test_overlaps_gaps_and_land_outside():
    truth = small_truth()
    drawing = quarters()
    # Area 2 reaches 50 m into area 1 (over half a building): an overlap and a cut.
    drawing["features"][1]["geometry"]["coordinates"][0] = [
        [50, 0], [200, 0], [200, 50], [50, 50], [50, 0]]
    result = grade_division(drawing, truth)
    overlap = [f for f in result.findings if f.code == "areas_overlap"]
    assert overlap and overlap[0].params["first"] == "1" and overlap[0].params["second"] == "2"
    assert "building_cut" in result.codes("boundaries")
    # Area 4 reaches 40 m past the grid's edge.
    drawing = quarters()
    drawing["features"][3]["geometry"]["coordinates"][0] = [
        [100, 50], [240, 50], [240, 100], [100, 100], [100, 50]]
    result = grade_division(drawing, truth)
    assert "area_outside_grid" in result.codes("coverage")
    assert result.scores["coverage"] < 1.0
    # A few metres past the edge (the road) cost nothing.
    drawing["features"][3]["geometry"]["coordinates"][0] = [
        [100, 50], [204, 50], [204, 104], [100, 104], [100, 50]]
    assert grade_division(drawing, truth).scores["coverage"] == pytest.approx(1.0)


def test_a_building_in_two_areas():
    truth = small_truth()
    drawing = quarters()
    drawing["features"].append(area_feature([(10, 5), (70, 5), (70, 45), (10, 45)], 5))
    result = grade_division(drawing, truth)
    [several] = [f for f in result.findings if f.code == "building_in_several"]
    assert several.building == 0 and several.params["areas"] == "1, 5"


def test_pieces_numbers_and_self_crossing_areas():
    truth = small_truth()
    drawing = quarters()
    drawing["features"][3]["properties"]["number"] = 1  # areas 1 and 4 do not touch
    result = grade_division(drawing, truth)
    assert "area_in_pieces" in result.codes("contiguity")
    assert result.scores["contiguity"] < 1.0
    drawing = quarters()
    drawing["features"][3]["properties"]["number"] = 9
    assert "area_numbers_gap" in grade_division(drawing, truth).codes("contiguity")
    # Two features of one number that touch are one area, in one piece.
    drawing = quarters()
    drawing["features"][1]["properties"]["number"] = 1
    assert "area_in_pieces" not in grade_division(drawing, truth).codes()
    # Unnumbered and bad numbers.
    drawing = quarters()
    del drawing["features"][2]["properties"]["number"]
    drawing["features"][3]["properties"]["number"] = "four"
    result = grade_division(drawing, truth)
    assert result.codes("contiguity").count("area_unnumbered") == 2
    assert "bad_number" in [f.code for f in result.drawing_findings]
    # A bow tie is repaired with a warning.
    drawing = quarters()
    drawing["features"][0]["geometry"]["coordinates"][0] = [
        [0, 0], [100, 50], [100, 0], [0, 50], [0, 0]]
    result = grade_division(drawing, truth)
    assert "area_repaired" in result.codes("contiguity")
    assert result.scores["contiguity"] < 1.0


def test_self_crossing_areas_too_costly_to_repair_are_unreadable():
    """A repair's cost grows fast with the vertices of a ring that crosses itself many times:
    past REPAIR_LIMIT vertices, or past MAX_REPAIRS such areas in one drawing, an area is
    reported unreadable instead of repaired."""
    from trainer.core.maps.context import REPAIR_LIMIT
    from trainer.core.maps.division import MAX_REPAIRS

    truth = small_truth()
    zigzag = [(x * 100 / REPAIR_LIMIT, 50 * (x % 2)) for x in range(REPAIR_LIMIT + 10)]
    drawing = quarters()
    drawing["features"][0] = area_feature([*zigzag, (0, 50), (100, 0)], 1)
    result = grade_division(drawing, truth)
    assert "area_unreadable" in result.codes("contiguity")
    assert "area_repaired" not in result.codes("contiguity")
    bow_ties = [area_feature([(0, 0), (100, 50), (100, 0), (0, 50)], n)
                for n in range(1, MAX_REPAIRS + 4)]
    result = grade_division(collection(*bow_ties), truth)
    assert result.codes("contiguity").count("area_repaired") == MAX_REPAIRS
    assert result.codes("contiguity").count("area_unreadable") == 3


def test_boundaries_off_the_roads():
    truth = small_truth()
    # Cut at x = 80 / x = 180 instead of on the lane: the buildings are still whole, but
    # the north-south boundary runs 20 m from the lane, between lots.
    west = [(0, 0), (85, 0), (85, 100), (0, 100)]
    east = [(85, 0), (200, 0), (200, 100), (85, 100)]
    result = grade_division(collection(area_feature(west, 1), area_feature(east, 2)), truth)
    assert result.criteria["boundaries"].measures["road_share"] < 1.0
    assert "building_cut" not in result.codes()
    assert result.scores["boundaries"] == pytest.approx(1.0)  # the default asks for 60 %
    # Against a reference along the roads (90 % wanted), strips between the lanes fall short.
    truth = DivisionTruth(truth.name, truth.boundary, truth.buildings, truth.roads, 80, 60,
                          120, tuple(tuple(ring) for ring in QUARTERS))
    strips = [[(0, 0), (30, 0), (30, 100), (0, 100)], [(30, 0), (85, 0), (85, 100), (30, 100)]]
    result = grade_division(collection(*(area_feature(r, n) for n, r in enumerate(strips, 1)),
                                       area_feature(east, 3)), truth)
    assert "building_cut" in result.codes("boundaries")
    assert "boundary_off_road" in result.codes("boundaries")
    assert result.scores["boundaries"] < 1.0


@pytest.mark.parametrize("data", [
    None, [], "text", 42, {"type": "FeatureCollection"}, {"features": "no"},
    {"type": "FeatureCollection", "features": [None, 3, {"properties": {"kind": "area"}}]},
    collection({"type": "Feature", "properties": {"kind": "area", "number": 1},
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, math.nan]]]}}),
    collection({"type": "Feature", "properties": {"kind": "area", "number": 1},
                "geometry": {"type": "Point", "coordinates": [5, 5]}}),
    collection({"type": "Feature", "properties": {"kind": "boundary"},
                "geometry": {"type": "Polygon",
                             "coordinates": [[[0, 0], [200, 0], [200, 100], [0, 0]]]}}),
])
def test_bad_input_becomes_findings(data):
    result = grade_division(data, small_truth())
    assert result.total == pytest.approx(0.0)
    assert "no_areas" in result.codes()


def test_bad_json_text_and_far_away_huge_drawings():
    truth = small_truth()
    assert "not_json" in [f.code for f in load_drawing("{nope").findings]
    far = collection(area_feature([(5000, 5000), (5100, 5000), (5100, 5100), (5000, 5100)], 1))
    result = grade_division(far, truth)
    assert "building_unassigned" in result.codes() and "area_outside_grid" in result.codes()
    from trainer.core.maps.complexity import MAX_VERTICES
    limit = MAX_VERTICES["area"]

    def circle(count):
        return [(100 + 50 * math.cos(t / count * 2 * math.pi),
                 50 + 50 * math.sin(t / count * 2 * math.pi)) for t in range(count)]
    result = grade_division(collection(area_feature(circle(limit - 10), 1)), truth)
    assert 0.0 < result.total < 1.0
    result = grade_division(collection(area_feature(circle(limit + 10), 1)), truth)
    assert result.total == 0.0 and set(result.codes()) == {"too_complex"}
    tiny = collection(area_feature([(0, 0), (1e-9, 0), (0, 1e-9)], 1))
    assert grade_division(tiny, truth).total < 0.5


def test_the_result_is_json_ready_and_the_overlay_is_safe():
    truth = small_truth()
    drawing = quarters()
    drawing["features"][0]["properties"]["number"] = 7
    drawing["features"][0]["geometry"]["coordinates"][0] = [[0, 0], [10, 0], [10, 50], [0, 0]]
    result = grade_division(drawing, truth)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["kind"] == "division" and set(data["criteria"]) == set(DIVISION_CRITERIA)
    assert data["areas"][0] == {"area": "2", "units": 80}
    assert data["areas"][-1] == {"area": "7", "units": 0}
    hostile = DivisionTruth('<script>"x"</script>', truth.boundary, truth.buildings,
                            truth.roads, 80, 60, 120, ((tuple(QUARTERS[0])),))
    svg = division_overlay_svg(drawing, hostile, grade_division(drawing, hostile),
                               translate=lambda message, params: "<b>" + message)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
    assert svg.count('class="drawn-area"') == 4 and svg.count('class="building"') == 4
    assert 'class="reference-area"' in svg and "7 · 0" in svg and "2 · 80" in svg


def test_grading_does_not_change_the_drawing():
    truth = small_truth()
    drawing = quarters()
    before = copy.deepcopy(drawing)
    grade_division(drawing, truth)
    assert drawing == before


def test_a_pile_of_areas_is_graded_in_bounded_time():
    truth = small_truth()
    pile = collection(*(area_feature([(0, 0), (200, 0), (200, 100), (0, 100)], number)
                        for number in range(1, 400)))
    result = grade_division(pile, truth)
    assert "too_many_areas" in result.codes("contiguity")
    assert "building_in_several" in result.codes("coverage")
    assert result.scores["coverage"] == pytest.approx(0.0)
    assert len(result.areas) == 100
