"""Demo content for `make run`: exercises for the demo cohort and an attempt already done.

trainee2's attempt is a realistic one to look at: the doorstep done by the book but the son
away never probed for, so his record is missing from the form and H2b is 0, while the register
(listed before the visit) still counts him: the debrief shows the omission, the wrong item and
the register that disagrees with the form, each linked to its place.

trainee has given the Zhangs of the privacy exercise self-reporting: their form has arrived
(with the floor area and an education level wrong) and waits for review.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts.demo import DEMO_COHORT
from trainer.accounts.models import Cohort
from trainer.accounts.services import user_by_username
from trainer.core.census import r601
from trainer.fieldwork import services
from trainer.fieldwork.models import Assignment, Mode, World
from trainer.scenarios import services as scenario_services

EXERCISES = (("cooperative-family", Mode.PRACTICE, 14),  # due in so many days from seeding
             ("nobody-home-revisit", Mode.PRACTICE, 21),
             ("suspicious-credentials", Mode.EXAM, 28),
             ("privacy-self-report", Mode.PRACTICE, 35),
             ("foreign-resident", Mode.PRACTICE, 42),  # the HMT/foreign form
             ("hukou-elsewhere", Mode.PRACTICE, 49),  # a long-form household, a death form
             ("village-map", Mode.PRACTICE, 56),  # the small-area map drawn in the listing
             ("whole-household-death", Mode.PRACTICE, 63),  # a 999 form (H4 only)
             ("around-the-standard-time", Mode.PRACTICE, 70),  # a death after 11-01 00:00
             ("studying-abroad", Mode.PRACTICE, 77))  # D7 = 7 abroad, one settled abroad
MAP_EXERCISE = "village-map"
# the exam shows a newcomer the exam options: one world shared by everyone, a time limit
OPTIONS: dict[str, dict[str, Any]] = {
    "suspicious-credentials": {"world": World.SHARED, "time_limit_minutes": 30}}
DONE = (("knock", datetime(2020, 11, 2, 19, 0)), ("greet", None), ("show_id", None),
        ("explain_purpose", None), ("explain_legal_basis", None),
        ("promise_confidentiality", None), ("ask_item:roster", None), ("read_back", None))


EXAM_DONE = (("knock", datetime(2020, 11, 9, 19, 0)), ("greet", None), ("show_id", None),
             ("explain_purpose", None), ("explain_legal_basis", None),
             ("promise_confidentiality", None))


SELF_REPORTED = (("knock", datetime(2020, 11, 3, 19, 0)), ("show_id", None),
                 ("promise_confidentiality", None), ("answer_concern:privacy", None),
                 ("offer_self_report", None))


def _self_report_to_review(db: Session, cohort: Cohort, trainee: Any) -> None:
    """trainee's privacy exercise: the household chose self-reporting and its form arrived."""
    assignment = next((a for a in services.assignments_of(db, cohort)
                       if a.version.scenario_id == "privacy-self-report"), None)
    if assignment is None:
        return
    attempt = services.start_attempt(db, trainee, assignment)
    for action, at in SELF_REPORTED:
        services.take_step(db, attempt, "zhang", action, at)


def _exam_for_review(db: Session, cohort: Cohort, trainee: Any) -> None:
    """trainee2 has also submitted the exam, so the examiner's queue has an attempt in it."""
    exam = db.scalars(select(Assignment).where(Assignment.cohort_id == cohort.id,
                                               Assignment.mode == Mode.EXAM)).first()
    if exam is None:
        return
    attempt = services.start_attempt(db, trainee, exam)
    visit = services.replay_attempt(attempt)
    household = next(iter(visit.households))
    for action, at in EXAM_DONE:  # as far as the respondent lets the visit go
        if action in {offer.key for offer in visit.offers(household)}:
            visit = services.take_step(db, attempt, household, action, at)
    services.submit(db, attempt)


def _map_exercise(db: Session, cohort: Cohort) -> None:
    """The map exercise joins a demo cohort seeded before it existed (seeding is idempotent)."""
    if any(a.version.scenario_id == MAP_EXERCISE for a in services.assignments_of(db, cohort)):
        return
    scenario_id, mode, days = next(e for e in EXERCISES if e[0] == MAP_EXERCISE)
    today = date.today()
    services.assign(db, actor=cohort.trainer, cohort=cohort, mode=mode,
                    due_on=today + timedelta(days=days), today=today,
                    version=scenario_services.get_version(db, scenario_id))


def seed(db: Session) -> str:
    """Assign three exercises to the demo cohort (the exam timed, in one shared world);
    trainee2 has submitted the first (a practice, its debrief shown) and the exam (waiting
    for the examiner)."""
    cohort = db.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT))
    if cohort is None:
        return "exercises: no demo cohort"
    if not services.assignments_of(db, cohort):
        today = date.today()
        for scenario_id, mode, days in EXERCISES:
            services.assign(db, actor=cohort.trainer, cohort=cohort, mode=mode,
                            due_on=today + timedelta(days=days), today=today,
                            version=scenario_services.get_version(db, scenario_id),
                            **OPTIONS.get(scenario_id, {}))
        first = db.scalars(select(Assignment).where(Assignment.cohort_id == cohort.id)
                           .order_by(Assignment.id)).first()
        trainee2 = user_by_username(db, "trainee2")
        if first is not None and trainee2 is not None:
            attempt = services.start_attempt(db, trainee2, first)
            for action, at in DONE:
                services.take_step(db, attempt, "wang", action, at)
            truth = services.replay_attempt(attempt).households["wang"].truth.household
            if truth is not None:  # the form as the household told it (the son away left out)
                record = r601.record_of(truth)
                record["persons"] = [p for p in record["persons"] if p["D7"] == 1]
                record["H2b"] = 0
                services.save_form(db, attempt, "wang", record, complete=True, confirmed=True)
                # the register as listed before the visit: right, so it disagrees with the form
                services.save_register(db, attempt, services.register_truth(
                    services.replay_attempt(attempt)))
            services.submit(db, attempt)
            _exam_for_review(db, cohort, trainee2)
        trainee = user_by_username(db, "trainee")
        if trainee is not None:
            _self_report_to_review(db, cohort, trainee)
    _map_exercise(db, cohort)
    return f"exercises: {len(services.assignments_of(db, cohort))} for {cohort.name}"
