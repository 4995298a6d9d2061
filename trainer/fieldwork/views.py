"""The trainee's pages (my training, attempts) and the trainer's exercises of a cohort."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice

from trainer.access import current_actor, roles
from trainer.accounts.models import Role
from trainer.accounts.services import cohort_for_user, cohorts_visible_to
from trainer.core.census import r601
from trainer.core.census import register as register_rules
from trainer.core.census import tally as tally_rules
from trainer.core.census.r601 import Issue, Severity
from trainer.core.errors import DomainError, Forbidden, NotFound
from trainer.core.grading.census_forms_extra import DEATH_ITEM_NAMES
from trainer.core.grading.criteria import LABELS, ranked
from trainer.core.i18n import N_
from trainer.core.scenario import households as scenario_households
from trainer.core.scenario import vocabulary
from trainer.core.world.codes import ETHNIC_GROUPS
from trainer.errors import form_error, status_for, translate
from trainer.extensions import colon, db_session, is_english
from trainer.fieldwork import grades, services, steps, truth
from trainer.fieldwork.forms import (
    AssignForm,
    HouseholdForm,
    PersonForm,
    RegisterForm,
    RegisterRowForm,
    TallyForm,
    is_wide,
    mode_choices,
)
from trainer.fieldwork.hmt_forms import HmtHouseholdForm, HmtPersonForm
from trainer.fieldwork.models import AttemptStatus, Mode, World
from trainer.review import services as review_services
from trainer.review.anchors import PAPERS
from trainer.scenarios import services as scenario_services
from trainer.scenarios.forms import StepForm
from trainer.scenarios.views import both, run_step
from trainer.video import services as video_services

bp = Blueprint("fieldwork", __name__, template_folder="templates")
TEACHERS = (Role.TRAINER, Role.ADMIN)
OVERSEERS = (Role.TRAINER, Role.EXAMINER, Role.ADMIN)  # who follow a cohort's progress
BEIJING = ZoneInfo("Asia/Shanghai")


@bp.get("/training")
@roles(Role.TRAINEE)
def my_training() -> Any:
    """My training: my cohorts, the exercises assigned to me and my attempts."""
    db = db_session()
    user = current_actor()
    assignments = services.assignments_for(db, user)
    return render_template("fieldwork/my_training.html", cohorts=cohorts_visible_to(db, user),
                           assignments=assignments, attempts=services.attempts_for(db, user),
                           progress=review_services.trainee_progress(db, user,
                                                                     english=is_english()),
                           titles={a.version.scenario_id: a.version for a in assignments},
                           released=review_services.released_totals(db, user),
                           criteria_labels=LABELS, today=services.local_today())


@bp.post("/training/exercises/<int:assignment_id>/attempts")
@roles(Role.TRAINEE)
def start_attempt(assignment_id: int) -> Any:
    """Start (or resume) an attempt at an exercise."""
    db = db_session()
    user = current_actor()
    assignment = services.get_assignment_for(db, user, assignment_id)
    attempt = services.start_attempt(db, user, assignment)
    db.commit()
    return redirect(url_for("fieldwork.attempt", attempt_id=attempt.id))


def _own_attempt(attempt_id: int) -> Any:
    """One of the trainee's attempts. A timed exam whose time ran out is submitted first and
    committed at once: whatever this request then tries to change is refused and rolled back,
    and the submission must not be rolled back with it."""
    db = db_session()
    attempt = services.get_attempt(db, current_actor(), attempt_id)
    if services.submit_if_timed_out(db, attempt):
        db.commit()
        if request.method == "GET":  # a change sent now is refused with its own message
            flash(_("Time is up: your exam has been submitted with everything you saved."),
                  "info")
    return attempt


def _time_up(attempt: Any) -> services.TimeUp | None:
    """The refusal of any change once a timed sitting is over, checked before the form sent
    is even read, so the trainee is told why rather than what was wrong with the form."""
    try:
        services.check_editable(attempt)
    except services.TimeUp as error:
        return error
    except DomainError:
        return None  # other refusals come from the save itself, as before
    return None


def _refused_autosave(error: DomainError) -> Any:
    """An autosave refused because the time is up: the reason for the save status, and a
    reload (htmx does not swap a 4xx answer) that shows the attempt as submitted."""
    return escape(translate(error)), status_for(error), {"HX-Refresh": "true"}


@bp.app_template_global()
def timed_sitting(attempt: Any) -> dict[str, Any] | None:
    """A running timed sitting's end and whole seconds left (None: not timed), computed on
    the server; the page's countdown only counts them down."""
    left = services.time_left(attempt)
    if left is None:
        return None
    return {"seconds": int(left.total_seconds()), "ends_at": services.deadline_of(attempt)}


DATETIME_SHOWN = "%Y-%m-%d %H:%M"  # as the map pages and the simulated clock show times


