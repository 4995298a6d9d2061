"""Clips: resumable uploads, processing runs, who may watch what, captions and chapters,
redactions, lesson questions, links into scenarios, and watching progress.

Services flush and never commit; the view, CLI command or job that calls them commits.
"""

from __future__ import annotations

import errno
import fcntl
import math
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import webvtt
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from webvtt.errors import MalformedFileError

from trainer.accounts.models import Cohort, Role, User, cohort_trainees
from trainer.accounts.services import cohorts_visible_to
from trainer.config import LOCALES
from trainer.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    Locked,
    NotFound,
    StorageFull,
    TooLarge,
)
from trainer.core.grading.moments import finding_moments
from trainer.core.i18n import N_
from trainer.core.scenario.model import Moment
from trainer.db import MAX_ROW_ID, utcnow
from trainer.fieldwork.models import Assignment
from trainer.scenarios.models import ScenarioVersion
from trainer.scenarios.services import scenario_of
from trainer.video import media
from trainer.video.models import Clip, ClipLink, ClipStatus, Upload, WatchProgress
from trainer.video.storage import Storage, remove_quietly, uploads_folder, work_folder

CHUNK = 1024 * 1024  # bytes read from a request body at a time
STALE_AFTER = timedelta(minutes=2)  # a processing run without a heartbeat for this long died
QUEUED_TOO_LONG = timedelta(minutes=15)  # queued and never started: queue the job again
UPLOAD_EXPIRES = timedelta(days=1)
DISK_FULL = {errno.ENOSPC, errno.EDQUOT}  # write errors that mean "no room left"
DISK_FULL_MESSAGE = N_("The server's disk is full, so the upload was stopped and discarded. "
                       "Try again later, or ask an administrator to free space.")
DISK_FULL_PROCESSING = N_("The server's disk is full, so the clip could not be processed. "
                          "Ask an administrator to free space, then try again.")
# Stored as the clip's error (a message id, translated where it is shown): a run that died
# with its worker is started once more; a second death fails the clip for a trainer to retry.
INTERRUPTED = N_("The worker stopped while processing this clip; it is being processed "
                 "again.")
GAVE_UP = N_("The worker stopped twice while processing this clip (it may have run out of "
             "memory, or been restarted). Try again, or upload a shorter or smaller file.")
UNEXPECTED = N_("Processing stopped on an unexpected error; the server's log has the details. "
                "Try again, and tell the administrator if it happens again.")
NO_ORIGINAL = N_("The job stopped before the clip had an original; make it again.")
COMPLETE_SHARE = 0.9  # watched this share of a clip = completed
MANAGERS = {Role.TRAINER, Role.ADMIN}


# Access ---------------------------------------------------------------------------------

def may_manage(user: User) -> bool:
    """Trainers and admins upload, edit and delete clips (one library for the programme)."""
    return user.role in MANAGERS


def require_manager(user: User) -> None:
    """Refuse anyone who may not manage clips."""
    if not may_manage(user):
        raise Forbidden(N_("Only trainers manage clips."))


def _trainee_scenarios(db: Session, user: User) -> set[str]:
    cohort_ids = [cohort.id for cohort in cohorts_visible_to(db, user)]
    if not cohort_ids:
        return set()
    rows = db.scalars(select(ScenarioVersion.scenario_id).join(
        Assignment, Assignment.version_id == ScenarioVersion.id).where(
        Assignment.cohort_id.in_(cohort_ids)))
    return set(rows)


def _visible(db: Session, user: User) -> Any:
    """The query of clips the user may watch, newest first: every clip for trainers, admins
    and examiners; for a trainee, the published ready clips shared with one of their cohorts
    or attached to a scenario set for one of them."""
    stmt = select(Clip).order_by(Clip.created_at.desc(), Clip.id.desc())
    if user.role == Role.TRAINEE:
        cohorts = [cohort.id for cohort in cohorts_visible_to(db, user)]
        scenarios = _trainee_scenarios(db, user)
        stmt = stmt.where(Clip.published.is_(True), Clip.status == ClipStatus.READY, or_(
            Clip.cohorts.any(Cohort.id.in_(cohorts)),
            Clip.id.in_(select(ClipLink.clip_id).where(ClipLink.scenario_id.in_(scenarios))),
        ))
    return stmt


def visible_clips(db: Session, user: User) -> Sequence[Clip]:
    """Every clip the user may watch (see `_visible`)."""
    return db.scalars(_visible(db, user)).all()


def get_clip(db: Session, user: User, clip_id: int) -> Clip:
    """A clip the user may watch; any other is reported as not found (no existence leak)."""
    clip = db.scalar(_visible(db, user).where(Clip.id == clip_id))
    if clip is None:
        raise NotFound(N_("No such clip."))
    return clip


def managed_clip(db: Session, user: User, clip_id: int) -> Clip:
    """A clip the user may edit."""
    require_manager(user)
    return get_clip(db, user, clip_id)


# Uploads (the tus protocol's creation, offset and patch) -------------------------------

_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,200}$")


def clean_filename(name: str) -> str:
    """The uploaded file's name as shown; a name that tries to be a path is refused."""
    name = unicodedata.normalize("NFC", name).strip()
    if not _NAME.match(name) or name in {".", ".."} or name.startswith(".."):
        raise InvalidInput(N_("The file name must be a plain name, without folders."),
                           field="file")
    return name


