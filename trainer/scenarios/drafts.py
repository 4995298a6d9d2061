"""Authoring scenarios in the browser: drafts, who may edit them, checking, publishing.

A scenario's working text is its draft (one per scenario, autosaved; `revision` counts the
saves, so a save made from an older text is refused rather than lost). Publishing turns the
draft into the next immutable `ScenarioVersion` with a changelog line; attempts keep pointing
at the version they started with. A scenario made in the browser (new, duplicated or imported)
belongs to its author, who may share it with other trainers; a library scenario (from the
repository's `scenarios/` folder) is edited only by admins, and trainers duplicate it.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trainer.accounts.models import Role, User
from trainer.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trainer.core.i18n import N_
from trainer.core.scenario import authoring, bot, checks, loader
from trainer.core.scenario.loader import ScenarioError, ScenarioInvalid
from trainer.core.scenario.model import Scenario, Text
from trainer.scenarios.models import ScenarioDraft, ScenarioEditor, ScenarioVersion
from trainer.scenarios.services import checksum, lock_for_step, publish

ID_RULE = re.compile(r"^[a-z][a-z0-9-]{2,79}$")
MAX_CHANGELOG = 300
BOT_BUDGET = 20_000  # the same budget as `flask scenarios check`


# What an autosave and the editor page may spend on a draft. The checks (the validator, the
# static checks) and the panels (graph, variables, texts) read the whole text: once, since
# loader.read hands its composed document and positions on, but that once still costs about
# 0.35 s of CPU for 128 KB and 1.8 s for 512 KB (python -m benchmarks.authoring), and an
# autosave fires a second after typing stops, so one author typing in a 512 KB draft would
# keep a worker busy most of the time. A draft over LIVE_BYTES or LIVE_VALUES (the node
# form's limits: the library's largest scenario is 19 KB) is therefore a large draft: its
# autosave stores the text at once and answers without checking it, the editor page opens
# without the panels, and the checks run when its author asks ("Check the draft now": the
# `check` view, or the page with ?check=1 without JavaScript), with the page saying so.
# Publishing, the bot and the playtest read every draft in full, whatever its size (they run
# on request, not at each pause in typing), so no valid scenario is refused.
LIVE_BYTES = authoring.MAX_EDIT_BYTES
LIVE_VALUES = authoring.MAX_EDIT_VALUES


@dataclass
class Report:
    """What the editor shows beside the text: errors with their places, and, for a text that
    loads, the scenario itself (its graph, variables and texts are drawn from it). `deferred`:
    a large draft, not checked this time (see LIVE_BYTES)."""

    errors: list[ScenarioError] = field(default_factory=list)
    parsed: loader.Parsed | None = None  # the text read once, for the panels to share
    deferred: bool = False

    @property
    def scenario(self) -> Scenario | None:
        return self.parsed.scenario if self.parsed is not None else None

    @property
    def publishable(self) -> bool:
        return self.scenario is not None and not self.errors


def check_text(source: str, scenario_id: str, *, live: bool = False) -> Report:
    """Validate a draft's text: schema and references, then the static checks (the text is
    parsed once; the checks place their problems with the positions found then). `live`: for
    an autosave or the editor page, which leave a large draft unchecked (`deferred`)."""
    name = f"{scenario_id}.yaml"
    if live and len(source.encode("utf-8", "surrogatepass")) > LIVE_BYTES:
        return Report(deferred=True)  # on its size alone: not parsed at all
    try:
        parsed = loader.read(source, file=name, budget=LIVE_VALUES if live else None)
    except loader.OverBudget:  # a small text whose aliases stand for many values
        return Report(deferred=True)
    except ScenarioInvalid as invalid:
        return Report(list(invalid.errors))
    scenario = parsed.scenario
    errors = checks.check(scenario, name, marks=parsed.marks)
    if scenario.id != scenario_id:
        errors.insert(0, ScenarioError(name, 1, 1, "id", N_(
            "the id must stay '%(id)s'; duplicate the scenario to make another"),
            {"id": scenario_id}))
    return Report(errors, parsed)


_KEPT_LOCK = threading.Lock()  # the two caches below are shared by a worker's threads
# Parsed texts being playtested, by (scenario, text checksum), newest last. A playtest sends
# the whole text with each step (nothing is stored), and parsing it is most of a step's work
# on a large draft (1.7 s of CPU at 512 KB, `benchmarks/authoring.py`); a Scenario is
# immutable, so the steps of one text share one.
_PLAYABLE: OrderedDict[tuple[str, str], Scenario] = OrderedDict()
_PLAYABLE_KEPT = 8


def playable(source: str, scenario_id: str) -> Scenario:
    """The scenario of a text to playtest: it must load; the static checks are not needed
    (a playtest shows no problems list), so they are not run."""
    key = (scenario_id, checksum(source))
    with _KEPT_LOCK:
        scenario = _PLAYABLE.get(key)
        if scenario is not None:
            _PLAYABLE.move_to_end(key)
            return scenario
    try:
        scenario = loader.parse(source, file=f"{scenario_id}.yaml")
    except ScenarioInvalid:
        raise InvalidInput(N_("The text has errors; fix them before playtesting.")) from None
    with _KEPT_LOCK:
        _PLAYABLE[key] = scenario
        while len(_PLAYABLE) > _PLAYABLE_KEPT:
            _PLAYABLE.popitem(last=False)
    return scenario


_BOT_REPORTS: OrderedDict[str, bot.Report] = OrderedDict()  # by text checksum, newest last
_BOT_KEPT = 32


def run_bot(source: str, scenario: Scenario | None = None) -> bot.Report:
    """The path bot over a text that loads (`scenario`: the text, already parsed); kept per
    text (it takes seconds)."""
    digest = checksum(source)
    with _KEPT_LOCK:
        report = _BOT_REPORTS.get(digest)
    if report is None:
        report = bot.explore(scenario if scenario is not None else loader.parse(source),
                             budget=BOT_BUDGET)
        with _KEPT_LOCK:
            _BOT_REPORTS[digest] = report
            while len(_BOT_REPORTS) > _BOT_KEPT:
                _BOT_REPORTS.popitem(last=False)
    return report


def bot_done(source: str) -> bot.Report | None:
    """The bot's report if it already ran over exactly this text (in this process)."""
    return _BOT_REPORTS.get(checksum(source))


