"""The administrator's work walked through in a browser, in Chinese on a laptop (1280x800) and
in English on a desktop (1366x768): users (created, refused, reset, deactivated, given another
role), a first log-in with a temporary password, cohorts (created, renamed, trainees added and
removed, trainer and examiners chosen), the audit log (filtered, paged, its details in words),
a trainee's personal data exported and deleted, API tokens (created, shown once, revoked),
the operations endpoints and the log-in rate limit. Every page answers without an error, fits
its width, speaks its language (a Chinese label's colon full-width) and asks before it
destroys."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import (
    ARTIFACTS,
    DEMO_PASSWORDS,
    HALF_COLON,
    LiveServer,
    begun_exam,
    untranslated,
    walk_page,
    zh,
)
from trainer.accounts import services as accounts
from trainer.accounts.models import AuditEvent, AuditKind, Role
from trainer.extensions import DB_KEY, limiter

pytestmark = pytest.mark.browser

WALKS = [pytest.param("zh-CN", {"width": 1280, "height": 800}, id="zh-laptop"),
         pytest.param("en-US", {"width": 1366, "height": 768}, id="en-desktop")]



def tag(locale: str) -> str:
    return "zh" if zh(locale) else "en"


@contextmanager
def walk_as(browser: Any, live_server: LiveServer, username: str, password: str,
            locale: str, viewport: dict[str, int]) -> Iterator[Any]:
    """A logged-in page of `username` in `locale`; every confirmation asked is accepted (and
    kept in `page.dialogs`)."""
    with walk_page(browser, live_server, username, password, locale, dialogs=True,
                   viewport=viewport, accept_downloads=True) as page:
        yield page


def log_in(page: Any, username: str, password: str) -> Any:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]").click()
    return navigation.value


def look(page: Any, name: str, locale: str, width: int) -> None:
    """The page as it stands: no stack trace, nothing wider than the window, on a Chinese page
    no half-width colon after a Chinese word and no English message of the interface
    (`untranslated`); a screenshot of the whole page."""
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Internal Server Error" not in text
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    if zh(locale):
        assert page.evaluate("document.documentElement.lang").startswith("zh")
        assert HALF_COLON.findall(text) == [], name
        assert untranslated(page.locator("main").inner_text()) == [], name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{tag(locale)}-{name}.png"), full_page=True)


def go(page: Any, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, path


def submit(page: Any, form: Any, status: int | None = None) -> Any:
    """Click the form's submit button; the answer's status is checked when given."""
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    if status is not None:
        assert navigation.value.status == status
    return navigation.value


@pytest.mark.parametrize(("locale", "viewport"), WALKS)
def test_admin_manages_users(browser: Any, live_server: LiveServer, locale: str,
                             viewport: dict[str, int]) -> None:
    width = viewport["width"]
    prefix = f"walk-{tag(locale)}-"
    with walk_as(browser, live_server, "admin", DEMO_PASSWORDS["admin"], locale, viewport) as page:
        go(page, "/admin/users")
        look(page, "users", locale, width)

        # a trainee, a trainer and an examiner; the trainee's password generated
        issued = {}
        for role, name in (("trainee", "走查学员"), ("trainer", "走查培训师"),
                           ("examiner", "走查考官")):
            go(page, "/admin/users/new")
            form = page.locator("main form")
            form.locator("#username").fill(f"{prefix}{role}")
            form.locator("#full_name").fill(name)
            form.locator("#role").select_option(role)
            submit(page, form, 200)
            issued[role] = page.locator("[data-testid=temporary-password]").inner_text().strip()
            assert re.fullmatch(r"(\w{4}-){3}\w{4}", issued[role])
        look(page, "user-created", locale, width)

        # refusals: each at its field, in words, with what was typed kept
        go(page, "/admin/users/new")
        look(page, "user-form", locale, width)
        cases = [
            (f"{prefix}trainee", "", "已被使用" if zh(locale) else "already taken"),
            ("Bad Name!", "", "用户名" if zh(locale) else "A user name has"),
            (f"{prefix}weak", "short", "密码至少需要 10 个字符。" if zh(locale)
             else "A password needs at least 10 characters."),
        ]
        for username, password, words in cases:
            form = page.locator("main form")
            form.locator("#username").fill(username)
            form.locator("#full_name").fill("重名测试")
            form.locator("#email").fill("walk@example.org")
            form.locator("#role").select_option("trainer")
            form.locator("#password").fill(password)
            answer = submit(page, form)
            assert answer.status in (400, 409)
            field = "#password" if password else "#username"
            error = page.locator(f"main form {field} ~ .field-error")
            expect(error).to_contain_text(words)
            expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
            # the error is red, the field's hint above it keeps its own colour (Pico made it
            # red too: a taken name read as if it broke the hint's rule)
            expect(page.locator(f"main form {field} + small.field-hint")).to_have_count(1)
            colours = page.evaluate(
                "([hint, error]) => [hint, error].map(s => getComputedStyle("
                "document.querySelector(s)).color)",
                [f"main form {field} + small.field-hint", f"main form {field} ~ .field-error"])
            assert colours[0] != colours[1], colours
            expect(page.locator("#full_name")).to_have_value("重名测试")
            expect(page.locator("#email")).to_have_value("walk@example.org")
            expect(page.locator("#role")).to_have_value("trainer")
            if not password:
                expect(page.locator("#username")).to_have_value(username)
            look(page, f"user-refused-{'password' if password else 'name'}", locale, width)

        # the new trainee's page: reset, deactivate and reactivate, each asked first
        go(page, "/admin/users?q=" + prefix + "trainee")
        with page.expect_navigation():
            page.locator("main table a", has_text=f"{prefix}trainee").click()
        user_url = page.url
        look(page, "user-detail", locale, width)
        reset = page.locator("main form[action$='/reset-password']")
        submit(page, reset, 200)
        assert page.dialogs[-1] == ("确定重置该用户的密码吗？" if zh(locale)
                                    else "Reset the password of this user?")
        temporary = page.locator("[data-testid=temporary-password]").inner_text().strip()
        assert temporary != issued["trainee"]
        look(page, "password-reset", locale, width)
        page.goto(user_url)
        submit(page, page.locator("main form[action$='/active']"), 200)
        assert len(page.dialogs) == 2
        expect(page.locator("main .flash-success")).to_have_text(
            "账号已停用。" if zh(locale) else "The account has been deactivated.")
        look(page, "user-deactivated", locale, width)
        submit(page, page.locator("main form[action$='/active']"), 200)
        expect(page.locator("main .flash-success")).to_have_text(
            "账号已重新启用。" if zh(locale) else "The account has been reactivated.")

        # another role: the examiner becomes a trainer, and an examiner again
        go(page, "/admin/users?role=examiner&q=" + prefix)
        with page.expect_navigation():
            page.locator("main table a", has_text=f"{prefix}examiner").click()
        for role in ("trainer", "examiner"):
            form = page.locator("main form[action$='/role']")
            form.locator("select").select_option(role)
            submit(page, form, 200)
            expect(page.locator("main dl.facts dd").first).to_have_text(
                {"trainer": "培训师", "examiner": "考官"}[role] if zh(locale)
                else role.capitalize())
        look(page, "user-role-changed", locale, width)

    # the trainee's first log-in: the temporary password must be changed before anything else
    context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server.url)
    try:
        page = context.new_page()
        log_in(page, f"{prefix}trainee", temporary)
        assert page.url.endswith("/account/password")
        expect(page.locator("main .flash-info")).to_be_visible()
        expect(page.locator("nav [data-nav]").filter(has_not_text="x")).to_have_count(2)
        page.goto("/training")
        assert page.url.endswith("/account/password")
        look(page, "first-log-in", locale, width)
        form = page.locator("main form")
        form.locator("#current_password").fill(temporary)
        form.locator("#new_password").fill("Walk-trainee-2020")
        form.locator("#confirm").fill("Walk-trainee-2021")
        submit(page, form, 400)
        expect(page.locator("#confirm ~ .field-error")).to_have_text(
            "两次输入的密码不一致。" if zh(locale) else "The passwords differ.")
        look(page, "first-log-in-refused", locale, width)
        form.locator("#current_password").fill(temporary)
        form.locator("#new_password").fill("Walk-trainee-2020")
        form.locator("#confirm").fill("Walk-trainee-2020")
        submit(page, form, 200)
        assert page.url.endswith("/training")
        expect(page.locator("main .flash-success")).to_be_visible()
    finally:
        context.close()


def make_users(live_server: LiveServer, prefix: str, roles: dict[str, Role]) -> dict[str, int]:
    """Accounts `prefix` + each key, with that role and a Chinese name: their ids."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        made = {key: accounts.create_user(db, actor=None, username=f"{prefix}{key}",
                                          full_name=f"走查{key}", role=role,
                                          password="Walk-admin-2020")[0]
                for key, role in roles.items()}
        db.commit()
        return {key: user.id for key, user in made.items()}


