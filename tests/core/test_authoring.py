"""The scenario editor's core: variable index, bilingual texts, round-trip edits that keep the
author's file, the starter template and the version diff."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.core.errors import Conflict, InvalidInput, NotFound
from trainer.core.scenario import authoring, bot, checks, loader, vocabulary
from trainer.core.scenario.loader import ScenarioInvalid
from trainer.core.scenario.model import Text

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
LIBRARY_FILES = sorted(LIBRARY.glob("*.yaml"))
BASELINE = (LIBRARY / "cooperative-family.yaml").read_text(encoding="utf-8")
STARTER = authoring.template("starter", "起步", "Starter")

VARIABLES = """\
id: vars
version: 1
title: {zh_CN: 变量, en: Variables}
summary: {zh_CN: 变量, en: Variables}
difficulty: 1
minutes: 1
objectives:
  - {zh_CN: 学, en: Learn}
world:
  seed: 1
  households:
    - id: home
      persons:
        - {name: 张三, relation: 0, sex: 1, birth: 1980-01-01}
assignment:
  units: [home]
respondents:
  home: {dialogue: main}
variables:
  sure: {type: bool, initial: false}
  tries: {type: int, initial: 0}
  unread: {type: bool, initial: false}
  unset: {type: int, initial: 3}
dialogues:
  main:
    start: door
    nodes:
      door:
        says: {zh_CN: 你好, en: Hello}
        actions:
          - {do: show_id, effects: {trust: 5, set: {sure: true, unread: true}}}
          - {do: greet, effects: {add: {tries: 1}}}
          - {do: leave_notice, end: nobody_home}
          - do: explain_purpose
            when: {any: [{vars: {sure: true}}, {trust: ">= 40", vars: {unset: ">= 2"}}]}
            goto:
              - {to: done, when: {vars: {tries: ">= 2"}, irritation: "< 50"}}
              - to: door
          - {do: thank_and_close, when: {vars: {notice_left: false}}, goto: done}
      done:
        end: completed
rubric:
  criteria:
    - {criterion: outcome}
