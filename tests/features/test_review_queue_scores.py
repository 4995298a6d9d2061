"""The review queue filtered by the automatic score: a range from 0 to 100, either end open;
a range that is no range is a localised 400."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.errors import InvalidInput
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.review import services
from trainer.scenarios import services as scenarios


@pytest.fixture
def three_exams(db: Session, make_user: Any, app: Flask) -> dict[str, Any]:
    """An examiner's cohort with three submitted exams, their automatic totals set."""
    trainer, examiner = make_user(Role.TRAINER), make_user(Role.EXAMINER)
    trainees = [make_user(Role.TRAINEE) for _ in range(3)]
    cohort = accounts.create_cohort(db, actor=trainer, name="Score filter cohort",
                                    trainer=trainer, examiners=[examiner])
    cohort.trainees = trainees
    versions = scenarios.sync_library(db, Path(app.config["SCENARIO_DIR"]))
    version = next(v for v in versions if v.scenario_id == "cooperative-family")
    exam = fieldwork.assign(db, actor=trainer, cohort=cohort, version=version, mode=Mode.EXAM,
                            due_on=None)
    attempts = {}
    for trainee, total in zip(trainees, (35.0, 60.0, 92.5), strict=True):
        attempt = fieldwork.submit(db, fieldwork.start_attempt(db, trainee, exam))
        attempt.score = {**(attempt.score or {}), "total": total}
        attempts[total] = attempt
    db.flush()
    return {"examiner": examiner, "attempts": attempts}


def totals(rows: list[services.Row]) -> list[float]:
    return sorted((row.attempt.score or {})["total"] for row in rows)


def test_the_queue_keeps_the_scores_in_the_range(db: Session,
                                                 three_exams: dict[str, Any]) -> None:
    examiner = three_exams["examiner"]
    assert totals(services.queue(db, examiner)) == [35.0, 60.0, 92.5]
    assert totals(services.queue(db, examiner, min_score=60)) == [60.0, 92.5]
    assert totals(services.queue(db, examiner, max_score=60)) == [35.0, 60.0]
    assert totals(services.queue(db, examiner, min_score=40, max_score=90)) == [60.0]
    assert services.queue(db, examiner, min_score=93) == []


def test_the_page_filters_and_refuses_a_range_that_is_no_range(
        client: FlaskClient, login_as: Any, csrf: Any, three_exams: dict[str, Any]) -> None:
    login_as(user=three_exams["examiner"])
    attempts = three_exams["attempts"]
    page = client.get("/review?min_score=50&max_score=100").get_data(as_text=True)
    assert f'data-test="pick-{attempts[60.0].id}"' in page
    assert f'data-test="pick-{attempts[92.5].id}"' in page
    assert f'data-test="pick-{attempts[35.0].id}"' not in page
    assert 'value="50"' in page  # the filter stays filled in
    for query, says in (("min_score=abc", "A score runs from 0 to 100."),
                        ("max_score=101", "A score runs from 0 to 100."),
                        ("min_score=nan", "A score runs from 0 to 100."),
                        ("min_score=-inf", "A score runs from 0 to 100."),
                        ("min_score=80&max_score=20", "The lowest score is above the highest.")):
        refused = client.get(f"/review?{query}")
        assert refused.status_code == 400, query
        text = refused.get_data(as_text=True)
        assert 'data-test="filter-error"' in text and says in text
        assert 'data-test="pick-' not in text
    assert client.get("/review?min_score=&max_score=").status_code == 200  # both ends open
    # a bulk action returns to the queue filtered as it was
    done = client.post("/review/bulk?min_score=50", data={
        "csrf_token": csrf(), "action": "claim", "attempts": [attempts[60.0].id]})
    assert done.status_code == 302 and done.headers["Location"] == "/review?min_score=50"


@given(st.one_of(st.none(), st.text(max_size=12), st.floats().map(str)),
       st.one_of(st.none(), st.text(max_size=12), st.floats().map(str)))
def test_any_query_is_a_range_within_0_to_100_or_a_refusal(low: str | None,
                                                           high: str | None) -> None:
    try:
        bounds = services.score_bounds(low, high)
    except InvalidInput as refused:
        assert refused.field in ("min_score", "max_score")
        return
    for bound in bounds:
        assert bound is None or 0 <= bound <= 100
    if None not in bounds:
        assert bounds[0] <= bounds[1]  # type: ignore[operator]
