"""Map tasks for a cohort; trainees draw, save and submit their 普查小区图; grading and exports.

A task is of one of two kinds (`TASK_KINDS`). An "area" task names one enumeration area of
a world (world, grid index, area index) and the numbering rule. A "division" task names a
whole grid and a target size: the trainee divides the grid into areas of about that many
housing units (the second exercise; `trainer.core.maps.division`).

The trainee works on a *field view* made from the world: every road, river,
landmark and building footprint of the grid, with names, but neither the true boundary nor
the numbers (`field_view`). The drawing is saved whole as GeoJSON (the schema of
`trainer.core.maps`) on every edit; a save that is refused leaves the last good one in place.
Submitting grades the saved drawing with `grade_map` and keeps the result.

Map tasks are practice: unless the trainer switched `redraw_allowed` off, a trainee whose
drawing has been graded may start a new try from it (or from a blank map). The graded try
is then kept as a `MapTry` and the drawing row holds the new one; trainers see the newest
submitted try unless they ask for an earlier one (`shown_try`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer.accounts.models import Cohort, Role, User
from trainer.accounts.services import cohorts_visible_to
from trainer.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from trainer.core.i18n import N_
from trainer.core.maps import (
    NUMBERING_RULES,
    DivisionResult,
    DivisionTruth,
    MapResult,
    MapTruth,
    complexity,
    division_overlay_svg,
    division_print_svg,
    division_truth,
    grade_division,
    grade_map,
    overlay_svg,
    parse_drawing,
    truth_from_area,
)
from trainer.core.maps.model import Shape
from trainer.core.maps.overlay import TYPE_COLOURS, escape
from trainer.core.maps.parse import MAX_FEATURES, MAX_TEXT, MAX_TOTAL
from trainer.core.maps.truth import building_sign
from trainer.core.world.grid import Area, Grid
from trainer.db import json_dumps
from trainer.maps.models import DrawingStatus, MapDrawing, MapTask, MapTry
from trainer.scenarios.services import lock_for_step
from trainer.worlds import services as world_services
from trainer.worlds.models import World

GRADER = "maps-2"  # the map criteria version a stored result was computed with (2: types)
DIVISION_GRADER = "division-1"  # likewise for a division
MAX_DRAWING_BYTES = 1_000_000  # the saved GeoJSON as compact JSON text
LINE_KINDS = ("road", "lane", "river")
GRADED_KINDS = ("route", "boundary", "area")  # held to the limits of core.maps.complexity
TEXT_KEYS = ("title", "code", "drafter", "date")
TOTAL_KEYS = ("building_total", "household_total")
AREA, DIVISION = "area", "division"
TASK_KINDS = (AREA, DIVISION)
DIVISION_AREA = -1  # MapTask.area of a division task (the unique key still holds)
TARGET_UNITS = (20, 500)  # the target size of a division's areas, housing units
MAX_TRIES = 50  # graded tries kept per drawing: a redraw past this is refused
Graded = MapDrawing | MapTry  # a drawing or a kept try: both have geojson, status, result


# Tasks ---------------------------------------------------------------------------------


def _may_teach(actor: User, cohort: Cohort) -> bool:
    return actor.role == Role.ADMIN or (actor.role == Role.TRAINER
                                        and cohort.trainer_id == actor.id)


def set_task(db: Session, *, actor: User, cohort: Cohort, world: World, grid: int, area: int,
             rule: str = "serpentine", due_on: date | None = None,
             today: date | None = None, kind: str = AREA,
             target_units: int | None = None, redraw_allowed: bool = True) -> MapTask:
    """Set a map task for the cohort: the map of one area (`kind` "area", once per area and
    cohort), or the division of a whole grid into areas of about `target_units` housing
    units (`kind` "division", once per grid and cohort; `area` is ignored). With
    `redraw_allowed` (the default: map tasks are practice) a graded drawing may be redrawn."""
    today = today or datetime.now(UTC).date()
    if not _may_teach(actor, cohort):
        raise Forbidden(N_("Only the cohort's trainer can set map tasks."))
    if kind not in TASK_KINDS:
        raise InvalidInput(N_("There is no map task of kind %(kind)s."), field="kind",
                           kind=kind)
    if rule not in NUMBERING_RULES:
        raise InvalidInput(N_("There is no numbering rule %(rule)s."), field="rule", rule=rule)
    if not 0 <= grid < world.grids:
        raise InvalidInput(N_("The world has grids 1 to %(count)s."), field="grid",
                           count=world.grids)
    target = target_units if target_units is not None else 80
    if kind == DIVISION:
        area = DIVISION_AREA
        if not TARGET_UNITS[0] <= target <= TARGET_UNITS[1]:
            raise InvalidInput(N_("The target size must be from %(low)s to %(high)s housing "
                                  "units."), field="target_units", low=TARGET_UNITS[0],
                               high=TARGET_UNITS[1])
    else:
        areas = len(world_services.grid(world, grid).areas)
        if not 0 <= area < areas:
            raise InvalidInput(N_("This grid has areas 1 to %(count)s."), field="area",
                               count=areas)
    if due_on is not None and due_on < today:
        raise InvalidInput(N_("The due date cannot be in the past."), field="due_on")
    same = db.scalar(select(MapTask).where(MapTask.cohort_id == cohort.id,
                                           MapTask.world_id == world.id,
                                           MapTask.grid == grid, MapTask.area == area))
    if same is not None and kind == DIVISION:
        raise Conflict(N_("Dividing this grid is already a task of the cohort."), field="grid")
    if same is not None:
        raise Conflict(N_("The map of this area is already a task of the cohort."),
                       field="area")
    task = MapTask(cohort=cohort, world=world, grid=grid, area=area, rule=rule, due_on=due_on,
                   created_by=actor, kind=kind, target_units=target,
                   redraw_allowed=redraw_allowed)
    db.add(task)
    db.flush()
    return task


def tasks_of(db: Session, cohort: Cohort) -> Sequence[MapTask]:
    """A cohort's map tasks, the latest first."""
    return db.scalars(select(MapTask).where(MapTask.cohort_id == cohort.id)
                      .order_by(MapTask.id.desc())).all()


