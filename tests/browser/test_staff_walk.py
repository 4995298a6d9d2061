"""The examiner's and the trainer's work walked through in a browser, once in English on a
desktop (1366x768) and once in Chinese on a laptop (1280x800): every page answers without an
error, fits its width and keeps a Chinese label's colon full-width; a finding's evidence links
to its place, a refused change of score shows its error where the examiner is and keeps what was
typed, the released score reads right for the trainee; a past due date is refused in words,
the scenario editor places a problem at its line, and worlds and clips open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ARTIFACTS,
    DEMO_PASSWORDS,
    HALF_COLON,
    LiveServer,
    begun_exam,
    walk_page,
    zh,
)
from trainer.accounts import services as accounts
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork

pytestmark = pytest.mark.browser

WALKS = [pytest.param("en-US", {"width": 1366, "height": 768}, id="en-desktop"),
         pytest.param("zh-CN", {"width": 1280, "height": 800}, id="zh-laptop")]



@contextmanager
def walk_as(browser: Any, live_server: LiveServer, username: str, password: str,
            locale: str, viewport: dict[str, int]) -> Iterator[Any]:
    """A logged-in page of `username` in `locale`."""
    with walk_page(browser, live_server, username, password, locale,
                   viewport=viewport) as page:
        yield page


def look(page: Any, name: str, locale: str, width: int) -> None:
    """The page as it stands: no stack trace, nothing wider than the window, no half-width
    colon after a Chinese word on a Chinese page; a screenshot of what is in view."""
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Internal Server Error" not in text
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    if zh(locale):
        assert page.evaluate("document.documentElement.lang").startswith("zh")
        assert HALF_COLON.findall(text) == [], name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"staff-{locale}-{name}.png"))


def go(page: Any, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path


def submitted_exam(live_server: LiveServer, locale: str) -> tuple[int, str]:
    """An exam of a cohort of its own, which the demo examiner reviews, submitted with an
    empty register (a finding whose evidence is the register): (attempt id, trainee)."""
    app = live_server.app
    prefix = f"walk-{locale.lower()}-"
    with app.app_context(), app.extensions[DB_KEY]() as db:
        attempt = begun_exam(db, prefix, f"走查 {locale} ", "Walk-review-2020",
                             examiner=accounts.user_by_username(db, "examiner"))
        for action in ("greet", "show_id"):
            fieldwork.take_step(db, attempt, "wang", action, None)
        fieldwork.submit(db, attempt)
        db.commit()
        return attempt.id, f"{prefix}trainee"


@pytest.mark.parametrize(("locale", "viewport"), WALKS)
def test_examiner_reviews_and_releases(browser: Any, live_server: LiveServer, locale: str,
                                       viewport: dict[str, int]) -> None:
    attempt, trainee = submitted_exam(live_server, locale)
    width = viewport["width"]
    reason = "出示证件后住户已核实。" if zh(locale) else "She checked the card: a fair close."
    with walk_as(browser, live_server, "examiner", DEMO_PASSWORDS["examiner"], locale,
                 viewport) as page:
        page.on("dialog", lambda dialog: dialog.accept())
        go(page, "/review")
        row = page.locator("[data-test=review-queue] tbody tr", has_text=f"走查 {locale}")
        expect(row).to_have_count(1)
        look(page, "review-queue", locale, width)
        with page.expect_navigation():
            row.locator(f"a[href='/review/attempts/{attempt}']").click()
        look(page, "review-attempt", locale, width)

        # every finding's evidence links to its place on the page: a turn, the register
        scores = page.locator("[data-test=review-scores]")
        for href in scores.locator("td a[href^='#']").evaluate_all(
                "links => links.map(a => a.getAttribute('href'))"):
            assert page.locator(href).count() == 1, href
        register = scores.locator("[data-test=finding-where][data-where^='register/']").first
        expect(register).to_have_attribute("href", "#paper-register")
        register.click()
        expect(page.locator("#register-heading")).to_be_in_viewport()
        assert page.url.endswith("#paper-register")
        page.screenshot(path=str(ARTIFACTS / f"staff-{locale}-review-register.png"))

        # a change of score without a reason: the error in words, in view, nothing lost
        go(page, f"/review/attempts/{attempt}?criterion=outcome")
        form = page.locator("[data-test=override-form]")
        form.locator("input[name=score]").fill("80")
        with page.expect_response(lambda r: r.url.endswith("/override")) as answer:
            form.locator("button[type=submit]").click()
        assert answer.value.status == 400
        page.wait_for_load_state()
        form = page.locator("[data-test=override-form]")
        error = form.locator(".field-error")
        expect(error).to_have_text("请说明理由。" if zh(locale) else "Say why.")
        expect(error).to_be_in_viewport()
        expect(form.locator("textarea[name=reason]")).to_be_focused()
        expect(form.locator("input[name=score]")).to_have_value("80")
        expect(form.locator("input[name=criterion]:checked")).to_have_value("outcome")
        look(page, "review-no-reason", locale, width)

        form.locator("textarea[name=reason]").fill(reason)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        expect(page.locator("[data-test=criterion-outcome]")).to_have_class(
            re.compile("overridden"))
        expect(page.locator("[data-test=criterion-outcome] [data-test=counted]")).to_contain_text(
            "80")
        with page.expect_navigation():
            page.locator("[data-test=release]").click()
        expect(page.locator("[data-test=review-status]")).to_have_text(
            "已发布" if zh(locale) else "Released")
        total = re.search(r"([\d.]+)", page.locator("#scores-heading").inner_text())
        assert total is not None
        look(page, "review-released", locale, width)

    with walk_as(browser, live_server, trainee, "Walk-review-2020", locale, viewport) as page:
        go(page, f"/training/attempts/{attempt}")
        expect(page.locator("[data-test=debrief] h2")).to_contain_text(total.group(1))
        expect(page.locator("[data-test=review-comments]")).to_contain_text(reason)
        look(page, "trainee-released", locale, width)


def own_cohort(live_server: LiveServer, locale: str) -> int:
    """A cohort of the demo trainer's own to assign exercises in (the demo's stays as it is)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.user_by_username(db, "trainer")
        cohort = accounts.create_cohort(db, actor=trainer, name=f"走查班 {locale}",
                                        trainer=trainer)
        db.commit()
        return cohort.id


