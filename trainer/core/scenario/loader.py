"""Reading a scenario file: YAML -> JSON Schema -> cross-references -> `model.Scenario`.

Every error names the file, the line and column, the path inside the document and what was
expected, so an author can fix a file without reading the code. The YAML is parsed once per
call: composed into nodes (which carry the position of every key and value), then constructed
into data from those same nodes. `read` hands the nodes and positions on with the scenario, so
the static checks and the editor's panels locate their findings without reading the text again
(each read of a 512 KB text costs about a second).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from trainer.core.errors import DomainError, InvalidInput
from trainer.core.grading.criteria import CRITERIA
from trainer.core.i18n import N_
from trainer.core.maps.numbering import NUMBERING_RULES
from trainer.core.scenario import vocabulary
from trainer.core.scenario.model import (
    ALWAYS,
    COMPARISON,
    Assignment,
    Branch,
    Choice,
    Clip,
    Comparison,
    Condition,
    Criterion,
    Dialogue,
    Effect,
    Fact,
    HouseholdSpec,
    MapSpec,
    Mistake,
    Moment,
    Node,
    Respondent,
    Rubric,
    Scenario,
    SelfReport,
    Text,
    Variable,
)
from trainer.core.world.spec import WorldSpec

SCHEMA_PATH = Path(__file__).with_name("schema.json")


MAX_BYTES = 512 * 1024  # a scenario is text for people; anything larger is a mistake
MAX_DEPTH = 40  # nesting deeper than this is no scenario either
MAX_NODES = 100_000  # values once aliases are expanded


class YamlLoader(yaml.SafeLoader):
    """Safe YAML, read with YAML 1.2 booleans (only true/false, so an English 'No' stays text)
    and without deep nesting. Aliases are allowed, but `expanded_size` bounds what they expand
    to: a few lines of `*x` could otherwise stand for gigabytes."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Refuse runaway nesting before it is built."""
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(None, None, "nested too deeply",
                                                  event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


MERGE, VALUE = "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"


class _BuildingLoader(YamlLoader):
    """The loader `read` composes and constructs with. PyYAML's constructor flattens merge
    keys (`<<: *base`) into the composed mapping in place; here it flattens a copy, so the
    composed document stays as written for the positions and texts read from it afterwards."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if any(key.tag in (MERGE, VALUE) for key, _value in node.value):
            node = _unflattened(node)
        return super().construct_mapping(node, deep=deep)


def _unflattened(node: yaml.MappingNode) -> yaml.MappingNode:
    """A copy of `node`, and of the mappings its merge keys name, for PyYAML to flatten (it
    also retags `=` keys: those are copied too). Only called once `expanded_size` has refused
    documents whose aliases loop, so the recursion ends."""
    pairs: list[tuple[Any, Any]] = []
    for key, value in node.value:
        if key.tag == MERGE and isinstance(value, yaml.MappingNode):
            value = _unflattened(value)
        elif key.tag == MERGE and isinstance(value, yaml.SequenceNode):
            value = yaml.SequenceNode(value.tag, [
                _unflattened(item) if isinstance(item, yaml.MappingNode) else item
                for item in value.value], value.start_mark, value.end_mark, value.flow_style)
        elif key.tag == VALUE:
            key = yaml.ScalarNode(key.tag, key.value, key.start_mark, key.end_mark, key.style)
        pairs.append((key, value))
    return yaml.MappingNode(node.tag, pairs, node.start_mark, node.end_mark, node.flow_style)


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
YamlLoader.add_implicit_resolver("tag:yaml.org,2002:bool",
                              re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ScenarioError:
    """One problem in a scenario file, where it is and what was expected."""

    file: str
    line: int  # 1-based
    column: int  # 1-based
    path: str  # e.g. dialogues.main.nodes.door.actions[2].do
    message: str  # an N_ message id with %(name)s params
    params: Mapping[str, object]

    def text(self) -> str:
        """The error in English, as `flask scenarios check` prints it."""
        detail = self.message % dict(self.params) if self.params else self.message
        return f"{self.file}:{self.line}:{self.column}: {self.path or '(document)'}: {detail}"


class ScenarioInvalid(InvalidInput):
    """A scenario file that cannot be used, with every error found."""

    def __init__(self, errors: list[ScenarioError]) -> None:
        first = errors[0]
        super().__init__(N_("The scenario has %(count)d errors; the first: %(first)s"),
                         count=len(errors), first=first.text())
        self.errors = errors


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of scenario files."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def format_path(path: Path_) -> str:
    """`a.b[2].c` for the path ('a', 'b', 2, 'c')."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def expanded_size(node: yaml.Node, memo: dict[int, int] | None = None,
                  open_nodes: set[int] | None = None) -> int:
    """How many values the document holds once every alias is expanded (a cycle: no limit)."""
    memo = {} if memo is None else memo
    open_nodes = set() if open_nodes is None else open_nodes
    key = id(node)
    if key in memo:
        return memo[key]
    if key in open_nodes:
        return MAX_NODES + 1  # an alias inside itself
    open_nodes.add(key)
    total = 1
    if isinstance(node, yaml.MappingNode):
        for item_key, value in node.value:
            total += expanded_size(item_key, memo, open_nodes)
            total += expanded_size(value, memo, open_nodes)
    elif isinstance(node, yaml.SequenceNode):
        total += sum(expanded_size(item, memo, open_nodes) for item in node.value)
    open_nodes.discard(key)
    memo[key] = min(total, MAX_NODES + 1)
    return memo[key]


