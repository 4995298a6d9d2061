"""Practice tries of a map (redraw after grading, the history of tries, the trainer's view of
the newest), regrading one map or a whole task, and the division's print export."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from trainer.accounts import services as accounts
from trainer.accounts.models import Role, User
from trainer.core.errors import Conflict, NotFound
from trainer.core.maps import division_print_svg, true_division, true_drawing
from trainer.maps import services
from trainer.maps.models import DrawingStatus, MapTask, MapTry
from trainer.worlds import services as world_services


@pytest.fixture
def world(db):
    return world_services.create_world(db, actor=None, name="Tries world",
                                       spec_data={"grids": 1, "households_max": 320}, seed=11)


@pytest.fixture
def setup(db, make_user, world):
    """A trainer's cohort with a trainee and an examiner, and the map of grid 1, area 1."""
    trainer = make_user(Role.TRAINER)
    trainee = make_user(Role.TRAINEE)
    examiner = make_user(Role.EXAMINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Tries cohort", trainer=trainer)
    cohort.trainees = [trainee]
    cohort.examiners = [examiner]
    task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0)
    return trainer, trainee, examiner, cohort, task


def perfect(task):
    return true_drawing(services.truth_of(task))


def poor(task):
    """The perfect map with only half its buildings marked."""
    drawing = perfect(task)
    buildings = [f for f in drawing["features"] if f["properties"]["kind"] == "building"]
    drop = buildings[: len(buildings) // 2]
    drawing["features"] = [f for f in drawing["features"] if f not in drop]
    return drawing


def post_json(client, csrf, url, body):
    return client.post(url, data=json.dumps(body),
                       headers={"X-CSRFToken": csrf(), "Content-Type": "application/json",
                                "Accept": "application/json"})


def submitted(db, trainee, task, drawing):
    services.save_drawing(db, trainee, task, drawing)
    return services.submit(db, trainee, task)


# Redraw ---------------------------------------------------------------------------------


def test_a_new_try_keeps_the_graded_one_and_starts_from_the_last_drawing(
        client, csrf, login_as, setup, db):
    _trainer, trainee, _examiner, _cohort, task = setup
    assert task.redraw_allowed  # map tasks are practice by default
    login_as(user=trainee)
    post_json(client, csrf, f"/training/maps/{task.id}/drawing", poor(task))
    client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert 'data-test="redraw"' in page and f"Graded by criteria version {services.GRADER}" in page
    first = services.drawing_of(db, trainee, task)
    first_score, first_drawing = first.result["total"], first.geojson
    response = client.post(f"/training/maps/{task.id}/redraw",
                           data={"csrf_token": csrf(), "start": "last"})
    assert response.status_code == 302
    db.expire_all()  # the request changed the rows behind the test's session
    drawing = services.drawing_of(db, trainee, task)
    assert drawing.status == DrawingStatus.IN_PROGRESS and drawing.result is None
    assert client.get(f"/training/maps/{task.id}/drawing").get_json()["drawing"] == first_drawing
    [kept] = services.tries_of(db, drawing)
    assert (kept.number, kept.result["total"], kept.geojson) == (1, first_score, first_drawing)
    editor = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert 'id="map-editor"' in editor and 'data-test="try-1"' in editor
    # The second try is graded on its own; the first stays in the history.
    post_json(client, csrf, f"/training/maps/{task.id}/drawing", perfect(task))
    client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    result = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert "Result: 100.0 of 100" in result
    assert 'data-test="try-2"' in result and 'data-test="try-1"' in result
    assert f"{round(first_score * 100, 1)}" in result
    db.expire_all()
    assert [number for number, _graded in services.history(db, drawing)] == [2, 1]


def test_a_trainee_opens_an_earlier_try_of_their_own_map(client, csrf, login_as, setup, db,
                                                         make_user):
    _trainer, trainee, _examiner, cohort, task = setup
    drawing = submitted(db, trainee, task, poor(task))
    first = round(drawing.result["total"] * 100, 1)
    services.redraw(db, trainee, task)
    login_as(user=trainee)
    base = f"/training/maps/{task.id}"
    # while the second try is being drawn, the first one opens from the list of tries
    editor = client.get(base).get_data(as_text=True)
    assert f'href="{base}?try=1"' in editor
    earlier = client.get(f"{base}?try=1").get_data(as_text=True)
    assert f"Result: {first} of 100" in earlier and 'data-test="shown-try"' in earlier
    assert f'src="{base}/overlay.svg?try=1"' in earlier
    assert 'data-test="redraw-form"' not in earlier and 'id="map-editor"' not in earlier
    overlay = client.get(f"{base}/overlay.svg?try=1")
    assert overlay.status_code == 200 and overlay.mimetype == "image/svg+xml"
    # the second try, submitted, is the page itself; the first stays one click away
    post_json(client, csrf, f"{base}/drawing", perfect(task))
    client.post(f"{base}/submit", data={"csrf_token": csrf()})
    newest = client.get(base).get_data(as_text=True)
    assert "Result: 100.0 of 100" in newest and f'href="{base}?try=1"' in newest
    assert f'href="{base}?try=2"' not in newest  # the try on the page is not a link
    assert f"Result: {first} of 100" in client.get(f"{base}?try=1").get_data(as_text=True)
    # no such try, a try that is not a number, another trainee's map
    assert client.get(f"{base}?try=7").status_code == 404
    assert client.get(f"{base}/overlay.svg?try=7").status_code == 404
    assert client.get(f"{base}?try=first").status_code == 400
    other = make_user(Role.TRAINEE)
    cohort.trainees.append(other)
    db.flush()
    login_as(user=other)
    assert client.get(f"{base}?try=1").status_code == 404


def test_a_blank_try_keeps_the_title_block_only(client, csrf, login_as, setup, db):
    _trainer, trainee, _examiner, _cohort, task = setup
    submitted(db, trainee, task, perfect(task))
    login_as(user=trainee)
    client.post(f"/training/maps/{task.id}/redraw", data={"csrf_token": csrf(), "start": "blank"})
    saved = client.get(f"/training/maps/{task.id}/drawing").get_json()["drawing"]
    assert saved["features"] == []
    assert saved["properties"]["title"] == perfect(task)["properties"]["title"]


def test_redraw_refusals(client, csrf, login_as, setup, db, make_user):
    trainer, trainee, _examiner, cohort, task = setup
    login_as(user=trainee)
    url = f"/training/maps/{task.id}/redraw"
    assert client.post(url, data={"csrf_token": csrf()}).status_code == 409  # nothing graded
    submitted(db, trainee, task, perfect(task))
    bad = client.post(url, data={"csrf_token": csrf(), "start": "sideways"})
    assert bad.status_code == 400 and "Choose how to start the new try" in bad.get_data(
        as_text=True)
    assert client.post(url, data={"start": "last"}).status_code == 400  # no CSRF token
    trainee.locale = "zh_CN"
    db.flush()
    chinese = client.post(url, data={"csrf_token": csrf(), "start": "sideways"})
    assert chinese.status_code == 400 and "返回首页" in chinese.get_data(as_text=True)
    assert client.post("/training/maps/999999/redraw",
                       data={"csrf_token": csrf(), "start": "last"}).status_code == 404
    # A task set as one try only.
    task.redraw_allowed = False
    db.flush()
    assert client.post(url, data={"csrf_token": csrf(), "start": "last"}).status_code == 409
    assert 'data-test="redraw"' not in client.get(f"/training/maps/{task.id}").get_data(
        as_text=True)
    db.expire_all()
    assert services.drawing_of(db, trainee, task).status == DrawingStatus.SUBMITTED
    # A trainee of another cohort does not see the task; staff cannot redraw for a trainee.
    outsider = make_user(Role.TRAINEE)
    other = accounts.create_cohort(db, actor=trainer, name="Other tries", trainer=trainer)
    other.trainees = [outsider]
    task.redraw_allowed = True
    db.flush()
    login_as(user=outsider)
    assert client.post(url, data={"csrf_token": csrf(), "start": "last"}).status_code == 404
    login_as(user=trainer)
    assert client.post(url, data={"csrf_token": csrf(), "start": "last"}).status_code == 403
    db.expire_all()
    assert services.drawing_of(db, trainee, task).status == DrawingStatus.SUBMITTED
    assert cohort.trainees == [trainee]


def test_redraw_twice_is_one_new_try_and_tries_are_capped(setup, db, monkeypatch):
    _trainer, trainee, _examiner, _cohort, task = setup
    drawing = submitted(db, trainee, task, perfect(task))
    services.redraw(db, trainee, task)
    services.redraw(db, trainee, task)  # a second click changes nothing
    assert len(services.tries_of(db, drawing)) == 1
    monkeypatch.setattr(services, "MAX_TRIES", 3)
    services.submit(db, trainee, task)
    services.redraw(db, trainee, task)
    services.submit(db, trainee, task)
    with pytest.raises(Conflict):
        services.redraw(db, trainee, task)
    assert len(services.tries_of(db, drawing)) == 2


def test_the_task_form_sets_one_try_only(client, csrf, login_as, db, world):
    trainer = login_as(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="One try", trainer=trainer)
    page = client.get(f"/cohorts/{cohort.id}/maps").get_data(as_text=True)
    assert 'name="redraw_allowed"' in page and "checked" in page
    form = {"kind": "area", "world": str(world.id), "grid": "1", "area": "1",
            "rule": "serpentine", "csrf_token": csrf()}
    assert client.post(f"/cohorts/{cohort.id}/maps", data=form).status_code == 302
    assert client.post(f"/cohorts/{cohort.id}/maps",
                       data={**form, "area": "2", "redraw_allowed": "y"}).status_code == 302
    tasks = db.scalars(select(MapTask).where(MapTask.cohort_id == cohort.id)
                       .order_by(MapTask.area)).all()
    assert [task.redraw_allowed for task in tasks] == [False, True]


# The trainer's view and regrading ---------------------------------------------------------


def test_trainers_see_the_newest_submitted_try_and_may_open_earlier_ones(
        client, login_as, setup, db):
    trainer, trainee, examiner, cohort, task = setup
    drawing = submitted(db, trainee, task, poor(task))
    low = drawing.result["total"]
    services.redraw(db, trainee, task)
    base = f"/cohorts/{cohort.id}/maps/{task.id}"
    for user in (trainer, examiner):
        login_as(user=user)
        listing = client.get(base).get_data(as_text=True)
        assert f"{round(low * 100, 1)}" in listing and "redrawing" in listing
        page = client.get(f"{base}/drawings/{drawing.id}").get_data(as_text=True)
        assert f"Result: {round(low * 100, 1)} of 100" in page  # the kept try while redrawing
    services.save_drawing(db, trainee, task, perfect(task))
    services.submit(db, trainee, task)
    login_as(user=trainer)
    newest = client.get(f"{base}/drawings/{drawing.id}").get_data(as_text=True)
    assert "Result: 100.0 of 100" in newest and 'data-test="open-try-1"' in newest
    first = client.get(f"{base}/drawings/{drawing.id}?try=1").get_data(as_text=True)
    assert f"Result: {round(low * 100, 1)} of 100" in first
    assert "overlay.svg?try=1" in first
    overlay = client.get(f"{base}/drawings/{drawing.id}/overlay.svg?try=1")
    assert overlay.status_code == 200 and overlay.mimetype == "image/svg+xml"
    assert client.get(f"{base}/drawings/{drawing.id}?try=3").status_code == 404
    for bad in ("0", "x", "-1", "99999", ""):
        response = client.get(f"{base}/drawings/{drawing.id}?try={bad}")
        assert response.status_code == 400, bad
        assert "whole number" in response.get_data(as_text=True)


def test_regrade_one_map_and_all_maps_of_a_task(client, csrf, login_as, setup, db):
    trainer, trainee, examiner, cohort, task = setup
    drawing = submitted(db, trainee, task, perfect(task))
    services.redraw(db, trainee, task)
    services.submit(db, trainee, task)
    kept = db.scalar(select(MapTry))
    base = f"/cohorts/{cohort.id}/maps/{task.id}"
    login_as(user=examiner)
    assert 'data-test="regrade"' in client.get(f"{base}/drawings/{drawing.id}").get_data(
        as_text=True)
    drawing.result = {**drawing.result, "total": 0.5, "grader": "maps-0"}
    db.flush()
    assert client.post(f"{base}/drawings/{drawing.id}/regrade").status_code == 400  # no CSRF
    response = client.post(f"{base}/drawings/{drawing.id}/regrade",
                           data={"csrf_token": csrf()})
    assert response.status_code == 302
    db.refresh(drawing)
    assert drawing.result["total"] == pytest.approx(1.0)
    assert drawing.result["grader"] == services.GRADER
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The map has been graded again." in page
    assert f"Graded by criteria version {services.GRADER}" in page
    # Regrade a kept try through ?try=, and every map of the task at once.
    kept.result = {**kept.result, "total": 0.25, "grader": "maps-0"}
    drawing.result = {**drawing.result, "total": 0.25}
    db.flush()
    assert client.post(f"{base}/drawings/{drawing.id}/regrade?try=1",
                       data={"csrf_token": csrf()}).status_code == 302
    db.refresh(kept)
    db.refresh(drawing)
    assert kept.result["total"] == pytest.approx(1.0) and drawing.result["total"] == 0.25
    login_as(user=trainer)
    assert 'data-test="regrade-all"' in client.get(base).get_data(as_text=True)
    all_of_them = client.post(f"{base}/regrade", data={"csrf_token": csrf()})
    assert all_of_them.status_code == 302
    assert "2 maps have been graded again." in client.get(
        all_of_them.headers["Location"]).get_data(as_text=True)
    db.refresh(drawing)
    assert drawing.result["total"] == pytest.approx(1.0)


def test_regrade_roles_and_bad_ids(client, csrf, login_as, setup, db, make_user, world):
    _trainer, trainee, _examiner, cohort, task = setup
    drawing = submitted(db, trainee, task, perfect(task))
    base = f"/cohorts/{cohort.id}/maps/{task.id}"
    login_as(user=trainee)
    assert client.post(f"{base}/drawings/{drawing.id}/regrade",
                       data={"csrf_token": csrf()}).status_code == 403
    assert client.post(f"{base}/regrade", data={"csrf_token": csrf()}).status_code == 403
    other_trainer = make_user(Role.TRAINER)
    other = accounts.create_cohort(db, actor=other_trainer, name="Elsewhere tries",
                                   trainer=other_trainer)
    login_as(user=other_trainer)
    assert client.post(f"{base}/drawings/{drawing.id}/regrade",
                       data={"csrf_token": csrf()}).status_code == 404
    assert client.post(f"/cohorts/{other.id}/maps/{task.id}/regrade",
                       data={"csrf_token": csrf()}).status_code == 404
    login_as(user=cohort.trainer)
    for path in (f"{base}/drawings/999999/regrade", f"/cohorts/{cohort.id}/maps/999999/regrade",
                 f"{base}/drawings/{drawing.id}/regrade?try=7"):
        assert client.post(path, data={"csrf_token": csrf()}).status_code == 404, path
    assert client.post(f"{base}/drawings/{drawing.id}/regrade?try=abc",
                       data={"csrf_token": csrf()}).status_code == 400
    services.redraw(db, trainee, task)
    services.save_drawing(db, trainee, task, perfect(task))
    kept = services.tries_of(db, drawing)[0]
    assert services.shown_try(db, drawing) is kept  # the in-progress try is not shown
    with pytest.raises(NotFound):
        services.regrade(db, task, drawing, force=True)  # nothing graded in this try yet


# The division's print export --------------------------------------------------------------


@pytest.fixture
def division(db, setup, world):
    trainer, trainee, _examiner, cohort, _task = setup
    task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0,
                             kind="division")
    return trainee, task


