"""The 复查 of a trainee's own work: forms, register, tally and death form written from generated
households' truth agree with each other (no finding); one planted inconsistency gives exactly
its own finding, pointing at the place to fix it."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trainer.core.census import tally
from trainer.core.census.r601 import Severity, record_of
from trainer.core.census.recheck import CROSS_CHECKED, disagreements, head_of, recheck
from trainer.core.world.codes import Form
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

SPEC = WorldSpec(grids=50)


@lru_cache(maxsize=32)
def short_form_records(seed: int, grid: int) -> tuple[dict[str, Any], ...]:
    """Records of a grid's households that fill R601."""
    made = make_grid(SPEC, seed, grid)
    return tuple(record_of(h) for h in made.households()
                 if h.persons and all(p.form == Form.SHORT for p in h.persons))


def consistent_work(records: list[dict[str, Any]]) -> dict[str, Any]:
    """An attempt's own work written from the records: every form complete and confirmed,
    a register numbered 1..n that agrees with them, their tally and their death form."""
    units = [f"u{index}" for index in range(len(records))]
    register = {unit: {"building": 1, "unit": index + 1, "number": index + 1,
                       "head": head_of(record), "status": "occupied",
                       "present": record["H2a"], "away": record["H2b"], "mode": "visit",
                       "kind": "family" if record["H1"] == 1 else "collective"}
                for index, (unit, record) in enumerate(zip(units, records, strict=True))}
    deaths = [{**death, "number": index + 1} for index, record in enumerate(records)
              for death in record["deaths"]]
    return {"units": units, "outcomes": dict.fromkeys(units, "completed"),
            "forms": {unit: {"record": record, "complete": True, "confirmed": True}
                      for unit, record in zip(units, records, strict=True)},
            "register": register, "tally_sheet": tally.from_forms(records),
            "death_form": {"rows": deaths, "complete": True}}


def some_records(seed: int, grid: int, start: int, count: int) -> list[dict[str, Any]]:
    records = short_form_records(seed, grid)
    return copy.deepcopy([records[(start + i) % len(records)] for i in range(count)])


work = st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 10_000),
                 st.integers(1, 8))


@settings(max_examples=30, deadline=None)
@given(where=work)
def test_work_written_from_the_truth_has_no_finding(where: tuple[int, int, int, int]) -> None:
    assert recheck(**consistent_work(some_records(*where))) == []


def plant(mutation: str, work: dict[str, Any], pick: int) -> str:
    """Plant one inconsistency; the `where` of the finding it must give."""
    units = work["units"]
    unit = units[pick % len(units)]
    row, entry = work["register"][unit], work["forms"][unit]
    if mutation == "register_head":
        row["head"] = (row["head"] or "") + "甲"
        return f"register/{unit}/head"
    if mutation == "register_present":
        row["present"] += 1
        return f"register/{unit}/present"
    if mutation == "register_away":
        row["away"] += 2
        return f"register/{unit}/away"
    if mutation == "draft":
        entry["complete"] = False
        return unit
    if mutation == "number_skipped":
        last = units[-1]
        work["register"][last]["number"] += 1
        return f"register/{last}/number"
    if mutation == "number_repeated":
        last = units[-1]
        work["register"][last]["number"] -= 1
        return f"register/{last}/number"
    if mutation == "tally_births":
        work["tally_sheet"]["births"] += 1
        return "tally/births"
    if mutation == "tally_households":
        work["tally_sheet"]["households"] -= 1
        return "tally/households"
    if mutation == "death_row_missing":
        rows = work["death_form"]["rows"]
        removed = rows.pop(pick % len(rows))
        home = units[removed["number"] - 1]
        return f"{home}/{'H4m' if removed['sex'] == 1 else 'H4f'}"
    if mutation == "form_error":
        entry["record"]["persons"][0]["D2"] = 1  # the first person is not the head
        # ... and the register's head is no longer the form's head (the form has none)
        return f"{unit}/persons[0]/D2"
    raise AssertionError(mutation)