def positions(node: yaml.Node, path: Path_, out: dict[Path_, tuple[int, int]],
              duplicates: list[tuple[Path_, tuple[int, int]]] | None = None) -> None:
    """Line and column (1-based) of every value and key; duplicate keys into `duplicates`."""
    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            name = key.value
            mark = (key.start_mark.line + 1, key.start_mark.column + 1)
            if name in seen and duplicates is not None:
                duplicates.append(((*path, name), mark))
            seen.add(name)
            out[(*path, name, "__key__")] = mark
            positions(value, (*path, name), out, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            positions(item, (*path, index), out, duplicates)


def _plain(value: Any) -> Any:
    """Dates as ISO strings, so the schema sees what the author wrote."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class Reader:
    """Collects errors with their positions while turning checked data into the model."""

    def __init__(self, file: str, marks: Mapping[Path_, tuple[int, int]], *,
                 at_keys: bool = False) -> None:
        self.file = file
        self.marks = marks
        self.at_keys = at_keys  # point every error at the key of its path, not the value
        self.errors: list[ScenarioError] = []
        self.missing: set[tuple[Path_, str]] = set()

    def error(self, path: Path_, message: str, *, at_key: bool = False, **params: object) -> None:
        probe = (*path, "__key__") if (at_key or self.at_keys) and path else path
        while probe not in self.marks and probe:
            probe = probe[:-1]
        line, column = self.marks.get(probe, (1, 1))
        clean = tuple(p for p in path if p != "__key__")
        self.errors.append(ScenarioError(self.file, line, column, format_path(clean), message,
                                         params))

    # --- JSON Schema -------------------------------------------------------------------------

    def check_schema(self, data: Any) -> None:
        validator = jsonschema.Draft202012Validator(
            schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
            self._schema_error(error)

    def _schema_error(self, error: jsonschema.ValidationError) -> None:
        while error.context:
            # Of the branches of a oneOf, the one that got furthest into the value is the one
            # the author meant; among equals, one whose type matched (not a type or const miss).
            error = max(error.context, key=lambda e: (
                len(e.absolute_path), e.validator not in ("type", "const", "enum")))
        path: Path_ = tuple(error.absolute_path)
        instance: Any = error.instance
        kind = error.validator
        expected: Any = error.validator_value
        subschema: Any = error.schema
        if kind == "required":
            for key in (k for k in expected if k not in instance):
                if (path, key) not in self.missing:
                    self.missing.add((path, key))
                    self.error(path, N_("missing required key '%(key)s'"), at_key=True,
                               key=key)
        elif kind == "additionalProperties":
            allowed = sorted(subschema.get("properties", {}))
            for extra in sorted(set(instance) - set(allowed)):
                self.error((*path, extra), N_("unknown key '%(key)s'; expected one of: "
                                              "%(allowed)s"), at_key=True, key=extra,
                           allowed=", ".join(allowed) or "-")
        elif kind == "enum":
            self.error(path, N_("'%(value)s' is not allowed; expected one of: %(allowed)s"),
                       value=instance, allowed=", ".join(map(str, expected)))
        elif kind == "type":
            self.error(path, N_("expected %(type)s, found '%(value)s'"),
                       type=expected, value=instance)
        elif kind == "pattern":
            self.error(path, N_("'%(value)s' does not match the expected form %(pattern)s"),
                       value=instance, pattern=expected)
        elif kind == "format":
            self.error(path, N_("'%(value)s' is not a valid %(format)s"), value=instance,
                       format=expected)
        else:
            self.error(path, N_("invalid value: %(detail)s"), detail=error.message)

    # --- building the model ------------------------------------------------------------------

    def text(self, raw: Mapping[str, str]) -> Text:
        return Text(raw["zh_CN"], raw["en"])

    def maybe_text(self, raw: Mapping[str, str] | None) -> Text | None:
        return self.text(raw) if raw else None


def _rubric_clip(raw: Mapping[str, Any], index: int, reader: Reader) -> Clip:
    """A rubric clip with its moments (the schema checks traps and conducts; an unknown
    action is an error at that moment)."""
    moments = []
    for number, moment in enumerate(raw.get("moments", ())):
        action = moment.get("action")
        if action is not None and action.partition(":")[0] not in vocabulary.ACTIONS:
            reader.error(("rubric", "clips", index, "moments", number, "action"),
                         N_("unknown action '%(action)s'; see the vocabulary in "
                            "scenarios/README.md"), action=action)
        moments.append(Moment(float(moment["at"]), moment.get("trap"), action,
                              moment.get("conduct"), reader.maybe_text(moment.get("caption"))))
    return Clip(raw["id"], raw.get("criterion"), reader.maybe_text(raw.get("title")),
                tuple(moments))


def _condition(raw: Mapping[str, Any] | None, path: Path_, known: Mapping[str, str],
               reader: Reader) -> Condition:
    """A condition; `known` maps declared and built-in variables to their types."""
    if not raw:
        return ALWAYS
    comparisons = []
    for name in ("trust", "irritation", "visit"):
        if name in raw:
            comparisons.append(_comparison(name, raw[name]))
    flags = []
    for name, wanted in raw.get("vars", {}).items():
        if name not in known:
            reader.error((*path, "vars", name), N_("condition on unknown variable '%(name)s'"),
                         at_key=True, name=name)
        elif isinstance(wanted, bool):
            if known[name] != "bool":
                reader.error((*path, "vars", name), N_("'%(name)s' is an integer; compare it "
                                                       "with a form such as '>= 1'"), name=name)
            flags.append((name, wanted))
        else:
            if known[name] != "int":
                reader.error((*path, "vars", name), N_("'%(name)s' is true or false, not a "
                                                       "number"), name=name)
            comparisons.append(_comparison(name, wanted))
    return Condition(
        comparisons=tuple(comparisons),
        slots=tuple(raw.get("slot", ())),
        taken=tuple(raw.get("taken", ())),
        not_taken=tuple(raw.get("not_taken", ())),
        disclosed=tuple(raw.get("disclosed", ())),
        not_disclosed=tuple(raw.get("not_disclosed", ())),
        flags=tuple(flags),
        any=tuple(_condition(item, (*path, "any", i), known, reader)
                  for i, item in enumerate(raw.get("any", ()))),
    )


def _comparison(name: str, text: str) -> Comparison:
    match = COMPARISON.match(text)
    assert match is not None  # the schema's pattern let it through
    return Comparison(name, match.group(1), int(match.group(2)))


def _choice(raw: Mapping[str, Any], path: Path_, known: Mapping[str, str],
            reader: Reader) -> Choice:
    action = vocabulary.ACTIONS.get(raw["do"])
    param = None
    if action is None:
        reader.error((*path, "do"), N_("unknown action '%(action)s'; see the vocabulary in "
                                       "scenarios/README.md"), action=raw["do"])
    else:
        given = [key for key in ("theme", "topic", "item") if key in raw]
        wanted = action.param.value
        if wanted == "none" and given:
            reader.error((*path, given[0]), N_("action '%(action)s' takes no %(param)s"),
                         at_key=True, action=action.name, param=given[0])
        elif wanted != "none":
            param = raw.get(wanted)
            allowed = {"theme": vocabulary.THEMES, "topic": vocabulary.TOPICS,
                       "item": vocabulary.ITEMS}[wanted]
            if param is None:
                reader.error(path, N_("action '%(action)s' needs a %(param)s"),
                             action=action.name, param=wanted)
            elif param not in allowed:
                reader.error((*path, wanted), N_("'%(value)s' is not a %(param)s; expected "
                                                 "one of: %(allowed)s"), value=param,
                             param=wanted, allowed=", ".join(allowed))
    return Choice(
        do=raw["do"], param=param,
        when=_condition(raw.get("when"), (*path, "when"), known, reader),
        effects=_effect(raw["effects"]) if "effects" in raw else None,
        reply=reader.maybe_text(raw.get("reply")),
        goto=_goto(raw.get("goto"), (*path, "goto"), known, reader),
        end=raw.get("end"), path=path, conduct=raw.get("conduct"))


def _effect(raw: Mapping[str, Any]) -> Effect:
    return Effect(trust=raw.get("trust", 0), irritation=raw.get("irritation", 0),
                  set=tuple(raw.get("set", {}).items()), add=tuple(raw.get("add", {}).items()),
                  disclose=tuple(raw.get("disclose", ())))


def _goto(raw: Any, path: Path_, known: Mapping[str, str], reader: Reader) -> tuple[Branch, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Branch(raw, ALWAYS, path),)
    branches = tuple(Branch(item["to"], _condition(item.get("when"), (*path, i, "when"), known,
                                                   reader), (*path, i, "to"))
                     for i, item in enumerate(raw))
    if "when" in raw[-1]:
        reader.error((*path, len(raw) - 1), N_("the last branch of a goto list must have no "
                                               "'when', so that the dialogue always goes on"))
    return branches


def _dialogue(name: str, raw: Mapping[str, Any], known: Mapping[str, str],
              reader: Reader) -> Dialogue:
    base: Path_ = ("dialogues", name)
    nodes: dict[str, Node] = {}
    for node_id, node_raw in raw["nodes"].items():
        path = (*base, "nodes", node_id)
        choices = tuple(_choice(c, (*path, "actions", i), known, reader)
                        for i, c in enumerate(node_raw.get("actions", ())))
        end = node_raw.get("end")
        if end and choices:
            reader.error((*path, "actions"), N_("an ending (end: %(outcome)s) offers no "
                                                "actions"), at_key=True, outcome=end)
        keys = [c.key for c in choices]
        for i, choice in enumerate(choices):
            if choice.when == ALWAYS and keys.index(choice.key) != i:
                reader.error(choice.path, N_("action '%(action)s' is offered twice at this "
                                             "node without a condition"), action=choice.key)
        nodes[node_id] = Node(node_id, reader.maybe_text(node_raw.get("says")), choices, end,
                              node_raw.get("trap"), node_raw.get("common", True), path,
                              node_raw.get("speaker"))
    for field in ("start", "revisit", "absent", "refused"):
        if field in raw and raw[field] not in nodes:
            reader.error((*base, field), N_("'%(node)s' is not a node of this dialogue"),
                         node=raw[field])
    for node in nodes.values():
        for choice in node.choices:
            for branch in choice.goto:
                if branch.node not in nodes:
                    reader.error(branch.path, N_("goto '%(node)s': no such node in dialogue "
                                                 "'%(dialogue)s'"), node=branch.node,
                                 dialogue=name)
    return Dialogue(name, raw["start"], nodes, raw.get("revisit"), raw.get("absent"),
                    raw.get("refused"))


def _respondent(household: str, raw: Mapping[str, Any]) -> Respondent:
    base = vocabulary.ARCHETYPES[raw.get("archetype", "cooperative")]
    availability = raw.get("availability", {})
    return Respondent(
        household=household, dialogue=raw["dialogue"],
        archetype=raw.get("archetype", "cooperative"),
        cooperativeness=float(raw.get("cooperativeness", base.cooperativeness)),
        privacy=float(raw.get("privacy", base.privacy)),
        patience=int(raw.get("patience", base.patience)),
        themes=tuple(raw.get("themes", base.themes)),
        availability={"weekday": tuple(availability.get("weekday", vocabulary.SLOTS)),
                      "weekend": tuple(availability.get("weekend", vocabulary.SLOTS))},
        home_probability=float(raw.get("home_probability", 1.0)),
        language=raw.get("language", "普通话"), role=raw.get("role", "self"),
        self_report=_self_report(raw.get("self_report")))


def _self_report(raw: Mapping[str, Any] | None) -> SelfReport | None:
    if raw is None:
        return None
    return SelfReport(bool(raw["submits"]), _day(raw["on"]) if raw.get("on") else None,
                      tuple(Mistake(m["item"], m["value"], m.get("person"))
                            for m in raw.get("mistakes", ())))


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _assignment(raw: Mapping[str, Any]) -> Assignment:
    default = Assignment(units=())
    listing = raw.get("listing")
    registration = raw.get("registration")
    return Assignment(
        units=tuple(raw["units"]), area=raw.get("area"),
        listing=(_day(listing[0]), _day(listing[1])) if listing else default.listing,
        self_report_until=_day(raw.get("self_report_until", default.self_report_until
                                       .isoformat())),
        registration=((_day(registration[0]), _day(registration[1])) if registration
                      else default.registration),
        first_day=_day(raw.get("first_day", default.first_day.isoformat())),
        days=raw.get("days", default.days), hours_per_day=raw.get("hours_per_day",
                                                                  default.hours_per_day),
        max_visits=raw.get("max_visits", default.max_visits))


def _map_spec(raw: Mapping[str, Any] | None, units: tuple[str, ...],
              households: tuple[HouseholdSpec, ...], reader: Reader) -> MapSpec | None:
    """The assignment's small-area map: its area is the one every unit is picked from, so
    every unit's pick must name the same `grid` and `area` (the world then draws the area
    the walk shows and the map is graded against)."""
    if raw is None:
        return None
    rule = str(raw.get("rule", "serpentine"))
    if rule not in NUMBERING_RULES:
        reader.error(("assignment", "map", "rule"),
                     N_("unknown numbering rule '%(rule)s'; expected one of: %(allowed)s"),
                     rule=rule, allowed=", ".join(sorted(NUMBERING_RULES)))
    picks = {h.id: h.pick for h in households}
    places = {(int(pick.get("grid", 0)), pick.get("area"))
              for unit in units if (pick := picks.get(unit)) is not None}
    if (not units or any(picks.get(unit) is None for unit in units) or len(places) != 1
            or next(iter(places))[1] is None):
        reader.error(("assignment", "map"),
                     N_("a map needs every unit of the assignment picked from one area of "
                        "the world: the same 'grid' and 'area' in each unit's pick"))
        return None
    grid, area = places.pop()
    return MapSpec(grid, int(str(area)), rule)


def _build(data: Mapping[str, Any], reader: Reader, source: str) -> Scenario:
    variables = {name: Variable(name, raw["type"], raw.get("initial",
                                                           False if raw["type"] == "bool" else 0))
                 for name, raw in data.get("variables", {}).items()}
    known = dict(vocabulary.BUILTIN_VARIABLES)
    for name, variable in variables.items():
        if name in known:
            reader.error(("variables", name), N_("'%(name)s' is a built-in variable"),
                         at_key=True, name=name)
        if isinstance(variable.initial, bool) != (variable.type == "bool"):
            reader.error(("variables", name, "initial"), N_("the initial value does not match "
                                                            "the type %(type)s"),
                         type=variable.type)
        known[name] = variable.type
    world = data["world"]
    _check_world_spec(world.get("spec"), reader)
    _check_picks(world, reader)
    households = tuple(HouseholdSpec(h["id"], None if "pick" in h else h, h.get("pick"))
                       for h in world.get("households", ()))
    household_ids = {h.id for h in households}
    if len(household_ids) != len(households):
        reader.error(("world", "households"), N_("two households have the same id"))
    if not households:
        reader.error(("world",), N_("the world needs 'households' (written out or picked)"))
    _check_dates(data, reader)
    if reader.errors:
        raise ScenarioInvalid(reader.errors)
    assignment = _assignment(data["assignment"])
    for i, unit in enumerate(assignment.units):
        if unit not in household_ids:
            reader.error(("assignment", "units", i), N_("unknown household '%(id)s'"), id=unit)
    assignment = replace(assignment, map=_map_spec(data["assignment"].get("map"),
                                                   assignment.units, households, reader))
    dialogues = {name: _dialogue(name, raw, known, reader)
                 for name, raw in data["dialogues"].items()}
    respondents = {}
    for household, raw in data["respondents"].items():
        if household not in household_ids:
            reader.error(("respondents", household), N_("unknown household '%(id)s'"),
                         at_key=True, id=household)
        if raw["dialogue"] not in dialogues:
            reader.error(("respondents", household, "dialogue"), N_("unknown dialogue "
                                                                    "'%(id)s'"),
                         id=raw["dialogue"])
        respondents[household] = _respondent(household, raw)
    for household, respondent in respondents.items():
        plan = respondent.self_report
        if plan is not None and plan.on is not None and not (
                assignment.listing[0] <= plan.on <= assignment.self_report_until):
            reader.error(("respondents", household, "self_report", "on"),
                         N_("a self-report is submitted from %(first)s to %(last)s"),
                         first=assignment.listing[0].isoformat(),
                         last=assignment.self_report_until.isoformat())
    for i, unit in enumerate(assignment.units):
        if unit in household_ids and unit not in respondents:
            reader.error(("assignment", "units", i), N_("household '%(id)s' has no "
                                                        "respondent"), id=unit)
    facts = {}
    for fact_id, raw in data.get("facts", {}).items():
        if raw["household"] not in household_ids:
            reader.error(("facts", fact_id, "household"), N_("unknown household '%(id)s'"),
                         id=raw["household"])
        facts[fact_id] = Fact(
            fact_id, raw["household"], raw.get("topic"), raw.get("trust", 0),
            reader.text(raw["tells"]), reader.text(raw["denies"]),
            tuple(raw.get("persons", ())),
            tuple((m["person"], m["item"], m["says"]) for m in raw.get("misreport", ())),
            tuple(raw.get("deaths", ())))
    _check_references(dialogues, facts, variables, reader)
    rubric_raw = data["rubric"]
    rubric = Rubric(
        criteria=tuple(Criterion(c["criterion"], float(c.get("weight", 1.0)),
                                 reader.maybe_text(c.get("feedback")), c.get("critical", False),
                                 tuple(c.get("reads", ())))
                       for c in rubric_raw["criteria"]),
        pass_score=float(rubric_raw.get("pass", 60)),
        release=str(rubric_raw.get("release", "at_once")),
        clips=tuple(_rubric_clip(c, i, reader) for i, c in enumerate(rubric_raw.get("clips", ()))))
    for i, criterion in enumerate(rubric.criteria):
        if criterion.name not in CRITERIA:
            reader.error(("rubric", "criteria", i, "criterion"),
                         N_("unknown criterion '%(name)s'; expected one of: %(allowed)s"),
                         name=criterion.name, allowed=", ".join(sorted(CRITERIA)))
    seed_raw = world["seed"]
    return Scenario(
        id=data["id"], version=data["version"], title=reader.text(data["title"]),
        summary=reader.text(data["summary"]), difficulty=data["difficulty"],
        minutes=data["minutes"], objectives=tuple(reader.text(o) for o in data["objectives"]),
        tags=tuple(data.get("tags", ())),
        seed_policy="per_trainee" if seed_raw == "per_trainee" else "fixed",
        seed=0 if seed_raw == "per_trainee" else int(seed_raw),
        world_spec=world.get("spec", {}), households=households, assignment=assignment,
        respondents=respondents, facts=facts, variables=variables, dialogues=dialogues,
        rubric=rubric, source=source)


def _check_world_spec(spec: Any, reader: Reader) -> None:
    """The world generator must accept the spec (region code, rates, bounds)."""
    if not spec:
        return
    try:
        WorldSpec.from_dict(dict(spec)).validate()
    except DomainError as error:
        where = ("world", "spec", *(error.field.split(".") if error.field else ()))
        reader.error(where, N_("the world generator refuses this spec: %(detail)s"),
                     detail=str(error))


def _check_picks(world: Mapping[str, Any], reader: Reader) -> None:
    """A picked household's grid must be one of the world's (the map of a grid past them
    cannot be drawn, and a prefecture's grids are placed in turn up to the one asked for)."""
    try:
        grids = WorldSpec.from_dict(dict(world.get("spec") or {})).grids
    except DomainError:
        return  # the spec's own error is reported
    for index, household in enumerate(world.get("households", ())):
        grid = (household.get("pick") or {}).get("grid", 0)
        if not 0 <= grid < grids:
            reader.error(("world", "households", index, "pick", "grid"),
                         N_("the world has no grid %(grid)s: its grids are numbered from 0 "
                            "to %(last)s"), grid=grid, last=grids - 1)


FIELD_YEARS = (2019, 2021)  # the 2020 census field work, with a margin either side


def _check_dates(data: Mapping[str, Any], reader: Reader) -> None:
    """Dates of the calendar and of persons within sensible years (no year 9999)."""
    assignment = data["assignment"]
    for key in ("first_day", "self_report_until", "listing", "registration"):
        values = assignment.get(key)
        for index, value in enumerate(values if isinstance(values, list) else [values]):
            if value is None:
                continue
            year = date.fromisoformat(value).year
            if not FIELD_YEARS[0] <= year <= FIELD_YEARS[1]:
                path = ("assignment", key, index) if isinstance(values, list) else (
                    "assignment", key)
                reader.error(path, N_("%(value)s is outside the 2020 census field work"),
                             value=value)
    for h_index, household in enumerate(data["world"].get("households", ())):
        for kind in ("persons", "deaths"):
            for p_index, person in enumerate(household.get(kind, ())):
                for key in ("birth", "died"):
                    value = person.get(key)
                    if value and not 1890 <= date.fromisoformat(value).year <= 2020:
                        reader.error(("world", "households", h_index, kind, p_index, key),
                                     N_("%(value)s is not a plausible date"), value=value)


def _check_references(dialogues: Mapping[str, Dialogue], facts: Mapping[str, Fact],
                      variables: Mapping[str, Variable], reader: Reader) -> None:
    """Facts, actions and variables named in conditions and effects must exist."""
    known = {**vocabulary.BUILTIN_VARIABLES, **{n: v.type for n, v in variables.items()}}
    for dialogue in dialogues.values():
        for node in dialogue.nodes.values():
            for choice in node.choices:
                conditions = [choice.when, *(b.when for b in choice.goto)]
                for condition in (c for top in conditions for c in top.flattened()):
                    for fact in (*condition.disclosed, *condition.not_disclosed):
                        if fact not in facts:
                            reader.error(choice.path, N_("condition on unknown fact "
                                                         "'%(fact)s'"), fact=fact)
                    for action in (*condition.taken, *condition.not_taken):
                        if action.split(":")[0] not in vocabulary.ACTIONS:
                            reader.error(choice.path, N_("condition on unknown action "
                                                         "'%(action)s'"), action=action)
                if choice.effects:
                    for name, value in (*choice.effects.set, *choice.effects.add):
                        if name not in known:
                            reader.error((*choice.path, "effects"), N_(
                                "effect on unknown variable '%(name)s'"), name=name)
                        elif (known[name] == "bool") != isinstance(value, bool):
                            reader.error((*choice.path, "effects"), N_(
                                "'%(name)s' is of type %(type)s"), name=name, type=known[name])
                    for fact in choice.effects.disclose:
                        if fact not in facts:
                            reader.error((*choice.path, "effects"), N_(
                                "effect discloses unknown fact '%(fact)s'"), fact=fact)


def reader_for(source: str, file: str, *, at_keys: bool = False,
               marks: Mapping[Path_, tuple[int, int]] | None = None) -> Reader:
    """A collector of errors positioned in `source` (a text that already loaded), with the
    positions `read` found in it (`marks`) or, without them, from reading it again."""
    if marks is None:
        found: dict[Path_, tuple[int, int]] = {}
        composed = yaml.compose(source, Loader=YamlLoader) if source else None
        if composed is not None:
            positions(composed, (), found)
        marks = found
    return Reader(file, marks, at_keys=at_keys)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A scenario text read once: the scenario, its composed YAML document (as written) and
    the line and column of every value and key (`(*path, "__key__")`). The static checks and
    the editor's panels take these instead of reading the text again."""

    scenario: Scenario
    document: yaml.Node
    marks: Mapping[Path_, tuple[int, int]]


class OverBudget(Exception):
    """`read` was given a budget of values and the text holds more: the caller does the work
    another time (the text may be perfectly valid)."""


def parse(text: str, file: str = "<scenario>") -> Scenario:
    """The scenario in `text`; raises `ScenarioInvalid` with every error found."""
    return read(text, file).scenario


def read(text: str, file: str = "<scenario>", *, budget: int | None = None) -> Parsed:
    """The scenario in `text` with its document and positions; raises `ScenarioInvalid` with
    every error found. The text is parsed once: composed, counted (aliases expanded), then
    constructed from the composed nodes. With a `budget`, a text of more values than that
    (but not more than MAX_NODES, an error) raises `OverBudget` right after the count, before
    the costly part (construction, schema, model)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ScenarioInvalid([ScenarioError(file, 1, 1, "", N_(
            "the file is larger than %(limit)s KB"), {"limit": MAX_BYTES // 1024})])
    yaml_loader = None
    try:
        yaml_loader = _BuildingLoader(text)  # its reader refuses control characters at once
        composed = yaml_loader.get_single_node()
        values = expanded_size(composed) if composed is not None else 0
        if values > MAX_NODES:
            raise ScenarioInvalid([ScenarioError(file, 1, 1, "", N_(
                "the aliases (*name) of this file expand to more than %(limit)s values"),
                {"limit": MAX_NODES})])
        if budget is not None and values > budget:
            raise OverBudget(values)
        data = _plain(yaml_loader.construct_document(composed) if composed is not None
                      else None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioInvalid([ScenarioError(file, line, column, "", N_(
            "not valid YAML: %(problem)s"), {"problem": problem})]) from exc
    except (ValueError, OverflowError) as exc:  # e.g. a date such as 2020-02-30
        raise ScenarioInvalid([ScenarioError(file, 1, 1, "", N_(
            "not valid YAML: %(problem)s"), {"problem": str(exc)})]) from exc
    finally:
        if yaml_loader is not None:
            yaml_loader.dispose()
    marks: dict[Path_, tuple[int, int]] = {}
    duplicates: list[tuple[Path_, tuple[int, int]]] = []
    if composed is not None:
        positions(composed, (), marks, duplicates)
    reader = Reader(file, marks)
    for path, _mark in duplicates:
        reader.error(path, N_("'%(key)s' is given twice"), at_key=True, key=path[-1])
    if reader.errors:
        raise ScenarioInvalid(reader.errors)
    if not isinstance(data, dict) or composed is None:
        reader.error((), N_("a scenario file is a mapping of keys such as id, title, world"))
        raise ScenarioInvalid(reader.errors)
    reader.check_schema(data)
    if reader.errors:
        raise ScenarioInvalid(reader.errors)
    scenario = _build(data, reader, text)
    if reader.errors:
        raise ScenarioInvalid(reader.errors)
    return Parsed(scenario, composed, marks)


def load(path: Path) -> Scenario:
    """The scenario in the file at `path`."""
    return parse(path.read_text(encoding="utf-8"), file=str(path))
