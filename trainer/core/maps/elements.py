"""Required elements of a 普查小区图 (domain file §2.3): title, code, north arrow, legend, the
names of the roads and landmarks that bound the area, the totals, the drafter and the date.

The score is a weighted share of what is there and right. Names are compared leniently
(`name_key`: width, case, spaces, punctuation and a trailing 围墙 do not matter) and must be
written near their place; the totals are held to the trainee's register when there is one,
else to the truth.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import shapely

from trainer.core.i18n import N_
from trainer.core.maps.context import Context
from trainer.core.maps.model import DrawnFeature, MapFinding, Severity, Shape, finding
from trainer.core.maps.registry import CriterionResult, map_criterion, point_xy
from trainer.core.maps.truth import register_totals
from trainer.core.world.geometry import Point

PLACE_DISTANCE = 40.0  # m: a name written this close to its road or landmark is in place
ARROW_TOLERANCE = 15.0  # degrees off north


def name_key(text: str) -> str:
    """A name as compared: NFKC, case-folded, without spaces or punctuation, and without a
    trailing 围墙 (a wall is named by its landmark)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(char for char in folded if unicodedata.category(char)[0] not in "PZSC")
    return kept.removesuffix("围墙")


@dataclass(slots=True)
class _Checks:
    """Weighted checks of the elements criterion and their findings."""

    credit: float = 0.0
    weight: float = 0.0
    findings: list[MapFinding] = field(default_factory=list)

    def add(self, weight: float, credit: float, found: MapFinding | None = None) -> None:
        self.weight += weight
        self.credit += weight * credit
        if found is not None:
            self.findings.append(found)


@map_criterion("elements", N_("Title, code, north arrow, legend, names and totals are on the "
                              "map and right"), 0.15)
def elements(context: Context) -> CriterionResult:
    """The elements a 普查小区图 must show (domain file §2.3)."""
    checks = _Checks()
    _title(context, checks)
    _code(context, checks)
    _north_arrow(context, checks)
    if not context.drawing.of_kind("legend"):
        checks.add(1, 0, finding("legend_missing", Severity.ERROR,
                                 N_("The map has no legend.")))
    else:
        checks.add(1, 1)
    _names(context, checks)
    _totals(context, checks)
    _drafter_and_date(context, checks)
    score = checks.credit / checks.weight if checks.weight else 1.0
    return CriterionResult(score, tuple(checks.findings))


def _title(context: Context, checks: _Checks) -> None:
    title = context.drawing.header.title
    if title is None:
        checks.add(2, 0, finding("title_missing", Severity.ERROR,
                                 N_("The map has no title (the area's full name).")))
        return
    parts = context.truth.title_parts
    key = name_key(title)
    missing = [part[0] for part in parts
               if not any(name_key(spelling) in key for spelling in part)]
    credit = 1 - len(missing) / len(parts) if parts else 1.0
    checks.add(2, credit, finding(
        "title_incomplete", Severity.WARNING,
        N_("The title should give the area's full name; it lacks %(missing)s."),
        missing="、".join(missing), expected=context.truth.title) if missing else None)


def _code(context: Context, checks: _Checks) -> None:
    code = context.drawing.header.code
    expected = context.truth.code
    if code is None:
        checks.add(1, 0, finding("code_missing", Severity.WARNING,
                                 N_("The map does not give the area's code.")))
        return
    digits = re.sub(r"\s", "", code)
    right = digits == expected or (digits.isdecimal() and len(digits) <= 3
                                   and expected[-3:].isdecimal()
                                   and int(digits) == int(expected[-3:]))
    checks.add(1, 1 if right else 0, None if right else finding(
        "code_wrong", Severity.ERROR, N_("The area's code is %(expected)s, not %(given)s."),
        expected=expected, given=code))


def _north_arrow(context: Context, checks: _Checks) -> None:
    arrows = context.drawing.of_kind("north_arrow")
    if not arrows:
        checks.add(1, 0, finding("north_arrow_missing", Severity.ERROR,
                                 N_("The map has no north arrow (上北下南，左西右东).")))
        return
    angle = arrows[0].angle
    off = abs((angle + 180) % 360 - 180) if angle is not None else 0.0
    checks.add(1, 1 if off <= ARROW_TOLERANCE else 0.5, None if off <= ARROW_TOLERANCE
               else finding("north_arrow_not_north", Severity.WARNING,
                            N_("The north arrow points %(angle)s° away from the top of the "
                               "map; maps are drawn with north up."),
                            feature=arrows[0].index, angle=round(off)))


