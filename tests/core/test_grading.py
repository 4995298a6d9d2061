"""The rubric criteria on crafted evidence: a perfect attempt scores full marks, and each single
planted mistake is found by exactly the criterion that owns it, pointing at its evidence."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.census import tally
from trainer.core.grading.criteria import CRITERIA, Evidence, Result, node_results, score
from trainer.core.grading.forms import _same_name, attempt_evidence, match_persons
from trainer.core.interview.engine import Session, Step
from trainer.core.scenario import loader

SCENARIO = """\
id: grading-test
version: 1
title: {zh_CN: 测试, en: Test}
summary: {zh_CN: 测试, en: Test}
difficulty: 1
minutes: 5
objectives: [{zh_CN: 测试, en: Test}]
world:
  seed: 7
  households:
    - id: home
      address: {building: 3, unit: 101}
      persons:
        - {name: 张伟, relation: 0, sex: 1, birth: 1975-03-01}
        - {name: 刘芳, relation: 1, sex: 2, birth: 1977-06-09, hukou: 4,
           hukou_place: 湖北省武汉市江岸区}
        - {name: 张小宝, relation: 2, sex: 1, birth: 2020-06-01, hukou: 5}
    - id: other
      address: {building: 3, unit: 102}
      persons:
        - {name: 李强, relation: 0, sex: 1, birth: 1960-01-20}
    - id: empty
      kind: vacant
      address: {building: 3, unit: 201}
assignment:
  units: [home, other, empty]
  first_day: 2020-11-02
  days: 6
  max_visits: 3
respondents:
  home:
    dialogue: main
    archetype: cooperative
    themes: [no_time]
    availability: {weekday: [evening], weekend: [evening]}
    home_probability: 1
  other:
    dialogue: main
    archetype: cooperative
    availability: {weekday: [evening], weekend: [evening]}
    home_probability: 1
  empty:
    dialogue: main
dialogues:
  main:
    start: door
    absent: nobody
    nodes:
      nobody:
        says: {zh_CN: （无人应答）, en: (No answer)}
        actions:
          - {do: leave_notice, end: nobody_home}
          - {do: ask_neighbour, goto: neighbour}
      neighbour:
        speaker: proxy
        says: {zh_CN: 邻居开门了。, en: The neighbour opens.}
        actions:
          - {do: record_vacant, end: vacant}
          - {do: read_back, end: proxy}
      door:
        says: {zh_CN: 谁呀？, en: "Who is it?"}
        actions:
          - {do: show_id}
          - {do: explain_purpose}
          - {do: explain_legal_basis}
          - {do: promise_confidentiality}
          - {do: answer_concern, theme: no_time}
          - {do: answer_concern, theme: privacy}
          - {do: book_appointment}
          - {do: come_back_later}
          - {do: photograph_id}
          - {do: probe, topic: births}
          - {do: ask_item, item: roster}
          - do: read_back
            goto:
              - {to: done, when: {trust: ">= 50"}}
              - to: door
      done:
        says: {zh_CN: 好了。, en: Done.}
        end: completed
rubric:
  pass: 60
  criteria:
    - {criterion: outcome}
    - {criterion: coverage, critical: true}
    - {criterion: form_accuracy}
