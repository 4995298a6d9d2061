"""The register of household heads: the true register passes; broken rows fail their rule."""

from __future__ import annotations

from pathlib import Path

from trainer.core.census.register import truth_rows, validate
from trainer.core.scenario import loader
from trainer.core.scenario.households import build

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
