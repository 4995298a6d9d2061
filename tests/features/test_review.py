"""The review of submitted attempts: states, overrides with reasons (append-only record),
comments, returning for correction, releasing, notifications, and who may see what."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from trainer.accounts.models import Role, User
from trainer.core.census import r601
from trainer.db import AppendOnlyError
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Attempt, AttemptStatus, Mode
from trainer.review import services
from trainer.review.models import Notification, ReviewKind, ReviewStatus
from trainer.scenarios import services as scenarios

BEST = ["greet", "show_id", "explain_purpose", "explain_legal_basis",
        "promise_confidentiality", "ask_item:roster", "read_back"]


@pytest.fixture
def setting(db: Session, exam_cohort: Any) -> dict[str, Any]:
    """A cohort with an examiner, a trainee and an exam on the baseline scenario, submitted."""
    made = exam_cohort("Review cohort")
    attempt = made["attempt"]
    from datetime import datetime

    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    for action in BEST:
        fieldwork.take_step(db, attempt, "wang", action, None)
    fieldwork.submit(db, attempt)
    return made


def test_an_exam_waits_and_practice_is_released_at_once(setting: dict[str, Any], db: Session,
                                                        make_user: Any) -> None:
    review = services.review_of(db, setting["attempt"])
    assert review is not None and review.status == ReviewStatus.AWAITING
    assert review.released_score is None
    assert [entry.kind for entry in review.events] == [ReviewKind.SUBMITTED]
    practice = fieldwork.assign(db, actor=setting["trainer"], cohort=setting["cohort"],
                                version=setting["version"], mode=Mode.PRACTICE, due_on=None)
    done = fieldwork.submit(db, fieldwork.start_attempt(db, setting["trainee"], practice))
    released = services.review_of(db, done)
    assert released is not None and released.status == ReviewStatus.RELEASED
    assert released.released_score == done.score


def test_queue_shows_only_the_cohorts_an_examiner_marks(setting: dict[str, Any], db: Session,
                                                        make_user: Any) -> None:
    rows = services.queue(db, setting["examiner"])
    assert [row.attempt.id for row in rows] == [setting["attempt"].id]
    stranger = make_user(Role.EXAMINER)
    assert services.queue(db, stranger) == []
    with pytest.raises(Exception, match="No such attempt"):
        services.get_review(db, stranger, setting["attempt"].id)
    assert services.queue(db, setting["examiner"], status="released") == []
    assert services.queue(db, setting["examiner"], scenario_id="other") == []


def test_override_needs_a_reason_and_recomputes_the_total(client: FlaskClient, login_as: Any,
                                                          csrf: Any, db: Session,
                                                          setting: dict[str, Any]) -> None:
    login_as(user=setting["examiner"])
    attempt: Attempt = setting["attempt"]
    url = f"/review/attempts/{attempt.id}"
    assert client.get(url).status_code == 200
    before = services.effective_score(services.review_of(db, attempt))
    assert before is not None
    no_reason = client.post(url + "/override", data={"csrf_token": csrf(),
                                                     "criterion": "form_accuracy",
                                                     "score": "100", "reason": "ok"})
    assert no_reason.status_code == 400 and "at least 5 characters" in no_reason.get_data(
        as_text=True)
    out_of_range = client.post(url + "/override", data={
        "csrf_token": csrf(), "criterion": "form_accuracy", "score": "120",
        "reason": "Forms were checked on paper."})
    assert out_of_range.status_code == 400
    done = client.post(url + "/override", data={
        "csrf_token": csrf(), "criterion": "form_accuracy", "score": "100",
        "reason": "The paper form was complete; the tablet lost it."})
    assert done.status_code == 302
    review = services.review_of(db, attempt)
    assert review is not None
    db.refresh(review)
    after = services.effective_score(review)
    assert after is not None
    assert after["criteria"]["form_accuracy"]["score"] == 1.0
    assert after["criteria"]["form_accuracy"]["automatic"] == before["criteria"][
        "form_accuracy"]["score"]
    assert after["total"] >= before["total"] and after["overridden"] == ["form_accuracy"]
    entry = review.events[-1]
    assert (entry.kind, entry.criterion, entry.actor_id) == (
        ReviewKind.OVERRIDE, "form_accuracy", setting["examiner"].id)
    # no form was handed in: form accuracy had no score to replace (not the grading's 1.0)
    assert before["criteria"]["form_accuracy"]["applicable"] is False
    assert entry.before is None and entry.after == 1.0
    assert review.status == ReviewStatus.IN_REVIEW
    entry.text = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.flush()
    db.rollback()


def test_return_then_resubmit_then_release(client: FlaskClient, login_as: Any, csrf: Any,
                                           db: Session, setting: dict[str, Any]) -> None:
    attempt: Attempt = setting["attempt"]
    trainee: User = setting["trainee"]
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{attempt.id}"
    client.post(url + "/comment", data={"csrf_token": csrf(), "anchor": "#3",
                                        "text": "Greet before you show the card."})
    returned = client.post(url + "/return", data={
        "csrf_token": csrf(), "text": "Fill the census form for the Wang household."})
    assert returned.status_code == 302
    db.refresh(attempt)
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert client.post(url + "/release", data={"csrf_token": csrf()}).status_code == 409
    login_as(user=trainee)
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert "Fill the census form for the Wang household." in page
    assert "Greet before you show the card." in page
    assert "returned for correction" in client.get("/notifications").get_data(as_text=True)
    fieldwork.submit(db, attempt)
    review = services.review_of(db, attempt)
    assert review is not None and review.status == ReviewStatus.AWAITING
    login_as(user=setting["examiner"])
    client.post(url + "/override", data={"csrf_token": csrf(), "criterion": "outcome",
                                         "score": "50", "reason": "Visit ended too early."})
    released = client.post(url + "/release", data={"csrf_token": csrf()})
    assert released.status_code == 302
    db.refresh(review)
    assert review.status == ReviewStatus.RELEASED and review.released_score is not None
    assert review.released_score["criteria"]["outcome"]["score"] == 0.5
    kinds = [entry.kind for entry in review.events]
    assert kinds[0] == ReviewKind.SUBMITTED and kinds[-1] == ReviewKind.RELEASED
    assert ReviewKind.RETURNED in kinds and kinds.count(ReviewKind.SUBMITTED) == 2
    login_as(user=trainee)
    training = client.get("/training").get_data(as_text=True)
    assert 'data-test="unread"' in training
    # the exam's card shows the released score (it said "submitted" for good)
    assert (f'data-test="released-{attempt.id}">score {review.released_score["total"]}<'
            in training)
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert f"Score: {review.released_score['total']}" in page
    assert "Visit ended too early." in page  # the reason of the change, once released
    notices = client.get("/notifications").get_data(as_text=True)
    assert "has been released" in notices
    # the scenario's title in the reader's language (it was always the Chinese one)
    version = attempt.version
    assert f"“{version.title_en}”" in notices and version.title_zh not in notices
    client.post("/language", data={"locale": "zh_CN", "next": "/notifications",
                                   "csrf_token": csrf()})
    notices = client.get("/notifications").get_data(as_text=True)
    assert f"“{version.title_zh}”" in notices and version.title_en not in notices
    assert all(n.read_at is not None for n in db.query(Notification).filter_by(
        user_id=trainee.id))


def test_a_notice_stored_before_titles_came_in_both_languages_still_reads(
        client: FlaskClient, login_as: Any, setting: dict[str, Any], db: Any) -> None:
    trainee = setting["trainee"]
    services.notify(db, trainee, "Your score for “%(title)s” has been released.", "/training",
                    title="旧的标题")
    db.commit()
    login_as(user=trainee)
    page = client.get("/notifications")
    assert page.status_code == 200 and "“旧的标题”" in page.get_data(as_text=True)


def test_trainees_never_reach_review_pages(client: FlaskClient, login_as: Any,
                                           setting: dict[str, Any], make_user: Any) -> None:
    login_as(user=setting["trainee"])
    assert client.get("/review").status_code == 403
    assert client.get(f"/review/attempts/{setting['attempt'].id}").status_code == 403
    login_as(user=make_user(Role.TRAINEE))
    assert client.get(f"/training/attempts/{setting['attempt'].id}").status_code == 404


def test_form_differences_point_at_the_items() -> None:
    truth = {"H1": 1, "H2a": 3, "persons": [{"D1": "王建国", "D3": 0}, {"D1": "李秀英", "D3": 1}]}
    given = {"H1": 1, "H2a": 2, "persons": [{"D1": "王建国 ", "D3": 0}]}
    assert r601.differences(given, truth) == [
        ("H2a", 2, 3), ("persons[1]/D1", None, "李秀英"), ("persons[1]/D3", None, 1)]
    assert r601.differences(truth, truth) == []


def test_dashboard_and_export(client: FlaskClient, login_as: Any, db: Session,
                              setting: dict[str, Any], make_user: Any) -> None:
    attempt: Attempt = setting["attempt"]
    login_as(user=setting["examiner"])
    page = client.get(f"/cohorts/{setting['cohort'].id}/dashboard")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Trainees: 1 · graded attempts: 1 ·" in body
    assert 'data-test="histogram"' in body and setting["trainee"].full_name in body
    nodes = (attempt.score or {})["nodes"]
    assert nodes and 'data-test="nodes"' in body and all(node in body for node in nodes)
    export = client.get(f"/cohorts/{setting['cohort'].id}/scores.csv")
    assert export.mimetype == "text/csv" and export.is_streamed
    lines = export.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("attempt,username,trainee,scenario")
    assert lines[1].startswith(f"{attempt.id},{setting['trainee'].username},")
    assert str((attempt.score or {})["total"]) in lines[1] and "privacy=" in lines[1]
    login_as(user=make_user(Role.EXAMINER))  # marks no cohort
    assert client.get(f"/cohorts/{setting['cohort'].id}/dashboard").status_code == 404
    assert client.get(f"/cohorts/{setting['cohort'].id}/scores.csv").status_code == 404
    login_as(user=setting["trainee"])
    assert client.get(f"/cohorts/{setting['cohort'].id}/dashboard").status_code == 403


def test_findings_export_as_csv_and_both_as_xlsx(client: FlaskClient, login_as: Any,
                                                 setting: dict[str, Any],
                                                 make_user: Any) -> None:
    attempt: Attempt = setting["attempt"]
    cohort = setting["cohort"]
    login_as(user=setting["examiner"])
    findings = [(name, f) for name, result in (attempt.score or {})["criteria"].items()
                for f in result["findings"]]
    assert findings  # the setting's attempt has findings to export
    export = client.get(f"/cohorts/{cohort.id}/findings.csv")
    assert export.mimetype == "text/csv" and export.is_streamed
    rows = list(csv.reader(export.get_data(as_text=True).lstrip("\ufeff").splitlines()))
    assert rows[0] == list(services.FINDING_COLUMNS) and len(rows) == 1 + len(findings)
    assert {(row[4], row[6]) for row in rows[1:]} == {(name, f["text"][1])
                                                     for name, f in findings}
    book = client.get(f"/cohorts/{cohort.id}/scores.xlsx")
    assert book.status_code == 200 and book.mimetype.endswith("spreadsheetml.sheet")
    data = book.get_data()
    book.close()  # the response's file is deleted once it is closed
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == ["Scores", "Findings"]
    scores = list(workbook["Scores"].iter_rows(values_only=True))
    assert scores[0] == services.EXPORT_COLUMNS and scores[1][0] == attempt.id
    assert len(list(workbook["Findings"].iter_rows(values_only=True))) == 1 + len(findings)
    workbook.close()
    login_as(user=make_user(Role.EXAMINER))  # marks no cohort
    assert client.get(f"/cohorts/{cohort.id}/scores.xlsx").status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/findings.csv").status_code == 404


def test_a_resubmission_is_marked_afresh(db: Session, setting: dict[str, Any]) -> None:
    examiner, attempt = setting["examiner"], setting["attempt"]
    review = services.review_of(db, attempt)
    assert review is not None
    services.override(db, review, examiner, criterion="privacy", score=0,
                      reason="Read the ID number aloud in the stairwell.")
    assert services.overrides(review) == {"privacy": 0.0}
    services.return_attempt(db, review, examiner, text="Redo the visit properly.", link="/")
    fieldwork.submit(db, attempt)
    db.refresh(review)
    assert services.overrides(review) == {}  # the old round's changes do not carry over
    score = services.effective_score(review)
    assert score is not None and score == {**(attempt.score or {}), "overridden": []}


def test_trainee_sees_progress_from_released_scores_only(client: FlaskClient, login_as: Any,
                                                         db: Session,
                                                         setting: dict[str, Any]) -> None:
    trainee = setting["trainee"]
    login_as(user=trainee)
    page = client.get("/training").get_data(as_text=True)
    assert 'data-test="progress"' not in page  # the exam waits: nothing released yet
    assert f'data-test="released-{setting["attempt"].id}"' not in page  # nor its score
    practice = fieldwork.assign(db, actor=setting["trainer"], cohort=setting["cohort"],
                                version=setting["version"], mode=Mode.PRACTICE, due_on=None)
    from datetime import datetime

    attempt = fieldwork.start_attempt(db, trainee, practice)
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    fieldwork.submit(db, attempt)  # knocked and left: a poor practice attempt, released
    page = client.get("/training").get_data(as_text=True)
    assert 'data-test="progress"' in page and 'data-test="weak"' in page
    assert f"<td>{(attempt.score or {})['total']}</td>" in page
    figures = services.trainee_progress(db, trainee, english=True)
    assert [row.total for row in figures.history] == [(attempt.score or {})["total"]]
    assert figures.weak and all(mean < 0.75 for _name, mean in figures.weak)
    assert "cooperative-family" in figures.recommended  # the practice can be done again
    setting["attempt"].assignment.version = next(  # an exam already sat: not recommended
        v for v in scenarios.catalogue(db) if v.scenario_id == "nobody-home-revisit")
    db.flush()
    again = services.trainee_progress(db, trainee, english=True)
    assert "nobody-home-revisit" not in again.recommended


def test_dashboard_figures_are_kept_until_a_counted_row_changes(db: Session,
                                                                setting: dict[str, Any]
                                                                ) -> None:
    cohort, trainee = setting["cohort"], setting["trainee"]
    first = services.cohort_dashboard(db, cohort.id, english=True)
    assert services.cohort_dashboard(db, cohort.id, english=True) is first  # kept
    assert services.cohort_dashboard(db, cohort.id, english=False) is not first  # per language
    review = services.review_of(db, setting["attempt"])
    assert review is not None
    services.override(db, review, setting["examiner"], criterion="privacy", score=0,
                      reason="Told the neighbour the family's ages.")
    services.release(db, review, setting["examiner"], link="")
    released = services.cohort_dashboard(db, cohort.id, english=True)
    assert released is not first and released.heatmap[(trainee.id, "privacy")] == 0.0
    trainee.full_name = "王改名"
    db.flush()
    assert services.cohort_dashboard(db, cohort.id, english=True).names[trainee.id] == "王改名"
    services.forget_dashboards()
    assert services.cohort_dashboard(db, cohort.id, english=True).names[trainee.id] == "王改名"