def _aware(moment: datetime) -> datetime:
    """A stored time as an aware UTC time (SQLite may give it back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@bp.app_template_filter("when")
def when(moment: datetime | None) -> str:
    """A stored time (UTC) as every page shows one: Beijing time, `2026-11-30 12:39`, in both
    languages. Machine-readable values (`<time datetime>`, exports) keep their ISO form."""
    if moment is None:
        return ""
    return _aware(moment).astimezone(BEIJING).strftime(DATETIME_SHOWN)


@bp.app_template_filter("day")
def day(moment: datetime | None) -> str:
    """A stored time's Beijing calendar day, `2026-11-30` (a certificate issued at 23:30 UTC
    was issued the next morning in Beijing)."""
    return "" if moment is None else services.local_today(_aware(moment)).isoformat()


# An answer as the side panel shows it: one piece per person or list item ("刘建华 1 本普查小区；"),
# each kept whole on a line where it fits (`span.piece`, an inline block) with a line break
# allowed only between pieces (`<wbr>`), so the panel never breaks "1/本普查小区" or "1/人". A
# date ("1962-04") is also kept on one line (`span.nowrap`): browsers may break after its
# hyphen. Markup, not other characters, so copy-paste gives the text the form expects.
_ANSWER_DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")
_ANSWER_PIECE = re.compile(r"[^；;、]*[；;、]?\s*")


def _dates_whole(text: str) -> Markup:
    pieces, start = [], 0
    for found in _ANSWER_DATE.finditer(text):
        pieces += [escape(text[start:found.start()]),
                   Markup('<span class="nowrap">{}</span>').format(found.group())]
        start = found.end()
    return Markup("").join([*pieces, escape(text[start:])])


@bp.app_template_filter("answer_text")
def answer_text(text: str | None) -> Markup:
    """An answer (escaped) in pieces kept whole, its dates on one line (see above)."""
    out = []
    for found in _ANSWER_PIECE.finditer(text or ""):
        piece = found.group()
        body = piece.rstrip()
        if body:
            out += [Markup('<span class="piece">{}</span>').format(_dates_whole(body)),
                    escape(piece[len(body):]), Markup("<wbr>")]
    return Markup("").join(out[:-1])


def _truths(source: Any) -> dict[str, Any]:
    """The true households by key, of a visit or of an attempt (its scenario and seed). An
    attempt's are built once a request (a page names its households many times)."""
    if source is None:
        return {}
    if hasattr(source, "households"):
        return {unit: state.truth for unit, state in source.households.items()}
    built: dict[tuple[int, int], dict[str, Any]] = g.setdefault("household_truths", {})
    key = (source.version_id, source.seed)
    if key not in built:
        built[key] = scenario_households.build(
            scenario_services.scenario_of(source.version), source.seed)
    return built[key]


def _label(truths: dict[str, Any], unit: str) -> str | None:
    """The label of the household `unit` among `truths`; None if it names none."""
    truth = truths.get(unit)
    return None if truth is None else truth_label(truth)


@bp.app_template_global()
def wide_field(field: Any) -> bool:
    """Whether a census form's field takes two columns of its grid (`forms.is_wide`)."""
    return is_wide(field)


@bp.app_template_global()
def ethnic_groups() -> tuple[str, ...]:
    """The names a field of ethnicity offers (`forms.ETHNIC_LIST`, _ethnic_groups.html)."""
    return ETHNIC_GROUPS


@bp.app_template_global()
def truth_label(truth: Any) -> str:
    """A true household's address (`scenario.households.TruthHousehold`) as the pages write
    it: a flat of a world's block by its stairwell and door, else by building and unit."""
    return address_label(truth.street, truth.building, truth.unit, truth.stairwell, truth.door)


@bp.app_template_global()
def household_label(source: Any, unit: str) -> str:
    """A household as the visit page names it (its street, building and unit) instead of its
    internal key; `source` is the visit or the attempt. The key if it names no household."""
    return _label(_truths(source), unit) or unit


def address_label(street: str, building: int, unit: int, stairwell: int = 0,
                  door: int = 0) -> str:
    """A household's address as the pages write it: `建设路 building 3, unit 502`, or a
    flat of a world's block of flats `building 3, stairwell 2, flat 502` (3栋2单元502室).
    The grading's findings write it alike (`core.grading.forms.address`)."""
    place = (_("building %(b)s, stairwell %(s)s, flat %(d)s", b=building, s=stairwell, d=door)
             if door else _("building %(b)s, unit %(u)s", b=building, u=unit))
    return f"{street} {place}" if street else place


