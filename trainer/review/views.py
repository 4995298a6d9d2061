"""The examiner's pages: the queue, an attempt's evidence, overrides, comments, returning and
releasing; and everyone's notifications."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from trainer.access import current_actor, logged_in, roles
from trainer.accounts.models import Role
from trainer.accounts.services import cohort_for_user, cohorts_visible_to
from trainer.core.census import deaths, hmt, long_form, r601, tally
from trainer.core.errors import DomainError
from trainer.core.grading import hmt as grading_hmt
from trainer.core.grading.census_forms_extra import DEATH_ITEM_NAMES
from trainer.core.grading.criteria import LABELS, ranked
from trainer.core.i18n import N_
from trainer.core.maps.parse import parse_drawing
from trainer.core.scenario import households as scenario_households
from trainer.core.scenario import vocabulary
from trainer.core.world import codes
from trainer.errors import form_error, translate
from trainer.extensions import db_session, interface_locale, is_english
from trainer.fieldwork import grades
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.deaths_forms import DeathRowForm
from trainer.fieldwork.forms import RegisterRowForm
from trainer.fieldwork.models import Assignment
from trainer.fieldwork.truth import changed as households_changed
from trainer.fieldwork.views import (
    address_label,
    household_label,
    issue_text,
    relabel_leading_key,
    where_item,
)
from trainer.maps import services as map_services
from trainer.review import anchors, services
from trainer.review.forms import (
    ActionForm,
    BulkForm,
    CommentForm,
    MarkForm,
    MarkingForm,
    OverrideForm,
    ReturnForm,
)
from trainer.review.models import ReviewKind, ReviewStatus
from trainer.scenarios import services as scenario_services
from trainer.scenarios.models import ScenarioVersion
from trainer.scenarios.views import both
from trainer.video import services as video_services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
bp = Blueprint("review", __name__, template_folder="templates")
EXAMINERS = (Role.EXAMINER, Role.ADMIN)
HEATMAP_ROWS = 50


STATUS_LABELS = {ReviewStatus.AWAITING: N_("Awaiting review"),
                 ReviewStatus.IN_REVIEW: N_("In review"),
                 ReviewStatus.RETURNED: N_("Returned to the trainee"),
                 ReviewStatus.RELEASED: N_("Released")}
KIND_LABELS = {ReviewKind.SUBMITTED: N_("Submitted"), ReviewKind.CLAIMED: N_("Taken into review"),
               ReviewKind.OVERRIDE: N_("Score changed"), ReviewKind.COMMENT: N_("Comment"),
               ReviewKind.RETURNED: N_("Returned for correction"),
               ReviewKind.RELEASED: N_("Score released"),
               ReviewKind.MARK: N_("Independent mark"),
               ReviewKind.MARKED: N_("Independent mark submitted")}


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    from flask_login import current_user

    def unread() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(db_session(), current_actor())

    return {"unread_notices": unread,
            "review_status_label": lambda status: _(STATUS_LABELS[status]),
            "review_kind_label": lambda kind: _(KIND_LABELS[kind]),
            "score_before_label": _score_before_label,
            "notice_text": lambda notice: _(notice.message, **notice_params(notice.params))}


def notice_params(params: dict[str, Any]) -> dict[str, Any]:
    """A notice's parameters in the reader's language: a value given in both languages
    ({"zh_CN": …, "en": …}) is its side for the interface's language; any other as stored
    (notices from before titles were stored in both languages hold the Chinese one)."""
    locale = interface_locale()
    return {key: value.get(locale, "") if isinstance(value, dict) else value
            for key, value in (params or {}).items()}


def _score_before_label(entry: Any) -> str:
    """What a change of score in the record replaced: a score 0-100, or "not applicable"."""
    before = services.score_before(entry)
    return _("not applicable") if before is None else f"{before * 100:.0f}"


QUEUE_FILTERS = ("cohort", "status", "flag", "scenario", "mine", "min_score",
                 "max_score")  # the queue's query string


@bp.get("/review")
@roles(*EXAMINERS)
def queue() -> Any:
    """The review queue: attempts of the cohorts I mark, filtered."""
    return _queue_page(BulkForm(formdata=None))


def _queue_page(bulk_form: BulkForm, status: int = 200) -> Any:
    db, examiner = db_session(), current_actor()
    cohort_id = request.args.get("cohort", type=int)
    filters = {"scenario_id": request.args.get("scenario", "")[:80],
               "status": request.args.get("status", "open")[:20],
               "flag": request.args.get("flag", "")[:20]}
    my_mark = request.args.get("mine") == "1"
    low, high = request.args.get("min_score", "")[:20], request.args.get("max_score", "")[:20]
    filter_error = None
    try:
        min_score, max_score = services.score_bounds(low, high)
    except DomainError as error:  # a range that is no range: say so, show nothing
        filter_error, status, min_score, max_score = translate(error), 400, None, None
    rows = [] if filter_error else services.queue(
        db, examiner, cohort_id=cohort_id, my_mark=my_mark, min_score=min_score,
        max_score=max_score, **filters)
    cohorts = cohorts_visible_to(db, examiner)
    return render_template("review/queue.html", rows=rows, cohort_id=cohort_id,
                           min_score=low, max_score=high, filter_error=filter_error,
                           cohorts=cohorts, statuses=list(ReviewStatus), my_mark=my_mark,
                           double=any(cohort.double_marking for cohort in cohorts),
                           bulk=bulk_form, open_statuses=services.OPEN,
                           scenarios=services.scenarios_assigned(db, cohorts),
                           query=_queue_query(), **filters), status


def _queue_query() -> dict[str, Any]:
    """The queue's filters from the query string, and nothing else (kept across a bulk
    action, never passed to url_for unchecked)."""
    return {name: request.args[name][:80] for name in QUEUE_FILTERS if name in request.args}


@bp.post("/review/bulk")
@roles(*EXAMINERS)
def bulk() -> Any:
    """Release or take into review the attempts ticked in the queue, each through the
    single action's checks; the others are done and the skipped ones listed with why."""
    db, examiner = db_session(), current_actor()
    form = BulkForm()
    if not form.validate_on_submit():
        return _queue_page(form, 400)
    try:
        result = services.bulk(db, examiner, form.attempts.data or [], form.action.data or "",
                               link_of=lambda attempt_id: url_for("fieldwork.attempt",
                                                                  attempt_id=attempt_id))
    except DomainError as error:
        return _queue_page(form, form_error(form, error))
    db.commit()
    counts = {"done": len(result.done), "skipped": len(result.skipped)}
    flash(_("Released %(done)s, skipped %(skipped)s.", **counts)
          if form.action.data == "release"
          else _("Taken into review %(done)s, skipped %(skipped)s.", **counts),
          "info" if result.skipped else "success")
    for skip in result.skipped:
        reason = translate(skip.error)
        if skip.review is None:
            flash(_("Skipped attempt %(id)s: %(reason)s", id=skip.attempt_id, reason=reason),
                  "error")
        else:
            attempt = skip.review.attempt
            flash(_("Skipped %(trainee)s · %(title)s: %(reason)s",
                    trainee=attempt.trainee.full_name,
                    title=attempt.version.title_en if is_english() else attempt.version.title_zh,
                    reason=reason), "error")
    return redirect(url_for("review.queue", **_queue_query()))