@pytest.mark.parametrize(("locale", "viewport"), WALKS)
def test_admin_runs_cohorts(browser: Any, live_server: LiveServer, locale: str,
                            viewport: dict[str, int]) -> None:
    width = viewport["width"]
    prefix = f"cohort-{tag(locale)}-"
    make_users(live_server, prefix, {"trainer": Role.TRAINER, "other": Role.TRAINER,
                                     "marker1": Role.EXAMINER, "marker2": Role.EXAMINER,
                                     "pupil1": Role.TRAINEE, "pupil2": Role.TRAINEE})
    label = "管理走查班"  # data: Chinese in both languages
    with walk_as(browser, live_server, "admin", DEMO_PASSWORDS["admin"], locale, viewport) as page:
        go(page, "/cohorts")
        look(page, "cohorts", locale, width)
        with page.expect_navigation():
            page.locator("main a[href='/cohorts/new']").click()
        form = page.locator("main form")
        form.locator("#description").fill("夜班")
        form.locator("#trainer_id").select_option(label=f"走查trainer ({prefix}trainer)")
        form.locator("#examiner_ids").select_option(label=f"走查marker1 ({prefix}marker1)")
        submit(page, form, 400)  # no name
        expect(page.locator("#name ~ .field-error")).to_be_visible()
        expect(page.locator("#description")).to_have_value("夜班")
        look(page, "cohort-refused", locale, width)
        page.locator("#name").fill(f"{label} {locale}")
        submit(page, page.locator("main form"), 200)
        expect(page.locator("main h1")).to_have_text(f"{label} {locale}")
        cohort_url = page.url

        # renamed: a name another cohort has is refused at the field, the rest kept
        with page.expect_navigation():
            page.locator("[data-test=edit-cohort]").click()
        look(page, "cohort-edit", locale, width)
        form = page.locator("main form")
        form.locator("#name").fill("岳阳楼区 2020 普查员培训 (demo)")
        form.locator("#description").fill("夜班，改名")
        form.locator("#trainer_id").select_option(label=f"走查other ({prefix}other)")
        submit(page, form, 409)
        expect(page.locator("#name ~ .field-error")).to_contain_text(
            "已存在" if zh(locale) else "already exists")
        expect(page.locator("#description")).to_have_value("夜班，改名")
        expect(page.locator("#trainer_id option:checked")).to_have_text(
            f"走查other ({prefix}other)")
        look(page, "cohort-edit-refused", locale, width)
        page.locator("#name").fill(f"{label} {locale} 改")
        submit(page, page.locator("main form"), 200)
        assert page.url == cohort_url
        expect(page.locator("main h1")).to_have_text(f"{label} {locale} 改")
        expect(page.locator("main dl.facts dd").first).to_contain_text(f"{prefix}other")

        # trainees added and one taken out again, after a question
        for pupil in ("pupil1", "pupil2"):
            form = page.locator("[data-test=add-trainee]")
            form.locator("select").select_option(label=f"走查{pupil} ({prefix}{pupil})")
            submit(page, form, 200)
        trainees = page.locator("[data-test=trainees] li")
        expect(trainees).to_have_count(2)
        submit(page, trainees.filter(has_text=f"{prefix}pupil1").locator("form"), 200)
        assert page.dialogs[-1].startswith("要将走查pupil1移出" if zh(locale)
                                           else "Take 走查pupil1 out of this cohort?")
        expect(trainees).to_have_count(1)
        expect(trainees).to_contain_text(f"{prefix}pupil2")

        # both examiners
        form = page.locator("main form[action$='/examiners']")
        form.locator("select").select_option(label=[f"走查marker1 ({prefix}marker1)",
                                                    f"走查marker2 ({prefix}marker2)"])
        submit(page, form, 200)
        expect(page.locator("main form[action$='/examiners'] option:checked")).to_have_count(2)
        look(page, "cohort", locale, width)
        go(page, "/cohorts")
        row = page.locator("main tbody tr", has_text=f"{label} {locale} 改")
        expect(row).to_contain_text("走查marker1；走查marker2" if zh(locale)
                                    else "走查marker1; 走查marker2")


