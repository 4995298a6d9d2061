"""Forms of the scenario catalogue: starting a play-through and taking a step in it."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Length, Optional, Regexp

TIMES = [f"{hour:02d}:{minute:02d}" for hour in range(8, 21) for minute in (0, 30)]


class StartPlayForm(FlaskForm):
    """Start playing one version of a scenario."""

    version = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])


@lru_cache(maxsize=8)
def wtforms_messages(locale: str) -> support.Translations:
    """WTForms' own messages in one locale, read once per process: Flask-WTF reads the
    catalogue file again in every request that builds a form, a cost the step (the hottest
    request) does not pay."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class StepForm(FlaskForm):
    """One step: an action at a household, with a simulated date and time to knock."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)  # type: ignore[misc]
            return wtforms_messages(str(get_locale()))

    household = HiddenField(validators=[DataRequired(), Length(max=60)])
    action = StringField(_l("Action"), validators=[DataRequired(), Length(max=80)])
    day = DateField(_l("Date"), validators=[Optional()])
    time = SelectField(_l("Time"), choices=[SelectChoice(t, t) for t in TIMES],
                       validators=[Optional()])
    # The idempotency key the page puts in each step form (a fresh uuid per form as drawn):
    # a retry of the same POST carries it again, so the step is stored once.
    step_key = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9_-]{8,64}$")])

    def knock_time(self) -> tuple[bool, datetime | None]:
        """(ok, the simulated time of a knock or a phone call); either without date and
        time is not ok."""
        if self.action.data not in ("knock", "phone_check"):
            return True, None
        if self.day.data is None or not self.time.data:
            self.day.errors = [*self.day.errors, str(_l("Choose the date and time of the "
                                                        "visit."))]
            return False, None
        hour, minute = map(int, self.time.data.split(":"))
        day = self.day.data
        return True, datetime(day.year, day.month, day.day, hour, minute)


# --- authoring ------------------------------------------------------------------------------

class NewScenarioForm(FlaskForm):
    """A new scenario from the starter template."""

    scenario_id = StringField(_l("Id (used in file names and links)"),
                              validators=[DataRequired(), Length(max=80)])
    title_zh = StringField(_l("Title in Chinese"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[DataRequired(), Length(max=200)])


class DuplicateForm(FlaskForm):
    """A copy of a published version under a new id."""

    version = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])
    scenario_id = StringField(_l("Id of the copy"), validators=[DataRequired(), Length(max=80)])
    # the copy's titles, offered as the original's marked as a copy: left as they were, the
    # library and the cohorts' exercise lists showed two scenarios of one name
    title_zh = StringField(_l("Title in Chinese"), validators=[Optional(), Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)])


class ImportForm(FlaskForm):
    """A scenario file (YAML) brought in as a draft."""

    file = FileField(_l("Scenario file (YAML)"), validators=[FileRequired()])


class DraftForm(FlaskForm):
    """The editor's text, saved against the revision it was based on."""

    source = TextAreaField(_l("Scenario text (YAML)"), validators=[Length(max=600_000)])
    revision = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])


class PublishForm(FlaskForm):
    """Publish the draft as the next version."""

    changelog = StringField(_l("What this version changes"),
                            validators=[DataRequired(), Length(max=300)])
    revision = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])


class ShareForm(FlaskForm):
    """Let another trainer edit the scenario."""

    username = StringField(_l("Trainer's user name"), validators=[DataRequired(), Length(max=64)])


class PlaytestForm(FlaskForm):
    """One playtest request: the draft text, where to start, the steps taken so far."""

    source = TextAreaField(validators=[DataRequired(), Length(max=600_000)])
    dialogue = StringField(validators=[Optional(), Length(max=80)])
    node = StringField(validators=[Optional(), Length(max=80)])
    state = TextAreaField(validators=[Optional(), Length(max=2000)])
    steps = TextAreaField(validators=[Optional(), Length(max=100_000)])
    action = StringField(validators=[Optional(), Length(max=120)])