def _attempt_page(review: Any, status: int = 200, **forms: Any) -> Any:
    attempt = review.attempt
    visit = fieldwork.replay_attempt(attempt)
    score = services.effective_score(review)
    rubric = grades.rubric_of(db_session(), attempt)
    # "Change" in a criterion's row of the scores comes back with that criterion chosen
    override = forms.get("override") or OverrideForm(
        formdata=None, criterion=request.args.get("criterion", "")[:80] or None)
    override.criterion.choices = [SelectChoice(name, both(LABELS.get(name, (name, name))))
                                  for name, _criterion, _result in ranked(rubric, score or {})]
    chosen = next((choice.value for choice in override.criterion.choices
                   if choice.value == override.criterion.data), None)
    truth = fieldwork.register_truth(visit)
    form_diffs = {}
    truth_records = []
    owed = set(fieldwork.form_units(visit))
    for unit in [u for u in visit.households if u in owed or u in attempt.forms]:
        # every form owed (never saved: still shown) and every form filed (a 999 form for a
        # unit really vacant too: its deaths are in the tally's forms column)
        household = visit.households[unit].truth.household if unit in owed else None
        entry = attempt.forms.get(unit, {})
        truth_record = r601.record_of(household) if household is not None else None
        form_diffs[unit] = r601.differences(entry.get("record"), truth_record)
        if truth_record is not None:
            truth_records.append(truth_record)
    hmt_diffs = {}
    owed = grading_hmt.hmt_units({unit: state.truth for unit, state in visit.households.items()})
    for unit in dict.fromkeys([*(attempt.hmt_forms or {}), *owed]):  # never saved: still shown
        entry = (attempt.hmt_forms or {}).get(unit, {})
        found = visit.households.get(unit)
        household = found.truth.household if found is not None else None
        hmt_diffs[unit] = r601.differences(entry.get("record"), hmt.record_of(household)
                                           if household is not None else None)
    watched = video_services.watched_by(db_session(), attempt.trainee)
    death_labels = DeathRowForm()  # the death form's items as its columns head them
    feature_names = anchors.map_features(
        parse_drawing(attempt.map_drawing).features, _map_words()) if attempt.map_drawing else {}
    double = attempt.assignment.cohort.double_marking
    state = services.marking(review) if double else None
    me = current_actor().id
    # blind marking: until the marks are complete, an examiner sees only their own
    blind = state is not None and not state.complete
    record = [entry for entry in review.events
              if not (blind and entry.kind in (ReviewKind.MARK, ReviewKind.MARKED)
                      and entry.actor_id != me)]
    places = _places(visit, form_diffs, feature_names, watched)
    comment = forms.get("comment") or CommentForm(
        formdata=None, anchor=request.args.get("anchor", "")[:200])
    return render_template(
        "review/attempt.html", review=review, attempt=attempt, visit=visit,
        scenario=visit.scenario, score=score, overrides=services.overrides(review),
        override=override, comment=comment, hmt_diffs=hmt_diffs,
        tally=_tally_rows(attempt, truth_records), tally_labels=tally.LABELS,
        places=places, place_words=dict(places),
        notes=anchors.grouped(entry for entry in record if entry.kind == ReviewKind.COMMENT),
        map_features=feature_names, anchor_href=_anchor_href,
        death_rows=(attempt.deaths or {}).get("rows") or [],
        death_item_names=DEATH_ITEM_NAMES,
        # each item named as the trainee's death form heads its column, never by its key
        death_checks=[issue_text(issue, getattr(death_labels, issue.item, None))
                      for issue in [
            *deaths.validate_rows((attempt.deaths or {}).get("rows") or []),
            *fieldwork.death_checks(attempt)]] if attempt.deaths else [],
        back=forms.get("back") or ReturnForm(), action=ActionForm(), form_diffs=form_diffs,
        register_truth=truth, register_columns=_register_columns(), watched=watched,
        vocabulary=vocabulary,
        rubric=rubric, chosen=chosen, marking=state, blind=blind,
        record=record, my_mark=(state.marks.get(me) if state else None),
        mark=forms.get("mark") or MarkForm(),
        grade_versions=services.grades_kept(db_session(), attempt),
        truth_changed=households_changed(attempt),
        criteria_labels=LABELS, census_answer=census_answer,
        open=review.status in services.OPEN), status