def submitted_counts(db: Session, tasks: Sequence[MapTask]) -> dict[int, int]:
    """Task id -> how many trainees have submitted their drawing."""
    if not tasks:
        return {}
    rows = db.execute(select(MapDrawing.task_id, func.count())
                      .where(MapDrawing.task_id.in_([task.id for task in tasks]),
                             MapDrawing.status == DrawingStatus.SUBMITTED)
                      .group_by(MapDrawing.task_id)).all()
    return {row[0]: row[1] for row in rows}


def tasks_for(db: Session, trainee: User) -> Sequence[MapTask]:
    """The map tasks of every cohort the trainee is in, soonest due first."""
    cohort_ids = [cohort.id for cohort in cohorts_visible_to(db, trainee)]
    if not cohort_ids:
        return []
    rows = db.scalars(select(MapTask).where(MapTask.cohort_id.in_(cohort_ids))).all()
    return sorted(rows, key=lambda task: (task.due_on or date.max, task.id))


def get_task_for(db: Session, trainee: User, task_id: int) -> MapTask:
    """A map task of one of the trainee's cohorts; others do not exist for them."""
    task = db.get(MapTask, task_id)
    if task is None or task.cohort not in cohorts_visible_to(db, trainee):
        raise NotFound(N_("No such map task."))
    return task


def get_task_of(db: Session, cohort: Cohort, task_id: int) -> MapTask:
    """A map task of this cohort (the caller has checked that the actor sees the cohort)."""
    task = db.get(MapTask, task_id)
    if task is None or task.cohort_id != cohort.id:
        raise NotFound(N_("No such map task."))
    return task


def drawings_of(db: Session, task: MapTask) -> list[tuple[User, MapDrawing | None]]:
    """Each trainee of the task's cohort with their drawing of it (None before a save)."""
    drawings = {drawing.trainee_id: drawing for drawing in db.scalars(
        select(MapDrawing).where(MapDrawing.task_id == task.id))}
    return [(trainee, drawings.get(trainee.id)) for trainee in task.cohort.trainees]