"""

MONDAY, TUESDAY, WEDNESDAY = 2, 3, 4  # days of November 2020
INTERVIEW = ("show_id", "explain_purpose", "explain_legal_basis", "promise_confidentiality",
             "ask_item:roster", "read_back")


def at(day: int, hour: int) -> datetime:
    return datetime(2020, 11, day, hour, 0)


class Play:
    """A session driven step by step, then handed in with forms and a register."""

    def __init__(self) -> None:
        self.scenario = loader.parse(SCENARIO)
        self.session = Session(self.scenario, self.scenario.seed)

    def knock(self, unit: str, when: datetime, *actions: str) -> Play:
        self.session.apply(Step(unit, "knock", when))
        for action in actions:
            self.session.apply(Step(unit, action))
        return self

    def evidence(self, edit: Edit | None = None) -> Evidence:
        """The evidence with every owed form and the register exactly true, and the quick
        tally of the forms, then `edit`ed (forms by unit as saved entries, register rows by
        unit, the tally's changes; an unchanged tally follows the edited forms)."""
        base = attempt_evidence(self.session, {}, {})
        forms = {unit: {"record": copy.deepcopy(dict(record)), "complete": True}
                 for unit, record in base.truth.items()}
        rows = copy.deepcopy({unit: dict(row) for unit, row in base.register_truth.items()})
        changes: dict[str, Any] = {}
        if edit is not None:
            edit(forms, rows, changes)
        sheet = {**tally.from_forms(entry["record"] for entry in forms.values()), **changes}
        return attempt_evidence(self.session, forms, rows, sheet)


def perfect() -> Play:
    """Every household visited by the book and counted."""
    return (Play()
            .knock("home", at(MONDAY, 19), *INTERVIEW)
            .knock("other", at(MONDAY, 20), *INTERVIEW)
            .knock("empty", at(TUESDAY, 19), "ask_neighbour", "record_vacant"))


def results(evidence: Evidence) -> dict[str, Result]:
    return {name: fn(evidence) for name, fn in CRITERIA.items()}


def changed(good: Evidence, bad: Evidence) -> dict[str, Result]:
    """The criteria whose score differs between two pieces of evidence (bad's results)."""
    before, after = results(good), results(bad)
    return {name: after[name] for name in CRITERIA
            if (before[name].score, before[name].applicable)
            != (after[name].score, after[name].applicable)}


def test_a_perfect_attempt_scores_full_marks_on_every_criterion_that_applies() -> None:
    graded = results(perfect().evidence())
    assert graded["coverage"].applicable and graded["form_accuracy"].applicable
    for name, result in graded.items():
        if result.applicable:
            assert result.score == 1.0, (name, result.findings)
            assert not [f for f in result.findings if not f.good], name
    assert score(perfect().evidence()).passed


def _person(forms: dict[str, Any], unit: str, index: int) -> dict[str, Any]:
    person: dict[str, Any] = forms[unit]["record"]["persons"][index]
    return person


Edit = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], Any]
PLANTED: dict[str, tuple[Edit, str, str]] = {
    # mistake: (edit, owning criterion, where its findings point, space-separated)
    "person left out": (lambda f, r, t: f["home"]["record"]["persons"].pop(2), "coverage",
                        "home/persons"),
    "visitor counted": (lambda f, r, t: f["home"]["record"]["persons"].append(
        {**_person(f, "home", 1), "D1": "王访客", "D3": "0" * 18, "D2": 9}), "coverage",
        "home/persons[3]"),
    "person counted twice": (lambda f, r, t: f["other"]["record"]["persons"].append(
        dict(_person(f, "home", 1))), "coverage", "other/persons[1]"),
    "no form for a household": (lambda f, r, t: f.pop("other"), "coverage", "other"),
    "vacant unit listed as occupied": (lambda f, r, t: r["empty"].update(status="occupied"),
                                       "coverage", "register/empty/status"),
    "occupied unit listed as vacant": (lambda f, r, t: r["other"].update(status="vacant"),
                                       "coverage", "register/other/status"),
    "unit missing from the register": (lambda f, r, t: r.pop("empty"), "coverage",
                                       "register/empty/status"),
    "wrong sex": (lambda f, r, t: _person(f, "home", 1).update(D4=1), "form_accuracy",
                  "home/persons[1]/D4"),
    "wrong floor area": (lambda f, r, t: f["home"]["record"].update(H6=999), "form_accuracy",
                         "home/H6"),
    "wrong hukou place": (lambda f, r, t: _person(f, "home", 1).update(D8=1), "residence_rules",
                          "home/persons[1]/D8"),
    "wrong residence": (lambda f, r, t: _person(f, "home", 0).update(D7=5), "residence_rules",
                        "home/persons[0]/D7"),
    "draft with a blank item": (lambda f, r, t: (f["home"].update(complete=False),
                                              _person(f, "home", 0).update(D6=None)),
                                "form_completeness", "home home/persons[0]/D6"),
    "register head disagrees with the form": (lambda f, r, t: r["home"].update(head="张三"),
                                              "consistency", "register/home/head"),
    "register count disagrees with the form": (lambda f, r, t: r["home"].update(present=5),
                                               "consistency", "register/home/present"),
    "wrong building number": (lambda f, r, t: r["home"].update(building=9), "register_accuracy",
                              "register/home/building"),
    "wrong household number": (lambda f, r, t: r["other"].update(number=7), "register_accuracy",
                               "register/other/number"),
    "tally miscounted": (lambda f, r, t: t.update(present=9), "tally", "tally/present"),
}


