"""The map pages: a trainer sets map tasks for a cohort; a trainee draws, saves, exports and
submits the 普查小区图 of an area and reads the graded result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from trainer.access import current_actor, roles
from trainer.accounts.models import Role
from trainer.accounts.services import cohort_for_user, cohorts_visible_to
from trainer.core.errors import DomainError, Forbidden, InvalidInput, NotFound, TooLarge
from trainer.core.i18n import N_
from trainer.core.maps import DIVISION_CRITERIA, MAP_CRITERIA, NUMBERING_RULES
from trainer.errors import form_error, status_for, translate
from trainer.extensions import bracketed, db_session, is_english
from trainer.maps import services
from trainer.maps.forms import (
    BUILDING_TYPE_LABELS,
    SIGN_LABELS,
    HeaderForm,
    RedrawForm,
    RegradeForm,
    SubmitForm,
    TaskForm,
    kind_choices,
    rule_choices,
)
from trainer.maps.models import DrawingStatus, MapDrawing, MapTask
from trainer.worlds import services as world_services

bp = Blueprint("maps", __name__, template_folder="templates")
TEACHERS = (Role.TRAINER, Role.ADMIN)
MARKERS = (Role.TRAINER, Role.EXAMINER, Role.ADMIN)  # see the results of their cohorts
BEIJING = ZoneInfo("Asia/Shanghai")
SVG = "image/svg+xml"


def _say(message: str, params: Any) -> str:
    """A core message in the interface language (findings carry N_ ids and parameters)."""
    # A word among the parameters (a building type's name) is an N_ id of its own.
    words = {key: _(value) if isinstance(value, str) and key in ("drawn", "true") else value
             for key, value in dict(params or {}).items()}
    try:
        return str(_(message, **words))
    except (KeyError, TypeError, ValueError):
        return str(_(message))


# Trainers ------------------------------------------------------------------------------


@bp.get("/maps/cohorts")
@roles(*TEACHERS)
def cohorts() -> Any:
    """The cohorts whose map tasks I may set."""
    db = db_session()
    return render_template("maps/cohorts.html", cohorts=cohorts_visible_to(db, current_actor()))


def _task_form() -> TaskForm:
    form = TaskForm()
    form.world.choices = [  # "(3)" alone did not say what was counted
        SelectChoice(world.id, world.name + bracketed(_("%(count)s grids", count=world.grids)))
        for world in world_services.list_worlds(db_session())]
    form.rule.choices = rule_choices(list(NUMBERING_RULES))
    form.kind.choices = kind_choices()
    return form


@bp.route("/cohorts/<int:cohort_id>/maps", methods=["GET", "POST"])
@roles(*TEACHERS)
def tasks(cohort_id: int) -> Any:
    """A cohort's map tasks; set the map of an area as a new one."""
    db, actor = db_session(), current_actor()
    cohort = cohort_for_user(db, actor, cohort_id)
    if actor.role not in TEACHERS:
        raise Forbidden(N_("Only the cohort's trainer can set map tasks."))
    form = _task_form()
    status = 200
    if form.validate_on_submit():
        try:
            world = world_services.get_world(db, form.world.data or 0)
            services.set_task(db, actor=actor, cohort=cohort, world=world,
                              grid=(form.grid.data or 0) - 1, area=(form.area.data or 0) - 1,
                              rule=form.rule.data or "", due_on=form.due_on.data,
                              today=datetime.now(BEIJING).date(), kind=form.kind.data or "",
                              target_units=form.target_units.data,
                              redraw_allowed=bool(form.redraw_allowed.data))
        except DomainError as error:
            db.rollback()
            status = form_error(form, error)
        else:
            db.commit()
            flash(_("The map task has been set."), "success")
            return redirect(url_for("maps.tasks", cohort_id=cohort.id))
    elif form.is_submitted():
        status = 400
    task_list = services.tasks_of(db, cohort)
    return render_template("maps/tasks.html", cohort=cohort, form=form, tasks=task_list,
                           submitted=services.submitted_counts(db, task_list),
                           rule_labels={choice.value: choice.label
                                        for choice in rule_choices(list(NUMBERING_RULES))},
                           kind_labels={choice.value: choice.label
                                        for choice in kind_choices()}), status


