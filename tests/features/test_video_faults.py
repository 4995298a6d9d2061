"""Video faults: a worker that dies while transcoding, and a disk that fills during an upload."""

from __future__ import annotations

import errno
import shutil
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.features.video_support import create, patch, upload
from trainer import tasks
from trainer.accounts.models import Role
from trainer.db import utcnow
from trainer.video import services
from trainer.video.media import pattern_clip as make_clip
from trainer.video.models import Clip, ClipStatus, Upload
from trainer.video.storage import LocalStorage, storage_from_config


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("faults") / "visit.mp4"
    return make_clip(path, seconds=1.0, size="640x360").read_bytes()


@pytest.fixture
def media_root(app: Flask) -> Path:
    return Path(app.config["MEDIA_ROOT"])


def files_under(media_root: Path, *folders: str) -> list[Path]:
    return [path for folder in folders if (media_root / folder).exists()
            for path in (media_root / folder).rglob("*") if path.is_file()]


def queued_clip(db: Session, app: Flask, tmp_path: Path) -> Clip:
    source = make_clip(tmp_path / "visit.mp4", seconds=1.0, size="640x360")
    clip = Clip(slug="dies", title_zh="中断", filename="visit.mp4", duration=1.0, width=640,
                height=360, has_audio=True, status=ClipStatus.QUEUED, heartbeat_at=utcnow())
    db.add(clip)
    db.flush()
    clip.original_key = f"clips/{clip.id}/original.mp4"
    storage_from_config(app.config).put(clip.original_key, source)
    db.flush()
    return clip


def worker_dies_mid_run(db: Session, media_root: Path, clip: Clip) -> int:
    """A worker takes the clip, writes half a rendition into its scratch folder and is
    killed: no finish, no cleanup; its heartbeat stops."""
    run = services.begin_run(db, clip.id)
    assert run is not None and clip.status == ClipStatus.PROCESSING
    scratch = media_root / "work" / str(clip.id) / f"r{run.number}"
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "720p.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 half a file")
    clip.heartbeat_at = utcnow() - services.STALE_AFTER - timedelta(seconds=1)
    db.flush()
    return run.number


def test_a_run_killed_once_is_retried_and_completes(app: Flask, db: Session, tmp_path: Path,
                                                    media_root: Path) -> None:
    clip = queued_clip(db, app, tmp_path)
    dead = worker_dies_mid_run(db, media_root, clip)
    with app.app_context():
        assert tasks.resume_interrupted.call_local() == [clip.id]  # runs at once in tests
    db.refresh(clip)
    assert clip.status == ClipStatus.READY and clip.error is None and clip.runs == dead + 1
    assert all(f"/r{dead + 1}/" in product["key"] for product in clip.renditions.values())
    assert not (media_root / "work" / str(clip.id) / f"r{dead}").exists()  # scratch gone
    served = media_root / clip.renditions["360p"]["key"]
    assert served.stat().st_size > 1000 and b"half a file" not in served.read_bytes()


