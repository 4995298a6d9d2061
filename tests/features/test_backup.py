"""`flask backup` and `flask restore` on a database of their own (committed data, migrated to
head): attempts made, backed up while a write is open, damaged, restored, found intact. Runs
on the backend under test: SQLite's online backup API, or pg_dump/pg_restore."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.conftest import BACKEND, app_config
from tests.features.live_database import (
    attempts_snapshot,
    make_attempts,
    migrate,
    separate_database,
)
from trainer import create_app
from trainer.accounts.models import User
from trainer.backup import BackupError, backup_database, restore_database
from trainer.extensions import DB_KEY
from trainer.fieldwork.models import Attempt, AttemptStatus
from trainer.review.models import Review


@pytest.fixture
def live(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An app on a migrated database of its own, holding three trainees' attempts."""
    with separate_database(tmp_path, tmp_path_factory, "backup") as url:
        migrate(url)
        app = create_app(app_config(tmp_path, url))
        with app.app_context(), app.extensions[DB_KEY]() as db:
            make_attempts(db)
            db.commit()
        yield app
        app.extensions["trainer.engine"].dispose()


def session(app: Flask) -> Session:
    session: Session = app.extensions[DB_KEY]()
    return session


def invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def test_backup_then_restore_finds_every_attempt_intact(live: Flask, tmp_path: Path) -> None:
    with session(live) as db:
        before = attempts_snapshot(db)
        users = db.scalar(select(func.count(User.id)))
        reviews = db.scalar(select(func.count(Review.id)))
    assert len(before) == 3
    assert {a["status"] for a in before.values()} == {AttemptStatus.SUBMITTED,
                                                      AttemptStatus.IN_PROGRESS}
    assert any(a["score"] for a in before.values()) and any(a["forms"] for a in before.values())

    # A write in progress (flushed, not committed) is not in the backup, and does not block it.
    target = tmp_path / "backups" / "trainer.backup"
    with session(live) as writer:
        open_attempt = writer.get_one(Attempt, next(i for i, a in before.items() if a["steps"]))
        open_attempt.steps = [*open_attempt.steps, {"uncommitted": True}]
        writer.flush()
        result = invoke(live, "backup", str(target))
        writer.rollback()
    assert result.exit_code == 0, result.output
    assert f"backed up to {target}" in result.output and "revision" in result.output
    assert target.is_file() and target.stat().st_size > 0
    assert not list(target.parent.glob(".*")), "no temporary file is left beside the backup"
    again = invoke(live, "backup", str(target))
    assert again.exit_code != 0 and "--yes" in again.output  # an existing backup is kept

    # Damage: one trainee's attempt deleted, another's steps and form overwritten, a user gone.
    with session(live) as db:
        ids = sorted(before)
        db.execute(delete(Attempt).where(Attempt.id == ids[0]))
        changed = db.get_one(Attempt, ids[1])
        changed.steps, changed.forms, changed.score = [], {}, None
        db.execute(delete(User).where(User.id == before[ids[2]]["trainee"]))
        db.commit()
        assert attempts_snapshot(db) != before

    refused = invoke(live, "restore", str(target))
    assert refused.exit_code != 0 and "--yes" in refused.output
    with session(live) as db:
        assert len(attempts_snapshot(db)) == 1  # nothing was touched

    restored = invoke(live, "restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "restored" in restored.output
    live.extensions["trainer.engine"].dispose()
    with session(live) as db:
        after = attempts_snapshot(db)
        assert after == before  # steps, forms, register, score, status, times
        assert all({"uncommitted": True} not in a["steps"] for a in after.values())
        assert db.scalar(select(func.count(User.id))) == users
        assert db.scalar(select(func.count(Review.id))) == reviews
    if BACKEND != "postgresql":
        kept = list(Path(make_url(live.config["DATABASE_URL"]).database or "").parent.glob(
            "*.before-restore-*"))
        assert len(kept) == 1 and f"kept at {kept[0]}" in restored.output
        # The backup is one self-contained file (no WAL beside it), readable on its own.
        assert not target.with_name(target.name + "-wal").exists()
        with sqlite3.connect(target) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 3


def test_restore_refuses_a_damaged_backup_or_an_unknown_revision(live: Flask,
                                                                  tmp_path: Path) -> None:
    url = live.config["DATABASE_URL"]
    good = backup_database(url, tmp_path / "good.backup")
    assert good.revision is not None

    damaged = tmp_path / "damaged.backup"
    data = bytearray(good.path.read_bytes())
    data[len(data) // 2:] = b"\x00" * (len(data) - len(data) // 2)
    damaged.write_bytes(bytes(data[: len(data) * 3 // 4]))
    with pytest.raises(BackupError):
        restore_database(url, damaged, overwrite=True)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(BackupError):
        restore_database(url, not_a_backup, overwrite=True)
    with pytest.raises(BackupError, match="No backup"):
        restore_database(url, tmp_path / "missing.backup", overwrite=True)

    with session(live) as db:  # a backup made by a newer version of the application
        db.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
        db.commit()
    newer = backup_database(url, tmp_path / "newer.backup")
    assert newer.revision == "ffffffffffff"
    with session(live) as db:
        db.execute(text("UPDATE alembic_version SET version_num = :rev"),
                   {"rev": good.revision})
        db.commit()
    with pytest.raises(BackupError, match="does not know"):
        restore_database(url, newer.path, overwrite=True)

    with session(live) as db:  # every refusal left the database as it was
        assert len(attempts_snapshot(db)) == 3


def test_restore_into_an_empty_database(live: Flask, tmp_path: Path,
                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    backup = backup_database(live.config["DATABASE_URL"], tmp_path / "trainer.backup")
    with session(live) as db:
        before = attempts_snapshot(db)
    with separate_database(tmp_path, tmp_path_factory, "restored") as url:
        info, kept = restore_database(url, backup.path)  # empty: no --yes needed
        assert info.revision == backup.revision and kept is None
        app = create_app(app_config(tmp_path, url))
        try:
            with session(app) as db:
                assert attempts_snapshot(db) == before
        finally:
            app.extensions["trainer.engine"].dispose()


def test_postgresql_tools_missing_or_sqlite_needs_none(live: Flask, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL a missing pg_dump/pg_restore is a clear error; SQLite needs no tool."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    url = live.config["DATABASE_URL"]
    if BACKEND == "postgresql":
        result = invoke(live, "backup", str(tmp_path / "x.backup"))
        assert result.exit_code != 0
        assert "pg_dump was not found" in result.output and "postgresql-client" in result.output
        (tmp_path / "x.backup").write_bytes(b"PGDMP")
        with pytest.raises(BackupError, match="pg_restore was not found"):
            restore_database(url, tmp_path / "x.backup", overwrite=True)
    else:
        info = backup_database(url, tmp_path / "x.backup")
        assert info.size > 0
        restore_database(url, info.path, overwrite=True)


def test_password_goes_in_the_environment_never_on_the_command_line() -> None:
    from trainer.backup import pg_connection

    args, env = pg_connection(make_url(
        "postgresql+psycopg://trainer:s3cret@db.example:6543/census?sslmode=require"))
    assert "s3cret" not in " ".join(args)
    assert args == ["--host", "db.example", "--port", "6543", "--username", "trainer",
                    "--dbname", "census"]
    assert env["PGPASSWORD"] == "s3cret" and env["PGSSLMODE"] == "require"
