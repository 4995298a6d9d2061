"""Form and register criteria: the trainee's R601 records and register against the truth.

Each planted mistake belongs to exactly one criterion:

- `coverage` owns who is counted: every unit's status (occupied, vacant, 999) in the register,
  households with no form, persons left out, persons counted twice (in two households'
  forms) and persons who should not be there (short-term visitors, people settled abroad).
- `form_accuracy` owns the items of the persons matched with the truth, except D7-D10, and
  the household items (H1-H7, the totals H2a/H2b among them).
- `residence_rules` owns D7-D10, judged by the counting rules (where one lived at the
  standard time, where the hukou is, how long and why one is away).
- `form_completeness` owns forms handed in as drafts: items left blank, skip rules broken,
  hard errors left standing.
- `register_accuracy` owns the register's listing columns (building, unit, household number,
  registration mode), and the head and the counts where there is no form to check them by.
- `consistency` owns the cross-check the procedure demands: where a household has a form, the
  register's head and counts must agree with it.
- `tally` owns the quick tally (快速汇总): each figure must be what the handed-in forms add
  up to, right or wrong as those forms are.

Persons are matched by name, then by ID number, then by a name that is a homophone (same
pinyin) or one character off; a tolerated name counts as right with a note. A household
counted by self-reporting (自主填报) fills in its own form, but the trainee owes it all the
same: its self-report, received into the attempt's forms and reviewed (and corrected) by the
trainee, or, when it never came, the form of the visit from the day after the deadline. Its
slips are judged like any other field; whether the review and the follow-up happened is
`self_report_followup`'s (grading/procedure.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from pypinyin import lazy_pinyin

from trainer.core.census import r601, register, tally
from trainer.core.grading.criteria import Evidence, Finding, Result, criterion, evidence_of
from trainer.core.interview.engine import Session
from trainer.core.world.codes import LABELS, HouseholdType

HOUSEHOLD_ITEMS = ("H1", "H2a", "H2b", "H3m", "H3f", "H4m", "H4f", "H5", "H6", "H7")
RESIDENCE_ITEMS = ("D7", "D8", "D9", "D10", "D7_place", "D8_place")
PERSON_ITEMS = ("D1", "D2", "D3", "D4", "D5", "D6", "D11", "D12")  # D7-D10: residence_rules
LISTING_COLUMNS = ("building", "unit", "number", "mode")
CROSS_CHECKED = {"head": None, "present": "H2a", "away": "H2b"}  # register column -> item
COLUMN_NAMES: dict[str, tuple[str, str]] = {
    "building": ("建筑物编号", "building no."), "unit": ("住房单元编号", "unit no."),
    "number": ("户编号", "household no."), "head": ("户主姓名", "head of household"),
    "status": ("住房状态", "status"), "present": ("现住人数", "living here"),
    "away": ("户口在本户外出人数", "hukou members away"), "mode": ("登记方式", "registration"),
}

# Why each residence item has the answer it has: the counting rule a trainee applies.
RESIDENCE_RULES: dict[str, tuple[str, str]] = {
    "D7": ("D7 记普查时点（11月1日零时）实际居住的地方，不看户口。",
           "D7 is where the person lived at the standard time (00:00 on 1 November), "
           "whatever the hukou."),
    "D8": ("D8 记户口登记在哪里；出生未落户的记“5 户口待定”。",
           "D8 is where the hukou is registered; a baby not yet registered is 5, pending."),
    "D9": ("D9 记离开户口登记地多久；住在户口所在地的记“1 没有离开”，户口待定的不填。",
           "D9 is how long the person has been away from the hukou place: 1 if they live "
           "there, blank if the hukou is pending."),
    "D10": ("D10 只问离开了户口登记地的人，记离开的主要原因。",
            "D10 is asked only of those away from the hukou place: the main reason."),
    "D7_place": ("D7 选“5 其他县（市、区）”的，写明现住地的省、市、县。",
                 "With D7 = 5 (another county), the province, city and county where the "
                 "person lives are written out."),
    "D8_place": ("D8 选“4 其他县（市、区）”的，写明户口登记地的省、市、县。",
                 "With D8 = 4 (another county), the province, city and county of the hukou "
                 "are written out."),
}


def form_units(session: Session) -> list[str]:
    """Households that fill the short form R601 (not vacant, not HMT/foreign): a
    whole-household death (999) fills its H4 only."""
    return [unit for unit, state in session.households.items()
            if state.truth.household is not None and state.truth.kind in ("family",
                                                                          "collective",
                                                                          "all_died")]


def register_truth(session: Session) -> dict[str, dict[str, Any]]:
    """The true register of the session's units."""
    return register.truth_rows([(u, s.truth) for u, s in session.households.items()],
                               {unit: session.outcome(unit) for unit in session.households})


