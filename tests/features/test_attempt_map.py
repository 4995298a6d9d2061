"""The small-area map of an attempt through the test client: the page and its field view, saves
(and refusals that keep the last good save), only the attempt's own trainee, read-only after
submission, and the debrief's map findings with the overlay."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime, timedelta

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.grading.maps import RUBRIC_NAMES, map_truth
from trainer.core.maps import true_drawing
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.maps.services import MAX_DRAWING_BYTES
from trainer.scenarios import services as scenario_services

TEXT = (project_root() / "scenarios" / "village-map.yaml").read_text(encoding="utf-8")
SCENARIO = loader.parse(TEXT, "village-map.yaml")


def start(db, make_user, trainee, examiner=None, mode=Mode.PRACTICE, **options):
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Map cohort", trainer=trainer)
    cohort.trainees = [trainee]
    cohort.examiners = [examiner] if examiner is not None else []
    version = scenario_services.publish(db, loader.parse(TEXT), actor=None)
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                 mode=mode, due_on=None, **options)
    return services.start_attempt(db, trainee, assignment)


def save(client, csrf, attempt, data, **headers):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(f"/training/attempts/{attempt.id}/map/drawing", data=body,
                       headers={"Content-Type": "application/json", "X-CSRFToken": csrf(),
                                "Accept": "application/json", **headers})


def perfect(attempt):
    truth = map_truth(SCENARIO, attempt.seed)
    assert truth is not None
    return true_drawing(truth)


def test_the_map_page_shows_the_editor_the_area_and_the_field_view(client, login_as,
                                                                    make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee)
    page = client.get(f"/training/attempts/{attempt.id}/map").get_data(as_text=True)
    assert 'id="map-editor"' in page and "maps/editor.js" in page
    assert f"/training/attempts/{attempt.id}/map/field.json" in page
    assert "北起" in page or "North" in page  # the boundary in words (四至)
    # building types are graded (a share of coverage): the mark panel offers them, and the
    # field view tells what each building is
    assert 'data-test="mark-type"' in page and 'value="residential"' in page
    assert "data-msg-sign-" in page
    field = client.get(f"/training/attempts/{attempt.id}/map/field.json").get_json()
    assert len(field["buildings"]) == 3 and field["features"]
    assert len(field["signs"]) == 3
    assert "outline" not in field  # no truth: no area outline, no numbers
    attempt_page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert f'href="/training/attempts/{attempt.id}/map"' in attempt_page
    walk = client.get(f"/training/attempts/{attempt.id}/listing").get_data(as_text=True)
    assert 'data-test="to-map"' in walk
    drawing = client.get(f"/training/attempts/{attempt.id}/map/drawing").get_json()
    assert drawing == {"drawing": None, "submitted": False}


def test_a_save_stores_the_drawing_and_a_refused_one_keeps_the_last(client, csrf, login_as,
                                                                    make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee)
    good = perfect(attempt)
    answer = save(client, csrf, attempt, good)
    assert answer.status_code == 200 and answer.get_json()["saved"] is True
    db.refresh(attempt)
    assert attempt.map_drawing["features"] == good["features"]
    again = copy.deepcopy(good)
    again["properties"]["drafter"] = "王芳"
    assert save(client, csrf, attempt, again).status_code == 200  # the autosave of an edit
    for bad in ("not json", json.dumps({"type": "Feature"}),
                json.dumps({"type": "FeatureCollection", "features": "x"}),
                json.dumps({"type": "FeatureCollection", "features": [],
                            "properties": {"building_total": "many"}}),
                json.dumps({"type": "FeatureCollection", "features": [],
                            "properties": {"title": "x" * 5000}})):
        refused = save(client, csrf, attempt, bad)
        assert refused.status_code == 400, bad
        assert refused.get_json()["saved"] is False and refused.get_json()["error"]
    huge = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "route"}, "geometry": {
            "type": "LineString", "coordinates": [[i, i] for i in range(90_000)]}}]})
    assert len(huge) > MAX_DRAWING_BYTES
    assert save(client, csrf, attempt, huge).status_code == 413
    # a body of unknown length (chunked) is refused unread, with its reason
    chunked = client.post(f"/training/attempts/{attempt.id}/map/drawing",
                          input_stream=io.BytesIO(json.dumps(good).encode()),
                          headers={"Content-Type": "application/json", "X-CSRFToken": csrf(),
                                   "Accept": "application/json",
                                   "Transfer-Encoding": "chunked"})
    assert chunked.status_code == 413 and "length" in chunked.get_json()["error"]
    db.refresh(attempt)
    assert attempt.map_drawing["properties"]["drafter"] == "王芳"
    assert attempt.map_drawing["features"] == good["features"]


def test_only_the_attempt_s_trainee_draws_it_and_an_exercise_without_a_map_has_none(
        client, csrf, login_as, make_user, db):
    owner = make_user(Role.TRAINEE)
    attempt = start(db, make_user, owner)
    login_as(Role.TRAINEE)  # another trainee
    for url in ("", "/field.json", "/drawing", "/drawing.svg"):
        assert client.get(f"/training/attempts/{attempt.id}/map{url}").status_code == 404
    assert save(client, csrf, attempt, perfect(attempt)).status_code == 404
    login_as(Role.EXAMINER)
    assert client.get(f"/training/attempts/{attempt.id}/map").status_code == 403
    assert save(client, csrf, attempt, perfect(attempt)).status_code == 403
    db.refresh(attempt)
    assert attempt.map_drawing is None
    login_as(user=owner)
    plain = (project_root() / "scenarios" / "cooperative-family.yaml").read_text("utf-8")
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Plain", trainer=trainer)
    cohort.trainees = [owner]
    version = scenario_services.publish(db, loader.parse(plain), actor=None)
    other = services.start_attempt(db, owner, services.assign(
        db, actor=trainer, cohort=cohort, version=version, mode=Mode.PRACTICE, due_on=None))
    assert client.get(f"/training/attempts/{other.id}/map").status_code == 404
    assert save(client, csrf, other, perfect(attempt)).status_code == 404
    assert "/map" not in client.get(f"/training/attempts/{other.id}").get_data(as_text=True) \
        .split('data-test="listing"')[1].split("</ul>")[0]


def test_after_submission_the_map_is_read_only_and_graded_in_the_debrief(
        client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    examiner = make_user(Role.EXAMINER)
    attempt = start(db, make_user, trainee, examiner)
    drawing = perfect(attempt)
    drawing["properties"]["household_total"] = 2  # the register will list three
    assert save(client, csrf, attempt, drawing).status_code == 200
    db.refresh(attempt)
    services.save_register(db, attempt, services.register_truth(
        services.replay_attempt(attempt)))
    db.commit()
    assert client.post(f"/training/attempts/{attempt.id}/submit",
                       data={"csrf_token": csrf()}).status_code == 302
    db.refresh(attempt)
    criteria = attempt.score["criteria"]
    assert all(criteria[name]["applicable"] for name in RUBRIC_NAMES)
    assert [f["map"]["code"] for f in criteria["map_elements"]["findings"]] == [
        "household_total_wrong"]
    # stored in both languages, like every other finding (exports and the API read `text`)
    chinese, english = criteria["map_elements"]["findings"][0]["text"]
    assert "2" in english and "household" in english and chinese != english
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
    assert criteria["map_numbering"]["score"] == 1.0
    late = save(client, csrf, attempt, perfect(attempt))
    assert late.status_code == 409 and late.get_json()["saved"] is False
    db.refresh(attempt)
    assert attempt.map_drawing["properties"]["household_total"] == 2
    page = client.get(f"/training/attempts/{attempt.id}/map").get_data(as_text=True)
    assert 'data-test="map-read-only"' in page and 'id="map-editor"' not in page
    assert client.get(f"/training/attempts/{attempt.id}/map/drawing.svg").status_code == 200
    debrief = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="map-overlay"' in debrief and "<svg" in debrief
    assert 'data-test="debrief-map_elements"' in debrief
    assert "The map gives 2 households" in debrief or "图上" in debrief
    login_as(user=examiner)  # the examiner's review page shows the same overlay
    review = client.get(f"/review/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="map-overlay"' in review and "The map gives 2 households" in review


def test_a_map_never_drawn_is_graded_zero_with_a_finding(client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee)
    services.submit(db, attempt)
    for name in RUBRIC_NAMES:
        result = attempt.score["criteria"][name]
        assert result["applicable"] and result["score"] == 0.0
        [found] = result["findings"]  # pointing at the area itself (the overlay's marker)
        assert found["map"]["code"] == "not_drawn"


def test_when_an_exam_s_time_is_up_a_save_is_refused_and_the_map_kept(
        client, csrf, login_as, make_user, db, monkeypatch):
    begin = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    monkeypatch.setattr(services, "utc_now", lambda: begin)
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, mode=Mode.EXAM, time_limit_minutes=30,
                    world="shared", today=begin.date())
    drawing = perfect(attempt)  # the shared world's own area, whatever its seed
    assert save(client, csrf, attempt, drawing).status_code == 200
    monkeypatch.setattr(services, "utc_now", lambda: begin + timedelta(minutes=31))
    late = save(client, csrf, attempt, {"type": "FeatureCollection", "features": []})
    assert late.status_code == 409 and "Time is up" in late.get_json()["error"]
    db.refresh(attempt)
    assert attempt.map_drawing["features"] == drawing["features"]
    assert attempt.score is not None and attempt.score["criteria"]["map_coverage"]["score"] == 1


def _crossing_route(attempt, count):
    """A route of `count` random points across the area: it crosses itself ~count² / 10
    times (the review's grading bomb, finding F1)."""
    import random

    import shapely
    x0, y0, x1, y1 = shapely.Polygon(map_truth(SCENARIO, attempt.seed).boundary).bounds
    chance = random.Random(1)
    return {"type": "Feature", "properties": {"kind": "route"},
            "geometry": {"type": "LineString", "coordinates": [
                [round(chance.uniform(x0, x1), 1), round(chance.uniform(y0, y1), 1)]
                for _ in range(count)]}}


def test_a_route_too_complex_to_grade_is_refused_on_save_and_graded_quickly_if_stored(
        client, csrf, login_as, make_user, db):
    """Security review F1: grading a self-crossing route cost the square of its crossings
    (1,500 points: seconds; 19,000: 20 GB). Saving refuses it with a 400 naming the limit and
    keeps the last good save; one stored before the limit grades as a finding, quickly."""
    import time

    from trainer.core.maps.complexity import MAX_CROSSINGS
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee)
    good = perfect(attempt)
    assert save(client, csrf, attempt, good).status_code == 200
    bomb = copy.deepcopy(good)
    bomb["features"] = [f for f in bomb["features"] if f["properties"]["kind"] != "route"]
    bomb["features"].append(_crossing_route(attempt, 1500))
    refused = save(client, csrf, attempt, bomb)
    assert refused.status_code == 400 and refused.get_json()["saved"] is False
    assert f"{MAX_CROSSINGS:,}" in refused.get_json()["error"] or str(
        MAX_CROSSINGS) in refused.get_json()["error"]
    db.refresh(attempt)
    assert attempt.map_drawing["features"] == good["features"]
    attempt.map_drawing = bomb  # stored before the limit existed
    db.commit()
    started = time.time()
    assert client.post(f"/training/attempts/{attempt.id}/submit",
                       data={"csrf_token": csrf()}).status_code == 302
    assert time.time() - started < 2
    db.refresh(attempt)
    route = attempt.score["criteria"]["map_route"]
    assert route["score"] == 0
    assert [f["map"]["code"] for f in route["findings"]] == ["too_complex"]
