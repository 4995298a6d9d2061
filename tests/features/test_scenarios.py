"""The scenario library in the application: sync, catalogue, script, play, CLI, escaping."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.errors import Conflict
from trainer.core.scenario import loader
from trainer.scenarios import services
from trainer.scenarios.models import ScenarioPlay, ScenarioVersion

LIBRARY = project_root() / "scenarios"
BASELINE = LIBRARY / "cooperative-family.yaml"


def publish_baseline(db, text: str | None = None):
    scenario = loader.parse(text or BASELINE.read_text(encoding="utf-8"), file="baseline")
    return services.publish(db, scenario, actor=None)


def test_sync_publishes_the_library_once(db):
    added = services.sync_library(db, LIBRARY)
    assert {v.scenario_id for v in added} == {p.stem for p in LIBRARY.glob("*.yaml")}
    assert services.sync_library(db, LIBRARY) == []
    assert db.scalar(select(func.count(ScenarioVersion.id))) == len(added)


def test_a_changed_text_needs_a_new_version_number(db):
    publish_baseline(db)
    changed = BASELINE.read_text(encoding="utf-8").replace("配合的家庭", "配合的一家")
    with pytest.raises(Conflict):
        publish_baseline(db, changed)
    current = loader.load(BASELINE).version
    newer = publish_baseline(db, changed.replace(f"version: {current}",
                                                 f"version: {current + 1}", 1))
    assert newer is not None and newer.version == current + 1
    assert services.get_version(db, "cooperative-family").version == current + 1
    assert services.get_version(db, "cooperative-family", current).title_zh == "配合的家庭"


def test_catalogue_search_and_tag_filter(client, login_as, db):
    services.sync_library(db, LIBRARY)
    login_as(Role.TRAINER)
    page = client.get("/scenarios?lang=en").get_data(as_text=True)
    assert "cooperative-family" in page
    found = client.get("/scenarios?q=cooperative").get_data(as_text=True)
    assert "/scenarios/cooperative-family" in found
    tagged = client.get("/scenarios?tag=baseline").get_data(as_text=True)
    assert "/scenarios/cooperative-family" in tagged
    none = client.get("/scenarios?q=zzzz-no-such").get_data(as_text=True)
    assert "/scenarios/cooperative-family" not in none


def test_scenario_reads_as_a_script_with_its_graph(client, login_as, db):
    publish_baseline(db)
    login_as(Role.TRAINER)
    page = client.get("/scenarios/cooperative-family").get_data(as_text=True)
    assert 'data-test="graph"' in page and "<svg" in page
    for node in ("door", "introduced", "interview", "done"):
        assert f'id="node-main-{node}"' in page
    assert "王浩" in page or "son_away" in page  # the concealed fact is shown to trainers
    assert client.get("/scenarios/no-such-thing").status_code == 404


def play_id_of(response) -> int:
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_trainer_plays_the_baseline_to_its_debrief(client, csrf, login_as, db):
    version = publish_baseline(db)
    login_as(Role.TRAINER)
    response = client.post("/scenarios/cooperative-family/plays",
                           data={"version": str(version.id), "csrf_token": csrf()})
    assert response.status_code == 302
    play = play_id_of(response)

    def step(action, **extra):
        return client.post(f"/scenarios/plays/{play}/steps",
                           data={"household": "wang", "action": action, "csrf_token": csrf(),
                                 **extra})

    assert step("knock", day="2020-11-02", time="19:00").status_code == 302
    for action in ("greet", "show_id", "explain_purpose", "explain_legal_basis",
                   "promise_confidentiality", "ask_item:roster", "probe:members_away",
                   "read_back"):
        assert step(action).status_code == 302, action
    page = client.get(f"/scenarios/plays/{play}").get_data(as_text=True)
    assert 'data-test="debrief"' in page
    assert re.search(r"Score: 100\.0|得分：100\.0", page)
    assert len(db.get(ScenarioPlay, play).steps) == 9


def test_invalid_steps_are_refused_and_lose_nothing(client, csrf, login_as, db):
    version = publish_baseline(db)
    user = login_as(Role.TRAINER)
    play = services.start_play(db, user, version)
    url = f"/scenarios/plays/{play.id}/steps"
    ok = client.post(url, data={"household": "wang", "action": "knock", "day": "2020-11-02",
                                "time": "19:00", "csrf_token": csrf()})
    assert ok.status_code == 302
    bad = client.post(url, data={"household": "wang", "action": "fly_away",
                                 "csrf_token": csrf()})
    assert bad.status_code == 400
    assert "cannot be done at this point" in bad.get_data(as_text=True)
    early = client.post(url, data={"household": "wang", "action": "knock",
                                   "day": "2020-10-01", "time": "19:00", "csrf_token": csrf()})
    assert early.status_code in (400, 409)
    no_time = client.post(url, data={"household": "ghost", "action": "knock",
                                     "csrf_token": csrf()})
    assert no_time.status_code == 400
    db.refresh(play)
    assert len(play.steps) == 1


def test_someone_elses_play_does_not_exist_for_you(client, csrf, login_as, make_user, db):
    version = publish_baseline(db)
    other = services.start_play(db, make_user(Role.TRAINER), version)
    login_as(Role.TRAINER)
    assert client.get(f"/scenarios/plays/{other.id}").status_code == 404
    response = client.post(f"/scenarios/plays/{other.id}/steps",
                           data={"household": "wang", "action": "greet", "csrf_token": csrf()})
    assert response.status_code == 404


def test_authored_text_is_escaped_everywhere(client, csrf, login_as, db):
    hostile = '<script>alert("x")</script>'
    text = (BASELINE.read_text(encoding="utf-8")
            .replace("en: A cooperative family", f"en: '{hostile}'")
            .replace("配合的家庭", hostile.replace('"', "'"))
            .replace("谁呀？", "<img src=x onerror=alert(1)>"))
    version = publish_baseline(db, text)
    user = login_as(Role.TRAINER)
    play = services.start_play(db, user, version)
    services.play_step(db, play, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    for url in ("/scenarios", "/scenarios/cooperative-family", f"/scenarios/plays/{play.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, url
    assert "&lt;script&gt;" in client.get("/scenarios/cooperative-family").get_data(as_text=True)


def test_cli_check_passes_the_baseline_and_locates_errors(runner, tmp_path):
    good = runner.invoke(args=["scenarios", "check", "--no-bot", str(BASELINE)])
    assert good.exit_code == 0, good.output
    assert "ok" in good.output and "1 of 1" in good.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(BASELINE.read_text(encoding="utf-8").replace("do: greet, goto: introduced",
                                                                  "do: wave, goto: introduced"),
                      encoding="utf-8")
    bad = runner.invoke(args=["scenarios", "check", str(broken)])
    assert bad.exit_code == 1
    line = next(i for i, text in enumerate(broken.read_text().splitlines(), 1) if "wave" in text)
    assert f"broken.yaml:{line}:" in bad.output
    assert "unknown action 'wave'" in bad.output and "FAIL" in bad.output


def test_cli_sync_reports_new_versions(runner, app, db):
    result = runner.invoke(args=["scenarios", "sync"])
    assert result.exit_code == 0, result.output
    assert re.search(r"published cooperative-family v\d+", result.output)
    again = runner.invoke(args=["scenarios", "sync"])
    assert "0 new versions" in again.output


def test_debrief_shows_the_rubric_feedback_where_points_were_lost(client, login_as, db):
    version = publish_baseline(db)
    user = login_as(Role.TRAINER)
    play = services.start_play(db, user, version)
    for action, at in (("knock", datetime(2020, 11, 2, 19, 0)), ("show_id", None),
                       ("ask_item:roster", None), ("read_back", None), ("read_back", None)):
        services.play_step(db, play, "wang", action, at)
    page = client.get(f"/scenarios/plays/{play.id}").get_data(as_text=True)
    assert 'data-test="debrief"' in page
    assert "Hukou members living away are counted in H2b." in page  # disclosure was missed
    assert 'href="#event-' in page  # findings point at their events


def test_ids_too_large_for_the_database_are_not_found(client, login_as, db):
    publish_baseline(db)
    login_as(Role.TRAINER)
    for url in ("/scenarios/plays/99999999999999999999999", "/worlds/99999999999999999999",
                "/scenarios/cooperative-family?version=999999999999999999999999"):
        assert client.get(url).status_code == 404, url


def test_a_retried_play_step_is_stored_once(client, csrf, login_as, db):
    version = publish_baseline(db)
    play = services.start_play(db, login_as(Role.TRAINER), version)
    page = client.get(f"/scenarios/plays/{play.id}").get_data(as_text=True)
    [key] = re.findall(r'name="step_key" value="([0-9a-f]{32})"', page)
    for _ in range(2):
        response = client.post(f"/scenarios/plays/{play.id}/steps", data={
            "household": "wang", "action": "knock", "day": "2020-11-02", "time": "19:00",
            "step_key": key, "csrf_token": csrf()})
        assert response.status_code == 302
    db.refresh(play)
    assert [(s["action"], s["key"]) for s in play.steps] == [("knock", key)]