def create_upload(db: Session, actor: User, *, length: int, filename: str, title: str,
                  media_root: Path, max_bytes: int) -> Upload:
    """Open an upload of `length` bytes; the file is received into media/uploads/."""
    require_manager(actor)
    if length <= 0:
        raise InvalidInput(N_("The file is empty."), field="file")
    if length > max_bytes:
        raise TooLarge(N_("The file is larger than the limit of %(limit)s MiB."), field="file",
                       limit=max_bytes // (1024 * 1024))
    name = clean_filename(filename)
    upload = Upload(token=secrets.token_urlsafe(32), filename=name,
                    title=(title.strip() or Path(name).stem)[:200], length=length,
                    created_by=actor)
    db.add(upload)
    db.flush()
    upload_path(media_root, upload).touch()
    return upload


def upload_path(media_root: Path, upload: Upload) -> Path:
    """Where the upload's bytes are received."""
    return uploads_folder(media_root) / f"{upload.token}.part"


def get_upload(db: Session, actor: User, token: str) -> Upload:
    """The actor's own upload in progress, as the database has it now (not as this session
    loaded it before)."""
    upload = db.scalar(select(Upload).where(Upload.token == token)
                       .execution_options(populate_existing=True))
    if upload is None or upload.created_by_id != actor.id:
        raise NotFound(N_("No such upload."))
    return upload


@contextmanager
def holding(media_root: Path, upload: Upload) -> Iterator[None]:
    """Hold an upload for one request until the block ends (a chunk written and committed,
    a whole file made a clip, the upload cancelled). Another request for it meanwhile (a
    client retrying a chunk that is still arriving, a second tab, a cancel) gets Locked:
    otherwise both would write into one file from an offset read before either committed,
    or one would delete the row the other is about to update. The lock is the part file's
    (flock), which every worker process of the machine holding the file sees; the holder
    should read the upload again once it holds it (`get_upload`)."""
    try:
        handle = upload_path(media_root, upload).open("rb")
    except FileNotFoundError:  # made a clip or cancelled since the row was read
        raise NotFound(N_("No such upload.")) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Locked(N_("Another request is still sending or finishing this upload; "
                            "try again in a moment.")) from None
        yield


def receive_chunk(db: Session, upload: Upload, *, offset: int, stream: IO[bytes],
                  declared: int | None, media_root: Path) -> bool:
    """Append a request body at `offset`, reading it in small pieces (never whole in memory).

    A connection dropped mid-chunk keeps what arrived, so the client resumes from there.
    Returns True when the file is complete.
    """
    if offset != upload.offset:
        raise Conflict(N_("The upload is at byte %(offset)s, not %(sent)s."),
                       offset=upload.offset, sent=offset)
    if declared is not None and offset + declared > upload.length:
        raise TooLarge(N_("More bytes were sent than the file's announced length."))
    path = upload_path(media_root, upload)
    try:
        with open_part(path) as handle:
            handle.truncate(upload.offset)  # anything past the last saved offset is torn
            handle.seek(upload.offset)
            written = 0
            try:
                while piece := _read_piece(stream):
                    if upload.offset + written + len(piece) > upload.length:
                        raise TooLarge(N_("More bytes were sent than the file's announced "
                                          "length."))
                    handle.write(piece)
                    written += len(piece)
            finally:
                handle.flush()
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        discard_upload(db, upload, media_root)  # free the room; nothing half-saved stays
        raise StorageFull(DISK_FULL_MESSAGE, field="file") from exc
    upload.offset += written
    upload.updated_at = utcnow()
    db.flush()
    return upload.offset == upload.length


def open_part(path: Path) -> IO[bytes]:
    """The upload's part file, opened for writing at any offset (tests fill the disk here)."""
    return path.open("r+b")


def _read_piece(stream: IO[bytes]) -> bytes:
    """The next piece of the request body; empty once the client has gone away (werkzeug's
    ClientDisconnected is an OSError), keeping what arrived."""
    try:
        return stream.read(CHUNK)
    except OSError:
        return b""


def finish_upload(db: Session, upload: Upload, *, media_root: Path,
                  storage: Storage) -> Clip:
    """Probe the received file; refuse it (leaving nothing behind) or make it a queued clip."""
    path = upload_path(media_root, upload)
    try:
        info = media.probe(path)
    except InvalidInput:
        discard_upload(db, upload, media_root)
        raise
    clip = Clip(slug=unique_slug(db, upload.title), title_zh=upload.title,
                filename=upload.filename, status=ClipStatus.QUEUED, heartbeat_at=utcnow(),
                duration=info.duration,
                width=info.width, height=info.height, has_audio=info.has_audio,
                created_by_id=upload.created_by_id)
    db.add(clip)
    db.flush()
    extension = Path(upload.filename).suffix.lower().lstrip(".")
    clip.original_key = f"clips/{clip.id}/original" + (
        f".{extension}" if re.fullmatch(r"[a-z0-9]{1,5}", extension) else "")
    try:
        clip.original_bytes = storage.put(clip.original_key, path)
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        storage.delete(clip.original_key)  # a partial copy is never served
        db.delete(clip)
        discard_upload(db, upload, media_root)
        raise StorageFull(DISK_FULL_MESSAGE, field="file") from exc
    db.delete(upload)
    db.flush()
    return clip


def discard_upload(db: Session, upload: Upload, media_root: Path) -> None:
    """Delete an upload and its bytes."""
    upload_path(media_root, upload).unlink(missing_ok=True)
    db.delete(upload)
    db.flush()


def expire_uploads(db: Session, media_root: Path, *, now: datetime | None = None) -> int:
    """Delete uploads untouched for a day; return how many. One a request is receiving now
    (its chunk has been arriving slowly) is left for the next round."""
    cutoff = (now or utcnow()) - UPLOAD_EXPIRES
    stale = db.scalars(select(Upload).where(Upload.updated_at < cutoff)).all()
    removed = 0
    for upload in stale:
        try:
            with holding(media_root, upload):
                discard_upload(db, upload, media_root)
        except Locked:
            continue
        except NotFound:  # its file is gone already: only the row is left to delete
            db.delete(upload)
            db.flush()
        removed += 1
    return removed


def unique_slug(db: Session, title: str) -> str:
    """A slug for a new clip: ASCII words of the title, else `clip`, made unique."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "clip"
    slug, number = base, 1
    while db.scalar(select(Clip.id).where(Clip.slug == slug)) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


MAX_SEGMENTS = 5


def start_composition(db: Session, actor: User, *, title_zh: str, title_en: str,
                      segments: Sequence[int]) -> Clip:
    """A new clip to be joined from ready clips (in order) after a title card; the job
    composition job makes its original, then it is processed like an upload."""
    require_manager(actor)
    chosen = [number for number in segments if number]
    if not 2 <= len(chosen) <= MAX_SEGMENTS:
        raise InvalidInput(N_("Choose at least two clips to join (at most %(limit)s)."),
                           field="segment_1", limit=MAX_SEGMENTS)
    seconds = 0.0
    for number in chosen:
        source = db.get(Clip, number) if 0 < number <= MAX_ROW_ID else None
        if source is None or source.status != ClipStatus.READY:
            raise InvalidInput(N_("Only processed clips can be joined."), field="segment_1")
        seconds += source.duration
    if seconds > media.MAX_HOURS * 3600:  # refused by the probe anyway, but after hours of work
        raise InvalidInput(N_("This video is longer than %(hours)s hours."), field="segment_1",
                           hours=media.MAX_HOURS)
    clip = Clip(slug=unique_slug(db, title_en or title_zh), title_zh=title_zh.strip(),
                title_en=title_en.strip(), filename="composed.mp4",
                status=ClipStatus.QUEUED, created_by=actor,
                tags=["composed"])
    db.add(clip)
    db.flush()
    return clip


@dataclass(frozen=True, slots=True)
class CompositionPlan:
    """What joining clips needs, read before the long work."""

    clip_id: int
    title: tuple[str, str]
    source_keys: tuple[str, ...]


def plan_composition(db: Session, clip_id: int, segments: Sequence[int]) -> CompositionPlan:
    """Mark the composition as running and read the largest rendition of each segment, in
    order (MediaError when one has none)."""
    clip = db.get(Clip, clip_id)
    if clip is None:
        raise media.MediaError(f"clip {clip_id} is gone")
    clip.status, clip.heartbeat_at = ClipStatus.PROCESSING, utcnow()
    keys = []
    for source_id in segments:
        source = db.get(Clip, source_id)
        product = next((source.renditions[name] for name in media.RENDITIONS
                        if source is not None and name in source.renditions), None)
        if product is None:
            raise media.MediaError(f"clip {source_id} has no rendition to join")
        keys.append(product["key"])
    return CompositionPlan(clip.id, (clip.title_zh, clip.title_en or clip.title_zh),
                           tuple(keys))


def render_composition(plan: CompositionPlan, *, storage: Storage,
                       media_root: Path) -> tuple[str, int, media.MediaInfo]:
    """Join the segments after a title card (moviepy) and store the result as the clip's
    original: (key, bytes, what the probe found). No database access."""
    from trainer.video import render

    work = work_folder(media_root, plan.clip_id, "compose")
    try:
        paths = []
        for number, key in enumerate(plan.source_keys):
            local = storage.local_path(key)
            if local is None:
                local = work / f"segment{number}.mp4"
                storage.fetch(key, local)
            paths.append(local)
        out = render.join_segments(paths, work / "composed.mp4", title=plan.title)
        info = media.probe(out)
        key = f"clips/{plan.clip_id}/original.mp4"
        return key, storage.put(key, out), info
    finally:
        remove_quietly(work)


def save_composition(db: Session, clip_id: int, key: str, size: int,
                     info: media.MediaInfo) -> bool:
    """The joined original becomes the clip's; it is queued for processing. True when so."""
    clip = db.get(Clip, clip_id)
    if clip is None:
        return False
    clip.duration, clip.width, clip.height = info.duration, info.width, info.height
    clip.has_audio = info.has_audio
    clip.original_key, clip.original_bytes = key, size
    clip.status, clip.heartbeat_at = ClipStatus.QUEUED, utcnow()
    db.flush()
    return True


def fail(db: Session, clip_id: int, error: str) -> None:
    """Mark a clip's job as failed, with the reason."""
    clip = db.get(Clip, clip_id)
    if clip is not None:
        clip.status, clip.error, clip.heartbeat_at = ClipStatus.FAILED, error, None
        db.flush()


# Processing ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Run:
    """What a processing run needs, read from the clip row before the long work starts."""

    clip_id: int
    number: int
    original_key: str
    info: media.MediaInfo
    redactions: list[dict[str, Any]]


def running(clip: Clip, *, now: datetime | None = None) -> bool:
    """A run is under way: processing with a recent heartbeat."""
    return (clip.status == ClipStatus.PROCESSING and clip.heartbeat_at is not None
            and clip.heartbeat_at >= (now or utcnow()) - STALE_AFTER)


def begin_run(db: Session, clip_id: int) -> Run | None:
    """Mark a queued (or interrupted) clip as processing; None when there is nothing to do
    (gone, ready, no original, or another run alive)."""
    clip = db.get(Clip, clip_id)
    if (clip is None or clip.status in (ClipStatus.READY, ClipStatus.FAILED)
            or clip.original_key is None or running(clip)):
        return None
    clip.status, clip.progress = ClipStatus.PROCESSING, 0.0  # the error is a resume's note
    clip.runs += 1
    clip.heartbeat_at = utcnow()
    db.flush()
    info = media.MediaInfo(container="", duration=clip.duration, width=clip.width,
                           height=clip.height, video_codec="", has_audio=clip.has_audio)
    return Run(clip.id, clip.runs, clip.original_key, info, list(clip.redactions))


def render_run(run: Run, *, storage: Storage, media_root: Path,
               on_progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Make the products of a run with ffmpeg and store them under clips/<id>/r<run>/.

    No database access here: this is the long part, done outside any transaction.
    """
    work = work_folder(media_root, run.clip_id, f"r{run.number}")
    for older in work.parent.glob("r*"):  # scratch of runs that died with their worker
        if older.name[1:].isdigit() and int(older.name[1:]) < run.number:
            remove_quietly(older)
    try:
        source = storage.local_path(run.original_key)
        if source is None:
            source = work / "source"
            storage.fetch(run.original_key, source)
        args, products = media.processing_command(source, work, run.info, run.redactions)
        media.run_ffmpeg(args, run.info.duration, on_progress)
        sizes = media.rendition_sizes(run.info)
        stored: dict[str, Any] = {}
        for name, path in products.items():
            key = f"clips/{run.clip_id}/r{run.number}/{path.name}"
            width, height = sizes.get(name, (0, 0))
            stored[name] = {"key": key, "bytes": storage.put(key, path),
                            "width": width, "height": height}
        return stored
    finally:
        remove_quietly(work)


def finish_run(db: Session, run: Run, *, storage: Storage,
               products: dict[str, Any] | None, error: str | None) -> None:
    """Record a run's outcome; the earlier runs' files are deleted once the new ones exist.

    A run that is no longer the clip's current one (a blur was added or the clip retried while
    it ran) changes nothing: its files are deleted and the newer run decides.
    """
    clip = db.get(Clip, run.clip_id)
    if clip is None or clip.runs != run.number or clip.status != ClipStatus.PROCESSING:
        for product in (products or {}).values():
            storage.delete(product["key"])
        return
    if products is not None:
        for key in stored_keys(clip):
            storage.delete(key)
        # A run that died after storing some of its products (killed while moving them
        # into the store) left them under its own folder, which nothing refers to: the runs
        # since the one whose products are replaced (earlier ones were cleared like this).
        finished = max((_run_of(key) for key in stored_keys(clip)), default=0)
        for older in range(finished + 1, run.number):
            storage.delete_prefix(f"clips/{clip.id}/r{older}")
        clip.renditions = products
        clip.status, clip.progress, clip.error = ClipStatus.READY, 1.0, None
        clip.processed_at = utcnow()
    else:
        clip.status, clip.error = ClipStatus.FAILED, error
    clip.heartbeat_at = None
    db.flush()


def _run_of(key: str) -> int:
    """The run that stored a product (its key is clips/<id>/r<run>/<name>), else 0."""
    match = re.search(r"/r(\d+)/", key)
    return int(match.group(1)) if match else 0


OFFLINE_SOURCE = "360p"  # the offline copy is for tablets: the small rendition, captioned
# An offline copy's request rides in its product's entry in `clip.renditions` (no schema
# change): `renditions["offline-<locale>"]` has the copy's "key", "bytes"... once one is made,
# and a "job" while one is asked for: {"state": "pending" | "failed", "asked_at": ISO time,
# "ticket": the token of the latest request, which its queued job carries, "error": a message
# id (translated where it is shown), "detail": words of the video tool, without paths}. A
# finished copy replaces the entry (the job is done); a new request clears an old failure;
# changed captions or a new processing run drop the entry, request and all. A request written
# before tickets existed has none, and neither has its job: that job runs as it always did.
OFFLINE_PENDING, OFFLINE_FAILED = "pending", "failed"
OFFLINE_UNQUEUED = N_("The job queue cannot be reached now; ask for the offline copy again in "
                      "a few minutes.")
OFFLINE_RENDER_FAILED = N_("The video tool stopped with an error while burning in the "
                           "captions. Try again; if it fails again, process the clip again.")
OFFLINE_DISK_FULL = N_("The server's disk is full, so the offline copy could not be made. "
                       "Try again later, or ask an administrator to free space.")
OFFLINE_NO_SOURCE = N_("The clip's video file is missing from the media storage; process the "
                       "clip again, then ask for the offline copy.")
OFFLINE_INTERRUPTED = N_("The job making the offline copy stopped twice before it finished "
                         "(its worker was restarted); try again.")


def offline_name(locale: str) -> str:
    """The product name of the offline copy with `locale`'s captions burned in."""
    return f"offline-{locale}"


def stored_keys(clip: Clip) -> list[str]:
    """The storage keys of the clip's products (an offline copy only asked for has none)."""
    return [product["key"] for product in clip.renditions.values() if "key" in product]


@dataclass(frozen=True, slots=True)
class OfflineCopy:
    """One language's offline copy as its clip's page shows it: ready to download, and/or
    asked for (being made, or failed with the reason)."""

    locale: str
    ready: bool
    state: str | None = None  # OFFLINE_PENDING, OFFLINE_FAILED, or None: nothing asked
    asked_at: datetime | None = None
    error: str = ""  # a message id
    detail: str = ""  # the video tool's words, untranslated, without paths


def offline_copies(clip: Clip) -> list[OfflineCopy]:
    """The offline copies made or asked for, in the order of the languages."""
    copies = []
    for locale in LOCALES:
        entry = clip.renditions.get(offline_name(locale))
        if not entry:
            continue
        job = entry.get("job") or {}
        asked = job.get("asked_at")
        copies.append(OfflineCopy(locale, "key" in entry, job.get("state"),
                                  datetime.fromisoformat(asked) if asked else None,
                                  job.get("error", ""), job.get("detail", "")))
    return copies


def ask_offline(db: Session, clip: Clip, locale: str) -> str:
    """A trainer asks for an offline copy: refused when the clip cannot have one now, else
    recorded as being made (which clears an earlier failure). A copy already made stays
    downloadable until the new one replaces it. Returns the request's ticket, for the job to
    carry: the job of an earlier request (its ticket replaced) does nothing when it begins."""
    plan_offline(clip, locale)
    ticket = _new_ticket()
    _put_job(db, clip, locale, {"state": OFFLINE_PENDING, "asked_at": utcnow().isoformat(),
                                "ticket": ticket})
    return ticket


def _new_ticket() -> str:
    """A fresh token for one request of an offline copy."""
    return secrets.token_hex(16)


def _job_of(db: Session, clip_id: int, locale: str) -> tuple[Clip | None, dict[str, Any]]:
    """A clip and its offline copy's request ({} when none is asked for, or no clip), read
    afresh and locked: another request may have been written since this session read the
    clip (a trainer asking again), and what is written next depends on it."""
    clip = db.get(Clip, clip_id, populate_existing=True, with_for_update=True)
    entry = (clip.renditions.get(offline_name(locale)) if clip is not None else None) or {}
    return clip, entry.get("job") or {}


def _superseded(job: dict[str, Any], ticket: str | None) -> bool:
    """Whether a job's `ticket` is no longer its request's (asked again since, or no longer
    asked for). A job without one (queued before tickets existed) never is."""
    return ticket is not None and job.get("ticket") != ticket


def _put_job(db: Session, clip: Clip, locale: str, job: dict[str, Any]) -> None:
    """Write an offline copy's request into its entry (a made copy's fields stay)."""
    entry = clip.renditions.get(offline_name(locale)) or {}
    clip.renditions = {**clip.renditions, offline_name(locale): {**entry, "job": job}}
    db.flush()


def fail_offline(db: Session, clip_id: int, locale: str, error: str, detail: str = "", *,
                 ticket: str | None = None) -> bool:
    """Record why an asked-for offline copy was not made. Nothing when it is no longer asked
    for (its captions changed, or the clip was processed again: the request went with them),
    nor when `ticket` (the failed job's) is given and a newer request replaced it: that
    request's own job is still to come. True when recorded."""
    clip, job = _job_of(db, clip_id, locale)
    if clip is None or not job or _superseded(job, ticket):
        return False
    _put_job(db, clip, locale, {**job, "state": OFFLINE_FAILED, "error": error,
                                "detail": detail[:500]})
    return True


def offline_stale_after(duration: float | None) -> timedelta:
    """How long a request's job may run before it is taken for dead (its worker was killed,
    and huey does not run a killed job again): two tries of a generous budget each (30 seconds
    of work for each second of video, at least ten minutes, the bound ffmpeg's own runs have in
    `media.run_ffmpeg`), the retry's delay and a minute more. Counted from when the latest try
    began (`started_offline`), so a long wait in the queue is not held against a render; a
    request no try has begun counts from when it was asked (a queue that lost the job), and
    so may be asked again (`resume_offline`) while its job still waits behind a long queue.
    The copy is made once all the same: asking again gives the request a new ticket, so the
    first job, when it leaves the queue at last, finds itself superseded and does nothing,
    and the job queued with the new ticket makes the copy (if that job cannot be queued, the
    request is recorded as failed, for a trainer to ask again). A job queued before tickets
    existed carries none, and runs whatever the request holds."""
    return timedelta(seconds=2 * max(600.0, 30 * (duration or 0.0)) + 10 + 60)


def started_offline(db: Session, clip_id: int, locale: str,
                    ticket: str | None = None) -> bool:
    """A try of an asked-for copy's job begins: whether it is to go on. Not when the clip is
    gone, nor when the job's `ticket` is no longer its request's (asked again meanwhile, or
    no longer asked for): a newer job makes the copy, or none is wanted, so this one does
    nothing, and records no failure. A job without a ticket (queued before tickets existed)
    goes on, as it always did. For a request being made, the clock of `stale_offline`
    starts now."""
    clip, job = _job_of(db, clip_id, locale)
    if clip is None or _superseded(job, ticket):
        return False
    if job.get("state") == OFFLINE_PENDING:
        _put_job(db, clip, locale, {**job, "since": utcnow().isoformat()})
    return True


def stale_offline(db: Session, *, now: datetime | None = None) -> list[tuple[int, str]]:
    """(clip, language) of the offline copies asked for whose job is taken for dead
    (`offline_stale_after`)."""
    now = now or utcnow()
    stale = []
    for clip_id, duration, renditions in db.execute(select(
            Clip.id, Clip.duration, Clip.renditions).where(Clip.status == ClipStatus.READY)):
        for locale in LOCALES:
            job = (renditions.get(offline_name(locale)) or {}).get("job") or {}
            since = job.get("since") or job.get("asked_at")
            if job.get("state") == OFFLINE_PENDING and since and (
                    now - datetime.fromisoformat(since) > offline_stale_after(duration)):
                stale.append((clip_id, locale))
    return stale


def resume_offline(db: Session, clip_id: int, locale: str) -> str | None:
    """A request whose job died (`stale_offline`): asked again once, with a new ticket, which
    is returned for the job to queue (the old job, should it be only late, does nothing
    when it begins: `started_offline`); a second time recorded as failed for a trainer to
    try again (None). Nothing (None) when it is no longer being made (read afresh: its job
    finished or failed meanwhile, the captions changed, the clip went)."""
    clip, job = _job_of(db, clip_id, locale)
    if clip is None or job.get("state") != OFFLINE_PENDING:
        return None
    if job.get("resumed"):
        fail_offline(db, clip_id, locale, OFFLINE_INTERRUPTED)
        return None
    ticket = _new_ticket()
    _put_job(db, clip, locale, {**job, "since": utcnow().isoformat(), "resumed": True,
                                "ticket": ticket})
    return ticket


def disk_full(exc: BaseException) -> bool:
    """Whether a job failed for want of room on the disk: a write of ours (ENOSPC, EDQUOT)
    or ffmpeg's."""
    if isinstance(exc, OSError):
        return exc.errno in DISK_FULL
    return isinstance(exc, media.MediaError) and exc.disk_full


def offline_failure(exc: Exception) -> tuple[str, str]:
    """Why an offline copy's job failed, as a clip's page may show it: (a message id, the
    video tool's words without paths). Anything not foreseen is `UNEXPECTED`, its text (which
    may hold paths) left to the log."""
    if isinstance(exc, DomainError):
        return str(exc), ""
    if disk_full(exc):
        return OFFLINE_DISK_FULL, ""
    from trainer.video.render import RenderError

    if isinstance(exc, media.MediaError | RenderError):
        return OFFLINE_RENDER_FAILED, media.without_paths(str(exc))
    return UNEXPECTED, ""


@dataclass(frozen=True, slots=True)
class OfflinePlan:
    """What making an offline copy needs, read before the long work."""

    clip_id: int
    run: int
    locale: str
    captions: str
    source_key: str


def plan_offline(clip: Clip, locale: str) -> OfflinePlan:
    """Check that an offline copy can be made now, and note what it is made from."""
    if locale not in clip.captions or clip.status != ClipStatus.READY:
        raise Conflict(N_("This clip has no captions in that language."))
    source = clip.renditions.get(OFFLINE_SOURCE) or next(
        (product for name, product in clip.renditions.items() if name in media.RENDITIONS),
        None)
    if source is None:
        raise Conflict(N_("A clip can be published once it has been processed."))
    return OfflinePlan(clip.id, clip.runs, locale, clip.captions[locale], source["key"])


def render_offline(plan: OfflinePlan, *, storage: Storage,
                   media_root: Path) -> dict[str, Any]:
    """Make the offline copy: the small rendition with one language's captions burned in
    (moviepy). No database access: this is the long part."""
    from trainer.video import render

    work = work_folder(media_root, plan.clip_id, offline_name(plan.locale).lower())
    try:
        source = storage.local_path(plan.source_key)
        if source is None:
            if storage.size(plan.source_key) is None:
                raise NotFound(OFFLINE_NO_SOURCE)
            source = work / "source.mp4"
            storage.fetch(plan.source_key, source)
        cues = [render.Cue(cue.start, cue.end, cue.text, cue.text)
                for cue in parse_vtt(plan.captions)]
        out = render.burn_captions(source, cues, work / "offline.mp4",
                                   language="en" if plan.locale == "en" else "zh")
        key = f"clips/{plan.clip_id}/r{plan.run}/{offline_name(plan.locale).lower()}.mp4"
        return {"key": key, "bytes": storage.put(key, out), "width": 0, "height": 0}
    finally:
        remove_quietly(work)


def save_offline(db: Session, plan: OfflinePlan, product: dict[str, Any],
                 storage: Storage) -> bool:
    """Attach a finished offline copy, unless the clip changed meanwhile (reprocessed, or
    those captions edited): then the copy is stale and deleted. True when attached."""
    clip = db.get(Clip, plan.clip_id)
    if (clip is None or clip.runs != plan.run or clip.status != ClipStatus.READY
            or clip.captions.get(plan.locale) != plan.captions):
        storage.delete(product["key"])
        return False
    previous = clip.renditions.get(offline_name(plan.locale))
    if previous and previous.get("key", product["key"]) != product["key"]:
        storage.delete(previous["key"])
    clip.renditions = {**clip.renditions, offline_name(plan.locale): product}  # the job is done
    db.flush()
    return True


def drop_offline(clip: Clip, locale: str, storage: Storage) -> None:
    """Forget the offline copy of one language, and any request for one (its captions
    changed)."""
    previous = clip.renditions.get(offline_name(locale))
    if previous:
        if "key" in previous:
            storage.delete(previous["key"])
        clip.renditions = {name: product for name, product in clip.renditions.items()
                           if name != offline_name(locale)}


def touch_run(db: Session, clip_id: int, fraction: float | None, run: int) -> None:
    """A running job's heartbeat, with its progress when known (only for the current run)."""
    clip = db.get(Clip, clip_id)
    if clip is not None and clip.runs == run and clip.status == ClipStatus.PROCESSING:
        if fraction is not None:
            clip.progress = round(fraction, 3)
        clip.heartbeat_at = utcnow()
        db.flush()


def stale_clips(db: Session, *, now: datetime | None = None) -> list[int]:
    """Clips whose processing run stopped sending heartbeats (the worker was restarted), and
    clips queued long ago that no worker took (the queue lost the job, or was down)."""
    now = now or utcnow()
    return list(db.scalars(select(Clip.id).where(or_(
        (Clip.status == ClipStatus.PROCESSING)
        & or_(Clip.heartbeat_at.is_(None), Clip.heartbeat_at < now - STALE_AFTER),
        (Clip.status == ClipStatus.QUEUED) & Clip.original_key.is_not(None)
        & (Clip.heartbeat_at < now - QUEUED_TOO_LONG)))))


def queue_unreachable(db: Session, clip_id: int, *, now: datetime | None = None) -> None:
    """A queued clip's job could not be queued (Redis down): make it due at once for the
    worker's periodic check, which queues it as soon as the queue answers again."""
    clip = db.get(Clip, clip_id)
    if clip is not None and clip.status == ClipStatus.QUEUED:
        clip.heartbeat_at = (now or utcnow()) - QUEUED_TOO_LONG - timedelta(seconds=1)
        db.flush()


def resume(db: Session, clip: Clip) -> bool:
    """Deal with a stale clip (see `stale_clips`): queue it again and True, or mark it
    failed with a reason the trainer sees (no original, or its run already died once) and
    False. The note that a run died travels with the clip until a run finishes."""
    if clip.original_key is None:
        fail(db, clip.id, NO_ORIGINAL)
        return False
    if clip.status == ClipStatus.PROCESSING and clip.error == INTERRUPTED:
        fail(db, clip.id, GAVE_UP)
        return False
    note = INTERRUPTED if clip.status == ClipStatus.PROCESSING else clip.error
    requeue(db, clip, note=note)
    return True


def requeue(db: Session, clip: Clip, *, note: str | None = None) -> Clip:
    """Queue a clip for (re)processing: after a failure, a restart, or new redactions."""
    if clip.original_key is None:
        raise Conflict(N_("The original has been deleted, so the clip cannot be processed "
                          "again."))
    clip.status, clip.progress, clip.error = ClipStatus.QUEUED, 0.0, note
    clip.heartbeat_at = utcnow()  # when it was queued
    db.flush()
    return clip


# Editing -------------------------------------------------------------------------------

def update_details(db: Session, clip: Clip, *, slug: str, title_zh: str, title_en: str,
                   summary_zh: str, summary_en: str, tags: Iterable[str], published: bool,
                   cohorts: Sequence[Cohort], choosable: Sequence[Cohort]) -> Clip:
    """Change what a clip is called, how it is found and who sees it. `cohorts` are the
    chosen ones among `choosable` (the editor's); cohorts another trainer shared it with
    stay."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", slug):
        raise InvalidInput(N_("The identifier may hold lower-case letters, digits and "
                              "hyphens."), field="slug")
    clash = db.scalar(select(Clip.id).where(Clip.slug == slug, Clip.id != clip.id))
    if clash is not None:
        raise Conflict(N_("Another clip already uses the identifier %(slug)s."), field="slug",
                       slug=slug)
    if published and clip.status != ClipStatus.READY:
        raise Conflict(N_("A clip can be published once it has been processed."),
                       field="published")
    clip.slug, clip.title_zh, clip.title_en = slug, title_zh.strip(), title_en.strip()
    clip.summary_zh, clip.summary_en = summary_zh.strip(), summary_en.strip()
    clip.tags = sorted({tag.strip().lower() for tag in tags if tag.strip()})
    clip.published = published
    clip.cohorts = [*(cohort for cohort in clip.cohorts if cohort not in choosable),
                    *cohorts]
    db.flush()
    return clip


@dataclass(frozen=True, slots=True)
class Cue:
    """One caption cue."""

    start: float
    end: float
    text: str


# A WebVTT cue's time range; and a line that means to be one (digits, then an arrow)
TIME_RANGE = re.compile(r"(?:\d+:)?[0-5]\d:[0-5]\d\.\d{3}[ \t]+-->[ \t]+"
                        r"(?:\d+:)?[0-5]\d:[0-5]\d\.\d{3}(?:[ \t].*)?")
ARROWED = re.compile(r"[\d:.,]+\s*-+>")
NO_CUE = N_("These captions are not valid WebVTT: no caption with a time range was found.")


def _check_vtt_lines(text: str) -> None:
    """Refuse what webvtt-py would drop without a word: a time range it cannot read (`00:01
    -> 00:02`, `00:00:01,000 --> ...`) and a block of text without one, saying at which line."""
    lines = text.split("\n")
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and lines[end].strip():
            end += 1
        block = lines[start:end]
        if block and not block[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            timing = next((number for number, line in enumerate(block[:2])
                           if ARROWED.match(line.strip())), None)
            if timing is None:
                raise InvalidInput(N_("These captions are not valid WebVTT: line %(line)s "
                                      "should begin a caption with its time range (such as "
                                      "00:00:01.000 --> 00:00:04.000)."),
                                   field="captions", line=start + 1)
            if not TIME_RANGE.fullmatch(block[timing].strip()):
                raise InvalidInput(N_("These captions are not valid WebVTT: line %(line)s, "
                                      "“%(text)s”, is not a time range (write "
                                      "00:00:01.000 --> 00:00:04.000)."), field="captions",
                                   line=start + timing + 1, text=block[timing].strip()[:60])
        start = end + 1


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT text (read by webvtt-py), or InvalidInput saying what is wrong."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return []
    _check_vtt_lines(text)
    if not text.startswith("WEBVTT"):
        text = "WEBVTT\n\n" + text  # people paste cues without the header
    try:
        cues = [Cue(cue.start_time.in_milliseconds() / 1000,
                    cue.end_time.in_milliseconds() / 1000, cue.text)
                for cue in webvtt.from_string(text)]
    except MalformedFileError as exc:
        raise InvalidInput(NO_CUE, field="captions") from exc
    if not cues:
        raise InvalidInput(NO_CUE, field="captions")
    for cue in cues:
        if cue.end <= cue.start:
            raise InvalidInput(N_("A caption ends before it starts (at %(start)s s)."),
                               field="captions", start=f"{cue.start:.1f}")
    return cues


def set_captions(db: Session, clip: Clip, locale: str, text: str,
                 storage: Storage | None = None) -> list[Cue]:
    """Replace one language's captions (an empty text removes them, and with them the
    offline copy that had them burned in)."""
    if locale not in LOCALES:
        raise InvalidInput(N_("Unknown language."), field="locale")
    cues = parse_vtt(text) if text.strip() else []
    if storage is not None:
        drop_offline(clip, locale, storage)
    captions = dict(clip.captions)
    if cues:
        captions[locale] = to_vtt(cues)
    else:
        captions.pop(locale, None)
    clip.captions = captions
    db.flush()
    return cues


def timestamp(seconds: float) -> str:
    """WebVTT's hh:mm:ss.mmm."""
    millis = round(seconds * 1000)
    return (f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:"
            f"{millis // 1000 % 60:02d}.{millis % 1000:03d}")


