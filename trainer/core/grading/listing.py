"""The listing criterion: what the walk (摸底) leaves in the 户主姓名底册 beyond its numbers.

`listing` owns the register's listing facts the other criteria do not read: the 致住户的一封信
handed to every occupied household, the 户别 (family / collective) and the long-form sample
flag (是否长表户), and self-reporting (自主填报): a household that reports itself has its
code, and was allowed to (short form only: not a collective household, a long-form sample
household or one of HMT residents or foreigners, §4.4). A unit missing from the register or
with the wrong status is `coverage`'s, a wrong registration mode `register_accuracy`'s, so
this criterion reads only the rows whose status is right and judges the self-reporting rule
only where the mode is right.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainer.core.census import register
from trainer.core.grading.criteria import Evidence, Finding, Result, criterion

COLUMN_NAMES: dict[str, tuple[str, str]] = {
    "letter": ("致住户的一封信", "letter to the household"),
    "kind": ("户别", "household type"),
    "long_form": ("是否长表户", "long-form sample"),
}
KIND_NAMES = {"family": ("家庭户", "family household"),
              "collective": ("集体户", "collective household")}


def _yes(value: Any) -> bool:
    return value is True or value in ("y", "yes", "true", "True", "1", 1)


def _foreign(evidence: Evidence, unit: str) -> bool:
    truth = evidence.households.get(unit)
    return getattr(truth, "kind", None) == "hmt_foreign"


@criterion("listing", ("摸底到位：每户送达《致住户的一封信》，户别、长表户标注正确，"
                        "自主填报户有填报码且符合条件",
                       "The listing walk: every household got the letter, household type and "
                       "long-form sample are right, self-reporting households have their code "
                       "and were allowed to"))
def listing(evidence: Evidence) -> Result:
    """Share of the listing facts right over the occupied units whose row has the right
    status: the letter, the household type, the long-form flag, and for self-reporting
    households the code and whether self-reporting was allowed. An empty register has no
    listing fact to judge: its missing rows are coverage's alone."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    if not evidence.register:
        return Result(1.0, applicable=False)
    right = total = 0
    findings: list[Finding] = []
    for unit, want in evidence.register_truth.items():
        row: Mapping[str, Any] = evidence.register.get(unit) or {}
        if want.get("status") != "occupied" or row.get("status") != "occupied":
            continue  # unlisted, vacant or the wrong status: coverage's
        checks = [("letter", _yes(row.get("letter")), None),
                  ("kind", row.get("kind") == want.get("kind"), want.get("kind")),
                  ("long_form", _yes(row.get("long_form")) == bool(want.get("long_form")),
                   bool(want.get("long_form")))]
        for column, ok, should in checks:
            total += 1
            right += ok
            if not ok:
                findings.append(_finding(unit, column, should))
        if row.get("mode") == "self" and want.get("mode") == "self":
            total += 2
            has_code = isinstance(row.get("code"), str) and bool(
                register.CODE_SHAPE.fullmatch(row["code"]))
            right += has_code
            if not has_code:
                findings.append(Finding(
                    (f"{unit}：自主填报户没有生成自主填报码", f"{unit}: the self-reporting "
                     "household was given no self-reporting code"),
                    where=f"register/{unit}/code"))
            allowed = register.self_reporting_allowed(want, _foreign(evidence, unit))
            right += allowed
            if not allowed:
                findings.append(Finding(
                    (f"{unit}：该户不能自主填报（集体户、长表户、港澳台和外籍人员户由普查员登记）",
                     f"{unit}: this household may not report itself (collective, long-form "
                     "sample and HMT/foreign households are registered by the enumerator)"),
                    where=f"register/{unit}/mode"))
    return Result(right / total if total else 1.0, tuple(findings))


def _finding(unit: str, column: str, should: Any) -> Finding:
    zh, en = COLUMN_NAMES[column]
    if column == "letter":
        return Finding((f"{unit}：没有送达《致住户的一封信》",
                        f"{unit}: the letter to the household was not handed over"),
                       where=f"register/{unit}/letter")
    if column == "kind":
        names = KIND_NAMES.get(should, (str(should), str(should)))
        return Finding((f"{unit}：底册“{zh}”不正确（应为 {names[0]}）",
                        f"{unit}: register column “{en}” is wrong (should be {names[1]})"),
                       where=f"register/{unit}/kind")
    return Finding((f"{unit}：底册“{zh}”不正确（应为 {'是' if should else '否'}）",
                    f"{unit}: register column “{en}” is wrong (should be "
                    f"{'yes' if should else 'no'})"), where=f"register/{unit}/long_form")
