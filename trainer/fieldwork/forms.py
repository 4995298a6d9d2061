"""Forms of the field work: a trainer assigning an exercise; the census form R601."""

from __future__ import annotations

import unicodedata
from functools import partial
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from trainer.core.census import long_form, register, tally
from trainer.core.world.codes import LABELS
from trainer.extensions import is_english
from trainer.fieldwork.models import Mode, World
from trainer.security import NumberRange


class RowForm(Form):
    """A form repeated inside a FlaskForm (a person, a register row), whose WTForms messages
    speak the interface language as the FlaskForm's own do. A plain `Form` has no
    translations: "Number must be between 0 and 999." stood in English under a field of the
    Chinese register."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            return wtforms_translations


def mode_choices() -> list[SelectChoice]:
    """Practice or exam, labelled in the interface language."""
    return [SelectChoice(Mode.PRACTICE.value, str(_l("Practice: debrief at once, new attempts "
                                                     "allowed"))),
            SelectChoice(Mode.EXAM.value, str(_l("Exam: one attempt, scored on submission")))]


def world_choices() -> list[SelectChoice]:
    """Whose world the trainees meet; each choice says the mode it is for (the services
    refuse a choice that does not fit the mode)."""
    return [SelectChoice(World.SCENARIO.value, str(_l("As the scenario sets it"))),
            SelectChoice(World.SHARED.value, str(_l("Exam: the same world for everyone "
                                                    "(one seed drawn now)"))),
            SelectChoice(World.PER_TRAINEE.value, str(_l("Exam: a world of their own for each "
                                                         "trainee"))),
            SelectChoice(World.PER_ATTEMPT.value, str(_l("Practice: a new world for every "
                                                         "attempt")))]


class AssignForm(FlaskForm):
    """Assign a published scenario version to a cohort, with its opening day, an exam's time
    limit and whose world the trainees meet (the combination is checked by `services.assign`).
    """

    version = SelectField(_l("Scenario"), validators=[DataRequired()], coerce=int)
    mode = SelectField(_l("Mode"), validators=[DataRequired()])
    opens_on = DateField(_l("Opens on"), validators=[Optional()])
    due_on = DateField(_l("Due on"), validators=[Optional()])
    time_limit_minutes = IntegerField(_l("Time limit in minutes (exams only)"),
                                      validators=[Optional()])
    world = SelectField(_l("Whose world"), choices=world_choices, default=World.SCENARIO.value,
                        validators=[Optional()])


def _code_choices(item: str, labels: Any = LABELS) -> list[SelectChoice]:
    """A blank and every code of the item, 'code label' in the interface language only.

    Decided (it once showed both, "1 家庭户 · Family household"): the code first, as the
    paper form and the records have it, then its label in the language the trainee reads, and
    not the other. Both at once showed English to trainees working in Chinese and made the
    options too long for the form's columns, where the selects cut them off."""
    english = is_english()
    return [SelectChoice("", "—")] + [
        SelectChoice(str(code), f"{code} {en if english else zh}")
        for code, (zh, en) in labels[item].items()]


def _coded(item: str, label: Any, labels: Any = LABELS) -> SelectField:
    # the choices are made when the form is, in the language of its request
    return SelectField(label, choices=partial(_code_choices, item, labels),
                       validators=[Optional()], coerce=_int_or_none)


# The text one column of a census form's grid (.census-form .items) holds, in em of its font,
# at the narrowest the grid's columns get (12rem less a select's padding and arrow); a field
# whose text may be longer takes two columns, so nothing is cut off. ID numbers (18 digits)
# always take two.
ONE_COLUMN_EM = 8.0
WIDE_FIELDS = frozenset({"D3", "D7_place", "D8_place"})


