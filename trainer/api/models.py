"""API tokens (stored only as a hash), the cohorts each may read, and their append-only record."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import Cohort, User
from trainer.db import Base, append_only, enum_values, utcnow

api_token_cohorts = Table(
    "api_token_cohorts",
    Base.metadata,
    Column("token_id", ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
)


class ApiToken(Base):
    """A bearer token of an examiner or admin, scoped to cohorts chosen at creation.

    Only the SHA-256 of the token is kept; the token itself is shown once, when it is made.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    owner: Mapped[User] = relationship()
    cohorts: Mapped[list[Cohort]] = relationship(secondary=api_token_cohorts,
                                                 order_by=Cohort.name)


class TokenEventKind(enum.StrEnum):
    """What happened to a token."""

    CREATED = "created"
    REVOKED = "revoked"


@append_only
class ApiTokenEvent(Base):
    """One creation or revocation of a token: who, when, what. Rows are only inserted."""

    __tablename__ = "api_token_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"),
                                          index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[TokenEventKind] = mapped_column(
        Enum(TokenEventKind, native_enum=False, length=16, values_callable=enum_values))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    token: Mapped[ApiToken] = relationship()
    actor: Mapped[User | None] = relationship()

