"""The work one authoring request may do on a large draft is bounded (no timings here: the
work is counted in characters handed to the YAML parsers and in the line matcher's steps;
`python -m benchmarks.authoring` measures the seconds).

The node form (its page, a node's save, a new node) round-trips the whole draft about eight
times, so it is offered for drafts up to authoring.MAX_EDIT_BYTES and MAX_EDIT_VALUES; a
larger draft is refused with a localised message naming the limits, and stays as saved.
"""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.core.test_authoring import count_matcher_steps
from tests.features.test_authoring import JSON, create, save
from trainer.accounts.models import Role
from trainer.core.scenario import authoring, loader
from trainer.scenarios.models import ScenarioDraft

ID = "night-tenants"
KB, VALUES = authoring.MAX_EDIT_BYTES // 1024, authoring.MAX_EDIT_VALUES
LIMITS = f"{KB} KB and {VALUES} values"


@pytest.fixture
def trainer(login_as):
    return login_as(Role.TRAINER)


ASKS = "我们家的情况你都知道了，还要问什么？请说明为什么要登记这些信息，我们的隐私怎么保护。"


def large_draft(size: int, scenario_id: str = ID) -> str:
    """The starter scenario with a chain of nodes with long texts between its door and its
    ending, grown to about `size` bytes (about 50 values a KB, as in the library's
    scenarios); it loads and passes the checks."""
    base = authoring.template(scenario_id, "夜班租户", "Night-shift tenants")
    head, tail = base.split("      done:", 1)
    head = head.replace("goto: done", "goto: n0000")
    nodes: list[str] = []
    while len((head + "".join(nodes) + tail).encode()) < size - 800:
        n = len(nodes)
        nodes.append(
            f"      n{n:04d}:\n"
            f"        says:\n"
            f"          zh_CN: 第{n}段：{ASKS}\n"
            f"          en: \"Part {n}: you know all about our family; why is this recorded?\"\n"
            f"        actions:\n"
            f"          - {{do: explain_purpose, reply: {{zh_CN: 好吧。, en: All right.}}}}\n"
            f"          - do: promise_confidentiality\n"
            f"            effects: {{trust: 5}}\n"
            f"          - {{do: read_back, goto: n{n + 1:04d}}}\n")
    nodes[-1] = nodes[-1].replace(f"goto: n{len(nodes):04d}", "goto: done")
    return head + "".join(nodes) + "      done:" + tail


