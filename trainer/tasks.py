"""The job queue (huey): on SQLite in the instance folder by default, so one machine needs no
extra server; on Redis when TRAINER_REDIS_URL is set, so workers can run on other machines.

Run a worker with `huey_consumer trainer.tasks.huey` (`make run` starts one beside the web
server). Tests switch the queue to immediate mode, which runs each task as it is enqueued.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey, crontab
from sqlalchemy.orm import Session

from trainer.config import instance_path, load_settings

log = logging.getLogger(__name__)
PROGRESS_EVERY = 1.0  # seconds between progress writes


def make_huey(settings: dict[str, Any], instance: Path) -> Huey:
    """A huey on Redis when the settings name one, else on SQLite in the instance folder."""
    if settings.get("REDIS_URL"):
        return RedisHuey("trainer", url=settings["REDIS_URL"])
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("trainer", filename=str(instance / "jobs.sqlite3"))


huey = make_huey(load_settings(instance_path()), instance_path())
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


def process_clip_job(clip_id: int) -> None:
    """Make a clip's renditions, poster and strip; record progress, success or the failure."""
    from trainer.video import media, services
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
                    services.touch_run(db, clip_id, fraction)

        products: dict[str, Any] | None = None
        error: str | None = None
        try:
            products = services.render_run(run, storage=storage, media_root=media_root,
                                           on_progress=report)
        except media.MediaError as exc:
            error = str(exc)
        except Exception as exc:
            log.exception("processing clip %s failed", clip_id)
            error = f"{type(exc).__name__}: {exc}"
        with job_session(app) as db:
            services.finish_run(db, run, storage=storage, products=products, error=error)


process_clip = huey.task(retries=0)(process_clip_job)


def offline_copy_job(clip_id: int, locale: str) -> None:
    """Make a clip's offline copy with one language's captions burned in."""
    from trainer.video import services
    from trainer.video.models import Clip
    from trainer.video.storage import storage_from_config

    app = job_app()
    with app.app_context(), job_session(app) as db:
        clip = db.get(Clip, clip_id)
        if clip is not None and locale in clip.captions:
            services.render_offline(clip, locale, storage=storage_from_config(app.config),
                                    media_root=Path(app.config["MEDIA_ROOT"]))


offline_copy = huey.task(retries=1, retry_delay=10)(offline_copy_job)


def compose_job(clip_id: int, segments: list[int]) -> None:
    """Join clips into a new clip's original, then process it like an upload."""
    from trainer.video import services
    from trainer.video.storage import storage_from_config

    app = job_app()
    with app.app_context():
        with job_session(app) as db:
            ready = services.compose_run(db, clip_id, segments,
                                         storage=storage_from_config(app.config),
                                         media_root=Path(app.config["MEDIA_ROOT"]))
        if ready:
            process_clip_job(clip_id)


compose_clip = huey.task(retries=0)(compose_job)


@huey.periodic_task(crontab(minute="*"))
def resume_interrupted() -> list[int]:
    """Requeue clips whose run died with its worker; drop uploads abandoned for a day."""
    from trainer.video import services
    from trainer.video.models import Clip

    app = job_app()
    with app.app_context(), job_session(app) as db:
        stale = services.stale_clips(db)
        for clip_id in stale:
            services.requeue(db, db.get_one(Clip, clip_id))
        services.expire_uploads(db, Path(app.config["MEDIA_ROOT"]))
    for clip_id in stale:
        process_clip(clip_id)
    return stale
