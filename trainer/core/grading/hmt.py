"""The `hmt_form` criterion: the forms of Hong Kong, Macao and Taiwan residents and foreigners.

The short-form criteria (`forms.py`) leave these households out; this one owns every mistake
on their forms: a household with no form, persons left out or added, and each item of the
household and of the persons matched with the truth (by name, a homophone or a one-character
typo tolerated as on R601). Each finding points at the field (`unit/F3`,
`unit/persons[1]/R7`, `unit/persons` for someone left out). A draft is graded as it stands,
with a finding that it was not finished.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trainer.core.census import hmt
from trainer.core.grading.criteria import Evidence, Finding, Result, criterion
from trainer.core.grading.forms import _norm, _same_name, match_persons, same_answer


def hmt_units(households: Mapping[str, Any]) -> list[str]:
    """The units whose household is registered on the HMT/foreign form."""
    return [unit for unit, truth in households.items()
            if truth.kind == "hmt_foreign" and truth.household is not None]


def _named(persons: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Persons as `match_persons` reads them (the name as D1; no ID number to match by)."""
    return [{"D1": person.get("R1")} for person in persons]


def _wrong(unit: str, item: str, want: Any, where: str, name: str | None = None) -> Finding:
    zh_item, en_item = hmt.ITEMS[item]
    who = (f"{name} 的 ", f" of {name}") if name else ("", "")
    return Finding((f"{unit}：{who[0]}{item} {zh_item}不正确"
                    f"（应为 {hmt.label(item, want, False)}）",
                    f"{unit}: {item} {en_item}{who[1]} is wrong (should be "
                    f"{hmt.label(item, want, True)})"), where=where)


def _grade_unit(unit: str, entry: Mapping[str, Any] | None, truth: Mapping[str, Any]
                ) -> tuple[int, int, list[Finding]]:
    """(right, total, findings) of one household's form against its truth."""
    true_persons = truth["persons"]
    items = [(i, item) for i, person in enumerate(true_persons) for item in hmt.PERSON_ITEMS
             if person.get(item) is not None]
    total = len(hmt.HOUSEHOLD_ITEMS) + len(items)
    if entry is None:
        return 0, total, [Finding((f"{unit}：没有交港澳台居民和外籍人员普查表，"
                                   f"{len(true_persons)} 人漏登",
                                   f"{unit}: no form for Hong Kong, Macao and Taiwan residents "
                                   f"and foreigners handed in, {len(true_persons)} persons left "
                                   "out"), where=f"register/{unit}")]  # the household as listed
    record = entry.get("record") or {}
    findings = [] if entry.get("complete") else [Finding(
        (f"{unit}：普查表没有完成就提交了", f"{unit}: the form was handed in unfinished"),
        where=unit)]
    right = 0
    for item in hmt.HOUSEHOLD_ITEMS:
        if _norm(record.get(item)) == _norm(truth.get(item)):
            right += 1
        else:
            findings.append(_wrong(unit, item, truth.get(item), f"{unit}/{item}"))
    mine = list(record.get("persons") or [])
    pairs, omitted, extra = match_persons(_named(mine), _named(true_persons))
    for given_at, true_at in pairs:
        given, want = mine[given_at], true_persons[true_at]
        name = want.get("R1")
        for item in hmt.PERSON_ITEMS:
            if want.get(item) is None and _norm(given.get(item)) is None:
                continue  # not asked of this person, and left blank
            total += want.get(item) is None  # answered where nothing was asked: counted wrong
            where = f"{unit}/persons[{given_at}]/{item}"
            if same_answer(item, given.get(item), want.get(item)):
                right += 1
            elif item == "R1" and _same_name(given.get(item), want.get(item)):
                right += 1
                findings.append(Finding((f"{unit}：姓名“{given.get(item)}”应为“{name}”"
                                         "（同音或笔误，不扣分）",
                                         f"{unit}: name {given.get(item)} should be {name} (a "
                                         "homophone or typo, not penalised)"), good=True,
                                        where=where))
            else:
                findings.append(_wrong(unit, item, want.get(item), where, name))
    for true_at in omitted:
        name = true_persons[true_at].get("R1")
        findings.append(Finding((f"{unit}：漏登 {name}", f"{unit}: {name} left out"),
                                where=f"{unit}/persons"))
    for given_at in extra:
        total += 1  # a person who should not be there costs a point too
        name = mine[given_at].get("R1")
        findings.append(Finding((f"{unit}：{name} 不应登记在本户（短期来访的不登记）",
                                 f"{unit}: {name} should not be counted here (short-term "
                                 "visitors are not)"), where=f"{unit}/persons[{given_at}]"))
    return right, total, findings


@criterion("hmt_form", ("港澳台居民和外籍人员普查表：人不漏登，逐项正确",
                        "The form for Hong Kong, Macao and Taiwan residents and foreigners: "
                        "everyone registered, item by item right"))
def hmt_form(evidence: Evidence) -> Result:
    """Share of the HMT/foreign forms' items that are right, every true person's items
    counting (a person left out loses them all) and a person wrongly added costing one."""
    units = hmt_units(evidence.households)
    if not evidence.forms_expected or not units:
        return Result(0.0 if not evidence.forms_expected else 1.0, applicable=False)
    right = total = 0
    findings: list[Finding] = []
    for unit in units:
        truth = hmt.record_of(evidence.households[unit].household)
        got, out_of, found = _grade_unit(unit, evidence.hmt_forms.get(unit), truth)
        right, total = right + got, total + out_of
        findings += found
    return Result(right / total if total else 1.0, tuple(findings))
