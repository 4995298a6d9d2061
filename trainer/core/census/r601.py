"""The short form R601 as data, and its validation as the collection apps did it.

A filled form is a plain record (what a WTForms form or a self-report submits):

    {"H1": 1, "H2a": 3, "H2b": 1, "H3m": 0, "H3f": 0, "H4m": 0, "H4f": 0, "H5": 1,
     "H6": 95, "H7": 3, "persons": [{"D1": "王建国", "D2": 0, "D3": "4306...", "D4": 1,
     "D5": "1971-05", "D6": "汉族", "D7": 1, "D8": 1, "D9": 1, "D10": None, "D11": 5,
     "D12": 1, "D7_place": None, "D8_place": None}, ...],
     "deaths": [{"sex": 1, "birth": "1936-02", "died": "2020-03"}, ...]}

A whole-household death (户编号 999) has a form too, on which only H4 is filled:
{"all_died": True, "H4m": 1, "H4f": 0, "persons": [], "deaths": [...]}; its "deaths" are
absent when they cannot be told apart (several 999 households share the number on the death
form), and H4 is then not checked against them. A stored 999 record may keep household items
typed before its unit became a 999 (for when it is a household again); `as_filed` leaves
them off, and the checks, the grading and the review read it so.

(D7 = 5 and D8 = 4 are followed by the place written out, "D7_place" and "D8_place":
"湖北省荆州市洪湖市".)

`validate(record)` returns every issue: hard errors block submission, soft warnings ask for a
confirmation. Each rule is registered by name in `RULES`, so grading reuses them and reports
which rule a form broke. `record_of(household)` writes a generated household's truth as such a
record: the truth always passes (a property test checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from trainer.core.i18n import N_
from trainer.core.world import idnumber
from trainer.core.world.codes import (
    AGE_3_CUTOFF,
    AGE_15_CUTOFF,
    ETHNIC_GROUPS,
    LABELS,
    YEAR_START,
    DwellingType,
    HouseholdType,
    Hukou,
    Sex,
    TimeAway,
)
from trainer.core.world.people import Death, Household, Person

Record = Mapping[str, Any]
NO_ID = "0" * 18
# D7 = 5 (another county) and D8 = 4 (another county) are followed on the form by the
# province, city and county written out (→ 省/市/县): the items "D7_place" and "D8_place".
PLACES = {"D7": "D7_place", "D8": "D8_place"}
WRITE_PLACE = {"D7": 5, "D8": 4}
LAST_DAY = date(2020, 10, 31)


class Severity(StrEnum):
    """Hard errors block submission; soft warnings need a confirmation."""

    HARD = "hard"
    SOFT = "soft"


@dataclass(frozen=True, slots=True)
class Issue:
    """One broken rule: where (item, person index) and a message id with its parameters."""

    rule: str
    severity: Severity
    item: str
    person: int | None
    message: str
    params: Mapping[str, object]


RuleFn = Callable[[Record], Iterator[Issue]]
RULES: dict[str, RuleFn] = {}


def rule(name: str) -> Callable[[RuleFn], RuleFn]:
    """Register a validation rule under `name`."""
    def register(fn: RuleFn) -> RuleFn:
        RULES[name] = fn
        return fn
    return register


def _hard(name: str, at: str, person: int | None, message: str, /, **params: object) -> Issue:
    return Issue(name, Severity.HARD, at, person, message, params)


def _soft(name: str, at: str, person: int | None, message: str, /, **params: object) -> Issue:
    return Issue(name, Severity.SOFT, at, person, message, params)


def _blank(value: Any) -> bool:
    """Nothing written: None, or text of spaces only (the web form strips its text; a record
    from elsewhere may not)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _month(value: Any) -> tuple[int, int] | None:
    """(year, month) of a 'YYYY-MM' answer, or None when it is not one."""
    try:
        year, month = (int(part) for part in str(value).split("-")[:2])
    except ValueError:
        return None
    return (year, month) if 1890 <= year <= 2020 and 1 <= month <= 12 else None