def test_products_a_dead_run_had_stored_are_deleted_when_a_later_run_finishes(
        app: Flask, db: Session, tmp_path: Path, media_root: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed while moving its finished products into the store: some are stored under its
    run's folder, never recorded; the run that completes the clip deletes them."""
    clip = queued_clip(db, app, tmp_path)
    dead = worker_dies_mid_run(db, media_root, clip)
    stray = tmp_path / "stray.mp4"
    stray.write_bytes(b"a finished rendition of the dead run")
    storage = storage_from_config(app.config)
    storage.put(f"clips/{clip.id}/r{dead}/720p.mp4", stray)
    neighbour = tmp_path / "neighbour.mp4"  # r1 must not take r10's files with it
    neighbour.write_bytes(b"another folder")
    storage.put(f"clips/{clip.id}/r{dead}0/keep.mp4", neighbour)
    with app.app_context():
        assert tasks.resume_interrupted.call_local() == [clip.id]
    db.refresh(clip)
    assert clip.status == ClipStatus.READY and clip.runs == dead + 1
    assert storage.size(f"clips/{clip.id}/r{dead}/720p.mp4") is None
    assert storage.size(f"clips/{clip.id}/r{dead}0/keep.mp4") is not None
    assert storage.size(clip.original_key or "") is not None  # the original stays
    assert all(storage.size(product["key"]) for product in clip.renditions.values())
    # The next finished run clears only the folders of runs since this one (none died):
    # the cleared ones are not listed again on every finish.
    cleared: list[str] = []
    monkeypatch.setattr(LocalStorage, "delete_prefix",
                        lambda _self, prefix: cleared.append(prefix))
    services.requeue(db, clip)
    with app.app_context():
        tasks.enqueue(tasks.process_clip, clip.id)  # runs at once in tests
    db.refresh(clip)
    assert clip.status == ClipStatus.READY and clip.runs == dead + 2
    assert cleared == []


def test_a_run_killed_twice_fails_with_a_reason_and_can_be_retried(
        app: Flask, db: Session, tmp_path: Path, media_root: Path, client: FlaskClient,
        login_as: Any, csrf: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = queued_clip(db, app, tmp_path)
    worker_dies_mid_run(db, media_root, clip)
    queued: list[int] = []
    monkeypatch.setattr(tasks, "enqueue", lambda _task, clip_id: queued.append(clip_id))
    with app.app_context():
        tasks.resume_interrupted.call_local()
    db.refresh(clip)
    assert queued == [clip.id] and clip.status == ClipStatus.QUEUED
    assert clip.error == services.INTERRUPTED
    login_as(Role.TRAINER)
    waiting = client.get(f"/clips/{clip.id}").get_data(as_text=True)
    assert "being processed again" in waiting  # the trainer sees why it runs again
    worker_dies_mid_run(db, media_root, clip)  # the retry dies as well (too big for memory?)
    with app.app_context():
        assert tasks.resume_interrupted.call_local() == []
    failed = db.get_one(Clip, clip.id, populate_existing=True)
    assert failed.status == ClipStatus.FAILED and failed.error == services.GAVE_UP
    assert services.stale_clips(db) == []  # no longer "processing" for ever
    page = client.get(f"/clips/{clip.id}").get_data(as_text=True)
    assert "stopped twice" in page and "Try again" in page
    monkeypatch.undo()
    retried = client.post(f"/clips/{clip.id}/retry", data={"csrf_token": csrf()})
    assert retried.status_code == 302
    ready = db.get_one(Clip, clip.id, populate_existing=True)
    assert ready.status == ClipStatus.READY and ready.error is None


class FullDisk:
    """A part file on a disk with `room` bytes left: writes past it fail with ENOSPC after
    writing what fits, as a real disk does."""

    def __init__(self, handle: IO[bytes], room: int) -> None:
        self.handle, self.room = handle, room

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.handle.close()

    def write(self, data: bytes) -> int:
        fits = max(0, self.room - self.handle.tell())
        self.handle.write(data[:fits])
        self.handle.flush()
        if fits < len(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)


def test_a_full_disk_during_upload_is_a_507_and_leaves_nothing(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, clip_bytes: bytes,
        media_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(Role.TRAINER)
    uploads_before = db.scalar(select(func.count()).select_from(Upload))
    clips_before = db.scalar(select(func.count()).select_from(Clip))
    location = create(client, csrf(), len(clip_bytes)).headers["Location"]
    half = len(clip_bytes) // 2
    assert patch(client, csrf(), location, 0, clip_bytes[:half]).status_code == 204
    real_open = services.open_part
    monkeypatch.setattr(services, "open_part",
                        lambda path: FullDisk(real_open(path), half + 1000))
    full = patch(client, csrf(), location, half, clip_bytes[half:])
    assert full.status_code == 507
    body = full.get_json()
    assert "disk is full" in body["message"] and body["field"] == "file"
    assert files_under(media_root, "uploads") == []  # the partial file is removed
    assert db.scalar(select(func.count()).select_from(Upload)) == uploads_before
    assert db.scalar(select(func.count()).select_from(Clip)) == clips_before
    assert client.head(location).status_code == 404  # nothing half-saved to resume
    monkeypatch.undo()
    again = upload(client, csrf(), clip_bytes)  # once there is room, a new upload works
    assert again.status_code == 204 and "Clip-Location" in again.headers


def test_a_full_disk_when_storing_the_original_keeps_no_clip(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, clip_bytes: bytes,
        media_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(Role.TRAINER)
    clips_before = db.scalar(select(func.count()).select_from(Clip))

    def half_copy(self: LocalStorage, key: str, source: Path) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1000)
            dst.truncate(1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(LocalStorage, "put", half_copy)
    response = upload(client, csrf(), clip_bytes)
    assert response.status_code == 507
    assert db.scalar(select(func.count()).select_from(Clip)) == clips_before
    assert files_under(media_root, "uploads", "clips") == []  # no partial original either
