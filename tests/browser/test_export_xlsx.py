"""A trainer downloads the cohort's scores and findings as XLSX from the dashboard, and the
workbook holds a row per attempt and per finding, with the Chinese names intact."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import log_in
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.review import services as review
from trainer.scenarios import services as scenarios

pytestmark = pytest.mark.browser
PASSWORD = "Export-scores-2020"
STEPS = {"xlsxtrainee1": ("greet", "show_id", "explain_purpose", "explain_legal_basis",
                          "promise_confidentiality", "ask_item:roster", "read_back"),
         "xlsxtrainee2": ("greet", "ask_item:roster")}


def graded_cohort(live_server: LiveServer) -> tuple[int, dict[str, dict[str, Any]]]:
    """A cohort of its own (the demo users stay as they are) with two submitted exams: the
    cohort's id and, by user name, each trainee's name, attempt id and score."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username="xlsxtrainer",
                                       full_name="导出培训师", role=Role.TRAINER,
                                       password=PASSWORD)[0]
        trainees = [accounts.create_user(db, actor=None, username=name,
                                         full_name=f"导出学员{n}", role=Role.TRAINEE,
                                         password=PASSWORD)[0]
                    for n, name in enumerate(STEPS, start=1)]
        cohort = accounts.create_cohort(db, actor=trainer, name="导出班", trainer=trainer)
        cohort.trainees = trainees
        exam = fieldwork.assign(db, actor=trainer, cohort=cohort, mode=Mode.EXAM, due_on=None,
                                version=scenarios.get_version(db, "cooperative-family"))
        made = {}
        for trainee in trainees:
            attempt = fieldwork.start_attempt(db, trainee, exam)
            fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
            for action in STEPS[trainee.username]:
                fieldwork.take_step(db, attempt, "wang", action, None)
            fieldwork.submit(db, attempt)
            made[trainee.username] = {"name": trainee.full_name, "attempt": attempt.id,
                                      "score": attempt.score}
        db.commit()
        return cohort.id, made


def test_trainer_downloads_the_scores_workbook(browser_page: BrowserPage,
                                               live_server: LiveServer,
                                               tmp_path: Path) -> None:
    bp, page = browser_page, browser_page.page
    cohort_id, made = graded_cohort(live_server)
    log_in(bp, "xlsxtrainer", PASSWORD)
    page.goto(f"/cohorts/{cohort_id}/dashboard")
    expect(page.locator("[data-test=dashboard-summary]")).to_contain_text(
        "Trainees: 2 · graded attempts: 2 ·")
    with page.expect_download() as waiting:
        page.locator("[data-test=export-xlsx]").click()
    download = waiting.value
    assert download.suggested_filename == f"cohort-{cohort_id}-scores.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    book = load_workbook(saved, read_only=True)
    assert book.sheetnames == ["Scores", "Findings"]
    scores = [list(row) for row in book["Scores"].iter_rows(values_only=True)]
    assert tuple(scores[0]) == review.EXPORT_COLUMNS
    by_user = {row[1]: dict(zip(review.EXPORT_COLUMNS, row, strict=True)) for row in scores[1:]}
    assert set(by_user) == set(made)
    for username, expected in made.items():
        row = by_user[username]
        assert row["attempt"] == expected["attempt"] and row["trainee"] == expected["name"]
        assert row["scenario"] == "cooperative-family" and row["mode"] == "exam"
        assert row["review"] == "awaiting_review"  # an exam waits for its examiner
        assert row["total"] == expected["score"]["total"]
        assert row["passed"] == ("yes" if expected["score"]["passed"] else "no")
        assert "privacy=" in row["criteria"]
    assert by_user["xlsxtrainee1"]["total"] > by_user["xlsxtrainee2"]["total"]

    findings = [list(row) for row in book["Findings"].iter_rows(values_only=True)]
    assert tuple(findings[0]) == review.FINDING_COLUMNS
    wanted = sum(len(result["findings"]) for expected in made.values()
                 for result in expected["score"]["criteria"].values())
    assert wanted and len(findings) - 1 == wanted
    assert {row[1] for row in findings[1:]} <= set(made)
    book.close()
    bp.screenshot("export-xlsx-dashboard")
    bp.assert_no_errors()
