"""The 复查 (recheck) of a trainee's own work: every inconsistency among their forms, their
register, their quick tally and their death form, found without the truth.

The enumerator checks their own papers against each other before handing them in (domain file
§2.1, §27: data are reviewed and re-checked): each R601 passes its own checks, every household
interviewed has a finished form, the 户主姓名底册 agrees with the forms (head, H2a, H2b) and is
numbered from 1 without gaps or repeats, the 快速汇总 adds up the forms, and each household's H4
has its rows on the death form. Nothing here reads the truth, so the page may show all of it.

Each finding names where to fix it (`where`, the paths `finding_url` understands: `unit`,
`unit/H2a`, `unit/persons[0]/D4`, `register/unit/column`, `tally/present`) or None.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trainer.core.census import deaths as death_rules
from trainer.core.census import r601, tally
from trainer.core.census import register as register_rules
from trainer.core.census.r601 import Issue, Severity
from trainer.core.i18n import N_
from trainer.core.world.codes import ALL_DIED_HOUSEHOLD_NUMBER

GROUPS = ("forms", "register", "tally", "deaths")
CROSS_CHECKED = {"head": None, "present": "H2a", "away": "H2b"}  # register column -> item
H4_ITEMS = ("H4m", "H4f")
INTERVIEWED = ("completed", "proxy", "partial")  # visit outcomes after which a form is owed
_CROSS_TEXT = {
    "head": N_("The register's head of household is %(given)s; the form's head (D1) is "
               "%(want)s."),
    "present": N_("The register has %(given)s persons living here; the form's H2a is "
                  "%(want)s."),
    "away": N_("The register has %(given)s hukou members away; the form's H2b is %(want)s."),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One inconsistency: its group, where to fix it, a message id with its parameters, and
    what it is about (a household, an item or column, a person by index from 0)."""

    group: str
    where: str | None
    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    severity: Severity = Severity.HARD
    unit: str | None = None
    item: str | None = None
    person: int | None = None
    begin: bool = False  # a paper not begun yet: its link says "fill it in", not "correct it"


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def head_of(record: Mapping[str, Any]) -> Any:
    """The name (D1) of the form's head (the person with D2 = 0), or None."""
    return next((p.get("D1") for p in record.get("persons") or [] if p.get("D2") == 0), None)


def disagreements(row: Mapping[str, Any], record: Mapping[str, Any]
                  ) -> list[tuple[str, Any, Any]]:
    """(column, register value, form value) for each of the register's head, persons living
    here and members away that differs from the household's own form (D1 of the head, H2a,
    H2b); the same comparison the `consistency` criterion makes."""
    out = []
    for column, item in CROSS_CHECKED.items():
        want = head_of(record) if item is None else record.get(item)
        if _norm(row.get(column)) != _norm(want):
            out.append((column, row.get(column), want))
    return out


def recheck(*, units: Sequence[str], outcomes: Mapping[str, str],
            forms: Mapping[str, Mapping[str, Any]], register: Mapping[str, Mapping[str, Any]],
            tally_sheet: Mapping[str, Any] | None,
            death_form: Mapping[str, Any] | None = None,
            foreign: Collection[str] = (), opens: Collection[str] = ()) -> list[Finding]:
    """Every inconsistency of an attempt's own work, group by group.

    `units`: the households that fill R601, in the visiting order; `outcomes`: each unit's
    visit result so far; `forms`: unit -> {"record", "complete", "confirmed"}; `register`:
    unit -> row; `tally_sheet` and `death_form` as saved (None: not started); `foreign`: the
    units whose household fills the HMT/foreign form instead (for the register's checks);
    `opens`: the units whose R601 opens now (a finding elsewhere points at the forms card).
    """
    records = {unit: forms[unit]["record"] for unit in units
               if unit in forms and forms[unit].get("record") is not None}
    deaths = list(_deaths(records, register, death_form))
    # H4 against the death form is the deaths group's: a household it reports is not
    # reported again by the form's own totals check (one mismatch, one finding)
    told = {finding.unit for finding in deaths}
    return [*(finding for finding in _forms(units, outcomes, forms, register)
              if not (finding.unit in told and finding.item in H4_ITEMS
                      and finding.message == r601.H4_AGAINST_DEATHS)),
            *_not_begun(units, outcomes, forms, register, foreign, opens),
            *_register(units, records, register, foreign),
            *_tally(units, records, register, tally_sheet),
            *deaths]


