"""Grading a drawn map: every registered criterion, their weighted total, JSON-ready data.

Importing this module registers the criteria, in report order (the order of the imports):
boundary fit, coverage, required elements, numbering, route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shapely.errors import GEOSException

from trainer.core.errors import InvalidInput
from trainer.core.i18n import N_
from trainer.core.maps import boundary, coverage, elements, numbering, route
from trainer.core.maps.context import Context
from trainer.core.maps.model import Drawing, MapFinding, Severity, finding
from trainer.core.maps.numbering import NUMBERING_RULES
from trainer.core.maps.parse import parse_drawing
from trainer.core.maps.registry import MAP_CRITERIA, CriterionResult, Graded
from trainer.core.maps.truth import MapTruth, RegisterRow

CRITERION_MODULES = (boundary, coverage, elements, numbering, route)  # registered on import


@dataclass(frozen=True, slots=True)
class MapResult(Graded):
    """A graded map: each criterion's result, the weighted total (0-1), and what reading
    the GeoJSON found."""

    criteria: Mapping[str, CriterionResult]
    total: float
    drawing_findings: tuple[MapFinding, ...] = ()
    rule: str = "serpentine"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, as an attempt stores it."""
        return {"total": round(self.total, 4), "rule": self.rule,
                "drawing": [f.to_dict() for f in self.drawing_findings],
                "criteria": {name: {"score": round(result.score, 4),
                                    "weight": MAP_CRITERIA[name].weight,
                                    "measures": dict(result.measures),
                                    "findings": [f.to_dict() for f in result.findings]}
                             for name, result in self.criteria.items()}}


def grade_map(drawing: Drawing | object, truth: MapTruth, *,
              register: Sequence[RegisterRow] | None = None,
              rule: str = "serpentine") -> MapResult:
    """Grade a drawn map (a `Drawing`, or decoded GeoJSON, read with `parse_drawing`)
    against the truth, with the trainee's register when there is one.

    `rule` names the building-numbering order in `NUMBERING_RULES`. Bad drawings never
    raise: whatever is wrong with them becomes findings.
    """
    if rule not in NUMBERING_RULES:
        raise InvalidInput(N_("There is no numbering rule %(rule)s."), field="rule", rule=rule)
    if not isinstance(drawing, Drawing):
        drawing = parse_drawing(drawing)
    try:
        context = Context.build(drawing, truth, register, rule)
    except (GEOSException, ValueError, FloatingPointError) as error:
        results = {name: _unreadable(error) for name in MAP_CRITERIA}
    else:
        results = {name: _checked(criterion.check, context)
                   for name, criterion in MAP_CRITERIA.items()}
    weight = sum(criterion.weight for criterion in MAP_CRITERIA.values())
    total = sum(MAP_CRITERIA[name].weight * result.score
                for name, result in results.items()) / weight
    return MapResult(results, total, drawing.findings, rule)


def _checked(check: Any, context: Context) -> CriterionResult:
    """A criterion's result; a geometry the library cannot handle scores 0 with a finding
    instead of failing the whole grading."""
    try:
        result: CriterionResult = check(context)
    except (GEOSException, ValueError, FloatingPointError) as error:
        return _unreadable(error)
    return result


def _unreadable(error: Exception) -> CriterionResult:
    return CriterionResult(0.0, (finding(
        "geometry_unreadable", Severity.ERROR,
        N_("This part of the map could not be checked: %(reason)s."),
        reason=str(error)[:120]),))