def relabel_leading_key(text: str, label: Callable[[str], str | None]) -> str:
    """A finding's text with the household key it starts with (`wang: ...`, `wang：...`, as
    the grading writes it) replaced by `label(key)`; unchanged when `label` knows no key it
    starts with."""
    for separator in ("：", ": "):
        unit, found, rest = text.partition(separator)
        shown = label(unit) if found else None
        if shown is not None:
            return f"{shown}{separator}{rest}"
    return text


@bp.app_template_global()
def named_households(text: str, source: Any) -> str:
    """A finding's text with its leading household key shown as the household's label."""
    truths = _truths(source)
    return relabel_leading_key(text, lambda unit: _label(truths, unit))


@bp.app_template_global()
def where_item(where: str, source: Any, households: bool = False) -> str:
    """A place in the paperwork (a finding's `where`, a comment's form anchor) in words:
    `Person 2 · D4 Sex`, `Register of household heads · Status`. Without `households` the
    household is left out (a finding's text names it already: empty for a whole household's
    form); with it, each household key is shown as the household's label. Census items keep
    their code as the paper form prints it, followed by the form's label for it."""
    units = _truths(source)
    parts = where.split("/")
    papers = [part for part in parts if part not in units]
    paper = papers[0].partition("[")[0] if papers else ""
    return " · ".join((_label(units, part) or part) if part in units else _where_words(part, paper)
                      for part in parts if households or part not in units)


_ITEM_CODE = re.compile(r"[A-Z]\d{1,2}[a-z]?")  # a census item: D4, H2a, R7, F3


def _where_words(part: str, paper: str) -> str:
    """One part of a place (`register`, `persons[1]`, `status`, `D4`) in the interface
    language; `paper` is the place's first part without its row (which paper's column it
    is). Rows and persons are numbered from 0 in a place, from 1 in words."""
    name, _bracket, index = part.partition("[")
    if index[:-1].isdigit():
        number = int(index[:-1]) + 1
        return _("Person %(n)s", n=number) if name == "persons" else _("Row %(n)s", n=number)
    if _ITEM_CODE.fullmatch(part):
        return _item_label(part)
    if part == paper:
        papers = {"register": _("Register of household heads"), "tally": _("Quick tally"),
                  "deaths": _("Death form"), "persons": _("Persons")}
        return papers.get(part, part)
    if paper == "register":
        return _register_column_label(part)
    if paper == "tally" and part in tally_rules.LABELS:
        return both(tally_rules.LABELS[part])
    if paper == "deaths" and part in DEATH_ITEM_NAMES:
        return both(DEATH_ITEM_NAMES[part])
    return part


def _item_label(item: str) -> str:
    """A census item's label as its form heads it (`D4 Sex`, `F2 Type of dwelling`): the
    short form's household and person items, the long form's, the HMT/foreign form's."""
    for form in (HouseholdForm, PersonForm, HmtHouseholdForm, HmtPersonForm):
        label = getattr(getattr(form, item, None), "args", ())[:1]
        if label:
            return str(label[0])
    return item


def _register_column_label(column: str) -> str:
    """A register column's label as the trainee's register page heads it."""
    if column == "code":
        return _("Self-reporting code")
    label = getattr(getattr(RegisterRowForm, column, None), "args", ())[:1]
    return str(label[0]) if label else column


@bp.app_template_global()
def shown_anchor(anchor: str, source: Any, places: Mapping[str, str] | None = None) -> Markup:
    """A comment's anchor as the pages print it, in words where they are known: a place in
    the paperwork (`form:wang/H2b`, `wang/persons[1]/D7`, `form:register`) with the
    household's label for its key (`where_item`), a turn as the transcript numbers it (#12),
    a map feature and a clip by what `places` (the review page's anchor suggestions) calls
    them; any other as the anchor itself, in code type."""
    path = anchor.removeprefix("form:")
    head = path.split("/")[0]
    kind, _colon, rest = anchor.partition(":")
    clip, _at, moment = rest.partition("@")
    known = places or {}
    words = None
    if head in _truths(source) or head in PAPERS:
        words = where_item(path, source, households=True)
    elif kind == "event" and rest.isdigit():
        words = f"#{rest}"
    elif kind == "map" and anchor in known:
        words = _("Map: %(feature)s", feature=known[anchor])
    elif kind == "clip" and f"clip:{clip}@0" in known:
        seconds = int(float(moment or 0))
        words = f"{known[f'clip:{clip}@0']} ▶ {seconds // 60}:{seconds % 60:02d}"
    if words is None:
        return Markup("<code>{}</code>").format(anchor)
    return Markup('<span class="anchor" data-anchor="{}">{}</span>').format(anchor, words)


@bp.app_template_global()
def ranked_results(rubric: Any, data: Any) -> list[Any]:
    """A stored score's criteria, the costliest first (see `criteria.ranked`)."""
    return ranked(rubric, data)


