"""The scenario editor: new, duplicate, import and export; the draft's text with its checks,
graph, variables and texts; a node form; playtest; publish; diff; sharing. Trainers and admins.

The editor page works without JavaScript (a textarea and buttons); with it, the text is a
CodeMirror editor that autosaves a second after typing stops and redraws the panels from the
JSON the save answers (static/js/scenario-editor.js).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from trainer.access import current_actor, roles
from trainer.core.errors import DomainError, InvalidInput
from trainer.core.i18n import N_
from trainer.core.interview.engine import Session as Visit
from trainer.core.interview.engine import Step
from trainer.core.scenario import authoring, graph, vocabulary
from trainer.core.scenario.loader import ScenarioError
from trainer.core.scenario.model import Text
from trainer.errors import form_error, status_for, translate, wants_json
from trainer.extensions import db_session
from trainer.scenarios import drafts, services
from trainer.scenarios.forms import (
    DraftForm,
    DuplicateForm,
    ImportForm,
    NewScenarioForm,
    PlaytestForm,
    PublishForm,
    ShareForm,
)
from trainer.scenarios.views import AUTHORS, bp

MAX_IMPORT = 512 * 1024
MAX_PLAYTEST_STEPS = 200


# The schema's types, as a problem names what a value should have been ("expected %(type)s")
TYPE_WORDS = {"integer": N_("a whole number"), "number": N_("a number"), "string": N_("text"),
              "boolean": N_("true or false"), "array": N_("a list"),
              "object": N_("keys with values"), "null": N_("nothing")}


def _type_words(expected: Any) -> str:
    """A schema type (or a list of them) in words of the interface language."""
    names = expected if isinstance(expected, list) else [expected]
    return str(_(" or ")).join(str(_(TYPE_WORDS[name])) if name in TYPE_WORDS else str(name)
                               for name in names)


EXPECTED_TYPE = "expected %(type)s, found '%(value)s'"  # the schema's message naming a type


def _message(error: ScenarioError) -> str:
    """A problem's message in the interface language, a schema type in words."""
    params = dict(error.params)
    if error.message == EXPECTED_TYPE:
        params["type"] = _type_words(params["type"])
    return str(_(error.message, **params))


def _problems(errors: list[ScenarioError]) -> list[dict[str, Any]]:
    return [{"line": e.line, "column": e.column, "path": e.path, "message": _message(e)}
            for e in errors]


def _note(scenario_id: str, *, checked: int | None = None, stale: bool = False) -> str:
    """The line above the panels of a large draft, which is checked when asked (see
    drafts.LIVE_BYTES): when it was checked, or that the panels are older than the text."""
    return render_template("scenarios/_check_note.html", scenario_id=scenario_id,
                           checked=checked, stale=stale, kb=drafts.LIVE_BYTES // 1024,
                           values=drafts.LIVE_VALUES)


def _panels(report: drafts.Report, source: str) -> dict[str, Any]:
    """What the editor redraws after each save: the problems and the panels' HTML (for a
    large draft not checked yet, panels that say so)."""
    parsed = report.parsed
    scenario = parsed.scenario if parsed else None
    bot = drafts.bot_done(source) if report.publishable else None
    return {
        "problems": _problems(report.errors),
        "loads": scenario is not None,
        "html": render_template(
            "scenarios/_editor_panels.html", report=report, scenario=scenario,
            drawings=[(d, graph.draw(d)) for d in scenario.dialogues.values()] if scenario else [],
            places=drafts.node_places(parsed.scenario, parsed.marks) if parsed else {},
            starts={d.id: d.start for d in scenario.dialogues.values()} if scenario else {},
            variables=authoring.variable_index(parsed.scenario, marks=parsed.marks)
            if parsed else {},
            texts=authoring.texts(source, document=parsed.document) if parsed else [],
            bot=bot, graph=graph, vocabulary=vocabulary, problem_message=_message),
    }


def _form_or_400(form: Any) -> None:
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        raise InvalidInput(N_("The form is not complete: %(detail)s"),
                           detail="; ".join(map(str, messages)) or "-")


@bp.route("/scenarios/new", methods=["GET", "POST"])
@roles(*AUTHORS)
def new() -> Any:
    """A new scenario from the starter template."""
    db = db_session()
    form = NewScenarioForm()
    status = 200
    if form.validate_on_submit():
        try:
            draft = drafts.create(db, current_actor(), form.scenario_id.data or "",
                                  form.title_zh.data or "", form.title_en.data or "")
        except DomainError as error:
            db.rollback()
            status = form_error(form, error)
        else:
            db.commit()
            return redirect(url_for("scenarios.edit", scenario_id=draft.scenario_id))
    elif request.method == "POST":
        status = 400
    return render_template("scenarios/new.html", form=form, import_form=ImportForm()), status


