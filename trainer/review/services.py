"""Reviewing submitted attempts: the queue, claiming, overrides with reasons, comments
anchored to the evidence, returning for correction, releasing; and in-app notifications.

Every action is a `ReviewEvent` (append-only). The score an examiner sees is the automatic
score with the overrides in those events applied (`effective_score`), so nothing derived is
stored except the snapshot the trainee was shown at release.
"""

from __future__ import annotations

import math
import statistics
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, String, Text, cast, func, select, type_coerce
from sqlalchemy.orm import Session, defer, joinedload, object_session, selectinload

from trainer.accounts.models import AuditKind, Cohort, User
from trainer.accounts.services import cohorts_visible_to, record_audit
from trainer.core.errors import Conflict, DomainError, InvalidInput, NotFound
from trainer.core.grading.criteria import total_of, with_overrides
from trainer.core.i18n import N_
from trainer.db import MAX_ROW_ID, utcnow
from trainer.fieldwork import grades
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus, Grade, Mode
from trainer.review import anchors
from trainer.review.models import Notification, Review, ReviewEvent, ReviewKind, ReviewStatus
from trainer.scenarios.models import ScenarioVersion
from trainer.scenarios.services import scenario_of

OPEN = (ReviewStatus.AWAITING, ReviewStatus.IN_REVIEW)
MIN_REASON = 5  # characters: "ok" is not a reason


def record(db: Session, review: Review, actor: User | None, kind: ReviewKind,
           **fields: Any) -> ReviewEvent:
    """Append one event to a review."""
    entry = ReviewEvent(review=review, actor=actor, kind=kind, **fields)
    db.add(entry)
    return entry


def open_review(db: Session, attempt: Attempt) -> Review:
    """On submission: an exam waits for an examiner; practice is released at once (its
    debrief is the point) unless its rubric says `release: by_examiner`. A resubmission
    after a return waits again."""
    review = db.scalar(select(Review).where(Review.attempt_id == attempt.id))
    practice = (attempt.assignment.mode == Mode.PRACTICE
                and scenario_of(attempt.version).rubric.release == "at_once")
    if review is None:
        review = Review(attempt=attempt, status=ReviewStatus.AWAITING)
        db.add(review)
    review.status = ReviewStatus.RELEASED if practice else ReviewStatus.AWAITING
    record(db, review, attempt.trainee, ReviewKind.SUBMITTED)
    if practice:
        review.released_score = attempt.score
        review.released_at = utcnow()
    db.flush()
    return review


def notify(db: Session, user: User, message: str, link: str = "", **params: Any) -> None:
    """Leave a notice for `user` (message marked with N_, translated when shown)."""
    db.add(Notification(user=user, message=message, params=params, link=link))


# Queue ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Row:
    """One line of the review queue."""

    review: Review
    attempt: Attempt
    flags: tuple[str, ...]
    my_mark_awaited: bool = False  # double marking: the attempt waits for this examiner's mark


def flags_of(attempt: Attempt, critical: Sequence[str] | None = None) -> tuple[str, ...]:
    """What makes an attempt urgent: a privacy incident, a failed critical criterion
    (`critical`: the rubric's critical criteria, when the caller already knows them)."""
    score = attempt.score or {}
    criteria = score.get("criteria", {})
    flags = []
    if criteria.get("privacy", {}).get("score", 1) < 1:
        flags.append("privacy")
    if critical is None:
        critical = [c.name for c in scenario_of(attempt.version).rubric.criteria if c.critical]
    if any(criteria.get(name, {}).get("score", 1) < 0.5 for name in critical):
        flags.append("critical")
    return tuple(flags)


def awaits_mark_of(review: Review, examiner: User) -> bool:
    """Whether a double-marked attempt waits for this examiner's independent mark: it is
    open, its marking is not complete and the examiner has not marked it in this round (a
    third mark, when the first two differ too much, is for someone who has not marked)."""
    if review.status not in OPEN or not review.attempt.assignment.cohort.double_marking:
        return False
    state = marking(review)
    return not state.complete and examiner.id not in state.marks


def score_bounds(low: str | None, high: str | None) -> tuple[float | None, float | None]:
    """The queue's automatic-score range from its query string (0-100 each, either may be
    left out); anything else is a localised `InvalidInput`."""
    bounds: list[float | None] = []
    for name, text in (("min_score", low), ("max_score", high)):
        if text is None or not text.strip():
            bounds.append(None)
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 <= value <= 100:  # also NaN and infinities
            raise InvalidInput(N_("A score runs from 0 to 100."), field=name)
        bounds.append(value)
    low_value, high_value = bounds
    if low_value is not None and high_value is not None and low_value > high_value:
        raise InvalidInput(N_("The lowest score is above the highest."), field="min_score")
    return low_value, high_value