@bp.app_template_global()
def finding_url(attempt: Any, where: str) -> str | None:
    """Where a finding's evidence is in the trainee's own work: a form field (`unit/H6`,
    `unit/persons[1]/D4`), a whole form (`unit`, `unit/persons`), a register row
    (`register/unit/column`) or a figure of the quick tally (`tally/present`)."""
    parts = where.split("/")
    if where == "forms":  # a form that does not open yet: the attempt's card of forms
        return url_for("fieldwork.attempt", attempt_id=attempt.id, _anchor="forms")
    if parts[0] == "deaths":  # the death form: deaths/rows[i]/item
        return url_for("fieldwork.deaths", attempt_id=attempt.id, _anchor="-".join(
            parts[1:]).replace("[", "-").replace("]", "") or None)
    if parts[0] == "tally":
        return url_for("fieldwork.tally", attempt_id=attempt.id,
                       _anchor=parts[1] if len(parts) > 1 else None)
    if parts[0] == "register" and len(parts) > 1:
        return url_for("fieldwork.register", attempt_id=attempt.id,
                       _anchor=f"register-{parts[1]}")
    anchor = None
    if len(parts) == 3 and parts[1].startswith("persons["):
        anchor = f"persons-{parts[1][8:-1]}-{parts[2]}"
    elif len(parts) == 2 and parts[1] != "persons":
        anchor = parts[1].replace("[", "-").replace("]", "")
    endpoint = ("fieldwork.hmt_form" if parts[0] in (attempt.hmt_forms or {})
                else "fieldwork.census_form")  # a unit's HMT/foreign form (hmt.py) or R601
    return url_for(endpoint, attempt_id=attempt.id, unit=parts[0], _anchor=anchor)


def _shown_score(attempt: Any, review: Any) -> dict[str, Any] | None:
    """The score the trainee may see: the released one; before release, the automatic
    score shown as provisional, for a practice attempt at once and for an exam once the exam
    has closed (past its due date, and no trainee of the cohort can still sit it:
    `services.exam_closed`). While an exam is open its debrief stays hidden, as Moodle's
    "after the quiz is closed" review option: an early finisher's debrief (the true answers,
    what each household really feared) would otherwise reach those still sitting it."""
    if review_services.is_released(review):
        return review.released_score  # type: ignore[no-any-return]
    if attempt.status != AttemptStatus.SUBMITTED:
        return None
    if attempt.assignment.mode == Mode.PRACTICE:
        return attempt.score  # type: ignore[no-any-return]
    closed = services.exam_closed(db_session(), attempt.assignment)
    return attempt.score if closed else None


def _provisional(review: Any) -> bool:
    """Whether the score shown is still the automatic one, awaiting an examiner."""
    return review is not None and not review_services.is_released(review)


def _attempt_page(attempt: Any, form: StepForm | None = None, status: int = 200) -> Any:
    visit = services.replay_attempt(attempt)
    assignment = visit.scenario.assignment
    days = [assignment.first_day + timedelta(days=i) for i in range(assignment.days)]
    practice = attempt.assignment.mode == Mode.PRACTICE
    review = review_services.review_of(db_session(), attempt)
    shown = _shown_score(attempt, review)
    rubric = grades.rubric_of(db_session(), attempt)
    clips = video_services.debrief_clips(
        db_session(), current_actor(), attempt.version.scenario_id, rubric, shown)
    return render_template(
        "fieldwork/attempt.html", attempt=attempt, visit=visit, scenario=visit.scenario,
        rubric=rubric, clips=clips, shown_score=shown, review=review,
        provisional=shown is not None and _provisional(review),
        # the criteria whose released score the examiner changed: marked as the review page does
        changed=set(review_services.overrides(review)) if review_services.is_released(review)
        else set(),
        comments=review_services.comments_for_trainee(review),
        days=days, form=form or StepForm(), vocabulary=vocabulary, criteria_labels=LABELS,
        practice=practice, form_units=services.shown_form_units(attempt, visit),
        completed_units=[u for u, entry in attempt.forms.items() if entry.get("complete")],
        submitted=attempt.status == AttemptStatus.SUBMITTED,
        truth_changed=truth.changed(attempt)), status


@bp.get("/training/attempts/<int:attempt_id>")
@roles(Role.TRAINEE)
def attempt(attempt_id: int) -> Any:
    """An attempt: the doorstep visits, resumed exactly where they were left."""
    return _attempt_page(_own_attempt(attempt_id))


def _fault_test_pause(point: str) -> None:
    """A hook for the fault tests (tests/features/test_faults_web.py), off unless the
    environment sets TRAINER_TEST_STEP_DELAY to `before-commit:<seconds>` (the step or the
    form save is applied and flushed, its transaction still open) or `after-commit:<seconds>`
    (committed, not yet answered): the request then sleeps there, so a test can kill the
    worker at that point, or send a second request meanwhile."""
    setting = os.environ.get("TRAINER_TEST_STEP_DELAY")
    if setting and setting.partition(":")[0] == point:
        time.sleep(float(setting.partition(":")[2]))


