"""The whole-household death's form (户编号 999, H4 only) under review: what the trainee may
learn from it (nothing the register did not say), what it may lose (nothing), and the 复查,
the grading and the examiner's page agreeing about it (each test was a bug a review found)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tests.features.test_deaths_sheet import TRUE_DEATH, form_data, start
from trainer.accounts.models import Role
from trainer.core.grading import forms as grading_forms
from trainer.fieldwork import services

DEATH_999 = {"number": 999, "name": "张三", "sex": 1, "birth": "1938-03", "died": "2020-06",
             "age": 82, "ethnicity": "汉族", "education": 3}
WANG_OCCUPIED = {"building": 1, "unit": 101, "number": 1, "status": "occupied",
                 "head": "王建国", "present": 3, "away": 0, "mode": "visit", "kind": "family"}


def findings_at(client: Any, attempt: Any, unit: str) -> list[str]:
    """The 复查's findings (their `where`) about a unit."""
    page = client.get(f"/training/attempts/{attempt.id}/check").get_data(as_text=True)
    return [where for where in re.findall(r'data-test="finding" data-where="([^"]*)"', page)
            if where == unit or where.startswith(f"{unit}/")]


def listed(client: Any, attempt: Any, unit: str) -> bool:
    """Whether the attempt page lists the unit's R601."""
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    return f'data-test="form-{unit}"' in page


def test_a_999_units_r601_stays_closed_when_its_neighbour_speaks(client, login_as, make_user,
                                                                  db):
    """A neighbour speaking for the 999 unit marks it met, but its R601 opens only once the
    register says 999, as a vacant unit's does: met, nothing is listed, owed or opened."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "whole-household-death")
    services.take_step(db, attempt, "liu", "knock", datetime(2020, 11, 6, 10))
    services.take_step(db, attempt, "liu", "ask_neighbour", None)
    services.take_step(db, attempt, "liu", "show_id", None)  # the neighbour, a proxy, speaks
    db.commit()
    assert services.replay_attempt(attempt).households["liu"].met
    assert client.get(f"/training/attempts/{attempt.id}/forms/liu").status_code == 404
    assert not listed(client, attempt, "liu")
    assert findings_at(client, attempt, "liu") == []  # no "interviewed, form not started"


def test_a_blank_person_row_does_not_keep_a_form_from_becoming_the_999_form(
        client, csrf, login_as, make_user, db):
    """A form saved from the page carries the page's blank person row: that row is no person,
    so once the register says 999 the form is the 999 form (H4 only), completes with H4, and
    the 复查 does not say that it lists persons."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "cooperative-family")
    services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19))
    db.commit()
    url = f"/training/attempts/{attempt.id}/forms/wang"
    assert client.post(url, data=form_data(csrf, {"H4m": 1, "H4f": 0, "persons": []}),
                       headers={"HX-Request": "true"}).status_code == 200  # an autosave
    services.save_register(db, attempt, {"wang": {"building": 1, "unit": 101, "number": 999,
                                                  "status": "all_died"}})
    services.save_deaths(db, attempt, [DEATH_999], complete=True)
    db.commit()
    assert 'data-test="all-died-note"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data=form_data(csrf, {"H4m": 1, "H4f": 0, "persons": []},
                                           complete=True)).status_code == 302
    db.refresh(attempt)
    assert attempt.forms["wang"]["complete"] is True
    check = client.get(f"/training/attempts/{attempt.id}/check").get_data(as_text=True)
    assert 'data-where="register/wang/status"' not in check  # "its form lists persons"


