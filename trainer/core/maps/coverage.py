"""Coverage (区不漏房): every building of the area marked once, and nothing else claimed.

The score is matched / (buildings + extra marks): a missed building and a mark on nothing, on
another area's building or a second mark on one building each cost the same. Which mark is
which building is decided once, in `context.match_marks`.

When the truth gives its buildings a type (`TrueBuilding.type`, from the world), the marks'
types are a small part of the score (TYPE_WEIGHT): the share of matched marks whose type is
right; each wrong or missing type is a finding at its mark. A truth without types (a
hand-made one) leaves types out of the score and says nothing about them.
"""

from __future__ import annotations

from trainer.core.i18n import N_
from trainer.core.maps.context import Context, Mark
from trainer.core.maps.model import MapFinding, Severity, finding
from trainer.core.maps.registry import CriterionResult, map_criterion

TYPE_WEIGHT = 0.1  # of the coverage score, for the buildings' types
TYPE_NAMES = {"residential": N_("residential"), "shop": N_("a shop people live in"),
              "collective": N_("collective quarters"), "public": N_("a public building"),
              "other": N_("other")}


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
    details: dict[str, float] = {"matched": len(matched),
                                  "missed": len(truth.buildings) - len(matched), "extra": extra}
    typed = [(index, mark) for index, mark in sorted(matched.items())
             if truth.buildings[index].type]
    if typed:
        right, type_findings = _types(context, typed)
        findings.extend(type_findings)
        score = (1 - TYPE_WEIGHT) * score + TYPE_WEIGHT * right / len(typed)
        details["types_right"] = right
    return CriterionResult(score, tuple(findings), details)


def _types(context: Context, typed: list[tuple[int, Mark]]) -> tuple[int, list[MapFinding]]:
    """How many matched marks carry their building's type, and a finding for each that
    does not (one for the whole map when no mark carries a type at all)."""
    truth = context.truth
    if not any(mark.feature.building_type for _index, mark in typed):
        return 0, [finding("building_types_missing", Severity.WARNING,
                           N_("No building mark gives the building's type (residential, "
                              "shop, collective quarters, public, other)."))]
    right, findings = 0, []
    for index, mark in typed:
        building = truth.buildings[index]
        drawn = mark.feature.building_type
        if drawn == building.type:
            right += 1
        elif drawn is None:
            findings.append(finding("building_type_missing", Severity.WARNING,
                                    N_("Building %(number)s has no type on the map."),
                                    feature=mark.feature.index, building=building.number,
                                    at=mark.point, number=building.number))
        else:
            findings.append(finding(
                "building_type_wrong", Severity.WARNING,
                N_("Building %(number)s is marked as %(drawn)s; it is %(true)s."),
                feature=mark.feature.index, building=building.number, at=mark.point,
                number=building.number, drawn=TYPE_NAMES.get(drawn, drawn),
                true=TYPE_NAMES.get(building.type, building.type)))
    return right, findings
