"""WTForms for log-in, passwords, user administration, cohorts and CSV import."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from trainer.accounts.labels import role_label
from trainer.accounts.models import Role, User


def role_choices() -> list[SelectChoice]:
    """Roles with their localised names."""
    return [SelectChoice(role.value, role_label(role)) for role in Role]


def user_choices(users: Iterable[User]) -> list[SelectChoice]:
    """Active users as choices, labelled with full name and user name."""
    return [SelectChoice(user.id, f"{user.full_name} ({user.username})")  # type: ignore[arg-type]
            for user in users if user.active]


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=256)],  # the service says how long, in words
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ForgotPasswordForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"),
                         choices=[SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")])


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail (optional)"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"), choices=role_choices, validators=[DataRequired()])
    password = PasswordField(
        _l("Initial password (leave empty to generate one)"),
        validators=[Optional(), Length(max=256)],  # the service says how long, in words
        render_kw={"autocomplete": "new-password"},
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices, validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token (reset, deactivate, reactivate)."""


class DeletePersonalDataForm(FlaskForm):
    """Deleting a trainee's personal data: the administrator types the user name to confirm."""

    confirm_username = StringField(_l("Type the user name to confirm"),
                                   validators=[DataRequired(), Length(max=64)])


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)])
    trainer_id = SelectField(_l("Trainer"), coerce=int)
    examiner_ids = SelectMultipleField(_l("Examiners"), coerce=int)


class CohortEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)])
    trainer_id = SelectField(_l("Trainer"), coerce=int)


class AddTraineeForm(FlaskForm):
    user_id = SelectField(_l("Trainee"), coerce=int, validators=[DataRequired()])


class ExaminersForm(FlaskForm):
    examiner_ids = SelectMultipleField(_l("Examiners"), coerce=int)


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("Only .csv or .txt files are accepted.")),
        ],
    )