def _born_by(person: Record, cutoff: date) -> bool | None:
    """Born on or before the cutoff month (the form asks year and month only)."""
    month = _month(person.get("D5"))
    if month is None:
        return None
    return month <= (cutoff.year, cutoff.month)


def _persons(record: Record) -> list[Record]:
    return list(record.get("persons") or [])


def _skips_housing(record: Record) -> bool:
    return record.get("H5") in (2, 3, 4, 5)


ALL_DIED_ITEMS = ("H4m", "H4f")  # all a whole-household death's form holds


def all_died(record: Record) -> bool:
    """A whole-household death's form (户编号 999): marked so (`"all_died"`); only H4."""
    return bool(record.get("all_died"))


def as_filed(record: Record) -> Record:
    """The record as its form holds it: a whole-household death's H4 alone (what else was
    typed before the unit became a 999 is kept in the stored record, for when it is a
    household again, but is not on this form); any other record as it is."""
    if not all_died(record):
        return record
    filed: dict[str, Any] = {"all_died": True, "persons": [],
                             **{item: record.get(item) for item in ALL_DIED_ITEMS}}
    if "deaths" in record:
        filed["deaths"] = record["deaths"]
    return filed


def real_persons(record: Record) -> list[Record]:
    """The persons of a record with something written in them (a page's blank row is
    none)."""
    return [person for person in _persons(record)
            if any(not _blank(value) for key, value in person.items() if key != "remove")]


@rule("required")
def required(record: Record) -> Iterator[Issue]:
    """Every item the household or person must answer is answered."""
    if all_died(record):
        for code in ("H4m", "H4f"):
            if _blank(record.get(code)):
                yield _hard("required", code, None, N_("%(item)s is required."), item=code)
        if record.get("H4m") == 0 and record.get("H4f") == 0:
            yield _hard("required", "H4m", None, N_("A whole-household death (999) records "
                                                    "at least one death in H4."))
        return
    needed = ["H1", "H2a", "H2b", "H3m", "H3f", "H4m", "H4f", "H5"]
    if not _skips_housing(record):
        needed += ["H6", "H7"]
    for code in needed:
        if _blank(record.get(code)):
            yield _hard("required", code, None, N_("%(item)s is required."), item=code)
    for index, person in enumerate(_persons(record)):
        for code in ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"):
            if _blank(person.get(code)):
                yield _hard("required", code, index, N_("%(item)s is required."), item=code)
        if person.get("D8") != Hukou.PENDING and _blank(person.get("D9")):
            yield _hard("required", "D9", index, N_("%(item)s is required."), item="D9")
        if (person.get("D8") != Hukou.PENDING and person.get("D9") not in (None, "",
                                                                            TimeAway.NOT_AWAY)
                and _blank(person.get("D10"))):
            yield _hard("required", "D10", index, N_("%(item)s is required."), item="D10")
        if _born_by(person, AGE_3_CUTOFF) and _blank(person.get("D11")):
            yield _hard("required", "D11", index, N_("%(item)s is required."), item="D11")
        if _born_by(person, AGE_15_CUTOFF) and _blank(person.get("D12")):
            yield _hard("required", "D12", index, N_("%(item)s is required."), item="D12")
        for code, place in PLACES.items():
            if person.get(code) == WRITE_PLACE[code] and _blank(person.get(place)):
                yield _hard("required", place, index, N_("%(item)s is required."), item=place)


