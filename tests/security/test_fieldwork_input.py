"""Faults the security suite found in the field work's forms, fixed: a huge number and a
register row for a unit that is not in the exercise are refused with a 400, not a 500."""

from __future__ import annotations

from datetime import datetime

import pytest

from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Attempt

HUGE = "9" * 400  # an integer past a float's range: WTForms' NumberRange raises OverflowError


@pytest.mark.parametrize(("path", "field"), [
    ("/training/attempts/{attempt}/tally", "present"),
    ("/training/attempts/{attempt}/forms/wang", "H6"),
    ("/training/attempts/{attempt}/register", "rows-0-present"),
])
def test_a_huge_number_in_a_fieldwork_form_is_refused(path, field, client, csrf, login_as,
                                                      estate, db):
    login_as(user=estate.users["victim"])
    if "/forms/" in path:  # a household's form opens once the household was met
        attempt = db.get(Attempt, estate.ids["attempt"])
        fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
        db.commit()
        assert client.get(estate.url(path)).status_code == 200
    data = {field: HUGE, "csrf_token": csrf()}
    if "register" in path:
        data["rows-0-unit_id"] = "wang"
    response = client.post(estate.url(path), data=data)
    assert response.status_code == 400


@pytest.mark.parametrize("unit_id", ["not-a-unit", ""])
def test_a_register_row_of_an_unknown_unit_is_refused(unit_id, client, csrf, login_as,
                                                      estate):
    login_as(user=estate.users["victim"])
    response = client.post(estate.url("/training/attempts/{attempt}/register"), data={
        "rows-0-unit_id": unit_id, "rows-0-present": "x", "csrf_token": csrf()})
    assert response.status_code == 400
