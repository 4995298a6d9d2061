"""The score an override replaced is read from the attempt's grades: a page or an API answer
showing many overrides reads those grades once, not once per line, and still sees a grade
added later in the same session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.features.test_review import setting  # noqa: F401  (a fixture)
from tests.features.test_review_display import _regrade_leaving
from trainer.review import services as review
from trainer.review.models import ReviewKind

OVERRIDES = 6
# The query that reads all of an attempt's grades (`grades.grades_of`), not the latest alone.
GRADES_LIST = re.compile(r"\bFROM grades\b(?!.*\bLIMIT\b)", re.S | re.I)


@contextmanager
def grade_lists_read(engine: Engine) -> Iterator[list[str]]:
    """The SELECTs of an attempt's whole list of grades run on `engine` meanwhile."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and GRADES_LIST.search(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _overridden(db: Session, made: dict[str, Any]) -> Any:
    """The attempt's review with OVERRIDES overrides, each of the criteria in turn."""
    attempt, examiner = made["attempt"], made["examiner"]
    found = review.review_of(db, attempt)
    assert found is not None
    names = list(review.markable(attempt.score))
    for turn in range(OVERRIDES):
        review.override(db, found, examiner, criterion=names[turn % len(names)],
                        score=10 + turn, reason="Judged on the transcript")
    db.flush()
    return found


def test_score_before_reads_the_grades_once_for_every_override(
        db: Session, engine: Engine, setting: dict[str, Any]) -> None:  # noqa: F811
    found = _overridden(db, setting)
    entries = [entry for entry in found.events if entry.kind == ReviewKind.OVERRIDE]
    assert len(entries) == OVERRIDES and all(entry.before is not None for entry in entries)
    with grade_lists_read(engine) as seen:
        befores = [review.score_before(entry) for entry in entries]
    assert befores == [entry.before for entry in entries]
    assert len(seen) == 1, seen


def test_the_review_page_and_the_api_read_the_grades_once(
        client: FlaskClient, login_as: Any, db: Session, engine: Engine,
        setting: dict[str, Any]) -> None:  # noqa: F811
    from trainer.api import services as api

    found = _overridden(db, setting)
    examiner, attempt = setting["examiner"], setting["attempt"]
    _token, raw = api.create_token(db, owner=examiner, name="Queries",
                                   cohort_ids=[setting["cohort"].id])
    db.flush()
    login_as(user=examiner)
    with grade_lists_read(engine) as seen:
        page = client.get(f"/review/attempts/{attempt.id}").get_data(as_text=True)
    assert page.count(" → ") >= OVERRIDES  # every override's line shows what it replaced
    assert len(seen) == 1, seen
    with grade_lists_read(engine) as seen:
        answer = client.get(f"/api/v1/attempts/{attempt.id}/grade",
                            headers={"Authorization": f"Bearer {raw}"}).json
    assert [change["before"] for change in answer["overrides"]] == [
        entry.before for entry in found.events if entry.kind == ReviewKind.OVERRIDE]
    assert len(seen) == 1, seen


def test_a_grade_added_in_the_same_session_is_seen(
        db: Session, setting: dict[str, Any], monkeypatch: Any) -> None:  # noqa: F811
    """The grades read for one override stand until a regrade in the same session: an
    override recorded after it reads the new grade (here: a criterion it leaves out)."""
    attempt, examiner = setting["attempt"], setting["examiner"]
    found = review.review_of(db, attempt)
    assert found is not None
    first = review.override(db, found, examiner, criterion="coverage", score=40,
                            reason="Judged on the transcript")
    assert review.score_before(first) == attempt.score["criteria"]["coverage"]["score"]
    name = next(name for name in review.markable(attempt.score) if name != "coverage")
    _regrade_leaving(db, monkeypatch, attempt, name, applicable=False)
    # as the old code recorded an override of a criterion left out: the grading's placeholder
    later = review.record(db, found, examiner, ReviewKind.OVERRIDE, criterion=name,
                          before=1.0, after=0.5, text="Judged on the transcript")
    db.flush()
    assert review.score_before(later) is None
    assert review.score_before(first) == first.before  # graded before the regrade
