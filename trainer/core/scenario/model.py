"""A scenario as the engine and the checks read it: plain frozen dataclasses.

`loader.parse` / `loader.load` build these from a YAML file after validating it; nothing here parses
or validates. The format is documented in `scenarios/README.md` and published as
`scenarios/schema.json`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

COMPARISON = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*(-?\d+)\s*$")
OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True, slots=True)
class Text:
    """A text in both interface languages."""

    zh: str
    en: str

    def get(self, english: bool) -> str:
        """The text in English or Chinese."""
        return self.en if english else self.zh


@dataclass(frozen=True, slots=True)
class Comparison:
    """`variable op value`, for trust, irritation, the visit number and integer variables."""

    variable: str
    op: str
    value: int

    def holds(self, actual: int) -> bool:
        """Whether `actual op value`."""
        return OPERATORS[self.op](actual, self.value)


@dataclass(frozen=True, slots=True)
class Condition:
    """Every listed check must hold; `any` holds when one of its conditions does."""

    comparisons: tuple[Comparison, ...] = ()
    slots: tuple[str, ...] = ()  # time of day of the visit
    taken: tuple[str, ...] = ()  # actions already taken in this visit
    not_taken: tuple[str, ...] = ()
    disclosed: tuple[str, ...] = ()  # facts the respondent has told
    not_disclosed: tuple[str, ...] = ()
    flags: tuple[tuple[str, bool], ...] = ()  # boolean variables and the value they must have
    any: tuple[Condition, ...] = ()

    def flattened(self) -> Iterator[Condition]:
        """This condition and every condition inside its `any`, depth first."""
        yield self
        for inner in self.any:
            yield from inner.flattened()

    @property
    def empty(self) -> bool:
        """No check at all: always holds."""
        return not (self.comparisons or self.slots or self.taken or self.not_taken
                    or self.disclosed or self.not_disclosed or self.flags or self.any)

    def holds(self, values: Mapping[str, int | bool], slot: str, taken: Mapping[str, int],
              disclosed: frozenset[str] | set[str]) -> bool:
        """Whether the condition holds for this state of the visit."""
        if self.empty:
            return True
        return (
            all(check.holds(int(values[check.variable])) for check in self.comparisons)
            and (not self.slots or slot in self.slots)
            and all(taken.get(name, 0) > 0 for name in self.taken)
            and not any(taken.get(name, 0) > 0 for name in self.not_taken)
            and all(fact in disclosed for fact in self.disclosed)
            and not any(fact in disclosed for fact in self.not_disclosed)
            and all(bool(values[name]) == wanted for name, wanted in self.flags)
            and (not self.any or any(c.holds(values, slot, taken, disclosed) for c in self.any))
        )


ALWAYS = Condition()


@dataclass(frozen=True, slots=True)
class Effect:
    """How an action changes the visit's state."""

    trust: int = 0
    irritation: int = 0
    set: tuple[tuple[str, int | bool], ...] = ()
    add: tuple[tuple[str, int], ...] = ()
    disclose: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Branch:
    """Go to `node` when `when` holds; branches are tried in order, the last has no condition."""

    node: str
    when: Condition = ALWAYS
    path: tuple[str | int, ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    """An action offered at a node: what the trainee may do and what follows."""

    do: str
    param: str | None = None
    when: Condition = ALWAYS
    effects: Effect | None = None  # None: the vocabulary's default reaction
    reply: Text | None = None  # the respondent's words after the action
    goto: tuple[Branch, ...] = ()  # empty: stay at the node (or end, if the action ends visits)
    end: str | None = None  # ends the visit with this outcome
    path: tuple[str | int, ...] = ()  # where it is written, for error messages
    conduct: str | None = None  # how training judges it here (default: the vocabulary's)

    @property
    def key(self) -> str:
        """`do` or `do:param`, how a trainee's step names the choice."""
        return f"{self.do}:{self.param}" if self.param else self.do


@dataclass(frozen=True, slots=True)
class Node:
    """A moment of the dialogue: the respondent's words and the trainee's choices."""

    id: str
    says: Text | None
    choices: tuple[Choice, ...] = ()
    end: str | None = None  # an ending: the visit's outcome
    trap: str | None = None
    common: bool = True  # offer the vocabulary's `anywhere` actions here
    path: tuple[str | int, ...] = ()
    speaker: str | None = None  # who answers here: self, proxy, child (default: the role)


@dataclass(frozen=True, slots=True)
class Dialogue:
    """The nodes one respondent's visits run through."""

    id: str
    start: str
    nodes: Mapping[str, Node]
    revisit: str | None = None  # start node from the second visit on
    absent: str | None = None  # where a visit starts when nobody opens the door
    refused: str | None = None  # where the visit goes when irritation passes the patience

    @property
    def entries(self) -> list[str]:
        """The nodes visits begin at or jump to: start, revisit, absent, refused (if set)."""
        named = (self.start, self.revisit, self.absent, self.refused)
        return list(dict.fromkeys(n for n in named if n and n in self.nodes))

    def start_node(self, visit: int, home: bool) -> str:
        """The node a visit begins at."""
        if not home:
            return self.absent or ""
        return self.revisit if visit > 1 and self.revisit else self.start


@dataclass(frozen=True, slots=True)
class Mistake:
    """A typical respondent's slip on a self-reported form: `item` of person `person` (a
    household item when None) reads `value` instead of the truth."""

    item: str
    value: int | str | None
    person: int | None = None


@dataclass(frozen=True, slots=True)
class SelfReport:
    """What a household given self-reporting (自主填报) does with it: submits its form on `on`
    (None: the day it was given the QR code), with `mistakes`, or never submits."""

    submits: bool
    on: date | None = None
    mistakes: tuple[Mistake, ...] = ()


@dataclass(frozen=True, slots=True)
class Respondent:
    """Who answers the door of one household and how they behave."""

    household: str
    dialogue: str
    archetype: str
    cooperativeness: float
    privacy: float
    patience: int
    themes: tuple[str, ...]
    availability: Mapping[str, tuple[str, ...]]  # "weekday" / "weekend" -> slots
    home_probability: float = 1.0  # chance someone opens in an available slot
    language: str = "普通话"
    role: str = "self"  # self, proxy (a neighbour or relative), child
    self_report: SelfReport | None = None  # None: drawn from the seed (see the engine)


@dataclass(frozen=True, slots=True)
class Fact:
    """Something the respondent tells only when trust is high enough and the trainee probes."""

    id: str
    household: str
    topic: str | None  # None: told only through an effect that discloses it
    trust: int
    tells: Text
    denies: Text
    persons: tuple[int, ...] = ()  # persons left out of answers until told
    misreport: tuple[tuple[int, str, str], ...] = ()  # (person, item, false answer) until told
    deaths: tuple[int, ...] = ()  # the household's deaths left out of H3/H4 until told


@dataclass(frozen=True, slots=True)
class HouseholdSpec:
    """A household of the scenario: written out, or picked from the generated world."""

    id: str
    explicit: Mapping[str, Any] | None = None
    pick: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class MapSpec:
    """The small-area map (普查小区图) the trainee draws during the listing: of the one area
    of the world every unit of the assignment is picked from (`grid` and `area`, indices from
    0), its buildings numbered by `rule` (a name in `core.maps.NUMBERING_RULES`)."""

    grid: int
    area: int
    rule: str = "serpentine"


@dataclass(frozen=True, slots=True)
class Assignment:
    """What the trainee must visit and when."""

    units: tuple[str, ...]
    area: str | None = None
    listing: tuple[date, date] = (date(2020, 10, 11), date(2020, 10, 31))
    self_report_until: date = date(2020, 11, 5)
    registration: tuple[date, date] = (date(2020, 11, 1), date(2020, 11, 15))
    first_day: date = date(2020, 11, 1)
    days: int = 3
    hours_per_day: int = 8
    max_visits: int = 3
    map: MapSpec | None = None  # None: no map is drawn in this scenario


@dataclass(frozen=True, slots=True)
class Criterion:
    """A rubric line: a registered criterion, its weight and feedback."""

    name: str
    weight: float = 1.0
    feedback: Text | None = None
    critical: bool = False  # failing it fails the attempt whatever the total
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Moment:
    """A second of a rubric clip and what it illustrates: a trap, an action (`ask_item`, or
    `answer_concern:privacy` for one parameter) and/or a conduct. A finding whose event
    matches every one given links to that second; a moment that names none matches any."""

    at: float
    trap: str | None = None
    action: str | None = None
    conduct: str | None = None
    caption: Text | None = None


@dataclass(frozen=True, slots=True)
class Clip:
    """A video clip shown at the debrief of a criterion, with its moments."""

    id: str
    criterion: str | None = None
    title: Text | None = None
    moments: tuple[Moment, ...] = ()


@dataclass(frozen=True, slots=True)
class Rubric:
    """The criteria a scenario is graded on."""

    criteria: tuple[Criterion, ...]
    pass_score: float = 60.0
    clips: tuple[Clip, ...] = ()
    release: str = "at_once"  # practice: "at_once" or "by_examiner" (exams always wait)


@dataclass(frozen=True, slots=True)
class Variable:
    """A state variable a scenario declares."""

    name: str
    type: str  # "bool" or "int"
    initial: int | bool


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole scenario file."""

    id: str
    version: int
    title: Text
    summary: Text
    difficulty: int
    minutes: int
    objectives: tuple[Text, ...]
    tags: tuple[str, ...]
    seed_policy: str  # "fixed" or "per_trainee"
    seed: int
    world_spec: Mapping[str, Any]
    households: tuple[HouseholdSpec, ...]
    assignment: Assignment
    respondents: Mapping[str, Respondent]
    facts: Mapping[str, Fact]
    variables: Mapping[str, Variable]
    dialogues: Mapping[str, Dialogue]
    rubric: Rubric
    source: str = field(default="", compare=False)  # the YAML text it was read from
