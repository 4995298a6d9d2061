"""The hottest trainee request under gunicorn, against a hello-world under the same settings.

    python -m benchmarks.web                        # SQLite file in a temporary folder
    python -m benchmarks.web --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Two gunicorn servers are started one after the other with the same settings, the production
ones (deploy/gunicorn.conf.py: gthread, 2 threads a worker, keep-alive) with 2 workers
(WEB_CONCURRENCY=2): a minimal Flask hello-world (`benchmarks.web:hello`) and the application
(`wsgi:app`), whose log lines go to a file. The same load generator (asyncio, raw HTTP/1.1
with keep-alive, one task per connection) drives each with 50 concurrent connections: a
warm-up, then a fixed measured time.

Both workers must carry the load, or the comparison is between one process and two. gunicorn's
workers race to accept new connections, and a keep-alive connection stays with the worker
that accepted it: when all 50 connections open at once the first worker to wake takes all of
them. For the hello-world that happened in most runs on a 2-CPU machine (13 of 13 in one
series: the other worker idle, the rate about 2,200 a second instead of about 6,000), while
the application's heavier answers left room for the second worker to accept. So the clients
open their connections STAGGER apart (less for many clients), in the first half of the
warm-up; each worker's CPU in the window is read from /proc, and a run in which one worker
did more than BALANCED of the work is repeated on a newly started server (the application's
with trainees of its own), up to --tries runs: the most even is reported, with every run's
busiest share.

The application's request is one dialogue step of a visit: a logged-in trainee's POST
/training/attempts/<id>/steps with its CSRF token and a fresh step key, which replays the
attempt, applies the step and commits the longer step list (the 302 to the page is the
answer; the page itself is not fetched). Each virtual client is its own trainee, logged in
through /login, and walks the baseline scenario's visit by the book (knock, then eight
actions) in its own attempts, taking the next attempt when a visit is done. A PostgreSQL
database given by --database-url should be a scratch one: its tables are created if missing
and the run adds its own users and attempts (named after the run).

The last line printed is one JSON object: hello_rps, step_rps, ratio = step/hello (target
≥ 0.4), step_p99_ms at 50 connections (target ≤ 150), hello_p99_ms, step_p50_ms, errors
(answers other than the expected 200/302, and dropped connections), the server's CPU time
per request (step_server_cpu_ms, hello_server_cpu_ms: gunicorn's master and workers, from
/proc; unlike the rates, not much moved by other work on the machine), the busiest worker's
share of each reported run and the shares of all runs, the backend, the settings, the CPUs
and the load average at the end (the load generator shares the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
WORKERS = 2
HOST = "127.0.0.1"
PASSWORD = "bench-password-1"  # noqa: S105
VISIT = ("greet", "show_id", "explain_purpose", "explain_legal_basis",
         "promise_confidentiality", "ask_item:roster", "probe:members_away", "read_back")
KNOCK = {"action": "knock", "day": "2020-11-02", "time": "19:00"}
# A server's run counts when its workers shared the load: no worker did more than this share
# of the workers' CPU in the measured window (see `balanced`); else it is run again, newly
# started, up to TRIES times, and the most even run is reported.
BALANCED = 0.65
TRIES = 5
STAGGER = 0.02  # seconds between two clients' first connections (less for many clients)

hello = Flask("hello")


@hello.get("/")
def hello_world() -> str:
    return "Hello, World!"


# --- the load generator ------------------------------------------------------------------

@dataclass
class Tally:
    """Requests finished inside the measured window: latencies (ms) and errors."""

    started: float = 0.0
    ended: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    cpu: float = 0.0  # CPU seconds the server used in the window (its workers and master)
    workers: list[float] = field(default_factory=list)  # each live worker's CPU seconds in it
    log: Path | None = None  # the server's log (the application's runs)
    clients: list[Any] = field(default_factory=list)  # the virtual clients' trainees

    def record(self, began: float, done: float, ok: bool, status: int) -> None:
        if self.started <= began and done <= self.ended:
            self.latencies.append((done - began) * 1000)
            self.errors += not ok
            self.statuses[status] = self.statuses.get(status, 0) + 1


Request = Callable[[], tuple[bytes, set[int]]]  # the bytes to send, the statuses expected


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        chunks = []
        while (size := int((await reader.readline()).strip(), 16)) > 0:
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        body = b"".join(chunks)
    else:
        body = await reader.read()
    return status, headers, body


async def virtual_client(port: int, next_request: Request, tally: Tally, stop: float,
                         delay: float = 0.0) -> None:
    """One connection, kept alive while the server allows, sending requests back to back
    (after `delay` seconds)."""
    await asyncio.sleep(delay)
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.perf_counter() < stop:
        data, expected = next_request()
        began = time.perf_counter()
        try:
            if streams is None:
                streams = await asyncio.open_connection(HOST, port)
            reader, writer = streams
            writer.write(data)
            await writer.drain()
            status, headers, _ = await read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            tally.record(began, time.perf_counter(), False, 0)
            if streams is not None:
                streams[1].close()
            streams = None
            continue
        tally.record(began, time.perf_counter(), status in expected, status)
        if headers.get("connection", "").lower() == "close":
            streams[1].close()
            streams = None
    if streams is not None:
        streams[1].close()


def _cpu_ticks(pid: int) -> list[int] | None:
    """utime, stime, cutime and cstime of a process, in clock ticks (None: it has exited)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # a worker that has just exited
        return None
    return [int(value) for value in text.rsplit(")", 1)[1].split()[11:15]]


