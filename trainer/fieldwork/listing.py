"""The listing walk (摸底): the enumeration area's buildings, walked one by one.

The page draws the area (from the world when the assignment's units come from one of its
areas, else a schematic street; `core.census.walk`), colours each building by how much of it
is listed, and shows the register rows of the building chosen, filled in place and saved
through the register's own save (`services.save_register`, merged per building). A household
that chose self-reporting gets its 自主填报码 from a button. These routes join the fieldwork
blueprint (imported at the end of `views.py`).

The code button submits the building's rows with the unit in `issue_code`: the rows are saved
first, so a mode just chosen is not lost to the autosave's delay.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import escape

from trainer.access import roles
from trainer.accounts.models import Role
from trainer.core.census import register as register_rules
from trainer.core.census.walk import Walk, walk_of
from trainer.core.errors import DomainError
from trainer.errors import form_error, status_for, translate
from trainer.extensions import db_session
from trainer.fieldwork import services
from trainer.fieldwork.forms import RegisterForm
from trainer.fieldwork.models import AttemptStatus
from trainer.fieldwork.views import (
    _not_saved,
    _own_attempt,
    _put_errors,
    _refused_autosave,
    _saved,
    _time_up,
    bp,
)

MIN_TAP = 48.0  # pixels the smallest building is drawn at, at least (a 44 px tap target)
MAP_WIDTH = (640.0, 2400.0)  # the drawing's width in pixels, at least and at most


def _walk(attempt: Any, visit: Any) -> Walk:
    """The attempt's walk (from its scenario, seed and units). Where the exercise has the
    small-area map, the walk leaves out what the map is graded against and its field view
    therefore hides: the area's outline and its buildings that hold none of the exercise's
    units (drawn, they would be the boundary and the coverage to copy)."""
    walk = walk_of(visit.scenario, attempt.seed,
                   {unit: state.truth for unit, state in visit.households.items()},
                   list(visit.households))
    if visit.scenario.assignment.map is None:
        return walk
    return replace(walk, buildings=tuple(b for b in walk.buildings if b.units), outline=())


def _listed(walk: Walk, rows: dict[str, Any]) -> dict[int, int]:
    """How many of each building's units are listed (their row has a status)."""
    return {building.number: sum(1 for unit in building.units
                                 if (rows.get(unit) or {}).get("status"))
            for building in walk.buildings}


def _progress(walk: Walk, listed: dict[int, int]) -> dict[int, str]:
    """Each building's listing state: none, some or all of its units listed (empty: none
    of the assignment's units is in it)."""
    return {b.number: ("empty" if not b.units else "none" if not listed[b.number]
                       else "all" if listed[b.number] == len(b.units) else "some")
            for b in walk.buildings}


def _drawing(walk: Walk) -> dict[str, Any]:
    """The SVG's frame: viewBox, pixel width and each building's points and label place,
    y flipped so north is up."""
    left, bottom, right, top = walk.bounds
    pad = 6.0
    smallest = min((min(max(p[0] for p in b.footprint) - min(p[0] for p in b.footprint),
                        max(p[1] for p in b.footprint) - min(p[1] for p in b.footprint))
                    for b in walk.buildings), default=10.0) or 10.0
    span = right - left + 2 * pad
    width = min(max(span * MIN_TAP / smallest, MAP_WIDTH[0]), MAP_WIDTH[1])

    def points(ring: Any) -> str:
        return " ".join(f"{x - left + pad:.1f},{top - y + pad:.1f}" for x, y in ring)

    shapes = []
    for building in walk.buildings:
        xs = [p[0] for p in building.footprint]
        ys = [p[1] for p in building.footprint]
        shapes.append({"building": building, "points": points(building.footprint),
                       "x": (min(xs) + max(xs)) / 2 - left + pad,
                       "y": top - (min(ys) + max(ys)) / 2 + pad,
                       "font": max(4.0, min(max(xs) - min(xs), max(ys) - min(ys)) / 3)})
    return {"view": f"0 0 {span:.1f} {top - bottom + 2 * pad:.1f}", "width": round(width),
            "outline": points(walk.outline) if walk.outline else "", "shapes": shapes,
            "street_y": top - bottom + pad}


@bp.route("/training/attempts/<int:attempt_id>/listing", methods=["GET", "POST"])
@roles(Role.TRAINEE)
def listing(attempt_id: int) -> Any:
    """The listing walk: the area's buildings; the chosen building's rows, saved as filled."""
    attempt = _own_attempt(attempt_id)
    visit = services.replay_attempt(attempt)
    walk = _walk(attempt, visit)
    number = request.args.get("building", type=int)
    building = walk.building(number) if number is not None else None
    if number is not None and (building is None or not building.units):
        abort(404)
    if request.method == "POST":
        if building is None:
            abort(404)
        return _save_building(attempt, visit, walk, building)
    form = RegisterForm(formdata=None, data={"rows": _rows(attempt, visit, building)})
    issues = list(register_rules.validate(attempt.register or {},
                                          services.foreign_units(attempt, visit)))
    return _listing_page(attempt, visit, walk, building, form, issues, 200)


