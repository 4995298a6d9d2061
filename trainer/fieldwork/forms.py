"""Forms of the field work: a trainer assigning an exercise."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from trainer.fieldwork.models import Mode


def mode_choices() -> list[SelectChoice]:
    """Practice or exam, labelled in the interface language."""
    return [SelectChoice(Mode.PRACTICE.value, str(_l("Practice: debrief at once, new attempts "
                                                     "allowed"))),
            SelectChoice(Mode.EXAM.value, str(_l("Exam: one attempt, scored on submission")))]


class AssignForm(FlaskForm):
    """Assign a published scenario version to a cohort."""

    version = SelectField(_l("Scenario"), validators=[DataRequired()], coerce=int)
    mode = SelectField(_l("Mode"), validators=[DataRequired()])
    due_on = DateField(_l("Due on"), validators=[Optional()])