def to_vtt(cues: Iterable[Cue]) -> str:
    """A WebVTT text of `cues`."""
    blocks = [f"{timestamp(cue.start)} --> {timestamp(cue.end)}\n{cue.text}" for cue in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def parse_clock(text: str) -> float:
    """Seconds from `ss`, `mm:ss` or `hh:mm:ss` (with optional decimals)."""
    parts = text.strip().split(":")
    try:
        if len(parts) > 3 or not all(parts):
            raise ValueError(text)
        seconds = 0.0
        for part in parts:
            seconds = seconds * 60 + float(part)
    except ValueError as exc:
        raise InvalidInput(N_("%(text)s is not a time (use mm:ss)."), text=text) from exc
    if not 0 <= seconds < math.inf:  # not negative, nan ("nan" is a float) or infinite
        raise InvalidInput(N_("%(text)s is not a time (use mm:ss)."), text=text)
    return seconds


def parse_chapters(text: str, duration: float) -> list[dict[str, Any]]:
    """Chapters from lines `mm:ss 中文标题 | English title`, in time order within the clip."""
    chapters: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        clock, _, titles = line.strip().partition(" ")
        zh, _, en = titles.partition("|")
        if not zh.strip():
            raise InvalidInput(N_("Line %(line)s: a chapter needs a time and a title."),
                               field="chapters", line=number)
        try:
            start = parse_clock(clock)
        except InvalidInput as exc:
            raise InvalidInput(N_("Line %(line)s: %(clock)s is not a time (use mm:ss)."),
                               field="chapters", line=number, clock=clock) from exc
        if duration and start >= duration:
            raise InvalidInput(N_("Line %(line)s: the chapter starts after the clip ends."),
                               field="chapters", line=number)
        chapters.append({"start": start, "zh": zh.strip(), "en": en.strip() or zh.strip()})
    chapters.sort(key=lambda chapter: chapter["start"])
    return chapters


def chapters_text(chapters: Iterable[dict[str, Any]]) -> str:
    """The editable text of the chapters (the inverse of parse_chapters)."""
    lines = []
    for chapter in chapters:
        minutes, seconds = divmod(chapter["start"], 60)
        lines.append(f"{int(minutes):02d}:{seconds:06.3f}".rstrip("0").rstrip(".")
                     + f" {chapter['zh']} | {chapter['en']}")
    return "\n".join(lines)


def chapters_vtt(clip: Clip, locale: str) -> str:
    """The chapters as a WebVTT chapters track in `locale`."""
    key = "en" if locale == "en" else "zh"
    starts = [chapter["start"] for chapter in clip.chapters]
    ends = [*starts[1:], max(clip.duration, starts[-1] + 1 if starts else 0)]
    return to_vtt(Cue(start, end, chapter[key])
                  for start, end, chapter in zip(starts, ends, clip.chapters, strict=True))


def set_chapters(db: Session, clip: Clip, text: str) -> list[dict[str, Any]]:
    """Replace the chapters."""
    clip.chapters = parse_chapters(text, clip.duration)
    db.flush()
    return clip.chapters


def add_redaction(db: Session, clip: Clip, *, x: float, y: float, w: float, h: float,
                  start: float, end: float, label: str) -> Clip:
    """Blur a rectangle (fractions of the frame) from `start` to `end`; reprocesses the clip."""
    if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x and 0 < h <= 1 - y):
        raise InvalidInput(N_("The rectangle must lie inside the frame."), field="x")
    if not 0 <= start < end:
        raise InvalidInput(N_("The blur must end after it starts."), field="end")
    clip.redactions = [*clip.redactions, {"x": x, "y": y, "w": w, "h": h, "start": start,
                                          "end": min(end, clip.duration or end),
                                          "label": label.strip()[:80]}]
    return requeue(db, clip)


