"""Assigning scenarios to cohorts; trainees' attempts: start, step, submit, grade.

An attempt stores only its pinned scenario version, its seed and the trainee's steps; the
visit state is always the replay of those steps, so a closed browser, a lost connection or a
server restart loses nothing, and grading the same attempt again gives the same score.

An assignment decides whose world its trainees meet (`World`): the scenario's own seed policy
(assignments made before the choice existed), one shared seed drawn at assignment time, one
world per trainee (derived from the assignment's seed and the trainee's id, so it is the same
on every attempt and every machine), or a new world for each attempt. The seed chosen is
stored on the attempt, as every seed is stored on the row that used it.

A timed exam's sitting ends `time_limit_minutes` after the attempt started (server time, never
the browser's). After that nothing of it can change, and it is submitted automatically: by the
first request that touches it (see `submit_if_timed_out`, which the trainee's views call) or
by the periodic job `trainer.tasks.submit_timed_out`, whichever comes first. An automatic
submission is dated at the deadline, the moment its work stopped, not at the moment a request
or the job noticed it. An exam returned by its examiner for correction is not timed again:
the limit is for the sitting, and the correction is done on the examiner's terms.

Every function that depends on the time takes `now` (an aware datetime), defaulting to
`utc_now()`, the one clock of the field work, which tests replace to move time.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from trainer.accounts.models import Cohort, Role, User
from trainer.accounts.services import cohorts_visible_to
from trainer.core.census import deaths, hmt, long_form, r601, recheck, register, tally
from trainer.core.census.r601 import Issue, Severity
from trainer.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trainer.core.grading import forms as grading_forms
from trainer.core.grading import hmt as grading_hmt
from trainer.core.i18n import N_
from trainer.core.interview.engine import Session as Visit
from trainer.core.world.codes import ALL_DIED_HOUSEHOLD_NUMBER
from trainer.fieldwork import grades, truth
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus, Mode, World
from trainer.review import services as review_services
from trainer.review.models import Review, ReviewStatus
from trainer.scenarios.models import ScenarioVersion
from trainer.scenarios.services import (
    lock_for_step,
    remember_replay,
    repeated,
    replay_steps,
    scenario_of,
    seed_for,
    with_step,
)

log = logging.getLogger(__name__)
MAX_STEPS = 800
MAX_TIME_LIMIT = 600  # minutes: a sitting longer than ten hours is a typing mistake
SEED_RANGE = 2**31  # seeds drawn here are in the range `scenarios.services.seed_for` draws
LOCAL = ZoneInfo("Asia/Shanghai")  # opening and due dates are Beijing calendar days
# whose world each mode may choose; SCENARIO keeps the scenario's own seed policy
WORLDS_BY_MODE = {Mode.EXAM: (World.SCENARIO, World.SHARED, World.PER_TRAINEE),
                  Mode.PRACTICE: (World.SCENARIO, World.PER_ATTEMPT)}


class TimeUp(Conflict):
    """A timed exam's sitting is over: nothing of the attempt may change any more."""


def utc_now() -> datetime:
    """The current time (aware, UTC): the field work's one clock, replaced by tests."""
    return datetime.now(UTC)


def local_today(now: datetime | None = None) -> date:
    """Today's date in Beijing, the calendar of opening and due dates."""
    return (now or utc_now()).astimezone(LOCAL).date()


def assign(db: Session, *, actor: User, cohort: Cohort, version: ScenarioVersion, mode: Mode,
           due_on: date | None, today: date | None = None, opens_on: date | None = None,
           time_limit_minutes: int | None = None, world: World | str = World.SCENARIO
           ) -> Assignment:
    """Set a scenario version as an exercise for a cohort (once per version and mode).

    `world` must suit the mode (`WORLDS_BY_MODE`); a time limit is for exams only. A shared
    or per-trainee world draws its seed now, so every trainee's world is fixed from the start.
    """
    today = today or local_today()
    if actor.role not in (Role.TRAINER, Role.ADMIN) or (
            actor.role == Role.TRAINER and cohort.trainer_id != actor.id):
        raise Forbidden(N_("Only the cohort's trainer can assign exercises."))
    if due_on is not None and due_on < today:
        raise InvalidInput(N_("The due date cannot be in the past."), field="due_on")
    _check_options(mode, today=today, due_on=due_on, opens_on=opens_on,
                   time_limit_minutes=time_limit_minutes, world=world)
    world = World(world)
    same = db.scalar(select(Assignment).where(Assignment.cohort_id == cohort.id,
                                              Assignment.version_id == version.id,
                                              Assignment.mode == mode))
    if same is not None:
        raise Conflict(N_("This scenario version is already assigned to the cohort this way."),
                       field="version")
    seed = secrets.randbelow(SEED_RANGE) if world in (World.SHARED, World.PER_TRAINEE) else None
    assignment = Assignment(cohort=cohort, version=version, mode=mode, due_on=due_on,
                            opens_on=opens_on, time_limit_minutes=time_limit_minutes,
                            world=world.value, seed=seed, created_by=actor)
    db.add(assignment)
    db.flush()
    return assignment