def queue(db: Session, examiner: User, *, cohort_id: int | None = None,
          scenario_id: str = "", status: str = "open", flag: str = "",
          my_mark: bool = False, min_score: float | None = None,
          max_score: float | None = None) -> list[Row]:
    """Submitted attempts of the cohorts the examiner marks, oldest first; with `my_mark`,
    only those waiting for the examiner's independent mark (double-marked cohorts); with
    `min_score`/`max_score`, only those whose automatic total is in that range (both ends
    included)."""
    visible = cohorts_visible_to(db, examiner)
    if cohort_id is not None:
        visible = [cohort for cohort in visible if cohort.id == cohort_id]
    cohorts = [cohort.id for cohort in visible]
    if not cohorts:
        return []
    double = any(cohort.double_marking for cohort in visible)
    if my_mark and not double:
        return []
    stmt = (select(Review).join(Attempt, Review.attempt_id == Attempt.id)
            .join(Assignment, Attempt.assignment_id == Assignment.id)
            .where(Assignment.cohort_id.in_(cohorts)).order_by(Review.updated_at, Review.id)
            .options(joinedload(Review.examiner),
                     joinedload(Review.attempt).options(
                         defer(Attempt.steps), defer(Attempt.forms), defer(Attempt.register),
                         joinedload(Attempt.trainee), joinedload(Attempt.version),
                         joinedload(Attempt.assignment).joinedload(Assignment.cohort))))
    if double:  # the marks so far, read from the record in one more query
        stmt = stmt.options(selectinload(Review.events))
    if status == "open" or my_mark:
        stmt = stmt.where(Review.status.in_(OPEN))
    elif status in set(ReviewStatus):
        stmt = stmt.where(Review.status == ReviewStatus(status))
    if scenario_id:
        stmt = stmt.where(Attempt.version.has(ScenarioVersion.scenario_id == scenario_id))
    critical: dict[int, list[str]] = {}  # version id -> its rubric's critical criteria
    rows = []
    for review in db.scalars(stmt).unique():
        version = review.attempt.version
        if version.id not in critical:
            critical[version.id] = [c.name for c in scenario_of(version).rubric.criteria
                                    if c.critical]
        rows.append(Row(review, review.attempt, flags_of(review.attempt, critical[version.id]),
                        double and awaits_mark_of(review, examiner)))
    return [row for row in rows if (not flag or flag in row.flags)
            and (not my_mark or row.my_mark_awaited)
            and _in_range(row.attempt.score, min_score, max_score)]


def _in_range(score: dict[str, Any] | None, low: float | None, high: float | None) -> bool:
    if low is None and high is None:
        return True
    if score is None:
        return False  # not graded (a timed exam whose grading failed): no score to compare
    total = float(score["total"])
    return (low is None or total >= low) and (high is None or total <= high)


def get_review(db: Session, examiner: User, attempt_id: int) -> Review:
    """The review of an attempt in a cohort the examiner marks (others: not found)."""
    review = db.scalar(select(Review).where(Review.attempt_id == attempt_id))
    allowed = {cohort.id for cohort in cohorts_visible_to(db, examiner)}
    if review is None or review.attempt.assignment.cohort_id not in allowed:
        raise NotFound(N_("No such attempt to review."))
    return review


# Marking -------------------------------------------------------------------------------

def overrides(review: Review) -> dict[str, float]:
    """The examiner's scores (0-1) by criterion in the current round: the last override of
    each since the latest submission counts (a corrected resubmission is marked afresh)."""
    found: dict[str, float] = {}
    for entry in review.events:
        if entry.kind == ReviewKind.SUBMITTED:
            found = {}
        elif entry.kind == ReviewKind.OVERRIDE and entry.criterion and entry.after is not None:
            found[entry.criterion] = entry.after
    return found


def _rubric(review: Review) -> Any:
    db = object_session(review)
    attempt = review.attempt
    return grades.rubric_of(db, attempt) if db else scenario_of(attempt.version).rubric


def effective_score(review: Review) -> dict[str, Any] | None:
    """The automatic score with the examiner's overrides applied; in a double-marked cohort,
    with the agreed marks instead (the automatic score until the marking is complete)."""
    attempt = review.attempt
    if attempt.score is None:
        return None
    if attempt.assignment.cohort.double_marking:
        state = marking(review)
        return with_overrides(attempt.score, _rubric(review),
                              state.counted if state.complete else {})
    return with_overrides(attempt.score, _rubric(review), overrides(review))


