"""The register of household heads: the true register passes (library scenarios, generated
areas); broken rows fail their rule."""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.census.register import (
    CODE_SHAPE,
    phone_ok,
    self_code,
    self_reporting_allowed,
    truth_rows,
    validate,
)
from trainer.core.census.walk import walk_of
from trainer.core.grading.criteria import Evidence
from trainer.core.grading.forms import address
from trainer.core.scenario import loader
from trainer.core.scenario.households import TruthHousehold, build
from trainer.core.world.codes import Form, HouseholdType
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"


def library_registers():
    for path in sorted(LIBRARY.glob("*.yaml")):
        scenario = loader.load(path)
        truths = build(scenario, scenario.seed)
        units = [(unit, truths[unit]) for unit in scenario.assignment.units]
        yield path.stem, truth_rows(units, {})


def test_the_true_register_of_every_library_scenario_passes() -> None:
    checked = 0
    for name, rows in library_registers():
        assert list(validate(rows)) == [], name
        numbers = [r["number"] for r in rows.values() if r["status"] == "occupied"]
        assert numbers == list(range(1, len(numbers) + 1)), name
        checked += 1
    assert checked >= 15


def test_broken_rows_fail_their_rule() -> None:
    rows = {"a": {"building": 1, "unit": 101, "number": 1, "head": "甲", "status": "occupied",
                  "present": 2, "away": 0, "mode": "visit"},
            "b": {"building": 1, "unit": 102, "number": 1, "head": "乙", "status": "occupied",
                  "present": 1, "away": 0, "mode": "visit"},
            "c": {"building": 1, "unit": 103, "number": 5, "head": None, "status": "vacant",
                  "present": 0, "away": 0, "mode": None},
            "d": {"building": 1, "unit": 104, "number": 3, "head": None, "status": "all_died",
                  "present": 0, "away": 0, "mode": None}}
    issues = {(i.person, i.message) for i in validate(rows)}
    assert (1, "Household number %(number)s is used twice.") in issues
    assert (2, "A vacant unit has no household number.") in issues
    assert (3, "A whole-household death is numbered 999.") in issues


# The listing's own columns (户别, 长表户, the letter, phone, remarks, the self-reporting code).

SPEC = WorldSpec(grids=50)


@lru_cache(maxsize=16)
def area_units(seed: int, grid: int) -> tuple[tuple[str, TruthHousehold], ...]:
    """The households of a generated grid's first area as the register lists them, each with
    its building and unit number from the world."""
    made = make_grid(SPEC, seed, grid)
    units = []
    for number, household in made.area_households(made.areas[0]):
        plan = made.plans[household.index]
        if plan.unit is None:
            continue  # no housing of its own: not a unit of the register
        unit = made.units[plan.unit]
        kind = ("all_died" if household.all_died else
                "hmt_foreign" if any(p.form == Form.HMT_FOREIGN for p in household.persons)
                else "collective" if household.kind == HouseholdType.COLLECTIVE else "family")
        units.append((f"h{household.index}", TruthHousehold(
            f"h{household.index}", kind, household, made.buildings[unit.building].number,
            unit.number, number=number)))
    return tuple(units)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32), grid=st.integers(0, 49), choose=st.randoms())
def test_the_true_register_of_a_generated_area_passes(seed: int, grid: int,
                                                       choose: random.Random) -> None:
    units = area_units(seed, grid)
    foreign = {unit for unit, truth in units if truth.kind == "hmt_foreign"}
    rows = truth_rows(units, {})
    # any household allowed to report itself may have chosen to
    outcomes = {unit: "self_reporting" for unit, row in rows.items()
                if row["status"] == "occupied" and choose.random() < 0.3
                and self_reporting_allowed(row, unit in foreign)}
    rows = truth_rows(units, outcomes, key=f"{seed}:{grid}")
    assert list(validate(rows, foreign)) == []
    for unit, row in rows.items():
        assert (row["code"] is not None) == (unit in outcomes)
        if row["status"] == "occupied":
            assert row["letter"] is True and row["kind"] in ("family", "collective")
        else:
            assert row["head"] is None and row["kind"] is None


def a_row(**changes: object) -> dict[str, object]:
    row = {"building": 1, "unit": 101, "number": 1, "head": "甲", "status": "occupied",
           "present": 2, "away": 0, "mode": "visit", "kind": "family", "long_form": False,
           "letter": True, "phone": None, "remarks": None, "code": None}
    return {**row, **changes}


def rules(rows: dict[str, dict[str, object]], foreign: tuple[str, ...] = ()) -> set[tuple]:
    return {(issue.rule, issue.item) for issue in validate(rows, foreign)}