@pytest.mark.parametrize(("locale", "viewport"), WALKS)
def test_admin_reads_the_audit_log(browser: Any, live_server: LiveServer, locale: str,
                                   viewport: dict[str, int]) -> None:
    width = viewport["width"]
    prefix = f"audit-{tag(locale)}-"
    ids = make_users(live_server, prefix, {"clerk": Role.TRAINEE})
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        admin = accounts.user_by_username(db, "admin")
        clerk = accounts.get_user(db, ids["clerk"])
        for _ in range(55):  # more than a page of events about one user
            accounts.request_password_reset(db, clerk.username, ip="192.0.2.7")
        accounts.authenticate(db, clerk.username, "not the password", ip="192.0.2.7")
        accounts.change_role(db, actor=admin, user=clerk, role=Role.EXAMINER)
        db.commit()
    with walk_as(browser, live_server, "admin", DEMO_PASSWORDS["admin"], locale, viewport) as page:
        go(page, "/admin/audit")
        look(page, "audit", locale, width)
        filters = page.locator("[data-test=audit-filters]")
        filters.locator("input[name=user]").fill(f"{prefix}clerk")
        submit(page, filters, 200)
        rows = page.locator("[data-test=audit-table] tbody tr")
        expect(rows).to_have_count(50)
        role_row = rows.first
        expect(role_row).to_contain_text("角色变更" if zh(locale) else "Role changed")
        expect(role_row.locator(".tag")).to_have_text(
            "角色：学员 → 考官" if zh(locale) else "Role: Trainee → Examiner")
        failed = rows.nth(1)
        expect(failed).to_contain_text("登录失败" if zh(locale) else "Failed log-in")
        expect(failed.locator(".tag")).to_have_text(
            "原因：密码错误" if zh(locale) else "Reason: Wrong password")
        look(page, "audit-user", locale, width)

        # the next page keeps the filter; the kind narrows it further
        with page.expect_navigation() as navigation:
            page.locator("nav.pager a[rel=next]").click()
        assert navigation.value.status == 200
        expect(rows).to_have_count(8)  # 55 requests, a failure, a role, the account
        expect(page.locator("[data-test=audit-filters] input[name=user]")).to_have_value(
            f"{prefix}clerk")
        expect(page.locator("nav.pager a[rel=next]")).to_have_count(0)
        expect(page.locator("nav.pager a[rel=prev]")).to_have_count(1)
        filters.locator("select[name=kind]").select_option(AuditKind.USER_CREATED.value)
        submit(page, filters, 200)
        expect(rows).to_have_count(1)
        expect(rows.first.locator(".tag")).to_have_text(
            "角色：学员" if zh(locale) else "Role: Trainee")
        look(page, "audit-kind", locale, width)

        # a cohort's event names the cohort in words
        filters.locator("input[name=user]").fill("")
        filters.locator("select[name=kind]").select_option(AuditKind.COHORT_CREATED.value)
        submit(page, filters, 200)
        expect(rows.last.locator(".tag")).to_have_text(
            ("培训班：" if zh(locale) else "Cohort: ") + "岳阳楼区 2020 普查员培训 (demo)")
        look(page, "audit-cohort", locale, width)
        go(page, "/admin/audit?kind=nonsense", 400)


