"""Moments: a finding of a failed criterion links to the second of a rubric clip that shows
what its event got wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.core.grading.criteria import evidence_of, score, score_data
from trainer.core.grading.moments import finding_moments, fits
from trainer.core.interview.engine import Session, Step
from trainer.core.scenario import loader
from trainer.core.scenario.loader import ScenarioInvalid
from trainer.core.scenario.model import Clip, Moment
from trainer.core.scenario.vocabulary import ACTIONS, TRAPS, Conduct

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
TINY = """\
id: tiny
version: 1
title: {zh_CN: 小, en: Tiny}
summary: {zh_CN: 小, en: Tiny}
difficulty: 1
minutes: 1
objectives:
  - {zh_CN: 学, en: Learn}
world:
  seed: 1
  households:
    - id: home
      persons:
        - {name: 张三, relation: 0, sex: 1, birth: 1980-01-01}
assignment:
  units: [home]
respondents:
  home: {dialogue: main}
dialogues:
  main:
    start: door
    nodes:
      door:
        says: {zh_CN: 你好, en: Hello}
        actions:
          - {do: show_id, goto: done}
      done:
        end: completed
rubric:
  criteria:
    - {criterion: outcome}
  clips:
    - id: doorstep
      criterion: outcome
"""


@dataclass(frozen=True)
class Ev:
    seq: int
    trap: str | None = None
    action: str | None = None
    conduct: str | None = None


traps = st.none() | st.sampled_from(sorted(TRAPS))
actions = st.none() | st.sampled_from(sorted(ACTIONS)).flatmap(
    lambda name: st.sampled_from([name, f"{name}:privacy", f"{name}:D3"]))
conducts = st.none() | st.sampled_from([c.value for c in Conduct])
events = st.builds(Ev, st.integers(1, 50), traps, actions, conducts)


@given(events, st.floats(0, 600))
def test_a_moment_naming_nothing_or_the_events_own_values_fits(event: Ev, at: float) -> None:
    assert fits(Moment(at), event)
    assert fits(Moment(at, event.trap, event.action, event.conduct), event)
    if event.action:  # the bare action fits whatever its parameter
        assert fits(Moment(at, action=event.action.partition(":")[0]), event)


@given(events, traps, actions, conducts)
def test_a_moment_fits_only_when_every_selector_it_names_agrees(
        event: Ev, trap: str | None, action: str | None, conduct: str | None) -> None:
    agrees = ((trap is None or trap == event.trap)
              and (action is None or action == event.action
                   or (event.action or "").startswith(action + ":"))
              and (conduct is None or conduct == event.conduct))
    assert fits(Moment(1, trap, action, conduct), event) is agrees


def graded(*findings: dict[str, object], score_: float = 0.0) -> dict[str, object]:
    return {"criteria": {"credentials_first": {"score": score_, "applicable": True,
                                               "findings": list(findings)}}}


CLIPS = (Clip("intro", "credentials_first", moments=(
             Moment(2, trap="checks_credentials"), Moment(9, action="ask_item:D3"))),
         Clip("other", "privacy", moments=(Moment(5),)))


def test_only_faulty_findings_of_failed_criteria_get_moments() -> None:
    log = [Ev(1, "checks_credentials", None), Ev(2, "checks_credentials", "ask_item:D3"),
           Ev(3, None, "ask_item:D4")]
    found = finding_moments(CLIPS, graded({"event": 2}, {"event": 3}, {"event": 1, "good": True},
                                          {"event": None}), log)
    assert found == {("credentials_first", 0): [("intro", CLIPS[0].moments[0]),
                                                ("intro", CLIPS[0].moments[1])]}
    assert finding_moments(CLIPS, graded({"event": 2}, score_=1.0), log) == {}
    not_applicable = {"criteria": {"credentials_first": {
        "score": 0, "applicable": False, "findings": [{"event": 2}]}}}
    assert finding_moments(CLIPS, not_applicable, log) == {}
    assert finding_moments(CLIPS, None, log) == {}


def test_asking_before_the_card_links_the_library_clip_at_its_second() -> None:
    scenario = loader.load(LIBRARY / "suspicious-credentials.yaml")
    session = Session(scenario, scenario.seed)
    unit = scenario.assignment.units[0]
    session.apply(Step(unit, "knock", datetime(2020, 11, 9, 19, 0)))
    session.apply(Step(unit, "ask_item:D3"))  # a question before the card, at the trap
    data = score_data(score(evidence_of(session)), "test")
    asked = session.events[-1]
    found = finding_moments(scenario.rubric.clips, data, session.events)
    first = found[("credentials_first", 0)]
    assert data["criteria"]["credentials_first"]["findings"][0]["event"] == asked.seq
    assert [(slug, moment.at, moment.trap) for slug, moment in first] == [
        ("introducing-yourself", 2.0, "checks_credentials")]
    assert first[0][1].caption is not None and first[0][1].caption.en
    assert {key[0] for key in found} == {"credentials_first", "purpose_and_legal_basis",
                                         "confidentiality_promised"}


def test_the_loader_reads_moments_and_old_clips_stay_valid() -> None:
    assert loader.parse(TINY).rubric.clips == (Clip("doorstep", "outcome"),)
    text = TINY + """\
      moments:
        - {at: 3.5, trap: id_card_offered, action: 'answer_concern:privacy', conduct: wrong,
           caption: {zh_CN: 这里, en: Here}}
"""
    moment = loader.parse(text).rubric.clips[0].moments[0]
    assert (moment.at, moment.trap, moment.action, moment.conduct) == (
        3.5, "id_card_offered", "answer_concern:privacy", "wrong")
    assert moment.caption is not None and moment.caption.zh == "这里"


@pytest.mark.parametrize(("moment", "needle"), [
    ("{at: 3, action: wave_hands}", "wave_hands"),
    ("{at: 3, trap: no_such_trap}", "trap"),
    ("{at: -1}", "at"),
    ("{trap: child_answers}", "at"),
])
def test_a_bad_moment_is_an_error_at_its_line(moment: str, needle: str) -> None:
    text = TINY + f"      moments:\n        - {moment}\n"
    with pytest.raises(ScenarioInvalid) as caught:
        loader.parse(text, file="t.yaml")
    errors = caught.value.errors
    assert errors and any(needle in error.text() for error in errors)
    assert all(error.line == len(text.splitlines()) for error in errors)
