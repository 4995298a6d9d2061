"""Numbering: 建筑物编号 present and unique, consecutive from 1, in the rule's order, and the
same buildings as the trainee's register of household heads.

The score is the mean of those parts. The order part is the share of the numbered buildings
on the longest run that follows the rule (a longest increasing subsequence), so one building
out of place costs one building, not every number after it. `NUMBERING_RULES` holds the
orders a numbering may be held to.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence

from trainer.core.i18n import N_
from trainer.core.maps.context import Context, Mark
from trainer.core.maps.model import MapFinding, Severity, finding
from trainer.core.maps.registry import CriterionResult, map_criterion
from trainer.core.maps.truth import MapTruth
from trainer.core.world.geometry import Point

MAX_LISTED = 20  # skipped-number findings before one summary


RuleFn = Callable[[MapTruth], list[dict[int, int]]]
NUMBERING_RULES: dict[str, RuleFn] = {}


def numbering_rule(name: str) -> Callable[[RuleFn], RuleFn]:
    """Register a numbering rule: the orders (true number -> expected number) it accepts;
    a numbering is held to whichever fits it best. No orders: any order will do."""
    def register(fn: RuleFn) -> RuleFn:
        NUMBERING_RULES[name] = fn
        return fn
    return register


@numbering_rule("serpentine")
def _true_order(truth: MapTruth) -> list[dict[int, int]]:
    """The area's own listing order: the world numbers its buildings serpentine (蛇形), row
    by row from where the area's run of lots begins, without back-tracking."""
    return [{b.number: b.number for b in truth.buildings}]


@numbering_rule("serpentine_either_end")
def _either_end(truth: MapTruth) -> list[dict[int, int]]:
    """The listing order, or the same walked from its other end."""
    count = len(truth.buildings)
    return [{b.number: b.number for b in truth.buildings},
            {b.number: count + 1 - b.number for b in truth.buildings}]


@numbering_rule("serpentine_nw")
def _from_north_west(truth: MapTruth) -> list[dict[int, int]]:
    """Rows of buildings from the north, the first row west to east, then alternating."""
    return [_rows_order(truth, north_first=True, west_first=True)]


@numbering_rule("serpentine_any_corner")
def _any_corner(truth: MapTruth) -> list[dict[int, int]]:
    """Rows from any of the four corners, alternating direction."""
    return [_rows_order(truth, north_first=north, west_first=west)
            for north in (True, False) for west in (True, False)]


@numbering_rule("free")
def _free(truth: MapTruth) -> list[dict[int, int]]:
    """Any order: numbers need only be unique and consecutive from 1."""
    return []


def _rows_order(truth: MapTruth, *, north_first: bool, west_first: bool
                ) -> dict[int, int]:
    """A serpentine order over rows of buildings (centres within 1 m of one y share a row)."""
    centres = sorted(((b.centroid, b.number) for b in truth.buildings),
                     key=lambda item: -item[0][1] if north_first else item[0][1])
    rows: list[list[tuple[Point, int]]] = []
    for centre, number in centres:
        if rows and abs(rows[-1][0][0][1] - centre[1]) <= 1.0:
            rows[-1].append((centre, number))
        else:
            rows.append([(centre, number)])
    order: dict[int, int] = {}
    for index, row in enumerate(rows):
        eastward = west_first == (index % 2 == 0)
        for _centre, number in sorted(row, key=lambda item: item[0][0], reverse=not eastward):
            order[number] = len(order) + 1
    return order


@map_criterion("numbering", N_("Buildings are numbered uniquely, from 1, in order"), 0.2)
def numbering(context: Context) -> CriterionResult:
    """Numbers present and unique, consecutive from 1, in the rule's order, and the
    register's buildings (when given) the map's."""
    marks = context.marks
    if not marks:
        empty = not context.truth.buildings and context.register is None
        return CriterionResult(1.0 if empty else 0.0, () if empty else (finding(
            "nothing_numbered", Severity.ERROR, N_("No building on the map is numbered.")),))
    findings: list[MapFinding] = []
    unique = _unique_numbers(marks, findings)
    count = len(marks)
    present = set(unique)
    skipped = sorted(set(range(1, count + 1)) - present)
    findings.extend(_skipped(skipped))
    parts = {"numbered": len(unique) / count,
             "consecutive": (count - len(skipped)) / count,
             "order": _order(context, unique, findings)}
    if context.register is not None:
        parts["register"] = _against_register(context, unique, findings)
    return CriterionResult(sum(parts.values()) / len(parts), tuple(findings),
                           {name: round(value, 4) for name, value in parts.items()})


