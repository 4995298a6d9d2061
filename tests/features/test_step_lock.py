"""Every step locks the attempt's row first, with a step key or without: a step whose request
read the attempt before a submission committed (the periodic job submitting a timed exam at
its deadline, or the trainee's own submit from another tab) is refused, never appended to
the submitted attempt (PostgreSQL) nor failing on SQLite's stale snapshot.

Two sessions on a database of the test's own (a SQLite file, or a PostgreSQL database on the
test server, as the fault tests in test_faults_web.py), each committing for real; the
request's clock is given as `now`, so nothing here sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.features.live_database import BASELINE, migrate, separate_database
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.errors import Conflict
from trainer.core.scenario import loader
from trainer.db import make_engine, make_sessionmaker
from trainer.fieldwork import services
from trainer.fieldwork.models import Attempt, AttemptStatus, Mode, World
from trainer.scenarios import services as scenario_services

START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
DEADLINE = START + timedelta(minutes=30)
KNOCK = ("wang", "knock", datetime(2020, 11, 2, 19, 0))


@pytest.fixture
def database(tmp_path, tmp_path_factory) -> Iterator[sessionmaker[Session]]:
    with separate_database(tmp_path, tmp_path_factory, "steplock") as url:
        migrate(url)
        engine = make_engine(url)
        try:
            yield make_sessionmaker(engine)
        finally:
            engine.dispose()


def started(maker: sessionmaker[Session], mode: Mode) -> int:
    """A committed attempt at an exam timed to 30 minutes, or at a practice, started at START."""
    with maker() as db:
        trainer, _ = accounts.create_user(db, actor=None, username="lock-trainer",
                                          full_name="Trainer", role=Role.TRAINER,
                                          password="correct-horse-battery")
        trainee, _ = accounts.create_user(db, actor=None, username="lock-trainee",
                                          full_name="Trainee", role=Role.TRAINEE,
                                          password="correct-horse-battery")
        cohort = accounts.create_cohort(db, actor=trainer, name="Locks", trainer=trainer)
        cohort.trainees = [trainee]
        version = scenario_services.publish(db, loader.load(BASELINE), actor=None)
        assert version is not None
        timed = mode == Mode.EXAM
        assignment = services.assign(
            db, actor=trainer, cohort=cohort, version=version, mode=mode, due_on=None,
            today=START.date(), time_limit_minutes=30 if timed else None,
            world=World.SHARED if timed else World.SCENARIO)
        attempt = services.start_attempt(db, trainee, assignment, now=START)
        db.commit()
        return attempt.id


def submit_meanwhile(maker: sessionmaker[Session], attempt_id: int, mode: Mode) -> None:
    """The other party's submission, committed: the job at the deadline, or the trainee."""
    with maker() as db:
        if mode == Mode.EXAM:
            assert services.submit_timed_out(db, attempt_id, now=DEADLINE)
        else:
            attempt = db.get(Attempt, attempt_id)
            assert attempt is not None
            services.submit(db, attempt)
        db.commit()


@pytest.mark.parametrize("mode", [Mode.EXAM, Mode.PRACTICE], ids=["job-at-deadline", "submit"])
def test_a_step_without_a_key_cannot_land_after_a_submission(database, mode):
    attempt_id = started(database, mode)
    with database() as request:
        attempt = request.get(Attempt, attempt_id)  # the step's request has read it, in time
        assert attempt is not None and attempt.status == AttemptStatus.IN_PROGRESS
        in_time = DEADLINE - timedelta(seconds=1)
        services.check_editable(attempt, in_time)
        submit_meanwhile(database, attempt_id, mode)
        with pytest.raises(Conflict) as refused:  # TimeUp for the exam
            services.take_step(request, attempt, *KNOCK, now=in_time)
        assert isinstance(refused.value, services.TimeUp) == (mode == Mode.EXAM)
        request.rollback()
    with database() as db:
        stored = db.get(Attempt, attempt_id)
        assert stored is not None and stored.status == AttemptStatus.SUBMITTED
        assert stored.steps == [] and stored.score is not None  # graded as it was submitted


def test_a_step_without_a_key_sees_the_steps_stored_meanwhile(database):
    """Two keyless steps, the second read before the first was committed: both are kept, in
    order (without the lock the second would overwrite the first on PostgreSQL)."""
    attempt_id = started(database, Mode.PRACTICE)
    with database() as second:
        late = second.get(Attempt, attempt_id)
        assert late is not None and late.steps == []
        with database() as first:
            attempt = first.get(Attempt, attempt_id)
            assert attempt is not None
            services.take_step(first, attempt, *KNOCK)
            first.commit()
        services.take_step(second, late, "wang", "greet", None)
        second.commit()
    with database() as db:
        stored = db.get(Attempt, attempt_id)
        assert stored is not None
        assert [step["action"] for step in stored.steps] == ["knock", "greet"]