# --- who may edit ---------------------------------------------------------------------------

def is_library(db: Session, scenario_id: str) -> bool:
    """Whether the scenario came from the repository's library (nobody owns it)."""
    return db.scalar(select(func.count()).select_from(ScenarioEditor).where(
        ScenarioEditor.scenario_id == scenario_id)) == 0


def exists(db: Session, scenario_id: str) -> bool:
    """Whether the id is taken, by a published version or a draft."""
    return (db.scalar(select(ScenarioVersion.id).where(
        ScenarioVersion.scenario_id == scenario_id).limit(1)) is not None
        or db.get(ScenarioDraft, scenario_id) is not None)


def may_edit(db: Session, user: User, scenario_id: str) -> bool:
    """Admins edit everything; a trainer edits the scenarios they own or that are shared
    with them."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.TRAINER and db.get(ScenarioEditor, (scenario_id, user.id)) is not None


def require_editor(db: Session, user: User, scenario_id: str) -> None:
    """NotFound for an unknown scenario, Forbidden for one the user may not edit."""
    if not exists(db, scenario_id):
        raise NotFound(N_("No such scenario."))
    if not may_edit(db, user, scenario_id):
        raise Forbidden(N_("Only the scenario's author and those it is shared with may edit "
                           "it; duplicate it to make your own."))


def editors_of(db: Session, scenario_id: str) -> list[ScenarioEditor]:
    """The owner first, then those the scenario is shared with."""
    return list(db.scalars(select(ScenarioEditor).where(
        ScenarioEditor.scenario_id == scenario_id).order_by(
            ScenarioEditor.owner.desc(), ScenarioEditor.added_at)))


def share(db: Session, actor: User, scenario_id: str, username: str) -> ScenarioEditor:
    """Let another trainer (or admin) edit the scenario; only its owner or an admin may."""
    require_owner(db, actor, scenario_id)
    user = db.scalar(select(User).where(User.username == username.strip()))
    if user is None or user.role not in (Role.TRAINER, Role.ADMIN) or not user.active:
        raise InvalidInput(N_("No trainer is called '%(name)s'."), field="username",
                           name=username.strip()[:64])
    editor = db.get(ScenarioEditor, (scenario_id, user.id))
    if editor is None:
        editor = ScenarioEditor(scenario_id=scenario_id, user=user, owner=False)
        db.add(editor)
        db.flush()
    return editor


def unshare(db: Session, actor: User, scenario_id: str, user_id: int) -> None:
    """Take a shared editor off the scenario (the owner stays)."""
    require_owner(db, actor, scenario_id)
    db.execute(delete(ScenarioEditor).where(ScenarioEditor.scenario_id == scenario_id,
                                            ScenarioEditor.user_id == user_id,
                                            ScenarioEditor.owner.is_(False)))


def require_owner(db: Session, actor: User, scenario_id: str) -> None:
    require_editor(db, actor, scenario_id)
    editor = db.get(ScenarioEditor, (scenario_id, actor.id))
    if actor.role != Role.ADMIN and (editor is None or not editor.owner):
        raise Forbidden(N_("Only the scenario's owner may share it."))


# --- drafts ---------------------------------------------------------------------------------

def _new_id(db: Session, scenario_id: str) -> str:
    scenario_id = scenario_id.strip()
    if not ID_RULE.match(scenario_id):
        raise InvalidInput(N_("An id is 3 to 80 small letters, digits and hyphens, starting "
                              "with a letter."), field="scenario_id")
    if exists(db, scenario_id):
        raise Conflict(N_("A scenario with the id '%(id)s' exists already."),
                       field="scenario_id", id=scenario_id)
    return scenario_id


def _own(db: Session, actor: User, scenario_id: str, source: str) -> ScenarioDraft:
    if actor.role not in (Role.TRAINER, Role.ADMIN):
        raise Forbidden(N_("Only trainers and admins author scenarios."))
    draft = ScenarioDraft(scenario_id=scenario_id, source=source, revision=1,
                          updated_by=actor)
    db.add_all([draft, ScenarioEditor(scenario_id=scenario_id, user=actor, owner=True)])
    db.flush()
    return draft


def create(db: Session, actor: User, scenario_id: str, title_zh: str,
           title_en: str) -> ScenarioDraft:
    """A new scenario from the starter template, owned by `actor`."""
    scenario_id = _new_id(db, scenario_id)
    return _own(db, actor, scenario_id, authoring.template(scenario_id, title_zh.strip(),
                                                           title_en.strip()))


def copy_title(version: ScenarioVersion) -> Text:
    """What a copy is called unless its author names it: the original's title, marked."""
    return Text(f"{version.title_zh}（副本）", f"{version.title_en} (copy)")


