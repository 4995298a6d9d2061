"""The `hmt_form` criterion on the foreign-resident scenario: the true form scores full marks,
and each planted mistake is found by `hmt_form` alone, pointing at the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.config import project_root
from trainer.core.census import hmt
from trainer.core.grading.criteria import CRITERIA, Evidence, Result, evidence_of, score
from trainer.core.grading.forms import attempt_evidence
from trainer.core.interview.engine import Session, Step
from trainer.core.scenario import loader
from trainer.core.scenario.model import Scenario


@cache
def scenario() -> Scenario:
    return loader.load(project_root() / "scenarios" / "foreign-resident.yaml")


def session() -> Session:
    """Mr Kim met once, an appointment booked (the form's grading reads no visit events)."""
    visit = Session(scenario(), 7)
    visit.apply(Step("kim", "knock", datetime(2020, 11, 9, 19, 0)))
    for action in ("greet", "show_id", "use_interpreter", "book_appointment"):
        visit.apply(Step("kim", action))
    return visit


def truth() -> dict[str, Any]:
    return hmt.record_of(session().households["kim"].truth.household)


Edit = Callable[[dict[str, Any]], Any]


def evidence(edit: Edit | None = None) -> Evidence:
    """The attempt's evidence with Mr Kim's form exactly true and complete, then `edit`ed
    (the saved forms by unit)."""
    forms = {"kim": {"record": copy.deepcopy(truth()), "complete": True, "confirmed": False}}
    if edit is not None:
        edit(forms)
    return attempt_evidence(session(), {}, {}, hmt_forms=forms)


def results(evidence: Evidence) -> dict[str, Result]:
    return {name: fn(evidence) for name, fn in CRITERIA.items()}


def person(forms: dict[str, Any], index: int) -> dict[str, Any]:
    found: dict[str, Any] = forms["kim"]["record"]["persons"][index]
    return found


def test_the_true_form_scores_full_marks_and_the_rubric_names_the_criterion() -> None:
    graded = CRITERIA["hmt_form"](evidence())
    assert graded.applicable and graded.score == 1.0, graded.findings
    assert not graded.findings
    assert "hmt_form" in {c.name for c in scenario().rubric.criteria}
    assert score(evidence()).results["hmt_form"].score == 1.0


PLANTED: dict[str, tuple[Edit, str]] = {
    # mistake: (edit, where its findings point, space-separated; "-" for nowhere)
    "wife left out": (lambda f: f["kim"]["record"]["persons"].pop(1), "kim/persons"),
    "a visitor counted": (lambda f: f["kim"]["record"]["persons"].append(
        {**person(f, 1), "R1": "李访客", "R2": 9, "R7": 1, "R8": 1}), "kim/persons[2]"),
    "wrong purpose": (lambda f: person(f, 0).update(R7=1), "kim/persons[0]/R7"),
    "wrong length of stay": (lambda f: person(f, 1).update(R8=6), "kim/persons[1]/R8"),
    "wrong country": (lambda f: person(f, 0).update(R6="朝鲜"), "kim/persons[0]/R6"),
    "a foreigner coded as from Hong Kong": (lambda f: person(f, 0).update(R5=1, R6=None),
                                            "kim/persons[0]/R5 kim/persons[0]/R6"),
    "wrong employment": (lambda f: person(f, 1).update(R9=1), "kim/persons[1]/R9"),
    "wrong birth month": (lambda f: person(f, 1).update(R4="1990-01"), "kim/persons[1]/R4"),
    "wrong floor area": (lambda f: f["kim"]["record"].update(F3=999), "kim/F3"),
    "no form": (lambda f: f.pop("kim"), "register/kim"),
    "handed in as a draft with a blank item": (
        lambda f: (f["kim"].update(complete=False), person(f, 0).update(R7=None)),
        "kim kim/persons[0]/R7"),
}


@pytest.mark.parametrize("mistake", sorted(PLANTED))
def test_each_planted_mistake_is_found_by_hmt_form_alone(mistake: str) -> None:
    edit, where = PLANTED[mistake]
    before, after = results(evidence()), results(evidence(edit))
    differ = [name for name in CRITERIA
              if (before[name].score, before[name].applicable)
              != (after[name].score, after[name].applicable)]
    assert differ == ["hmt_form"], mistake
    graded = after["hmt_form"]
    assert graded.score < 1
    assert [f.where or "-" for f in graded.findings if not f.good] == where.split()


def test_a_person_in_another_order_is_matched_by_name() -> None:
    graded = CRITERIA["hmt_form"](evidence(lambda f: f["kim"]["record"]["persons"].reverse()))
    assert graded.score == 1.0 and not graded.findings


def test_a_name_typo_is_tolerated_with_a_note_at_the_field() -> None:
    graded = CRITERIA["hmt_form"](evidence(lambda f: person(f, 1).update(R1="朴智思")))
    assert graded.score == 1.0
    assert [(f.good, f.where) for f in graded.findings] == [(True, "kim/persons[1]/R1")]


def test_a_form_left_out_costs_every_item_of_the_household() -> None:
    graded = CRITERIA["hmt_form"](evidence(lambda f: f.pop("kim")))
    assert graded.score == 0
    assert graded.findings[0].text[1].endswith("2 persons left out")


def test_it_does_not_apply_without_forms_or_without_such_households() -> None:
    assert not CRITERIA["hmt_form"](evidence_of(session())).applicable  # the path bot
    other = loader.load(project_root() / "scenarios" / "cooperative-family.yaml")
    assert not CRITERIA["hmt_form"](attempt_evidence(Session(other, 1), {}, {})).applicable


@settings(max_examples=60, deadline=None)
@given(at=st.integers(0, 1), item=st.sampled_from(hmt.PERSON_ITEMS[1:]), pick=st.integers(0, 50))
def test_any_one_wrong_answer_is_one_finding_at_its_field(at: int, item: str, pick: int) -> None:
    want = truth()["persons"][at][item]
    options: list[Any] = ([code for code in hmt.CODES[item] if code != want]
                          if item in hmt.CODES else
                          ["1999-01", "1970-12"] if item == "R4" else ["日本", "美国"])
    given_value = options[pick % len(options)]
    graded = CRITERIA["hmt_form"](evidence(lambda f: person(f, at).update({item: given_value})))
    assert 0 < graded.score < 1
    assert [f.where for f in graded.findings] == [f"kim/persons[{at}]/{item}"]