def _rows(attempt: Any, visit: Any, building: Any) -> list[dict[str, Any]]:
    """The building's rows as saved; a unit not listed yet starts with the building and unit
    numbers the walk stands at (the address the register page shows too)."""
    saved = attempt.register or {}
    return [{"unit_id": unit, **(saved.get(unit) or {
        "building": building.number, "unit": visit.households[unit].truth.unit})}
        for unit in (building.units if building is not None else ())]


def _save_building(attempt: Any, visit: Any, walk: Walk, building: Any) -> Any:
    """Save the rows of one building: an autosave answers with the save status only (400
    with the reason when refused); a refused form keeps what was saved before."""
    db = db_session()
    autosave = bool(request.headers.get("HX-Request"))
    form = RegisterForm()
    page_url = url_for("fieldwork.listing", attempt_id=attempt.id, building=building.number)
    late = _time_up(attempt)
    if late is not None:
        return _refused_autosave(late) if autosave else _listing_page(
            attempt, visit, walk, building, form, [], form_error(form, late))
    strangers = [e for e in form.rows.entries if e.form.unit_id.data not in building.units]
    if strangers:  # a tampered or stale page: refuse it whole, keep what was saved
        message = _("The building had a row for a unit that is not in it; nothing was saved.")
        if autosave:
            return escape(message), 400
        form.rows.entries = [e for e in form.rows.entries if e not in strangers]
        form.form_errors.append(message)
        return _listing_page(attempt, visit, walk, building, form, [], 400)
    if not form.validate_on_submit():
        if autosave:
            return _not_saved(form)[0], 400
        return _listing_page(attempt, visit, walk, building, form, [], 400)
    try:
        issues = services.save_register(db, attempt, form.data_by_unit(), partial=True)
    except DomainError as error:
        db.rollback()
        if autosave:
            return (_refused_autosave(error) if isinstance(error, services.TimeUp)
                    else (escape(translate(error)), status_for(error)))
        return _listing_page(attempt, visit, walk, building, form, [], form_error(form, error))
    if autosave:
        db.commit()
        return _saved()
    unit = request.form.get("issue_code")
    if unit is not None:  # the code button: the rows are saved first, then the code made
        if unit not in building.units:
            abort(404)
        try:
            code = services.issue_code(db, attempt, unit)
        except DomainError as error:
            db.commit()  # the rows stand; only the code is refused (nothing of it written)
            form.form_errors.append(translate(error))
            return _listing_page(attempt, visit, walk, building, form, issues,
                                 status_for(error))
        db.commit()
        flash(_("Self-reporting code of %(unit)s: %(code)s", unit=unit, code=code), "success")
        return redirect(url_for("fieldwork.listing", attempt_id=attempt.id,
                                building=building.number, _anchor=f"listing-{unit}"))
    db.commit()
    mine = [issue for issue in issues if _unit_of(attempt, issue) in building.units]
    flash(_("Building %(number)s is saved.", number=building.number) if not mine else _(
        "Building %(number)s is saved; %(count)s entries still need attention.",
        number=building.number, count=len(mine)), "info" if mine else "success")
    return redirect(page_url)


def _unit_of(attempt: Any, issue: Any) -> str | None:
    """The unit a register issue is about (issues count rows in the register's order)."""
    units = list(attempt.register or {})
    return units[issue.person] if issue.person is not None and issue.person < len(units) else None


def _listing_page(attempt: Any, visit: Any, walk: Walk, building: Any, form: RegisterForm,
                  issues: list[Any], status: int) -> Any:
    positions = {unit: index for index, unit in enumerate(attempt.register or {})}
    entries = {entry.form.unit_id.data: entry.form for entry in form.rows.entries}

    def field_of(issue: Any) -> Any:
        unit = next((u for u, i in positions.items() if i == issue.person), None)
        return getattr(entries[unit], issue.item, None) if unit in entries else None
    _put_errors(issues, field_of)
    listed = _listed(walk, attempt.register or {})
    return render_template("fieldwork/listing.html", attempt=attempt, visit=visit, walk=walk,
                           building=building, form=form, drawing=_drawing(walk),
                           listed=listed, progress=_progress(walk, listed),
                           submitted=attempt.status == AttemptStatus.SUBMITTED), status


# the map page of an attempt joins the blueprint with the walk it is drawn during
from trainer.fieldwork import map as _map  # noqa: E402,F401