def _at(unit: str, issue: Issue) -> str:
    if issue.person is None:
        return f"{unit}/{issue.item}"
    return f"{unit}/persons[{issue.person}]/{issue.item}"


def _forms(units: Sequence[str], outcomes: Mapping[str, str],
           forms: Mapping[str, Mapping[str, Any]], register: Mapping[str, Mapping[str, Any]]
           ) -> Iterator[Finding]:
    for unit in units:
        entry = forms.get(unit)
        if entry is None:
            if (outcomes.get(unit) in INTERVIEWED
                    and (register.get(unit) or {}).get("status") != "all_died"):  # _not_begun's
                yield Finding("forms", unit, N_("The household was interviewed but its form "
                                                "has not been started."), unit=unit, begin=True)
            continue
        if not entry.get("complete"):
            yield Finding("forms", unit, N_("The form is still a draft: mark it complete once "
                                            "it passes the checks."), unit=unit)
        for issue in r601.validate(entry.get("record") or {}):
            if issue.severity == Severity.SOFT and entry.get("confirmed"):
                continue  # a warning the trainee has checked and confirmed
            yield Finding("forms", _at(unit, issue), issue.message, issue.params,
                          issue.severity, unit, issue.item, issue.person)


def _not_begun(units: Sequence[str], outcomes: Mapping[str, str],
               forms: Mapping[str, Mapping[str, Any]], register: Mapping[str, Mapping[str, Any]],
               foreign: Collection[str], opens: Collection[str]) -> Iterator[Finding]:
    """An occupied household of the register with no form begun (not one reporting itself,
    whose form comes in by itself), and a whole-household death (999) without its form (H4
    only); those `_forms` finds interviewed are left to it. Read from the register, not from
    `units`, so no finding tells what really lives there."""
    for unit, row in register.items():
        if row.get("status") == "all_died" and unit not in forms:
            yield Finding("forms", unit if unit in opens else "forms", N_(
                "The register lists a whole-household death (999) but its form (H4 only) has "
                "not been started."), unit=unit, begin=True)
            continue
        if (row.get("status") != "occupied" or row.get("mode") == "self"
                or row.get("number") == ALL_DIED_HOUSEHOLD_NUMBER
                or unit in forms or unit in foreign
                or (unit in units and outcomes.get(unit) in INTERVIEWED)):
            continue
        present = row.get("present")
        yield Finding("forms", unit if unit in opens else "forms", N_(
            "The register lists this household (%(count)s persons living here) but its form "
            "has not been started."), {"count": "—" if present in (None, "") else present},
            unit=unit, begin=True)


def _register(units: Sequence[str], records: Mapping[str, Mapping[str, Any]],
              register: Mapping[str, Mapping[str, Any]], foreign: Collection[str]
              ) -> Iterator[Finding]:
    order = list(register)
    for issue in register_rules.validate(register, foreign):
        unit = order[issue.person] if issue.person is not None else None
        yield Finding("register", f"register/{unit}/{issue.item}" if unit else None,
                      issue.message, issue.params, issue.severity, unit, issue.item)
    yield from _skipped(register)
    for unit in units:
        record, row = records.get(unit), register.get(unit)
        if record is None or not record.get("persons"):
            continue
        if row is None:
            yield Finding("register", f"register/{unit}", N_(
                "The household has a form but no row in the register."), unit=unit)
        elif row.get("status") in ("vacant", "all_died"):
            yield Finding("register", f"register/{unit}/status", N_(
                "The register has the unit as vacant or a whole-household death, but its form "
                "lists persons."), unit=unit, item="status")
        else:
            for column, given, want in disagreements(row, record):
                yield Finding("register", f"register/{unit}/{column}", _CROSS_TEXT[column],
                              {"given": "—" if given in (None, "") else given,
                               "want": "—" if want in (None, "") else want},
                              unit=unit, item=column)


