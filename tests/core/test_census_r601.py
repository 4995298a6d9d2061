"""R601 validation: the truth of every generated household passes; each mutation fails the rule
it breaks (hypothesis over seeds, grids and households)."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trainer.core.census.r601 import RULES, Severity, hard_errors, record_of, validate
from trainer.core.world.codes import Form
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

SPEC = WorldSpec(grids=50)


@lru_cache(maxsize=64)
def short_form_households(seed: int, grid: int) -> tuple[dict[str, Any], ...]:
    """Records of a grid's households that fill R601 (not the HMT/foreigner form)."""
    made = make_grid(SPEC, seed, grid)
    return tuple(record_of(h) for h in made.households()
                 if h.persons and all(p.form == Form.SHORT for p in h.persons))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32), grid=st.integers(0, 49))
def test_the_truth_of_every_generated_household_passes(seed: int, grid: int) -> None:
    for record in short_form_households(seed, grid):
        assert hard_errors(record) == [], record


def a_record(seed: int, grid: int, pick: int, want=lambda r: True) -> dict[str, Any]:
    records = [r for r in short_form_households(seed, grid) if want(r)]
    return copy.deepcopy(records[pick % len(records)])


def rules_broken(record: dict[str, Any]) -> set[str]:
    return {issue.rule for issue in hard_errors(record)}


# A few grids, many households: the grids are cached, the households picked among them.
households = st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 10_000))


@settings(max_examples=80, deadline=None)
@given(where=households, mutation=st.sampled_from([
    "blank_name", "bad_code", "bad_check_digit", "sex_vs_id", "birth_vs_id", "head_not_first",
    "two_heads", "h2_total", "h3_total", "housing_not_skipped", "d10_not_skipped",
    "education_under_3"]))
def test_a_mutated_household_fails_the_rule_it_breaks(where: tuple[int, int, int],
                                                       mutation: str) -> None:
    seed, grid, pick = where
    record = a_record(seed, grid, pick)
    persons = record["persons"]
    first = persons[0]
    expected = {
        "blank_name": "required", "bad_code": "code_range", "bad_check_digit": "id_number",
        "sex_vs_id": "id_number", "birth_vs_id": "id_number", "head_not_first": "head_first",
        "two_heads": "head_first", "h2_total": "totals", "h3_total": "totals",
        "housing_not_skipped": "skips", "d10_not_skipped": "skips",
        "education_under_3": "eligibility"}[mutation]
    if mutation == "blank_name":
        first["D1"] = ""
    elif mutation == "bad_code":
        first["D8"] = 7
    elif mutation in ("bad_check_digit", "sex_vs_id", "birth_vs_id"):
        assume(first["D3"] != "0" * 18)
        if mutation == "bad_check_digit":
            last = first["D3"][-1]
            first["D3"] = first["D3"][:-1] + ("0" if last != "0" else "1")
        elif mutation == "sex_vs_id":
            first["D4"] = 3 - first["D4"]
        else:
            year, month = first["D5"].split("-")
            first["D5"] = f"{year}-{int(month) % 12 + 1:02d}"
    elif mutation == "head_not_first":
        assume(len(persons) > 1)
        persons.reverse()
    elif mutation == "two_heads":
        assume(len(persons) > 1 and record["H1"] == 1)
        persons[1]["D2"] = 0
    elif mutation == "h2_total":
        record["H2a"] += 1
    elif mutation == "h3_total":
        record["H3m"] += 1
    elif mutation == "housing_not_skipped":
        assume(record["H5"] != 1)
        record["H6"] = 40
    elif mutation == "d10_not_skipped":
        never_left = [p for p in persons if p["D9"] == 1]
        assume(never_left)
        never_left[0]["D10"] = 1
    elif mutation == "education_under_3":
        infants = [p for p in persons if p["D11"] is None]
        assume(infants)
        infants[0]["D11"] = 2
    assert expected in rules_broken(record)


def test_every_rule_is_registered_and_documented() -> None:
    assert set(RULES) == {"required", "code_range", "id_number", "eligibility", "skips",
                          "head_first", "residence", "totals", "plausibility", "long_form"}
    assert all(fn.__doc__ for fn in RULES.values())


@pytest.mark.parametrize(("change", "item"), [
    ({"D3": "0" * 18}, "D3"),
    ({"D8": 3, "D9": 1, "D10": None}, "D9"),
    ({"D6": "汉"}, "D6"),
    ({"D6": "少数民族"}, "D6"),
    ({"D7": 7, "D8": 1, "D9": 9, "D10": 1}, "D7"),  # abroad ten years: settled there?
])
def test_soft_warnings_ask_for_confirmation_but_do_not_block(change: dict[str, Any],
                                                             item: str) -> None:
    record = a_record(2020, 0, 0, lambda r: r["persons"][0]["D3"] != "0" * 18)
    record["persons"][0].update(change)
    soft = [i for i in validate(record) if i.severity == Severity.SOFT and i.item == item]
    assert soft and soft[0].person == 0
    assert not [i for i in hard_errors(record) if i.item == item]


def test_a_whole_household_death_fills_only_h4() -> None:
    record = {"all_died": True, "H1": None, "H2a": None, "H2b": None, "H3m": None,
              "H3f": None, "H4m": 1, "H4f": 0, "H5": None, "H6": None, "H7": None,
              "persons": [], "deaths": [{"sex": 1, "birth": "1940-03", "died": "2020-06"}]}
    assert hard_errors(record) == []
    assert {i.item for i in hard_errors({**record, "H4m": 0})} == {"H4m"}
    # items typed before the unit became a 999 are kept in the record but not on its form
    assert hard_errors({**record, "H1": 7, "H2a": 3, "H6": -1}) == []
    # without the mark it is a household's form, and a household has persons
    unmarked = {key: value for key, value in record.items() if key != "all_died"}
    assert "head_first" in {i.rule for i in hard_errors(unmarked)}


def test_answers_of_the_wrong_type_are_errors_not_crashes() -> None:
    record = a_record(2020, 0, 0)
    record["H1"] = [1]
    record["persons"][0]["D2"] = {"x": 1}
    assert {i.rule for i in hard_errors(record)} >= {"code_range"}


@pytest.mark.parametrize(("written", "params"), [
    ("汉", {"name": "汉族"}), ("维吾尔", {"name": "维吾尔族"}), ("汉族人", {"value": "汉族人"}),
    (" 土家族 ", None), ("入籍", None), ("", None)])
def test_d6_is_the_full_name_of_an_ethnic_group(written: str, params: Any) -> None:
    record = a_record(2020, 0, 0)
    record["persons"][0]["D6"] = written
    found = [i.params for i in validate(record)
             if (i.rule, i.item, i.person) == ("plausibility", "D6", 0)]
    assert found == ([] if params is None else [params])
