"""Authoring scenarios in the browser (issue 10): drafts, autosave, publish, versions pinned,
diff, import/export, duplicate, sharing and permissions, playtest, the node form, escaping."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.errors import InvalidInput
from trainer.core.scenario import loader
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.scenarios import drafts, services
from trainer.scenarios.models import ScenarioDraft, ScenarioEditor, ScenarioVersion

LIBRARY = project_root() / "scenarios"
JSON = {"Accept": "application/json"}


def create(client, csrf, scenario_id="night-tenants", zh="夜班租户", en="Night-shift tenants"):
    return client.post("/scenarios/new", data={"csrf_token": csrf(), "scenario_id": scenario_id,
                                               "title_zh": zh, "title_en": en})


def save(client, csrf, scenario_id, source, revision):
    return client.post(f"/scenarios/{scenario_id}/draft", headers=JSON, data={
        "csrf_token": csrf(), "source": source, "revision": str(revision)})


def publish(client, csrf, scenario_id, revision, changelog="First version"):
    return client.post(f"/scenarios/{scenario_id}/publish", data={
        "csrf_token": csrf(), "changelog": changelog, "revision": str(revision)})


@pytest.fixture
def trainer(login_as):
    return login_as(Role.TRAINER)


def test_new_scenario_from_the_template_opens_in_the_editor(client, csrf, trainer, db):
    assert client.get("/scenarios/new").status_code == 200
    response = create(client, csrf)
    assert response.status_code == 302
    assert response.location.endswith("/scenarios/night-tenants/edit")
    draft = db.get(ScenarioDraft, "night-tenants")
    assert draft is not None and draft.revision == 1
    assert db.get(ScenarioEditor, ("night-tenants", trainer.id)).owner
    scenario = loader.parse(draft.source)
    assert (scenario.id, scenario.title.zh, scenario.title.en) == (
        "night-tenants", "夜班租户", "Night-shift tenants")
    page = client.get("/scenarios/night-tenants/edit").get_data(as_text=True)
    assert "night-tenants" in page and 'data-test="no-problems"' in page
    assert 'data-test="node-' in page  # the graph is drawn
    listed = client.get("/scenarios").get_data(as_text=True)
    assert 'data-test="draft-night-tenants"' in listed


@pytest.mark.parametrize(("scenario_id", "status"), [("A bad id", 400), ("x", 400),
                                                      ("cooperative-family", 409)])
def test_a_new_id_must_be_valid_and_free(client, csrf, trainer, db, scenario_id, status):
    services.sync_library(db, LIBRARY)
    response = create(client, csrf, scenario_id=scenario_id)
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert "small letters" in text or "exists already" in text
    assert db.get(ScenarioDraft, scenario_id) is None


def test_autosave_keeps_any_text_and_refuses_a_stale_revision(client, csrf, trainer, db):
    create(client, csrf)
    source = db.get(ScenarioDraft, "night-tenants").source
    broken = source.replace("difficulty: ", "difficulty: [", 1)
    answer = save(client, csrf, "night-tenants", broken, 1)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["revision"] == 2 and not body["loads"]
    assert body["problems"] and body["problems"][0]["line"] > 1
    assert "not valid YAML" in body["problems"][0]["message"]
    # a save from the older text (another window) is refused, and nothing is lost
    stale = save(client, csrf, "night-tenants", source + "\n# other window\n", 1)
    assert stale.status_code == 409
    assert "changed elsewhere" in stale.get_json()["message"]
    db.expire_all()
    assert db.get(ScenarioDraft, "night-tenants").source == broken
    fixed = save(client, csrf, "night-tenants", source, 2).get_json()
    assert fixed["revision"] == 3 and fixed["loads"] and fixed["problems"] == []
    too_big = save(client, csrf, "night-tenants", "#" * (loader.MAX_BYTES + 10), 3)
    assert too_big.status_code == 400
    db.expire_all()
    assert db.get(ScenarioDraft, "night-tenants").source == source


def test_problems_come_with_their_place_and_static_checks(client, csrf, trainer, db):
    create(client, csrf)
    source = db.get(ScenarioDraft, "night-tenants").source
    scenario = loader.parse(source)
    dialogue = next(iter(scenario.dialogues.values()))
    orphan = "      orphan_node:\n        says: {zh_CN: 孤立, en: Orphan}\n        end: completed\n"
    marker = "    nodes:\n"
    assert marker in source
    changed = source.replace(marker, marker + orphan, 1)
    body = save(client, csrf, "night-tenants", changed, 1).get_json()
    messages = [p["message"] for p in body["problems"]]
    assert any("orphan_node" in m and "cannot be reached" in m for m in messages), messages
    line = next(p["line"] for p in body["problems"] if "orphan_node" in p["message"])
    assert changed.splitlines()[line - 1].strip().startswith("orphan_node"), dialogue.id


def test_publish_makes_immutable_versions_and_attempts_keep_theirs(client, csrf, trainer, db,
                                                                    make_user):
    create(client, csrf)
    published = publish(client, csrf, "night-tenants", 1, changelog="  First   version ")
    assert published.status_code == 302
    first = services.get_version(db, "night-tenants")
    assert (first.version, first.changelog, first.origin, first.published_by_id) == (
        1, "First version", "authored", trainer.id)
    # nothing changed: nothing to publish
    draft = db.get(ScenarioDraft, "night-tenants")
    assert publish(client, csrf, "night-tenants", draft.revision, "Again").status_code == 400
    # a trainee's attempt pins version 1
    cohort = accounts.create_cohort(db, actor=trainer, name="Authoring cohort", trainer=trainer)
    trainee = make_user(Role.TRAINEE)
    cohort.trainees = [trainee]
    assignment = fieldwork.assign(db, actor=trainer, cohort=cohort, version=first,
                                  mode=Mode.PRACTICE, due_on=None)
    attempt = fieldwork.start_attempt(db, trainee, assignment)
    db.commit()
    changed = draft.source.replace("Night-shift tenants", "Late-shift tenants")
    revision = save(client, csrf, "night-tenants", changed, draft.revision).get_json()["revision"]
    assert publish(client, csrf, "night-tenants", revision, "Clearer title").status_code == 302
    second = services.get_version(db, "night-tenants")
    assert second.version == 2 and second.title_en == "Late-shift tenants"
    assert loader.parse(second.source).version == 2
    db.refresh(attempt)
    assert attempt.version_id == first.id
    assert services.get_version(db, "night-tenants", 1).source == first.source
    shown = client.get("/scenarios/night-tenants?version=2").get_data(as_text=True)
    assert "Clearer title" in shown


def test_a_draft_with_problems_is_not_published(client, csrf, trainer, db):
    create(client, csrf)
    source = db.get(ScenarioDraft, "night-tenants").source
    revision = save(client, csrf, "night-tenants", source.replace("title:", "titel:", 1),
                    1).get_json()["revision"]
    response = publish(client, csrf, "night-tenants", revision)
    assert response.status_code == 400
    assert "problems" in response.get_data(as_text=True)
    assert db.scalar(select(ScenarioVersion).where(
        ScenarioVersion.scenario_id == "night-tenants")) is None
    assert publish(client, csrf, "night-tenants", revision, changelog="").status_code == 400


def test_diff_between_versions_and_the_draft(client, csrf, trainer, db):
    create(client, csrf)
    publish(client, csrf, "night-tenants", 1)
    draft = db.get(ScenarioDraft, "night-tenants")
    changed = draft.source.replace("Night-shift tenants", "Evening tenants")
    save(client, csrf, "night-tenants", changed, draft.revision)
    page = client.get("/scenarios/night-tenants/diff?a=1&b=draft").get_data(as_text=True)
    assert "diff-added" in page and "diff-removed" in page
    assert "Evening tenants" in page and "Night-shift tenants" in page
    assert client.get("/scenarios/night-tenants/diff?a=1&b=9").status_code == 404


def test_export_then_import_gives_the_same_scenario(client, csrf, trainer, db, login_as):
    services.sync_library(db, LIBRARY)
    exported = client.get("/scenarios/concealed-infant/export")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    text = exported.get_data(as_text=True)
    assert text == services.get_version(db, "concealed-infant").source
    # a trainer may not overwrite a library scenario by importing it
    denied = client.post("/scenarios/import", data={
        "csrf_token": csrf(), "file": (io.BytesIO(text.encode()), "x.yaml")})
    assert denied.status_code == 409
    # under a new id it comes in as the trainer's own draft, the same scenario but the id
    renamed = text.replace("id: concealed-infant", "id: concealed-infant-mine", 1)
    answer = client.post("/scenarios/import", data={
        "csrf_token": csrf(), "file": (io.BytesIO(renamed.encode()), "x.yaml")})
    assert answer.status_code == 302
    draft = db.get(ScenarioDraft, "concealed-infant-mine")
    assert draft.source == renamed
    assert loader.parse(draft.source).dialogues == loader.parse(text).dialogues
    # the admin imports the library file back over its draft: identical text
    login_as(Role.ADMIN)
    back = client.post("/scenarios/import", data={
        "csrf_token": csrf(), "file": (io.BytesIO(text.encode()), "x.yaml")})
    assert back.status_code == 302
    assert db.get(ScenarioDraft, "concealed-infant").source == text
    for bad in (b"\xff\xfe", b"no: id here\n"):
        refused = client.post("/scenarios/import", data={
            "csrf_token": csrf(), "file": (io.BytesIO(bad), "x.yaml")})
        assert refused.status_code == 400


def test_duplicate_a_library_scenario(client, csrf, trainer, db):
    services.sync_library(db, LIBRARY)
    latest = services.get_version(db, "nobody-home-revisit")
    response = client.post("/scenarios/nobody-home-revisit/duplicate", data={
        "csrf_token": csrf(), "version": str(latest.version), "scenario_id": "my-revisits"})
    assert response.status_code == 302
    copy = loader.parse(db.get(ScenarioDraft, "my-revisits").source)
    original = loader.parse(latest.source)
    assert (copy.id, copy.version) == ("my-revisits", 1)
    assert copy.dialogues == original.dialogues and copy.rubric == original.rubric
    # not named: the original's title marked as a copy, so the two never read alike
    assert (copy.title.zh, copy.title.en) == (f"{original.title.zh}（副本）",
                                              f"{original.title.en} (copy)")
    page = client.get(f"/scenarios/nobody-home-revisit?version={latest.version}")
    assert f'value="{original.title.en} (copy)"' in page.get_data(as_text=True)  # offered
    named = client.post("/scenarios/nobody-home-revisit/duplicate", data={
        "csrf_token": csrf(), "version": str(latest.version), "scenario_id": "night-revisits",
        "title_zh": " 夜间回访 ", "title_en": "Night revisits"})
    assert named.status_code == 302
    titled = loader.parse(db.get(ScenarioDraft, "night-revisits").source)
    assert (titled.title.zh, titled.title.en) == ("夜间回访", "Night revisits")
    too_long = client.post("/scenarios/nobody-home-revisit/duplicate", data={
        "csrf_token": csrf(), "version": str(latest.version), "scenario_id": "long-revisits",
        "title_en": "x" * 201})
    assert too_long.status_code == 400 and db.get(ScenarioDraft, "long-revisits") is None
    assert drafts.check_text(db.get(ScenarioDraft, "my-revisits").source,
                             "my-revisits").publishable


def test_who_may_edit(client, csrf, db, login_as, make_user):
    services.sync_library(db, LIBRARY)
    owner = login_as(Role.TRAINER)
    create(client, csrf)
    other = login_as(Role.TRAINER)
    assert client.get("/scenarios/night-tenants/edit").status_code == 403
    assert save(client, csrf, "night-tenants", "id: x\n", 1).status_code == 403
    assert client.get("/scenarios/cooperative-family/edit").status_code == 403
    assert client.get("/scenarios/no-such-thing/edit").status_code == 404
    # only the owner shares
    assert client.post("/scenarios/night-tenants/editors", data={
        "csrf_token": csrf(), "username": other.username}).status_code == 403
    login_as(user=owner)
    trainee = make_user(Role.TRAINEE)
    assert client.post("/scenarios/night-tenants/editors", data={
        "csrf_token": csrf(), "username": trainee.username}).status_code == 400
    assert client.post("/scenarios/night-tenants/editors", data={
        "csrf_token": csrf(), "username": other.username}).status_code == 302
    login_as(user=other)
    assert client.get("/scenarios/night-tenants/edit").status_code == 200
    login_as(user=owner)
    client.post(f"/scenarios/night-tenants/editors/{other.id}/remove",
                data={"csrf_token": csrf(), "username": "-"})
    login_as(user=other)
    assert client.get("/scenarios/night-tenants/edit").status_code == 403
    login_as(Role.ADMIN)
    assert client.get("/scenarios/cooperative-family/edit").status_code == 200
    login_as(Role.TRAINEE)
    assert client.get("/scenarios/night-tenants/edit").status_code == 403


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_text_is_escaped_everywhere(client, csrf, trainer, db):
    create(client, csrf, zh=HOSTILE, en=HOSTILE)
    draft = db.get(ScenarioDraft, "night-tenants")
    body = save(client, csrf, "night-tenants", draft.source + f"\n# {HOSTILE}\n",
                draft.revision).get_json()
    assert "<script>" not in body["html"] and "&lt;script&gt;" in body["html"]
    pages = [client.get("/scenarios/night-tenants/edit").get_data(as_text=True)]
    publish(client, csrf, "night-tenants", body["revision"])
    pages += [client.get(url).get_data(as_text=True) for url in (
        "/scenarios", "/scenarios/night-tenants")]
    db.expire_all()
    draft = db.get(ScenarioDraft, "night-tenants")
    assert draft.revision == body["revision"] + 1  # published: the version number written in
    assert f"# {HOSTILE}" in draft.source
    save(client, csrf, "night-tenants", draft.source.replace(f"# {HOSTILE}", f"# {HOSTILE}!"),
         draft.revision)
    pages.append(client.get("/scenarios/night-tenants/diff?a=1&b=draft").get_data(as_text=True))
    for number, page in enumerate(pages):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page, number


def test_playtest_from_a_middle_node_with_a_chosen_state(client, csrf, trainer, db):
    create(client, csrf)
    source = db.get(ScenarioDraft, "night-tenants").source
    scenario = loader.parse(source)
    dialogue = next(iter(scenario.dialogues.values()))
    middle = next(n for n in dialogue.nodes if n not in dialogue.entries
                  and not dialogue.nodes[n].end)
    page = client.post("/scenarios/night-tenants/playtest", data={
        "csrf_token": csrf(), "source": source, "dialogue": dialogue.id, "node": middle,
        "state": "trust=61, irritation=7"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-test="playtest-at">{middle}<' in html
    assert "61" in html and "data-action=" in html
    steps = json.loads(html.split('name="steps" value="')[1].split('"')[0].replace("&#34;", '"'))
    action = html.split('data-action="')[1].split('"')[0]
    after = client.post("/scenarios/night-tenants/playtest", data={
        "csrf_token": csrf(), "source": source, "steps": json.dumps(steps), "action": action})
    assert after.status_code == 200
    assert after.get_data(as_text=True).count('data-test="event"') > html.count(
        'data-test="event"')
    wrong = client.post("/scenarios/night-tenants/playtest", data={
        "csrf_token": csrf(), "source": source, "dialogue": dialogue.id, "node": middle,
        "state": "no_such_variable=1"})
    assert wrong.status_code == 400 and 'data-test="playtest-error"' in wrong.get_data(
        as_text=True)
    damaged = client.post("/scenarios/night-tenants/playtest", data={
        "csrf_token": csrf(), "source": source, "steps": "{not json"})
    assert damaged.status_code == 400


def test_the_bot_runs_on_demand(client, csrf, trainer, db):
    create(client, csrf)
    body = client.post("/scenarios/night-tenants/bot", headers=JSON,
                       data={"csrf_token": csrf()}).get_json()
    assert "best score" in body["html"] and 'data-test="run-bot"' not in body["html"]
    # once run, every later answer for this text shows it
    page = client.get("/scenarios/night-tenants/edit").get_data(as_text=True)
    assert "best score" in page


def test_a_node_edited_in_its_form_changes_only_that_node(client, csrf, trainer, db):
    create(client, csrf)
    source = db.get(ScenarioDraft, "night-tenants").source
    scenario = loader.parse(source)
    dialogue = next(iter(scenario.dialogues.values()))
    node = dialogue.start
    page = client.get(f"/scenarios/night-tenants/nodes/{dialogue.id}/{node}")
    assert page.status_code == 200 and 'data-test="node-form"' in page.get_data(as_text=True)
    from trainer.core.scenario import authoring

    data = authoring.form_data(authoring.node_fields(source, dialogue.id, node))
    data.update({"csrf_token": csrf(), "revision": "1", "says-en": "Who's knocking? {it's late}"})
    body = client.post(f"/scenarios/night-tenants/nodes/{dialogue.id}/{node}", headers=JSON,
                       data=data).get_json()
    assert body["revision"] == 2 and body["problems"] == []
    changed = loader.parse(body["source"])
    assert changed.dialogues[dialogue.id].nodes[node].says.en == "Who's knocking? {it's late}"
    others = [n for n in dialogue.nodes if n != node]
    assert all(changed.dialogues[dialogue.id].nodes[n] == dialogue.nodes[n] for n in others)
    assert db.get(ScenarioDraft, "night-tenants").source == body["source"]
    # a broken condition is refused with its reason, and the draft stays as it was
    data.update({"revision": "2", "actions-0-when": "{trust: [", "csrf_token": csrf()})
    refused = client.post(f"/scenarios/night-tenants/nodes/{dialogue.id}/{node}",
                          headers=JSON, data=data)
    assert refused.status_code == 400 and refused.get_json()["message"]
    db.expire_all()
    assert db.get(ScenarioDraft, "night-tenants").source == body["source"]
    missing = client.get(f"/scenarios/night-tenants/nodes/{dialogue.id}/no_such_node")
    assert missing.status_code == 404


def test_a_new_node_is_added_and_flagged_until_it_is_linked(client, csrf, trainer, db):
    create(client, csrf)
    scenario = loader.parse(db.get(ScenarioDraft, "night-tenants").source)
    dialogue = next(iter(scenario.dialogues))
    url = f"/scenarios/night-tenants/dialogues/{dialogue}/nodes"
    body = client.post(url, headers=JSON, data={"csrf_token": csrf(), "revision": "1",
                                                "node": "after_refusal"}).get_json()
    assert body["revision"] == 2 and body["node"] == "after_refusal"
    assert "after_refusal" in loader.parse(body["source"]).dialogues[dialogue].nodes
    assert any("after_refusal" in p["message"] for p in body["problems"])
    again = client.post(url, headers=JSON, data={"csrf_token": csrf(), "revision": "2",
                                                 "node": "after_refusal"})
    assert again.status_code == 409
    bad = client.post(url, headers=JSON, data={"csrf_token": csrf(), "revision": "2",
                                               "node": "Bad Node"})
    assert bad.status_code == 400
    assert client.post("/scenarios/night-tenants/dialogues/nope/nodes", headers=JSON, data={
        "csrf_token": csrf(), "revision": "2", "node": "x_y"}).status_code == 404


def test_a_playtests_steps_parse_their_text_once(monkeypatch) -> None:
    """The steps of one playtest send the same text: it is parsed once and shared (a Scenario
    is immutable); another text, or the same under another scenario, is parsed anew; a text
    with errors is refused each time and never kept."""
    parsed = []
    real_parse = loader.parse

    def counting(source, **kwargs):
        parsed.append(source)
        return real_parse(source, **kwargs)

    monkeypatch.setattr(loader, "parse", counting)
    source = (project_root() / "scenarios" / "cooperative-family.yaml").read_text("utf-8")
    first = drafts.playable(source, "cooperative-family")
    assert drafts.playable(source, "cooperative-family") is first
    assert len(parsed) == 1
    edited = source.replace("配合的家庭", "配合的一家", 1)
    assert drafts.playable(edited, "cooperative-family") is not first
    drafts.playable(source, "another-id")
    assert len(parsed) == 3
    for _ in range(2):
        with pytest.raises(InvalidInput):
            drafts.playable("id: [unclosed", "cooperative-family")
    assert len(parsed) == 5
    for n in range(drafts._PLAYABLE_KEPT):  # the oldest texts make way for newer ones
        drafts.playable(source.replace("配合的家庭", f"家庭{n}", 1), "cooperative-family")
    assert drafts.playable(source, "cooperative-family") is not first


@pytest.mark.parametrize("steps", [
    [{"action": "knock"}], [{"household": "zzz", "action": "greet"}],
    [{"household": 5, "action": "greet"}],
    [{"household": "home", "action": ["greet"]}], {"household": "home"}, [1, 2]])
def test_damaged_playtest_steps_are_a_400(client, csrf, trainer, db, steps):
    create(client, csrf)
    source = db.get(ScenarioDraft, "night-tenants").source
    answer = client.post("/scenarios/night-tenants/playtest", data={
        "csrf_token": csrf(), "source": source, "steps": json.dumps(steps), "action": "greet"})
    assert answer.status_code == 400
    assert "damaged" in answer.get_data(as_text=True)


def test_others_compare_the_published_versions_not_the_draft(client, csrf, db, login_as):
    owner = login_as(Role.TRAINER)
    create(client, csrf)
    publish(client, csrf, "night-tenants", 1)
    draft = db.get(ScenarioDraft, "night-tenants")
    revision = save(client, csrf, "night-tenants",
                    draft.source.replace("Night-shift tenants", "Evening tenants"),
                    draft.revision).get_json()["revision"]
    publish(client, csrf, "night-tenants", revision, "Second")
    db.expire_all()
    draft = db.get(ScenarioDraft, "night-tenants")
    save(client, csrf, "night-tenants", draft.source + "\n# work in progress\n", draft.revision)
    mine = client.get("/scenarios/night-tenants/diff").get_data(as_text=True)
    assert "work in progress" in mine  # the owner sees the draft against the newest version
    login_as(Role.TRAINER)
    page = client.get("/scenarios/night-tenants/diff")
    assert page.status_code == 200, owner
    text = page.get_data(as_text=True)
    assert "Evening tenants" in text and "work in progress" not in text


def test_a_library_clash_is_skipped_and_the_rest_is_synced(db, make_user, caplog, tmp_path):
    """An admin published the next number of a library scenario from the editor; the file of
    the same number that comes later is skipped with a warning, and the others still sync."""
    admin = make_user(Role.ADMIN)
    services.sync_library(db, LIBRARY)
    latest = services.get_version(db, "cooperative-family")
    drafts.save(db, admin, "cooperative-family",
                latest.source.replace("配合的家庭", "配合的王家", 1), 0)
    drafts.publish_draft(db, admin, "cooperative-family", "Renamed", 1)
    (tmp_path / "cooperative-family.yaml").write_text(latest.source.replace(
        f"version: {latest.version}", f"version: {latest.version + 1}", 1), encoding="utf-8")
    (tmp_path / "concealed-infant.yaml").write_text(
        (LIBRARY / "concealed-infant.yaml").read_text(encoding="utf-8").replace(
            "version: ", "version: 9", 1), encoding="utf-8")
    added = services.sync_library(db, tmp_path)
    assert [v.scenario_id for v in added] == ["concealed-infant"]
    assert "cooperative-family" in caplog.text and "already published" in caplog.text


def test_non_ascii_digits_are_bad_values_not_errors(client, csrf, trainer, db):
    """`²` is a digit to str.isdigit() but not to int(): it is refused as any bad value is."""
    create(client, csrf)
    publish(client, csrf, "night-tenants", 1)
    export = client.get("/scenarios/night-tenants/export?version=%C2%B2")
    assert export.status_code == 200  # like ?version=x: the newest version
    assert export.headers["Content-Disposition"].endswith('-v1.yaml"')
    assert client.get("/scenarios/night-tenants/diff?a=%C2%B2&b=draft").status_code == 404
    assert client.get("/scenarios/night-tenants/diff?a=1&b=%C2%B9").status_code == 404
    draft = db.get(ScenarioDraft, "night-tenants")
    dialogue = next(iter(loader.parse(draft.source).dialogues.values()))
    node = client.post(f"/scenarios/night-tenants/nodes/{dialogue.id}/{dialogue.start}",
                       headers=JSON, data={"csrf_token": csrf(), "revision": "²",
                                           "says-en": "x"})
    added = client.post(f"/scenarios/night-tenants/dialogues/{dialogue.id}/nodes",
                        headers=JSON, data={"csrf_token": csrf(), "revision": "²",
                                            "node": "later"})
    assert node.status_code == added.status_code == 400
    db.expire_all()
    assert db.get(ScenarioDraft, "night-tenants").revision == draft.revision


ALIAS_BOMB = "\n".join(
    ["id: night-tenants", "dialogues:", "  main:", "    nodes:", "      door:",
     "        l0: &l0 [" + ",".join(["lol"] * 10) + "]"]
    + [f"        l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 6)]
) + "\n"  # 384 bytes that stand for a million values


def test_an_alias_bomb_in_a_draft_is_refused_by_the_node_form(client, csrf, trainer, db):
    create(client, csrf)
    assert save(client, csrf, "night-tenants", ALIAS_BOMB, 1).status_code == 200  # any text
    page = client.get("/scenarios/night-tenants/nodes/main/door")
    assert page.status_code == 400 and len(page.data) < 100_000
    assert "expand to more than 100000 values" in page.get_data(as_text=True)
    for response in (client.post("/scenarios/night-tenants/nodes/main/door", headers=JSON,
                                 data={"csrf_token": csrf(), "revision": "2", "says-en": "x"}),
                     client.post("/scenarios/night-tenants/dialogues/main/nodes", headers=JSON,
                                 data={"csrf_token": csrf(), "revision": "2", "node": "x_y"})):
        assert response.status_code == 400, response.status_code
        assert "expand to more than 100000 values" in response.get_json()["message"]
    assert db.get(ScenarioDraft, "night-tenants").revision == 2


def test_the_node_form_and_diff_on_a_draft_of_many_equal_lines_are_bounded(
        client, csrf, trainer, db, monkeypatch):
    from tests.core.test_authoring import count_matcher_steps
    from trainer.core.scenario import authoring

    create(client, csrf)
    source = ("id: night-tenants\ny:    1\ndialogues:\n  main:\n    nodes:\n      door: {}\n"
              "x:\n" + "  - a\n" * 2000)
    assert save(client, csrf, "night-tenants", source, 1).status_code == 200
    steps = count_matcher_steps(monkeypatch)
    body = client.post("/scenarios/night-tenants/nodes/main/door", headers=JSON, data={
        "csrf_token": csrf(), "revision": "2", "says-zh_CN": "有人吗"}).get_json()
    assert body["revision"] == 3 and body["source"].startswith("id: night-tenants\ny:    1\n")
    assert steps[0] <= 10 * authoring.MATCH_BUDGET
    steps[0] = 0
    added = client.post("/scenarios/night-tenants/dialogues/main/nodes", headers=JSON, data={
        "csrf_token": csrf(), "revision": "3", "node": "later"}).get_json()
    assert added["revision"] == 4 and "      later:" in added["source"]
    assert steps[0] <= 10 * authoring.MATCH_BUDGET
    steps[0] = 0
    page = client.get("/scenarios/night-tenants/diff?a=draft&b=draft")
    assert page.status_code == 200 and "diff-added" not in page.get_data(as_text=True)
    assert steps[0] <= 2 * authoring.MATCH_BUDGET


def test_the_scenario_page_punctuates_each_language_as_its_own(client, trainer, db):
    """Availability and facts on a scenario's page: 、 between times and ； between weekdays
    and weekends, 个案（户）： and 。 in Chinese; ", ", "; ", " (…): " and ". " in English
    (the Chinese page read "晚上; 周末：上午, 下午" and "…时说出. 我儿子…")."""
    services.sync_library(db, LIBRARY)
    zh = client.get("/scenarios/cooperative-family",
                    headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    en = client.get("/scenarios/cooperative-family",
                    headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r"工作日：[^<;,]*；周末：[^<;,]*、", zh), "zh availability"
    assert re.search(r"weekdays: [^<；、]*; weekends: [^<；、]*, ", en), "en availability"
    assert re.search(r"</code>（[a-z-]+）：", zh) and re.search(r"</code> \([a-z-]+\): ", en)
    assert re.search(r"[^.]。<q>", zh) and ". <q>" in en and ". <q>" not in zh
