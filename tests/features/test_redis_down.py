"""Redis down (TRAINER_REDIS_URL pointing at a closed port): the web application keeps serving
field work, the log-in limit still holds (counted in memory until Redis is back), a clip whose
job cannot be queued stays queued instead of failing the upload, and once Redis is back the
worker's periodic check queues it and it is processed."""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from huey import RedisHuey
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, app_config, csrf_token
from tests.features.live_database import BEST, make_attempts
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


def until_redis_answers(call: Callable[[], object], *,
                        alive: Callable[[], bool] = lambda: True, seconds: float = 10) -> None:
    """Call `call` until Redis answers it (no RedisError), for at most `seconds`; `alive`
    says whether the server is still running (a server that exited will not answer)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            call()
            return
        except redis.RedisError:
            assert alive(), "redis-server exited"
            assert time.monotonic() < deadline, f"Redis did not answer in {seconds:.0f} s"
            time.sleep(0.05)


def line_from(process: subprocess.Popen[str], seconds: float = 60) -> str:
    """The next line the process writes, or a failure after `seconds` (never a hang)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    assert ready, f"no answer from the process in {seconds} s"
    return process.stdout.readline().strip()


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


def test_a_failing_limiter_lets_the_request_through(down_app: Flask, db: Session,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """RATELIMIT_SWALLOW_ERRORS, as docs/architecture.md ("Redis down") documents it: when the
    limiter itself fails with the in-memory fallback already taken, the log-in is answered as
    if there were no limit (not a 500), rather than refused."""
    make_attempts(db)
    attacker = client_of(down_app)
    assert log_in(attacker, down_app, "backup-trainee0", "wrong-password") == 401
    assert limiter._storage_dead  # counted in memory from now on

    def broken(*_args: Any, **_kwargs: Any) -> bool:
        raise RuntimeError("the limiter's storage failed")

    fallback = limiter._fallback_limiter
    monkeypatch.setattr(fallback, "hit", broken)
    monkeypatch.setattr(fallback, "test", broken)
    assert [log_in(attacker, down_app, "backup-trainee0", "wrong-password")
            for _ in range(4)] == [401] * 4  # past the limit of three, and no 500
    assert log_in(client_of(down_app), down_app, "backup-trainee1", PASSWORD) == 302


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


# A second web machine: its own process and database, sharing only Redis with the test's app.
# It reads "username address" lines and answers each with the status of a failed log-in.
SECOND_MACHINE = """
import sys
from trainer import create_app
from trainer.models import Base
redis_url, folder = sys.argv[1:3]
app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder}/second.sqlite3",
                  "SECRET_KEY": "second-machine", "INSTANCE_PATH": f"{folder}/instance",
                  "MEDIA_ROOT": f"{folder}/media", "REDIS_URL": redis_url,
                  "RATELIMIT_STORAGE_URI": redis_url, "LOGIN_RATE_LIMIT": "3 per minute",
                  "WTF_CSRF_ENABLED": False, "BABEL_DEFAULT_LOCALE": "en"})
Base.metadata.create_all(app.extensions["trainer.engine"])
print("ready", flush=True)
for line in sys.stdin:
    username, address = line.split()
    response = app.test_client().post("/login", data={"username": username, "password": "no"},
                                      environ_base={"REMOTE_ADDR": address})
    print(response.status_code, flush=True)
"""


class RedisServer:
    """redis-server on a free port, nothing saved (a restart starts empty), in the
    foreground as a child process: killed with SIGKILL, started again on the same port."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        process = self.process
        until_redis_answers(client.ping, alive=lambda: process.poll() is None)
        client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        """Stop it answering (SIGSTOP): connections are still accepted by the kernel and
        requests sent, but nothing comes back, as from a machine that hangs or a network that
        drops the answers; unlike a closed port, no error comes at once."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let it answer again (SIGCONT): what was sent meanwhile is then read and done."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("no redis-server found: install Debian's redis-server (.ci/run starts it)")
    server = RedisServer(executable)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def live_setting(url: str, connection: Any, database_url: str, tmp_path: Path, db: Session,
                 make_user: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """An application on the Redis at `url` (the job queue and the limits, the log-in limit
    3 a minute), its job queue with the clip job on it, and a trainee (10.0.0.2, logged in)
    with an attempt, a trainer (10.0.0.3) and a one-second clip's bytes: (app, queue, attempt,
    trainee, trainer, clip data)."""
    app = create_app(app_config(tmp_path, database_url, REDIS_URL=url,
                                RATELIMIT_STORAGE_URI=url, LOGIN_RATE_LIMIT="3 per minute"))
    use_sessionmaker(app, make_sessionmaker(connection,
                                            join_transaction_mode="create_savepoint"))
    queue = tasks.make_huey({"REDIS_URL": url}, tmp_path / "instance")
    monkeypatch.setattr(tasks, "process_clip",
                        queue.task(retries=0, name="process_clip")(tasks.process_clip_job))
    made = make_attempts(db)
    attempt = db.query(Attempt).filter_by(trainee_id=made["trainees"][1]).one()
    trainee = client_of(app)
    trainee.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert log_in(trainee, app, "backup-trainee1", PASSWORD) == 302
    trainer = client_of(app)
    trainer.environ_base["REMOTE_ADDR"] = "10.0.0.3"
    with trainer.session_transaction() as session:
        session["_user_id"], session["_fresh"] = make_user(Role.TRAINER).get_id(), True
    clip_data = make_clip(tmp_path / "visit.mp4", seconds=1.0, size="320x180").read_bytes()
    return app, queue, attempt, trainee, trainer, clip_data


def test_redis_dies_and_comes_back_while_the_app_runs(
        redis_server: RedisServer, connection: Any, database_url: str, tmp_path: Path,
        db: Session, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """One app process through Redis up, killed, and started again on the same port: field
    work never stops, the log-in limit holds in memory meanwhile and goes back to Redis
    (shared with another machine) once it answers, and a clip's job that could not be
    queued is queued by the worker's periodic check and runs."""
    url = redis_server.url
    second = subprocess.Popen(
        [sys.executable, "-c", SECOND_MACHINE, url, str(tmp_path / "second")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "TRAINER_INSTANCE_PATH": str(tmp_path / "second" / "instance")})
    try:
        app, queue, attempt, trainee, trainer, clip_data = live_setting(
            url, connection, database_url, tmp_path, db, make_user, monkeypatch)
        attacker = client_of(app)  # 127.0.0.1, the second machine's caller too

        actions = iter(BEST[3:])  # the attempt has taken the first three

        def field_work() -> None:
            steps = len(attempt.steps)
            assert trainee.get(f"/training/attempts/{attempt.id}").status_code == 200
            response = trainee.post(f"/training/attempts/{attempt.id}/steps",
                                    data={"household": "wang", "action": next(actions),
                                          "csrf_token": csrf_token(trainee, app)})
            assert response.status_code == 302
            db.refresh(attempt)
            assert len(attempt.steps) == steps + 1
            assert trainee.get("/training").status_code == 200

        def upload_clip() -> Clip:
            response = upload(trainer, csrf_token(trainer, app), clip_data)
            assert response.status_code == 204, response.get_data(as_text=True)
            clip = db.get_one(Clip, int(response.headers["Clip-Location"].rsplit("/", 1)[1]))
            db.refresh(clip)
            assert clip.status == ClipStatus.QUEUED
            return clip

        # Up: the counts and the job are in Redis.
        field_work()
        assert [log_in(attacker, app, "backup-trainee0", "wrong") for _ in range(2)] == [401,
                                                                                          401]
        assert redis.Redis.from_url(url).keys("LIMITS*")
        up_clip = upload_clip()
        assert queue.pending_count() == 1

        # Killed: field work goes on; the log-in limit holds, counted in this process's
        # memory from zero (Redis' two are out of reach); the upload is acknowledged and its
        # clip made due at once for the periodic check.
        redis_server.kill()
        field_work()
        assert [log_in(attacker, app, "backup-trainee0", "wrong")
                for _ in range(4)] == [401, 401, 401, 429]
        assert limiter._storage_dead
        down_clip = upload_clip()
        assert down_clip.id in services.stale_clips(db)
        assert up_clip.id not in services.stale_clips(db)

        # Back on the same port, empty. The limiter checks Redis again with a growing
        # back-off (1, 2, 4 ... s) on its limited routes; within a few seconds it counts
        # there again: three new failures (not the memory's full count) reach the limit ...
        redis_server.start()
        deadline = time.monotonic() + 20
        while limiter._storage_dead:
            assert time.monotonic() < deadline, "the limiter did not go back to Redis"
            time.sleep(0.25)
            assert client_of(app).get("/login").status_code == 200
        field_work()
        assert [log_in(attacker, app, "backup-trainee0", "wrong")
                for _ in range(4)] == [401, 401, 401, 429]
        # ... which the second machine sees: for the caller's address and for the user name
        # from another address, not for another caller with another name.
        assert second.stdout is not None and second.stdin is not None
        assert line_from(second) == "ready"
        answers = []
        for line in ("someone-else 127.0.0.1", "backup-trainee0 10.0.0.9",
                     "someone-else 10.0.0.9"):
            second.stdin.write(line + "\n")
            second.stdin.flush()
            answers.append(line_from(second))
        assert answers == ["429", "429", "401"]

        # The job queued before the kill was lost with Redis' memory (nothing saved): the
        # clip is picked up as queued too long after 15 minutes. The one that could not be
        # queued is queued by the periodic check's first run, and a worker processes it.
        assert queue.pending_count() == 0
        assert up_clip.id in services.stale_clips(db, now=utcnow() + timedelta(minutes=16))
        with app.app_context():
            assert tasks.resume_interrupted.call_local() == [down_clip.id]
            assert queue.pending_count() == 1
            job = queue.dequeue()
            assert job is not None
            queue.execute(job)
        db.refresh(down_clip)
        assert down_clip.status == ClipStatus.READY and "360p" in down_clip.renditions
    finally:
        second.kill()
        second.communicate(timeout=10)  # waits, and closes its pipes
        limiter._storage_dead = False  # the limiter is one object for the whole test run


def answered_within(seconds: float, send: Callable[[], Any]) -> Any:
    """`send()`'s result, failing the test if it takes longer than `seconds` (a request held
    up by Redis is a gunicorn thread taken from field work); the thread is left to finish
    once the caller lets Redis answer again."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(send())
        except BaseException as error:  # raised again in the test's thread
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=seconds)
    assert not thread.is_alive(), f"no answer in {seconds} s: held up by a silent Redis"
    [result] = outcome
    if isinstance(result, BaseException):
        raise result
    return result


def test_a_redis_that_stops_answering_holds_up_no_request(
        redis_server: RedisServer, connection: Any, database_url: str, tmp_path: Path,
        db: Session, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis frozen rather than refusing connections: the log-in limit gives up on it after a
    second and counts in memory; field work goes on; an upload is acknowledged within
    seconds (the job's queueing gives up as well) with its clip queued and due for the
    periodic check. Once Redis answers again the clip is processed, once."""
    url = redis_server.url
    app, queue, attempt, trainee, trainer, clip_data = live_setting(
        url, connection, database_url, tmp_path, db, make_user, monkeypatch)
    assert queue.pending_count() == 0  # the queue's connection is made while Redis answers

    redis_server.freeze()
    try:
        attacker = client_of(app)
        assert answered_within(30, lambda: [
            log_in(attacker, app, "backup-trainee0", "wrong") for _ in range(4)]) == [
            401, 401, 401, 429]
        assert limiter._storage_dead
        steps = len(attempt.steps)
        stepped = answered_within(10, lambda: trainee.post(
            f"/training/attempts/{attempt.id}/steps",
            data={"household": "wang", "action": BEST[3],
                  "csrf_token": csrf_token(trainee, app)}))
        assert stepped.status_code == 302
        db.refresh(attempt)
        assert len(attempt.steps) == steps + 1

        started = time.monotonic()
        response = answered_within(30, lambda: upload(trainer, csrf_token(trainer, app),
                                                      clip_data))
        assert response.status_code == 204, response.get_data(as_text=True)
        assert time.monotonic() - started < 15
        clip = db.get_one(Clip, int(response.headers["Clip-Location"].rsplit("/", 1)[1]))
        db.refresh(clip)
        assert clip.status == ClipStatus.QUEUED
        assert clip.id in services.stale_clips(db)  # due for the periodic check at once
    finally:
        redis_server.thaw()
        limiter._storage_dead = False  # the limiter is one object for the whole test run

    # Redis reads what was sent while it was frozen: the job whose queueing gave up may
    # have been queued after all. The periodic check queues the clip again; it is processed
    # by the first job, and the second finds it ready and does nothing.
    until_redis_answers(queue.pending_count)
    with app.app_context():
        assert tasks.resume_interrupted.call_local() == [clip.id]
        assert queue.pending_count() in (1, 2)
        while (job := queue.dequeue()) is not None:
            queue.execute(job)
    db.refresh(clip)
    assert clip.status == ClipStatus.READY and clip.runs == 1