@bp.post("/training/attempts/<int:attempt_id>/steps")
@roles(Role.TRAINEE)
def attempt_step(attempt_id: int) -> Any:
    """Take one step of an attempt (saved at once; a retry with the same step key is not
    stored twice): on the quick path (`steps`) unless something is out of the ordinary."""
    db = db_session()
    if steps.quick_step(db, current_user.id, attempt_id, request.form,
                        lambda: _fault_test_pause("before-commit")):
        _fault_test_pause("after-commit")
        return redirect(url_for("fieldwork.attempt", attempt_id=attempt_id, _anchor="latest"))
    attempt = _own_attempt(attempt_id)
    late = _time_up(attempt)
    # a retry of a step stored before the end is still answered as the first was
    if late is not None and not scenario_services.repeated(attempt.steps,
                                                           request.form.get("step_key")):
        form = StepForm()
        return _attempt_page(attempt, form, form_error(form, late))

    def apply(household: str, action: str, at: datetime | None, key: str | None) -> None:
        services.take_step(db, attempt, household, action, at, key)
        _fault_test_pause("before-commit")

    response = run_step(apply, lambda form, status: _attempt_page(attempt, form, status),
                        url_for("fieldwork.attempt", attempt_id=attempt.id, _anchor="latest"))
    _fault_test_pause("after-commit")
    return response


@bp.post("/training/attempts/<int:attempt_id>/submit")
@roles(Role.TRAINEE)
def submit(attempt_id: int) -> Any:
    """Submit an attempt for grading (a second submit changes nothing)."""
    db = db_session()
    attempt = _own_attempt(attempt_id)
    form = StepForm()
    if not form.csrf_token.validate(form):
        return _attempt_page(attempt, form, 400)
    services.submit(db, attempt)
    db.commit()
    flash(_("Your attempt has been submitted."), "success")
    return redirect(url_for("fieldwork.attempt", attempt_id=attempt.id))


def _not_saved(form: Any) -> Any:
    """The autosave status when the browser sent values the form refuses (kept as before)."""
    out = []
    for name, errors in form.errors.items():
        for index, entry in enumerate(errors):
            if isinstance(entry, dict):  # a row of a list of subforms
                row = form[name].entries[index].form
                out += [f"{_('Person %(n)s', n=index + 1) if name == 'persons' else index + 1}"
                        f" {_field_label(row, field)}: {' '.join(msgs)}"
                        for field, msgs in entry.items()]
            else:
                out.append(f"{_field_label(form, name)}: {entry}")
    return escape(_("Not saved: %(errors)s", errors="; ".join(out))), 200


def _saved() -> Any:
    """The autosave status after a save."""
    now = datetime.now(UTC).astimezone(BEIJING).strftime("%H:%M:%S")
    return escape(_("Saved at %(time)s.", time=now)), 200


def _field_label(form: Any, name: str) -> str:
    """How the form names its field `name` (its label), or the name when it has no such
    field."""
    field = form._fields.get(name) if hasattr(form, "_fields") else None
    return str(field.label.text) if field is not None else name


def issue_text(issue: Issue, field: Any = None) -> str:
    """An issue's message in the interface language; the item it names (H4m, D3, ...) is
    named as the form shows it to the trainee, by `field`'s label ("H4 Deaths, male")."""
    params = dict(issue.params)
    if field is not None and params.get("item") == issue.item:
        params["item"] = str(field.label.text)
    return _(issue.message, **params)


def _attach(form: Any, issues: list[Issue], items: str = "HD") -> list[str]:
    """Put each issue on its field (items starting with one of `items`: H and D on R601, F
    and R on the HMT/foreign form); return the texts of the soft warnings."""
    warnings = []
    for issue in issues:
        target: Any = form
        if issue.person is not None and issue.person < len(form.persons.entries):
            target = form.persons.entries[issue.person].form
        field = getattr(target, issue.item, None) if issue.item[0] in items else None
        text = issue_text(issue, field)
        if issue.severity == Severity.SOFT:
            # listed above the form, away from its field: say whose and which item it is
            where = [_("Person %(n)s", n=issue.person + 1)] if issue.person is not None else []
            if field is not None and not text.startswith(str(field.label.text)):
                where.append(str(field.label.text))
            warnings.append(f"{' · '.join(where)}{colon()}{text}" if where else text)
            continue
        if field is None:
            form.form_errors.append(text)
        else:
            field.errors = [*field.errors, text]
    return warnings