def count_parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Characters handed to a YAML parser (PyYAML's, as the loader uses it, or ruamel's
    round-trip load), summed over every parse."""
    parsed = [0]
    init = loader.YamlLoader.__init__
    load = YAML.load

    def counted_init(self: Any, stream: Any) -> None:
        parsed[0] += len(stream)
        init(self, stream)

    def counted_load(self: Any, stream: Any) -> Any:
        parsed[0] += len(stream)
        return load(self, stream)

    monkeypatch.setattr(loader.YamlLoader, "__init__", counted_init)
    monkeypatch.setattr(YAML, "load", counted_load)
    return parsed


def node_requests(client, csrf, revision: int) -> list[Any]:
    return [client.get(f"/scenarios/{ID}/nodes/main/door"),
            client.post(f"/scenarios/{ID}/nodes/main/door", headers=JSON, data={
                "csrf_token": csrf(), "revision": str(revision), "says-zh_CN": "有人吗",
                "says-en": "Anyone home?", "actions-0-do": "greet", "actions-0-goto": "interview"}),
            client.post(f"/scenarios/{ID}/dialogues/main/nodes", headers=JSON, data={
                "csrf_token": csrf(), "revision": str(revision), "node": "later"})]


def test_a_draft_near_the_size_limit_is_refused_by_the_node_form_before_it_is_parsed(
        client, csrf, trainer, db, monkeypatch):
    create(client, csrf)
    source = large_draft(loader.MAX_BYTES - 4096)
    assert authoring.MAX_EDIT_BYTES < len(source.encode()) <= loader.MAX_BYTES
    assert save(client, csrf, ID, source, 1).status_code == 200  # the text editor keeps it
    parsed = count_parsed(monkeypatch)
    page, node, added = node_requests(client, csrf, 2)
    assert parsed[0] == 0  # refused on its size alone: no YAML read, let alone eight times
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert 'data-test="node-form-refused"' in text and "<html" not in text  # a panel fragment
    assert "too large for the node form" in text and LIMITS in text
    for answer in (node, added):
        assert answer.status_code == 400
        assert f"{LIMITS}: edit it in the text" in answer.get_json()["message"]
    db.expire_all()
    draft = db.get(ScenarioDraft, ID)
    assert (draft.revision, draft.source) == (2, source)


def test_the_refusal_is_in_the_trainers_language(client, csrf, trainer, db):
    create(client, csrf)
    source = large_draft(authoring.MAX_EDIT_BYTES + 2048)
    assert save(client, csrf, ID, source, 1).status_code == 200
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page, node, _added = node_requests(client, csrf, 2)
    assert "该草稿太大，无法用节点表单编辑" in page.get_data(as_text=True)
    assert f"{KB} KB、{VALUES} 个值" in node.get_json()["message"]
    assert db.get(ScenarioDraft, ID).source == source


def test_a_small_draft_of_too_many_values_is_refused_before_the_round_trip(
        client, csrf, trainer, db, monkeypatch):
    create(client, csrf)
    source = db.get(ScenarioDraft, ID).source.replace(
        "tags: [draft]", "tags: [" + ", ".join(["t"] * authoring.MAX_EDIT_VALUES) + "]")
    assert len(source.encode()) < authoring.MAX_EDIT_BYTES
    assert save(client, csrf, ID, source, 1).status_code == 200
    round_trips = [0]
    load = YAML.load
    monkeypatch.setattr(YAML, "load", lambda self, stream: (
        round_trips.__setitem__(0, round_trips[0] + 1), load(self, stream))[1])
    for answer in node_requests(client, csrf, 2):
        assert answer.status_code == 400
        assert f"{VALUES} values" in answer.get_data(as_text=True)
    assert round_trips[0] == 0  # the compose every reader does first counted the values
    assert db.get(ScenarioDraft, ID).revision == 2


def test_a_node_of_a_draft_just_under_the_limit_saves_with_bounded_work(
        client, csrf, trainer, db, monkeypatch):
    create(client, csrf)
    source = large_draft(authoring.MAX_EDIT_BYTES - 1024)
    assert authoring.MAX_EDIT_BYTES - 2048 < len(source.encode()) <= authoring.MAX_EDIT_BYTES
    assert save(client, csrf, ID, source, 1).status_code == 200
    parsed, steps = count_parsed(monkeypatch), count_matcher_steps(monkeypatch)
    page, node, _added = node_requests(client, csrf, 2)
    assert page.status_code == 200 and 'value="n0000"' in page.get_data(as_text=True)
    assert node.status_code == 200, node.get_data(as_text=True)
    body = node.get_json()
    assert body["revision"] == 3 and body["problems"] == []
    door = loader.parse(body["source"]).dialogues["main"].nodes["door"]
    assert (door.says.zh, door.says.en) == ("有人吗", "Anyone home?")
    keep = "      interview:"  # everything after the edited node, byte for byte
    assert body["source"][body["source"].index(keep):] == source[source.index(keep):]
    # The page, the save and its answer (the checks and panels of the new text): each YAML
    # pass reads the draft once, and there are a fixed number of them.
    assert parsed[0] <= 16 * authoring.MAX_EDIT_BYTES
    assert steps[0] <= 10 * authoring.MATCH_BUDGET


def test_the_core_refuses_node_edits_past_the_limits_but_publishing_writes_any_draft() -> None:
    source = large_draft(authoring.MAX_EDIT_BYTES + 4096)
    fields = authoring.fields_from_form({"says-en": "Hi"})
    for edit in (lambda: authoring.node_fields(source, "main", "door"),
                 lambda: authoring.edit_node(source, "main", "door", fields),
                 lambda: authoring.add_node(source, "main", "later")):
        with pytest.raises(authoring.InvalidInput) as refused:
            edit()
        assert refused.value.field == "node"
        assert refused.value.params == {"kb": KB, "values": VALUES}
    assert loader.parse(authoring.set_version(source, 2)).version == 2  # publish's rewrite
