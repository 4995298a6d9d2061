"""The HMT/foreign form page of the foreign-resident scenario: open once the household was met,
saved and autosaved, checked, refused with a 4xx on bad input, closed to other trainees,
read-only after submission and when a timed sitting is over, graded by `hmt_form`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.census import hmt
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

FOREIGN = project_root() / "scenarios" / "foreign-resident.yaml"
MEET = ("greet", "show_id", "use_interpreter", "book_appointment")


def assignment_for(db, make_user, trainee, **options):
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name=f"HMT {trainer.username}",
                                    trainer=trainer)
    cohort.trainees = [trainee]
    version = scenario_services.publish(db, loader.load(FOREIGN), actor=None)
    version = version or scenario_services.get_version(db, "foreign-resident")
    return services.assign(db, actor=trainer, cohort=cohort, version=version,
                           mode=options.pop("mode", Mode.PRACTICE), due_on=None, **options)


def met_attempt(db, trainee, assignment):
    """An attempt whose trainee has met Mr Kim at his door."""
    attempt = services.start_attempt(db, trainee, assignment)
    services.take_step(db, attempt, "kim", "knock", datetime(2020, 11, 9, 19, 0))
    for action in MEET:
        services.take_step(db, attempt, "kim", action, None)
    db.flush()
    return attempt


def body(csrf, record, **flags):
    """The POST body of the form page for a record."""
    data = {"csrf_token": csrf(), **{k: "" if v is None else str(v)
                                     for k, v in record.items() if k != "persons"}}
    for index, person in enumerate(record["persons"]):
        for key, value in person.items():
            data[f"persons-{index}-{key}"] = "" if value is None else str(value)
    data.update({k: "y" for k, v in flags.items() if v})
    return data


def truth_of(attempt):
    return hmt.record_of(services.replay_attempt(attempt).households["kim"].truth.household)


def test_the_form_opens_only_once_the_household_was_met(client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    assignment = assignment_for(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    url = f"/training/attempts/{attempt.id}/hmt/kim"
    assert client.get(url).status_code == 404  # nothing yet tells who lives there
    assert 'data-test="hmt-form-kim"' not in client.get(
        f"/training/attempts/{attempt.id}").get_data(as_text=True)
    met_attempt(db, trainee, assignment)
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="hmt-form-kim"' in page and "not started" in page
    form = client.get(url).get_data(as_text=True)
    assert 'data-test="hmt-form"' in form and 'name="persons-0-R7"' in form
    assert "韩国" in form  # offered in the countries' list
    assert client.get(f"/training/attempts/{attempt.id}/hmt/nobody").status_code == 404


def test_the_form_is_saved_checked_autosaved_and_graded(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = met_attempt(db, trainee, assignment_for(db, make_user, trainee))
    url = f"/training/attempts/{attempt.id}/hmt/kim"
    truth = truth_of(attempt)

    head_second = {**truth, "persons": list(reversed(truth["persons"]))}
    response = client.post(url, data=body(csrf, head_second, complete=True, confirmed=True))
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Not complete: correct the errors first (1)." in page
    assert "The first person must be the head (R2 = 0)." in page
    db.refresh(attempt)
    assert attempt.hmt_forms["kim"]["complete"] is False

    short = {**truth, "persons": [{**truth["persons"][0], "R7": 1, "R8": 1},
                                  truth["persons"][1]]}
    client.post(url, data=body(csrf, short, complete=True))
    page = client.get(url).get_data(as_text=True)
    assert "Not complete: confirm that you have checked the warnings." in page
    assert "confirm that 金敏俊 lives here" in page

    autosave = client.post(url, data=body(csrf, truth), headers={"HX-Request": "true"})
    assert autosave.status_code == 200 and "Saved at" in autosave.get_data(as_text=True)
    refused = client.post(url, data={**body(csrf, truth), "F3": "100000"},
                          headers={"HX-Request": "true"})
    assert "Not saved" in refused.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.hmt_forms["kim"]["record"] == truth  # the last good save is kept

    added = client.post(url, data={**body(csrf, truth), "add_person": "1"})
    assert added.status_code == 200 and 'data-test="person-2"' in added.get_data(as_text=True)

    assert client.post(url, data=body(csrf, truth, complete=True)).status_code == 302
    db.refresh(attempt)
    assert attempt.hmt_forms["kim"] == {"record": truth, "complete": True, "confirmed": False}
    assert "The form is complete." in client.get(url).get_data(as_text=True)
    services.submit(db, attempt)
    assert attempt.score["criteria"]["hmt_form"] == {"score": 1.0, "applicable": True,
                                                     "findings": []}


def test_bad_input_is_a_4xx_that_loses_nothing(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = met_attempt(db, trainee, assignment_for(db, make_user, trainee))
    url = f"/training/attempts/{attempt.id}/hmt/kim"
    truth = truth_of(attempt)
    assert client.post(url, data=body(csrf, truth)).status_code == 302
    for bad in ({"F3": "many"}, {"F3": "-5"}, {"persons-0-R7": "99"},
                {"persons-0-R1": "x" * 500}, {"persons-0-R4": "1988-04-02-x"},
                {"csrf_token": "forged"}):
        response = client.post(url, data={**body(csrf, truth), **bad})
        assert 400 <= response.status_code < 500, bad
    # out-of-range codes in a select never reach the record as anything but a refusal
    db.refresh(attempt)
    assert attempt.hmt_forms["kim"]["record"] == truth


def test_another_trainee_cannot_see_or_change_the_form(client, csrf, login_as, make_user, db):
    owner = make_user(Role.TRAINEE)
    attempt = met_attempt(db, owner, assignment_for(db, make_user, owner))
    login_as(Role.TRAINEE)
    url = f"/training/attempts/{attempt.id}/hmt/kim"
    assert client.get(url).status_code == 404
    assert client.post(url, data=body(csrf, truth_of(attempt))).status_code == 404
    login_as(Role.TRAINER)
    assert client.get(url).status_code == 403
    db.refresh(attempt)
    assert not attempt.hmt_forms


def test_after_submission_the_form_is_read_only_and_shows_its_findings(client, csrf, login_as,
                                                                       make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = met_attempt(db, trainee, assignment_for(db, make_user, trainee))
    url = f"/training/attempts/{attempt.id}/hmt/kim"
    truth = truth_of(attempt)
    wrong = {**truth, "persons": [{**truth["persons"][0], "R7": 3}]}  # wife left out
    client.post(url, data=body(csrf, wrong, complete=True))
    db.refresh(attempt)
    services.submit(db, attempt)
    db.flush()
    findings = attempt.score["criteria"]["hmt_form"]["findings"]
    assert [f["where"] for f in findings] == ["kim/persons[0]/R7", "kim/persons"]
    assert client.post(url, data=body(csrf, truth)).status_code == 409
    autosave = client.post(url, data=body(csrf, truth), headers={"HX-Request": "true"})
    assert autosave.status_code == 409
    db.refresh(attempt)
    assert attempt.hmt_forms["kim"]["record"] == wrong
    page = client.get(url).get_data(as_text=True)
    assert "<fieldset disabled" in page and 'data-test="save-form"' not in page
    assert 'name="persons-0-remove"' not in page  # nothing to remove once handed in
    assert page.count('data-test="graded"') == 2  # the practice debrief, at the fields
    debrief = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert f'href="/training/attempts/{attempt.id}/hmt/kim#persons-0-R7"' in debrief


def test_when_the_time_is_up_the_form_is_refused_and_kept(client, csrf, login_as, make_user,
                                                           db, monkeypatch):
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    monkeypatch.setattr(services, "utc_now", lambda: start)
    trainee = login_as(Role.TRAINEE)
    assignment = assignment_for(db, make_user, trainee, mode=Mode.EXAM, time_limit_minutes=30,
                                world="shared", today=start.date())
    attempt = met_attempt(db, trainee, assignment)
    url = f"/training/attempts/{attempt.id}/hmt/kim"
    truth = truth_of(attempt)
    assert client.post(url, data=body(csrf, truth), headers={"HX-Request": "true"}
                       ).status_code == 200
    monkeypatch.setattr(services, "utc_now", lambda: start + timedelta(minutes=31))
    autosave = client.post(url, data=body(csrf, {**truth, "F3": 1}),
                           headers={"HX-Request": "true"})
    assert autosave.status_code == 409 and autosave.headers["HX-Refresh"] == "true"
    assert "Time is up" in autosave.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.hmt_forms["kim"]["record"] == truth


def test_a_full_form_is_told_so_when_a_person_is_added(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = met_attempt(db, trainee, assignment_for(db, make_user, trainee))
    truth = truth_of(attempt)
    full = {**truth, "persons": [truth["persons"][0]] * 40}
    url = f"/training/attempts/{attempt.id}/hmt/kim"
    page = client.post(url, data=body(csrf, full, add_person=True))  # was a 500
    assert page.status_code == 200
    assert "The form holds at most 40 rows." in page.get_data(as_text=True)
    db.refresh(attempt)
    assert len(attempt.hmt_forms["kim"]["record"]["persons"]) == 40  # saved all the same


def test_the_register_does_not_tell_an_unmet_household_is_foreign(db, make_user):
    trainee = make_user(Role.TRAINEE)
    assignment = assignment_for(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    row = {"building": 3, "unit": 301, "number": 1, "head": "金", "status": "occupied",
           "present": 1, "away": 0, "kind": "family", "mode": "visit"}
    services.save_register(db, attempt, {"kim": row})
    # nothing has told the trainee who lives there: the code is made, no refusal says why
    assert services.issue_code(db, attempt, "kim")
    issues = services.save_register(db, attempt, {"kim": {**row, "mode": "self"}})
    assert not [i for i in issues if i.rule == "self_not_allowed"]
    met = met_attempt(db, trainee, assignment)
    services.save_register(db, met, {"kim": row})
    issues = services.save_register(db, met, {"kim": {**row, "mode": "self"}})
    assert [i for i in issues if i.rule == "self_not_allowed"]  # once met, it is known