def _check_options(mode: Mode, *, today: date, due_on: date | None, opens_on: date | None,
                   time_limit_minutes: int | None, world: World | str) -> None:
    """Refuse an opening date, a time limit or a world that does not fit the assignment."""
    if opens_on is not None and opens_on < today:
        raise InvalidInput(N_("The opening date cannot be in the past."), field="opens_on")
    if opens_on is not None and due_on is not None and opens_on > due_on:
        raise InvalidInput(N_("The exercise cannot open after it is due."), field="opens_on")
    if time_limit_minutes is not None:
        if mode != Mode.EXAM:
            raise InvalidInput(N_("A time limit is for exams only; leave it empty for "
                                  "practice."), field="time_limit_minutes")
        if not 1 <= time_limit_minutes <= MAX_TIME_LIMIT:
            raise InvalidInput(N_("A time limit runs from 1 to %(max)s minutes."),
                               field="time_limit_minutes", max=MAX_TIME_LIMIT)
    if world not in {w.value for w in World}:
        raise InvalidInput(N_("Choose whose world the trainees meet."), field="world")
    if World(world) not in WORLDS_BY_MODE[mode]:
        raise InvalidInput(
            N_("An exam gives each trainee one world: the same for everyone or one per "
               "trainee.") if mode == Mode.EXAM else
            N_("Practice gives a new world for every attempt; the same world for everyone or "
               "one per trainee is for exams."), field="world")


def seed_of(assignment: Assignment, trainee: User) -> int:
    """The seed of a new attempt, as the assignment's world policy says."""
    world = World(assignment.world)
    if world == World.SHARED and assignment.seed is not None:
        return assignment.seed
    if world == World.PER_TRAINEE and assignment.seed is not None:
        return trainee_seed(assignment.seed, trainee.id)
    if world == World.PER_ATTEMPT:
        return secrets.randbelow(SEED_RANGE)
    return seed_for(assignment.version)


