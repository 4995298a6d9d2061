"""Assigning scenarios to cohorts; trainees' attempts: start, step, submit, grade.

An attempt stores only its pinned scenario version, its seed and the trainee's steps; the
visit state is always the replay of those steps, so a closed browser, a lost connection or a
server restart loses nothing, and grading the same attempt again gives the same score.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts.models import Cohort, Role, User
from trainer.accounts.services import cohorts_visible_to
from trainer.core.census import r601, register, tally
from trainer.core.census.r601 import Issue, Severity
from trainer.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trainer.core.grading import forms as grading_forms
from trainer.core.i18n import N_
from trainer.core.interview.engine import Session as Visit
from trainer.fieldwork import grades
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus, Mode
from trainer.review import services as review_services
from trainer.scenarios.models import ScenarioVersion
from trainer.scenarios.services import (
    lock_for_step,
    repeated,
    replay_steps,
    scenario_of,
    seed_for,
    with_step,
)

MAX_STEPS = 800


def assign(db: Session, *, actor: User, cohort: Cohort, version: ScenarioVersion, mode: Mode,
           due_on: date | None, today: date | None = None) -> Assignment:
    """Set a scenario version as an exercise for a cohort (once per version and mode)."""
    today = today or datetime.now(UTC).date()
    if actor.role not in (Role.TRAINER, Role.ADMIN) or (
            actor.role == Role.TRAINER and cohort.trainer_id != actor.id):
        raise Forbidden(N_("Only the cohort's trainer can assign exercises."))
    if due_on is not None and due_on < today:
        raise InvalidInput(N_("The due date cannot be in the past."), field="due_on")
    same = db.scalar(select(Assignment).where(Assignment.cohort_id == cohort.id,
                                              Assignment.version_id == version.id,
                                              Assignment.mode == mode))
    if same is not None:
        raise Conflict(N_("This scenario version is already assigned to the cohort this way."),
                       field="version")
    assignment = Assignment(cohort=cohort, version=version, mode=mode, due_on=due_on,
                            created_by=actor)
    db.add(assignment)
    db.flush()
    return assignment


def assignments_of(db: Session, cohort: Cohort) -> Sequence[Assignment]:
    """A cohort's exercises, the latest first."""
    return db.scalars(select(Assignment).where(Assignment.cohort_id == cohort.id)
                      .order_by(Assignment.id.desc())).all()


def assignments_for(db: Session, trainee: User) -> Sequence[Assignment]:
    """The exercises of every cohort the trainee is in, soonest due first."""
    cohort_ids = [c.id for c in cohorts_visible_to(db, trainee)]
    if not cohort_ids:
        return []
    rows = db.scalars(select(Assignment).where(Assignment.cohort_id.in_(cohort_ids))).all()
    return sorted(rows, key=lambda a: (a.due_on or date.max, a.id))


def attempts_for(db: Session, trainee: User) -> dict[int, list[Attempt]]:
    """The trainee's attempts, by assignment id, the latest first."""
    out: dict[int, list[Attempt]] = {}
    for attempt in db.scalars(select(Attempt).where(Attempt.trainee_id == trainee.id)
                              .order_by(Attempt.id.desc())):
        out.setdefault(attempt.assignment_id, []).append(attempt)
    return out


def get_assignment_for(db: Session, trainee: User, assignment_id: int) -> Assignment:
    """An assignment of one of the trainee's cohorts; others do not exist for them."""
    assignment = db.get(Assignment, assignment_id)
    if assignment is None or assignment.cohort not in cohorts_visible_to(db, trainee):
        raise NotFound(N_("No such exercise."))
    return assignment


def start_attempt(db: Session, trainee: User, assignment: Assignment) -> Attempt:
    """A new attempt, or the one in progress (starting twice does not make two)."""
    mine = db.scalars(select(Attempt).where(Attempt.assignment_id == assignment.id,
                                            Attempt.trainee_id == trainee.id)).all()
    open_attempt = next((a for a in mine if a.status == AttemptStatus.IN_PROGRESS), None)
    if open_attempt is not None:
        return open_attempt
    if assignment.mode == Mode.EXAM and mine:
        raise Conflict(N_("An exam can be attempted once."))
    attempt = Attempt(assignment=assignment, trainee=trainee, version=assignment.version,
                      seed=seed_for(assignment.version), steps=[])
    db.add(attempt)
    db.flush()
    return attempt


