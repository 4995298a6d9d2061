"""Self-reporting (自主填报) followed up: the engine's plan per household, the self-report
received or missed as the simulated clock passes the deadline, the review by phone, the
refusals, and the `self_report_followup` criterion on crafted evidence."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.census import r601, tally
from trainer.core.errors import Conflict, InvalidInput
from trainer.core.grading.criteria import CRITERIA, Evidence
from trainer.core.grading.forms import attempt_evidence
from trainer.core.interview.engine import Session, Step, replay
from trainer.core.scenario import loader
from trainer.core.scenario.loader import ScenarioInvalid

SCENARIO = """\
id: self-report-test
version: 1
title: {zh_CN: 自主填报, en: Self-reporting}
summary: {zh_CN: 测试, en: Test}
difficulty: 1
minutes: 5
objectives: [{zh_CN: 测试, en: Test}]
world:
  seed: 11
  households:
    - id: sub
      address: {building: 1, unit: 101}
      persons:
        - {name: 王强, relation: 0, sex: 1, birth: 1980-02-03, education: 5}
        - {name: 李梅, relation: 1, sex: 2, birth: 1982-05-06, education: 6}
    - id: non
      address: {building: 1, unit: 102}
      persons:
        - {name: 赵刚, relation: 0, sex: 1, birth: 1970-07-08}
    - id: kim
      address: {building: 1, unit: 201}
      persons:
        - {name: 金敏俊, relation: 0, sex: 1, birth: 1988-04-02, form: hmt_foreign,
           nationality: 韩国}
    - id: drawn
      address: {building: 1, unit: 202}
      persons:
        - {name: 孙丽, relation: 0, sex: 2, birth: 1985-09-10, education: 6}
assignment:
  units: [sub, non, kim, drawn]
  first_day: 2020-11-03
  days: 6
  max_visits: 3
respondents:
  sub:
    dialogue: main
    self_report:
      submits: true
      on: 2020-11-04
      mistakes: [{item: H6, value: 150}, {person: 1, item: D11, value: 7}]
  non: {dialogue: main, self_report: {submits: false}}
  kim: {dialogue: main}
  drawn: {dialogue: main}
dialogues:
  main:
    start: door
    revisit: again
    nodes:
      door:
        says: {zh_CN: 谁呀？, en: "Who is it?"}
        actions:
          - {do: show_id}
          - {do: offer_self_report, end: self_reporting}
          - {do: ask_item, item: roster}
          - {do: read_back, end: completed}
      again:
        says: {zh_CN: 又来了。, en: You again.}
        actions:
          - do: ask_item
            item: roster
            when: {vars: {self_report_missed: true}}
            reply: {zh_CN: 没顾上填，你登记吧。, en: "We never got round to it; register us."}
          - {do: ask_item, item: roster, when: {vars: {self_report_missed: false}}}
          - {do: read_back, end: completed}
rubric:
  criteria:
    - {criterion: outcome}
    - {criterion: self_report_followup}
