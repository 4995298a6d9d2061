"""A self-report (自主填报) sent while the household still conceals a member: its form leaves
him out, its counts are those of the persons it lists, its slips land on the right persons;
a member told before the form comes is on it. The trainee is still graded on the truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trainer.core.census import r601
from trainer.core.grading.criteria import CRITERIA
from trainer.core.grading.forms import attempt_evidence
from trainer.core.interview.engine import Session, Step, replay
from trainer.core.scenario import loader

# Modelled on scenarios/concealed-infant.yaml and scenarios/already-self-reported.yaml: the
# baby is second on the truth's list, so the persons after him move up on the form.
SCENARIO = """\
id: self-report-concealed-test
version: 1
title: {zh_CN: 隐瞒婴儿的自主填报, en: A self-report hiding a baby}
summary: {zh_CN: 测试, en: Test}
difficulty: 1
minutes: 5
objectives: [{zh_CN: 测试, en: Test}]
world:
  seed: 7
  households:
    - id: huang
      address: {building: 4, unit: 201, street: 金鹗东路}
      persons:
        - {name: 黄军, relation: 0, sex: 1, birth: 1987-10-09, education: 5}
        - {name: 黄子墨, relation: 2, sex: 1, birth: 2020-08-17, hukou: 5,
           id_number: "000000000000000000"}
        - {name: 罗芳, relation: 1, sex: 2, birth: 1990-05-22, education: 6}
        - {name: 黄梓萱, relation: 2, sex: 2, birth: 2013-04-02}
assignment:
  units: [huang]
  first_day: 2020-11-03
  days: 4
  max_visits: 2
respondents:
  huang:
    dialogue: main
    archetype: fearful
    themes: [fear_consequences]
    home_probability: 1.0
    self_report:
      submits: true
      on: 2020-11-04
      mistakes:
        - {item: H6, value: 200}
        - {person: 2, item: D11, value: 7}
        - {person: 1, item: D1, value: 黄小墨}
facts:
  newborn:
    household: huang
    topic: births
    trust: 0
    persons: [1]
    tells: {zh_CN: "其实还有个细伢子，叫黄子墨。", en: "There's a baby too, Huang Zimo."}
    denies: {zh_CN: "就我们三个。", en: "Just the three of us."}
dialogues:
  main:
    start: door
    nodes:
      door:
        says: {zh_CN: 哪个？, en: "Who is it?"}
        actions:
          - {do: show_id}
          - {do: probe, topic: births}
          - {do: offer_self_report, end: self_reporting}
rubric:
  criteria:
    - {criterion: coverage}
    - {criterion: form_accuracy}
    - {criterion: self_report_followup}
"""

THREE = ["黄军", "罗芳", "黄梓萱"]


def at(day: int, hour: int) -> datetime:
    return datetime(2020, 11, day, hour, 0)


def received(*, probe: bool) -> Session:
    """The household given self-reporting on the 3rd (after a probe for births, or not),
    its form received on the 4th and reviewed by phone."""
    scenario = loader.parse(SCENARIO)
    session = Session(scenario, scenario.seed)
    session.apply(Step("huang", "knock", at(3, 19)))
    session.apply(Step("huang", "show_id"))
    if probe:
        session.apply(Step("huang", "probe:births"))
    session.apply(Step("huang", "offer_self_report"))
    assert session.outcome("huang") == "self_reporting"
    session.apply(Step("huang", "phone_check", at(4, 19)))
    assert session.households["huang"].report == "checked"
    return session


def names(record: dict[str, Any]) -> list[str]:
    return [person["D1"] for person in record["persons"]]


def test_a_self_report_leaves_out_the_member_the_household_still_conceals() -> None:
    session = received(probe=False)
    assert "newborn" not in session.households["huang"].disclosed
    record, slips = session.submitted("huang") or ({}, ())
    assert names(record) == THREE  # no 黄子墨, nor his slipped name 黄小墨
    # the counts are those of the persons listed: three living here, no birth of the year
    assert (record["H2a"], record["H2b"], record["H3m"], record["H3f"]) == (3, 0, 0, 0)
    assert not r601.hard_errors(record)
    # the slip planned for the third person of the truth lands on her, second on the form;
    # the one about the concealed baby is not made
    assert record["H6"] == 200 and record["persons"][1]["D11"] == 7
    assert [(s.item, s.person) for s in slips] == [("H6", None), ("D11", 1)]
    assert record["persons"][0]["D11"] == 5 and record["persons"][2]["D1"] == "黄梓萱"
    # the review by phone corrects her answer, and still names no baby
    [call] = [e for e in session.events if e.kind == "phone"]
    words = (call.says or ("", ""))[1]
    assert "D11 of 罗芳 should be 6" in words and "黄" not in words.replace("罗芳", "")
    assert replay(session.scenario, session.seed, session.steps).events == session.events


def test_a_member_told_before_the_form_comes_is_on_it() -> None:
    session = received(probe=True)
    assert "newborn" in session.households["huang"].disclosed
    record, slips = session.submitted("huang") or ({}, ())
    truth = r601.record_of(session.households["huang"].truth.household)  # type: ignore[arg-type]
    assert names(record) == ["黄军", "黄小墨", "罗芳", "黄梓萱"]  # his slip is made now
    assert (record["H2a"], record["H3m"]) == (4, 1) == (truth["H2a"], truth["H3m"])
    assert [(s.item, s.person) for s in slips] == [("H6", None), ("D11", 2), ("D1", 1)]
    assert record["persons"][2]["D11"] == 7
    assert {path for path, _given, _true in r601.differences(record, truth)} == {
        "H6", "persons[2]/D11", "persons[1]/D1"}


def test_a_self_report_accepted_without_probing_misses_the_baby_in_the_grade() -> None:
    session = received(probe=False)
    record, _slips = session.submitted("huang") or ({}, ())
    evidence = attempt_evidence(session, {"huang": {"record": record, "complete": True}}, {})
    assert evidence.truth["huang"]["H2a"] == 4  # graded against the truth: he lives there
    coverage = CRITERIA["coverage"](evidence)
    assert [f.text[1] for f in coverage.findings
            if f.where == "huang/persons"] == ["huang: 黄子墨 left out"]
    wheres = {f.where for f in CRITERIA["form_accuracy"](evidence).findings}
    # the counts he is missing from, and the slips left uncorrected (matched by name)
    assert wheres == {"huang/H2a", "huang/H3m", "huang/H6", "huang/persons[1]/D11"}
