"""The death form (死亡人口调查表) as the area fills it, and its checks.

A row per death between 2019-11-01 and 2020-10-31 in the enumeration area (domain file §1.6):

    {"number": 12, "name": "刘德明", "sex": 1, "birth": "1941-03", "died": "2020-06",
     "age": 79, "ethnicity": "汉族", "education": 4}

`number` is the 户编号 of the household the person belonged to (999 for a whole-household
death). `age` is the age at death in completed years (周岁), which the enumerator works out
from the months of birth and death (`age_at_death`). The ethnicity is the full name of a
group (`ETHNIC_GROUPS`). Education is asked of those aged 6 and over at death. Each
household's H4 must equal its rows; `check_against_households` reports the mismatches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from trainer.core.census.r601 import Issue, Severity, _month, unknown_ethnicity
from trainer.core.i18n import N_
from trainer.core.world.codes import LABELS

Row = Mapping[str, Any]
WINDOW = ((2019, 11), (2020, 10))
# The items of a row in the form's order (S1-S8 of the 2010 design, domain file §1.6).
ITEMS = ("number", "name", "sex", "birth", "died", "age", "ethnicity", "education")


def age_at_death(birth: tuple[int, int], died: tuple[int, int]) -> int:
    """Completed years at death, as the form counts them from year and month (§1.6)."""
    return died[0] - birth[0] - (1 if birth[1] > died[1] else 0)


def _issue(rule: str, at: str, row: int, message: str, /, **params: object) -> Issue:
    return Issue(rule, Severity.HARD, at, row, message, params)


def validate_rows(rows: Sequence[Row]) -> Iterator[Issue]:
    """Every hard error of the death rows (the person index of an issue is the row)."""
    for index, row in enumerate(rows):
        for item in ITEMS[:-1]:  # every item but education, asked from 6 years (below)
            if row.get(item) in (None, ""):
                yield _issue("required", item, index, N_("%(item)s is required."), item=item)
        if (unknown := unknown_ethnicity(row.get("ethnicity"))) is not None:
            yield _issue("code_range", "ethnicity", index, unknown[0], **unknown[1])
        if row.get("sex") not in (None, "", 1, 2):
            yield _issue("code_range", "sex", index, N_("%(value)s is not a code of %(item)s."),
                         value=row.get("sex"), item="sex")
        birth, died = _month(row.get("birth")), _month(row.get("died"))
        if died is not None and not WINDOW[0] <= died <= WINDOW[1]:
            yield _issue("window", "died", index, N_("Only deaths from 2019-11 to 2020-10 "
                                                     "belong on this form."))
        if birth is not None and died is not None and died < birth:
            yield _issue("order", "died", index, N_("The death is before the birth."))
        education, age = row.get("education"), row.get("age")
        if birth is not None and died is not None:
            old_enough = age_at_death(birth, died) >= 6
            if isinstance(age, int) and died >= birth and age != age_at_death(birth, died):
                yield _issue("age", "age", index, N_(
                    "The age at death does not agree with the months of birth and death: "
                    "count completed years (one less when the birth month is after the "
                    "death month)."))
            if old_enough and education in (None, ""):
                yield _issue("required", "education", index, N_("%(item)s is required."),
                             item="education")
            if not old_enough and education not in (None, ""):
                yield _issue("eligibility", "education", index, N_(
                    "Education is asked only of those aged 6 and over at death."))
        if education not in (None, "") and education not in LABELS["D11"]:
            yield _issue("code_range", "education", index, N_("%(value)s is not a code of "
                                                              "%(item)s."),
                         value=education, item="education")


def check_against_households(rows: Sequence[Row],
                             h4: Mapping[int, tuple[int, int]]) -> Iterator[Issue]:
    """Each household's H4 (male, female) by 户编号 against the death rows recorded for it."""
    counted: Counter[tuple[Any, Any]] = Counter((row.get("number"), row.get("sex"))
                                                for row in rows)
    numbers = set(h4) | {row.get("number") for row in rows}
    for number in sorted(n for n in numbers if isinstance(n, int)):
        male, female = h4.get(number, (0, 0))
        for sex, expected in ((1, male), (2, female)):
            if counted[(number, sex)] != expected:
                yield Issue("totals", Severity.HARD, "number", None, N_(
                    "Household %(number)s reports %(expected)s deaths (%(sex)s) in H4 but has "
                    "%(rows)s rows on the death form."),
                    {"number": number, "expected": expected, "rows": counted[(number, sex)],
                     "sex": "男" if sex == 1 else "女"})