"""


def at(day: int, hour: int) -> datetime:
    return datetime(2020, 11, day, hour, 0)


def new(seed: int | None = None) -> Session:
    scenario = loader.parse(SCENARIO)
    return Session(scenario, scenario.seed if seed is None else seed)


def self_report(session: Session, unit: str, when: datetime) -> None:
    """A first visit that ends with the household given self-reporting."""
    session.apply(Step(unit, "knock", when))
    session.apply(Step(unit, "show_id"))
    session.apply(Step(unit, "offer_self_report"))


def followup(session: Session) -> Any:
    return CRITERIA["self_report_followup"](attempt_evidence(session, {}, {}))


def test_a_non_submitter_is_visited_again_from_the_day_after_the_deadline() -> None:
    session = new()
    self_report(session, "non", at(3, 19))
    state = session.households["non"]
    assert session.outcome("non") == "self_reporting" and state.report == "pending"
    assert [o.key for o in session.offers("non")] == ["knock"]  # may be visited, not yet due
    events = session.apply(Step("non", "knock", at(6, 10)))
    assert [(e.kind, e.status) for e in events] == [("self_report", "missed"), ("knock", None)]
    assert state.values["self_report_missed"] and state.node == "again"
    assert "ask_item:roster" in {o.key for o in session.offers("non")}
    session.apply(Step("non", "ask_item:roster"))
    session.apply(Step("non", "read_back"))
    assert session.outcome("non") == "completed"  # the visit's outcome replaces self-reporting
    result = followup(session)
    assert result.applicable and result.score == 1 and not result.findings


def test_a_knock_before_the_deadline_is_wrong_timing() -> None:
    session = new()
    self_report(session, "non", at(3, 19))
    [knock] = [e for e in session.apply(Step("non", "knock", at(5, 10))) if e.kind == "knock"]
    result = followup(session)
    assert result.score == 0 and [f.event for f in result.findings] == [knock.seq]
    assert "2020-11-05" in result.findings[0].text[1]


def test_a_missed_self_report_never_visited_is_found_at_the_missed_event() -> None:
    session = new()
    self_report(session, "non", at(3, 19))
    session.apply(Step("drawn", "knock", at(6, 19)))  # the clock passes the deadline
    [missed] = [e for e in session.events if e.kind == "self_report"]
    assert missed.household == "non" and missed.status == "missed"
    assert session.households["non"].report == "missed"
    result = followup(session)
    assert result.score == 0 and [f.event for f in result.findings] == [missed.seq]


def test_a_submitted_self_report_arrives_on_its_day_and_is_reviewed_by_phone() -> None:
    session = new()
    self_report(session, "sub", at(3, 19))
    state = session.households["sub"]
    assert state.report == "pending" and state.report_on == date(2020, 11, 4)
    assert session.submitted("sub") is None  # not before its day
    session.apply(Step("non", "knock", at(4, 10)))  # the clock reaches the 4th
    assert [(e.household, e.status) for e in session.events if e.kind == "self_report"] == [
        ("sub", "received:2020-11-04")]
    record, slips = session.submitted("sub") or ({}, ())
    assert record["H6"] == 150 and record["persons"][1]["D11"] == 7
    assert len(slips) == 2 and not r601.hard_errors(record)
    session.apply(Step("non", "show_id"))
    session.apply(Step("non", "read_back"))
    assert followup(session).findings[0].where == "sub"  # received, not reviewed yet
    assert [o.key for o in session.offers("sub")] == ["phone_check"]
    [call] = session.apply(Step("sub", "phone_check", at(4, 19)))
    assert call.kind == "phone" and call.status == "checked"
    words = (call.says or ("", ""))[1]
    assert "H6" in words and "D11 of 李梅 should be 6" in words
    assert session.offers("sub") == [] and state.report == "checked"
    with pytest.raises(Conflict):
        session.apply(Step("sub", "knock", at(6, 10)))
    assert followup(session).score == 1


@pytest.mark.parametrize("day", [4, 5])
def test_a_knock_on_or_after_the_day_the_form_arrives_receives_it(day: int) -> None:
    session = new()
    self_report(session, "sub", at(3, 19))
    state = session.households["sub"]
    events = session.apply(Step("sub", "knock", at(day, 10)))
    assert [(e.kind, e.household, e.status, e.at) for e in events] == [
        ("self_report", "sub", "received:2020-11-04", f"2020-11-0{day}T10:00")]
    assert state.report == "received" and state.visits == 1  # no visit: it is reviewed
    assert session.clock == at(day, 10) and session.submitted("sub") is not None
    assert [o.key for o in session.offers("sub")] == ["phone_check"]
    [call] = session.apply(Step("sub", "phone_check", at(day, 11)))
    assert call.status == "checked"
    assert replay(session.scenario, session.seed, session.steps).events == session.events


def test_a_phone_call_before_the_form_arrives_is_a_reminder() -> None:
    session = new()
    self_report(session, "non", at(3, 19))
    [call] = session.apply(Step("non", "phone_check", at(4, 19)))
    assert call.status == "reminded" and "2020-11-05" in (call.says or ("", ""))[1]
    assert session.households["non"].report == "pending"


def test_hmt_long_form_and_late_households_cannot_self_report() -> None:
    session = new()
    self_report(session, "kim", at(3, 19))
    end = session.events[-1]
    assert end.outcome == "partial" and "foreigners" in (end.says or ("", ""))[1]
    assert session.households["kim"].report is None
    household = session.households["sub"].truth.household
    assert household is not None
    household.long_form = True  # this session's own truth: sampled for the long form
    self_report(session, "sub", at(3, 20))
    assert session.events[-1].outcome == "partial"
    assert "long-form" in (session.events[-1].says or ("", ""))[1]
    self_report(session, "drawn", at(6, 19))
    assert session.events[-1].outcome == "partial"
    assert "closed" in (session.events[-1].says or ("", ""))[1]
    assert followup(session).applicable is False  # nobody ended up self-reporting


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**31 - 1), st.sampled_from([3, 4, 5]))
def test_a_drawn_self_report_is_deterministic_valid_and_within_the_window(seed: int,
                                                                        day: int) -> None:
    session = new(seed)
    self_report(session, "drawn", at(day, 19))
    session.apply(Step("non", "knock", at(7, 10)))  # past the deadline: every fate is known
    state = session.households["drawn"]
    again = replay(session.scenario, seed, session.steps)
    assert [e.to_dict() for e in again.events] == [e.to_dict() for e in session.events]
    if state.report == "missed":
        assert state.plan is not None and not state.plan.submits
        return
    assert state.report == "received" and state.report_on is not None
    assert date(2020, 11, day) <= state.report_on <= session.scenario.assignment.self_report_until
    record, slips = session.submitted("drawn") or ({}, ())
    assert 1 <= len(slips) <= 2 and not r601.hard_errors(record)
    truth = r601.record_of(state.truth.household)  # type: ignore[arg-type]
    assert r601.flattened(record) != r601.flattened(truth)


def test_the_share_of_submitters_is_about_the_documented_one() -> None:
    fates = []
    for seed in range(200):
        session = new(seed)
        self_report(session, "drawn", at(3, 19))
        fates.append(session.households["drawn"].report_on is not None)
    assert 0.5 <= sum(fates) / len(fates) <= 0.7


def test_a_self_report_day_outside_the_window_is_located_in_the_file() -> None:
    text = SCENARIO.replace("on: 2020-11-04", "on: 2020-11-09")
    with pytest.raises(ScenarioInvalid) as caught:
        loader.parse(text, file="t.yaml")
    [error] = caught.value.errors
    assert error.path == "respondents.sub.self_report.on"
    assert error.line == next(i for i, line in enumerate(text.splitlines(), 1)
                              if "2020-11-09" in line)


# --- grading with the forms --------------------------------------------------------------

def reviewed() -> Session:
    """Both households given self-reporting, followed up by the book."""
    session = new()
    self_report(session, "sub", at(3, 19))
    self_report(session, "non", at(3, 20))
    session.apply(Step("sub", "phone_check", at(4, 19)))
    session.apply(Step("non", "knock", at(6, 19)))
    session.apply(Step("non", "ask_item:roster"))
    session.apply(Step("non", "read_back"))
    return session


def handed_in(session: Session, edit: Any = None) -> Evidence:
    """The evidence with every owed form true and a tally that adds them up, then edited."""
    base = attempt_evidence(session, {}, {})
    forms: dict[str, dict[str, Any]] = {
        unit: {"record": copy.deepcopy(dict(record)), "complete": True}
        for unit, record in base.truth.items()}
    if edit is not None:
        edit(forms)
    sheet = tally.from_forms(entry["record"] for entry in forms.values())
    return attempt_evidence(session, forms, copy.deepcopy(dict(base.register_truth)), sheet)


def changed(good: Evidence, bad: Evidence) -> set[str]:
    before = {name: fn(good) for name, fn in CRITERIA.items()}
    after = {name: fn(bad) for name, fn in CRITERIA.items()}
    return {name for name in CRITERIA
            if (before[name].score, before[name].applicable)
            != (after[name].score, after[name].applicable)}


def test_a_followed_up_attempt_scores_full_marks_on_the_form_and_followup_criteria() -> None:
    evidence = handed_in(reviewed())
    assert "sub" in evidence.truth and "non" in evidence.truth  # their forms are owed
    for name in ("self_report_followup", "coverage", "form_accuracy", "residence_rules",
                 "form_completeness", "tally", "register_accuracy", "consistency"):
        result = CRITERIA[name](evidence)
        assert result.applicable and result.score == 1, (name, result.findings)


def test_the_slips_left_in_a_self_report_are_the_form_criteria_s_not_the_followup_s() -> None:
    session = reviewed()
    sent, _slips = session.submitted("sub") or ({}, ())

    def keep_slips(forms: dict[str, Any]) -> None:
        forms["sub"]["record"] = copy.deepcopy(sent)  # the self-report, never corrected

    moved = changed(handed_in(session), handed_in(session, keep_slips))
    assert moved == {"form_accuracy"}
    wheres = {f.where for f in CRITERIA["form_accuracy"](handed_in(session, keep_slips)).findings}
    assert wheres == {"sub/H6", "sub/persons[1]/D11"}


def test_a_review_not_done_is_found_by_self_report_followup_alone() -> None:
    lazy = new()
    self_report(lazy, "sub", at(3, 19))
    self_report(lazy, "non", at(3, 20))
    lazy.apply(Step("non", "knock", at(6, 19)))  # the form received on the 4th, never checked
    lazy.apply(Step("non", "ask_item:roster"))
    lazy.apply(Step("non", "read_back"))
    good, bad = handed_in(reviewed()), handed_in(lazy)
    assert changed(good, bad) == {"self_report_followup"}
    [finding] = CRITERIA["self_report_followup"](bad).findings
    assert finding.where == "sub"


def test_an_early_knock_is_found_by_self_report_followup_alone() -> None:
    early = new()
    self_report(early, "sub", at(3, 19))
    self_report(early, "non", at(3, 20))
    early.apply(Step("sub", "phone_check", at(4, 19)))
    early.apply(Step("non", "knock", at(5, 19)))  # the deadline is the 5th, 24:00
    early.apply(Step("non", "ask_item:roster"))
    early.apply(Step("non", "read_back"))
    good, bad = handed_in(reviewed()), handed_in(early)
    assert changed(good, bad) == {"self_report_followup"}
    [finding] = CRITERIA["self_report_followup"](bad).findings
    assert finding.event == next(e.seq for e in early.events
                                 if e.kind == "knock" and e.household == "non" and e.visit == 2)


class EveryDay(Session):
    """The calendar looked at on every step, as before the engine remembered when the next
    self-report is due: the reference the engine must agree with."""

    def _advance(self, at: datetime | None = None) -> None:
        self._reports_due = date.min
        super()._advance(at)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**31 - 1))
def test_the_calendar_s_shortcut_changes_no_replay(data: st.DataObject, seed: int) -> None:
    scenario = loader.parse(SCENARIO)
    session, reference = Session(scenario, seed), EveryDay(scenario, seed)
    for _ in range(data.draw(st.integers(1, 30))):
        unit = data.draw(st.sampled_from(sorted(session.households)))
        offers = session.offers(unit)
        if not offers:
            continue
        key = data.draw(st.sampled_from([offer.key for offer in offers]))
        when = None
        if key in ("knock", "phone_check"):
            when = at(data.draw(st.integers(3, 8)), data.draw(st.sampled_from((9, 14, 19))))
        outcomes = []
        for visit in (session, reference):
            try:
                outcomes.append([e.to_dict() for e in visit.apply(Step(unit, key, when))])
            except (Conflict, InvalidInput) as error:
                outcomes.append(type(error).__name__)
        assert outcomes[0] == outcomes[1]
    assert session.events == reference.events
    assert {u: (s.report, s.report_on) for u, s in session.households.items()} == {
        u: (s.report, s.report_on) for u, s in reference.households.items()}


def test_a_form_due_sooner_than_one_awaited_before_arrives_on_its_day() -> None:
    session = new()
    self_report(session, "non", at(3, 19))  # never submits: missed from the 6th
    self_report(session, "sub", at(3, 20))  # submits on the 4th
    session.apply(Step("non", "phone_check", at(4, 10)))  # a reminder; the clock is on the 4th
    assert [(e.household, e.status) for e in session.events if e.kind == "self_report"] == [
        ("sub", "received:2020-11-04")]
    session.apply(Step("non", "phone_check", at(6, 10)))
    assert [(e.household, e.status) for e in session.events if e.kind == "self_report"] == [
        ("sub", "received:2020-11-04"), ("non", "missed")]
