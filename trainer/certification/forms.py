"""Forms of certification: the pass rules, issuing, revoking, and typing a code to check."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from trainer.db import MAX_ROW_ID
from trainer.security import NumberRange as SafeRange


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes. Choices are checked by the service (which says clearly what is
    wrong), not by WTForms' generic "not a valid choice"."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: object) -> None:
        return None


class RulesForm(FlaskForm):
    """A cohort's pass rules."""

    required = MultiCheckboxField(_l("Required exercises"), coerce=str)
    minimum_total = FloatField(_l("Minimum total of each required attempt (0-100)"),
                               validators=[InputRequired(message=_l("Give the minimum total.")),
                                           NumberRange(0, 100, message=_l(
                                               "The minimum total runs from 0 to 100."))])
    must_not_fail = MultiCheckboxField(_l("Criteria that must not be failed in any required "
                                          "attempt"), coerce=str)


class ActionForm(FlaskForm):
    """A button that changes state (issue to everyone who qualifies): the CSRF token only."""


class IssueForm(FlaskForm):
    """Issue one trainee's certificate."""

    # a user id: a number past the database's integers would fail in the query, not here
    trainee_id = IntegerField(validators=[DataRequired(), SafeRange(1, MAX_ROW_ID)])


class RevokeForm(FlaskForm):
    """Revoke a certificate, with the reason (kept)."""

    reason = TextAreaField(_l("Reason for revoking (kept in the record)"),
                           validators=[DataRequired(message=_l("Say why.")), Length(max=2000)])


class VerifyForm(FlaskForm):
    """Type a certificate's code (a GET form: no session, no CSRF)."""

    class Meta:
        csrf = False

    code = StringField(_l("Verification code"), validators=[DataRequired(), Length(max=64)])
