"""Building types on map marks: the truth takes them from the world's buildings, a mark
carries one, and coverage grades them as a small part, with a finding at each wrong mark."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_maps import kind, rural, world_area
from trainer.core.maps import grade_map, parse_drawing, true_drawing
from trainer.core.maps.coverage import TYPE_WEIGHT
from trainer.core.maps.model import BUILDING_TYPES
from trainer.core.maps.truth import building_sign, building_type
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

fast = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_world_buildings_get_their_type_from_what_they_are():
    grid = make_grid(WorldSpec(), 7, 1)
    seen = set()
    for building in grid.buildings:
        sign, kind_of = building_sign(building), building_type(building)
        seen.add(kind_of)
        assert kind_of in BUILDING_TYPES
        if building.kind in ("dormitory", "work_shed", "care_home"):
            assert (sign, kind_of) == (building.kind, "collective")
        elif any(unit.shop and unit.households for unit in building.units):
            assert (sign, kind_of) == ("shop_home", "shop")
        else:
            assert kind_of == "residential"
    assert "residential" in seen and "public" not in seen


@fast
@given(seed=st.integers(0, 2**32), grid_index=st.integers(0, 30), pick=st.integers(0, 20),
       which=st.integers(0, 10_000), wrong=st.sampled_from(BUILDING_TYPES))
def test_one_wrong_type_is_one_finding_at_that_mark(seed, grid_index, pick, which, wrong):
    _grid, _area, truth = world_area(seed, grid_index, pick)
    drawing = copy.deepcopy(true_drawing(truth))
    marks = kind(drawing, "building")
    mark = marks[which % len(marks)]
    number = mark["properties"]["number"]
    right = truth.buildings[number - 1].type
    assert mark["properties"]["building_type"] == right
    mark["properties"]["building_type"] = wrong
    result = grade_map(drawing, truth)
    findings = result.criteria["coverage"].findings
    if wrong == right:
        assert findings == () and result.scores["coverage"] == pytest.approx(1.0)
        return
    [found] = findings
    assert (found.code, found.building, found.feature) == (
        "building_type_wrong", number, drawing["features"].index(mark))
    assert found.at is not None
    assert result.scores["coverage"] == pytest.approx(1 - TYPE_WEIGHT / len(marks))
    for name in ("boundary_fit", "numbering", "elements", "route"):
        assert result.scores[name] == pytest.approx(
            grade_map(true_drawing(truth), truth).scores[name])


def test_a_missing_type_and_a_map_without_types():
    _grid, _area, truth = rural()
    drawing = copy.deepcopy(true_drawing(truth))
    marks = kind(drawing, "building")
    del marks[0]["properties"]["building_type"]
    [found] = grade_map(drawing, truth).criteria["coverage"].findings
    assert (found.code, found.building) == ("building_type_missing", 1)
    for mark in marks:
        mark["properties"].pop("building_type", None)
    result = grade_map(drawing, truth)
    assert [f.code for f in result.criteria["coverage"].findings] == ["building_types_missing"]
    assert result.scores["coverage"] == pytest.approx(1 - TYPE_WEIGHT)


def test_a_truth_without_types_says_nothing_about_them():
    _grid, _area, truth = rural()
    plain = dataclasses.replace(truth, buildings=tuple(
        dataclasses.replace(building, type="") for building in truth.buildings))
    drawing = copy.deepcopy(true_drawing(truth))
    for mark in kind(drawing, "building"):
        mark["properties"]["building_type"] = "public"
    result = grade_map(drawing, plain)
    assert result.criteria["coverage"].findings == ()
    assert result.scores["coverage"] == pytest.approx(1.0)


@pytest.mark.parametrize("value", ["castle", 3, ["residential"], {"a": 1}, True])
def test_an_unknown_type_is_read_as_none_with_a_warning(value):
    drawing = parse_drawing({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "building", "number": 1,
                                           "building_type": value},
         "geometry": {"type": "Point", "coordinates": [1, 1]}}]})
    [mark] = drawing.features
    assert mark.building_type is None
    assert [f.code for f in drawing.findings] == ["bad_building_type"]


def test_a_known_type_is_read():
    drawing = parse_drawing({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "building", "number": 1,
                                           "building_type": "collective"},
         "geometry": {"type": "Point", "coordinates": [1, 1]}}]})
    assert drawing.features[0].building_type == "collective" and drawing.findings == ()