@pytest.mark.parametrize(("locale", "viewport"), WALKS)
def test_admin_exports_and_deletes_a_trainees_personal_data(
        browser: Any, live_server: LiveServer, locale: str, viewport: dict[str, int]) -> None:
    width = viewport["width"]
    prefix = f"gone-{tag(locale)}-"
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        attempt = begun_exam(db, prefix, f"删除 {locale} ", "Walk-gone-2020")
        trainee = attempt.trainee
        trainee.email = f"{prefix}trainee@example.org"
        accounts.authenticate(db, f"{prefix}trainee", "a wrong password", ip="192.0.2.9")
        db.commit()
        trainee_id, attempt_id, cohort_id = trainee.id, attempt.id, attempt.assignment.cohort_id
    with walk_as(browser, live_server, "admin", DEMO_PASSWORDS["admin"], locale, viewport) as page:
        go(page, f"/admin/users/{trainee_id}")
        look(page, "personal-data", locale, width)
        with page.expect_download() as download:
            page.locator("main form[action$='/personal-data/export'] button").click()
        assert download.value.suggested_filename == f"personal-data-{trainee_id}.json"
        document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert document["profile"]["username"] == f"{prefix}trainee"
        assert document["profile"]["email"] == f"{prefix}trainee@example.org"
        assert [c["id"] for c in document["cohorts"]] == [cohort_id]
        [exported] = document["attempts"]
        assert exported["id"] == attempt_id and exported["steps"]
        kinds = [event["kind"] for event in document["audit_events"]]
        assert {"user_created", "login_failed", "personal_data_exported"} <= set(kinds)

        # a wrong name deletes nothing, says so at the field and keeps what was typed
        form = page.locator("main form[action$='/personal-data/delete']")
        form.locator("input[name=confirm_username]").fill(f"{prefix}trainer")
        submit(page, form, 400)
        field = page.locator("main form[action$='/personal-data/delete'] "
                             "input[name=confirm_username]")
        expect(field).to_have_value(f"{prefix}trainer")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#confirm_username ~ .field-error")).to_have_text(
            "输入的用户名不符，未删除任何内容。" if zh(locale)
            else "The user name typed does not match; nothing was deleted.")
        look(page, "personal-data-mismatch", locale, width)

        field.fill(f"{prefix}trainee")
        submit(page, page.locator("main form[action$='/personal-data/delete']"), 200)
        assert page.dialogs[-1] == ("删除该学员的个人数据？" if zh(locale)
                                    else "Delete the personal data of this trainee?")
        expect(page.locator("main h1")).to_contain_text(f"deleted-{trainee_id}")
        expect(page.locator("main form[action$='/personal-data/delete']")).to_have_count(0)
        expect(page.locator("[data-test=account-actions]")).to_have_count(0)
        look(page, "personal-data-deleted", locale, width)

    # what the README says goes has gone, and what it keeps is kept
    from trainer.fieldwork.models import Attempt

    with app.app_context(), app.extensions[DB_KEY]() as db:
        user = accounts.get_user(db, trainee_id)
        assert (user.username, user.full_name, user.email, user.active) == (
            f"deleted-{trainee_id}", f"deleted-{trainee_id}", None, False)
        assert db.get(Attempt, attempt_id) is None
        assert accounts.get_cohort(db, cohort_id).trainees == []
        events = db.scalars(select(AuditEvent).where(AuditEvent.subject_id == trainee_id)).all()
        assert {AuditKind.USER_CREATED, AuditKind.LOGIN_FAILED,
                AuditKind.PERSONAL_DATA_DELETED} <= {event.kind for event in events}
        assert f"{prefix}trainee" not in {event.username_tried for event in events}
        assert accounts.authenticate(db, f"{prefix}trainee", "Walk-gone-2020", ip=None) is None
        db.rollback()


