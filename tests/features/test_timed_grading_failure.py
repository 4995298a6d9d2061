"""A timed exam whose time is up is submitted by the first request or the periodic job; when
grading it fails, the sitting is still handed in (with no score, its review awaiting an
examiner, who grades it again) and no page of the attempt fails.

Time is moved with a clock replacing the field work's one clock, as in
test_assignments_options.py; grading is made to fail with monkeypatch."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from tests.features.test_assignments_options import START, Clock, timed_exam
from trainer.accounts.models import Role
from trainer.fieldwork import grades, services
from trainer.fieldwork.models import AttemptStatus
from trainer.review import services as review_services
from trainer.review.models import ReviewStatus


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(START)
    monkeypatch.setattr(services, "utc_now", clock)
    return clock


@pytest.fixture
def grading_fails(monkeypatch):
    """Grading raises as a bug in a criterion would; the original is returned to restore it."""
    original = grades.on_submit

    def broken(*_args, **_kwargs):
        raise KeyError("a criterion's bug")

    monkeypatch.setattr(grades, "on_submit", broken)
    return lambda: monkeypatch.setattr(grades, "on_submit", original)


def assert_handed_in_ungraded(db, attempt):
    db.refresh(attempt)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.submitted_at == START + timedelta(minutes=30)  # dated at the deadline
    assert attempt.score is None and grades.grades_of(db, attempt) == []
    review = review_services.review_of(db, attempt)
    assert review is not None and review.status == ReviewStatus.AWAITING


def test_a_grading_failure_at_the_deadline_takes_no_page_down(client, csrf, login_as,
                                                               make_user, db, clock,
                                                               grading_fails, caplog):
    trainee = login_as(Role.TRAINEE)
    attempt = services.start_attempt(db, trainee, timed_exam(db, make_user, trainee))
    services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    steps = list(attempt.steps)
    clock.advance(minutes=30)
    base = f"/training/attempts/{attempt.id}"
    with caplog.at_level(logging.ERROR, logger="trainer.fieldwork.services"):
        page = client.get(base)
    assert page.status_code == 200
    assert "Time is up: your exam has been submitted" in page.get_data(as_text=True)
    assert f"grading timed-out attempt {attempt.id} failed" in caplog.text
    assert_handed_in_ungraded(db, attempt)
    assert attempt.steps == steps  # the work as it stood at the deadline
    for path in ("", "/register", "/tally", "/forms/wang"):
        assert client.get(base + path).status_code == 200, path
    step = client.post(f"{base}/steps", data={"household": "wang", "action": "greet",
                                              "csrf_token": csrf()})
    assert step.status_code == 409 and "Time is up" in step.get_data(as_text=True)
    assert client.post(f"{base}/submit", data={"csrf_token": csrf()}).status_code == 302
    db.refresh(attempt)
    assert attempt.submitted_at == START + timedelta(minutes=30)  # not submitted again

    grading_fails()  # restored: the examiner grades it again
    examiner = make_user(Role.EXAMINER)
    grade = grades.regrade(db, attempt, actor=examiner, rubric_version=attempt.version)
    assert grade is not None and grade.number == 1 and attempt.score == grade.data


def test_the_periodic_job_hands_the_exam_in_when_grading_fails(app, db, make_user, clock,
                                                               grading_fails):
    from trainer import tasks

    trainee = make_user(Role.TRAINEE)
    attempt = services.start_attempt(db, trainee, timed_exam(db, make_user, trainee))
    clock.advance(minutes=45)
    db.commit()
    with app.app_context():
        assert tasks.submit_timed_out.call_local() == [attempt.id]
        assert tasks.submit_timed_out.call_local() == []  # handed in once, not retried
    assert_handed_in_ungraded(db, attempt)


def test_a_database_failure_while_grading_is_not_hidden(db, make_user, clock, monkeypatch):
    """Only grading's own failures are handed in ungraded: a failing database is the
    request's retryable error (and the job's next run), with nothing submitted."""
    from sqlalchemy.exc import OperationalError

    def down(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    trainee = make_user(Role.TRAINEE)
    attempt = services.start_attempt(db, trainee, timed_exam(db, make_user, trainee))
    clock.advance(minutes=30)
    monkeypatch.setattr(grades, "on_submit", down)
    with pytest.raises(OperationalError):
        services.submit_if_timed_out(db, attempt)