def _names(context: Context, checks: _Checks) -> None:
    """The boundary's names (weight 2) and the landmarks' (weight 1), each named near its
    place; labels naming nothing around the area get a note."""
    truth = context.truth
    labels = [f for f in context.drawing.features if f.label is not None]
    places: dict[str, list[int]] = {}
    for index, place in enumerate(truth.places):
        places.setdefault(name_key(place.name), []).append(index)
    for role, weight in (("boundary", 2.0), ("landmark", 1.0)):
        wanted = [p for p in truth.places if p.role == role]
        names = list(dict.fromkeys(p.name for p in wanted))
        if not names:
            continue
        credits = [_named(context, name, labels, places, checks.findings, role)
                   for name in names]
        checks.add(weight, sum(credits) / len(credits))
    for feature in labels:
        if name_key(feature.label or "") not in places:
            checks.findings.append(finding(
                "label_unknown", Severity.WARNING,
                N_("The label %(label)s names no road, river or landmark near the area."),
                feature=feature.index, at=_point_of(feature.geometry), label=feature.label))


def _named(context: Context, name: str, labels: Sequence[DrawnFeature],
           places: Mapping[str, list[int]], findings: list[MapFinding], role: str) -> float:
    """1 when a label names the place near it, 0.5 when only far from it, else 0."""
    key = name_key(name)
    same = [f for f in labels if name_key(f.label or "") == key]
    shapes = context.shapes.places[places[key]]
    near = [f for f in same if f.geometry is None
            or float(shapely.distance(f.geometry, shapes).min()) <= PLACE_DISTANCE]
    if near:
        return 1.0
    if same:
        findings.append(finding(
            "name_misplaced", Severity.WARNING,
            N_("%(name)s is written more than %(distance)s m from where it is."),
            feature=same[0].index, at=_point_of(same[0].geometry), name=name,
            distance=int(PLACE_DISTANCE)))
        return 0.5
    where = _place_point(context, places[key])
    if role == "boundary":
        findings.append(finding("boundary_name_missing", Severity.ERROR,
                                N_("%(name)s, along the boundary, is not named on the map."),
                                at=where, name=name))
    else:
        findings.append(finding("landmark_missing", Severity.ERROR,
                                N_("The landmark %(name)s is not named on the map."),
                                at=where, name=name))
    return 0.0


def _place_point(context: Context, indices: list[int]) -> Point | None:
    """The point of a place nearest the area (where a missing name belongs)."""
    area = context.shapes.area
    if area.is_empty:
        return None
    lines = shapely.shortest_line(context.shapes.places[indices], area)
    best = lines[int(np.argmin(shapely.length(lines)))]
    x, y = best.coords[0]
    return float(x), float(y)


def _point_of(geometry: Shape | None) -> Point | None:
    if geometry is None or geometry.is_empty:
        return None
    return point_xy(geometry.representative_point())


def _totals(context: Context, checks: _Checks) -> None:
    """Buildings and households written on the map, against the register (or the truth)."""
    header = context.drawing.header
    if context.register is not None:
        buildings, households = register_totals(context.register)
    else:
        buildings, households = context.truth.building_total, context.truth.household_total
    source = "register" if context.register is not None else "truth"
    for given, expected, code in ((header.building_total, buildings, "building_total"),
                                  (header.household_total, households, "household_total")):
        checks.add(1, *_total(given, expected, code, source))


def _total(given: int | None, expected: int, code: str, source: str
           ) -> tuple[float, MapFinding | None]:
    messages = {
        ("building_total", "missing"): N_("The map does not give the number of buildings."),
        ("household_total", "missing"): N_("The map does not give the number of households."),
        ("building_total", "register"): N_("The map gives %(given)s buildings; the register "
                                           "of household heads lists %(expected)s."),
        ("household_total", "register"): N_("The map gives %(given)s households; the "
                                            "register of household heads lists "
                                            "%(expected)s."),
        ("building_total", "truth"): N_("The map gives %(given)s buildings; the area has "
                                        "%(expected)s."),
        ("household_total", "truth"): N_("The map gives %(given)s households; the area has "
                                         "%(expected)s."),
    }
    if given is None:
        return 0.0, finding(f"{code}_missing", Severity.ERROR, messages[code, "missing"])
    if given != expected:
        return 0.0, finding(f"{code}_wrong", Severity.ERROR, messages[code, source],
                            given=given, expected=expected)
    return 1.0, None


def _drafter_and_date(context: Context, checks: _Checks) -> None:
    header = context.drawing.header
    checks.add(0.5, 1 if header.drafter else 0, None if header.drafter else finding(
        "drafter_missing", Severity.WARNING, N_("The map does not name who drew it.")))
    if header.date is None:
        checks.add(0.5, 0, finding("date_missing", Severity.WARNING,
                                   N_("The map is not dated.")))
        return
    try:
        date.fromisoformat(header.date[:10])
    except ValueError:
        checks.add(0.5, 0.5, finding("date_invalid", Severity.WARNING,
                                     N_("The map's date %(date)s is not a date "
                                        "(YYYY-MM-DD)."), date=header.date))
        return
    checks.add(0.5, 1)
