"""The 户主姓名底册 (register of household heads): one row per housing unit of the assignment.

Columns follow the domain file's proposal (§2.5): 建筑物编号, 住房单元编号, 户编号, 户主姓名,
住房状态 (occupied / vacant / whole-household death), 现住人数 (H2a), 户口在本户外出人数 (H2b),
登记方式 (visit / self-reporting). Household numbers run from 1 over the occupied units in the
order of the visiting list; a whole-household death is 999; a vacant unit has none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from trainer.core.census.r601 import Issue, Severity
from trainer.core.i18n import N_
from trainer.core.scenario.households import TruthHousehold
from trainer.core.world.codes import ALL_DIED_HOUSEHOLD_NUMBER

COLUMNS = ("building", "unit", "number", "head", "status", "present", "away", "mode")
STATUSES = ("occupied", "vacant", "all_died")
MODES = ("visit", "self")
Row = Mapping[str, Any]


def truth_rows(units: Sequence[tuple[str, TruthHousehold]],
               outcomes: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The true register, by household id; the mode follows how the household was counted."""
    rows: dict[str, dict[str, Any]] = {}
    number = 0
    for unit_id, truth in units:
        household = truth.household
        row: dict[str, Any] = {"building": truth.building, "unit": truth.unit, "number": None,
                               "head": None, "status": "vacant", "present": 0, "away": 0,
                               "mode": None}
        if household is not None and household.all_died:
            row.update(status="all_died", number=ALL_DIED_HOUSEHOLD_NUMBER)
        elif household is not None and household.persons:
            number += 1
            row.update(status="occupied", number=number, head=household.persons[0].name,
                       present=household.h2a, away=household.h2b,
                       mode="self" if outcomes.get(unit_id) == "self_reporting" else "visit")
        rows[unit_id] = row
    return rows


def validate(rows: Mapping[str, Row]) -> Iterator[Issue]:
    """Hard errors of a filled register: what each status needs, and unique numbers."""
    seen: dict[int, str] = {}
    for index, (unit_id, row) in enumerate(rows.items()):
        status = row.get("status")
        for column in ("building", "unit", "status"):
            if row.get(column) in (None, ""):
                yield _hard("required", column, index, N_("%(item)s is required."),
                            item=column)
        number = row.get("number")
        if status == "occupied":
            for column in ("number", "head", "present", "away", "mode"):
                if row.get(column) in (None, ""):
                    yield _hard("required", column, index, N_("%(item)s is required."),
                                item=column)
            if isinstance(number, int) and not 1 <= number < ALL_DIED_HOUSEHOLD_NUMBER:
                yield _hard("number", "number", index, N_("Household numbers run from 1; 999 "
                                                          "is for a whole-household death."))
        elif status == "all_died" and number != ALL_DIED_HOUSEHOLD_NUMBER:
            yield _hard("number", "number", index, N_("A whole-household death is numbered "
                                                      "999."))
        elif status == "vacant" and number not in (None, ""):
            yield _hard("number", "number", index, N_("A vacant unit has no household "
                                                      "number."))
        if status == "occupied" and isinstance(number, int):
            if number in seen:
                yield _hard("number", "number", index, N_("Household number %(number)s is "
                                                          "used twice."), number=number)
            seen[number] = unit_id


def _hard(rule: str, at: str, row: int, message: str, /, **params: object) -> Issue:
    return Issue(rule, Severity.HARD, at, row, message, params)
