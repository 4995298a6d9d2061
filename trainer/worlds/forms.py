"""The form that makes a world: region, size, enumeration-area bounds and hard-case rates."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, FormField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import TextInput

from trainer.core.world.regions import YUEYANG, YUEYANG_COUNTIES
from trainer.core.world.spec import MAX_BIRTHS, MAX_GRIDS, MAX_VACANCY, Rates, WorldSpec
from trainer.worlds.services import MAX_SEED

DEFAULTS = WorldSpec()

RATE_LABELS = {
    "hukou_other_village": _l("Hukou in another village of the township (D8=2)"),
    "hukou_other_township": _l("Hukou in another township of the county (D8=3)"),
    "hukou_other_county_in_city": _l("Hukou in another county of the city (D8=4)"),
    "hukou_other_county_in_province": _l("Hukou elsewhere in the province (D8=4)"),
    "hukou_other_province": _l("Hukou in another province (D8=4)"),
    "hukou_pending": _l("Hukou pending (户口待定, D8=5)"),
    "no_id_number": _l("Persons without an ID number"),
    "members_away": _l("Households with a hukou member away on 10-31 (H2b)"),
    "abroad": _l("Households with a member abroad for work or study"),
    "hmt_foreign": _l("Households of Hong Kong, Macao, Taiwan residents or foreigners"),
    "collective_persons": _l("Persons in collective households"),
    "vacant_units": _l("Vacant housing units"),
    "multiple_dwellings": _l("Households with a second dwelling in the grid"),
    "whole_household_death": _l("Whole-household deaths (999)"),
    "deaths": _l("Deaths in the year before the standard time"),
    "births": _l("Births in the year before the standard time (of the residents; Hunan "
                 "2020: 0.853, at most 3)"),
    "newborn_died": _l("Newborns of the year who died"),
    "unnamed_newborn": _l("Recent newborns not yet named"),
    "shop_units": _l("Street-level shop units"),
    "shop_dwellers": _l("Shops with people living in them"),
    "no_housing": _l("Households with no housing"),
    "second_household": _l("Units where a second household is found"),
    "long_form": _l("Households sampled for the long form"),
}


# Each field's error says what the field holds, in the page's language: a wrong value of any
# kind (none, no number, NaN, out of range) is answered by the same message, where WTForms'
# own were generic ("This field is required.", "Not a valid integer value.", "Number must be
# between 1 and 8000.", "Field must be exactly 6 characters long.").


class Finite:
    """Refuse NaN and infinity, which parse as decimals but are no numbers."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, _form: object, field: DecimalField) -> None:
        if isinstance(field.data, Decimal) and not field.data.is_finite():
            raise StopValidation(str(self.message))


