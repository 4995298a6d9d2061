"""Recorded visit clips: uploads in progress, clips with their renditions, links into
scenarios and rubric criteria, and each trainee's watching progress."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Enum,
    Float,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import Cohort, User
from trainer.db import Base, enum_values, utcnow


class ClipStatus(enum.StrEnum):
    """A clip's processing state: queued -> processing -> ready, or failed (retryable)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


clip_cohorts = Table(
    "clip_cohorts",
    Base.metadata,
    Column("clip_id", ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True),
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
)


class Upload(Base):
    """A resumable upload (tus protocol) being received into the media root's uploads/."""

    __tablename__ = "clip_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)  # the upload's URL name
    filename: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    created_by: Mapped[User] = relationship()


class Clip(Base):
    """A recorded visit: the original (trainers only), its renditions, captions, chapters,
    redactions and lesson questions."""

    __tablename__ = "clips"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)  # scenarios name clips by it
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    filename: Mapped[str] = mapped_column(String(200))
    original_key: Mapped[str | None] = mapped_column(String(200))  # None once deleted
    original_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[ClipStatus] = mapped_column(
        Enum(ClipStatus, native_enum=False, length=20, values_callable=enum_values),
        default=ClipStatus.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1 while processing
    error: Mapped[str | None] = mapped_column(Text)  # why the last job failed
    runs: Mapped[int] = mapped_column(default=0)  # processing jobs started
    heartbeat_at: Mapped[datetime | None]  # a running job touches it; stale means interrupted
    duration: Mapped[float] = mapped_column(Float, default=0.0)  # seconds
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    has_audio: Mapped[bool] = mapped_column(Boolean, default=False)
    # rendition name -> {"key", "width", "height", "bytes"}; poster and strip likewise
    renditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"x", "y", "w", "h" (fractions of the frame), "start", "end" (seconds), "label"}]
    redactions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    captions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # locale -> WebVTT
    # [{"start": seconds, "zh": title, "en": title}]
    chapters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"at": seconds, "zh", "en", "choices_zh", "choices_en", "answer": index}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()
    cohorts: Mapped[list[Cohort]] = relationship(secondary=clip_cohorts,
                                                 order_by=Cohort.name)

    def title(self, locale: str) -> str:
        """The title in `locale`, falling back to Chinese."""
        return (self.title_en if locale == "en" else "") or self.title_zh


class ClipLink(Base):
    """A clip attached by a trainer to a scenario, one of its dialogue nodes, or one of its
    rubric criteria (the debrief shows the clips of the criteria a trainee failed)."""

    __tablename__ = "clip_links"
    __table_args__ = (UniqueConstraint("clip_id", "scenario_id", "node", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"),
                                         index=True)
    scenario_id: Mapped[str] = mapped_column(String(80), index=True)
    node: Mapped[str] = mapped_column(String(80), default="")  # "" = the whole scenario
    criterion: Mapped[str] = mapped_column(String(80), default="")

    clip: Mapped[Clip] = relationship()


class WatchProgress(Base):
    """What one user has watched of one clip: merged segments, total, completion, answers."""

    __tablename__ = "clip_progress"
    __table_args__ = (UniqueConstraint("clip_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"),
                                         index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    segments: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    watched: Mapped[float] = mapped_column(Float, default=0.0)  # seconds, overlaps counted once
    position: Mapped[float] = mapped_column(Float, default=0.0)  # where to resume
    completed_at: Mapped[datetime | None]
    answers: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # question -> choice
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    clip: Mapped[Clip] = relationship()
    user: Mapped[User] = relationship()
