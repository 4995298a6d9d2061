"""Form criteria: the trainee's R601 records against the truth, item by item.

Persons are matched by name, then by ID number (a typo in one still matches on the other);
a true person with no record is an omission, a record with no true person a wrong inclusion.
Items are compared by exact code or text; the name tolerates surrounding spaces only (the
tolerance for homophones is the grading issue's). Every household that needs a short form
counts; one with no form handed in is left out whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainer.core.grading.criteria import Evidence, Finding, Result, criterion

HOUSEHOLD_ITEMS = ("H1", "H2a", "H2b", "H3m", "H3f", "H4m", "H4f", "H5", "H6", "H7")
PERSON_ITEMS = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10", "D11", "D12")


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def match_persons(records: list[Mapping[str, Any]], truth: list[Mapping[str, Any]]
                  ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(record index, truth index) pairs; unmatched truth (omitted) and records (extra)."""
    pairs: list[tuple[int, int]] = []
    free = set(range(len(truth)))
    extra = []
    for index, record in enumerate(records):
        found = next((t for t in sorted(free) if _norm(truth[t].get("D1")) is not None
                      and _norm(record.get("D1")) == _norm(truth[t].get("D1"))), None)
        if found is None:
            found = next((t for t in sorted(free) if _norm(record.get("D3"))
                          and _norm(record.get("D3")) == _norm(truth[t].get("D3"))), None)
        if found is None:
            extra.append(index)
        else:
            free.discard(found)
            pairs.append((index, found))
    return pairs, sorted(free), extra


@criterion("form_accuracy", ("普查表逐项正确：人不漏项、户不漏人", "The census forms are right "
                                                        "item by item, nobody left out"))
def form_accuracy(evidence: Evidence) -> Result:
    """Share of the true items (household and person) the completed forms got right."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    right = total = 0
    findings: list[Finding] = []
    for unit, truth in evidence.truth.items():
        record = evidence.forms.get(unit)
        true_persons = list(truth.get("persons") or [])
        items = len(HOUSEHOLD_ITEMS) + len(PERSON_ITEMS) * len(true_persons)
        total += items
        if record is None:
            findings.append(Finding((f"{unit}：没有填报普查表", f"{unit}: no form handed in"),
                                    where=unit))
            continue
        for item in HOUSEHOLD_ITEMS:
            if _norm(record.get(item)) == _norm(truth.get(item)):
                right += 1
            else:
                want = truth.get(item)
                findings.append(Finding((f"{unit}：{item} 不正确（应为 {want}）",
                                         f"{unit}: {item} is wrong (should be {want})"),
                                        where=f"{unit}/{item}"))
        records = list(record.get("persons") or [])
        pairs, omitted, extra = match_persons(records, true_persons)
        for mine, true in pairs:
            for item in PERSON_ITEMS:
                if _norm(records[mine].get(item)) == _norm(true_persons[true].get(item)):
                    right += 1
                else:
                    name, want = true_persons[true].get("D1"), true_persons[true].get(item)
                    findings.append(Finding(
                        (f"{unit}：{name} 的 {item} 不正确（应为 {want}）",
                         f"{unit}: {item} of {name} is wrong (should be {want})"),
                        where=f"{unit}/persons[{mine}]/{item}"))
        for true in omitted:
            findings.append(Finding((f"{unit}：漏登 {true_persons[true].get('D1')}",
                                     f"{unit}: {true_persons[true].get('D1')} left out"),
                                    where=f"{unit}/persons"))
        for mine in extra:
            total += 1  # a person who should not be there costs a point too
            findings.append(Finding((f"{unit}：多登了 {records[mine].get('D1')}",
                                     f"{unit}: {records[mine].get('D1')} should not be listed"),
                                    where=f"{unit}/persons[{mine}]"))
    return Result(right / total if total else 1.0, tuple(findings))


@criterion("register_accuracy", ("户主姓名底册逐栏正确：区不漏房、房不漏户",
                                 "The register of household heads is right column by column"))
def register_accuracy(evidence: Evidence) -> Result:
    """Share of the register's cells (every unit, every column) that match the truth."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    right = total = 0
    findings: list[Finding] = []
    for unit, truth in evidence.register_truth.items():
        row = evidence.register.get(unit, {})
        for column, want in truth.items():
            total += 1
            if _norm(row.get(column)) == _norm(want):
                right += 1
            else:
                findings.append(Finding(
                    (f"{unit}：底册“{column}”不正确（应为 {want}）",
                     f"{unit}: register column {column} is wrong (should be {want})"),
                    where=f"register/{unit}/{column}"))
    return Result(right / total if total else 1.0, tuple(findings))
