"""Clips end to end: tus upload, validation, processing, streaming, access, editing, progress."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.features.video_support import create, frame_at, make_clip, patch, upload
from trainer.accounts.models import Cohort, Role, User
from trainer.db import utcnow
from trainer.tasks import resume_interrupted
from trainer.video import media, services
from trainer.video.media import ffmpeg_exe
from trainer.video.models import Clip, ClipStatus, Upload, WatchProgress
from trainer.video.storage import LocalStorage


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_clip(tmp_path_factory.mktemp("clips") / "visit.mp4").read_bytes()


@pytest.fixture
def media_root(app: Flask) -> Path:
    return Path(app.config["MEDIA_ROOT"])


def leftovers(media_root: Path) -> list[Path]:
    """Files left in the uploads and clips folders."""
    return [path for folder in ("uploads", "clips") if (media_root / folder).exists()
            for path in (media_root / folder).rglob("*") if path.is_file()]


def uploaded_clip(client: FlaskClient, csrf: Any, db: Session, data: bytes) -> Clip:
    response = upload(client, csrf(), data)
    assert response.status_code == 204, response.get_data(as_text=True)
    clip_id = int(response.headers["Clip-Location"].rsplit("/", 1)[1])
    clip = db.get(Clip, clip_id)
    assert clip is not None
    db.refresh(clip)
    return clip


def detail(pixels: Any) -> float:
    """Mean difference between neighbouring pixels: high for sharp edges, low once blurred."""
    return float(abs(pixels[:, 1:] - pixels[:, :-1]).mean())


def status_of(client: FlaskClient, url: str) -> int:
    """GET `url` and close the (possibly streamed file) response."""
    return int(fetch(client, url).status_code)


def streams(path: Path) -> str:
    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True, check=False).stderr


# Upload and processing ---------------------------------------------------------------

def test_upload_in_chunks_makes_a_processed_clip(client: FlaskClient, login_as: Any, csrf: Any,
                                                 db: Session, clip_bytes: bytes,
                                                 media_root: Path) -> None:
    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    assert clip.status == ClipStatus.READY and clip.progress == 1.0
    assert (clip.width, clip.height, clip.has_audio) == (1280, 720, True)
    assert clip.duration == pytest.approx(2.0, abs=0.1)
    assert set(clip.renditions) == {"720p", "360p", "poster", "strip"}
    for name, height in (("720p", 720), ("360p", 360)):
        path = media_root / clip.renditions[name]["key"]
        info = streams(path)
        assert "Video: h264" in info and "Audio: aac" in info
        assert f"x{height}" in info
        assert clip.renditions[name]["height"] == height
    assert (media_root / clip.renditions["poster"]["key"]).read_bytes()[:2] == b"\xff\xd8"
    with Image.open(media_root / clip.renditions["strip"]["key"]) as strip:
        assert strip.format == "JPEG"
        assert strip.size == (media.STRIP_FRAMES * media.STRIP_WIDTH, 90)
    assert db.scalar(select(func.count()).select_from(Upload)) == 0
    assert not list((media_root / "uploads").iterdir())
    assert (media_root / clip.original_key).read_bytes() == clip_bytes


def test_small_source_is_not_upscaled(client: FlaskClient, login_as: Any, csrf: Any,
                                      db: Session, tmp_path: Path) -> None:
    login_as(Role.TRAINER)
    data = make_clip(tmp_path / "small.mp4", seconds=1.0, size="320x240", audio=False)
    clip = uploaded_clip(client, csrf, db, data.read_bytes())
    assert clip.status == ClipStatus.READY
    assert list(media.RENDITIONS) == ["720p", "360p"]
    assert "720p" not in clip.renditions
    assert (clip.renditions["360p"]["width"], clip.renditions["360p"]["height"]) == (320, 240)
    assert clip.has_audio is False


def test_upload_resumes_after_a_dropped_connection(client: FlaskClient, login_as: Any,
                                                   csrf: Any, db: Session,
                                                   clip_bytes: bytes) -> None:
    login_as(Role.TRAINER)
    created = create(client, csrf(), len(clip_bytes))
    location = created.headers["Location"]
    half = len(clip_bytes) // 2
    # The client announced the whole file but the connection died after half of it.
    dropped = client.patch(location, input_stream=io.BytesIO(clip_bytes[:half]), headers={
        "Tus-Resumable": "1.0.0", "X-CSRFToken": csrf(), "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(len(clip_bytes))})
    assert dropped.status_code == 204
    head = client.head(location)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(half)
    assert head.headers["Upload-Length"] == str(len(clip_bytes))
    stale = patch(client, csrf(), location, 0, clip_bytes)
    assert stale.status_code == 409  # the offset must be where the server is
    done = patch(client, csrf(), location, half, clip_bytes[half:])
    assert done.status_code == 204 and "Clip-Location" in done.headers


@pytest.mark.parametrize("name", ["empty", "text", "image", "truncated"])
def test_bad_files_are_refused_and_leave_nothing(client: FlaskClient, login_as: Any, csrf: Any,
                                                db: Session, clip_bytes: bytes, tmp_path: Path,
                                                media_root: Path, name: str) -> None:
    login_as(Role.TRAINER)
    image = tmp_path / "photo.png"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:duration=1", "-frames:v", "1", str(image)],
                   check=True)
    bodies = {"empty": b"", "text": "普查员 notes\n".encode() * 50,
              "image": image.read_bytes(), "truncated": clip_bytes[:len(clip_bytes) // 2]}
    if name == "empty":
        response = create(client, csrf(), 0)
        assert response.status_code == 400
        assert "empty" in response.get_json()["message"]
    else:
        response = upload(client, csrf(), bodies[name])
        assert response.status_code == 400
        message = response.get_json()["message"]
        assert {"text": "not a video", "image": "not a video file",
                "truncated": "damaged or incomplete"}[name] in message
    assert db.scalar(select(func.count()).select_from(Upload)) == 0
    assert db.scalar(select(func.count()).select_from(Clip)) == 0
    assert leftovers(media_root) == []


def test_oversized_and_overlong_uploads_are_refused(app: Flask, client: FlaskClient,
                                                   login_as: Any, csrf: Any, db: Session,
                                                   media_root: Path) -> None:
    login_as(Role.TRAINER)
    app.config["VIDEO_MAX_MIB"] = 1
    too_big = create(client, csrf(), 1024 * 1024 + 1)
    assert too_big.status_code == 413 and "1 MiB" in too_big.get_json()["message"]
    created = create(client, csrf(), 10)
    overlong = patch(client, csrf(), created.headers["Location"], 0, b"x" * 11)
    assert overlong.status_code == 413
    assert db.scalar(select(func.count()).select_from(Clip)) == 0


@pytest.mark.parametrize("filename", ["../../etc/passwd.mp4", "a/b.mp4", "..\\evil.mp4", ".."])
def test_path_in_the_file_name_is_refused(client: FlaskClient, login_as: Any, csrf: Any,
                                          db: Session, media_root: Path, filename: str) -> None:
    login_as(Role.TRAINER)
    response = create(client, csrf(), 100, filename=filename)
    assert response.status_code == 400
    assert "without folders" in response.get_json()["message"]
    assert db.scalar(select(func.count()).select_from(Upload)) == 0
    assert leftovers(media_root) == []


def test_upload_needs_csrf_and_its_owner(client: FlaskClient, login_as: Any, csrf: Any,
                                        make_user: Any) -> None:
    login_as(Role.TRAINER)
    no_token = client.post("/clips/uploads", headers={"Upload-Length": "10"})
    assert no_token.status_code == 400
    location = create(client, csrf(), 10).headers["Location"]
    login_as(user=make_user(Role.TRAINER))
    assert client.head(location).status_code == 404
    assert patch(client, csrf(), location, 0, b"0123456789").status_code == 404


def test_failed_processing_shows_why_and_can_be_retried(client: FlaskClient, login_as: Any,
                                                        csrf: Any, db: Session,
                                                        clip_bytes: bytes,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(Role.TRAINER)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise media.MediaError("Conversion failed: out of disk space")

    monkeypatch.setattr(media, "run_ffmpeg", broken)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    assert clip.status == ClipStatus.FAILED and "out of disk space" in (clip.error or "")
    page = client.get(f"/clips/{clip.id}")
    assert "out of disk space" in page.get_data(as_text=True)
    monkeypatch.undo()
    retried = client.post(f"/clips/{clip.id}/retry", data={"csrf_token": csrf()})
    assert retried.status_code == 302
    db.refresh(clip)
    assert clip.status == ClipStatus.READY and clip.error is None and clip.runs == 2


def test_a_failures_words_are_shown_as_text_and_a_known_message_translated(
        client: FlaskClient, login_as: Any, db: Session) -> None:
    """A tool's words kept as a clip's error are plain text on the page (escaped, a '%' no
    format), and an error that is one of the application's messages is shown translated."""
    login_as(Role.TRAINER)
    clip = Clip(slug="failed", title_zh="失败", title_en="Failed", filename="visit.mp4",
                status=ClipStatus.FAILED, runs=1,
                error='<img src=x onerror="alert(1)"> stopped at 100% (%(x)s)')
    db.add(clip)
    db.flush()
    page = client.get(f"/clips/{clip.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; stopped at 100% (%(x)s)" in text
    clip.error = services.UNEXPECTED
    db.flush()
    chinese = client.get(f"/clips/{clip.id}", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 200
    assert services.UNEXPECTED not in chinese.get_data(as_text=True)


def test_interrupted_run_is_resumed(client: FlaskClient, login_as: Any, csrf: Any, db: Session,
                                    clip_bytes: bytes, app: Flask) -> None:
    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    first_products = dict(clip.renditions)
    clip.status = ClipStatus.PROCESSING
    clip.heartbeat_at = utcnow() - timedelta(minutes=5)
    db.flush()
    assert services.stale_clips(db) == [clip.id]
    fresh = Clip(slug="fresh", title_zh="进行中", filename="x.mp4", original_key="clips/x/o.mp4",
                 status=ClipStatus.PROCESSING, heartbeat_at=utcnow())
    db.add(fresh)
    db.flush()
    with app.app_context():
        assert resume_interrupted.call_local() == [clip.id]
    db.refresh(clip)
    assert clip.status == ClipStatus.READY and clip.runs == 2
    assert clip.renditions["720p"]["key"] != first_products["720p"]["key"]
    media_root = Path(app.config["MEDIA_ROOT"])
    assert not (media_root / first_products["720p"]["key"]).exists()  # old run's files gone


def test_redaction_blurs_the_rectangle_in_the_renditions(client: FlaskClient, login_as: Any,
                                                        csrf: Any, db: Session, tmp_path: Path,
                                                        media_root: Path) -> None:
    login_as(Role.TRAINER)
    noisy = make_clip(tmp_path / "noisy.mp4", noise=True).read_bytes()
    clip = uploaded_clip(client, csrf, db, noisy)
    before = frame_at(media_root / clip.renditions["720p"]["key"], 1.0).astype(float)
    response = client.post(f"/clips/{clip.id}/redactions", data={
        "csrf_token": csrf(), "x": "10", "y": "10", "w": "30", "h": "40", "start": "0",
        "end": "0:02", "label": "门牌号"})
    assert response.status_code == 302
    db.refresh(clip)
    assert clip.status == ClipStatus.READY, clip.error
    assert clip.redactions[0]["label"] == "门牌号"
    after = frame_at(media_root / clip.renditions["720p"]["key"], 1.0).astype(float)
    inside = (slice(100, 360), slice(150, 500))
    outside = (slice(500, 700), slice(900, 1250))
    assert detail(after[inside]) < 0.5 * detail(before[inside])  # blurred: edges gone
    assert abs(after[outside] - before[outside]).mean() < 3  # the rest is untouched
    assert (media_root / clip.original_key).read_bytes() == noisy  # the original stays sharp
    bad = client.post(f"/clips/{clip.id}/redactions", data={
        "csrf_token": csrf(), "x": "90", "y": "10", "w": "30", "h": "40", "start": "0",
        "end": "1"})
    assert bad.status_code == 400 and "inside the frame" in bad.get_data(as_text=True)


def test_deleting_the_original_keeps_the_renditions(client: FlaskClient, login_as: Any,
                                                    csrf: Any, db: Session, clip_bytes: bytes,
                                                    media_root: Path) -> None:
    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    original = media_root / (clip.original_key or "")
    assert client.post(f"/clips/{clip.id}/original/delete",
                       data={"csrf_token": csrf()}).status_code == 302
    db.refresh(clip)
    assert clip.original_key is None and not original.exists()
    assert client.get(f"/clips/{clip.id}/original").status_code == 404
    assert status_of(client, f"/clips/{clip.id}/media/720p") == 200
    again = client.post(f"/clips/{clip.id}/retry", data={"csrf_token": csrf()})
    assert again.status_code == 409
    clip_id = clip.id
    client.post(f"/clips/{clip_id}/delete", data={"csrf_token": csrf()})
    db.expire_all()
    assert db.get(Clip, clip_id) is None
    assert leftovers(media_root) == []


# Streaming ---------------------------------------------------------------------------

def fetch(client: FlaskClient, url: str, **headers: str) -> Any:
    """GET with headers; the body read and the file behind it closed."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def test_range_requests(client: FlaskClient, login_as: Any, csrf: Any, db: Session,
                        clip_bytes: bytes, media_root: Path) -> None:
    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    data = (media_root / clip.renditions["360p"]["key"]).read_bytes()
    size = len(data)
    url = f"/clips/{clip.id}/media/360p"
    whole = fetch(client, url)
    assert whole.status_code == 200 and whole.data == data
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.mimetype == "video/mp4"
    assert whole.headers["ETag"] and whole.headers["Last-Modified"]
    assert "private" in whole.headers["Cache-Control"]
    first = fetch(client, url, Range="bytes=0-99")
    assert first.status_code == 206 and first.data == data[:100]
    assert first.headers["Content-Range"] == f"bytes 0-99/{size}"
    middle = fetch(client, url, Range=f"bytes={size // 2}-{size // 2 + 999}")
    assert middle.status_code == 206 and middle.data == data[size // 2:size // 2 + 1000]
    suffix = fetch(client, url, Range="bytes=-500")
    assert suffix.status_code == 206 and suffix.data == data[-500:]
    assert suffix.headers["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert fetch(client, url, Range="bytes=abc").status_code == 416
    unsatisfiable = fetch(client, url, Range=f"bytes={size + 10}-")
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["Content-Range"] == f"bytes */{size}"
    assert fetch(client, url, **{"If-None-Match": whole.headers["ETag"]}).status_code == 304
    assert fetch(client, f"/clips/{clip.id}/media/original").status_code == 404
    assert fetch(client, f"/clips/{clip.id}/media/..%2F..%2Fsecret").status_code == 404


def test_accel_redirect_hands_the_file_to_the_proxy(app: Flask, client: FlaskClient,
                                                   login_as: Any, csrf: Any, db: Session,
                                                   clip_bytes: bytes) -> None:
    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    app.config["MEDIA_ACCEL"] = "/protected-media/"
    response = client.get(f"/clips/{clip.id}/media/720p")
    assert response.headers["X-Accel-Redirect"] == "/protected-media/" + clip.renditions[
        "720p"]["key"]
    assert response.data == b""
    app.config["MEDIA_ACCEL"] = "sendfile"
    handed = fetch(client, f"/clips/{clip.id}/media/720p")
    assert handed.headers["X-Sendfile"].endswith(clip.renditions["720p"]["key"])
    assert handed.data == b""


# Access ------------------------------------------------------------------------------

def share(db: Session, clip: Clip, trainee: User, trainer: User) -> Cohort:
    cohort = Cohort(name=f"cohort for {trainee.username}", trainer=trainer)
    cohort.trainees.append(trainee)
    db.add(cohort)
    clip.cohorts = [cohort]
    db.flush()
    return cohort


def clip_urls(clip: Clip) -> list[str]:
    return [f"/clips/{clip.id}", f"/clips/{clip.id}/media/720p", f"/clips/{clip.id}/media/360p",
            f"/clips/{clip.id}/media/poster", f"/clips/{clip.id}/media/strip",
            f"/clips/{clip.id}/captions/zh_CN.vtt", f"/clips/{clip.id}/chapters/zh_CN.vtt"]


def test_trainees_see_only_published_clips_shared_with_them(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, clip_bytes: bytes,
        make_user: Any) -> None:
    trainer = login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    services.set_captions(db, clip, "zh_CN", "00:00.000 --> 00:01.000\n你好")
    services.set_chapters(db, clip, "0:00 开场 | Opening")
    trainee = make_user(Role.TRAINEE)
    share(db, clip, trainee, trainer)
    login_as(user=trainee)
    for url in clip_urls(clip):  # shared but not published
        assert status_of(client, url) == 404, url
    assert client.get("/clips").status_code == 200
    assert clip.title_zh not in client.get("/clips").get_data(as_text=True)
    clip.published = True
    db.flush()
    for url in clip_urls(clip):
        assert status_of(client, url) == 200, url
    assert client.get(f"/clips/{clip.id}/original").status_code == 403
    assert client.get(f"/clips/{clip.id}/edit").status_code == 403
    outsider = make_user(Role.TRAINEE)
    login_as(user=outsider)
    for url in [*clip_urls(clip), f"/clips/{clip.id}/progress"]:
        assert status_of(client, url) in (404, 405), url
    posted = client.post(f"/clips/{clip.id}/progress", json={"segments": [[0, 1]]},
                         headers={"X-CSRFToken": csrf()})
    assert posted.status_code == 404
    login_as(Role.EXAMINER)
    assert client.get(f"/clips/{clip.id}").status_code == 200
    assert client.get(f"/clips/{clip.id}/original").status_code == 403


def test_a_clip_linked_to_an_assigned_scenario_is_visible(client: FlaskClient, login_as: Any,
                                                         csrf: Any, db: Session,
                                                         clip_bytes: bytes, make_user: Any,
                                                         app: Flask) -> None:
    from trainer.fieldwork import services as fieldwork
    from trainer.fieldwork.models import Mode
    from trainer.scenarios import services as scenarios

    trainer = login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    clip.published = True
    versions = scenarios.sync_library(db, Path(app.config["SCENARIO_DIR"]))
    version = versions[0]
    trainee = make_user(Role.TRAINEE)
    cohort = Cohort(name="linked cohort", trainer=trainer)
    cohort.trainees.append(trainee)
    db.add(cohort)
    db.flush()
    fieldwork.assign(db, actor=trainer, cohort=cohort, version=version, mode=Mode.PRACTICE,
                     due_on=None)
    criterion = scenarios.scenario_of(version).rubric.criteria[0].name
    response = client.post(f"/clips/{clip.id}/links", data={
        "csrf_token": csrf(), "scenario_id": version.scenario_id, "criterion": criterion})
    assert response.status_code == 302
    found = services.clips_for_criteria(db, version.scenario_id, [criterion])
    assert found == {criterion: [clip]}
    login_as(user=trainee)
    assert client.get(f"/clips/{clip.id}").status_code == 200


# Editing -----------------------------------------------------------------------------

def test_captions_and_chapters(client: FlaskClient, login_as: Any, csrf: Any, db: Session,
                               clip_bytes: bytes) -> None:
    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    typed = client.post(f"/clips/{clip.id}/captions", data={
        "csrf_token": csrf(), "locale": "zh_CN",
        "text": "00:00.000 --> 00:01.000\n您好，我是普查员。\n\n"
                "00:01.000 --> 00:02.000\n请出示证件"})
    assert typed.status_code == 302
    vtt = client.get(f"/clips/{clip.id}/captions/zh_CN.vtt")
    assert vtt.mimetype == "text/vtt" and vtt.get_data(as_text=True).startswith("WEBVTT")
    assert "00:00:01.000 --> 00:00:02.000\n请出示证件" in vtt.get_data(as_text=True)
    uploaded = client.post(f"/clips/{clip.id}/captions", data={
        "csrf_token": csrf(), "locale": "en", "text": "",
        "file": (io.BytesIO(b"WEBVTT\n\n00:00.500 --> 00:01.500\nHello"), "en.vtt")},
        content_type="multipart/form-data")
    assert uploaded.status_code == 302
    db.refresh(clip)
    assert set(clip.captions) == {"zh_CN", "en"}
    bad = client.post(f"/clips/{clip.id}/captions", data={
        "csrf_token": csrf(), "locale": "en", "text": "00:02.000 --> 00:01.000\nbackwards"})
    assert bad.status_code == 400 and "ends before it starts" in bad.get_data(as_text=True)
    garbage = client.post(f"/clips/{clip.id}/captions", data={
        "csrf_token": csrf(), "locale": "en", "text": "not captions at all"})
    assert garbage.status_code == 400 and "not valid WebVTT" in garbage.get_data(as_text=True)
    db.refresh(clip)
    assert "Hello" in clip.captions["en"]  # the bad text lost nothing saved before
    # the captions' text beside the player is named as such, not as a visit's record
    shown = client.get(f"/clips/{clip.id}", headers={"Accept-Language": "zh-CN"})
    assert "字幕文稿" in shown.get_data(as_text=True)
    assert "访问记录" not in shown.get_data(as_text=True)
    chapters = client.post(f"/clips/{clip.id}/chapters", data={
        "csrf_token": csrf(), "text": "0:01 说明来意 | Purpose\n0:00 敲门 | Knocking"})
    assert chapters.status_code == 302
    track = client.get(f"/clips/{clip.id}/chapters/en.vtt").get_data(as_text=True)
    assert track.index("Knocking") < track.index("Purpose")
    late = client.post(f"/clips/{clip.id}/chapters", data={"csrf_token": csrf(),
                                                           "text": "9:00 太晚 | Too late"})
    assert late.status_code == 400 and "after the clip ends" in late.get_data(as_text=True)


def test_details_and_publishing(client: FlaskClient, login_as: Any, csrf: Any, db: Session,
                                clip_bytes: bytes) -> None:
    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    other = Clip(slug="taken", title_zh="另一个", filename="o.mp4")
    db.add(other)
    db.flush()
    form = {"csrf_token": csrf(), "slug": "taken", "title_zh": "拒访", "title_en": "Refusal",
            "summary_zh": "", "summary_en": "", "tags": "Refusal, door", "published": "y"}
    clash = client.post(f"/clips/{clip.id}/details", data=form)
    assert clash.status_code == 409 and "already uses" in clash.get_data(as_text=True)
    saved = client.post(f"/clips/{clip.id}/details", data={**form, "slug": "refusal-door"})
    assert saved.status_code == 302
    db.refresh(clip)
    assert (clip.slug, clip.tags, clip.published) == ("refusal-door", ["door", "refusal"], True)
    edit = client.get(f"/clips/{clip.id}/edit").get_data(as_text=True)
    assert 'value="door, refusal"' in edit
    assert re.search(r'<input checked[^>]*id="published"', edit)
    listing = client.get("/clips?tag=door").get_data(as_text=True)
    assert "拒访" in listing or "Refusal" in listing
    assert "Refusal" not in client.get("/clips?q=nothing-like-it").get_data(as_text=True)


def test_lesson_questions_and_progress(client: FlaskClient, login_as: Any, csrf: Any,
                                       db: Session, clip_bytes: bytes, make_user: Any) -> None:
    trainer = login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    added = client.post(f"/clips/{clip.id}/questions", data={
        "csrf_token": csrf(), "at": "0:01", "prompt_zh": "普查员首先应该做什么？",
        "prompt_en": "What should the enumerator do first?", "choices_zh": "出示证件\n直接进门",
        "choices_en": "Show the ID\nWalk in", "answer": "1"})
    assert added.status_code == 302
    db.refresh(clip)
    assert clip.questions[0]["answer"] == 0
    clip.published = True
    trainee = make_user(Role.TRAINEE)
    share(db, clip, trainee, trainer)
    login_as(user=trainee)
    page = client.get(f"/clips/{clip.id}").get_data(as_text=True)
    assert json.dumps("出示证件")[1:-1] in page  # the questions travel with the player
    marked = client.post(f"/clips/{clip.id}/answers", headers={"X-CSRFToken": csrf()},
                         json={"question": 0, "choice": 0})
    assert marked.get_json() == {"right": True, "answer": 0, "choice": 0}
    report = client.post(f"/clips/{clip.id}/progress", headers={"X-CSRFToken": csrf()},
                         json={"segments": [[0, 0.8], [0.5, 1.2]], "position": 1.2})
    assert report.status_code == 200
    body = report.get_json()
    assert body["segments"] == [[0.0, 1.2]] and body["completed"] is False
    done = client.post(f"/clips/{clip.id}/progress", headers={"X-CSRFToken": csrf()},
                       json={"segments": [[1.0, 99]], "position": 2})
    assert done.get_json()["completed"] is True
    progress = db.scalar(select(WatchProgress).where(WatchProgress.user_id == trainee.id))
    assert progress is not None and services.right_answers(clip, progress) == 1
    malformed = client.post(f"/clips/{clip.id}/progress", headers={"X-CSRFToken": csrf()},
                            json={"segments": [["a", None]]})
    assert malformed.status_code == 400
    login_as(user=trainer)
    watchers = client.get(f"/clips/{clip.id}").get_data(as_text=True)
    assert trainee.username in watchers and "1 / 1" in watchers


def test_offline_copy_has_the_captions_burned_in(client: FlaskClient, login_as: Any,
                                                 csrf: Any, db: Session, clip_bytes: bytes,
                                                 media_root: Path, make_user: Any) -> None:
    trainer = login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    client.post(f"/clips/{clip.id}/captions", data={
        "csrf_token": csrf(), "locale": "zh_CN", "text": "00:00.000 --> 00:02.000\n请出示普查员证"})
    made = client.post(f"/clips/{clip.id}/offline", data={"csrf_token": csrf(),
                                                           "locale": "zh_CN"})
    assert made.status_code == 302
    db.refresh(clip)
    offline = media_root / clip.renditions["offline-zh_CN"]["key"]
    plain = media_root / clip.renditions["360p"]["key"]
    burned, clean = frame_at(offline, 1.0).astype(float), frame_at(plain, 1.0).astype(float)
    assert burned.shape == clean.shape
    height = burned.shape[0]
    bottom, top = slice(int(height * 0.75), height), slice(0, int(height * 0.5))
    assert abs(burned[bottom] - clean[bottom]).mean() > 5 * abs(burned[top] - clean[top]).mean()
    assert "Audio: aac" in streams(offline)
    clip.published = True
    trainee = make_user(Role.TRAINEE)
    share(db, clip, trainee, trainer)
    login_as(user=trainee)
    page = client.get(f"/clips/{clip.id}").get_data(as_text=True)
    assert f"/clips/{clip.id}/offline/zh_CN.mp4" in page
    download = fetch(client, f"/clips/{clip.id}/offline/zh_CN.mp4")
    assert download.status_code == 200 and download.data == offline.read_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    assert status_of(client, f"/clips/{clip.id}/offline/en.mp4") == 404
    login_as(user=trainer)
    no_english = client.post(f"/clips/{clip.id}/offline", data={"csrf_token": csrf(),
                                                                "locale": "en"})
    assert no_english.status_code == 409
    client.post(f"/clips/{clip.id}/captions", data={"csrf_token": csrf(), "locale": "zh_CN",
                                                    "text": ""})
    db.refresh(clip)
    assert "offline-zh_CN" not in clip.renditions and not offline.exists()


def test_scenario_page_shows_the_clips_attached_to_it(client: FlaskClient, login_as: Any,
                                                      csrf: Any, db: Session,
                                                      clip_bytes: bytes, app: Flask) -> None:
    from trainer.scenarios import services as scenarios

    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    version = scenarios.sync_library(db, Path(app.config["SCENARIO_DIR"]))[0]
    scenario = scenarios.scenario_of(version)
    dialogue = next(iter(scenario.dialogues.values()))
    node = f"{dialogue.id}/{next(iter(dialogue.nodes))}"
    for link in ({"node": node}, {"criterion": scenario.rubric.criteria[0].name}, {}):
        response = client.post(f"/clips/{clip.id}/links", data={
            "csrf_token": csrf(), "scenario_id": version.scenario_id, **link})
        assert response.status_code == 302
    again = client.post(f"/clips/{clip.id}/links", data={
        "csrf_token": csrf(), "scenario_id": version.scenario_id, "node": node})
    assert again.status_code == 302 and len(services.links_of(db, clip)) == 3  # no duplicate
    wrong = client.post(f"/clips/{clip.id}/links", data={
        "csrf_token": csrf(), "scenario_id": version.scenario_id, "node": "no-such-node"})
    assert wrong.status_code == 400 and "no dialogue node" in wrong.get_data(as_text=True)
    page = client.get(f"/scenarios/{version.scenario_id}").get_data(as_text=True)
    assert page.count(f'href="/clips/{clip.id}"') == 3
    assert 'data-test="node-clip"' in page and 'data-test="criterion-clip"' in page


def test_debrief_offers_the_clips_of_failed_criteria(client: FlaskClient, login_as: Any,
                                                     csrf: Any, db: Session, clip_bytes: bytes,
                                                     app: Flask, make_user: Any) -> None:
    from trainer.scenarios import services as scenarios

    trainer = login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    version = next(v for v in scenarios.sync_library(db, Path(app.config["SCENARIO_DIR"]))
                   if v.scenario_id == "cooperative-family")
    rubric = scenarios.scenario_of(version).rubric
    services.link_clip(db, clip, scenario_id="cooperative-family", criterion="disclosure")
    graded = {"criteria": {"disclosure": {"score": 0.5, "applicable": True},
                           "privacy": {"score": 1.0, "applicable": True},
                           "outcome": {"score": 0.0, "applicable": False}}}
    assert services.debrief_clips(db, trainer, "cooperative-family", rubric,
                                  graded) == {"disclosure": [clip]}
    passed = {"criteria": {"disclosure": {"score": 1.0, "applicable": True}}}
    assert services.debrief_clips(db, trainer, "cooperative-family", rubric, passed) == {}
    trainee = make_user(Role.TRAINEE)
    assert services.debrief_clips(db, trainee, "cooperative-family", rubric, graded) == {}
    clip.published = True
    share(db, clip, trainee, trainer)
    assert services.debrief_clips(db, trainee, "cooperative-family", rubric,
                                  graded) == {"disclosure": [clip]}


def test_status_fragment_polls_until_the_clip_is_ready(client: FlaskClient, login_as: Any,
                                                       csrf: Any, db: Session,
                                                       clip_bytes: bytes) -> None:
    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    clip.status, clip.progress = ClipStatus.PROCESSING, 0.42
    db.flush()
    running = client.get(f"/clips/{clip.id}/status")
    body = running.get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in body and "42%" in body
    assert "HX-Refresh" not in running.headers
    clip.status = ClipStatus.READY
    db.flush()
    done = client.get(f"/clips/{clip.id}/status?was=processing")
    assert done.headers["HX-Refresh"] == "true"
    assert "hx-trigger" not in done.get_data(as_text=True)


def test_joining_clips_makes_a_new_processed_clip(client: FlaskClient, login_as: Any,
                                                  csrf: Any, db: Session, tmp_path: Path,
                                                  media_root: Path) -> None:
    from trainer.video.render import TITLE_SECONDS

    login_as(Role.TRAINER)
    first = uploaded_clip(client, csrf, db, make_clip(tmp_path / "a.mp4", seconds=1.0,
                                                      size="640x360").read_bytes())
    second = uploaded_clip(client, csrf, db, make_clip(tmp_path / "b.mp4", seconds=1.5,
                                                       size="640x360").read_bytes())
    page = client.get("/clips/compose")
    assert page.status_code == 200 and first.title_zh in page.get_data(as_text=True)
    one = client.post("/clips/compose", data={"csrf_token": csrf(), "title_zh": "合集",
                                              "segment_1": str(first.id)})
    assert one.status_code == 400 and "at least two" in one.get_data(as_text=True)
    joined = client.post("/clips/compose", data={
        "csrf_token": csrf(), "title_zh": "入户两例", "title_en": "Two doorsteps",
        "segment_1": str(second.id), "segment_2": "0", "segment_3": str(first.id)})
    assert joined.status_code == 302
    clip = db.get(Clip, int(joined.headers["Location"].rsplit("/", 1)[1]))
    assert clip is not None
    db.refresh(clip)
    assert clip.status == ClipStatus.READY, clip.error
    assert clip.duration == pytest.approx(TITLE_SECONDS + 2.5, abs=0.3)
    assert (clip.width, clip.height) == (640, 360) and clip.slug == "two-doorsteps"
    title_frame = frame_at(media_root / clip.renditions["360p"]["key"], 0.5)
    first_frame = frame_at(media_root / clip.renditions["360p"]["key"], TITLE_SECONDS + 0.5)
    assert abs(title_frame.astype(float) - first_frame.astype(float)).mean() > 20


def test_frame_for_marking_a_blur(client: FlaskClient, login_as: Any, csrf: Any, db: Session,
                                  clip_bytes: bytes, make_user: Any) -> None:
    trainer = login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    early, late = fetch(client, f"/clips/{clip.id}/frame.jpg?at=0.1"), fetch(
        client, f"/clips/{clip.id}/frame.jpg?at=1.5")
    assert early.status_code == late.status_code == 200 and early.mimetype == "image/jpeg"
    assert early.data[:2] == b"\xff\xd8" and early.data != late.data  # the moment chosen
    with Image.open(io.BytesIO(early.data)) as picture:
        assert picture.size == (640, 360)
    for odd in ("999", "-5", "nan", "inf", "soon"):  # clamped or read as the start
        assert fetch(client, f"/clips/{clip.id}/frame.jpg?at={odd}").status_code == 200
    clip.published = True
    trainee = make_user(Role.TRAINEE)
    share(db, clip, trainee, trainer)
    login_as(user=trainee)
    assert fetch(client, f"/clips/{clip.id}/frame.jpg?at=1").status_code == 403


def test_a_run_overtaken_by_a_newer_one_changes_nothing(client: FlaskClient, login_as: Any,
                                                        csrf: Any, db: Session,
                                                        clip_bytes: bytes, app: Flask,
                                                        media_root: Path) -> None:
    login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    storage = LocalStorage(media_root)
    services.requeue(db, clip)
    old_run = services.begin_run(db, clip.id)
    assert old_run is not None
    assert services.begin_run(db, clip.id) is None  # a live run is not started twice
    services.requeue(db, clip)  # a blur added meanwhile: queued again
    new_run = services.begin_run(db, clip.id)
    assert new_run is not None and new_run.number == old_run.number + 1
    stale = services.render_run(old_run, storage=storage, media_root=media_root)
    services.finish_run(db, old_run, storage=storage, products=stale, error=None)
    assert clip.status == ClipStatus.PROCESSING  # the old run's outcome was dropped
    assert not (media_root / stale["720p"]["key"]).exists()
    fresh = services.render_run(new_run, storage=storage, media_root=media_root)
    services.finish_run(db, new_run, storage=storage, products=fresh, error=None)
    assert clip.status == ClipStatus.READY and clip.renditions == fresh


def test_a_dead_composition_is_failed_not_requeued(app: Flask, db: Session,
                                                   client: FlaskClient, login_as: Any,
                                                   csrf: Any, clip_bytes: bytes) -> None:
    login_as(Role.TRAINER)
    ready = uploaded_clip(client, csrf, db, clip_bytes)
    ready.status, ready.heartbeat_at = ClipStatus.PROCESSING, utcnow() - timedelta(minutes=9)
    orphan = Clip(slug="joined", title_zh="合集", filename="composed.mp4",
                  status=ClipStatus.PROCESSING, heartbeat_at=utcnow() - timedelta(minutes=9))
    db.add(orphan)
    db.flush()
    with app.app_context():
        assert resume_interrupted.call_local() == [ready.id]  # the other clip still recovers
    db.refresh(orphan)
    db.refresh(ready)
    assert orphan.status == ClipStatus.FAILED and "original" in (orphan.error or "")
    assert ready.status == ClipStatus.READY


def test_a_failed_last_chunk_is_finished_by_the_resume(client: FlaskClient, login_as: Any,
                                                       csrf: Any, db: Session,
                                                       clip_bytes: bytes,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(Role.TRAINER)
    created = create(client, csrf(), len(clip_bytes))
    location = created.headers["Location"]

    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(LocalStorage, "put", broken)
    failed = patch(client, csrf(), location, 0, clip_bytes)
    assert failed.status_code == 500
    monkeypatch.undo()
    head = client.head(location)  # what tus-js-client does before retrying
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(len(clip_bytes))
    clip_id = int(head.headers["Clip-Location"].rsplit("/", 1)[1])
    clip = db.get(Clip, clip_id)
    assert clip is not None
    db.refresh(clip)
    assert clip.status == ClipStatus.READY
    assert client.head(location).status_code == 404  # the upload became the clip
    fresh = create(client, csrf(), 10).headers["Location"]
    wrong_type = client.patch(fresh, data=b"x", headers={
        "Tus-Resumable": "1.0.0", "X-CSRFToken": csrf(), "Upload-Offset": "0",
        "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415


def test_saving_details_keeps_other_trainers_cohorts(client: FlaskClient, login_as: Any,
                                                     csrf: Any, db: Session,
                                                     clip_bytes: bytes,
                                                     make_user: Any) -> None:
    first = login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    theirs = share(db, clip, make_user(Role.TRAINEE), first)
    second = make_user(Role.TRAINER)
    mine = Cohort(name="second trainer's cohort", trainer=second)
    db.add(mine)
    db.flush()
    login_as(user=second)
    saved = client.post(f"/clips/{clip.id}/details", data={
        "csrf_token": csrf(), "slug": clip.slug, "title_zh": "新标题", "cohorts": str(mine.id)})
    assert saved.status_code == 302
    db.refresh(clip)
    assert {cohort.id for cohort in clip.cohorts} == {theirs.id, mine.id}


def test_watchers_are_those_the_viewer_teaches(client: FlaskClient, login_as: Any, csrf: Any,
                                               db: Session, clip_bytes: bytes,
                                               make_user: Any) -> None:
    trainer = login_as(Role.TRAINER)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    clip.published = True
    pupil = make_user(Role.TRAINEE)
    share(db, clip, pupil, trainer)
    services.record_progress(db, clip, pupil, segments=[[0, 1]], position=1)
    assert [row.user_id for row in services.watchers(db, clip, trainer)] == [pupil.id]
    assert services.watchers(db, clip, make_user(Role.TRAINER)) == []
    assert len(services.watchers(db, clip, make_user(Role.ADMIN))) == 1
