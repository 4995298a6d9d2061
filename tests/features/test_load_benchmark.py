"""benchmarks/load.py's payloads and its check of what was lost, against the real routes:
what the load sends for the listing walk, the register and the small-area map is accepted
(200, as the load expects), and the row or drawing it then expects to find is the stored one;
one value off is reported missing."""

from __future__ import annotations

import json

from benchmarks.load import (
    MAP_SCENARIO,
    Walk,
    listing_fields,
    map_drawing,
    map_missing,
    missing_from,
    register_row,
)
from tests.features.test_routes import assign_baseline, baseline_play
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.listing import _walk
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services


def attempts(db, make_user, trainee):
    """A baseline attempt and a map exercise's attempt of the trainee."""
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Load", trainer=trainer)
    cohort.trainees = [trainee]
    baseline = services.start_attempt(
        db, trainee, assign_baseline(db, trainer, cohort, baseline_play(db, trainer).version))
    scenario = loader.load(project_root() / "scenarios" / MAP_SCENARIO)
    version = scenario_services.publish(db, scenario, actor=None)
    mapped = services.start_attempt(db, trainee, services.assign(
        db, actor=trainer, cohort=cohort, version=version, mode=Mode.PRACTICE, due_on=None))
    return baseline, mapped


def walk_of(attempt) -> Walk:
    visit = services.replay_attempt(attempt)
    building = next(b for b in _walk(attempt, visit).buildings if "wang" in b.units)
    return Walk(building.number, visit.households["wang"].truth.unit)


def test_the_walks_and_the_registers_saves_store_what_the_load_expects(client, csrf, login_as,
                                                                       make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt, _mapped = attempts(db, make_user, trainee)
    walk = walk_of(attempt)
    hx = {"HX-Request": "true"}
    listed = client.post(f"/training/attempts/{attempt.id}/listing?building={walk.building}",
                         data={"csrf_token": csrf(), **listing_fields(walk, "王户7", 3)},
                         headers=hx)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    db.refresh(attempt)
    row = attempt.register["wang"]
    assert not missing_from(row, register_row("listing", walk, "王户7", 3))
    assert missing_from(row, register_row("listing", walk, "王户8", 3))
    assert missing_from(row, register_row("listing", walk, "王户7", 4))
    assert missing_from(row, register_row("register", None, "王户7", None))  # status kept
    registered = client.post(f"/training/attempts/{attempt.id}/register", headers=hx, data={
        "csrf_token": csrf(), "rows-0-unit_id": "wang", "rows-0-head": "王9"})
    assert registered.status_code == 200
    db.refresh(attempt)
    row = attempt.register["wang"]  # the register page's save replaced the walk's row
    assert not missing_from(row, register_row("register", None, "王9", None))
    assert missing_from(row, register_row("listing", walk, "王9", 3))
    assert missing_from(None, register_row("register", None, "王9", None))


def test_the_map_saves_store_what_the_load_expects(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _attempt, mapped = attempts(db, make_user, trainee)
    for buildings in (1, 24):
        saved = client.post(f"/training/attempts/{mapped.id}/map/drawing",
                            data=json.dumps(map_drawing(f"普查小区图 {buildings}", buildings)),
                            headers={"Content-Type": "application/json",
                                     "Accept": "application/json", "X-CSRFToken": csrf()})
        assert saved.status_code == 200 and saved.get_json()["saved"] is True
        db.refresh(mapped)
        assert not map_missing(mapped.map_drawing, (f"普查小区图 {buildings}", buildings))
    assert map_missing(mapped.map_drawing, ("普查小区图 24", 23))
    assert map_missing(mapped.map_drawing, ("普查小区图 1", 24))
    assert map_missing(None, ("普查小区图 24", 24))
