"""Faults the security suite found in the field work's forms, fixed: a huge number and a
register row for a unit that is not in the exercise are refused with a 400, not a 500."""

from __future__ import annotations

import pytest

HUGE = "9" * 400  # an integer past a float's range: WTForms' NumberRange raises OverflowError


@pytest.mark.parametrize(("path", "field"), [
    ("/training/attempts/{attempt}/tally", "present"),
    ("/training/attempts/{attempt}/forms/wang", "H6"),
    ("/training/attempts/{attempt}/register", "rows-0-present"),
])
def test_a_huge_number_in_a_fieldwork_form_is_refused(path, field, client, csrf, login_as,
                                                      estate):
    login_as(user=estate.users["victim"])
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
