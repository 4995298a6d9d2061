"""Assignment options (issue 10, cohorts and assignments): whose world the trainees meet, the
opening day, an exam's time limit with its automatic submission, the progress view of an
assignment, and the assign form's checks.

Time is moved with the `clock` fixture, which replaces the field work's one clock
(`services.utc_now`); nothing here sleeps or depends on how fast the machine is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.errors import Conflict, InvalidInput
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus, Mode, World
from trainer.review import services as review_services
from trainer.scenarios import services as scenario_services

BASELINE = project_root() / "scenarios" / "cooperative-family.yaml"
START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 on 1 December in Beijing
KNOCK = {"household": "wang", "action": "knock", "day": "2020-11-02", "time": "19:00"}


class Clock:
    """A clock the test sets and moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(START)
    monkeypatch.setattr(services, "utc_now", clock)
    return clock


def baseline_version(db):
    version = scenario_services.publish(db, loader.load(BASELINE), actor=None)
    return version or scenario_services.get_version(db, "cooperative-family")


def cohort_of(db, make_user, *trainees, trainer=None):
    trainer = trainer or make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name=f"Options {trainer.username}",
                                    trainer=trainer)
    cohort.trainees = list(trainees)
    db.flush()
    return cohort


def assign(db, cohort, mode=Mode.EXAM, **options):
    return services.assign(db, actor=cohort.trainer, cohort=cohort, version=baseline_version(db),
                           mode=mode, due_on=None, **options)


def start(client, csrf, assignment):
    return client.post(f"/training/exercises/{assignment.id}/attempts",
                       data={"csrf_token": csrf()})


# Whose world ---------------------------------------------------------------------------------

def test_a_shared_world_gives_everyone_the_seed_drawn_at_assignment(db, make_user, clock):
    trainees = [make_user(Role.TRAINEE) for _ in range(3)]
    assignment = assign(db, cohort_of(db, make_user, *trainees), world=World.SHARED)
    assert assignment.world == "shared" and assignment.seed is not None
    seeds = {services.start_attempt(db, trainee, assignment).seed for trainee in trainees}
    assert seeds == {assignment.seed}


def test_a_per_trainee_world_is_stable_for_a_trainee_and_differs_between_them(db, make_user,
                                                                              clock):
    first, second = make_user(Role.TRAINEE), make_user(Role.TRAINEE)
    cohort = cohort_of(db, make_user, first, second)
    exam = assign(db, cohort, world=World.PER_TRAINEE)
    a, b = (services.start_attempt(db, t, exam) for t in (first, second))
    assert a.seed != b.seed
    assert a.seed == services.trainee_seed(exam.seed, first.id)  # derived, not drawn
    assert services.seed_of(exam, first) == a.seed  # the same on every call

    # the policy holds across attempts too (a practice row made without the form's checks,
    # since practice offers only a new world per attempt)
    repeatable = Assignment(cohort=cohort, version=exam.version, mode=Mode.PRACTICE,
                            world=World.PER_TRAINEE.value, seed=exam.seed + 1,
                            created_by=cohort.trainer)
    db.add(repeatable)
    db.flush()
    seeds = []
    for _ in range(3):
        attempt = services.start_attempt(db, first, repeatable)
        seeds.append(attempt.seed)
        services.submit(db, attempt)
    assert len(set(seeds)) == 1
    assert services.start_attempt(db, second, repeatable).seed != seeds[0]


def test_a_per_attempt_world_is_new_on_every_attempt(db, make_user, clock):
    trainee = make_user(Role.TRAINEE)
    practice = assign(db, cohort_of(db, make_user, trainee), Mode.PRACTICE,
                      world=World.PER_ATTEMPT)
    assert practice.seed is None
    seeds = []
    for _ in range(3):
        attempt = services.start_attempt(db, trainee, practice)
        seeds.append(attempt.seed)
        services.submit(db, attempt)
    assert len(set(seeds)) == 3


