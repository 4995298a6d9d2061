"""The small-area map page of an attempt (普查小区图, drawn during the listing walk): the field
view of the area and the map tasks' editor (`static/maps/editor.js`), saving the whole GeoJSON
into the attempt after every edit; read-only once the attempt is submitted. The debrief's
overlay of a graded map is a template global. These routes join the fieldwork blueprint
(imported at the end of `listing.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, render_template
from flask_babel import gettext as _
from markupsafe import Markup

from trainer.access import roles
from trainer.accounts.models import Role
from trainer.core.errors import DomainError, NotFound
from trainer.core.i18n import N_
from trainer.errors import status_for, translate
from trainer.extensions import db_session, is_english
from trainer.fieldwork import map_services
from trainer.fieldwork.models import AttemptStatus
from trainer.fieldwork.views import BEIJING, _own_attempt, bp
from trainer.maps import services as map_tasks
from trainer.maps.forms import BUILDING_TYPE_LABELS, SIGN_LABELS, HeaderForm
from trainer.maps.views import sent_drawing
from trainer.scenarios.services import scenario_of

SVG = "image/svg+xml"


def say(message: str, params: Mapping[str, object] | None) -> str:
    """A map finding's message in the interface language."""
    try:
        return str(_(message, **dict(params or {})))
    except (KeyError, TypeError, ValueError):
        return str(_(message))


def _attempt_with_map(attempt_id: int) -> Any:
    """One of my attempts whose exercise has a map (any other has no map page)."""
    attempt = _own_attempt(attempt_id)
    if map_services.map_of(attempt) is None:
        raise NotFound(N_("This exercise has no small-area map."))
    return attempt


@bp.get("/training/attempts/<int:attempt_id>/map")
@roles(Role.TRAINEE)
def attempt_map(attempt_id: int) -> Any:
    """The map editor of an attempt's area; the map as drawn once it is submitted."""
    attempt = _attempt_with_map(attempt_id)
    return render_template("fieldwork/map.html", attempt=attempt,
                           scenario=scenario_of(attempt.version),
                           brief=map_services.briefing(attempt, english=is_english()),
                           header=HeaderForm(), type_labels=BUILDING_TYPE_LABELS,
                           sign_labels=SIGN_LABELS,
                           submitted=attempt.status == AttemptStatus.SUBMITTED)


@bp.get("/training/attempts/<int:attempt_id>/map/field.json")
@roles(Role.TRAINEE)
def attempt_map_field(attempt_id: int) -> Any:
    """The field view of the area (roads, water, landmarks, footprints; no truth)."""
    return jsonify(map_services.field_view(_attempt_with_map(attempt_id)))


@bp.get("/training/attempts/<int:attempt_id>/map/drawing")
@roles(Role.TRAINEE)
def attempt_map_drawing(attempt_id: int) -> Any:
    """My drawing as last saved (None before the first save)."""
    attempt = _attempt_with_map(attempt_id)
    return jsonify(drawing=attempt.map_drawing,
                   submitted=attempt.status == AttemptStatus.SUBMITTED)


@bp.post("/training/attempts/<int:attempt_id>/map/drawing")
@roles(Role.TRAINEE)
def attempt_map_save(attempt_id: int) -> Any:
    """Save the whole drawing (JSON, sent by the editor after every edit); a refused save
    answers why and keeps the last good one."""
    db = db_session()
    try:
        attempt = _attempt_with_map(attempt_id)
        map_services.save_map(db, attempt, sent_drawing())
    except DomainError as error:
        db.rollback()
        return jsonify(saved=False, error=translate(error), field=error.field), \
            status_for(error)
    db.commit()
    now = datetime.now(UTC).astimezone(BEIJING).strftime("%H:%M:%S")
    return jsonify(saved=True, message=_("Saved at %(time)s.", time=now))


@bp.get("/training/attempts/<int:attempt_id>/map/drawing.svg")
@roles(Role.TRAINEE)
def attempt_map_svg(attempt_id: int) -> Any:
    """My drawing as a printable SVG (made from the drawing alone)."""
    attempt = _attempt_with_map(attempt_id)
    legend = {"boundary": _("Area boundary"), "building": _("Building"),
              "route": _("Route"), "road": _("Road"), "river": _("River"),
              "landmark": _("Landmark"), "buildings": _("Buildings"),
              "households": _("Households"), "drafter": _("Drafter"), "date": _("Date")}
    svg = map_tasks.drawing_svg(attempt.map_drawing or {}, legend)
    return Response(svg, mimetype=SVG, headers={"Cache-Control": "no-store"})


@bp.app_template_global()
def map_debrief(attempt: Any, data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a debrief (or a review) shows of a graded map: the overlay (inline SVG, every
    text in it escaped) and each map finding's marker number, by (criterion, index); None
    when the score has no map criterion."""
    if attempt is None or not data:
        return None
    svg = map_services.overlay(attempt, data, say)
    if svg is None:
        return None
    markers = {(name, index): number for number, (name, index, found)
               in enumerate(map_services.map_findings(data), start=1) if found.get("at")}
    return {"svg": Markup(svg), "markers": markers}  # noqa: S704 - overlay_svg escapes all


@bp.app_template_global()
def map_text(found: Mapping[str, Any]) -> str:
    """A stored map finding's message in the interface language."""
    return say(str(found.get("message", "")), found.get("params"))
