"""Every step locks the attempt's row first, with a step key or without: a step whose request
read the attempt before a submission committed (the periodic job submitting a timed exam at
its deadline, or the trainee's own submit from another tab) is refused, never appended to
the submitted attempt (PostgreSQL) nor failing on SQLite's stale snapshot.

Two sessions on a database of the test's own (a SQLite file, or a PostgreSQL database on the
test server, as the fault tests in test_faults_web.py), each committing for real; the
request's clock is given as `now`, so nothing here sleeps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import MultiDict

from tests.features.live_database import BASELINE, migrate, separate_database
from trainer.accounts import services as accounts
from trainer.accounts.models import Role, User
from trainer.core.errors import Conflict
from trainer.core.scenario import loader
from trainer.db import make_engine, make_sessionmaker, new_sqlite_transaction
from trainer.fieldwork import services, steps
from trainer.fieldwork.models import Attempt, AttemptStatus, Mode, World
from trainer.scenarios import services as scenario_services

START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
DEADLINE = START + timedelta(minutes=30)
KNOCK = ("wang", "knock", datetime(2020, 11, 2, 19, 0))
QUICK_KNOCK = {"household": "wang", "action": "knock", "day": "2020-11-02", "time": "19:00"}


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


def test_a_step_waits_for_the_lock_of_a_step_not_yet_committed(database):
    """Two keyless steps at the same time: the second reaches the lock while the first holds
    it (taken, not committed). It waits, then acts on the first's step (both are kept, in
    order). The test above lets the first commit before the second locks, which a reread
    alone would pass; here, without the lock (PostgreSQL's FOR UPDATE, SQLite's write taken
    first) the second would read the log without the knock, and greet a closed door or
    overwrite it (PostgreSQL), or fail on its stale snapshot (SQLite)."""
    attempt_id = started(database, Mode.PRACTICE)
    outcome: list[Any] = []

    def second_step() -> None:
        try:
            with database() as second:
                attempt = second.get(Attempt, attempt_id)
                assert attempt is not None
                services.take_step(second, attempt, "wang", "greet", None)
                second.commit()
                outcome.append("stored")
        except Exception as error:  # the assertion below shows it
            outcome.append(error)

    with database() as first:
        attempt = first.get(Attempt, attempt_id)
        assert attempt is not None
        services.take_step(first, attempt, *KNOCK)  # locked and written, not committed
        waiting = threading.Thread(target=second_step, daemon=True)
        waiting.start()
        waiting.join(timeout=1.5)
        assert waiting.is_alive() and outcome == []  # it waits on the first's lock
        first.commit()
    waiting.join(timeout=30)
    assert outcome == ["stored"]
    with database() as db:
        stored = db.get(Attempt, attempt_id)
        assert stored is not None
        assert [step["action"] for step in stored.steps] == ["knock", "greet"]


def rename_trainer(maker: sessionmaker[Session], _attempt_id: int) -> None:
    with maker() as db:
        db.execute(update(User).where(User.username == "lock-trainer").values(full_name="T"))
        db.commit()


def knock_meanwhile(maker: sessionmaker[Session], attempt_id: int) -> None:
    with maker() as db:
        services.take_step(db, db.get(Attempt, attempt_id), *KNOCK)
        db.commit()


def greet_meanwhile(maker: sessionmaker[Session], attempt_id: int) -> None:
    with maker() as db:
        services.take_step(db, db.get(Attempt, attempt_id), "wang", "greet", None)
        db.commit()


@pytest.mark.parametrize("meanwhile", [rename_trainer, greet_meanwhile])
def test_the_quick_path_after_another_commit_between_its_read_and_its_write(
        database, monkeypatch, meanwhile):
    """Another request commits after the quick path read: something else (the write lands,
    from the connection that read: on SQLite in a new transaction, since SQLite refuses a
    write from a snapshot older than a commit), or a step of the same attempt (the write
    finds the log grown and hands the step back to the general path, writing nothing)."""
    attempt_id = started(database, Mode.PRACTICE)
    with database() as db:
        trainee_id = db.get(Attempt, attempt_id).trainee_id
    knock = MultiDict({**QUICK_KNOCK, "step_key": "knock-key-1"})
    show_id = MultiDict({"household": "wang", "action": "show_id", "step_key": "show-id-1"})
    quick = steps._stepped
    connections: list[Any] = []

    def interrupted(*args: Any) -> Any:
        connections.append(request.connection())
        meanwhile(database, attempt_id)
        return quick(*args)

    def before_commit() -> None:  # written in a transaction still open: not seen outside
        connections.append(request.connection())
        with database() as other:
            seen.extend(step["action"] for step in other.get(Attempt, attempt_id).steps)

    seen: list[str] = []
    with database() as request:
        assert steps.quick_step(request, trainee_id, attempt_id, knock, lambda: None)
        monkeypatch.setattr(steps, "_stepped", interrupted)
        taken = steps.quick_step(request, trainee_id, attempt_id, show_id, before_commit)
    with database() as db:
        actions = [step["action"] for step in db.get(Attempt, attempt_id).steps]
    if meanwhile is rename_trainer:
        assert taken and actions == ["knock", "show_id"]
        assert len(connections) == 2 and connections[0] is connections[1]
        assert seen == ["knock"]
    else:
        assert not taken and actions == ["knock", "greet"]


def test_a_new_sqlite_transaction_sees_later_commits_on_the_same_connection(tmp_path):
    """(SQLite alone, in both test runs: PostgreSQL's quick path writes where it read.)"""
    url = f"sqlite:///{tmp_path / 'snapshot.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    try:
        attempt_id = started(maker, Mode.PRACTICE)
        with maker() as request:
            trainer = request.scalar(select(User).where(User.username == "lock-trainer"))
            trainer.full_name = "Renamed"  # a change not flushed yet
            new_sqlite_transaction(request)
            with maker() as other:  # flushed and committed, as db.commit() would have
                assert other.scalar(select(User.full_name).where(
                    User.username == "lock-trainer")) == "Renamed"
            assert request.scalar(select(Attempt.steps).where(Attempt.id == attempt_id)) == []
            before = request.connection()
            knock_meanwhile(maker, attempt_id)
            new_sqlite_transaction(request)
            assert request.connection() is before  # not handed back to the pool
            now = request.scalar(select(Attempt.steps).where(Attempt.id == attempt_id))
            assert [step["action"] for step in now] == ["knock"]  # a new snapshot
            request.execute(update(Attempt).where(Attempt.id == attempt_id)
                            .values(steps=[*now, {"action": "greet"}]))
            request.commit()
        with maker() as db:
            stored = db.get(Attempt, attempt_id).steps
            assert [step["action"] for step in stored] == ["knock", "greet"]
    finally:
        engine.dispose()