def test_the_scenarios_own_policy_stays_for_existing_assignments(db, make_user, clock):
    trainee = make_user(Role.TRAINEE)
    legacy = assign(db, cohort_of(db, make_user, trainee))
    assert legacy.world == "scenario" and legacy.seed is None
    fixed = loader.load(BASELINE).seed  # cooperative-family has a fixed seed
    assert services.start_attempt(db, trainee, legacy).seed == fixed


# Opening day ---------------------------------------------------------------------------------

def test_an_exercise_cannot_start_before_it_opens(client, csrf, login_as, make_user, db, clock):
    trainee = login_as(Role.TRAINEE)
    clock.now = datetime(2026, 12, 1, 15, 59, tzinfo=UTC)  # 23:59 on 1 December in Beijing
    exam = assign(db, cohort_of(db, make_user, trainee), opens_on=date(2026, 12, 2))

    page = client.get("/training").get_data(as_text=True)
    assert f'data-test="opens-{exam.id}"' in page and "opens on 2026-12-02" in page
    assert f'data-test="start-{exam.id}"' not in page
    refused = start(client, csrf, exam)
    assert refused.status_code == 409
    assert "This exercise opens on 2026-12-02" in refused.get_data(as_text=True)
    with pytest.raises(Conflict):
        services.start_attempt(db, trainee, exam)
    assert db.scalar(select(func.count(Attempt.id))) == 0

    clock.advance(minutes=1)  # midnight in Beijing: the opening day
    page = client.get("/training").get_data(as_text=True)
    assert f'data-test="start-{exam.id}"' in page and f'data-test="opens-{exam.id}"' not in page
    assert start(client, csrf, exam).status_code == 302
    assert db.scalar(select(func.count(Attempt.id))) == 1


# Time limit ----------------------------------------------------------------------------------

def timed_exam(db, make_user, trainee, minutes=30):
    return assign(db, cohort_of(db, make_user, trainee), time_limit_minutes=minutes,
                  world=World.SHARED)


def test_time_runs_out_refusing_every_save_and_submitting_once(client, csrf, login_as,
                                                               make_user, db, clock):
    trainee = login_as(Role.TRAINEE)
    exam = timed_exam(db, make_user, trainee)
    page = client.get("/training").get_data(as_text=True)
    assert "Time limit: 30 minutes" in page and "This exam is timed" in page
    attempt_id = int(start(client, csrf, exam).headers["Location"].rsplit("/", 1)[1])
    attempt = db.get(Attempt, attempt_id)
    assert attempt.started_at == START
    assert services.deadline_of(attempt) == START + timedelta(minutes=30)

    clock.advance(minutes=10)
    page = client.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert 'data-test="time-left"' in page and 'data-seconds-left="1200"' in page
    assert "20:00" in page and "fieldwork/countdown.js" in page
    saved = client.post(f"/training/attempts/{attempt_id}/steps",
                        data={**KNOCK, "step_key": "knock-key-1", "csrf_token": csrf()})
    assert saved.status_code == 302
    tally_url = f"/training/attempts/{attempt_id}/tally"
    assert client.post(tally_url, data={"csrf_token": csrf(), "households": "1"}
                       ).status_code == 302
    db.refresh(attempt)
    before = (list(attempt.steps), dict(attempt.tally), dict(attempt.register))

    clock.advance(minutes=20)  # the deadline itself: the time is up
    step = client.post(f"/training/attempts/{attempt_id}/steps",
                       data={"household": "wang", "action": "greet", "csrf_token": csrf()})
    assert step.status_code == 409
    assert "Time is up" in step.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.status == AttemptStatus.SUBMITTED  # by that request, before refusing it
    assert attempt.submitted_at == services.deadline_of(attempt)  # dated at the deadline
    assert attempt.score is not None
    assert review_services.review_of(db, attempt) is not None  # waiting for the examiner

    clock.advance(minutes=5)
    refusals = [
        client.post(tally_url, data={"csrf_token": csrf(), "households": "7"}),
        client.post(f"/training/attempts/{attempt_id}/register",
                    data={"csrf_token": csrf(), "rows-0-unit_id": "wang", "rows-0-number": "1"}),
        client.post(f"/training/attempts/{attempt_id}/forms/wang",
                    data={"csrf_token": csrf(), "H2a": "3"}),
    ]
    for response in refusals:
        assert response.status_code == 409
        assert "Time is up" in response.get_data(as_text=True)
    # told why, even when what was sent would be refused anyway
    invalid = client.post(tally_url, data={"csrf_token": csrf(), "households": "many"})
    assert invalid.status_code == 409 and "Time is up" in invalid.get_data(as_text=True)
    bad_step = client.post(f"/training/attempts/{attempt_id}/steps",
                           data={"household": "wang", "action": "goto:end",
                                 "csrf_token": csrf()})
    assert bad_step.status_code == 409 and "Time is up" in bad_step.get_data(as_text=True)
    # a retry of the step stored in time (its answer lost) is answered as the first was
    retry = client.post(f"/training/attempts/{attempt_id}/steps",
                        data={**KNOCK, "step_key": "knock-key-1", "csrf_token": csrf()})
    assert retry.status_code == 302
    autosave = client.post(tally_url, data={"csrf_token": csrf(), "households": "8"},
                           headers={"HX-Request": "true"})
    assert autosave.status_code == 409 and autosave.headers["HX-Refresh"] == "true"
    assert "Time is up" in autosave.get_data(as_text=True)
    db.refresh(attempt)
    assert (attempt.steps, attempt.tally, attempt.register) == before  # nothing lost or added
    assert attempt.forms == {}
    submitted_at = attempt.submitted_at
    client.post(f"/training/attempts/{attempt_id}/submit", data={"csrf_token": csrf()})
    db.refresh(attempt)
    assert attempt.submitted_at == submitted_at  # submitted once
    page = client.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert 'data-test="awaiting"' in page and 'data-test="time-left"' not in page