def test_division_exports_an_svg_with_its_areas_and_units(client, csrf, login_as, division):
    trainee, task = division
    login_as(user=trainee)
    empty = client.get(f"/training/maps/{task.id}/drawing.svg")
    assert empty.status_code == 200 and empty.mimetype == "image/svg+xml"
    assert "drawn-area" not in empty.get_data(as_text=True)
    truth = services.division_truth_of(task)
    drawing = true_division(truth)
    post_json(client, csrf, f"/training/maps/{task.id}/drawing", drawing)
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert 'data-test="export-svg"' in page and 'data-test="export-png"' in page
    svg = client.get(f"/training/maps/{task.id}/drawing.svg?download=1")
    text = svg.get_data(as_text=True)
    assert "attachment" in svg.headers["Content-Disposition"]
    assert text.count('class="drawn-area"') == len(drawing["features"])
    assert text.count('class="building"') == len(truth.buildings)
    assert "In no area: 0" in text and truth.name in text
    assert "reference-area" not in text  # the world's own division is the debrief's only
    client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    result = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert 'data-test="export-svg"' in result and 'data-test="redraw"' in result


WORDS = {"area": "Area %(number)s", "units": "%(units)s units", "areas": "Areas",
         "total": "Housing units", "free": "In no area"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=30))
