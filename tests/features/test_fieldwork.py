"""Exercises and attempts: assign, start, resume, step, submit (idempotent), exam rules."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus, Mode
from trainer.scenarios import services as scenario_services

BASELINE = project_root() / "scenarios" / "cooperative-family.yaml"
BEST = ("greet", "show_id", "explain_purpose", "explain_legal_basis", "promise_confidentiality",
        "ask_item:roster", "probe:members_away", "read_back")


def setup_cohort(db, make_user, trainee, mode=Mode.PRACTICE):
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name=f"Cohort {mode}", trainer=trainer)
    cohort.trainees = [trainee]
    version = scenario_services.publish(db, loader.load(BASELINE), actor=None)
    version = version or scenario_services.get_version(db, "cooperative-family")
    return trainer, cohort, services.assign(db, actor=trainer, cohort=cohort, version=version,
                                            mode=mode, due_on=None)


def step(client, csrf, attempt_id, action, **extra):
    return client.post(f"/training/attempts/{attempt_id}/steps",
                       data={"household": "wang", "action": action, "csrf_token": csrf(),
                             **extra})


def test_trainer_assigns_through_the_form(client, csrf, login_as, make_user, db):
    trainer = login_as(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Form cohort", trainer=trainer)
    version = scenario_services.publish(db, loader.load(BASELINE), actor=None)
    page = client.get(f"/cohorts/{cohort.id}/exercises").get_data(as_text=True)
    assert "A cooperative family" in page or "配合的家庭" in page
    response = client.post(f"/cohorts/{cohort.id}/exercises",
                           data={"version": str(version.id), "mode": "exam",
                                 "due_on": "2026-12-15", "csrf_token": csrf()})
    assert response.status_code == 302
    [assignment] = services.assignments_of(db, cohort)
    assert assignment.mode == Mode.EXAM and assignment.due_on.isoformat() == "2026-12-15"
    bad = client.post(f"/cohorts/{cohort.id}/exercises",
                      data={"version": "999999", "mode": "exam", "csrf_token": csrf()})
    assert bad.status_code == 400
    again = client.post(f"/cohorts/{cohort.id}/exercises",
                        data={"version": str(version.id), "mode": "exam", "csrf_token": csrf()})
    assert again.status_code == 409 and "already assigned" in again.get_data(as_text=True)
    past = client.post(f"/cohorts/{cohort.id}/exercises",
                       data={"version": str(version.id), "mode": "practice",
                             "due_on": "2020-01-01", "csrf_token": csrf()})
    assert past.status_code == 400 and "cannot be in the past" in past.get_data(as_text=True)
    assert db.scalar(select(func.count(Assignment.id))) == 1


def test_another_trainers_cohort_is_not_theirs(client, csrf, login_as, make_user, db):
    login_as(Role.TRAINER)
    other = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=other, name="Not mine", trainer=other)
    assert client.get(f"/cohorts/{cohort.id}/exercises").status_code == 404


def test_trainee_does_an_exercise_resumes_and_submits_once(client, csrf, login_as,
                                                           make_user, db):
    trainee = login_as(Role.TRAINEE)
    _trainer, _cohort, assignment = setup_cohort(db, make_user, trainee)
    page = client.get("/training").get_data(as_text=True)
    assert f'data-test="exercise-{assignment.id}"' in page
    first = client.post(f"/training/exercises/{assignment.id}/attempts",
                        data={"csrf_token": csrf()})
    again = client.post(f"/training/exercises/{assignment.id}/attempts",
                        data={"csrf_token": csrf()})
    assert first.headers["Location"] == again.headers["Location"]  # resumed, not doubled
    attempt_id = int(first.headers["Location"].rsplit("/", 1)[1])
    assert step(client, csrf, attempt_id, "knock", day="2020-11-02",
                time="19:00").status_code == 302
    for action in BEST[:3]:
        assert step(client, csrf, attempt_id, action).status_code == 302

    db.expire_all()  # what is stored is enough to resume: the state is the replayed steps
    assert len(services.replay_attempt(db.get(Attempt, attempt_id)).events) == 4
    page = client.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('data-test="event"') == 4
    assert 'data-test="calendar"' in page and "9 of 480 minutes" in page
    for action in BEST[3:]:
        assert step(client, csrf, attempt_id, action).status_code == 302
    for _ in range(2):  # a double click submits once
        assert client.post(f"/training/attempts/{attempt_id}/submit",
                           data={"csrf_token": csrf()}).status_code == 302
    attempt = db.get(Attempt, attempt_id)
    db.refresh(attempt)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert not attempt.score["criteria"]["form_accuracy"]["applicable"]  # no form to judge
    assert attempt.score["criteria"]["coverage"]["score"] == 0  # nobody counted
    assert attempt.score["passed"] is False  # coverage is critical: visits alone never pass
    total = attempt.score["total"]
    assert 0 < total < 100
    submitted_at = attempt.submitted_at
    client.post(f"/training/attempts/{attempt_id}/submit", data={"csrf_token": csrf()})
    db.refresh(attempt)
    assert attempt.submitted_at == submitted_at
    page = client.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert 'data-test="debrief"' in page and re.search(re.escape(f"{total}"), page)
    late = step(client, csrf, attempt_id, "greet")
    assert late.status_code == 409
    db.refresh(attempt)
    assert len(attempt.steps) == 9


def test_trainees_see_no_conduct_colours_or_jumps(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    step(client, csrf, attempt.id, "knock", day="2020-11-02", time="19:00")
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert "data-action=\"threaten_penalty\"" in page  # wrong moves are offered ...
    assert "conduct-wrong" not in page  # ... but not marked
    assert "goto:" not in page and "son_away" not in page


def test_a_breach_is_not_marked_on_the_trainees_transcript(client, csrf, login_as, make_user,
                                                          db):
    """The red border of a confidentiality breach is grading feedback: the trainee's own
    transcript does not show it (in an exam it would give the privacy criterion away at
    once), as the "Confidentiality breach." line is shown only with the trainer's and the
    examiner's detail."""
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee, Mode.EXAM)
    attempt = services.start_attempt(db, trainee, assignment)
    step(client, csrf, attempt.id, "knock", day="2020-11-02", time="19:00")
    step(client, csrf, attempt.id, "photograph_id")
    db.expire_all()
    assert any(s.get("action") == "photograph_id" for s in db.get(Attempt, attempt.id).steps)
    visit = services.replay_attempt(db.get(Attempt, attempt.id))
    assert any(event.breach for event in visit.events)  # the step is a breach ...
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert not re.search(r'class="event [^"]*\bbreach\b', page)  # ... not marked for the trainee