@pytest.mark.parametrize("mistake", sorted(PLANTED))
def test_each_planted_form_mistake_is_found_by_exactly_its_criterion(mistake: str) -> None:
    edit, owner, where = PLANTED[mistake]
    play = perfect()
    differ = changed(play.evidence(), play.evidence(edit))
    assert list(differ) == [owner], (mistake, {n: r.findings for n, r in differ.items()})
    result = differ[owner]
    assert result.score < 1
    assert [f.where for f in result.findings if not f.good] == where.split()


def test_findings_name_items_and_persons_as_the_form_shows_them() -> None:
    """H3/H4 are one numbered item in two boxes on the form: a finding names the box as the
    form does (not the internal key H3f), and a person's item says which person it is."""
    def edit(f: dict[str, Any], r: dict[str, Any], t: dict[str, Any]) -> None:
        f["home"].update(complete=False)
        f["home"]["record"].update(H3f=None, H4m=7)
        _person(f, "home", 1).update(D6=None)
    evidence = perfect().evidence(edit)
    blank = [f.text for f in CRITERIA["form_completeness"](evidence).findings if not f.good]
    assert any("H3 出生人口（女） 未填" in zh and "H3 Births, female left blank" in en
               for zh, en in blank), blank
    assert any("第 2 人 D6 未填" in zh and "person 2, D6 left blank" in en
               for zh, en in blank), blank
    wrong = [f.text for f in CRITERIA["form_accuracy"](evidence).findings if not f.good]
    assert any("H4 死亡人口（男） 不正确" in zh and "H4 Deaths, male is wrong" in en
               for zh, en in wrong), wrong
    assert not any("H3f" in zh or "H4m" in en for zh, en in blank + wrong)


def test_nothing_handed_in_is_coverage_alone() -> None:
    play = perfect()
    empty = attempt_evidence(play.session, {}, play.evidence().register)
    graded = results(empty)
    assert graded["coverage"].score < 1
    for name in ("form_accuracy", "residence_rules", "form_completeness", "consistency"):
        assert not graded[name].applicable, name


def test_a_person_in_the_wrong_household_is_not_a_double_count() -> None:
    def move(f: dict[str, Any], r: dict[str, Any], t: dict[str, Any]) -> None:
        f["other"]["record"]["persons"].append(f["home"]["record"]["persons"].pop(1))
    findings = CRITERIA["coverage"](perfect().evidence(move)).findings
    # the household in mid-sentence is named by its address, as the pages name it (the key
    # a finding starts with is replaced on the page)
    assert [f.text for f in findings] == [
        ("home：漏登 刘芳", "home: 刘芳 left out"),
        ("other：刘芳 登记错了户，应登记在 3栋101室",
         "other: 刘芳 is counted in the wrong household (lives at building 3, unit 101)")]


def test_a_double_count_and_a_visitor_are_told_apart() -> None:
    play = perfect()
    twice = PLANTED["person counted twice"][0]
    visitor = PLANTED["visitor counted"][0]
    [double] = CRITERIA["coverage"](play.evidence(twice)).findings
    [wrong] = CRITERIA["coverage"](play.evidence(visitor)).findings
    assert double.text == ("other：刘芳 重复登记（已在 3栋101室 登记）",
                           "other: 刘芳 counted twice (already counted at building 3, unit 101)")
    assert "should not be counted here" in wrong.text[1]


def test_residence_findings_state_the_counting_rule() -> None:
    [finding] = CRITERIA["residence_rules"](
        perfect().evidence(PLANTED["wrong hukou place"][0])).findings
    assert "4 Another county" in finding.text[1] and "hukou is registered" in finding.text[1]
    assert "户口登记" in finding.text[0]


def test_a_homophone_or_a_typo_in_a_name_is_tolerated_with_a_note() -> None:
    play = perfect()
    evidence = play.evidence(lambda f, r, t: _person(f, "home", 1).update(D1="刘方"))
    result = CRITERIA["form_accuracy"](evidence)
    assert result.score == 1.0 and CRITERIA["coverage"](evidence).score == 1.0
    [note] = result.findings
    assert note.good and note.where == "home/persons[1]/D1" and "刘芳" in note.text[0]


@given(st.text(alphabet="张王李刘陈杨赵黄周吴伟芳强军", min_size=2, max_size=4))
@settings(max_examples=60, deadline=None)
def test_a_name_always_matches_itself_and_never_a_longer_one(name: str) -> None:
    assert _same_name(name, name)
    assert not _same_name(name, name + "一")
    assert match_persons([{"D1": name}], [{"D1": name}]) == ([(0, 0)], [], [])