@settings(max_examples=80, deadline=None)
@given(where=work, pick=st.integers(0, 100), mutation=st.sampled_from([
    "register_head", "register_present", "register_away", "draft", "number_skipped",
    "number_repeated", "tally_births", "tally_households", "death_row_missing"]))
def test_one_planted_inconsistency_gives_exactly_its_finding(
        where: tuple[int, int, int, int], pick: int, mutation: str) -> None:
    records = some_records(*where)
    if mutation == "number_repeated":  # the number it takes must have no death rows either
        assume(len(records) >= 2 and not records[-2]["deaths"])
    if mutation == "death_row_missing":
        assume(any(record["deaths"] for record in records))
    if mutation in ("number_skipped", "number_repeated"):
        assume(records and not records[-1]["deaths"])  # else its death rows lose their number
    work = consistent_work(records)
    expected = plant(mutation, work, pick)
    findings = recheck(**work)
    assert [finding.where for finding in findings] == [expected], findings


def test_a_broken_form_is_listed_with_its_rule_and_the_register_disagrees() -> None:
    work = consistent_work(some_records(0, 0, 0, 3))
    expected = plant("form_error", work, 1)
    found = {(f.group, f.where) for f in recheck(**work)}
    assert ("forms", expected) in found
    assert ("register", "register/u1/head") in found  # the form has no head any more


def test_an_interviewed_household_without_a_form_and_the_tally_not_done() -> None:
    work = consistent_work(some_records(1, 1, 5, 3))
    del work["forms"]["u2"]
    work["tally_sheet"] = None
    work["outcomes"]["u1"] = "refused"
    findings = recheck(**work)
    assert [(f.group, f.where) for f in findings] == [("forms", "u2"), ("tally", "tally")]
    del work["forms"]["u1"]  # refused, but the register still lists it occupied: by design
    assert [(f.group, f.where) for f in recheck(**work)] == [
        ("forms", "u2"), ("forms", "forms"), ("tally", "tally")]
    work["register"]["u1"]["status"] = "vacant"  # ... and listed otherwise, none is owed
    assert ("forms", "forms") not in [(f.group, f.where) for f in recheck(**work)]


def test_unconfirmed_warnings_are_listed_confirmed_ones_are_not() -> None:
    work = consistent_work(some_records(2, 2, 0, 2))
    record = work["forms"]["u0"]["record"]
    record["persons"][0]["D3"] = "0" * 18  # no ID number: a warning to confirm
    work["forms"]["u0"]["confirmed"] = False
    findings = recheck(**work)
    assert {(f.where, f.severity) for f in findings} >= {("u0/persons[0]/D3", Severity.SOFT)}
    assert all(f.severity == Severity.SOFT for f in findings)
    work["forms"]["u0"]["confirmed"] = True
    assert recheck(**work) == []


def test_a_self_reported_household_is_tallied_from_its_register_row() -> None:
    work = consistent_work(some_records(3, 3, 7, 3))
    record = work["forms"].pop("u2")["record"]
    work["outcomes"]["u2"] = "self_reporting"
    work["register"]["u2"].update(mode="self", kind="family", code="ABCDEFGHJK")
    work["tally_sheet"]["births"] -= record["H3m"] + record["H3f"]  # not known without a form
    work["tally_sheet"]["deaths"] -= record["H4m"] + record["H4f"]
    work["death_form"]["rows"] = [r for r in work["death_form"]["rows"] if r["number"] != 3]
    assert recheck(**work) == []


def test_the_register_and_the_tally_checked_without_forms_or_death_form() -> None:
    work = consistent_work(some_records(0, 1, 2, 2))
    work["register"]["u1"]["status"] = "vacant"
    work["death_form"] = None
    found = [(f.group, f.where) for f in recheck(**work)]
    assert ("register", "register/u1/number") in found  # a vacant unit has no number
    assert ("register", "register/u1/status") in found  # ... and its form lists persons


