"""The processing job through the real queue backends: SQLite (the default) and Redis."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy.orm import Session

from tests.features.video_support import make_clip
from trainer.tasks import make_huey, process_clip_job
from trainer.video import services
from trainer.video.models import Clip, ClipStatus
from trainer.video.storage import storage_from_config

REDIS_URL = os.environ.get("TRAINER_TEST_REDIS_URL")


def queued_clip(db: Session, app: Flask, tmp_path: Path) -> Clip:
    source = make_clip(tmp_path / "visit.mp4", seconds=1.0, size="640x360")
    clip = Clip(slug="queued", title_zh="排队", filename="visit.mp4", duration=1.0, width=640,
                height=360, has_audio=True, status=ClipStatus.QUEUED)
    db.add(clip)
    db.flush()
    clip.original_key = f"clips/{clip.id}/original.mp4"
    storage_from_config(app.config).put(clip.original_key, source)
    db.flush()
    return clip


def through_queue(queue: Huey, app: Flask, clip: Clip) -> None:
    """Enqueue the job on `queue`, then take it off and run it as a consumer would."""
    task = queue.task(retries=0)(process_clip_job)
    with app.app_context():
        task(clip.id)
        assert queue.pending_count() == 1
        job = queue.dequeue()
        assert job is not None
        queue.execute(job)
    assert queue.pending_count() == 0


def test_job_runs_through_the_sqlite_queue(app: Flask, db: Session, tmp_path: Path) -> None:
    queue = make_huey({}, tmp_path / "instance")
    assert isinstance(queue, SqliteHuey)
    assert (tmp_path / "instance" / "jobs.sqlite3").exists()
    clip = queued_clip(db, app, tmp_path)
    through_queue(queue, app, clip)
    db.refresh(clip)
    assert clip.status == ClipStatus.READY and set(clip.renditions) == {"360p", "poster",
                                                                         "strip"}


@pytest.mark.skipif(not REDIS_URL, reason="TRAINER_TEST_REDIS_URL not set")
def test_job_runs_through_the_redis_queue(app: Flask, db: Session, tmp_path: Path) -> None:
    queue = make_huey({"REDIS_URL": REDIS_URL}, tmp_path / "instance")
    assert isinstance(queue, RedisHuey)
    queue.flush()
    try:
        clip = queued_clip(db, app, tmp_path)
        through_queue(queue, app, clip)
        db.refresh(clip)
        assert clip.status == ClipStatus.READY
    finally:
        queue.flush()


def test_progress_is_recorded_while_the_job_runs(app: Flask, db: Session, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    clip = queued_clip(db, app, tmp_path)
    seen: list[Any] = []
    real_touch = services.touch_run

    def touch(session: Session, clip_id: int, fraction: float | None, run: int) -> None:
        real_touch(session, clip_id, fraction, run)
        row = session.get(Clip, clip_id)
        assert row is not None
        seen.append((row.status, row.progress, row.heartbeat_at))

    monkeypatch.setattr(services, "touch_run", touch)
    monkeypatch.setattr("trainer.tasks.PROGRESS_EVERY", 0.0)
    with app.app_context():
        process_clip_job(clip.id)
    assert seen and all(status == ClipStatus.PROCESSING for status, _, _ in seen)
    assert all(0 <= fraction <= 1 for _, fraction, _ in seen)
    assert all(beat is not None for _, _, beat in seen)
    db.refresh(clip)
    assert clip.status == ClipStatus.READY and clip.heartbeat_at is None
