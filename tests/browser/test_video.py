"""Clips in the browser: a trainee watches a lesson (play, seek, captions, chapters,
transcript, a question, progress recorded); a trainer uploads a clip with the tus client.

Debian's Chromium plays H.264/AAC MP4 (checked here with canPlayType before playing).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, BrowserPage, LiveServer, logged_in_page
from tests.browser.test_login_roles import PASSWORDS, log_in
from tests.features.video_support import make_clip
from trainer import tasks
from trainer.accounts.models import User
from trainer.extensions import DB_KEY
from trainer.video.models import Clip, ClipStatus, WatchProgress

pytestmark = pytest.mark.browser


def progress_of(live_server: LiveServer, username: str, slug: str) -> WatchProgress | None:
    with live_server.app.app_context(), live_server.app.extensions[DB_KEY]() as db:
        return db.scalar(select(WatchProgress)
                         .join(User, WatchProgress.user_id == User.id)
                         .join(Clip, WatchProgress.clip_id == Clip.id)
                         .where(User.username == username, Clip.slug == slug))


def test_trainee_watches_a_lesson(browser_page: BrowserPage, live_server: LiveServer) -> None:
    bp, page = browser_page, browser_page.page
    log_in(bp, "trainee", PASSWORDS["trainee"])
    page.locator("[data-nav=clips]").click()
    expect(page.locator("main h1")).to_have_text("Visit clips")
    expect(page.locator(".clip-card")).to_have_count(3)
    bp.screenshot("video-library")
    with page.expect_navigation():
        page.get_by_role("link", name="Introducing yourself at the door").click()
    video = page.locator("#player")
    assert page.evaluate(
        "() => document.getElementById('player').canPlayType("
        "'video/mp4; codecs=\"avc1.4D401E, mp4a.40.2\"')") == "probably"
    expect(page.locator(".chapters button")).to_have_count(4)
    expect(page.locator("#transcript li")).to_have_count(3)  # built from the captions track
    tracks = page.evaluate("() => Array.from(document.getElementById('player').textTracks)"
                           ".map(t => [t.kind, t.language])")
    assert ["captions", "zh"] in tracks and ["captions", "en"] in tracks
    assert ["chapters", "en"] in tracks
    page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; "
                  "return v.play(); }")
    page.wait_for_function("() => document.getElementById('player').currentTime > 1")
    # The page holds the questions without their answer key: the server marks a choice.
    assert '"answer"' not in (video.get_attribute("data-questions") or "answer")
    # The lesson question at 0:04 pauses the video.
    expect(page.locator("#question-box")).to_be_visible(timeout=15_000)
    assert video.evaluate("v => v.paused")
    bp.screenshot("video-lesson-question")
    page.locator("#question-choices button").first.click()
    expect(page.locator("#question-feedback")).to_have_text("Right.")  # from the server
    expect(page.locator("#question-choices button").first).to_have_class("outline right-answer")
    page.locator("#question-continue").click()
    expect(page.locator("#question-box")).to_be_hidden()
    # Seek with a chapter: the video jumps, the transcript follows.
    last = page.locator(".chapters button").nth(3)
    start = float(last.get_attribute("data-seek") or "0")
    last.click()
    page.wait_for_function("at => document.getElementById('player').currentTime >= at", arg=start)
    expect(page.locator("#transcript .active")).to_have_count(1)
    expect(page.locator("#transcript .active")).to_contain_text(f"0:{int(start):02d}")
    page.evaluate("() => document.getElementById('player').pause()")
    page.wait_for_function("() => document.getElementById('watched').dataset.watched > 0")
    bp.screenshot("video-player")
    progress = progress_of(live_server, "trainee", "introducing-yourself")
    assert progress is not None and progress.watched > 1
    assert progress.answers == {"0": 0}
    bp.assert_no_errors()


def test_trainer_uploads_a_clip(browser_page: BrowserPage, live_server: LiveServer,
                                tmp_path: Path) -> None:
    bp, page = browser_page, browser_page.page
    source = make_clip(tmp_path / "doorstep.mp4", seconds=2.0, size="640x360")
    log_in(bp, "trainer", PASSWORDS["trainer"])
    page.goto("/clips")
    page.locator("[data-nav=upload-clip]").click()
    page.locator("#clip-title").fill("门口被拒 Refused at the door")
    page.locator("#clip-file").set_input_files(str(source))
    bp.screenshot("video-upload")
    with page.expect_navigation(timeout=30_000):
        page.locator("#upload-start").click()
    expect(page.locator("main h1")).to_have_text("门口被拒 Refused at the door")
    expect(page.locator("#clip-status")).to_contain_text("Ready")
    expect(page.locator("#player")).to_be_visible()
    with live_server.app.app_context(), live_server.app.extensions[DB_KEY]() as db:
        clip = db.scalar(select(Clip).where(Clip.title_zh == "门口被拒 Refused at the door"))
        assert clip is not None and clip.status == ClipStatus.READY
        assert clip.filename == "doorstep.mp4" and "360p" in clip.renditions
    bp.screenshot("video-uploaded")
    page.locator("a", has_text="Edit").click()
    page.wait_for_function("() => document.querySelector('#redact-pad img').naturalWidth > 0")
    page.locator("#redact-pad img").scroll_into_view_if_needed()
    box = page.locator("#redact-pad img").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6, steps=5)
    page.mouse.up()
    assert float(page.locator("#x").input_value()) == pytest.approx(10, abs=1)
    assert float(page.locator("#w").input_value()) == pytest.approx(30, abs=1)
    bp.screenshot("video-edit-redaction")
    bp.assert_no_errors()


def test_trainer_sees_a_failed_offline_copy_and_asks_again(
        browser: Any, live_server: LiveServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy's render fails on both tries of its job: the clip's page says why (in each
    language), with a button that asks again; the new request clears the failure."""
    from trainer.accounts import services as accounts
    from trainer.accounts.models import Role
    from trainer.video import media, render
    from trainer.video.storage import storage_from_config

    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        accounts.create_user(db, actor=None, username="offline-trainer", full_name="离线培训师",
                             role=Role.TRAINER, password=PASSWORDS["trainer"])
        clip = Clip(slug="offline-fails", title_zh="离线版失败", title_en="Offline copy fails",
                    filename="visit.mp4", duration=1.0, width=640, height=360,
                    status=ClipStatus.READY, runs=1, published=True,
                    captions={"zh_CN": "WEBVTT\n\n00:00.000 --> 00:01.000\n请出示普查员证\n"})
        db.add(clip)
        db.flush()
        key = f"clips/{clip.id}/r1/360p.mp4"
        source = make_clip(tmp_path / "360p.mp4", seconds=1.0, size="640x360")
        clip.renditions = {"360p": {"key": key, "width": 640, "height": 360,
                                    "bytes": storage_from_config(app.config).put(key, source)}}
        db.commit()
        clip_id = clip.id

    def burn_fails(*_args: Any, **_kwargs: Any) -> Path:
        raise media.MediaError("/srv/trainer/media/work/offline/source.mp4: Invalid data found")

    monkeypatch.setattr(render, "burn_captions", burn_fails)
    with logged_in_page(browser, live_server, "offline-trainer", PASSWORDS["trainer"],
                        viewport={"width": 768, "height": 1024}, locale="en-US") as page:
        page.goto(f"/clips/{clip_id}/edit")
        with page.expect_navigation():  # its first try runs now (the tests' queue is immediate)
            page.locator("[data-test=make-offline-zh_CN]").click()
        expect(page.locator("[data-test=offline-pending-zh_CN]")).to_contain_text(
            "The offline copy (中文) is being made; asked for at")
        page.locator("[data-test=offline-pending-zh_CN]").scroll_into_view_if_needed()
        page.screenshot(path=str(shot("video-offline-pending-en")))
        with app.app_context():  # huey's retry, the last try
            tasks.offline_copy_job(clip_id, "zh_CN", task=SimpleNamespace(retries=0))
        page.goto(f"/clips/{clip_id}")
        failed = page.locator("[data-test=offline-failed-zh_CN]")
        expect(failed).to_contain_text("The offline copy (中文) could not be made: The video "
                                       "tool stopped with an error while burning in the "
                                       "captions.")
        expect(failed).to_contain_text("source.mp4: Invalid data found")
        expect(failed).not_to_contain_text("/srv/")
        expect(page.locator("[data-test=offline-retry-zh_CN]")).to_have_text("Try again")
        page.screenshot(path=str(shot("video-offline-failed-en")), full_page=True)
        with page.expect_navigation():
            page.locator("#lang-select").select_option("zh_CN")
        expect(failed).to_contain_text("离线版（中文）未能生成：视频工具在压制字幕时出错中止。请重试")
        expect(page.locator("[data-test=offline-retry-zh_CN]")).to_have_text("重试")
        page.screenshot(path=str(shot("video-offline-failed-zh")), full_page=True)

        monkeypatch.setattr(render, "burn_captions", copy_through)  # now the render works
        with page.expect_navigation():
            page.locator("[data-test=offline-retry-zh_CN]").click()
        assert page.url.endswith(f"/clips/{clip_id}")
        expect(page.locator("[data-test=offline-jobs]")).to_have_count(0)
        expect(page.locator("[data-test=offline-zh_CN]")).to_be_visible()
        page.screenshot(path=str(shot("video-offline-asked-again-zh")), full_page=True)


def copy_through(src: Path, _cues: Any, out: Path, **_kwargs: Any) -> Path:
    """A render that works: the source as the copy (no captions burned in: not looked at)."""
    shutil.copyfile(src, out)
    return out


def shot(name: str) -> Path:
    """Where a screenshot of this file goes (beside the other browser tests' screenshots)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
