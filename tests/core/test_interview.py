"""The visit engine: the respondent model per action and per concern theme, memory across
visits, availability, disclosure, time rules, and exact replay (hypothesis)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.errors import Conflict, InvalidInput
from trainer.core.grading.criteria import evidence_of, score
from trainer.core.interview.engine import Session, Step, replay
from trainer.core.scenario import loader
from trainer.core.scenario.vocabulary import ACTIONS as VOCABULARY
from trainer.core.scenario.vocabulary import THEMES

EVENING = datetime(2020, 11, 2, 19, 0)  # a Monday
NEXT_EVENING = datetime(2020, 11, 3, 19, 0)

TEMPLATE = """\
id: engine-test
version: 1
title: {{zh_CN: 测试, en: Test}}
summary: {{zh_CN: 测试, en: Test}}
difficulty: 1
minutes: 5
objectives: [{{zh_CN: 测试, en: Test}}]
world:
  seed: 7
  households:
    - id: home
      persons:
        - {{name: 张伟, relation: 0, sex: 1, birth: 1975-03-01}}
        - {{name: 刘芳, relation: 1, sex: 2, birth: 1977-06-09, hukou: 4,
           hukou_place: 湖北省武汉市江岸区}}
        - {{name: 张小宝, relation: 2, sex: 1, birth: 2020-06-01, hukou: 5}}
    - id: empty
      kind: vacant
assignment:
  units: [home, empty]
  first_day: 2020-11-02
  days: 4
  max_visits: 3
respondents:
  home:
    dialogue: main
    archetype: {archetype}
    themes: [{themes}]
    availability: {{weekday: [evening], weekend: [evening]}}
  empty:
    dialogue: main
facts:
  baby:
    household: home
    topic: births
    trust: 70
    persons: [2]
    tells: {{zh_CN: 还有个小宝宝。, en: There is also a baby.}}
    denies: {{zh_CN: 没有。, en: No.}}
  wife_hukou:
    household: home
    topic: hukou
    trust: 0
    misreport:
      - {{person: 1, item: D8, says: "1 本村（居）委会"}}
    tells: {{zh_CN: 她户口在武汉。, en: Her hukou is in Wuhan.}}
    denies: {{zh_CN: 都在这里。, en: All here.}}
dialogues:
  main:
    start: door
    absent: nobody
    nodes:
      nobody:
        says: {{zh_CN: （无人应答）, en: (No answer)}}
        actions:
          - {{do: leave_notice, end: nobody_home}}
          - {{do: ask_neighbour, goto: vacant_confirmed}}
      vacant_confirmed:
        says: {{zh_CN: 这房子一直空着。, en: That flat has been empty for years.}}
        actions:
          - {{do: record_vacant, end: vacant}}
      door:
        says: {{zh_CN: 谁呀？, en: "Who is it?"}}
        actions:
          - {{do: greet}}
          - {{do: show_id}}
          - {{do: explain_purpose}}
          - {{do: explain_legal_basis}}
          - {{do: promise_confidentiality}}
          - {{do: answer_concern, theme: no_time}}
          - {{do: answer_concern, theme: privacy}}
          - {{do: answer_concern, theme: distrust}}
          - {{do: answer_concern, theme: fear_consequences}}
          - {{do: answer_concern, theme: not_interested}}
          - {{do: answer_concern, theme: someone_else_decides}}
          - {{do: book_appointment}}
          - {{do: ask_grid_worker}}
          - {{do: probe, topic: births}}
          - {{do: probe, topic: hukou}}
          - {{do: probe, topic: tenants}}
          - {{do: ask_item, item: roster}}
          - {{do: ask_item, item: D8}}
          - {{do: ask_item, item: H2}}
          - {{do: ask_item, item: D3}}
          - {{do: ask_item, item: D2}}
          - {{do: accept_refusal}}
          - do: read_back
            goto:
              - {{to: done, when: {{trust: ">= 50"}}}}
              - to: door
      done:
        says: {{zh_CN: 好了。, en: Done.}}
        end: completed
rubric:
  pass: 60
  criteria:
    - {{criterion: outcome, weight: 2}}
    - {{criterion: credentials_first}}
    - {{criterion: privacy, critical: true}}
    - {{criterion: no_coercion, critical: true}}
    - {{criterion: tailoring}}
    - {{criterion: disclosure}}