# Double marking ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Marking:
    """The independent marks of the current round and what they settle."""

    marks: dict[int, dict[str, float]]  # examiner id -> criterion -> score 0-1
    totals: dict[int, float]  # examiner id -> the total of their mark
    needed: int  # marks needed: 2, or 3 when the first two differ by more than the threshold
    complete: bool
    counted: dict[str, float]  # the agreed score per criterion (mean of two, median of three)


def marking(review: Review) -> Marking:
    """The current round's complete marks (an examiner's mark counts once it is submitted)."""
    scores: dict[int, dict[str, float]] = {}
    totals: dict[int, float] = {}
    for entry in review.events:
        if entry.kind == ReviewKind.SUBMITTED:
            scores, totals = {}, {}
        elif entry.kind == ReviewKind.MARK and entry.actor_id and entry.criterion:
            scores.setdefault(entry.actor_id, {})[entry.criterion] = entry.after or 0.0
        elif entry.kind == ReviewKind.MARKED and entry.actor_id:
            totals[entry.actor_id] = entry.after or 0.0
    marks = {examiner: scores.get(examiner, {}) for examiner in totals}
    first_two = list(totals.values())[:2]
    threshold = review.attempt.assignment.cohort.marking_threshold
    needed = 3 if len(first_two) == 2 and abs(first_two[0] - first_two[1]) > threshold else 2
    complete = len(marks) >= needed
    counted: dict[str, float] = {}
    if complete:
        chosen = list(marks.values())[:needed]
        for name in chosen[0]:
            values = sorted(mark[name] for mark in chosen if name in mark)
            counted[name] = round(statistics.median(values) if needed == 3
                                  else statistics.fmean(values), 4)
    return Marking(marks, totals, needed, complete, counted)


def submit_mark(db: Session, review: Review, examiner: User,
                scores: dict[str, float]) -> Marking:
    """Record an examiner's independent mark (criterion -> 0-100) of a double-marked
    attempt; the total follows the rubric."""
    _editable(review)
    if not review.attempt.assignment.cohort.double_marking:
        raise Conflict(N_("This cohort is not double-marked: change the scores instead."))
    state = marking(review)
    if examiner.id in state.marks:
        raise Conflict(N_("You have already marked this attempt."))
    if state.complete:
        raise Conflict(N_("This attempt has all the marks it needs."))
    automatic = review.attempt.score or {"criteria": {}}
    if set(scores) != set(markable(automatic)):
        raise InvalidInput(N_("Mark every criterion."), field="scores")
    if any(not 0 <= value <= 100 for value in scores.values()):
        raise InvalidInput(N_("A score runs from 0 to 100."), field="scores")
    claim(db, review, examiner)
    given = {name: round(value / 100, 4) for name, value in scores.items()}
    for name, value in given.items():
        record(db, review, examiner, ReviewKind.MARK, criterion=name,
               before=automatic["criteria"][name]["score"], after=value)
    rubric = _rubric(review)
    total, _passed = total_of(rubric, {c.name: given.get(c.name, 0.0) for c in rubric.criteria},
                              {c.name: c.name in given for c in rubric.criteria})
    record(db, review, examiner, ReviewKind.MARKED, after=total)
    db.flush()
    return marking(review)


def markable(score: dict[str, Any]) -> list[str]:
    """The criteria an examiner marks: those the automatic grading found applicable (one with
    nothing to judge, such as revisits where every door opened, stays out of the total)."""
    return [name for name, result in score.get("criteria", {}).items()
            if result.get("applicable", True)]


def set_marking(db: Session, cohort: Cohort, actor: User, *, double: bool,
                threshold: float) -> None:
    """Set whether the cohort is double-marked and the difference that calls a third mark;
    the change is in the audit log."""
    if not 1 <= threshold <= 100:
        raise InvalidInput(N_("The difference runs from 1 to 100 points."),
                           field="marking_threshold")
    if double != cohort.double_marking and db.scalar(
            select(func.count()).select_from(ReviewEvent).join(Review).join(Attempt)
            .join(Assignment).where(Assignment.cohort_id == cohort.id,
                                    Review.status.in_(OPEN),
                                    ReviewEvent.kind.in_((ReviewKind.OVERRIDE, ReviewKind.MARK)))):
        raise Conflict(N_("Attempts of this cohort are being marked: release or return them "
                          "before switching double marking."), field="double_marking")
    cohort.double_marking, cohort.marking_threshold = double, threshold
    record_audit(db, AuditKind.COHORT_MARKING, actor=actor,
                 detail={"cohort": cohort.id, "double": double, "threshold": threshold})
    db.flush()