def trainee_seed(base: int, trainee_id: int) -> int:
    """A trainee's own seed of a per-trainee world: a hash of the assignment's seed and the
    trainee's id, so it is the same on every attempt and machine, and differs between
    trainees."""
    digest = hashlib.sha256(f"{base}:{trainee_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SEED_RANGE


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


def is_open(assignment: Assignment, now: datetime | None = None) -> bool:
    """Whether attempts may start: no opening date, or it is that day or later in Beijing."""
    return assignment.opens_on is None or assignment.opens_on <= local_today(now)


def exam_closed(db: Session, assignment: Assignment, now: datetime | None = None) -> bool:
    """Whether no trainee of the cohort can still sit the exam: its due date has passed and
    every trainee has submitted an attempt, none being in progress (the due date alone closes
    nothing: an attempt may still start, an untimed one goes on, a returned one is corrected).
    Until then an early finisher's debrief (the true answers) stays hidden."""
    if assignment.due_on is None or assignment.due_on >= local_today(now):
        return False
    rows = db.execute(select(Attempt.trainee_id, Attempt.status)
                      .where(Attempt.assignment_id == assignment.id)).all()
    if any(row.status == AttemptStatus.IN_PROGRESS for row in rows):
        return False
    sat = {row.trainee_id for row in rows}
    return all(trainee.id in sat for trainee in assignment.cohort.trainees)


def start_attempt(db: Session, trainee: User, assignment: Assignment, *,
                  now: datetime | None = None) -> Attempt:
    """A new attempt, or the one in progress (starting twice does not make two); none before
    the assignment opens. A new attempt's world follows the assignment (`seed_of`)."""
    now = now or utc_now()
    mine = db.scalars(select(Attempt).where(Attempt.assignment_id == assignment.id,
                                            Attempt.trainee_id == trainee.id)).all()
    open_attempt = next((a for a in mine if a.status == AttemptStatus.IN_PROGRESS), None)
    if open_attempt is not None:
        return open_attempt
    if not is_open(assignment, now):
        raise Conflict(N_("This exercise opens on %(date)s; it cannot be started before."),
                       date=assignment.opens_on.isoformat() if assignment.opens_on else "")
    if assignment.mode == Mode.EXAM and mine:
        raise Conflict(N_("An exam can be attempted once."))
    seed = seed_of(assignment, trainee)
    attempt = Attempt(assignment=assignment, trainee=trainee, version=assignment.version,
                      seed=seed, steps=[], started_at=now,
                      truth_fingerprint=truth.fingerprint_of(assignment.version, seed))
    db.add(attempt)
    db.flush()
    return attempt


def get_attempt(db: Session, trainee: User, attempt_id: int) -> Attempt:
    """One of the trainee's own attempts."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None or attempt.trainee_id != trainee.id:
        raise NotFound(N_("No such attempt."))
    return attempt


# Timed exams -------------------------------------------------------------------------------

def deadline_of(attempt: Attempt) -> datetime | None:
    """When the attempt's sitting ends (its start plus the assignment's time limit), or None
    when the assignment has no limit."""
    minutes = attempt.assignment.time_limit_minutes
    return attempt.started_at + timedelta(minutes=minutes) if minutes else None


def _timed(attempt: Attempt) -> datetime | None:
    """The deadline while the first sitting runs (never submitted), else None: a returned
    attempt is corrected without a clock."""
    if attempt.status != AttemptStatus.IN_PROGRESS or attempt.submitted_at is not None:
        return None
    return deadline_of(attempt)


def time_left(attempt: Attempt, now: datetime | None = None) -> timedelta | None:
    """What is left of a running timed sitting (zero once over); None when not timed."""
    end = _timed(attempt)
    return None if end is None else max(end - (now or utc_now()), timedelta(0))


def timed_out(attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the sitting is over by the clock: running past its deadline, or submitted
    automatically at it (an automatic submission is dated exactly at the deadline)."""
    end = deadline_of(attempt)
    if end is None:
        return False
    if attempt.status == AttemptStatus.SUBMITTED:
        return attempt.submitted_at == end
    return attempt.submitted_at is None and (now or utc_now()) >= end


def check_editable(attempt: Attempt, now: datetime | None = None) -> None:
    """Refuse a change to a submitted attempt or to a sitting whose time is up."""
    if timed_out(attempt, now):
        end = deadline_of(attempt)
        raise TimeUp(N_("Time is up: this exam ended at %(time)s (Beijing time) and nothing "
                        "can change any more. Everything saved before then is kept and has "
                        "been submitted."),
                     time=end.astimezone(LOCAL).strftime("%H:%M") if end else "")
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict(N_("This attempt has been submitted and can no longer change."))


def submit_if_timed_out(db: Session, attempt: Attempt, now: datetime | None = None) -> bool:
    """Submit the attempt if its sitting's time ran out (dated at the deadline); whether it
    was submitted now. The row is locked first, so a request and the periodic job cannot
    both grade it; the caller commits at once (see the module's docstring)."""
    now = now or utc_now()
    end = _timed(attempt)
    if end is None or now < end:
        return False
    lock_for_step(db, attempt)
    if _timed(attempt) is None:  # submitted meanwhile, by the job or another request
        return False
    try:
        with db.begin_nested():
            submit(db, attempt, at=end)
    except DBAPIError:
        raise  # the database failed: the request's retryable error, the job's next run
    except Exception:
        # A grading bug must not keep the sitting open (every request would try again and
        # fail) nor take the attempt's pages down: the work is handed in as it stands.
        log.exception("grading timed-out attempt %s failed; submitted ungraded", attempt.id)
        _hand_in_ungraded(db, attempt, end)
    return True


