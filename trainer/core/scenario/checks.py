"""Static checks for authors: what a valid file can still get wrong.

- nodes that no path reaches;
- dead ends: a node with neither actions nor an outcome, or from which no ending is reachable;
- conditions that can never hold: contradictory or out-of-range comparisons, a visit number
  beyond the scenario's visits, a variable compared with a value no effect gives it, a fact no
  probe or effect can disclose, an action never offered, a time of day the respondent is never
  at home.
Each problem is a `ScenarioError` with its position in the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta

from trainer.core.i18n import N_
from trainer.core.scenario import vocabulary
from trainer.core.scenario.loader import Path_, Reader, ScenarioError, reader_for
from trainer.core.scenario.model import Condition, Dialogue, Scenario


def check(scenario: Scenario, file: str = "<scenario>", *,
          marks: Mapping[Path_, tuple[int, int]] | None = None) -> list[ScenarioError]:
    """Every static problem of a loaded scenario; `marks` are the positions `loader.read`
    found in its text (without them, the text is read again to place the problems)."""
    locator = reader_for(scenario.source, file, at_keys=True, marks=marks)
    _calendar(scenario, locator)
    for dialogue in scenario.dialogues.values():
        _reachability(dialogue, locator)
        _conditions(scenario, dialogue, locator)
    return sorted(locator.errors, key=lambda e: (e.line, e.column))


def _calendar(scenario: Scenario, locator: Reader) -> None:
    """Visit days must fall in the field-work period: listing (摸底) through registration."""
    assignment = scenario.assignment
    last = assignment.first_day + timedelta(days=assignment.days - 1)
    if assignment.first_day < assignment.listing[0] or last > assignment.registration[1]:
        locator.error(("assignment", "first_day"), N_(
            "the visit days %(first)s to %(last)s fall outside the field work (%(start)s to "
            "%(end)s)"), first=assignment.first_day.isoformat(), last=last.isoformat(),
            start=assignment.listing[0].isoformat(), end=assignment.registration[1].isoformat())


def _successors(dialogue: Dialogue, node_id: str) -> set[str]:
    return {b.node for c in dialogue.nodes[node_id].choices for b in c.goto}


def _reachability(dialogue: Dialogue, locator: Reader) -> None:
    base: Path_ = ("dialogues", dialogue.id, "nodes")
    entries = dialogue.entries
    seen = set(entries)
    todo = list(entries)
    while todo:
        for nxt in _successors(dialogue, todo.pop()) - seen:
            seen.add(nxt)
            todo.append(nxt)
    for node_id, node in dialogue.nodes.items():
        if node_id not in seen:
            locator.error((*base, node_id), N_("node '%(node)s' cannot be reached"),
                          node=node_id)
        if not node.end and not node.choices:
            locator.error((*base, node_id), N_("dead end: node '%(node)s' has no actions and "
                                               "no outcome (add actions, or end: an outcome)"),
                          node=node_id)
    # Nodes from which an ending is reachable, walking the graph backwards from the endings.
    ends = {n for n, node in dialogue.nodes.items()
            if node.end or any(c.end or vocabulary.ACTIONS[c.do].ends_visit
                               for c in node.choices)}
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for node_id in dialogue.nodes:
            if node_id not in can_end and _successors(dialogue, node_id) & can_end:
                can_end.add(node_id)
                changed = True
    for node_id, node in dialogue.nodes.items():
        if node_id in seen and node.choices and node_id not in can_end:
            locator.error((*base, node_id), N_("dead end: no ending can be reached from node "
                                               "'%(node)s'"), node=node_id)


def _all_conditions(dialogue: Dialogue) -> Iterator[tuple[Path_, Condition]]:
    for node in dialogue.nodes.values():
        for choice in node.choices:
            yield (*choice.path, "when"), choice.when
            for branch in choice.goto:
                yield branch.path, branch.when


def _conditions(scenario: Scenario, dialogue: Dialogue, locator: Reader) -> None:
    offered = {c.key for n in dialogue.nodes.values() for c in n.choices}
    offered |= {c.do for n in dialogue.nodes.values() for c in n.choices}
    offered |= {name for name, a in vocabulary.ACTIONS.items() if a.anywhere}
    households = {r.household for r in scenario.respondents.values()
                  if r.dialogue == dialogue.id}
    topics = {c.param for n in dialogue.nodes.values() for c in n.choices if c.do == "probe"}
    effect_disclosed = {f for n in dialogue.nodes.values() for c in n.choices if c.effects
                        for f in c.effects.disclose}
    values: dict[str, set[int | bool]] = {n: {v.initial} for n, v in scenario.variables.items()}
    for name, kind in vocabulary.BUILTIN_VARIABLES.items():
        values[name] = {False, True} if kind == "bool" else set()
    for node in dialogue.nodes.values():
        for choice in node.choices:
            for name, value in choice.effects.set if choice.effects else ():
                values.setdefault(name, set()).add(value)
    slots = {slot for r in scenario.respondents.values() if r.dialogue == dialogue.id
             for day in r.availability.values() for slot in day}
    for path, top in _all_conditions(dialogue):
        for condition in top.flattened():
            _ranges(condition, path, scenario, locator)
            for name, wanted in condition.flags:
                if wanted not in values.get(name, set()):
                    locator.error(path, N_("never holds: '%(name)s' is never %(value)s"),
                                  name=name, value=str(wanted).lower())
            for fact in condition.disclosed:
                spec = scenario.facts.get(fact)
                if spec is not None and fact not in effect_disclosed and (
                        spec.topic is None or spec.topic not in topics
                        or spec.household not in households):
                    locator.error(path, N_("never holds: fact '%(fact)s' cannot be disclosed "
                                           "in this dialogue (no probe for %(topic)s)"),
                                  fact=fact, topic=spec.topic or "-")
            for action in condition.taken:
                if action not in offered:
                    locator.error(path, N_("never holds: action '%(action)s' is never "
                                           "offered in this dialogue"), action=action)
            for slot in condition.slots:
                if slots and slot not in slots:
                    locator.error(path, N_("never holds: nobody is at home in the %(slot)s"),
                                  slot=slot)


def _ranges(condition: Condition, path: Path_, scenario: Scenario, locator: Reader) -> None:
    """Comparisons whose feasible interval is empty."""
    bounds: dict[str, list[float]] = {}
    limits = {"trust": (0, 100), "irritation": (0, 100),
              "visit": (1, scenario.assignment.max_visits)}
    for check in condition.comparisons:
        low, high = bounds.setdefault(check.variable,
                                      list(limits.get(check.variable, (-1e9, 1e9))))
        value = check.value
        if check.op == ">":
            low = max(low, value + 1)
        elif check.op == ">=":
            low = max(low, value)
        elif check.op == "<":
            high = min(high, value - 1)
        elif check.op == "<=":
            high = min(high, value)
        elif check.op == "==":
            low, high = max(low, value), min(high, value)
        bounds[check.variable] = [low, high]
    for name, (low, high) in bounds.items():
        if low > high:
            locator.error(path, N_("never holds: no value of %(name)s satisfies the "
                                   "comparisons"), name=name)
