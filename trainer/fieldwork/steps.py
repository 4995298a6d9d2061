"""A dialogue step of an attempt on its quick path: the trainee's hottest request
(`benchmarks/web.py`), done with one read and one conditional write.

The general path (the step view through `services.take_step`) loads the attempt, its
assignment and version as ORM objects, replays, locks the row and reloads it, and flushes the
row: seven statements and two commits. When nothing is out of the ordinary the quick path
instead reads what the step needs of the attempt, its assignment and version in one SELECT
(in the transaction that checked the log-in), replays from the process's recent replays
(`replays`) and applies the step, all without a lock, and then writes the longer step list
with one UPDATE that holds only if the attempt is as it was read: still in progress, not
submitted meanwhile, and its step log as long as it was. Step logs only ever grow by one
appended step, so a log of the same length is the same log: the write cannot lose a step
another request stored meanwhile, store a key twice, or land after a submission. The
database holds its lock for that one statement and the commit, not while Python replays
(on SQLite, whose write lock is the whole database's, that is what lets the two workers'
steps through one after the other without waiting on each other's replays).

Everything else is handed back, with nothing written and the transaction rolled back, to the
general path, which locks the row and answers as before: a form the rules refuse, another
trainee's or an unknown attempt, a submitted attempt or a timed sitting whose time is up, a
step the visit refuses, a step that receives a self-report (it writes the forms too), a log
too long or one this process has not replayed lately (replayed there before its lock), and a
write that did not hold because the attempt changed since it was read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from trainer.core.errors import DomainError
from trainer.core.interview.engine import Session as Visit
from trainer.db import new_sqlite_transaction
from trainer.fieldwork import services
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus
from trainer.scenarios import replays
from trainer.scenarios.forms import TIMES
from trainer.scenarios.models import ScenarioVersion
from trainer.scenarios.services import repeated, scenario_of, with_step

ATTEMPTS: Table = Attempt.__table__  # type: ignore[assignment]
ASSIGNMENTS: Table = Assignment.__table__  # type: ignore[assignment]
VERSIONS: Table = ScenarioVersion.__table__  # type: ignore[assignment]

# Built once. What a step reads of the attempt, its assignment and its version:
READ = (select(ATTEMPTS.c.trainee_id, ATTEMPTS.c.status, ATTEMPTS.c.started_at,
               ATTEMPTS.c.submitted_at, ATTEMPTS.c.seed, ATTEMPTS.c.steps, ATTEMPTS.c.forms,
               ATTEMPTS.c.version_id, VERSIONS.c.checksum, ASSIGNMENTS.c.time_limit_minutes)
        .join(ASSIGNMENTS, ASSIGNMENTS.c.id == ATTEMPTS.c.assignment_id)
        .join(VERSIONS, VERSIONS.c.id == ATTEMPTS.c.version_id)
        .where(ATTEMPTS.c.id == bindparam("attempt_id")))
# and what it writes, if the attempt is still in progress with the step log that was read
# (a returned attempt is in progress again, with its first submission's date kept)
WRITE = (update(ATTEMPTS)
         .where(ATTEMPTS.c.id == bindparam("attempt_id"),
                ATTEMPTS.c.status == AttemptStatus.IN_PROGRESS,
                ATTEMPTS.c.submitted_at.is_not_distinct_from(bindparam("read_submitted_at")),
                func.json_array_length(ATTEMPTS.c.steps) == bindparam("read_length"))
         .values(steps=bindparam("new_steps")))


@dataclass(frozen=True)
class StepInput:
    """What a step form sends: the household, the action, the simulated time of a knock or
    a phone call (None for other actions) and the step's idempotency key (None without)."""

    household: str
    action: str
    at: datetime | None
    key: str | None


_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
_TIMES = frozenset(TIMES)


