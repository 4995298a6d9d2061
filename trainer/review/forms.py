"""Forms of the review: override a criterion, comment, return, release."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class OverrideForm(FlaskForm):
    """A criterion's score set by the examiner, with the reason."""

    # radio rows of the criteria, full names wrapping (a select cut them off on a tablet);
    # the choices are the attempt's criteria, set by the view
    criterion = RadioField(_l("Criterion"), validators=[DataRequired(message=_l(
        "Choose the criterion."))])
    score = FloatField(_l("Score (0-100)"), validators=[DataRequired(message=_l(
        "Give the score.")), NumberRange(0, 100)])
    reason = TextAreaField(_l("Reason (kept in the record, shown to the trainee)"),
                           validators=[DataRequired(message=_l("Say why.")), Length(max=2000)])


class CommentForm(FlaskForm):
    """A comment, optionally tied to a place in the evidence."""

    anchor = StringField(_l("About (optional): a turn #, a form field, a map feature"),
                         validators=[Optional(), Length(max=200)],
                         # suggestions from the evidence (a <datalist> on the attempt page)
                         render_kw={"list": "anchor-places", "autocomplete": "off"})
    text = TextAreaField(_l("Comment"), validators=[DataRequired(message=_l(
        "Write the comment.")), Length(max=4000)])


class ReturnForm(FlaskForm):
    """Send back for correction, saying what to correct."""

    text = TextAreaField(_l("What the trainee should correct"),
                         validators=[DataRequired(message=_l("Say what to correct.")),
                                     Length(max=4000)])


class ActionForm(FlaskForm):
    """A button that changes state (claim, release): the CSRF token only."""


def _bulk_actions() -> list[SelectChoice]:
    # No action is chosen for the examiner: releasing shows scores to trainees at once.
    return [SelectChoice("", str(_l("Choose an action…"))),
            SelectChoice("release", str(_l("Release the scores"))),
            SelectChoice("claim", str(_l("Take into review")))]


class BulkForm(FlaskForm):
    """One action for the attempts ticked in the queue (checkboxes named `attempts`)."""

    action = SelectField(_l("With the selected attempts"),
                         choices=_bulk_actions,
                         validators=[DataRequired(message=_l("Choose what to do with the "
                                                             "selected attempts."))])
    # any attempt id may be sent: whether it may be acted on is the service's check
    attempts = SelectMultipleField(coerce=int, validate_choice=False, validators=[
        DataRequired(message=_l("Select at least one attempt."))])


class MarkForm(FlaskForm):
    """An independent mark: one score (0-100) per criterion, read from `score-<criterion>`
    fields the template lists from the attempt's score."""


class MarkingForm(FlaskForm):
    """A cohort's marking rules."""

    double_marking = BooleanField(_l("Double marking: two examiners mark each attempt "
                                     "independently, without seeing each other's marks"))
    marking_threshold = FloatField(_l("Difference in the totals that calls a third examiner "
                                      "(points)"),
                                   validators=[DataRequired(message=_l("Give the difference.")),
                                               NumberRange(1, 100)])