def _unique_numbers(marks: Sequence[Mark], findings: list[MapFinding]) -> dict[int, Mark]:
    """Number -> the first mark carrying it; a finding for each mark without a number and
    each repeat."""
    unique: dict[int, Mark] = {}
    for mark in marks:
        number = mark.number
        if number is None:
            findings.append(finding("number_missing", Severity.ERROR,
                                    N_("This building has no number."),
                                    feature=mark.feature.index, at=mark.point))
        elif number in unique:
            findings.append(finding("number_repeated", Severity.ERROR,
                                    N_("Number %(number)s is used for more than one "
                                       "building."), feature=mark.feature.index, at=mark.point,
                                    number=number))
        else:
            unique[number] = mark
    return unique


def _skipped(skipped: Sequence[int]) -> list[MapFinding]:
    found = [finding("number_skipped", Severity.ERROR,
                     N_("Number %(number)s is skipped: building numbers run from 1 without "
                        "gaps."), number=number) for number in skipped[:MAX_LISTED]]
    if len(skipped) > MAX_LISTED:
        found.append(finding("number_skipped_more", Severity.ERROR,
                             N_("%(count)s more numbers are skipped."),
                             count=len(skipped) - MAX_LISTED))
    return found


def _order(context: Context, unique: Mapping[int, Mark], findings: list[MapFinding]) -> float:
    """Share of the matched, numbered buildings on the longest run in the rule's order (0
    when no numbered mark stands on a building of the area); a finding for each of the
    others."""
    orders = NUMBERING_RULES[context.rule](context.truth)
    truth = context.truth
    numbered = [mark for mark in unique.values()
                if mark.building is not None and not mark.duplicate]
    if not orders:
        return 1.0
    if not numbered:  # nothing numbered stands on a building of the area: no order shown
        return 0.0
    best: tuple[int, list[int], dict[int, int]] | None = None
    for order in orders:
        ranked = sorted(range(len(numbered)),
                        key=lambda i: order[truth.buildings[numbered[i].building or 0].number])
        kept = _longest_increasing([numbered[i].number or 0 for i in ranked])
        run = [ranked[i] for i in kept]
        if best is None or len(run) > best[0]:
            best = (len(run), run, order)
    assert best is not None
    length, run, order = best
    in_order = set(run)
    for index, mark in enumerate(numbered):
        if index in in_order:
            continue
        true_number = truth.buildings[mark.building or 0].number
        findings.append(finding(
            "number_out_of_order", Severity.ERROR,
            N_("Number %(number)s breaks the numbering order; by the rule this building "
               "would be number %(expected)s."), feature=mark.feature.index, building=true_number,
            at=mark.point, number=mark.number, expected=order[true_number]))
    return length / len(numbered)


def _longest_increasing(values: Sequence[int]) -> list[int]:
    """Indices of a longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []  # tails[k]: the least last value of an increasing run of k + 1
    tail_index: list[int] = []
    previous = [-1] * len(values)
    for index, value in enumerate(values):
        at = bisect.bisect_left(tails, value)
        if at:
            previous[index] = tail_index[at - 1]
        if at == len(tails):
            tails.append(value)
            tail_index.append(index)
        else:
            tails[at] = value
            tail_index[at] = index
    run = []
    index = tail_index[-1] if tail_index else -1
    while index != -1:
        run.append(index)
        index = previous[index]
    return run[::-1]


def _against_register(context: Context, unique: Mapping[int, Mark],
                      findings: list[MapFinding]) -> float:
    """Jaccard agreement of the register's building numbers and the map's."""
    listed = {row.building for row in context.register or ()}
    drawn = set(unique)
    for number in sorted(listed - drawn):
        findings.append(finding(
            "register_building_not_on_map", Severity.ERROR,
            N_("Building %(number)s is in the register of household heads but not on the "
               "map."), number=number))
    for number in sorted(drawn - listed):
        mark = unique[number]
        findings.append(finding(
            "building_not_in_register", Severity.ERROR,
            N_("Building %(number)s is on the map but not in the register of household "
               "heads."), feature=mark.feature.index, at=mark.point, number=number))
    everything = listed | drawn
    return len(listed & drawn) / len(everything) if everything else 1.0
