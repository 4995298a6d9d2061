"""Many trainees doing field work at once against the application under gunicorn, then a check
that everything the server acknowledged is in the database.

    python -m benchmarks.load --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python -m benchmarks.load                       # SQLite file in a temporary folder
    python -m benchmarks.load --sweep 100,250,500   # SQLite: where does it stop being enough?

Each virtual trainee is its own logged-in user with attempts at the baseline scenario (made as
in benchmarks.web) and behaves like a person at a tablet: it waits a random think time
(exponential, mean --think seconds), then does one of the field work's requests: the next
dialogue step of its visit by the book (a knock, then eight actions; a new attempt when the
visit is done), or an autosave (as the pages send them, through htmx) of the household's
census form (H7, the number of rooms, set to a new value each time), of its register row, or
of the quick tally. The server is the
production configuration (deploy/gunicorn.conf.py, 2 workers, 4 threads each); the load
generator is asyncio with one keep-alive connection per trainee.

After the run the database is read directly: every step the server acknowledged (302) must be
in its attempt's step list (by its step key), and each form, register row and tally must hold
the last value acknowledged for it. `lost` counts what is missing (target 0).

The last line printed is one JSON object: trainees, seconds, requests, rps, errors (answers
other than the expected ones, and dropped connections; target 0), p50_ms, p95_ms, p99_ms, lost,
retried (requests sent again on a new connection after gunicorn closed a kept-alive one, as
a browser does), the backend, the CPUs and the load average; with --sweep, one object per
size under "runs" and "sqlite_enough_up_to": the largest size with no error and p95 under
--p95-limit ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.web import (
    HOST,
    KNOCK,
    VISIT,
    Server,
    Trainee,
    gunicorn,
    log_in,
    make_trainees,
    percentile,
    read_answer,
)

KEEPALIVE = 3.0  # seconds: well under deploy/gunicorn.conf.py's keepalive (5)
KINDS = ("step", "step", "step", "form", "register", "tally")  # steps are half the requests


@dataclass
class Acknowledged:
    """What the server said it stored, to be found in the database afterwards."""

    steps: dict[int, set[str]] = field(default_factory=dict)  # attempt -> step keys
    forms: dict[int, int] = field(default_factory=dict)  # attempt -> last H7 acknowledged
    registers: dict[int, str] = field(default_factory=dict)  # attempt -> last head's name
    tallies: dict[int, int] = field(default_factory=dict)  # attempt -> last households figure


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    retried: int = 0  # sent again on a new connection after a kept-alive one was closed
    statuses: dict[str, int] = field(default_factory=dict)


def _request(trainee: Trainee, port: int, path: str, fields: dict[str, str], *,
             autosave: bool = False) -> bytes:
    """A POST as the page sends it (the sheets autosave through htmx: HX-Request)."""
    body = urlencode({"csrf_token": trainee.csrf, **fields}).encode()
    extra = "HX-Request: true\r\n" if autosave else ""
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept-Language: en\r\n{extra}"
            f"Cookie: {trainee.cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


class VirtualTrainee:
    """One person's field work: think, act, note what the server acknowledged."""

    def __init__(self, trainee: Trainee, port: int, seed: int, ack: Acknowledged) -> None:
        self.trainee, self.port, self.ack = trainee, port, ack
        self.random = random.Random(seed)
        self.counter = 0

    def next(self) -> tuple[str, bytes, set[int], Any]:
        """(kind, request, statuses that acknowledge it, what to note when acknowledged)."""
        kind = self.random.choice(KINDS)
        trainee = self.trainee
        attempt_index, position = divmod(trainee.done, len(VISIT) + 1)
        attempt = trainee.attempts[min(attempt_index, len(trainee.attempts) - 1)]
        self.counter += 1
        if kind == "step":
            if attempt_index >= len(trainee.attempts):
                raise RuntimeError("a virtual trainee ran out of attempts: raise --attempts")
            trainee.done += 1
            key = uuid.uuid4().hex
            fields = KNOCK if position == 0 else {"action": VISIT[position - 1]}
            data = _request(trainee, self.port, f"/training/attempts/{attempt}/steps",
                            {"household": "wang", "step_key": key, **fields})
            return kind, data, {302}, (attempt, key)
        if kind == "form":
            rooms = self.counter % 90 + 1
            data = _request(trainee, self.port, f"/training/attempts/{attempt}/forms/wang",
                            {"H7": str(rooms)}, autosave=True)
            return kind, data, {200}, (attempt, rooms)
        if kind == "register":
            head = f"王{self.counter}"
            data = _request(trainee, self.port, f"/training/attempts/{attempt}/register",
                            {"rows-0-unit_id": "wang", "rows-0-head": head}, autosave=True)
            return kind, data, {200}, (attempt, head)
        households = self.counter % 50 + 1
        data = _request(trainee, self.port, f"/training/attempts/{attempt}/tally",
                        {"households": str(households)}, autosave=True)
        return kind, data, {200}, (attempt, households)

    def note(self, kind: str, what: Any) -> None:
        attempt, value = what
        if kind == "step":
            self.ack.steps.setdefault(attempt, set()).add(value)
        elif kind == "form":
            self.ack.forms[attempt] = value
        elif kind == "register":
            self.ack.registers[attempt] = value
        else:
            self.ack.tallies[attempt] = value

    @staticmethod
    async def send(streams: tuple[asyncio.StreamReader, asyncio.StreamWriter], data: bytes
                   ) -> tuple[int, dict[str, str]]:
        reader, writer = streams
        writer.write(data)
        await writer.drain()
        status, headers, _ = await read_answer(reader)
        return status, headers

    async def run(self, stop: float, think: float, figures: Figures) -> None:
        await asyncio.sleep(self.random.uniform(0, think))  # not everyone starts at once
        streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while time.perf_counter() < stop:
            kind, data, expected, what = self.next()
            began = time.perf_counter()
            try:
                try:
                    reused = streams is not None
                    if streams is None:
                        streams = await asyncio.open_connection(HOST, self.port)
                    status, headers = await self.send(streams, data)
                except (ConnectionError, asyncio.IncompleteReadError) as error:
                    # A kept-alive connection the server had closed meanwhile, before any byte
                    # of an answer: a browser sends the request again on a new one (steps
                    # carry their key, saves their whole content, so a repeat is harmless).
                    # Counted apart; anything else (a cut answer, a new connection refused)
                    # is an error.
                    partial = isinstance(error, asyncio.IncompleteReadError) and error.partial
                    if not reused or partial:
                        raise
                    figures.retried += 1
                    if streams is not None:
                        streams[1].close()
                    streams = await asyncio.open_connection(HOST, self.port)
                    status, headers = await self.send(streams, data)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                figures.errors += 1
                figures.statuses["dropped"] = figures.statuses.get("dropped", 0) + 1
                if streams is not None:
                    streams[1].close()
                streams = None
            else:
                figures.latencies.append((time.perf_counter() - began) * 1000)
                name = f"{kind} {status}"
                figures.statuses[name] = figures.statuses.get(name, 0) + 1
                if status in expected:
                    self.note(kind, what)
                else:
                    figures.errors += 1
                if headers.get("connection", "").lower() == "close":
                    streams[1].close()
                    streams = None
            pause = self.random.expovariate(1 / think)
            if streams is not None and pause >= KEEPALIVE:
                # gunicorn closes a connection idle for `keepalive` seconds; a browser then
                # opens a new one, which is what this does (not an error of the server)
                streams[1].close()
                streams = None
            await asyncio.sleep(pause)
        if streams is not None:
            streams[1].close()