def _workers(master: int) -> list[int]:
    return [int(pid) for pid in
            Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def server_cpu(master: int) -> float:
    """CPU seconds used so far by a gunicorn master and its workers, the live ones and those
    already replaced (their time is in the master's cutime/cstime once reaped)."""
    ticks = sum(_cpu_ticks(master) or []) + sum(
        sum((_cpu_ticks(pid) or [0, 0])[:2]) for pid in _workers(master))
    return ticks / os.sysconf("SC_CLK_TCK")


def worker_cpu(master: int) -> dict[int, float]:
    """CPU seconds used so far by each live worker of a gunicorn master."""
    ticks = {pid: _cpu_ticks(pid) for pid in _workers(master)}
    return {pid: sum(values[:2]) / os.sysconf("SC_CLK_TCK")
            for pid, values in ticks.items() if values is not None}


def busiest_share(tally: Tally) -> float:
    """The busiest worker's share of the workers' CPU in the window (1.0: one did it all)."""
    return max(tally.workers) / sum(tally.workers) if sum(tally.workers) else 1.0


def drive(server: Server, requests: list[Request], warmup: float, seconds: float) -> Tally:
    """Run one virtual client per request maker: `warmup` s unmeasured, then `seconds`."""
    now = time.perf_counter()
    tally = Tally(started=now + warmup, ended=now + warmup + seconds)
    # every client connected within the first half of the warm-up
    stagger = min(STAGGER, warmup / 2 / max(1, len(requests)))

    async def cpu_in_window() -> None:
        await asyncio.sleep(warmup)
        before, workers = server_cpu(server.pid), worker_cpu(server.pid)
        await asyncio.sleep(seconds)
        tally.cpu = server_cpu(server.pid) - before
        tally.workers = [used - workers[pid] for pid, used in
                         worker_cpu(server.pid).items() if pid in workers]

    async def everyone() -> None:
        await asyncio.gather(cpu_in_window(), *(
            virtual_client(server.port, make, tally, tally.ended, stagger * n)
            for n, make in enumerate(requests)))

    asyncio.run(everyone())
    return tally


def balanced(run: Callable[[], Tally], tries: int) -> tuple[Tally, list[float]]:
    """The first of up to `tries` runs (each on a newly started server) in which no worker
    did more than BALANCED of the workers' work, else the most even run; and the busiest
    worker's share in each run, in order."""
    best: Tally | None = None
    shares: list[float] = []
    for _ in range(tries):
        tally = run()
        shares.append(round(busiest_share(tally), 2))
        if best is None or busiest_share(tally) < busiest_share(best):
            best = tally
        if busiest_share(tally) <= BALANCED:
            break
    assert best is not None
    return best, shares


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


# --- servers --------------------------------------------------------------------------------

@dataclass
class Server:
    port: int
    pid: int  # the gunicorn master's


@contextmanager
def gunicorn(target: str, env: dict[str, str], log: Path) -> Iterator[Server]:
    """gunicorn serving `target` until the block ends, on a socket bound and listening here
    and handed over (fd://): a port found free and let go could be taken by another process
    before gunicorn bound it."""
    with socket.create_server((HOST, 0)) as listener:
        port, fd = int(listener.getsockname()[1]), listener.fileno()
        settings = {**env, "GUNICORN_BIND": f"fd://{fd}", "WEB_CONCURRENCY": str(WORKERS)}
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), target], cwd=ROOT,
                env=settings, pass_fds=(fd,), stdout=output, stderr=subprocess.STDOUT)
    # gunicorn holds the only copy now: if it stops, waiting connections are refused.
    try:
        deadline = time.monotonic() + 60
        while not answers(port, deadline - time.monotonic()):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(port, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers(port: int, seconds: float) -> bool:
    """Whether a worker answers a request (any status) within `seconds`: the socket takes
    connections from the start, and they wait in its queue until a worker has booted."""
    connection = http.client.HTTPConnection(HOST, port, timeout=max(1.0, seconds))
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


class Browser:
    """A logged-in session made with plain blocking requests (before the load)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, str]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Accept-Language": "en", "Cookie": self.cookie_header()}
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, text


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if found is None:
        raise RuntimeError(f"no CSRF token in the page:\n{page[:1000]}")
    return found.group(1)


@dataclass
class Trainee:
    """A virtual client: its log-in session, CSRF token and attempts to walk through."""

    username: str
    attempts: list[int]
    cookie: str = ""
    csrf: str = ""
    done: int = 0  # steps sent

    def next_step(self, port: int) -> tuple[bytes, set[int]]:
        attempt, position = divmod(self.done, len(VISIT) + 1)
        if attempt >= len(self.attempts):
            raise RuntimeError("a virtual client ran out of attempts: raise --attempts")
        self.done += 1
        fields = KNOCK if position == 0 else {"action": VISIT[position - 1]}
        body = urlencode({"csrf_token": self.csrf, "household": "wang",
                          "step_key": uuid.uuid4().hex, **fields}).encode()
        head = (f"POST /training/attempts/{self.attempts[attempt]}/steps HTTP/1.1\r\n"
                f"Host: {HOST}:{port}\r\nAccept-Language: en\r\nCookie: {self.cookie}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
        return head.encode() + body, {302}


def make_trainees(database_url: str, folder: Path, count: int, attempts_each: int
                  ) -> list[Trainee]:
    """`count` trainees in one cohort with the baseline scenario as practice, each with
    `attempts_each` started attempts, committed in the benchmark's database."""
    from sqlalchemy import insert

    from trainer import create_app
    from trainer.accounts import services as accounts
    from trainer.accounts.models import Role
    from trainer.config import project_root
    from trainer.core.scenario import loader
    from trainer.extensions import DB_KEY
    from trainer.fieldwork import services as fieldwork
    from trainer.fieldwork.models import Attempt, AttemptStatus, Mode
    from trainer.models import Base
    from trainer.scenarios import services as scenarios

    accounts.PASSWORD_METHOD = "scrypt:1024:8:1"  # noqa: S105 (cheap; log-in is not measured)
    run = uuid.uuid4().hex[:6]
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(folder / "setup"),
                      "MEDIA_ROOT": str(folder / "media"), "SECRET_KEY": "benchmark",
                      "BABEL_DEFAULT_LOCALE": "en"})
    with app.app_context(), app.extensions[DB_KEY]() as db:
        Base.metadata.create_all(app.extensions["trainer.engine"])
        trainer, _ = accounts.create_user(db, actor=None, username=f"bench-{run}-trainer",
                                          full_name="Bench trainer", role=Role.TRAINER,
                                          password=PASSWORD)
        users = [accounts.create_user(db, actor=None, username=f"bench-{run}-{n:03d}",
                                      full_name=f"学员{n:03d}", role=Role.TRAINEE,
                                      password=PASSWORD)[0] for n in range(count)]
        cohort = accounts.create_cohort(db, actor=trainer, name=f"Bench {run}", trainer=trainer)
        cohort.trainees = users
        text = (project_root() / "scenarios" / "cooperative-family.yaml").read_text("utf-8")
        scenario = loader.parse(text, file="cooperative-family.yaml")
        version = scenarios.publish(db, scenario, actor=None) or scenarios.get_version(
            db, scenario.id, scenario.version)
        assignment = fieldwork.assign(db, actor=trainer, cohort=cohort, version=version,
                                      mode=Mode.PRACTICE, due_on=None)
        db.flush()
        rows = [{"assignment_id": assignment.id, "trainee_id": user.id,
                 "version_id": version.id, "seed": scenarios.seed_for(version), "steps": [],
                 "forms": {}, "register": {}, "status": AttemptStatus.IN_PROGRESS}
                for user in users for _ in range(attempts_each)]
        ids = list(db.scalars(insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True),
                              rows))
        db.commit()
        app.extensions["trainer.engine"].dispose()
    return [Trainee(user.username, ids[n * attempts_each:(n + 1) * attempts_each])
            for n, user in enumerate(users)]


