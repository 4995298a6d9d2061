"""The examiner's pages: the queue, an attempt's evidence, overrides, comments, returning and
releasing; and everyone's notifications."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from trainer.access import current_actor, logged_in, roles
from trainer.accounts.models import Role
from trainer.accounts.services import cohort_for_user, cohorts_visible_to
from trainer.core.census import r601
from trainer.core.errors import DomainError
from trainer.core.grading.criteria import LABELS
from trainer.core.i18n import N_
from trainer.core.scenario import vocabulary
from trainer.errors import form_error
from trainer.extensions import db_session, is_english
from trainer.fieldwork import services as fieldwork
from trainer.review import services
from trainer.review.forms import ActionForm, CommentForm, OverrideForm, ReturnForm
from trainer.review.models import ReviewKind, ReviewStatus
from trainer.scenarios.views import both
from trainer.video import services as video_services

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
               ReviewKind.RELEASED: N_("Score released")}


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
            "notice_text": lambda notice: _(notice.message, **notice.params)}


@bp.get("/review")
@roles(*EXAMINERS)
def queue() -> Any:
    """The review queue: attempts of the cohorts I mark, filtered."""
    db, examiner = db_session(), current_actor()
    cohort_id = request.args.get("cohort", type=int)
    filters = {"scenario_id": request.args.get("scenario", "")[:80],
               "status": request.args.get("status", "open")[:20],
               "flag": request.args.get("flag", "")[:20]}
    rows = services.queue(db, examiner, cohort_id=cohort_id, **filters)
    return render_template("review/queue.html", rows=rows, cohort_id=cohort_id,
                           cohorts=cohorts_visible_to(db, examiner),
                           statuses=list(ReviewStatus), **filters)


def _attempt_page(review: Any, status: int = 200, **forms: Any) -> Any:
    attempt = review.attempt
    visit = fieldwork.replay_attempt(attempt)
    score = services.effective_score(review)
    override = forms.get("override") or OverrideForm()
    override.criterion.choices = [SelectChoice(name, both(LABELS.get(name, (name, name))))
                                  for name in (score or {}).get("criteria", {})]
    truth = fieldwork.register_truth(visit)
    form_diffs = {}
    for unit in fieldwork.form_units(visit):
        household = visit.households[unit].truth.household
        entry = attempt.forms.get(unit, {})
        form_diffs[unit] = r601.differences(entry.get("record"), r601.record_of(household)
                                            if household is not None else None)
    watched = video_services.watched_by(db_session(), attempt.trainee)
    return render_template(
        "review/attempt.html", review=review, attempt=attempt, visit=visit,
        scenario=visit.scenario, score=score, overrides=services.overrides(review),
        override=override, comment=forms.get("comment") or CommentForm(),
        back=forms.get("back") or ReturnForm(), action=ActionForm(), form_diffs=form_diffs,
        register_truth=truth, watched=watched, vocabulary=vocabulary,
        criteria_labels=LABELS, open=review.status in services.OPEN), status


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
    """My notices, newest first; opening the page marks them read."""
    db, user = db_session(), current_actor()
    notices = list(services.notifications(db, user))
    unread = {notice.id for notice in notices if notice.read_at is None}
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
    heat_rows = [(figures.names[trainee], [_heat_cell(figures.heatmap.get((trainee, criterion)))
                                           for criterion in figures.criteria])
                 for trainee in shown]
    return render_template("review/dashboard.html", cohort=cohort, figures=figures,
                           heat_rows=heat_rows, page=page, pages=pages,
                           criteria_labels=LABELS, bins=list(range(0, 100, 10)))


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

    def lines() -> Any:
        yield "\ufeff"
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in services.export_rows(db, cohort.id):
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return Response(stream_with_context(lines()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="cohort-{cohort.id}-scores.csv"'})
