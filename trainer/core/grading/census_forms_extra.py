"""Criteria of the long form and the death form, against the truth.

Each planted mistake belongs to exactly one criterion, as in `forms`:

- `long_form` owns the housing items H8-H18 of the households sampled for the long form
  (普查长表), in the forms handed in. A form not handed in is `coverage`'s; an item left blank
  in a draft is `form_completeness`'s (the long form's checks are R601 rules).
- `death_form` owns the area's death form (死亡人口调查表): every true death of 2019-11-01 to
  2020-10-31 in a row of its own, each item of the row right (户编号 as the register
  numbers the household, 999 for a whole-household death; the age at death in completed
  years, true or as the row's own months of birth and death give it, so a wrong month is
  that month's mistake alone; education only from 6 years at death), and no row for a
  death that is not one of the area's, nor one outside the window.
  The 户编号 a row should carry is the one the trainee's register gives the household, when
  it gives one: a wrong number in the register is `register_accuracy`'s, not counted twice.

Rows are matched to the true deaths by name, then by a tolerated name (a homophone or one
character off, as persons are), then by sex and months of birth and death (a name wrong
otherwise, as a baby's who died unnamed may be); a row matches at most one death.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trainer.core.census import long_form as long_form_items
from trainer.core.census.deaths import ITEMS as DEATH_ITEMS
from trainer.core.census.deaths import WINDOW, age_at_death
from trainer.core.census.r601 import _month
from trainer.core.grading.criteria import Evidence, Finding, Result, criterion
from trainer.core.grading.forms import _handed_in, _norm, _owed, _same_name, same_answer
from trainer.core.world.codes import LABELS
from trainer.core.world.people import Death

DEATH_ITEM_NAMES: dict[str, tuple[str, str]] = {
    "number": ("户编号", "household no."), "name": ("姓名", "name"), "sex": ("性别", "sex"),
    "birth": ("出生年月", "born"), "died": ("死亡年月", "died"),
    "age": ("死亡时年龄", "age at death"), "ethnicity": ("民族", "ethnicity"),
    "education": ("受教育程度", "education"),
}
_DEATH_LABELS = {"sex": "D4", "education": "D11"}  # coded like these short-form items


def _long_label(item: str, value: Any, english: bool) -> str:
    names = long_form_items.LABELS.get(item, {})
    if isinstance(value, int) and value in names:
        return f"{value} {names[value][1 if english else 0]}"
    return "—" if value is None else str(value)


@criterion("long_form", ("抽中长表的户，住房项目（H8—H18）逐项正确",
                         "The long form's housing items (H8-H18) of the sampled households "
                         "are right"))
def long_form(evidence: Evidence) -> Result:
    """Share of the sampled households' H8-H18 answers that are right, in the forms handed
    in (a blank in a draft aside); nothing to judge without a sampled household's form."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    right = total = 0
    findings: list[Finding] = []
    for unit in _owed(evidence):
        truth = evidence.households.get(unit)
        household = getattr(truth, "household", None)
        record = _handed_in(evidence, unit)
        if household is None or not household.long_form or record is None:
            continue
        want_items = long_form_items.items_of(household)
        draft = unit not in evidence.forms
        for item in long_form_items.ITEMS:
            given, want = _norm(record.get(item)), want_items.get(item)
            if draft and given is None:
                continue  # left blank in a draft: form_completeness's
            total += 1
            if given == want:
                right += 1
                continue
            findings.append(Finding(
                (f"{unit}：长表 {item}（{long_form_items.NAMES[item][0]}）不正确"
                 f"（应为 {_long_label(item, want, False)}）",
                 f"{unit}: long form {item} ({long_form_items.NAMES[item][1]}) is wrong "
                 f"(should be {_long_label(item, want, True)})"), where=f"{unit}/{item}"))
    if not total:
        return Result(1.0, applicable=False)
    return Result(right / total, tuple(findings))


def death_row(death: Death, number: int | None) -> dict[str, Any]:
    """A true death as the death form records it (education only from 6 years at death)."""
    birth, died = (death.birth.year, death.birth.month), (death.died.year, death.died.month)
    education = (int(death.education) if death.education is not None
                 and age_at_death(birth, died) >= 6 else None)
    return {"number": number, "name": death.name, "sex": int(death.sex),
            "birth": f"{birth[0]}-{birth[1]:02d}", "died": f"{died[0]}-{died[1]:02d}",
            "age": age_at_death(birth, died), "ethnicity": death.ethnicity,
            "education": education}


def true_deaths(evidence: Evidence) -> list[dict[str, Any]]:
    """The area's true death-form rows, each with its household's 户编号: the one the
    trainee's register gives it (a number wrong there is `register_accuracy`'s alone, and
    the death form only has to agree with it), else the true register's."""
    rows = []
    for unit, truth in evidence.households.items():
        household = getattr(truth, "household", None)
        if household is None:
            continue
        given = (evidence.register.get(unit) or {}).get("number")
        number = (given if isinstance(given, int) and not isinstance(given, bool) else
                  (evidence.register_truth.get(unit) or {}).get("number", truth.number))
        rows += [death_row(death, number) for death in household.deaths]
    return rows


