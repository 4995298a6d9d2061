"""Shared fixtures: the app, a client, a DB session rolled back per test, login_as(role).

The database backend is chosen by TRAINER_TEST_BACKEND (sqlite by default; postgresql uses
TRAINER_TEST_DATABASE_URL). Every test runs inside one outer transaction that is rolled
back at the end; the app's own sessions join it through savepoints, so a view's commit is
visible to the test and nothing survives the test.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from trainer import create_app
from trainer.accounts import services
from trainer.accounts.models import Role, User
from trainer.db import make_engine, make_sessionmaker
from trainer.extensions import use_sessionmaker
from trainer.models import Base
from trainer.tasks import huey

# No time limit on a hypothesis example: speed lives in the benchmarks, never in a timed test,
# and a first example under a loaded CI machine took 648 ms against the default 200 ms
# (tests/core/test_grading_outcome_labels.py). A test's own @settings still sets the rest.
settings.register_profile("trainer", deadline=None)
settings.load_profile("trainer")

# Jobs run as they are enqueued, inside the test's transaction (the queue backends themselves
# are tested in tests/features/test_video_jobs.py).
huey.immediate = True

# Real scrypt costs ~50 ms a hash; tests use the same algorithm with a small work factor.
services.PASSWORD_METHOD = "scrypt:1024:8:1"

BACKEND = os.environ.get("TRAINER_TEST_BACKEND", "sqlite")
NO_SKIP = os.environ.get("TRAINER_NO_SKIP") == "1"
PASSWORD = "correct-horse-battery"
SECRET = "test-secret-key"
# `make test` runs the suite in parallel processes (pytest-xdist, `-n`): "gw0", "gw1", ...
# Each has its own SQLite files and live server already (temporary folders); on the shared
# servers it gets a PostgreSQL database and a Redis database of its own, below.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(WORKER.removeprefix("gw")) if WORKER.startswith("gw") else 0


def _worker_redis_database() -> None:
    """TRAINER_TEST_REDIS_URL's database number less the worker's index (15, 14, ...): the
    tests that use Redis flush their database. Set before the test modules read it."""
    url = os.environ.get("TRAINER_TEST_REDIS_URL")
    if not (WORKER and url):
        return
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) - WORKER_INDEX
    if number < 0:
        raise RuntimeError(f"no Redis database left for worker {WORKER} of {url}")
    os.environ["TRAINER_TEST_REDIS_URL"] = urlunsplit(parts._replace(path=f"/{number}"))


_worker_redis_database()


def pytest_report_header() -> list[str]:
    return [f"database backend: {BACKEND}", f"chromium: {chromium_path() or 'not found'}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line that .ci/run greps for, so CI knows the browser tests really ran (here, not in
    tests/browser/conftest.py: under pytest-xdist the process that reports loads only this
    conftest; the tests run in the workers)."""
    passed = [report for report in terminalreporter.stats.get("passed", [])
              if getattr(report, "nodeid", "").startswith("tests/browser/")]
    if passed or terminalreporter.config.getoption("markexpr", "") != "not browser":
        terminalreporter.write_line(f"browser tests passed: {len(passed)}")


def chromium_path() -> str | None:
    """Debian's Chromium (or TRAINER_CHROMIUM), used by the browser tests."""
    candidate = os.environ.get("TRAINER_CHROMIUM") or shutil.which("chromium")
    return candidate if candidate and Path(candidate).exists() else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """In CI (TRAINER_NO_SKIP=1) a skipped test is a failed test: nothing is quietly skipped."""
    outcome = yield
    report = outcome.get_result()
    if NO_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"


def resolve_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if BACKEND == "postgresql":
        url = os.environ.get("TRAINER_TEST_DATABASE_URL")
        if not url:
            pytest.exit("TRAINER_TEST_BACKEND=postgresql needs TRAINER_TEST_DATABASE_URL", 2)
        return worker_database(url) if WORKER else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@functools.cache
def worker_database(url: str) -> str:
    """This worker's PostgreSQL database beside the given one (`test_gw0`, ...), made when
    missing; the session's tables are created and dropped in it as in the given one."""
    server = make_url(url)
    name = f"{server.database}_{WORKER}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                            {"name": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return resolve_database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Any]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def db(connection: Any) -> Iterator[Session]:
    """A session for the test itself; joins the outer transaction through savepoints."""
    session = make_sessionmaker(connection, join_transaction_mode="create_savepoint")()
    yield session
    session.close()


def app_config(tmp_path: Path, database_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "BABEL_DEFAULT_LOCALE": "en",
        **extra,
    }


@pytest.fixture
def app(connection: Any, database_url: str, tmp_path: Path) -> Flask:
    app = create_app(app_config(tmp_path, database_url))
    use_sessionmaker(
        app, make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    )
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make_user(db: Session) -> Callable[..., User]:
    """Create a user with a known password (PASSWORD unless given)."""
    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.TRAINEE, username: str | None = None,
             password: str = PASSWORD, **fields: Any) -> User:
        role = Role(role)
        name = username or f"{role.value}{next(counter)}"
        user, _ = services.create_user(db, actor=None, username=name,
                                       full_name=fields.pop("full_name", f"Test {name}"),
                                       role=role, password=password)
        for key, value in fields.items():
            setattr(user, key, value)
        db.flush()
        return user

    return make


@pytest.fixture
def exam_cohort(db: Session, make_user: Callable[..., User],
                app: Flask) -> Callable[..., dict[str, Any]]:
    """Make a cohort of its own (trainer, examiner, one trainee) with an exam on a library
    scenario, and the trainee's attempt at it started: a dict of trainer, examiner,
    trainee, cohort, version and attempt."""
    from trainer.fieldwork import services as fieldwork
    from trainer.fieldwork.models import Mode
    from trainer.scenarios import services as scenarios

    def make(name: str, scenario_id: str = "cooperative-family") -> dict[str, Any]:
        trainer, examiner = make_user(Role.TRAINER), make_user(Role.EXAMINER)
        trainee = make_user(Role.TRAINEE)
        cohort = services.create_cohort(db, actor=trainer, name=name, trainer=trainer,
                                        examiners=[examiner])
        cohort.trainees = [trainee]
        versions = scenarios.sync_library(db, Path(app.config["SCENARIO_DIR"]))
        version = next(v for v in versions if v.scenario_id == scenario_id)
        exam = fieldwork.assign(db, actor=trainer, cohort=cohort, version=version,
                                mode=Mode.EXAM, due_on=None)
        return {"trainer": trainer, "examiner": examiner, "trainee": trainee,
                "cohort": cohort, "version": version,
                "attempt": fieldwork.start_attempt(db, trainee, exam)}

    return make


def csrf_token(client: FlaskClient, app: Flask) -> str:
    """A valid CSRF token for the client's session, made as Flask-WTF makes one."""
    raw = "test-raw-csrf-token"
    with client.session_transaction() as session:
        session["csrf_token"] = raw
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(raw)


@pytest.fixture
def csrf(client: FlaskClient, app: Flask) -> Callable[[], str]:
    return lambda: csrf_token(client, app)


@pytest.fixture
def login_as(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """Log the client in as a new user with `role` (or as the given user)."""

    def login(role: Role | str | None = None, user: User | None = None) -> User:
        user = user or make_user(role or Role.TRAINEE)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return login