"""


def make(archetype: str = "cooperative", themes: str = "no_time") -> Session:
    scenario = loader.parse(TEMPLATE.format(archetype=archetype, themes=themes))
    return Session(scenario, scenario.seed)


def knock(session: Session, at: datetime = EVENING, unit: str = "home") -> None:
    session.apply(Step(unit, "knock", at))


def act(session: Session, action: str, unit: str = "home") -> tuple[int, int]:
    """Apply an action; the change of (trust, irritation) it caused."""
    [event, *_rest] = session.apply(Step(unit, action))
    return event.trust[1] - event.trust[0], event.irritation[1] - event.irritation[0]


def test_first_visit_trust_follows_the_persona() -> None:
    warm, cold = make("cooperative"), make("hostile")
    knock(warm)
    knock(cold)
    assert warm.households["home"].trust > cold.households["home"].trust


@pytest.mark.parametrize("action", ["greet", "show_id", "explain_purpose",
                                    "explain_legal_basis", "promise_confidentiality"])
def test_good_doorstep_moves_build_trust_once(action: str) -> None:
    session = make("busy", "not_interested")
    knock(session)
    trust, _irritation = act(session, action)
    assert trust > 0
    trust_again, irritation_again = act(session, action)
    assert trust_again == 0 and irritation_again > 0  # repeating yourself annoys


def test_credentials_count_more_with_a_distrustful_respondent() -> None:
    plain, wary = make("busy", "no_time"), make("busy", "distrust")
    knock(plain)
    knock(wary)
    assert act(wary, "show_id")[0] > act(plain, "show_id")[0]


def test_confidentiality_counts_more_with_a_private_respondent() -> None:
    plain, private = make("cooperative"), make("private", "privacy")
    knock(plain)
    knock(private)
    assert act(private, "promise_confidentiality")[0] > act(plain, "promise_confidentiality")[0]


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_answering_the_respondents_own_concern_works_and_others_do_not(theme: str) -> None:
    other = next(t for t in sorted(THEMES) if t != theme)
    session = make("busy", theme)
    knock(session)
    wrong_trust, wrong_irritation = act(session, f"answer_concern:{other}")
    assert wrong_trust < 0 and wrong_irritation > 0
    right_trust, right_irritation = act(session, f"answer_concern:{theme}")
    assert right_trust >= 15 and right_irritation < 0
    assert theme in session.households["home"].resolved


def test_second_concern_answered_after_the_first() -> None:
    session = make("busy", "privacy, distrust")
    knock(session)
    early = act(session, "answer_concern:distrust")[0]  # not the most pressing yet
    assert 0 < early < 15


@pytest.mark.parametrize("wrong", ["threaten_penalty", "enter_without_consent"])
def test_coercion_costs_trust_and_the_next_visit_starts_colder(wrong: str) -> None:
    rude, polite = make("busy"), make("busy")
    for session in (rude, polite):
        knock(session)
    assert act(rude, wrong)[0] < 0
    for session in (rude, polite):
        session.apply(Step("home", "come_back_later"))
        knock(session, NEXT_EVENING)
    assert rude.households["home"].trust < polite.households["home"].trust - 10
    assert rude.households["home"].values["rude_before"] is True


def test_privacy_breaches_are_flagged_and_fail_the_privacy_criterion() -> None:
    session = make()
    knock(session)
    [event] = session.apply(Step("home", "photograph_id"))
    assert event.breach
    result = score(evidence_of(session)).results["privacy"]
    assert result.score == 0 and result.findings[0].event == event.seq


def test_a_kept_appointment_warms_the_next_visit_and_a_missed_one_cools_it() -> None:
    kept, missed = make("busy"), make("busy")
    for session in (kept, missed):
        knock(session)
        session.apply(Step("home", "book_appointment"))
        session.apply(Step("home", "come_back_later"))
    assert kept.outcome("home") == "appointment"
    before = kept.households["home"].trust
    knock(kept, NEXT_EVENING)
    knock(missed, datetime(2020, 11, 4, 19, 0))
    assert kept.households["home"].trust == min(100, before + 15)
    assert kept.households["home"].values["appointment_kept"] is True
    assert missed.households["home"].values["appointment_missed"] is True
    assert missed.households["home"].trust < kept.households["home"].trust


def test_the_grid_worker_comes_along_next_time() -> None:
    session = make("hostile", "distrust")
    knock(session)
    session.apply(Step("home", "ask_grid_worker"))
    session.apply(Step("home", "come_back_later"))
    before = session.households["home"].trust
    knock(session, NEXT_EVENING)
    assert session.households["home"].values["with_grid_worker"] is True
    assert session.households["home"].trust > before


def test_nobody_home_outside_the_schedule_and_never_in_a_vacant_unit() -> None:
    session = make()
    [event, *_] = session.apply(Step("home", "knock", datetime(2020, 11, 2, 10, 0)))
    assert event.home is False and event.node == "nobody"
    session.apply(Step("home", "leave_notice"))
    assert session.outcome("home") == "nobody_home"
    [event, *_] = session.apply(Step("empty", "knock", EVENING))
    assert event.home is False
    session.apply(Step("empty", "ask_neighbour"))
    session.apply(Step("empty", "record_vacant"))
    assert session.outcome("empty") == "vacant"
    assert not session.offers("empty")  # a final outcome needs no further visit


def test_patience_runs_out_into_a_refusal() -> None:
    session = make("hostile", "not_interested")
    knock(session)
    session.apply(Step("home", "threaten_penalty"))
    session.apply(Step("home", "enter_without_consent"))
    assert session.outcome("home") == "refused"
    assert not session.households["home"].open


def test_concealed_person_is_left_out_until_trust_and_probe() -> None:
    early, earned = make("busy"), make("busy")
    for session in (early, earned):
        knock(session)
    assert "张小宝" not in early.answer("home", "roster")
    [denied] = early.apply(Step("home", "probe:births"))
    assert early.households["home"].trust < 70
    assert denied.disclosed == () and denied.says == ("没有。", "No.")
    for action in ("greet", "show_id", "explain_purpose", "promise_confidentiality",
                   "answer_concern:no_time"):
        earned.apply(Step("home", action))
    assert earned.households["home"].trust >= 70
    [told] = earned.apply(Step("home", "probe:births"))
    assert told.disclosed == ("baby",)
    assert told.says == ("还有个小宝宝。", "There is also a baby.")
    assert "张小宝" in earned.answer("home", "roster")
    assert score(evidence_of(earned)).results["disclosure"].score == 0.5  # the hukou is left
    earned.apply(Step("home", "probe:hukou"))
    assert score(evidence_of(earned)).results["disclosure"].score == 1


def test_misreport_until_the_hukou_is_probed() -> None:
    session = make()
    knock(session)
    [answer] = session.apply(Step("home", "ask_item:D8"))
    assert "刘芳 1 本村（居）委会" in (answer.answer or "")
    session.apply(Step("home", "probe:hukou"))
    assert "刘芳 4 其他县（市、区）" in session.answer("home", "D8")


def test_probe_without_a_fact_gets_a_plain_no() -> None:
    session = make()
    knock(session)
    [event] = session.apply(Step("home", "probe:tenants"))
    assert event.disclosed == () and event.says is not None


@pytest.mark.parametrize(("at", "message"), [
    (datetime(2020, 11, 1, 19, 0), "Visits are made from"),
    (datetime(2020, 11, 9, 19, 0), "Visits are made from"),
    (datetime(2020, 11, 2, 6, 0), "between 08:00 and 21:00"),
    (datetime(2020, 11, 2, 21, 30), "between 08:00 and 21:00"),
])
def test_knocking_outside_the_calendar_is_refused(at: datetime, message: str) -> None:
    session = make()
    with pytest.raises(InvalidInput) as caught:
        knock(session, at)
    assert message in str(caught.value)
    assert session.events == [] and session.households["home"].visits == 0


def test_time_cannot_go_backwards_and_visits_do_not_overlap() -> None:
    session = make()
    knock(session, NEXT_EVENING)
    with pytest.raises(Conflict):
        knock(session, NEXT_EVENING)
    session.apply(Step("home", "come_back_later"))
    with pytest.raises(InvalidInput):
        knock(session, EVENING)


def test_unknown_household_and_unavailable_action_change_nothing() -> None:
    session = make()
    with pytest.raises(InvalidInput):
        session.apply(Step("nobody", "knock", EVENING))
    with pytest.raises(Conflict):
        session.apply(Step("home", "greet"))  # no visit under way
    knock(session)
    before = list(session.events)
    with pytest.raises(InvalidInput):
        session.apply(Step("home", "record_vacant"))
    assert session.events == before


def test_working_time_per_day_is_limited() -> None:
    session = make()
    session.used[EVENING.date()] = 8 * 60 - 2
    with pytest.raises(InvalidInput) as caught:
        knock(session)
    assert "No working time" in str(caught.value)


ACTIONS = ["greet", "show_id", "explain_purpose", "explain_legal_basis",
           "promise_confidentiality", "answer_concern:privacy", "answer_concern:no_time",
           "probe:births", "probe:hukou", "ask_item:roster", "ask_item:D8", "read_back",
           "book_appointment", "threaten_penalty", "photograph_id", "come_back_later",
           "tell_other_household", "leave_notice", "ask_neighbour", "record_vacant"]


def play_randomly(session: Session, choices: list[int], hours: list[int]) -> list[Step]:
    """Apply a sequence of steps picked by index; invalid picks are skipped, as a UI would."""
    applied = []
    days = iter(range(2, 6))
    for choice, hour in zip(choices, hours, strict=False):
        unit = "home" if choice % 5 else "empty"
        state = session.households[unit]
        if not state.open:
            if not session.offers(unit):
                continue
            day = next(days, None)
            if day is None:
                break
            step = Step(unit, "knock", datetime(2020, 11, day, hour, 0))
        else:
            step = Step(unit, ACTIONS[choice % len(ACTIONS)])
        try:
            session.apply(step)
        except (InvalidInput, Conflict):
            continue
        applied.append(step)
    return applied


@settings(max_examples=60, deadline=None)
@given(choices=st.lists(st.integers(0, 200), max_size=40),
       hours=st.lists(st.sampled_from([9, 14, 19, 20]), min_size=40, max_size=40),
       archetype=st.sampled_from(["cooperative", "busy", "private", "hostile", "elderly"]))
def test_replay_of_a_recorded_action_log_gives_the_identical_events(
        choices: list[int], hours: list[int], archetype: str) -> None:
    session = make(archetype, "privacy")
    steps = play_randomly(session, choices, hours)
    stored = [Step.from_dict(step.to_dict()) for step in steps]
    again = replay(session.scenario, session.seed, stored)
    assert [e.to_dict() for e in again.events] == [e.to_dict() for e in session.events]
    assert score(evidence_of(again)) == score(evidence_of(session))
    for event in session.events:
        assert 0 <= event.trust[1] <= 100 and 0 <= event.irritation[1] <= 100
    assert [e.seq for e in session.events] == list(range(1, len(session.events) + 1))
    for unit, state in session.households.items():
        assert state.visits <= session.scenario.assignment.max_visits
        assert not state.open or state.node in session.dialogue(unit).nodes


def test_events_carry_the_real_time_of_the_step_and_replay_keeps_it() -> None:
    session = make()
    steps = [Step("home", "knock", EVENING, "2026-11-29T02:00:00+00:00"),
             Step("home", "greet", None, "2026-11-29T02:00:09+00:00")]
    for step in steps:
        session.apply(step)
    assert [e.real_at for e in session.events] == ["2026-11-29T02:00:00+00:00",
                                                   "2026-11-29T02:00:09+00:00"]
    again = replay(session.scenario, session.seed, [Step.from_dict(s.to_dict()) for s in steps])
    assert [e.to_dict() for e in again.events] == [e.to_dict() for e in session.events]


@pytest.mark.parametrize(("speaker", "knows", "does_not_know"), [
    ("child", "roster", "D3"), ("proxy", "D2", "D3"), ("self", "D3", None)])
def test_proxies_and_children_answer_within_their_limits(speaker: str, knows: str,
                                                         does_not_know: str | None) -> None:
    text = TEMPLATE.format(archetype="cooperative", themes="no_time").replace(
        "      door:\n        says:", f"      door:\n        speaker: {speaker}\n        says:")
    scenario = loader.parse(text)
    session = Session(scenario, scenario.seed)
    knock(session)
    [known] = session.apply(Step("home", f"ask_item:{knows}"))
    assert known.answer is not None and "张伟" in known.answer
    if does_not_know:
        [unknown] = session.apply(Step("home", f"ask_item:{does_not_know}"))
        assert unknown.answer is None and "know" in (unknown.says or ("", ""))[1]


TRAP_SCENARIO = """\
id: trap-test
version: 1
title: {zh_CN: 陷阱, en: Trap}
summary: {zh_CN: 陷阱, en: Trap}
difficulty: 1
minutes: 5
objectives: [{zh_CN: 测试, en: Test}]
world:
  seed: 3
  households:
    - id: home
      persons:
        - {name: 李娜, relation: 0, sex: 2, birth: 1985-02-01}
