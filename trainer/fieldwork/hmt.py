"""The form for Hong Kong, Macao and Taiwan residents and foreigners (港澳台居民和外籍人员普查表):
its page, saved on every change like the R601 form. Its routes join the fieldwork blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for

from trainer.access import roles
from trainer.accounts.models import Role
from trainer.core.census import hmt
from trainer.core.census.r601 import Issue
from trainer.core.errors import DomainError
from trainer.core.scenario import vocabulary
from trainer.core.world.people import HMT_NATIONALITIES
from trainer.errors import form_error
from trainer.extensions import db_session
from trainer.fieldwork import services
from trainer.fieldwork.hmt_forms import COUNTRIES, HmtHouseholdForm
from trainer.fieldwork.models import AttemptStatus
from trainer.fieldwork.views import (
    _attach,
    _fault_test_pause,
    _not_saved,
    _own_attempt,
    _refused_autosave,
    _saved,
    _time_up,
    add_entry,
    bp,
    flash_form_saved,
    graded_fields,
)

# countries offered for R6 (any other may be typed): those the world generates
COUNTRY_NAMES = tuple(name for name, _weight in HMT_NATIONALITIES if name not in hmt.AREAS)


@bp.app_template_global()
def hmt_forms_of(attempt: Any, visit: Any) -> list[tuple[str, str]]:
    """(unit, "complete" | "draft" | "not_started") of each HMT/foreign form the trainee
    may fill: the households of that form they have met."""
    saved = attempt.hmt_forms or {}
    return [(unit, "complete" if saved[unit].get("complete") else "draft")
            if unit in saved else (unit, "not_started") for unit in services.hmt_units(visit)]


@bp.route("/training/attempts/<int:attempt_id>/hmt/<unit>", methods=["GET", "POST"])
@roles(Role.TRAINEE)
def hmt_form(attempt_id: int, unit: str) -> Any:
    """A household's HMT/foreign form: saved on every change, complete when it passes."""
    db = db_session()
    attempt = _own_attempt(attempt_id)
    visit = services.replay_attempt(attempt)
    if unit not in services.hmt_units(visit):
        abort(404)
    stored = (attempt.hmt_forms or {}).get(unit, {})
    if request.method == "GET":
        form = HmtHouseholdForm(formdata=None, data=stored.get("record"))
        form.complete.data = stored.get("complete", False)
        issues = hmt.validate(stored["record"]) if stored else []
        return _page(attempt, visit, unit, form, issues, 200)
    form = HmtHouseholdForm()
    autosave = bool(request.headers.get("HX-Request"))
    late = _time_up(attempt)
    if late is not None:
        return _refused_autosave(late) if autosave else _page(
            attempt, visit, unit, form, [], form_error(form, late))
    if not form.validate_on_submit():
        if autosave:  # tell the trainee at once; the last good save is kept
            return _not_saved(form)
        return _page(attempt, visit, unit, form, [], 400)
    try:
        issues = services.save_hmt_form(db, attempt, unit, form.record(),
                                        complete=bool(form.complete.data),
                                        confirmed=bool(form.confirmed.data), visit=visit)
        _fault_test_pause("before-commit")
    except DomainError as error:
        db.rollback()
        if autosave and isinstance(error, services.TimeUp):
            return _refused_autosave(error)
        return _page(attempt, visit, unit, form, [], form_error(form, error))
    db.commit()
    if autosave:
        return _saved()
    if "add_person" in request.form:
        form = HmtHouseholdForm(formdata=None, data=attempt.hmt_forms[unit]["record"])
        add_entry(form, form.persons)
        return _page(attempt, visit, unit, form, [], 200)  # no errors on a new row
    flash_form_saved(attempt.hmt_forms[unit]["complete"], bool(form.complete.data), issues)
    return redirect(url_for("fieldwork.hmt_form", attempt_id=attempt.id, unit=unit))


def _page(attempt: Any, visit: Any, unit: str, form: HmtHouseholdForm, issues: list[Issue],
          status: int) -> Any:
    warnings = _attach(form, issues, "FR")
    return render_template("fieldwork/hmt_form.html", attempt=attempt, visit=visit, unit=unit,
                           form=form, warnings=warnings, graded=graded_fields(attempt, unit),
                           vocabulary=vocabulary,
                           state=visit.households[unit],
                           entry=(attempt.hmt_forms or {}).get(unit, {}),
                           countries=COUNTRY_NAMES, countries_id=COUNTRIES,
                           household_items=hmt.HOUSEHOLD_ITEMS, person_items=hmt.PERSON_ITEMS,
                           submitted=attempt.status == AttemptStatus.SUBMITTED), status
