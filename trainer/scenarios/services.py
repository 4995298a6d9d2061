"""The scenario library: checking files, publishing versions, the catalogue, trainers' plays."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from trainer.accounts.models import User
from trainer.core.errors import Conflict, InvalidInput, NotFound
from trainer.core.i18n import N_
from trainer.core.interview.engine import Session as Visit
from trainer.core.interview.engine import Step
from trainer.core.scenario import bot, checks, loader
from trainer.core.scenario.loader import ScenarioError, ScenarioInvalid
from trainer.core.scenario.model import Scenario
from trainer.scenarios import replays
from trainer.scenarios.models import ScenarioPlay, ScenarioVersion

MAX_PLAY_STEPS = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FileReport:
    """What `flask scenarios check` found in one file."""

    path: Path
    scenario: Scenario | None
    errors: list[ScenarioError]
    bot: bot.Report | None = None


def library_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files among `paths` (folders are searched, not recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            found.append(path)
    return found


def check_file(path: Path, *, run_bot: bool = True) -> FileReport:
    """Validate one file, run the static checks and (unless told not to) the path bot."""
    try:
        scenario = loader.load(path)
    except ScenarioInvalid as invalid:
        return FileReport(path, None, invalid.errors)
    errors = checks.check(scenario, str(path))
    if errors or not run_bot:
        return FileReport(path, scenario, errors)
    report = bot.explore(scenario)
    for dead_end in sorted(report.dead_ends):
        errors.append(ScenarioError(str(path), 1, 1, "dialogues", N_(
            "the bot reached a dead end at %(where)s"), {"where": dead_end}))
    return FileReport(path, scenario, errors, report)


def checksum(source: str) -> str:
    """SHA-256 of a scenario's text: versions are immutable, so a changed text is a conflict."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def publish(db: Session, scenario: Scenario, *, actor: User | None,
            origin: str = "library") -> ScenarioVersion | None:
    """Store `scenario` as a published version; None if that exact version is already there.

    Raises Conflict when the same id and version exist with a different text: published
    versions never change, so the author must raise the version number.
    """
    digest = checksum(scenario.source)
    existing = db.scalar(select(ScenarioVersion).where(
        ScenarioVersion.scenario_id == scenario.id, ScenarioVersion.version == scenario.version))
    if existing is not None:
        if existing.checksum != digest:
            raise Conflict(N_("Scenario %(id)s version %(version)s is already published with a "
                              "different text; raise its version number."),
                           id=scenario.id, version=scenario.version)
        return None
    version = ScenarioVersion(
        scenario_id=scenario.id, version=scenario.version, title_zh=scenario.title.zh,
        title_en=scenario.title.en, summary_zh=scenario.summary.zh,
        summary_en=scenario.summary.en, tags=list(scenario.tags),
        difficulty=scenario.difficulty, minutes=scenario.minutes, source=scenario.source,
        checksum=digest, origin=origin, published_by=actor)
    db.add(version)
    db.flush()
    return version


def sync_library(db: Session, folder: Path) -> list[ScenarioVersion]:
    """Publish every file of the built-in library that is not yet in the database.

    Files must load and pass the static checks (the path bot is `flask scenarios check`'s).
    A file whose id and version are already published with another text (an admin published
    that number from the editor, or a trainer's scenario took the id) is skipped with a
    warning in the log, so one clash does not stop the rest of the library.
    """
    added = []
    for path in library_files([folder]):
        scenario = loader.load(path)
        problems = checks.check(scenario, str(path))
        if problems:  # a file that fails the static checks is not published
            raise ScenarioInvalid(problems)
        try:
            with db.begin_nested():
                version = publish(db, scenario, actor=None)
        except Conflict:
            log.warning("library file %s not published: %s version %s is already published "
                        "with another text; raise its version number", path, scenario.id,
                        scenario.version)
            continue
        if version is not None:
            added.append(version)
    return added


def catalogue(db: Session, *, query: str = "", tag: str = "") -> list[ScenarioVersion]:
    """The latest version of every scenario, filtered by words of the title and a tag."""
    latest = (select(ScenarioVersion.scenario_id, func.max(ScenarioVersion.version)
                     .label("version")).group_by(ScenarioVersion.scenario_id).subquery())
    rows = db.scalars(select(ScenarioVersion).join(
        latest, (ScenarioVersion.scenario_id == latest.c.scenario_id)
        & (ScenarioVersion.version == latest.c.version)).order_by(
            ScenarioVersion.difficulty, ScenarioVersion.scenario_id)).all()
    words = query.strip().lower()
    return [row for row in rows
            if (not tag or tag in row.tags)
            and (not words or words in f"{row.title_zh} {row.title_en} {row.scenario_id} "
                                      f"{row.summary_zh} {row.summary_en}".lower())]


def all_tags(versions: Sequence[ScenarioVersion]) -> list[str]:
    """Every tag used in `versions`, sorted."""
    return sorted({tag for version in versions for tag in version.tags})


def get_version(db: Session, scenario_id: str, number: int | None = None) -> ScenarioVersion:
    """A version of a scenario (the latest when `number` is None)."""
    statement = select(ScenarioVersion).where(ScenarioVersion.scenario_id == scenario_id)
    if number is not None:
        statement = statement.where(ScenarioVersion.version == number)
    version = db.scalar(statement.order_by(ScenarioVersion.version.desc()).limit(1))
    if version is None:
        raise NotFound(N_("No such scenario."))
    return version


def version_by_id(db: Session, version_id: int) -> ScenarioVersion:
    """A published version by its row id."""
    version = db.get(ScenarioVersion, version_id)
    if version is None:
        raise NotFound(N_("No such scenario."))
    return version


