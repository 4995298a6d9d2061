"""Rubric criteria read from the visit events, registered by name.

A scenario's rubric names criteria from `CRITERIA`; each is a pure function of the evidence
(the scenario, the events, the households' outcomes) returning a score from 0 to 1 and
findings that point at the event they are about. The grading issue adds form, register and map
criteria to the same registry; this module holds the ones the visit engine's events support.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trainer.core.interview.engine import Event, Session
from trainer.core.scenario.model import Criterion, Rubric, Scenario
from trainer.core.scenario.vocabulary import (
    ACTIONS,
    OUTCOMES,
    THEME_ANSWERS,
    THEMES,
    TRAPS,
    Conduct,
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What an attempt's visits left behind."""

    scenario: Scenario
    events: Sequence[Event]
    outcomes: Mapping[str, str]  # household -> final outcome
    vacant: frozenset[str] = frozenset()  # households whose unit is truly empty
    nobody_lives: frozenset[str] = frozenset()  # vacant units and whole-household deaths
    forms_expected: bool = False  # an attempt (not a bot or a playtest) hands in forms
    forms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # unit -> record
    drafts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # handed in unfinished
    # every R601 record the trainee filed, owed or not (a 999 form for a unit really vacant
    # too): what the quick tally adds up
    filed: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    truth: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # unit -> record
    register: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # unit -> row
    register_truth: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    tally: Mapping[str, Any] | None = None  # the quick tally handed in (None: not done)
    # unit -> TruthHousehold: who really lives in each unit (for criteria of other forms)
    households: Mapping[str, Any] = field(default_factory=dict)
    # HMT/foreign forms as saved: unit -> {"record", "complete", "confirmed"}
    hmt_forms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    deaths: Mapping[str, Any] | None = None  # the death form as saved (None: not started)
    map_drawing: Mapping[str, Any] | None = None  # the small-area map as saved (GeoJSON)
    seed: int | None = None  # the world's seed (the map's truth is drawn from it)


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation of a criterion, with the event it rests on (its `seq`)."""

    text: tuple[str, str]  # zh_CN, en
    event: int | None = None
    good: bool = False
    where: str | None = None  # a form field: "household/persons[1]/D3" or "household/H2a"
    # a map finding as `MapFinding.to_dict` gives it (code, severity, the N_ message and its
    # parameters, the drawn feature, the true building, the point), for the overlay
    map: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """A criterion's score (0-1) and findings."""

    score: float
    findings: tuple[Finding, ...] = ()
    applicable: bool = True  # False: the evidence has nothing this criterion reads


CriterionFn = Callable[[Evidence], Result]
CRITERIA: dict[str, CriterionFn] = {}
LABELS: dict[str, tuple[str, str]] = {}  # what each criterion checks, in zh_CN and en


def criterion(name: str, label: tuple[str, str]) -> Callable[[CriterionFn], CriterionFn]:
    """Register a criterion under `name`, with what it checks in both languages."""
    def register(fn: CriterionFn) -> CriterionFn:
        CRITERIA[name] = fn
        LABELS[name] = label
        return fn
    return register


def _visits(events: Sequence[Event]) -> dict[tuple[str, int], list[Event]]:
    """Events grouped by (household, visit), for visits where someone opened."""
    visits: dict[tuple[str, int], list[Event]] = {}
    for event in events:
        visits.setdefault((event.household, event.visit), []).append(event)
    return {key: evs for key, evs in visits.items() if evs[0].home}


def _base(event: Event) -> str:
    return (event.action or "").split(":")[0]


def _ratio(good: int, total: int, empty: float = 1.0) -> float:
    return good / total if total else empty


def _last_events(events: Sequence[Event], *, home: bool = False) -> dict[str, int]:
    """Household -> the `seq` of its last event (in a visit where someone opened, with
    `home`): where its visits ended, so a finding about a household as a whole has a turn of
    the transcript to open."""
    opened = _visits(events).keys() if home else None
    return {e.household: e.seq for e in events
            if opened is None or (e.household, e.visit) in opened}


def _pointing(text: tuple[str, str], event: int | None, unit: str,
              good: bool = False) -> Finding:
    """A finding about a household: at its last event, or at its register row when its door
    was never knocked at (so every finding opens some evidence)."""
    return Finding(text, event, good=good, where=None if event is not None else f"register/{unit}")


