"""Hostile values that once made a 500 or broke a page for everyone (second security review,
session 15): a control character in a trainee's answer, a "nan" chapter time, digits other
than 0-9 in an ID number and in tus headers, numbers too large for a float in a player's
progress report."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.security.conftest import ask_on_clip
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Attempt
from trainer.video.models import Clip, WatchProgress

TUS = {"Tus-Resumable": "1.0.0"}


def _met(db, estate):
    attempt = db.get(Attempt, estate.ids["attempt"])
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    db.commit()


def test_a_control_character_in_an_answer_does_not_break_the_workbook(client, csrf, login_as,
                                                                       estate, db):
    login_as(user=estate.users["victim"])
    _met(db, estate)
    client.post(estate.url("/training/attempts/{attempt}/forms/wang"),
                data={"H1": "1", "persons-0-D1": "王\x01国", "csrf_token": csrf()})
    client.post(estate.url("/training/attempts/{attempt}/submit"), data={"csrf_token": csrf()})
    login_as(user=estate.users["trainer_a"])
    response = client.get(estate.url("/cohorts/{cohort_a}/scores.xlsx"))
    assert response.status_code == 200
    data = response.data
    response.close()
    book = load_workbook(io.BytesIO(data), read_only=True)
    cells = [str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for value in row if value is not None]
    assert any("王\ufffd国" in cell for cell in cells)
    assert not any("\x01" in cell for cell in cells)


@pytest.mark.parametrize("clock", ["nan", "inf", "-inf", "1e999"])
def test_a_chapter_time_that_is_not_a_number_is_refused(clock, client, csrf, login_as, estate,
                                                        db):
    login_as(user=estate.users["trainer_a"])
    before = db.get(Clip, estate.ids["clip"]).chapters
    response = client.post(estate.url("/clips/{clip}/chapters"),
                           data={"text": f"{clock} Intro | Intro", "csrf_token": csrf()})
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Clip, estate.ids["clip"]).chapters == before
    login_as(user=estate.users["victim"])
    assert client.get(estate.url("/clips/{clip}")).status_code == 200


def test_an_id_number_of_superscript_digits_is_not_saved_as_one(client, csrf, login_as, estate,
                                                                 db):
    login_as(user=estate.users["victim"])
    _met(db, estate)
    response = client.post(estate.url("/training/attempts/{attempt}/forms/wang"), data={
        "persons-0-D1": "王建国", "persons-0-D3": "¹" * 17 + "X", "csrf_token": csrf()},
        headers={"HX-Request": "true"})
    assert response.status_code < 500


@pytest.mark.parametrize("report", [
    '{"segments": [], "position": 1' + "0" * 400 + "}",
    '{"segments": [[0, 1' + "0" * 400 + "]], \"position\": 0}",
    '{"segments": [], "position": Infinity}',
])
def test_a_progress_report_of_hostile_numbers_is_refused(report, client, csrf, login_as, estate):
    login_as(user=estate.users["victim"])
    response = client.post(estate.url("/clips/{clip}/progress"), data=report,
                           content_type="application/json", headers={"X-CSRFToken": csrf()})
    assert response.status_code == 400


@pytest.mark.parametrize("answer", [
    '{"question": 0, "choice": Infinity}',
    '{"question": NaN, "choice": 0}',
    '{"question": 1e400, "choice": 0}',
    '{"question": 0, "choice": 1' + "0" * 400 + "}",
    '{"question": 0, "choice": [[0, 1]]}',
    '[[0, 1]]',
])
def test_an_answer_of_hostile_numbers_is_refused(answer, client, csrf, login_as, estate, db):
    ask_on_clip(db, estate)
    login_as(user=estate.users["victim"])
    response = client.post(estate.url("/clips/{clip}/answers"), data=answer,
                           content_type="application/json",
                           headers={"X-CSRFToken": csrf(), "Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["message"]
    assert db.scalar(select(WatchProgress)) is None


@pytest.mark.parametrize("length", ["\xb2", "9" * 5000, "٣"])
def test_a_tus_length_of_other_digits_is_refused(length, client, csrf, login_as, estate):
    login_as(user=estate.users["trainer_a"])
    response = client.post("/clips/uploads", headers={
        **TUS, "X-CSRFToken": csrf(), "Upload-Length": length,
        "Upload-Metadata": "filename dmlzaXQubXA0"})
    assert response.status_code == 400


@pytest.mark.parametrize("offset", ["\xb2", "9" * 5000])
def test_a_tus_offset_of_other_digits_is_refused(offset, client, csrf, login_as, estate):
    login_as(user=estate.users["trainer_a"])
    created = client.post("/clips/uploads", headers={
        **TUS, "X-CSRFToken": csrf(), "Upload-Length": "4",
        "Upload-Metadata": "filename dmlzaXQubXA0"})
    assert created.status_code == 201
    response = client.patch(created.headers["Location"], data=b"abcd", headers={
        **TUS, "X-CSRFToken": csrf(), "Upload-Offset": offset,
        "Content-Type": "application/offset+octet-stream"})
    assert response.status_code == 400
