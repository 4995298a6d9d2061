"""Faults on a real server: a gunicorn worker killed in the middle of a trainee's step.

The application runs under gunicorn (one worker, four threads, as `make run` runs it but
with one worker so that the worker handling the step is known) on a database of its own
(`live_database.separate_database`: a SQLite file, or a PostgreSQL database made on the test
server and dropped afterwards), migrated by the application's own `flask db upgrade`. The
test-only hook TRAINER_TEST_STEP_DELAY makes every step sleep at one point of the request
(before or after its commit), which gives the test time to SIGKILL the worker there. The
client then retries the same POST, with the same step key, as a browser or a proxy would.

Not marked `browser`: it runs in the SQLite and in the PostgreSQL run of CI.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tests.features.live_database import CookieClient, listening_socket, separate_database
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.scenario import loader
from trainer.db import make_engine, make_sessionmaker
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Attempt, Mode
from trainer.scenarios import services as scenario_services

BASELINE = project_root() / "scenarios" / "cooperative-family.yaml"
TRAINEES = ("killed-before-commit", "killed-after-commit", "sent-twice-at-once",
            "two-steps-at-once", "two-forms-at-once")
TWO_HOUSEHOLDS = project_root() / "scenarios" / "neighbour-and-child.yaml"
PAUSE = 2.0  # seconds a step sleeps at the hook's point; the kill comes 0.7 s into it


@dataclass
class Site:
    """The test's own database: its URL, and each trainee's attempt id."""

    url: str
    folder: Path
    attempts: dict[str, int] = field(default_factory=dict)

    def forms(self, attempt_id: int) -> dict[str, Any]:
        """The attempt's stored forms as committed."""
        return dict(self.committed(attempt_id).forms)

    def steps(self, attempt_id: int) -> list[dict[str, Any]]:
        """The attempt's steps as committed."""
        return list(self.committed(attempt_id).steps)

    def committed(self, attempt_id: int) -> Attempt:
        """The attempt as committed, read through a connection of the test's own (its
        columns are loaded before the session closes)."""
        engine = make_engine(self.url)
        try:
            with make_sessionmaker(engine)() as db:
                attempt = db.get(Attempt, attempt_id)
                assert attempt is not None
                return attempt
        finally:
            engine.dispose()


