"""Readiness checks and the live figures behind the metrics, with no Flask in them: the
session, the queue and the storage settings are passed in."""

from __future__ import annotations

import contextvars
import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from huey import Huey
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from trainer.fieldwork.models import Attempt, AttemptStatus
from trainer.video.storage import S3Storage, storage_from_config

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0  # seconds a queue or storage check may take before it counts as failed
# Checks that could hang (a black-holed Redis or S3 endpoint) run here, so that a probe
# answers in time even then; a hung check holds one of these threads, not the request.
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")

Details = dict[str, Any]


def check_database(db: Session) -> Details:
    """`SELECT 1` through the application's own engine and pool."""
    db.execute(text("SELECT 1")).scalar_one()
    return {}


def queue_depth(huey: Huey) -> int:
    """Jobs waiting in the queue (not those scheduled for later)."""
    return int(huey.pending_count())


def check_queue(huey: Huey) -> Details:
    """The queue's storage answers (SQLite file or Redis): its depth is read."""
    return {"depth": queue_depth(huey)}


def check_storage(config: Mapping[str, Any]) -> Details:
    """The media root takes a file (uploads arrive there even with a bucket), and the bucket,
    when one is configured, answers."""
    root = Path(config["MEDIA_ROOT"])
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".readyz-") as probe:
        probe.write(b"ok")
        probe.flush()
    storage = storage_from_config(config)
    if isinstance(storage, S3Storage):
        storage.client.head_bucket(Bucket=storage.bucket)
        return {"kind": "s3"}
    return {"kind": "local"}


def attempts_in_progress(db: Session) -> int:
    """How many field-work attempts are started and not submitted."""
    query = select(func.count()).select_from(Attempt).where(
        Attempt.status == AttemptStatus.IN_PROGRESS)
    return int(db.execute(query).scalar_one())


def _run(name: str, check: Callable[[], Details]) -> Details:
    """Run one check: its details with `ok` and `ms`; of a failure only the error's class
    name (a message could name a host or a path), the full error going to the log."""
    started = time.perf_counter()
    try:
        result: Details = {"ok": True, **check()}
    except Exception as exc:
        log.warning("readiness check %s failed", name, exc_info=True)
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def readiness(db: Session, huey: Huey, config: Mapping[str, Any]) -> dict[str, Details]:
    """Every check by name. The queue and storage checks run at the same time in worker
    threads and count as failed after CHECK_TIMEOUT; the database check runs meanwhile in
    the caller's thread (its session belongs there; the driver's timeouts bound it)."""
    deadline = time.monotonic() + CHECK_TIMEOUT
    # Each thread runs in a copy of the caller's context: its log lines keep the request id.
    pending = {
        "queue": _checks.submit(contextvars.copy_context().run, _run, "queue",
                                lambda: check_queue(huey)),
        "storage": _checks.submit(contextvars.copy_context().run, _run, "storage",
                                  lambda: check_storage(config)),
    }
    results = {"database": _run("database", lambda: check_database(db))}
    for name, future in pending.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            log.warning("readiness check %s timed out after %.1f s", name, CHECK_TIMEOUT)
            results[name] = {"ok": False, "error": "timeout", "ms": CHECK_TIMEOUT * 1000}
    return results
