"""The area's death form (死亡人口调查表) as WTForms renders it: a row per death."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, FormField, StringField
from wtforms.validators import Length, Optional

from trainer.core.census.deaths import ITEMS
from trainer.fieldwork.forms import ETHNIC_LIST, RowForm, _coded, _count


class DeathRowForm(RowForm):
    """One death of 2019-11-01 to 2020-10-31; every field may be left blank in a draft."""

    number = _count(_l("Household no. (户编号)"), 999)
    # a person's name (姓名), not the shared "Name" of things (名称)
    name = StringField(_l("Full name"), validators=[Optional(), Length(max=40)])
    sex = _coded("D4", _l("Sex"))
    birth = StringField(_l("Born (YYYY-MM)"), validators=[Optional(), Length(max=7)])
    died = StringField(_l("Died (YYYY-MM)"), validators=[Optional(), Length(max=7)])
    age = _count(_l("Age at death (周岁)"), 150)
    ethnicity = StringField(_l("Ethnicity"), validators=[Optional(), Length(max=20)],
                            render_kw=ETHNIC_LIST)
    education = _coded("D11", _l("Education (aged 6 and over at death)"))
    remove = BooleanField(_l("Remove this row"))


class DeathsForm(FlaskForm):
    """The whole death form of the area."""

    rows = FieldList(FormField(DeathRowForm), min_entries=0, max_entries=100)
    complete = BooleanField(_l("The death form is complete"))

    def rows_data(self) -> list[dict[str, Any]]:
        """The rows as entered (blank text as None), removed and wholly blank rows left out."""
        rows = []
        for entry in self.rows.entries:
            if entry.form.remove.data:
                continue
            row = {item: entry.form[item].data for item in ITEMS}
            row = {key: (value.strip() or None) if isinstance(value, str) else value
                   for key, value in row.items()}
            if any(value is not None for value in row.values()):
                rows.append(row)
        return rows
