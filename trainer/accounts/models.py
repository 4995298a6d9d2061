"""Users with one role each, cohorts that group them, and the append-only audit log."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Enum, Float, ForeignKey, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.db import Base, append_only, enum_values, utcnow


class Role(enum.StrEnum):
    """What a user may do; one role per user."""

    TRAINEE = "trainee"
    TRAINER = "trainer"
    EXAMINER = "examiner"
    ADMIN = "admin"


class AuditKind(enum.StrEnum):
    """Security-relevant events kept in the audit log."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name, not a password
    PASSWORD_RESET = "password_reset"  # noqa: S105
    RESET_REQUESTED = "reset_requested"
    USER_CREATED = "user_created"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    ROLE_CHANGED = "role_changed"
    COHORT_CREATED = "cohort_created"
    COHORT_IMPORT = "cohort_import"
    COHORT_MARKING = "cohort_marking"  # double marking switched, or its threshold changed
    COHORT_CHANGED = "cohort_changed"  # renamed, described anew or given to another trainer
    COHORT_JOINED = "cohort_joined"  # a trainee put in a cohort (the subject)
    COHORT_LEFT = "cohort_left"  # a trainee taken out of a cohort (the subject)
    COHORT_EXAMINERS = "cohort_examiners"  # the examiners who mark a cohort replaced
    PERSONAL_DATA_EXPORTED = "personal_data_exported"
    PERSONAL_DATA_DELETED = "personal_data_deleted"  # the user anonymised, their work deleted
    API_TOKEN_CREATED = "api_token_created"  # noqa: S105 - an event; the subject holds it
    API_TOKEN_REVOKED = "api_token_revoked"  # noqa: S105


def new_session_token() -> str:
    """A fresh token; changing it logs the user out of every browser."""
    return secrets.token_urlsafe(24)


cohort_trainees = Table(
    "cohort_trainees",
    Base.metadata,
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

cohort_examiners = Table(
    "cohort_examiners",
    Base.metadata,
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A person who logs in. Usernames are stored lower-case and compared that way."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=enum_values)
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    # Flask-Login's protocol, written out rather than inherited so the model stays plain.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Id and session token: rotating the token invalidates every existing log-in."""
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class Cohort(Base):
    """A training group: owned by a trainer, with trainees and the examiners who mark them."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # double marking: two independent, blind marks per attempt; a third when their totals
    # differ by more than the threshold (points out of 100)
    double_marking: Mapped[bool] = mapped_column(default=False, server_default=false())
    marking_threshold: Mapped[float] = mapped_column(Float, default=10.0, server_default="10")

    trainer: Mapped[User] = relationship(foreign_keys=[trainer_id])
    trainees: Mapped[list[User]] = relationship(
        secondary=cohort_trainees, order_by=User.username
    )
    examiners: Mapped[list[User]] = relationship(
        secondary=cohort_examiners, order_by=User.username
    )


@append_only
class AuditEvent(Base):
    """One security-relevant event. Rows are only ever inserted (see the guard below)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[AuditKind] = mapped_column(
        Enum(AuditKind, native_enum=False, length=32, values_callable=enum_values)
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username_tried: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])