def test_opening_the_page_after_the_deadline_submits_the_exam(client, csrf, login_as, make_user,
                                                              db, clock):
    trainee = login_as(Role.TRAINEE)
    attempt = services.start_attempt(db, trainee, timed_exam(db, make_user, trainee, 5))
    clock.advance(hours=3)
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert "Time is up: your exam has been submitted" in page
    db.refresh(attempt)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.submitted_at == START + timedelta(minutes=5)


def test_the_periodic_job_submits_sittings_left_open(app, db, make_user, clock):
    from trainer import tasks

    trainees = [make_user(Role.TRAINEE) for _ in range(3)]
    cohort = cohort_of(db, make_user, *trainees)
    exam = assign(db, cohort, time_limit_minutes=30, world=World.PER_TRAINEE)
    late = services.start_attempt(db, trainees[0], exam)
    clock.advance(minutes=20)
    on_time = services.start_attempt(db, trainees[1], exam)  # still has 20 minutes
    untimed = services.start_attempt(db, trainees[2], assign(db, cohort, Mode.PRACTICE))
    clock.advance(minutes=10)
    db.commit()

    assert services.timed_out_attempts(db) == [late.id]
    with app.app_context():
        assert tasks.submit_timed_out.call_local() == [late.id]
        assert tasks.submit_timed_out.call_local() == []  # nothing twice
    for attempt in (late, on_time, untimed):
        db.refresh(attempt)
    assert late.status == AttemptStatus.SUBMITTED
    assert late.submitted_at == START + timedelta(minutes=30)
    assert on_time.status == untimed.status == AttemptStatus.IN_PROGRESS


def test_an_exam_returned_for_correction_is_not_timed_again(db, make_user, clock):
    trainee, examiner = make_user(Role.TRAINEE), make_user(Role.EXAMINER)
    attempt = services.start_attempt(db, trainee, timed_exam(db, make_user, trainee))
    clock.advance(hours=1)
    assert services.submit_if_timed_out(db, attempt)
    review = review_services.review_of(db, attempt)
    review_services.return_attempt(db, review, examiner, text="Fill in the tally.", link="")
    clock.advance(hours=1)
    assert services.time_left(attempt) is None and not services.timed_out(attempt)
    services.save_tally(db, attempt, {"households": 1})
    assert attempt.tally["households"] == 1


