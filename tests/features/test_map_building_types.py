"""Building types through the web: the field view tells what each building is, the editor
offers the types, the print export and the overlay draw them, and a wrong type is a finding
in the interface language."""

from __future__ import annotations

import json

import pytest

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.maps import true_drawing
from trainer.core.maps.model import BUILDING_TYPES
from trainer.maps import services
from trainer.worlds import services as world_services


@pytest.fixture
def setup(db, make_user):
    world = world_services.create_world(db, actor=None, name="Types world",
                                        spec_data={"grids": 1, "households_max": 320}, seed=11)
    trainer = make_user(Role.TRAINER)
    trainee = make_user(Role.TRAINEE)
    cohort = accounts.create_cohort(db, actor=trainer, name="Types cohort", trainer=trainer)
    cohort.trainees = [trainee]
    task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0)
    return trainee, task


def save(client, csrf, task, drawing):
    return client.post(f"/training/maps/{task.id}/drawing", data=json.dumps(drawing),
                       headers={"X-CSRFToken": csrf(), "Content-Type": "application/json"})


def test_the_field_view_and_the_editor_offer_the_types(client, login_as, setup):
    trainee, task = setup
    login_as(user=trainee)
    field = client.get(f"/training/maps/{task.id}/field.json").get_json()
    assert len(field["signs"]) == len(field["buildings"])
    assert set(field["signs"]) <= {"", "dormitory", "work_shed", "care_home", "shop_home",
                                   "shop"}
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert 'id="mark-type"' in page and "data-msg-sign-care_home" in page
    for name in BUILDING_TYPES:
        assert f'<option value="{name}">' in page


def test_a_wrong_type_is_a_finding_and_the_export_draws_types(client, csrf, login_as, setup,
                                                              db):
    trainee, task = setup
    truth = services.truth_of(task)
    drawing = true_drawing(truth)
    marks = [f for f in drawing["features"] if f["properties"]["kind"] == "building"]
    marks[0]["properties"]["building_type"] = (
        "public" if truth.buildings[0].type != "public" else "other")
    login_as(user=trainee)
    assert save(client, csrf, task, drawing).status_code == 200
    svg = client.get(f"/training/maps/{task.id}/drawing.svg").get_data(as_text=True)
    assert svg.count('data-type="') == len(marks)
    assert "Public building" in svg and "Residential" in svg  # the legend lists the types used
    client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert "Building 1 is marked as a public building; it is" in page
    assert 'data-test="type-legend"' in page
    overlay = client.get(f"/training/maps/{task.id}/overlay.svg").get_data(as_text=True)
    assert 'data-code="building_type_wrong"' in overlay and 'data-type="public"' in overlay
    trainee.locale = "zh_CN"
    db.flush()
    chinese = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert "%(" not in chinese


def test_a_bad_type_saves_and_reads_as_a_warning(client, csrf, login_as, setup):
    trainee, task = setup
    drawing = true_drawing(services.truth_of(task))
    mark = next(f for f in drawing["features"] if f["properties"]["kind"] == "building")
    mark["properties"]["building_type"] = "<castle>"
    login_as(user=trainee)
    assert save(client, csrf, task, drawing).status_code == 200
    client.post(f"/training/maps/{task.id}/submit", data={"csrf_token": csrf()})
    page = client.get(f"/training/maps/{task.id}").get_data(as_text=True)
    assert "a type the map does not know" in page and "<castle>" not in page
