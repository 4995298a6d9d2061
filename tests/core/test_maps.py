"""Grading drawn small-area maps (普查小区图) against areas of the generated world.

The perfect drawing (`true_drawing`) of real areas scores full marks; each criterion and each
hidden case (self-crossing, either orientation, pieces, repeated points, empty, far away,
thousands of points) is then broken on purpose and must give a sensible score and a clear
finding, never an exception.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.core.errors import InvalidInput
from trainer.core.maps import (
    MAP_CRITERIA,
    NUMBERING_RULES,
    MapTruth,
    RegisterRow,
    TrueBuilding,
    grade_map,
    load_drawing,
    register_of_area,
    register_rows,
    register_totals,
    true_drawing,
    truth_from_area,
)
from trainer.core.maps.coverage import TYPE_WEIGHT
from trainer.core.maps.elements import name_key
from trainer.core.maps.tour import good_path, path_length
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

SPEC = WorldSpec()
seeds = st.integers(min_value=0, max_value=2**32)
grid_indexes = st.integers(min_value=0, max_value=30)
picks = st.integers(min_value=0, max_value=20)
fast = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=64)
def world_area(seed: int, grid_index: int, pick: int):
    grid = make_grid(SPEC, seed, grid_index)
    area = grid.areas[pick % len(grid.areas)]
    return grid, area, truth_from_area(grid, area)


def rural():
    """A country area of ~70 one-unit houses (seed 7, grid 1 is a village)."""
    grid, area, truth = world_area(7, 1, 1)
    assert not grid.urban and len(truth.buildings) > 60
    return grid, area, truth


def urban():
    """A town area of a few blocks of flats."""
    grid, area, truth = world_area(7, 0, 0)
    assert grid.urban
    return grid, area, truth


def kind(drawing, name):
    return [f for f in drawing["features"] if f["properties"]["kind"] == name]


def perfect(truth):
    return copy.deepcopy(true_drawing(truth))


def map_positions(geometry, fn):
    """The geometry with fn applied to every position."""
    def walk(value):
        if value and isinstance(value[0], int | float):
            return list(fn(value[0], value[1]))
        return [walk(item) for item in value]
    return {**geometry, "coordinates": walk(geometry["coordinates"])}


def shifted(geometry, dx, dy):
    return map_positions(geometry, lambda x, y: (x + dx, y + dy))


def boundary_ring(drawing):
    return kind(drawing, "boundary")[0]["geometry"]["coordinates"][0]


def set_boundary_ring(drawing, ring):
    kind(drawing, "boundary")[0]["geometry"] = {"type": "Polygon", "coordinates": [ring]}


def codes(result, criterion=None):
    return result.codes(criterion)


# The perfect map ---------------------------------------------------------------------


@fast
@given(seed=seeds, grid_index=grid_indexes, pick=picks)
def test_the_true_map_scores_full_marks_on_every_criterion(seed, grid_index, pick):
    grid, area, truth = world_area(seed, grid_index, pick)
    result = grade_map(true_drawing(truth), truth)
    assert result.scores == pytest.approx(dict.fromkeys(MAP_CRITERIA, 1.0), abs=1e-6)
    assert result.total == pytest.approx(1.0)
    assert [f for f in result.findings if f.severity != "info"] == []
    with_register = grade_map(true_drawing(truth), truth, register=register_of_area(grid, area))
    assert with_register.total == pytest.approx(1.0)


def test_the_true_map_survives_json_and_grades_the_same():
    _grid, _area, truth = rural()
    text = json.dumps(true_drawing(truth), ensure_ascii=False)
    assert grade_map(load_drawing(text), truth).scores == grade_map(
        true_drawing(truth), truth).scores


def test_truth_from_an_area_has_what_the_map_must_show():
    grid, area, truth = rural()
    assert [b.number for b in truth.buildings] == list(range(1, len(area.buildings) + 1))
    assert truth.unit_total == area.unit_count
    assert truth.code == grid.village.code + area.code and len(truth.code) == 15
    assert area.name in truth.title and grid.village.name in truth.title
    assert truth.boundary_names and all(truth.boundary_names)
    sides = area.boundary_text().rstrip("。").split("，")
    named = {side[2:].removesuffix("围墙") for side in sides
             if not side.endswith("普查小区界")} - {"网格边界", "农田"}
    assert named <= set(truth.boundary_names)
    assert all(b.area != area.code for b in truth.neighbours) and truth.neighbours
    buildings, households = register_totals(register_of_area(grid, area))
    assert (buildings, households) == (truth.building_total, truth.household_total)


# Boundary fit --------------------------------------------------------------------------


def test_a_shifted_boundary_reports_the_gap_and_overreach_widths():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    boundary = kind(drawing, "boundary")[0]
    boundary["geometry"] = shifted(boundary["geometry"], 7.0, 0.0)
    result = grade_map(drawing, truth)
    measures = result.criteria["boundary_fit"].measures
    assert measures["gap_m"] == pytest.approx(7.0, abs=0.6)
    assert measures["overreach_m"] == pytest.approx(7.0, abs=0.6)
    assert {"boundary_gap", "boundary_overreach"} <= set(codes(result, "boundary_fit"))
    assert 0.8 < result.scores["boundary_fit"] < 1.0
    assert result.scores["coverage"] == 1.0


def test_a_missed_lot_is_a_wide_gap_and_leaves_its_building_outside():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    corner = truth.buildings[0].centroid  # building 1 stands on the run's first lot
    from shapely import Polygon, box
    area = Polygon(truth.boundary).difference(box(corner[0] - 15, corner[1] - 15,
                                                  corner[0] + 15, corner[1] + 15))
    set_boundary_ring(drawing, [list(p) for p in area.exterior.coords])
    result = grade_map(drawing, truth)
    assert result.criteria["boundary_fit"].measures["gap_m"] == pytest.approx(30, abs=1)
    gap = next(f for f in result.criteria["boundary_fit"].findings if f.code == "boundary_gap")
    assert gap.severity == "error" and gap.params["width"] == pytest.approx(30, abs=1)
    outside = [f for f in result.findings if f.code == "building_outside_boundary"]
    assert [f.building for f in outside] == [1]
    assert result.scores["boundary_fit"] < 0.6


def test_no_boundary_scores_zero_with_a_finding():
    _grid, _area, truth = urban()
    drawing = perfect(truth)
    drawing["features"] = [f for f in drawing["features"]
                           if f["properties"]["kind"] != "boundary"]
    result = grade_map(drawing, truth)
    assert result.scores["boundary_fit"] == 0
    assert codes(result, "boundary_fit") == ["boundary_missing"]


def test_a_self_crossing_boundary_is_repaired_and_graded():
    _grid, _area, truth = urban()
    drawing = perfect(truth)
    ring = boundary_ring(drawing)[:-1]
    ring[0], ring[1] = ring[1], ring[0]  # a bow-tie at one corner
    set_boundary_ring(drawing, [*ring, ring[0]])
    result = grade_map(drawing, truth)
    repaired = [f for f in result.findings if f.code == "boundary_repaired"]
    assert len(repaired) == 1 and repaired[0].feature == 0 and repaired[0].at is not None
    assert 0 <= result.scores["boundary_fit"] < 1


def test_a_figure_eight_boundary_is_read_as_its_two_lobes():
    truth = square_truth()
    drawing = square_drawing()
    set_boundary_ring(drawing, [[0, 0], [100, 100], [100, 0], [0, 100], [0, 0]])
    result = grade_map(drawing, truth)
    assert {"boundary_repaired", "boundary_pieces"} <= set(codes(result, "boundary_fit"))
    assert result.criteria["boundary_fit"].measures["iou"] == pytest.approx(0.5, abs=0.01)


def test_a_boundary_in_two_pieces_is_joined_with_a_finding():
    truth = square_truth()
    drawing = square_drawing()
    kind(drawing, "boundary")[0]["geometry"] = {"type": "MultiPolygon", "coordinates": [
        [[[0, 0], [48, 0], [48, 100], [0, 100], [0, 0]]],
        [[[52, 0], [100, 0], [100, 100], [52, 100], [52, 0]]]]}
    result = grade_map(drawing, truth)
    pieces = [f for f in result.findings if f.code == "boundary_pieces"]
    assert len(pieces) == 1 and pieces[0].params["count"] == 2
    assert result.criteria["boundary_fit"].measures["iou"] == pytest.approx(0.96)
    assert result.criteria["boundary_fit"].measures["gap_m"] == pytest.approx(4, abs=0.5)


def test_touching_boundary_features_are_joined_into_one_area():
    truth = square_truth()
    drawing = square_drawing()
    drawing["features"] = [f for f in drawing["features"] if f["properties"]["kind"] != "boundary"]
    for x0, x1 in ((0, 50), (50, 100)):
        drawing["features"].append({"type": "Feature", "properties": {"kind": "boundary"},
                                    "geometry": {"type": "Polygon", "coordinates": [
                                        [[x0, 0], [x1, 0], [x1, 100], [x0, 100], [x0, 0]]]}})
    result = grade_map(drawing, truth)
    assert codes(result, "boundary_fit") == ["boundary_several"]
    assert result.scores["boundary_fit"] == pytest.approx(1.0)


def test_repeated_points_change_nothing_but_a_note():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    ring = boundary_ring(drawing)
    set_boundary_ring(drawing, [point for point in ring for _ in range(3)])
    result = grade_map(drawing, truth)
    assert result.scores == grade_map(true_drawing(truth), truth).scores
    notes = [f for f in result.drawing_findings if f.code == "duplicate_vertices"]
    assert len(notes) == 1 and notes[0].severity == "info" and notes[0].feature == 0


def test_a_boundary_of_thousands_of_points_grades_like_the_plain_one():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    ring = boundary_ring(drawing)
    dense = []
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        steps = 200  # 8 sides: under complexity.MAX_VERTICES, which hand drawing never nears
        dense += [[x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps]
                  for k in range(steps)]
    dense.append(dense[0])
    assert len(dense) > 1000
    set_boundary_ring(drawing, dense)
    result = grade_map(drawing, truth)  # its speed is benchmarks.maps's business, not a test's
    assert result.scores["boundary_fit"] == pytest.approx(1.0)


def test_a_boundary_drawn_as_a_line_is_read_as_its_area():
    _grid, _area, truth = urban()
    drawing = perfect(truth)
    ring = boundary_ring(drawing)
    kind(drawing, "boundary")[0]["geometry"] = {"type": "LineString", "coordinates": ring}
    closed = grade_map(drawing, truth)
    assert "boundary_line_closed" in codes(closed)
    assert closed.scores["boundary_fit"] == pytest.approx(1.0)
    kind(drawing, "boundary")[0]["geometry"] = {"type": "LineString", "coordinates": ring[:-1]}
    opened = grade_map(drawing, truth)
    assert "boundary_line_open" in codes(opened)
    assert opened.scores["boundary_fit"] == pytest.approx(1.0)


def test_a_drawing_far_outside_the_area_scores_low_and_says_why():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    for feature in drawing["features"]:
        if feature["geometry"] is not None:
            feature["geometry"] = shifted(feature["geometry"], 5_000.0, 3_000.0)
    result = grade_map(drawing, truth)
    far = [f for f in result.findings if f.code == "boundary_far"]
    assert len(far) == 1 and far[0].params["distance"] > 4_000
    assert result.scores["boundary_fit"] == 0
    assert result.scores["coverage"] == 0
    assert codes(result, "coverage").count("building_missed") == len(truth.buildings)
    assert codes(result, "coverage").count("no_building_here") == len(truth.buildings)
    assert result.total < 0.4


def test_an_empty_drawing_grades_zero_with_a_finding_per_missing_thing():
    _grid, _area, truth = urban()
    for empty in ({"type": "FeatureCollection", "features": []}, {}, None, [], "map"):
        result = grade_map(empty, truth)
        assert result.total < 0.05
        assert "boundary_missing" in codes(result, "boundary_fit")
        assert codes(result, "coverage") == ["building_missed"] * len(truth.buildings)
        assert codes(result, "numbering") == ["nothing_numbered"]
        assert {"title_missing", "north_arrow_missing", "legend_missing",
                "building_total_missing"} <= set(codes(result, "elements"))
        assert codes(result, "route") == ["route_missing"]


# Coverage ------------------------------------------------------------------------------


def test_marks_as_points_match_like_footprints():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    for feature, building in zip(kind(drawing, "building"), truth.buildings, strict=True):
        x, y = building.centroid
        feature["geometry"] = {"type": "Point", "coordinates": [x + 3, y - 2]}
    assert grade_map(drawing, truth).total == pytest.approx(1.0)


def test_a_mark_on_nothing_a_double_mark_and_a_claim_on_another_area_are_extras():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    x, y = truth.buildings[4].centroid
    neighbour = truth.neighbours[0]
    nx, ny = neighbour.centroid
    empty = (truth.buildings[0].footprint[0][0] - 6.5, truth.buildings[0].footprint[0][1] - 6.5)
    drawing["features"] += [
        {"type": "Feature", "properties": {"kind": "building", "number": 901},
         "geometry": {"type": "Point", "coordinates": [x + 1, y + 1]}},
        {"type": "Feature", "properties": {"kind": "building", "number": 902},
         "geometry": {"type": "Point", "coordinates": [nx, ny]}},
        {"type": "Feature", "properties": {"kind": "building", "number": 903},
         "geometry": {"type": "Point", "coordinates": list(empty)}},
    ]
    result = grade_map(drawing, truth)
    coverage = result.criteria["coverage"]
    assert [f.code for f in coverage.findings] == [
        "building_marked_twice", "building_of_other_area", "no_building_here"]
    twice, other, nothing = coverage.findings
    assert twice.building == 5 and twice.feature == len(drawing["features"]) - 3
    assert other.params == {"number": neighbour.number, "area": neighbour.area}
    assert nothing.at == pytest.approx(empty)
    n = len(truth.buildings)
    # every building's type is right: that part is full
    assert coverage.score == pytest.approx((1 - TYPE_WEIGHT) * n / (n + 3) + TYPE_WEIGHT)


@fast
@given(seed=seeds, grid_index=grid_indexes, pick=picks, which=st.integers(0, 10_000))
def test_a_map_missing_one_building_loses_exactly_that_building(seed, grid_index, pick, which):
    _grid, _area, truth = world_area(seed, grid_index, pick)
    drawing = perfect(truth)
    marks = kind(drawing, "building")
    gone = marks[which % len(marks)]
    drawing["features"].remove(gone)
    result = grade_map(drawing, truth)
    coverage = result.criteria["coverage"].findings
    assert [(f.code, f.building) for f in coverage] == [
        ("building_missed", gone["properties"]["number"])]
    assert result.scores["coverage"] == pytest.approx(
        (1 - TYPE_WEIGHT) * (1 - 1 / len(truth.buildings)) + TYPE_WEIGHT)
    assert result.scores["boundary_fit"] == pytest.approx(1.0)
    # the true route still passes the unmarked building: the route is not marked down
    assert "building_not_on_route" not in codes(result, "route")


def test_self_crossing_and_flat_building_marks_still_match_their_building():
    truth = square_truth()
    drawing = square_drawing()
    first, second = kind(drawing, "building")[:2]
    first["geometry"] = {"type": "Polygon", "coordinates": [  # a bow-tie over house 1
        [[17, 17], [33, 33], [33, 17], [17, 33], [17, 17]]]}
    second["geometry"] = {"type": "Polygon", "coordinates": [  # three points in a row
        [[70, 25], [75, 25], [80, 25], [70, 25]]]}
    result = grade_map(drawing, truth)
    assert result.scores["coverage"] == 1.0 and result.scores["numbering"] == 1.0


def test_a_truth_without_buildings_or_boundary_grades_without_failing():
    import dataclasses
    for truth in (dataclasses.replace(square_truth(), buildings=()),
                  dataclasses.replace(square_truth(), boundary=()), MapTruth((), ())):
        for drawing in (square_drawing(), {}):
            result = grade_map(drawing, truth)
            assert all(0 <= score <= 1 for score in result.scores.values())
            json.dumps(result.to_dict(), allow_nan=False)


# Numbering -----------------------------------------------------------------------------


def set_numbers(drawing, numbers):
    for feature, number in zip(kind(drawing, "building"), numbers, strict=True):
        feature["properties"]["number"] = number


def test_missing_repeated_and_skipped_numbers_each_have_a_finding():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    n = len(truth.buildings)
    numbers = list(range(1, n + 1))
    numbers[2] = None  # no number on building 3
    numbers[5] = 5  # 6 written as 5: 5 twice, 6 skipped
    set_numbers(drawing, numbers)
    result = grade_map(drawing, truth)
    found = [(f.code, f.params.get("number")) for f in result.criteria["numbering"].findings]
    assert ("number_missing", None) in found
    assert ("number_repeated", 5) in found
    assert ("number_skipped", 3) in found and ("number_skipped", 6) in found
    assert 0.9 < result.scores["numbering"] < 1


def test_a_swapped_pair_breaks_the_order_there_only():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    numbers = list(range(1, len(truth.buildings) + 1))
    numbers[9], numbers[19] = numbers[19], numbers[9]
    set_numbers(drawing, numbers)
    result = grade_map(drawing, truth)
    out = [f for f in result.criteria["numbering"].findings if f.code == "number_out_of_order"]
    assert 1 <= len(out) <= 2 and {f.building for f in out} <= {10, 20}
    assert result.criteria["numbering"].measures["order"] > 0.95


def test_reversed_numbers_break_the_listing_order_but_suit_either_end():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    n = len(truth.buildings)
    set_numbers(drawing, [n + 1 - k for k in range(1, n + 1)])
    strict = grade_map(drawing, truth)
    assert strict.criteria["numbering"].measures["order"] < 0.05
    either = grade_map(drawing, truth, rule="serpentine_either_end")
    assert either.scores["numbering"] == pytest.approx(1.0)
    assert grade_map(drawing, truth, rule="free").scores["numbering"] == pytest.approx(1.0)


@pytest.mark.parametrize("rule", ["serpentine_nw", "serpentine_any_corner"])
def test_geometric_serpentine_rules_accept_numbering_from_the_north_west(rule):
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    order = NUMBERING_RULES["serpentine_nw"](truth)[0]
    set_numbers(drawing, [order[b.number] for b in truth.buildings])
    result = grade_map(drawing, truth, rule=rule)
    assert result.criteria["numbering"].measures["order"] == pytest.approx(1.0)
    rows = sorted(truth.buildings, key=lambda b: order[b.number])
    assert rows[0].centroid[1] == max(b.centroid[1] for b in truth.buildings)
    assert rows[0].centroid[0] == min(b.centroid[0] for b in truth.buildings
                                      if b.centroid[1] == rows[0].centroid[1])


def test_an_unknown_rule_is_refused():
    _grid, _area, truth = urban()
    with pytest.raises(InvalidInput) as caught:
        grade_map(true_drawing(truth), truth, rule="spiral")
    assert caught.value.field == "rule"


def test_the_register_and_the_map_must_list_the_same_buildings():
    grid, area, truth = rural()
    register = list(register_of_area(grid, area))
    short = [row for row in register if row.building != 4] + [RegisterRow(500, 1, 999)]
    result = grade_map(true_drawing(truth), truth, register=short)
    found = [(f.code, f.params.get("number")) for f in result.criteria["numbering"].findings]
    assert found == [("register_building_not_on_map", 500), ("building_not_in_register", 4)]
    assert result.scores["numbering"] < 1
    # the totals written on the map are held to the trainee's own register: as many
    # buildings (one left out, one added), fewer households (building 4's are gone)
    assert "building_total_wrong" not in codes(result, "elements")
    assert "household_total_wrong" in codes(result, "elements")


def test_register_rows_read_the_stored_register_and_skip_junk():
    rows = {"u1": {"building": 1, "unit": 1, "number": 1},
            "u2": {"building": "2", "unit": 3, "number": None},
            "u3": {"building": None, "unit": 1, "number": 2},
            "u4": "junk", "u5": {"building": True, "unit": 1}}
    assert register_rows(rows) == (RegisterRow(1, 1, 1), RegisterRow(2, 3, None))
    assert register_totals(register_rows(rows)) == (2, 1)


# Required elements ---------------------------------------------------------------------


def test_missing_title_block_north_arrow_and_legend_are_named():
    _grid, _area, truth = urban()
    drawing = perfect(truth)
    drawing["properties"] = {}
    drawing["features"] = [f for f in drawing["features"]
                           if f["properties"]["kind"] not in ("north_arrow", "legend")]
    result = grade_map(drawing, truth)
    assert set(codes(result, "elements")) == {
        "title_missing", "code_missing", "north_arrow_missing", "legend_missing",
        "building_total_missing", "household_total_missing", "drafter_missing",
        "date_missing"}
    names = 2 + (1 if truth.landmark_names else 0)  # what is left: the names, all right
    assert result.scores["elements"] == pytest.approx(names / (names + 8))


def test_title_code_arrow_date_and_totals_are_checked_for_content():
    _grid, area, truth = urban()
    drawing = perfect(truth)
    drawing["properties"].update(title=area.name, code="002", building_total=99,
                                 household_total=truth.household_total + 1, date="25/10/2020")
    kind(drawing, "north_arrow")[0]["properties"]["angle"] = 90
    result = grade_map(drawing, truth)
    found = {f.code: f for f in result.criteria["elements"].findings}
    assert set(found) == {"title_incomplete", "code_wrong", "north_arrow_not_north",
                          "building_total_wrong", "household_total_wrong", "date_invalid"}
    assert found["building_total_wrong"].params == {"given": 99,
                                                    "expected": truth.building_total}
    assert found["north_arrow_not_north"].params["angle"] == 90
    for code in ("001", "1", truth.code, f" {truth.code[:6]} {truth.code[6:]} "):
        drawing = perfect(truth)
        drawing["properties"]["code"] = code
        assert "code_wrong" not in codes(grade_map(drawing, truth)), code


def test_boundary_names_are_matched_tolerantly_and_each_missing_one_is_named():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    labelled = [f for f in drawing["features"] if "label" in f["properties"]]
    first, second = truth.boundary_names[:2]
    for feature in labelled:
        if feature["properties"]["label"] == first:
            feature["properties"]["label"] = f"  {first} "  # spaces
        elif feature["properties"]["label"] == second:
            drawing["features"].remove(feature)
    drawing["features"].append({"type": "Feature", "geometry": None,
                                "properties": {"kind": "road", "label": "不存在路"}})
    result = grade_map(drawing, truth)
    found = [(f.code, f.params.get("name") or f.params.get("label"))
             for f in result.criteria["elements"].findings]
    assert found == [("boundary_name_missing", second), ("label_unknown", "不存在路")]
    missing = result.criteria["elements"].findings[0]
    assert missing.at is not None


def test_a_name_written_far_from_its_road_counts_half():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    name = truth.boundary_names[0]
    feature = next(f for f in drawing["features"] if f["properties"].get("label") == name)
    feature["geometry"] = shifted(feature["geometry"], 0, 500)
    result = grade_map(drawing, truth)
    assert [f.code for f in result.criteria["elements"].findings] == ["name_misplaced"]
    assert 0.9 < result.scores["elements"] < 1


def test_name_keys_ignore_case_width_spaces_and_walls():
    assert name_key(" 南湖 小学围墙 ") == name_key("南湖小学")
    assert name_key("ＡＢＣ Road") == name_key("abc road")
    assert name_key("月田路") != name_key("月田街")


# Route ---------------------------------------------------------------------------------


def route_of(drawing):
    return kind(drawing, "route")[0]["geometry"]["coordinates"]


def test_no_route_scores_zero():
    _grid, _area, truth = urban()
    drawing = perfect(truth)
    drawing["features"].remove(kind(drawing, "route")[0])
    result = grade_map(drawing, truth)
    assert result.scores["route"] == 0 and codes(result, "route") == ["route_missing"]


def test_a_route_that_skips_a_building_names_it():
    truth = square_truth()  # houses 1-4 counter-clockwise from the south-west
    drawing = square_drawing()
    kind(drawing, "route")[0]["geometry"]["coordinates"] = [[0, 25], [25, 25], [75, 25],
                                                            [75, 75], [100, 75]]
    result = grade_map(drawing, truth)
    skipped = result.criteria["route"].findings
    assert [(f.code, f.building, f.params["number"]) for f in skipped] == [
        ("building_not_on_route", 4, 4)]
    assert skipped[0].at == pytest.approx(truth.buildings[3].centroid)
    assert result.scores["route"] == pytest.approx(1 - 0.6 / 4)


def test_a_zig_zag_route_is_long_and_scores_lower():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    coordinates = route_of(drawing)
    kind(drawing, "route")[0]["geometry"]["coordinates"] = (
        coordinates[:1] + coordinates[1::2] + coordinates[2::2])
    result = grade_map(drawing, truth)
    assert "route_long" in codes(result, "route")
    assert result.criteria["route"].measures["ratio"] > 1.5
    assert result.scores["route"] < 0.95


def test_a_route_in_pieces_is_joined_and_a_far_start_is_noted():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    coordinates = route_of(drawing)
    kind(drawing, "route")[0]["geometry"] = {
        "type": "MultiLineString",
        "coordinates": [[[-200.0, -200.0], *coordinates[:40]], coordinates[40:]]}
    result = grade_map(drawing, truth)
    assert {"route_in_pieces", "route_start_far"} <= set(codes(result, "route"))
    assert "building_not_on_route" not in codes(result, "route")


def test_a_route_walked_back_and_forth_gets_a_note():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    coordinates = route_of(drawing)
    kind(drawing, "route")[0]["geometry"]["coordinates"] = (
        coordinates + coordinates[::-1] + coordinates)
    result = grade_map(drawing, truth)
    assert {"route_retraced", "route_long"} <= set(codes(result, "route"))


def test_the_yardstick_route_walks_a_lattice_without_back_tracking():
    import numpy as np
    points = np.array([(x * 30.0, y * 30.0) for y in range(5) for x in range(14)])
    shuffled = points[np.random.default_rng(3).permutation(len(points))]
    order = good_path(shuffled)
    assert sorted(order) == list(range(len(points)))
    assert path_length(shuffled, order) <= 1.05 * 30 * (len(points) - 1)


# Orientation, perturbation, determinism ------------------------------------------------


def reverse_rings(drawing):
    for feature in drawing["features"]:
        geometry = feature["geometry"]
        if geometry and geometry["type"] == "Polygon":
            geometry["coordinates"] = [ring[::-1] for ring in geometry["coordinates"]]


@fast
@given(seed=seeds, grid_index=grid_indexes, pick=picks,
       dx=st.floats(-4, 4), dy=st.floats(-4, 4))
def test_ring_orientation_never_changes_a_score(seed, grid_index, pick, dx, dy):
    _grid, _area, truth = world_area(seed, grid_index, pick)
    drawing = perfect(truth)
    for feature in kind(drawing, "boundary") + kind(drawing, "building")[::3]:
        feature["geometry"] = shifted(feature["geometry"], dx, dy)
    flipped = copy.deepcopy(drawing)
    reverse_rings(flipped)
    assert grade_map(flipped, truth).scores == pytest.approx(
        grade_map(drawing, truth).scores, abs=1e-9)


@fast
@given(seed=seeds, grid_index=grid_indexes, pick=picks, angle=st.floats(0, 2 * math.pi))
def test_boundary_fit_falls_steadily_as_the_boundary_moves_away(seed, grid_index, pick, angle):
    _grid, _area, truth = world_area(seed, grid_index, pick)
    scores = []
    for distance in (0, 0.5, 1, 2, 3, 4, 6, 8, 10, 12):
        drawing = true_drawing(truth)
        boundary = kind(drawing, "boundary")[0]
        boundary["geometry"] = shifted(boundary["geometry"], distance * math.cos(angle),
                                       distance * math.sin(angle))
        scores.append(grade_map(drawing, truth).scores["boundary_fit"])
    assert scores[0] == pytest.approx(1.0)
    assert scores[2] > 0.9  # a metre off is a good hand drawing
    for before, after in itertools.pairwise(scores):
        assert after <= before + 0.01  # non-increasing, within the circle's tolerance
        assert before - after < 0.25  # and without jumps


@fast
@given(seed=seeds, grid_index=grid_indexes, pick=picks, data=st.data())
def test_a_slightly_perturbed_true_map_still_scores_high(seed, grid_index, pick, data):
    _grid, _area, truth = world_area(seed, grid_index, pick)
    jitter = st.floats(-1.0, 1.0)
    drawing = perfect(truth)
    offsets = data.draw(st.lists(st.tuples(jitter, jitter), min_size=64, max_size=64))
    counter = iter(range(10**9))

    def nudge(x, y):
        dx, dy = offsets[next(counter) % len(offsets)]
        return x + dx, y + dy

    for feature in drawing["features"]:
        if feature["properties"]["kind"] in ("boundary", "building", "route"):
            ring_closed = feature["geometry"]["type"] == "Polygon"
            feature["geometry"] = map_positions(feature["geometry"], nudge)
            if ring_closed:
                for ring in feature["geometry"]["coordinates"]:
                    ring[-1] = ring[0]
    result = grade_map(drawing, truth)
    assert result.scores["coverage"] == 1.0
    assert result.scores["numbering"] == 1.0
    assert result.scores["boundary_fit"] > 0.75
    assert result.scores["route"] > 0.95
    assert result.total > 0.93


def test_grading_does_not_depend_on_the_order_of_the_features():
    _grid, _area, truth = rural()
    drawing = perfect(truth)
    shuffled = copy.deepcopy(drawing)
    shuffled["features"].reverse()
    assert grade_map(shuffled, truth).scores == pytest.approx(grade_map(drawing, truth).scores)


def test_a_hand_made_truth_works_without_the_world():
    truth = square_truth()
    result = grade_map(square_drawing(), truth)
    assert result.total == pytest.approx(1.0)
    assert result.to_dict()["criteria"]["coverage"]["score"] == 1.0
    json.dumps(result.to_dict())


def square_truth() -> MapTruth:
    """A 100 m square area with four houses, written by hand."""
    houses = tuple(TrueBuilding(number, ((x, y), (x + 16, y), (x + 16, y + 16), (x, y + 16)))
                   for number, (x, y) in enumerate([(17, 17), (67, 17), (67, 67), (17, 67)],
                                                   start=1))
    return MapTruth(boundary=((0, 0), (100, 0), (100, 100), (0, 100)), buildings=houses,
                    title="示例村委会 第一普查小区",
                    title_parts=(("示例村委会",), ("第一普查小区",)),
                    code="430602001200001", unit_total=4, household_total=4)


def square_drawing():
    return copy.deepcopy(true_drawing(square_truth()))


def test_a_route_must_pass_unmarked_buildings_too():
    truth = square_truth()
    drawing = square_drawing()
    drawing["features"] = [feature for feature in drawing["features"]
                           if not (feature["properties"].get("kind") == "building"
                                   and feature["properties"].get("number") == 4)]
    kind(drawing, "route")[0]["geometry"]["coordinates"] = [[0, 25], [25, 25], [75, 25],
                                                            [75, 75], [100, 75]]
    result = grade_map(drawing, truth)
    skipped = result.criteria["route"].findings
    assert [(f.code, f.building, f.feature) for f in skipped] == [
        ("building_not_on_route", 4, None)]  # not marked, so it points at the true building