@rule("code_range")
def code_range(record: Record) -> Iterator[Issue]:
    """Coded answers are codes of their list; counts are whole numbers in a sane range."""
    for code in ("H1", "H5"):
        value = record.get(code)
        if not _blank(value) and (not isinstance(value, int) or value not in LABELS[code]):
            yield _hard("code_range", code, None, N_("%(value)s is not a code of %(item)s."),
                        value=value, item=code)
    for code, high in (("H2a", 999), ("H2b", 999), ("H3m", 20), ("H3f", 20), ("H4m", 20),
                       ("H4f", 20), ("H6", 5000), ("H7", 100)):
        value = record.get(code)
        if not _blank(value) and (not isinstance(value, int) or not 0 <= value <= high):
            yield _hard("code_range", code, None, N_("%(item)s must be a whole number from 0 "
                                                     "to %(high)s."), item=code, high=high)
    for index, person in enumerate(_persons(record)):
        for code in ("D2", "D4", "D7", "D8", "D9", "D10", "D11", "D12"):
            value = person.get(code)
            if not _blank(value) and (not isinstance(value, int) or value not in LABELS[code]):
                yield _hard("code_range", code, index, N_("%(value)s is not a code of "
                                                          "%(item)s."), value=value, item=code)
        if not _blank(person.get("D5")) and _month(person.get("D5")) is None:
            yield _hard("code_range", "D5", index, N_("Write the year and month of birth as "
                                                      "YYYY-MM."))


@rule("id_number")
def id_number(record: Record) -> Iterator[Issue]:
    """D3 is a valid ID number (GB 11643) that agrees with D4 and D5; 18 zeros when none."""
    for index, person in enumerate(_persons(record)):
        number = str(person.get("D3") or "")
        if not number:
            continue
        if number == NO_ID:
            yield _soft("id_number", "D3", index, N_("No ID number recorded: confirm the "
                                                     "person has none."))
            continue
        parsed = idnumber.parse(number)
        if parsed is None:
            yield _hard("id_number", "D3", index, N_("The ID number is not valid: check the "
                                                     "18 characters and the check digit."))
            continue
        if person.get("D4") in (1, 2) and parsed.sex != person.get("D4"):
            yield _hard("id_number", "D4", index, N_("The sex does not match the ID number."))
        month = _month(person.get("D5"))
        if month is not None and month != (parsed.birth.year, parsed.birth.month):
            yield _hard("id_number", "D5", index, N_("The month of birth does not match the "
                                                     "ID number."))


@rule("eligibility")
def eligibility(record: Record) -> Iterator[Issue]:
    """D11 only from 3 years (born by 2017-10), D12 only from 15 (born by 2005-10)."""
    for index, person in enumerate(_persons(record)):
        if _born_by(person, AGE_3_CUTOFF) is False and not _blank(person.get("D11")):
            yield _hard("eligibility", "D11", index, N_("Education is asked only of persons "
                                                        "aged 3 and over."))
        if _born_by(person, AGE_15_CUTOFF) is False and not _blank(person.get("D12")):
            yield _hard("eligibility", "D12", index, N_("Literacy is asked only of persons "
                                                        "aged 15 and over."))
        month = _month(person.get("D5"))
        if month is not None and month > (LAST_DAY.year, LAST_DAY.month):
            yield _hard("eligibility", "D5", index, N_("Born after the standard time: not "
                                                       "counted."))


@rule("skips")
def skips(record: Record) -> Iterator[Issue]:
    """H5 = 2-5 skips H6-H7; D8 = 5 skips D9-D10; D9 = 1 skips D10; the place of D7 and
    D8 is written only for D7 = 5 and D8 = 4."""
    if _skips_housing(record):
        for code in ("H6", "H7"):
            if not _blank(record.get(code)):
                yield _hard("skips", code, None, N_("%(item)s is skipped for this type of "
                                                    "dwelling."), item=code)
    for index, person in enumerate(_persons(record)):
        if person.get("D8") == Hukou.PENDING:
            for code in ("D9", "D10"):
                if not _blank(person.get(code)):
                    yield _hard("skips", code, index, N_("%(item)s is skipped when the hukou "
                                                         "is pending."), item=code)
        elif person.get("D9") == TimeAway.NOT_AWAY and not _blank(person.get("D10")):
            yield _hard("skips", "D10", index, N_("D10 is skipped for someone who never left "
                                                  "the hukou place."))
        for code, place in PLACES.items():
            if (not _blank(person.get(code)) and person.get(code) != WRITE_PLACE[code]
                    and not _blank(person.get(place))):
                yield _hard("skips", place, index, N_("The province, city and county are "
                                                      "written only when %(item)s is "
                                                      "%(code)s."),
                            item=code, code=WRITE_PLACE[code])


