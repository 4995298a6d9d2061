"""The listing criterion on crafted evidence: a perfect listing scores full marks, each planted
listing mistake is found by `listing` alone, pointing at its register row, and the mistakes
other criteria own leave it alone."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from trainer.core.census import register, tally
from trainer.core.grading.criteria import CRITERIA, Evidence, Result
from trainer.core.grading.forms import attempt_evidence
from trainer.core.interview.engine import Session, Step
from trainer.core.scenario import loader

SCENARIO = """\
id: listing-test
version: 1
title: {zh_CN: 测试, en: Test}
summary: {zh_CN: 测试, en: Test}
difficulty: 1
minutes: 5
objectives: [{zh_CN: 测试, en: Test}]
world:
  seed: 11
  households:
    - id: plain
      address: {building: 1, unit: 101, street: 建设路}
      persons:
        - {name: 张伟, relation: 0, sex: 1, birth: 1975-03-01}
        - {name: 刘芳, relation: 1, sex: 2, birth: 1977-06-09}
    - id: selfish
      address: {building: 1, unit: 102, street: 建设路}
      persons:
        - {name: 李强, relation: 0, sex: 1, birth: 1960-01-20}
    - id: dorm
      kind: collective
      address: {building: 2, unit: 1, street: 建设路}
      persons:
        - {name: 王磊, relation: 0, sex: 1, birth: 1990-02-02}
        - {name: 赵军, relation: 9, sex: 1, birth: 1992-04-04}
    - id: empty
      kind: vacant
      address: {building: 2, unit: 2, street: 建设路}
assignment:
  units: [plain, selfish, dorm, empty]
  first_day: 2020-11-02
  days: 6
  max_visits: 3
respondents:
  plain: {dialogue: main, archetype: cooperative, home_probability: 1,
          availability: {weekday: [evening], weekend: [evening]}}
  selfish: {dialogue: main, archetype: cooperative, home_probability: 1,
            availability: {weekday: [evening], weekend: [evening]}}
  dorm: {dialogue: main, archetype: cooperative, home_probability: 1,
         availability: {weekday: [evening], weekend: [evening]}}
  empty: {dialogue: main}
dialogues:
  main:
    start: door
    absent: nobody
    nodes:
      nobody:
        says: {zh_CN: （无人应答）, en: (No answer)}
        actions:
          - {do: ask_neighbour, goto: neighbour}
      neighbour:
        speaker: proxy
        says: {zh_CN: 邻居开门了。, en: The neighbour opens.}
        actions:
          - {do: record_vacant, end: vacant}
      door:
        says: {zh_CN: 谁呀？, en: "Who is it?"}
        actions:
          - {do: show_id}
          - {do: explain_purpose}
          - {do: explain_legal_basis}
          - {do: promise_confidentiality}
          - {do: offer_self_report, end: self_reporting}
          - {do: ask_item, item: roster}
          - {do: read_back, end: completed}
rubric:
  pass: 60
  criteria:
    - {criterion: outcome}
    - {criterion: listing}
