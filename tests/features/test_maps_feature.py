"""Map tasks and drawings: set a task, the field view hides the truth, saving (good, bad and
huge bodies), privacy between cohorts and trainees, submitting and grading, exports."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.errors import Conflict, Forbidden, InvalidInput
from trainer.core.maps import true_drawing
from trainer.maps import services
from trainer.maps.models import DrawingStatus, MapDrawing, MapTask
from trainer.worlds import services as world_services


@pytest.fixture
def world(db):
    return world_services.create_world(db, actor=None, name="Map world",
                                       spec_data={"grids": 1, "households_max": 320}, seed=11)


@pytest.fixture
def setup(db, make_user, world):
    """A trainer's cohort with one trainee and a map task of grid 1, area 1."""
    trainer = make_user(Role.TRAINER)
    trainee = make_user(Role.TRAINEE)
    cohort = accounts.create_cohort(db, actor=trainer, name="Map cohort", trainer=trainer)
    cohort.trainees = [trainee]
    task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0)
    return trainer, trainee, cohort, task


def perfect(task):
    return true_drawing(services.truth_of(task))


def post_json(client, csrf, url, body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data=data, headers={"X-CSRFToken": csrf(),
                                                "Content-Type": "application/json",
                                                "Accept": "application/json", **headers})


# Tasks ---------------------------------------------------------------------------------


def test_trainer_sets_a_task_through_the_form(client, csrf, login_as, db, world):
    trainer = login_as(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Form cohort", trainer=trainer)
    page = client.get(f"/cohorts/{cohort.id}/maps").get_data(as_text=True)
    assert "Map world" in page and "Set a map task" in page
    form = {"world": str(world.id), "grid": "1", "area": "1", "rule": "serpentine",
            "due_on": "2099-01-01"}
    response = client.post(f"/cohorts/{cohort.id}/maps", data={**form, "csrf_token": csrf()})
    assert response.status_code == 302
    [task] = services.tasks_of(db, cohort)
    assert (task.grid, task.area, task.rule, task.due_on.isoformat()) == (
        0, 0, "serpentine", "2099-01-01")
    again = client.post(f"/cohorts/{cohort.id}/maps", data={**form, "csrf_token": csrf()})
    assert again.status_code == 409 and "already a task" in again.get_data(as_text=True)
    far = client.post(f"/cohorts/{cohort.id}/maps",
                      data={**form, "area": "999", "csrf_token": csrf()})
    assert far.status_code == 400 and "This grid has areas 1 to" in far.get_data(as_text=True)
    grid = client.post(f"/cohorts/{cohort.id}/maps",
                       data={**form, "grid": "7", "csrf_token": csrf()})
    assert grid.status_code == 400 and "grids 1 to 1" in grid.get_data(as_text=True)
    rule = client.post(f"/cohorts/{cohort.id}/maps",
                       data={**form, "area": "2", "rule": "zigzag", "csrf_token": csrf()})
    assert rule.status_code == 400
    past = client.post(f"/cohorts/{cohort.id}/maps",
                       data={**form, "area": "2", "due_on": "2020-01-01", "csrf_token": csrf()})
    assert past.status_code == 400 and "cannot be in the past" in past.get_data(as_text=True)
    assert db.scalar(select(func.count(MapTask.id))) == 1
    assert "Map world" in client.get(f"/cohorts/{cohort.id}/maps").get_data(as_text=True)


def test_only_the_cohorts_trainer_sets_tasks(db, make_user, world):
    owner, stranger = make_user(Role.TRAINER), make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=owner, name="Owned", trainer=owner)
    with pytest.raises(Forbidden):
        services.set_task(db, actor=stranger, cohort=cohort, world=world, grid=0, area=0)
    with pytest.raises(InvalidInput):
        services.set_task(db, actor=owner, cohort=cohort, world=world, grid=0, area=0,
                          rule="zigzag")
    services.set_task(db, actor=make_user(Role.ADMIN), cohort=cohort, world=world, grid=0,
                      area=0)
    with pytest.raises(Conflict):
        services.set_task(db, actor=owner, cohort=cohort, world=world, grid=0, area=0)


def test_trainee_lists_their_tasks(client, login_as, setup):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    page = client.get("/training/maps").get_data(as_text=True)
    assert f'data-test="map-task-{task.id}"' in page
    assert services.briefing(task, english=True)["title"] in page


# The field view ------------------------------------------------------------------------


def test_field_view_shows_the_ground_but_not_the_truth(client, login_as, setup):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    view = client.get(f"/training/maps/{task.id}/field.json").get_json()
    grid, area = services.grid_and_area(task)
    assert len(view["buildings"]) == len(grid.buildings)
    assert {f["name"] for f in view["features"]} == {f.name for f in grid.features}
    text = json.dumps(view, ensure_ascii=False)
    for forbidden in ('"area"', '"number"', '"code"', "outline", area.code):
        assert forbidden not in text
    outline = [[round(x, 2), round(y, 2)] for x, y in area.outline]
    assert outline not in [f["coordinates"] for f in view["features"]]
    # the footprints are not in the generator's (numbering) order
    own = [[[round(x, 2), round(y, 2)] for x, y in grid.buildings[i].footprint]
           for i in area.buildings]
    positions = [view["buildings"].index(ring) for ring in own]
    assert positions == sorted(positions, key=lambda p: (-view["buildings"][p][0][1],
                                                         view["buildings"][p][0][0]))
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert area.boundary_text(english=True) in page
    assert str(area.outline[0]) not in page