def evidence_of(session: Session) -> Evidence:
    """The evidence a session's visits produced."""
    return Evidence(session.scenario, tuple(session.events),
                    {unit: session.outcome(unit) for unit in session.households},
                    frozenset(unit for unit, state in session.households.items()
                              if state.truth.kind == "vacant"),
                    frozenset(unit for unit, state in session.households.items()
                              if state.truth.kind in ("vacant", "all_died")),
                    households={unit: state.truth for unit, state in session.households.items()},
                    seed=session.seed)


# results the interview engine gives that are not a way a visit ends (so not in OUTCOMES)
UNLISTED_OUTCOMES: dict[str, tuple[str, str]] = {"not_visited": ("未入户登记", "not visited")}


@criterion("outcome", ("每户都得到登记：完成、自主填报、代答或确属空房",
                       "Each household ends counted: registered, self-reporting, a proxy, or "
                        "truly vacant"))
def outcome(evidence: Evidence) -> Result:
    """Each household ends counted: registered, self-reporting, a proxy, or truly vacant."""
    findings = []
    total = 0.0
    last = _last_events(evidence.events)
    for unit, code in evidence.outcomes.items():
        right_vacant = code == "vacant" and unit in evidence.vacant
        wrong_vacant = code == "vacant" and unit not in evidence.vacant
        info = OUTCOMES.get(code)
        if wrong_vacant:
            value = 0.0
        elif right_vacant or (info is not None and info.complete):
            value = 1.0
        elif code in ("appointment", "partial"):
            value = 0.5
        elif code == "refused":
            value = 0.25
        else:
            value = 0.0
        total += value
        label = info.label if info else UNLISTED_OUTCOMES.get(code, (code, code))
        findings.append(_pointing((f"{unit}：{label[0]}", f"{unit}: {label[1]}"),
                                  last.get(unit), unit, good=value == 1))
    return Result(total / max(1, len(evidence.outcomes)), tuple(findings))


def _before_questions(evidence: Evidence, wanted: tuple[str, ...],
                      missing: Callable[[tuple[str, ...]], tuple[str, str]]) -> Result:
    """Visits where every `wanted` action came before the first question (§21, §23, §33).

    These rules are about how an interview opens ("before the first question"): they arise
    only in a visit where a question was asked. A visit with no question (the trainee knocked,
    showed the card and left, or nobody opened) had no interview for them to judge, so it is
    not counted; an attempt with no such visit at all gets the criterion as not applicable
    (left out of the total, like the procedure criteria whose occasion never came,
    `procedure.py`) rather than full marks for a rule it never had to keep. An interview
    that never happened costs its marks where it belongs: in coverage, outcomes and forms.
    A visit's finding names what was missing (`missing` of the wanted actions not taken)."""
    good = total = 0
    findings = []
    for (_unit, _visit), events in _visits(evidence.events).items():
        first_question = next((e for e in events if _base(e) in ("ask_item", "probe")), None)
        if first_question is None:
            continue
        total += 1
        before = {_base(e) for e in events if e.seq < first_question.seq}
        lacking = tuple(action for action in wanted if action not in before)
        if not lacking:
            good += 1
        else:
            findings.append(Finding(missing(lacking), first_question.seq))
    if not total:
        return Result(1.0, applicable=False)
    return Result(good / total, tuple(findings))


@criterion("credentials_first", ("每次提问前先出示普查员证（条例第21条）",
                       "The enumerator card was shown before the first question of each "
                        "visit (§21)"))
def credentials_first(evidence: Evidence) -> Result:
    """The 普查员证 was shown before the first question of each visit (条例 §21)."""
    return _before_questions(evidence, ("show_id",), lambda _lacking: (
        "提问前没有出示普查员证。", "Asked questions before showing the enumerator card."))


@criterion("purpose_and_legal_basis", ("提问前说明普查目的和法律依据（条例第23条）",
                       "Purpose and legal basis were explained before the questions (§23)"))
def purpose_and_legal_basis(evidence: Evidence) -> Result:
    """Purpose and legal basis were explained before the questions (条例 §23)."""
    return _before_questions(evidence, ("explain_purpose", "explain_legal_basis"),
                             _NOT_EXPLAINED.__getitem__)