def test_the_division_print_never_fails_and_escapes(division, value):
    _trainee, task = division
    truth = services.division_truth_of(task)
    drawing = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "area", "number": value},
         "geometry": value}]}
    for geojson in (value, drawing):
        svg = division_print_svg(geojson, truth, WORDS)
        assert svg.startswith("<svg") and svg.endswith("</svg>") and "<script" not in svg


def test_the_division_print_counts_each_areas_units():
    from trainer.core.maps.division import DivisionTruth, GridBuilding

    def box(x, y):
        return ((x, y), (x + 10, y), (x + 10, y + 10), (x, y + 10))

    truth = DivisionTruth(name="<网格>", boundary=((0, 0), (100, 0), (100, 50), (0, 50)),
                          buildings=(GridBuilding(0, box(10, 10), 30),
                                     GridBuilding(1, box(60, 10), 45),
                                     GridBuilding(2, box(80, 30), 7)))
    drawing = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "area", "number": 1},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [50, 0], [50, 50], [0, 50],
                                                          [0, 0]]]}},
        {"type": "Feature", "properties": {"kind": "area", "number": 2},
         "geometry": {"type": "Polygon", "coordinates": [[[50, 0], [75, 0], [75, 50],
                                                          [50, 50], [50, 0]]]}}]}
    svg = division_print_svg(drawing, truth, WORDS)
    assert "Area 1 · 30 units" in svg and "Area 2 · 45 units" in svg
    assert "In no area: 7" in svg and "&lt;网格&gt;" in svg