# Saving ----------------------------------------------------------------------------------


def test_saving_keeps_the_last_good_drawing(client, csrf, login_as, setup, db):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    url = f"/training/maps/{task.id}/drawing"
    assert client.get(url).get_json() == {"drawing": None, "saves": 0, "submitted": False}
    good = perfect(task)
    response = post_json(client, csrf, url, good)
    assert response.status_code == 200 and response.get_json()["saved"] is True
    assert response.get_json()["message"].startswith("Saved at")

    bad_bodies = [
        ("not json at all", 400),
        (b"\xff\xfe\x00", 400),
        ({"type": "Feature"}, 400),
        ({"type": "FeatureCollection", "features": "no"}, 400),
        ({"type": "FeatureCollection", "features": [], "properties": {"building_total": -3}},
         400),
        ({"type": "FeatureCollection", "features": [],
          "properties": {"title": "x" * 201}}, 400),
        ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
         '{"type": "Point", "coordinates": [NaN, 1]}, "properties": {}}]}', 400),
        ({"type": "FeatureCollection",
          "features": [{"type": "Feature", "properties": {"kind": "building"}}] * 5001}, 413),
        ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
            "kind": "landmark", "label": "x" * 300}}] * 4000}, 413),
    ]
    for body, status in bad_bodies:
        refused = post_json(client, csrf, url, body)
        assert refused.status_code == status, body if isinstance(body, str) else status
        assert refused.get_json()["saved"] is False and refused.get_json()["error"]
    header = post_json(client, csrf, url, {"type": "FeatureCollection", "features": [],
                                           "properties": {"building_total": "many"}})
    assert header.get_json()["field"] == "building_total"
    assert "whole number" in header.get_json()["error"]
    huge = client.post(url, data=b"{" + b" " * 3_000_000 + b"}",
                       headers={"X-CSRFToken": csrf(), "Content-Type": "application/json",
                                "Accept": "application/json"})
    assert huge.status_code == 413
    no_token = client.post(url, data=json.dumps(good),
                           headers={"Content-Type": "application/json"})
    assert no_token.status_code == 400
    stored = client.get(url).get_json()
    assert stored["saves"] == 1
    assert stored["drawing"]["features"] == good["features"]
    assert stored["drawing"]["properties"]["title"] == good["properties"]["title"]


def test_a_trainee_sees_only_their_own_drawing_and_cohort(client, csrf, login_as, setup, db,
                                                          make_user, world):
    trainer, trainee, cohort, task = setup
    classmate = make_user(Role.TRAINEE)
    cohort.trainees = [trainee, classmate]
    services.save_drawing(db, classmate, task, perfect(task))
    outsider = make_user(Role.TRAINEE)
    other = accounts.create_cohort(db, actor=trainer, name="Other cohort", trainer=trainer)
    other.trainees = [outsider]
    login_as(user=trainee)
    assert client.get(f"/training/maps/{task.id}/drawing").get_json()["drawing"] is None
    assert client.get(f"/training/maps/{task.id}/overlay.svg").status_code == 404
    login_as(user=outsider)
    for path in ("", "/field.json", "/drawing", "/drawing.svg", "/overlay.svg"):
        assert client.get(f"/training/maps/{task.id}{path}").status_code == 404, path
    assert post_json(client, csrf, f"/training/maps/{task.id}/drawing",
                     perfect(task)).status_code == 404
    assert client.post(f"/training/maps/{task.id}/submit",
                       data={"csrf_token": csrf()}).status_code == 404
    assert f"map-task-{task.id}" not in client.get("/training/maps").get_data(as_text=True)


# Submitting and grading ----------------------------------------------------------------


def test_submit_grades_a_perfect_drawing_high_and_locks_it(client, csrf, login_as, setup, db):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    nothing = client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    assert nothing.status_code == 302
    assert "nothing has been saved" in client.get(nothing.headers["Location"]).get_data(
        as_text=True)
    post_json(client, csrf, f"/training/maps/{task.id}/drawing", perfect(task))
    assert client.post(f"/training/maps/{task.id}/submit").status_code == 400  # no token
    response = client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    assert response.status_code == 302
    drawing = db.scalar(select(MapDrawing).where(MapDrawing.trainee_id == trainee.id))
    assert drawing.status == DrawingStatus.SUBMITTED
    assert drawing.result["total"] >= 0.95 and drawing.result["grader"] == services.GRADER
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert 'data-test="map-result"' in page and "Result: 100.0 of 100" in page
    assert "The boundary follows the area&#39;s true boundary" in page
    assert f"/training/maps/{task.id}/overlay.svg" in page
    overlay = client.get(f"/training/maps/{task.id}/overlay.svg")
    assert overlay.mimetype == "image/svg+xml" and overlay.data.startswith(b"<svg")
    again = post_json(client, csrf, f"/training/maps/{task.id}/drawing",
                      {"type": "FeatureCollection", "features": []})
    assert again.status_code == 409  # a submitted map cannot change
    assert client.get(f"/training/maps/{task.id}/drawing").get_json()["submitted"] is True
    assert client.post(f"/training/maps/{task.id}/submit",
                       data={"csrf_token": csrf()}).status_code == 302  # idempotent


