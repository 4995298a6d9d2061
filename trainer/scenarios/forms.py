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
from wtforms import DateField, HiddenField, SelectField, StringField
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
        """(ok, the simulated time of a knock); a knock without date and time is not ok."""
        if self.action.data != "knock":
            return True, None
        if self.day.data is None or not self.time.data:
            self.day.errors = [*self.day.errors, str(_l("Choose the date and time of the "
                                                        "visit."))]
            return False, None
        hour, minute = map(int, self.time.data.split(":"))
        day = self.day.data
        return True, datetime(day.year, day.month, day.day, hour, minute)
