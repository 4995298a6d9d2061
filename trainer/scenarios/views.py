"""Trainer pages: the scenario catalogue, a scenario read as a script with its graph, and play."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from trainer.access import current_actor, roles
from trainer.accounts.models import Role
from trainer.core.errors import DomainError, InvalidInput
from trainer.core.grading.criteria import LABELS, evidence_of, score, score_data
from trainer.core.i18n import N_
from trainer.core.scenario import graph, vocabulary
from trainer.core.scenario.model import Text
from trainer.errors import form_error
from trainer.extensions import db_session, is_english
from trainer.scenarios import drafts, services
from trainer.scenarios.forms import DuplicateForm, StartPlayForm, StepForm
from trainer.video import services as video_services

bp = Blueprint("scenarios", __name__, template_folder="templates")
AUTHORS = (Role.TRAINER, Role.ADMIN)


@bp.app_template_filter("both")
def both(value: Any) -> str:
    """A scenario Text or a vocabulary (zh, en) pair, in the interface language."""
    if value is None:
        return ""
    if isinstance(value, Text):
        return value.get(is_english())
    return str(value[1] if is_english() else value[0])


# The languages a respondent speaks (`Persona.language`, a scenario respondent's `language`),
# stored as the language names itself: named in the interface language, the Chinese kept.
LANGUAGE_LABELS = {"普通话": _l("Mandarin (普通话)"), "岳阳话": _l("Yueyang dialect (岳阳话)"),
                   "粤语": _l("Cantonese (粤语)"), "English": _l("English language"),
                   "한국어": _l("Korean (한국어)"), "日本語": _l("Japanese (日本語)"),
                   "Tiếng Việt": _l("Vietnamese (Tiếng Việt)")}


@bp.app_template_filter("language_name")
def language_name(value: str) -> str:
    """A respondent's language in the interface language (one not known, as it is)."""
    return str(LANGUAGE_LABELS.get(value, value))


@bp.app_template_global("step_key")
def step_key() -> str:
    """A new idempotency key for one step form (see StepForm.step_key)."""
    return uuid.uuid4().hex


def _context() -> dict[str, Any]:
    return {"vocabulary": vocabulary, "criteria_labels": LABELS}


@bp.get("/scenarios")
@roles(*AUTHORS)
def index() -> Any:
    """The catalogue: every scenario's latest version, searchable, filtered by tag."""
    db = db_session()
    query = request.args.get("q", "")[:100]
    tag = request.args.get("tag", "")[:40]
    everything = services.catalogue(db)
    shown = services.catalogue(db, query=query, tag=tag) if query or tag else everything
    actor = current_actor()
    return render_template("scenarios/index.html", versions=shown, query=query, tag=tag,
                           tags=services.all_tags(everything),
                           editable=drafts.editable(db, actor),
                           drafts=drafts.unpublished(db, actor))


@bp.get("/scenarios/<scenario_id>")
@roles(*AUTHORS)
def show(scenario_id: str) -> Any:
    """A scenario as a readable script, with its graph, facts, rubric and versions."""
    db = db_session()
    number = request.args.get("version", type=int)
    if number is not None and not 0 < number < 2**31:
        number = 0  # no such version: a 404 below
    version = services.get_version(db, scenario_id, number)
    scenario = services.scenario_of(version)
    dialogues = [(dialogue, graph.reading_order(dialogue), graph.draw(dialogue))
                 for dialogue in scenario.dialogues.values()]
    form = StartPlayForm(version=str(version.id))
    marked = drafts.copy_title(version)  # the copy's titles offered
    return render_template("scenarios/show.html", version=version, scenario=scenario,
                           may_edit=drafts.may_edit(db, current_actor(), scenario_id),
                           duplicate_form=DuplicateForm(version=str(version.version),
                                                       title_zh=marked.zh, title_en=marked.en),
                           dialogues=dialogues, versions=services.versions_of(db, scenario_id),
                           form=form, graph=graph,
                           clips=video_services.scenario_clips(db, scenario_id), **_context())


@bp.post("/scenarios/<scenario_id>/plays")
@roles(*AUTHORS)
def start(scenario_id: str) -> Any:
    """Start playing a version of the scenario."""
    db = db_session()
    form = StartPlayForm()
    if not form.validate_on_submit():
        raise InvalidInput(N_("The form had expired. Please send it again."))
    version = services.get_version(db, scenario_id, None)
    chosen = next((v for v in services.versions_of(db, scenario_id)
                   if str(v.id) == form.version.data), version)
    play = services.start_play(db, current_actor(), chosen)
    db.commit()
    return redirect(url_for("scenarios.play", play_id=play.id))


def _play_page(play: Any, visit: Any, form: StepForm | None = None, status: int = 200) -> Any:
    scenario = visit.scenario
    assignment = scenario.assignment
    days = [assignment.first_day + timedelta(days=i) for i in range(assignment.days)]
    graded = (score_data(score(evidence_of(visit)), "play") if visit.finished and visit.events
              else None)
    clips = video_services.debrief_clips(db_session(), current_actor(),
                                         play.version.scenario_id, scenario.rubric, graded)
    return render_template(
        "scenarios/play.html", play=play, visit=visit, scenario=scenario, days=days,
        form=form or StepForm(), graded=graded, clips=clips,
        english=is_english(), **_context()), status


@bp.get("/scenarios/plays/<int:play_id>")
@roles(*AUTHORS)
def play(play_id: int) -> Any:
    """A play-through: the transcript, the respondent's state and the actions open now."""
    play = services.get_play(db_session(), current_actor(), play_id)
    return _play_page(play, services.replay_play(play))


@bp.post("/scenarios/plays/<int:play_id>/steps")
@roles(*AUTHORS)
def step(play_id: int) -> Any:
    """Take one step of a play-through."""
    db = db_session()
    play = services.get_play(db, current_actor(), play_id)
    return run_step(
        lambda household, action, at, key: services.play_step(db, play, household, action, at,
                                                              key),
        lambda form, status: _play_page(play, services.replay_play(play), form, status),
        url_for("scenarios.play", play_id=play.id, _anchor="latest"))


def run_step(apply: Callable[[str, str, datetime | None, str | None], object],
             page: Callable[[StepForm, int], Any], done: str) -> Any:
    """The POST of a visit step (plays and attempts): check the form, apply the step and
    commit, or roll back and redraw the page with the error on it. A repeat of a step already
    stored (same step key) is answered as the first was: the redirect to the page."""
    form = StepForm()
    if not form.validate_on_submit():
        return page(form, 400)
    ok, at = form.knock_time()
    if not ok:
        return page(form, 400)
    try:
        apply(form.household.data or "", form.action.data or "", at, form.step_key.data or None)
    except DomainError as error:
        db_session().rollback()
        return page(form, form_error(form, error))
    db_session().commit()
    return redirect(done)
from trainer.scenarios import editor  # noqa: E402,F401  (its routes join this blueprint)