def test_self_reporting_needs_its_code_and_is_for_the_short_form_only() -> None:
    code = self_code("1:7", "a")
    assert rules({"a": a_row(mode="self", code=code)}) == set()
    assert rules({"a": a_row(mode="self")}) == {("code", "code")}
    assert rules({"a": a_row(mode="self", code="not-a-code")}) == {("code", "code")}
    for changes in ({"kind": "collective"}, {"long_form": True}):
        assert rules({"a": a_row(mode="self", code=code, **changes)}) == {
            ("self_not_allowed", "mode")}
    assert rules({"a": a_row(mode="self", code=code)}, foreign=("a",)) == {
        ("self_not_allowed", "mode")}
    assert rules({"a": a_row(kind=None)}) == {("required", "kind")}


def test_a_vacant_unit_has_no_head() -> None:
    vacant = a_row(status="vacant", number=None, head=None, mode=None, kind=None, letter=False)
    assert rules({"a": vacant}) == set()
    assert rules({"a": {**vacant, "head": "乙"}}) == {("head", "head")}


@pytest.mark.parametrize("phone", ["13812345678", "199 1234 5678", "0730-8123456",
                                   "010-12345678", "02112345678"])
def test_mainland_mobiles_and_landlines_are_phone_numbers(phone: str) -> None:
    assert phone_ok(phone)
    assert rules({"a": a_row(phone=phone)}) == set()


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "8123456",
                                   "0730-812345", "+1 415 555 0100", "电话", "0730-81234567890"])
def test_other_shapes_are_not(phone: str) -> None:
    assert not phone_ok(phone)
    assert rules({"a": a_row(phone=phone)}) == {("phone", "phone")}


@given(key=st.text(max_size=20), units=st.lists(st.text(min_size=1, max_size=12), min_size=2,
                                                 max_size=8, unique=True))
def test_a_code_is_the_same_each_time_well_formed_and_its_units_own(key: str,
                                                                     units: list[str]) -> None:
    codes = [self_code(key, unit) for unit in units]
    assert codes == [self_code(key, unit) for unit in units]
    assert all(CODE_SHAPE.fullmatch(code) for code in codes)
    assert len(set(codes)) == len(codes)


PICKED = """\
id: picked-walk
version: 1
title: {zh_CN: 摸底, en: Listing}
summary: {zh_CN: 摸底, en: Listing}
difficulty: 1
minutes: 5
objectives: [{zh_CN: 摸底, en: List}]
world:
  seed: 5
  households:
    - {id: family, pick: {grid: 0, kind: family, min_persons: 3}}
assignment:
  units: [family]
respondents:
  family: {dialogue: main}
dialogues:
  main:
    start: door
    nodes:
      door:
        says: {zh_CN: 你好, en: Hello}
        actions:
          - {do: show_id, end: completed}
rubric:
  criteria:
    - {criterion: outcome}
"""


def test_a_picked_household_is_listed_at_its_place_in_the_world() -> None:
    scenario = loader.parse(PICKED)
    truth = build(scenario, 5)["family"]
    grid = make_grid(WorldSpec(), 5, 0)
    unit = grid.units[grid.plans[truth.household.index].unit]
    building = grid.buildings[unit.building]
    assert (truth.building, truth.unit) == (building.number, unit.number)
    walk = walk_of(scenario, 5, {"family": truth}, ["family"])
    assert walk.from_world and walk.outline == tuple(grid.areas[building.area].outline)
    assert [b.number for b in walk.buildings if b.units] == [building.number]
    assert len(walk.buildings) == len(grid.areas[building.area].buildings)


def test_a_flat_picked_from_a_town_is_named_by_its_stairwell_and_door() -> None:
    town = PICKED.replace("  seed: 5\n", "  seed: 5\n  spec: {urban_share: 1.0}\n")
    scenario = loader.parse(town)
    truth = build(scenario, 5)["family"]
    grid = make_grid(WorldSpec(urban_share=1.0), 5, 0)
    unit = grid.units[grid.plans[truth.household.index].unit]
    assert unit.door and (truth.stairwell, truth.door) == (unit.stairwell, unit.door)
    # findings name it as the visit page does
    evidence = Evidence(scenario, (), {}, households={"family": truth})
    assert address(evidence, "family") == (
        f"{truth.building}栋{unit.stairwell}单元{unit.door}室",
        f"building {truth.building}, stairwell {unit.stairwell}, flat {unit.door}")


def test_written_households_walk_a_schematic_street_in_number_order() -> None:
    scenario = loader.load(LIBRARY / "tenants-landlord.yaml")
    truths = build(scenario, scenario.seed)
    units = list(scenario.assignment.units)
    walk = walk_of(scenario, scenario.seed, truths, units)
    assert not walk.from_world and walk.outline == ()
    assert [b.number for b in walk.buildings] == sorted({truths[u].building for u in units})
    assert sorted(u for b in walk.buildings for u in b.units) == sorted(units)