@bp.get("/cohorts/<int:cohort_id>/maps/<int:task_id>")
@roles(*MARKERS)
def task_results(cohort_id: int, task_id: int) -> Any:
    """Where each trainee of the cohort stands on a map task, with their scores."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)
    task = services.get_task_of(db, cohort, task_id)
    drawings = [(trainee, drawing, services.shown_try(db, drawing) if drawing else None)
                for trainee, drawing in services.drawings_of(db, task)]
    return render_template("maps/task_results.html", cohort=cohort, task=task,
                           brief=services.briefing(task, english=is_english()),
                           drawings=drawings, regrade_form=RegradeForm())


@bp.post("/cohorts/<int:cohort_id>/maps/<int:task_id>/regrade")
@roles(*MARKERS)
def regrade_task(cohort_id: int, task_id: int) -> Any:
    """Grade every submitted map of the task (and every kept try) again."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)
    task = services.get_task_of(db, cohort, task_id)
    if not RegradeForm().validate_on_submit():
        raise InvalidInput(N_("The form had expired. Please send it again."))
    count = services.regrade_task(db, task)
    db.commit()
    flash(_("%(count)s maps have been graded again.", count=count), "success")
    return redirect(url_for("maps.task_results", cohort_id=cohort.id, task_id=task.id))


def _try_arg() -> int | None:
    """The `try` query parameter: which try of a drawing to show (None: the newest)."""
    value = request.args.get("try")
    if value is None:
        return None
    if not value.isdecimal() or not 0 < len(value) <= 4 or int(value) < 1:
        raise InvalidInput(N_("The try must be a whole number from 1."))
    return int(value)


def _marked_drawing(cohort_id: int, task_id: int, drawing_id: int) -> tuple[MapTask, MapDrawing]:
    """A drawing of a task of a cohort the trainer, examiner or admin may see."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)
    task = services.get_task_of(db, cohort, task_id)
    return task, services.get_drawing_of(db, task, drawing_id)


@bp.get("/cohorts/<int:cohort_id>/maps/<int:task_id>/drawings/<int:drawing_id>")
@roles(*MARKERS)
def drawing_result(cohort_id: int, task_id: int, drawing_id: int) -> Any:
    """A trainee's graded map: scores, findings and the overlay (for the debrief); the
    newest submitted try unless `?try=` names an earlier one."""
    number = _try_arg()
    task, drawing = _marked_drawing(cohort_id, task_id, drawing_id)
    db = db_session()
    shown = services.shown_try(db, drawing, number)
    tries = services.history(db, drawing)
    shown_number = next((at for at, graded in tries if graded is shown), None)
    return render_template("maps/drawing_result.html", task=task, drawing=shown,
                           trainee=drawing.trainee, owner=drawing, tries=tries,
                           shown_number=shown_number, regrade_form=RegradeForm(),
                           brief=services.briefing(task, english=is_english()),
                           **_result(shown))


@bp.post("/cohorts/<int:cohort_id>/maps/<int:task_id>/drawings/<int:drawing_id>/regrade")
@roles(*MARKERS)
def regrade_drawing(cohort_id: int, task_id: int, drawing_id: int) -> Any:
    """Grade a submitted map (the try shown, `?try=`) again with the current criteria."""
    number = _try_arg()
    task, drawing = _marked_drawing(cohort_id, task_id, drawing_id)
    if not RegradeForm().validate_on_submit():
        raise InvalidInput(N_("The form had expired. Please send it again."))
    db = db_session()
    services.regrade(db, task, services.shown_try(db, drawing, number), force=True)
    db.commit()
    flash(_("The map has been graded again."), "success")
    return redirect(url_for("maps.drawing_result", cohort_id=cohort_id, task_id=task.id,
                            drawing_id=drawing.id, **({"try": number} if number else {})))


@bp.get("/cohorts/<int:cohort_id>/maps/<int:task_id>/drawings/<int:drawing_id>/overlay.svg")
@roles(*MARKERS)
def drawing_overlay(cohort_id: int, task_id: int, drawing_id: int) -> Any:
    """The overlay of a trainee's submitted map (the try shown, `?try=`)."""
    number = _try_arg()
    task, drawing = _marked_drawing(cohort_id, task_id, drawing_id)
    svg = services.overlay(task, services.shown_try(db_session(), drawing, number), _say)
    return Response(svg, mimetype=SVG, headers={"Cache-Control": "no-store"})


# Trainees ------------------------------------------------------------------------------


@bp.get("/training/maps")
@roles(Role.TRAINEE)
def my_maps() -> Any:
    """My map tasks and how far my drawing of each has come."""
    db, actor = db_session(), current_actor()
    task_list = services.tasks_for(db, actor)
    return render_template("maps/my_maps.html", tasks=task_list,
                           drawings=services.drawings_for(db, actor),
                           briefings={task.id: services.briefing(task, english=is_english())
                                      for task in task_list},
                           today=datetime.now(BEIJING).date())


