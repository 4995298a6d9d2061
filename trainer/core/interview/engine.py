"""The visit engine: a trainee's steps in, the respondent's reactions and the events out.

A field-work period is a `Session` over the scenario's households. Each visit starts with a
`knock` at a simulated time and runs through the household's dialogue until an ending. The
respondent model keeps trust and irritation (0-100), moves them by the vocabulary's default
reaction to each action, tailored to the respondent's concern themes and privacy concern, plus
the effects the scenario writes at that node; it remembers earlier visits (a rude visit
leaves the next one colder, a kept appointment or the grid worker's company warms it); it is
at home according to its availability; it answers form items from the truth except what it
conceals until the trainee has earned and asked for it.

A visit that ends in self-reporting (自主填报) leaves the household with a plan: it submits its
form on a day up to `assignment.self_report_until` (with a respondent's typical mistakes) or
never does. As the simulated clock passes that day a `self_report` event says the form was
received (the trainee then reviews it, `phone_check` confirming the doubtful answers; a knock
on or after that day moves the clock there and receives it, no visit being needed), or,
once the deadline has passed without it (never sent, or refused by the mini-program: a form
without the head or without anyone, of a household still hiding them), that it was missed:
from the next day the household is visited again like any other, and that visit's outcome
replaces self-reporting. Households with Hong Kong, Macao, Taiwan or foreign members and
long-form sample households cannot self-report, nor can anyone after the deadline: such a
visit ends `partial` with the reason.

Nothing here is random except whether someone opens the door, which draws from the stream
(seed, household, day, slot), and what a self-reporting household not written in the scenario
does, drawn from (seed, household): the same (scenario, seed, steps) always gives the same
events, so a recorded attempt replays exactly (`replay`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from trainer.core.census import long_form, r601
from trainer.core.errors import Conflict, InvalidInput
from trainer.core.i18n import N_
from trainer.core.scenario import vocabulary
from trainer.core.scenario.households import TruthHousehold, build
from trainer.core.scenario.model import (
    ALWAYS,
    Choice,
    Dialogue,
    Effect,
    Mistake,
    Node,
    Respondent,
    Scenario,
    SelfReport,
)
from trainer.core.scenario.vocabulary import ACTIONS, OUTCOMES, PHONE_CHECK, PHONE_MINUTES, Conduct
from trainer.core.world import people
from trainer.core.world.codes import LABELS, Relation
from trainer.core.world.rng import stream

ANYWHERE = tuple(name for name, action in ACTIONS.items() if action.anywhere)
_ANYWHERE_CHOICES = {name: Choice(name) for name in ANYWHERE}
TRAVEL_MINUTES = 5  # walking to the door before each knock
FIRST_HOUR, LAST_HOUR = 8, 21  # visits are made between 08:00 and 21:00
NOTHING_TO_TELL = ("没有了。", "No, there is nothing like that.")
LISTENING = ("嗯，好的。", "Mm, all right.")
SILENT = ("……", "…")
SUBMIT_SHARE = 0.6  # households given self-reporting that submit, unless the scenario says


@dataclass(frozen=True, slots=True)
class Step:
    """One thing the trainee does: `knock` (with `at`) or a choice key such as probe:births."""

    household: str
    action: str
    at: datetime | None = None  # simulated time; required to knock, optional otherwise
    real_at: str | None = None  # when the trainee took it (UTC ISO), recorded, never computed

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data (how attempts store their action log)."""
        return {"household": self.household, "action": self.action,
                "at": self.at.isoformat(timespec="minutes") if self.at else None,
                "real_at": self.real_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        """A step stored by `to_dict`."""
        at = data.get("at")
        real = data.get("real_at")
        return cls(str(data["household"]), str(data["action"]),
                   datetime.fromisoformat(at) if at else None, str(real) if real else None)


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the paradata: what happened, when, and how the respondent's state moved."""

    seq: int
    kind: str  # knock, action, jump and state (playtest), visit_end
    household: str
    visit: int
    at: str  # simulated time, ISO minutes
    real_at: str | None = None  # real time of the trainee's step (from the step itself)
    action: str | None = None
    conduct: str | None = None
    node: str | None = None  # the node after the step
    says: tuple[str, str] | None = None  # the respondent's words (zh_CN, en)
    trust: tuple[int, int] = (0, 0)  # before, after
    irritation: tuple[int, int] = (0, 0)
    disclosed: tuple[str, ...] = ()
    breach: bool = False
    trap: str | None = None  # the trap of the node where the action was taken
    outcome: str | None = None
    home: bool | None = None
    answer: str | None = None  # for ask_item
    tailored: bool | None = None  # answer_concern: met one of their concerns (None: n/a)
    booked: str | None = None  # book_appointment: "YYYY-MM-DD slot" agreed (None: no slot)
    values: tuple[tuple[str, int | bool], ...] | None = None  # state (playtest): what was set
    # self_report: "received:YYYY-MM-DD" or "missed"; phone: "checked", "reminded", "missed"
    status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data."""
        return {name: (list(value) if isinstance(value, tuple) else value)
                for name in self.__slots__ if (value := getattr(self, name)) is not None}


@dataclass(slots=True)
class Household:
    """The state of one household over the field-work period."""

    respondent: Respondent
    truth: TruthHousehold
    visits: int = 0
    open: bool = False
    node: str | None = None
    slot: str = "morning"
    trust: int = 0
    irritation: int = 0
    taken: Counter[str] = field(default_factory=Counter)  # in the current visit
    disclosed: set[str] = field(default_factory=set)
    resolved: set[str] = field(default_factory=set)  # concern themes answered
    values: dict[str, int | bool] = field(default_factory=dict)
    outcome: str | None = None  # of the last visit
    appointment: tuple[date, str] | None = None
    grid_worker_next: bool = False
    rude: bool = False
    home: bool = False  # someone opened the door on the current visit
    met: bool = False  # the respondent (or a proxy speaking for them) has been met
    tailored: bool | None = None  # whether the last concern answer met one of their concerns
    plan: SelfReport | None = None  # what it does with self-reporting (once given it)
    report: str | None = None  # self-report: pending, received, checked or missed
    report_on: date | None = None  # the day its self-report arrives (None: never)

    @property
    def done(self) -> bool:
        """No further visit is useful: a final outcome (a self-report still awaited or
        missed is not one: the household may, or must, be visited)."""
        if self.report in ("pending", "missed"):
            return False
        return self.outcome is not None and OUTCOMES[self.outcome].final


@dataclass(frozen=True, slots=True)
class Offer:
    """An action the trainee may take now, with the respondent's node words it answers."""

    key: str
    action: str
    param: str | None
    label: tuple[str, str]
    conduct: str


class Session:
    """A trainee's field-work period in one scenario; apply steps, read events."""

    def __init__(self, scenario: Scenario, seed: int, *, playtest: bool = False) -> None:
        self.scenario = scenario
        self.seed = seed
        self.playtest = playtest  # a trainer trying the scenario may jump to any node
        truths = build(scenario, seed)
        self.households = {
            unit: Household(scenario.respondents[unit], truths[unit],
                            values={**dict.fromkeys(vocabulary.BUILTIN_VARIABLES, False),
                                    **{n: v.initial for n, v in scenario.variables.items()}})
            for unit in scenario.assignment.units}
        first = scenario.assignment.first_day
        self.clock = datetime(first.year, first.month, first.day, FIRST_HOUR)
        self.used: Counter[date] = Counter()  # minutes worked per day
        self.events: list[Event] = []
        self.steps: list[Step] = []
        self._real_at: str | None = None
        # no awaited self-report can be received or missed before this day (None: none is
        # awaited), so a step before it need not look at every household's calendar
        self._reports_due: date | None = None

    def fork(self) -> Session:
        """An independent copy sharing only the immutable scenario and truth (for the bot)."""
        twin = object.__new__(Session)
        twin.scenario, twin.seed, twin.clock = self.scenario, self.seed, self.clock
        twin.playtest = self.playtest
        twin.used = Counter(self.used)
        twin.events = list(self.events)
        twin.steps = list(self.steps)
        twin._real_at = None
        twin._reports_due = self._reports_due
        twin.households = {unit: replace(state, taken=Counter(state.taken),
                                         disclosed=set(state.disclosed),
                                         resolved=set(state.resolved),
                                         values=dict(state.values))
                           for unit, state in self.households.items()}
        return twin

    # --- what can be done ----------------------------------------------------------------

    def dialogue(self, unit: str) -> Dialogue:
        """The dialogue of a household's respondent."""
        return self.scenario.dialogues[self.households[unit].respondent.dialogue]

    def offers(self, unit: str) -> list[Offer]:
        """The actions available at this household now, in the order they are shown."""
        state = self._household(unit)
        if not state.open:
            if state.report == "received":
                return [Offer("phone_check", "phone_check", None, PHONE_CHECK, "good")]
            if state.done or state.visits >= self.scenario.assignment.max_visits:
                return []
            return [Offer("knock", "knock", None, ACTIONS["knock"].label, "neutral")]
        node = self.dialogue(unit).nodes[state.node or ""]
        out = [self._offer(choice.do, choice.param, choice.conduct)
               for choice in self._choices(state, node)]
        return out

    def _offer(self, do: str, param: str | None, conduct: str | None = None) -> Offer:
        action = ACTIONS[do]
        label = action.label
        names = {"theme": vocabulary.THEMES, "topic": vocabulary.TOPICS,
                 "item": vocabulary.ITEM_LABELS}.get(action.param.value)
        if param is not None:
            extra = names[param] if names else (param, param)
            label = (f"{label[0]}：{extra[0]}", f"{label[1]}: {extra[1]}")
        return Offer(f"{do}:{param}" if param else do, do, param, label,
                     conduct or action.conduct.value)

    def _choices(self, state: Household, node: Node) -> list[Choice]:
        if node.end:
            return []
        slot = state.slot
        values = self._values(state)
        listed = [c for c in node.choices
                  if c.when is ALWAYS or c.when.holds(values, slot, state.taken, state.disclosed)]
        if node.common:
            keys = {c.do for c in node.choices}
            listed += [_ANYWHERE_CHOICES[name] for name in ANYWHERE if name not in keys]
        return listed

    def _values(self, state: Household) -> dict[str, int | bool]:
        return {**state.values, "trust": state.trust, "irritation": state.irritation,
                "visit": state.visits}

    # --- applying steps ------------------------------------------------------------------

    def apply(self, step: Step) -> list[Event]:
        """Carry out one step; the events it produced. Invalid steps change nothing."""
        state = self._household(step.household)
        before = len(self.events)
        self._real_at = step.real_at
        if step.action == "knock":
            self._knock(step, state)
        elif step.action.startswith("goto:") and self.playtest:
            self._jump(step.household, state, step.action.removeprefix("goto:"))
        elif step.action.startswith("state:") and self.playtest:
            self._set_state(step.household, state, step.action.removeprefix("state:"))
        elif step.action == "phone_check" and not state.open:
            self._phone(step, state)
        else:
            if not state.open:
                raise Conflict(N_("Knock first: no visit to this household is under way."),
                               field="action")
            node = self.dialogue(step.household).nodes[state.node or ""]
            choice = next((c for c in self._choices(state, node) if c.key == step.action), None)
            if choice is None:
                raise InvalidInput(N_("'%(action)s' cannot be done at this point of the "
                                      "visit."), field="action", action=step.action)
            if step.at is not None and step.at < self.clock:
                raise InvalidInput(N_("Simulated time cannot go backwards."), field="at")
            if step.at is not None and (step.at.date() != self.clock.date()
                                        or step.at.hour >= LAST_HOUR):
                raise InvalidInput(N_("A visit happens within one day, before 21:00."),
                                   field="at")
            self._spend(ACTIONS[choice.do].minutes, step.at)
            self._act(step.household, state, node, choice)
        self._advance()
        self.steps.append(step)
        return self.events[before:]

    def _household(self, unit: str) -> Household:
        if unit not in self.households:
            raise InvalidInput(N_("'%(unit)s' is not a household of this exercise."),
                               field="household", unit=unit)
        return self.households[unit]

    def _spend(self, minutes: int, at: datetime | None) -> None:
        start = at or self.clock
        if self.used[start.date()] + minutes > self.scenario.assignment.hours_per_day * 60:
            raise InvalidInput(N_("No working time is left on %(day)s; continue on another "
                                  "day."), field="at", day=start.date().isoformat())
        self.used[start.date()] += minutes
        self.clock = start + timedelta(minutes=minutes)

    def _knock(self, step: Step, state: Household) -> None:
        assignment = self.scenario.assignment
        if state.open:
            raise Conflict(N_("A visit to this household is already under way."),
                           field="action")
        self._check_free()
        if state.done or state.visits >= assignment.max_visits:
            raise Conflict(N_("This household needs no further visit."), field="action")
        at = step.at or self.clock
        self._check_when(at)
        if state.report == "pending" and state.report_on and state.report_on <= at.date():
            # its form has arrived by then: the clock moves there and the calendar receives
            # it (`apply` advances), no visit is made; the trainee reviews it instead
            self.clock = at
            return
        self._spend(TRAVEL_MINUTES, at)
        self._advance(at)  # a self-report missed by now is recorded before the follow-up
        # a visit replaces self-reporting: the household is registered like any other now
        state.values["self_report_missed"] = state.report == "missed"
        state.plan, state.report, state.report_on = None, None, None
        state.visits += 1
        state.slot = vocabulary.slot_of(at.hour)
        state.taken = Counter()
        home = self._home(step.household, state, at)
        state.home = home
        self._start_mood(state, at, home)
        dialogue = self.dialogue(step.household)
        start = dialogue.start_node(state.visits, home)
        trust = state.trust
        self._emit(step.household, state, "knock", at=at, node=start or None, home=home,
                   says=self._node_words(dialogue, start), trust=(trust, trust),
                   trap=dialogue.nodes[start].trap if start else None)
        if not start:
            self._end(step.household, state, "nobody_home")
            return
        state.open = True
        state.node = start
        if dialogue.nodes[start].end:
            self._end(step.household, state, dialogue.nodes[start].end or "")

    def _check_free(self) -> None:
        """Refuse to start anything while a visit is under way somewhere."""
        busy = next((u for u, other in self.households.items() if other.open), None)
        if busy is not None:
            raise Conflict(N_("Finish the visit under way at %(unit)s first."), field="action",
                           unit=busy)

    def _check_when(self, at: datetime) -> None:
        """Refuse a knock or a call outside the field-work days and hours, or in the past."""
        assignment = self.scenario.assignment
        last_day = assignment.first_day + timedelta(days=assignment.days - 1)
        if not assignment.first_day <= at.date() <= last_day:
            raise InvalidInput(N_("Visits are made from %(first)s to %(last)s."), field="at",
                               first=assignment.first_day.isoformat(),
                               last=last_day.isoformat())
        if not FIRST_HOUR <= at.hour < LAST_HOUR:
            raise InvalidInput(N_("Visits are made between 08:00 and 21:00."), field="at")
        if at < self.clock:
            raise InvalidInput(N_("Simulated time cannot go backwards."), field="at")

    # --- self-reporting ------------------------------------------------------------------

    def _phone(self, step: Step, state: Household) -> None:
        """Phone a self-reporting household: a received form's doubtful answers are
        confirmed (the review), one still awaited is reminded of the deadline."""
        if state.report not in ("pending", "received", "missed"):
            raise Conflict(N_("Only a household whose self-report is awaited or waiting for "
                              "review can be phoned about it."), field="action")
        self._check_free()
        at = step.at or self.clock
        self._check_when(at)
        self._spend(PHONE_MINUTES, at)
        self._advance(at)
        unit = step.household
        deadline = self.scenario.assignment.self_report_until
        if state.report == "received":
            state.report = "checked"
            status, says = "checked", self._corrections(unit, state)
        elif state.report == "pending":
            status = "reminded"
            says = (f"好的，我们会在{deadline.month}月{deadline.day}日24时前提交。",
                    f"Yes, we'll submit it by midnight on {deadline.isoformat()}.")
        else:
            status = "missed"
            says = ("不好意思，一直没顾上填，你上门来登记吧。",
                    "Sorry, we never got round to it. Please come and register us.")
        self._emit(unit, state, "phone", at=at, action="phone_check", status=status,
                   says=says, trust=(state.trust, state.trust),
                   irritation=(state.irritation, state.irritation))

    def _refusal(self, state: Household) -> tuple[str, str] | None:
        """Why this household cannot self-report now (None: it can)."""
        household = state.truth.household
        deadline = self.scenario.assignment.self_report_until
        if state.truth.kind == "hmt_foreign":
            return ("（自主填报只适用于短表：有港澳台居民或外籍人员的住户须由普查员登记。）",
                    "(Self-reporting is for the short form only: a household with Hong Kong, "
                    "Macao or Taiwan residents or foreigners is registered by an enumerator.)")
        if household is None or state.truth.kind not in ("family", "collective"):
            return ("（只有填报短表的住户可以自主填报。）",
                    "(Only a household that fills in the short form can self-report.)")
        if household.long_form:
            return ("（本户是长表抽样户，须由普查员入户登记，不能自主填报。）",
                    "(This household is in the long-form sample: an enumerator registers it; "
                    "it cannot self-report.)")
        if self.clock.date() > deadline:
            return (f"（自主填报已于{deadline.month}月{deadline.day}日24时截止，须当面登记。）",
                    f"(Self-reporting closed at midnight on {deadline.isoformat()}: register "
                    "the household in person.)")
        return None

    def _plan(self, unit: str, state: Household, day: date) -> SelfReport:
        """What the household does with self-reporting: as the scenario writes it, else
        drawn from (seed, household): `SUBMIT_SHARE` submit within three days (by the
        deadline), with one or two typical slips."""
        written = state.respondent.self_report
        if written is not None:
            return written
        rng = stream(self.seed, "self-report", unit)
        if rng.random() >= SUBMIT_SHARE or state.truth.household is None:
            return SelfReport(False)
        deadline = self.scenario.assignment.self_report_until
        on = min(day + timedelta(days=rng.randrange(3)), deadline)
        slips = typical_mistakes(r601.record_of(state.truth.household))
        return SelfReport(True, on, tuple(rng.sample(slips, min(len(slips),
                                                                1 + rng.randrange(2)))))

    def _advance(self, at: datetime | None = None) -> None:
        """Self-reports the clock has reached: received on their day, or missed once the
        deadline has passed without them (told at `at`, the step's time, or the clock)."""
        today = self.clock.date()
        if self._reports_due is None or today < self._reports_due:
            return  # nothing awaited changes yet (most steps of most visits)
        deadline = self.scenario.assignment.self_report_until
        due: date | None = None
        for unit, state in self.households.items():
            if state.report != "pending":
                continue
            if state.report_on is not None and state.report_on <= today:
                state.report = "received"
                self._emit(unit, state, "self_report", at=at,
                           status=f"received:{state.report_on.isoformat()}")
            elif state.report_on is None and today > deadline:
                state.report = "missed"
                self._emit(unit, state, "self_report", at=at, status="missed")
            else:
                due = min(due or date.max, self._report_due(state))
        self._reports_due = due

    def _report_due(self, state: Household) -> date:
        """The first day on which a pending self-report changes: received on its day, or
        missed the day after the deadline."""
        return state.report_on or self.scenario.assignment.self_report_until + timedelta(days=1)

    def submitted(self, unit: str) -> tuple[dict[str, Any], tuple[Mistake, ...]] | None:
        """A received self-report: the form as the household filled it and the slips in
        it (those the app would accept), with `Mistake.person` an index into the form's
        persons; None before.

        The household writes down whom it tells about (`_as_reported`): a member it still
        conceals is not on its form, and the counts (H2, H3) are those of the persons listed;
        a slip about a concealed member is not made. Nothing is disclosed after the form is
        received (the household needs no further visit; the review is by phone), so what it
        conceals now is what it concealed when its form came."""
        state = self._household(unit)
        if state.report not in ("received", "checked") or state.truth.household is None:
            return None
        household, moved = self._as_reported(unit, state.truth.household)
        record = r601.record_of(household)
        persons = record["persons"]
        applied: list[Mistake] = []
        for planned in state.plan.mistakes if state.plan else ():
            slip = planned
            if planned.person is not None:
                if planned.person not in moved:  # a concealed member or no one at all
                    continue
                slip = replace(planned, person=moved[planned.person])
            target = record if slip.person is None else persons[slip.person]
            if slip.item not in target or target[slip.item] == slip.value:
                continue
            before = target[slip.item]
            target[slip.item] = slip.value
            if r601.hard_errors(record):  # the mini-program would have refused it
                target[slip.item] = before
                continue
            applied.append(slip)
        return record, tuple(applied)

    def _can_send(self, unit: str) -> bool:
        """Whether the mini-program accepts the form the household would fill in now: it
        asks for the head first and for at least one person (R601 `head_first`), so a
        household that still hides its head (户主) or every member cannot send its form, and
        its self-report is missed at the deadline like one never sent. (`checks` refuses a
        scenario that allows this; a draft being playtested or an older version may not.)"""
        household = self._household(unit).truth.household
        named = self.reported_persons(unit)
        if household is None or not named:
            return False
        heads = [p.key for p in household.persons if p.relation == Relation.HEAD]
        return not heads or any(p.key in heads for p in named)

    def _as_reported(self, unit: str, household: people.Household
                     ) -> tuple[people.Household, dict[int, int]]:
        """The unit's household as it tells about itself now: the truth without the members
        it still conceals (`reported_persons`), and the index each member it names had in the
        truth's persons -> its index there. The truth itself when nothing is concealed."""
        named = self.reported_persons(unit)
        keys = {person.key for person in named}
        moved = {old: new for new, old in enumerate(
            index for index, person in enumerate(household.persons) if person.key in keys)}
        if len(named) == len(household.persons):
            return household, moved
        return replace(household, persons=named), moved

    def _corrections(self, unit: str, state: Household) -> tuple[str, str]:
        """The respondent's answers to the doubtful items of its self-report, on the phone:
        the true answers of the form it sent (still without any member it conceals)."""
        sent = self.submitted(unit)
        household = state.truth.household
        if sent is None or household is None or not sent[1]:
            return ("都填对了，没有要改的。", "It's all correct; nothing to change.")
        truth = r601.record_of(self._as_reported(unit, household)[0])
        zh, en = [], []
        for slip in sent[1]:
            row = truth if slip.person is None else truth["persons"][slip.person]
            who = ("本户", "the household") if slip.person is None else (row["D1"], row["D1"])
            value = row.get(slip.item)
            names = LABELS.get(slip.item, {})
            shown = names[value] if isinstance(value, int) and value in names else ("", "")
            zh.append(f"{who[0]}的{slip.item}应为 {value} {shown[0]}".rstrip())
            en.append(f"{slip.item} of {who[1]} should be {value} {shown[1]}".rstrip())
        return ("对，我核对一下：" + "；".join(zh) + "。",
                "Right, let me check: " + "; ".join(en) + ".")

    def _jump(self, unit: str, state: Household, node_id: str) -> None:
        """Playtest only: continue the open visit from another node; with no visit under
        way, open one at the simulated clock with the respondent at home (a playtest that
        starts in the middle of a dialogue needs no knock and no luck at the door)."""
        dialogue = self.dialogue(unit)
        if not state.open and node_id in dialogue.nodes:
            if state.done or state.visits >= self.scenario.assignment.max_visits:
                raise Conflict(N_("This household needs no further visit."), field="action")
            state.visits += 1
            state.slot = vocabulary.slot_of(self.clock.hour)
            state.taken = Counter()
            state.home = state.open = True
            self._start_mood(state, self.clock, True)
        if node_id not in dialogue.nodes:
            raise InvalidInput(N_("'%(node)s' is not a node of this dialogue."), field="action",
                               node=node_id)
        state.node = node_id
        self._emit(unit, state, "jump", node=node_id, says=self._node_words(dialogue, node_id),
                   trust=(state.trust, state.trust),
                   irritation=(state.irritation, state.irritation))
        if dialogue.nodes[node_id].end:
            self._end(unit, state, dialogue.nodes[node_id].end or "")

    def _set_state(self, unit: str, state: Household, spec: str) -> None:
        """Playtest only: set trust, irritation and variables of the open visit.

        `spec` is `name=value` pairs separated by commas or spaces, such as
        `trust=60,irritation=10,reassured=true,count=2`: trust and irritation are whole numbers
        clamped to 0-100, declared and built-in variables take their type (true/false or a
        whole number). All pairs are checked before any is set. The respondent counts as met,
        so a first meeting later in the visit does not overwrite the chosen trust; irritation
        past the patience takes effect at the next action.
        """
        if not state.open:
            raise Conflict(N_("Knock first: no visit to this household is under way."),
                           field="action")
        chosen = parse_state(spec, {**vocabulary.BUILTIN_VARIABLES,
                                    **{n: v.type for n, v in self.scenario.variables.items()}})
        trust, irritation = state.trust, state.irritation
        for name, value in chosen:
            if name == "trust":
                state.trust = _clamp(int(value))
            elif name == "irritation":
                state.irritation = _clamp(int(value))
            else:
                state.values[name] = value
        state.met = True
        self._emit(unit, state, "state", node=state.node, trust=(trust, state.trust),
                   irritation=(irritation, state.irritation),
                   values=tuple((name, state.values[name] if name in state.values
                                 else getattr(state, name)) for name, _ in chosen))

    def _home(self, unit: str, state: Household, at: datetime) -> bool:
        """Whether someone opens: nobody in a vacant unit; else the schedule and a draw."""
        truth = state.truth
        if truth.kind in ("vacant", "all_died"):
            return False
        if state.appointment == (at.date(), state.slot):
            return True  # they wait in for a booked visit
        respondent = state.respondent
        slots = respondent.availability["weekend" if at.weekday() >= 5 else "weekday"]
        if state.slot not in slots:
            return False
        draw = stream(self.seed, "door", unit, at.date().isoformat(), state.slot).random()
        return draw < respondent.home_probability

    def _start_mood(self, state: Household, at: datetime, home: bool) -> None:
        """The respondent's mood as a visit starts: memory of earlier visits, the company.

        Nobody at home remembers nothing and uses nothing up: the grid worker's company and a
        booked appointment wait for the next visit where someone opens.
        """
        state.values.update(with_grid_worker=False, appointment_kept=False,
                            appointment_missed=False, rude_before=state.rude)
        if not home:
            return
        state.values["with_grid_worker"] = state.grid_worker_next
        if not state.met:
            self._meet(state)
        else:
            state.irritation //= 2
            if state.rude:
                state.trust -= 10  # once: the rude visit is remembered at the next meeting
                state.rude = False
        if state.appointment is not None:
            kept = state.appointment == (at.date(), state.slot)
            state.values["appointment_kept" if kept else "appointment_missed"] = True
            state.trust += 15 if kept else -10
            state.appointment = None
        if state.grid_worker_next:
            state.trust += 15
            state.grid_worker_next = False
        state.trust = _clamp(state.trust)

    @staticmethod
    def _meet(state: Household) -> None:
        """The first meeting: trust from the persona, no irritation yet."""
        respondent = state.respondent
        state.trust = _clamp(round(15 + 60 * respondent.cooperativeness
                                   - 15 * respondent.privacy))
        state.irritation = 0
        state.met = True

    def _act(self, unit: str, state: Household, node: Node, choice: Choice) -> None:
        action = ACTIONS[choice.do]
        trust, irritation = state.trust, state.irritation
        first_time = state.taken[choice.key] == 0
        # Nobody is home: what the trainee does does not move the respondent's mood (only the
        # scenario's own effects apply), unless a proxy such as a neighbour is speaking.
        state.tailored = None
        listening = state.home or node.speaker == "proxy"
        if listening and not state.met:
            self._meet(state)
        reaction = _reaction(state, choice, first_time) if listening else Effect()
        state.trust = _clamp(state.trust + reaction.trust + (choice.effects or Effect()).trust)
        state.irritation = _clamp(state.irritation + reaction.irritation
                                  + (choice.effects or Effect()).irritation)
        state.taken[choice.key] += 1
        if choice.param:
            state.taken[choice.do] += 1
        disclosed, says, answer = self._respond(unit, state, choice)
        if choice.effects:
            for name, value in choice.effects.set:
                state.values[name] = value
            for name, delta in choice.effects.add:
                state.values[name] = int(state.values.get(name, 0)) + delta
            told = [f for f in choice.effects.disclose if f not in state.disclosed]
            state.disclosed.update(told)
            disclosed.extend(told)
            if told and choice.reply is None and says in (None, NOTHING_TO_TELL):
                facts = [self.scenario.facts[f] for f in told]
                says = (" ".join(f.tells.zh for f in facts), " ".join(f.tells.en for f in facts))
        self._side_effects(state, choice)
        conduct = choice.conduct or action.conduct.value
        if conduct == Conduct.WRONG.value and (reaction.trust < 0 or reaction.irritation > 0
                                               or (choice.effects or Effect()).trust < 0):
            state.rude = True
        dialogue = self.dialogue(unit)
        outcome = choice.end
        nxt = node.id
        if outcome is None:
            values = self._values(state)
            branch = next((b for b in choice.goto
                           if b.when.holds(values, state.slot, state.taken, state.disclosed)),
                          None)
            if branch is not None:
                nxt = branch.node
            elif action.ends_visit:
                outcome = action.ends_visit
                if choice.do == "come_back_later":
                    outcome = ("nobody_home" if not state.home else
                               "appointment" if state.appointment else outcome)
        if outcome is None and state.irritation >= state.respondent.patience:
            if dialogue.refused:
                nxt = dialogue.refused
            else:
                outcome = "refused"
        if says is None:
            if choice.reply is not None:
                says = (choice.reply.zh, choice.reply.en)
                ending = self._node_words(dialogue, nxt) if dialogue.nodes[nxt].end else None
                if ending is not None and nxt != node.id:  # the ending's words follow the reply
                    says = (f"{says[0]}{ending[0]}", f"{says[1]} {ending[1]}")
            elif nxt != node.id:
                says = self._node_words(dialogue, nxt)
            else:
                says = action.reply or LISTENING
        elif choice.reply is not None:
            says = (f"{choice.reply.zh}{says[0]}", f"{choice.reply.en} {says[1]}")
        state.node = nxt
        self._emit(unit, state, "action", action=choice.key, conduct=conduct,
                   node=nxt, says=says, trust=(trust, state.trust),
                   irritation=(irritation, state.irritation), disclosed=tuple(disclosed),
                   breach=action.breach, trap=node.trap, answer=answer,
                   tailored=state.tailored,
                   booked=(f"{state.appointment[0].isoformat()} {state.appointment[1]}"
                           if choice.do == "book_appointment" and state.appointment
                           else None))
        if outcome is None and dialogue.nodes[nxt].end:
            outcome = dialogue.nodes[nxt].end
        if outcome is not None:
            self._end(unit, state, outcome)

    def _respond(self, unit: str, state: Household, choice: Choice
                 ) -> tuple[list[str], tuple[str, str] | None, str | None]:
        """What the respondent tells in answer to a probe or an item question."""
        if choice.do == "probe":
            facts = [f for f in self.scenario.facts.values()
                     if f.household == unit and f.topic == choice.param
                     and f.id not in state.disclosed]
            told = [f for f in facts if state.trust >= f.trust]
            if told:
                state.disclosed.update(f.id for f in told)
                return ([f.id for f in told], (" ".join(f.tells.zh for f in told),
                                                " ".join(f.tells.en for f in told)), None)
            if facts:
                return [], (facts[0].denies.zh, facts[0].denies.en), None
            # nothing of the topic left to tell: the choice's reply (or a fact its effects
            # disclose) answers alone, rather than after "nothing like that"
            return [], NOTHING_TO_TELL if choice.reply is None else None, None
        if choice.do == "ask_item" and choice.param:
            node = self.dialogue(unit).nodes[state.node or ""]
            speaker = node.speaker or state.respondent.role
            if choice.param not in vocabulary.SPEAKER_KNOWS[speaker]:
                return [], vocabulary.DONT_KNOW[speaker], None
            answer = self.answer(unit, choice.param)
            return [], (answer, self.answer(unit, choice.param, english=True)), answer
        return [], None, None

    def _side_effects(self, state: Household, choice: Choice) -> None:
        if choice.do == "book_appointment":
            state.appointment = self._next_slot(state)
        elif choice.do == "ask_grid_worker":
            state.grid_worker_next = True
        elif choice.do == "leave_notice":
            state.values["notice_left"] = True

    def _next_slot(self, state: Household) -> tuple[date, str] | None:
        """The booked time: the same time of day tomorrow if they are in then, else their
        first free time of day on the next days (none in the next week: no booking)."""
        for ahead in range(1, 8):
            day = (self.clock + timedelta(days=ahead)).date()
            slots = state.respondent.availability["weekend" if day.weekday() >= 5
                                                  else "weekday"]
            if state.slot in slots:
                return day, state.slot
            if slots:
                return day, slots[0]
        return None

    def _end(self, unit: str, state: Household, outcome: str) -> None:
        state.open = False
        state.node = None
        says = None
        if outcome == "self_reporting":
            says = self._refusal(state)
            if says is not None:
                outcome = "partial"  # the household still needs an enumerator's visit
            else:
                day = self.clock.date()
                state.plan = self._plan(unit, state, day)
                state.report = "pending"
                sends = state.plan.submits and self._can_send(unit)
                state.report_on = max(state.plan.on or day, day) if sends else None
                due = self._report_due(state)
                self._reports_due = min(self._reports_due or due, due)
        state.outcome = outcome
        self._emit(unit, state, "visit_end", outcome=outcome, says=says,
                   trust=(state.trust, state.trust),
                   irritation=(state.irritation, state.irritation))

    def _emit(self, unit: str, state: Household, kind: str, *, at: datetime | None = None,
              **fields: Any) -> None:
        when = (at or self.clock).isoformat(timespec="minutes")
        self.events.append(Event(len(self.events) + 1, kind, unit, state.visits, when,
                                 self._real_at, **fields))

    def _node_words(self, dialogue: Dialogue, node_id: str) -> tuple[str, str] | None:
        if not node_id:
            return SILENT
        says = dialogue.nodes[node_id].says
        return (says.zh, says.en) if says else None

    # --- answers from the truth ----------------------------------------------------------

    def reported_persons(self, unit: str) -> list[people.Person]:
        """The persons the respondent tells about now: the truth minus what is still hidden
        (the persons of the household's facts not yet disclosed)."""
        state = self._household(unit)
        household = state.truth.household
        if household is None:
            return []
        hidden = {key for fact in self.scenario.facts.values()
                  if fact.household == unit and fact.id not in state.disclosed
                  for key in fact.persons}
        return [person for person in household.persons if person.key not in hidden]

    def answer(self, unit: str, item: str, *, english: bool = False) -> str:
        """The respondent's answer to a form item, for every reported person."""
        persons = self.reported_persons(unit)
        if item == "roster":
            return (", " if english else "、").join(p.name for p in persons) or SILENT[0]
        state = self._household(unit)
        if item == "housing":  # the long form's housing items, of a sampled household
            told = (long_form.answers(long_form.items_of(state.truth.household))
                    if state.truth.household is not None else [])
            side = 1 if english else 0
            return ("; " if english else "；").join(
                f"{name[side]}: {said[side]}" for name, said in told) or SILENT[0]
        if item.startswith("H"):
            household = state.truth.household
            hidden = {index for fact in self.scenario.facts.values()
                      if fact.household == unit and fact.id not in state.disclosed
                      for index in fact.deaths}
            deaths = [death for index, death in enumerate(household.deaths if household else ())
                      if index not in hidden]
            value: object = {"H1": household.kind if household else None,
                             "H2": _h2(persons, english=english),
                             "H3": _by_sex(persons, deaths, births=True, english=english),
                             "H4": _by_sex(persons, deaths, births=False, english=english),
                             "H5": household.dwelling if household else None,
                             "H6": household.floor_area if household else None,
                             "H7": household.rooms if household else None}.get(item, "—")
            if item in LABELS and isinstance(value, int):
                return f"{int(value)} {LABELS[item][int(value)][1 if english else 0]}"
            return str(int(value) if isinstance(value, int) else value)
        misreports = {(key, it): says for fact in self.scenario.facts.values()
                      if fact.household == unit and fact.id not in state.disclosed
                      for key, it, says in fact.misreport}
        return ("; " if english else "；").join(
            f"{p.name} {misreports.get((p.key, item), _item(p, item, english))}"
            for p in persons)

    # --- results -------------------------------------------------------------------------

    def outcome(self, unit: str) -> str:
        """The household's result so far: the last visit's outcome, or unable to contact."""
        state = self._household(unit)
        if state.open:
            return "partial"  # a visit left unfinished counts as partly done
        if state.outcome is None:
            return "not_visited"
        if (not state.done and state.visits >= self.scenario.assignment.max_visits
                and state.outcome == "nobody_home"):
            return "unable_to_contact"
        return state.outcome

    @property
    def finished(self) -> bool:
        """Every household has a final outcome or no visit left."""
        return all(not self.offers(unit) for unit in self.households)


def typical_mistakes(record: Mapping[str, Any]) -> list[Mistake]:
    """Slips respondents make filling in their own form, as the mini-program accepts them:
    the floor area guessed high, a room too many, education one level too high."""
    slips = []
    if isinstance(record.get("H6"), int):
        slips.append(Mistake("H6", record["H6"] + 10))
    if isinstance(record.get("H7"), int):
        slips.append(Mistake("H7", record["H7"] + 1))
    for index, person in enumerate(record.get("persons") or ()):
        if person.get("D11") in range(3, 9):
            slips.append(Mistake("D11", person["D11"] + 1, index))
    return slips


def _h2(persons: list[Any], *, english: bool) -> str:
    """H2 in the respondent's words: who slept here on 10-31 (H2a), and the hukou members
    who did not (H2b)."""
    here, away = sum(p.present for p in persons), sum(not p.present for p in persons)
    if english:
        return f"{here} slept here on 31 October; {away} with the hukou here lived elsewhere"
    return f"10月31日晚住在本户 {here} 人；户口在本户但当晚没住本户 {away} 人"


def _by_sex(persons: list[Any], deaths: list[Any], *, births: bool, english: bool) -> str:
    """H3 or H4 as '男 m 女 f', from the reported persons and deaths."""
    counts = []
    for sex in (1, 2):
        if births:
            count = sum(1 for p in persons if p.sex == sex and p.born_in_year)
            count += sum(1 for d in deaths if d.sex == sex and d.born_in_year)
        else:
            count = sum(1 for d in deaths if d.sex == sex)
        counts.append(count)
    if english:
        return f"male {counts[0]}, female {counts[1]}"
    return f"男 {counts[0]} 女 {counts[1]}"


def _item(person: Any, item: str, english: bool = False) -> str:
    field_name = {"D1": "name", "D2": "relation", "D3": "id_number", "D4": "sex",
                  "D5": "birth", "D6": "ethnicity", "D7": "residence", "D8": "hukou",
                  "D9": "time_away", "D10": "reason_away", "D11": "education",
                  "D12": "literate"}.get(item)
    if field_name is None:
        return "—"
    value = getattr(person, field_name)
    if value is None:
        return "—"
    if field_name == "birth":
        return f"{value.year}-{value.month:02d}"
    if item in LABELS:
        said = f"{int(value)} {LABELS[item][int(value)][1 if english else 0]}"
        place = ({"D7": person.residence_place, "D8": person.hukou_place}.get(item)
                 if int(value) == r601.WRITE_PLACE.get(item) else None)
        if place:  # the form writes the province, city and county out (→ 省/市/县)
            said += f" ({place})" if english else f"（{place}）"
        return said
    return str(value)


def _reaction(state: Household, choice: Choice, first_time: bool) -> Effect:
    """The respondent model's own reaction to an action, before the scenario's effects."""
    action = ACTIONS[choice.do]
    respondent = state.respondent
    themes = respondent.themes
    if choice.do == "answer_concern":
        open_themes = [t for t in themes if t not in state.resolved]
        if choice.param in state.resolved:
            state.tailored = None  # answered before: a reminder, neither tailored nor missed
            return Effect(irritation=3)
        if open_themes and choice.param == open_themes[0]:
            state.resolved.add(choice.param)
            state.tailored = True
            return Effect(trust=15, irritation=-10)
        if choice.param in open_themes:
            state.resolved.add(choice.param or "")
            state.tailored = True
            return Effect(trust=6)
        state.tailored = False
        return Effect(trust=-3, irritation=10)  # answering a concern they do not have
    if action.conduct == Conduct.GOOD and not first_time:
        return Effect(irritation=3)  # repeating yourself
    trust, irritation = action.trust, action.irritation
    if choice.do == "show_id" and "distrust" in themes:
        trust += 7
    elif choice.do == "promise_confidentiality":
        trust += round(10 * respondent.privacy)
    elif choice.do in ("explain_legal_basis", "explain_purpose") and (
            "fear_consequences" in themes or "distrust" in themes):
        trust += 3
    elif choice.do == "photograph_id":
        trust -= round(15 * respondent.privacy)
    if "no_time" in themes and "no_time" not in state.resolved and action.minutes > 1:
        irritation += 3 * (action.minutes - 1)
    return Effect(trust=trust, irritation=irritation)


STATE_PAIR = re.compile(r"^([a-z_][a-z0-9_]*)=(\S+)$")
WHOLE = re.compile(r"^[+-]?\d{1,9}$")


def parse_state(spec: str, variables: Mapping[str, str]) -> list[tuple[str, int | bool]]:
    """The (name, value) pairs of a playtest `state:` step (see `Session._set_state`);
    `variables` maps the names besides trust and irritation to their type (bool or int)."""
    known = {"trust": "int", "irritation": "int", **variables}
    pairs = [part for part in re.split(r"[,\s]+", spec.strip()) if part]
    if not pairs:
        raise InvalidInput(N_("Write the state as name=value pairs separated by commas, such "
                              "as %(example)s."), field="action", example="trust=60,irritation=10")
    chosen: dict[str, int | bool] = {}
    for pair in pairs:
        match = STATE_PAIR.match(pair)
        if match is None:
            raise InvalidInput(N_("Write the state as name=value pairs separated by commas, "
                                  "such as %(example)s."), field="action",
                               example="trust=60,irritation=10")
        name, raw = match.groups()
        if name not in known:
            raise InvalidInput(N_("'%(name)s' is not a variable of this scenario; you can set: "
                                  "%(allowed)s."), field="action", name=name,
                               allowed=", ".join(known))
        if known[name] == "bool":
            if raw.lower() not in ("true", "false"):
                raise InvalidInput(N_("'%(name)s' is true or false, not '%(value)s'."),
                                   field="action", name=name, value=raw)
            chosen[name] = raw.lower() == "true"
        else:
            if not WHOLE.match(raw):
                raise InvalidInput(N_("'%(name)s' is a whole number, not '%(value)s'."),
                                   field="action", name=name, value=raw)
            chosen[name] = int(raw)
    return list(chosen.items())


def _clamp(value: int) -> int:
    return max(0, min(100, value))


def replay(scenario: Scenario, seed: int, steps: Iterable[Step]) -> Session:
    """A new session with `steps` applied in order: the same events every time."""
    session = Session(scenario, seed)
    for step in steps:
        session.apply(step)
    return session