facts:
  lodger:
    household: home
    tells: {zh_CN: 其实还有个房客。, en: Actually there is a lodger.}
    denies: {zh_CN: 没有。, en: No.}
assignment: {units: [home], first_day: 2020-11-02}
respondents:
  home: {dialogue: main}
dialogues:
  main:
    start: door
    nodes:
      door:
        says: {zh_CN: 隔壁那家跟你说了什么？, en: "What did next door tell you?"}
        trap: neighbour_asks
        actions:
          - {do: offer_self_report, conduct: wrong, goto: door2}
          - {do: promise_confidentiality, effects: {disclose: [lodger]}, goto: door2}
      door2:
        says: {zh_CN: 好吧。, en: All right.}
        actions:
          - {do: thank_and_close, reply: {zh_CN: 谢谢。, en: Thanks.}, goto: done}
      done:
        says: {zh_CN: 再见。, en: Goodbye.}
        end: completed
rubric:
  criteria:
    - {criterion: traps}
    - {criterion: conduct}
    - {criterion: notice_and_revisit}
"""


def trap_session() -> Session:
    scenario = loader.parse(TRAP_SCENARIO)
    session = Session(scenario, scenario.seed)
    knock(session)
    return session


def test_a_move_the_scenario_calls_wrong_is_wrong_there_and_fails_the_trap() -> None:
    session = trap_session()
    assert {o.key: o.conduct for o in session.offers("home")}["offer_self_report"] == "wrong"
    [event] = session.apply(Step("home", "offer_self_report"))
    assert event.conduct == "wrong" and event.trap == "neighbour_asks"
    results = score(evidence_of(session)).results
    assert results["traps"].score == 0 and results["traps"].findings[0].event == event.seq
    assert results["conduct"].score == 0


def test_a_trap_passed_a_fact_told_by_an_effect_and_an_ending_after_a_reply() -> None:
    session = trap_session()
    [told] = session.apply(Step("home", "promise_confidentiality"))
    assert told.disclosed == ("lodger",)
    assert told.says == ("其实还有个房客。", "Actually there is a lodger.")
    [thanks, end] = session.apply(Step("home", "thank_and_close"))
    assert thanks.says == ("谢谢。再见。", "Thanks. Goodbye.")
    assert end.outcome == "completed"
    assert score(evidence_of(session)).results["traps"].score == 1


def test_nobody_home_at_a_vacant_unit_needs_no_revisit() -> None:
    session = make()
    session.apply(Step("empty", "knock", EVENING))
    session.apply(Step("empty", "ask_neighbour"))
    session.apply(Step("empty", "record_vacant"))
    assert score(evidence_of(session)).results["outcome"].score == 0.5  # home not visited
    from trainer.core.grading.criteria import notice_and_revisit
    assert notice_and_revisit(evidence_of(session)).score == 1


def test_builtin_variables_start_false_and_nobody_home_leaves_the_mood_alone() -> None:
    session = make("busy", "no_time")
    assert session.households["home"].values["notice_left"] is False
    [knocked, *_] = session.apply(Step("home", "knock", datetime(2020, 11, 2, 10, 0)))
    assert knocked.home is False
    trust = session.households["home"].trust
    irritation = session.households["home"].irritation
    session.apply(Step("home", "leave_notice"))
    assert session.households["home"].values["notice_left"] is True
    assert (session.households["home"].trust, session.households["home"].irritation) == (
        trust, irritation)


def test_births_and_deaths_are_answered_by_sex() -> None:
    session = make("cooperative")
    knock(session)
    assert session.answer("home", "H3") == "男 0 女 0"  # the baby is still concealed
    session.households["home"].disclosed.add("baby")
    assert session.answer("home", "H3") == "男 1 女 0"
    assert session.answer("home", "H4") == "男 0 女 0"


def test_h2_is_answered_in_words_counting_the_concealed_only_once_told() -> None:
    session = make("cooperative")
    knock(session)
    persons = session.households["home"].truth.household.persons
    here = sum(p.present for p in persons)
    assert session.answer("home", "H2") == (
        f"10月31日晚住在本户 {here - 1} 人；户口在本户但当晚没住本户 0 人")  # the baby hidden
    session.households["home"].disclosed.add("baby")
    assert session.answer("home", "H2", english=True) == (
        f"{here} slept here on 31 October; 0 with the hukou here lived elsewhere")


def every_action_scenario() -> Session:
    """A door where every vocabulary action is offered (with a parameter where it needs one)."""
    params = {"theme": "privacy", "topic": "births", "item": "roster"}
    lines = []
    for name, action in VOCABULARY.items():
        if name == "knock":
            continue
        param = action.param.value
        extra = f", {param}: {params[param]}" if param != "none" else ""
        lines.append(f"          - {{{{do: {name}{extra}}}}}")
    text = TEMPLATE.format(archetype="busy", themes="privacy")
    start = text.index("      door:\n")
    end = text.index("      done:\n")
    door = ("      door:\n        says: {zh_CN: 你好, en: Hello}\n        actions:\n"
            + "\n".join(lines).replace("{{", "{").replace("}}", "}") + "\n")
    scenario = loader.parse(text[:start] + door + text[end:])
    return Session(scenario, scenario.seed)


@pytest.mark.parametrize("name", [n for n in sorted(VOCABULARY) if n != "knock"])
def test_every_action_of_the_vocabulary_reacts_as_documented(name: str) -> None:
    action = VOCABULARY[name]
    session = every_action_scenario()
    knock(session)
    key = next(o.key for o in session.offers("home") if o.action == name)
    events = session.apply(Step("home", key))
    event = events[0]
    assert event.kind == "action" and event.action == key
    assert event.conduct == action.conduct.value
    assert event.breach == action.breach
    change = event.trust[1] - event.trust[0]
    if name != "answer_concern" and action.trust:
        assert (change > 0) == (action.trust > 0), change
    if action.ends_visit:
        assert events[-1].kind == "visit_end"
        assert events[-1].outcome in (action.ends_visit, "appointment")
    else:
        assert session.households["home"].open or events[-1].outcome == "refused"


def test_a_concern_answered_again_is_a_reminder_not_a_miss() -> None:
    session = make("private", "privacy")
    knock(session)
    [first] = session.apply(Step("home", "answer_concern:privacy"))
    [again] = session.apply(Step("home", "answer_concern:privacy"))
    [other] = session.apply(Step("home", "answer_concern:no_time"))
    assert (first.tailored, again.tailored, other.tailored) == (True, None, False)
    assert score(evidence_of(session)).results["tailoring"].score == 0.5


def test_walking_away_from_a_closed_door_is_nobody_home() -> None:
    session = make()
    session.apply(Step("home", "knock", datetime(2020, 11, 2, 10, 0)))
    [*_, end] = session.apply(Step("home", "come_back_later"))
    assert end.outcome == "nobody_home"


def test_nobody_home_uses_up_neither_the_grid_worker_nor_the_appointment() -> None:
    session = make("hostile", "distrust")
    knock(session)
    session.apply(Step("home", "ask_grid_worker"))
    session.apply(Step("home", "come_back_later"))
    session.apply(Step("home", "knock", datetime(2020, 11, 3, 10, 0)))  # nobody in the morning
    session.apply(Step("home", "leave_notice"))
    assert session.households["home"].grid_worker_next is True
    knock(session, datetime(2020, 11, 4, 19, 0))
    assert session.households["home"].values["with_grid_worker"] is True


def test_the_rude_visit_is_remembered_once() -> None:
    session = make("busy")
    knock(session)
    session.apply(Step("home", "threaten_penalty"))
    session.apply(Step("home", "come_back_later"))
    knock(session, NEXT_EVENING)
    assert session.households["home"].values["rude_before"] is True
    assert session.households["home"].rude is False


def test_one_visit_at_a_time_and_within_its_day() -> None:
    session = make()
    knock(session)
    with pytest.raises(Conflict):
        session.apply(Step("empty", "knock", datetime(2020, 11, 2, 19, 30)))
    with pytest.raises(InvalidInput):
        session.apply(Step("home", "greet", datetime(2020, 11, 3, 9, 0)))


def test_a_booked_visit_finds_them_in() -> None:
    session = make()
    knock(session)
    session.apply(Step("home", "book_appointment"))
    day, slot = session.households["home"].appointment or (None, None)
    assert slot == "evening" and day is not None
    session.apply(Step("home", "come_back_later"))
    [event, *_] = session.apply(Step("home", "knock", datetime(day.year, day.month, day.day,
                                                                 19, 0)))
    assert event.home is True


def test_answers_are_given_in_both_languages() -> None:
    session = make()
    knock(session)
    [event] = session.apply(Step("home", "ask_item:D2"))
    assert event.says is not None
    assert "0 户主" in event.says[0] and "0 Head" in event.says[1]
    assert event.answer == event.says[0]


# --- playtest: choosing the state (issue 10) ----------------------------------------------


def stateful(playtest: bool = True) -> Session:
    """The starter template with two variables and a move offered only when `sure` holds."""
    from trainer.core.scenario import authoring

    text = authoring.template("state-test", "状态", "State")
    text = authoring.set_value(text, ("variables",), {"sure": {"type": "bool", "initial": False},
                                                      "count": {"type": "int", "initial": 0}})
    text = authoring.set_value(text, ("dialogues", "main", "nodes", "door", "actions", 2),
                               {"do": "explain_legal_basis", "when": {"vars": {"sure": True}},
                                "goto": "interview"})
    scenario = loader.parse(text)
    return Session(scenario, scenario.seed, playtest=playtest)


MORNING = datetime(2020, 11, 2, 10, 0)


def test_a_playtest_sets_trust_irritation_and_variables() -> None:
    session = stateful()
    session.apply(Step("home", "knock", MORNING))
    assert "explain_legal_basis" not in {o.key for o in session.offers("home")}
    [event] = session.apply(Step("home", "state:trust=90, irritation=120 sure=TRUE,count=-3"))
    assert (event.kind, event.node) == ("state", "door")
    assert event.trust[1] == 90 and event.irritation == (0, 100)  # clamped to 0-100
    assert event.values == (("trust", 90), ("irritation", 100), ("sure", True), ("count", -3))
    assert dict(event.to_dict()["values"]) == {"trust": 90, "irritation": 100, "sure": True,
                                               "count": -3}
    state = session.households["home"]
    assert (state.values["sure"], state.values["count"]) == (True, -3)
    assert "explain_legal_basis" in {o.key for o in session.offers("home")}
    [after] = session.apply(Step("home", "state:irritation=0,with_grid_worker=true"))
    assert after.trust == (90, 90) and state.values["with_grid_worker"] is True
    [greeted, *_] = session.apply(Step("home", "greet"))
    assert greeted.trust[0] == 90  # the chosen trust is where the next move starts
    assert "values" not in greeted.to_dict()
    again = Session(session.scenario, session.seed, playtest=True)
    for step in session.steps:
        again.apply(step)
    assert again.events == session.events  # a playtest log replays exactly


@pytest.mark.parametrize("spec", ["trust=5,mood=true", "trust=5,visit=2", "trust=5 sure=maybe",
                                  "trust=5,count=1.5", "trust", "trust=ninety", "", " , ",
                                  "trust=5,trust=1=2", "count=9999999999", "Trust=5"])
def test_a_bad_state_step_is_refused_and_changes_nothing(spec: str) -> None:
    session = stateful()
    session.apply(Step("home", "knock", MORNING))
    before = (len(session.events), session.households["home"].trust,
              dict(session.households["home"].values))
    with pytest.raises(InvalidInput):
        session.apply(Step("home", f"state:{spec}"))
    state = session.households["home"]
    assert (len(session.events), state.trust, state.values) == before


def test_only_a_playtest_takes_a_state_step() -> None:
    session = stateful()
    with pytest.raises(Conflict):  # no visit under way
        session.apply(Step("home", "state:trust=50"))
    attempt = stateful(playtest=False)
    with pytest.raises(Conflict):
        attempt.apply(Step("home", "state:trust=50"))
    attempt.apply(Step("home", "knock", MORNING))
    with pytest.raises(InvalidInput) as refused:
        attempt.apply(Step("home", "state:trust=50"))
    assert refused.value.message == "'%(action)s' cannot be done at this point of the visit."
    assert attempt.events[-1].kind == "knock"
