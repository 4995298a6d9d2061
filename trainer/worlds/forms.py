"""The form that makes a world: region, size, enumeration-area bounds and hard-case rates."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, FormField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from trainer.core.world.regions import YUEYANG, YUEYANG_COUNTIES
from trainer.core.world.spec import MAX_BIRTHS, MAX_GRIDS, MAX_VACANCY, Rates, WorldSpec

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


def finite(_form: object, field: DecimalField) -> None:
    """Refuse NaN and infinity, which parse as decimals but are no numbers."""
    if isinstance(field.data, Decimal) and not field.data.is_finite():
        raise StopValidation(str(_l("Enter a number.")))


def not_huge(_form: object, field: IntegerField) -> None:
    """Stop absurd integers before NumberRange, which fails on numbers beyond a float."""
    if isinstance(field.data, int) and abs(field.data) >= 2**63:
        raise StopValidation(str(_l("Enter a number.")))


def not_blank(_form: object, field: DecimalField) -> None:
    """Refuse a rate sent empty (a rate not sent keeps its default); 0 is a rate like any
    other (DataRequired would refuse it)."""
    if field.raw_data and not str(field.raw_data[0]).strip():
        raise StopValidation(str(_l("Enter a number.")))


def _percent(name: str) -> DecimalField:
    default = round(getattr(Rates(), name) * 100, 3)
    most = {"births": MAX_BIRTHS * 100, "vacant_units": MAX_VACANCY * 100}.get(name, 100)
    return DecimalField(RATE_LABELS[name], default=default, places=3,
                        validators=[not_blank if default else Optional(), finite,
                                    NumberRange(0, most)])


COUNT = [DataRequired(), not_huge, NumberRange(1, 5000)]

RatesForm = type("RatesForm", (FlaskForm,), {f.name: _percent(f.name) for f in fields(Rates)})


class RatesSubform(RatesForm):  # type: ignore[misc, valid-type]
    class Meta:
        csrf = False


class WorldForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    # All of Yueyang by default (a spec without a region is 岳阳楼区 alone, see WorldSpec)
    region = StringField(_l("Region code (county-level or prefecture)"), default=YUEYANG,
                         validators=[DataRequired(), Length(min=6, max=6)],
                         render_kw={"list": "yueyang-counties", "inputmode": "numeric"})
    grids = IntegerField(_l("Grids (网格)"), default=DEFAULTS.grids,
                         validators=[DataRequired(), not_huge, NumberRange(1, MAX_GRIDS)])
    seed = IntegerField(_l("Seed (empty: random)"),
                        validators=[Optional(), not_huge, NumberRange(0, 2**63 - 1)])
    households_min = IntegerField(_l("Households per grid, at least"),
                                  default=DEFAULTS.households_min, validators=COUNT)
    households_max = IntegerField(_l("Households per grid, at most"),
                                  default=DEFAULTS.households_max, validators=COUNT)
    area_min_units = IntegerField(_l("Housing units per area, at least"),
                                  default=DEFAULTS.area_min_units, validators=COUNT)
    area_target_units = IntegerField(_l("Housing units per area, target"),
                                     default=DEFAULTS.area_target_units, validators=COUNT)
    area_max_units = IntegerField(_l("Housing units per area, at most"),
                                  default=DEFAULTS.area_max_units, validators=COUNT)
    partition = SelectField(_l("Partition"), default=DEFAULTS.partition,
                            choices=lambda: partition_choices())
    urban_share = DecimalField(_l("Urban share, per cent"), default=DEFAULTS.urban_share * 100,
                               places=1, validators=[Optional(), finite, NumberRange(0, 100)])
    rates = FormField(RatesSubform, label=_l("Hard cases, per cent"))

    def spec_data(self) -> dict[str, object]:
        """The form's values as a spec dict (rates as fractions)."""
        rates = {name: float(value) / 100 for name, value in self.rates.data.items()
                 if value is not None}
        return {
            "region": (self.region.data or "").strip(), "grids": self.grids.data,
            "households_min": self.households_min.data,
            "households_max": self.households_max.data,
            "area_min_units": self.area_min_units.data,
            "area_target_units": self.area_target_units.data,
            "area_max_units": self.area_max_units.data, "partition": self.partition.data,
            "urban_share": float(self.urban_share.data or 0) / 100, "rates": rates,
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
