"""A household that may self-report (自主填报) while it still hides its head (户主) or every
member: the static check refuses the scenario, at the fact that hides them; and if such a
scenario runs anyway (a draft being playtested, a version published before the check), the
mini-program refuses the form, so none comes and the self-report is missed at the deadline,
never an empty or headless form in the trainee's review."""

from __future__ import annotations

from datetime import datetime

import pytest

from trainer.core.interview.engine import Session, Step, replay
from trainer.core.scenario import checks, loader
from trainer.fieldwork.services import self_reported_forms

# Four persons, the head first; `persons: [1]` (the baby) is replaced per test.
SCENARIO = """\
id: self-report-hidden-head-test
version: 1
title: {zh_CN: 隐瞒户主的自主填报, en: A self-report hiding the head}
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
      deaths:
        - {name: 黄老汉, relation: 3, sex: 1, birth: 1940-02-01, died: 2020-03-15}
assignment:
  units: [huang]
  first_day: 2020-11-03
  days: 6
  max_visits: 3
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
        - {person: 0, item: D11, value: 7}
facts:
  hidden:
    household: huang
    topic: others_living_here
    trust: 50
    persons: [1]
    tells: {zh_CN: "其实户主是我男人黄军。", en: "Actually my husband Huang Jun is the head."}
    denies: {zh_CN: "不方便说。", en: "I'd rather not say."}
dialogues:
  main:
    start: door
    revisit: again
    nodes:
      door:
        says: {zh_CN: 哪个？, en: "Who is it?"}
        actions:
          - {do: show_id}
          - {do: probe, topic: others_living_here}
          - {do: offer_self_report, end: self_reporting}
      again:
        says: {zh_CN: 又是你。, en: "You again."}
        actions:
          - {do: probe, topic: others_living_here}
          - {do: read_back, end: completed}
rubric:
  criteria:
    - {criterion: coverage}
    - {criterion: form_accuracy}
    - {criterion: self_report_followup}
"""

HEAD = "persons: [0]"
EVERYONE = "persons: [0, 1, 2, 3]"
OFFER = "{do: offer_self_report, end: self_reporting}"
# the door's probe leads to a node that offers self-reporting, the door no longer does
PROBE_THEN_QR = (
    ("- {do: probe, topic: others_living_here}\n          - " + OFFER,
     "- {do: probe, topic: others_living_here, goto: qr}"),
    ("      again:", "      qr:\n        says: {zh_CN: 好。, en: OK.}\n        actions:\n"
                     "          - " + OFFER + "\n      again:"))


def text_with(hides: str, *changes: tuple[str, str]) -> str:
    text = SCENARIO.replace("persons: [1]", hides)
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    return text


def problems(text: str) -> list[loader.ScenarioError]:
    return checks.check(loader.parse(text, file="t.yaml"), "t.yaml")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- the static check ----------------------------------------------------------------------

def test_hiding_another_member_is_no_problem() -> None:
    assert problems(text_with("persons: [1]")) == []
    assert problems(text_with("persons: [1, 2, 3]")) == []  # the head alone is still a form


def test_a_self_reporting_household_that_hides_its_head_is_an_error_at_the_fact() -> None:
    text = text_with(HEAD)
    [error] = problems(text)
    assert error.path == "facts.hidden.persons"
    assert error.line == line_of(text, HEAD)
    assert error.message.startswith("household '%(household)s' can end a visit in "
                                    "self_reporting while fact '%(fact)s' still hides its head")
    assert error.params == {"household": "huang", "fact": "hidden"}
    assert "hides its head (户主): a form without the head cannot be sent" in error.text()


def test_hiding_every_member_is_one_error_naming_the_facts() -> None:
    text = text_with("persons: [0, 2]", ("dialogues:", """  more:
    household: huang
    topic: births
    trust: 40
    persons: [1, 3]
    tells: {zh_CN: "还有两个伢子。", en: "There are two children too."}
    denies: {zh_CN: "没有了。", en: "No one else."}
dialogues:"""))
    [error] = problems(text)
    assert error.path == "facts.hidden.persons"
    assert error.params == {"household": "huang", "facts": "hidden, more"}
    assert "still hides every member (hidden, more): a form that lists nobody" in error.text()
    [alone] = problems(text_with(EVERYONE))
    assert alone.params == {"household": "huang", "facts": "hidden"}


@pytest.mark.parametrize("changes", [
    # the ending is offered only once the fact is told
    ((OFFER, "{do: offer_self_report, end: self_reporting, when: {disclosed: [hidden]}}"),),
    # ... or once one of two ways that both need it holds
    ((OFFER, "{do: offer_self_report, end: self_reporting, when: {any: ["
             "{disclosed: [hidden], trust: '>= 10'}, {disclosed: [hidden], visit: '>= 2'}]}}"),),
    # the ending's own action tells it
    ((OFFER, "{do: offer_self_report, end: self_reporting, effects: {disclose: [hidden]}}"),),
    # the only way to the ending passes a probe the respondent answers at any trust
    (*PROBE_THEN_QR,
     ("trust: 50", "trust: 0")),
    # a branch into an ending node that requires it
    ((OFFER, "{do: offer_self_report, goto: [{to: qr, when: {disclosed: [hidden]}}, "
             "{to: door}]}"),
     ("      again:", "      qr:\n        end: self_reporting\n      again:")),
    # the household never sends its form: nothing to refuse
    (("submits: true", "submits: false"),),
], ids=["when", "any", "effect", "probe-at-trust-0", "branch", "never-submits"])
def test_a_head_surely_told_before_the_ending_is_no_problem(
        changes: tuple[tuple[str, str], ...]) -> None:
    assert problems(text_with(HEAD, *changes)) == []


