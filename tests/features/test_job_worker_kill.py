"""A real job worker SIGKILLed in the middle of a transcode (issue 11's fault list).

Everything is the deployed arrangement, as docs/deployment.md's *Job workers* describes it:
a database of the test's own (`live_database.separate_database`: a SQLite file, or a
PostgreSQL database), the queue on Redis (TRAINER_TEST_REDIS_URL, a database of this test
process's own, flushed before and after), the application under gunicorn, and
`huey_consumer trainer.tasks.huey` as a subprocess. A trainer uploads a clip through tus;
once ffmpeg is writing the renditions, the consumer's whole process group (the consumer and
its ffmpeg) is SIGKILLed. The job is then gone from the queue (huey took it off before
running it) and the clip says "processing" with a half-written rendition in its scratch
folder, which the media route must never serve.

Recovery is the application's own: every consumer runs the periodic tasks when it starts,
and `resume_interrupted` queues again a clip whose heartbeat is older than
`services.STALE_AFTER`. The only thing not waited for in real time are those two minutes: the
test moves the dead run's heartbeat back by STALE_AFTER (as if they had passed), then starts a
new consumer and waits for the retried run to make the clip ready with a complete video.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest
import redis
from huey import RedisHuey
from sqlalchemy import Engine

from tests.conftest import PASSWORD
from tests.features.live_database import (
    CookieClient,
    listening_socket,
    migrate,
    separate_database,
)
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.db import make_engine, make_sessionmaker, utcnow
from trainer.video import services
from trainer.video.media import ffmpeg_exe, parse_probe
from trainer.video.models import Clip, ClipStatus

REDIS_URL = os.environ.get("TRAINER_TEST_REDIS_URL")
SECONDS = 10.0  # the clip's length: ffmpeg needs a few seconds for its renditions
TIMEOUT = 90.0  # seconds any one wait may take before the test fails
PRODUCTS = ("720p", "360p", "poster", "strip")
T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T | None], *, log: Callable[[], str],
             timeout: float = TIMEOUT, every: float = 0.1) -> T:
    """Poll `check` until it returns something other than None (or False)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None and found is not False:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{log()}"
        time.sleep(every)


def visit_clip(path: Path) -> bytes:
    """A 720p test pattern with a tone, compressed hard so that the upload stays small (about
    1 MB) while the transcode to 720p and 360p still takes a few seconds."""
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size=1280x720:rate=25:duration={SECONDS}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "38",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k", "-shortest",
                    "-movflags", "+faststart", str(path)], check=True, timeout=120)
    return path.read_bytes()


def probe_text(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True, errors="replace", timeout=60,
                          check=False)


def playable_seconds(path: Path) -> float:
    """The length of a video that ffmpeg decodes from end to end without one error."""
    decoded = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path),
                              "-f", "null", "-"], capture_output=True, text=True,
                             errors="replace", timeout=120, check=False)
    assert decoded.returncode == 0 and not decoded.stderr.strip(), decoded.stderr
    return parse_probe(probe_text(path).stderr).duration


# Processes ------------------------------------------------------------------------------

def group_members(pgid: int) -> list[tuple[int, str]]:
    """(pid, command name) of the live (not zombie) processes in a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        state, _parent, group = stat[stat.rindex(")") + 2:].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append((int(entry.name), name))
    return members


@dataclass
class Started:
    """A subprocess started in a session (and process group) of its own, and its log."""

    process: subprocess.Popen[bytes]
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def kill_group(self) -> None:
        """SIGKILL the whole group (the process and every child it started), then reap."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@dataclass