def get_drawing_of(db: Session, task: MapTask, drawing_id: int) -> MapDrawing:
    """A drawing of this task."""
    drawing = db.get(MapDrawing, drawing_id)
    if drawing is None or drawing.task_id != task.id:
        raise NotFound(N_("No such drawing."))
    return drawing


def drawings_for(db: Session, trainee: User) -> dict[int, MapDrawing]:
    """The trainee's drawings by task id."""
    return {drawing.task_id: drawing for drawing in db.scalars(
        select(MapDrawing).where(MapDrawing.trainee_id == trainee.id))}


def drawing_of(db: Session, trainee: User, task: MapTask) -> MapDrawing | None:
    """The trainee's own drawing of the task, if they have saved one."""
    return db.scalar(select(MapDrawing).where(MapDrawing.task_id == task.id,
                                              MapDrawing.trainee_id == trainee.id))


# The world behind a task ---------------------------------------------------------------


def is_division(task: MapTask) -> bool:
    """Whether the task is to divide a whole grid (else: to map one area)."""
    return task.kind == DIVISION


def grid_and_area(task: MapTask) -> tuple[Grid, Area]:
    """The task's grid (drawn from the world's seed, cached) and its area."""
    grid = world_services.grid(task.world, task.grid)
    if is_division(task) or not 0 <= task.area < len(grid.areas):
        raise NotFound(N_("No such area."))
    return grid, grid.areas[task.area]


def truth_of(task: MapTask) -> MapTruth:
    """What a perfect map of the task's area shows."""
    return truth_from_area(*grid_and_area(task))


def division_truth_of(task: MapTask) -> DivisionTruth:
    """What a division task is graded against: the grid's buildings, roads and outline,
    the target and bounds, and the world's own division."""
    return division_truth(world_services.grid(task.world, task.grid), task.target_units)


def briefing(task: MapTask, *, english: bool) -> dict[str, Any]:
    """What the trainee is told about their area: its full name, code and the boundary in
    words (四至), as an enumerator receives them; never its outline or numbering. For a
    division: the grid's full name, its 普查区 code, its housing units and the target."""
    if is_division(task):
        grid = world_services.grid(task.world, task.grid)
        village = grid.village
        truth = division_truth_of(task)
        return {"grid": grid.name, "area": grid.name, "kind": DIVISION,
                "title": f"{grid.county.name}{village.township_name}{grid.name}",
                "code": village.code, "boundary_text": "",
                "units": truth.unit_total, "buildings": len(truth.buildings),
                "target": truth.target_units, "low": truth.min_units, "high": truth.max_units}
    grid, area = grid_and_area(task)
    village = grid.village
    return {"grid": grid.name, "area": area.name, "kind": AREA,
            "title": f"{grid.county.name}{village.township_name}{village.name} {area.name}",
            "code": village.code + area.code,
            "boundary_text": area.boundary_text(english=english)}


def field_view(task: MapTask) -> dict[str, Any]:
    """The ground around the area as the trainee sees it walking it: the whole grid's roads,
    lanes, rivers, landmarks and fields with their names and every building footprint.

    Left out on purpose: area outlines, which area a building is in, building numbers, and
    the generator's order of buildings (footprints are sorted by position instead, since the
    generator's order is the numbering order). `signs` (in the order of `buildings`) tells
    what walking past shows of each building (`truth.building_sign`: a dormitory, work shed,
    care home, a shop people live in, a shop; "" for nothing special), from which the
    trainee gives each mark its type. A division task adds each building's count of
    housing units (`units`, in the order of `buildings`: what a division is made from), the
    grid's outline (`outline`) and the target size.
    """
    grid = world_services.grid(task.world, task.grid)
    if not is_division(task):
        grid_and_area(task)  # the area must exist
    width, height = grid.size
    features = [{"kind": feature.kind, "name": feature.name,
                 "line": feature.kind in LINE_KINDS,
                 "coordinates": [[round(x, 2), round(y, 2)] for x, y in feature.geometry]}
                for feature in grid.features]
    placed = sorted((([[round(x, 2), round(y, 2)] for x, y in building.footprint],
                      len(building.units), building_sign(building))
                     for building in grid.buildings),
                    key=lambda row: (-min(y for _x, y in row[0]), min(x for x, _y in row[0])))
    ys = [y for feature in grid.features for _x, y in feature.geometry] + [0.0, height]
    xs = [x for feature in grid.features for x, _y in feature.geometry] + [0.0, width]
    view: dict[str, Any] = {"name": grid.name, "size": [width, height],
                            "bounds": [[min(xs), min(ys)], [max(xs), max(ys)]],
                            "features": features,
                            "buildings": [ring for ring, _n, _sign in placed],
                            "signs": [sign for _ring, _n, sign in placed]}
    if is_division(task):
        view.update(units=[units for _ring, units, _sign in placed], target=task.target_units,
                    outline=[[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]])
    return view


