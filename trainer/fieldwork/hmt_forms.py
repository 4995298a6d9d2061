"""The form for Hong Kong, Macao and Taiwan residents and foreigners, as WTForms renders it."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, FormField, SelectField, StringField
from wtforms.validators import Length, Optional

from trainer.core.census import hmt
from trainer.fieldwork.forms import RowForm, _count
from trainer.fieldwork.forms import _coded as coded

COUNTRIES = "hmt-countries"  # the id of the datalist of countries offered for R6


def _coded(item: str, label: Any) -> SelectField:
    """A select of the item's codes, 'code label' in the interface language, and a blank."""
    return coded(item, label, hmt.CODES)


class HmtPersonForm(RowForm):
    """One person's row (R1-R9); every field may be left blank in a draft."""

    R1 = StringField(_l("R1 Name"), validators=[Optional(), Length(max=60)])
    R2 = _coded("R2", _l("R2 Relation to the head"))
    R3 = _coded("R3", _l("R3 Sex"))
    R4 = StringField(_l("R4 Born (YYYY-MM)"), validators=[Optional(), Length(max=7)])
    R5 = _coded("R5", _l("R5 Status or nationality"))
    R6 = StringField(_l("R6 Country (foreigners)"), validators=[Optional(), Length(max=40)],
                     render_kw={"list": COUNTRIES})
    R7 = _coded("R7", _l("R7 Purpose of stay"))
    R8 = _coded("R8", _l("R8 Length of stay"))
    R9 = _coded("R9", _l("R9 Employment (aged 15 and over)"))
    remove = BooleanField(_l("Remove this person"))


class HmtHouseholdForm(FlaskForm):
    """The household items (F1-F4) and the persons of the HMT/foreign form."""

    F1 = _coded("F1", _l("F1 Type of household"))
    F2 = _coded("F2", _l("F2 Type of dwelling"))
    F3 = _count(_l("F3 Floor area (m²)"), 5000)
    F4 = _count(_l("F4 Rooms"), 100)
    persons = FieldList(FormField(HmtPersonForm), min_entries=1, max_entries=40)
    complete = BooleanField(_l("The form is complete"))
    confirmed = BooleanField(_l("I have checked the warnings"))

    def record(self) -> dict[str, Any]:
        """The form's answers as a record of `core.census.hmt` (removed persons left out)."""
        out: dict[str, Any] = {name: self[name].data for name in hmt.HOUSEHOLD_ITEMS}
        out["persons"] = [{name: _clean(entry.form[name].data) for name in hmt.PERSON_ITEMS}
                          for entry in self.persons.entries if not entry.form.remove.data]
        return out


def _clean(value: Any) -> Any:
    """Text stripped, blank text as None; codes and numbers as they are."""
    return (value.strip() or None) if isinstance(value, str) else value
