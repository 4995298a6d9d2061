"""The whole-household death's form (户编号 999, "only H4 is filled", domain file §1.4): its
checks, its place in the quick tally and in the 复查 against the death form."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.test_census_recheck import consistent_work, some_records
from trainer.config import project_root
from trainer.core.census import r601, tally
from trainer.core.census.r601 import Severity
from trainer.core.census.recheck import recheck
from trainer.core.scenario.households import build
from trainer.core.scenario.loader import load
from trainer.core.scenario.loader import parse as load_text


def died(male: int, female: int) -> dict:
    """A 999 household's form and its rows on the death form (without the number)."""
    rows = ([{"sex": 1, "birth": "1938-03", "died": "2020-06"}] * male
            + [{"sex": 2, "birth": "1941-09", "died": "2020-02"}] * female)
    return {"all_died": True, "H4m": male, "H4f": female, "persons": [],
            "deaths": copy.deepcopy(rows)}


def issues(record: dict) -> list[tuple[str, str, str]]:
    return [(i.rule, i.item, i.severity) for i in r601.validate(record)]


def test_a_999_form_asks_h4_only_and_checks_it_against_its_deaths() -> None:
    assert issues(died(1, 0)) == []  # no H1, H2 or person is asked of it
    assert issues({**died(1, 0), "H4m": None}) == [("required", "H4m", Severity.HARD)]
    assert issues({**died(1, 0), "H4m": 0}) == [("required", "H4m", Severity.HARD),
                                                ("totals", "H4m", Severity.HARD)]
    assert ("totals", "H4f", Severity.HARD) in issues({**died(1, 0), "H4f": 1})
    # several 999 households share the number on the death form: no rows to check by
    unknown = {key: value for key, value in died(1, 0).items() if key != "deaths"}
    assert issues({**unknown, "H4f": 2}) == []
    # a household form with no person is still refused: only a 999 form has none
    assert ("head_first", "D2", Severity.HARD) in issues(
        {key: value for key, value in unknown.items() if key != "all_died"})


def test_the_truth_of_a_whole_household_death_is_a_999_form_that_passes() -> None:
    scenario = load(project_root() / "scenarios" / "whole-household-death.yaml")
    household = build(scenario, scenario.seed)["liu"].household
    record = r601.record_of(household)
    assert r601.all_died(record) and record["H4m"] == 1 and record["persons"] == []
    assert r601.validate(record) == []


def test_a_999_form_adds_its_deaths_to_the_tally_but_no_household() -> None:
    households = [{"H2a": 3, "H2b": 1, "H3m": 1, "H3f": 0, "H4m": 0, "H4f": 1,
                   "persons": [{}] * 4}]
    assert tally.from_forms([*households, died(1, 2)]) == {
        "households": 1, "present": 3, "away": 1, "total": 4, "births": 1, "deaths": 4}


def with_999(work: dict, deaths: list[tuple[int, int]]) -> dict:
    """The work with whole-household deaths added: register rows numbered 999, their forms
    and their death rows, the tally again."""
    for index, (male, female) in enumerate(deaths):
        unit = f"gone{index}"
        record = died(male, female)
        work["units"].append(unit)
        work["outcomes"][unit] = "nobody_home"
        work["forms"][unit] = {"record": record, "complete": True, "confirmed": True}
        work["register"][unit] = {"building": 9, "unit": index + 1, "number": 999,
                                  "status": "all_died", "head": None, "present": None,
                                  "away": None}
        work["death_form"]["rows"] += [{**row, "number": 999} for row in record["deaths"]]
        if len(deaths) > 1:  # several 999 forms' deaths are not told apart (with_death_rows)
            del record["deaths"]
    work["tally_sheet"] = tally.from_forms(e["record"] for e in work["forms"].values())
    return work


whole_deaths = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)).filter(any),
                        min_size=1, max_size=3)


@settings(max_examples=30, deadline=None)
@given(where=st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 10_000),
                       st.integers(1, 5)), deaths=whole_deaths, pick=st.integers(0, 10))
def test_the_999_forms_h4_add_up_against_the_rows_numbered_999(
        where: tuple[int, int, int, int], deaths: list[tuple[int, int]], pick: int) -> None:
    work = with_999(consistent_work(some_records(*where)), deaths)
    assert recheck(**work) == []
    # one more death in one 999 form's H4 than the death form has: the 999 forms together
    # against the rows numbered 999, one finding (the form's own totals check says the same)
    unit = f"gone{pick % len(deaths)}"
    work["forms"][unit]["record"]["H4m"] += 1
    work["tally_sheet"] = tally.from_forms(e["record"] for e in work["forms"].values())
    found = [(f.group, f.where, f.params.get("number"), f.params.get("sex"))
             for f in recheck(**work)]
    assert found == [("deaths", "gone0/H4m", 999, "男")]


@settings(max_examples=20, deadline=None)
@given(where=st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 10_000),
                       st.integers(1, 5)), deaths=whole_deaths, opens=st.booleans())
def test_a_999_row_of_the_register_without_its_form_is_found(
        where: tuple[int, int, int, int], deaths: list[tuple[int, int]], opens: bool) -> None:
    work = with_999(consistent_work(some_records(*where)), deaths)
    del work["forms"]["gone0"]
    if len(deaths) == 1:  # no 999 form at all: its rows wait for one, unchecked
        work["death_form"]["rows"] = [row for row in work["death_form"]["rows"]
                                      if row["number"] != 999]
    work["tally_sheet"] = tally.from_forms(e["record"] for e in work["forms"].values())
    found = recheck(**work, opens=["gone0"] if opens else [])
    assert (found[0].group, found[0].where, found[0].unit) == (
        "forms", "gone0" if opens else "forms", "gone0")
    assert found[0].message == ("The register lists a whole-household death (999) but its "
                                "form (H4 only) has not been started.")
    # with other 999 forms, theirs no longer add up to the rows numbered 999: a finding for
    # each sex the missing form had deaths of
    sexes = [sex for sex, count in zip(("男", "女"), deaths[0], strict=True) if count]
    assert [(f.group, f.params.get("number"), f.params.get("sex"))
            for f in recheck(**work)[1:]] == ([("deaths", 999, sex) for sex in sexes]
                                              if len(deaths) > 1 else [])


def test_a_scenario_writes_a_deaths_ethnicity_and_education() -> None:
    """What the neighbour tells of the deceased (汉族, 小学) is the truth the death form is
    graded by, whatever the seed; written or not, the other draws are the same."""
    scenario = load(project_root() / "scenarios" / "whole-household-death.yaml")
    for seed in (1, 2, 3, 2020):
        [death] = build(scenario, seed)["liu"].household.deaths
        assert (death.ethnicity, int(death.education or 0)) == ("汉族", 3)
    text = (project_root() / "scenarios" / "whole-household-death.yaml").read_text("utf-8")
    unwritten = load_text(text.replace(", ethnicity: 汉族,\n           education: 3}", "}"))
    for seed in (1, 2):
        written = build(scenario, seed)["liu"].household.deaths[0]
        drawn = build(unwritten, seed)["liu"].household.deaths[0]
        assert drawn.id_number == written.id_number and drawn.name == written.name