def test_findings_are_translated_and_an_empty_map_scores_low(client, csrf, login_as, setup,
                                                            db):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    post_json(client, csrf, f"/training/maps/{task.id}/drawing",
              {"type": "FeatureCollection", "features": [
                  {"type": "Feature", "properties": {"kind": "building", "number": 1},
                   "geometry": {"type": "Point", "coordinates": [5000, 5000]}}]})
    client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    drawing = db.scalar(select(MapDrawing).where(MapDrawing.trainee_id == trainee.id))
    assert drawing.result["total"] < 0.3
    english = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    trainee.locale = "zh_CN"
    db.flush()
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert "%(" not in page and "%(" not in english
    assert "结果" in page and "边界" in page  # the result page and a finding, in Chinese


def test_grade_is_the_core_grade(setup):
    _trainer, _trainee, _cohort, task = setup
    result = services.grade(task, perfect(task))
    assert result.total == pytest.approx(1.0)


# Exports -------------------------------------------------------------------------------


def test_svg_export_is_made_from_the_drawing_only_and_escapes_text(client, csrf, login_as,
                                                                  setup):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    empty = client.get(f"/training/maps/{task.id}/drawing.svg")
    assert empty.status_code == 200 and empty.mimetype == "image/svg+xml"
    drawing = perfect(task)
    drawing["features"].append({"type": "Feature", "properties": {
        "kind": "landmark", "label": "<script>alert(1)</script>"},
        "geometry": {"type": "Point", "coordinates": [10, 10]}})
    post_json(client, csrf, f"/training/maps/{task.id}/drawing", drawing)
    svg = client.get(f"/training/maps/{task.id}/drawing.svg?download=1")
    text = svg.get_data(as_text=True)
    assert "attachment" in svg.headers["Content-Disposition"]
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert drawing["properties"]["title"] in text
    assert "N 北" in text  # the north arrow
    truth = services.truth_of(task)
    assert text.count("<circle") == truth.building_total  # one numbered mark a building


# The trainer's and the examiner's view ---------------------------------------------------


def test_trainer_and_examiner_see_the_results_of_their_cohort(client, csrf, login_as, setup,
                                                              db, make_user, world):
    trainer, trainee, cohort, task = setup
    examiner = make_user(Role.EXAMINER)
    cohort.examiners = [examiner]
    waiting = make_user(Role.TRAINEE)
    cohort.trainees = [trainee, waiting]
    services.save_drawing(db, trainee, task, perfect(task))
    drawing = services.submit(db, trainee, task)
    base = f"/cohorts/{cohort.id}/maps/{task.id}"
    for user in (trainer, examiner):
        login_as(user=user)
        page = client.get(base).get_data(as_text=True)
        assert f'data-test="result-{trainee.username}"' in page
        assert f'data-test="trainee-{waiting.username}"' in page and "not started" in page
        result = client.get(f"{base}/drawings/{drawing.id}").get_data(as_text=True)
        assert "Result: 100.0 of 100" in result and trainee.full_name in result
        overlay = client.get(f"{base}/drawings/{drawing.id}/overlay.svg")
        assert overlay.status_code == 200 and overlay.mimetype == "image/svg+xml"
    other_trainer = make_user(Role.TRAINER)
    other = accounts.create_cohort(db, actor=other_trainer, name="Elsewhere",
                                   trainer=other_trainer)
    other_task = services.set_task(db, actor=other_trainer, cohort=other, world=world, grid=0,
                                   area=0)
    login_as(user=other_trainer)
    assert client.get(base).status_code == 404  # not their cohort
    assert client.get(f"/cohorts/{other.id}/maps/{task.id}").status_code == 404
    assert client.get(f"/cohorts/{other.id}/maps/{other_task.id}/drawings/{drawing.id}"
                      ).status_code == 404  # a drawing of another task
    assert "Map tasks" in client.get("/maps/cohorts").get_data(as_text=True)


def test_every_numbering_rule_has_a_label_in_both_languages(app) -> None:
    """The task form offers every registered numbering rule by its label, never its key
    ("free" was offered as the word itself, on the Chinese form too)."""
    from flask_babel import force_locale

    from trainer.core.maps.numbering import NUMBERING_RULES
    from trainer.maps.forms import RULE_LABELS

    assert set(RULE_LABELS) == set(NUMBERING_RULES)
    with app.test_request_context(), force_locale("zh_CN"):
        chinese = {name: str(label) for name, label in RULE_LABELS.items()}
    assert all(label != name and not label.isascii() for name, label in chinese.items())