@bp.post("/scenarios/import")
@roles(*AUTHORS)
def import_file() -> Any:
    """A YAML file as a draft (new id: a new scenario; an id the user edits: its draft)."""
    db = db_session()
    form = ImportForm()
    if not form.validate_on_submit():
        raise InvalidInput(N_("Choose a scenario file to import."), field="file")
    raw = form.file.data.read(MAX_IMPORT + 1)
    if len(raw) > MAX_IMPORT:
        raise InvalidInput(N_("The file is larger than %(limit)s KB."), field="file",
                           limit=MAX_IMPORT // 1024)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(N_("The file is not UTF-8 text."), field="file") from None
    draft = drafts.import_text(db, current_actor(), source)
    db.commit()
    flash(_("Imported as the draft of “%(id)s”.", id=draft.scenario_id), "success")
    return redirect(url_for("scenarios.edit", scenario_id=draft.scenario_id))


@bp.post("/scenarios/<scenario_id>/duplicate")
@roles(*AUTHORS)
def duplicate(scenario_id: str) -> Any:
    """A copy of a published version under a new id, as the actor's own draft."""
    db = db_session()
    form = DuplicateForm()
    _form_or_400(form)
    version = services.get_version(db, scenario_id, int(form.version.data or 0))
    draft = drafts.duplicate(db, current_actor(), version, form.scenario_id.data or "",
                             Text(form.title_zh.data or "", form.title_en.data or ""))
    db.commit()
    return redirect(url_for("scenarios.edit", scenario_id=draft.scenario_id))


@bp.get("/scenarios/<scenario_id>/export")
@roles(*AUTHORS)
def export(scenario_id: str) -> Any:
    """A version's text (`?version=3`, the latest by default) or the draft's, as a file."""
    db = db_session()
    which = request.args.get("version", "")[:12]
    if which == "draft":
        drafts.require_editor(db, current_actor(), scenario_id)
        source = drafts.texts_of(db, scenario_id, "draft")
        name = f"{scenario_id}-draft.yaml"
    else:
        version = services.get_version(db, scenario_id, int(which) if which.isascii() and
                                       which.isdigit() and len(which) < 10 else None)
        source, name = version.source, f"{scenario_id}-v{version.version}.yaml"
    return Response(source.encode("utf-8"), mimetype="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff"})


@bp.get("/scenarios/<scenario_id>/edit")
@roles(*AUTHORS)
def edit(scenario_id: str) -> Any:
    """The editor on the scenario's working text."""
    db = db_session()
    actor = current_actor()
    drafts.require_editor(db, actor, scenario_id)
    source, revision = drafts.working_text(db, scenario_id)
    asked = request.args.get("check") == "1"  # a large draft's check, without JavaScript
    report = drafts.check_text(source, scenario_id, live=not asked)
    note = _note(scenario_id, checked=revision if asked else None) \
        if asked or report.deferred else ""
    return render_template(
        "scenarios/edit.html", scenario_id=scenario_id, source=source, revision=revision,
        panels=_panels(report, source), note=note, report=report,
        form=DraftForm(source=source, revision=str(revision)),
        publish_form=PublishForm(revision=str(revision)), share_form=ShareForm(),
        editors=drafts.editors_of(db, scenario_id), library=drafts.is_library(db, scenario_id),
        versions=services.versions_of(db, scenario_id), vocabulary=vocabulary)


@bp.post("/scenarios/<scenario_id>/draft")
@roles(*AUTHORS)
def save_draft(scenario_id: str) -> Any:
    """Autosave (JSON for the editor's script; a redirect for the plain form)."""
    db = db_session()
    actor = current_actor()
    drafts.require_editor(db, actor, scenario_id)
    form = DraftForm()
    _form_or_400(form)
    source = (form.source.data or "").replace("\r\n", "\n")
    draft = drafts.save(db, actor, scenario_id, source, int(form.revision.data or 0))
    db.commit()
    if not wants_json():
        flash(_("Draft saved."), "success")
        return redirect(url_for("scenarios.edit", scenario_id=scenario_id))
    report = drafts.check_text(draft.source, scenario_id, live=True)
    saved = {"revision": draft.revision, "saved_at": draft.updated_at.isoformat()}
    if report.deferred:  # a large draft: the panels keep its last check, the note says so
        return {**saved, "deferred": True, "note": _note(scenario_id, stale=True)}
    return {**saved, "note": "", **_panels(report, draft.source)}