"""


def line_of(text: str, needle: str, start: int = 1) -> int:
    """1-based number of the first line from `start` containing `needle`."""
    return next(i for i, line in enumerate(text.splitlines(), 1)
                if i >= start and needle in line)


def changed_lines(old: str, new: str) -> list[authoring.DiffLine]:
    return [row for row in authoring.diff(old, new) if row.kind != "same"]


def comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


# --- variable index ------------------------------------------------------------------------


def test_variable_index_lists_every_place_a_variable_is_set_and_read() -> None:
    index = authoring.variable_index(loader.parse(VARIABLES))
    assert list(index)[:4] == ["sure", "tries", "unread", "unset"]
    sure = index["sure"]
    assert (sure.kind, sure.type, sure.initial) == ("declared", "bool", False)
    assert sure.line == line_of(VARIABLES, "sure: {type")
    [set_sure] = sure.sets
    assert (set_sure.how, set_sure.value, set_sure.where) == ("set", "true", "main/door #1 show_id")
    assert set_sure.line == line_of(VARIABLES, "do: show_id")
    assert set_sure.path == ("dialogues", "main", "nodes", "door", "actions", 0, "effects",
                             "set", "sure")
    [read_sure] = sure.reads
    assert (read_sure.how, read_sure.value, read_sure.action) == ("when", "true", 3)
    assert read_sure.path[-5:] == ("when", "any", 0, "vars", "sure")
    assert read_sure.line == line_of(VARIABLES, "when: {any:")
    [add] = index["tries"].sets
    assert (add.how, add.value, add.do) == ("add", "+1", "greet")
    [branch] = index["tries"].reads
    assert (branch.how, branch.value, branch.branch) == ("goto", ">= 2", 0)
    assert branch.line == line_of(VARIABLES, "- {to: done")
    assert branch.where == "main/door #4 explain_purpose → 1"
    # declared but never read / never set, easy to flag
    assert [n for n, v in index.items() if v.never_read] == ["unread"]
    assert [n for n, v in index.items() if v.never_set] == ["unset"]
    # built-in and state variables appear when used
    assert index["trust"].kind == "state" and index["trust"].sets[0].value == "+5"
    assert index["trust"].reads[0].value == ">= 40"
    assert index["irritation"].reads[0].how == "goto"
    notice = index["notice_left"]
    assert notice.kind == "builtin" and not notice.never_set and not notice.never_read
    assert notice.builtin and not notice.declared and sure.declared and not sure.builtin
    assert [(p.how, p.do) for p in notice.sets] == [("action", "leave_notice")]
    assert "visit" not in index and "with_grid_worker" not in index


@pytest.mark.parametrize("path", [p for p in LIBRARY_FILES if "\nvariables:" in
                                  p.read_text(encoding="utf-8")], ids=lambda p: p.stem)
def test_variable_index_of_library_scenarios(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    scenario = loader.parse(source)
    index = authoring.variable_index(scenario, str(path))
    lines = source.splitlines()
    for name in scenario.variables:
        use = index[name]
        assert use.sets and use.reads, f"{name} in {path.name} is never set or never read"
        assert lines[use.line - 1].strip().startswith(f"{name}:")
        for place in (*use.sets, *use.reads):
            assert name in lines[place.line - 1] or "do:" in lines[place.line - 1]
            assert place.node in scenario.dialogues[place.dialogue].nodes


def test_variable_index_of_suspicious_credentials() -> None:
    source = (LIBRARY / "suspicious-credentials.yaml").read_text(encoding="utf-8")
    verified = authoring.variable_index(loader.parse(source))["verified"]
    assert {p.value for p in verified.sets} == {"true"}
    assert {p.value for p in verified.reads} == {"true", "false"}
    assert all(p.how in ("when", "goto") for p in verified.reads)


# --- texts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.stem)
def test_library_texts_are_all_translated(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    found = authoring.texts(source)
    assert len(found) >= 5
    assert [t for t in found if t.untranslated] == []
    lines = source.splitlines()
    for text in found:
        assert text.zh and text.en
        line = lines[text.line - 1]
        assert "zh_CN" in line or "en:" in line or line.strip().endswith(":")


def test_texts_flag_untranslated_with_reasons_and_positions() -> None:
    source = STARTER.replace("en: Show the enumerator card", "en: 出示 the enumerator card")
    source = source.replace('en: "Who is it?"', "en: ''")
    source = source.replace("zh_CN: 对，没错。, en:", "zh_CN: Yes, en:").replace(
        '"Yes, that\'s right."', "Yes")
    source += "extra: {en: Only English}\nnested: [{zh_CN: 只有中文, en: null}]\n"
    found = {t.path: t for t in authoring.texts(source)}
    assert found[("title",)].reasons == () and found[("title",)].field == "title"
    assert found[("objectives", 0)].where == "objectives[0]"
    assert found[("objectives", 0)].reasons == ("chinese_in_en",)
    says = found[("dialogues", "main", "nodes", "door", "says")]
    assert says.reasons == ("missing_en",) and says.line == line_of(source, "says: {zh_CN: 谁呀")
    assert says.column == source.splitlines()[says.line - 1].index("{") + 1
    reply = found[("dialogues", "main", "nodes", "interview", "actions", 4, "reply")]
    assert reply.reasons == ("identical",) and reply.field == "reply"
    assert found[("extra",)].reasons == ("missing_zh",)
    assert found[("nested", 0)].reasons == ("missing_en",)
    assert set(authoring.UNTRANSLATED) >= {r for t in found.values() for r in t.reasons}


def test_texts_of_text_that_is_not_yaml() -> None:
    with pytest.raises(ScenarioInvalid) as caught:
        authoring.texts("title: {zh_CN: x\nen: [")
    assert caught.value.errors[0].message == "not valid YAML: %(problem)s"
    assert authoring.texts("") == []


# --- set_value -----------------------------------------------------------------------------

HOSTILE = st.lists(st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    st.sampled_from(list("\n\r\t:#'\"{}[],&*!|>%@`-?~ 中文：「」，。")),
    st.sampled_from(["yes", "No", "null", "1:20", "0b11", "=", "2020-01-01", "true", " #x",
                     "<<", "1e3", ".5", "0o17", "- a", "key: value", "…", "\ufeff", "\x85",
                     "\u2028"])), min_size=1, max_size=30).map("".join).filter(str.strip)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=HOSTILE)
def test_any_text_survives_set_value_then_parse(value: str) -> None:
    for path, get in ((("title", "en"), lambda s: s.title.en),
                      (("dialogues", "main", "nodes", "door", "says", "zh_CN"),
                       lambda s: s.dialogues["main"].nodes["door"].says.zh),
                      (("summary", "en"), lambda s: s.summary.en)):
        edited = authoring.set_value(STARTER, path, value)
        assert get(loader.parse(edited)) == value
        assert len(changed_lines(STARTER, edited)) == 2  # one line out, one line in
        assert comments(edited) == comments(STARTER)


def test_set_value_quotes_what_the_loader_would_read_otherwise() -> None:
    for value in ("1:20", "0b11", "=", "2020-11-02", "~", "null", "12", "3.5", "True", "yes"):
        edited = authoring.set_value(BASELINE, ("title", "en"), value)
        assert loader.parse(edited).title.en == value
        assert [r.text for r in changed_lines(BASELINE, edited)] == [
            "  en: A cooperative family",
            f"  en: {value}" if value in ("yes",) else f'  en: "{value}"']


def test_set_value_keeps_quoting_style_and_creates_missing_keys() -> None:
    edited = authoring.set_value(BASELINE, ("dialogues", "main", "nodes", "door", "says", "en"),
                                 "Who's there?")
    assert '{zh_CN: 谁呀？, en: "Who\'s there?"}' in edited
    edited = authoring.set_value(BASELINE, ("variables", "helped"),
                                 {"type": "bool", "initial": False})
    assert "variables:\n  helped: {type: bool, initial: false}\n" in edited
    assert loader.parse(edited).variables["helped"].initial is False
    edited = authoring.set_value(BASELINE, ("objectives", 4),
                                 {"zh_CN": "新目标", "en": "A new objective"})
    assert loader.parse(edited).objectives[-1] == Text("新目标", "A new objective")
    edited = authoring.set_value(BASELINE, ("tags", 0), "first")
    assert "tags: [first, procedure, short-form]" in edited
    version = loader.parse(BASELINE).version
    assert authoring.set_value(BASELINE, ("version",), version) == BASELINE
    for bad in (("objectives", 9), ("title", "en", "deeper"), ("tags", "x"), ()):
        with pytest.raises(InvalidInput):
            authoring.set_value(BASELINE, bad, "x")


def test_set_value_in_place_keeps_a_mappings_comments() -> None:
    source = "# head\ntitle:  # the title\n  zh_CN: 甲  # zh\n  en: A  # en\nrest: 1\n"
    edited = authoring.set_value(source, ("title",), {"zh_CN": "乙", "en": "A"})
    assert edited == source.replace("甲", "乙")


def test_edits_keep_a_file_written_in_another_style_byte_for_byte() -> None:
    source = ("# written by hand\nid:   odd-style\n"
              "version: 3\ntitle:\n    zh_CN: 标题\n    en:    Title   # spaced\n"
              "objectives:\n-   zh_CN: 甲\n    en: A\n-   {zh_CN: 乙 ,  en: B}\n"
              "dialogues:\n    main:\n        start: door\n        nodes:\n"
              "            door:\n                says: {zh_CN: 你好, en: Hello}\n"
              "            done: {end: completed}\n")
    edited = authoring.set_value(source, ("title", "en"), "New title")
    rows = changed_lines(source, edited)
    assert [(r.kind, r.old_number or r.new_number) for r in rows] == [("removed", 6),
                                                                      ("added", 6)]
    assert rows[1].text.startswith("    en: New title") and rows[1].text.endswith("# spaced")
    assert authoring.set_version(source, 4) == source.replace("version: 3", "version: 4")
    added = authoring.add_node(source, "main", "later")
    rows = changed_lines(source, added)
    assert all(r.kind == "added" for r in rows) and len(rows) == 2
    assert authoring.node_fields(added, "main", "later")["says"]["en"] == "(to be written)"


def test_not_yaml_and_not_a_mapping_are_scenario_errors() -> None:
    for bad in ("a: [1,\n", "a: 1\na: 2\n", "- just\n- a list\n", "{" * 5000):
        with pytest.raises(ScenarioInvalid):
            authoring.set_value(bad, ("a",), 1)
    with pytest.raises(ScenarioInvalid):
        authoring.set_value("a: " + "x" * (loader.MAX_BYTES + 1), ("a",), 1)


# --- node form -----------------------------------------------------------------------------


def test_node_fields_of_the_baseline() -> None:
    fields = authoring.node_fields(BASELINE, "main", "interview")
    assert fields["says"] == {"zh_CN": "好的，你问吧。", "en": "Go ahead and ask."}
    assert (fields["end"], fields["trap"], fields["speaker"], fields["common"]) == (
        None, None, None, True)
    first = fields["actions"][0]
    assert first == {"do": "ask_item", "param": "H1", "when": "", "effects": "",
                     "reply": {"zh_CN": "", "en": ""}, "goto": None, "end": None,
                     "conduct": None}
    assert fields["actions"][-1]["goto"] == [{"to": "done", "when": "{taken: [probe]}"},
                                             {"to": "forgot", "when": ""}]
    assert authoring.node_fields(BASELINE, "main", "done")["end"] == "completed"
    assert authoring.node_fields(BASELINE, "main", "done")["actions"] == []
    with pytest.raises(NotFound):
        authoring.node_fields(BASELINE, "main", "nowhere")
    with pytest.raises(NotFound):
        authoring.node_fields(BASELINE, "other", "door")


def test_edit_node_round_trips_and_touches_nothing_else() -> None:
    fields = authoring.node_fields(BASELINE, "main", "door")
    fields["says"]["en"] = 'Who is it? #2: "knock"'
    fields["trap"] = "checks_credentials"
    fields["actions"][1]["when"] = "trust: '>= 10'"
    fields["actions"].append({
        "do": "answer_concern", "param": "distrust", "when": "{vars: {rude_before: false}}",
        "effects": "trust: 5\nirritation: -2", "reply": {"zh_CN": "好：行", "en": "OK: fine"},
        "goto": [{"to": "introduced", "when": "{trust: '>= 50'}"}, {"to": "door", "when": ""}],
        "end": None, "conduct": "good"})
    edited = authoring.edit_node(BASELINE, "main", "door", fields)
    assert authoring.node_fields(edited, "main", "door") == authoring.normalise_fields(fields)
    scenario = loader.parse(edited)
    door = scenario.dialogues["main"].nodes["door"]
    assert door.trap == "checks_credentials" and door.says is not None
    assert door.says.en == 'Who is it? #2: "knock"'
    assert door.choices[2].reply == Text("好：行", "OK: fine")
    assert [b.node for b in door.choices[2].goto] == ["introduced", "door"]
    start, end = line_of(BASELINE, "      door:"), line_of(BASELINE, "      introduced:")
    for row in changed_lines(BASELINE, edited):
        assert start < (row.old_number or row.new_number or 0) <= end + 12, row
    assert comments(edited) == comments(BASELINE)
    assert edited.splitlines()[:start] == BASELINE.splitlines()[:start]
    tail = BASELINE.splitlines()[end - 1:]
    assert edited.splitlines()[-len(tail):] == tail


def test_edit_node_removes_and_keeps_blank_lines_between_nodes() -> None:
    fields = authoring.node_fields(BASELINE, "main", "forgot")
    fields["actions"] = fields["actions"][:1]
    fields["says"] = {"zh_CN": "", "en": ""}
    edited = authoring.edit_node(BASELINE, "main", "forgot", fields)
    assert [r.text.strip() for r in changed_lines(BASELINE, edited)] == [
        'says: {zh_CN: 都对。还有别的要问吗？, en: "That\'s all correct. Anything else?"}',
        "- {do: probe, topic: births, goto: interview}", "- {do: read_back, end: completed}"]
    fields = authoring.node_fields(BASELINE, "main", "done")  # the last node: a blank follows
    fields["end"] = None
    fields["actions"] = [{"do": "thank_and_close", "end": "completed"}]
    edited = authoring.edit_node(BASELINE, "main", "done", fields)
    assert "        actions:\n          - {do: thank_and_close, end: completed}\n\nrubric:" \
        in edited
    assert authoring.edit_node(BASELINE, "main", "interview",
                               authoring.node_fields(BASELINE, "main", "interview")) == BASELINE


ACTION_NAMES = sorted(name for name, action in vocabulary.ACTIONS.items() if name != "knock")
PARAM_VALUES = {"theme": list(vocabulary.THEMES), "topic": list(vocabulary.TOPICS),
                "item": list(vocabulary.ITEMS)}
WHENS = ["", "{trust: '>= 30'}", "trust: < 20\nvisit: '== 2'",
         "{any: [{slot: [evening]}, {taken: [show_id]}]}", "vars: {with_grid_worker: true}"]
EFFECTS = ["", "{trust: 5}", "irritation: -3\ndisclose: [son_away]"]
TEXT = st.text(alphabet=st.sampled_from(list("ab 中文:#'\"\n")), max_size=8)


@st.composite
def actions(draw: st.DrawFn) -> dict[str, Any]:
    do = draw(st.sampled_from(ACTION_NAMES))
    kind = vocabulary.ACTIONS[do].param.value
    goto: Any = draw(st.one_of(st.none(), st.sampled_from(["door", "interview", "done"]),
                               st.lists(st.fixed_dictionaries({
                                   "to": st.sampled_from(["door", "done"]),
                                   "when": st.sampled_from(WHENS[1:])}), max_size=2).map(
                                   lambda b: [*b, {"to": "forgot", "when": ""}])))
    return {"do": do, "param": draw(st.sampled_from(PARAM_VALUES[kind]))
            if kind in PARAM_VALUES else None,
            "when": draw(st.sampled_from(WHENS)), "effects": draw(st.sampled_from(EFFECTS)),
            "reply": {"zh_CN": draw(TEXT), "en": draw(TEXT)}, "goto": goto,
            "end": draw(st.sampled_from([None, "completed", "refused"])),
            "conduct": draw(st.sampled_from([None, "good", "wrong"]))}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(node=st.sampled_from(["nobody", "door", "introduced", "interview", "forgot"]),
       says=st.fixed_dictionaries({"zh_CN": TEXT, "en": TEXT}),
       keep=st.integers(0, 25), new=st.lists(actions(), max_size=3),
       trap=st.sampled_from([None, "neighbour_asks"]), common=st.booleans())
def test_edit_node_then_node_fields_gives_the_fields_back(
        node: str, says: dict[str, str], keep: int, new: list[dict[str, Any]],
        trap: str | None, common: bool) -> None:
    fields = authoring.node_fields(BASELINE, "main", node)
    fields.update(says=says, trap=trap, common=common,
                  actions=[*fields["actions"][:keep], *new])
    edited = authoring.edit_node(BASELINE, "main", node, fields)
    expected = authoring.normalise_fields(fields)
    assert authoring.node_fields(edited, "main", node) == expected
    assert authoring.fields_from_form(authoring.form_data(expected)) == expected
    assert comments(edited) == comments(BASELINE)
    before, after = (yaml.load(text, Loader=loader.YamlLoader)  # noqa: S506 - safe
                     for text in (BASELINE, edited))
    del before["dialogues"]["main"]["nodes"][node], after["dialogues"]["main"]["nodes"][node]
    assert before == after
    head = line_of(BASELINE, "dialogues:")
    assert edited.splitlines()[:head] == BASELINE.splitlines()[:head]
    tail = BASELINE.splitlines()[line_of(BASELINE, "      done:") - 1:]
    assert edited.splitlines()[-len(tail):] == tail


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.stem)
def test_writing_back_every_library_node_unchanged_changes_nothing(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    scenario = loader.parse(source)
    for dialogue in scenario.dialogues.values():
        for node in list(dialogue.nodes)[::3]:  # a third of them keeps the suite fast
            fields = authoring.node_fields(source, dialogue.id, node)
            assert authoring.normalise_fields(fields) == fields
            assert authoring.edit_node(source, dialogue.id, node, fields) == source


def test_edit_node_rejects_bad_yaml_and_bad_forms_with_clear_errors() -> None:
    fields = authoring.node_fields(BASELINE, "main", "door")
    fields["actions"][0]["when"] = "{trust: '>= 30'"
    with pytest.raises(ScenarioInvalid) as caught:
        authoring.edit_node(BASELINE, "main", "door", fields)
    error = caught.value.errors[0]
    assert error.message == "not valid YAML: %(problem)s"
    assert error.path == "dialogues.main.nodes.door.actions[0].when"
    fields["actions"][0]["when"] = "- a list"
    with pytest.raises(ScenarioInvalid) as caught:
        authoring.edit_node(BASELINE, "main", "door", fields)
    assert caught.value.errors[0].params["field"] == "when"
    fields["actions"][0]["when"] = "a: &x [*x, *x]"
    with pytest.raises(ScenarioInvalid):  # an alias inside itself
        authoring.edit_node(BASELINE, "main", "door", fields)
    fields["actions"][0]["when"] = "a: &y [1, 2]\nb: *y"  # a form's line takes no aliases
    with pytest.raises(ScenarioInvalid) as caught:
        authoring.edit_node(BASELINE, "main", "door", fields)
    assert "aliases" in caught.value.errors[0].message
    fields["actions"][0]["when"] = "{trust: '>= 30'}" + " " * authoring.MAX_FIELD_TEXT
    with pytest.raises(ScenarioInvalid) as caught:
        authoring.edit_node(BASELINE, "main", "door", fields)
    assert caught.value.errors[0].params["limit"] == authoring.MAX_FIELD_TEXT
    fields["actions"][0]["when"] = ""
    fields["actions"][0]["effects"] = "{trust: }}"
    with pytest.raises(ScenarioInvalid):
        authoring.edit_node(BASELINE, "main", "door", fields)
    fields["actions"][0]["effects"] = ""
    for broken in ({"do": "fly"}, {"do": None}, "greet"):
        with pytest.raises(InvalidInput):
            authoring.edit_node(BASELINE, "main", "door", {"actions": [broken]})
    for bad in ({"says": "text"}, {"actions": "greet"}, {"end": 3},
                {"actions": [{"do": "greet", "goto": [3]}]}):
        with pytest.raises(InvalidInput):
            authoring.edit_node(BASELINE, "main", "door", bad)
    with pytest.raises(NotFound):
        authoring.edit_node(BASELINE, "main", "nowhere", fields)
    # a parameter an action does not take is dropped, a partial form leaves the rest
    edited = authoring.edit_node(BASELINE, "main", "door",
                                 {"actions": [{"do": "greet", "param": "x", "goto": "done"}]})
    assert "          - {do: greet, goto: done}\n      introduced:" in edited
    edited = authoring.edit_node(BASELINE, "main", "door", {"trap": "neighbour_asks"})
    assert [r.text.strip() for r in changed_lines(BASELINE, edited)] == ["trap: neighbour_asks"]


def test_fields_from_a_flat_form() -> None:
    form = {"says-zh_CN": "你好", "says-en": "Hello", "trap": "", "end": "", "speaker": "proxy",
            "actions-7-do": "probe", "actions-7-param": "births", "actions-7-goto": "done",
            "actions-2-do": "read_back", "actions-2-branches-1-to": "forgot",
            "actions-2-branches-0-to": "done", "actions-2-branches-0-when": "{trust: '>= 9'}",
            "actions-2-branches-2-to": "", "actions-2-goto": "ignored",
            "actions-3-do": " ", "actions-3-when": "{x: 1}", "unrelated": "x"}
    fields = authoring.fields_from_form(form)
    assert fields["says"] == {"zh_CN": "你好", "en": "Hello"} and fields["common"] is False
    assert (fields["trap"], fields["speaker"]) == (None, "proxy")
    assert [a["do"] for a in fields["actions"]] == ["read_back", "probe"]
    assert fields["actions"][0]["goto"] == [{"to": "done", "when": "{trust: '>= 9'}"},
                                            {"to": "forgot", "when": ""}]
    assert fields["actions"][1]["goto"] == "done" and fields["actions"][1]["param"] == "births"
    edited = authoring.edit_node(BASELINE, "main", "forgot", fields)
    forgot = loader.parse(edited).dialogues["main"].nodes["forgot"]
    assert (forgot.speaker, forgot.common, [c.key for c in forgot.choices]) == (
        "proxy", False, ["read_back", "probe:births"])


# --- add, rename, version ------------------------------------------------------------------


def test_add_node() -> None:
    edited = authoring.add_node(BASELINE, "main", "follow_up")
    assert [r.kind for r in changed_lines(BASELINE, edited)] == ["added", "added"]
    assert "        end: completed\n      follow_up:\n        says: {zh_CN: （待写）, en: " \
           "(to be written)}\n\nrubric:" in edited
    scenario = loader.parse(edited)
    assert "follow_up" in scenario.dialogues["main"].nodes
    problems = [e.params.get("node") for e in checks.check(scenario)]
    assert problems.count("follow_up") == 2  # unreachable, and a dead end until it has actions
    with pytest.raises(Conflict):
        authoring.add_node(BASELINE, "main", "door")
    for bad in ("Door", "1st", "a-b", ""):
        with pytest.raises(InvalidInput):
            authoring.add_node(BASELINE, "main", bad)
    with pytest.raises(NotFound):
        authoring.add_node(BASELINE, "other", "x")


@settings(max_examples=12, deadline=None)
@given(path=st.sampled_from(LIBRARY_FILES), version=st.integers(min_value=1, max_value=10**9),
       comment=st.sampled_from(["", "  # bumped on publish", "  "]))
def test_set_version_on_the_text_gives_what_editing_the_document_gives(path, version, comment):
    """Publishing's quick rewrite of the one top-level version line (a regex on the text)
    changes the number alone, and means what the round trip through the document writes
    (the same text without a comment; with one, the round trip may move the comment)."""
    source = path.read_text(encoding="utf-8")
    current = loader.parse(source).version
    source = source.replace(f"\nversion: {current}\n", f"\nversion: {current}{comment}\n", 1)
    quick = authoring.set_version(source, version)
    assert quick == source.replace(f"\nversion: {current}", f"\nversion: {version}", 1)
    edited = authoring._edit_version(source, version)
    if not comment:
        assert quick == edited
    assert yaml.safe_load(quick) == yaml.safe_load(edited)
    assert loader.parse(quick).version == version


def test_set_version_edits_the_document_where_the_text_is_not_plain() -> None:
    """A column-0 `version:` line that is not the key (inside a quoted title running over
    lines) or a version written another way is left to the document edit: the key changes,
    the title does not."""
    tricky = BASELINE.replace("\nversion: ", '\nnote: "a note\nversion: 7\nends"\nversion: ', 1)
    assert yaml.safe_load(tricky)["version"] == loader.parse(BASELINE).version
    edited = authoring.set_version(tricky, 42)
    assert yaml.safe_load(edited)["version"] == 42
    assert yaml.safe_load(edited)["note"] == "a note version: 7 ends"
    spaced = BASELINE.replace("\nversion: ", "\nversion : ", 1)
    assert loader.parse(authoring.set_version(spaced, 9)).version == 9
    current = loader.parse(BASELINE).version
    # no version key of its own, one column-0 line inside a quoted note: the key is added
    missing = BASELINE.replace(f"\nversion: {current}\n",
                               '\nnote: "first line\nversion: 7\nlast"\n', 1)
    edited = authoring.set_version(missing, 6)
    assert yaml.safe_load(edited)["version"] == 6
    assert yaml.safe_load(edited)["note"] == "first line version: 7 last"
    # `5#x` is the string '5#x' to YAML, not a number and a comment
    hashed = BASELINE.replace(f"\nversion: {current}\n", "\nversion: 5#x\n", 1)
    assert yaml.safe_load(authoring.set_version(hashed, 6))["version"] == 6
    with pytest.raises(ScenarioInvalid):  # the size limit holds on the quick path too
        authoring.set_version(BASELINE + "#" * authoring.MAX_BYTES, 2)


def test_rename_and_set_version_change_only_their_lines() -> None:
    renamed = authoring.rename_scenario(BASELINE, "family-copy", title=Text("副本", "A copy"))
    current = loader.parse(BASELINE).version
    assert [r.text for r in changed_lines(BASELINE, renamed)] == [
        "id: cooperative-family", f"version: {current}", "id: family-copy", "version: 1",
        "  zh_CN: 配合的家庭", "  en: A cooperative family", "  zh_CN: 副本", "  en: A copy"]
    scenario = loader.parse(renamed)
    assert (scenario.id, scenario.version, scenario.title.en) == ("family-copy", 1, "A copy")
    assert loader.parse(authoring.rename_scenario(BASELINE, "x-2", version=3)).version == 3
    assert authoring.set_version(BASELINE, current + 1) == BASELINE.replace(
        f"version: {current}", f"version: {current + 1}")
    assert authoring.set_version("id: a\ntitle: b\n", 2) == "id: a\nversion: 2\ntitle: b\n"
    for bad_version in (0, -1, True):
        with pytest.raises(InvalidInput):
            authoring.set_version(BASELINE, bad_version)
    for bad_id in ("Family", "family copy", "-x", ""):
        with pytest.raises(InvalidInput):
            authoring.rename_scenario(BASELINE, bad_id)


# --- template ------------------------------------------------------------------------------


@pytest.mark.parametrize(("title_zh", "title_en"), [
    ("新情景", "A new scenario"), ('引号"与：冒号', "Colon: and # hash, 'quotes'\nnewline")])
def test_template_is_a_complete_scenario(title_zh: str, title_en: str) -> None:
    text = authoring.template("my-first", title_zh, title_en)
    scenario = loader.parse(text, "my-first.yaml")
    assert (scenario.id, scenario.version) == ("my-first", 1)
    assert scenario.title == Text(title_zh, title_en)
    assert checks.check(scenario) == []
    report = bot.explore(scenario)
    assert report.dead_ends == set() and report.complete
    assert report.best is not None and report.best.passed
    assert "completed" in report.outcomes
    assert len(scenario.dialogues["main"].nodes) == 3
    assert len(comments(text)) >= 2 and "#" in text.splitlines()[3]
    assert [t for t in authoring.texts(text) if t.untranslated] == []
    with pytest.raises(InvalidInput):
        authoring.template("Not An Id", "甲", "A")


# --- diff ----------------------------------------------------------------------------------


def test_diff_rows() -> None:
    rows = authoring.diff("a\nb\nc\n", "a\nB\nc\nd\n")
    assert [(r.kind, r.old_number, r.new_number, r.text) for r in rows] == [
        ("same", 1, 1, "a"), ("removed", 2, None, "b"), ("added", None, 2, "B"),
        ("same", 3, 3, "c"), ("added", None, 4, "d")]
    long = "\n".join(map(str, range(20)))
    rows = authoring.diff(long, long.replace("10", "ten"), context=2)
    assert [(r.kind, r.count) for r in rows] == [
        ("skip", 8), ("same", 1), ("same", 1), ("removed", 1), ("added", 1), ("same", 1),
        ("same", 1), ("skip", 7)]
    assert rows[0].old_number == 1 and rows[-1].old_number == 14


@settings(max_examples=80, deadline=None)
@given(old=st.lists(st.sampled_from(["a", "b", "c", "", "中"]), max_size=12),
       new=st.lists(st.sampled_from(["a", "b", "c", "", "中"]), max_size=12))
def test_diff_rebuilds_both_sides(old: list[str], new: list[str]) -> None:
    rows = authoring.diff("\n".join(old), "\n".join(new))
    assert [r.text for r in rows if r.kind != "added"] == ["\n".join(old)][0].splitlines()
    assert [r.text for r in rows if r.kind != "removed"] == "\n".join(new).splitlines()
    assert [r.old_number for r in rows if r.old_number] == list(
        range(1, len("\n".join(old).splitlines()) + 1))


def count_matcher_steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the steps difflib's longest-match search may take (its inner loop, bounded by
    the places each searched line has in the other text), for every search made."""
    steps = [0]
    search = difflib.SequenceMatcher.find_longest_match

    def counted(self: Any, alo: int = 0, ahi: Any = None, blo: int = 0, bhi: Any = None) -> Any:
        end = len(self.a) if ahi is None else ahi
        steps[0] += sum(1 + len(self.b2j.get(self.a[i], ())) for i in range(alo, end))
        return search(self, alo, ahi, blo, bhi)

    monkeypatch.setattr(difflib.SequenceMatcher, "find_longest_match", counted)
    return steps


