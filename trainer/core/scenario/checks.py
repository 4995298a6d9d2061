"""Static checks for authors: what a valid file can still get wrong.

- nodes that no path reaches;
- dead ends: a node with neither actions nor an outcome, or from which no ending is reachable;
- conditions that can never hold: contradictory or out-of-range comparisons, a visit number
  beyond the scenario's visits, a variable compared with a value no effect gives it, a fact no
  probe or effect can disclose, an action never offered, a time of day the respondent is never
  at home;
- a household that can self-report (自主填报) while a fact still hides its head or every member
  (`_concealed_self_reports`);
- ID numbers the form would refuse (`_id_numbers`), and a person's residence, hukou and time
  away that contradict each other on the form (`_residence`).
Each problem is a `ScenarioError` with its position in the file. There is no warning level:
every problem found here keeps a draft from being published and the library from syncing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta

from trainer.core.census.r601 import WRITE_PLACE
from trainer.core.i18n import N_
from trainer.core.scenario import vocabulary
from trainer.core.scenario.loader import Path_, Reader, ScenarioError, reader_for
from trainer.core.scenario.model import Condition, Dialogue, Fact, HouseholdSpec, Scenario
from trainer.core.world import idnumber
from trainer.core.world.codes import ETHNIC_GROUPS


def check(scenario: Scenario, file: str = "<scenario>", *,
          marks: Mapping[Path_, tuple[int, int]] | None = None) -> list[ScenarioError]:
    """Every static problem of a loaded scenario; `marks` are the positions `loader.read`
    found in its text (without them, the text is read again to place the problems)."""
    locator = reader_for(scenario.source, file, at_keys=True, marks=marks)
    _calendar(scenario, locator)
    for dialogue in scenario.dialogues.values():
        _reachability(dialogue, locator)
        _conditions(scenario, dialogue, locator)
    _concealed_self_reports(scenario, locator)
    _id_numbers(scenario, locator)
    _ethnicities(scenario, locator)
    _residence(scenario, locator)
    _fact_indexes(scenario, locator)
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


def _id_numbers(scenario: Scenario, locator: Reader) -> None:
    """ID numbers written in the scenario are each one person's and, on the R601 form (not
    an HMT or foreign resident's document number), valid under GB 11643 and saying the
    person's sex and month of birth: the form's own checks would refuse the true answer
    otherwise. A static check, not the loader's: a version published before it still loads
    (its attempts go on); the editor, publishing and the library refuse it. Each problem is
    placed at the number itself."""
    at_values = Reader(locator.file, locator.marks)
    seen: set[str] = set()
    for h_index, household in enumerate(scenario.households):
        for p_index, person in enumerate((household.explicit or {}).get("persons", ())):
            number = person.get("id_number")
            if not number or number == idnumber.NO_NUMBER:
                continue
            path = ("world", "households", h_index, "persons", p_index, "id_number")
            if number in seen:
                at_values.error(path, N_("the ID number %(value)s is another person's too"),
                                value=number)
            seen.add(number)
            if person.get("form") == "hmt_foreign":
                continue
            parsed = idnumber.parse(number)
            birth = str(person.get("birth", ""))
            if parsed is None:
                at_values.error(path, N_("%(value)s is not a valid ID number: its check "
                                         "character or its date of birth is wrong"),
                                value=number)
            elif parsed.sex != person.get("sex"):
                at_values.error(path, N_("the ID number %(value)s is of the other sex"),
                                value=number)
            elif birth and parsed.birth.strftime("%Y-%m") != birth[:7]:
                at_values.error(path, N_("the ID number %(value)s says another month of "
                                         "birth than 'birth'"), value=number)
    locator.errors.extend(at_values.errors)


def _ethnicities(scenario: Scenario, locator: Reader) -> None:
    """A written ethnic group is one of the names D6 and the death form take
    (`ETHNIC_GROUPS`): a truth of "汉" would grade the trainee's right answer 汉族 wrong. A
    static check, as `_id_numbers` is: a version published before it still loads."""
    at_values = Reader(locator.file, locator.marks)
    for h_index, household in enumerate(scenario.households):
        explicit = household.explicit or {}
        for kind in ("persons", "deaths"):
            for index, person in enumerate(explicit.get(kind, ())):
                name = person.get("ethnicity")
                if name is not None and name not in ETHNIC_GROUPS:
                    at_values.error(
                        ("world", "households", h_index, kind, index, "ethnicity"),
                        N_("'%(value)s' is not the full name of an ethnic group (such as "
                           "汉族, 土家族)"), value=name)
    locator.errors.extend(at_values.errors)


def _fact_indexes(scenario: Scenario, locator: Reader) -> None:
    """The persons and deaths a fact hides are its written household's own (counted from
    0; a picked household's are known only once the world is drawn): an index past them
    hides nobody. A static check, so a version published before it still loads."""
    written = {h.id: h.explicit for h in scenario.households if h.explicit is not None}
    for fact in scenario.facts.values():
        household = written.get(fact.household)
        if household is None:
            continue
        for kind, indexes, message in (
                ("persons", fact.persons, N_("the household has %(count)s persons (counted "
                                             "from 0): there is no person %(index)s")),
                ("deaths", fact.deaths, N_("the household has %(count)s deaths (counted from "
                                           "0): there is no death %(index)s"))):
            count = len(household.get(kind, ()))
            for i, index in enumerate(indexes):
                if index >= count:
                    locator.error(("facts", fact.id, kind, i), message, count=count,
                                  index=index)


def _residence(scenario: Scenario, locator: Reader) -> None:
    """A person's D7, D8 and D9 as the form's checks take them (`r601.residence`,
    `r601.plausibility`): someone living elsewhere in China (residence 2-5; an absent person
    is 5 unless told) is on this household's form only as a hukou member away, so the hukou
    is here (1); and a hukou member living outside the village (residence 3-5) has left it, so
    time_away (default 1 for a hukou here) is 2 or more. Otherwise the true answer would be
    refused or questioned by the form; and D7 = 5 and D8 = 4 are followed by the place written
    out (`residence_place`, `hukou_place`), which the respondent tells and the trainee
    writes. A static check like `_id_numbers`: versions published before still load."""
    at_values = Reader(locator.file, locator.marks)
    for h_index, household in enumerate(scenario.households):
        for p_index, person in enumerate((household.explicit or {}).get("persons", ())):
            if person.get("form") == "hmt_foreign":
                continue
            path = ("world", "households", h_index, "persons", p_index)
            residence = person.get("residence", 1 if person.get("present", True) else 5)
            hukou = person.get("hukou", 1)
            if residence in (2, 3, 4, 5) and hukou != 1:
                at_values.error((*path, "hukou"), N_(
                    "someone living elsewhere (residence %(residence)s) is on this household's "
                    "form only as a hukou member away: the hukou is here (hukou: 1)"),
                    residence=residence)
            elif residence in (3, 4, 5) and hukou == 1 and person.get("time_away", 1) == 1:
                at_values.error((*path, "time_away"), N_(
                    "a hukou member living outside the village (residence %(residence)s) has "
                    "left it: time_away is 2 or more"), residence=residence)
            for form_item, key, value in (("D7", "residence_place", residence),
                                          ("D8", "hukou_place", hukou)):
                item = key.removesuffix("_place")  # the scenario's own key, as authors write
                code = WRITE_PLACE[form_item]  # the code after which the form writes the place
                if value == code and not person.get(key):
                    at_values.error(path, N_(
                        "%(item)s %(code)s (another county) needs %(key)s: the province, city "
                        "and county the form writes out, as the respondent would tell them"),
                        item=item, code=code, key=key)
                elif value != code and person.get(key):
                    at_values.error((*path, key), N_(
                        "%(key)s is written only for %(item)s %(code)s (another county)"),
                        item=item, code=code, key=key)
    locator.errors.extend(at_values.errors)


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


SELF_REPORTING = "self_reporting"
MAX_STATES = 20_000  # (node, facts told) pairs walked per household: a huge draft stops early


def _concealed_self_reports(scenario: Scenario, locator: Reader) -> None:
    """A household that can end a visit in self-reporting while a fact still hides its head
    (户主), or while its facts still hide every member.

    The household writes its form as it tells about itself (`Session.submitted`), so such a
    form would have no head, or nobody at all. The mini-program refuses those (R601
    `head_first`), so the engine never sends one: the self-report never comes and is missed
    at the deadline (`Session._can_send`). The file then says something the run never does
    (a written `submits: true`, or the drawn 60 % chance), and the trainee meets a missed
    self-report the scenario did not mean.

    An error, not a warning: the project's checks have one level (`ScenarioError`; the editor
    lists every problem and `publishable` is "no problems", `sync_library` refuses a file with
    any), and this is no matter of taste the author may keep: the author fixes it by disclosing
    the fact before the ending (its `when: {disclosed: [...]}`, an effect or a probe the
    respondent always answers), by hiding other members, or with `self_report: {submits:
    false}` for a household meant never to send its form. A fact counts as told on a path when
    a condition taken on it requires it, an effect discloses it or a probe of its topic asks
    at trust 0; households that cannot self-report (vacant, whole-household death, HMT or
    foreign members, the long-form sample) are left alone. Picked households are checked for
    their head only (person 0 of the generator; their size is the seed's)."""
    specs = {spec.id: spec for spec in scenario.households}
    for unit, respondent in scenario.respondents.items():
        plan = respondent.self_report
        spec = specs.get(unit)
        dialogue = scenario.dialogues.get(respondent.dialogue)
        if (plan is not None and not plan.submits) or spec is None or dialogue is None:
            continue
        members = _members(spec)
        hiding = [f for f in scenario.facts.values() if f.household == unit and f.persons]
        if members is None or not hiding:
            continue
        heads, everyone = members
        hidden_sets = _hidden_at_self_report(dialogue, hiding)
        whole = next((h for h in hidden_sets if everyone and everyone <= {
            key for f in hiding if f.id in h for key in f.persons}), None)
        if whole is not None:
            named = [f for f in hiding if f.id in whole]
            locator.error(("facts", named[0].id, "persons"), N_(
                "household '%(household)s' can end a visit in self_reporting while it still "
                "hides every member (%(facts)s): a form that lists nobody cannot be sent, so "
                "the self-report would never come; have them disclosed before that ending, "
                "or write self_report: {submits: false}"), household=unit,
                facts=", ".join(f.id for f in named))
            continue
        for fact in hiding:
            if heads & set(fact.persons) and any(fact.id in h for h in hidden_sets):
                locator.error(("facts", fact.id, "persons"), N_(
                    "household '%(household)s' can end a visit in self_reporting while fact "
                    "'%(fact)s' still hides its head (户主): a form without the head cannot "
                    "be sent, so the self-report would never come; have the fact disclosed "
                    "before that ending, or write self_report: {submits: false}"),
                    household=unit, fact=fact.id)


def _members(spec: HouseholdSpec) -> tuple[set[int], set[int]] | None:
    """The keys of a household's heads and of all its members (empty: not known before the
    world is drawn); None for a household that cannot self-report or has nobody."""
    if spec.pick is not None:
        return None if spec.pick.get("kind") in ("all_died", "hmt_foreign") else ({0}, set())
    raw = spec.explicit or {}
    persons = list(raw.get("persons", ()))
    kind = raw.get("kind", "family")
    dwelling = raw.get("dwelling", 2 if kind == "collective" else 1)
    if (kind in ("vacant", "all_died") or not persons
            or any(p.get("form") == "hmt_foreign" for p in persons)
            or (raw.get("long_form") and dwelling == 1)):
        return None
    heads = {key for key, person in enumerate(persons) if person.get("relation") == 0}
    return heads, set(range(len(persons)))


def _required(condition: Condition) -> set[str]:
    """The facts a condition holds only once they are told."""
    needed = set(condition.disclosed)
    if condition.any:
        needed |= set.intersection(*(_required(inner) for inner in condition.any))
    return needed


def _hidden_at_self_report(dialogue: Dialogue, hiding: list[Fact]) -> set[frozenset[str]]:
    """The sets of `hiding` facts (of one household) that may still be untold when a visit
    through `dialogue` ends in self-reporting: the dialogue walked with the facts surely told
    on the way (every visit is taken to begin with none told, the cautious view of the ones
    before it). A draft past `MAX_STATES` is walked that far only."""
    ids = frozenset(f.id for f in hiding)
    asked_freely = {f.id: f.topic for f in hiding if f.topic is not None and f.trust <= 0}
    found: set[frozenset[str]] = set()
    nothing: frozenset[str] = frozenset()
    start = [(entry, nothing) for entry in dialogue.entries]
    seen = set(start)
    todo = list(start)
    while todo and len(seen) <= MAX_STATES:
        node_id, told = todo.pop()
        node = dialogue.nodes[node_id]
        if node.end == SELF_REPORTING:
            found.add(ids - told)
            continue
        for choice in node.choices:
            after = told | (_required(choice.when) & ids)
            if choice.effects:
                after |= set(choice.effects.disclose) & ids
            if choice.do == "probe":
                after |= {f for f, topic in asked_freely.items() if topic == choice.param}
            if choice.end == SELF_REPORTING:  # no action ends a visit so by itself
                found.add(ids - after)
                continue
            if choice.end is not None:
                continue
            targets = [(b.node, after | (_required(b.when) & ids)) for b in choice.goto
                       if b.node in dialogue.nodes] or [(node_id, after)]
            for state in targets:
                if state not in seen:
                    seen.add(state)
                    todo.append(state)
    return found