def match_deaths(rows: Sequence[Mapping[str, Any]], truth: Sequence[Mapping[str, Any]]
                 ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(row index, true index) pairs; the true deaths left out; the rows matching none.
    Exact names first, so a typo never takes the death of a row whose name is right; then
    tolerated names; last, a row whose name is none of these but whose sex and months of
    birth and death are a death's (a baby who died unnamed, written 女婴 rather than 未取名:
    the same death with its name wrong, not a death left out and another added)."""
    pairs: dict[int, int] = {}
    free = list(range(len(truth)))

    def same_dates(row: Mapping[str, Any], true: Mapping[str, Any]) -> bool:
        months = [(_month(row.get(item)), _month(true[item])) for item in ("birth", "died")]
        return (all(given is not None and given == want for given, want in months)
                and same_answer("sex", row.get("sex"), true["sex"]))

    def fits(rule: str, row: Mapping[str, Any], true: Mapping[str, Any]) -> bool:
        name = _norm(row.get("name"))
        if rule == "dates":  # the household's own death first, then any household's
            return same_dates(row, true) and same_answer("number", row.get("number"),
                                                          true["number"])
        if rule == "any dates":
            return same_dates(row, true)
        return name is not None and (name == _norm(true["name"]) or (
            rule == "tolerated" and _same_name(name, true["name"])))

    for rule in ("name", "tolerated", "dates", "any dates"):
        for index, row in enumerate(rows):
            if index in pairs:
                continue
            match = next((t for t in free if fits(rule, row, truth[t])), None)
            if match is not None:
                pairs[index] = match
                free.remove(match)
    return sorted(pairs.items()), free, [i for i in range(len(rows)) if i not in pairs]


def _age_of(row: Mapping[str, Any]) -> int | None:
    """The completed years a row's own months of birth and death give (None: not both)."""
    birth, died = _month(row.get("birth")), _month(row.get("died"))
    return age_at_death(birth, died) if birth and died and birth <= died else None


def _death_label(item: str, value: Any, english: bool) -> str:
    names = LABELS.get(_DEATH_LABELS.get(item, ""), {})
    if isinstance(value, int) and value in names:
        return f"{value} {names[value][1 if english else 0]}"
    return "—" if value is None else str(value)


@criterion("death_form", ("死亡人口调查表：普查年度内的死亡人口不漏、不错、不多",
                          "The death form: every death of the year listed, rightly, and no "
                          "other"))
def death_form(evidence: Evidence) -> Result:
    """Per true death, the share of its row's items that are right (a death left out
    scores 0); each row that is no death of the area, or one outside the window, scores 0
    too. Nothing to judge when the area had no death and none was listed."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    truth = true_deaths(evidence)
    rows = list((evidence.deaths or {}).get("rows") or [])
    if not truth and not rows:
        return Result(1.0, applicable=False)
    pairs, omitted, extra = match_deaths(rows, truth)
    points = 0.0
    findings: list[Finding] = []
    for index, true_index in pairs:
        want, row = truth[true_index], rows[index]
        # a row saved before the form asked the age has no "age" at all: not judged on it
        items = DEATH_ITEMS if "age" in row else tuple(i for i in DEATH_ITEMS if i != "age")
        wrong = [item for item in items if not same_answer(item, row.get(item), want[item])
                 and not (item == "age" and row.get(item) is not None
                          and row.get(item) == _age_of(row))]
        for item in wrong:
            if item == "name" and _same_name(row.get(item), want[item]):
                findings.append(Finding(
                    (f"死亡人口调查表：姓名“{row.get(item)}”应为“{want[item]}”（同音或笔误，不扣分）",
                     f"Death form: name {row.get(item)} should be {want[item]} (a homophone "
                     "or typo, not penalised)"), where=f"deaths/rows[{index}]/name", good=True))
                continue
            findings.append(Finding(
                (f"死亡人口调查表：{want['name']} 的{DEATH_ITEM_NAMES[item][0]}不正确"
                 f"（应为 {_death_label(item, want[item], False)}）",
                 f"Death form: {DEATH_ITEM_NAMES[item][1]} of {want['name']} is wrong "
                 f"(should be {_death_label(item, want[item], True)})"),
                where=f"deaths/rows[{index}]/{item}"))
        counted = [item for item in wrong if not (item == "name"
                                                  and _same_name(row.get(item), want[item]))]
        points += 1 - len(counted) / len(items)
    for true_index in omitted:
        want = truth[true_index]
        findings.append(Finding(
            (f"死亡人口调查表漏登：{want['name']}（{want['died']} 死亡，户编号 {want['number']}）",
             f"Left off the death form: {want['name']} (died {want['died']}, household no. "
             f"{want['number']})"), where="deaths"))
    for index in extra:
        died = _month(rows[index].get("died"))
        name = rows[index].get("name") or "—"
        if died is not None and not WINDOW[0] <= died <= WINDOW[1]:
            findings.append(Finding(
                (f"死亡人口调查表：{name} 不在2019年11月1日至2020年10月31日期间死亡，不应登记",
                 f"Death form: {name} did not die between 2019-11-01 and 2020-10-31 and "
                 "does not belong on it"), where=f"deaths/rows[{index}]/died"))
        else:
            findings.append(Finding(
                (f"死亡人口调查表：{name} 不是本普查小区普查年度内的死亡人口",
                 f"Death form: {name} is not a death of this area in the census year"),
                where=f"deaths/rows[{index}]"))
    return Result(points / (len(truth) + len(extra)), tuple(findings))