def _task_and_drawing(task_id: int) -> tuple[MapTask, MapDrawing | None]:
    """One of my cohorts' tasks and my own drawing of it (never anyone else's)."""
    db, actor = db_session(), current_actor()
    task = services.get_task_for(db, actor, task_id)
    return task, services.drawing_of(db, actor, task)


def _result(drawing: services.Graded | None) -> dict[str, Any]:
    """The graded result as the page shows it: each criterion's score and its findings in
    the interface language, numbered as the overlay numbers its markers (the drawing's
    findings first, then each criterion's in report order)."""
    if drawing is None or drawing.status != DrawingStatus.SUBMITTED or not drawing.result:
        return {"criteria": [], "drawing_findings": [], "area_sizes": []}
    registry: dict[str, Any] = (DIVISION_CRITERIA if drawing.result.get("kind") == "division"
                                else MAP_CRITERIA)
    number = 0

    def told(found: dict[str, Any]) -> dict[str, Any]:
        nonlocal number
        number += 1
        return dict(found, number=number, text=_say(found["message"], found.get("params")))

    drawing_findings = [told(found) for found in drawing.result.get("drawing", [])]
    criteria = []
    for name, data in drawing.result.get("criteria", {}).items():
        label = registry[name].label if name in registry else name
        criteria.append({"name": name, "label": _(label), "score": data["score"],
                         "findings": [told(found) for found in data.get("findings", [])]})
    return {"criteria": criteria, "drawing_findings": drawing_findings,
            "area_sizes": drawing.result.get("areas", [])}


@bp.get("/training/maps/<int:task_id>")
@roles(Role.TRAINEE)
def task(task_id: int) -> Any:
    """The map editor for a task (or the division editor), or the graded result once it is
    submitted; `?try=` shows an earlier graded try of mine instead."""
    number = _try_arg()
    task, drawing = _task_and_drawing(task_id)
    db = db_session()
    template = "maps/division.html" if services.is_division(task) else "maps/task.html"
    tries = services.history(db, drawing) if drawing else []
    shown: services.Graded | None = drawing
    if number is not None:
        if drawing is None:
            raise NotFound(N_("No such try of this map."))
        shown = services.shown_try(db, drawing, number)
    submitted = drawing is not None and drawing.status == DrawingStatus.SUBMITTED
    shown_number = number or (tries[0][0] if submitted and tries else None)
    return render_template(template, task=task, drawing=drawing, shown=shown,
                           brief=services.briefing(task, english=is_english()),
                           submitted=submitted, earlier=shown is not drawing,
                           tries=tries, shown_number=shown_number, redraw_form=RedrawForm(),
                           type_labels=BUILDING_TYPE_LABELS,
                           sign_labels=SIGN_LABELS, header=HeaderForm(),
                           submit_form=SubmitForm(), **_result(shown))


@bp.post("/training/maps/<int:task_id>/redraw")
@roles(Role.TRAINEE)
def redraw(task_id: int) -> Any:
    """Start a new try of my graded map, from my last drawing or a blank map."""
    db, actor = db_session(), current_actor()
    task = services.get_task_for(db, actor, task_id)
    form = RedrawForm()
    if not form.validate_on_submit():
        if form.is_submitted() and form.csrf_token.errors:
            raise InvalidInput(N_("The form had expired. Please send it again."))
        raise InvalidInput(N_("Choose how to start the new try."), field="start")
    services.redraw(db, actor, task, blank=form.start.data == "blank")
    db.commit()
    flash(_("A new try has begun; your graded map is kept in the list of tries."), "success")
    return redirect(url_for("maps.task", task_id=task.id))


@bp.get("/training/maps/<int:task_id>/field.json")
@roles(Role.TRAINEE)
def field(task_id: int) -> Any:
    """The field view of the task's grid (roads, water, landmarks, footprints; no truth)."""
    task, _drawing = _task_and_drawing(task_id)
    return jsonify(services.field_view(task))


@bp.get("/training/maps/<int:task_id>/drawing")
@roles(Role.TRAINEE)
def drawing(task_id: int) -> Any:
    """My drawing as last saved (an empty map before the first save)."""
    _task, saved = _task_and_drawing(task_id)
    if saved is None:
        return jsonify(drawing=None, saves=0, submitted=False)
    return jsonify(drawing=saved.geojson, saves=saved.saves,
                   submitted=saved.status == DrawingStatus.SUBMITTED)