# what a visit had not explained before its first question, named alone when it is one
_NOT_EXPLAINED = {
    ("explain_purpose",): ("提问前没有说明普查目的。",
                           "Asked questions before explaining the purpose of the census."),
    ("explain_legal_basis",): ("提问前没有说明法律依据。",
                               "Asked questions before explaining the legal basis."),
    ("explain_purpose", "explain_legal_basis"): (
        "提问前没有说明普查目的，也没有说明法律依据。",
        "Asked questions before explaining either the purpose or the legal basis."),
}


@criterion("confidentiality_promised", ("提问前承诺保密（条例第33条）",
                       "Confidentiality was promised before the questions (§33)"))
def confidentiality_promised(evidence: Evidence) -> Result:
    """Confidentiality was promised before the questions (条例 §33)."""
    return _before_questions(evidence, ("promise_confidentiality",), lambda _lacking: (
        "提问前没有承诺保密。", "Asked questions before promising confidentiality."))


@criterion("privacy", ("没有泄露、拍摄、转发或暴露任何住户的信息",
                       "No respondent's data was disclosed, photographed, shared or left visible"))
def privacy(evidence: Evidence) -> Result:
    """No respondent's data was disclosed, photographed, shared or left visible."""
    breaches = [e for e in evidence.events if e.breach]
    findings = tuple(Finding((f"泄露风险：{ACTIONS[_base(e)].label[0]}",
                              f"Privacy breach: {ACTIONS[_base(e)].label[1]}"), e.seq)
                     for e in breaches)
    return Result(0.0 if breaches else 1.0, findings)


@criterion("no_coercion", ("没有威胁，没有未经同意进屋（拒访不得强迫）",
                       "No threats and no entering without consent (refusals are never coerced)"))
def no_coercion(evidence: Evidence) -> Result:
    """No threats and no entering without consent (§36: refusals are never coerced)."""
    bad = [e for e in evidence.events if _base(e) in ("threaten_penalty",
                                                      "enter_without_consent")]
    findings = tuple(Finding((f"强迫行为：{ACTIONS[_base(e)].label[0]}",
                              f"Coercion: {ACTIONS[_base(e)].label[1]}"), e.seq) for e in bad)
    return Result(0.0 if bad else 1.0, findings)


@criterion("conduct", ("不是错误做法的行动所占比例",
                       "Share of the actions that were not wrong moves"))
def conduct(evidence: Evidence) -> Result:
    """Share of the trainee's actions that were not wrong moves."""
    actions = [e for e in evidence.events if e.kind == "action"]
    wrong = [e for e in actions if e.conduct == Conduct.WRONG.value]
    findings = tuple(Finding((f"错误做法：{ACTIONS[_base(e)].label[0]}",
                              f"Wrong move: {ACTIONS[_base(e)].label[1]}"), e.seq)
                     for e in wrong)
    return Result(_ratio(len(actions) - len(wrong), len(actions)), findings)


@criterion("tailoring", ("回应切中住户自己的顾虑",
                       "Concerns were answered with the answer to the respondent's own concern"))
def tailoring(evidence: Evidence) -> Result:
    """Concerns were answered with the answer to the respondent's own theme."""
    answers = [e for e in evidence.events
               if _base(e) == "answer_concern" and e.tailored is not None]
    matched = [e for e in answers if e.tailored]
    findings = tuple(Finding(("回应切中顾虑。", "The answer met the concern."), e.seq, good=True)
                     if e in matched else _missed_concern(evidence, e) for e in answers)
    if not answers:
        complete = all(OUTCOMES[c].complete for c in evidence.outcomes.values() if c in OUTCOMES)
        return Result(1.0 if complete else 0.5)
    return Result(len(matched) / len(answers), findings)


def _missed_concern(evidence: Evidence, event: Event) -> Finding:
    """A concern answered off the mark: what the respondent really worried about, and an
    answer that would have fitted."""
    respondent = evidence.scenario.respondents.get(event.household)
    answered = {(e.action or "").partition(":")[2] for e in evidence.events
                if e.seq < event.seq and e.household == event.household and e.tailored}
    themes = [t for t in (respondent.themes if respondent else ())
              if t in THEMES and t not in answered]
    if not themes:
        return Finding(("回应没有针对住户的顾虑。", "The answer missed the respondent's concern."),
                       event.seq)
    theme = themes[0]
    answer = THEME_ANSWERS[theme]
    return Finding((f"回应没有针对住户的顾虑。住户真正担心的是“{THEMES[theme][0]}”，"
                    f"可以这样回应：{answer[0]}",
                    f"The answer missed the respondent's concern. What they really worried "
                    f"about: {THEMES[theme][1].lower()}. An answer that fits: {answer[1]}"),
                   event.seq)


