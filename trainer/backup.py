"""`flask backup PATH` and `flask restore PATH`: one file holding the whole database.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot while
the application keeps running in WAL mode; a restore copies the backup into the live database
through the same API (so open connections and the WAL see one consistent change), after
keeping a copy of what it replaces. PostgreSQL: `pg_dump -Fc` and `pg_restore --clean
--if-exists --single-transaction`, given the URL's parts as options and its password in
PGPASSWORD (never on a command line). A restore first checks the backup (integrity, and a
migration revision this code knows) and refuses to overwrite a database holding data
unless told `--yes`. Media files are not in the database: back up the media root or bucket
alongside.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL, make_url

from trainer.db import SQLITE_BUSY_TIMEOUT_MS


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds: where it is, its size and the migration revision of its schema."""

    path: Path
    size: int
    revision: str | None


# Migration revisions --------------------------------------------------------------------------

def known_revisions() -> tuple[set[str], set[str]]:
    """(every revision of this code's migrations, the heads)."""
    from trainer.cli import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in scripts.walk_revisions()}, set(scripts.get_heads())


def check_revision(revision: str | None) -> str:
    """The backup's revision if this code can run on it (after `flask db upgrade`)."""
    if revision is None:
        raise BackupError("The backup has no migration revision (no alembic_version table): "
                          "it was not made from a database of this application.")
    known, _heads = known_revisions()
    if revision not in known:
        raise BackupError(f"The backup is at migration revision {revision}, which this version "
                          "of the application does not know (it was made by a newer "
                          "version). Restore it with that version.")
    return revision


def is_head(revision: str) -> bool:
    return revision in known_revisions()[1]


# SQLite ----------------------------------------------------------------------------------------

def sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database).resolve()


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    target = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    return sqlite3.connect(target, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                           isolation_level=None)


def sqlite_check(path: Path) -> str | None:
    """Integrity check of a SQLite file; its migration revision (None without one)."""
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    try:
        conn = _connect(path, read_only=True)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                raise BackupError(f"The backup {path} is damaged: {'; '.join(result[:5])}")
            try:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.OperationalError:
                return None
            return str(row[0]) if row else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database: {error}") from error


def private_file(path: Path) -> Path:
    """An empty file at `path` that only its owner may read or write, whatever the umask: a
    backup holds every user's data and password hash. The tools then write into it (SQLite
    makes its journal with the same mode)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent snapshot of `source` written to `target` (a new, private file), as one
    file (journal mode DELETE), fsynced."""
    private_file(target)
    src = _connect(source)
    try:
        dst = sqlite3.connect(str(target), isolation_level=None)
        try:
            src.backup(dst)  # all pages in one step: a single consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sqlite_backup(url: URL, target: Path) -> BackupInfo:
    source = sqlite_file(url)
    if not source.is_file():
        raise BackupError(f"The database {source} does not exist.")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    os.unlink(temporary)
    partial = Path(temporary)
    try:
        _sqlite_copy(source, partial)
        revision = sqlite_check(partial)
        os.replace(partial, target)  # a backup file is whole or absent, never half-written
        _fsync_dir(target.parent)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(target, target.stat().st_size, revision)


def sqlite_holds_data(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    conn = _connect(path)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return bool(tables)
    finally:
        conn.close()


def sqlite_restore(url: URL, source: Path, *, overwrite: bool) -> tuple[BackupInfo, Path | None]:
    """Copy the backup into the live database; returns the backup's info and where the
    replaced database was kept (None when there was none)."""
    revision = check_revision(sqlite_check(source))
    target = sqlite_file(url)
    if source.resolve() == target:
        raise BackupError("The backup is the database itself.")
    kept: Path | None = None
    if sqlite_holds_data(target):
        if not overwrite:
            raise BackupError(f"The database {target} holds data; restoring would replace "
                              "all of it. Run again with --yes to go ahead.")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        _sqlite_copy(target, kept)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = _connect(source)
    try:
        live = _connect(target)
        try:
            # Through the backup API, not by replacing the file: the copy takes the database's
            # locks, goes through its WAL, and every open connection sees old or new, whole.
            src.backup(live)
            result = [row[0] for row in live.execute("PRAGMA integrity_check")]
            if result != ["ok"]:  # pragma: no cover - the source was checked just before
                raise BackupError(f"The restored database failed its check: {result[:5]}")
        finally:
            live.close()
    finally:
        src.close()
    return BackupInfo(source, source.stat().st_size, revision), kept


# PostgreSQL ------------------------------------------------------------------------------------

def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found on PATH. Install the PostgreSQL client tools "
                          "(Debian: apt-get install postgresql-client), of the server's major "
                          "version or newer.")
    return found