def lost(database_url: str, ack: Acknowledged) -> int:
    """What the server acknowledged and the database does not hold."""
    from trainer.db import make_engine, make_sessionmaker
    from trainer.fieldwork.models import Attempt

    engine = make_engine(database_url)
    missing = 0
    try:
        with make_sessionmaker(engine)() as db:
            ids = set(ack.steps) | set(ack.forms) | set(ack.registers) | set(ack.tallies)
            for attempt_id in ids:
                attempt = db.get(Attempt, attempt_id)
                if attempt is None:
                    missing += 1
                    continue
                stored = {step.get("key") for step in attempt.steps}
                missing += len(ack.steps.get(attempt_id, set()) - stored)
                if attempt_id in ack.forms:
                    record = (attempt.forms.get("wang") or {}).get("record") or {}
                    missing += record.get("H7") != ack.forms[attempt_id]
                if attempt_id in ack.registers:
                    row = attempt.register.get("wang") or {}
                    missing += row.get("head") != ack.registers[attempt_id]
                if attempt_id in ack.tallies:
                    missing += (attempt.tally or {}).get("households") != ack.tallies[attempt_id]
    finally:
        engine.dispose()
    return missing


def one_run(url: str, folder: Path, env: dict[str, str], trainees_count: int, seconds: float,
            think: float, attempts: int) -> dict[str, Any]:
    made = make_trainees(url, folder, trainees_count, attempts)
    ack = Acknowledged()
    figures = Figures()
    with gunicorn("wsgi:app", env, folder / f"app-{trainees_count}.log") as server:
        for trainee in made:
            log_in(trainee, server.port)
        drive(server, made, ack, figures, seconds, think)
    missing = lost(url, ack)
    if figures.errors:
        log = (folder / f"app-{trainees_count}.log").read_text()
        print(f"the application's log ends:\n{log[-2000:]}")
    return {"trainees": trainees_count, "seconds": seconds,
            "requests": len(figures.latencies) + figures.statuses.get("dropped", 0),
            "rps": round(len(figures.latencies) / seconds, 1), "errors": figures.errors,
            "p50_ms": round(percentile(figures.latencies, 0.5), 1),
            "p95_ms": round(percentile(figures.latencies, 0.95), 1),
            "p99_ms": round(percentile(figures.latencies, 0.99), 1),
            "retried": figures.retried, "lost": missing, "statuses": figures.statuses}