def _hand_in_ungraded(db: Session, attempt: Attempt, at: datetime) -> None:
    """Submit an exam whose grading failed with no score: its review waits for an examiner
    (the queue shows no total), who grades it again once the grading is fixed (the review
    page's regrade, or `flask grades regrade`)."""
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = at
    db.flush()
    review_services.open_review(db, attempt)


def timed_out_attempts(db: Session, now: datetime | None = None) -> list[int]:
    """Ids of the first sittings of timed exams still open past their deadline."""
    now = now or utc_now()
    rows = db.execute(select(Attempt.id, Attempt.started_at, Assignment.time_limit_minutes)
                      .join(Assignment, Attempt.assignment_id == Assignment.id)
                      .where(Attempt.status == AttemptStatus.IN_PROGRESS,
                             Attempt.submitted_at.is_(None),
                             Assignment.time_limit_minutes.is_not(None))
                      .order_by(Attempt.id))
    # the deadline is computed here rather than in SQL: date arithmetic differs between
    # SQLite and PostgreSQL, and open timed sittings are few
    return [row.id for row in rows
            if row.started_at + timedelta(minutes=row.time_limit_minutes) <= now]


def submit_timed_out(db: Session, attempt_id: int, now: datetime | None = None) -> bool:
    """Submit one attempt found by `timed_out_attempts` (the periodic job's unit of work)."""
    attempt = db.get(Attempt, attempt_id)
    return attempt is not None and submit_if_timed_out(db, attempt, now)


def replay_attempt(attempt: Attempt) -> Visit:
    """The attempt's visits, rebuilt from its steps."""
    return replay_steps(attempt.version, attempt.seed, attempt.steps)


def take_step(db: Session, attempt: Attempt, household: str, action: str,
              at: datetime | None, key: str | None = None, *,
              now: datetime | None = None) -> Visit:
    """Apply and store one step; a refused step changes nothing.

    `key` is the request's idempotency key (the step form's `step_key`): a step sent again
    with the same key (a retry after a lost answer or a killed worker, a double click) is
    stored once, and the repeat returns the same visit. Every step, with a key or without,
    locks the attempt's row first, so that it acts on what the others stored: two identical
    requests at once cannot both append, and no step lands after a submission (the trainee's
    or the automatic one of a timed exam). The visit is replayed before the lock (outside
    SQLite's write lock, usually from the process's recent replays) and used under it when
    no step came in between; the visit with the new step is remembered for the next step.
    """
    before = attempt.steps
    early = replay_attempt(attempt)
    # the lock's refresh unloads the attempt's relations; held here, they are found again in
    # the session's identity map rather than queried again
    held = attempt.assignment, attempt.version  # noqa: F841
    lock_for_step(db, attempt)
    if repeated(attempt.steps, key):
        return early if attempt.steps == before else replay_attempt(attempt)
    check_editable(attempt, now)
    if len(attempt.steps) >= MAX_STEPS:
        raise InvalidInput(N_("This attempt is too long; submit it."))
    if action.startswith("goto:"):
        raise InvalidInput(N_("'%(action)s' cannot be done at this point of the visit."),
                           field="action", action=action)
    visit = early if attempt.steps == before else replay_attempt(attempt)
    seen = len(visit.events)
    attempt.steps = with_step(visit, attempt.steps, household, action, at, key)
    remember_replay(attempt.version, attempt.seed, attempt.steps, visit)
    receive_self_reports(attempt, visit, visit.events[seen:])
    db.flush()
    return visit


def receive_self_reports(attempt: Attempt, visit: Visit, events: Sequence[Any]) -> None:
    """A self-report the new step's time reached becomes its household's form in the
    attempt, as the household filled it in (`source` "self"), for the trainee to review; a
    form the trainee already started for that household is kept."""
    forms = self_reported_forms(attempt.forms, visit, events)
    if forms is not None:
        attempt.forms = forms


def self_reported_forms(forms: dict[str, Any], visit: Visit, events: Sequence[Any]
                        ) -> dict[str, Any] | None:
    """The attempt's `forms` with the self-reports received in `events` added (see
    `receive_self_reports`), or None when no new one arrived."""
    added = dict(forms)
    for event in events:
        sent = (visit.submitted(event.household)
                if event.kind == "self_report" and event.household not in added else None)
        if sent is not None:
            added[event.household] = {"record": sent[0],
                                      "complete": not r601.hard_errors(sent[0]),
                                      "confirmed": True, "source": "self",
                                      "received_on": (event.status or "").partition(":")[2]}
    return added if added != forms else None


