"""The death form: generated deaths pass, each mutation fails its rule, H4 is cross-checked."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.census.deaths import age_at_death, check_against_households, validate_rows
from trainer.core.world.grid import make_grid
from trainer.core.world.people import Household
from trainer.core.world.spec import WorldSpec

SPEC = WorldSpec(grids=20)


def rows_of(number: int, household: Household) -> list[dict[str, Any]]:
    """The death-form rows of one household's true deaths."""
    return [{"number": number, "name": d.name, "sex": int(d.sex),
             "birth": f"{d.birth.year}-{d.birth.month:02d}",
             "died": f"{d.died.year}-{d.died.month:02d}", "ethnicity": d.ethnicity,
             "education": None if d.education is None else int(d.education)}
            for d in household.deaths]


@lru_cache(maxsize=16)
def grid_rows(seed: int, grid: int) -> tuple[tuple[dict[str, Any], ...], dict[int, tuple]]:
    made = make_grid(SPEC, seed, grid)
    rows: list[dict[str, Any]] = []
    h4: dict[int, tuple[int, int]] = {}
    for number, household in enumerate(made.households(), start=1):
        rows += rows_of(number, household)
        h4[number] = (household.deaths_of(1), household.deaths_of(2))
    return tuple(rows), h4


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 3), grid=st.integers(0, 3))
def test_the_true_deaths_of_a_grid_pass_and_match_h4(seed: int, grid: int) -> None:
    rows, h4 = grid_rows(seed, grid)
    assert rows, "a grid of about 400 households has deaths in the year"
    assert list(validate_rows(rows)) == []
    assert list(check_against_households(rows, h4)) == []


@settings(max_examples=30, deadline=None)
@given(pick=st.integers(0, 10_000), mutation=st.sampled_from(
    ["late", "before_birth", "no_name", "bad_sex", "h4"]))
def test_a_mutated_row_fails_its_rule(pick: int, mutation: str) -> None:
    rows, h4 = grid_rows(0, 0)
    mutated = [dict(row) for row in rows]
    row = mutated[pick % len(mutated)]
    if mutation == "late":
        row["died"] = "2020-11"
    elif mutation == "before_birth":
        row["died"], row["birth"] = "2020-01", "2020-05"
    elif mutation == "no_name":
        row["name"] = ""
    elif mutation == "bad_sex":
        row["sex"] = 3
    rules = {i.rule for i in validate_rows(mutated)}
    if mutation == "h4":
        mutated.append(dict(row))
        rules = {i.rule for i in check_against_households(mutated, h4)}
    expected = {"late": "window", "before_birth": "order", "no_name": "required",
                "bad_sex": "code_range", "h4": "totals"}[mutation]
    assert expected in rules


def test_age_at_death_counts_completed_years_by_month() -> None:
    assert age_at_death((2008, 5), (2020, 5)) == 12
    assert age_at_death((2008, 6), (2020, 5)) == 11