def drive(server: Server, trainees: list[Trainee], ack: Acknowledged, figures: Figures,
          seconds: float, think: float) -> None:
    stop = time.perf_counter() + seconds

    async def everyone() -> None:
        await asyncio.gather(*(VirtualTrainee(t, server.port, n, ack).run(stop, think, figures)
                               for n, t in enumerate(trainees)))

    asyncio.run(everyone())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--trainees", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--think", type=float, default=5.0, help="mean think time, seconds")
    parser.add_argument("--attempts", type=int, default=6, help="attempts per trainee")
    parser.add_argument("--sweep", help="comma-separated sizes, each on a fresh SQLite file")
    parser.add_argument("--p95-limit", type=float, default=1000.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("TRAINER_")}
        env.update({"TRAINER_SECRET_KEY": "benchmark", "TRAINER_DEFAULT_LOCALE": "en",
                    "TRAINER_INSTANCE_PATH": str(folder / "instance"),
                    "TRAINER_MEDIA_ROOT": str(folder / "media")})
        if args.sweep:
            runs = []
            for size in (int(value) for value in args.sweep.split(",")):
                url = f"sqlite:///{folder / f'load-{size}.sqlite3'}"
                result = one_run(url, folder, {**env, "TRAINER_DATABASE_URL": url}, size,
                                 args.seconds, args.think, args.attempts)
                print(json.dumps(result))
                runs.append(result)
            enough = [r["trainees"] for r in runs
                      if not r["errors"] and not r["lost"] and r["p95_ms"] <= args.p95_limit]
            print(json.dumps({"backend": "sqlite", "runs": [
                {k: r[k] for k in ("trainees", "rps", "errors", "p95_ms", "lost")} for r in runs],
                "sqlite_enough_up_to": max(enough, default=0), "p95_limit_ms": args.p95_limit,
                "cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2)}))
            return
        url = args.database_url or f"sqlite:///{folder / 'load.sqlite3'}"
        result = one_run(url, folder, {**env, "TRAINER_DATABASE_URL": url}, args.trainees,
                         args.seconds, args.think, args.attempts)
        print(json.dumps({**result, "backend": url.split(":", 1)[0].split("+", 1)[0],
                          "think_s": args.think, "cpus": os.cpu_count(),
                          "load_average": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
