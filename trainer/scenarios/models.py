"""Published scenario versions (immutable) and trainers' play-throughs of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import User
from trainer.db import Base, utcnow


class ScenarioVersion(Base):
    """One published version of a scenario: the YAML as written, never edited afterwards."""

    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int]
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    summary_zh: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    difficulty: Mapped[int]
    minutes: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(20), default="library")  # library or authored
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                   ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    changelog: Mapped[str] = mapped_column(Text, default="", server_default="")

    published_by: Mapped[User | None] = relationship()


class ScenarioEditor(Base):
    """Who may edit an authored scenario: its owner (who made it) and those it is shared with.
    A library scenario has no rows here: admins edit it, trainers duplicate it."""

    __tablename__ = "scenario_editors"

    scenario_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    owner: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class ScenarioDraft(Base):
    """The working text of a scenario in the editor, autosaved; one per scenario. `revision`
    counts saves, so that a save based on an older text is refused instead of lost."""

    __tablename__ = "scenario_drafts"

    scenario_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()


class ScenarioPlay(Base):
    """A trainer playing a scenario version to try it: the steps, replayed on every view."""

    __tablename__ = "scenario_plays"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id",
                                                       ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seed: Mapped[int] = mapped_column(BigInteger)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    version: Mapped[ScenarioVersion] = relationship()
    user: Mapped[User] = relationship()