def get_attempt(db: Session, trainee: User, attempt_id: int) -> Attempt:
    """One of the trainee's own attempts."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None or attempt.trainee_id != trainee.id:
        raise NotFound(N_("No such attempt."))
    return attempt


def replay_attempt(attempt: Attempt) -> Visit:
    """The attempt's visits, rebuilt from its steps."""
    return replay_steps(attempt.version, attempt.seed, attempt.steps)


def take_step(db: Session, attempt: Attempt, household: str, action: str,
              at: datetime | None, key: str | None = None) -> Visit:
    """Apply and store one step; a refused step changes nothing.

    `key` is the request's idempotency key (the step form's `step_key`): a step sent again
    with the same key (a retry after a lost answer or a killed worker, a double click) is
    stored once, and the repeat returns the same visit. The attempt's row is locked first, so
    two identical requests at once cannot both append.
    """
    if key is not None:
        lock_for_step(db, attempt)
        if repeated(attempt.steps, key):
            return replay_attempt(attempt)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict(N_("This attempt has been submitted and can no longer change."))
    if len(attempt.steps) >= MAX_STEPS:
        raise InvalidInput(N_("This attempt is too long; submit it."))
    if action.startswith("goto:"):
        raise InvalidInput(N_("'%(action)s' cannot be done at this point of the visit."),
                           field="action", action=action)
    visit = replay_attempt(attempt)
    attempt.steps = with_step(visit, attempt.steps, household, action, at, key)
    db.flush()
    return visit


def form_units(visit: Visit) -> list[str]:
    """Households that fill the short form R601 (not vacant, not 999, not HMT/foreign)."""
    return grading_forms.form_units(visit)


def save_form(db: Session, attempt: Attempt, unit: str, record: dict[str, Any], *,
              complete: bool, confirmed: bool, visit: Visit | None = None) -> list[Issue]:
    """Store a household's form as the trainee left it; its issues.

    A form marked complete must have no hard error, and its soft warnings must be confirmed;
    otherwise it is stored as a draft and the issues say why. `visit` is the attempt's
    replay when the caller already has it.
    """
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict(N_("This attempt has been submitted and can no longer change."))
    if unit not in form_units(visit or replay_attempt(attempt)):
        raise NotFound(N_("No such form."))
    issues = r601.validate(record)
    hard = any(i.severity == Severity.HARD for i in issues)
    soft = any(i.severity == Severity.SOFT for i in issues)
    done = complete and not hard and (confirmed or not soft)
    attempt.forms = {**attempt.forms, unit: {"record": record, "complete": done,
                                             "confirmed": confirmed}}
    db.flush()
    return issues


def save_register(db: Session, attempt: Attempt, rows: dict[str, dict[str, Any]]
                  ) -> list[Issue]:
    """Store the register as the trainee left it (unknown units dropped); its issues."""
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict(N_("This attempt has been submitted and can no longer change."))
    units = set(scenario_of(attempt.version).assignment.units)
    attempt.register = {unit: row for unit, row in rows.items() if unit in units}
    db.flush()
    return list(register.validate(attempt.register))


def save_tally(db: Session, attempt: Attempt, figures: dict[str, int | None]) -> list[Issue]:
    """Store the quick tally as the trainee left it; its issues."""
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict(N_("This attempt has been submitted and can no longer change."))
    attempt.tally = {name: figures.get(name) for name in tally.FIELDS}
    db.flush()
    return list(tally.validate(attempt.tally))


def register_truth(visit: Visit) -> dict[str, dict[str, Any]]:
    """The true register of the attempt's units."""
    return grading_forms.register_truth(visit)


def submit(db: Session, attempt: Attempt) -> Attempt:
    """Submit and grade the attempt, and open its review (an exam waits for an examiner);
    submitting again changes nothing (idempotent)."""
    if attempt.status == AttemptStatus.SUBMITTED:
        return attempt
    grades.on_submit(db, attempt, replay_attempt(attempt))
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = datetime.now(UTC)
    db.flush()
    review_services.open_review(db, attempt)
    return attempt