# A double click on "new try" -------------------------------------------------------------


@pytest.fixture
def live(tmp_path, tmp_path_factory):
    """Sessions on a database of the test's own, each committing for real (as two requests)."""
    from tests.features.live_database import migrate, separate_database
    from trainer.db import make_engine, make_sessionmaker

    with separate_database(tmp_path, tmp_path_factory, "redraw") as url:
        migrate(url)
        engine = make_engine(url)
        try:
            yield make_sessionmaker(engine)
        finally:
            engine.dispose()


def committed_task(live, label: str, drawing_of_task) -> tuple[int, int, dict]:
    """A trainer's cohort with one trainee and a map task, the trainee's drawing of it
    (`drawing_of_task(db, trainee, task)` makes it) committed: (trainee id, task id, the
    drawing as saved)."""
    with live() as db:
        trainer, _ = accounts.create_user(db, actor=None, username=f"{label}-trainer",
                                          full_name="Trainer", role=Role.TRAINER,
                                          password="correct-horse-battery")
        trainee, _ = accounts.create_user(db, actor=None, username=f"{label}-trainee",
                                          full_name="Trainee", role=Role.TRAINEE,
                                          password="correct-horse-battery")
        cohort = accounts.create_cohort(db, actor=trainer, name=label, trainer=trainer)
        cohort.trainees = [trainee]
        world = world_services.create_world(db, actor=None, name=f"{label} world",
                                            spec_data={"grids": 1, "households_max": 320},
                                            seed=11)
        task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0,
                                 area=0)
        drawing = perfect(task)
        drawing_of_task(db, trainee, task, drawing)
        db.commit()
        return trainee.id, task.id, drawing


