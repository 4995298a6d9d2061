"""The long form (普查长表) of the 10 % sample: its housing items H8-H18, and their checks.

A sampled household fills the whole short form R601 and, on the same record, the housing
items of the long form (domain file §1.5):

    {..., "H8": 2, "H9": 2, "H10": 7, "H11": 2, "H12": 1, "H13": 1, "H14": 1, "H15": 1,
     "H16": 2, "H17": 2, "H18": 1200}

The record carries these keys only when the household is sampled; a record without any of
them is a short form and none of these checks apply. H18 (monthly rent, yuan) is asked only
of renters (H17 = 1-2) and skipped otherwise; like H6/H7, the housing items are skipped when
H5 = 2-5 (collective quarters, workplace, other, none). A one-storey house (H8 = 1) has no
lift; a building of 8 floors or more without one is unusual and asks for a confirmation.

Decision on the person items: the long form's person items are known only from third-party
material ([C]: names, no official numbering or code lists), and 婚姻状况's 2020 codes are not
verified ([I]: the 6th census's 1-5 are assumed where the world draws `Person.marital`). The
trainer therefore keeps to the household items, whose code lists the reproduced form shows;
the persons of a sampled household are recorded as on the short form.

Codes H10 = 5 (1980-1989) and H17 = 6-8 (自建住房, 继承或赠与, 其他) are design assumptions:
they were not legible in the reproduced form (the world generator draws H17 = 6 already).

The checks register as one rule of `r601.RULES` (this package's `__init__` imports this
module), so `r601.validate` judges a sampled household's record whole, short and long items.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from trainer.core.census import r601
from trainer.core.census.r601 import Issue, Record
from trainer.core.i18n import N_
from trainer.core.world.people import Household

ITEMS = ("H8", "H9", "H10", "H11", "H12", "H13", "H14", "H15", "H16", "H17", "H18")
CODED = ITEMS[:-1]  # H18 is an amount
RENTED = (1, 2)  # H17 codes of a rented dwelling: only they answer H18
MAX_RENT = 100_000  # yuan a month: more is a typing mistake

# Item names and code labels as on the form (Chinese), with English.
NAMES: dict[str, tuple[str, str]] = {
    "H8": ("住房所在建筑物层数", "Height of the building"),
    "H9": ("承重类型", "Load-bearing structure"),
    "H10": ("住房建成年代", "Year built"),
    "H11": ("住房所在建筑有无电梯", "Lift in the building"),
    "H12": ("主要炊事燃料", "Main cooking fuel"),
    "H13": ("住房内有无管道自来水", "Piped tap water"),
    "H14": ("住房内有无厨房", "Kitchen"),
    "H15": ("住房内有无厕所", "Toilet"),
    "H16": ("住房内有无洗澡设施", "Bathing facilities"),
    "H17": ("住房来源", "How the dwelling was obtained"),
    "H18": ("月租房费用（元）", "Monthly rent (yuan)"),
}
LABELS: dict[str, dict[int, tuple[str, str]]] = {
    "H8": {1: ("平房", "One storey"), 2: ("多层（7层及以下）", "Up to 7 floors"),
           3: ("高层（8—33层）", "8 to 33 floors"),
           4: ("超高层（34层及以上）", "34 floors or more")},
    "H9": {1: ("钢及钢筋混凝土结构", "Steel or reinforced concrete"), 2: ("混合结构", "Mixed"),
           3: ("砖木结构", "Brick and wood"), 4: ("竹草土坯结构", "Bamboo, straw or adobe"),
           5: ("其他结构", "Other")},
    "H10": {1: ("1949年以前", "Before 1949"), 2: ("1949—1959年", "1949-1959"),
            3: ("1960—1969年", "1960-1969"), 4: ("1970—1979年", "1970-1979"),
            5: ("1980—1989年", "1980-1989"), 6: ("1990—1999年", "1990-1999"),
            7: ("2000—2009年", "2000-2009"), 8: ("2010—2014年", "2010-2014"),
            9: ("2015年以后", "2015 or later")},
    "H11": {1: ("有", "Yes"), 2: ("无", "No")},
    "H12": {1: ("燃气", "Gas"), 2: ("电", "Electricity"), 3: ("煤炭", "Coal"),
            4: ("柴草", "Firewood or straw"), 5: ("其他", "Other")},
    "H13": {1: ("有", "Yes"), 2: ("无", "No")},
    "H14": {1: ("独立使用", "Own kitchen"), 2: ("与其他户合用", "Shared with other households"),
            3: ("无", "None")},
    "H15": {1: ("水冲式卫生厕所", "Flush toilet, sanitary"),
            2: ("水冲式非卫生厕所", "Flush toilet, not sanitary"),
            3: ("卫生旱厕", "Sanitary dry toilet"), 4: ("普通旱厕", "Ordinary dry toilet"),
            5: ("无", "None")},
    "H16": {1: ("统一供热水", "Central hot water"), 2: ("家庭自装热水器", "Own water heater"),
            3: ("其他", "Other"), 4: ("无", "None")},
    "H17": {1: ("租赁廉租房/公租房", "Rented public housing"), 2: ("租赁其他住房", "Rented, other"),
            3: ("购买新建商品房", "Bought new"), 4: ("购买二手房", "Bought second-hand"),
            5: ("购买原公有住房", "Bought former public housing"), 6: ("自建住房", "Self-built"),
            7: ("继承或赠与", "Inherited or a gift"), 8: ("其他", "Other")},
}
# What a hand-written scenario household marked `long_form: true` answers unless it says
# otherwise: a flat bought new in a multi-storey block of the 2000s, no lift.
TYPICAL: dict[str, int] = {"H8": 2, "H9": 2, "H10": 7, "H11": 2, "H12": 1, "H13": 1,
                           "H14": 1, "H15": 1, "H16": 2, "H17": 3}


def sampled(record: Record) -> bool:
    """Whether the record is a long form (it carries the long-form items)."""
    return any(item in record for item in ITEMS)


def items_of(household: Household) -> dict[str, int | None]:
    """A sampled household's true H8-H18 (H18 None unless rented); {} when not sampled."""
    if not household.long_form or household.long_form_items is None:
        return {}
    answers = household.long_form_items
    return {item: answers.get(item) for item in ITEMS}


