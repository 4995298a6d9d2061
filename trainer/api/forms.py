"""Forms of the token page: make a token, revoke one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from trainer.api.services import MAX_NAME

# days a token stays valid; "" never expires
EXPIRY_CHOICES = [SelectChoice("", _l("Never")), SelectChoice("7", _l("7 days")),
                  SelectChoice("30", _l("30 days")), SelectChoice("90", _l("90 days")),
                  SelectChoice("365", _l("One year"))]


class TokenForm(FlaskForm):
    """A new token: a name, the cohorts it may read, and how long it lasts."""

    name = StringField(_l("Name (what the token is for)"),
                       validators=[DataRequired(message=_l("Give the token a name.")),
                                   Length(max=MAX_NAME)])
    cohort_ids = SelectMultipleField(_l("Cohorts the token may read"), coerce=int,
                                     validators=[DataRequired(message=_l(
                                         "Choose at least one cohort."))])
    expires_in = SelectField(_l("Expires after"), choices=EXPIRY_CHOICES, default="")


class RevokeForm(FlaskForm):
    """The revoke button: the CSRF token only."""
