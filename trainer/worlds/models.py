"""A world is stored as its spec and seed; every part is drawn again on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import User
from trainer.db import Base, utcnow


class World(Base):
    """A synthetic world: (spec, seed) plus the summary of its last complete count."""

    __tablename__ = "worlds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    seed: Mapped[int] = mapped_column(BigInteger)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    region: Mapped[str] = mapped_column(String(6))
    grids: Mapped[int]
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The count of a world made or counted again on the web, done by a job
    # (`services.start_count`, `trainer.tasks.count_world`): while it is queued or runs,
    # `counted_grids` holds the grids counted so far (None once counted) and
    # `count_touched_at` when it was queued or last reported; `count_running` says a worker
    # took it; `count_run` numbers the counts, so that a job of an earlier one writes nothing;
    # `count_resumes` how often the worker's periodic check started it again after its worker
    # died. A failed count keeps its error, {"message": msgid, "params": {...}}, shown
    # translated.
    counted_grids: Mapped[int | None] = mapped_column(default=None)
    count_touched_at: Mapped[datetime | None] = mapped_column(default=None)
    count_running: Mapped[bool] = mapped_column(default=False, server_default=false())
    count_run: Mapped[int] = mapped_column(default=0, server_default="0")
    count_resumes: Mapped[int] = mapped_column(default=0, server_default="0")
    count_error: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True),
                                                               default=None)
    # What the count has counted so far, kept between the slices its jobs count
    # (`services.Counting`, as JSON); None when no count is under way or none has paused yet.
    count_partial: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True),
                                                                 default=None)

    created_by: Mapped[User | None] = relationship()

    @property
    def counting(self) -> bool:
        """Whether a count of the world is queued or running (its figures are not known
        yet, or are those of its previous count)."""
        return self.counted_grids is not None