@pytest.mark.parametrize("changes", [
    # a probe the respondent may refuse (trust 50) does not surely tell it
    PROBE_THEN_QR,
    # one branch into the ending node needs it, the other does not
    ((OFFER, "{do: offer_self_report, goto: [{to: qr, when: {disclosed: [hidden]}}, "
             "{to: qr}]}"),
     ("      again:", "      qr:\n        end: self_reporting\n      again:")),
    # the revisit can end in self-reporting without it, though the first visit cannot
    ((OFFER, "{do: offer_self_report, end: self_reporting, when: {disclosed: [hidden]}}"),
     ("{do: read_back, end: completed}", OFFER)),
    # no plan written: 60 % of households submit (drawn from the seed)
    (("    self_report:\n      submits: true\n      on: 2020-11-04\n      mistakes:\n"
      "        - {item: H6, value: 200}\n        - {person: 0, item: D11, value: 7}\n", ""),),
], ids=["refusable-probe", "one-branch", "revisit", "drawn-plan"])
def test_a_head_that_may_still_be_hidden_at_the_ending_is_an_error(
        changes: tuple[tuple[str, str], ...]) -> None:
    assert [e.path for e in problems(text_with(HEAD, *changes))] == ["facts.hidden.persons"]


def test_households_that_cannot_self_report_are_left_alone() -> None:
    foreign = text_with(HEAD, ("{name: 黄梓萱, relation: 2, sex: 2, birth: 2013-04-02}",
                               "{name: Anna Berg, relation: 2, sex: 2, birth: 2013-04-02, "
                               "form: hmt_foreign, nationality: SWE}"))
    assert problems(foreign) == []
    sampled = text_with(HEAD, ("      deaths:", "      long_form: true\n      deaths:"))
    assert problems(sampled) == []


def test_a_picked_household_is_checked_for_its_head() -> None:
    text = text_with(HEAD, ("""      address: {building: 4, unit: 201, street: 金鹗东路}
      persons:
        - {name: 黄军, relation: 0, sex: 1, birth: 1987-10-09, education: 5}
        - {name: 黄子墨, relation: 2, sex: 1, birth: 2020-08-17, hukou: 5,
           id_number: "000000000000000000"}
        - {name: 罗芳, relation: 1, sex: 2, birth: 1990-05-22, education: 6}
        - {name: 黄梓萱, relation: 2, sex: 2, birth: 2013-04-02}
      deaths:
        - {name: 黄老汉, relation: 3, sex: 1, birth: 1940-02-01, died: 2020-03-15}
""", "      pick: {kind: family, min_persons: 2}\n"))
    [error] = problems(text)
    assert error.params == {"household": "huang", "fact": "hidden"}
    assert problems(text.replace(HEAD, "persons: [1]")) == []


# --- if such a scenario runs anyway --------------------------------------------------------

def at(day: int, hour: int) -> datetime:
    return datetime(2020, 11, day, hour, 0)


def given_self_reporting(text: str) -> Session:
    scenario = loader.parse(text)
    session = Session(scenario, scenario.seed)
    session.apply(Step("huang", "knock", at(3, 19)))
    session.apply(Step("huang", "offer_self_report"))
    assert session.outcome("huang") == "self_reporting"
    return session


@pytest.mark.parametrize("hides", [HEAD, EVERYONE], ids=["head", "everyone"])
def test_a_form_without_the_head_or_anyone_is_never_received_but_missed(hides: str) -> None:
    session = given_self_reporting(text_with(hides))
    state = session.households["huang"]
    assert "hidden" not in state.disclosed
    # the day it meant to send it passes: no form comes, nothing reaches the review
    session.apply(Step("huang", "phone_check", at(4, 19)))
    assert state.report == "pending" and session.submitted("huang") is None
    assert self_reported_forms({}, session, session.events) is None
    assert not [e for e in session.events if e.kind == "self_report"]
    # the deadline (5 November) passes: missed, and a knock the next day follows it up
    session.apply(Step("huang", "knock", at(6, 10)))
    [missed] = [e for e in session.events if e.kind == "self_report"]
    assert missed.status == "missed"
    assert session.households["huang"].values["self_report_missed"] is True
    assert session.households["huang"].open
    session.apply(Step("huang", "probe:others_living_here"))
    session.apply(Step("huang", "read_back"))
    assert session.outcome("huang") == "completed"
    assert replay(session.scenario, session.seed, session.steps).events == session.events


def test_the_same_household_hiding_someone_else_still_sends_its_form() -> None:
    session = given_self_reporting(text_with("persons: [2]"))
    session.apply(Step("huang", "phone_check", at(4, 19)))
    assert session.households["huang"].report == "checked"
    record, _slips = session.submitted("huang") or ({}, ())
    assert [p["D1"] for p in record["persons"]] == ["黄军", "黄子墨", "黄梓萱"]
    forms = self_reported_forms({}, session, session.events) or {}
    assert forms["huang"]["source"] == "self" and forms["huang"]["complete"]


def test_a_head_told_before_self_reporting_is_on_the_form() -> None:
    scenario = loader.parse(text_with(HEAD, ("trust: 50", "trust: 0")))
    session = Session(scenario, scenario.seed)
    session.apply(Step("huang", "knock", at(3, 19)))
    session.apply(Step("huang", "probe:others_living_here"))
    session.apply(Step("huang", "offer_self_report"))
    session.apply(Step("huang", "phone_check", at(4, 19)))
    record, _slips = session.submitted("huang") or ({}, ())
    assert record["persons"][0]["D1"] == "黄军" and len(record["persons"]) == 4
