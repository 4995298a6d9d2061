"""The path bot: plays a scenario every way it can (bounded) and reports what is attainable.

It tries every offered action at every node, each action at most once per visit (repeating a
move mostly annoys the respondent; a scenario that needs the same move twice in one visit
gets a best score that is a lower bound), and knocks at the first time of day someone is home
and the first time nobody is. Orders that lead to the same state
with the same graded history are explored once (a memo keyed on both), which keeps the
built-in library exhaustive within the budget. It reports the best and worst rubric score
with the steps that reach them, every final outcome reached, and any dead end: a node of an
open visit where only the vocabulary's `anywhere` moves remain, or a visit that does not end
within `MAX_VISIT_STEPS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trainer.core.errors import DomainError
from trainer.core.grading.criteria import evidence_of, score
from trainer.core.interview.engine import Session, Step, replay
from trainer.core.scenario.model import Scenario
from trainer.core.scenario.vocabulary import ACTIONS, Conduct

MAX_VISIT_STEPS = 40
# Unprompted wrong moves the worst play tries: one coercion and one breach stand for the rest.
WORST_MOVES = ("threaten_penalty", "tell_other_household")
KNOCK_HOURS = (10, 15, 19)


@dataclass(frozen=True, slots=True)
class Path:
    """A finished play-through."""

    score: float
    passed: bool
    outcomes: tuple[tuple[str, str], ...]
    steps: tuple[Step, ...]


@dataclass(slots=True)
class Report:
    """What the bot found."""

    best: Path | None = None
    worst: Path | None = None
    outcomes: set[str] = field(default_factory=set)
    dead_ends: set[str] = field(default_factory=set)  # "household/node"
    states: int = 0
    complete: bool = True  # False when the budget ran out


class _Explorer:
    def __init__(self, budget: int, worst: bool, unit: str) -> None:
        self.budget = budget
        self.worst = worst
        self.unit = unit  # the household explored; the others keep the path chosen for them
        self.report = Report()
        self.memo: dict[object, tuple[Path, Path]] = {}

    def run(self, session: Session) -> tuple[Path, Path]:
        key = _signature(session)
        if key in self.memo:
            return self.memo[key]
        self.report.states += 1
        children = self._children(session) if self.report.states < self.budget else []
        if self.report.states >= self.budget:
            self.report.complete = False
        if not children:
            result = self._leaf(session)
            pair = (result, result)
        else:
            results = [self.run(child) for child in children]
            best = max((r[0] for r in results), key=lambda p: (p.score, -len(p.steps)))
            worst = min((r[1] for r in results), key=lambda p: (p.score, len(p.steps)))
            pair = (best, worst)
        self.memo[key] = pair
        return pair

    def _leaf(self, session: Session) -> Path:
        graded = score(evidence_of(session))
        outcomes = tuple((unit, session.outcome(unit)) for unit in session.households)
        self.report.outcomes.add(session.outcome(self.unit))
        return Path(graded.total, graded.passed, outcomes, tuple(session.steps))

    def _children(self, session: Session) -> list[Session]:
        if session.households[self.unit].open:
            return self._moves(session, self.unit)
        offers = [offer.key for offer in session.offers(self.unit)]
        if offers == ["phone_check"]:  # a self-report received: review it
            child = session.fork()
            try:
                child.apply(Step(self.unit, "phone_check"))
            except DomainError:  # too late in the day to call: the path ends here
                return []
            return [child]
        if offers:
            return self._knocks(session, self.unit)
        return []

    def _moves(self, session: Session, unit: str) -> list[Session]:
        state = session.households[unit]
        offers = session.offers(unit)
        listed = {c.key for c in session.dialogue(unit).nodes[state.node or ""].choices}
        if not any(o.key in listed for o in offers):
            self.report.dead_ends.add(f"{unit}/{state.node}")
        if sum(n for key, n in state.taken.items() if ":" not in key) >= MAX_VISIT_STEPS:
            self.report.dead_ends.add(f"{unit}/{state.node} (no ending within "
                                      f"{MAX_VISIT_STEPS} steps)")
            return []
        wrong_taken = any(ACTIONS[k.split(":")[0]].conduct == Conduct.WRONG
                          for k in state.taken)
        children = []
        asked = False
        for offer in offers:
            wrong = offer.conduct == Conduct.WRONG.value
            if state.taken[offer.key] or (wrong and offer.key not in listed and (
                    not self.worst or wrong_taken or offer.action not in WORST_MOVES)):
                continue  # best play makes no unprompted wrong move; worst needs only one
            if not self.worst and not wrong and offer.key not in listed:
                continue  # best play does not walk away where the dialogue offers no exit
            child = session.fork()
            child.apply(Step(unit, offer.key))
            after = child.households[unit]
            stays = after.open and after.node == state.node
            if stays and offer.action == "ask_item":
                if asked or state.taken["ask_item"]:
                    continue  # one question stands for all: they differ only in the answer
                asked = True
            if stays and self.worst and not wrong:
                continue  # the worst play skips every optional move
            children.append(child)
        return children

    def _knocks(self, session: Session, unit: str) -> list[Session]:
        """Knock at the first slot someone is home and the first slot nobody is."""
        assignment = session.scenario.assignment
        found: dict[bool, Session] = {}
        day = session.clock.date()
        last = assignment.first_day + timedelta(days=assignment.days - 1)
        while day <= last and len(found) < 2:
            for hour in KNOCK_HOURS:
                at = datetime(day.year, day.month, day.day, hour)
                if at < session.clock:
                    continue
                child = session.fork()
                try:
                    events = child.apply(Step(unit, "knock", at))
                except DomainError:  # out of working time that day: try the next slot
                    continue
                home = bool(events[0].home)
                if home not in found:
                    found[home] = child
            day += timedelta(days=1)
        return list(found.values())


def _signature(session: Session) -> object:
    """The state plus the parts of the history grading reads, order left out where it can be."""
    units = []
    for unit, state in session.households.items():
        units.append((unit, state.visits, state.open, state.node, state.slot, state.trust,
                      state.irritation, frozenset(state.taken.items()),
                      frozenset(state.disclosed), frozenset(state.resolved),
                      tuple(sorted(state.values.items())), state.outcome, state.appointment,
                      state.grid_worker_next, state.rude))
    history = []
    split: dict[tuple[str, int], bool] = {}
    for event in session.events:
        visit = (event.household, event.visit)
        asked = event.action is not None and event.action.split(":")[0] in ("ask_item", "probe")
        if asked:
            split[visit] = True
        history.append((visit, event.kind, event.action, split.get(visit, False) and not asked,
                        event.home, event.outcome, event.tailored))
    return (tuple(units), frozenset(history), session.clock.date(), session.clock.hour // 6)


def explore(scenario: Scenario, seed: int | None = None, budget: int = 20_000) -> Report:
    """Play `scenario` every way (bounded by `budget` states per pass); report the extremes.

    Two passes: the best play never makes an unprompted wrong move; the worst play makes one
    wrong move per visit and skips every move that leaves the dialogue where it is.
    Outcomes and dead ends are the union of both. Households are explored one after the other,
    each from the end of the path chosen for the ones before it, so the cost adds up instead
    of multiplying (the engine keeps households independent except for the shared clock).
    """
    start = Session(scenario, scenario.seed if seed is None else seed)
    report = Report()
    for worst in (False, True):
        session = start.fork()
        chosen: Path | None = None
        for unit in scenario.assignment.units:
            explorer = _Explorer(budget, worst, unit)
            best_path, worst_path = explorer.run(session)
            chosen = worst_path if worst else best_path
            report.outcomes |= explorer.report.outcomes
            report.dead_ends |= explorer.report.dead_ends
            report.states += explorer.report.states
            report.complete = report.complete and explorer.report.complete
            session = replay(scenario, session.seed, chosen.steps)
        if worst:
            report.worst = chosen
        else:
            report.best = chosen
    return report