def pg_connection(url: URL) -> tuple[list[str], dict[str, str]]:
    """Options naming the server and database, and the environment carrying the password
    (and TLS settings): nothing secret on a command line."""
    if not url.database:
        raise BackupError("The database URL names no database.")
    args: list[str] = []
    host = url.host or url.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if host:
        args += ["--host", str(host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    args += ["--dbname", url.database]
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    for key, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"),
                          ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY")):
        value = url.query.get(key)
        if value:
            env[variable] = str(value if isinstance(value, str) else value[0])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The tools are found on PATH by name and given only the URL's parts and file paths.
    done = subprocess.run(command, env=env, capture_output=True, text=True,  # noqa: S603
                          check=False)
    if done.returncode != 0:
        tool = Path(command[0]).name
        detail = (done.stderr or done.stdout).strip()
        raise BackupError(f"{tool} failed (exit {done.returncode}): {detail}")
    return done


def pg_dump_revision(path: Path) -> str | None:
    """Check that the archive reads through (its table of contents and alembic_version's
    data) and return its migration revision."""
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    tool = pg_tool("pg_restore")
    env = dict(os.environ)
    listing = _run([tool, "--list", str(path)], env).stdout
    if not re.search(r"TABLE DATA \S+ alembic_version ", listing):
        return None
    data = _run([tool, "--data-only", "--table", "alembic_version", "--file", "-", str(path)],
                env).stdout
    match = re.search(r"COPY \S*alembic_version \(version_num\) FROM stdin;\n([^\n\\]+)\n",
                      data)
    return match.group(1).strip() if match else None


def pg_holds_data(url: URL) -> bool:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def pg_revision(url: URL) -> str | None:
    """The migration revision the database is at (None without an alembic_version table)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        if "alembic_version" not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def pg_backup(url: URL, target: Path) -> BackupInfo:
    tool = pg_tool("pg_dump")
    args, env = pg_connection(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = private_file(target.with_name(f".{target.name}.partial"))
    try:
        _run([tool, "--format=custom", "--no-owner", "--no-privileges", "--file",
              str(partial), *args], env)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        revision = pg_dump_revision(partial)
        os.replace(partial, target)
        _fsync_dir(target.parent)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(target, target.stat().st_size, revision)


def pg_restore(url: URL, source: Path, *, overwrite: bool) -> tuple[BackupInfo, Path | None]:
    revision = check_revision(pg_dump_revision(source))
    tool = pg_tool("pg_restore")
    args, env = pg_connection(url)
    if pg_holds_data(url) and not overwrite:
        raise BackupError(f"The database {url.database} holds tables; restoring would replace "
                          "them. Run again with --yes to go ahead.")
    current = pg_revision(url)
    if pg_holds_data(url) and current != revision:
        # pg_restore --clean drops only what the archive holds: tables of later migrations
        # would stay, pointing at the replaced ones, and `flask db upgrade` could not follow.
        raise BackupError(f"The database is at migration revision {current} and the backup at "
                          f"{revision}: restore it into an empty database (dropdb and createdb "
                          "first), then run `flask db upgrade`.")
    # One transaction: the database is the backup afterwards, or unchanged if anything fails.
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", *args, str(source)], env)
    return BackupInfo(source, source.stat().st_size, revision), None


# Entry points ----------------------------------------------------------------------------------

def backup_database(database_url: str, target: Path) -> BackupInfo:
    """Write a backup of the database at `database_url` to `target` (replaced whole)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return sqlite_backup(url, target)
    if backend == "postgresql":
        return pg_backup(url, target)
    raise BackupError(f"Backups of {backend} databases are not supported.")


def restore_database(database_url: str, source: Path, *,
                     overwrite: bool = False) -> tuple[BackupInfo, Path | None]:
    """Replace the database's content with the backup's, after checking the backup."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return sqlite_restore(url, source, overwrite=overwrite)
    if backend == "postgresql":
        return pg_restore(url, source, overwrite=overwrite)
    raise BackupError(f"Restoring {backend} databases is not supported.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path: Path, yes: bool) -> None:
    """Write a backup of the database to PATH (safe while the application runs)."""
    if path.exists() and not yes:
        raise click.ClickException(f"{path} exists; run again with --yes to replace it.")
    try:
        info = backup_database(current_app.config["DATABASE_URL"], path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backed up to {info.path} ({info.size} bytes, "
               f"migration revision {info.revision or 'none'})")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that holds data.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH (checked first). Stop the web and job
    processes while it runs."""
    try:
        info, kept = restore_database(current_app.config["DATABASE_URL"], path, overwrite=yes)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored {info.path} (migration revision {info.revision})")
    if kept is not None:
        click.echo(f"the database it replaced is kept at {kept}")
    if info.revision and not is_head(info.revision):
        click.echo("the backup is from an older version: run `flask db upgrade` next")