class NumberGiven:
    """Stop at a box that holds no number, with one error, the field's `message`: for a box
    sent empty or blank (a rate not sent keeps its default; 0 is a number like any other),
    or for what is no number (the field's `invalid_value_message`, already among its
    errors), not followed by a range that no number given could be outside of."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, _form: object, field: DecimalField | IntegerField) -> None:
        if field.raw_data and not str(field.raw_data[0]).strip():
            field.errors[:] = []
            raise StopValidation(str(self.message))
        if field.process_errors:
            raise StopValidation()


class InRange:
    """A number from `low` to `high`, refused with `message` (NumberRange turns one past a
    float's range, a pasted row of digits, into an OverflowError)."""

    def __init__(self, low: int, high: float, message: Any) -> None:
        self.low, self.high, self.message = low, high, message

    def __call__(self, _form: object, field: IntegerField | DecimalField) -> None:
        if field.data is None or self.low <= field.data <= self.high:
            return
        raise ValidationError(str(self.message))


class NumberText(TextInput):
    """A number typed in a text box (with the keypad of `mode`): what the trainer typed, a
    non-number too, reaches the form and comes back beside its error. A number input sends
    nothing for what it cannot read ("abc", "1e400": a random seed, a 0 % share, silently)
    and the browser empties it."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("inputmode", self.mode)
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(field, **kwargs)


WHOLE, DECIMAL = NumberText("numeric"), NumberText("decimal")


def _share(label: Any, default: float, places: int, most: float,
           message: Any) -> DecimalField:
    """A per cent from 0 to `most`, every wrong value answered by `message`."""
    return DecimalField(label, default=default, places=places, widget=DECIMAL,
                        invalid_value_message=message,
                        validators=[NumberGiven(message), Finite(message),
                                    InRange(0, most, message)])


def _percent(name: str) -> DecimalField:
    default = round(getattr(Rates(), name) * 100, 3)
    most = {"births": MAX_BIRTHS * 100, "vacant_units": MAX_VACANCY * 100}.get(name, 100)
    return _share(RATE_LABELS[name], default, 3, most,
                  _l("Enter this share as a number from 0 to %(max)s per cent.",
                     max=f"{most:g}"))


MOST = 5000  # households per grid (WorldSpec's bound), and housing units per area


def _count(label: Any, default: int, most: int, message: Any) -> IntegerField:
    """A whole number from 1 to `most` (which `message` names), every wrong value answered
    by `message`."""
    return IntegerField(label, default=default, widget=WHOLE, invalid_value_message=message,
                        validators=[InputRequired(message), NumberGiven(message),
                                    InRange(1, most, message)])


RatesForm = type("RatesForm", (FlaskForm,), {f.name: _percent(f.name) for f in fields(Rates)})


class RatesSubform(RatesForm):  # type: ignore[misc, valid-type]
    class Meta:
        csrf = False


REGION_DIGITS = _l("The region code has 6 digits, e.g. 430602.")
SEED_RANGE = _l("The seed must be a whole number from 0 to %(max)s.", max=MAX_SEED)


class WorldForm(FlaskForm):
    # no maxlength: the browser would cut a pasted name at 120 characters without a word
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Give the world a name.")),
        Length(max=120, message=_l("The name is at most %(max)s characters long."))],
        render_kw={"maxlength": False})
    # All of Yueyang by default (a spec without a region is 岳阳楼区 alone, see WorldSpec)
    region = StringField(_l("Region code (county-level or prefecture)"), default=YUEYANG,
                         validators=[DataRequired(REGION_DIGITS),
                                     Length(min=6, max=6, message=REGION_DIGITS)],
                         render_kw={"list": "yueyang-counties", "inputmode": "numeric"})
    grids = _count(_l("Grids (网格)"), DEFAULTS.grids, MAX_GRIDS, _l(
        "Enter the number of grids, a whole number from 1 to %(max)s.", max=MAX_GRIDS))
    seed = IntegerField(_l("Seed (empty: random)"), widget=WHOLE,
                        invalid_value_message=SEED_RANGE,
                        validators=[Optional(), NumberGiven(SEED_RANGE),
                                    InRange(0, MAX_SEED, SEED_RANGE)])
    households_min = _count(
        _l("Households per grid, at least"), DEFAULTS.households_min, MOST,
        _l("Enter the fewest households a grid may have, a whole number from 1 to %(max)s.",
           max=MOST))
    households_max = _count(
        _l("Households per grid, at most"), DEFAULTS.households_max, MOST,
        _l("Enter the most households a grid may have, a whole number from 1 to %(max)s.",
           max=MOST))
    area_min_units = _count(
        _l("Housing units per area, at least"), DEFAULTS.area_min_units, MOST,
        _l("Enter the fewest housing units an area may have, a whole number from 1 to "
           "%(max)s.", max=MOST))
    area_target_units = _count(
        _l("Housing units per area, target"), DEFAULTS.area_target_units, MOST,
        _l("Enter the target number of housing units per area, a whole number from 1 to "
           "%(max)s.", max=MOST))
    area_max_units = _count(
        _l("Housing units per area, at most"), DEFAULTS.area_max_units, MOST,
        _l("Enter the most housing units an area may have, a whole number from 1 to %(max)s.",
           max=MOST))
    partition = SelectField(_l("Partition"), default=DEFAULTS.partition,
                            choices=lambda: partition_choices(),
                            invalid_choice_message=_l(
                                "Choose one of the two ways to divide a grid."))
    urban_share = _share(_l("Urban share, per cent"), DEFAULTS.urban_share * 100, 1, 100,
                         _l("Enter the urban share as a number from 0 to 100 per cent."))
    rates = FormField(RatesSubform, label=_l("Hard cases, per cent"))

    def spec_data(self) -> dict[str, object]:
        """The form's values as a spec dict (rates as fractions; "-0" typed is kept as 0, not
        as -0.0: adding 0.0 makes a negative zero positive)."""
        rates = {name: float(value) / 100 + 0.0 for name, value in self.rates.data.items()
                 if value is not None}
        return {
            "region": (self.region.data or "").strip(), "grids": self.grids.data,
            "households_min": self.households_min.data,
            "households_max": self.households_max.data,
            "area_min_units": self.area_min_units.data,
            "area_target_units": self.area_target_units.data,
            "area_max_units": self.area_max_units.data, "partition": self.partition.data,
            "urban_share": float(self.urban_share.data or 0) / 100 + 0.0, "rates": rates,
        }


# the datalist of region codes: all of Yueyang, then its nine counties
YUEYANG_CHOICES = [(YUEYANG, "岳阳市"), *sorted((code, name) for code, (name, _urban)
                                              in YUEYANG_COUNTIES.items())]


def partition_choices() -> list[SelectChoice]:
    """The two ways to divide a grid, in the current language."""
    return [SelectChoice("areas", str(_l("Enumeration areas of about the target size"))),
            SelectChoice("group", str(_l("Grid kept whole as a census group")))]


class RecountForm(FlaskForm):
    """Count a world again (a button: the CSRF token only)."""