def agreement(db: Session, cohort_id: int) -> Any:
    """Agreement of every pair of examiners over the cohort's double-marked attempts."""
    from trainer.core.grading import analytics

    reviews = db.scalars(select(Review).join(Attempt).join(Assignment).where(
        Assignment.cohort_id == cohort_id).options(joinedload(Review.events))).unique()
    names: dict[int, str] = {}
    pairs = []
    for review in reviews:
        state = marking(review)
        if not state.complete:
            continue  # blind until complete: no figure may give away a mark still in progress
        marks = list(state.marks.items())
        for index, (first, one) in enumerate(marks):
            for second, other in marks[index + 1:]:
                pairs.append((first, second, one, other))
        names.update({entry.actor_id: entry.actor.full_name for entry in review.events
                      if entry.kind == ReviewKind.MARKED and entry.actor_id and entry.actor})
    figures = analytics.agreement([(names[a], names[b], one, other)
                                   for a, b, one, other in pairs])
    return figures


def _editable(review: Review) -> None:
    if review.status not in OPEN:
        raise Conflict(N_("This attempt is not waiting for review."))


def claim(db: Session, review: Review, examiner: User) -> Review:
    """Start reviewing: the attempt shows as in review, with the examiner's name."""
    _editable(review)
    if review.status == ReviewStatus.AWAITING or review.examiner_id != examiner.id:
        review.status, review.examiner = ReviewStatus.IN_REVIEW, examiner
        record(db, review, examiner, ReviewKind.CLAIMED)
    db.flush()
    return review


def override(db: Session, review: Review, examiner: User, *, criterion: str, score: float,
             reason: str) -> ReviewEvent:
    """Set a criterion's score (0-100) with a reason; the total follows the rubric."""
    _editable(review)
    if review.attempt.assignment.cohort.double_marking:
        raise Conflict(N_("This cohort is double-marked: give your independent mark instead."))
    current = effective_score(review)
    if current is None or criterion not in current["criteria"]:
        raise InvalidInput(N_("This attempt has no criterion %(name)s."), field="criterion",
                           name=criterion)
    if not 0 <= score <= 100:
        raise InvalidInput(N_("A score runs from 0 to 100."), field="score")
    if len(reason.strip()) < MIN_REASON:
        raise InvalidInput(N_("Say why you change the score (at least %(count)s characters)."),
                           field="reason", count=MIN_REASON)
    claim(db, review, examiner)
    replaced = current["criteria"][criterion]
    entry = record(db, review, examiner, ReviewKind.OVERRIDE, criterion=criterion,
                   before=replaced["score"] if replaced.get("applicable", True) else None,
                   after=round(score / 100, 4), text=reason.strip())
    db.flush()
    return entry


def score_before(entry: ReviewEvent) -> float | None:
    """The score (0-1) an override or a mark replaced; None when the criterion was not
    applicable (left out of the total), which has no score. Overrides recorded before None
    was stored for it hold the placeholder the grading gives such a criterion (1.0 or 0.0):
    the first override in its round of a criterion the automatic grading left out is read
    as None whatever it holds."""
    if entry.kind != ReviewKind.OVERRIDE or entry.before is None:
        return entry.before
    review = entry.review
    automatic = _graded_at(review.attempt, entry.at).get("criteria", {}).get(entry.criterion, {})
    if automatic.get("applicable", True):
        return entry.before
    first = True
    for earlier in review.events:
        if earlier is entry:
            break
        if earlier.kind == ReviewKind.SUBMITTED:
            first = True
        elif earlier.kind == ReviewKind.OVERRIDE and earlier.criterion == entry.criterion:
            first = False
    return None if first else entry.before


def _graded_at(attempt: Attempt, moment: datetime | None) -> dict[str, Any]:
    """The automatic score that was current at `moment`: the newest grade made by then (a
    regrade since does not change what an earlier override replaced); the first grade when
    none is that old (grades carried over from before grade versions), and the attempt's
    score when it has no grades or is not in a session."""
    db = object_session(attempt)
    kept = grades_kept(db, attempt) if db is not None else ()
    if not kept or moment is None:
        return attempt.score or {}
    made = [grade for grade in kept if _utc(grade.created_at) <= _utc(moment)]
    return dict((made[-1] if made else kept[0]).data)


GRADES_READ = "review.grades"  # session.info key: attempt id -> (its score then, its grades)


def grades_kept(db: Session, attempt: Attempt) -> Sequence[Grade]:
    """The attempt's grades, the first first, read once in the session (a review page or an
    API answer shows every override of the attempt, each replacing a graded score). They are
    read again once the attempt's score is another object: every new grade sets a new score
    (`grades._new`), and a rollback expires it."""
    read = db.info.setdefault(GRADES_READ, {})
    score, kept = read.get(attempt.id, (None, None))
    if kept is None or score is not attempt.score:
        kept = grades.grades_of(db, attempt)
        read[attempt.id] = (attempt.score, kept)
    return kept