@bp.route("/training/attempts/<int:attempt_id>/forms/<unit>", methods=["GET", "POST"])
@roles(Role.TRAINEE)
def census_form(attempt_id: int, unit: str) -> Any:
    """A household's R601 form: saved on every change, complete when it passes the checks."""
    db = db_session()
    attempt = _own_attempt(attempt_id)
    visit = services.replay_attempt(attempt)
    if not services.all_died_form(attempt, unit):  # 999: the register says so, not a visit
        meet_first(visit, unit, begun=attempt.forms)
    if unit not in services.r601_units(attempt, visit):
        abort(404)
    if request.method == "POST":
        form = HouseholdForm()

        def save() -> list[Issue]:
            issues = services.save_form(db, attempt, unit, form.record(),
                                        complete=bool(form.complete.data),
                                        confirmed=bool(form.confirmed.data), visit=visit)
            _fault_test_pause("before-commit")
            return issues

        def page(shown: HouseholdForm, status: int) -> Any:
            return _form_page(attempt, visit, unit, shown, [], status)

        return _save_sheet(attempt, form, save, lambda status: page(form, status),
                           household_saved(form, lambda: attempt.forms[unit], page, url_for(
                               "fieldwork.census_form", attempt_id=attempt.id, unit=unit)))
    stored = attempt.forms.get(unit, {})
    form = stored_form(HouseholdForm, stored)
    issues = r601.validate(stored["record"]) if stored else []
    return _form_page(attempt, visit, unit, form, issues, 200)


def meet_first(visit: Any, unit: str, begun: Any) -> None:
    """Refuse a household's form before the trainee has met it (unless its form is `begun`
    or received), in the same words whatever lives there: a vacant unit's form answering
    otherwise than an occupied one's would tell a trainee who guesses URLs it is vacant."""
    state = visit.households.get(unit)
    if state is not None and not state.met and unit not in (begun or {}):
        raise NotFound(N_("You have not met this household yet: its form opens once you "
                          "have."))


def stored_form(form_class: Any, stored: dict[str, Any]) -> Any:
    """A household's form as it was saved: its record, the complete box and the warnings'
    confirmation."""
    form = form_class(formdata=None, data=stored.get("record"))
    form.complete.data = stored.get("complete", False)
    form.confirmed.data = stored.get("confirmed", False)
    return form


def household_saved(form: Any, entry: Callable[[], dict[str, Any]],
                    page: Callable[[Any, int], Any], done_url: str
                    ) -> Callable[[list[Issue]], Any]:
    """What a household form (R601, HMT/foreign) answers once saved whole: with a new blank
    person row when one was asked for (`page` shows it, without errors), else how it was saved
    and a redirect to `done_url`. `entry` reads the saved entry."""
    def after(issues: list[Issue]) -> Any:
        saved = entry()
        if "add_person" in request.form:
            more = type(form)(formdata=None, data=saved["record"])
            add_entry(more, more.persons)
            return page(more, 200)
        flash_form_saved(saved["complete"], bool(form.complete.data), issues)
        return redirect(done_url)
    return after


def flash_form_saved(complete: bool, asked_complete: bool, issues: list[Issue]) -> None:
    """Tell how a household's form was saved: complete, or why it is not, or a draft."""
    hard = sum(1 for issue in issues if issue.severity == Severity.HARD)
    if complete:
        flash(_("The form is complete."), "success")
    elif asked_complete and hard:
        flash(_("Not complete: correct the errors first (%(count)s).", count=hard), "error")
    elif asked_complete:
        flash(_("Not complete: confirm that you have checked the warnings."), "error")
    else:
        flash(_("The form is saved as a draft."), "info")


def graded_fields(attempt: Any, unit: str) -> dict[str, list[Any]]:
    """The debrief's findings on a household's form, by field (once the score is shown)."""
    shown = _shown_score(attempt, review_services.review_of(db_session(), attempt))
    graded: dict[str, list[Any]] = {}
    for result in (shown or {}).get("criteria", {}).values():
        for finding in result["findings"]:
            if (finding.get("where") or "").startswith(f"{unit}/"):
                graded.setdefault(finding["where"][len(unit) + 1:], []).append(finding)
    return graded


def _form_page(attempt: Any, visit: Any, unit: str, form: HouseholdForm, issues: list[Issue],
               status: int) -> Any:
    warnings = _attach(form, issues)
    return render_template("fieldwork/census_form.html", attempt=attempt, visit=visit,
                           unit=unit, form=form, warnings=warnings, vocabulary=vocabulary,
                           graded=graded_fields(attempt, unit),
                           state=visit.households[unit],
                           all_died=services.all_died_form(attempt, unit),
                           told=_told(visit, unit),
                           entry=attempt.forms.get(unit, {}),
                           submitted=attempt.status == AttemptStatus.SUBMITTED), status


