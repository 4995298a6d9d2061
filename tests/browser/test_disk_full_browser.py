"""A full disk and a wrong ID number, as a trainer sees them in the browser.

The live server's media folder is, for the clip tests, a small tmpfs the kernel fills (as in
tests/features/test_disk_full.py, nothing is faked): the uploader on the clips page says the
disk is full in the page's language and nothing half-uploaded stays; a clip whose processing
ran out of room says so on its page, and its retry works once the disk is larger. Mounting
needs root (CI's machine is run as root); elsewhere the clip tests skip, and CI
(TRAINER_NO_SKIP=1) fails a skip. In the scenario editor, an `id_number` the R601 form would
refuse is listed with its line, its path and the reason, in the page's language.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import ARTIFACTS, VIEWPORT, LiveServer
from tests.features.video_support import make_clip
from tests.small_disk import PAGE, SmallDisk, small_disk_at
from trainer.accounts import services as accounts
from trainer.accounts.models import Role, User
from trainer.core.world import idnumber
from trainer.extensions import DB_KEY
from trainer.video import services
from trainer.video.models import Clip, ClipStatus, Upload

pytestmark = pytest.mark.browser
PASSWORD = "Disk-full-trainer-2020"
SHOTS = Path(tempfile.gettempdir()) / "shots"  # and beside the other tests' screenshots

# What the pages say, in each language (the Chinese as the catalogue has it).
WORDS = {
    "en": {
        "upload_failed": "The upload failed: " + services.DISK_FULL_MESSAGE,
        "processing_failed": services.DISK_FULL_PROCESSING,
        "failed": "Processing failed", "ready": "Ready", "try_again": "Try again",
    },
    "zh_CN": {
        "upload_failed": "上传失败：服务器磁盘已满，上传已中止并丢弃。"
                         "请稍后再试，或请管理员释放空间。",
        "processing_failed": "服务器磁盘已满，视频无法处理。请管理员释放空间后再试。",
        "failed": "处理失败", "ready": "可观看", "try_again": "重试",
    },
}


@pytest.fixture
def small_disk(live_server: LiveServer, tmp_path: Path) -> Iterator[SmallDisk]:
    """A tmpfs of 64 pages mounted on a folder of the test's own, made the live server's
    MEDIA_ROOT for the test (the app reads it at each request and job); put back after."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        last_clip = db.scalar(select(func.max(Clip.id))) or 0
    before = app.config["MEDIA_ROOT"]
    try:
        with small_disk_at(tmp_path / "media") as disk:
            app.config["MEDIA_ROOT"] = str(disk.path)
            yield disk
    finally:
        app.config["MEDIA_ROOT"] = before
        # The clips made on this disk lost their files with it: gone from the shared server,
        # so that the other tests' clips pages do not ask for their posters.
        with app.app_context(), app.extensions[DB_KEY]() as db:
            for clip in db.scalars(select(Clip).where(Clip.id > last_clip)):
                db.delete(clip)
            db.commit()


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("disk-full-browser") / "doorstep.mp4",
                     seconds=1.0, size="640x360")


