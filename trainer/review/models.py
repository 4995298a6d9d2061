"""An examiner's review of a submitted attempt, its append-only record, and the notices the
application sends its users."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import User
from trainer.db import Base, append_only, enum_values, utcnow
from trainer.fieldwork.models import Attempt


class ReviewStatus(enum.StrEnum):
    """Where a submitted attempt stands with the examiners."""

    AWAITING = "awaiting_review"
    IN_REVIEW = "in_review"
    RETURNED = "returned"  # back with the trainee for correction
    RELEASED = "released"  # the trainee sees the score


class ReviewKind(enum.StrEnum):
    """What one record of a review says happened."""

    SUBMITTED = "submitted"
    CLAIMED = "claimed"
    OVERRIDE = "override"
    COMMENT = "comment"
    RETURNED = "returned"
    RELEASED = "released"
    MARK = "mark"  # double marking: one criterion's score in an examiner's independent mark
    MARKED = "marked"  # double marking: the examiner's mark is complete (after = its total)


class Review(Base):
    """The review of one attempt (made when it is first submitted)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"),
                                            unique=True)
    status: Mapped[ReviewStatus] = mapped_column(
        Enum(ReviewStatus, native_enum=False, length=20, values_callable=enum_values),
        index=True)
    examiner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                               ondelete="SET NULL"))
    # what the trainee was shown at release: the automatic score with the overrides applied
    released_score: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    released_at: Mapped[datetime | None]

    attempt: Mapped[Attempt] = relationship()
    examiner: Mapped[User | None] = relationship()
    events: Mapped[list[ReviewEvent]] = relationship(order_by="ReviewEvent.id",
                                                     back_populates="review",
                                                     passive_deletes=True)


@append_only
class ReviewEvent(Base):
    """One thing done in a review: who, when, what, before and after, why. Only inserted."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"),
                                           index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[ReviewKind] = mapped_column(
        Enum(ReviewKind, native_enum=False, length=20, values_callable=enum_values))
    criterion: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[float | None] = mapped_column(Float)
    after: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    # where a comment points: "event:12", "form:<unit>/<field>", "map:<feature>", "clip:<id>@<s>"
    anchor: Mapped[str | None] = mapped_column(String(200))

    review: Mapped[Review] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Notification(Base):
    """A notice to a user inside the application (a released score, a returned attempt)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    message: Mapped[str] = mapped_column(String(200))  # a message id, translated when shown
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