@criterion("disclosure", ("通过取得信任和追问，弄清住户隐瞒的情况",
                       "Concealed facts were drawn out by earning trust and probing"))
def disclosure(evidence: Evidence) -> Result:
    """The facts the respondents conceal were drawn out by earning trust and probing."""
    facts = [f for f in evidence.scenario.facts.values() if f.household in evidence.outcomes]
    told = {fact for e in evidence.events for fact in e.disclosed}
    last = _last_events(evidence.events, home=True)
    findings = tuple(_pointing((f"未发现：{f.tells.zh}", f"Not found out: {f.tells.en}"),
                               last.get(f.household), f.household)
                     for f in facts if f.id not in told)
    return Result(_ratio(sum(f.id in told for f in facts), len(facts)), findings)


@criterion("notice_and_revisit", ("无人在家时留下通知单并再次上门",
                       "A notice was left when nobody was home, and the household was visited "
                        "again"))
def notice_and_revisit(evidence: Evidence) -> Result:
    """A notice was left when nobody was home, and the household was visited again."""
    absent = [e for e in evidence.events if e.kind == "knock" and not e.home]
    if not absent:
        return Result(1.0)
    notices = {(e.household, e.visit) for e in evidence.events if _base(e) == "leave_notice"}
    # a neighbour answered for the household on that visit: nothing left to come back for
    notices |= {(e.household, e.visit) for e in evidence.events if e.outcome == "proxy"}
    knocks = {(e.household, e.visit) for e in evidence.events if e.kind == "knock"}
    good = 0
    findings = []
    for event in absent:
        if event.household in evidence.nobody_lives:
            good += 1  # nobody will ever open: confirming it is the other criteria's business
            continue
        ok = ((event.household, event.visit) in notices
              and ((event.household, event.visit + 1) in knocks  # and came back after it
                   or evidence.outcomes.get(event.household) == "proxy"))
        good += ok
        if not ok:
            findings.append(Finding(("无人在家时应留下通知单并再次上门。",
                                     "Leave a notice when nobody is home, and come back."),
                                    event.seq))
    return Result(good / len(absent), tuple(findings))


@criterion("traps", ("陷阱处理得当：在陷阱处没有采取错误做法",
                    "Traps handled: no wrong move where a trap was set"))
def traps(evidence: Evidence) -> Result:
    """Each trap met (a node marked `trap`) was passed without a wrong move there."""
    met: dict[tuple[str, int, str], list[Event]] = {}
    for event in evidence.events:
        if event.kind == "action" and event.trap:
            met.setdefault((event.household, event.visit, event.trap), []).append(event)
    findings = []
    good = 0
    for (_unit, _visit, trap), events in met.items():
        wrong = next((e for e in events if e.conduct == Conduct.WRONG.value), None)
        if wrong is None:
            good += 1
            findings.append(Finding((f"陷阱处理得当：{TRAPS[trap][0]}",
                                     f"Trap handled: {TRAPS[trap][1]}"), events[0].seq, True))
        else:
            findings.append(Finding((f"在陷阱处做错了：{TRAPS[trap][0]}",
                                     f"Wrong move at a trap: {TRAPS[trap][1]}"), wrong.seq))
    return Result(_ratio(good, len(met)), tuple(findings))


@dataclass(frozen=True, slots=True)
class Score:
    """A rubric applied to evidence."""

    total: float  # 0-100
    passed: bool
    results: Mapping[str, Result]
    nodes: Mapping[str, float] = field(default_factory=dict)  # "dialogue/node" -> 1 right, 0