def remove_redaction(db: Session, clip: Clip, index: int) -> Clip:
    """Stop blurring one rectangle; reprocesses the clip."""
    if not 0 <= index < len(clip.redactions):
        raise NotFound(N_("No such redaction."))
    clip.redactions = [box for number, box in enumerate(clip.redactions) if number != index]
    return requeue(db, clip)


def delete_original(db: Session, clip: Clip, storage: Storage) -> Clip:
    """Delete the uploaded original (the published renditions, already blurred, stay)."""
    if clip.status != ClipStatus.READY:
        raise Conflict(N_("Wait until the clip has been processed before deleting the "
                          "original."))
    if clip.original_key is not None:
        storage.delete(clip.original_key)
    clip.original_key, clip.original_bytes = None, 0
    db.flush()
    return clip


def delete_clip(db: Session, clip: Clip, storage: Storage) -> None:
    """Delete a clip with every file it has."""
    storage.delete_prefix(f"clips/{clip.id}")
    db.delete(clip)
    db.flush()


def _clock(seconds: float) -> str:
    """m:ss, as the edit page shows a moment."""
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def set_questions(db: Session, clip: Clip, questions: list[dict[str, Any]]) -> Clip:
    """Replace the lesson questions (each: at, zh, en, choices_zh, choices_en, answer)."""
    for question in questions:
        if not 0 <= question["at"] <= (clip.duration or question["at"]):
            raise InvalidInput(N_("%(at)s is after the clip ends: it is %(length)s long."),
                               field="at", at=_clock(question["at"]),
                               length=_clock(clip.duration or 0))
        if not 2 <= len(question["choices_zh"]) <= 6 or not (
                0 <= question["answer"] < len(question["choices_zh"])):
            raise InvalidInput(N_("A question needs 2 to 6 choices and one right answer."),
                               field="choices_zh")
    clip.questions = sorted(questions, key=lambda question: question["at"])
    db.flush()
    return clip