def trainer_named(live_server: LiveServer, username: str) -> None:
    """A trainer of the test's own (a language saved on the demo's trainer would follow the
    other browser tests)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        if db.scalar(select(User).where(User.username == username)) is None:
            accounts.create_user(db, actor=None, username=username, full_name="磁盘培训师",
                                 role=Role.TRAINER, password=PASSWORD)
            db.commit()


def open_page(browser: Any, live_server: LiveServer, username: str, locale: str,
              errors: list[str]) -> Any:
    """A page logged in as `username`, speaking `locale` (chosen in the header if the
    account's saved language differs); script errors go to `errors`."""
    trainer_named(live_server, username)
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url,
                                  locale="zh-CN" if locale == "zh_CN" else "en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: record_upload_error(message, errors))
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    choose_language(page, locale)
    return page


def record_upload_error(message: Any, errors: list[str]) -> None:
    """A console error about an upload's request, but the full disk's 507 the test provokes
    (the other pages' errors are left to the other browser tests: the clips page's posters of
    clips whose files are not on this test's disk are 404s here)."""
    url = (message.location or {}).get("url", "")
    if (message.type == "error" and "/clips/uploads" in url
            and "status of 507" not in message.text):
        errors.append(f"console: {message.text} ({url})")


def choose_language(page: Any, locale: str) -> None:
    if page.locator("#lang-select").input_value() != locale:
        with page.expect_navigation():
            page.locator("#lang-select").select_option(locale)


def shot(page: Any, name: str) -> None:
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def rows(live_server: LiveServer, username: str) -> tuple[int, list[Clip]]:
    """The user's uploads in progress, and their clips."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        user = db.scalar(select(User).where(User.username == username))
        assert user is not None
        uploads = db.scalar(select(func.count()).select_from(Upload)
                            .where(Upload.created_by_id == user.id)) or 0
        clips = list(db.scalars(select(Clip).where(Clip.created_by_id == user.id)))
        db.expunge_all()
        return uploads, clips


def start_upload(page: Any, title: str, source: Path) -> None:
    page.goto("/clips")
    with page.expect_navigation():
        page.locator("[data-nav=upload-clip]").click()
    page.locator("#clip-title").fill(title)
    page.locator("#clip-file").set_input_files(str(source))
    page.locator("#upload-start").click()


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_an_upload_on_a_full_disk_says_so_and_leaves_nothing(
        browser: Any, live_server: LiveServer, small_disk: SmallDisk, clip_file: Path,
        locale: str) -> None:
    """The disk has room for half the clip: the uploader stops at once (no retries, no
    "retrying…"), says why in the page's language, hides its pause button, and nothing of
    the upload stays (no part file, no upload or clip row, no resume URL kept by the
    browser). Once the disk is larger, pressing Upload again makes the clip."""
    username = f"diskfull-upload-{locale.lower().replace('_', '')}"
    words = WORDS[locale]
    errors: list[str] = []
    page = open_page(browser, live_server, username, locale, errors)
    try:
        small_disk.resize(clip_file.stat().st_size // 2 // PAGE * PAGE)
        start_upload(page, f"磁盘已满 {locale}", clip_file)
        status = page.locator("#upload-status")
        expect(status).to_have_text(words["upload_failed"])
        expect(status).to_have_class("field-error")
        expect(page.locator("#upload-pause")).to_be_hidden()
        expect(page.locator("#upload-progress")).to_be_hidden()  # not stuck part-way
        shot(page, f"disk-full-upload-{locale}")
        assert small_disk.files() == []
        assert rows(live_server, username) == (0, [])
        # the discarded upload's URL is forgotten: the next try does not resume it (a 404)
        page.wait_for_function("() => !Object.keys(localStorage).some(k => k.startsWith('tus::'))")

        small_disk.resize(16 * clip_file.stat().st_size)
        with page.expect_navigation(timeout=30_000):
            page.locator("#upload-start").click()
        expect(page.locator("main h1")).to_have_text(f"磁盘已满 {locale}")
        expect(page.locator("#clip-status")).to_contain_text(words["ready"])
        shot(page, f"disk-full-upload-again-{locale}")
        uploads, clips = rows(live_server, username)
        assert uploads == 0 and [clip.status for clip in clips] == [ClipStatus.READY]
        assert errors == []
    finally:
        page.context.close()


def test_a_clip_whose_processing_ran_out_of_room_says_so_and_retries(
        browser: Any, live_server: LiveServer, small_disk: SmallDisk,
        clip_file: Path) -> None:
    """The original fits, the renditions do not (the tests' queue runs the job as the upload
    ends): the clip's page says the disk is full, in English and in Chinese, with no
    ffmpeg words or server path; once the disk is larger, "Try again" makes it ready."""
    username = "diskfull-processing"
    errors: list[str] = []
    page = open_page(browser, live_server, username, "en", errors)
    try:
        small_disk.resize((clip_file.stat().st_size // PAGE + 4) * PAGE)
        with page.expect_navigation(timeout=30_000):
            start_upload(page, "处理时磁盘已满", clip_file)
        status = page.locator("#clip-status")
        for locale in ("en", "zh_CN"):
            choose_language(page, locale)
            words = WORDS[locale]
            expect(status.locator("strong")).to_have_text(words["failed"])
            expect(status.locator(".flash-error")).to_have_text(words["processing_failed"])
            expect(status.locator("button[type=submit]")).to_have_text(words["try_again"])
            expect(status).not_to_contain_text(str(small_disk.path))
            expect(status).not_to_contain_text("ffmpeg")
            expect(status.locator("progress")).to_have_count(0)
            shot(page, f"disk-full-processing-{locale}")
        _uploads, [clip] = rows(live_server, username)
        assert clip.status == ClipStatus.FAILED and clip.error == services.DISK_FULL_PROCESSING
        assert small_disk.files() == [clip.original_key]

        small_disk.resize(16 * clip_file.stat().st_size)
        with page.expect_navigation(timeout=30_000):
            status.locator("button[type=submit]").click()
        expect(status).to_contain_text(WORDS["zh_CN"]["ready"])
        expect(page.locator(".flash-error")).to_have_count(0)
        expect(page.locator("#player")).to_be_visible()
        shot(page, "disk-full-processing-retried-zh_CN")
        _uploads, [clip] = rows(live_server, username)
        assert clip.status == ClipStatus.READY and clip.error is None
        assert errors == []
    finally:
        page.context.close()


# The starter template's head of household (scenarios/authoring.py) and an ID number that is
# right for her but for its check character.
HEAD = "- {name: 张伟, relation: 0, sex: 1, birth: 1975-03-01}"
GOOD_ID = idnumber.make_id("430602", date(1975, 3, 1), 1)
BAD_CHECK = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
ID_PROBLEM = {
    "en": f"{BAD_CHECK} is not a valid ID number: its check character or its date of birth "
          "is wrong",
    "zh_CN": f"{BAD_CHECK} 不是有效的身份证号码：校验码或出生日期有误",
}
LINE_WORDS = {"en": "line {line}, column {column}", "zh_CN": "第 {line} 行第 {column} 列"}
COLON = {"en": ": ", "zh_CN": "："}


def editor_text(page: Any) -> str:
    return str(page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()"))


def set_editor_text(page: Any, text: str) -> None:
    page.evaluate("t => document.querySelector('.CodeMirror').CodeMirror.setValue(t)", text)


def new_scenario(page: Any, scenario_id: str) -> str:
    """A new scenario from the starter template, open in the editor: its text."""
    page.goto("/scenarios")
    page.locator('[data-test="new-scenario"]').click()
    page.fill("#scenario_id", scenario_id)
    page.fill("#title_zh", "身份证号码")
    page.fill("#title_en", "ID numbers")
    page.locator('[data-test="create"]').click()
    page.wait_for_url(f"**/scenarios/{scenario_id}/edit")
    expect(page.locator('[data-test="no-problems"]')).to_be_visible()
    return editor_text(page)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_a_wrong_id_number_in_the_scenario_editor_is_shown_at_its_line(
        browser: Any, live_server: LiveServer, locale: str) -> None:
    """A check character that is wrong: the problems list names the line and column of the
    number, its path, and the reason in the page's language; the editor marks the line; the
    link puts the cursor on the number. The right number clears it."""
    errors: list[str] = []
    page = open_page(browser, live_server, "diskfull-author", locale, errors)
    try:
        good = new_scenario(page, f"wrong-id-{locale.lower().replace('_', '-')}")
        assert HEAD in good
        bad = good.replace(HEAD, HEAD[:-1] + f", id_number: '{BAD_CHECK}'}}", 1)
        line = next(n for n, text in enumerate(bad.splitlines(), 1) if BAD_CHECK in text)
        column = bad.splitlines()[line - 1].index(f"'{BAD_CHECK}'") + 1
        set_editor_text(page, bad)
        problems = page.locator('[data-test="problems"] li')
        expect(problems).to_have_count(1)
        expect(problems.first).to_have_text(
            LINE_WORDS[locale].format(line=line, column=column)
            + " · world.households[0].persons[0].id_number" + COLON[locale]
            + ID_PROBLEM[locale])
        marker = page.locator(".CodeMirror-lint-marker-error")
        expect(marker).to_have_count(1)
        marked = page.evaluate("() => { const cm = document.querySelector('.CodeMirror')"
                               ".CodeMirror; return cm.state.lint.marked.map(m => "
                               "m.find().from.line + 1); }")
        assert set(marked) == {line}
        problems.first.locator("a").click()
        cursor = page.evaluate("() => document.querySelector('.CodeMirror').CodeMirror"
                               ".getCursor()")
        assert (cursor["line"] + 1, cursor["ch"] + 1) == (line, column)
        shot(page, f"scenario-wrong-id-{locale}")

        set_editor_text(page, bad.replace(BAD_CHECK, GOOD_ID))
        expect(page.locator('[data-test="no-problems"]')).to_be_visible()
        expect(marker).to_have_count(0)
        assert errors == []
    finally:
        page.context.close()


def test_each_wrong_id_number_of_a_household_is_shown_at_its_own_line(
        browser: Any, live_server: LiveServer) -> None:
    """The other sex, another month of birth and another person's number, each on its own
    person: three problems, each at the line of its number, in Chinese."""
    errors: list[str] = []
    page = open_page(browser, live_server, "diskfull-author", "zh_CN", errors)
    try:
        good = new_scenario(page, "wrong-ids-zh")
        other_sex = idnumber.make_id("430602", date(1975, 3, 1), 2)
        other_month = idnumber.make_id("430602", date(1975, 4, 1), 1)
        persons = (f"{HEAD[:-1]}, id_number: '{other_sex}'}}\n"
                   f"        - {{name: 张强, relation: 2, sex: 1, birth: 2001-07-01, "
                   f"id_number: '{other_month}'}}\n"
                   f"        - {{name: 张军, relation: 8, sex: 1, birth: 1975-04-20, "
                   f"id_number: '{other_month}'}}")
        bad = good.replace(HEAD, persons, 1)
        lines = bad.splitlines()
        line_of = {number: [n for n, text in enumerate(lines, 1) if number in text]
                   for number in (other_sex, other_month)}
        set_editor_text(page, bad)
        problems = page.locator('[data-test="problems"] li')
        expect(problems).to_have_count(3)
        texts = problems.all_inner_texts()
        shot(page, "scenario-wrong-ids-zh_CN")
        wanted = [
            (line_of[other_sex][0], "world.households[0].persons[0].id_number",
             f"身份证号码 {other_sex} 与本人性别不符"),
            (line_of[other_month][0], "world.households[0].persons[1].id_number",
             f"身份证号码 {other_month} 的出生年月与 'birth' 不符"),
            (line_of[other_month][1], "world.households[0].persons[2].id_number",
             f"身份证号码 {other_month} 也是另一个人的"),
        ]
        for (line, path, reason) in wanted:
            assert any(text.startswith(f"第 {line} 行") and f"· {path}：{reason}" in text
                       for text in texts), (line, path, reason, texts)
        assert errors == []
    finally:
        page.context.close()
