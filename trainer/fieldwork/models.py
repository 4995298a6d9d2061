"""Exercises assigned to a cohort, and trainees' attempts at them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import Cohort, User
from trainer.db import Base, enum_values, utcnow
from trainer.scenarios.models import ScenarioVersion


class Mode(enum.StrEnum):
    """Practice shows the debrief at once and allows new attempts; an exam allows one."""

    PRACTICE = "practice"
    EXAM = "exam"


class World(enum.StrEnum):
    """Whose world an assignment's trainees meet (the value of `Assignment.world`)."""

    SCENARIO = "scenario"  # the scenario's own seed policy (assignments made before the choice)
    SHARED = "shared"  # one seed, `Assignment.seed`, for everyone (exams)
    PER_TRAINEE = "per_trainee"  # one world per trainee, stable across their attempts (exams)
    PER_ATTEMPT = "per_attempt"  # a new world for every attempt (practice)


class AttemptStatus(enum.StrEnum):
    """Where an attempt stands."""

    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Assignment(Base):
    """A scenario version set for a cohort, with a due date."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"),
                                           index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id",
                                                       ondelete="RESTRICT"))
    mode: Mapped[Mode] = mapped_column(Enum(Mode, native_enum=False, length=20,
                                            values_callable=enum_values))
    due_on: Mapped[date | None]
    opens_on: Mapped[date | None]  # no attempt may start before this day
    time_limit_minutes: Mapped[int | None]  # exams: real minutes from the attempt's start
    # whose world: "scenario" (the scenario's own seed policy), "shared" (one seed, `seed`,
    # for everyone), "per_trainee" (one world per trainee), "per_attempt" (a new world each time)
    world: Mapped[str] = mapped_column(String(20), default="scenario", server_default="scenario")
    seed: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    version: Mapped[ScenarioVersion] = relationship()
    created_by: Mapped[User | None] = relationship()


class Attempt(Base):
    """A trainee's attempt: the pinned version, the seed, the steps; state is their replay."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id",
                                                          ondelete="CASCADE"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                            index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id",
                                                       ondelete="RESTRICT"))
    seed: Mapped[int] = mapped_column(BigInteger)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # household id -> {"record": R601 record, "complete": bool, "confirmed": bool}
    forms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # household id -> the trainee's row of the 户主姓名底册
    register: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the quick tally (快速汇总): figure -> number (None: not started)
    tally: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # household id -> {"record": HMT/foreign form record, "complete": bool, "confirmed": bool}
    hmt_forms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the area's death form (死亡人口调查表): {"rows": [...], "complete": bool} (None: not started)
    deaths: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the small-area map (普查小区图) drawn in the attempt, as GeoJSON (None: not started)
    map_drawing: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[AttemptStatus] = mapped_column(
        Enum(AttemptStatus, native_enum=False, length=20, values_callable=enum_values),
        default=AttemptStatus.IN_PROGRESS)
    score: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    # A digest of the true households the attempt began with (`households.fingerprint`);
    # NULL for attempts started before it was kept
    truth_fingerprint: Mapped[str | None] = mapped_column(String(64))

    assignment: Mapped[Assignment] = relationship()
    trainee: Mapped[User] = relationship()
    version: Mapped[ScenarioVersion] = relationship()


class Grade(Base):
    """One grading of a submitted attempt, kept for good: number 1 at submission, a new number
    each time a changed rubric or grader gives a different result (`Attempt.score` is the
    latest). Grading is a pure function of (scenario version, seed, evidence), so regrading
    with nothing changed adds nothing."""

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("attempt_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"),
                                            index=True)
    number: Mapped[int]
    grader: Mapped[str] = mapped_column(String(40))  # the criteria version
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id",
                                                              ondelete="RESTRICT"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # the digest of the true households it was graded on (`truth`); NULL for grades before
    truth_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))

    attempt: Mapped[Attempt] = relationship()
    rubric_version: Mapped[ScenarioVersion] = relationship()
    created_by: Mapped[User | None] = relationship()