class Site:
    """The test's database, folders, queue and the processes it started."""

    url: str
    folder: Path
    redis_url: str
    engine: Engine
    started: list[Started] = field(default_factory=list)

    @property
    def media(self) -> Path:
        return self.folder / "media"

    def environment(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("TRAINER_") and name != "FLASK_APP"}
        # huey_consumer is a script: without this it would import the `trainer` the virtual
        # environment was installed from, which in a second checkout (a git worktree) is
        # another folder's code than the one under test
        path = os.pathsep.join(filter(None, (str(project_root()), env.get("PYTHONPATH"))))
        return {**env, "PYTHONPATH": path, "TRAINER_DATABASE_URL": self.url,
                "TRAINER_REDIS_URL": self.redis_url,
                "TRAINER_SECRET_KEY": "worker-kill-secret", "TRAINER_DEFAULT_LOCALE": "en",
                "TRAINER_INSTANCE_PATH": str(self.folder / "instance"),
                "TRAINER_MEDIA_ROOT": str(self.media)}

    def start(self, name: str, args: list[str], pass_fds: tuple[int, ...] = ()) -> Started:
        log = self.folder / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(args, cwd=project_root(), env=self.environment(),
                                       pass_fds=pass_fds, stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        started = Started(process, log)
        self.started.append(started)
        return started

    def consumer(self, name: str) -> Started:
        consumer = Path(sys.executable).with_name("huey_consumer")
        return self.start(name, [str(consumer), "trainer.tasks.huey", "--workers", "1"])

    def clip(self, clip_id: int) -> Clip:
        """The clip as committed now (columns loaded before the session closes)."""
        with make_sessionmaker(self.engine)() as db:
            return db.get_one(Clip, clip_id)

    def logs(self) -> str:
        return "\n".join(f"--- {started.log.name}\n{started.tail()}" for started in self.started)


@contextmanager
def live_site(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated database with one trainer; Redis flushed; every process killed at the end."""
    assert REDIS_URL, "TRAINER_TEST_REDIS_URL is not set"
    queue = redis.Redis.from_url(REDIS_URL)
    queue.flushdb()
    with separate_database(tmp_path, tmp_path_factory, "worker_kill") as url:
        migrate(url)
        engine = make_engine(url)
        site = Site(url, tmp_path, REDIS_URL, engine)
        try:
            with make_sessionmaker(engine)() as db:
                accounts.create_user(db, actor=None, username="kill-trainer",
                                     full_name="Trainer", role=Role.TRAINER,
                                     password=PASSWORD)
                db.commit()
            yield site
        finally:
            for started in site.started:
                if started.process.poll() is None:
                    started.kill_group()
            engine.dispose()
            queue.flushdb()
            queue.close()


# A browser of sorts ---------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class Client(CookieClient):
    """Cookies, a CSRF token, no redirects followed."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        return Answer(*self.send(method, path, body, headers))

    def page(self, path: str) -> str:
        response = self.request("GET", path)
        assert response.status == 200, (path, response.status)
        return response.body.decode()

    def log_in(self, username: str) -> None:
        token = csrf_of(self.page("/login"))
        form = urlencode({"username": username, "password": PASSWORD,
                          "csrf_token": token}).encode()
        response = self.request("POST", "/login", form, {
            "Content-Type": "application/x-www-form-urlencoded"})
        assert response.status == 302, response.status
        self.csrf = csrf_of(self.page("/clips/new"))

    def upload(self, data: bytes, filename: str, chunk: int = 256 * 1024) -> int:
        """Send a file through tus in chunks; the new clip's id."""
        tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": self.csrf}
        meta = ",".join(f"{key} {base64.b64encode(value.encode()).decode()}"
                        for key, value in (("filename", filename), ("title", "入户访问")))
        created = self.request("POST", "/clips/uploads", headers={
            **tus, "Upload-Length": str(len(data)), "Upload-Metadata": meta})
        assert created.status == 201, created.body
        location, sent = created.headers["Location"], created
        for offset in range(0, len(data), chunk):
            sent = self.request("PATCH", location, data[offset:offset + chunk], headers={
                **tus, "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream"})
            assert sent.status == 204, sent.body
        found = re.fullmatch(r"/clips/(\d+)", sent.headers.get("Clip-Location", ""))
        assert found, sent.headers
        return int(found.group(1))


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, page[:2000]
    return found.group(1)


def gunicorn(site: Site) -> Callable[[], Client]:
    """Start the application under gunicorn (one worker, as `make run` serves it); a call of
    the result waits until it answers and gives a client of it."""
    with listening_socket() as listener:
        port, fd = listener.getsockname()[1], listener.fileno()
        server = site.start("gunicorn", [
            sys.executable, "-m", "gunicorn", "--bind", f"fd://{fd}", "--workers", "1",
            "--threads", "2", "--timeout", "60", "wsgi:app"], pass_fds=(fd,))

    def answers() -> bool:
        assert server.process.poll() is None, f"gunicorn stopped:\n{server.tail()}"
        try:
            return Client(port).request("GET", "/login").status == 200
        except OSError:
            return False

    def client() -> Client:
        wait_for("gunicorn to answer", answers, log=site.logs, every=0.2)
        return Client(port)

    return client


# The test -------------------------------------------------------------------------------

def mid_transcode(site: Site, consumer: Started, clip_id: int) -> Callable[[], Any]:
    """A check that the consumer's ffmpeg is writing the clip's first run's 720p rendition."""
    scratch = site.media / "work" / str(clip_id) / "r1" / "720p.mp4"

    def check() -> Any:
        assert consumer.process.poll() is None, f"the consumer stopped:\n{site.logs()}"
        clip = site.clip(clip_id)
        assert clip.status != ClipStatus.READY, "the transcode finished before the kill"
        writing = scratch.exists() and scratch.stat().st_size > 64 * 1024
        ffmpeg = [pid for pid, name in group_members(consumer.process.pid) if name == "ffmpeg"]
        return clip.status == ClipStatus.PROCESSING and writing and ffmpeg

    return check


@pytest.mark.skipif(not REDIS_URL, reason="TRAINER_TEST_REDIS_URL not set")
def test_a_worker_killed_mid_transcode_is_retried_and_no_half_file_is_served(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with live_site(tmp_path, tmp_path_factory) as site:
        queue = RedisHuey("trainer", url=site.redis_url)
        server = gunicorn(site)
        first = site.consumer("consumer-1")
        data = visit_clip(tmp_path / "visit.mp4")  # while both start
        browser = server()
        browser.log_in("kill-trainer")
        clip_id = browser.upload(data, "visit.mp4")

        wait_for("ffmpeg to be writing the renditions", mid_transcode(site, first, clip_id),
                 log=site.logs)
        first.kill_group()
        wait_for("ffmpeg to die with its consumer",  # SIGKILL is delivered, then acted on
                 lambda: group_members(first.process.pid) == [], log=site.logs, timeout=10)

        half = site.media / "work" / str(clip_id) / "r1" / "720p.mp4"
        assert half.stat().st_size > 0
        assert "moov atom not found" in probe_text(half).stderr  # a half-written MP4
        for name in PRODUCTS:  # not ready: nothing is served, least of all the half file
            answer = browser.request("GET", f"/clips/{clip_id}/media/{name}")
            assert answer.status == 404, (name, answer.status, len(answer.body))
        assert 'class="clip-status status-processing' in browser.page(f"/clips/{clip_id}/status")
        assert f"/clips/{clip_id}/media/" not in browser.page(f"/clips/{clip_id}")
        dead = site.clip(clip_id)
        assert dead.status == ClipStatus.PROCESSING and dead.runs == 1
        assert dead.renditions == {} and dead.progress < 1
        # The job died with the worker: huey took it off the queue before running it (what
        # waits there are the periodic tasks the consumer queued behind the long job).
        assert "process_clip_job" not in {task.name for task in queue.pending()}

        # The two minutes after which a silent run counts as dead pass at once.
        with make_sessionmaker(site.engine)() as db:
            db.get_one(Clip, clip_id).heartbeat_at = (
                utcnow() - services.STALE_AFTER - timedelta(seconds=1))
            db.commit()
        site.consumer("consumer-2")  # its periodic check runs as it starts

        ready = wait_for("the retried run to make the clip ready", lambda: (
            clip if (clip := site.clip(clip_id)).status == ClipStatus.READY else None),
            log=site.logs, every=0.25)
        assert ready.runs == 2 and ready.error is None and ready.progress == 1.0
        assert set(ready.renditions) == set(PRODUCTS)
        assert all(f"clips/{clip_id}/r2/" in product["key"]
                   for product in ready.renditions.values())
        assert not (site.media / "work" / str(clip_id)).exists() or not any(
            (site.media / "work" / str(clip_id)).iterdir())  # the dead run's scratch is gone
        assert not (site.media / "clips" / str(clip_id) / "r1").exists()

        for name in ("720p", "360p"):
            served = browser.request("GET", f"/clips/{clip_id}/media/{name}")
            assert served.status == 200 and served.headers["Content-Type"] == "video/mp4"
            body = served.body
            assert len(body) == ready.renditions[name]["bytes"]
            copy = tmp_path / f"served-{name}.mp4"
            copy.write_bytes(body)
            assert abs(playable_seconds(copy) - SECONDS) < 0.2
        assert "process_clip_job" not in {task.name for task in queue.pending()}
