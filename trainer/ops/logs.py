"""Request ids and the application's log: one handler on the `trainer` logger, text or JSON.

Every request gets an id: the caller's `X-Request-ID` when it is well formed (nginx passes its
own `$request_id`), else a fresh uuid4 hex. The id is echoed in the response and added to every
record logged under `trainer.*` while the request runs, and one access line per request is
logged by `trainer.access`: method, path (never the query string), status, duration, user id.
Form bodies and headers are never logged.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits, dot, dash, underscore; at most 128: anything else is replaced, so a caller
# cannot inject line breaks, markup or megabytes into the log.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
LOGGER_NAME = "trainer"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Attributes every LogRecord has: the JSON line adds only what a call passed in `extra`.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# The id also lives in a context variable while the request runs, so that work it hands to
# another thread with contextvars.copy_context() logs under the same id.
CURRENT_REQUEST_ID: ContextVar[str] = ContextVar("trainer_request_id", default="-")


def request_id() -> str:
    """The current request's id (made on first use); outside a request, the id of the
    request that handed this work over, or "-"."""
    if not has_request_context():
        return CURRENT_REQUEST_ID.get()
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        CURRENT_REQUEST_ID.set(g.request_id)
    return str(g.request_id)


def forget_request_id(_exc: BaseException | None = None) -> None:
    """At the end of a request: the thread's next log lines belong to no request."""
    CURRENT_REQUEST_ID.set("-")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record that passes the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, the `extra`
    fields of the call, and the traceback (in the log only, never in a response)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (gunicorn and pytest replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class TrainerHandler(StderrHandler):
    """The handler `configure_logging` installs (told apart from anyone else's)."""


def configure_logging(app: Flask) -> None:
    """Give the `trainer` logger one handler in the configured format and level.

    Applied again by every app made in the process (tests make many): the previous handler
    of ours is replaced, not added to. Records still propagate, so a root handler that a
    host process sets up (pytest's capture, for one) sees them too.
    """
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        if isinstance(handler, TrainerHandler) or handler is default_handler:
            logger.removeHandler(handler)
    handler = TrainerHandler()
    handler.addFilter(RequestIdFilter())
    if str(app.config.get("LOG_FORMAT", "text")).lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logger.addHandler(handler)
    level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
    logger.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
