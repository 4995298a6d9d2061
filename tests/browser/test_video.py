"""Clips in the browser: a trainee watches a lesson (play, seek, captions, chapters,
transcript, a question, progress recorded); a trainer uploads a clip with the tus client.

Debian's Chromium plays H.264/AAC MP4 (checked here with canPlayType before playing).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_login_roles import PASSWORDS, log_in
from tests.features.video_support import make_clip
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
    # The lesson question at 0:04 pauses the video.
    expect(page.locator("#question-box")).to_be_visible(timeout=15_000)
    assert video.evaluate("v => v.paused")
    bp.screenshot("video-lesson-question")
    page.locator("#question-choices button").first.click()
    expect(page.locator("#question-feedback")).to_have_text("Right.")
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
