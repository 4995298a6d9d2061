"""A database of its own for tests that need committed data (backups, outages): a SQLite file,
or a PostgreSQL database made on the test server and dropped afterwards. The usual fixtures
roll everything back, which a backup or a second connection would never see."""

from __future__ import annotations

import http.client
import importlib.util
import socket
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.conftest import BACKEND, resolve_database_url
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.cli import alembic_config
from trainer.config import project_root
from trainer.core.scenario import loader
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Attempt, Mode
from trainer.scenarios import services as scenario_services

BASELINE = project_root() / "scenarios" / "cooperative-family.yaml"
BEST = ("greet", "show_id", "explain_purpose", "explain_legal_basis", "promise_confidentiality",
        "ask_item:roster", "probe:members_away", "read_back")


def load_smoke() -> ModuleType:
    """scripts/deploy_smoke.py as a module (scripts/ is no package)."""
    spec = importlib.util.spec_from_file_location(
        "deploy_smoke", project_root() / "scripts" / "deploy_smoke.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def listening_socket() -> socket.socket:
    """A socket bound to a free loopback port and listening, for a server a test starts:
    hand it over (gunicorn: `--bind fd://<fileno>` and `pass_fds=(fileno,)`), then close
    this process's copy. A port number found free and let go could be taken by another
    process before the server bound it."""
    return socket.create_server(("127.0.0.1", 0))


class CookieClient:
    """A browser of sorts for a live server: keeps the cookies it is given, follows no
    redirect, asks in English."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, body: bytes | str | None = None,
             headers: dict[str, str] | None = None,
             timeout: float = 60) -> tuple[int, http.client.HTTPMessage, bytes]:
        """(status, headers, body) of one request on a new connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = {"Accept-Language": "en", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body, sent)
            response = connection.getresponse()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.headers, response.read()
        finally:
            connection.close()


@contextmanager
def separate_database(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                      label: str) -> Iterator[str]:
    """The URL of a new, empty database (SQLite file or PostgreSQL database) for this test."""
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path / f'{label}.sqlite3'}"
        return
    server = make_url(resolve_database_url(tmp_path_factory))
    name = f"trainer_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate(url: str, revision: str = "head") -> None:
    config = alembic_config(url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, revision)


def make_attempts(db: Session) -> dict[str, Any]:
    """A cohort with a practice exercise and three trainees: one attempt submitted and scored
    (a completed form), one in progress with a draft form and steps, one just started."""
    trainer, _ = accounts.create_user(db, actor=None, username="backup-trainer",
                                      full_name="Trainer", role=Role.TRAINER,
                                      password="correct-horse-battery")
    trainees = [accounts.create_user(db, actor=None, username=f"backup-trainee{n}",
                                     full_name=f"Trainee {n}", role=Role.TRAINEE,
                                     password="correct-horse-battery")[0] for n in range(3)]
    cohort = accounts.create_cohort(db, actor=trainer, name="Backup cohort", trainer=trainer)
    cohort.trainees = trainees
    version = scenario_services.publish(db, loader.load(BASELINE), actor=None)
    assert version is not None
    assignment = fieldwork.assign(db, actor=trainer, cohort=cohort, version=version,
                                  mode=Mode.PRACTICE, due_on=None)
    done, drafting, started = (fieldwork.start_attempt(db, t, assignment) for t in trainees)
    for attempt, actions in ((done, BEST), (drafting, BEST[:3])):
        fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
        for action in actions:
            fieldwork.take_step(db, attempt, "wang", action, None)
    from trainer.core.census.r601 import record_of

    truth = record_of(fieldwork.replay_attempt(done).households["wang"].truth.household)
    fieldwork.save_form(db, done, "wang", truth, complete=True, confirmed=True)
    draft = {**truth, "persons": [dict(p) for p in truth["persons"]][:1]}
    fieldwork.save_form(db, drafting, "wang", draft, complete=False, confirmed=False)
    fieldwork.submit(db, done)
    assert done.score is not None and started.steps == []
    return {"assignment": assignment.id, "trainees": [t.id for t in trainees]}


def attempts_snapshot(db: Session) -> dict[int, dict[str, Any]]:
    """Everything an attempt is: who, which version, seed, steps, forms, register, status,
    score and times."""
    return {a.id: {"trainee": a.trainee_id, "assignment": a.assignment_id,
                   "version": a.version_id, "seed": a.seed, "steps": a.steps,
                   "forms": a.forms, "register": a.register, "status": a.status,
                   "score": a.score, "started_at": a.started_at,
                   "submitted_at": a.submitted_at}
            for a in db.scalars(select(Attempt).order_by(Attempt.id))}