def environment(site: Site, pause: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("TRAINER_") and name != "FLASK_APP"}
    return {**env, "FLASK_APP": "wsgi", "TRAINER_DATABASE_URL": site.url,
            "TRAINER_SECRET_KEY": "faults-secret", "TRAINER_DEFAULT_LOCALE": "en",
            "TRAINER_INSTANCE_PATH": str(site.folder / "instance"),
            "TRAINER_MEDIA_ROOT": str(site.folder / "media"),
            "TRAINER_TEST_STEP_DELAY": pause}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated database with a practice exercise and one started attempt per trainee, all
    committed (the server cannot see the rolled-back transaction of the other tests)."""
    folder = tmp_path_factory.mktemp("faults")
    with separate_database(folder, tmp_path_factory, "faults") as url:
        site = Site(url, folder)
        migrated = subprocess.run(
            [sys.executable, "-m", "flask", "db", "upgrade"], cwd=project_root(),
            env=environment(site, ""), capture_output=True, text=True, timeout=120, check=False)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine)() as db:
                site.attempts = make_attempts(db)
                db.commit()
        finally:
            engine.dispose()
        yield site


def make_attempts(db: Session) -> dict[str, int]:
    trainer, _ = accounts.create_user(db, actor=None, username="faults-trainer",
                                      full_name="Trainer", role=Role.TRAINER, password=PASSWORD)
    trainees = [accounts.create_user(db, actor=None, username=name, full_name=name,
                                     role=Role.TRAINEE, password=PASSWORD)[0]
                for name in TRAINEES]
    cohort = accounts.create_cohort(db, actor=trainer, name="Faults", trainer=trainer)
    cohort.trainees = trainees
    version = scenario_services.publish(db, loader.load(BASELINE), actor=None)
    assert version is not None
    assignment = fieldwork.assign(db, actor=trainer, cohort=cohort, version=version,
                                  mode=Mode.PRACTICE, due_on=None)
    attempts = {t.username: fieldwork.start_attempt(db, t, assignment).id
                for t in trainees if t.username != "two-forms-at-once"}
    two = scenario_services.publish(db, loader.load(TWO_HOUSEHOLDS), actor=None)
    assert two is not None
    forms = fieldwork.assign(db, actor=trainer, cohort=cohort, version=two, mode=Mode.PRACTICE,
                             due_on=None)
    both = fieldwork.start_attempt(db, trainees[-1], forms)
    for unit, hour in (("zhang", 19), ("zhao", 20)):  # met: a household's form opens then
        fieldwork.take_step(db, both, unit, "knock", datetime(2020, 11, 9, hour))
        fieldwork.take_step(db, both, unit, "come_back_later", None)
    attempts["two-forms-at-once"] = both.id
    return attempts


@dataclass
class Server:
    """A gunicorn master on 127.0.0.1:port and its log."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def worker(self, other_than: int | None = None) -> int:
        """The pid of the (one) worker; with `other_than`, the one started after that died."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids = [int(pid) for pid in children.read_text().split() if int(pid) != other_than]
            if len(pids) == 1:
                return pids[0]
            time.sleep(0.05)
        raise AssertionError(f"no single gunicorn worker:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def gunicorn(site: Site, pause: str) -> Iterator[Server]:
    with listening_socket() as listener:
        port, fd = listener.getsockname()[1], listener.fileno()
        log = site.folder / f"gunicorn-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"fd://{fd}", "--workers", "1",
                 "--threads", "4", "--timeout", "60", "--graceful-timeout", "2", "wsgi:app"],
                cwd=project_root(), env=environment(site, pause), pass_fds=(fd,),
                stdout=output, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"gunicorn stopped:\n{server.tail()}"
            try:
                if Client(port).request("GET", "/login")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{server.tail()}"
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def before_commit(site: Site) -> Iterator[Server]:
    """The server, its steps sleeping after the step is flushed, before the commit."""
    with gunicorn(site, f"before-commit:{PAUSE}") as server:
        yield server


@pytest.fixture(scope="module")
def after_commit(site: Site) -> Iterator[Server]:
    """The server, its steps sleeping after the commit, before the answer."""
    with gunicorn(site, f"after-commit:{PAUSE}") as server:
        yield server


class Client(CookieClient):
    """A browser of sorts: cookies, forms, no redirects followed."""

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                timeout: float = 60) -> tuple[int, str, str]:
        """(status, Location, body)."""
        body = urlencode(form) if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        status, answered, text = self.send(method, path, body, headers, timeout)
        return status, answered.get("Location", ""), text.decode("utf-8", "replace")

    def log_in(self, username: str) -> None:
        token = csrf_of(self.request("GET", "/login")[2])
        status, _, body = self.request("POST", "/login", {
            "username": username, "password": PASSWORD, "csrf_token": token})
        assert status == 302, (status, body[:2000])


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, page[:2000]
    return found.group(1)


def step_forms(client: Client, attempt_id: int) -> dict[str, dict[str, str]]:
    """The step forms the attempt page offers at the Wangs', by action, with their keys."""
    status, _, page = client.request("GET", f"/training/attempts/{attempt_id}")
    assert status == 200, page[:2000]
    offers = re.findall(r'name="step_key" value="([0-9a-f]{32})">\s*'
                        r'<input type="hidden" name="action" value="([^"]+)"', page)
    assert offers, page[:2000]
    return {action: {"csrf_token": csrf_of(page), "household": "wang", "action": action,
                     "step_key": key} for key, action in offers}


def knock_form(client: Client, attempt_id: int) -> dict[str, str]:
    """The knock at the Wangs' door as the attempt page offers it, with its step key."""
    return {**step_forms(client, attempt_id)["knock"], "day": "2020-11-02", "time": "19:00"}


def in_background(client: Client, path: str, form: dict[str, str]) -> tuple[
        threading.Thread, list[Any]]:
    """Send the POST from another thread; the list gets its answer or the exception."""
    outcome: list[Any] = []

    def send() -> None:
        try:
            outcome.append(client.request("POST", path, form))
        except (OSError, http.client.HTTPException) as error:
            outcome.append(error)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, outcome


def killed_mid_step(server: Server, client: Client, path: str, form: dict[str, str]) -> None:
    """Send the step, SIGKILL the worker while it sleeps at the hook, see the client get no
    answer."""
    worker = server.worker()
    thread, outcome = in_background(client, path, form)
    time.sleep(0.7)
    assert thread.is_alive(), outcome  # still inside the step
    os.kill(worker, signal.SIGKILL)
    thread.join(timeout=30)
    [answer] = outcome
    assert isinstance(answer, OSError | http.client.HTTPException), answer  # no answer at all
    server.worker(other_than=worker)  # gunicorn started another


def retried(client: Client, path: str, form: dict[str, str], attempt_id: int) -> None:
    """The retry of the same POST succeeds, as the first would have."""
    status, location, body = client.request("POST", path, form)
    assert status == 302, (status, body[:2000])
    assert location.endswith(f"/training/attempts/{attempt_id}#latest")