def test_a_second_new_try_read_before_the_first_committed_makes_no_second_try(live):
    """Two redraw requests at once (a double click): the second read the drawing while it
    was still graded; it must find the first's new try under the row's lock, not keep the
    graded try twice or fail on the try's number."""
    *ids, _drawing = committed_task(live, "redraw", submitted)
    with live() as second:
        late_trainee = second.get(User, ids[0])
        late_task = second.get(MapTask, ids[1])
        read = services.drawing_of(second, late_trainee, late_task)
        assert read is not None and read.status == DrawingStatus.SUBMITTED
        with live() as first:
            services.redraw(first, first.get(User, ids[0]), first.get(MapTask, ids[1]))
            first.commit()
        services.redraw(second, late_trainee, late_task)
        second.commit()
    with live() as db:
        drawing = services.drawing_of(db, db.get(User, ids[0]), db.get(MapTask, ids[1]))
        assert drawing is not None and drawing.status == DrawingStatus.IN_PROGRESS
        assert [kept.number for kept in services.tries_of(db, drawing)] == [1]


def test_a_save_read_before_a_submission_committed_is_refused_and_the_graded_map_kept(live):
    """A save sent while the same map's submission was being graded (an autosave racing the
    Submit button): it must wait for the submission and then be refused, not change the
    drawing under its grade (PostgreSQL) or fail with a database error (SQLite)."""
    *ids, graded = committed_task(live, "race", services.save_drawing)
    with live() as second:
        late_trainee = second.get(User, ids[0])
        late_task = second.get(MapTask, ids[1])
        read = services.drawing_of(second, late_trainee, late_task)
        assert read is not None and read.status == DrawingStatus.IN_PROGRESS
        with live() as first:
            services.submit(first, first.get(User, ids[0]), first.get(MapTask, ids[1]))
            first.commit()
        with pytest.raises(Conflict):
            services.save_drawing(second, late_trainee, late_task, poor(late_task))
        second.rollback()
    with live() as db:
        drawing = services.drawing_of(db, db.get(User, ids[0]), db.get(MapTask, ids[1]))
        assert drawing is not None and drawing.status == DrawingStatus.SUBMITTED
        assert drawing.geojson == services.check_drawing(graded)
        assert drawing.saves == 1
