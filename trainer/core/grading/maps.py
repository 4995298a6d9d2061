"""Rubric criteria of the small-area map (普查小区图) drawn in an attempt (issues 6 and 7).

Each criterion of `core.maps` is a rubric criterion of its own (`RUBRIC_NAMES`), so a scenario
weighs them as it likes and the debrief lists them beside the others. They grade
`evidence.map_drawing` against the truth of the scenario's map area, drawn again from (world
spec, seed), with the trainee's own register of household heads: numbering holds the map's
building numbers to the register's, the elements its totals. The map is graded once per
evidence (the five criteria share that grading).

Not applicable when the scenario has no map (`assignment.map`) or the evidence is not an
attempt's (a bot's or a playtest's path draws no map). A map never drawn scores 0 on each with
one finding, pointing at the area (the overlay marks its middle once). Every finding carries
its map finding (`Finding.map`: the message id and parameters, the drawn feature, the true
building, the point) for the debrief's overlay; its `text` is the English sentence (the web
layer translates the message id).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from trainer.core.grading.criteria import Evidence, Finding, Result, criterion
from trainer.core.i18n import N_
from trainer.core.maps import (
    MapFinding,
    MapResult,
    MapTruth,
    grade_map,
    register_rows,
    truth_from_area,
)
from trainer.core.maps.model import Severity, finding
from trainer.core.scenario.model import Rubric, Scenario
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

# rubric criterion -> the map criterion of `core.maps` it reports
RUBRIC_NAMES = {"map_boundary": "boundary_fit", "map_coverage": "coverage",
                "map_numbering": "numbering", "map_elements": "elements", "map_route": "route"}
NOT_DRAWN = ("没有画普查小区图。", "No small-area map was drawn.")


@lru_cache(maxsize=64)
def _truth(spec_json: str, seed: int, grid: int, area: int) -> MapTruth | None:
    spec = WorldSpec.from_dict(json.loads(spec_json)) if spec_json != "{}" else WorldSpec()
    made = make_grid(spec, seed, grid)
    return truth_from_area(made, made.areas[area]) if 0 <= area < len(made.areas) else None


def map_truth(scenario: Scenario, seed: int) -> MapTruth | None:
    """What a perfect map of the scenario's map area shows in the world of `seed` (None when
    the scenario has no map). A pure function of (scenario, seed); the last ones are kept."""
    spec = scenario.assignment.map
    if spec is None:
        return None
    return _truth(json.dumps(dict(scenario.world_spec or {}), sort_keys=True), seed,
                  spec.grid, spec.area)


_last = threading.local()  # the evidence last graded in this thread and its result


def graded_map(evidence: Evidence) -> MapResult | None:
    """The attempt's map graded against its area with the trainee's own register (None when
    there is no map to grade)."""
    kept = getattr(_last, "kept", None)
    if kept is not None and kept[0] is evidence:
        result: MapResult | None = kept[1]
        return result
    spec = evidence.scenario.assignment.map
    truth = map_truth(evidence.scenario, evidence.seed) if evidence.seed is not None else None
    result = None
    if spec is not None and truth is not None:
        result = grade_map(evidence.map_drawing, truth,
                           register=register_rows(evidence.register), rule=spec.rule)
    _last.kept = (evidence, result)
    return result


def blank(drawing: Mapping[str, Any] | None) -> bool:
    """Whether nothing was drawn or written: no drawing, or no feature and no title block."""
    if not isinstance(drawing, Mapping):
        return True
    properties = drawing.get("properties")
    return not drawing.get("features") and not (
        isinstance(properties, Mapping) and any(v not in (None, "") for v in properties.values()))


def finding_of(found: MapFinding) -> Finding:
    """A rubric finding pointing at what the map finding points at."""
    text = found.text()
    return Finding((text, text), map=found.to_dict())


def _not_drawn(evidence: Evidence, name: str) -> Finding:
    """A map never drawn: the finding points at the area itself (the overlay draws the true
    area with one marker in its middle, given by the rubric's first map criterion)."""
    truth = map_truth(evidence.scenario, evidence.seed) if evidence.seed is not None else None
    at = None
    if truth is not None and truth.boundary and name == _first_map_criterion(
            evidence.scenario.rubric):
        at = (sum(x for x, _y in truth.boundary) / len(truth.boundary),
              sum(y for _x, y in truth.boundary) / len(truth.boundary))
    found = finding("not_drawn", Severity.ERROR, N_("No map was drawn in this attempt."), at=at)
    return Finding(NOT_DRAWN, map=found.to_dict())


def _first_map_criterion(rubric: Rubric) -> str | None:
    return next((c.name for c in rubric.criteria if c.name in RUBRIC_NAMES), None)


def _check(name: str, evidence: Evidence) -> Result:
    if (evidence.scenario.assignment.map is None or not evidence.forms_expected
            or evidence.seed is None):
        return Result(0.0, applicable=False)
    if blank(evidence.map_drawing):
        return Result(0.0, (_not_drawn(evidence, name),))
    result = graded_map(evidence)
    if result is None:
        return Result(0.0, applicable=False)
    own = result.criteria[RUBRIC_NAMES[name]]
    findings = [finding_of(found) for found in own.findings]
    if name == _first_map_criterion(evidence.scenario.rubric):  # reading the GeoJSON: once
        findings = [finding_of(found) for found in result.drawing_findings] + findings
    return Result(own.score, tuple(findings))


@criterion("map_boundary", ("小区图：边界与普查小区的实际边界相符",
                            "Map: the boundary follows the area's true boundary"))
def map_boundary(evidence: Evidence) -> Result:
    """The drawn boundary against the area's (intersection over union, gaps, overreach)."""
    return _check("map_boundary", evidence)


@criterion("map_coverage", ("小区图：标出了小区内每一栋建筑物，没有多标",
                            "Map: every building of the area is marked, and nothing else"))
def map_coverage(evidence: Evidence) -> Result:
    """Every true building of the area marked, none outside claimed."""
    return _check("map_coverage", evidence)


@criterion("map_numbering", ("小区图：建筑物编号唯一、从1连续、按规则排列，与户主姓名底册一致",
                             "Map: buildings are numbered uniquely, from 1, in order, and as "
                             "in the register of household heads"))
def map_numbering(evidence: Evidence) -> Result:
    """Building numbers unique, consecutive, in the scenario's order, and the register's."""
    return _check("map_numbering", evidence)


@criterion("map_elements", ("小区图：标题、代码、指北针、图例、四至名称齐全，"
                             "建筑物数和户数与底册一致",
                            "Map: title, code, north arrow, legend and names are on it, and "
                            "its totals equal the register's"))
def map_elements(evidence: Evidence) -> Result:
    """The required elements, the totals held to the trainee's register."""
    return _check("map_elements", evidence)


@criterion("map_route", ("小区图：登记路线经过每栋建筑物，不走回头路",
                         "Map: the route visits every building without back-tracking"))
def map_route(evidence: Evidence) -> Result:
    """The registration route against a good route through the same buildings."""
    return _check("map_route", evidence)