MANY_EQUAL_LINES = ("id: x\ny:    1\ndialogues:\n  main:\n    nodes:\n      door: {}\nx:\n"
                    + "  - a\n" * 2000)  # difflib: millions of steps, quadratic in the lines


def test_diff_of_many_equal_lines_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    steps = count_matcher_steps(monkeypatch)
    old = MANY_EQUAL_LINES
    new = old.replace("  - a\n", "  - b\n", 1000).replace("  - b\n", "  - a\n", 999)
    rows = authoring.diff(old, new)
    assert [r.text for r in rows if r.kind != "added"] == old.splitlines()
    assert [r.text for r in rows if r.kind != "removed"] == new.splitlines()
    assert [(r.kind, r.text) for r in rows if r.kind != "same"] == [
        ("removed", "  - a"), ("added", "  - b")]  # one change: found between the equal ends
    assert steps[0] <= 2 * authoring.MATCH_BUDGET


def test_a_node_edit_in_many_equal_lines_is_bounded_and_keeps_the_rest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    steps = count_matcher_steps(monkeypatch)
    out = authoring.edit_node(MANY_EQUAL_LINES, "main", "door",
                              authoring.fields_from_form({"says-zh_CN": "有人吗", "says-en": "Hi"}))
    assert out.startswith("id: x\ny:    1\n")  # the author's spacing, not ruamel's
    assert out.endswith("x:\n" + "  - a\n" * 2000)
    assert yaml.safe_load(out)["dialogues"]["main"]["nodes"]["door"]["says"] == {
        "zh_CN": "有人吗", "en": "Hi"}
    # six indentations measured, two texts matched, each within its budget
    assert steps[0] <= 10 * authoring.MATCH_BUDGET
