"""Coverage (区不漏房): every building of the area marked once, and nothing else claimed.

The score is matched / (buildings + extra marks): a missed building and a mark on nothing, on
another area's building or a second mark on one building each cost the same. Which mark is
which building is decided once, in `context.match_marks`.
"""

from __future__ import annotations

from trainer.core.i18n import N_
from trainer.core.maps.context import Context
from trainer.core.maps.model import Severity, finding
from trainer.core.maps.registry import CriterionResult, map_criterion


@map_criterion("coverage", N_("Every building of the area is marked, and nothing else"), 0.25)
def coverage(context: Context) -> CriterionResult:
    """Each true building marked once; marks on nothing or on other areas' buildings cost."""
    truth = context.truth
    matched = context.matched
    findings = [finding("building_missed", Severity.ERROR,
                        N_("Building %(number)s of the area is not marked on the map."),
                        building=building.number, at=building.centroid, number=building.number)
                for index, building in enumerate(truth.buildings) if index not in matched]
    extra = 0
    for mark in context.marks:
        if mark.duplicate and mark.building is not None:
            number = truth.buildings[mark.building].number
            findings.append(finding("building_marked_twice", Severity.ERROR,
                                    N_("Building %(number)s is marked twice."),
                                    feature=mark.feature.index, building=number, at=mark.point,
                                    number=number))
        elif mark.neighbour is not None:
            other = truth.neighbours[mark.neighbour]
            findings.append(finding(
                "building_of_other_area", Severity.ERROR,
                N_("This mark is on building %(number)s of area %(area)s, outside this "
                   "area."), feature=mark.feature.index, at=mark.point, number=other.number,
                area=other.area))
        elif mark.building is None:
            findings.append(finding("no_building_here", Severity.ERROR,
                                    N_("This mark is not on any building."),
                                    feature=mark.feature.index, at=mark.point))
        else:
            continue
        extra += 1
    total = len(truth.buildings) + extra
    score = len(matched) / total if total else 1.0
    return CriterionResult(score, tuple(findings), {
        "matched": len(matched), "missed": len(truth.buildings) - len(matched),
        "extra": extra})
