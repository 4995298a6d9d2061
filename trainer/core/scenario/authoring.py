"""What the browser scenario editor needs from a scenario file, as pure functions (issue 10).

- `variable_index`: for every state variable, where it is set and where it is read;
- `texts`: every bilingual text with its position, untranslated ones flagged;
- round-trip edits (`set_value`, `node_fields` / `edit_node` with `fields_from_form`,
  `add_node`, `rename_scenario`, `set_version`) that keep comments, key order and formatting
  everywhere they do not touch;
- `template`: a small complete scenario to start from;
- `diff`: a line diff of two versions, ready for an HTML table.

Edits go through ruamel.yaml's round-trip mode, with the scalars that our PyYAML loader would
read as something other than text (`1:20`, `0b1`, `=`) written quoted. ruamel normalises a few
things (indentation, spacing) in files not written the way the library is, so the edited file is
spliced: only the lines ruamel's output changed because of the edit are taken from it, every
other line stays byte for byte as the author wrote it.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import StringIO
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelYAMLError
from ruamel.yaml.representer import RoundTripRepresenter

from trainer.core.errors import Conflict, InvalidInput, NotFound
from trainer.core.i18n import N_
from trainer.core.scenario import vocabulary
from trainer.core.scenario.loader import (
    MAX_BYTES,
    MAX_NODES,
    Path_,
    ScenarioError,
    ScenarioInvalid,
    YamlLoader,
    expanded_size,
    format_path,
    reader_for,
)
from trainer.core.scenario.model import Condition, Scenario, Text

SCENARIO_ID = re.compile(r"^[a-z][a-z0-9-]*$")  # as in schema.json
NODE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
FILE = "<scenario>"

# --- the variable index ---------------------------------------------------------------------

STATE_VARIABLES = {"trust": "int", "irritation": "int", "visit": "int"}
# Built-in variables the engine sets as a side effect of an action (see engine._side_effects).
ENGINE_SETS: dict[str, tuple[str, ...]] = {
    "leave_notice": ("notice_left",),
    "ask_grid_worker": ("with_grid_worker",),  # true on the next visit where someone opens
    "book_appointment": ("appointment_kept", "appointment_missed"),  # at the next visit
}


@dataclass(frozen=True, slots=True)
class Place:
    """Where a variable is set or read: the choice it belongs to and its line in the file.

    `how` is `set`, `add`, `effect` (a trust or irritation change), `action` (the engine sets
    a built-in variable when this action is taken), `when` (the choice is offered only when the
    condition holds) or `goto` (branch `branch` of the choice's goto list). `value` is what is
    written: `true`, `+1`, `>= 30` (empty for `action`).
    """

    dialogue: str
    node: str
    action: int  # 0-based index in the node's actions
    do: str  # the choice key, e.g. answer_concern:distrust
    how: str
    value: str
    path: Path_
    line: int  # 1-based, of the key in the YAML source
    column: int
    branch: int | None = None  # 0-based index in a goto list

    @property
    def where(self) -> str:
        """`main/door #2 answer_concern:distrust` (a goto branch adds ` → 1`), 1-based."""
        text = f"{self.dialogue}/{self.node} #{self.action + 1} {self.do}"
        return text if self.branch is None else f"{text} → {self.branch + 1}"


@dataclass(frozen=True, slots=True)
class VariableUse:
    """One state variable: where it is set and where it is read.

    `kind` is `declared` (under `variables:`), `builtin` (vocabulary.BUILTIN_VARIABLES, set by
    the engine) or `state` (trust, irritation, visit: kept by the engine, changed by effects).
    """

    name: str
    type: str  # bool | int
    kind: str
    initial: int | bool | None  # declared variables only
    line: int  # the declaration (0 for built-in ones)
    column: int
    sets: tuple[Place, ...]
    reads: tuple[Place, ...]

    @property
    def declared(self) -> bool:
        """Declared under `variables:` by the scenario."""
        return self.kind == "declared"

    @property
    def builtin(self) -> bool:
        """Kept by the engine (trust, irritation, visit, the built-in variables)."""
        return self.kind != "declared"

    @property
    def never_read(self) -> bool:
        """A declared variable no condition reads: its effects change nothing."""
        return self.kind == "declared" and not self.reads

    @property
    def never_set(self) -> bool:
        """A declared variable no effect sets: conditions on it only see its initial value."""
        return self.kind == "declared" and not self.sets


def variable_index(scenario: Scenario, file: str = FILE, *,
                   marks: Mapping[Path_, tuple[int, int]] | None = None
                   ) -> dict[str, VariableUse]:
    """Every state variable with the places that set and read it, in file order.

    Declared variables are always listed (first, in declaration order); trust, irritation,
    visit and the built-in variables only when the scenario sets or reads them. Sets are the
    scenario's own effects (and, for built-in variables, the actions the engine sets them
    on); the vocabulary's default reactions to every action, which move trust and irritation
    everywhere, are not listed. `marks`: the positions `loader.read` found (else the text is
    read again).
    """
    marks = reader_for(scenario.source, file, marks=marks).marks
    sets: dict[str, list[Place]] = defaultdict(list)
    reads: dict[str, list[Place]] = defaultdict(list)
    for dialogue in scenario.dialogues.values():
        for node in dialogue.nodes.values():
            for number, choice in enumerate(node.choices):
                def place(how: str, value: str, path: Path_, branch: int | None = None,
                          *, dialogue: str = dialogue.id, node: str = node.id,
                          index: int = number, key: str = choice.key) -> Place:
                    line, column = _locate(marks, path)
                    return Place(dialogue, node, index, key, how, value, path, line, column,
                                 branch)

                effects = choice.effects
                if effects is not None:
                    base = (*choice.path, "effects")
                    for name in ("trust", "irritation"):
                        change: int = getattr(effects, name)
                        if change:
                            sets[name].append(place("effect", f"{change:+d}", (*base, name)))
                    for name, given in effects.set:
                        sets[name].append(place("set", _shown(given), (*base, "set", name)))
                    for name, added in effects.add:
                        sets[name].append(place("add", f"{added:+d}", (*base, "add", name)))
                for name in ENGINE_SETS.get(choice.do, ()):
                    sets[name].append(place("action", "", (*choice.path, "do")))
                for name, compared, path in _reads(choice.when, (*choice.path, "when")):
                    reads[name].append(place("when", compared, path))
                for turn, branch in enumerate(choice.goto):
                    where = (*branch.path[:-1], "when")
                    for name, compared, path in _reads(branch.when, where):
                        reads[name].append(place("goto", compared, path, turn))
    index: dict[str, VariableUse] = {}
    for name, variable in scenario.variables.items():
        line, column = _locate(marks, ("variables", name))
        index[name] = VariableUse(name, variable.type, "declared", variable.initial, line,
                                  column, tuple(sets[name]), tuple(reads[name]))
    others = {**{n: (t, "state") for n, t in STATE_VARIABLES.items()},
              **{n: (t, "builtin") for n, t in vocabulary.BUILTIN_VARIABLES.items()}}
    for name, (kind, origin) in others.items():
        if sets[name] or reads[name]:
            index[name] = VariableUse(name, kind, origin, None, 0, 0, tuple(sets[name]),
                                      tuple(reads[name]))
    return index


def _reads(condition: Condition, path: Path_) -> Iterator[tuple[str, str, Path_]]:
    """(variable, what is compared, path of its key) for every variable a condition reads."""
    for check in condition.comparisons:
        where = ((*path, check.variable) if check.variable in STATE_VARIABLES
                 else (*path, "vars", check.variable))
        yield check.variable, f"{check.op} {check.value}", where
    for name, wanted in condition.flags:
        yield name, _shown(wanted), (*path, "vars", name)
    for number, inner in enumerate(condition.any):
        yield from _reads(inner, (*path, "any", number))


def _shown(value: int | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _locate(marks: Mapping[Path_, tuple[int, int]], path: Path_) -> tuple[int, int]:
    """Line and column of the key at `path` (or of the nearest enclosing one that exists)."""
    probe: Path_ = (*path, "__key__")
    while probe and probe not in marks:
        probe = probe[:-1]
    return marks.get(probe, (1, 1))


# --- texts -----------------------------------------------------------------------------------

# CJK ideographs, radicals, kana, CJK and full-width punctuation, and the supplementary planes.
CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")
UNTRANSLATED = {
    "missing_zh": N_("The Chinese text is missing."),
    "missing_en": N_("The English text is missing."),
    "chinese_in_en": N_("The English text contains Chinese characters."),
    "identical": N_("The Chinese and English texts are the same."),
}


@dataclass(frozen=True, slots=True)
class TextEntry:
    """A bilingual text of a scenario (title, says, reply, tells, feedback, ...).

    `reasons` lists why it looks untranslated (keys of `UNTRANSLATED`, whose values are the
    messages to show).
    """

    path: Path_
    line: int
    column: int
    zh: str
    en: str
    reasons: tuple[str, ...] = ()

    @property
    def untranslated(self) -> bool:
        """One side missing or blank, Chinese in the English side, or both sides the same."""
        return bool(self.reasons)

    @property
    def where(self) -> str:
        """The path as the checks print it: `dialogues.main.nodes.door.says`."""
        return format_path(self.path)

    @property
    def field(self) -> str:
        """The key the text is written under (`says`, `reply`, `tells`, `title`, ...)."""
        return next((str(p) for p in reversed(self.path) if isinstance(p, str)), "")


def texts(source: str, file: str = FILE, *,
          document: yaml.Node | None = None) -> list[TextEntry]:
    """Every mapping with a `zh_CN` or `en` key in `source`, in file order.

    Works on any well-formed YAML (a draft need not be a valid scenario yet); raises
    `ScenarioInvalid` when the text is not YAML at all. `document`: the text as `loader.read`
    composed it (it passed the same limits), so that the text is not read again.
    """
    root = document if document is not None else _compose(source, file)
    out: list[TextEntry] = []
    if root is not None:
        _collect_texts(root, (), out, set())
    return out


def _collect_texts(node: yaml.Node, path: Path_, out: list[TextEntry], seen: set[int]) -> None:
    if id(node) in seen:  # an alias: its texts are listed where the anchor is
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys = {key.value: value for key, value in node.value
                if isinstance(key, yaml.ScalarNode)}
        if "zh_CN" in keys or "en" in keys:
            zh, en = _scalar_text(keys.get("zh_CN")), _scalar_text(keys.get("en"))
            out.append(TextEntry(path, node.start_mark.line + 1, node.start_mark.column + 1,
                                 zh, en, _untranslated(zh, en)))
            return
        for key, value in node.value:
            _collect_texts(value, (*path, str(key.value)), out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            _collect_texts(item, (*path, number), out, seen)


def _scalar_text(node: yaml.Node | None) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
        return ""
    return str(node.value)


def _untranslated(zh: str, en: str) -> tuple[str, ...]:
    reasons = []
    if not zh.strip():
        reasons.append("missing_zh")
    if not en.strip():
        reasons.append("missing_en")
    if CJK.search(en):
        reasons.append("chinese_in_en")
    if zh.strip() and zh.strip() == en.strip():
        reasons.append("identical")
    return tuple(reasons)


def _compose(source: str, file: str) -> yaml.Node | None:
    """The composed document, with the loader's size, depth, alias and YAML errors.

    Every function here that reads a draft starts with this, so a draft the loader would
    refuse as an alias bomb (`expanded_size` over MAX_NODES: a few hundred bytes of `*x`
    standing for millions of values) is refused here too, with the loader's message, before
    anything expands it (the node form's `_plain`, the splice's comparison). The composed
    nodes share what aliases point to, so composing and counting cost the text's size.
    """
    _check_size(source, file)
    try:
        composed = yaml.compose(source, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        raise _not_yaml(exc, file, "") from exc
    if composed is not None and expanded_size(composed) > MAX_NODES:
        raise ScenarioInvalid([ScenarioError(file, 1, 1, "", N_(
            "the aliases (*name) of this file expand to more than %(limit)s values"),
            {"limit": MAX_NODES})])
    return composed


def _check_size(source: str, file: str) -> None:
    if len(source.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ScenarioInvalid([ScenarioError(file, 1, 1, "", N_(
            "the file is larger than %(limit)s KB"), {"limit": MAX_BYTES // 1024})])


def _not_yaml(exc: Exception, file: str, path: str) -> ScenarioInvalid:
    """The loader's 'not valid YAML' error, positioned where the parser stopped."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
    return ScenarioInvalid([ScenarioError(file, line, column, path,
                                          N_("not valid YAML: %(problem)s"),
                                          {"problem": problem})])