def sent_drawing() -> Any:
    """The drawing the editor sent as the request's JSON body (also the attempt map's save);
    too large a body or one that is not JSON is refused with its reason. A body of unknown
    length (sent in chunks) is refused unread: the editor always states its length, and read
    it could be as large as any request (16 MiB of tiny arrays is hundreds of MB parsed)."""
    if request.content_length is None:
        raise TooLarge(N_("The map was sent without its length: send it again."))
    if request.content_length > services.MAX_DRAWING_BYTES * 2:
        raise TooLarge(N_("The map is larger than %(limit)s bytes."),
                       limit=services.MAX_DRAWING_BYTES)
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not a map
        data = None
    if data is None:
        raise InvalidInput(N_("The map was not sent as JSON."))
    return data


@bp.post("/training/maps/<int:task_id>/drawing")
@roles(Role.TRAINEE)
def save(task_id: int) -> Any:
    """Save the whole drawing (JSON, sent by the editor after every edit)."""
    db, actor = db_session(), current_actor()
    try:
        task = services.get_task_for(db, actor, task_id)
        saved = services.save_drawing(db, actor, task, sent_drawing())
    except DomainError as error:
        db.rollback()
        return jsonify(saved=False, error=translate(error), field=error.field), \
            status_for(error)
    db.commit()
    now = datetime.now(UTC).astimezone(BEIJING).strftime("%H:%M:%S")
    return jsonify(saved=True, saves=saved.saves, message=_("Saved at %(time)s.", time=now))


@bp.get("/training/maps/<int:task_id>/drawing.svg")
@roles(Role.TRAINEE)
def drawing_svg(task_id: int) -> Any:
    """My drawing as a printable SVG (made from the drawing alone; a division is drawn on
    its grid's ground)."""
    task, saved = _task_and_drawing(task_id)
    download = request.args.get("download") == "1"
    headers = {"Content-Disposition": f'attachment; filename="map-{task_id}.svg"'} \
        if download else {}
    if services.is_division(task):
        words = {"area": _("Area %(number)s", number="%(number)s"),
                 "units": _("%(units)s units", units="%(units)s"), "areas": _("Areas"),
                 "total": _("Housing units"), "free": _("In no area")}
        svg = services.division_svg(task, saved.geojson if saved else {}, words)
        return Response(svg, mimetype=SVG, headers={**headers, "Cache-Control": "no-store"})
    legend = {"boundary": _("Area boundary"), "building": _("Building"),
              "route": _("Route"), "road": _("Road"), "river": _("River"),
              "landmark": _("Landmark"), "buildings": _("Buildings"),
              "households": _("Households"), "drafter": _("Drafter"), "date": _("Date"),
              **{f"type_{key}": str(label) for key, label in BUILDING_TYPE_LABELS.items()}}
    svg = services.drawing_svg(saved.geojson if saved else {}, legend)
    return Response(svg, mimetype=SVG, headers={**headers, "Cache-Control": "no-store"})


@bp.post("/training/maps/<int:task_id>/submit")
@roles(Role.TRAINEE)
def submit(task_id: int) -> Any:
    """Submit the saved drawing: it is graded and can no longer be changed."""
    db, actor = db_session(), current_actor()
    task = services.get_task_for(db, actor, task_id)
    form = SubmitForm()
    if not form.validate_on_submit():
        raise InvalidInput(N_("The form had expired. Please send it again."))
    try:
        services.submit(db, actor, task)
    except DomainError as error:
        db.rollback()
        flash(translate(error), "error")
        return redirect(url_for("maps.task", task_id=task.id))
    db.commit()
    flash(_("Your map has been submitted and graded."), "success")
    return redirect(url_for("maps.task", task_id=task.id))


@bp.get("/training/maps/<int:task_id>/overlay.svg")
@roles(Role.TRAINEE)
def overlay(task_id: int) -> Any:
    """The graded overlay (truth, my drawing, findings) of my submitted map, or of an
    earlier graded try (`?try=`)."""
    number = _try_arg()
    task, saved = _task_and_drawing(task_id)
    if saved is None:
        raise NotFound(N_("The map has not been graded yet."))
    svg = services.overlay(task, services.shown_try(db_session(), saved, number)
                           if number is not None else saved, _say)
    return Response(svg, mimetype=SVG, headers={"Cache-Control": "no-store"})
