"""Database plumbing with no Flask in it: the declarative base, engines and sessions.

SQLite is the embedded default and runs in WAL mode with foreign keys enforced and a busy
timeout, so a web process and a job worker can share one file. PostgreSQL runs through
psycopg 3 with the same models and migrations.
"""

from __future__ import annotations

import enum
import sqlite3
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Row ids are PostgreSQL integers: a larger number sent for an id names no row, and must be
# answered as such before it reaches a driver (which would overflow: a 500).
MAX_ROW_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware (the callable default of every *_at column)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes; SQLite returns naive values, which are read back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base for every model; the naming convention keeps migrations stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def enum_values(enum_cls: type[enum.Enum]) -> list[str]:
    """Store an enum by its value (stable text) rather than its Python member name."""
    return [str(member.value) for member in enum_cls]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the pysqlite driver, decide when transactions begin, so that
    # SAVEPOINTs (a row-by-row import, tests rolled back per test) behave as documented.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Begin SQLAlchemy's transaction on the driver (it is in autocommit mode, see above):
    straight on the sqlite3 connection, which costs a tenth of a statement run through
    SQLAlchemy's execution machinery (every request begins at least one)."""
    connection.connection.driver_connection.execute("BEGIN")


def new_sqlite_transaction(db: Session) -> None:
    """Commit the session's SQLite transaction and begin a new one on the same connection,
    straight on the driver: SQLAlchemy's transaction stays open (its commit later commits
    the new one), so the connection is not handed back to the pool and taken again, which
    `db.commit()` would do at about a twentieth of a dialogue step's CPU. What was flushed
    is committed here, as `db.commit()` would; changes not yet flushed are flushed first.
    A session bound to a connection whose transaction someone else owns (the tests bind one
    to theirs, through a SAVEPOINT) gets a real `db.commit()`. A driver error here is
    raised as SQLAlchemy's OperationalError, as any statement's would be (a 503)."""
    bind = db.get_bind()
    if isinstance(bind, Connection):
        db.commit()
        return
    db.flush()
    driver: Any = db.connection().connection.driver_connection
    try:
        driver.execute("COMMIT")
        driver.execute("BEGIN")
    except sqlite3.Error as error:
        raise OperationalError("COMMIT; BEGIN", None, error) from error


def json_dumps(value: Any) -> str:
    """JSON columns are written by orjson: UTF-8 text rather than \\u escapes (smaller, and
    several times faster to read back for a dashboard of thousands of scores)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    kwargs.setdefault("json_serializer", json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_sessionmaker(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (views render after committing)."""
    return sessionmaker(bind=bind, expire_on_commit=False, **kwargs)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a row of an append-only record."""


APPEND_ONLY: set[type[Any]] = set()


def append_only(cls: type[Any]) -> type[Any]:
    """Class decorator: rows of this model are only ever inserted (audit log, review record,
    token record); changing or deleting one raises AppendOnlyError at flush."""
    APPEND_ONLY.add(cls)
    return cls


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_append_only_rows(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if type(obj) in APPEND_ONLY and (
                obj in session.deleted or session.is_modified(obj, include_collections=False)):
            raise AppendOnlyError(f"{type(obj).__tablename__} rows are append-only")
