"""The limits that keep grading a drawing under a second (`core.maps.complexity`)."""

from __future__ import annotations

import itertools
import random
import time

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.maps import grade_division, grade_map
from trainer.core.maps.complexity import MAX_CROSSINGS, MAX_VERTICES, count_crossings
from trainer.maps.services import check_drawing

coordinates = st.integers(0, 20).map(float)
lines = st.lists(st.tuples(coordinates, coordinates), min_size=2, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(lines, min_size=1, max_size=3))
def test_crossings_are_the_pairs_of_edges_whose_interiors_cross(parts):
    """The numpy count equals GEOS's `crosses` over every pair of edges (touching, shared or
    collinear edges do not count)."""
    edges = [shapely.LineString(pair) for part in parts for pair in itertools.pairwise(part)
             if pair[0] != pair[1]]
    expected = sum(a.crosses(b) for a, b in itertools.combinations(edges, 2))
    assert count_crossings([shapely.LineString(part) for part in parts if len(set(part)) > 1],
                           10**6) == expected


def _comb(k, vertical=False):
    """A valid polygon of k teeth over a 100 m square; two combs cross k² times."""
    ring = [(0.0, 0.0)]
    for i in range(k):
        w = 100 / k
        ring += [(i * w, 100), (i * w + w / 2, 100), (i * w + w / 2, 2), ((i + 1) * w, 2)]
    ring.append((100.0, 0.0))
    if vertical:
        ring = [(y, x) for x, y in ring]
    return [[x, y] for x, y in (*ring, ring[0])]


def _collection(*features):
    return {"type": "FeatureCollection", "properties": {}, "features": list(features)}


def _feature(kind, geometry_type, coordinates, **properties):
    return {"type": "Feature", "properties": {"kind": kind, **properties},
            "geometry": {"type": geometry_type, "coordinates": coordinates}}


def test_combs_past_the_crossing_limit_are_refused_and_graded_quickly():
    """Two valid boundaries (or areas) crossing each other more than MAX_CROSSINGS times took
    98 s to grade; now they are refused on save and a stored pair is a finding."""
    from tests.core.test_division import small_truth
    from tests.core.test_maps import rural

    k = int(MAX_CROSSINGS ** 0.5) + 2
    combs = [_comb(k), _comb(k, vertical=True)]
    for kind, extra in (("boundary", {}), ("area", {"number": 1})):
        drawing = _collection(*(_feature(kind, "Polygon", [ring], **extra) for ring in combs))
        try:
            check_drawing(drawing)
        except Exception as error:
            assert type(error).__name__ == "InvalidInput"
            assert str(MAX_CROSSINGS) in str(error)
        else:
            raise AssertionError(f"{kind} combs were accepted")
    _grid, _area, truth = rural()
    started = time.time()
    result = grade_map(_collection(*(_feature("boundary", "Polygon", [ring])
                                     for ring in combs)), truth)
    division = grade_division(_collection(*(_feature("area", "Polygon", [ring], number=n)
                                            for n, ring in enumerate(combs, 1))),
                              small_truth())
    assert time.time() - started < 1
    assert [f.code for f in result.criteria["boundary_fit"].findings] == ["too_complex"]
    assert division.total == 0 and set(division.codes()) == {"too_complex"}


def test_a_route_past_the_vertex_limit_is_refused():
    chance = random.Random(2)
    points = [[float(i), chance.uniform(0, 1)] for i in range(MAX_VERTICES["route"] + 1)]
    try:
        check_drawing(_collection(_feature("route", "LineString", points)))
    except Exception as error:
        assert type(error).__name__ == "InvalidInput"
        assert str(MAX_VERTICES["route"]) in str(error)
    else:
        raise AssertionError("accepted")
    check_drawing(_collection(_feature("route", "LineString", points[:-1])))  # at the limit
