"""The quick tally (快速汇总) of an enumeration area, summed from its households' forms.

The 2010 manual tally (domain file §2.7), kept as a training exercise: the enumerator adds up
the registered households' forms page by page. Its figures here:

- households: 登记总户数, the households registered (one R601 each);
- present: 现有人口, the persons who lived here on the night of 31 October (ΣH2a);
- away: 户口在本户外出人口, hukou members living elsewhere (ΣH2b);
- total: 登记总人数 = present + away;
- births: 出生人口 (ΣH3), deaths: 死亡人口 (ΣH4), in the year before the standard time.

A whole-household death's form (户编号 999, only H4 filled) adds its deaths to ΣH4 and
nothing else: the register lists its unit as a vacant dwelling, so it is no household
registered (domain file §1.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from trainer.core.census.r601 import Issue, Severity, all_died
from trainer.core.i18n import N_

FIELDS = ("households", "present", "away", "total", "births", "deaths")
LABELS: dict[str, tuple[str, str]] = {
    "households": ("登记总户数", "Households registered"),
    "present": ("现有人口", "Persons living here (ΣH2a)"),
    "away": ("户口在本户外出人口", "Hukou members away (ΣH2b)"),
    "total": ("登记总人数", "Persons registered (living here + away)"),
    "births": ("出生人口", "Births (ΣH3)"),
    "deaths": ("死亡人口", "Deaths (ΣH4)"),
}


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def from_forms(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The tally the forms add up to."""
    out = dict.fromkeys(FIELDS, 0)
    for record in records:
        out["deaths"] += _number(record.get("H4m")) + _number(record.get("H4f"))
        if all_died(record):
            continue  # 999: its deaths only
        out["households"] += 1
        out["present"] += _number(record.get("H2a"))
        out["away"] += _number(record.get("H2b"))
        out["births"] += _number(record.get("H3m")) + _number(record.get("H3f"))
    out["total"] = out["present"] + out["away"]
    return out


def validate(tally: Mapping[str, Any]) -> Iterator[Issue]:
    """Hard errors of a filled tally: every figure given, and the total adds up."""
    for name in FIELDS:
        if tally.get(name) is None:
            yield Issue("required", Severity.HARD, name, None, N_("%(item)s is required."),
                        {"item": name})
    present, away, total = tally.get("present"), tally.get("away"), tally.get("total")
    if None not in (present, away, total) and total != _number(present) + _number(away):
        yield Issue("total", Severity.HARD, "total", None,
                    N_("Persons registered must equal those living here plus those away."), {})