@bp.post("/scenarios/<scenario_id>/check")
@roles(*AUTHORS)
def check(scenario_id: str) -> Any:
    """Check the saved draft in full, whatever its size (a large draft's "Check the draft
    now"); answers the panels like an autosave."""
    db = db_session()
    drafts.require_editor(db, current_actor(), scenario_id)
    source, revision = drafts.working_text(db, scenario_id)
    report = drafts.check_text(source, scenario_id)
    return {"note": _note(scenario_id, checked=revision), **_panels(report, source)}


@bp.post("/scenarios/<scenario_id>/bot")
@roles(*AUTHORS)
def run_bot(scenario_id: str) -> Any:
    """Run the path bot over the draft (seconds): best and worst scores, dead ends."""
    db = db_session()
    drafts.require_editor(db, current_actor(), scenario_id)
    source, _revision = drafts.working_text(db, scenario_id)
    report = drafts.check_text(source, scenario_id)
    if not report.publishable:
        raise InvalidInput(N_("Fix the problems first: the bot plays only a scenario that "
                              "loads and passes the checks."))
    drafts.run_bot(source, report.scenario)
    return _panels(report, source)


@bp.get("/scenarios/<scenario_id>/nodes/<dialogue_id>/<node_id>")
@roles(*AUTHORS)
def node_form(scenario_id: str, dialogue_id: str, node_id: str) -> Any:
    """The form of one node of the draft (an HTML fragment for the editor's side panel)."""
    db = db_session()
    drafts.require_editor(db, current_actor(), scenario_id)
    source, revision = drafts.working_text(db, scenario_id)
    try:  # the draft's own node ids: one read of the text, not a second full check
        fields, nodes = authoring.node_form(source, dialogue_id, node_id)
    except DomainError as error:  # said in the side panel the answer is drawn into
        return render_template("scenarios/_node_form_refused.html",
                               message=translate(error)), status_for(error)
    return render_template("scenarios/_node_form.html", scenario_id=scenario_id,
                           dialogue_id=dialogue_id, node_id=node_id, fields=fields,
                           revision=revision, nodes=nodes, vocabulary=vocabulary)


@bp.post("/scenarios/<scenario_id>/nodes/<dialogue_id>/<node_id>")
@roles(*AUTHORS)
def save_node(scenario_id: str, dialogue_id: str, node_id: str) -> Any:
    """Write a node's form back into the draft's text; answers like an autosave, with the
    new text."""
    return _rewrite(scenario_id, lambda source: authoring.edit_node(
        source, dialogue_id, node_id, authoring.fields_from_form(request.form)))


@bp.post("/scenarios/<scenario_id>/dialogues/<dialogue_id>/nodes")
@roles(*AUTHORS)
def add_node(scenario_id: str, dialogue_id: str) -> Any:
    """A new, empty node in a dialogue of the draft (the checks flag it until it is linked
    and given actions or an ending); answers like a node save, naming the node."""
    node_id = request.form.get("node", "").strip()[:80]
    return _rewrite(scenario_id, lambda source: authoring.add_node(source, dialogue_id,
                                                                   node_id),
                    node=node_id, dialogue=dialogue_id)


def _rewrite(scenario_id: str, change: Callable[[str], str], **extra: str) -> Any:
    """Change the draft's text on the server (a node's form, a new node) and save it against
    the revision the form was based on; the answer is an autosave's with the new text."""
    db = db_session()
    actor = current_actor()
    drafts.require_editor(db, actor, scenario_id)
    revision = request.form.get("revision", "")
    if not (revision.isascii() and revision.isdigit()) or len(revision) > 9:  # not '²'
        raise InvalidInput(N_("The form had expired. Please send it again."))
    source, _current = drafts.working_text(db, scenario_id)
    draft = drafts.save(db, actor, scenario_id, change(source), int(revision))
    db.commit()
    report = drafts.check_text(draft.source, scenario_id)  # the node form's drafts are small
    return {"revision": draft.revision, "source": draft.source, **extra, "note": "",
            **_panels(report, draft.source)}