@rule("head_first")
def head_first(record: Record) -> Iterator[Issue]:
    """The head is the first person; one head; collective members are coded 9."""
    persons = _persons(record)
    if not persons:
        if not all_died(record):
            yield _hard("head_first", "D2", None, N_("A household needs at least one "
                                                     "person."))
        return
    relations = [p.get("D2") for p in persons]
    if relations[0] != 0:
        yield _hard("head_first", "D2", 0, N_("The first person must be the head (D2 = 0)."))
    if relations.count(0) > 1:
        yield _hard("head_first", "D2", relations.index(0, 1), N_("A household has one head."))
    if relations[0] == 0 and 1 in relations[2:]:  # the head, then the spouse, then the others
        yield _soft("head_first", "D2", relations.index(1), N_("List the spouse right after "
                                                               "the head."))
    if record.get("H1") == HouseholdType.COLLECTIVE:
        for index, relation in enumerate(relations[1:], start=1):
            if relation not in (None, 9):
                yield _hard("head_first", "D2", index, N_("In a collective household every "
                                                          "member but the head is coded 9."))


@rule("residence")
def residence(record: Record) -> Iterator[Issue]:
    """Someone living elsewhere in China (D7 = 2-5) is on the form only as a member of the
    household's hukou away on the night (H2b), so the hukou is in this village: D8 = 1."""
    for index, person in enumerate(_persons(record)):
        if person.get("D7") in (2, 3, 4, 5) and person.get("D8") in (2, 3, 4, 5):
            yield _hard("residence", "D8", index, N_(
                "Someone who lives elsewhere in China (D7 = 2-5) is registered here only as a "
                "hukou member away (H2b), so the hukou is here: D8 = 1. Someone who neither "
                "lives here nor has the hukou here is on no form of this household."))


H4_AGAINST_DEATHS = N_("%(item)s is %(value)s but %(count)s deaths are on the death form.")


@rule("totals")
def totals(record: Record) -> Iterator[Issue]:
    """H2a + H2b equal the person records; H3 and H4 equal the births and deaths recorded."""
    persons = _persons(record)
    h2a, h2b = record.get("H2a"), record.get("H2b")
    if isinstance(h2a, int) and isinstance(h2b, int) and h2a + h2b != len(persons):
        yield _hard("totals", "H2a", None, N_("H2a + H2b (%(total)s) must equal the number of "
                                              "person records (%(persons)s)."),
                    total=h2a + h2b, persons=len(persons))
    away = sum(1 for p in persons if p.get("D7") not in (None, "", 1))
    if isinstance(h2b, int) and away != h2b:
        yield _soft("totals", "H2b", None, N_("%(away)s persons do not live in this area "
                                              "(D7), but H2b is %(h2b)s."), away=away, h2b=h2b)
    deaths = list(record.get("deaths") or [])
    for sex, key in ((1, "H3m"), (2, "H3f")):
        born = sum(1 for p in persons if p.get("D4") == sex and _in_year(p.get("D5")))
        born += sum(1 for d in deaths if d.get("sex") == sex and _in_year(d.get("birth")))
        if isinstance(record.get(key), int) and record[key] != born:
            # the births of the year are the persons born since 2019-11 and the household's
            # deaths born then (a baby who died soon after birth is on the death form alone)
            yield _hard("totals", key, None, N_(
                "%(item)s is %(value)s, but the persons on this form and the household's rows "
                "on the death form hold %(count)s born since November 2019."),
                item=key, value=record[key], count=born)
    if all_died(record) and record.get("deaths") is None:
        return  # a 999 household's deaths not told apart from another's: not checked here
    for sex, key in ((1, "H4m"), (2, "H4f")):
        died = sum(1 for d in deaths if d.get("sex") == sex)
        if isinstance(record.get(key), int) and record[key] != died:
            yield _hard("totals", key, None, H4_AGAINST_DEATHS,
                        item=key, value=record[key], count=died)