def text_em(text: str) -> float:
    """A text's width in em, roughly: a Chinese character is 1 em, anything else 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.6 for char in text)


def is_wide(field: Any) -> bool:
    """Whether a form field needs two columns of the census form's grid: an ID number, or a
    select with an option (in the interface language) too long for one."""
    if field.short_name in WIDE_FIELDS:
        return True
    if not isinstance(field, SelectField):
        return False
    return max((text_em(str(option.label.text)) for option in field), default=0) > ONE_COLUMN_EM


def _int_or_none(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# A field of ethnicity offers the full names (`ETHNIC_GROUPS`) as it is typed: the page
# holds them once, in fieldwork/_ethnic_groups.html.
ETHNIC_LIST = {"list": "ethnic-groups", "autocomplete": "off"}


def _count(label: Any, high: int) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(0, high)])


class PersonForm(RowForm):
    """One person's row of R601 (D1-D12, and the places of D7 = 5 and D8 = 4); every field
    may be left blank in a draft."""

    D1 = StringField(_l("D1 Name"), validators=[Optional(), Length(max=40)])
    D2 = _coded("D2", _l("D2 Relation to the head"))
    D3 = StringField(_l("D3 ID number"), validators=[Optional(), Length(max=18)])
    D4 = _coded("D4", _l("D4 Sex"))
    D5 = StringField(_l("D5 Born (YYYY-MM)"), validators=[Optional(), Length(max=7)])
    D6 = StringField(_l("D6 Ethnicity"), validators=[Optional(), Length(max=20)],
                     render_kw=ETHNIC_LIST)
    D7 = _coded("D7", _l("D7 Residence on 11-01"))
    D8 = _coded("D8", _l("D8 Hukou"))
    D9 = _coded("D9", _l("D9 Time away"))
    D10 = _coded("D10", _l("D10 Reason away"))
    D11 = _coded("D11", _l("D11 Education"))
    D12 = _coded("D12", _l("D12 Literate"))
    # written out after D7 = 5 and D8 = 4 (→ 省/市/县), e.g. 湖北省荆州市洪湖市
    D7_place = StringField(_l("D7 Province, city and county (for 5)"),
                           validators=[Optional(), Length(max=40)])
    D8_place = StringField(_l("D8 Province, city and county (for 4)"),
                           validators=[Optional(), Length(max=40)])
    remove = BooleanField(_l("Remove this person"))


class HouseholdForm(FlaskForm):
    """The household part of R601 (H1-H7) and its persons."""

    H1 = _coded("H1", _l("H1 Type of household"))
    H2a = _count(_l("H2a Lived here on 10-31"), 999)
    H2b = _count(_l("H2b Hukou here, away on 10-31"), 999)
    H3m = _count(_l("H3 Births, male"), 20)
    H3f = _count(_l("H3 Births, female"), 20)
    H4m = _count(_l("H4 Deaths, male"), 20)
    H4f = _count(_l("H4 Deaths, female"), 20)
    H5 = _coded("H5", _l("H5 Type of dwelling"))
    H6 = _count(_l("H6 Floor area (m²)"), 5000)
    H7 = _count(_l("H7 Rooms"), 100)
    # the long form's housing items: kept by `services.save_form` for sampled households only
    H8 = _coded("H8", _l("H8 Height of the building"), long_form.LABELS)
    H9 = _coded("H9", _l("H9 Load-bearing structure"), long_form.LABELS)
    H10 = _coded("H10", _l("H10 Year built"), long_form.LABELS)
    H11 = _coded("H11", _l("H11 Lift in the building"), long_form.LABELS)
    H12 = _coded("H12", _l("H12 Main cooking fuel"), long_form.LABELS)
    H13 = _coded("H13", _l("H13 Piped tap water"), long_form.LABELS)
    H14 = _coded("H14", _l("H14 Kitchen"), long_form.LABELS)
    H15 = _coded("H15", _l("H15 Toilet"), long_form.LABELS)
    H16 = _coded("H16", _l("H16 Bathing facilities"), long_form.LABELS)
    H17 = _coded("H17", _l("H17 How the dwelling was obtained"), long_form.LABELS)
    H18 = _count(_l("H18 Monthly rent (yuan, renters only)"), long_form.MAX_RENT)
    persons = FieldList(FormField(PersonForm), min_entries=1, max_entries=40)
    complete = BooleanField(_l("The form is complete"))
    confirmed = BooleanField(_l("I have checked the warnings"))

    def record(self) -> dict[str, Any]:
        """The form's answers as an R601 record (removed persons left out), with the long
        form's items (the service drops them unless the household is sampled)."""
        out: dict[str, Any] = {name: getattr(self, name).data for name in
                               ("H1", "H2a", "H2b", "H3m", "H3f", "H4m", "H4f", "H5", "H6",
                                "H7", *long_form.ITEMS)}
        out["persons"] = []
        for entry in self.persons.entries:
            data = {key: value for key, value in entry.form.data.items()
                    if key not in ("remove", "csrf_token")}
            data = {key: (value.strip() or None) if isinstance(value, str) else value
                    for key, value in data.items()}
            if not entry.form.remove.data:
                out["persons"].append(data)
        out["deaths"] = []
        return out