def form_units(visit: Visit) -> list[str]:
    """Households that fill the short form R601 (not vacant, not HMT/foreign; a
    whole-household death, 999, its H4 only): the forms owed."""
    return grading_forms.form_units(visit)


def registered_all_died(attempt: Attempt) -> list[str]:
    """The units the trainee's register records as whole-household deaths (999)."""
    return [unit for unit, row in (attempt.register or {}).items()
            if row.get("status") == "all_died"]


def all_died_form(attempt: Attempt, unit: str) -> bool:
    """Whether the unit's R601 is a whole-household death's (户编号 999, only H4 filled):
    the trainee's register says so, and no form with persons was begun for it (that one is
    kept as it is, and the 复查 points out that the two disagree)."""
    record = (attempt.forms.get(unit) or {}).get("record") or {}
    return unit in registered_all_died(attempt) and not r601.real_persons(record)


def _met_form_units(visit: Visit) -> set[str]:
    """The households whose R601 opens once they are met: families and collective
    households (a whole-household death's opens by the register alone: nobody is met)."""
    return {unit for unit in form_units(visit) if visit.households[unit].truth.kind
            != "all_died"}


def r601_units(attempt: Attempt, visit: Visit) -> list[str]:
    """The units whose R601 the trainee may have, in the visiting order: those of the
    households that open theirs once met, those the trainee's register records as
    whole-household deaths and those whose form was begun, whatever really lives there (so
    neither a form opening nor its staying open tells what the trainee has not said)."""
    owed = _met_form_units(visit) | set(registered_all_died(attempt)) | set(attempt.forms)
    return [unit for unit in visit.households if unit in owed]


def shown_form_units(attempt: Attempt, visit: Visit) -> list[str]:
    """The R601 forms the attempt's page lists: those of households met in a visit, those
    whose form is already in the attempt (begun, or a self-report received) and those the
    register records as whole-household deaths. Listing every form owed would tell the
    trainee which units are vacant or HMT/foreign before any visit."""
    met, died = _met_form_units(visit), set(registered_all_died(attempt))
    return [unit for unit, state in visit.households.items()
            if unit in died or unit in attempt.forms or (unit in met and state.met)]


def save_form(db: Session, attempt: Attempt, unit: str, record: dict[str, Any], *,
              complete: bool, confirmed: bool, visit: Visit | None = None,
              now: datetime | None = None) -> list[Issue]:
    """Store a household's form as the trainee left it; its issues.

    A form marked complete must have no hard error, and its soft warnings must be confirmed;
    otherwise it is stored as a draft and the issues say why. `visit` is the attempt's
    replay when the caller already has it. The long form's items are kept for a sampled
    household only; the deaths H3/H4 are checked against are the household's rows of the
    area's death form (`death_rows_of`).
    """
    # The forms, the register and the tally are JSON columns rewritten whole: the row is
    # locked and read afresh first, so a save never drops what another (a second tab, a
    # retried autosave) stored meanwhile, nor lands after the attempt was submitted.
    lock_for_step(db, attempt)
    check_editable(attempt, now)
    visit = visit or replay_attempt(attempt)
    if unit not in r601_units(attempt, visit):
        raise NotFound(N_("No such form."))
    if all_died_form(attempt, unit):  # 999: H4 only, whatever else the page sent
        record = all_died_record(attempt, unit, record)
    else:
        record = long_form_record(record, sampled(visit, unit))
    record = with_death_rows(attempt, unit, record)  # H3/H4 are checked against them
    issues = r601.validate(record)
    done = _passes(issues, complete=complete, confirmed=confirmed)
    attempt.forms = {**attempt.forms, unit: {**attempt.forms.get(unit, {}), "record": record,
                                             "complete": done, "confirmed": confirmed}}
    db.flush()
    return issues


def all_died_record(attempt: Attempt, unit: str, posted: dict[str, Any]) -> dict[str, Any]:
    """A whole-household death's record: H4 as posted, marked 999, no person; what the
    stored record held besides (household items typed before the register said 999) kept
    for when the unit is a household again (`r601.as_filed` leaves it off the form)."""
    stored = (attempt.forms.get(unit) or {}).get("record") or {}
    return {**stored, **{item: posted.get(item) for item in r601.ALL_DIED_ITEMS},
            "all_died": True, "persons": []}