@pytest.mark.parametrize(("locale", "viewport"), WALKS)
@pytest.mark.parametrize("holder", ["examiner", "admin"])
def test_api_tokens_are_shown_once_and_revoked_after_a_question(
        browser: Any, live_server: LiveServer, locale: str, viewport: dict[str, int],
        holder: str) -> None:
    width = viewport["width"]
    name = f"走查 {holder} {locale}"
    with walk_as(browser, live_server, holder, DEMO_PASSWORDS[holder], locale, viewport) as page:
        go(page, "/account/api-tokens")
        intro = page.locator("main > p").first
        expect(intro).to_contain_text("Authorization: Bearer <令牌>" if zh(locale)
                                      else "Authorization: Bearer <token>")
        look(page, f"tokens-{holder}", locale, width)
        form = page.locator("main form[action$='/api-tokens']")
        form.locator("select[name=cohort_ids]").select_option(
            label="岳阳楼区 2020 普查员培训 (demo)")
        form.locator("select[name=expires_in]").select_option("30")
        submit(page, form, 400)  # no name
        expect(page.locator("#name ~ .field-error")).to_have_text(
            "请为令牌命名。" if zh(locale) else "Give the token a name.")
        expect(page.locator("select[name=cohort_ids] option:checked")).to_have_count(1)
        expect(page.locator("select[name=expires_in]")).to_have_value("30")
        page.locator("#name").fill(name)
        submit(page, page.locator("main form[action$='/api-tokens']"), 200)
        raw = page.locator("[data-test=new-token]").input_value()
        assert len(raw) > 20
        # the whole token is in view in its field, and a button copies it
        assert page.locator("[data-test=new-token]").evaluate(
            "field => field.scrollWidth <= field.clientWidth")
        page.locator("[data-test=copy-token]").click()
        expect(page.locator("[data-test=copy-token]")).to_have_text(
            "已复制" if zh(locale) else "Copied")
        assert page.locator("[data-test=new-token]").evaluate(
            "field => field.selectionEnd - field.selectionStart") == len(raw)
        look(page, f"token-created-{holder}", locale, width)
        answer = page.request.get("/api/v1/cohorts", headers={"Authorization": f"Bearer {raw}"})
        assert answer.status == 200

        go(page, "/account/api-tokens")
        assert raw not in page.content()  # shown once only
        row = page.locator("[data-test=token-row]", has_text=name)
        expect(row).to_contain_text(raw[:6])
        submit(page, row.locator("form"), 200)
        assert page.dialogs[-1] == (f"要撤销令牌“{name}”吗？使用它的程序将立即无法访问。"
                                    if zh(locale) else f"Revoke the token “{name}”? Programs "
                                    "that use it stop working at once.")
        expect(row).to_contain_text("已撤销" if zh(locale) else "Revoked")
        look(page, f"token-revoked-{holder}", locale, width)
        answer = page.request.get("/api/v1/cohorts", headers={"Authorization": f"Bearer {raw}"})
        assert answer.status == 401


