"""Reading drawn maps from GeoJSON never raises, and the overlay SVG is well-formed and safe."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_maps import kind, rural, square_drawing, square_truth, urban
from trainer.core.maps import (
    Drawing,
    grade_map,
    load_drawing,
    overlay_svg,
    parse_drawing,
    true_drawing,
)
from trainer.core.maps.parse import (
    MAX_FEATURES,
    MAX_PART_VERTICES,
    MAX_TEXT_CHARS,
    MAX_TOTAL_VERTICES,
)

fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def feature(kind_, geometry, **properties):
    return {"type": "Feature", "geometry": geometry, "properties": {"kind": kind_, **properties}}


def collection(*features, **properties):
    return {"type": "FeatureCollection", "properties": properties, "features": list(features)}


def point(x, y):
    return {"type": "Point", "coordinates": [x, y]}


def svg_root(svg):
    """Our own overlay, parsed to check it is well-formed XML (no untrusted input here)."""
    return ET.fromstring(svg)  # noqa: S314


def parsed_codes(data):
    return [f.code for f in parse_drawing(data).findings]


# Top level ------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [None, 5, "map", [], {}, {"type": "FeatureCollection"},
                                  {"features": "all of them"}, {"features": None}, True, 1.5])
def test_anything_that_is_not_a_feature_collection_is_an_empty_drawing(data):
    drawing = parse_drawing(data)
    assert drawing.features == ()
    assert [f.code for f in drawing.findings] == ["not_a_collection"]


def test_a_single_feature_is_read_as_a_collection_of_one():
    drawing = parse_drawing(feature("building", point(1, 2), number=1))
    assert [(f.kind, f.number) for f in drawing.features] == [("building", 1)]


@pytest.mark.parametrize(("text", "code"), [
    ("{not json", "not_json"), (b"\xff\xfe\x00", "not_json"), ("[" * 100_000, "not_json"),
    (" " * (MAX_TEXT_CHARS + 1), "too_large"), ("", "not_json")])
def test_bad_json_text_becomes_a_finding(text, code):
    drawing = load_drawing(text)
    assert drawing.features == () and [f.code for f in drawing.findings] == [code]


def test_json_with_nan_and_infinity_loses_only_those_features():
    text = ('{"type": "FeatureCollection", "features": ['
            '{"type": "Feature", "properties": {"kind": "building", "number": 1},'
            ' "geometry": {"type": "Point", "coordinates": [NaN, 3]}},'
            '{"type": "Feature", "properties": {"kind": "building", "number": 2},'
            ' "geometry": {"type": "Point", "coordinates": [Infinity, 3]}},'
            '{"type": "Feature", "properties": {"kind": "building", "number": 3},'
            ' "geometry": {"type": "Point", "coordinates": [4, 3]}}]}')
    drawing = load_drawing(text)
    assert [f.number for f in drawing.features] == [3]
    assert [(f.code, f.feature) for f in drawing.findings] == [
        ("bad_coordinates", 0), ("bad_coordinates", 1)]


# Features -------------------------------------------------------------------------------


@pytest.mark.parametrize(("item", "code"), [
    ("building", "feature_not_object"),
    ({"type": "Feature", "geometry": point(1, 1)}, "missing_kind"),
    ({"type": "Feature", "geometry": point(1, 1), "properties": "building"}, "missing_kind"),
    (feature("", point(1, 1)), "missing_kind"),
    (feature(7, point(1, 1)), "missing_kind"),
    (feature("tower", point(1, 1)), "unknown_kind"),
    (feature("building", None, number=1), "missing_geometry"),
    (feature("route", None), "missing_geometry"),
    (feature("building", {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
     "wrong_geometry"),
    (feature("boundary", point(0, 0)), "wrong_geometry"),
    (feature("building", {"type": "GeometryCollection", "geometries": []}), "wrong_geometry"),
    (feature("building", "POINT (1 1)"), "bad_geometry"),
    (feature("building", {"type": "Point"}), "bad_geometry"),
    (feature("building", {"type": "Point", "coordinates": [1]}), "bad_geometry"),
    (feature("building", {"type": "Point", "coordinates": [[1, 2]]}), "bad_geometry"),
    (feature("building", {"type": "Point", "coordinates": ["1", "2"]}), "bad_coordinates"),
    (feature("building", {"type": "Point", "coordinates": [True, 2]}), "bad_coordinates"),
    (feature("building", {"type": "Point", "coordinates": [None, 2]}), "bad_coordinates"),
    (feature("building", {"type": "Point", "coordinates": [10**400, 2]}), "bad_coordinates"),
    (feature("building", {"type": "Point", "coordinates": [1e300, 2]}), "bad_coordinates"),
    (feature("building", {"type": "Point", "coordinates": [float("nan"), 2]}),
     "bad_coordinates"),
    (feature("building", {"type": "Point", "coordinates": [float("-inf"), 2]}),
     "bad_coordinates"),
    (feature("boundary", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}),
     "degenerate_geometry"),
    (feature("boundary", {"type": "Polygon", "coordinates": []}), "bad_geometry"),
    (feature("boundary", {"type": "Polygon", "coordinates": [[]]}), "degenerate_geometry"),
    (feature("boundary", {"type": "Polygon", "coordinates": [[0, 0], [1, 0], [1, 1]]}),
     "bad_geometry"),
    (feature("route", {"type": "LineString", "coordinates": [[0, 0], [0, 0]]}),
     "degenerate_geometry"),
    (feature("route", {"type": "MultiLineString", "coordinates": [[[0, 0]], [[1, 1], [2, 2]]]}),
     "degenerate_geometry"),
    (feature("boundary", {"type": "MultiPolygon", "coordinates": [[[0, 0], [1, 0]]] * 1_001}),
     "drawing_too_large"),
])
def test_each_bad_feature_is_skipped_with_a_finding_pointing_at_it(item, code):
    good = feature("building", point(5, 5), number=1)
    drawing = parse_drawing(collection(item, good))
    assert [(f.code, f.feature) for f in drawing.findings] == [(code, 0)]
    assert [(f.index, f.kind) for f in drawing.features] == [(1, "building")]


@pytest.mark.parametrize(("number", "read", "finding"), [
    (7, 7, None), (7.0, 7, None), ("7", 7, None), (" 12 ", 12, None), (None, None, None),
    (0, None, "bad_number"), (-3, None, "bad_number"), (1.5, None, "bad_number"),
    (True, None, "bad_number"), ("seven", None, "bad_number"), ([1], None, "bad_number"),
    (10**12, None, "bad_number"), (float("nan"), None, "bad_number"),
])
def test_building_numbers_are_whole_numbers_from_one(number, read, finding):
    drawing = parse_drawing(collection(feature("building", point(1, 1), number=number)))
    assert drawing.features[0].number == read
    assert [f.code for f in drawing.findings] == ([finding] if finding else [])


def test_labels_must_be_text_and_are_trimmed_and_bounded():
    drawing = parse_drawing(collection(
        feature("road", None, label="  月田路 "), feature("river", None, label=5),
        feature("landmark", None, label="长" * 500), feature("road", None, label="   ")))
    assert [f.label for f in drawing.features] == ["月田路", None, "长" * 200, None]
    assert [(f.code, f.feature) for f in drawing.findings] == [("bad_label", 1),
                                                               ("long_text", 2)]


def test_the_title_block_is_read_from_the_collection_and_title_features():
    drawing = parse_drawing(collection(
        feature("title", None, title="第一普查小区", code=1, drafter=["x"]),
        feature("title", None, building_total="12"),
        title="ignored", code="001", building_total=-1, household_total=True,
        date="2020-10-25"))
    header = drawing.header
    assert (header.title, header.code, header.building_total, header.household_total,
            header.drafter, header.date) == ("第一普查小区", "1", 12, None, None, "2020-10-25")
    assert sorted((f.code, f.params.get("key")) for f in drawing.findings) == [
        ("bad_value", "drafter"), ("bad_value", "household_total"), ("several_titles", None)]
    assert parsed_codes({"type": "FeatureCollection", "features": [],
                         "properties": "title"}) == ["bad_value"]


def test_the_north_arrow_angle_must_be_a_finite_number():
    drawing = parse_drawing(collection(
        feature("north_arrow", point(0, 0), angle=float("inf")),
        feature("north_arrow", None, angle=-10)))
    assert [f.angle for f in drawing.features] == [None, -10.0]
    assert [(f.code, f.feature) for f in drawing.findings] == [("bad_value", 0)]


# Sizes ----------------------------------------------------------------------------------


def test_too_many_features_are_cut_with_a_finding():
    items = [feature("building", point(i, i), number=i + 1) for i in range(MAX_FEATURES + 10)]
    drawing = parse_drawing(collection(*items))
    assert len(drawing.features) == MAX_FEATURES
    assert [f.code for f in drawing.findings] == ["too_many_features"]


def test_a_huge_ring_is_thinned_then_too_complex_to_grade():
    """Reading thins a ring past MAX_PART_VERTICES; grading then holds the boundary to
    complexity.MAX_VERTICES and reports it instead of running the overlays."""
    from trainer.core.maps.complexity import MAX_VERTICES
    truth = square_truth()
    drawing = square_drawing()
    count = 3 * MAX_PART_VERTICES
    ring = [[50 + 50 * x, 50 + 50 * y] for x, y in _circle(count)]
    kind(drawing, "boundary")[0]["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    result = grade_map(drawing, truth)
    thinned = [f for f in result.drawing_findings if f.code == "too_many_vertices"]
    assert len(thinned) == 1 and thinned[0].params["step"] == 3 and thinned[0].feature == 0
    fit = result.criteria["boundary_fit"]
    assert fit.score == 0 and [f.code for f in fit.findings] == ["too_complex"]
    assert fit.findings[0].params["limit"] == MAX_VERTICES["boundary"]


def test_the_drawing_has_a_budget_of_points_in_all():
    ring = [[float(i % 97), float(i // 97)] for i in range(MAX_PART_VERTICES)]
    routes = [feature("route", {"type": "LineString", "coordinates": ring})
              for _ in range(MAX_TOTAL_VERTICES // MAX_PART_VERTICES + 2)]
    drawing = parse_drawing(collection(*routes))
    assert len(drawing.features) == MAX_TOTAL_VERTICES // MAX_PART_VERTICES
    assert {f.code for f in drawing.findings} == {"drawing_too_large"}


def _circle(count):
    import math
    return [(math.cos(2 * math.pi * k / count), math.sin(2 * math.pi * k / count))
            for k in range(count)]


# Fuzzing --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(["type", "kind", "coordinates", "geometry", "features",
                                       "properties", "number", "label", "title", "angle",
                                       "building_total", "Feature", "Polygon"]), children,
                      max_size=5),
    max_leaves=40)
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
                    st.floats(-500, 500))
positions = st.lists(numbers, min_size=0, max_size=3)
geometries = st.one_of(
    st.builds(lambda p: {"type": "Point", "coordinates": p}, positions),
    st.builds(lambda ps: {"type": "LineString", "coordinates": ps},
              st.lists(positions, max_size=8)),
    st.builds(lambda rings: {"type": "Polygon", "coordinates": rings},
              st.lists(st.lists(positions, max_size=8), max_size=3)),
    st.builds(lambda polys: {"type": "MultiPolygon", "coordinates": polys},
              st.lists(st.lists(st.lists(positions, max_size=6), max_size=2), max_size=3)),
    json_values)
kinds = st.sampled_from(["boundary", "building", "road", "river", "landmark", "route",
                         "north_arrow", "legend", "title", "tower", 3])
features = st.builds(lambda k, g, n, label: {"type": "Feature", "geometry": g,
                                             "properties": {"kind": k, "number": n,
                                                            "label": label}},
                     kinds, geometries, st.one_of(numbers, st.text(max_size=3), st.none()),
                     st.one_of(st.text(max_size=10), numbers, st.none()))


@fuzz
@given(data=json_values)
def test_random_json_never_raises(data):
    _grid, _area, truth = urban()
    result = grade_map(data, truth)
    assert 0 <= result.total <= 1
    overlay_svg(data, truth, result)


@fuzz
@given(items=st.lists(features, max_size=12))
def test_random_features_never_raise_and_every_score_stays_in_range(items):
    truth = square_truth()
    drawing = square_drawing()
    drawing["features"] += items
    result = grade_map(drawing, truth)
    assert all(0 <= score <= 1 for score in result.scores.values())
    json.dumps(result.to_dict())
    svg_root(overlay_svg(drawing, truth, result))


# The overlay ------------------------------------------------------------------------------


def test_the_overlay_escapes_every_text_and_parses_as_xml():
    _grid, _area, truth = urban()
    drawing = copy.deepcopy(true_drawing(truth))
    hostile = '<script>alert("x")</script> & "quotes"'
    drawing["features"].append(feature("road", point(10, 10), label=hostile))
    drawing["features"].append(feature("tower", point(0, 0)))
    drawing["properties"]["title"] = hostile
    result = grade_map(drawing, truth)
    svg = overlay_svg(drawing, truth, result,
                      translate=lambda message, params: f"[{message % dict(params)}]")
    assert "<script" not in svg and "&lt;script&gt;" in svg
    root = svg_root(svg)
    markers = root.findall(".//{http://www.w3.org/2000/svg}g[@class]")
    found = [g for g in markers if "finding" in (g.get("class") or "").split()]
    assert len(found) == sum(1 for f in result.findings if f.at is not None)
    titles = [g.find("{http://www.w3.org/2000/svg}title").text for g in found]
    assert any(hostile in title for title in titles)  # escaped in the text, intact once read


def test_the_overlay_shows_truth_drawing_and_numbered_markers():
    _grid, _area, truth = rural()
    drawing = copy.deepcopy(true_drawing(truth))
    drawing["features"] = [f for f in drawing["features"]
                           if f["properties"].get("number") != 5]
    result = grade_map(drawing, truth)
    svg = overlay_svg(drawing, truth, result)
    root = svg_root(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{ns}polygon[@class='truth-building']")) == len(truth.buildings)
    assert len(root.findall(f".//{ns}g[@class='drawn-building']")) == len(truth.buildings) - 1
    missed = root.findall(f".//{ns}g[@data-code='building_missed']")
    assert len(missed) == 1


def test_the_overlay_of_a_far_drawing_keeps_the_area_in_view():
    _grid, _area, truth = rural()
    drawing = {"type": "FeatureCollection", "features": [
        feature("building", point(1e6, 1e6), number=1)]}
    svg = overlay_svg(drawing, truth, grade_map(drawing, truth))
    width, height = (float(v) for v in svg_root(svg).get("viewBox").split()[2:])
    xs = [x for x, _y in truth.boundary]
    assert width <= 6 * (max(xs) - min(xs)) and height < 1e5


def test_the_overlay_accepts_a_parsed_drawing():
    truth = square_truth()
    drawing = parse_drawing(square_drawing())
    assert isinstance(drawing, Drawing)
    assert overlay_svg(drawing, truth, grade_map(drawing, truth)).startswith("<svg")
