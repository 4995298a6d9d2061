"""Many trainees doing field work at once against the application under gunicorn, then a check
that everything the server acknowledged is in the database.

    python -m benchmarks.load --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python -m benchmarks.load                       # SQLite file in a temporary folder
    python -m benchmarks.load --sweep 100,250,500   # SQLite: where does it stop being enough?

Each virtual trainee is its own logged-in user with attempts at the baseline scenario (made as
in benchmarks.web) and one at the village map exercise (village-map.yaml, which draws a
small-area map), and behaves like a person at a tablet: it waits a random think time
(exponential, mean --think seconds), then does one of the field work's requests: the next
dialogue step of its visit by the book (a knock, then eight actions; a new attempt when the
visit is done), an autosave (as the pages send them, through htmx) of the household's census
form (H7, the number of rooms, set to a new value each time), of its register row, of the
quick tally or of its building's rows in the listing walk (摸底: head, status and persons
living there, `/listing?building=N`), or a save of its small-area map (the whole GeoJSON, one
building more each time, as the map editor posts it after every edit). Half the requests are
steps. The server is the production configuration (deploy/gunicorn.conf.py with
benchmarks.web's 2 workers and the config's default of 2 threads each); the load generator is
asyncio with one keep-alive connection per trainee.

After the run the database is read directly: every step the server acknowledged (302) must be
in its attempt's step list (by its step key), and each form, tally and map must hold the last
value acknowledged for it, and the register row the last acknowledged by either the register
page or the listing walk (both write it; the register page's save replaces the row, the walk's
merges its building's rows). `lost` counts what is missing (target 0), `lost_by_kind` says
of what.

The last line printed is one JSON object: trainees, seconds, requests, rps, errors (answers
other than the expected ones, and dropped connections; target 0), p50_ms, p95_ms, p99_ms, lost,
lost_by_kind, retried (requests sent again on a new connection after gunicorn closed a
kept-alive one, as a browser does), acknowledged (how many of each kind), the backend, the
CPUs and the load average; with --sweep, one object per size under "runs" and
"sqlite_enough_up_to": the largest size with no error and p95 under --p95-limit ms.
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
KINDS = ("step",) * 5 + ("form", "register", "tally", "listing", "map")  # steps: half
MAP_SCENARIO = "village-map.yaml"
MAP_BUILDINGS = 24  # a map grows to this many buildings, then is started again


@dataclass
class Acknowledged:
    """What the server said it stored, to be found in the database afterwards."""

    steps: dict[int, set[str]] = field(default_factory=dict)  # attempt -> step keys
    forms: dict[int, int] = field(default_factory=dict)  # attempt -> last H7 acknowledged
    # attempt -> the Wangs' register row as last acknowledged (the register page or the walk)
    registers: dict[int, dict[str, Any]] = field(default_factory=dict)
    tallies: dict[int, int] = field(default_factory=dict)  # attempt -> last households figure
    maps: dict[int, tuple[str, int]] = field(default_factory=dict)  # attempt -> title, buildings
    counts: dict[str, int] = field(default_factory=dict)  # kind -> acknowledged requests


@dataclass(frozen=True)
class Walk:
    """Where the listing walk finds the Wangs in an attempt: their building and unit."""

    building: int
    unit: int


def listing_fields(walk: Walk, head: str, present: int) -> dict[str, str]:
    """The Wangs' row of their building, as the listing page's autosave posts it."""
    return {"rows-0-unit_id": "wang", "rows-0-building": str(walk.building),
            "rows-0-unit": str(walk.unit), "rows-0-status": "occupied", "rows-0-head": head,
            "rows-0-present": str(present)}


def register_row(kind: str, walk: Walk | None, head: str, present: int | None
                 ) -> dict[str, Any]:
    """What the Wangs' stored register row holds after an acknowledged save of this kind: the
    register page replaces the row with what it sent (here only the head's name), the walk
    merges its building's rows."""
    if kind == "register":
        return {"head": head, "status": None, "present": None}
    assert walk is not None
    return {"head": head, "status": "occupied", "present": present,
            "building": walk.building, "unit": walk.unit}


def map_drawing(title: str, buildings: int) -> dict[str, Any]:
    """The whole drawing as the map editor posts it: its title block and `buildings`
    rectangles in a row (what is drawn is not judged on saving; grading judges it)."""
    features = [{"type": "Feature", "properties": {"kind": "building", "households": 1},
                 "geometry": {"type": "Polygon", "coordinates": [[
                     [x, 0.0], [x + 8.0, 0.0], [x + 8.0, 6.0], [x, 6.0], [x, 0.0]]]}}
                for x in (12.0 * n for n in range(buildings))]
    return {"type": "FeatureCollection", "properties": {"title": title, "drafter": "学员"},
            "features": features}


def missing_from(row: dict[str, Any] | None, expected: dict[str, Any]) -> bool:
    """Whether a stored row lacks any value acknowledged for it."""
    return any((row or {}).get(key) != value for key, value in expected.items())


def map_missing(drawing: dict[str, Any] | None, expected: tuple[str, int]) -> bool:
    """Whether a stored drawing is not the one last acknowledged (its title and size)."""
    title, buildings = expected
    return (not drawing or (drawing.get("properties") or {}).get("title") != title
            or len(drawing.get("features") or []) != buildings)


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    retried: int = 0  # sent again on a new connection after a kept-alive one was closed
    statuses: dict[str, int] = field(default_factory=dict)


def json_request(trainee: Trainee, port: int, path: str, payload: Any) -> bytes:
    """A JSON POST as the map editor sends it (its CSRF token in X-CSRFToken)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept-Language: en\r\n"
            f"Accept: application/json\r\nX-CSRFToken: {trainee.csrf}\r\n"
            f"Cookie: {trainee.cookie}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


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

    def __init__(self, trainee: Trainee, port: int, seed: int, ack: Acknowledged,
                 ground: Ground) -> None:
        self.trainee, self.port, self.ack = trainee, port, ack
        self.walks, self.map_attempt = ground.walks, ground.maps[trainee.username]
        self.random = random.Random(seed)
        self.counter = 0
        self.buildings = 0  # drawn on the map so far

    def next(self) -> tuple[str, bytes, set[int], Any]:
        """(kind, request, statuses that acknowledge it, what to note when acknowledged)."""
        kind = self.random.choice(KINDS)
        trainee = self.trainee
        attempt_index, position = divmod(trainee.done, len(VISIT) + 1)
        attempt = trainee.attempts[min(attempt_index, len(trainee.attempts) - 1)]
        self.counter += 1
        if kind == "form" and position == 0:
            # the census form opens once the household is met (the knock answered; before
            # that it is a 404), and a person opens it only then: knock first
            kind = "step"
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
            return kind, data, {200}, (attempt, register_row(kind, None, head, None))
        if kind == "listing":
            walk, head, present = self.walks[attempt], f"王户{self.counter}", self.counter % 9 + 1
            data = _request(trainee, self.port,
                            f"/training/attempts/{attempt}/listing?building={walk.building}",
                            listing_fields(walk, head, present), autosave=True)
            return kind, data, {200}, (attempt, register_row(kind, walk, head, present))
        if kind == "map":
            self.buildings = self.buildings % MAP_BUILDINGS + 1
            title = f"普查小区图 {self.counter}"
            data = json_request(trainee, self.port,
                                f"/training/attempts/{self.map_attempt}/map/drawing",
                                map_drawing(title, self.buildings))
            return kind, data, {200}, (self.map_attempt, (title, self.buildings))
        households = self.counter % 50 + 1
        data = _request(trainee, self.port, f"/training/attempts/{attempt}/tally",
                        {"households": str(households)}, autosave=True)
        return kind, data, {200}, (attempt, households)

    def note(self, kind: str, what: Any) -> None:
        attempt, value = what
        self.ack.counts[kind] = self.ack.counts.get(kind, 0) + 1
        if kind == "step":
            self.ack.steps.setdefault(attempt, set()).add(value)
        elif kind == "form":
            self.ack.forms[attempt] = value
        elif kind in ("register", "listing"):
            self.ack.registers[attempt] = value
        elif kind == "map":
            self.ack.maps[attempt] = value
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


def lost(database_url: str, ack: Acknowledged) -> dict[str, int]:
    """What the server acknowledged and the database does not hold, by kind (a register row
    last written by the walk counts as the walk's)."""
    from trainer.db import make_engine, make_sessionmaker
    from trainer.fieldwork.models import Attempt

    engine = make_engine(database_url)
    missing = dict.fromkeys(("attempt", "step", "form", "register", "listing", "tally", "map"),
                            0)
    try:
        with make_sessionmaker(engine)() as db:
            ids = (set(ack.steps) | set(ack.forms) | set(ack.registers) | set(ack.tallies)
                   | set(ack.maps))
            for attempt_id in ids:
                attempt = db.get(Attempt, attempt_id)
                if attempt is None:
                    missing["attempt"] += 1
                    continue
                stored = {step.get("key") for step in attempt.steps}
                missing["step"] += len(ack.steps.get(attempt_id, set()) - stored)
                if attempt_id in ack.forms:
                    record = (attempt.forms.get("wang") or {}).get("record") or {}
                    missing["form"] += record.get("H7") != ack.forms[attempt_id]
                if attempt_id in ack.registers:
                    expected = ack.registers[attempt_id]
                    missing["listing" if "building" in expected else "register"] += (
                        missing_from((attempt.register or {}).get("wang"), expected))
                if attempt_id in ack.tallies:
                    missing["tally"] += ((attempt.tally or {}).get("households")
                                         != ack.tallies[attempt_id])
                if attempt_id in ack.maps:
                    missing["map"] += map_missing(attempt.map_drawing, ack.maps[attempt_id])
    finally:
        engine.dispose()
    return missing


@dataclass
class Ground:
    """What the virtual trainees need besides their log-in: where each baseline attempt's
    listing walk finds the Wangs, and each trainee's attempt at the map exercise."""

    walks: dict[int, Walk]
    maps: dict[str, int]  # user name -> attempt id


def prepare_ground(database_url: str, folder: Path, trainees: list[Trainee]) -> Ground:
    """The map exercise assigned to the trainees' cohort with an attempt each, and the walk's
    building of the Wangs in every baseline attempt, committed in the benchmark's database."""
    from sqlalchemy import insert, select

    from trainer import create_app
    from trainer.accounts.models import User
    from trainer.config import project_root
    from trainer.core.scenario import loader
    from trainer.extensions import DB_KEY
    from trainer.fieldwork import services as fieldwork
    from trainer.fieldwork.listing import _walk
    from trainer.fieldwork.models import Attempt, AttemptStatus, Mode
    from trainer.scenarios import services as scenarios

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(folder / "setup"),
                      "MEDIA_ROOT": str(folder / "media"), "SECRET_KEY": "benchmark",
                      "BABEL_DEFAULT_LOCALE": "en"})
    with app.app_context(), app.extensions[DB_KEY]() as db:
        walks: dict[int, Walk] = {}
        by_seed: dict[tuple[int, int], Walk] = {}
        for trainee in trainees:
            for attempt_id in trainee.attempts:
                attempt = db.get(Attempt, attempt_id)
                assert attempt is not None
                key = (attempt.version_id, attempt.seed)
                if key not in by_seed:  # a walk depends on the version and the seed only
                    visit = fieldwork.replay_attempt(attempt)
                    walk = _walk(attempt, visit)
                    building = next(b for b in walk.buildings if "wang" in b.units)
                    by_seed[key] = Walk(building.number, visit.households["wang"].truth.unit)
                walks[attempt_id] = by_seed[key]
        first = db.get(Attempt, trainees[0].attempts[0])
        assert first is not None
        cohort, trainer = first.assignment.cohort, first.assignment.created_by
        path = project_root() / "scenarios" / MAP_SCENARIO
        scenario = loader.parse(path.read_text("utf-8"), file=MAP_SCENARIO)
        version = scenarios.publish(db, scenario, actor=None) or scenarios.get_version(
            db, scenario.id, scenario.version)
        assignment = fieldwork.assign(db, actor=trainer, cohort=cohort, version=version,
                                      mode=Mode.PRACTICE, due_on=None)
        db.flush()
        names = [t.username for t in trainees]
        users = dict(db.execute(select(User.username, User.id).where(
            User.username.in_(names))).all())  # (name, id) rows
        rows = [{"assignment_id": assignment.id, "trainee_id": users[t.username],
                 "version_id": version.id, "seed": scenarios.seed_for(version), "steps": [],
                 "forms": {}, "register": {}, "status": AttemptStatus.IN_PROGRESS}
                for t in trainees]
        ids = list(db.scalars(insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True),
                              rows))
        db.commit()
        app.extensions["trainer.engine"].dispose()
    return Ground(walks, {t.username: ids[n] for n, t in enumerate(trainees)})


def one_run(url: str, folder: Path, env: dict[str, str], trainees_count: int, seconds: float,
            think: float, attempts: int) -> dict[str, Any]:
    made = make_trainees(url, folder, trainees_count, attempts)
    ground = prepare_ground(url, folder, made)
    ack = Acknowledged()
    figures = Figures()
    with gunicorn("wsgi:app", env, folder / f"app-{trainees_count}.log") as server:
        for trainee in made:
            log_in(trainee, server.port)
        drive(server, made, ground, ack, figures, seconds, think)
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
            "retried": figures.retried, "lost": sum(missing.values()),
            "lost_by_kind": missing, "acknowledged": ack.counts, "statuses": figures.statuses}


def drive(server: Server, trainees: list[Trainee], ground: Ground, ack: Acknowledged,
          figures: Figures, seconds: float, think: float) -> None:
    stop = time.perf_counter() + seconds

    async def everyone() -> None:
        await asyncio.gather(*(VirtualTrainee(t, server.port, n, ack, ground).run(
            stop, think, figures) for n, t in enumerate(trainees)))

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
