"""Migrations: upgrade head on an empty database yields exactly the models' schema, and
downgrade to base then upgrade head works. Runs on the backend under test (SQLite, or
PostgreSQL in a fresh database made for this test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import BACKEND, resolve_database_url
from trainer.cli import alembic_config
from trainer.db import make_engine
from trainer.models import Base


@pytest.fixture
def empty_database_url(tmp_path, tmp_path_factory) -> Iterator[str]:
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    server = make_url(resolve_database_url(tmp_path_factory))
    name = f"trainer_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_drift(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_head_matches_models_and_downgrade_round_trips(empty_database_url):
    config = alembic_config(empty_database_url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    assert tables(empty_database_url) == set(Base.metadata.tables)
    assert schema_drift(empty_database_url) == []
    command.downgrade(config, "base")
    assert tables(empty_database_url) == set()
    command.upgrade(config, "head")
    assert schema_drift(empty_database_url) == []


def test_drift_check_can_fail(empty_database_url):
    config = alembic_config(empty_database_url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    engine = make_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    assert any(diff[0] == "remove_table" for diff in schema_drift(empty_database_url))


def test_revisions_form_one_line_with_dated_file_names():
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        name = revision.path.rsplit("/", 1)[-1]
        assert name[:8].isdigit() and name[8] == "_" and revision.revision in name
