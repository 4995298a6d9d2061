"""Every finding of every criterion points at its evidence (issue 7): a turn of the transcript
(`event`), a place in the trainee's work (`where`: a form field, a register row, the tally) or
a map feature (`map`), whatever the trainee did."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.errors import DomainError
from trainer.core.grading.criteria import CRITERIA, Finding
from trainer.core.grading.forms import attempt_evidence
from trainer.core.interview.engine import Session, Step
from trainer.core.scenario import loader

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
# a household that conceals facts, one nobody opens at first, a vacant second home, a proxy,
# a foreign household (the HMT/foreign form), a small-area map
SCENARIOS = {name: loader.load(LIBRARY / f"{name}.yaml") for name in (
    "concealed-infant", "nobody-home-revisit", "vacant-second-home", "elderly-proxy",
    "foreign-resident", "village-map")}


def play(name: str, choices: st.DataObject, steps: int) -> Session:
    """A session of the scenario driven by random steps: a knock at a random hour of a day of
    the field work, or one of the actions offered at an open door."""
    scenario = SCENARIOS[name]
    session = Session(scenario, scenario.seed)
    units = list(session.households)
    for _ in range(steps):
        unit = choices.draw(st.sampled_from(units))
        offers = session.offers(unit)
        if not offers:
            continue
        key = choices.draw(st.sampled_from([offer.key for offer in offers]))
        when = None
        if key == "knock":
            day = scenario.assignment.first_day + timedelta(
                days=choices.draw(st.integers(0, scenario.assignment.days - 1)))
            when = datetime.combine(day, time(choices.draw(st.integers(8, 20))))
        try:
            session.apply(Step(unit, key, when))
        except DomainError:
            continue  # a refused step (the day's hours used up, a past time) changes nothing
    return session


def pointless(findings: tuple[Finding, ...], seqs: set[int]) -> list[Finding]:
    """The findings that open nothing: no event of this session, no place, no map feature."""
    return [f for f in findings
            if not (f.event in seqs or f.where or f.map is not None)]


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(SCENARIOS)), steps=st.integers(0, 40), choices=st.data())
def test_every_finding_of_every_criterion_points_at_its_evidence(
        name: str, steps: int, choices: st.DataObject) -> None:
    session = play(name, choices, steps)
    evidence = attempt_evidence(session, {}, {})
    seqs = {event.seq for event in session.events}
    for criterion, fn in CRITERIA.items():
        result = fn(evidence)
        assert not pointless(result.findings, seqs), criterion


def test_a_household_never_visited_points_at_its_register_row() -> None:
    session = Session(SCENARIOS["concealed-infant"], SCENARIOS["concealed-infant"].seed)
    evidence = attempt_evidence(session, {}, {})
    outcome = CRITERIA["outcome"](evidence)
    assert outcome.findings and all(f.event is None and f.where == f"register/{unit}"
                                    for f, unit in zip(outcome.findings, session.households,
                                                       strict=True))


def test_a_fact_not_drawn_out_points_at_the_end_of_the_household_s_visit() -> None:
    scenario = SCENARIOS["concealed-infant"]
    session = Session(scenario, scenario.seed)
    unit = next(iter(session.households))
    day = datetime.combine(scenario.assignment.first_day, time(19))
    session.apply(Step(unit, "knock", day))
    for action in ("show_id", "explain_purpose", "explain_legal_basis",
                   "promise_confidentiality", "ask_item:roster"):
        session.apply(Step(unit, action))
    result = CRITERIA["disclosure"](attempt_evidence(session, {}, {}))
    assert result.findings, "the infant is concealed until trust is earned"
    last = max(e.seq for e in session.events if e.household == unit)
    assert {f.event for f in result.findings} == {last}
    outcome = CRITERIA["outcome"](attempt_evidence(session, {}, {}))
    assert [f.event for f in outcome.findings if f.text[1].startswith(unit)] == [last]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_best_play_s_findings_all_point_somewhere(name: str) -> None:
    """The scenario played by the book: any finding left (good ones too) opens evidence."""
    from trainer.core.scenario import bot

    report = bot.explore(SCENARIOS[name])
    assert report.best is not None
    session = Session(SCENARIOS[name], SCENARIOS[name].seed)
    for step in report.best.steps:
        session.apply(step)
    evidence = attempt_evidence(session, {}, {})
    seqs = {event.seq for event in session.events}
    for criterion, fn in CRITERIA.items():
        assert not pointless(fn(evidence).findings, seqs), criterion


def test_a_map_never_drawn_points_at_the_area_once() -> None:
    scenario = SCENARIOS["village-map"]
    evidence = attempt_evidence(Session(scenario, scenario.seed), {}, {})
    maps = [c.name for c in scenario.rubric.criteria if c.name.startswith("map_")]
    assert len(maps) == 5
    marked = []
    for name in maps:
        [found] = CRITERIA[name](evidence).findings
        assert found.map is not None and found.map["code"] == "not_drawn"
        marked += [name] if found.map["at"] is not None else []
    assert marked == maps[:1]  # one marker on the overlay, not five on one spot
