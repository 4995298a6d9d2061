"""The newborn-who-died scenario teaches what it says: a baby girl born alive in March who
died three days later, unnamed, counts in H3 and in H4, is no person on the form, and has a
death-form row named 未取名, 0 years old, without education. She is heard of only when births
or deaths are asked about, and the second of those probes is answered as the same baby. Each
classic mistake is found by the criterion the scenario's feedback names; a row for her under
another name is her row with a wrong name, not a death left out and another added."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.core.test_around_the_standard_time import assert_costs, visit
from trainer.config import project_root
from trainer.core.census import r601, tally
from trainer.core.grading.census_forms_extra import true_deaths
from trainer.core.grading.criteria import CRITERIA, Evidence
from trainer.core.grading.forms import attempt_evidence
from trainer.core.interview.engine import Session
from trainer.core.scenario import loader

SCENARIO = loader.load(project_root() / "scenarios" / "newborn-who-died.yaml")
THE_VISIT = ("show_id", "explain_purpose", "promise_confidentiality", "ask_item:roster",
             "probe:births", "probe:deaths", "read_back")


def played(actions: tuple[str, ...] = THE_VISIT) -> Session:
    return visit(SCENARIO, "li", datetime(2020, 11, 6, 19), actions)


PLAY = played()
Edit = Callable[[dict[str, Any], list[dict[str, Any]]], Any]


def evidence(edit: Edit | None = None) -> Evidence:
    """The form, register, tally and death form exactly true, then `edit`ed (the R601
    record, the death rows)."""
    base = attempt_evidence(PLAY, {}, {})
    record = r601.record_of(PLAY.households["li"].truth.household)
    rows = copy.deepcopy(true_deaths(base))
    if edit is not None:
        edit(record, rows)
    return attempt_evidence(PLAY, {"li": {"record": record, "complete": True}},
                            base.register_truth, tally.from_forms([record]),
                            deaths={"rows": rows, "complete": True})


def test_the_baby_is_a_birth_and_a_death_and_no_person() -> None:
    record = r601.record_of(PLAY.households["li"].truth.household)
    assert [person["D1"] for person in record["persons"]] == ["李俊", "陈静", "王秀兰"]
    assert (record["H2a"], record["H3m"], record["H3f"], record["H4m"], record["H4f"]) == (
        3, 0, 1, 0, 1)
    assert r601.validate(record) == []
    [row] = true_deaths(attempt_evidence(PLAY, {}, {}))
    assert (row["name"], row["birth"], row["died"], row["age"], row["education"]) == (
        "未取名", "2020-03", "2020-03", 0, None)
    assert PLAY.households["li"].outcome == "completed"


def test_the_right_paperwork_scores_full_marks() -> None:
    for name in ("coverage", "form_accuracy", "death_form", "tally", "consistency",
                 "disclosure"):
        result = CRITERIA[name](evidence())
        assert result.applicable and result.score == 1.0, (name, result.findings)


def _baby_as_a_person(record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    record["persons"].append({**record["persons"][1], "D1": "未取名", "D2": 2,
                              "D3": "0" * 18, "D5": "2020-03", "D8": 5, "D9": None,
                              "D10": None, "D11": None, "D12": None})
    record["H2a"] = 4
    record["H4f"] = 0
    rows.clear()


def _only_a_death(record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    record["H3f"] = 0  # a baby who died taken for no birth


def _only_a_birth(record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    record["H4f"] = 0
    rows.clear()


def _age_one(record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    rows[0]["age"] = 1  # counted in nominal years (虚岁), not completed ones


def _education_written(record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    rows[0]["education"] = 1


MISTAKES: dict[str, tuple[Edit, set[str]]] = {
    "the baby registered as a living person": (_baby_as_a_person,
                                               {"coverage", "form_accuracy", "death_form"}),
    "the baby not counted as a birth": (_only_a_death, {"form_accuracy"}),
    "the baby left off H4 and the death form": (_only_a_birth, {"form_accuracy", "death_form"}),
    "the age at death in nominal years": (_age_one, {"death_form"}),
    "education written for a baby": (_education_written, {"death_form"}),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_classic_mistake_costs_what_the_feedback_says(mistake: str) -> None:
    edit, owners = MISTAKES[mistake]
    assert_costs(evidence(), evidence(edit), owners)


def test_a_row_under_another_name_is_her_row_with_the_name_wrong() -> None:
    def named(record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        rows[0]["name"] = "李俊之女"

    result = CRITERIA["death_form"](evidence(named))
    texts = [finding.text[0] for finding in result.findings if not finding.good]
    assert texts == ["死亡人口调查表：未取名 的姓名不正确（应为 未取名）"]
    assert result.score == pytest.approx(1 - 1 / 8)


def test_the_baby_is_told_of_at_the_first_probe_and_the_second_is_the_same_baby() -> None:
    unasked = played(tuple(a for a in THE_VISIT if not a.startswith("probe")))
    assert not unasked.households["li"].disclosed
    assert "陈静" in unasked.answer("li", "roster")
    # until she is told of, H3 and H4 count no baby (the fact hides her death too)
    assert unasked.answer("li", "H3") == unasked.answer("li", "H4") == "男 0 女 0"
    assert PLAY.answer("li", "H3") == PLAY.answer("li", "H4") == "男 0 女 1"
    births, deaths = (next(e for e in PLAY.events if e.action == f"probe:{topic}")
                      for topic in ("births", "deaths"))
    assert births.disclosed == ("baby",) and births.says is not None
    assert "3月2号" in births.says[0] and "5 March" in births.says[1]
    assert deaths.disclosed == ()
    assert deaths.says == ("“就是那个妹子。”", '"Only that little girl."')  # no "nothing more"
    # asked the other way round, the deaths probe tells her story and births adds nothing
    reverse = played(("show_id", "ask_item:roster", "probe:deaths", "probe:births"))
    first, second = (e for e in reverse.events if (e.action or "").startswith("probe:"))
    assert first.disclosed == ("baby",) and "3月5号" in first.says[0]
    assert second.says is not None and "没有了" not in second.says[0]