def _skipped(register: Mapping[str, Mapping[str, Any]]) -> Iterator[Finding]:
    """Household numbers missing from 1 up to the highest used (repeats: register.validate)."""
    numbers = {row["number"]: unit for unit, row in register.items()
               if row.get("status") == "occupied" and isinstance(row.get("number"), int)
               and 1 <= row["number"] < ALL_DIED_HOUSEHOLD_NUMBER}
    for number in range(1, max(numbers, default=0)):
        if number not in numbers:
            after = numbers[min(n for n in numbers if n > number)]
            yield Finding("register", f"register/{after}/number", N_(
                "Household number %(number)s is skipped: numbers run from 1 without gaps."),
                {"number": number}, unit=after, item="number")


def _tally(units: Sequence[str], records: Mapping[str, Mapping[str, Any]],
           register: Mapping[str, Mapping[str, Any]],
           tally_sheet: Mapping[str, Any] | None) -> Iterator[Finding]:
    """The tally against the forms; a self-reported household (no form of the trainee's) is
    counted from its register row."""
    if tally_sheet is None:
        if records:
            yield Finding("tally", "tally", N_("The quick tally has not been done yet."),
                          begin=True)
        return
    for issue in tally.validate(tally_sheet):
        yield Finding("tally", f"tally/{issue.item}", issue.message, issue.params,
                      issue.severity, item=issue.item)
    sheets = list(records.values())
    sheets += [{"H2a": row.get("present"), "H2b": row.get("away")}
               for unit, row in register.items()
               if unit not in records and row.get("mode") == "self"
               and row.get("status") == "occupied"]
    want = tally.from_forms(sheets)
    for name in tally.FIELDS:
        given = tally_sheet.get(name)
        if given is not None and given != want[name]:
            yield Finding("tally", f"tally/{name}", N_("The tally says %(given)s; the forms "
                                                       "add up to %(want)s."),
                          {"given": given, "want": want[name]}, item=name)


def _deaths(records: Mapping[str, Mapping[str, Any]], register: Mapping[str, Mapping[str, Any]],
            death_form: Mapping[str, Any] | None) -> Iterator[Finding]:
    """Each household's H4 against its rows on the death form (by 户编号, from the register;
    the whole-household deaths' together, `deaths_against_h4`)."""
    if death_form is None:
        for unit, record in records.items():
            male, female = _count(record.get("H4m")), _count(record.get("H4f"))
            if male or female:
                yield Finding("deaths", "deaths", N_(  # filled in on the death form
                    "H4 records deaths but the death form has not been started."),
                    unit=unit, item="H4m" if male else "H4f", begin=True)
        return
    for issue, home in deaths_against_h4(records, register, death_form.get("rows") or []):
        item = "H4m" if issue.params["sex"] == "男" else "H4f"
        yield Finding("deaths", f"{home}/{item}" if home else None, issue.message,
                      issue.params, issue.severity, home, item)


def deaths_against_h4(records: Mapping[str, Mapping[str, Any]],
                      register: Mapping[str, Mapping[str, Any]],
                      rows: Sequence[Mapping[str, Any]]) -> Iterator[tuple[Issue, str | None]]:
    """Each household's H4 (`records`: unit -> R601 record) against the death form's `rows`,
    matched by the 户编号 the register gives the unit; each issue with the unit holding that
    number (None: no form's). The whole-household deaths share 999: their forms' H4 added up
    against the rows numbered 999 (the first 999 unit holds the issue); with no 999 form yet,
    its rows are not counted (its missing form is a finding of its own)."""
    all_died = [unit for unit, row in register.items()
                if unit in records and r601.all_died(records[unit])]
    unit_of = {row["number"]: unit for unit, row in register.items()
               if unit in records and unit not in all_died
               and isinstance(row.get("number"), int)
               and row["number"] != ALL_DIED_HOUSEHOLD_NUMBER}
    h4 = {number: (_count(records[unit].get("H4m")), _count(records[unit].get("H4f")))
          for number, unit in unit_of.items()}
    if all_died:
        unit_of[ALL_DIED_HOUSEHOLD_NUMBER] = all_died[0]
        h4[ALL_DIED_HOUSEHOLD_NUMBER] = (
            sum(_count(records[unit].get("H4m")) for unit in all_died),
            sum(_count(records[unit].get("H4f")) for unit in all_died))
    counted = [row for row in rows
               if all_died or row.get("number") != ALL_DIED_HOUSEHOLD_NUMBER]
    for issue in death_rules.check_against_households(counted, h4):
        number = issue.params["number"]
        yield issue, unit_of.get(number) if isinstance(number, int) else None
