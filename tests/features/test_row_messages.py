"""WTForms' own messages (a number out of range, a choice not offered) under a field of a
repeated row (the register's rows, the death form's, R601's persons) speak the page's
language: those rows are plain WTForms forms, which had no translations, so a Chinese page
said "Number must be between 0 and 999." in English."""

from __future__ import annotations

from datetime import datetime

from tests.features.test_deaths_sheet import TRUE_DEATH, rows_body, start
from trainer.accounts.models import Role
from trainer.fieldwork import services

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
OUT_OF_RANGE = "数值大小必须介于 0 到 999 之间"
ENGLISH = ("Number must be between", "Not a valid choice")


def refused(client, url, data):
    response = client.post(url, data=data, headers=ZH)
    assert response.status_code == 400
    return response.get_data(as_text=True)


def test_row_errors_are_in_chinese_on_a_chinese_page(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "cooperative-family")

    services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    form = refused(client, f"/training/attempts/{attempt.id}/forms/wang",
                   {"csrf_token": csrf(), "persons-0-D1": "王建国", "persons-0-D2": "99"})
    assert "Not a valid choice" not in form and 'id="persons-0-D2-error"' in form

    register = refused(client, f"/training/attempts/{attempt.id}/register",
                       {"csrf_token": csrf(), "rows-0-unit_id": "wang", "rows-0-number": "1000",
                        "rows-0-status": "burnt"})
    deaths = refused(client, f"/training/attempts/{attempt.id}/deaths",
                     rows_body(csrf, [{**TRUE_DEATH, "number": "1000", "sex": "7"}]))
    for page in (register, deaths):
        assert OUT_OF_RANGE in page
        assert not [text for text in ENGLISH if text in page]