def link_clip(db: Session, clip: Clip, *, scenario_id: str, node: str = "",
              criterion: str = "") -> ClipLink:
    """Attach a clip to a scenario, one of its nodes, or one of its rubric criteria."""
    version = db.scalar(select(ScenarioVersion).where(
        ScenarioVersion.scenario_id == scenario_id).order_by(ScenarioVersion.version.desc())
        .limit(1))
    if version is None:
        raise NotFound(N_("No such scenario."), field="scenario_id")
    scenario = scenario_of(version)
    nodes = {f"{dialogue.id}/{node}" for dialogue in scenario.dialogues.values()
             for node in dialogue.nodes}
    if node and node not in nodes | {name.split("/", 1)[1] for name in nodes}:
        raise InvalidInput(N_("The scenario has no dialogue node %(node)s (write dialogue/node "
                              "or node)."), field="node", node=node)
    if criterion and criterion not in {item.name for item in scenario.rubric.criteria}:
        raise InvalidInput(N_("The scenario's rubric has no criterion %(name)s."),
                           field="criterion", name=criterion)
    existing = db.scalar(select(ClipLink).where(
        ClipLink.clip_id == clip.id, ClipLink.scenario_id == scenario_id,
        ClipLink.node == node, ClipLink.criterion == criterion))
    if existing is not None:
        return existing
    link = ClipLink(clip=clip, scenario_id=scenario_id, node=node, criterion=criterion)
    db.add(link)
    db.flush()
    return link


