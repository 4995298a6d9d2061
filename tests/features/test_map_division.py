"""Grid-division tasks: a trainer sets one through the map-task form, the trainee's field view
shows every building's housing units, saving (bad GeoJSON is refused and the last save kept),
submitting and the graded result with its overlay, and who may see what."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.errors import Conflict, InvalidInput, NotFound
from trainer.core.maps import true_division
from trainer.maps import services
from trainer.maps.demo import DIVISION_GRID
from trainer.maps.models import DrawingStatus, MapDrawing, MapTask
from trainer.worlds import services as world_services


@pytest.fixture
def world(db):
    return world_services.create_world(db, actor=None, name="Division world",
                                       spec_data={"grids": 1, "households_max": 320}, seed=11)


@pytest.fixture
def setup(db, make_user, world):
    """A trainer's cohort with one trainee and the division of grid 1 as a task."""
    trainer = make_user(Role.TRAINER)
    trainee = make_user(Role.TRAINEE)
    cohort = accounts.create_cohort(db, actor=trainer, name="Division cohort", trainer=trainer)
    cohort.trainees = [trainee]
    task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0,
                             kind=services.DIVISION, target_units=80)
    return trainer, trainee, cohort, task


def perfect(task):
    return true_division(services.division_truth_of(task))


def post_json(client, csrf, url, body):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data=data, headers={"X-CSRFToken": csrf(),
                                                "Content-Type": "application/json",
                                                "Accept": "application/json"})


# Setting the task ------------------------------------------------------------------------


def test_trainer_sets_a_division_through_the_form(client, csrf, login_as, db, world):
    trainer = login_as(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Form cohort", trainer=trainer)
    page = client.get(f"/cohorts/{cohort.id}/maps").get_data(as_text=True)
    assert "Divide a whole grid into areas" in page
    form = {"kind": "division", "world": str(world.id), "grid": "1", "area": "",
            "rule": "serpentine", "target_units": "90", "due_on": "2099-01-01"}
    response = client.post(f"/cohorts/{cohort.id}/maps", data={**form, "csrf_token": csrf()})
    assert response.status_code == 302
    [task] = services.tasks_of(db, cohort)
    assert (task.kind, task.grid, task.area, task.target_units) == ("division", 0, -1, 90)
    listed = client.get(f"/cohorts/{cohort.id}/maps").get_data(as_text=True)
    assert "Divide the grid into areas of about 90 housing units" in listed
    again = client.post(f"/cohorts/{cohort.id}/maps", data={**form, "csrf_token": csrf()})
    assert again.status_code == 409 and "Dividing this grid is already" in again.get_data(
        as_text=True)
    small = client.post(f"/cohorts/{cohort.id}/maps",
                        data={**form, "target_units": "5", "csrf_token": csrf()})
    assert small.status_code == 400
    # An area's map of the same grid is another task, and still needs its area.
    area = client.post(f"/cohorts/{cohort.id}/maps",
                       data={**form, "kind": "area", "csrf_token": csrf()})
    assert area.status_code == 400 and "Give the area" in area.get_data(as_text=True)
    area = client.post(f"/cohorts/{cohort.id}/maps",
                       data={**form, "kind": "area", "area": "1", "csrf_token": csrf()})
    assert area.status_code == 302
    kinds = sorted(task.kind for task in services.tasks_of(db, cohort))
    assert kinds == ["area", "division"]
    bad = client.post(f"/cohorts/{cohort.id}/maps",
                      data={**form, "kind": "puzzle", "csrf_token": csrf()})
    assert bad.status_code == 400


def test_set_task_checks_kind_target_and_duplicates(db, make_user, world):
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Checks", trainer=trainer)
    with pytest.raises(InvalidInput):
        services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0,
                          kind="puzzle")
    with pytest.raises(InvalidInput):
        services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0,
                          kind=services.DIVISION, target_units=10_000)
    task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=5,
                             kind=services.DIVISION)
    assert (task.area, task.target_units) == (services.DIVISION_AREA, 80)
    with pytest.raises(Conflict):
        services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0,
                          kind=services.DIVISION, target_units=100)


# The trainee's editor and field view ---------------------------------------------------------


def test_the_field_view_shows_every_building_with_its_units(client, login_as, setup):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    listed = client.get("/training/maps").get_data(as_text=True)
    assert 'data-test="division-tag"' in listed
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert 'id="division-editor"' in page and "maps/division.js" in page
    truth = services.division_truth_of(task)
    assert f"holds {truth.unit_total} housing units" in page
    view = client.get(f"/training/maps/{task.id}/field.json").get_json()
    assert len(view["units"]) == len(view["buildings"]) == len(truth.buildings)
    assert sum(view["units"]) == truth.unit_total and view["target"] == 80
    assert view["outline"][2] == list(world_services.grid(task.world, 0).size)
    text = json.dumps(view, ensure_ascii=False)
    assert '"area"' not in text and '"number"' not in text  # nor the world's own division


