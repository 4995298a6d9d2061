"""The form for Hong Kong, Macao and Taiwan residents and foreigners (港澳台居民和外籍人员普查表).

Domain file §1.1 and §1.7: residents of Hong Kong, Macao or Taiwan and foreigners who lived in
the enumeration area on the night of 2020-10-31 are registered on their own form, by an
enumerator (they cannot self-report, §4.4). The household items are those of the bilingual
pilot form R713 (F1 户别, F2 住所类型, F3 建筑面积, F4 间数; F3-F4 skipped unless an ordinary
dwelling, as on R601). The person items are the basic ones (name, relation coded to the head
as R601 D2, sex, birth month) and the four the census guide names: 身份或国籍 (with the country
of a foreigner), 入境目的, 居住时间 (the categories of Bulletin No. 8) and 就业情况. The
document type and number are left out: no source confirms their codes, and a foreigner's
number has no check digit to validate. A filled form is a plain record:

    {"F1": 1, "F2": 1, "F3": 90, "F4": 2, "persons": [{"R1": "金敏俊", "R2": 0, "R3": 1,
     "R4": "1988-04", "R5": 4, "R6": "韩国", "R7": 2, "R8": 5, "R9": 1}, ...]}

`validate(record)` returns r601 `Issue`s: hard errors block completion, soft warnings ask for
a confirmation. Short-term visitors (business trips, tourism) are not counted (§1.7), but a
stay of under three months is a category of the bulletin, so a short business or other stay is
a warning to confirm, not an error. `record_of(household)` writes a generated household's
truth as such a record; the truth has no hard error (a property test checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from trainer.core.census.r601 import Issue, Record, Severity, _month
from trainer.core.i18n import N_
from trainer.core.world.codes import AGE_15_CUTOFF, LABELS, DwellingType, Form, Relation
from trainer.core.world.people import HMT_DURATIONS, HMT_PURPOSES, Household, Person

HOUSEHOLD_ITEMS = ("F1", "F2", "F3", "F4")
PERSON_ITEMS = ("R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9")
FOREIGNER = 4  # R5: a foreigner, whose country is R6
AREAS = {"香港": 1, "澳门": 2, "台湾": 3}  # R5 of a nationality the generator writes
SHORT_STAY = 1  # R8 不满3个月
EMPLOYED_PURPOSES = ("商务", "就业")
LAST_MONTH = (2020, 10)

# Item names as printed on the bilingual form.
ITEMS: dict[str, tuple[str, str]] = {
    "F1": ("户别", "Type of household"), "F2": ("住所类型", "Type of dwelling"),
    "F3": ("本户现住房建筑面积（平方米）", "Floor area (m²)"),
    "F4": ("本户现住房间数", "Rooms"),
    "R1": ("姓名", "Name"), "R2": ("与户主关系", "Relation to the head"),
    "R3": ("性别", "Sex"), "R4": ("出生年月", "Born (YYYY-MM)"),
    "R5": ("身份或国籍", "Status or nationality"), "R6": ("国籍（外籍人员）",
                                                      "Country (foreigners)"),
    "R7": ("入境目的", "Purpose of stay"), "R8": ("居住时间", "Length of stay"),
    "R9": ("就业情况（15周岁及以上）", "Employment (aged 15 and over)"),
}

# Code lists, Chinese as printed and English of the bilingual form.
CODES: dict[str, dict[int, tuple[str, str]]] = {
    "F1": LABELS["H1"], "F2": LABELS["H5"], "R2": LABELS["D2"], "R3": LABELS["D4"],
    "R5": {1: ("香港居民", "Hong Kong resident"), 2: ("澳门居民", "Macao resident"),
           3: ("台湾居民", "Taiwan resident"), 4: ("外籍人员", "Foreigner")},
    "R7": dict(enumerate(zip(HMT_PURPOSES, ("Business", "Employment", "Study", "Settling",
                                            "Visiting family", "Other"), strict=True),
                         start=1)),
    "R8": dict(enumerate(zip(HMT_DURATIONS, ("Under 3 months", "3-6 months", "6-12 months",
                                             "1-2 years", "2-5 years", "5 years or more"),
                             strict=True), start=1)),
    "R9": {1: ("就业", "Employed"), 2: ("未就业", "Not employed")},
}

RuleFn = Callable[[Record], Iterator[Issue]]
RULES: dict[str, RuleFn] = {}


def rule(name: str) -> Callable[[RuleFn], RuleFn]:
    """Register a validation rule of the form under `name`."""
    def register(fn: RuleFn) -> RuleFn:
        RULES[name] = fn
        return fn
    return register


def _hard(name: str, at: str, person: int | None, message: str, /, **params: object) -> Issue:
    return Issue(name, Severity.HARD, at, person, message, params)


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _persons(record: Record) -> list[Record]:
    return list(record.get("persons") or [])


def _ordinary(record: Record) -> bool:
    return record.get("F2") == DwellingType.ORDINARY


def asks_employment(person: Record) -> bool | None:
    """R9 is asked of persons aged 15 and over (born by 2005-10); None: R4 not readable."""
    month = _month(person.get("R4"))
    return None if month is None else month <= (AGE_15_CUTOFF.year, AGE_15_CUTOFF.month)


@rule("required")
def required(record: Record) -> Iterator[Issue]:
    """Every item the household or person must answer is answered."""
    for item in ("F1", "F2", *(("F3", "F4") if _ordinary(record) else ())):
        if _blank(record.get(item)):
            yield _hard("required", item, None, N_("%(item)s is required."), item=item)
    for index, person in enumerate(_persons(record)):
        needed = ["R1", "R2", "R3", "R4", "R5", "R7", "R8"]
        if person.get("R5") == FOREIGNER:
            needed.append("R6")
        if asks_employment(person):
            needed.append("R9")
        for item in needed:
            if _blank(person.get(item)):
                yield _hard("required", item, index, N_("%(item)s is required."), item=item)


@rule("code_range")
def code_range(record: Record) -> Iterator[Issue]:
    """Coded answers are codes of their list; area and rooms whole numbers in a sane range."""
    for item in ("F1", "F2"):
        value = record.get(item)
        if not _blank(value) and (not isinstance(value, int) or value not in CODES[item]):
            yield _hard("code_range", item, None, N_("%(value)s is not a code of %(item)s."),
                        value=value, item=item)
    for item, high in (("F3", 5000), ("F4", 100)):
        value = record.get(item)
        if not _blank(value) and (not isinstance(value, int) or not 0 <= value <= high):
            yield _hard("code_range", item, None, N_("%(item)s must be a whole number from 0 "
                                                     "to %(high)s."), item=item, high=high)
    for index, person in enumerate(_persons(record)):
        for item in ("R2", "R3", "R5", "R7", "R8", "R9"):
            value = person.get(item)
            if not _blank(value) and (not isinstance(value, int) or value not in CODES[item]):
                yield _hard("code_range", item, index, N_("%(value)s is not a code of "
                                                          "%(item)s."), value=value, item=item)
        if not _blank(person.get("R4")) and _month(person.get("R4")) is None:
            yield _hard("code_range", "R4", index, N_("Write the year and month of birth as "
                                                      "YYYY-MM."))


@rule("eligibility")
def eligibility(record: Record) -> Iterator[Issue]:
    """Nobody born after the standard time; employment only from 15 years."""
    for index, person in enumerate(_persons(record)):
        month = _month(person.get("R4"))
        if month is not None and month > LAST_MONTH:
            yield _hard("eligibility", "R4", index, N_("Born after the standard time: not "
                                                       "counted."))
        if asks_employment(person) is False and not _blank(person.get("R9")):
            yield _hard("eligibility", "R9", index, N_("Employment is asked only of persons "
                                                       "aged 15 and over."))


@rule("skips")
def skips(record: Record) -> Iterator[Issue]:
    """F2 = 2-5 skips F3-F4; the country (R6) is written only for a foreigner (R5 = 4)."""
    if not _blank(record.get("F2")) and not _ordinary(record):
        for item in ("F3", "F4"):
            if not _blank(record.get(item)):
                yield _hard("skips", item, None, N_("%(item)s is skipped for this type of "
                                                    "dwelling."), item=item)
    for index, person in enumerate(_persons(record)):
        if person.get("R5") in (1, 2, 3) and not _blank(person.get("R6")):
            yield _hard("skips", "R6", index, N_("The country is written only for a "
                                                 "foreigner (R5 = 4)."))


@rule("head_first")
def head_first(record: Record) -> Iterator[Issue]:
    """At least one person; the head first; one head."""
    relations = [person.get("R2") for person in _persons(record)]
    if not relations:
        yield _hard("head_first", "R2", None, N_("A household needs at least one person."))
        return
    if relations[0] != Relation.HEAD:
        yield _hard("head_first", "R2", 0, N_("The first person must be the head (R2 = 0)."))
    if relations.count(0) > 1:
        yield _hard("head_first", "R2", relations.index(0, 1), N_("A household has one "
                                                                   "head."))


@rule("short_stay")
def short_stay(record: Record) -> Iterator[Issue]:
    """Soft: a stay of under three months on business or for another purpose (a tourist)
    may be a short visit, which is not counted (§1.7); the trainee confirms it is not."""
    for index, person in enumerate(_persons(record)):
        if person.get("R8") == SHORT_STAY and person.get("R7") in (1, 6):
            yield Issue("short_stay", Severity.SOFT, "R8", index, N_(
                "Business trips and tourists staying a short time are not counted: confirm "
                "that %(name)s lives here."), {"name": person.get("R1") or ""})


def validate(record: Record) -> list[Issue]:
    """Every issue of a filled HMT/foreign household record, hard errors first."""
    issues = [issue for fn in RULES.values() for issue in fn(record)]
    return sorted(issues, key=lambda i: (i.severity != Severity.HARD,
                                         -1 if i.person is None else i.person, i.item))


def hard_errors(record: Record) -> list[Issue]:
    """The issues that block completion."""
    return [issue for issue in validate(record) if issue.severity == Severity.HARD]


def _code(options: tuple[str, ...], value: str | None) -> int | None:
    return options.index(value) + 1 if value in options else None


def employment_of(person: Person) -> int | None:
    """R9's true answer: asked from 15 years; employed when the person came on business or
    to work and is not a child of the head (the world draws no occupation for them)."""
    if person.birth > AGE_15_CUTOFF:
        return None
    working = (person.entry_purpose in EMPLOYED_PURPOSES
               and person.relation != Relation.CHILD)
    return 1 if working else 2


def person_record(person: Person) -> dict[str, Any]:
    """A person's true answers as the form records them."""
    nationality = person.nationality or ""
    status = AREAS.get(nationality, FOREIGNER)
    return {
        "R1": person.name, "R2": int(person.relation), "R3": int(person.sex),
        "R4": f"{person.birth.year}-{person.birth.month:02d}", "R5": status,
        "R6": (nationality or None) if status == FOREIGNER else None,
        "R7": _code(HMT_PURPOSES, person.entry_purpose),
        "R8": _code(HMT_DURATIONS, person.stay_duration), "R9": employment_of(person),
    }


def persons_of(household: Household) -> list[Person]:
    """The persons a household's HMT/foreign form registers: those on that form who lived
    here on the night of 2020-10-31."""
    return [p for p in household.persons if p.form == Form.HMT_FOREIGN and p.present]


def record_of(household: Household) -> dict[str, Any]:
    """A household's truth written as a filled HMT/foreign form."""
    ordinary = household.dwelling == DwellingType.ORDINARY
    return {"F1": int(household.kind), "F2": int(household.dwelling),
            "F3": household.floor_area if ordinary else None,
            "F4": household.rooms if ordinary else None,
            "persons": [person_record(p) for p in persons_of(household)]}


def label(item: str, value: Any, english: bool) -> str:
    """'code label' of a coded answer (or the answer itself), '—' when blank."""
    names = CODES.get(item, {})
    if isinstance(value, int) and value in names:
        return f"{value} {names[value][1 if english else 0]}"
    return "—" if _blank(value) else str(value)