def duplicate(db: Session, actor: User, version: ScenarioVersion, new_id: str,
              title: Text | None = None) -> ScenarioDraft:
    """A copy of a published version under a new id, at version 1, owned by `actor`, titled
    `title` (either side left blank: the original's, marked as a copy)."""
    new_id = _new_id(db, new_id)
    marked = copy_title(version)
    title = Text((title.zh.strip() if title else "") or marked.zh,
                 (title.en.strip() if title else "") or marked.en)
    return _own(db, actor, new_id, authoring.rename_scenario(version.source, new_id,
                                                             version=1, title=title))


def import_text(db: Session, actor: User, source: str) -> ScenarioDraft:
    """A scenario file brought in as a draft, its text exactly as given. Its id must be new,
    or one the actor may edit (the draft is then replaced: importing is how a file edited
    outside the application comes back)."""
    scenario_id = _id_in(source)
    if scenario_id is None or not ID_RULE.match(scenario_id):
        raise InvalidInput(N_("The file has no valid id: an id is 3 to 80 small letters, "
                              "digits and hyphens, starting with a letter."), field="file")
    if not exists(db, scenario_id):
        return _own(db, actor, scenario_id, source)
    if not may_edit(db, actor, scenario_id):
        raise Conflict(N_("A scenario with the id '%(id)s' exists already and you may not "
                          "edit it; change the id in the file."), field="file", id=scenario_id)
    draft = _locked_draft(db, scenario_id)
    if draft is None:
        draft = ScenarioDraft(scenario_id=scenario_id, source=source, revision=1,
                              updated_by=actor)
        db.add(draft)
    else:
        draft.source, draft.revision, draft.updated_by = source, draft.revision + 1, actor
    db.flush()
    return draft


