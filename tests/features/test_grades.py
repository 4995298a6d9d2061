"""Grade versions and the debrief's evidence: regrading keeps the old grade, adds a new one only
when the result differs, follows a newer rubric; findings link to the field they are about."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.features.test_fieldwork import BASELINE, BEST, setup_cohort
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.census import r601, tally
from trainer.core.scenario import loader
from trainer.fieldwork import grades, services, truth
from trainer.fieldwork.models import Grade, Mode
from trainer.review import services as review_services
from trainer.review.models import ReviewStatus
from trainer.scenarios import services as scenario_services


def submitted(db, make_user, trainee, mode=Mode.PRACTICE):
    """A trainee's attempt: the best visit, the forms true but one wrong sex, submitted."""
    trainer, cohort, assignment = setup_cohort(db, make_user, trainee, mode)
    attempt = services.start_attempt(db, trainee, assignment)
    services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    for action in BEST:
        services.take_step(db, attempt, "wang", action, None)
    visit = services.replay_attempt(attempt)
    truth = {unit: r601.record_of(visit.households[unit].truth.household)
             for unit in services.form_units(visit)}
    record = truth["wang"]
    record["persons"][1]["D4"] = 3 - record["persons"][1]["D4"]
    attempt.forms = {unit: {"record": rec, "complete": True, "confirmed": True}
                     for unit, rec in truth.items()}
    attempt.register = services.register_truth(visit)
    services.submit(db, attempt)
    return trainer, cohort, attempt


def newer_rubric(db, change: str, to: str):
    """Publish the baseline scenario again as the next version with one rubric line changed."""
    text = BASELINE.read_text(encoding="utf-8")
    current = loader.load(BASELINE).version
    text = text.replace(f"version: {current}\n", f"version: {current + 1}\n", 1)
    assert change in text
    return scenario_services.publish(db, loader.parse(text.replace(change, to, 1)), actor=None)


def test_submission_is_grade_one_and_regrading_unchanged_adds_nothing(db, make_user):
    trainee = make_user(Role.TRAINEE)
    _t, _c, attempt = submitted(db, make_user, trainee)
    [first] = grades.grades_of(db, attempt)
    assert (first.number, first.grader, first.rubric_version_id) == (
        1, grades.GRADER, attempt.version_id)
    assert first.data == attempt.score and first.created_by is None
    assert attempt.score["criteria"]["form_accuracy"]["score"] < 1
    assert grades.regrade(db, attempt, actor=None) is None  # same rubric, same evidence
    assert len(grades.grades_of(db, attempt)) == 1


def test_a_changed_rubric_gives_a_new_version_and_keeps_the_old(db, make_user):
    trainee = make_user(Role.TRAINEE)
    examiner = make_user(Role.EXAMINER)
    _t, _c, attempt = submitted(db, make_user, trainee)
    before = dict(attempt.score)
    newer = newer_rubric(db, "  pass: 70\n", "  pass: 100\n")
    grade = grades.regrade(db, attempt, actor=examiner)
    assert grade is not None and grade.number == 2 and grade.rubric_version_id == newer.id
    assert grade.created_by == examiner
    first, second = grades.grades_of(db, attempt)
    assert first.data == before  # the old grade is kept as it was
    assert attempt.score == second.data and second.data["passed"] is False
    assert grades.rubric_of(db, attempt).pass_score == 100
    assert grades.regrade(db, attempt, actor=examiner) is None  # deterministic
    # grading an attempt by its own version again gives back the first result
    own = grades.regrade(db, attempt, actor=None, rubric_version=attempt.version)
    assert own is not None and own.number == 3 and own.data == before