@pytest.mark.parametrize(("locale", "viewport"), WALKS)
def test_trainer_walks_cohorts_scenarios_worlds_and_clips(
        browser: Any, live_server: LiveServer, locale: str, viewport: dict[str, int]) -> None:
    cohort = own_cohort(live_server, locale)
    width = viewport["width"]
    with walk_as(browser, live_server, "trainer", DEMO_PASSWORDS["trainer"], locale,
                 viewport) as page:
        go(page, "/cohorts/1")
        look(page, "cohort", locale, width)
        go(page, "/cohorts/1/exercises")
        look(page, "exercises", locale, width)
        progress = page.locator("main a[href$='/progress']").first
        with page.expect_navigation():
            progress.click()
        look(page, "progress", locale, width)
        go(page, "/cohorts/1/dashboard")
        summary = page.locator("[data-test=dashboard-summary]").inner_text()
        assert not re.search(r"\b1 (trainees|attempts)\b", summary)  # no "1 trainees"
        if not zh(locale):
            assert re.match(r"Trainees: \d+ · graded attempts: \d+ · passed: \d+%\.", summary)
        look(page, "dashboard", locale, width)

        # assigning: a due date in the past is refused in words and kept; none is fine
        go(page, f"/cohorts/{cohort}/exercises")
        form = page.locator("main form").last
        form.locator("input[name=due_on]").fill("2020-01-01")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        error = page.locator("main .field-error")
        expect(error).to_have_text("截止日期不能早于今天。" if zh(locale)
                                   else "The due date cannot be in the past.")
        expect(page.locator("input[name=due_on]")).to_have_value("2020-01-01")
        # the form is below the cohort's exercises: the refused field is shown and focused
        expect(page.locator("input[name=due_on]")).to_be_focused()
        expect(error).to_be_in_viewport()
        look(page, "assign-past", locale, width)
        page.locator("input[name=due_on]").fill("")
        with page.expect_navigation():
            page.locator("main form").last.locator("button[type=submit]").click()
        expect(page.locator("main table tbody tr")).to_have_count(1)
        look(page, "assign-empty", locale, width)

        walk_the_editor(page, locale, width)
        walk_the_worlds(page, locale, width)

        go(page, "/clips/1")
        tracks = page.locator("video track[kind=captions]")
        expect(tracks).to_have_count(2)
        chapters = page.locator("video track[kind=chapters]")
        assert chapters.get_attribute("srclang") == ("zh" if zh(locale) else "en")
        for src in [*tracks.evaluate_all("ts => ts.map(t => t.getAttribute('src'))"),
                    chapters.get_attribute("src")]:
            vtt = page.request.get(src)
            assert vtt.status == 200 and vtt.text().startswith("WEBVTT"), src
        first = page.locator("ol.chapters li").first
        expect(first).to_contain_text("入户自我介绍" if zh(locale)
                                      else "Introducing yourself at the door")
        expect(page.locator("#transcript li").first).to_be_visible()
        look(page, "clip", locale, width)


