"""Bulk actions of the review queue: several attempts released (or taken into review) at once,
each through the single action's checks; the refused ones skipped with their reason."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.scenario import loader
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.review import services
from trainer.review.models import Notification, Review, ReviewKind, ReviewStatus
from trainer.scenarios import services as scenarios

BASELINE = project_root() / "scenarios" / "cooperative-family.yaml"


def exam_cohort(db: Session, make_user: Any, app: Flask, trainees: int, *,
                examiner: Any = None, name: str = "Bulk cohort") -> dict[str, Any]:
    """A cohort with an examiner and `trainees` trainees who each submitted the exam."""
    trainer = make_user(Role.TRAINER)
    examiner = examiner or make_user(Role.EXAMINER)
    people = [make_user(Role.TRAINEE) for _ in range(trainees)]
    cohort = accounts.create_cohort(db, actor=trainer, name=name, trainer=trainer,
                                    examiners=[examiner])
    cohort.trainees = people
    version = (scenarios.publish(db, loader.load(BASELINE), actor=None)
               or scenarios.get_version(db, "cooperative-family"))
    exam = fieldwork.assign(db, actor=trainer, cohort=cohort, version=version, mode=Mode.EXAM,
                            due_on=None)
    attempts = [fieldwork.submit(db, fieldwork.start_attempt(db, trainee, exam))
                for trainee in people]
    return {"trainer": trainer, "examiner": examiner, "cohort": cohort, "attempts": attempts}


def post_bulk(client: FlaskClient, csrf: Any, action: str, ids: list[Any],
              query: str = "") -> Any:
    return client.post(f"/review/bulk{query}", data={"action": action, "attempts": ids,
                                                     "csrf_token": csrf()})


def status_of(db: Session, attempt: Any) -> ReviewStatus:
    review = services.review_of(db, attempt)
    assert review is not None
    db.refresh(review)
    return review.status


def test_release_several_at_once_and_keep_the_filters(client: FlaskClient, csrf: Any,
                                                      login_as: Any, make_user: Any,
                                                      db: Session, app: Flask) -> None:
    setting = exam_cohort(db, make_user, app, 4)
    examiner = login_as(user=setting["examiner"])
    chosen, left = setting["attempts"][:3], setting["attempts"][3]
    page = client.get("/review?status=open").get_data(as_text=True)
    assert 'data-test="bulk-form"' in page and 'action="/review/bulk?status=open"' in page
    assert all(f'data-test="pick-{a.id}"' in page for a in setting["attempts"])
    response = post_bulk(client, csrf, "release", [a.id for a in chosen],
                         "?status=open&_scheme=javascript")
    assert response.status_code == 302
    assert response.headers["Location"] == "/review?status=open"  # unknown arguments dropped
    assert [status_of(db, a) for a in chosen] == [ReviewStatus.RELEASED] * 3
    assert status_of(db, left) == ReviewStatus.AWAITING
    for attempt in chosen:
        review = services.review_of(db, attempt)
        assert review is not None and review.released_score["total"] == attempt.score["total"]
        assert [e.kind for e in review.events][-1] == ReviewKind.RELEASED
        assert review.events[-1].actor_id == examiner.id
        assert db.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == attempt.trainee_id)) == 1
    page = client.get("/review?status=open").get_data(as_text=True)
    assert "Released 3, skipped 0." in page or "已发布 3" in page
    assert f'data-test="pick-{left.id}"' in page
    assert all(f'data-test="pick-{a.id}"' not in page for a in chosen)


def test_refused_attempts_are_skipped_with_their_reason(client: FlaskClient, csrf: Any,
                                                        login_as: Any, make_user: Any,
                                                        db: Session, app: Flask) -> None:
    mine = exam_cohort(db, make_user, app, 2)
    other = exam_cohort(db, make_user, app, 1, name="Not my cohort")
    login_as(user=mine["examiner"])
    released, waiting = mine["attempts"]
    services.release(db, services.review_of(db, released), mine["examiner"], link="")
    stranger = other["attempts"][0]
    response = post_bulk(client, csrf, "release", [released.id, waiting.id, stranger.id,
                                                    waiting.id])
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert status_of(db, waiting) == ReviewStatus.RELEASED
    assert status_of(db, stranger) == ReviewStatus.AWAITING  # not theirs: untouched
    review = services.review_of(db, released)
    assert review is not None
    assert [e.kind for e in review.events].count(ReviewKind.RELEASED) == 1
    assert page.count('class="flash flash-error"') == 2
    assert "Released 1, skipped 2." in page
    assert (f"Skipped {released.trainee.full_name} · A cooperative family: This attempt is not "
            "waiting for review.") in page
    assert f"Skipped attempt {stranger.id}: No such attempt to review." in page
    assert stranger.trainee.full_name not in page  # nothing of another cohort is revealed


def test_double_marking_skips_what_needs_a_mark_or_a_third(client: FlaskClient, csrf: Any,
                                                           login_as: Any, make_user: Any,
                                                           db: Session, app: Flask) -> None:
    setting = exam_cohort(db, make_user, app, 3)
    cohort, first = setting["cohort"], setting["examiner"]
    second = make_user(Role.EXAMINER)
    cohort.examiners = [first, second]
    services.set_marking(db, cohort, setting["trainer"], double=True, threshold=10)
    unmarked, disputed, agreed = setting["attempts"]

    def mark(attempt: Any, examiner: Any, value: float) -> None:
        review = services.review_of(db, attempt)
        assert review is not None
        names = services.markable(attempt.score)
        services.submit_mark(db, review, examiner, dict.fromkeys(names, value))

    mark(unmarked, first, 70)  # one mark of two
    mark(disputed, first, 20)
    mark(disputed, second, 90)  # far apart: a third examiner must settle it
    mark(agreed, first, 70)
    mark(agreed, second, 72)
    login_as(user=first)
    response = post_bulk(client, csrf, "release", [a.id for a in setting["attempts"]])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert [status_of(db, a) for a in setting["attempts"]] == [
        ReviewStatus.IN_REVIEW, ReviewStatus.IN_REVIEW, ReviewStatus.RELEASED]
    assert "Released 1, skipped 2." in page
    assert "needs 2 independent marks" in page and "(1 so far)" in page
    assert "needs 3 independent marks" in page and "(2 so far)" in page


def test_take_several_into_review(client: FlaskClient, csrf: Any, login_as: Any,
                                  make_user: Any, db: Session, app: Flask) -> None:
    setting = exam_cohort(db, make_user, app, 2)
    examiner = login_as(user=setting["examiner"])
    response = post_bulk(client, csrf, "claim", [a.id for a in setting["attempts"]])
    assert response.status_code == 302
    for attempt in setting["attempts"]:
        review = services.review_of(db, attempt)
        assert review is not None
        db.refresh(review)
        assert review.status == ReviewStatus.IN_REVIEW and review.examiner_id == examiner.id
    assert "Taken into review 2, skipped 0." in client.get("/review").get_data(as_text=True)


@pytest.mark.parametrize(("action", "ids", "message"), [
    ("release", [], "Select at least one attempt."),
    ("delete", None, "Not a valid choice"),
    ("", None, "Choose what to do with the selected attempts."),  # the list's first entry
    ("release", ["abc"], "Select at least one attempt."),  # not an id: none selected
    ("release", list(range(1, services.MAX_BULK + 2)), "Select at most 200 attempts at once."),
])
def test_bad_input_is_a_400_with_a_message(client: FlaskClient, csrf: Any, login_as: Any,
                                           make_user: Any, db: Session, app: Flask,
                                           action: str, ids: list[Any] | None,
                                           message: str) -> None:
    setting = exam_cohort(db, make_user, app, 1)
    login_as(user=setting["examiner"])
    response = post_bulk(client, csrf, action, setting_ids(setting) if ids is None else ids)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'data-test="review-queue"' in page
    assert status_of(db, setting["attempts"][0]) == ReviewStatus.AWAITING


def setting_ids(setting: dict[str, Any]) -> list[int]:
    return [a.id for a in setting["attempts"]]


def test_csrf_and_roles(client: FlaskClient, login_as: Any, make_user: Any, db: Session,
                        app: Flask, csrf: Any) -> None:
    setting = exam_cohort(db, make_user, app, 1)
    ids = setting_ids(setting)
    login_as(user=setting["examiner"])
    no_token = client.post("/review/bulk", data={"action": "release", "attempts": ids})
    assert no_token.status_code == 400
    for role in (Role.TRAINEE, Role.TRAINER):
        login_as(role)
        assert post_bulk(client, csrf, "release", ids).status_code == 403
    assert status_of(db, setting["attempts"][0]) == ReviewStatus.AWAITING
    assert db.scalar(select(func.count(Review.id)).where(
        Review.status == ReviewStatus.RELEASED)) == 0


def test_an_id_past_any_row_is_skipped_not_a_500(client: FlaskClient, csrf: Any,
                                                 login_as: Any, make_user: Any,
                                                 db: Session, app: Flask) -> None:
    examiner = login_as(Role.EXAMINER)
    world = exam_cohort(db, make_user, app, 1, examiner=examiner, name="Huge ids")
    first = world["attempts"][0].id
    done = post_bulk(client, csrf, "claim", [str(first), str(2**64), "-1", "0"])
    assert done.status_code == 302  # was an OverflowError from the driver
    assert status_of(db, world["attempts"][0]) == ReviewStatus.IN_REVIEW
