"""What the attempt, debrief, review and progress pages print for people: a household by its
address (as the visit page names it), never by its internal key; and every date-time in one
form, Beijing time `YYYY-MM-DD HH:MM`, in both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.features.test_review import BEST, setting  # noqa: F401  (a fixture)
from trainer.accounts.models import Role
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.review import services as review_services

EN, ZH = {"Accept-Language": "en"}, {"Accept-Language": "zh-CN"}
LABEL = {"en": "建设路 building 3, unit 502", "zh": "建设路 3栋502室"}  # the unit `wang`
# Babel's short forms: 11/30/26, 4:39 AM (en) and 2026/11/30 04:39 (zh_CN)
OTHER_FORMS = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b|\b\d{4}/\d{1,2}/\d{1,2}\b|\d:\d\d\s?[AP]M")
SUBMITTED = datetime(2026, 11, 29, 20, 39, tzinfo=UTC)  # 04:39 the next day in Beijing


def _text(page: str) -> str:
    """The page's visible text, roughly: tags dropped, spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _no_raw_key(page: str) -> None:
    """No place prints the key `wang` where a reader sees it (attributes may keep it)."""
    text = _text(page)
    assert "<code>wang</code>" not in page
    for raw in ("wang:", "wang：", "· wang ·", "R601 · wang", " wang · "):
        assert raw not in text, raw


def test_the_examiners_review_page_names_households_by_address(
        client: FlaskClient, login_as: Any, db: Session,
        setting: dict[str, Any]) -> None:  # noqa: F811
    review = review_services.review_of(db, setting["attempt"])
    assert review is not None
    review_services.comment(db, review, setting["examiner"], text="Ask about the son.",
                            anchor="form:wang")
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{setting['attempt'].id}"
    for headers, lang in ((EN, "en"), (ZH, "zh")):
        page = client.get(url, headers=headers).get_data(as_text=True)
        text = _text(page)
        _no_raw_key(page)
        assert "form:wang</code>" not in page  # the comment's anchor
        assert f'data-anchor="form:wang">{LABEL[lang]}</span>' in page
        assert f"· {LABEL[lang]} ·" in text  # the transcript's turns
        assert f"{LABEL[lang]}:" in text or f"{LABEL[lang]}：" in text  # the findings
        assert f'data-unit="wang">{LABEL[lang]}' in page  # the form's heading, the register
        assert f'<option value="form:wang">{LABEL[lang]}</option>' in page  # anchor choices


def test_the_trainees_attempt_and_debrief_name_households_by_address(
        client: FlaskClient, login_as: Any, db: Session,
        setting: dict[str, Any]) -> None:  # noqa: F811
    practice = fieldwork.assign(db, actor=setting["trainer"], cohort=setting["cohort"],
                                version=setting["version"], mode=Mode.PRACTICE, due_on=None)
    attempt = fieldwork.start_attempt(db, setting["trainee"], practice)
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    for action in BEST:
        fieldwork.take_step(db, attempt, "wang", action, None)
    fieldwork.submit(db, attempt)
    login_as(user=setting["trainee"])
    for headers, lang in ((EN, "en"), (ZH, "zh")):
        page = client.get(f"/training/attempts/{attempt.id}",
                          headers=headers).get_data(as_text=True)
        text = _text(page)
        _no_raw_key(page)
        assert 'data-test="debrief"' in page
        assert f"R601 · {LABEL[lang]}" in text  # the card of forms
        assert f"· {LABEL[lang]} ·" in text  # the transcript
        assert f"{LABEL[lang]}:" in text or f"{LABEL[lang]}：" in text  # the debrief's findings
        check = client.get(f"/training/attempts/{attempt.id}/check",
                           headers=headers).get_data(as_text=True)
        assert "<code>wang</code>" not in check


def test_date_times_are_shown_in_beijing_time_in_one_form(
        client: FlaskClient, login_as: Any, db: Session,
        setting: dict[str, Any]) -> None:  # noqa: F811
    attempt = setting["attempt"]
    attempt.submitted_at = SUBMITTED
    db.flush()
    shown = "2026-11-30 04:39"
    login_as(user=setting["examiner"])
    for headers in (EN, ZH):
        queue = _text(client.get("/review?status=all", headers=headers).get_data(as_text=True))
        assert shown in queue and not OTHER_FORMS.search(queue)
        page = _text(client.get(f"/review/attempts/{attempt.id}",
                                headers=headers).get_data(as_text=True))
        assert shown in page and not OTHER_FORMS.search(page)  # submitted; grades, record too
    login_as(user=setting["trainee"])
    for headers in (EN, ZH):
        own = _text(client.get(f"/training/attempts/{attempt.id}",
                               headers=headers).get_data(as_text=True))
        assert shown in own and not OTHER_FORMS.search(own)


def test_the_dashboards_frequent_findings_name_households_by_address(
        client: FlaskClient, login_as: Any, setting: dict[str, Any]) -> None:  # noqa: F811
    login_as(user=setting["examiner"])
    for headers, lang in ((EN, "en"), (ZH, "zh")):
        page = client.get(f"/cohorts/{setting['cohort'].id}/dashboard",
                          headers=headers).get_data(as_text=True)
        findings = _text(page[page.index('data-test="findings"'):])
        assert f"{LABEL[lang]}:" in findings or f"{LABEL[lang]}：" in findings
        assert "wang:" not in findings and "wang：" not in findings


def test_the_admins_user_pages_show_date_times_in_the_same_form(
        client: FlaskClient, login_as: Any, db: Session,
        setting: dict[str, Any]) -> None:  # noqa: F811
    trainee = setting["trainee"]
    trainee.last_login_at = SUBMITTED
    db.flush()
    login_as(Role.ADMIN)
    for headers in (EN, ZH):
        for url in ("/admin/users", f"/admin/users/{trainee.id}"):
            page = _text(client.get(url, headers=headers).get_data(as_text=True))
            assert "2026-11-30 04:39" in page and not OTHER_FORMS.search(page), url


def test_a_flat_of_a_world_is_named_by_its_stairwell_and_door_in_both_languages(app) -> None:
    from trainer.core.scenario.households import TruthHousehold
    from trainer.fieldwork.views import truth_label

    flat = TruthHousehold("f", "family", None, building=3, unit=17, stairwell=2, door=502)
    written = TruthHousehold("w", "family", None, building=3, unit=502, street="建设路")
    for headers, expected in ((ZH, ("3栋2单元502室", LABEL["zh"])),
                              (EN, ("building 3, stairwell 2, flat 502", LABEL["en"]))):
        with app.test_request_context(headers=headers):
            assert (truth_label(flat), truth_label(written)) == expected