def test_disagreements_compare_head_and_counts_only() -> None:
    record = {"H2a": 2, "H2b": 1, "persons": [{"D1": "王芳", "D2": 0}, {"D1": "李雷", "D2": 1},
                                             {"D1": "王小", "D2": 2}]}
    row = {"head": " 王芳 ", "present": 2, "away": 1, "building": 99}
    assert disagreements(row, record) == []
    assert disagreements({**row, "head": "李雷", "away": None}, record) == [
        ("head", "李雷", "王芳"), ("away", None, 1)]
    assert set(CROSS_CHECKED) == {"head", "present", "away"}


@settings(max_examples=40, deadline=None)
@given(where=work, pick=st.integers(0, 100), opens=st.booleans(),
       outcome=st.sampled_from(["not_visited", "nobody_home", "refused", "appointment"]))
def test_a_listed_household_with_no_form_begun_is_found(
        where: tuple[int, int, int, int], pick: int, opens: bool, outcome: str) -> None:
    records = some_records(*where)
    assume(not any(record["deaths"] for record in records))  # its death rows stay checked
    work = consistent_work(records)
    unit = work["units"][pick % len(records)]
    record = work["forms"].pop(unit)["record"]
    work["outcomes"][unit] = outcome
    work["tally_sheet"] = tally.from_forms(e["record"] for e in work["forms"].values())
    findings = recheck(**work, opens=[unit] if opens else [])
    assert [(f.group, f.where, f.unit) for f in findings] == [
        ("forms", unit if opens else "forms", unit)]
    assert findings[0].params == {"count": record["H2a"]}
    for row in ({"mode": "self", "code": "ABCDEFGHJK"}, {"status": "vacant", "number": None}):
        work["register"][unit].update(row)  # reporting itself, or listed vacant: no form due
        assert "forms" not in {f.group for f in recheck(**work, opens=[unit])}


def _deaths_as_the_app_keeps_them(work: dict[str, Any]) -> None:
    """Each form's "deaths" as the application keeps them: the death form's rows of the
    household's 户编号 (`services.with_death_rows`), none before the death form is begun."""
    rows = (work["death_form"] or {}).get("rows") or []
    for unit in work["units"]:
        number = work["register"][unit]["number"]
        work["forms"][unit]["record"]["deaths"] = [
            {"sex": r["sex"], "birth": r["birth"], "died": r["died"]}
            for r in rows if r["number"] == number]


@settings(max_examples=30, deadline=None)
@given(where=work, pick=st.integers(0, 100), begun=st.booleans())
def test_one_h4_mismatch_is_one_finding_of_the_deaths_group(
        where: tuple[int, int, int, int], pick: int, begun: bool) -> None:
    """A death row left off (or the death form not begun) disagrees with H4 once: the
    deaths group reports it, the form's own totals check does not report it again."""
    records = some_records(*where)
    home = records[pick % len(records)]  # a death of the year in one household at least
    home["deaths"].append({"sex": 2, "birth": "1944-09", "died": "2020-02"})
    home["H4f"] += 1
    work = consistent_work(records)
    _deaths_as_the_app_keeps_them(work)
    assert recheck(**work) == []
    if begun:
        expected = plant("death_row_missing", work, pick)
    else:
        work["death_form"] = None
        expected = None
    _deaths_as_the_app_keeps_them(work)
    findings = recheck(**work)
    homes = {unit for unit in work["units"] if work["forms"][unit]["record"]["H4m"]
             or work["forms"][unit]["record"]["H4f"]}
    assert {f.group for f in findings} == {"deaths"}, findings
    if begun:
        assert [f.where for f in findings] == [expected]
    else:  # each links to the death form, to be filled in
        assert {f.unit for f in findings} == homes and len(findings) == len(homes)
        assert all(f.where == "deaths" and f.begin for f in findings)