def test_turning_the_register_back_from_999_tells_nothing_about_the_unit(client, csrf, login_as,
                                                                          make_user, db):
    """Two units never met, one really vacant (zhang), one a family (tan), both registered 999
    with a 999 form begun, then both registered vacant: both forms stay open and listed, and
    the 复查 says the same of both, so the trainee learns nothing of who lives where."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "vacant-second-home")
    units = {"zhang": 1202, "tan": 1102}
    services.save_register(db, attempt, {unit: {"building": 7, "unit": number, "number": 999,
                                                "status": "all_died"}
                                         for unit, number in units.items()})
    db.commit()
    for unit in units:
        assert client.post(f"/training/attempts/{attempt.id}/forms/{unit}", data=form_data(
            csrf, {"H4m": 1, "H4f": 0, "persons": []})).status_code == 302
    services.save_register(db, attempt, {unit: {"building": 7, "unit": number,
                                                "status": "vacant"}
                                         for unit, number in units.items()})
    db.commit()
    seen = {unit: (client.get(f"/training/attempts/{attempt.id}/forms/{unit}").status_code,
                   listed(client, attempt, unit), len(findings_at(client, attempt, unit)))
            for unit in units}
    assert seen["zhang"] == seen["tan"], seen


def test_a_stored_999_form_is_a_household_form_again_once_the_register_says_occupied(
        client, csrf, login_as, make_user, db):
    """Once the register lists the unit as an occupied household again, its stored 999 form
    is a household's form (a draft): it needs persons, and the 复查 says so."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "cooperative-family")
    services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19))
    services.save_register(db, attempt, {"wang": {"building": 1, "unit": 101, "number": 999,
                                                  "status": "all_died"}})
    services.save_deaths(db, attempt, [DEATH_999], complete=True)
    services.save_form(db, attempt, "wang", {"H4m": 1, "H4f": 0}, complete=True,
                       confirmed=True)
    assert attempt.forms["wang"]["complete"] is True
    services.save_register(db, attempt, {"wang": WANG_OCCUPIED})
    services.save_deaths(db, attempt, [{**DEATH_999, "number": 1}], complete=True)
    services.save_tally(db, attempt, {"households": 0, "present": 0, "away": 0, "total": 0,
                                      "births": 0, "deaths": 1})
    db.commit()
    page = client.get(f"/training/attempts/{attempt.id}/forms/wang").get_data(as_text=True)
    assert "A household needs at least one person." in page
    assert findings_at(client, attempt, "wang") != []


def vacant_unit_filed_as_999(db: Any, attempt: Any) -> None:
    """In vacant-second-home: the vacant flat (zhang) registered 999 with a 999 form (H4 = 1)
    and its row on the death form, the other flat registered vacant, the tally done."""
    services.save_register(db, attempt, {
        "zhang": {"building": 7, "unit": 1202, "number": 999, "status": "all_died"},
        "tan": {"building": 7, "unit": 1102, "status": "vacant"}})
    services.save_deaths(db, attempt, [DEATH_999], complete=True)
    services.save_form(db, attempt, "zhang", {"H4m": 1, "H4f": 0}, complete=True,
                       confirmed=True)
    services.save_tally(db, attempt, {"households": 0, "present": 0, "away": 0, "total": 0,
                                      "births": 0, "deaths": 1})