@bp.post("/scenarios/<scenario_id>/playtest")
@roles(*AUTHORS)
def playtest(scenario_id: str) -> Any:
    """Play the text in the editor (saved or not) from a node with a chosen state, in the
    side panel; the steps so far travel with the form, so nothing is stored."""
    db = db_session()
    drafts.require_editor(db, current_actor(), scenario_id)
    form = PlaytestForm()
    _form_or_400(form)
    scenario = drafts.playable((form.source.data or "").replace("\r\n", "\n"), scenario_id)
    steps = _playtest_steps(form.steps.data or "[]", scenario.assignment.units)
    if not steps:  # a new playtest: open at the chosen node with the chosen state
        dialogue_id = form.dialogue.data or next(iter(scenario.dialogues))
        unit = drafts.playtest_unit(scenario, dialogue_id)
        dialogue = scenario.dialogues[dialogue_id]
        node = form.node.data or dialogue.start
        steps = [{"household": unit, "action": f"goto:{node}"}]
        if (form.state.data or "").strip():
            steps.append({"household": unit, "action": f"state:{form.state.data.strip()}"})
    visit = Visit(scenario, scenario.seed, playtest=True)
    try:
        for raw in steps:
            visit.apply(Step(raw["household"], raw["action"], None))
        if form.action.data:
            unit = steps[0]["household"]
            visit.apply(Step(unit, form.action.data, None))
            steps.append({"household": unit, "action": form.action.data})
    except DomainError as error:
        return render_template("scenarios/_playtest.html", visit=visit, steps=steps,
                               unit=steps[0]["household"], error=translate(error),
                               scenario=scenario, vocabulary=vocabulary), 400
    return render_template("scenarios/_playtest.html", visit=visit, steps=steps,
                           unit=steps[0]["household"], error=None, scenario=scenario,
                           vocabulary=vocabulary)


def _playtest_steps(text: str, units: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """The steps a playtest form carries back: a list of {household, action}, each household
    one of the scenario's (a playtest has no knocks, so no simulated times)."""
    try:
        steps = json.loads(text)
    except ValueError:
        steps = None
    if not isinstance(steps, list) or len(steps) > MAX_PLAYTEST_STEPS or not all(
            isinstance(step, dict) and step.get("household") in units
            and isinstance(step.get("action"), str) and 0 < len(step["action"]) <= 2100
            for step in steps):
        raise InvalidInput(N_("The playtest's steps are damaged; start it again."))
    return [{"household": step["household"], "action": step["action"]} for step in steps]


@bp.post("/scenarios/<scenario_id>/publish")
@roles(*AUTHORS)
def publish(scenario_id: str) -> Any:
    """The draft as the next immutable version, with its changelog line."""
    db = db_session()
    actor = current_actor()
    drafts.require_editor(db, actor, scenario_id)
    form = PublishForm()
    _form_or_400(form)
    version = drafts.publish_draft(db, actor, scenario_id, form.changelog.data or "",
                                   int(form.revision.data or 0))
    db.commit()
    flash(_("Published as version %(version)s.", version=version.version), "success")
    return redirect(url_for("scenarios.show", scenario_id=scenario_id, version=version.version))


@bp.get("/scenarios/<scenario_id>/diff")
@roles(*AUTHORS)
def diff(scenario_id: str) -> Any:
    """Two versions (or a version and the draft) line by line."""
    db = db_session()
    versions = services.versions_of(db, scenario_id)
    if not versions and db.get(drafts.ScenarioDraft, scenario_id) is None:
        abort(404)
    has_draft = db.get(drafts.ScenarioDraft, scenario_id) is not None
    mine = has_draft and drafts.may_edit(db, current_actor(), scenario_id)
    newest = str(versions[0].version) if versions else "draft"
    # by default the draft against the newest version for its editors; the two newest
    # versions for everyone else (a draft is its editors' work in progress)
    old = request.args.get("a", newest if mine and versions else (
        str(versions[1].version) if len(versions) > 1 else newest))[:12]
    new_ = request.args.get("b", "draft" if mine else newest)[:12]
    if "draft" in (old, new_):
        drafts.require_editor(db, current_actor(), scenario_id)
    lines = authoring.diff(drafts.texts_of(db, scenario_id, old),
                           drafts.texts_of(db, scenario_id, new_), context=3)
    return render_template("scenarios/diff.html", scenario_id=scenario_id, old=old, new=new_,
                           lines=lines, versions=versions, has_draft=mine)


@bp.post("/scenarios/<scenario_id>/editors")
@roles(*AUTHORS)
def share(scenario_id: str) -> Any:
    """Share the scenario with another trainer."""
    db = db_session()
    actor = current_actor()
    drafts.require_owner(db, actor, scenario_id)
    form = ShareForm()
    _form_or_400(form)
    editor = drafts.share(db, actor, scenario_id, form.username.data or "")
    db.commit()
    flash(_("%(name)s may now edit this scenario.", name=editor.user.username), "success")
    return redirect(url_for("scenarios.edit", scenario_id=scenario_id, _anchor="sharing"))


@bp.post("/scenarios/<scenario_id>/editors/<int:user_id>/remove")
@roles(*AUTHORS)
def unshare(scenario_id: str, user_id: int) -> Any:
    """Stop sharing the scenario with one editor."""
    db = db_session()
    actor = current_actor()
    drafts.require_owner(db, actor, scenario_id)
    _form_or_400(ShareForm(username="-"))
    drafts.unshare(db, actor, scenario_id, user_id)
    db.commit()
    return redirect(url_for("scenarios.edit", scenario_id=scenario_id, _anchor="sharing"))

