"""The overlay of a submitted map draws the stored result: the grader runs once, at submit,
and again only when its version changed or a regrade is asked for."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.maps import true_division, true_drawing
from trainer.core.maps.division_overlay import division_overlay_svg
from trainer.core.maps.overlay import findings_of, overlay_svg
from trainer.core.maps.parse import parse_drawing
from trainer.maps import services
from trainer.worlds import services as world_services


@pytest.fixture
def cohort_and_world(db: Session, make_user: Any) -> tuple[Any, Any, Any, Any]:
    world = world_services.create_world(db, actor=None, name="Overlay world",
                                        spec_data={"grids": 1, "households_max": 320},
                                        seed=11)
    trainer, trainee = make_user(Role.TRAINER), make_user(Role.TRAINEE)
    cohort = accounts.create_cohort(db, actor=trainer, name="Overlay cohort", trainer=trainer)
    cohort.trainees = [trainee]
    return trainer, trainee, cohort, world


def area_task(db: Session, setup: Any) -> tuple[Any, dict[str, Any]]:
    trainer, _trainee, cohort, world = setup
    task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0)
    drawing = true_drawing(services.truth_of(task))
    buildings = [i for i, f in enumerate(drawing["features"])
                 if f["properties"]["kind"] == "building"]
    del drawing["features"][buildings[0]]  # one building left out: a coverage finding
    drawing["features"][buildings[1]]["properties"]["number"] = 999  # and a numbering one
    return task, drawing


def division_task(db: Session, setup: Any) -> tuple[Any, dict[str, Any]]:
    trainer, _trainee, cohort, world = setup
    task = services.set_task(db, actor=trainer, cohort=cohort, world=world, grid=0, area=0,
                             kind=services.DIVISION, target_units=80)
    drawing = true_division(services.division_truth_of(task))
    del drawing["features"][0]  # an area left out: its buildings are in no area
    drawing["features"][0]["properties"]["number"] = None
    return task, drawing


def graded_fresh(task: Any, geojson: dict[str, Any]) -> str:
    """The overlay as it was drawn before: from a grading done there and then."""
    parsed = parse_drawing(geojson)
    result: Any = services.grade(task, parsed)
    if services.is_division(task):
        return division_overlay_svg(parsed, services.division_truth_of(task), result)
    return overlay_svg(parsed, services.truth_of(task), result)


def english(message: str, params: Any) -> str:
    return message % dict(params) if params else message


def markers(svg: str) -> list[str]:
    return re.findall(r'data-code="([^"]+)" data-finding="(\d+)"', svg)


@pytest.mark.parametrize("make_task", [area_task, division_task])
def test_the_overlay_of_a_submitted_drawing_does_not_grade_again(
        db: Session, cohort_and_world: Any, monkeypatch: pytest.MonkeyPatch,
        make_task: Any) -> None:
    trainee = cohort_and_world[1]
    task, geojson = make_task(db, cohort_and_world)
    services.save_drawing(db, trainee, task, geojson)
    drawing = services.submit(db, trainee, task)
    before = graded_fresh(task, geojson)
    assert markers(before)  # the drawing has findings to mark

    def no_grading(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the overlay graded a submitted drawing again")

    for name in ("grade", "grade_map", "grade_division"):
        monkeypatch.setattr(services, name, no_grading)
    shown = services.overlay(task, drawing, english)
    assert markers(shown) == markers(before)
    assert re.findall(r'data-feature="\d+"', shown) == re.findall(r'data-feature="\d+"', before)
    assert shown == before  # the very same picture


def test_a_result_of_another_grader_version_is_graded_again(
        db: Session, cohort_and_world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    trainee = cohort_and_world[1]
    task, geojson = area_task(db, cohort_and_world)
    services.save_drawing(db, trainee, task, geojson)
    drawing = services.submit(db, trainee, task)
    calls: list[int] = []
    real = services.grade

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "grade", counted)
    assert services.regrade(db, task, drawing) is False and calls == []  # current: kept
    drawing.result = {**(drawing.result or {}), "grader": "maps-0", "criteria": {},
                      "drawing": []}
    shown = services.overlay(task, drawing, english)
    assert len(calls) == 1 and markers(shown)  # drawn from a fresh grading
    assert services.regrade(db, task, drawing) is True and len(calls) == 2
    assert drawing.result["grader"] == services.GRADER and drawing.result["criteria"]
    services.overlay(task, drawing, english)
    assert len(calls) == 2  # stored again: no more grading
    assert services.regrade(db, task, drawing, force=True) is True and len(calls) == 3


def test_stored_findings_read_back_as_they_were_graded(db: Session,
                                                       cohort_and_world: Any) -> None:
    task, geojson = area_task(db, cohort_and_world)
    result = services.grade(task, geojson)
    back = findings_of(result.to_dict())
    assert [(f.code, f.severity, f.message, dict(f.params), f.feature, f.building)
            for f in back] == [(f.code, f.severity, f.message, dict(f.params), f.feature,
                                f.building) for f in result.findings]
    assert all((a.at is None) == (b.at is None) for a, b in zip(back, result.findings,
                                                                strict=True))