def _told(visit: Any, unit: str) -> list[Any]:
    """What the visits to a unit were told (its facts disclosed, once each, in the order
    told): beside its form, with the answers to the items asked."""
    facts = visit.scenario.facts
    ids = [fact_id for event in visit.events if event.household == unit
           for fact_id in event.disclosed if fact_id in facts]
    return [facts[fact_id] for fact_id in dict.fromkeys(ids)]


@bp.route("/training/attempts/<int:attempt_id>/register", methods=["GET", "POST"])
@roles(Role.TRAINEE)
def register(attempt_id: int) -> Any:
    """The 户主姓名底册 of the attempt's units, saved on every change."""
    db = db_session()
    attempt = _own_attempt(attempt_id)
    visit = services.replay_attempt(attempt)
    units = list(visit.households)
    if request.method == "POST":
        form = RegisterForm()
        strangers = [e for e in form.rows.entries if e.form.unit_id.data not in units]
        if strangers:  # a tampered or stale page: refuse it whole, keep what was saved
            form.rows.entries = [e for e in form.rows.entries if e not in strangers]
            message = _("The register had a row for a unit that is not in this exercise; "
                        "nothing was saved.")
            if request.headers.get("HX-Request"):
                return escape(message), 400
            form.form_errors.append(message)
            return _register_page(attempt, visit, form, [], 400)
        return _save_sheet(
            attempt, form, lambda: services.save_register(db, attempt, form.data_by_unit()),
            lambda status: _register_page(attempt, visit, form, [], status),
            sheet_saved(url_for("fieldwork.register", attempt_id=attempt.id),
                        lambda count: _("The register is saved.") if not count else _(
                            "The register is saved; %(count)s entries still need attention.",
                            count=count)))
    rows = [{"unit_id": unit, **attempt.register.get(unit, {})} for unit in units]
    form = RegisterForm(formdata=None, data={"rows": rows})
    issues = list(register_rules.validate(
        attempt.register, services.foreign_units(attempt, visit))) if attempt.register else []
    return _register_page(attempt, visit, form, issues, 200)


def _save_sheet(attempt: Any, form: Any, save: Callable[[], list[Issue]],
                page: Callable[[int], Any], after: Callable[[list[Issue]], Any]) -> Any:
    """Save a form posted whole (a household's form, the register, the tally, the death
    form): an autosave answers with the save status only; a refused form keeps what was saved
    before; once committed, `after` answers with the save's issues."""
    db = db_session()
    autosave = bool(request.headers.get("HX-Request"))
    late = _time_up(attempt)
    if late is not None:
        return _refused_autosave(late) if autosave else page(form_error(form, late))
    if not form.validate_on_submit():  # an autosave tells at once; the last good save is kept
        return _not_saved(form) if autosave else page(400)
    try:
        issues = save()
    except DomainError as error:
        db.rollback()
        if autosave and isinstance(error, services.TimeUp):
            return _refused_autosave(error)
        return page(form_error(form, error))
    db.commit()
    if autosave:
        return _saved()
    return after(issues)


def sheet_saved(done_url: str, saved: Callable[[int], str]) -> Callable[[list[Issue]], Any]:
    """What a sheet (the register, the tally, the death form) answers once saved whole: the
    `saved` message for the count of its issues, and a redirect to `done_url`."""
    def after(issues: list[Issue]) -> Any:
        flash(saved(len(issues)), "info" if issues else "success")
        return redirect(done_url)
    return after


def add_entry(form: Any, rows: Any) -> None:
    """Add a blank row to a form's list, unless it already holds all it may (a page posted
    full, or a stored sheet at its limit, is told so rather than failing)."""
    if rows.max_entries and len(rows.entries) >= rows.max_entries:
        form.form_errors.append(_("The form holds at most %(count)s rows.",
                                  count=rows.max_entries))
        return
    rows.append_entry()


def _put_errors(issues: list[Issue], field_of: Callable[[Issue], Any]) -> None:
    """Show each issue on its field (`field_of` finds it, or None to leave it out)."""
    for issue in issues:
        field = field_of(issue)
        if field is not None:
            field.errors = [*field.errors, issue_text(issue, field)]


def _register_page(attempt: Any, visit: Any, form: RegisterForm, issues: list[Issue],
                   status: int) -> Any:
    rows = form.rows.entries
    _put_errors(issues, lambda issue: getattr(rows[issue.person].form, issue.item, None)
                if issue.person is not None and issue.person < len(rows) else None)
    return render_template("fieldwork/register.html", attempt=attempt, visit=visit,
                           form=form, submitted=attempt.status == AttemptStatus.SUBMITTED), status