def node_results(evidence: Evidence) -> dict[str, float]:
    """Each dialogue node where the trainee acted: 1.0 if no move there was a wrong one, else
    0.0 (for item statistics per node: which parts of a scenario teach, which confuse)."""
    out: dict[str, float] = {}
    where: dict[tuple[str, int], str | None] = {}  # (household, visit) -> current node
    for event in evidence.events:
        key = (event.household, event.visit)
        if event.kind == "action" and where.get(key):
            respondent = evidence.scenario.respondents.get(event.household)
            name = f"{respondent.dialogue if respondent else '?'}/{where[key]}"
            right = 0.0 if event.conduct == Conduct.WRONG.value else 1.0
            out[name] = min(out.get(name, 1.0), right)
        where[key] = event.node
    return out


def score_data(graded: Score, grader: str) -> dict[str, Any]:
    """A score as JSON-ready data, tagged with the grader version that computed it."""
    return {"grader": grader, "total": graded.total, "passed": graded.passed,
            "nodes": dict(graded.nodes),
            "criteria": {name: {"score": result.score, "applicable": result.applicable,
                                "findings": [_finding_data(f) for f in result.findings]}
                         for name, result in graded.results.items()}}


def _finding_data(found: Finding) -> dict[str, Any]:
    """A finding as stored; `map` only when there is one, so scores without map findings
    keep the shape they always had."""
    data: dict[str, Any] = {"text": list(found.text), "event": found.event,
                            "good": found.good, "where": found.where}
    if found.map is not None:
        data["map"] = dict(found.map)
    return data


def total_of(rubric: Rubric, scores: Mapping[str, float],
             applicable: Mapping[str, bool]) -> tuple[float, bool]:
    """(total 0-100, passed): the weighted mean of the applicable criteria; failing a
    critical criterion (below 0.5) fails the whole whatever the total."""
    counted = [c for c in rubric.criteria if applicable.get(c.name, True)]
    weight = sum(c.weight for c in counted) or 1.0
    total = round(100 * sum(c.weight * scores[c.name] for c in counted) / weight, 1)
    critical_failed = any(c.critical and scores[c.name] < 0.5 for c in counted)
    return total, total >= rubric.pass_score and not critical_failed


def score(evidence: Evidence) -> Score:
    """The scenario's rubric applied to the evidence: weighted mean, critical criteria."""
    rubric = evidence.scenario.rubric
    results = {c.name: CRITERIA[c.name](evidence) for c in rubric.criteria}
    total, passed = total_of(rubric, {name: r.score for name, r in results.items()},
                             {name: r.applicable for name, r in results.items()})
    return Score(total, passed, results, node_results(evidence))


def ranked(rubric: Rubric, data: Mapping[str, Any]
           ) -> list[tuple[str, Criterion | None, Mapping[str, Any]]]:
    """A stored score's criteria, the ones that cost the most first (weight x points lost,
    then the rubric's order): (name, the rubric's criterion or None, the stored result).
    Criteria the rubric no longer names (a score from an older rubric) come last."""
    named = {c.name: c for c in rubric.criteria}
    order = {c.name: index for index, c in enumerate(rubric.criteria)}
    results = data.get("criteria", {})

    def lost(name: str) -> tuple[float, int]:
        weight = named[name].weight if name in named else 0.0
        result = results[name]
        cost = weight * (1 - result["score"]) if result.get("applicable", True) else 0.0
        return -cost, order.get(name, len(order))
    return [(name, named.get(name), results[name]) for name in sorted(results, key=lost)]


def with_overrides(data: Mapping[str, Any], rubric: Rubric,
                   overrides: Mapping[str, float]) -> dict[str, Any]:
    """Score data with some criteria's scores (0-1) set by an examiner, the total and the
    pass recomputed by the rubric; each overridden criterion keeps its automatic score, and
    `automatic_applicable: False` when the automatic grading had left it out of the total
    (an examiner may judge that it applies after all)."""
    criteria = {name: dict(result) for name, result in data["criteria"].items()}
    for name, value in overrides.items():
        if name in criteria:
            if "automatic" not in criteria[name] and not criteria[name].get("applicable", True):
                criteria[name]["automatic_applicable"] = False
            criteria[name].setdefault("automatic", criteria[name]["score"])
            criteria[name]["score"] = value
            criteria[name]["applicable"] = True
    total, passed = total_of(rubric, {name: result["score"] for name, result in criteria.items()},
                             {name: result.get("applicable", True)
                              for name, result in criteria.items()})
    return {**data, "criteria": criteria, "total": total, "passed": passed,
            "overridden": sorted(overrides)}