def test_exam_allows_one_attempt_and_hides_the_score(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee, Mode.EXAM)
    attempt = services.start_attempt(db, trainee, assignment)
    services.submit(db, attempt)
    response = client.post(f"/training/exercises/{assignment.id}/attempts",
                           data={"csrf_token": csrf()})
    assert response.status_code == 409
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="awaiting"' in page and 'data-test="debrief"' not in page


def test_attempts_and_exercises_of_others_do_not_exist(client, csrf, login_as, make_user, db):
    owner = make_user(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, owner)
    attempt = services.start_attempt(db, owner, assignment)
    login_as(Role.TRAINEE)
    assert client.get(f"/training/attempts/{attempt.id}").status_code == 404
    assert step(client, csrf, attempt.id, "knock", day="2020-11-02",
                time="19:00").status_code == 404
    assert client.post(f"/training/exercises/{assignment.id}/attempts",
                       data={"csrf_token": csrf()}).status_code == 404


def test_bad_steps_are_refused_and_lose_nothing(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    assert step(client, csrf, attempt.id, "knock", day="2020-11-02",
                time="19:00").status_code == 302
    for bad in ({"action": "goto:done"}, {"action": "fly"}, {"action": "knock"},
                {"action": "knock", "day": "not-a-date", "time": "19:00"}):
        response = client.post(f"/training/attempts/{attempt.id}/steps",
                               data={"household": "wang", "csrf_token": csrf(), **bad})
        assert 400 <= response.status_code < 500, bad
    db.refresh(attempt)
    assert len(attempt.steps) == 1


def form_data(csrf, record, **flags):
    """The POST body of the R601 page for a record."""
    data = {"csrf_token": csrf(), **{k: "" if v is None else str(v) for k, v in record.items()
                                     if k not in ("persons", "deaths")}}
    for index, person in enumerate(record["persons"]):
        for key, value in person.items():
            data[f"persons-{index}-{key}"] = "" if value is None else str(value)
    data.update({k: "y" for k, v in flags.items() if v})
    return data


def truth_record(attempt):
    from trainer.core.census.r601 import record_of

    return record_of(services.replay_attempt(attempt).households["wang"].truth.household)


def test_census_form_is_saved_checked_and_graded(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    step(client, csrf, attempt.id, "knock", day="2020-11-02", time="19:00")  # the Wangs met
    url = f"/training/attempts/{attempt.id}/forms/wang"
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="census-form"' in page and 'data-test="person-0"' in page
    truth = truth_record(attempt)

    wrong = {**truth, "persons": [dict(p) for p in truth["persons"]]}
    wrong["persons"][0]["D4"] = 3 - wrong["persons"][0]["D4"]  # against the ID number
    response = client.post(url, data=form_data(csrf, wrong, complete=True, confirmed=True))
    assert response.status_code == 302
    assert "Not complete: correct the errors first (1)." in client.get(url).get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.forms["wang"]["complete"] is False  # a hard error keeps it a draft
    page = client.get(url).get_data(as_text=True)
    assert "The sex does not match the ID number." in page

    autosave = client.post(url, data=form_data(csrf, truth), headers={"HX-Request": "true"})
    assert autosave.status_code == 200 and "Saved at" in autosave.get_data(as_text=True)
    refused = client.post(url, data={**form_data(csrf, truth), "H2b": "1000"},
                          headers={"HX-Request": "true"})
    assert "Not saved" in refused.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.forms["wang"]["record"]["persons"][0]["D4"] == truth["persons"][0]["D4"]

    added = client.post(url, data={**form_data(csrf, truth), "add_person": "1"})
    assert added.status_code == 200
    assert f'data-test="person-{len(truth["persons"])}"' in added.get_data(as_text=True)

    done = client.post(url, data=form_data(csrf, truth, complete=True, confirmed=True))
    assert done.status_code == 302
    db.refresh(attempt)
    assert attempt.forms["wang"]["complete"] is True
    services.submit(db, attempt)
    assert attempt.score["criteria"]["form_accuracy"]["score"] == 1.0
    assert client.post(url, data=form_data(csrf, truth)).status_code == 409
    handed_in = client.get(url).get_data(as_text=True)
    assert 'name="persons-0-D1"' in handed_in
    assert 'name="persons-0-remove"' not in handed_in  # nothing to remove once handed in


def test_a_form_left_out_costs_the_whole_household(db, make_user):
    trainee = make_user(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    services.submit(db, attempt)
    result = attempt.score["criteria"]["coverage"]
    assert result["score"] == 0
    assert "wang: no form handed in, 4 persons left out" in [
        f["text"][1] for f in result["findings"]]
    assert not attempt.score["criteria"]["form_accuracy"]["applicable"]  # coverage's alone


def test_forms_of_units_that_have_none_do_not_exist(client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    assert client.get(f"/training/attempts/{attempt.id}/forms/nobody").status_code == 404


def test_register_is_saved_checked_and_graded(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Register cohort", trainer=trainer)
    cohort.trainees = [trainee]
    path = project_root() / "scenarios" / "vacant-second-home.yaml"
    version = scenario_services.publish(db, loader.load(path), actor=None)
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                 mode=Mode.PRACTICE, due_on=None)
    attempt = services.start_attempt(db, trainee, assignment)
    url = f"/training/attempts/{attempt.id}/register"
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="row-zhang"' in page and 'data-test="row-tan"' in page
    # two sentences one after the other: a space between them in English, none in Chinese
    assert "change it. A unit listed" in page
    chinese = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "随改随存。登记为全户死亡户" in chinese
    truth = services.register_truth(services.replay_attempt(attempt))
    assert truth["zhang"]["status"] == "vacant" and truth["zhang"]["number"] is None
    assert truth["tan"]["number"] == 1 and truth["tan"]["head"] == "谭志刚"

    def body(rows):
        data = {"csrf_token": csrf()}
        for index, (unit, row) in enumerate(rows.items()):
            data[f"rows-{index}-unit_id"] = unit
            for key, value in row.items():
                data[f"rows-{index}-{key}"] = "" if value is None else str(value)
        return data

    wrong = {unit: dict(row) for unit, row in truth.items()}
    wrong["zhang"]["number"] = 1  # a vacant unit numbered, and number 1 twice
    assert client.post(url, data=body(wrong)).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "A vacant unit has no household number." in page
    saved = client.post(url, data=body(truth), headers={"HX-Request": "true"})
    assert "Saved at" in saved.get_data(as_text=True)
    db.refresh(attempt)
    services.submit(db, attempt)
    assert attempt.score["criteria"]["register_accuracy"]["score"] == 1.0


def step_keys(page: str) -> list[str]:
    return re.findall(r'name="step_key" value="([0-9a-f]{32})"', page)


def test_a_retried_step_is_stored_once(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    keys = step_keys(client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True))
    assert keys  # every step form carries its own key
    knock = {"day": "2020-11-02", "time": "19:00", "step_key": keys[0]}
    for _ in range(3):  # the first POST and two retries of it: one step, one answer
        response = step(client, csrf, attempt.id, "knock", **knock)
        assert response.status_code == 302 and response.headers["Location"].endswith("#latest")
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    fresh = step_keys(page)
    assert set(fresh).isdisjoint(keys) and len(set(fresh)) == len(fresh)
    assert step(client, csrf, attempt.id, "greet", step_key=fresh[0]).status_code == 302
    assert step(client, csrf, attempt.id, "greet", step_key=fresh[0]).status_code == 302
    assert step(client, csrf, attempt.id, "show_id").status_code == 302  # no key: as before
    db.refresh(attempt)
    assert [(s["action"], s.get("key")) for s in attempt.steps] == [
        ("knock", keys[0]), ("greet", fresh[0]), ("show_id", None)]
    assert len(services.replay_attempt(attempt).events) == 3
    assert step(client, csrf, attempt.id, "greet", step_key="../x").status_code == 400
    services.submit(db, attempt)  # a retry that arrives after the submission is still answered
    assert step(client, csrf, attempt.id, "greet", step_key=fresh[0]).status_code == 302
    assert step(client, csrf, attempt.id, "greet", step_key="b" * 32).status_code == 409
    db.refresh(attempt)
    assert len(attempt.steps) == 3


def test_the_forms_card_lists_a_form_only_once_its_household_was_met(client, csrf, login_as,
                                                                     make_user, db):
    """Listing every R601 owed would tell which units are vacant before any visit."""
    trainee = login_as(Role.TRAINEE)
    _trainer, _cohort, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    db.commit()
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="form-wang"' not in page
    assert step(client, csrf, attempt.id, "knock", day="2020-11-02",
                time="19:00").status_code == 302
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="form-wang"' in page  # the Wangs opened the door


def test_an_unmet_households_form_answers_alike_whatever_lives_there(client, csrf, login_as,
                                                                     make_user, db):
    """A vacant unit's form URL must not answer otherwise than an occupied one's before the
    trainee has met either: a guessed URL would tell which is vacant."""
    trainee = login_as(Role.TRAINEE)
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Vacant", trainer=trainer)
    cohort.trainees = [trainee]
    version = scenario_services.publish(
        db, loader.load(project_root() / "scenarios" / "vacant-second-home.yaml"), actor=None)
    version = version or scenario_services.get_version(db, "vacant-second-home")
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                 mode=Mode.PRACTICE, due_on=None)
    attempt = services.start_attempt(db, trainee, assignment)
    base = f"/training/attempts/{attempt.id}"
    assert client.post(f"{base}/steps", data={"household": "zhang", "action": "knock",
                                              "day": "2020-11-06", "time": "10:00",
                                              "csrf_token": csrf()}).status_code == 302
    answers = set()
    for unit in ("zhang", "tan"):  # vacant (knocked, nobody came) and occupied (not visited)
        for response in (client.get(f"{base}/forms/{unit}"),
                         client.post(f"{base}/forms/{unit}",
                                     data={"csrf_token": csrf(), "H7": "3"}),
                         client.post(f"{base}/forms/{unit}", headers={"HX-Request": "true"},
                                     data={"csrf_token": csrf(), "H7": "3"}),
                         client.get(f"{base}/hmt/{unit}")):
            text = response.get_data(as_text=True)
            assert "You have not met this household yet" in text
            # the same page but for the CSRF tokens (timed) and the language switch's way back
            answers.add((response.status_code, re.sub(
                r'(content|name="next" value|name="csrf_token" value)="[^"]*"', "", text)))
    assert len(answers) == 1 and answers.pop()[0] == 404
    db.refresh(attempt)
    assert attempt.forms == {}
    visit = services.replay_attempt(attempt)
    record = {"H1": 1, "persons": []}
    services.save_form(db, attempt, "tan", record, complete=False, confirmed=False,
                       visit=visit)
    db.commit()
    assert client.get(f"{base}/forms/tan").status_code == 200  # a form begun opens


def test_a_saved_confirmation_of_the_warnings_shows_ticked(client, csrf, login_as, make_user,
                                                          db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    step(client, csrf, attempt.id, "knock", day="2020-11-02", time="19:00")
    url = f"/training/attempts/{attempt.id}/forms/wang"
    truth = truth_record(attempt)
    assert client.post(url, data=form_data(csrf, truth, complete=True, confirmed=True)
                       ).status_code == 302
    db.refresh(attempt)
    assert attempt.forms["wang"]["confirmed"] is True
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="confirmed"|<input[^>]*name="confirmed"'
                     r'[^>]*checked', page)
    assert client.post(url, data=form_data(csrf, truth)).status_code == 302  # unconfirmed
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*name="confirmed"', page)
    assert not re.search(r'<input[^>]*checked[^>]*name="confirmed"|<input[^>]*name="confirmed"'
                         r'[^>]*checked', page)


def test_a_warning_says_whose_item_it_is(client, csrf, login_as, make_user, db):
    """The warnings stand above the form, away from their fields: each names the person and
    the item it is about (in the page's language), and a household item's names its item."""
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    step(client, csrf, attempt.id, "knock", day="2020-11-02", time="19:00")
    url = f"/training/attempts/{attempt.id}/forms/wang"
    truth = truth_record(attempt)
    truth["persons"][1]["D6"] = "汉"
    truth["H6"] = 1500  # a very large floor area
    assert client.post(url, data=form_data(csrf, truth)).status_code == 302
    page = client.get(url).get_data(as_text=True)
    warnings = page[page.index('data-test="warnings"'):]
    warnings = warnings[:warnings.index("</div>")]
    assert "<li>Person 2 · D6 Ethnicity: Write the full name of the ethnic group: 汉族.</li>" in (
        warnings)
    assert "<li>H6 Floor area (m²): A very large floor area: confirm it.</li>" in warnings
    page = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "第 2 人 · D6 民族：民族请填写全称：汉族。" in page


def test_an_answer_breaks_only_between_persons_and_never_in_a_date(client, csrf, login_as,
                                                                   make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    step(client, csrf, attempt.id, "knock", day="2020-11-02", time="19:00")
    for action in (*BEST[:6], "ask_item:D5"):
        step(client, csrf, attempt.id, action)
    page = client.get(f"/training/attempts/{attempt.id}/forms/wang").get_data(as_text=True)
    answer = re.search(r"<li><strong>D5 [^<]*</strong>(.*?)</li>", page, re.S)
    assert answer is not None
    told = [p for p in truth_record(attempt)["persons"] if p["D1"] in answer.group(1)]
    assert len(told) >= 3  # the three who live there, each with the month of birth
    for person in told:  # each person's answer a piece, its date kept on one line
        assert (f'<span class="piece">{person["D1"]} <span class="nowrap">{person["D5"]}'
                '</span>') in answer.group(1)
    assert answer.group(1).count("<wbr>") == len(told) - 1  # breaks only between pieces
