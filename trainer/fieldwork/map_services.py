"""The small-area map (普查小区图) of an attempt: drawn during the listing, saved as GeoJSON in
`attempt.map_drawing`, graded with the rubric (`core.grading.maps`).

A scenario has a map when its assignment says so (`assignment.map`); the map is of the one
area of its world every unit is picked from. The trainee draws it in the map tasks' editor, on
the same field view, with the same checks on every save (`trainer.maps.services`): the field
view and the briefing are built by the map tasks' own functions, given a task that is never
stored (the world of an attempt is the scenario's (spec, seed), not a saved world).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from trainer.core.errors import NotFound
from trainer.core.grading.maps import RUBRIC_NAMES, map_truth
from trainer.core.i18n import N_
from trainer.core.maps import overlay_svg
from trainer.core.scenario import households as scenario_households
from trainer.core.scenario.model import MapSpec
from trainer.fieldwork.models import Attempt
from trainer.fieldwork.services import check_editable
from trainer.maps import services as map_tasks
from trainer.maps.models import MapTask
from trainer.scenarios.services import lock_for_step, scenario_of
from trainer.worlds.models import World


def map_of(attempt: Attempt) -> MapSpec | None:
    """The attempt's map (its area and numbering rule), or None when it draws none."""
    return scenario_of(attempt.version).assignment.map


def _task(attempt: Attempt) -> MapTask:
    """A map task of the attempt's area, never added to a session: what the map tasks'
    field view and briefing read (the world, the grid, the area)."""
    spec = map_of(attempt)
    if spec is None:
        raise NotFound(N_("This exercise has no small-area map."))
    scenario = scenario_of(attempt.version)
    world_spec = scenario_households.world_spec(scenario)
    world = World(name=scenario.id, seed=attempt.seed, spec=world_spec.to_dict(),
                  region=world_spec.region, grids=world_spec.grids)
    return MapTask(world=world, grid=spec.grid, area=spec.area, rule=spec.rule,
                   kind=map_tasks.AREA, target_units=80)


def field_view(attempt: Attempt) -> dict[str, Any]:
    """The ground around the attempt's area, without its outline or numbers."""
    return map_tasks.field_view(_task(attempt))


def briefing(attempt: Attempt, *, english: bool) -> dict[str, Any]:
    """The area's full name, code and boundary in words (四至), as an enumerator gets them."""
    return map_tasks.briefing(_task(attempt), english=english)


def save_map(db: Session, attempt: Attempt, data: object) -> dict[str, Any]:
    """Store the drawing as it now stands (the whole GeoJSON), checked as a map task's is.

    The attempt row is locked first, as every save of an attempt does, so a save never lands
    after a submission; a refused drawing raises before anything changes (the last good save
    stays)."""
    if map_of(attempt) is None:
        raise NotFound(N_("This exercise has no small-area map."))
    lock_for_step(db, attempt)
    check_editable(attempt)
    checked = map_tasks.check_drawing(data)
    attempt.map_drawing = checked
    db.flush()
    return checked


def map_findings(data: Mapping[str, Any]) -> list[tuple[str, int, Mapping[str, Any]]]:
    """The map findings of a stored score, in its criteria's order: (criterion, the
    finding's index in it, the map finding). Their positions from 1 are the overlay's
    marker numbers."""
    return [(name, index, found["map"])
            for name, result in data.get("criteria", {}).items() if name in RUBRIC_NAMES
            for index, found in enumerate(result.get("findings", ())) if found.get("map")]


def overlay(attempt: Attempt, data: Mapping[str, Any],
            translate: Callable[[str, Mapping[str, object]], str]) -> str | None:
    """The debrief's picture of a graded map: the true area, the drawing, and the score's
    map findings numbered in `map_findings` order (SVG text, every text escaped); None when
    the score has no map criterion."""
    if not any(name in RUBRIC_NAMES for name in data.get("criteria", {})) or map_of(
            attempt) is None:
        return None
    truth = map_truth(scenario_of(attempt.version), attempt.seed)
    if truth is None:
        return None
    found = [finding for _name, _index, finding in map_findings(data)]
    return overlay_svg(attempt.map_drawing or {}, truth, {"drawing": found, "criteria": {}},
                       translate=translate)