def test_the_tally_criterion_and_the_recheck_agree_on_a_999_form_of_a_vacant_unit(
        client, csrf, login_as, make_user, db):
    """A unit really vacant but registered 999, with its 999 form (H4 = 1): the 复查 and the
    `tally` criterion both count its death in ΣH4 (every form filed is added up)."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "vacant-second-home")
    vacant_unit_filed_as_999(db, attempt)
    db.commit()
    check = client.get(f"/training/attempts/{attempt.id}/check").get_data(as_text=True)
    assert "tally/" not in check  # the 复查: the tally adds up the forms
    evidence = grading_forms.attempt_evidence(services.replay_attempt(attempt), attempt.forms,
                                              attempt.register, attempt.tally)
    result = grading_forms.tally_agrees(evidence)
    assert [finding.where for finding in result.findings] == [], result.findings


def test_the_examiner_sees_a_999_form_filled_for_a_vacant_unit(client, login_as, db,
                                                               exam_cohort):
    """The review page shows every R601 the trainee filed, a 999 form for a unit really vacant
    too (its deaths are in the tally's "the forms add up to" column beside it)."""
    made = exam_cohort("Review 999 on a vacant unit", "vacant-second-home")
    attempt = made["attempt"]
    vacant_unit_filed_as_999(db, attempt)
    services.submit(db, attempt)
    db.commit()
    login_as(user=made["examiner"])
    page = client.get(f"/review/attempts/{attempt.id}").get_data(as_text=True)
    assert 'id="form-zhang"' in page


def test_one_missing_999_form_is_one_finding_in_the_recheck(client, login_as, make_user, db):
    """The 999 unit interviewed (the grid worker's account read back) and registered 999, its
    form not begun: the 复查 says so once."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "whole-household-death")
    services.take_step(db, attempt, "liu", "knock", datetime(2020, 11, 6, 10))
    for action in ("ask_grid_worker", "read_back"):
        services.take_step(db, attempt, "liu", action, None)
    services.save_register(db, attempt, {"liu": {"building": 6, "unit": 201, "number": 999,
                                                 "status": "all_died", "present": 0,
                                                 "away": 0}})
    db.commit()
    assert findings_at(client, attempt, "liu") == ["liu"]


def test_a_999_form_is_checked_against_the_rows_numbered_999(login_as, make_user, db):
    """The 999 form's deaths are the death form's rows numbered 999, whatever number the
    register row has so far (the register's own check names a missing number)."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "whole-household-death")
    services.save_register(db, attempt, {"liu": {"building": 6, "unit": 201,
                                                 "status": "all_died"}})
    died = services.replay_attempt(attempt).households["liu"].truth.household.deaths[0]
    services.save_deaths(db, attempt, [{**TRUE_DEATH, "number": 999, "sex": 1,
                                        "education": int(died.education)}], complete=True)
    issues = services.save_form(db, attempt, "liu", {"H4m": 1, "H4f": 0}, complete=True,
                                confirmed=True)
    assert [(issue.rule, issue.item) for issue in issues] == []


def test_a_999_form_whose_deaths_are_not_told_apart_matches_the_truth_on_review(
        client, login_as, db, exam_cohort):
    """With two or more units registered 999, a 999 form is stored without "deaths" (they are
    not told apart): the review page does not count the truth's deaths as missing from it.
    The record is set as save_form stores it then (no library scenario has two)."""
    made = exam_cohort("Review 999 without rows", "whole-household-death")
    attempt = made["attempt"]
    services.save_register(db, attempt, {"liu": {"building": 6, "unit": 201, "number": 999,
                                                 "status": "all_died"}})
    attempt.forms = {"liu": {"record": {"all_died": True, "H4m": 1, "H4f": 0, "persons": []},
                             "complete": True, "confirmed": True}}
    services.submit(db, attempt)
    db.commit()
    login_as(user=made["examiner"])
    page = client.get(f"/review/attempts/{attempt.id}").get_data(as_text=True)
    section = page[page.find('id="form-liu"'):]
    section = section[:section.find("</h3>", 1) + 400]
    assert "The form matches the truth." in section, section


def test_household_items_survive_a_round_trip_through_999(client, csrf, login_as, make_user,
                                                          db):
    """A household's form with its household items and no person, then the register says 999
    and the page autosaves (H4 only), then the register says occupied again: the household
    items are all still there."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "cooperative-family")
    services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19))
    db.commit()
    url = f"/training/attempts/{attempt.id}/forms/wang"
    items = {"H1": 1, "H2a": 3, "H2b": 0, "H3m": 0, "H3f": 0, "H4m": 0, "H4f": 0, "H5": 1,
             "H6": 90, "H7": 3}
    body = {**form_data(csrf, {**items, "persons": [{"D1": ""}]}), "persons-0-remove": "y"}
    assert client.post(url, data=body).status_code == 302
    db.refresh(attempt)
    assert attempt.forms["wang"]["record"]["H6"] == 90 and not attempt.forms["wang"][
        "record"]["persons"]
    services.save_register(db, attempt, {"wang": {"building": 1, "unit": 101, "number": 999,
                                                  "status": "all_died"}})
    db.commit()
    assert 'data-test="all-died-note"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data=form_data(csrf, {"H4m": 0, "H4f": 0, "persons": []}),
                       headers={"HX-Request": "true"}).status_code == 200
    services.save_register(db, attempt, {"wang": WANG_OCCUPIED})
    db.commit()
    db.refresh(attempt)
    kept = attempt.forms["wang"]["record"]
    assert {item: kept.get(item) for item in items} == items


def test_the_tally_page_tells_how_a_999_form_counts_only_when_the_register_has_one(
        client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "cooperative-family")
    url = f"/training/attempts/{attempt.id}/tally"
    assert 'data-test="tally-999"' not in client.get(url).get_data(as_text=True)
    services.save_register(db, attempt, {"wang": WANG_OCCUPIED})
    db.commit()
    assert 'data-test="tally-999"' not in client.get(url).get_data(as_text=True)
    services.save_register(db, attempt, {"wang": {"building": 1, "unit": 101, "number": 999,
                                                  "status": "all_died"}})
    db.commit()
    assert 'data-test="tally-999"' in client.get(url).get_data(as_text=True)