def test_an_exact_name_wins_over_a_tolerated_one() -> None:
    records = [{"D1": "张玮"}, {"D1": "张伟"}]
    truth = [{"D1": "张伟"}, {"D1": "张玮"}]
    assert match_persons(records, truth)[0] == [(0, 1), (1, 0)]


# --- procedure ----------------------------------------------------------------------------


def test_a_revisit_at_a_time_that_already_failed_is_found_by_revisit_timing() -> None:
    def play(second: datetime) -> Play:
        return (Play()
                .knock("home", at(MONDAY, 10), "leave_notice")
                .knock("home", second, "leave_notice")
                .knock("home", at(WEDNESDAY, 19), *INTERVIEW)
                .knock("other", at(WEDNESDAY, 20), *INTERVIEW)
                .knock("empty", at(6, 19), "ask_neighbour", "record_vacant"))
    good, bad = play(at(TUESDAY, 15)), play(at(TUESDAY, 10))  # afternoon / morning again
    differ = changed(good.evidence(), bad.evidence())
    assert list(differ) == ["revisit_timing"]
    [finding] = differ["revisit_timing"].findings
    knock = next(e for e in bad.session.events if e.kind == "knock" and e.visit == 2)
    assert finding.event == knock.seq and "weekday morning again" in finding.text[1]
    assert CRITERIA["revisit_timing"](good.evidence()).score == 1.0


def test_revisit_timing_does_not_apply_when_every_door_opened_first_time() -> None:
    assert not CRITERIA["revisit_timing"](perfect().evidence()).applicable


BEFORE_QUESTIONS = ("credentials_first", "purpose_and_legal_basis", "confidentiality_promised")


def test_the_rules_before_the_first_question_do_not_apply_when_no_question_was_asked() -> None:
    # knocked and showed the card, then left: no interview opened, so its opening rules are
    # left out of the total rather than given full marks (coverage pays for the interview)
    graded = results(Play().knock("home", at(MONDAY, 19), "show_id").evidence())
    for name in BEFORE_QUESTIONS:
        assert not graded[name].applicable and not graded[name].findings, name
    assert graded["coverage"].applicable


def test_the_rules_before_the_first_question_still_judge_each_visit_that_asked() -> None:
    graded = results(Play().knock("home", at(MONDAY, 19), "show_id", "come_back_later")
                     .knock("other", at(MONDAY, 20), "show_id", "ask_item:roster")
                     .evidence())
    assert graded["credentials_first"].applicable and graded["credentials_first"].score == 1.0
    for name in ("purpose_and_legal_basis", "confidentiality_promised"):
        assert graded[name].applicable and graded[name].score == 0.0, name  # one visit asked
        assert len(graded[name].findings) == 1


@pytest.mark.parametrize(("told", "text"), [
    ((), "提问前没有说明普查目的，也没有说明法律依据。"),
    (("explain_purpose",), "提问前没有说明法律依据。"),
    (("explain_legal_basis",), "提问前没有说明普查目的。"),
])
def test_the_purpose_finding_names_only_what_was_not_explained(told: tuple[str, ...],
                                                                  text: str) -> None:
    graded = results(Play().knock("home", at(MONDAY, 19), "show_id", *told,
                                  "ask_item:roster").evidence())
    [finding] = graded["purpose_and_legal_basis"].findings
    assert finding.text[0] == text
    assert ("purpose" in finding.text[1]) == ("explain_purpose" not in told)


def test_an_appointment_not_kept_is_found_by_appointments_kept() -> None:
    def play(day: int) -> Play:
        return (Play()
                .knock("home", at(MONDAY, 19), "show_id", "book_appointment",
                       "come_back_later")
                .knock("home", at(day, 19), *INTERVIEW)
                .knock("other", at(day, 20), *INTERVIEW)
                .knock("empty", at(6, 19), "ask_neighbour", "record_vacant"))
    booking = next(e for e in play(TUESDAY).session.events if e.booked)
    assert booking.booked == "2020-11-03 evening"
    kept = CRITERIA["appointments_kept"](play(TUESDAY).evidence())
    missed = CRITERIA["appointments_kept"](play(WEDNESDAY).evidence())
    assert kept.score == 1.0 and missed.score == 0.0
    [finding] = missed.findings
    assert finding.event == booking.seq and "2020-11-03" in finding.text[1]


