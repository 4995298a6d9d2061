"""Forms of the clip library: details, captions, chapters, redactions, questions, links."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from trainer.security import NumberRange


class DetailsForm(FlaskForm):
    """What a clip is called, how it is found, and who sees it."""

    slug = StringField(_l("Identifier (used by scenarios)"),
                       validators=[DataRequired(), Length(max=80)])
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Length(max=200)])
    summary_zh = TextAreaField(_l("Summary (Chinese)"), validators=[Length(max=2000)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Length(max=2000)])
    tags = StringField(_l("Tags (separated by commas)"), validators=[Length(max=300)])
    published = BooleanField(_l("Published: trainees of the chosen cohorts may watch it"))
    cohorts = SelectMultipleField(_l("Cohorts"), coerce=int, option_widget=CheckboxInput(),
                                  widget=ListWidget(prefix_label=False))


class CaptionsForm(FlaskForm):
    """One language's captions, typed or uploaded as a .vtt file."""

    # ids of their own: the chapters' text shares the page (its label named this box)
    locale = SelectField(_l("Language"), choices=[SelectChoice("zh_CN", "中文"),
                                                  SelectChoice("en", "English")],
                         id="captions-locale")
    text = TextAreaField(_l("Captions (WebVTT)"), validators=[Length(max=200_000)],
                         id="captions-text")
    file = FileField(_l("…or upload a .vtt file"), id="captions-file")


class ChaptersForm(FlaskForm):
    """The chapters, one per line."""

    text = TextAreaField(_l("Chapters, one per line: mm:ss 中文标题 | English title"),
                         validators=[Length(max=20_000)], id="chapters-text")


class RedactionForm(FlaskForm):
    """A rectangle to blur, in percent of the frame, over a time span."""

    x = FloatField(_l("Left, in percent of the width"), validators=[NumberRange(0, 100)])
    y = FloatField(_l("Top, in percent of the height"), validators=[NumberRange(0, 100)])
    w = FloatField(_l("Width, in percent"), validators=[NumberRange(0.5, 100)])
    h = FloatField(_l("Height, in percent"), validators=[NumberRange(0.5, 100)])
    start = StringField(_l("From (mm:ss)"), validators=[DataRequired(), Length(max=12)])
    end = StringField(_l("To (mm:ss)"), validators=[DataRequired(), Length(max=12)])
    label = StringField(_l("What it hides (a face, an ID card, a door number)"),
                        validators=[Length(max=80)])


class QuestionForm(FlaskForm):
    """A question that pauses the lesson at a moment of the clip."""

    at = StringField(_l("At (mm:ss)"), validators=[DataRequired(), Length(max=12)])
    prompt_zh = StringField(_l("Question (Chinese)"), validators=[DataRequired(),
                                                                   Length(max=300)])
    prompt_en = StringField(_l("Question (English)"), validators=[Length(max=300)])
    choices_zh = TextAreaField(_l("Choices (Chinese), one per line"),
                               validators=[DataRequired(), Length(max=2000)])
    choices_en = TextAreaField(_l("Choices (English), one per line"),
                               validators=[Length(max=2000)])
    answer = IntegerField(_l("Number of the right choice"), validators=[NumberRange(1, 6)])


class LinkForm(FlaskForm):
    """Attach the clip to a scenario, a dialogue node, or a rubric criterion."""

    scenario_id = SelectField(_l("Scenario"), validators=[DataRequired()])
    node = StringField(_l("Dialogue node (optional): dialogue/node"), validators=[Optional(),
                                                                  Length(max=80)])
    criterion = SelectField(_l("Rubric criterion (optional)"), validators=[Optional()])


class ActionForm(FlaskForm):
    """A button that changes state (retry, delete): the CSRF token only."""


class ComposeForm(FlaskForm):
    """A new clip joined from up to five ready clips, after a title card."""

    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Length(max=200)])
    segment_1 = SelectField(_l("Segment 1"), coerce=int, default=0, validate_choice=False)
    segment_2 = SelectField(_l("Segment 2"), coerce=int, default=0, validate_choice=False)
    segment_3 = SelectField(_l("Segment 3"), coerce=int, default=0, validate_choice=False)
    segment_4 = SelectField(_l("Segment 4"), coerce=int, default=0, validate_choice=False)
    segment_5 = SelectField(_l("Segment 5"), coerce=int, default=0, validate_choice=False)

    def segment_fields(self) -> list[SelectField]:
        """The segment choosers, in order."""
        return [self.segment_1, self.segment_2, self.segment_3, self.segment_4, self.segment_5]