def _status_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—"),
            SelectChoice("occupied", str(_l("Occupied (有人居住)"))),
            SelectChoice("vacant", str(_l("Vacant (空房)"))),
            SelectChoice("all_died", str(_l("Whole-household death (全户死亡, 999)")))]


def _mode_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—"), SelectChoice("visit", str(_l("Enumerator visit"))),
            SelectChoice("self", str(_l("Self-reporting (自主填报)")))]


def _kind_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—"), SelectChoice("family", str(_l("Family (家庭户)"))),
            SelectChoice("collective", str(_l("Collective (集体户)")))]


FALSE_VALUES = (False, "", "false", "False", "0", "no")  # what a checkbox left empty sends


class RegisterRowForm(RowForm):
    """One unit's row of the 户主姓名底册."""

    unit_id = HiddenField()
    building = _count(_l("Building no."), 9999)
    unit = _count(_l("Unit no."), 99999)
    number = _count(_l("Household no."), 999)
    head = StringField(_l("Head of household"), validators=[Optional(), Length(max=40)])
    status = SelectField(_l("Status"), choices=_status_choices, validators=[Optional()])
    present = _count(_l("Living here"), 999)
    away = _count(_l("Hukou members away"), 999)
    mode = SelectField(_l("Registration"), choices=_mode_choices, validators=[Optional()])
    kind = SelectField(_l("Household type"), choices=_kind_choices, validators=[Optional()])
    long_form = BooleanField(_l("Long-form sample"), false_values=FALSE_VALUES)
    letter = BooleanField(_l("Letter handed over"), false_values=FALSE_VALUES)
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    remarks = StringField(_l("Remarks"), validators=[Optional(), Length(max=200)])
    code = HiddenField(validators=[Optional(), Length(max=20)])  # issued by the server only

    def validate_phone(self, field: StringField) -> None:
        """A mainland mobile or landline number, or nothing."""
        if field.data and field.data.strip() and not register.phone_ok(field.data):
            raise ValidationError(str(_l("Write a mainland mobile number (11 digits from "
                                         "13-19) or a landline with its area code (such as "
                                         "0730-8123456).")))


class RegisterForm(FlaskForm):
    """The whole register of an attempt's units."""

    rows = FieldList(FormField(RegisterRowForm), min_entries=0, max_entries=200)

    def data_by_unit(self) -> dict[str, dict[str, Any]]:
        """Each row's answers by the unit it is for (blank text as None)."""
        out: dict[str, dict[str, Any]] = {}
        for entry in self.rows.entries:
            data = dict(entry.form.data)
            unit_id = str(data.pop("unit_id") or "")
            data.pop("csrf_token", None)
            out[unit_id] = {key: (value.strip() or None) if isinstance(value, str) else value
                            for key, value in data.items()}
        return out


class TallyForm(FlaskForm):
    """The quick tally (快速汇总) of the area, added up from the forms."""

    households = _count(_l("Households registered"), 99999)
    present = _count(_l("Persons living here (ΣH2a)"), 999999)
    away = _count(_l("Hukou members away (ΣH2b)"), 999999)
    total = _count(_l("Persons registered (living here + away)"), 999999)
    births = _count(_l("Births (ΣH3)"), 99999)
    deaths = _count(_l("Deaths (ΣH4)"), 99999)

    def figures(self) -> dict[str, int | None]:
        """The figures as entered (blank as None)."""
        return {name: self[name].data for name in tally.FIELDS}