def _utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC time (SQLite may give it back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def evidence_of(db: Session, review: Review, visit: Any = None) -> anchors.Evidence:
    """What a comment on the attempt may point at: its turns, its units' forms, its map's
    features and the clips its trainee watched (`visit`: the replay, when already made)."""
    from trainer.core.maps.parse import parse_drawing
    from trainer.fieldwork import services as fieldwork
    from trainer.video import services as video

    attempt = review.attempt
    visit = visit if visit is not None else fieldwork.replay_attempt(attempt)
    units = {*visit.households, *(attempt.forms or {}), *(attempt.register or {}),
             *(attempt.hmt_forms or {})}
    features = (anchors.map_features(parse_drawing(attempt.map_drawing).features, {})
                if attempt.map_drawing else {})
    clips = {row.clip_id: row.clip.duration for row in video.watched_by(db, attempt.trainee)}
    return anchors.Evidence(frozenset(event.seq for event in visit.events), frozenset(units),
                            features, clips)


def comment(db: Session, review: Review, examiner: User, *, text: str,
            anchor: str = "", evidence: anchors.Evidence | None = None) -> ReviewEvent:
    """A comment for the trainee, optionally tied to a turn, a form field, a map feature or a
    moment of a clip (see `anchors`); the anchor must name a place the attempt has."""
    if not text.strip():
        raise InvalidInput(N_("Write the comment."), field="text")
    _editable(review)
    place = None
    if anchor.strip():
        place = anchors.normalise(anchor, evidence or evidence_of(db, review))
    claim(db, review, examiner)
    entry = record(db, review, examiner, ReviewKind.COMMENT, text=text.strip(), anchor=place)
    db.flush()
    return entry


def return_attempt(db: Session, review: Review, examiner: User, *, text: str,
                   link: str) -> Review:
    """Send the attempt back to the trainee for correction, with what to correct."""
    _editable(review)
    if len(text.strip()) < MIN_REASON:
        raise InvalidInput(N_("Tell the trainee what to correct (at least %(count)s "
                              "characters)."), field="text", count=MIN_REASON)
    claim(db, review, examiner)
    review.status = ReviewStatus.RETURNED
    review.attempt.status = AttemptStatus.IN_PROGRESS
    record(db, review, examiner, ReviewKind.RETURNED, text=text.strip())
    notify(db, review.attempt.trainee, N_("Your attempt at “%(title)s” was returned for "
                                          "correction."), link, title=_title(review))
    db.flush()
    return review


def release(db: Session, review: Review, examiner: User, *, link: str) -> Review:
    """Release the score: the trainee sees it (with the overrides, or the agreed marks) and
    is notified."""
    _editable(review)
    if review.attempt.assignment.cohort.double_marking:
        state = marking(review)
        if not state.complete:
            raise Conflict(N_("This attempt needs %(count)s independent marks before its score "
                              "is released (%(done)s so far)."), count=state.needed,
                           done=len(state.marks))
    claim(db, review, examiner)
    review.released_score = effective_score(review)
    review.status, review.released_at = ReviewStatus.RELEASED, utcnow()
    record(db, review, examiner, ReviewKind.RELEASED,
           after=(review.released_score or {}).get("total"))
    notify(db, review.attempt.trainee, N_("Your score for “%(title)s” has been released."),
           link, title=_title(review))
    db.flush()
    return review


BULK_ACTIONS = ("release", "claim")
MAX_BULK = 200  # attempts in one bulk action: more than a queue page ever shows


@dataclass(frozen=True, slots=True)
class Skipped:
    """An attempt a bulk action left alone, and why (the single action's own refusal)."""

    attempt_id: int
    review: Review | None  # None: not an attempt the examiner may review
    error: DomainError


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a bulk action did: the reviews it changed and the attempts it skipped."""

    done: list[Review]
    skipped: list[Skipped]


def bulk(db: Session, examiner: User, attempt_ids: Sequence[int], action: str, *,
         link_of: Callable[[int], str]) -> BulkResult:
    """Release the scores of several attempts, or take them into review, at once.

    Each attempt goes through the same checks as the single action (`get_review`, `release`,
    `claim`): one refused (not the examiner's to review, no longer open, a double mark still
    missing or a disagreement waiting for a third examiner) is skipped with that refusal as
    the reason, and the others are done. Each runs in its own savepoint, so a skipped one
    leaves nothing half done; the caller commits once. `link_of(attempt_id)`: the trainee's
    page of the attempt, for the release notice.
    """
    if action not in BULK_ACTIONS:
        raise InvalidInput(N_("Choose what to do with the selected attempts."), field="action")
    ids = list(dict.fromkeys(attempt_ids))
    if not ids:
        raise InvalidInput(N_("Select at least one attempt."), field="attempts")
    if len(ids) > MAX_BULK:
        raise InvalidInput(N_("Select at most %(count)s attempts at once."), field="attempts",
                           count=MAX_BULK)
    done: list[Review] = []
    skipped: list[Skipped] = []
    for attempt_id in ids:
        review = None
        try:
            if not 0 < attempt_id <= MAX_ROW_ID:  # a tampered id: no such attempt, no 500
                raise NotFound(N_("No such attempt to review."))
            review = get_review(db, examiner, attempt_id)
            with db.begin_nested():
                if action == "release":
                    release(db, review, examiner, link=link_of(attempt_id))
                else:
                    claim(db, review, examiner)
        except DomainError as error:
            skipped.append(Skipped(attempt_id, review, error))
        else:
            done.append(review)
    return BulkResult(done, skipped)


def _title(review: Review) -> dict[str, str]:
    """The scenario's title in both languages: a notice is shown in its reader's language
    (`views.notice_params`), which may not be the one it was written in."""
    version = review.attempt.version
    return {"zh_CN": version.title_zh, "en": version.title_en}


def is_released(review: Review | None) -> bool:
    """Whether an examiner has released the attempt's score (its trainee sees it)."""
    return review is not None and review.status == ReviewStatus.RELEASED


def review_of(db: Session, attempt: Attempt) -> Review | None:
    """The review of an attempt, if it has been submitted."""
    return db.scalar(select(Review).where(Review.attempt_id == attempt.id))


def comments_for_trainee(review: Review | None) -> list[ReviewEvent]:
    """What the examiners wrote that the trainee may read: comments, returns, and the
    reasons of overrides once the score is released."""
    if review is None:
        return []
    kinds = {ReviewKind.COMMENT, ReviewKind.RETURNED}
    if review.status == ReviewStatus.RELEASED:
        kinds.add(ReviewKind.OVERRIDE)
    return [entry for entry in review.events if entry.kind in kinds]


# Notifications -------------------------------------------------------------------------

def notifications(db: Session, user: User) -> Sequence[Notification]:
    """The user's notices, newest first."""
    return db.scalars(select(Notification).where(Notification.user_id == user.id)
                      .order_by(Notification.created_at.desc(), Notification.id.desc())
                      .limit(100)).all()


def unread_count(db: Session, user: User) -> int:
    """How many notices the user has not opened."""
    return db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(db: Session, user: User) -> None:
    """Mark every notice of the user as read."""
    for notice in db.scalars(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.read_at.is_(None))):
        notice.read_at = utcnow()
    db.flush()



