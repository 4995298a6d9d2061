"""The 户主姓名底册 (register of household heads): one row per housing unit of the assignment.

Columns follow the domain file's proposal (§2.5): 建筑物编号, 住房单元编号, 户编号, 户主姓名,
住房状态 (occupied / vacant / whole-household death), 现住人数 (H2a), 户口在本户外出人数 (H2b),
登记方式 (visit / self-reporting), 户别 (family / collective), 是否长表户, 联系电话, 备注, and
what the listing walk (摸底, §2.6) leaves in the row: the 致住户的一封信 handed over, and the
自主填报码 generated for a household that chose self-reporting (§4.4). Household numbers run
from 1 over the occupied units in the order of the visiting list; a whole-household death is
999; a vacant unit has none.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from trainer.core.census.r601 import Issue, Severity
from trainer.core.i18n import N_
from trainer.core.scenario.households import TruthHousehold
from trainer.core.world.codes import ALL_DIED_HOUSEHOLD_NUMBER, HouseholdType

COLUMNS = ("building", "unit", "number", "head", "status", "present", "away", "mode", "kind",
           "long_form", "letter", "phone", "remarks", "code")
STATUSES = ("occupied", "vacant", "all_died")
MODES = ("visit", "self")
KINDS = ("family", "collective")
Row = Mapping[str, Any]
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
CODE_LENGTH = 10
CODE_SHAPE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
# a mainland mobile (1[3-9] and nine digits) or a landline: 010 or 02x and eight digits, or a
# four-digit area code 0[3-9]xx and seven or eight; spaces and hyphens allowed between groups
PHONE_SHAPE = re.compile(r"1[3-9]\d{9}|0(?:10|2\d)\d{8}|0[3-9]\d{2}\d{7,8}")


def self_code(key: str, unit_id: str) -> str:
    """The 自主填报码 of a unit: a hash of the attempt's key and the unit, so generating it
    twice gives the same code and no two units of an attempt share one."""
    digest = hashlib.sha256(f"self-reporting:{key}:{unit_id}".encode()).digest()
    return "".join(CODE_ALPHABET[byte % len(CODE_ALPHABET)] for byte in digest[:CODE_LENGTH])


def phone_ok(value: str) -> bool:
    """Whether a phone number has the shape of a mainland mobile or landline number."""
    return PHONE_SHAPE.fullmatch(re.sub(r"[\s-]", "", value)) is not None


def truth_rows(units: Sequence[tuple[str, TruthHousehold]],
               outcomes: Mapping[str, str], key: str | None = None
               ) -> dict[str, dict[str, Any]]:
    """The true register, by household id; the mode follows how the household was counted.
    With the attempt's `key`, a self-reporting household carries its code."""
    rows: dict[str, dict[str, Any]] = {}
    number = 0
    for unit_id, truth in units:
        household = truth.household
        row: dict[str, Any] = {"building": truth.building, "unit": truth.unit, "number": None,
                               "head": None, "status": "vacant", "present": 0, "away": 0,
                               "mode": None, "kind": None, "long_form": False,
                               "letter": False, "phone": None, "remarks": None, "code": None}
        if household is not None and household.all_died:
            row.update(status="all_died", number=ALL_DIED_HOUSEHOLD_NUMBER)
        elif household is not None and household.persons:
            number += 1
            mode = "self" if outcomes.get(unit_id) == "self_reporting" else "visit"
            row.update(status="occupied", number=number, head=household.persons[0].name,
                       present=household.h2a, away=household.h2b, mode=mode,
                       kind=("collective" if household.kind == HouseholdType.COLLECTIVE
                             else "family"),
                       long_form=household.long_form, letter=True,
                       code=self_code(key, unit_id) if mode == "self" and key else None)
        rows[unit_id] = row
    return rows


def self_reporting_allowed(row: Row, foreign: bool = False) -> bool:
    """Whether a household may report itself: only for the short form, so not a collective
    household, a long-form sample household or one of HMT residents or foreigners (§4.4)."""
    return not foreign and row.get("kind") != "collective" and not row.get("long_form")


def validate(rows: Mapping[str, Row], foreign: Collection[str] = ()) -> Iterator[Issue]:
    """Hard errors of a filled register: what each status needs, unique numbers, and the
    listing's own facts. `foreign`: the units whose household fills the HMT/foreign form."""
    seen: dict[int, str] = {}
    for index, (unit_id, row) in enumerate(rows.items()):
        status = row.get("status")
        for column in ("building", "unit", "status"):
            if row.get(column) in (None, ""):
                yield _hard("required", column, index, N_("%(item)s is required."),
                            item=column)
        number = row.get("number")
        if status == "occupied":
            for column in ("number", "head", "present", "away", "mode", "kind"):
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
        if status == "vacant" and row.get("head") not in (None, ""):
            yield _hard("head", "head", index, N_("A vacant unit has no head of household."))
        if status == "occupied" and isinstance(number, int):
            if number in seen:
                yield _hard("number", "number", index, N_("Household number %(number)s is "
                                                          "used twice."), number=number)
            seen[number] = unit_id
        yield from _listing_issues(row, index, unit_id in foreign)


def _listing_issues(row: Row, index: int, foreign: bool) -> Iterator[Issue]:
    """The listing's own columns: the phone's shape, and self-reporting (who may, its code)."""
    phone = row.get("phone")
    if isinstance(phone, str) and phone.strip() and not phone_ok(phone):
        yield _hard("phone", "phone", index, N_("Write a mainland mobile number (11 digits "
                                                "from 13-19) or a landline with its area "
                                                "code (such as 0730-8123456)."))
    code = row.get("code")
    if row.get("mode") == "self":
        if not self_reporting_allowed(row, foreign):
            yield _hard("self_not_allowed", "mode", index, N_(
                "Self-reporting is for the short form only: a collective household, a "
                "long-form sample household or one of Hong Kong, Macao or Taiwan residents "
                "or foreigners is registered by the enumerator."))
        if code in (None, ""):
            yield _hard("code", "code", index, N_("A household that reports itself needs its "
                                                  "self-reporting code: generate it."))
    if code not in (None, "") and (not isinstance(code, str) or not CODE_SHAPE.fullmatch(code)):
        yield _hard("code", "code", index, N_("This is not a self-reporting code."))


def _hard(rule: str, at: str, row: int, message: str, /, **params: object) -> Issue:
    return Issue(rule, Severity.HARD, at, row, message, params)
