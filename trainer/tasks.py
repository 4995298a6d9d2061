"""The job queue (huey): on SQLite in the instance folder by default, so one machine needs no
extra server; on Redis when TRAINER_REDIS_URL is set, so workers can run on other machines.

Run a worker with `huey_consumer trainer.tasks.huey` (`make run` starts one beside the web
server). Tests switch the queue to immediate mode, which runs each task as it is enqueued.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey, crontab
from redis import ConnectionPool
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from trainer.config import instance_path, load_settings

log = logging.getLogger(__name__)
PROGRESS_EVERY = 1.0  # seconds between progress writes
HEARTBEAT_EVERY = 20.0  # seconds between heartbeats while a long step runs


# A Redis that stops answering (a machine gone, packets dropped) must not hold a web request
# for ever: queueing a job gives up after these seconds (the request goes on, `enqueue` says
# False). Above the consumer's blocking read of the queue, which returns every second.
REDIS_CONNECT_TIMEOUT = 1.0
REDIS_TIMEOUT = 5.0


def make_huey(settings: dict[str, Any], instance: Path) -> Huey:
    """A huey on Redis when the settings name one, else on SQLite in the instance folder."""
    if settings.get("REDIS_URL"):
        pool = ConnectionPool.from_url(settings["REDIS_URL"],
                                       socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
                                       socket_timeout=REDIS_TIMEOUT)
        return RedisHuey("trainer", connection_pool=pool)
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("trainer", filename=str(instance / "jobs.sqlite3"))


huey = make_huey(load_settings(instance_path()), instance_path())
QUEUE_ERRORS: tuple[type[BaseException], ...] = (RedisError, sqlite3.Error, OSError)


def enqueue(task: Any, *args: Any) -> bool:
    """Queue a job after the request's commit; False (logged) when the queue cannot be reached
    (Redis down, the SQLite queue locked). A clip whose job was not queued stays queued in the
    database, and `resume_interrupted` queues it again once the queue is back."""
    try:
        task(*args)
    except QUEUE_ERRORS:
        log.exception("could not queue %s%r", getattr(task, "name", task), args)
        return False
    return True
_worker_app: Flask | None = None


def job_app() -> Flask:
    """The app a job runs in: the current one (immediate mode, CLI), else one per worker."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    if _worker_app is None:
        from trainer import create_app

        _worker_app = create_app()
    return _worker_app


@contextmanager
def job_session(app: Flask) -> Iterator[Session]:
    """A session of its own that commits when the block ends without an error."""
    from trainer.extensions import DB_KEY

    with app.extensions[DB_KEY]() as db:
        yield db
        db.commit()


