"""The quick path of a dialogue step (trainer/fieldwork/steps.py): it takes a step exactly
when the general path would take it without a word, it reads the attempt once and writes it
once, and a write that finds the attempt changed since it was read (another step stored, or
a submission) is handed to the general path, which keeps both steps or refuses the late one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.errors import DomainError
from trainer.core.scenario import loader
from trainer.extensions import db_session
from trainer.fieldwork import services, steps
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus, Mode
from trainer.scenarios import replays
from trainer.scenarios import services as scenario_services
from trainer.scenarios.forms import TIMES, StepForm

BASELINE = project_root() / "scenarios" / "cooperative-family.yaml"
KNOCK = {"household": "wang", "action": "knock", "day": "2020-11-02", "time": "19:00"}
MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 3),
                       timezones=st.just(UTC))


@settings(deadline=None)
@given(status=st.sampled_from(AttemptStatus), started=MOMENTS,
       submitted=st.none() | MOMENTS, limit=st.none() | st.integers(0, 600), now=MOMENTS)
def test_the_quick_path_takes_a_step_exactly_when_the_general_path_says_nothing(
        status, started, submitted, limit, now):
    attempt = Attempt(status=status, started_at=started, submitted_at=submitted)
    attempt.assignment = Assignment(time_limit_minutes=limit)
    left = services.time_left(attempt, now)
    submits = left is not None and left == timedelta(0)  # submit_if_timed_out would act
    try:
        services.check_editable(attempt, now)
        refused = False
    except DomainError:
        refused = True
    assert steps.in_time(status, started, submitted, limit, now) == (
        not submits and not refused)


# Step forms as a browser or a hostile client may send them: the page's own values, blank and
# whitespace ones, near misses (a time off the half-hour, an impossible date, a key of the
# wrong length), anything at all, a field repeated or left out.
_VALUES = {
    "household": st.sampled_from(["wang", " ", "", "x" * 60, "x" * 61]) | st.text(max_size=70),
    "action": st.sampled_from(["greet", "knock", "phone_check", "goto:start", " ", "",
                               "a" * 80, "a" * 81]) | st.text(max_size=90),
    "day": st.sampled_from(["2020-11-02", "2020-2-30", "2020-11-2", " ", "", "11/02/2020"])
    | st.text(max_size=12),
    "time": st.sampled_from([*TIMES[:3], "19:00", "19:15", "7:00", " ", ""]) | st.text(max_size=6),
    "step_key": st.sampled_from(["quick-step-1", "short", "k" * 64, "k" * 65, "bad key!", "",
                                 " ", "abcdefgh\n"]) | st.text(max_size=70),
}


@st.composite
def step_forms(draw: Any) -> MultiDict:
    form = MultiDict()
    for name, values in _VALUES.items():
        for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2]))):
            form.add(name, draw(values))
    return form


@settings(deadline=None, max_examples=400,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the app is only read
@given(formdata=step_forms())
def test_whatever_the_quick_path_reads_from_a_step_form_the_step_form_accepts_alike(
        app, formdata):
    given = steps.read_form(formdata)
    if given is None:
        return  # the general path's StepForm answers it
    with app.test_request_context("/", method="POST"):
        form = StepForm(formdata=formdata, meta={"csrf": False})
        assert form.validate(), form.errors
        assert form.knock_time() == (True, given.at)
        assert (form.household.data, form.action.data, form.step_key.data or None) == (
            given.household, given.action, given.key)


def test_the_quick_path_reads_the_forms_the_visit_page_sends():
    offer = steps.read_form(MultiDict({"household": "wang", "action": "greet",
                                       "step_key": "quick-step-1", "csrf_token": "t"}))
    assert offer == steps.StepInput("wang", "greet", None, "quick-step-1")
    knock = steps.read_form(MultiDict({**KNOCK, "step_key": "quick-step-2"}))
    assert knock == steps.StepInput("wang", "knock", datetime(2020, 11, 2, 19), "quick-step-2")
    # left to StepForm: a knock without its time, a jump, a repeated field
    assert steps.read_form(MultiDict({"household": "wang", "action": "knock"})) is None
    assert steps.read_form(MultiDict({"household": "wang", "action": "goto:start"})) is None
    assert steps.read_form(MultiDict([("household", "wang"), ("household", "li"),
                                      ("action", "greet")])) is None


@pytest.fixture
def attempt(db, make_user, login_as) -> Attempt:
    replays.REPLAYS.clear()
    trainee = login_as(Role.TRAINEE)
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Quick", trainer=trainer)
    cohort.trainees = [trainee]
    version = scenario_services.publish(db, loader.load(BASELINE), actor=None) or (
        scenario_services.get_version(db, "cooperative-family"))
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                 mode=Mode.PRACTICE, due_on=None)
    started = services.start_attempt(db, trainee, assignment)
    db.flush()
    return started


def stored(db, attempt_id: int) -> Attempt:
    db.expire_all()
    row = db.get(Attempt, attempt_id)
    assert row is not None
    return row


def test_a_step_reads_the_attempt_once_and_writes_it_once(client, csrf, db, attempt,
                                                          connection):
    path = f"/training/attempts/{attempt.id}/steps"
    assert client.post(path, data={"csrf_token": csrf(), **KNOCK}).status_code == 302
    before = stored(db, attempt.id).updated_at
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "attempts" in statement:
            statements.append(statement.split()[0].upper())

    event.listen(connection, "before_cursor_execute", seen)
    try:
        response = client.post(path, data={"csrf_token": csrf(), "household": "wang",
                                           "action": "greet", "step_key": "quick-step-1"})
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert response.status_code == 302
    assert statements == ["SELECT", "UPDATE"]
    row = stored(db, attempt.id)
    assert [s["action"] for s in row.steps] == ["knock", "greet"]
    assert row.updated_at > before  # the column's own update default still applies


def another_step(db, attempt_id: int) -> None:
    row = db.get(Attempt, attempt_id)
    services.take_step(db, row, "wang", "greet", None)


def submission(db, attempt_id: int) -> None:
    row = db.get(Attempt, attempt_id)
    services.submit(db, row)


@pytest.mark.parametrize("meanwhile", [another_step, submission], ids=["step", "submit"])
def test_a_write_that_finds_the_attempt_changed_goes_the_general_way(
        client, csrf, db, attempt, monkeypatch, meanwhile):
    path = f"/training/attempts/{attempt.id}/steps"
    assert client.post(path, data={"csrf_token": csrf(), **KNOCK}).status_code == 302
    quick = steps._stepped

    written: list[Any] = []

    def interrupted(*args: Any) -> Any:  # another request commits after this one read
        other = db_session()  # (the test's connection is one: the request's session does it)
        meanwhile(other, attempt.id)
        other.commit()
        written.append(quick(*args))
        return written[-1]

    monkeypatch.setattr(steps, "_stepped", interrupted)
    response = client.post(path, data={"csrf_token": csrf(), "household": "wang",
                                       "action": "show_id", "step_key": "late-step-1"})
    monkeypatch.setattr(steps, "_stepped", quick)
    assert len(written) == 1 and written[0] is not None  # the quick path tried to write
    row = stored(db, attempt.id)
    actions = [s["action"] for s in row.steps]
    if meanwhile is another_step:
        assert response.status_code == 302
        assert actions == ["knock", "greet", "show_id"]  # both kept, in order
    else:
        assert response.status_code == 409
        assert actions == ["knock"] and row.status == AttemptStatus.SUBMITTED


def test_a_repeated_key_is_stored_once(client, csrf, db, attempt):
    path = f"/training/attempts/{attempt.id}/steps"
    form = {"csrf_token": csrf(), **KNOCK, "step_key": "the-same-key-1"}
    assert [client.post(path, data=form).status_code for _ in range(3)] == [302] * 3
    assert [s.get("key") for s in stored(db, attempt.id).steps] == ["the-same-key-1"]
