"""Map tasks set for a cohort, and each trainee's drawing of a task."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import Cohort, User
from trainer.db import Base, enum_values, utcnow
from trainer.worlds.models import World


class DrawingStatus(enum.StrEnum):
    """A drawing is edited until it is submitted; then it is graded and kept as it was."""

    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class MapTask(Base):
    """Draw the map of one enumeration area of a world: set by a trainer for a cohort."""

    __tablename__ = "map_tasks"
    __table_args__ = (UniqueConstraint("cohort_id", "world_id", "grid", "area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"),
                                           index=True)
    world_id: Mapped[int] = mapped_column(ForeignKey("worlds.id", ondelete="RESTRICT"))
    grid: Mapped[int]  # the grid's index in the world, from 0
    area: Mapped[int]  # the area's index in the grid, from 0
    rule: Mapped[str] = mapped_column(String(40), default="serpentine")  # NUMBERING_RULES
    # "area": draw one area's map; "division": divide the whole grid into areas of about
    # `target_units` housing units (then `area` is -1, so the unique key still holds)
    kind: Mapped[str] = mapped_column(String(20), default="area", server_default="area")
    target_units: Mapped[int] = mapped_column(default=80, server_default="80")
    # Map tasks are practice: a graded drawing may be redrawn (a new try) unless the trainer
    # switched this off; the earlier tries are kept (`MapTry`).
    redraw_allowed: Mapped[bool] = mapped_column(default=True, server_default=true())
    due_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    world: Mapped[World] = relationship()
    created_by: Mapped[User | None] = relationship()


class MapDrawing(Base):
    """A trainee's drawing of a map task: the GeoJSON as last saved, and its grade."""

    __tablename__ = "map_drawings"
    __table_args__ = (UniqueConstraint("task_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("map_tasks.id", ondelete="CASCADE"),
                                         index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                            index=True)
    geojson: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[DrawingStatus] = mapped_column(
        Enum(DrawingStatus, native_enum=False, length=20, values_callable=enum_values),
        default=DrawingStatus.IN_PROGRESS)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # MapResult.to_dict()
    saves: Mapped[int] = mapped_column(default=0)  # how many times it was saved
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]

    task: Mapped[MapTask] = relationship()
    trainee: Mapped[User] = relationship()


class MapTry(Base):
    """An earlier submitted try of a drawing, kept as it was graded when the trainee started
    the next one (the drawing itself always holds the newest try)."""

    __tablename__ = "map_tries"
    __table_args__ = (UniqueConstraint("drawing_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    drawing_id: Mapped[int] = mapped_column(ForeignKey("map_drawings.id", ondelete="CASCADE"),
                                            index=True)
    number: Mapped[int]  # 1, 2, ...: the drawing's current try is the next number
    geojson: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    saves: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]

    drawing: Mapped[MapDrawing] = relationship()

    @property
    def status(self) -> DrawingStatus:
        """A kept try was submitted (so it reads like a submitted drawing)."""
        return DrawingStatus.SUBMITTED
