"""The around-the-standard-time scenario teaches what it says: the grandmother who died on
4 November is a living person on the form, the grandfather who died in March is H4 and the
death form's, the grandson born on 6 November is nobody's. Each of the three classic
mistakes is found, by the criterion the scenario's feedback names."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.core.test_grading_extra_forms import changed
from trainer.config import project_root
from trainer.core.census import r601, tally
from trainer.core.grading.census_forms_extra import true_deaths
from trainer.core.grading.criteria import CRITERIA, Evidence
from trainer.core.grading.forms import attempt_evidence
from trainer.core.interview.engine import Session, Step
from trainer.core.scenario import loader
from trainer.core.scenario.model import Scenario

SCENARIO = loader.load(project_root() / "scenarios" / "around-the-standard-time.yaml")
THE_VISIT = ("show_id", "explain_purpose", "explain_legal_basis", "promise_confidentiality",
             "ask_item:roster", "probe:deaths", "probe:births", "read_back")


def visit(scenario: Scenario, unit: str, at: datetime, actions: tuple[str, ...]) -> Session:
    """A scenario played with its own seed: a knock at `unit` at `at`, then `actions`."""
    play = Session(scenario, scenario.seed)
    play.apply(Step(unit, "knock", at))
    for action in actions:
        play.apply(Step(unit, action))
    return play


def played(actions: tuple[str, ...] = THE_VISIT) -> Session:
    return visit(SCENARIO, "zhou", datetime(2020, 11, 9, 10), actions)


PLAY = played()
Edit = Callable[[dict[str, Any], list[dict[str, Any]]], Any]


def evidence(edit: Edit | None = None) -> Evidence:
    """The form, register, tally and death form exactly true, then `edit`ed (the R601
    record, the death rows)."""
    base = attempt_evidence(PLAY, {}, {})
    record = r601.record_of(PLAY.households["zhou"].truth.household)
    rows = copy.deepcopy(true_deaths(base))
    if edit is not None:
        edit(record, rows)
    return attempt_evidence(PLAY, {"zhou": {"record": record, "complete": True}},
                            base.register_truth, tally.from_forms([record]),
                            deaths={"rows": rows, "complete": True})


def test_the_truth_is_as_of_the_standard_time() -> None:
    record = r601.record_of(PLAY.households["zhou"].truth.household)
    names = [person["D1"] for person in record["persons"]]
    assert "刘桂英" in names and len(names) == 5  # died 11-04: alive at the standard time
    assert (record["H3m"], record["H3f"], record["H4m"], record["H4f"]) == (0, 0, 1, 0)
    [row] = true_deaths(attempt_evidence(PLAY, {}, {}))
    assert (row["name"], row["died"], row["age"]) == ("周德福", "2020-03", 89)
    assert PLAY.households["zhou"].outcome == "completed"
    assert PLAY.households["zhou"].disclosed == {"grandparents", "grandson"}


def test_the_right_paperwork_scores_full_marks() -> None:
    graded = {name: CRITERIA[name](evidence()) for name in (
        "coverage", "form_accuracy", "death_form", "tally", "consistency")}
    for name, result in graded.items():
        assert result.applicable and result.score == 1.0, (name, result.findings)


def _grandma_as_a_death(record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    grandma = next(p for p in record["persons"] if p["D1"] == "刘桂英")
    record["persons"].remove(grandma)
    record["H2a"] -= 1
    record["H4f"] = 1
    rows.append({**rows[0], "name": "刘桂英", "sex": 2, "birth": "1934-07", "died": "2020-11",
                 "age": 86, "education": 1})


def _grandson_counted(record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    record["persons"].append({**record["persons"][3], "D1": "周小宝", "D2": 7, "D3": None,
                              "D5": "2020-11", "D8": 5, "D11": None, "D12": None})
    record["H2a"] += 1
    record["H3m"] = 1


def _grandfather_left_off(record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    record["H4m"] = 0
    rows.clear()


MISTAKES: dict[str, tuple[Edit, set[str]]] = {
    # she is left off the form, counted in H4 and listed on the death form
    "the grandmother as a death": (_grandma_as_a_death,
                                   {"coverage", "form_accuracy", "death_form"}),
    # the baby born on 6 November put on the form and in H3
    "the grandson counted": (_grandson_counted, {"coverage", "form_accuracy"}),
    # the March death not in H4 nor on the death form
    "the grandfather left off": (_grandfather_left_off, {"form_accuracy", "death_form"}),
}


def assert_costs(right: Evidence, wrong: Evidence, owners: set[str]) -> None:
    """The mistake (`wrong` against `right`) lowers the score of each criterion in `owners`."""
    differ = changed(right, wrong)
    assert set(differ) >= owners, {n: r.findings for n, r in differ.items()}
    assert all(differ[name].score < 1 for name in owners)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_classic_mistake_costs_what_the_feedback_says(mistake: str) -> None:
    edit, owners = MISTAKES[mistake]
    assert_costs(evidence(), evidence(edit), owners)


def test_the_grandmother_on_the_death_form_is_told_she_died_after_the_window() -> None:
    result = CRITERIA["death_form"](evidence(_grandma_as_a_death))
    texts = [finding.text[0] for finding in result.findings if not finding.good]
    assert any("刘桂英 不在2019年11月1日至2020年10月31日期间死亡" in text for text in texts), texts


def test_a_visit_without_the_probes_never_hears_of_the_grandmother() -> None:
    """Without a probe for deaths she stays off the roster the family gives, so a form
    written from the answers misses her (coverage's finding) and the facts are not out."""
    play = played(tuple(a for a in THE_VISIT if not a.startswith("probe")))
    assert not play.households["zhou"].disclosed
    assert "刘桂英" not in [person.name for person in play.reported_persons("zhou")]
    assert "刘桂英" in [person.name for person in PLAY.reported_persons("zhou")]


def test_h4_counts_the_grandfather_only_once_deaths_are_probed() -> None:
    """Asked H4 before any probe, the family counts no death: the March death is the fact the
    deaths probe brings out (version 2; version 1 answered it unasked, so nothing taught the
    probe)."""
    unasked = played(tuple(a for a in THE_VISIT if not a.startswith("probe")))
    assert unasked.answer("zhou", "H4") == "男 0 女 0"
    assert "周德福" not in (unasked.answer("zhou", "H4") or "")
    assert PLAY.answer("zhou", "H4") == "男 1 女 0"
