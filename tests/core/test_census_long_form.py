"""The long form's housing items H8-H18: every sampled household's truth passes, each mutation
fails its own rule at its item, a short form is left alone, and scenarios can mark one."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.config import project_root
from trainer.core.census import long_form
from trainer.core.census.r601 import RULES, Severity, hard_errors, validate
from trainer.core.scenario import households, loader
from trainer.core.world.codes import Form
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

SPEC = WorldSpec(grids=50)


@lru_cache(maxsize=64)
def sampled_records(seed: int, grid: int) -> tuple[dict[str, Any], ...]:
    """Truth records of a grid's households sampled for the long form."""
    made = make_grid(SPEC, seed, grid)
    return tuple(long_form.record_of(h) for h in made.households()
                 if h.long_form and all(p.form == Form.SHORT for p in h.persons))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32), grid=st.integers(0, 49))
def test_the_truth_of_every_sampled_household_passes(seed: int, grid: int) -> None:
    records = sampled_records(seed, grid)
    assert records, "about one family in ten is sampled"
    for record in records:
        assert long_form.sampled(record)
        assert set(long_form.ITEMS) <= record.keys()
        assert hard_errors(record) == [], record
        assert not [i for i in validate(record) if i.item in long_form.ITEMS]


def _rented(record: dict[str, Any]) -> bool:
    return record["H17"] in long_form.RENTED


# mutation: (change, whom it applies to (None: anyone), rule broken, item it points at)
MUTATIONS: dict[str, tuple[dict[str, Any], Any, str, str]] = {
    "structure left blank": ({"H9": None}, None, "required", "H9"),
    "fuel not a code": ({"H12": 9}, None, "code_range", "H12"),
    "year built a string": ({"H10": "1990"}, None, "code_range", "H10"),
    "rent left out by a renter": ({"H18": None}, _rented, "required", "H18"),
    "rent of an owner": ({"H17": 3, "H18": 700}, None, "skips", "H18"),
    "negative rent": ({"H17": 2, "H18": -5}, None, "code_range", "H18"),
    "lift in a one-storey house": ({"H8": 1, "H11": 1}, None, "plausibility", "H11"),
    "housing items of collective quarters": ({"H5": 2, "H6": None, "H7": None}, None, "skips",
                                             "H8"),
}


@settings(max_examples=60, deadline=None)
@given(where=st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 10_000)),
       mutation=st.sampled_from(sorted(MUTATIONS)))
def test_a_mutated_long_form_fails_the_rule_it_breaks(where: tuple[int, int, int],
                                                      mutation: str) -> None:
    seed, grid, pick = where
    change, whom, rule, item = MUTATIONS[mutation]
    records = [r for r in sampled_records(seed, grid) if whom is None or whom(r)]
    if not records:
        return  # no renter in this grid: nothing to mutate
    record = copy.deepcopy(records[pick % len(records)])
    record.update(change)
    hard = hard_errors(record)
    assert (rule, item) in {(i.rule, i.item) for i in hard}, hard
    assert {i.rule for i in hard} == {rule}, hard  # nothing else is wrong with it


def test_a_tall_building_without_a_lift_asks_for_a_confirmation() -> None:
    record = copy.deepcopy(sampled_records(1, 0)[0])
    record.update(H8=3, H11=2)
    soft = [i for i in validate(record) if i.severity == Severity.SOFT and i.item == "H11"]
    assert soft and not [i for i in hard_errors(record) if i.item == "H11"]


def test_a_short_form_is_not_judged_by_the_long_form() -> None:
    record = {key: value for key, value in sampled_records(1, 0)[0].items()
              if key not in long_form.ITEMS}
    assert not long_form.sampled(record)
    assert list(RULES["long_form"](record)) == []
    assert RULES["long_form"].__doc__


@pytest.mark.parametrize(("given_items", "expected"), [
    (None, {**long_form.TYPICAL}),
    ({"H17": 2}, {**long_form.TYPICAL, "H17": 2, "H18": 800}),
    ({"H17": 1, "H18": 300}, {**long_form.TYPICAL, "H17": 1, "H18": 300}),
    ({"H17": 4, "H18": 300}, {**long_form.TYPICAL, "H17": 4}),  # an owner pays no rent
])
def test_a_written_household_answers_a_typical_flat_unless_told(given_items, expected) -> None:
    assert long_form.written(given_items) == expected


def test_a_library_scenario_samples_a_household_and_its_truth_passes() -> None:
    scenario = loader.load(project_root() / "scenarios" / "hukou-elsewhere.yaml")
    truth = households.build(scenario, scenario.seed)["liu"].household
    assert truth is not None and truth.long_form
    record = long_form.record_of(truth)
    assert record["H17"] == 2 and record["H18"] == 1100 and record["H13"] == 1
    assert hard_errors(record) == []
    assert "long_form" in {c.name for c in scenario.rubric.criteria}


def test_the_answers_read_as_the_respondent_gives_them() -> None:
    said = long_form.answers({"H8": 2, "H17": 2, "H18": 1100, "H11": None})
    assert said == [(("H8 住房所在建筑物层数", "H8 Height of the building"),
                     ("2 多层（7层及以下）", "2 Up to 7 floors")),
                    (("H17 住房来源", "H17 How the dwelling was obtained"),
                     ("2 租赁其他住房", "2 Rented, other")),
                    (("H18 月租房费用（元）", "H18 Monthly rent (yuan)"),
                     ("1100 元", "1100 yuan"))]