def test_worker_killed_before_the_commit(site: Site, before_commit: Server) -> None:
    attempt_id = site.attempts["killed-before-commit"]
    client = Client(before_commit.port)
    client.log_in("killed-before-commit")
    form = knock_form(client, attempt_id)
    path = f"/training/attempts/{attempt_id}/steps"
    killed_mid_step(before_commit, client, path, form)
    assert site.steps(attempt_id) == [], before_commit.tail()  # rolled back with the worker
    retried(client, path, form, attempt_id)
    [stored] = site.steps(attempt_id)
    assert (stored["action"], stored["key"]) == ("knock", form["step_key"])
    retried(client, path, form, attempt_id)  # and once more, after the commit
    assert len(site.steps(attempt_id)) == 1


def test_worker_killed_after_the_commit(site: Site, after_commit: Server) -> None:
    """The step killed is showing the ID card, which the visit would take a second time (the
    page offers it again once taken): only the step key keeps the retry from storing it
    twice, on the quick path as on the general one (a knock or a greeting repeated is refused
    by the visit, and the general path, which checks the key again, would answer it)."""
    attempt_id = site.attempts["killed-after-commit"]
    client = Client(after_commit.port)
    client.log_in("killed-after-commit")
    path = f"/training/attempts/{attempt_id}/steps"
    for action in ("knock", "greet"):
        before = knock_form(client, attempt_id) if action == "knock" else step_forms(
            client, attempt_id)[action]
        retried(client, path, before, attempt_id)
    form = step_forms(client, attempt_id)["show_id"]
    killed_mid_step(after_commit, client, path, form)
    stored = site.steps(attempt_id)
    assert [(s["action"], s["key"]) for s in stored[2:]] == [("show_id", form["step_key"])]
    assert "show_id" in step_forms(client, attempt_id)  # the visit would take it again
    retried(client, path, form, attempt_id)
    # the retry did not store it again
    assert [s["action"] for s in site.steps(attempt_id)] == ["knock", "greet", "show_id"]


def test_the_same_step_twice_at_once_is_stored_once(site: Site, before_commit: Server) -> None:
    attempt_id = site.attempts["sent-twice-at-once"]
    client = Client(before_commit.port)
    client.log_in("sent-twice-at-once")
    form = knock_form(client, attempt_id)
    path = f"/training/attempts/{attempt_id}/steps"
    sent = [in_background(client, path, form) for _ in range(2)]  # the second waits on the lock
    for thread, _ in sent:
        thread.join(timeout=60)
    for _, outcome in sent:
        [(status, location, body)] = outcome
        assert status == 302 and location.endswith("#latest"), (status, body[:2000])
    assert [s["key"] for s in site.steps(attempt_id)] == [form["step_key"]]


def test_two_steps_at_once_are_both_stored(site: Site, before_commit: Server) -> None:
    """Steps are stored by rewriting the attempt's step list: the quick path's write holds only
    if the list is as long as it was read (trainer/fieldwork/steps.py), and the general path
    locks the row; without them the second of two concurrent steps would overwrite the
    first."""
    attempt_id = site.attempts["two-steps-at-once"]
    client = Client(before_commit.port)
    client.log_in("two-steps-at-once")
    path = f"/training/attempts/{attempt_id}/steps"
    for action in ("knock", "greet"):
        form = knock_form(client, attempt_id) if action == "knock" else step_forms(
            client, attempt_id)[action]
        assert client.request("POST", path, form)[0] == 302
    forms = step_forms(client, attempt_id)
    both = ("explain_purpose", "explain_legal_basis")  # either order is a valid visit
    sent = [in_background(client, path, forms[action]) for action in both]
    for thread, _ in sent:
        thread.join(timeout=60)
    for _, outcome in sent:
        [(status, _, body)] = outcome
        assert status == 302, (status, body[:2000])
    steps = site.steps(attempt_id)
    assert [s["action"] for s in steps[:2]] == ["knock", "greet"]
    assert sorted(s["key"] for s in steps[2:]) == sorted(forms[a]["step_key"] for a in both)


def test_two_forms_saved_at_once_are_both_kept(site: Site, before_commit: Server) -> None:
    """Forms are stored by rewriting the attempt's whole forms column: without the row lock,
    the second of two households' forms saved at once (two tabs) would drop the first."""
    attempt_id = site.attempts["two-forms-at-once"]
    client = Client(before_commit.port)
    client.log_in("two-forms-at-once")
    sent = []
    for unit, rooms in (("zhang", "3"), ("zhao", "4")):
        path = f"/training/attempts/{attempt_id}/forms/{unit}"
        status, _, page = client.request("GET", path)
        assert status == 200, page[:2000]
        sent.append(in_background(client, path, {"csrf_token": csrf_of(page), "H7": rooms}))
    for thread, _ in sent:
        thread.join(timeout=60)
    for _, outcome in sent:
        [(status, _, body)] = outcome
        assert status == 302, (status, body[:2000])
    forms = site.forms(attempt_id)
    assert {unit: forms[unit]["record"]["H7"] for unit in forms} == {"zhang": 3, "zhao": 4}
