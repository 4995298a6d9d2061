"""The long-form and death-form criteria: a perfect attempt scores full marks, and each
planted mistake is found by exactly its criterion, pointing at the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.census import long_form, tally
from trainer.core.grading.census_forms_extra import match_deaths, true_deaths
from trainer.core.grading.criteria import CRITERIA, Evidence, Result
from trainer.core.grading.forms import attempt_evidence
from trainer.core.interview.engine import Session, Step
from trainer.core.scenario import loader

SCENARIO = """\
id: extra-forms-test
version: 1
title: {zh_CN: 测试, en: Test}
summary: {zh_CN: 测试, en: Test}
difficulty: 1
minutes: 5
objectives: [{zh_CN: 测试, en: Test}]
world:
  seed: 7
  households:
    - id: home
      address: {building: 3, unit: 101}
      long_form: {H17: 2, H18: 900}
      persons:
        - {name: 张伟, relation: 0, sex: 1, birth: 1975-03-01}
        - {name: 刘芳, relation: 1, sex: 2, birth: 1977-06-09}
      deaths:
        - {name: 张德顺, relation: 3, sex: 1, birth: 1940-02-11, died: 2020-03-02}
    - id: other
      address: {building: 3, unit: 102}
      persons:
        - {name: 李强, relation: 0, sex: 1, birth: 1960-01-20}
    - id: gone
      kind: all_died
      address: {building: 3, unit: 201}
      deaths:
        - {name: 王秀兰, relation: 0, sex: 2, birth: 1931-08-05, died: 2019-12-20}
assignment:
  units: [home, other, gone]
  first_day: 2020-11-02
  days: 4
respondents:
  home: {dialogue: main, archetype: cooperative, availability: {weekday: [evening]}}
  other: {dialogue: main, archetype: cooperative, availability: {weekday: [evening]}}
  gone: {dialogue: main}
dialogues:
  main:
    start: door
    absent: nobody
    nodes:
      nobody:
        says: {zh_CN: （无人应答）, en: (No answer)}
        actions:
          - {do: leave_notice, end: nobody_home}
      door:
        says: {zh_CN: 谁呀？, en: "Who is it?"}
        actions:
          - {do: show_id}
          - {do: ask_item, item: H6}
          - {do: read_back, end: completed}
rubric:
  criteria:
    - {criterion: outcome}
    - {criterion: long_form}
    - {criterion: death_form}