def links_of(db: Session, clip: Clip) -> Sequence[ClipLink]:
    """The clip's links, by scenario."""
    return db.scalars(select(ClipLink).where(ClipLink.clip_id == clip.id).order_by(
        ClipLink.scenario_id, ClipLink.node, ClipLink.criterion)).all()


@dataclass(frozen=True, slots=True)
class ScenarioClips:
    """The clips a trainer attached to one scenario: to the whole, to nodes, to criteria."""

    whole: list[Clip]
    nodes: dict[str, list[Clip]]
    criteria: dict[str, list[Clip]]


def scenario_clips(db: Session, scenario_id: str) -> ScenarioClips:
    """Everything attached to a scenario, for its script page."""
    found = ScenarioClips([], {}, {})
    for link in db.scalars(select(ClipLink).where(ClipLink.scenario_id == scenario_id)
                           .order_by(ClipLink.id)):
        if link.node:
            found.nodes.setdefault(link.node, []).append(link.clip)
        if link.criterion:
            found.criteria.setdefault(link.criterion, []).append(link.clip)
        if not link.node and not link.criterion:
            found.whole.append(link.clip)
    return found


def unlink_clip(db: Session, clip: Clip, link_id: int) -> None:
    """Remove one link."""
    link = db.get(ClipLink, link_id)
    if link is None or link.clip_id != clip.id:
        raise NotFound(N_("No such link."))
    db.delete(link)
    db.flush()