def walk_the_editor(page: Any, locale: str, width: int) -> None:
    """evening-tenants: its page's buttons in one row and its moves' colons; an error brought
    into the draft is placed at its line and explained, the versions compared; the draft's
    text put back as it was."""
    go(page, "/scenarios/evening-tenants")
    tops = page.locator("[data-test=scenario-actions] :is(button, a)").evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert len(tops) == 3 and max(tops) - min(tops) <= 2, tops
    moves = page.locator(".script-node li span").all_inner_texts()
    asked = "询问普查项目：" if zh(locale) else "Ask a form item: "
    assert any(move.startswith(asked) for move in moves), moves
    look(page, "scenario", locale, width)

    go(page, "/scenarios/evening-tenants/edit")
    page.wait_for_function("() => document.querySelector('.CodeMirror')?.CodeMirror")
    editor = "document.querySelector('.CodeMirror').CodeMirror"
    original = page.evaluate(f"{editor}.getValue()")
    line = original.splitlines().index(
        next(text for text in original.splitlines() if text.startswith("minutes:"))) + 1
    try:
        page.evaluate(f"t => {editor}.setValue(t)",
                      re.sub(r"(?m)^minutes: \d+", "minutes: lots", original, count=1))
        problem = page.locator("[data-test=problems] li").first
        expect(problem).to_contain_text("minutes")
        expect(problem.locator("a.goto-line")).to_have_attribute("data-line", str(line))
        message = problem.inner_text()
        assert "integer" not in message
        if not zh(locale):
            assert "expected a whole number, found 'lots'" in message
        expect(page.locator(".CodeMirror-lint-marker-error").first).to_be_visible()
        problem.locator("a.goto-line").click()
        assert page.evaluate(f"{editor}.getCursor().line") == line - 1
        expect(page.locator("[data-test=save-status]")).to_contain_text(
            "已保存" if zh(locale) else "Saved")
        look(page, "editor-problem", locale, width)

        go(page, "/scenarios/evening-tenants/diff")
        heads = page.locator("[data-test=diff] thead th").all_inner_texts()
        assert heads[:2] == ["v1", "草稿" if zh(locale) else "draft"], heads
        expect(page.locator("[data-test=diff] tr.diff-added")).to_contain_text("minutes: lots")
        look(page, "diff", locale, width)
        with page.expect_navigation():
            page.locator("[data-test=diff-edit]").click()
        page.wait_for_function("() => document.querySelector('.CodeMirror')?.CodeMirror")
    finally:
        page.evaluate(f"t => {editor}.setValue(t)", original)
        expect(page.locator("[data-test=no-problems]")).to_be_visible()
        expect(page.locator("[data-test=save-status]")).to_contain_text(
            "已保存" if zh(locale) else "Saved")


def walk_the_worlds(page: Any, locale: str, width: int) -> None:
    """The demo world, its overview map, a grid, an area and a household's truth, whose
    respondent's language is named in the page's language."""
    go(page, "/worlds/1")
    look(page, "world", locale, width)
    go(page, "/worlds/1/map")
    look(page, "world-map", locale, width)
    go(page, "/worlds/1/grids/0")
    look(page, "grid", locale, width)
    area = page.locator("main a[href*='/areas/']").first
    with page.expect_navigation():
        area.click()
    look(page, "area", locale, width)
    household = page.locator("main a[href*='/households/']").first
    with page.expect_navigation():
        household.click()
    language = page.locator("dl.facts dt", has_text="语言" if zh(locale) else "Language")
    spoken = language.locator("xpath=following-sibling::dd[1]").inner_text()
    if zh(locale):
        assert spoken in ("普通话", "岳阳话"), spoken
    else:
        assert spoken in ("Mandarin (普通话)", "Yueyang dialect (岳阳话)"), spoken
    look(page, "household", locale, width)
