"""The form for Hong Kong, Macao and Taiwan residents and foreigners (港澳台居民和外籍人员普查表):
its page, saved on every change like the R601 form. Its routes join the fieldwork blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for

from trainer.access import roles
from trainer.accounts.models import Role
from trainer.core.census import hmt
from trainer.core.census.r601 import Issue
from trainer.core.scenario import vocabulary
from trainer.core.world.people import HMT_NATIONALITIES
from trainer.extensions import db_session
from trainer.fieldwork import services
from trainer.fieldwork.hmt_forms import COUNTRIES, HmtHouseholdForm
from trainer.fieldwork.models import AttemptStatus
from trainer.fieldwork.views import (
    _attach,
    _fault_test_pause,
    _own_attempt,
    _save_sheet,
    bp,
    graded_fields,
    household_saved,
    meet_first,
    stored_form,
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
    meet_first(visit, unit, begun=attempt.hmt_forms)
    if unit not in services.hmt_units(visit):
        abort(404)
    if request.method == "POST":
        form = HmtHouseholdForm()

        def save() -> list[Issue]:
            issues = services.save_hmt_form(db, attempt, unit, form.record(),
                                            complete=bool(form.complete.data),
                                            confirmed=bool(form.confirmed.data), visit=visit)
            _fault_test_pause("before-commit")
            return issues

        def page(shown: HmtHouseholdForm, status: int) -> Any:
            return _page(attempt, visit, unit, shown, [], status)

        return _save_sheet(attempt, form, save, lambda status: page(form, status),
                           household_saved(form, lambda: attempt.hmt_forms[unit], page, url_for(
                               "fieldwork.hmt_form", attempt_id=attempt.id, unit=unit)))
    stored = (attempt.hmt_forms or {}).get(unit, {})
    issues = hmt.validate(stored["record"]) if stored else []
    return _page(attempt, visit, unit, stored_form(HmtHouseholdForm, stored), issues, 200)


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