def clips_for_criteria(db: Session, scenario_id: str, criteria: Iterable[str],
                       slugs: Iterable[tuple[str, str]] = ()) -> dict[str, list[Clip]]:
    """Ready clips for each named criterion of a scenario: linked by a trainer, or named by
    the scenario's own rubric (`slugs`: (slug, criterion) pairs)."""
    wanted = set(criteria)
    found: dict[str, list[Clip]] = {}
    links = db.execute(select(ClipLink.criterion, Clip).join(Clip).where(
        ClipLink.scenario_id == scenario_id, ClipLink.criterion.in_(wanted),
        Clip.status == ClipStatus.READY))
    pairs = [(criterion, clip) for criterion, clip in links]
    by_slug: dict[str, list[str]] = {}
    for slug, criterion in slugs:  # one clip may teach several criteria
        by_slug.setdefault(slug, []).append(criterion)
    if by_slug:
        for clip in db.scalars(select(Clip).where(Clip.slug.in_(by_slug),
                                                  Clip.status == ClipStatus.READY)):
            pairs += [(criterion, clip) for criterion in by_slug[clip.slug]
                      if criterion in wanted]
    for criterion, clip in pairs:
        if clip not in found.setdefault(criterion, []):
            found[criterion].append(clip)
    return found


def debrief_clips(db: Session, user: User, scenario_id: str, rubric: Any,
                  graded: dict[str, Any] | None) -> dict[str, list[Clip]]:
    """The clips to show beside each criterion the attempt or play did not fully meet, of
    those the user may watch: attached by a trainer, or named by the scenario's rubric."""
    if not graded:
        return {}
    failed = [name for name, result in graded.get("criteria", {}).items()
              if result.get("applicable", True) and result.get("score", 1) < 1]
    named = [(clip.id, clip.criterion) for clip in rubric.clips if clip.criterion]
    found = clips_for_criteria(db, scenario_id, failed, named)
    if user.role == Role.TRAINEE:
        ids = {clip.id for clips in found.values() for clip in clips}
        allowed = set(db.scalars(_visible(db, user).where(Clip.id.in_(ids))))
        found = {name: [clip for clip in clips if clip in allowed]
                 for name, clips in found.items()}
    return {name: clips for name, clips in found.items() if clips}