# The code lists the trainee's census forms offer, by item: the short form's and the long
# form's (R601) and the HMT/foreign form's; the death form codes sex and education as D4 and
# D11 ("unit" is the register's, not a form item).
CENSUS_CODES = {**{item: labels for item, labels in codes.LABELS.items() if item != "unit"},
                **long_form.LABELS, **hmt.CODES}
DEATH_CODES = {"sex": codes.LABELS["D4"], "education": codes.LABELS["D11"]}


_CODE = re.compile(r"[0-9]{1,4}")


def census_answer(path: str, value: Any) -> Any:
    """A census form's answer at `path` (`H1`, `persons[2]/D7`, `deaths[0]/sex`) as the
    trainee's form offers it: a code in words, in the interface language, with the code the
    paper form prints in a small tag beside it; any other answer as it is, a blank as —."""
    if value is None or value == "":
        return "—"
    item = path.rsplit("/", 1)[-1]
    labels = (DEATH_CODES if path.startswith("deaths") else CENSUS_CODES).get(item, {})
    # a code as the form sends it: ASCII digits (a trainee's free text such as '①' or '²' is
    # a "digit" to str.isdigit but no number to int)
    code = value if isinstance(value, int) and not isinstance(value, bool) else (
        int(value) if isinstance(value, str) and _CODE.fullmatch(value) else None)
    if code not in labels:
        return value
    return Markup('{} <small class="answer-code" title="{}">{}</small>').format(
        both(labels[code]), f"{item} = {code}", code)