# --- round-trip editing ----------------------------------------------------------------------


# Characters that only a double-quoted escape keeps exactly (line breaks, controls, BOM).
SPECIAL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


class _NewText(str):
    """Text an edit writes (text read from the file keeps the way it was written)."""

    __slots__ = ()


class _Representer(RoundTripRepresenter):
    """ruamel's round-trip representer, quoting new text our PyYAML loader would read otherwise.

    ruamel writes YAML 1.2, where `1:20`, `0b11` or `=` are plain text and `:0` may start a
    plain scalar in a flow mapping; the scenario loader (PyYAML, YAML 1.1 resolvers minus
    yes/no booleans) would read them as numbers or fail.
    """

    _resolver = YamlLoader("")
    _emitter = yaml.emitter.Emitter(StringIO(), allow_unicode=True)

    def represent_new_text(self, data: Any) -> Any:
        """Plain where PyYAML would write it plain and read it back as the same text; else in
        double quotes, as the library writes "Who is it?" (line breaks and other special
        characters escaped, so the text stays on one line)."""
        tag = self._resolver.resolve(  # type: ignore[no-untyped-call]
            yaml.ScalarNode, data, (True, False))
        analysis = self._emitter.analyze_scalar(data)
        plain = (tag == "tag:yaml.org,2002:str" and analysis.allow_flow_plain
                 and analysis.allow_block_plain and not SPECIAL.search(data))
        return self.represent_scalar("tag:yaml.org,2002:str", str(data),
                                     style=None if plain else '"')


_Representer.add_representer(_NewText, _Representer.represent_new_text)

# (mapping, sequence, offset) indentations tried when the default does not reproduce a file.
INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (3, 5, 3))