def attempt_evidence(session: Session, saved: Mapping[str, Mapping[str, Any]],
                     rows: Mapping[str, Mapping[str, Any]],
                     tally_sheet: Mapping[str, Any] | None = None, *,
                     hmt_forms: Mapping[str, Mapping[str, Any]] | None = None,
                     deaths: Mapping[str, Any] | None = None,
                     map_drawing: Mapping[str, Any] | None = None) -> Evidence:
    """What an attempt hands in: the visits, the forms as saved (`unit -> {"record",
    "complete"}`), the register rows, the quick tally, the HMT/foreign forms, the death form,
    the small-area map, and the truth they are all graded against."""
    units = form_units(session)
    truth = {unit: r601.record_of(household) for unit in units
             if (household := session.households[unit].truth.household) is not None}
    filed = {unit: r601.as_filed(entry["record"]) for unit, entry in saved.items()
             if entry.get("record") is not None}
    forms = {unit: record for unit, record in filed.items()
             if saved[unit].get("complete") and unit in units}
    drafts = {unit: record for unit, record in filed.items()
              if not saved[unit].get("complete") and unit in units}
    return replace(evidence_of(session), forms_expected=True, forms=forms, drafts=drafts,
                   filed=filed,
                   truth=truth, register=rows, register_truth=register_truth(session),
                   tally=tally_sheet or None, hmt_forms=hmt_forms or {}, deaths=deaths,
                   map_drawing=map_drawing)


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


MONTHS = ("D5", "R4", "birth", "died")  # year and month of R601, the HMT and death forms
# The administrative words a written place may carry or leave out: "湖北荆州洪湖" is
# "湖北省荆州市洪湖市".
_PLACE_WORDS = re.compile(r"\s+|特别行政区|自治区|自治州|自治县|[省市县区旗]")


def _place(value: Any) -> str:
    return _PLACE_WORDS.sub("", str(value or ""))


def same_answer(item: str, given: Any, want: Any) -> bool:
    """Whether an answer is the true one; a month as the checks read it, so "1977-6" is
    "1977-06"."""
    if item in MONTHS and (month := r601._month(given)) is not None:
        return month == r601._month(want)
    if item in r601.PLACES.values() and _norm(given) is not None and _norm(want) is not None:
        # the place as told, with or without 省/市/县, and more precise if the trainee knows
        return _place(given).startswith(_place(want))
    return bool(_norm(given) == _norm(want))


def _same_name(given: Any, true: Any) -> bool:
    """A homophone (same toneless pinyin, character by character) or at most one character
    wrong in a name of three or more characters."""
    given, true = _norm(given), _norm(true)
    if not isinstance(given, str) or not isinstance(true, str) or len(given) != len(true):
        return False
    if lazy_pinyin(given) == lazy_pinyin(true):
        return True
    return len(true) >= 3 and sum(a != b for a, b in zip(given, true, strict=True)) == 1