# Cohort figures ------------------------------------------------------------------------

def _graded_rows(db: Session, cohort_id: int) -> Any:
    """Columns of the cohort's submitted attempts, oldest first, streamed in batches."""
    stmt = (select(Attempt.id, Attempt.trainee_id, User.full_name, User.username,
                   ScenarioVersion.scenario_id, ScenarioVersion.version, Assignment.mode,
                   Attempt.score, Attempt.started_at, Attempt.submitted_at, Review.status,
                   Review.released_score)
            .join(Assignment, Attempt.assignment_id == Assignment.id)
            .join(User, Attempt.trainee_id == User.id)
            .join(ScenarioVersion, Attempt.version_id == ScenarioVersion.id)
            .outerjoin(Review, Review.attempt_id == Attempt.id)
            .where(Assignment.cohort_id == cohort_id, Attempt.status == AttemptStatus.SUBMITTED,
                   Attempt.score.is_not(None))
            .order_by(Attempt.submitted_at, Attempt.id))
    return db.execute(stmt.execution_options(yield_per=500))


def counted_score(row: Any) -> dict[str, Any]:
    """The score that counts for figures: the released one if released, else automatic."""
    if row.status == ReviewStatus.RELEASED and row.released_score:
        return dict(row.released_score)
    return dict(row.score)


# The figures of a cohort, kept per process for the cohorts looked at lately: (database,
# cohort, language) -> (the fingerprint of the rows they were computed from, the figures).
DASHBOARD_CACHE_SIZE = 16
_dashboards: OrderedDict[tuple[str, int, bool], tuple[list[tuple[Any, ...]], Any]] = (
    OrderedDict())
_dashboards_lock = threading.Lock()


def _dashboard_query(cohort_id: int, *columns: Any) -> Any:
    """The cohort's submitted, scored attempts with their trainee, scenario and review."""
    return (select(*columns)
            .join(Assignment, Attempt.assignment_id == Assignment.id)
            .join(User, Attempt.trainee_id == User.id)
            .join(ScenarioVersion, Attempt.version_id == ScenarioVersion.id)
            .outerjoin(Review, Review.attempt_id == Attempt.id)
            .where(Assignment.cohort_id == cohort_id, Attempt.status == AttemptStatus.SUBMITTED,
                   Attempt.score.is_not(None)))