def _yaml(indent: tuple[int, int, int] = INDENTS[0]) -> YAML:
    rt = YAML()  # round trip, YAML 1.2
    rt.Representer = _Representer
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long line of text
    rt.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return rt


def _dump(rt: YAML, data: Any) -> str:
    out = StringIO()
    rt.dump(data, out)
    return out.getvalue()


# The node form (reading a node, writing it back, adding a node) round-trips the whole draft:
# the loader's compose, ruamel's load, its dump before and after the edit, the splice and the
# check that the splice reads as ruamel's dump; about eight passes of pure-Python YAML, some
# 20 microseconds a byte. Near the loader's MAX_BYTES (512 KB) one node save held a gunicorn
# worker for a minute (its timeout). The library's scenarios are at most 19 KB and 1,100
# values, so the form is offered for drafts up to three or four times that, and a larger
# draft is edited as text (autosave keeps any text up to MAX_BYTES, and each of its requests
# parses the text once or twice, not eight times). The bytes are checked before anything is
# parsed; the values (as the loader counts them, aliases expanded) right after the compose
# every reader does first. A refusal changes nothing: the draft stays as it was saved.
MAX_EDIT_BYTES = 64 * 1024
MAX_EDIT_VALUES = 5_000


def _check_editable(source: str, composed: yaml.Node | None) -> None:
    """InvalidInput (naming the limits) for a draft too large for the node form."""
    if len(source.encode("utf-8", "surrogatepass")) > MAX_EDIT_BYTES or (
            composed is not None and expanded_size(composed) > MAX_EDIT_VALUES):
        raise InvalidInput(N_("This draft is too large for the node form, which edits drafts "
                              "of up to %(kb)s KB and %(values)s values: edit it in the text. "
                              "Nothing was changed."), field="node",
                           kb=MAX_EDIT_BYTES // 1024, values=MAX_EDIT_VALUES)


class _Document:
    """A scenario text loaded for round-trip editing; `text()` writes it back.

    `node_form`: the node form's reading and writing, refused for a draft over
    MAX_EDIT_BYTES or MAX_EDIT_VALUES (see there).
    """

    def __init__(self, source: str, file: str = FILE, *, read_only: bool = False,
                 node_form: bool = False) -> None:
        if node_form:
            _check_editable(source, None)  # the bytes, before anything is parsed
        composed = _compose(source, file)  # the loader's limits: runaway nesting fails fast
        if node_form:
            _check_editable(source, composed)
        self.source = source
        self.rt = _yaml()
        try:
            data = self.rt.load(source)
        except (RuamelYAMLError, ValueError, OverflowError, RecursionError) as exc:
            raise _not_yaml(exc, file, "") from exc
        if data is None:
            data = CommentedMap()
        if not isinstance(data, CommentedMap):
            raise ScenarioInvalid([ScenarioError(file, 1, 1, "", N_(
                "a scenario file is a mapping of keys such as id, title, world"), {})])
        self.data: CommentedMap = data
        # ruamel's dump of the unedited document, taken before the first edit (see text())
        self.base = "" if read_only else _dump(self.rt, data)
        if not read_only and self.base != source:  # written another way: which indentation?
            dumps = [self.base, *(_dump(_yaml(indent), data) for indent in INDENTS[1:])]
            likeness = _likeness(source, dumps)
            best = max(range(len(INDENTS)), key=likeness.__getitem__)  # the first of equals
            self.rt = _yaml(INDENTS[best])
            self.base = dumps[best]

    def text(self) -> str:
        """The edited document, unchanged lines as they were in the source."""
        return _splice(self.source, self.base, _dump(self.rt, self.data))

    def node(self, dialogue_id: str, node_id: str) -> CommentedMap:
        """The mapping of a node (an empty node becomes an empty mapping)."""
        nodes = self.nodes(dialogue_id)
        if node_id not in nodes:
            raise NotFound(N_("There is no node '%(node)s' in dialogue '%(dialogue)s'."),
                           field="node", node=node_id, dialogue=dialogue_id)
        node = nodes[node_id]
        if not isinstance(node, CommentedMap):
            node = nodes[node_id] = CommentedMap()
        return node

    def nodes(self, dialogue_id: str) -> CommentedMap:
        """The `nodes` mapping of a dialogue."""
        dialogues = self.data.get("dialogues")
        dialogue = dialogues.get(dialogue_id) if isinstance(dialogues, Mapping) else None
        nodes = dialogue.get("nodes") if isinstance(dialogue, Mapping) else None
        if not isinstance(nodes, CommentedMap):
            raise NotFound(N_("There is no dialogue '%(dialogue)s' in this scenario."),
                           field="dialogue", dialogue=dialogue_id)
        return nodes


MATCH_BUDGET = 500_000  # steps of difflib's inner loop, per comparison of two texts


class _OverBudget(Exception):
    """A `_Matcher` used up its budget."""


class _Matcher(difflib.SequenceMatcher[str]):
    """difflib's line matcher (no autojunk, as always here) with a bound on its work.

    difflib's longest-match search costs, for each line of `a` in the range searched, one
    step per place that line has in `b`: on a draft of many equal lines (`- a` four thousand
    times) that is quadratic, and repeated for each range it splits off (a 24 KB draft took
    36 s to save through the node form). Before each search the steps it may take are
    charged (the length of `b2j` for each line: an upper bound of its inner loop) and the
    search is refused with `_OverBudget` once `budget` is spent, so no comparison does more
    than about `budget` steps. Within the budget, which every scenario people write stays
    in, the result is difflib's own, unchanged.
    """

    def __init__(self, a: Sequence[str], b: Sequence[str], budget: int = MATCH_BUDGET) -> None:
        self.budget = budget
        super().__init__(None, a, b, autojunk=False)

    def find_longest_match(self, alo: int = 0, ahi: int | None = None, blo: int = 0,
                           bhi: int | None = None) -> difflib.Match:
        """difflib's, once the steps it may take are charged to the budget."""
        inner: Any = self  # difflib's working attributes, which the stubs do not declare
        a, b2j = inner.a, inner.b2j
        for i in range(alo, len(a) if ahi is None else ahi):
            self.budget -= 1 + len(b2j.get(a[i], ()))
            if self.budget < 0:
                raise _OverBudget
        return super().find_longest_match(alo, ahi, blo, bhi)


def _matcher(a: Sequence[str], b: Sequence[str]) -> difflib.SequenceMatcher[str]:
    """A matcher of two line lists whose blocks cost at most about 3 x MATCH_BUDGET steps.

    difflib's own when it keeps within the budget. Else the common first and last lines
    are taken as matching and difflib (again within the budget) matches what is between;
    if that is too much as well, what is between is one replaced run. Either is a correct
    match, if not always the smallest: a diff shows more changed lines, a splice puts back
    more of ruamel's lines (see `_splice`).
    """
    full = _Matcher(a, b)
    try:
        full.get_matching_blocks()
        return full
    except _OverBudget:
        pass
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    try:
        inner = [(i + head, j + head, size) for i, j, size in
                 _Matcher(a[head:len(a) - tail], b[head:len(b) - tail]).get_matching_blocks()
                 if size]
    except _OverBudget:
        inner = []
    blocks: list[tuple[int, int, int]] = []
    for i, j, size in [(0, 0, head), *inner, (len(a) - tail, len(b) - tail, tail)]:
        if blocks and blocks[-1][0] + blocks[-1][2] == i and blocks[-1][1] + blocks[-1][2] == j:
            blocks[-1] = (blocks[-1][0], blocks[-1][1], blocks[-1][2] + size)
        elif size:
            blocks.append((i, j, size))
    cached: Any = full  # difflib's caches, which the stubs do not declare
    cached.matching_blocks = [difflib.Match(*block) for block in (*blocks, (len(a), len(b), 0))]
    cached.opcodes = None
    return full


def _likeness(source: str, dumps: Sequence[str]) -> list[float]:
    """How alike `source` is to each of `dumps` (difflib's ratio of their lines).

    If that takes more than the matcher's budget for one of them, every dump is measured by
    difflib's quick_ratio instead (the lines the two have in common, wherever they are:
    linear, and enough to tell indentations apart), so that all are measured alike.
    """
    lines = source.splitlines()
    try:
        return [_Matcher(lines, dump.splitlines()).ratio() for dump in dumps]
    except _OverBudget:
        return [difflib.SequenceMatcher(None, lines, dump.splitlines(),
                                        autojunk=False).quick_ratio() for dump in dumps]


def _splice(source: str, base: str, new: str) -> str:
    """`source` with the changes ruamel made from `base` (its dump of the unedited source) to
    `new` (its dump after the edit); lines the edit did not touch keep the author's bytes.

    Each changed run of lines is widened until each end touches a line `base` and `source`
    share, and that run of `source` is replaced by the matching run of `new`.
    If the result would not read as `new` does, `new` itself is returned.
    The line matching is `_matcher`'s (bounded work): on a pathological text it may match
    fewer lines, and a larger run of ruamel's lines replaces the author's.
    """
    if base == source:
        return new
    s, b, n = (text.splitlines(keepends=True) for text in (source, base, new))
    mapping: dict[int, int] = {}
    for block in _matcher(b, s).get_matching_blocks():
        for k in range(block.size):
            mapping[block.a + k] = block.b + k

    def anchored(i: int) -> bool:  # a line on either side sits where it was in the source
        return i in (0, len(b)) or i in mapping or i - 1 in mapping

    def in_source(i: int) -> int:
        if i in (0, len(b)):
            return 0 if i == 0 else len(s)
        return mapping[i] if i in mapping else mapping[i - 1] + 1

    ops = _matcher(b, n).get_opcodes()
    regions: list[list[int]] = []
    for tag, i1, i2, _j1, _j2 in ops:
        if tag == "equal":
            continue
        low, high = i1, i2
        while not anchored(low) or any(o[1] < low < o[2] for o in ops if o[0] != "equal"):
            low -= 1
        while not anchored(high) or any(o[1] < high < o[2] for o in ops if o[0] != "equal"):
            high += 1
        if regions and low <= regions[-1][1]:
            regions[-1] = [min(regions[-1][0], low), max(regions[-1][1], high)]
        else:
            regions.append([low, high])

    def in_new(i: int, last: bool) -> int:
        found = []
        for tag, i1, i2, j1, j2 in ops:
            if tag == "equal" and i1 <= i <= i2:
                found.append(j1 + i - i1)
            elif tag != "equal":
                found += [j for at, j in ((i1, j1), (i2, j2)) if at == i]
        return max(found) if last else min(found)

    out: list[str] = []
    at = 0
    for low, high in regions:
        out += s[at:in_source(low)]
        out += n[in_new(low, False):in_new(high, True)]
        at = in_source(high)
    out += s[at:]
    merged = "".join(out)
    try:
        same = (yaml.load(merged, Loader=YamlLoader)  # noqa: S506 - a SafeLoader
                == yaml.load(new, Loader=YamlLoader))  # noqa: S506
    except yaml.YAMLError:
        same = False
    return merged if same else new


def _plain(value: Any) -> Any:
    """ruamel's round-trip objects as plain dicts, lists, str, int, float, bool (dates as
    ISO text, as the loader hands them to the schema)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _fresh(value: Any, *, flow: bool | None = None) -> Any:
    """Plain data as ruamel objects; mappings and lists of scalars in flow style
    (`{zh_CN: ..., en: ...}`), deeper ones in block style, unless `flow` says. ruamel objects
    are taken as they are."""
    if isinstance(value, CommentedMap | CommentedSeq):
        return value
    if isinstance(value, Mapping):
        out: Any = CommentedMap((str(k), _fresh(v, flow=flow)) for k, v in value.items())
    elif isinstance(value, list | tuple):
        out = CommentedSeq(_fresh(v, flow=flow) for v in value)
    elif type(value) is str:
        return _NewText(value)
    else:
        return value
    leaves = all(not isinstance(v, Mapping | list | tuple)
                 for v in (value.values() if isinstance(value, Mapping) else value))
    if flow or (flow is None and leaves):
        out.fa.set_flow_style()
    else:
        out.fa.set_block_style()
    return out


def _assign(container: Any, key: str | int, value: Any) -> None:
    """Set `container[key]` to plain `value`, in place where the old value allows it (so its
    comments, style and quoting stay); an equal value is left as written."""
    old = container[key] if _has(container, key) else None
    if _has(container, key) and _plain(old) == _plain(value):
        return
    if isinstance(old, CommentedMap) and isinstance(value, Mapping):
        for name in [k for k in old if k not in value]:
            _put(old, name, None, ())
        for name, item in value.items():
            _put(old, name, item, ())
        return
    if isinstance(old, CommentedSeq) and isinstance(value, list | tuple):
        for number, item in enumerate(value):
            if number < len(old):
                _assign(old, number, item)
            else:
                old.append(_fresh(item))
        while len(old) > len(value):
            _drop_last(old)
        return
    if isinstance(value, str) and type(old) is not str and isinstance(old, str) \
            and not SPECIAL.search(value):
        value = type(old)(value)  # keep the quoting style: "..." or '...'
    container[key] = _fresh(value)


def _has(container: Any, key: str | int) -> bool:
    if isinstance(container, Mapping):
        return key in container
    return isinstance(key, int) and 0 <= key < len(container)


def _drop_last(seq: CommentedSeq) -> None:
    """Remove the last item, handing its trailing comment (blank lines) to the one before."""
    last = len(seq) - 1
    comment = _pop_tail_comment(seq)
    del seq[last]
    seq.ca.items.pop(last, None)
    if comment is not None and seq:
        _set_tail_comment(seq, comment)


def _tail(container: Any) -> tuple[Any, str | int] | None:
    """The deepest last slot of a block container, where ruamel keeps the comment (often just
    blank lines) that follows it."""
    while isinstance(container, CommentedMap | CommentedSeq) and container:
        key: str | int = list(container)[-1] if isinstance(container, CommentedMap) \
            else len(container) - 1
        inner = container[key]
        if isinstance(inner, CommentedMap | CommentedSeq) and inner \
                and not inner.fa.flow_style():
            container = inner
            continue
        return container, key
    return None


def _pop_tail_comment(container: Any) -> Any:
    slot = _tail(container)
    if slot is None:
        return None
    holder, key = slot
    entry = holder.ca.items.get(key)
    position = 2 if isinstance(holder, CommentedMap) else 0
    if not entry or len(entry) <= position or entry[position] is None:
        return None
    comment = entry[position]
    entry[position] = None
    return comment


def _set_tail_comment(container: Any, comment: Any) -> None:
    slot = _tail(container)
    if slot is None:
        return
    holder, key = slot
    position = 2 if isinstance(holder, CommentedMap) else 0
    entry = holder.ca.items.setdefault(key, [None, None, None, None])
    entry[position] = comment


def _append(mapping: CommentedMap, key: str, value: Any) -> None:
    """Add `key` at the end of a block mapping, after its last entry rather than after the
    blank lines and comments that follow it."""
    comment = _pop_tail_comment(mapping) if mapping and not mapping.fa.flow_style() else None
    mapping[key] = value
    if comment is not None:
        _set_tail_comment(mapping, comment)


def set_value(source: str, path: Sequence[str | int], value: Any) -> str:
    """`source` with the value at `path` (keys and list indices) replaced by `value` (plain
    data: str, int, bool, None, dicts and lists of them).

    Missing mapping keys on the way are created (a mapping, or a list when the next part is
    0); index len(list) appends. Everything else in the file stays as written; a mapping or
    list given for an existing one is updated in place, so its comments stay.
    """
    document = _Document(source)
    if not path:
        raise InvalidInput(N_("There is no place %(path)s in this scenario to set."),
                           field="path", path="(document)")
    container: Any = document.data
    for number, part in enumerate(path):
        last = number == len(path) - 1
        where = format_path(tuple(path))
        if isinstance(container, CommentedMap) and isinstance(part, str):
            if last:
                if part in container:
                    _assign(container, part, value)
                else:
                    _append(container, part, _fresh(value))
                break
            if part not in container:
                nxt = path[number + 1]
                _append(container, part, CommentedSeq() if nxt == 0 else CommentedMap())
        elif isinstance(container, CommentedSeq) and isinstance(part, int) \
                and 0 <= part <= len(container):
            if part == len(container):
                container.append(_fresh(value) if last else CommentedMap())
                if last:
                    break
            elif last:
                _assign(container, part, value)
                break
        else:
            raise InvalidInput(N_("There is no place %(path)s in this scenario to set."),
                               field="path", path=where)
        container = container[part]
    return document.text()


# A top-level `version: 3` line (a comment may follow, after a blank). In a block mapping a
# line that starts in column 0 is a top-level key: a block scalar's or a nested key's lines
# are indented. Only a quoted scalar running over several lines could hold such a line at
# column 0: then the text has two of them, or the real key is written another way or missing.
# `set_version` edits the text only when there is exactly one such line and the text's
# version, as the loader reads it, is then the new number (else the document is edited).
_TOP_VERSION = re.compile(r"^version:[ \t]+(\d+)(?:[ \t]+#.*|[ \t]*)$", re.MULTILINE)


def set_version(source: str, version: int) -> str:
    """`source` with `version: <version>` (publishing writes the next number).

    Where the text has its one top-level `version: N` line, the number alone is replaced in
    the text: a round trip through ruamel costs seconds on a large draft (8 s of CPU at 512 KB,
    `benchmarks/authoring.py`), and leaves the rest as it was anyway. Otherwise (no version
    yet, or written another way) the document is edited as any other edit is."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInput(N_("A version is a whole number from 1."), field="version")
    found = _TOP_VERSION.findall(source)
    if len(found) == 1:
        match = _TOP_VERSION.search(source)
        assert match is not None
        _check_size(source, FILE)  # as the round trip would refuse a text over the limit
        edited = f"{source[:match.start(1)]}{version}{source[match.end(1):]}"
        if _version_of(edited) == version:
            return edited
    return _edit_version(source, version)


def _version_of(source: str) -> Any:
    """The top-level `version` as YAML reads it (None if the text does not load as a
    mapping): the check of `set_version`'s quick path, a fraction of a round trip's cost."""
    try:
        data = yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    return data.get("version") if isinstance(data, dict) else None


def _edit_version(source: str, version: int) -> str:
    """`set_version` by editing the document (the text's version written another way)."""
    document = _Document(source)
    _put_top(document.data, "version", version, after="id")
    return document.text()


def rename_scenario(source: str, new_id: str, *, version: int = 1,
                    title: Text | None = None) -> str:
    """A copy of `source` under another id (for "duplicate a scenario"), at `version`, with a
    new title if one is given; everything else, comments included, as it was."""
    _check_id(new_id)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInput(N_("A version is a whole number from 1."), field="version")
    document = _Document(source)
    _put_top(document.data, "id", new_id)
    _put_top(document.data, "version", version, after="id")
    if title is not None:
        _put_top(document.data, "title", {"zh_CN": title.zh, "en": title.en}, after="version")
    return document.text()


def _check_id(scenario_id: str) -> None:
    if not isinstance(scenario_id, str) or not SCENARIO_ID.match(scenario_id):
        raise InvalidInput(N_("'%(id)s' is not a valid scenario id: lower-case letters and "
                              "digits in words joined by '-', starting with a letter."),
                           field="id", id=scenario_id)


def _put_top(data: CommentedMap, key: str, value: Any, *, after: str | None = None) -> None:
    """Set a top-level key; a new one goes right after `after` (or first)."""
    if key in data:
        _assign(data, key, value)
        return
    keys = list(data)
    position = keys.index(after) + 1 if after in keys else 0
    data.insert(position, key, _fresh(value))


# --- one node as a form ---------------------------------------------------------------------

NODE_ORDER = ("says", "speaker", "trap", "common", "end", "actions")
ACTION_ORDER = ("do", "theme", "topic", "item", "when", "effects", "reply", "goto", "end",
                "conduct")
PARAMS = ("theme", "topic", "item")


def node_fields(source: str, dialogue_id: str, node_id: str) -> dict[str, Any]:
    """The editable fields of one node, for a form.

    ```
    {"says": {"zh_CN": str, "en": str},           # "" where absent
     "end": str | None, "trap": str | None, "speaker": str | None, "common": bool,
     "actions": [{"do": str,
                  "param": str | None,            # the value of theme, topic or item
                  "when": str, "effects": str,    # one-line YAML ({trust: '>= 30'}); "" none
                  "reply": {"zh_CN": str, "en": str},
                  "goto": None | str | [{"to": str, "when": str}, ...],
                  "end": str | None, "conduct": str | None}, ...]}
    ```
    `edit_node` writes such a dict back; `normalise_fields` gives the form `node_fields` would
    return for it.
    """
    return node_form(source, dialogue_id, node_id)[0]


def node_form(source: str, dialogue_id: str,
              node_id: str) -> tuple[dict[str, Any], list[str]]:
    """`node_fields`, and the ids of the dialogue's nodes (a goto's choices), from one read
    of the draft (which need not load as a scenario yet). Refused, like every node form
    operation, for a draft over MAX_EDIT_BYTES or MAX_EDIT_VALUES."""
    document = _Document(source, read_only=True, node_form=True)
    node = document.node(dialogue_id, node_id)
    return _fields_of(node), [str(key) for key in document.nodes(dialogue_id)]


def _fields_of(node: CommentedMap) -> dict[str, Any]:
    plain = _plain(node)
    actions = plain.get("actions") or []
    return {
        "says": _text_fields(plain.get("says")),
        "end": _optional(plain.get("end")),
        "trap": _optional(plain.get("trap")),
        "speaker": _optional(plain.get("speaker")),
        "common": plain.get("common") is not False,
        "actions": [_action_fields(a) for a in actions if isinstance(a, dict)]
        if isinstance(actions, list) else [],
    }


def _action_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    goto = raw.get("goto")
    branches: Any
    if isinstance(goto, list):
        branches = [{"to": _optional(b.get("to")) or "", "when": _yaml_text(b.get("when"))}
                    if isinstance(b, dict) else {"to": str(b), "when": ""} for b in goto]
    else:
        branches = _optional(goto)
    return {
        "do": str(raw.get("do") or ""),
        "param": next((str(raw[k]) for k in PARAMS if raw.get(k) is not None), None),
        "when": _yaml_text(raw.get("when")),
        "effects": _yaml_text(raw.get("effects")),
        "reply": _text_fields(raw.get("reply")),
        "goto": branches,
        "end": _optional(raw.get("end")),
        "conduct": _optional(raw.get("conduct")),
    }


def _text_fields(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {"zh_CN": "", "en": ""}
    return {lang: "" if raw.get(lang) is None else str(raw[lang]) for lang in ("zh_CN", "en")}


def _optional(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _yaml_text(value: Any) -> str:
    """One line of YAML in flow style; "" for nothing."""
    if value is None or value == {} or value == "":
        return ""
    rt = _yaml()
    rt.default_flow_style = True
    text = _dump(rt, _fresh(_plain(value), flow=True))
    return text.removesuffix("\n").removesuffix("\n...").strip()


def normalise_fields(fields: Mapping[str, Any], *,
                     path: Path_ = ()) -> dict[str, Any]:
    """`fields` as `node_fields` would read them back after `edit_node`: defaults filled in,
    YAML texts rewritten in one canonical line, a parameter kept only for an action that
    takes one. Raises `ScenarioInvalid` for a `when` or `effects` that is not a YAML mapping
    and `InvalidInput` for a malformed form."""
    actions = fields.get("actions", [])
    if not isinstance(actions, list):
        raise InvalidInput(N_("The node form is malformed: '%(field)s'."), field="actions")
    out: dict[str, Any] = {
        "says": _form_text(fields.get("says"), "says"),
        "end": _form_optional(fields.get("end"), "end"),
        "trap": _form_optional(fields.get("trap"), "trap"),
        "speaker": _form_optional(fields.get("speaker"), "speaker"),
        "common": fields.get("common", True) is not False,
        "actions": [],
    }
    for number, action in enumerate(actions):
        where = (*path, "actions", number)
        if not isinstance(action, Mapping):
            raise InvalidInput(N_("The node form is malformed: '%(field)s'."),
                               field=format_path(where))
        do = action.get("do")
        known = vocabulary.ACTIONS.get(do) if isinstance(do, str) else None
        if known is None:
            raise InvalidInput(N_("unknown action '%(action)s'; see the vocabulary in "
                                  "scenarios/README.md"), field=format_path((*where, "do")),
                               action=str(do))
        param = _form_optional(action.get("param"), format_path((*where, "param")))
        goto = action.get("goto")
        if isinstance(goto, list):
            branches: Any = []
            for index, branch in enumerate(goto):
                if not isinstance(branch, Mapping):
                    raise InvalidInput(N_("The node form is malformed: '%(field)s'."),
                                       field=format_path((*where, "goto", index)))
                when = _mapping(branch.get("when"), "when", (*where, "goto", index, "when"))
                branches.append({"to": _form_optional(branch.get("to"), "to") or "",
                                 "when": _yaml_text(when)})
        else:
            branches = _form_optional(goto, format_path((*where, "goto")))
        out["actions"].append({
            "do": do,
            "param": param if known.param != vocabulary.Param.NONE else None,
            "when": _yaml_text(_mapping(action.get("when"), "when", (*where, "when"))),
            "effects": _yaml_text(_mapping(action.get("effects"), "effects",
                                           (*where, "effects"))),
            "reply": _form_text(action.get("reply"), format_path((*where, "reply"))),
            "goto": branches or None,
            "end": _form_optional(action.get("end"), format_path((*where, "end"))),
            "conduct": _form_optional(action.get("conduct"),
                                      format_path((*where, "conduct"))),
        })
    return out


FORM_KEY = re.compile(r"^actions-(\d{1,4})-(.+)$")
BRANCH_KEY = re.compile(r"^branches-(\d{1,3})-(to|when)$")
TRUE = ("1", "true", "on", "yes")


def fields_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The fields of `edit_node` from a flat HTML form (`form_data` writes the names).

    Names: `says-zh_CN`, `says-en`, `end`, `trap`, `speaker`, `common` (a checkbox: absent
    means unchecked) and, for the i-th action, `actions-<i>-do`, `-param`, `-when`,
    `-effects`, `-reply-zh_CN`, `-reply-en`, `-goto` (one node), `-branches-<j>-to` and
    `-branches-<j>-when` (a goto list; it wins over `-goto`), `-end`, `-conduct`. Actions are
    taken in the order of their numbers (gaps allowed); a row whose `do` is blank is dropped.
    """
    rows: dict[int, dict[str, Any]] = defaultdict(dict)
    for key, value in form.items():
        match = FORM_KEY.match(key)
        if match is not None:
            rows[int(match.group(1))][match.group(2)] = value
    actions = []
    for number in sorted(rows):
        row = rows[number]
        if not str(row.get("do") or "").strip():
            continue
        branches: dict[int, dict[str, str]] = defaultdict(dict)
        for key, value in row.items():
            match = BRANCH_KEY.match(key)
            if match is not None:
                branches[int(match.group(1))][match.group(2)] = value
        listed = [{"to": branches[j].get("to", "").strip(), "when": branches[j].get("when", "")}
                  for j in sorted(branches) if branches[j].get("to", "").strip()]
        actions.append({
            "do": str(row["do"]).strip(), "param": row.get("param") or None,
            "when": row.get("when", ""), "effects": row.get("effects", ""),
            "reply": {"zh_CN": row.get("reply-zh_CN", ""), "en": row.get("reply-en", "")},
            "goto": listed or (row.get("goto") or None),
            "end": row.get("end") or None, "conduct": row.get("conduct") or None})
    return {"says": {"zh_CN": form.get("says-zh_CN", ""), "en": form.get("says-en", "")},
            "end": form.get("end") or None, "trap": form.get("trap") or None,
            "speaker": form.get("speaker") or None,
            "common": str(form.get("common", "")).lower() in TRUE, "actions": actions}


def form_data(fields: Mapping[str, Any]) -> dict[str, str]:
    """`node_fields` as the flat names and values of `fields_from_form` (for a form's
    initial values, and for tests)."""
    data = {"says-zh_CN": fields["says"]["zh_CN"], "says-en": fields["says"]["en"],
            "end": fields["end"] or "", "trap": fields["trap"] or "",
            "speaker": fields["speaker"] or ""}
    if fields["common"]:
        data["common"] = "1"
    for number, action in enumerate(fields["actions"]):
        row = f"actions-{number}-"
        data.update({row + "do": action["do"], row + "param": action["param"] or "",
                     row + "when": action["when"], row + "effects": action["effects"],
                     row + "reply-zh_CN": action["reply"]["zh_CN"],
                     row + "reply-en": action["reply"]["en"],
                     row + "end": action["end"] or "", row + "conduct": action["conduct"] or ""})
        goto = action["goto"]
        if isinstance(goto, list):
            for j, branch in enumerate(goto):
                data[f"{row}branches-{j}-to"] = branch["to"]
                data[f"{row}branches-{j}-when"] = branch["when"]
        else:
            data[row + "goto"] = goto or ""
    return data


def _form_text(raw: Any, field: str) -> dict[str, str]:
    if raw is None:
        return {"zh_CN": "", "en": ""}
    if not isinstance(raw, Mapping) or not all(
            isinstance(raw.get(lang, ""), str) for lang in ("zh_CN", "en")):
        raise InvalidInput(N_("The node form is malformed: '%(field)s'."), field=field)
    return {"zh_CN": raw.get("zh_CN", ""), "en": raw.get("en", "")}


def _form_optional(raw: Any, field: str) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        raise InvalidInput(N_("The node form is malformed: '%(field)s'."), field=field)
    return raw.strip()


MAX_FIELD_TEXT = 2000  # characters of a `when` or `effects` field of the node form


def _mapping(text: Any, field: str, path: Path_) -> dict[str, Any] | None:
    """A `when` or `effects` text read as the loader reads YAML; None when blank."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str):
        raise InvalidInput(N_("The node form is malformed: '%(field)s'."),
                           field=format_path(path))
    where = format_path(path)
    if len(text) > MAX_FIELD_TEXT:
        raise ScenarioInvalid([ScenarioError(FILE, 1, 1, where, N_(
            "a condition or an effect is at most %(limit)s characters"),
            {"limit": MAX_FIELD_TEXT})])
    try:
        # one line of a form: no anchors or aliases (a few bytes of them can expand to
        # thousands of values written into the draft)
        if any(isinstance(event, yaml.AliasEvent | yaml.NodeEvent) and
               getattr(event, "anchor", None) for event in yaml.parse(text, Loader=YamlLoader)):
            raise ScenarioInvalid([ScenarioError(FILE, 1, 1, where, N_(
                "anchors and aliases (&name, *name) are not allowed in a node's form"), {})])
        composed = yaml.compose(text, Loader=YamlLoader)
        if composed is not None and expanded_size(composed) > MAX_NODES:
            raise ScenarioInvalid([ScenarioError(FILE, 1, 1, where, N_(
                "the aliases (*name) of this file expand to more than %(limit)s values"),
                {"limit": MAX_NODES})])
        data = yaml.load(text, Loader=YamlLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise _not_yaml(exc, FILE, where) from exc
    except (ValueError, OverflowError) as exc:  # e.g. a date such as 2020-02-30
        raise _not_yaml(exc, FILE, where) from exc
    if data is None or data == {}:
        return None
    if not isinstance(data, dict):
        example = "{trust: '>= 30'}" if field == "when" else "{trust: 5, set: {done: true}}"
        raise ScenarioInvalid([ScenarioError(FILE, 1, 1, where, N_(
            "'%(field)s' must be a mapping, such as %(example)s"),
            {"field": field, "example": example})])
    plain: dict[str, Any] = _plain(data)
    return plain


def edit_node(source: str, dialogue_id: str, node_id: str, fields: Mapping[str, Any]) -> str:
    """`source` with one node rewritten from `fields` (the shape `node_fields` returns).

    Top-level fields left out of `fields` are left as they are; `actions` replaces the
    node's list (the i-th entry edits the i-th action in place, keeping its style and
    comments). Empty texts, `when` and `effects` remove their key. Everything outside the node
    is kept byte for byte. `node_fields(edit_node(s, d, n, f), d, n) == normalise_fields(f)`
    when `f` is complete. Refused for a draft over MAX_EDIT_BYTES or MAX_EDIT_VALUES.
    """
    document = _Document(source, node_form=True)
    node = document.node(dialogue_id, node_id)
    base: Path_ = ("dialogues", dialogue_id, "nodes", node_id)
    clean = normalise_fields({"common": node.get("common") is not False, **fields}, path=base)
    if "says" in fields:
        _put_text(node, "says", clean["says"], NODE_ORDER)
    for key in ("end", "trap", "speaker"):
        if key in fields:
            _put(node, key, clean[key], NODE_ORDER)
    if "common" in fields:
        _put(node, "common", None if clean["common"] and "common" not in node
             else clean["common"], NODE_ORDER)
    if "actions" in fields:
        _put_actions(node, clean["actions"])
    return document.text()


def _put(mapping: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    """Set (None: remove) a key, a new one placed in the canonical order of `order`."""
    if value is None:
        if key in mapping:
            comment = _pop_tail_comment(mapping) if list(mapping)[-1] == key else None
            del mapping[key]
            if comment is not None:
                _set_tail_comment(mapping, comment)
        return
    if key in mapping:
        _assign(mapping, key, value)
        return
    rank = order.index(key) if key in order else len(order)
    keys = list(mapping)
    later = [i for i, k in enumerate(keys) if k in order and order.index(k) > rank]
    if later:
        mapping.insert(later[0], key, _fresh(value))
    else:
        _append(mapping, key, _fresh(value))


def _put_text(mapping: CommentedMap, key: str, text: Mapping[str, str],
              order: Sequence[str]) -> None:
    empty = not text["zh_CN"] and not text["en"]
    _put(mapping, key, None if empty else {"zh_CN": text["zh_CN"], "en": text["en"]}, order)


def _put_actions(node: CommentedMap, actions: list[dict[str, Any]]) -> None:
    """Write the normalised actions: the i-th edits the i-th mapping in place."""
    if not actions:
        _put(node, "actions", None, NODE_ORDER)
        return
    existing = node.get("actions")
    seq = existing if isinstance(existing, CommentedSeq) else CommentedSeq()
    flow = (not seq or any(isinstance(item, CommentedMap) and item.fa.flow_style()
                           for item in seq))
    for number, action in enumerate(actions):
        if number < len(seq) and isinstance(seq[number], CommentedMap):
            _fill_action(seq[number], action)
            continue
        item = CommentedMap()
        if flow and not isinstance(action["goto"], list):  # branches read best in block
            item.fa.set_flow_style()
        _fill_action(item, action)
        if number < len(seq):
            seq[number] = item
        else:
            comment = _pop_tail_comment(seq)
            seq.append(item)
            if comment is not None:
                _set_tail_comment(seq, comment)
    while len(seq) > len(actions):
        _drop_last(seq)
    if seq is not existing:
        _put(node, "actions", None, NODE_ORDER)
        _put(node, "actions", seq, NODE_ORDER)


def _fill_action(item: CommentedMap, action: Mapping[str, Any]) -> None:
    """Write one normalised action into its mapping."""
    _put(item, "do", action["do"], ACTION_ORDER)
    wanted = vocabulary.ACTIONS[action["do"]].param.value
    for key in PARAMS:
        _put(item, key, action["param"] if key == wanted else None, ACTION_ORDER)
    for key in ("when", "effects"):
        data = _mapping(action[key], key, ())
        if data is None:
            _put(item, key, None, ACTION_ORDER)
        elif key not in item or _plain(item[key]) != data:
            _put(item, key, None, ACTION_ORDER)
            _put(item, key, _fresh(data, flow=True), ACTION_ORDER)
    _put_text(item, "reply", action["reply"], ACTION_ORDER)
    goto = action["goto"]
    if isinstance(goto, list):
        branches = []
        for branch in goto:
            entry: dict[str, Any] = {"to": branch["to"]}
            when = _mapping(branch["when"], "when", ())
            if when is not None:
                entry["when"] = when
            branches.append(entry)
        if "goto" not in item or _plain(item["goto"]) != branches:
            seq = CommentedSeq(_fresh(entry, flow=True) for entry in branches)
            seq.fa.set_block_style()
            _put(item, "goto", None, ACTION_ORDER)
            _put(item, "goto", seq, ACTION_ORDER)
    else:
        _put(item, "goto", goto, ACTION_ORDER)
    _put(item, "end", action["end"], ACTION_ORDER)
    _put(item, "conduct", action["conduct"], ACTION_ORDER)


def add_node(source: str, dialogue_id: str, node_id: str) -> str:
    """`source` with a new node at the end of the dialogue's nodes, with placeholder words
    and no actions yet (the checks report it as a dead end until it has some). Refused for a
    draft over MAX_EDIT_BYTES or MAX_EDIT_VALUES, as the node form is."""
    if not isinstance(node_id, str) or not NODE_ID.match(node_id):
        raise InvalidInput(N_("'%(node)s' is not a valid node id: lower-case letters, digits "
                              "and '_', starting with a letter."), field="node", node=node_id)
    document = _Document(source, node_form=True)
    nodes = document.nodes(dialogue_id)
    if node_id in nodes:
        raise Conflict(N_("Dialogue '%(dialogue)s' already has a node '%(node)s'."),
                       field="node", node=node_id, dialogue=dialogue_id)
    node = CommentedMap()
    node["says"] = _fresh({"zh_CN": "（待写）", "en": "(to be written)"})
    if nodes.fa.flow_style():
        nodes[node_id] = node
    else:
        _append(nodes, node_id, node)
    return document.text()


# --- a starter scenario ---------------------------------------------------------------------

TEMPLATE = """\
# A starter scenario. Every key is explained in scenarios/README.md; read
# scenarios/cooperative-family.yaml beside it for a complete example.
id: new-scenario            # lower-case words joined by '-'
version: 1                  # publishing writes the next number itself
title: {zh_CN: 新情景, en: A new scenario}
summary:
  zh_CN: 一户配合的家庭。出示证件、说明目的、承诺保密，然后逐项询问。
  en: A cooperative household. Show your card, explain the purpose, then ask.
difficulty: 1               # 1 (baseline) ... 5
minutes: 10                 # estimated time to play
objectives:                 # what the trainee learns: every text in both languages
  - zh_CN: 入户前出示普查员证并说明普查目的
    en: Show the enumerator card and explain the purpose before asking
tags: [draft]

world:
  seed: 2020                # fixed: everyone gets the same household; per_trainee: a new one each
  spec: {region: "430602"}  # the county code of ID numbers
  households:
    - id: home              # the name used everywhere below
      address: {building: 1, unit: 101, street: 建设路}
      persons:              # the head (relation 0) first
        - {name: 张伟, relation: 0, sex: 1, birth: 1975-03-01}
        - {name: 刘芳, relation: 1, sex: 2, birth: 1977-06-09}

assignment:
  units: [home]             # households to visit, in order
  first_day: 2020-11-02
  days: 2
  max_visits: 2

respondents:
  home:
    dialogue: main          # which dialogue below their visits run through
    archetype: cooperative  # cooperative | busy | private | suspicious | fearful | ...

dialogues:
  main:
    start: door             # the node the first visit begins at
    nodes:
      door:                 # what the respondent says, and what the trainee may do next
        says: {zh_CN: 谁呀？, en: "Who is it?"}   # quote English with ?, : or #
        actions:
          - {do: show_id, goto: interview}
          - {do: greet, goto: interview}
      interview:            # a middle node: moves without goto stay here
        says: {zh_CN: 哦，人口普查啊，你问吧。, en: "Oh, the census. Go ahead and ask."}
        actions:
          - {do: explain_purpose}
          - {do: promise_confidentiality}
          - {do: ask_item, item: roster}
          - {do: probe, topic: births}
          - do: read_back   # the last move leads to the ending
            reply: {zh_CN: 对，没错。, en: "Yes, that's right."}
            goto: done
      done:                 # an ending: no actions, an outcome
        says: {zh_CN: 不客气，慢走。, en: "You're welcome. Goodbye."}
        end: completed

rubric:
  pass: 60                  # total (0-100) needed to pass
  criteria:                 # see the rubric section of scenarios/README.md
    - {criterion: outcome, weight: 2}
    - {criterion: credentials_first, weight: 1}
    - {criterion: confidentiality_promised, weight: 1}
    - {criterion: privacy, weight: 1, critical: true}
    - {criterion: no_coercion, weight: 1, critical: true}
"""


def template(scenario_id: str, title_zh: str, title_en: str) -> str:
    """A small complete scenario to start from: one household, a dialogue with a door, a
    middle node and an ending, a rubric, and comments that teach the format. It loads, the
    checks find nothing and the path bot finds no dead end."""
    _check_id(scenario_id)
    text = set_value(TEMPLATE, ("id",), scenario_id)
    return set_value(text, ("title",), {"zh_CN": title_zh, "en": title_en})


# --- diff ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One row of a line diff: `same`, `added`, `removed`, or `skip` (`count` unchanged lines
    left out between changes); 1-based line numbers, None on the side without the line."""

    kind: str
    old_number: int | None
    new_number: int | None
    text: str
    count: int = 1


def diff(old_source: str, new_source: str, *, context: int | None = None) -> list[DiffLine]:
    """The line diff of two versions (a replaced run: its removed lines, then its added ones).

    With `context`, only that many unchanged lines are kept around each change; each longer
    unchanged run is one `skip` row. The matching is `_matcher`'s: bounded work, so on a text
    of thousands of equal lines the diff may show more lines changed than the fewest.
    """
    old, new = old_source.splitlines(), new_source.splitlines()
    rows: list[DiffLine] = []
    matcher = _matcher(old, new)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [DiffLine("same", i1 + k + 1, j1 + k + 1, old[i1 + k])
                     for k in range(i2 - i1)]
            continue
        rows += [DiffLine("removed", i + 1, None, old[i]) for i in range(i1, i2)]
        rows += [DiffLine("added", None, j + 1, new[j]) for j in range(j1, j2)]
    if context is None:
        return rows
    changed = [i for i, row in enumerate(rows) if row.kind != "same"]
    keep = {i for c in changed for i in range(c - context, c + context + 1)}
    out: list[DiffLine] = []
    for i, row in enumerate(rows):
        if row.kind != "same" or i in keep:
            out.append(row)
        elif out and out[-1].kind == "skip":
            last = out[-1]
            out[-1] = DiffLine("skip", last.old_number, last.new_number, "", last.count + 1)
        else:
            out.append(DiffLine("skip", row.old_number, row.new_number, ""))
    return out