def _in_year(value: Any) -> bool:
    month = _month(value)
    return month is not None and (YEAR_START.year, YEAR_START.month) <= month <= (
        LAST_DAY.year, LAST_DAY.month)


def unknown_ethnicity(value: Any) -> tuple[str, dict[str, object]] | None:
    """None for a blank or the full name of an ethnic group (D6, the death form); else the
    message and its parameters, naming the full name where only 族 is missing ("汉")."""
    name = value.strip() if isinstance(value, str) else value
    if name in (None, "") or name in ETHNIC_GROUPS:
        return None
    if f"{name}族" in ETHNIC_GROUPS:
        return N_("Write the full name of the ethnic group: %(name)s."), {"name": f"{name}族"}
    return N_("%(value)s is not the name of an ethnic group: write its full name, such as "
              "汉族."), {"value": name}


@rule("plausibility")
def plausibility(record: Record) -> Iterator[Issue]:
    """Soft checks: ages within a family, the full name of the ethnic group, the time away
    against residence and hukou, a long stay abroad (settled there: not registered)."""
    persons = _persons(record)
    head = _month(persons[0].get("D5")) if persons else None
    for index, person in enumerate(persons):
        month = _month(person.get("D5"))
        if head and month and person.get("D2") == 2 and month[0] - head[0] < 15:
            yield _soft("plausibility", "D5", index, N_("A child less than 15 years younger "
                                                        "than the head: check D2 and D5."))
        if head and month and person.get("D2") == 3 and head[0] - month[0] < 15:
            yield _soft("plausibility", "D5", index, N_("A parent less than 15 years older "
                                                        "than the head: check D2 and D5."))
        if (unknown := unknown_ethnicity(person.get("D6"))) is not None:
            yield _soft("plausibility", "D6", index, unknown[0], **unknown[1])
        hukou, lives, away = person.get("D8"), person.get("D7"), person.get("D9")
        if hukou in (3, 4) and away == TimeAway.NOT_AWAY:
            yield _soft("plausibility", "D9", index, N_("The hukou is in another township but "
                                                        "D9 says the person never left it."))
        elif (hukou == 2 or (hukou == 1 and lives in (3, 4, 5, 6, 7))) and (
                away == TimeAway.NOT_AWAY):
            yield _soft("plausibility", "D9", index, N_(
                "The person lives outside the village (村/居委会) of the hukou (D7, D8), but D9 "
                "says they never left it."))
        elif hukou == 1 and lives in (1, 2) and away in range(2, 10):
            yield _soft("plausibility", "D9", index, N_(
                "The person lives in the village (村/居委会) of the hukou (D7, D8), but D9 says "
                "they left it."))
        if lives == 7 and away == TimeAway.TEN_YEARS_OR_MORE:
            # Chinese citizens abroad are registered only while they have not settled there
            yield _soft("plausibility", "D7", index, N_(
                "Abroad for ten years or more (D7 = 7, D9 = 9): confirm the person has not "
                "settled abroad; someone settled abroad is not registered."))
    area = record.get("H6")
    if isinstance(area, int) and persons and area > 300 * len(persons):
        yield _soft("plausibility", "H6", None, N_("A very large floor area: confirm it."))


def validate(record: Record) -> list[Issue]:
    """Every issue of a filled R601 household record (`as_filed`), hard errors first."""
    record = as_filed(record)
    issues = [issue for fn in RULES.values() for issue in fn(record)]
    return sorted(issues, key=lambda i: (i.severity != Severity.HARD,
                                         -1 if i.person is None else i.person, i.item))