"""

INTERVIEW = ("show_id", "explain_purpose", "explain_legal_basis", "promise_confidentiality",
             "ask_item:roster", "read_back")
KEY = "attempt-key"
Edit = Callable[[dict[str, Any]], None]


def session() -> Session:
    scenario = loader.parse(SCENARIO)
    played = Session(scenario, scenario.seed)
    for unit, hour, actions in (("empty", 17, ("ask_neighbour", "record_vacant")),
                                ("plain", 18, INTERVIEW), ("dorm", 19, INTERVIEW),
                                ("selfish", 20, ("show_id", "offer_self_report"))):
        played.apply(Step(unit, "knock", datetime(2020, 11, 2, hour)))
        for action in actions:
            played.apply(Step(unit, action))
    return played


def evidence(edit: Edit | None = None) -> Evidence:
    """Every owed form and the register exactly true (the self-reporting household with its
    code), then the register `edit`ed."""
    played = session()
    base = attempt_evidence(played, {}, {})
    forms = {unit: {"record": copy.deepcopy(dict(record)), "complete": True}
             for unit, record in base.truth.items()}
    rows = copy.deepcopy({unit: dict(row) for unit, row in base.register_truth.items()})
    rows["selfish"]["code"] = register.self_code(KEY, "selfish")
    if edit is not None:
        edit(rows)
    sheet = tally.from_forms(entry["record"] for entry in forms.values())
    return attempt_evidence(played, forms, rows, sheet)


def results(given: Evidence) -> dict[str, Result]:
    return {name: fn(given) for name, fn in CRITERIA.items()}


def changed(good: Evidence, bad: Evidence) -> dict[str, Result]:
    before, after = results(good), results(bad)
    return {name: after[name] for name in CRITERIA
            if (before[name].score, before[name].applicable)
            != (after[name].score, after[name].applicable)}


def test_the_scenario_plays_as_meant() -> None:
    truth = evidence().register_truth
    assert truth["selfish"]["mode"] == "self" and truth["plain"]["mode"] == "visit"
    assert truth["dorm"]["kind"] == "collective" and truth["plain"]["kind"] == "family"
    assert truth["empty"]["status"] == "vacant" and not truth["empty"]["letter"]


def test_a_perfect_listing_scores_full_marks() -> None:
    result = CRITERIA["listing"](evidence())
    assert result.applicable and result.score == 1.0 and result.findings == ()
    assert not CRITERIA["listing"](replace(evidence(), forms_expected=False)).applicable


PLANTED: dict[str, tuple[Edit, str]] = {
    "no letter for a household": (lambda r: r["plain"].update(letter=False),
                                  "register/plain/letter"),
    "a collective household listed as a family": (lambda r: r["dorm"].update(kind="family"),
                                                  "register/dorm/kind"),
    "household type left blank": (lambda r: r["plain"].update(kind=None),
                                  "register/plain/kind"),
    "marked long-form by mistake": (lambda r: r["plain"].update(long_form=True),
                                    "register/plain/long_form"),
    "self-reporting without its code": (lambda r: r["selfish"].update(code=None),
                                        "register/selfish/code"),
}


@pytest.mark.parametrize("mistake", sorted(PLANTED))
def test_each_planted_listing_mistake_is_found_by_listing_alone(mistake: str) -> None:
    edit, where = PLANTED[mistake]
    differ = changed(evidence(), evidence(edit))
    assert list(differ) == ["listing"], (mistake, {n: r.findings for n, r in differ.items()})
    assert differ["listing"].score < 1
    assert [f.where for f in differ["listing"].findings] == [where]


def test_a_household_let_report_itself_though_sampled_for_the_long_form_is_found() -> None:
    good = evidence(lambda r: r["selfish"].update(long_form=True))
    truth = {**good.register_truth, "selfish": {**good.register_truth["selfish"],
                                                "long_form": True}}
    result = CRITERIA["listing"](replace(good, register_truth=truth))
    assert [f.where for f in result.findings] == ["register/selfish/mode"]
    assert "long-form" in result.findings[0].text[1]


def test_mistakes_other_criteria_own_leave_listing_alone() -> None:
    # a unit left out or given the wrong status is coverage's, a wrong mode register_accuracy's
    for edit in (lambda r: r.pop("plain"), lambda r: r["plain"].update(status="vacant"),
                 lambda r: r["plain"].update(mode="self", code=register.self_code(KEY, "p"))):
        assert "listing" not in changed(evidence(), evidence(edit))


def test_an_empty_register_leaves_listing_and_register_accuracy_not_applicable() -> None:
    # no row at all: the listing columns have nothing to judge, the missing rows are coverage's
    empty = results(evidence(lambda r: r.clear()))
    assert not empty["listing"].applicable and not empty["register_accuracy"].applicable
    assert empty["listing"].findings == () and empty["register_accuracy"].findings == ()
    assert empty["coverage"].applicable and empty["coverage"].score < 1
    assert [f.where for f in empty["coverage"].findings] == [
        f"register/{unit}/status" for unit in ("plain", "selfish", "dorm", "empty")]
    one_row = results(evidence(lambda r: [r.pop(u) for u in ("plain", "selfish", "dorm")]))
    assert one_row["register_accuracy"].applicable and one_row["listing"].applicable