def _dashboard_fingerprint(db: Session, cohort_id: int) -> list[tuple[Any, ...]]:
    """What the cohort's figures depend on, in a form cheap to read: every counted attempt
    by id with the times its row and its review's row last changed (SQLAlchemy stamps
    `updated_at` on every UPDATE of either, so a regrade, a return, a release or a late
    commit shows as a changed row even when it is not the newest change) and the trainee's
    name. Equal fingerprints, equal inputs: the cached figures are still right. (It is read
    before the figures: a change committed in between makes the figures newer than their
    fingerprint, which only costs one more computation at the next look.)"""
    from trainer.core.collector import collector_paused

    stmt = _dashboard_query(cohort_id, Attempt.id, cast(Attempt.updated_at, Text),
                            cast(Review.updated_at, Text), User.full_name
                            ).order_by(Attempt.id)
    with collector_paused():  # thousands of small tuples, no cycles among them
        return [tuple(row) for row in db.connection().execute(stmt)]


def cohort_dashboard(db: Session, cohort_id: int, *, english: bool) -> Any:
    """The dashboard figures of a cohort (see core/grading/analytics.py).

    Reads only the columns the figures need, the scores as their stored JSON text, and
    decodes for each attempt only the score that counts (see `counted_score`), straight into
    the analytics' columns. The figures of the cohorts looked at lately are kept with the
    fingerprint of their rows (`_dashboard_fingerprint`) and served again while it is
    unchanged: the same object to every caller, so read it, never change it."""
    url = db.connection().engine.url.render_as_string(hide_password=True)
    key = (url, cohort_id, english)
    fingerprint = _dashboard_fingerprint(db, cohort_id)
    with _dashboards_lock:
        cached = _dashboards.get(key)
        if cached is not None and cached[0] == fingerprint:
            _dashboards.move_to_end(key)
            return cached[1]
    figures = _compute_dashboard(db, cohort_id, english=english)
    with _dashboards_lock:
        _dashboards[key] = (fingerprint, figures)
        _dashboards.move_to_end(key)
        while len(_dashboards) > DASHBOARD_CACHE_SIZE:
            _dashboards.popitem(last=False)
    return figures


def forget_dashboards() -> None:
    """Drop every kept dashboard (benchmarks measure the computation itself with it)."""
    with _dashboards_lock:
        _dashboards.clear()


def _compute_dashboard(db: Session, cohort_id: int, *, english: bool) -> Any:
    from trainer.core.collector import collector_paused
    from trainer.core.grading import analytics

    stmt = _dashboard_query(cohort_id, Attempt.trainee_id, User.full_name,
                            ScenarioVersion.scenario_id, cast(Attempt.score, Text).label("score"),
                            # both times in UTC: their difference needs no time zone attached
                            type_coerce(Attempt.started_at, DateTime()).label("started_at"),
                            type_coerce(Attempt.submitted_at, DateTime()).label("submitted_at"),
                            type_coerce(Review.status, String()).label("status"),
                            cast(Review.released_score, Text).label("released")
                            ).order_by(Attempt.submitted_at, Attempt.id)
    frame = analytics.Frame()
    with collector_paused():  # thousands of decoded scores, no cycles among them
        for row in db.connection().execute(stmt.execution_options(yield_per=500)):
            score = None
            if row.status == ReviewStatus.RELEASED and row.released is not None:
                score = orjson.loads(row.released)
            if not score:
                score = orjson.loads(row.score)
            minutes = ((row.submitted_at - row.started_at).total_seconds() / 60
                       if row.submitted_at and row.started_at else None)
            frame.add_score(row.trainee_id, row.full_name, row.scenario_id, score, minutes,
                            english=english)
        return analytics.dashboard(frame)


EXPORT_COLUMNS = ("attempt", "username", "trainee", "scenario", "version", "mode", "review",
                  "submitted_at", "total", "passed", "criteria")


FINDING_COLUMNS = ("attempt", "username", "trainee", "scenario", "criterion", "score",
                   "finding", "where", "event")


def finding_rows(db: Session, cohort_id: int, *, english: bool) -> Any:
    """Every finding of the cohort's counted scores, one row each, produced as they are read
    (the text in the interface's language)."""
    yield FINDING_COLUMNS
    for row in _graded_rows(db, cohort_id):
        for name, result in counted_score(row)["criteria"].items():
            for finding in result["findings"]:
                yield (row.id, row.username, row.full_name, row.scenario_id, name,
                       round(result["score"], 3), finding["text"][1 if english else 0],
                       finding.get("where") or "", finding.get("event") or "")