def read_form(formdata: Any) -> StepInput | None:
    """The step form's values when they are plainly what `StepForm` accepts without a word;
    None for anything else, which the general path's `StepForm` then explains (a blank or
    too long field, a date or time it does not know, a repeated field, a knock without its
    time, a key of the wrong shape). Read here rather than by binding a WTForms form: that
    cost about a tenth of the step's CPU. Stricter than `StepForm` never matters (the general
    path takes the step); looser would: tests/features/test_quick_step.py checks, over
    generated forms, that whatever this accepts `StepForm` accepts with the same values."""
    values = {}
    for name in ("household", "action", "day", "time", "step_key"):
        given = formdata.getlist(name)
        if len(given) > 1:
            return None
        values[name] = given[0] if given else ""
    household, action, day, time = (values[name] for name in (
        "household", "action", "day", "time"))
    if not (household.strip() and len(household) <= 60 and action.strip()
            and len(action) <= 80) or action.startswith("goto:"):
        return None
    key = values["step_key"]
    if key and not _KEY.fullmatch(key):
        return None
    if time and time not in _TIMES:
        return None
    date = None
    if day.strip():
        try:
            date = datetime.strptime(day, "%Y-%m-%d")
        except ValueError:
            return None
    if action not in ("knock", "phone_check"):
        return StepInput(household, action, None, key or None)
    if date is None or not time:
        return None
    hour, minute = map(int, time.split(":"))
    return StepInput(household, action, date.replace(hour=hour, minute=minute), key or None)


def in_time(status: AttemptStatus, started_at: datetime, submitted_at: datetime | None,
            time_limit_minutes: int | None, now: datetime) -> bool:
    """Whether the general path would take a step in this attempt without a word: in progress
    and, in the first sitting of a timed exam, before its deadline (so neither
    `services.submit_if_timed_out` nor `services.check_editable` has anything to say)."""
    if status != AttemptStatus.IN_PROGRESS:
        return False
    if time_limit_minutes and submitted_at is None:
        return now < started_at + timedelta(minutes=time_limit_minutes)
    return True


def _replayed(db: Session, identity: replays.Key, row: Any) -> Visit | None:
    """The visit after the attempt's steps from this process's recent replays, or replayed
    here when the log is short; None for a longer log not replayed lately."""
    visit = replays.cached(identity, row.steps)
    if visit is None and len(row.steps) <= replays.BACK:
        version = db.get(ScenarioVersion, row.version_id)
        if version is not None:  # the join found it
            visit = replays.replay(identity, row.steps,
                                   lambda: Visit(scenario_of(version), row.seed))
    return visit


def _stepped(visit: Visit, row: Any, household: str, action: str, at: datetime | None,
             key: str | None) -> list[dict[str, Any]] | None:
    """The step log with the step applied to `visit`; None when the visit refuses the step
    (the general path says why, on the page) or when the step receives a self-report (the
    general path writes its form too)."""
    seen = len(visit.events)
    try:
        steps = with_step(visit, row.steps, household, action, at, key)
    except DomainError:
        return None
    if services.self_reported_forms(row.forms, visit, visit.events[seen:]) is not None:
        return None
    return steps


def quick_step(db: Session, trainee_id: int, attempt_id: int, formdata: Any,
               before_commit: Callable[[], None]) -> bool:
    """Take the step the form sends, on the quick path: True when it is done (stored and
    committed, or a repeat of a stored step's key, which stores nothing); False when it is
    the general path's, with nothing written and the transaction rolled back.
    `before_commit` runs with the step written and not yet committed (the fault tests)."""
    given = read_form(formdata)
    if given is None:
        return False
    row = db.connection().execute(READ, {"attempt_id": attempt_id}).one_or_none()
    if row is None or row.trainee_id != trainee_id or not in_time(
            row.status, row.started_at, row.submitted_at, row.time_limit_minutes,
            services.utc_now()):
        db.rollback()
        return False
    if repeated(row.steps, given.key):  # committed: answered as the first was
        db.rollback()
        return True
    identity = replays.identity(row.version_id, row.checksum, row.seed, False)
    visit = _replayed(db, identity, row) if len(row.steps) < services.MAX_STEPS else None
    steps = (_stepped(visit, row, given.household, given.action, given.at, given.key)
             if visit is not None else None)
    if visit is None or steps is None:
        db.rollback()
        return False
    if db.get_bind().dialect.name == "sqlite":
        # a SQLite transaction that has read cannot write once another has committed: the
        # write starts a transaction of its own (nothing was written in this one)
        new_sqlite_transaction(db)
    written = db.connection().execute(WRITE, {
        "attempt_id": attempt_id, "read_submitted_at": row.submitted_at, "new_steps": steps,
        "read_length": len(row.steps)})
    if written.rowcount != 1:
        db.rollback()
        return False
    before_commit()
    db.commit()
    replays.remember(identity, steps, visit)
    return True
