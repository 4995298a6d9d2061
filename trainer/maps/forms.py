"""Forms of the map feature: a trainer setting a map task; the map's title block; submit."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from trainer.core.maps.parse import MAX_TEXT, MAX_TOTAL
from trainer.security import NumberRange

RULE_LABELS = {
    "serpentine": _l("Serpentine, in the area's listing order (default)"),
    "serpentine_either_end": _l("Serpentine, from either end of the listing order"),
    "serpentine_nw": _l("Serpentine by rows from the north-west corner"),
    "serpentine_any_corner": _l("Serpentine by rows from any corner"),
    "free": _l("Any order: numbers unique and consecutive from 1"),
}


BUILDING_TYPE_LABELS = {
    "residential": _l("Residential"),
    "shop": _l("Shop with people living in it"),
    "collective": _l("Collective quarters (集体住所)"),
    "public": _l("Public building"),
    "other": _l("Other building"),
}
SIGN_LABELS = {  # what walking past a building shows (field view `signs`)
    "dormitory": _l("A dormitory"),
    "work_shed": _l("A work shed where workers sleep"),
    "care_home": _l("A care home"),
    "shop_home": _l("A shop; its keepers live in it"),
    "shop": _l("A shop; nobody lives in it"),
}


KIND_LABELS = {
    "area": _l("Draw the map of one area (普查小区图)"),
    "division": _l("Divide a whole grid into areas"),
}


def kind_choices() -> list[SelectChoice]:
    """The kinds of map task, labelled in the interface language."""
    return [SelectChoice(name, str(label)) for name, label in KIND_LABELS.items()]


def rule_choices(rules: list[str]) -> list[SelectChoice]:
    """The numbering rules the grader knows, labelled in the interface language."""
    return [SelectChoice(name, str(RULE_LABELS.get(name, name))) for name in rules]


class TaskForm(FlaskForm):
    """Set a map task: the map of one enumeration area (world, grid, area, rule), or the
    division of a whole grid into areas of a target size; and a due date."""

    kind = SelectField(_l("Task"), validators=[DataRequired()], default="area")
    world = SelectField(_l("World"), validators=[DataRequired()], coerce=int)
    grid = IntegerField(_l("Grid number"), validators=[DataRequired(), NumberRange(1, 10_000)],
                        default=1)
    area = IntegerField(_l("Area number (普查小区)"),
                        validators=[Optional(), NumberRange(1, 999)], default=1)
    rule = SelectField(_l("Building numbering rule"), validators=[DataRequired()])
    target_units = IntegerField(_l("Target size of an area (housing units)"),
                                validators=[Optional(), NumberRange(20, 500)], default=80)
    due_on = DateField(_l("Due on"), validators=[Optional()])
    redraw_allowed = BooleanField(_l("Practice: a trainee may redraw after grading"),
                                  default=True)

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then: an area task needs the area's number (a division has none; the
        field's Optional() ends its own checks when it is blank, so this is checked here)."""
        valid = bool(super().validate(extra_validators))
        if self.kind.data == "area" and self.area.data is None and not self.area.errors:
            self.area.errors = [*self.area.errors, str(_l("Give the area's number."))]
            valid = False
        return valid


class HeaderForm(FlaskForm):
    """The map's title block, as the editor shows it (saved with the drawing as JSON)."""

    class Meta:
        csrf = False  # never posted as a form: the drawing's JSON save carries the token

    title = StringField(_l("Title (full area name)"),
                        validators=[Optional(), Length(max=MAX_TEXT)])
    code = StringField(_l("Area code"), validators=[Optional(), Length(max=MAX_TEXT)])
    building_total = IntegerField(_l("Buildings"),
                                  validators=[Optional(), NumberRange(0, MAX_TOTAL)])
    household_total = IntegerField(_l("Households"),
                                   validators=[Optional(), NumberRange(0, MAX_TOTAL)])
    drafter = StringField(_l("Drafter"), validators=[Optional(), Length(max=MAX_TEXT)])
    date = StringField(_l("Date"), validators=[Optional(), Length(max=MAX_TEXT)])


class SubmitForm(FlaskForm):
    """Submit the drawing for grading (only the CSRF token)."""


REDRAW_STARTS = {"last": _l("From my last drawing"), "blank": _l("From a blank map")}


class RedrawForm(FlaskForm):
    """Start a new try of a graded map: from the last drawing or from a blank map."""

    start = RadioField(_l("Start the new try"), validators=[DataRequired()], default="last")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start.choices = [SelectChoice(key, str(label))  # labelled in the request's language
                              for key, label in REDRAW_STARTS.items()]


class RegradeForm(FlaskForm):
    """Grade a submitted map (or every map of a task) again (only the CSRF token)."""