def test_saving_refuses_bad_geojson_and_keeps_the_last_save(client, csrf, login_as, setup):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    url = f"/training/maps/{task.id}/drawing"
    good = perfect(task)
    assert post_json(client, csrf, url, good).status_code == 200
    for body, status in [("not json", 400), ({"type": "Feature"}, 400),
                         ({"type": "FeatureCollection", "features": "no"}, 400),
                         ('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                          '"geometry": {"type": "Polygon", "coordinates": [[[NaN, 1]]]}, '
                          '"properties": {"kind": "area"}}]}', 400),
                         ({"type": "FeatureCollection", "features": [
                             {"type": "Feature", "properties": {"kind": "area"}}] * 5001},
                          413)]:
        refused = post_json(client, csrf, url, body)
        assert refused.status_code == status
        assert refused.get_json()["saved"] is False and refused.get_json()["error"]
    stored = client.get(url).get_json()
    assert stored["saves"] == 1 and stored["drawing"]["features"] == good["features"]
    # A half-drawn division (an area of nothing, no number) saves as it is.
    half = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "area"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [5, 0], [0, 5], [0, 0]]]}}]}
    assert post_json(client, csrf, url, half).status_code == 200


# Submitting and the result ---------------------------------------------------------------------


def test_submitting_the_worlds_division_scores_full_marks(client, csrf, login_as, setup, db):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    post_json(client, csrf, f"/training/maps/{task.id}/drawing", perfect(task))
    response = client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    assert response.status_code == 302
    drawing = db.scalar(select(MapDrawing).where(MapDrawing.trainee_id == trainee.id))
    assert drawing.status == DrawingStatus.SUBMITTED
    assert drawing.result["total"] == pytest.approx(1.0)
    assert drawing.result["grader"] == services.DIVISION_GRADER
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert "Result: 100.0 of 100" in page and 'data-test="area-sizes"' in page
    assert "Each area holds about the target number of housing units" in page
    assert "The boundaries follow roads and go round buildings" in page
    overlay = client.get(f"/training/maps/{task.id}/overlay.svg")
    assert overlay.mimetype == "image/svg+xml" and b'class="drawn-area"' in overlay.data
    assert post_json(client, csrf, f"/training/maps/{task.id}/drawing",
                     perfect(task)).status_code == 409


def test_a_poor_division_gets_findings_in_chinese(client, csrf, login_as, setup, db):
    _trainer, trainee, _cohort, task = setup
    login_as(user=trainee)
    drawing = perfect(task)
    del drawing["features"][0]  # an area left out: its buildings are in no area
    drawing["features"][0]["properties"]["number"] = None
    post_json(client, csrf, f"/training/maps/{task.id}/drawing", drawing)
    client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    stored = db.scalar(select(MapDrawing).where(MapDrawing.trainee_id == trainee.id))
    assert stored.result["total"] < 0.9
    codes = [f["code"] for c in stored.result["criteria"].values() for f in c["findings"]]
    assert "building_unassigned" in codes and "area_unnumbered" in codes
    english = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert "is in no area" in english
    trainee.locale = "zh_CN"
    db.flush()
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert "%(" not in page and "%(" not in english and "结果" in page
    svg = client.get(f"/training/maps/{task.id}/overlay.svg").get_data(as_text=True)
    assert 'class="finding finding-error"' in svg


def test_grade_dispatches_on_the_kind(setup):
    _trainer, _trainee, _cohort, task = setup
    result = services.grade(task, perfect(task))
    assert result.total == pytest.approx(1.0)
    assert set(result.scores) == {"balance", "coverage", "contiguity", "boundaries"}
    with pytest.raises(NotFound):
        services.truth_of(task)  # a division has no single area


# Who sees what -----------------------------------------------------------------------------


def test_access_by_role(client, csrf, login_as, setup, db, make_user):
    trainer, trainee, cohort, task = setup
    examiner = make_user(Role.EXAMINER)
    cohort.examiners = [examiner]
    services.save_drawing(db, trainee, task, perfect(task))
    drawing = services.submit(db, trainee, task)
    base = f"/cohorts/{cohort.id}/maps/{task.id}"
    for user in (trainer, examiner):
        login_as(user=user)
        page = client.get(base).get_data(as_text=True)
        assert "Division of" in page and f'data-test="result-{trainee.username}"' in page
        result = client.get(f"{base}/drawings/{drawing.id}").get_data(as_text=True)
        assert "Result: 100.0 of 100" in result and trainee.full_name in result
        overlay = client.get(f"{base}/drawings/{drawing.id}/overlay.svg")
        assert overlay.status_code == 200 and b"reference-area" in overlay.data
        assert client.get(f"/training/maps/{task.id}").status_code == 403  # not a trainee
    outsider = make_user(Role.TRAINEE)
    login_as(user=outsider)
    for path in ("", "/field.json", "/drawing", "/overlay.svg"):
        assert client.get(f"/training/maps/{task.id}{path}").status_code == 404, path
    assert post_json(client, csrf, f"/training/maps/{task.id}/drawing",
                     perfect(task)).status_code == 404
    assert client.get(base).status_code in (403, 404)
    stranger = make_user(Role.TRAINER)
    login_as(user=stranger)
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/drawings/{drawing.id}/overlay.svg").status_code == 404


def test_the_demo_sets_a_division(app, db):
    from trainer.accounts import demo as accounts_demo
    from trainer.maps import demo as maps_demo
    from trainer.worlds import demo as worlds_demo

    with app.app_context():
        accounts_demo.seed(db)
        worlds_demo.seed(db)
        maps_demo.seed(db)
        maps_demo.seed(db)  # idempotent
    tasks = db.scalars(select(MapTask).where(MapTask.kind == "division")).all()
    assert [(task.grid, task.area, task.target_units) for task in tasks] == [
        (DIVISION_GRID, services.DIVISION_AREA, 80)]
    assert len(db.scalars(select(MapTask)).all()) == 2  # and the area's map
