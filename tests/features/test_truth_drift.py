"""An attempt keeps a fingerprint of the true households it began with; when a later version
of the application draws them otherwise, the trainee's and the examiner's pages say so."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from trainer.core.scenario import households
from trainer.core.world import idnumber
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork import truth
from trainer.scenarios import services as scenarios

NOTICE = 'data-test="truth-changed"'


@pytest.fixture
def setting(db: Session, exam_cohort: Any) -> dict[str, Any]:
    """An exam on a scenario whose households are drawn with ID numbers from the generator,
    begun by a trainee (two steps), in a cohort with an examiner."""
    made = exam_cohort("Drift cohort")
    fieldwork.take_step(db, made["attempt"], "wang", "knock", datetime(2020, 11, 2, 19, 0))
    fieldwork.take_step(db, made["attempt"], "wang", "greet", None)
    db.commit()
    return made


def test_an_attempt_keeps_the_fingerprint_of_the_households_it_began_with(
        setting: dict[str, Any]) -> None:
    attempt = setting["attempt"]
    assert re.fullmatch(r"[0-9a-f]{64}", attempt.truth_fingerprint or "")
    assert attempt.truth_fingerprint == households.fingerprint(
        scenarios.scenario_of(attempt.version), attempt.seed)
    assert not truth.changed(attempt)


def test_a_generator_that_draws_otherwise_is_noticed(setting: dict[str, Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed rule of the generator (here: ID numbers' sequence digits) changes the
    households of the attempt's (scenario, seed), and the attempt says so."""
    attempt = setting["attempt"]
    real = idnumber.sequence_for
    monkeypatch.setattr(idnumber, "sequence_for", lambda sex, n: real(sex, (n + 7) % 500))
    monkeypatch.setattr(households, "_BUILT", type(households._BUILT)())
    monkeypatch.setattr(truth, "_FINGERPRINTS", {})
    assert truth.changed(attempt)


def test_both_pages_say_so_when_the_households_are_drawn_otherwise(
        setting: dict[str, Any], client: FlaskClient, login_as: Any, db: Session) -> None:
    attempt = setting["attempt"]
    login_as(user=setting["trainee"])
    page = f"/training/attempts/{attempt.id}"
    assert NOTICE not in client.get(page).get_data(as_text=True)
    attempt.truth_fingerprint = "0" * 64  # begun under a generator that drew otherwise
    db.commit()
    mine = client.get(page)
    assert mine.status_code == 200 and NOTICE in mine.get_data(as_text=True)
    zh = client.get(page, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "应用已更新" in zh
    fieldwork.submit(db, attempt)
    db.commit()
    login_as(user=setting["examiner"])
    review = client.get(f"/review/attempts/{attempt.id}").get_data(as_text=True)
    assert NOTICE in review and "drawn otherwise now" in review


def test_an_attempt_begun_before_fingerprints_were_kept_says_nothing(
        setting: dict[str, Any], client: FlaskClient, login_as: Any, db: Session) -> None:
    attempt = setting["attempt"]
    attempt.truth_fingerprint = None
    db.commit()
    assert not truth.changed(attempt)
    login_as(user=setting["trainee"])
    assert NOTICE not in client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