# Drawings ------------------------------------------------------------------------------


def check_drawing(data: object) -> dict[str, Any]:
    """The drawing as it will be stored, or InvalidInput: a GeoJSON FeatureCollection of at
    most MAX_FEATURES features, finite numbers only, a title block of known keys.

    What is inside the features is not judged here: grading reads anything and turns
    mistakes into findings, so a half-drawn map saves as it is.
    """
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput(N_("The map is not a GeoJSON FeatureCollection."))
    features = data.get("features", [])
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise InvalidInput(N_("The map's features must be a list of GeoJSON features."))
    if len(features) > MAX_FEATURES:
        raise TooLarge(N_("The map has more than %(limit)s features."), limit=MAX_FEATURES)
    header = _check_header(data.get("properties") or {})
    drawing = {"type": "FeatureCollection", "properties": header, "features": features}
    try:
        text = json.dumps(drawing, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
        size = len(text.encode())  # a lone surrogate ("\ud800") cannot be encoded
        json_dumps(drawing)  # as the column stores it: integers of 64 bits at most
    except (TypeError, ValueError, RecursionError) as error:
        raise InvalidInput(N_("The map holds a value that is not plain JSON.")) from error
    if size > MAX_DRAWING_BYTES:
        raise TooLarge(N_("The map is larger than %(limit)s bytes."), limit=MAX_DRAWING_BYTES)
    stored: dict[str, Any] = json.loads(text)
    _check_complexity(stored)
    return stored


def _check_complexity(stored: dict[str, Any]) -> None:
    """InvalidInput (400, naming the limit) when a route, boundary or division would be too
    complex to grade (`trainer.core.maps.complexity`): refused here, before anything is
    stored, rather than graded into a "too complex" finding later."""
    drawing = parse_drawing(stored)
    for kind in GRADED_KINDS:
        problem = complexity.of_features(kind, drawing.of_kind(kind))
        if problem is not None:
            raise InvalidInput(problem.message, count=problem.count, limit=problem.limit)


def _check_header(properties: object) -> dict[str, Any]:
    if not isinstance(properties, dict):
        raise InvalidInput(N_("The map's title block must be an object."))
    header: dict[str, Any] = {}
    for key in TEXT_KEYS:
        value = properties.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise InvalidInput(N_("Write at most %(limit)s characters here."), field=key,
                               limit=MAX_TEXT)
        header[key] = value
    for key in TOTAL_KEYS:
        value = properties.get(key)
        if value in (None, ""):
            continue
        if isinstance(value, str) and value.strip().isdecimal():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOTAL:
            raise InvalidInput(N_("Write a whole number from 0 to %(limit)s."), field=key,
                               limit=MAX_TOTAL)
        header[key] = value
    return header


def save_drawing(db: Session, trainee: User, task: MapTask, data: object) -> MapDrawing:
    """Store the trainee's drawing of the task as it now stands (the whole GeoJSON).

    A refused drawing (malformed, too large) raises before anything is changed, so the last
    good save is kept; a submitted drawing cannot change any more. The drawing's row is
    locked and read afresh first: a save sent while a submission was being graded waits for
    it and is then refused, rather than changing the drawing under its grade.
    """
    checked = check_drawing(data)
    drawing = drawing_of(db, trainee, task)
    if drawing is not None:
        lock_for_step(db, drawing)
    if drawing is None:
        drawing = MapDrawing(task=task, trainee=trainee, geojson=checked, saves=0)
        db.add(drawing)
    elif drawing.status == DrawingStatus.SUBMITTED:
        raise Conflict(N_("This map has been submitted and can no longer be changed."))
    drawing.geojson = checked
    drawing.saves = (drawing.saves or 0) + 1
    drawing.updated_at = datetime.now(UTC)
    db.flush()
    return drawing


def grade(task: MapTask, geojson: object) -> MapResult | DivisionResult:
    """Grade a drawing of the task against the truth: an area's map by the task's numbering
    rule, a division against the grid and the target size."""
    if is_division(task):
        return grade_division(geojson, division_truth_of(task))
    return grade_map(geojson, truth_of(task), rule=task.rule)


def submit(db: Session, trainee: User, task: MapTask) -> MapDrawing:
    """Submit the trainee's saved drawing and grade it (a second submit changes nothing); the
    row is locked and read afresh first, so what is graded is the last save committed."""
    drawing = drawing_of(db, trainee, task)
    if drawing is None:
        raise InvalidInput(N_("Draw the map before you submit it: nothing has been saved."))
    lock_for_step(db, drawing)
    if drawing.status == DrawingStatus.SUBMITTED:
        return drawing
    drawing.result = {**grade(task, drawing.geojson).to_dict(), "grader": grader_of(task)}
    drawing.status = DrawingStatus.SUBMITTED
    drawing.submitted_at = datetime.now(UTC)
    db.flush()
    return drawing


def redraw(db: Session, trainee: User, task: MapTask, *, blank: bool = False) -> MapDrawing:
    """Start a new try of a graded drawing: the graded one is kept as a `MapTry`, and the
    drawing is in progress again, from the last drawing or (`blank`) an empty map.

    Refused when the task does not allow it, before anything is graded, and past
    MAX_TRIES; a drawing already in progress is returned as it is (a second click). The
    drawing's row is locked and read afresh first, so a second click sent before the first
    was committed finds its new try rather than keeping the graded one twice."""
    if not task.redraw_allowed:
        raise Conflict(N_("This map task does not allow a new try."))
    drawing = drawing_of(db, trainee, task)
    if drawing is None:
        raise Conflict(N_("Submit your map before you start a new try."))
    lock_for_step(db, drawing)
    if drawing.status != DrawingStatus.SUBMITTED:
        return drawing
    kept = len(tries_of(db, drawing))
    if kept + 1 >= MAX_TRIES:
        raise Conflict(N_("You have made %(count)s tries of this map; no more can be kept."),
                       count=kept + 1)
    db.add(MapTry(drawing=drawing, number=kept + 1, geojson=drawing.geojson,
                  result=drawing.result, saves=drawing.saves,
                  submitted_at=drawing.submitted_at))
    if blank:
        header = (drawing.geojson or {}).get("properties") or {}
        drawing.geojson = {"type": "FeatureCollection", "properties": header, "features": []}
    drawing.status = DrawingStatus.IN_PROGRESS
    drawing.result = None
    drawing.submitted_at = None
    drawing.saves = 0
    drawing.updated_at = datetime.now(UTC)
    db.flush()
    return drawing


def tries_of(db: Session, drawing: MapDrawing) -> Sequence[MapTry]:
    """The drawing's earlier graded tries, the first first."""
    return db.scalars(select(MapTry).where(MapTry.drawing_id == drawing.id)
                      .order_by(MapTry.number)).all()


def try_number(db: Session, drawing: MapDrawing) -> int:
    """The number of the drawing's current try (1 before any redraw)."""
    return len(tries_of(db, drawing)) + 1


def history(db: Session, drawing: MapDrawing) -> list[tuple[int, Graded]]:
    """Every graded try of the drawing with its number, the newest first (the current
    drawing only once it is submitted)."""
    kept: list[tuple[int, Graded]] = [(kept.number, kept) for kept in tries_of(db, drawing)]
    if drawing.status == DrawingStatus.SUBMITTED:
        kept.append((len(kept) + 1, drawing))
    return kept[::-1]


def shown_try(db: Session, drawing: MapDrawing, number: int | None = None) -> Graded:
    """The try a trainer sees: the one `number`ed, else the newest submitted one (the
    drawing itself while it is submitted or never was; else its last kept try)."""
    if number is not None:
        for at, graded in history(db, drawing):
            if at == number:
                return graded
        raise NotFound(N_("No such try of this map."))
    if drawing.status == DrawingStatus.SUBMITTED:
        return drawing
    kept = tries_of(db, drawing)
    return kept[-1] if kept else drawing


def regrade_task(db: Session, task: MapTask) -> int:
    """Grade every submitted drawing of the task and every kept try again with the current
    criteria (forced); how many were graded."""
    count = 0
    for drawing in db.scalars(select(MapDrawing).where(
            MapDrawing.task_id == task.id, MapDrawing.status == DrawingStatus.SUBMITTED)):
        count += regrade(db, task, drawing, force=True)
    for kept in db.scalars(select(MapTry).join(MapDrawing)
                           .where(MapDrawing.task_id == task.id)):
        count += regrade(db, task, kept, force=True)
    return count


def grader_of(task: MapTask) -> str:
    """The version of the criteria that grade the task's kind of drawing now."""
    return DIVISION_GRADER if is_division(task) else GRADER


def regrade(db: Session, task: MapTask, drawing: Graded, *, force: bool = False) -> bool:
    """Grade a submitted drawing (or a kept try) again and store the result, when its stored
    result came from another version of the criteria (or when `force`d); True when it was
    regraded."""
    if drawing.status != DrawingStatus.SUBMITTED:
        raise NotFound(N_("The map has not been graded yet."))
    if not force and drawing.result and drawing.result.get("grader") == grader_of(task):
        return False
    drawing.result = {**grade(task, drawing.geojson).to_dict(), "grader": grader_of(task)}
    db.flush()
    return True


def overlay(task: MapTask, drawing: Graded,
            translate: Callable[[str, Mapping[str, object]], str]) -> str:
    """The debrief picture of a submitted drawing: truth, drawing and findings (SVG text).

    The findings are the stored result's, the ones its page lists; a result stored by
    another version of the criteria is graded again for the picture (see `regrade`)."""
    if drawing.status != DrawingStatus.SUBMITTED:
        raise NotFound(N_("The map has not been graded yet."))
    parsed = parse_drawing(drawing.geojson)
    current = drawing.result and drawing.result.get("grader") == grader_of(task)
    result: Any = drawing.result if current else grade(task, parsed)
    if is_division(task):
        return division_overlay_svg(parsed, division_truth_of(task), result,
                                    translate=translate)
    return overlay_svg(parsed, truth_of(task), result, translate=translate)


# Export --------------------------------------------------------------------------------


def division_svg(task: MapTask, geojson: object, words: Mapping[str, str]) -> str:
    """A division drawing as a printable SVG: the grid's ground (what the field view shows)
    with the drawn areas, their numbers and housing units (`division_print_svg`)."""
    return division_print_svg(geojson, division_truth_of(task), words)


SVG_STYLE = {
    "boundary": 'fill="#fef3c7" fill-opacity="0.35" stroke="#b91c1c" stroke-width="{w3}"',
    "route": 'fill="none" stroke="#2563eb" stroke-width="{w2}" stroke-dasharray="{w6} {w3}"',
    "road": 'fill="none" stroke="#6b7280" stroke-width="{w3}"',
    "river": 'fill="none" stroke="#3b82f6" stroke-width="{w4}"',
    "landmark": 'fill="#fde68a" stroke="#d97706" stroke-width="{w1}"',
    "building": 'fill="#e5e7eb" stroke="#111827" stroke-width="{w1}"',
}


def drawing_svg(geojson: object, legend: Mapping[str, str]) -> str:
    """The trainee's map as a printable SVG, made from their drawing alone (no truth): the
    title on top, boundary, buildings with their numbers, route, named roads, rivers and
    landmarks, north arrow and legend where placed, totals, drafter and date below.

    `legend` gives the legend's words in the interface language (keys: boundary, building,
    route, road, river, landmark, buildings, households, drafter, date; and optionally
    type_<type> for each building type: a mark with a type is drawn in its colour, and the
    legend lists the types the map uses). Every text from the drawing is escaped.
    """
    drawing = parse_drawing(geojson)
    header = drawing.header
    shapes = [f.geometry for f in drawing.features if f.geometry is not None]
    if shapes:
        left, bottom, right, top = shapely.GeometryCollection(shapes).bounds
    else:
        left, bottom, right, top = 0.0, 0.0, 100.0, 100.0
    size = max(right - left, top - bottom, 20.0)
    margin = size * 0.08
    left, bottom, right, top = left - margin, bottom - margin, right + margin, top + margin
    unit = size / 300  # one stroke unit: keeps lines and text readable at any map size
    font = max(unit * 9, 1.0)
    head = font * 3
    foot = font * 4
    width, height = right - left, top - bottom + head + foot

    def xy(x: float, y: float) -> str:
        return f"{x - left:.2f},{top - y + head:.2f}"

    def style(kind: str) -> str:
        return SVG_STYLE[kind].format(**{f"w{n}": f"{unit * n:.2f}" for n in (1, 2, 3, 4, 6)})

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.2f} {height:.2f}" '
             f'width="{1200:d}" height="{1200 * height / width:.0f}" font-family="sans-serif">',
             f'<rect width="{width:.2f}" height="{height:.2f}" fill="#ffffff"/>',
             f'<rect x="{unit:.2f}" y="{head:.2f}" width="{width - 2 * unit:.2f}" '
             f'height="{top - bottom:.2f}" fill="none" stroke="#111827" '
             f'stroke-width="{unit:.2f}"/>']
    if header.title:
        parts.append(f'<text x="{width / 2:.2f}" y="{head * 0.65:.2f}" font-size="{font * 1.6:.2f}"'
                     f' text-anchor="middle" font-weight="bold">{escape(header.title)}'
                     f'{" · " + escape(header.code) if header.code else ""}</text>')
    order = ("landmark", "river", "road", "boundary", "route", "building")
    for kind in order:
        for feature in drawing.of_kind(kind):
            geometry = feature.geometry
            if geometry is None:
                continue
            if geometry.geom_type in ("Point", "MultiPoint"):
                point = geometry.representative_point()
                if kind == "building":
                    parts.append(_number_mark(xy(point.x, point.y), feature.number, font,
                                              feature.building_type))
                elif feature.label:
                    parts.append(f'<text transform="translate({xy(point.x, point.y)})" '
                                 f'font-size="{font:.2f}" text-anchor="middle" '
                                 f'fill="#111827">{escape(feature.label)}</text>')
                continue
            path = _path(geometry, xy)
            parts.append(f'<path d="{path}" {style(kind)}/>')
            if kind == "building":
                point = geometry.representative_point()
                parts.append(_number_mark(xy(point.x, point.y), feature.number, font,
                                          feature.building_type))
            elif feature.label:
                point = geometry.representative_point() if geometry.geom_type.endswith(
                    "Polygon") else geometry.interpolate(0.5, normalized=True)
                parts.append(f'<text transform="translate({xy(point.x, point.y)})" '
                             f'font-size="{font:.2f}" text-anchor="middle" fill="#111827" '
                             f'stroke="#ffffff" stroke-width="{unit * 0.6:.2f}" '
                             f'paint-order="stroke">{escape(feature.label)}</text>')
    for feature in drawing.of_kind("north_arrow"):
        if feature.geometry is not None:
            point = feature.geometry.representative_point()
            parts.append(_north_arrow(xy(point.x, point.y), feature.angle or 0.0, font))
    used = {feature.building_type for feature in drawing.of_kind("building")}
    types = [name for name in TYPE_COLOURS if name in used and f"type_{name}" in legend]
    for feature in drawing.of_kind("legend"):
        if feature.geometry is not None:
            point = feature.geometry.representative_point()
            parts.append(_legend(xy(point.x, point.y), legend, font, unit, types))
    below = []
    if header.building_total is not None:
        below.append(f"{legend['buildings']}: {header.building_total}")
    if header.household_total is not None:
        below.append(f"{legend['households']}: {header.household_total}")
    if header.drafter:
        below.append(f"{legend['drafter']}: {header.drafter}")
    if header.date:
        below.append(f"{legend['date']}: {header.date}")
    if below:
        parts.append(f'<text x="{width - unit * 2:.2f}" y="{height - foot * 0.4:.2f}" '
                     f'font-size="{font:.2f}" text-anchor="end">'
                     f'{escape("　".join(below))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _path(geometry: Shape, xy: Callable[[float, float], str]) -> str:
    commands = []
    for part in shapely.get_parts(geometry):
        if part.geom_type == "Polygon":
            for ring in (part.exterior, *part.interiors):
                commands.append("M" + " L".join(xy(c[0], c[1]) for c in ring.coords) + "Z")
        elif part.geom_type in ("LineString", "LinearRing"):
            commands.append("M" + " L".join(xy(c[0], c[1]) for c in part.coords))
    return " ".join(commands)


def _number_mark(at: str, number: int | None, font: float,
                 building_type: str | None = None) -> str:
    """A building's number in a circle: red on white, or on its type's colour."""
    text = str(number) if number is not None else "?"
    colour = TYPE_COLOURS.get(building_type or "")
    fill, ink = (colour, "#ffffff") if colour else ("#ffffff", "#b91c1c")
    kind = f' data-type="{building_type}"' if colour else ""
    return (f'<g transform="translate({at})"{kind}><circle r="{font * 0.9:.2f}" '
            f'fill="{fill}" stroke="#b91c1c" stroke-width="{font * 0.12:.2f}"/>'
            f'<text y="{font * 0.35:.2f}" font-size="{font:.2f}" text-anchor="middle" '
            f'fill="{ink}">{text}</text></g>')


def _north_arrow(at: str, angle: float, font: float) -> str:
    size = font * 2.5
    angle = angle if math.isfinite(angle) else 0.0
    return (f'<g transform="translate({at}) rotate({angle:.1f})">'
            f'<path d="M0,{-size:.2f} L{size * 0.4:.2f},{size * 0.4:.2f} L0,{size * 0.1:.2f} '
            f'L{-size * 0.4:.2f},{size * 0.4:.2f}Z" fill="#111827"/>'
            f'<text y="{-size - font * 0.3:.2f}" font-size="{font:.2f}" '
            f'text-anchor="middle">N 北</text></g>')


def _legend(at: str, words: Mapping[str, str], font: float, unit: float,
            types: Sequence[str] = ()) -> str:
    rows = [("boundary", '<line x1="0" x2="{s}" stroke="#b91c1c" stroke-width="{w}"/>'),
            ("building", '<rect y="-{h}" width="{s}" height="{d}" fill="#e5e7eb" '
                         'stroke="#111827" stroke-width="{v}"/>'),
            ("route", '<line x1="0" x2="{s}" stroke="#2563eb" stroke-width="{w}" '
                      'stroke-dasharray="{w} {w}"/>'),
            ("road", '<line x1="0" x2="{s}" stroke="#6b7280" stroke-width="{w}"/>'),
            ("river", '<line x1="0" x2="{s}" stroke="#3b82f6" stroke-width="{w}"/>')]
    rows += [(f"type_{name}", f'<rect y="-{{h}}" width="{{d}}" height="{{d}}" rx="{{h}}" '
                              f'fill="{TYPE_COLOURS[name]}"/>') for name in types]
    sample = font * 2
    out = [f'<g transform="translate({at})">',
           f'<rect x="{-font * 0.5:.2f}" y="{-font * 1.2:.2f}" '
           f'width="{font * (15 if types else 11):.2f}" '
           f'height="{font * 1.6 * len(rows) + font * 0.6:.2f}" fill="#ffffff" '
           f'stroke="#111827" stroke-width="{unit:.2f}"/>']
    for index, (key, symbol) in enumerate(rows):
        y = index * font * 1.6
        out.append(f'<g transform="translate(0,{y:.2f})">' + symbol.format(
            s=f"{sample:.2f}", w=f"{unit * 2:.2f}", h=f"{font * 0.4:.2f}",
            d=f"{font * 0.8:.2f}", v=f"{unit:.2f}")
            + f'<text x="{sample + font * 0.5:.2f}" y="{font * 0.35:.2f}" '
              f'font-size="{font:.2f}">{escape(words[key])}</text></g>')
    out.append("</g>")
    return "".join(out)