def moment_links(rubric: Any, graded: dict[str, Any] | None, clips: dict[str, list[Clip]],
                 events: Iterable[Any]) -> dict[tuple[str, int], list[tuple[Clip, Moment]]]:
    """(criterion, finding's index) -> the (clip, moment) pairs that show what the finding
    got wrong, among `clips` (those `debrief_clips` found the viewer may watch)."""
    found = {}
    for key, pairs in finding_moments(rubric.clips, graded, events).items():
        watchable = {clip.slug: clip for clip in clips.get(key[0], ())}
        links = [(watchable[slug], moment) for slug, moment in pairs if slug in watchable]
        if links:
            found[key] = links
    return found


def start_at(clip: Clip, raw: str | None) -> float | None:
    """The second a player link asks to start at (`?t=42`), kept within the clip; None when
    the link names none."""
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds):
        raise InvalidInput(N_("The start time must be a number of seconds."), field="t")
    return max(0.0, min(seconds, clip.duration or seconds))


# Watching ------------------------------------------------------------------------------

def merge_segments(segments: Iterable[Sequence[float]], duration: float) -> list[list[float]]:
    """Segments clipped to the clip and merged where they touch or overlap."""
    cleaned = sorted((max(0.0, float(start)), min(float(end), duration or float(end)))
                     for start, end in segments)
    merged: list[list[float]] = []
    for start, end in cleaned:
        if end <= start:
            continue
        if merged and start <= merged[-1][1] + 0.5:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [[round(start, 2), round(end, 2)] for start, end in merged]


def progress_of(db: Session, clip: Clip, user: User) -> WatchProgress | None:
    """The user's progress on the clip, if they have started it."""
    return db.scalar(select(WatchProgress).where(WatchProgress.clip_id == clip.id,
                                                 WatchProgress.user_id == user.id))


def _progress_row(db: Session, clip: Clip, user: User) -> WatchProgress:
    """The user's progress row on the clip, made if it is their first report."""
    progress = progress_of(db, clip, user)
    if progress is None:
        progress = WatchProgress(clip=clip, user=user, segments=[], answers={})
        try:
            with db.begin_nested():  # two first reports at once: the second finds the row
                db.add(progress)
        except IntegrityError:
            progress = progress_of(db, clip, user)
            if progress is None:  # pragma: no cover - the row that clashed is there
                raise
    return progress


def record_progress(db: Session, clip: Clip, user: User, *, segments: Any,
                    position: Any) -> WatchProgress:
    """Add what the player reports as watched (its played ranges) and where it is. Answers
    to questions go through `record_answer`, which marks them on the server."""
    try:
        pairs = [(float(start), float(end)) for start, end in segments][:1000]
        at = float(position)
    except (TypeError, ValueError, OverflowError) as exc:
        # OverflowError: a number of hundreds of digits
        raise InvalidInput(N_("The progress report is malformed.")) from exc
    if not all(math.isfinite(value) for pair in pairs for value in pair) or not math.isfinite(
            at):
        raise InvalidInput(N_("The progress report is malformed."))
    progress = _progress_row(db, clip, user)
    progress.segments = merge_segments([*progress.segments, *pairs], clip.duration)
    progress.watched = round(sum(end - start for start, end in progress.segments), 2)
    progress.position = max(0.0, min(at, clip.duration))
    if progress.completed_at is None and clip.duration and (
            progress.watched >= COMPLETE_SHARE * clip.duration):
        progress.completed_at = utcnow()
    db.flush()
    return progress


# What a learner's player gets of a question: never the answer key, which the server keeps
# and marks with (`record_answer`); a whitelist, so that a key added later stays out too.
LEARNER_KEYS = ("at", "zh", "en", "choices_zh", "choices_en")


def learner_questions(clip: Clip) -> list[dict[str, Any]]:
    """The clip's lesson questions without their answers, for a player of someone who does
    not manage the clip."""
    return [{key: question[key] for key in LEARNER_KEYS if key in question}
            for question in clip.questions]


@dataclass(frozen=True, slots=True)
class MarkedAnswer:
    """A question's answer as recorded: the choice that counts, and the right one."""

    choice: int
    answer: int

    @property
    def right(self) -> bool:
        """Whether the choice that counts is the right one."""
        return self.choice == self.answer


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def record_answer(db: Session, clip: Clip, user: User, *, question: Any,
                  choice: Any) -> MarkedAnswer:
    """Record the user's choice at one of the clip's lesson questions and mark it. The first
    answer counts: once the right one has been shown, answering again changes nothing."""
    if not _whole(question) or not 0 <= question < len(clip.questions):
        raise InvalidInput(N_("There is no such question in this clip."), field="question")
    asked = clip.questions[question]
    if not _whole(choice) or not 0 <= choice < len(asked["choices_zh"]):
        raise InvalidInput(N_("The question has no such choice."), field="choice")
    progress = _progress_row(db, clip, user)
    # Two answers to one question at once: the second waits here and finds the first
    # (PostgreSQL; SQLite lets one writer at a time through).
    db.refresh(progress, with_for_update=True)
    key = str(question)
    if key not in progress.answers:
        progress.answers = {**progress.answers, key: choice}
    db.flush()
    return MarkedAnswer(choice=int(progress.answers[key]), answer=int(asked["answer"]))


def right_answers(clip: Clip, progress: WatchProgress) -> int:
    """How many of the clip's questions the user answered right."""
    return sum(1 for number, question in enumerate(clip.questions)
               if progress.answers.get(str(number)) == question["answer"])


def watched_by(db: Session, user: User) -> Sequence[WatchProgress]:
    """What one user has watched, most recent first (shown to their examiners)."""
    return db.scalars(select(WatchProgress).where(WatchProgress.user_id == user.id)
                      .order_by(WatchProgress.updated_at.desc())).all()


def watchers(db: Session, clip: Clip, viewer: User) -> Sequence[WatchProgress]:
    """Progress on a clip of the trainees the viewer teaches or marks (every user for an
    admin), most watched first."""
    stmt = select(WatchProgress).where(WatchProgress.clip_id == clip.id)
    if viewer.role != Role.ADMIN:
        cohorts = [cohort.id for cohort in cohorts_visible_to(db, viewer)]
        stmt = stmt.where(WatchProgress.user_id.in_(
            select(cohort_trainees.c.user_id).where(cohort_trainees.c.cohort_id.in_(cohorts))))
    return db.scalars(stmt.order_by(WatchProgress.watched.desc())).all()


def all_tags(clips: Iterable[Clip]) -> list[str]:
    """Every tag used, sorted."""
    return sorted({tag for clip in clips for tag in clip.tags})


def search(clips: Sequence[Clip], *, query: str = "", tag: str = "") -> list[Clip]:
    """Clips whose titles or summaries hold `query` and that carry `tag`."""
    needle = query.strip().lower()
    return [clip for clip in clips
            if (not tag or tag in clip.tags) and (not needle or needle in " ".join(
                (clip.title_zh, clip.title_en, clip.summary_zh, clip.summary_en,
                 clip.slug)).lower())]