def with_death_rows(attempt: Attempt, unit: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record with the death form's rows its H3 and H4 are checked against, as the
    death form stands now (kept so whenever the death form or the register changes,
    `_sync_death_rows`): a household's rows are those of the 户编号 the register gives it; a
    whole-household death's, the rows numbered 999 while one unit is registered 999 (with
    more, theirs are not told apart: it has none, and H4 is not checked by them)."""
    rest = {key: value for key, value in record.items() if key != "deaths"}
    if not r601.all_died(record):
        return {**rest, "deaths": death_rows_of(attempt, unit)}
    if len(registered_all_died(attempt)) != 1:
        return rest
    return {**rest, "deaths": _rows_numbered(attempt, ALL_DIED_HOUSEHOLD_NUMBER)}


def _sync_all_died(attempt: Attempt) -> None:
    """Mark each stored R601 as the register has its unit: a whole-household death's form
    (999, H4 only) where the register says so and the form holds no person, else a
    household's; a form whose kind changed is a draft again (marked complete as the other
    kind, it was never checked as this one). Nothing typed is dropped (`all_died_record`)."""
    died = set(registered_all_died(attempt))
    forms = dict(attempt.forms)
    for unit, entry in attempt.forms.items():
        record = entry.get("record") or {}
        want = unit in died and not r601.real_persons(record)
        if want == r601.all_died(record):
            continue
        changed = {key: value for key, value in record.items() if key != "all_died"}
        if want:
            changed.update(all_died=True, persons=[])
        forms[unit] = {**entry, "record": changed, "complete": False}
    if forms != attempt.forms:
        attempt.forms = forms


def _sync_death_rows(attempt: Attempt) -> None:
    """Give each stored R601 the death form's rows as they stand (`with_death_rows`), so
    its checks (the page, the 复查, the grading) read the death form as it is, not as it was
    when the R601 was last saved."""
    forms = {unit: {**entry, "record": with_death_rows(attempt, unit, entry["record"])}
             if entry.get("record") is not None else entry
             for unit, entry in attempt.forms.items()}
    if forms != attempt.forms:
        attempt.forms = forms


def _passes(issues: list[Issue], *, complete: bool, confirmed: bool) -> bool:
    """Whether a form asked to be complete is: no hard error, and its warnings confirmed."""
    hard = any(i.severity == Severity.HARD for i in issues)
    soft = any(i.severity == Severity.SOFT for i in issues)
    return complete and not hard and (confirmed or not soft)


def hmt_units(visit: Visit) -> list[str]:
    """Households registered on the HMT/foreign form that the trainee has met: their form
    opens then (before, nothing has told the trainee who lives there)."""
    truths = {unit: state.truth for unit, state in visit.households.items()}
    return [unit for unit in grading_hmt.hmt_units(truths) if visit.households[unit].met]


def save_hmt_form(db: Session, attempt: Attempt, unit: str, record: dict[str, Any], *,
                  complete: bool, confirmed: bool, visit: Visit | None = None,
                  now: datetime | None = None) -> list[Issue]:
    """Store a household's HMT/foreign form as the trainee left it; its issues. Complete
    only without hard errors and with the warnings confirmed, as `save_form`."""
    lock_for_step(db, attempt)  # the column is rewritten whole: see save_form
    check_editable(attempt, now)
    if unit not in hmt_units(visit or replay_attempt(attempt)):
        raise NotFound(N_("No such form."))
    issues = hmt.validate(record)
    done = _passes(issues, complete=complete, confirmed=confirmed)
    attempt.hmt_forms = {**(attempt.hmt_forms or {}),
                         unit: {"record": record, "complete": done, "confirmed": confirmed}}
    db.flush()
    return issues


def sampled(visit: Visit, unit: str) -> bool:
    """Whether the unit's household is sampled for the long form (普查长表)."""
    household = visit.households[unit].truth.household
    return household is not None and household.long_form


def long_form_record(record: dict[str, Any], is_sampled: bool) -> dict[str, Any]:
    """The record with the long form's items H8-H18 for a sampled household (blank where
    not given) and without them otherwise, whatever the page sent."""
    short = {key: value for key, value in record.items() if key not in long_form.ITEMS}
    if not is_sampled:
        return short
    return {**short, **{item: record.get(item) for item in long_form.ITEMS}}


