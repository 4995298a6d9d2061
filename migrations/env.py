"""Alembic environment: the models' metadata and the application's database URL."""

from __future__ import annotations

import logging.config
import os

from alembic import context

from trainer.db import UTCDateTime, make_engine
from trainer.models import Base

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging"):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    """The URL given by `flask db ...` (or tests), else TRAINER_DATABASE_URL."""
    url = config.attributes.get("database_url") or os.environ.get("TRAINER_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: use `flask db ...` or set TRAINER_DATABASE_URL")
    return str(url)


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write the UTC wrapper type as the plain column type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(database_url())
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
