"""The HMT/foreign form: the truth of every generated household of that form passes; each
mutation fails the rule it breaks (hypothesis over seeds and households)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trainer.core.census import hmt
from trainer.core.census.r601 import Severity
from trainer.core.world import regions
from trainer.core.world.codes import Form
from trainer.core.world.people import Context, make_hmt_foreign_household
from trainer.core.world.spec import Rates

COUNTY = regions.county("430602")


def household(seed: int, index: int, urban: bool = True) -> Any:
    return make_hmt_foreign_household(Context(seed, 0, COUNTY, urban, Rates()), index)


def rules_broken(record: dict[str, Any]) -> set[str]:
    return {issue.rule for issue in hmt.hard_errors(record)}


generated = st.tuples(st.integers(0, 2**32), st.integers(0, 10_000), st.booleans())


@settings(max_examples=300, deadline=None)
@given(where=generated)
def test_the_truth_of_every_generated_household_passes(where: tuple[int, int, bool]) -> None:
    made = household(*where)
    record = hmt.record_of(made)
    assert hmt.hard_errors(record) == [], record
    assert len(record["persons"]) == len(made.persons) >= 1
    assert all(p.form == Form.HMT_FOREIGN for p in made.persons)
    soft = [issue for issue in hmt.validate(record) if issue.severity == Severity.SOFT]
    # the only warning the truth may raise: a short stay on business or for another purpose
    assert {issue.rule for issue in soft} <= {"short_stay"}
    for issue in soft:
        person = record["persons"][issue.person]
        assert person["R8"] == 1 and person["R7"] in (1, 6)


@settings(max_examples=150, deadline=None)
@given(where=generated, mutation=st.sampled_from([
    "blank_name", "blank_purpose", "bad_code", "bad_month", "born_after", "head_not_first",
    "two_heads", "no_persons", "area_not_skipped", "country_for_hk", "no_country",
    "blank_area", "employment_under_15", "blank_employment"]))
def test_a_mutated_household_fails_the_rule_it_breaks(where: tuple[int, int, bool],
                                                       mutation: str) -> None:
    record = copy.deepcopy(hmt.record_of(household(*where)))
    persons = record["persons"]
    first = persons[0]
    expected = {
        "blank_name": "required", "blank_purpose": "required", "bad_code": "code_range",
        "bad_month": "code_range", "born_after": "eligibility", "head_not_first": "head_first",
        "two_heads": "head_first", "no_persons": "head_first", "area_not_skipped": "skips",
        "country_for_hk": "skips", "no_country": "required", "blank_area": "required",
        "employment_under_15": "eligibility", "blank_employment": "required"}[mutation]
    if mutation == "blank_name":
        first["R1"] = ""
    elif mutation == "blank_purpose":
        first["R7"] = None
    elif mutation == "bad_code":
        first["R8"] = 7
    elif mutation == "bad_month":
        first["R4"] = "1988/04"
    elif mutation == "born_after":
        first["R4"] = "2020-11"
    elif mutation == "head_not_first":
        assume(len(persons) > 1)
        persons.reverse()
    elif mutation == "two_heads":
        assume(len(persons) > 1)
        persons[1]["R2"] = 0
    elif mutation == "no_persons":
        record["persons"] = []
    elif mutation == "area_not_skipped":
        record["F2"] = 2
    elif mutation == "country_for_hk":
        assume(first["R5"] != hmt.FOREIGNER)
        first["R6"] = "英国"
    elif mutation == "no_country":
        assume(first["R5"] == hmt.FOREIGNER)
        first["R6"] = None
    elif mutation == "blank_area":
        record["F3"] = None
    elif mutation == "employment_under_15":
        child = next((p for p in persons if p["R9"] is None), None)
        assume(child is not None)
        child["R9"] = 2
    else:
        first["R9"] = None
    assert expected in rules_broken(record), (mutation, record)


def test_every_rule_is_registered_and_documented() -> None:
    assert set(hmt.RULES) == {"required", "code_range", "eligibility", "skips", "head_first",
                              "short_stay"}
    assert all(fn.__doc__ for fn in hmt.RULES.values())


def record(**persons_changes: Any) -> dict[str, Any]:
    person = {"R1": "金敏俊", "R2": 0, "R3": 1, "R4": "1988-04", "R5": 4, "R6": "韩国",
              "R7": 2, "R8": 5, "R9": 1, **persons_changes}
    return {"F1": 1, "F2": 1, "F3": 90, "F4": 2, "persons": [person]}


@pytest.mark.parametrize("purpose", [1, 6])
def test_a_short_business_or_other_stay_asks_for_a_confirmation(purpose: int) -> None:
    issues = hmt.validate(record(R7=purpose, R8=1))
    assert [(i.rule, i.severity, i.item, i.person) for i in issues] == [
        ("short_stay", Severity.SOFT, "R8", 0)]
    assert issues[0].params == {"name": "金敏俊"}


@pytest.mark.parametrize("change", [{"R7": 2, "R8": 1}, {"R7": 1, "R8": 2},
                                    {"R7": 3, "R8": 1}])
def test_a_short_stay_to_work_or_study_or_a_longer_one_is_counted_without_question(
        change: dict[str, Any]) -> None:
    assert hmt.validate(record(**change)) == []


def test_a_dwelling_other_than_ordinary_skips_area_and_rooms() -> None:
    skipped = {**record(), "F2": 2, "F3": None, "F4": None}
    assert hmt.validate(skipped) == []
    assert {(i.rule, i.item) for i in hmt.validate({**skipped, "F4": 3})} == {("skips", "F4")}


@pytest.mark.parametrize("bad", ["x", 3.5, [], {"a": 1}, -1, 10_000])
def test_answers_of_the_wrong_type_are_errors_not_crashes(bad: Any) -> None:
    for where in ("F1", "F3"):
        assert "code_range" in rules_broken({**record(), where: bad})
    assert "code_range" in rules_broken(record(R5=bad))
    assert "code_range" in rules_broken(record(R4=str(bad)))


def test_the_written_scenario_truth_codes_purpose_stay_and_employment() -> None:
    from trainer.config import project_root
    from trainer.core.scenario import households, loader

    scenario = loader.load(project_root() / "scenarios" / "foreign-resident.yaml")
    kim = households.build(scenario, 1)["kim"]
    assert kim.kind == "hmt_foreign"
    truth = hmt.record_of(kim.household)
    assert [(p["R1"], p["R5"], p["R6"], p["R7"], p["R8"], p["R9"])
            for p in truth["persons"]] == [("金敏俊", 4, "韩国", 2, 5, 1),
                                           ("朴智恩", 4, "韩国", 3, 4, 2)]
    assert hmt.validate(truth) == []