def record_of(household: Household) -> dict[str, Any]:
    """A household's truth as a filled record: R601, plus H8-H18 when it is sampled."""
    return {**r601.record_of(household), **items_of(household)}


def written(answers: Mapping[str, int] | None) -> dict[str, int]:
    """The long-form answers of a hand-written household: `TYPICAL`, overridden by the
    author's own; H18 kept only for a rented dwelling."""
    items = {**TYPICAL, **(answers or {})}
    if items.get("H17") not in RENTED:
        items.pop("H18", None)
    elif "H18" not in items:
        items["H18"] = 800
    return items


def _hard(rule: str, item: str, message: str, /, **params: object) -> Issue:
    return Issue(rule, r601.Severity.HARD, item, None, message, params)


@r601.rule("long_form")
def long_form(record: Record) -> Iterator[Issue]:
    """The long form's housing items H8-H18: answered, in their code lists, skipped where
    the form says (H5 = 2-5: all; H18 unless rented), a lift that fits the building."""
    if not sampled(record):
        return
    blank = {item: r601._blank(record.get(item)) for item in ITEMS}
    if r601._skips_housing(record):
        for item in ITEMS:
            if not blank[item]:
                yield _hard("skips", item, N_("%(item)s is skipped for this type of dwelling."),
                            item=item)
        return
    rented = record.get("H17") in RENTED
    for item in CODED + (("H18",) if rented else ()):
        if blank[item]:
            yield _hard("required", item, N_("%(item)s is required."), item=item)
    for item in CODED:
        value = record.get(item)
        if not blank[item] and (not isinstance(value, int) or value not in LABELS[item]):
            yield _hard("code_range", item, N_("%(value)s is not a code of %(item)s."),
                        value=value, item=item)
    rent = record.get("H18")
    if not blank["H18"] and not rented and not blank["H17"]:
        yield _hard("skips", "H18", N_("H18 (monthly rent) is asked only of rented dwellings "
                                       "(H17 = 1 or 2)."))
    elif not blank["H18"] and (not isinstance(rent, int) or not 0 <= rent <= MAX_RENT):
        yield _hard("code_range", "H18", N_("%(item)s must be a whole number from 0 to "
                                            "%(high)s."), item="H18", high=MAX_RENT)
    if record.get("H8") == 1 and record.get("H11") == 1:
        yield _hard("plausibility", "H11", N_("A one-storey house (H8 = 1) has no lift."))
    if record.get("H8") in (3, 4) and record.get("H11") == 2:
        yield Issue("plausibility", r601.Severity.SOFT, "H11", None,
                    N_("A building of 8 floors or more without a lift: confirm H11."), {})


def answers(items: Mapping[str, int | None]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """A sampled household's housing answers as a respondent gives them: ((item name zh,
    en), (answer zh, en)) for each item answered, in the form's order."""
    out = []
    for item in ITEMS:
        value = items.get(item)
        if value is None:
            continue
        name = NAMES[item]
        label = LABELS.get(item, {}).get(value)
        said = (f"{value} {label[0]}", f"{value} {label[1]}") if label else (
            f"{value} 元", f"{value} yuan")
        out.append(((f"{item} {name[0]}", f"{item} {name[1]}"), said))
    return out
