"""The database going away during use, on a database of this test's own (committed data):

* PostgreSQL: the app's connections are terminated from another connection
  (pg_terminate_backend), once in the middle of a request and once between requests;
* SQLite (the same test in the SQLite run): the file is locked by another process's write
  transaction past the busy timeout.

Either way the request in the way gets a localised 503 with Retry-After (JSON under /api/ and
for JSON clients), the next one succeeds with no help (the pool recovers by itself), and every
step acknowledged before is still there; the step that failed is stored once, on its retry.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from tests.conftest import BACKEND, app_config, csrf_token
from tests.features.live_database import make_attempts, separate_database
from trainer import create_app
from trainer import db as trainer_db
from trainer.access import public
from trainer.accounts.models import User
from trainer.errors import RETRY_AFTER_SECONDS
from trainer.extensions import DB_KEY, db_session
from trainer.fieldwork.models import Attempt, AttemptStatus
from trainer.models import Base


class Outage:
    """Cuts the database off from the app for the next request, the backend's way."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.url = make_url(app.config["DATABASE_URL"])
        self.pending = False
        app.before_request(self._maybe_cut)

    def _maybe_cut(self) -> None:
        # Runs after the access hook has loaded the user, so the request already holds a
        # connection when the database goes away under it.
        if self.pending and BACKEND == "postgresql":
            self.pending = False
            db_session().execute(text("SELECT 1"))
            assert self.terminate() >= 1

    def terminate(self) -> int:
        """pg_terminate_backend on every connection to this test's database but our own."""
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                return len(conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"),
                    {"name": self.url.database}).all())
        finally:
            admin.dispose()

    @contextmanager
    def during_next_request(self) -> Iterator[None]:
        if BACKEND == "postgresql":
            self.pending = True
            yield
            self.pending = False
            return
        # SQLite: another process holds the write lock for as long as the request runs.
        locker = sqlite3.connect(str(self.url.database), isolation_level=None)
        try:
            locker.execute("BEGIN EXCLUSIVE")
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()


@pytest.fixture
def live(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setattr(trainer_db, "SQLITE_BUSY_TIMEOUT_MS", 200)  # fail fast when locked
    with separate_database(tmp_path, tmp_path_factory, "outage") as url:
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        app = create_app(app_config(tmp_path, url))
        with app.app_context(), app.extensions[DB_KEY]() as db:
            made = make_attempts(db)
            db.commit()
            trainee = db.get_one(User, made["trainees"][1])
            attempt = db.scalars(select(Attempt).where(Attempt.trainee_id == trainee.id)).one()
            assert attempt.status == AttemptStatus.IN_PROGRESS

        @public
        def api_touch() -> Any:
            db = db_session()
            db.execute(text("UPDATE users SET locale = locale WHERE id = 1"))
            db.commit()
            return {"ok": True}

        app.add_url_rule("/api/v1/test-touch", "api_touch", api_touch)  # GET: no CSRF token
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        with client.session_transaction() as session:
            session["_user_id"] = trainee.get_id()
            session["_fresh"] = True
        yield {"app": app, "client": client, "attempt": attempt.id,
               "outage": Outage(app)}
        app.extensions["trainer.engine"].dispose()


def step(live: dict[str, Any], action: str, **headers: str) -> Any:
    client: FlaskClient = live["client"]
    return client.post(f"/training/attempts/{live['attempt']}/steps",
                       data={"household": "wang", "action": action,
                             "csrf_token": csrf_token(client, live["app"])},
                       headers=headers)


def stored_steps(live: dict[str, Any]) -> list[str]:
    with live["app"].extensions[DB_KEY]() as db:
        return [s["action"] for s in db.get_one(Attempt, live["attempt"]).steps]


def test_database_lost_during_a_request_is_a_retryable_503_and_nothing_is_lost(
        live: dict[str, Any]) -> None:
    outage: Outage = live["outage"]
    before = stored_steps(live)
    assert step(live, "ask_item:roster").status_code == 302  # acknowledged
    acknowledged = [*before, "ask_item:roster"]
    assert stored_steps(live) == acknowledged

    with outage.during_next_request():
        failed = step(live, "probe:members_away")
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = failed.get_data(as_text=True)
    assert "Briefly unavailable" in page and "try again in a few seconds" in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert stored_steps(live) == acknowledged  # the failed step left nothing half-written

    # The pool recovers by itself: the retry succeeds and the step is stored once.
    retried = step(live, "probe:members_away")
    assert retried.status_code == 302
    assert stored_steps(live) == [*acknowledged, "probe:members_away"]
    assert live["client"].get(f"/training/attempts/{live['attempt']}").status_code == 200

    # Localised, and JSON for JSON clients and under /api/.
    live["client"].environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    with outage.during_next_request():
        chinese = step(live, "read_back")
    assert chinese.status_code == 503 and "暂时无法使用" in chinese.get_data(as_text=True)
    with outage.during_next_request():
        as_json = step(live, "read_back", Accept="application/json")
    assert as_json.status_code == 503 and as_json.headers["Retry-After"]
    assert as_json.get_json()["status"] == 503
    with outage.during_next_request():
        api = live["client"].get("/api/v1/test-touch")
    assert api.status_code == 503 and api.is_json and api.headers["Retry-After"]
    assert live["client"].get("/api/v1/test-touch").get_json() == {"ok": True}
    assert stored_steps(live) == [*acknowledged, "probe:members_away"]


def test_connections_dropped_between_requests_are_replaced_unseen(
        live: dict[str, Any]) -> None:
    """Every pooled connection dies while idle (a PostgreSQL restart, an administrator's
    pg_terminate_backend); on SQLite, the lock is taken and released between requests. The
    next request is served normally."""
    outage: Outage = live["outage"]
    assert step(live, "ask_item:roster").status_code == 302
    assert live["client"].get(f"/training/attempts/{live['attempt']}").status_code == 200
    if BACKEND == "postgresql":
        assert outage.terminate() >= 1  # the app's idle pooled connection(s)
    else:
        with outage.during_next_request():
            pass
    assert live["client"].get(f"/training/attempts/{live['attempt']}").status_code == 200
    assert step(live, "probe:members_away").status_code == 302
    assert stored_steps(live)[-2:] == ["ask_item:roster", "probe:members_away"]


def test_other_database_errors_stay_a_plain_500(app: Flask, client: FlaskClient) -> None:
    @public
    def clash() -> Any:
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key"))

    app.add_url_rule("/clash", "clash", clash)
    response = client.get("/clash")
    assert response.status_code == 500 and "Retry-After" not in response.headers
    assert "duplicate key" not in response.get_data(as_text=True)
