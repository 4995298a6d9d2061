"""The work an autosave, the editor page and a playtest do on a draft (no timings: the work is
counted in characters handed to the YAML parsers, as tests/security/test_authoring_bounds.py
does; `python -m benchmarks.authoring` measures the seconds).

A draft's text is parsed once per request (`loader.read` hands its composed document and
positions on to the static checks and the panels), and the problems, graph places, variables
and texts are those the editor found when every one of them read the text again. A draft
over drafts.LIVE_BYTES or LIVE_VALUES is saved at once and checked when its author asks.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from sqlalchemy import select

from tests.features.test_authoring import ALIAS_BOMB, JSON, LIBRARY, create, publish, save
from tests.security.test_authoring_bounds import count_parsed, large_draft
from trainer.accounts.models import Role
from trainer.core.scenario import authoring, checks, loader
from trainer.core.scenario.loader import Reader, ScenarioError, ScenarioInvalid, YamlLoader
from trainer.scenarios import drafts
from trainer.scenarios.models import ScenarioDraft, ScenarioVersion

ID = "night-tenants"
TEMPLATE = authoring.template(ID, "夜班租户", "Night-shift tenants")


@pytest.fixture
def trainer(login_as):
    return login_as(Role.TRAINER)


# --- the same findings as when every reader read the text itself ----------------------------

def parse_as_before(text: str, file: str) -> loader.Scenario:
    """loader.parse as it was: composed for the count and the positions, then loaded again
    from the text for the data."""
    if len(text.encode("utf-8")) > loader.MAX_BYTES:
        raise ScenarioInvalid([ScenarioError(file, 1, 1, "", "the file is larger than %(limit)s KB",
                                             {"limit": loader.MAX_BYTES // 1024})])
    try:
        composed = yaml.compose(text, Loader=YamlLoader)
        if composed is not None and loader.expanded_size(composed) > loader.MAX_NODES:
            raise ScenarioInvalid([ScenarioError(
                file, 1, 1, "", "the aliases (*name) of this file expand to more than "
                "%(limit)s values", {"limit": loader.MAX_NODES})])
        data = loader._plain(yaml.load(text, Loader=YamlLoader))  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioInvalid([ScenarioError(file, line, column, "", "not valid YAML: "
                                             "%(problem)s", {"problem": problem})]) from exc
    except (ValueError, OverflowError) as exc:
        raise ScenarioInvalid([ScenarioError(file, 1, 1, "", "not valid YAML: %(problem)s",
                                             {"problem": str(exc)})]) from exc
    marks: dict[Any, tuple[int, int]] = {}
    duplicates: list[Any] = []
    if composed is not None:
        loader.positions(composed, (), marks, duplicates)
    reader = Reader(file, marks)
    for path, _mark in duplicates:
        reader.error(path, "'%(key)s' is given twice", at_key=True, key=path[-1])
    if reader.errors:
        raise ScenarioInvalid(reader.errors)
    if not isinstance(data, dict):
        reader.error((), "a scenario file is a mapping of keys such as id, title, world")
        raise ScenarioInvalid(reader.errors)
    reader.check_schema(data)
    if reader.errors:
        raise ScenarioInvalid(reader.errors)
    scenario = loader._build(data, reader, text)
    if reader.errors:
        raise ScenarioInvalid(reader.errors)
    return scenario


def findings_before(source: str, scenario_id: str) -> dict[str, Any]:
    """What the editor showed before: every reader (checks, places, variables, texts) read
    the text again."""
    name = f"{scenario_id}.yaml"
    try:
        scenario = parse_as_before(source, name)
    except ScenarioInvalid as invalid:
        return {"errors": invalid.errors}
    errors = checks.check(scenario, name)
    if scenario.id != scenario_id:
        errors.insert(0, ScenarioError(name, 1, 1, "id", "the id must stay '%(id)s'; "
                                       "duplicate the scenario to make another",
                                       {"id": scenario_id}))
    return {"errors": errors, "scenario": scenario, "places": drafts.node_places(scenario),
            "variables": authoring.variable_index(scenario), "texts": authoring.texts(source)}


def findings_now(source: str, scenario_id: str) -> dict[str, Any]:
    """What the editor shows now, from one read of the text."""
    report = drafts.check_text(source, scenario_id)
    if report.parsed is None:
        return {"errors": report.errors}
    parsed = report.parsed
    return {"errors": report.errors, "scenario": parsed.scenario,
            "places": drafts.node_places(parsed.scenario, parsed.marks),
            "variables": authoring.variable_index(parsed.scenario, marks=parsed.marks),
            "texts": authoring.texts(source, document=parsed.document)}


MERGED = TEMPLATE.replace(
    "        says: {zh_CN: 谁呀？, en: \"Who is it?\"}   # quote English with ?, : or #",
    "        says: &who {zh_CN: 谁呀？, en: \"Who is it?\"}").replace(
    "        says: {zh_CN: 不客气，慢走。, en: \"You're welcome. Goodbye.\"}",
    "        says: {<<: *who, en: \"You're welcome. Goodbye.\"}").replace(
    "            reply: {zh_CN: 对，没错。, en: \"Yes, that's right.\"}",
    "            reply: {<<: [*who], zh_CN: 对，没错。}")
VARIANTS = {
    "template": TEMPLATE,
    "merge keys": MERGED,  # PyYAML flattens merges into the composed nodes it constructs from
    "not yaml": TEMPLATE.replace("  units: [home]", "  units: [home"),
    "a key twice": TEMPLATE.replace("minutes: 10", "minutes: 10\nminutes: 12"),
    "schema": TEMPLATE.replace("difficulty: 1 ", "difficulty: 9 "),
    "unknown action": TEMPLATE.replace("{do: greet, goto: interview}", "{do: wave}"),
    "other id": TEMPLATE.replace("id: night-tenants", "id: day-tenants"),
    "static problems": TEMPLATE.replace(
        "      done:", "      orphan:\n        says: {zh_CN: 嗯, en: Hm}\n"
        "        actions: [{do: greet, when: {trust: '> 90', visit: '== 7'}}]\n      done:"),
    "a bad date": TEMPLATE.replace("first_day: 2020-11-02", "first_day: 2020-02-30"),
    "a list": "- 1\n- 2\n",
    "empty": "",
    "alias bomb": ALIAS_BOMB,
}


@pytest.mark.parametrize("name", [*sorted(VARIANTS), *sorted(
    p.name for p in LIBRARY.glob("*.yaml"))])
def test_the_same_findings_as_when_each_reader_read_the_text(name):
    source = VARIANTS[name] if name in VARIANTS else (LIBRARY / name).read_text(encoding="utf-8")
    scenario_id = ID if name in VARIANTS else name.removesuffix(".yaml")
    before, now = findings_before(source, scenario_id), findings_now(source, scenario_id)
    assert now == before
    # the library and the two sound variants load with no problem; the others have some
    assert bool(now["errors"]) == (name in VARIANTS and name not in ("template", "merge keys"))
    assert ("scenario" in now) == (name not in VARIANTS or name in (
        "template", "merge keys", "other id", "static problems"))
    if "scenario" in now:  # something to compare: texts, and a place for every node
        assert now["texts"] and all(now["places"].values())
    if name == "merge keys":  # the merged texts are listed as written
        assert [t.en for t in now["texts"] if t.field == "says"][-1] == "You're welcome. Goodbye."


@pytest.mark.parametrize("kb", [24, 128, 512])
def test_the_same_findings_on_large_drafts(kb):
    source = large_draft(kb * 1024 - 2048, ID)
    changed = source.replace("goto: n0007", "goto: n9999")  # a broken link mid-way
    found = {}
    for text in (source, changed):
        found[text] = before = findings_before(text, ID)
        assert findings_now(text, ID) == before
    assert found[changed]["errors"] and not found[source]["errors"]


# --- one parse per request; a large draft's save and page parse nothing ------------------------

def test_an_autosave_and_the_page_parse_a_draft_once(client, csrf, trainer, db, monkeypatch):
    create(client, csrf)
    source = large_draft(drafts.LIVE_BYTES - 4096)  # the largest a save still checks
    parsed = count_parsed(monkeypatch)
    body = save(client, csrf, ID, source, 1).get_json()
    assert parsed[0] == len(source)  # was six times: the size and alias checks, two YAML
    # loads, the static checks, the graph's places, the variables and the texts each read it
    assert body["revision"] == 2 and body["loads"] and body["problems"] == []
    assert body["note"] == "" and 'data-test="graph-main"' in body["html"]
    parsed[0] = 0
    page = client.get(f"/scenarios/{ID}/edit").get_data(as_text=True)
    assert parsed[0] == len(source)
    assert 'data-test="graph-main"' in page and 'data-test="large-draft"' not in page
    parsed[0] = 0
    played = client.post(f"/scenarios/{ID}/playtest", data={
        "csrf_token": csrf(), "source": source, "steps": "[]", "dialogue": "main",
        "node": "n0003"})
    assert played.status_code == 200 and parsed[0] == len(source)  # no static checks either


def test_a_large_draft_is_saved_at_once_and_checked_when_asked(client, csrf, trainer, db,
                                                                monkeypatch):
    create(client, csrf)
    source = large_draft(loader.MAX_BYTES - 4096)
    parsed = count_parsed(monkeypatch)
    body = save(client, csrf, ID, source, 1).get_json()
    assert parsed[0] == 0  # stored, not read
    assert body["revision"] == 2 and body["deferred"] and "html" not in body
    assert "over 64 KB or 5000 values" in body["note"] and "not the text as it stands" in body[
        "note"]
    db.expire_all()
    assert db.get(ScenarioDraft, ID).source == source  # every character typed is kept
    page = client.get(f"/scenarios/{ID}/edit").get_data(as_text=True)
    assert parsed[0] == 0
    assert 'data-test="large-draft"' in page and page.count('data-test="not-checked"') == 4
    assert 'data-test="check-now"' in page and 'data-test="graph-main"' not in page
    assert source.split("\n")[-2] in page  # the text itself is all there, to be edited
    checked = client.post(f"/scenarios/{ID}/check", headers=JSON,
                          data={"csrf_token": csrf()}).get_json()
    assert parsed[0] == len(source)  # the check reads it once, in full
    assert checked["problems"] == [] and checked["loads"]
    assert 'data-test="graph-main"' in checked["html"] and "n0100" in checked["html"]
    assert "Checked at revision 2." in checked["note"]
    parsed[0] = 0
    page = client.get(f"/scenarios/{ID}/edit?check=1").get_data(as_text=True)  # no script
    assert parsed[0] == len(source) and 'data-test="graph-main"' in page
    assert "Checked at revision 2." in page
    broken = source.replace("goto: n0007", "goto: n9999")
    assert save(client, csrf, ID, broken, 2).get_json()["deferred"]
    checked = client.post(f"/scenarios/{ID}/check", headers=JSON,
                          data={"csrf_token": csrf()}).get_json()
    assert [p["message"] for p in checked["problems"]] == [
        e.text().split(": ", 2)[2] for e in findings_before(broken, ID)["errors"]]


def test_the_note_is_in_the_trainers_language(client, csrf, trainer, db):
    create(client, csrf)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    body = save(client, csrf, ID, large_draft(drafts.LIVE_BYTES + 4096), 1).get_json()
    assert "本草稿超过 64 KB 或 5000 个值" in body["note"]
    page = client.get(f"/scenarios/{ID}/edit").get_data(as_text=True)
    assert "立即检查草稿" in page and "尚未检查" in page


def test_a_small_draft_of_many_values_waits_for_its_check_too(client, csrf, trainer, db,
                                                               monkeypatch):
    create(client, csrf)
    many = TEMPLATE + "extra: &x [" + ", ".join(["v"] * 100) + "]\n" + "".join(
        f"more{i}: *x\n" for i in range(60))  # about 6,000 values in under 2 KB
    constructed = [0]
    build = loader._BuildingLoader.construct_document

    def counted(self, node):
        constructed[0] += 1
        return build(self, node)

    monkeypatch.setattr(loader._BuildingLoader, "construct_document", counted)
    body = save(client, csrf, ID, many, 1).get_json()
    assert body["deferred"] and constructed[0] == 0  # counted, not built
    checked = client.post(f"/scenarios/{ID}/check", headers=JSON,
                          data={"csrf_token": csrf()}).get_json()
    assert constructed[0] == 1 and "unknown key 'extra'" in checked["problems"][0]["message"]


def test_a_draft_near_the_loaders_limit_still_publishes(client, csrf, trainer, db):
    create(client, csrf)
    source = large_draft(loader.MAX_BYTES - 4096)
    assert save(client, csrf, ID, source, 1).status_code == 200
    assert publish(client, csrf, ID, 2).status_code == 302
    version = db.scalars(select(ScenarioVersion).where(ScenarioVersion.scenario_id == ID)).one()
    assert version.version == 1 and len(version.source) == len(source)