def save_register(db: Session, attempt: Attempt, rows: dict[str, dict[str, Any]], *,
                  partial: bool = False, now: datetime | None = None) -> list[Issue]:
    """Store the register as the trainee left it (unknown units dropped); its issues.

    `partial`: the rows of some units only (a building of the listing walk), merged into the
    saved register. A row's self-reporting code is never taken from the browser: it keeps
    the one generated for it (`issue_code`), if any.
    """
    lock_for_step(db, attempt)
    check_editable(attempt, now)
    units = set(scenario_of(attempt.version).assignment.units)
    saved = attempt.register or {}
    rows = {unit: {**row, "code": (saved.get(unit) or {}).get("code")}
            for unit, row in rows.items() if unit in units}
    attempt.register = {**saved, **rows} if partial else rows
    _sync_all_died(attempt)  # a unit's R601 is a 999 form or a household's as listed here
    _sync_death_rows(attempt)  # and its deaths are found by the number listed here
    db.flush()
    return list(register.validate(attempt.register, foreign_units(attempt)))


def foreign_units(attempt: Attempt, visit: Visit | None = None) -> set[str]:
    """The attempt's units whose household fills the HMT/foreign form, not the short form,
    and may therefore not report itself: those the trainee has met (`hmt_units`), since
    before that nothing has told them who lives there (a refusal would tell them)."""
    return set(hmt_units(visit or replay_attempt(attempt)))


def code_key(attempt: Attempt) -> str:
    """What an attempt's self-reporting codes are derived from (with the unit)."""
    return f"{attempt.id}:{attempt.seed}"


def issue_code(db: Session, attempt: Attempt, unit: str, *, now: datetime | None = None
               ) -> str:
    """Generate the 自主填报码 of a unit whose household chose self-reporting, and keep it in
    its register row (marked self-reporting); the same code every time. Refused for a
    household that may not report itself, as its row stands (collective, long-form sample)
    or because it fills the HMT/foreign form."""
    lock_for_step(db, attempt)
    check_editable(attempt, now)
    if unit not in scenario_of(attempt.version).assignment.units:
        raise NotFound(N_("No such unit."))
    row = dict((attempt.register or {}).get(unit) or {})
    if not register.self_reporting_allowed(row, unit in foreign_units(attempt)):
        raise InvalidInput(N_("This household may not report itself: collective, long-form "
                              "sample and HMT/foreign households are registered by the "
                              "enumerator."), field="code")
    row.update(code=register.self_code(code_key(attempt), unit), mode="self")
    attempt.register = {**(attempt.register or {}), unit: row}
    db.flush()
    return str(row["code"])


def save_tally(db: Session, attempt: Attempt, figures: dict[str, int | None], *,
               now: datetime | None = None) -> list[Issue]:
    """Store the quick tally as the trainee left it; its issues."""
    lock_for_step(db, attempt)
    check_editable(attempt, now)
    attempt.tally = {name: figures.get(name) for name in tally.FIELDS}
    db.flush()
    return list(tally.validate(attempt.tally))


def save_deaths(db: Session, attempt: Attempt, rows: list[dict[str, Any]], *, complete: bool,
                now: datetime | None = None) -> list[Issue]:
    """Store the area's death form (死亡人口调查表) as the trainee left it; its issues: the
    rows' own errors, then each household's H4 against its rows. Marked complete only with
    no error in the rows."""
    lock_for_step(db, attempt)
    check_editable(attempt, now)
    issues = list(deaths.validate_rows(rows))
    attempt.deaths = {"rows": rows, "complete": complete and not issues}
    _sync_death_rows(attempt)
    db.flush()
    return issues + death_checks(attempt)


def death_rows_of(attempt: Attempt, unit: str) -> list[dict[str, Any]]:
    """The death-form rows of a unit's household, found by the 户编号 the trainee's register
    gives it, as R601's totals check reads them (H3 and H4 against the deaths)."""
    number = (attempt.register.get(unit) or {}).get("number")
    return _rows_numbered(attempt, number) if isinstance(number, int) else []


