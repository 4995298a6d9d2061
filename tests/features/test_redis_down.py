"""Redis down (TRAINER_REDIS_URL pointing at a closed port): the web application keeps serving
field work, the log-in limit still holds (counted in memory until Redis is back), a clip whose
job cannot be queued stays queued instead of failing the upload, and once Redis is back the
worker's periodic check queues it and it is processed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from huey import RedisHuey
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, app_config, csrf_token
from tests.features.live_database import make_attempts
from tests.features.video_support import make_clip, upload
from trainer import create_app, tasks
from trainer.accounts.models import Role
from trainer.db import make_sessionmaker, utcnow
from trainer.extensions import limiter, use_sessionmaker
from trainer.fieldwork.models import Attempt
from trainer.video import services
from trainer.video.models import Clip, ClipStatus

DOWN = "redis://127.0.0.1:1/0"  # nothing listens there: connection refused at once
REDIS_URL = os.environ.get("TRAINER_TEST_REDIS_URL")


@pytest.fixture
def down_app(connection: Any, database_url: str, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with Redis configured but down, for rate limits and the job queue."""
    app = create_app(app_config(tmp_path, database_url, REDIS_URL=DOWN,
                                RATELIMIT_STORAGE_URI=DOWN, LOGIN_RATE_LIMIT="3 per minute"))
    use_sessionmaker(app, make_sessionmaker(connection,
                                            join_transaction_mode="create_savepoint"))
    queue = tasks.make_huey({"REDIS_URL": DOWN}, tmp_path / "instance")
    assert isinstance(queue, RedisHuey)
    for name, job in (("process_clip", tasks.process_clip_job),
                      ("compose_clip", tasks.compose_job),
                      ("offline_copy", tasks.offline_copy_job)):
        monkeypatch.setattr(tasks, name, queue.task(retries=0, name=name)(job))
    yield app
    # The limiter is one object for the process; the next app in this test run starts with
    # its storage taken as alive (a real process has one app and checks back by itself).
    limiter._storage_dead = False


def client_of(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def log_in(client: FlaskClient, app: Flask, username: str, password: str) -> int:
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client, app)}).status_code


def test_field_work_goes_on_and_the_login_limit_still_holds(down_app: Flask, db: Session,
                                                            make_user: Any) -> None:
    made = make_attempts(db)
    attacker = client_of(down_app)
    statuses = [log_in(attacker, down_app, "backup-trainee0", "wrong-password")
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]  # limited in memory while Redis is down
    assert limiter._storage_dead  # the documented fallback is what answered

    trainee = client_of(down_app)
    trainee.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # another address: not limited
    assert log_in(trainee, down_app, "backup-trainee1", PASSWORD) == 302
    attempt = db.query(Attempt).filter_by(trainee_id=made["trainees"][1]).one()
    steps = len(attempt.steps)
    page = trainee.get(f"/training/attempts/{attempt.id}")
    assert page.status_code == 200
    response = trainee.post(f"/training/attempts/{attempt.id}/steps",
                            data={"household": "wang", "action": "ask_item:roster",
                                  "csrf_token": csrf_token(trainee, down_app)})
    assert response.status_code == 302
    db.refresh(attempt)
    assert len(attempt.steps) == steps + 1
    assert trainee.get("/training").status_code == 200


def test_a_clip_waits_while_redis_is_down_and_is_processed_when_it_is_back(
        down_app: Flask, db: Session, make_user: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = make_user(Role.TRAINER)
    client = client_of(down_app)
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = trainer.get_id(), True
    assert tasks.enqueue(tasks.process_clip, 1) is False  # the queue cannot be reached

    # The upload is acknowledged and the clip stays queued (not a 500, not failed).
    data = make_clip(tmp_path / "visit.mp4", seconds=1.0, size="640x360").read_bytes()
    response = upload(client, csrf_token(client, down_app), data)
    assert response.status_code == 204, response.get_data(as_text=True)
    clip = db.get_one(Clip, int(response.headers["Clip-Location"].rsplit("/", 1)[1]))
    db.refresh(clip)
    assert clip.status == ClipStatus.QUEUED and clip.original_key
    assert clip.id in services.stale_clips(db)  # due for the periodic check at once
    assert clip.id not in services.stale_clips(db, now=utcnow() - timedelta(minutes=16))

    # Asking again for a failed clip: answered, kept queued, the trainer told why.
    clip.status, clip.error = ClipStatus.FAILED, "earlier failure"
    db.flush()
    retried = client.post(f"/clips/{clip.id}/retry",
                          data={"csrf_token": csrf_token(client, down_app)},
                          follow_redirects=True)
    assert retried.status_code == 200
    assert "the clip stays queued" in retried.get_data(as_text=True)
    db.refresh(clip)
    assert clip.status == ClipStatus.QUEUED and clip.error is None

    if not REDIS_URL:
        pytest.skip("TRAINER_TEST_REDIS_URL not set (Redis back is tested with a real Redis)")
    # Redis is back; the worker's periodic check (every minute) finds the clip whose job was
    # not queued and queues it at its first run; a worker then processes it.
    queue = tasks.make_huey({"REDIS_URL": REDIS_URL}, tmp_path / "instance")
    queue.flush()
    try:
        monkeypatch.setattr(tasks, "process_clip",
                            queue.task(retries=0, name="process_clip")(tasks.process_clip_job))
        with down_app.app_context():
            assert tasks.resume_interrupted.call_local() == [clip.id]
            assert queue.pending_count() == 1
            job = queue.dequeue()
            assert job is not None
            queue.execute(job)
        db.refresh(clip)
        assert clip.status == ClipStatus.READY and "360p" in clip.renditions
    finally:
        queue.flush()


@pytest.mark.skipif(not REDIS_URL, reason="TRAINER_TEST_REDIS_URL not set")
def test_limits_return_to_redis_when_it_answers(connection: Any, database_url: str,
                                                tmp_path: Path, make_user: Any) -> None:
    """With Redis up the same settings keep the counts in Redis (shared by every web
    process): the fallback is only used while it is down."""
    import redis

    assert REDIS_URL is not None
    redis.Redis.from_url(REDIS_URL).flushdb()
    app = create_app(app_config(tmp_path, database_url, REDIS_URL=REDIS_URL,
                                RATELIMIT_STORAGE_URI=REDIS_URL,
                                LOGIN_RATE_LIMIT="2 per minute"))
    use_sessionmaker(app, make_sessionmaker(connection,
                                            join_transaction_mode="create_savepoint"))
    client = client_of(app)
    assert [log_in(client, app, "nobody", "wrong") for _ in range(3)] == [401, 401, 429]
    assert redis.Redis.from_url(REDIS_URL).keys("LIMITS*")