def _node_words(titles: dict[str, Any], scenario: str, node: str) -> tuple[str, str] | None:
    """A dialogue's node (`main/door`) as the respondent's words there, shortened, and whole:
    what a trainer recognises of the scenario (its newest version); None if it has none."""
    version = titles.get(scenario)
    dialogue, _slash, name = node.partition("/")
    found = (scenario_services.scenario_of(version).dialogues.get(dialogue)
             if version is not None else None)
    step = found.nodes.get(name) if found is not None else None
    if step is None or step.says is None:
        return None
    says = step.says.get(is_english())
    limit = 60 if is_english() else 30
    return (says if len(says) <= limit else says[:limit - 1].rstrip() + "…"), says


def _register_columns() -> dict[str, tuple[str, dict[str, str]]]:
    """Each register column's label and its coded values' labels, as the trainee's register
    page shows them."""
    row = RegisterRowForm()
    columns = {name: (str(field.label.text), {str(choice.value): str(choice.label)
                                              for choice in getattr(field, "choices", None) or []
                                              if choice.value})
               for name, field in row._fields.items() if name not in ("unit_id", "code")}
    columns["code"] = (_("Self-reporting code"), {})
    return columns


def _map_words() -> dict[str, str]:
    """The map's words in the interface language (the legend, and each feature's kind)."""
    return {"boundary": _("Area boundary"), "building": _("Building"), "route": _("Route"),
            "road": _("Road"), "river": _("River"), "landmark": _("Landmark"),
            "buildings": _("Buildings"), "households": _("Households"),
            "drafter": _("Drafter"), "date": _("Date")}