def _rows_numbered(attempt: Attempt, number: int) -> list[dict[str, Any]]:
    """The death form's rows with this 户编号, as R601's totals check reads them."""
    return [{"sex": row.get("sex"), "birth": row.get("birth"), "died": row.get("died")}
            for row in (attempt.deaths or {}).get("rows") or [] if row.get("number") == number]


def death_checks(attempt: Attempt) -> list[Issue]:
    """The death form's rows against the H4 of the trainee's own forms, by the 户编号 the
    trainee's register gives each household (the whole-household deaths' 999 forms added up
    against the rows numbered 999: `recheck.deaths_against_h4`)."""
    records = {unit: entry.get("record") or {} for unit, entry in attempt.forms.items()}
    rows = (attempt.deaths or {}).get("rows") or []
    return [issue for issue, _unit in recheck.deaths_against_h4(records, attempt.register or {},
                                                                rows)]


def register_truth(visit: Visit) -> dict[str, dict[str, Any]]:
    """The true register of the attempt's units."""
    return grading_forms.register_truth(visit)


def submit(db: Session, attempt: Attempt, *, at: datetime | None = None) -> Attempt:
    """Submit and grade the attempt, and open its review (an exam waits for an examiner);
    submitting again changes nothing (idempotent). `at`: when it counts as submitted (now,
    or a timed sitting's deadline when it is submitted automatically)."""
    if attempt.status == AttemptStatus.SUBMITTED:
        return attempt
    if at is None:  # handed in after the time ran out: it counts as handed in at the end
        now, end = utc_now(), _timed(attempt)
        at = end if end is not None and now >= end else now
    grades.on_submit(db, attempt, replay_attempt(attempt))
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = at
    db.flush()
    review_services.open_review(db, attempt)
    return attempt


# Progress of a cohort on one assignment -----------------------------------------------------

def assignment_of(db: Session, cohort: Cohort, assignment_id: int) -> Assignment:
    """One of the cohort's assignments (any other is not found)."""
    assignment = db.get(Assignment, assignment_id)
    if assignment is None or assignment.cohort_id != cohort.id:
        raise NotFound(N_("No such exercise."))
    return assignment


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """Where one trainee of the cohort stands on an assignment (their latest attempt)."""

    trainee: User
    state: str  # "not_started", "in_progress" or "submitted"
    attempt: Attempt | None
    attempts: int
    time_left: timedelta | None  # a running timed sitting's
    timed_out: bool  # submitted automatically when the time ran out
    review: Review | None
    score: dict[str, Any] | None  # the automatic score
    counted: dict[str, Any] | None  # the released score once released, else the automatic

    @property
    def released(self) -> bool:
        """Whether the trainee has been shown the score."""
        return review_services.is_released(self.review)

    @property
    def returned(self) -> bool:
        """Whether an examiner sent the attempt back for correction."""
        return self.review is not None and self.review.status == ReviewStatus.RETURNED


def progress(db: Session, assignment: Assignment, now: datetime | None = None
             ) -> list[ProgressRow]:
    """Every trainee of the assignment's cohort, in the cohort's order, with their latest
    attempt: not started, in progress (steps, start, time left) or submitted (score,
    released or not, passed)."""
    now = now or utc_now()
    attempts: dict[int, list[Attempt]] = {}
    for each in db.scalars(select(Attempt).where(Attempt.assignment_id == assignment.id)
                           .order_by(Attempt.id.desc())):
        attempts.setdefault(each.trainee_id, []).append(each)
    latest = [mine[0] for mine in attempts.values()]
    reviews = {review.attempt_id: review for review in db.scalars(
        select(Review).where(Review.attempt_id.in_([a.id for a in latest])))} if latest else {}
    rows = []
    for trainee in assignment.cohort.trainees:
        mine = attempts.get(trainee.id, [])
        attempt = mine[0] if mine else None
        if attempt is None:
            rows.append(ProgressRow(trainee, "not_started", None, 0, None, False, None, None,
                                    None))
            continue
        review = reviews.get(attempt.id)
        submitted = attempt.status == AttemptStatus.SUBMITTED
        score = attempt.score if submitted else None
        released = review_services.is_released(review)
        counted = (review.released_score if released and review else None) or score
        rows.append(ProgressRow(trainee, "submitted" if submitted else "in_progress", attempt,
                                len(mine), time_left(attempt, now), timed_out(attempt, now),
                                review, score, counted))
    return rows