def test_operations_endpoints(browser: Any, live_server: LiveServer) -> None:
    """Health and readiness for anyone; metrics for an admin only (404 for others)."""
    context = browser.new_context(base_url=live_server.url)
    try:
        request = context.request
        assert request.get("/healthz").json() == {"status": "ok"}
        ready = request.get("/readyz")
        assert ready.status == 200 and ready.json()["failed"] == []
        assert request.get("/metrics").status == 404
        page = context.new_page()
        log_in(page, "examiner", DEMO_PASSWORDS["examiner"])
        assert request.get("/metrics").status == 404
    finally:
        context.close()
    with walk_as(browser, live_server, "admin", DEMO_PASSWORDS["admin"], "en-US",
                 {"width": 1366, "height": 768}) as page:
        metrics = page.request.get("/metrics")
        assert metrics.status == 200
        assert "trainer_request_duration_seconds" in metrics.text()


@pytest.mark.parametrize(("locale", "viewport"), WALKS)
def test_log_in_rate_limit_says_so(browser: Any, live_server: LiveServer, locale: str,
                                   viewport: dict[str, int]) -> None:
    """Failed log-ins past the limit get a localised page that says to wait, with the form."""
    width = viewport["width"]
    context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server.url)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        statuses = []
        for _ in range(11):
            statuses.append(log_in(page, "admin", "not-the-password").status)
        assert statuses == [401] * 10 + [429]
        expect(page.locator("main h1")).to_contain_text(
            "尝试次数过多" if zh(locale) else "Too many attempts")
        expect(page.locator("main")).to_contain_text(
            "短时间内尝试次数过多。请等几分钟后再试。" if zh(locale)
            else "Too many attempts in a short time. Wait a few minutes and try again.")
        look(page, "rate-limited", locale, width)
    finally:
        context.close()
        limiter.reset()  # the limit counts this address: later log-ins must pass