@bp.route("/training/attempts/<int:attempt_id>/tally", methods=["GET", "POST"])
@roles(Role.TRAINEE)
def tally(attempt_id: int) -> Any:
    """The quick tally (快速汇总) of the attempt's forms, saved on every change."""
    db = db_session()
    attempt = _own_attempt(attempt_id)
    if request.method == "POST":
        form = TallyForm()
        return _save_sheet(
            attempt, form, lambda: services.save_tally(db, attempt, form.figures()),
            lambda status: _tally_page(attempt, form, [], status),
            sheet_saved(url_for("fieldwork.tally", attempt_id=attempt.id),
                        lambda count: _("The tally is saved.") if not count else _(
                            "The tally is saved; %(count)s entries still need attention.",
                            count=count)))
    form = TallyForm(formdata=None, data=attempt.tally or {})
    issues = list(tally_rules.validate(attempt.tally)) if attempt.tally else []
    return _tally_page(attempt, form, issues, 200)


def _tally_page(attempt: Any, form: TallyForm, issues: list[Issue], status: int) -> Any:
    _put_errors(issues, lambda issue: getattr(form, issue.item, None))
    return render_template("fieldwork/tally.html", attempt=attempt, form=form,
                           scenario=scenario_services.scenario_of(attempt.version),
                           all_died=bool(services.registered_all_died(attempt)),
                           submitted=attempt.status == AttemptStatus.SUBMITTED), status


def _teachable_cohort(cohort_id: int) -> Any:
    cohort = cohort_for_user(db_session(), current_actor(), cohort_id)
    if current_actor().role not in TEACHERS:
        raise Forbidden(N_("Only the cohort's trainer can assign exercises."))
    return cohort


def _assign_form() -> AssignForm:
    form = AssignForm()
    versions = scenario_services.catalogue(db_session())
    form.version.choices = [SelectChoice(v.id, f"{v.title_zh} · {v.title_en} (v{v.version})")
                            for v in versions]
    form.mode.choices = mode_choices()
    return form


@bp.route("/cohorts/<int:cohort_id>/exercises", methods=["GET", "POST"])
@roles(*TEACHERS)
def exercises(cohort_id: int) -> Any:
    """A cohort's exercises; assign a scenario as practice or exam."""
    db = db_session()
    cohort = _teachable_cohort(cohort_id)
    form = _assign_form()
    status = 200
    if form.validate_on_submit():
        try:
            version = scenario_services.version_by_id(db, form.version.data or 0)
            services.assign(db, actor=current_actor(), cohort=cohort, version=version,
                            mode=Mode(form.mode.data), due_on=form.due_on.data,
                            opens_on=form.opens_on.data,
                            time_limit_minutes=form.time_limit_minutes.data,
                            world=form.world.data or World.SCENARIO,
                            today=services.local_today())
        except DomainError as error:
            db.rollback()
            status = form_error(form, error)
        else:
            db.commit()
            flash(_("The exam has been assigned.") if form.mode.data == Mode.EXAM.value
                  else _("The exercise has been assigned."), "success")
            return redirect(url_for("fieldwork.exercises", cohort_id=cohort.id))
    elif form.is_submitted():
        status = 400
    return render_template("fieldwork/exercises.html", cohort=cohort, form=form,
                           assignments=services.assignments_of(db, cohort),
                           world_labels=WORLD_LABELS), status


WORLD_LABELS = {World.SCENARIO.value: N_("as the scenario sets it"),
                World.SHARED.value: N_("the same for everyone"),
                World.PER_TRAINEE.value: N_("one per trainee"),
                World.PER_ATTEMPT.value: N_("a new one each attempt")}


@bp.get("/cohorts/<int:cohort_id>/exercises/<int:assignment_id>/progress")
@roles(*OVERSEERS)
def progress(cohort_id: int, assignment_id: int) -> Any:
    """Where every trainee of the cohort stands on one exercise (its trainer, its examiners
    and admins; any other cohort is not found)."""
    db = db_session()
    actor = current_actor()
    cohort = cohort_for_user(db, actor, cohort_id)
    assignment = services.assignment_of(db, cohort, assignment_id)
    rows = services.progress(db, assignment)
    # sittings whose time ran out unnoticed (no worker running the periodic job, the trainee
    # gone) are submitted now, so the page never shows a finished exam as in progress
    overdue = [row.attempt for row in rows if row.attempt is not None
               and row.state == "in_progress" and row.time_left is not None
               and not row.time_left]
    if overdue:
        for attempt in overdue:
            services.submit_if_timed_out(db, attempt)
        db.commit()
        rows = services.progress(db, assignment)
    counts = {state: sum(1 for row in rows if row.state == state)
              for state in ("not_started", "in_progress", "submitted")}
    return render_template("fieldwork/progress.html", cohort=cohort, assignment=assignment,
                           rows=rows, counts=counts, world_labels=WORLD_LABELS,
                           teaching=actor.role in TEACHERS,
                           reviewing=actor.role in (Role.EXAMINER, Role.ADMIN))
# their routes join this blueprint
from trainer.fieldwork import deaths, hmt, listing, recheck  # noqa: E402,F401