def _id_in(source: str) -> str | None:
    """The top-level `id:` of a file, read without loading the rest (it may have errors)."""
    found = re.search(r"^id:[ \t]*['\"]?([A-Za-z0-9_-]+)['\"]?[ \t]*(#.*)?$", source,
                      re.MULTILINE)
    return found.group(1) if found else None


def working_text(db: Session, scenario_id: str) -> tuple[str, int]:
    """The text the editor opens: the draft's, or the latest version's (revision 0: the
    first save makes the draft)."""
    draft = db.get(ScenarioDraft, scenario_id)
    if draft is not None:
        return draft.source, draft.revision
    latest = db.scalar(select(ScenarioVersion).where(
        ScenarioVersion.scenario_id == scenario_id).order_by(
            ScenarioVersion.version.desc()).limit(1))
    if latest is None:
        raise NotFound(N_("No such scenario."))
    return latest.source, 0


def save(db: Session, actor: User, scenario_id: str, source: str,
         revision: int) -> ScenarioDraft:
    """Autosave: store the text if it is based on the draft as it stands (`revision`), else
    refuse, so that two windows never overwrite each other unseen. Any text is kept, even
    one that does not load: a draft is work in progress."""
    require_editor(db, actor, scenario_id)
    if len(source.encode("utf-8")) > loader.MAX_BYTES:
        raise InvalidInput(N_("The text is larger than %(limit)s KB; it was not saved."),
                           field="source", limit=loader.MAX_BYTES // 1024)
    draft = _locked_draft(db, scenario_id)
    if revision != (draft.revision if draft is not None else 0):
        raise _changed_elsewhere()
    if draft is None:  # the first save makes the draft; of two at once, one wins
        draft = ScenarioDraft(scenario_id=scenario_id, source=source, revision=1,
                              updated_by=actor)
        try:
            with db.begin_nested():
                db.add(draft)
        except IntegrityError:
            raise _changed_elsewhere() from None
    elif draft.source != source:
        draft.source, draft.revision, draft.updated_by = source, draft.revision + 1, actor
    db.flush()
    return draft


def _locked_draft(db: Session, scenario_id: str) -> ScenarioDraft | None:
    """The draft, locked until the transaction ends and read afresh (not the copy an earlier
    check of the request loaded), so that a revision is accepted once."""
    draft = db.get(ScenarioDraft, scenario_id)
    if draft is not None:
        lock_for_step(db, draft)
    return draft


def _changed_elsewhere() -> Conflict:
    return Conflict(N_("The draft was changed elsewhere (another window or editor) since "
                       "you opened it; reload to see the newest text."), field="source")


def publish_draft(db: Session, actor: User, scenario_id: str, changelog: str,
                  revision: int) -> ScenarioVersion:
    """The draft as the next published version, with its changelog line. Refused while the
    text has errors, static problems or dead ends the bot finds."""
    require_editor(db, actor, scenario_id)
    changelog = " ".join(changelog.split())
    if not 3 <= len(changelog) <= MAX_CHANGELOG:
        raise InvalidInput(N_("Say in a line (3 to %(limit)s characters) what this version "
                              "changes."), field="changelog", limit=MAX_CHANGELOG)
    draft = _locked_draft(db, scenario_id)
    if draft is None:
        raise InvalidInput(N_("There is no draft to publish: nothing was changed since the "
                              "last version."))
    if revision != draft.revision:
        raise _changed_elsewhere()
    last = db.scalar(select(func.max(ScenarioVersion.version)).where(
        ScenarioVersion.scenario_id == scenario_id)) or 0
    source = authoring.set_version(draft.source, last + 1)
    report = check_text(source, scenario_id)
    if not report.publishable or report.scenario is None:
        raise InvalidInput(N_("The draft has %(count)s problems; fix them before publishing."),
                           count=len(report.errors))
    if last and checksum(authoring.set_version(_latest_source(db, scenario_id), last + 1)) \
            == checksum(source):
        raise InvalidInput(N_("The draft is the same as version %(version)s; there is nothing "
                              "to publish."), version=last)
    dead = run_bot(source, report.scenario).dead_ends
    if dead:
        raise InvalidInput(N_("The bot reached a dead end at %(where)s; fix it before "
                              "publishing."), where=", ".join(sorted(dead)))
    version = publish(db, report.scenario, actor=actor,
                      origin="library" if is_library(db, scenario_id) else "authored")
    if version is None:  # cannot happen: the number is new
        raise Conflict(N_("This version is already published."))
    version.changelog = changelog
    draft.source, draft.revision, draft.updated_by = source, draft.revision + 1, actor
    db.flush()
    return version


def _latest_source(db: Session, scenario_id: str) -> str:
    return db.scalars(select(ScenarioVersion.source).where(
        ScenarioVersion.scenario_id == scenario_id).order_by(
            ScenarioVersion.version.desc()).limit(1)).one()


def editable(db: Session, user: User) -> set[str]:
    """The ids of the scenarios `user` may edit (for the catalogue's buttons)."""
    if user.role == Role.ADMIN:
        ids = set(db.scalars(select(ScenarioVersion.scenario_id)))
        return ids | set(db.scalars(select(ScenarioDraft.scenario_id)))
    return set(db.scalars(select(ScenarioEditor.scenario_id).where(
        ScenarioEditor.user_id == user.id)))


def unpublished(db: Session, user: User) -> list[ScenarioDraft]:
    """Drafts `user` may edit of scenarios with no published version yet."""
    published = select(ScenarioVersion.scenario_id)
    rows = db.scalars(select(ScenarioDraft).where(
        ScenarioDraft.scenario_id.not_in(published)).order_by(ScenarioDraft.scenario_id))
    mine = editable(db, user)
    return [row for row in rows if row.scenario_id in mine]


def texts_of(db: Session, scenario_id: str, which: str) -> str:
    """A version's text ('3') or the draft's ('draft'), for diffs and export."""
    if which == "draft":
        draft = db.get(ScenarioDraft, scenario_id)
        if draft is None:
            raise NotFound(N_("This scenario has no draft."))
        return draft.source
    if not (which.isascii() and which.isdigit()) or len(which) > 9:  # not '²'
        raise NotFound(N_("No such scenario."))
    source = db.scalar(select(ScenarioVersion.source).where(
        ScenarioVersion.scenario_id == scenario_id, ScenarioVersion.version == int(which)))
    if source is None:
        raise NotFound(N_("No such scenario."))
    return source


def playtest_unit(scenario: Scenario, dialogue_id: str) -> str:
    """The first household whose respondent speaks `dialogue_id`."""
    for unit in scenario.assignment.units:
        if scenario.respondents[unit].dialogue == dialogue_id:
            return unit
    raise InvalidInput(N_("No household of this scenario uses the dialogue '%(dialogue)s'."),
                       dialogue=dialogue_id)


def node_places(scenario: Scenario,
                marks: Mapping[loader.Path_, tuple[int, int]] | None = None) -> dict[str, Any]:
    """dialogue -> node -> line, for jumping from the graph to the text (`marks`: the
    positions `loader.read` found, else the text is read again)."""
    marks = loader.reader_for(scenario.source, "", at_keys=True, marks=marks).marks
    return {dialogue.id: {node: marks.get(("dialogues", dialogue.id, "nodes", node, "__key__"),
                                          (1, 1))[0] for node in dialogue.nodes}
            for dialogue in scenario.dialogues.values()}