@contextmanager
def heartbeat(app: Flask, clip_id: int, run: int) -> Iterator[None]:
    """Touch the clip's heartbeat from a thread while a long step runs (fetching from a
    bucket, moviepy, storing products), so a live run is never taken for a dead one."""
    from trainer.video import services

    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_EVERY):
            with job_session(app) as db:
                services.touch_run(db, clip_id, None, run)

    thread = threading.Thread(target=beat, name=f"heartbeat-{clip_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def process_clip_job(clip_id: int) -> None:
    """Make a clip's renditions, poster and strip; record progress, success or the failure."""
    from trainer.video import services
    from trainer.video.storage import storage_from_config

    app = job_app()
    with app.app_context():
        media_root = Path(app.config["MEDIA_ROOT"])
        storage = storage_from_config(app.config)
        with job_session(app) as db:
            run = services.begin_run(db, clip_id)
        if run is None:
            return
        last = 0.0

        def report(fraction: float) -> None:
            nonlocal last
            if time.monotonic() - last >= PROGRESS_EVERY:
                last = time.monotonic()
                with job_session(app) as db:
                    services.touch_run(db, clip_id, fraction, run.number)

        products: dict[str, Any] | None = None
        error: str | None = None
        try:
            with heartbeat(app, clip_id, run.number):
                products = services.render_run(run, storage=storage, media_root=media_root,
                                               on_progress=report)
        except Exception as exc:
            error = clip_error(exc, f"processing clip {clip_id}")
        with job_session(app) as db:
            services.finish_run(db, run, storage=storage, products=products, error=error)


process_clip = huey.task(retries=0)(process_clip_job)


def clip_error(exc: Exception, doing: str) -> str:
    """What a clip job that failed records on the clip: the disk-full message, ffmpeg's or
    the domain's own words, else `UNEXPECTED` (its text may hold server paths: in the log,
    not on the page)."""
    from trainer.core.errors import DomainError
    from trainer.video import media, services

    if services.disk_full(exc):
        log.warning("%s: the disk is full", doing)
        return services.DISK_FULL_PROCESSING
    if isinstance(exc, media.MediaError | DomainError):
        return str(exc)
    log.exception("%s failed", doing)
    return services.UNEXPECTED


def offline_copy_job(clip_id: int, locale: str, ticket: str | None = None,
                     task: Any = None) -> None:
    """Make a clip's offline copy with one language's captions burned in: read, render with
    no transaction open, then attach it only if the clip has not changed meanwhile.

    `ticket` is the request's the job was queued for (`services.ask_offline`): a job whose
    request was asked again since (a trainer asked again, or `services.resume_offline` took
    it for dead after a long wait in the queue) finds another ticket when it begins, and does
    nothing, so the copy is made once, by the newer job. A job queued before tickets existed
    has none, and runs as it always did.

    A failed render is tried once more (`retries=1`: a full disk or a busy machine may have
    passed). Only the last try records the failure on the clip, so the page says "being made"
    until the copy is there or will not come; the first try's error goes to the log and to huey,
    which queues the retry. A refusal (a domain error: the clip changed, its file is gone)
    would fail again, so it is recorded at once. `task` is huey's (`context=True`): its
    `retries` are the tries left after this one; None (called directly, or queued without
    retries) is a last try.
    """
    from trainer.core.errors import DomainError
    from trainer.video import services
    from trainer.video.models import Clip
    from trainer.video.storage import storage_from_config

    last_try = task is None or not task.retries
    app = job_app()
    with app.app_context():
        storage = storage_from_config(app.config)
        try:
            with job_session(app) as db:
                if not services.started_offline(db, clip_id, locale, ticket):
                    log.info("offline copy %s of clip %s: the clip is gone, or its request was "
                             "asked again or withdrawn since this job was queued; nothing to "
                             "do", locale, clip_id)
                    return
                plan = services.plan_offline(db.get_one(Clip, clip_id), locale)  # read there
            product = services.render_offline(plan, storage=storage,
                                              media_root=Path(app.config["MEDIA_ROOT"]))
        except DomainError as exc:
            _fail_offline(app, clip_id, locale, exc, ticket)
            return
        except Exception as exc:
            if not last_try:
                raise  # huey logs it and tries once more
            log.exception("offline copy %s of clip %s failed", locale, clip_id)
            _fail_offline(app, clip_id, locale, exc, ticket)
            return
        with job_session(app) as db:
            services.save_offline(db, plan, product, storage)


def _fail_offline(app: Any, clip_id: int, locale: str, exc: Exception,
                  ticket: str | None) -> None:
    """Record an offline copy's failure on its clip: the reason a trainer may read (no server
    path, no stack trace: `services.offline_failure`); not on a newer request than the job's
    `ticket`, whose own job is still to come."""
    from trainer.video import services

    with job_session(app) as db:
        services.fail_offline(db, clip_id, locale, *services.offline_failure(exc),
                              ticket=ticket)


offline_copy = huey.task(retries=1, retry_delay=10, context=True)(offline_copy_job)


def compose_job(clip_id: int, segments: list[int]) -> None:
    """Join clips into a new clip's original (no transaction open meanwhile), then process
    it like an upload; a failure is recorded on the clip."""
    from trainer.video import services
    from trainer.video.storage import storage_from_config

    app = job_app()
    with app.app_context():
        storage = storage_from_config(app.config)
        try:
            with job_session(app) as db:
                plan = services.plan_composition(db, clip_id, segments)
            with heartbeat(app, clip_id, 0):
                key, size, info = services.render_composition(
                    plan, storage=storage, media_root=Path(app.config["MEDIA_ROOT"]))
        except Exception as exc:
            _fail(app, clip_id, clip_error(exc, f"joining clips into clip {clip_id}"))
            return
        with job_session(app) as db:
            ready = services.save_composition(db, clip_id, key, size, info)
        if ready:
            process_clip_job(clip_id)


def _fail(app: Any, clip_id: int, error: str) -> None:
    """Record a composition's failure on its clip."""
    from trainer.video import services

    with job_session(app) as db:
        services.fail(db, clip_id, error)


compose_clip = huey.task(retries=0)(compose_job)


def count_world_job(world_id: int, run: int) -> None:
    """Count a slice of a world (`worlds.services.start_count`): claim the count `run`, go
    on from what its earlier slices counted, report the grids counted at most once a
    second, and after COUNT_SLICE seconds keep the sums and queue the next slice (behind
    the jobs queued meanwhile); the last slice keeps the figures, or the error that stopped
    the count. A job whose count was replaced by a newer one stops (or never starts)."""
    from trainer.worlds import services
    from trainer.worlds.models import World

    app = job_app()
    with app.app_context():
        with job_session(app) as db:
            state = services.claim_count(db, world_id, run)
            if state is None:
                return
            world = db.get_one(World, world_id)
            spec, seed = services.spec_of(world), world.seed
        last = time.monotonic()
        deadline = last + services.COUNT_SLICE

        def report(done: int) -> None:
            nonlocal last
            if time.monotonic() - last < PROGRESS_EVERY:
                return
            last = time.monotonic()
            try:
                with job_session(app) as db:
                    current = services.touch_count(db, world_id, run, done)
            except SQLAlchemyError:  # a report may fail (a locked or restarted database)
                log.warning("could not report the count of world %s", world_id, exc_info=True)
                return
            if not current:
                raise Replaced

        try:
            finished = services.count_some(spec, seed, state,
                                           lambda: time.monotonic() < deadline, report)
        except Replaced:
            return
        except Exception as exc:
            log.exception("counting world %s failed", world_id)
            with job_session(app) as db:
                services.finish_count(db, world_id, run, error=exc)
            return
        with job_session(app) as db:
            if finished:
                services.finish_count(db, world_id, run,
                                      summary=services.summarise(*state.totals(spec, seed)))
                return
            current = services.pause_count(db, world_id, run, state)
        if current and not enqueue(count_world, world_id, run):
            with job_session(app) as db:  # due at once for `resume_counts`
                services.count_unqueued(db, world_id, run)


class Replaced(Exception):
    """A newer count of the world replaced the one a job is doing."""


count_world = huey.task(retries=0)(count_world_job)


@huey.periodic_task(crontab(minute="*"))
def resume_counts() -> list[int]:
    """Queue again the counts of worlds whose job died with its worker or was never taken
    (`worlds.services.resume_stale_count`), each in its own transaction."""
    from trainer.worlds import services

    app = job_app()
    queued = []
    with app.app_context():
        with job_session(app) as db:
            stale = services.stale_counts(db)
        for world_id in stale:
            with job_session(app) as db:
                run = services.resume_stale_count(db, world_id)
            if run is not None:
                queued.append((world_id, run))
    for world_id, run in queued:
        enqueue(count_world, world_id, run)
    return [world_id for world_id, _run in queued]


@huey.periodic_task(crontab(minute="*"))
def resume_interrupted() -> list[int]:
    """Requeue clips whose run died with its worker (each on its own, so one bad clip stops
    no other); a clip whose run died twice, or a stalled one with no original (a composition
    that died), is marked failed for a trainer to retry. Offline copies whose job died are
    asked for again once (with a new ticket: an old job only late in the queue then does
    nothing), then marked failed likewise. Also drops uploads abandoned for a day."""
    from trainer.video import services
    from trainer.video.models import Clip

    app = job_app()
    requeued = []
    with app.app_context():
        with job_session(app) as db:
            stale = services.stale_clips(db)
            stale_copies = services.stale_offline(db)
        for clip_id in stale:
            with job_session(app) as db:
                resumed = services.resume(db, db.get_one(Clip, clip_id))
            if resumed:  # queued as soon as its state is committed, whatever comes next
                requeued.append(clip_id)
                enqueue(process_clip, clip_id)
        for clip_id, locale in stale_copies:
            try:
                with job_session(app) as db:
                    ticket = services.resume_offline(db, clip_id, locale)
            except Exception:  # one copy's trouble stops no other, nor the uploads' clean-up
                log.exception("resuming the offline copy %s of clip %s failed", locale,
                              clip_id)
                continue
            # the old job, if only late, now does nothing: the new one must be queued, or the
            # request says so (a trainer asks again once the queue answers)
            if ticket is not None and not enqueue(offline_copy, clip_id, locale, ticket):
                with job_session(app) as db:
                    services.fail_offline(db, clip_id, locale, services.OFFLINE_UNQUEUED,
                                          ticket=ticket)
        with job_session(app) as db:
            services.expire_uploads(db, Path(app.config["MEDIA_ROOT"]))
    return requeued


@huey.periodic_task(crontab(minute="*"))
def submit_timed_out() -> list[int]:
    """Submit timed exams whose time ran out while no request touched them (the trainee
    closed the page): each on its own, dated at its deadline. One whose grading fails is
    handed in ungraded for an examiner to grade again (`services.submit_if_timed_out`); one
    that fails otherwise (the database) is logged, stops no other, and is tried next minute.
    A request after the deadline submits its attempt the same way first
    (trainer/fieldwork/services.py), so a minute's delay here is never seen by the trainee."""
    from trainer.fieldwork import services

    app = job_app()
    submitted = []
    with app.app_context():
        with job_session(app) as db:
            due = services.timed_out_attempts(db)
        for attempt_id in due:
            try:
                with job_session(app) as db:
                    if services.submit_timed_out(db, attempt_id):
                        submitted.append(attempt_id)
            except Exception:
                log.exception("could not submit timed-out attempt %s", attempt_id)
    return submitted