def _tally_rows(attempt: Any, truth_records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The quick tally as handed in, beside what the attempt's forms and the truth add up
    to: (figure, handed in, the forms, the truth)."""
    if attempt.tally is None:
        return []
    filled = tally.from_forms(entry["record"] for entry in attempt.forms.values()
                              if entry.get("record"))
    true = tally.from_forms(truth_records)
    return [(name, attempt.tally.get(name), filled[name], true[name]) for name in tally.FIELDS]


def _places(visit: Any, form_diffs: dict[str, Any], features: dict[int, str],
            watched: Any) -> list[tuple[str, str]]:
    """Suggestions for a comment's anchor, (anchor, what it is in words): every turn, every
    differing form item (`Building 3, unit 502 · Person 2 · D4 Sex`), the map's features and
    the clips watched. The anchor, a code, is what the form sends."""
    places = [(f"event:{event.seq}", f"#{event.seq} · {event.at[5:].replace('T', ' ')} · "
                                     f"{household_label(visit, event.household)}")
              for event in visit.events]
    for unit, diffs in form_diffs.items():
        places.append((f"form:{unit}", household_label(visit, unit)))
        places += [(f"form:{unit}/{path}", where_item(f"{unit}/{path}", visit, households=True))
                   for path, *_values in diffs]
    places += [("form:register", _("Register of household heads (户主姓名底册)")),
               ("form:tally", _("Quick tally (快速汇总)")),
               ("form:deaths", _("Death form (死亡人口调查表)"))]
    places += [(f"map:{index}", label) for index, label in features.items()]
    places += [(f"clip:{row.clip_id}@0", row.clip.title(interface_locale())) for row in watched]
    return places


def _anchor_href(text: str | None) -> str | None:
    """Where a stored anchor leads: its place on the review page, or the clip at its moment."""
    place = anchors.place_of(text)
    if place is None:
        return None
    if place.kind == "clip":
        return url_for("video.show", clip_id=int(place.target), t=f"{place.seconds or 0:g}")
    return "#" + anchors.section_of(place)


@bp.app_template_global()
def finding_section(where: str, *forms: Mapping[str, Any]) -> str | None:
    """The id of the review page's section that shows a finding's `where` (the register, the
    tally, the death form, a household's form in `forms`), or None if the page has none."""
    place = anchors.place_of(f"form:{where}")
    if place is None:
        return None
    head = place.target.split("/")[0]
    if head not in anchors.PAPERS and not any(head in shown for shown in forms):
        return None
    return anchors.section_of(place)


@bp.app_template_global()
def trainee_anchor_href(attempt: Any, text: str | None) -> str | None:
    """Where a comment's anchor leads the trainee on their own pages: the turn of the
    transcript, the form (item), the register, tally or death form, the map, the clip."""
    place = anchors.place_of(text)
    if place is None:
        return None
    if place.kind == "event":
        return "#" + anchors.section_of(place)
    if place.kind == "clip":
        return url_for("video.show", clip_id=int(place.target), t=f"{place.seconds or 0:g}")
    if place.kind == "map":
        return url_for("fieldwork.attempt_map", attempt_id=attempt.id)
    head = place.target.split("/")[0]
    if head in anchors.PAPERS:
        endpoint = {"register": "fieldwork.register", "tally": "fieldwork.tally",
                    "deaths": "fieldwork.deaths"}[head]
        return url_for(endpoint, attempt_id=attempt.id)
    if head in (attempt.hmt_forms or {}):
        return url_for("fieldwork.hmt_form", attempt_id=attempt.id, unit=head)
    return url_for("fieldwork.census_form", attempt_id=attempt.id, unit=head)


@bp.get("/review/attempts/<int:attempt_id>/map.svg")
@roles(*EXAMINERS)
def attempt_map(attempt_id: int) -> Any:
    """The small-area map drawn in the attempt, as the trainee drew it."""
    review = services.get_review(db_session(), current_actor(), attempt_id)
    if not review.attempt.map_drawing:
        abort(404)
    svg = map_services.drawing_svg(review.attempt.map_drawing, _map_words())
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/review/attempts/<int:attempt_id>")
@roles(*EXAMINERS)
def attempt(attempt_id: int) -> Any:
    """An attempt's whole evidence: the visits, the forms beside the truth, the scores."""
    return _attempt_page(services.get_review(db_session(), current_actor(), attempt_id))


def _done(review: Any, message: str) -> Any:
    db_session().commit()
    flash(message, "success")
    return redirect(url_for("review.attempt", attempt_id=review.attempt_id))


@bp.post("/review/attempts/<int:attempt_id>/claim")
@roles(*EXAMINERS)
def claim(attempt_id: int) -> Any:
    """Take the attempt into review."""
    db, examiner = db_session(), current_actor()
    review = services.get_review(db, examiner, attempt_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.claim(db, review, examiner)
    return _done(review, _("You are reviewing this attempt."))


@bp.post("/review/attempts/<int:attempt_id>/override")
@roles(*EXAMINERS)
def override(attempt_id: int) -> Any:
    """Set a criterion's score, with the reason."""
    db, examiner = db_session(), current_actor()
    review = services.get_review(db, examiner, attempt_id)
    form = OverrideForm()
    form.criterion.choices = [SelectChoice(name, name)
                              for name in (services.effective_score(review) or {}).get(
                                  "criteria", {})]
    if not form.validate_on_submit():
        return _attempt_page(review, 400, override=form)
    try:
        services.override(db, review, examiner, criterion=form.criterion.data or "",
                          score=form.score.data or 0.0, reason=form.reason.data or "")
    except DomainError as error:
        return _attempt_page(review, form_error(form, error), override=form)
    return _done(review, _("The score has been changed; the reason is on the record."))


@bp.post("/review/attempts/<int:attempt_id>/mark")
@roles(*EXAMINERS)
def mark(attempt_id: int) -> Any:
    """An examiner's independent mark of a double-marked attempt (every criterion)."""
    db, examiner = db_session(), current_actor()
    review = services.get_review(db, examiner, attempt_id)
    form = MarkForm()
    if not form.validate_on_submit():
        abort(400)
    names = services.markable(review.attempt.score or {})
    scores: dict[str, float] = {}
    for name in names:
        raw = request.form.get(f"score-{name}", "").strip()
        try:
            scores[name] = float(raw)
        except ValueError:
            form.form_errors.append(_("Give a score from 0 to 100 for every criterion."))
            return _attempt_page(review, 400, mark=form)
    try:
        state = services.submit_mark(db, review, examiner, scores)
    except DomainError as error:
        return _attempt_page(review, form_error(form, error), mark=form)
    if state.complete:
        message = _("Your mark is in; the marking is complete and the score can be released.")
    elif len(state.marks) < state.needed and state.needed == 3:
        message = _("Your mark is in; the two marks differ too much, so a third examiner "
                    "marks it.")
    else:
        message = _("Your mark is in; a second examiner marks it without seeing yours.")
    return _done(review, message)


@bp.get("/cohorts/<int:cohort_id>/agreement")
@roles(Role.TRAINER, Role.EXAMINER, Role.ADMIN)
def agreement(cohort_id: int) -> Any:
    """How often each pair of examiners agreed, per criterion (percentage and kappa)."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)
    return render_template("review/agreement.html", cohort=cohort,
                           figures=services.agreement(db, cohort.id), criteria_labels=LABELS)


@bp.route("/cohorts/<int:cohort_id>/marking", methods=["GET", "POST"])
@roles(Role.TRAINER, Role.ADMIN)
def marking_settings(cohort_id: int) -> Any:
    """Whether the cohort is double-marked, and the difference that calls a third mark."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)
    form = MarkingForm(obj=cohort)
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("review/marking.html", cohort=cohort, form=form), 400
        try:
            services.set_marking(db, cohort, current_actor(),
                                 double=bool(form.double_marking.data),
                                 threshold=float(form.marking_threshold.data or 0))
        except DomainError as error:
            status = form_error(form, error)
            return render_template("review/marking.html", cohort=cohort, form=form), status
        db.commit()
        flash(_("The marking rules are saved."), "success")
        return redirect(url_for("review.marking_settings", cohort_id=cohort.id))
    return render_template("review/marking.html", cohort=cohort, form=form)


@bp.post("/review/attempts/<int:attempt_id>/comment")
@roles(*EXAMINERS)
def comment(attempt_id: int) -> Any:
    """A comment for the trainee, tied to a place in the evidence if given."""
    db, examiner = db_session(), current_actor()
    review = services.get_review(db, examiner, attempt_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _attempt_page(review, 400, comment=form)
    try:
        services.comment(db, review, examiner, text=form.text.data or "",
                         anchor=form.anchor.data or "")
    except DomainError as error:
        return _attempt_page(review, form_error(form, error), comment=form)
    return _done(review, _("The comment has been added."))


@bp.post("/review/attempts/<int:attempt_id>/return")
@roles(*EXAMINERS)
def send_back(attempt_id: int) -> Any:
    """Return the attempt to the trainee for correction."""
    db, examiner = db_session(), current_actor()
    review = services.get_review(db, examiner, attempt_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _attempt_page(review, 400, back=form)
    try:
        services.return_attempt(db, review, examiner, text=form.text.data or "",
                                link=url_for("fieldwork.attempt", attempt_id=attempt_id))
    except DomainError as error:
        return _attempt_page(review, form_error(form, error), back=form)
    return _done(review, _("The attempt has been returned to the trainee."))


@bp.post("/review/attempts/<int:attempt_id>/regrade")
@roles(*EXAMINERS)
def regrade(attempt_id: int) -> Any:
    """Grade the attempt again by the newest rubric and the current criteria."""
    db, examiner = db_session(), current_actor()
    review = services.get_review(db, examiner, attempt_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    grade = grades.regrade(db, review.attempt, actor=examiner)
    if grade is None:
        flash(_("Regraded: the result is the same, so no new version was added."), "info")
        return redirect(url_for("review.attempt", attempt_id=attempt_id))
    return _done(review, _("Regraded: grade version %(n)s is now the automatic score.",
                           n=grade.number))


@bp.post("/review/attempts/<int:attempt_id>/release")
@roles(*EXAMINERS)
def release(attempt_id: int) -> Any:
    """Release the score to the trainee."""
    db, examiner = db_session(), current_actor()
    review = services.get_review(db, examiner, attempt_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.release(db, review, examiner,
                     link=url_for("fieldwork.attempt", attempt_id=attempt_id))
    return _done(review, _("The score has been released to the trainee."))


@bp.get("/notifications")
@logged_in
def notifications() -> Any:
    """My notices, newest first; opening the page marks them read. Not when another site
    opened it (a GET carries no CSRF token: a link or a redirect elsewhere would mark the
    user's notices read unseen); browsers say so in Sec-Fetch-Site, and one that does not
    send it is taken at its word."""
    db, user = db_session(), current_actor()
    notices = list(services.notifications(db, user))
    unread = {notice.id for notice in notices if notice.read_at is None}
    if request.headers.get("Sec-Fetch-Site", "none") in ("same-origin", "none"):
        services.mark_read(db, user)
        db.commit()
    return render_template("review/notifications.html", notices=notices, unread_ids=unread)


@bp.get("/cohorts/<int:cohort_id>/dashboard")
@roles(Role.TRAINER, Role.EXAMINER, Role.ADMIN)
def dashboard(cohort_id: int) -> Any:
    """A cohort's figures: distributions, pass rates, the criteria heatmap, frequent findings
    and item statistics; every chart with its table."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)
    figures = services.cohort_dashboard(db, cohort.id, english=is_english())
    # weakest trainees first, a page at a time: the rows that need a trainer's attention
    means: dict[int, list[float]] = {}
    for (trainee, _criterion), value in figures.heatmap.items():
        means.setdefault(trainee, []).append(value)
    order = sorted(figures.names, key=lambda trainee: (sum(means[trainee]) / len(means[trainee]),
                                                       figures.names[trainee]))
    pages = max(1, -(-len(order) // HEATMAP_ROWS))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    shown = order[(page - 1) * HEATMAP_ROWS:page * HEATMAP_ROWS]
    heat_rows = [(trainee, figures.names[trainee],
                  [_heat_cell(figures.heatmap.get((trainee, criterion)))
                   for criterion in figures.criteria])
                 for trainee in shown]
    titles = services.scenario_titles(db, [item.scenario for item in figures.scenarios]
                                      + [item.scenario for item in figures.nodes])
    labels = _household_labels(db, cohort.id)
    findings = [(relabel_leading_key(text, labels.get), count)
                for text, count in figures.findings]
    node_words = {(item.scenario, item.node): _node_words(titles, item.scenario, item.node)
                  for item in figures.nodes}
    return render_template("review/dashboard.html", cohort=cohort, figures=figures,
                           findings=findings, node_words=node_words,
                           heat_rows=heat_rows, page=page, pages=pages, titles=titles,
                           criteria_labels=LABELS, bins=list(range(0, 100, 10)))


@bp.get("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/progress")
@roles(Role.TRAINER, Role.EXAMINER, Role.ADMIN)
def trainee_progress(cohort_id: int, trainee_id: int) -> Any:
    """One trainee's way through their released scores, as they see it: the scores over
    their attempts, their weak criteria and the exercises recommended to them."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)
    trainee = services.cohort_trainee(db, cohort, trainee_id)
    progress = services.trainee_progress(db, trainee, english=is_english(), cohort=cohort)
    titles = services.scenario_titles(db, [row.scenario for row in progress.history]
                                      + list(progress.recommended))
    return render_template("review/trainee_progress.html", cohort=cohort, trainee=trainee,
                           progress=progress, titles=titles, criteria_labels=LABELS)


def _household_labels(db: Any, cohort_id: int) -> dict[str, str]:
    """The household keys of the cohort's exercises with the address each names, as the visit
    page writes it; only keys that name one written-out address in every scenario (a household
    drawn from a world has its address from the attempt's seed, so it is left as it is)."""
    found: dict[str, set[str]] = {}
    versions = db.scalars(select(Assignment.version_id).where(
        Assignment.cohort_id == cohort_id).distinct()).all()
    for version_id in versions:
        version = db.get(ScenarioVersion, version_id)
        for spec in scenario_services.scenario_of(version).households:
            written = spec.pick is None and "address" in (spec.explicit or {})
            found.setdefault(spec.id, set()).add(
                address_label(*scenario_households.written_address(spec)) if written else "")
    return {unit: next(iter(labels)) for unit, labels in found.items()
            if len(labels) == 1 and "" not in labels}


def _heat_cell(value: float | None) -> tuple[str, str]:
    """A heatmap cell's colour class and text (the template then only prints them)."""
    if value is None:
        return "heat-none", "—"
    return f"heat-{round(value * 4)}", str(round(value * 100))


@bp.get("/cohorts/<int:cohort_id>/scores.csv")
@roles(Role.TRAINER, Role.EXAMINER, Role.ADMIN)
def export(cohort_id: int) -> Any:
    """The cohort's scores as CSV (UTF-8 with a byte-order mark, so spreadsheets read the
    Chinese names), streamed row by row."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)

    return _csv(services.export_rows(db, cohort.id), f"cohort-{cohort.id}-scores.csv")


def _csv(rows: Any, name: str) -> Any:
    """Rows streamed as CSV (UTF-8 with a byte-order mark, so spreadsheets read Chinese)."""
    def lines() -> Any:
        yield "\ufeff"
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return Response(stream_with_context(lines()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/cohorts/<int:cohort_id>/findings.csv")
@roles(Role.TRAINER, Role.EXAMINER, Role.ADMIN)
def export_findings(cohort_id: int) -> Any:
    """Every finding of the cohort's scores as CSV, streamed row by row."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)
    return _csv(services.finding_rows(db, cohort.id, english=is_english()),
                f"cohort-{cohort.id}-findings.csv")


def _cell(value: Any) -> Any:
    """A value as a workbook cell takes it: the control characters XML 1.0 cannot hold (a
    trainee's typo such as 王\\x01国, quoted by a finding) as U+FFFD, which openpyxl would
    refuse with an error (the whole export failed for every reader of the cohort)."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


@bp.get("/cohorts/<int:cohort_id>/scores.xlsx")
@roles(Role.TRAINER, Role.EXAMINER, Role.ADMIN)
def export_xlsx(cohort_id: int) -> Any:
    """Scores and findings as a workbook of two sheets. openpyxl's write-only mode streams
    each row to a temporary file as it is read, so memory does not grow with the cohort."""
    db = db_session()
    cohort = cohort_for_user(db, current_actor(), cohort_id)
    book = Workbook(write_only=True)
    for title, rows in ((_("Scores"), services.export_rows(db, cohort.id)),
                        (_("Findings"), services.finding_rows(db, cohort.id,
                                                              english=is_english()))):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([_cell(value) for value in row])
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    book.save(handle.name)
    response = send_file(handle.name, as_attachment=True,
                         download_name=f"cohort-{cohort.id}-scores.xlsx", mimetype=XLSX)
    response.call_on_close(lambda: Path(handle.name).unlink(missing_ok=True))
    return response