def export_rows(db: Session, cohort_id: int) -> Any:
    """The cohort's scores as CSV rows, one per attempt, produced as they are read."""
    yield EXPORT_COLUMNS
    for row in _graded_rows(db, cohort_id):
        score = counted_score(row)
        criteria = "; ".join(f"{name}={result['score']:.2f}"
                             for name, result in score["criteria"].items()
                             if result.get("applicable", True))
        yield (row.id, row.username, row.full_name, row.scenario_id, row.version,
               str(row.mode), str(row.status or ""),
               row.submitted_at.isoformat() if row.submitted_at else "", score["total"],
               "yes" if score["passed"] else "no", criteria)


def trainee_progress(db: Session, trainee: User, *, english: bool,
                     cohort: Cohort | None = None) -> Any:
    """A trainee's released scores, weak criteria and the exercises that would train them
    (only released scores count: an exam waiting for its examiner tells the trainee nothing);
    with `cohort` (what the cohort's staff see), that cohort's exercises only: a trainee's
    work in another cohort is not theirs to see."""
    from trainer.core.grading import analytics

    cohorts = [cohort.id] if cohort is not None else [
        visible.id for visible in cohorts_visible_to(db, trainee)]
    query = (select(Attempt.trainee_id, ScenarioVersion.scenario_id, Review.released_score)
             .join(Review, Review.attempt_id == Attempt.id)
             .join(ScenarioVersion, Attempt.version_id == ScenarioVersion.id)
             .where(Attempt.trainee_id == trainee.id, Review.status == ReviewStatus.RELEASED,
                    Review.released_score.is_not(None))
             .order_by(Review.released_at, Review.id))
    if cohort is not None:
        query = query.join(Assignment, Attempt.assignment_id == Assignment.id).where(
            Assignment.cohort_id == cohort.id)
    rows = [analytics.graded_from(row.trainee_id, trainee.full_name, row.scenario_id,
                                  row.released_score, english=english)
            for row in db.execute(query)]
    assignments = db.scalars(select(Assignment).where(Assignment.cohort_id.in_(cohorts))
                             ).all() if cohorts else []
    sat = set(db.scalars(select(Attempt.assignment_id).where(
        Attempt.trainee_id == trainee.id, Attempt.status == AttemptStatus.SUBMITTED)))
    open_to_them = [a for a in assignments if a.mode == Mode.PRACTICE or a.id not in sat]
    teaches = {a.version.scenario_id: [c.name for c in scenario_of(a.version).rubric.criteria]
               for a in open_to_them}  # an exam already sat cannot be taken again
    return analytics.progress(rows, teaches)


def released_totals(db: Session, trainee: User) -> dict[int, Any]:
    """The released total of each of a trainee's attempts whose score an examiner released,
    by attempt id (an exam shows its score only from then; a practice attempt the released
    one rather than the automatic one, which an override may have changed)."""
    query = (select(Review.attempt_id, Review.released_score)
             .join(Attempt, Review.attempt_id == Attempt.id)
             .where(Attempt.trainee_id == trainee.id, Review.status == ReviewStatus.RELEASED,
                    Review.released_score.is_not(None)))
    return {row.attempt_id: row.released_score.get("total") for row in db.execute(query)}


def cohort_trainee(db: Session, cohort: Cohort, trainee_id: int) -> User:
    """A trainee of the cohort (anyone else, or no one: not found)."""
    trainee = next((user for user in cohort.trainees if user.id == trainee_id), None)
    if trainee is None:
        raise NotFound(N_("No such trainee in this cohort."))
    return trainee


def scenarios_assigned(db: Session, cohorts: Sequence[Cohort]) -> dict[str, ScenarioVersion]:
    """The scenarios assigned to these cohorts, each with its newest version (for its title),
    in the order of their ids: the queue's scenario filter offers these."""
    if not cohorts:
        return {}
    ids = db.scalars(select(ScenarioVersion.scenario_id).join(
        Assignment, Assignment.version_id == ScenarioVersion.id).where(
        Assignment.cohort_id.in_([cohort.id for cohort in cohorts])).distinct()).all()
    titles = scenario_titles(db, ids)
    return {scenario_id: titles[scenario_id] for scenario_id in sorted(titles)}


def scenario_titles(db: Session, scenario_ids: Sequence[str]) -> dict[str, ScenarioVersion]:
    """The newest version of each scenario, for its title."""
    if not scenario_ids:
        return {}
    versions = db.scalars(select(ScenarioVersion).where(
        ScenarioVersion.scenario_id.in_(set(scenario_ids))).order_by(ScenarioVersion.version))
    return {version.scenario_id: version for version in versions}
