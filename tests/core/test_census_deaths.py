"""The death form: generated deaths pass, each mutation fails its rule, H4 is cross-checked."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.census.deaths import age_at_death, check_against_households, validate_rows
from trainer.core.grading.census_forms_extra import death_row
from trainer.core.world.grid import make_grid
from trainer.core.world.people import Household
from trainer.core.world.spec import WorldSpec

SPEC = WorldSpec(grids=20)


def rows_of(number: int, household: Household) -> list[dict[str, Any]]:
    """The death-form rows of one household's true deaths, as the grading writes them."""
    return [death_row(d, number) for d in household.deaths]


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
    ["late", "before_birth", "no_name", "bad_sex", "h4", "age", "no_age", "han", "ethnicity"]))
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
    elif mutation == "age":  # a year too many or too few
        row["age"] += 1 if pick % 2 else -1
    elif mutation == "no_age":
        row["age"] = None
    elif mutation == "han":  # 族 left off
        row["ethnicity"] = row["ethnicity"].removesuffix("族")
    elif mutation == "ethnicity":
        row["ethnicity"] = "汉族人"
    rules = {i.rule for i in validate_rows(mutated)}
    if mutation == "h4":
        mutated.append(dict(row))
        rules = {i.rule for i in check_against_households(mutated, h4)}
    expected = {"late": "window", "before_birth": "order", "no_name": "required",
                "bad_sex": "code_range", "h4": "totals", "age": "age", "no_age": "required",
                "han": "code_range", "ethnicity": "code_range"}[mutation]
    assert expected in rules


def test_age_at_death_counts_completed_years_by_month() -> None:
    assert age_at_death((2008, 5), (2020, 5)) == 12
    assert age_at_death((2008, 6), (2020, 5)) == 11


def test_an_ethnicity_short_of_its_full_name_is_named() -> None:
    row = {"number": 1, "name": "刘德明", "sex": 1, "birth": "1938-03", "died": "2020-06",
           "age": 82, "ethnicity": "汉", "education": 3}
    (issue,) = validate_rows([row])
    assert (issue.item, issue.params) == ("ethnicity", {"name": "汉族"})
    (issue,) = validate_rows([{**row, "ethnicity": "火星族"}])
    assert (issue.item, issue.params) == ("ethnicity", {"value": "火星族"})
    assert list(validate_rows([{**row, "ethnicity": " 土家族 "}])) == []
