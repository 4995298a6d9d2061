"""The map criteria of the rubric (`core.grading.maps`) on crafted evidence: a perfect map of the
area with the true register scores full marks; each planted mistake is found by the one
criterion that owns it; a scenario without a map, or a path with no attempt behind it, leaves
them not applicable; a map never drawn scores 0 with a finding. Also the scenario's `map`
option and the pick's `area` and `number`."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.config import project_root
from trainer.core.grading.criteria import CRITERIA, Evidence, Result, evidence_of, score, score_data
from trainer.core.grading.forms import attempt_evidence, register_truth
from trainer.core.grading.maps import NOT_DRAWN, RUBRIC_NAMES, map_truth
from trainer.core.interview.engine import Session
from trainer.core.maps import true_drawing
from trainer.core.scenario import loader
from trainer.core.scenario.households import build

TEXT = (project_root() / "scenarios" / "village-map.yaml").read_text(encoding="utf-8")
SCENARIO = loader.parse(TEXT, "village-map.yaml")


def evidence(seed: int = 2020, *, drawing: Any = "perfect",
             rows: dict[str, dict[str, Any]] | None = None) -> Evidence:
    session = Session(SCENARIO, seed)
    truth = map_truth(SCENARIO, seed)
    assert truth is not None
    drawn = true_drawing(truth) if drawing == "perfect" else drawing
    register = register_truth(session) if rows is None else rows
    return attempt_evidence(session, {}, register, map_drawing=drawn)


def results(found: Evidence) -> dict[str, Result]:
    return {name: CRITERIA[name](found) for name in RUBRIC_NAMES}


def codes(result: Result) -> list[str]:
    return [f.map["code"] for f in result.findings if f.map]


def test_the_scenario_names_its_map_area_and_picks_every_household_of_it() -> None:
    spec = SCENARIO.assignment.map
    assert spec is not None and (spec.grid, spec.area, spec.rule) == (0, 0, "serpentine")
    truths = build(SCENARIO, 2020)
    assert [truths[u].number for u in SCENARIO.assignment.units] == [1, 2, 3]
    truth = map_truth(SCENARIO, 2020)
    assert truth is not None and truth.household_total == 3 and truth.building_total == 3


def test_a_perfect_map_with_the_true_register_scores_full_marks() -> None:
    for name, result in results(evidence()).items():
        assert result.applicable, name
        assert result.score == 1.0, (name, [f.text for f in result.findings])
        assert not [f for f in result.findings if not f.good], name


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_in_every_world_of_the_scenario_the_perfect_map_scores_full(seed: int) -> None:
    assert all(r.score == 1.0 for r in results(evidence(seed)).values())


def test_a_register_row_whose_building_is_not_on_the_map_is_numbering_s_alone() -> None:
    session = Session(SCENARIO, 2020)
    rows = copy.deepcopy(register_truth(session))
    rows["third"]["building"] = 7  # still three buildings and three households in all
    perfect, planted = results(evidence()), results(evidence(rows=rows))
    changed = [name for name in RUBRIC_NAMES if planted[name] != perfect[name]]
    assert changed == ["map_numbering"]
    assert planted["map_numbering"].score < 1.0
    assert "register_building_not_on_map" in codes(planted["map_numbering"])
    assert "building_not_in_register" in codes(planted["map_numbering"])
    stray = next(f for f in planted["map_numbering"].findings
                 if f.map and f.map["code"] == "building_not_in_register")
    assert stray.map["feature"] is not None and stray.map["params"]["number"] == 3


@settings(max_examples=25, deadline=None)
@given(unit=st.sampled_from(["first", "second", "third"]),
       building=st.integers(min_value=4, max_value=99_999))
def test_any_row_moved_to_a_building_off_the_map_is_numbering_s_alone(unit: str,
                                                                       building: int) -> None:
    rows = copy.deepcopy(register_truth(Session(SCENARIO, 2020)))
    rows[unit]["building"] = building
    perfect, planted = results(evidence()), results(evidence(rows=rows))
    assert [name for name in RUBRIC_NAMES if planted[name] != perfect[name]] == ["map_numbering"]
    missing = [f for f in planted["map_numbering"].findings
               if f.map and f.map["code"] == "register_building_not_on_map"]
    assert [f.map["params"]["number"] for f in missing] == [building]


def test_totals_unequal_to_the_register_are_found_by_the_elements_alone() -> None:
    truth = map_truth(SCENARIO, 2020)
    assert truth is not None
    drawing = true_drawing(truth)
    drawing["properties"]["household_total"] = 2
    perfect, planted = results(evidence()), results(evidence(drawing=drawing))
    changed = [name for name in RUBRIC_NAMES if planted[name] != perfect[name]]
    assert changed == ["map_elements"]
    assert codes(planted["map_elements"]) == ["household_total_wrong"]
    assert planted["map_elements"].findings[0].map["params"] == {"given": 2, "expected": 3}


def test_a_missing_building_mark_is_found_by_coverage_pointing_at_the_building() -> None:
    truth = map_truth(SCENARIO, 2020)
    assert truth is not None
    drawing = true_drawing(truth)
    drawing["features"] = [f for f in drawing["features"]
                           if (f["properties"]["kind"], f["properties"].get("number"))
                           != ("building", 2)]
    found = results(evidence(drawing=drawing))
    assert found["map_coverage"].score < 1.0
    missed = [f for f in found["map_coverage"].findings if f.map]
    assert missed and missed[0].map["building"] == 2 and missed[0].map["at"] is not None


@pytest.mark.parametrize("drawing", [None, {"type": "FeatureCollection", "features": []},
                                     {"type": "FeatureCollection", "properties": {},
                                      "features": []}])
def test_a_map_never_drawn_scores_nothing_with_one_clear_finding(drawing: Any) -> None:
    for result in results(evidence(drawing=drawing)).values():
        assert result.applicable and result.score == 0.0
        assert [f.text for f in result.findings] == [NOT_DRAWN]


def test_without_a_map_or_without_an_attempt_the_criteria_do_not_apply() -> None:
    no_map = replace(SCENARIO, assignment=replace(SCENARIO.assignment, map=None))
    session = Session(no_map, 2020)
    found = attempt_evidence(session, {}, register_truth(session), map_drawing={"x": 1})
    assert not any(r.applicable for r in results(found).values())
    bot = evidence_of(Session(SCENARIO, 2020))  # a path of the bot: no map handed in
    assert not any(r.applicable for r in results(bot).values())


def test_map_findings_are_stored_with_their_map_data_and_others_keep_their_shape() -> None:
    session = Session(SCENARIO, 2020)
    rows = copy.deepcopy(register_truth(session))
    rows["third"]["building"] = 7
    data = score_data(score(attempt_evidence(session, {}, rows, map_drawing=true_drawing(
        map_truth(SCENARIO, 2020)))), "test")  # type: ignore[arg-type]
    numbering = data["criteria"]["map_numbering"]["findings"]
    assert numbering and all("map" in f for f in numbering)
    assert all("map" not in f for name, result in data["criteria"].items()
               if name not in RUBRIC_NAMES for f in result["findings"])


def test_grading_the_same_map_again_gives_the_same_data() -> None:
    first = score_data(score(evidence()), "test")
    assert score_data(score(evidence()), "test") == first


BROKEN = TEXT.replace("  map: {rule: serpentine}", "  map: {rule: spiral}")


def test_an_unknown_numbering_rule_is_a_located_error() -> None:
    with pytest.raises(loader.ScenarioInvalid) as caught:
        loader.parse(BROKEN, "broken.yaml")
    assert any(e.path == "assignment.map.rule" for e in caught.value.errors)


def test_a_map_needs_every_unit_picked_from_one_area() -> None:
    text = TEXT.replace("pick: {grid: 0, area: 0, number: 3}", "pick: {grid: 0, number: 3}")
    with pytest.raises(loader.ScenarioInvalid) as caught:
        loader.parse(text, "no-area.yaml")
    assert any(e.path == "assignment.map" for e in caught.value.errors)
    other = TEXT.replace("pick: {grid: 0, area: 0, number: 3}", "pick: {grid: 0, area: 1}")
    with pytest.raises(loader.ScenarioInvalid):
        loader.parse(other, "two-areas.yaml")


def test_a_pick_s_number_must_exist_in_its_area() -> None:
    text = TEXT.replace("number: 3}", "number: 9}")
    scenario = loader.parse(text, "nine.yaml")
    with pytest.raises(Exception, match="matches the pick"):
        build(scenario, 5)