def match_persons(records: list[Mapping[str, Any]], truth: list[Mapping[str, Any]]
                  ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(record index, truth index) pairs; unmatched truth (omitted) and records (extra).

    Exact names first, then ID numbers, then tolerated names, so a typo never steals the
    match of a person whose name is right."""
    pairs: dict[int, int] = {}
    free = list(range(len(truth)))
    for item in ("D1", "D3"):  # exact keys: looked up, in the truth's order
        waiting: dict[Any, list[int]] = {}
        for t in free:
            key = _norm(truth[t].get(item))
            if key is not None and key != r601.NO_ID:
                waiting.setdefault(key, []).append(t)
        for index, record in enumerate(records):
            found = waiting.get(_norm(record.get(item))) if index not in pairs else None
            if found:
                pairs[index] = found.pop(0)
                free.remove(pairs[index])
    for index, record in enumerate(records):  # what is left: a homophone or a typo
        if index not in pairs:
            match = next((t for t in free if _same_name(record.get("D1"), truth[t].get("D1"))),
                         None)
            if match is not None:
                pairs[index] = match
                free.remove(match)
    extra = [index for index in range(len(records)) if index not in pairs]
    return sorted(pairs.items()), free, extra


def _owed(evidence: Evidence) -> list[str]:
    """The units whose form the trainee owes: every household needing a short form, the
    self-reporting ones too (their self-report, reviewed, is the trainee's form)."""
    return list(evidence.truth)


# The form's own names of the items whose key is not their number on the paper form (H3 and
# H4 are one item each there, in two boxes; the places written after D7 = 5 and D8 = 4):
# findings name items as the trainee saw them.
_ITEM_NAMES = {
    "H3m": ("H3 出生人口（男）", "H3 Births, male"),
    "H3f": ("H3 出生人口（女）", "H3 Births, female"),
    "H4m": ("H4 死亡人口（男）", "H4 Deaths, male"),
    "H4f": ("H4 死亡人口（女）", "H4 Deaths, female"),
    "D7_place": ("D7 现住地的省、市、县", "D7 province, city and county"),
    "D8_place": ("D8 户口登记地的省、市、县", "D8 province, city and county"),
}


def _item(item: str, english: bool) -> str:
    """The item as the form names it: its number, or with the box (H3/H4) or the place."""
    names = _ITEM_NAMES.get(item)
    return item if names is None else names[english]


def _label(item: str, value: Any, english: bool) -> str:
    names = LABELS.get(item, {})
    if isinstance(value, int) and value in names:
        return f"{value} {names[value][1 if english else 0]}"
    return "—" if value is None else str(value)


def _persons(record: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return list((record or {}).get("persons") or [])


@criterion("coverage", ("区不漏房、房不漏户、户不漏人：不漏登、不重登、不错登",
                        "Every unit, household and person counted once: nobody left out, "
                        "twice or wrongly"))
def coverage(evidence: Evidence) -> Result:
    """Units with the right status, households with a form, persons counted exactly once."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    right = total = 0
    findings: list[Finding] = []
    for unit, want in evidence.register_truth.items():
        total += 1
        status = (evidence.register.get(unit) or {}).get("status")
        if status == want.get("status"):
            right += 1
            continue
        if status is None:
            text = (f"{unit}：住房单元没有列入底册（区不漏房）",
                    f"{unit}: the unit is missing from the register")
        elif want.get("status") == "vacant":
            text = (f"{unit}：空房登记成了有人居住（一户多处住房的，其他住房按空房登记）",
                    f"{unit}: a vacant unit recorded as occupied (a family's other homes are "
                    "vacant units)")
        elif status == "vacant":
            text = (f"{unit}：有人居住的住房登记成了空房，住户被漏登",
                    f"{unit}: an occupied unit recorded as vacant, its household left out")
        else:
            text = (f"{unit}：住房状态应为 {want.get('status')}",
                    f"{unit}: the unit's status should be {want.get('status')}")
        findings.append(Finding(text, where=f"register/{unit}/status"))
    matched: dict[str, set[int]] = {}  # unit -> its true persons found on its own form
    handed = {unit: _handed_in(evidence, unit) for unit in _owed(evidence)}
    for unit, record in handed.items():
        if record is not None:
            pairs = match_persons(_persons(record), _persons(evidence.truth[unit]))[0]
            matched[unit] = {true for _mine, true in pairs}
    for unit, record in handed.items():
        true_persons = _persons(evidence.truth[unit])
        total += len(true_persons)
        if r601.all_died(evidence.truth[unit]):  # its form (H4 only) is what is counted
            total += 1
            right += record is not None
        if record is None and r601.all_died(evidence.truth[unit]):
            findings.append(Finding((f"{unit}：全户死亡户没有交普查表（户编号999，只填H4）",
                                     f"{unit}: no form handed in for the whole-household death "
                                     "(household number 999, H4 only)"), where=unit))
            continue
        if record is None:
            findings.append(Finding((f"{unit}：没有交普查表，{len(true_persons)} 人漏登",
                                     f"{unit}: no form handed in, {len(true_persons)} persons "
                                     "left out"), where=unit))
            continue
        records = _persons(record)
        _pairs, omitted, extra = match_persons(records, true_persons)
        right += len(matched[unit])
        for true in omitted:
            name = true_persons[true].get("D1")
            findings.append(Finding((f"{unit}：漏登 {name}", f"{unit}: {name} left out"),
                                    where=f"{unit}/persons"))
        for mine in extra:
            total += 1  # a person who should not be there costs a point too
            name = records[mine].get("D1")
            home = _home_of(evidence, unit, records[mine])
            there = address(evidence, home[0]) if home is not None else ("", "")
            if home is not None and home[1] in matched.get(home[0], ()):
                text = (f"{unit}：{name} 重复登记（已在 {there[0]} 登记）",
                        f"{unit}: {name} counted twice (already counted at {there[1]})")
            elif home is not None:
                text = (f"{unit}：{name} 登记错了户，应登记在 {there[0]}",
                        f"{unit}: {name} is counted in the wrong household (lives at "
                        f"{there[1]})")
            else:
                text = (f"{unit}：{name} 不应登记在本户（短期来访、已在国外定居的不登记）",
                        f"{unit}: {name} should not be counted here (short-term visitors and "
                        "people settled abroad are not)")
            findings.append(Finding(text, where=f"{unit}/persons[{mine}]"))
    return Result(right / total if total else 1.0, tuple(findings))


def address(evidence: Evidence, unit: str) -> tuple[str, str]:
    """A household in the middle of a finding's text (zh_CN, en) as the pages name it, by its
    street, building and unit (`建设路 3栋502室`, `建设路 building 3, unit 502`; a world's flat
    by its stairwell and door, `3栋2单元502室`), not by its
    internal key; the key when the evidence has no address for it. A finding's leading key is
    replaced on the page (`fieldwork.views.named_households`)."""
    truth = evidence.households.get(unit)
    if truth is None:
        return unit, unit
    street = f"{truth.street} " if truth.street else ""
    if truth.door:  # a world's flat: its stairwell and door, as on the visit page
        return (f"{street}{truth.building}栋{truth.stairwell}单元{truth.door}室",
                f"{street}building {truth.building}, stairwell {truth.stairwell}, flat "
                f"{truth.door}")
    return (f"{street}{truth.building}栋{truth.unit}室",
            f"{street}building {truth.building}, unit {truth.unit}")


def _home_of(evidence: Evidence, unit: str, record: Mapping[str, Any]
             ) -> tuple[str, int] | None:
    """The other unit whose true household holds this person, and the person's place in it."""
    for other, truth in evidence.truth.items():
        if other != unit and (pairs := match_persons([record], _persons(truth))[0]):
            return other, pairs[0][1]
    return None


def _compare(evidence: Evidence, items: Iterable[str], person_items: Iterable[str]
             ) -> tuple[int, int, list[Finding]]:
    """(right, total, findings) over the owed forms' household `items` and the matched
    persons' `person_items`."""
    right = total = 0
    findings: list[Finding] = []
    person_items = tuple(person_items)
    for unit in _owed(evidence):
        record, truth = _handed_in(evidence, unit), evidence.truth[unit]
        if record is None:
            continue
        draft = unit not in evidence.forms
        for item in items:
            if r601.all_died(truth) and item not in r601.ALL_DIED_ITEMS:
                continue  # a whole-household death (999) fills H4 only
            if draft and _norm(record.get(item)) is None:
                continue  # left blank in a draft: form_completeness's
            total += 1
            if _norm(record.get(item)) == _norm(truth.get(item)):
                right += 1
            else:
                want = truth.get(item)
                findings.append(Finding(
                    (f"{unit}：{_item(item, False)} 不正确（应为 {_label(item, want, False)}）",
                     f"{unit}: {_item(item, True)} is wrong (should be "
                     f"{_label(item, want, True)})"),
                    where=f"{unit}/{item}"))
        records, true_persons = _persons(record), _persons(truth)
        any_head = _any_head(truth, records)
        for mine, true in match_persons(records, true_persons)[0]:
            name = true_persons[true].get("D1")
            for item in person_items:
                given, want = records[mine].get(item), true_persons[true].get(item)
                if draft and _norm(given) is None and _norm(want) is not None:
                    continue  # left blank in a draft: form_completeness's
                if item in r601.PLACES.values() and _norm(want) is None:
                    continue  # not asked of this person (a place written anyway: a skip)
                total += 1
                if same_answer(item, given, want) or (item == "D2" and any_head
                                                   and given in (0, 9) and want in (0, 9)):
                    right += 1
                elif item == "D1" and _same_name(given, want):
                    right += 1
                    findings.append(Finding((f"{unit}：姓名“{given}”应为“{want}”（同音或笔误，不扣分）",
                                             f"{unit}: name {given} should be {want} (a "
                                             "homophone or typo, not penalised)"),
                                            where=f"{unit}/persons[{mine}]/D1", good=True))
                else:
                    rule = RESIDENCE_RULES.get(item, ("", ""))
                    findings.append(Finding(
                        (f"{unit}：{name} 的 {_item(item, False)} 不正确（应为 "
                         f"{_label(item, want, False)}）{rule[0]}",
                         f"{unit}: {_item(item, True)} of {name} is wrong (should be "
                         f"{_label(item, want, True)}). {rule[1]}".rstrip(". ") + "."),
                        where=f"{unit}/persons[{mine}]/{item}"))
    return right, total, findings


def _collective(truth: Mapping[str, Any] | None) -> bool:
    return (truth or {}).get("H1") == HouseholdType.COLLECTIVE


def _any_head(truth: Mapping[str, Any], records: list[Mapping[str, Any]]) -> bool:
    """Whether the form may name any member the head: a collective household "pick[s] any
    member as 户主, others' D2 = 9" (domain file §1.4), so with one head on the form each
    member's 0 or 9 is right."""
    return _collective(truth) and [p.get("D2") for p in records].count(0) == 1


@criterion("form_accuracy", ("普查表逐项正确（人不漏项）",
                             "The census forms are right item by item"))
def form_accuracy(evidence: Evidence) -> Result:
    """Share of the household items and the matched persons' items (D7-D10 aside) that are
    right; with no form handed in there is nothing to judge (coverage finds the omission)."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    right, total, findings = _compare(evidence, HOUSEHOLD_ITEMS, PERSON_ITEMS)
    if not total:
        return Result(1.0, applicable=False)  # no form handed in: coverage's finding
    return Result(right / total, tuple(findings))


@criterion("residence_rules", ("居住地和户口项目（D7-D10）按登记原则填写",
                               "Residence and hukou items (D7-D10) follow the counting rules"))
def residence_rules(evidence: Evidence) -> Result:
    """Share of the matched persons' D7-D10 answers that are right, each wrong one with the
    rule that decides it."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    right, total, findings = _compare(evidence, (), RESIDENCE_ITEMS)
    if not total:
        return Result(1.0, applicable=False)  # nobody on a form handed in: nothing to judge
    return Result(right / total, tuple(findings))


_ISSUE_TEXT = {
    "required": ("{unit}：{at} 未填", "{unit}: {at} left blank"),
    "skips": ("{unit}：{at} 违反跳答规则", "{unit}: {at} breaks a skip rule"),
}


@criterion("form_completeness", ("普查表填写完整、符合跳答和审核规则",
                                 "The forms are complete, follow the skip rules and pass the "
                                 "checks"))
def form_completeness(evidence: Evidence) -> Result:
    """Share of the owed forms handed in complete: a draft scores the share of its items
    that are neither blank nor in error, and each of its hard errors is a finding."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    scores: list[float] = []
    findings: list[Finding] = []
    for unit in _owed(evidence):
        if unit in evidence.forms:
            scores.append(1.0)
            continue
        draft = evidence.drafts.get(unit)
        if draft is None:
            continue  # no form at all: coverage's
        hard = r601.hard_errors(draft)
        items = (len(r601.ALL_DIED_ITEMS) if r601.all_died(evidence.truth[unit]) else
                 len(HOUSEHOLD_ITEMS) + len(PERSON_ITEMS + RESIDENCE_ITEMS) * len(_persons(draft)))
        scores.append(max(0.0, 1 - len(hard) / max(1, items)))
        findings.append(Finding((f"{unit}：普查表没有完成就提交了", f"{unit}: the form was "
                                 "handed in unfinished"), where=unit))
        for issue in hard:
            at = issue.item if issue.person is None else f"persons[{issue.person}]/{issue.item}"
            zh, en = _ISSUE_TEXT.get(issue.rule, ("{unit}：{at} 有未改正的错误",
                                                  "{unit}: {at} has an error left standing"))
            zh_at, en_at = _item(issue.item, False), _item(issue.item, True)
            if issue.person is not None:  # which person, as the form numbers them
                number = issue.person + 1
                zh_at, en_at = f"第 {number} 人 {zh_at}", f"person {number}, {en_at}"
            findings.append(Finding((zh.format(unit=unit, at=zh_at),
                                     en.format(unit=unit, at=en_at)), where=f"{unit}/{at}"))
    if not scores:
        return Result(1.0, applicable=False)  # no form handed in: coverage's finding
    return Result(sum(scores) / len(scores), tuple(findings))


def _handed_in(evidence: Evidence, unit: str) -> Mapping[str, Any] | None:
    """A unit's form as handed in, complete or a draft."""
    return evidence.forms.get(unit) or evidence.drafts.get(unit)


def _cross_checked(evidence: Evidence, unit: str) -> Mapping[str, Any] | None:
    """The form the register's head and counts are checked by, if the unit has one (a
    whole-household death's has neither: its row is checked against the truth)."""
    if unit not in _owed(evidence) or r601.all_died(evidence.truth[unit]):
        return None
    return _handed_in(evidence, unit)


@criterion("register_accuracy", ("户主姓名底册逐栏正确：区不漏房、房不漏户",
                                 "The register of household heads is right column by column"))
def register_accuracy(evidence: Evidence) -> Result:
    """Share of the register's cells that match the truth: the listing columns of every
    unit, and the head and counts of the units with no form to check them by. An empty
    register has no cell to judge: its missing rows are coverage's alone."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    if not evidence.register:
        return Result(1.0, applicable=False)
    right = total = 0
    findings: list[Finding] = []
    for unit, truth in evidence.register_truth.items():
        row = evidence.register.get(unit)
        if row is None:
            continue  # an unlisted unit: coverage's
        columns = [*LISTING_COLUMNS]
        if _cross_checked(evidence, unit) is None:
            columns += list(CROSS_CHECKED)
        for column in columns:
            want, given = truth.get(column), row.get(column)
            if (column in ("present", "away") and _norm(given) is None
                    and truth.get("status") in ("vacant", "all_died")):
                given = 0  # nobody lives there: a count left blank is none
            total += 1
            heads = [want]
            if column == "head" and _collective(evidence.truth.get(unit)):
                heads = [p.get("D1") for p in _persons(evidence.truth[unit])]  # any member
            if _norm(given) == _norm(want) or (column == "head" and any(
                    _norm(given) == _norm(head) or _same_name(given, head)
                    for head in heads)):
                right += 1
            else:
                zh, en = ((f"应为 {want}", f"should be {want}") if _norm(want) is not None
                          else ("应为空", "should be left blank"))
                findings.append(Finding(
                    (f"{unit}：底册“{COLUMN_NAMES[column][0]}”不正确（{zh}）",
                     f"{unit}: register column “{COLUMN_NAMES[column][1]}” is wrong ({en})"),
                    where=f"register/{unit}/{column}"))
    return Result(right / total if total else 1.0, tuple(findings))


@criterion("consistency", ("底册与普查表一致：户主姓名、现住人数、外出人数",
                           "The register agrees with the forms: head, persons present, "
                           "members away"))
def consistency(evidence: Evidence) -> Result:
    """Share of the register's head and counts that agree with the household's own form."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    right = total = 0
    findings: list[Finding] = []
    for unit, row in evidence.register.items():
        form = _cross_checked(evidence, unit)
        if form is None:
            continue
        persons = _persons(form)
        head = next((p.get("D1") for p in persons if p.get("D2") == 0), None)
        for column, item in CROSS_CHECKED.items():
            want = head if item is None else form.get(item)
            total += 1
            if _norm(row.get(column)) == _norm(want):
                right += 1
            else:
                findings.append(Finding(
                    (f"{unit}：底册“{COLUMN_NAMES[column][0]}”为 {row.get(column)}，"
                     f"普查表为 {want}",
                     f"{unit}: the register's “{COLUMN_NAMES[column][1]}” is "
                     f"{row.get(column)}, the form says {want}"),
                    where=f"register/{unit}/{column}"))
    if not total:
        return Result(1.0, applicable=False)
    return Result(right / total, tuple(findings))


@criterion("tally", ("快速汇总与普查表一致：户数、人数、出生、死亡",
                     "The quick tally adds up the forms: households, persons, births, deaths"))
def tally_agrees(evidence: Evidence) -> Result:
    """Share of the quick tally's figures that equal what the forms handed in add up to
    (every R601 the trainee filed, as the 复查 adds them up)."""
    if not evidence.forms_expected:
        return Result(0.0, applicable=False)
    records = list(evidence.filed.values())
    if evidence.tally is None:
        return Result(0.0, (Finding(("没有做快速汇总。", "The quick tally was not done."),
                                    where="tally"),))
    want = tally.from_forms(records)
    findings = []
    for name in tally.FIELDS:
        given = evidence.tally.get(name)
        if given != want[name]:
            label = tally.LABELS[name]
            findings.append(Finding((f"快速汇总“{label[0]}”为 {given}，普查表合计为 {want[name]}",
                                     f"Tally: {label[1]} is {given}; the forms add up to "
                                     f"{want[name]}"), where=f"tally/{name}"))
    return Result(1 - len(findings) / len(tally.FIELDS), tuple(findings))