"""

Edit = Callable[[dict[str, Any], list[dict[str, Any]]], Any]


def session() -> Session:
    scenario = loader.parse(SCENARIO)
    play = Session(scenario, scenario.seed)
    for hour, unit in ((19, "home"), (20, "other")):
        play.apply(Step(unit, "knock", datetime(2020, 11, 2, hour)))
        for action in ("show_id", "ask_item:H6", "read_back"):
            play.apply(Step(unit, action))
    return play


PLAY = session()


def evidence(edit: Edit | None = None) -> Evidence:
    """Every owed form, the register, the tally and the death form exactly true, then
    `edit`ed (forms by unit as saved entries, the death rows)."""
    base = attempt_evidence(PLAY, {}, {})
    forms = {unit: {"record": long_form.record_of(PLAY.households[unit].truth.household),
                    "complete": True} for unit in base.truth}
    rows = copy.deepcopy(true_deaths(base))
    if edit is not None:
        edit(forms, rows)
    sheet = tally.from_forms(entry["record"] for entry in forms.values())
    return attempt_evidence(PLAY, forms, base.register_truth, sheet,
                            deaths={"rows": rows, "complete": True})


def results(given_evidence: Evidence) -> dict[str, Result]:
    return {name: fn(given_evidence) for name, fn in CRITERIA.items()}


def changed(good: Evidence, bad: Evidence) -> dict[str, Result]:
    before, after = results(good), results(bad)
    return {name: after[name] for name in CRITERIA
            if (before[name].score, before[name].applicable)
            != (after[name].score, after[name].applicable)}


def _row(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(row for row in rows if row["name"] == name)


def test_the_truth_of_the_scenario_is_what_the_tests_plant_mistakes_in() -> None:
    base = evidence()
    assert base.forms["home"]["H17"] == 2 and base.forms["home"]["H18"] == 900
    assert "H8" not in base.forms["other"]  # not sampled: a short form
    assert [(row["number"], row["name"], row["education"] is not None)
            for row in base.deaths["rows"]] == [(1, "张德顺", True), (999, "王秀兰", True)]


def test_a_perfect_attempt_scores_full_marks_on_both_criteria() -> None:
    graded = results(evidence())
    for name in ("long_form", "death_form"):
        assert graded[name].applicable, name
        assert graded[name].score == 1.0, (name, graded[name].findings)
        assert not [f for f in graded[name].findings if not f.good]


PLANTED: dict[str, tuple[Edit, str, str]] = {
    # mistake: (edit, owning criterion, where its findings point, space-separated)
    "wrong cooking fuel": (lambda f, r: f["home"]["record"].update(H12=3), "long_form",
                           "home/H12"),
    "rent left out": (lambda f, r: f["home"]["record"].update(H18=None), "long_form",
                      "home/H18"),
    "lift in a walk-up": (lambda f, r: f["home"]["record"].update(H11=1), "long_form",
                          "home/H11"),
    "death left off": (lambda f, r: r.remove(_row(r, "王秀兰")), "death_form", "deaths"),
    "wrong month of death": (lambda f, r: _row(r, "张德顺").update(died="2020-04"),
                             "death_form", "deaths/rows[0]/died"),
    "wrong household number": (lambda f, r: _row(r, "王秀兰").update(number=2),
                               "death_form", "deaths/rows[1]/number"),
    "age at death a year off": (lambda f, r: _row(r, "张德顺").update(
        age=_row(r, "张德顺")["age"] + 1), "death_form", "deaths/rows[0]/age"),
    # a wrong year of birth with the age it gives: the birth's mistake alone
    "born a year early, aged as that gives": (lambda f, r: _row(r, "张德顺").update(
        birth=f"{int(_row(r, '张德顺')['birth'][:4]) - 1}{_row(r, '张德顺')['birth'][4:]}",
        age=_row(r, "张德顺")["age"] + 1), "death_form", "deaths/rows[0]/birth"),
    "education left blank": (lambda f, r: _row(r, "张德顺").update(education=None),
                             "death_form", "deaths/rows[0]/education"),
    "wrong sex": (lambda f, r: _row(r, "王秀兰").update(sex=1), "death_form",
                  "deaths/rows[1]/sex"),
    "a death after the standard time listed": (lambda f, r: r.append(
        {"number": 2, "name": "李大山", "sex": 1, "birth": "1938-05", "died": "2020-11",
         "age": 82, "ethnicity": "汉族", "education": 3}), "death_form", "deaths/rows[2]/died"),
    # the whole-household death's form (户编号 999): H4 only, and owed like any other form
    "999 form's H4 wrong": (lambda f, r: f["gone"]["record"].update(H4m=1, H4f=0),
                            "form_accuracy", "gone/H4m gone/H4f"),
    "999 form left out": (lambda f, r: f.pop("gone"), "coverage", "gone"),
    "a death of no one of the area listed": (lambda f, r: r.append(
        {"number": 2, "name": "李大山", "sex": 1, "birth": "1938-05", "died": "2020-05",
         "age": 82, "ethnicity": "汉族", "education": 3}), "death_form", "deaths/rows[2]"),
}


@pytest.mark.parametrize("mistake", sorted(PLANTED))
def test_each_planted_mistake_is_found_by_exactly_its_criterion(mistake: str) -> None:
    edit, owner, where = PLANTED[mistake]
    differ = changed(evidence(), evidence(edit))
    assert list(differ) == [owner], (mistake, {n: r.findings for n, r in differ.items()})
    assert differ[owner].score < 1
    assert [f.where for f in differ[owner].findings if not f.good] == where.split()


def test_a_homophone_in_a_name_is_tolerated_with_a_note() -> None:
    graded = results(evidence(lambda f, r: _row(r, "张德顺").update(name="张德顺")))
    assert graded["death_form"].score == 1.0
    typo = results(evidence(lambda f, r: _row(r, "张德顺").update(name="章德顺")))
    assert typo["death_form"].score == 1.0
    assert [f.where for f in typo["death_form"].findings if f.good] == ["deaths/rows[0]/name"]


def test_a_draft_with_a_blank_long_form_item_is_form_completeness_alone() -> None:
    def blank(f: dict[str, Any], r: list[dict[str, Any]]) -> None:
        f["home"]["complete"] = False
        f["home"]["record"]["H9"] = None

    differ = changed(evidence(), evidence(blank))
    assert list(differ) == ["form_completeness"]
    assert "home/H9" in [f.where for f in differ["form_completeness"].findings]


def test_nothing_to_judge_leaves_both_criteria_out() -> None:
    scenario = loader.parse(SCENARIO.replace("      long_form: {H17: 2, H18: 900}\n", "")
                            .replace("  gone: {dialogue: main}\n", "")
                            .replace("[home, other, gone]", "[home, other]"))
    play = Session(scenario, scenario.seed)
    graded = attempt_evidence(play, {}, {})
    assert not CRITERIA["long_form"](graded).applicable
    assert CRITERIA["death_form"](graded).applicable  # home's death is still owed
    assert CRITERIA["death_form"](graded).score == 0.0


@settings(max_examples=25, deadline=None)
@given(keep=st.lists(st.booleans(), min_size=2, max_size=2))
def test_each_death_left_off_costs_its_share(keep: list[bool]) -> None:
    def drop(f: dict[str, Any], r: list[dict[str, Any]]) -> None:
        r[:] = [row for row, kept in zip(list(r), keep, strict=True) if kept]

    result = CRITERIA["death_form"](evidence(drop))
    assert result.score == sum(keep) / 2
    assert len([f for f in result.findings if f.where == "deaths"]) == keep.count(False)


def test_a_household_number_wrong_in_the_register_costs_the_death_form_nothing() -> None:
    good = evidence()
    register = copy.deepcopy(good.register)
    register["home"]["number"], register["other"]["number"] = 2, 1  # swapped in the register
    rows = copy.deepcopy(good.deaths["rows"])
    _row(rows, "张德顺")["number"] = 2  # the death form agrees with the trainee's register
    bad = attempt_evidence(PLAY, {u: {"record": r, "complete": True}
                                  for u, r in good.forms.items()},
                           register, good.tally, deaths={"rows": rows, "complete": True})
    differ = changed(good, bad)
    assert "death_form" not in differ, differ.get("death_form")  # was counted twice
    assert differ["register_accuracy"].score < 1


def test_unnamed_rows_go_to_their_own_households_deaths_when_two_share_the_dates() -> None:
    """Two girls born and died in March 2020, in households 2 and 5, both rows misnamed: each
    row is paired with its own household's death (by sex and months, then 户编号), never
    crosswise, whatever the rows' order."""
    truth = [{"name": "未取名", "number": n, "sex": 2, "birth": "2020-03", "died": "2020-03"}
             for n in (2, 5)]
    rows = [{**truth[1], "name": "女婴"}, {**truth[0], "name": "李家女儿"}]
    assert match_deaths(rows, truth) == ([(0, 1), (1, 0)], [], [])
    assert match_deaths(rows[::-1], truth) == ([(0, 0), (1, 1)], [], [])
    # no household number agrees: still paired by the months, not left out and added
    stray = [{**truth[0], "name": "女婴", "number": 9}]
    assert match_deaths(stray, truth) == ([(0, 0)], [1], [])
