"""The 复查 page: a trainee's own inconsistencies listed, linked to the place to fix them, never
the truth; only the attempt's trainee may open it; still shown after submission."""

from __future__ import annotations

import copy

from trainer.accounts.models import Role
from trainer.core.census import r601, tally
from trainer.fieldwork import services
from trainer.fieldwork.models import Attempt

from .test_fieldwork import setup_cohort


def own_work(db, attempt: Attempt, *, head: str, register_head: str) -> dict:
    """A complete form for `wang` whose head is `head`, and a register row naming
    `register_head`; the tally left undone. Returns the true record (for the test only)."""
    visit = services.replay_attempt(attempt)
    truth = r601.record_of(visit.households["wang"].truth.household)
    record = copy.deepcopy(truth)
    record["persons"][0]["D1"] = head
    services.save_form(db, attempt, "wang", record, complete=True, confirmed=True)
    state = visit.households["wang"].truth
    services.save_register(db, attempt, {"wang": {
        "building": state.building, "unit": state.unit, "number": 2, "head": register_head,
        "status": "occupied", "present": record["H2a"], "away": record["H2b"],
        "mode": "visit", "kind": "family"}})
    return truth


def test_a_trainee_sees_their_own_inconsistencies_linked_never_the_truth(
        client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _trainer, _cohort, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    empty = client.get(f"/training/attempts/{attempt.id}/check")
    assert empty.status_code == 200
    assert 'data-test="recheck-empty"' in empty.get_data(as_text=True)

    truth = own_work(db, attempt, head="张三丰", register_head="李四")
    page = client.get(f"/training/attempts/{attempt.id}/check").get_data(as_text=True)
    assert 'data-test="recheck-empty"' not in page
    assert 'data-test="group-register"' in page and 'data-test="group-tally"' in page
    # the register's head against the form's, and the numbering from 1
    assert "李四" in page and "张三丰" in page
    assert f'href="/training/attempts/{attempt.id}/register#register-wang"' in page
    assert 'data-where="register/wang/head"' in page
    assert 'data-where="register/wang/number"' in page  # number 1 is skipped
    assert f'href="/training/attempts/{attempt.id}/tally"' in page  # the tally not done
    assert truth["persons"][0]["D1"] not in page  # the true head is never shown

    services.save_tally(db, attempt, {**tally.from_forms([attempt.forms["wang"]["record"]]),
                                      "households": 3})
    page = client.get(f"/training/attempts/{attempt.id}/check").get_data(as_text=True)
    assert f'href="/training/attempts/{attempt.id}/tally#households"' in page

    attempt_page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert f'href="/training/attempts/{attempt.id}/check"' in attempt_page
    tally_page = client.get(f"/training/attempts/{attempt.id}/tally").get_data(as_text=True)
    assert f'href="/training/attempts/{attempt.id}/check"' in tally_page


def test_a_form_error_links_to_its_field_and_stays_listed_after_submission(
        client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _trainer, _cohort, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    visit = services.replay_attempt(attempt)
    record = r601.record_of(visit.households["wang"].truth.household)
    record["persons"][0]["D4"] = 3 - record["persons"][0]["D4"]  # sex against the ID number
    services.save_form(db, attempt, "wang", record, complete=True, confirmed=True)
    services.submit(db, attempt)
    response = client.get(f"/training/attempts/{attempt.id}/check")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-where="wang/persons[0]/D4"' in page
    assert f'href="/training/attempts/{attempt.id}/forms/wang#persons-0-D4"' in page
    assert 'data-where="wang"' in page  # the form was refused as complete: still a draft


def test_others_cannot_open_the_page(client, login_as, make_user, db):
    owner = make_user(Role.TRAINEE)
    _trainer, cohort, assignment = setup_cohort(db, make_user, owner)
    attempt = services.start_attempt(db, owner, assignment)
    intruder = login_as(Role.TRAINEE)
    cohort.trainees = [owner, intruder]
    db.flush()
    assert client.get(f"/training/attempts/{attempt.id}/check").status_code == 404
    assert client.get("/training/attempts/999999/check").status_code == 404
    for role in (Role.EXAMINER, Role.TRAINER, Role.ADMIN):
        login_as(role)
        assert client.get(f"/training/attempts/{attempt.id}/check").status_code == 403


def test_a_listed_household_whose_form_is_not_begun_is_found(client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _trainer, _cohort, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    visit = services.replay_attempt(attempt)
    state = visit.households["wang"].truth
    services.save_register(db, attempt, {"wang": {
        "building": state.building, "unit": state.unit, "number": 1, "head": "王",
        "status": "occupied", "present": 3, "away": 0, "mode": "visit", "kind": "family"}})
    page = client.get(f"/training/attempts/{attempt.id}/check",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The register lists this household (3 persons living here) but its form has not " \
           "been started." in page
    assert 'data-where="forms"' in page  # not met yet: its form does not open
    assert (f'href="/training/attempts/{attempt.id}#forms" data-test="fix">Fill it in</a>'
            in page)  # a paper not begun is filled in, not corrected
    assert 'id="forms"' in client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