def versions_of(db: Session, scenario_id: str) -> list[ScenarioVersion]:
    """Every published version of a scenario, newest first."""
    return list(db.scalars(select(ScenarioVersion).where(
        ScenarioVersion.scenario_id == scenario_id).order_by(ScenarioVersion.version.desc())))


@lru_cache(maxsize=64)
def _parsed(source: str, name: str) -> Scenario:
    return loader.parse(source, file=name)


def scenario_of(version: ScenarioVersion) -> Scenario:
    """The parsed scenario of a stored version (kept in memory by its text)."""
    return _parsed(version.source, f"{version.scenario_id}.yaml")


# --- playing a scenario as a trainer ---------------------------------------------------------

def seed_for(version: ScenarioVersion) -> int:
    """The scenario's fixed seed (exams), or a fresh one for each play or attempt (practice)."""
    scenario = scenario_of(version)
    return scenario.seed if scenario.seed_policy == "fixed" else secrets.randbelow(2**31)


def replay_steps(version: ScenarioVersion, seed: int, steps: list[dict[str, Any]], *,
                 playtest: bool = False) -> Visit:
    """The visits of a stored step log, rebuilt by replaying it (or a copy of the same
    replay made lately by this process, see `replays`); the caller's own to change."""
    return replays.replay(_replay_identity(version, seed, playtest), steps,
                          lambda: Visit(scenario_of(version), seed, playtest=playtest))


def remember_replay(version: ScenarioVersion, seed: int, steps: list[dict[str, Any]],
                    visit: Visit, *, playtest: bool = False) -> None:
    """Keep `visit` as the replay of `steps` (the log a step was just added to), so that the
    next request of the visit need not replay it."""
    replays.remember(_replay_identity(version, seed, playtest), steps, visit)


def _replay_identity(version: ScenarioVersion, seed: int, playtest: bool) -> tuple[Any, ...]:
    return replays.identity(version.id, version.checksum, seed, playtest)


def with_step(visit: Visit, steps: list[dict[str, Any]], household: str, action: str,
              at: datetime | None, key: str | None = None) -> list[dict[str, Any]]:
    """Apply a new step (stamped with the real time) and return the longer step log; `key`,
    the request's idempotency key, is stored with the step (replay ignores it)."""
    step = Step(household, action, at, datetime.now(UTC).isoformat(timespec="seconds"))
    visit.apply(step)
    stored = step.to_dict()
    if key is not None:
        stored["key"] = key
    return [*steps, stored]


def repeated(steps: list[dict[str, Any]], key: str | None) -> bool:
    """Whether a step sent with idempotency key `key` is already in the step log."""
    return key is not None and any(step.get("key") == key for step in steps)


def lock_for_step(db: Session, row: Any) -> None:
    """Lock a row (an attempt, a play, a scenario draft) until the transaction ends, and
    reload it, so that two requests changing it cannot both act on what they read before
    (the same step key stored twice, one draft revision accepted twice): the second waits,
    then sees the first's result. PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks,
    and in WAL mode a transaction that has read cannot write once another has committed
    (SQLITE_BUSY_SNAPSHOT); so the request's read-only transaction so far (log-in check,
    loading the row) is ended and the next one starts by writing the row unchanged, which
    takes the database's write lock, waiting up to the busy timeout, before anything is read.
    Call it before the request writes anything."""
    if db.get_bind().dialect.name == "sqlite":
        # nothing is written yet: this only ends the read snapshot, so what was loaded stays
        # loaded (as on PostgreSQL, where there is no commit here) and only `row` is reread
        expiring, db.expire_on_commit = db.expire_on_commit, False
        try:
            db.commit()
        finally:
            db.expire_on_commit = expiring
        mapper = inspect(type(row))
        keys = {column.name: getattr(row, mapper.get_property_by_column(column).key)
                for column in mapper.primary_key}
        first = next(iter(keys))
        where = " AND ".join(f"{name} = :{name}" for name in keys)
        db.execute(text(f"UPDATE {mapper.local_table.name} SET {first} = {first} "  # noqa: S608
                        f"WHERE {where}"), keys)
    db.refresh(row, with_for_update=True)


def start_play(db: Session, actor: User, version: ScenarioVersion) -> ScenarioPlay:
    """A new play-through of `version` by `actor`."""
    play = ScenarioPlay(version=version, user=actor, seed=seed_for(version), steps=[])
    db.add(play)
    db.flush()
    return play


def get_play(db: Session, actor: User, play_id: int) -> ScenarioPlay:
    """One of the actor's own plays; others' plays do not exist for them."""
    play = db.get(ScenarioPlay, play_id)
    if play is None or play.user_id != actor.id:
        raise NotFound(N_("No such play-through."))
    return play


def replay_play(play: ScenarioPlay) -> Visit:
    """The play's session, rebuilt by replaying its stored steps."""
    return replay_steps(play.version, play.seed, play.steps, playtest=True)


def play_step(db: Session, play: ScenarioPlay, household: str, action: str,
              at: datetime | None, key: str | None = None) -> Visit:
    """Apply one step to a play and store it; an invalid step changes nothing. A step sent
    again with the same idempotency `key` (a retried request) is stored once."""
    if key is not None:
        lock_for_step(db, play)
        if repeated(play.steps, key):
            return replay_play(play)
    if len(play.steps) >= MAX_PLAY_STEPS:
        raise InvalidInput(N_("This play-through is too long; start a new one."))
    session = replay_play(play)
    play.steps = with_step(session, play.steps, household, action, at, key)
    db.flush()
    return session
