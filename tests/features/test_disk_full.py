"""A disk that is really full: the media folder on a small tmpfs that the kernel fills.

tests/features/test_video_faults.py makes a write fail with ENOSPC where the application
writes; here nothing is faked: the upload's part file and ffmpeg's renditions are written to
a filesystem with no room left, and the kernel refuses them. Mounting needs root (CI's
machine is run as root); elsewhere the tests skip, and CI (TRAINER_NO_SKIP=1) fails a skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.features.video_support import create, patch, upload
from tests.small_disk import PAGE, SmallDisk, small_disk_at
from trainer.accounts.models import Role
from trainer.video import media, services
from trainer.video.media import pattern_clip as make_clip
from trainer.video.models import Clip, ClipStatus, Upload


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("disk-full") / "visit.mp4"
    return make_clip(path, seconds=1.0, size="640x360").read_bytes()


@pytest.fixture
def small_disk(app: Flask) -> Iterator[SmallDisk]:
    with small_disk_at(Path(app.config["MEDIA_ROOT"])) as disk:
        yield disk


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_an_upload_that_fills_the_disk_is_a_507_and_frees_its_room(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, clip_bytes: bytes,
        small_disk: SmallDisk) -> None:
    """The disk has room for half the clip: the chunk that meets the end is refused with the
    disk-full message on the file field, the part file is removed (the room is free again),
    no upload or clip row stays, and once the disk is larger the same file uploads."""
    login_as(Role.TRAINER)
    small_disk.resize(len(clip_bytes) // 2 // PAGE * PAGE)
    uploads_before, clips_before = count(db, Upload), count(db, Clip)
    location = create(client, csrf(), len(clip_bytes)).headers["Location"]
    first = patch(client, csrf(), location, 0, clip_bytes[:PAGE * 4])
    assert first.status_code == 204  # what fits is kept
    full = patch(client, csrf(), location, PAGE * 4, clip_bytes[PAGE * 4:])
    assert full.status_code == 507
    body = full.get_json()
    assert body["field"] == "file" and "disk is full" in body["message"]
    assert small_disk.files() == [] and small_disk.used() == 0
    assert (count(db, Upload), count(db, Clip)) == (uploads_before, clips_before)
    assert client.head(location).status_code == 404
    small_disk.resize(8 * len(clip_bytes))
    again = upload(client, csrf(), clip_bytes)
    assert again.status_code == 204 and "Clip-Location" in again.headers
    assert count(db, Clip) == clips_before + 1


def test_the_disk_full_error_is_in_the_trainees_language(
        client: FlaskClient, login_as: Any, csrf: Any, clip_bytes: bytes,
        small_disk: SmallDisk) -> None:
    login_as(Role.TRAINER)
    small_disk.resize(len(clip_bytes) // 2 // PAGE * PAGE)
    created = client.post("/clips/uploads", headers={
        "Tus-Resumable": "1.0.0", "X-CSRFToken": csrf(), "Accept-Language": "zh-CN",
        "Upload-Length": str(len(clip_bytes)), "Upload-Metadata": "filename dmlzaXQubXA0"})
    assert created.status_code == 201
    full = client.patch(created.headers["Location"], data=clip_bytes, headers={
        "Tus-Resumable": "1.0.0", "X-CSRFToken": csrf(), "Accept-Language": "zh-CN",
        "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert full.status_code == 507
    assert "磁盘" in full.get_json()["message"]


def test_processing_on_a_full_disk_fails_the_clip_clearly_and_leaves_no_rendition(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, clip_bytes: bytes,
        small_disk: SmallDisk) -> None:
    """The original fits; ffmpeg's renditions do not (the job runs when the upload ends: the
    tests' queue is immediate): the clip fails with the disk-full message (not ffmpeg's
    words), nothing of the run stays on the disk but the original, and the trainer's retry,
    once there is room, makes the clip ready."""
    login_as(Role.TRAINER)
    small_disk.resize((len(clip_bytes) // PAGE + 4) * PAGE)
    done = upload(client, csrf(), clip_bytes)
    assert done.status_code == 204, done.get_data(as_text=True)
    clip_id = int(done.headers["Clip-Location"].rstrip("/").rsplit("/", 1)[-1])
    clip = db.get_one(Clip, clip_id, populate_existing=True)
    assert clip.status == ClipStatus.FAILED
    assert clip.error == services.DISK_FULL_PROCESSING
    assert small_disk.files() == [clip.original_key]
    page = client.get(f"/clips/{clip_id}").get_data(as_text=True)
    assert "disk is full" in page
    small_disk.resize(16 * len(clip_bytes))
    retried = client.post(f"/clips/{clip_id}/retry", data={"csrf_token": csrf()})
    assert retried.status_code == 302
    ready = db.get_one(Clip, clip_id, populate_existing=True)
    assert ready.status == ClipStatus.READY and ready.error is None


def test_ffmpeg_that_cannot_write_for_want_of_room_says_so(
        small_disk: SmallDisk, clip_bytes: bytes, tmp_path: Path) -> None:
    source = tmp_path / "visit.mp4"
    source.write_bytes(clip_bytes)
    small_disk.resize(8 * PAGE)
    with pytest.raises(media.MediaError) as raised:
        media.run_ffmpeg([media.ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-i",
                          str(source), "-c", "copy", str(small_disk.path / "copy.mp4")], 1.0)
    assert raised.value.disk_full
    assert str(small_disk.path) not in str(raised.value)  # no server path in the message
    assert not services.disk_full(media.MediaError("Invalid data found when processing input"))