def test_a_rubric_that_drops_a_criterion_regrades_and_still_renders(client, login_as, make_user,
                                                                     db):
    trainee = make_user(Role.TRAINEE)
    admin = login_as(Role.ADMIN)
    _t, _c, attempt = submitted(db, make_user, trainee, Mode.EXAM)
    newer_rubric(db, "    - {criterion: rapport, weight: 1}\n", "")
    grade = grades.regrade(db, attempt, actor=admin)
    assert grade is not None and "rapport" not in grade.data["criteria"]
    review = review_services.review_of(db, attempt)
    assert "rapport" not in review_services.effective_score(review)["criteria"]
    page = client.get(f"/review/attempts/{attempt.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-test="grades"' in text
    assert admin.full_name in text  # grade 2 was made by the admin
    assert "rapport" not in re.findall(r'<option value="(\w+)"', text)


def test_examiner_regrades_in_the_browser_and_a_trainee_cannot(client, csrf, login_as,
                                                               make_user, db):
    trainee = make_user(Role.TRAINEE)
    _t, _c, attempt = submitted(db, make_user, trainee, Mode.EXAM)
    login_as(Role.ADMIN)
    page = client.get(f"/review/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="regrade"' in page and grades.GRADER in page
    same = client.post(f"/review/attempts/{attempt.id}/regrade", data={"csrf_token": csrf()})
    assert same.status_code == 302
    assert "no new version" in client.get(same.headers["Location"]).get_data(as_text=True)
    newer_rubric(db, "  pass: 70\n", "  pass: 95\n")
    changed = client.post(f"/review/attempts/{attempt.id}/regrade",
                          data={"csrf_token": csrf()})
    text = client.get(changed.headers["Location"]).get_data(as_text=True)
    assert "grade version 2" in text
    assert len(db.scalars(select(Grade).where(Grade.attempt_id == attempt.id)).all()) == 2
    assert client.post(f"/review/attempts/{attempt.id}/regrade").status_code == 400  # no CSRF
    login_as(Role.TRAINEE)
    assert client.post(f"/review/attempts/{attempt.id}/regrade",
                       data={"csrf_token": csrf()}).status_code == 403


def test_cli_regrades_every_submitted_attempt(app, db, make_user):
    trainee = make_user(Role.TRAINEE)
    _t, _c, attempt = submitted(db, make_user, trainee)
    newer_rubric(db, "  pass: 70\n", "  pass: 90\n")
    result = app.test_cli_runner().invoke(args=["grades", "regrade",
                                                 "--scenario", "cooperative-family"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Regraded (\d+) attempts: (\d+) with a new grade version", result.output)
    assert len(grades.grades_of(db, attempt)) == 2


def test_a_bulk_regrade_leaves_attempts_graded_on_households_drawn_otherwise(app, db,
                                                                           make_user,
                                                                           monkeypatch):
    """After a generator change, an attempt graded before it keeps its grade in a bulk
    regrade (said in the output) unless --include-changed; one graded after it (on today's
    households, though it began before) is regraded."""
    trainee = make_user(Role.TRAINEE)
    _t, _c, before = submitted(db, make_user, trainee)
    _t, _c, after = submitted(db, make_user, make_user(Role.TRAINEE), Mode.EXAM)
    db.commit()
    today = "e" * 64  # the households as a changed generator draws them
    monkeypatch.setattr(truth, "fingerprint_of", lambda version, seed: today)
    assert truth.changed(before) and truth.changed(after)
    newer_rubric(db, "  pass: 70\n", "  pass: 90\n")
    # an examiner regrades `after` alone: its new grade is given on today's households
    assert grades.regrade(db, after, actor=None) is not None
    db.commit()
    assert truth.graded_otherwise(before, grades.grades_of(db, before)[-1])
    assert not truth.graded_otherwise(after, grades.grades_of(db, after)[-1])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["grades", "regrade", "--scenario", "cooperative-family"])
    assert result.exit_code == 0, result.output
    assert "Left 1 as graded" in result.output, result.output
    assert len(grades.grades_of(db, before)) == 1
    result = runner.invoke(args=["grades", "regrade", "--scenario", "cooperative-family",
                                 "--include-changed"])
    assert result.exit_code == 0 and "Left" not in result.output, result.output
    assert len(grades.grades_of(db, before)) == 2
    assert grades.grades_of(db, before)[-1].truth_fingerprint == today


def test_a_regrade_that_scores_the_same_on_todays_households_takes_their_digest(
        app, db, make_user, monkeypatch):
    """Regraded with --include-changed to the same score (same rubric): no new grade, but
    the last grade now stands on today's households, so a later bulk regrade (a rubric
    change, say) includes the attempt instead of leaving it as graded otherwise."""
    _t, _c, attempt = submitted(db, make_user, make_user(Role.TRAINEE))
    db.commit()
    today = "e" * 64
    monkeypatch.setattr(truth, "fingerprint_of", lambda version, seed: today)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["grades", "regrade", "--scenario", "cooperative-family",
                                 "--include-changed"])
    assert result.exit_code == 0, result.output
    [grade] = grades.grades_of(db, attempt)
    assert grade.truth_fingerprint == today
    assert not truth.graded_otherwise(attempt, grade)
    result = runner.invoke(args=["grades", "regrade", "--scenario", "cooperative-family"])
    assert result.exit_code == 0 and "Left" not in result.output, result.output


def test_debrief_links_each_form_finding_to_its_field(client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, attempt = submitted(db, make_user, trainee)
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="debrief-form_accuracy"' in page
    links = re.findall(r'href="([^"]+)" data-test="finding-where"', page)
    target = f"/training/attempts/{attempt.id}/forms/wang#persons-1-D4"
    assert target in links
    form = client.get(target.split("#")[0]).get_data(as_text=True)
    assert 'data-test="graded"' in form and "D4" in form and 'id="persons-1-D4"' in form
    # the costliest criterion comes first: form_accuracy lost points, the perfect ones did not
    order = re.findall(r'data-test="debrief-(\w+)"', page)
    assert order.index("form_accuracy") < order.index("credentials_first")


def test_debrief_is_hidden_from_a_trainee_until_an_exam_is_released(client, login_as,
                                                                    make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, attempt = submitted(db, make_user, trainee, Mode.EXAM)
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="debrief"' not in page and 'data-test="awaiting"' in page
    form = client.get(f"/training/attempts/{attempt.id}/forms/wang").get_data(as_text=True)
    assert 'data-test="graded"' not in form


@pytest.mark.parametrize(("days_after_due", "shown"), [(-1, False), (0, False), (1, True)])
def test_an_exam_s_automatic_feedback_shows_as_provisional_once_the_exam_has_closed(
        days_after_due, shown, client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, attempt = submitted(db, make_user, trainee, Mode.EXAM)
    attempt.assignment.due_on = services.local_today() - timedelta(days=days_after_due)
    db.commit()
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert ('data-test="debrief"' in page) is shown
    assert ('data-test="provisional"' in page) is shown
    assert ('data-test="awaiting"' in page) is not shown


@pytest.mark.parametrize("other", ["not started", "in progress"])
def test_an_exam_s_feedback_stays_hidden_past_its_due_date_while_anyone_may_still_sit_it(
        other, client, login_as, make_user, db):
    """Nothing closes an exam at its due date (an attempt may still start, and an untimed
    one goes on): an early finisher's debrief (the true answers) must not reach a trainee of
    the cohort who can still sit the exam."""
    trainee = login_as(Role.TRAINEE)
    _t, cohort, attempt = submitted(db, make_user, trainee, Mode.EXAM)
    late = make_user(Role.TRAINEE)
    cohort.trainees = [*cohort.trainees, late]
    attempt.assignment.due_on = services.local_today() - timedelta(days=2)
    if other == "in progress":
        services.start_attempt(db, late, attempt.assignment)
    db.commit()
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="debrief"' not in page
    assert 'data-test="awaiting"' in page


def test_trainee_saves_the_quick_tally_and_its_errors_show(client, csrf, login_as, make_user,
                                                           db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    url = f"/training/attempts/{attempt.id}/tally"
    assert 'data-test="tally-form"' in client.get(url).get_data(as_text=True)
    figures = {"households": 1, "present": 3, "away": 1, "total": 5, "births": 0, "deaths": 0}
    saved = client.post(url, data={**figures, "csrf_token": csrf()})
    assert saved.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Persons registered must equal those living here plus those away." in page
    db.refresh(attempt)
    assert attempt.tally == figures  # kept as the trainee left it, errors and all
    autosave = client.post(url, data={**figures, "total": 4, "csrf_token": csrf()},
                           headers={"HX-Request": "true"})
    assert "Saved at" in autosave.get_data(as_text=True)
    refused = client.post(url, data={**figures, "present": "-1", "csrf_token": csrf()},
                          headers={"HX-Request": "true"})
    assert "Not saved" in refused.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.tally["total"] == 4 and attempt.tally["present"] == 3
    services.submit(db, attempt)
    assert client.post(url, data={**figures, "csrf_token": csrf()}).status_code == 409


def test_the_tally_is_graded_against_the_forms_handed_in(db, make_user):
    trainee = make_user(Role.TRAINEE)
    _t, _c, attempt = submitted(db, make_user, trainee)
    forms = [entry["record"] for entry in attempt.forms.values()]
    attempt.tally = {**tally.from_forms(forms), "births": 7}
    newer = newer_rubric(db, "    - {criterion: rapport, weight: 1}\n",
                         "    - {criterion: rapport, weight: 1}\n    - {criterion: tally}\n")
    result = grades.regrade(db, attempt, actor=None, rubric_version=newer).data
    finding = result["criteria"]["tally"]["findings"][0]
    assert result["criteria"]["tally"]["score"] == 1 - 1 / len(tally.FIELDS)
    assert finding["where"] == "tally/births" and "the forms add up to 0" in finding["text"][1]


def test_practice_released_by_an_examiner_shows_provisional_feedback(client, csrf, login_as,
                                                                    make_user, db):
    trainee = login_as(Role.TRAINEE)
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Provisional", trainer=trainer)
    cohort.trainees = [trainee]
    version = newer_rubric(db, "  pass: 70\n", "  pass: 70\n  release: by_examiner\n")
    assert scenario_services.scenario_of(version).rubric.release == "by_examiner"
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                 mode=Mode.PRACTICE, due_on=None)
    attempt = services.start_attempt(db, trainee, assignment)
    services.submit(db, attempt)
    review = review_services.review_of(db, attempt)
    assert review.status == ReviewStatus.AWAITING and review.released_score is None
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="provisional"' in page and 'data-test="debrief"' in page
    review_services.release(db, review, make_user(Role.ADMIN), link="")
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-test="provisional"' not in page and 'data-test="debrief"' in page