# Progress view -------------------------------------------------------------------------------

def progress_cohort(db, make_user, clock):
    """A cohort with a timed exam: one trainee not started, one in progress, one submitted
    (awaiting review) and one released."""
    trainer, examiner = make_user(Role.TRAINER), make_user(Role.EXAMINER)
    names = ("ann", "bob", "cai", "dai")
    trainees = [make_user(Role.TRAINEE, username=f"{name}-progress") for name in names]
    cohort = cohort_of(db, make_user, *trainees, trainer=trainer)
    cohort.examiners = [examiner]
    exam = assign(db, cohort, time_limit_minutes=45, world=World.SHARED)
    running = services.start_attempt(db, trainees[1], exam)
    services.take_step(db, running, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    for trainee in trainees[2:]:
        services.submit(db, services.start_attempt(db, trainee, exam))
    released = review_services.review_of(db, db.scalars(select(Attempt).where(
        Attempt.trainee_id == trainees[3].id)).one())
    review_services.release(db, released, examiner, link="")
    clock.advance(minutes=15)
    db.flush()
    return trainer, examiner, cohort, exam


def row_of(page, username):
    start = page.index(f'data-test="progress-row-{username}-progress"')
    return page[start:page.index("</tr>", start)]


def test_the_progress_view_shows_where_every_trainee_stands(client, login_as, make_user, db,
                                                            clock):
    trainer, _examiner, cohort, exam = progress_cohort(db, make_user, clock)
    login_as(user=trainer)
    exercises = client.get(f"/cohorts/{cohort.id}/exercises").get_data(as_text=True)
    url = f"/cohorts/{cohort.id}/exercises/{exam.id}/progress"
    assert f'href="{url}"' in exercises and "45 min" in exercises
    assert "the same for everyone" in exercises

    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "4 trainees: 1 not started, 1 in progress, 2 submitted." in page
    assert "Time limit: 45 minutes" in page
    assert 'data-state="not_started"' in row_of(page, "ann") and "not started" in row_of(
        page, "ann")
    running = row_of(page, "bob")
    assert 'data-state="in_progress"' in running
    assert "<td>1</td>" in running  # one step so far
    assert "30 min" in running  # 45 minutes, 15 gone
    awaiting, released = row_of(page, "cai"), row_of(page, "dai")
    assert 'data-state="submitted"' in awaiting and "not yet" in awaiting
    assert "provisional" in awaiting and "not passed" in awaiting
    assert "released" in released and "provisional" not in released
    assert "review/attempts" not in page  # a trainer does not open the examiners' pages


def test_the_progress_view_submits_a_sitting_whose_time_ran_out(client, login_as, make_user, db,
                                                                clock):
    trainer, _examiner, cohort, exam = progress_cohort(db, make_user, clock)
    login_as(user=trainer)
    clock.advance(hours=1)
    page = client.get(f"/cohorts/{cohort.id}/exercises/{exam.id}/progress").get_data(
        as_text=True)
    assert "4 trainees: 1 not started, 0 in progress, 3 submitted." in page
    assert "when the time ran out" in row_of(page, "bob")


def test_the_progress_view_is_for_the_cohorts_trainer_examiners_and_admins(
        client, login_as, make_user, db, clock):
    trainer, examiner, cohort, exam = progress_cohort(db, make_user, clock)
    url = f"/cohorts/{cohort.id}/exercises/{exam.id}/progress"
    for user, status in ((trainer, 200), (examiner, 200), (make_user(Role.ADMIN), 200),
                         (make_user(Role.TRAINER), 404), (make_user(Role.EXAMINER), 404),
                         (cohort.trainees[0], 403)):
        login_as(user=user)
        assert client.get(url).status_code == status, user.role
    login_as(user=examiner)
    assert "review/attempts" in client.get(url).get_data(as_text=True)  # links to the review
    other = cohort_of(db, make_user)
    other_exam = assign(db, other)
    login_as(user=trainer)  # an assignment of another cohort, under this cohort's address
    assert client.get(f"/cohorts/{cohort.id}/exercises/{other_exam.id}/progress"
                      ).status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/exercises/999999/progress").status_code == 404


# The assign form -----------------------------------------------------------------------------

def test_the_assign_form_stores_the_options(client, csrf, login_as, make_user, db, clock):
    trainer = login_as(Role.TRAINER)
    cohort = cohort_of(db, make_user, trainer=trainer)
    version = baseline_version(db)
    page = client.get(f"/cohorts/{cohort.id}/exercises").get_data(as_text=True)
    assert 'name="opens_on"' in page and 'name="time_limit_minutes"' in page
    assert 'name="world"' in page
    response = client.post(f"/cohorts/{cohort.id}/exercises", data={
        "version": str(version.id), "mode": "exam", "opens_on": "2026-12-03",
        "due_on": "2026-12-10", "time_limit_minutes": "40", "world": "per_trainee",
        "csrf_token": csrf()})
    assert response.status_code == 302
    [exam] = services.assignments_of(db, cohort)
    assert (exam.opens_on, exam.time_limit_minutes, exam.world) == (date(2026, 12, 3), 40,
                                                                    "per_trainee")
    assert exam.seed is not None
    practice = client.post(f"/cohorts/{cohort.id}/exercises", data={
        "version": str(version.id), "mode": "practice", "world": "per_attempt",
        "csrf_token": csrf()})
    assert practice.status_code == 302


@pytest.mark.parametrize(("fields", "message"), [
    ({"mode": "exam", "world": "per_attempt"}, "An exam gives each trainee one world"),
    ({"mode": "practice", "world": "shared"}, "Practice gives a new world for every attempt"),
    ({"mode": "practice", "world": "per_trainee"}, "Practice gives a new world"),
    ({"mode": "practice", "time_limit_minutes": "30"}, "A time limit is for exams only"),
    ({"mode": "exam", "time_limit_minutes": "0"}, "A time limit runs from 1 to 600 minutes."),
    ({"mode": "exam", "time_limit_minutes": "601"}, "A time limit runs from 1 to 600"),
    ({"mode": "exam", "time_limit_minutes": "half an hour"}, "Not a valid integer value"),
    ({"mode": "exam", "opens_on": "2026-11-30"}, "The opening date cannot be in the past."),
    ({"mode": "exam", "opens_on": "2026-12-09", "due_on": "2026-12-08"},
     "The exercise cannot open after it is due."),
    ({"mode": "exam", "world": "everyone-else"}, "Not a valid choice"),
])
def test_the_assign_form_refuses_options_that_do_not_fit(fields, message, client, csrf,
                                                         login_as, make_user, db, clock):
    trainer = login_as(Role.TRAINER)
    cohort = cohort_of(db, make_user, trainer=trainer)
    response = client.post(f"/cohorts/{cohort.id}/exercises", data={
        "version": str(baseline_version(db).id), "csrf_token": csrf(), **fields})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert services.assignments_of(db, cohort) == []


def test_the_services_check_the_options_too(db, make_user, clock):
    cohort = cohort_of(db, make_user)
    with pytest.raises(InvalidInput) as error:
        assign(db, cohort, Mode.PRACTICE, world="per_trainee")
    assert error.value.field == "world"
    with pytest.raises(InvalidInput):
        assign(db, cohort, world="nobody's")


# Demo ----------------------------------------------------------------------------------------

def test_the_demo_exam_is_timed_in_a_shared_world(app, db):
    from trainer.accounts import demo as accounts_demo
    from trainer.fieldwork import demo as fieldwork_demo
    from trainer.scenarios import demo as scenarios_demo

    with app.app_context():
        accounts_demo.seed(db)
        scenarios_demo.seed(db)
        fieldwork_demo.seed(db)
    exam = db.scalars(select(Assignment).where(Assignment.mode == Mode.EXAM)).one()
    assert exam.world == "shared" and exam.time_limit_minutes == 30
    assert {a.seed for a in db.scalars(select(Attempt).where(Attempt.assignment_id == exam.id))
            } == {exam.seed}