def log_in(trainee: Trainee, port: int) -> None:
    browser = Browser(port)
    status, page = browser.request("GET", "/login")
    status, page = browser.request("POST", "/login", {
        "username": trainee.username, "password": PASSWORD, "csrf_token": csrf_of(page)})
    if status != 302:
        raise RuntimeError(f"log-in failed ({status}):\n{page[:1000]}")
    status, page = browser.request("GET", f"/training/attempts/{trainee.attempts[0]}")
    if status != 200:
        raise RuntimeError(f"attempt page failed ({status}):\n{page[:1000]}")
    trainee.csrf = csrf_of(page)
    trainee.cookie = browser.cookie_header()


def summary(tally: Tally, seconds: float) -> dict[str, Any]:
    return {"rps": round(len(tally.latencies) / seconds, 1),
            "p50_ms": round(percentile(tally.latencies, 0.5), 1),
            "p99_ms": round(percentile(tally.latencies, 0.99), 1),
            "server_cpu_ms": round(1000 * tally.cpu / max(1, len(tally.latencies)), 2),
            "errors": tally.errors, "statuses": tally.statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time, each")
    parser.add_argument("--warmup", type=float, default=3.0)
    # enough for the busiest client: keep-alive connections are not served evenly (with two
    # threads a worker one client sent more than 1,800 steps, 200 attempts, in 13 s)
    parser.add_argument("--attempts", type=int, default=600, help="attempts per trainee")
    parser.add_argument("--tries", type=int, default=TRIES,
                        help="runs of a server at most, until its workers share the load")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("TRAINER_")}
        env.update({"TRAINER_DATABASE_URL": url, "TRAINER_SECRET_KEY": "benchmark",
                    "TRAINER_INSTANCE_PATH": str(folder / "instance"),
                    "TRAINER_MEDIA_ROOT": str(folder / "media"),
                    "TRAINER_DEFAULT_LOCALE": "en"})

        def hello_run() -> Tally:
            with gunicorn("benchmarks.web:hello", env, folder / "hello.log") as server:
                request = (f"GET / HTTP/1.1\r\nHost: {HOST}:{server.port}\r\n\r\n").encode()
                return drive(server, [lambda: (request, {200})] * args.connections,
                             args.warmup, args.seconds)

        hello_tally, hello_shares = balanced(hello_run, args.tries)
        hello_figures = summary(hello_tally, args.seconds)
        print(f"hello: {hello_figures}; busiest worker's share of the CPU, each run: "
              f"{hello_shares}")

        def step_run() -> Tally:
            """A run with trainees of its own (fresh attempts), its log in its own file."""
            started = time.perf_counter()
            trainees = make_trainees(url, folder, args.connections, args.attempts)
            print(f"made {len(trainees)} trainees with {args.attempts} attempts each in "
                  f"{time.perf_counter() - started:.1f} s")
            log = folder / f"app-{uuid.uuid4().hex[:6]}.log"
            with gunicorn("wsgi:app", env, log) as server:
                for trainee in trainees:
                    log_in(trainee, server.port)
                tally = drive(server, [lambda t=t: t.next_step(server.port) for t in trainees],
                              args.warmup, args.seconds)
            tally.log, tally.clients = log, trainees
            return tally

        step_tally, step_shares = balanced(step_run, args.tries)
        step_figures = summary(step_tally, args.seconds)
        if step_figures["errors"] and step_tally.log is not None:
            print("the application's log ends:\n" + step_tally.log.read_text()[-3000:])
        sent = [trainee.done for trainee in step_tally.clients]
        print(f"step: {step_figures}; steps sent per client: {min(sent)}–{max(sent)}; "
              f"busiest worker's share of the CPU, each run: {step_shares}")
        backend = url.split(":", 1)[0].split("+", 1)[0]
        print(json.dumps({
            "hello_rps": hello_figures["rps"],
            "step_rps": step_figures["rps"],
            "ratio": round(step_figures["rps"] / hello_figures["rps"], 3),
            "step_p99_ms": step_figures["p99_ms"],
            "step_p50_ms": step_figures["p50_ms"],
            "hello_p99_ms": hello_figures["p99_ms"],
            "step_server_cpu_ms": step_figures["server_cpu_ms"],
            "hello_server_cpu_ms": hello_figures["server_cpu_ms"],
            "hello_busiest_worker_share": round(busiest_share(hello_tally), 2),
            "step_busiest_worker_share": round(busiest_share(step_tally), 2),
            "runs": {"hello": hello_shares, "step": step_shares},
            "errors": hello_figures["errors"] + step_figures["errors"],
            "connections": args.connections,
            "seconds": args.seconds,
            "backend": backend,
            "gunicorn": f"-c {CONFIG.relative_to(ROOT)}, {WORKERS} workers",
            "cpus": os.cpu_count(),
            "load_average": round(os.getloadavg()[0], 2),
        }))


if __name__ == "__main__":
    main()
