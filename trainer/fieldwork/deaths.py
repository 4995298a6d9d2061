"""The area's death form (死亡人口调查表), saved on every change like the tally, and the long
form's section of a sampled household's R601 page. Its routes join the fieldwork blueprint."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _

from trainer.access import roles
from trainer.accounts.models import Role
from trainer.core.census import deaths as death_rules
from trainer.core.census import long_form
from trainer.extensions import db_session
from trainer.fieldwork import services
from trainer.fieldwork.deaths_forms import DeathRowForm, DeathsForm
from trainer.fieldwork.models import AttemptStatus
from trainer.fieldwork.views import (
    _own_attempt,
    _put_errors,
    _save_sheet,
    _shown_score,
    add_entry,
    bp,
    sheet_saved,
)
from trainer.review import services as review_services
from trainer.scenarios import services as scenario_services

bp.add_app_template_global(death_rules.ITEMS, "death_items")  # the form's columns, in order


@bp.app_template_global()
def long_form_section(visit: Any, unit: str) -> dict[str, Any] | None:
    """What the R601 page shows of the long form: None unless the household is sampled;
    else the respondent's answers about the dwelling (H8-H18), once the trainee has asked for
    them in a visit (`ask_item:housing`)."""
    household = visit.households[unit].truth.household
    if household is None or not household.long_form:
        return None
    asked = any(event.household == unit and event.action == "ask_item:housing"
                for event in visit.events)
    return {"answers": long_form.answers(long_form.items_of(household)) if asked else []}


@bp.route("/training/attempts/<int:attempt_id>/deaths", methods=["GET", "POST"])
@roles(Role.TRAINEE)
def deaths(attempt_id: int) -> Any:
    """The area's death form (死亡人口调查表), saved on every change."""
    db = db_session()
    attempt = _own_attempt(attempt_id)
    if request.method == "POST":
        form = DeathsForm()
        more = "add_row" in request.form
        return _save_sheet(
            attempt, form, lambda: services.save_deaths(db, attempt, form.rows_data(),
                                                        complete=bool(form.complete.data)),
            lambda status: _deaths_page(attempt, form, [], status),
            sheet_saved(url_for("fieldwork.deaths", attempt_id=attempt.id,
                                add=1 if more else None),
                        lambda count: _("The death form is saved.") if not count else _(
                            "The death form is saved; %(count)s entries still need attention.",
                            count=count)))
    stored = attempt.deaths or {}
    form = DeathsForm(formdata=None, data={"rows": stored.get("rows") or [],
                                          "complete": stored.get("complete", False)})
    if request.args.get("add") and attempt.status == AttemptStatus.IN_PROGRESS:
        add_entry(form, form.rows)
    issues = list(death_rules.validate_rows(stored.get("rows") or []))
    return _deaths_page(attempt, form, issues, 200)


def _deaths_page(attempt: Any, form: DeathsForm, issues: list[Any], status: int) -> Any:
    rows = form.rows.entries
    _put_errors(issues, lambda issue: getattr(rows[issue.person].form, issue.item, None)
                if issue.person is not None and issue.person < len(rows) else None)
    shown = _shown_score(attempt, review_services.review_of(db_session(), attempt))
    graded = (shown or {}).get("criteria", {}).get("death_form", {}).get("findings", [])
    return render_template(
        "fieldwork/deaths.html", attempt=attempt, form=form,
        checks=[_(issue.message, **issue.params) for issue in services.death_checks(attempt)],
        graded=graded, scenario=scenario_services.scenario_of(attempt.version),
        headers={field.short_name: field.label.text for field in DeathRowForm()},
        submitted=attempt.status == AttemptStatus.SUBMITTED), status