def test_a_neighbour_answering_too_early_is_found_by_proxy_last_resort() -> None:
    def play(tries: int) -> Play:
        p = Play()
        for day in range(tries):
            p.knock("other", at(MONDAY + day, 10 + 4 * day), "leave_notice")
        p.knock("other", at(5, 10), "ask_neighbour", "read_back")
        return (p.knock("home", at(5, 19), *INTERVIEW)
                .knock("empty", at(6, 19), "ask_neighbour", "record_vacant"))
    patient, hasty = play(2), play(1)
    assert patient.session.outcome("other") == hasty.session.outcome("other") == "proxy"
    assert CRITERIA["proxy_last_resort"](patient.evidence()).score == 1.0
    result = CRITERIA["proxy_last_resort"](hasty.evidence())
    [finding] = result.findings
    end = next(e for e in hasty.session.events if e.outcome == "proxy")
    assert result.score == 0.0 and finding.event == end.seq
    # leaving a notice before a neighbour answers is not owed on that last visit
    assert CRITERIA["notice_and_revisit"](patient.evidence()).score == 1.0


def test_provoking_the_respondent_costs_rapport_and_points_at_the_worst_move() -> None:
    irritating = ("show_id", *["answer_concern:privacy"] * 3, "come_back_later")
    play = (Play().knock("home", at(MONDAY, 19), *irritating)
            .knock("other", at(MONDAY, 20), *INTERVIEW))
    result = CRITERIA["rapport"](play.evidence())
    assert result.score < 1
    worst = max((e for e in play.session.events if e.household == "home" and e.kind == "action"),
                key=lambda e: e.irritation[1] - e.irritation[0])
    assert [f.event for f in result.findings] == [worst.seq]
    assert CRITERIA["rapport"](perfect().evidence()).score == 1.0


def test_a_missed_concern_says_what_the_respondent_worried_about_and_what_fits() -> None:
    play = Play().knock("home", at(MONDAY, 19), "show_id", "answer_concern:privacy")
    [finding] = CRITERIA["tailoring"](play.evidence()).findings
    assert "no time" in finding.text[1] and "book a time" in finding.text[1]
    assert "没有时间" in finding.text[0]


def test_an_attempt_that_only_knocks_fails() -> None:
    play = (Play().knock("home", at(MONDAY, 19), *INTERVIEW)
            .knock("other", at(MONDAY, 20), *INTERVIEW))
    handed_in_nothing = attempt_evidence(play.session, {}, {})
    graded = score(handed_in_nothing)
    assert graded.results["coverage"].score == 0 and not graded.passed


def test_grading_is_a_pure_function_of_the_evidence() -> None:
    edit = PLANTED["wrong sex"][0]
    first, second = score(perfect().evidence(edit)), score(perfect().evidence(edit))
    assert first == second


PEOPLE = st.fixed_dictionaries({"D1": st.sampled_from(["张伟", "张玮", "刘芳", "刘方", "李强", ""]),
                                "D3": st.sampled_from(["1", "2", "3", "0" * 18, None])})


@given(st.lists(PEOPLE, max_size=6), st.lists(PEOPLE, max_size=6))
@settings(max_examples=200, deadline=None)
def test_matching_pairs_each_record_and_each_true_person_at_most_once(records, truth) -> None:
    pairs, omitted, extra = match_persons(records, truth)
    mine, true = [m for m, _t in pairs], [t for _m, t in pairs]
    assert sorted(mine + extra) == list(range(len(records)))
    assert sorted(true + omitted) == list(range(len(truth)))
    for m, t in pairs:  # a pair always shares a name, an ID number, or a tolerated name
        assert (records[m]["D1"] and records[m]["D1"] == truth[t]["D1"]) or (
            records[m]["D3"] not in (None, "0" * 18) and records[m]["D3"] == truth[t]["D3"]) or (
            _same_name(records[m]["D1"], truth[t]["D1"]))


def test_each_node_acted_at_is_right_unless_a_wrong_move_was_made_there() -> None:
    assert node_results(perfect().evidence()) == {
        "main/door": 1.0, "main/nobody": 1.0, "main/neighbour": 1.0}
    careless = Play().knock("home", at(MONDAY, 19), "show_id", "photograph_id",
                            "come_back_later")
    assert node_results(careless.evidence()) == {"main/door": 0.0}
    assert score(careless.evidence()).nodes == {"main/door": 0.0}
