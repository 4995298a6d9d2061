"""The trainee's 复查 page: every inconsistency among their own forms, register, quick tally and
death form (`trainer.core.census.recheck`), grouped, each linked to the place to fix it.

Its routes join the fieldwork blueprint (imported at the end of `fieldwork/views.py`).
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext as _

from trainer.access import roles
from trainer.accounts.models import Role
from trainer.core.census import recheck as recheck_rules
from trainer.core.census.r601 import Severity
from trainer.fieldwork import services
from trainer.fieldwork.forms import HouseholdForm, PersonForm, RegisterRowForm, TallyForm
from trainer.fieldwork.models import AttemptStatus
from trainer.fieldwork.views import _own_attempt, bp
from trainer.scenarios import services as scenario_services


def _labels() -> dict[str, dict[str, str]]:
    """Each group's item and column labels, as the pages that hold them show them."""
    household = {field.name: str(field.label.text)
                 for form in (HouseholdForm(formdata=None, meta={"csrf": False}), PersonForm())
                 for field in form}
    return {"forms": household, "deaths": household,
            "register": {field.name: str(field.label.text) for field in RegisterRowForm()},
            "tally": {field.name: str(field.label.text)
                      for field in TallyForm(formdata=None, meta={"csrf": False})}}


@bp.get("/training/attempts/<int:attempt_id>/check")
@roles(Role.TRAINEE)
def recheck(attempt_id: int) -> Any:
    """The 复查 of my own work: its inconsistencies by group (never the truth)."""
    attempt = _own_attempt(attempt_id)
    visit = services.replay_attempt(attempt)
    findings = recheck_rules.recheck(
        units=services.r601_units(attempt, visit),
        outcomes={unit: visit.outcome(unit) for unit in visit.households},
        forms=attempt.forms or {}, register=attempt.register or {},
        tally_sheet=attempt.tally or None, death_form=attempt.deaths or None,
        foreign=list(attempt.hmt_forms or {}),
        opens=services.shown_form_units(attempt, visit))
    labels = _labels()
    groups: dict[str, list[dict[str, Any]]] = {name: [] for name in recheck_rules.GROUPS}
    for finding in findings:
        item = labels[finding.group].get(finding.item or "", finding.item)
        params = dict(finding.params)
        if finding.item and params.get("item") == finding.item:
            params["item"] = item  # "H4 Deaths, male is required.", never "H4m ..."
        groups[finding.group].append({
            "where": finding.where, "unit": finding.unit, "person": finding.person,
            "item": item, "text": _(finding.message, **params),
            "warning": finding.severity == Severity.SOFT, "begin": finding.begin})
    return render_template("fieldwork/recheck.html", attempt=attempt, groups=groups,
                           total=len(findings),
                           warnings=sum(1 for f in findings if f.severity == Severity.SOFT),
                           scenario=scenario_services.scenario_of(attempt.version),
                           submitted=attempt.status == AttemptStatus.SUBMITTED)