def hard_errors(record: Record) -> list[Issue]:
    """The issues that block submission."""
    return [issue for issue in validate(record) if issue.severity == Severity.HARD]


def person_record(person: Person) -> dict[str, Any]:
    """A person's true answers as the form records them."""
    return {
        "D1": person.name, "D2": int(person.relation), "D3": person.id_number,
        "D4": int(person.sex), "D5": f"{person.birth.year}-{person.birth.month:02d}",
        "D6": person.ethnicity, "D7": int(person.residence), "D8": int(person.hukou),
        "D9": None if person.time_away is None else int(person.time_away),
        "D10": None if person.reason_away is None else int(person.reason_away),
        "D11": None if person.education is None else int(person.education),
        "D12": None if person.literate is None else int(person.literate),
        "D7_place": person.residence_place if person.residence == WRITE_PLACE["D7"] else None,
        "D8_place": person.hukou_place if person.hukou == WRITE_PLACE["D8"] else None,
    }


def record_of(household: Household) -> dict[str, Any]:
    """A household's truth written as a filled R601 record (with its death-form rows, and
    the long form's housing items H8-H18 when it is sampled: see `long_form`)."""
    if household.all_died:  # 户编号 999: only H4 and the death-form rows
        return {"all_died": True,
                "H1": None, "H2a": None, "H2b": None, "H3m": None, "H3f": None,
                "H4m": household.deaths_of(Sex.MALE), "H4f": household.deaths_of(Sex.FEMALE),
                "H5": None, "H6": None, "H7": None, "persons": [],
                "deaths": [_death_row(d) for d in household.deaths]}
    ordinary = household.dwelling == DwellingType.ORDINARY
    return {
        "H1": int(household.kind), "H2a": household.h2a, "H2b": household.h2b,
        "H3m": household.births(Sex.MALE), "H3f": household.births(Sex.FEMALE),
        "H4m": household.deaths_of(Sex.MALE), "H4f": household.deaths_of(Sex.FEMALE),
        "H5": int(household.dwelling),
        "H6": household.floor_area if ordinary else None,
        "H7": household.rooms if ordinary else None,
        "persons": [person_record(p) for p in household.persons],
        "deaths": [_death_row(d) for d in household.deaths],
        **((household.long_form_items or {}) if household.long_form else {}),  # H8-H18
    }


def _death_row(death: Death) -> dict[str, Any]:
    return {"sex": int(death.sex), "birth": f"{death.birth.year}-{death.birth.month:02d}",
            "died": f"{death.died.year}-{death.died.month:02d}"}



def flattened(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """A record as `path -> value`: household items by name, persons as persons[n]/ITEM,
    death-form rows as deaths[n]/field, n from 0 as in the grading's findings (`where`) and
    the review's comment anchors."""
    flat: dict[str, Any] = {}
    for key, value in (record or {}).items():
        if isinstance(value, list):
            for index, row in enumerate(value):
                for item, answer in (row.items() if isinstance(row, Mapping) else ()):
                    flat[f"{key}[{index}]/{item}"] = answer
        else:
            flat[key] = value
    return flat


def differences(given: Mapping[str, Any] | None,
                truth: Mapping[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """(path, given, true) for every item where a filled form and the truth differ, in the
    form's order (household items, then persons, then deaths)."""
    given = as_filed(given) if given is not None else None
    mine, true = flattened(given), flattened(truth)
    paths = [path for path in dict.fromkeys([*true, *mine]) if path != "all_died"  # a mark
             and not (path.startswith("deaths[") and given is not None
                      and "deaths" not in given)]  # deaths not told apart: none to compare
    return [(path, mine.get(path), true.get(path)) for path in paths
            if _normal(mine.get(path)) != _normal(true.get(path))]


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value
